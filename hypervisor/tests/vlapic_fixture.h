/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared fixture of the virtual local APIC tests (test_vlapic.c and
 * test_vlapic_timer.c): a fake environment that records what the model asks
 * of the vCPU (timer deadlines, IPIs, level EOIs, kicks) with time as a
 * variable the tests move, setup/teardown that put the model in an
 * exactly-sized aligned heap block so that ASan sees stray accesses, and
 * register accessors for both modes.
 */
#ifndef HV_TESTS_VLAPIC_FIXTURE_H
#define HV_TESTS_VLAPIC_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/log_capture.h"
#include "vdev/vlapic.h"

#define MAX_MSGS 32

static struct fake_env {
	uint64_t now;
	uint64_t armed; /* last deadline given to timer_arm */
	int arms;
	struct virq_msg msgs[MAX_MSGS];
	int msg_count;
	uint8_t eois[MAX_MSGS];
	int eoi_count;
	int kicks;
} fake;

static inline uint64_t fake_now(void *ctx)
{
	return ((struct fake_env *)ctx)->now;
}

static inline void fake_timer_arm(void *ctx, uint64_t deadline)
{
	struct fake_env *f = ctx;

	f->armed = deadline;
	f->arms++;
}

static inline void fake_send_ipi(void *ctx, const struct virq_msg *msg)
{
	struct fake_env *f = ctx;

	assert_true(f->msg_count < MAX_MSGS);
	f->msgs[f->msg_count++] = *msg;
}

static inline void fake_eoi_level(void *ctx, uint8_t vector)
{
	struct fake_env *f = ctx;

	assert_true(f->eoi_count < MAX_MSGS);
	f->eois[f->eoi_count++] = vector;
}

static inline void fake_kick(void *ctx)
{
	__atomic_fetch_add(&((struct fake_env *)ctx)->kicks, 1, __ATOMIC_RELAXED);
}

static const struct vlapic_env env = {
	.ctx = &fake,
	.now = fake_now,
	.timer_arm = fake_timer_arm,
	.send_ipi = fake_send_ipi,
	.eoi_level = fake_eoi_level,
	.kick = fake_kick,
};

static struct vlapic *vl;

static inline int setup(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	vl = aligned_alloc(4096, sizeof(*vl));
	assert_non_null(vl);
	memset(vl, 0xa5, sizeof(*vl)); /* vlapic_init must set everything */
	vlapic_init(vl, 3, true, &env);
	log_capture_reset();
	return 0;
}

static inline int teardown(void **state)
{
	(void)state;
	free(vl);
	return 0;
}

static inline uint32_t mmio_rd(uint32_t offset)
{
	uint64_t v = 0xdead;

	assert_int_equal(vlapic_mmio_read(vl, vlapic_base_address(vl) + offset, 4, &v), 0);
	return (uint32_t)v;
}

static inline void mmio_wr(uint32_t offset, uint32_t value)
{
	assert_int_equal(vlapic_mmio_write(vl, vlapic_base_address(vl) + offset, 4, value), 0);
}

static inline uint64_t msr_rd(uint32_t msr)
{
	uint64_t v = 0xdead;

	assert_int_equal(vlapic_rdmsr(vl, msr, &v), 0);
	return v;
}

static inline int msr_rd_err(uint32_t msr)
{
	uint64_t v;

	return vlapic_rdmsr(vl, msr, &v);
}

static inline uint32_t x2msr(uint32_t offset)
{
	return MSR_X2APIC_FIRST + (offset >> 4);
}

static inline void go_x2apic(void)
{
	assert_int_equal(vlapic_wrmsr(vl, MSR_APIC_BASE, msr_rd(MSR_APIC_BASE) | APIC_BASE_EXTD),
			 0);
	assert_true(vlapic_x2apic_mode(vl));
}

static inline void software_enable(void)
{
	mmio_wr(APIC_SVR, 0x1ff);
	assert_true(vlapic_enabled(vl));
}

static inline bool vector_set(uint32_t base, uint8_t vector)
{
	return (vlapic_read_reg(vl, base + (vector >> 5) * 0x10u) >> (vector & 31)) & 1;
}

static const uint32_t lvts[] = { APIC_LVT_TIMER, APIC_LVT_THERMAL, APIC_LVT_PMC,
				 APIC_LVT_LINT0, APIC_LVT_LINT1,   APIC_LVT_ERROR };

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

#endif
