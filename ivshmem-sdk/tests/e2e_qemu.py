#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Two QEMU TCG VMs (Debian's kernel + busybox initramfs + the SDK's static tools).

Phase 1: ivshmem-plain backed by a host file: messages both ways between the VMs (BAR2
through sysfs resource2, polling), and a host process as a third peer on the file.
Phase 2: ivshmem-doorbell through the SDK's doorbell server, the guest driver loaded:
messages both ways, a doorbell wakes a reader blocked in the other VM, and a host
process joins through the server as a third peer and talks to a VM both ways.
Phase 3: one VM, a 2 GiB ivshmem-plain region whose BAR2 the firmware places above 4 GiB
(write-back by its MTRRs): the driver's mapping is write-back, and messages cross it.

Each VM prints "IVTEST <step> ok|fail" on its serial line; this script runs the host
steps, waits for the markers, and always ends what it started. Prints TAP lines.
Usage: e2e_qemu.py --build BUILD_DIR --samples DIR (static tools in BUILD_DIR/static, the
module in BUILD_DIR/kmod, the host tool in BUILD_DIR/bin, static samples in DIR).
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GUEST_PY = os.path.join(ROOT, "tests", "e2e", "guest.py")
CACHE = os.environ.get("ACRN_TEST_CACHE", "/var/cache/acrn-tests")
RULES = os.path.join(ROOT, "ivshmem-sdk", "kmod", "60-ivshmem-sdk.rules")

