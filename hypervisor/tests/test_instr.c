/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MMIO instruction decoder, first part: known encodings of every supported
 * instruction form (written by hand from the SDM's opcode map and ModRM/SIB
 * tables, checked against objdump), mostly in 64-bit mode, with REX and byte
 * register corner cases; test_instr_prefix.c has modes, prefixes and limits.
 * Every instruction is decoded from an exactly-sized heap buffer so that ASan
 * reports any read past the bytes the caller said were valid.
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

static void test_mov_64(void **state)
{
	struct instr in;

	(void)state;
	in = decode_ok(M64, "89 08"); /* mov [rax],ecx */
	assert_int_equal(in.op, INSTR_OP_MOV);
	assert_int_equal(in.opcode, 0x89);
	assert_int_equal(in.opsize, 4);
	assert_int_equal(in.addrsize, 8);
	assert_int_equal(in.mode, M64);
	assert_mem(&in.dst, INSTR_SEG_DS, INSTR_RAX, -1, 1, 0, 4);
	assert_reg(&in.src, INSTR_RCX, 4, false);
	assert_false(in.dst.rip_relative);
	assert_int_equal(in.prefixes, 0);

	in = decode_ok(M64, "48 89 08"); /* mov [rax],rcx */
	assert_int_equal(in.opsize, 8);
	assert_int_equal(in.rex, 0x48);
	assert_int_equal(in.prefixes, INSTR_PFX_REX);
	assert_reg(&in.src, INSTR_RCX, 8, false);

	in = decode_ok(M64, "8b 08"); /* mov ecx,[rax] */
	assert_reg(&in.dst, INSTR_RCX, 4, false);
	assert_mem(&in.src, INSTR_SEG_DS, INSTR_RAX, -1, 1, 0, 4);

	in = decode_ok(M64, "88 08"); /* mov [rax],cl */
	assert_reg(&in.src, INSTR_RCX, 1, false);
	assert_int_equal(in.dst.size, 1);

	in = decode_ok(M64, "48 88 08"); /* REX.W does not widen a byte instruction */
	assert_int_equal(in.opsize, 1);

	in = decode_ok(M64, "8a 20"); /* mov ah,[rax] */
	assert_reg(&in.dst, INSTR_RAX, 1, true);

	in = decode_ok(M64, "48 8b 05 78 56 34 12"); /* mov rax,[rip+0x12345678] */
	assert_reg(&in.dst, INSTR_RAX, 8, false);
	assert_true(in.src.rip_relative);
	assert_mem(&in.src, INSTR_SEG_DS, -1, -1, 1, 0x12345678, 8);
	{
		uint64_t gpr[INSTR_GPR_COUNT] = { 0 };

		assert_true(instr_operand_offset(&in, &in.src, gpr, 0x1000) ==
			    0x1000 + 7 + 0x12345678);
	}
	in = decode_ok(M64, "8b 05 f0 ff ff ff"); /* mov eax,[rip-0x10] */
	assert_true(in.src.disp == -16);

	in = decode_ok(M64, "66 c7 40 10 34 12"); /* mov word [rax+0x10],0x1234 */
	assert_int_equal(in.op, INSTR_OP_MOV);
	assert_int_equal(in.opsize, 2);
	assert_int_equal(in.prefixes, INSTR_PFX_OPSIZE);
	assert_mem(&in.dst, INSTR_SEG_DS, INSTR_RAX, -1, 1, 0x10, 2);
	assert_int_equal(in.src.kind, INSTR_OPND_IMM);
	assert_int_equal(in.imm, 0x1234);

	in = decode_ok(M64, "c7 00 78 56 34 12"); /* mov dword [rax],0x12345678 */
	assert_int_equal(in.imm, 0x12345678);
	in = decode_ok(M64, "48 c7 00 ff ff ff ff"); /* mov qword [rax],-1 */
	assert_true(in.imm == UINT64_MAX);
	assert_int_equal(in.opsize, 8);
	in = decode_ok(M64, "c7 00 00 00 00 80"); /* imm32 is masked at the operand size */
	assert_true(in.imm == 0x80000000u);
	in = decode_ok(M64, "c6 00 80"); /* mov byte [rax],0x80 */
	assert_int_equal(in.imm, 0x80);
	assert_int_equal(in.opsize, 1);
	in = decode_ok(M64, "c6 44 24 08 07"); /* mov byte [rsp+8],7 */
	assert_mem(&in.dst, INSTR_SEG_SS, INSTR_RSP, -1, 1, 8, 1);
	assert_int_equal(in.imm, 7);

	in = decode_ok(M64, "44 89 40 08"); /* mov [rax+8],r8d: REX.R */
	assert_reg(&in.src, INSTR_R8, 4, false);
	in = decode_ok(M64, "41 89 08"); /* mov [r8],ecx: REX.B */
	assert_mem(&in.dst, INSTR_SEG_DS, INSTR_R8, -1, 1, 0, 4);
	in = decode_ok(M64, "4d 89 3f"); /* mov [r15],r15 */
	assert_mem(&in.dst, INSTR_SEG_DS, INSTR_R15, -1, 1, 0, 8);
	assert_reg(&in.src, INSTR_R15, 8, false);
}

