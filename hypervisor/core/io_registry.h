/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One I/O registry per VM (design decision 7): the port-I/O and MMIO ranges
 * the hypervisor emulates, each with a handler pair. Kept sorted in fixed
 * arrays (no heap), looked up by binary search on every trapped access.
 *
 * The core, not each device, enforces the rules: a registration that
 * overlaps another fails with -EEXIST naming both; an access of a width the
 * device did not declare, or one that straddles two ranges or a range's
 * edge, never reaches a device.
 *
 * Not locked: the caller serialises add/remove against accesses (ranges are
 * registered while the VM is created, or with its vCPUs paused).
 */
#ifndef HV_CORE_IO_REGISTRY_H
#define HV_CORE_IO_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#define IO_REGISTRY_MAX_PORT_RANGES 32
#define IO_REGISTRY_MAX_MMIO_RANGES 32
#define IO_PORT_LIMIT		    0x10000u /* ports are 0..0xffff */

/* Access widths a range supports, as a mask. */
#define IO_WIDTH_1     (1u << 0)
#define IO_WIDTH_2     (1u << 1)
#define IO_WIDTH_4     (1u << 2)
#define IO_WIDTH_8     (1u << 3)
#define IO_WIDTHS_PIO  (IO_WIDTH_1 | IO_WIDTH_2 | IO_WIDTH_4)
#define IO_WIDTHS_MMIO (IO_WIDTH_1 | IO_WIDTH_2 | IO_WIDTH_4 | IO_WIDTH_8)

/*
 * Handlers get the absolute address (port or guest-physical), so one device
 * can serve several ranges; width is 1, 2, 4 or 8. A read stores the value
 * in the low width bytes of *value (higher bytes are masked off by the
 * core). Return 0, or a negative errno that the access returns as it is.
 */
typedef int (*io_read_fn)(void *dev, uint64_t addr, uint32_t width, uint64_t *value);
typedef int (*io_write_fn)(void *dev, uint64_t addr, uint32_t width, uint64_t value);

struct io_handler {
	const char *name;  /* for messages and the shell, e.g. "vuart COM1"; kept by pointer */
	io_read_fn read;   /* NULL: reads return all ones */
	io_write_fn write; /* NULL: writes are dropped */
	void *dev;
	uint32_t widths; /* IO_WIDTH_* mask, nonzero */
};

struct io_range {
	uint64_t start;
	uint64_t end; /* exclusive */
	struct io_handler handler;
	uint64_t accesses; /* accesses that reached the handler (for the shell's `io`) */
	uint64_t rejected; /* accesses refused for their width */
	bool warned;	   /* a width rejection was already logged */
};

struct io_range_table {
	uint32_t count;
	bool straddle_warned;
	uint64_t straddled; /* accesses refused for crossing a range edge */
};

struct io_registry {
	struct io_range_table port_table;
	struct io_range port[IO_REGISTRY_MAX_PORT_RANGES];
	struct io_range_table mmio_table;
	struct io_range mmio[IO_REGISTRY_MAX_MMIO_RANGES];
};

void io_registry_init(struct io_registry *reg);

/*
 * Registers [start, start + size). Returns 0; -EINVAL for size 0, a range
 * that wraps (or, for ports, goes past 0xffff), a mask with no width or an
 * unknown one (8 for ports), or NULL pointers; -EEXIST when it overlaps a
 * registered range (touching is fine); -ENOSPC when the table is full. Each
 * failure logs one line naming the range(s).
 */
int io_registry_add_port(struct io_registry *reg, uint64_t start, uint64_t size,
			 const struct io_handler *handler);
int io_registry_add_mmio(struct io_registry *reg, uint64_t start, uint64_t size,
			 const struct io_handler *handler);

/* Removes the range registered exactly as [start, start + size); -ENOENT if none. */
int io_registry_remove_port(struct io_registry *reg, uint64_t start, uint64_t size);
int io_registry_remove_mmio(struct io_registry *reg, uint64_t start, uint64_t size);

/*
 * Removes every range (port and MMIO) whose handler has this dev (NULL
 * matches nothing), for tearing a device down; returns how many.
 */
uint32_t io_registry_remove_device(struct io_registry *reg, const void *dev);

/* The range containing addr, or NULL. */
const struct io_range *io_registry_find_port(const struct io_registry *reg, uint64_t port);
const struct io_range *io_registry_find_mmio(const struct io_registry *reg, uint64_t gpa);

/*
 * Dispatches one trapped access of width bytes (ports: 1, 2, 4; MMIO: 1, 2,
 * 4, 8). For a write, *value holds the data (bytes above width are
 * ignored); for a read it receives it. Returns:
 *   0        handled;
 *   -ENOENT  no range claims any byte of the access: the caller decides
 *            (pass it through, or reads of all ones);
 *   -EINVAL  a width that is not 1/2/4(/8), one the device did not declare,
 *            or an access that crosses the edge of a range (into another, or
 *            half into nothing); logged once per range (per registry for
 *            edges) and counted, as a guest can repeat it at will;
 *   other    the handler's error.
 * Whenever a read fails, *value is all ones in the access width, so a
 * caller that answers the guest anyway gives what an empty bus would.
 */
int io_registry_port_access(struct io_registry *reg, uint16_t port, uint32_t width, bool is_write,
			    uint64_t *value);
int io_registry_mmio_access(struct io_registry *reg, uint64_t gpa, uint32_t width, bool is_write,
			    uint64_t *value);

#endif
