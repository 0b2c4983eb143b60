/* SPDX-License-Identifier: BSD-3-Clause */
#include "arch/x86/lapic.h"

#include "arch/x86/cpu.h"
#include "arch/x86/trap.h"
#include "arch/x86/tsc.h"
#include "debug/log.h"

#define APIC_BASE_EXTD	  (1ull << 10)
#define APIC_BASE_ENABLE  (1ull << 11)
#define APIC_BASE_ADDRESS 0xfffff000ull

/* Register offsets in xAPIC MMIO; the x2APIC MSR is 0x800 + offset / 16. */
#define REG_ID	       0x020
#define REG_TPR	       0x080
#define REG_EOI	       0x0b0
#define REG_SVR	       0x0f0
#define REG_ICR_LOW    0x300
#define REG_ICR_HIGH   0x310
#define REG_LVT_TIMER  0x320
#define REG_LVT_LINT0  0x350
#define REG_LVT_LINT1  0x360
#define REG_LVT_ERROR  0x370
#define REG_TIMER_INIT 0x380
#define REG_TIMER_DIV  0x3e0

#define SVR_ENABLE	       (1u << 8)
#define LVT_MASKED	       (1u << 16)
#define LVT_TIMER_TSC_DEADLINE (2u << 17)
#define ICR_DELIVERY_PENDING   (1u << 12)
#define ICR_LEVEL_ASSERT       (1u << 14)
#define ICR_MODE_NMI	       (4u << 8)
#define ICR_MODE_INIT	       (5u << 8)
#define ICR_MODE_STARTUP       (6u << 8)
#define TIMER_DIVIDE_BY_1      0xb

static bool x2apic_mode;
static bool tsc_deadline;
static uint64_t xapic_base;
/* One-shot fallback: APIC timer ticks per TSC tick, as a 32.32 fixed-point ratio. */
static uint64_t timer_ticks_per_tsc_fp;

static uint32_t lapic_read(uint32_t reg)
{
	if (x2apic_mode)
		return (uint32_t)rdmsr(0x800 + reg / 16);
	return *(volatile uint32_t *)(uintptr_t)(xapic_base + reg);
}

static void lapic_write(uint32_t reg, uint32_t value)
{
	if (x2apic_mode)
		wrmsr(0x800 + reg / 16, value);
	else
		*(volatile uint32_t *)(uintptr_t)(xapic_base + reg) = value;
}

bool lapic_is_x2apic(void)
{
	return x2apic_mode;
}

bool lapic_has_tsc_deadline(void)
{
	return tsc_deadline;
}

uint64_t lapic_xapic_base(void)
{
	return x2apic_mode ? 0 : xapic_base;
}

/* Measures the APIC timer against the TSC for CPUs without TSC-deadline mode. */
static void lapic_timer_calibrate(void)
{
	uint64_t t0, t1;
	uint32_t start = 0xffffffffu, left;

	lapic_write(REG_TIMER_DIV, TIMER_DIVIDE_BY_1);
	lapic_write(REG_LVT_TIMER, LVT_MASKED | VECTOR_TIMER);
	t0 = rdtsc();
	lapic_write(REG_TIMER_INIT, start);
	tsc_delay_us(10000);
	left = lapic_read(0x390); /* current count */
	t1 = rdtsc();
	lapic_write(REG_TIMER_INIT, 0);
	if (t1 > t0 && left < start)
		timer_ticks_per_tsc_fp = ((uint64_t)(start - left) << 32) / (t1 - t0);
	pr_info("lapic: timer runs at %llu ticks per 1000 TSC ticks (one-shot mode)",
		(unsigned long long)((timer_ticks_per_tsc_fp * 1000) >> 32));
}

void lapic_init(void)
{
	struct cpuid_regs r;
	uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
	static bool calibrated;

	cpuid_count(1, 0, &r);
	x2apic_mode = (r.ecx >> 21) & 1;
	tsc_deadline = (r.ecx >> 24) & 1;
	if (x2apic_mode) {
		/* The architecture requires xAPIC enabled before switching to x2APIC. */
		if (!(base & APIC_BASE_ENABLE))
			wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_ENABLE);
		wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_EXTD);
	} else {
		wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_ENABLE);
		xapic_base = base & APIC_BASE_ADDRESS;
	}
	lapic_write(REG_TPR, 0);
	lapic_write(REG_SVR, SVR_ENABLE | VECTOR_SPURIOUS);
	lapic_write(REG_LVT_LINT0, LVT_MASKED);
	lapic_write(REG_LVT_LINT1, LVT_MASKED);
	lapic_write(REG_LVT_ERROR, LVT_MASKED);
	if (tsc_deadline) {
		lapic_write(REG_LVT_TIMER, LVT_TIMER_TSC_DEADLINE | VECTOR_TIMER);
	} else if (!calibrated) {
		lapic_timer_calibrate();
		calibrated = true;
	}
	if (!tsc_deadline)
		lapic_write(REG_LVT_TIMER, VECTOR_TIMER); /* one-shot */
}

uint32_t lapic_id(void)
{
	uint32_t id = lapic_read(REG_ID);

	return x2apic_mode ? id : id >> 24;
}

void lapic_eoi(void)
{
	lapic_write(REG_EOI, 0);
}

static void lapic_send_icr(uint32_t apic_id, uint32_t command)
{
	if (x2apic_mode) {
		wrmsr(0x830, ((uint64_t)apic_id << 32) | command);
		return;
	}
	lapic_write(REG_ICR_HIGH, apic_id << 24);
	lapic_write(REG_ICR_LOW, command);
	for (int i = 0; i < 1000000 && (lapic_read(REG_ICR_LOW) & ICR_DELIVERY_PENDING); i++)
		cpu_relax();
}

void lapic_send_init(uint32_t apic_id)
{
	lapic_send_icr(apic_id, ICR_MODE_INIT | ICR_LEVEL_ASSERT);
}

void lapic_send_startup(uint32_t apic_id, uint8_t page)
{
	lapic_send_icr(apic_id, ICR_MODE_STARTUP | ICR_LEVEL_ASSERT | page);
}

void lapic_send_nmi(uint32_t apic_id)
{
	lapic_send_icr(apic_id, ICR_MODE_NMI | ICR_LEVEL_ASSERT);
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	lapic_send_icr(apic_id, ICR_LEVEL_ASSERT | vector);
}

void lapic_timer_arm(uint64_t deadline)
{
	uint64_t now, ticks;

	if (tsc_deadline) {
		wrmsr(MSR_IA32_TSC_DEADLINE, deadline);
		return;
	}
	if (!deadline) {
		lapic_write(REG_TIMER_INIT, 0);
		return;
	}
	now = rdtsc();
	ticks =
	    deadline > now
		? (uint64_t)(((unsigned __int128)(deadline - now) * timer_ticks_per_tsc_fp) >> 32)
		: 1;
	if (ticks == 0)
		ticks = 1;
	if (ticks > 0xffffffffull)
		ticks = 0xffffffffull;
	lapic_write(REG_TIMER_INIT, (uint32_t)ticks);
}
