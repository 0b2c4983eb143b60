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

#include "ring_private.h"

/* Header plus payload, rounded to the ring's record alignment (8, or a cache line). */
static uint64_t record_bytes(const struct ivshmem_ring *ring, uint64_t length)
{
	return (ring->header_bytes + length + ring->align_mask) & ~ring->align_mask;
}

static uint64_t *publish_word(const struct ivshmem_ring *ring, uint64_t position)
{
	return (uint64_t *)(ring->data + (position & (ring->capacity - 1)) +
			    sizeof(struct layout_record));
}

static inline uint64_t cached_publish_mix(struct ivshmem_ring *ring, uint64_t position)
{
	if (ring->mix_position != position) {
		ring->mix_value = publish_mix(position);
		ring->mix_position = position;
	}
	return ring->mix_value;
}

/* The end of the batch published at position, read from its first record; 0 if none is
 * (the word is stale, half a payload, or hostile: it must decode into the next lap). */
static inline uint64_t inband_end(struct ivshmem_ring *ring, uint64_t position)
{
	uint64_t end = __atomic_load_n(publish_word(ring, position), __ATOMIC_ACQUIRE) ^
		       cached_publish_mix(ring, position);

	return end % LAYOUT_CACHE_LINE == 0 && end - position - 1 < ring->capacity ? end : 0;
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
	ring->inband = policy & RING_POLICY_LOW_LATENCY;
	ring->align_mask = ring->inband ? LAYOUT_CACHE_LINE - 1 : 7;
	ring->header_bytes = ring->inband ? RECORD_INBAND_HEADER : sizeof(struct layout_record);
	ring->capacity = capacity;
	ring->max_message = capacity / 2 - ring->header_bytes;
	copy_policy_init(&ring->copy, (uint32_t)flags, capacity);
	ring->vector = channel->vector;
	ring->mix_position = UINT64_MAX; /* positions are multiples of 8: none matches */
	head = __atomic_load_n(&control->head, __ATOMIC_ACQUIRE);
	tail = __atomic_load_n(&control->tail, __ATOMIC_ACQUIRE);
	/* A producer that died between a batch's publish word and the shared head leaves
	 * the batch published (the consumer may have read it): head is where the word says. */
	if (ring->inband && head % LAYOUT_CACHE_LINE == 0 && inband_end(ring, head)) {
		head = inband_end(ring, head);
		if (ring->role == IVSHMEM_RING_PRODUCER)
			__atomic_store_n(&control->head, head, __ATOMIC_RELEASE);
	}
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

/* Fills a new ring's control block before other peers can see the ring. */
static void initialise_ring(uint8_t *area, const void *argument)
{
	const struct ivshmem_ring_options *create = argument;
	struct layout_ring *control = (struct layout_ring *)area;

	control->capacity = create->capacity;
	control->policy =
	    (create->flags & IVSHMEM_RING_RESET_ON_RESTART ? RING_POLICY_RESET_ON_RESTART : 0) |
	    (create->flags & IVSHMEM_RING_LOW_LATENCY ? RING_POLICY_LOW_LATENCY : 0);
}

IVSHMEM_EXPORT int ivshmem_ring_open(struct ivshmem_region *region, const char *name, int role,
				     const struct ivshmem_ring_options *create,
				     struct ivshmem_ring **ring_out)
{
	char checked[IVSHMEM_CHANNEL_NAME_MAX];
	struct layout_channel channel;
	struct ivshmem_ring *ring;
	int error;

	if (!region || !ring_out ||
	    (role != IVSHMEM_RING_PRODUCER && role != IVSHMEM_RING_CONSUMER))
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT,
				    "ring_open: null argument or role %d", role);
	*ring_out = NULL;
	if (!region->header)
		return ivshmem_fail(IVSHMEM_ERR_NOT_INITIALISED, "region has no layout");
	if (create && (create->flags & IVSHMEM_RING_CACHED) &&
	    (create->flags & IVSHMEM_RING_STREAMING))
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT,
				    "ring_open: IVSHMEM_RING_CACHED and IVSHMEM_RING_STREAMING "
				    "exclude each other");
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
		const struct channel_request request = {
			.kind = IVSHMEM_CHANNEL_RING,
			.bytes = sizeof(struct layout_ring) + capacity,
			.producer_peer = create->producer_peer,
			.consumer_peer = create->consumer_peer,
			.vector = create->vector,
			.initialise = initialise_ring,
			.argument = create,
		};

		/* Another peer may be creating it at this moment: this finds or creates. */
		error = layout_open_channel(region, checked, &request, &channel);
	}
	if (error < 0)
		return error;
	if (channel.kind != IVSHMEM_CHANNEL_RING)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "channel '%s' is not a ring",
				    checked);
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
/* A consumer tail this producer can believe: within one capacity behind its head. */
static inline bool tail_plausible(const struct ivshmem_ring *ring, uint64_t tail)
{
	return ring->published_head - tail <= ring->capacity && tail % 8 == 0;
}

