/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MMIO instruction emulator: register, flag, RIP and string-register effects
 * of each supported instruction against values worked out by hand from the
 * SDM, the order and width of every callback access, faults passed through
 * with the guest state untouched. test_instr_alu.c checks the arithmetic
 * against the host CPU.
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

#define GPA	    0xfed00010ull
#define RIP	    0x1000ull
#define FLAGS_BASE  0x202ull /* bit 1 is always set; IF on */
#define ACCESS_MAX  8
#define FLAGS_ARITH INSTR_FLAGS_ARITH

enum access_kind { MMIO_READ, MMIO_WRITE, MEM_READ, MEM_WRITE };

struct access {
	enum access_kind kind;
	uint64_t addr; /* GPA for MMIO, segment offset for memory */
	int seg;
	uint8_t size;
	uint64_t value;
};

struct fake {
	struct instr_ctx ctx;
	uint64_t mmio_value;	   /* what an MMIO read returns */
	uint64_t mem_value;	   /* what a guest-memory read returns */
	enum instr_result fail[4]; /* per access_kind */
	struct access log[ACCESS_MAX];
	int count;
};

static struct fake *fake_of(struct instr_ctx *ctx)
{
	return ctx->opaque;
}

static enum instr_result fake_log(struct instr_ctx *ctx, enum access_kind kind, uint64_t addr,
				  int seg, uint8_t size, uint64_t value)
{
	struct fake *f = fake_of(ctx);

	assert_true(size == 1 || size == 2 || size == 4 || size == 8);
	assert_true(f->count < ACCESS_MAX);
	f->log[f->count++] = (struct access){ kind, addr, seg, size, value };
	return f->fail[kind];
}

static enum instr_result fake_read_mmio(struct instr_ctx *ctx, uint64_t gpa, uint8_t size,
					uint64_t *value)
{
	*value = fake_of(ctx)->mmio_value; /* wider than size on purpose: must be masked */
	return fake_log(ctx, MMIO_READ, gpa, -1, size, 0);
}

static enum instr_result fake_write_mmio(struct instr_ctx *ctx, uint64_t gpa, uint8_t size,
					 uint64_t value)
{
	return fake_log(ctx, MMIO_WRITE, gpa, -1, size, value);
}

static enum instr_result fake_read_mem(struct instr_ctx *ctx, enum instr_seg seg, uint64_t offset,
				       uint8_t size, uint64_t *value)
{
	*value = fake_of(ctx)->mem_value;
	return fake_log(ctx, MEM_READ, offset, seg, size, 0);
}

static enum instr_result fake_write_mem(struct instr_ctx *ctx, enum instr_seg seg, uint64_t offset,
					uint8_t size, uint64_t value)
{
	return fake_log(ctx, MEM_WRITE, offset, seg, size, value);
}

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < INSTR_GPR_COUNT; i++)
		f->ctx.gpr[i] = 0x1111111111111111ull * (uint64_t)(i + 1);
	f->ctx.rip = RIP;
	f->ctx.rflags = FLAGS_BASE;
	f->ctx.mmio_gpa = GPA;
	f->ctx.read_mmio = fake_read_mmio;
	f->ctx.write_mmio = fake_write_mmio;
	f->ctx.read_guest_memory = fake_read_mem;
	f->ctx.write_guest_memory = fake_write_mem;
	f->ctx.opaque = f;
}

static size_t hex_parse(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;

	for (; *hex; hex++) {
		unsigned int v;

		if (*hex == ' ')
			continue;
		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		assert_true(n < max);
		out[n++] = (uint8_t)v;
		hex++;
	}
	return n;
}

/* Decodes (from an exactly-sized heap buffer) and emulates one instruction. */
static enum instr_result run(struct fake *f, enum instr_mode mode, const char *hex)
{
	uint8_t tmp[16], *buf;
	size_t n = hex_parse(hex, tmp, sizeof(tmp));
	struct instr in;
	enum instr_result r;

	buf = malloc(n);
	assert_non_null(buf);
	memcpy(buf, tmp, n);
	r = instr_decode(buf, n, mode, &in);
	free(buf);
	if (r != INSTR_OK)
		fail_msg("'%s' does not decode: %s", hex, in.reason);
	f->count = 0;
	r = instr_emulate(&in, &f->ctx);
	if (r == INSTR_OK)
		assert_null(f->ctx.reason);
	else
		assert_non_null(f->ctx.reason);
	return r;
}

static void run_ok(struct fake *f, enum instr_mode mode, const char *hex)
{
	enum instr_result r = run(f, mode, hex);

	if (r != INSTR_OK)
		fail_msg("'%s': %s (%s)", hex, instr_result_name(r), f->ctx.reason);
}

