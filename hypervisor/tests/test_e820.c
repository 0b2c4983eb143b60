/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Service VM e820 builder. Inputs and outputs live in exactly-sized heap
 * arrays so that ASan catches a read or write one entry too far; a random
 * test compares the builder with a cell-by-cell model of the rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/e820.h"
#include "debug/log.h"
#include "lib/errno.h"
#include "tests/log_capture.h"

#define RAM  E820_TYPE_RAM
#define RSV  E820_TYPE_RESERVED
#define ACPI E820_TYPE_ACPI
#define NVS  E820_TYPE_NVS
#define BAD  E820_TYPE_BAD

static void expect_msg(const char *text)
{
	if (!log_capture_contains(text)) {
		log_capture_dump();
		fail_msg("missing message '%s'", text);
	}
}

static struct boot_mmap_entry *fw_copy(const struct boot_mmap_entry *src, uint32_t n)
{
	struct boot_mmap_entry *p = malloc(n ? n * sizeof(*p) : 1);

	assert_non_null(p);
	if (n)
		memcpy(p, src, n * sizeof(*p));
	return p;
}

/*
 * Runs e820_build on heap copies with an output array of exactly max
 * entries and returns the result; *map (freed by the caller) holds it.
 */
static int build(const struct boot_mmap_entry *fw, uint32_t fw_count, const struct e820_range *rsv,
		 uint32_t rsv_count, uint32_t max, struct e820_entry **map, uint32_t *count)
{
	struct boot_mmap_entry *fw_heap = fw_copy(fw, fw_count);
	struct e820_range *rsv_heap = malloc(rsv_count ? rsv_count * sizeof(*rsv_heap) : 1);
	int ret;

	assert_non_null(rsv_heap);
	if (rsv_count)
		memcpy(rsv_heap, rsv, rsv_count * sizeof(*rsv_heap));
	*map = malloc(max * sizeof(**map));
	assert_non_null(*map);
	log_capture_reset();
	*count = 0xdead;
	ret = e820_build(fw_heap, fw_count, rsv_heap, rsv_count, *map, max, count);
	free(fw_heap);
	free(rsv_heap);
	return ret;
}

static void expect_map(const struct e820_entry *map, uint32_t count, const struct e820_entry *want,
		       uint32_t want_count)
{
	if (count != want_count) {
		for (uint32_t i = 0; i < count; i++)
			fprintf(stderr, "  got [%#llx, +%#llx) type %u\n",
				(unsigned long long)map[i].addr, (unsigned long long)map[i].size,
				map[i].type);
		fail_msg("got %u entries, want %u", count, want_count);
	}
	for (uint32_t i = 0; i < count; i++) {
		if (map[i].addr != want[i].addr || map[i].size != want[i].size ||
		    map[i].type != want[i].type)
			fail_msg("entry %u: got [%#llx, +%#llx) type %u, want [%#llx, +%#llx) "
				 "type %u",
				 i, (unsigned long long)map[i].addr,
				 (unsigned long long)map[i].size, map[i].type,
				 (unsigned long long)want[i].addr, (unsigned long long)want[i].size,
				 want[i].type);
	}
}

#define N(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

static void test_typical_pc(void **state)
{
	/* A BIOS map as SeaBIOS gives it, deliberately out of order. */
	static const struct boot_mmap_entry fw[] = {
		{ 0x100000000, 0x80000000, RAM },
		{ 0x100000, 0x7ee0000, RAM },
		{ 0x0, 0x9fc00, RAM },
		{ 0x9fc00, 0x400, RSV },
		{ 0xf0000, 0x10000, RSV },
		{ 0x7fe0000, 0x20000, RSV },
		{ 0xfffc0000, 0x40000, RSV },
	};
	/* The hypervisor image (2 MiB aligned) and the AP trampoline pages. */
	static const struct e820_range rsv[] = {
		{ 0x7000000, 0x7400000 },
		{ 0x9d000, 0x9f000 },
	};
	static const struct e820_entry want[] = {
		{ 0x0, 0x9d000, RAM },
		{ 0x9d000, 0x3000, RSV }, /* trampoline, partial page, firmware's reserved */
		{ 0xf0000, 0x10000, RSV },
		{ 0x100000, 0x6f00000, RAM },
		{ 0x7000000, 0x400000, RSV },
		{ 0x7400000, 0xbe0000, RAM },
		{ 0x7fe0000, 0x20000, RSV },
		{ 0xfffc0000, 0x40000, RSV },
		{ 0x100000000, 0x80000000, RAM },
	};
	struct e820_entry *map;
	uint32_t count;

	(void)state;
	assert_int_equal(build(fw, N(fw), rsv, N(rsv), E820_MAX_ENTRIES, &map, &count), 0);
	expect_map(map, count, want, N(want));
	assert_int_equal(e820_ram_total(map, count), 0x9d000 + 0x6f00000 + 0xbe0000 + 0x80000000);
	assert_int_equal(log_capture_count(LOG_ERROR) + log_capture_count(LOG_WARNING), 0);

	e820_log("Service VM e820", map, count);
	expect_msg("Service VM e820: 9 entries");
	expect_msg("[0x0000000007000000, 0x0000000007400000) reserved");
	free(map);
}

