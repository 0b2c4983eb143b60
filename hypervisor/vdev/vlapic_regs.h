/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Register-level pieces of the virtual local APIC shared by its source files
 * (vlapic.c: the register model; vlapic_route.c: destination matching). Not
 * an interface: only vdev/vlapic*.c include it.
 */
#ifndef HV_VDEV_VLAPIC_REGS_H
#define HV_VDEV_VLAPIC_REGS_H

#include "vdev/vlapic.h"

#define APIC_PAGE_SIZE 0x1000u
#define APIC_REGS      64u /* registers 0x000-0x3f0 */

/* IA32_APIC_BASE: the address bits (12..51, MAXPHYADDR taken as 52). */
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ull

#define VER_EOI_SUPPRESS   (1u << 24)
#define SVR_ENABLE	   (1u << 8)
#define SVR_EOI_SUPPRESS   (1u << 12)
#define SVR_WRITABLE	   (0x3ffu | ((VLAPIC_VERSION & VER_EOI_SUPPRESS) ? SVR_EOI_SUPPRESS : 0))
#define LVT_VECTOR	   0xffu
#define LVT_MASKED	   (1u << 16)
#define LVT_DELIVERY(v)	   (((v) >> 8) & 7u)
#define LVT_TIMER_MODE(v)  (((v) >> 17) & 3u)
#define TIMER_PERIODIC	   1u
#define TIMER_TSC_DEADLINE 2u
#define ICR_WRITABLE	   0x000ccfffu /* vector, mode, dest mode, level, trigger, shorthand */
#define ICR_STATUS	   (1u << 12)
#define ICR_LOGICAL	   (1u << 11)
#define ICR_ASSERT	   (1u << 14)
#define ICR_LEVEL	   (1u << 15)
#define ICR_SHORTHAND(v)   (((v) >> 18) & 3u)
#define ESR_SEND_ILLEGAL   (1u << 5)
#define ESR_RECV_ILLEGAL   (1u << 6)
#define ESR_ILLEGAL_REG	   (1u << 7)
#define FIRST_LEGAL_VECTOR 16u
#define VECTOR_BIT(v)	   (1u << ((v)&31))

enum apic_mode { MODE_DISABLED, MODE_XAPIC, MODE_X2APIC, MODE_INVALID };

/*
 * Registers are read with relaxed atomics: IRR, TMR, ESR state and the LVT
 * error entry are also read or written by vlapic_accept() on other CPUs.
 */
static inline uint32_t reg_get(const struct vlapic *vl, uint32_t offset)
{
	return __atomic_load_n(&vl->page[offset >> 2], __ATOMIC_RELAXED);
}

static inline uint64_t apic_base_get(const struct vlapic *vl)
{
	return __atomic_load_n(&vl->apic_base, __ATOMIC_RELAXED);
}

static inline enum apic_mode mode_of(uint64_t apic_base)
{
	bool enabled = apic_base & APIC_BASE_ENABLE, extd = apic_base & APIC_BASE_EXTD;

	if (!enabled)
		return extd ? MODE_INVALID : MODE_DISABLED;
	return extd ? MODE_X2APIC : MODE_XAPIC;
}

static inline enum apic_mode apic_mode(const struct vlapic *vl)
{
	return mode_of(apic_base_get(vl));
}

static inline bool software_enabled(const struct vlapic *vl)
{
	return reg_get(vl, APIC_SVR) & SVR_ENABLE;
}

#endif