static void assert_access(const struct fake *f, int i, enum access_kind kind, uint64_t addr,
			  uint8_t size, uint64_t value)
{
	assert_true(i < f->count);
	assert_int_equal(f->log[i].kind, kind);
	assert_true(f->log[i].addr == addr);
	assert_int_equal(f->log[i].size, size);
	assert_true(f->log[i].value == value);
}

static void test_mov(void **state)
{
	struct fake f;

	(void)state;
	fake_init(&f);
	f.ctx.gpr[INSTR_RCX] = 0xffffffffdeadbeefull;
	run_ok(&f, M64, "89 08"); /* mov [rax],ecx */
	assert_int_equal(f.count, 1);
	assert_access(&f, 0, MMIO_WRITE, GPA, 4, 0xdeadbeef);
	assert_true(f.ctx.rip == RIP + 2);
	assert_true(f.ctx.gpr[INSTR_RCX] == 0xffffffffdeadbeefull);
	assert_true(f.ctx.rflags == FLAGS_BASE);

	f.mmio_value = 0x8877665544332211ull;
	run_ok(&f, M64, "8b 08"); /* mov ecx,[rax]: zero-extends */
	assert_access(&f, 0, MMIO_READ, GPA, 4, 0);
	assert_true(f.ctx.gpr[INSTR_RCX] == 0x44332211);
	run_ok(&f, M64, "66 8b 08"); /* mov cx,[rax]: keeps bits 63:16 */
	f.ctx.gpr[INSTR_RCX] = 0xaaaaaaaaaaaaaaaaull;
	run_ok(&f, M64, "66 8b 08");
	assert_true(f.ctx.gpr[INSTR_RCX] == 0xaaaaaaaaaaaa2211ull);
	run_ok(&f, M64, "8a 08"); /* mov cl,[rax] */
	assert_true(f.ctx.gpr[INSTR_RCX] == 0xaaaaaaaaaaaa2211ull);
	f.ctx.gpr[INSTR_RAX] = 0x1234;
	run_ok(&f, M64, "8a 20"); /* mov ah,[rax] */
	assert_true(f.ctx.gpr[INSTR_RAX] == 0x1134);
	run_ok(&f, M64, "88 20"); /* mov [rax],ah */
	assert_access(&f, 0, MMIO_WRITE, GPA, 1, 0x11);
	run_ok(&f, M64, "40 8a 20"); /* mov spl,[rax] */
	assert_true((f.ctx.gpr[INSTR_RSP] & 0xffff) == (0x5555 & 0xff00) + 0x11);
	run_ok(&f, M64, "48 8b 05 78 56 34 12"); /* mov rax,[rip+x]: the GPA is what counts */
	assert_access(&f, 0, MMIO_READ, GPA, 8, 0);
	assert_true(f.ctx.gpr[INSTR_RAX] == 0x8877665544332211ull);
	assert_true(f.ctx.rip == RIP + 2 + 2 + 3 + 3 + 2 + 2 + 2 + 3 + 7);
	f.ctx.gpr[INSTR_R15] = 0x0123456789abcdefull;
	run_ok(&f, M64, "4c 89 38"); /* mov [rax],r15 */
	assert_access(&f, 0, MMIO_WRITE, GPA, 8, 0x0123456789abcdefull);
	run_ok(&f, M64, "0f c3 08"); /* movnti [rax],ecx */
	assert_access(&f, 0, MMIO_WRITE, GPA, 4, 0xaaaa2211);

	run_ok(&f, M64, "66 c7 40 10 34 12"); /* mov word [rax+0x10],0x1234 */
	assert_access(&f, 0, MMIO_WRITE, GPA, 2, 0x1234);
	run_ok(&f, M64, "48 c7 00 ff ff ff ff"); /* mov qword [rax],-1 */
	assert_access(&f, 0, MMIO_WRITE, GPA, 8, UINT64_MAX);
	run_ok(&f, M64, "c6 00 80");
	assert_access(&f, 0, MMIO_WRITE, GPA, 1, 0x80);

	f.ctx.gpr[INSTR_RAX] = 0xffffffffffffffffull;
	run_ok(&f, M64, "a0 00 00 e0 fe 00 00 00 00"); /* mov al,[moffs] */
	assert_access(&f, 0, MMIO_READ, GPA, 1, 0);
	assert_true(f.ctx.gpr[INSTR_RAX] == 0xffffffffffffff11ull);
	run_ok(&f, M64, "48 a3 00 00 e0 fe 00 00 00 00"); /* mov [moffs],rax */
	assert_access(&f, 0, MMIO_WRITE, GPA, 8, 0xffffffffffffff11ull);
}

