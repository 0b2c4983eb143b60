// SPDX-License-Identifier: BSD-3-Clause
/*
 * ivshmem-doorbell-server: hands one shared memory object and per-peer eventfds to every
 * client of a UNIX socket, speaking the protocol QEMU's ivshmem-doorbell device (and
 * libivshmem's server: mapping) expect. Each message is a little-endian int64 with at
 * most one descriptor:
 *   to a new client: 0 (protocol version), its id, -1 + the memory;
 *   to the others:   the new id + one eventfd per vector;
 *   to the new one:  every other id + its eventfds, then its own id + its own eventfds;
 *   on a departure:  the id alone, to everyone left.
 * Ids count up (and wrap around) below the SDK layout's 32 peer slots.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ivshmem.h"

#define MAX_CLIENTS IVSHMEM_MAX_PEERS
#define MAX_VECTORS 64

struct client {
	int socket;
	int vectors[MAX_VECTORS];
};

static struct client clients[MAX_CLIENTS];
static unsigned vector_count = 1;
static int memory_fd = -1;
static int next_id;
static int verbose;
static volatile sig_atomic_t stopping;

static void on_signal(int signal_number)
{
	(void)signal_number;
	stopping = 1;
}

static int send_message(int socket_fd, int64_t value, int fd)
{
	union {
		struct cmsghdr header;
		char space[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = &value, .iov_len = sizeof(value) };
	struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1 };

	/* The protocol is little-endian; so is every host this builds for. */
	_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "little-endian host");
	if (fd >= 0) {
		struct cmsghdr *cmsg;

		memset(&control, 0, sizeof(control));
		message.msg_control = &control;
		message.msg_controllen = sizeof(control);
		cmsg = CMSG_FIRSTHDR(&message);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	return sendmsg(socket_fd, &message, MSG_NOSIGNAL) == sizeof(value) ? 0 : -1;
}

static int send_vectors(int socket_fd, int id)
{
	for (unsigned v = 0; v < vector_count; v++)
		if (send_message(socket_fd, id, clients[id].vectors[v]) < 0)
			return -1;
	return 0;
}

static void drop_client(int id)
{
	if (clients[id].socket < 0)
		return;
	close(clients[id].socket);
	clients[id].socket = -1;
	for (unsigned v = 0; v < vector_count; v++) {
		close(clients[id].vectors[v]);
		clients[id].vectors[v] = -1;
	}
	for (int other = 0; other < MAX_CLIENTS; other++)
		if (clients[other].socket >= 0)
			send_message(clients[other].socket, id, -1);
	if (verbose)
		fprintf(stderr, "peer %d left\n", id);
}

static void accept_client(int listen_fd)
{
	int socket_fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	int id, attempt;

	if (socket_fd < 0)
		return;
	/* Ids advance like QEMU's own server's: a newcomer never gets the id of a peer that
	 * just left (QEMU 7.2 crashes when an id it saw leave joins again), until the ids
	 * wrap around after MAX_CLIENTS connections. */
	for (id = -1, attempt = 0; attempt < MAX_CLIENTS; attempt++) {
		int candidate = (next_id + attempt) % MAX_CLIENTS;

		if (clients[candidate].socket < 0) {
			id = candidate;
			break;
		}
	}
	if (id < 0) {
		fprintf(stderr, "refusing a client: all %d ids are taken\n", MAX_CLIENTS);
		close(socket_fd);
		return;
	}
	for (unsigned v = 0; v < vector_count; v++) {
		clients[id].vectors[v] = eventfd(0, EFD_CLOEXEC);
		if (clients[id].vectors[v] < 0) {
			perror("eventfd");
			for (unsigned u = 0; u < v; u++)
				close(clients[id].vectors[u]);
			close(socket_fd);
			return;
		}
	}
	clients[id].socket = socket_fd;
	next_id = (id + 1) % MAX_CLIENTS;
	if (send_message(socket_fd, 0, -1) < 0 || send_message(socket_fd, id, -1) < 0 ||
	    send_message(socket_fd, -1, memory_fd) < 0) {
		drop_client(id);
		return;
	}
	for (int other = 0; other < MAX_CLIENTS; other++) {
		if (other == id || clients[other].socket < 0)
			continue;
		if (send_vectors(clients[other].socket, id) < 0)
			drop_client(other);
	}
	for (int other = 0; other < MAX_CLIENTS; other++) {
		if (other == id || clients[other].socket < 0)
			continue;
		if (send_vectors(socket_fd, other) < 0) {
			drop_client(id);
			return;
		}
	}
	if (send_vectors(socket_fd, id) < 0) {
		drop_client(id);
		return;
	}
	if (verbose)
		fprintf(stderr, "peer %d joined\n", id);
}

