// SPDX-License-Identifier: BSD-3-Clause
/*
 * Blocking on rings: adaptive spinning, then sleeping on the doorbell with the
 * flag/fence/re-check handshake, and noticing meanwhile that the other end's owner left
 * or died (liveness).
 */
#include "ring_private.h"

/* True once per departure of the other end's owner: it closed its region (LEFT), or it
 * promised a heartbeat and the counter stood still for the peer timeout on our clock.
 * A restarted owner has a new epoch, so it is watched afresh. */
static bool other_end_gone(struct ivshmem_ring *ring)
{
	struct layout_ring *control = ring->control;
	bool producer = ring->role == IVSHMEM_RING_PRODUCER;
	uint32_t owner = __atomic_load_n(
	    producer ? &control->consumer_owner : &control->producer_owner, __ATOMIC_ACQUIRE);
	uint64_t epoch = __atomic_load_n(
	    producer ? &control->consumer_epoch : &control->producer_epoch, __ATOMIC_ACQUIRE);
	struct layout_peer_slot *slot;
	uint64_t heartbeat, now;
	uint32_t state;

	if (owner == 0 || owner > IVSHMEM_MAX_PEERS || !ring->region->header)
		return false; /* never opened, or opened without a peer slot: nobody to watch */
	if (owner == ring->gone_reported_owner && epoch == ring->gone_reported_epoch)
		return false;
	slot = layout_peer_slot(ring->region, (int)owner - 1);
	state = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);
	if (load_relaxed_u64(&slot->epoch) != epoch)
		return false; /* the owner's slot moved on: a restart is under way */
	if (state == IVSHMEM_PEER_ALIVE && load_relaxed_u32(&slot->heartbeat_period_ms)) {
		heartbeat = load_relaxed_u64(&slot->heartbeat);
		now = ivshmem_now_ns();
		if (owner != ring->watched_owner || epoch != ring->watched_epoch ||
		    heartbeat != ring->watched_heartbeat) {
			ring->watched_owner = owner;
			ring->watched_epoch = epoch;
			ring->watched_heartbeat = heartbeat;
			ring->watched_since_ns = now;
			return false;
		}
		if (now - ring->watched_since_ns <=
		    (uint64_t)ring->region->peer_timeout_ms * 1000000ull)
			return false;
	} else if (state != IVSHMEM_PEER_LEFT) {
		return false; /* alive without a heartbeat promise: silence proves nothing */
	}
	ring->gone_reported_owner = owner;
	ring->gone_reported_epoch = epoch;
	return true;
}

/* A low-latency consumer releases space with a plain store and then reads the producer's
 * sleep flag without a fence between them (see ivshmem_ring_recv), so it can read the
 * flag before its release is visible here: both sides then miss each other. Its release
 * is in its core's store buffer by then, which drains in well under a microsecond; a
 * producer looks again for RELEASE_DRAIN_NS before it sleeps. The slow path pays this
 * once per sleep; without it the producer would sleep until the next liveness slice. */
#define RELEASE_DRAIN_NS 20000u

static bool release_seen_late(struct ivshmem_ring *ring, uint64_t total)
{
	uint64_t start;

	if (ring->role != IVSHMEM_RING_PRODUCER || !ring->inband)
		return false;
	start = ivshmem_now_ns();
	do {
		for (int i = 0; i < 64; i++)
			cpu_relax();
		if (ring_ready(ring, total))
			return true;
	} while (ivshmem_now_ns() - start < RELEASE_DRAIN_NS);
	return false;
}

