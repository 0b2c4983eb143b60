// SPDX-License-Identifier: BSD-3-Clause
/* Mailboxes: latest value wins, versions count, torn reads never surface, hostile control
 * blocks are refused, a writer's death mid-write costs readers nothing. */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "test_support.h"

static struct layout_mailbox *control_of(struct ivshmem_region *region, const char *name)
{
	struct layout_channel copy;

	assert_true(layout_find_channel(region, name, &copy) >= 0);
	return (struct layout_mailbox *)((uint8_t *)ivshmem_region_memory(region, NULL) +
					 copy.offset);
}

static void test_latest_value_wins(void **state)
{
	struct ivshmem_region *region = test_open_loopback("mbox", 0);
	struct ivshmem_mailbox *writer, *reader;
	char buffer[64];
	size_t length;
	uint64_t version;

	(void)state;
	assert_int_equal(ivshmem_mailbox_open(region, "state", 0, &reader), IVSHMEM_ERR_NOT_FOUND);
	assert_int_equal(ivshmem_mailbox_open(region, "state", 60, &writer), 0);
	assert_int_equal(ivshmem_mailbox_open(region, "state", 0, &reader), 0);
	assert_int_equal(ivshmem_mailbox_read(reader, buffer, sizeof(buffer), &length, &version),
			 0);
	assert_int_equal(version, 0);
	assert_int_equal(length, 0);
	assert_int_equal(ivshmem_mailbox_write(writer, "first", 5), 0);
	assert_int_equal(ivshmem_mailbox_write(writer, "second", 6), 0);
	assert_int_equal(ivshmem_mailbox_read(reader, buffer, sizeof(buffer), &length, &version),
			 0);
	assert_int_equal(version, 2);
	assert_int_equal(length, 6);
	assert_memory_equal(buffer, "second", 6);
	/* Capacity is rounded up to 8 and enforced. */
	assert_int_equal(ivshmem_mailbox_write(writer, buffer, 65), IVSHMEM_ERR_MESSAGE_TOO_BIG);
	assert_int_equal(ivshmem_mailbox_read(reader, buffer, 3, &length, &version),
			 IVSHMEM_ERR_BUFFER_TOO_SMALL);
	assert_int_equal(length, 6);
	/* A ring of the same name is not a mailbox. */
	{
		struct ivshmem_ring *ring;

		assert_int_equal(
		    ivshmem_ring_open(region, "state", IVSHMEM_RING_CONSUMER, NULL, &ring),
		    IVSHMEM_ERR_INVALID_ARGUMENT);
	}
	ivshmem_mailbox_close(reader);
	ivshmem_mailbox_close(writer);
	ivshmem_close(region);
}

/* The bytes of slot index (0 or 1) of a mailbox of capacity bytes per slot. */
static uint8_t *slot_of(struct layout_mailbox *control, uint32_t capacity, unsigned index)
{
	return (uint8_t *)(control + 1) + (size_t)index * capacity;
}

static void expect_mailbox(struct ivshmem_mailbox *mailbox, const char *value, uint64_t version)
{
	char buffer[256];
	size_t length = 0;
	uint64_t seen = 0;

	assert_int_equal(ivshmem_mailbox_read(mailbox, buffer, sizeof(buffer), &length, &seen), 0);
	assert_int_equal(seen, version);
	assert_int_equal(length, strlen(value));
	assert_memory_equal(buffer, value, length);
}

