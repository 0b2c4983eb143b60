#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Runs every test tier and prints one summary line: "N passed, M failed".

Tiers: build (warnings are errors), image checks, host unit tests (cmocka,
ASan + UBSan, one result per test case), emulated-machine scenarios (Bochs
with VT-x, QEMU TCG without), and with --format-check the clang-format check.
Exit status 0 only when nothing failed.
"""
import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import scenarios  # noqa: E402


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def record(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("PASS %s" % name, flush=True)
        else:
            self.failed.append(name)
            print("FAIL %s%s" % (name, ("\n     " + detail.strip().replace("\n", "\n     "))
                                 if detail else ""), flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, **kw)


def tier_build(res, build):
    r = run(["make", "-C", "hypervisor", "O=%s/hypervisor" % build, "-s"])
    res.record("build: acrn.bin with -Wall -Wextra -Werror", r.returncode == 0, r.stdout[-3000:])
    return r.returncode == 0


def tier_image(res, build):
    image = os.path.join(build, "hypervisor", "acrn.bin")
    elf = os.path.join(build, "hypervisor", "acrn.elf")
    r = run(["grub-file", "--is-x86-multiboot2", image])
    res.record("image: grub-file --is-x86-multiboot2 acrn.bin", r.returncode == 0, r.stdout)
    r = run(["readelf", "-lW", elf])
    wx = [ln for ln in r.stdout.splitlines() if "LOAD" in ln and "RWE" in ln]
    res.record("image: no segment is both writable and executable", r.returncode == 0 and not wx,
               "\n".join(wx) or r.stdout)


def tier_unit(res, build):
    out = os.path.join(build, "hypervisor")
    r = run(["make", "-C", "hypervisor", "O=%s" % out, "-s", "unit-tests"])
    if r.returncode != 0:
        res.record("unit: build of the host tests", False, r.stdout[-3000:])
        return
    tests_dir = os.path.join(out, "tests")
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP")
    for name in sorted(os.listdir(tests_dir)):
        path = os.path.join(tests_dir, name)
        if not name.startswith("test_") or not os.access(path, os.X_OK):
            continue
        r = subprocess.run([path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env=env, timeout=600)
        cases = re.findall(r"^(ok|not ok) \d+ - (\S+)", r.stdout, re.M)
        for status, case in cases:
            res.record("unit: %s.%s" % (name[5:], case), status == "ok",
                       "" if status == "ok" else r.stdout[-3000:])
        if not cases or (r.returncode != 0 and all(s == "ok" for s, _ in cases)):
            # A crash (sanitizer report) can end the binary before TAP says so.
            res.record("unit: %s exited cleanly" % name[5:], False, r.stdout[-3000:])


def svm_check(build):
    """The static checker the Service VM tests run (initramfs/svm-check.c)."""
    os.makedirs(os.path.join(build, "e2e"), exist_ok=True)
    checker = os.path.join(build, "e2e", "svm-check")
    r = run(["gcc", "-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-static", "-o", checker,
             os.path.join(ROOT, "tests", "e2e", "initramfs", "svm-check.c")])
    if r.returncode != 0:
        raise RuntimeError("cannot build svm-check:\n" + r.stdout)
    return checker


def service_vm_payload(build):
    """Debian's kernel (cached outside the tree) and the test initramfs with its checker."""
    guest = os.path.join(ROOT, "tests", "e2e", "guest.py")
    initramfs_dir = os.path.join(ROOT, "tests", "e2e", "initramfs")
    r = run([sys.executable, guest, "kernel"])
    if r.returncode != 0:
        raise RuntimeError("cannot get Debian's kernel:\n" + r.stdout)
    vmlinuz = r.stdout.split()[1]
    checker = svm_check(build)
    initrd = os.path.join(build, "e2e", "service-vm-initrd.cpio.gz")
    r = run([sys.executable, guest, "initramfs", "-o", initrd, "--init",
             os.path.join(initramfs_dir, "service-vm-init"), "--add", checker + ":/bin/svm-check"])
    if r.returncode != 0:
        raise RuntimeError("cannot build the initramfs:\n" + r.stdout)
    return vmlinuz, initrd


def service_vm_modules(payload, kernel_args):
    vmlinuz, initrd = payload
    return ["--module", "%s=Linux_bzImage %s %s" % (vmlinuz, scenarios.SERVICE_VM_KERNEL_ARGS,
                                                    kernel_args),
            "--module", "%s=Linux_initrd" % initrd]


def service_vm_disk(build, since):
    """The Service VM disk image (debian/tests/make-disk.py, cached outside the tree) with
    this tree's packages: those the debian component built in this run (since: when the
    run started), else built here."""
    debs = os.path.join(build, "debian", "deb")
    names = [n for n in os.listdir(debs) if n.endswith(".deb")] if os.path.isdir(debs) else []
    if since is None or not names or any(os.path.getmtime(os.path.join(debs, n)) < since
                                         for n in names):
        debs = os.path.join(build, "e2e", "deb")
        r = run(["sh", os.path.join(ROOT, "debian", "build-deb.sh"), debs])
        if r.returncode != 0:
            raise RuntimeError("make deb failed:\n" + r.stdout[-3000:])
    t0 = time.monotonic()
    r = run([sys.executable, os.path.join(ROOT, "debian", "tests", "make-disk.py"),
             "--debs", debs, "--cmdline", scenarios.SVM_DISK_KERNEL_ARGS,
             "--add", svm_check(build) + ":/usr/local/bin/svm-check",
             "--add", os.path.join(ROOT, "tests", "e2e", "svm-disk-init") +
             ":/usr/local/sbin/acrn-svm-disk-init"])
    if r.returncode != 0:
        raise RuntimeError("cannot build the disk image:\n" + r.stdout[-3000:])
    print("     disk image: %.0f s (%s)" % (time.monotonic() - t0,
                                            "cached" if "is up to date" in r.stdout else "built"),
          flush=True)
    return r.stdout.strip().splitlines()[-1]


