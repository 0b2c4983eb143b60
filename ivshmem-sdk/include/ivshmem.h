/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libivshmem: shared memory between VMs (and processes) through the ivshmem device.
 *
 * Every function returns 0 (or a count) on success and a negative enum ivshmem_error on
 * failure; ivshmem_strerror() names the error and ivshmem_last_error_message() gives the
 * detail of the last failure in the calling thread (which value was wrong and where).
 * Handles are opaque; structs that cross the API carry struct_size first so later
 * versions can grow them without breaking callers built against this one.
 */
#ifndef IVSHMEM_SDK_H
#define IVSHMEM_SDK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IVSHMEM_API_VERSION	 1
#define IVSHMEM_LAYOUT_VERSION	 3
#define IVSHMEM_NAME_MAX	 32 /* region names: up to 31 bytes + NUL */
#define IVSHMEM_CHANNEL_NAME_MAX 24 /* channel names: up to 23 bytes + NUL */
#define IVSHMEM_MAX_PEERS	 32
#define IVSHMEM_MAX_VECTORS	 8
#define IVSHMEM_MAX_CHANNELS	 64
#define IVSHMEM_MIN_REGION_SIZE	 (64u * 1024u)
#define IVSHMEM_WAIT_FOREVER	 UINT64_MAX

enum ivshmem_error {
	IVSHMEM_OK = 0,
	IVSHMEM_ERR_INVALID_ARGUMENT = -1,
	IVSHMEM_ERR_NOT_FOUND = -2,
	IVSHMEM_ERR_PERMISSION = -3,
	IVSHMEM_ERR_TOO_SMALL = -4,
	IVSHMEM_ERR_CORRUPT = -5,
	IVSHMEM_ERR_VERSION = -6,
	IVSHMEM_ERR_NOT_INITIALISED = -7,
	IVSHMEM_ERR_EXISTS = -8,
	IVSHMEM_ERR_NO_SPACE = -9,
	IVSHMEM_ERR_FULL = -10,
	IVSHMEM_ERR_EMPTY = -11,
	IVSHMEM_ERR_TIMEOUT = -12,
	IVSHMEM_ERR_MESSAGE_TOO_BIG = -13,
	IVSHMEM_ERR_BUFFER_TOO_SMALL = -14,
	IVSHMEM_ERR_UNSUPPORTED = -15,
	IVSHMEM_ERR_PEER_GONE = -16,
	IVSHMEM_ERR_BUSY = -17,
	IVSHMEM_ERR_IO = -18,
	IVSHMEM_ERR_NO_MEMORY = -19,
	IVSHMEM_ERR_PROTOCOL = -20,
	IVSHMEM_ERR_STATE = -21,
};

/* A fixed English name of an error code ("region too small", ...). */
const char *ivshmem_strerror(int error);
/* The detail of the last failure in this thread; "" if none. */
const char *ivshmem_last_error_message(void);

/* How BAR2 (or its stand-in) reached this process. */
enum ivshmem_mapping {
	IVSHMEM_MAPPING_SYSFS = 1,    /* /sys/bus/pci/devices/BDF/resource2 */
	IVSHMEM_MAPPING_DRIVER = 2,   /* the SDK's guest driver, /dev/ivshmemN */
	IVSHMEM_MAPPING_UIO = 3,      /* /dev/uioN map 2 (uio_pci_generic: sysfs resource2) */
	IVSHMEM_MAPPING_FILE = 4,     /* a file, e.g. /dev/shm/NAME (dm-land from the Service VM) */
	IVSHMEM_MAPPING_LOOPBACK = 5, /* process-private memory, for tests */
	IVSHMEM_MAPPING_SERVER = 6,   /* shared memory and eventfds from a doorbell server */
};
const char *ivshmem_mapping_name(int mapping);

/* How the CPU caches the mapping. Rings and mailboxes spin on and fence shared lines, which
 * is cheap in write-back memory and costs a device access per load in uncached memory.
 * Linux maps sysfs resourceN (and so UIO's BAR2) uncached (UC-); the SDK's driver maps
 * BAR2 write-back; files, loopback and server memory are RAM. When the kernel's PAT table
 * is readable (root, debugfs at /sys/kernel/debug), the library reports what it records
 * for BAR2 instead of what the mapping path should give (cache_source). */
