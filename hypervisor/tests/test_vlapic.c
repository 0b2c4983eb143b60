/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual local APIC: register access rules in both modes, IA32_APIC_BASE
 * transitions, priorities, interrupt acceptance and EOI, ICR decoding,
 * destination matching, ExtINT acceptance through LINT0, and acceptance from
 * two threads at once. The timer is in test_vlapic_timer.c; the fake
 * environment and accessors are in vlapic_fixture.h.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/errno.h"
#include "tests/vlapic_fixture.h"
#include "vdev/vlapic.h"

/* Latches and returns the errors since the last ESR write (xAPIC). */
static uint32_t esr_latch(void)
{
	mmio_wr(APIC_ESR, 0);
	return mmio_rd(APIC_ESR);
}

static struct virq_msg last_msg(void)
{
	assert_true(fake.msg_count > 0);
	return fake.msgs[fake.msg_count - 1];
}

static void accept_and_ack(uint8_t vector, bool level)
{
	vlapic_accept(vl, vector, level);
	assert_int_equal(vlapic_pending_vector(vl), vector);
	vlapic_ack(vl, vector);
}

/* Fields in virq_msg order: dest, logical, vector, delivery, shorthand, level, assert, x2. */
static void expect_msg(const struct virq_msg *want)
{
	struct virq_msg got = last_msg();

	assert_int_equal(got.dest, want->dest);
	assert_int_equal(got.dest_logical, want->dest_logical);
	assert_int_equal(got.vector, want->vector);
	assert_int_equal(got.delivery, want->delivery);
	assert_int_equal(got.shorthand, want->shorthand);
	assert_int_equal(got.level, want->level);
	assert_int_equal(got.assert, want->assert);
	assert_int_equal(got.x2apic_dest, want->x2apic_dest);
}

static void test_power_on_state(void **state)
{
	(void)state;
	assert_int_equal(msr_rd(MSR_APIC_BASE), 0xfee00000u | APIC_BASE_ENABLE | APIC_BASE_BSP);
	assert_int_equal(vlapic_base_address(vl), VLAPIC_DEFAULT_BASE);
	assert_false(vlapic_x2apic_mode(vl));
	assert_false(vlapic_enabled(vl)); /* SVR software-disabled */
	assert_int_equal(mmio_rd(APIC_ID), 3u << 24);
	assert_int_equal(mmio_rd(APIC_VER), VLAPIC_VERSION);
	assert_int_equal(mmio_rd(APIC_SVR), 0xff);
	assert_int_equal(mmio_rd(APIC_DFR), 0xffffffffu);
	for (uint32_t off = APIC_TPR; off <= APIC_LDR; off += 0x10)
		assert_int_equal(mmio_rd(off), 0);
	for (uint32_t off = APIC_ISR; off < APIC_ESR; off += 0x10)
		assert_int_equal(mmio_rd(off), 0);
	for (size_t i = 0; i < sizeof(lvts) / sizeof(lvts[0]); i++)
		assert_int_equal(mmio_rd(lvts[i]), 0x10000);
	assert_int_equal(mmio_rd(APIC_ICR_LOW) | mmio_rd(APIC_ICR_HIGH), 0);
	assert_int_equal(mmio_rd(APIC_TIMER_ICR) | mmio_rd(APIC_TIMER_CCR), 0);
	assert_int_equal(mmio_rd(APIC_TIMER_DCR), 0);
	assert_int_equal(esr_latch(), 0);
	assert_int_equal(msr_rd(MSR_TSC_DEADLINE), 0);
	assert_int_equal(fake.arms, 0);
	assert_int_equal(vlapic_pending_vector(vl), -1);
	assert_false(vlapic_accepts_extint(vl));
	assert_int_equal(vlapic_priority(vl), 0);

	vlapic_init(vl, 0x1234, false, &env); /* an AP with an id beyond 8 bits */
	assert_int_equal(msr_rd(MSR_APIC_BASE), 0xfee00000u | APIC_BASE_ENABLE);
	assert_int_equal(mmio_rd(APIC_ID), 0x34u << 24);
	go_x2apic();
	assert_int_equal(msr_rd(x2msr(APIC_ID)), 0x1234);
}

