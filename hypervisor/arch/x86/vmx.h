/* SPDX-License-Identifier: BSD-3-Clause */
/* VMX capability checks and VMX root operation on every CPU. */
#ifndef HV_ARCH_X86_VMX_H
#define HV_ARCH_X86_VMX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/percpu.h"

struct vmx_caps {
	uint64_t basic;
	uint32_t revision;
	bool true_controls;
	uint64_t pinbased, procbased, procbased2, exit, entry; /* allowed-1 in the high half */
	uint64_t ept_vpid;
	uint64_t misc;
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	bool ept, vpid, unrestricted_guest, apic_register_virt, virtual_interrupt_delivery,
	    posted_interrupts, preemption_timer, x2apic_virt, ept_2m, ept_1g;
};

extern struct vmx_caps vmx_caps;

/*
 * Reads the boot CPU's capabilities. Returns false when something the
 * hypervisor needs is missing; `missing` then names every missing item.
 */
bool vmx_check_capabilities(char *missing, size_t size);
/* One line: what the CPU offers beyond the minimum. */
void vmx_format_summary(char *buf, size_t size);
/* Turns on VMX on the calling CPU; sets its state to CPU_VMX_ROOT or CPU_FAILED (with reason). */
void vmx_enable_this_cpu(struct per_cpu *cpu);

/*
 * Leaves VMX operation on the calling CPU (before a reset: INIT is blocked
 * in VMX root and firmware expects CR4.VMXE clear).
 */
void vmx_off_this_cpu(void);

#endif
