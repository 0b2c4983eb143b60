#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Boot-cost benchmark: GRUB's hand-off to "every CPU in VMX root" on Bochs.

Under Bochs with `clock: sync=none` the TSC advances one tick per emulated
instruction slot of each CPU, so the hypervisor's own TSC delta is an
instruction count that does not depend on how loaded this machine is. Each
configuration runs twice: with the default log level (the 115200-baud console
output dominates) and with loglevel=1 (only the bring-up work). Figures are
printed with ratios against the 1-CPU quiet run of the same invocation.
"""
import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def boot(hv, out, cpus, loglevel):
    cmdline = "shell_cmds=time;poweroff" + (" loglevel=%d" % loglevel if loglevel else "")
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, os.path.join(HERE, "hvrun.py"), "--quiet", "--hv", hv,
                        "--out", out, "--cpus", str(cpus), "--cmdline", cmdline,
                        "--expect", r"bring-up: \d+ TSC ticks", "--expect", "power",
                        "--require-power-off", "--timeout", "300"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.monotonic() - t0
    with open(os.path.join(out, "serial.log"), errors="replace") as f:
        serial = f.read()
    m = re.search(r"bring-up: (\d+) TSC ticks \((\d+) us\)", serial)
    if r.returncode != 0 or not m:
        sys.exit("bench: run failed (%s):\n%s" % (out, r.stdout[-2000:]))
    total = re.search(r'"emulated_ticks": (\d+)', open(os.path.join(out, "result.json")).read())
    return {"ticks": int(m.group(1)), "us": int(m.group(2)), "wall": wall,
            "total_ticks": int(total.group(1)) if total else 0}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hv", default="build/hypervisor/acrn.bin")
    ap.add_argument("--out", default="build/bench")
    args = ap.parse_args()

    rows = []
    for cpus in (1, 4):
        for loglevel, label in ((1, "loglevel=1"), (0, "default log")):
            res = boot(args.hv, os.path.join(args.out, "%dcpu-log%d" % (cpus, loglevel)),
                       cpus, loglevel)
            rows.append((cpus, label, res))
    base = rows[0][2]["ticks"]
    print("hand-off -> all CPUs in VMX root (Bochs corei7_skylake_x, 512 MiB)")
    print("%-5s %-12s %14s %9s %8s %12s %16s" % ("CPUs", "console", "TSC ticks", "emul.us",
                                                 "ratio", "wall (s)", "whole-run ticks"))
    for cpus, label, r in rows:
        print("%-5d %-12s %14d %9d %7.2fx %12.1f %16d" % (cpus, label, r["ticks"], r["us"],
                                                       r["ticks"] / base, r["wall"],
                                                       r["total_ticks"]))
    size = os.path.getsize(args.hv)
    print("acrn.bin: %d bytes (%.1f KiB)" % (size, size / 1024))


if __name__ == "__main__":
    main()
