// SPDX-License-Identifier: BSD-3-Clause
/*
 * Copying large messages into a ring. The consumer read the ring's lines one lap ago, so
 * an ordinary copy must first take each line back from the consumer's core (a
 * read-for-ownership per line), and the consumer then fetches it from the producer's.
 * Between two cores of one cache complex that is cheap and memcpy is the fastest; between
 * distant cores it is not, and streaming (non-temporal) stores, which write to memory
 * without taking the lines, win. Measured on the 2-vCPU test host, 1 MiB messages: close
 * cores 32-38 GB/s with memcpy against 9-17 GB/s streaming; distant cores 3.3-3.9 GB/s
 * against 13-21 GB/s.
 *
 * Which case holds cannot be read off the machine (vCPUs move, and a VM does not see the
 * host's topology), and the producer's own copy time does not tell it either: streaming
 * is the faster copy for the producer in both cases, the consumer pays. What does tell is
 * the rate the producer achieves end to end: its copy time plus the time it waited for
 * room, which is the consumer's pace once the ring is full. So by default the producer
 * measures that rate with each method in turn and keeps the faster, probing the other
 * again now and then (the vCPUs may have moved), less often each time the probe confirms
 * the choice. A method's effect shows only once the ring holds its data, so a lap of
 * sends after each change is not measured. IVSHMEM_RING_CACHED and IVSHMEM_RING_STREAMING
 * fix the method instead, for applications that know their placement or that need the
 * latency of cached data rather than the best rate.
 */
#include <string.h>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

#include "ring_private.h"

#define EPOCH_MIN_BYTES (4ull << 20) /* at least, and two laps: enough sends to time */
#define PROBE_FIRST	8u	     /* exploit epochs before the first re-probe... */
#define PROBE_MOST	256u	     /* ...doubling per confirmation, up to this */
#define SWITCH_MARGIN	1.15	     /* the other method must be this much faster */
/* A wait longer than 10 ms plus 10 ns a byte (a consumer slower than 0.1 GB/s) is a
 * consumer that paused, not its pace: that send is not counted. A probe that meets this
 * many of them ends without a verdict (it could otherwise never finish). */
#define STALL_NS	  (10ull * 1000000ull)
#define STALL_NS_PER_BYTE 10u
#define PROBE_STALLS_MOST 8u

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

void copy_policy_init(struct copy_policy *policy, uint32_t flags, uint64_t capacity)
{
	memset(policy, 0, sizeof(*policy));
	policy->adaptive = !(flags & (IVSHMEM_RING_CACHED | IVSHMEM_RING_STREAMING));
	policy->chosen = policy->current =
	    flags & IVSHMEM_RING_STREAMING ? COPY_STREAMING : COPY_CACHED;
	policy->lap_bytes = capacity;
	policy->epoch_bytes = 2 * capacity > EPOCH_MIN_BYTES ? 2 * capacity : EPOCH_MIN_BYTES;
	/* The first lap also takes the page faults on the ring: not a method's cost. */
	policy->skip_bytes = capacity;
	policy->probe_interval = PROBE_FIRST;
	policy->epochs_to_probe = 1; /* the other method is measured after two epochs */
}

void copy_note_full(struct copy_policy *policy, size_t length, uint64_t now_ns)
{
	if (policy->adaptive && length >= COPY_LARGE_BYTES && !policy->full_since_ns)
		policy->full_since_ns = now_ns;
}

static void switch_to(struct copy_policy *policy, uint8_t method)
{
	policy->current = method;
	policy->skip_bytes = policy->lap_bytes;
	policy->measured_bytes = policy->measured_ns = 0;
	policy->stalls = 0;
}

/* Back to the chosen method after a probe, on the schedule the probe interrupted if it
 * came out of turn. */
static void end_probe(struct copy_policy *policy)
{
	policy->epochs_to_probe =
	    policy->resume_epochs ? policy->resume_epochs : policy->probe_interval;
	policy->resume_epochs = 0;
	switch_to(policy, policy->chosen);
}

/* An epoch of the current method has been measured: decide what the next one uses. */
static void end_epoch(struct copy_policy *policy)
{
	uint8_t current = policy->current, other = !current;
	double rate = (double)policy->measured_bytes / (double)policy->measured_ns;

	policy->measured_bytes = policy->measured_ns = 0;
	policy->stalls = 0;
	if (current != policy->chosen) { /* a probe ended */
		policy->rate[current] = rate;
		if (rate > policy->chosen_rate * SWITCH_MARGIN) { /* it stays, probing anew */
			policy->chosen = current;
			policy->chosen_rate = rate;
			policy->probe_interval = policy->epochs_to_probe = PROBE_FIRST;
			policy->resume_epochs = 0;
			policy->switches++;
			return;
		}
		if (policy->probe_interval < PROBE_MOST && !policy->resume_epochs)
			policy->probe_interval *= 2;
		end_probe(policy);
		return;
	}
	/* Half the recent rate: the vCPUs may have moved apart. The other method is probed
	 * now, not at its turn (which may be 256 epochs away); a probe that finds nothing
	 * better leaves the schedule as it was, so passing dips cost one probe each. */
	bool dropped = rate * 2 < policy->chosen_rate;

	/* The better of its last two epochs: one slowed by something else (the host, the
	 * first lap's cold caches) must not hand the choice to the other method. */
	policy->chosen_rate = rate > policy->rate[current] ? rate : policy->rate[current];
	policy->rate[current] = rate;
	if (policy->epochs_to_probe == 0 || dropped) {
		if (policy->epochs_to_probe)
			policy->resume_epochs = policy->epochs_to_probe;
		switch_to(policy, other);
		return;
	}
	policy->epochs_to_probe--;
}

void copy_policy_account(struct copy_policy *policy, size_t length, uint64_t start_ns,
			 uint64_t end_ns)
{
	uint64_t waited = policy->full_since_ns && start_ns > policy->full_since_ns
			      ? start_ns - policy->full_since_ns
			      : 0;

	policy->full_since_ns = 0;
	if (!policy->adaptive)
		return;
	if (policy->skip_bytes) {
		policy->skip_bytes -= length < policy->skip_bytes ? length : policy->skip_bytes;
		return;
	}
	if (waited > STALL_NS + (uint64_t)length * STALL_NS_PER_BYTE) {
		if (policy->current != policy->chosen && ++policy->stalls >= PROBE_STALLS_MOST)
			end_probe(policy);
		return;
	}
	policy->measured_bytes += length;
	policy->measured_ns += (end_ns > start_ns ? end_ns - start_ns : 0) + waited;
	/* A probe measures half as long: it is usually the slower method. */
	if (policy->measured_bytes >= (policy->current == policy->chosen
					   ? policy->epoch_bytes
					   : policy->epoch_bytes / 2) &&
	    policy->measured_ns)
		end_epoch(policy);
}

void copy_into_ring(struct ivshmem_ring *ring, void *destination, const void *source, size_t length)
{
	struct copy_policy *policy = &ring->copy;
	uint64_t start_ns;

	if (length < COPY_LARGE_BYTES) {
		memcpy(destination, source, length);
		policy->full_since_ns = 0; /* a large send given up: its wait ends here */
		return;
	}
	start_ns = policy->adaptive ? ivshmem_now_ns() : 0;
	if (policy->current == COPY_STREAMING)
		copy_nontemporal(destination, source, length);
	else
		memcpy(destination, source, length);
	if (policy->adaptive)
		copy_policy_account(policy, length, start_ns, ivshmem_now_ns());
}
