/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Arithmetic and flags of the MMIO instruction emulator (instr_compute_alu,
 * instr_compute_bit_op) against the host CPU itself: on an x86-64 host every
 * operation runs as a real instruction on register operands with the same
 * input flags, for 20000 value pairs per operation and operand size, biased
 * towards the carry, overflow and sign corners. Flags the SDM leaves
 * undefined are not compared.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/instr.h"

#define FLAGS_BASE  0x202ull /* bit 1 is always set; IF on */
#define FLAGS_ARITH INSTR_FLAGS_ARITH
#define CF	    INSTR_FLAG_CF
#define AF	    INSTR_FLAG_AF

#if defined(__x86_64__)
/*
 * The host CPU as the reference: run the real instruction on register
 * operands with chosen input flags. The asm steps over the red zone before
 * pushing, and only takes register operands.
 */
#define HW_OP(name, insn, type)                                                                    \
	static uint64_t hw_##name##_##type(uint64_t a, uint64_t b, uint64_t *flags)                \
	{                                                                                          \
		type x = (type)a, y = (type)b;                                                     \
		uint64_t f = *flags;                                                               \
		__asm__ volatile("lea -128(%%rsp), %%rsp\n\t"                                      \
				 "push %[f]\n\t"                                                   \
				 "popfq\n\t" insn " %[y], %[x]\n\t"                                \
				 "pushfq\n\t"                                                      \
				 "pop %[f]\n\t"                                                    \
				 "lea 128(%%rsp), %%rsp"                                           \
				 : [x] "+r"(x), [f] "+r"(f)                                        \
				 : [y] "r"(y)                                                      \
				 : "cc", "memory");                                                \
		*flags = f;                                                                        \
		return (uint64_t)x;                                                                \
	}
#define HW_ALU_OPS(type)                                                                           \
	HW_OP(add, "add", type)                                                                    \
	HW_OP(or, "or", type)                                                                      \
	HW_OP(adc, "adc", type)                                                                    \
	HW_OP(sbb, "sbb", type)                                                                    \
	HW_OP(and, "and", type)                                                                    \
	HW_OP(sub, "sub", type)                                                                    \
	HW_OP(xor, "xor", type)                                                                    \
	HW_OP(cmp, "cmp", type)                                                                    \
	HW_OP(test, "test", type)
#define HW_BIT_OPS(type)                                                                           \
	HW_OP(bt, "bt", type)                                                                      \
	HW_OP(bts, "bts", type)                                                                    \
	HW_OP(btr, "btr", type)                                                                    \
	HW_OP(btc, "btc", type)
HW_ALU_OPS(uint8_t)
HW_ALU_OPS(uint16_t)
HW_ALU_OPS(uint32_t)
HW_ALU_OPS(uint64_t)
HW_BIT_OPS(uint16_t)
HW_BIT_OPS(uint32_t)
HW_BIT_OPS(uint64_t)

typedef uint64_t (*hw_fn)(uint64_t a, uint64_t b, uint64_t *flags);

#define HW_ROW(name)                                                                               \
	{                                                                                          \
		hw_##name##_uint8_t, hw_##name##_uint16_t, hw_##name##_uint32_t,                   \
		    hw_##name##_uint64_t                                                           \
	}

