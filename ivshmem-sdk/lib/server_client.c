// SPDX-License-Identifier: BSD-3-Clause
/*
 * The client side of the ivshmem-server protocol (what QEMU's ivshmem-doorbell speaks),
 * so a host process joins the same region and doorbells as the VMs. Messages are one
 * little-endian int64, optionally with one descriptor (SCM_RIGHTS): the protocol version
 * (0), our id, -1 with the shared memory, then per peer one message per vector carrying
 * its eventfd (our own id: the eventfds we are woken through), and a bare id when a peer
 * leaves. Everything the server says is checked: it is another process.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"

#define SERVER_PROTOCOL_VERSION 0
#define SERVER_SETUP_TIMEOUT_MS 5000

/* 1: got a message, 0: nothing waiting (non-blocking), <0: error or closed. */
static int receive_message(int socket_fd, int64_t *value, int *fd_out, bool block)
{
	union {
		struct cmsghdr header;
		char space[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = value, .iov_len = sizeof(*value) };
	struct msghdr message = { .msg_iov = &iov,
				  .msg_iovlen = 1,
				  .msg_control = &control,
				  .msg_controllen = sizeof(control) };
	struct cmsghdr *cmsg;
	ssize_t got;

	*fd_out = -1;
	memset(&control, 0, sizeof(control));
	got = recvmsg(socket_fd, &message, MSG_CMSG_CLOEXEC | (block ? 0 : MSG_DONTWAIT));
	if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (got < 0)
		return ivshmem_fail_errno(errno, "receive from the doorbell server");
	for (cmsg = CMSG_FIRSTHDR(&message); cmsg; cmsg = CMSG_NXTHDR(&message, cmsg)) {
		if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS &&
		    cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd_out, CMSG_DATA(cmsg), sizeof(int));
	}
	if (got == 0)
		return ivshmem_fail(IVSHMEM_ERR_PEER_GONE, "doorbell server closed the connection");
	if (got != sizeof(*value) || (message.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (*fd_out >= 0)
			close(*fd_out);
		return ivshmem_fail(IVSHMEM_ERR_PROTOCOL,
				    "doorbell server sent a %zd-byte message (expected 8)", got);
	}
	return 1;
}

static void forget_peer(struct ivshmem_region *region, int peer)
{
	for (int v = 0; v < IVSHMEM_MAX_VECTORS; v++) {
		if (region->peer_vector_fds[peer][v] >= 0)
			close(region->peer_vector_fds[peer][v]);
		region->peer_vector_fds[peer][v] = -1;
	}
}

/* Files one post-setup message: a peer's vector, our own vector, or a departure. */
static int handle_message(struct ivshmem_region *region, int64_t id, int fd)
{
	int *slots;

	if (id < 0 || id >= IVSHMEM_MAX_PEERS) {
		if (fd >= 0)
			close(fd);
		return ivshmem_fail(IVSHMEM_ERR_PROTOCOL,
				    "doorbell server named peer %lld, outside [0, %d)",
				    (long long)id, IVSHMEM_MAX_PEERS);
	}
	if (fd < 0) {
		forget_peer(region, (int)id);
		return 0;
	}
	slots = id == region->peer_id ? region->vector_fds : region->peer_vector_fds[id];
	for (int v = 0; v < IVSHMEM_MAX_VECTORS; v++) {
		if (slots[v] < 0) {
			slots[v] = fd;
			if (id == region->peer_id) {
				fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
				region->vectors = (uint32_t)v + 1;
			}
			return 0;
		}
	}
	close(fd); /* more vectors than this library uses: ignore the extra ones */
	return 0;
}

int server_drain(struct ivshmem_region *region)
{
	int error = 0;

	pthread_mutex_lock(&region->server_lock);
	while (region->server_socket >= 0) {
		int64_t value;
		int fd;
		int got = receive_message(region->server_socket, &value, &fd, false);

		if (got == 0)
			break;
		if (got < 0) {
			/* The server went away: doorbells we hold keep working, no new peers. */
			close(region->server_socket);
			region->server_socket = -1;
			error = got;
			break;
		}
		handle_message(region, value, fd);
	}
	pthread_mutex_unlock(&region->server_lock);
	return error;
}

static int expect_plain(int socket_fd, int64_t *value, const char *what)
{
	int fd;
	int got = receive_message(socket_fd, value, &fd, true);

	if (got < 0)
		return got;
	if (fd >= 0) {
		close(fd);
		return ivshmem_fail(IVSHMEM_ERR_PROTOCOL,
				    "doorbell server sent a descriptor with %s", what);
	}
	return 0;
}

int server_connect(struct ivshmem_region *region, const char *socket_path)
{
	struct sockaddr_un address = { .sun_family = AF_UNIX };
	int64_t value;
	int memory_fd, error, got;
	struct stat status;
	uint64_t deadline;

	if (strlen(socket_path) >= sizeof(address.sun_path))
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "socket path too long: %s",
				    socket_path);
	strcpy(address.sun_path, socket_path);
	region->server_socket = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (region->server_socket < 0)
		return ivshmem_fail_errno(errno, "socket");
	if (connect(region->server_socket, (struct sockaddr *)&address, sizeof(address)) < 0)
		return ivshmem_fail_errno(errno, "cannot connect to doorbell server %s",
					  socket_path);
	error = expect_plain(region->server_socket, &value, "the protocol version");
	if (error)
		return error;
	if (value != SERVER_PROTOCOL_VERSION)
		return ivshmem_fail(IVSHMEM_ERR_PROTOCOL,
				    "doorbell server speaks protocol %lld, this library %d",
				    (long long)value, SERVER_PROTOCOL_VERSION);
	error = expect_plain(region->server_socket, &value, "our id");
	if (error)
		return error;
	if (value < 0 || value >= IVSHMEM_MAX_PEERS)
		return ivshmem_fail(IVSHMEM_ERR_PROTOCOL,
				    "doorbell server gave id %lld; the layout has %d peer slots",
				    (long long)value, IVSHMEM_MAX_PEERS);
	region->peer_id = (int32_t)value;
	got = receive_message(region->server_socket, &value, &memory_fd, true);
	if (got < 0)
		return got;
	if (value != -1 || memory_fd < 0) {
		if (memory_fd >= 0)
			close(memory_fd);
		return ivshmem_fail(IVSHMEM_ERR_PROTOCOL,
				    "doorbell server did not send the shared memory (got %lld)",
				    (long long)value);
	}
	if (fstat(memory_fd, &status) < 0 || status.st_size <= 0) {
		close(memory_fd);
		return ivshmem_fail(IVSHMEM_ERR_PROTOCOL, "server's shared memory has no size");
	}
	region->base =
	    mmap(NULL, (size_t)status.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, memory_fd, 0);
	close(memory_fd);
	if (region->base == MAP_FAILED) {
		region->base = NULL;
		return ivshmem_fail_errno(errno, "cannot map the server's shared memory");
	}
	region->size = (uint64_t)status.st_size;
	region->mapping = IVSHMEM_MAPPING_SERVER;
	region->cache = IVSHMEM_CACHE_WRITE_BACK; /* the server's memfd or /dev/shm file */
	snprintf(region->address, sizeof(region->address), "server:%s", socket_path);
	snprintf(region->device, sizeof(region->device), "%s", socket_path);
	/* Our own vectors come last in the setup burst: wait for the first of them. */
	deadline = ivshmem_now_ns() + SERVER_SETUP_TIMEOUT_MS * 1000000ull;
	while (region->vector_fds[0] < 0) {
		struct pollfd pfd = { .fd = region->server_socket, .events = POLLIN };

		if (ivshmem_now_ns() > deadline)
			return ivshmem_fail(IVSHMEM_ERR_PROTOCOL,
					    "doorbell server sent no interrupt vectors for us");
		if (poll(&pfd, 1, 100) > 0) {
			int fd;

			got = receive_message(region->server_socket, &value, &fd, false);
			if (got < 0)
				return got;
			if (got > 0)
				handle_message(region, value, fd);
		}
	}
	return server_drain(region) == 0 ? 0 : IVSHMEM_ERR_PROTOCOL;
}

void server_disconnect(struct ivshmem_region *region)
{
	if (region->server_socket >= 0)
		close(region->server_socket);
	region->server_socket = -1;
	for (int p = 0; p < IVSHMEM_MAX_PEERS; p++)
		forget_peer(region, p);
}
