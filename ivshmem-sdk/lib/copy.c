// SPDX-License-Identifier: BSD-3-Clause
/*
 * Copying large messages into a ring. The consumer read the ring's lines one lap ago, so
 * an ordinary copy must first take each line back from the consumer's core (a
 * read-for-ownership per line), and the consumer then fetches it from the producer's.
 * Between two cores of one cache complex that is cheap and memcpy is the fastest; between
 * distant cores it is not, and streaming (non-temporal) stores, which write to memory
 * without taking the lines, win. Measured on the 2-vCPU test host, 1 MiB messages: close
 * cores 32-35 GB/s with memcpy against 9-17 GB/s streaming; distant cores 3.3-3.9 GB/s
 * against 17-19 GB/s. A process cannot see which case holds (vCPUs move), and the
 * producer's own copy time does not tell it either (streaming is faster for the producer
 * in both cases; the consumer pays), so the choice is the application's:
 * IVSHMEM_RING_STREAMING when producer and consumer are known to be far apart (another
 * socket, another VM's vCPU).
 */
#include <string.h>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

#include "ring_private.h"

#define STREAMING_MIN_BYTES (64u * 1024u) /* smaller messages: memcpy, they stay in cache */

/* Streaming stores (SSE2, present on every x86-64), then a store fence: the fence orders
 * them before the publish that follows, as ordinary stores are ordered by x86 itself. */
static void copy_nontemporal(uint8_t *destination, const uint8_t *source, size_t length)
{
#if defined(__x86_64__)
	size_t misalignment = (16 - ((uintptr_t)destination & 15)) & 15;

	memcpy(destination, source, misalignment);
	destination += misalignment;
	source += misalignment;
	length -= misalignment;
	for (; length >= 64; length -= 64, destination += 64, source += 64) {
		__m128i a = _mm_loadu_si128((const __m128i *)source);
		__m128i b = _mm_loadu_si128((const __m128i *)(source + 16));
		__m128i c = _mm_loadu_si128((const __m128i *)(source + 32));
		__m128i d = _mm_loadu_si128((const __m128i *)(source + 48));

		_mm_stream_si128((__m128i *)destination, a);
		_mm_stream_si128((__m128i *)(destination + 16), b);
		_mm_stream_si128((__m128i *)(destination + 32), c);
		_mm_stream_si128((__m128i *)(destination + 48), d);
	}
	memcpy(destination, source, length);
	_mm_sfence();
#else
	memcpy(destination, source, length);
#endif
}

void copy_into_ring(const struct ivshmem_ring *ring, void *destination, const void *source,
		    size_t length)
{
	if (ring->streaming && length >= STREAMING_MIN_BYTES)
		copy_nontemporal(destination, source, length);
	else
		memcpy(destination, source, length);
}
