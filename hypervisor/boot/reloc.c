/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * acrn.bin is a static position-independent executable. The linker leaves
 * one R_X86_64_RELATIVE entry for every stored pointer (function tables,
 * string pointers in initialised data); this applies them for the address
 * GRUB actually chose. It runs before anything dereferences such a pointer.
 */
#include <stdint.h>

#include "boot/reloc.h"
#include "include/layout.h"

#define R_X86_64_RELATIVE 8

struct elf64_rela {
	uint64_t offset;
	uint64_t info;
	int64_t addend;
};

extern const struct elf64_rela __rela_start[], __rela_end[];

int reloc_apply(uint64_t delta)
{
	for (const struct elf64_rela *r = __rela_start; r < __rela_end; r++) {
		uint64_t *where = (uint64_t *)(uintptr_t)(r->offset + delta);

		if ((uint32_t)r->info != R_X86_64_RELATIVE)
			return -1;
		*where = (uint64_t)r->addend + delta;
	}
	return 0;
}
