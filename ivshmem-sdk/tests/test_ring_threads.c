// SPDX-License-Identifier: BSD-3-Clause
/*
 * A producer thread and a consumer thread stream messages through one ring with blocking
 * waits, single and batched; built with ThreadSanitizer so any missing ordering on head,
 * tail or the sleep flags shows up as a race. Prints TAP.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ivshmem.h"
#include "ring_private.h"

#define MESSAGES 200000u
#define BATCH	 16u
#define WAIT_5_S 5000000000ull

struct stream {
	struct ivshmem_ring *producer;
	struct ivshmem_ring *consumer;
	int batched;
	int copying; /* consumer uses recv_wait instead of peek and release */
	int producer_error;
};

static size_t length_of(uint32_t sequence)
{
	return 8 + sequence % 200;
}

static void fill(uint8_t *buffer, uint32_t sequence)
{
	memcpy(buffer, &sequence, 4);
	for (size_t i = 4; i < length_of(sequence); i++)
		buffer[i] = (uint8_t)(sequence ^ i);
}

static void *producer_main(void *argument)
{
	struct stream *stream = argument;
	uint8_t buffer[256];

	for (uint32_t sequence = 0; sequence < MESSAGES && !stream->producer_error;) {
		if (!stream->batched) {
			fill(buffer, sequence);
			stream->producer_error = ivshmem_ring_send_wait(
			    stream->producer, buffer, length_of(sequence), WAIT_5_S);
			sequence++;
			continue;
		}
		for (uint32_t i = 0; i < BATCH && sequence < MESSAGES; i++) {
			void *slot;
			int error =
			    ivshmem_ring_reserve(stream->producer, length_of(sequence), &slot);

			if (error == IVSHMEM_ERR_FULL) {
				ivshmem_ring_publish(stream->producer);
				error = ivshmem_ring_wait(stream->producer, length_of(sequence),
							  WAIT_5_S);
				if (!error)
					error = ivshmem_ring_reserve(stream->producer,
								     length_of(sequence), &slot);
			}
			if (error) {
				stream->producer_error = error;
				break;
			}
			fill(slot, sequence);
			ivshmem_ring_commit(stream->producer, length_of(sequence));
			sequence++;
		}
		ivshmem_ring_publish(stream->producer);
	}
	return NULL;
}

/* 0 when message is message number sequence as the producer filled it. */
static int check_message(const void *message, size_t length, uint32_t sequence)
{
	uint8_t expected[256];

	fill(expected, sequence);
	if (length != length_of(sequence) || memcmp(message, expected, length) != 0) {
		fprintf(stderr, "message %u differs\n", sequence);
		return -100;
	}
	return 0;
}

static int consume(struct stream *stream)
{
	uint32_t next = 0;

	while (next < MESSAGES) {
		const void *message;
		size_t length;
		int error;

		if (stream->copying) { /* recv_wait: copies out, releases each message */
			uint8_t received[256];

			error = ivshmem_ring_recv_wait(stream->consumer, received, sizeof(received),
						       &length, WAIT_5_S);
			if (!error)
				error = check_message(received, length, next);
			if (error)
				return error;
			if (++next % 256 == 0) {
				/* a pause the producer's spin gives up on: it arms its flag
				 * and sleeps, and this consumer's next receive must wake it */
				struct timespec pause = { 0, 300000 };

				nanosleep(&pause, NULL);
			}
			continue;
		}
		error = ivshmem_ring_peek(stream->consumer, &message, &length);

		if (error == IVSHMEM_ERR_EMPTY) {
			ivshmem_ring_release(stream->consumer);
			error = ivshmem_ring_wait(stream->consumer, 0, WAIT_5_S);
			if (error)
				return error;
			continue;
		}
		if (error) {
			fprintf(stderr, "consumer at message %u: %s\n", next,
				ivshmem_last_error_message());
			return error;
		}
		error = check_message(message, length, next);
		if (error)
			return error;
		next++;
		if (!stream->batched || next % BATCH == 0)
			ivshmem_ring_release(stream->consumer);
	}
	ivshmem_ring_release(stream->consumer);
	return 0;
}