static void test_modrm_sib_64(void **state)
{
	struct instr in;

	(void)state;
	in = decode_ok(M64, "89 0c 20"); /* mov [rax+riz],ecx: index 100b is none */
	assert_mem(&in.dst, INSTR_SEG_DS, INSTR_RAX, -1, 1, 0, 4);
	in = decode_ok(M64, "42 89 0c 20"); /* REX.X turns index 100b into r12 */
	assert_mem(&in.dst, INSTR_SEG_DS, INSTR_RAX, INSTR_R12, 1, 0, 4);
	in = decode_ok(M64, "89 04 c8"); /* mov [rax+rcx*8],eax */
	assert_mem(&in.dst, INSTR_SEG_DS, INSTR_RAX, INSTR_RCX, 8, 0, 4);
	in = decode_ok(M64, "89 44 88 10"); /* mov [rax+rcx*4+0x10],eax */
	assert_mem(&in.dst, INSTR_SEG_DS, INSTR_RAX, INSTR_RCX, 4, 0x10, 4);
	in = decode_ok(M64, "89 0c 25 78 56 34 12"); /* mov [0x12345678],ecx: no base, no index */
	assert_mem(&in.dst, INSTR_SEG_DS, -1, -1, 1, 0x12345678, 4);
	assert_false(in.dst.rip_relative);
	in = decode_ok(M64, "89 0c 65 00 00 00 80"); /* [riz*2-0x80000000]: sign-extended */
	assert_mem(&in.dst, INSTR_SEG_DS, -1, -1, 1, -0x80000000ll, 4);
	in = decode_ok(M64, "89 0c 6d 10 00 00 00"); /* mov [rbp*2+0x10],ecx: no base */
	assert_mem(&in.dst, INSTR_SEG_DS, -1, INSTR_RBP, 2, 0x10, 4);
	in = decode_ok(M64, "41 89 0c 25 78 56 34 12"); /* REX.B does not bring base 101b back */
	assert_mem(&in.dst, INSTR_SEG_DS, -1, -1, 1, 0x12345678, 4);
	in = decode_ok(M64, "41 89 0d 78 56 34 12"); /* still RIP-relative with REX.B */
	assert_true(in.dst.rip_relative);
	assert_int_equal(in.dst.base, -1);
	in = decode_ok(M64, "41 89 0c 24"); /* mov [r12],ecx: SIB needed, DS */
	assert_mem(&in.dst, INSTR_SEG_DS, INSTR_R12, -1, 1, 0, 4);
	in = decode_ok(M64, "89 0c 24"); /* mov [rsp],ecx: SS */
	assert_mem(&in.dst, INSTR_SEG_SS, INSTR_RSP, -1, 1, 0, 4);
	in = decode_ok(M64, "89 4d 08"); /* mov [rbp+8],ecx: SS */
	assert_mem(&in.dst, INSTR_SEG_SS, INSTR_RBP, -1, 1, 8, 4);
	in = decode_ok(M64, "41 89 4d 08"); /* mov [r13+8],ecx: DS */
	assert_mem(&in.dst, INSTR_SEG_DS, INSTR_R13, -1, 1, 8, 4);
	in = decode_ok(M64, "41 89 4c 25 00"); /* mov [r13+riz+0],ecx: SIB base r13, disp8 */
	assert_mem(&in.dst, INSTR_SEG_DS, INSTR_R13, -1, 1, 0, 4);
	in = decode_ok(M64, "89 48 f0"); /* mov [rax-0x10],ecx */
	assert_mem(&in.dst, INSTR_SEG_DS, INSTR_RAX, -1, 1, -16, 4);
	in = decode_ok(M64, "89 88 78 56 34 12"); /* mov [rax+0x12345678],ecx */
	assert_mem(&in.dst, INSTR_SEG_DS, INSTR_RAX, -1, 1, 0x12345678, 4);
	in = decode_ok(M64, "89 8c 24 00 01 00 00"); /* mov [rsp+0x100],ecx */
	assert_mem(&in.dst, INSTR_SEG_SS, INSTR_RSP, -1, 1, 0x100, 4);
	in = decode_ok(M64, "67 89 08"); /* mov [eax],ecx */
	assert_int_equal(in.addrsize, 4);
	in = decode_ok(M64, "67 8b 05 00 10 00 00"); /* mov eax,[eip+0x1000] */
	assert_true(in.src.rip_relative);
	{
		uint64_t gpr[INSTR_GPR_COUNT] = { 0 };

		/* EIP-relative wraps at 4 GiB. */
		assert_true(instr_operand_offset(&in, &in.src, gpr, 0xfffff000) == 7);
	}
}

