/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Opcode tables of the MMIO instruction decoder (Intel SDM volume 2, appendix
 * A). Only forms that can address memory are listed: a form without a memory
 * operand cannot cause an EPT violation, so it is left out and decodes as
 * unsupported. An empty slot is all zeros, i.e. INSTR_OP_NONE.
 */
#include "core/instr.h"

/* ALU r/m,reg / reg,r/m quartet starting at opcode base (00 ADD, 08 OR, ...). */
#define ALU_FORMS(base, operation)                                                                 \
	[(base) + 0] = { .op = (operation),                                                        \
			 .dst = INSTR_SPEC_E,                                                      \
			 .src = INSTR_SPEC_G,                                                      \
			 .flags = INSTR_DESC_BYTE },                                               \
		  [(base) + 1] = { .op = (operation), .dst = INSTR_SPEC_E, .src = INSTR_SPEC_G },  \
		  [(base) + 2] = { .op = (operation),                                              \
				   .dst = INSTR_SPEC_G,                                            \
				   .src = INSTR_SPEC_E,                                            \
				   .flags = INSTR_DESC_BYTE },                                     \
		  [(base) + 3] = { .op = (operation), .dst = INSTR_SPEC_G, .src = INSTR_SPEC_E }

const struct instr_desc instr_table_one_byte[256] = {
	ALU_FORMS(0x00, INSTR_OP_ADD),
	ALU_FORMS(0x08, INSTR_OP_OR),
	ALU_FORMS(0x10, INSTR_OP_ADC),
	ALU_FORMS(0x18, INSTR_OP_SBB),
	ALU_FORMS(0x20, INSTR_OP_AND),
	ALU_FORMS(0x28, INSTR_OP_SUB),
	ALU_FORMS(0x30, INSTR_OP_XOR),
	ALU_FORMS(0x38, INSTR_OP_CMP),
	/* MOVSXD Gv, Ed; ARPL outside 64-bit mode. */
	[0x63] = { .op = INSTR_OP_MOVSXD,
		   .dst = INSTR_SPEC_G,
		   .src = INSTR_SPEC_E,
		   .flags = INSTR_DESC_SRC_DWORD | INSTR_DESC_64_ONLY },
	/* Group 1: ADD..CMP Eb,Ib / Ev,Iz / Ev,Ib (82 is not here: #UD in 64-bit mode). */
	[0x80] = { .group = INSTR_GROUP_ALU,
		   .dst = INSTR_SPEC_E,
		   .src = INSTR_SPEC_IB,
		   .flags = INSTR_DESC_BYTE },
	[0x81] = { .group = INSTR_GROUP_ALU, .dst = INSTR_SPEC_E, .src = INSTR_SPEC_IZ },
	[0x83] = { .group = INSTR_GROUP_ALU, .dst = INSTR_SPEC_E, .src = INSTR_SPEC_IB },
	[0x84] = { .op = INSTR_OP_TEST,
		   .dst = INSTR_SPEC_E,
		   .src = INSTR_SPEC_G,
		   .flags = INSTR_DESC_BYTE },
	[0x85] = { .op = INSTR_OP_TEST, .dst = INSTR_SPEC_E, .src = INSTR_SPEC_G },
	[0x86] = { .op = INSTR_OP_XCHG,
		   .dst = INSTR_SPEC_E,
		   .src = INSTR_SPEC_G,
		   .flags = INSTR_DESC_BYTE },
	[0x87] = { .op = INSTR_OP_XCHG, .dst = INSTR_SPEC_E, .src = INSTR_SPEC_G },
	[0x88] = { .op = INSTR_OP_MOV,
		   .dst = INSTR_SPEC_E,
		   .src = INSTR_SPEC_G,
		   .flags = INSTR_DESC_BYTE },
	[0x89] = { .op = INSTR_OP_MOV, .dst = INSTR_SPEC_E, .src = INSTR_SPEC_G },
	[0x8a] = { .op = INSTR_OP_MOV,
		   .dst = INSTR_SPEC_G,
		   .src = INSTR_SPEC_E,
		   .flags = INSTR_DESC_BYTE },
	[0x8b] = { .op = INSTR_OP_MOV, .dst = INSTR_SPEC_G, .src = INSTR_SPEC_E },
	[0xa0] = { .op = INSTR_OP_MOV,
		   .dst = INSTR_SPEC_ACC,
		   .src = INSTR_SPEC_O,
		   .flags = INSTR_DESC_BYTE },
	[0xa1] = { .op = INSTR_OP_MOV, .dst = INSTR_SPEC_ACC, .src = INSTR_SPEC_O },
	[0xa2] = { .op = INSTR_OP_MOV,
		   .dst = INSTR_SPEC_O,
		   .src = INSTR_SPEC_ACC,
		   .flags = INSTR_DESC_BYTE },
	[0xa3] = { .op = INSTR_OP_MOV, .dst = INSTR_SPEC_O, .src = INSTR_SPEC_ACC },
	[0xa4] = { .op = INSTR_OP_MOVS,
		   .dst = INSTR_SPEC_Y,
		   .src = INSTR_SPEC_X,
		   .flags = INSTR_DESC_BYTE },
	[0xa5] = { .op = INSTR_OP_MOVS, .dst = INSTR_SPEC_Y, .src = INSTR_SPEC_X },
	[0xaa] = { .op = INSTR_OP_STOS,
		   .dst = INSTR_SPEC_Y,
		   .src = INSTR_SPEC_ACC,
		   .flags = INSTR_DESC_BYTE },
	[0xab] = { .op = INSTR_OP_STOS, .dst = INSTR_SPEC_Y, .src = INSTR_SPEC_ACC },
	[0xac] = { .op = INSTR_OP_LODS,
		   .dst = INSTR_SPEC_ACC,
		   .src = INSTR_SPEC_X,
		   .flags = INSTR_DESC_BYTE },
	[0xad] = { .op = INSTR_OP_LODS, .dst = INSTR_SPEC_ACC, .src = INSTR_SPEC_X },
	/* Group 11: MOV Eb,Ib / Ev,Iz. */
	[0xc6] = { .group = INSTR_GROUP_MOV,
		   .dst = INSTR_SPEC_E,
		   .src = INSTR_SPEC_IB,
		   .flags = INSTR_DESC_BYTE },
	[0xc7] = { .group = INSTR_GROUP_MOV, .dst = INSTR_SPEC_E, .src = INSTR_SPEC_IZ },
	/* Group 3: only TEST has a memory form worth emulating on MMIO. */
	[0xf6] = { .group = INSTR_GROUP_TEST,
		   .dst = INSTR_SPEC_E,
		   .src = INSTR_SPEC_IB,
		   .flags = INSTR_DESC_BYTE },
	[0xf7] = { .group = INSTR_GROUP_TEST, .dst = INSTR_SPEC_E, .src = INSTR_SPEC_IZ },
};