static void test_movzx_movsx(void **state)
{
	struct fake f;

	(void)state;
	fake_init(&f);
	f.mmio_value = 0x80;
	run_ok(&f, M64, "0f b6 08"); /* movzx ecx,byte [rax] */
	assert_access(&f, 0, MMIO_READ, GPA, 1, 0);
	assert_true(f.ctx.gpr[INSTR_RCX] == 0x80);
	run_ok(&f, M64, "0f be 08"); /* movsx ecx,byte [rax] */
	assert_true(f.ctx.gpr[INSTR_RCX] == 0xffffff80);
	run_ok(&f, M64, "48 0f be 08"); /* movsx rcx,byte [rax] */
	assert_true(f.ctx.gpr[INSTR_RCX] == 0xffffffffffffff80ull);
	f.ctx.gpr[INSTR_RCX] = 0x1111111111111111ull;
	run_ok(&f, M64, "66 0f be 08"); /* movsx cx,byte [rax] */
	assert_true(f.ctx.gpr[INSTR_RCX] == 0x111111111111ff80ull);
	f.mmio_value = 0x12348000;
	run_ok(&f, M64, "0f b7 08"); /* movzx ecx,word [rax] */
	assert_access(&f, 0, MMIO_READ, GPA, 2, 0);
	assert_true(f.ctx.gpr[INSTR_RCX] == 0x8000);
	run_ok(&f, M64, "48 0f bf 08"); /* movsx rcx,word [rax] */
	assert_true(f.ctx.gpr[INSTR_RCX] == 0xffffffffffff8000ull);
	f.mmio_value = 0x80000000;
	run_ok(&f, M64, "48 63 08"); /* movsxd rcx,dword [rax] */
	assert_access(&f, 0, MMIO_READ, GPA, 4, 0);
	assert_true(f.ctx.gpr[INSTR_RCX] == 0xffffffff80000000ull);
	run_ok(&f, M64, "63 08"); /* without REX.W: a 32-bit load */
	assert_true(f.ctx.gpr[INSTR_RCX] == 0x80000000);
	f.mmio_value = 0x7f;
	run_ok(&f, M16, "0f be 07"); /* movsx ax,byte [bx] */
	assert_true((f.ctx.gpr[INSTR_RAX] & 0xffff) == 0x7f);
}

/* Emulates hex with the MMIO operand reading mmio and returns RFLAGS afterwards. */
static uint64_t flags_after(struct fake *f, const char *hex, uint64_t mmio, uint64_t flags_in)
{
	f->mmio_value = mmio;
	f->ctx.rflags = flags_in;
	run_ok(f, M64, hex);
	return f->ctx.rflags;
}

#define CF INSTR_FLAG_CF
#define PF INSTR_FLAG_PF
#define AF INSTR_FLAG_AF
#define ZF INSTR_FLAG_ZF
#define SF INSTR_FLAG_SF
#define DF INSTR_FLAG_DF
#define OF INSTR_FLAG_OF

static void test_cmp_test_flags(void **state)
{
	const uint64_t all = FLAGS_BASE | FLAGS_ARITH | DF;
	struct fake f;

	(void)state;
	fake_init(&f);
	/* cmp dword [rax],5: each result flag replaced, DF untouched, nothing written. */
	assert_true(flags_after(&f, "83 38 05", 5, all) == (FLAGS_BASE | DF | ZF | PF));
	assert_int_equal(f.count, 1);
	assert_access(&f, 0, MMIO_READ, GPA, 4, 0);
	/* 3 - 5 = 0xfffffffe: borrow, negative, borrow out of bit 3, odd parity. */
	assert_true(flags_after(&f, "83 38 05", 3, FLAGS_BASE) == (FLAGS_BASE | CF | AF | SF));
	/* 0x80000000 - 5 = 0x7ffffffb: signed overflow. */
	assert_true(flags_after(&f, "83 38 05", 0x80000000, FLAGS_BASE) == (FLAGS_BASE | OF | AF));
	/* cmp byte [rax],0x80 with 0x7f: 0xff, CF OF SF, even parity. */
	assert_true(flags_after(&f, "80 38 80", 0x7f, FLAGS_BASE) ==
		    (FLAGS_BASE | CF | PF | SF | OF));
	/* cmp ecx,[rax]: ecx - mem. */
	f.ctx.gpr[INSTR_RCX] = 1;
	assert_true(flags_after(&f, "3b 08", 2, FLAGS_BASE) == (FLAGS_BASE | CF | PF | AF | SF));
	assert_true(f.ctx.gpr[INSTR_RCX] == 1);
	/* cmp qword [rax],-1 (sign-extended imm8) with -1: equal. */
	assert_true(flags_after(&f, "48 83 38 ff", UINT64_MAX, FLAGS_BASE) ==
		    (FLAGS_BASE | ZF | PF));
	/* cmp word [rax],0x1234 with 0x1234 in the low half of a wider value. */
	assert_true(flags_after(&f, "66 81 38 34 12", 0xffff1234, FLAGS_BASE) ==
		    (FLAGS_BASE | ZF | PF));

	/* test dword [rax],0x80000000 */
	assert_true(flags_after(&f, "f7 00 00 00 00 80", 0x80000001, all) ==
		    (FLAGS_BASE | DF | SF | PF));
	assert_true(flags_after(&f, "f7 00 00 00 00 80", 1, FLAGS_BASE) == (FLAGS_BASE | ZF | PF));
	f.ctx.gpr[INSTR_RCX] = 0x0f;
	assert_true(flags_after(&f, "85 08", 0xf0, FLAGS_BASE) == (FLAGS_BASE | ZF | PF));
	f.ctx.gpr[INSTR_RAX] = 0xff00; /* ah = 0xff */
	assert_true(flags_after(&f, "84 20", 0x81, FLAGS_BASE) == (FLAGS_BASE | SF | PF));
	assert_true(flags_after(&f, "f6 00 01", 0xfe, FLAGS_BASE | CF | OF) ==
		    (FLAGS_BASE | ZF | PF));
	assert_int_equal(f.count, 1); /* TEST writes nothing */
}