static void test_moffs(void **state)
{
	struct instr in;

	(void)state;
	in = decode_ok(M64, "a1 88 77 66 55 44 33 22 11"); /* mov eax,[0x1122334455667788] */
	assert_int_equal(in.op, INSTR_OP_MOV);
	assert_reg(&in.dst, INSTR_RAX, 4, false);
	assert_mem(&in.src, INSTR_SEG_DS, -1, -1, 1, 0x1122334455667788ll, 4);
	in = decode_ok(M64, "48 a3 08 07 06 05 04 03 02 01"); /* mov [moffs64],rax */
	assert_mem(&in.dst, INSTR_SEG_DS, -1, -1, 1, 0x0102030405060708ll, 8);
	assert_reg(&in.src, INSTR_RAX, 8, false);
	in = decode_ok(M64, "67 a1 44 33 22 11"); /* moffs32 with 67 */
	assert_int_equal(in.addrsize, 4);
	assert_true(in.src.disp == 0x11223344);
	in = decode_ok(M64, "a0 ff ff ff ff ff ff ff ff"); /* mov al,[moffs]: zero-extended */
	assert_true((uint64_t)in.src.disp == UINT64_MAX);
	assert_reg(&in.dst, INSTR_RAX, 1, false);
	in = decode_ok(M64, "65 a2 00 10 00 00 00 00 00 00"); /* mov gs:[0x1000],al */
	assert_mem(&in.dst, INSTR_SEG_GS, -1, -1, 1, 0x1000, 1);
	in = decode_ok(M32, "a1 44 33 22 11");
	assert_true(in.src.disp == 0x11223344);
	in = decode_ok(M32, "67 a1 34 12");
	assert_true(in.src.disp == 0x1234);
	in = decode_ok(M16, "a1 34 12");
	assert_int_equal(in.opsize, 2);
	in = decode_ok(M16, "67 66 a3 78 56 34 12"); /* mov [dword 0x12345678],eax */
	assert_int_equal(in.opsize, 4);
	assert_int_equal(in.addrsize, 4);
	assert_true(in.dst.disp == 0x12345678);
}

static void test_movzx_movsx(void **state)
{
	struct instr in;

	(void)state;
	in = decode_ok(M64, "0f b6 08"); /* movzx ecx,byte [rax] */
	assert_int_equal(in.op, INSTR_OP_MOVZX);
	assert_int_equal(in.opcode, 0x0fb6);
	assert_reg(&in.dst, INSTR_RCX, 4, false);
	assert_mem(&in.src, INSTR_SEG_DS, INSTR_RAX, -1, 1, 0, 1);
	in = decode_ok(M64, "0f b7 08"); /* movzx ecx,word [rax] */
	assert_int_equal(in.src.size, 2);
	in = decode_ok(M64, "66 0f b6 08"); /* movzx cx,byte [rax] */
	assert_reg(&in.dst, INSTR_RCX, 2, false);
	assert_int_equal(in.src.size, 1);
	in = decode_ok(M64, "48 0f bf 08"); /* movsx rcx,word [rax] */
	assert_int_equal(in.op, INSTR_OP_MOVSX);
	assert_reg(&in.dst, INSTR_RCX, 8, false);
	assert_int_equal(in.src.size, 2);
	in = decode_ok(M64, "44 0f be 00"); /* movsx r8d,byte [rax] */
	assert_reg(&in.dst, INSTR_R8, 4, false);
	in = decode_ok(M64, "0f b6 e0"); /* movzx esp,al: decodes, register source */
	assert_reg(&in.src, INSTR_RAX, 1, false);
	in = decode_ok(M64, "0f b6 c4"); /* movzx eax,ah */
	assert_reg(&in.src, INSTR_RAX, 1, true);
	in = decode_ok(M64, "40 0f b6 c4"); /* movzx eax,spl */
	assert_reg(&in.src, INSTR_RSP, 1, false);

	in = decode_ok(M64, "48 63 08"); /* movsxd rcx,dword [rax] */
	assert_int_equal(in.op, INSTR_OP_MOVSXD);
	assert_reg(&in.dst, INSTR_RCX, 8, false);
	assert_int_equal(in.src.size, 4);
	in = decode_ok(M64, "63 08"); /* movsxd ecx,dword [rax]: a plain 32-bit load */
	assert_int_equal(in.src.size, 4);
	assert_int_equal(in.dst.size, 4);
	in = decode_ok(M64, "66 63 08");
	assert_int_equal(in.src.size, 2);
	expect_result(M32, "63 08", INSTR_UNSUPPORTED); /* ARPL */
	expect_result(M16, "63 08", INSTR_UNSUPPORTED);

	in = decode_ok(M64, "0f c3 08"); /* movnti [rax],ecx */
	assert_int_equal(in.op, INSTR_OP_MOVNTI);
	assert_reg(&in.src, INSTR_RCX, 4, false);
	in = decode_ok(M64, "48 0f c3 08"); /* movnti [rax],rcx */
	assert_int_equal(in.opsize, 8);
	in = decode_ok(M16, "0f c3 07"); /* 32-bit even in 16-bit mode: movnti [bx],eax */
	assert_int_equal(in.opsize, 4);
	assert_reg(&in.src, INSTR_RAX, 4, false);
	in = decode_ok(M32, "0f c3 07");
	assert_int_equal(in.opsize, 4);
	expect_result(M64, "0f c3 c8", INSTR_BAD); /* register destination */
	expect_result(M16, "66 0f c3 07", INSTR_BAD);
	expect_result(M64, "66 0f c3 08", INSTR_BAD);
	expect_result(M64, "f3 0f c3 08", INSTR_BAD);
	expect_result(M64, "f2 0f c3 08", INSTR_BAD);
	expect_result(M64, "f0 0f c3 08", INSTR_BAD);
}

static void test_alu_forms(void **state)
{
	static const struct {
		const char *hex;
		enum instr_op op;
		bool reg_is_dst;
	} forms[] = {
		{ "00 08", INSTR_OP_ADD, false },    { "01 08", INSTR_OP_ADD, false },
		{ "02 08", INSTR_OP_ADD, true },     { "03 08", INSTR_OP_ADD, true },
		{ "09 08", INSTR_OP_OR, false },     { "0b 08", INSTR_OP_OR, true },
		{ "11 08", INSTR_OP_ADC, false },    { "13 08", INSTR_OP_ADC, true },
		{ "19 08", INSTR_OP_SBB, false },    { "1b 08", INSTR_OP_SBB, true },
		{ "21 08", INSTR_OP_AND, false },    { "23 08", INSTR_OP_AND, true },
		{ "29 08", INSTR_OP_SUB, false },    { "2b 08", INSTR_OP_SUB, true },
		{ "31 08", INSTR_OP_XOR, false },    { "33 08", INSTR_OP_XOR, true },
		{ "39 08", INSTR_OP_CMP, false },    { "3b 08", INSTR_OP_CMP, true },
		{ "3a 08", INSTR_OP_CMP, true },     { "85 08", INSTR_OP_TEST, false },
		{ "84 08", INSTR_OP_TEST, false },   { "87 08", INSTR_OP_XCHG, false },
		{ "86 08", INSTR_OP_XCHG, false },   { "0f a3 08", INSTR_OP_BT, false },
		{ "0f ab 08", INSTR_OP_BTS, false }, { "0f b3 08", INSTR_OP_BTR, false },
		{ "0f bb 08", INSTR_OP_BTC, false },
	};
	static const enum instr_op group1[8] = { INSTR_OP_ADD, INSTR_OP_OR,  INSTR_OP_ADC,
						 INSTR_OP_SBB, INSTR_OP_AND, INSTR_OP_SUB,
						 INSTR_OP_XOR, INSTR_OP_CMP };
	struct instr in;
	char hex[32];

	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		in = decode_ok(M64, forms[i].hex);
		assert_int_equal(in.op, forms[i].op);
		assert_int_equal(in.opsize, (in.opcode & 0xff) % 2 || in.opcode > 0xff ? 4 : 1);
		if (forms[i].reg_is_dst) {
			assert_reg(&in.dst, INSTR_RCX, in.opsize, false);
			assert_int_equal(in.src.kind, INSTR_OPND_MEM);
		} else {
			assert_int_equal(in.dst.kind, INSTR_OPND_MEM);
			assert_reg(&in.src, INSTR_RCX, in.opsize, false);
		}
	}
	/* Group 1 by ModRM.reg, in its three immediate forms. */
	for (unsigned int reg = 0; reg < 8; reg++) {
		snprintf(hex, sizeof(hex), "80 %02x ff", reg << 3);
		in = decode_ok(M64, hex);
		assert_int_equal(in.op, group1[reg]);
		assert_int_equal(in.imm, 0xff);
		assert_int_equal(in.opsize, 1);
		snprintf(hex, sizeof(hex), "83 %02x ff", reg << 3);
		in = decode_ok(M64, hex);
		assert_int_equal(in.op, group1[reg]);
		assert_true(in.imm == 0xffffffffu); /* sign-extended to 32 bits */
		snprintf(hex, sizeof(hex), "48 81 %02x 00 00 00 80", reg << 3);
		in = decode_ok(M64, hex);
		assert_int_equal(in.op, group1[reg]);
		assert_true(in.imm == 0xffffffff80000000ull);
	}
	in = decode_ok(M64, "83 38 05"); /* cmp dword [rax],5 */
	assert_int_equal(in.op, INSTR_OP_CMP);
	assert_mem(&in.dst, INSTR_SEG_DS, INSTR_RAX, -1, 1, 0, 4);
	assert_int_equal(in.src.kind, INSTR_OPND_IMM);
	assert_int_equal(in.imm, 5);
	in = decode_ok(M64, "66 81 38 34 12"); /* cmp word [rax],0x1234 */
	assert_int_equal(in.imm, 0x1234);
	in = decode_ok(M64, "66 83 38 80"); /* cmp word [rax],-0x80 */
	assert_int_equal(in.imm, 0xff80);
	in = decode_ok(M64, "48 83 38 80");
	assert_true(in.imm == 0xffffffffffffff80ull);

	in = decode_ok(M64, "f6 00 01"); /* test byte [rax],1 */
	assert_int_equal(in.op, INSTR_OP_TEST);
	assert_int_equal(in.imm, 1);
	in = decode_ok(M64, "f7 00 00 00 00 80"); /* test dword [rax],0x80000000 */
	assert_true(in.imm == 0x80000000u);
	in = decode_ok(M64, "66 f7 00 34 12");
	assert_int_equal(in.imm, 0x1234);
	in = decode_ok(M64, "0f ba 20 05"); /* bt dword [rax],5 */
	assert_int_equal(in.op, INSTR_OP_BT);
	assert_int_equal(in.imm, 5);
	in = decode_ok(M64, "48 0f ba 28 3f"); /* bts qword [rax],63 */
	assert_int_equal(in.op, INSTR_OP_BTS);
	assert_int_equal(in.imm, 63);
	in = decode_ok(M64, "66 0f ba 20 f0"); /* bt word [rax],0xf0: the offset is unsigned */
	assert_int_equal(in.imm, 0xf0);
	in = decode_ok(M64, "0f ba 30 01");
	assert_int_equal(in.op, INSTR_OP_BTR);
	in = decode_ok(M64, "0f ba 38 01");
	assert_int_equal(in.op, INSTR_OP_BTC);
	in = decode_ok(M64, "c7 40 04 01 00 00 00"); /* mov dword [rax+4],1: imm after disp */
	assert_true(in.dst.disp == 4);
	assert_int_equal(in.imm, 1);

	/* Group members that are not emulated. */
	expect_result(M64, "f7 10", INSTR_UNSUPPORTED);		    /* not */
	expect_result(M64, "f6 18", INSTR_UNSUPPORTED);		    /* neg */
	expect_result(M64, "f7 20", INSTR_UNSUPPORTED);		    /* mul */
	expect_result(M64, "f6 08 01", INSTR_UNSUPPORTED);	    /* reserved alias of test */
	expect_result(M64, "c7 08 00 00 00 00", INSTR_UNSUPPORTED); /* C7 /1 */
	expect_result(M64, "c6 f8 00", INSTR_UNSUPPORTED);	    /* xabort */
	expect_result(M64, "0f ba 00 01", INSTR_UNSUPPORTED);	    /* 0F BA /0 */
}

