/* SPDX-License-Identifier: BSD-3-Clause */
/* The shell's commands: one table, one function each. */
#include "arch/x86/cpu.h"
#include "arch/x86/guest_mem.h"
#include "arch/x86/trap.h"
#include "arch/x86/lapic.h"
#include "arch/x86/paging.h"
#include "arch/x86/percpu.h"
#include "arch/x86/power.h"
#include "arch/x86/service_vm.h"
#include "arch/x86/vcpu.h"
#include "arch/x86/vmexit.h"
#include "arch/x86/smp.h"
#include "arch/x86/tsc.h"
#include "debug/shell.h"
#include "arch/x86/vmx.h"
#include "core/cmdline.h"
#include "core/platform.h"
#include "debug/console.h"
#include "debug/log.h"
#include "debug/shell_priv.h"
#include "lib/string.h"
#include "vdev/vuart.h"

extern char __image_start[], __text_end[], __rodata_end[], __load_end[], __image_end[];

static void cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	console_printf("Commands:\n");
	for (unsigned int i = 0; i < shell_command_count; i++)
		console_printf("  %-10s %-12s %s\n", shell_commands[i].name,
			       shell_commands[i].usage, shell_commands[i].help);
}

static void cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	console_printf("ACRN-compatible hypervisor %s (%s)\n", HV_VERSION, HV_GIT_REV);
}

static void cmd_cpus(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	console_printf("CPU  APIC-ID  ACPI-UID  STATE\n");
	for (uint32_t i = 0; i < cpu_count; i++) {
		const struct per_cpu *cpu = &per_cpu_data[i];

		console_printf("%-4u %-8u %-9u %s%s%s\n", cpu->index, cpu->apic_id, cpu->acpi_uid,
			       cpu_state_name((enum cpu_state)cpu->state),
			       cpu->state == CPU_FAILED ? ": " : "",
			       cpu->state == CPU_FAILED ? cpu->fail_reason : "");
	}
}

static void print_range(const char *what, uint64_t start, uint64_t end)
{
	console_printf("  %-28s 0x%016llx-0x%016llx %8llu KiB\n", what, (unsigned long long)start,
		       (unsigned long long)end, (unsigned long long)((end - start) / 1024));
}

static void cmd_mem(int argc, char **argv)
{
	const struct boot_info *bi = &platform.boot;
	uint64_t ram = 0;
	uint64_t tramp = smp_trampoline_address();

	(void)argc;
	(void)argv;
	console_printf("Memory map from the boot loader:\n");
	for (uint32_t i = 0; i < bi->mmap_count; i++) {
		const struct boot_mmap_entry *e = &bi->mmap[i];

		console_printf("  0x%016llx-0x%016llx %-9s %llu KiB\n", (unsigned long long)e->base,
			       (unsigned long long)(e->base + e->length),
			       boot_mem_type_name(e->type), (unsigned long long)(e->length / 1024));
		if (e->type == BOOT_MEM_RAM)
			ram += e->length;
	}
	console_printf("  RAM total %llu MiB\n", (unsigned long long)(ram >> 20));
	console_printf("Hypervisor:\n");
	print_range("image (code)", (uintptr_t)__image_start, (uintptr_t)__text_end);
	print_range("image (read-only data)", (uintptr_t)__text_end, (uintptr_t)__rodata_end);
	print_range("image (data)", (uintptr_t)__rodata_end, (uintptr_t)__load_end);
	print_range("image (bss: stacks, tables)", (uintptr_t)__load_end, (uintptr_t)__image_end);
	console_printf("  page-table pool: %llu of %u pages used; identity map up to 0x%llx\n",
		       (unsigned long long)paging_pool_pages_used(), PT_POOL_PAGES,
		       (unsigned long long)paging_mapped_top());
	console_printf("  per-CPU stacks: %u x %u KiB\n", HV_MAX_CPUS, HV_STACK_SIZE / 1024);
	if (tramp)
		print_range("AP start-up code", tramp, tramp + TRAMPOLINE_PAGES * PAGE_SIZE);
	for (uint32_t i = 0; i < bi->module_count; i++)
		console_printf("  module %u: 0x%llx-0x%llx '%s'\n", i,
			       (unsigned long long)bi->modules[i].start,
			       (unsigned long long)bi->modules[i].end, bi->modules[i].string);
}

