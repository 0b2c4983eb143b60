// SPDX-License-Identifier: BSD-3-Clause
/* Rings: order, wrap-around, full, empty, batches, zero-copy, hostile indices, waits. */
#include <poll.h>
#include <pthread.h>
#include <time.h>

#include "test_support.h"

struct pair {
	struct ivshmem_region *producer_region;
	struct ivshmem_region *consumer_region;
	struct ivshmem_ring *producer;
	struct ivshmem_ring *consumer;
};

static void pair_open_flags(struct pair *pair, const char *name, uint32_t capacity, uint32_t flags)
{
	struct ivshmem_ring_options options;
	char spec[64];

	pair->producer_region = test_open_loopback(name, 0);
	snprintf(spec, sizeof(spec), "loopback:%s", name);
	{
		struct ivshmem_open_options open_options;

		ivshmem_open_options_init(&open_options);
		open_options.peer_id = 1;
		assert_int_equal(ivshmem_open(spec, &open_options, &pair->consumer_region), 0);
	}
	ivshmem_ring_options_init(&options);
	options.capacity = capacity;
	options.producer_peer = 0;
	options.consumer_peer = 1;
	options.flags = flags;
	assert_int_equal(ivshmem_ring_open(pair->producer_region, "data", IVSHMEM_RING_PRODUCER,
					   &options, &pair->producer),
			 0);
	assert_int_equal(ivshmem_ring_open(pair->consumer_region, "data", IVSHMEM_RING_CONSUMER,
					   NULL, &pair->consumer),
			 0);
}

static void pair_open(struct pair *pair, const char *name, uint32_t capacity)
{
	pair_open_flags(pair, name, capacity, 0);
}

static void pair_close(struct pair *pair)
{
	ivshmem_ring_close(pair->producer);
	ivshmem_ring_close(pair->consumer);
	ivshmem_close(pair->consumer_region);
	ivshmem_close(pair->producer_region);
}

static struct layout_ring *control_of(struct pair *pair)
{
	struct layout_channel copy;

	assert_true(layout_find_channel(pair->producer_region, "data", &copy) >= 0);
	return (
	    struct layout_ring *)((uint8_t *)ivshmem_region_memory(pair->producer_region, NULL) +
				  copy.offset);
}

static void test_empty_then_one_message(void **state)
{
	struct pair pair;
	char buffer[64];
	size_t length;

	(void)state;
	pair_open(&pair, "one", 4096);
	assert_int_equal(ivshmem_ring_recv(pair.consumer, buffer, sizeof(buffer), &length),
			 IVSHMEM_ERR_EMPTY);
	assert_int_equal(ivshmem_ring_send(pair.producer, "hello", 5), 0);
	assert_int_equal(ivshmem_ring_recv(pair.consumer, buffer, sizeof(buffer), &length), 0);
	assert_int_equal(length, 5);
	assert_memory_equal(buffer, "hello", 5);
	assert_int_equal(ivshmem_ring_recv(pair.consumer, buffer, sizeof(buffer), &length),
			 IVSHMEM_ERR_EMPTY);
	/* Zero-length messages are messages. */
	assert_int_equal(ivshmem_ring_send(pair.producer, NULL, 0), 0);
	assert_int_equal(ivshmem_ring_recv(pair.consumer, buffer, sizeof(buffer), &length), 0);
	assert_int_equal(length, 0);
	/* Roles are enforced. */
	assert_int_equal(ivshmem_ring_send(pair.consumer, "x", 1), IVSHMEM_ERR_STATE);
	assert_int_equal(ivshmem_ring_recv(pair.producer, buffer, sizeof(buffer), &length),
			 IVSHMEM_ERR_STATE);
	pair_close(&pair);
}

