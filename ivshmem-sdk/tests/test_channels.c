// SPDX-License-Identifier: BSD-3-Clause
/*
 * Regions and channels set up by several peers at once: peers that lay out one fresh
 * region, or open one channel name, at the same moment must all get the same layout and
 * the same channel; a peer that died half-way through must not block the others.
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

static double seconds_since(uint64_t start_ms)
{
	return (double)(test_now_ms() - start_ms) / 1e3;
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

struct initialiser {
	const char *path;
	pthread_barrier_t *start;
	int id;
	int failures;
	struct ivshmem_region *region;
};

/* Opens the fresh file with CREATE|INIT at the same moment as the others, joins, and
 * publishes its id in a mailbox of its own. */
static void *initialise(void *argument)
{
	struct initialiser *self = argument;
	struct ivshmem_open_options options;
	struct ivshmem_mailbox *mailbox;
	char name[16];

	ivshmem_open_options_init(&options);
	options.flags = IVSHMEM_OPEN_CREATE | IVSHMEM_OPEN_INIT;
	options.create_size = TEST_REGION_SIZE;
	options.init_name = "together";
	options.peer_id = self->id;
	pthread_barrier_wait(self->start);
	if (ivshmem_open(self->path, &options, &self->region)) {
		fprintf(stderr, "initialiser %d: %s\n", self->id, ivshmem_last_error_message());
		self->failures++;
		return NULL;
	}
	snprintf(name, sizeof(name), "m%d", self->id);
	if (ivshmem_mailbox_open(self->region, name, 8, &mailbox) ||
	    ivshmem_mailbox_write(mailbox, &self->id, sizeof(self->id)))
		self->failures++;
	else
		ivshmem_mailbox_close(mailbox);
	return NULL;
}

/* Peers started together on a new file all lay it out: one layout must result, holding
 * every peer's join and every peer's mailbox (a second layout written over the first
 * would drop them). */
static void test_concurrent_initialisers_share_one_layout(void **state)
{
	(void)state;
	for (int round = 0; round < 40; round++) {
		struct initialiser peers[RACERS];
		pthread_t threads[RACERS];
		pthread_barrier_t start;
		char path[64];

		test_shm_path(path, sizeof(path), "init");
		pthread_barrier_init(&start, NULL, RACERS);
		for (int i = 0; i < RACERS; i++) {
			peers[i] = (struct initialiser){ path, &start, i, 0, NULL };
			assert_int_equal(pthread_create(&threads[i], NULL, initialise, &peers[i]),
					 0);
		}
		for (int i = 0; i < RACERS; i++) {
			pthread_join(threads[i], NULL);
			assert_int_equal(peers[i].failures, 0);
		}
		for (int i = 0; i < RACERS; i++) {
			struct ivshmem_peer_info info;
			struct ivshmem_mailbox *mailbox;
			int value = -1;
			size_t length;
			char name[16];

			snprintf(name, sizeof(name), "m%d", i);
			assert_int_equal(ivshmem_mailbox_open(peers[0].region, name, 0, &mailbox),
					 0);
			assert_int_equal(
			    ivshmem_mailbox_read(mailbox, &value, sizeof(value), &length, NULL), 0);
			assert_int_equal(value, i);
			ivshmem_mailbox_close(mailbox);
			assert_int_equal(ivshmem_peer_get_info(peers[0].region, i, &info), 0);
			assert_int_equal(info.state, IVSHMEM_PEER_ALIVE);
		}
		for (int i = 0; i < RACERS; i++)
			ivshmem_close(peers[i].region);
		pthread_barrier_destroy(&start);
		unlink(path);
	}
}

static void *finish_layout_later(void *argument)
{
	uint8_t *base = argument;
	struct timespec pause = { 0, 50 * 1000000 };

	nanosleep(&pause, NULL);
	layout_write(base, TEST_REGION_SIZE, "late");
	return NULL;
}

