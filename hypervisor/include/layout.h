/* SPDX-License-Identifier: BSD-3-Clause */
/* Build constants shared by the linker script, assembly and C. */
#ifndef HV_LAYOUT_H
#define HV_LAYOUT_H

/*
 * acrn.bin is linked at HV_LINK_BASE but is position independent: GRUB may
 * place it anywhere in [HV_LOAD_MIN, HV_LOAD_MAX) on a 2 MiB boundary
 * (multiboot2 relocatable tag) and the boot code applies its own relocations.
 */
#define HV_LINK_BASE  0x01000000
#define HV_LOAD_MIN   0x00200000
#define HV_LOAD_MAX   0x80000000
#define HV_LOAD_ALIGN 0x00200000

#define HV_MAX_CPUS	  64
#define HV_STACK_SIZE	  0x4000
#define HV_IST_STACK_SIZE 0x1000

#define PAGE_SIZE 0x1000

/* Segment selectors of the hypervisor's GDT. */
#define GDT_CODE64 0x08
#define GDT_DATA   0x10
#define GDT_TSS	   0x18

#ifndef __ASSEMBLY__
/*
 * Large page-aligned areas that need no zeroing at boot (stacks, pages
 * cleared when handed out): kept out of the .bss the entry code clears.
 */
#define HV_NOINIT_PAGES __attribute__((section(".bss.noinit"), aligned(PAGE_SIZE)))
#endif

#endif
