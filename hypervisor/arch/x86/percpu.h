/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-CPU data. Each CPU's GS base points at its own struct per_cpu. */
#ifndef HV_ARCH_X86_PERCPU_H
#define HV_ARCH_X86_PERCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "include/layout.h"

struct vcpu;

enum cpu_state {
	CPU_ABSENT = 0,	 /* not listed by firmware */
	CPU_OFFLINE,	 /* listed, not started (disabled in MADT or over the limit) */
	CPU_STARTING,	 /* INIT-SIPI-SIPI sent */
	CPU_NO_RESPONSE, /* did not report in before the timeout */
	CPU_ONLINE,	 /* in long mode on its own stack */
	CPU_VMX_ROOT,	 /* VMXON done */
	CPU_FAILED,	 /* online but could not enter VMX root (reason recorded) */
};

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t ist[8]; /* ist[0] is reserved by the architecture; IST n is ist[n] */
	uint32_t reserved1;
	uint16_t reserved2;
	uint16_t iomap_base;
} __attribute__((packed));

struct per_cpu {
	struct per_cpu *self; /* at offset 0 so %gs:0 yields the pointer */
	uint32_t index;
	uint32_t apic_id;
	uint32_t acpi_uid;
	volatile uint32_t state;
	char fail_reason[96];
	uint64_t online_tsc;
	uint64_t gdt[6];
	struct tss64 tss;
	uint64_t stack_top;
	uint64_t vmxon_phys;
	uint64_t interrupt_count[256];
	struct vcpu *vcpu; /* the vCPU this CPU runs, once the Service VM exists */
};

extern struct per_cpu per_cpu_data[HV_MAX_CPUS];
extern uint32_t cpu_count; /* number of entries used in per_cpu_data */

static inline struct per_cpu *this_cpu(void)
{
	struct per_cpu *p;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

const char *cpu_state_name(enum cpu_state state);
/* Loads this CPU's GDT, TSS and the shared IDT, and points GS at its per_cpu. */
void cpu_tables_init(struct per_cpu *cpu);
void idt_init(void);
uint8_t *cpu_stack_base(uint32_t index);

#endif