static void test_merge_same_type(void **state)
{
	/* Duplicates, touching and overlapping RAM, all one block in the end. */
	static const struct boot_mmap_entry fw[] = {
		{ 0x200000, 0x100000, RAM }, { 0x100000, 0x100000, RAM },
		{ 0x180000, 0x100000, RAM }, { 0x100000, 0x100000, RAM },
		{ 0x300000, 0x0, RSV }, /* zero length: ignored */
		{ 0x500000, 0x1000, ACPI },  { 0x501000, 0x1000, ACPI },
	};
	static const struct e820_entry want[] = {
		{ 0x100000, 0x200000, RAM },
		{ 0x500000, 0x2000, ACPI },
	};
	struct e820_entry *map;
	uint32_t count;

	(void)state;
	assert_int_equal(build(fw, N(fw), NULL, 0, 8, &map, &count), 0);
	expect_map(map, count, want, N(want));
	free(map);
}

static void test_overlap_priority(void **state)
{
	static const struct boot_mmap_entry fw[] = {
		{ 0x0, 0x100000, RAM }, /* ACPI, NVS, reserved, bad inside */
		{ 0x10000, 0x2000, ACPI }, { 0x11000, 0x2000, NVS },  /* NVS beats ACPI */
		{ 0x20000, 0x10000, RSV }, { 0x28000, 0x1000, BAD },  /* bad beats reserved */
		{ 0x40000, 0x1000, NVS },  { 0x40000, 0x1000, RSV },  /* reserved beats NVS */
		{ 0x50000, 0x1000, 7 },				      /* unknown kept, beats RAM */
		{ 0x50800, 0x1000, NVS },			      /* unknown beats NVS */
		{ 0x60000, 0x1000, 0 },				      /* type 0 reads as reserved */
		{ 0x70000, 0x1000, 0x20 }, { 0x70000, 0x1000, 0x10 }, /* higher unknown wins */
	};
	static const struct e820_entry want[] = {
		{ 0x0, 0x10000, RAM },	  { 0x10000, 0x1000, ACPI }, { 0x11000, 0x2000, NVS },
		{ 0x13000, 0xd000, RAM }, { 0x20000, 0x8000, RSV },  { 0x28000, 0x1000, BAD },
		{ 0x29000, 0x7000, RSV }, { 0x30000, 0x10000, RAM }, { 0x40000, 0x1000, RSV },
		{ 0x41000, 0xf000, RAM }, { 0x50000, 0x1000, 7 },    { 0x51000, 0x800, NVS },
		{ 0x51800, 0x800, RSV },  { 0x52000, 0xe000, RAM },  { 0x60000, 0x1000, RSV },
		{ 0x61000, 0xf000, RAM }, { 0x70000, 0x1000, 0x20 }, { 0x71000, 0x8f000, RAM },
	};
	struct e820_entry *map;
	uint32_t count;

	(void)state;
	assert_int_equal(build(fw, N(fw), NULL, 0, 32, &map, &count), 0);
	expect_map(map, count, want, N(want));
	free(map);
}

