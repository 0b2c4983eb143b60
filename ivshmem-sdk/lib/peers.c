// SPDX-License-Identifier: BSD-3-Clause
/*
 * Liveness. Each peer owns one slot of the table and is its only writer: state, an epoch
 * that grows at every join, and a heartbeat counter. Clocks of different VMs do not
 * agree, so a peer is judged dead when its counter stops moving for longer than the
 * timeout on the observer's own clock. A restarted peer takes its slot back with a new
 * epoch, which the others see as a restart.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define SLOT_JOINING 0xc1u

static void observe_reset(struct ivshmem_region *region)
{
	memset(region->observed, 0, sizeof(region->observed));
}

static void slot_take(struct ivshmem_region *region, struct layout_peer_slot *slot, int peer_id)
{
	uint64_t epoch = load_relaxed_u64(&slot->epoch) + 1;

	__atomic_store_n(&slot->epoch, epoch, __ATOMIC_RELAXED);
	__atomic_store_n(&slot->process_id, (uint32_t)getpid(), __ATOMIC_RELAXED);
	region->heartbeat = load_relaxed_u64(&slot->heartbeat) + 1;
	__atomic_store_n(&slot->heartbeat, region->heartbeat, __ATOMIC_RELAXED);
	/* No promise yet: the heartbeat thread or the first ivshmem_heartbeat() makes it. */
	__atomic_store_n(&slot->heartbeat_period_ms, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&slot->state, IVSHMEM_PEER_ALIVE, __ATOMIC_RELEASE);
	region->epoch = epoch;
	region->peer_id = peer_id;
	region->joined = true;
	/* Rings addressed to an earlier owner of the slot are not ours to answer. */
	for (unsigned v = 0; v < IVSHMEM_MAX_VECTORS; v++)
		region->doorbell_seen[v] = __atomic_load_n(
		    &layout_doorbells_of(region, peer_id)->count[v], __ATOMIC_ACQUIRE);
	observe_reset(region);
}

int peers_join(struct ivshmem_region *region, int32_t wanted)
{
	if (wanted >= IVSHMEM_MAX_PEERS)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT,
				    "peer id %d is beyond the %d slots of the layout", wanted,
				    IVSHMEM_MAX_PEERS);
	if (wanted >= 0) {
		/* A named id belongs to the caller (a device's IVPosition, or the id the
		 * application was given), so a restarted owner simply takes it back. */
		slot_take(region, layout_peer_slot(region, wanted), wanted);
		return 0;
	}
	for (int id = 0; id < IVSHMEM_MAX_PEERS; id++) {
		struct layout_peer_slot *slot = layout_peer_slot(region, id);
		uint32_t state = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);

		if (state != IVSHMEM_PEER_FREE && state != IVSHMEM_PEER_LEFT)
			continue;
		if (__atomic_compare_exchange_n(&slot->state, &state, SLOT_JOINING, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			slot_take(region, slot, id);
			return 0;
		}
	}
	return ivshmem_fail(IVSHMEM_ERR_NO_SPACE, "all %d peer slots are taken", IVSHMEM_MAX_PEERS);
}

void peers_leave(struct ivshmem_region *region)
{
	struct layout_peer_slot *slot = layout_peer_slot(region, region->peer_id);

	if (slot && region->joined)
		__atomic_store_n(&slot->state, IVSHMEM_PEER_LEFT, __ATOMIC_RELEASE);
	region->joined = false;
}

IVSHMEM_EXPORT int ivshmem_heartbeat(struct ivshmem_region *region)
{
	struct layout_peer_slot *slot;

	if (!region)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "heartbeat: null region");
	if (!region->joined)
		return ivshmem_fail(IVSHMEM_ERR_STATE, "heartbeat: this handle holds no peer slot");
	slot = layout_peer_slot(region, region->peer_id);
	/* An add, not a store: the heartbeat thread may be counting on the same slot. */
	region->heartbeat = __atomic_add_fetch(&slot->heartbeat, 1, __ATOMIC_RELEASE);
	if (!load_relaxed_u32(&slot->heartbeat_period_ms))
		__atomic_store_n(&slot->heartbeat_period_ms, 1, __ATOMIC_RELEASE);
	return 0;
}

static void *heartbeat_main(void *argument)
{
	struct ivshmem_region *region = argument;
	struct timespec step = { 0, 10 * 1000 * 1000 };
	uint32_t elapsed_ms = 0;

	while (!__atomic_load_n(&region->bridge_stop, __ATOMIC_ACQUIRE)) {
		nanosleep(&step, NULL);
		elapsed_ms += 10;
		if (elapsed_ms >= region->heartbeat_period_ms) {
			struct layout_peer_slot *slot = layout_peer_slot(region, region->peer_id);

			elapsed_ms = 0;
			/* The thread has its own counter source: the slot's current value. */
			__atomic_fetch_add(&slot->heartbeat, 1, __ATOMIC_RELEASE);
		}
	}
	return NULL;
}

