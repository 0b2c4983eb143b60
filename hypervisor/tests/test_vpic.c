/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual 8259A pair: power-on state, the initialisation words as Linux
 * writes them (single mode, no ICW4, 8080 mode), masks, edge and level
 * triggering from the ELCR, re-initialisation, odd widths and foreign ports,
 * the notify calls, and a random programming run. Priorities, EOI forms,
 * rotation, special modes, poll, the cascade and spurious IRQs are in
 * test_vpic_priority.c; the port helpers are in vpic_fixture.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "debug/log.h"
#include "tests/log_capture.h"
#include "tests/vpic_fixture.h"
#include "vdev/vpic.h"

struct notify_counter {
	int calls;
	void *last_ctx;
};

static void count_notify(void *ctx)
{
	struct notify_counter *n = ctx;

	n->calls++;
	n->last_ctx = ctx;
}

static void test_power_on_state(void **state)
{
	struct vpic pic;

	(void)state;
	memset(&pic, 0x5a, sizeof(pic));
	vpic_init(&pic, NULL);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pic.chip[i].icw_step, 0);
		assert_int_equal(pic.chip[i].vector_base, 0);
		assert_int_equal(pic.chip[i].lowest_priority, 7);
		assert_int_equal(pic.chip[i].irr | pic.chip[i].isr | pic.chip[i].lines, 0);
	}
	assert_int_equal(pic.chip[0].elcr_mask, 0xf8);
	assert_int_equal(pic.chip[1].elcr_mask, 0xde);
	assert_int_equal(in(&pic, MASTER_DATA), 0xff);
	assert_int_equal(in(&pic, SLAVE_DATA), 0xff);
	assert_int_equal(in(&pic, ELCR_MASTER), 0);
	assert_int_equal(in(&pic, ELCR_SLAVE), 0);
	assert_int_equal(in(&pic, MASTER_CMD), 0); /* IRR */
	for (int i = 0; i < VPIC_IRQS; i++)
		assert_int_equal(pic.acked[i], 0);
	assert_int_equal(pic.spurious, 0);
	/* Requests latch but every input is masked until the guest says otherwise. */
	vpic_set_irq(&pic, 1, true);
	assert_int_equal(in(&pic, MASTER_CMD), 0x02);
	assert_false(vpic_output(&pic));
}

static void test_linux_init_sequence(void **state)
{
	struct vpic pic;

	(void)state;
	vpic_init(&pic, NULL);
	out(&pic, MASTER_DATA, 0xff);
	out(&pic, MASTER_CMD, 0x11);
	assert_int_equal(pic.chip[0].icw_step, 2);
	assert_true(pic.chip[0].icw4_needed);
	assert_false(pic.chip[0].single);
	assert_int_equal(in(&pic, MASTER_DATA), 0x00); /* ICW1 clears the mask */
	out(&pic, MASTER_DATA, 0x30);
	assert_int_equal(pic.chip[0].vector_base, 0x30);
	assert_int_equal(pic.chip[0].icw_step, 3);
	out(&pic, MASTER_DATA, 0x04);
	assert_int_equal(pic.chip[0].icw3, 0x04);
	assert_int_equal(pic.chip[0].icw_step, 4);
	out(&pic, MASTER_DATA, 0x01);
	assert_int_equal(pic.chip[0].icw_step, 0);
	assert_false(pic.chip[0].auto_eoi);
	assert_false(pic.chip[0].special_fully_nested);

	linux_init(&pic, 0x01);
	assert_int_equal(pic.chip[1].vector_base, 0x38);
	assert_int_equal(pic.chip[1].icw3, 0x02);
	assert_int_equal(pic.chip[1].icw_step, 0);
	assert_int_equal(in(&pic, MASTER_DATA), 0xfb);
	assert_int_equal(in(&pic, SLAVE_DATA), 0xff);

	/* Keyboard and RTC, once unmasked, arrive at their programmed vectors. */
	vpic_set_irq(&pic, 1, true);
	assert_false(vpic_output(&pic));
	out(&pic, MASTER_DATA, 0xf9);
	assert_true(vpic_output(&pic));
	assert_int_equal(vpic_ack(&pic), 0x31);
	out(&pic, MASTER_CMD, EOI);
	vpic_set_irq(&pic, 8, true);
	assert_false(vpic_output(&pic));
	out(&pic, SLAVE_DATA, 0xfe);
	assert_true(vpic_output(&pic));
	assert_int_equal(vpic_ack(&pic), 0x38);
	assert_int_equal(pic.acked[1], 1);
	assert_int_equal(pic.acked[8], 1);

	/* ICW2's low three bits are the IRQ number, not part of the base. */
	out(&pic, MASTER_CMD, 0x11);
	out(&pic, MASTER_DATA, 0x67);
	assert_int_equal(pic.chip[0].vector_base, 0x60);
}

