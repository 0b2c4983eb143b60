// SPDX-License-Identifier: BSD-3-Clause
/*
 * `ivshmem bench`: the SDK's figures, each printed next to a baseline measured in the
 * same run on the same two cores (this machine is shared and noisy, ratios travel).
 * Here: throughput of 64-byte messages (unbatched, batched) and of 1 MiB messages (vs
 * single-core memcpy), doorbell wake-up (vs an eventfd round trip), and the same 64-byte
 * traffic through a UNIX socket and a pipe. bench_latency.c: one-way latency of 64-byte
 * messages, polled rings vs a bare cache-line ping-pong and vs the same hand-off written
 * without the library. The two sides are two processes pinned to CPU 0 and CPU 1, sharing
 * a /dev/shm region.
 */
#define _GNU_SOURCE /* sched_setaffinity */
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define REGION_BYTES (32u << 20)
#define BIG_MESSAGE  (1u << 20)

/* The CPUs of side 0 (the parent) and side 1 (the child): the first two this process may
 * run on, or --cpus A,B. */
static int bench_cpus[2];

/* The region file: REGION_BYTES of /dev/shm, removed however the benchmark ends. */
static char region_path[sizeof(((struct bench *)0)->path)];

/* Either side that cannot go on removes the region file and leaves (async-signal-safe:
 * the SIGCHLD handler uses it too); the parent's handler ends the run when a child does. */
static __attribute__((noreturn)) void give_up(void)
{
	if (region_path[0])
		unlink(region_path);
	_exit(1);
}

void ring_call_failed(int error, const char *call)
{
	fprintf(stderr, "ivshmem bench: %s: %s: %s\n", call, ivshmem_strerror(error),
		ivshmem_last_error_message());
	give_up();
}

static void pin_to(int side)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(bench_cpus[side], &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		/* checked when the CPUs were chosen; a hotplug since is the only way here */
		perror("ivshmem bench: sched_setaffinity");
		give_up();
	}
}

/* Polled figures need both sides running at once, on two CPUs of their own: two
 * processes spinning on one CPU measure the scheduler's time slice instead. */
static int choose_cpus(const char *requested)
{
	cpu_set_t allowed;
	int found = 0;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
		perror("ivshmem bench: sched_getaffinity");
		return -1;
	}
	if (requested) {
		char *end;
		long a = strtol(requested, &end, 10), b = -1;
		bool well_formed =
		    end != requested && *end == ',' && end[1] >= '0' && end[1] <= '9';

		if (well_formed) {
			b = strtol(end + 1, &end, 10);
			well_formed = *end == '\0';
		}
		if (!well_formed || a < 0 || a == b) {
			fprintf(stderr,
				"ivshmem bench: --cpus wants two different CPU numbers, "
				"e.g. --cpus 2,3 (got '%s')\n",
				requested);
			return -1;
		}
		for (int side = 0; side < 2; side++) {
			long cpu = side ? b : a;

			if (cpu >= CPU_SETSIZE || !CPU_ISSET((int)cpu, &allowed)) {
				fprintf(stderr,
					"ivshmem bench: CPU %ld is not available to this process "
					"(offline, or outside its affinity mask)\n",
					cpu);
				return -1;
			}
		}
		bench_cpus[0] = (int)a;
		bench_cpus[1] = (int)b;
		return 0;
	}
	for (int cpu = 0; cpu < CPU_SETSIZE && found < 2; cpu++)
		if (CPU_ISSET(cpu, &allowed))
			bench_cpus[found++] = cpu;
	if (found < 2) {
		fprintf(stderr,
			"ivshmem bench: needs two CPUs and this process may run on %d: "
			"polled figures need both sides running at once\n",
			found);
		return -1;
	}
	return 0;
}

/* Ctrl-C and kill: the file goes, then the signal does what it would have done. */
static void on_interrupt(int signal_number)
{
	if (region_path[0])
		unlink(region_path);
	signal(signal_number, SIG_DFL);
	raise(signal_number);
}

static void remove_region_on(int signal_number)
{
	/* A signal ignored by whoever started us (SIGINT in a background job) stays so. */
	if (signal(signal_number, on_interrupt) == SIG_IGN)
		signal(signal_number, SIG_IGN);
}