static void test_full_and_limits(void **state)
{
	struct pair pair;
	uint8_t message[120] = { 0 };
	uint8_t big[4096];
	size_t length;
	int sent = 0;

	(void)state;
	pair_open(&pair, "fullring", 1024);
	assert_int_equal(ivshmem_ring_max_message(pair.producer), 1024 / 2 - 8);
	assert_int_equal(ivshmem_ring_send(pair.producer, big, 1024 / 2 - 7),
			 IVSHMEM_ERR_MESSAGE_TOO_BIG);
	while (ivshmem_ring_send(pair.producer, message, sizeof(message)) == 0)
		sent++;
	assert_int_equal(sent, 1024 / 128);
	assert_int_equal(ivshmem_ring_send(pair.producer, message, sizeof(message)),
			 IVSHMEM_ERR_FULL);
	/* A too-small buffer keeps the message for the next call. */
	assert_int_equal(ivshmem_ring_recv(pair.consumer, big, 10, &length),
			 IVSHMEM_ERR_BUFFER_TOO_SMALL);
	assert_int_equal(length, sizeof(message));
	assert_int_equal(ivshmem_ring_recv(pair.consumer, big, sizeof(big), &length), 0);
	assert_int_equal(ivshmem_ring_send(pair.producer, message, sizeof(message)), 0);
	assert_int_equal(ivshmem_ring_send(pair.producer, message, sizeof(message)),
			 IVSHMEM_ERR_FULL);
	pair_close(&pair);
}

/* Many rounds of random sizes through a small ring: every wrap position is hit. */
static void wraparound_against_model(uint32_t flags)
{
	struct pair pair;
	uint8_t out[600], in[600];
	unsigned seed = 12345;
	uint32_t next_send = 0, next_receive = 0;
	const uint8_t *data;

	pair_open_flags(&pair, "wrap", 2048, flags);
	data = (const uint8_t *)control_of(&pair) + sizeof(struct layout_ring);
	for (int round = 0; round < 20000; round++) {
		if (rand_r(&seed) % 3) {
			size_t length = 4 + (size_t)(rand_r(&seed) % 500);

			memcpy(out, &next_send, 4);
			for (size_t i = 4; i < length; i++)
				out[i] = (uint8_t)(next_send * 31 + i);
			int error = ivshmem_ring_send(pair.producer, out, length);

			if (error == 0)
				next_send++;
			else
				assert_int_equal(error, IVSHMEM_ERR_FULL);
		} else {
			size_t length;
			uint32_t sequence;
			const void *message;
			int error;

			/* Every other receive copies with recv (its own fast path on
			 * low-latency rings), the others peek in place and release. */
			if (round % 2) {
				error = ivshmem_ring_recv(pair.consumer, in, sizeof(in), &length);
				if (error == IVSHMEM_ERR_EMPTY) {
					assert_int_equal(next_receive, next_send);
					continue;
				}
				assert_int_equal(error, 0);
			} else {
				error = ivshmem_ring_peek(pair.consumer, &message, &length);
				if (error == IVSHMEM_ERR_EMPTY) {
					assert_int_equal(next_receive, next_send);
					continue;
				}
				assert_int_equal(error, 0);
				/* Low-latency rings start every record (16-byte header) on a
				 * line. */
				if (flags & IVSHMEM_RING_LOW_LATENCY)
					assert_int_equal(((const uint8_t *)message - data) % 64,
							 16);
				assert_true(length <= sizeof(in));
				memcpy(in, message, length);
				assert_int_equal(ivshmem_ring_release(pair.consumer), 0);
			}
			memcpy(&sequence, in, 4);
			assert_int_equal(sequence, next_receive);
			for (size_t i = 4; i < length; i++)
				assert_int_equal(in[i], (uint8_t)(sequence * 31 + i));
			next_receive++;
		}
	}
	assert_true(next_receive > 5000);
	pair_close(&pair);
}

static void test_wraparound_against_model(void **state)
{
	(void)state;
	wraparound_against_model(0);
}

static void test_wraparound_low_latency(void **state)
{
	(void)state;
	wraparound_against_model(IVSHMEM_RING_LOW_LATENCY);
}