static void usage(FILE *stream)
{
	fprintf(stream,
		"usage: ivshmem-doorbell-server -S SOCKET -m FILE -l SIZE [-n VECTORS] [-i NAME] "
		"[-v]\n"
		"  -S SOCKET   UNIX socket clients connect to (QEMU: -chardev socket,path=SOCKET)\n"
		"  -m FILE     shared memory file, created if absent (e.g. /dev/shm/NAME)\n"
		"  -l SIZE     its size in bytes, with K/M/G suffixes (a power of two)\n"
		"  -n VECTORS  interrupt vectors per peer (1..%d, default 1)\n"
		"  -i NAME     lay out the SDK header with this region name if there is none\n"
		"  -v          report peers joining and leaving\n",
		MAX_VECTORS);
}

static uint64_t parse_size(const char *text)
{
	char *end;
	uint64_t value = strtoull(text, &end, 0);

	if (*end == 'K' || *end == 'k')
		value <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		value <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		value <<= 30, end++;
	return *end ? 0 : value;
}

int main(int argc, char **argv)
{
	const char *socket_path = NULL, *memory_path = NULL, *init_name = NULL;
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	uint64_t size = 0;
	struct stat status;
	int listen_fd, option;

	while ((option = getopt(argc, argv, "S:m:l:n:i:vh")) != -1) {
		switch (option) {
		case 'S':
			socket_path = optarg;
			break;
		case 'm':
			memory_path = optarg;
			break;
		case 'l':
			size = parse_size(optarg);
			break;
		case 'n':
			vector_count = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case 'i':
			init_name = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!socket_path || !memory_path || !size || (size & (size - 1)) || vector_count < 1 ||
	    vector_count > MAX_VECTORS || strlen(socket_path) >= sizeof(address.sun_path)) {
		fprintf(stderr, "ivshmem-doorbell-server: need -S, -m and a power-of-two -l; "
				"-n in 1..64\n");
		usage(stderr);
		return 2;
	}
	memory_fd = open(memory_path, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
	if (memory_fd < 0 || fstat(memory_fd, &status) < 0) {
		fprintf(stderr, "ivshmem-doorbell-server: %s: %s\n", memory_path, strerror(errno));
		return 1;
	}
	if (status.st_size == 0 && ftruncate(memory_fd, (off_t)size) < 0) {
		fprintf(stderr, "ivshmem-doorbell-server: cannot size %s: %s\n", memory_path,
			strerror(errno));
		return 1;
	}
	if (status.st_size != 0 && (uint64_t)status.st_size != size) {
		fprintf(stderr, "ivshmem-doorbell-server: %s has %lld bytes, not %llu\n",
			memory_path, (long long)status.st_size, (unsigned long long)size);
		return 1;
	}
	if (init_name) {
		struct ivshmem_open_options options;
		struct ivshmem_region *region;

		ivshmem_open_options_init(&options);
		options.flags = IVSHMEM_OPEN_INIT | IVSHMEM_OPEN_NO_JOIN;
		options.init_name = init_name;
		if (ivshmem_open(memory_path, &options, &region)) {
			fprintf(stderr, "ivshmem-doorbell-server: %s\n",
				ivshmem_last_error_message());
			return 1;
		}
		ivshmem_close(region);
	}
	for (int id = 0; id < MAX_CLIENTS; id++) {
		clients[id].socket = -1;
		for (int v = 0; v < MAX_VECTORS; v++)
			clients[id].vectors[v] = -1;
	}
	strcpy(address.sun_path, socket_path);
	unlink(socket_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&address, sizeof(address)) < 0 ||
	    listen(listen_fd, 16) < 0) {
		fprintf(stderr, "ivshmem-doorbell-server: %s: %s\n", socket_path, strerror(errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (verbose)
		fprintf(stderr, "listening on %s, %u vector(s), %llu bytes\n", socket_path,
			vector_count, (unsigned long long)size);
	while (!stopping) {
		struct pollfd fds[MAX_CLIENTS + 1];
		int ids[MAX_CLIENTS + 1];
		int used = 1;

		fds[0] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
		for (int id = 0; id < MAX_CLIENTS; id++) {
			if (clients[id].socket < 0)
				continue;
			fds[used] = (struct pollfd){ .fd = clients[id].socket, .events = POLLIN };
			ids[used++] = id;
		}
		if (poll(fds, (nfds_t)used, 500) < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			break;
		}
		for (int i = 1; i < used; i++) {
			char scratch[64];

			if (!fds[i].revents)
				continue;
			/* Clients have nothing to say: data is discarded, end of file is a leave.
			 */
			if (read(fds[i].fd, scratch, sizeof(scratch)) <= 0)
				drop_client(ids[i]);
		}
		if (fds[0].revents & POLLIN)
			accept_client(listen_fd);
	}
	for (int id = 0; id < MAX_CLIENTS; id++)
		drop_client(id);
	close(listen_fd);
	unlink(socket_path);
	return 0;
}
