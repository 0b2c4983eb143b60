/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual local APIC timer: one-shot, periodic (no drift, missed periods
 * skipped) and TSC-deadline modes, switching between them, counting while
 * masked, LVT masking under software disable, and the divide configuration
 * with a divisor change mid-count. Time is the fixture's fake clock
 * (vlapic_fixture.h); the register, IPI and priority tests are in
 * test_vlapic.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/vlapic_fixture.h"
#include "vdev/vlapic.h"

static void test_timer_one_shot(void **state)
{
	(void)state;
	software_enable();
	mmio_wr(APIC_LVT_TIMER, 0x30);
	fake.now = 1000;
	mmio_wr(APIC_TIMER_ICR, 100); /* divide by 2 after reset */
	assert_int_equal(fake.armed, 1200);
	assert_int_equal(mmio_rd(APIC_TIMER_CCR), 100);
	fake.now = 1050;
	assert_int_equal(mmio_rd(APIC_TIMER_CCR), 75);
	fake.now = 1199;
	assert_int_equal(mmio_rd(APIC_TIMER_CCR), 1);

	/* Early or spurious calls change nothing. */
	vlapic_timer_expired(vl);
	assert_int_equal(fake.armed, 1200);
	assert_int_equal(vl->timer_fired, 0);
	assert_int_equal(vlapic_pending_vector(vl), -1);

	fake.now = 1200;
	assert_int_equal(mmio_rd(APIC_TIMER_CCR), 0);
	vlapic_timer_expired(vl);
	assert_int_equal(vlapic_pending_vector(vl), 0x30);
	assert_int_equal(vl->timer_fired, 1);
	int arms = fake.arms;
	vlapic_timer_expired(vl); /* nothing armed */
	assert_int_equal(vl->timer_fired, 1);
	assert_int_equal(fake.arms, arms);
	fake.now = 5000;
	assert_int_equal(mmio_rd(APIC_TIMER_CCR), 0);
	assert_int_equal(mmio_rd(APIC_TIMER_ICR), 100);

	/* Restart, then stop with a zero count. */
	mmio_wr(APIC_TIMER_ICR, 10);
	assert_int_equal(fake.armed, 5020);
	mmio_wr(APIC_TIMER_ICR, 0);
	assert_int_equal(fake.armed, 0);
	assert_int_equal(mmio_rd(APIC_TIMER_CCR), 0);
	vlapic_timer_expired(vl);
	assert_int_equal(vl->timer_fired, 1);

	/* One-shot -> periodic does not disarm; the count goes on. */
	mmio_wr(APIC_TIMER_ICR, 10);
	mmio_wr(APIC_LVT_TIMER, 0x20030);
	assert_int_equal(fake.armed, 5020);
	fake.now = 5010;
	assert_int_equal(mmio_rd(APIC_TIMER_CCR), 5);
}

static void test_timer_periodic(void **state)
{
	(void)state;
	software_enable();
	mmio_wr(APIC_TIMER_DCR, 0xb); /* divide by 1 */
	mmio_wr(APIC_LVT_TIMER, 0x20031);
	mmio_wr(APIC_TIMER_ICR, 1000);
	assert_int_equal(fake.armed, 1000);
	fake.now = 1000;
	vlapic_timer_expired(vl);
	assert_int_equal(fake.armed, 2000);
	assert_true(vector_set(APIC_IRR, 0x31));
	fake.now = 1500;
	assert_int_equal(mmio_rd(APIC_TIMER_CCR), 500);

	/* A little late: the next deadline does not drift. */
	fake.now = 2500;
	vlapic_timer_expired(vl);
	assert_int_equal(fake.armed, 3000);
	assert_int_equal(mmio_rd(APIC_TIMER_CCR), 500);
	/* Very late: one interrupt, missed periods skipped. */
	fake.now = 10500;
	vlapic_timer_expired(vl);
	assert_int_equal(fake.armed, 11000);
	assert_int_equal(vl->accepted[0x31], 3);
	assert_int_equal(vl->timer_fired, 3);
	assert_int_equal(mmio_rd(APIC_TIMER_CCR), 500);
	/* Late past the current period, before the host fires: CCR wraps. */
	fake.now = 11250;
	assert_int_equal(mmio_rd(APIC_TIMER_CCR), 750);

	/* Periodic -> one-shot: ends at the current period's end. */
	fake.now = 10600;
	mmio_wr(APIC_LVT_TIMER, 0x31);
	assert_int_equal(mmio_rd(APIC_TIMER_CCR), 400);
	fake.now = 11000;
	vlapic_timer_expired(vl);
	assert_int_equal(vl->timer_fired, 4);
	assert_int_equal(mmio_rd(APIC_TIMER_CCR), 0);
	assert_int_equal(fake.armed, 11000); /* not re-armed */
}

