// SPDX-License-Identifier: BSD-3-Clause
/*
 * The latency part of `ivshmem bench`: polled one-way latency of 64-byte messages.
 *
 * Five kinds of round trip run between the same two processes in interleaved blocks: a
 * bare cache-line ping-pong (the baseline), a default ring, a low-latency ring (both of
 * 64 KiB), a low-latency ring of 256 bytes, and the same 64-byte hand-off written without
 * the library (payload and a polled sequence word, two cache lines, as a low-latency
 * record has). Interleaving matters on a virtual machine:
 * its vCPUs move between host cores, which changes one cache-line hand-off from about 25 to
 * about 250 ns here; measured one after the other, the kinds would see different machines.
 * The hand-off without the library tells how much of a ring's figure is the two lines
 * (physics) and how much is the library's own path.
 *
 * Round trips are timed with the TSC where there is one: a clock_gettime costs about as
 * much as the hand-off being measured. The cost of reading the counter is subtracted, and
 * ticks become nanoseconds against CLOCK_MONOTONIC over the whole measurement.
 */
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "bench.h"

#define BLOCKS		 50
#define MESSAGE		 64
#define HANDOFF_SLOTS	 512
#define HANDOFF_RECORD	 128
#define HANDOFF_SEQUENCE 8  /* offset of the polled word in a hand-off record */
#define HANDOFF_PAYLOAD	 16 /* offset of the payload, as in a low-latency record */

_Static_assert(2 * HANDOFF_SLOTS * HANDOFF_RECORD == HANDOFF_BYTES, "hand-off area size");

enum latency_kind { KIND_BARE, KIND_RING, KIND_LOW_LATENCY, KIND_SMALL, KIND_HANDOFF, KINDS };

/* The rings of the three ring kinds: default and low-latency of 64 KiB, and a low-latency
 * ring of 256 bytes (two records), whose lines stay hot in both cores' caches as the
 * ping-pong's line does; a 64 KiB ring cycles through 512 records. */
#define RING_KINDS 3
static const struct {
	const char *request, *response;
	uint32_t capacity, flags;
} ring_kinds[RING_KINDS] = {
	{ "lat.req", "lat.rsp", 65536, 0 },
	{ "lat.req.al", "lat.rsp.al", 65536, IVSHMEM_RING_LOW_LATENCY },
	{ "lat.req.s", "lat.rsp.s", 256, IVSHMEM_RING_LOW_LATENCY },
};

static uint64_t ticks(void)
{
#if defined(__x86_64__)
	_mm_lfence(); /* the read happens here, not earlier among the spin loop's loads */
	return __rdtsc();
#else
	return tool_now_ns();
#endif
}

/* The two rings of each ring kind: requests from side 0, responses from side 1. */
struct latency_rings {
	struct ivshmem_ring *out[RING_KINDS];
	struct ivshmem_ring *in[RING_KINDS];
};

static void open_latency_rings(struct ivshmem_region *region, int side, struct latency_rings *rings)
{
	for (int kind = 0; kind < RING_KINDS; kind++) {
		struct ivshmem_ring *request =
		    open_ring(region, ring_kinds[kind].request,
			      side == 0 ? IVSHMEM_RING_PRODUCER : IVSHMEM_RING_CONSUMER, 0,
			      ring_kinds[kind].capacity, ring_kinds[kind].flags);
		struct ivshmem_ring *response =
		    open_ring(region, ring_kinds[kind].response,
			      side == 0 ? IVSHMEM_RING_CONSUMER : IVSHMEM_RING_PRODUCER, 1,
			      ring_kinds[kind].capacity, ring_kinds[kind].flags);

		rings->out[kind] = side == 0 ? request : response;
		rings->in[kind] = side == 0 ? response : request;
	}
}

static void close_latency_rings(struct latency_rings *rings)
{
	for (int kind = 0; kind < RING_KINDS; kind++) {
		ivshmem_ring_close(rings->out[kind]);
		ivshmem_ring_close(rings->in[kind]);
	}
}

