/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Emulator half of the MMIO instruction emulator: carries out a struct instr
 * from instr_decode() on a struct instr_ctx. Registers are staged in a copy
 * and committed only once every memory access succeeded, so a fault passed
 * back from a callback leaves the guest exactly as it was before the
 * instruction, which is what the exception the caller injects requires.
 */
#include "core/instr.h"

#include "lib/string.h"

struct emulation {
	const struct instr *in;
	struct instr_ctx *ctx;
	const struct instr_operand *mmio; /* the operand that caused the EPT violation */
	uint64_t gpr[INSTR_GPR_COUNT];	  /* staged registers */
	uint64_t rflags;		  /* staged flags */
};

static uint64_t emulate_mask(uint8_t size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static bool emulate_size_valid(uint8_t size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

static enum instr_result emulate_fail(struct emulation *e, enum instr_result result,
				      const char *reason)
{
	e->ctx->reason = reason;
	return result;
}

static uint64_t emulate_read_reg(const uint64_t *gpr, const struct instr_operand *o)
{
	uint64_t v = gpr[o->reg % INSTR_GPR_COUNT];

	if (o->high8)
		return (v >> 8) & 0xff;
	return v & emulate_mask(o->size);
}

/* Byte and word writes keep the rest of the register; dword writes zero-extend. */
static void emulate_write_reg(uint64_t *gpr, const struct instr_operand *o, uint64_t value)
{
	uint64_t *r = &gpr[o->reg % INSTR_GPR_COUNT];

	if (o->size == 1 && o->high8)
		*r = (*r & ~0xff00ull) | ((value & 0xff) << 8);
	else if (o->size == 1 || o->size == 2)
		*r = (*r & ~emulate_mask(o->size)) | (value & emulate_mask(o->size));
	else if (o->size == 4)
		*r = value & 0xffffffffu;
	else
		*r = value;
}

uint64_t instr_operand_offset(const struct instr *in, const struct instr_operand *opnd,
			      const uint64_t gpr[INSTR_GPR_COUNT], uint64_t rip)
{
	uint64_t offset = (uint64_t)opnd->disp;

	if (opnd->rip_relative)
		offset += rip + in->length;
	if (opnd->base >= 0)
		offset += gpr[opnd->base % INSTR_GPR_COUNT];
	if (opnd->index >= 0)
		offset += gpr[opnd->index % INSTR_GPR_COUNT] * opnd->scale;
	/* Address arithmetic wraps at the address size (16-bit offsets wrap at 64 KiB). */
	return offset & emulate_mask(in->addrsize);
}

static enum instr_result emulate_read(struct emulation *e, const struct instr_operand *o,
				      uint64_t *value)
{
	struct instr_ctx *ctx = e->ctx;
	enum instr_result r;

	switch (o->kind) {
	case INSTR_OPND_REG:
		*value = emulate_read_reg(e->gpr, o);
		return INSTR_OK;
	case INSTR_OPND_IMM:
		*value = e->in->imm & emulate_mask(o->size);
		return INSTR_OK;
	case INSTR_OPND_MEM:
		*value = 0;
		if (o == e->mmio) {
			r = ctx->read_mmio(ctx, ctx->mmio_gpa, o->size, value);
		} else if (ctx->read_guest_memory) {
			uint64_t offset = instr_operand_offset(e->in, o, e->gpr, ctx->rip);

			r = ctx->read_guest_memory(ctx, (enum instr_seg)o->seg, offset, o->size,
						   value);
		} else {
			return emulate_fail(e, INSTR_UNSUPPORTED, "no read_guest_memory callback");
		}
		if (r != INSTR_OK)
			return emulate_fail(e, r, "memory read failed");
		*value &= emulate_mask(o->size);
		return INSTR_OK;
	default:
		break;
	}
	return emulate_fail(e, INSTR_UNSUPPORTED, "operand cannot be read");
}

static enum instr_result emulate_write(struct emulation *e, const struct instr_operand *o,
				       uint64_t value)
{
	struct instr_ctx *ctx = e->ctx;
	enum instr_result r;

	value &= emulate_mask(o->size);
	switch (o->kind) {
	case INSTR_OPND_REG:
		emulate_write_reg(e->gpr, o, value);
		return INSTR_OK;
	case INSTR_OPND_MEM:
		if (o == e->mmio) {
			r = ctx->write_mmio(ctx, ctx->mmio_gpa, o->size, value);
		} else if (ctx->write_guest_memory) {
			uint64_t offset = instr_operand_offset(e->in, o, e->gpr, ctx->rip);

			r = ctx->write_guest_memory(ctx, (enum instr_seg)o->seg, offset, o->size,
						    value);
		} else {
			return emulate_fail(e, INSTR_UNSUPPORTED, "no write_guest_memory callback");
		}
		if (r != INSTR_OK)
			return emulate_fail(e, r, "memory write failed");
		return INSTR_OK;
	default:
		break;
	}
	return emulate_fail(e, INSTR_UNSUPPORTED, "operand cannot be written");
}

static uint64_t emulate_sign_extend(uint64_t value, uint8_t from_size)
{
	uint64_t sign = 1ull << (8 * from_size - 1);

	value &= emulate_mask(from_size);
	return (value ^ sign) - sign;
}

/* The new destination value; XCHG's register side and the flags are staged too. */
static uint64_t emulate_compute(struct emulation *e, uint64_t dst_value, uint64_t src_value)
{
	const struct instr *in = e->in;

	switch (in->op) {
	case INSTR_OP_MOVSX:
	case INSTR_OP_MOVSXD:
		return emulate_sign_extend(src_value, in->src.size);
	case INSTR_OP_ADD:
	case INSTR_OP_OR:
	case INSTR_OP_ADC:
	case INSTR_OP_SBB:
	case INSTR_OP_AND:
	case INSTR_OP_SUB:
	case INSTR_OP_XOR:
	case INSTR_OP_CMP:
	case INSTR_OP_TEST:
		return instr_compute_alu((enum instr_op)in->op, in->dst.size, dst_value, src_value,
					 &e->rflags);
	case INSTR_OP_BT:
	case INSTR_OP_BTS:
	case INSTR_OP_BTR:
	case INSTR_OP_BTC:
		return instr_compute_bit_op((enum instr_op)in->op, in->dst.size, dst_value,
					    src_value, &e->rflags);
	default:
		/* MOV MOVZX MOVNTI XCHG STOS LODS MOVS: the source, zero-extended. */
		return src_value;
	}
}

/* rSI/rDI move by the element size, down when DF is set, wrapping at the address size. */
static void emulate_string_step(struct emulation *e, const struct instr_operand *o)
{
	const struct instr *in = e->in;
	struct instr_operand index_reg = { .kind = INSTR_OPND_REG, .size = in->addrsize };
	uint64_t step = (e->rflags & INSTR_FLAG_DF) ? (uint64_t)0 - o->size : o->size;

	if (o->kind != INSTR_OPND_MEM || o->base < 0)
		return;
	index_reg.reg = (uint8_t)o->base;
	emulate_write_reg(e->gpr, &index_reg, e->gpr[index_reg.reg] + step);
}

/* Picks the operand the faulting GPA belongs to; NULL when there is none. */
static const struct instr_operand *emulate_mmio_operand(const struct instr *in,
							const struct instr_ctx *ctx)
{
	if (in->op == INSTR_OP_MOVS)
		return ctx->mmio_write ? &in->dst : &in->src;
	if (in->dst.kind == INSTR_OPND_MEM)
		return &in->dst;
	if (in->src.kind == INSTR_OPND_MEM)
		return &in->src;
	return NULL;
}

static enum instr_result emulate_check(struct emulation *e)
{
	const struct instr *in = e->in;

	if (in->op == INSTR_OP_NONE || in->op >= INSTR_OP_COUNT)
		return emulate_fail(e, INSTR_UNSUPPORTED, "not a decoded instruction");
	if (!emulate_size_valid(in->dst.size) || !emulate_size_valid(in->src.size) ||
	    !emulate_size_valid(in->addrsize))
		return emulate_fail(e, INSTR_UNSUPPORTED, "operand size out of range");
	if (e->ctx->read_mmio == NULL || e->ctx->write_mmio == NULL)
		return emulate_fail(e, INSTR_UNSUPPORTED, "no MMIO callbacks");
	e->mmio = emulate_mmio_operand(in, e->ctx);
	if (e->mmio == NULL)
		return emulate_fail(e, INSTR_UNSUPPORTED, "instruction has no memory operand");
	return INSTR_OK;
}

static enum instr_result emulate_run(struct emulation *e, bool *advance_rip)
{
	const struct instr *in = e->in;
	uint8_t op_flags = instr_op_infos[in->op].flags;
	struct instr_operand count_reg = { .kind = INSTR_OPND_REG, .reg = INSTR_RCX };
	uint64_t src_value, dst_value = 0, result, count = 0;
	enum instr_result r;

	if (in->rep) {
		count_reg.size = in->addrsize;
		count = emulate_read_reg(e->gpr, &count_reg);
		if (count == 0)
			return INSTR_OK; /* no iteration: only RIP moves */
	}
	r = emulate_read(e, &in->src, &src_value);
	if (r != INSTR_OK)
		return r;
	if (op_flags & INSTR_OPF_READS_DST) {
		r = emulate_read(e, &in->dst, &dst_value);
		if (r != INSTR_OK)
			return r;
	}
	result = emulate_compute(e, dst_value, src_value);
	if (op_flags & INSTR_OPF_WRITES_DST) {
		r = emulate_write(e, &in->dst, result);
		if (r != INSTR_OK)
			return r;
	}
	if (in->op == INSTR_OP_XCHG) {
		r = emulate_write(e, &in->src, dst_value);
		if (r != INSTR_OK)
			return r;
	}
	if (op_flags & INSTR_OPF_STRING) {
		emulate_string_step(e, &in->src);
		emulate_string_step(e, &in->dst);
	}
	if (in->rep) {
		emulate_write_reg(e->gpr, &count_reg, count - 1);
		/* Elements left: the guest runs the instruction again (one element per exit). */
		*advance_rip = count - 1 == 0;
	}
	return INSTR_OK;
}

enum instr_result instr_emulate(const struct instr *in, struct instr_ctx *ctx)
{
	static const uint64_t rip_mask[] = {
		[INSTR_MODE_16] = 0xffffu,
		[INSTR_MODE_32] = 0xffffffffu,
		[INSTR_MODE_64] = ~0ull,
	};
	struct emulation e = { .in = in, .ctx = ctx, .rflags = ctx->rflags };
	bool advance_rip = true;
	enum instr_result r;

	ctx->reason = NULL;
	r = emulate_check(&e);
	if (r != INSTR_OK)
		return r;
	memcpy(e.gpr, ctx->gpr, sizeof(e.gpr));
	r = emulate_run(&e, &advance_rip);
	if (r != INSTR_OK)
		return r;
	memcpy(ctx->gpr, e.gpr, sizeof(e.gpr));
	ctx->rflags = e.rflags;
	if (advance_rip)
		ctx->rip = (ctx->rip + in->length) & rip_mask[in->mode % 3];
	return INSTR_OK;
}
