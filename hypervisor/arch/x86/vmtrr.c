/* SPDX-License-Identifier: BSD-3-Clause */
#include "arch/x86/vmtrr.h"

#include "arch/x86/cpu.h"
#include "lib/string.h"

#define CPUID1_EDX_MTRR	 (1u << 12)
#define MTRR_CAP_VCNT	 0xffull
#define MTRR_CAP_SMRR	 (1ull << 11)
#define CPUID_ADDR_SIZES 0x80000008u

static const uint32_t fixed_msrs[MTRR_FIXED_COUNT] = {
	MSR_MTRR_FIX64K,      MSR_MTRR_FIX16K_0,    MSR_MTRR_FIX16K_1,	  MSR_MTRR_FIX4K_0,
	MSR_MTRR_FIX4K_0 + 1, MSR_MTRR_FIX4K_0 + 2, MSR_MTRR_FIX4K_0 + 3, MSR_MTRR_FIX4K_0 + 4,
	MSR_MTRR_FIX4K_0 + 5, MSR_MTRR_FIX4K_0 + 6, MSR_MTRR_FIX4K_0 + 7,
};

void vmtrr_init_from_host(struct mtrr_state *m)
{
	struct cpuid_regs r;

	memset(m, 0, sizeof(*m));
	cpuid_count(CPUID_ADDR_SIZES, 0, &r);
	m->phys_bits = r.eax & 0xff;
	cpuid_count(1, 0, &r);
	if (!(r.edx & CPUID1_EDX_MTRR)) {
		/* No MTRRs: everything write-back, as an enabled default type. */
		m->def_type = MTRR_DEF_ENABLE | MTRR_TYPE_WB;
		return;
	}
	/* SMRRs are system-management state the guest must not see. */
	m->cap = rdmsr(MSR_MTRR_CAP) & ~MTRR_CAP_SMRR;
	m->variable_count = (uint32_t)(m->cap & MTRR_CAP_VCNT);
	if (m->variable_count > MTRR_MAX_VARIABLE) {
		m->variable_count = MTRR_MAX_VARIABLE;
		m->cap = (m->cap & ~MTRR_CAP_VCNT) | MTRR_MAX_VARIABLE;
	}
	m->def_type = rdmsr(MSR_MTRR_DEF_TYPE);
	if (m->cap & MTRR_CAP_FIXED)
		for (uint32_t i = 0; i < MTRR_FIXED_COUNT; i++)
			m->fixed[i] = rdmsr(fixed_msrs[i]);
	for (uint32_t i = 0; i < m->variable_count; i++) {
		m->base[i] = rdmsr(MSR_MTRR_PHYSBASE0 + 2 * i);
		m->mask[i] = rdmsr(MSR_MTRR_PHYSBASE0 + 2 * i + 1);
	}
}
