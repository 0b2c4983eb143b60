// SPDX-License-Identifier: BSD-3-Clause
/* The ivshmem tool: list, info, init, send, recv, ring, wait, ping, bench. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tool.h"

static const char usage_text[] =
    "usage: ivshmem [--peer ID] [--json] COMMAND [ARGS]\n"
    "  list                              ivshmem devices and SDK regions in /dev/shm\n"
    "  info REGION                       header, peers, channels and ring fill\n"
    "  init NAME SIZE [--path FILE] [--force]\n"
    "                                    create /dev/shm/NAME (or FILE, or a device given\n"
    "                                    by --path) of SIZE bytes and lay out the header\n"
    "  send REGION CHANNEL MESSAGE... [--to PEER] [--capacity BYTES]\n"
    "  recv REGION CHANNEL [--count N] [--timeout MS]\n"
    "  ring REGION PEER VECTOR           ring a doorbell\n"
    "  wait REGION VECTOR [--timeout MS] wait for this peer's doorbell\n"
    "  ping REGION --to PEER [--serve] [--count N] [--size BYTES] [--poll]\n"
    "  bench [--quick] [--cpus A,B]      throughput and latency against baselines, on\n"
    "                                    CPUs A and B (default: the first two allowed)\n"
    "REGION is a region name, a PCI address, shm:NAME, server:SOCKET or a path.\n";

int tool_fail(const char *what, int error)
{
	const char *detail = ivshmem_last_error_message();

	fprintf(stderr, "ivshmem: %s: %s%s%s\n", what, ivshmem_strerror(error), *detail ? ": " : "",
		detail);
	return 1;
}

uint64_t tool_now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

int tool_parse_u64(const char *text, uint64_t *value)
{
	char *end;

	errno = 0;
	*value = strtoull(text, &end, 0);
	if (errno || end == text || text[0] == '-')
		return -1;
	if (*end == 'K' || *end == 'k')
		*value <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		*value <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		*value <<= 30, end++;
	return *end ? -1 : 0;
}

int tool_open(const char *spec, const struct tool_options *options, uint32_t flags,
	      struct ivshmem_region **region_out)
{
	struct ivshmem_open_options open_options;
	int error;

	ivshmem_open_options_init(&open_options);
	open_options.flags = flags;
	open_options.peer_id = options->peer_id;
	error = ivshmem_open(spec, &open_options, region_out);
	return error ? tool_fail(spec, error) : 0;
}

/* "write-back" as the path gives it, "write-back*" when the kernel's PAT table said so. */
static const char *cache_label(const struct ivshmem_region_info *info)
{
	static char label[24];

	snprintf(label, sizeof(label), "%s%s", ivshmem_cache_name(info->cache),
		 info->cache_source == IVSHMEM_CACHE_FROM_PAT ? "*" : "");
	return label;
}

static int command_list(const struct tool_options *options)
{
	struct ivshmem_region_info infos[64];
	int count = ivshmem_list(infos, 64);

	if (count < 0)
		return tool_fail("list", count);
	if (options->json)
		printf("[");
	else
		printf("%-14s %10s %-20s %5s %7s %-8s %-11s %s\n", "ADDRESS", "SIZE", "NAME",
		       "PEER", "VECTORS", "MAPPING", "CACHE", "DEVICE");
	for (int i = 0; i < count && i < 64; i++) {
		struct ivshmem_region_info *info = &infos[i];

		if (options->json)
			printf("%s{\"address\":\"%s\",\"size\":%llu,\"name\":\"%s\",\"peer\":%d,"
			       "\"vectors\":%u,\"mapping\":\"%s\",\"cache\":\"%s\","
			       "\"cache_from_pat\":%s,\"initialised\":%s}",
			       i ? "," : "", info->address, (unsigned long long)info->size,
			       info->name, info->peer_id, info->vectors,
			       ivshmem_mapping_name(info->mapping), ivshmem_cache_name(info->cache),
			       info->cache_source == IVSHMEM_CACHE_FROM_PAT ? "true" : "false",
			       info->initialised ? "true" : "false");
		else
			printf("%-14s %10llu %-20s %5d %7u %-8s %-11s %s\n", info->address,
			       (unsigned long long)info->size, info->initialised ? info->name : "-",
			       info->peer_id, info->vectors, ivshmem_mapping_name(info->mapping),
			       cache_label(info), info->device);
	}
	if (options->json)
		printf("]\n");
	else if (count == 0)
		printf("(no ivshmem devices and no SDK regions in /dev/shm)\n");
	return 0;
}