static int run(const char *name, int batched, uint32_t ring_flags, int copying, uint64_t capacity)
{
	struct ivshmem_open_options options;
	struct ivshmem_region *a, *b;
	struct ivshmem_ring_options ring_options;
	struct stream stream = { .batched = batched, .copying = copying };
	pthread_t thread;
	char spec[64];
	int error;

	snprintf(spec, sizeof(spec), "loopback:%s", name);
	ivshmem_open_options_init(&options);
	options.flags = IVSHMEM_OPEN_CREATE | IVSHMEM_OPEN_INIT;
	options.create_size = 1u << 20;
	options.init_name = name;
	options.peer_id = 0;
	if (ivshmem_open(spec, &options, &a))
		return -1;
	options.peer_id = 1;
	if (ivshmem_open(spec, &options, &b))
		return -1;
	ivshmem_ring_options_init(&ring_options);
	ring_options.capacity = capacity; /* small: the producer blocks often */
	ring_options.flags = ring_flags;
	if (ivshmem_ring_open(a, "s", IVSHMEM_RING_PRODUCER, &ring_options, &stream.producer) ||
	    ivshmem_ring_open(b, "s", IVSHMEM_RING_CONSUMER, NULL, &stream.consumer))
		return -1;
	pthread_create(&thread, NULL, producer_main, &stream);
	error = consume(&stream);
	pthread_join(thread, NULL);
	if (!error && !stream.producer_error &&
	    (stream.producer->late_wakeups || stream.consumer->late_wakeups)) {
		fprintf(stderr,
			"%s: %llu producer and %llu consumer sleeps ended without their "
			"doorbell\n",
			name, (unsigned long long)stream.producer->late_wakeups,
			(unsigned long long)stream.consumer->late_wakeups);
		error = IVSHMEM_ERR_PROTOCOL;
	}
	ivshmem_ring_close(stream.producer);
	ivshmem_ring_close(stream.consumer);
	ivshmem_close(b);
	ivshmem_close(a);
	return error ? error : stream.producer_error;
}

int main(void)
{
	int single = run("tsan_single", 0, 0, 0, 4096);
	int batched = run("tsan_batched", 1, 0, 0, 4096);
	/* publish words in the records, polled without the head line */
	int low_latency = run("tsan_low_latency", 1, IVSHMEM_RING_LOW_LATENCY, 0, 4096);
	/* 1 KiB: the producer waits for room at almost every message, and the consumer's
	 * one-pass receive releases it without a fence (ring_wait's late look covers that) */
	int low_latency_single =
	    run("tsan_low_latency_single", 0, IVSHMEM_RING_LOW_LATENCY, 1, 1024);

	printf("%s - threads: 200000 messages, blocking send/recv (TSan)\n",
	       single ? "not ok" : "ok");
	printf("%s - threads: 200000 messages, batches of 16 (TSan)\n", batched ? "not ok" : "ok");
	printf("%s - threads: 200000 messages, batches of 16, low-latency ring (TSan)\n",
	       low_latency ? "not ok" : "ok");
	printf("%s - threads: 200000 messages, send_wait/recv_wait, 1 KiB low-latency ring, no "
	       "sleep missed its doorbell (TSan)\n",
	       low_latency_single ? "not ok" : "ok");
	if (single || batched || low_latency || low_latency_single)
		fprintf(stderr, "errors: %s / %s / %s / %s: %s\n", ivshmem_strerror(single),
			ivshmem_strerror(batched), ivshmem_strerror(low_latency),
			ivshmem_strerror(low_latency_single), ivshmem_last_error_message());
	return single || batched || low_latency || low_latency_single;
}
