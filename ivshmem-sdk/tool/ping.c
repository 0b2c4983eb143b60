// SPDX-License-Identifier: BSD-3-Clause
/* `ivshmem ping`: round trips over two rings, with a latency histogram; and the samples. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tool.h"

int samples_init(struct latency_samples *samples, uint64_t capacity)
{
	samples->values = calloc(capacity ? capacity : 1, sizeof(uint64_t));
	samples->count = 0;
	samples->capacity = capacity;
	return samples->values ? 0 : -1;
}

void samples_add(struct latency_samples *samples, uint64_t value)
{
	if (samples->count < samples->capacity)
		samples->values[samples->count++] = value;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t samples_percentile(struct latency_samples *samples, double percentile)
{
	uint64_t index;

	if (!samples->count)
		return 0;
	/* Sorting once is enough: later calls find it sorted and qsort is cheap then. */
	qsort(samples->values, samples->count, sizeof(uint64_t), compare_u64);
	index = (uint64_t)(percentile / 100.0 * (double)(samples->count - 1) + 0.5);
	return samples->values[index];
}

void samples_print_histogram(struct latency_samples *samples)
{
	uint64_t buckets[64] = { 0 };
	int highest = 0;

	for (uint64_t i = 0; i < samples->count; i++) {
		int bucket = samples->values[i] ? 63 - __builtin_clzll(samples->values[i]) : 0;

		buckets[bucket]++;
		if (bucket > highest)
			highest = bucket;
	}
	for (int b = 0; b <= highest; b++) {
		if (!buckets[b])
			continue;
		int width = (int)(50 * buckets[b] / samples->count);

		printf("  %10llu ns .. %-10llu %8llu %.*s\n", 1ull << b, (2ull << b) - 1,
		       (unsigned long long)buckets[b], width ? width : 1,
		       "##################################################");
	}
}

void samples_free(struct latency_samples *samples)
{
	free(samples->values);
	samples->values = NULL;
}

static int open_ring_waiting(struct ivshmem_region *region, const char *name, int role,
			     const struct ivshmem_ring_options *create, struct ivshmem_ring **ring)
{
	uint64_t start = tool_now_ns();
	int error;

	do {
		error = ivshmem_ring_open(region, name, role, create, ring);
		if (error == IVSHMEM_ERR_NOT_FOUND) {
			struct timespec pause = { 0, 5000000 };

			nanosleep(&pause, NULL);
		}
	} while (error == IVSHMEM_ERR_NOT_FOUND && tool_now_ns() - start < 30000000000ull);
	return error;
}

int command_ping(int argc, char **argv, const struct tool_options *options)
{
	static const struct option long_options[] = {
		{ "to", required_argument, 0, 't' },	{ "serve", no_argument, 0, 's' },
		{ "count", required_argument, 0, 'n' }, { "size", required_argument, 0, 'z' },
		{ "poll", no_argument, 0, 'p' },	{ 0, 0, 0, 0 }
	};
	struct ivshmem_region_info info = { .struct_size = sizeof(info) };
	struct ivshmem_ring_options create;
	struct ivshmem_region *region;
	struct ivshmem_ring *out, *in;
	struct latency_samples samples;
	uint64_t count = 1000, size = 64, value, to = UINT64_MAX;
	char out_name[IVSHMEM_CHANNEL_NAME_MAX], in_name[IVSHMEM_CHANNEL_NAME_MAX];
	uint8_t buffer[4096] = { 0 };
	int serve = 0, poll_only = 0, option, error = 0;

	optind = 1;
	while ((option = getopt_long(argc, argv, "t:sn:z:p", long_options, NULL)) != -1) {
		if (option == 't' && tool_parse_u64(optarg, &to) == 0 && to < IVSHMEM_MAX_PEERS)
			continue;
		if (option == 'n' && tool_parse_u64(optarg, &count) == 0 && count)
			continue;
		if (option == 'z' && tool_parse_u64(optarg, &value) == 0 && value >= 8 &&
		    value <= sizeof(buffer)) {
			size = value;
			continue;
		}
		if (option == 's') {
			serve = 1;
			continue;
		}
		if (option == 'p') {
			poll_only = 1;
			continue;
		}
		fprintf(stderr, "ivshmem ping: bad option\n");
		return 2;
	}
	if (argc - optind != 1 || to == UINT64_MAX) {
		fprintf(stderr, "usage: ivshmem ping REGION --to PEER [--serve] [--count N] "
				"[--size BYTES] [--poll]\n");
		return 2;
	}
	if (tool_open(argv[optind], options, 0, &region))
		return 1;
	ivshmem_region_get_info(region, &info);
	snprintf(out_name, sizeof(out_name), "ping.%d.%d", info.peer_id, (int)to);
	snprintf(in_name, sizeof(in_name), "ping.%d.%d", (int)to, info.peer_id);
	ivshmem_ring_options_init(&create);
	create.capacity = 16384;
	create.producer_peer = info.peer_id;
	create.consumer_peer = (int32_t)to;
	error = ivshmem_ring_open(region, out_name, IVSHMEM_RING_PRODUCER, &create, &out);
	if (!error)
		error = open_ring_waiting(region, in_name, IVSHMEM_RING_CONSUMER, NULL, &in);
	if (error) {
		ivshmem_close(region);
		return tool_fail("ping rings", error);
	}
	if (samples_init(&samples, count)) {
		ivshmem_close(region);
		return 1;
	}
	for (uint64_t i = 0; i < count && !error; i++) {
		uint64_t start = tool_now_ns(), sequence = i;
		size_t length;

		if (!serve) {
			memcpy(buffer, &sequence, 8);
			error = ivshmem_ring_send_wait(out, buffer, size, 10000000000ull);
		}
		if (!error && poll_only) {
			do
				error = ivshmem_ring_recv(in, buffer, sizeof(buffer), &length);
			while (error == IVSHMEM_ERR_EMPTY);
		} else if (!error) {
			error = ivshmem_ring_recv_wait(in, buffer, sizeof(buffer), &length,
						       10000000000ull);
		}
		if (error)
			break;
		if (serve) {
			error = ivshmem_ring_send_wait(out, buffer, length, 10000000000ull);
			continue;
		}
		memcpy(&value, buffer, 8);
		if (value != sequence) {
			fprintf(stderr, "ivshmem ping: reply %llu to request %llu\n",
				(unsigned long long)value, (unsigned long long)sequence);
			error = IVSHMEM_ERR_CORRUPT;
			break;
		}
		samples_add(&samples, tool_now_ns() - start);
	}
	if (error)
		tool_fail("ping", error);
	else if (!serve) {
		uint64_t p50 = samples_percentile(&samples, 50),
			 p99 = samples_percentile(&samples, 99),
			 p999 = samples_percentile(&samples, 99.9);

		printf("%llu round trips of %llu bytes to peer %d (%s)\n",
		       (unsigned long long)samples.count, (unsigned long long)size, (int)to,
		       poll_only ? "polling" : "blocking waits");
		printf("round trip: p50 %llu ns, p99 %llu ns, p99.9 %llu ns, max %llu ns\n",
		       (unsigned long long)p50, (unsigned long long)p99, (unsigned long long)p999,
		       (unsigned long long)samples.values[samples.count - 1]);
		samples_print_histogram(&samples);
	} else {
		printf("served %llu pings\n", (unsigned long long)count);
	}
	samples_free(&samples);
	ivshmem_ring_close(out);
	ivshmem_ring_close(in);
	ivshmem_close(region);
	return error ? 1 : 0;
}
