// SPDX-License-Identifier: BSD-3-Clause
/*
 * Doorbells. Three transports hide behind one call:
 *  - a device (the SDK driver, or BAR0 through sysfs): write (peer << 16 | vector) to
 *    the Doorbell register; MSI-X arrives on an eventfd the driver signals;
 *  - a doorbell server: write to the peer's eventfd, wait on our own;
 *  - files and loopback (every peer on one kernel): a counter per peer and vector in
 *    the region, woken with a futex. A thread turns it into an eventfd on request.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "../kmod/ivshmem_sdk_uapi.h"
#include "acrn/ivshmem.h"

static bool uses_futex(const struct ivshmem_region *region)
{
	return region->mapping == IVSHMEM_MAPPING_FILE ||
	       region->mapping == IVSHMEM_MAPPING_LOOPBACK;
}

static bool uses_eventfd(const struct ivshmem_region *region)
{
	return region->mapping == IVSHMEM_MAPPING_SERVER ||
	       (region->mapping == IVSHMEM_MAPPING_DRIVER && region->vectors > 0);
}

static uint32_t *own_counter(struct ivshmem_region *region, unsigned vector)
{
	struct layout_doorbells *bells = layout_doorbells_of(region, region->peer_id);

	return bells ? &bells->count[vector] : NULL;
}

static struct timespec relative_timeout(uint64_t timeout_ns)
{
	struct timespec ts;

	if (timeout_ns > 3600ull * 1000000000ull)
		timeout_ns = 3600ull * 1000000000ull;
	ts.tv_sec = (time_t)(timeout_ns / 1000000000ull);
	ts.tv_nsec = (long)(timeout_ns % 1000000000ull);
	return ts;
}

/* Not FUTEX_PRIVATE: the word lives in a MAP_SHARED mapping other processes wait on. */
static long futex_wait(uint32_t *word, uint32_t expected, uint64_t timeout_ns)
{
	struct timespec ts = relative_timeout(timeout_ns);

	return syscall(SYS_futex, word, FUTEX_WAIT, expected,
		       timeout_ns == IVSHMEM_WAIT_FOREVER ? NULL : &ts, NULL, 0);
}

