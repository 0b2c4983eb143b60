// SPDX-License-Identifier: BSD-3-Clause
/*
 * Copying large messages into a ring. The consumer read the ring's lines one lap ago, so
 * an ordinary copy must first take each line back from the consumer's core (a
 * read-for-ownership per line). Between two cores of one cache complex that is cheap and
 * memcpy is the fastest; between distant cores it is not (measured on the 2-vCPU test
 * host: 3.3-3.9 GB/s with memcpy, 17-19 GB/s with non-temporal stores, which write to
 * memory without taking the lines; and 32-35 GB/s against 9-17 GB/s the other way round
 * when the cores are close). Which case holds is not visible to a process (vCPUs move),
 * so ivshmem_ring_send times its own copies of large messages, keeps a moving average per
 * method, tries the other method now and then, and uses the faster.
 */
#include <string.h>
#include <time.h>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

#include "ring_private.h"

#define LARGE_COPY_BYTES (64u * 1024u) /* below this, memcpy: the clock would cost more */
#define PROBE_EVERY	 32u	       /* every 32nd large copy tries the other method */

static uint64_t monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

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

void copy_into_ring(struct copy_choice *choice, void *destination, const void *source,
		    size_t length)
{
	uint32_t method = choice->method;
	uint64_t start, per_kib;

	if (length < LARGE_COPY_BYTES) {
		memcpy(destination, source, length);
		return;
	}
	/* Each method gets a first sample, then the other one is probed now and then. */
	if (!choice->ns_per_kib[1])
		method = 1;
	else if (!choice->ns_per_kib[0])
		method = 0;
	else if (++choice->large_copies % PROBE_EVERY == 0)
		method ^= 1;
	start = monotonic_ns();
	if (method)
		copy_nontemporal(destination, source, length);
	else
		memcpy(destination, source, length);
	per_kib = ((monotonic_ns() - start) << 10) / length + 1;
	/* A moving average over about four copies: vCPUs move, so old figures fade. */
	choice->ns_per_kib[method] =
	    choice->ns_per_kib[method] ? (3 * choice->ns_per_kib[method] + per_kib) / 4 : per_kib;
	/* Switch only for a clear win (10%), so noise does not flip the choice each time. */
	if (choice->ns_per_kib[0] && choice->ns_per_kib[1]) {
		uint32_t other = choice->method ^ 1;

		if (10 * choice->ns_per_kib[other] < 9 * choice->ns_per_kib[choice->method])
			choice->method = other;
	}
}