static void test_timer_tsc_deadline(void **state)
{
	(void)state;
	software_enable();
	/* Ignored outside TSC-deadline mode. */
	assert_int_equal(vlapic_wrmsr(vl, MSR_TSC_DEADLINE, 5000), 0);
	assert_int_equal(msr_rd(MSR_TSC_DEADLINE), 0);
	assert_int_equal(fake.arms, 0);

	mmio_wr(APIC_LVT_TIMER, 0x40032);
	assert_int_equal(vlapic_wrmsr(vl, MSR_TSC_DEADLINE, 5000), 0);
	assert_int_equal(fake.armed, 5000);
	assert_int_equal(msr_rd(MSR_TSC_DEADLINE), 5000);
	mmio_wr(APIC_TIMER_ICR, 77); /* ignored in this mode */
	assert_int_equal(mmio_rd(APIC_TIMER_ICR), 0);
	assert_int_equal(mmio_rd(APIC_TIMER_CCR), 0);
	assert_int_equal(fake.armed, 5000);
	fake.now = 5003;
	vlapic_timer_expired(vl);
	assert_true(vector_set(APIC_IRR, 0x32));
	assert_int_equal(msr_rd(MSR_TSC_DEADLINE), 0);
	vlapic_timer_expired(vl); /* fires once */
	assert_int_equal(vl->timer_fired, 1);

	/* Zero disarms; so does leaving the mode. */
	assert_int_equal(vlapic_wrmsr(vl, MSR_TSC_DEADLINE, 9000), 0);
	assert_int_equal(vlapic_wrmsr(vl, MSR_TSC_DEADLINE, 0), 0);
	assert_int_equal(fake.armed, 0);
	assert_int_equal(vlapic_wrmsr(vl, MSR_TSC_DEADLINE, 9000), 0);
	mmio_wr(APIC_LVT_TIMER, 0x32);
	assert_int_equal(fake.armed, 0);
	assert_int_equal(msr_rd(MSR_TSC_DEADLINE), 0);
	fake.now = 9000;
	vlapic_timer_expired(vl);
	assert_int_equal(vl->timer_fired, 1);

	/* A running one-shot count is disarmed by entering TSC-deadline mode. */
	mmio_wr(APIC_TIMER_ICR, 50);
	assert_int_equal(fake.armed, 9100);
	mmio_wr(APIC_LVT_TIMER, 0x40032);
	assert_int_equal(fake.armed, 0);
	fake.now = 9100;
	vlapic_timer_expired(vl);
	assert_int_equal(vl->timer_fired, 1);

	/* x2APIC: the MSR works the same; a masked deadline still expires. */
	go_x2apic();
	assert_int_equal(vlapic_wrmsr(vl, x2msr(APIC_LVT_TIMER), 0x50033), 0);
	assert_int_equal(vlapic_wrmsr(vl, MSR_TSC_DEADLINE, 9200), 0);
	fake.now = 9300;
	vlapic_timer_expired(vl);
	assert_int_equal(vl->timer_fired, 2);
	assert_false(vector_set(APIC_IRR, 0x33));
	assert_int_equal(msr_rd(MSR_TSC_DEADLINE), 0);
}

