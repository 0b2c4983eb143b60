// SPDX-License-Identifier: BSD-3-Clause
/*
 * ivshmem-filexfer: moves a file over a ring, zero-copy on the sending side, with a
 * 64-bit FNV-1a checksum the receiver verifies.
 *   ivshmem-filexfer send REGION ME PEER FILE
 *   ivshmem-filexfer recv REGION ME PEER OUTPUT
 * Messages: a header {magic, size}, data chunks, a trailer {magic, checksum}.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ivshmem.h>

#define CHUNK	      (60u * 1024u)
#define HEADER_MAGIC  0x52444846u /* "FHDR" */
#define TRAILER_MAGIC 0x4c525446u /* "FTRL" */
#define WAIT_NS	      30000000000ull

struct file_header {
	uint32_t magic;
	uint32_t reserved;
	uint64_t size;
};

struct file_trailer {
	uint32_t magic;
	uint32_t reserved;
	uint64_t checksum;
};

static uint64_t fnv1a(uint64_t hash, const uint8_t *data, size_t length)
{
	for (size_t i = 0; i < length; i++)
		hash = (hash ^ data[i]) * 0x100000001b3ull;
	return hash;
}

static int fail(const char *what, int error)
{
	fprintf(stderr, "ivshmem-filexfer: %s: %s (%s)\n", what, ivshmem_strerror(error),
		ivshmem_last_error_message());
	return 1;
}

static int send_file(struct ivshmem_region *region, int me, int peer, const char *path)
{
	struct ivshmem_ring_options options;
	struct ivshmem_ring *ring;
	struct file_header header = { HEADER_MAGIC, 0, 0 };
	struct file_trailer trailer = { TRAILER_MAGIC, 0, 0xcbf29ce484222325ull };
	FILE *input = fopen(path, "rb");
	int error;

	if (!input)
		return fprintf(stderr, "ivshmem-filexfer: %s: %s\n", path, strerror(errno)), 1;
	fseek(input, 0, SEEK_END);
	header.size = (uint64_t)ftell(input);
	fseek(input, 0, SEEK_SET);
	ivshmem_ring_options_init(&options);
	options.capacity = 256 * 1024;
	options.producer_peer = me;
	options.consumer_peer = peer;
	error = ivshmem_ring_open(region, "file", IVSHMEM_RING_PRODUCER, &options, &ring);
	if (!error)
		error = ivshmem_ring_send_wait(ring, &header, sizeof(header), WAIT_NS);
	for (uint64_t sent = 0; !error && sent < header.size;) {
		size_t want = header.size - sent < CHUNK ? (size_t)(header.size - sent) : CHUNK;
		void *slot;

		/* Read the file straight into the ring: no bounce buffer. */
		error = ivshmem_ring_reserve(ring, want, &slot);
		if (error == IVSHMEM_ERR_FULL) {
			error = ivshmem_ring_wait(ring, want, WAIT_NS);
			continue;
		}
		if (error)
			break;
		if (fread(slot, 1, want, input) != want) {
			fclose(input);
			return fprintf(stderr, "ivshmem-filexfer: short read of %s\n", path), 1;
		}
		trailer.checksum = fnv1a(trailer.checksum, slot, want);
		ivshmem_ring_commit(ring, want);
		ivshmem_ring_publish(ring);
		sent += want;
	}
	if (!error)
		error = ivshmem_ring_send_wait(ring, &trailer, sizeof(trailer), WAIT_NS);
	fclose(input);
	if (error)
		return fail("send", error);
	printf("sent %llu bytes, checksum %016llx\n", (unsigned long long)header.size,
	       (unsigned long long)trailer.checksum);
	ivshmem_ring_close(ring);
	return 0;
}

static int receive_file(struct ivshmem_region *region, const char *path)
{
	struct ivshmem_ring *ring = NULL;
	struct file_header header;
	struct file_trailer trailer;
	uint64_t checksum = 0xcbf29ce484222325ull, received = 0;
	static uint8_t buffer[CHUNK];
	size_t length;
	FILE *output;
	int error;

	for (int tries = 0; tries < 3000; tries++) {
		struct timespec pause = { 0, 10000000 };

		error = ivshmem_ring_open(region, "file", IVSHMEM_RING_CONSUMER, NULL, &ring);
		if (error != IVSHMEM_ERR_NOT_FOUND)
			break;
		nanosleep(&pause, NULL);
	}
	if (error)
		return fail("file ring", error);
	error = ivshmem_ring_recv_wait(ring, &header, sizeof(header), &length, WAIT_NS);
	if (error)
		return fail("header", error);
	if (length != sizeof(header) || header.magic != HEADER_MAGIC)
		return fprintf(stderr, "ivshmem-filexfer: not a file header\n"), 1;
	output = fopen(path, "wb");
	if (!output)
		return fprintf(stderr, "ivshmem-filexfer: %s: %s\n", path, strerror(errno)), 1;
	while (received < header.size) {
		error = ivshmem_ring_recv_wait(ring, buffer, sizeof(buffer), &length, WAIT_NS);
		if (error || length == 0 || length > header.size - received) {
			fclose(output);
			return error ? fail("data", error)
				     : (fprintf(stderr, "ivshmem-filexfer: bad chunk\n"), 1);
		}
		checksum = fnv1a(checksum, buffer, length);
		fwrite(buffer, 1, length, output);
		received += length;
	}
	fclose(output);
	error = ivshmem_ring_recv_wait(ring, &trailer, sizeof(trailer), &length, WAIT_NS);
	if (error)
		return fail("trailer", error);
	if (length != sizeof(trailer) || trailer.magic != TRAILER_MAGIC ||
	    trailer.checksum != checksum) {
		fprintf(stderr,
			"ivshmem-filexfer: checksum mismatch: got %016llx, sender %016llx\n",
			(unsigned long long)checksum, (unsigned long long)trailer.checksum);
		return 1;
	}
	printf("received %llu bytes, checksum %016llx ok\n", (unsigned long long)received,
	       (unsigned long long)checksum);
	ivshmem_ring_close(ring);
	return 0;
}

int main(int argc, char **argv)
{
	struct ivshmem_open_options options;
	struct ivshmem_region *region;
	int error, status;

	if (argc != 6 || (strcmp(argv[1], "send") && strcmp(argv[1], "recv"))) {
		fprintf(stderr, "usage: ivshmem-filexfer send|recv REGION ME PEER FILE\n");
		return 2;
	}
	ivshmem_open_options_init(&options);
	options.peer_id = atoi(argv[3]);
	error = ivshmem_open(argv[2], &options, &region);
	if (error)
		return fail(argv[2], error);
	status = strcmp(argv[1], "send") == 0
		     ? send_file(region, options.peer_id, atoi(argv[4]), argv[5])
		     : receive_file(region, argv[5]);
	ivshmem_close(region);
	return status;
}
