/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exit table: one designated-initialiser entry per handled exit reason.
 * The index is bounds-checked, and an empty entry fails the VM with a dump
 * (never "return and retry the same instruction").
 */
#include "arch/x86/vmexit.h"

#include "arch/x86/cpu.h"
#include "arch/x86/trap.h"
#include "arch/x86/power.h"
#include "arch/x86/tsc.h"
#include "arch/x86/virq.h"
#include "core/vm.h"
#include "debug/console.h"
#include "debug/log.h"
#include "lib/format.h"

#define HYPERCALL_NOT_SUPPORTED ((uint64_t)-25) /* -ENOTTY: no hypercall is defined yet */

static void handle_external_interrupt(struct vcpu *vcpu)
{
	uint32_t info = (uint32_t)vmcs_read(VMCS_EXIT_INTR_INFO);

	(void)vcpu;
	/* "Acknowledge interrupt on exit" handed us the vector; run its handler as an IRQ would. */
	if (info & INTR_INFO_VALID)
		irq_dispatch_vector(info & 0xff);
}

static void handle_exception_or_nmi(struct vcpu *vcpu)
{
	uint32_t info = (uint32_t)vmcs_read(VMCS_EXIT_INTR_INFO);
	uint32_t vector = info & 0xff;

	if (((info >> 8) & 7) == 2) {
		/*
		 * The machine being stopped (irq_dispatch_nmi does not return then),
		 * or a platform NMI (watchdog, SERR): that belongs to the Service VM.
		 */
		irq_dispatch_nmi();
		if (vcpu->vm->is_service_vm)
			__atomic_fetch_or(&vcpu->requests, VCPU_REQ_NMI, __ATOMIC_RELEASE);
		return;
	}
	if (vector == VECTOR_MACHINE_CHECK)
		panic("machine check while VM %u ran (exit info 0x%x)", vcpu->vm->id, info);
	vcpu_fail(vcpu, "unexpected exception exit");
}

static void handle_triple_fault(struct vcpu *vcpu)
{
	if (vcpu->vm->is_service_vm) {
		/* What a PC does on shutdown: the chipset resets. Linux reboots this way last. */
		pr_warn("vcpu %u: triple fault in the Service VM: resetting the machine", vcpu->id);
		vcpu_dump(vcpu);
		power_reboot();
	}
	vcpu_fail(vcpu, "triple fault");
}

/*
 * HLT: the vCPU sleeps on its physical CPU until it has an interrupt it
 * would take (or an NMI / INIT). The check and the STI;HLT pair leave no
 * gap: an interrupt after the check is held until HLT, which it ends.
 */
static void handle_hlt(struct vcpu *vcpu)
{
	vcpu_skip_instruction(vcpu);
	vcpu->halts++;
	while (!virq_wakeup_pending(vcpu) && vcpu->vm->state == VM_RUNNING) {
		cpu_wait_for_interrupt();
		irq_disable();
		vcpu_serve_dump_request(vcpu);
	}
	vcpu->halt_wakeups++;
}

static void handle_init_signal(struct vcpu *vcpu)
{
	/* A physical INIT meant for this CPU: only a reset sends one. Nothing to keep. */
	pr_warn("vcpu %u: INIT signal on CPU %u ignored", vcpu->id, vcpu->pcpu);
}

static void handle_pause(struct vcpu *vcpu)
{
	vcpu_skip_instruction(vcpu);
}

static void handle_vmcall(struct vcpu *vcpu)
{
	vcpu->regs.gpr[GUEST_RAX] = HYPERCALL_NOT_SUPPORTED;
	vcpu_skip_instruction(vcpu);
}

static void handle_vmx_instruction(struct vcpu *vcpu)
{
	/* VMX is not exposed to guests: its instructions are undefined for them. */
	vcpu_inject_exception(vcpu, 6, false, 0);
}

static void handle_entry_failure(struct vcpu *vcpu)
{
	vcpu_fail(vcpu, vcpu->exit_reason == EXIT_REASON_ENTRY_GUEST_STATE
			    ? "VM entry failed: invalid guest state"
			    : "VM entry failed while loading MSRs");
}

