/* SPDX-License-Identifier: BSD-3-Clause */
/* VMCS set-up and the run loop of a vCPU. */
#include "arch/x86/vcpu.h"

#include "arch/x86/cpu.h"
#include "arch/x86/ept.h"
#include "arch/x86/guest_mem.h"
#include "arch/x86/percpu.h"
#include "arch/x86/trap.h"
#include "arch/x86/virq.h"
#include "arch/x86/vmexit.h"
#include "arch/x86/vmx.h"
#include "core/vm.h"
#include "debug/console.h"
#include "debug/log.h"
#include "lib/errno.h"
#include "lib/string.h"

#define VMCS_AR_UNUSABLE (1u << 16)
#define AR_CODE32	 0xc09b /* present, code, read, accessed, D, G */
#define AR_DATA32	 0xc093
#define AR_TSS32_BUSY	 0x008b
#define AR_LDT		 0x0082
#define CR0_INIT_VALUE	 0x60000010ull /* CD, NW, ET */

extern const char vmx_exit_entry[];

static uint8_t vmcs_regions[HV_MAX_CPUS][PAGE_SIZE] HV_NOINIT_PAGES;

/*
 * Combines the controls we want with what the CPU allows: allowed-0
 * settings (low half of the capability MSR) must be 1, allowed-1 settings
 * (high half) may be 1. Returns false when a wanted bit is not allowed.
 */
static bool vmx_adjust_controls(uint64_t capability, uint32_t wanted, uint32_t optional,
				uint32_t *result)
{
	uint32_t must = (uint32_t)capability;
	uint32_t may = (uint32_t)(capability >> 32);

	*result = ((wanted | (optional & may)) | must) & may;
	return (*result & wanted) == wanted;
}

static void vmcs_setup_host_state(void)
{
	struct per_cpu *cpu = this_cpu();
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr;

	__asm__ volatile("sidt %0" : "=m"(idtr));
	vmcs_write(VMCS_HOST_CR0, read_cr0());
	vmcs_write(VMCS_HOST_CR3, read_cr3());
	vmcs_write(VMCS_HOST_CR4, read_cr4());
	vmcs_write(VMCS_HOST_CS_SEL, GDT_CODE64);
	vmcs_write(VMCS_HOST_SS_SEL, GDT_DATA);
	vmcs_write(VMCS_HOST_DS_SEL, GDT_DATA);
	vmcs_write(VMCS_HOST_ES_SEL, GDT_DATA);
	vmcs_write(VMCS_HOST_FS_SEL, 0);
	vmcs_write(VMCS_HOST_GS_SEL, 0);
	vmcs_write(VMCS_HOST_TR_SEL, GDT_TSS);
	vmcs_write(VMCS_HOST_FS_BASE, 0);
	vmcs_write(VMCS_HOST_GS_BASE, (uint64_t)(uintptr_t)cpu);
	vmcs_write(VMCS_HOST_TR_BASE, (uint64_t)(uintptr_t)&cpu->tss);
	vmcs_write(VMCS_HOST_GDTR_BASE, (uint64_t)(uintptr_t)cpu->gdt);
	vmcs_write(VMCS_HOST_IDTR_BASE, idtr.base);
	vmcs_write(VMCS_HOST_SYSENTER_CS, 0);
	vmcs_write(VMCS_HOST_SYSENTER_ESP, 0);
	vmcs_write(VMCS_HOST_SYSENTER_EIP, 0);
	vmcs_write(VMCS_HOST_EFER, rdmsr(MSR_IA32_EFER));
	vmcs_write(VMCS_HOST_PAT, rdmsr(MSR_IA32_PAT));
	vmcs_write(VMCS_HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_entry);
}

static void vmcs_set_segment(uint32_t sel_field, uint16_t selector, uint64_t base, uint32_t limit,
			     uint32_t ar)
{
	/* Selector, base, limit and access-rights fields are laid out in parallel. */
	uint32_t index = (sel_field - VMCS_GUEST_ES_SEL) / 2;

	vmcs_write(sel_field, selector);
	vmcs_write(VMCS_GUEST_ES_BASE + index * 2, base);
	vmcs_write(VMCS_GUEST_ES_LIMIT + index * 2, limit);
	vmcs_write(VMCS_GUEST_ES_AR + index * 2, ar);
}

/*
 * The state the Linux 32-bit boot protocol expects: protected mode, paging
 * off, flat 4 GiB segments with __BOOT_CS = 0x10 and __BOOT_DS = 0x18 (the
 * loader put a matching GDT in guest memory), interrupts off.
 */
