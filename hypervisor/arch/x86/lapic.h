/* SPDX-License-Identifier: BSD-3-Clause */
/* The physical local APIC: x2APIC mode when the CPU has it, xAPIC MMIO otherwise. */
#ifndef HV_ARCH_X86_LAPIC_H
#define HV_ARCH_X86_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* Called once per CPU, BSP first. */
void lapic_init(void);
bool lapic_is_x2apic(void);
bool lapic_has_tsc_deadline(void);
uint64_t lapic_xapic_base(void); /* 0 in x2APIC mode */
uint32_t lapic_id(void);
void lapic_eoi(void);
void lapic_send_init(uint32_t apic_id);
void lapic_send_startup(uint32_t apic_id, uint8_t page);
void lapic_send_nmi(uint32_t apic_id);
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
/* Arms this CPU's timer to fire at TSC value `deadline` (0 disarms). */
void lapic_timer_arm(uint64_t deadline);

#endif
