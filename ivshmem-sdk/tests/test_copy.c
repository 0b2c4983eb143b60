// SPDX-License-Identifier: BSD-3-Clause
/* How a producer copies large messages: the policy that picks memcpy or streaming stores
 * by the rate each achieves (driven here with made-up timings, so every placement the
 * test host cannot produce on demand is covered), the flags that fix the method, and
 * every byte delivered whichever method copies it. */
#include "test_support.h"

#include "ring_private.h"

#define MIB  (1ull << 20)
#define RING (8ull * MIB)

/* GB/s (bytes per ns) each method achieves end to end, as measured on the test host. */
static const double close_rates[2] = { [COPY_CACHED] = 35, [COPY_STREAMING] = 15 };
static const double distant_rates[2] = { [COPY_CACHED] = 3.5, [COPY_STREAMING] = 15 };

/* Sends total bytes in 1 MiB messages through the policy; a message copied with method m
 * costs MIB / rate[m] ns, half of it waiting for room (the consumer's pace shows there
 * once the ring is full), half copying. bytes[m] counts what each method copied. */
static void feed(struct copy_policy *policy, const double rate[2], uint64_t total,
		 uint64_t bytes[2], uint64_t *clock_ns)
{
	for (uint64_t sent = 0; sent < total; sent += MIB) {
		uint8_t method = policy->current;
		uint64_t half = (uint64_t)((double)MIB / rate[method] / 2);

		copy_note_full(policy, MIB, *clock_ns);
		*clock_ns += half;
		copy_policy_account(policy, MIB, *clock_ns, *clock_ns + half);
		*clock_ns += half;
		bytes[method] += MIB;
	}
}

/* Close cores: memcpy 35 GB/s, streaming 15. The policy probes streaming once, early,
 * then stays with memcpy, probing less and less often. */
static void test_close_cores_keep_memcpy(void **state)
{
	const double *rate = close_rates;
	uint64_t bytes[2] = { 0, 0 }, clock_ns = 1;
	struct copy_policy policy;

	(void)state;
	copy_policy_init(&policy, 0, RING);
	assert_true(policy.adaptive);
	assert_int_equal(policy.current, COPY_CACHED);
	feed(&policy, rate, 64 * MIB, bytes, &clock_ns);
	assert_int_equal(policy.chosen, COPY_CACHED);
	assert_true(bytes[COPY_STREAMING] > 0); /* it did look */
	memset(bytes, 0, sizeof(bytes));
	feed(&policy, rate, 16384 * MIB, bytes, &clock_ns);
	assert_int_equal(policy.chosen, COPY_CACHED);
	assert_int_equal(policy.switches, 0);
	assert_int_equal(policy.probe_interval, 256);
	/* Probes of the slower method cost under 2% of 16 GiB. */
	assert_true(bytes[COPY_STREAMING] * 50 < bytes[COPY_CACHED]);
}

/* Distant cores: memcpy 3.5 GB/s, streaming 15. The policy moves to streaming after its
 * first two epochs; later probes of memcpy cost little. */
static void test_distant_cores_move_to_streaming(void **state)
{
	const double *rate = distant_rates;
	uint64_t bytes[2] = { 0, 0 }, clock_ns = 1;
	struct copy_policy policy;

	(void)state;
	copy_policy_init(&policy, 0, RING);
	feed(&policy, rate, 64 * MIB, bytes, &clock_ns);
	assert_int_equal(policy.chosen, COPY_STREAMING);
	assert_int_equal(policy.current, COPY_STREAMING);
	assert_int_equal(policy.switches, 1);
	/* The first lap (page faults) and one epoch of each: no more than 56 MiB. */
	assert_true(bytes[COPY_CACHED] <= 56 * MIB);
	memset(bytes, 0, sizeof(bytes));
	feed(&policy, rate, 16384 * MIB, bytes, &clock_ns);
	assert_int_equal(policy.chosen, COPY_STREAMING);
	assert_int_equal(policy.switches, 1);
	assert_true(bytes[COPY_CACHED] * 50 < bytes[COPY_STREAMING]);
}

/* The vCPUs move: distant first, close later. The next probe finds memcpy faster and
 * the policy goes back; then the reverse. */
