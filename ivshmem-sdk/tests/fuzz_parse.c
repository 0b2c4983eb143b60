// SPDX-License-Identifier: BSD-3-Clause
/*
 * libFuzzer target: a valid region with a ring full of messages and a mailbox, then the
 * input patches arbitrary bytes anywhere in it (as a hostile peer could), then every
 * reader runs: header validation, channel lookup and listing, ring consumption (a default
 * ring through peek, a low-latency one through recv's one-pass path and peek), mailbox
 * reads, the peer table, and the creation of a new channel over the patched directory.
 * Any out-of-bounds access is a bug the sanitizers report.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ivshmem.h"

#define REGION_BYTES (64u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ivshmem_region *fake_region(uint8_t *memory)
{
	struct ivshmem_region *region = calloc(1, sizeof(*region));

	region->base = memory;
	region->size = REGION_BYTES;
	region->mapping = IVSHMEM_MAPPING_LOOPBACK;
	region->device_fd = -1;
	region->server_socket = -1;
	region->peer_id = -1;
	region->peer_timeout_ms = 1;
	for (int v = 0; v < IVSHMEM_MAX_VECTORS; v++)
		region->vector_fds[v] = -1;
	return region;
}

static void populate(uint8_t *memory)
{
	struct ivshmem_region *region = fake_region(memory);
	struct ivshmem_ring_options options;
	struct ivshmem_ring *ring;
	struct ivshmem_mailbox *mailbox;

	memset(memory, 0, REGION_BYTES);
	layout_write(memory, REGION_BYTES, "fuzz");
	region->header = (struct layout_header *)memory;
	ivshmem_ring_options_init(&options);
	options.capacity = 4096;
	options.consumer_peer = -1; /* no doorbells from the fuzzer */
	options.producer_peer = -1;
	if (ivshmem_ring_open(region, "r", IVSHMEM_RING_PRODUCER, &options, &ring) == 0) {
		for (unsigned i = 0; i < 40; i++)
			ivshmem_ring_send(ring, memory, 13 * i % 300);
		ivshmem_ring_close(ring);
	}
	/* A low-latency ring: single sends (recv's one-pass path) and a batch of three. */
	options.flags = IVSHMEM_RING_LOW_LATENCY;
	if (ivshmem_ring_open(region, "l", IVSHMEM_RING_PRODUCER, &options, &ring) == 0) {
		void *slot;

		for (unsigned i = 0; i < 12; i++)
			ivshmem_ring_send(ring, memory, 29 * i % 200);
		for (unsigned i = 0; i < 3; i++)
			if (ivshmem_ring_reserve(ring, 40 + i, &slot) == 0)
				ivshmem_ring_commit(ring, 40 + i);
		ivshmem_ring_publish(ring);
		ivshmem_ring_close(ring);
	}
	if (ivshmem_mailbox_open(region, "m", 64, &mailbox) == 0) {
		ivshmem_mailbox_write(mailbox, "state", 5);
		ivshmem_mailbox_close(mailbox);
	}
	free(region);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *memory;
	struct ivshmem_region *region;
	struct ivshmem_channel_info infos[IVSHMEM_MAX_CHANNELS];
	struct ivshmem_peer_change changes[IVSHMEM_MAX_PEERS];
	struct ivshmem_ring *ring;
	struct ivshmem_mailbox *mailbox;
	uint8_t buffer[4096];

	if (!memory)
		memory = aligned_alloc(4096, REGION_BYTES);
	populate(memory);
	/* Patches: 2-byte offset, 1-byte length, bytes. */
	for (size_t at = 0; at + 3 <= size;) {
		size_t offset = (size_t)data[at] | (size_t)data[at + 1] << 8;
		size_t length = data[at + 2];

		at += 3;
		if (length > size - at)
			length = size - at;
		if (offset + length > REGION_BYTES)
			length = REGION_BYTES - offset;
		memcpy(memory + offset, data + at, length);
		at += length;
	}
	if (layout_validate(memory, REGION_BYTES, "fuzz") != 0)
		return 0;
	region = fake_region(memory);
	region->header = (struct layout_header *)memory;
	ivshmem_channel_list(region, infos, IVSHMEM_MAX_CHANNELS);
	ivshmem_peers_poll(region, changes, IVSHMEM_MAX_PEERS);
	if (ivshmem_ring_open(region, "r", IVSHMEM_RING_CONSUMER, NULL, &ring) == 0) {
		for (int i = 0; i < 100; i++) {
			const void *message;
			size_t length;

			if (ivshmem_ring_peek(ring, &message, &length) != 0)
				break;
			/* Touch every byte the ring said was ours. */
			memcpy(buffer, message, length < sizeof(buffer) ? length : sizeof(buffer));
			if (length > ivshmem_ring_max_message(ring))
				abort();
		}
		ivshmem_ring_release(ring);
		ivshmem_ring_close(ring);
	}
	if (ivshmem_ring_open(region, "l", IVSHMEM_RING_CONSUMER, NULL, &ring) == 0) {
		for (int i = 0; i < 100; i++) {
			const void *message;
			size_t length;
			int error = i % 3 ? ivshmem_ring_recv(ring, buffer, sizeof(buffer), &length)
					  : ivshmem_ring_peek(ring, &message, &length);

			if (error == IVSHMEM_ERR_BUFFER_TOO_SMALL)
				continue;
			if (error != 0)
				break;
			if (length > ivshmem_ring_max_message(ring) || length > sizeof(buffer))
				abort();
			if (i % 3 == 0) {
				memcpy(buffer, message, length);
				ivshmem_ring_release(ring);
			}
		}
		ivshmem_ring_close(ring);
	}
	if (ivshmem_mailbox_open(region, "m", 0, &mailbox) == 0) {
		size_t length;

		ivshmem_mailbox_read(mailbox, buffer, sizeof(buffer), &length, NULL);
		ivshmem_mailbox_close(mailbox);
	}
	/* Creation walks the hostile directory: garbage states, claims of any hash (this
	 * region's peer timeout is 1 ms, so a stuck one is abandoned at once), a hostile
	 * allocation cursor. */
	if (ivshmem_mailbox_open(region, "new", 64, &mailbox) == 0) {
		size_t length;

		ivshmem_mailbox_write(mailbox, data, size < 64 ? size : 64);
		ivshmem_mailbox_read(mailbox, buffer, sizeof(buffer), &length, NULL);
		ivshmem_mailbox_close(mailbox);
	}
	free(region);
	return 0;
}
