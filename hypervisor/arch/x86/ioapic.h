/* SPDX-License-Identifier: BSD-3-Clause */
/* Legacy interrupt controllers the hypervisor owns: the 8259 pair and the IOAPICs. */
#ifndef HV_ARCH_X86_IOAPIC_H
#define HV_ARCH_X86_IOAPIC_H

#include "core/acpi.h"

/*
 * Moves the 8259s' vectors off the exception range and masks them, and
 * masks every IOAPIC pin, so nothing reaches a CPU until a driver asks.
 */
void legacy_interrupts_quiesce(const struct acpi_info *acpi);

#endif
