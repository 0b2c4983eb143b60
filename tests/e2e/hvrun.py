#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Boot acrn.bin on an emulated machine and judge the run from its serial log.

Builds a BIOS GRUB ISO (grub-mkrescue) holding acrn.bin and any modules, or with
--disk boots a given BIOS-bootable raw disk image instead (its own GRUB and grub.cfg),
runs Bochs (the emulator with VT-x) or QEMU TCG headless with N CPUs and M MiB,
captures the serial console to a file, watches for pass/fail markers, enforces
a timeout and always ends the emulator it started. The result is printed and
written to result.json in the output folder.

Exit codes: 0 pass, 1 fail, 2 timeout, 3 no verdict (emulator ended early).
"""
import argparse
import json
import os
import pty
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import termios
import time
import tty

ALWAYS_FAIL = [
    r"HYPERVISOR PANIC",
    r"^error: ",            # GRUB
    r"Kernel panic",
    r"\*\*\* VM \d+ \(.*\) failed",  # the hypervisor stopped a guest
    r"hypervisor stopped",
]
BOCHS_POWER_OFF = "ACPI control: soft power off"
QEMU_DEBUG_EXIT_PORT = 0xF4


def grub_quote(text):
    """Single-quote for grub.cfg so ';' and '"' reach the kernel unchanged."""
    return "'" + text.replace("'", "'\\''") + "'"


def bare_linux_entry(root, modules):
    """The same kernel and initrd booted by GRUB directly (no hypervisor), for comparisons."""
    lines = ["menuentry 'Linux without the hypervisor' {"]
    for path, string in modules:
        words = shlex.split(string)
        name = os.path.basename(path)
        shutil.copy(path, os.path.join(root, "boot", name))
        if words and words[0] == "Linux_bzImage":
            lines.append("  linux /boot/%s %s" % (name, " ".join(grub_quote(w) for w in words[1:])))
        elif words and words[0] == "Linux_initrd":
            lines.append("  initrd /boot/%s" % name)
    return lines + ["}"]


def build_iso(out, hv_image, cmdline, modules, bare=False):
    root = os.path.join(out, "iso")
    os.makedirs(os.path.join(root, "boot", "grub"), exist_ok=True)
    lines = [
        "serial --unit=0 --speed=115200",
        "terminal_input serial console",
        "terminal_output serial console",
        "set timeout=0",
    ]
    if bare:
        lines += bare_linux_entry(root, modules)
        modules = []
    else:
        shutil.copy(hv_image, os.path.join(root, "boot", "acrn.bin"))
        lines += [
            "menuentry 'ACRN hypervisor' {",
            # One GRUB word per option: GRUB re-quotes words with blanks as "..." itself.
            "  multiboot2 /boot/acrn.bin " + " ".join(grub_quote(w) for w in shlex.split(cmdline)),
        ]
    for i, (path, string) in enumerate(modules):
        name = "mod%d-%s" % (i, os.path.basename(path))
        shutil.copy(path, os.path.join(root, "boot", name))
        words = " ".join(grub_quote(w) for w in shlex.split(string))
        lines.append("  module2 /boot/%s %s" % (name, words))
    if not bare:
        lines.append("}")
    with open(os.path.join(root, "boot", "grub", "grub.cfg"), "w") as f:
        f.write("\n".join(lines) + "\n")
    iso = os.path.join(out, "boot.iso")
    r = subprocess.run(["grub-mkrescue", "-o", iso, root], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise RuntimeError("grub-mkrescue failed:\n" + r.stdout)
    return iso


# Bochs wants a flat disk image's geometry; 16 heads and 63 sectors per track are what its
# BIOS translates (LBA), so an image must be a whole number of these cylinders.
DISK_HEADS, DISK_SPT = 16, 63
DISK_CYLINDER = DISK_HEADS * DISK_SPT * 512


def bochs_drive(out, boot_media):
    """The ata0-master line and boot device: ("cdrom", ISO) or ("disk", raw image). A disk
    is volatile: the guest's writes go to a redo log in the output folder, never into the
    image, so a cached image boots the same way every time."""
    kind, path = boot_media
    if kind == "disk":
        size = os.path.getsize(path)
        if size % DISK_CYLINDER:
            raise RuntimeError("%s: %d bytes is not a multiple of %d (16 heads x 63 sectors)"
                               % (path, size, DISK_CYLINDER))
        return ("ata0-master: type=disk, path=%s, mode=volatile, journal=%s, cylinders=%d, "
                "heads=%d, spt=%d" % (path, os.path.join(out, "disk.redolog"),
                                      size // DISK_CYLINDER, DISK_HEADS, DISK_SPT), "disk")
    return "ata0-master: type=cdrom, path=%s, status=inserted" % path, "cdrom"


def bochs_config(out, boot_media, args, serial_line):
    msrs = os.path.join(out, "msrs.def")
    with open(msrs, "w") as f:
        # Bochs 2.7's newer models lack IA32_MISC_ENABLE; later Service VM kernels read it.
        f.write("0x1a0 0 00000000 00000001 00000000 00000000 00000000 00000000\n")
    cfg = os.path.join(out, "bochsrc")
    with open(cfg, "w") as f:
        f.write("""megs: %d
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
cpu: model=%s, count=%d, ips=50000000, quantum=16, reset_on_triple_fault=0, msrs="%s"
%s
boot: %s
display_library: rfb, options="timeout=0"
com1: enabled=1, %s
port_e9_hack: enabled=1
speaker: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
clock: sync=none, time0=local
log: %s
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
""" % ((args.mem, args.cpu_model, args.cpus, msrs) + bochs_drive(out, boot_media) + (serial_line,
            os.path.join(out, "bochs.log"))))
    rc = os.path.join(out, "dbgcmds")
    with open(rc, "w") as f:
        f.write("continue\nquit\n")
    return ["bochs", "-q", "-f", cfg, "-rc", rc]


def qemu_command(out, boot_media, args, serial_arg):
    kind, path = boot_media
    media = (["-drive", "file=%s,format=raw,if=ide,index=0,snapshot=on" % path, "-boot", "c"]
             if kind == "disk" else ["-cdrom", path, "-boot", "d"])
    return ["qemu-system-x86_64", "-accel", "tcg", "-cpu", args.cpu_model or "qemu64",
            "-smp", str(args.cpus), "-m", str(args.mem)] + media + [
            "-display", "none", "-vga", "none", "-no-reboot", "-serial", serial_arg,
            "-monitor", "none", "-nic", "none",
            "-device", "isa-debug-exit,iobase=0x%x,iosize=4" % QEMU_DEBUG_EXIT_PORT]


class Run:
    """One emulator process in its own session, always ended by stop()."""

    def __init__(self, cmd, out, stdin=subprocess.DEVNULL):
        self.stdout_path = os.path.join(out, "emulator.out")
        self.stdout = open(self.stdout_path, "w")
        self.proc = subprocess.Popen(cmd, stdin=stdin, stdout=self.stdout,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, grace=2.0):
        """SIGINT (Bochs prints its tick count), then SIGTERM, then SIGKILL."""
        for sig, wait in ((signal.SIGINT, grace), (signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
            if not self.alive():
                break
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(wait)
            except subprocess.TimeoutExpired:
                pass
        self.stdout.close()

    def output(self):
        with open(self.stdout_path, errors="replace") as f:
            return f.read()


def instruction_count(text):
    """Bochs prints '(0).[N]' (the tick count) when its debugger stops."""
    ticks = re.findall(r"\(0\)\.\[(\d+)\]", text)
    return int(ticks[-1]) if ticks else None


class Watch:
    """Matches serial lines against expected (in order), done and failure patterns."""

    def __init__(self, expect, done, fail):
        self.expect = [re.compile(p) for p in expect]
        self.done = re.compile(done) if done else None
        self.fail = [re.compile(p, re.M) for p in fail + ALWAYS_FAIL]
        self.next = 0
        self.marks = []
        self.verdict = None
        self.reason = ""

    def line(self, text, t):
        for f in self.fail:
            if f.search(text):
                self.verdict, self.reason = "fail", "failure marker: " + text.strip()
                return
        if self.next < len(self.expect) and self.expect[self.next].search(text):
            self.marks.append({"marker": self.expect[self.next].pattern, "seconds": round(t, 2)})
            self.next += 1
        if self.next == len(self.expect):
            if self.done is None or self.done.search(text):
                self.verdict, self.reason = "pass", "all markers seen"


def follow(run, serial_path, watch, timeout, start, echo=False):
    """Reads new serial output every 50 ms until a verdict, the timeout, or the emulator ends."""
    pos, partial = 0, ""
    while True:
        now = time.monotonic() - start
        if os.path.exists(serial_path):
            with open(serial_path, "rb") as f:
                f.seek(pos)
                data = f.read()
            pos += len(data)
            text = partial + data.decode("utf-8", errors="replace")
            lines = text.split("\n")
            partial = lines.pop()
            for ln in lines:
                if echo:
                    print(ln.rstrip("\r"))
                watch.line(ln, now)
                if watch.verdict:
                    return
        if now > timeout:
            watch.verdict, watch.reason = "timeout", "no verdict after %d s" % timeout
            return
        if not run.alive():
            # The last line may have no newline.
            if partial:
                watch.line(partial, now)
                if watch.verdict:
                    return
            watch.verdict, watch.reason = "no-verdict", "emulator ended before the markers"
            return
        time.sleep(0.05)


def interactive(run, master, serial_log, stop_pattern):
    """Bridges the terminal to the emulated console; Ctrl-] leaves."""
    stdin_fd = sys.stdin.fileno()
    is_tty = os.isatty(stdin_fd)
    saved = termios.tcgetattr(stdin_fd) if is_tty else None
    stop_re = re.compile(stop_pattern.encode())
    tail = b""
    stopping_at = None
    if is_tty:
        tty.setraw(stdin_fd)
    try:
        with open(serial_log, "wb") as log:
            while run.alive():
                if stopping_at and time.monotonic() > stopping_at:
                    break
                fds = [master] + ([stdin_fd] if stdin_fd is not None else [])
                ready, _, _ = select.select(fds, [], [], 0.1)
                if master in ready:
                    try:
                        data = os.read(master, 4096)
                    except OSError:
                        break
                    os.write(sys.stdout.fileno(), data)
                    log.write(data)
                    log.flush()
                    tail = (tail + data)[-256:]
                    if not stopping_at and stop_re.search(tail):
                        stopping_at = time.monotonic() + 3.0
                if stdin_fd in ready:
                    data = os.read(stdin_fd, 1024)
                    if not data:
                        stdin_fd = None
                        continue
                    if b"\x1d" in data:
                        break
                    os.write(master, data.replace(b"\n", b"\r"))
    finally:
        if saved:
            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, saved)


def pty_pump(run, master, serial_log, sends, delay=0.0):
    """Copies the console from the pty into the log; types each send's text once its regex shows."""
    pending = [(re.compile(rx.encode()), text) for rx, text in sends]
    tail = b""
    with open(serial_log, "wb") as log:
        while run.alive():
            ready, _, _ = select.select([master], [], [], 0.1)
            if master not in ready:
                continue
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            log.write(data)
            log.flush()
            tail = (tail + data)[-4096:]
            while pending and pending[0][0].search(tail):
                _, text = pending.pop(0)
                tail = b""
                if delay:
                    time.sleep(delay)
                # One byte at a time, as a person types: the UART has a small FIFO.
                for ch in text:
                    os.write(master, bytes([ch]))
                    time.sleep(0.02)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hv", default="build/hypervisor/acrn.bin", help="hypervisor image")
    ap.add_argument("--emulator", choices=["bochs", "qemu"], default="bochs")
    ap.add_argument("--cpus", type=int, default=1)
    ap.add_argument("--mem", type=int, default=512, help="MiB")
    ap.add_argument("--cpu-model", default=None,
                    help="Bochs cpu model (default corei7_skylake_x) or QEMU -cpu")
    ap.add_argument("--cmdline", default="", help="hypervisor command line")
    ap.add_argument("--module", action="append", default=[], metavar="PATH=STRING",
                    help="multiboot2 module and its string")
    ap.add_argument("--expect", action="append", default=[], help="regex, in order")
    ap.add_argument("--done", default=None, help="regex that ends a passing run")
    ap.add_argument("--fail", action="append", default=[], help="regex that fails the run")
    ap.add_argument("--forbid", action="append", default=[],
                    help="regex that must not appear anywhere in the serial log")
    ap.add_argument("--require-power-off", action="store_true",
                    help="pass only if the emulator saw an ACPI power-off")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--out", default=None, help="output folder (default: a new temp folder)")
    ap.add_argument("--interactive", action="store_true", help="console on this terminal")
    ap.add_argument("--send-delay", type=float, default=0.0, metavar="SECONDS",
                    help="wait this long (wall time) after a --send regex before typing")
    ap.add_argument("--bare-linux", action="store_true",
                    help="boot the Linux_bzImage/Linux_initrd modules with GRUB directly, "
                         "without the hypervisor (baseline for benchmarks)")
    ap.add_argument("--disk", default=None, metavar="IMAGE",
                    help="boot this BIOS-bootable raw disk image (ATA disk 0) instead of a "
                         "GRUB ISO built here; --hv, --cmdline and --module are then unused")
    ap.add_argument("--quiet", action="store_true", help="do not echo the serial log")
    ap.add_argument("--send", action="append", default=[], metavar="REGEX=TEXT",
                    help="type TEXT (\\n, \\r, \\xNN escapes) on the console once REGEX appears")
    args = ap.parse_args()

    if args.cpu_model is None and args.emulator == "bochs":
        args.cpu_model = "corei7_skylake_x"
    out = args.out or tempfile.mkdtemp(prefix="hvrun-")
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    modules = []
    for m in args.module:
        path, _, string = m.partition("=")
        modules.append((path, string))
    if args.disk:
        media = ("disk", os.path.abspath(args.disk))
    else:
        media = ("cdrom", build_iso(out, args.hv, args.cmdline, modules, bare=args.bare_linux))
    serial = os.path.join(out, "serial.log")
    start = time.monotonic()
    result = {"out": out, "serial_log": serial, "emulator": args.emulator, "cpus": args.cpus}

    if args.interactive:
        master, slave = pty.openpty()
        tty.setraw(slave)
        slave_path = os.ttyname(slave)
        if args.emulator == "bochs":
            cmd = bochs_config(out, media, args, "mode=term, dev=%s" % slave_path)
        else:
            cmd = qemu_command(out, media, args, "/dev/%s" % slave_path[5:])
            cmd[cmd.index("-serial") + 1] = slave_path
        run = Run(cmd, out)
        print("Booting on %s with %d CPUs; Ctrl-] leaves. Log: %s\r" % (args.emulator, args.cpus, serial))
        try:
            interactive(run, master, serial, r"power: powering off|hypervisor (stopped|halted)")
        finally:
            run.stop()
        print("\r\nEmulator ended. Serial log: %s\r" % serial)
        return 0

    sends = []
    for s in args.send:
        rx, _, text = s.partition("=")
        sends.append((rx, text.encode().decode("unicode_escape").encode("latin-1")))
    master = None
    if sends:
        master, slave = pty.openpty()
        tty.setraw(slave)
        slave_path = os.ttyname(slave)
        serial_arg = ("mode=term, dev=%s" % slave_path) if args.emulator == "bochs" else slave_path
    else:
        serial_arg = ("mode=file, dev=%s" % serial) if args.emulator == "bochs" else "file:" + serial
    if args.emulator == "bochs":
        cmd = bochs_config(out, media, args, serial_arg)
    else:
        cmd = qemu_command(out, media, args, serial_arg)
    run = Run(cmd, out)
    if master is not None:
        threading.Thread(target=pty_pump, args=(run, master, serial, sends, args.send_delay),
                         daemon=True).start()
    watch = Watch(args.expect, args.done, args.fail)
    try:
        follow(run, serial, watch, args.timeout, start, echo=not args.quiet)
        if watch.verdict == "pass" and args.require_power_off:
            # A powered-off Bochs exits by itself; give it a moment.
            deadline = time.monotonic() + 10
            while run.alive() and time.monotonic() < deadline:
                time.sleep(0.05)
            log = os.path.join(out, "bochs.log")
            powered = False
            if args.emulator == "bochs" and os.path.exists(log):
                with open(log, errors="replace") as f:
                    powered = BOCHS_POWER_OFF in f.read()
            elif args.emulator == "qemu":
                powered = not run.alive()
            result["powered_off"] = powered
            if not powered:
                watch.verdict, watch.reason = "fail", "no ACPI power-off seen by the emulator"
    finally:
        run.stop()
    if watch.verdict == "pass" and args.forbid and os.path.exists(serial):
        with open(serial, errors="replace") as f:
            text = f.read()
        for pattern in args.forbid:
            m = re.search(pattern, text, re.M)
            if m:
                watch.verdict, watch.reason = "fail", "forbidden output: " + m.group(0)
                break
    result.update(verdict=watch.verdict, reason=watch.reason, markers=watch.marks,
                  wall_seconds=round(time.monotonic() - start, 2),
                  emulated_ticks=instruction_count(run.output()))
    with open(os.path.join(out, "result.json"), "w") as f:
        json.dump(result, f, indent=1)
    print("hvrun: %s (%s) in %.1f s; serial log %s" % (watch.verdict, watch.reason,
                                                      result["wall_seconds"], serial))
    return {"pass": 0, "fail": 1, "timeout": 2}.get(watch.verdict, 3)


if __name__ == "__main__":
    sys.exit(main())
