/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Application-processor start-up code. The boot CPU copies the .trampoline
 * section to a page below 1 MiB, fills in the patch slots, and points each
 * AP's STARTUP IPI at it. The AP climbs real mode -> protected mode -> long
 * mode (on the hypervisor's page tables) and jumps to ap_entry64. Per-AP
 * values (stack, CPU index) live in the page after the code page, so the
 * code page can stay read-only and executable.
 *
 * Only offsets from trampoline_start are used: the code runs wherever it is
 * copied. %ebx holds the run-time base from the first instructions on.
 */
#include "include/layout.h"

#define TRAMP_CODE32 0x08
#define TRAMP_DATA   0x10
#define TRAMP_CODE64 0x18
#define DATA_PAGE    PAGE_SIZE

	.section .trampoline, "a"
	.code16
	.globl trampoline_start
trampoline_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	movzwl %ax, %ebx
	shll $4, %ebx				/* run-time base */

	lgdtl tramp_gdtr - trampoline_start
	movl %cr0, %eax
	orl $1, %eax				/* PE */
	movl %eax, %cr0
	ljmpl *(tramp_far32 - trampoline_start)

	.code32
tramp_code32:
	movl $TRAMP_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss

	movl %cr4, %eax
	orl $0x20, %eax				/* PAE */
	movl %eax, %cr4
	movl (tramp_cr3 - trampoline_start)(%ebx), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx			/* EFER: long mode, no-execute */
	rdmsr
	orl $0x900, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80010021, %eax			/* PG, WP, NE, PE */
	movl %eax, %cr0
	ljmpl *(tramp_far64 - trampoline_start)(%ebx)

	.code64
tramp_code64:
	movl %ebx, %ebx
	movq (DATA_PAGE + 0)(%rbx), %rsp	/* ap_stack */
	movl (DATA_PAGE + 8)(%rbx), %edi	/* ap_index */
	jmpq *.Lentry64(%rip)	/* local label: a global one would get a relocation */

	.balign 8
tramp_gdt:
	.quad 0
	.quad 0x00cf9b000000ffff		/* 0x08: 32-bit code, accessed */
	.quad 0x00cf93000000ffff		/* 0x10: data, accessed */
	.quad 0x00af9b000000ffff		/* 0x18: 64-bit code, accessed */
tramp_gdt_end:
	.balign 8
	.globl tramp_gdtr
tramp_gdtr:
	.short tramp_gdt_end - tramp_gdt - 1
	.long tramp_gdt - trampoline_start	/* + base, patched */
	.balign 8
	.globl tramp_far32
tramp_far32:
	.long tramp_code32 - trampoline_start	/* + base, patched */
	.short TRAMP_CODE32
	.balign 8
	.globl tramp_far64
tramp_far64:
	.long tramp_code64 - trampoline_start	/* + base, patched */
	.short TRAMP_CODE64
	.balign 8
	.globl tramp_cr3
tramp_cr3:
	.long 0
	.balign 8
	.globl tramp_entry64
tramp_entry64:
.Lentry64:
	.quad 0
	.globl trampoline_end
trampoline_end:

	.text
	.code64
	.globl ap_entry64
ap_entry64:
	xorl %ebp, %ebp
	call ap_main
	ud2
