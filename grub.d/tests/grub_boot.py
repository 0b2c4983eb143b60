#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Boots the entry 25_acrn writes: GRUB (BIOS, from a grub-mkrescue ISO) under QEMU TCG
runs the generated menuentry as it stands, which loads acrn.bin with multiboot2 and the
kernel and initrd with module2. There is no VT-x under TCG, so the hypervisor stops
at its own checks; by then it has printed the command line GRUB gave it.

Prints TAP lines: GRUB ran the entry without an error, and the hypervisor got the
command line the entry carries. Usage: grub_boot.py --hv acrn.bin --out DIR
"""
import argparse
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
COMPONENT = os.path.dirname(HERE)
ROOT = os.path.dirname(COMPONENT)
KERNEL = "6.1.0-99-amd64"  # any name: the modules are only loaded, never run here
UUID = "5e1f0c2a-7d4b-4c3e-9a11-acf0000c0de1"

# The ISO is a CD: no partition map, no UUID search, GRUB's root stays on the CD.
PROBE = """#!/bin/sh
for arg; do case $arg in --target=*) target=${arg#--target=} ;; esac; done
case $target in
fs) echo iso9660 ;;
device) echo /dev/sr0 ;;
partmap | abstraction | compatibility_hint | hints_string) ;;
*) exit 1 ;;
esac
"""
# Paths inside the ISO tree are what GRUB sees.
RELPATH = """#!/bin/sh
echo "${1#%s}"
"""


def tap(ok, name, detail=""):
    print("%s - %s" % ("ok" if ok else "not ok", name), flush=True)
    if not ok:
        for line in detail.splitlines()[-30:]:
            print("#   " + line)
    return ok


def script(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)


def make_iso(args):
    tree = os.path.join(args.out, "iso")
    shutil.rmtree(args.out, ignore_errors=True)
    boot = os.path.join(tree, "boot")
    modules = os.path.join(args.out, "modules", KERNEL, "updates", "dkms")
    os.makedirs(os.path.join(boot, "grub"))
    os.makedirs(modules)
    shutil.copy(args.hv, os.path.join(boot, "acrn.bin"))
    for name, size in (("vmlinuz-" + KERNEL, 64 * 1024), ("initrd.img-" + KERNEL, 32 * 1024)):
        with open(os.path.join(boot, name), "wb") as f:
            f.write(bytes(range(256)) * (size // 256))
    open(os.path.join(modules, "acrn_hsm.ko"), "wb").close()
    probe = os.path.join(args.out, "grub-probe")
    relpath = os.path.join(args.out, "grub-mkrelpath")
    script(probe, PROBE)
    script(relpath, RELPATH % tree)
    env = dict(os.environ, grub_probe=probe, grub_mkrelpath=relpath, GRUB_DEVICE="/dev/sda1",
               GRUB_DEVICE_UUID=UUID, GRUB_DEVICE_BOOT="/dev/sr0", GRUB_DISTRIBUTOR="Debian",
               GRUB_CMDLINE_ACRN="loglevel=4", GRUB_CMDLINE_LINUX="console=ttyS0,115200",
               GRUB_CMDLINE_LINUX_DEFAULT="quiet", GRUB_DISABLE_SUBMENU="true",
               ACRN_GRUB_IMAGE=os.path.join(boot, "acrn.bin"), ACRN_GRUB_BOOT_DIR=boot,
               ACRN_GRUB_MODULES_DIR=os.path.join(args.out, "modules"),
               ACRN_GRUB_CONFIG=os.path.join(tree, "etc", "acrn", "acrn.conf"), LC_ALL="C")
    r = subprocess.run(["sh", os.path.join(COMPONENT, "25_acrn")], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, env=env)
    if r.returncode != 0 or "menuentry" not in r.stdout:
        raise RuntimeError("25_acrn failed:\n" + r.stdout + r.stderr)
    header = ["serial --unit=0 --speed=115200", "terminal_input serial",
              "terminal_output serial", "set timeout=0",
              # What 00_header defines for every later snippet.
              'menuentry_id_option="--id"']
    with open(os.path.join(boot, "grub", "grub.cfg"), "w") as f:
        f.write("\n".join(header) + "\n" + r.stdout)
    iso = os.path.join(args.out, "entry.iso")
    r = subprocess.run(["grub-mkrescue", "-o", iso, tree], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise RuntimeError("grub-mkrescue failed:\n" + r.stdout)
    cmdline = re.search(r"^\s*multiboot2\s+/boot/acrn\.bin\s+(.*)$", open(
        os.path.join(boot, "grub", "grub.cfg")).read(), re.M).group(1)
    return iso, cmdline


def boot(args, iso):
    serial = os.path.join(args.out, "serial.log")
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "qemu64", "-smp", "1", "-m", "256",
           "-nodefaults", "-display", "none", "-no-reboot", "-monitor", "none",
           "-cdrom", iso, "-boot", "d", "-serial", "file:" + serial]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + args.timeout
    text = ""
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
            text = open(serial, errors="replace").read() if os.path.exists(serial) else ""
            if re.search(r"halted|error:", text):
                time.sleep(0.5)
                break
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
    ap.add_argument("--hv", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()
    try:
        iso, cmdline = make_iso(args)
    except (RuntimeError, AttributeError) as e:
        tap(False, "qemu-tcg: an ISO with the generated entry", str(e))
        return 1
    log = boot(args, iso)
    ok = tap("ACRN-compatible hypervisor" in log and "error:" not in log,
             "qemu-tcg: GRUB runs the generated entry (multiboot2 acrn.bin, module2 kernel "
             "and initrd) without an error", log)
    ok &= tap("command line '%s'" % cmdline in log,
              "qemu-tcg: the hypervisor gets the entry's command line (%s)" % cmdline, log)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