const struct instr_desc instr_table_two_byte[256] = {
	[0xa3] = { .op = INSTR_OP_BT, .dst = INSTR_SPEC_E, .src = INSTR_SPEC_G },
	[0xab] = { .op = INSTR_OP_BTS, .dst = INSTR_SPEC_E, .src = INSTR_SPEC_G },
	[0xb3] = { .op = INSTR_OP_BTR, .dst = INSTR_SPEC_E, .src = INSTR_SPEC_G },
	[0xbb] = { .op = INSTR_OP_BTC, .dst = INSTR_SPEC_E, .src = INSTR_SPEC_G },
	[0xb6] = { .op = INSTR_OP_MOVZX,
		   .dst = INSTR_SPEC_G,
		   .src = INSTR_SPEC_E,
		   .flags = INSTR_DESC_SRC_BYTE },
	[0xb7] = { .op = INSTR_OP_MOVZX,
		   .dst = INSTR_SPEC_G,
		   .src = INSTR_SPEC_E,
		   .flags = INSTR_DESC_SRC_WORD },
	/* Group 8: BT* Ev,Ib. */
	[0xba] = { .group = INSTR_GROUP_BT, .dst = INSTR_SPEC_E, .src = INSTR_SPEC_IBU },
	[0xbe] = { .op = INSTR_OP_MOVSX,
		   .dst = INSTR_SPEC_G,
		   .src = INSTR_SPEC_E,
		   .flags = INSTR_DESC_SRC_BYTE },
	[0xbf] = { .op = INSTR_OP_MOVSX,
		   .dst = INSTR_SPEC_G,
		   .src = INSTR_SPEC_E,
		   .flags = INSTR_DESC_SRC_WORD },
	/* MOVNTI My, Gy: the prefixed forms are other (or no) instructions. */
	[0xc3] = { .op = INSTR_OP_MOVNTI,
		   .dst = INSTR_SPEC_M,
		   .src = INSTR_SPEC_G,
		   .flags = INSTR_DESC_NO_PREFIX | INSTR_DESC_SIZE_Y },
};