static void test_alu_write_back(void **state)
{
	struct fake f;

	(void)state;
	fake_init(&f);
	f.ctx.gpr[INSTR_RCX] = 0x0ff00ff0;
	assert_true(flags_after(&f, "21 08", 0xff00ff00, FLAGS_BASE | CF | OF | AF) ==
		    (FLAGS_BASE | PF)); /* and [rax],ecx */
	assert_int_equal(f.count, 2);
	assert_access(&f, 0, MMIO_READ, GPA, 4, 0);
	assert_access(&f, 1, MMIO_WRITE, GPA, 4, 0x0f000f00);

	f.ctx.gpr[INSTR_RCX] = 0x80000000;
	assert_true(flags_after(&f, "09 08", 1, FLAGS_BASE) == (FLAGS_BASE | SF)); /* or */
	assert_access(&f, 1, MMIO_WRITE, GPA, 4, 0x80000001);
	assert_true(flags_after(&f, "31 08", 0x80000000, FLAGS_BASE) == (FLAGS_BASE | ZF | PF));
	assert_access(&f, 1, MMIO_WRITE, GPA, 4, 0);

	f.ctx.gpr[INSTR_RCX] = 1;
	assert_true(flags_after(&f, "01 08", 0xffffffff, FLAGS_BASE) ==
		    (FLAGS_BASE | CF | ZF | AF | PF)); /* add: wraps to 0 */
	assert_access(&f, 1, MMIO_WRITE, GPA, 4, 0);
	assert_true(flags_after(&f, "01 08", 0x7fffffff, FLAGS_BASE) ==
		    (FLAGS_BASE | OF | SF | AF | PF));
	assert_true(flags_after(&f, "29 08", 0, FLAGS_BASE) ==
		    (FLAGS_BASE | CF | SF | AF | PF)); /* sub: 0 - 1 */
	assert_access(&f, 1, MMIO_WRITE, GPA, 4, 0xffffffff);
	f.ctx.gpr[INSTR_RCX] = 0;
	assert_true(flags_after(&f, "11 08", 0xffffffff, FLAGS_BASE | CF) ==
		    (FLAGS_BASE | CF | ZF | AF | PF)); /* adc: -1 + 0 + CF */
	assert_access(&f, 1, MMIO_WRITE, GPA, 4, 0);
	f.ctx.gpr[INSTR_RCX] = 5;
	assert_true(flags_after(&f, "19 08", 5, FLAGS_BASE | CF) ==
		    (FLAGS_BASE | CF | SF | AF | PF)); /* sbb: 5 - 5 - CF */
	assert_access(&f, 1, MMIO_WRITE, GPA, 4, 0xffffffff);

	f.ctx.gpr[INSTR_RCX] = 0xffffffff00000001ull;
	assert_true(flags_after(&f, "03 08", 2, FLAGS_BASE) == (FLAGS_BASE | PF)); /* add ecx,[] */
	assert_int_equal(f.count, 1);
	assert_true(f.ctx.gpr[INSTR_RCX] == 3);

	assert_true(flags_after(&f, "80 00 ff", 1, FLAGS_BASE) ==
		    (FLAGS_BASE | CF | ZF | AF | PF)); /* add byte [rax],0xff */
	assert_access(&f, 0, MMIO_READ, GPA, 1, 0);
	assert_access(&f, 1, MMIO_WRITE, GPA, 1, 0);
	assert_true(flags_after(&f, "48 83 00 ff", 0, FLAGS_BASE) == (FLAGS_BASE | SF | PF));
	assert_access(&f, 1, MMIO_WRITE, GPA, 8, UINT64_MAX);
	assert_true(flags_after(&f, "66 81 00 34 12", 0xedcc, FLAGS_BASE) ==
		    (FLAGS_BASE | CF | ZF | AF | PF));
	assert_access(&f, 1, MMIO_WRITE, GPA, 2, 0);
	/* lock or dword [rax],4: the same two accesses. */
	assert_true(flags_after(&f, "f0 83 08 04", 0x10, FLAGS_BASE) == (FLAGS_BASE | PF));
	assert_access(&f, 1, MMIO_WRITE, GPA, 4, 0x14);
	assert_true(f.ctx.rip == RIP + 2 + 2 + 2 + 2 + 2 + 2 + 2 + 2 + 2 + 3 + 4 + 5 + 4);
}

