/* SPDX-License-Identifier: BSD-3-Clause */
#include "arch/x86/tsc.h"

#include <stddef.h>

#include "arch/x86/cpu.h"
#include "debug/log.h"

#define PIT_HZ		     1193182ull
#define PIT_CHANNEL2	     0x42
#define PIT_COMMAND	     0x43
#define PORT_B		     0x61
#define PORT_B_GATE2	     0x01
#define PORT_B_SPEAKER	     0x02
#define PORT_B_OUT2	     0x20
#define PIT_CALIBRATE_MS     10
#define PIT_CALIBRATE_ROUNDS 3
/* Before calibration delays assume a slow 1 GHz clock, which only makes them longer. */
#define TSC_HZ_FALLBACK 1000000000ull

static uint64_t tsc_frequency = TSC_HZ_FALLBACK;
static const char *tsc_frequency_source = "assumed";

/* Counts TSC ticks while PIT channel 2 counts down PIT_CALIBRATE_MS in mode 0. */
static uint64_t tsc_measure_with_pit(void)
{
	uint16_t count = (uint16_t)(PIT_HZ * PIT_CALIBRATE_MS / 1000);
	uint8_t port_b = inb(PORT_B);
	uint64_t t0, t1;
	uint64_t spins = 0;

	outb(PORT_B, (uint8_t)((port_b & ~PORT_B_SPEAKER) | PORT_B_GATE2));
	outb(PIT_COMMAND, 0xb0); /* channel 2, lobyte/hibyte, mode 0, binary */
	outb(PIT_CHANNEL2, (uint8_t)count);
	outb(PIT_CHANNEL2, (uint8_t)(count >> 8));
	t0 = rdtsc();
	while (!(inb(PORT_B) & PORT_B_OUT2)) {
		/* A machine without a PIT would spin for ever; give up after a while. */
		if (++spins > 100000000ull)
			return 0;
	}
	t1 = rdtsc();
	outb(PORT_B, port_b);
	return (t1 - t0) * (1000 / PIT_CALIBRATE_MS);
}

static uint64_t tsc_frequency_from_cpuid(const char **source)
{
	struct cpuid_regs r;
	uint32_t max_leaf;

	cpuid_count(0, 0, &r);
	max_leaf = r.eax;
	if (max_leaf >= 0x15) {
		cpuid_count(0x15, 0, &r);
		/* EBX/EAX is the TSC/crystal ratio, ECX the crystal in Hz (0 = not given). */
		if (r.eax && r.ebx && r.ecx) {
			*source = "CPUID 0x15";
			return (uint64_t)r.ecx * r.ebx / r.eax;
		}
	}
	if (max_leaf >= 0x16) {
		cpuid_count(0x16, 0, &r);
		if (r.eax & 0xffff) {
			*source = "CPUID 0x16";
			return (uint64_t)(r.eax & 0xffff) * 1000000ull;
		}
	}
	return 0;
}

static uint64_t tsc_frequency_from_pit(int rounds)
{
	uint64_t best = 0;

	for (int i = 0; i < rounds; i++) {
		uint64_t hz = tsc_measure_with_pit();

		/* The shortest measurement had the fewest interruptions by the emulator or SMIs. */
		if (hz && (!best || hz < best))
			best = hz;
	}
	return best;
}

void tsc_init(void)
{
	const char *source = NULL;
	uint64_t cpuid_hz = tsc_frequency_from_cpuid(&source);
	uint64_t pit_hz = tsc_frequency_from_pit(cpuid_hz ? 1 : PIT_CALIBRATE_ROUNDS);

	/*
	 * CPUID 0x16 is the nominal base frequency, and emulators and some
	 * firmware report leaves that do not match the real TSC rate: a
	 * quick PIT measurement decides whether the CPUID value is believable.
	 */
	if (cpuid_hz &&
	    (!pit_hz || (cpuid_hz < pit_hz + pit_hz / 20 && cpuid_hz + pit_hz / 20 > pit_hz))) {
		tsc_frequency = cpuid_hz;
		tsc_frequency_source = source;
		return;
	}
	if (cpuid_hz)
		pr_warn(
		    "tsc: %s says %llu kHz but the PIT measures %llu kHz; using the measurement",
		    source, (unsigned long long)(cpuid_hz / 1000),
		    (unsigned long long)(pit_hz / 1000));
	if (pit_hz) {
		tsc_frequency = pit_hz;
		tsc_frequency_source = "PIT calibration";
	} else {
		pr_err("tsc: no CPUID frequency and the PIT did not respond; assuming %llu MHz",
		       (unsigned long long)(TSC_HZ_FALLBACK / 1000000));
	}
}

uint64_t tsc_hz(void)
{
	return tsc_frequency;
}

const char *tsc_source(void)
{
	return tsc_frequency_source;
}

uint64_t tsc_from_us(uint64_t us)
{
	/* Split so nothing overflows and no 128-bit division (a libgcc call) is needed. */
	return (us / 1000000u) * tsc_frequency + (us % 1000000u) * tsc_frequency / 1000000u;
}

uint64_t tsc_to_us(uint64_t ticks)
{
	return (ticks / tsc_frequency) * 1000000u +
	       (ticks % tsc_frequency) * 1000000u / tsc_frequency;
}

void tsc_delay_us(uint64_t us)
{
	uint64_t end = rdtsc() + tsc_from_us(us);

	while (rdtsc() < end)
		cpu_relax();
}