enum ivshmem_cache {
	IVSHMEM_CACHE_UNKNOWN = 0,
	IVSHMEM_CACHE_WRITE_BACK = 1,
	IVSHMEM_CACHE_UNCACHED = 2, /* UC or UC- */
	IVSHMEM_CACHE_WRITE_COMBINING = 3,
	IVSHMEM_CACHE_WRITE_THROUGH = 4,
};
enum ivshmem_cache_source {
	IVSHMEM_CACHE_FROM_PATH = 0, /* what this mapping path gives (RAM, driver, sysfs) */
	IVSHMEM_CACHE_FROM_PAT = 1,  /* read from the kernel's PAT memtype table */
};
const char *ivshmem_cache_name(int cache);

/* Flags of struct ivshmem_open_options. */
#define IVSHMEM_OPEN_CREATE	0x1u  /* files and loopback: create (and size) if absent */
#define IVSHMEM_OPEN_INIT	0x2u  /* lay out the header if the region has none */
#define IVSHMEM_OPEN_RAW	0x4u  /* do not require a layout (tools, raw devices) */
#define IVSHMEM_OPEN_NO_JOIN	0x8u  /* observe only: take no peer slot */
#define IVSHMEM_OPEN_HEARTBEAT	0x10u /* a library thread keeps this peer's heartbeat */
#define IVSHMEM_PEER_ID_DEFAULT (-1)

struct ivshmem_open_options {
	uint32_t struct_size; /* sizeof(struct ivshmem_open_options) */
	uint32_t flags;
	uint64_t create_size;	      /* with IVSHMEM_OPEN_CREATE */
	const char *init_name;	      /* with IVSHMEM_OPEN_INIT; default: derived from the path */
	int32_t peer_id;	      /* default: the device's IVPosition, else a free slot */
	uint32_t peer_timeout_ms;     /* heartbeat silence that means dead; default 1000 */
	uint32_t heartbeat_period_ms; /* with IVSHMEM_OPEN_HEARTBEAT; default 100 */
};
void ivshmem_open_options_init(struct ivshmem_open_options *options);

struct ivshmem_region_info {
	uint32_t struct_size;	     /* sizeof(struct ivshmem_region_info) */
	int32_t peer_id;	     /* -1 when this handle holds no peer slot */
	char name[IVSHMEM_NAME_MAX]; /* from the layout header; "" when none */
	char address[128];	     /* PCI address, path, or socket */
	char device[128];	     /* the node that was mapped */
	uint64_t size;		     /* bytes of shared memory */
	uint32_t vectors;	     /* doorbell vectors this peer can receive */
	int32_t mapping;	     /* enum ivshmem_mapping */
	uint32_t layout_version;     /* 0 when the region has no layout */
	uint32_t initialised;	     /* 1 when a valid layout is present */
	uint64_t creation_epoch;
	uint32_t subsystem_id; /* PCI subsystem id (region id), 0 otherwise */
	int16_t cache;	       /* enum ivshmem_cache */
	int16_t cache_source;  /* enum ivshmem_cache_source */
};

struct ivshmem_region;

/*
 * Opens a region. spec is one of:
 *   NAME             region name from the layout header, searched on PCI devices and /dev/shm
 *   pci:BDF or BDF   a PCI address such as 0000:00:04.0
 *   shm:NAME         /dev/shm/NAME
 *   server:PATH      a doorbell server's UNIX socket (ivshmem-server protocol)
 *   loopback:NAME    memory shared by every handle of this process opened with NAME
 *   /PATH            a file, /dev/ivshmemN, /dev/uioN or a sysfs resource2
 * options may be NULL (defaults).
 */
int ivshmem_open(const char *spec, const struct ivshmem_open_options *options,
		 struct ivshmem_region **region_out);
/* Leaves the peer table (if joined) and unmaps. NULL is accepted. */
void ivshmem_close(struct ivshmem_region *region);
int ivshmem_region_get_info(struct ivshmem_region *region, struct ivshmem_region_info *info);
/* Base and size of the whole mapping (for raw use; the layout owns the first bytes). */
void *ivshmem_region_memory(struct ivshmem_region *region, uint64_t *size_out);
/* Writes a fresh layout; fails with IVSHMEM_ERR_EXISTS if one is there unless force. */
int ivshmem_region_init_layout(struct ivshmem_region *region, const char *name, int force);