static void test_hostile_control_block(void **state)
{
	struct ivshmem_region *region = test_open_loopback("mboxbad", 0);
	struct ivshmem_mailbox *mailbox;
	struct layout_mailbox *control;
	char buffer[256];
	size_t length;

	(void)state;
	assert_int_equal(ivshmem_mailbox_open(region, "m", 64, &mailbox), 0);
	control = control_of(region, "m");
	assert_int_equal(ivshmem_mailbox_write(mailbox, "first", 5), 0); /* version 1: slot 1 */
	/* A hostile length in the published slot, beyond the capacity the descriptor gives. */
	control->length[1] = 100000;
	assert_int_equal(ivshmem_mailbox_read(mailbox, buffer, sizeof(buffer), &length, NULL),
			 IVSHMEM_ERR_CORRUPT);
	control->length[1] = 65; /* just past it */
	assert_int_equal(ivshmem_mailbox_read(mailbox, buffer, sizeof(buffer), &length, NULL),
			 IVSHMEM_ERR_CORRUPT);
	control->length[1] = 5;
	/* The unpublished slot's length is nobody's business but the writer's. */
	control->length[0] = 0xffffffffu;
	expect_mailbox(mailbox, "first", 1);
	control->capacity = 1u << 30; /* ignored: the checked descriptor decides */
	assert_int_equal(ivshmem_mailbox_write(mailbox, buffer, 200), IVSHMEM_ERR_MESSAGE_TOO_BIG);
	/* Hostile version words: "never written" with a value, one that can not advance; any
	 * other word just names slot 0 or 1, so no word reaches outside the two slots. */
	control->version = 0;
	control->length[0] = 3;
	assert_int_equal(ivshmem_mailbox_read(mailbox, buffer, sizeof(buffer), &length, NULL),
			 IVSHMEM_ERR_CORRUPT);
	control->length[0] = 100000;
	assert_int_equal(ivshmem_mailbox_read(mailbox, buffer, sizeof(buffer), &length, NULL),
			 IVSHMEM_ERR_CORRUPT);
	control->version = 0x8000000000000001ull;
	expect_mailbox(mailbox, "first", 0x8000000000000001ull);
	control->version = UINT64_MAX;
	expect_mailbox(mailbox, "first", UINT64_MAX);
	assert_int_equal(ivshmem_mailbox_write(mailbox, "x", 1), IVSHMEM_ERR_CORRUPT);
	expect_mailbox(mailbox, "first", UINT64_MAX); /* the refused write touched nothing */
	/* The writer goes on from whatever sane word it finds. */
	control->version = 41;
	assert_int_equal(ivshmem_mailbox_write(mailbox, "ok", 2), 0);
	expect_mailbox(mailbox, "ok", 42);
	ivshmem_mailbox_close(mailbox);
	ivshmem_close(region);
}

/* A writer that dies mid-write, done by hand: it filled the unpublished slot and its length
 * but never stored the word. Readers keep the last complete value, never BUSY. */
static void test_writer_dying_mid_write_leaves_the_last_value(void **state)
{
	struct ivshmem_region *region = test_open_loopback("mboxdie", 0);
	struct ivshmem_mailbox *writer, *reader;
	struct layout_mailbox *control;
	struct ivshmem_channel_info info;

	(void)state;
	assert_int_equal(ivshmem_mailbox_open(region, "m", 60, &writer), 0);
	assert_int_equal(ivshmem_mailbox_open(region, "m", 0, &reader), 0);
	control = control_of(region, "m");
	assert_int_equal(ivshmem_mailbox_write(writer, "alpha", 5), 0); /* slot 1 */
	assert_int_equal(ivshmem_mailbox_write(writer, "beta", 4), 0);	/* slot 0 */
	/* The third write's first half: slot 1 and its length, then death. */
	memset(slot_of(control, 64, 1), 'X', 64);
	control->length[1] = 60;
	for (int i = 0; i < 100; i++)
		expect_mailbox(reader, "beta", 2);
	/* What the tool shows is the published value's length too. */
	assert_int_equal(ivshmem_channel_list(region, &info, 1), 1);
	assert_int_equal(info.capacity, 64);
	assert_int_equal(info.used, 4);
	/* The next writer (here a new handle, as a restarted peer would have) just goes on. */
	ivshmem_mailbox_close(writer);
	assert_int_equal(ivshmem_mailbox_open(region, "m", 0, &writer), 0);
	assert_int_equal(ivshmem_mailbox_write(writer, "gamma", 5), 0);
	expect_mailbox(reader, "gamma", 3);
	assert_int_equal(ivshmem_channel_list(region, &info, 1), 1);
	assert_int_equal(info.used, 5);
	ivshmem_mailbox_close(reader);
	ivshmem_mailbox_close(writer);
	ivshmem_close(region);
}

static struct ivshmem_region *open_file(const char *path, int peer_id, uint32_t flags)
{
	return test_open_file(path, "mboxkill", peer_id, flags, 1000, 100); /* the defaults */
}

/* A value of 1 to 32 words, every word n: a torn copy mixes two n. */
static size_t fill_value(uint64_t *value, uint64_t n)
{
	for (int i = 0; i < 32; i++)
		value[i] = n;
	return sizeof(uint64_t) * (1 + n % 32);
}

static void check_whole(const uint64_t *value, size_t length)
{
	assert_int_equal(length, sizeof(uint64_t) * (1 + value[0] % 32));
	for (size_t i = 1; i < length / 8; i++)
		assert_int_equal(value[i], value[0]);
}

