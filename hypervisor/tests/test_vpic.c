/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual 8259A pair: the initialisation words as Linux writes them, masks,
 * edge and level triggering from the ELCR, priorities with rotation and
 * nesting, every EOI form, auto-EOI, special mask and fully nested modes,
 * poll, the cascade through the slave, spurious IRQ 7/15, odd widths and
 * the notify calls. Everything goes through the ports, as a guest would.
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
#include "vdev/vpic.h"

#define MASTER_CMD  0x20
#define MASTER_DATA 0x21
#define SLAVE_CMD   0xa0
#define SLAVE_DATA  0xa1
#define ELCR_MASTER 0x4d0
#define ELCR_SLAVE  0x4d1

#define EOI	     0x20
#define SPECIFIC_EOI 0x60
#define READ_IRR     0x0a
#define READ_ISR     0x0b
#define POLL	     0x0c

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

static void out(struct vpic *pic, uint16_t port, uint8_t value)
{
	assert_int_equal(vpic_port_write(pic, port, 1, value), 0);
}

static uint8_t in(struct vpic *pic, uint16_t port)
{
	uint64_t value = 0x1234;

	assert_int_equal(vpic_port_read(pic, port, 1, &value), 0);
	assert_true(value <= 0xff);
	return (uint8_t)value;
}

static uint8_t read_isr(struct vpic *pic, uint16_t cmd_port)
{
	uint8_t isr;

	out(pic, cmd_port, READ_ISR);
	isr = in(pic, cmd_port);
	out(pic, cmd_port, READ_IRR);
	return isr;
}

/* What Linux's init_8259A writes: everything masked, ICW1-ICW4 to each, then the masks. */
static void linux_init(struct vpic *pic, uint8_t master_icw4)
{
	out(pic, MASTER_DATA, 0xff);
	out(pic, SLAVE_DATA, 0xff);
	out(pic, MASTER_CMD, 0x11);
	out(pic, MASTER_DATA, 0x30);
	out(pic, MASTER_DATA, 0x04);
	out(pic, MASTER_DATA, master_icw4);
	out(pic, SLAVE_CMD, 0x11);
	out(pic, SLAVE_DATA, 0x38);
	out(pic, SLAVE_DATA, 0x02);
	out(pic, SLAVE_DATA, 0x01);
	out(pic, MASTER_DATA, 0xfb);
	out(pic, SLAVE_DATA, 0xff);
}

/* A programmed pair with every IRQ unmasked. */
static void setup(struct vpic *pic, const struct vpic_env *env, uint8_t master_icw4)
{
	memset(pic, 0xa5, sizeof(*pic)); /* vpic_init must clear everything */
	vpic_init(pic, env);
	linux_init(pic, master_icw4);
	out(pic, MASTER_DATA, 0x00);
	out(pic, SLAVE_DATA, 0x00);
}

/* Ends a slave interrupt the way handlers do: the slave first, then the master. */
static void eoi_slave_then_master(struct vpic *pic)
{
	out(pic, SLAVE_CMD, EOI);
	out(pic, MASTER_CMD, EOI);
}

