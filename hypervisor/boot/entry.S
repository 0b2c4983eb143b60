/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Multiboot2 header and the boot CPU's way from GRUB's 32-bit protected mode
 * into 64-bit long mode. The image may be loaded anywhere GRUB chooses
 * (relocatable tag), so everything here addresses memory relative to the
 * run-time address of mb2_header, kept in %ebp.
 */
#include "include/layout.h"

#define MB2_MAGIC 0xe85250d6
#define MB2_ARCH_I386 0
#define MB2_TAG_END 0
#define MB2_TAG_INFO_REQUEST 1
#define MB2_TAG_ADDRESS 2
#define MB2_TAG_ENTRY 3
#define MB2_TAG_RELOCATABLE 10
#define MB2_TAG_OPTIONAL 1
#define MB2_RELOC_PREFER_HIGHEST 2

/* Link-time address of a symbol, written as a 32-bit field of the header. */
#define LINKADDR(sym) (HV_LINK_BASE + ((sym) - mb2_header))
/* Run-time address of a symbol once %ebp holds the run-time mb2_header. */
#define RUNADDR(sym) ((sym) - mb2_header)(%ebp)

	.section .text.boot32, "ax"
	.code32
	.balign 8
	.globl mb2_header
mb2_header:
	.long MB2_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))

	/* Ask for what the hypervisor reads; optional, so any loader version boots. */
	.balign 8
1:	.short MB2_TAG_INFO_REQUEST, MB2_TAG_OPTIONAL
	.long 2f - 1b
	.long 1, 2, 3, 4, 6, 14, 15, 21
2:
	.balign 8
	.short MB2_TAG_ADDRESS, 0
	.long 24
	.long LINKADDR(mb2_header)
	.long LINKADDR(mb2_header)
	.long LINKADDR(__load_end)
	.long LINKADDR(__image_end)

	.balign 8
	.short MB2_TAG_ENTRY, 0
	.long 12
	.long LINKADDR(mb2_entry32)

	/* Anywhere below 2 GiB on a 2 MiB boundary; high, to leave low RAM to the Service VM. */
	.balign 8
	.short MB2_TAG_RELOCATABLE, 0
	.long 24
	.long HV_LOAD_MIN
	.long HV_LOAD_MAX
	.long HV_LOAD_ALIGN
	.long MB2_RELOC_PREFER_HIGHEST

	.balign 8
	.short MB2_TAG_END, 0
	.long 8
mb2_header_end:

	/* Offsets (from mb2_header) of things in other sections, filled in at link time. */
	.balign 4
boot_offsets:
off_bss_start:	.long __bss_start - mb2_header
off_bss_end:	.long __bss_end - mb2_header
off_pml4:	.long boot_pml4 - mb2_header
off_pdpt:	.long boot_pdpt - mb2_header
off_pd:		.long boot_pd - mb2_header
off_entry64:	.long mb2_entry64 - mb2_header
off_stack_top:	.long boot_stack_top - mb2_header
boot_magic:	.long 0
boot_mbi:	.long 0
	.balign 8
boot_tsc:	.quad 0

	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00af9b000000ffff	/* 0x08: 64-bit code, accessed */
	.quad 0x00cf93000000ffff	/* 0x10: data, accessed */
boot_gdt_end:
boot_gdtr:
	.short boot_gdt_end - boot_gdt - 1
	.long 0				/* run-time base, patched below */

	.globl mb2_entry32
mb2_entry32:
	cli
	cld
	/*
	 * No stack is defined yet. Borrow the MBI's reserved word (offset 4,
	 * always 0) as a one-slot stack to learn where we run, then restore it.
	 */
	movl %eax, %edi
	leal 8(%ebx), %esp
	call 1f
1:	popl %ebp
	movl $0, 4(%ebx)
	subl $(1b - mb2_header), %ebp
	movl %edi, RUNADDR(boot_magic)
	movl %ebx, RUNADDR(boot_mbi)
	/* Time stamp of GRUB's hand-off, for the boot-cost figure. */
	rdtsc
	movl %eax, RUNADDR(boot_tsc)
	movl %edx, (boot_tsc + 4 - mb2_header)(%ebp)

	/* Zero .bss (the loader should have, but it costs little to be sure). */
	movl %ebp, %edi
	addl RUNADDR(off_bss_start), %edi
	movl %ebp, %ecx
	addl RUNADDR(off_bss_end), %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl

	movl %ebp, %esp
	addl RUNADDR(off_stack_top), %esp

	/*
	 * Boot page tables: identity map of the first 4 GiB with 2 MiB pages,
	 * enough to reach the image, the MBI and the console. The C code
	 * replaces them with the real, permission-checked tables.
	 */
	movl %ebp, %ebx
	addl RUNADDR(off_pdpt), %ebx
	movl %ebp, %edx
	addl RUNADDR(off_pml4), %edx
	leal 3(%ebx), %eax
	movl %eax, (%edx)

	movl %ebp, %edx
	addl RUNADDR(off_pd), %edx		/* 4 consecutive page directories */
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $12, %eax
	addl %edx, %eax
	orl $3, %eax
	movl %eax, (%ebx, %ecx, 8)
	incl %ecx
	cmpl $4, %ecx
	jb 2b

	xorl %ecx, %ecx
3:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax			/* present, writable, 2 MiB */
	movl %eax, (%edx, %ecx, 8)
	movl %ecx, %eax
	shrl $11, %eax
	movl %eax, 4(%edx, %ecx, 8)		/* address bits 32+ of entry ecx */
	incl %ecx
	cmpl $2048, %ecx
	jb 3b

	movl %ebp, %eax
	addl RUNADDR(off_pml4), %eax
	movl %eax, %cr3

	movl %cr4, %eax
	orl $0x20, %eax			/* PAE */
	movl %eax, %cr4

	movl $0xc0000080, %ecx		/* EFER: long mode, no-execute */
	rdmsr
	orl $0x900, %eax
	wrmsr

	movl %cr0, %eax
	orl $0x80010001, %eax		/* PG, WP, PE */
	movl %eax, %cr0

	leal RUNADDR(boot_gdt), %eax
	movl %eax, (boot_gdtr + 2 - mb2_header)(%ebp)
	lgdt RUNADDR(boot_gdtr)

	/* Far return into 64-bit code. */
	movl %ebp, %eax
	addl RUNADDR(off_entry64), %eax
	pushl $GDT_CODE64
	pushl %eax
	lret

	.text
	.code64
mb2_entry64:
	movl $GDT_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	leaq boot_stack_top(%rip), %rsp
	xorl %ebp, %ebp
	/* boot_primary(magic, mbi, run-time image start, hand-off TSC). */
	movl boot_magic(%rip), %edi
	movl boot_mbi(%rip), %esi
	leaq __image_start(%rip), %rdx
	movq boot_tsc(%rip), %rcx
	call boot_primary
	ud2

	.bss
	.balign 4096
	.globl boot_pml4
boot_pml4:	.skip 4096
boot_pdpt:	.skip 4096
boot_pd:	.skip 4 * 4096
	.balign 16
boot_stack:	.skip HV_STACK_SIZE
	.globl boot_stack_top
boot_stack_top:
