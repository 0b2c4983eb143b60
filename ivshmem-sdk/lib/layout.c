// SPDX-License-Identifier: BSD-3-Clause
/*
 * The self-describing header at offset 0, the peer table and the channel directory.
 * The header may have been written by anyone: it is copied once, then every field is
 * checked before any offset from it is used.
 */
#include <stddef.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "internal.h"

static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.' || c == ':' || c == '/';
}

/* Copies a NUL-terminated name of allowed characters that fits dst (with its NUL). */
int layout_copy_name(const char *src, char *dst, size_t dst_size, const char *what)
{
	size_t length = 0;

	if (!src)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "%s: no name given", what);
	while (length < dst_size && src[length])
		length++;
	if (length == 0 || length >= dst_size)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT,
				    "%s: name must be 1 to %zu characters", what, dst_size - 1);
	for (size_t i = 0; i < length; i++) {
		if (!name_char_ok(src[i]))
			return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT,
					    "%s: character 0x%02x not allowed in a name "
					    "(use A-Z a-z 0-9 _ - . : /)",
					    what, (unsigned char)src[i]);
	}
	memset(dst, 0, dst_size);
	memcpy(dst, src, length);
	return 0;
}

/* A name field from shared memory: must be terminated inside the field and clean. */
static int shared_name_ok(const char *field, size_t field_size)
{
	char copy[IVSHMEM_NAME_MAX];
	char checked[IVSHMEM_NAME_MAX];

	if (field_size > sizeof(copy))
		return 0;
	memcpy(copy, field, field_size);
	if (!memchr(copy, '\0', field_size))
		return 0;
	return layout_copy_name(copy, checked, field_size, "shared name") == 0;
}

int layout_validate(const uint8_t *base, uint64_t size, const char *where)
{
	struct layout_header header;

	if (size < IVSHMEM_MIN_REGION_SIZE)
		return ivshmem_fail(IVSHMEM_ERR_TOO_SMALL,
				    "%s: region is %llu bytes, the layout needs at least %u", where,
				    (unsigned long long)size, IVSHMEM_MIN_REGION_SIZE);
	memcpy(&header, base, sizeof(header));
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (header.ready == LAYOUT_INITIALISING)
		return ivshmem_fail(IVSHMEM_ERR_NOT_INITIALISED,
				    "%s: another peer is laying the region out", where);
	if (header.magic != LAYOUT_MAGIC) {
		static const uint8_t zero[sizeof(header)];

		if (memcmp(&header, zero, sizeof(header)) == 0)
			return ivshmem_fail(
			    IVSHMEM_ERR_NOT_INITIALISED,
			    "%s: region has no layout (all zero); run 'ivshmem init'", where);
		return ivshmem_fail(
		    IVSHMEM_ERR_CORRUPT, "%s: header magic is 0x%016llx, expected 0x%016llx", where,
		    (unsigned long long)header.magic, (unsigned long long)LAYOUT_MAGIC);
	}
	if (header.layout_version != IVSHMEM_LAYOUT_VERSION)
		return ivshmem_fail(IVSHMEM_ERR_VERSION,
				    "%s: region uses layout version %u, this library speaks %u",
				    where, header.layout_version, IVSHMEM_LAYOUT_VERSION);
	if (header.ready != LAYOUT_READY)
		return ivshmem_fail(IVSHMEM_ERR_NOT_INITIALISED,
				    "%s: layout initialisation never finished (ready=0x%08x)",
				    where, header.ready);
	if (header.region_size != size)
		return ivshmem_fail(
		    IVSHMEM_ERR_CORRUPT, "%s: header says %llu bytes but the mapping has %llu",
		    where, (unsigned long long)header.region_size, (unsigned long long)size);
	if (!shared_name_ok(header.name, sizeof(header.name)))
		return ivshmem_fail(IVSHMEM_ERR_CORRUPT,
				    "%s: region name is not terminated or has bad characters",
				    where);
	if (header.peer_slots != IVSHMEM_MAX_PEERS ||
	    header.channel_slots != IVSHMEM_MAX_CHANNELS ||
	    header.peer_table_offset != LAYOUT_PEER_TABLE ||
	    header.channel_directory_offset != LAYOUT_CHANNEL_DIR ||
	    header.doorbell_offset != LAYOUT_DOORBELLS || header.data_offset != LAYOUT_DATA_OFFSET)
		return ivshmem_fail(IVSHMEM_ERR_CORRUPT,
				    "%s: header geometry is wrong (peers %u, channels %u, "
				    "offsets %u/%u/%u/%llu)",
				    where, header.peer_slots, header.channel_slots,
				    header.peer_table_offset, header.channel_directory_offset,
				    header.doorbell_offset, (unsigned long long)header.data_offset);
	return 0;
}

