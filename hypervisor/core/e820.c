/* SPDX-License-Identifier: BSD-3-Clause */
#include "core/e820.h"

#include <stddef.h>

#include "debug/log.h"
#include "lib/errno.h"

/*
 * The map is built by one sweep over every boundary of the input ranges, so
 * no scratch copy (and no sort of untrusted firmware data in place) is
 * needed. The sweep feeds a three-stage pipeline: merge equal neighbours,
 * trim RAM to pages, merge again (a trimmed partial page joins a reserved
 * neighbour). Inputs are at most a few hundred ranges, so the quadratic
 * boundary search costs nothing worth a sort.
 */

#define E820_HOLE 0u /* no firmware entry covers the address */

struct e820_run {
	uint64_t start, end;
	uint32_t type;
};

struct e820_builder {
	struct e820_run merged; /* stage 1: current run of equal type */
	bool has_merged;
	struct e820_run last; /* stage 3: the entry being extended */
	bool has_last;
	struct e820_entry *out;
	uint32_t max;
	uint32_t count; /* entries produced, also past max (for the message) */
};

/* Higher wins where entries overlap. */
static int e820_rank(uint32_t type)
{
	switch (type) {
	case E820_HOLE:
		return 0;
	case E820_TYPE_RAM:
		return 1;
	case E820_TYPE_ACPI:
		return 2;
	case E820_TYPE_NVS:
		return 3;
	case E820_TYPE_RESERVED:
		return 5;
	case E820_TYPE_BAD:
		return 6;
	default:
		return 4; /* unknown: treated as reserved by Linux, but keeps its value */
	}
}

static uint64_t e820_fw_end(const struct boot_mmap_entry *e)
{
	return e->length > UINT64_MAX - e->base ? UINT64_MAX : e->base + e->length;
}

static uint32_t e820_fw_type(const struct boot_mmap_entry *e)
{
	/* Multiboot2 says any other value is reserved; 0 would read as a hole here. */
	return e->type == E820_HOLE ? E820_TYPE_RESERVED : e->type;
}

static void e820_commit(struct e820_builder *b)
{
	if (!b->has_last)
		return;
	if (b->count < b->max) {
		b->out[b->count].addr = b->last.start;
		b->out[b->count].size = b->last.end - b->last.start;
		b->out[b->count].type = b->last.type;
	}
	b->count++;
	b->has_last = false;
}

/* Stage 3: merge touching entries of the same type, write finished ones out. */
static void e820_emit(struct e820_builder *b, uint64_t start, uint64_t end, uint32_t type)
{
	if (b->has_last && b->last.type == type && b->last.end == start) {
		b->last.end = end;
		return;
	}
	e820_commit(b);
	b->last = (struct e820_run){ .start = start, .end = end, .type = type };
	b->has_last = true;
}

/* Stage 2: whole pages of RAM only; the partial pages become reserved. */
static void e820_trim_ram(struct e820_builder *b, const struct e820_run *run)
{
	uint64_t first, last;

	if (run->type != E820_TYPE_RAM) {
		e820_emit(b, run->start, run->end, run->type);
		return;
	}
	last = run->end & ~(E820_PAGE_SIZE - 1);
	if (run->start > UINT64_MAX - (E820_PAGE_SIZE - 1)) {
		e820_emit(b, run->start, run->end, E820_TYPE_RESERVED);
		return;
	}
	first = (run->start + E820_PAGE_SIZE - 1) & ~(E820_PAGE_SIZE - 1);
	if (first >= last) {
		e820_emit(b, run->start, run->end, E820_TYPE_RESERVED);
		return;
	}
	if (run->start < first)
		e820_emit(b, run->start, first, E820_TYPE_RESERVED);
	e820_emit(b, first, last, E820_TYPE_RAM);
	if (last < run->end)
		e820_emit(b, last, run->end, E820_TYPE_RESERVED);
}

/* Stage 1: merge the sweep's elementary intervals into runs of one type. */
static void e820_add_interval(struct e820_builder *b, uint64_t start, uint64_t end, uint32_t type)
{
	if (b->has_merged && b->merged.type == type && b->merged.end == start) {
		b->merged.end = end;
		return;
	}
	if (b->has_merged)
		e820_trim_ram(b, &b->merged);
	b->has_merged = false;
	if (type == E820_HOLE)
		return;
	b->merged = (struct e820_run){ .start = start, .end = end, .type = type };
	b->has_merged = true;
}

/* Type of the address pos once overlaps are resolved and reserve ranges applied. */
static uint32_t e820_type_at(const struct boot_mmap_entry *fw, uint32_t fw_count,
			     const struct e820_range *reserve, uint32_t reserve_count, uint64_t pos)
{
	uint32_t type = E820_HOLE;

	for (uint32_t i = 0; i < fw_count; i++) {
		uint32_t t = e820_fw_type(&fw[i]);

		if (fw[i].length == 0 || pos < fw[i].base || pos >= e820_fw_end(&fw[i]))
			continue;
		if (e820_rank(t) > e820_rank(type) || (e820_rank(t) == e820_rank(type) && t > type))
			type = t;
	}
	for (uint32_t i = 0; i < reserve_count; i++) {
		if (pos >= reserve[i].start && pos < reserve[i].end &&
		    e820_rank(type) < e820_rank(E820_TYPE_RESERVED))
			type = E820_TYPE_RESERVED;
	}
	return type;
}

