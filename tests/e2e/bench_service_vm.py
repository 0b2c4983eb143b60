#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Service VM benchmark: what the hypervisor costs a booting and an idle Linux, on Bochs.

The same Debian kernel and benchmark initramfs boot twice on the same emulated machine:
GRUB -> Linux directly (the baseline) and GRUB -> acrn.bin -> Linux as the Service VM.
The initramfs prints the TSC at its first line. Under Bochs (`clock: sync=none`) the TSC
is emulated time, counted in instruction slots since reset, so it does not depend on how
busy this machine is; the ratio hypervisor/bare is the virtualization overhead of the
boot. The hypervisor's VM-exit counts per reason (and the emulated devices' access counts)
are taken through its shell right after the first line and again after 10 s of idle;
the difference is the idle cost.
"""
import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# loglevel=1: the hypervisor's own command line (loglevel=1) is appended to the kernel's in
# the hypervisor run, so the bare run gets it too; both kernels print the same.
# tsc_early_khz: Bochs' CPUID 0x16 claims 3.5 GHz while its TSC runs at the instruction
# rate (ips=50000000 in hvrun.py); the hypervisor tells its guest the measured rate through
# CPUID 0x15, and this gives the bare kernel the same, so both keep correct time and delays.
KERNEL_ARGS = ("console=ttyS0,115200 clearcpuid=aperfmperf quiet loglevel=1 "
               "tsc_early_khz=50000")


def payload(out):
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    import run_tests  # noqa: E402  (shares the kernel/initramfs builders)
    vmlinuz, _ = run_tests.service_vm_payload(out)
    initrd = os.path.join(out, "bench-initrd.cpio.gz")
    r = subprocess.run([sys.executable, os.path.join(HERE, "guest.py"), "initramfs", "-o", initrd,
                        "--init", os.path.join(HERE, "initramfs", "bench-init"),
                        "--add", os.path.join(out, "e2e", "svm-check") + ":/bin/svm-check"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        sys.exit("bench: cannot build the initramfs:\n" + r.stdout)
    return vmlinuz, initrd


def parse_exits(text):
    """{vcpu: {reason name: count}} from the hypervisor's exit table."""
    table, vcpu = {}, None
    for line in text.splitlines():
        m = re.match(r"VM \d+ vCPU (\d+): \d+ exits", line)
        if m:
            vcpu = int(m.group(1))
            table[vcpu] = {}
            continue
        m = re.match(r"\s+\d+\s+(.+?)\s+(\d+)\s+(\d+) cycles/exit", line)
        if m and vcpu is not None:
            table[vcpu][m.group(1)] = int(m.group(2))
    return table


def boot(hv, out, cpus, modules, bare, hv_options=()):
    args = [sys.executable, os.path.join(HERE, "hvrun.py"), "--quiet", "--hv", hv, "--out", out,
            "--cpus", str(cpus), "--timeout", "900",
            "--cmdline", " ".join(["loglevel=1"] + list(hv_options)),
            "--expect", r"BENCH: first line tsc=\d+", "--expect", "BENCH: done",
            "--require-power-off"] + modules
    if bare:
        args += ["--bare-linux", "--send", r"BENCH: idle 10 s=\r", "--send", r"BENCH: idle over=\r"]
    else:
        args += ["--send", r"BENCH: idle 10 s=\x00time\rvmexit\rio\r\x00\r",
                 "--send", r"BENCH: idle over=\x00vmexit\rio\r\x00\r",
                 "--expect", "ACPI S5 requested by the Service VM"]
    t0 = time.monotonic()
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.monotonic() - t0
    serial = open(os.path.join(out, "serial.log"), errors="replace").read()
    m = re.search(r"BENCH: first line tsc=(\d+)", serial)
    if r.returncode != 0 or not m:
        sys.exit("bench: run failed (%s):\n%s" % (out, r.stdout[-2000:]))
    res = {"tsc": int(m.group(1)), "wall": wall,
           "uptime": float(re.search(r"BENCH: uptime ([\d.]+) s", serial).group(1))}
    if not bare:
        res["handoff"] = int(re.search(r"GRUB started the hypervisor at TSC (\d+)", serial).group(1))
        # Two snapshots through the shell: one second after the first line, and after the
        # 10 s idle (before the power-off, whose own exits are not idle).
        text = serial.partition("ACPI S5 requested by the Service VM")[0]
        starts = [m.start() for m in re.finditer(r"VM \d+ vCPU 0: \d+ exits", text)]
        if len(starts) < 2:
            sys.exit("bench: the shell's exit tables are missing in %s" % out)
        res["boot_exits"] = parse_exits(text[starts[0]:starts[1]])
        res["final_exits"] = parse_exits(text[starts[1]:])
        ios = re.findall(r"emulated ranges of VM \d+.*?(?=ACRN:|\Z)", serial, re.S)
        res["io"] = [parse_io(t) for t in ios[:2]]
    return res


