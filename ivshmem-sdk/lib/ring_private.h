/* SPDX-License-Identifier: BSD-3-Clause */
/* A ring handle's private state, shared by ring.c (the data path) and ring_wait.c (waits). */
#ifndef IVSHMEM_RING_PRIVATE_H
#define IVSHMEM_RING_PRIVATE_H

#include "internal.h"

#define SPIN_MINIMUM 64u
#define SPIN_MAXIMUM 65536u
/* A sleeper wakes this often to look at the other end's liveness. */
#define LIVENESS_SLICE_NS (100ull * 1000000ull)

/* How the producer copies messages of COPY_LARGE_BYTES or more into the ring: fixed by
 * IVSHMEM_RING_CACHED or IVSHMEM_RING_STREAMING, or chosen by measuring both (copy.c). */
enum copy_method { COPY_CACHED = 0, COPY_STREAMING = 1 };
#define COPY_LARGE_BYTES (64u * 1024u) /* smaller messages: memcpy, they stay in cache */

struct copy_policy {
	bool adaptive;
	uint8_t chosen;	      /* enum copy_method: the one large sends use between probes */
	uint8_t current;      /* the one they use now: chosen, or the other during a probe */
	uint64_t lap_bytes;   /* the ring's capacity: the data one method leaves behind */
	uint64_t epoch_bytes; /* large bytes measured per epoch */
	uint64_t skip_bytes;  /* large bytes to send before measuring (old method's data) */
	uint64_t measured_bytes;
	uint64_t measured_ns;	/* copying, and waiting for room, over measured_bytes */
	uint64_t full_since_ns; /* a large send found the ring full then; 0: it did not */
	double rate[2];		/* bytes per ns of each method's last epoch; 0: not measured */
	double chosen_rate;	/* what a probe must beat: the chosen's recent best */
	uint32_t epochs_to_probe;
	uint32_t probe_interval; /* epochs between probes of the other method */
	uint32_t resume_epochs;	 /* a probe out of turn: the epochs that were left */
	uint32_t switches;	 /* times the choice changed (tests and figures) */
	uint32_t stalls;	 /* sends not counted this epoch: the consumer paused */
};

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
	struct copy_policy copy; /* the producer's, for large sends */
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

/* copy.c: the producer's copy of a message into the ring, by the method its policy has
 * now; a send of length that found the ring full at now_ns (the wait counts against the
 * method); the policy's start from the open flags and capacity; and the accounting of
 * one large copy that ran from start_ns to end_ns (exposed for the tests). */
void copy_into_ring(struct ivshmem_ring *ring, void *destination, const void *source,
		    size_t length);
void copy_note_full(struct copy_policy *policy, size_t length, uint64_t now_ns);
void copy_policy_init(struct copy_policy *policy, uint32_t flags, uint64_t capacity);
void copy_policy_account(struct copy_policy *policy, size_t length, uint64_t start_ns,
			 uint64_t end_ns);

#endif
