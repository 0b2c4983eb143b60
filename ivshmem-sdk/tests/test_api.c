// SPDX-License-Identifier: BSD-3-Clause
/* Every entry point answers bad input with a clear error, never a crash. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "test_support.h"

static void test_every_error_has_a_distinct_name(void **state)
{
	(void)state;
	for (int a = IVSHMEM_ERR_STATE; a <= 0; a++) {
		assert_string_not_equal(ivshmem_strerror(a), "unknown error");
		for (int b = IVSHMEM_ERR_STATE; b < a; b++)
			assert_string_not_equal(ivshmem_strerror(a), ivshmem_strerror(b));
	}
	assert_string_equal(ivshmem_strerror(-1000), "unknown error");
	assert_string_equal(ivshmem_mapping_name(IVSHMEM_MAPPING_FILE), "file");
}

static void test_null_arguments(void **state)
{
	struct ivshmem_region *region = test_open_loopback("nulls", 0);
	struct ivshmem_ring *ring;
	struct ivshmem_mailbox *mailbox;
	struct ivshmem_region_info info = { 0 };
	size_t length;

	(void)state;
	assert_int_equal(ivshmem_open(NULL, NULL, &region), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_open("loopback:nulls", NULL, NULL), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_region_get_info(region, &info), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_ring_open(region, NULL, IVSHMEM_RING_CONSUMER, NULL, &ring),
			 IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_ring_open(region, "x", 7, NULL, &ring),
			 IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_ring_open(region, "bad name", IVSHMEM_RING_CONSUMER, NULL, &ring),
			 IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_non_null(strstr(ivshmem_last_error_message(), "0x20"));
	assert_int_equal(ivshmem_ring_open(region, "absent", IVSHMEM_RING_CONSUMER, NULL, &ring),
			 IVSHMEM_ERR_NOT_FOUND);
	assert_int_equal(ivshmem_ring_send(NULL, "x", 1), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_ring_recv(NULL, NULL, 0, &length), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_ring_wait(NULL, 0, 0), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_mailbox_open(region, NULL, 8, &mailbox),
			 IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_mailbox_write(NULL, "x", 1), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_peers_poll(region, NULL, 4), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_peers_poll(NULL, NULL, 0), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_peer_get_info(region, 99, NULL), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_doorbell_fd(NULL, 0), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_doorbell_ring(NULL, 0, 0), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_doorbell_acknowledge(region, 0), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_region_init_layout(NULL, "x", 0), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_ring_peek(NULL, NULL, NULL), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_ring_release(NULL), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_ring_reserve(NULL, 1, NULL), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_ring_commit(NULL, 1), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_ring_publish(NULL), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_ring_reset(NULL), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_mailbox_read(NULL, NULL, 0, NULL, NULL),
			 IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_rings_wait_any(NULL, 1, 0), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_list(NULL, 3), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_null(ivshmem_region_memory(NULL, NULL));
	assert_int_equal(ivshmem_ring_position(NULL), 0);
	assert_int_equal(ivshmem_doorbell_wait(NULL, 0, 0), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_heartbeat(NULL), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_channel_list(NULL, NULL, 0), IVSHMEM_ERR_INVALID_ARGUMENT);
	ivshmem_close(NULL);
	ivshmem_ring_close(NULL);
	ivshmem_mailbox_close(NULL);
	ivshmem_close(region);
}

static void test_bad_ring_options(void **state)
{
	struct ivshmem_region *region = test_open_loopback("ringopts", 0);
	struct ivshmem_ring_options options;
	struct ivshmem_ring *ring;

	(void)state;
	ivshmem_ring_options_init(&options);
	options.capacity = 1000;
	assert_int_equal(ivshmem_ring_open(region, "r", IVSHMEM_RING_PRODUCER, &options, &ring),
			 IVSHMEM_ERR_INVALID_ARGUMENT);
	options.capacity = 128;
	assert_int_equal(ivshmem_ring_open(region, "r", IVSHMEM_RING_PRODUCER, &options, &ring),
			 IVSHMEM_ERR_INVALID_ARGUMENT);
	options.capacity = 4096;
	options.consumer_peer = IVSHMEM_MAX_PEERS;
	assert_int_equal(ivshmem_ring_open(region, "r", IVSHMEM_RING_PRODUCER, &options, &ring),
			 IVSHMEM_ERR_INVALID_ARGUMENT);
	options.consumer_peer = 1;
	options.vector = IVSHMEM_MAX_VECTORS;
	assert_int_equal(ivshmem_ring_open(region, "r", IVSHMEM_RING_PRODUCER, &options, &ring),
			 IVSHMEM_ERR_INVALID_ARGUMENT);
	ivshmem_close(region);
}

static void test_open_errors(void **state)
{
	struct ivshmem_open_options options;
	struct ivshmem_region *region;
	char path[128];
	int fd;

	(void)state;
	ivshmem_open_options_init(&options);
	assert_int_equal(ivshmem_open("no_such_region_name", NULL, &region), IVSHMEM_ERR_NOT_FOUND);
	assert_non_null(strstr(ivshmem_last_error_message(), "no_such_region_name"));
	assert_int_equal(ivshmem_open("loopback:never_made", NULL, &region), IVSHMEM_ERR_NOT_FOUND);
	assert_int_equal(ivshmem_open("shm:a/b", NULL, &region), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_open("pci:zz:qq", NULL, &region), IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_int_equal(ivshmem_open("0000:ff:1f.7", NULL, &region), IVSHMEM_ERR_NOT_FOUND);
	assert_int_equal(ivshmem_open("server:/nonexistent/socket", NULL, &region),
			 IVSHMEM_ERR_NOT_FOUND);
	options.peer_id = IVSHMEM_MAX_PEERS;
	assert_int_equal(ivshmem_open("loopback:x", &options, &region),
			 IVSHMEM_ERR_INVALID_ARGUMENT);
	options.peer_id = -1;
	options.struct_size = 3;
	assert_int_equal(ivshmem_open("loopback:x", &options, &region),
			 IVSHMEM_ERR_INVALID_ARGUMENT);
	ivshmem_open_options_init(&options);

	/* Too small, uninitialised, corrupt, wrong version: each named. */
	test_shm_path(path, sizeof(path), "small");
	fd = open(path, O_RDWR | O_CREAT, 0600);
	assert_int_equal(ftruncate(fd, 4096), 0);
	close(fd);
	assert_int_equal(ivshmem_open(path, NULL, &region), IVSHMEM_ERR_TOO_SMALL);
	unlink(path);
	test_shm_path(path, sizeof(path), "uninit");
	options.flags = IVSHMEM_OPEN_CREATE;
	options.create_size = TEST_REGION_SIZE;
	assert_int_equal(ivshmem_open(path, &options, &region), IVSHMEM_ERR_NOT_INITIALISED);
	assert_non_null(strstr(ivshmem_last_error_message(), "ivshmem init"));
	options.flags = IVSHMEM_OPEN_INIT;
	assert_int_equal(ivshmem_open(path, &options, &region), 0);
	assert_int_equal(ivshmem_region_init_layout(region, "again", 0), IVSHMEM_ERR_EXISTS);
	{
		struct layout_header *header = ivshmem_region_memory(region, NULL);

		header->layout_version = 9;
		ivshmem_close(region);
		assert_int_equal(ivshmem_open(path, NULL, &region), IVSHMEM_ERR_VERSION);
		assert_non_null(strstr(ivshmem_last_error_message(), "version 9"));
	}
	/* Raw opening still works on a region the layout check refuses. */
	options.flags = IVSHMEM_OPEN_RAW;
	assert_int_equal(ivshmem_open(path, &options, &region), 0);
	assert_int_equal(ivshmem_region_init_layout(region, "fixed", 0), 0);
	ivshmem_close(region);
	assert_int_equal(ivshmem_open(path, NULL, &region), 0);
	ivshmem_close(region);
	/* Creating over a file of another size is refused. */
	options.flags = IVSHMEM_OPEN_CREATE;
	options.create_size = TEST_REGION_SIZE * 2;
	assert_int_equal(ivshmem_open(path, &options, &region), IVSHMEM_ERR_EXISTS);
	unlink(path);
}

