// SPDX-License-Identifier: BSD-3-Clause
/*
 * Peers that die and come back: what a restarted end of a ring gets (resume or reset),
 * and what the survivor's waits say. The dying peer is a forked child that SIGKILLs
 * itself, so nothing of it runs after the "crash"; the survivor and the restarted peer
 * are handles of this process on the same /dev/shm file.
 */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "test_support.h"

struct fixture {
	char path[128];
};

static struct ivshmem_region *open_as(const char *path, int peer_id, uint32_t flags)
{
	return test_open_file(path, "restart", peer_id, flags, 100, 10);
}

static struct ivshmem_ring *ring_as(struct ivshmem_region *region, int role, uint32_t flags)
{
	struct ivshmem_ring_options options;
	struct ivshmem_ring *ring = NULL;

	ivshmem_ring_options_init(&options);
	options.capacity = 4096;
	options.flags = flags;
	assert_int_equal(ivshmem_ring_open(region, "r", role, &options, &ring), 0);
	return ring;
}

static void send_number(struct ivshmem_ring *ring, uint32_t value)
{
	assert_int_equal(ivshmem_ring_send(ring, &value, sizeof(value)), 0);
}

static uint32_t recv_number(struct ivshmem_ring *ring)
{
	uint32_t value = 0;
	size_t length = 0;

	assert_int_equal(ivshmem_ring_recv(ring, &value, sizeof(value), &length), 0);
	assert_int_equal(length, sizeof(value));
	return value;
}

static void expect_empty(struct ivshmem_ring *ring)
{
	uint32_t value;
	size_t length;

	assert_int_equal(ivshmem_ring_recv(ring, &value, sizeof(value), &length),
			 IVSHMEM_ERR_EMPTY);
}