static int producer_refresh_tail(struct ivshmem_ring *ring)
{
	uint64_t tail = __atomic_load_n(&ring->control->tail, __ATOMIC_ACQUIRE);

	if (!tail_plausible(ring, tail))
		return ivshmem_fail(IVSHMEM_ERR_CORRUPT,
				    "ring: consumer tail %llu is outside [head-%llu, head=%llu]",
				    (unsigned long long)tail, (unsigned long long)ring->capacity,
				    (unsigned long long)ring->published_head);
	ring->cached_tail = tail;
	return 0;
}

/* Bytes a message of length needs at the current position, padding included. */
uint64_t producer_bytes_needed(const struct ivshmem_ring *ring, uint64_t length, uint64_t *padding)
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

		pad->length = (uint32_t)(padding - ring->header_bytes);
		pad->kind = RECORD_PADDING;
		if (ring->inband) /* polled by the consumer meanwhile: an atomic store */
			__atomic_store_n(publish_word(ring, ring->reserve_head), 0,
					 __ATOMIC_RELAXED);
		ring->reserve_head += padding;
	}
	ring->reserved = true;
	ring->reservation_head = ring->reserve_head;
	ring->reservation_length = length;
	*buffer_out = ring->data + (ring->reserve_head & (ring->capacity - 1)) + ring->header_bytes;
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
	if (ring->inband) /* last lap's word is stale; the consumer may be polling it */
		__atomic_store_n(publish_word(ring, ring->reservation_head), 0, __ATOMIC_RELAXED);
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

/* Publishes everything from published_head to end: the publish word (low-latency rings),
 * then the shared head, then the doorbell if the consumer sleeps. */
static inline void publish_up_to(struct ivshmem_ring *ring, uint64_t end)
{
	uint64_t start = ring->published_head;

	/* One store publishes the whole batch to a consumer polling its first record. */
	if (ring->inband)
		__atomic_store_n(publish_word(ring, start), end ^ cached_publish_mix(ring, start),
				 __ATOMIC_RELEASE);
	__atomic_exchange_n(&ring->control->head, end, __ATOMIC_SEQ_CST);
	ring->reserve_head = ring->published_head = end;
	wake_peer(ring, &ring->control->consumer_waiting);
}

IVSHMEM_EXPORT int ivshmem_ring_publish(struct ivshmem_ring *ring)
{
	int error = wrong_role(ring, IVSHMEM_RING_PRODUCER, "ring_publish");

	if (error)
		return error;
	if (ring->reserve_head != ring->published_head)
		publish_up_to(ring, ring->reserve_head);
	return 0;
}

/* General send: reserve, copy, commit, publish. */
static __attribute__((noinline)) int send_general(struct ivshmem_ring *ring, const void *message,
						  size_t length)
{
	void *buffer;
	int error;

	if (length && !message)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "ring_send: null message");
	error = ivshmem_ring_reserve(ring, length, &buffer);
	if (error == IVSHMEM_ERR_FULL)
		copy_note_full(&ring->copy, length, ivshmem_now_ns());
	if (error)
		return error;
	if (length)
		copy_into_ring(ring, buffer, message, length);
	ivshmem_ring_commit(ring, length);
	return ivshmem_ring_publish(ring);
}

/* A producer short of room for another message like the one it just published reads the
 * consumer's tail now, while the consumer is busy reading that message. Read at the next
 * send instead, the tail's trip from the consumer's core would delay the next message:
 * on a 256-byte ring (two records, the tail read at every send) that measured about a
 * quarter of the one-way latency between close cores. A tail that fails the check is left
 * for the next send to report. */
static inline void refresh_tail_ahead(struct ivshmem_ring *ring, uint64_t need)
{
	uint64_t tail;

	if (producer_has_room(ring, need))
		return;
	tail = __atomic_load_n(&ring->control->tail, __ATOMIC_ACQUIRE);
	if (tail_plausible(ring, tail))
		ring->cached_tail = tail;
}

/* The common case of a low-latency ring is done here in one pass: one message, no batch
 * open, room without wrapping. It writes what reserve, commit and publish would write, in
 * the order a polling consumer needs (payload and header, then the publish word, then the
 * head), and leaves everything else to send_general. Measured with callgrind, a send and
 * receive pair costs 275 instructions this way against 385 through the general calls,
 * about 5 ns of the 12-17 ns the library adds to a 64-byte hand-off between close cores. */
IVSHMEM_EXPORT int ivshmem_ring_send(struct ivshmem_ring *ring, const void *message, size_t length)
{
	uint64_t head, position, need;
	struct layout_record *record;

	if (!ring || !ring->inband || ring->role != IVSHMEM_RING_PRODUCER || ring->reserved ||
	    (length && !message))
		return send_general(ring, message, length);
	head = ring->reserve_head;
	position = head & (ring->capacity - 1);
	need = record_bytes(ring, length);
	if (head != ring->published_head || length > ring->max_message ||
	    need > ring->capacity - position || !producer_has_room(ring, need))
		return send_general(ring, message, length);
	record = (struct layout_record *)(ring->data + position);
	if (length)
		copy_into_ring(ring, (uint8_t *)record + RECORD_INBAND_HEADER, message, length);
	record->length = (uint32_t)length;
	record->kind = RECORD_MESSAGE;
	publish_up_to(ring, head + need);
	cached_publish_mix(ring, head + need); /* the next send's, while the consumer reads */
	refresh_tail_ahead(ring, need);
	return 0;
}