static void cmd_vmx(int argc, char **argv)
{
	char summary[320];

	(void)argc;
	(void)argv;
	vmx_format_summary(summary, sizeof(summary));
	console_printf("VMCS revision 0x%x, %s controls\n", vmx_caps.revision,
		       vmx_caps.true_controls ? "true" : "default");
	console_printf("%s\n", summary);
	console_printf(
	    "pin 0x%016llx proc 0x%016llx proc2 0x%016llx\n", (unsigned long long)vmx_caps.pinbased,
	    (unsigned long long)vmx_caps.procbased, (unsigned long long)vmx_caps.procbased2);
	console_printf("exit 0x%016llx entry 0x%016llx ept/vpid 0x%016llx misc 0x%016llx\n",
		       (unsigned long long)vmx_caps.exit, (unsigned long long)vmx_caps.entry,
		       (unsigned long long)vmx_caps.ept_vpid, (unsigned long long)vmx_caps.misc);
}

static void cmd_log(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	console_dump_log(LOG_LEVEL_MAX);
}

static void cmd_loglevel(int argc, char **argv)
{
	if (argc == 2) {
		const char *s = argv[1];

		if (s[0] < '0' || s[0] > '0' + LOG_LEVEL_MAX || s[1] != '\0') {
			console_printf("shell: log level must be 0..%d\n", LOG_LEVEL_MAX);
			return;
		}
		console_set_loglevel(s[0] - '0');
	}
	console_printf("console log level %d\n", console_loglevel());
}

static void cmd_acpi(int argc, char **argv)
{
	const struct acpi_info *a = &platform.acpi;

	(void)argc;
	(void)argv;
	console_printf("RSDP 0x%llx revision %u OEM '%s' (%s)\n",
		       (unsigned long long)a->rsdp_address, a->rsdp_revision, a->oem_id,
		       a->using_xsdt ? "XSDT" : "RSDT");
	for (uint32_t i = 0; i < a->table_count; i++)
		console_printf("  %s 0x%llx len %u rev %u%s\n", a->tables[i].signature,
			       (unsigned long long)a->tables[i].address, a->tables[i].length,
			       a->tables[i].revision,
			       a->tables[i].checksum_ok ? "" : " BAD CHECKSUM");
	console_printf("CPUs %u, IOAPICs %u, overrides %u; PM1a_CNT 0x%llx, S5 %s\n", a->cpu_count,
		       a->ioapic_count, a->override_count, (unsigned long long)a->pm1a_cnt.address,
		       a->has_s5 ? "yes" : "no");
}

static void cmd_time(int argc, char **argv)
{
	uint64_t bringup = platform.all_vmx_tsc - platform.entry_tsc;

	(void)argc;
	(void)argv;
	console_printf("TSC %llu Hz (%s); %llu us since GRUB's hand-off; local APIC %s%s\n",
		       (unsigned long long)tsc_hz(), tsc_source(),
		       (unsigned long long)tsc_to_us(rdtsc() - platform.entry_tsc),
		       lapic_is_x2apic() ? "x2APIC" : "xAPIC",
		       lapic_has_tsc_deadline() ? ", TSC-deadline timer" : ", one-shot timer");
	console_printf("bring-up: %llu TSC ticks (%llu us) from GRUB's hand-off to VMX root on "
		       "every CPU\n",
		       (unsigned long long)bringup, (unsigned long long)tsc_to_us(bringup));
	console_printf("hand-off: GRUB started the hypervisor at TSC %llu\n",
		       (unsigned long long)platform.entry_tsc);
}

static void cmd_vm_list(int argc, char **argv)
{
	const struct vm *vm = service_vm();

	(void)argc;
	(void)argv;
	console_printf("VM  NAME             STATE        vCPUs\n");
	if (vm->vcpu_count)
		console_printf("%-3u %-16s %-12s %u\n", vm->id, vm->name, vm_state_name(vm->state),
			       vm->vcpu_count);
}

