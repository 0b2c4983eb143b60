#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boots Debian's own kernel under QEMU TCG (no hypervisor at all) with acrn_hsm.ko in a
busybox initramfs, runs insmod and prints one TAP line per check:

  * loading (one finit_module call, tests/load_once.c) fails with errno ENODEV (19);
  * the kernel log holds exactly one line from the module, the clear refusal;
  * nothing else happened: no /dev/acrn_hsm, the module is not loaded, no oops.

Usage: qemu_insmod.py --ko acrn_hsm.ko --loader load_once --kernel VMLINUZ --out DIR
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import guest  # noqa: E402

INIT = """#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo HSM-TEST-START
out=$(/bin/load_once /lib/modules/acrn_hsm.ko 2>&1); rc=$?
echo "HSM-TEST-INSMOD rc=$rc $out"
dmesg | grep -i acrn | sed 's/^/HSM-TEST-KLOG /'
[ -e /dev/acrn_hsm ] && echo HSM-TEST-DEVICE present || echo HSM-TEST-DEVICE absent
grep -q '^acrn_hsm ' /proc/modules && echo HSM-TEST-MODULE loaded || echo HSM-TEST-MODULE absent
dmesg | grep -E 'Oops|BUG:|Call Trace|WARNING:' | sed 's/^/HSM-TEST-TROUBLE /'
echo HSM-TEST-DONE
sleep 1
poweroff -f
"""

REFUSAL = re.compile(r"acrn_hsm: not loading: no ACRN hypervisor .*-ENODEV")


def tap(ok, name):
    print("%s - %s" % ("ok" if ok else "not ok", name), flush=True)
    return ok


def boot(args):
    os.makedirs(args.out, exist_ok=True)
    init = os.path.join(args.out, "init")
    with open(init, "w") as f:
        f.write(INIT)
    initrd = os.path.join(args.out, "initrd.cpio.gz")
    guest.build_initramfs(initrd, init, adds=["%s:lib/modules/acrn_hsm.ko" % args.ko,
                                                 "%s:bin/load_once" % args.loader])
    serial = os.path.join(args.out, "serial.log")
    if os.path.exists(serial):
        os.unlink(serial)
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-smp", "1", "-m", "512",
           "-nodefaults", "-display", "none", "-no-reboot", "-monitor", "none",
           "-serial", "file:" + serial, "-kernel", args.kernel, "-initrd", initrd,
           "-append", "console=ttyS0 panic=-1 loglevel=4"]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + args.timeout
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
            if os.path.exists(serial) and "HSM-TEST-DONE" in open(serial, errors="replace").read():
                proc.wait(timeout=15)
                break
    except subprocess.TimeoutExpired:
        pass
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    return open(serial, errors="replace").read() if os.path.exists(serial) else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ko", required=True)
    ap.add_argument("--loader", required=True, help="static build of tests/load_once.c")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()
    log = boot(args)
    lines = log.splitlines()
    done = "HSM-TEST-DONE" in log
    insmod = next((ln for ln in lines if ln.startswith("HSM-TEST-INSMOD")), "")
    module_lines = [ln for ln in lines if ln.startswith("HSM-TEST-KLOG") and "acrn_hsm: " in ln
                    and "taint" not in ln]
    ok = True
    ok &= tap(done and "errno=19 " in insmod,
              "qemu-tcg: loading acrn_hsm.ko fails with ENODEV (19) without a hypervisor")
    ok &= tap(len(module_lines) == 1 and REFUSAL.search(module_lines[0]) is not None,
              "qemu-tcg: one clear kernel log line names the missing ACRN hypervisor")
    ok &= tap(done and "HSM-TEST-DEVICE absent" in log and "HSM-TEST-MODULE absent" in log
              and "HSM-TEST-TROUBLE" not in log,
              "qemu-tcg: nothing else happens (no device node, module not loaded, no oops)")
    if not ok:
        print("# serial log tail:")
        for ln in lines[-40:]:
            print("#   " + ln)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