static uint64_t fresh_epoch(void)
{
	struct timespec now;
	uint64_t random_bits = 0;

	clock_gettime(CLOCK_REALTIME, &now);
	if (getrandom(&random_bits, sizeof(random_bits), GRND_NONBLOCK) != sizeof(random_bits))
		random_bits = 0;
	/* Time keeps epochs ordered for people; the low random bits keep them unique. */
	return ((uint64_t)now.tv_sec << 20) ^ (random_bits & 0xfffffu);
}

static int check_layout_arguments(uint64_t size, const char *name, char *checked)
{
	if (size < IVSHMEM_MIN_REGION_SIZE)
		return ivshmem_fail(IVSHMEM_ERR_TOO_SMALL,
				    "region is %llu bytes, the layout needs at least %u",
				    (unsigned long long)size, IVSHMEM_MIN_REGION_SIZE);
	return layout_copy_name(name, checked, IVSHMEM_NAME_MAX, "region name");
}

/* Writes the layout of a region whose ready word the caller set to INITIALISING; peers
 * that look meanwhile see "being laid out", then READY, written last. */
static void write_layout(uint8_t *base, uint64_t size, const char *checked)
{
	struct layout_header *header = (struct layout_header *)base;
	size_t kept = offsetof(struct layout_header, region_size); /* magic, version, ready */

	memset(base + kept, 0, LAYOUT_DATA_OFFSET - kept);
	header->layout_version = IVSHMEM_LAYOUT_VERSION;
	header->region_size = size;
	header->creation_epoch = fresh_epoch();
	memcpy(header->name, checked, sizeof(header->name));
	header->peer_slots = IVSHMEM_MAX_PEERS;
	header->channel_slots = IVSHMEM_MAX_CHANNELS;
	header->peer_table_offset = LAYOUT_PEER_TABLE;
	header->channel_directory_offset = LAYOUT_CHANNEL_DIR;
	header->doorbell_offset = LAYOUT_DOORBELLS;
	header->data_offset = LAYOUT_DATA_OFFSET;
	header->allocation_cursor = 0;
	__atomic_store_n(&header->magic, LAYOUT_MAGIC, __ATOMIC_RELEASE);
	__atomic_store_n(&header->ready, LAYOUT_READY, __ATOMIC_RELEASE);
}

int layout_write(uint8_t *base, uint64_t size, const char *name)
{
	char checked[IVSHMEM_NAME_MAX];
	int error = check_layout_arguments(size, name, checked);

	if (error)
		return error;
	__atomic_store_n(&((struct layout_header *)base)->ready, LAYOUT_INITIALISING,
			 __ATOMIC_SEQ_CST);
	write_layout(base, size, checked);
	return 0;
}

int layout_initialise_once(uint8_t *base, uint64_t size, const char *name, const char *where,
			   uint32_t timeout_ms)
{
	struct layout_header *header = (struct layout_header *)base;
	char checked[IVSHMEM_NAME_MAX];
	uint32_t expected = 0;
	uint64_t start = ivshmem_now_ns();
	int error = name ? check_layout_arguments(size, name, checked) : 0;

	if (error)
		return error;
	if (name && __atomic_compare_exchange_n(&header->ready, &expected, LAYOUT_INITIALISING,
						false, __ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE)) {
		write_layout(base, size, checked);
		return 0;
	}
	/* Another peer took it: its layout is 16 KiB of stores away. */
	for (;;) {
		struct timespec pause = { 0, 1000000 };

		error = layout_validate(base, size, where);
		if (error != IVSHMEM_ERR_NOT_INITIALISED)
			return error;
		if (ivshmem_now_ns() - start > (uint64_t)timeout_ms * 1000000ull)
			return ivshmem_fail(IVSHMEM_ERR_BUSY,
					    "%s: another peer began laying the region out and has "
					    "not finished in %u ms; if it died, lay it out again "
					    "with 'ivshmem init --force'",
					    where, timeout_ms);
		nanosleep(&pause, NULL);
	}
}

struct layout_peer_slot *layout_peer_slot(struct ivshmem_region *region, int peer_id)
{
	if (!region->header || peer_id < 0 || peer_id >= IVSHMEM_MAX_PEERS)
		return NULL;
	return (struct layout_peer_slot *)(region->base + LAYOUT_PEER_TABLE) + peer_id;
}