static void pulse(struct vpic *pic, uint32_t irq)
{
	vpic_set_irq(pic, irq, true);
	vpic_set_irq(pic, irq, false);
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

static void test_priority_and_nesting(void **state)
{
	struct vpic pic;

	(void)state;
	setup(&pic, NULL, 0x01);
	pulse(&pic, 6);
	pulse(&pic, 4);
	pulse(&pic, 3);
	assert_int_equal(vpic_ack(&pic), 0x33);
	assert_false(vpic_output(&pic)); /* 4 and 6 rank below 3 */
	pulse(&pic, 1);
	assert_true(vpic_output(&pic)); /* 1 outranks 3: nests */
	assert_int_equal(vpic_ack(&pic), 0x31);
	assert_int_equal(read_isr(&pic, MASTER_CMD), 0x0a);
	pulse(&pic, 3);
	assert_false(vpic_output(&pic)); /* equal to one in service */
	out(&pic, MASTER_CMD, EOI);	 /* ends 1, the highest in service */
	assert_int_equal(read_isr(&pic, MASTER_CMD), 0x08);
	assert_false(vpic_output(&pic));
	out(&pic, MASTER_CMD, EOI);
	assert_int_equal(vpic_ack(&pic), 0x33);
	out(&pic, MASTER_CMD, EOI);
	assert_int_equal(vpic_ack(&pic), 0x34);
	out(&pic, MASTER_CMD, EOI);
	assert_int_equal(vpic_ack(&pic), 0x36);
	out(&pic, MASTER_CMD, EOI);
	assert_false(vpic_output(&pic));
	/* The slave's IRQ 8-15 sit between master IRQ 1 and IRQ 3. */
	pulse(&pic, 3);
	pulse(&pic, 15);
	pulse(&pic, 0);
	assert_int_equal(vpic_ack(&pic), 0x30);
	out(&pic, MASTER_CMD, EOI);
	assert_int_equal(vpic_ack(&pic), 0x3f);
	eoi_slave_then_master(&pic);
	assert_int_equal(vpic_ack(&pic), 0x33);
	assert_int_equal(pic.acked[15], 1);
	assert_int_equal(pic.spurious, 0);
}

static void test_eoi_forms(void **state)
{
	struct vpic pic;

	(void)state;
	setup(&pic, NULL, 0x01);
	out(&pic, MASTER_CMD, EOI); /* nothing in service: harmless */
	pulse(&pic, 3);
	assert_int_equal(vpic_ack(&pic), 0x33);
	pulse(&pic, 1);
	assert_int_equal(vpic_ack(&pic), 0x31);
	out(&pic, MASTER_CMD, SPECIFIC_EOI | 3); /* ends the lower one, out of order */
	assert_int_equal(read_isr(&pic, MASTER_CMD), 0x02);
	out(&pic, MASTER_CMD, SPECIFIC_EOI | 5); /* not in service: no change */
	assert_int_equal(read_isr(&pic, MASTER_CMD), 0x02);
	out(&pic, MASTER_CMD, 0x40); /* R/SL/EOI = 010: no operation */
	assert_int_equal(read_isr(&pic, MASTER_CMD), 0x02);
	assert_int_equal(pic.chip[0].lowest_priority, 7);
	out(&pic, MASTER_CMD, EOI);
	assert_int_equal(read_isr(&pic, MASTER_CMD), 0x00);
}

static void test_rotation(void **state)
{
	struct vpic pic;

	(void)state;
	setup(&pic, NULL, 0x01);
	/* Set priority: 4 lowest, so 5 is the highest. */
	out(&pic, MASTER_CMD, 0xc4);
	assert_int_equal(pic.chip[0].lowest_priority, 4);
	pulse(&pic, 3);
	pulse(&pic, 6);
	assert_int_equal(vpic_ack(&pic), 0x36);
	assert_false(vpic_output(&pic)); /* 3 ranks below 6 now */
	/* Rotate on non-specific EOI: 6 becomes the lowest, 7 the highest. */
	out(&pic, MASTER_CMD, 0xa0);
	assert_int_equal(pic.chip[0].lowest_priority, 6);
	pulse(&pic, 7);
	assert_int_equal(vpic_ack(&pic), 0x37);
	assert_int_equal(read_isr(&pic, MASTER_CMD), 0x80); /* a real 7, not spurious */
	/* Rotate on specific EOI: 7 lowest, back to the power-on order. */
	out(&pic, MASTER_CMD, 0xe7);
	assert_int_equal(pic.chip[0].lowest_priority, 7);
	pulse(&pic, 1);
	assert_int_equal(vpic_ack(&pic), 0x31);
	out(&pic, MASTER_CMD, EOI);
	assert_int_equal(vpic_ack(&pic), 0x33);
	/* Rotating non-specific EOI with nothing in service leaves priorities alone. */
	out(&pic, MASTER_CMD, EOI);
	out(&pic, MASTER_CMD, 0xa0);
	assert_int_equal(pic.chip[0].lowest_priority, 7);
	assert_int_equal(pic.spurious, 0);
	/* ICW1 restores 7 as the lowest. */
	out(&pic, MASTER_CMD, 0xc2);
	linux_init(&pic, 0x01);
	assert_int_equal(pic.chip[0].lowest_priority, 7);
}

static void test_auto_eoi(void **state)
{
	struct vpic pic;

	(void)state;
	setup(&pic, NULL, 0x03);
	assert_true(pic.chip[0].auto_eoi);
	pulse(&pic, 3);
	assert_int_equal(vpic_ack(&pic), 0x33);
	assert_int_equal(read_isr(&pic, MASTER_CMD), 0x00);
	pulse(&pic, 5);
	assert_true(vpic_output(&pic)); /* nothing in service holds it */
	assert_int_equal(vpic_ack(&pic), 0x35);
	assert_int_equal(pic.chip[0].lowest_priority, 7);

	/* Rotate in auto-EOI mode: each acknowledged level becomes the lowest. */
	out(&pic, MASTER_CMD, 0x80);
	assert_true(pic.chip[0].rotate_on_auto_eoi);
	pulse(&pic, 3);
	assert_int_equal(vpic_ack(&pic), 0x33);
	assert_int_equal(pic.chip[0].lowest_priority, 3);
	pulse(&pic, 1);
	pulse(&pic, 5);
	assert_int_equal(vpic_ack(&pic), 0x35); /* 4, 5, ... now rank above 1 */
	assert_int_equal(vpic_ack(&pic), 0x31);
	assert_int_equal(pic.chip[0].lowest_priority, 1);
	out(&pic, MASTER_CMD, 0x00);
	assert_false(pic.chip[0].rotate_on_auto_eoi);
	pulse(&pic, 6);
	assert_int_equal(vpic_ack(&pic), 0x36);
	assert_int_equal(pic.chip[0].lowest_priority, 1);
}

static void test_auto_eoi_slave_back_to_back(void **state)
{
	struct vpic pic;

	(void)state;
	setup(&pic, NULL, 0x03);
	out(&pic, SLAVE_CMD, 0x11);
	out(&pic, SLAVE_DATA, 0x38);
	out(&pic, SLAVE_DATA, 0x02);
	out(&pic, SLAVE_DATA, 0x03);
	out(&pic, SLAVE_DATA, 0x00);
	/* The slave's INT never falls between the two: IRR2 must latch again. */
	pulse(&pic, 9);
	pulse(&pic, 10);
	assert_int_equal(vpic_ack(&pic), 0x39);
	assert_true(vpic_output(&pic));
	assert_int_equal(vpic_ack(&pic), 0x3a);
	assert_false(vpic_output(&pic));
	assert_int_equal(pic.chip[0].isr | pic.chip[1].isr, 0);
}

static void test_special_mask_mode(void **state)
{
	struct vpic pic;

	(void)state;
	setup(&pic, NULL, 0x01);
	pulse(&pic, 3);
	assert_int_equal(vpic_ack(&pic), 0x33);
	pulse(&pic, 5);
	assert_false(vpic_output(&pic));
	out(&pic, MASTER_CMD, 0x28); /* SMM without ESMM: ignored */
	assert_false(pic.chip[0].special_mask);
	/* The handler masks its own level and enters special mask mode. */
	out(&pic, MASTER_DATA, 0x08);
	out(&pic, MASTER_CMD, 0x68);
	assert_true(pic.chip[0].special_mask);
	assert_true(vpic_output(&pic));
	assert_int_equal(vpic_ack(&pic), 0x35);
	assert_int_equal(read_isr(&pic, MASTER_CMD), 0x28);
	pulse(&pic, 7);
	assert_true(vpic_output(&pic)); /* lower than both in service, still allowed */
	assert_int_equal(vpic_ack(&pic), 0x37);
	/* A level's own in-service bit still holds it off. */
	pulse(&pic, 5);
	assert_false(vpic_output(&pic));
	out(&pic, MASTER_CMD, SPECIFIC_EOI | 5);
	assert_true(vpic_output(&pic));
	assert_int_equal(vpic_ack(&pic), 0x35);
	/* Back to normal nesting: 3 in service holds 6 off. */
	out(&pic, MASTER_CMD, 0x48);
	assert_false(pic.chip[0].special_mask);
	out(&pic, MASTER_CMD, SPECIFIC_EOI | 5);
	out(&pic, MASTER_CMD, SPECIFIC_EOI | 7);
	pulse(&pic, 6);
	assert_false(vpic_output(&pic));
	out(&pic, MASTER_CMD, SPECIFIC_EOI | 3);
	assert_int_equal(vpic_ack(&pic), 0x36);
	/* ICW1 leaves special mask mode. */
	out(&pic, MASTER_CMD, 0x68);
	linux_init(&pic, 0x01);
	assert_false(pic.chip[0].special_mask);
}

static void test_poll(void **state)
{
	struct vpic pic;

	(void)state;
	setup(&pic, NULL, 0x01);
	out(&pic, MASTER_CMD, POLL);
	assert_int_equal(in(&pic, MASTER_CMD), 0x00); /* no request */
	pulse(&pic, 4);
	assert_int_equal(in(&pic, MASTER_CMD), 0x10); /* one-shot: IRR again */
	out(&pic, MASTER_CMD, POLL);
	assert_int_equal(in(&pic, MASTER_CMD), 0x84);
	assert_int_equal(in(&pic, MASTER_CMD), 0x00); /* IRR, cleared by the poll */
	assert_int_equal(read_isr(&pic, MASTER_CMD), 0x10);
	/* Held off by 4 in service, like an INTA. */
	pulse(&pic, 6);
	out(&pic, MASTER_CMD, POLL);
	assert_int_equal(in(&pic, MASTER_CMD), 0x00);
	out(&pic, MASTER_CMD, EOI);
	/* Any read of the chip answers the poll, the data port too. */
	out(&pic, MASTER_CMD, POLL);
	assert_int_equal(in(&pic, MASTER_DATA), 0x86);
	assert_int_equal(in(&pic, MASTER_DATA), 0x00); /* IMR again */
	out(&pic, MASTER_CMD, EOI);
	/* Through the cascade: the master reports 2, then the slave is polled. */
	pulse(&pic, 13);
	out(&pic, MASTER_CMD, POLL);
	assert_int_equal(in(&pic, MASTER_CMD), 0x82);
	out(&pic, SLAVE_CMD, POLL);
	assert_int_equal(in(&pic, SLAVE_CMD), 0x85);
	assert_int_equal(read_isr(&pic, SLAVE_CMD), 0x20);
	assert_int_equal(read_isr(&pic, MASTER_CMD), 0x04);
	assert_false(vpic_output(&pic));
	/* Polls are not INTA cycles. */
	for (int i = 0; i < VPIC_IRQS; i++)
		assert_int_equal(pic.acked[i], 0);
	assert_int_equal(pic.spurious, 0);
}

static void test_read_irr_isr(void **state)
{
	struct vpic pic;

	(void)state;
	setup(&pic, NULL, 0x01);
	pulse(&pic, 3);
	pulse(&pic, 6);
	assert_int_equal(in(&pic, MASTER_CMD), 0x48); /* IRR after init */
	assert_int_equal(vpic_ack(&pic), 0x33);
	out(&pic, MASTER_CMD, READ_ISR);
	assert_int_equal(in(&pic, MASTER_CMD), 0x08);
	assert_int_equal(in(&pic, MASTER_CMD), 0x08); /* the selection stays */
	out(&pic, MASTER_CMD, 0x08);		      /* RR = 0: no change */
	assert_int_equal(in(&pic, MASTER_CMD), 0x08);
	out(&pic, MASTER_CMD, READ_IRR);
	assert_int_equal(in(&pic, MASTER_CMD), 0x40);
	out(&pic, MASTER_CMD, READ_ISR);
	out(&pic, MASTER_CMD, 0x11); /* ICW1 selects IRR */
	assert_false(pic.chip[0].read_isr);
	/* Each chip has its own selection. */
	out(&pic, SLAVE_CMD, READ_ISR);
	assert_false(pic.chip[0].read_isr);
	assert_true(pic.chip[1].read_isr);
}

static void test_cascade(void **state)
{
	struct vpic pic;

	(void)state;
	setup(&pic, NULL, 0x01);
	for (uint32_t irq = 8; irq < 16; irq++) {
		pulse(&pic, irq);
		assert_int_equal(in(&pic, MASTER_CMD), 0x04);
		assert_true(vpic_output(&pic));
		assert_int_equal(vpic_ack(&pic), 0x30 + irq);
		assert_int_equal(read_isr(&pic, MASTER_CMD), 0x04);
		assert_int_equal(read_isr(&pic, SLAVE_CMD), 1u << (irq - 8));
		eoi_slave_then_master(&pic);
		assert_int_equal(pic.acked[irq], 1);
	}
	assert_int_equal(pic.acked[2], 0);

	/* Without fully nested mode, IR2 in service holds every slave request off. */
	pulse(&pic, 12);
	assert_int_equal(vpic_ack(&pic), 0x3c);
	pulse(&pic, 8); /* higher than 12 on the slave */
	assert_int_equal(in(&pic, MASTER_CMD), 0x04);
	assert_false(vpic_output(&pic));
	pulse(&pic, 1);
	assert_int_equal(vpic_ack(&pic), 0x31); /* master IRQ 1 still nests */
	out(&pic, MASTER_CMD, EOI);
	assert_false(vpic_output(&pic));
	out(&pic, MASTER_CMD, EOI); /* ends IR2 while the slave keeps 12 */
	assert_true(vpic_output(&pic));
	assert_int_equal(vpic_ack(&pic), 0x38);
	assert_int_equal(read_isr(&pic, SLAVE_CMD), 0x11);
	out(&pic, SLAVE_CMD, EOI);
	eoi_slave_then_master(&pic);
	assert_int_equal(pic.chip[0].isr | pic.chip[1].isr, 0);

	/* Two slave requests: the second comes after the slave's EOI. */
	pulse(&pic, 11);
	pulse(&pic, 14);
	assert_int_equal(vpic_ack(&pic), 0x3b);
	eoi_slave_then_master(&pic);
	assert_int_equal(vpic_ack(&pic), 0x3e);
	/* External input to IRQ 2 belongs to the slave: ignored. */
	eoi_slave_then_master(&pic);
	vpic_set_irq(&pic, 2, true);
	assert_false(vpic_output(&pic));
	vpic_set_irq(&pic, 16, true);
	vpic_set_irq(&pic, 0xffffffffu, true);
	assert_false(vpic_output(&pic));
}

static void test_special_fully_nested(void **state)
{
	struct vpic pic;

	(void)state;
	setup(&pic, NULL, 0x11);
	assert_true(pic.chip[0].special_fully_nested);
	pulse(&pic, 12);
	assert_int_equal(vpic_ack(&pic), 0x3c);
	/* A higher slave request gets through while IR2 is in service. */
	pulse(&pic, 8);
	assert_true(vpic_output(&pic));
	assert_int_equal(vpic_ack(&pic), 0x38);
	assert_int_equal(read_isr(&pic, SLAVE_CMD), 0x11);
	/* A lower one does not: the slave itself holds it off. */
	pulse(&pic, 14);
	assert_false(vpic_output(&pic));
	/* IR2 in service still holds lower master levels off. */
	pulse(&pic, 3);
	assert_false(vpic_output(&pic));
	out(&pic, SLAVE_CMD, EOI);
	out(&pic, SLAVE_CMD, EOI);
	/* The software checks the slave's ISR is empty before the master EOI. */
	assert_int_equal(read_isr(&pic, SLAVE_CMD), 0x00);
	assert_true(vpic_output(&pic)); /* 14, through the nested IR2 */
	assert_int_equal(vpic_ack(&pic), 0x3e);
	eoi_slave_then_master(&pic);
	assert_int_equal(vpic_ack(&pic), 0x33);
	/* In special mask mode too, the cascade level stays open. */
	out(&pic, MASTER_CMD, EOI);
	out(&pic, MASTER_CMD, 0x68);
	pulse(&pic, 15);
	assert_int_equal(vpic_ack(&pic), 0x3f);
	pulse(&pic, 9);
	assert_int_equal(vpic_ack(&pic), 0x39);
	assert_int_equal(pic.spurious, 0);
}

static void test_spurious(void **state)
{
	struct vpic pic;

	(void)state;
	setup(&pic, NULL, 0x01);
	/* Nothing requested: IR7's vector, nothing in service. */
	assert_int_equal(vpic_ack(&pic), 0x37);
	assert_int_equal(pic.spurious, 1);
	assert_int_equal(read_isr(&pic, MASTER_CMD), 0x00);
	assert_int_equal(pic.acked[7], 0);
	/* A masked request is no request. */
	pulse(&pic, 5);
	out(&pic, MASTER_DATA, 0x20);
	assert_int_equal(vpic_ack(&pic), 0x37);
	assert_int_equal(pic.spurious, 2);
	out(&pic, MASTER_DATA, 0x00);
	assert_int_equal(vpic_ack(&pic), 0x35);
	out(&pic, MASTER_CMD, EOI);
	/* A level request withdrawn between the notify and the INTA. */
	out(&pic, ELCR_MASTER, 0x10);
	vpic_set_irq(&pic, 4, true);
	assert_true(vpic_output(&pic));
	vpic_set_irq(&pic, 4, false);
	assert_false(vpic_output(&pic));
	assert_int_equal(vpic_ack(&pic), 0x37);
	assert_int_equal(pic.spurious, 3);

	/* Slave: IR2 latched, then the slave's level request went away. */
	out(&pic, ELCR_SLAVE, 0x04);
	vpic_set_irq(&pic, 10, true);
	vpic_set_irq(&pic, 10, false);
	assert_true(vpic_output(&pic));
	assert_int_equal(vpic_ack(&pic), 0x3f);
	assert_int_equal(pic.spurious, 4);
	assert_int_equal(pic.acked[10] + pic.acked[15] + pic.acked[2], 0);
	assert_int_equal(read_isr(&pic, SLAVE_CMD), 0x00);
	assert_int_equal(read_isr(&pic, MASTER_CMD), 0x04); /* the master did take IR2 */
	out(&pic, MASTER_CMD, SPECIFIC_EOI | 2);	    /* as Linux's spurious path does */
	assert_false(vpic_output(&pic));
	/* Slave: IR2 latched, then the slave request was masked. */
	pulse(&pic, 11);
	out(&pic, SLAVE_DATA, 0x08);
	assert_int_equal(vpic_ack(&pic), 0x3f);
	assert_int_equal(pic.spurious, 5);
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
		cmocka_unit_test(test_priority_and_nesting),
		cmocka_unit_test(test_eoi_forms),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_auto_eoi),
		cmocka_unit_test(test_auto_eoi_slave_back_to_back),
		cmocka_unit_test(test_special_mask_mode),
		cmocka_unit_test(test_poll),
		cmocka_unit_test(test_read_irr_isr),
		cmocka_unit_test(test_cascade),
		cmocka_unit_test(test_special_fully_nested),
		cmocka_unit_test(test_spurious),
		cmocka_unit_test(test_reinit_and_edge_sense_reset),
		cmocka_unit_test(test_bad_widths_and_ports),
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_random_programming),
	};
	return cmocka_run_group_tests_name("vpic", tests, NULL, NULL);
}
