/* SPDX-License-Identifier: BSD-3-Clause */
#include "core/mtrr.h"

#include "lib/errno.h"

#define MIB	     0x100000ull
#define TYPE_MASK    0xffull
#define DEF_WRITABLE (TYPE_MASK & 0x7) | MTRR_DEF_FIXED_ENABLE | MTRR_DEF_ENABLE

static bool valid_type(uint64_t type)
{
	return type == MTRR_TYPE_UC || type == MTRR_TYPE_WC || type == MTRR_TYPE_WT ||
	       type == MTRR_TYPE_WP || type == MTRR_TYPE_WB;
}

/* Index into m->fixed for a fixed-range MSR, or -1. */
static int fixed_index(uint32_t msr)
{
	if (msr == MSR_MTRR_FIX64K)
		return 0;
	if (msr == MSR_MTRR_FIX16K_0 || msr == MSR_MTRR_FIX16K_1)
		return 1 + (int)(msr - MSR_MTRR_FIX16K_0);
	if (msr >= MSR_MTRR_FIX4K_0 && msr <= MSR_MTRR_FIX4K_0 + 7)
		return 3 + (int)(msr - MSR_MTRR_FIX4K_0);
	return -1;
}

static bool has_fixed(const struct mtrr_state *m)
{
	return m->cap & MTRR_CAP_FIXED;
}

bool mtrr_is_msr(const struct mtrr_state *m, uint32_t msr)
{
	if (msr == MSR_MTRR_CAP || msr == MSR_MTRR_DEF_TYPE)
		return true;
	if (fixed_index(msr) >= 0)
		return has_fixed(m);
	return msr >= MSR_MTRR_PHYSBASE0 && msr < MSR_MTRR_PHYSBASE0 + 2 * m->variable_count;
}

int mtrr_read(const struct mtrr_state *m, uint32_t msr, uint64_t *value)
{
	int fixed = fixed_index(msr);

	if (!mtrr_is_msr(m, msr))
		return -EINVAL;
	if (msr == MSR_MTRR_CAP)
		*value = m->cap;
	else if (msr == MSR_MTRR_DEF_TYPE)
		*value = m->def_type;
	else if (fixed >= 0)
		*value = m->fixed[fixed];
	else if ((msr - MSR_MTRR_PHYSBASE0) % 2 == 0)
		*value = m->base[(msr - MSR_MTRR_PHYSBASE0) / 2];
	else
		*value = m->mask[(msr - MSR_MTRR_PHYSBASE0) / 2];
	return 0;
}

static uint64_t address_bits(const struct mtrr_state *m)
{
	uint32_t bits = m->phys_bits ? m->phys_bits : 36;

	if (bits > 52)
		bits = 52;
	return ((1ull << bits) - 1) & ~0xfffull;
}

int mtrr_write(struct mtrr_state *m, uint32_t msr, uint64_t value)
{
	int fixed = fixed_index(msr);

	if (!mtrr_is_msr(m, msr) || msr == MSR_MTRR_CAP)
		return -EINVAL;
	if (msr == MSR_MTRR_DEF_TYPE) {
		if ((value & ~(uint64_t)(DEF_WRITABLE)) || !valid_type(value & TYPE_MASK))
			return -EINVAL;
		m->def_type = value;
		return 0;
	}
	if (fixed >= 0) {
		for (int i = 0; i < 8; i++)
			if (!valid_type((value >> (8 * i)) & TYPE_MASK))
				return -EINVAL;
		m->fixed[fixed] = value;
		return 0;
	}
	uint32_t n = (msr - MSR_MTRR_PHYSBASE0) / 2;

	if ((msr - MSR_MTRR_PHYSBASE0) % 2 == 0) {
		if ((value & ~(address_bits(m) | TYPE_MASK)) || !valid_type(value & TYPE_MASK))
			return -EINVAL;
		m->base[n] = value;
	} else {
		if (value & ~(address_bits(m) | MTRR_PHYSMASK_VALID))
			return -EINVAL;
		m->mask[n] = value;
	}
	return 0;
}

/* The fixed ranges below 1 MiB: 8 x 64 KiB, 16 x 16 KiB, 64 x 4 KiB. */
static uint32_t fixed_type(const struct mtrr_state *m, uint64_t addr, uint64_t *next)
{
	uint32_t reg, byte;
	uint64_t size;

	if (addr < 0x80000) {
		size = 0x10000;
		reg = 0;
		byte = (uint32_t)(addr / size);
	} else if (addr < 0xc0000) {
		size = 0x4000;
		reg = 1 + (uint32_t)((addr - 0x80000) / 0x20000);
		byte = (uint32_t)((addr - 0x80000) % 0x20000 / size);
	} else {
		size = 0x1000;
		reg = 3 + (uint32_t)((addr - 0xc0000) / 0x8000);
		byte = (uint32_t)((addr - 0xc0000) % 0x8000 / size);
	}
	*next = (addr & ~(size - 1)) + size;
	return (uint32_t)((m->fixed[reg] >> (8 * byte)) & TYPE_MASK);
}

/*
 * The SDM's precedence for overlapping variable ranges: UC wins, WT beats
 * WB, equal types stay; any other mix is undefined, and UC is the safe
 * reading.
 */
static uint32_t combine(uint32_t a, uint32_t b)
{
	if (a == b)
		return a;
	if (a == MTRR_TYPE_UC || b == MTRR_TYPE_UC)
		return MTRR_TYPE_UC;
	if ((a == MTRR_TYPE_WT && b == MTRR_TYPE_WB) || (a == MTRR_TYPE_WB && b == MTRR_TYPE_WT))
		return MTRR_TYPE_WT;
	return MTRR_TYPE_UC;
}

uint32_t mtrr_type_at(const struct mtrr_state *m, uint64_t addr, uint64_t *next)
{
	uint64_t bits = address_bits(m);
	uint64_t limit = UINT64_MAX;
	uint32_t type = 0;
	bool matched = false;

	addr &= ~0xfffull;
	if (!(m->def_type & MTRR_DEF_ENABLE)) {
		*next = UINT64_MAX;
		return MTRR_TYPE_UC;
	}
	if (addr < MIB && has_fixed(m) && (m->def_type & MTRR_DEF_FIXED_ENABLE))
		return fixed_type(m, addr, next);
	if (addr < MIB)
		limit = MIB; /* where the fixed ranges (if enabled later) end */
	for (uint32_t i = 0; i < m->variable_count && i < MTRR_MAX_VARIABLE; i++) {
		uint64_t mask = m->mask[i] & bits;
		uint64_t base = m->base[i] & bits;
		/* The block of addresses that share this address's match result. */
		uint64_t low = mask & -mask;

		if (!(m->mask[i] & MTRR_PHYSMASK_VALID) || !mask)
			continue;
		if ((addr & mask) == (base & mask)) {
			type = matched ? combine(type, (uint32_t)(m->base[i] & TYPE_MASK))
				       : (uint32_t)(m->base[i] & TYPE_MASK);
			matched = true;
		}
		uint64_t edge;

		if (mask == (bits & ~(low - 1))) {
			/* A contiguous mask: one range [base, base + low). */
			uint64_t start = base & mask;

			edge =
			    addr < start ? start : (addr < start + low ? start + low : UINT64_MAX);
		} else {
			/* Holes in the mask: the match may change at every multiple of its lowest
			 * bit. */
			edge = (addr | (low - 1)) + 1;
		}
		if (edge > addr && edge < limit)
			limit = edge;
	}
	*next = limit;
	return matched ? type : (uint32_t)(m->def_type & TYPE_MASK);
}