static int consumer_refresh_head(struct ivshmem_ring *ring)
{
	uint64_t head = __atomic_load_n(&ring->control->head, __ATOMIC_ACQUIRE);

	/* In-band publication runs ahead of the shared head for a moment: keep the later. */
	if (ring->inband && (int64_t)(head - ring->cached_head) < 0)
		head = ring->cached_head;

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

/* A low-latency consumer that finds the ring empty asks for the second line of the next
 * record (a hint, it never faults) while it polls the first: when the producer has written
 * both, they travel to this core together instead of one after the other. Measured: about
 * 15% off the one-way latency when the two cores are far apart; asking for the first line
 * too, or doing it on default rings, measured no better. */
static void prefetch_next_record(const struct ivshmem_ring *ring, uint64_t offset)
{
	__builtin_prefetch(ring->data + ((ring->read_cursor + offset) & (ring->capacity - 1)));
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

		if (ring->read_cursor == ring->cached_head && ring->inband) {
			/* Only the batch's first record is read: no trip to the head line. */
			uint64_t end = inband_end(ring, ring->read_cursor);

			if (!end || end - ring->released_tail > ring->capacity) {
				prefetch_next_record(ring, LAYOUT_CACHE_LINE);
				return IVSHMEM_ERR_EMPTY;
			}
			ring->cached_head = end;
		} else if (ring->read_cursor == ring->cached_head) {
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

			if (skip > available || length != skip - ring->header_bytes)
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
		*message_out = (const uint8_t *)record + ring->header_bytes;
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

/* General receive: peek, copy, release. */
static __attribute__((noinline)) int recv_general(struct ivshmem_ring *ring, void *buffer,
						  size_t capacity, size_t *length_out)
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

/* The receiving half of ivshmem_ring_send's one pass: a low-latency consumer with nothing
 * peeked and no reset asked for polls the next record's publish word; a well-formed message
 * that fits the buffer is copied and released here. Anything else (a batch already seen,
 * padding, a hostile record, a small buffer, bad arguments) goes to recv_general. */
IVSHMEM_EXPORT int ivshmem_ring_recv(struct ivshmem_ring *ring, void *buffer, size_t capacity,
				     size_t *length_out)
{
	const struct layout_record *record;
	uint64_t cursor, position, end, need;
	uint32_t length;

	if (!ring || !ring->inband || ring->role != IVSHMEM_RING_CONSUMER || !length_out ||
	    (capacity && !buffer))
		return recv_general(ring, buffer, capacity, length_out);
	cursor = ring->read_cursor;
	if (cursor != ring->cached_head || cursor != ring->released_tail ||
	    __atomic_load_n(&ring->control->reset_request, __ATOMIC_ACQUIRE) !=
		ring->reset_acknowledged)
		return recv_general(ring, buffer, capacity, length_out);
	end = inband_end(ring, cursor);
	if (!end) {
		prefetch_next_record(ring, LAYOUT_CACHE_LINE);
		return IVSHMEM_ERR_EMPTY;
	}
	position = cursor & (ring->capacity - 1);
	record = (const struct layout_record *)(ring->data + position);
	length = load_relaxed_u32(&record->length);
	need = record_bytes(ring, length);
	if (load_relaxed_u32(&record->kind) != RECORD_MESSAGE || length > ring->max_message ||
	    length > capacity || need > end - cursor || need > ring->capacity - position)
		return recv_general(ring, buffer, capacity, length_out);
	if (length)
		memcpy(buffer, (const uint8_t *)record + RECORD_INBAND_HEADER, length);
	*length_out = length;
	ring->cached_head = end;
	ring->read_cursor = ring->released_tail = cursor + need;
	/* A plain store, not a locked exchange: the producer has usually just read this
	 * line (refresh_tail_ahead), and a locked write would stall here until the line is
	 * back, before the application can answer (measured: about a tenth of the one-way
	 * latency on a 256-byte ring). Without the fence, a producer arming its sleep flag
	 * at this moment may miss this release; ring_wait covers that window. */
	__atomic_store_n(&ring->control->tail, cursor + need, __ATOMIC_RELEASE);
	wake_peer(ring, &ring->control->producer_waiting);
	return 0;
}

bool ring_ready(struct ivshmem_ring *ring, uint64_t total)
{
	if (ring->role == IVSHMEM_RING_CONSUMER)
		return ring->read_cursor != ring->cached_head ||
		       (int64_t)(__atomic_load_n(&ring->control->head, __ATOMIC_ACQUIRE) -
				 ring->read_cursor) > 0 ||
		       (ring->inband && inband_end(ring, ring->read_cursor));
	if (producer_has_room(ring, total))
		return true;
	return producer_refresh_tail(ring) == 0 && producer_has_room(ring, total);
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
