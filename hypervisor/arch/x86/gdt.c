/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-CPU GDT and TSS (with separate stacks for NMI, #DF and #MC) and the shared IDT. */
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/trap.h"
#include "lib/string.h"

#define IST_NMI	  1
#define IST_DF	  2
#define IST_MC	  3
#define IST_COUNT 3

struct per_cpu per_cpu_data[HV_MAX_CPUS];
uint32_t cpu_count;

static uint8_t cpu_stacks[HV_MAX_CPUS][HV_STACK_SIZE] HV_NOINIT_PAGES;
static uint8_t ist_stacks[HV_MAX_CPUS][IST_COUNT][HV_IST_STACK_SIZE] HV_NOINIT_PAGES;

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));

struct descriptor_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(16)));

/* Every vector has a 16-byte entry stub in trap_entry.S, starting at trap_stubs. */
extern const char trap_stubs[];
#define TRAP_STUB_SIZE 16

uint8_t *cpu_stack_base(uint32_t index)
{
	return cpu_stacks[index];
}

static void idt_set_gate(unsigned int vector, uint64_t handler, uint8_t ist)
{
	struct idt_gate *g = &idt[vector];

	g->offset_low = (uint16_t)handler;
	g->selector = GDT_CODE64;
	g->ist = ist;
	g->type_attr = 0x8e; /* present, DPL 0, 64-bit interrupt gate */
	g->offset_mid = (uint16_t)(handler >> 16);
	g->offset_high = (uint32_t)(handler >> 32);
	g->reserved = 0;
}

void idt_init(void)
{
	for (unsigned int v = 0; v < 256; v++) {
		uint8_t ist = 0;

		if (v == VECTOR_NMI)
			ist = IST_NMI;
		else if (v == VECTOR_DOUBLE_FAULT)
			ist = IST_DF;
		else if (v == VECTOR_MACHINE_CHECK)
			ist = IST_MC;
		idt_set_gate(v, (uint64_t)(uintptr_t)(trap_stubs + v * TRAP_STUB_SIZE), ist);
	}
}

void cpu_tables_init(struct per_cpu *cpu)
{
	uint64_t tss_base = (uint64_t)(uintptr_t)&cpu->tss;
	uint64_t tss_limit = sizeof(cpu->tss) - 1;
	struct descriptor_pointer gdtr, idtr;

	cpu->self = cpu;
	cpu->stack_top = (uint64_t)(uintptr_t)(cpu_stacks[cpu->index] + HV_STACK_SIZE);
	memset(&cpu->tss, 0, sizeof(cpu->tss));
	for (int i = 1; i <= IST_COUNT; i++)
		cpu->tss.ist[i] =
		    (uint64_t)(uintptr_t)(ist_stacks[cpu->index][i - 1] + HV_IST_STACK_SIZE);
	cpu->tss.iomap_base = sizeof(cpu->tss); /* no I/O permission bitmap */

	cpu->gdt[0] = 0;
	cpu->gdt[GDT_CODE64 / 8] = 0x00af9b000000ffffull;
	cpu->gdt[GDT_DATA / 8] = 0x00cf93000000ffffull;
	/* 16-byte TSS descriptor: type 9 (available 64-bit TSS), present. */
	cpu->gdt[GDT_TSS / 8] = (tss_limit & 0xffff) | ((tss_base & 0xffffff) << 16) |
				(0x89ull << 40) | (((tss_limit >> 16) & 0xf) << 48) |
				(((tss_base >> 24) & 0xff) << 56);
	cpu->gdt[GDT_TSS / 8 + 1] = tss_base >> 32;

	gdtr.limit = sizeof(cpu->gdt) - 1;
	gdtr.base = (uint64_t)(uintptr_t)cpu->gdt;
	idtr.limit = sizeof(idt) - 1;
	idtr.base = (uint64_t)(uintptr_t)idt;
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movl %2, %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 "xorl %%eax, %%eax\n\t"
			 "movl %%eax, %%fs\n\t"
			 "movl %%eax, %%gs\n\t"
			 "ltr %w3\n\t"
			 "lidt %4"
			 :
			 : "m"(gdtr), "i"(GDT_CODE64), "i"(GDT_DATA), "r"(GDT_TSS), "m"(idtr)
			 : "rax", "memory");
	wrmsr(MSR_IA32_GS_BASE, (uint64_t)(uintptr_t)cpu);
}

const char *cpu_state_name(enum cpu_state state)
{
	switch (state) {
	case CPU_ABSENT:
		return "absent";
	case CPU_OFFLINE:
		return "offline";
	case CPU_STARTING:
		return "starting";
	case CPU_NO_RESPONSE:
		return "no-response";
	case CPU_ONLINE:
		return "online";
	case CPU_VMX_ROOT:
		return "vmx-root";
	case CPU_FAILED:
		return "failed";
	}
	return "?";
}
