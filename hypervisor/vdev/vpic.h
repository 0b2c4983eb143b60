/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A virtual pair of 8259A PICs (master at 0x20/0x21, slave at 0xa0/0xa1
 * cascaded on IRQ 2) with the ELCR edge/level registers (0x4d0/0x4d1):
 * the register model only (no VMX), so it runs in the hypervisor and in
 * host tests.
 *
 * Implements the initialisation sequence (ICW1-ICW4), OCW1 (mask), OCW2
 * (non-specific, specific and rotating EOI, set priority), OCW3 (read
 * IRR/ISR, poll, special mask mode), auto-EOI, special fully nested mode on
 * the master, and edge or level triggering per IRQ from the ELCR.
 *
 * Not locked: the caller serialises all calls on one vPIC.
 */
#ifndef HV_VDEV_VPIC_H
#define HV_VDEV_VPIC_H

#include <stdbool.h>
#include <stdint.h>

#define VPIC_IRQS 16

struct vpic_env {
	void *ctx;
	/* The INT output may have changed (became asserted): the hypervisor re-evaluates. */
	void (*notify)(void *ctx);
};

struct i8259 {
	uint8_t irr, isr, imr;
	uint8_t lines;		 /* current input levels, bit per IRQ */
	uint8_t elcr;		 /* 1 = level-triggered */
	uint8_t elcr_mask;	 /* which ELCR bits may be written */
	uint8_t vector_base;	 /* ICW2 & 0xf8 */
	uint8_t lowest_priority; /* rotation: IRQ with the lowest priority (7 after init) */
	uint8_t icw_step;	 /* 0 = initialised; 2..4 = next ICW expected */
	bool icw4_needed;
	bool single; /* ICW1.SNGL */
	bool auto_eoi;
	bool rotate_on_auto_eoi;
	bool special_fully_nested;
	bool special_mask;
	bool read_isr; /* OCW3 RR/RIS: next read of the command port gives ISR */
	bool poll;     /* OCW3 P: next read of the command port is a poll */
	uint8_t icw3;
	bool mcs80_logged; /* an ICW4 without uPM (8080 mode) was reported once */
};

struct vpic {
	const struct vpic_env *env;
	struct i8259 chip[2]; /* 0 master, 1 slave */
	uint64_t acked[VPIC_IRQS];
	uint64_t spurious;
};

/* Power-on state: both chips uninitialised with every IRQ masked, all edge-triggered. */
void vpic_init(struct vpic *pic, const struct vpic_env *env);

/* Port handlers (io_registry shape; dev is the vpic): 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1,
 * width 1. */
int vpic_port_read(void *dev, uint64_t port, uint32_t width, uint64_t *value);
int vpic_port_write(void *dev, uint64_t port, uint32_t width, uint64_t value);

/* The input of IRQ irq (0-15) is now at level (true = high). Others are ignored. */
void vpic_set_irq(struct vpic *pic, uint32_t irq, bool level);

/* The master's INT output: an unmasked request outranks everything in service. */
bool vpic_output(const struct vpic *pic);
/*
 * The interrupt acknowledge cycle: returns the vector the CPU receives and
 * updates IRR/ISR (auto-EOI, cascade through the slave). With no request
 * left it answers the spurious IRQ 7 (or 15) vector, as the 8259 does.
 */
uint8_t vpic_ack(struct vpic *pic);

#endif