static void e820_consider(uint64_t point, uint64_t pos, bool *found, uint64_t *next)
{
	if (point > pos && (!*found || point < *next)) {
		*next = point;
		*found = true;
	}
}

/* The smallest range boundary above pos; false when pos is past them all. */
static bool e820_next_boundary(const struct boot_mmap_entry *fw, uint32_t fw_count,
			       const struct e820_range *reserve, uint32_t reserve_count,
			       uint64_t pos, uint64_t *next)
{
	bool found = false;

	for (uint32_t i = 0; i < fw_count; i++) {
		if (fw[i].length == 0)
			continue;
		e820_consider(fw[i].base, pos, &found, next);
		e820_consider(e820_fw_end(&fw[i]), pos, &found, next);
	}
	for (uint32_t i = 0; i < reserve_count; i++) {
		if (reserve[i].end <= reserve[i].start)
			continue;
		e820_consider(reserve[i].start, pos, &found, next);
		e820_consider(reserve[i].end, pos, &found, next);
	}
	return found;
}

static bool e820_lowest_start(const struct boot_mmap_entry *fw, uint32_t fw_count,
			      const struct e820_range *reserve, uint32_t reserve_count,
			      uint64_t *lowest)
{
	bool found = false;

	for (uint32_t i = 0; i < fw_count; i++) {
		if (fw[i].length != 0 && (!found || fw[i].base < *lowest)) {
			*lowest = fw[i].base;
			found = true;
		}
	}
	for (uint32_t i = 0; i < reserve_count; i++) {
		if (reserve[i].end > reserve[i].start && (!found || reserve[i].start < *lowest)) {
			*lowest = reserve[i].start;
			found = true;
		}
	}
	return found;
}

static int e820_check_inputs(const struct boot_mmap_entry *fw, uint32_t fw_count,
			     const struct e820_range *reserve, uint32_t reserve_count)
{
	for (uint32_t i = 0; i < reserve_count; i++) {
		if (reserve[i].end < reserve[i].start) {
			pr_err("e820: hypervisor range %u [%#llx, %#llx) ends before it starts", i,
			       (unsigned long long)reserve[i].start,
			       (unsigned long long)reserve[i].end);
			return -EINVAL;
		}
	}
	for (uint32_t i = 0; i < fw_count; i++) {
		/* Ending exactly at 2^64 is fine: only that unrepresentable byte is lost. */
		if (fw[i].length != 0 && fw[i].length - 1 > UINT64_MAX - fw[i].base)
			pr_warn("e820: firmware entry %u [%#llx, +%#llx) runs past 2^64; cut at "
				"2^64-1",
				i, (unsigned long long)fw[i].base,
				(unsigned long long)fw[i].length);
	}
	return 0;
}

int e820_build(const struct boot_mmap_entry *fw, uint32_t fw_count,
	       const struct e820_range *reserve, uint32_t reserve_count, struct e820_entry *out,
	       uint32_t max, uint32_t *out_count)
{
	struct e820_builder b = { .out = out, .max = max };
	uint64_t pos = 0, next = 0; /* set by the helpers; zeroed for the optimiser */
	int ret;

	if ((!fw && fw_count) || (!reserve && reserve_count) || !out || max == 0 || !out_count) {
		pr_err("e820: bad arguments to e820_build (fw %p/%u, reserve %p/%u, out %p/%u)",
		       (const void *)fw, fw_count, (const void *)reserve, reserve_count,
		       (void *)out, max);
		return -EINVAL;
	}
	*out_count = 0;
	ret = e820_check_inputs(fw, fw_count, reserve, reserve_count);
	if (ret)
		return ret;
	if (e820_lowest_start(fw, fw_count, reserve, reserve_count, &pos)) {
		while (e820_next_boundary(fw, fw_count, reserve, reserve_count, pos, &next)) {
			uint32_t type = e820_type_at(fw, fw_count, reserve, reserve_count, pos);

			e820_add_interval(&b, pos, next, type);
			pos = next;
		}
	}
	e820_add_interval(&b, 0, 0, E820_HOLE); /* flushes stage 1 */
	e820_commit(&b);
	if (b.count > max) {
		pr_err("e820: the Service VM memory map needs %u entries, only %u fit", b.count,
		       max);
		*out_count = max;
		return -ENOSPC;
	}
	*out_count = b.count;
	if (e820_ram_total(out, b.count) == 0)
		pr_warn("e820: no RAM is left for the Service VM");
	return 0;
}

