// SPDX-License-Identifier: BSD-3-Clause
/*
 * Two processes stream numbered messages over a /dev/shm region; the test kills each of
 * them with SIGKILL mid-stream, restarts it, and checks that every message arrived once
 * and in order. What makes it exact:
 *  - the producer writes {first, end, position before} to a mailbox before it publishes a
 *    batch; after a restart the ring position tells whether that batch went out;
 *  - the consumer appends what it processed to a log before it releases; a consumer
 *    killed in between gets that batch again (the ring is at-least-once by contract)
 *    and drops the sequence numbers it already logged.
 * Usage: mp_stream run  (prints TAP), or the producer/consumer roles it starts itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "ivshmem.h"

#define COUNT	      300000u
#define BATCH	      16u
#define MESSAGE_BYTES 64u
#define REGION_BYTES  (1u << 20)

struct producer_record {
	uint64_t first;
	uint64_t end;
	uint64_t position_before;
};

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

static void fill(uint8_t *message, uint64_t sequence)
{
	memcpy(message, &sequence, 8);
	for (unsigned i = 8; i < MESSAGE_BYTES; i++)
		message[i] = (uint8_t)(sequence * 7 + i);
}

static struct ivshmem_region *open_peer(const char *path, int peer_id)
{
	struct ivshmem_open_options options;
	struct ivshmem_region *region;

	ivshmem_open_options_init(&options);
	options.peer_id = peer_id;
	options.flags = IVSHMEM_OPEN_HEARTBEAT;
	options.heartbeat_period_ms = 20;
	/* Short, so a survivor's wait reports the killed peer gone before the restart. */
	options.peer_timeout_ms = 150;
	if (ivshmem_open(path, &options, &region)) {
		fprintf(stderr, "peer %d: %s\n", peer_id, ivshmem_last_error_message());
		exit(2);
	}
	return region;
}

