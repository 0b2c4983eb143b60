/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Arithmetic and flags of the emulated instructions, as the SDM's
 * instruction pages define them (volume 2, ADD ... XOR, BT ... BTS, and the
 * flag definitions of volume 1 section 3.4.3). Kept apart from the emulator so
 * the host tests can check it against the host CPU value by value.
 */
#include "core/instr.h"

static bool alu_size_valid(uint8_t size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

static uint64_t alu_mask(uint8_t size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* PF looks at the low byte only: set when it has an even number of ones. */
static bool alu_parity_even(uint64_t value)
{
	uint8_t b = (uint8_t)value;

	b ^= (uint8_t)(b >> 4);
	b ^= (uint8_t)(b >> 2);
	b ^= (uint8_t)(b >> 1);
	return (b & 1) == 0;
}

/* PF ZF SF of a result already masked to size. */
static uint64_t alu_result_flags(uint64_t result, uint8_t size)
{
	uint64_t flags = 0;

	if (alu_parity_even(result))
		flags |= INSTR_FLAG_PF;
	if (result == 0)
		flags |= INSTR_FLAG_ZF;
	if (result >> (8 * size - 1))
		flags |= INSTR_FLAG_SF;
	return flags;
}

uint64_t instr_compute_alu(enum instr_op op, uint8_t size, uint64_t dst, uint64_t src,
			   uint64_t *rflags)
{
	uint64_t mask, sign, a, b, r, flags = 0;
	uint64_t carry = (*rflags & INSTR_FLAG_CF) ? 1 : 0;

	if (!alu_size_valid(size))
		return dst;
	mask = alu_mask(size);
	sign = 1ull << (8 * size - 1);
	a = dst & mask;
	b = src & mask;
	switch (op) {
	case INSTR_OP_ADD:
		carry = 0;
		/* fall through */
	case INSTR_OP_ADC:
		r = (a + b + carry) & mask;
		/* Modulo 2^n the sum wrapped iff it came out below a (or equal, with carry). */
		if (carry ? r <= a : r < a)
			flags |= INSTR_FLAG_CF;
		if ((a ^ r) & (b ^ r) & sign)
			flags |= INSTR_FLAG_OF;
		if ((a ^ b ^ r) & 0x10)
			flags |= INSTR_FLAG_AF;
		break;
	case INSTR_OP_SUB:
	case INSTR_OP_CMP:
		carry = 0;
		/* fall through */
	case INSTR_OP_SBB:
		r = (a - b - carry) & mask;
		/* Borrow iff a < b + carry, computed without overflowing b + carry. */
		if (carry ? a <= b : a < b)
			flags |= INSTR_FLAG_CF;
		if ((a ^ b) & (a ^ r) & sign)
			flags |= INSTR_FLAG_OF;
		if ((a ^ b ^ r) & 0x10)
			flags |= INSTR_FLAG_AF;
		break;
	case INSTR_OP_AND:
	case INSTR_OP_TEST:
		r = a & b; /* CF and OF cleared; AF undefined, cleared here */
		break;
	case INSTR_OP_OR:
		r = a | b;
		break;
	case INSTR_OP_XOR:
		r = a ^ b;
		break;
	default:
		return dst;
	}
	flags |= alu_result_flags(r, size);
	*rflags = (*rflags & ~INSTR_FLAGS_ARITH) | flags;
	return r;
}

uint64_t instr_compute_bit_op(enum instr_op op, uint8_t size, uint64_t value, uint64_t bit,
			      uint64_t *rflags)
{
	uint64_t selected, old;

	if (!alu_size_valid(size))
		return value;
	/*
	 * Only the bit offset modulo the operand width matters here: for a
	 * register offset the CPU already moved the access to the right
	 * element, and that element's address is the one that faulted.
	 */
	selected = 1ull << (bit & (8u * size - 1));
	old = value & selected;
	switch (op) {
	case INSTR_OP_BT:
		break;
	case INSTR_OP_BTS:
		value |= selected;
		break;
	case INSTR_OP_BTR:
		value &= ~selected;
		break;
	case INSTR_OP_BTC:
		value ^= selected;
		break;
	default:
		return value;
	}
	/* CF is the old bit; the SDM leaves OF SF AF PF undefined, so they are kept. */
	*rflags = (*rflags & ~INSTR_FLAG_CF) | (old ? INSTR_FLAG_CF : 0);
	return value & alu_mask(size);
}