def parse_io(text):
    """{range name: accesses} from the shell's `io` table."""
    out = {}
    for m in re.finditer(r"^\s+(port|mmio)\s+(0x[0-9a-f]+)-(0x[0-9a-f]+)\s+(.+?)\s+(\d+)\s*$", text, re.M):
        out["%s %s %s" % (m.group(1), m.group(2), m.group(4))] = int(m.group(5))
    return out


def total_by_reason(table):
    out = {}
    for per_vcpu in table.values():
        for reason, n in per_vcpu.items():
            out[reason] = out.get(reason, 0) + n
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hv", default="build/hypervisor/acrn.bin")
    ap.add_argument("--out", default="build/bench-svm")
    ap.add_argument("--cpus", type=int, action="append", default=None)
    ap.add_argument("--hv-option", action="append", default=[],
                    help="one more hypervisor command-line option for the hypervisor run, "
                         "e.g. apicv=vid or apicv=off")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    vmlinuz, initrd = payload(args.out)
    modules = ["--module", "%s=Linux_bzImage %s" % (vmlinuz, KERNEL_ARGS),
               "--module", "%s=Linux_initrd" % initrd]
    for cpus in args.cpus or [1]:
        bare = boot(args.hv, os.path.join(args.out, "%dcpu-bare" % cpus), cpus, modules, True)
        hv = boot(args.hv, os.path.join(args.out, "%dcpu-hv" % cpus), cpus, modules, False,
                  args.hv_option)
        print("Reset -> initramfs first line, %d CPU(s) (Bochs corei7_skylake_x, 512 MiB, "
              "TSC = emulated instruction slots)" % cpus)
        print("  bare Linux          %14d" % bare["tsc"])
        print("  under the hypervisor %13d   ratio %.3f" % (hv["tsc"], hv["tsc"] / bare["tsc"]))
        # BIOS and GRUB take the same time in both runs (GRUB loads 0.1 MiB more for the
        # hypervisor): the hypervisor's hand-off TSC stands for both.
        start = hv["handoff"]
        print("GRUB hand-off (TSC %d, measured in the hypervisor run) -> first line:" % start)
        print("  bare Linux          %14d" % (bare["tsc"] - start))
        print("  under the hypervisor %13d   ratio %.3f" % (
            hv["tsc"] - start, (hv["tsc"] - start) / (bare["tsc"] - start)))
        print("Linux's own uptime at the first line: bare %.2f s, hypervisor %.2f s, ratio %.3f" % (
            bare["uptime"], hv["uptime"], hv["uptime"] / bare["uptime"]))
        boot_exits = total_by_reason(hv["boot_exits"])
        final = total_by_reason(hv["final_exits"])
        print("  VM exits until the first line (all vCPUs), and in the 10 s idle after it:")
        print("    %-22s %10s %10s" % ("reason", "boot", "idle"))
        for reason in sorted(final, key=lambda k: -final[k]):
            print("    %-22s %10d %10d" % (reason, boot_exits.get(reason, 0),
                                          final[reason] - boot_exits.get(reason, 0)))
        if len(hv["io"]) == 2:
            print("  Emulated-device accesses during the boot, and during the 10 s idle:")
            boot_io, after = hv["io"]
            for name in sorted(after, key=lambda k: -after[k]):
                if after[name]:
                    print("    %-44s %8d %8d" % (name, boot_io.get(name, 0),
                                                  after[name] - boot_io.get(name, 0)))
        print("  wall: bare %.0f s, hypervisor %.0f s" % (bare["wall"], hv["wall"]))


if __name__ == "__main__":
    main()