/* Operation by ModRM.reg; INSTR_OP_NONE is a form this emulator does not handle. */
const uint8_t instr_groups[INSTR_GROUP_COUNT][8] = {
	[INSTR_GROUP_ALU] = { INSTR_OP_ADD, INSTR_OP_OR, INSTR_OP_ADC, INSTR_OP_SBB, INSTR_OP_AND,
			      INSTR_OP_SUB, INSTR_OP_XOR, INSTR_OP_CMP },
	[INSTR_GROUP_MOV] = { [0] = INSTR_OP_MOV },
	[INSTR_GROUP_TEST] = { [0] = INSTR_OP_TEST },
	[INSTR_GROUP_BT] = { [4] = INSTR_OP_BT,
			     [5] = INSTR_OP_BTS,
			     [6] = INSTR_OP_BTR,
			     [7] = INSTR_OP_BTC },
};

#define RMW (INSTR_OPF_READS_DST | INSTR_OPF_WRITES_DST)

const struct instr_op_info instr_op_infos[INSTR_OP_COUNT] = {
	[INSTR_OP_NONE] = { .name = "(none)" },
	[INSTR_OP_MOV] = { .name = "mov", .flags = INSTR_OPF_WRITES_DST },
	[INSTR_OP_MOVZX] = { .name = "movzx", .flags = INSTR_OPF_WRITES_DST },
	[INSTR_OP_MOVSX] = { .name = "movsx", .flags = INSTR_OPF_WRITES_DST },
	[INSTR_OP_MOVSXD] = { .name = "movsxd", .flags = INSTR_OPF_WRITES_DST },
	[INSTR_OP_MOVNTI] = { .name = "movnti", .flags = INSTR_OPF_WRITES_DST },
	[INSTR_OP_XCHG] = { .name = "xchg", .flags = RMW | INSTR_OPF_LOCKABLE },
	[INSTR_OP_ADD] = { .name = "add", .flags = RMW | INSTR_OPF_LOCKABLE },
	[INSTR_OP_OR] = { .name = "or", .flags = RMW | INSTR_OPF_LOCKABLE },
	[INSTR_OP_ADC] = { .name = "adc", .flags = RMW | INSTR_OPF_LOCKABLE },
	[INSTR_OP_SBB] = { .name = "sbb", .flags = RMW | INSTR_OPF_LOCKABLE },
	[INSTR_OP_AND] = { .name = "and", .flags = RMW | INSTR_OPF_LOCKABLE },
	[INSTR_OP_SUB] = { .name = "sub", .flags = RMW | INSTR_OPF_LOCKABLE },
	[INSTR_OP_XOR] = { .name = "xor", .flags = RMW | INSTR_OPF_LOCKABLE },
	[INSTR_OP_CMP] = { .name = "cmp", .flags = INSTR_OPF_READS_DST },
	[INSTR_OP_TEST] = { .name = "test", .flags = INSTR_OPF_READS_DST },
	[INSTR_OP_BT] = { .name = "bt", .flags = INSTR_OPF_READS_DST },
	[INSTR_OP_BTS] = { .name = "bts", .flags = RMW | INSTR_OPF_LOCKABLE },
	[INSTR_OP_BTR] = { .name = "btr", .flags = RMW | INSTR_OPF_LOCKABLE },
	[INSTR_OP_BTC] = { .name = "btc", .flags = RMW | INSTR_OPF_LOCKABLE },
	[INSTR_OP_STOS] = { .name = "stos", .flags = INSTR_OPF_WRITES_DST | INSTR_OPF_STRING },
	[INSTR_OP_LODS] = { .name = "lods", .flags = INSTR_OPF_WRITES_DST | INSTR_OPF_STRING },
	[INSTR_OP_MOVS] = { .name = "movs", .flags = INSTR_OPF_WRITES_DST | INSTR_OPF_STRING },
};

const char *instr_op_name(enum instr_op op)
{
	if ((unsigned int)op >= INSTR_OP_COUNT)
		return "(invalid)";
	return instr_op_infos[op].name;
}
