// SPDX-License-Identifier: BSD-3-Clause
/*
 * ivshmem-pingpong: round-trip latency between two peers of one region, one ring each
 * way. Run "pong" on one side (in a VM, or a process) and "ping" on the other:
 *   ivshmem-pingpong pong REGION ME PEER [COUNT]
 *   ivshmem-pingpong ping REGION ME PEER [COUNT]
 * REGION is anything ivshmem_open() takes: a region name, shm:NAME, a PCI address...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ivshmem.h>

#define WAIT_NS 10000000000ull /* 10 s: a peer that slow is gone */

static int fail(const char *what, int error)
{
	fprintf(stderr, "ivshmem-pingpong: %s: %s (%s)\n", what, ivshmem_strerror(error),
		ivshmem_last_error_message());
	return 1;
}

static uint64_t now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

static int compare(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The peer creates its own ring; wait until it has. */
static int open_incoming(struct ivshmem_region *region, const char *name,
			 struct ivshmem_ring **ring)
{
	for (int tries = 0; tries < 3000; tries++) {
		int error = ivshmem_ring_open(region, name, IVSHMEM_RING_CONSUMER, NULL, ring);
		struct timespec pause = { 0, 10000000 };

		if (error != IVSHMEM_ERR_NOT_FOUND)
			return error;
		nanosleep(&pause, NULL);
	}
	return IVSHMEM_ERR_TIMEOUT;
}

int main(int argc, char **argv)
{
	struct ivshmem_open_options options;
	struct ivshmem_ring_options ring_options;
	struct ivshmem_region *region;
	struct ivshmem_ring *out, *in;
	char out_name[IVSHMEM_CHANNEL_NAME_MAX], in_name[IVSHMEM_CHANNEL_NAME_MAX];
	int me, peer, pinging, error;
	unsigned long count;
	uint64_t *samples;
	uint8_t message[64] = { 0 };

	if (argc < 5 || (strcmp(argv[1], "ping") && strcmp(argv[1], "pong"))) {
		fprintf(stderr, "usage: ivshmem-pingpong ping|pong REGION ME PEER [COUNT]\n");
		return 2;
	}
	pinging = strcmp(argv[1], "ping") == 0;
	me = atoi(argv[3]);
	peer = atoi(argv[4]);
	count = argc > 5 ? strtoul(argv[5], NULL, 0) : 10000;
	ivshmem_open_options_init(&options);
	options.peer_id = me;
	error = ivshmem_open(argv[2], &options, &region);
	if (error)
		return fail(argv[2], error);
	snprintf(out_name, sizeof(out_name), "pp.%d.%d", me, peer);
	snprintf(in_name, sizeof(in_name), "pp.%d.%d", peer, me);
	ivshmem_ring_options_init(&ring_options);
	/* A latency ring: line-aligned records published in-band, and small, so its two
	 * 128-byte records stay cached on both sides (one message in flight each way). */
	ring_options.capacity = 256;
	ring_options.flags = IVSHMEM_RING_LOW_LATENCY;
	ring_options.producer_peer = me;
	ring_options.consumer_peer = peer;
	error = ivshmem_ring_open(region, out_name, IVSHMEM_RING_PRODUCER, &ring_options, &out);
	if (error)
		return fail(out_name, error);
	error = open_incoming(region, in_name, &in);
	if (error)
		return fail(in_name, error);
	samples = calloc(count ? count : 1, sizeof(*samples));
	for (unsigned long i = 0; i < count; i++) {
		uint64_t start = now_ns();
		size_t length;

		if (pinging) {
			memcpy(message, &i, sizeof(i));
			error = ivshmem_ring_send_wait(out, message, sizeof(message), WAIT_NS);
		}
		if (!error)
			error =
			    ivshmem_ring_recv_wait(in, message, sizeof(message), &length, WAIT_NS);
		if (!error && !pinging)
			error = ivshmem_ring_send_wait(out, message, length, WAIT_NS);
		if (error)
			return fail(pinging ? "ping" : "pong", error);
		if (pinging) {
			unsigned long echoed;

			memcpy(&echoed, message, sizeof(echoed));
			if (echoed != i)
				return fprintf(stderr, "reply %lu to ping %lu\n", echoed, i), 1;
			samples[i] = now_ns() - start;
		}
	}
	if (pinging && count) {
		qsort(samples, count, sizeof(*samples), compare);
		printf("%lu round trips: p50 %llu ns, p99 %llu ns, max %llu ns\n", count,
		       (unsigned long long)samples[count / 2],
		       (unsigned long long)samples[count * 99 / 100],
		       (unsigned long long)samples[count - 1]);
	} else if (!pinging) {
		printf("answered %lu pings\n", count);
	}
	free(samples);
	ivshmem_ring_close(out);
	ivshmem_ring_close(in);
	ivshmem_close(region);
	return 0;
}
