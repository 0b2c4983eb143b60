/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A virtual IOAPIC: the register model only (no VMX), so it runs in the
 * hypervisor and in host tests. Registers through IOREGSEL (0x00) and
 * IOWIN (0x10) and the EOI register (0x40) of version 0x20.
 *
 * Pins are driven by the hypervisor: vioapic_set_level() with the line's
 * logical state (asserted or not; polarity is the physical side's business,
 * the hypervisor copies it to the real pin through env->rte_changed).
 *
 * Not locked: the caller serialises all calls on one vIOAPIC.
 */
#ifndef HV_VDEV_VIOAPIC_H
#define HV_VDEV_VIOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "vdev/virq.h"

#define VIOAPIC_MAX_PINS  120
#define VIOAPIC_VERSION	  0x20
#define VIOAPIC_MMIO_SIZE 0x1000

/* Redirection entry bits. */
#define IOAPIC_RTE_VECTOR	 0xffull
#define IOAPIC_RTE_DELMODE_SHIFT 8
#define IOAPIC_RTE_DEST_LOGICAL	 (1ull << 11)
#define IOAPIC_RTE_PENDING	 (1ull << 12) /* delivery status, read-only */
#define IOAPIC_RTE_ACTIVE_LOW	 (1ull << 13)
#define IOAPIC_RTE_REMOTE_IRR	 (1ull << 14) /* read-only */
#define IOAPIC_RTE_LEVEL	 (1ull << 15)
#define IOAPIC_RTE_MASKED	 (1ull << 16)
#define IOAPIC_RTE_DEST_SHIFT	 56

struct vioapic_env {
	void *ctx;
	/* Delivers one interrupt message (fixed, lowest priority, NMI, INIT or ExtINT). */
	void (*deliver)(void *ctx, const struct virq_msg *msg);
	/*
	 * The guest wrote pin's redirection entry (any bit: mask, trigger,
	 * polarity, vector, destination); the hypervisor reprograms the
	 * physical pin behind it. Called after the model has updated itself.
	 */
	void (*rte_changed)(void *ctx, uint32_t pin, uint64_t rte);
};

struct vioapic {
	const struct vioapic_env *env;
	uint64_t base; /* guest-physical address of the register window */
	uint32_t pins;
	uint32_t gsi_base;
	uint8_t id;	 /* ID register bits 27:24 */
	uint32_t regsel; /* IOREGSEL */
	uint64_t rte[VIOAPIC_MAX_PINS];
	bool line[VIOAPIC_MAX_PINS]; /* current logical level of each input */
	uint64_t delivered[VIOAPIC_MAX_PINS];
	/*
	 * Private to vioapic.c. Messages the model refused to send (SMI or a
	 * reserved delivery mode, or a fixed/lowest-priority vector below 16),
	 * per pin; logged holds which reasons were already logged.
	 */
	uint64_t refused[VIOAPIC_MAX_PINS];
	uint32_t logged;
};

/* Power-on state: every entry masked, edge, active high, vector 0. pins is 1..VIOAPIC_MAX_PINS. */
void vioapic_init(struct vioapic *io, uint8_t id, uint64_t base, uint32_t pins, uint32_t gsi_base,
		  const struct vioapic_env *env);

/* MMIO handlers (io_registry shape; dev is the vioapic). Only 32-bit accesses have effect. */
int vioapic_mmio_read(void *dev, uint64_t addr, uint32_t width, uint64_t *value);
int vioapic_mmio_write(void *dev, uint64_t addr, uint32_t width, uint64_t value);

/*
 * The input of pin changes to asserted (true) or deasserted (false). Edge
 * pins deliver on a rising edge when unmasked; level pins deliver while
 * asserted, unmasked and remote IRR clear, and set remote IRR. Out-of-range
 * pins are ignored.
 */
void vioapic_set_level(struct vioapic *io, uint32_t pin, bool asserted);
/* A rising then falling edge (for edge-triggered sources that only pulse). */
void vioapic_pulse(struct vioapic *io, uint32_t pin);

/*
 * An EOI for vector reached this IOAPIC (broadcast from a vLAPIC, or a
 * write to the EOI register): every level pin with this vector and remote
 * IRR set has it cleared, and delivers again if its input is still asserted.
 */
void vioapic_eoi(struct vioapic *io, uint8_t vector);

uint64_t vioapic_rte(const struct vioapic *io, uint32_t pin);

#endif