static const char *vcpu_state_name(enum vcpu_state s)
{
	switch (s) {
	case VCPU_INIT:
		return "init";
	case VCPU_WAIT_SIPI:
		return "wait-for-SIPI";
	case VCPU_RUNNING:
		return "running";
	case VCPU_FAILED:
		return "failed";
	}
	return "?";
}

static void cmd_vcpu_list(int argc, char **argv)
{
	const struct vm *vm = service_vm();

	(void)argc;
	(void)argv;
	console_printf("VM  vCPU  pCPU  STATE          EXITS\n");
	for (uint32_t i = 0; i < vm->vcpu_count; i++) {
		const struct vcpu *v = vm->vcpus[i];

		console_printf("%-3u %-5u %-5u %-14s %llu\n", vm->id, v->id, v->pcpu,
			       vcpu_state_name(v->state), (unsigned long long)v->exits_total);
	}
}

static void cmd_vmexit(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	vmexit_print_stats(service_vm());
}

static void print_vcpu_vectors(const struct vm *vm, bool accepted)
{
	for (uint32_t v = 0; v < 256; v++) {
		uint64_t total = 0;

		for (uint32_t i = 0; i < vm->vcpu_count; i++)
			total +=
			    accepted ? vm->vcpus[i]->vlapic.accepted[v] : vm->vcpus[i]->injected[v];
		if (!total)
			continue;
		console_printf("  vector 0x%02x:", v);
		for (uint32_t i = 0; i < vm->vcpu_count; i++)
			console_printf(" %llu",
				       (unsigned long long)(accepted
								? vm->vcpus[i]->vlapic.accepted[v]
								: vm->vcpus[i]->injected[v]));
		console_printf("\n");
	}
}

static void cmd_int(int argc, char **argv)
{
	const struct vm *vm = service_vm();

	(void)argc;
	(void)argv;
	console_printf("physical interrupts taken by the hypervisor, per CPU:\n");
	for (uint32_t v = VECTOR_FIRST_EXTERNAL; v < 256; v++) {
		uint64_t total = 0;

		for (uint32_t c = 0; c < cpu_count; c++)
			total += per_cpu_data[c].interrupt_count[v];
		if (!total)
			continue;
		console_printf("  vector 0x%02x:", v);
		for (uint32_t c = 0; c < cpu_count; c++)
			console_printf(" %llu",
				       (unsigned long long)per_cpu_data[c].interrupt_count[v]);
		console_printf("\n");
	}
	if (!vm->vcpu_count)
		return;
	console_printf("interrupts accepted by the vLAPICs of VM %u, per vCPU:\n", vm->id);
	print_vcpu_vectors(vm, true);
	console_printf("events injected by VM entry (NMI, 8259%s), per vCPU:\n",
		       vm->vid ? "; the processor delivers the vLAPIC's" : ", vLAPIC");
	print_vcpu_vectors(vm, false);
}

static void print_io_ranges(const char *kind, const struct io_range *r, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++)
		console_printf("  %-4s %#10llx-%#-10llx %-30s %12llu\n", kind,
			       (unsigned long long)r[i].start, (unsigned long long)(r[i].end - 1),
			       r[i].handler.name ? r[i].handler.name : "?",
			       (unsigned long long)r[i].accesses);
}

static void cmd_io(int argc, char **argv)
{
	const struct vm *vm = service_vm();

	(void)argc;
	(void)argv;
	console_printf("emulated ranges of VM %u and the accesses that reached them:\n", vm->id);
	print_io_ranges("port", vm->io.port, vm->io.port_table.count);
	print_io_ranges("mmio", vm->io.mmio, vm->io.mmio_table.count);
	if (vm->console_uart) {
		const struct vuart *u = vm->console_uart;

		console_printf("COM1: IER %02x LCR %02x MCR %02x, THR-empty interrupt %s, %u bytes "
			       "received and waiting, interrupt line %s; %llu bytes sent\n",
			       u->ier, u->lcr, u->mcr,
			       u->thr_interrupt_pending ? "pending" : "clear", u->rx_count,
			       vuart_interrupt_pending(u) ? "high" : "low",
			       (unsigned long long)u->tx_bytes);
	}
}

