// SPDX-License-Identifier: BSD-3-Clause
/*
 * ivshmem-telemetry: a publisher keeps the latest sample in a mailbox and rings every
 * live peer on vector 1; subscribers sleep on that doorbell, read the mailbox, and watch
 * the publisher's liveness: when it dies they say so and keep waiting, when it comes
 * back (a new epoch) they carry on without restarting.
 *   ivshmem-telemetry publish REGION ME COUNT INTERVAL_MS
 *   ivshmem-telemetry subscribe REGION ME PUBLISHER COUNT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ivshmem.h>

#define TELEMETRY_VECTOR 1

struct sample {
	uint64_t sequence;
	uint64_t publisher_time_ns;
	double load[3];
};

static int fail(const char *what, int error)
{
	fprintf(stderr, "ivshmem-telemetry: %s: %s (%s)\n", what, ivshmem_strerror(error),
		ivshmem_last_error_message());
	return 1;
}

static uint64_t now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
	struct timespec pause = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&pause, NULL);
}

static struct ivshmem_region *open_region(const char *spec, int me)
{
	struct ivshmem_open_options options;
	struct ivshmem_region *region;
	int error;

	ivshmem_open_options_init(&options);
	options.peer_id = me;
	options.flags = IVSHMEM_OPEN_HEARTBEAT;
	options.heartbeat_period_ms = 50;
	options.peer_timeout_ms = 400;
	error = ivshmem_open(spec, &options, &region);
	if (error) {
		fail(spec, error);
		exit(1);
	}
	return region;
}

static int publish(const char *spec, int me, unsigned long count, unsigned interval_ms)
{
	struct ivshmem_region *region = open_region(spec, me);
	struct ivshmem_mailbox *mailbox;
	struct sample sample = { 0 };
	size_t length;
	uint64_t version;
	int error = ivshmem_mailbox_open(region, "telemetry", sizeof(sample), &mailbox);

	if (error)
		return fail("mailbox", error);
	/* A restarted publisher continues the sequence it left in the mailbox. */
	if (ivshmem_mailbox_read(mailbox, &sample, sizeof(sample), &length, &version) == 0 &&
	    version && length == sizeof(sample))
		sample.sequence++;
	for (unsigned long i = 0; i < count; i++, sample.sequence++) {
		sample.publisher_time_ns = now_ns();
		for (int k = 0; k < 3; k++)
			sample.load[k] = (double)((sample.sequence * (k + 3)) % 100) / 100.0;
		ivshmem_mailbox_write(mailbox, &sample, sizeof(sample));
		for (int peer = 0; peer < IVSHMEM_MAX_PEERS; peer++) {
			struct ivshmem_peer_info info;

			if (peer != me && ivshmem_peer_get_info(region, peer, &info) == 0 &&
			    info.state == IVSHMEM_PEER_ALIVE)
				ivshmem_doorbell_ring(region, peer, TELEMETRY_VECTOR);
		}
		sleep_ms(interval_ms);
	}
	printf("published up to sequence %llu\n", (unsigned long long)sample.sequence - 1);
	ivshmem_mailbox_close(mailbox);
	ivshmem_close(region);
	return 0;
}

static int subscribe(const char *spec, int me, int publisher, unsigned long count)
{
	struct ivshmem_region *region = open_region(spec, me);
	struct ivshmem_mailbox *mailbox = NULL;
	uint64_t last_version = 0, last_sequence = 0;
	unsigned long updates = 0, restarts = 0;
	int error, publisher_dead = 0;

	for (int tries = 0; (error = ivshmem_mailbox_open(region, "telemetry", 0, &mailbox)) ==
				IVSHMEM_ERR_NOT_FOUND &&
			    tries < 3000;
	     tries++)
		sleep_ms(10);
	if (error)
		return fail("mailbox", error);
	while (updates < count) {
		struct ivshmem_peer_change changes[IVSHMEM_MAX_PEERS];
		struct sample sample;
		size_t length;
		uint64_t version;
		int changed;

		/* Sleep on the doorbell; mappings without interrupts fall back to polling. */
		error = ivshmem_doorbell_wait(region, TELEMETRY_VECTOR, 200000000ull);
		if (error == IVSHMEM_ERR_UNSUPPORTED)
			sleep_ms(10);
		else if (error && error != IVSHMEM_ERR_TIMEOUT)
			return fail("wait", error);
		changed = ivshmem_peers_poll(region, changes, IVSHMEM_MAX_PEERS);
		for (int i = 0; i < changed; i++) {
			if (changes[i].peer_id != publisher)
				continue;
			if (changes[i].event == IVSHMEM_PEER_EVENT_DIED ||
			    changes[i].event == IVSHMEM_PEER_EVENT_LEFT) {
				printf("publisher %d is gone; waiting for it\n", publisher);
				publisher_dead = 1;
			} else if (changes[i].event == IVSHMEM_PEER_EVENT_RESTARTED ||
				   (publisher_dead &&
				    changes[i].event == IVSHMEM_PEER_EVENT_JOINED)) {
				printf("publisher %d is back (epoch %llu)\n", publisher,
				       (unsigned long long)changes[i].epoch);
				publisher_dead = 0;
				restarts++;
			}
		}
		fflush(stdout);
		error = ivshmem_mailbox_read(mailbox, &sample, sizeof(sample), &length, &version);
		if (error == IVSHMEM_ERR_BUSY)
			continue;
		if (error)
			return fail("read", error);
		if (version == last_version || length != sizeof(sample))
			continue;
		if (last_version && sample.sequence <= last_sequence)
			printf("sequence went back from %llu to %llu\n",
			       (unsigned long long)last_sequence,
			       (unsigned long long)sample.sequence);
		last_version = version;
		last_sequence = sample.sequence;
		updates++;
		printf("sample %llu load %.2f %.2f %.2f\n", (unsigned long long)sample.sequence,
		       sample.load[0], sample.load[1], sample.load[2]);
	}
	printf("received %lu updates, publisher restarts seen: %lu\n", updates, restarts);
	ivshmem_mailbox_close(mailbox);
	ivshmem_close(region);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "publish") == 0)
		return publish(argv[2], atoi(argv[3]), strtoul(argv[4], NULL, 0),
			       (unsigned)atoi(argv[5]));
	if (argc == 6 && strcmp(argv[1], "subscribe") == 0)
		return subscribe(argv[2], atoi(argv[3]), atoi(argv[4]), strtoul(argv[5], NULL, 0));
	fprintf(stderr, "usage: ivshmem-telemetry publish REGION ME COUNT INTERVAL_MS\n"
			"       ivshmem-telemetry subscribe REGION ME PUBLISHER COUNT\n");
	return 2;
}