static void ring_round(struct latency_rings *rings, int ring_kind, int side, uint8_t *message)
{
	size_t length;

	if (side == 1) {
		while (!ring_call_ok(
		    ivshmem_ring_recv(rings->in[ring_kind], message, MESSAGE, &length),
		    "ring_recv"))
			relax();
	}
	while (
	    !ring_call_ok(ivshmem_ring_send(rings->out[ring_kind], message, MESSAGE), "ring_send"))
		relax();
	if (side == 0) {
		while (!ring_call_ok(
		    ivshmem_ring_recv(rings->in[ring_kind], message, MESSAGE, &length),
		    "ring_recv"))
			relax();
	}
}

static uint8_t *handoff_record(struct bench *bench, int direction, uint64_t sequence)
{
	return bench->handoff +
	       ((size_t)direction * HANDOFF_SLOTS + sequence % HANDOFF_SLOTS) * HANDOFF_RECORD;
}

static void handoff_send(uint8_t *record, uint64_t sequence, const uint8_t *message)
{
	memcpy(record + HANDOFF_PAYLOAD, message, MESSAGE);
	__atomic_store_n((uint64_t *)(record + HANDOFF_SEQUENCE), sequence, __ATOMIC_RELEASE);
}

static void handoff_receive(const uint8_t *record, uint64_t sequence, uint8_t *message)
{
	while (__atomic_load_n((const uint64_t *)(record + HANDOFF_SEQUENCE), __ATOMIC_ACQUIRE) !=
	       sequence) {
		__builtin_prefetch(record + 64); /* the payload's second line, as rings do */
		relax();
	}
	memcpy(message, record + HANDOFF_PAYLOAD, MESSAGE);
}

/* One round trip of a kind; side 0 starts it, side 1 answers. Sequence numbers count
 * from 1 over the whole run, so no record or flag ever holds a value still to come. */
static void round_trip(struct bench *bench, struct latency_rings *rings, enum latency_kind kind,
		       int side, uint64_t sequence, uint8_t *message)
{
	switch (kind) {
	case KIND_BARE:
		if (side == 0) {
			bench->flags->ping = sequence;
			while (bench->flags->pong != sequence)
				relax();
		} else {
			while (bench->flags->ping != sequence)
				relax();
			bench->flags->pong = sequence;
		}
		break;
	case KIND_RING:
	case KIND_LOW_LATENCY:
	case KIND_SMALL:
		ring_round(rings, kind - KIND_RING, side, message);
		break;
	case KIND_HANDOFF:
		if (side == 1)
			handoff_receive(handoff_record(bench, 0, sequence), sequence, message);
		handoff_send(handoff_record(bench, side, sequence), sequence, message);
		if (side == 0)
			handoff_receive(handoff_record(bench, 1, sequence), sequence, message);
		break;
	default:
		break;
	}
}

static uint64_t rounds_per_block(const struct bench *bench)
{
	uint64_t rounds = bench->latency_rounds / BLOCKS;

	return rounds ? rounds : 1;
}

static void latency_child(struct bench *bench)
{
	struct ivshmem_region *region = open_side(bench, 1);
	struct latency_rings rings;
	uint8_t message[MESSAGE];
	uint64_t sequence[KINDS] = { 0 };

	open_latency_rings(region, 1, &rings);
	bench->flags->ready = 1;
	for (int block = 0; block < BLOCKS; block++)
		for (int kind = 0; kind < KINDS; kind++)
			for (uint64_t i = 0; i < rounds_per_block(bench); i++)
				round_trip(bench, &rings, (enum latency_kind)kind, 1,
					   ++sequence[kind], message);
	close_latency_rings(&rings);
	ivshmem_close(region);
}

/* What reading the counter twice costs, to take off every round trip. */
static uint64_t tick_overhead(void)
{
	struct latency_samples samples;
	uint64_t overhead;

	if (samples_init(&samples, 1001))
		return 0;
	for (int i = 0; i < 1001; i++) {
		uint64_t start = ticks();

		samples_add(&samples, ticks() - start);
	}
	overhead = samples_percentile(&samples, 50);
	samples_free(&samples);
	return overhead;
}

/* Mean of the fastest 99% (the slowest 1% are interrupts and preemptions, which the
 * percentiles show): finer than percentiles, whose steps are the counter's. */
