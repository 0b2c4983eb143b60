/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the virtual interrupt controllers pass to each other: an interrupt
 * message as an IOAPIC redirection entry, an MSI or an IPI describes it.
 * The VM's router (arch/x86/virq.c) turns one into vLAPIC deliveries.
 */
#ifndef HV_VDEV_VIRQ_H
#define HV_VDEV_VIRQ_H

#include <stdbool.h>
#include <stdint.h>

/* Delivery modes, as encoded in ICR, LVT and redirection entries (bits 10:8). */
enum virq_delivery {
	VIRQ_FIXED = 0,
	VIRQ_LOWEST_PRIORITY = 1,
	VIRQ_SMI = 2,
	VIRQ_NMI = 4,
	VIRQ_INIT = 5,
	VIRQ_STARTUP = 6,
	VIRQ_EXTINT = 7,
};

/* ICR destination shorthands (bits 19:18). */
enum virq_shorthand {
	VIRQ_DEST_FIELD = 0,
	VIRQ_SELF = 1,
	VIRQ_ALL_INCLUDING_SELF = 2,
	VIRQ_ALL_EXCLUDING_SELF = 3,
};

struct virq_msg {
	uint32_t dest;	   /* APIC id (physical) or logical mask; 0xff / 0xffffffff broadcast */
	bool dest_logical; /* logical destination mode */
	uint8_t vector;
	uint8_t delivery;  /* enum virq_delivery */
	uint8_t shorthand; /* enum virq_shorthand; IPIs only, 0 otherwise */
	bool level;	   /* level-triggered (sets the TMR bit; EOI is broadcast) */
	bool assert;	   /* INIT level de-assert has assert = false */
	bool x2apic_dest;  /* dest is a 32-bit x2APIC destination (else 8-bit xAPIC) */
};

#endif
