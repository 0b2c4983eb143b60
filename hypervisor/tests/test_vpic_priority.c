/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual 8259A pair, servicing side: priorities and nesting, every EOI
 * form, rotation (set priority, rotate on EOI, rotate in auto-EOI), auto-EOI
 * through the cascade, special mask and special fully nested modes, poll and
 * the IRR/ISR reads, the cascade through the slave, and spurious IRQ 7/15.
 * Initialisation, masks, triggering and the notify calls are in test_vpic.c;
 * the port helpers are in vpic_fixture.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/vpic_fixture.h"
#include "vdev/vpic.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
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
	};
	return cmocka_run_group_tests_name("vpic_priority", tests, NULL, NULL);
}
