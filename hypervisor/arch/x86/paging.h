/* SPDX-License-Identifier: BSD-3-Clause */
/* The hypervisor's own page tables: identity map, image mapped by section rights. */
#ifndef HV_ARCH_X86_PAGING_H
#define HV_ARCH_X86_PAGING_H

#include <stdint.h>

#include "boot/multiboot2.h"

#define PT_POOL_PAGES 256

/* Builds the tables (not yet active); returns the root's physical address. */
uint64_t paging_build(const struct boot_info *bi);
/* Marks [pa, pa+size) uncached (device memory). */
void paging_map_device(uint64_t pa, uint64_t size);
/* Makes one page read-only and executable (the AP start-up code). */
void paging_make_code_page(uint64_t pa);
/* Back to ordinary data (RW, never executable): the AP start-up code after use. */
void paging_make_data_page(uint64_t pa);
void paging_activate(void);
uint64_t paging_pool_pages_used(void);
uint64_t paging_mapped_top(void);
uint64_t paging_root(void);

#endif