static const char *peer_state_name(int state)
{
	switch (state) {
	case IVSHMEM_PEER_ALIVE:
		return "alive";
	case IVSHMEM_PEER_LEFT:
		return "left";
	case IVSHMEM_PEER_DEAD:
		return "dead";
	}
	return "free";
}

static int command_info(int argc, char **argv, const struct tool_options *options)
{
	struct ivshmem_region_info info = { .struct_size = sizeof(info) };
	struct ivshmem_channel_info channels[IVSHMEM_MAX_CHANNELS];
	struct ivshmem_region *region;
	int count;

	if (argc != 2) {
		fprintf(stderr, "usage: ivshmem info REGION\n");
		return 2;
	}
	if (tool_open(argv[1], options, IVSHMEM_OPEN_NO_JOIN, &region))
		return 1;
	ivshmem_region_get_info(region, &info);
	printf("region   %s\naddress  %s\ndevice   %s\nmapping  %s\ncache    %s (%s)\n"
	       "size     %llu\nlayout   version %u, epoch %llu\nvectors  %u\n",
	       info.name, info.address, info.device, ivshmem_mapping_name(info.mapping),
	       ivshmem_cache_name(info.cache),
	       info.cache_source == IVSHMEM_CACHE_FROM_PAT ? "the kernel's PAT table"
							   : "what this mapping path gives",
	       (unsigned long long)info.size, info.layout_version,
	       (unsigned long long)info.creation_epoch, info.vectors);
	printf("peers:\n");
	for (int id = 0; id < IVSHMEM_MAX_PEERS; id++) {
		struct ivshmem_peer_info peer;

		if (ivshmem_peer_get_info(region, id, &peer) == 0 && peer.epoch != 0)
			printf("  %2d  %-5s  epoch %llu  heartbeat %llu  pid %u\n", id,
			       peer_state_name(peer.state), (unsigned long long)peer.epoch,
			       (unsigned long long)peer.heartbeat, peer.process_id);
	}
	count = ivshmem_channel_list(region, channels, IVSHMEM_MAX_CHANNELS);
	printf("channels:\n");
	for (int i = 0; i < count && i < IVSHMEM_MAX_CHANNELS; i++) {
		struct ivshmem_channel_info *channel = &channels[i];

		if (channel->kind == IVSHMEM_CHANNEL_RING)
			printf(
			    "  ring     %-23s %d -> %d  vector %u  %llu/%llu bytes used (%.1f%%)\n",
			    channel->name, channel->producer_peer, channel->consumer_peer,
			    channel->vector, (unsigned long long)channel->used,
			    (unsigned long long)channel->capacity,
			    100.0 * (double)channel->used / (double)channel->capacity);
		else
			printf("  mailbox  %-23s %llu/%llu bytes\n", channel->name,
			       (unsigned long long)channel->used,
			       (unsigned long long)channel->capacity);
	}
	ivshmem_close(region);
	return 0;
}

static int command_init(int argc, char **argv, const struct tool_options *options)
{
	static const struct option long_options[] = { { "path", required_argument, 0, 'p' },
						      { "force", no_argument, 0, 'f' },
						      { 0, 0, 0, 0 } };
	struct ivshmem_open_options open_options;
	struct ivshmem_region *region;
	const char *path = NULL;
	char default_path[128];
	uint64_t size;
	int force = 0, option, error;

	(void)options;
	optind = 1;
	while ((option = getopt_long(argc, argv, "p:f", long_options, NULL)) != -1) {
		if (option == 'p')
			path = optarg;
		else if (option == 'f')
			force = 1;
		else
			return 2;
	}
	if (argc - optind != 2 || tool_parse_u64(argv[optind + 1], &size) || !size) {
		fprintf(stderr, "usage: ivshmem init NAME SIZE [--path FILE] [--force]\n");
		return 2;
	}
	if (!path) {
		snprintf(default_path, sizeof(default_path), "/dev/shm/%s", argv[optind]);
		path = default_path;
	}
	ivshmem_open_options_init(&open_options);
	open_options.flags = IVSHMEM_OPEN_RAW | IVSHMEM_OPEN_NO_JOIN;
	if (path[0] == '/' && strncmp(path, "/dev/ivshmem", 12) && strncmp(path, "/sys/", 5) &&
	    strncmp(path, "/dev/uio", 8)) {
		open_options.flags |= IVSHMEM_OPEN_CREATE;
		open_options.create_size = size;
	}
	error = ivshmem_open(path, &open_options, &region);
	if (error)
		return tool_fail(path, error);
	{
		uint64_t actual;

		ivshmem_region_memory(region, &actual);
		if (actual != size) {
			fprintf(stderr, "ivshmem: %s: region has %llu bytes, not %llu\n", path,
				(unsigned long long)actual, (unsigned long long)size);
			ivshmem_close(region);
			return 1;
		}
	}
	error = ivshmem_region_init_layout(region, argv[optind], force);
	ivshmem_close(region);
	if (error)
		return tool_fail(path, error);
	printf("initialised %s as '%s' (%llu bytes)\n", path, argv[optind],
	       (unsigned long long)size);
	return 0;
}