/* Lists ivshmem PCI devices and SDK regions in /dev/shm; returns how many were found
 * (which can exceed capacity: only capacity entries are filled). */
int ivshmem_list(struct ivshmem_region_info *infos, size_t capacity);

/* --- peers and liveness --- */
enum ivshmem_peer_state {
	IVSHMEM_PEER_FREE = 0,
	IVSHMEM_PEER_ALIVE = 1,
	IVSHMEM_PEER_LEFT = 2,
	IVSHMEM_PEER_DEAD = 3, /* local verdict: heartbeat silent past the timeout */
};
struct ivshmem_peer_info {
	uint32_t struct_size;
	int32_t peer_id;
	int32_t state; /* enum ivshmem_peer_state */
	uint32_t process_id;
	uint64_t epoch;
	uint64_t heartbeat;
};
enum ivshmem_peer_event {
	IVSHMEM_PEER_EVENT_JOINED = 1,
	IVSHMEM_PEER_EVENT_LEFT = 2,
	IVSHMEM_PEER_EVENT_DIED = 3,
	IVSHMEM_PEER_EVENT_RESTARTED = 4,
};
struct ivshmem_peer_change {
	int32_t peer_id;
	int32_t event; /* enum ivshmem_peer_event */
	uint64_t epoch;
};
/* Advances this peer's heartbeat (cheap; call it from the main loop or use
 * IVSHMEM_OPEN_HEARTBEAT). */
int ivshmem_heartbeat(struct ivshmem_region *region);
int ivshmem_peer_get_info(struct ivshmem_region *region, int peer_id,
			  struct ivshmem_peer_info *info);
/* Compares the peer table with what this handle saw last; returns the number of changes
 * written (at most capacity). Death is decided by heartbeat silence on this side's clock. */
int ivshmem_peers_poll(struct ivshmem_region *region, struct ivshmem_peer_change *changes,
		       size_t capacity);

/* --- notification --- */
/* Rings vector of peer: a doorbell write, an eventfd, or a futex, by mapping. */
int ivshmem_doorbell_ring(struct ivshmem_region *region, int peer_id, unsigned vector);
/* Waits until vector of this peer rings; 0, or IVSHMEM_ERR_TIMEOUT. */
int ivshmem_doorbell_wait(struct ivshmem_region *region, unsigned vector, uint64_t timeout_ns);
/* A descriptor that becomes readable when vector rings (for poll/epoll); after it
 * does, call ivshmem_doorbell_acknowledge(). The descriptor belongs to the region. */
int ivshmem_doorbell_fd(struct ivshmem_region *region, unsigned vector);
int ivshmem_doorbell_acknowledge(struct ivshmem_region *region, unsigned vector);

/* --- channels: single-producer single-consumer rings of variable-length messages --- */
enum ivshmem_ring_role { IVSHMEM_RING_PRODUCER = 1, IVSHMEM_RING_CONSUMER = 2 };
struct ivshmem_ring_options {
	uint32_t struct_size;
	uint32_t capacity; /* bytes of message space, a power of two >= 256 */
	int32_t producer_peer;
	int32_t consumer_peer;
	uint32_t vector; /* doorbell vector used for wake-ups on this ring */
	uint32_t flags;
};
#define IVSHMEM_RING_DISCARD 0x1u /* on open: drop what the previous owner left */
/* At creation: whenever an end gets a new owner (another peer, or the same peer restarted
 * with a new epoch), the ring is emptied, so a restarted peer starts a fresh session.
 * Without it a restarted owner resumes where the shared indices say (see ring_open). */
#define IVSHMEM_RING_RESET_ON_RESTART 0x2u
/* At creation: a ring for latency. Every record starts on a 64-byte cache line (consecutive
 * messages never share a line one side writes while the other reads), and a publish also
 * writes the batch's end into its first record, so a polling consumer learns of it there
 * instead of first fetching the producer's index line. Costs space: 16-byte record
 * headers, a 4-byte message takes 64 bytes, a 64-byte one 128. Size such a ring for the
 * messages in flight, not for throughput: a small one (256 bytes holds two 64-byte
 * records) keeps reusing lines both cores have cached, 10-15 ns faster per message
 * between close cores than a 64 KiB one. */