static double trimmed_mean(struct latency_samples *samples)
{
	uint64_t kept, sum = 0;

	samples_percentile(samples, 50); /* sorts */
	kept = samples->count - samples->count / 100;
	for (uint64_t i = 0; i < kept; i++)
		sum += samples->values[i];
	return kept ? (double)sum / (double)kept : 0;
}

int measure_latencies(struct bench *bench, struct ivshmem_region *region)
{
	struct latency_samples samples[KINDS];
	struct latency_rings rings;
	uint64_t sequence[KINDS] = { 0 };
	uint64_t overhead = tick_overhead(), start_ticks, start_ns;
	uint8_t message[MESSAGE] = { 0 };
	double ns; /* per tick, halved: the figures are one way */
	pid_t child;

	memset(bench->handoff, 0, HANDOFF_BYTES);
	bench->flags->ping = bench->flags->pong = 0;
	for (int kind = 0; kind < KINDS; kind++)
		if (samples_init(&samples[kind], rounds_per_block(bench) * BLOCKS))
			return -1;
	open_latency_rings(region, 0, &rings);
	child = start_child(bench, latency_child);
	start_ns = tool_now_ns();
	start_ticks = ticks();
	for (int block = 0; block < BLOCKS; block++)
		for (int kind = 0; kind < KINDS; kind++)
			for (uint64_t i = 0; i < rounds_per_block(bench); i++) {
				uint64_t start = ticks(), elapsed;

				round_trip(bench, &rings, (enum latency_kind)kind, 0,
					   ++sequence[kind], message);
				elapsed = ticks() - start;
				samples_add(&samples[kind],
					    elapsed > overhead ? elapsed - overhead : 0);
			}
	ns = (double)(tool_now_ns() - start_ns) / (double)(ticks() - start_ticks) / 2;
	finish_child(child);
	close_latency_rings(&rings);

#define P(kind, percentile) ((double)samples_percentile(&samples[kind], percentile) * ns)
	report(bench, "one-way latency 64 B polled, p50", P(KIND_RING, 50), "ns",
	       "cache-line ping-pong p50", P(KIND_BARE, 50));
	report(bench, "one-way latency 64 B polled, p99", P(KIND_RING, 99), "ns",
	       "cache-line ping-pong p99", P(KIND_BARE, 99));
	report(bench, "one-way latency 64 B polled, p99.9", P(KIND_RING, 99.9), "ns",
	       "cache-line ping-pong p99.9", P(KIND_BARE, 99.9));
	report(bench, "same, low-latency ring, p50", P(KIND_LOW_LATENCY, 50), "ns",
	       "cache-line ping-pong p50", P(KIND_BARE, 50));
	report(bench, "same, low-latency ring, p99", P(KIND_LOW_LATENCY, 99), "ns",
	       "cache-line ping-pong p99", P(KIND_BARE, 99));
	report(bench, "same, low-latency ring, mean of 99%",
	       trimmed_mean(&samples[KIND_LOW_LATENCY]) * ns, "ns", "cache-line ping-pong, same",
	       trimmed_mean(&samples[KIND_BARE]) * ns);
	report(bench, "256 B low-latency ring, p50", P(KIND_SMALL, 50), "ns",
	       "cache-line ping-pong p50", P(KIND_BARE, 50));
	report(bench, "256 B low-latency ring, mean of 99%",
	       trimmed_mean(&samples[KIND_SMALL]) * ns, "ns", "cache-line ping-pong, same",
	       trimmed_mean(&samples[KIND_BARE]) * ns);
	report(bench, "64 B hand-off without library, p50", P(KIND_HANDOFF, 50), "ns",
	       "cache-line ping-pong p50", P(KIND_BARE, 50));
	report(bench, "same, low-latency ring, mean of 99%",
	       trimmed_mean(&samples[KIND_LOW_LATENCY]) * ns, "ns",
	       "hand-off without library, same", trimmed_mean(&samples[KIND_HANDOFF]) * ns);
#undef P
	for (int kind = 0; kind < KINDS; kind++)
		samples_free(&samples[kind]);
	return 0;
}