struct layout_channel *layout_channel_slot(struct ivshmem_region *region, unsigned index)
{
	if (!region->header || index >= IVSHMEM_MAX_CHANNELS)
		return NULL;
	return (struct layout_channel *)(region->base + LAYOUT_CHANNEL_DIR) + index;
}

struct layout_doorbells *layout_doorbells_of(struct ivshmem_region *region, int peer_id)
{
	if (!region->header || peer_id < 0 || peer_id >= IVSHMEM_MAX_PEERS)
		return NULL;
	return (struct layout_doorbells *)(region->base + LAYOUT_DOORBELLS) + peer_id;
}

/* Checks a descriptor copy: everything a reader would use must lie inside the region. */
static int channel_copy_check(struct ivshmem_region *region, const struct layout_channel *copy,
			      unsigned index)
{
	uint64_t minimum = copy->kind == IVSHMEM_CHANNEL_RING ? sizeof(struct layout_ring) + 256
							      : sizeof(struct layout_mailbox) + 16;

	if (copy->kind != IVSHMEM_CHANNEL_RING && copy->kind != IVSHMEM_CHANNEL_MAILBOX)
		return ivshmem_fail(IVSHMEM_ERR_CORRUPT, "channel %u: unknown kind %u", index,
				    copy->kind);
	if (!shared_name_ok(copy->name, sizeof(copy->name)))
		return ivshmem_fail(IVSHMEM_ERR_CORRUPT, "channel %u: bad name", index);
	if (copy->offset < LAYOUT_DATA_OFFSET || copy->offset % LAYOUT_CACHE_LINE ||
	    copy->bytes < minimum || copy->bytes > region->size ||
	    copy->offset > region->size - copy->bytes)
		return ivshmem_fail(IVSHMEM_ERR_CORRUPT,
				    "channel %u: area %llu+%llu lies outside the %llu-byte region",
				    index, (unsigned long long)copy->offset,
				    (unsigned long long)copy->bytes,
				    (unsigned long long)region->size);
	if (copy->producer_peer < -1 || copy->producer_peer >= IVSHMEM_MAX_PEERS ||
	    copy->consumer_peer < -1 || copy->consumer_peer >= IVSHMEM_MAX_PEERS ||
	    copy->vector >= IVSHMEM_MAX_VECTORS)
		return ivshmem_fail(IVSHMEM_ERR_CORRUPT,
				    "channel %u: peers %d/%d or vector %u out of range", index,
				    copy->producer_peer, copy->consumer_peer, copy->vector);
	return 0;
}

/* Copies READY descriptor index; 1 if it is ready and valid, 0 if free, <0 on corruption. */
static int channel_read(struct ivshmem_region *region, unsigned index, struct layout_channel *copy)
{
	struct layout_channel *slot = layout_channel_slot(region, index);
	uint32_t state = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);

	if (state != CHANNEL_READY)
		return 0;
	/* state is another peer's compare-and-swap target at any time: read it atomically only */
	memcpy(&copy->kind, &slot->kind, sizeof(*copy) - offsetof(struct layout_channel, kind));
	copy->state = state;
	return channel_copy_check(region, copy, index) == 0 ? 1 : IVSHMEM_ERR_CORRUPT;
}

/* 1 if slot index is channel name, READY and valid (copied to copy); 0 if it is not that
 * channel (a corrupt slot of another name must not hide this one); <0 if it is, corrupt. */
static int match_channel(struct ivshmem_region *region, unsigned index, const char *name,
			 struct layout_channel *copy)
{
	int found = channel_read(region, index, copy);

	if (found == 0 || strncmp(copy->name, name, sizeof(copy->name)) != 0)
		return 0;
	if (found < 0)
		return ivshmem_fail(IVSHMEM_ERR_CORRUPT, "channel '%s' (slot %u): %s", name, index,
				    ivshmem_last_error_message());
	return 1;
}

int layout_find_channel(struct ivshmem_region *region, const char *name,
			struct layout_channel *copy)
{
	for (unsigned i = 0; i < IVSHMEM_MAX_CHANNELS; i++) {
		int found = match_channel(region, i, name, copy);

		if (found)
			return found < 0 ? found : (int)i;
	}
	return ivshmem_fail(IVSHMEM_ERR_NOT_FOUND, "no channel named '%s'", name);
}

/* Zeroing a large channel area reports progress every this many bytes. */
#define ZERO_CHUNK (16u << 20)