static int command_send(int argc, char **argv, const struct tool_options *options)
{
	static const struct option long_options[] = { { "to", required_argument, 0, 't' },
						      { "capacity", required_argument, 0, 'c' },
						      { 0, 0, 0, 0 } };
	struct ivshmem_ring_options ring_options;
	struct ivshmem_region_info info = { .struct_size = sizeof(info) };
	struct ivshmem_region *region;
	struct ivshmem_ring *ring;
	uint64_t value;
	int option, error, status = 0;

	ivshmem_ring_options_init(&ring_options);
	ring_options.consumer_peer = -1;
	optind = 1;
	while ((option = getopt_long(argc, argv, "t:c:", long_options, NULL)) != -1) {
		if (option == 't' && tool_parse_u64(optarg, &value) == 0)
			ring_options.consumer_peer = (int32_t)value;
		else if (option == 'c' && tool_parse_u64(optarg, &value) == 0)
			ring_options.capacity = (uint32_t)value;
		else
			return 2;
	}
	if (argc - optind < 3) {
		fprintf(stderr, "usage: ivshmem send REGION CHANNEL MESSAGE... [--to PEER]\n");
		return 2;
	}
	if (tool_open(argv[optind], options, 0, &region))
		return 1;
	ivshmem_region_get_info(region, &info);
	ring_options.producer_peer = info.peer_id;
	error = ivshmem_ring_open(region, argv[optind + 1], IVSHMEM_RING_PRODUCER, &ring_options,
				  &ring);
	if (error) {
		ivshmem_close(region);
		return tool_fail(argv[optind + 1], error);
	}
	for (int i = optind + 2; i < argc && !status; i++) {
		error = ivshmem_ring_send_wait(ring, argv[i], strlen(argv[i]), 10000000000ull);
		if (error)
			status = tool_fail("send", error);
	}
	ivshmem_ring_close(ring);
	ivshmem_close(region);
	return status;
}

static int command_recv(int argc, char **argv, const struct tool_options *options)
{
	static const struct option long_options[] = { { "count", required_argument, 0, 'n' },
						      { "timeout", required_argument, 0, 't' },
						      { 0, 0, 0, 0 } };
	struct ivshmem_region *region;
	struct ivshmem_ring *ring = NULL;
	uint64_t count = 1, timeout_ms = 10000, start;
	static char buffer[1 << 20];
	int option, error = 0, status = 0;

	optind = 1;
	while ((option = getopt_long(argc, argv, "n:t:", long_options, NULL)) != -1) {
		if (option == 'n' && tool_parse_u64(optarg, &count) == 0)
			continue;
		if (option == 't' && tool_parse_u64(optarg, &timeout_ms) == 0)
			continue;
		return 2;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: ivshmem recv REGION CHANNEL [--count N] [--timeout MS]\n");
		return 2;
	}
	if (tool_open(argv[optind], options, 0, &region))
		return 1;
	/* The sender may create the channel after we start: wait for it. */
	start = tool_now_ns();
	do {
		error =
		    ivshmem_ring_open(region, argv[optind + 1], IVSHMEM_RING_CONSUMER, NULL, &ring);
		if (error == IVSHMEM_ERR_NOT_FOUND) {
			struct timespec pause = { 0, 10000000 };

			nanosleep(&pause, NULL);
		}
	} while (error == IVSHMEM_ERR_NOT_FOUND && tool_now_ns() - start < timeout_ms * 1000000ull);
	if (error) {
		ivshmem_close(region);
		return tool_fail(argv[optind + 1], error);
	}
	for (uint64_t i = 0; i < count; i++) {
		uint64_t deadline = tool_now_ns() + timeout_ms * 1000000ull, now;
		size_t length;

		/* A sender that left is no reason to stop: the next one re-opens the ring. */
		error = ivshmem_ring_recv_wait(ring, buffer, sizeof(buffer) - 1, &length,
					       timeout_ms * 1000000ull);
		while (error == IVSHMEM_ERR_PEER_GONE) {
			now = tool_now_ns();
			error = now >= deadline
				    ? IVSHMEM_ERR_TIMEOUT
				    : ivshmem_ring_recv_wait(ring, buffer, sizeof(buffer) - 1,
							     &length, deadline - now);
		}
		if (error) {
			status = tool_fail("recv", error);
			break;
		}
		printf("%.*s\n", (int)length, buffer);
		fflush(stdout);
	}
	ivshmem_ring_close(ring);
	ivshmem_close(region);
	return status;
}