static void futex_wake_all(uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

uint32_t notify_prepare(struct ivshmem_region *region, unsigned vector)
{
	uint32_t *counter;

	if (!uses_futex(region) || vector >= IVSHMEM_MAX_VECTORS)
		return 0;
	counter = own_counter(region, vector);
	return counter ? __atomic_load_n(counter, __ATOMIC_ACQUIRE) : 0;
}

static int eventfd_block(struct ivshmem_region *region, unsigned vector, uint64_t timeout_ns)
{
	struct pollfd fds[2] = { { .fd = region->vector_fds[vector], .events = POLLIN },
				 { .fd = region->server_socket, .events = POLLIN } };
	int timeout_ms = timeout_ns == IVSHMEM_WAIT_FOREVER ? -1
			 : timeout_ns / 1000000ull > INT_MAX
			     ? INT_MAX
			     : (int)((timeout_ns + 999999) / 1000000);
	int ready;

	if (fds[0].fd < 0)
		return ivshmem_fail(IVSHMEM_ERR_UNSUPPORTED, "vector %u has no eventfd", vector);
	ready = poll(fds, region->server_socket >= 0 ? 2 : 1, timeout_ms);
	if (ready < 0 && errno != EINTR)
		return ivshmem_fail_errno(errno, "poll on the doorbell eventfd");
	if (ready <= 0)
		return ready == 0 ? IVSHMEM_ERR_TIMEOUT : 0;
	if (fds[1].revents)
		server_drain(region);
	if (fds[0].revents & POLLIN) {
		uint64_t count;

		if (read(fds[0].fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
			return ivshmem_fail_errno(errno, "read of the doorbell eventfd");
	}
	return 0;
}

int notify_block(struct ivshmem_region *region, unsigned vector, uint32_t token,
		 uint64_t timeout_ns)
{
	if (vector >= IVSHMEM_MAX_VECTORS)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "vector %u >= %d", vector,
				    IVSHMEM_MAX_VECTORS);
	if (uses_futex(region)) {
		uint32_t *counter = own_counter(region, vector);

		if (!counter)
			return ivshmem_fail(IVSHMEM_ERR_STATE, "waiting needs a peer slot");
		if (futex_wait(counter, token, timeout_ns) < 0 && errno == ETIMEDOUT)
			return IVSHMEM_ERR_TIMEOUT;
		return 0;
	}
	if (uses_eventfd(region))
		return eventfd_block(region, vector, timeout_ns);
	/* No interrupts reach us (sysfs, UIO, dm-land): sleep briefly, the caller polls. */
	{
		struct timespec nap = relative_timeout(timeout_ns < 200000 ? timeout_ns : 200000);

		nanosleep(&nap, NULL);
		return 0;
	}
}

IVSHMEM_EXPORT int ivshmem_doorbell_ring(struct ivshmem_region *region, int peer_id,
					 unsigned vector)
{
	if (!region)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "doorbell_ring: null region");
	if (peer_id < 0 || peer_id >= IVSHMEM_MAX_PEERS || vector >= IVSHMEM_MAX_VECTORS)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT,
				    "doorbell_ring: peer %d not in [0, %d) or vector %u >= %d",
				    peer_id, IVSHMEM_MAX_PEERS, vector, IVSHMEM_MAX_VECTORS);
	if (uses_futex(region)) {
		struct layout_doorbells *bells = layout_doorbells_of(region, peer_id);

		if (!bells)
			return ivshmem_fail(IVSHMEM_ERR_NOT_INITIALISED,
					    "doorbells of files need a layout");
		__atomic_fetch_add(&bells->count[vector], 1, __ATOMIC_RELEASE);
		futex_wake_all(&bells->count[vector]);
		return 0;
	}
	if (region->mapping == IVSHMEM_MAPPING_SERVER) {
		uint64_t one = 1;
		int fd;

		server_drain(region);
		pthread_mutex_lock(&region->server_lock);
		fd = region->peer_vector_fds[peer_id][vector];
		pthread_mutex_unlock(&region->server_lock);
		if (fd < 0)
			return ivshmem_fail(IVSHMEM_ERR_PEER_GONE,
					    "peer %d (vector %u) is not connected to the server",
					    peer_id, vector);
		if (write(fd, &one, sizeof(one)) != sizeof(one))
			return ivshmem_fail_errno(errno, "eventfd write to peer %d", peer_id);
		return 0;
	}
	if (region->registers) {
		__atomic_store_n((uint32_t *)&region->registers[ACRN_IVSHMEM_REG_DOORBELL / 4],
				 ACRN_IVSHMEM_DOORBELL_VALUE(peer_id, vector), __ATOMIC_RELEASE);
		return 0;
	}
	if (region->mapping == IVSHMEM_MAPPING_DRIVER) {
		__u32 value = ACRN_IVSHMEM_DOORBELL_VALUE(peer_id, vector);

		if (ioctl(region->device_fd, IVSHMEM_SDK_RING_DOORBELL, &value) < 0)
			return ivshmem_fail_errno(errno, "doorbell ioctl");
		return 0;
	}
	return ivshmem_fail(IVSHMEM_ERR_UNSUPPORTED,
			    "%s mapping of %s has no doorbell register mapped",
			    ivshmem_mapping_name(region->mapping), region->address);
}

IVSHMEM_EXPORT int ivshmem_doorbell_wait(struct ivshmem_region *region, unsigned vector,
					 uint64_t timeout_ns)
{
	uint64_t start;

	if (!region || vector >= IVSHMEM_MAX_VECTORS)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT,
				    "doorbell_wait: null region or vector %u >= %d", vector,
				    IVSHMEM_MAX_VECTORS);
	if (uses_eventfd(region))
		return eventfd_block(region, vector, timeout_ns);
	if (!uses_futex(region))
		return ivshmem_fail(IVSHMEM_ERR_UNSUPPORTED,
				    "%s mapping of %s delivers no interrupts (bind the ivshmem_sdk "
				    "driver to get doorbells)",
				    ivshmem_mapping_name(region->mapping), region->address);
	if (!own_counter(region, vector))
		return ivshmem_fail(IVSHMEM_ERR_STATE, "waiting needs a peer slot");
	/* Like an eventfd, a ring that came before the wait is not lost. */
	start = ivshmem_now_ns();
	for (;;) {
		uint32_t *counter = own_counter(region, vector);
		uint32_t now_count = __atomic_load_n(counter, __ATOMIC_ACQUIRE);
		uint64_t elapsed;

		if (now_count != region->doorbell_seen[vector]) {
			region->doorbell_seen[vector] = now_count;
			return 0;
		}
		elapsed = ivshmem_now_ns() - start;
		if (timeout_ns != IVSHMEM_WAIT_FOREVER && elapsed >= timeout_ns)
			return IVSHMEM_ERR_TIMEOUT;
		futex_wait(counter, now_count,
			   timeout_ns == IVSHMEM_WAIT_FOREVER ? timeout_ns : timeout_ns - elapsed);
	}
}

