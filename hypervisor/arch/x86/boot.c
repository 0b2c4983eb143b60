/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The boot CPU's bring-up, in order: relocate, per-CPU tables, multiboot2
 * information, command line and console, page tables, ACPI, time, local
 * APIC, VMX checks, application processors, VMX root everywhere, shell.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/ioapic.h"
#include "arch/x86/lapic.h"
#include "arch/x86/paging.h"
#include "arch/x86/percpu.h"
#include "arch/x86/power.h"
#include "arch/x86/service_vm.h"
#include "arch/x86/smp.h"
#include "arch/x86/trap.h"
#include "arch/x86/tsc.h"
#include "arch/x86/vmx.h"
#include "boot/reloc.h"
#include "core/platform.h"
#include "core/timer.h"
#include "debug/console.h"
#include "debug/log.h"
#include "debug/shell.h"
#include "debug/uart16550.h"
#include "include/layout.h"
#include "lib/string.h"

#define MBI_MAX_SIZE	       (1u << 20)
#define BDA_EBDA_SEGMENT       0x40e
#define BIOS_ROM_AREA	       0xe0000ull
#define BIOS_ROM_AREA_SIZE     0x20000ull
#define EBDA_SEARCH_SIZE       1024
#define VMX_BRINGUP_TIMEOUT_MS 1000

struct platform platform;

extern char __image_start[], __image_end[], boot_stack_top[];

/* Reads the real-mode areas; the compiler must not treat the small address as a NULL offset. */
static uint64_t read_low_memory_u16(uintptr_t address)
{
	uint16_t value;

	__asm__ volatile("movw (%1), %0" : "=r"(value) : "r"(address));
	return value;
}

static const void *acpi_identity_map(void *ctx, uint64_t phys, size_t len)
{
	(void)ctx;
	/* Page 0 is unmapped on purpose; anything past the identity map is unreachable. */
	if (phys < PAGE_SIZE || phys + len < phys || phys + len > paging_mapped_top())
		return NULL;
	return (const void *)(uintptr_t)phys;
}

static void acpi_discover(uint64_t ebda)
{
	struct acpi_mem mem = { .map = acpi_identity_map, .ctx = NULL };
	const struct boot_info *bi = &platform.boot;
	uint64_t rsdp = 0;
	int err;

	if (bi->rsdp_tag) {
		err = acpi_parse(&mem, bi->rsdp, bi->rsdp_len, 0, &platform.acpi);
	} else {
		/* Boot loaders that pass no RSDP tag: search where the BIOS puts it. */
		if ((ebda && acpi_find_rsdp(&mem, ebda, EBDA_SEARCH_SIZE, &rsdp) == 0) ||
		    acpi_find_rsdp(&mem, BIOS_ROM_AREA, BIOS_ROM_AREA_SIZE, &rsdp) == 0) {
			err = acpi_parse(&mem, NULL, 0, rsdp, &platform.acpi);
		} else {
			pr_err("acpi: no RSDP from the boot loader or in the BIOS areas");
			err = -1;
		}
	}
	if (err)
		pr_err("acpi: no usable ACPI tables; one CPU, no power-off or reset register");
}

static void console_setup(void)
{
	const struct hv_options *o = &platform.options;

	console_set_loglevel(o->loglevel);
	uart_init(o->uart_kind, o->uart_base);
	/* Messages logged before the console existed (parser complaints) are shown now. */
	console_dump_log(o->loglevel);
}

static void report_vmx_refusal(const char *missing)
{
	pr_fatal("vmx: this machine cannot run the hypervisor; missing: %s", missing);
	pr_fatal("hypervisor halted: VT-x requirements not met");
	machine_halt();
}

static void report_cpus(void)
{
	uint32_t in_root = 0, started = 0;

	for (uint32_t i = 0; i < cpu_count; i++) {
		if (per_cpu_data[i].state == CPU_VMX_ROOT)
			in_root++;
		if (per_cpu_data[i].state != CPU_ABSENT && per_cpu_data[i].state != CPU_OFFLINE)
			started++;
	}
	platform.all_vmx_tsc = rdtsc();
	if (in_root == cpu_count)
		pr_info("boot: all %u CPUs in VMX root (%llu TSC ticks since GRUB's hand-off)",
			cpu_count, (unsigned long long)(platform.all_vmx_tsc - platform.entry_tsc));
	else
		pr_err("boot: %u of %u CPUs in VMX root (%u started); see 'cpus'", in_root,
		       cpu_count, started);
}