static void test_batch_publish_and_consume(void **state)
{
	struct pair pair;
	const void *message;
	size_t length;
	void *buffer;

	(void)state;
	pair_open(&pair, "batch", 4096);
	for (uint32_t i = 0; i < 10; i++) {
		assert_int_equal(ivshmem_ring_reserve(pair.producer, 64, &buffer), 0);
		memcpy(buffer, &i, sizeof(i));
		assert_int_equal(ivshmem_ring_commit(pair.producer, sizeof(i)), 0);
	}
	/* Committed but not published: invisible. */
	assert_int_equal(ivshmem_ring_peek(pair.consumer, &message, &length), IVSHMEM_ERR_EMPTY);
	assert_int_equal(ivshmem_ring_publish(pair.producer), 0);
	uint64_t tail_before = control_of(&pair)->tail;
	for (uint32_t i = 0; i < 10; i++) {
		uint32_t value;

		assert_int_equal(ivshmem_ring_peek(pair.consumer, &message, &length), 0);
		assert_int_equal(length, sizeof(value));
		memcpy(&value, message, sizeof(value));
		assert_int_equal(value, i);
	}
	/* Peeked but not released: the producer does not get the space back yet. */
	assert_int_equal(control_of(&pair)->tail, tail_before);
	assert_int_equal(ivshmem_ring_release(pair.consumer), 0);
	assert_int_equal(control_of(&pair)->tail, control_of(&pair)->head);
	/* Reservation rules. */
	assert_int_equal(ivshmem_ring_commit(pair.producer, 1), IVSHMEM_ERR_STATE);
	assert_int_equal(ivshmem_ring_reserve(pair.producer, 8, &buffer), 0);
	assert_int_equal(ivshmem_ring_reserve(pair.producer, 8, &buffer), IVSHMEM_ERR_STATE);
	assert_int_equal(ivshmem_ring_commit(pair.producer, 9), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_ring_commit(pair.producer, 8), 0);
	pair_close(&pair);
}

static void test_hostile_indices_and_records(void **state)
{
	struct pair pair;
	struct layout_ring *control;
	uint8_t buffer[64];
	size_t length;
	struct layout_record *record;

	(void)state;
	pair_open(&pair, "hostile", 1024);
	control = control_of(&pair);
	assert_int_equal(ivshmem_ring_send(pair.producer, "abcdefgh", 8), 0);
	record = (struct layout_record *)(control + 1);
	/* A length beyond what was published. */
	record->length = 900;
	assert_int_equal(ivshmem_ring_recv(pair.consumer, buffer, sizeof(buffer), &length),
			 IVSHMEM_ERR_CORRUPT);
	record->length = 8;
	record->kind = 0xdeadbeef;
	assert_int_equal(ivshmem_ring_recv(pair.consumer, buffer, sizeof(buffer), &length),
			 IVSHMEM_ERR_CORRUPT);
	record->kind = RECORD_PADDING; /* padding that does not reach the end */
	assert_int_equal(ivshmem_ring_recv(pair.consumer, buffer, sizeof(buffer), &length),
			 IVSHMEM_ERR_CORRUPT);
	record->kind = RECORD_MESSAGE;
	assert_int_equal(ivshmem_ring_recv(pair.consumer, buffer, sizeof(buffer), &length), 0);
	/* A head far ahead of the tail. */
	control->head += 1u << 20;
	assert_int_equal(ivshmem_ring_recv(pair.consumer, buffer, sizeof(buffer), &length),
			 IVSHMEM_ERR_CORRUPT);
	control->head -= 1u << 20;
	control->head += 3; /* misaligned */
	assert_int_equal(ivshmem_ring_recv(pair.consumer, buffer, sizeof(buffer), &length),
			 IVSHMEM_ERR_CORRUPT);
	control->head -= 3;
	/* A tail the consumer could not have reached. */
	control->tail += 4096;
	for (int i = 0; i < 200; i++) {
		int error = ivshmem_ring_send(pair.producer, buffer, 56);

		if (error) {
			assert_int_equal(error, IVSHMEM_ERR_CORRUPT);
			break;
		}
		assert_true(i < 199);
	}
	control->tail -= 4096;
	/* A capacity rewritten behind our back does not matter to an open ring, and an
	 * attach that sees it fails. */
	control->capacity = 1u << 30;
	{
		struct ivshmem_ring *again;

		assert_int_equal(ivshmem_ring_open(pair.consumer_region, "data",
						   IVSHMEM_RING_CONSUMER, NULL, &again),
				 IVSHMEM_ERR_CORRUPT);
	}
	control->capacity = 1024;
	pair_close(&pair);
}

