/* SPDX-License-Identifier: BSD-3-Clause */
/* A ring handle's private state, shared by ring.c (the data path) and ring_wait.c (waits). */
#ifndef IVSHMEM_RING_PRIVATE_H
#define IVSHMEM_RING_PRIVATE_H

#include "internal.h"

#define SPIN_MINIMUM 64u
#define SPIN_MAXIMUM 65536u
/* A sleeper wakes this often to look at the other end's liveness. */
#define LIVENESS_SLICE_NS (100ull * 1000000ull)

struct ivshmem_ring {
	struct ivshmem_region *region;
	struct layout_ring *control;
	uint8_t *data;
	uint64_t capacity;
	uint64_t max_message;
	uint64_t align_mask;   /* 7, or 63 for IVSHMEM_RING_LOW_LATENCY */
	uint64_t header_bytes; /* 8, or RECORD_INBAND_HEADER with the publish word */
	bool inband;	       /* IVSHMEM_RING_LOW_LATENCY: publish words in records */
	int role;
	int32_t peer_to_wake;
	uint32_t vector;
	/* producer */
	uint64_t reserve_head;
	uint64_t published_head;
	uint64_t cached_tail;
	uint64_t reservation_head;
	uint64_t reservation_length;
	bool reserved;
	/* consumer */
	uint64_t read_cursor;
	uint64_t released_tail;
	uint64_t cached_head;
	uint32_t reset_acknowledged;
	uint32_t spin_iterations;
	bool streaming; /* IVSHMEM_RING_STREAMING: large sends bypass the caches */
	/* publish_mix(mix_position), kept because a poller asks for the same position again
	 * and again (and a producer for the head it just reached): ~12 instructions each. */
	uint64_t mix_position;
	uint64_t mix_value;
	/* The other end's owner as waits last judged it (see other_end_gone). */
	/* Sleeps that ended by time with the ring ready: a release or publish whose doorbell
	 * never came. Always 0 unless the sleep protocol is broken; the tests check it. */
	uint64_t late_wakeups;
	uint32_t watched_owner;
	uint64_t watched_epoch;
	uint64_t watched_heartbeat;
	uint64_t watched_since_ns;
	uint64_t gone_reported_epoch;
	uint32_t gone_reported_owner;
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* ring.c: ready to read (consumer) or room for total bytes (producer); the bytes a
 * message of length needs at the producer's position, padding included. */
bool ring_ready(struct ivshmem_ring *ring, uint64_t total);
uint64_t producer_bytes_needed(const struct ivshmem_ring *ring, uint64_t length, uint64_t *padding);

/* copy.c: copies a message into the ring, streaming large ones if the ring asks. */
void copy_into_ring(const struct ivshmem_ring *ring, void *destination, const void *source,
		    size_t length);

#endif