static uint64_t allocation_bytes(const struct channel_request *request)
{
	return (request->bytes + LAYOUT_ALLOCATION_ALIGN - 1) &
	       ~(uint64_t)(LAYOUT_ALLOCATION_ALIGN - 1);
}

/* 0 if the data area still has room for request at cursor, else NO_SPACE. */
static int check_room(const struct ivshmem_region *region, const char *name,
		      const struct channel_request *request, uint64_t cursor)
{
	uint64_t room = region->size - LAYOUT_DATA_OFFSET, rounded = allocation_bytes(request);

	if (cursor <= room && rounded <= room - cursor)
		return 0;
	return ivshmem_fail(IVSHMEM_ERR_NO_SPACE, "channel '%s' needs %llu bytes, %llu are left",
			    name, (unsigned long long)rounded,
			    (unsigned long long)(cursor > room ? 0 : room - cursor));
}

/* Allocates the claimed slot's area, writes its descriptor, zeroes the area and lets the
 * caller fill its control block, then publishes it. 1: a waiting peer presumed this
 * creator dead meanwhile and abandoned the claim, so the walk starts over. */
static int create_in_slot(struct ivshmem_region *region, unsigned index, uint32_t claim,
			  const char *name, const struct channel_request *request,
			  struct layout_channel *copy)
{
	struct layout_header *header = region->header;
	struct layout_channel *slot = layout_channel_slot(region, index);
	uint64_t cursor = __atomic_load_n(&header->allocation_cursor, __ATOMIC_ACQUIRE);
	uint32_t expected = claim;
	int error;

