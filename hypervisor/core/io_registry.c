/* SPDX-License-Identifier: BSD-3-Clause */
#include "core/io_registry.h"

#include <stddef.h>

#include "debug/log.h"
#include "lib/errno.h"
#include "lib/string.h"

/* One address space of a registry: the code below serves ports and MMIO alike. */
struct io_space {
	const char *kind; /* "port" or "MMIO", for messages */
	struct io_range_table *table;
	struct io_range *ranges;
	uint32_t max;
	uint64_t limit;	     /* first address past the space; 0 means 2^64 */
	uint32_t all_widths; /* widths an access in this space may have */
};

static struct io_space io_port_space(struct io_registry *reg)
{
	return (struct io_space){
		.kind = "port",
		.table = &reg->port_table,
		.ranges = reg->port,
		.max = IO_REGISTRY_MAX_PORT_RANGES,
		.limit = IO_PORT_LIMIT,
		.all_widths = IO_WIDTHS_PIO,
	};
}

static struct io_space io_mmio_space(struct io_registry *reg)
{
	return (struct io_space){
		.kind = "MMIO",
		.table = &reg->mmio_table,
		.ranges = reg->mmio,
		.max = IO_REGISTRY_MAX_MMIO_RANGES,
		.limit = 0,
		.all_widths = IO_WIDTHS_MMIO,
	};
}

static const char *io_name(const struct io_handler *h)
{
	return h->name ? h->name : "unnamed";
}

/* "1/2/4" for a width mask, into buf (at least 8 bytes). */
static const char *io_widths_text(uint32_t widths, char *buf)
{
	char *p = buf;

	for (uint32_t w = 1; w <= 8; w <<= 1) {
		if (!(widths & w))
			continue;
		if (p != buf)
			*p++ = '/';
		*p++ = (char)('0' + w);
	}
	*p = '\0';
	return buf;
}

