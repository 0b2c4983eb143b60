// SPDX-License-Identifier: BSD-3-Clause
/*
 * A mailbox holds one value; the latest write wins. A sequence counter (odd while the
 * writer is inside) lets readers detect a torn copy and retry, so a reader never blocks
 * the writer. Copies go word by word through relaxed atomics: the reader races the writer
 * on purpose, and the sequence check decides which copies count.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAILBOX_READ_ATTEMPTS 1000

struct ivshmem_mailbox {
	struct ivshmem_region *region;
	struct layout_mailbox *control;
	uint8_t *data;
	uint32_t capacity;
};

IVSHMEM_EXPORT int ivshmem_mailbox_open(struct ivshmem_region *region, const char *name,
					uint32_t capacity, struct ivshmem_mailbox **mailbox_out)
{
	char checked[IVSHMEM_CHANNEL_NAME_MAX];
	struct layout_channel channel;
	struct ivshmem_mailbox *mailbox;
	uint64_t area_capacity;
	unsigned index;
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
		error = layout_create_channel(region, checked, IVSHMEM_CHANNEL_MAILBOX,
					      sizeof(struct layout_mailbox) + capacity, -1, -1, 0,
					      &channel, &index);
		if (error)
			return error;
		((struct layout_mailbox *)(region->base + channel.offset))->capacity = capacity;
		layout_publish_channel(region, index);
	} else if (error < 0) {
		return error;
	} else if (channel.kind != IVSHMEM_CHANNEL_MAILBOX) {
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "channel '%s' is not a mailbox",
				    checked);
	}
	area_capacity = channel.bytes - sizeof(struct layout_mailbox);
	mailbox = calloc(1, sizeof(*mailbox));
	if (!mailbox)
		return ivshmem_fail(IVSHMEM_ERR_NO_MEMORY, "mailbox: no memory");
	mailbox->region = region;
	mailbox->control = (struct layout_mailbox *)(region->base + channel.offset);
	mailbox->data = (uint8_t *)(mailbox->control + 1);
	/* The descriptor (already bounds-checked) decides the capacity, not the control. */
	mailbox->capacity = (uint32_t)(area_capacity & ~(uint64_t)7);
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
	uint32_t sequence;

	if (!mailbox || (length && !value))
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "mailbox_write: null argument");
	if (length > mailbox->capacity)
		return ivshmem_fail(IVSHMEM_ERR_MESSAGE_TOO_BIG,
				    "mailbox value of %zu bytes, capacity %u", length,
				    mailbox->capacity);
	sequence = __atomic_load_n(&mailbox->control->sequence, __ATOMIC_RELAXED);
	sequence |= 1; /* odd: writer inside (also repairs a writer that died inside) */
	__atomic_store_n(&mailbox->control->sequence, sequence, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	copy_in(mailbox->data, value, length);
	__atomic_store_n(&mailbox->control->length, (uint32_t)length, __ATOMIC_RELAXED);
	__atomic_fetch_add(&mailbox->control->version, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&mailbox->control->sequence, sequence + 1, __ATOMIC_RELEASE);
	return 0;
}

IVSHMEM_EXPORT int ivshmem_mailbox_read(struct ivshmem_mailbox *mailbox, void *buffer,
					size_t capacity, size_t *length_out, uint64_t *version_out)
{
	if (!mailbox || (capacity && !buffer) || !length_out)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "mailbox_read: null argument");
	for (int attempt = 0; attempt < MAILBOX_READ_ATTEMPTS; attempt++) {
		uint32_t before = __atomic_load_n(&mailbox->control->sequence, __ATOMIC_ACQUIRE);
		uint32_t length, after;
		uint64_t version;

		if (before & 1) {
			__builtin_ia32_pause();
			continue;
		}
		length = __atomic_load_n(&mailbox->control->length, __ATOMIC_RELAXED);
		version = __atomic_load_n(&mailbox->control->version, __ATOMIC_RELAXED);
		/* A length read mid-write may be garbage: clamp the copy, judge after. */
		copy_out(buffer, mailbox->data,
			 length <= capacity && length <= mailbox->capacity ? length : 0);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		after = __atomic_load_n(&mailbox->control->sequence, __ATOMIC_RELAXED);
		if (before != after)
			continue;
		if (length > mailbox->capacity)
			return ivshmem_fail(IVSHMEM_ERR_CORRUPT,
					    "mailbox length %u exceeds its capacity %u", length,
					    mailbox->capacity);
		*length_out = length;
		if (version_out)
			*version_out = version;
		if (length > capacity)
			return ivshmem_fail(IVSHMEM_ERR_BUFFER_TOO_SMALL,
					    "mailbox value of %u bytes, buffer of %zu", length,
					    capacity);
		return 0;
	}
	return ivshmem_fail(IVSHMEM_ERR_BUSY, "mailbox kept changing through %d read attempts",
			    MAILBOX_READ_ATTEMPTS);
}
