/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MMIO instruction decoder and emulator under random input, with fixed seeds
 * so a failure reproduces: plain random bytes, and random instructions built
 * from the supported opcodes with random prefixes, ModRM, SIB and tails (which
 * reach the deep paths random bytes rarely do). Every buffer is an exact-size
 * heap block so ASan catches a read past the valid bytes; the properties
 * checked are those the hypervisor relies on: a defined result, a length
 * within the buffer, truncation at every shorter length, and guest state that
 * is untouched on failure.
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

#define ITERATIONS 200000

struct fuzz_ctx {
	struct instr_ctx ctx;
	uint64_t seed;
	int accesses;
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Mostly success, sometimes a fault, so both commit and roll-back paths run. */
static enum instr_result fuzz_outcome(struct instr_ctx *ctx, uint8_t size, uint64_t *value)
{
	struct fuzz_ctx *f = ctx->opaque;
	uint64_t r = rnd(&f->seed);

	assert_true(size == 1 || size == 2 || size == 4 || size == 8);
	assert_true(++f->accesses <= 2);
	if (value)
		*value = rnd(&f->seed);
	switch (r % 16) {
	case 0:
		return INSTR_PAGE_FAULT;
	case 1:
		return INSTR_GP;
	default:
		return INSTR_OK;
	}
}

static enum instr_result fuzz_read_mmio(struct instr_ctx *ctx, uint64_t gpa, uint8_t size,
					uint64_t *value)
{
	assert_true(gpa == ctx->mmio_gpa);
	return fuzz_outcome(ctx, size, value);
}

static enum instr_result fuzz_write_mmio(struct instr_ctx *ctx, uint64_t gpa, uint8_t size,
					 uint64_t value)
{
	(void)value;
	assert_true(gpa == ctx->mmio_gpa);
	return fuzz_outcome(ctx, size, NULL);
}

static enum instr_result fuzz_read_mem(struct instr_ctx *ctx, enum instr_seg seg, uint64_t offset,
				       uint8_t size, uint64_t *value)
{
	(void)offset;
	assert_true(seg < INSTR_SEG_NONE);
	return fuzz_outcome(ctx, size, value);
}

static enum instr_result fuzz_write_mem(struct instr_ctx *ctx, enum instr_seg seg, uint64_t offset,
					uint8_t size, uint64_t value)
{
	(void)offset;
	(void)value;
	assert_true(seg == INSTR_SEG_ES); /* only MOVS writes memory, always to ES:rDI */
	return fuzz_outcome(ctx, size, NULL);
}

static bool size_ok(uint8_t size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

static void check_operand(const struct instr_operand *o)
{
	switch (o->kind) {
	case INSTR_OPND_REG:
		assert_true(o->reg < INSTR_GPR_COUNT);
		assert_true(!o->high8 || (o->reg < 4 && o->size == 1));
		break;
	case INSTR_OPND_MEM:
		assert_true(o->seg < INSTR_SEG_NONE);
		assert_true(o->base >= -1 && o->base < INSTR_GPR_COUNT);
		assert_true(o->index >= -1 && o->index < INSTR_GPR_COUNT);
		assert_true(o->scale == 1 || o->scale == 2 || o->scale == 4 || o->scale == 8);
		assert_true(!o->rip_relative || o->base == -1);
		break;
	case INSTR_OPND_IMM:
		break;
	default:
		fail_msg("operand kind %d", o->kind);
	}
	assert_true(size_ok(o->size));
}

static enum instr_result decode_exact(const uint8_t *bytes, size_t len, enum instr_mode mode,
				      struct instr *in)
{
	uint8_t *buf = len ? malloc(len) : NULL;
	enum instr_result r;

	if (len) {
		assert_non_null(buf);
		memcpy(buf, bytes, len);
	}
	r = instr_decode(buf, len, mode, in);
	free(buf);
	return r;
}

/* Emulates a decoded instruction on random registers and checks the commit rules. */
static enum instr_result fuzz_emulate(const struct instr *in, uint64_t *seed)
{
	static const uint64_t rip_mask[3] = { 0xffff, 0xffffffff, ~0ull };
	struct fuzz_ctx f = { .seed = *seed | 1 };
	struct instr_ctx before;
	enum instr_result r;

	for (int i = 0; i < INSTR_GPR_COUNT; i++)
		f.ctx.gpr[i] = rnd(&f.seed) >> (rnd(&f.seed) % 64);
	f.ctx.rip = rnd(&f.seed) & rip_mask[in->mode];
	f.ctx.rflags = 0x2 | (rnd(&f.seed) & (INSTR_FLAGS_ARITH | INSTR_FLAG_DF));
	f.ctx.mmio_gpa = rnd(&f.seed) & 0xffffffffff0ull;
	f.ctx.mmio_write = rnd(&f.seed) & 1;
	f.ctx.read_mmio = fuzz_read_mmio;
	f.ctx.write_mmio = fuzz_write_mmio;
	f.ctx.read_guest_memory = fuzz_read_mem;
	f.ctx.write_guest_memory = fuzz_write_mem;
	f.ctx.opaque = &f;
	before = f.ctx;
	r = instr_emulate(in, &f.ctx);
	*seed = f.seed;
	switch (r) {
	case INSTR_OK:
		assert_null(f.ctx.reason);
		assert_true(f.ctx.rip == before.rip ||
			    f.ctx.rip == ((before.rip + in->length) & rip_mask[in->mode]));
		assert_true(f.ctx.rip == before.rip ? in->rep : true);
		/* Only the six arithmetic flags ever change. */
		assert_true(((f.ctx.rflags ^ before.rflags) & ~INSTR_FLAGS_ARITH) == 0);
		break;
	case INSTR_UNSUPPORTED:
	case INSTR_PAGE_FAULT:
	case INSTR_GP:
		assert_non_null(f.ctx.reason);
		assert_memory_equal(f.ctx.gpr, before.gpr, sizeof(before.gpr));
		assert_true(f.ctx.rip == before.rip);
		assert_true(f.ctx.rflags == before.rflags);
		break;
	default:
		fail_msg("emulate returned %d", r);
	}
	return r;
}

/* Checks one decode of bytes[0..len); returns the result. */
static enum instr_result fuzz_one(const uint8_t *bytes, size_t len, enum instr_mode mode,
				  uint64_t *seed, int *emulated_ok)
{
	struct instr in, shorter;
	enum instr_result r = decode_exact(bytes, len, mode, &in);
	size_t valid = len > INSTR_MAX_LEN ? INSTR_MAX_LEN : len;

	assert_true(r >= INSTR_OK && r < INSTR_RESULT_COUNT);
	assert_true(r != INSTR_PAGE_FAULT);
	assert_true(in.length <= valid);
	assert_int_equal(in.mode, mode);
	if (r != INSTR_OK) {
		assert_non_null(in.reason);
		assert_int_equal(in.op, INSTR_OP_NONE);
		if (r == INSTR_TRUNCATED)
			assert_int_equal(in.length, valid);
		if (r == INSTR_GP)
			assert_int_equal(in.length, INSTR_MAX_LEN);
		return r;
	}
	assert_null(in.reason);
	assert_true(in.op > INSTR_OP_NONE && in.op < INSTR_OP_COUNT);
	assert_true(in.length >= 1);
	assert_true(size_ok(in.opsize));
	assert_true(in.addrsize == 2 || in.addrsize == 4 || in.addrsize == 8);
	assert_true(in.mode == INSTR_MODE_64 ? in.addrsize != 2 : in.addrsize != 8);
	check_operand(&in.dst);
	check_operand(&in.src);
	/* Every proper prefix of a good instruction is a truncated one. */
	for (size_t k = 0; k < in.length; k++) {
		enum instr_result rk = decode_exact(bytes, k, mode, &shorter);

		if (rk != INSTR_TRUNCATED)
			fail_msg("length %u instruction cut to %zu: %s", in.length, k,
				 instr_result_name(rk));
	}
	if (fuzz_emulate(&in, seed) == INSTR_OK)
		(*emulated_ok)++;
	return r;
}

static void test_random_bytes(void **state)
{
	uint64_t seed = 0x2545f4914f6cdd1dull;
	int counts[INSTR_RESULT_COUNT] = { 0 }, emulated = 0;

	(void)state;
	for (int i = 0; i < ITERATIONS; i++) {
		uint8_t bytes[20];
		size_t len = rnd(&seed) % 21; /* up to 20: more than 15 must be ignored */
		enum instr_mode mode = (enum instr_mode)(rnd(&seed) % 3);

		for (size_t k = 0; k < sizeof(bytes); k++)
			bytes[k] = (uint8_t)rnd(&seed);
		counts[fuzz_one(bytes, len, mode, &seed, &emulated)]++;
	}
	print_message("# random bytes: ok %d unsupported %d bad %d truncated %d gp %d, "
		      "emulated %d\n",
		      counts[INSTR_OK], counts[INSTR_UNSUPPORTED], counts[INSTR_BAD],
		      counts[INSTR_TRUNCATED], counts[INSTR_GP], emulated);
	assert_true(counts[INSTR_OK] > 0 && counts[INSTR_UNSUPPORTED] > 0);
	assert_true(counts[INSTR_TRUNCATED] > 0 && emulated > 0);
}

/* Random instructions around the supported opcodes. */
static void test_structured(void **state)
{
	static const uint16_t opcodes[] = {
		0x00,	0x01,	0x02,	0x03,	0x08,	0x09,	0x0a,	0x0b,	0x10,	0x11,
		0x12,	0x13,	0x18,	0x19,	0x1a,	0x1b,	0x20,	0x21,	0x22,	0x23,
		0x28,	0x29,	0x2a,	0x2b,	0x30,	0x31,	0x32,	0x33,	0x38,	0x39,
		0x3a,	0x3b,	0x63,	0x80,	0x81,	0x83,	0x84,	0x85,	0x86,	0x87,
		0x88,	0x89,	0x8a,	0x8b,	0xa0,	0xa1,	0xa2,	0xa3,	0xa4,	0xa5,
		0xaa,	0xab,	0xac,	0xad,	0xc6,	0xc7,	0xf6,	0xf7,	0x0fa3, 0x0fab,
		0x0fb3, 0x0fbb, 0x0fb6, 0x0fb7, 0x0fba, 0x0fbe, 0x0fbf, 0x0fc3,
	};
	static const uint8_t prefixes[] = { 0x66, 0x67, 0xf2, 0xf3, 0x26, 0x2e,
					    0x36, 0x3e, 0x64, 0x65, 0xf0 };
	uint64_t seed = 0x853c49e6748fea9bull;
	int counts[INSTR_RESULT_COUNT] = { 0 }, ops[INSTR_OP_COUNT] = { 0 }, emulated = 0;

	(void)state;
	for (int i = 0; i < ITERATIONS; i++) {
		uint8_t bytes[32];
		size_t n = 0, np = rnd(&seed) % 5, len, modrm_at;
		enum instr_mode mode = (enum instr_mode)(rnd(&seed) % 3);
		uint16_t opcode = opcodes[rnd(&seed) % (sizeof(opcodes) / sizeof(opcodes[0]))];
		struct instr in;
		enum instr_result r;

		for (size_t k = 0; k < np; k++)
			bytes[n++] = prefixes[rnd(&seed) % sizeof(prefixes)];
		if (mode == INSTR_MODE_64 && rnd(&seed) % 2)
			bytes[n++] = (uint8_t)(0x40 | (rnd(&seed) & 0xf));
		if (opcode > 0xff)
			bytes[n++] = 0x0f;
		bytes[n++] = (uint8_t)opcode;
		modrm_at = n;
		while (n < sizeof(bytes))
			bytes[n++] = (uint8_t)rnd(&seed);
		/* Favour memory forms (mod != 3) and full-length buffers. */
		if (rnd(&seed) % 2)
			bytes[modrm_at] &= 0xbf;
		len = rnd(&seed) % 4 ? INSTR_MAX_LEN : rnd(&seed) % (INSTR_MAX_LEN + 1);
		r = fuzz_one(bytes, len, mode, &seed, &emulated);
		counts[r]++;
		if (r == INSTR_OK && decode_exact(bytes, len, mode, &in) == INSTR_OK)
			ops[in.op]++;
	}
	print_message("# structured: ok %d unsupported %d bad %d truncated %d gp %d, "
		      "emulated %d\n",
		      counts[INSTR_OK], counts[INSTR_UNSUPPORTED], counts[INSTR_BAD],
		      counts[INSTR_TRUNCATED], counts[INSTR_GP], emulated);
	assert_true(counts[INSTR_OK] > ITERATIONS / 2);
	assert_true(counts[INSTR_BAD] > 0 && counts[INSTR_TRUNCATED] > 0 && counts[INSTR_GP] > 0);
	assert_true(emulated > ITERATIONS / 4);
	/* Every operation was reached. */
	for (int op = INSTR_OP_NONE + 1; op < INSTR_OP_COUNT; op++)
		if (ops[op] == 0)
			fail_msg("structured fuzz never produced %s", instr_op_name(op));
}

/* Long runs of prefixes: the 15-byte limit, never a loop past it. */
static void test_prefix_floods(void **state)
{
	static const uint8_t prefixes[] = { 0x66, 0x67, 0xf2, 0xf3, 0x26, 0x2e, 0x36,
					    0x3e, 0x64, 0x65, 0xf0, 0x40, 0x48, 0x4f };
	uint64_t seed = 0xda3e39cb94b95bdbull;
	int emulated = 0;

	(void)state;
	for (int i = 0; i < ITERATIONS / 10; i++) {
		uint8_t bytes[INSTR_MAX_LEN + 1];
		size_t np = rnd(&seed) % (INSTR_MAX_LEN + 1);
		enum instr_mode mode = (enum instr_mode)(rnd(&seed) % 3);
		/* 40-4F are prefixes (REX) only in 64-bit mode. */
		size_t choices = sizeof(prefixes) - (mode == INSTR_MODE_64 ? 0 : 3);
		enum instr_result r;

		for (size_t k = 0; k < sizeof(bytes); k++)
			bytes[k] = k < np ? prefixes[rnd(&seed) % choices]
					  : (uint8_t)(k == np ? 0x89 : 0x00);
		r = fuzz_one(bytes, sizeof(bytes), mode, &seed, &emulated);
		if (np + 2 > INSTR_MAX_LEN)
			assert_int_equal(r, INSTR_GP);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_structured),
		cmocka_unit_test(test_prefix_floods),
	};
	return cmocka_run_group_tests_name("instr_fuzz", tests, NULL, NULL);
}