INIT = r"""#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/shm && mount -t tmpfs shm /dev/shm
# The kernel's PAT table (x86/pat_memtype_list): the library reads BAR2's page attribute there.
mount -t debugfs debugfs /sys/kernel/debug
role=$(sed -n 's/.*ivrole=\([a-z0-9]*\).*/\1/p' /proc/cmdline)
phase=$(sed -n 's/.*ivphase=\([0-9]\).*/\1/p' /proc/cmdline)
step() { # step NAME COMMAND...
    name=$1
    shift
    if "$@" > /tmp/out 2>&1; then echo "IVTEST $role.$name ok"; else echo "IVTEST $role.$name fail"; cat /tmp/out; fi
}
iv=/bin/ivshmem
# pat_type BDF REGION: the kernel's PAT record for BAR2 of BDF, while a process holds it
# mapped (an ivshmem recv waiting in the background), as "uncached" or "write-back".
pat_type() {
    bar=$(sed -n 3p /sys/bus/pci/devices/$1/resource | cut -d' ' -f1)
    $iv --peer 0 recv "$2" pat.hold --timeout 3000 > /dev/null 2>&1 &
    holder=$!
    sleep 1
    sed -n 's/^PAT: \[mem 0x\([0-9a-f]*\)-0x\([0-9a-f]*\)\] \(.*\)$/\1 \2 \3/p' \
        /sys/kernel/debug/x86/pat_memtype_list | while read start end type; do
        if [ $((0x$start)) -le $((bar)) ] && [ $((bar)) -lt $((0x$end)) ]; then
            echo "$type" | sed 's/uncached-minus/uncached/'
            break
        fi
    done
    wait $holder
}
echo "IVTEST $role.booted ok"
if [ "$phase" = 1 ]; then
    R=plainregion
    if [ "$role" = a ]; then
        me=0; peer=1
        step list sh -c "$iv list | grep -q 'plainregion'"
        # sysfs resource2 is mapped uncached by Linux, and the library says so from PAT.
        step cache sh -c "$iv list; cat /sys/kernel/debug/x86/pat_memtype_list; $iv list | grep -E 'plainregion +0 +0 +sysfs +uncached\\* '"
        step send $iv --peer 0 send $R a2b hello-from-a --to 1
        step recv sh -c "$iv --peer 0 recv $R b2a --timeout 60000 | grep -qx hello-from-b"
        step host sh -c "$iv --peer 0 recv $R h2a --timeout 60000 | grep -qx hello-from-host"
        step pingpong sh -c "ivshmem-pingpong ping $R 0 1 200 | grep -q '200 round trips'"
    else
        # B reaches the same device through uio_pci_generic, A through sysfs.
        insmod /lib/modules/uio.ko
        insmod /lib/modules/uio_pci_generic.ko
        echo "1af4 1110" > /sys/bus/pci/drivers/uio_pci_generic/new_id
        step uio sh -c "$iv list | grep -E 'plainregion +0 +0 +uio +uncached\\* +/dev/uio0'"
        step recv sh -c "$iv --peer 1 recv $R a2b --timeout 60000 | grep -qx hello-from-a"
        step send $iv --peer 1 send $R b2a hello-from-b --to 0
        step pingpong ivshmem-pingpong pong $R 1 0 200
    fi
elif [ "$phase" = 3 ]; then
    # A region too large for the 32-bit PCI hole: SeaBIOS places its 64-bit BAR above
    # 4 GiB, where its MTRRs leave the default type, write-back. The driver's mapping must
    # then be write-back in the kernel's PAT table, and the library must say so.
    insmod /lib/modules/ivshmem_sdk.ko
    R=wbregion
    bdf=$(ls /sys/bus/pci/drivers/ivshmem_sdk | grep '^0000:')
    bar=$(sed -n 3p /sys/bus/pci/devices/$bdf/resource | cut -d' ' -f1)
    echo "IVTEST a.bar2 $bar"
    pat=$(pat_type $bdf $R)
    echo "IVTEST a.pat_type ${pat:-none}"
    step wb sh -c "cat /proc/mtrr; $iv list; [ $((bar)) -ge $((0x100000000)) ] && [ '$pat' = write-back ] && $iv list | grep -E 'wbregion +0 +0 +driver +write-back\\* '"
    step recv sh -c "$iv --peer 0 recv $R h2a --timeout 60000 | grep -qx hello-through-write-back"
    step send $iv --peer 0 send $R a2h hello-from-write-back --to 2
else
    insmod /lib/modules/ivshmem_sdk.ko
    R=doorbellregion
    if [ "$role" = a ]; then
        step driver sh -c "$iv list | grep -E 'doorbellregion +0 +2 +driver'"
        # Debian's systemd-udevd with the SDK's rules: group ivshmem, mode 0660, by-name and
        # by-id links; then a member of the group can use the device and a stranger cannot.
        printf 'root:x:0:0::/root:/bin/sh\ntester:x:1000:1000::/tmp:/bin/sh\noutsider:x:1001:1001::/tmp:/bin/sh\n' > /etc/passwd
        printf 'root:x:0:\nivshmem:x:900:tester\ntester:x:1000:\noutsider:x:1001:\n' > /etc/group
        mkdir -p /run/udev
        /lib/systemd/systemd-udevd --daemon > /tmp/udevd.log 2>&1
        udevadm trigger --action=add --subsystem-match=ivshmem_sdk
        udevadm settle --timeout=60
        step udev sh -c "cat /tmp/udevd.log; ls -l /dev/ivshmem0 /dev/ivshmem/by-name /dev/ivshmem/by-id; [ \"\$(stat -c '%G %a' /dev/ivshmem0)\" = 'ivshmem 660' ] && [ \"\$(readlink -f /dev/ivshmem/by-name/doorbellregion)\" = /dev/ivshmem0 ] && [ \"\$(readlink -f /dev/ivshmem/by-id/\$(cat /sys/class/ivshmem_sdk/ivshmem0/region_id))\" = /dev/ivshmem0 ]"
        step udev_member su -s /bin/sh tester -c "$iv info /dev/ivshmem/by-name/doorbellregion | grep -q 'mapping  driver'"
        step udev_stranger sh -c "! su -s /bin/sh outsider -c '$iv info /dev/ivshmem0' 2>&1 | grep -q 'mapping  driver' && su -s /bin/sh outsider -c '$iv info /dev/ivshmem0' 2>&1 | grep -qi 'permission'"
        # The driver asks for write-back; what the kernel granted is in its PAT table (it
        # downgrades WB to UC- where the firmware's MTRRs say uncached, as SeaBIOS does for
        # the 32-bit PCI hole): the library must report exactly that.
        bdf=$(ls /sys/bus/pci/drivers/ivshmem_sdk | grep '^0000:')
        pat=$(pat_type $bdf $R)
        echo "IVTEST a.pat_type ${pat:-none}"
        step cache sh -c "cat /proc/mtrr; $iv list; [ -n '$pat' ] && $iv list | grep -E 'doorbellregion +0 +2 +driver +$pat\\* '"
        sleep 4
        step send $iv send $R a2b hello-from-a --to 1
        step recv sh -c "$iv recv $R b2a --timeout 60000 | grep -qx hello-from-b"
        dd if=/dev/urandom of=/tmp/file bs=1024 count=2048 2>/dev/null
        step filexfer ivshmem-filexfer send $R 0 1 /tmp/file
        step telemetry ivshmem-telemetry publish $R 0 60 50
        sleep 3
        step ring $iv ring $R 1 0
        # Stay connected until B is done, so the host peer gets id 2.
        step fin sh -c "$iv recv $R fin --timeout 120000 | grep -qx fin"
        # Unbind while a process holds the device open: it must fail cleanly, no oops.
        bdf=$(ls /sys/bus/pci/drivers/ivshmem_sdk | grep '^0000:')
        $iv wait $R 1 --timeout 3000 > /dev/null 2>&1 &
        holder=$!
        sleep 1
        echo "$bdf" > /sys/bus/pci/drivers/ivshmem_sdk/unbind
        wait $holder
        step unbind sh -c "[ ! -e /dev/ivshmem0 ] && ! dmesg | grep -qiE 'BUG:|Oops|WARNING:|refcount'"
        step rebind sh -c "echo $bdf > /sys/bus/pci/drivers/ivshmem_sdk/bind && $iv list | grep -qE 'doorbellregion +0 +2 +driver'"
    else
        step driver sh -c "$iv list | grep -E 'doorbellregion +1 +2 +driver'"
        echo "IVTEST b.blocking ok"
        t0=$(date +%s)
        step woken sh -c "$iv recv $R a2b --timeout 60000 | grep -qx hello-from-a"
        echo "IVTEST b.blocked_seconds $(( $(date +%s) - t0 ))"
        step send $iv send $R b2a hello-from-b --to 0
        step filexfer sh -c "ivshmem-filexfer recv $R 1 0 /tmp/file | grep -q 'received 2097152 bytes, checksum .* ok'"
        # Two subscribers in this VM: each process gets its own eventfds from the driver.
        ivshmem-telemetry subscribe $R 1 0 20 > /tmp/second 2>&1 &
        second=$!
        step telemetry sh -c "ivshmem-telemetry subscribe $R 1 0 20 | grep -q 'received 20 updates'"
        wait $second
        step telemetry2 grep -q "received 20 updates" /tmp/second
        step doorbell $iv wait $R 0 --timeout 60000
        echo "IVTEST b.waiting_host ok"
        step host_recv sh -c "$iv recv $R h2b --timeout 60000 | grep -qx hello-from-host"
        step host_send $iv send $R b2h hello-to-host --to 2
        step fin $iv send $R fin fin --to 0
    fi
fi
echo "IVTEST $role.done ok"
sleep 1
poweroff -f
"""