static void print_vector_register(const struct vlapic *vl, const char *name, uint32_t base)
{
	console_printf("  %s", name);
	for (int i = 7; i >= 0; i--)
		console_printf(" %08x", vlapic_read_reg(vl, base + (uint32_t)i * 0x10));
	console_printf("\n");
}

static void cmd_vlapic(int argc, char **argv)
{
	const struct vm *vm = service_vm();
	const struct vlapic *vl;
	uint64_t id;

	(void)argc;
	if (!cmdline_parse_u64(argv[1], &id) || id >= vm->vcpu_count) {
		console_printf("shell: no vCPU '%s' in VM %u\n", argv[1], vm->id);
		return;
	}
	vl = &vm->vcpus[id]->vlapic;
	console_printf("vCPU %u vLAPIC: id %u, base 0x%llx%s%s, TPR %02x PPR %02x SVR %03x\n",
		       (unsigned int)id, vl->apic_id, (unsigned long long)vlapic_base_address(vl),
		       vlapic_x2apic_mode(vl) ? ", x2APIC" : "",
		       vlapic_enabled(vl) ? "" : ", disabled", vlapic_read_reg(vl, APIC_TPR),
		       vlapic_read_reg(vl, APIC_PPR), vlapic_read_reg(vl, APIC_SVR));
	print_vector_register(vl, "IRR (255..0)", APIC_IRR);
	print_vector_register(vl, "ISR (255..0)", APIC_ISR);
	print_vector_register(vl, "TMR (255..0)", APIC_TMR);
	console_printf("  LVT timer %08x LINT0 %08x LINT1 %08x error %08x; timer initial %u "
		       "current %u divide %x\n",
		       vlapic_read_reg(vl, APIC_LVT_TIMER), vlapic_read_reg(vl, APIC_LVT_LINT0),
		       vlapic_read_reg(vl, APIC_LVT_LINT1), vlapic_read_reg(vl, APIC_LVT_ERROR),
		       vlapic_read_reg(vl, APIC_TIMER_ICR), vlapic_read_reg(vl, APIC_TIMER_CCR),
		       vlapic_read_reg(vl, APIC_TIMER_DCR));
}

static void cmd_vioapic(int argc, char **argv)
{
	const struct vm *vm = service_vm();

	(void)argc;
	(void)argv;
	for (uint32_t i = 0; i < vm->vioapic_count; i++) {
		const struct vioapic *io = &vm->vioapic[i];

		console_printf("vIOAPIC %u at 0x%llx, GSI %u-%u (pins with an entry or a raised "
			       "line):\n",
			       io->id, (unsigned long long)io->base, io->gsi_base,
			       io->gsi_base + io->pins - 1);
		for (uint32_t pin = 0; pin < io->pins; pin++) {
			uint64_t rte = vioapic_rte(io, pin);

			if (rte == IOAPIC_RTE_MASKED && !io->line[pin])
				continue;
			console_printf("  pin %2u: %016llx line %s, delivered %llu\n", pin,
				       (unsigned long long)rte, io->line[pin] ? "high" : "low",
				       (unsigned long long)io->delivered[pin]);
		}
	}
}

static void cmd_cpu_dump(int argc, char **argv)
{
	uint64_t id;

	(void)argc;
	if (!cmdline_parse_u64(argv[1], &id) || id >= cpu_count) {
		console_printf("shell: no CPU '%s' (there are %u)\n", argv[1], cpu_count);
		return;
	}
	cpu_request_nmi_dump((uint32_t)id);
}

static void cmd_vcpu_dumpreg(int argc, char **argv)
{
	const struct vm *vm = service_vm();
	uint64_t id;

	(void)argc;
	if (!cmdline_parse_u64(argv[1], &id) || id >= vm->vcpu_count) {
		console_printf("shell: no vCPU '%s' in VM %u (it has %u)\n", argv[1], vm->id,
			       vm->vcpu_count);
		return;
	}
	/* Its VMCS is loaded only on its own CPU: that CPU prints it at its next exit. */
	vcpu_request_dump(vm->vcpus[id]);
}