static void test_init_ipi(void **state)
{
	(void)state;
	software_enable();
	assert_int_equal(vlapic_wrmsr(vl, MSR_APIC_BASE, 0xfed00000u | APIC_BASE_ENABLE), 0);
	mmio_wr(APIC_TPR, 0x20);
	mmio_wr(APIC_LDR, 0x01000000);
	mmio_wr(APIC_DFR, 0);
	mmio_wr(APIC_LVT_LINT0, 0x700);
	accept_and_ack(0x40, true);
	vlapic_accept(vl, 0x50, false);
	mmio_wr(APIC_TIMER_ICR, 1000);
	assert_int_not_equal(fake.armed, 0);

	vlapic_init_ipi(vl);
	assert_int_equal(fake.armed, 0); /* timer cancelled */
	assert_int_equal(msr_rd(MSR_APIC_BASE), 0xfed00000u | APIC_BASE_ENABLE | APIC_BASE_BSP);
	assert_int_equal(mmio_rd(APIC_ID), 3u << 24);
	assert_int_equal(mmio_rd(APIC_SVR), 0xff);
	assert_int_equal(mmio_rd(APIC_TPR) | mmio_rd(APIC_PPR) | mmio_rd(APIC_LDR), 0);
	assert_int_equal(mmio_rd(APIC_DFR), 0xffffffffu);
	assert_int_equal(mmio_rd(APIC_LVT_LINT0), 0x10000);
	assert_int_equal(mmio_rd(APIC_TIMER_ICR), 0);
	assert_false(vector_set(APIC_ISR, 0x40) || vector_set(APIC_TMR, 0x40));
	assert_false(vector_set(APIC_IRR, 0x50));
	assert_int_equal(vlapic_pending_vector(vl), -1);
	assert_int_equal(vl->accepted[0x50], 1); /* statistics survive */

	/* x2APIC mode survives INIT, with its id and derived LDR. */
	go_x2apic();
	vlapic_init_ipi(vl);
	assert_true(vlapic_x2apic_mode(vl));
	assert_int_equal(msr_rd(x2msr(APIC_ID)), 3);
	assert_int_equal(msr_rd(x2msr(APIC_LDR)), 1u << 3);
}

static void test_mmio_access_rules(void **state)
{
	uint64_t v;
	uint64_t base = vlapic_base_address(vl);
	const uint32_t svr_writable = (VLAPIC_VERSION & (1u << 24)) ? 0x13ff : 0x3ff;

	(void)state;
	/* Other widths and offsets inside a register: read 0, writes ignored. */
	for (uint32_t width = 1; width <= 8; width *= 2) {
		assert_int_equal(vlapic_mmio_read(vl, base + APIC_VER, width, &v), 0);
		assert_int_equal(v, width == 4 ? VLAPIC_VERSION : 0);
	}
	assert_int_equal(vlapic_mmio_read(vl, base + APIC_VER + 4, 4, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vlapic_mmio_write(vl, base + APIC_TPR, 2, 0x30), 0);
	assert_int_equal(vlapic_mmio_write(vl, base + APIC_TPR, 8, 0x30), 0);
	assert_int_equal(vlapic_mmio_write(vl, base + APIC_TPR + 8, 4, 0x30), 0);
	assert_int_equal(mmio_rd(APIC_TPR), 0);

	/* Read-only registers ignore writes, without an error. */
	mmio_wr(APIC_ID, 0x07000000);
	mmio_wr(APIC_VER, 0);
	mmio_wr(APIC_PPR, 0xf0);
	mmio_wr(APIC_IRR + 0x10, 0xffffffffu);
	mmio_wr(APIC_TIMER_CCR, 5);
	assert_int_equal(mmio_rd(APIC_ID), 3u << 24);
	assert_int_equal(mmio_rd(APIC_VER), VLAPIC_VERSION);
	assert_int_equal(mmio_rd(APIC_PPR) | mmio_rd(APIC_IRR + 0x10), 0);
	assert_int_equal(mmio_rd(APIC_TIMER_CCR), 0);
	assert_int_equal(mmio_rd(APIC_EOI), 0);
	assert_int_equal(esr_latch(), 0);
	assert_int_equal(vlapic_read_reg(vl, APIC_VER + 4) | vlapic_read_reg(vl, 0x400), 0);

	/* Offsets with no register (CMCI is absent with 6 LVTs): ESR bit 7. */
	const uint32_t absent[] = { 0x000, 0x010,	  0x040, 0x290, APIC_LVT_CMCI,
				    0x3a0, APIC_SELF_IPI, 0x400, 0xff0 };
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		assert_int_equal(mmio_rd(absent[i]), 0);
		assert_int_equal(esr_latch(), 0x80);
		mmio_wr(absent[i], 0x30);
		assert_int_equal(esr_latch(), 0x80);
	}
	assert_int_equal(esr_latch(), 0);

	/* Writable bits only. */
	mmio_wr(APIC_TPR, 0xffffffffu);
	assert_int_equal(mmio_rd(APIC_TPR), 0xff);
	mmio_wr(APIC_TPR, 0);
	mmio_wr(APIC_LDR, 0xffffffffu);
	assert_int_equal(mmio_rd(APIC_LDR), 0xff000000u);
	mmio_wr(APIC_DFR, 0x12345678);
	assert_int_equal(mmio_rd(APIC_DFR), 0x1fffffffu);
	mmio_wr(APIC_DFR, 0);
	assert_int_equal(mmio_rd(APIC_DFR), 0x0fffffffu);
	mmio_wr(APIC_SVR, 0xffffffffu);
	assert_int_equal(mmio_rd(APIC_SVR), svr_writable);
	mmio_wr(APIC_LVT_LINT0, 0xffffffffu);
	assert_int_equal(mmio_rd(APIC_LVT_LINT0), 0x1a7ff);
	mmio_wr(APIC_TIMER_DCR, 0xffffffffu);
	assert_int_equal(mmio_rd(APIC_TIMER_DCR), 0xb);
	mmio_wr(APIC_ICR_HIGH, 0xffffffffu);
	assert_int_equal(mmio_rd(APIC_ICR_HIGH), 0xff000000u);
	mmio_wr(APIC_ICR_LOW, 0xfffff830u); /* status (bit 12) is read-only */
	assert_int_equal(mmio_rd(APIC_ICR_LOW), 0xcc830);
	expect_msg(&(struct virq_msg){ 0xff, true, 0x30, VIRQ_FIXED, VIRQ_ALL_EXCLUDING_SELF, false,
				       true, false });

	/* Outside the page, or no xAPIC page at all: all ones, writes dropped. */
	assert_int_equal(vlapic_mmio_read(vl, base + 0x1000, 4, &v), 0);
	assert_int_equal(v, 0xffffffffu);
	assert_int_equal(vlapic_mmio_read(vl, base - 4, 2, &v), 0);
	assert_int_equal(v, 0xffff);
	go_x2apic();
	assert_int_equal(vlapic_mmio_read(vl, base + APIC_VER, 4, &v), 0);
	assert_int_equal(v, 0xffffffffu);
	assert_int_equal(vlapic_mmio_read(vl, base + APIC_VER, 8, &v), 0);
	assert_int_equal(v, ~0ull);
	assert_int_equal(vlapic_mmio_write(vl, base + APIC_TPR, 4, 0x40), 0);
	assert_int_equal(msr_rd(x2msr(APIC_TPR)), 0);
	assert_int_equal(vlapic_wrmsr(vl, MSR_APIC_BASE, VLAPIC_DEFAULT_BASE), 0);
	assert_int_equal(vlapic_mmio_read(vl, base + APIC_VER, 1, &v), 0);
	assert_int_equal(v, 0xff);
}

