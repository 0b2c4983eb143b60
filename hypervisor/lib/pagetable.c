/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * 4-level page-table builder shared by IA-32e paging and EPT. Levels are
 * numbered 4 (PML4, 512 GiB per entry) down to 1 (PT, 4 KiB per entry);
 * leaves may sit at level 3 (1 GiB) and 2 (2 MiB) when marked with PS.
 *
 * The tables may be live (in use by this or another CPU) while edited, so
 * every change keeps the tree valid at each single 64-bit store: a new
 * table is filled completely before the entry pointing to it is written,
 * and a large leaf is split by linking a table that maps the same range.
 */
#include "lib/pagetable.h"

#include <stdbool.h>

#include "debug/log.h"
#include "lib/errno.h"
#include "lib/string.h"

#define PT_ENTRIES   512u
#define PT_TOP_LEVEL 4u
#define PT_VA_LIMIT  (1ull << 48)
#define PT_PA_LIMIT  (1ull << 52)

const struct pt_format pt_format_ia32e = {
	.present_mask = PT_P,
	.table_flags = PT_P | PT_RW,
	.large_bit = PT_PS,
	.addr_mask = PT_ADDR_MASK,
	.large_pat_bit = PT_PAT_LARGE,
};

const struct pt_format pt_format_ept = {
	.present_mask = EPT_R | EPT_W | EPT_X,
	.table_flags = EPT_R | EPT_W | EPT_X,
	.large_bit = PT_PS,
	.addr_mask = PT_ADDR_MASK,
	.large_pat_bit = 0,
};

enum pt_op_kind {
	PT_OP_MAP,
	PT_OP_UNMAP,
	PT_OP_PROTECT,
	PT_OP_CHECK, /* read only: fails with -ENOENT at the first unmapped page */
};

/* What one range walk does to the leaves it reaches. */
struct pt_op {
	enum pt_op_kind kind;
	uint64_t va;	    /* start of the whole range: pa advances with va from here */
	uint64_t pa;	    /* PT_OP_MAP only */
	uint64_t flags;	    /* PT_OP_MAP and PT_OP_PROTECT, 4K layout */
	unsigned int allow; /* PT_OP_MAP only */
	uint64_t missing;   /* PT_OP_CHECK: first unmapped address found */
};

static uint64_t pt_level_size(unsigned int level)
{
	return PT_PAGE_4K << (9u * (level - 1u));
}

static unsigned int pt_index(uint64_t va, unsigned int level)
{
	return (unsigned int)(va >> (12u + 9u * (level - 1u))) & (PT_ENTRIES - 1u);
}

static bool pt_present(const struct pt_format *fmt, uint64_t e)
{
	return (e & fmt->present_mask) != 0;
}

/* Bit 7 means PS only at levels 2 and 3; in a level-1 entry it is PAT (paging). */
static bool pt_is_leaf(const struct pt_format *fmt, unsigned int level, uint64_t e)
{
	return level == 1u || ((level == 2u || level == 3u) && (e & fmt->large_bit) != 0);
}

static bool pt_is_table(const struct pt_format *fmt, unsigned int level, uint64_t e)
{
	return pt_present(fmt, e) && !pt_is_leaf(fmt, level, e);
}

/*
 * Single volatile store: the compiler may neither tear it nor move it, and
 * the barrier keeps the plain stores that filled a new table before it.
 * x86 stores are not reordered with each other, so a concurrent page walk
 * sees either the old or the new entry, never a half-built table.
 */
static void pt_set_entry(uint64_t *entry, uint64_t value)
{
	__asm__ __volatile__("" ::: "memory");
	*(volatile uint64_t *)entry = value;
}

/* Builds a leaf for `level` from a 4K-layout flag set. */
static uint64_t pt_leaf_encode(const struct pt_format *fmt, unsigned int level, uint64_t pa,
			       uint64_t flags)
{
	uint64_t e;

	if (level == 1u)
		return pa | flags;
	/* In a large leaf bit 7 is PS, so the 4K PAT bit moves to its large-page slot. */
	e = pa | (flags & ~fmt->large_bit) | fmt->large_bit;
	if (fmt->large_pat_bit != 0 && (flags & fmt->large_bit) != 0)
		e |= fmt->large_pat_bit;
	return e;
}

/* Inverse of pt_leaf_encode: physical base of the leaf and its 4K-layout flags. */
static void pt_leaf_decode(const struct pt_format *fmt, unsigned int level, uint64_t e,
			   uint64_t *pa, uint64_t *flags)
{
	uint64_t f = e & ~fmt->addr_mask;

	if (level == 1u) {
		*pa = e & fmt->addr_mask;
		*flags = f;
		return;
	}
	/* The large-page PAT bit lies inside addr_mask; the size alignment drops it from pa. */
	*pa = e & fmt->addr_mask & ~(pt_level_size(level) - 1u);
	f &= ~fmt->large_bit;
	if (fmt->large_pat_bit != 0 && (e & fmt->large_pat_bit) != 0)
		f |= fmt->large_bit;
	*flags = f;
}

