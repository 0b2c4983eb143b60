// SPDX-License-Identifier: BSD-3-Clause
/*
 * Single-producer single-consumer rings of variable-length messages.
 *
 * head (producer's cache line) and tail (consumer's line) count bytes ever written and
 * released; each side keeps private cursors and a cached copy of the other side's index,
 * so the hot path touches the other side's line only when the cache says "full" or
 * "empty". Nothing is locked. Indices and record headers come from a peer that may be
 * hostile: each is read once and checked against the capacity this side computed itself.
 */
#include <stdlib.h>
#include <string.h>

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
	uint64_t align_mask; /* 7, or 63 for IVSHMEM_RING_LINE_ALIGNED */
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
	/* The other end's owner as waits last judged it (see other_end_gone). */
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

/* Header plus payload, rounded to the ring's record alignment (8, or a cache line). */
static uint64_t record_bytes(const struct ivshmem_ring *ring, uint64_t length)
{
	return (sizeof(struct layout_record) + length + ring->align_mask) & ~ring->align_mask;
}

IVSHMEM_EXPORT void ivshmem_ring_options_init(struct ivshmem_ring_options *options)
{
	if (!options)
		return;
	memset(options, 0, sizeof(*options));
	options->struct_size = sizeof(*options);
	options->capacity = 64 * 1024;
	options->producer_peer = 0;
	options->consumer_peer = 1;
}

/* Asks the consumer to skip everything published so far (and nothing published later). */
static void producer_request_reset(struct ivshmem_ring *ring)
{
	__atomic_store_n(&ring->control->reset_to, ring->published_head, __ATOMIC_RELAXED);
	__atomic_fetch_add(&ring->control->reset_request, 1, __ATOMIC_RELEASE);
}

/* Records this handle as the owner of its end and tells whether the end had another
 * owner before (another peer, or this peer in an earlier life: a different epoch). */
static bool take_end(struct ivshmem_ring *ring, uint32_t *owner, uint64_t *epoch)
{
	struct ivshmem_region *region = ring->region;
	uint32_t mine = region->joined ? (uint32_t)region->peer_id + 1 : RING_OWNER_UNJOINED;
	uint32_t previous_owner = __atomic_load_n(owner, __ATOMIC_ACQUIRE);
	uint64_t previous_epoch = __atomic_load_n(epoch, __ATOMIC_ACQUIRE);

	__atomic_store_n(owner, mine, __ATOMIC_RELAXED);
	__atomic_store_n(epoch, region->epoch, __ATOMIC_RELEASE);
	return previous_owner != 0 && (previous_owner != mine || previous_epoch != region->epoch);
}

static int ring_attach(struct ivshmem_ring *ring, const struct layout_channel *channel, int flags)
{
	struct layout_ring *control = (struct layout_ring *)(ring->region->base + channel->offset);
	uint64_t capacity = channel->bytes - sizeof(struct layout_ring);
	uint32_t policy = load_relaxed_u32(&control->policy);
	uint64_t head, tail;
	bool restarted;

	if (capacity < 256 || (capacity & (capacity - 1)) ||
	    load_relaxed_u64(&control->capacity) != capacity)
		return ivshmem_fail(IVSHMEM_ERR_CORRUPT,
				    "ring '%s': capacity %llu (descriptor) vs %llu (ring) is not a "
				    "matching power of two",
				    channel->name, (unsigned long long)capacity,
				    (unsigned long long)load_relaxed_u64(&control->capacity));
	ring->control = control;
	ring->data = (uint8_t *)(control + 1);
	ring->align_mask = policy & RING_POLICY_LINE_ALIGNED ? LAYOUT_CACHE_LINE - 1 : 7;
	ring->capacity = capacity;
	ring->max_message = capacity / 2 - sizeof(struct layout_record);
	ring->vector = channel->vector;
	head = __atomic_load_n(&control->head, __ATOMIC_ACQUIRE);
	tail = __atomic_load_n(&control->tail, __ATOMIC_ACQUIRE);
	if (head - tail > capacity || head % 8 || tail % 8)
		return ivshmem_fail(
		    IVSHMEM_ERR_CORRUPT, "ring '%s': head %llu and tail %llu are inconsistent",
		    channel->name, (unsigned long long)head, (unsigned long long)tail);
	if (ring->role == IVSHMEM_RING_PRODUCER) {
		ring->peer_to_wake = channel->consumer_peer;
		ring->reserve_head = ring->published_head = head;
		ring->cached_tail = tail;
		/* A predecessor that died asleep left its flag up: the consumer would keep
		 * ringing a doorbell nobody waits on. */
		__atomic_store_n(&control->producer_waiting, 0, __ATOMIC_RELAXED);
		restarted = take_end(ring, &control->producer_owner, &control->producer_epoch);
		if ((flags & IVSHMEM_RING_DISCARD) ||
		    (restarted && (policy & RING_POLICY_RESET_ON_RESTART)))
			producer_request_reset(ring);
	} else {
		ring->peer_to_wake = channel->producer_peer;
		restarted = take_end(ring, &control->consumer_owner, &control->consumer_epoch);
		if ((flags & IVSHMEM_RING_DISCARD) ||
		    (restarted && (policy & RING_POLICY_RESET_ON_RESTART))) {
			tail = head;
			__atomic_store_n(&control->tail, tail, __ATOMIC_RELEASE);
		}
		ring->read_cursor = ring->released_tail = tail;
		ring->cached_head = head;
		ring->reset_acknowledged = load_relaxed_u32(&control->reset_acknowledged);
		__atomic_store_n(&control->consumer_waiting, 0, __ATOMIC_RELAXED);
	}
	ring->spin_iterations = SPIN_MINIMUM * 16;
	return 0;
}