#define IVSHMEM_RING_LOW_LATENCY 0x4u
/* On the producer's open, how ivshmem_ring_send copies messages of 64 KiB or more. With
 * neither flag it measures the rate it achieves (its copy plus its waits for room) with
 * each method in turn, keeps the faster and re-checks now and then: memcpy wins when the
 * two cores share a cache, streaming when they do not (measured, 1 MiB messages: close
 * cores 32-38 GB/s against 9-17; distant cores 3.3-3.9 against 13-21). The flags fix
 * the method: IVSHMEM_RING_STREAMING uses streaming (non-temporal) stores, which skip the
 * read-for-ownership of every line the consumer last held; IVSHMEM_RING_CACHED uses
 * memcpy, leaving the data in cache where a close consumer reads it soonest. Not both. */
#define IVSHMEM_RING_STREAMING 0x8u
#define IVSHMEM_RING_CACHED    0x10u
void ivshmem_ring_options_init(struct ivshmem_ring_options *options);

struct ivshmem_ring;
/* Opens channel name in role; creates it when absent and create is not NULL. Peers
 * creating one name at the same moment all get the same ring (the first creator's
 * options); one that died half-way through a creation is passed after the peer timeout.
 * Re-joining after a crash: the ring records the owner (peer id, epoch) of each end, so
 * an open by a new owner is a restart, handled here without the other side's help:
 *  - a restarted producer continues at the published head: what it had reserved or
 *    committed but not published is lost, everything published is delivered;
 *  - a restarted consumer continues at the released tail: what it had peeked but not
 *    released is delivered again (at-least-once; at most what it peeked since its last
 *    release), nothing is lost;
 *  - with IVSHMEM_RING_RESET_ON_RESTART the ring is emptied instead (at-most-once: the
 *    unread messages are dropped, none is delivered twice);
 *  - the restarted end's stale sleep flag is cleared, and the survivor's handle needs no
 *    call: it sees the new indices at its next refresh. */
int ivshmem_ring_open(struct ivshmem_region *region, const char *name, int role,
		      const struct ivshmem_ring_options *create, struct ivshmem_ring **ring_out);
void ivshmem_ring_close(struct ivshmem_ring *ring);
/* Stream position in bytes: the producer's published head or the consumer's released
 * tail. It survives restarts (it lives in the ring), so an application can record it
 * next to its own sequence numbers and tell after a crash whether a batch went out. */
uint64_t ivshmem_ring_position(const struct ivshmem_ring *ring);
/* Largest message this ring carries. */
size_t ivshmem_ring_max_message(const struct ivshmem_ring *ring);

/* Producer. send = reserve + commit + publish. Messages committed but not published
 * are invisible to the consumer; publish makes all of them visible at once and rings
 * the consumer only if it is asleep. */
int ivshmem_ring_reserve(struct ivshmem_ring *ring, size_t length, void **buffer_out);
int ivshmem_ring_commit(struct ivshmem_ring *ring, size_t length);
int ivshmem_ring_publish(struct ivshmem_ring *ring);
int ivshmem_ring_send(struct ivshmem_ring *ring, const void *message, size_t length);
int ivshmem_ring_send_wait(struct ivshmem_ring *ring, const void *message, size_t length,
			   uint64_t timeout_ns);

/* Consumer. peek returns the next message in place (valid until release) and moves a
 * private cursor; release hands every peeked message back to the producer at once.
 * A consumer that dies between peek and release sees those messages again after it
 * re-opens the ring (at-least-once); recv copies one message and releases it. */
int ivshmem_ring_peek(struct ivshmem_ring *ring, const void **message_out, size_t *length_out);
int ivshmem_ring_release(struct ivshmem_ring *ring);
int ivshmem_ring_recv(struct ivshmem_ring *ring, void *buffer, size_t capacity, size_t *length_out);
int ivshmem_ring_recv_wait(struct ivshmem_ring *ring, void *buffer, size_t capacity,
			   size_t *length_out, uint64_t timeout_ns);
/* Blocks until the ring has a message (consumer) or room for length bytes (producer):
 * spins adaptively first, then sleeps on the doorbell. Returns IVSHMEM_ERR_PEER_GONE,
 * once per departure, when the other end's owner left (closed its region) or died (its
 * heartbeat, which it keeps with IVSHMEM_OPEN_HEARTBEAT or ivshmem_heartbeat(), stood
 * still for the region's peer timeout on this side's clock) and nothing is ready; the
 * next wait blocks again, until that peer or a successor re-opens the end. */
