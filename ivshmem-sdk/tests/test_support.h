/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared helpers of the cmocka tests: fresh regions in loopback memory or /dev/shm. */
#ifndef IVSHMEM_TEST_SUPPORT_H
#define IVSHMEM_TEST_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"
#include "ivshmem.h"

#define TEST_REGION_SIZE (1u << 20)

static inline uint64_t test_now_ms(void)
{
	return ivshmem_now_ns() / 1000000ull;
}

/* A loopback region with a unique name, laid out, joined as peer_id. */
static inline struct ivshmem_region *test_open_loopback(const char *name, int peer_id)
{
	struct ivshmem_open_options options;
	struct ivshmem_region *region = NULL;
	int error;

	ivshmem_open_options_init(&options);
	options.flags = IVSHMEM_OPEN_CREATE | IVSHMEM_OPEN_INIT;
	options.create_size = TEST_REGION_SIZE;
	options.init_name = name;
	options.peer_id = peer_id;
	{
		char spec[64];

		snprintf(spec, sizeof(spec), "loopback:%s", name);
		error = ivshmem_open(spec, &options, &region);
	}
	if (error)
		fprintf(stderr, "open %s: %s: %s\n", name, ivshmem_strerror(error),
			ivshmem_last_error_message());
	assert_int_equal(error, 0);
	return region;
}

/* A file region at path, created and laid out as init_name when flags ask for it, joined
 * as peer_id (heartbeat_period_ms applies with IVSHMEM_OPEN_HEARTBEAT). */
static inline struct ivshmem_region *test_open_file(const char *path, const char *init_name,
						    int peer_id, uint32_t flags,
						    uint32_t peer_timeout_ms,
						    uint32_t heartbeat_period_ms)
{
	struct ivshmem_open_options options;
	struct ivshmem_region *region = NULL;

	ivshmem_open_options_init(&options);
	options.flags = flags;
	options.create_size = TEST_REGION_SIZE;
	options.init_name = init_name;
	options.peer_id = peer_id;
	options.peer_timeout_ms = peer_timeout_ms;
	options.heartbeat_period_ms = heartbeat_period_ms;
	assert_int_equal(ivshmem_open(path, &options, &region), 0);
	return region;
}

/* A file region under /dev/shm: the path is written to path (size >= 64). */
static inline void test_shm_path(char *path, size_t size, const char *tag)
{
	snprintf(path, size, "/dev/shm/ivshmem-test-%s-%d", tag, (int)getpid());
	unlink(path);
}

#endif