IVSHMEM_EXPORT int ivshmem_ring_open(struct ivshmem_region *region, const char *name, int role,
				     const struct ivshmem_ring_options *create,
				     struct ivshmem_ring **ring_out)
{
	char checked[IVSHMEM_CHANNEL_NAME_MAX];
	struct layout_channel channel;
	struct ivshmem_ring *ring;
	unsigned index;
	int error;

	if (!region || !ring_out ||
	    (role != IVSHMEM_RING_PRODUCER && role != IVSHMEM_RING_CONSUMER))
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT,
				    "ring_open: null argument or role %d", role);
	*ring_out = NULL;
	if (!region->header)
		return ivshmem_fail(IVSHMEM_ERR_NOT_INITIALISED, "region has no layout");
	error = layout_copy_name(name, checked, sizeof(checked), "channel name");
	if (error)
		return error;
	error = layout_find_channel(region, checked, &channel);
	if (error == IVSHMEM_ERR_NOT_FOUND && create) {
		uint64_t capacity = create->capacity;

		if (create->struct_size < sizeof(*create) || capacity < 256 ||
		    capacity > (1u << 30) || (capacity & (capacity - 1)) ||
		    create->producer_peer < -1 || create->producer_peer >= IVSHMEM_MAX_PEERS ||
		    create->consumer_peer < -1 || create->consumer_peer >= IVSHMEM_MAX_PEERS ||
		    create->vector >= IVSHMEM_MAX_VECTORS)
			return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT,
					    "ring '%s': capacity %llu must be a power of two in "
					    "[256, 1 GiB], peers in [-1, %d), vector < %d",
					    checked, (unsigned long long)capacity,
					    IVSHMEM_MAX_PEERS, IVSHMEM_MAX_VECTORS);
		error = layout_create_channel(
		    region, checked, IVSHMEM_CHANNEL_RING, sizeof(struct layout_ring) + capacity,
		    create->producer_peer, create->consumer_peer, create->vector, &channel, &index);
		if (error)
			return error;
		((struct layout_ring *)(region->base + channel.offset))->capacity = capacity;
		((struct layout_ring *)(region->base + channel.offset))->policy =
		    (create->flags & IVSHMEM_RING_RESET_ON_RESTART ? RING_POLICY_RESET_ON_RESTART
								   : 0) |
		    (create->flags & IVSHMEM_RING_LINE_ALIGNED ? RING_POLICY_LINE_ALIGNED : 0);
		layout_publish_channel(region, index);
	} else if (error < 0) {
		return error;
	} else if (channel.kind != IVSHMEM_CHANNEL_RING) {
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "channel '%s' is not a ring",
				    checked);
	}
	ring = calloc(1, sizeof(*ring));
	if (!ring)
		return ivshmem_fail(IVSHMEM_ERR_NO_MEMORY, "ring '%s': no memory", checked);
	ring->region = region;
	ring->role = role;
	error = ring_attach(ring, &channel, create ? (int)create->flags : 0);
	if (error) {
		free(ring);
		return error;
	}
	ivshmem_clear_error();
	*ring_out = ring;
	return 0;
}

IVSHMEM_EXPORT void ivshmem_ring_close(struct ivshmem_ring *ring)
{
	if (!ring)
		return;
	if (ring->role == IVSHMEM_RING_PRODUCER)
		ivshmem_ring_publish(ring);
	else
		ivshmem_ring_release(ring);
	free(ring);
}