static void test_single_mode_and_no_icw4(void **state)
{
	struct vpic pic;

	(void)state;
	setup(&pic, NULL, 0x03);
	assert_true(pic.chip[0].auto_eoi);

	/* SNGL without IC4: ICW2 only, then the data port is the mask again. */
	out(&pic, MASTER_CMD, 0x12);
	assert_true(pic.chip[0].single);
	assert_false(pic.chip[0].auto_eoi); /* ICW4 functions are zero without ICW4 */
	out(&pic, MASTER_DATA, 0x48);
	assert_int_equal(pic.chip[0].icw_step, 0);
	assert_int_equal(pic.chip[0].vector_base, 0x48);
	out(&pic, MASTER_DATA, 0x5a);
	assert_int_equal(in(&pic, MASTER_DATA), 0x5a);
	assert_int_equal(pic.chip[0].icw3, 0x04); /* untouched: no ICW3 was taken */

	/* A single master does not cascade: IR2 is answered with its own vector. */
	out(&pic, MASTER_DATA, 0x00);
	vpic_set_irq(&pic, 10, true);
	assert_true(vpic_output(&pic));
	assert_int_equal(vpic_ack(&pic), 0x4a);
	assert_int_equal(pic.acked[2], 1);
	assert_int_equal(pic.chip[1].irr, 0x04); /* the slave was never asked */
	assert_int_equal(pic.chip[1].isr, 0);

	/* SNGL with IC4: ICW2 then ICW4, no ICW3. */
	out(&pic, MASTER_CMD, 0x13);
	out(&pic, MASTER_DATA, 0x50);
	assert_int_equal(pic.chip[0].icw_step, 4);
	out(&pic, MASTER_DATA, 0x03);
	assert_int_equal(pic.chip[0].icw_step, 0);
	assert_true(pic.chip[0].auto_eoi);

	/* Cascade without IC4: ICW2, ICW3, done. */
	out(&pic, MASTER_CMD, 0x10);
	assert_false(pic.chip[0].auto_eoi);
	out(&pic, MASTER_DATA, 0x30);
	out(&pic, MASTER_DATA, 0x04);
	assert_int_equal(pic.chip[0].icw_step, 0);
	out(&pic, MASTER_DATA, 0xa5);
	assert_int_equal(in(&pic, MASTER_DATA), 0xa5);
}

static void test_icw4_8080_mode(void **state)
{
	struct vpic pic;

	(void)state;
	setup(&pic, NULL, 0x01);
	log_capture_reset();
	for (int i = 0; i < 3; i++) {
		out(&pic, SLAVE_CMD, 0x11);
		out(&pic, SLAVE_DATA, 0x38);
		out(&pic, SLAVE_DATA, 0x02);
		out(&pic, SLAVE_DATA, 0x00); /* uPM = 0 */
	}
	/* Reported once, however often the guest repeats it, and still x86 vectors. */
	assert_int_equal(log_capture_count(LOG_DEBUG), 1);
	assert_true(log_capture_contains("8080"));
	out(&pic, SLAVE_DATA, 0x00);
	vpic_set_irq(&pic, 11, true);
	assert_int_equal(vpic_ack(&pic), 0x3b);
}