static const struct exit_handler exit_table[EXIT_REASON_COUNT] = {
	[EXIT_REASON_EXCEPTION_NMI] = { "exception/NMI", handle_exception_or_nmi },
	[EXIT_REASON_EXTERNAL_INTR] = { "external interrupt", handle_external_interrupt },
	[EXIT_REASON_TRIPLE_FAULT] = { "triple fault", handle_triple_fault },
	[EXIT_REASON_INIT] = { "INIT signal", handle_init_signal },
	[EXIT_REASON_INTR_WINDOW] = { "interrupt window", vmexit_interrupt_reevaluate },
	[EXIT_REASON_NMI_WINDOW] = { "NMI window", vmexit_interrupt_reevaluate },
	[EXIT_REASON_CPUID] = { "CPUID", vmexit_cpuid },
	[EXIT_REASON_HLT] = { "HLT", handle_hlt },
	[EXIT_REASON_VMCALL] = { "VMCALL", handle_vmcall },
	[EXIT_REASON_VMCLEAR] = { "VMCLEAR", handle_vmx_instruction },
	[EXIT_REASON_VMLAUNCH] = { "VMLAUNCH", handle_vmx_instruction },
	[EXIT_REASON_VMPTRLD] = { "VMPTRLD", handle_vmx_instruction },
	[EXIT_REASON_VMPTRST] = { "VMPTRST", handle_vmx_instruction },
	[EXIT_REASON_VMREAD] = { "VMREAD", handle_vmx_instruction },
	[EXIT_REASON_VMRESUME] = { "VMRESUME", handle_vmx_instruction },
	[EXIT_REASON_VMWRITE] = { "VMWRITE", handle_vmx_instruction },
	[EXIT_REASON_VMXOFF] = { "VMXOFF", handle_vmx_instruction },
	[EXIT_REASON_VMXON] = { "VMXON", handle_vmx_instruction },
	[EXIT_REASON_INVEPT] = { "INVEPT", handle_vmx_instruction },
	[EXIT_REASON_INVVPID] = { "INVVPID", handle_vmx_instruction },
	[EXIT_REASON_CR_ACCESS] = { "CR access", vmexit_cr_access },
	[EXIT_REASON_IO] = { "I/O", vmexit_io },
	[EXIT_REASON_RDMSR] = { "RDMSR", vmexit_rdmsr },
	[EXIT_REASON_WRMSR] = { "WRMSR", vmexit_wrmsr },
	[EXIT_REASON_ENTRY_GUEST_STATE] = { "entry: bad guest state", handle_entry_failure },
	[EXIT_REASON_ENTRY_MSR_LOAD] = { "entry: MSR load", handle_entry_failure },
	[EXIT_REASON_PAUSE] = { "PAUSE", handle_pause },
	[EXIT_REASON_EPT_VIOLATION] = { "EPT violation", vmexit_ept_violation },
	[EXIT_REASON_APIC_ACCESS] = { "APIC access", vmexit_apic_access },
	[EXIT_REASON_TPR_BELOW] = { "TPR below threshold", vmexit_interrupt_reevaluate },
	[EXIT_REASON_EOI_INDUCED] = { "EOI (level)", vmexit_eoi_induced },
	[EXIT_REASON_APIC_WRITE] = { "APIC write", vmexit_apic_write },
	[EXIT_REASON_XSETBV] = { "XSETBV", vmexit_xsetbv },
};

const char *vmexit_reason_name(uint32_t reason)
{
	if (reason < EXIT_REASON_COUNT && exit_table[reason].name)
		return exit_table[reason].name;
	return "unhandled";
}

void vmexit_dispatch(struct vcpu *vcpu)
{
	uint32_t raw = (uint32_t)vmcs_read(VMCS_EXIT_REASON);
	uint32_t reason = raw & 0xffff;
	char why[64];

	vcpu->exit_reason = reason;
	vcpu->exit_qualification = vmcs_read(VMCS_EXIT_QUALIFICATION);
	vcpu->exits_total++;
	if (reason < EXIT_REASON_COUNT)
		vcpu->exit_counts[reason]++;
	if (reason >= EXIT_REASON_COUNT || !exit_table[reason].handle) {
		format_buf(why, sizeof(why), "unhandled VM exit, reason %u%s", reason,
			   (raw & EXIT_REASON_ENTRY_FAILED) ? " (VM entry failure)" : "");
		vcpu_fail(vcpu, why);
		return;
	}
	exit_table[reason].handle(vcpu);
}

void vmexit_print_stats(const struct vm *vm)
{
	for (uint32_t i = 0; i < vm->vcpu_count; i++) {
		const struct vcpu *v = vm->vcpus[i];

		console_printf("VM %u vCPU %u: %llu exits\n", vm->id, v->id,
			       (unsigned long long)v->exits_total);
		for (uint32_t r = 0; r < EXIT_REASON_COUNT; r++)
			if (v->exit_counts[r])
				console_printf(
				    "  %-2u %-22s %10llu  %8llu cycles/exit\n", r,
				    vmexit_reason_name(r), (unsigned long long)v->exit_counts[r],
				    (unsigned long long)(v->exit_cycles[r] / v->exit_counts[r]));
	}
}