static const struct {
	enum instr_op op;
	bool writes;
	uint64_t defined; /* flags the SDM defines for it */
	hw_fn fn[4];	  /* sizes 1 2 4 8 */
} hw_ops[] = {
	{ INSTR_OP_ADD, true, FLAGS_ARITH, HW_ROW(add) },
	{ INSTR_OP_OR, true, FLAGS_ARITH & ~AF, HW_ROW(or) },
	{ INSTR_OP_ADC, true, FLAGS_ARITH, HW_ROW(adc) },
	{ INSTR_OP_SBB, true, FLAGS_ARITH, HW_ROW(sbb) },
	{ INSTR_OP_AND, true, FLAGS_ARITH & ~AF, HW_ROW(and) },
	{ INSTR_OP_SUB, true, FLAGS_ARITH, HW_ROW(sub) },
	{ INSTR_OP_XOR, true, FLAGS_ARITH & ~AF, HW_ROW(xor) },
	{ INSTR_OP_CMP, false, FLAGS_ARITH, HW_ROW(cmp) },
	{ INSTR_OP_TEST, false, FLAGS_ARITH & ~AF, HW_ROW(test) },
	{ INSTR_OP_BT, false, CF, { NULL, hw_bt_uint16_t, hw_bt_uint32_t, hw_bt_uint64_t } },
	{ INSTR_OP_BTS, true, CF, { NULL, hw_bts_uint16_t, hw_bts_uint32_t, hw_bts_uint64_t } },
	{ INSTR_OP_BTR, true, CF, { NULL, hw_btr_uint16_t, hw_btr_uint32_t, hw_btr_uint64_t } },
	{ INSTR_OP_BTC, true, CF, { NULL, hw_btc_uint16_t, hw_btc_uint32_t, hw_btc_uint64_t } },
};

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Mostly the corners where carries and overflows live, some plain random values. */
static uint64_t interesting(uint64_t *s, unsigned int size)
{
	static const uint64_t corners[] = { 0, 1, 2, 0x0f, 0x10, 0x7f, 0x80, 0xff };
	uint64_t bits = 8ull * size, r = xorshift(s);

	switch (r % 6) {
	case 0:
		return corners[(r >> 8) % 8];
	case 1:
		return (1ull << (bits - 1)) - (r >> 8) % 3; /* around the sign bit */
	case 2:
		return (1ull << (bits - 1)) + (r >> 8) % 3;
	case 3:
		return ~0ull - (r >> 8) % 3; /* around -1 */
	default:
		return xorshift(s);
	}
}

static void test_alu_matches_cpu(void **state)
{
	static const uint8_t sizes[4] = { 1, 2, 4, 8 };
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (size_t o = 0; o < sizeof(hw_ops) / sizeof(hw_ops[0]); o++) {
		for (int si = 0; si < 4; si++) {
			uint8_t size = sizes[si];
			uint64_t mask = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;

			if (hw_ops[o].fn[si] == NULL)
				continue;
			for (int i = 0; i < 20000; i++) {
				uint64_t a = interesting(&seed, size) & mask;
				uint64_t b = interesting(&seed, size) & mask;
				uint64_t in_flags = FLAGS_BASE | (xorshift(&seed) & FLAGS_ARITH);
				uint64_t hw_flags = in_flags, sw_flags = in_flags, hw, sw;

				hw = hw_ops[o].fn[si](a, b, &hw_flags) & mask;
				if (hw_ops[o].defined == CF)
					sw = instr_compute_bit_op(hw_ops[o].op, size, a, b,
								  &sw_flags);
				else
					sw = instr_compute_alu(hw_ops[o].op, size, a, b, &sw_flags);
				if (hw_ops[o].writes && hw != sw)
					fail_msg(
					    "%s size %u: %#llx, %#llx -> cpu %#llx, ours %#llx",
					    instr_op_name(hw_ops[o].op), size,
					    (unsigned long long)a, (unsigned long long)b,
					    (unsigned long long)hw, (unsigned long long)sw);
				if ((hw_flags ^ sw_flags) & hw_ops[o].defined)
					fail_msg(
					    "%s size %u: %#llx, %#llx flags %#llx -> cpu %#llx, "
					    "ours %#llx",
					    instr_op_name(hw_ops[o].op), size,
					    (unsigned long long)a, (unsigned long long)b,
					    (unsigned long long)in_flags,
					    (unsigned long long)hw_flags,
					    (unsigned long long)sw_flags);
				/* Undefined flags are kept (BT*), AF cleared (logic ops). */
				if (hw_ops[o].defined == CF)
					assert_true((sw_flags & ~CF) == (in_flags & ~CF));
			}
		}
	}
}
#else
static void test_alu_matches_cpu(void **state)
{
	(void)state;
	skip();
}
#endif

static void test_alu_bad_size(void **state)
{
	uint64_t flags = FLAGS_BASE;

	(void)state;
	assert_int_equal(instr_compute_alu(INSTR_OP_ADD, 0, 5, 6, &flags), 5);
	assert_int_equal(instr_compute_alu(INSTR_OP_ADD, 3, 5, 6, &flags), 5);
	assert_int_equal(instr_compute_alu(INSTR_OP_MOV, 4, 5, 6, &flags), 5);
	assert_int_equal(instr_compute_bit_op(INSTR_OP_BTS, 0, 5, 1, &flags), 5);
	assert_int_equal(instr_compute_bit_op(INSTR_OP_ADD, 4, 5, 1, &flags), 5);
	assert_true(flags == FLAGS_BASE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alu_matches_cpu),
		cmocka_unit_test(test_alu_bad_size),
	};
	return cmocka_run_group_tests_name("instr_alu", tests, NULL, NULL);
}