/* Runs body in a child that then dies by SIGKILL, as a crash would. */
static void die_after(void (*body)(const char *path, uint32_t flags), const char *path,
		      uint32_t flags)
{
	int status;
	pid_t child = fork();

	if (child == 0) {
		body(path, flags);
		kill(getpid(), SIGKILL);
	}
	assert_true(child > 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static int setup(void **state)
{
	static struct fixture fixture;

	test_shm_path(fixture.path, sizeof(fixture.path), "restart");
	*state = &fixture;
	return 0;
}

static int teardown(void **state)
{
	unlink(((struct fixture *)*state)->path);
	return 0;
}

/* The consumer takes 0, peeks 1 and 2 without releasing them, and dies. */
static void consumer_dies_mid_batch(const char *path, uint32_t flags)
{
	struct ivshmem_region *region = open_as(path, 1, 0);
	struct ivshmem_ring *ring = ring_as(region, IVSHMEM_RING_CONSUMER, flags);
	const void *message;
	size_t length;

	if (recv_number(ring) != 0 || ivshmem_ring_peek(ring, &message, &length) ||
	    ivshmem_ring_peek(ring, &message, &length))
		_exit(3);
}

static void consumer_restart(void **state, uint32_t flags)
{
	const char *path = ((struct fixture *)*state)->path;
	struct ivshmem_region *producer_region =
	    open_as(path, 0, IVSHMEM_OPEN_CREATE | IVSHMEM_OPEN_INIT);
	struct ivshmem_ring *producer = ring_as(producer_region, IVSHMEM_RING_PRODUCER, flags);
	struct ivshmem_region *consumer_region;
	struct ivshmem_ring *consumer;

	for (uint32_t i = 0; i < 5; i++)
		send_number(producer, i);
	die_after(consumer_dies_mid_batch, path, flags);
	/* The restarted consumer: same peer id, new epoch. */
	consumer_region = open_as(path, 1, 0);
	consumer = ring_as(consumer_region, IVSHMEM_RING_CONSUMER, flags);
	if (flags & IVSHMEM_RING_RESET_ON_RESTART) {
		expect_empty(consumer); /* 1 to 4 were dropped: at-most-once */
	} else {
		for (uint32_t i = 1; i < 5; i++) /* 1 and 2 again, 3 and 4: at-least-once */
			assert_int_equal(recv_number(consumer), i);
	}
	/* The survivor carries on without any call of its own. */
	send_number(producer, 5);
	assert_int_equal(recv_number(consumer), 5);
	expect_empty(consumer);
	ivshmem_ring_close(consumer);
	ivshmem_ring_close(producer);
	ivshmem_close(consumer_region);
	ivshmem_close(producer_region);
}

static void test_restarted_consumer_gets_unreleased_messages_again(void **state)
{
	consumer_restart(state, 0);
}

static void test_restarted_consumer_with_reset_policy_starts_empty(void **state)
{
	consumer_restart(state, IVSHMEM_RING_RESET_ON_RESTART);
}

/* The producer publishes 10 and 11, commits 12 without publishing it, and dies. */
static void producer_dies_unpublished(const char *path, uint32_t flags)
{
	struct ivshmem_region *region = open_as(path, 0, 0);
	struct ivshmem_ring *ring = ring_as(region, IVSHMEM_RING_PRODUCER, flags);
	void *slot;

	send_number(ring, 10);
	send_number(ring, 11);
	if (ivshmem_ring_reserve(ring, 4, &slot))
		_exit(3);
	memcpy(slot, &(uint32_t){ 12 }, 4);
	ivshmem_ring_commit(ring, 4);
}

static void producer_restart(void **state, uint32_t flags)
{
	const char *path = ((struct fixture *)*state)->path;
	struct ivshmem_region *consumer_region =
	    open_as(path, 1, IVSHMEM_OPEN_CREATE | IVSHMEM_OPEN_INIT);
	struct ivshmem_ring *consumer = ring_as(consumer_region, IVSHMEM_RING_CONSUMER, flags);
	struct ivshmem_region *producer_region;
	struct ivshmem_ring *producer;

	die_after(producer_dies_unpublished, path, flags);
	assert_int_equal(recv_number(consumer), 10);
	producer_region = open_as(path, 0, 0);
	producer = ring_as(producer_region, IVSHMEM_RING_PRODUCER, flags);
	send_number(producer, 13);
	if (!(flags & IVSHMEM_RING_RESET_ON_RESTART))
		assert_int_equal(recv_number(consumer), 11); /* published: delivered */
	/* 12 was never published: lost either way. With the reset policy 11 is dropped. */
	assert_int_equal(recv_number(consumer), 13);
	expect_empty(consumer);
	ivshmem_ring_close(producer);
	ivshmem_ring_close(consumer);
	ivshmem_close(producer_region);
	ivshmem_close(consumer_region);
}

static void test_restarted_producer_loses_only_unpublished(void **state)
{
	producer_restart(state, 0);
}

static void test_restarted_producer_with_reset_policy_drops_unread(void **state)
{
	producer_restart(state, IVSHMEM_RING_RESET_ON_RESTART);
}

static void test_reopen_by_the_same_owner_is_not_a_restart(void **state)
{
	const char *path = ((struct fixture *)*state)->path;
	struct ivshmem_region *region = open_as(path, 0, IVSHMEM_OPEN_CREATE | IVSHMEM_OPEN_INIT);
	struct ivshmem_ring *producer =
	    ring_as(region, IVSHMEM_RING_PRODUCER, IVSHMEM_RING_RESET_ON_RESTART);
	struct ivshmem_region *consumer_region = open_as(path, 1, 0);
	struct ivshmem_ring *consumer = ring_as(consumer_region, IVSHMEM_RING_CONSUMER, 0);

	send_number(producer, 1);
	send_number(producer, 2);
	ivshmem_ring_close(consumer);
	ivshmem_ring_close(producer);
	producer = ring_as(region, IVSHMEM_RING_PRODUCER, 0);
	consumer = ring_as(consumer_region, IVSHMEM_RING_CONSUMER, 0);
	assert_int_equal(recv_number(consumer), 1);
	assert_int_equal(recv_number(consumer), 2);
	ivshmem_ring_close(consumer);
	ivshmem_ring_close(producer);
	ivshmem_close(consumer_region);
	ivshmem_close(region);
}

/* A producer with a heartbeat thread publishes 7, raises a stale sleep flag, dies. */
static void heartbeating_producer_dies(const char *path, uint32_t flags)
{
	struct ivshmem_region *region = open_as(path, 0, IVSHMEM_OPEN_HEARTBEAT);
	struct ivshmem_ring *ring = ring_as(region, IVSHMEM_RING_PRODUCER, flags);
	struct timespec pause = { 0, 50 * 1000000L };

	send_number(ring, 7);
	nanosleep(&pause, NULL); /* a few heartbeats */
}

static void test_survivor_wait_reports_a_dead_producer_once(void **state)
{
	const char *path = ((struct fixture *)*state)->path;
	struct ivshmem_region *consumer_region =
	    open_as(path, 1, IVSHMEM_OPEN_CREATE | IVSHMEM_OPEN_INIT);
	struct ivshmem_ring *consumer = ring_as(consumer_region, IVSHMEM_RING_CONSUMER, 0);
	struct ivshmem_region *producer_region;
	struct ivshmem_ring *producer;
	uint32_t value;
	size_t length;
	uint64_t start;

	die_after(heartbeating_producer_dies, path, 0);
	assert_int_equal(recv_number(consumer), 7); /* what it published is there */
	start = test_now_ms();
	assert_int_equal(
	    ivshmem_ring_recv_wait(consumer, &value, sizeof(value), &length, 5000 * 1000000ull),
	    IVSHMEM_ERR_PEER_GONE);
	/* The heartbeat must stand still for the 100 ms timeout; well under the 5 s. */
	assert_true(test_now_ms() - start >= 100);
	assert_true(test_now_ms() - start < 3000);
	/* Once per departure: the next wait just waits. */
	assert_int_equal(
	    ivshmem_ring_recv_wait(consumer, &value, sizeof(value), &length, 300 * 1000000ull),
	    IVSHMEM_ERR_TIMEOUT);
	/* The producer comes back (new epoch) and the stream flows again. */
	producer_region = open_as(path, 0, IVSHMEM_OPEN_HEARTBEAT);
	producer = ring_as(producer_region, IVSHMEM_RING_PRODUCER, 0);
	send_number(producer, 8);
	assert_int_equal(
	    ivshmem_ring_recv_wait(consumer, &value, sizeof(value), &length, 5000 * 1000000ull), 0);
	assert_int_equal(value, 8);
	/* A clean departure (LEFT) is reported too, without waiting for a timeout. */
	ivshmem_ring_close(producer);
	ivshmem_close(producer_region);
	start = test_now_ms();
	assert_int_equal(
	    ivshmem_ring_recv_wait(consumer, &value, sizeof(value), &length, 5000 * 1000000ull),
	    IVSHMEM_ERR_PEER_GONE);
	assert_true(test_now_ms() - start < 1000);
	ivshmem_ring_close(consumer);
	ivshmem_close(consumer_region);
}

/* Without a heartbeat promise silence proves nothing: waits time out, never PEER_GONE. */
static void test_silent_peer_without_heartbeat_is_not_gone(void **state)
{
	const char *path = ((struct fixture *)*state)->path;
	struct ivshmem_region *producer_region =
	    open_as(path, 0, IVSHMEM_OPEN_CREATE | IVSHMEM_OPEN_INIT);
	struct ivshmem_ring *producer = ring_as(producer_region, IVSHMEM_RING_PRODUCER, 0);
	struct ivshmem_region *consumer_region = open_as(path, 1, 0);
	struct ivshmem_ring *consumer = ring_as(consumer_region, IVSHMEM_RING_CONSUMER, 0);
	uint32_t value;
	size_t length;

	assert_int_equal(
	    ivshmem_ring_recv_wait(consumer, &value, sizeof(value), &length, 400 * 1000000ull),
	    IVSHMEM_ERR_TIMEOUT);
	ivshmem_ring_close(consumer);
	ivshmem_ring_close(producer);
	ivshmem_close(consumer_region);
	ivshmem_close(producer_region);
}

/* A consumer that dies asleep leaves its flag up; its successor takes it down, so the
 * producer stops ringing a doorbell nobody waits on. */
static void consumer_dies_asleep(const char *path, uint32_t flags)
{
	struct ivshmem_region *region = open_as(path, 1, 0);
	struct ivshmem_ring *ring = ring_as(region, IVSHMEM_RING_CONSUMER, flags);

	ivshmem_ring_wait(ring, 0, 200 * 1000000ull); /* returns: we only need the flag */
	__atomic_store_n(&((struct layout_ring *)((uint8_t *)ivshmem_region_memory(region, NULL) +
						  LAYOUT_DATA_OFFSET))
			      ->consumer_waiting,
			 1, __ATOMIC_SEQ_CST);
}

static void test_stale_sleep_flag_is_cleared_on_restart(void **state)
{
	const char *path = ((struct fixture *)*state)->path;
	struct ivshmem_region *producer_region =
	    open_as(path, 0, IVSHMEM_OPEN_CREATE | IVSHMEM_OPEN_INIT);
	struct ivshmem_ring *producer = ring_as(producer_region, IVSHMEM_RING_PRODUCER, 0);
	struct layout_ring *control =
	    (struct layout_ring *)((uint8_t *)ivshmem_region_memory(producer_region, NULL) +
				   LAYOUT_DATA_OFFSET);
	struct layout_doorbells *bells = layout_doorbells_of(producer_region, 1);
	struct ivshmem_region *consumer_region;
	struct ivshmem_ring *consumer;
	uint32_t rings_before;

	die_after(consumer_dies_asleep, path, 0);
	assert_int_equal(control->consumer_waiting, 1);
	consumer_region = open_as(path, 1, 0);
	consumer = ring_as(consumer_region, IVSHMEM_RING_CONSUMER, 0);
	assert_int_equal(control->consumer_waiting, 0);
	rings_before = bells->count[0];
	send_number(producer, 1);
	assert_int_equal(bells->count[0], rings_before);
	assert_int_equal(recv_number(consumer), 1);
	ivshmem_ring_close(consumer);
	ivshmem_ring_close(producer);
	ivshmem_close(consumer_region);
	ivshmem_close(producer_region);
}

/* Low-latency rings publish in the batch's first record, then in the shared head. A
 * producer that dies between the two has still published: the consumer reads the batch,
 * and the producer's successor takes the head from the record instead of calling the
 * ring corrupt (its tail would be past the shared head). */
static void test_low_latency_producer_dies_between_word_and_head(void **state)
{
	const char *path = ((struct fixture *)*state)->path;
	struct ivshmem_region *producer_region =
	    open_as(path, 0, IVSHMEM_OPEN_CREATE | IVSHMEM_OPEN_INIT);
	struct ivshmem_ring *producer =
	    ring_as(producer_region, IVSHMEM_RING_PRODUCER, IVSHMEM_RING_LOW_LATENCY);
	struct ivshmem_region *consumer_region = open_as(path, 1, 0);
	struct ivshmem_ring *consumer = ring_as(consumer_region, IVSHMEM_RING_CONSUMER, 0);
	/* Through the consumer's mapping: the producer's is closed half-way. */
	struct layout_ring *control =
	    (struct layout_ring *)((uint8_t *)ivshmem_region_memory(consumer_region, NULL) +
				   LAYOUT_DATA_OFFSET);
	uint64_t before, after;

	send_number(producer, 1);
	before = ivshmem_ring_position(producer);
	send_number(producer, 2);
	after = ivshmem_ring_position(producer);
	assert_int_equal(after - before, 64); /* 16-byte header + 4 bytes, one line */
	/* The crash: the shared head never got the second batch. */
	__atomic_store_n(&control->head, before, __ATOMIC_SEQ_CST);
	ivshmem_ring_close(producer);
	ivshmem_close(producer_region);
	assert_int_equal(recv_number(consumer), 1);
	assert_int_equal(recv_number(consumer), 2); /* seen through the record alone */
	assert_int_equal(control->tail, after);
	producer_region = open_as(path, 0, 0);
	producer = ring_as(producer_region, IVSHMEM_RING_PRODUCER, 0);
	assert_int_equal(ivshmem_ring_position(producer), after);
	assert_int_equal(control->head, after);
	send_number(producer, 3);
	assert_int_equal(recv_number(consumer), 3);
	expect_empty(consumer);
	ivshmem_ring_close(producer);
	ivshmem_ring_close(consumer);
	ivshmem_close(consumer_region);
	ivshmem_close(producer_region);
}

/* Fan-in over the file: rings in.0 to in.2 into this process (peer 0); it feeds rings 0
 * and 2 itself (peers 1 and 3, no heartbeat), a forked peer 2 feeds ring 1. */
static struct ivshmem_ring *fan_in_ring(struct ivshmem_region *region, int index, int role)
{
	struct ivshmem_ring_options options;
	struct ivshmem_ring *ring = NULL;
	char name[16];

	ivshmem_ring_options_init(&options);
	options.capacity = 4096;
	snprintf(name, sizeof(name), "in.%d", index);
	assert_int_equal(ivshmem_ring_open(region, name, role, &options, &ring), 0);
	return ring;
}

/* Ring 1's producer keeps a heartbeat, sends 11, and dies; leaves: it closes its region
 * first (a clean departure), else it just stops (a crash). */
static void fan_in_producer_dies(const char *path, uint32_t leaves)
{
	struct ivshmem_region *region = open_as(path, 2, IVSHMEM_OPEN_HEARTBEAT);
	struct ivshmem_ring *ring = fan_in_ring(region, 1, IVSHMEM_RING_PRODUCER);
	struct timespec pause = { 0, 50 * 1000000L };

	send_number(ring, 11);
	nanosleep(&pause, NULL); /* a few heartbeats */
	if (leaves) {
		ivshmem_ring_close(ring);
		ivshmem_close(region);
	}
}

static void fan_in_departure(void **state, uint32_t leaves)
{
	const char *path = ((struct fixture *)*state)->path;
	struct ivshmem_region *consumer_region =
	    open_as(path, 0, IVSHMEM_OPEN_CREATE | IVSHMEM_OPEN_INIT);
	struct ivshmem_region *feeders[3];
	struct ivshmem_ring *rings[3], *producers[3];
	size_t gone = 99;
	uint64_t start;

	for (int i = 0; i < 3; i++)
		rings[i] = fan_in_ring(consumer_region, i, IVSHMEM_RING_CONSUMER);
	feeders[0] = open_as(path, 1, 0);
	feeders[2] = open_as(path, 3, 0);
	producers[0] = fan_in_ring(feeders[0], 0, IVSHMEM_RING_PRODUCER);
	producers[2] = fan_in_ring(feeders[2], 2, IVSHMEM_RING_PRODUCER);
	assert_int_equal(ivshmem_rings_wait_any_or_gone(rings, 3, 0, NULL),
			 IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_rings_wait_any_or_gone(rings, 3, 0, &gone), IVSHMEM_ERR_TIMEOUT);
	die_after(fan_in_producer_dies, path, leaves);
	/* What it sent before dying comes first; the index is only written for a departure. */
	assert_int_equal(ivshmem_rings_wait_any_or_gone(rings, 3, 5000 * 1000000ull, &gone), 1);
	assert_int_equal(gone, 99);
	assert_int_equal(recv_number(rings[1]), 11);
	start = test_now_ms();
	assert_int_equal(ivshmem_rings_wait_any_or_gone(rings, 3, 5000 * 1000000ull, &gone),
			 IVSHMEM_ERR_PEER_GONE);
	assert_int_equal(gone, 1);
	/* A crash shows as 100 ms of heartbeat silence, a departure at once. */
	if (!leaves)
		assert_true(test_now_ms() - start >= 100);
	assert_true(test_now_ms() - start < (leaves ? 1000 : 3000));
	/* Once per departure: the next wait blocks again... */
	gone = 99;
	assert_int_equal(ivshmem_rings_wait_any_or_gone(rings, 3, 300 * 1000000ull, &gone),
			 IVSHMEM_ERR_TIMEOUT);
	assert_int_equal(gone, 99);
	/* ...and still hears the survivors. */
	send_number(producers[2], 22);
	assert_int_equal(ivshmem_rings_wait_any_or_gone(rings, 3, 5000 * 1000000ull, &gone), 2);
	assert_int_equal(recv_number(rings[2]), 22);
	/* The index-less wait keeps waiting while a producer is left, and says PEER_GONE once
	 * when the last ones have gone. */
	assert_int_equal(ivshmem_rings_wait_any(rings, 3, 200 * 1000000ull), IVSHMEM_ERR_TIMEOUT);
	for (int i = 0; i < 3; i += 2) {
		ivshmem_ring_close(producers[i]);
		ivshmem_close(feeders[i]);
	}
	assert_int_equal(ivshmem_rings_wait_any(rings, 3, 5000 * 1000000ull),
			 IVSHMEM_ERR_PEER_GONE);
	assert_int_equal(ivshmem_rings_wait_any(rings, 3, 200 * 1000000ull), IVSHMEM_ERR_TIMEOUT);
	/* Ring 1's producer restarts (new epoch): heard again, and watched afresh. */
	feeders[1] = open_as(path, 2, 0);
	producers[1] = fan_in_ring(feeders[1], 1, IVSHMEM_RING_PRODUCER);
	send_number(producers[1], 12);
	assert_int_equal(ivshmem_rings_wait_any_or_gone(rings, 3, 5000 * 1000000ull, &gone), 1);
	assert_int_equal(recv_number(rings[1]), 12);
	ivshmem_ring_close(producers[1]);
	ivshmem_close(feeders[1]);
	assert_int_equal(ivshmem_rings_wait_any_or_gone(rings, 3, 5000 * 1000000ull, &gone),
			 IVSHMEM_ERR_PEER_GONE);
	assert_int_equal(gone, 1);
	for (int i = 0; i < 3; i++)
		ivshmem_ring_close(rings[i]);
	ivshmem_close(consumer_region);
}

static void test_wait_any_reports_a_dead_producer_once(void **state)
{
	fan_in_departure(state, 0);
}

static void test_wait_any_reports_a_producer_that_left_once(void **state)
{
	fan_in_departure(state, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_restarted_consumer_gets_unreleased_messages_again, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_restarted_consumer_with_reset_policy_starts_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restarted_producer_loses_only_unpublished,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_restarted_producer_with_reset_policy_drops_unread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_by_the_same_owner_is_not_a_restart,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_survivor_wait_reports_a_dead_producer_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_peer_without_heartbeat_is_not_gone,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_sleep_flag_is_cleared_on_restart, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
		    test_low_latency_producer_dies_between_word_and_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_any_reports_a_dead_producer_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wait_any_reports_a_producer_that_left_once,
						setup, teardown),
	};

	return cmocka_run_group_tests_name("restart", tests, NULL, NULL);
}