static void test_reserve_ranges(void **state)
{
	static const struct boot_mmap_entry fw[] = {
		{ 0x100000, 0x400000, RAM },
		{ 0x600000, 0x1000, BAD },
		{ 0x601000, 0xff000, RAM },
	};
	static const struct e820_range rsv[] = {
		{ 0x100000, 0x200000 }, /* at the start of RAM */
		{ 0x4ff000, 0x500000 }, /* at its end */
		{ 0x580000, 0x590000 }, /* in the hole between: reserved, not absent */
		{ 0x5ff000, 0x602000 }, /* across the hole, bad memory and RAM */
		{ 0x300000, 0x300000 }, /* empty: ignored */
		{ 0x700000, 0x800000 }, /* touches the RAM's end */
	};
	static const struct e820_entry want[] = {
		{ 0x100000, 0x100000, RSV }, { 0x200000, 0x2ff000, RAM },
		{ 0x4ff000, 0x1000, RSV },   { 0x580000, 0x10000, RSV },
		{ 0x5ff000, 0x1000, RSV },   { 0x600000, 0x1000, BAD },
		{ 0x601000, 0x1000, RSV },   { 0x602000, 0xfe000, RAM },
		{ 0x700000, 0x100000, RSV },
	};
	struct e820_entry *map;
	uint32_t count;

	(void)state;
	assert_int_equal(build(fw, N(fw), rsv, N(rsv), 16, &map, &count), 0);
	expect_map(map, count, want, N(want));
	free(map);

	/* The whole of RAM kept by the hypervisor: nothing left, and it says so. */
	static const struct e820_range all[] = { { 0, UINT64_MAX } };
	static const struct e820_entry want_all[] = { { 0, UINT64_MAX, RSV } };
	assert_int_equal(build(fw, 1, all, 1, 4, &map, &count), 0);
	expect_map(map, count, want_all, 1);
	expect_msg("e820: no RAM is left for the Service VM");
	free(map);
}

static void test_page_trim(void **state)
{
	static const struct boot_mmap_entry fw[] = {
		{ 0x1800, 0x2000, RAM },  /* partial pages at both ends */
		{ 0x10100, 0x800, RAM },  /* less than a page: all reserved */
		{ 0x20000, 0x1000, RAM }, /* exactly a page */
		{ 0x30000, 0x800, RAM },  /* two halves of one page */
		{ 0x30800, 0x800, RAM },  /* merge into one page first */
		{ 0x40000, 0x1800, RAM },
		{ 0x41800, 0x800, RSV },	      /* tail joins reserved */
		{ 0x50fff, 0x2002, RAM },	      /* one byte over at each end */
		{ UINT64_MAX - 0x1fff, 0x2000, RAM }, /* ends at 2^64: cut */
	};
	static const struct e820_entry want[] = {
		{ 0x1800, 0x800, RSV },
		{ 0x2000, 0x1000, RAM },
		{ 0x3000, 0x800, RSV },
		{ 0x10100, 0x800, RSV },
		{ 0x20000, 0x1000, RAM },
		{ 0x30000, 0x1000, RAM },
		{ 0x40000, 0x1000, RAM },
		{ 0x41000, 0x1000, RSV },
		{ 0x50fff, 0x1, RSV },
		{ 0x51000, 0x2000, RAM },
		{ 0x53000, 0x1, RSV },
		{ UINT64_MAX - 0x1fff, 0x1000, RAM },
		{ UINT64_MAX - 0xfff, 0xfff, RSV },
	};
	struct e820_entry *map;
	uint32_t count;

	(void)state;
	assert_int_equal(build(fw, N(fw), NULL, 0, 16, &map, &count), 0);
	expect_map(map, count, want, N(want));
	assert_int_equal(log_capture_count(LOG_WARNING), 0);
	free(map);
}

static void test_wrapping_entry(void **state)
{
	static const struct boot_mmap_entry fw[] = {
		{ 0xfffffffffffff000ull, 0x10000, RSV },
	};
	static const struct e820_entry want[] = {
		{ 0xfffffffffffff000ull, 0xfff, RSV },
	};
	struct e820_entry *map;
	uint32_t count;

	(void)state;
	assert_int_equal(build(fw, N(fw), NULL, 0, 2, &map, &count), 0);
	expect_map(map, count, want, N(want));
	expect_msg("e820: firmware entry 0 [0xfffffffffffff000, +0x10000) runs past 2^64; cut "
		   "at 2^64-1");
	free(map);
}