IVSHMEM_EXPORT int ivshmem_ring_wait(struct ivshmem_ring *ring, size_t length, uint64_t timeout_ns)
{
	uint64_t start = 0, total = 0, padding;
	uint32_t *my_flag;

	if (!ring)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "ring_wait: null ring");
	if (ring->role == IVSHMEM_RING_PRODUCER) {
		if (length > ring->max_message)
			return ivshmem_fail(IVSHMEM_ERR_MESSAGE_TOO_BIG,
					    "ring_wait: %zu bytes can never fit", length);
		total = producer_bytes_needed(ring, length, &padding);
		my_flag = &ring->control->producer_waiting;
	} else {
		my_flag = &ring->control->consumer_waiting;
	}
	for (;;) {
		uint32_t token;
		uint64_t now, remaining;
		int error;

		if (ring_ready(ring, total))
			return 0;
		/* A producer waiting for room before a large send: the wait is the consumer's
		 * pace, which the copy policy weighs (as a send that finds the ring full). */
		if (ring->role == IVSHMEM_RING_PRODUCER && length >= COPY_LARGE_BYTES &&
		    ring->copy.adaptive && !ring->copy.full_since_ns)
			copy_note_full(&ring->copy, length, ivshmem_now_ns());
		/* Adaptive spin: grow the budget when spinning paid off, shrink when not. */
		for (uint32_t i = 0; i < ring->spin_iterations; i++) {
			cpu_relax();
			if ((i & 15) == 15 && ring_ready(ring, total)) {
				if (ring->spin_iterations < SPIN_MAXIMUM)
					ring->spin_iterations *= 2;
				return 0;
			}
		}
		if (ring->spin_iterations > SPIN_MINIMUM)
			ring->spin_iterations /= 2;
		if (!start)
			start = ivshmem_now_ns();
		__atomic_store_n(my_flag, 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		token = notify_prepare(ring->region, ring->vector);
		if (ring_ready(ring, total) || release_seen_late(ring, total)) {
			__atomic_store_n(my_flag, 0, __ATOMIC_RELAXED);
			return 0;
		}
		if (other_end_gone(ring)) {
			__atomic_store_n(my_flag, 0, __ATOMIC_RELAXED);
			return ivshmem_fail(IVSHMEM_ERR_PEER_GONE,
					    "ring_wait: the %s end's owner left or stopped its "
					    "heartbeat",
					    ring->role == IVSHMEM_RING_PRODUCER ? "consumer"
										: "producer");
		}
		now = ivshmem_now_ns();
		if (timeout_ns != IVSHMEM_WAIT_FOREVER && now - start >= timeout_ns) {
			__atomic_store_n(my_flag, 0, __ATOMIC_RELAXED);
			return IVSHMEM_ERR_TIMEOUT;
		}
		remaining = timeout_ns == IVSHMEM_WAIT_FOREVER ? IVSHMEM_WAIT_FOREVER
							       : timeout_ns - (now - start);
		/* Wake now and then to look at the other end (a dead peer rings no bell). */
		if (remaining > LIVENESS_SLICE_NS)
			remaining = LIVENESS_SLICE_NS;
		error = notify_block(ring->region, ring->vector, token, remaining);
		__atomic_store_n(my_flag, 0, __ATOMIC_RELAXED);
		if (error && error != IVSHMEM_ERR_TIMEOUT)
			return error;
		if (error == IVSHMEM_ERR_TIMEOUT && ring_ready(ring, total))
			ring->late_wakeups++; /* ready, yet no doorbell came: tests count these */
	}
}

static void set_consumers_waiting(struct ivshmem_ring **rings, size_t count, uint32_t value)
{
	for (size_t i = 0; i < count; i++)
		__atomic_store_n(&rings[i]->control->consumer_waiting, value, __ATOMIC_RELAXED);
}

static int first_ready(struct ivshmem_ring **rings, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (ring_ready(rings[i], 0))
			return (int)i;
	return -1;
}

/* True while the departure of the ring's producer owner has been reported and no new
 * owner has opened the end since: nobody is left to feed that ring. */
static bool producer_departed(struct ivshmem_ring *ring)
{
	uint32_t owner = __atomic_load_n(&ring->control->producer_owner, __ATOMIC_ACQUIRE);
	uint64_t epoch = __atomic_load_n(&ring->control->producer_epoch, __ATOMIC_ACQUIRE);

	return owner != 0 && owner == ring->gone_reported_owner &&
	       epoch == ring->gone_reported_epoch;
}

/* Whether to report a departure now. With each, the first newly departed producer is
 * reported (its index in *gone_index). Without, only once every ring's producer has
 * departed, at least one of them newly: then nobody is left who could wake the caller. */
static bool any_gone(struct ivshmem_ring **rings, size_t count, bool each, size_t *gone_index)
{
	bool fresh = false;

	for (size_t i = 0; i < count; i++) {
		if (!other_end_gone(rings[i]))
			continue;
		if (each) {
			*gone_index = i;
			return true;
		}
		fresh = true; /* keep looking: the other rings' watches must advance too */
	}
	if (each || !fresh)
		return false;
	for (size_t i = 0; i < count; i++)
		if (!producer_departed(rings[i]))
			return false;
	return true;
}

