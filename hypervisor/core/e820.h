/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Service VM's e820 memory map, built from the firmware map that
 * multiboot2 handed over. The Service VM owns all RAM except what the
 * hypervisor keeps (design decision 4); the kept ranges appear in its map as
 * reserved, not as holes, so Linux never places a PCI BAR or a hot-added
 * device there either.
 *
 * Plain logic, no memory of its own: the result goes into a caller array of
 * at most E820_MAX_ENTRIES entries (what the zero page holds).
 */
#ifndef HV_CORE_E820_H
#define HV_CORE_E820_H

#include <stdbool.h>
#include <stdint.h>

#include "boot/multiboot2.h"

/* Entries the Linux zero page has room for (e820_table at 0x2d0, 20 bytes each). */
#define E820_MAX_ENTRIES 128

/* Types as in multiboot2 and the BIOS e820 call; other values are kept as they are. */
#define E820_TYPE_RAM	   1u
#define E820_TYPE_RESERVED 2u
#define E820_TYPE_ACPI	   3u
#define E820_TYPE_NVS	   4u
#define E820_TYPE_BAD	   5u

#define E820_PAGE_SIZE 0x1000ull

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

struct e820_range {
	uint64_t start;
	uint64_t end; /* exclusive */
};

/*
 * Builds the Service VM map from the firmware map fw[0..fw_count) and the
 * ranges the hypervisor keeps, reserve[0..reserve_count) (its image with
 * .bss, the AP trampoline, hv-land ivshmem memory...). The result is sorted
 * by address, has no overlaps, and no two touching entries of the same type.
 *
 *  - Zero-length firmware entries are ignored; one that runs past 2^64 is
 *    cut at 2^64 - 1 with a warning. Type 0 is taken as reserved; other
 *    unknown types are kept (Linux knows some, e.g. 7 persistent memory, and
 *    treats the rest as reserved).
 *  - Where firmware entries of different types overlap, the more
 *    restrictive type wins: bad > reserved > unknown > NVS > ACPI > RAM.
 *  - Every reserve range becomes reserved (bad memory inside stays bad),
 *    also where the firmware map has a hole. Empty reserve ranges are
 *    ignored; one with end < start is a caller bug: -EINVAL.
 *  - RAM is trimmed to whole 4 KiB pages; the partial pages at either end
 *    become reserved (the memory exists, but a page Linux may use must be
 *    all RAM).
 *
 * Returns 0 with *out_count set, -EINVAL for bad arguments, or -ENOSPC when
 * the result needs more than max entries (the message says how many; *out
 * then holds the first max entries and *out_count is max).
 */
int e820_build(const struct boot_mmap_entry *fw, uint32_t fw_count,
	       const struct e820_range *reserve, uint32_t reserve_count, struct e820_entry *out,
	       uint32_t max, uint32_t *out_count);

/* Bytes of RAM in the map (saturates at UINT64_MAX). */
uint64_t e820_ram_total(const struct e820_entry *map, uint32_t count);

/*
 * True when every byte of [start, end) is RAM in the map (several touching
 * RAM entries may cover it). An empty range (end <= start) is false.
 */
bool e820_is_ram(const struct e820_entry *map, uint32_t count, uint64_t start, uint64_t end);

/*
 * Finds a block of size bytes, aligned to align (a power of two), that lies
 * in one RAM entry of a sorted map (as e820_build makes it), inside
 * [min, max) and overlapping none of avoid[0..avoid_count). highest picks
 * the highest such block, else the lowest. For placing the kernel, the zero
 * page, the command line.
 *
 * Returns 0 with *found set, -ENOMEM when no block fits (silently: callers
 * try several places and say what they were placing), or -EINVAL with a
 * message for bad arguments (size 0, align not a power of two, min >= max,
 * NULL pointers).
 */
int e820_find_free(const struct e820_entry *map, uint32_t count, uint64_t size, uint64_t align,
		   uint64_t min, uint64_t max, bool highest, const struct e820_range *avoid,
		   uint32_t avoid_count, uint64_t *found);

/* Logs the map at info level, one line per entry, with a title line. */
void e820_log(const char *title, const struct e820_entry *map, uint32_t count);

#endif
