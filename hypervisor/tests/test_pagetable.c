/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Page-table builder tests. Table pages come from a pool of host pages
 * with made-up physical addresses, so the tests can also walk the raw
 * entries themselves and check the exact bit layout the CPU would see.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "debug/log.h"
#include "lib/errno.h"
#include "lib/pagetable.h"
#include "tests/log_capture.h"

#define POOL_MAX       4096u
#define FAKE_PHYS_BASE 0x100000ull
#define GiB	       (1ull << 30)
#define MiB	       (1ull << 20)
#define PAGING_DEFAULT (PT_P | PT_RW)
#define EPT_RWX	       (EPT_R | EPT_W | EPT_X)
#define EPT_MT(t)      ((t) << EPT_MT_SHIFT)

static struct {
	void *pages[POOL_MAX];
	unsigned int count;
	unsigned int limit;
	bool dirty; /* hand out garbage instead of zeroed pages */
} pool;

static void *fake_alloc_page(void *ctx, uint64_t *phys)
{
	void *page;

	(void)ctx;
	if (pool.count >= pool.limit)
		return NULL;
	page = aligned_alloc(PT_PAGE_4K, PT_PAGE_4K);
	assert_non_null(page);
	memset(page, pool.dirty ? 0xa5 : 0, PT_PAGE_4K);
	*phys = FAKE_PHYS_BASE + PT_PAGE_4K * pool.count;
	pool.pages[pool.count++] = page;
	return page;
}

static void *fake_phys_to_virt(void *ctx, uint64_t phys)
{
	uint64_t i = (phys - FAKE_PHYS_BASE) / PT_PAGE_4K;

	(void)ctx;
	/* Anything else means the builder followed a corrupt entry. */
	assert_true(phys >= FAKE_PHYS_BASE && phys % PT_PAGE_4K == 0 && i < pool.count);
	return pool.pages[i];
}

static const struct pt_memory fake_mem = {
	.alloc_page = fake_alloc_page,
	.phys_to_virt = fake_phys_to_virt,
	.ctx = NULL,
};

static int pool_setup(void **state)
{
	(void)state;
	memset(&pool, 0, sizeof(pool));
	pool.limit = POOL_MAX;
	log_capture_reset();
	return 0;
}

static int pool_teardown(void **state)
{
	(void)state;
	for (unsigned int i = 0; i < pool.count; i++)
		free(pool.pages[i]);
	pool.count = 0;
	return 0;
}

static void init_root(struct pt_root *root, const struct pt_format *fmt)
{
	assert_int_equal(pt_init(root, fmt, &fake_mem), 0);
	assert_int_equal(pt_pages_used(root), 1);
}

/* The raw entry for va at `level` (4..1), walked independently of the builder. */
static uint64_t raw_entry(const struct pt_root *root, uint64_t va, unsigned int level)
{
	uint64_t *table = fake_phys_to_virt(NULL, root->root_phys);

	for (unsigned int l = 4; l > level; l--) {
		uint64_t e = table[(va >> (12 + 9 * (l - 1))) & 511];

		assert_true((e & root->fmt->present_mask) != 0);
		assert_true(l == 4 || (e & PT_PS) == 0);
		table = fake_phys_to_virt(NULL, e & PT_ADDR_MASK);
	}
	return table[(va >> (12 + 9 * (level - 1))) & 511];
}

#define EXPECT_MAPPED(root, va, exp_pa, exp_flags, exp_size)                                       \
	do {                                                                                       \
		uint64_t pa_ = 0, flags_ = 0, size_ = 0;                                           \
		assert_int_equal(pt_lookup((root), (va), &pa_, &flags_, &size_), 0);               \
		assert_int_equal(pa_, (exp_pa));                                                   \
		assert_int_equal(flags_, (exp_flags));                                             \
		assert_int_equal(size_, (exp_size));                                               \
	} while (0)

#define EXPECT_UNMAPPED(root, va)                                                                  \
	assert_int_equal(pt_lookup((root), (va), NULL, NULL, NULL), -ENOENT)

