/* SPDX-License-Identifier: BSD-3-Clause */
#include "arch/x86/paging.h"

#include "arch/x86/cpu.h"
#include "arch/x86/trap.h"
#include "debug/log.h"
#include "include/layout.h"
#include "lib/pagetable.h"
#include "lib/string.h"

#define GIB		   (1ull << 30)
#define IDENTITY_MAP_LIMIT (512 * GIB) /* one PML4 entry's worth */

extern char __image_start[], __text_end[], __rodata_end[], __image_end[];

static uint8_t pt_pool[PT_POOL_PAGES][PAGE_SIZE] HV_NOINIT_PAGES;
static uint32_t pt_pool_next;
static struct pt_root hv_page_table;
static uint64_t mapped_top;

static void *pool_alloc_page(void *ctx, uint64_t *phys)
{
	void *page;

	(void)ctx;
	if (pt_pool_next >= PT_POOL_PAGES)
		return NULL;
	page = pt_pool[pt_pool_next++];
	memset(page, 0, PAGE_SIZE);
	*phys = (uint64_t)(uintptr_t)page; /* identity mapped */
	return page;
}

static void *pool_phys_to_virt(void *ctx, uint64_t phys)
{
	(void)ctx;
	return (void *)(uintptr_t)phys;
}

static const struct pt_memory pool_memory = {
	.alloc_page = pool_alloc_page,
	.phys_to_virt = pool_phys_to_virt,
};

static void paging_map_or_panic(uint64_t va, uint64_t size, uint64_t flags, unsigned int allow)
{
	int err = pt_map(&hv_page_table, va, va, size, flags, allow);

	if (err)
		panic("paging: cannot map 0x%llx+0x%llx (error %d); pool of %u pages too small?",
		      (unsigned long long)va, (unsigned long long)size, err, PT_POOL_PAGES);
}

uint64_t paging_build(const struct boot_info *bi)
{
	struct cpuid_regs r;
	unsigned int allow = PT_ALLOW_2M;
	uint64_t top = 4 * GIB;
	uint64_t text = (uint64_t)(uintptr_t)__image_start;
	uint64_t rodata = (uint64_t)(uintptr_t)__text_end;
	uint64_t data = (uint64_t)(uintptr_t)__rodata_end;
	uint64_t end = (uint64_t)(uintptr_t)__image_end;

	cpuid_count(0x80000001, 0, &r);
	if (r.edx & (1u << 26))
		allow |= PT_ALLOW_1G;

	for (uint32_t i = 0; i < bi->mmap_count; i++) {
		uint64_t e = bi->mmap[i].base + bi->mmap[i].length;

		if (bi->mmap[i].type == BOOT_MEM_RAM && e > top)
			top = e;
	}
	top = (top + GIB - 1) & ~(GIB - 1);
	if (top > IDENTITY_MAP_LIMIT) {
		pr_warn("paging: memory above %llu GiB is not mapped by the hypervisor",
			(unsigned long long)(IDENTITY_MAP_LIMIT / GIB));
		top = IDENTITY_MAP_LIMIT;
	}
	mapped_top = top;

	if (pt_init(&hv_page_table, &pt_format_ia32e, &pool_memory))
		panic("paging: no page for the root table");
	/*
	 * All physical memory, readable and writable, never executable. The
	 * cache type comes from the firmware's MTRRs (UC for device ranges).
	 * Page 0 stays unmapped so a NULL dereference faults.
	 */
	paging_map_or_panic(PAGE_SIZE, top - PAGE_SIZE, PT_P | PT_RW | PT_NX, allow);
	/* The image by section: code RX, read-only data R, data and bss RW. */
	paging_map_or_panic(text, rodata - text, PT_P, 0);
	paging_map_or_panic(rodata, data - rodata, PT_P | PT_NX, 0);
	paging_map_or_panic(data, end - data, PT_P | PT_RW | PT_NX, 0);
	return hv_page_table.root_phys;
}

void paging_map_device(uint64_t pa, uint64_t size)
{
	uint64_t start = pa & ~(uint64_t)(PAGE_SIZE - 1);
	uint64_t stop = (pa + size + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);

	paging_map_or_panic(start, stop - start, PT_P | PT_RW | PT_NX | PT_PCD | PT_PWT, 0);
	if (read_cr3() == hv_page_table.root_phys)
		for (uint64_t va = start; va < stop; va += PAGE_SIZE)
			invlpg(va);
}

void paging_make_code_page(uint64_t pa)
{
	paging_map_or_panic(pa, PAGE_SIZE, PT_P, 0);
}

void paging_make_data_page(uint64_t pa)
{
	paging_map_or_panic(pa, PAGE_SIZE, PT_P | PT_RW | PT_NX, 0);
	invlpg(pa);
}

void paging_activate(void)
{
	write_cr3(hv_page_table.root_phys);
}

uint64_t paging_pool_pages_used(void)
{
	return pt_pool_next;
}

uint64_t paging_mapped_top(void)
{
	return mapped_top;
}

uint64_t paging_root(void)
{
	return hv_page_table.root_phys;
}