static uint64_t *pt_table_at(const struct pt_root *root, uint64_t phys)
{
	uint64_t *table = root->mem->phys_to_virt(root->mem->ctx, phys);

	if (table == NULL)
		pr_err("pagetable: no virtual address for table at %#llx",
		       (unsigned long long)phys);
	return table;
}

/* Takes a page from the caller's pool and clears it (cheap insurance against a dirty pool). */
static int pt_alloc_table(struct pt_root *root, uint64_t **table, uint64_t *phys)
{
	const struct pt_memory *mem = root->mem;
	void *page = mem->alloc_page(mem->ctx, phys);

	if (page == NULL) {
		pr_err("pagetable: out of page-table pages (%llu in use)",
		       (unsigned long long)root->pages_used);
		return -ENOMEM;
	}
	root->pages_used++;
	if (((uintptr_t)page & (PT_PAGE_4K - 1u)) != 0 || (*phys & ~root->fmt->addr_mask) != 0) {
		pr_err("pagetable: allocator returned a bad page %p at %#llx", page,
		       (unsigned long long)*phys);
		return -EFAULT;
	}
	memset(page, 0, PT_PAGE_4K);
	*table = page;
	return 0;
}

/*
 * Replaces the large leaf *entry at `level` by a table of the next level
 * that maps the same range with the same flags, so the translation does
 * not change. On failure the leaf is untouched.
 */
static int pt_split(struct pt_root *root, uint64_t *entry, unsigned int level)
{
	const struct pt_format *fmt = root->fmt;
	uint64_t child_size = pt_level_size(level - 1u);
	uint64_t *table, phys, pa, flags;
	int ret;

	ret = pt_alloc_table(root, &table, &phys);
	if (ret != 0)
		return ret;
	pt_leaf_decode(fmt, level, *entry, &pa, &flags);
	for (unsigned int i = 0; i < PT_ENTRIES; i++)
		table[i] = pt_leaf_encode(fmt, level - 1u, pa + i * child_size, flags);
	pt_set_entry(entry, phys | fmt->table_flags);
	return 0;
}

/*
 * Returns the table *entry (at `level` > 1) points to, creating an empty
 * one when the entry is not present and splitting a large leaf.
 */
static int pt_child_table(struct pt_root *root, uint64_t *entry, unsigned int level,
			  uint64_t **child)
{
	const struct pt_format *fmt = root->fmt;
	uint64_t e = *entry;
	int ret;

	if (!pt_present(fmt, e)) {
		uint64_t phys;

		ret = pt_alloc_table(root, child, &phys);
		if (ret != 0)
			return ret;
		pt_set_entry(entry, phys | fmt->table_flags);
		return 0;
	}
	if (pt_is_leaf(fmt, level, e)) {
		ret = pt_split(root, entry, level);
		if (ret != 0)
			return ret;
	}
	*child = pt_table_at(root, *entry & fmt->addr_mask);
	return *child != NULL ? 0 : -EFAULT;
}

/* Whether pt_map may put a leaf covering [va, va+level size) at this level. */
static bool pt_large_fits(const struct pt_op *op, unsigned int level, uint64_t va, uint64_t pa,
			  uint64_t end)
{
	uint64_t size = pt_level_size(level);

	if (level == 2u && (op->allow & PT_ALLOW_2M) == 0)
		return false;
	if (level == 3u && (op->allow & PT_ALLOW_1G) == 0)
		return false;
	if (level > 3u)
		return false;
	return ((va | pa) & (size - 1u)) == 0 && end - va >= size;
}

