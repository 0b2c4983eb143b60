/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Builder for 4-level x86 page tables: the hypervisor's own IA-32e tables
 * and, with a different entry format, EPT. Plain logic only: the tables
 * are edited in memory and no privileged instruction is executed, so the
 * caller reloads CR3 / invalidates TLBs (or EPT caches) after changes.
 *
 * Table pages come from a caller-supplied allocator and are never freed:
 * tables emptied by pt_unmap stay linked and are reused by later maps.
 */
#ifndef HV_LIB_PAGETABLE_H
#define HV_LIB_PAGETABLE_H

#include <stddef.h>
#include <stdint.h>

/* How entries of one kind of table look (IA-32e paging or EPT). */
struct pt_format {
	/* An entry is present when (e & present_mask) != 0: paging bit 0, EPT bits 0-2. */
	uint64_t present_mask;
	/* Flags of non-leaf entries: paging P|RW, EPT R|W|X. */
	uint64_t table_flags;
	/* Bit 7 (PS) in both formats: marks 2M/1G leaves. */
	uint64_t large_bit;
	/* Physical-address bits of an entry. */
	uint64_t addr_mask;
	/* Paging: the PAT bit is bit 7 in a 4K leaf but bit 12 in large leaves. 0 for EPT. */
	uint64_t large_pat_bit;
};

extern const struct pt_format pt_format_ia32e;
extern const struct pt_format pt_format_ept;

/* Page-table pages come from the caller: a static pool in the hypervisor, malloc in tests. */
struct pt_memory {
	/* Returns a zeroed, 4 KiB aligned page and its physical address, or NULL when empty. */
	void *(*alloc_page)(void *ctx, uint64_t *phys);
	void *(*phys_to_virt)(void *ctx, uint64_t phys);
	void *ctx;
};

struct pt_root {
	const struct pt_format *fmt; /* NULL until pt_init succeeded */
	const struct pt_memory *mem;
	uint64_t root_phys;  /* physical address of the top-level table (for CR3 / EPTP) */
	uint64_t pages_used; /* table pages allocated through this root, the root included */
};

#define PT_PAGE_4K 0x1000ull
#define PT_PAGE_2M 0x200000ull
#define PT_PAGE_1G 0x40000000ull

/* Page sizes pt_map may use besides 4 KiB. */
#define PT_ALLOW_2M 1u
#define PT_ALLOW_1G 2u

#define PT_ADDR_MASK 0x000ffffffffff000ull

/* IA-32e flag bits (4K-leaf layout; pt_map/pt_lookup convert for large leaves). */
#define PT_P	     (1ull << 0)
#define PT_RW	     (1ull << 1)
#define PT_US	     (1ull << 2)
#define PT_PWT	     (1ull << 3)
#define PT_PCD	     (1ull << 4)
#define PT_A	     (1ull << 5)
#define PT_D	     (1ull << 6)
#define PT_PAT4K     (1ull << 7)
#define PT_PS	     (1ull << 7) /* in non-4K entries; set by the builder only */
#define PT_G	     (1ull << 8)
#define PT_PAT_LARGE (1ull << 12) /* PAT position in 2M/1G leaves; set by the builder only */
#define PT_NX	     (1ull << 63)

/* EPT flag bits. The memory type is (EPT_MT_xx << EPT_MT_SHIFT). */
#define EPT_R	       1ull
#define EPT_W	       2ull
#define EPT_X	       4ull
#define EPT_MT_SHIFT   3
#define EPT_MT_UC      0ull
#define EPT_MT_WC      1ull
#define EPT_MT_WT      4ull
#define EPT_MT_WP      5ull
#define EPT_MT_WB      6ull
#define EPT_IGNORE_PAT (1ull << 6)

/* Allocates the top-level table. 0, -EINVAL (bad arguments) or -ENOMEM. */
int pt_init(struct pt_root *root, const struct pt_format *fmt, const struct pt_memory *mem);

/*
 * Maps [va, va+size) to [pa, pa+size) with leaf flags given in the 4K layout
 * (paging: P|RW|NX|PCD|PAT4K...; EPT: R|W|X|memory type). va, pa and size
 * must be 4 KiB aligned, size > 0, va+size <= 2^48, pa+size <= 2^52 (lower
 * half only: no canonical sign extension). flags must make the entry present
 * and must not contain address bits (nor bit 7 for EPT); else -EINVAL.
 * Uses the largest page size allowed by `allow` that the alignment of va, pa
 * and the remaining size permit. Existing mappings are overwritten; a large
 * leaf only partly covered is split first, keeping the rest of its mapping.
 * Existing lower-level tables are kept (filled in), never replaced by a leaf.
 * -ENOMEM when the pool runs dry: what was mapped so far stays valid.
 */
int pt_map(struct pt_root *root, uint64_t va, uint64_t pa, uint64_t size, uint64_t flags,
	   unsigned int allow);

/*
 * Removes the mappings in [va, va+size); unmapped holes are fine. Large
 * leaves crossing the edges are split first, so -ENOMEM (from splitting)
 * means nothing was unmapped. Same argument rules as pt_map.
 */
int pt_unmap(struct pt_root *root, uint64_t va, uint64_t size);

/*
 * Replaces the leaf flags (not the addresses) in [va, va+size). -ENOENT,
 * with nothing changed, when any part of the range is unmapped; -ENOMEM,
 * with no flag changed, when splitting an edge leaf runs out of pages.
 */
int pt_protect(struct pt_root *root, uint64_t va, uint64_t size, uint64_t flags);

/*
 * Translates va: 0 with *pa (including the offset in the page), *flags
 * (4K layout, as pt_map takes them) and *page_size; any output may be NULL.
 * -ENOENT when not mapped, -EINVAL when va >= 2^48.
 */
int pt_lookup(const struct pt_root *root, uint64_t va, uint64_t *pa, uint64_t *flags,
	      uint64_t *page_size);

/* Number of page-table pages allocated so far through this root. */
uint64_t pt_pages_used(const struct pt_root *root);

#endif