static void test_msr_rules_outside_x2apic(void **state)
{
	(void)state;
	assert_int_equal(msr_rd_err(x2msr(APIC_ID)), -EINVAL);
	assert_int_equal(msr_rd_err(x2msr(APIC_TPR)), -EINVAL);
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_TPR), 0x20), -EINVAL);
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_SELF_IPI), 0x40), -EINVAL);
	assert_int_equal(mmio_rd(APIC_TPR), 0);
	assert_int_equal(msr_rd_err(0x10), -EINVAL); /* not an APIC MSR */
	assert_int_equal(vlapic_wrmsr(vl, 0x900, 0), -EINVAL);
}

static void test_msr_rules_x2apic(void **state)
{
	(void)state;
	vlapic_init(vl, 0x25, true, &env);
	go_x2apic();
	assert_int_equal(msr_rd(x2msr(APIC_ID)), 0x25);
	assert_int_equal(msr_rd(x2msr(APIC_VER)), VLAPIC_VERSION);
	assert_int_equal(msr_rd(x2msr(APIC_LDR)), 0x20020);
	assert_int_equal(msr_rd(x2msr(APIC_SVR)), 0xff);

	/* Read-only registers: a write is #GP. */
	const uint32_t read_only[] = { APIC_ID,	 APIC_VER,	  APIC_PPR,	   APIC_LDR,
				       APIC_ISR, APIC_TMR + 0x70, APIC_IRR + 0x30, APIC_TIMER_CCR };
	for (size_t i = 0; i < sizeof(read_only) / sizeof(read_only[0]); i++) {
		(void)msr_rd(x2msr(read_only[i]));
		assert_int_equal(vlapic_wrmsr(vl, x2msr(read_only[i]), 0), -EINVAL);
	}
	/* Write-only registers: a read is #GP. */
	assert_int_equal(msr_rd_err(x2msr(APIC_EOI)), -EINVAL);
	assert_int_equal(msr_rd_err(x2msr(APIC_SELF_IPI)), -EINVAL);
	/* Absent in x2APIC mode: DFR, ICR high half, APR, RRD, CMCI, reserved. */
	const uint32_t absent[] = { 0x800, 0x801, 0x809, 0x80c, 0x80e,
				    0x82f, 0x831, 0x83a, 0x840, 0x8ff };
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		assert_int_equal(msr_rd_err(absent[i]), -EINVAL);
		assert_int_equal(vlapic_wrmsr(vl, absent[i], 0), -EINVAL);
	}
	/* EOI and ESR take only zero. */
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_EOI), 1), -EINVAL);
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_EOI), 0), 0);
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_ESR), 0x40), -EINVAL);
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_ESR), 0), 0);
	/* Reserved bits, including the upper half of 32-bit registers: #GP. */
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_TPR), 0x100), -EINVAL);
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_TPR), 0x100000020ull), -EINVAL);
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_SVR), 0x1ff | (1u << 20)), -EINVAL);
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_TIMER_DCR), 4), -EINVAL);
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_LVT_LINT0), 1u << 17), -EINVAL);
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_LVT_ERROR), 0x700), -EINVAL);
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_ICR_LOW), 1u << 13), -EINVAL);
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_SELF_IPI), 0x140), -EINVAL);
	assert_int_equal(msr_rd(x2msr(APIC_TPR)), 0);
	assert_int_equal(fake.msg_count, 0);
	/* Legal writes; read-only status bits are accepted and not stored. */
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_TPR), 0x20), 0);
	assert_int_equal(msr_rd(x2msr(APIC_TPR)), 0x20);
	assert_int_equal(msr_rd(x2msr(APIC_PPR)), 0x20);
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_SVR), 0x1ff), 0);
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_LVT_LINT0), 0x1d700), 0);
	assert_int_equal(msr_rd(x2msr(APIC_LVT_LINT0)), 0x18700);
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_TIMER_DCR), 0xb), 0);
	assert_int_equal(msr_rd(x2msr(APIC_TIMER_DCR)), 0xb);
}

