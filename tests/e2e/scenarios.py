# SPDX-License-Identifier: BSD-3-Clause
"""Emulated-machine scenarios run by `make test` (tests/run_tests.py).

Each is a list of hvrun.py arguments; hvrun.py judges the run from the serial
log. Bochs is the only emulator here with VT-x; QEMU TCG is faster and has none.
"""

VMX_ROOT_LINE = r"^\d+\s+\d+\s+\d+\s+vmx-root"


def boot_to_vmx_root(cpus, model="corei7_skylake_x"):
    return {
        "name": "bochs-%dcpu-%s-vmx-root-poweroff" % (cpus, model),
        "args": ["--cpus", str(cpus), "--cpu-model", model, "--timeout", "180",
                 "--cmdline", "shell_cmds=version;cpus;vmx;poweroff",
                 "--expect", r"all %d CPUs in VMX root" % cpus,
                 "--expect", r"ACRN-compatible hypervisor \d"]
        + ["--expect", VMX_ROOT_LINE] * cpus
        + ["--expect", r"EPT yes", "--expect", r"power: powering off \(ACPI S5",
           "--require-power-off"],
    }


# Scenarios with "service_vm": True get Debian's kernel (Linux_bzImage) and the test
# initramfs (Linux_initrd) as modules; run_tests.py prepares and caches them.
SERVICE_VM_KERNEL_ARGS = "console=ttyS0,115200 earlyprintk=serial,ttyS0,115200 clearcpuid=aperfmperf"

def service_vm_boot(cpus, model=None, cmdline="", apic_line="emulated on every access"):
    """GRUB -> acrn.bin -> Debian's kernel and the checking initramfs, which powers off."""
    name = "bochs-%dcpu-%sservice-vm%s" % (cpus, model + "-" if model else "",
                                          "-" + cmdline.replace("=", "-") if cmdline else "")
    return {
        "name": name,
        "service_vm": "iomem=relaxed svm_cpus=%d svm_input=1" % cpus,
        "args": ["--cpus", str(cpus), "--timeout", "900"]
                + (["--cpu-model", model] if model else [])
                + (["--cmdline", cmdline] if cmdline else []) + [
                 "--expect", "service-vm: local APIC " + apic_line,
                 "--expect", r"service-vm: Linux boot protocol 2\.\d+ kernel",
                 "--expect", r"SVM-INIT: started, %d CPUs online" % cpus,
                 "--expect", r"svm-check: cpuid 0x40000000 signature ACRNACRNACRN",
                 "--expect", r"SVM-INIT: console input 'hello-acrn' received",
                 "--expect", r"svm-check: ok hypervisor range",
                 "--expect", r"SVM-INIT: PASS",
                 "--expect", r"ACPI S5 requested by the Service VM",
                 "--expect", r"vCPU 0: \d+ exits",
                 "--expect", r"power: powering off",
                 "--fail", r"SVM-INIT: FAIL",
                 "--send", "SVM-INIT: waiting for console input=hello-acrn\\r",
                 "--require-power-off"],
    }


# Scenarios with "disk": True boot the Service VM disk image instead of a GRUB ISO:
# Debian 12 with this platform's packages installed (debian/tests/make-disk.py), GRUB in
# its MBR and the grub.cfg that the package's grub.d snippet wrote (update-grub). The
# kernel command line is GRUB_CMDLINE_LINUX of the image's /etc/default/grub; init= runs
# the checks of tests/e2e/svm-disk-init once Debian's initramfs has mounted the root
# file system from the ATA disk. run_tests.py builds the packages and the image (cached).
SVM_DISK_KERNEL_ARGS = ("console=ttyS0,115200 clearcpuid=aperfmperf "
                        "init=/usr/local/sbin/acrn-svm-disk-init")
SVM_DISK_ENTRY = r"Booting .Debian GNU/Linux, with ACRN hypervisor'"