static void test_imr(void **state)
{
	struct vpic pic;
	struct notify_counter n = { 0 };
	const struct vpic_env env = { .ctx = &n, .notify = count_notify };

	(void)state;
	setup(&pic, &env, 0x01);
	for (int v = 0; v < 256; v += 17) {
		out(&pic, MASTER_DATA, (uint8_t)v);
		out(&pic, SLAVE_DATA, (uint8_t)~v);
		assert_int_equal(in(&pic, MASTER_DATA), v);
		assert_int_equal(in(&pic, SLAVE_DATA), (uint8_t)~v);
	}
	out(&pic, MASTER_DATA, 0xff);
	n.calls = 0;
	/* A masked edge still latches IRR but does not interrupt. */
	pulse(&pic, 6);
	assert_int_equal(in(&pic, MASTER_CMD), 0x40);
	assert_false(vpic_output(&pic));
	assert_int_equal(n.calls, 0);
	out(&pic, MASTER_DATA, 0xbf);
	assert_true(vpic_output(&pic));
	assert_int_equal(n.calls, 1);
	out(&pic, MASTER_DATA, 0xff);
	assert_false(vpic_output(&pic));
	assert_int_equal(in(&pic, MASTER_CMD), 0x40); /* masking does not withdraw it */
	out(&pic, MASTER_DATA, 0x00);
	assert_int_equal(vpic_ack(&pic), 0x36);
	out(&pic, MASTER_CMD, EOI);
	/* Masking IRQ 2 on the master hides the whole slave. */
	out(&pic, MASTER_DATA, 0x04);
	pulse(&pic, 14);
	assert_false(vpic_output(&pic));
	out(&pic, MASTER_DATA, 0xff & ~0x04);
	assert_true(vpic_output(&pic));
	assert_int_equal(vpic_ack(&pic), 0x3e);
}

static void test_edge_trigger(void **state)
{
	struct vpic pic;

	(void)state;
	setup(&pic, NULL, 0x01);
	vpic_set_irq(&pic, 3, true);
	assert_int_equal(in(&pic, MASTER_CMD), 0x08);
	assert_int_equal(vpic_ack(&pic), 0x33);
	assert_int_equal(in(&pic, MASTER_CMD), 0x00);
	assert_int_equal(read_isr(&pic, MASTER_CMD), 0x08);
	out(&pic, MASTER_CMD, EOI);
	/* Still high, but no new edge: nothing. Asserting again is no edge either. */
	vpic_set_irq(&pic, 3, true);
	assert_false(vpic_output(&pic));
	assert_int_equal(in(&pic, MASTER_CMD), 0x00);
	vpic_set_irq(&pic, 3, false);
	vpic_set_irq(&pic, 3, true);
	assert_true(vpic_output(&pic));
	/* The latch holds a request whose line already fell. */
	vpic_set_irq(&pic, 3, false);
	assert_true(vpic_output(&pic));
	assert_int_equal(vpic_ack(&pic), 0x33);
	/* An edge while in service waits for the EOI. */
	pulse(&pic, 3);
	assert_int_equal(in(&pic, MASTER_CMD), 0x08);
	assert_false(vpic_output(&pic));
	out(&pic, MASTER_CMD, EOI);
	assert_true(vpic_output(&pic));
	assert_int_equal(vpic_ack(&pic), 0x33);
	assert_int_equal(pic.acked[3], 3);
}

