/* SPDX-License-Identifier: BSD-3-Clause */
/* The time-stamp counter as the hypervisor's clock. */
#ifndef HV_ARCH_X86_TSC_H
#define HV_ARCH_X86_TSC_H

#include <stdint.h>

/* Finds the TSC frequency: CPUID 0x15, then 0x16, then a PIT measurement. */
void tsc_init(void);
uint64_t tsc_hz(void);
const char *tsc_source(void);
uint64_t tsc_from_us(uint64_t us);
uint64_t tsc_to_us(uint64_t ticks);
void tsc_delay_us(uint64_t us);

#endif
