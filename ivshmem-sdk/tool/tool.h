/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared pieces of the ivshmem command-line tool. */
#ifndef IVSHMEM_TOOL_H
#define IVSHMEM_TOOL_H

#include <stdint.h>

#include "ivshmem.h"

struct tool_options {
	int peer_id; /* --peer, or IVSHMEM_PEER_ID_DEFAULT */
	int json;    /* --json */
};

/* Prints "ivshmem: WHAT: error name: detail" and returns 1 (the exit status). */
int tool_fail(const char *what, int error);
int tool_open(const char *spec, const struct tool_options *options, uint32_t flags,
	      struct ivshmem_region **region_out);
uint64_t tool_now_ns(void);
int tool_parse_u64(const char *text, uint64_t *value);

/* Latency histogram over power-of-two nanosecond buckets plus exact percentiles. */
struct latency_samples {
	uint64_t *values;
	uint64_t count;
	uint64_t capacity;
};
int samples_init(struct latency_samples *samples, uint64_t capacity);
void samples_add(struct latency_samples *samples, uint64_t value);
uint64_t samples_percentile(struct latency_samples *samples, double percentile);
void samples_print_histogram(struct latency_samples *samples);
void samples_free(struct latency_samples *samples);

int command_ping(int argc, char **argv, const struct tool_options *options);
int command_bench(int argc, char **argv, const struct tool_options *options);

#endif