static void test_level_trigger(void **state)
{
	struct vpic pic;

	(void)state;
	setup(&pic, NULL, 0x01);
	out(&pic, ELCR_MASTER, 0x20);
	out(&pic, ELCR_SLAVE, 0x04);
	assert_int_equal(in(&pic, ELCR_MASTER), 0x20);
	assert_int_equal(in(&pic, ELCR_SLAVE), 0x04);

	/* IRR is the line: it goes away when the line drops, acknowledged or not. */
	vpic_set_irq(&pic, 5, true);
	assert_int_equal(in(&pic, MASTER_CMD), 0x20);
	vpic_set_irq(&pic, 5, false);
	assert_int_equal(in(&pic, MASTER_CMD), 0x00);
	assert_false(vpic_output(&pic));

	vpic_set_irq(&pic, 5, true);
	assert_int_equal(vpic_ack(&pic), 0x35);
	assert_int_equal(in(&pic, MASTER_CMD), 0x20); /* line still high */
	assert_false(vpic_output(&pic));	      /* held off by ISR */
	out(&pic, MASTER_CMD, EOI);
	assert_true(vpic_output(&pic)); /* the device still asks */
	assert_int_equal(vpic_ack(&pic), 0x35);
	vpic_set_irq(&pic, 5, false); /* the handler quietened the device */
	out(&pic, MASTER_CMD, EOI);
	assert_false(vpic_output(&pic));

	/* The same on the slave. */
	vpic_set_irq(&pic, 10, true);
	assert_int_equal(vpic_ack(&pic), 0x3a);
	eoi_slave_then_master(&pic);
	assert_true(vpic_output(&pic));
	assert_int_equal(vpic_ack(&pic), 0x3a);
	vpic_set_irq(&pic, 10, false);
	eoi_slave_then_master(&pic);
	assert_int_equal(in(&pic, SLAVE_CMD), 0x00);
	assert_false(vpic_output(&pic));

	/* Turning an input to level while its line is high makes it a request. */
	vpic_set_irq(&pic, 9, true);
	assert_int_equal(vpic_ack(&pic), 0x39);
	eoi_slave_then_master(&pic);
	assert_false(vpic_output(&pic));
	out(&pic, ELCR_SLAVE, 0x06);
	assert_true(vpic_output(&pic));
	assert_int_equal(vpic_ack(&pic), 0x39);
}

static void test_elcr_fixed_bits(void **state)
{
	struct vpic pic;

	(void)state;
	setup(&pic, NULL, 0x01);
	out(&pic, ELCR_MASTER, 0xff);
	out(&pic, ELCR_SLAVE, 0xff);
	assert_int_equal(in(&pic, ELCR_MASTER), 0xf8);
	assert_int_equal(in(&pic, ELCR_SLAVE), 0xde);
	/* IRQ 0, 1, 8, 13 stay edge: a line held high is one request only. */
	static const uint32_t edge_only[] = { 0, 1, 8, 13 };
	for (size_t i = 0; i < sizeof(edge_only) / sizeof(edge_only[0]); i++) {
		uint32_t irq = edge_only[i];

		vpic_set_irq(&pic, irq, true);
		assert_int_equal(vpic_ack(&pic), (irq < 8 ? 0x30 : 0x38) + (irq & 7));
		if (irq >= 8)
			out(&pic, SLAVE_CMD, EOI);
		out(&pic, MASTER_CMD, EOI);
		assert_false(vpic_output(&pic));
		vpic_set_irq(&pic, irq, false);
	}
	/* Their neighbours did become level. */
	vpic_set_irq(&pic, 3, true);
	assert_int_equal(vpic_ack(&pic), 0x33);
	out(&pic, MASTER_CMD, EOI);
	assert_true(vpic_output(&pic));
	out(&pic, ELCR_MASTER, 0x00);
	out(&pic, ELCR_SLAVE, 0x00);
	assert_int_equal(in(&pic, ELCR_MASTER), 0);
	assert_int_equal(in(&pic, ELCR_SLAVE), 0);
}

static void test_reinit_and_edge_sense_reset(void **state)
{
	struct vpic pic;

	(void)state;
	setup(&pic, NULL, 0x01);
	out(&pic, ELCR_MASTER, 0x40);
	vpic_set_irq(&pic, 3, true); /* edge, held high */
	vpic_set_irq(&pic, 6, true); /* level, held high */
	assert_int_equal(vpic_ack(&pic), 0x33);
	out(&pic, MASTER_CMD, 0x11);
	/* Mid-initialisation the chip interrupts nobody, even with IMR cleared. */
	assert_int_equal(read_isr(&pic, MASTER_CMD), 0x00);
	assert_false(vpic_output(&pic));
	out(&pic, MASTER_DATA, 0x30);
	out(&pic, MASTER_DATA, 0x04);
	assert_false(vpic_output(&pic));
	out(&pic, MASTER_DATA, 0x01);
	/* The level line still asks; the edge line has to fall and rise again. */
	assert_int_equal(in(&pic, MASTER_CMD), 0x40);
	assert_int_equal(vpic_ack(&pic), 0x36);
	vpic_set_irq(&pic, 6, false);
	out(&pic, MASTER_CMD, EOI);
	assert_false(vpic_output(&pic));
	vpic_set_irq(&pic, 3, true);
	assert_false(vpic_output(&pic));
	vpic_set_irq(&pic, 3, false);
	vpic_set_irq(&pic, 3, true);
	assert_int_equal(vpic_ack(&pic), 0x33);
	/* The ELCR survives ICW1 (it is not part of the 8259). */
	assert_int_equal(in(&pic, ELCR_MASTER), 0x40);
}

