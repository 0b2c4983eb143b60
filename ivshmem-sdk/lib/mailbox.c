// SPDX-License-Identifier: BSD-3-Clause
/*
 * A mailbox holds one value; the latest write wins. It is double-buffered: the writer
 * fills the slot that is not published, then publishes it with one release store of the
 * version word (writes so far; bit 0 names the published slot). A writer that dies
 * mid-write therefore never touches what readers see: they keep the last complete value,
 * and the next writer (the same peer restarted, or another) simply goes on from the
 * word. One writer at a time: two concurrent writers would fill the same slot.
 *
 * A reader copies the published slot and re-reads the word; any change means retry. The
 * writer touches the slot being copied only after it has published the other one, so an
 * unchanged word proves the copy whole. Copies go word by word through relaxed atomics:
 * the reader races the writer on purpose, and the word check decides which copies count.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAILBOX_READ_ATTEMPTS 1000

static inline void cpu_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

struct ivshmem_mailbox {
	struct ivshmem_region *region;
	struct layout_mailbox *control;
	uint8_t *data;	   /* slot 0; slot 1 follows at data + capacity */
	uint32_t capacity; /* per slot, from the checked descriptor */
};

static uint8_t *slot_data(const struct ivshmem_mailbox *mailbox, uint64_t version)
{
	return mailbox->data + (version & 1) * (size_t)mailbox->capacity;
}

/* Fills a new mailbox's control block before other peers can see the mailbox. */
static void initialise_mailbox(uint8_t *area, const void *argument)
{
	((struct layout_mailbox *)area)->capacity = *(const uint32_t *)argument;
}

IVSHMEM_EXPORT int ivshmem_mailbox_open(struct ivshmem_region *region, const char *name,
					uint32_t capacity, struct ivshmem_mailbox **mailbox_out)
{
	char checked[IVSHMEM_CHANNEL_NAME_MAX];
	struct layout_channel channel;
	struct ivshmem_mailbox *mailbox;
	int error;

	if (!region || !mailbox_out)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "mailbox_open: null argument");
	*mailbox_out = NULL;
	if (!region->header)
		return ivshmem_fail(IVSHMEM_ERR_NOT_INITIALISED, "region has no layout");
	error = layout_copy_name(name, checked, sizeof(checked), "mailbox name");
	if (error)
		return error;
	error = layout_find_channel(region, checked, &channel);
	if (error == IVSHMEM_ERR_NOT_FOUND && capacity > 0) {
		if (capacity > (1u << 30))
			return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT,
					    "mailbox '%s': capacity %u above 1 GiB", checked,
					    capacity);
		capacity = (capacity + 7) & ~7u;
		const struct channel_request request = {
			.kind = IVSHMEM_CHANNEL_MAILBOX,
			.bytes = sizeof(struct layout_mailbox) + 2 * (uint64_t)capacity,
			.producer_peer = -1,
			.consumer_peer = -1,
			.initialise = initialise_mailbox,
			.argument = &capacity,
		};

		/* Another peer may be creating it at this moment: this finds or creates. */
		error = layout_open_channel(region, checked, &request, &channel);
	}
	if (error < 0)
		return error;
	if (channel.kind != IVSHMEM_CHANNEL_MAILBOX)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "channel '%s' is not a mailbox",
				    checked);
	mailbox = calloc(1, sizeof(*mailbox));
	if (!mailbox)
		return ivshmem_fail(IVSHMEM_ERR_NO_MEMORY, "mailbox: no memory");
	mailbox->region = region;
	mailbox->control = (struct layout_mailbox *)(region->base + channel.offset);
	mailbox->data = (uint8_t *)(mailbox->control + 1);
	mailbox->capacity = mailbox_slot_capacity(channel.bytes);
	ivshmem_clear_error();
	*mailbox_out = mailbox;
	return 0;
}

IVSHMEM_EXPORT void ivshmem_mailbox_close(struct ivshmem_mailbox *mailbox)
{
	free(mailbox);
}