static void test_apic_base_transitions(void **state)
{
	const uint64_t xapic = VLAPIC_DEFAULT_BASE | APIC_BASE_ENABLE;
	const uint64_t x2apic = xapic | APIC_BASE_EXTD, disabled = VLAPIC_DEFAULT_BASE;
	uint64_t v;

	(void)state;
	/* Reserved bits: 0-7, 9, and above bit 51. */
	const uint64_t reserved[] = { 1, 0x80, 0x200, 1ull << 52, 1ull << 63 };
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		assert_int_equal(vlapic_wrmsr(vl, MSR_APIC_BASE, xapic | reserved[i]), -EINVAL);
	assert_int_equal(vlapic_wrmsr(vl, MSR_APIC_BASE, APIC_BASE_EXTD), -EINVAL);

	/* Same state again keeps everything; the BSP flag is not the guest's. */
	software_enable();
	assert_int_equal(vlapic_wrmsr(vl, MSR_APIC_BASE, xapic), 0);
	assert_int_equal(msr_rd(MSR_APIC_BASE), xapic | APIC_BASE_BSP);
	assert_true(vlapic_enabled(vl));

	/* Moving the page. */
	assert_int_equal(vlapic_wrmsr(vl, MSR_APIC_BASE, 0xfec01000u | APIC_BASE_ENABLE), 0);
	assert_int_equal(vlapic_base_address(vl), 0xfec01000u);
	assert_int_equal(mmio_rd(APIC_VER), VLAPIC_VERSION);
	assert_int_equal(vlapic_mmio_read(vl, VLAPIC_DEFAULT_BASE + APIC_VER, 4, &v), 0);
	assert_int_equal(v, 0xffffffffu);
	assert_int_equal(vlapic_wrmsr(vl, MSR_APIC_BASE, xapic), 0);

	/* xAPIC -> x2APIC keeps state; x2APIC -> xAPIC directly is illegal. */
	mmio_wr(APIC_TPR, 0x30);
	accept_and_ack(0x60, false);
	assert_int_equal(vlapic_wrmsr(vl, MSR_APIC_BASE, x2apic), 0);
	assert_int_equal(msr_rd(x2msr(APIC_TPR)), 0x30);
	assert_int_equal(msr_rd(x2msr(APIC_PPR)), 0x60);
	assert_int_equal(msr_rd(x2msr(APIC_ID)), 3);
	assert_int_equal(vlapic_wrmsr(vl, MSR_APIC_BASE, xapic), -EINVAL);
	assert_true(vlapic_x2apic_mode(vl));

	/* x2APIC -> disabled resets like INIT and cancels the timer. */
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_TIMER_ICR), 100), 0);
	assert_int_not_equal(fake.armed, 0);
	assert_int_equal(vlapic_wrmsr(vl, MSR_APIC_BASE, disabled), 0);
	assert_int_equal(fake.armed, 0);
	assert_false(vlapic_enabled(vl));
	assert_false(vlapic_x2apic_mode(vl));
	assert_int_equal(msr_rd_err(x2msr(APIC_ID)), -EINVAL);
	assert_int_equal(vlapic_mmio_read(vl, VLAPIC_DEFAULT_BASE + APIC_VER, 4, &v), 0);
	assert_int_equal(v, 0xffffffffu);
	vlapic_accept(vl, 0x70, false); /* nobody home */
	assert_int_equal(vlapic_pending_vector(vl), -1);
	assert_false(vlapic_matches_destination(vl, 0xff, false, false));

	/* disabled -> x2APIC is illegal; disabled -> xAPIC comes back reset with its id. */
	assert_int_equal(vlapic_wrmsr(vl, MSR_APIC_BASE, x2apic), -EINVAL);
	assert_int_equal(vlapic_wrmsr(vl, MSR_APIC_BASE, xapic), 0);
	assert_int_equal(mmio_rd(APIC_ID), 3u << 24);
	assert_int_equal(mmio_rd(APIC_SVR), 0xff);
	assert_int_equal(mmio_rd(APIC_TPR) | mmio_rd(APIC_PPR) | mmio_rd(APIC_IRR + 0x30), 0);
	assert_int_equal(mmio_rd(APIC_ISR + 0x30), 0);
	/* xAPIC -> disabled, too. */
	assert_int_equal(vlapic_wrmsr(vl, MSR_APIC_BASE, disabled), 0);
	assert_int_equal(msr_rd(MSR_APIC_BASE), disabled | APIC_BASE_BSP);
}