static void test_bad_widths_and_ports(void **state)
{
	static const uint16_t ports[] = { MASTER_CMD, MASTER_DATA, SLAVE_CMD,
					  SLAVE_DATA, ELCR_MASTER, ELCR_SLAVE };
	struct vpic pic, before;
	uint64_t value;

	(void)state;
	setup(&pic, NULL, 0x01);
	pulse(&pic, 3);
	out(&pic, MASTER_CMD, POLL);
	memcpy(&before, &pic, sizeof(pic));
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		value = 0;
		assert_int_equal(vpic_port_read(&pic, ports[i], 2, &value), 0);
		assert_int_equal(value, 0xffff);
		assert_int_equal(vpic_port_read(&pic, ports[i], 4, &value), 0);
		assert_int_equal(value, 0xffffffffu);
		assert_int_equal(vpic_port_read(&pic, ports[i], 8, &value), 0);
		assert_int_equal(value, ~0ull);
		assert_int_equal(vpic_port_read(&pic, ports[i], 0, &value), 0);
		assert_int_equal(vpic_port_write(&pic, ports[i], 2, 0x11), 0);
		assert_int_equal(vpic_port_write(&pic, ports[i], 4, 0xffffffff), 0);
		assert_int_equal(vpic_port_write(&pic, ports[i], 0, 0x11), 0);
	}
	/* Nothing changed: no ICW1, no mask, no ELCR, and the poll still pending. */
	assert_memory_equal(&pic, &before, sizeof(pic));
	/* Ports the vPIC does not own read as an empty bus and ignore writes. */
	value = 0;
	assert_int_equal(vpic_port_read(&pic, 0x22, 1, &value), 0);
	assert_int_equal(value, 0xff);
	assert_int_equal(vpic_port_write(&pic, 0x4d2, 1, 0xff), 0);
	assert_int_equal(vpic_port_write(&pic, 0x10020, 1, 0x11), 0);
	assert_memory_equal(&pic, &before, sizeof(pic));
	/* Bytes above the first are ignored on a width-1 write. */
	assert_int_equal(vpic_port_write(&pic, MASTER_DATA, 1, 0x1234), 0);
	assert_int_equal(in(&pic, MASTER_DATA), 0x83); /* the poll left pending */
	assert_int_equal(in(&pic, MASTER_DATA), 0x34);
}