static void test_bad_arguments(void **state)
{
	static const struct boot_mmap_entry fw[] = { { 0, 0x100000, RAM } };
	static const struct e820_range inverted[] = { { 0x2000, 0x1000 } };
	struct e820_entry out[4];
	struct e820_entry *map;
	uint32_t count;

	(void)state;
	assert_int_equal(build(fw, 1, inverted, 1, 4, &map, &count), -EINVAL);
	expect_msg("e820: hypervisor range 0 [0x2000, 0x1000) ends before it starts");
	free(map);

	log_capture_reset();
	assert_int_equal(e820_build(NULL, 1, NULL, 0, out, 4, &count), -EINVAL);
	assert_int_equal(e820_build(fw, 1, NULL, 1, out, 4, &count), -EINVAL);
	assert_int_equal(e820_build(fw, 1, NULL, 0, NULL, 4, &count), -EINVAL);
	assert_int_equal(e820_build(fw, 1, NULL, 0, out, 0, &count), -EINVAL);
	assert_int_equal(e820_build(fw, 1, NULL, 0, out, 4, NULL), -EINVAL);
	expect_msg("e820: bad arguments to e820_build");

	/* Nothing at all: an empty map, and a warning. */
	assert_int_equal(build(NULL, 0, NULL, 0, 1, &map, &count), 0);
	assert_int_equal(count, 0);
	expect_msg("no RAM is left");
	free(map);
}

static void test_no_space(void **state)
{
	enum { PAIRS = 70 }; /* 140 entries: more than the zero page holds */
	struct boot_mmap_entry fw[PAIRS * 2];
	struct e820_entry *map;
	uint32_t count;

	(void)state;
	for (uint32_t i = 0; i < PAIRS; i++) {
		fw[2 * i] = (struct boot_mmap_entry){ i * 0x2000ull, 0x1000, RAM };
		fw[2 * i + 1] = (struct boot_mmap_entry){ i * 0x2000ull + 0x1000, 0x1000, NVS };
	}
	assert_int_equal(build(fw, N(fw), NULL, 0, E820_MAX_ENTRIES, &map, &count), -ENOSPC);
	expect_msg("e820: the Service VM memory map needs 140 entries, only 128 fit");
	assert_int_equal(count, E820_MAX_ENTRIES);
	assert_int_equal(map[127].addr, 127 * 0x1000);
	free(map);

	/* Exactly as many as fit. */
	assert_int_equal(build(fw, N(fw), NULL, 0, PAIRS * 2, &map, &count), 0);
	assert_int_equal(count, PAIRS * 2);
	assert_int_equal(map[PAIRS * 2 - 1].type, NVS);
	free(map);

	/* Reserve ranges can be what pushes it over. */
	assert_int_equal(build(fw, 2, NULL, 0, 2, &map, &count), 0);
	free(map);
	static const struct e820_range hole[] = { { 0x100000, 0x101000 } };
	assert_int_equal(build(fw, 2, hole, 1, 2, &map, &count), -ENOSPC);
	expect_msg("needs 3 entries, only 2 fit");
	free(map);
}

/*
 * Model: the address space 0..CELLS*0x100 in 0x100-byte cells; the rules
 * are applied cell by cell, then RAM runs trimmed to pages.
 */
#define CELL  0x100u
#define CELLS 1024u

static int model_rank(uint32_t t)
{
	static const int rank[] = { 0, 1, 5, 2, 3, 6 };

	return t < 6 ? rank[t] : 4;
}

static void model_build(const struct boot_mmap_entry *fw, uint32_t n, const struct e820_range *rsv,
			uint32_t rn, uint32_t *cell)
{
	memset(cell, 0, CELLS * sizeof(*cell));
	for (uint32_t c = 0; c < CELLS; c++) {
		uint64_t a = (uint64_t)c * CELL;

		for (uint32_t i = 0; i < n; i++) {
			uint32_t t = fw[i].type ? fw[i].type : RSV;

			if (a >= fw[i].base && a < fw[i].base + fw[i].length &&
			    (model_rank(t) > model_rank(cell[c]) ||
			     (model_rank(t) == model_rank(cell[c]) && t > cell[c])))
				cell[c] = t;
		}
		for (uint32_t i = 0; i < rn; i++)
			if (a >= rsv[i].start && a < rsv[i].end && model_rank(cell[c]) < 5)
				cell[c] = RSV;
	}
	for (uint32_t c = 0; c < CELLS;) {
		uint32_t end = c, first, last;

		if (cell[c] != RAM) {
			c++;
			continue;
		}
		while (end < CELLS && cell[end] == RAM)
			end++;
		first = (c + 15) / 16 * 16; /* 16 cells a page */
		last = end / 16 * 16;
		for (uint32_t k = c; k < end; k++)
			if (k < first || k >= last)
				cell[k] = RSV;
		c = end;
	}
}