/* Applies op to [va, end), which lies inside the range covered by `table` at `level`. */
static int pt_walk(struct pt_root *root, struct pt_op *op, uint64_t *table, unsigned int level,
		   uint64_t va, uint64_t end)
{
	const struct pt_format *fmt = root->fmt;
	uint64_t size = pt_level_size(level);
	uint64_t *child;
	int ret;

	while (va < end) {
		uint64_t *entry = &table[pt_index(va, level)];
		uint64_t next = (va & ~(size - 1u)) + size; /* <= 2^48: cannot wrap */
		uint64_t stop = next < end ? next : end;
		bool whole = (va & (size - 1u)) == 0 && stop == next;
		uint64_t e = *entry;

		if (op->kind == PT_OP_MAP) {
			uint64_t pa = op->pa + (va - op->va);

			/*
			 * An existing lower table is filled in rather than replaced
			 * by a leaf: replacing it would orphan its pages.
			 */
			if (level == 1u || (!pt_is_table(fmt, level, e) &&
					    pt_large_fits(op, level, va, pa, end))) {
				pt_set_entry(entry, pt_leaf_encode(fmt, level, pa, op->flags));
				va = stop;
				continue;
			}
		} else if (!pt_present(fmt, e)) {
			if (op->kind == PT_OP_CHECK) {
				op->missing = va;
				return -ENOENT;
			}
			va = stop;
			continue;
		} else if (pt_is_leaf(fmt, level, e) && (whole || op->kind == PT_OP_CHECK)) {
			if (op->kind == PT_OP_UNMAP) {
				pt_set_entry(entry, 0);
			} else if (op->kind == PT_OP_PROTECT) {
				uint64_t pa, old_flags;

				pt_leaf_decode(fmt, level, e, &pa, &old_flags);
				pt_set_entry(entry, pt_leaf_encode(fmt, level, pa, op->flags));
			}
			va = stop;
			continue;
		}
		/*
		 * Descend. For unmap and protect the range edges were split
		 * beforehand, so only pt_map gets here with a leaf to split.
		 */
		ret = pt_child_table(root, entry, level, &child);
		if (ret != 0)
			return ret;
		ret = pt_walk(root, op, child, level - 1u, va, stop);
		if (ret != 0)
			return ret;
		va = stop;
	}
	return 0;
}

/*
 * Splits large leaves containing addr (but not starting at it) until no
 * leaf straddles addr. The translation is unchanged, so this is safe to do
 * before an operation that must not be left half done.
 */
static int pt_split_at(struct pt_root *root, uint64_t addr)
{
	const struct pt_format *fmt = root->fmt;
	uint64_t *table = pt_table_at(root, root->root_phys);
	int ret;

	for (unsigned int level = PT_TOP_LEVEL; level > 1u; level--) {
		uint64_t *entry;

		if (table == NULL)
			return -EFAULT;
		if ((addr & (pt_level_size(level) - 1u)) == 0)
			return 0;
		entry = &table[pt_index(addr, level)];
		if (!pt_present(fmt, *entry))
			return 0;
		ret = pt_child_table(root, entry, level, &table);
		if (ret != 0)
			return ret;
	}
	return 0;
}

static bool pt_root_ready(const struct pt_root *root, const char *what)
{
	if (root == NULL || root->fmt == NULL || root->mem == NULL) {
		pr_err("pagetable: %s on an uninitialised root", what);
		return false;
	}
	return true;
}

static int pt_check_range(const char *what, uint64_t va, uint64_t size)
{
	if (((va | size) & (PT_PAGE_4K - 1u)) != 0 || size == 0) {
		pr_err("pagetable: %s va %#llx size %#llx: not 4 KiB aligned or empty", what,
		       (unsigned long long)va, (unsigned long long)size);
		return -EINVAL;
	}
	/* Written as a subtraction so that a wrapping va + size is caught too. */
	if (size > PT_VA_LIMIT || va > PT_VA_LIMIT - size) {
		pr_err("pagetable: %s va %#llx size %#llx: beyond the 48-bit address space", what,
		       (unsigned long long)va, (unsigned long long)size);
		return -EINVAL;
	}
	return 0;
}

static int pt_check_flags(const struct pt_format *fmt, const char *what, uint64_t flags)
{
	uint64_t builder_bits = fmt->addr_mask | (fmt->large_pat_bit == 0 ? fmt->large_bit : 0);

	/* The builder owns address bits and PS; a leaf with no access bits would be a hole. */
	if ((flags & builder_bits) != 0 || !pt_present(fmt, flags)) {
		pr_err("pagetable: %s flags %#llx: not present or with address/size bits", what,
		       (unsigned long long)flags);
		return -EINVAL;
	}
	return 0;
}

static int pt_walk_root(struct pt_root *root, struct pt_op *op, uint64_t va, uint64_t end)
{
	uint64_t *top = pt_table_at(root, root->root_phys);

	if (top == NULL)
		return -EFAULT;
	return pt_walk(root, op, top, PT_TOP_LEVEL, va, end);
}

int pt_init(struct pt_root *root, const struct pt_format *fmt, const struct pt_memory *mem)
{
	uint64_t *table, phys;
	int ret;

	if (root == NULL)
		return -EINVAL;
	root->fmt = NULL;
	root->mem = mem;
	root->root_phys = 0;
	root->pages_used = 0;
	if (fmt == NULL || mem == NULL || mem->alloc_page == NULL || mem->phys_to_virt == NULL) {
		pr_err("pagetable: init without a format or page allocator");
		return -EINVAL;
	}
	/* pt_alloc_table reads the format for its sanity check. */
	root->fmt = fmt;
	ret = pt_alloc_table(root, &table, &phys);
	if (ret != 0) {
		root->fmt = NULL;
		return ret;
	}
	root->root_phys = phys;
	return 0;
}