static void test_bt_family(void **state)
{
	const uint64_t others = FLAGS_BASE | ZF | SF | PF | OF | AF;
	struct fake f;

	(void)state;
	fake_init(&f);
	f.ctx.gpr[INSTR_RCX] = 33; /* bit 33 of a dword operand: bit 1 of this element */
	assert_true(flags_after(&f, "0f a3 08", 0x2, others) == (others | CF));
	assert_int_equal(f.count, 1);
	f.ctx.gpr[INSTR_RCX] = 32;
	assert_true(flags_after(&f, "0f a3 08", 0x2, others | CF) == others);
	assert_true(flags_after(&f, "0f ba 20 05", 0x20, FLAGS_BASE) == (FLAGS_BASE | CF));
	f.ctx.gpr[INSTR_RCX] = 0xffff; /* -1 as a 16-bit offset: bit 15 of its element */
	assert_true(flags_after(&f, "66 0f a3 08", 0x8000, FLAGS_BASE) == (FLAGS_BASE | CF));
	assert_access(&f, 0, MMIO_READ, GPA, 2, 0);

	f.ctx.gpr[INSTR_RCX] = 4;
	assert_true(flags_after(&f, "0f ab 08", 0, FLAGS_BASE | CF) == FLAGS_BASE); /* bts */
	assert_access(&f, 1, MMIO_WRITE, GPA, 4, 0x10);
	f.ctx.gpr[INSTR_RCX] = 0;
	assert_true(flags_after(&f, "0f b3 08", 0xff, FLAGS_BASE) == (FLAGS_BASE | CF)); /* btr */
	assert_access(&f, 1, MMIO_WRITE, GPA, 4, 0xfe);
	f.ctx.gpr[INSTR_RCX] = 31;
	assert_true(flags_after(&f, "0f bb 08", 0x80000000, FLAGS_BASE) == (FLAGS_BASE | CF));
	assert_access(&f, 1, MMIO_WRITE, GPA, 4, 0);
	assert_true(flags_after(&f, "48 0f ba 38 3f", 0, FLAGS_BASE) == FLAGS_BASE); /* btc */
	assert_access(&f, 1, MMIO_WRITE, GPA, 8, 0x8000000000000000ull);
	assert_true(flags_after(&f, "f0 0f ba 30 e0", 1, FLAGS_BASE) == (FLAGS_BASE | CF));
	assert_access(&f, 1, MMIO_WRITE, GPA, 4, 0); /* btr [rax],0xe0: bit 0 */
}

static void test_xchg(void **state)
{
	struct fake f;

	(void)state;
	fake_init(&f);
	f.ctx.gpr[INSTR_RCX] = 0xffffffff11111111ull;
	f.mmio_value = 0x22222222;
	run_ok(&f, M64, "87 08"); /* xchg [rax],ecx */
	assert_int_equal(f.count, 2);
	assert_access(&f, 0, MMIO_READ, GPA, 4, 0);
	assert_access(&f, 1, MMIO_WRITE, GPA, 4, 0x11111111);
	assert_true(f.ctx.gpr[INSTR_RCX] == 0x22222222);
	assert_true(f.ctx.rflags == FLAGS_BASE);
	f.ctx.gpr[INSTR_RAX] = 0x1234;
	f.mmio_value = 0xab;
	run_ok(&f, M64, "86 20"); /* xchg [rax],ah */
	assert_access(&f, 1, MMIO_WRITE, GPA, 1, 0x12);
	assert_true(f.ctx.gpr[INSTR_RAX] == 0xab34);
	f.mmio_value = 0x8000000000000001ull;
	run_ok(&f, M64, "f0 4c 87 00"); /* lock xchg [rax],r8 */
	assert_access(&f, 1, MMIO_WRITE, GPA, 8, 0x9999999999999999ull);
	assert_true(f.ctx.gpr[INSTR_R8] == 0x8000000000000001ull);
}

