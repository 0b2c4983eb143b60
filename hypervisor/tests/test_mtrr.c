/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VM's MTRR copy: MSR access rules (what raises #GP and leaves the state
 * alone) and the memory type of every address, checked range by range
 * against a page-by-page reference of the SDM's rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/mtrr.h"
#include "lib/errno.h"

#define MIB 0x100000ull
#define GIB 0x40000000ull

static struct mtrr_state typical(void)
{
	struct mtrr_state m;

	memset(&m, 0, sizeof(m));
	m.cap = MTRR_CAP_FIXED | MTRR_CAP_WC | 8;
	m.variable_count = 8;
	m.phys_bits = 40;
	m.def_type = MTRR_DEF_ENABLE | MTRR_DEF_FIXED_ENABLE | MTRR_TYPE_WB;
	/* Low 512 KiB WB, then 16K ranges: VGA UC (0xa0000-0xbffff), ROMs WP. */
	m.fixed[0] = 0x0606060606060606ull;
	m.fixed[1] = 0x0000000000000000ull;
	m.fixed[2] = 0x0000000000000000ull;
	for (int i = 3; i < MTRR_FIXED_COUNT; i++)
		m.fixed[i] = 0x0505050505050505ull;
	/* PCI hole 3 GiB-4 GiB uncached. */
	m.base[0] = 0xc0000000ull | MTRR_TYPE_UC;
	m.mask[0] = (0xffc0000000ull) | MTRR_PHYSMASK_VALID;
	return m;
}

static void test_msr_rules(void **state)
{
	struct mtrr_state m = typical(), before;
	uint64_t v;

	(void)state;
	assert_true(mtrr_is_msr(&m, MSR_MTRR_CAP));
	assert_true(mtrr_is_msr(&m, MSR_MTRR_PHYSBASE0 + 15));
	assert_false(mtrr_is_msr(&m, MSR_MTRR_PHYSBASE0 + 16));
	assert_int_equal(mtrr_read(&m, MSR_MTRR_CAP, &v), 0);
	assert_int_equal(v, m.cap);
	before = m;
	assert_int_equal(mtrr_write(&m, MSR_MTRR_CAP, 0), -EINVAL);
	assert_int_equal(mtrr_write(&m, MSR_MTRR_DEF_TYPE, MTRR_DEF_ENABLE | 2), -EINVAL);
	assert_int_equal(mtrr_write(&m, MSR_MTRR_DEF_TYPE, MTRR_DEF_ENABLE | (1ull << 12)),
			 -EINVAL);
	assert_int_equal(mtrr_write(&m, MSR_MTRR_FIX64K, 0x0606060606060706ull), -EINVAL);
	/* A base above MAXPHYADDR (40 bits) and a mask with reserved low bits. */
	assert_int_equal(mtrr_write(&m, MSR_MTRR_PHYSBASE0 + 2, (1ull << 45) | 6), -EINVAL);
	assert_int_equal(mtrr_write(&m, MSR_MTRR_PHYSBASE0 + 3, 0xfff0000000ull | 0x100), -EINVAL);
	assert_int_equal(mtrr_write(&m, MSR_MTRR_PHYSBASE0 + 16, 0), -EINVAL);
	assert_memory_equal(&m, &before, sizeof(m));
	assert_int_equal(mtrr_write(&m, MSR_MTRR_PHYSBASE0 + 2, 0x80000000ull | MTRR_TYPE_WC), 0);
	assert_int_equal(mtrr_read(&m, MSR_MTRR_PHYSBASE0 + 2, &v), 0);
	assert_int_equal(v, 0x80000000ull | MTRR_TYPE_WC);
	assert_int_equal(mtrr_write(&m, MSR_MTRR_FIX4K_0 + 7, 0), 0);
	assert_int_equal(mtrr_read(&m, MSR_MTRR_FIX4K_0 + 7, &v), 0);
	assert_int_equal(v, 0);

	/* Without fixed-range support the fixed MSRs do not exist. */
	m.cap &= ~MTRR_CAP_FIXED;
	assert_false(mtrr_is_msr(&m, MSR_MTRR_FIX64K));
	assert_int_equal(mtrr_read(&m, MSR_MTRR_FIX64K, &v), -EINVAL);
}

/* Page-by-page reference of the SDM's rules. */
static uint32_t reference_type(const struct mtrr_state *m, uint64_t addr)
{
	uint64_t bits = ((1ull << m->phys_bits) - 1) & ~0xfffull;
	int uc = 0, wt = 0, wb = 0, other = -1, matches = 0;

	if (!(m->def_type & MTRR_DEF_ENABLE))
		return MTRR_TYPE_UC;
	if (addr < MIB && (m->cap & MTRR_CAP_FIXED) && (m->def_type & MTRR_DEF_FIXED_ENABLE)) {
		if (addr < 0x80000)
			return (m->fixed[0] >> (8 * (addr >> 16))) & 0xff;
		if (addr < 0xc0000)
			return (m->fixed[1 + (addr - 0x80000) / 0x20000] >>
				(8 * (((addr - 0x80000) % 0x20000) >> 14))) &
			       0xff;
		return (m->fixed[3 + (addr - 0xc0000) / 0x8000] >>
			(8 * (((addr - 0xc0000) % 0x8000) >> 12))) &
		       0xff;
	}
	for (uint32_t i = 0; i < m->variable_count; i++) {
		uint64_t mask = m->mask[i] & bits;
		uint32_t t = m->base[i] & 0xff;

		if (!(m->mask[i] & MTRR_PHYSMASK_VALID) || (addr & mask) != (m->base[i] & mask))
			continue;
		matches++;
		if (t == MTRR_TYPE_UC)
			uc = 1;
		else if (t == MTRR_TYPE_WT)
			wt = 1;
		else if (t == MTRR_TYPE_WB)
			wb = 1;
		else if (other < 0 || other == (int)t)
			other = (int)t;
		else
			uc = 1;
	}
	if (!matches)
		return m->def_type & 0xff;
	if (uc || (other >= 0 && (wt || wb)))
		return MTRR_TYPE_UC;
	if (wt)
		return MTRR_TYPE_WT;
	if (wb)
		return MTRR_TYPE_WB;
	return (uint32_t)other;
}

