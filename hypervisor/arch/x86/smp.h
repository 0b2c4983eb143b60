/* SPDX-License-Identifier: BSD-3-Clause */
/* Starting the application processors listed by the MADT. */
#ifndef HV_ARCH_X86_SMP_H
#define HV_ARCH_X86_SMP_H

#include <stdint.h>

#include "boot/multiboot2.h"
#include "core/acpi.h"

#define AP_START_TIMEOUT_MS 100
#define TRAMPOLINE_PAGES    2

/* Picks two free pages below 1 MiB and copies the start-up code there; 0 when none is free. */
uint64_t smp_prepare_trampoline(const struct boot_info *bi, uint64_t cr3);
uint64_t smp_trampoline_address(void);
/* After every AP is up: the start-up pages become ordinary memory again. */
void smp_retire_trampoline(void);
/* Fills per_cpu_data from the MADT (the boot CPU is entry 0). */
void smp_enumerate_cpus(const struct acpi_info *acpi, uint32_t bsp_apic_id);
/* Starts every listed AP; each one runs ap_setup() and then idles. */
void smp_start_aps(void);
/* Waits until every started AP has left the VMX bring-up (or the timeout passed). */
void smp_wait_for_vmx(uint64_t timeout_ms);

#endif