/* The real thing: a forked writer SIGKILLed while it writes without pause. */
static void test_writer_killed_while_writing(void **state)
{
	char path[128];
	struct ivshmem_region *region;
	struct ivshmem_mailbox *mailbox;
	uint64_t value[32], version = 0, after, deadline;
	size_t length;
	int status;
	pid_t child;

	(void)state;
	test_shm_path(path, sizeof(path), "mboxkill");
	region = open_file(path, 0, IVSHMEM_OPEN_CREATE | IVSHMEM_OPEN_INIT);
	assert_int_equal(ivshmem_mailbox_open(region, "m", 256, &mailbox), 0);
	child = fork();
	if (child == 0) {
		struct ivshmem_region *own = open_file(path, 1, 0);
		struct ivshmem_mailbox *writer;

		if (ivshmem_mailbox_open(own, "m", 0, &writer))
			_exit(3);
		for (uint64_t n = 1;; n++)
			ivshmem_mailbox_write(writer, value, fill_value(value, n));
	}
	assert_true(child > 0);
	/* Let it write a while (reads meanwhile must be whole or BUSY), then kill it. */
	deadline = ivshmem_now_ns() + 10000000000ull;
	while (version < 20000) {
		if (ivshmem_now_ns() > deadline) {
			kill(child, SIGKILL);
			fail_msg("the writer made %llu writes in 10 s",
				 (unsigned long long)version);
		}
		int error = ivshmem_mailbox_read(mailbox, value, sizeof(value), &length, &version);

		if (error == IVSHMEM_ERR_BUSY)
			continue;
		assert_int_equal(error, 0);
		if (version)
			check_whole(value, length);
	}
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* Whatever it was doing, the last complete value stands, and stays. */
	assert_int_equal(ivshmem_mailbox_read(mailbox, value, sizeof(value), &length, &version), 0);
	check_whole(value, length);
	assert_int_equal(value[0], version); /* the child's n is the write count */
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(
		    ivshmem_mailbox_read(mailbox, value, sizeof(value), &length, &after), 0);
		assert_int_equal(after, version);
		check_whole(value, length);
	}
	/* A successor writer goes on from the count. */
	assert_int_equal(ivshmem_mailbox_write(mailbox, value, fill_value(value, version + 1)), 0);
	assert_int_equal(ivshmem_mailbox_read(mailbox, value, sizeof(value), &length, &after), 0);
	assert_int_equal(after, version + 1);
	assert_int_equal(value[0], version + 1);
	check_whole(value, length);
	ivshmem_mailbox_close(mailbox);
	ivshmem_close(region);
	unlink(path);
}

struct race {
	struct ivshmem_mailbox *mailbox;
	volatile int stop;
};

static void *writer_main(void *argument)
{
	struct race *race = argument;
	uint64_t value[32];

	for (uint64_t n = 1; !__atomic_load_n(&race->stop, __ATOMIC_ACQUIRE); n++) {
		for (int i = 0; i < 32; i++)
			value[i] = n;
		ivshmem_mailbox_write(race->mailbox, value, sizeof(uint64_t) * (1 + n % 32));
		/* A publisher that never pauses can starve a reader (which then gets
		 * IVSHMEM_ERR_BUSY, as documented); real ones do work between updates. */
		for (int i = 0; i < 200; i++)
			__builtin_ia32_pause();
	}
	return NULL;
}

static void test_no_torn_reads_under_a_racing_writer(void **state)
{
	struct ivshmem_region *region = test_open_loopback("mboxrace", 0);
	struct race race = { 0 };
	pthread_t thread;
	uint64_t value[32];
	uint64_t last_version = 0;
	int good = 0;

	(void)state;
	assert_int_equal(ivshmem_mailbox_open(region, "m", 256, &race.mailbox), 0);
	pthread_create(&thread, NULL, writer_main, &race);
	uint64_t deadline = ivshmem_now_ns() + 3000000000ull;

	/* Until enough reads overlapped writes (the writer thread may start late). */
	while (good < 20000 && ivshmem_now_ns() < deadline) {
		size_t length;
		uint64_t version;
		int error =
		    ivshmem_mailbox_read(race.mailbox, value, sizeof(value), &length, &version);

		if (error == IVSHMEM_ERR_BUSY)
			continue;
		assert_int_equal(error, 0);
		if (version == 0)
			continue;
		assert_true(version >= last_version);
		last_version = version;
		assert_int_equal(length, sizeof(uint64_t) * (1 + value[0] % 32));
		for (size_t i = 1; i < length / 8; i++)
			assert_int_equal(value[i], value[0]);
		good++;
	}
	__atomic_store_n(&race.stop, 1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
	assert_true(good >= 1000);
	ivshmem_mailbox_close(race.mailbox);
	ivshmem_close(region);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_latest_value_wins),
		cmocka_unit_test(test_hostile_control_block),
		cmocka_unit_test(test_writer_dying_mid_write_leaves_the_last_value),
		cmocka_unit_test(test_writer_killed_while_writing),
		cmocka_unit_test(test_no_torn_reads_under_a_racing_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