static void test_stos(void **state)
{
	struct fake f;

	(void)state;
	fake_init(&f);
	f.ctx.gpr[INSTR_RAX] = 0x11223344;
	f.ctx.gpr[INSTR_RDI] = 0x1000;
	run_ok(&f, M64, "ab"); /* stosd */
	assert_int_equal(f.count, 1);
	assert_access(&f, 0, MMIO_WRITE, GPA, 4, 0x11223344);
	assert_true(f.ctx.gpr[INSTR_RDI] == 0x1004);
	assert_true(f.ctx.rip == RIP + 1);
	f.ctx.rflags |= DF;
	run_ok(&f, M64, "aa"); /* stosb, backwards */
	assert_access(&f, 0, MMIO_WRITE, GPA, 1, 0x44);
	assert_true(f.ctx.gpr[INSTR_RDI] == 0x1003);
	run_ok(&f, M64, "48 ab");
	assert_access(&f, 0, MMIO_WRITE, GPA, 8, 0x11223344);
	assert_true(f.ctx.gpr[INSTR_RDI] == 0xffb);
	f.ctx.rflags = FLAGS_BASE;

	/* rep stosd: one element per call, RIP stays until rCX reaches 0. */
	f.ctx.rip = RIP;
	f.ctx.gpr[INSTR_RCX] = 3;
	f.ctx.gpr[INSTR_RDI] = 0x1000;
	run_ok(&f, M64, "f3 ab");
	assert_int_equal(f.count, 1);
	assert_true(f.ctx.gpr[INSTR_RCX] == 2);
	assert_true(f.ctx.gpr[INSTR_RDI] == 0x1004);
	assert_true(f.ctx.rip == RIP);
	run_ok(&f, M64, "f3 ab");
	run_ok(&f, M64, "f3 ab");
	assert_true(f.ctx.gpr[INSTR_RCX] == 0);
	assert_true(f.ctx.gpr[INSTR_RDI] == 0x100c);
	assert_true(f.ctx.rip == RIP + 2);
	run_ok(&f, M64, "f3 ab"); /* rCX = 0: nothing but RIP */
	assert_int_equal(f.count, 0);
	assert_true(f.ctx.gpr[INSTR_RDI] == 0x100c);
	assert_true(f.ctx.rip == RIP + 4);

	/* 32-bit addresses in 64-bit mode: ECX counts, EDI wraps, both zero-extend. */
	f.ctx.gpr[INSTR_RCX] = 0xffffffff00000000ull;
	run_ok(&f, M64, "f3 67 ab");
	assert_int_equal(f.count, 0);
	assert_true(f.ctx.gpr[INSTR_RCX] == 0xffffffff00000000ull);
	f.ctx.gpr[INSTR_RCX] = 0x100000002ull;
	f.ctx.gpr[INSTR_RDI] = 0xfffffffffffffffcull;
	run_ok(&f, M64, "f3 67 ab");
	assert_true(f.ctx.gpr[INSTR_RCX] == 1);
	assert_true(f.ctx.gpr[INSTR_RDI] == 0);

	/* 16-bit mode: CX and DI, upper bits kept, IP wraps at 64 KiB. */
	f.ctx.rip = 0xfffe;
	f.ctx.gpr[INSTR_RCX] = 0x10001;
	f.ctx.gpr[INSTR_RDI] = 0x2fffe;
	f.ctx.gpr[INSTR_RAX] = 0x12345678;
	run_ok(&f, M16, "f3 ab");
	assert_access(&f, 0, MMIO_WRITE, GPA, 2, 0x5678);
	assert_true(f.ctx.gpr[INSTR_RCX] == 0x10000);
	assert_true(f.ctx.gpr[INSTR_RDI] == 0x20000);
	assert_true(f.ctx.rip == 0);
	f.ctx.gpr[INSTR_RCX] = 1;
	run_ok(&f, M16, "66 f3 ab"); /* rep stosd in 16-bit code */
	assert_access(&f, 0, MMIO_WRITE, GPA, 4, 0x12345678);
	assert_true(f.ctx.gpr[INSTR_RDI] == 0x20004);
	assert_true(f.ctx.rip == 3);
}