/* Index of the first range starting above addr: ranges are sorted and disjoint. */
static uint32_t io_upper_bound(const struct io_range *ranges, uint32_t count, uint64_t addr)
{
	uint32_t lo = 0, hi = count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (ranges[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct io_range *io_find(const struct io_range *ranges, uint32_t count, uint64_t addr)
{
	uint32_t i = io_upper_bound(ranges, count, addr);

	if (i == 0 || addr >= ranges[i - 1].end)
		return NULL;
	return &ranges[i - 1];
}

void io_registry_init(struct io_registry *reg)
{
	if (reg)
		memset(reg, 0, sizeof(*reg));
}

static int io_add(struct io_space s, uint64_t start, uint64_t size,
		  const struct io_handler *handler)
{
	uint64_t room = s.limit ? (start < s.limit ? s.limit - start : 0) : UINT64_MAX - start;
	const char *name = io_name(handler);
	uint32_t i, count = s.table->count;

	if (size == 0 || size > room) {
		pr_err("io: %s range at %#llx of %#llx bytes (%s) is empty or runs past the end "
		       "of the %s space",
		       s.kind, (unsigned long long)start, (unsigned long long)size, name, s.kind);
		return -EINVAL;
	}
	if (handler->widths == 0 || (handler->widths & ~s.all_widths) != 0) {
		pr_err("io: %s range %#llx-%#llx (%s) declares access widths mask %#x; %s "
		       "accesses are 1, 2, 4%s bytes",
		       s.kind, (unsigned long long)start, (unsigned long long)(start + size - 1),
		       name, handler->widths, s.kind, s.all_widths & IO_WIDTH_8 ? " or 8" : "");
		return -EINVAL;
	}
	i = io_upper_bound(s.ranges, count, start);
	for (uint32_t k = i ? i - 1 : 0; k < count && k <= i; k++) {
		const struct io_range *r = &s.ranges[k];

		if (r->start < start + size && start < r->end) {
			pr_err("io: %s range %#llx-%#llx (%s) overlaps %#llx-%#llx (%s), already "
			       "registered",
			       s.kind, (unsigned long long)start,
			       (unsigned long long)(start + size - 1), name,
			       (unsigned long long)r->start, (unsigned long long)(r->end - 1),
			       io_name(&r->handler));
			return -EEXIST;
		}
	}
	if (count >= s.max) {
		pr_err("io: cannot add %s range %#llx-%#llx (%s): all %u slots are used", s.kind,
		       (unsigned long long)start, (unsigned long long)(start + size - 1), name,
		       s.max);
		return -ENOSPC;
	}
	memmove(&s.ranges[i + 1], &s.ranges[i], (count - i) * sizeof(s.ranges[0]));
	s.ranges[i] = (struct io_range){ .start = start, .end = start + size, .handler = *handler };
	s.table->count = count + 1;
	return 0;
}

int io_registry_add_port(struct io_registry *reg, uint64_t start, uint64_t size,
			 const struct io_handler *handler)
{
	if (!reg || !handler)
		return -EINVAL;
	return io_add(io_port_space(reg), start, size, handler);
}

int io_registry_add_mmio(struct io_registry *reg, uint64_t start, uint64_t size,
			 const struct io_handler *handler)
{
	if (!reg || !handler)
		return -EINVAL;
	return io_add(io_mmio_space(reg), start, size, handler);
}

static void io_delete(struct io_space s, uint32_t i)
{
	s.table->count--;
	memmove(&s.ranges[i], &s.ranges[i + 1], (s.table->count - i) * sizeof(s.ranges[0]));
	memset(&s.ranges[s.table->count], 0, sizeof(s.ranges[0]));
}

static int io_remove(struct io_space s, uint64_t start, uint64_t size)
{
	uint32_t i = io_upper_bound(s.ranges, s.table->count, start);

	if (i == 0 || s.ranges[i - 1].start != start || s.ranges[i - 1].end - start != size) {
		pr_err("io: no %s range registered as %#llx-%#llx to remove", s.kind,
		       (unsigned long long)start, (unsigned long long)(start + size - 1));
		return -ENOENT;
	}
	io_delete(s, i - 1);
	return 0;
}

int io_registry_remove_port(struct io_registry *reg, uint64_t start, uint64_t size)
{
	return reg ? io_remove(io_port_space(reg), start, size) : -EINVAL;
}

int io_registry_remove_mmio(struct io_registry *reg, uint64_t start, uint64_t size)
{
	return reg ? io_remove(io_mmio_space(reg), start, size) : -EINVAL;
}

static uint32_t io_remove_dev(struct io_space s, const void *dev)
{
	uint32_t removed = 0;

	for (uint32_t i = 0; i < s.table->count;) {
		if (s.ranges[i].handler.dev == dev) {
			io_delete(s, i);
			removed++;
		} else {
			i++;
		}
	}
	return removed;
}

uint32_t io_registry_remove_device(struct io_registry *reg, const void *dev)
{
	if (!reg || !dev)
		return 0;
	return io_remove_dev(io_port_space(reg), dev) + io_remove_dev(io_mmio_space(reg), dev);
}

const struct io_range *io_registry_find_port(const struct io_registry *reg, uint64_t port)
{
	return reg ? io_find(reg->port, reg->port_table.count, port) : NULL;
}

const struct io_range *io_registry_find_mmio(const struct io_registry *reg, uint64_t gpa)
{
	return reg ? io_find(reg->mmio, reg->mmio_table.count, gpa) : NULL;
}

static uint64_t io_width_mask(uint32_t width)
{
	return width >= 8 ? UINT64_MAX : (1ull << (8 * width)) - 1;
}

/*
 * Refuses an access that crosses the edge of range r (NULL: of the address
 * space). A guest can repeat it at will, so it is logged once per space.
 */
static int io_refuse_straddle(struct io_space s, uint64_t addr, uint32_t width,
			      const struct io_range *r)
{
	s.table->straddled++;
	if (s.table->straddle_warned)
		return -EINVAL;
	s.table->straddle_warned = true;
	if (r)
		pr_warn("io: guest %s access of %u bytes at %#llx crosses the edge of %#llx-%#llx "
			"(%s); refused (logged once)",
			s.kind, width, (unsigned long long)addr, (unsigned long long)r->start,
			(unsigned long long)(r->end - 1), io_name(&r->handler));
	else
		pr_warn("io: guest %s access of %u bytes at %#llx wraps around the address "
			"space; refused (logged once)",
			s.kind, width, (unsigned long long)addr);
	return -EINVAL;
}

static int io_access(struct io_space s, uint64_t addr, uint32_t width, bool is_write,
		     uint64_t *value)
{
	uint32_t count = s.table->count;
	const struct io_range *r;
	struct io_range *hit;
	uint64_t mask;
	int ret;

	if (!(width & s.all_widths) || (width & (width - 1)) != 0) {
		if (!is_write)
			*value = UINT64_MAX;
		pr_err("io: %s access of %u bytes at %#llx: not a %s access width", s.kind, width,
		       (unsigned long long)addr, s.kind);
		return -EINVAL;
	}
	mask = io_width_mask(width);
	if (!is_write)
		*value = mask;
	if (width - 1 > UINT64_MAX - addr)
		return io_refuse_straddle(s, addr, width, NULL);
	r = io_find(s.ranges, count, addr);
	if (!r) {
		uint32_t next = io_upper_bound(s.ranges, count, addr);

		/* Nothing at addr; the access may still reach into the next range. */
		if (next < count && s.ranges[next].start <= addr + width - 1)
			return io_refuse_straddle(s, addr, width, &s.ranges[next]);
		return -ENOENT;
	}
	if (addr + width - 1 >= r->end)
		return io_refuse_straddle(s, addr, width, r);
	hit = &s.ranges[r - s.ranges];
	if (!(hit->handler.widths & width)) {
		char widths[8];

		hit->rejected++;
		if (!hit->warned) {
			hit->warned = true;
			pr_warn("io: guest %s access of %u bytes at %#llx to %#llx-%#llx (%s), "
				"which takes %s-byte accesses; refused (logged once per range)",
				s.kind, width, (unsigned long long)addr,
				(unsigned long long)hit->start, (unsigned long long)(hit->end - 1),
				io_name(&hit->handler),
				io_widths_text(hit->handler.widths, widths));
		}
		return -EINVAL;
	}
	__atomic_fetch_add(&hit->accesses, 1, __ATOMIC_RELAXED);
	if (is_write)
		return hit->handler.write
			   ? hit->handler.write(hit->handler.dev, addr, width, *value & mask)
			   : 0;
	if (!hit->handler.read)
		return 0;
	{
		uint64_t v = 0;

		ret = hit->handler.read(hit->handler.dev, addr, width, &v);
		*value = ret ? mask : v & mask;
	}
	return ret;
}

int io_registry_port_access(struct io_registry *reg, uint16_t port, uint32_t width, bool is_write,
			    uint64_t *value)
{
	if (!reg || !value)
		return -EINVAL;
	return io_access(io_port_space(reg), port, width, is_write, value);
}

int io_registry_mmio_access(struct io_registry *reg, uint64_t gpa, uint32_t width, bool is_write,
			    uint64_t *value)
{
	if (!reg || !value)
		return -EINVAL;
	return io_access(io_mmio_space(reg), gpa, width, is_write, value);
}
