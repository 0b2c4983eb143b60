/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MMIO instruction decoder, second part: 16- and 32-bit modes, prefixes and
 * their combinations, unsupported and invalid encodings, the 15-byte limit and
 * truncation at every length. As in test_instr.c, each instruction is decoded
 * from an exactly-sized heap buffer so that ASan reports any read past it.
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

#define M16 INSTR_MODE_16
#define M32 INSTR_MODE_32
#define M64 INSTR_MODE_64

/* "48 8b 05" -> bytes; returns the count. */
static size_t hex_parse(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (*hex) {
		unsigned int v;

		if (*hex == ' ') {
			hex++;
			continue;
		}
		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		assert_true(n < max);
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

/* Decodes the first len bytes of hex from a heap buffer of exactly len bytes. */
static enum instr_result decode_prefix_len(enum instr_mode mode, const char *hex, size_t len,
					   struct instr *in)
{
	uint8_t tmp[32];
	size_t n = hex_parse(hex, tmp, sizeof(tmp));
	uint8_t *buf;
	enum instr_result r;

	assert_true(len <= n);
	buf = len ? malloc(len) : NULL;
	if (len)
		assert_non_null(buf);
	memcpy(buf ? buf : tmp, tmp, len);
	r = instr_decode(buf, len, mode, in);
	free(buf);
	return r;
}

static size_t hex_len(const char *hex)
{
	uint8_t tmp[32];

	return hex_parse(hex, tmp, sizeof(tmp));
}

static enum instr_result decode(enum instr_mode mode, const char *hex, struct instr *in)
{
	return decode_prefix_len(mode, hex, hex_len(hex), in);
}

/* Decodes hex, which must be one whole supported instruction. */
static struct instr decode_ok(enum instr_mode mode, const char *hex)
{
	struct instr in;
	enum instr_result r = decode(mode, hex, &in);

	if (r != INSTR_OK)
		fail_msg("'%s': %s (%s)", hex, instr_result_name(r), in.reason ? in.reason : "");
	assert_int_equal(in.length, hex_len(hex));
	assert_null(in.reason);
	return in;
}

static void expect_result(enum instr_mode mode, const char *hex, enum instr_result want)
{
	struct instr in;
	enum instr_result r = decode(mode, hex, &in);

	if (r != want)
		fail_msg("'%s': got %s, want %s", hex, instr_result_name(r),
			 instr_result_name(want));
	if (want != INSTR_OK) {
		assert_non_null(in.reason);
		assert_int_equal(in.op, INSTR_OP_NONE);
	}
}

static void assert_reg(const struct instr_operand *o, int reg, int size, bool high8)
{
	assert_int_equal(o->kind, INSTR_OPND_REG);
	assert_int_equal(o->reg, reg);
	assert_int_equal(o->size, size);
	assert_int_equal(o->high8, high8);
}

static void assert_mem(const struct instr_operand *o, int seg, int base, int index, int scale,
		       int64_t disp, int size)
{
	assert_int_equal(o->kind, INSTR_OPND_MEM);
	assert_int_equal(o->seg, seg);
	assert_int_equal(o->base, base);
	assert_int_equal(o->index, index);
	if (index >= 0)
		assert_int_equal(o->scale, scale);
	assert_true(o->disp == disp);
	assert_int_equal(o->size, size);
}

static void test_mode_16(void **state)
{
	struct instr in;

	(void)state;
	in = decode_ok(M16, "89 07"); /* mov [bx],ax */
	assert_int_equal(in.opsize, 2);
	assert_int_equal(in.addrsize, 2);
	assert_mem(&in.dst, INSTR_SEG_DS, INSTR_RBX, -1, 1, 0, 2);
	assert_reg(&in.src, INSTR_RAX, 2, false);
	in = decode_ok(M16, "89 00"); /* [bx+si] */
	assert_mem(&in.dst, INSTR_SEG_DS, INSTR_RBX, INSTR_RSI, 1, 0, 2);
	in = decode_ok(M16, "89 01"); /* [bx+di] */
	assert_mem(&in.dst, INSTR_SEG_DS, INSTR_RBX, INSTR_RDI, 1, 0, 2);
	in = decode_ok(M16, "89 02"); /* [bp+si]: SS */
	assert_mem(&in.dst, INSTR_SEG_SS, INSTR_RBP, INSTR_RSI, 1, 0, 2);
	in = decode_ok(M16, "89 03"); /* [bp+di] */
	assert_mem(&in.dst, INSTR_SEG_SS, INSTR_RBP, INSTR_RDI, 1, 0, 2);
	in = decode_ok(M16, "89 04"); /* [si] */
	assert_mem(&in.dst, INSTR_SEG_DS, INSTR_RSI, -1, 1, 0, 2);
	in = decode_ok(M16, "89 05"); /* [di] */
	assert_mem(&in.dst, INSTR_SEG_DS, INSTR_RDI, -1, 1, 0, 2);
	in = decode_ok(M16, "89 06 34 12"); /* [0x1234] */
	assert_mem(&in.dst, INSTR_SEG_DS, -1, -1, 1, 0x1234, 2);
	in = decode_ok(M16, "89 46 02"); /* [bp+2]: SS */
	assert_mem(&in.dst, INSTR_SEG_SS, INSTR_RBP, -1, 1, 2, 2);
	in = decode_ok(M16, "89 87 34 f2"); /* [bx-0xdcc] */
	assert_mem(&in.dst, INSTR_SEG_DS, INSTR_RBX, -1, 1, (int16_t)0xf234, 2);
	in = decode_ok(M16, "89 44 fe"); /* [si-2] */
	assert_true(in.dst.disp == -2);
	in = decode_ok(M16, "3e 89 46 02"); /* ds:[bp+2] */
	assert_int_equal(in.dst.seg, INSTR_SEG_DS);
	in = decode_ok(M16, "66 89 07"); /* mov [bx],eax */
	assert_int_equal(in.opsize, 4);
	in = decode_ok(M16, "c7 06 34 12 78 56"); /* mov word [0x1234],0x5678 */
	assert_int_equal(in.imm, 0x5678);
	assert_true(in.dst.disp == 0x1234);
	in = decode_ok(M16, "67 89 04 24"); /* mov [esp],ax: 32-bit addressing */
	assert_mem(&in.dst, INSTR_SEG_SS, INSTR_RSP, -1, 1, 0, 2);
	in = decode_ok(M16, "67 89 05 78 56 34 12"); /* [0x12345678], not RIP-relative */
	assert_false(in.dst.rip_relative);
	assert_mem(&in.dst, INSTR_SEG_DS, -1, -1, 1, 0x12345678, 2);
	{
		uint64_t gpr[INSTR_GPR_COUNT] = { [INSTR_RBX] = 0xffff, [INSTR_RSI] = 2 };

		in = decode_ok(M16, "89 00");
		/* 16-bit address arithmetic wraps at 64 KiB. */
		assert_int_equal(instr_operand_offset(&in, &in.dst, gpr, 0), 1);
	}
}

static void test_mode_32(void **state)
{
	struct instr in;

	(void)state;
	in = decode_ok(M32, "89 08");
	assert_int_equal(in.opsize, 4);
	assert_int_equal(in.addrsize, 4);
	in = decode_ok(M32, "89 05 78 56 34 12"); /* [0x12345678]: absolute outside 64-bit mode */
	assert_false(in.dst.rip_relative);
	assert_mem(&in.dst, INSTR_SEG_DS, -1, -1, 1, 0x12345678, 4);
	in = decode_ok(M32, "66 89 08");
	assert_int_equal(in.opsize, 2);
	in = decode_ok(M32, "67 89 07"); /* mov [bx],eax */
	assert_int_equal(in.addrsize, 2);
	assert_mem(&in.dst, INSTR_SEG_DS, INSTR_RBX, -1, 1, 0, 4);
	in = decode_ok(M32, "0f b7 04 8d 00 00 e0 fe"); /* movzx eax,word [ecx*4+0xfee00000] */
	assert_mem(&in.src, INSTR_SEG_DS, -1, INSTR_RCX, 4, (int32_t)0xfee00000, 2);
	/* 40-4F are INC/DEC outside 64-bit mode, never REX. */
	expect_result(M32, "48 89 08", INSTR_UNSUPPORTED);
	expect_result(M16, "41 89 08", INSTR_UNSUPPORTED);
	in = decode_ok(M32, "88 20"); /* mov [eax],ah */
	assert_reg(&in.src, INSTR_RAX, 1, true);
}

static void test_prefixes(void **state)
{
	static const struct {
		enum instr_mode mode;
		const char *hex;
		int override, seg;
	} segs[] = {
		{ M32, "26 89 08", INSTR_SEG_ES, INSTR_SEG_ES },
		{ M32, "2e 89 08", INSTR_SEG_CS, INSTR_SEG_CS },
		{ M32, "36 89 08", INSTR_SEG_SS, INSTR_SEG_SS },
		{ M32, "3e 89 08", INSTR_SEG_DS, INSTR_SEG_DS },
		{ M32, "64 89 08", INSTR_SEG_FS, INSTR_SEG_FS },
		{ M32, "65 89 08", INSTR_SEG_GS, INSTR_SEG_GS },
		{ M32, "64 65 89 08", INSTR_SEG_GS, INSTR_SEG_GS }, /* the last one wins */
		{ M32, "65 26 89 08", INSTR_SEG_ES, INSTR_SEG_ES },
		{ M32, "3e 89 45 08", INSTR_SEG_DS, INSTR_SEG_DS }, /* ds:[ebp+8] */
		{ M16, "26 89 07", INSTR_SEG_ES, INSTR_SEG_ES },
		{ M64, "64 89 08", INSTR_SEG_FS, INSTR_SEG_FS },
		{ M64, "65 89 08", INSTR_SEG_GS, INSTR_SEG_GS },
		{ M64, "64 48 8b 04 25 28 00 00 00", INSTR_SEG_FS, INSTR_SEG_FS },
		/* 64-bit mode ignores ES CS SS DS overrides: defaults stay, FS/GS are kept. */
		{ M64, "26 89 08", INSTR_SEG_NONE, INSTR_SEG_DS },
		{ M64, "2e 89 08", INSTR_SEG_NONE, INSTR_SEG_DS },
		{ M64, "36 89 08", INSTR_SEG_NONE, INSTR_SEG_DS },
		{ M64, "3e 89 4d 08", INSTR_SEG_NONE, INSTR_SEG_SS },
		{ M64, "65 2e 89 08", INSTR_SEG_GS, INSTR_SEG_GS },
		{ M64, "64 3e 89 08", INSTR_SEG_FS, INSTR_SEG_FS },
	};
	struct instr in;

	(void)state;
	for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
		in = decode_ok(segs[i].mode, segs[i].hex);
		assert_int_equal(in.seg_override, segs[i].override);
		assert_int_equal(in.dst.kind == INSTR_OPND_MEM ? in.dst.seg : in.src.seg,
				 segs[i].seg);
	}
	in = decode_ok(M64, "89 08");
	assert_int_equal(in.seg_override, INSTR_SEG_NONE);

	in = decode_ok(M64, "66 48 89 08"); /* REX.W beats 66 */
	assert_int_equal(in.opsize, 8);
	assert_int_equal(in.prefixes, INSTR_PFX_OPSIZE | INSTR_PFX_REX);
	in = decode_ok(M64, "48 66 89 08"); /* a REX before a legacy prefix is ignored */
	assert_int_equal(in.opsize, 2);
	assert_int_equal(in.rex, 0);
	assert_int_equal(in.prefixes, INSTR_PFX_OPSIZE);
	in = decode_ok(M64, "41 64 89 08"); /* ignored REX.B: [rax], not [r8] */
	assert_int_equal(in.dst.base, INSTR_RAX);
	in = decode_ok(M64, "48 41 89 08"); /* two REX: only the last counts */
	assert_int_equal(in.opsize, 4);
	assert_int_equal(in.dst.base, INSTR_R8);
	in = decode_ok(M64, "66 66 66 89 08"); /* repeated prefixes */
	assert_int_equal(in.opsize, 2);
	in = decode_ok(M64, "66 67 f3 2e 89 08");
	assert_int_equal(in.prefixes, INSTR_PFX_OPSIZE | INSTR_PFX_ADDRSIZE | INSTR_PFX_REP);
	in = decode_ok(M64, "f2 f3 ab"); /* the last of F2/F3 wins */
	assert_int_equal(in.prefixes, INSTR_PFX_REP);
	in = decode_ok(M64, "f3 f2 ab");
	assert_int_equal(in.prefixes, INSTR_PFX_REPNE);
	assert_true(in.rep);

	/* LOCK: only lockable operations with a memory destination. */
	in = decode_ok(M64, "f0 01 08"); /* lock add [rax],ecx */
	assert_int_equal(in.prefixes, INSTR_PFX_LOCK);
	decode_ok(M64, "f0 87 08");		      /* lock xchg */
	decode_ok(M64, "f0 0f ab 08");		      /* lock bts */
	decode_ok(M64, "f0 0f ba 28 01");	      /* lock bts [rax],1 */
	decode_ok(M64, "f0 80 20 fe");		      /* lock and byte [rax],0xfe */
	decode_ok(M64, "66 f0 48 83 08 01");	      /* lock or qword [rax],1 */
	decode_ok(M64, "f0 19 08");		      /* lock sbb */
	expect_result(M64, "f0 89 08", INSTR_BAD);    /* mov */
	expect_result(M64, "f0 01 c8", INSTR_BAD);    /* register destination */
	expect_result(M64, "f0 03 08", INSTR_BAD);    /* add ecx,[rax]: register destination */
	expect_result(M64, "f0 39 08", INSTR_BAD);    /* cmp */
	expect_result(M64, "f0 85 08", INSTR_BAD);    /* test */
	expect_result(M64, "f0 0f a3 08", INSTR_BAD); /* bt */
	expect_result(M64, "f0 ab", INSTR_BAD);	      /* stos */
	expect_result(M64, "f0 a3 00 00 00 00 00 00 00 00", INSTR_BAD);
	expect_result(M64, "f0 0f b6 08", INSTR_BAD); /* movzx */
	expect_result(M64, "f0 c7 00 01 00 00 00", INSTR_BAD);
}

static void test_unsupported(void **state)
{
	static const char *const hex[] = {
		"90",		     /* nop */
		"0f 0b",	     /* ud2 */
		"0f 01 d9",	     /* vmmcall */
		"c5 f9 6f 00",	     /* vmovdqa: VEX */
		"c4 e1 79 6f 00",    /* VEX3 */
		"62 f1 7c 48 28 00", /* EVEX */
		"0f 38 00 00",	     /* three-byte map */
		"0f 3a 0f 00 00",    /* three-byte map */
		"0f 28 00",	     /* movaps: no XMM state here */
		"66 0f 6f 00",	     /* movdqa */
		"ff 00",	     /* inc */
		"fe 08",	     /* dec byte */
		"0f b1 08",	     /* cmpxchg */
		"0f c1 08",	     /* xadd */
		"8f 00",	     /* pop */
		"d1 20",	     /* shl */
		"05 01 00 00 00",    /* add eax,imm: no memory operand */
		"82 00 01",	     /* invalid in 64-bit mode */
		"f4",		     /* hlt */
		"8c 00",	     /* mov [rax],es */
	};
	struct instr in;

	(void)state;
	for (size_t i = 0; i < sizeof(hex) / sizeof(hex[0]); i++) {
		expect_result(M64, hex[i], INSTR_UNSUPPORTED);
		decode(M64, hex[i], &in);
		assert_true(in.length >= 1 && in.length <= hex_len(hex[i]));
	}
	decode(M64, "66 90", &in);
	assert_int_equal(in.length, 2);
	assert_string_equal(in.reason, "opcode not emulated");
	expect_result(M32, "c4 00", INSTR_UNSUPPORTED); /* les in 32-bit mode */
	assert_int_equal(instr_decode((const uint8_t *)"\x89\x08", 2, (enum instr_mode)7, &in),
			 INSTR_UNSUPPORTED);
	assert_int_equal(instr_decode(NULL, 0, M64, &in), INSTR_TRUNCATED);
	assert_int_equal(in.length, 0);
	/* Register-only forms decode; instr_emulate() turns them down. */
	in = decode_ok(M64, "8b c8"); /* mov ecx,eax */
	assert_reg(&in.src, INSTR_RAX, 4, false);
	assert_reg(&in.dst, INSTR_RCX, 4, false);
}

static void test_length_limit(void **state)
{
	struct instr in;

	(void)state;
	/* 13 prefixes + 2 bytes = 15: the longest legal instruction. */
	in = decode_ok(M64, "26 26 26 26 26 26 26 26 26 26 26 26 26 89 08");
	assert_int_equal(in.length, 15);
	/* One more prefix: 16 bytes, #GP even with 16 valid bytes in the buffer. */
	expect_result(M64, "26 26 26 26 26 26 26 26 26 26 26 26 26 26 89 08", INSTR_GP);
	expect_result(M64, "26 26 26 26 26 26 26 26 26 26 26 26 26 26 26", INSTR_GP);
	in = decode_ok(M64, "26 26 26 26 48 c7 80 78 56 34 12 78 56 34 12");
	assert_int_equal(in.length, 15);
	expect_result(M64, "26 26 26 26 26 48 c7 80 78 56 34 12 78 56 34 12", INSTR_GP);
	decode(M64, "26 26 26 26 26 48 c7 80 78 56 34 12 78 56 34 12", &in);
	assert_int_equal(in.length, 15);
	/* A buffer shorter than 15 bytes that ends inside the prefixes is truncation. */
	expect_result(M64, "66 66 66 66 66 66 66 66 66 66", INSTR_TRUNCATED);
}

/* Every proper prefix of each instruction is truncated; the whole is not. */
static void test_truncated_every_length(void **state)
{
	static const struct {
		enum instr_mode mode;
		const char *hex;
	} cases[] = {
		{ M64, "89 08" },
		{ M64, "48 8b 05 78 56 34 12" },
		{ M64, "66 c7 40 10 34 12" },
		{ M64, "f3 ab" },
		{ M64, "0f b6 08" },
		{ M64, "83 38 05" },
		{ M64, "48 a1 88 77 66 55 44 33 22 11" },
		{ M64, "64 48 c7 84 88 78 56 34 12 ff ff ff ff" },
		{ M64, "f0 48 0f ba 2c 24 3f" },
		{ M64, "26 26 26 26 48 c7 80 78 56 34 12 78 56 34 12" },
		{ M64, "44 0f be 44 24 f0" },
		{ M64, "48 63 0c 25 00 10 00 00" },
		{ M64, "0f c3 48 08" },
		{ M16, "c7 06 34 12 78 56" },
		{ M16, "67 66 81 84 48 00 00 e0 fe 78 56 34 12" },
		{ M32, "f7 05 00 00 e0 fe 00 00 00 80" },
		{ M32, "67 a1 34 12" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = hex_len(cases[i].hex);
		struct instr in;

		for (size_t len = 0; len < n; len++) {
			enum instr_result r =
			    decode_prefix_len(cases[i].mode, cases[i].hex, len, &in);

			if (r != INSTR_TRUNCATED)
				fail_msg("'%s' cut to %zu bytes: %s", cases[i].hex, len,
					 instr_result_name(r));
			assert_true(in.length <= len);
			assert_int_equal(in.op, INSTR_OP_NONE);
			assert_non_null(in.reason);
		}
		assert_int_equal(decode(cases[i].mode, cases[i].hex, &in), INSTR_OK);
		assert_int_equal(in.length, n);
	}
}

/* Bytes after the instruction are never consumed, and more than 15 are ignored. */
static void test_trailing_bytes(void **state)
{
	uint8_t buf[64];
	struct instr in;

	(void)state;
	memset(buf, 0x90, sizeof(buf));
	buf[0] = 0x89;
	buf[1] = 0x08;
	assert_int_equal(instr_decode(buf, sizeof(buf), M64, &in), INSTR_OK);
	assert_int_equal(in.length, 2);
	memset(buf, 0x26, sizeof(buf));
	assert_int_equal(instr_decode(buf, sizeof(buf), M64, &in), INSTR_GP);
	assert_int_equal(in.length, 15);
}

static void test_helpers(void **state)
{
	(void)state;
	assert_int_equal(instr_mode_from_cs(true, true, false), M64);
	assert_int_equal(instr_mode_from_cs(true, false, true), M32);  /* compatibility mode */
	assert_int_equal(instr_mode_from_cs(true, false, false), M16); /* 16-bit compat */
	assert_int_equal(instr_mode_from_cs(false, true, true), M32);  /* L ignored without LMA */
	assert_int_equal(instr_mode_from_cs(false, false, false), M16);
	assert_int_equal(instr_result_exception(INSTR_OK), -1);
	assert_int_equal(instr_result_exception(INSTR_UNSUPPORTED), 6);
	assert_int_equal(instr_result_exception(INSTR_BAD), 6);
	assert_int_equal(instr_result_exception(INSTR_TRUNCATED), 6);
	assert_int_equal(instr_result_exception(INSTR_GP), 13);
	assert_int_equal(instr_result_exception(INSTR_PAGE_FAULT), 14);
	assert_int_equal(instr_result_exception((enum instr_result)99), 6);
	for (int r = 0; r < INSTR_RESULT_COUNT; r++)
		assert_non_null(instr_result_name((enum instr_result)r));
	assert_string_equal(instr_result_name((enum instr_result) - 1), "(invalid)");
	assert_string_equal(instr_result_name(INSTR_TRUNCATED), "truncated");
	for (int op = 0; op < INSTR_OP_COUNT; op++)
		assert_non_null(instr_op_name((enum instr_op)op));
	assert_string_equal(instr_op_name(INSTR_OP_MOVSXD), "movsxd");
	assert_string_equal(instr_op_name(INSTR_OP_COUNT), "(invalid)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_16),
		cmocka_unit_test(test_mode_32),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_truncated_every_length),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_helpers),
	};
	return cmocka_run_group_tests_name("instr_prefix", tests, NULL, NULL);
}