static void test_tpr_ppr(void **state)
{
	(void)state;
	software_enable();
	mmio_wr(APIC_TPR, 0x35);
	assert_int_equal(mmio_rd(APIC_PPR), 0x35);
	accept_and_ack(0x61, false);
	assert_int_equal(mmio_rd(APIC_PPR), 0x60); /* ISR class wins */
	mmio_wr(APIC_TPR, 0x65);
	assert_int_equal(mmio_rd(APIC_PPR), 0x65); /* equal class: TPR */
	mmio_wr(APIC_TPR, 0x70);
	assert_int_equal(vlapic_priority(vl), 0x70);
	mmio_wr(APIC_EOI, 0);
	mmio_wr(APIC_TPR, 0x50);
	assert_int_equal(mmio_rd(APIC_PPR), 0x50);

	/* Pending needs a class above PPR's. */
	vlapic_accept(vl, 0x5f, false);
	assert_int_equal(vlapic_pending_vector(vl), -1);
	vlapic_accept(vl, 0x61, false);
	assert_int_equal(vlapic_pending_vector(vl), 0x61);
	mmio_wr(APIC_TPR, 0x60);
	assert_int_equal(vlapic_pending_vector(vl), -1);
	mmio_wr(APIC_TPR, 0);
	assert_int_equal(vlapic_pending_vector(vl), 0x61);
}

/*
 * With a TPR shadow the processor stores the guest's TPR in the page without
 * an exit; PPR and the pending decision follow only after vlapic_sync_ppr().
 */
static void test_tpr_shadow_sync(void **state)
{
	(void)state;
	software_enable();
	vlapic_accept(vl, 0x61, false);
	assert_int_equal(vlapic_pending_vector(vl), 0x61);
	vl->page[APIC_TPR >> 2] = 0x70; /* the guest's write, as the processor makes it */
	assert_int_equal(vlapic_pending_vector(vl), 0x61); /* stale PPR until synced */
	vlapic_sync_ppr(vl);
	assert_int_equal(mmio_rd(APIC_PPR), 0x70);
	assert_int_equal(vlapic_pending_vector(vl), -1);
	vl->page[APIC_TPR >> 2] = 0x20;
	vlapic_sync_ppr(vl);
	assert_int_equal(mmio_rd(APIC_PPR), 0x20);
	assert_int_equal(vlapic_pending_vector(vl), 0x61);
	vlapic_ack(vl, 0x61);
	vlapic_sync_ppr(vl); /* ISR class above TPR: PPR stays the ISR's */
	assert_int_equal(mmio_rd(APIC_PPR), 0x60);
}

static void test_nested_ack_eoi(void **state)
{
	(void)state;
	software_enable();
	accept_and_ack(0x30, false);
	assert_false(vector_set(APIC_IRR, 0x30));
	assert_true(vector_set(APIC_ISR, 0x30));
	vlapic_accept(vl, 0x35, false); /* same class as in service: waits */
	assert_int_equal(vlapic_pending_vector(vl), -1);
	accept_and_ack(0x80, false); /* nests */
	assert_int_equal(vlapic_priority(vl), 0x80);
	vlapic_accept(vl, 0x70, false);
	assert_int_equal(vlapic_pending_vector(vl), -1);

	mmio_wr(APIC_EOI, 0); /* ends 0x80, the highest in service */
	assert_false(vector_set(APIC_ISR, 0x80));
	assert_int_equal(vlapic_priority(vl), 0x30);
	assert_int_equal(vlapic_pending_vector(vl), 0x70);
	vlapic_ack(vl, 0x70);
	mmio_wr(APIC_EOI, 0);
	assert_int_equal(vlapic_pending_vector(vl), -1); /* 0x35 still below 0x30's class */
	mmio_wr(APIC_EOI, 0);
	assert_false(vector_set(APIC_ISR, 0x30));
	assert_int_equal(vlapic_pending_vector(vl), 0x35);
	vlapic_ack(vl, 0x35);
	mmio_wr(APIC_EOI, 0);
	mmio_wr(APIC_EOI, 0); /* nothing in service: harmless */
	assert_int_equal(vlapic_priority(vl), 0);
	assert_int_equal(vlapic_pending_vector(vl), -1);

	vlapic_ack(vl, 0x90); /* not pending: ignored */
	assert_false(vector_set(APIC_ISR, 0x90));
	assert_int_equal(vl->accepted[0x30] + vl->accepted[0x35] + vl->accepted[0x70], 3);
	assert_int_equal(fake.kicks, 4);
	assert_int_equal(fake.eoi_count, 0);
}

