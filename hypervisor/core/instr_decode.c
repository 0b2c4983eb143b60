/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Decoder half of the MMIO instruction emulator: prefixes, opcode lookup in
 * the tables of instr_table.c, ModRM/SIB/displacement, immediates. Every byte
 * goes through decode_fetch(), the only place that reads the buffer, so a
 * short buffer can only ever end in INSTR_TRUNCATED, and the 15-byte limit
 * bounds every loop.
 */
#include "core/instr.h"

#include "lib/string.h"

struct decoder {
	const uint8_t *bytes;
	size_t len; /* valid bytes, at most INSTR_MAX_LEN */
	size_t pos;
	enum instr_mode mode;
	struct instr *out;
};

/* ModRM fields, with the REX extensions already applied to reg and rm. */
struct modrm {
	uint8_t mod;
	uint8_t reg3; /* ModRM.reg without REX.R: the group selector */
	uint8_t reg;
	uint8_t rm;
	struct instr_operand mem; /* when mod != 3 */
};

#define REX_B 0x01u
#define REX_X 0x02u
#define REX_R 0x04u
#define REX_W 0x08u

static enum instr_result decode_fail(struct decoder *d, enum instr_result result,
				     const char *reason)
{
	d->out->reason = reason;
	return result;
}

static enum instr_result decode_fetch(struct decoder *d, uint8_t *byte)
{
	/*
	 * Past 15 bytes the CPU raises #GP whatever follows; short of that, a
	 * buffer that ends is the caller's fetch stopping early.
	 */
	if (d->pos >= INSTR_MAX_LEN)
		return decode_fail(d, INSTR_GP, "instruction longer than 15 bytes");
	if (d->pos >= d->len)
		return decode_fail(d, INSTR_TRUNCATED, "instruction bytes end mid-instruction");
	*byte = d->bytes[d->pos++];
	return INSTR_OK;
}

/* Little-endian value of n (1, 2, 4 or 8) bytes, sign-extended to 64 bits if asked. */
static enum instr_result decode_fetch_value(struct decoder *d, unsigned int n, bool sign_extend,
					    uint64_t *value)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++) {
		uint8_t b;
		enum instr_result r = decode_fetch(d, &b);

		if (r != INSTR_OK)
			return r;
		v |= (uint64_t)b << (8 * i);
	}
	if (sign_extend && n < 8 && (v >> (8 * n - 1)) & 1)
		v |= ~0ull << (8 * n);
	*value = v;
	return INSTR_OK;
}

