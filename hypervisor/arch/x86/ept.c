/* SPDX-License-Identifier: BSD-3-Clause */
#include "arch/x86/ept.h"

#include "include/layout.h"
#include "lib/string.h"

#define EPTP_WALK_LENGTH_4 (3ull << 3)
#define EPTP_MEMTYPE_WB	   6ull
#define INVEPT_SINGLE	   1ull

static uint8_t ept_pool[EPT_POOL_PAGES][PAGE_SIZE] HV_NOINIT_PAGES;
static uint32_t ept_pool_next;

static void *ept_alloc_page(void *ctx, uint64_t *phys)
{
	void *page;

	(void)ctx;
	if (ept_pool_next >= EPT_POOL_PAGES)
		return NULL;
	page = ept_pool[ept_pool_next++];
	memset(page, 0, PAGE_SIZE);
	*phys = (uint64_t)(uintptr_t)page;
	return page;
}

static void *ept_phys_to_virt(void *ctx, uint64_t phys)
{
	(void)ctx;
	return (void *)(uintptr_t)phys;
}

static const struct pt_memory ept_memory = {
	.alloc_page = ept_alloc_page,
	.phys_to_virt = ept_phys_to_virt,
};

int ept_init(struct pt_root *root)
{
	return pt_init(root, &pt_format_ept, &ept_memory);
}

uint64_t ept_pointer(const struct pt_root *root)
{
	return root->root_phys | EPTP_WALK_LENGTH_4 | EPTP_MEMTYPE_WB;
}

void ept_flush(uint64_t eptp)
{
	struct {
		uint64_t eptp, reserved;
	} desc = { eptp, 0 };

	__asm__ volatile("invept %0, %1" ::"m"(desc), "r"(INVEPT_SINGLE) : "cc", "memory");
}

uint64_t ept_pool_pages_used(void)
{
	return ept_pool_next;
}