void boot_primary(uint32_t magic, uint32_t mbi, uint64_t image_start, uint64_t entry_tsc);
__attribute__((noreturn)) void boot_primary(uint32_t magic, uint32_t mbi, uint64_t image_start,
					    uint64_t entry_tsc)
{
	uint64_t delta = image_start - HV_LINK_BASE;
	struct per_cpu *bsp = &per_cpu_data[0];
	uint64_t ebda, cr3;
	uint32_t mbi_size;
	char text[320];

	if (reloc_apply(delta) != 0) {
		/* Nothing can be trusted yet: say it on the default port and stop. */
		uart_init(UART_KIND_PORT, 0x3f8);
		uart_write("acrn: unknown relocation type in image\n", 39);
		cpu_halt_forever();
	}
	hv_load_delta = delta;
	platform.entry_tsc = entry_tsc;
	platform.image_start = image_start;
	platform.image_end = (uint64_t)(uintptr_t)__image_end;
	platform.mbi_address = mbi;

	idt_init();
	bsp->index = 0;
	cpu_tables_init(bsp);
	bsp->stack_top = (uint64_t)(uintptr_t)boot_stack_top;
	cpu_count = 1;

	cmdline_defaults(&platform.options);
	if (magic != MB2_BOOTLOADER_MAGIC) {
		console_setup();
		pr_fatal("boot: not started by a multiboot2 boot loader (EAX 0x%x, expected 0x%x)",
			 magic, MB2_BOOTLOADER_MAGIC);
		machine_halt();
	}
	memcpy(&mbi_size, (const void *)(uintptr_t)mbi, sizeof(mbi_size));
	if (mb2_parse((const void *)(uintptr_t)mbi,
		      mbi_size > MBI_MAX_SIZE ? MBI_MAX_SIZE : mbi_size, &platform.boot) != 0) {
		console_setup();
		pr_fatal("boot: the multiboot2 information at 0x%x cannot be used; halting", mbi);
		machine_halt();
	}
	cmdline_parse(platform.boot.has_cmdline ? platform.boot.cmdline : "", &platform.options);
	console_setup();
	pr_info("ACRN-compatible hypervisor %s (%s), loaded at 0x%llx-0x%llx by %s", HV_VERSION,
		HV_GIT_REV, (unsigned long long)image_start, (unsigned long long)platform.image_end,
		platform.boot.loader_name[0] ? platform.boot.loader_name : "an unnamed loader");
	pr_info("boot: console %s, log level %d, command line '%s'", uart_describe(),
		platform.options.loglevel, platform.boot.cmdline);

	/* The BIOS data area (in page 0, unmapped from now on) says where the EBDA is. */
	ebda = read_low_memory_u16(BDA_EBDA_SEGMENT) << 4;
	cr3 = paging_build(&platform.boot);
	if (uart_mmio_base())
		paging_map_device(uart_mmio_base(), PAGE_SIZE);
	if (smp_prepare_trampoline(&platform.boot, cr3))
		paging_make_code_page(smp_trampoline_address());
	paging_activate();
	pr_info("paging: hypervisor page tables active (%llu table pages)",
		(unsigned long long)paging_pool_pages_used());

	acpi_discover(ebda);
	power_init(&platform.acpi);
	legacy_interrupts_quiesce(&platform.acpi);
	tsc_init();
	pr_info("tsc: %llu kHz (%s)", (unsigned long long)(tsc_hz() / 1000), tsc_source());
	lapic_init();
	if (!lapic_is_x2apic())
		paging_map_device(lapic_xapic_base(), PAGE_SIZE);
	bsp->apic_id = lapic_id();
	timer_service_init_cpu();
	irq_enable();
	pr_info("lapic: %s, boot CPU APIC id %u", lapic_is_x2apic() ? "x2APIC" : "xAPIC",
		bsp->apic_id);

	if (!vmx_check_capabilities(text, sizeof(text)))
		report_vmx_refusal(text);
	vmx_format_summary(text, sizeof(text));
	pr_info("vmx: %s", text);

	smp_enumerate_cpus(&platform.acpi, bsp->apic_id);
	pr_info("smp: %u CPUs listed by firmware; starting the application processors", cpu_count);
	smp_start_aps();
	bsp->online_tsc = rdtsc();
	vmx_enable_this_cpu(bsp);
	smp_wait_for_vmx(VMX_BRINGUP_TIMEOUT_MS);
	report_cpus();

	const char *cmds = platform.options.has_shell_cmds ? platform.options.shell_cmds : NULL;

	if (service_vm_kernel_present()) {
		smp_retire_trampoline();
		if (service_vm_create() == 0) {
			shell_start(cmds);
			service_vm_run_boot_vcpu();
			pr_err(
			    "boot: the Service VM's boot vCPU could not run; the hypervisor shell "
			    "stays up");
		} else {
			pr_err("boot: the Service VM could not be started; the hypervisor shell "
			       "stays up");
			shell_start(cmds);
		}
	} else {
		shell_start(cmds);
	}
	for (;;)
		cpu_wait_for_interrupt();
}