static uint64_t decode_size_mask(unsigned int size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/*
 * Legacy prefixes in any order and number, then REX in 64-bit mode. A REX
 * counts only right before the opcode: a legacy prefix after it voids it.
 * Returns the first byte that is not a prefix.
 */
static enum instr_result decode_prefixes(struct decoder *d, uint8_t *opcode)
{
	static const uint8_t seg_prefix[6] = {
		[INSTR_SEG_ES] = 0x26, [INSTR_SEG_CS] = 0x2e, [INSTR_SEG_SS] = 0x36,
		[INSTR_SEG_DS] = 0x3e, [INSTR_SEG_FS] = 0x64, [INSTR_SEG_GS] = 0x65,
	};
	struct instr *out = d->out;

	for (;;) {
		uint8_t b;
		enum instr_result r = decode_fetch(d, &b);
		bool legacy = true;

		if (r != INSTR_OK)
			return r;
		if (b == 0xf0) {
			out->prefixes |= INSTR_PFX_LOCK;
		} else if (b == 0xf2 || b == 0xf3) {
			/* The last of F2/F3 is the one the CPU honours. */
			out->prefixes &= (uint8_t) ~(INSTR_PFX_REP | INSTR_PFX_REPNE);
			out->prefixes |= b == 0xf3 ? INSTR_PFX_REP : INSTR_PFX_REPNE;
		} else if (b == 0x66) {
			out->prefixes |= INSTR_PFX_OPSIZE;
		} else if (b == 0x67) {
			out->prefixes |= INSTR_PFX_ADDRSIZE;
		} else {
			legacy = false;
			for (unsigned int s = 0; s < sizeof(seg_prefix); s++) {
				if (b != seg_prefix[s])
					continue;
				legacy = true;
				/*
				 * The last override wins; 64-bit mode ignores ES CS SS DS
				 * overrides altogether, so they cannot displace FS or GS.
				 */
				if (d->mode != INSTR_MODE_64 || s >= INSTR_SEG_FS)
					out->seg_override = (uint8_t)s;
			}
		}
		if (legacy) {
			out->rex = 0;
			continue;
		}
		if (d->mode == INSTR_MODE_64 && (b & 0xf0) == 0x40) {
			out->rex = b;
			continue;
		}
		*opcode = b;
		return INSTR_OK;
	}
}

/* A register operand; byte registers 4-7 are AH CH DH BH unless a REX is present. */
static void decode_reg_operand(const struct decoder *d, uint8_t reg, uint8_t size,
			       struct instr_operand *opnd)
{
	opnd->kind = INSTR_OPND_REG;
	opnd->size = size;
	opnd->reg = reg;
	if (size == 1 && d->out->rex == 0 && reg >= 4 && reg < 8) {
		opnd->reg = (uint8_t)(reg - 4);
		opnd->high8 = true;
	}
}

/* 16-bit addressing: the eight fixed base/index pairs of the SDM's table 2-1. */
static enum instr_result decode_memory16(struct decoder *d, struct modrm *m)
{
	static const int8_t base16[8] = { INSTR_RBX, INSTR_RBX, INSTR_RBP, INSTR_RBP,
					  INSTR_RSI, INSTR_RDI, INSTR_RBP, INSTR_RBX };
	static const int8_t index16[8] = { INSTR_RSI, INSTR_RDI, INSTR_RSI, INSTR_RDI,
					   -1,	      -1,	 -1,	    -1 };
	struct instr_operand *mem = &m->mem;
	uint64_t disp = 0;
	enum instr_result r = INSTR_OK;

	mem->base = base16[m->rm];
	mem->index = index16[m->rm];
	if (m->mod == 0 && m->rm == 6) {
		mem->base = -1;
		r = decode_fetch_value(d, 2, true, &disp);
	} else if (m->mod == 1) {
		r = decode_fetch_value(d, 1, true, &disp);
	} else if (m->mod == 2) {
		r = decode_fetch_value(d, 2, true, &disp);
	}
	mem->disp = (int64_t)disp;
	return r;
}

/* 32- and 64-bit addressing: SIB, disp32-only and RIP-relative forms (SDM tables 2-2, 2-3). */
static enum instr_result decode_memory32(struct decoder *d, struct modrm *m, uint8_t rm3)
{
	struct instr_operand *mem = &m->mem;
	uint8_t rex = d->out->rex;
	uint64_t disp = 0;
	bool disp32 = m->mod == 2;
	enum instr_result r;

	if (rm3 == 4) {
		uint8_t sib, index, base3;

		r = decode_fetch(d, &sib);
		if (r != INSTR_OK)
			return r;
		mem->scale = (uint8_t)(1u << (sib >> 6));
		index = (uint8_t)(((sib >> 3) & 7) | (rex & REX_X ? 8 : 0));
		/* Index 100b means none; with REX.X it is R12. */
		if (index != INSTR_RSP)
			mem->index = (int8_t)index;
		base3 = sib & 7;
		/* Base 101b with mod 00 means disp32 and no base, whatever REX.B says. */
		if (base3 == 5 && m->mod == 0)
			disp32 = true;
		else
			mem->base = (int8_t)(base3 | (rex & REX_B ? 8 : 0));
	} else if (rm3 == 5 && m->mod == 0) {
		/* In 64-bit mode this slot became RIP-relative; elsewhere it is [disp32]. */
		mem->rip_relative = d->mode == INSTR_MODE_64;
		disp32 = true;
	} else {
		mem->base = (int8_t)m->rm;
	}
	if (m->mod == 1)
		r = decode_fetch_value(d, 1, true, &disp);
	else if (disp32)
		r = decode_fetch_value(d, 4, true, &disp);
	else
		r = INSTR_OK;
	mem->disp = (int64_t)disp;
	return r;
}

static enum instr_result decode_modrm(struct decoder *d, struct modrm *m)
{
	struct instr *out = d->out;
	uint8_t b, rm3;
	enum instr_result r = decode_fetch(d, &b);

	if (r != INSTR_OK)
		return r;
	out->has_modrm = true;
	out->modrm = b;
	m->mod = b >> 6;
	m->reg3 = (b >> 3) & 7;
	m->reg = (uint8_t)(m->reg3 | (out->rex & REX_R ? 8 : 0));
	rm3 = b & 7;
	m->rm = (uint8_t)(rm3 | (out->rex & REX_B ? 8 : 0));
	if (m->mod == 3)
		return INSTR_OK;

	m->mem.kind = INSTR_OPND_MEM;
	m->mem.base = -1;
	m->mem.index = -1;
	m->mem.scale = 1;
	if (out->addrsize == 2)
		r = decode_memory16(d, m);
	else
		r = decode_memory32(d, m, rm3);
	if (out->seg_override != INSTR_SEG_NONE)
		m->mem.seg = out->seg_override;
	else if (m->mem.base == INSTR_RSP || m->mem.base == INSTR_RBP)
		m->mem.seg = INSTR_SEG_SS;
	else
		m->mem.seg = INSTR_SEG_DS;
	return r;
}

/* A memory operand at a fixed register (string instructions). */
static void decode_string_operand(uint8_t seg, int8_t base, uint8_t size,
				  struct instr_operand *opnd)
{
	opnd->kind = INSTR_OPND_MEM;
	opnd->size = size;
	opnd->seg = seg;
	opnd->base = base;
	opnd->index = -1;
	opnd->scale = 1;
}

static enum instr_result decode_operand(struct decoder *d, enum instr_spec spec, uint8_t size,
					const struct modrm *m, struct instr_operand *opnd)
{
	struct instr *out = d->out;
	uint8_t seg = out->seg_override != INSTR_SEG_NONE ? out->seg_override : INSTR_SEG_DS;
	uint64_t v;
	enum instr_result r;

	switch (spec) {
	case INSTR_SPEC_E:
	case INSTR_SPEC_M:
		if (m->mod == 3) {
			if (spec == INSTR_SPEC_M)
				return decode_fail(d, INSTR_BAD,
						   "register operand where only memory is allowed");
			decode_reg_operand(d, m->rm, size, opnd);
			return INSTR_OK;
		}
		*opnd = m->mem;
		opnd->size = size;
		return INSTR_OK;
	case INSTR_SPEC_G:
		decode_reg_operand(d, m->reg, size, opnd);
		return INSTR_OK;
	case INSTR_SPEC_IB:
	case INSTR_SPEC_IBU:
	case INSTR_SPEC_IZ:
		r = decode_fetch_value(d, spec == INSTR_SPEC_IZ ? (size == 2 ? 2 : 4) : 1,
				       spec != INSTR_SPEC_IBU, &v);
		if (r != INSTR_OK)
			return r;
		out->imm = v & decode_size_mask(size);
		opnd->kind = INSTR_OPND_IMM;
		opnd->size = size;
		return INSTR_OK;
	case INSTR_SPEC_ACC:
		opnd->kind = INSTR_OPND_REG;
		opnd->size = size;
		opnd->reg = INSTR_RAX;
		return INSTR_OK;
	case INSTR_SPEC_O:
		r = decode_fetch_value(d, out->addrsize, false, &v);
		if (r != INSTR_OK)
			return r;
		decode_string_operand(seg, -1, size, opnd);
		opnd->disp = (int64_t)v;
		return INSTR_OK;
	case INSTR_SPEC_X:
		decode_string_operand(seg, INSTR_RSI, size, opnd);
		return INSTR_OK;
	case INSTR_SPEC_Y:
		/* The destination of a string instruction is ES: overrides do not apply. */
		decode_string_operand(INSTR_SEG_ES, INSTR_RDI, size, opnd);
		return INSTR_OK;
	case INSTR_SPEC_NONE:
		break;
	}
	return INSTR_OK;
}

static bool decode_spec_has_modrm(uint8_t spec)
{
	return spec == INSTR_SPEC_E || spec == INSTR_SPEC_M || spec == INSTR_SPEC_G;
}

static void decode_sizes(struct decoder *d, const struct instr_desc *desc)
{
	struct instr *out = d->out;
	bool opsize_prefix = out->prefixes & INSTR_PFX_OPSIZE;
	bool addrsize_prefix = out->prefixes & INSTR_PFX_ADDRSIZE;

	switch (d->mode) {
	case INSTR_MODE_16:
		out->opsize = opsize_prefix ? 4 : 2;
		out->addrsize = addrsize_prefix ? 4 : 2;
		break;
	case INSTR_MODE_32:
		out->opsize = opsize_prefix ? 2 : 4;
		out->addrsize = addrsize_prefix ? 2 : 4;
		break;
	case INSTR_MODE_64:
		/* REX.W wins over 66; there is no 16-bit addressing in 64-bit mode. */
		out->opsize = out->rex & REX_W ? 8 : (opsize_prefix ? 2 : 4);
		out->addrsize = addrsize_prefix ? 4 : 8;
		break;
	}
	if (desc->flags & INSTR_DESC_BYTE)
		out->opsize = 1;
	else if (desc->flags & INSTR_DESC_SIZE_Y)
		out->opsize = out->rex & REX_W ? 8 : 4;
}

static uint8_t decode_src_size(const struct instr *out, const struct instr_desc *desc)
{
	if (desc->flags & INSTR_DESC_SRC_BYTE)
		return 1;
	if (desc->flags & INSTR_DESC_SRC_WORD)
		return 2;
	if ((desc->flags & INSTR_DESC_SRC_DWORD) && out->opsize > 4)
		return 4;
	return out->opsize;
}

/* Checks the SDM makes after the whole instruction is known (fetch faults come first). */
static enum instr_result decode_check(struct decoder *d, const struct instr_desc *desc)
{
	struct instr *out = d->out;
	uint8_t op_flags = instr_op_infos[out->op].flags;

	if (out->prefixes & INSTR_PFX_LOCK) {
		/* LOCK needs a lockable operation with a ModRM memory destination. */
		if (!(op_flags & INSTR_OPF_LOCKABLE) || out->dst.kind != INSTR_OPND_MEM)
			return decode_fail(d, INSTR_BAD,
					   "LOCK prefix on an instruction that cannot be locked");
	}
	if ((desc->flags & INSTR_DESC_NO_PREFIX) &&
	    (out->prefixes & (INSTR_PFX_OPSIZE | INSTR_PFX_REP | INSTR_PFX_REPNE)))
		return decode_fail(d, INSTR_BAD, "66/F2/F3 prefix on an opcode that forbids it");
	/* F2 and F3 both repeat MOVS/STOS/LODS; elsewhere they are ignored hints. */
	out->rep =
	    (op_flags & INSTR_OPF_STRING) && (out->prefixes & (INSTR_PFX_REP | INSTR_PFX_REPNE));
	return INSTR_OK;
}

static enum instr_result decode_instruction(struct decoder *d)
{
	struct instr *out = d->out;
	const struct instr_desc *desc;
	struct modrm m = { 0 };
	uint8_t b;
	enum instr_result r = decode_prefixes(d, &b);

	if (r != INSTR_OK)
		return r;
	if (out->rex)
		out->prefixes |= INSTR_PFX_REX;
	if (b == 0x0f) {
		r = decode_fetch(d, &b);
		if (r != INSTR_OK)
			return r;
		out->opcode = (uint16_t)(0x0f00 | b);
		desc = &instr_table_two_byte[b];
	} else {
		out->opcode = b;
		desc = &instr_table_one_byte[b];
	}
	if (desc->op == INSTR_OP_NONE && desc->group == INSTR_GROUP_NONE)
		return decode_fail(d, INSTR_UNSUPPORTED, "opcode not emulated");
	if ((desc->flags & INSTR_DESC_64_ONLY) && d->mode != INSTR_MODE_64)
		return decode_fail(d, INSTR_UNSUPPORTED, "opcode not emulated in this mode");
	out->op = desc->op;
	decode_sizes(d, desc);

	if (decode_spec_has_modrm(desc->dst) || decode_spec_has_modrm(desc->src)) {
		r = decode_modrm(d, &m);
		if (r != INSTR_OK)
			return r;
		if (desc->group != INSTR_GROUP_NONE && desc->group < INSTR_GROUP_COUNT) {
			out->op = instr_groups[desc->group][m.reg3];
			if (out->op == INSTR_OP_NONE)
				return decode_fail(d, INSTR_UNSUPPORTED,
						   "group opcode with a ModRM.reg not emulated");
		}
	}
	r = decode_operand(d, desc->dst, out->opsize, &m, &out->dst);
	if (r != INSTR_OK)
		return r;
	r = decode_operand(d, desc->src, decode_src_size(out, desc), &m, &out->src);
	if (r != INSTR_OK)
		return r;
	return decode_check(d, desc);
}

enum instr_result instr_decode(const uint8_t *bytes, size_t len, enum instr_mode mode,
			       struct instr *out)
{
	struct decoder d = {
		.bytes = bytes,
		.len = len > INSTR_MAX_LEN ? INSTR_MAX_LEN : len,
		.mode = mode,
		.out = out,
	};
	enum instr_result r;

	memset(out, 0, sizeof(*out));
	out->seg_override = INSTR_SEG_NONE;
	out->mode = (uint8_t)mode;
	out->dst.base = out->dst.index = out->src.base = out->src.index = -1;
	if (mode != INSTR_MODE_16 && mode != INSTR_MODE_32 && mode != INSTR_MODE_64) {
		out->reason = "invalid CPU mode";
		return INSTR_UNSUPPORTED;
	}
	if (bytes == NULL)
		d.len = 0;
	r = decode_instruction(&d);
	out->length = (uint8_t)d.pos;
	/* A failed decode must never reach instr_emulate() as something runnable. */
	if (r != INSTR_OK)
		out->op = INSTR_OP_NONE;
	return r;
}

enum instr_mode instr_mode_from_cs(bool long_mode_active, bool cs_l, bool cs_d)
{
	if (long_mode_active && cs_l)
		return INSTR_MODE_64;
	return cs_d ? INSTR_MODE_32 : INSTR_MODE_16;
}

int instr_result_exception(enum instr_result result)
{
	switch (result) {
	case INSTR_OK:
		return -1;
	case INSTR_GP:
		return 13;
	case INSTR_PAGE_FAULT:
		return 14;
	case INSTR_UNSUPPORTED:
	case INSTR_BAD:
	case INSTR_TRUNCATED:
	case INSTR_RESULT_COUNT:
		break;
	}
	return 6;
}

const char *instr_result_name(enum instr_result result)
{
	static const char *const names[INSTR_RESULT_COUNT] = {
		[INSTR_OK] = "ok",   [INSTR_UNSUPPORTED] = "unsupported",
		[INSTR_BAD] = "bad", [INSTR_TRUNCATED] = "truncated",
		[INSTR_GP] = "#GP",  [INSTR_PAGE_FAULT] = "#PF",
	};

	if ((unsigned int)result >= INSTR_RESULT_COUNT)
		return "(invalid)";
	return names[result];
}