static void vmcs_setup_guest_state(const struct vcpu *vcpu)
{
	const struct vm_boot_state *boot = &vcpu->vm->boot;

	vmcs_set_segment(VMCS_GUEST_CS_SEL, 0x10, 0, 0xffffffff, AR_CODE32);
	vmcs_set_segment(VMCS_GUEST_DS_SEL, 0x18, 0, 0xffffffff, AR_DATA32);
	vmcs_set_segment(VMCS_GUEST_ES_SEL, 0x18, 0, 0xffffffff, AR_DATA32);
	vmcs_set_segment(VMCS_GUEST_SS_SEL, 0x18, 0, 0xffffffff, AR_DATA32);
	vmcs_set_segment(VMCS_GUEST_FS_SEL, 0x18, 0, 0xffffffff, AR_DATA32);
	vmcs_set_segment(VMCS_GUEST_GS_SEL, 0x18, 0, 0xffffffff, AR_DATA32);
	vmcs_set_segment(VMCS_GUEST_TR_SEL, 0, 0, 0xff, AR_TSS32_BUSY);
	vmcs_set_segment(VMCS_GUEST_LDTR_SEL, 0, 0, 0, VMCS_AR_UNUSABLE | AR_LDT);
	vmcs_write(VMCS_GUEST_GDTR_BASE, boot->gdt_base);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, boot->gdt_limit);
	vmcs_write(VMCS_GUEST_IDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, 0xffff);

	vmcs_write(VMCS_GUEST_CR0, vcpu_guest_cr0_real(CR0_PE | CR0_ET));
	vmcs_write(VMCS_CR0_SHADOW, CR0_PE | CR0_ET);
	vmcs_write(VMCS_GUEST_CR3, 0);
	vmcs_write(VMCS_GUEST_CR4, vcpu_guest_cr4_real(0));
	vmcs_write(VMCS_CR4_SHADOW, 0);
	vmcs_write(VMCS_GUEST_DR7, 0x400);
	vmcs_write(VMCS_GUEST_RSP, 0);
	vmcs_write(VMCS_GUEST_RIP, boot->entry);
	vmcs_write(VMCS_GUEST_RFLAGS, 0x2);
	vmcs_write(VMCS_GUEST_PENDING_DBG, 0);
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmcs_write(VMCS_GUEST_ACTIVITY, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_CS, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_ESP, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_EIP, 0);
	vmcs_write(VMCS_GUEST_EFER, 0);
	vmcs_write(VMCS_GUEST_PAT, 0x0007040600070406ull); /* the architectural reset value */
	vmcs_write(VMCS_GUEST_DEBUGCTL, 0);
	vmcs_write(VMCS_LINK_POINTER, ~0ull);
}