static int rings_wait(struct ivshmem_ring **rings, size_t count, uint64_t timeout_ns, bool each,
		      size_t *gone_index)
{
	uint64_t start = ivshmem_now_ns();
	int ready;

	if (!rings || count == 0 || count > IVSHMEM_MAX_CHANNELS)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT,
				    "rings_wait_any: %zu rings (1 to %d)", count,
				    IVSHMEM_MAX_CHANNELS);
	for (size_t i = 0; i < count; i++) {
		if (!rings[i] || rings[i]->role != IVSHMEM_RING_CONSUMER ||
		    rings[i]->region != rings[0]->region || rings[i]->vector != rings[0]->vector)
			return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT,
					    "rings_wait_any: ring %zu is not a consumer end on the "
					    "same region and vector as ring 0",
					    i);
	}
	for (;;) {
		uint32_t token;
		uint64_t elapsed, remaining;
		size_t gone = 0;
		int error;

		for (uint32_t spin = 0; spin < SPIN_MINIMUM * 16; spin++) {
			ready = first_ready(rings, count);
			if (ready >= 0)
				return ready;
			cpu_relax();
		}
		/* Same handshake as ivshmem_ring_wait, with the flag raised on every ring. */
		set_consumers_waiting(rings, count, 1);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		token = notify_prepare(rings[0]->region, rings[0]->vector);
		ready = first_ready(rings, count);
		if (ready >= 0) {
			set_consumers_waiting(rings, count, 0);
			return ready;
		}
		if (any_gone(rings, count, each, &gone)) {
			set_consumers_waiting(rings, count, 0);
			if (each)
				*gone_index = gone;
			return ivshmem_fail(IVSHMEM_ERR_PEER_GONE,
					    each ? "rings_wait_any: the producer of ring %zu left "
						   "or stopped its heartbeat"
						 : "rings_wait_any: the producers of all %zu rings "
						   "left or stopped their heartbeats",
					    each ? gone : count);
		}
		elapsed = ivshmem_now_ns() - start;
		if (timeout_ns != IVSHMEM_WAIT_FOREVER && elapsed >= timeout_ns) {
			set_consumers_waiting(rings, count, 0);
			return IVSHMEM_ERR_TIMEOUT;
		}
		remaining = timeout_ns == IVSHMEM_WAIT_FOREVER ? timeout_ns : timeout_ns - elapsed;
		/* Wake now and then to look at the producers (a dead peer rings no bell). */
		if (remaining > LIVENESS_SLICE_NS)
			remaining = LIVENESS_SLICE_NS;
		error = notify_block(rings[0]->region, rings[0]->vector, token, remaining);
		set_consumers_waiting(rings, count, 0);
		if (error && error != IVSHMEM_ERR_TIMEOUT)
			return error;
	}
}

IVSHMEM_EXPORT int ivshmem_rings_wait_any_or_gone(struct ivshmem_ring **rings, size_t count,
						  uint64_t timeout_ns, size_t *gone_index)
{
	if (!gone_index)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT,
				    "rings_wait_any_or_gone: null gone_index (a departure is "
				    "reported once, so its ring must be named)");
	return rings_wait(rings, count, timeout_ns, true, gone_index);
}

IVSHMEM_EXPORT int ivshmem_rings_wait_any(struct ivshmem_ring **rings, size_t count,
					  uint64_t timeout_ns)
{
	return rings_wait(rings, count, timeout_ns, false, NULL);
}

IVSHMEM_EXPORT int ivshmem_ring_send_wait(struct ivshmem_ring *ring, const void *message,
					  size_t length, uint64_t timeout_ns)
{
	int error = ivshmem_ring_send(ring, message, length);

	while (error == IVSHMEM_ERR_FULL) {
		error = ivshmem_ring_wait(ring, length, timeout_ns);
		if (error)
			return error;
		error = ivshmem_ring_send(ring, message, length);
	}
	return error;
}

IVSHMEM_EXPORT int ivshmem_ring_recv_wait(struct ivshmem_ring *ring, void *buffer, size_t capacity,
					  size_t *length_out, uint64_t timeout_ns)
{
	int error = ivshmem_ring_recv(ring, buffer, capacity, length_out);

	while (error == IVSHMEM_ERR_EMPTY) {
		error = ivshmem_ring_wait(ring, 0, timeout_ns);
		if (error)
			return error;
		error = ivshmem_ring_recv(ring, buffer, capacity, length_out);
	}
	return error;
}