uint64_t e820_ram_total(const struct e820_entry *map, uint32_t count)
{
	uint64_t total = 0;

	if (!map)
		return 0;
	for (uint32_t i = 0; i < count; i++) {
		if (map[i].type != E820_TYPE_RAM)
			continue;
		if (map[i].size > UINT64_MAX - total)
			return UINT64_MAX;
		total += map[i].size;
	}
	return total;
}

static uint64_t e820_entry_end(const struct e820_entry *e)
{
	return e->size > UINT64_MAX - e->addr ? UINT64_MAX : e->addr + e->size;
}

bool e820_is_ram(const struct e820_entry *map, uint32_t count, uint64_t start, uint64_t end)
{
	uint64_t pos = start;

	if (!map || end <= start)
		return false;
	/* Each round moves pos to the end of a different entry: at most count rounds. */
	for (uint32_t round = 0; round <= count; round++) {
		bool advanced = false;

		for (uint32_t i = 0; i < count; i++) {
			uint64_t e_end = e820_entry_end(&map[i]);

			if (map[i].type == E820_TYPE_RAM && map[i].addr <= pos && pos < e_end) {
				pos = e_end;
				advanced = true;
				break;
			}
		}
		if (!advanced)
			return false;
		if (pos >= end)
			return true;
	}
	return false;
}

/* The first avoid range overlapping [a, a + size), or NULL. a + size must not wrap. */
static const struct e820_range *e820_find_overlap(const struct e820_range *avoid,
						  uint32_t avoid_count, uint64_t a, uint64_t size)
{
	for (uint32_t i = 0; i < avoid_count; i++) {
		if (avoid[i].end > avoid[i].start && avoid[i].start < a + size && a < avoid[i].end)
			return &avoid[i];
	}
	return NULL;
}

/*
 * Highest aligned block in [lo, hi). Every retry ends the block below the
 * start of an avoid range it hit, so each range is hit at most once.
 */
static bool e820_fit_highest(uint64_t lo, uint64_t hi, uint64_t size, uint64_t align,
			     const struct e820_range *avoid, uint32_t avoid_count, uint64_t *found)
{
	for (;;) {
		const struct e820_range *hit;
		uint64_t a;

		if (hi <= lo || hi - lo < size)
			return false;
		a = (hi - size) & ~(align - 1);
		if (a < lo)
			return false;
		hit = e820_find_overlap(avoid, avoid_count, a, size);
		if (!hit) {
			*found = a;
			return true;
		}
		hi = hit->start;
	}
}

/* Lowest aligned block in [lo, hi); each retry starts past the range it hit. */
static bool e820_fit_lowest(uint64_t lo, uint64_t hi, uint64_t size, uint64_t align,
			    const struct e820_range *avoid, uint32_t avoid_count, uint64_t *found)
{
	uint64_t a = lo;

	for (;;) {
		const struct e820_range *hit;

		if (a > UINT64_MAX - (align - 1))
			return false;
		a = (a + align - 1) & ~(align - 1);
		if (a >= hi || hi - a < size)
			return false;
		hit = e820_find_overlap(avoid, avoid_count, a, size);
		if (!hit) {
			*found = a;
			return true;
		}
		a = hit->end;
	}
}

int e820_find_free(const struct e820_entry *map, uint32_t count, uint64_t size, uint64_t align,
		   uint64_t min, uint64_t max, bool highest, const struct e820_range *avoid,
		   uint32_t avoid_count, uint64_t *found)
{
	bool have = false;
	uint64_t best = 0;

	if (!map || !found || (!avoid && avoid_count) || size == 0 || align == 0 ||
	    (align & (align - 1)) != 0 || min >= max) {
		pr_err("e820: bad request for free RAM: size %#llx, alignment %#llx, range "
		       "[%#llx, %#llx)",
		       (unsigned long long)size, (unsigned long long)align, (unsigned long long)min,
		       (unsigned long long)max);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < count; i++) {
		uint64_t lo, hi, a;

		if (map[i].type != E820_TYPE_RAM)
			continue;
		lo = map[i].addr > min ? map[i].addr : min;
		hi = e820_entry_end(&map[i]) < max ? e820_entry_end(&map[i]) : max;
		if (highest) {
			if (e820_fit_highest(lo, hi, size, align, avoid, avoid_count, &a) &&
			    (!have || a > best)) {
				best = a;
				have = true;
			}
		} else if (e820_fit_lowest(lo, hi, size, align, avoid, avoid_count, &a) &&
			   (!have || a < best)) {
			best = a;
			have = true;
		}
	}
	if (!have)
		return -ENOMEM;
	*found = best;
	return 0;
}

void e820_log(const char *title, const struct e820_entry *map, uint32_t count)
{
	if (!map)
		return;
	pr_info("%s: %u entries, %llu KiB RAM", title ? title : "e820", count,
		(unsigned long long)(e820_ram_total(map, count) >> 10));
	for (uint32_t i = 0; i < count; i++)
		pr_info("  [%#018llx, %#018llx) %s", (unsigned long long)map[i].addr,
			(unsigned long long)e820_entry_end(&map[i]),
			boot_mem_type_name(map[i].type));
}