static void test_reset_by_either_side(void **state)
{
	struct pair pair;
	uint8_t buffer[64];
	size_t length;

	(void)state;
	pair_open(&pair, "reset", 1024);
	for (int i = 0; i < 4; i++)
		assert_int_equal(ivshmem_ring_send(pair.producer, "old", 3), 0);
	assert_int_equal(ivshmem_ring_reset(pair.consumer), 0);
	assert_int_equal(ivshmem_ring_recv(pair.consumer, buffer, sizeof(buffer), &length),
			 IVSHMEM_ERR_EMPTY);
	for (int i = 0; i < 4; i++)
		assert_int_equal(ivshmem_ring_send(pair.producer, "old", 3), 0);
	assert_int_equal(ivshmem_ring_reset(pair.producer), 0);
	assert_int_equal(ivshmem_ring_send(pair.producer, "new", 3), 0);
	/* The consumer drops what was there at the request; "new" came after it and stays
	 * (the request names the position it was made at). */
	assert_int_equal(ivshmem_ring_recv(pair.consumer, buffer, sizeof(buffer), &length), 0);
	assert_memory_equal(buffer, "new", 3);
	assert_int_equal(ivshmem_ring_recv(pair.consumer, buffer, sizeof(buffer), &length),
			 IVSHMEM_ERR_EMPTY);
	assert_int_equal(ivshmem_ring_send(pair.producer, "after", 5), 0);
	assert_int_equal(ivshmem_ring_recv(pair.consumer, buffer, sizeof(buffer), &length), 0);
	assert_memory_equal(buffer, "after", 5);
	pair_close(&pair);
}

static void test_wait_times_out(void **state)
{
	struct pair pair;
	uint8_t buffer[64];
	size_t length;
	uint64_t start = test_now_ms();

	(void)state;
	pair_open(&pair, "timeout", 1024);
	assert_int_equal(
	    ivshmem_ring_recv_wait(pair.consumer, buffer, sizeof(buffer), &length, 30 * 1000000ull),
	    IVSHMEM_ERR_TIMEOUT);
	assert_true(test_now_ms() - start >= 30);
	assert_true(test_now_ms() - start < 1000);
	pair_close(&pair);
}

static void *late_sender(void *argument)
{
	struct timespec delay = { 0, 50 * 1000000L };
	struct pair *pair = argument;

	nanosleep(&delay, NULL);
	ivshmem_ring_send(pair->producer, "wake", 4);
	return NULL;
}

static void test_sleeping_consumer_is_woken(void **state)
{
	struct pair pair;
	pthread_t thread;
	uint8_t buffer[64];
	size_t length;
	uint32_t rings_before;
	struct layout_doorbells *bells;

	(void)state;
	pair_open(&pair, "wake", 1024);
	bells = layout_doorbells_of(pair.producer_region, 1);
	/* While the consumer is awake the producer does not ring. */
	rings_before = bells->count[0];
	for (int i = 0; i < 5; i++) {
		assert_int_equal(ivshmem_ring_send(pair.producer, "x", 1), 0);
		assert_int_equal(ivshmem_ring_recv(pair.consumer, buffer, sizeof(buffer), &length),
				 0);
	}
	assert_int_equal(bells->count[0], rings_before);
	pthread_create(&thread, NULL, late_sender, &pair);
	assert_int_equal(ivshmem_ring_recv_wait(pair.consumer, buffer, sizeof(buffer), &length,
						5000 * 1000000ull),
			 0);
	assert_memory_equal(buffer, "wake", 4);
	pthread_join(thread, NULL);
	/* It slept (spinning gave up long before 50 ms), so exactly one ring woke it. */
	assert_int_equal(bells->count[0], rings_before + 1);
	pair_close(&pair);
}

static void test_doorbell_fd_in_poll_loop(void **state)
{
	struct pair pair;
	struct pollfd pfd;
	int fd;

	(void)state;
	pair_open(&pair, "pollfd", 1024);
	fd = ivshmem_doorbell_fd(pair.consumer_region, 2);
	assert_true(fd >= 0);
	pfd.fd = fd;
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 20), 0);
	assert_int_equal(ivshmem_doorbell_ring(pair.producer_region, 1, 2), 0);
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	assert_int_equal(ivshmem_doorbell_acknowledge(pair.consumer_region, 2), 0);
	assert_int_equal(poll(&pfd, 1, 20), 0);
	/* A ring before the wait is not lost; then the wait blocks again until timeout. */
	assert_int_equal(ivshmem_doorbell_ring(pair.producer_region, 1, 3), 0);
	assert_int_equal(ivshmem_doorbell_wait(pair.consumer_region, 3, 1000000000ull), 0);
	assert_int_equal(ivshmem_doorbell_wait(pair.consumer_region, 3, 20000000ull),
			 IVSHMEM_ERR_TIMEOUT);
	assert_int_equal(ivshmem_doorbell_ring(pair.producer_region, 99, 0),
			 IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_doorbell_ring(pair.producer_region, 1, IVSHMEM_MAX_VECTORS),
			 IVSHMEM_ERR_INVALID_ARGUMENT);
	pair_close(&pair);
}

