/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared fixture of the virtual 8259A tests (test_vpic.c and
 * test_vpic_priority.c): the port numbers and OCW values, byte-wide port
 * accessors, the initialisation Linux performs, and a setup that leaves a
 * programmed pair with every IRQ unmasked. Everything goes through the
 * ports, as a guest would.
 */
#ifndef HV_TESTS_VPIC_FIXTURE_H
#define HV_TESTS_VPIC_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

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

static inline void out(struct vpic *pic, uint16_t port, uint8_t value)
{
	assert_int_equal(vpic_port_write(pic, port, 1, value), 0);
}

static inline uint8_t in(struct vpic *pic, uint16_t port)
{
	uint64_t value = 0x1234;

	assert_int_equal(vpic_port_read(pic, port, 1, &value), 0);
	assert_true(value <= 0xff);
	return (uint8_t)value;
}

static inline uint8_t read_isr(struct vpic *pic, uint16_t cmd_port)
{
	uint8_t isr;

	out(pic, cmd_port, READ_ISR);
	isr = in(pic, cmd_port);
	out(pic, cmd_port, READ_IRR);
	return isr;
}

/* What Linux's init_8259A writes: everything masked, ICW1-ICW4 to each, then the masks. */
static inline void linux_init(struct vpic *pic, uint8_t master_icw4)
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
static inline void setup(struct vpic *pic, const struct vpic_env *env, uint8_t master_icw4)
{
	memset(pic, 0xa5, sizeof(*pic)); /* vpic_init must clear everything */
	vpic_init(pic, env);
	linux_init(pic, master_icw4);
	out(pic, MASTER_DATA, 0x00);
	out(pic, SLAVE_DATA, 0x00);
}

/* Ends a slave interrupt the way handlers do: the slave first, then the master. */
static inline void eoi_slave_then_master(struct vpic *pic)
{
	out(pic, SLAVE_CMD, EOI);
	out(pic, MASTER_CMD, EOI);
}

static inline void pulse(struct vpic *pic, uint32_t irq)
{
	vpic_set_irq(pic, irq, true);
	vpic_set_irq(pic, irq, false);
}

#endif