int peers_start_heartbeat_thread(struct ivshmem_region *region)
{
	/* Promised before the thread runs, so silence from now on means trouble. */
	__atomic_store_n(&layout_peer_slot(region, region->peer_id)->heartbeat_period_ms,
			 region->heartbeat_period_ms ? region->heartbeat_period_ms : 1,
			 __ATOMIC_RELEASE);
	if (pthread_create(&region->heartbeat_thread, NULL, heartbeat_main, region) != 0)
		return ivshmem_fail(IVSHMEM_ERR_NO_MEMORY, "cannot start the heartbeat thread");
	region->heartbeat_running = true;
	return 0;
}

void peers_stop_heartbeat_thread(struct ivshmem_region *region)
{
	if (!region->heartbeat_running)
		return;
	__atomic_store_n(&region->bridge_stop, 1, __ATOMIC_RELEASE);
	pthread_join(region->heartbeat_thread, NULL);
	region->heartbeat_running = false;
}

IVSHMEM_EXPORT int ivshmem_peer_get_info(struct ivshmem_region *region, int peer_id,
					 struct ivshmem_peer_info *info)
{
	struct layout_peer_slot *slot;
	struct ivshmem_peer_info out;

	if (!region || !info)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "peer_get_info: null argument");
	if (!region->header)
		return ivshmem_fail(IVSHMEM_ERR_NOT_INITIALISED, "region has no layout");
	slot = layout_peer_slot(region, peer_id);
	if (!slot)
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "peer id %d not in [0, %d)",
				    peer_id, IVSHMEM_MAX_PEERS);
	memset(&out, 0, sizeof(out));
	out.struct_size = sizeof(out);
	out.peer_id = peer_id;
	out.state = (int32_t)__atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);
	if (out.state != IVSHMEM_PEER_ALIVE && out.state != IVSHMEM_PEER_LEFT)
		out.state = IVSHMEM_PEER_FREE; /* joining, or garbage from a hostile peer */
	out.epoch = load_relaxed_u64(&slot->epoch);
	out.heartbeat = load_relaxed_u64(&slot->heartbeat);
	out.process_id = load_relaxed_u32(&slot->process_id);
	if (out.state == IVSHMEM_PEER_ALIVE && region->observed[peer_id].reported_dead &&
	    region->observed[peer_id].epoch == out.epoch)
		out.state = IVSHMEM_PEER_DEAD;
	memcpy(info, &out, sizeof(out));
	return 0;
}

static int emit(struct ivshmem_peer_change *changes, size_t capacity, int count, int peer_id,
		int event, uint64_t epoch)
{
	if ((size_t)count < capacity) {
		changes[count].peer_id = peer_id;
		changes[count].event = event;
		changes[count].epoch = epoch;
		return count + 1;
	}
	return count;
}

IVSHMEM_EXPORT int ivshmem_peers_poll(struct ivshmem_region *region,
				      struct ivshmem_peer_change *changes, size_t capacity)
{
	uint64_t now = ivshmem_now_ns();
	uint64_t timeout_ns;
	int count = 0;

	if (!region || (capacity && !changes))
		return ivshmem_fail(IVSHMEM_ERR_INVALID_ARGUMENT, "peers_poll: null argument");
	timeout_ns = (uint64_t)region->peer_timeout_ms * 1000000ull;
	if (!region->header)
		return ivshmem_fail(IVSHMEM_ERR_NOT_INITIALISED, "region has no layout");
	if (region->mapping == IVSHMEM_MAPPING_SERVER)
		server_drain(region);
	for (int id = 0; id < IVSHMEM_MAX_PEERS && (size_t)count < capacity; id++) {
		struct layout_peer_slot *slot = layout_peer_slot(region, id);
		struct peer_observation *seen = &region->observed[id];
		uint32_t state = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);
		uint64_t epoch = load_relaxed_u64(&slot->epoch);
		uint64_t heartbeat = load_relaxed_u64(&slot->heartbeat);

		if (region->joined && id == region->peer_id)
			continue;
		if (state == IVSHMEM_PEER_ALIVE) {
			bool was_alive = seen->known && seen->state == IVSHMEM_PEER_ALIVE;

			if (!was_alive) {
				count = emit(changes, capacity, count, id,
					     IVSHMEM_PEER_EVENT_JOINED, epoch);
				seen->heartbeat_seen_ns = now;
				seen->reported_dead = false;
			} else if (epoch != seen->epoch) {
				count = emit(changes, capacity, count, id,
					     IVSHMEM_PEER_EVENT_RESTARTED, epoch);
				seen->heartbeat_seen_ns = now;
				seen->reported_dead = false;
			} else if (heartbeat != seen->heartbeat) {
				seen->heartbeat_seen_ns = now;
				if (seen->reported_dead)
					count = emit(changes, capacity, count, id,
						     IVSHMEM_PEER_EVENT_JOINED, epoch);
				seen->reported_dead = false;
			} else if (!seen->reported_dead &&
				   now - seen->heartbeat_seen_ns > timeout_ns) {
				count = emit(changes, capacity, count, id, IVSHMEM_PEER_EVENT_DIED,
					     epoch);
				seen->reported_dead = true;
			}
		} else if (seen->known && seen->state == IVSHMEM_PEER_ALIVE &&
			   !seen->reported_dead) {
			count = emit(changes, capacity, count, id, IVSHMEM_PEER_EVENT_LEFT, epoch);
		}
		seen->known = true;
		seen->state = state;
		seen->epoch = epoch;
		seen->heartbeat = heartbeat;
	}
	return count;
}