IVSHMEM_EXPORT uint64_t ivshmem_ring_position(const struct ivshmem_ring *ring)
{
	if (!ring)
		return 0;
	return ring->role == IVSHMEM_RING_PRODUCER ? ring->published_head : ring->released_tail;
}

IVSHMEM_EXPORT size_t ivshmem_ring_max_message(const struct ivshmem_ring *ring)
{
	return ring ? (size_t)ring->max_message : 0;
}

static int wrong_role(const struct ivshmem_ring *ring, int wanted, const char *call)
{
	if (!ring)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "%s: null ring", call);
	if (ring->role != wanted)
		return ivshmem_fail(IVSHMEM_ERR_STATE, "%s: this end of the ring is the %s", call,
				    ring->role == IVSHMEM_RING_PRODUCER ? "producer" : "consumer");
	return 0;
}

/* Reads the consumer's tail and checks it against what this producer published. */
static int producer_refresh_tail(struct ivshmem_ring *ring)
{
	uint64_t tail = __atomic_load_n(&ring->control->tail, __ATOMIC_ACQUIRE);

	if (ring->published_head - tail > ring->capacity || tail % 8)
		return ivshmem_fail(IVSHMEM_ERR_CORRUPT,
				    "ring: consumer tail %llu is outside [head-%llu, head=%llu]",
				    (unsigned long long)tail, (unsigned long long)ring->capacity,
				    (unsigned long long)ring->published_head);
	ring->cached_tail = tail;
	return 0;
}

/* Bytes a message of length needs at the current position, padding included. */
static uint64_t producer_bytes_needed(const struct ivshmem_ring *ring, uint64_t length,
				      uint64_t *padding)
{
	uint64_t position = ring->reserve_head & (ring->capacity - 1);
	uint64_t contiguous = ring->capacity - position;
	uint64_t need = record_bytes(ring, length);

	*padding = need > contiguous ? contiguous : 0;
	return *padding + need;
}

static bool producer_has_room(struct ivshmem_ring *ring, uint64_t total)
{
	return ring->capacity - (ring->reserve_head - ring->cached_tail) >= total;
}

IVSHMEM_EXPORT int ivshmem_ring_reserve(struct ivshmem_ring *ring, size_t length, void **buffer_out)
{
	uint64_t padding, total;
	int error = wrong_role(ring, IVSHMEM_RING_PRODUCER, "ring_reserve");

	if (error)
		return error;
	if (!buffer_out)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "ring_reserve: null buffer_out");
	if (ring->reserved)
		return ivshmem_fail(IVSHMEM_ERR_STATE, "ring_reserve: previous reservation not "
						       "committed");
	if (length > ring->max_message)
		return ivshmem_fail(IVSHMEM_ERR_MESSAGE_TOO_BIG,
				    "message of %zu bytes, this ring carries at most %llu", length,
				    (unsigned long long)ring->max_message);
	total = producer_bytes_needed(ring, length, &padding);
	if (!producer_has_room(ring, total)) {
		error = producer_refresh_tail(ring);
		if (error)
			return error;
		if (!producer_has_room(ring, total))
			return IVSHMEM_ERR_FULL;
	}
	if (padding) {
		struct layout_record *pad =
		    (struct layout_record *)(ring->data +
					     (ring->reserve_head & (ring->capacity - 1)));

		pad->length = (uint32_t)(padding - sizeof(*pad));
		pad->kind = RECORD_PADDING;
		ring->reserve_head += padding;
	}
	ring->reserved = true;
	ring->reservation_head = ring->reserve_head;
	ring->reservation_length = length;
	*buffer_out =
	    ring->data + (ring->reserve_head & (ring->capacity - 1)) + sizeof(struct layout_record);
	return 0;
}

IVSHMEM_EXPORT int ivshmem_ring_commit(struct ivshmem_ring *ring, size_t length)
{
	struct layout_record *record;
	int error = wrong_role(ring, IVSHMEM_RING_PRODUCER, "ring_commit");

	if (error)
		return error;
	if (!ring->reserved)
		return ivshmem_fail(IVSHMEM_ERR_STATE, "ring_commit: nothing reserved");
	if (length > ring->reservation_length)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT,
				    "ring_commit: %zu bytes committed, %llu reserved", length,
				    (unsigned long long)ring->reservation_length);
	record =
	    (struct layout_record *)(ring->data + (ring->reservation_head & (ring->capacity - 1)));
	record->length = (uint32_t)length;
	record->kind = RECORD_MESSAGE;
	ring->reserve_head = ring->reservation_head + record_bytes(ring, length);
	ring->reserved = false;
	return 0;
}