/* Feeds an eventfd from a futex counter, so futex doorbells fit a poll loop too. */
struct bridge_argument {
	struct ivshmem_region *region;
	unsigned vector;
};

static void *bridge_main(void *argument)
{
	struct ivshmem_region *region = ((struct bridge_argument *)argument)->region;
	unsigned vector = ((struct bridge_argument *)argument)->vector;
	uint32_t *counter = own_counter(region, vector);
	uint32_t seen = __atomic_load_n(counter, __ATOMIC_ACQUIRE);

	while (!__atomic_load_n(&region->bridge_stop, __ATOMIC_ACQUIRE)) {
		uint32_t now_count = __atomic_load_n(counter, __ATOMIC_ACQUIRE);

		if (now_count != seen) {
			uint64_t one = 1;

			seen = now_count;
			if (write(region->vector_fds[vector], &one, sizeof(one)) < 0)
				break;
			continue;
		}
		/* Bounded sleeps so close() never waits long for this thread. */
		futex_wait(counter, now_count, 50 * 1000 * 1000);
	}
	return NULL;
}

IVSHMEM_EXPORT int ivshmem_doorbell_fd(struct ivshmem_region *region, unsigned vector)
{
	if (!region || vector >= IVSHMEM_MAX_VECTORS)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT,
				    "doorbell_fd: null region or vector %u >= %d", vector,
				    IVSHMEM_MAX_VECTORS);
	if (uses_eventfd(region)) {
		if (region->vector_fds[vector] < 0)
			return ivshmem_fail(IVSHMEM_ERR_UNSUPPORTED,
					    "vector %u is not delivered to this peer", vector);
		return region->vector_fds[vector];
	}
	if (!uses_futex(region))
		return ivshmem_fail(IVSHMEM_ERR_UNSUPPORTED, "%s mapping delivers no interrupts",
				    ivshmem_mapping_name(region->mapping));
	if (!own_counter(region, vector))
		return ivshmem_fail(IVSHMEM_ERR_STATE, "a doorbell fd needs a peer slot");
	if (!region->bridge_running[vector]) {
		struct bridge_argument *argument = calloc(1, sizeof(*argument));

		region->vector_fds[vector] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (region->vector_fds[vector] < 0 || !argument) {
			free(argument);
			return ivshmem_fail_errno(errno ? errno : ENOMEM, "eventfd for vector %u",
						  vector);
		}
		argument->region = region;
		argument->vector = vector;
		region->bridge_arguments[vector] = argument;
		if (pthread_create(&region->bridge_threads[vector], NULL, bridge_main, argument)) {
			close(region->vector_fds[vector]);
			region->vector_fds[vector] = -1;
			return ivshmem_fail(IVSHMEM_ERR_NO_MEMORY,
					    "cannot start the doorbell thread");
		}
		region->bridge_running[vector] = true;
	}
	return region->vector_fds[vector];
}

IVSHMEM_EXPORT int ivshmem_doorbell_acknowledge(struct ivshmem_region *region, unsigned vector)
{
	uint64_t count;

	if (!region || vector >= IVSHMEM_MAX_VECTORS || region->vector_fds[vector] < 0)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT,
				    "doorbell_acknowledge: vector %u has no descriptor", vector);
	/* Non-blocking descriptors: an empty eventfd answers EAGAIN, which is fine. */
	if (read(region->vector_fds[vector], &count, sizeof(count)) < 0 && errno != EAGAIN)
		return ivshmem_fail_errno(errno, "read of the doorbell eventfd");
	return 0;
}

void notify_close(struct ivshmem_region *region)
{
	__atomic_store_n(&region->bridge_stop, 1, __ATOMIC_RELEASE);
	for (unsigned v = 0; v < IVSHMEM_MAX_VECTORS; v++) {
		if (region->bridge_running[v]) {
			futex_wake_all(own_counter(region, v));
			pthread_join(region->bridge_threads[v], NULL);
			region->bridge_running[v] = false;
			free(region->bridge_arguments[v]);
		}
		if (region->vector_fds[v] >= 0)
			close(region->vector_fds[v]);
		region->vector_fds[v] = -1;
	}
}
