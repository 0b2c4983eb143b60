# SPDX-License-Identifier: BSD-3-Clause
"""The cached Debian 12 root shared by debian/tests/run (install, remove, purge) and
debian/tests/make-disk.py (the Service VM disk image): built by make-root.sh into
$ACRN_TEST_CACHE/debian12-root (default /var/cache/acrn-tests), outside the source tree,
and rebuilt only when make-root.sh or the grub-probe stub changes (a stamp beside it).
Needs root (mmdebstrap --mode=root, chroot, mounts)."""
import hashlib
import os
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.environ.get("ACRN_TEST_CACHE", "/var/cache/acrn-tests")
CHROOT = os.path.join(CACHE, "debian12-root")
STAMP = CHROOT + ".stamp"


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def chroot(root, *cmd, env=None):
    base = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive",
            "LC_ALL": "C.UTF-8", "HOME": "/root"}
    base.update(env or {})
    return run(["chroot", root] + list(cmd), env=base)


def recipe():
    """What the root is made from: make-root.sh and the grub-probe stub."""
    digest = hashlib.sha256()
    for name in ("make-root.sh", "grub-probe-stub"):
        with open(os.path.join(HERE, name), "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()


def ensure_root():
    """The cached root, rebuilt when its recipe changed. Returns seconds spent building."""
    want = recipe()
    if os.path.isdir(CHROOT) and os.path.exists(STAMP):
        with open(STAMP) as f:
            if f.read().strip() == want:
                return 0.0
    t0 = time.monotonic()
    unmount_all_under(CHROOT)
    print("# building the Debian 12 test root in %s (a few minutes, once)" % CHROOT, flush=True)
    os.makedirs(CACHE, exist_ok=True)
    r = run(["sh", os.path.join(HERE, "make-root.sh"), CHROOT])
    if r.returncode != 0:
        raise RuntimeError("make-root.sh failed:\n" + r.stdout[-3000:])
    with open(STAMP, "w") as f:
        f.write(want + "\n")
    return time.monotonic() - t0


def mounts_under(path):
    """Mount points at or below path, deepest first (from /proc/self/mountinfo)."""
    prefix = os.path.realpath(path)
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].encode().decode("unicode_escape")
            if point == prefix or point.startswith(prefix + "/"):
                found.append(point)
    return sorted(found, key=len, reverse=True)


def unmount_all_under(path):
    """Takes down whatever an interrupted run left mounted in a root. Nothing may stay:
    removing a root with the host's /dev bound inside it would remove the host's."""
    for point in mounts_under(path):
        subprocess.run(["umount", "-l", point])
    left = mounts_under(path)
    if left:
        raise RuntimeError("still mounted in the test root: %s" % ", ".join(left))


def remove_root(path):
    """Removes a root copy, never with anything mounted in it, never across file systems."""
    if os.path.lexists(path):
        unmount_all_under(path)
        subprocess.run(["rm", "-rf", "--one-file-system", path], check=True)


class Mounts:
    """/proc, /sys and /dev inside a root while a test uses it; always taken down, also
    when setting them up fails half-way."""

    def __init__(self, root=CHROOT):
        self.root = root

    def __enter__(self):
        unmount_all_under(self.root)
        try:
            for args in (["-t", "proc", "proc", "proc"], ["-t", "sysfs", "sysfs", "sys"],
                         ["--bind", "/dev", "dev"]):
                path = os.path.join(self.root, args[-1])
                subprocess.run(["mount"] + args[:-1] + [path], check=True)
        except (subprocess.CalledProcessError, OSError):
            unmount_all_under(self.root)
            raise
        return self

    def __exit__(self, *exc):
        unmount_all_under(self.root)
