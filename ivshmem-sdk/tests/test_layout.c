// SPDX-License-Identifier: BSD-3-Clause
/* The header: creation, validation of every field a hostile peer could break, peers. */
#include <fcntl.h>
#include <sys/mman.h>
#include <time.h>

#include "test_support.h"

static struct layout_header *header_of(struct ivshmem_region *region)
{
	return (struct layout_header *)ivshmem_region_memory(region, NULL);
}

/* Re-validates the memory of region as a second peer would, through a file copy. */
static int validate(struct ivshmem_region *region)
{
	uint64_t size;
	uint8_t *base = ivshmem_region_memory(region, &size);

	return layout_validate(base, size, "test");
}

static void test_fresh_layout_describes_itself(void **state)
{
	struct ivshmem_region *region = test_open_loopback("fresh", 3);
	struct ivshmem_region_info info = { .struct_size = sizeof(info) };

	(void)state;
	assert_int_equal(ivshmem_region_get_info(region, &info), 0);
	assert_string_equal(info.name, "fresh");
	assert_int_equal(info.size, TEST_REGION_SIZE);
	assert_int_equal(info.peer_id, 3);
	assert_int_equal(info.layout_version, IVSHMEM_LAYOUT_VERSION);
	assert_int_equal(info.mapping, IVSHMEM_MAPPING_LOOPBACK);
	assert_true(info.initialised);
	assert_true(info.creation_epoch != 0);
	assert_int_equal(header_of(region)->magic, LAYOUT_MAGIC);
	assert_int_equal(validate(region), 0);
	ivshmem_close(region);
}

static void test_corrupt_fields_are_rejected(void **state)
{
	struct ivshmem_region *region = test_open_loopback("corrupt", 0);
	struct layout_header *header = header_of(region);
	struct layout_header saved = *header;

	(void)state;
	header->magic ^= 1;
	assert_int_equal(validate(region), IVSHMEM_ERR_CORRUPT);
	assert_non_null(strstr(ivshmem_last_error_message(), "magic"));
	*header = saved;
	header->layout_version = 2; /* a peer built before this layout (version 3) */
	assert_int_equal(validate(region), IVSHMEM_ERR_VERSION);
	assert_non_null(strstr(ivshmem_last_error_message(), "version 2, this library speaks 3"));
	*header = saved;
	header->ready = 0;
	assert_int_equal(validate(region), IVSHMEM_ERR_NOT_INITIALISED);
	*header = saved;
	header->region_size *= 2;
	assert_int_equal(validate(region), IVSHMEM_ERR_CORRUPT);
	*header = saved;
	memset(header->name, 'A', sizeof(header->name));
	assert_int_equal(validate(region), IVSHMEM_ERR_CORRUPT);
	*header = saved;
	header->name[0] = '\n';
	assert_int_equal(validate(region), IVSHMEM_ERR_CORRUPT);
	*header = saved;
	header->peer_slots = 100000;
	assert_int_equal(validate(region), IVSHMEM_ERR_CORRUPT);
	*header = saved;
	header->data_offset = TEST_REGION_SIZE * 4;
	assert_int_equal(validate(region), IVSHMEM_ERR_CORRUPT);
	*header = saved;
	assert_int_equal(validate(region), 0);
	ivshmem_close(region);
}