/* Called right after the index was published with a sequentially consistent exchange
 * (one locked instruction, cheaper than a store plus a full fence): it pairs with the
 * sleeper's fence between raising its flag and re-checking the index. */
static void wake_peer(struct ivshmem_ring *ring, uint32_t *waiting_flag)
{
	if (__atomic_load_n(waiting_flag, __ATOMIC_SEQ_CST) && ring->peer_to_wake >= 0)
		ivshmem_doorbell_ring(ring->region, ring->peer_to_wake, ring->vector);
}

IVSHMEM_EXPORT int ivshmem_ring_publish(struct ivshmem_ring *ring)
{
	int error = wrong_role(ring, IVSHMEM_RING_PRODUCER, "ring_publish");

	if (error)
		return error;
	if (ring->reserve_head == ring->published_head)
		return 0;
	__atomic_exchange_n(&ring->control->head, ring->reserve_head, __ATOMIC_SEQ_CST);
	ring->published_head = ring->reserve_head;
	wake_peer(ring, &ring->control->consumer_waiting);
	return 0;
}

IVSHMEM_EXPORT int ivshmem_ring_send(struct ivshmem_ring *ring, const void *message, size_t length)
{
	void *buffer;
	int error;

	if (length && !message)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "ring_send: null message");
	error = ivshmem_ring_reserve(ring, length, &buffer);
	if (error)
		return error;
	if (length)
		memcpy(buffer, message, length);
	ivshmem_ring_commit(ring, length);
	return ivshmem_ring_publish(ring);
}

static int consumer_refresh_head(struct ivshmem_ring *ring)
{
	uint64_t head = __atomic_load_n(&ring->control->head, __ATOMIC_ACQUIRE);

	if (head - ring->released_tail > ring->capacity ||
	    head - ring->read_cursor > ring->capacity || head % 8)
		return ivshmem_fail(IVSHMEM_ERR_CORRUPT,
				    "ring: producer head %llu is outside [tail=%llu, tail+%llu]",
				    (unsigned long long)head,
				    (unsigned long long)ring->released_tail,
				    (unsigned long long)ring->capacity);
	ring->cached_head = head;
	return 0;
}

/* Honours a producer's reset request: skips to the position it names (the head it had
 * published then), so what it publishes afterwards is kept. Space that was peeked stays
 * valid until the application releases it. A position outside [cursor, head] (a hostile
 * or confused producer) is ignored. */
static int consumer_honour_reset(struct ivshmem_ring *ring, uint32_t request)
{
	uint64_t to = __atomic_load_n(&ring->control->reset_to, __ATOMIC_RELAXED);
	int error = consumer_refresh_head(ring);

	if (error)
		return error;
	if (to % 8 == 0 && to - ring->read_cursor <= ring->cached_head - ring->read_cursor) {
		bool nothing_peeked = ring->read_cursor == ring->released_tail;

		ring->read_cursor = to;
		if (nothing_peeked) {
			ring->released_tail = to;
			__atomic_store_n(&ring->control->tail, to, __ATOMIC_RELEASE);
		}
	}
	ring->reset_acknowledged = request;
	__atomic_store_n(&ring->control->reset_acknowledged, request, __ATOMIC_RELEASE);
	return 0;
}

IVSHMEM_EXPORT int ivshmem_ring_peek(struct ivshmem_ring *ring, const void **message_out,
				     size_t *length_out)
{
	uint32_t request;

	int error = wrong_role(ring, IVSHMEM_RING_CONSUMER, "ring_peek");

	if (error)
		return error;
	if (!message_out || !length_out)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "ring_peek: null output");
	request = __atomic_load_n(&ring->control->reset_request, __ATOMIC_ACQUIRE);
	if (request != ring->reset_acknowledged) {
		error = consumer_honour_reset(ring, request);
		if (error)
			return error;
	}
	for (;;) {
		uint64_t position, available, need;
		uint32_t length, kind;
		struct layout_record *record;

		if (ring->read_cursor == ring->cached_head) {
			error = consumer_refresh_head(ring);
			if (error)
				return error;
			if (ring->read_cursor == ring->cached_head)
				return IVSHMEM_ERR_EMPTY;
		}
		position = ring->read_cursor & (ring->capacity - 1);
		available = ring->cached_head - ring->read_cursor;
		record = (struct layout_record *)(ring->data + position);
		/* One read of each field: a hostile producer may change them afterwards. */
		length = load_relaxed_u32(&record->length);
		kind = load_relaxed_u32(&record->kind);
		if (kind == RECORD_PADDING) {
			uint64_t skip = ring->capacity - position;

			if (skip > available || length != skip - sizeof(*record))
				return ivshmem_fail(IVSHMEM_ERR_CORRUPT,
						    "ring: padding of %u bytes at %llu does not "
						    "reach the end",
						    length, (unsigned long long)position);
			ring->read_cursor += skip;
			continue;
		}
		need = record_bytes(ring, length);
		if (kind != RECORD_MESSAGE || length > ring->max_message || need > available ||
		    position + need > ring->capacity)
			return ivshmem_fail(IVSHMEM_ERR_CORRUPT,
					    "ring: record at %llu (kind 0x%08x, %u bytes) exceeds "
					    "the %llu published bytes",
					    (unsigned long long)position, kind, length,
					    (unsigned long long)available);
		*message_out = record + 1;
		*length_out = length;
		ring->read_cursor += need;
		return 0;
	}
}

