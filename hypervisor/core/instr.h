/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * x86 instruction decoder and emulator for guest MMIO accesses.
 *
 * An EPT violation on an MMIO page leaves the hypervisor with a guest-physical
 * address and a guest instruction it must complete by hand. The caller fetches
 * up to INSTR_MAX_LEN bytes at the guest's RIP, instr_decode() turns them into a
 * struct instr, and instr_emulate() carries the instruction out on a struct
 * instr_ctx: guest registers plus callbacks for the MMIO access and for the
 * ordinary-memory side of MOVS. Nothing here touches VMX or guest page tables,
 * so the same code runs in acrn.bin and in the host tests.
 *
 * Supported (with every legacy prefix, REX, 16/32/64-bit modes, all ModRM/SIB
 * forms including RIP-relative):
 *   MOV 88 89 8A 8B, C6/0 C7/0, A0-A3 (moffs); MOVZX 0F B6/B7; MOVSX 0F BE/BF;
 *   MOVSXD 63 (64-bit mode; with 66 a 16-bit source, as Intel's SDM says, where
 *   AMD reads 32 bits); MOVNTI 0F C3; XCHG 86 87;
 *   ADD OR ADC SBB AND SUB XOR CMP in their r/m,reg and reg,r/m forms (00-3B)
 *   and as group 1 (80 81 83); TEST 84 85 and F6/0 F7/0;
 *   BT BTS BTR BTC 0F A3/AB/B3/BB and 0F BA /4-/7;
 *   STOS AA AB, LODS AC AD, MOVS A4 A5, each with REP.
 * Everything else decodes to INSTR_UNSUPPORTED.
 */
#ifndef HV_CORE_INSTR_H
#define HV_CORE_INSTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The architectural limit: a longer instruction raises #GP(0). */
#define INSTR_MAX_LEN 15

/* General-purpose registers in encoding order (RAX = 0 ... R15 = 15). */
enum instr_gpr {
	INSTR_RAX,
	INSTR_RCX,
	INSTR_RDX,
	INSTR_RBX,
	INSTR_RSP,
	INSTR_RBP,
	INSTR_RSI,
	INSTR_RDI,
	INSTR_R8,
	INSTR_R9,
	INSTR_R10,
	INSTR_R11,
	INSTR_R12,
	INSTR_R13,
	INSTR_R14,
	INSTR_R15,
	INSTR_GPR_COUNT,
};

/* Default operand and address size of the code segment: see instr_mode_from_cs(). */
enum instr_mode {
	INSTR_MODE_16, /* real mode, virtual-8086, 16-bit protected mode (CS.D = 0) */
	INSTR_MODE_32, /* 32-bit protected or compatibility mode (CS.D = 1) */
	INSTR_MODE_64, /* 64-bit mode (IA32_EFER.LMA = 1 and CS.L = 1) */
};

/*
 * Outcome of decoding or emulating; instr_result_exception() says what the
 * guest gets. On anything but INSTR_OK the guest's registers are untouched.
 */
enum instr_result {
	INSTR_OK = 0,
	INSTR_UNSUPPORTED, /* not an instruction this emulator handles: #UD */
	INSTR_BAD,	   /* an encoding the SDM makes #UD (LOCK misuse, register form
			      of a memory-only instruction, prefix an opcode forbids) */
	INSTR_TRUNCATED,   /* the bytes given end before the instruction does. #UD unless
			      the caller's fetch stopped at a page it could not translate,
			      in which case that #PF is the right answer */
	INSTR_GP,	   /* #GP(0): longer than 15 bytes, or passed through from a callback */
	INSTR_PAGE_FAULT,  /* a guest-memory callback faulted; it recorded CR2 and the
			      error code for the caller to inject */
	INSTR_RESULT_COUNT,
};

/* Segment registers in encoding order; INSTR_SEG_NONE when no override is given. */
enum instr_seg {
	INSTR_SEG_ES,
	INSTR_SEG_CS,
	INSTR_SEG_SS,
	INSTR_SEG_DS,
	INSTR_SEG_FS,
	INSTR_SEG_GS,
	INSTR_SEG_NONE,
};