static void test_lods_movs(void **state)
{
	struct fake f;

	(void)state;
	fake_init(&f);
	f.ctx.gpr[INSTR_RAX] = 0xffffffffffffffffull;
	f.ctx.gpr[INSTR_RSI] = 0x2000;
	f.mmio_value = 0x5a;
	run_ok(&f, M64, "ac"); /* lodsb */
	assert_access(&f, 0, MMIO_READ, GPA, 1, 0);
	assert_true(f.ctx.gpr[INSTR_RAX] == 0xffffffffffffff5aull);
	assert_true(f.ctx.gpr[INSTR_RSI] == 0x2001);
	f.ctx.rflags |= DF;
	run_ok(&f, M64, "ad"); /* lodsd, backwards */
	assert_true(f.ctx.gpr[INSTR_RAX] == 0x5a);
	assert_true(f.ctx.gpr[INSTR_RSI] == 0x1ffd);
	f.ctx.rflags = FLAGS_BASE;

	/* movsd from MMIO (a read fault): MMIO read, then the ES:rDI write. */
	f.ctx.gpr[INSTR_RSI] = 0x3000;
	f.ctx.gpr[INSTR_RDI] = 0x4000;
	f.mmio_value = 0xcafef00d;
	f.ctx.mmio_write = false;
	run_ok(&f, M64, "a5");
	assert_int_equal(f.count, 2);
	assert_access(&f, 0, MMIO_READ, GPA, 4, 0);
	assert_access(&f, 1, MEM_WRITE, 0x4000, 4, 0xcafef00d);
	assert_int_equal(f.log[1].seg, INSTR_SEG_ES);
	assert_true(f.ctx.gpr[INSTR_RSI] == 0x3004);
	assert_true(f.ctx.gpr[INSTR_RDI] == 0x4004);

	/* movsd to MMIO (a write fault): the DS:rSI read, then the MMIO write. */
	f.ctx.mmio_write = true;
	f.mem_value = 0x600dcafe;
	run_ok(&f, M64, "a5");
	assert_access(&f, 0, MEM_READ, 0x3004, 4, 0);
	assert_int_equal(f.log[0].seg, INSTR_SEG_DS);
	assert_access(&f, 1, MMIO_WRITE, GPA, 4, 0x600dcafe);
	run_ok(&f, M64, "64 a4"); /* movsb fs:[rsi] */
	assert_int_equal(f.log[0].seg, INSTR_SEG_FS);
	assert_access(&f, 1, MMIO_WRITE, GPA, 1, 0xfe);

	/* rep movsq backwards: one element, RIP stays. */
	f.ctx.rip = RIP;
	f.ctx.rflags |= DF;
	f.ctx.gpr[INSTR_RCX] = 5;
	f.ctx.gpr[INSTR_RSI] = 0x3000;
	f.ctx.gpr[INSTR_RDI] = 0x4000;
	run_ok(&f, M64, "f3 48 a5");
	assert_access(&f, 0, MEM_READ, 0x3000, 8, 0);
	assert_true(f.ctx.gpr[INSTR_RCX] == 4);
	assert_true(f.ctx.gpr[INSTR_RSI] == 0x2ff8);
	assert_true(f.ctx.gpr[INSTR_RDI] == 0x3ff8);
	assert_true(f.ctx.rip == RIP);
	f.ctx.rflags = FLAGS_BASE;

	/* 32-bit addresses: the callback gets the wrapped offset. */
	f.ctx.gpr[INSTR_RSI] = 0xfffffffffffffffcull;
	run_ok(&f, M64, "67 a5");
	assert_access(&f, 0, MEM_READ, 0xfffffffc, 4, 0);
	assert_true(f.ctx.gpr[INSTR_RSI] == 0);
	/* 16-bit: DS:SI with the offset wrapped at 64 KiB. */
	f.ctx.gpr[INSTR_RSI] = 0x1ffff;
	run_ok(&f, M16, "a4");
	assert_access(&f, 0, MEM_READ, 0xffff, 1, 0);
	assert_true(f.ctx.gpr[INSTR_RSI] == 0x10000);

	/* Without guest-memory callbacks MOVS cannot be done. */
	f.ctx.read_guest_memory = NULL;
	assert_int_equal(run(&f, M64, "a5"), INSTR_UNSUPPORTED);
	f.ctx.mmio_write = false;
	f.ctx.write_guest_memory = NULL;
	assert_int_equal(run(&f, M64, "a5"), INSTR_UNSUPPORTED);
	assert_int_equal(f.count, 1); /* the MMIO read happened, nothing was committed */
	assert_true(f.ctx.gpr[INSTR_RSI] == 0x10000);
}

/* A fault from any callback leaves registers, flags and RIP exactly as they were. */
static void test_faults_leave_state(void **state)
{
	static const struct {
		const char *hex;
		bool mmio_write;
		enum access_kind failing;
	} cases[] = {
		{ "8b 08", false, MMIO_READ },	{ "89 08", false, MMIO_WRITE },
		{ "01 08", false, MMIO_WRITE }, { "87 08", false, MMIO_WRITE },
		{ "03 08", false, MMIO_READ },	{ "f3 ab", false, MMIO_WRITE },
		{ "f3 a5", false, MEM_WRITE },	{ "f3 a5", true, MEM_READ },
		{ "f3 a5", true, MMIO_WRITE },	{ "0f ab 08", false, MMIO_WRITE },
		{ "ad", false, MMIO_READ },
	};
	static const enum instr_result faults[] = { INSTR_PAGE_FAULT, INSTR_GP };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (size_t k = 0; k < 2; k++) {
			struct fake f;
			struct instr_ctx before;

			fake_init(&f);
			f.ctx.gpr[INSTR_RCX] = 7;
			f.ctx.mmio_write = cases[i].mmio_write;
			f.ctx.rflags = FLAGS_BASE | CF;
			f.fail[cases[i].failing] = faults[k];
			before = f.ctx;
			assert_int_equal(run(&f, M64, cases[i].hex), faults[k]);
			assert_memory_equal(f.ctx.gpr, before.gpr, sizeof(before.gpr));
			assert_true(f.ctx.rip == before.rip);
			assert_true(f.ctx.rflags == before.rflags);
			assert_string_equal(f.ctx.reason, cases[i].failing == MMIO_READ ||
								  cases[i].failing == MEM_READ
							      ? "memory read failed"
							      : "memory write failed");
		}
	}
}

