/* SPDX-License-Identifier: BSD-3-Clause */
/* Pieces `ivshmem bench` shares between its throughput part (bench.c) and its latency
 * part (bench_latency.c). */
#ifndef IVSHMEM_TOOL_BENCH_H
#define IVSHMEM_TOOL_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tool.h"

struct shared_flags {
	volatile uint64_t ping __attribute__((aligned(64)));
	volatile uint64_t pong __attribute__((aligned(64)));
	volatile uint64_t ready __attribute__((aligned(64)));
	volatile uint64_t done __attribute__((aligned(64)));
	/* When the 1 MiB consumer had received each window's last message (bench.c). */
	volatile uint64_t window_end_ns[6] __attribute__((aligned(64)));
};

struct bench {
	char path[128];
	struct shared_flags *flags;
	uint8_t *handoff; /* shared anonymous memory for the hand-off without the library */
	uint64_t latency_rounds, small_messages, big_messages, socket_messages;
	int json;
	int first_line;
};

static inline void relax(void)
{
	__builtin_ia32_pause();
}

/* Ends the run after a ring call failed for a reason retrying cannot mend (printed with
 * the library's message), removing the region file. */
__attribute__((noreturn, cold)) void ring_call_failed(int error, const char *call);

/* A ring call's result: true when it succeeded; false when the ring was full or empty,
 * for the caller to pause (if it did nothing else) and retry. Anything else ends the
 * run: a loop that retried a message too big for its ring would spin for ever. */
static inline bool ring_call_ok(int error, const char *call)
{
	if (error == 0)
		return true;
	if (error != IVSHMEM_ERR_FULL && error != IVSHMEM_ERR_EMPTY)
		ring_call_failed(error, call);
	return false;
}

pid_t start_child(struct bench *bench, void (*child_main)(struct bench *));
int finish_child(pid_t child);
struct ivshmem_region *open_side(struct bench *bench, int peer);
struct ivshmem_ring *open_ring(struct ivshmem_region *region, const char *name, int role,
			       int producer, uint32_t capacity, uint32_t flags);
void report(struct bench *bench, const char *name, double value, const char *unit,
	    const char *baseline_name, double baseline);

/* bench_latency.c: polled one-way latency of 64-byte messages, every figure reported. */
int measure_latencies(struct bench *bench, struct ivshmem_region *region);
/* Bytes of the hand-off area bench_latency.c needs in bench->handoff. */
#define HANDOFF_BYTES (2u * 512u * 128u)

#endif