static void test_level_eoi(void **state)
{
	(void)state;
	software_enable();
	accept_and_ack(0x41, true);
	assert_true(vector_set(APIC_TMR, 0x41));
	mmio_wr(APIC_EOI, 0);
	assert_int_equal(fake.eoi_count, 1);
	assert_int_equal(fake.eois[0], 0x41);
	assert_false(vector_set(APIC_TMR, 0x41));

	accept_and_ack(0x42, false);
	mmio_wr(APIC_EOI, 0);
	assert_int_equal(fake.eoi_count, 1);

	/* An edge acceptance clears the vector's TMR bit (SDM). */
	vlapic_accept(vl, 0x43, true);
	vlapic_accept(vl, 0x43, false);
	assert_false(vector_set(APIC_TMR, 0x43));
	vlapic_ack(vl, 0x43);
	mmio_wr(APIC_EOI, 0);
	assert_int_equal(fake.eoi_count, 1);

	/* x2APIC EOI MSR. */
	go_x2apic();
	accept_and_ack(0x44, true);
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_EOI), 0), 0);
	assert_int_equal(fake.eoi_count, 2);
	assert_int_equal(fake.eois[1], 0x44);

	/* EOI-broadcast suppression, when VER advertises it. */
	if (VLAPIC_VERSION & (1u << 24)) {
		assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_SVR), 0x11ff), 0);
		accept_and_ack(0x45, true);
		assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_EOI), 0), 0);
		assert_int_equal(fake.eoi_count, 2);
		assert_false(vector_set(APIC_ISR, 0x45));
	}
}

static void test_illegal_vectors(void **state)
{
	(void)state;
	software_enable();
	vlapic_accept(vl, 5, false);
	assert_int_equal(mmio_rd(APIC_ESR), 0); /* not latched yet */
	assert_int_equal(esr_latch(), 0x40);
	assert_int_equal(esr_latch(), 0);
	assert_int_equal(vl->accepted[5], 0);
	assert_int_equal(mmio_rd(APIC_IRR), 0);

	/* The error LVT signals it. */
	mmio_wr(APIC_LVT_ERROR, 0xfe);
	vlapic_accept(vl, 15, true);
	assert_true(vector_set(APIC_IRR, 0xfe));
	assert_false(vector_set(APIC_TMR, 0xfe));
	assert_int_equal(mmio_rd(APIC_IRR), 0);

	/* Sending a fixed or lowest-priority IPI with an illegal vector. */
	mmio_wr(APIC_ICR_HIGH, 0x01000000);
	mmio_wr(APIC_ICR_LOW, 0x4003);
	mmio_wr(APIC_ICR_LOW, 0x4100);
	assert_int_equal(fake.msg_count, 0);
	assert_int_equal(esr_latch(), 0x60); /* send (and the earlier receive) */
	/* Vectors of NMI and SIPI are not interrupt vectors. */
	mmio_wr(APIC_ICR_LOW, 0x4400);
	mmio_wr(APIC_ICR_LOW, 0x4600);
	assert_int_equal(fake.msg_count, 2);
	assert_int_equal(esr_latch(), 0);

	/* An error LVT with an illegal vector does not loop. */
	mmio_wr(APIC_LVT_ERROR, 0x05);
	memset(&vl->page[APIC_IRR >> 2], 0, 0x80);
	vlapic_accept(vl, 6, false);
	assert_int_equal(vlapic_pending_vector(vl), -1);
	assert_int_equal(esr_latch(), 0x40);
}

struct icr_case {
	uint64_t icr; /* xAPIC: ICR_HIGH << 32 | ICR_LOW; x2APIC: the MSR */
	struct virq_msg want;
};

static const struct icr_case xapic_icrs[] = {
	{ 0x0200000000004031, { 2, false, 0x31, VIRQ_FIXED, 0, false, true, false } },
	{ 0x0f00000000000841, { 0xf, true, 0x41, VIRQ_FIXED, 0, false, true, false } },
	{ 0x0f00000000000951, { 0xf, true, 0x51, VIRQ_LOWEST_PRIORITY, 0, false, true, false } },
	{ 0xc0052, { 0, false, 0x52, VIRQ_FIXED, VIRQ_ALL_EXCLUDING_SELF, false, true, false } },
	{ 0x80053, { 0, false, 0x53, VIRQ_FIXED, VIRQ_ALL_INCLUDING_SELF, false, true, false } },
	{ 0x40400, { 0, false, 0, VIRQ_NMI, VIRQ_SELF, false, true, false } },
	/* A level trigger on a fixed IPI is ignored (edge, as P4 and later send). */
	{ 0x020000000000c031, { 2, false, 0x31, VIRQ_FIXED, 0, false, true, false } },
	/* INIT assert, INIT level de-assert to all, edge INIT, STARTUP. */
	{ 0x010000000000c500, { 1, false, 0, VIRQ_INIT, 0, true, true, false } },
	{ 0x88500, { 0, false, 0, VIRQ_INIT, VIRQ_ALL_INCLUDING_SELF, true, false, false } },
	{ 0x0100000000000500, { 1, false, 0, VIRQ_INIT, 0, false, true, false } },
	{ 0x010000000000069a, { 1, false, 0x9a, VIRQ_STARTUP, 0, false, true, false } },
};