static void test_notify(void **state)
{
	struct vpic pic;
	struct notify_counter n = { 0 };
	const struct vpic_env env = { .ctx = &n, .notify = count_notify };
	const struct vpic_env no_callback = { .ctx = &n, .notify = NULL };

	(void)state;
	setup(&pic, &env, 0x01);
	assert_int_equal(n.calls, 0); /* nothing was ever asserted */
	pulse(&pic, 4);
	assert_true(n.calls >= 1);
	assert_ptr_equal(n.last_ctx, &n);
	n.calls = 0;
	assert_int_equal(vpic_ack(&pic), 0x34);
	assert_int_equal(n.calls, 0); /* output fell */
	pulse(&pic, 6);
	assert_int_equal(n.calls, 0); /* held off by 4 */
	out(&pic, MASTER_CMD, EOI);
	assert_int_equal(n.calls, 1); /* the EOI let 6 through */
	assert_int_equal(vpic_ack(&pic), 0x36);
	out(&pic, MASTER_CMD, EOI);
	/* Through the slave, and through a level input. */
	n.calls = 0;
	pulse(&pic, 9);
	assert_true(n.calls >= 1);
	assert_int_equal(vpic_ack(&pic), 0x39);
	eoi_slave_then_master(&pic);
	n.calls = 0;
	out(&pic, ELCR_MASTER, 0x20);
	vpic_set_irq(&pic, 5, true);
	assert_true(n.calls >= 1);
	assert_int_equal(vpic_ack(&pic), 0x35);
	n.calls = 0;
	out(&pic, MASTER_CMD, EOI);
	assert_int_equal(n.calls, 1); /* the level line still high */
	vpic_set_irq(&pic, 5, false);
	/* Auto-EOI with another request waiting: the ack itself notifies. */
	setup(&pic, &env, 0x03);
	pulse(&pic, 3);
	pulse(&pic, 4);
	n.calls = 0;
	assert_int_equal(vpic_ack(&pic), 0x33);
	assert_int_equal(n.calls, 1);
	/* Unmasking a latched request, and finishing an initialisation. */
	out(&pic, MASTER_DATA, 0xff);
	n.calls = 0;
	out(&pic, MASTER_DATA, 0x00);
	assert_int_equal(n.calls, 1);

	/* Without a callback or an env: no call, no crash. */
	setup(&pic, &no_callback, 0x01);
	n.calls = 0;
	pulse(&pic, 3);
	assert_int_equal(vpic_ack(&pic), 0x33);
	setup(&pic, NULL, 0x01);
	pulse(&pic, 3);
	assert_int_equal(vpic_ack(&pic), 0x33);
	assert_int_equal(n.calls, 0);
}

/*
 * Random guest programming and input: whatever happens, vectors come from a
 * programmed base, registers keep their invariants, and the sanitizers see
 * no undefined behaviour.
 */
static void test_random_programming(void **state)
{
	static const uint16_t ports[] = { MASTER_CMD, MASTER_DATA, SLAVE_CMD,
					  SLAVE_DATA, ELCR_MASTER, ELCR_SLAVE };
	struct vpic pic;
	struct notify_counter n = { 0 };
	const struct vpic_env env = { .ctx = &n, .notify = count_notify };

	(void)state;
	srand(8259);
	for (int round = 0; round < 50; round++) {
		setup(&pic, &env, (rand() & 1) ? 0x01 : 0x13);
		for (int step = 0; step < 4000; step++) {
			int what = rand() % 8;
			uint16_t port = ports[rand() % 6];
			uint8_t vector, m_base = pic.chip[0].vector_base;
			uint8_t s_base = pic.chip[1].vector_base;

			if (what < 3) {
				vpic_set_irq(&pic, (uint32_t)(rand() % 18), rand() & 1);
			} else if (what < 5) {
				(void)in(&pic, port);
			} else if (what < 7) {
				/* Mostly OCW2/OCW3, sometimes a whole new ICW1. */
				uint8_t v = (uint8_t)rand();

				if ((port == MASTER_CMD || port == SLAVE_CMD) && (rand() % 16))
					v &= (uint8_t)~0x10;
				out(&pic, port, v);
			} else {
				vector = vpic_ack(&pic);
				assert_true((vector & 0xf8) == m_base || (vector & 0xf8) == s_base);
			}
			for (int c = 0; c < 2; c++) {
				uint8_t step_now = pic.chip[c].icw_step;

				assert_true(step_now == 0 || (step_now >= 2 && step_now <= 4));
				assert_true(pic.chip[c].lowest_priority < 8);
				assert_int_equal(pic.chip[c].elcr & ~pic.chip[c].elcr_mask, 0);
				assert_int_equal(pic.chip[c].vector_base & 7, 0);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_power_on_state),
		cmocka_unit_test(test_linux_init_sequence),
		cmocka_unit_test(test_single_mode_and_no_icw4),
		cmocka_unit_test(test_icw4_8080_mode),
		cmocka_unit_test(test_imr),
		cmocka_unit_test(test_edge_trigger),
		cmocka_unit_test(test_level_trigger),
		cmocka_unit_test(test_elcr_fixed_bits),
		cmocka_unit_test(test_reinit_and_edge_sense_reset),
		cmocka_unit_test(test_bad_widths_and_ports),
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_random_programming),
	};
	return cmocka_run_group_tests_name("vpic", tests, NULL, NULL);
}
