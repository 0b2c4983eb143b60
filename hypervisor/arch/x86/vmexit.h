/* SPDX-License-Identifier: BSD-3-Clause */
/* VM-exit dispatch and the handlers of each exit reason. */
#ifndef HV_ARCH_X86_VMEXIT_H
#define HV_ARCH_X86_VMEXIT_H

#include <stdint.h>

#include "arch/x86/vcpu.h"

struct exit_handler {
	const char *name;
	void (*handle)(struct vcpu *vcpu);
};

/* Reads the exit information and calls the handler from the exit table. */
void vmexit_dispatch(struct vcpu *vcpu);
const char *vmexit_reason_name(uint32_t reason);
struct vm;
/* Exits per reason per vCPU, with cycles per exit: for the shell and at power-off. */
void vmexit_print_stats(const struct vm *vm);

/* Control-register virtualization (vmexit_cr.c). */
uint64_t vcpu_cr0_host_owned(void);
uint64_t vcpu_cr4_host_owned(void);
uint64_t vcpu_guest_cr0_real(uint64_t guest_value);
uint64_t vcpu_guest_cr4_real(uint64_t guest_value);
uint64_t vcpu_visible_cr0(void);
uint64_t vcpu_visible_cr4(void);
void vmexit_cr_access(struct vcpu *vcpu);
void vmexit_xsetbv(struct vcpu *vcpu);

/* MSRs (vmexit_msr.c). */
void vm_msr_bitmap_init(uint8_t *bitmap);
void vmexit_rdmsr(struct vcpu *vcpu);
void vmexit_wrmsr(struct vcpu *vcpu);

/* CPUID (vmexit_cpuid.c). */
void vmexit_cpuid(struct vcpu *vcpu);

/* MMIO through EPT violations (vmexit_mmio.c). */
void vmexit_ept_violation(struct vcpu *vcpu);
void vmexit_apic_access(struct vcpu *vcpu);

/* Port I/O (vmexit_io.c). */
struct vm;
/* Traps every port the VM's I/O registry holds, and the console UART. */
void vm_io_bitmap_init(struct vm *vm);
void vmexit_io(struct vcpu *vcpu);

#endif