SCENARIOS = [
    boot_to_vmx_root(1),
    boot_to_vmx_root(4),
    # Icelake adds MTF and PML to what Skylake has.
    boot_to_vmx_root(2, "corei7_icelake_u"),
    # Westmere: no x2APIC and no TSC-deadline timer, so the xAPIC MMIO and one-shot paths run.
    boot_to_vmx_root(2, "corei5_arrandale_m520"),
    {
        # An AMD model: no VMX at all. One clear line, then a clean halt (no triple fault).
        "name": "bochs-no-vtx-refusal",
        "args": ["--cpu-model", "ryzen", "--timeout", "120",
                 "--expect", r"cannot run the hypervisor; missing: VMX \(CPUID",
                 "--expect", r"hypervisor halted: VT-x requirements not met"],
    },
    {
        # VMX without EPT: the refusal names what is missing.
        "name": "bochs-vmx-without-ept-refusal",
        "args": ["--cpu-model", "core2_penryn_t9600", "--timeout", "120",
                 "--expect", r"cannot run the hypervisor; missing: .*EPT.*unrestricted guest",
                 "--expect", r"hypervisor halted"],
    },
    {
        "name": "qemu-tcg-no-vtx-refusal",
        "args": ["--emulator", "qemu", "--cpu-model", "qemu64", "--cpus", "2", "--timeout", "60",
                 "--expect", r"cannot run the hypervisor; missing: VMX \(CPUID",
                 "--expect", r"hypervisor halted"],
    },
    {
        # No console at all: the hypervisor must stay silent and still power off.
        "name": "bochs-uart-disabled-poweroff",
        "args": ["--cpus", "2", "--timeout", "120",
                 "--cmdline", "uart=disabled shell_cmds=cpus;poweroff",
                 "--expect", r"Booting", "--forbid", r"ACRN-compatible|vmx-root|power:",
                 "--require-power-off"],
    },
    {
        # Bad input never crashes: each gets a clear message and the run goes on.
        "name": "bochs-bad-input-messages",
        "args": ["--timeout", "120",
                 "--cmdline", 'loglevel=9 uart=port@0xzz root=/dev/sda1 '
                 'shell_cmds="nosuchcmd; cpus extra; loglevel 42; mem; poweroff"',
                 "--expect", r"cmdline: bad value '9' for loglevel",
                 "--expect", r"cmdline: bad value 'port@0xzz' for uart",
                 "--expect", r"all 1 CPUs in VMX root",
                 "--expect", r"shell: unknown command 'nosuchcmd'",
                 "--expect", r"shell: usage: cpus",
                 "--expect", r"shell: log level must be 0\.\.6",
                 "--expect", r"page-table pool",
                 "--expect", r"power: powering off",
                 "--require-power-off"],
    },
    # The default on 4 CPUs: APIC-register virtualization, interrupts injected by the
    # hypervisor (Bochs's virtual-interrupt delivery has an erratum, see service_vm.c);
    # virtual-interrupt delivery forced on 1 CPU, where the erratum needs a physical
    # interrupt at the wrong moment of the one vCPU; a CPU without APICv, x2APIC or
    # TSC-deadline: every access emulated, as with apicv=off (the hypervisor's own xAPIC
    # and one-shot timer).
    service_vm_boot(4, apic_line=r"with APIC-register virtualization; interrupts injected by "
                    r"the hypervisor \(Bochs erratum"),
    service_vm_boot(1, cmdline="apicv=vid",
                    apic_line="with APIC-register virtualization and virtual-interrupt delivery"),
    service_vm_boot(2, model="corei5_arrandale_m520",
                    apic_line=r"emulated on every access \(the CPU has no APIC-register"),
    {
        # The Service VM reboots: the hypervisor takes the reset (Linux writes the FADT
        # reset register or 0xcf9), prints its statistics and resets the machine itself.
        "name": "bochs-1cpu-service-vm-reboot",
        "service_vm": "svm_reboot=1",
        "args": ["--cpus", "1", "--timeout", "600",
                 "--expect", r"SVM-INIT: rebooting",
                 "--expect", r"service-vm: reset requested by the Service VM",
                 "--expect", r"vCPU 0: \d+ exits",
                 "--expect", r"power: reset through"],
    },
    {
        # Not a kernel where the kernel should be: a clear message, and the hypervisor
        # shell still runs its commands and powers off.
        "name": "bochs-service-vm-corrupt-kernel",
        "args": ["--cpus", "1", "--timeout", "180",
                 "--module", "/etc/os-release=Linux_bzImage console=ttyS0",
                 "--cmdline", "shell_cmds=vm_list;poweroff",
                 "--expect", r"service-vm: module '.*' is not a usable Linux kernel",
                 "--expect", r"the Service VM could not be started",
                 "--expect", r"power: powering off",
                 "--require-power-off"],
    },
    {
        # The disk image under QEMU TCG (no VT-x), in seconds: GRUB from the MBR, the
        # ACRN entry, acrn.bin and both modules loaded; the hypervisor then refuses.
        "name": "qemu-tcg-disk-grub-entry-refusal",
        "disk": True,
        "args": ["--emulator", "qemu", "--cpu-model", "qemu64", "--timeout", "120",
                 "--expect", SVM_DISK_ENTRY,
                 "--expect", r"Loading initial ramdisk",
                 "--expect", r"cannot run the hypervisor; missing: VMX \(CPUID",
                 "--expect", r"hypervisor halted"],
    },
    {
        # Then under Bochs, the installed system: GRUB from the disk's MBR boots grub.cfg's
        # default, the package's ACRN entry (acrn.bin, the kernel and initrd as
        # Linux_bzImage and Linux_initrd); Debian's initramfs mounts the root from the ATA
        # disk (ports and IRQ 14 passed through by the hypervisor) and runs the checking
        # init, which also loads the DKMS-built acrn_hsm, then powers off.
        "name": "bochs-1cpu-service-vm-disk",
        "disk": True,
        "args": ["--cpus", "1", "--timeout", "900",
                 "--expect", SVM_DISK_ENTRY,
                 "--expect", r"service-vm: Linux boot protocol 2\.\d+ kernel",
                 "--expect", r"SVM-DISK: started as PID 1",
                 "--expect", r"SVM-DISK: root file system /dev/sda1 ext4 ro",
                 "--expect", r"SVM-DISK: IRQ 14: [1-9]\d* IO-APIC 14-edge ata_piix",
                 "--expect", r"svm-check: cpuid 0x40000000 signature ACRNACRNACRN",
                 "--expect", r"acrn_hsm: ready: /dev/acrn_hsm",
                 "--expect", r"SVM-DISK: PASS",
                 "--expect", r"ACPI S5 requested by the Service VM",
                 "--expect", r"vCPU 0: \d+ exits",
                 "--expect", r"power: powering off",
                 "--fail", r"SVM-DISK: FAIL",
                 "--require-power-off"],
    },
]