/* A peer opening while another lays the region out waits for that layout, with INIT or
 * without; an initialiser that never finishes (it died) ends the wait with BUSY and the
 * way out, after the peer timeout. */
static void test_opening_waits_for_an_initialiser(void **state)
{
	struct ivshmem_open_options options;
	struct ivshmem_region *region, *raw;
	struct layout_header *header;
	uint64_t start;
	pthread_t thread;
	char path[64];
	double waited;

	(void)state;
	test_shm_path(path, sizeof(path), "initwait");
	raw = test_open_file(path, NULL, -1, IVSHMEM_OPEN_CREATE | IVSHMEM_OPEN_RAW, 0, 0);
	header = (struct layout_header *)raw->base;
	__atomic_store_n(&header->ready, LAYOUT_INITIALISING, __ATOMIC_RELEASE);
	ivshmem_open_options_init(&options);
	options.flags = IVSHMEM_OPEN_INIT;
	options.peer_timeout_ms = 100;
	start = test_now_ms();
	assert_int_equal(ivshmem_open(path, &options, &region), IVSHMEM_ERR_BUSY);
	waited = seconds_since(start);
	assert_true(waited >= 0.1 && waited < 5);
	assert_non_null(strstr(ivshmem_last_error_message(), "ivshmem init --force"));

	assert_int_equal(pthread_create(&thread, NULL, finish_layout_later, raw->base), 0);
	options.flags = 0;
	options.peer_timeout_ms = 5000;
	assert_int_equal(ivshmem_open(path, &options, &region), 0);
	pthread_join(thread, NULL);
	assert_string_equal(header->name, "late");
	ivshmem_close(region);
	ivshmem_close(raw);
	unlink(path);
}

/* A creator that claimed a slot for this name and died before publishing it: a peer
 * opening the name waits for the peer timeout, abandons the claim and creates the name. */
static void test_dead_creators_claim_is_abandoned(void **state)
{
	struct ivshmem_region *region = test_open_loopback("stuck", 0);
	struct ivshmem_channel_info infos[4];
	struct ivshmem_mailbox *mailbox;
	uint64_t start;
	double waited;

	(void)state;
	region->peer_timeout_ms = 100;
	layout_channel_slot(region, 0)->state = channel_claim("state");
	start = test_now_ms();
	assert_int_equal(ivshmem_mailbox_open(region, "state", 64, &mailbox), 0);
	waited = seconds_since(start);
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
	uint64_t start;

	(void)state;
	region->peer_timeout_ms = 5000;
	layout_channel_slot(region, 0)->state = channel_claim("another");
	layout_channel_slot(region, 1)->state = CHANNEL_ABANDONED;
	layout_channel_slot(region, 2)->state = 0x7777u; /* garbage from a hostile peer */
	start = test_now_ms();
	assert_int_equal(ivshmem_mailbox_open(region, "mine", 64, &mailbox), 0);
	assert_true(seconds_since(start) < 1);
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
	uint64_t start;
	pthread_t thread;

	(void)state;
	region->peer_timeout_ms = 100;
	slot->state = channel_claim("big");
	assert_int_equal(pthread_create(&thread, NULL, advance_progress, slot), 0);
	start = test_now_ms();
	assert_int_equal(ivshmem_mailbox_open(region, "big", 64, &mailbox), 0);
	/* progress every 20 ms for 1.2 s kept the claim alive that long */
	assert_true(seconds_since(start) >= 1.0);
	assert_int_equal(slot->state, CHANNEL_ABANDONED);
	pthread_join(thread, NULL);
	ivshmem_mailbox_close(mailbox);
	ivshmem_close(region);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_creators_get_one_channel),
		cmocka_unit_test(test_concurrent_initialisers_share_one_layout),
		cmocka_unit_test(test_opening_waits_for_an_initialiser),
		cmocka_unit_test(test_dead_creators_claim_is_abandoned),
		cmocka_unit_test(test_other_claims_are_passed),
		cmocka_unit_test(test_creation_in_progress_is_waited_for),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
