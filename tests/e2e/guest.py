#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Guest pieces for emulated-machine tests: Debian's own kernel and a busybox initramfs.

  guest.py kernel [--flavour amd64]       -> prints "VERSION VMLINUZ MODULES_DIR"
  guest.py initramfs -o OUT.cpio.gz --init SCRIPT [--add SRC:DEST]... [--module NAME.ko]...

The kernel is the unmodified package from Debian's archive (`apt-get download`),
unpacked once into a cache outside the source tree ($ACRN_TEST_CACHE, default
/var/cache/acrn-tests). The initramfs holds busybox-static, /dev/console, the
given /init and files, and any kernel modules named (from that kernel).
"""
import argparse
import glob
import gzip
import io
import os
import shutil
import stat
import subprocess
import sys

CACHE = os.environ.get("ACRN_TEST_CACHE", "/var/cache/acrn-tests")
BUSYBOX = "/bin/busybox"


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, **kw).stdout


def kernel_package(flavour):
    """The versioned package the metapackage linux-image-<flavour> points at."""
    out = run(["apt-cache", "depends", "linux-image-" + flavour])
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Depends: linux-image-"):
            return line.split()[1]
    raise RuntimeError("cannot resolve linux-image-" + flavour)


def debian_kernel(flavour="amd64"):
    """Returns (version, vmlinuz path, modules dir), downloading once."""
    pkg = kernel_package(flavour)
    version = pkg[len("linux-image-"):]
    root = os.path.join(CACHE, "kernel", version)
    vmlinuz = os.path.join(root, "boot", "vmlinuz-" + version)
    if not os.path.exists(vmlinuz):
        dl = os.path.join(CACHE, "debs")
        os.makedirs(dl, exist_ok=True)
        debs = glob.glob(os.path.join(dl, pkg + "_*.deb"))
        if not debs:
            try:
                run(["apt-get", "download", pkg], cwd=dl)
            except subprocess.CalledProcessError:
                run(["apt-get", "update", "-q"])
                run(["apt-get", "download", pkg], cwd=dl)
            debs = glob.glob(os.path.join(dl, pkg + "_*.deb"))
        tmp = root + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        run(["dpkg-deb", "-x", debs[0], tmp])
        shutil.rmtree(root, ignore_errors=True)
        os.rename(tmp, root)
    return version, vmlinuz, os.path.join(root, "lib", "modules", version)


class Cpio:
    """Writes a newc cpio archive (what the kernel's initramfs unpacker reads)."""

    def __init__(self):
        self.buf = io.BytesIO()
        self.ino = 1

    def _entry(self, name, mode, data=b"", rdev=(0, 0)):
        name_b = name.encode() + b"\0"
        hdr = "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x" % (
            self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0)
        self.ino += 1
        self.buf.write(hdr.encode() + name_b)
        self.buf.write(b"\0" * ((4 - (110 + len(name_b)) % 4) % 4))
        self.buf.write(data)
        self.buf.write(b"\0" * ((4 - len(data) % 4) % 4))

    def dir(self, name):
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name, data, mode=0o644):
        self._entry(name, stat.S_IFREG | mode, data)

    def symlink(self, name, target):
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, name, major, minor):
        self._entry(name, stat.S_IFCHR | 0o600, rdev=(major, minor))

    def finish(self):
        self._entry("TRAILER!!!", 0)
        return self.buf.getvalue()


def build_initramfs(out, init_script, adds=(), modules=(), modules_dir=None):
    if not os.path.exists(BUSYBOX):
        raise RuntimeError("busybox-static is not installed (%s missing)" % BUSYBOX)
    c = Cpio()
    for d in ("bin", "sbin", "dev", "proc", "sys", "tmp", "etc", "lib", "lib/modules", "mnt",
              "usr", "usr/bin", "usr/sbin", "root", "run"):
        c.dir(d)
    c.chardev("dev/console", 5, 1)
    c.chardev("dev/null", 1, 3)
    with open(BUSYBOX, "rb") as f:
        c.file("bin/busybox", f.read(), 0o755)
    applets = run([BUSYBOX, "--list-full"]).split()
    for a in applets:
        if a != "bin/busybox" and a.count("/") >= 1:
            c.symlink(a, "/bin/busybox")
    with open(init_script, "rb") as f:
        c.file("init", f.read(), 0o755)
    made = set()
    for spec in adds:
        src, _, dest = spec.partition(":")
        dest = dest.lstrip("/")
        parts = dest.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            p = "/".join(parts[:i])
            if p and p not in made:
                c.dir(p)
                made.add(p)
        with open(src, "rb") as f:
            c.file(dest, f.read(), os.stat(src).st_mode & 0o777)
    for name in modules:
        found = glob.glob(os.path.join(modules_dir, "**", name + "*"), recursive=True)
        if not found:
            raise RuntimeError("module %s not in %s" % (name, modules_dir))
        data = open(found[0], "rb").read()
        if found[0].endswith(".xz"):
            import lzma
            data = lzma.decompress(data)
        c.file("lib/modules/" + name, data)
    with open(out, "wb") as f:
        f.write(gzip.compress(c.finish(), compresslevel=6))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    k = sub.add_parser("kernel")
    k.add_argument("--flavour", default="amd64")
    i = sub.add_parser("initramfs")
    i.add_argument("-o", "--out", required=True)
    i.add_argument("--init", required=True, help="script to run as /init")
    i.add_argument("--add", action="append", default=[], metavar="SRC:DEST")
    i.add_argument("--module", action="append", default=[], metavar="NAME.ko",
                   help="module from the cached Debian kernel, put in /lib/modules/")
    i.add_argument("--flavour", default="amd64")
    args = ap.parse_args()
    if args.cmd == "kernel":
        version, vmlinuz, mods = debian_kernel(args.flavour)
        print(version, vmlinuz, mods)
    else:
        mods = debian_kernel(args.flavour)[2] if args.module else None
        build_initramfs(args.out, args.init, args.add, args.module, mods)
    return 0


if __name__ == "__main__":
    sys.exit(main())