static void test_no_permission(void **state)
{
	char path[128];
	pid_t child;
	int status;
	struct ivshmem_open_options options;
	struct ivshmem_region *region;

	(void)state;
	test_shm_path(path, sizeof(path), "perm");
	ivshmem_open_options_init(&options);
	options.flags = IVSHMEM_OPEN_CREATE | IVSHMEM_OPEN_INIT;
	options.create_size = TEST_REGION_SIZE;
	assert_int_equal(ivshmem_open(path, &options, &region), 0);
	ivshmem_close(region);
	chmod(path, 0600);
	child = fork();
	if (child == 0) {
		/* As an unprivileged user (root in CI drops to nobody). */
		if (geteuid() == 0 && setuid(65534) != 0)
			_exit(3);
		int error = ivshmem_open(path, NULL, &region);

		_exit(error == IVSHMEM_ERR_PERMISSION &&
			      strstr(ivshmem_last_error_message(), "Permission denied")
			  ? 0
			  : 1);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	unlink(path);
}

static void test_list_and_open_by_name(void **state)
{
	struct ivshmem_open_options options;
	struct ivshmem_region *region, *by_name;
	struct ivshmem_region_info infos[64], info = { .struct_size = sizeof(info) };
	char path[128], name[32];
	int count;
	bool seen = false;

	(void)state;
	test_shm_path(path, sizeof(path), "list");
	snprintf(name, sizeof(name), "listed_%d", (int)getpid());
	ivshmem_open_options_init(&options);
	options.flags = IVSHMEM_OPEN_CREATE | IVSHMEM_OPEN_INIT;
	options.create_size = TEST_REGION_SIZE;
	options.init_name = name;
	assert_int_equal(ivshmem_open(path, &options, &region), 0);
	count = ivshmem_list(infos, 64);
	assert_true(count >= 1);
	for (int i = 0; i < count && i < 64; i++)
		if (strcmp(infos[i].name, name) == 0) {
			seen = true;
			assert_int_equal(infos[i].size, TEST_REGION_SIZE);
			assert_int_equal(infos[i].mapping, IVSHMEM_MAPPING_FILE);
			/* A file is page cache: write-back, known from the path (no PAT entry). */
			assert_int_equal(infos[i].cache, IVSHMEM_CACHE_WRITE_BACK);
			assert_int_equal(infos[i].cache_source, IVSHMEM_CACHE_FROM_PATH);
		}
	assert_true(seen);
	assert_int_equal(ivshmem_open(name, NULL, &by_name), 0);
	assert_int_equal(ivshmem_region_get_info(by_name, &info), 0);
	assert_string_equal(info.address, path);
	assert_int_equal(info.peer_id, 1); /* slot 0 is the first handle's */
	assert_string_equal(ivshmem_cache_name(info.cache), "write-back");
	assert_string_equal(ivshmem_cache_name(IVSHMEM_CACHE_UNCACHED), "uncached");
	assert_string_equal(ivshmem_cache_name(99), "unknown");
	ivshmem_close(by_name);
	ivshmem_close(region);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_error_has_a_distinct_name),
		cmocka_unit_test(test_null_arguments),
		cmocka_unit_test(test_bad_ring_options),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_no_permission),
		cmocka_unit_test(test_list_and_open_by_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
