// SPDX-License-Identifier: BSD-3-Clause
/*
 * The channel directory under concurrent creation: peers that open one name at the same
 * moment must all get the same channel, and a creator that died half-way must not keep
 * the name from being created.
 */
#include <pthread.h>
#include <time.h>

#include "test_support.h"

#define RACERS	3
#define ROUNDS	20 /* per region: each round creates two channels */
#define REGIONS 12

struct racer {
	struct ivshmem_region *region;
	pthread_barrier_t *start;
	int id;
	int failures;
};

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Every round, all racers open mailbox mN and ring rN at the same moment; racer 0 is the
 * ring's producer and sends one message, racer 1 its consumer and must receive it. */
static void *race(void *argument)
{
	struct racer *racer = argument;
	char name[32];

	for (int round = 0; round < ROUNDS; round++) {
		struct ivshmem_ring_options options;
		struct ivshmem_mailbox *mailbox = NULL;
		struct ivshmem_ring *ring = NULL;
		int role = racer->id == 0 ? IVSHMEM_RING_PRODUCER : IVSHMEM_RING_CONSUMER;

		ivshmem_ring_options_init(&options);
		options.capacity = 4096;
		snprintf(name, sizeof(name), "m%d", round);
		pthread_barrier_wait(racer->start);
		if (ivshmem_mailbox_open(racer->region, name, 64, &mailbox))
			racer->failures++;
		ivshmem_mailbox_close(mailbox);
		snprintf(name, sizeof(name), "r%d", round);
		pthread_barrier_wait(racer->start);
		if (racer->id > 1)
			continue; /* a third creator of the ring, without an end */
		if (ivshmem_ring_open(racer->region, name, role, &options, &ring)) {
			racer->failures++;
			continue;
		}
		if (racer->id == 0) {
			if (ivshmem_ring_send(ring, name, strlen(name) + 1))
				racer->failures++;
		} else {
			char got[32];
			size_t length;

			if (ivshmem_ring_recv_wait(ring, got, sizeof(got), &length,
						   2000000000ull) ||
			    strcmp(got, name) != 0)
				racer->failures++;
		}
		ivshmem_ring_close(ring);
	}
	return NULL;
}

static void test_concurrent_creators_get_one_channel(void **state)
{
	(void)state;
	for (int r = 0; r < REGIONS; r++) {
		struct ivshmem_channel_info infos[IVSHMEM_MAX_CHANNELS];
		struct racer racers[RACERS];
		pthread_t threads[RACERS];
		pthread_barrier_t start;
		char spec[64];
		int count;

		snprintf(spec, sizeof(spec), "race%d", r);
		pthread_barrier_init(&start, NULL, RACERS);
		racers[0] = (struct racer){ test_open_loopback(spec, 0), &start, 0, 0 };
		for (int i = 1; i < RACERS; i++) {
			struct ivshmem_open_options options;
			char path[80];

			ivshmem_open_options_init(&options);
			options.peer_id = i;
			snprintf(path, sizeof(path), "loopback:%s", spec);
			racers[i] = (struct racer){ NULL, &start, i, 0 };
			assert_int_equal(ivshmem_open(path, &options, &racers[i].region), 0);
		}
		for (int i = 0; i < RACERS; i++)
			assert_int_equal(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
		for (int i = 0; i < RACERS; i++) {
			pthread_join(threads[i], NULL);
			assert_int_equal(racers[i].failures, 0);
		}
		count = ivshmem_channel_list(racers[0].region, infos, IVSHMEM_MAX_CHANNELS);
		assert_int_equal(count, 2 * ROUNDS); /* one channel per name, no duplicate */
		for (int i = RACERS - 1; i >= 0; i--)
			ivshmem_close(racers[i].region);
		pthread_barrier_destroy(&start);
	}
}

/* A creator that claimed a slot for this name and died before publishing it: a peer
 * opening the name waits for the peer timeout, abandons the claim and creates the name. */
static void test_dead_creators_claim_is_abandoned(void **state)
{
	struct ivshmem_region *region = test_open_loopback("stuck", 0);
	struct ivshmem_channel_info infos[4];
	struct ivshmem_mailbox *mailbox;
	struct timespec start;
	double waited;

	(void)state;
	region->peer_timeout_ms = 100;
	layout_channel_slot(region, 0)->state = channel_claim("state");
	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_int_equal(ivshmem_mailbox_open(region, "state", 64, &mailbox), 0);
	waited = seconds_since(&start);
	assert_true(waited >= 0.1);
	assert_true(waited < 5);
	assert_int_equal(layout_channel_slot(region, 0)->state, CHANNEL_ABANDONED);
	assert_int_equal(layout_channel_slot(region, 1)->state, CHANNEL_READY);
	assert_int_equal(ivshmem_channel_list(region, infos, 4), 1);
	assert_string_equal(infos[0].name, "state");
	ivshmem_mailbox_close(mailbox);
	ivshmem_close(region);
}

/* Claims of other names (and abandoned slots) are passed at once, without waiting. */
static void test_other_claims_are_passed(void **state)
{
	struct ivshmem_region *region = test_open_loopback("passed", 0);
	struct ivshmem_mailbox *mailbox;
	struct timespec start;

	(void)state;
	region->peer_timeout_ms = 5000;
	layout_channel_slot(region, 0)->state = channel_claim("another");
	layout_channel_slot(region, 1)->state = CHANNEL_ABANDONED;
	layout_channel_slot(region, 2)->state = 0x7777u; /* garbage from a hostile peer */
	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_int_equal(ivshmem_mailbox_open(region, "mine", 64, &mailbox), 0);
	assert_true(seconds_since(&start) < 1);
	assert_int_equal(layout_channel_slot(region, 3)->state, CHANNEL_READY);
	assert_int_equal(layout_channel_slot(region, 0)->state, channel_claim("another"));
	ivshmem_mailbox_close(mailbox);
	/* Opening without creating does not wait for a claim either. */
	assert_int_equal(ivshmem_mailbox_open(region, "another", 0, &mailbox),
			 IVSHMEM_ERR_NOT_FOUND);
	ivshmem_close(region);
}

/* A creator that keeps showing progress (zeroing a large area) is waited for well past
 * the peer timeout, and abandoned once its progress stops. */
static void *advance_progress(void *argument)
{
	struct layout_channel *slot = argument;

	for (int i = 0; i < 60; i++) {
		struct timespec pause = { 0, 20 * 1000000 };

		nanosleep(&pause, NULL);
		__atomic_fetch_add(&slot->creation_progress, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void test_creation_in_progress_is_waited_for(void **state)
{
	struct ivshmem_region *region = test_open_loopback("slow", 0);
	struct layout_channel *slot = layout_channel_slot(region, 0);
	struct ivshmem_mailbox *mailbox;
	struct timespec start;
	pthread_t thread;

	(void)state;
	region->peer_timeout_ms = 100;
	slot->state = channel_claim("big");
	assert_int_equal(pthread_create(&thread, NULL, advance_progress, slot), 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_int_equal(ivshmem_mailbox_open(region, "big", 64, &mailbox), 0);
	/* progress every 20 ms for 1.2 s kept the claim alive that long */
	assert_true(seconds_since(&start) >= 1.0);
	assert_int_equal(slot->state, CHANNEL_ABANDONED);
	pthread_join(thread, NULL);
	ivshmem_mailbox_close(mailbox);
	ivshmem_close(region);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_creators_get_one_channel),
		cmocka_unit_test(test_dead_creators_claim_is_abandoned),
		cmocka_unit_test(test_other_claims_are_passed),
		cmocka_unit_test(test_creation_in_progress_is_waited_for),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