#define DUMPMEM_MAX 4096

static void cmd_dumpmem(int argc, char **argv)
{
	const struct vm *vm = service_vm();
	uint64_t gpa, len = 64;
	uint8_t line[16];

	if (!cmdline_parse_u64(argv[1], &gpa) || (argc == 3 && !cmdline_parse_u64(argv[2], &len)) ||
	    len == 0 || len > DUMPMEM_MAX) {
		console_printf("shell: usage: dumpmem GPA [LENGTH], LENGTH 1..%u\n", DUMPMEM_MAX);
		return;
	}
	if (!vm->vcpu_count) {
		console_printf("shell: no Service VM\n");
		return;
	}
	for (uint64_t off = 0; off < len; off += sizeof(line)) {
		uint64_t n = len - off < sizeof(line) ? len - off : sizeof(line);

		if (guest_phys_read(vm, gpa + off, line, n) != 0) {
			console_printf("%016llx: not mapped for the VM\n",
				       (unsigned long long)(gpa + off));
			return;
		}
		console_printf("%016llx:", (unsigned long long)(gpa + off));
		for (uint64_t i = 0; i < n; i++)
			console_printf(" %02x", line[i]);
		console_printf("\n");
	}
}

static void cmd_vm_console(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	shell_switch_console(true);
}

static void cmd_poweroff(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	power_off();
}

static void cmd_reboot(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	power_reboot();
}

const struct shell_command shell_commands[] = {
	{ "help", "", "list the commands", 0, 0, cmd_help },
	{ "version", "", "hypervisor version", 0, 0, cmd_version },
	{ "cpus", "", "physical CPUs and their state", 0, 0, cmd_cpus },
	{ "mem", "", "memory map and the hypervisor's use of it", 0, 0, cmd_mem },
	{ "vmx", "", "VMX capabilities", 0, 0, cmd_vmx },
	{ "acpi", "", "ACPI tables found", 0, 0, cmd_acpi },
	{ "time", "", "TSC frequency and uptime", 0, 0, cmd_time },
	{ "log", "", "replay the log buffer", 0, 0, cmd_log },
	{ "loglevel", "[0-6]", "show or set the console log level", 0, 1, cmd_loglevel },
	{ "vm_list", "", "virtual machines", 0, 0, cmd_vm_list },
	{ "vcpu_list", "", "virtual CPUs", 0, 0, cmd_vcpu_list },
	{ "vmexit", "", "VM exits per reason per vCPU", 0, 0, cmd_vmexit },
	{ "vcpu_dumpreg", "VCPU", "registers of a vCPU of the Service VM", 1, 1, cmd_vcpu_dumpreg },
	{ "int", "", "interrupt counts per vector (physical and injected)", 0, 0, cmd_int },
	{ "dumpmem", "GPA [LENGTH]", "hex dump of Service VM memory", 1, 2, cmd_dumpmem },
	{ "io", "", "emulated port and MMIO ranges with access counts", 0, 0, cmd_io },
	{ "cpu_dump", "CPU", "where a physical CPU is (NMI: hypervisor RIP and stack)", 1, 1,
	  cmd_cpu_dump },
	{ "vlapic", "VCPU", "a vCPU's virtual local APIC: priorities, IRR/ISR/TMR, LVTs", 1, 1,
	  cmd_vlapic },
	{ "vioapic", "", "the virtual IOAPICs' redirection entries and lines", 0, 0, cmd_vioapic },
	{ "vm_console", "", "console input to the Service VM (Ctrl+Space comes back)", 0, 0,
	  cmd_vm_console },
	{ "poweroff", "", "power the machine off (ACPI S5)", 0, 0, cmd_poweroff },
	{ "reboot", "", "reset the machine", 0, 0, cmd_reboot },
};
const unsigned int shell_command_count = sizeof(shell_commands) / sizeof(shell_commands[0]);