static void test_string_forms(void **state)
{
	struct instr in;

	(void)state;
	in = decode_ok(M64, "aa"); /* stosb */
	assert_int_equal(in.op, INSTR_OP_STOS);
	assert_mem(&in.dst, INSTR_SEG_ES, INSTR_RDI, -1, 1, 0, 1);
	assert_reg(&in.src, INSTR_RAX, 1, false);
	assert_false(in.rep);
	in = decode_ok(M64, "ab");
	assert_int_equal(in.opsize, 4);
	in = decode_ok(M64, "48 ab");
	assert_int_equal(in.opsize, 8);
	in = decode_ok(M64, "66 ab");
	assert_int_equal(in.opsize, 2);
	in = decode_ok(M64, "f3 ab"); /* rep stosd */
	assert_true(in.rep);
	assert_int_equal(in.prefixes, INSTR_PFX_REP);
	in = decode_ok(M64, "f2 ab"); /* F2 repeats STOS too */
	assert_true(in.rep);
	in = decode_ok(M64, "f3 48 a5"); /* rep movsq */
	assert_int_equal(in.op, INSTR_OP_MOVS);
	assert_true(in.rep);
	assert_mem(&in.dst, INSTR_SEG_ES, INSTR_RDI, -1, 1, 0, 8);
	assert_mem(&in.src, INSTR_SEG_DS, INSTR_RSI, -1, 1, 0, 8);
	in = decode_ok(M64, "a4");
	assert_int_equal(in.opsize, 1);
	in = decode_ok(M64, "36 a5"); /* ignored in 64-bit mode: still DS */
	assert_int_equal(in.src.seg, INSTR_SEG_DS);
	in = decode_ok(M32, "36 a5"); /* movsd ss:[esi] */
	assert_int_equal(in.src.seg, INSTR_SEG_SS);
	in = decode_ok(M64, "64 a4"); /* movsb with fs: source; the destination stays ES */
	assert_int_equal(in.src.seg, INSTR_SEG_FS);
	assert_int_equal(in.dst.seg, INSTR_SEG_ES);
	in = decode_ok(M64, "26 aa"); /* es: on stos changes nothing */
	assert_int_equal(in.dst.seg, INSTR_SEG_ES);
	in = decode_ok(M64, "67 f3 a5"); /* rep movsd with 32-bit addresses */
	assert_int_equal(in.addrsize, 4);
	assert_true(in.rep);
	in = decode_ok(M64, "ac"); /* lodsb */
	assert_int_equal(in.op, INSTR_OP_LODS);
	assert_reg(&in.dst, INSTR_RAX, 1, false);
	assert_mem(&in.src, INSTR_SEG_DS, INSTR_RSI, -1, 1, 0, 1);
	in = decode_ok(M64, "f3 ad");
	assert_true(in.rep);
	in = decode_ok(M16, "f3 ab");
	assert_int_equal(in.opsize, 2);
	assert_int_equal(in.addrsize, 2);
	in = decode_ok(M16, "66 67 f3 ab");
	assert_int_equal(in.opsize, 4);
	assert_int_equal(in.addrsize, 4);
	in = decode_ok(M32, "f3 a5");
	assert_int_equal(in.opsize, 4);
	assert_int_equal(in.addrsize, 4);
	in = decode_ok(M64, "f3 89 08"); /* F3 on a non-string instruction is ignored */
	assert_false(in.rep);
	assert_int_equal(in.prefixes, INSTR_PFX_REP);
	/* Not emulated: CMPS and SCAS compare, INS and OUTS are port I/O. */
	expect_result(M64, "a6", INSTR_UNSUPPORTED);
	expect_result(M64, "f3 ae", INSTR_UNSUPPORTED);
	expect_result(M64, "6c", INSTR_UNSUPPORTED);
	expect_result(M64, "6f", INSTR_UNSUPPORTED);
}