static void test_placement_change_is_followed(void **state)
{
	const double *distant = distant_rates, *close = close_rates;
	uint64_t bytes[2] = { 0, 0 }, clock_ns = 1;
	struct copy_policy policy;

	(void)state;
	copy_policy_init(&policy, 0, RING);
	feed(&policy, distant, 4096 * MIB, bytes, &clock_ns);
	assert_int_equal(policy.chosen, COPY_STREAMING);
	/* Within the longest probe interval (256 epochs of 16 MiB) and a probe (a lap
	 * unmeasured, an epoch, a lap back). */
	uint64_t sent = 0;

	while (policy.chosen == COPY_STREAMING && sent <= (256 * 16 + 32) * MIB + 2 * RING) {
		feed(&policy, close, MIB, bytes, &clock_ns);
		sent += MIB;
	}
	assert_int_equal(policy.chosen, COPY_CACHED);
	assert_int_equal(policy.switches, 2);
	assert_int_equal(policy.probe_interval, 8); /* a change starts the probing over */
	feed(&policy, distant, 256 * MIB, bytes, &clock_ns);
	assert_int_equal(policy.chosen, COPY_STREAMING);
	assert_int_equal(policy.switches, 3);
}

/* The vCPUs move apart after a long time together (probes 256 epochs apart by then):
 * the halved rate brings the probe forward, streaming takes over within a few epochs.
 * A passing dip costs one probe and leaves the schedule alone. */
static void test_sudden_drop_probes_at_once(void **state)
{
	const double *close = close_rates, *distant = distant_rates;
	const double dip[2] = { [COPY_CACHED] = 10, [COPY_STREAMING] = 5 };
	uint64_t bytes[2] = { 0, 0 }, clock_ns = 1, left;
	struct copy_policy policy;

	(void)state;
	copy_policy_init(&policy, 0, RING);
	feed(&policy, close, 16384 * MIB, bytes, &clock_ns);
	assert_int_equal(policy.probe_interval, 256);
	/* Line up on an epoch boundary, then one epoch of a dip. */
	while (policy.measured_bytes || policy.skip_bytes || policy.current != COPY_CACHED)
		feed(&policy, close, MIB, bytes, &clock_ns);
	left = policy.epochs_to_probe;
	assert_true(left > 2);
	feed(&policy, dip, 16 * MIB, bytes, &clock_ns);
	assert_int_equal(policy.current, COPY_STREAMING); /* probing out of turn */
	feed(&policy, close, 48 * MIB, bytes, &clock_ns);
	assert_int_equal(policy.chosen, COPY_CACHED);
	assert_int_equal(policy.probe_interval, 256);
	assert_true(policy.epochs_to_probe >= left - 2 && policy.epochs_to_probe <= left);
	memset(bytes, 0, sizeof(bytes));
	feed(&policy, distant, 96 * MIB, bytes, &clock_ns);
	assert_int_equal(policy.chosen, COPY_STREAMING);
	assert_true(bytes[COPY_CACHED] <= 48 * MIB);
}

/* Equal rates (a slow consumer sets the pace, whichever method copies): memcpy stays, a
 * difference under the margin moves nothing. */
static void test_no_switch_without_margin(void **state)
{
	const double rate[2] = { [COPY_CACHED] = 10, [COPY_STREAMING] = 11 };
	uint64_t bytes[2] = { 0, 0 }, clock_ns = 1;
	struct copy_policy policy;

	(void)state;
	copy_policy_init(&policy, 0, RING);
	feed(&policy, rate, 4096 * MIB, bytes, &clock_ns);
	assert_int_equal(policy.chosen, COPY_CACHED);
	assert_int_equal(policy.switches, 0);
}

/* One send of a large message after a wait of clock_ns + wait_ns. */
static void send_after_wait(struct copy_policy *policy, uint64_t *clock_ns, uint64_t wait_ns)
{
	copy_note_full(policy, MIB, *clock_ns);
	*clock_ns += wait_ns;
	copy_policy_account(policy, MIB, *clock_ns, *clock_ns + 30000);
	*clock_ns += 30000;
}

/* Waiting for room counts: the same copy time, but memcpy makes the producer wait 3 ms
 * more per message, so streaming wins. */
static void test_waits_count(void **state)
{
	uint64_t clock_ns = 1;
	struct copy_policy policy;

	(void)state;
	copy_policy_init(&policy, 0, RING);
	for (unsigned i = 0; i < 64; i++)
		send_after_wait(&policy, &clock_ns,
				policy.current == COPY_CACHED ? 3000000 : 100000);
	assert_int_equal(policy.chosen, COPY_STREAMING);
	/* Small messages neither wait nor count. */
	copy_note_full(&policy, 4096, clock_ns);
	assert_int_equal(policy.full_since_ns, 0);
}