int pt_map(struct pt_root *root, uint64_t va, uint64_t pa, uint64_t size, uint64_t flags,
	   unsigned int allow)
{
	struct pt_op op = { .kind = PT_OP_MAP, .va = va, .pa = pa, .flags = flags, .allow = allow };
	int ret;

	if (!pt_root_ready(root, "map"))
		return -EINVAL;
	ret = pt_check_range("map", va, size);
	if (ret != 0)
		return ret;
	if ((pa & (PT_PAGE_4K - 1u)) != 0 || pa > PT_PA_LIMIT - size) {
		pr_err("pagetable: map pa %#llx size %#llx: unaligned or beyond 52 bits",
		       (unsigned long long)pa, (unsigned long long)size);
		return -EINVAL;
	}
	if ((allow & ~(PT_ALLOW_2M | PT_ALLOW_1G)) != 0) {
		pr_err("pagetable: map with unknown page sizes %#x", allow);
		return -EINVAL;
	}
	ret = pt_check_flags(root->fmt, "map", flags);
	if (ret != 0)
		return ret;
	return pt_walk_root(root, &op, va, va + size);
}

/* Splits the leaves straddling either edge, so the following walk needs no pages. */
static int pt_split_edges(struct pt_root *root, uint64_t va, uint64_t end)
{
	int ret = pt_split_at(root, va);

	return ret != 0 ? ret : pt_split_at(root, end);
}

int pt_unmap(struct pt_root *root, uint64_t va, uint64_t size)
{
	struct pt_op op = { .kind = PT_OP_UNMAP, .va = va };
	int ret;

	if (!pt_root_ready(root, "unmap"))
		return -EINVAL;
	ret = pt_check_range("unmap", va, size);
	if (ret != 0)
		return ret;
	ret = pt_split_edges(root, va, va + size);
	if (ret != 0)
		return ret;
	return pt_walk_root(root, &op, va, va + size);
}

int pt_protect(struct pt_root *root, uint64_t va, uint64_t size, uint64_t flags)
{
	struct pt_op op = { .kind = PT_OP_CHECK, .va = va };
	int ret;

	if (!pt_root_ready(root, "protect"))
		return -EINVAL;
	ret = pt_check_range("protect", va, size);
	if (ret != 0)
		return ret;
	ret = pt_check_flags(root->fmt, "protect", flags);
	if (ret != 0)
		return ret;
	/* Check first so that a hole leaves every flag as it was. */
	ret = pt_walk_root(root, &op, va, va + size);
	if (ret == -ENOENT)
		pr_err("pagetable: protect va %#llx size %#llx: %#llx is not mapped",
		       (unsigned long long)va, (unsigned long long)size,
		       (unsigned long long)op.missing);
	if (ret != 0)
		return ret;
	ret = pt_split_edges(root, va, va + size);
	if (ret != 0)
		return ret;
	op.kind = PT_OP_PROTECT;
	op.flags = flags;
	return pt_walk_root(root, &op, va, va + size);
}

int pt_lookup(const struct pt_root *root, uint64_t va, uint64_t *pa, uint64_t *flags,
	      uint64_t *page_size)
{
	const struct pt_format *fmt;
	uint64_t *table;

	if (!pt_root_ready(root, "lookup"))
		return -EINVAL;
	if (va >= PT_VA_LIMIT) {
		pr_err("pagetable: lookup va %#llx: beyond the 48-bit address space",
		       (unsigned long long)va);
		return -EINVAL;
	}
	fmt = root->fmt;
	table = pt_table_at(root, root->root_phys);
	for (unsigned int level = PT_TOP_LEVEL; level >= 1u; level--) {
		uint64_t e, base, leaf_flags, size = pt_level_size(level);

		if (table == NULL)
			return -EFAULT;
		e = table[pt_index(va, level)];
		if (!pt_present(fmt, e))
			return -ENOENT;
		if (!pt_is_leaf(fmt, level, e)) {
			table = pt_table_at(root, e & fmt->addr_mask);
			continue;
		}
		pt_leaf_decode(fmt, level, e, &base, &leaf_flags);
		if (pa != NULL)
			*pa = base + (va & (size - 1u));
		if (flags != NULL)
			*flags = leaf_flags;
		if (page_size != NULL)
			*page_size = size;
		return 0;
	}
	/* Unreachable: level 1 entries are always leaves. */
	return -ENOENT;
}

uint64_t pt_pages_used(const struct pt_root *root)
{
	return root != NULL ? root->pages_used : 0;
}