static void test_byte_registers(void **state)
{
	static const struct {
		const char *hex;
		int reg;
		bool high8;
	} cases[] = {
		{ "88 00", INSTR_RAX, false },	    /* al */
		{ "88 20", INSTR_RAX, true },	    /* ah */
		{ "88 28", INSTR_RCX, true },	    /* ch */
		{ "88 30", INSTR_RDX, true },	    /* dh */
		{ "88 38", INSTR_RBX, true },	    /* bh */
		{ "40 88 20", INSTR_RSP, false },   /* spl */
		{ "40 88 28", INSTR_RBP, false },   /* bpl */
		{ "40 88 30", INSTR_RSI, false },   /* sil */
		{ "40 88 38", INSTR_RDI, false },   /* dil */
		{ "44 88 20", INSTR_R12, false },   /* r12b */
		{ "41 88 20", INSTR_RSP, false },   /* REX.B only: spl into [r8] */
		{ "40 66 88 20", INSTR_RAX, true }, /* REX voided by 66: ah again */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct instr in = decode_ok(M64, cases[i].hex);

		assert_reg(&in.src, cases[i].reg, 1, cases[i].high8);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mov_64),	       cmocka_unit_test(test_modrm_sib_64),
		cmocka_unit_test(test_moffs),	       cmocka_unit_test(test_movzx_movsx),
		cmocka_unit_test(test_alu_forms),      cmocka_unit_test(test_string_forms),
		cmocka_unit_test(test_byte_registers),
	};
	return cmocka_run_group_tests_name("instr", tests, NULL, NULL);
}