/* A side that dies would leave the other spinning for ever: end the benchmark instead. */
static void on_child_exit(int signal_number)
{
	siginfo_t info = { 0 };
	static const char message[] = "ivshmem bench: the other side died; giving up\n";

	(void)signal_number;
	if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid &&
	    (info.si_code != CLD_EXITED || info.si_status != 0)) {
		if (write(STDERR_FILENO, message, sizeof(message) - 1) < 0) {
			/* nothing more to do: we are leaving anyway */
		}
		give_up();
	}
}

/* Runs child_main in a second process on side 1's CPU while the caller runs on side 0's. */
pid_t start_child(struct bench *bench, void (*child_main)(struct bench *))
{
	pid_t child;

	pid_t parent = getpid();

	bench->flags->ready = 0;
	bench->flags->done = 0;
	child = fork();
	if (child < 0) {
		perror("ivshmem bench: fork");
		if (region_path[0])
			unlink(region_path);
		exit(1);
	}
	if (child == 0) {
		/* A side whose parent is gone (killed) would spin for ever on a CPU. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			give_up();
		pin_to(1);
		child_main(bench);
		_exit(0);
	}
	pin_to(0);
	while (!bench->flags->ready)
		relax();
	return child;
}

int finish_child(pid_t child)
{
	int status;

	waitpid(child, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

struct ivshmem_region *open_side(struct bench *bench, int peer)
{
	struct ivshmem_open_options options;
	struct ivshmem_region *region;

	ivshmem_open_options_init(&options);
	options.peer_id = peer;
	if (ivshmem_open(bench->path, &options, &region)) {
		tool_fail(bench->path, -1);
		give_up();
	}
	return region;
}

struct ivshmem_ring *open_ring(struct ivshmem_region *region, const char *name, int role,
			       int producer, uint32_t capacity, uint32_t flags)
{
	struct ivshmem_ring_options options;
	struct ivshmem_ring *ring;
	int error;

	ivshmem_ring_options_init(&options);
	options.capacity = capacity;
	options.flags = flags;
	options.producer_peer = producer;
	options.consumer_peer = 1 - producer;
	do
		error = ivshmem_ring_open(region, name, role, &options, &ring);
	while (error == IVSHMEM_ERR_NOT_FOUND);
	if (error) {
		tool_fail(name, error);
		give_up();
	}
	return ring;
}

void report(struct bench *bench, const char *name, double value, const char *unit,
	    const char *baseline_name, double baseline)
{
	double ratio = baseline > 0 ? value / baseline : 0;

	if (bench->json) {
		printf("%s\n  {\"name\":\"%s\",\"value\":%.3f,\"unit\":\"%s\",\"baseline\":\"%s\","
		       "\"baseline_value\":%.3f,\"ratio\":%.3f}",
		       bench->first_line ? "" : ",", name, value, unit, baseline_name, baseline,
		       ratio);
		bench->first_line = 0;
	} else {
		printf("%-40s %12.1f %-6s  %-28s %12.1f  ratio %.2f\n", name, value, unit,
		       baseline_name, baseline, ratio);
	}
	fflush(stdout);
}

/* --- throughput --- */
static int batched_mode;

static void small_consumer_child(struct bench *bench)
{
	struct ivshmem_region *region = open_side(bench, 1);
	struct ivshmem_ring *in = open_ring(region, batched_mode ? "tp.batch" : "tp.single",
					    IVSHMEM_RING_CONSUMER, 0, 1u << 18, 0);
	uint8_t message[64];
	uint64_t received = 0;

	bench->flags->ready = 1;
	while (received < bench->small_messages) {
		const void *data;
		size_t length;

		if (batched_mode) {
			unsigned got = 0;

			while (got < 32 &&
			       ring_call_ok(ivshmem_ring_peek(in, &data, &length), "ring_peek")) {
				memcpy(message, data, length);
				got++;
			}
			if (got)
				ring_call_ok(ivshmem_ring_release(in), "ring_release");
			else
				relax();
			received += got;
		} else if (ring_call_ok(ivshmem_ring_recv(in, message, sizeof(message), &length),
					"ring_recv")) {
			received++;
		} else {
			relax();
		}
	}
	bench->flags->done = 1;
	ivshmem_ring_close(in);
	ivshmem_close(region);
}

static double measure_small_throughput(struct bench *bench, struct ivshmem_region *region,
				       int batched)
{
	struct ivshmem_ring *out;
	uint8_t message[64] = { 0 };
	uint64_t start, sent = 0;
	pid_t child;

	batched_mode = batched;
	out = open_ring(region, batched ? "tp.batch" : "tp.single", IVSHMEM_RING_PRODUCER, 0,
			1u << 18, 0);
	child = start_child(bench, small_consumer_child);
	start = tool_now_ns();
	while (sent < bench->small_messages) {
		if (!batched) {
			if (ring_call_ok(ivshmem_ring_send(out, message, sizeof(message)),
					 "ring_send"))
				sent++;
			else
				relax();
			continue;
		}
		unsigned batch = 0;
		void *slot;

		while (batch < 32 && sent + batch < bench->small_messages &&
		       ring_call_ok(ivshmem_ring_reserve(out, sizeof(message), &slot),
				    "ring_reserve")) {
			memcpy(slot, message, sizeof(message));
			ring_call_ok(ivshmem_ring_commit(out, sizeof(message)), "ring_commit");
			batch++;
		}
		if (batch)
			ring_call_ok(ivshmem_ring_publish(out), "ring_publish");
		else
			relax();
		sent += batch;
	}
	while (!bench->flags->done)
		relax();
	double seconds = (double)(tool_now_ns() - start) / 1e9;

	finish_child(child);
	ivshmem_ring_close(out);
	return (double)bench->small_messages / seconds;
}

/* The 1 MiB ring of the measurement running: 0 (the producer picks its copy method),
 * IVSHMEM_RING_STREAMING or IVSHMEM_RING_CACHED, each flag its own ring. */
static uint32_t big_copy_flag;

static const char *big_ring_name(uint32_t copy_flag)
{
	return copy_flag == IVSHMEM_RING_STREAMING ? "tp.big.s"
	       : copy_flag == IVSHMEM_RING_CACHED  ? "tp.big.c"
						   : "tp.big";
}

/* Messages sent before the clock starts: one lap of the 8 MiB ring, so both sides have
 * taken their page faults on it and the figures are the steady state. The memcpy
 * baseline copies as many blocks before its clock starts (measured: without them, rounds
 * of 40 copies ran at three quarters of the rate of 2000). */
#define BIG_WARMUP 8
/* The 1 MiB figures are medians of this many parts: for a ring, consecutive windows of
 * one continuous stream, timed where the consumer has received them; for memcpy, rounds
 * run just before. One part of a few milliseconds that the host interrupts (this machine
 * is shared) then does not move the figure. */
#define BIG_ROUNDS 5
_Static_assert(sizeof(((struct shared_flags *)0)->window_end_ns) == (BIG_ROUNDS + 1) * 8,
	       "one timestamp per window boundary");

static void big_consumer_child(struct bench *bench)
{
	struct ivshmem_region *region = open_side(bench, 1);
	struct ivshmem_ring *in =
	    open_ring(region, big_ring_name(big_copy_flag), IVSHMEM_RING_CONSUMER, 0, 8u << 20, 0);
	uint8_t *destination = malloc(BIG_MESSAGE);
	uint64_t per_window = bench->big_messages / BIG_ROUNDS;
	uint64_t total = BIG_WARMUP + per_window * BIG_ROUNDS;

	memset(destination, 0, BIG_MESSAGE);
	bench->flags->ready = 1;
	for (uint64_t received = 0; received < total;) {
		const void *data;
		size_t length;

		if (!ring_call_ok(ivshmem_ring_peek(in, &data, &length), "ring_peek")) {
			relax();
			continue;
		}
		memcpy(destination, data, length);
		ring_call_ok(ivshmem_ring_release(in), "ring_release");
		received++;
		if (received >= BIG_WARMUP && (received - BIG_WARMUP) % per_window == 0)
			bench->flags->window_end_ns[(received - BIG_WARMUP) / per_window] =
			    tool_now_ns();
	}
	bench->flags->done = 1;
	free(destination);
	ivshmem_ring_close(in);
	ivshmem_close(region);
}

static void send_big(struct ivshmem_ring *out, const uint8_t *source, uint64_t count)
{
	for (uint64_t sent = 0; sent < count;) {
		if (ring_call_ok(ivshmem_ring_send(out, source, BIG_MESSAGE), "ring_send"))
			sent++;
		else
			relax();
	}
}

/* One core copying 1 MiB blocks, count times. working_set 1: the same two buffers every
 * time (they stay in cache); 8: the source rotates through 8 MiB, as the ring's data
 * does; 256: it comes from memory, not cache. */
static double measure_memcpy(uint64_t count, unsigned working_set)
{
	uint8_t *source = malloc((size_t)BIG_MESSAGE * working_set),
		*destination = malloc(BIG_MESSAGE);
	uint64_t start;
	double seconds;

	pin_to(0);
	memset(source, 0x5a, (size_t)BIG_MESSAGE * working_set);
	memset(destination, 0, BIG_MESSAGE);
	for (unsigned i = 0; i < BIG_WARMUP; i++) /* as the ring has its lap */
		memcpy(destination, source + (size_t)(i % working_set) * BIG_MESSAGE, BIG_MESSAGE);
	start = tool_now_ns();
	for (uint64_t i = 0; i < count; i++) {
		uint8_t *block = source + (size_t)(i % working_set) * BIG_MESSAGE;

		block[i % BIG_MESSAGE] = (uint8_t)i; /* keeps the copies from being merged */
		memcpy(destination, block, BIG_MESSAGE);
	}
	seconds = (double)(tool_now_ns() - start) / 1e9;
	if (destination[7] == 0x11)
		printf(" ");
	free(source);
	free(destination);
	return (double)count * BIG_MESSAGE / seconds / 1e9;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median_of_rounds(double *values)
{
	qsort(values, BIG_ROUNDS, sizeof(*values), compare_doubles);
	return values[BIG_ROUNDS / 2];
}

/* GB/s through a ring (the median window, and the whole stream: the probes of the other
 * copy method fall in some windows) and of hot memcpy on one core (the median round). */
static void measure_big_throughput(struct bench *bench, struct ivshmem_region *region,
				   uint32_t copy_flag, double *ring_rate, double *stream_rate,
				   double *memcpy_rate)
{
	uint64_t per_window = bench->big_messages / BIG_ROUNDS;
	double ring_windows[BIG_ROUNDS], memcpy_rounds[BIG_ROUNDS];
	uint8_t *source = malloc(BIG_MESSAGE);
	struct ivshmem_ring *out;
	pid_t child;

	for (unsigned round = 0; round < BIG_ROUNDS; round++)
		memcpy_rounds[round] = measure_memcpy(per_window, 1);
	big_copy_flag = copy_flag;
	out = open_ring(region, big_ring_name(copy_flag), IVSHMEM_RING_PRODUCER, 0, 8u << 20,
			copy_flag);
	memset(source, 0x5a, BIG_MESSAGE);
	child = start_child(bench, big_consumer_child);
	send_big(out, source, BIG_WARMUP + per_window * BIG_ROUNDS);
	while (!bench->flags->done)
		relax();
	for (unsigned window = 0; window < BIG_ROUNDS; window++)
		ring_windows[window] = (double)per_window * BIG_MESSAGE /
				       (double)(bench->flags->window_end_ns[window + 1] -
						bench->flags->window_end_ns[window]);
	*stream_rate =
	    (double)per_window * BIG_ROUNDS * BIG_MESSAGE /
	    (double)(bench->flags->window_end_ns[BIG_ROUNDS] - bench->flags->window_end_ns[0]);
	finish_child(child);
	free(source);
	ivshmem_ring_close(out);
	*ring_rate = median_of_rounds(ring_windows);
	*memcpy_rate = median_of_rounds(memcpy_rounds);
}

/* --- wake-up: doorbells (futex on this mapping) vs eventfd --- */
static int event_a = -1, event_b = -1;

static void doorbell_child(struct bench *bench)
{
	struct ivshmem_region *region = open_side(bench, 1);

	bench->flags->ready = 1;
	for (uint64_t i = 0; i < bench->latency_rounds / 10; i++) {
		ivshmem_doorbell_wait(region, 0, IVSHMEM_WAIT_FOREVER);
		ivshmem_doorbell_ring(region, 0, 0);
	}
	ivshmem_close(region);
}

static void eventfd_child(struct bench *bench)
{
	uint64_t value = 1;

	bench->flags->ready = 1;
	for (uint64_t i = 0; i < bench->latency_rounds / 10; i++) {
		if (read(event_a, &value, 8) != 8 || write(event_b, &value, 8) != 8)
			give_up();
	}
}

static void measure_wakeups(struct bench *bench, struct ivshmem_region *region,
			    struct latency_samples *doorbell, struct latency_samples *eventfds)
{
	pid_t child = start_child(bench, doorbell_child);
	uint64_t value = 1;

	for (uint64_t i = 0; i < bench->latency_rounds / 10; i++) {
		uint64_t start = tool_now_ns();

		ivshmem_doorbell_ring(region, 1, 0);
		ivshmem_doorbell_wait(region, 0, IVSHMEM_WAIT_FOREVER);
		samples_add(doorbell, (tool_now_ns() - start) / 2);
	}
	finish_child(child);
	event_a = eventfd(0, 0);
	event_b = eventfd(0, 0);
	child = start_child(bench, eventfd_child);
	for (uint64_t i = 0; i < bench->latency_rounds / 10; i++) {
		uint64_t start = tool_now_ns();

		if (write(event_a, &value, 8) != 8 || read(event_b, &value, 8) != 8)
			break;
		samples_add(eventfds, (tool_now_ns() - start) / 2);
	}
	finish_child(child);
	close(event_a);
	close(event_b);
}

/* --- UNIX socket and pipe: the same 64-byte messages --- */
static int stream_out = -1, stream_in = -1;

static void stream_sink_child(struct bench *bench)
{
	uint8_t message[64];

	bench->flags->ready = 1;
	for (uint64_t i = 0; i < bench->socket_messages; i++) {
		size_t got = 0;

		while (got < sizeof(message)) {
			ssize_t n = read(stream_in, message + got, sizeof(message) - got);

			if (n <= 0)
				give_up();
			got += (size_t)n;
		}
	}
	bench->flags->done = 1;
}

static double measure_stream(struct bench *bench, int writer, int reader)
{
	uint8_t message[64] = { 0 };
	uint64_t start;
	pid_t child;

	stream_out = writer;
	stream_in = reader;
	child = start_child(bench, stream_sink_child);
	start = tool_now_ns();
	for (uint64_t i = 0; i < bench->socket_messages; i++)
		if (write(writer, message, sizeof(message)) != sizeof(message))
			break;
	finish_child(child);
	return (double)bench->socket_messages / ((double)(tool_now_ns() - start) / 1e9);
}

/* Every figure, on a region both sides can open by path. */
static int run_bench(struct bench *bench, struct ivshmem_region *region)
{
	struct latency_samples doorbell, eventfds;
	char heading[64];
	int pair[2];

	bench->handoff =
	    mmap(NULL, HANDOFF_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (bench->handoff == MAP_FAILED)
		return tool_fail("bench hand-off area", -1);
	if (samples_init(&doorbell, bench->latency_rounds) ||
	    samples_init(&eventfds, bench->latency_rounds))
		return 1;
	if (bench->json)
		printf("[");
	snprintf(heading, sizeof(heading), "figure (2 processes, CPUs %d and %d)", bench_cpus[0],
		 bench_cpus[1]);
	if (!bench->json)
		printf("%-40s %12s %-6s  %-28s %12s\n", heading, "value", "unit",
		       "baseline (same run)", "value");
	if (measure_latencies(bench, region))
		return 1;
	double big, big_whole, memcpy_hot, big_streaming_rate, memcpy_hot_streaming,
	    big_cached_rate, memcpy_hot_cached, unused;

	measure_big_throughput(bench, region, 0, &big, &big_whole, &memcpy_hot);
	measure_big_throughput(bench, region, IVSHMEM_RING_STREAMING, &big_streaming_rate, &unused,
			       &memcpy_hot_streaming);
	measure_big_throughput(bench, region, IVSHMEM_RING_CACHED, &big_cached_rate, &unused,
			       &memcpy_hot_cached);
	double memcpy_rotating = measure_memcpy(bench->big_messages, 8);
	double memcpy_memory = measure_memcpy(bench->big_messages, 256);

	report(bench, "throughput 1 MiB messages", big, "GB/s", "memcpy 1 MiB, one core, hot",
	       memcpy_hot);
	report(bench, "same, the whole stream", big_whole, "GB/s", "memcpy 1 MiB, one core, hot",
	       memcpy_hot);
	report(bench, "throughput 1 MiB messages", big, "GB/s", "memcpy 1 MiB, 8 MiB set",
	       memcpy_rotating);
	report(bench, "throughput 1 MiB messages", big, "GB/s", "memcpy 1 MiB, 256 MiB set",
	       memcpy_memory);
	report(bench, "same, IVSHMEM_RING_STREAMING", big_streaming_rate, "GB/s",
	       "memcpy 1 MiB, one core, hot", memcpy_hot_streaming);
	report(bench, "same, IVSHMEM_RING_CACHED", big_cached_rate, "GB/s",
	       "memcpy 1 MiB, one core, hot", memcpy_hot_cached);
	double single = measure_small_throughput(bench, region, 0);
	double batched = measure_small_throughput(bench, region, 1);

	socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
	double unix_socket = measure_stream(bench, pair[0], pair[1]);

	close(pair[0]);
	close(pair[1]);
	if (pipe(pair) == 0) {
		double pipe_rate = measure_stream(bench, pair[1], pair[0]);

		close(pair[0]);
		close(pair[1]);
		report(bench, "throughput 64 B, unbatched", single / 1e6, "M/s",
		       "pipe, 64 B writes", pipe_rate / 1e6);
		report(bench, "throughput 64 B, batches of 32", batched / 1e6, "M/s",
		       "pipe, 64 B writes", pipe_rate / 1e6);
	}
	report(bench, "throughput 64 B, unbatched", single / 1e6, "M/s", "UNIX socket, 64 B writes",
	       unix_socket / 1e6);
	measure_wakeups(bench, region, &doorbell, &eventfds);
	report(bench, "doorbell wake-up, one way, p50", (double)samples_percentile(&doorbell, 50),
	       "ns", "eventfd round trip / 2, p50", (double)samples_percentile(&eventfds, 50));
	report(bench, "doorbell wake-up, one way, p99", (double)samples_percentile(&doorbell, 99),
	       "ns", "eventfd round trip / 2, p99", (double)samples_percentile(&eventfds, 99));
	if (bench->json)
		printf("\n]\n");
	samples_free(&doorbell);
	samples_free(&eventfds);
	return 0;
}

int command_bench(int argc, char **argv, const struct tool_options *options)
{
	struct bench bench = { .latency_rounds = 200000,
			       .small_messages = 4000000,
			       .big_messages = 2000,
			       .socket_messages = 400000,
			       .json = options->json,
			       .first_line = 1 };
	struct ivshmem_open_options open_options;
	struct ivshmem_region *region;
	const char *cpus = NULL;
	int status;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			bench.latency_rounds = 20000;
			bench.small_messages = 400000;
			bench.big_messages = 200;
			bench.socket_messages = 40000;
		} else if (strcmp(argv[i], "--cpus") == 0 && i + 1 < argc) {
			cpus = argv[++i];
		} else {
			fprintf(stderr, "usage: ivshmem bench [--quick] [--cpus A,B]\n");
			return 2;
		}
	}
	if (choose_cpus(cpus))
		return 1;
	bench.flags = mmap(NULL, sizeof(*bench.flags), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	snprintf(bench.path, sizeof(bench.path), "/dev/shm/ivshmem-bench-%d", (int)getpid());
	memcpy(region_path, bench.path, sizeof(region_path));
	signal(SIGCHLD, on_child_exit);
	remove_region_on(SIGINT);
	remove_region_on(SIGTERM);
	remove_region_on(SIGHUP);
	unlink(bench.path);
	ivshmem_open_options_init(&open_options);
	open_options.flags = IVSHMEM_OPEN_CREATE | IVSHMEM_OPEN_INIT;
	open_options.create_size = REGION_BYTES;
	open_options.init_name = "bench";
	open_options.peer_id = 0;
	if (bench.flags == MAP_FAILED || ivshmem_open(bench.path, &open_options, &region)) {
		unlink(bench.path);
		return tool_fail("bench region", -1);
	}
	status = run_bench(&bench, region);
	ivshmem_close(region);
	unlink(bench.path);
	return status;
}