/* Walks [0, end) range by range and checks every range's pages (sampled) against the reference. */
static void check_walk(const struct mtrr_state *m, uint64_t end)
{
	uint64_t addr = 0;

	while (addr < end) {
		uint64_t next;
		uint32_t type = mtrr_type_at(m, addr, &next);

		assert_true(next > addr);
		if (next > end)
			next = end;
		/* First, last and some pages in between have the range's type. */
		for (uint64_t p = addr; p < next; p += ((next - addr) / 7 + 0xfff) & ~0xfffull) {
			assert_int_equal(reference_type(m, p), type);
			if (next - addr <= 0x1000)
				break;
		}
		assert_int_equal(reference_type(m, next - 0x1000), type);
		addr = next;
	}
}

static void test_types_typical(void **state)
{
	struct mtrr_state m = typical();
	uint64_t next;

	(void)state;
	assert_int_equal(mtrr_type_at(&m, 0x1000, &next), MTRR_TYPE_WB);
	assert_int_equal(mtrr_type_at(&m, 0xa0000, &next), MTRR_TYPE_UC);
	assert_int_equal(next, 0xa4000);
	assert_int_equal(mtrr_type_at(&m, 0xf0000, &next), MTRR_TYPE_WP);
	assert_int_equal(mtrr_type_at(&m, 16 * MIB, &next), MTRR_TYPE_WB);
	assert_int_equal(next, 3 * GIB);
	assert_int_equal(mtrr_type_at(&m, 3 * GIB + 5 * MIB, &next), MTRR_TYPE_UC);
	assert_int_equal(next, 4 * GIB);
	check_walk(&m, 8 * GIB);

	/* Disabled MTRRs: all UC; fixed ranges off: the variable/default rules below 1 MiB. */
	m.def_type &= ~MTRR_DEF_ENABLE;
	assert_int_equal(mtrr_type_at(&m, 16 * MIB, &next), MTRR_TYPE_UC);
	m.def_type |= MTRR_DEF_ENABLE;
	m.def_type &= ~MTRR_DEF_FIXED_ENABLE;
	assert_int_equal(mtrr_type_at(&m, 0xa0000, &next), MTRR_TYPE_WB);
	check_walk(&m, 8 * GIB);
}

static void test_overlaps(void **state)
{
	struct mtrr_state m = typical();
	uint64_t next;

	(void)state;
	m.def_type = MTRR_DEF_ENABLE | MTRR_TYPE_UC;
	m.base[1] = 0 | MTRR_TYPE_WB; /* 0-2 GiB WB */
	m.mask[1] = 0xff80000000ull | MTRR_PHYSMASK_VALID;
	m.base[2] = 0x40000000ull | MTRR_TYPE_WT; /* 1-1.5 GiB WT over WB: WT */
	m.mask[2] = 0xffe0000000ull | MTRR_PHYSMASK_VALID;
	m.base[3] = 0x50000000ull | MTRR_TYPE_UC; /* 1.25 GiB + 256 MiB UC wins */
	m.mask[3] = 0xfff0000000ull | MTRR_PHYSMASK_VALID;
	m.base[4] = 0x70000000ull | MTRR_TYPE_WC; /* WC over WB: undefined, read as UC */
	m.mask[4] = 0xfff8000000ull | MTRR_PHYSMASK_VALID;
	assert_int_equal(mtrr_type_at(&m, 0x48000000, &next), MTRR_TYPE_WT);
	assert_int_equal(mtrr_type_at(&m, 0x52000000, &next), MTRR_TYPE_UC);
	assert_int_equal(mtrr_type_at(&m, 0x72000000, &next), MTRR_TYPE_UC);
	assert_int_equal(mtrr_type_at(&m, 0x20000000, &next), MTRR_TYPE_WB);
	assert_int_equal(mtrr_type_at(&m, 0x90000000, &next), MTRR_TYPE_UC);
	check_walk(&m, 8 * GIB);
}

static void test_random_against_reference(void **state)
{
	static const uint32_t types[] = { MTRR_TYPE_UC, MTRR_TYPE_WC, MTRR_TYPE_WT, MTRR_TYPE_WP,
					  MTRR_TYPE_WB };

	(void)state;
	srand(4242);
	for (int round = 0; round < 300; round++) {
		struct mtrr_state m = typical();

		m.def_type = MTRR_DEF_ENABLE | MTRR_DEF_FIXED_ENABLE | types[rand() % 5];
		for (uint32_t i = 0; i < m.variable_count; i++) {
			uint32_t size_bits = 21 + (uint32_t)(rand() % 12); /* 2 MiB .. 4 GiB */
			uint64_t size = 1ull << size_bits;
			uint64_t base = ((uint64_t)rand() % (16 * GIB / size)) * size;

			m.base[i] = base | types[rand() % 5];
			m.mask[i] = (~(size - 1) & 0xfffffff000ull) |
				    (rand() % 4 ? MTRR_PHYSMASK_VALID : 0);
			if (rand() % 8 == 0)
				m.mask[i] &= ~(1ull << 33); /* a hole: the range repeats */
		}
		check_walk(&m, 16 * GIB);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msr_rules),
		cmocka_unit_test(test_types_typical),
		cmocka_unit_test(test_overlaps),
		cmocka_unit_test(test_random_against_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