static int vmcs_setup_controls(struct vcpu *vcpu)
{
	const struct vmx_caps *c = &vmx_caps;
	const struct vm *vm = vcpu->vm;
	uint32_t pin, proc, proc2, exit, entry;

	if (!vmx_adjust_controls(c->pinbased, PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING,
				 PIN_VIRTUAL_NMIS, &pin) ||
	    !vmx_adjust_controls(c->procbased,
				 PROC_HLT_EXITING | PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS |
				     PROC_ACTIVATE_SECONDARY,
				 0, &proc) ||
	    !vmx_adjust_controls(
		c->procbased2, PROC2_ENABLE_EPT | PROC2_ENABLE_VPID | PROC2_UNRESTRICTED_GUEST,
		PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID | PROC2_ENABLE_XSAVES, &proc2) ||
	    !vmx_adjust_controls(c->exit,
				 EXIT_HOST_ADDRESS_SPACE_64 | EXIT_ACK_INTERRUPT | EXIT_SAVE_EFER |
				     EXIT_LOAD_EFER,
				 EXIT_SAVE_PAT | EXIT_LOAD_PAT, &exit) ||
	    !vmx_adjust_controls(c->entry, ENTRY_LOAD_EFER, ENTRY_LOAD_PAT, &entry))
		return -ENODEV;
	if (vm->apicv) {
		uint32_t need2 = PROC2_VIRTUALIZE_APIC_ACCESSES | PROC2_APIC_REGISTER_VIRT |
				 (vm->vid ? PROC2_VIRTUAL_INTR_DELIVERY : 0);

		if (!vmx_adjust_controls(c->procbased, proc | PROC_USE_TPR_SHADOW, 0, &proc) ||
		    !vmx_adjust_controls(c->procbased2, proc2 | need2, 0, &proc2))
			return -ENODEV;
	}
	/* Without PAT switching the guest would write the host's PAT. */
	if (!(exit & EXIT_LOAD_PAT) || !(entry & ENTRY_LOAD_PAT)) {
		exit &= ~(EXIT_SAVE_PAT | EXIT_LOAD_PAT);
		entry &= ~ENTRY_LOAD_PAT;
	}
	vmcs_write(VMCS_PIN_CONTROLS, pin);
	vmcs_write(VMCS_PROC_CONTROLS, proc);
	vcpu->pin_controls = pin;
	vcpu->proc_controls = proc;
	vmcs_write(VMCS_PROC2_CONTROLS, proc2);
	vmcs_write(VMCS_EXIT_CONTROLS, exit);
	vmcs_write(VMCS_ENTRY_CONTROLS, entry);
	vmcs_write(VMCS_EXCEPTION_BITMAP, 1u << VECTOR_MACHINE_CHECK);
	vmcs_write(VMCS_PF_ERROR_MASK, 0);
	vmcs_write(VMCS_PF_ERROR_MATCH, 0);
	vmcs_write(VMCS_CR3_TARGET_COUNT, 0);
	vmcs_write(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
	vmcs_write(VMCS_TSC_OFFSET, 0);
	vmcs_write(VMCS_VPID, vcpu->vpid);
	vmcs_write(VMCS_EPT_POINTER, vm->eptp);
	vmcs_write(VMCS_IO_BITMAP_A, (uint64_t)(uintptr_t)vm->io_bitmap);
	vmcs_write(VMCS_IO_BITMAP_B, (uint64_t)(uintptr_t)vm->io_bitmap + PAGE_SIZE);
	vmcs_write(VMCS_MSR_BITMAP, (uint64_t)(uintptr_t)vm->msr_bitmap);
	if (vm->apicv) {
		/* The vLAPIC's register page is the virtual-APIC page: one state, two users. */
		vmcs_write(VMCS_VIRTUAL_APIC_ADDR, (uint64_t)(uintptr_t)vcpu->vlapic.page);
		vmcs_write(VMCS_APIC_ACCESS_ADDR, vm->apic_access_page);
		vmcs_write(VMCS_TPR_THRESHOLD, 0);
		vcpu->tpr_threshold = 0;
	}
	if (vm->vid) {
		for (uint32_t i = 0; i < 4; i++) {
			vmcs_write(VMCS_EOI_EXIT0 + 2 * i, 0);
			vcpu->eoi_exit[i] = 0;
		}
		vmcs_write(VMCS_GUEST_INTR_STATUS, 0);
	}
	vmcs_write(VMCS_CR0_MASK, vcpu_cr0_host_owned());
	vmcs_write(VMCS_CR4_MASK, vcpu_cr4_host_owned());
	return 0;
}

int vcpu_setup_vmcs(struct vcpu *vcpu)
{
	uint8_t *region = vmcs_regions[vcpu->pcpu];
	int err;

	memset(region, 0, PAGE_SIZE);
	memcpy(region, &vmx_caps.revision, sizeof(vmx_caps.revision));
	vcpu->vmcs_phys = (uint64_t)(uintptr_t)region;
	if (!vmcs_clear(vcpu->vmcs_phys) || !vmcs_load(vcpu->vmcs_phys)) {
		pr_err("vcpu: VMCLEAR/VMPTRLD of the VMCS at 0x%llx failed",
		       (unsigned long long)vcpu->vmcs_phys);
		return -EIO;
	}
	err = vmcs_setup_controls(vcpu);
	if (err) {
		pr_err("vcpu: the CPU does not allow the required VMX controls");
		return err;
	}
	vmcs_setup_host_state();
	vmcs_setup_guest_state(vcpu);
	vcpu->launched = false;
	return 0;
}

void vcpu_skip_instruction(struct vcpu *vcpu)
{
	uint64_t blocking = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);

	(void)vcpu;
	vmcs_write(VMCS_GUEST_RIP, vmcs_read(VMCS_GUEST_RIP) + vmcs_read(VMCS_EXIT_INSTR_LEN));
	/* The STI / MOV SS shadow covered the instruction just completed; it ends with it. */
	if (blocking & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY,
			   blocking & ~(uint64_t)(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

/*
 * The state after INIT and a start-up IPI with this vector (SDM "INIT and
 * SIPI"): real mode at vector * 4096, CS selector vector * 256, the
 * architectural INIT values elsewhere.
 */
static void vcpu_reset_for_startup(struct vcpu *vcpu, uint8_t vector)
{
	uint16_t cs = (uint16_t)(vector << 8);

	vmcs_set_segment(VMCS_GUEST_CS_SEL, cs, (uint64_t)cs << 4, 0xffff, 0x9b);
	vmcs_set_segment(VMCS_GUEST_DS_SEL, 0, 0, 0xffff, 0x93);
	vmcs_set_segment(VMCS_GUEST_ES_SEL, 0, 0, 0xffff, 0x93);
	vmcs_set_segment(VMCS_GUEST_SS_SEL, 0, 0, 0xffff, 0x93);
	vmcs_set_segment(VMCS_GUEST_FS_SEL, 0, 0, 0xffff, 0x93);
	vmcs_set_segment(VMCS_GUEST_GS_SEL, 0, 0, 0xffff, 0x93);
	vmcs_set_segment(VMCS_GUEST_TR_SEL, 0, 0, 0xffff, AR_TSS32_BUSY);
	vmcs_set_segment(VMCS_GUEST_LDTR_SEL, 0, 0, 0xffff, AR_LDT);
	vmcs_write(VMCS_GUEST_GDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, 0xffff);
	vmcs_write(VMCS_GUEST_IDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, 0xffff);
	vmcs_write(VMCS_GUEST_CR0, vcpu_guest_cr0_real(CR0_INIT_VALUE));
	vmcs_write(VMCS_CR0_SHADOW, CR0_INIT_VALUE);
	vmcs_write(VMCS_GUEST_CR3, 0);
	vmcs_write(VMCS_GUEST_CR4, vcpu_guest_cr4_real(0));
	vmcs_write(VMCS_CR4_SHADOW, 0);
	vmcs_write(VMCS_GUEST_DR7, 0x400);
	vmcs_write(VMCS_GUEST_RSP, 0);
	vmcs_write(VMCS_GUEST_RIP, 0);
	vmcs_write(VMCS_GUEST_RFLAGS, 0x2);
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmcs_write(VMCS_GUEST_ACTIVITY, 0);
	vmcs_write(VMCS_GUEST_EFER, 0);
	vmcs_write(VMCS_GUEST_PAT, 0x0007040600070406ull);
	vmcs_write(VMCS_ENTRY_CONTROLS, vmcs_read(VMCS_ENTRY_CONTROLS) & ~ENTRY_IA32E_MODE_GUEST);
	vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
	memset(vcpu->regs.gpr, 0, sizeof(vcpu->regs.gpr));
	vcpu->regs.cr2 = 0;
	/* EDX holds the processor signature after INIT. */
	vcpu->regs.gpr[GUEST_RDX] = 0x600;
}

/*
 * INIT and start-up requests from other vCPUs. After INIT the vCPU waits
 * (halted on its physical CPU) until a start-up IPI arrives, as a real AP.
 */
static void vcpu_process_requests(struct vcpu *vcpu)
{
	uint32_t req = __atomic_load_n(&vcpu->requests, __ATOMIC_ACQUIRE);

	/* A start-up IPI reaches only a CPU waiting for one (Linux sends two). */
	if ((req & VCPU_REQ_SIPI) && !(req & VCPU_REQ_INIT) && vcpu->state == VCPU_RUNNING)
		__atomic_fetch_and(&vcpu->requests, ~VCPU_REQ_SIPI, __ATOMIC_ACQ_REL);
	vcpu_serve_dump_request(vcpu);
	if (req & VCPU_REQ_FLUSH_EPT) {
		__atomic_fetch_and(&vcpu->requests, ~VCPU_REQ_FLUSH_EPT, __ATOMIC_ACQ_REL);
		ept_flush(vcpu->vm->eptp);
	}
	if (req & VCPU_REQ_INIT) {
		__atomic_fetch_and(&vcpu->requests, ~(VCPU_REQ_INIT | VCPU_REQ_NMI),
				   __ATOMIC_ACQ_REL);
		vlapic_init_ipi(&vcpu->vlapic);
		vcpu->state = VCPU_WAIT_SIPI;
		pr_debug("vcpu %u: INIT", vcpu->id);
	}
	while (vcpu->state == VCPU_WAIT_SIPI && vcpu->vm->state == VM_RUNNING) {
		req = __atomic_load_n(&vcpu->requests, __ATOMIC_ACQUIRE);
		if (req & VCPU_REQ_SIPI) {
			__atomic_fetch_and(&vcpu->requests, ~VCPU_REQ_SIPI, __ATOMIC_ACQ_REL);
			vcpu_reset_for_startup(vcpu, vcpu->sipi_vector);
			vcpu->state = VCPU_RUNNING;
			pr_info("vcpu %u: started at 0x%x by a start-up IPI", vcpu->id,
				(unsigned int)vcpu->sipi_vector << 12);
			break;
		}
		/* A start-up IPI without INIT first is ignored, as on hardware. */
		__atomic_fetch_and(&vcpu->requests, ~VCPU_REQ_NMI, __ATOMIC_ACQ_REL);
		cpu_wait_for_interrupt();
		irq_disable();
		vcpu_serve_dump_request(vcpu);
		if (__atomic_load_n(&vcpu->requests, __ATOMIC_ACQUIRE) & VCPU_REQ_INIT)
			__atomic_fetch_and(&vcpu->requests, ~VCPU_REQ_INIT, __ATOMIC_ACQ_REL);
	}
}

void vcpu_inject_exception(struct vcpu *vcpu, uint8_t vector, bool has_error, uint32_t error)
{
	uint32_t info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector;

	(void)vcpu;
	if (has_error) {
		info |= INTR_INFO_DELIVER_ERROR;
		vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR, error);
	}
	vmcs_write(VMCS_ENTRY_INTR_INFO, info);
}

void vcpu_serve_dump_request(struct vcpu *vcpu)
{
	if (!(__atomic_load_n(&vcpu->requests, __ATOMIC_ACQUIRE) & VCPU_REQ_DUMP))
		return;
	__atomic_fetch_and(&vcpu->requests, ~VCPU_REQ_DUMP, __ATOMIC_ACQ_REL);
	vcpu_dump(vcpu);
}

void vcpu_request_dump(struct vcpu *vcpu)
{
	__atomic_fetch_or(&vcpu->requests, VCPU_REQ_DUMP, __ATOMIC_RELEASE);
	vcpu_kick(vcpu);
}

/*
 * What an interrupt-delivery or hang investigation needs beyond the
 * registers: the event state of the VMCS and the code and stack the guest
 * is on (read through its own page tables; unreadable memory is skipped).
 */
static void vcpu_dump_events_and_code(struct vcpu *vcpu)
{
	uint8_t code[16];
	uint64_t stack[6];

	console_printf("interruptibility %llx activity %llx entry-event %llx window %s",
		       (unsigned long long)vmcs_read(VMCS_GUEST_INTERRUPTIBILITY),
		       (unsigned long long)vmcs_read(VMCS_GUEST_ACTIVITY),
		       (unsigned long long)vmcs_read(VMCS_ENTRY_INTR_INFO),
		       (vcpu->proc_controls & PROC_INTERRUPT_WINDOW_EXITING) ? "on" : "off");
	if (vcpu->vm->vid)
		console_printf(" RVI/SVI %04llx",
			       (unsigned long long)vmcs_read(VMCS_GUEST_INTR_STATUS));
	console_printf("\n");
	if (guest_linear_read(vcpu, vmcs_read(VMCS_GUEST_RIP), code, sizeof(code)) == 0) {
		console_printf("code at RIP:");
		for (size_t i = 0; i < sizeof(code); i++)
			console_printf(" %02x", code[i]);
		console_printf("\n");
	}
	if (guest_linear_read(vcpu, vmcs_read(VMCS_GUEST_RSP), stack, sizeof(stack)) == 0) {
		console_printf("stack:");
		for (size_t i = 0; i < sizeof(stack) / sizeof(stack[0]); i++)
			console_printf(" %016llx", (unsigned long long)stack[i]);
		console_printf("\n");
	}
}

void vcpu_dump(struct vcpu *vcpu)
{
	const uint64_t *g = vcpu->regs.gpr;

	console_printf("VM %u vCPU %u on CPU %u: exit reason %u, qualification 0x%llx\n",
		       vcpu->vm->id, vcpu->id, vcpu->pcpu, vcpu->exit_reason,
		       (unsigned long long)vcpu->exit_qualification);
	console_printf("RIP %016llx RSP %016llx RFLAGS %016llx\n",
		       (unsigned long long)vmcs_read(VMCS_GUEST_RIP),
		       (unsigned long long)vmcs_read(VMCS_GUEST_RSP),
		       (unsigned long long)vmcs_read(VMCS_GUEST_RFLAGS));
	console_printf(
	    "CR0 %016llx CR3 %016llx CR4 %016llx EFER %016llx\n",
	    (unsigned long long)vcpu_visible_cr0(), (unsigned long long)vmcs_read(VMCS_GUEST_CR3),
	    (unsigned long long)vcpu_visible_cr4(), (unsigned long long)vmcs_read(VMCS_GUEST_EFER));
	console_printf("CS %04llx base %llx ar %llx; GPA %llx; linear %llx; instr len %llu\n",
		       (unsigned long long)vmcs_read(VMCS_GUEST_CS_SEL),
		       (unsigned long long)vmcs_read(VMCS_GUEST_CS_BASE),
		       (unsigned long long)vmcs_read(VMCS_GUEST_CS_AR),
		       (unsigned long long)vmcs_read(VMCS_GUEST_PHYS_ADDR),
		       (unsigned long long)vmcs_read(VMCS_GUEST_LINEAR_ADDR),
		       (unsigned long long)vmcs_read(VMCS_EXIT_INSTR_LEN));
	console_printf("RAX %016llx RBX %016llx RCX %016llx RDX %016llx\n",
		       (unsigned long long)g[GUEST_RAX], (unsigned long long)g[GUEST_RBX],
		       (unsigned long long)g[GUEST_RCX], (unsigned long long)g[GUEST_RDX]);
	console_printf("RSI %016llx RDI %016llx RBP %016llx R8  %016llx\n",
		       (unsigned long long)g[GUEST_RSI], (unsigned long long)g[GUEST_RDI],
		       (unsigned long long)g[GUEST_RBP], (unsigned long long)g[GUEST_R8]);
	console_printf("R9  %016llx R10 %016llx R11 %016llx R12 %016llx\n",
		       (unsigned long long)g[GUEST_R9], (unsigned long long)g[GUEST_R10],
		       (unsigned long long)g[GUEST_R11], (unsigned long long)g[GUEST_R12]);
	console_printf("R13 %016llx R14 %016llx R15 %016llx CR2 %016llx\n",
		       (unsigned long long)g[GUEST_R13], (unsigned long long)g[GUEST_R14],
		       (unsigned long long)g[GUEST_R15], (unsigned long long)vcpu->regs.cr2);
	vcpu_dump_events_and_code(vcpu);
}

void vcpu_fail(struct vcpu *vcpu, const char *why)
{
	vcpu->state = VCPU_FAILED;
	console_printf("\n*** VM %u (%s) failed: %s\n", vcpu->vm->id, vcpu->vm->name, why);
	vcpu_dump(vcpu);
	vm_fail(vcpu->vm);
}

void vcpu_run(struct vcpu *vcpu)
{
	this_cpu()->vcpu = vcpu;
	if (vcpu->state == VCPU_INIT)
		vcpu->state = VCPU_RUNNING;
	for (;;) {
		int rc;
		uint64_t start;

		vcpu_process_requests(vcpu);
		if (vcpu->state != VCPU_RUNNING || vcpu->vm->state != VM_RUNNING)
			break;
		virq_inject(vcpu);
		vcpu->regs.gpr[GUEST_RSP] = 0; /* the VMCS holds RSP */
		rc = vmx_enter_guest(&vcpu->regs, vcpu->launched);
		start = rdtsc();
		if (rc != 0) {
			uint32_t err = rc == 2 ? (uint32_t)vmcs_read(VMCS_INSTR_ERROR) : 0;

			pr_err("vcpu: VM entry failed (%s, VM-instruction error %u)",
			       rc == 1 ? "VMfailInvalid" : "VMfailValid", err);
			vcpu_fail(vcpu, "VM entry failed");
			break;
		}
		vcpu->launched = true;
		vcpu->regs.gpr[GUEST_RSP] = vmcs_read(VMCS_GUEST_RSP);
		virq_save_interrupted_event(vcpu);
		vmexit_dispatch(vcpu);
		vmcs_write(VMCS_GUEST_RSP, vcpu->regs.gpr[GUEST_RSP]);
		if (vcpu->exit_reason < EXIT_REASON_COUNT)
			vcpu->exit_cycles[vcpu->exit_reason] += rdtsc() - start;
	}
}