/* The survivor's wait said the other end is gone: one byte in LOG.gone per report. */
static void note_gone(const char *log_path)
{
	char gone_path[512];
	int fd;

	snprintf(gone_path, sizeof(gone_path), "%s.gone", log_path);
	fd = open(gone_path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	if (fd >= 0 && write(fd, "G", 1) != 1)
		fprintf(stderr, "cannot note a departure\n");
	if (fd >= 0)
		close(fd);
}

static int producer_main(const char *path, const char *log_path)
{
	struct ivshmem_region *region = open_peer(path, 0);
	struct ivshmem_ring_options options;
	struct ivshmem_ring *ring;
	struct ivshmem_mailbox *mailbox;
	struct producer_record record = { 0 };
	size_t length = 0;
	uint64_t version = 0, next = 0;

	ivshmem_ring_options_init(&options);
	options.capacity = 16384;
	if (ivshmem_ring_open(region, "stream", IVSHMEM_RING_PRODUCER, &options, &ring) ||
	    ivshmem_mailbox_open(region, "producer", sizeof(record), &mailbox) ||
	    ivshmem_mailbox_read(mailbox, &record, sizeof(record), &length, &version))
		return fprintf(stderr, "producer: %s\n", ivshmem_last_error_message()), 2;
	if (version) {
		/* Did the last recorded batch go out before we died? */
		next = ivshmem_ring_position(ring) == record.position_before ? record.first
									     : record.end;
	}
	while (next < COUNT) {
		struct producer_record batch = { next, next, ivshmem_ring_position(ring) };

		while (batch.end < COUNT && batch.end - batch.first < BATCH) {
			void *slot;
			int error = ivshmem_ring_reserve(ring, MESSAGE_BYTES, &slot);

			if (error == IVSHMEM_ERR_FULL)
				break;
			if (error)
				return fprintf(stderr, "producer: %s\n",
					       ivshmem_last_error_message()),
				       2;
			fill(slot, batch.end);
			ivshmem_ring_commit(ring, MESSAGE_BYTES);
			batch.end++;
		}
		if (batch.end == batch.first) {
			int error = ivshmem_ring_wait(ring, MESSAGE_BYTES, 2000000000ull);

			if (error == IVSHMEM_ERR_PEER_GONE)
				note_gone(log_path);
			else if (error && error != IVSHMEM_ERR_TIMEOUT)
				return 2;
			continue;
		}
		ivshmem_mailbox_write(mailbox, &batch, sizeof(batch));
		ivshmem_ring_publish(ring);
		next = batch.end;
		sleep_us(20); /* pace the stream so the test can kill it mid-way */
	}
	ivshmem_ring_close(ring);
	ivshmem_mailbox_close(mailbox);
	ivshmem_close(region);
	return 0;
}

static uint64_t logged_count(const char *log_path)
{
	struct stat status;

	return stat(log_path, &status) == 0 ? (uint64_t)status.st_size / 8 : 0;
}

static int consumer_main(const char *path, const char *log_path)
{
	struct ivshmem_region *region = open_peer(path, 1);
	struct ivshmem_ring *ring = NULL;
	uint64_t expected = logged_count(log_path), batch[BATCH];
	uint8_t expected_bytes[MESSAGE_BYTES];
	unsigned filled = 0;
	int log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	char dup_path[512];
	int dup_fd;

	snprintf(dup_path, sizeof(dup_path), "%s.duplicates", log_path);
	dup_fd = open(dup_path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	for (int tries = 0;
	     ivshmem_ring_open(region, "stream", IVSHMEM_RING_CONSUMER, NULL, &ring) != 0;
	     tries++) {
		if (tries > 5000)
			return fprintf(stderr, "consumer: no ring\n"), 2;
		sleep_us(1000);
	}
	while (expected < COUNT) {
		const void *message = NULL;
		size_t length = 0;
		uint64_t sequence;
		int error =
		    filled == BATCH ? IVSHMEM_ERR_FULL : ivshmem_ring_peek(ring, &message, &length);

		if (error == IVSHMEM_ERR_EMPTY || error == IVSHMEM_ERR_FULL) {
			/* Log first, then release: a kill in between means redelivery. */
			if (filled && write(log_fd, batch, filled * 8) != (ssize_t)(filled * 8))
				return 2;
			filled = 0;
			ivshmem_ring_release(ring);
			if (error == IVSHMEM_ERR_EMPTY) {
				error = ivshmem_ring_wait(ring, 0, 2000000000ull);
				if (error == IVSHMEM_ERR_PEER_GONE)
					note_gone(log_path);
				else if (error && error != IVSHMEM_ERR_TIMEOUT)
					return 2;
			}
			continue;
		}
		if (error)
			return fprintf(stderr, "consumer: %s\n", ivshmem_last_error_message()), 2;

		memcpy(&sequence, message, 8);
		fill(expected_bytes, sequence);
		if (length != MESSAGE_BYTES || memcmp(message, expected_bytes, MESSAGE_BYTES))
			return fprintf(stderr, "consumer: message %llu damaged\n",
				       (unsigned long long)sequence),
			       4;
		if (sequence < expected) {
			if (write(dup_fd, "D", 1) != 1)
				return 2;
			continue;
		}
		if (sequence > expected)
			return fprintf(stderr, "consumer: lost %llu (got %llu)\n",
				       (unsigned long long)expected, (unsigned long long)sequence),
			       3;
		batch[filled++] = sequence;
		expected++;
	}
	if (filled && write(log_fd, batch, filled * 8) != (ssize_t)(filled * 8))
		return 2;
	ivshmem_ring_release(ring);
	ivshmem_ring_close(ring);
	ivshmem_close(region);
	return 0;
}

static pid_t start(const char *self, const char *role, const char *path, const char *log_path)
{
	pid_t child = fork();

	if (child == 0) {
		execl(self, self, role, path, log_path, (char *)NULL);
		_exit(127);
	}
	return child;
}

/* Waits up to 3 s for the file to grow beyond size bytes. */
static bool await_growth(const char *file, uint64_t size)
{
	uint64_t deadline = ivshmem_now_ns() + 3000000000ull;
	struct stat st;

	while (ivshmem_now_ns() < deadline) {
		if (stat(file, &st) == 0 && (uint64_t)st.st_size > size)
			return true;
		sleep_us(2000);
	}
	return false;
}

/* Polls the peer table until peer shows event (or a second passes). */
static bool await_event(struct ivshmem_region *observer, int peer, int event)
{
	uint64_t deadline = ivshmem_now_ns() + 3000000000ull;

	while (ivshmem_now_ns() < deadline) {
		struct ivshmem_peer_change changes[8];
		int count = ivshmem_peers_poll(observer, changes, 8);

		for (int i = 0; i < count; i++)
			if (changes[i].peer_id == peer &&
			    (changes[i].event == event ||
			     (event == IVSHMEM_PEER_EVENT_RESTARTED &&
			      changes[i].event == IVSHMEM_PEER_EVENT_JOINED)))
				return true;
		sleep_us(2000);
	}
	return false;
}

static int run_main(const char *self)
{
	char path[128], log_path[256], dup_path[300], gone_path[300];
	struct ivshmem_open_options options;
	struct ivshmem_region *observer;
	const double kill_at[] = { 0.15, 0.35, 0.55, 0.75 };
	int kills = 0, liveness_ok = 1, status, failed = 0, gone_reports = 0;
	pid_t children[2];
	uint64_t deadline, count;

	snprintf(path, sizeof(path), "/dev/shm/ivshmem-mp-%d", (int)getpid());
	snprintf(log_path, sizeof(log_path), "/tmp/ivshmem-mp-%d.log", (int)getpid());
	snprintf(dup_path, sizeof(dup_path), "%s.duplicates", log_path);
	snprintf(gone_path, sizeof(gone_path), "%s.gone", log_path);
	unlink(path);
	unlink(log_path);
	unlink(dup_path);
	unlink(gone_path);
	ivshmem_open_options_init(&options);
	options.flags = IVSHMEM_OPEN_CREATE | IVSHMEM_OPEN_INIT | IVSHMEM_OPEN_NO_JOIN;
	options.create_size = REGION_BYTES;
	options.init_name = "mp_stream";
	options.peer_timeout_ms = 200;
	if (ivshmem_open(path, &options, &observer))
		return fprintf(stderr, "%s\n", ivshmem_last_error_message()), 1;
	children[1] = start(self, "consumer", path, log_path);
	children[0] = start(self, "producer", path, log_path);
	/* Both joined (one poll may report both at once). */
	for (int joined = 0; joined != 3 && logged_count(log_path) < COUNT;) {
		struct ivshmem_peer_change changes[8];
		int changed = ivshmem_peers_poll(observer, changes, 8);

		for (int i = 0; i < changed; i++)
			if (changes[i].event == IVSHMEM_PEER_EVENT_JOINED && changes[i].peer_id < 2)
				joined |= 1 << changes[i].peer_id;
		sleep_us(200);
	}
	deadline = ivshmem_now_ns() + 120000000000ull;
	while ((count = logged_count(log_path)) < COUNT && ivshmem_now_ns() < deadline) {
		if (kills < 4 && count >= kill_at[kills] * COUNT) {
			int victim = kills % 2 == 0 ? 1 : 0; /* consumer, producer, ... */
			struct stat before;
			uint64_t gone_before =
			    stat(gone_path, &before) == 0 ? (uint64_t)before.st_size : 0;

			kill(children[victim], SIGKILL);
			waitpid(children[victim], &status, 0);
			if (!await_event(observer, victim, IVSHMEM_PEER_EVENT_DIED))
				liveness_ok = 0;
			/* The survivor, blocked on the ring, must hear of it without our help. */
			if (await_growth(gone_path, gone_before))
				gone_reports++;
			children[victim] =
			    start(self, victim ? "consumer" : "producer", path, log_path);
			if (!await_event(observer, victim, IVSHMEM_PEER_EVENT_RESTARTED))
				liveness_ok = 0;
			kills++;
		}
		/* A child that died on its own (lost or damaged message) ends the test. */
		for (int i = 0; i < 2; i++) {
			if (children[i] > 0 &&
			    waitpid(children[i], &status, WNOHANG) == children[i]) {
				children[i] = -1;
				if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
					fprintf(stderr, "%s exited with %d\n",
						i ? "consumer" : "producer", WEXITSTATUS(status));
					failed = 1;
				}
			}
		}
		if (failed)
			break;
		sleep_us(500);
	}
	for (int i = 0; i < 2; i++) {
		if (children[i] <= 0)
			continue;
		if (failed || ivshmem_now_ns() >= deadline)
			kill(children[i], SIGKILL);
		waitpid(children[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	}
	/* The log must be exactly 0, 1, ..., COUNT-1. */
	{
		FILE *log = fopen(log_path, "rb");
		uint64_t value, expected = 0;
		int in_order = log != NULL;

		while (log && fread(&value, 8, 1, log) == 1) {
			if (value != expected++)
				in_order = 0;
		}
		if (log)
			fclose(log);
		in_order = in_order && expected == COUNT && !failed;
		printf("%s - mp: %u messages over /dev/shm, consumer and producer each SIGKILLed "
		       "twice and restarted: all arrive once, in order (%d kills)\n",
		       in_order && kills == 4 ? "ok" : "not ok", COUNT, kills);
		failed |= !(in_order && kills == 4);
	}
	{
		struct stat st;
		uint64_t duplicates = stat(dup_path, &st) == 0 ? (uint64_t)st.st_size : 0;
		printf("%s - mp: the ring redelivered at most one batch per consumer kill "
		       "(%llu redelivered, bound %u)\n",
		       duplicates <= 2 * BATCH ? "ok" : "not ok", (unsigned long long)duplicates,
		       2 * BATCH);
		failed |= duplicates > 2 * BATCH;
	}
	printf("%s - mp: each killed peer was seen dead (heartbeat) and back (new epoch)\n",
	       liveness_ok ? "ok" : "not ok");
	failed |= !liveness_ok;
	printf("%s - mp: after each kill the survivor's blocked ring wait returned PEER_GONE "
	       "before the restart (%d of %d kills)\n",
	       gone_reports == kills && kills == 4 ? "ok" : "not ok", gone_reports, kills);
	failed |= !(gone_reports == kills && kills == 4);
	unlink(gone_path);
	ivshmem_close(observer);
	unlink(path);
	unlink(log_path);
	unlink(dup_path);
	return failed;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return run_main("/proc/self/exe");
	if (argc >= 4 && strcmp(argv[1], "producer") == 0)
		return producer_main(argv[2], argv[3]);
	if (argc >= 4 && strcmp(argv[1], "consumer") == 0)
		return consumer_main(argv[2], argv[3]);
	fprintf(stderr, "usage: %s run\n", argv[0]);
	return 2;
}