static void copy_in(uint8_t *shared, const uint8_t *value, size_t length)
{
	size_t i = 0;

	for (; i + 8 <= length; i += 8) {
		uint64_t word;

		memcpy(&word, value + i, 8);
		__atomic_store_n((uint64_t *)(shared + i), word, __ATOMIC_RELAXED);
	}
	for (; i < length; i++)
		__atomic_store_n(shared + i, value[i], __ATOMIC_RELAXED);
}

static void copy_out(uint8_t *buffer, const uint8_t *shared, size_t length)
{
	size_t i = 0;

	for (; i + 8 <= length; i += 8) {
		uint64_t word = __atomic_load_n((const uint64_t *)(shared + i), __ATOMIC_RELAXED);

		memcpy(buffer + i, &word, 8);
	}
	for (; i < length; i++)
		buffer[i] = __atomic_load_n(shared + i, __ATOMIC_RELAXED);
}

IVSHMEM_EXPORT int ivshmem_mailbox_write(struct ivshmem_mailbox *mailbox, const void *value,
					 size_t length)
{
	uint64_t version, next;

	if (!mailbox || (length && !value))
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "mailbox_write: null argument");
	if (length > mailbox->capacity)
		return ivshmem_fail(IVSHMEM_ERR_MESSAGE_TOO_BIG,
				    "mailbox value of %zu bytes, capacity %u", length,
				    mailbox->capacity);
	/* Acquire: a restarted writer continues from what the previous one published. */
	version = __atomic_load_n(&mailbox->control->version, __ATOMIC_ACQUIRE);
	next = version + 1;
	if (next == 0) /* the count can not wrap in practice: someone wrote the word */
		return ivshmem_fail(IVSHMEM_ERR_CORRUPT, "mailbox version %llu can not advance",
				    (unsigned long long)version);
	/* Orders our slot stores after our earlier publish for readers that fence after
	 * copying: one that sees a byte of this write then sees the word move and retries. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	copy_in(slot_data(mailbox, next), value, length);
	__atomic_store_n(&mailbox->control->length[next & 1], (uint32_t)length, __ATOMIC_RELAXED);
	__atomic_store_n(&mailbox->control->version, next, __ATOMIC_RELEASE);
	return 0;
}

IVSHMEM_EXPORT int ivshmem_mailbox_read(struct ivshmem_mailbox *mailbox, void *buffer,
					size_t capacity, size_t *length_out, uint64_t *version_out)
{
	if (!mailbox || (capacity && !buffer) || !length_out)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "mailbox_read: null argument");
	for (int attempt = 0; attempt < MAILBOX_READ_ATTEMPTS; attempt++) {
		uint64_t before = __atomic_load_n(&mailbox->control->version, __ATOMIC_ACQUIRE);
		uint64_t after;
		uint32_t length;

		/* The per-slot length is hostile input: clamp the copy, judge after. */
		length = __atomic_load_n(&mailbox->control->length[before & 1], __ATOMIC_RELAXED);
		copy_out(buffer, slot_data(mailbox, before),
			 length <= capacity && length <= mailbox->capacity ? length : 0);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		after = __atomic_load_n(&mailbox->control->version, __ATOMIC_RELAXED);
		if (after < before) /* one writer only counts up */
			return ivshmem_fail(IVSHMEM_ERR_CORRUPT,
					    "mailbox version went back from %llu to %llu",
					    (unsigned long long)before, (unsigned long long)after);
		if (before != after) {
			cpu_pause();
			continue;
		}
		if (length > mailbox->capacity)
			return ivshmem_fail(IVSHMEM_ERR_CORRUPT,
					    "mailbox length %u exceeds its capacity %u", length,
					    mailbox->capacity);
		if (before == 0 && length != 0) /* never written, yet a value */
			return ivshmem_fail(IVSHMEM_ERR_CORRUPT,
					    "unwritten mailbox holds a value of %u bytes", length);
		*length_out = length;
		if (version_out)
			*version_out = before;
		if (length > capacity)
			return ivshmem_fail(IVSHMEM_ERR_BUFFER_TOO_SMALL,
					    "mailbox value of %u bytes, buffer of %zu", length,
					    capacity);
		return 0;
	}
	return ivshmem_fail(IVSHMEM_ERR_BUSY, "mailbox kept changing through %d read attempts",
			    MAILBOX_READ_ATTEMPTS);
}