static void test_random_against_model(void **state)
{
	static const uint32_t types[] = { RAM, RAM, RAM, RSV, ACPI, NVS, BAD, 0, 9 };
	uint32_t cell[CELLS];

	(void)state;
	srand(4);
	for (int iter = 0; iter < 400; iter++) {
		struct boot_mmap_entry fw[12];
		struct e820_range rsv[3];
		uint32_t n = (uint32_t)(rand() % 13), rn = (uint32_t)(rand() % 4), count;
		struct e820_entry *map;

		for (uint32_t i = 0; i < n; i++) {
			fw[i].base = (uint64_t)(rand() % CELLS) * CELL;
			fw[i].length = (uint64_t)(rand() % 200) * CELL;
			if (fw[i].base + fw[i].length > CELLS * CELL)
				fw[i].length = CELLS * CELL - fw[i].base;
			fw[i].type = types[rand() % N(types)];
		}
		for (uint32_t i = 0; i < rn; i++) {
			rsv[i].start = (uint64_t)(rand() % CELLS) * CELL;
			rsv[i].end = rsv[i].start + (uint64_t)(rand() % 40) * CELL;
		}
		model_build(fw, n, rsv, rn, cell);
		assert_int_equal(build(fw, n, rsv, rn, E820_MAX_ENTRIES, &map, &count), 0);
		/* Sorted, no overlap, equal neighbours merged, RAM whole pages. */
		for (uint32_t i = 0; i < count; i++) {
			assert_true(map[i].size > 0);
			if (map[i].type == RAM) {
				assert_int_equal(map[i].addr % E820_PAGE_SIZE, 0);
				assert_int_equal(map[i].size % E820_PAGE_SIZE, 0);
			}
			if (i > 0) {
				uint64_t prev_end = map[i - 1].addr + map[i - 1].size;

				assert_true(prev_end <= map[i].addr);
				assert_false(prev_end == map[i].addr &&
					     map[i - 1].type == map[i].type);
			}
		}
		for (uint32_t c = 0; c < CELLS; c++) {
			uint64_t a = (uint64_t)c * CELL;
			uint32_t got = 0;

			for (uint32_t i = 0; i < count; i++)
				if (a >= map[i].addr && a < map[i].addr + map[i].size)
					got = map[i].type;
			if (got != cell[c])
				fail_msg("iteration %d: address %#llx has type %u, model says %u",
					 iter, (unsigned long long)a, got, cell[c]);
		}
		free(map);
	}
}

static struct e820_entry *map_copy(const struct e820_entry *src, uint32_t n)
{
	struct e820_entry *p = malloc(n * sizeof(*p));

	assert_non_null(p);
	memcpy(p, src, n * sizeof(*p));
	return p;
}

static const struct e820_entry find_map[] = {
	{ 0x0, 0x9f000, RAM },	       { 0x9f000, 0x61000, RSV },
	{ 0x100000, 0x3f00000, RAM }, /* 1 MiB .. 64 MiB */
	{ 0x4000000, 0x100000, ACPI }, { 0x100000000, 0x40000000, RAM },
};