static int command_ring(int argc, char **argv, const struct tool_options *options)
{
	struct ivshmem_region *region;
	uint64_t peer, vector;
	int error;

	if (argc != 4 || tool_parse_u64(argv[2], &peer) || tool_parse_u64(argv[3], &vector)) {
		fprintf(stderr, "usage: ivshmem ring REGION PEER VECTOR\n");
		return 2;
	}
	if (tool_open(argv[1], options, IVSHMEM_OPEN_RAW | IVSHMEM_OPEN_NO_JOIN, &region))
		return 1;
	error = ivshmem_doorbell_ring(region, peer > INT32_MAX ? -1 : (int)peer,
				      vector > 0xffff ? 0xffff : (unsigned)vector);
	ivshmem_close(region);
	return error ? tool_fail("ring", error) : 0;
}

static int command_wait(int argc, char **argv, const struct tool_options *options)
{
	struct ivshmem_region *region;
	uint64_t vector, timeout_ms = 10000;
	int error;

	if ((argc != 3 && !(argc == 5 && strcmp(argv[3], "--timeout") == 0)) ||
	    tool_parse_u64(argv[2], &vector) ||
	    (argc == 5 && tool_parse_u64(argv[4], &timeout_ms))) {
		fprintf(stderr, "usage: ivshmem wait REGION VECTOR [--timeout MS]\n");
		return 2;
	}
	if (tool_open(argv[1], options, 0, &region))
		return 1;
	error = ivshmem_doorbell_wait(region, vector > 0xffff ? 0xffff : (unsigned)vector,
				      timeout_ms * 1000000ull);
	ivshmem_close(region);
	if (error)
		return tool_fail("wait", error);
	printf("doorbell %llu rang\n", (unsigned long long)vector);
	return 0;
}

int main(int argc, char **argv)
{
	struct tool_options options = { .peer_id = IVSHMEM_PEER_ID_DEFAULT };
	const char *command;
	int first = 1;

	while (first < argc && argv[first][0] == '-') {
		uint64_t value;

		if (strcmp(argv[first], "--json") == 0) {
			options.json = 1;
			first++;
		} else if (strcmp(argv[first], "--peer") == 0 && first + 1 < argc &&
			   tool_parse_u64(argv[first + 1], &value) == 0 &&
			   value < IVSHMEM_MAX_PEERS) {
			options.peer_id = (int)value;
			first += 2;
		} else if (strcmp(argv[first], "--help") == 0 || strcmp(argv[first], "-h") == 0) {
			fputs(usage_text, stdout);
			return 0;
		} else {
			fprintf(stderr, "ivshmem: unknown or bad option '%s'\n%s", argv[first],
				usage_text);
			return 2;
		}
	}
	if (first >= argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	command = argv[first];
	argc -= first;
	argv += first;
	if (strcmp(command, "list") == 0)
		return command_list(&options);
	if (strcmp(command, "info") == 0)
		return command_info(argc, argv, &options);
	if (strcmp(command, "init") == 0)
		return command_init(argc, argv, &options);
	if (strcmp(command, "send") == 0)
		return command_send(argc, argv, &options);
	if (strcmp(command, "recv") == 0)
		return command_recv(argc, argv, &options);
	if (strcmp(command, "ring") == 0)
		return command_ring(argc, argv, &options);
	if (strcmp(command, "wait") == 0)
		return command_wait(argc, argv, &options);
	if (strcmp(command, "ping") == 0)
		return command_ping(argc, argv, &options);
	if (strcmp(command, "bench") == 0)
		return command_bench(argc, argv, &options);
	fprintf(stderr, "ivshmem: unknown command '%s'\n%s", command, usage_text);
	return 2;
}