static const struct icr_case x2apic_icrs[] = {
	{ 0x1234567800004031, { 0x12345678, false, 0x31, VIRQ_FIXED, 0, false, true, true } },
	{ 0x0003000400000841, { 0x30004, true, 0x41, VIRQ_FIXED, 0, false, true, true } },
	{ 0xc0042, { 0, false, 0x42, VIRQ_FIXED, VIRQ_ALL_EXCLUDING_SELF, false, true, true } },
	{ 0x0000012c0000c500, { 300, false, 0, VIRQ_INIT, 0, true, true, true } },
	{ 0x0000012c00000610, { 300, false, 0x10, VIRQ_STARTUP, 0, false, true, true } },
};

static void icr_xapic(uint64_t icr)
{
	mmio_wr(APIC_ICR_HIGH, (uint32_t)(icr >> 32));
	mmio_wr(APIC_ICR_LOW, (uint32_t)icr);
}

static void test_icr_xapic(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(xapic_icrs) / sizeof(xapic_icrs[0]); i++) {
		icr_xapic(xapic_icrs[i].icr);
		assert_int_equal(fake.msg_count, i + 1);
		expect_msg(&xapic_icrs[i].want);
	}
	icr_xapic(0x0200000000004031);
	assert_int_equal(mmio_rd(APIC_ICR_LOW), 0x4031); /* delivery status reads 0 */
	assert_int_equal(mmio_rd(APIC_ICR_HIGH), 0x02000000);

	/* Fixed to self is accepted here; reserved modes are dropped. */
	int sent = fake.msg_count;
	icr_xapic(0x40061);
	assert_true(vector_set(APIC_IRR, 0x61));
	icr_xapic(0x0200000000000331);
	icr_xapic(0x0200000000000731);
	assert_int_equal(fake.msg_count, sent);
}

static void test_icr_x2apic(void **state)
{
	(void)state;
	go_x2apic();
	for (size_t i = 0; i < sizeof(x2apic_icrs) / sizeof(x2apic_icrs[0]); i++) {
		assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_ICR_LOW), x2apic_icrs[i].icr), 0);
		assert_int_equal(fake.msg_count, i + 1);
		expect_msg(&x2apic_icrs[i].want);
		assert_int_equal(msr_rd(x2msr(APIC_ICR_LOW)), x2apic_icrs[i].icr);
	}

	/* SELF IPI: local, edge; illegal vectors are a send error. */
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_SELF_IPI), 0x77), 0);
	assert_true(vector_set(APIC_IRR, 0x77));
	assert_false(vector_set(APIC_TMR, 0x77));
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_SELF_IPI), 0x05), 0);
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_ESR), 0), 0);
	assert_int_equal(msr_rd(x2msr(APIC_ESR)), 0x20);
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_ICR_LOW), 0x40079), 0); /* fixed, self */
	assert_true(vector_set(APIC_IRR, 0x79));
	assert_int_equal(fake.msg_count, 5);
}

struct dest_case {
	uint32_t dest;
	bool logical, x2apic_dest, match;
};

static void expect_destinations(const struct dest_case *cases, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (vlapic_matches_destination(vl, cases[i].dest, cases[i].logical,
					       cases[i].x2apic_dest) != cases[i].match)
			fail_msg("case %zu: dest %#x logical %d x2apic %d", i, cases[i].dest,
				 cases[i].logical, cases[i].x2apic_dest);
}

static void test_destination_xapic(void **state)
{
	/* APIC id 3; then flat LDR 0x0a; then cluster 2, member bit 0. */
	static const struct dest_case physical[] = {
		{ 3, false, false, true },    { 4, false, false, false },
		{ 0xff, false, false, true }, { 0xffffffff, false, true, true },
		{ 3, false, true, true },     { 0x103, false, true, false },
		{ 0xff, true, false, false }, /* LDR 0 is in no logical group */
	};
	static const struct dest_case flat[] = {
		{ 0x02, true, false, true },
		{ 0x0c, true, false, true },
		{ 0x05, true, false, false },
		{ 0xff, true, false, true },
	};
	static const struct dest_case cluster[] = {
		{ 0x21, true, false, true },  { 0x23, true, false, true },
		{ 0x22, true, false, false }, { 0x31, true, false, false },
		{ 0xf1, true, false, true },  { 0xf2, true, false, false },
		{ 0xff, true, false, true },  { 0x21, false, false, false },
	};

	(void)state;
	expect_destinations(physical, sizeof(physical) / sizeof(physical[0]));
	mmio_wr(APIC_LDR, 0x0a000000);
	expect_destinations(flat, sizeof(flat) / sizeof(flat[0]));
	mmio_wr(APIC_DFR, 0x0fffffff);
	mmio_wr(APIC_LDR, 0x21000000);
	expect_destinations(cluster, sizeof(cluster) / sizeof(cluster[0]));
}