static void test_find_free(void **state)
{
	struct e820_entry *map = map_copy(find_map, N(find_map));
	uint64_t a = 0;

	(void)state;
	log_capture_reset();
	/* Highest 2 MiB-aligned block of 8 MiB below 4 GiB: top of the 64 MiB block. */
	assert_int_equal(
	    e820_find_free(map, N(find_map), 0x800000, 0x200000, 0, 1ull << 32, true, NULL, 0, &a),
	    0);
	assert_int_equal(a, 0x3800000);
	/* Lowest: at 2 MiB (1 MiB is not 2 MiB-aligned). */
	assert_int_equal(
	    e820_find_free(map, N(find_map), 0x800000, 0x200000, 0, 1ull << 32, false, NULL, 0, &a),
	    0);
	assert_int_equal(a, 0x200000);
	/* No limit: the block above 4 GiB is highest. */
	assert_int_equal(
	    e820_find_free(map, N(find_map), 0x1000, 0x1000, 0, UINT64_MAX, true, NULL, 0, &a), 0);
	assert_int_equal(a, 0x13ffff000);
	/* Below 1 MiB, 15 KiB, page aligned: the top of low RAM. */
	assert_int_equal(
	    e820_find_free(map, N(find_map), 0x3c00, 0x1000, 0x1000, 0x100000, true, NULL, 0, &a),
	    0);
	assert_int_equal(a, 0x9b000);
	/* min inside a block, unaligned. */
	assert_int_equal(e820_find_free(map, N(find_map), 0x1000, 0x1000, 0x100001, 1ull << 32,
					false, NULL, 0, &a),
			 0);
	assert_int_equal(a, 0x101000);
	/* Exactly the whole block fits; one byte more does not. */
	assert_int_equal(e820_find_free(map, N(find_map), 0x3f00000, 0x100000, 0, UINT64_MAX, false,
					NULL, 0, &a),
			 0);
	assert_int_equal(a, 0x100000);
	assert_int_equal(
	    e820_find_free(map, N(find_map), 0x40000001, 1, 0, UINT64_MAX, false, NULL, 0, &a),
	    -ENOMEM);
	/* ACPI memory is never handed out. */
	assert_int_equal(e820_find_free(map, N(find_map), 0x1000, 0x1000, 0x4000000, 0x4100000,
					false, NULL, 0, &a),
			 -ENOMEM);
	/* No failure message: the caller says what it was placing. */
	assert_int_equal(log_capture_count(LOG_ERROR), 0);
	free(map);
}

static void test_find_free_avoid(void **state)
{
	struct e820_entry *map = map_copy(find_map, N(find_map));
	struct e820_range *avoid = malloc(3 * sizeof(*avoid));
	uint64_t a = 0;

	(void)state;
	assert_non_null(avoid);
	avoid[0] = (struct e820_range){ 0x3000000, 0x3900000 }; /* kernel module */
	avoid[1] = (struct e820_range){ 0x2a00000, 0x3000000 }; /* initrd, just below */
	avoid[2] = (struct e820_range){ 0x200000, 0x201000 };	/* one page at 2 MiB */
	/* Highest: must go below both modules. */
	assert_int_equal(
	    e820_find_free(map, N(find_map), 0x800000, 0x200000, 0, 1ull << 32, true, avoid, 3, &a),
	    0);
	assert_int_equal(a, 0x2200000);
	/* Lowest: the page at 2 MiB pushes it to 4 MiB. */
	assert_int_equal(e820_find_free(map, N(find_map), 0x800000, 0x200000, 0, 1ull << 32, false,
					avoid, 3, &a),
			 0);
	assert_int_equal(a, 0x400000);
	/* An avoid range that ends exactly where the block begins does not overlap. */
	assert_int_equal(e820_find_free(map, N(find_map), 0x1000, 0x1000, 0x201000, 0x202000, false,
					avoid, 3, &a),
			 0);
	assert_int_equal(a, 0x201000);
	/* Everything avoided. */
	avoid[0] = (struct e820_range){ 0, UINT64_MAX };
	assert_int_equal(
	    e820_find_free(map, N(find_map), 0x1000, 0x1000, 0, UINT64_MAX, true, avoid, 1, &a),
	    -ENOMEM);
	assert_int_equal(
	    e820_find_free(map, N(find_map), 0x1000, 0x1000, 0, UINT64_MAX, false, avoid, 1, &a),
	    -ENOMEM);
	/* Empty avoid ranges are ignored. */
	avoid[0] = (struct e820_range){ 0x200000, 0x200000 };
	assert_int_equal(e820_find_free(map, N(find_map), 0x1000, 0x1000, 0x200000, 0x201000, false,
					avoid, 1, &a),
			 0);
	free(avoid);
	free(map);
}