enum instr_op {
	INSTR_OP_NONE = 0,
	INSTR_OP_MOV,
	INSTR_OP_MOVZX,
	INSTR_OP_MOVSX,
	INSTR_OP_MOVSXD,
	INSTR_OP_MOVNTI,
	INSTR_OP_XCHG,
	INSTR_OP_ADD,
	INSTR_OP_OR,
	INSTR_OP_ADC,
	INSTR_OP_SBB,
	INSTR_OP_AND,
	INSTR_OP_SUB,
	INSTR_OP_XOR,
	INSTR_OP_CMP,
	INSTR_OP_TEST,
	INSTR_OP_BT,
	INSTR_OP_BTS,
	INSTR_OP_BTR,
	INSTR_OP_BTC,
	INSTR_OP_STOS,
	INSTR_OP_LODS,
	INSTR_OP_MOVS,
	INSTR_OP_COUNT,
};

enum instr_operand_kind {
	INSTR_OPND_NONE = 0,
	INSTR_OPND_REG, /* a general-purpose register */
	INSTR_OPND_MEM, /* memory: ModRM, moffs, or a string operand (rSI / rDI) */
	INSTR_OPND_IMM, /* struct instr.imm */
};

struct instr_operand {
	uint8_t kind; /* enum instr_operand_kind */
	uint8_t size; /* bytes: 1, 2, 4 or 8 */
	/* INSTR_OPND_REG */
	uint8_t reg; /* enum instr_gpr */
	bool high8;  /* AH, CH, DH, BH: bits 15:8 of reg (only without REX) */
	/* INSTR_OPND_MEM: offset = disp + base + index * scale [+ next RIP], in addrsize */
	uint8_t seg;  /* enum instr_seg: the override, else DS, SS (rSP/rBP base) or ES (rDI) */
	int8_t base;  /* enum instr_gpr or -1 */
	int8_t index; /* enum instr_gpr or -1 */
	uint8_t scale;
	bool rip_relative;
	int64_t disp; /* sign-extended displacement; moffs zero-extended */
};

/* Prefix bits of struct instr.prefixes. */
#define INSTR_PFX_LOCK	   0x01u
#define INSTR_PFX_REP	   0x02u /* F3 */
#define INSTR_PFX_REPNE	   0x04u /* F2 */
#define INSTR_PFX_OPSIZE   0x08u /* 66 */
#define INSTR_PFX_ADDRSIZE 0x10u /* 67 */
#define INSTR_PFX_REX	   0x20u /* a REX prefix right before the opcode */

struct instr {
	uint8_t length;	      /* bytes consumed (on failure: up to where decoding stopped) */
	uint8_t mode;	      /* enum instr_mode */
	uint8_t op;	      /* enum instr_op */
	uint16_t opcode;      /* 0x00XX one-byte map, 0x0FXX two-byte map */
	uint8_t prefixes;     /* INSTR_PFX_* */
	uint8_t rex;	      /* the effective REX byte, 0 when none */
	uint8_t seg_override; /* enum instr_seg; in 64-bit mode only FS or GS (the CPU
				 ignores ES CS SS DS overrides there) */
	uint8_t opsize;	      /* operand size in bytes (the destination's for MOVZX/MOVSX) */
	uint8_t addrsize;     /* address size in bytes: 2, 4 or 8 */
	bool rep;	      /* string instruction with an F3 or F2 prefix */
	bool has_modrm;
	uint8_t modrm;
	struct instr_operand dst;
	struct instr_operand src;
	uint64_t imm; /* sign-extended to and masked at the operand size (BT*'s offset: zero-) */
	const char *reason; /* why decoding failed, for the caller's log line */
};

struct instr_ctx;

/*
 * Callbacks return INSTR_OK, or INSTR_PAGE_FAULT / INSTR_GP (or any other
 * result) which instr_emulate() returns unchanged without touching registers.
 * Sizes are 1, 2, 4 or 8; values are zero-extended.
 */
typedef enum instr_result (*instr_mmio_read_fn)(struct instr_ctx *ctx, uint64_t gpa, uint8_t size,
						uint64_t *value);
typedef enum instr_result (*instr_mmio_write_fn)(struct instr_ctx *ctx, uint64_t gpa, uint8_t size,
						 uint64_t value);
/*
 * Ordinary guest memory at seg:offset (offset already wrapped to the address
 * size). The caller adds the segment base, checks limits and canonical form,
 * walks the guest page tables, and dispatches to MMIO itself if the address
 * turns out to be MMIO too (MOVS between two MMIO ranges).
 */
typedef enum instr_result (*instr_mem_read_fn)(struct instr_ctx *ctx, enum instr_seg seg,
					       uint64_t offset, uint8_t size, uint64_t *value);
