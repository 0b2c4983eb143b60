/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What libivshmem writes into shared memory. Everything here is read by peers that may
 * be buggy or hostile, so readers copy each field once and check it before use. All
 * integers are little-endian (every supported peer is x86-64).
 */
#ifndef IVSHMEM_SHARED_LAYOUT_H
#define IVSHMEM_SHARED_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "ivshmem.h"

#define LAYOUT_MAGIC		0x3153444b4d485649ull /* "IVHMKDS1" */
#define LAYOUT_READY		0x52454459u	      /* "YDER": written last by init */
#define LAYOUT_INITIALISING	0x54494e49u	      /* "INIT": one peer is laying it out */
#define LAYOUT_CACHE_LINE	64u
#define LAYOUT_HEADER_OFFSET	0u
#define LAYOUT_PEER_TABLE	256u
#define LAYOUT_CHANNEL_DIR	4096u
#define LAYOUT_DOORBELLS	8192u
#define LAYOUT_DATA_OFFSET	16384u
#define LAYOUT_ALLOCATION_ALIGN 4096u

struct layout_header {
	uint64_t magic;
	uint32_t layout_version;
	/* LAYOUT_READY once the rest is valid. A peer that lays out a region without one
	 * first takes it from 0 to LAYOUT_INITIALISING by compare-and-swap: of peers doing
	 * so at the same moment one writes the layout and the others wait for it. */
	uint32_t ready;
	uint64_t region_size;
	uint64_t creation_epoch;
	char name[IVSHMEM_NAME_MAX];
	uint32_t peer_slots;
	uint32_t channel_slots;
	uint32_t peer_table_offset;
	uint32_t channel_directory_offset;
	uint32_t doorbell_offset;
	uint32_t reserved0;
	uint64_t data_offset;
	uint64_t allocation_cursor; /* bytes handed out after data_offset (atomic add) */
	uint8_t reserved[152];
};

/* One cache line per peer; written only by the peer that owns it. */
struct layout_peer_slot {
	uint32_t state; /* enum ivshmem_peer_state (FREE, ALIVE or LEFT) */
	uint32_t process_id;
	uint64_t epoch; /* +1 at every join: a restart is visible even if it is quick */
	uint64_t heartbeat;
	/* Non-zero once the owner keeps a heartbeat (its period in ms, or 1 for manual
	 * ivshmem_heartbeat() calls): only such peers can be judged dead by silence. */
	uint32_t heartbeat_period_ms;
	uint8_t reserved[36];
};

/* Directory slot states. A slot is claimed with a compare-and-swap from FREE and is never
 * FREE again, and creators claim the first free slot they meet walking from slot 0: two
 * peers creating one name therefore meet at the first slot either of them claims. A claim
 * carries 24 bits of the name's hash (channel_claim), so creators of other names walk past
 * it without waiting for it. ABANDONED: its creator died (or gave up) before READY. */
enum { CHANNEL_FREE = 0, CHANNEL_CLAIMED = 1, CHANNEL_READY = 2, CHANNEL_ABANDONED = 3 };

static inline uint32_t channel_claim(const char *name)
{
	uint32_t hash = 2166136261u; /* FNV-1a */

	for (; *name; name++)
		hash = (hash ^ (uint8_t)*name) * 16777619u;
	return CHANNEL_CLAIMED | (hash & 0xffffff00u);
}

/* One cache line per channel. */
struct layout_channel {
	uint32_t state;
	uint32_t kind; /* IVSHMEM_CHANNEL_RING or IVSHMEM_CHANNEL_MAILBOX */
	char name[IVSHMEM_CHANNEL_NAME_MAX];
	int32_t producer_peer;
	int32_t consumer_peer;
	uint32_t vector;
	/* Counts the chunks its creator has zeroed: a peer waiting for the channel tells a
	 * creator busy with a large area from a dead one. */
	uint32_t creation_progress;
	uint64_t offset; /* from the region base */
	uint64_t bytes;	 /* control block + payload */
};

/* Futex words for mappings where every peer shares one kernel (files, loopback). */
struct layout_doorbells {
	uint32_t count[IVSHMEM_MAX_VECTORS];
	uint8_t reserved[LAYOUT_CACHE_LINE - IVSHMEM_MAX_VECTORS * 4];
};

/* A ring: the producer's line, the consumer's line, one line per sleep flag, a constant
 * line, then data. The sleep flags have lines of their own because the other side reads
 * them after every publish/release: next to head or tail they would move between the
 * cores with every message; alone they stay shared and clean until someone sleeps. */