static void test_init(void **state)
{
	struct pt_memory no_alloc = fake_mem;
	struct pt_root root;

	(void)state;
	assert_int_equal(pt_init(NULL, &pt_format_ia32e, &fake_mem), -EINVAL);
	assert_int_equal(pt_init(&root, NULL, &fake_mem), -EINVAL);
	assert_int_equal(pt_init(&root, &pt_format_ia32e, NULL), -EINVAL);
	no_alloc.alloc_page = NULL;
	assert_int_equal(pt_init(&root, &pt_format_ia32e, &no_alloc), -EINVAL);
	assert_int_equal(pt_pages_used(NULL), 0);
	/* A root whose init failed refuses every operation. */
	assert_int_equal(pt_map(&root, 0, 0, PT_PAGE_4K, PAGING_DEFAULT, 0), -EINVAL);
	assert_int_equal(pt_lookup(&root, 0, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(pt_lookup(NULL, 0, NULL, NULL, NULL), -EINVAL);
	assert_true(log_capture_contains("uninitialised"));

	pool.limit = 0;
	assert_int_equal(pt_init(&root, &pt_format_ia32e, &fake_mem), -ENOMEM);
	assert_int_equal(pt_unmap(&root, 0, PT_PAGE_4K), -EINVAL);

	pool.limit = POOL_MAX;
	init_root(&root, &pt_format_ia32e);
	assert_int_equal(root.root_phys, FAKE_PHYS_BASE);
	EXPECT_UNMAPPED(&root, 0);
	EXPECT_UNMAPPED(&root, (1ull << 48) - 1);
}

static void *bad_alloc_page(void *ctx, uint64_t *phys)
{
	void *page = fake_alloc_page(ctx, phys);

	*phys |= 0x800; /* not page aligned */
	return page;
}

static void test_bad_allocator(void **state)
{
	struct pt_memory bad = fake_mem;
	struct pt_root root;

	(void)state;
	bad.alloc_page = bad_alloc_page;
	assert_int_equal(pt_init(&root, &pt_format_ia32e, &bad), -EFAULT);
	assert_true(log_capture_contains("bad page"));
}

static void test_identity_1g(void **state)
{
	const uint64_t flags = PT_P | PT_RW | PT_G;
	struct pt_root root;

	(void)state;
	init_root(&root, &pt_format_ia32e);
	assert_int_equal(pt_map(&root, 0, 0, 4 * GiB, flags, PT_ALLOW_1G | PT_ALLOW_2M), 0);
	assert_int_equal(pt_pages_used(&root), 2);
	EXPECT_MAPPED(&root, 0, 0, flags, PT_PAGE_1G);
	EXPECT_MAPPED(&root, 0x12345678, 0x12345678, flags, PT_PAGE_1G);
	EXPECT_MAPPED(&root, 3 * GiB + 5, 3 * GiB + 5, flags, PT_PAGE_1G);
	EXPECT_MAPPED(&root, 4 * GiB - 1, 4 * GiB - 1, flags, PT_PAGE_1G);
	EXPECT_UNMAPPED(&root, 4 * GiB);

	/* Exact bits: a P|RW table link, then four 1G leaves with PS. */
	assert_int_equal(raw_entry(&root, 0, 4), (FAKE_PHYS_BASE + PT_PAGE_4K) | PT_P | PT_RW);
	for (uint64_t i = 0; i < 4; i++)
		assert_int_equal(raw_entry(&root, i * GiB, 3), i * GiB | flags | PT_PS);
}

static void test_4k_only(void **state)
{
	const uint64_t flags = PT_P | PT_RW | PT_NX;
	const uint64_t size = 4 * MiB + 2 * PT_PAGE_4K;
	struct pt_root root;

	(void)state;
	init_root(&root, &pt_format_ia32e);
	assert_int_equal(pt_map(&root, GiB, 2 * GiB, size, flags, 0), 0);
	/* root, PDPT, PD and three PTs */
	assert_int_equal(pt_pages_used(&root), 6);
	for (uint64_t off = 0; off < size; off += PT_PAGE_4K)
		EXPECT_MAPPED(&root, GiB + off + 0x10, 2 * GiB + off + 0x10, flags, PT_PAGE_4K);
	EXPECT_UNMAPPED(&root, GiB + size);
	EXPECT_UNMAPPED(&root, GiB - PT_PAGE_4K);
	assert_int_equal(raw_entry(&root, GiB, 1), 2 * GiB | flags);
}

static void test_fallback_to_smaller_pages(void **state)
{
	const unsigned int all = PT_ALLOW_2M | PT_ALLOW_1G;
	struct pt_root root;

	(void)state;
	init_root(&root, &pt_format_ia32e);
	/* 2M-aligned va but pa off by 4K: only 4K pages fit. */
	assert_int_equal(pt_map(&root, 2 * MiB, 2 * MiB + PT_PAGE_4K, 2 * MiB, PT_P, all), 0);
	EXPECT_MAPPED(&root, 2 * MiB, 2 * MiB + PT_PAGE_4K, PT_P, PT_PAGE_4K);
	EXPECT_MAPPED(&root, 4 * MiB - 1, 4 * MiB + PT_PAGE_4K - 1, PT_P, PT_PAGE_4K);
	assert_int_equal(pt_pages_used(&root), 4);

	/* 1G-aligned va, pa only 2M-aligned: 2M pages. */
	assert_int_equal(pt_map(&root, GiB, 3 * GiB + 2 * MiB, GiB, PT_P, all), 0);
	EXPECT_MAPPED(&root, GiB, 3 * GiB + 2 * MiB, PT_P, PT_PAGE_2M);
	EXPECT_MAPPED(&root, 2 * GiB - 1, 4 * GiB + 2 * MiB - 1, PT_P, PT_PAGE_2M);

	/* Size decides at the ends: 4K, then 2M, then 4K again. */
	assert_int_equal(pt_map(&root, 8 * GiB - PT_PAGE_4K, 8 * GiB - PT_PAGE_4K,
				2 * MiB + 2 * PT_PAGE_4K, PT_P, all),
			 0);
	EXPECT_MAPPED(&root, 8 * GiB - PT_PAGE_4K, 8 * GiB - PT_PAGE_4K, PT_P, PT_PAGE_4K);
	EXPECT_MAPPED(&root, 8 * GiB, 8 * GiB, PT_P, PT_PAGE_2M);
	EXPECT_MAPPED(&root, 8 * GiB + 2 * MiB, 8 * GiB + 2 * MiB, PT_P, PT_PAGE_4K);
	EXPECT_UNMAPPED(&root, 8 * GiB + 2 * MiB + PT_PAGE_4K);

	/* 1G allowed but not 2M: a 2M-aligned range still gets 4K pages. */
	assert_int_equal(pt_map(&root, 16 * GiB, 16 * GiB, 2 * MiB, PT_P, PT_ALLOW_1G), 0);
	EXPECT_MAPPED(&root, 16 * GiB, 16 * GiB, PT_P, PT_PAGE_4K);
	/* ... and a 1G-aligned range with only 2M allowed gets 2M pages. */
	assert_int_equal(pt_map(&root, 32 * GiB, 32 * GiB, GiB, PT_P, PT_ALLOW_2M), 0);
	EXPECT_MAPPED(&root, 32 * GiB + 5, 32 * GiB + 5, PT_P, PT_PAGE_2M);
}

static void test_split_1g_by_protect(void **state)
{
	const uint64_t old = PT_P | PT_RW | PT_G;
	const uint64_t new = PT_P | PT_NX;
	const uint64_t va = GiB, pa = 5 * GiB, page = 0x12345000;
	struct pt_root root;

	(void)state;
	init_root(&root, &pt_format_ia32e);
	assert_int_equal(pt_map(&root, va, pa, GiB, old, PT_ALLOW_1G), 0);
	assert_int_equal(pt_pages_used(&root), 2);
	assert_int_equal(pt_protect(&root, va + page, PT_PAGE_4K, new), 0);
	/* one PD for the 1G leaf, one PT for the 2M leaf around the page */
	assert_int_equal(pt_pages_used(&root), 4);

	EXPECT_MAPPED(&root, va + page + 0x123, pa + page + 0x123, new, PT_PAGE_4K);
	EXPECT_MAPPED(&root, va + page - PT_PAGE_4K, pa + page - PT_PAGE_4K, old, PT_PAGE_4K);
	EXPECT_MAPPED(&root, va + page + PT_PAGE_4K, pa + page + PT_PAGE_4K, old, PT_PAGE_4K);
	EXPECT_MAPPED(&root, va + 0x12200000, pa + 0x12200000, old, PT_PAGE_4K);
	EXPECT_MAPPED(&root, va + 0x123ff000, pa + 0x123ff000, old, PT_PAGE_4K);
	EXPECT_MAPPED(&root, va + 0x12400000, pa + 0x12400000, old, PT_PAGE_2M);
	EXPECT_MAPPED(&root, va + 0x12000000, pa + 0x12000000, old, PT_PAGE_2M);
	EXPECT_MAPPED(&root, va, pa, old, PT_PAGE_2M);
	EXPECT_MAPPED(&root, va + GiB - 1, pa + GiB - 1, old, PT_PAGE_2M);
	EXPECT_UNMAPPED(&root, va + GiB);

	/* A whole 2M leaf changes in place: no split, no page. */
	assert_int_equal(pt_protect(&root, va + 0x12400000, 2 * MiB, new), 0);
	assert_int_equal(pt_pages_used(&root), 4);
	EXPECT_MAPPED(&root, va + 0x12400000, pa + 0x12400000, new, PT_PAGE_2M);
	EXPECT_MAPPED(&root, va + 0x12600000, pa + 0x12600000, old, PT_PAGE_2M);

	/* The range may span leaves of different sizes. */
	assert_int_equal(pt_protect(&root, va, GiB, PT_P), 0);
	EXPECT_MAPPED(&root, va + page, pa + page, PT_P, PT_PAGE_4K);
	EXPECT_MAPPED(&root, va + 0x12400000, pa + 0x12400000, PT_P, PT_PAGE_2M);
	assert_int_equal(pt_pages_used(&root), 4);
}

static void test_protect_hole_changes_nothing(void **state)
{
	struct pt_root root;

	(void)state;
	init_root(&root, &pt_format_ia32e);
	assert_int_equal(pt_map(&root, 0, 0, 4 * MiB, PAGING_DEFAULT, PT_ALLOW_2M), 0);
	assert_int_equal(pt_map(&root, 6 * MiB, 6 * MiB, 2 * MiB, PAGING_DEFAULT, PT_ALLOW_2M), 0);
	log_capture_reset();
	/* The hole [4M, 6M) makes the call fail before anything, a split included, happens. */
	assert_int_equal(pt_protect(&root, PT_PAGE_4K, 8 * MiB - 2 * PT_PAGE_4K, PT_P), -ENOENT);
	assert_true(log_capture_contains("0x400000 is not mapped"));
	assert_int_equal(pt_pages_used(&root), 3);
	EXPECT_MAPPED(&root, PT_PAGE_4K, PT_PAGE_4K, PAGING_DEFAULT, PT_PAGE_2M);
	EXPECT_MAPPED(&root, 7 * MiB, 7 * MiB, PAGING_DEFAULT, PT_PAGE_2M);
	/* Also when the hole is past a mapped part, and in a never-built table. */
	assert_int_equal(pt_protect(&root, 6 * MiB, 4 * MiB, PT_P), -ENOENT);
	assert_int_equal(pt_protect(&root, 600 * GiB, PT_PAGE_4K, PT_P), -ENOENT);
	EXPECT_MAPPED(&root, 6 * MiB, 6 * MiB, PAGING_DEFAULT, PT_PAGE_2M);
}

static void test_unmap_middle_of_2m(void **state)
{
	const uint64_t va = GiB + 2 * MiB, pa = 2 * GiB;
	struct pt_root root;

	(void)state;
	init_root(&root, &pt_format_ia32e);
	assert_int_equal(pt_map(&root, va, pa, 2 * MiB, PAGING_DEFAULT, PT_ALLOW_2M), 0);
	assert_int_equal(pt_pages_used(&root), 3);
	assert_int_equal(pt_unmap(&root, va + PT_PAGE_4K, 3 * PT_PAGE_4K), 0);
	assert_int_equal(pt_pages_used(&root), 4);
	EXPECT_MAPPED(&root, va, pa, PAGING_DEFAULT, PT_PAGE_4K);
	EXPECT_UNMAPPED(&root, va + PT_PAGE_4K);
	EXPECT_UNMAPPED(&root, va + 3 * PT_PAGE_4K + 0xfff);
	EXPECT_MAPPED(&root, va + 4 * PT_PAGE_4K, pa + 4 * PT_PAGE_4K, PAGING_DEFAULT, PT_PAGE_4K);
	EXPECT_MAPPED(&root, va + 2 * MiB - 1, pa + 2 * MiB - 1, PAGING_DEFAULT, PT_PAGE_4K);
	EXPECT_UNMAPPED(&root, va + 2 * MiB);
	assert_int_equal(raw_entry(&root, va + PT_PAGE_4K, 1), 0);

	/* Holes inside the range are fine; tables stay and are reused. */
	assert_int_equal(pt_unmap(&root, 0, 4 * GiB), 0);
	EXPECT_UNMAPPED(&root, va);
	EXPECT_UNMAPPED(&root, va + 2 * MiB - 1);
	assert_int_equal(pt_map(&root, va, pa, 2 * MiB, PAGING_DEFAULT, 0), 0);
	assert_int_equal(pt_pages_used(&root), 4);
	EXPECT_MAPPED(&root, va + PT_PAGE_4K, pa + PT_PAGE_4K, PAGING_DEFAULT, PT_PAGE_4K);
	/* Unmapping what was never mapped allocates nothing. */
	assert_int_equal(pt_unmap(&root, 100 * GiB + PT_PAGE_4K, PT_PAGE_4K), 0);
	assert_int_equal(pt_pages_used(&root), 4);
}

static void test_unmap_across_1g_leaves(void **state)
{
	struct pt_root root;

	(void)state;
	init_root(&root, &pt_format_ia32e);
	assert_int_equal(pt_map(&root, 0, 0, 4 * GiB, PAGING_DEFAULT, PT_ALLOW_1G), 0);
	/* Both edges inside 1G leaves: split at 2M at the start, down to 4K at the end. */
	assert_int_equal(pt_unmap(&root, GiB - 2 * MiB, 2 * GiB + 2 * MiB + 2 * PT_PAGE_4K), 0);
	assert_int_equal(pt_pages_used(&root), 2 + 2 + 1);
	EXPECT_MAPPED(&root, GiB - 2 * MiB - 1, GiB - 2 * MiB - 1, PAGING_DEFAULT, PT_PAGE_2M);
	EXPECT_UNMAPPED(&root, GiB - 2 * MiB);
	EXPECT_UNMAPPED(&root, 2 * GiB);
	EXPECT_UNMAPPED(&root, 3 * GiB + PT_PAGE_4K);
	EXPECT_MAPPED(&root, 3 * GiB + 2 * PT_PAGE_4K, 3 * GiB + 2 * PT_PAGE_4K, PAGING_DEFAULT,
		      PT_PAGE_4K);
	EXPECT_MAPPED(&root, 3 * GiB + 2 * MiB, 3 * GiB + 2 * MiB, PAGING_DEFAULT, PT_PAGE_2M);
	EXPECT_MAPPED(&root, 0, 0, PAGING_DEFAULT, PT_PAGE_2M);
}

static void test_argument_errors(void **state)
{
	const uint64_t top = 1ull << 48;
	struct pt_root root, ept;

	(void)state;
	init_root(&root, &pt_format_ia32e);
	log_capture_reset();
	assert_int_equal(pt_map(&root, 0x800, 0, PT_PAGE_4K, PAGING_DEFAULT, 0), -EINVAL);
	assert_true(log_capture_contains("not 4 KiB aligned"));
	assert_int_equal(pt_map(&root, 0, 0x800, PT_PAGE_4K, PAGING_DEFAULT, 0), -EINVAL);
	assert_int_equal(pt_map(&root, 0, 0, 0x800, PAGING_DEFAULT, 0), -EINVAL);
	assert_int_equal(pt_map(&root, 0, 0, 0, PAGING_DEFAULT, 0), -EINVAL);
	/* wrap around, beyond 48 bits of va, beyond 52 bits of pa */
	assert_int_equal(pt_map(&root, ~0ull & ~0xfffull, 0, 2 * PT_PAGE_4K, PT_P, 0), -EINVAL);
	assert_int_equal(pt_map(&root, top - PT_PAGE_4K, 0, 2 * PT_PAGE_4K, PT_P, 0), -EINVAL);
	assert_true(log_capture_contains("48-bit"));
	assert_int_equal(pt_map(&root, top, 0, PT_PAGE_4K, PT_P, 0), -EINVAL);
	assert_int_equal(pt_map(&root, 0, 0, top + PT_PAGE_4K, PT_P, 0), -EINVAL);
	assert_int_equal(pt_map(&root, 0, (1ull << 52) - PT_PAGE_4K, 2 * PT_PAGE_4K, PT_P, 0),
			 -EINVAL);
	assert_int_equal(pt_map(&root, 0, ~0ull & ~0xfffull, 2 * PT_PAGE_4K, PT_P, 0), -EINVAL);
	/* flags: address bits, not present, unknown page size */
	assert_int_equal(pt_map(&root, 0, 0, PT_PAGE_4K, PT_P | PT_PAT_LARGE, 0), -EINVAL);
	assert_int_equal(pt_map(&root, 0, 0, PT_PAGE_4K, PT_RW, 0), -EINVAL);
	assert_int_equal(pt_map(&root, 0, 0, PT_PAGE_4K, PT_P, 4u), -EINVAL);
	/* the other calls */
	assert_int_equal(pt_unmap(&root, 0x10, PT_PAGE_4K), -EINVAL);
	assert_int_equal(pt_unmap(&root, 0, 0), -EINVAL);
	assert_int_equal(pt_unmap(&root, top - PT_PAGE_4K, 2 * PT_PAGE_4K), -EINVAL);
	assert_int_equal(pt_protect(&root, 0, 0x1800, PT_P), -EINVAL);
	assert_int_equal(pt_protect(&root, 0, PT_PAGE_4K, 0), -EINVAL);
	assert_int_equal(pt_protect(&root, 0, PT_PAGE_4K, PT_P | (1ull << 40)), -EINVAL);
	assert_int_equal(pt_lookup(&root, top, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(pt_unmap(NULL, 0, PT_PAGE_4K), -EINVAL);
	assert_int_equal(pt_protect(NULL, 0, PT_PAGE_4K, PT_P), -EINVAL);
	assert_int_equal(pt_map(NULL, 0, 0, PT_PAGE_4K, PT_P, 0), -EINVAL);
	assert_int_equal(pt_pages_used(&root), 1);
	EXPECT_UNMAPPED(&root, 0);

	/* The very top of the address space and of physical memory are fine. */
	assert_int_equal(pt_map(&root, top - GiB, (1ull << 52) - GiB, GiB, PT_P, PT_ALLOW_1G), 0);
	EXPECT_MAPPED(&root, top - 1, (1ull << 52) - 1, PT_P, PT_PAGE_1G);
	assert_int_equal(pt_unmap(&root, top - PT_PAGE_4K, PT_PAGE_4K), 0);
	EXPECT_UNMAPPED(&root, top - 1);
	EXPECT_MAPPED(&root, top - PT_PAGE_4K - 1, (1ull << 52) - PT_PAGE_4K - 1, PT_P, PT_PAGE_4K);

	/* In EPT bit 7 is the builder's page-size bit, never a caller flag. */
	init_root(&ept, &pt_format_ept);
	assert_int_equal(pt_map(&ept, 0, 0, PT_PAGE_4K, EPT_R | PT_PS, 0), -EINVAL);
	assert_int_equal(pt_map(&ept, 0, 0, PT_PAGE_4K, EPT_MT(EPT_MT_WB), 0), -EINVAL);
}

static void test_enomem_keeps_earlier_mappings(void **state)
{
	struct pt_root root;

	(void)state;
	pool.limit = 5;
	init_root(&root, &pt_format_ia32e);
	log_capture_reset();
	/* Needs root, PDPT, PD and four PTs; the pool holds two PTs. */
	assert_int_equal(pt_map(&root, 0, GiB, 8 * MiB, PAGING_DEFAULT, 0), -ENOMEM);
	assert_true(log_capture_contains("out of page-table pages"));
	assert_int_equal(pt_pages_used(&root), 5);
	for (uint64_t va = 0; va < 4 * MiB; va += PT_PAGE_4K)
		EXPECT_MAPPED(&root, va, GiB + va, PAGING_DEFAULT, PT_PAGE_4K);
	for (uint64_t va = 4 * MiB; va < 8 * MiB; va += PT_PAGE_4K)
		EXPECT_UNMAPPED(&root, va);

	/* With more pages the same call completes. */
	pool.limit = 7;
	assert_int_equal(pt_map(&root, 0, GiB, 8 * MiB, PAGING_DEFAULT, 0), 0);
	EXPECT_MAPPED(&root, 8 * MiB - 1, GiB + 8 * MiB - 1, PAGING_DEFAULT, PT_PAGE_4K);
}

static void test_enomem_while_splitting(void **state)
{
	const uint64_t old = PT_P | PT_RW;
	struct pt_root root;

	(void)state;
	pool.limit = 2;
	init_root(&root, &pt_format_ia32e);
	assert_int_equal(pt_map(&root, 0, 3 * GiB, GiB, old, PT_ALLOW_1G), 0);
	/* No page for any split: the 1G leaf is untouched by every call. */
	assert_int_equal(pt_protect(&root, PT_PAGE_4K, PT_PAGE_4K, PT_P), -ENOMEM);
	assert_int_equal(pt_unmap(&root, PT_PAGE_4K, PT_PAGE_4K), -ENOMEM);
	assert_int_equal(pt_map(&root, PT_PAGE_4K, 0, PT_PAGE_4K, PT_P, 0), -ENOMEM);
	EXPECT_MAPPED(&root, PT_PAGE_4K, 3 * GiB + PT_PAGE_4K, old, PT_PAGE_1G);

	/* One page: the 1G split succeeds, the 2M one does not; no flag changes. */
	pool.limit = 3;
	assert_int_equal(pt_protect(&root, PT_PAGE_4K, GiB - 2 * PT_PAGE_4K, PT_P), -ENOMEM);
	for (uint64_t va = 0; va < GiB; va += 2 * MiB)
		EXPECT_MAPPED(&root, va, 3 * GiB + va, old, PT_PAGE_2M);
	assert_int_equal(pt_unmap(&root, PT_PAGE_4K, PT_PAGE_4K), -ENOMEM);
	EXPECT_MAPPED(&root, PT_PAGE_4K, 3 * GiB + PT_PAGE_4K, old, PT_PAGE_2M);
	/* Only the end edge needs a page: the whole leaf before it must not change either. */
	assert_int_equal(pt_protect(&root, 2 * MiB, 2 * MiB + PT_PAGE_4K, PT_P), -ENOMEM);
	assert_int_equal(pt_unmap(&root, 2 * MiB, 2 * MiB + PT_PAGE_4K), -ENOMEM);
	EXPECT_MAPPED(&root, 2 * MiB, 3 * GiB + 2 * MiB, old, PT_PAGE_2M);

	/* Enough pages for both edges (two PTs). */
	pool.limit = 5;
	assert_int_equal(pt_protect(&root, PT_PAGE_4K, GiB - 2 * PT_PAGE_4K, PT_P), 0);
	EXPECT_MAPPED(&root, 0, 3 * GiB, old, PT_PAGE_4K);
	EXPECT_MAPPED(&root, PT_PAGE_4K, 3 * GiB + PT_PAGE_4K, PT_P, PT_PAGE_4K);
	EXPECT_MAPPED(&root, 2 * MiB, 3 * GiB + 2 * MiB, PT_P, PT_PAGE_2M);
	EXPECT_MAPPED(&root, GiB - 2 * PT_PAGE_4K, 4 * GiB - 2 * PT_PAGE_4K, PT_P, PT_PAGE_4K);
	EXPECT_MAPPED(&root, GiB - PT_PAGE_4K, 4 * GiB - PT_PAGE_4K, old, PT_PAGE_4K);
}

static void test_ept_memory_types(void **state)
{
	const uint64_t wb = EPT_RWX | EPT_MT(EPT_MT_WB) | EPT_IGNORE_PAT;
	const uint64_t uc = EPT_R | EPT_W | EPT_MT(EPT_MT_UC);
	const uint64_t ro = EPT_R | EPT_MT(EPT_MT_WT);
	struct pt_root root;
	uint64_t e;

	(void)state;
	init_root(&root, &pt_format_ept);
	assert_int_equal(pt_map(&root, 0, 2 * GiB, 4 * MiB, wb, PT_ALLOW_2M | PT_ALLOW_1G), 0);
	assert_int_equal(pt_map(&root, 4 * MiB, 0xfec00000, PT_PAGE_4K, uc, PT_ALLOW_2M), 0);
	EXPECT_MAPPED(&root, 0x1234, 2 * GiB + 0x1234, wb, PT_PAGE_2M);
	EXPECT_MAPPED(&root, 2 * MiB, 2 * GiB + 2 * MiB, wb, PT_PAGE_2M);
	EXPECT_MAPPED(&root, 4 * MiB + 8, 0xfec00008, uc, PT_PAGE_4K);

	/* Links carry R|W|X; large leaves have bit 7, 4K leaves do not. */
	assert_int_equal(raw_entry(&root, 0, 4) & 0xfff, EPT_RWX);
	assert_int_equal(raw_entry(&root, 0, 3) & 0xfff, EPT_RWX);
	assert_int_equal(raw_entry(&root, 0, 2), 2 * GiB | wb | PT_PS);
	assert_int_equal(raw_entry(&root, 4 * MiB, 1), 0xfec00000 | uc);

	/* Splitting a 2M leaf keeps the memory type of the neighbours. */
	assert_int_equal(pt_protect(&root, 3 * PT_PAGE_4K, PT_PAGE_4K, ro), 0);
	EXPECT_MAPPED(&root, 3 * PT_PAGE_4K, 2 * GiB + 3 * PT_PAGE_4K, ro, PT_PAGE_4K);
	EXPECT_MAPPED(&root, 2 * PT_PAGE_4K, 2 * GiB + 2 * PT_PAGE_4K, wb, PT_PAGE_4K);
	EXPECT_MAPPED(&root, 4 * PT_PAGE_4K, 2 * GiB + 4 * PT_PAGE_4K, wb, PT_PAGE_4K);
	e = raw_entry(&root, 2 * PT_PAGE_4K, 1);
	assert_int_equal(e, (2 * GiB + 2 * PT_PAGE_4K) | wb);
	/* Execute-only is present in EPT. */
	assert_int_equal(pt_protect(&root, 0, PT_PAGE_4K, EPT_X), 0);
	EXPECT_MAPPED(&root, 0, 2 * GiB, EPT_X, PT_PAGE_4K);
	assert_int_equal(pt_unmap(&root, 0, 4 * MiB + PT_PAGE_4K), 0);
	EXPECT_UNMAPPED(&root, 0);
	EXPECT_UNMAPPED(&root, 4 * MiB);
}

static void test_pat_bit_in_large_pages(void **state)
{
	const uint64_t wc = PT_P | PT_RW | PT_PAT4K | PT_PCD;
	struct pt_root root;

	(void)state;
	init_root(&root, &pt_format_ia32e);
	assert_int_equal(pt_map(&root, 0, GiB, 2 * MiB, wc, PT_ALLOW_2M), 0);
	assert_int_equal(pt_map(&root, GiB, 2 * GiB, GiB, wc, PT_ALLOW_1G), 0);
	assert_int_equal(pt_map(&root, 2 * GiB, 3 * GiB, 2 * MiB, PAGING_DEFAULT, PT_ALLOW_2M), 0);

	/* Large leaves: PS in bit 7, PAT in bit 12; lookups show the 4K layout. */
	assert_int_equal(raw_entry(&root, 0, 2),
			 GiB | PT_PAT_LARGE | PT_PS | PT_P | PT_RW | PT_PCD);
	assert_int_equal(raw_entry(&root, GiB, 3),
			 2 * GiB | PT_PAT_LARGE | PT_PS | PT_P | PT_RW | PT_PCD);
	assert_int_equal(raw_entry(&root, 2 * GiB, 2), 3 * GiB | PT_PS | PAGING_DEFAULT);
	EXPECT_MAPPED(&root, 0x1fff, GiB + 0x1fff, wc, PT_PAGE_2M);
	EXPECT_MAPPED(&root, GiB + 0x1000, 2 * GiB + 0x1000, wc, PT_PAGE_1G);
	EXPECT_MAPPED(&root, 2 * GiB + 0x1000, 3 * GiB + 0x1000, PAGING_DEFAULT, PT_PAGE_2M);

	/* Split to 4K: PAT returns to bit 7 and bit 12 is address again. */
	assert_int_equal(pt_protect(&root, PT_PAGE_4K, PT_PAGE_4K, PAGING_DEFAULT), 0);
	assert_int_equal(raw_entry(&root, 0, 1), GiB | wc);
	assert_int_equal(raw_entry(&root, PT_PAGE_4K, 1), (GiB + PT_PAGE_4K) | PAGING_DEFAULT);
	assert_int_equal(raw_entry(&root, 2 * PT_PAGE_4K, 1), (GiB + 2 * PT_PAGE_4K) | wc);
	EXPECT_MAPPED(&root, 0, GiB, wc, PT_PAGE_4K);
	EXPECT_MAPPED(&root, 2 * PT_PAGE_4K, GiB + 2 * PT_PAGE_4K, wc, PT_PAGE_4K);

	/* Split 1G to 2M: the 2M children keep PAT in bit 12. */
	assert_int_equal(pt_unmap(&root, GiB + 4 * MiB, 2 * MiB), 0);
	assert_int_equal(raw_entry(&root, GiB + 2 * MiB, 2),
			 (2 * GiB + 2 * MiB) | PT_PAT_LARGE | PT_PS | PT_P | PT_RW | PT_PCD);
	EXPECT_MAPPED(&root, GiB + 2 * MiB, 2 * GiB + 2 * MiB, wc, PT_PAGE_2M);
	EXPECT_UNMAPPED(&root, GiB + 4 * MiB);
	EXPECT_MAPPED(&root, GiB + 6 * MiB, 2 * GiB + 6 * MiB, wc, PT_PAGE_2M);

	/* Protect moves PAT the same way on a whole large leaf. */
	assert_int_equal(pt_protect(&root, 2 * GiB, 2 * MiB, wc), 0);
	assert_int_equal(raw_entry(&root, 2 * GiB, 2),
			 3 * GiB | PT_PAT_LARGE | PT_PS | PT_P | PT_RW | PT_PCD);
	assert_int_equal(pt_protect(&root, 2 * GiB, 2 * MiB, PAGING_DEFAULT), 0);
	assert_int_equal(raw_entry(&root, 2 * GiB, 2), 3 * GiB | PT_PS | PAGING_DEFAULT);
}

static void test_overwrite(void **state)
{
	const unsigned int all = PT_ALLOW_2M | PT_ALLOW_1G;
	struct pt_root root;

	(void)state;
	init_root(&root, &pt_format_ia32e);
	assert_int_equal(pt_map(&root, 2 * MiB, 2 * MiB, 2 * PT_PAGE_4K, PAGING_DEFAULT, 0), 0);
	assert_int_equal(pt_pages_used(&root), 4);
	/* The existing PD and PT are filled in, not replaced by a 1G leaf. */
	assert_int_equal(pt_map(&root, 0, 4 * GiB, GiB, PT_P | PT_NX, all), 0);
	assert_int_equal(pt_pages_used(&root), 4);
	EXPECT_MAPPED(&root, 0, 4 * GiB, PT_P | PT_NX, PT_PAGE_2M);
	EXPECT_MAPPED(&root, 2 * MiB, 4 * GiB + 2 * MiB, PT_P | PT_NX, PT_PAGE_4K);
	EXPECT_MAPPED(&root, 2 * MiB + PT_PAGE_4K, 4 * GiB + 2 * MiB + PT_PAGE_4K, PT_P | PT_NX,
		      PT_PAGE_4K);
	EXPECT_MAPPED(&root, 4 * MiB - 1, 4 * GiB + 4 * MiB - 1, PT_P | PT_NX, PT_PAGE_4K);
	EXPECT_MAPPED(&root, 4 * MiB, 4 * GiB + 4 * MiB, PT_P | PT_NX, PT_PAGE_2M);

	/* Leaf over leaf of the same size: in place. */
	assert_int_equal(pt_map(&root, GiB, 0, GiB, PT_P, all), 0);
	assert_int_equal(pt_map(&root, GiB, 8 * GiB, GiB, PAGING_DEFAULT, all), 0);
	assert_int_equal(pt_pages_used(&root), 4);
	EXPECT_MAPPED(&root, GiB + 5, 8 * GiB + 5, PAGING_DEFAULT, PT_PAGE_1G);

	/* A 4K page inside a 1G leaf: split twice, the rest keeps the old mapping. */
	assert_int_equal(pt_map(&root, GiB + 3 * MiB, 0x5000, PT_PAGE_4K, PT_P, all), 0);
	assert_int_equal(pt_pages_used(&root), 6);
	EXPECT_MAPPED(&root, GiB + 3 * MiB, 0x5000, PT_P, PT_PAGE_4K);
	EXPECT_MAPPED(&root, GiB + 3 * MiB + PT_PAGE_4K, 8 * GiB + 3 * MiB + PT_PAGE_4K,
		      PAGING_DEFAULT, PT_PAGE_4K);
	EXPECT_MAPPED(&root, GiB + 2 * MiB, 8 * GiB + 2 * MiB, PAGING_DEFAULT, PT_PAGE_4K);
	EXPECT_MAPPED(&root, GiB + 4 * MiB, 8 * GiB + 4 * MiB, PAGING_DEFAULT, PT_PAGE_2M);

	/* A 1G range over a leaf whose pa no longer fits 1G: split into 2M pieces. */
	assert_int_equal(pt_map(&root, 2 * GiB, 2 * GiB, GiB, PT_P, all), 0);
	assert_int_equal(pt_map(&root, 2 * GiB, 2 * MiB, GiB, PT_P | PT_RW, all), 0);
	EXPECT_MAPPED(&root, 2 * GiB, 2 * MiB, PT_P | PT_RW, PT_PAGE_2M);
	EXPECT_MAPPED(&root, 3 * GiB - 1, GiB + 2 * MiB - 1, PT_P | PT_RW, PT_PAGE_2M);
}

static void test_pages_used(void **state)
{
	const uint64_t high = 200 * 512 * GiB;
	struct pt_root a, b;

	(void)state;
	init_root(&a, &pt_format_ia32e);
	init_root(&b, &pt_format_ept);
	assert_int_equal(pt_map(&a, high, 0, PT_PAGE_4K, PT_P, 0), 0);
	assert_int_equal(pt_pages_used(&a), 4);
	assert_int_equal(pt_map(&a, high + 511 * PT_PAGE_4K, 0, PT_PAGE_4K, PT_P, 0), 0);
	assert_int_equal(pt_pages_used(&a), 4);
	assert_int_equal(pt_map(&a, high + 2 * MiB, 0, PT_PAGE_4K, PT_P, 0), 0);
	assert_int_equal(pt_pages_used(&a), 5);
	assert_int_equal(pt_map(&a, high + GiB, 0, PT_PAGE_4K, PT_P, 0), 0);
	assert_int_equal(pt_pages_used(&a), 7);
	assert_int_equal(pt_map(&a, high + 512 * GiB, 0, 2 * MiB, PT_P, PT_ALLOW_2M), 0);
	assert_int_equal(pt_pages_used(&a), 9);
	/* Roots count separately. */
	assert_int_equal(pt_pages_used(&b), 1);
	assert_int_equal(pool.count, 10);
}

static void test_dirty_pool_pages(void **state)
{
	struct pt_root root;

	(void)state;
	pool.dirty = true;
	init_root(&root, &pt_format_ia32e);
	assert_int_equal(pt_map(&root, 0, 0, PT_PAGE_4K, PAGING_DEFAULT, 0), 0);
	/* Garbage in fresh tables would show up as stray mappings. */
	EXPECT_UNMAPPED(&root, PT_PAGE_4K);
	EXPECT_UNMAPPED(&root, 2 * MiB);
	EXPECT_UNMAPPED(&root, GiB);
	EXPECT_UNMAPPED(&root, 512 * GiB);
	EXPECT_MAPPED(&root, 0, 0, PAGING_DEFAULT, PT_PAGE_4K);
}

/* ---- randomised comparison against a flat per-page model ------------------ */

#define MODEL_SPAN  (4 * GiB)
#define MODEL_PAGES (MODEL_SPAN / PT_PAGE_4K)

static uint64_t model_pa[MODEL_PAGES];
static uint64_t model_flags[MODEL_PAGES]; /* 0: unmapped */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t rng_granule(void)
{
	static const uint64_t sizes[] = { PT_PAGE_4K, PT_PAGE_2M, PT_PAGE_2M, PT_PAGE_1G };

	return sizes[rng() % 4];
}

static uint64_t rng_paging_flags(void)
{
	static const uint64_t optional[] = { PT_RW, PT_PWT, PT_PCD, PT_PAT4K, PT_G, PT_NX };
	uint64_t flags = PT_P;

	for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++)
		if (rng() & 1)
			flags |= optional[i];
	return flags;
}

/* Walks the whole span leaf by leaf: every page of a leaf must match the model. */
static void model_check_all(const struct pt_root *root)
{
	uint64_t va = 0;

	while (va < MODEL_SPAN) {
		uint64_t pa, flags, size;
		int ret = pt_lookup(root, va, &pa, &flags, &size);

		if (ret == -ENOENT) {
			assert_int_equal(model_flags[va / PT_PAGE_4K], 0);
			va += PT_PAGE_4K;
			continue;
		}
		assert_int_equal(ret, 0);
		assert_int_equal(va % size, 0);
		for (uint64_t off = 0; off < size; off += PT_PAGE_4K) {
			uint64_t i = (va + off) / PT_PAGE_4K;

			assert_int_equal(model_flags[i], flags);
			assert_int_equal(model_pa[i], pa + off);
		}
		va += size;
	}
}

static void model_check_page(const struct pt_root *root, uint64_t va)
{
	uint64_t i = va / PT_PAGE_4K, pa, flags;

	if (va >= MODEL_SPAN)
		return;
	if (model_flags[i] == 0) {
		EXPECT_UNMAPPED(root, va);
		return;
	}
	assert_int_equal(pt_lookup(root, va + 0x18, &pa, &flags, NULL), 0);
	assert_int_equal(pa, model_pa[i] + 0x18);
	assert_int_equal(flags, model_flags[i]);
}

static void test_random_against_model(void **state)
{
	struct pt_root root;

	(void)state;
	memset(model_pa, 0, sizeof(model_pa));
	memset(model_flags, 0, sizeof(model_flags));
	init_root(&root, &pt_format_ia32e);
	for (int op = 0; op < 400; op++) {
		uint64_t start_granule = rng_granule();
		uint64_t va = rng() % (MODEL_SPAN / start_granule) * start_granule;
		uint64_t size = (1 + rng() % 3) * rng_granule();
		uint64_t first = va / PT_PAGE_4K, count, pa, flags;
		unsigned int kind = (unsigned int)(rng() % 4);
		bool hole = false;

		/* Nudge some ranges off alignment so that edges cut leaves. */
		if (rng() % 4 == 0 && va >= PT_PAGE_4K) {
			va -= PT_PAGE_4K;
			first--;
		}
		if (size > MODEL_SPAN - va)
			size = MODEL_SPAN - va;
		count = size / PT_PAGE_4K;
		if (kind <= 1) {
			uint64_t pa_granule = rng_granule();

			pa = rng() % (64 * GiB / pa_granule) * pa_granule;
			flags = rng_paging_flags();
			assert_int_equal(
			    pt_map(&root, va, pa, size, flags, (unsigned int)(rng() % 4)), 0);
			for (uint64_t i = 0; i < count; i++) {
				model_pa[first + i] = pa + i * PT_PAGE_4K;
				model_flags[first + i] = flags;
			}
		} else if (kind == 2) {
			assert_int_equal(pt_unmap(&root, va, size), 0);
			memset(&model_flags[first], 0, count * sizeof(model_flags[0]));
		} else {
			flags = rng_paging_flags();
			for (uint64_t i = 0; i < count && !hole; i++)
				hole = model_flags[first + i] == 0;
			assert_int_equal(pt_protect(&root, va, size, flags), hole ? -ENOENT : 0);
			for (uint64_t i = 0; i < count && !hole; i++)
				model_flags[first + i] = flags;
		}
		model_check_page(&root, va - PT_PAGE_4K);
		model_check_page(&root, va);
		model_check_page(&root, va + size - PT_PAGE_4K);
		model_check_page(&root, va + size);
		for (int i = 0; i < 32; i++)
			model_check_page(&root, rng() % MODEL_PAGES * PT_PAGE_4K);
		if (op % 40 == 39)
			model_check_all(&root);
	}
	model_check_all(&root);
	/* Bounded by one PT per 2M of the span plus the upper levels. */
	assert_true(pt_pages_used(&root) <= 2 + 4 + MODEL_SPAN / PT_PAGE_2M);
}

#define PT_TEST(fn) cmocka_unit_test_setup_teardown(fn, pool_setup, pool_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PT_TEST(test_init),
		PT_TEST(test_bad_allocator),
		PT_TEST(test_identity_1g),
		PT_TEST(test_4k_only),
		PT_TEST(test_fallback_to_smaller_pages),
		PT_TEST(test_split_1g_by_protect),
		PT_TEST(test_protect_hole_changes_nothing),
		PT_TEST(test_unmap_middle_of_2m),
		PT_TEST(test_unmap_across_1g_leaves),
		PT_TEST(test_argument_errors),
		PT_TEST(test_enomem_keeps_earlier_mappings),
		PT_TEST(test_enomem_while_splitting),
		PT_TEST(test_ept_memory_types),
		PT_TEST(test_pat_bit_in_large_pages),
		PT_TEST(test_overwrite),
		PT_TEST(test_pages_used),
		PT_TEST(test_dirty_pool_pages),
		PT_TEST(test_random_against_model),
	};
	return cmocka_run_group_tests_name("pagetable", tests, NULL, NULL);
}
