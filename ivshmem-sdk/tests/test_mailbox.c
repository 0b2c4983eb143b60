// SPDX-License-Identifier: BSD-3-Clause
/* Mailboxes: latest value wins, versions count, torn reads never surface, bad lengths. */
#include <pthread.h>

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
	control->length = 100000; /* beyond the capacity the descriptor gives */
	assert_int_equal(ivshmem_mailbox_read(mailbox, buffer, sizeof(buffer), &length, NULL),
			 IVSHMEM_ERR_CORRUPT);
	control->capacity = 1u << 30; /* ignored: the checked descriptor decides */
	assert_int_equal(ivshmem_mailbox_write(mailbox, buffer, 200), IVSHMEM_ERR_MESSAGE_TOO_BIG);
	control->sequence = 7; /* a writer stuck inside */
	assert_int_equal(ivshmem_mailbox_read(mailbox, buffer, sizeof(buffer), &length, NULL),
			 IVSHMEM_ERR_BUSY);
	/* The next write repairs it. */
	assert_int_equal(ivshmem_mailbox_write(mailbox, "ok", 2), 0);
	assert_int_equal(ivshmem_mailbox_read(mailbox, buffer, sizeof(buffer), &length, NULL), 0);
	assert_memory_equal(buffer, "ok", 2);
	ivshmem_mailbox_close(mailbox);
	ivshmem_close(region);
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
		/* A publisher that never pauses starves any seqlock reader (which then gets
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
		cmocka_unit_test(test_no_torn_reads_under_a_racing_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