struct layout_ring {
	uint64_t head;		 /* bytes ever published */
	uint32_t producer_owner; /* peer id + 1 of the producer end's owner; 0: never opened */
	uint32_t reserved0;
	uint64_t producer_epoch; /* that owner's epoch when it opened the end */
	uint8_t producer_pad[LAYOUT_CACHE_LINE - 24];
	uint64_t tail; /* bytes ever released */
	uint32_t reset_acknowledged;
	uint32_t consumer_owner;
	uint64_t consumer_epoch;
	uint8_t consumer_pad[LAYOUT_CACHE_LINE - 24];
	uint32_t producer_waiting;
	uint8_t producer_waiting_pad[LAYOUT_CACHE_LINE - 4];
	uint32_t consumer_waiting;
	uint8_t consumer_waiting_pad[LAYOUT_CACHE_LINE - 4];
	/* Read on every peek, written at creation and by resets only: it stays in every
	 * reader's cache, so checking for a reset costs no trip to another core. */
	uint64_t capacity;
	uint32_t policy;	/* RING_POLICY_* chosen at creation */
	uint32_t reset_request; /* producer: +1 asks the consumer to skip to reset_to */
	uint64_t reset_to;	/* the published head when the producer asked */
	uint8_t constant_pad[LAYOUT_CACHE_LINE - 24];
};
#define RING_OWNER_UNJOINED	     0xffffffffu /* opened by a handle without a peer slot */
#define RING_POLICY_RESET_ON_RESTART 0x1u	 /* a new owner of either end empties it */
#define RING_POLICY_LOW_LATENCY	     0x2u	 /* line-aligned records, in-band publish */

/* A record in a ring: 8 bytes, then the payload padded to 8. */
struct layout_record {
	uint32_t length;
	uint32_t kind;
};
/* Low-latency rings: the header is 16 bytes, the second 8 the publish word. Publishing a
 * batch stores end ^ publish_mix(start) into its first record: a consumer waiting at start
 * decodes it and checks it lies in (start, start + capacity]; stale words of earlier laps
 * (other positions) and payload bytes decode to garbage that fails the check. */
#define RECORD_INBAND_HEADER 16u
static inline uint64_t publish_mix(uint64_t position)
{
	uint64_t x = position + 0x9e3779b97f4a7c15ull;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}
#define RECORD_MESSAGE 0x4d534731u /* "1GSM" */
#define RECORD_PADDING 0x50414431u /* "1DAP": skip to the end of the ring */

/* A mailbox: this control line, then two slots of `capacity` bytes. The writer fills the
 * slot that is not published and then publishes it by storing version alone, so a writer
 * that dies mid-write leaves the published slot (and readers) untouched. */
struct layout_mailbox {
	uint64_t version;   /* writes so far (0: never written); bit 0 names the published slot */
	uint32_t length[2]; /* bytes of each slot's value */
	uint32_t capacity;  /* bytes per slot (readers use the descriptor's size instead) */
	uint32_t reserved;
	uint8_t pad[LAYOUT_CACHE_LINE - 24];
};

_Static_assert(sizeof(struct layout_header) == LAYOUT_PEER_TABLE, "header size");
_Static_assert(offsetof(struct layout_header, name) == 32, "name offset");
_Static_assert(offsetof(struct layout_header, data_offset) == 88, "data_offset offset");
_Static_assert(sizeof(struct layout_peer_slot) == LAYOUT_CACHE_LINE, "one line per peer");
_Static_assert(sizeof(struct layout_channel) == LAYOUT_CACHE_LINE, "one line per channel");
_Static_assert(sizeof(struct layout_doorbells) == LAYOUT_CACHE_LINE, "one line per peer");
_Static_assert(offsetof(struct layout_ring, tail) == LAYOUT_CACHE_LINE, "tail on its own line");
_Static_assert(offsetof(struct layout_ring, producer_waiting) == 2 * LAYOUT_CACHE_LINE,
	       "producer's sleep flag on its own line");
_Static_assert(offsetof(struct layout_ring, consumer_waiting) == 3 * LAYOUT_CACHE_LINE,
	       "consumer's sleep flag on its own line");
_Static_assert(offsetof(struct layout_ring, capacity) == 4 * LAYOUT_CACHE_LINE, "constant line");
_Static_assert(sizeof(struct layout_ring) == 5 * LAYOUT_CACHE_LINE, "ring control size");
_Static_assert(sizeof(struct layout_mailbox) == LAYOUT_CACHE_LINE, "mailbox control size");
_Static_assert(offsetof(struct layout_channel, offset) ==
		   offsetof(struct layout_channel, creation_progress) + sizeof(uint32_t),
	       "a channel's progress word lies between its peers and its area");
_Static_assert(LAYOUT_PEER_TABLE + IVSHMEM_MAX_PEERS * sizeof(struct layout_peer_slot) <=
		   LAYOUT_CHANNEL_DIR,
	       "peer table fits");
_Static_assert(LAYOUT_CHANNEL_DIR + IVSHMEM_MAX_CHANNELS * sizeof(struct layout_channel) <=
		   LAYOUT_DOORBELLS,
	       "directory fits");
_Static_assert(LAYOUT_DOORBELLS + IVSHMEM_MAX_PEERS * sizeof(struct layout_doorbells) <=
		   LAYOUT_DATA_OFFSET,
	       "doorbells fit");

#endif