static void test_unsupported(void **state)
{
	struct fake f;
	struct instr in;
	struct instr_ctx before;

	(void)state;
	fake_init(&f);
	before = f.ctx;
	/* Register-only forms cannot have caused an EPT violation. */
	assert_int_equal(run(&f, M64, "8b c8"), INSTR_UNSUPPORTED);
	assert_int_equal(run(&f, M64, "01 c8"), INSTR_UNSUPPORTED);
	assert_int_equal(run(&f, M64, "87 c8"), INSTR_UNSUPPORTED);
	assert_int_equal(run(&f, M64, "0f b6 c0"), INSTR_UNSUPPORTED);
	assert_string_equal(f.ctx.reason, "instruction has no memory operand");
	assert_int_equal(f.count, 0);
	assert_memory_equal(f.ctx.gpr, before.gpr, sizeof(before.gpr));
	assert_true(f.ctx.rip == before.rip);

	/* A failed decode never runs. */
	assert_int_equal(instr_decode((const uint8_t *)"\xf0\x89\x08", 3, M64, &in), INSTR_BAD);
	assert_int_equal(instr_emulate(&in, &f.ctx), INSTR_UNSUPPORTED);
	memset(&in, 0, sizeof(in));
	assert_int_equal(instr_emulate(&in, &f.ctx), INSTR_UNSUPPORTED);

	/* Missing MMIO callbacks are refused, not called. */
	assert_int_equal(instr_decode((const uint8_t *)"\x89\x08", 2, M64, &in), INSTR_OK);
	f.ctx.write_mmio = NULL;
	assert_int_equal(instr_emulate(&in, &f.ctx), INSTR_UNSUPPORTED);
	assert_string_equal(f.ctx.reason, "no MMIO callbacks");
	assert_true(f.ctx.rip == before.rip);
}

static void test_modes_rip(void **state)
{
	struct fake f;

	(void)state;
	fake_init(&f);
	f.ctx.rip = 0xffff;
	run_ok(&f, M16, "89 07"); /* mov [bx],ax */
	assert_access(&f, 0, MMIO_WRITE, GPA, 2, 0x1111);
	assert_true(f.ctx.rip == 1);
	f.ctx.rip = 0xfffffffe;
	run_ok(&f, M32, "89 48 04"); /* mov [eax+4],ecx */
	assert_access(&f, 0, MMIO_WRITE, GPA, 4, 0x22222222);
	assert_true(f.ctx.rip == 1);
	f.ctx.rip = 0xfffffffffffffff0ull;
	run_ok(&f, M64, "89 08");
	assert_true(f.ctx.rip == 0xfffffffffffffff2ull);
	f.mmio_value = 0xfedcba98;
	run_ok(&f, M32, "8b 08"); /* a 32-bit load in 32-bit code: upper half cleared too */
	assert_true(f.ctx.gpr[INSTR_RCX] == 0xfedcba98);
	run_ok(&f, M16, "66 8b 0f"); /* mov ecx,[bx] */
	assert_access(&f, 0, MMIO_READ, GPA, 4, 0);
	{
		/* The offset helper agrees with the registers before the instruction. */
		uint64_t gpr[INSTR_GPR_COUNT] = { [INSTR_RAX] = 0x1000, [INSTR_RCX] = 3 };
		struct instr in;

		assert_int_equal(instr_decode((const uint8_t *)"\x89\x44\x88\x10", 4, M64, &in),
				 INSTR_OK);
		assert_true(instr_operand_offset(&in, &in.dst, gpr, 0) == 0x1000 + 3 * 4 + 0x10);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mov),
		cmocka_unit_test(test_movzx_movsx),
		cmocka_unit_test(test_cmp_test_flags),
		cmocka_unit_test(test_alu_write_back),
		cmocka_unit_test(test_bt_family),
		cmocka_unit_test(test_xchg),
		cmocka_unit_test(test_stos),
		cmocka_unit_test(test_lods_movs),
		cmocka_unit_test(test_faults_leave_state),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_modes_rip),
	};
	return cmocka_run_group_tests_name("instr_emulate", tests, NULL, NULL);
}
