/* SPDX-License-Identifier: BSD-3-Clause */
/* Machine power-off (ACPI S5) and reset, from the FADT. */
#ifndef HV_ARCH_X86_POWER_H
#define HV_ARCH_X86_POWER_H

#include "core/acpi.h"

void power_init(const struct acpi_info *acpi);
/* Returns only when power-off is impossible or did not happen (after a message). */
void power_off(void);
/* Tries the FADT reset register, then the keyboard controller, then a triple fault. */
__attribute__((noreturn)) void power_reboot(void);

#endif