struct fan_in_sender {
	struct ivshmem_region *region;
	int peer;
};

static void *fan_in_sender_main(void *argument)
{
	struct fan_in_sender *sender = argument;
	struct ivshmem_ring *ring;
	char name[16];
	struct timespec delay = { 0, 30 * 1000000L };

	snprintf(name, sizeof(name), "in.%d", sender->peer);
	nanosleep(&delay, NULL);
	if (ivshmem_ring_open(sender->region, name, IVSHMEM_RING_PRODUCER, NULL, &ring) == 0) {
		ivshmem_ring_send(ring, &sender->peer, sizeof(sender->peer));
		ivshmem_ring_close(ring);
	}
	return NULL;
}

/* Three producers, one consumer: a sleeping consumer wakes for whichever sends. */
static void test_fan_in_of_rings(void **state)
{
	struct ivshmem_region *consumer = test_open_loopback("fanin", 0);
	struct ivshmem_region *producers[3];
	struct ivshmem_ring *rings[3];
	struct ivshmem_ring_options options;
	struct fan_in_sender senders[3];
	int seen = 0;

	(void)state;
	ivshmem_ring_options_init(&options);
	options.capacity = 1024;
	options.consumer_peer = 0;
	for (int i = 0; i < 3; i++) {
		struct ivshmem_open_options open_options;
		char name[16];

		ivshmem_open_options_init(&open_options);
		open_options.peer_id = i + 1;
		assert_int_equal(ivshmem_open("loopback:fanin", &open_options, &producers[i]), 0);
		options.producer_peer = i + 1;
		snprintf(name, sizeof(name), "in.%d", i + 1);
		assert_int_equal(
		    ivshmem_ring_open(consumer, name, IVSHMEM_RING_CONSUMER, &options, &rings[i]),
		    0);
	}
	assert_int_equal(ivshmem_rings_wait_any(rings, 3, 10 * 1000000ull), IVSHMEM_ERR_TIMEOUT);
	for (int round = 0; round < 3; round++) {
		pthread_t thread;
		int ready, value;
		size_t length;

		senders[round].region = producers[2 - round];
		senders[round].peer = 3 - round;
		pthread_create(&thread, NULL, fan_in_sender_main, &senders[round]);
		ready = ivshmem_rings_wait_any(rings, 3, 5000 * 1000000ull);
		pthread_join(thread, NULL);
		assert_int_equal(ready, 2 - round);
		assert_int_equal(ivshmem_ring_recv(rings[ready], &value, sizeof(value), &length),
				 0);
		assert_int_equal(value, 3 - round);
		seen |= 1 << ready;
	}
	assert_int_equal(seen, 7);
	{
		struct ivshmem_ring *mixed[2] = { rings[0], NULL };

		assert_int_equal(ivshmem_rings_wait_any(mixed, 2, 0), IVSHMEM_ERR_INVALID_ARGUMENT);
	}
	for (int i = 0; i < 3; i++) {
		ivshmem_ring_close(rings[i]);
		ivshmem_close(producers[i]);
	}
	ivshmem_close(consumer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_then_one_message),
		cmocka_unit_test(test_full_and_limits),
		cmocka_unit_test(test_wraparound_against_model),
		cmocka_unit_test(test_wraparound_low_latency),
		cmocka_unit_test(test_batch_publish_and_consume),
		cmocka_unit_test(test_hostile_indices_and_records),
		cmocka_unit_test(test_reset_by_either_side),
		cmocka_unit_test(test_wait_times_out),
		cmocka_unit_test(test_sleeping_consumer_is_woken),
		cmocka_unit_test(test_doorbell_fd_in_poll_loop),
		cmocka_unit_test(test_fan_in_of_rings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