/* A consumer that pauses: a 40 ms wait is left out and the epoch goes on (it is not
 * restarted, so pauses more often than once an epoch cannot freeze the policy); a 64 MiB
 * message's 20 ms wait at 3.5 GB/s is its pace, not a pause; a probe whose sends keep
 * stalling ends without a verdict. */
static void test_stalls_are_left_out(void **state)
{
	const double *rate = close_rates;
	uint64_t bytes[2] = { 0, 0 }, clock_ns = 1, before_bytes, before_ns;
	struct copy_policy policy;
	uint32_t interval;

	(void)state;
	copy_policy_init(&policy, 0, RING);
	feed(&policy, rate, RING + 4 * MIB, bytes, &clock_ns); /* lap skipped, 4 MiB measured */
	assert_int_equal(policy.measured_bytes, 4 * MIB);
	before_bytes = policy.measured_bytes;
	before_ns = policy.measured_ns;
	send_after_wait(&policy, &clock_ns, 40000000);
	assert_int_equal(policy.measured_bytes, before_bytes);
	assert_int_equal(policy.measured_ns, before_ns);
	send_after_wait(&policy, &clock_ns, 20000000);
	assert_int_equal(policy.measured_bytes, 5 * MIB);
	copy_note_full(&policy, 64 * MIB, clock_ns);
	clock_ns += 20000000;
	copy_policy_account(&policy, 64 * MIB, clock_ns, clock_ns + 1000);
	assert_int_equal(policy.measured_bytes, 0); /* it ended the epoch */

	/* Run to the first probe, past its lap, then stall every send. */
	while (policy.current == policy.chosen || policy.skip_bytes)
		feed(&policy, rate, MIB, bytes, &clock_ns);
	interval = policy.probe_interval;
	for (unsigned i = 0; i < 8; i++)
		send_after_wait(&policy, &clock_ns, 40000000);
	assert_int_equal(policy.current, policy.chosen);
	assert_int_equal(policy.chosen, COPY_CACHED);
	assert_int_equal(policy.switches, 0);
	assert_int_equal(policy.probe_interval, interval);
	assert_int_equal(policy.epochs_to_probe, interval);
}

/* The flags fix the method whatever the rates; both at once are refused. */
static void test_flags_fix_the_method(void **state)
{
	const double *rate = distant_rates;
	uint64_t bytes[2] = { 0, 0 }, clock_ns = 1;
	struct ivshmem_ring_options options;
	struct ivshmem_region *region;
	struct ivshmem_ring *ring = NULL;
	struct copy_policy policy;

	(void)state;
	copy_policy_init(&policy, IVSHMEM_RING_CACHED, RING);
	assert_false(policy.adaptive);
	feed(&policy, rate, 256 * MIB, bytes, &clock_ns);
	assert_int_equal(bytes[COPY_STREAMING], 0);
	copy_policy_init(&policy, IVSHMEM_RING_STREAMING, RING);
	assert_false(policy.adaptive);
	assert_int_equal(policy.current, COPY_STREAMING);
	memset(bytes, 0, sizeof(bytes));
	feed(&policy, close_rates, 256 * MIB, bytes, &clock_ns);
	assert_int_equal(bytes[COPY_CACHED], 0);

	region = test_open_loopback("copyflags", 0);
	ivshmem_ring_options_init(&options);
	options.capacity = 1u << 20;
	options.flags = IVSHMEM_RING_CACHED | IVSHMEM_RING_STREAMING;
	assert_int_equal(ivshmem_ring_open(region, "both", IVSHMEM_RING_PRODUCER, &options, &ring),
			 IVSHMEM_ERR_INVALID_ARGUMENT);
	assert_null(ring);
	assert_non_null(strstr(ivshmem_last_error_message(), "exclude each other"));
	ivshmem_close(region);
}

/* On real rings: the open flags reach the producer's policy, and a large send that finds
 * the ring full starts the wait the next large send is charged with. */
