#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Builds a BIOS-bootable raw disk image of a Debian 12 system with the platform installed
from its packages, for the Service VM disk scenario (tests/e2e/scenarios.py).

  make-disk.py --debs DIR -o IMAGE [--add SRC:DEST[:MODE]]... [--cmdline TEXT]

From a copy of the cached test root (testroot.py: Debian's kernel, headers, grub-pc):

 1. /etc/default/grub gets a serial terminal, no menu timeout and GRUB_CMDLINE_LINUX=TEXT;
    initramfs-tools gets MODULES=list with the ATA disk's and ext4's modules, so the
    initramfs stays small; the --add files go in (e.g. a test init and its checker);
    GRUB's device probe (the stub the root has, see grub-probe-stub) answers /dev/sda1
    and the file system UUID the image will get.
 2. apt install of the .deb files: DKMS builds acrn_hsm and the package's own
    update-grub writes /boot/grub/grub.cfg, whose default must then be the ACRN entry
    (checked here); then update-initramfs and update-grub once more.
 3. The image: an MBR partition table (sfdisk) with one bootable Linux partition from
    1 MiB, an ext4 file system filled from the root with mke2fs -d (no loop device, no
    mount), GRUB's i386-pc modules in /boot/grub/i386-pc and GRUB's boot code in the MBR
    and the gap after it, as grub-install would put them: the root's own grub-mkimage
    (core.img finding /boot/grub by the file system's UUID) and grub-bios-setup with a
    device map naming the image file.

The image is a whole number of 16-head, 63-sector cylinders (what Bochs needs), is kept
in $ACRN_TEST_CACHE/svm-disk/ and rebuilt only when an input changes (the root's recipe,
this script, the packages, the added files, the command line). Prints the image path.
Needs root (chroot, mounts).
"""
import argparse
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import testroot  # noqa: E402
from testroot import CACHE, CHROOT, Mounts  # noqa: E402

DISK_DIR = os.path.join(CACHE, "svm-disk")
WORK_ROOT = os.path.join(DISK_DIR, "root")
FS_UUID = "5e1f0c2a-7d4b-4c3e-9a11-acf0000d15c1"
DISK_ID = "0xacf0d15c"
PART_START = 1 << 20                     # bytes: the partition starts at 1 MiB
CYLINDER = 16 * 63 * 512                 # Bochs' flat-image geometry unit
ENTRY_ID = "acrn-gnulinux-simple"
# What the Debian initramfs needs to mount the root file system from the ATA disk.
INITRAMFS_MODULES = ["ata_piix", "sd_mod", "ext4"]


def log(msg):
    print("# make-disk: " + msg, file=sys.stderr, flush=True)


def check(r, what):
    if r.returncode != 0:
        raise RuntimeError("%s failed:\n%s" % (what, r.stdout[-3000:]))
    return r


def chroot(*cmd):
    return testroot.chroot(WORK_ROOT, *cmd)


def inputs_key(debs, adds, cmdline):
    digest = hashlib.sha256()
    digest.update(testroot.recipe().encode())
    for path in (os.path.abspath(__file__), os.path.join(HERE, "testroot.py")):
        with open(path, "rb") as f:
            digest.update(f.read())
    for path in debs:
        with open(path, "rb") as f:
            digest.update(os.path.basename(path).encode() + hashlib.sha256(f.read()).digest())
    for src, dest, mode in adds:
        with open(src, "rb") as f:
            digest.update(("%s:%o:" % (dest, mode)).encode() + f.read())
    digest.update(cmdline.encode())
    return digest.hexdigest()


def set_vars(path, values):
    """Sets VAR="value" lines in a shell-style defaults file (replaced or appended)."""
    with open(path) as f:
        text = f.read()
    for var, value in values.items():
        line = '%s="%s"' % (var, value)
        text, n = re.subn(r"^#?\s*%s=.*$" % var, lambda m: line, text, count=1, flags=re.M)
        if not n:
            text += line + "\n"
    with open(path, "w") as f:
        f.write(text)


def configure(adds, cmdline):
    etc = os.path.join(WORK_ROOT, "etc")
    os.makedirs(os.path.join(etc, "acrn-tests"), exist_ok=True)
    with open(os.path.join(etc, "acrn-tests", "grub-probe.conf"), "w") as f:
        f.write("ROOT_DEVICE=/dev/sda1\nROOT_UUID=%s\nROOT_FS=ext2\n" % FS_UUID)
    # What a user of this machine would write into /etc/default/grub.
    set_vars(os.path.join(etc, "default", "grub"), {
        "GRUB_TIMEOUT": "0",
        "GRUB_TERMINAL": "serial",
        "GRUB_SERIAL_COMMAND": "serial --unit=0 --speed=115200",
        "GRUB_CMDLINE_LINUX": cmdline,
        "GRUB_CMDLINE_LINUX_DEFAULT": "",
    })
    with open(os.path.join(etc, "initramfs-tools", "conf.d", "acrn-svm-disk"), "w") as f:
        f.write("# Only the listed modules (the ATA disk, ext4), not MODULES=most\n"
                "MODULES=list\nCOMPRESS=gzip\n")
    with open(os.path.join(etc, "initramfs-tools", "modules"), "a") as f:
        f.write("".join(m + "\n" for m in INITRAMFS_MODULES))
    with open(os.path.join(etc, "fstab"), "w") as f:
        f.write("UUID=%s / ext4 ro 0 1\n" % FS_UUID)
    for src, dest, mode in adds:
        path = os.path.join(WORK_ROOT, dest.lstrip("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        shutil.copyfile(src, path)
        os.chmod(path, mode)


def install(debs):
    debdir = os.path.join(WORK_ROOT, "tmp", "acrn-debs")
    os.makedirs(debdir)
    for d in debs:
        shutil.copy(d, debdir)
    with Mounts(WORK_ROOT):
        check(chroot("apt-get", "install", "-y", "-q", "--no-install-recommends",
                     *["/tmp/acrn-debs/" + os.path.basename(d) for d in debs]),
              "apt install of the packages")
        check(chroot("update-initramfs", "-u", "-k", "all"), "update-initramfs")
        check(chroot("update-grub"), "update-grub")
    shutil.rmtree(debdir)
    with open(os.path.join(WORK_ROOT, "boot", "grub", "grub.cfg")) as f:
        cfg = f.read()
    defaults = [d for d in re.findall(r'^\s*set default="([^"]*)"', cfg, re.M)
                if not d.startswith("${")]
    entry = re.search(r"^menuentry [^\n]*'%s' \{\n(.*?)^\}" % ENTRY_ID, cfg, re.M | re.S)
    lines = [ln.split()[0] for ln in entry.group(1).splitlines()
             if ln.split() and ln.split()[0] in ("multiboot2", "module2")] if entry else []
    if defaults[-1:] != [ENTRY_ID] or lines != ["multiboot2", "module2", "module2"]:
        raise RuntimeError("grub.cfg: default %s, entry %s lines %s:\n%s"
                           % (defaults, ENTRY_ID, lines, cfg[-3000:]))


def install_grub_files(staged):
    """/boot/grub/i386-pc as grub-install fills it, and in STAGED (outside the root: they
    go on the boot track, not into the file system) boot.img and a core.img that finds
    /boot/grub by the file system's UUID, made by the root's own grub-mkimage."""
    grub_dir = os.path.join(WORK_ROOT, "boot", "grub", "i386-pc")
    lib = os.path.join(WORK_ROOT, "usr", "lib", "grub", "i386-pc")
    os.makedirs(grub_dir, exist_ok=True)
    for name in os.listdir(lib):
        if name.endswith((".mod", ".lst")):
            shutil.copy(os.path.join(lib, name), grub_dir)
    tmp = os.path.join(WORK_ROOT, "tmp")
    with open(os.path.join(tmp, "load.cfg"), "w") as f:
        f.write("search.fs_uuid %s root hd0,msdos1\nset prefix=($root)'/boot/grub'\n" % FS_UUID)
    check(chroot("grub-mkimage", "-O", "i386-pc", "-d", "/usr/lib/grub/i386-pc",
                 "-c", "/tmp/load.cfg", "-p", "/boot/grub", "-o", "/tmp/core.img",
                 "biosdisk", "part_msdos", "ext2", "search_fs_uuid"), "grub-mkimage")
    os.unlink(os.path.join(tmp, "load.cfg"))
    shutil.rmtree(staged, ignore_errors=True)
    os.makedirs(staged)
    shutil.move(os.path.join(tmp, "core.img"), staged)
    shutil.copy(os.path.join(lib, "boot.img"), staged)


def make_image(image, staged):
    used = int(subprocess.run(["du", "-sk", "--one-file-system", WORK_ROOT],
                              stdout=subprocess.PIPE, text=True, check=True).stdout.split()[0])
    want = PART_START + used * 1024 * 5 // 4 + (64 << 20)
    size = -(-want // CYLINDER) * CYLINDER
    part_bytes = (size - PART_START) // 4096 * 4096
    if os.path.exists(image):
        os.unlink(image)
    with open(image, "wb") as f:
        f.truncate(size)
    check(testroot.run(["sfdisk", "-q", "--no-reread", "--no-tell-kernel", image],
                       input="label: dos\nlabel-id: %s\nstart=%d, type=83, bootable\n"
                       % (DISK_ID, PART_START // 512)), "sfdisk")
    check(testroot.run(["mke2fs", "-q", "-F", "-t", "ext4", "-U", FS_UUID, "-L", "acrn-svm",
                        "-d", WORK_ROOT, "-E", "offset=%d" % PART_START,
                        image, "%dk" % (part_bytes // 1024)]), "mke2fs -d")
    # grub-bios-setup in the root, on the image file that a device map names as (hd0). It
    # also asks which disk holds its folder (core.img's), from /proc/self/mountinfo: a
    # small tmpfs whose source is the image's path answers "that disk", as a /boot/grub
    # on it would. The image and the folder sit in the root only for this step.
    inside = os.path.join(WORK_ROOT, "tmp", "disk.img")
    setup = os.path.join(WORK_ROOT, "tmp", "grub-setup")
    os.rename(image, inside)
    try:
        os.makedirs(setup)
        with Mounts(WORK_ROOT):
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "/tmp/disk.img", setup],
                           check=True)
            for name in os.listdir(staged):
                shutil.copy(os.path.join(staged, name), setup)
            with open(os.path.join(setup, "device.map"), "w") as f:
                f.write("(hd0) /tmp/disk.img\n")
            check(chroot("grub-bios-setup", "-d", "/tmp/grub-setup",
                         "-m", "/tmp/grub-setup/device.map", "/tmp/disk.img"),
                  "grub-bios-setup")
    finally:
        testroot.unmount_all_under(setup)
        os.rename(inside, image)
    check(testroot.run(["e2fsck", "-fn", "%s?offset=%d" % (image, PART_START)]),
          "e2fsck of the new file system")
    return size


def build(debs, adds, cmdline, image):
    key = inputs_key(debs, adds, cmdline)
    stamp = image + ".json"
    if os.path.exists(image) and os.path.exists(stamp):
        with open(stamp) as f:
            if json.load(f).get("key") == key:
                log("cached image %s is up to date" % image)
                return image, 0.0, True
    t0 = time.monotonic()
    spent = testroot.ensure_root()
    if spent:
        log("test root built in %.0f s" % spent)
    os.makedirs(DISK_DIR, exist_ok=True)
    testroot.remove_root(WORK_ROOT)
    if testroot.mounts_under(CHROOT):  # the debian tier is using it: no copy of its /dev
        raise RuntimeError("%s has file systems mounted in it" % CHROOT)
    log("copying the test root to %s" % WORK_ROOT)
    check(testroot.run(["cp", "-a", "--reflink=auto", CHROOT, WORK_ROOT]), "copy of the root")
    try:
        configure(adds, cmdline)
        log("installing %s" % " ".join(os.path.basename(d) for d in debs))
        install(debs)
        staged = os.path.join(DISK_DIR, "grub-boot")
        install_grub_files(staged)
        log("writing %s" % image)
        tmp_image = os.path.join(DISK_DIR, "disk.img.tmp")
        size = make_image(tmp_image, staged)
        shutil.move(tmp_image, image)
    finally:
        testroot.remove_root(WORK_ROOT)
        shutil.rmtree(os.path.join(DISK_DIR, "grub-boot"), ignore_errors=True)
    with open(stamp, "w") as f:
        json.dump({"key": key, "bytes": size, "fs_uuid": FS_UUID}, f)
    return image, time.monotonic() - t0, False


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--debs", required=True, help="folder with the .deb files to install")
    ap.add_argument("-o", "--output", default=os.path.join(DISK_DIR, "disk.img"))
    ap.add_argument("--add", action="append", default=[], metavar="SRC:DEST[:MODE]",
                    help="copy a file into the system (MODE octal, default 755)")
    ap.add_argument("--cmdline", default="", help="GRUB_CMDLINE_LINUX in /etc/default/grub")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("make-disk.py needs root (chroot, mounts)", file=sys.stderr)
        return 2
    r = testroot.run(["sh", os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts",
                                         "apt-ensure.sh"), "mmdebstrap", "fdisk", "e2fsprogs"])
    if r.returncode != 0:
        print(r.stdout, file=sys.stderr)
        return 1
    debs = sorted(os.path.join(args.debs, n) for n in os.listdir(args.debs) if n.endswith(".deb"))
    if not debs:
        print("no .deb files in %s" % args.debs, file=sys.stderr)
        return 1
    adds = []
    for a in args.add:
        parts = a.split(":")
        adds.append((parts[0], parts[1], int(parts[2], 8) if len(parts) > 2 else 0o755))
    os.makedirs(DISK_DIR, exist_ok=True)
    lock = open(os.path.join(DISK_DIR, "lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time: they share the work root
    try:
        image, seconds, cached = build(debs, adds, args.cmdline, os.path.abspath(args.output))
    except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
        print("make-disk.py: %s" % e, file=sys.stderr)
        return 1
    if not cached:
        log("image built in %.0f s" % seconds)
    print(image)
    return 0


if __name__ == "__main__":
    sys.exit(main())
