/* SPDX-License-Identifier: BSD-3-Clause */
#include "core/timer.h"

#include <stddef.h>

#include "arch/x86/cpu.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "arch/x86/trap.h"
#include "debug/log.h"

static struct timer *timer_lists[HV_MAX_CPUS];
static uint64_t timers_fired;

static struct timer **this_list(void)
{
	return &timer_lists[this_cpu()->index];
}

static void timer_list_insert(struct timer **list, struct timer *timer)
{
	struct timer **pos = list;

	while (*pos && (*pos)->deadline <= timer->deadline)
		pos = &(*pos)->next;
	timer->next = *pos;
	*pos = timer;
	timer->armed = true;
}

static void timer_list_remove(struct timer **list, struct timer *timer)
{
	for (struct timer **pos = list; *pos; pos = &(*pos)->next) {
		if (*pos == timer) {
			*pos = timer->next;
			break;
		}
	}
	timer->next = NULL;
	timer->armed = false;
}

static void timer_program(struct timer **list)
{
	lapic_timer_arm(*list ? (*list)->deadline : 0);
}

void timer_start(struct timer *timer, uint64_t deadline, uint64_t period, timer_fn fn, void *data)
{
	uint64_t flags = irq_save();
	struct timer **list = this_list();

	if (timer->armed)
		timer_list_remove(list, timer);
	timer->deadline = deadline;
	timer->period = period;
	timer->fn = fn;
	timer->data = data;
	timer_list_insert(list, timer);
	timer_program(list);
	irq_restore(flags);
}

void timer_stop(struct timer *timer)
{
	uint64_t flags = irq_save();
	struct timer **list = this_list();

	if (timer->armed)
		timer_list_remove(list, timer);
	timer_program(list);
	irq_restore(flags);
}

static void timer_interrupt(uint32_t vector, struct trap_frame *frame)
{
	struct timer **list = this_list();
	uint64_t now = rdtsc();

	(void)vector;
	(void)frame;
	while (*list && (*list)->deadline <= now) {
		struct timer *t = *list;

		timer_list_remove(list, t);
		if (t->period) {
			/* Skip missed periods instead of firing a burst to catch up. */
			t->deadline += t->period;
			if (t->deadline <= now)
				t->deadline = now + t->period;
			timer_list_insert(list, t);
		}
		timers_fired++;
		t->fn(t);
	}
	timer_program(list);
}

void timer_service_init_cpu(void)
{
	static bool registered;

	if (!registered) {
		if (irq_register(VECTOR_TIMER, timer_interrupt) != 0)
			panic("timer: vector 0x%x already taken", VECTOR_TIMER);
		registered = true;
	}
	timer_program(this_list());
}

uint64_t timer_fired_count(void)
{
	return timers_fired;
}