static void test_rings_wire_the_policy(void **state)
{
	const uint32_t flags[3] = { 0, IVSHMEM_RING_STREAMING, IVSHMEM_RING_CACHED };
	static uint8_t message[100000];
	struct ivshmem_ring_options options;
	struct ivshmem_region *region;
	struct ivshmem_ring *producer, *consumer;
	size_t length;

	(void)state;
	region = test_open_loopback("copywire", 0);
	for (unsigned f = 0; f < 3; f++) {
		char name[16];

		snprintf(name, sizeof(name), "w%u", f);
		ivshmem_ring_options_init(&options);
		options.capacity = 256 * 1024;
		options.producer_peer = options.consumer_peer = 0;
		options.flags = flags[f];
		assert_int_equal(
		    ivshmem_ring_open(region, name, IVSHMEM_RING_PRODUCER, &options, &producer), 0);
		assert_int_equal(producer->copy.adaptive, flags[f] == 0);
		assert_int_equal(producer->copy.current,
				 flags[f] == IVSHMEM_RING_STREAMING ? COPY_STREAMING : COPY_CACHED);
		if (flags[f] == 0) {
			assert_int_equal(
			    ivshmem_ring_open(region, name, IVSHMEM_RING_CONSUMER, NULL, &consumer),
			    0);
			while (ivshmem_ring_send(producer, message, sizeof(message)) == 0)
				;
			assert_true(producer->copy.full_since_ns != 0);
			assert_int_equal(
			    ivshmem_ring_recv(consumer, message, sizeof(message), &length), 0);
			assert_int_equal(ivshmem_ring_send(producer, message, sizeof(message)), 0);
			assert_int_equal(producer->copy.full_since_ns, 0);
			/* A wait for room before a large send starts it too. */
			assert_int_equal(ivshmem_ring_wait(producer, sizeof(message), 1000000),
					 IVSHMEM_ERR_TIMEOUT);
			assert_true(producer->copy.full_since_ns != 0);
			ivshmem_ring_close(consumer);
		}
		ivshmem_ring_close(producer);
	}
	ivshmem_close(region);
}

/* Every byte arrives whichever method copies it, at any length and alignment: the
 * adaptive producer is made to alternate between the two on every message. */
static void test_every_method_delivers(void **state)
{
	const uint32_t flags[3] = { 0, IVSHMEM_RING_STREAMING, IVSHMEM_RING_CACHED };
	size_t size = 100000 + 63, length;
	uint8_t *out = malloc(size + 64), *in = malloc(size + 64);

	(void)state;
	for (unsigned f = 0; f < 3; f++) {
		struct ivshmem_region *producer_region, *consumer_region;
		struct ivshmem_ring *producer, *consumer;
		struct ivshmem_open_options open_options;
		struct ivshmem_ring_options options;
		char name[32], spec[48];

		snprintf(name, sizeof(name), "copy%u", f);
		snprintf(spec, sizeof(spec), "loopback:%s", name);
		producer_region = test_open_loopback(name, 0);
		ivshmem_open_options_init(&open_options);
		open_options.peer_id = 1;
		assert_int_equal(ivshmem_open(spec, &open_options, &consumer_region), 0);
		ivshmem_ring_options_init(&options);
		options.capacity = 512 * 1024;
		options.flags = flags[f];
		assert_int_equal(ivshmem_ring_open(producer_region, "data", IVSHMEM_RING_PRODUCER,
						   &options, &producer),
				 0);
		assert_int_equal(ivshmem_ring_open(consumer_region, "data", IVSHMEM_RING_CONSUMER,
						   NULL, &consumer),
				 0);
		for (unsigned i = 0; i < 20; i++) {
			size_t this_length = size - i;

			if (flags[f] == 0)
				producer->copy.current = i % 2 ? COPY_STREAMING : COPY_CACHED;
			for (size_t j = 0; j < this_length; j++)
				out[j + i % 7] = (uint8_t)(j * 13 + i + f);
			assert_int_equal(ivshmem_ring_send(producer, out + i % 7, this_length), 0);
			assert_int_equal(ivshmem_ring_recv(consumer, in, size + 64, &length), 0);
			assert_int_equal(length, this_length);
			assert_memory_equal(in, out + i % 7, this_length);
		}
		ivshmem_ring_close(producer);
		ivshmem_ring_close(consumer);
		ivshmem_close(consumer_region);
		ivshmem_close(producer_region);
	}
	free(out);
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_close_cores_keep_memcpy),
		cmocka_unit_test(test_distant_cores_move_to_streaming),
		cmocka_unit_test(test_placement_change_is_followed),
		cmocka_unit_test(test_sudden_drop_probes_at_once),
		cmocka_unit_test(test_no_switch_without_margin),
		cmocka_unit_test(test_waits_count),
		cmocka_unit_test(test_stalls_are_left_out),
		cmocka_unit_test(test_rings_wire_the_policy),
		cmocka_unit_test(test_flags_fix_the_method),
		cmocka_unit_test(test_every_method_delivers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