static void test_destination_x2apic(void **state)
{
	/* x2APIC id 0x25: LDR cluster 2, member bit 5. The last ones are xAPIC-format. */
	static const struct dest_case cases[] = {
		{ 0x25, false, true, true },	   { 0x24, false, true, false },
		{ 0xff, false, true, false },	   { 0xffffffff, false, true, true },
		{ 0x00020020, true, true, true },  { 0x000200ff, true, true, true },
		{ 0x00020010, true, true, false }, { 0x00030020, true, true, false },
		{ 0xffffffff, true, true, true },  { 0xff, false, false, true },
		{ 0xff, true, false, true },	   { 0x25, false, false, true },
		{ 0x26, false, false, false },
	};

	(void)state;
	vlapic_init(vl, 0x25, false, &env);
	go_x2apic();
	expect_destinations(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_accepts_extint(void **state)
{
	(void)state;
	assert_false(vlapic_accepts_extint(vl)); /* LINT0 masked at reset */
	software_enable();
	mmio_wr(APIC_LVT_LINT0, 0x700);
	assert_true(vlapic_accepts_extint(vl));
	mmio_wr(APIC_LVT_LINT0, 0x10700);
	assert_false(vlapic_accepts_extint(vl));
	mmio_wr(APIC_LVT_LINT0, 0x30);
	assert_false(vlapic_accepts_extint(vl));
	mmio_wr(APIC_LVT_LINT0, 0x700);
	mmio_wr(APIC_SVR, 0xff); /* software disable masks LINT0 */
	assert_false(vlapic_accepts_extint(vl));
	assert_int_equal(vlapic_wrmsr(vl, MSR_APIC_BASE, VLAPIC_DEFAULT_BASE), 0);
	assert_true(vlapic_accepts_extint(vl)); /* no APIC: the 8259 drives INTR */
}

#define RACE_ROUNDS 300

struct racer {
	pthread_barrier_t *barrier;
	unsigned parity;
};

static void *racer_main(void *arg)
{
	struct racer *r = arg;

	for (int round = 0; round < RACE_ROUNDS; round++) {
		pthread_barrier_wait(r->barrier);
		for (unsigned v = 16 + r->parity; v < 256; v += 2)
			vlapic_accept(vl, (uint8_t)v, v % 3 == 0);
		vlapic_accept(vl, 200, false); /* both threads, same vector */
		pthread_barrier_wait(r->barrier);
	}
	return NULL;
}

static void test_concurrent_accept(void **state)
{
	pthread_barrier_t barrier;
	struct racer racers[2] = { { &barrier, 0 }, { &barrier, 1 } };
	pthread_t threads[2];

	(void)state;
	assert_int_equal(pthread_barrier_init(&barrier, NULL, 3), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, racer_main, &racers[i]), 0);
	for (int round = 0; round < RACE_ROUNDS; round++) {
		pthread_barrier_wait(&barrier);
		pthread_barrier_wait(&barrier);
		for (unsigned v = 16; v < 256; v++) {
			assert_true(vector_set(APIC_IRR, (uint8_t)v));
			assert_int_equal(vector_set(APIC_TMR, (uint8_t)v), v % 3 == 0);
		}
		memset(&vl->page[APIC_IRR >> 2], 0, 0x80);
		memset(&vl->page[APIC_TMR >> 2], 0, 0x80);
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
	pthread_barrier_destroy(&barrier);
	assert_int_equal(fake.kicks, RACE_ROUNDS * (240 + 2));
	assert_int_equal(vl->accepted[17], RACE_ROUNDS);
	assert_int_equal(vl->accepted[200], RACE_ROUNDS * 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_power_on_state),
		T(test_init_ipi),
		T(test_mmio_access_rules),
		T(test_msr_rules_outside_x2apic),
		T(test_msr_rules_x2apic),
		T(test_apic_base_transitions),
		T(test_tpr_ppr),
		T(test_tpr_shadow_sync),
		T(test_nested_ack_eoi),
		T(test_level_eoi),
		T(test_illegal_vectors),
		T(test_icr_xapic),
		T(test_icr_x2apic),
		T(test_destination_xapic),
		T(test_destination_x2apic),
		T(test_accepts_extint),
		T(test_concurrent_accept),
	};
	return cmocka_run_group_tests_name("vlapic", tests, NULL, NULL);
}