class Vm:
    def __init__(self, out, name, kernel, initrd, append, device_args):
        self.serial = os.path.join(out, "serial-%s.log" % name)
        open(self.serial, "w").close()
        cmd = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "qemu64", "-m", "256", "-smp",
               "1", "-nodefaults", "-no-reboot", "-display", "none", "-nic", "none",
               "-serial", "file:" + self.serial, "-kernel", kernel, "-initrd", initrd,
               "-append", "console=ttyS0 panic=-1 " + append] + device_args
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(out, "qemu-%s.err" % name), "w"),
                                     start_new_session=True)

    def text(self):
        with open(self.serial, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(timeout=3)
                    break
                except subprocess.TimeoutExpired:
                    continue


def udev_files():
    """Debian's udevadm (also systemd-udevd by its name) and the libraries it needs, as
    --add arguments for the guest image; the package is downloaded once into the cache."""
    debs = os.path.join(CACHE, "debs")
    os.makedirs(debs, exist_ok=True)
    found = [f for f in os.listdir(debs) if f.startswith("udev_") and f.endswith(".deb")]
    if not found:
        subprocess.run(["apt-get", "download", "udev"], cwd=debs, check=True,
                       capture_output=True)
        found = [f for f in os.listdir(debs) if f.startswith("udev_") and f.endswith(".deb")]
    root = os.path.join(CACHE, "udev", found[0][:-4])
    if not os.path.exists(os.path.join(root, "bin", "udevadm")):
        os.makedirs(root, exist_ok=True)
        subprocess.run(["dpkg-deb", "-x", os.path.join(debs, found[0]), root], check=True)
    udevadm = os.path.join(root, "bin", "udevadm")
    adds = [udevadm + ":/bin/udevadm", udevadm + ":/lib/systemd/systemd-udevd",
            RULES + ":/etc/udev/rules.d/60-ivshmem-sdk.rules"]
    ldd = subprocess.run(["ldd", udevadm], check=True, capture_output=True, text=True).stdout
    for line in ldd.splitlines():
        m = re.search(r"(/\S+) \(0x", line)
        if m:
            adds.append("%s:%s" % (os.path.realpath(m.group(1)), m.group(1)))
    return [arg for spec in adds for arg in ("--add", spec)]


def wait_for(vms, pattern, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for vm in vms:
            if re.search(pattern, vm.text(), re.M):
                return True
            if "Kernel panic" in vm.text():
                return False
        if all(vm.proc.poll() is not None for vm in vms):
            return any(re.search(pattern, vm.text(), re.M) for vm in vms)
        time.sleep(0.1)
    return False


def verdicts(vm, role, steps, label, results):
    text = vm.text()
    for s in steps:
        ok = re.search(r"^IVTEST %s\.%s ok" % (role, s), text, re.M) is not None
        results.append((ok, "%s: VM %s %s" % (label, role, steps[s])))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--samples", required=True, help="folder with static sample binaries")
    ap.add_argument("--timeout", type=int, default=150)
    args = ap.parse_args()
    # One folder per run: two test runs (two engineers' `make test`) may overlap.
    out = os.path.join(args.build, "e2e", str(os.getpid()))
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    version, vmlinuz, _ = subprocess.run([sys.executable, GUEST_PY, "kernel"], check=True,
                                         capture_output=True, text=True).stdout.split()
    init = os.path.join(out, "init")
    with open(init, "w") as f:
        f.write(INIT)
    initrd = os.path.join(out, "initrd.gz")
    subprocess.run([sys.executable, GUEST_PY, "initramfs", "-o", initrd, "--init", init,
                    "--add", os.path.join(args.build, "static", "ivshmem") + ":/bin/ivshmem",
                    "--add", os.path.join(args.build, "kmod", "ivshmem_sdk.ko") +
                    ":/lib/modules/ivshmem_sdk.ko", "--module", "uio.ko",
                    "--module", "uio_pci_generic.ko"] +
                   [arg for name in ("ivshmem-pingpong", "ivshmem-filexfer", "ivshmem-telemetry")
                    for arg in ("--add", "%s:/bin/%s" % (os.path.join(args.samples, name), name))]
                   + udev_files(), check=True)
    host_tool = os.path.join(args.build, "bin", "ivshmem")
    results = []
    tag = "ivshmem-e2e-%d" % os.getpid()
    plain = "/dev/shm/%s-plain" % tag
    started = []
    try:
        # Phase 1: ivshmem-plain on a host file.
        subprocess.run([host_tool, "init", "plainregion", "4M", "--path", plain], check=True,
                       capture_output=True)
        vms = []
        for role in ("a", "b"):
            vms.append(Vm(out, "plain-" + role, vmlinuz, initrd,
                          "ivrole=%s ivphase=1" % role,
                          ["-object", "memory-backend-file,id=hostmem,size=4M,share=on,"
                           "mem-path=" + plain, "-device", "ivshmem-plain,memdev=hostmem"]))
            started.append(vms[-1])
        # The host joins the file directly as peer 2 once VM A is listening.
        host_ok = False
        if wait_for([vms[0]], r"^IVTEST a\.recv ", args.timeout):
            r = subprocess.run([host_tool, "--peer", "2", "send", plain, "h2a",
                                "hello-from-host", "--to", "0"], capture_output=True, text=True)
            host_ok = r.returncode == 0
        wait_for([vms[0]], r"^IVTEST a\.done", args.timeout)
        wait_for([vms[1]], r"^IVTEST b\.done", 30)
        verdicts(vms[0], "a", {"list": "finds the region by name through sysfs",
                               "cache": "reports the sysfs mapping uncached (kernel PAT table)",
                               "send": "sends to B", "recv": "receives B's reply"},
                 "e2e ivshmem-plain", results)
        verdicts(vms[0], "a", {"pingpong": "runs the ping-pong sample against B (200 round "
                               "trips)"}, "e2e ivshmem-plain", results)
        verdicts(vms[1], "b", {"uio": "binds uio_pci_generic and lists the region as uio",
                               "recv": "receives A's message", "send": "answers A"},
                 "e2e ivshmem-plain", results)
        results.append((host_ok and re.search(r"^IVTEST a\.host ok", vms[0].text(), re.M)
                        is not None, "e2e ivshmem-plain: a host process on the backing file "
                        "is a third peer (host -> VM A)"))
        for vm in vms:
            vm.stop()

        # Phase 2: ivshmem-doorbell through our server.
        sock = os.path.join(out, "doorbell.sock")
        memory = "/dev/shm/%s-doorbell" % tag
        server = subprocess.Popen([os.path.join(args.build, "bin", "ivshmem-doorbell-server"),
                                   "-S", sock, "-m", memory, "-l", "4M", "-n", "2", "-i",
                                   "doorbellregion", "-v"], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL,
                                  stderr=open(os.path.join(out, "server.log"), "w"),
                                  start_new_session=True)
        for _ in range(50):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        vms = []
        for role in ("a", "b"):
            vms.append(Vm(out, "doorbell-" + role, vmlinuz, initrd,
                          "ivrole=%s ivphase=2" % role,
                          ["-chardev", "socket,path=%s,id=ivsock" % sock,
                           "-device", "ivshmem-doorbell,chardev=ivsock,vectors=2"]))
            started.append(vms[-1])
            # Ids follow connection order: A is 0, B is 1.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if "peer %d joined" % len(vms[:-1]) in open(os.path.join(out,
                                                                         "server.log")).read():
                    break
                time.sleep(0.1)
        host_send = host_recv = None
        if wait_for([vms[1]], r"^IVTEST b\.waiting_host", args.timeout):
            time.sleep(2)  # B is now asleep in its recv
            # The host reader connects first (id 2, the id B answers), then the writer (3).
            reader = subprocess.Popen([host_tool, "recv", "server:" + sock, "b2h", "--timeout",
                                       "60000"], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
            time.sleep(1)
            host_send = subprocess.run([host_tool, "send", "server:" + sock, "h2b",
                                        "hello-from-host", "--to", "1"],
                                       capture_output=True, text=True, timeout=60)
            try:
                out_text, err_text = reader.communicate(timeout=90)
            except subprocess.TimeoutExpired:
                reader.kill()
                out_text, err_text = reader.communicate()
            host_recv = subprocess.CompletedProcess(reader.args, reader.returncode, out_text,
                                                    err_text)
        wait_for([vms[0]], r"^IVTEST a\.done", 30)
        wait_for([vms[1]], r"^IVTEST b\.done", 30)
        verdicts(vms[0], "a", {"udev": "Debian's systemd-udevd applies the SDK's rules: "
                               "/dev/ivshmem0 group ivshmem mode 0660, by-name and by-id links",
                               "udev_member": "a non-root member of group ivshmem opens the "
                               "region through the by-name link (driver mapping)",
                               "udev_stranger": "a user outside the group is refused "
                               "(permission denied)"},
                 "e2e udev", results)
        pat = re.search(r"^IVTEST a\.pat_type (\S+)", vms[0].text(), re.M)
        verdicts(vms[0], "a", {"cache": "reports the driver's BAR2 mapping as the kernel's PAT "
                               "table has it while mapped (%s here)" %
                               (pat.group(1) if pat else "?")}, "e2e ivshmem-doorbell", results)
        verdicts(vms[0], "a", {"driver": "binds ivshmem_sdk: peer 0, 2 MSI-X vectors",
                               "send": "sends to B", "recv": "receives B's reply",
                               "ring": "rings B's doorbell",
                               "filexfer": "sends a 2 MiB file with the file-transfer sample",
                               "unbind": "driver unbinds while a process holds it open, no oops",
                               "rebind": "driver binds again and the region is back",
                               "telemetry": "publishes telemetry (mailbox + doorbell vector 1)"},
                 "e2e ivshmem-doorbell", results)
        verdicts(vms[1], "b", {"driver": "binds ivshmem_sdk: peer 1, 2 MSI-X vectors",
                               "woken": "blocked reader is woken by A's message doorbell",
                               "send": "answers A", "doorbell": "wakes on A's bare doorbell",
                               "filexfer": "receives A's file, checksum verified",
                               "telemetry": "subscriber sleeps on vector 1 and gets 20 samples "
                               "(5 per second without doorbells would not do)",
                               "telemetry2": "a second subscriber process in the same VM is "
                               "woken too (per-process eventfds)",
                               "host_recv": "receives from the host peer (eventfd -> MSI-X)",
                               "host_send": "sends to the host peer"},
                 "e2e ivshmem-doorbell", results)
        blocked = re.search(r"^IVTEST b\.blocked_seconds (\d+)", vms[1].text(), re.M)
        results.append((blocked is not None and int(blocked.group(1)) >= 2,
                        "e2e ivshmem-doorbell: B's reader was really asleep (%s s) before "
                        "the doorbell" % (blocked.group(1) if blocked else "?")))
        for name, r in (("send", host_send), ("recv", host_recv)):
            if r is not None and r.returncode != 0:
                print("# host %s: %s" % (name, (r.stdout + r.stderr).strip()))
        results.append((host_send is not None and host_send.returncode == 0 and
                        host_recv is not None and host_recv.returncode == 0 and
                        host_recv.stdout.strip() == "hello-to-host",
                        "e2e ivshmem-doorbell: a host process joins through the SDK server "
                        "as a third peer, both ways"))
        for vm in vms:
            vm.stop()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=5)

        # Phase 3: a region above 4 GiB, mapped write-back by the driver. The file is
        # sparse: only the pages the header and rings touch take memory.
        large = "/dev/shm/%s-wb" % tag
        subprocess.run([host_tool, "init", "wbregion", "2G", "--path", large], check=True,
                       capture_output=True)
        vm = Vm(out, "wb-a", vmlinuz, initrd, "ivrole=a ivphase=3",
                ["-object", "memory-backend-file,id=wbmem,size=2G,share=on,mem-path=" + large,
                 "-device", "ivshmem-plain,memdev=wbmem"])
        started.append(vm)
        host_wb = None
        if wait_for([vm], r"^IVTEST a\.wb ", args.timeout):
            host_wb = subprocess.run([host_tool, "--peer", "2", "send", large, "h2a",
                                      "hello-through-write-back", "--to", "0"],
                                     capture_output=True, text=True)
            answer = subprocess.run([host_tool, "--peer", "2", "recv", large, "a2h",
                                     "--timeout", "60000"], capture_output=True, text=True)
        wait_for([vm], r"^IVTEST a\.done", 60)
        bar = re.search(r"^IVTEST a\.bar2 (\S+)", vm.text(), re.M)
        pat = re.search(r"^IVTEST a\.pat_type (\S+)", vm.text(), re.M)
        verdicts(vm, "a", {"wb": "a 2 GiB region's BAR2 lies above 4 GiB (%s) and the driver "
                           "maps it write-back (kernel PAT: %s); ivshmem list says write-back"
                           % (bar.group(1) if bar else "?", pat.group(1) if pat else "?"),
                           "recv": "receives the host's message through the write-back "
                           "mapping"}, "e2e ivshmem-plain, write-back", results)
        results.append((host_wb is not None and host_wb.returncode == 0 and
                        answer.returncode == 0 and
                        answer.stdout.strip() == "hello-from-write-back",
                        "e2e ivshmem-plain, write-back: the host reads the VM's answer from "
                        "the backing file"))
        vm.stop()
    finally:
        for vm in started:
            vm.stop()
        for path in (plain, "/dev/shm/%s-doorbell" % tag, "/dev/shm/%s-wb" % tag):
            if os.path.exists(path):
                os.unlink(path)
    failed = 0
    for ok, name in results:
        print("%s - %s" % ("ok" if ok else "not ok", name))
        failed += not ok
    if failed:
        for vm in started:
            print("# --- %s ---" % vm.serial)
            for line in vm.text().splitlines()[-15:]:
                print("#   " + line)
    else:
        shutil.rmtree(out, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
