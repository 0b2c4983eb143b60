/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The timer service: each CPU keeps its own list of timers sorted by
 * deadline (TSC ticks) and programs its local APIC for the earliest.
 * Callbacks run in interrupt context on the CPU that started the timer.
 */
#ifndef HV_CORE_TIMER_H
#define HV_CORE_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct timer;
typedef void (*timer_fn)(struct timer *timer);

struct timer {
	uint64_t deadline; /* TSC value */
	uint64_t period;   /* 0: one-shot */
	timer_fn fn;
	void *data;
	struct timer *next;
	bool armed;
};

void timer_service_init_cpu(void);
/* Starts (or restarts) a timer on the calling CPU. */
void timer_start(struct timer *timer, uint64_t deadline, uint64_t period, timer_fn fn, void *data);
void timer_stop(struct timer *timer);
uint64_t timer_fired_count(void);

#endif