static void test_timer_masked_and_disabled(void **state)
{
	(void)state;
	software_enable();
	mmio_wr(APIC_LVT_TIMER, 0x10034);
	mmio_wr(APIC_TIMER_ICR, 10);
	fake.now = 10;
	assert_int_equal(mmio_rd(APIC_TIMER_CCR), 5); /* counts while masked */
	fake.now = 20;
	vlapic_timer_expired(vl);
	assert_int_equal(vl->timer_fired, 1);
	assert_int_equal(vlapic_pending_vector(vl), -1);

	/* Software disable masks every LVT, and unmasking is refused. */
	mmio_wr(APIC_LVT_TIMER, 0x34);
	mmio_wr(APIC_LVT_LINT0, 0x700);
	mmio_wr(APIC_LVT_ERROR, 0xfe);
	mmio_wr(APIC_SVR, 0xff);
	assert_false(vlapic_enabled(vl));
	for (size_t i = 0; i < sizeof(lvts) / sizeof(lvts[0]); i++) {
		mmio_wr(lvts[i], 0x40);
		assert_int_equal(mmio_rd(lvts[i]), 0x10040);
	}
	mmio_wr(APIC_TIMER_ICR, 10);
	fake.now = 40;
	vlapic_timer_expired(vl);
	assert_int_equal(vl->timer_fired, 2);
	assert_int_equal(vlapic_pending_vector(vl), -1);
	/* Fixed interrupts are still held and offered while software-disabled. */
	vlapic_accept(vl, 0x50, false);
	assert_int_equal(vlapic_pending_vector(vl), 0x50);
}

static void test_timer_divide(void **state)
{
	static const uint32_t divisors[8] = { 2, 4, 8, 16, 32, 64, 128, 1 };

	(void)state;
	software_enable();
	mmio_wr(APIC_LVT_TIMER, 0x35);
	for (uint32_t code = 0; code < 8; code++) {
		mmio_wr(APIC_TIMER_DCR, (code & 3) | ((code & 4) << 1));
		fake.now = 1000 * code;
		mmio_wr(APIC_TIMER_ICR, 10);
		assert_int_equal(fake.armed - fake.now, 10 * divisors[code]);
		fake.now += divisors[code];
		assert_int_equal(mmio_rd(APIC_TIMER_CCR), 9);
	}

	/* A new divisor mid-count: the count stays, the rate changes. */
	mmio_wr(APIC_TIMER_DCR, 0);
	fake.now = 10000;
	mmio_wr(APIC_TIMER_ICR, 100);
	assert_int_equal(fake.armed, 10200);
	fake.now = 10100;
	assert_int_equal(mmio_rd(APIC_TIMER_CCR), 50);
	mmio_wr(APIC_TIMER_DCR, 2); /* divide by 8 */
	assert_int_equal(mmio_rd(APIC_TIMER_CCR), 50);
	assert_int_equal(fake.armed, 10500);
	fake.now = 10108;
	assert_int_equal(mmio_rd(APIC_TIMER_CCR), 49);
	fake.now = 10500;
	vlapic_timer_expired(vl);
	assert_int_equal(vlapic_pending_vector(vl), 0x35);
	/* Stopped: a divisor change arms nothing. */
	int arms = fake.arms;
	mmio_wr(APIC_TIMER_DCR, 0xb);
	assert_int_equal(fake.arms, arms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_timer_one_shot),	    T(test_timer_periodic),
		T(test_timer_tsc_deadline), T(test_timer_masked_and_disabled),
		T(test_timer_divide),
	};
	return cmocka_run_group_tests_name("vlapic_timer", tests, NULL, NULL);
}
