/* SPDX-License-Identifier: BSD-3-Clause */
/* A virtual CPU: its VMCS, the guest registers VMX does not keep, exit statistics. */
#ifndef HV_ARCH_X86_VCPU_H
#define HV_ARCH_X86_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/vmcs.h"
#include "core/timer.h"
#include "vdev/vlapic.h"

struct vm;

/* General registers by x86 encoding (0 rax ... 15 r15); rsp lives in the VMCS. */
enum guest_reg {
	GUEST_RAX,
	GUEST_RCX,
	GUEST_RDX,
	GUEST_RBX,
	GUEST_RSP,
	GUEST_RBP,
	GUEST_RSI,
	GUEST_RDI,
	GUEST_R8,
	GUEST_R9,
	GUEST_R10,
	GUEST_R11,
	GUEST_R12,
	GUEST_R13,
	GUEST_R14,
	GUEST_R15,
};

/* Layout known to vmx_entry.S: gpr[16] then cr2. */
struct guest_regs {
	uint64_t gpr[16];
	uint64_t cr2;
};

enum vcpu_state {
	VCPU_INIT,	/* created, not yet started */
	VCPU_WAIT_SIPI, /* an AP of the guest waiting for its start-up IPI */
	VCPU_RUNNING,
	VCPU_FAILED, /* stopped by a guest-caused error */
};

struct vcpu {
	struct guest_regs regs; /* first: vmx_entry.S gets a pointer to it */
	struct vm *vm;
	uint32_t id;
	uint32_t pcpu;
	uint16_t vpid;
	enum vcpu_state state;
	bool launched;
	uint64_t vmcs_phys;
	uint32_t exit_reason;
	uint64_t exit_qualification;
	uint64_t exits_total;
	uint64_t exit_counts[EXIT_REASON_COUNT];
	uint64_t exit_cycles[EXIT_REASON_COUNT];

	/* Interrupts (arch/x86/virq.c). */
	uint32_t pin_controls;
	uint32_t proc_controls;	    /* primary processor-based controls as last written */
	volatile uint32_t requests; /* VCPU_REQ_*, set from any CPU with atomics */
	volatile uint8_t sipi_vector;
	bool extint_pending;	/* a vIOAPIC pin in ExtINT mode asked for the 8259 */
	uint64_t injected[256]; /* interrupts injected per vector */
	uint64_t eoi_exit[4];	/* EOI-exit bitmap as last written (vid) */
	uint32_t tpr_threshold; /* as last written (apicv without vid) */
	uint64_t halts, halt_wakeups;
	struct timer lapic_timer;
	struct vlapic_env lapic_env;
	struct vlapic vlapic;
};

/* Requests another CPU leaves for a vCPU (bits of vcpu->requests). */
#define VCPU_REQ_NMI	   (1u << 0)
#define VCPU_REQ_INIT	   (1u << 1)
#define VCPU_REQ_SIPI	   (1u << 2)
#define VCPU_REQ_DUMP	   (1u << 3)
#define VCPU_REQ_FLUSH_EPT (1u << 4)

/* Asks the vCPU's CPU to print its registers (its VMCS is loaded there only). */
void vcpu_request_dump(struct vcpu *vcpu);
/* On the vCPU's CPU: prints the registers if that was asked for. */
void vcpu_serve_dump_request(struct vcpu *vcpu);

/* Enters the guest; returns after a VM exit (0) or a failed VM entry (1 invalid, 2 valid). */
int vmx_enter_guest(struct guest_regs *regs, int launched);

/* Sets up the VMCS of a vCPU for the calling physical CPU. */
int vcpu_setup_vmcs(struct vcpu *vcpu);
/* Runs the vCPU until its VM fails or is shut down; does not return on success paths. */
void vcpu_run(struct vcpu *vcpu);
/* Advances the guest RIP past the instruction that exited. */
void vcpu_skip_instruction(struct vcpu *vcpu);
void vcpu_inject_exception(struct vcpu *vcpu, uint8_t vector, bool has_error, uint32_t error);
/* Stops the vCPU's VM with a dump of the exit and the registers. */
void vcpu_fail(struct vcpu *vcpu, const char *why);
void vcpu_dump(struct vcpu *vcpu);

#endif