typedef enum instr_result (*instr_mem_write_fn)(struct instr_ctx *ctx, enum instr_seg seg,
						uint64_t offset, uint8_t size, uint64_t value);

struct instr_ctx {
	uint64_t gpr[INSTR_GPR_COUNT]; /* enum instr_gpr order */
	uint64_t rip;
	uint64_t rflags;
	/* From the EPT violation: the address the MMIO operand is accessed at. */
	uint64_t mmio_gpa;
	/*
	 * Exit qualification bit 1 (the access was a write). Only MOVS needs it:
	 * a read fault means the source is MMIO, a write fault the destination.
	 */
	bool mmio_write;
	instr_mmio_read_fn read_mmio;
	instr_mmio_write_fn write_mmio;
	instr_mem_read_fn read_guest_memory;   /* MOVS only; may be NULL otherwise */
	instr_mem_write_fn write_guest_memory; /* MOVS only; may be NULL otherwise */
	void *opaque;			       /* the caller's, untouched */
	const char *reason;		       /* out: why instr_emulate() failed */
};

/* RFLAGS bits the emulator reads or writes. */
#define INSTR_FLAG_CF (1ull << 0)
#define INSTR_FLAG_PF (1ull << 2)
#define INSTR_FLAG_AF (1ull << 4)
#define INSTR_FLAG_ZF (1ull << 6)
#define INSTR_FLAG_SF (1ull << 7)
#define INSTR_FLAG_DF (1ull << 10)
#define INSTR_FLAG_OF (1ull << 11)
#define INSTR_FLAGS_ARITH                                                                          \
	(INSTR_FLAG_CF | INSTR_FLAG_PF | INSTR_FLAG_AF | INSTR_FLAG_ZF | INSTR_FLAG_SF |           \
	 INSTR_FLAG_OF)

/* 64-bit when long mode is active and CS.L is set; otherwise CS.D picks 32 or 16. */
enum instr_mode instr_mode_from_cs(bool long_mode_active, bool cs_l, bool cs_d);

/*
 * Decodes one instruction from bytes[0..len). len may be anything from 0 to
 * INSTR_MAX_LEN (more is ignored); no byte at or past len is read. *out is
 * always fully written; out->reason explains a failure.
 */
enum instr_result instr_decode(const uint8_t *bytes, size_t len, enum instr_mode mode,
			       struct instr *out);

/*
 * Carries out a decoded instruction: the memory operand (for MOVS the one
 * ctx->mmio_write selects) goes to read_mmio/write_mmio at ctx->mmio_gpa, the
 * other MOVS operand to the guest-memory callbacks. Updates the destination,
 * the arithmetic flags (CMP TEST ADD ADC SUB SBB AND OR XOR: CF PF AF ZF SF OF,
 * AF cleared by the logical ones; BT*: CF only), rSI/rDI/rCX, and RIP.
 *
 * String instructions do one element per call. With REP and rCX nonzero after
 * that element, RIP stays on the instruction so the guest executes it again
 * (and exits again while it still touches MMIO), as the CPU itself does when
 * it takes an interrupt between iterations; REP with rCX = 0 only moves RIP.
 *
 * Reads of MMIO happen before writes, and guest registers are committed only
 * when every access succeeded. A LOCKed or XCHG read-modify-write is two
 * separate MMIO accesses: device registers have no atomicity to preserve.
 * An instruction without a memory operand is INSTR_UNSUPPORTED (it cannot have
 * caused the EPT violation; the guest's code changed under us).
 *
 * The MMIO access is always made at ctx->mmio_gpa with the operand's width:
 * for BT* with a register bit offset the CPU has already picked the element
 * (the faulting address), so only the offset modulo the width is used; an
 * access straddling two pages is not split.
 */
enum instr_result instr_emulate(const struct instr *in, struct instr_ctx *ctx);

/*
 * Offset of a memory operand within its segment (wrapped to the address
 * size), from the registers before the instruction; rip is the instruction's
 * own address. Lets the caller check it against the exit's guest-linear address.
 */
uint64_t instr_operand_offset(const struct instr *in, const struct instr_operand *opnd,
			      const uint64_t gpr[INSTR_GPR_COUNT], uint64_t rip);

/*
 * The arithmetic of ADD OR ADC SBB AND SUB XOR CMP TEST on size-byte values:
 * returns the result masked to size and replaces the six arithmetic flags in
 * *rflags (ADC/SBB take the carry from it). Other ops return dst unchanged.
 */
