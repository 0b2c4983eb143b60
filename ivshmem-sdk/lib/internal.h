/* SPDX-License-Identifier: BSD-3-Clause */
/* libivshmem's private state: the region handle and the helpers its files share. */
#ifndef IVSHMEM_INTERNAL_H
#define IVSHMEM_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "ivshmem.h"
#include "shared_layout.h"

#define IVSHMEM_EXPORT __attribute__((visibility("default")))

/* What this handle last saw of one peer, to turn the table into events. */
struct peer_observation {
	uint32_t state;
	uint64_t epoch;
	uint64_t heartbeat;
	uint64_t heartbeat_seen_ns; /* local clock when heartbeat last moved */
	bool known;
	bool reported_dead;
};

struct ivshmem_region {
	uint8_t *base;
	uint64_t size;
	int mapping;
	int cache;	  /* enum ivshmem_cache */
	int cache_source; /* enum ivshmem_cache_source */
	char address[128];
	char device[128];
	char loopback_name[IVSHMEM_NAME_MAX];
	int32_t peer_id;
	uint32_t vectors;
	uint32_t subsystem_id;
	int device_fd;			     /* driver node, uio node, or file; -1 if none */
	volatile uint32_t *registers;	     /* BAR0, when mapped */
	int vector_fds[IVSHMEM_MAX_VECTORS]; /* eventfds this peer is woken through */
	/* Doorbell server: eventfds of every peer's vectors, and the socket. */
	int server_socket;
	int peer_vector_fds[IVSHMEM_MAX_PEERS][IVSHMEM_MAX_VECTORS];
	uint32_t server_vectors;
	pthread_mutex_t server_lock;
	/* Futex mappings: an eventfd fed by a thread, made on demand by doorbell_fd. */
	pthread_t bridge_threads[IVSHMEM_MAX_VECTORS];
	bool bridge_running[IVSHMEM_MAX_VECTORS];
	void *bridge_arguments[IVSHMEM_MAX_VECTORS];
	uint32_t doorbell_seen[IVSHMEM_MAX_VECTORS]; /* futex counts doorbell_wait consumed */
	volatile int bridge_stop;
	/* Layout (NULL for raw regions) and the checked copies of its geometry. */
	struct layout_header *header;
	bool joined;
	uint64_t epoch;
	uint64_t heartbeat;
	uint32_t peer_timeout_ms;
	struct peer_observation observed[IVSHMEM_MAX_PEERS];
	pthread_t heartbeat_thread;
	bool heartbeat_running;
	uint32_t heartbeat_period_ms;
};

/* error.c */
int ivshmem_fail(int error, const char *format, ...) __attribute__((format(printf, 2, 3)));
int ivshmem_fail_errno(int errnum, const char *format, ...) __attribute__((format(printf, 2, 3)));
void ivshmem_clear_error(void);

/* layout.c */
int layout_validate(const uint8_t *base, uint64_t size, const char *where);
/* Lays the region out, over whatever it holds (ivshmem init, --force). */
int layout_write(uint8_t *base, uint64_t size, const char *name);
/* Lays out a region that has no layout: of peers calling this at the same moment one
 * writes it and the others wait (up to timeout_ms) and use it. Without a name it only
 * waits for another peer's layout. */
int layout_initialise_once(uint8_t *base, uint64_t size, const char *name, const char *where,
			   uint32_t timeout_ms);
int layout_copy_name(const char *src, char *dst, size_t dst_size, const char *what);
struct layout_peer_slot *layout_peer_slot(struct ivshmem_region *region, int peer_id);
struct layout_channel *layout_channel_slot(struct ivshmem_region *region, unsigned index);
struct layout_doorbells *layout_doorbells_of(struct ivshmem_region *region, int peer_id);
/* Finds a READY channel by name and copies its checked descriptor. */
int layout_find_channel(struct ivshmem_region *region, const char *name,
			struct layout_channel *copy);
/* A channel to create if it does not exist: its descriptor, and how to fill its (zeroed)
 * control block before any other peer can see it. */
struct channel_request {
	uint32_t kind;
	uint64_t bytes;
	int32_t producer_peer;
	int32_t consumer_peer;
	uint32_t vector;
	void (*initialise)(uint8_t *area, const void *argument);
	const void *argument;
};
/* Finds channel name, or creates it as request asks; any number of peers may do this at
 * once and all of them get the same channel. */
int layout_open_channel(struct ivshmem_region *region, const char *name,
			const struct channel_request *request, struct layout_channel *copy);

/* peers.c */
int peers_join(struct ivshmem_region *region, int32_t wanted);
void peers_leave(struct ivshmem_region *region);
int peers_start_heartbeat_thread(struct ivshmem_region *region);
void peers_stop_heartbeat_thread(struct ivshmem_region *region);

/* notify.c */
uint32_t notify_prepare(struct ivshmem_region *region, unsigned vector);
int notify_block(struct ivshmem_region *region, unsigned vector, uint32_t token,
		 uint64_t timeout_ns);
void notify_close(struct ivshmem_region *region);

/* server_client.c */
int server_connect(struct ivshmem_region *region, const char *socket_path);
int server_drain(struct ivshmem_region *region);
void server_disconnect(struct ivshmem_region *region);

/* region_devices.c */
int devices_open_pci(struct ivshmem_region *region, const char *bdf, uint32_t flags);
int devices_open_path(struct ivshmem_region *region, const char *path,
		      const struct ivshmem_open_options *options);
int devices_find_by_name(const char *name, char *spec_out, size_t spec_size);
void devices_close(struct ivshmem_region *region);

uint64_t ivshmem_now_ns(void);

/* Bytes per value slot of a mailbox channel of channel_bytes (already bounds-checked): the
 * descriptor decides, never the control block; two slots fit whatever that says, and a
 * hostile descriptor's size is capped as creation caps it. */
static inline uint32_t mailbox_slot_capacity(uint64_t channel_bytes)
{
	uint64_t slot = (channel_bytes - sizeof(struct layout_mailbox)) / 2;

	return (uint32_t)((slot > (1u << 30) ? 1u << 30 : slot) & ~(uint64_t)7);
}

static inline uint32_t load_relaxed_u32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}
static inline uint64_t load_relaxed_u64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

#endif