def tier_machine(res, build, only, since=None):
    image = os.path.join(build, "hypervisor", "acrn.bin")
    sos_payload = None
    disk = disk_error = None
    for sc in scenarios.SCENARIOS:
        if only and not re.search(only, sc["name"]):
            continue
        out = os.path.join(build, "e2e", sc["name"])
        extra = []
        if sc.get("disk"):
            if os.geteuid() != 0:
                print("SKIP machine: %s (building the disk image needs root)" % sc["name"],
                      flush=True)
                continue
            try:
                if disk_error:
                    raise RuntimeError(disk_error)
                disk = disk or service_vm_disk(build, since)
            except RuntimeError as e:
                disk_error = str(e)
                res.record("machine: %s" % sc["name"], False, disk_error)
                continue
            extra = ["--disk", disk]
        if "service_vm" in sc:
            try:
                sos_payload = sos_payload or service_vm_payload(build)
            except RuntimeError as e:
                res.record("machine: %s" % sc["name"], False, str(e))
                continue
            extra = service_vm_modules(sos_payload, sc["service_vm"])
        cmd = [sys.executable, os.path.join(ROOT, "tests", "e2e", "hvrun.py"), "--quiet",
               "--hv", image, "--out", out] + sc["args"] + extra
        t0 = time.monotonic()
        r = run(cmd)
        last = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
        detail = ""
        if r.returncode != 0:
            serial = os.path.join(out, "serial.log")
            tail = ""
            if os.path.exists(serial):
                with open(serial, errors="replace") as f:
                    tail = "".join(f.readlines()[-25:])
            detail = r.stdout[-1500:] + "\n--- serial log tail ---\n" + tail
        res.record("machine: %s (%.0f s)" % (sc["name"], time.monotonic() - t0),
                   r.returncode == 0, detail or "")
        if r.returncode != 0 and last:
            print("     " + last)


# Components outside the hypervisor plug in with an executable <dir>/tests/run that
# prints one TAP line per test ("ok - name" / "not ok - name") and exits non-zero on
# failure. It gets its build folder in $BUILD_DIR.
COMPONENTS = ["ivshmem-sdk", "samples", "hsm-dkms", "acrn-dm", "grub.d", "debian"]


def tier_components(res, build):
    for comp in COMPONENTS:
        script = os.path.join(ROOT, comp, "tests", "run")
        if not os.access(script, os.X_OK):
            continue
        env = dict(os.environ, BUILD_DIR=os.path.join(build, comp))
        try:
            r = subprocess.run([script], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=env, timeout=2400)
            out, code = r.stdout, r.returncode
        except subprocess.TimeoutExpired as e:
            out, code = (e.stdout or b"").decode(errors="replace") + "\n(timed out)", -1
        cases = re.findall(r"^(ok|not ok)(?: \d+)?(?: -)? (.+)$", out, re.M)
        for status, name in cases:
            res.record("%s: %s" % (comp, name.strip()), status == "ok",
                       "" if status == "ok" else out[-3000:])
        if code != 0 and all(s == "ok" for s, _ in cases):
            res.record("%s: tests/run exited with %d" % (comp, code), False, out[-3000:])


def tier_format(res):
    files = run(["git", "ls-files", "*.c", "*.h"]).stdout.split()
    r = run(["clang-format", "--dry-run", "-Werror"] + files)
    res.record("format: clang-format --dry-run -Werror (%d files)" % len(files),
               r.returncode == 0, r.stdout[-3000:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--format-check", action="store_true")
    ap.add_argument("--only", default=None, help="regex: run only matching machine scenarios")
    ap.add_argument("--skip-machine", action="store_true")
    ap.add_argument("--component", default=None,
                    help="run only the tests/run of this component (e.g. ivshmem-sdk)")
    args = ap.parse_args()

    res = Results()
    start = time.monotonic()
    start_wall = time.time()
    if args.component:
        COMPONENTS[:] = [args.component]
        tier_components(res, args.build)
        print("%d passed, %d failed" % (res.passed, len(res.failed)))
        return 1 if res.failed else 0
    if args.format_check:
        tier_format(res)
    if tier_build(res, args.build):
        tier_image(res, args.build)
        tier_unit(res, args.build)
        tier_components(res, args.build)
        if not args.skip_machine:
            tier_machine(res, args.build, args.only, since=start_wall)
    print("\ntests took %.0f s" % (time.monotonic() - start))
    if res.failed:
        print("failed: " + ", ".join(res.failed))
    print("%d passed, %d failed" % (res.passed, len(res.failed)))
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
