/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory type range registers of a VM, kept by the hypervisor (plain logic,
 * host-tested). The guest reads and writes this copy through the MSR
 * exits; the hypervisor derives the memory types of its EPT from it, since
 * with EPT the processor does not consult MTRRs for guest accesses.
 */
#ifndef HV_CORE_MTRR_H
#define HV_CORE_MTRR_H

#include <stdbool.h>
#include <stdint.h>

#define MTRR_MAX_VARIABLE 10
#define MTRR_FIXED_COUNT  11

#define MSR_MTRR_CAP	   0xfeu
#define MSR_MTRR_PHYSBASE0 0x200u
#define MSR_MTRR_FIX64K	   0x250u
#define MSR_MTRR_FIX16K_0  0x258u
#define MSR_MTRR_FIX16K_1  0x259u
#define MSR_MTRR_FIX4K_0   0x268u /* ... 0x26f */
#define MSR_MTRR_DEF_TYPE  0x2ffu

/* Memory types, as MTRRs, PAT and EPT encode them. */
#define MTRR_TYPE_UC 0u
#define MTRR_TYPE_WC 1u
#define MTRR_TYPE_WT 4u
#define MTRR_TYPE_WP 5u
#define MTRR_TYPE_WB 6u

#define MTRR_DEF_FIXED_ENABLE (1ull << 10)
#define MTRR_DEF_ENABLE	      (1ull << 11)
#define MTRR_CAP_FIXED	      (1ull << 8)
#define MTRR_CAP_WC	      (1ull << 10)
#define MTRR_PHYSMASK_VALID   (1ull << 11)

struct mtrr_state {
	uint64_t cap;
	uint64_t def_type;
	uint64_t fixed[MTRR_FIXED_COUNT]; /* 0x250, 0x258, 0x259, 0x268-0x26f */
	uint64_t base[MTRR_MAX_VARIABLE];
	uint64_t mask[MTRR_MAX_VARIABLE];
	uint32_t variable_count;
	uint32_t phys_bits; /* MAXPHYADDR: bits above it are reserved in base/mask */
};

/* Is msr one of the MTRR MSRs this state answers (for its variable count)? */
bool mtrr_is_msr(const struct mtrr_state *m, uint32_t msr);
/* 0, or -EINVAL (#GP) for an MSR it does not have. */
int mtrr_read(const struct mtrr_state *m, uint32_t msr, uint64_t *value);
/*
 * 0 when stored; -EINVAL (#GP) for MTRRcap (read-only), a reserved bit, an
 * invalid memory type or an MSR it does not have: the state is unchanged.
 */
int mtrr_write(struct mtrr_state *m, uint32_t msr, uint64_t value);

/*
 * The memory type of the page at addr, and through *next the first address
 * above it where the type may differ (so a caller can walk the address
 * space range by range). MTRRs disabled: UC everywhere.
 */
uint32_t mtrr_type_at(const struct mtrr_state *m, uint64_t addr, uint64_t *next);

#endif