IVSHMEM_EXPORT int ivshmem_ring_release(struct ivshmem_ring *ring)
{
	int error = wrong_role(ring, IVSHMEM_RING_CONSUMER, "ring_release");

	if (error)
		return error;
	if (ring->read_cursor == ring->released_tail)
		return 0;
	__atomic_exchange_n(&ring->control->tail, ring->read_cursor, __ATOMIC_SEQ_CST);
	ring->released_tail = ring->read_cursor;
	wake_peer(ring, &ring->control->producer_waiting);
	return 0;
}

IVSHMEM_EXPORT int ivshmem_ring_recv(struct ivshmem_ring *ring, void *buffer, size_t capacity,
				     size_t *length_out)
{
	uint64_t cursor_before;
	const void *message;
	size_t length;
	int error;

	if (!ring || (capacity && !buffer) || !length_out)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "ring_recv: null argument");
	cursor_before = ring->read_cursor;
	error = ivshmem_ring_peek(ring, &message, &length);
	if (error)
		return error;
	if (length > capacity) {
		ring->read_cursor = cursor_before;
		*length_out = length;
		return ivshmem_fail(IVSHMEM_ERR_BUFFER_TOO_SMALL,
				    "message of %zu bytes, buffer of %zu", length, capacity);
	}
	memcpy(buffer, message, length);
	*length_out = length;
	return ivshmem_ring_release(ring);
}

static bool ring_ready(struct ivshmem_ring *ring, uint64_t total)
{
	if (ring->role == IVSHMEM_RING_CONSUMER)
		return ring->read_cursor != __atomic_load_n(&ring->control->head, __ATOMIC_ACQUIRE);
	if (producer_has_room(ring, total))
		return true;
	return producer_refresh_tail(ring) == 0 && producer_has_room(ring, total);
}

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
		if (ring_ready(ring, total)) {
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

IVSHMEM_EXPORT int ivshmem_rings_wait_any(struct ivshmem_ring **rings, size_t count,
					  uint64_t timeout_ns)
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
		uint64_t elapsed;
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
		elapsed = ivshmem_now_ns() - start;
		if (ready >= 0 || (timeout_ns != IVSHMEM_WAIT_FOREVER && elapsed >= timeout_ns)) {
			set_consumers_waiting(rings, count, 0);
			return ready >= 0 ? ready : IVSHMEM_ERR_TIMEOUT;
		}
		error = notify_block(rings[0]->region, rings[0]->vector, token,
				     timeout_ns == IVSHMEM_WAIT_FOREVER ? timeout_ns
									: timeout_ns - elapsed);
		set_consumers_waiting(rings, count, 0);
		if (error && error != IVSHMEM_ERR_TIMEOUT)
			return error;
	}
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

IVSHMEM_EXPORT int ivshmem_ring_reset(struct ivshmem_ring *ring)
{
	int error;

	if (!ring)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "ring_reset: null ring");
	if (ring->role == IVSHMEM_RING_PRODUCER) {
		ring->reserved = false;
		ring->reserve_head = ring->published_head;
		producer_request_reset(ring);
		return 0;
	}
	error = consumer_refresh_head(ring);
	if (error) {
		/* A corrupt head cannot be trusted to reset to: wait for the producer's. */
		return error;
	}
	ring->read_cursor = ring->released_tail = ring->cached_head;
	__atomic_store_n(&ring->control->tail, ring->released_tail, __ATOMIC_RELEASE);
	ring->reset_acknowledged = __atomic_load_n(&ring->control->reset_request, __ATOMIC_ACQUIRE);
	__atomic_store_n(&ring->control->reset_acknowledged, ring->reset_acknowledged,
			 __ATOMIC_RELEASE);
	return 0;
}
