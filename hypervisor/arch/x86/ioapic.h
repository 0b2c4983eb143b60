/* SPDX-License-Identifier: BSD-3-Clause */
/* Legacy interrupt controllers the hypervisor owns: the 8259 pair and the IOAPICs. */
#ifndef HV_ARCH_X86_IOAPIC_H
#define HV_ARCH_X86_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/acpi.h"

/*
 * Moves the 8259s' vectors off the exception range and masks them, and
 * masks every IOAPIC pin, so nothing reaches a CPU until a driver asks.
 */
void legacy_interrupts_quiesce(const struct acpi_info *acpi);

/* GSIs the IOAPICs serve: 0 .. ioapic_gsi_limit() - 1 (some may have no pin). */
uint32_t ioapic_gsi_limit(void);
bool ioapic_gsi_exists(uint32_t gsi);
/* Pins of the IOAPIC at this address (0 if none). */
uint32_t ioapic_pins_at(uint64_t address);

/*
 * Programs the pin of gsi to send vector to the CPU with this APIC id
 * (physical destination, fixed delivery) with the given trigger and
 * polarity; masked leaves it masked. -ENOENT when no IOAPIC has the GSI.
 */
int ioapic_program_gsi(uint32_t gsi, uint8_t vector, uint32_t dest_apic_id, bool level,
		       bool active_low, bool masked);
/* The GSI of ISA IRQ irq (MADT interrupt source overrides), with its trigger and polarity. */
uint32_t ioapic_isa_irq_to_gsi(uint32_t irq, bool *level, bool *active_low);
/* Sets or clears the mask bit of gsi's pin, leaving the rest of the entry. */
void ioapic_mask_gsi(uint32_t gsi, bool masked);

#endif