	/* A compare-and-swap loop (not fetch-add) so a failed allocation leaks nothing. The
	 * slot cannot be freed again (see CHANNEL_FREE): a creation that lost the space to
	 * another one in the moment since its check leaves it ABANDONED. */
	do {
		error = check_room(region, name, request, cursor);
		if (error) {
			__atomic_store_n(&slot->state, CHANNEL_ABANDONED, __ATOMIC_RELEASE);
			return error;
		}
	} while (!__atomic_compare_exchange_n(&header->allocation_cursor, &cursor,
					      cursor + allocation_bytes(request), false,
					      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	memset(copy, 0, sizeof(*copy));
	copy->kind = request->kind;
	strncpy(copy->name, name, sizeof(copy->name) - 1);
	copy->producer_peer = request->producer_peer;
	copy->consumer_peer = request->consumer_peer;
	copy->vector = request->vector;
	copy->offset = LAYOUT_DATA_OFFSET + cursor;
	copy->bytes = request->bytes;
	/* Everything but state and progress, which waiting peers read meanwhile (progress
	 * is still 0: a slot was never claimed before). */
	memcpy(&slot->kind, &copy->kind,
	       offsetof(struct layout_channel, creation_progress) -
		   offsetof(struct layout_channel, kind));
	memcpy(&slot->offset, &copy->offset,
	       sizeof(*copy) - offsetof(struct layout_channel, offset));
	for (uint64_t done = 0; done < request->bytes; done += ZERO_CHUNK) {
		uint64_t left = request->bytes - done;

		memset(region->base + copy->offset + done, 0,
		       left < ZERO_CHUNK ? left : ZERO_CHUNK);
		__atomic_fetch_add(&slot->creation_progress, 1, __ATOMIC_RELEASE);
	}
	if (request->initialise)
		request->initialise(region->base + copy->offset, request->argument);
	if (!__atomic_compare_exchange_n(&slot->state, &expected, CHANNEL_READY, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return 1; /* its area stays allocated: a slow peer may still be writing to it */
	copy->state = CHANNEL_READY;
	return 0;
}

/* How long a peer waits for another's creation of the same name. */
struct claim_watch {
	unsigned index;
	uint32_t progress;
	uint64_t progress_ns; /* when progress last moved */
	uint64_t started_ns;
};

/* Waits a moment for the claim at index (of this name's hash) to become READY. A claim
 * whose creator shows no progress for the peer timeout is abandoned: its creator died
 * between claiming and publishing. Progress for ever (a hostile peer) ends in BUSY. */
static int wait_for_claim(struct ivshmem_region *region, unsigned index, uint32_t claim,
			  const char *name, struct claim_watch *watch)
{
	struct layout_channel *slot = layout_channel_slot(region, index);
	uint32_t progress = __atomic_load_n(&slot->creation_progress, __ATOMIC_ACQUIRE);
	uint64_t timeout_ns = (uint64_t)region->peer_timeout_ms * 1000000ull;
	uint64_t now = ivshmem_now_ns();
	struct timespec pause = { 0, 20000 };

	if (watch->index != index) {
		*watch = (struct claim_watch){ index, progress, now, now };
	} else if (watch->progress != progress) {
		watch->progress = progress;
		watch->progress_ns = now;
	} else if (now - watch->progress_ns > timeout_ns) {
		uint32_t expected = claim;

		__atomic_compare_exchange_n(&slot->state, &expected, CHANNEL_ABANDONED, false,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
		return 0;
	}
	if (now - watch->started_ns > 10 * timeout_ns + 10000000000ull)
		return ivshmem_fail(IVSHMEM_ERR_BUSY,
				    "channel '%s': another peer has been creating it (directory "
				    "slot %u) for %llu ms",
				    name, index,
				    (unsigned long long)((now - watch->started_ns) / 1000000));
	nanosleep(&pause, NULL);
	return 0;
}

int layout_open_channel(struct ivshmem_region *region, const char *name,
			const struct channel_request *request, struct layout_channel *copy)
{
	uint32_t claim = channel_claim(name);
	struct claim_watch watch = { .index = IVSHMEM_MAX_CHANNELS };
	unsigned index = 0;

	while (index < IVSHMEM_MAX_CHANNELS) {
		struct layout_channel *slot = layout_channel_slot(region, index);
		uint32_t state = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);
		uint32_t expected = CHANNEL_FREE;
		int error;

		if (state == CHANNEL_READY) {
			int found = match_channel(region, index, name, copy);

			if (found)
				return found < 0 ? found : 0;
			index++;
		} else if (state == claim) {
			error = wait_for_claim(region, index, claim, name, &watch);
			if (error)
				return error;
		} else if (state != CHANNEL_FREE) {
			index++; /* another name's claim, an abandoned one, or garbage */
		} else if ((error = check_room(region, name, request,
					       __atomic_load_n(&region->header->allocation_cursor,
							       __ATOMIC_ACQUIRE)))) {
			return error;
		} else if (__atomic_compare_exchange_n(&slot->state, &expected, claim, false,
						       __ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE)) {
			error = create_in_slot(region, index, claim, name, request, copy);
			if (error <= 0)
				return error;
			index = 0; /* presumed dead meanwhile: someone else may have the name now */
		}
	}
	return ivshmem_fail(IVSHMEM_ERR_NO_SPACE, "channel directory full (%u channels)",
			    IVSHMEM_MAX_CHANNELS);
}

IVSHMEM_EXPORT int ivshmem_channel_list(struct ivshmem_region *region,
					struct ivshmem_channel_info *infos, size_t capacity)
{
	int count = 0;

	if (!region || (capacity && !infos))
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "channel_list: null argument");
	if (!region->header)
		return ivshmem_fail(IVSHMEM_ERR_NOT_INITIALISED, "region has no layout");
	for (unsigned i = 0; i < IVSHMEM_MAX_CHANNELS; i++) {
		struct layout_channel copy;
		struct ivshmem_channel_info *info;
		uint8_t *area;

		if (channel_read(region, i, &copy) != 1)
			continue;
		if ((size_t)count < capacity) {
			info = &infos[count];
			memset(info, 0, sizeof(*info));
			info->struct_size = sizeof(*info);
			memcpy(info->name, copy.name, sizeof(info->name));
			info->kind = (int32_t)copy.kind;
			info->producer_peer = copy.producer_peer;
			info->consumer_peer = copy.consumer_peer;
			info->vector = copy.vector;
			info->offset = copy.offset;
			area = region->base + copy.offset;
			if (copy.kind == IVSHMEM_CHANNEL_RING) {
				struct layout_ring *ring = (struct layout_ring *)area;
				uint64_t head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
				uint64_t tail = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);

				info->capacity = copy.bytes - sizeof(struct layout_ring);
				/* A low-latency ring's consumer can be past the shared head
				 * for a moment (it reads publications in the records). */
				info->used = head - tail <= info->capacity   ? head - tail
					     : tail - head <= info->capacity ? 0
									     : UINT64_MAX;
			} else {
				struct layout_mailbox *box = (struct layout_mailbox *)area;
				uint64_t version = __atomic_load_n(&box->version, __ATOMIC_ACQUIRE);

				/* Per slot, as mailbox_open derives it; used is the
				 * published slot's length (the other may be mid-write). */
				info->capacity = mailbox_slot_capacity(copy.bytes);
				info->used = load_relaxed_u32(&box->length[version & 1]);
			}
		}
		count++;
	}
	return count;
}