int ivshmem_ring_wait(struct ivshmem_ring *ring, size_t length, uint64_t timeout_ns);
/* Many-to-one: a consumer fed by several producers (one SPSC ring each, consumer ends on
 * the same region and doorbell vector; 1 to IVSHMEM_MAX_CHANNELS of them) sleeps until any
 * of them has a message; returns its index, or IVSHMEM_ERR_TIMEOUT. When nothing is ready
 * and the producer end's owner of rings[i] left or died (the rules of ivshmem_ring_wait:
 * closed its region, or broke its heartbeat promise for the peer timeout), returns
 * IVSHMEM_ERR_PEER_GONE and stores i in *gone_index, once per departure; later waits block
 * again (and still return the index of any ring that gets a message) until a new owner
 * (another peer, or the same one restarted) opens that end, whose departure is then
 * reported afresh. Departures of several rings come one per call. gone_index must not be
 * NULL (IVSHMEM_ERR_INVALID_ARGUMENT): a departure is reported only once, so it has to say
 * which ring. A sleeper wakes every 100 ms to look at the producers. */
int ivshmem_rings_wait_any_or_gone(struct ivshmem_ring **rings, size_t count, uint64_t timeout_ns,
				   size_t *gone_index);
/* The same wait without an index for departures. So that a consumer still served by other
 * producers is not interrupted, it returns IVSHMEM_ERR_PEER_GONE only when the producers
 * of all the rings have departed (at least one since the last report; then nobody is left
 * who could wake it), once, and otherwise keeps waiting for the living. It shares the
 * once-per-departure record with ivshmem_rings_wait_any_or_gone and ivshmem_ring_wait: a
 * departure it passed over silently is not reported again by them. */
int ivshmem_rings_wait_any(struct ivshmem_ring **rings, size_t count, uint64_t timeout_ns);
/* Empties the ring: the consumer drops everything now; a producer asks the consumer
 * to drop what is unread on its next call. */
int ivshmem_ring_reset(struct ivshmem_ring *ring);

struct ivshmem_channel_info {
	uint32_t struct_size;
	char name[IVSHMEM_CHANNEL_NAME_MAX];
	int32_t kind; /* 1 ring, 2 mailbox */
	int32_t producer_peer;
	int32_t consumer_peer;
	uint32_t vector;
	uint64_t capacity;
	uint64_t used; /* ring: unread bytes; mailbox: current value length */
	uint64_t offset;
};
#define IVSHMEM_CHANNEL_RING	1
#define IVSHMEM_CHANNEL_MAILBOX 2
/* Returns the number of channels (fills at most capacity). */
int ivshmem_channel_list(struct ivshmem_region *region, struct ivshmem_channel_info *infos,
			 size_t capacity);

/* --- mailbox: the latest value wins (double-buffered, one writer at a time) ---
 * The writer fills the slot readers do not see and then publishes it with one store, so a
 * writer that dies mid-write leaves readers the last complete value, and the next write
 * (by the same peer restarted, or another) simply goes on. Two writers writing at the
 * same time are not supported: they would fill the same slot. */
struct ivshmem_mailbox;
/* Opens mailbox name; creates it with room for capacity bytes when absent and
 * capacity > 0. Peers creating one name at the same moment all get the same mailbox. */
int ivshmem_mailbox_open(struct ivshmem_region *region, const char *name, uint32_t capacity,
			 struct ivshmem_mailbox **mailbox_out);
void ivshmem_mailbox_close(struct ivshmem_mailbox *mailbox);
int ivshmem_mailbox_write(struct ivshmem_mailbox *mailbox, const void *value, size_t length);
/* Copies the current value; version counts writes (0: never written). Returns
 * IVSHMEM_ERR_BUSY if a writer kept it changing through every retry (only a writer that
 * writes without pause can do that), IVSHMEM_ERR_CORRUPT if the control block is
 * impossible (a length beyond the capacity, a version that went back). */
int ivshmem_mailbox_read(struct ivshmem_mailbox *mailbox, void *buffer, size_t capacity,
			 size_t *length_out, uint64_t *version_out);

#ifdef __cplusplus
}
#endif
#endif /* IVSHMEM_SDK_H */