uint64_t instr_compute_alu(enum instr_op op, uint8_t size, uint64_t dst, uint64_t src,
			   uint64_t *rflags);

/*
 * BT BTS BTR BTC on a size-byte value: CF = bit (bit mod size*8), the others
 * untouched; returns the value with the bit set, cleared or flipped.
 */
uint64_t instr_compute_bit_op(enum instr_op op, uint8_t size, uint64_t value, uint64_t bit,
			      uint64_t *rflags);

/* Exception vector to inject for a result (6 #UD, 13 #GP, 14 #PF), -1 for INSTR_OK. */
int instr_result_exception(enum instr_result result);
const char *instr_result_name(enum instr_result result);
const char *instr_op_name(enum instr_op op);

/* ---- shared between core/instr_*.c only; callers have no use for it ---- */

/* How an operand is encoded (SDM appendix A letters in the comments). */
enum instr_spec {
	INSTR_SPEC_NONE = 0,
	INSTR_SPEC_E,	/* ModRM r/m: register or memory */
	INSTR_SPEC_M,	/* ModRM r/m: memory only (a register form is #UD) */
	INSTR_SPEC_G,	/* ModRM reg */
	INSTR_SPEC_IB,	/* 8-bit immediate, sign-extended */
	INSTR_SPEC_IBU, /* 8-bit immediate, zero-extended (a bit offset) */
	INSTR_SPEC_IZ,	/* 16-bit immediate for 16-bit operands, else 32-bit sign-extended */
	INSTR_SPEC_ACC, /* AL / AX / EAX / RAX */
	INSTR_SPEC_O,	/* moffs: an absolute offset of the address size */
	INSTR_SPEC_X,	/* DS:rSI (segment overridable) */
	INSTR_SPEC_Y,	/* ES:rDI */
};

/* Descriptor flags. */
#define INSTR_DESC_BYTE	     0x01u /* 8-bit operands regardless of prefixes */
#define INSTR_DESC_SRC_BYTE  0x02u /* source is 8 bits (MOVZX/MOVSX Eb) */
#define INSTR_DESC_SRC_WORD  0x04u /* source is 16 bits (MOVZX/MOVSX Ew) */
#define INSTR_DESC_SRC_DWORD 0x08u /* source is at most 32 bits (MOVSXD) */
#define INSTR_DESC_64_ONLY   0x10u /* something else outside 64-bit mode (63 is ARPL) */
#define INSTR_DESC_NO_PREFIX 0x20u /* 66, F2 and F3 select another instruction: #UD here */
#define INSTR_DESC_SIZE_Y    0x40u /* 32 bits, 64 with REX.W, whatever the mode (MOVNTI) */

struct instr_desc {
	uint8_t op;    /* enum instr_op; INSTR_OP_NONE with group == 0: unsupported */
	uint8_t group; /* nonzero: op comes from instr_groups[group][ModRM.reg] */
	uint8_t dst;   /* enum instr_spec */
	uint8_t src;   /* enum instr_spec */
	uint8_t flags; /* INSTR_DESC_* */
};

enum instr_group {
	INSTR_GROUP_NONE = 0,
	INSTR_GROUP_ALU,  /* 80 81 83: ADD OR ADC SBB AND SUB XOR CMP */
	INSTR_GROUP_MOV,  /* C6 C7: /0 MOV */
	INSTR_GROUP_TEST, /* F6 F7: /0 TEST */
	INSTR_GROUP_BT,	  /* 0F BA: /4 BT /5 BTS /6 BTR /7 BTC */
	INSTR_GROUP_COUNT,
};

/* Properties of an operation (struct instr_op_info.flags). */
#define INSTR_OPF_LOCKABLE   0x01u /* LOCK allowed with a memory destination */
#define INSTR_OPF_READS_DST  0x02u
#define INSTR_OPF_WRITES_DST 0x04u
#define INSTR_OPF_STRING     0x08u

struct instr_op_info {
	const char *name;
	uint8_t flags; /* INSTR_OPF_* */
};

extern const struct instr_desc instr_table_one_byte[256];
extern const struct instr_desc instr_table_two_byte[256];
extern const uint8_t instr_groups[INSTR_GROUP_COUNT][8];
extern const struct instr_op_info instr_op_infos[INSTR_OP_COUNT];

#endif