static void test_find_free_bad(void **state)
{
	struct e820_entry *map = map_copy(find_map, N(find_map));
	uint64_t a = 0;

	(void)state;
	log_capture_reset();
	assert_int_equal(
	    e820_find_free(map, N(find_map), 0, 0x1000, 0, UINT64_MAX, true, NULL, 0, &a), -EINVAL);
	expect_msg("e820: bad request for free RAM: size 0, alignment 0x1000, range [0, "
		   "0xffffffffffffffff)");
	assert_int_equal(
	    e820_find_free(map, N(find_map), 0x1000, 0x3000, 0, UINT64_MAX, true, NULL, 0, &a),
	    -EINVAL);
	assert_int_equal(
	    e820_find_free(map, N(find_map), 0x1000, 0, 0, UINT64_MAX, true, NULL, 0, &a), -EINVAL);
	assert_int_equal(e820_find_free(map, N(find_map), 0x1000, 0x1000, 5, 5, true, NULL, 0, &a),
			 -EINVAL);
	assert_int_equal(e820_find_free(map, N(find_map), 0x1000, 0x1000, 0, 9, true, NULL, 2, &a),
			 -EINVAL);
	assert_int_equal(e820_find_free(NULL, 0, 0x1000, 0x1000, 0, UINT64_MAX, true, NULL, 0, &a),
			 -EINVAL);
	/* Huge alignment near the top of the address space must not wrap. */
	static const struct e820_entry top[] = { { UINT64_MAX - 0xffff, 0xffff, RAM } };
	assert_int_equal(
	    e820_find_free(top, 1, 0x1000, 1ull << 63, 0, UINT64_MAX, false, NULL, 0, &a), -ENOMEM);
	assert_int_equal(e820_find_free(top, 1, 0x1000, 0x1000, 0, UINT64_MAX, false, NULL, 0, &a),
			 0);
	assert_int_equal(a, UINT64_MAX - 0xffff);
	free(map);
}

static void test_is_ram_and_total(void **state)
{
	static const struct e820_entry m[] = {
		{ 0x1000, 0x1000, RAM }, /* touching RAM entries (not from e820_build) */
		{ 0x2000, 0x2000, RAM },
		{ 0x4000, 0x1000, RSV },
		{ 0x5000, 0x1000, RAM },
	};
	struct e820_entry *map = map_copy(m, N(m));

	(void)state;
	assert_true(e820_is_ram(map, N(m), 0x1000, 0x4000));
	assert_true(e820_is_ram(map, N(m), 0x1800, 0x2800));
	assert_true(e820_is_ram(map, N(m), 0x5000, 0x6000));
	assert_false(e820_is_ram(map, N(m), 0x1000, 0x4001));
	assert_false(e820_is_ram(map, N(m), 0xfff, 0x2000));
	assert_false(e820_is_ram(map, N(m), 0x3000, 0x6000));
	assert_false(e820_is_ram(map, N(m), 0x6000, 0x7000));
	assert_false(e820_is_ram(map, N(m), 0x2000, 0x2000)); /* empty */
	assert_false(e820_is_ram(NULL, 0, 0x2000, 0x3000));
	assert_int_equal(e820_ram_total(map, N(m)), 0x4000);
	assert_int_equal(e820_ram_total(NULL, 3), 0);
	free(map);

	static const struct e820_entry huge[] = {
		{ 0, UINT64_MAX, RAM },
		{ 0, UINT64_MAX, RAM },
	};
	assert_true(e820_ram_total(huge, 2) == UINT64_MAX);
	assert_true(e820_is_ram(huge, 2, 0, UINT64_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_typical_pc),
		cmocka_unit_test(test_merge_same_type),
		cmocka_unit_test(test_overlap_priority),
		cmocka_unit_test(test_reserve_ranges),
		cmocka_unit_test(test_page_trim),
		cmocka_unit_test(test_wrapping_entry),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_no_space),
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_find_free),
		cmocka_unit_test(test_find_free_avoid),
		cmocka_unit_test(test_find_free_bad),
		cmocka_unit_test(test_is_ram_and_total),
	};
	return cmocka_run_group_tests_name("e820", tests, NULL, NULL);
}