static void test_all_zero_is_not_initialised(void **state)
{
	uint8_t *memory = calloc(1, TEST_REGION_SIZE);

	(void)state;
	assert_int_equal(layout_validate(memory, TEST_REGION_SIZE, "zero"),
			 IVSHMEM_ERR_NOT_INITIALISED);
	assert_int_equal(layout_validate(memory, 4096, "small"), IVSHMEM_ERR_TOO_SMALL);
	assert_int_equal(layout_write(memory, 4096, "small"), IVSHMEM_ERR_TOO_SMALL);
	assert_int_equal(layout_write(memory, TEST_REGION_SIZE, "bad name!"),
			 IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(
	    layout_write(memory, TEST_REGION_SIZE, "a_name_that_is_far_too_long_for_32"),
	    IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(layout_write(memory, TEST_REGION_SIZE, "ok"), 0);
	assert_int_equal(layout_validate(memory, TEST_REGION_SIZE, "ok"), 0);
	free(memory);
}

static void test_channel_descriptor_outside_region_is_corrupt(void **state)
{
	struct ivshmem_region *region = test_open_loopback("chandesc", 0);
	struct ivshmem_ring_options options;
	struct ivshmem_ring *ring;
	struct layout_channel *slot;

	(void)state;
	ivshmem_ring_options_init(&options);
	options.capacity = 4096;
	assert_int_equal(ivshmem_ring_open(region, "r", IVSHMEM_RING_PRODUCER, &options, &ring), 0);
	ivshmem_ring_close(ring);
	slot = (struct layout_channel *)((uint8_t *)header_of(region) + LAYOUT_CHANNEL_DIR);
	slot->offset = TEST_REGION_SIZE - 64;
	assert_int_equal(ivshmem_ring_open(region, "r", IVSHMEM_RING_CONSUMER, NULL, &ring),
			 IVSHMEM_ERR_CORRUPT);
	slot->offset = UINT64_MAX - 100; /* would wrap around when added */
	assert_int_equal(ivshmem_ring_open(region, "r", IVSHMEM_RING_CONSUMER, NULL, &ring),
			 IVSHMEM_ERR_CORRUPT);
	slot->offset = LAYOUT_DATA_OFFSET;
	slot->kind = 77;
	assert_int_equal(ivshmem_ring_open(region, "r", IVSHMEM_RING_CONSUMER, NULL, &ring),
			 IVSHMEM_ERR_CORRUPT);
	slot->kind = IVSHMEM_CHANNEL_RING;
	slot->bytes = sizeof(struct layout_ring) + 1000; /* not a power of two */
	assert_int_equal(ivshmem_ring_open(region, "r", IVSHMEM_RING_CONSUMER, NULL, &ring),
			 IVSHMEM_ERR_CORRUPT);
	slot->bytes = sizeof(struct layout_ring) + 4096;
	slot->vector = 99;
	assert_int_equal(ivshmem_ring_open(region, "r", IVSHMEM_RING_CONSUMER, NULL, &ring),
			 IVSHMEM_ERR_CORRUPT);
	slot->vector = 0;
	assert_int_equal(ivshmem_ring_open(region, "r", IVSHMEM_RING_CONSUMER, NULL, &ring), 0);
	ivshmem_ring_close(ring);
	ivshmem_close(region);
}

static void test_directory_and_space_run_out(void **state)
{
	struct ivshmem_region *region = test_open_loopback("full", 0);
	struct ivshmem_ring_options options;
	struct ivshmem_ring *ring;
	char name[16];
	int created = 0, error = 0;

	(void)state;
	ivshmem_ring_options_init(&options);
	options.capacity = 256;
	for (int i = 0; i < IVSHMEM_MAX_CHANNELS + 1; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		error = ivshmem_ring_open(region, name, IVSHMEM_RING_PRODUCER, &options, &ring);
		if (error)
			break;
		ivshmem_ring_close(ring);
		created++;
	}
	assert_int_equal(created, IVSHMEM_MAX_CHANNELS);
	assert_int_equal(error, IVSHMEM_ERR_NO_SPACE);
	ivshmem_close(region);

	region = test_open_loopback("space", 0);
	options.capacity = 1u << 19; /* two of these do not fit in 1 MiB */
	assert_int_equal(ivshmem_ring_open(region, "a", IVSHMEM_RING_PRODUCER, &options, &ring), 0);
	ivshmem_ring_close(ring);
	assert_int_equal(ivshmem_ring_open(region, "b", IVSHMEM_RING_PRODUCER, &options, &ring),
			 IVSHMEM_ERR_NO_SPACE);
	assert_non_null(strstr(ivshmem_last_error_message(), "left"));
	/* The failed allocation leaked neither a slot nor space. */
	options.capacity = 4096;
	assert_int_equal(ivshmem_ring_open(region, "b", IVSHMEM_RING_PRODUCER, &options, &ring), 0);
	ivshmem_ring_close(ring);
	assert_int_equal(ivshmem_channel_list(region, NULL, 0), 2);
	ivshmem_close(region);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int find_event(struct ivshmem_peer_change *changes, int count, int peer, int event)
{
	for (int i = 0; i < count; i++)
		if (changes[i].peer_id == peer && changes[i].event == event)
			return 1;
	return 0;
}

static void test_peers_join_leave_die_restart(void **state)
{
	struct ivshmem_open_options options;
	struct ivshmem_region *observer = test_open_loopback("peers", 0);
	struct ivshmem_region *other;
	struct ivshmem_peer_change changes[8];
	struct ivshmem_peer_info info;
	int count;

	(void)state;
	ivshmem_open_options_init(&options);
	options.peer_timeout_ms = 50;
	assert_int_equal(ivshmem_open("loopback:peers", &options, &other), 0);
	observer->peer_timeout_ms = 50;
	count = ivshmem_peers_poll(observer, changes, 8);
	assert_int_equal(count, 1);
	assert_true(find_event(changes, count, 1, IVSHMEM_PEER_EVENT_JOINED));
	/* Silence past the timeout is death; a heartbeat brings it back. */
	sleep_ms(80);
	count = ivshmem_peers_poll(observer, changes, 8);
	assert_true(find_event(changes, count, 1, IVSHMEM_PEER_EVENT_DIED));
	assert_int_equal(ivshmem_peer_get_info(observer, 1, &info), 0);
	assert_int_equal(info.state, IVSHMEM_PEER_DEAD);
	assert_int_equal(ivshmem_peers_poll(observer, changes, 8), 0); /* reported once */
	/* The same peer id re-joins: a new epoch is a restart. */
	options.peer_id = 1;
	{
		struct ivshmem_region *restarted;
		uint64_t old_epoch = info.epoch;

		assert_int_equal(ivshmem_open("loopback:peers", &options, &restarted), 0);
		count = ivshmem_peers_poll(observer, changes, 8);
		assert_true(find_event(changes, count, 1, IVSHMEM_PEER_EVENT_RESTARTED));
		assert_int_equal(ivshmem_peer_get_info(observer, 1, &info), 0);
		assert_int_equal(info.epoch, old_epoch + 1);
		assert_int_equal(info.state, IVSHMEM_PEER_ALIVE);
		ivshmem_close(restarted);
	}
	count = ivshmem_peers_poll(observer, changes, 8);
	assert_true(find_event(changes, count, 1, IVSHMEM_PEER_EVENT_LEFT));
	free(other); /* its slot was taken over; only the handle memory is left */
	ivshmem_close(observer);
}

static void test_heartbeat_thread_keeps_peer_alive(void **state)
{
	struct ivshmem_open_options options;
	struct ivshmem_region *observer = test_open_loopback("beat", 0);
	struct ivshmem_region *other;
	struct ivshmem_peer_change changes[8];

	(void)state;
	ivshmem_open_options_init(&options);
	options.flags = IVSHMEM_OPEN_HEARTBEAT;
	options.heartbeat_period_ms = 10;
	assert_int_equal(ivshmem_open("loopback:beat", &options, &other), 0);
	observer->peer_timeout_ms = 60;
	ivshmem_peers_poll(observer, changes, 8);
	for (int i = 0; i < 10; i++) {
		sleep_ms(20);
		int count = ivshmem_peers_poll(observer, changes, 8);

		assert_false(find_event(changes, count, 1, IVSHMEM_PEER_EVENT_DIED));
	}
	assert_int_equal(ivshmem_heartbeat(observer), 0);
	ivshmem_close(other);
	ivshmem_close(observer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_layout_describes_itself),
		cmocka_unit_test(test_corrupt_fields_are_rejected),
		cmocka_unit_test(test_all_zero_is_not_initialised),
		cmocka_unit_test(test_channel_descriptor_outside_region_is_corrupt),
		cmocka_unit_test(test_directory_and_space_run_out),
		cmocka_unit_test(test_peers_join_leave_die_restart),
		cmocka_unit_test(test_heartbeat_thread_keeps_peer_alive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
