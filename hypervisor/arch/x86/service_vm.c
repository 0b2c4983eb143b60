/* SPDX-License-Identifier: BSD-3-Clause */
#include "arch/x86/service_vm.h"

#include "arch/x86/cpu.h"
#include "arch/x86/ept.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "arch/x86/trap.h"
#include "arch/x86/vcpu.h"
#include "arch/x86/virq.h"
#include "arch/x86/vpm.h"
#include "arch/x86/vmexit.h"
#include "arch/x86/vmtrr.h"
#include "arch/x86/vmx.h"
#include "boot/bzimage.h"
#include "core/e820.h"
#include "core/platform.h"
#include "debug/console.h"
#include "debug/log.h"
#include "debug/shell.h"
#include "debug/uart16550.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "vdev/vuart.h"

#define GIB		   (1ull << 30)
#define LAPIC_PAGE	   0xfee00000ull
#define EPT_RWX		   (EPT_R | EPT_W | EPT_X)
#define EPT_UC		   (EPT_MT_UC << EPT_MT_SHIFT)
#define EPT_WB		   (EPT_MT_WB << EPT_MT_SHIFT)
#define HV_RESERVED_RANGES 4
#define COM1_PORT	   0x3f8
#define COM1_ISA_IRQ	   4

static struct vm sos;
/* Never read or written: its address is what the processor matches for APIC virtualization. */
static uint8_t apic_access_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static struct vcpu sos_vcpus[HV_MAX_CPUS];
static struct vuart sos_com1;
static uint8_t sos_io_bitmap[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t sos_msr_bitmap[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static struct e820_entry sos_e820[E820_MAX_ENTRIES];
static uint32_t sos_e820_count;
static uint64_t sos_ept_top;
static struct e820_range sos_hv[HV_RESERVED_RANGES];
static uint32_t sos_hv_count;

struct vm *service_vm(void)
{
	return &sos;
}

bool service_vm_kernel_present(void)
{
	const char *args;

	return boot_find_module(&platform.boot, platform.options.kernel_tag, &args) >= 0;
}

/*
 * Memory the Service VM must not see: it becomes reserved in its e820 and
 * absent from EPT. The AP start-up pages are not in it: every AP is up by
 * now, and Linux needs free memory below 1 MiB for its own trampoline.
 */
static uint32_t hypervisor_ranges(struct e820_range *r)
{
	uint32_t n = 0;

	r[n++] = (struct e820_range){ platform.image_start, platform.image_end };
	return n;
}

/*
 * The Service VM owns every interrupt line except the ones behind its
 * virtual COM1 (driven by the vUART) and the hypervisor's console UART.
 */
static bool sos_owns_gsi(uint32_t gsi)
{
	uint8_t isa = gsi < VM_MAX_GSIS ? sos.gsi_to_isa_irq[gsi] : 0xff;

	return isa != COM1_ISA_IRQ && (isa == 0xff || isa != uart_isa_irq());
}

static int com1_read(void *dev, uint64_t port, uint32_t width, uint64_t *value)
{
	struct vm *vm = dev;
	bool irq;

	(void)width;
	spinlock_acquire(&vm->uart_lock);
	*value = vuart_read(vm->console_uart, (uint32_t)(port - COM1_PORT));
	irq = vuart_interrupt_pending(vm->console_uart);
	/*
	 * The line follows the UART inside its lock: set after the unlock, two
	 * CPUs could leave it high while the UART no longer asks, and the next
	 * request's rising edge would be lost.
	 */
	virq_set_gsi(vm, COM1_ISA_IRQ, irq);
	spinlock_release(&vm->uart_lock);
	return 0;
}

static int com1_write(void *dev, uint64_t port, uint32_t width, uint64_t value)
{
	struct vm *vm = dev;
	bool irq;

	(void)width;
	spinlock_acquire(&vm->uart_lock);
	vuart_write(vm->console_uart, (uint32_t)(port - COM1_PORT), (uint8_t)value);
	irq = vuart_interrupt_pending(vm->console_uart);
	virq_set_gsi(vm, COM1_ISA_IRQ, irq);
	spinlock_release(&vm->uart_lock);
	return 0;
}

/* Console input while the Service VM has it: into COM1's receive FIFO. */
static void com1_console_input(uint8_t byte)
{
	bool irq;

	spinlock_acquire(&sos.uart_lock);
	vuart_receive(sos.console_uart, byte);
	irq = vuart_interrupt_pending(sos.console_uart);
	virq_set_gsi(&sos, COM1_ISA_IRQ, irq);
	spinlock_release(&sos.uart_lock);
}

static void vuart_to_console(void *ctx, uint8_t byte)
{
	char c = (char)byte;

	(void)ctx;
	console_write(&c, 1);
}

static int ept_map_or_report(uint64_t gpa, uint64_t size, uint64_t flags)
{
	int err = pt_map(&sos.ept, gpa, gpa, size, flags, PT_ALLOW_2M | PT_ALLOW_1G);

	if (err)
		pr_err(
		    "service-vm: EPT map of 0x%llx+0x%llx failed (%d); pool of %u pages too small?",
		    (unsigned long long)gpa, (unsigned long long)size, err, EPT_POOL_PAGES);
	return err;
}

/*
 * Maps [0, top) with the memory types the VM's MTRRs give (with EPT the
 * processor does not consult MTRRs for guest accesses, so EPT carries
 * them; the guest's PAT still combines with them), then takes out what the
 * Service VM must not reach: the hypervisor's memory and the interrupt
 * controllers and UART the hypervisor owns, so an access there exits.
 */
static int service_vm_map_memory(void)
{
	uint64_t addr = 0;
	int err = 0;

	while (!err && addr < sos_ept_top) {
		uint64_t next;
		uint32_t type = mtrr_type_at(&sos.mtrr, addr, &next);

		if (next > sos_ept_top || next <= addr)
			next = sos_ept_top;
		err = ept_map_or_report(addr, next - addr,
					EPT_RWX | ((uint64_t)type << EPT_MT_SHIFT));
		addr = next;
	}
	for (uint32_t i = 0; !err && i < sos_hv_count; i++)
		err = pt_unmap(&sos.ept, sos_hv[i].start, sos_hv[i].end - sos_hv[i].start);
	/*
	 * The xAPIC page: absent (every access exits into the vLAPIC), or with
	 * APIC virtualization backed by the APIC-access page, which the
	 * processor recognises and serves from the vCPU's virtual-APIC page.
	 */
	if (!err)
		err = sos.apicv ? pt_map(&sos.ept, LAPIC_PAGE, sos.apic_access_page, PAGE_SIZE,
					 EPT_R | EPT_W | EPT_UC, 0)
				: pt_unmap(&sos.ept, LAPIC_PAGE, PAGE_SIZE);
	for (uint32_t i = 0; !err && i < platform.acpi.ioapic_count; i++)
		err = pt_unmap(&sos.ept, platform.acpi.ioapics[i].address & ~0xfffull, PAGE_SIZE);
	if (!err && uart_mmio_base())
		err = pt_unmap(&sos.ept, uart_mmio_base() & ~0xfffull, PAGE_SIZE);
	return err;
}

void service_vm_memory_types_changed(struct vcpu *writer)
{
	if (service_vm_map_memory() != 0) {
		vcpu_fail(writer, "cannot apply the new MTRR memory types to EPT");
		return;
	}
	/* Every CPU drops translations cached with the old types before it runs the VM again. */
	ept_flush(sos.eptp);
	for (uint32_t i = 0; i < sos.vcpu_count; i++) {
		if (sos.vcpus[i] == writer)
			continue;
		__atomic_fetch_or(&sos.vcpus[i]->requests, VCPU_REQ_FLUSH_EPT, __ATOMIC_RELEASE);
		vcpu_kick(sos.vcpus[i]);
	}
}

static int service_vm_build_ept(const struct e820_range *hv, uint32_t hv_count)
{
	uint64_t top = 4 * GIB;
	int err;

	for (uint32_t i = 0; i < sos_e820_count; i++) {
		uint64_t end = sos_e820[i].addr + sos_e820[i].size;

		if (end > top)
			top = end;
	}
	sos_ept_top = (top + GIB - 1) & ~(GIB - 1);
	sos_hv_count = hv_count < HV_RESERVED_RANGES ? hv_count : HV_RESERVED_RANGES;
	for (uint32_t i = 0; i < sos_hv_count; i++)
		sos_hv[i] = hv[i];
	vmtrr_init_from_host(&sos.mtrr);
	if (ept_init(&sos.ept))
		return -ENOMEM;
	err = service_vm_map_memory();
	if (err)
		return err;
	top = sos_ept_top;
	sos.eptp = ept_pointer(&sos.ept);
	pr_info("service-vm: EPT maps 0x0-0x%llx (%llu table pages)", (unsigned long long)top,
		(unsigned long long)ept_pool_pages_used());
	return 0;
}

/* TPR shadow, APIC-access page and APIC-register virtualization: the base of APICv. */
static bool apicv_usable(void)
{
	uint32_t may_proc = (uint32_t)(vmx_caps.procbased >> 32);
	uint32_t may_proc2 = (uint32_t)(vmx_caps.procbased2 >> 32);
	uint32_t need2 = PROC2_VIRTUALIZE_APIC_ACCESSES | PROC2_APIC_REGISTER_VIRT;

	return (may_proc & PROC_USE_TPR_SHADOW) && (may_proc2 & need2) == need2;
}

/*
 * Bochs (2.7, the emulated VT-x machine of the tests) delivers a pending
 * virtual interrupt even while the guest has IF=0 when a physical interrupt
 * arrives at that moment: its interrupt-acknowledge path looks at the
 * virtual interrupt's pending flag without the IF mask. A guest taken inside
 * an interrupts-off section deadlocks on the lock it holds (seen as a
 * Service VM stuck on the 8250 port lock with 4 vCPUs). The machine is known
 * by its ACPI OEM id on a CPU without the hypervisor bit (QEMU, which uses
 * the same id, sets that bit); real processors are not affected.
 */
static bool vid_erratum(void)
{
	struct cpuid_regs r;

	cpuid_count(1, 0, &r);
	return strncmp(platform.acpi.oem_id, "BOCHS", 5) == 0 && !(r.ecx & CPUID1_ECX_HYPERVISOR);
}

static void choose_apic_virtualization(void)
{
	enum apicv_mode mode = platform.options.apicv;
	bool vid_offered = (uint32_t)(vmx_caps.procbased2 >> 32) & PROC2_VIRTUAL_INTR_DELIVERY;
	bool erratum = vid_erratum();
	const char *why_not = NULL;

	sos.apicv = mode != APICV_OFF && apicv_usable();
	sos.vid = false;
	sos.vid_erratum = false;
	if (!sos.apicv) {
		pr_info("service-vm: local APIC emulated on every access (%s)",
			mode == APICV_OFF ? "apicv=off"
					  : "the CPU has no APIC-register virtualization");
		return;
	}
	if (!vid_offered)
		why_not = "the CPU has no virtual-interrupt delivery";
	else if (mode == APICV_NO_VID)
		why_not = "apicv=novid";
	else if (mode == APICV_ON && erratum)
		why_not = "Bochs erratum: its virtual-interrupt delivery ignores the guest's IF, "
			  "apicv=vid overrides";
	sos.vid = why_not == NULL;
	sos.vid_erratum = sos.vid && erratum;
	if (sos.vid)
		pr_info("service-vm: local APIC with APIC-register virtualization and "
			"virtual-interrupt delivery%s",
			sos.vid_erratum ? " (apicv=vid despite the Bochs erratum: entries with "
					  "interrupts blocked wait for the interrupt window)"
					: "");
	else
		pr_info("service-vm: local APIC with APIC-register virtualization; "
			"interrupts injected by the hypervisor (%s)",
			why_not);
}

int service_vm_create(void)
{
	struct e820_range hv[HV_RESERVED_RANGES];
	uint32_t hv_count = hypervisor_ranges(hv);
	int err;

	sos.id = 0;
	str_copy(sos.name, "Service VM", sizeof(sos.name));
	sos.is_service_vm = true;
	sos.state = VM_CREATED;
	io_registry_init(&sos.io);
	err = e820_build(platform.boot.mmap, platform.boot.mmap_count, hv, hv_count, sos_e820,
			 E820_MAX_ENTRIES, &sos_e820_count);
	if (err)
		return err;
	choose_apic_virtualization();
	sos.apic_access_page = (uint64_t)(uintptr_t)apic_access_page;
	err = service_vm_build_ept(hv, hv_count);
	if (err)
		return err;
	vuart_init(&sos_com1, vuart_to_console, NULL);
	sos.console_uart = &sos_com1;
	sos.uart_lock = (struct spinlock)SPINLOCK_INIT;
	err = virq_vm_init(&sos, sos_owns_gsi);
	if (!err) {
		struct io_handler com1 = { .name = "vUART COM1",
					   .read = com1_read,
					   .write = com1_write,
					   .dev = &sos,
					   .widths = IO_WIDTH_1 };

		err = io_registry_add_port(&sos.io, COM1_PORT, 8, &com1);
	}
	if (!err)
		err = vpm_init(&sos);
	if (err) {
		pr_err("service-vm: cannot set up its virtual devices (%d)", err);
		return err;
	}
	sos.io_bitmap = sos_io_bitmap;
	sos.msr_bitmap = sos_msr_bitmap;
	vm_io_bitmap_init(&sos);
	vm_msr_bitmap_init(sos.msr_bitmap);
	err = service_vm_load_kernel(&sos, sos_e820, sos_e820_count, hv, hv_count);
	if (err)
		return err;

	/* One vCPU per physical CPU, same numbering: the Service VM owns every CPU. */
	for (uint32_t i = 0; i < cpu_count; i++) {
		struct vcpu *v = &sos_vcpus[i];

		v->vm = &sos;
		v->id = i;
		v->pcpu = i;
		v->vpid = (uint16_t)(i + 1);
		v->state = i == 0 ? VCPU_INIT : VCPU_WAIT_SIPI;
		/* Same APIC ids as the hardware: the guest reads them from the firmware's MADT. */
		virq_vcpu_init(v, per_cpu_data[i].apic_id, i == 0);
		sos.vcpus[i] = v;
	}
	sos.vcpu_count = cpu_count;
	shell_attach_vm_console(com1_console_input);
	return 0;
}

void service_vm_run_boot_vcpu(void)
{
	struct vcpu *v = sos.vcpus[0];

	if (vcpu_setup_vmcs(v) != 0) {
		pr_err("service-vm: cannot set up vCPU 0");
		return;
	}
	v->regs.gpr[GUEST_RSI] = sos.boot.zero_page;
	ept_flush(sos.eptp);
	sos.state = VM_RUNNING;
	/* The other CPUs take their vCPUs, which wait for INIT and a start-up IPI. */
	for (uint32_t i = 1; i < sos.vcpu_count; i++) {
		if (per_cpu_data[i].state != CPU_VMX_ROOT) {
			pr_warn("service-vm: CPU %u is not in VMX root; its vCPU never starts", i);
			continue;
		}
		__atomic_store_n(&per_cpu_data[i].vcpu, sos.vcpus[i], __ATOMIC_RELEASE);
		lapic_send_ipi(per_cpu_data[i].apic_id, VECTOR_KICK);
	}
	pr_info("service-vm: starting vCPU 0 at 0x%llx (zero page 0x%llx)",
		(unsigned long long)sos.boot.entry, (unsigned long long)sos.boot.zero_page);
	vcpu_run(v);
}

void service_vm_run_ap_vcpu(struct vcpu *v)
{
	irq_disable();
	if (vcpu_setup_vmcs(v) != 0) {
		pr_err("service-vm: cannot set up vCPU %u", v->id);
		v->state = VCPU_FAILED;
		__atomic_store_n(&this_cpu()->vcpu, NULL, __ATOMIC_RELEASE);
		return;
	}
	ept_flush(sos.eptp);
	vcpu_run(v);
	__atomic_store_n(&this_cpu()->vcpu, NULL, __ATOMIC_RELEASE);
}
