/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-VM I/O registry: registration rules, lookup at every edge, width and
 * straddle rejection, dispatch. The registry lives in an exactly-sized heap
 * block so that ASan catches a write past its last table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/io_registry.h"
#include "debug/log.h"
#include "lib/errno.h"
#include "tests/log_capture.h"

struct fake_dev {
	int reads, writes;
	uint64_t addr;
	uint32_t width;
	uint64_t written;
	uint64_t read_value; /* returned by reads, deliberately wider than asked */
	int ret;
};

static int fake_read(void *dev, uint64_t addr, uint32_t width, uint64_t *value)
{
	struct fake_dev *d = dev;

	d->reads++;
	d->addr = addr;
	d->width = width;
	*value = d->read_value;
	return d->ret;
}

static int fake_write(void *dev, uint64_t addr, uint32_t width, uint64_t value)
{
	struct fake_dev *d = dev;

	d->writes++;
	d->addr = addr;
	d->width = width;
	d->written = value;
	return d->ret;
}

static struct io_handler handler(const char *name, struct fake_dev *dev, uint32_t widths)
{
	return (struct io_handler){
		.name = name, .read = fake_read, .write = fake_write, .dev = dev, .widths = widths
	};
}

static struct io_registry *new_registry(void)
{
	struct io_registry *reg = malloc(sizeof(*reg));

	assert_non_null(reg);
	memset(reg, 0xa5, sizeof(*reg)); /* io_registry_init must clear everything */
	io_registry_init(reg);
	log_capture_reset();
	return reg;
}

static void expect_msg(const char *text)
{
	if (!log_capture_contains(text)) {
		log_capture_dump();
		fail_msg("missing message '%s'", text);
	}
}

static void test_add_and_find(void **state)
{
	struct io_registry *reg = new_registry();
	struct fake_dev com1 = { 0 }, pic = { 0 };
	struct io_handler h_com1 = handler("vuart COM1", &com1, IO_WIDTH_1);
	struct io_handler h_pic = handler("vpic", &pic, IO_WIDTH_1);

	(void)state;
	assert_int_equal(io_registry_add_port(reg, 0x3f8, 8, &h_com1), 0);
	assert_int_equal(io_registry_add_port(reg, 0xa0, 2, &h_pic), 0);
	assert_int_equal(io_registry_add_port(reg, 0x20, 2, &h_pic), 0);
	assert_int_equal(reg->port_table.count, 3);
	assert_int_equal(reg->port[0].start, 0x20);
	assert_int_equal(reg->port[1].start, 0xa0);
	assert_int_equal(reg->port[2].start, 0x3f8);

	assert_ptr_equal(io_registry_find_port(reg, 0x3f8), &reg->port[2]);
	assert_ptr_equal(io_registry_find_port(reg, 0x3ff), &reg->port[2]);
	assert_null(io_registry_find_port(reg, 0x3f7));
	assert_null(io_registry_find_port(reg, 0x400));
	assert_ptr_equal(io_registry_find_port(reg, 0x20), &reg->port[0]);
	assert_ptr_equal(io_registry_find_port(reg, 0x21), &reg->port[0]);
	assert_null(io_registry_find_port(reg, 0x22));
	assert_null(io_registry_find_port(reg, 0x0));
	assert_null(io_registry_find_port(reg, 0xffff));
	assert_string_equal(io_registry_find_port(reg, 0xa1)->handler.name, "vpic");
	/* Ports and MMIO are separate spaces. */
	assert_null(io_registry_find_mmio(reg, 0x3f8));
	assert_null(io_registry_find_port(NULL, 0x3f8));
	assert_int_equal(log_capture_count(LOG_ERROR), 0);
	free(reg);
}

static void test_overlap_edges(void **state)
{
	static const struct {
		uint64_t start, size;
		const char *message;
	} overlaps[] = {
		{ 0xf0, 0x11,
		  "io: port range 0xf0-0x100 (new) overlaps 0x100-0x10f (old), already "
		  "registered" },
		{ 0x10f, 0x11, "io: port range 0x10f-0x11f (new) overlaps 0x100-0x10f (old)" },
		{ 0x100, 0x10, "io: port range 0x100-0x10f (new) overlaps 0x100-0x10f (old)" },
		{ 0x104, 0x4, "io: port range 0x104-0x107 (new) overlaps 0x100-0x10f (old)" },
		{ 0x0, 0x1000, "io: port range 0-0xfff (new) overlaps 0x100-0x10f (old)" },
		{ 0x10f, 0x1, "io: port range 0x10f-0x10f (new) overlaps" },
		{ 0xff, 0x2, "io: port range 0xff-0x100 (new) overlaps" },
	};
	struct io_registry *reg = new_registry();
	struct fake_dev dev = { 0 };
	struct io_handler old = handler("old", &dev, IO_WIDTH_1);
	struct io_handler h = handler("new", &dev, IO_WIDTH_1);

	(void)state;
	assert_int_equal(io_registry_add_port(reg, 0x100, 0x10, &old), 0);
	for (size_t i = 0; i < sizeof(overlaps) / sizeof(overlaps[0]); i++) {
		log_capture_reset();
		assert_int_equal(io_registry_add_port(reg, overlaps[i].start, overlaps[i].size, &h),
				 -EEXIST);
		expect_msg(overlaps[i].message);
		assert_int_equal(reg->port_table.count, 1);
	}
	/* Touching at either edge is fine. */
	assert_int_equal(io_registry_add_port(reg, 0xf0, 0x10, &h), 0);
	assert_int_equal(io_registry_add_port(reg, 0x110, 0x10, &h), 0);
	/* Now one range that overlaps two: the first is named. */
	log_capture_reset();
	assert_int_equal(io_registry_add_port(reg, 0xff, 0x20, &h), -EEXIST);
	expect_msg("io: port range 0xff-0x11e (new) overlaps 0xf0-0xff (new)");

	/* The same for MMIO, at 64-bit addresses. */
	assert_int_equal(io_registry_add_mmio(reg, 0xfee00000, 0x1000, &old), 0);
	assert_int_equal(io_registry_add_mmio(reg, 0xfedfffff, 2, &h), -EEXIST);
	expect_msg("io: MMIO range 0xfedfffff-0xfee00000 (new) overlaps 0xfee00000-0xfee00fff "
		   "(old)");
	assert_int_equal(io_registry_add_mmio(reg, 0xfee00fff, 1, &h), -EEXIST);
	assert_int_equal(io_registry_add_mmio(reg, 0xfedff000, 0x1000, &h), 0);
	assert_int_equal(io_registry_add_mmio(reg, 0xfee01000, 0x1000, &h), 0);
	assert_int_equal(io_registry_add_mmio(reg, 0xfffffffffffff000ull, 0xfff, &h), 0);
	assert_int_equal(io_registry_add_mmio(reg, 0xfffffffffffffffeull, 1, &h), -EEXIST);
	free(reg);
}

static void test_invalid_ranges(void **state)
{
	struct io_registry *reg = new_registry();
	struct fake_dev dev = { 0 };
	struct io_handler h = handler("dev", &dev, IO_WIDTH_1);
	struct io_handler h8 = handler("dev8", &dev, IO_WIDTH_1 | IO_WIDTH_8);
	struct io_handler none = handler("none", &dev, 0);
	struct io_handler odd = handler("odd", &dev, 0x10);

	(void)state;
	assert_int_equal(io_registry_add_port(reg, 0x80, 0, &h), -EINVAL);
	expect_msg("io: port range at 0x80 of 0 bytes (dev) is empty or runs past the end of the "
		   "port space");
	assert_int_equal(io_registry_add_port(reg, 0xfff8, 9, &h), -EINVAL);
	assert_int_equal(io_registry_add_port(reg, 0x10000, 1, &h), -EINVAL);
	assert_int_equal(io_registry_add_port(reg, 0xffffffffffffffffull, 2, &h), -EINVAL);
	assert_int_equal(io_registry_add_port(reg, 0xfff8, 8, &h), 0); /* up to 0xffff */
	assert_int_equal(io_registry_add_mmio(reg, 0xfffffffffffffffeull, 3, &h), -EINVAL);
	expect_msg("io: MMIO range at 0xfffffffffffffffe of 0x3 bytes (dev) is empty or runs "
		   "past the end of the MMIO space");
	/* The exclusive end 2^64 cannot be stored: the last byte stays unclaimable. */
	assert_int_equal(io_registry_add_mmio(reg, 0xfffffffffffff000ull, 0x1000, &h), -EINVAL);

	log_capture_reset();
	assert_int_equal(io_registry_add_port(reg, 0x60, 1, &h8), -EINVAL);
	expect_msg("io: port range 0x60-0x60 (dev8) declares access widths mask 0x9; port "
		   "accesses are 1, 2, 4 bytes");
	assert_int_equal(io_registry_add_mmio(reg, 0x1000, 8, &h8), 0);
	assert_int_equal(io_registry_add_mmio(reg, 0x2000, 8, &none), -EINVAL);
	expect_msg("declares access widths mask 0; MMIO accesses are 1, 2, 4 or 8 bytes");
	assert_int_equal(io_registry_add_mmio(reg, 0x3000, 8, &odd), -EINVAL);

	assert_int_equal(io_registry_add_port(NULL, 0x60, 1, &h), -EINVAL);
	assert_int_equal(io_registry_add_port(reg, 0x60, 1, NULL), -EINVAL);
	assert_int_equal(io_registry_add_mmio(NULL, 0x60, 1, &h), -EINVAL);
	assert_int_equal(io_registry_add_mmio(reg, 0x60, 1, NULL), -EINVAL);
	assert_int_equal(reg->port_table.count, 1);
	assert_int_equal(reg->mmio_table.count, 1);
	free(reg);
}

static void test_full_table(void **state)
{
	struct io_registry *reg = new_registry();
	struct fake_dev dev = { 0 };
	struct io_handler h = handler("dev", &dev, IO_WIDTH_1 | IO_WIDTH_4);

	(void)state;
	/* Filled from the top down, so every insert moves the whole table. */
	for (uint64_t i = IO_REGISTRY_MAX_PORT_RANGES; i > 0; i--)
		assert_int_equal(io_registry_add_port(reg, i * 0x10, 4, &h), 0);
	for (uint64_t i = 0; i < IO_REGISTRY_MAX_MMIO_RANGES; i++)
		assert_int_equal(io_registry_add_mmio(reg, 0xe0000000 + i * 0x1000, 0x1000, &h), 0);
	assert_int_equal(log_capture_count(LOG_ERROR), 0);

	assert_int_equal(io_registry_add_port(reg, 0x1000, 4, &h), -ENOSPC);
	expect_msg("io: cannot add port range 0x1000-0x1003 (dev): all 32 slots are used");
	assert_int_equal(io_registry_add_mmio(reg, 0x1000, 4, &h), -ENOSPC);
	expect_msg("io: cannot add MMIO range 0x1000-0x1003 (dev): all 32 slots are used");
	/* An overlap is still reported as such when full. */
	assert_int_equal(io_registry_add_port(reg, 0x10, 1, &h), -EEXIST);

	for (uint32_t i = 0; i < IO_REGISTRY_MAX_PORT_RANGES; i++) {
		assert_int_equal(reg->port[i].start, (i + 1) * 0x10);
		assert_ptr_equal(io_registry_find_port(reg, (i + 1) * 0x10 + 3), &reg->port[i]);
		assert_null(io_registry_find_port(reg, (i + 1) * 0x10 + 4));
	}
	assert_ptr_equal(io_registry_find_mmio(reg, 0xe001ffff), &reg->mmio[31]);
	assert_null(io_registry_find_mmio(reg, 0xe0020000));

	/* Freeing one slot makes room again. */
	assert_int_equal(io_registry_remove_port(reg, 0x100, 4), 0);
	assert_int_equal(io_registry_add_port(reg, 0x1000, 4, &h), 0);
	assert_int_equal(reg->port[IO_REGISTRY_MAX_PORT_RANGES - 1].start, 0x1000);
	free(reg);
}

static void test_dispatch(void **state)
{
	struct io_registry *reg = new_registry();
	struct fake_dev uart = { .read_value = 0xdeadbeefcafef00dull };
	struct fake_dev apic = { .read_value = 0x1122334455667788ull };
	struct io_handler h_uart = handler("vuart", &uart, IO_WIDTH_1);
	struct io_handler h_apic = handler("vlapic", &apic, IO_WIDTH_4 | IO_WIDTH_8);
	uint64_t v;

	(void)state;
	assert_int_equal(io_registry_add_port(reg, 0x3f8, 8, &h_uart), 0);
	assert_int_equal(io_registry_add_mmio(reg, 0xfee00000, 0x1000, &h_apic), 0);

	/* Reads are cut to the access width; the handler sees the absolute address. */
	v = 0;
	assert_int_equal(io_registry_port_access(reg, 0x3fd, 1, false, &v), 0);
	assert_int_equal(v, 0x0d);
	assert_int_equal(uart.addr, 0x3fd);
	assert_int_equal(uart.width, 1);
	v = 0x12345678;
	assert_int_equal(io_registry_port_access(reg, 0x3f8, 1, true, &v), 0);
	assert_int_equal(uart.written, 0x78);
	assert_int_equal(uart.writes, 1);

	assert_int_equal(io_registry_mmio_access(reg, 0xfee00300, 4, false, &v), 0);
	assert_int_equal(v, 0x55667788);
	assert_int_equal(io_registry_mmio_access(reg, 0xfee00ff8, 8, false, &v), 0);
	assert_int_equal(v, 0x1122334455667788ull);
	assert_int_equal(apic.addr, 0xfee00ff8);
	v = 0xffffffff00000030ull;
	assert_int_equal(io_registry_mmio_access(reg, 0xfee000b0, 4, true, &v), 0);
	assert_int_equal(apic.written, 0x30);
	assert_int_equal(apic.width, 4);

	/* Unclaimed: -ENOENT, and a read is all ones in its width. */
	assert_int_equal(io_registry_port_access(reg, 0x2f8, 2, false, &v), -ENOENT);
	assert_int_equal(v, 0xffff);
	assert_int_equal(io_registry_mmio_access(reg, 0xfec00000, 4, false, &v), -ENOENT);
	assert_int_equal(v, 0xffffffff);
	v = 7;
	assert_int_equal(io_registry_mmio_access(reg, 0xfec00000, 4, true, &v), -ENOENT);
	assert_int_equal(apic.writes, 1);

	/* A handler's error comes back; a failed read still gives all ones. */
	uart.ret = -EIO;
	assert_int_equal(io_registry_port_access(reg, 0x3f9, 1, false, &v), -EIO);
	assert_int_equal(v, 0xff);
	assert_int_equal(io_registry_port_access(reg, 0x3f9, 1, true, &v), -EIO);

	assert_int_equal(io_registry_port_access(NULL, 0x3f9, 1, true, &v), -EINVAL);
	assert_int_equal(io_registry_port_access(reg, 0x3f9, 1, true, NULL), -EINVAL);
	assert_int_equal(io_registry_mmio_access(reg, 0xfee00000, 4, false, NULL), -EINVAL);
	assert_int_equal(log_capture_count(LOG_ERROR) + log_capture_count(LOG_WARNING), 0);
	free(reg);
}

static void test_missing_handlers(void **state)
{
	struct io_registry *reg = new_registry();
	struct io_handler h = { .name = "sink", .widths = IO_WIDTHS_PIO };
	uint64_t v = 0;

	(void)state;
	assert_int_equal(io_registry_add_port(reg, 0x80, 1, &h), 0);
	assert_int_equal(io_registry_port_access(reg, 0x80, 1, false, &v), 0);
	assert_int_equal(v, 0xff);
	v = 0x55;
	assert_int_equal(io_registry_port_access(reg, 0x80, 1, true, &v), 0);
	/* No name: messages still say something. */
	h.name = NULL;
	assert_int_equal(io_registry_add_port(reg, 0x80, 1, &h), -EEXIST);
	expect_msg("io: port range 0x80-0x80 (unnamed) overlaps 0x80-0x80 (sink)");
	free(reg);
}

static void test_width_rejection(void **state)
{
	struct io_registry *reg = new_registry();
	struct fake_dev dev = { .read_value = 0x42 };
	struct io_handler h = handler("vrtc", &dev, IO_WIDTH_1);
	struct io_handler h24 = handler("vhpet", &dev, IO_WIDTH_2 | IO_WIDTH_4);
	uint64_t v;

	(void)state;
	assert_int_equal(io_registry_add_port(reg, 0x70, 2, &h), 0);
	assert_int_equal(io_registry_add_mmio(reg, 0xfed00000, 0x400, &h24), 0);

	assert_int_equal(io_registry_port_access(reg, 0x70, 2, false, &v), -EINVAL);
	assert_int_equal(v, 0xffff);
	expect_msg("io: guest port access of 2 bytes at 0x70 to 0x70-0x71 (vrtc), which takes "
		   "1-byte accesses; refused (logged once per range)");
	v = 0;
	assert_int_equal(io_registry_port_access(reg, 0x70, 2, true, &v), -EINVAL);
	assert_int_equal(dev.reads + dev.writes, 0);
	assert_int_equal(reg->port[0].rejected, 2);
	assert_int_equal(log_capture_count(LOG_WARNING), 1); /* once, however often */

	assert_int_equal(io_registry_mmio_access(reg, 0xfed000f0, 8, false, &v), -EINVAL);
	assert_int_equal(v, UINT64_MAX);
	expect_msg("(vhpet), which takes 2/4-byte accesses");
	assert_int_equal(io_registry_mmio_access(reg, 0xfed000f0, 1, false, &v), -EINVAL);
	assert_int_equal(v, 0xff);
	assert_int_equal(io_registry_mmio_access(reg, 0xfed000f0, 4, false, &v), 0);
	assert_int_equal(v, 0x42);

	/* Widths no access can have: a hypervisor bug, said every time. */
	log_capture_reset();
	assert_int_equal(io_registry_port_access(reg, 0x70, 8, false, &v), -EINVAL);
	assert_int_equal(v, UINT64_MAX);
	expect_msg("io: port access of 8 bytes at 0x70: not a port access width");
	assert_int_equal(io_registry_mmio_access(reg, 0xfed00000, 3, true, &v), -EINVAL);
	expect_msg("io: MMIO access of 3 bytes at 0xfed00000: not a MMIO access width");
	assert_int_equal(io_registry_mmio_access(reg, 0xfed00000, 0, true, &v), -EINVAL);
	assert_int_equal(io_registry_mmio_access(reg, 0xfed00000, 16, true, &v), -EINVAL);
	assert_int_equal(dev.reads, 1);
	assert_int_equal(dev.writes, 0);
	free(reg);
}

static void test_straddle(void **state)
{
	struct io_registry *reg = new_registry();
	struct fake_dev a = { 0 }, b = { 0 };
	struct io_handler ha = handler("low", &a, IO_WIDTHS_PIO);
	struct io_handler hb = handler("high", &b, IO_WIDTHS_PIO);
	uint64_t v = 0;

	(void)state;
	assert_int_equal(io_registry_add_port(reg, 0x3f8, 8, &ha), 0);
	assert_int_equal(io_registry_add_port(reg, 0x400, 8, &hb), 0);
	assert_int_equal(io_registry_add_port(reg, 0xfff8, 8, &hb), 0);

	/* Across two touching ranges. */
	assert_int_equal(io_registry_port_access(reg, 0x3fe, 4, false, &v), -EINVAL);
	assert_int_equal(v, 0xffffffff);
	expect_msg("io: guest port access of 4 bytes at 0x3fe crosses the edge of 0x3f8-0x3ff "
		   "(low); refused (logged once)");
	assert_int_equal(io_registry_port_access(reg, 0x3ff, 2, true, &v), -EINVAL);
	/* From nothing into a range, and from a range into nothing. */
	assert_int_equal(io_registry_port_access(reg, 0x3f6, 4, false, &v), -EINVAL);
	assert_int_equal(io_registry_port_access(reg, 0x3f7, 2, false, &v), -EINVAL);
	assert_int_equal(io_registry_port_access(reg, 0x405, 4, false, &v), -EINVAL);
	assert_int_equal(io_registry_port_access(reg, 0xffff, 2, false, &v), -EINVAL);
	assert_int_equal(reg->port_table.straddled, 6);
	assert_int_equal(log_capture_count(LOG_WARNING), 1);
	assert_int_equal(a.reads + a.writes + b.reads + b.writes, 0);
	/* Right up to the edges: fine. */
	assert_int_equal(io_registry_port_access(reg, 0x3f4, 4, false, &v), -ENOENT);
	assert_int_equal(io_registry_port_access(reg, 0x3fc, 4, false, &v), 0);
	assert_int_equal(io_registry_port_access(reg, 0x400, 4, false, &v), 0);
	assert_int_equal(io_registry_port_access(reg, 0x404, 4, false, &v), 0);
	assert_int_equal(io_registry_port_access(reg, 0x408, 4, false, &v), -ENOENT);
	assert_int_equal(io_registry_port_access(reg, 0xfffc, 4, false, &v), 0);
	assert_int_equal(a.reads, 1);
	assert_int_equal(b.reads, 3);
	free(reg);

	/* MMIO, including an access that would wrap at 2^64. */
	reg = new_registry();
	memset(&a, 0, sizeof(a));
	assert_int_equal(io_registry_add_mmio(reg, 0xfee00000, 0x1000, &ha), 0);
	assert_int_equal(io_registry_mmio_access(reg, 0xfffffffffffffffcull, 8, false, &v),
			 -EINVAL);
	expect_msg("io: guest MMIO access of 8 bytes at 0xfffffffffffffffc wraps around the "
		   "address space; refused (logged once)");
	assert_int_equal(io_registry_mmio_access(reg, 0xfffffffffffffff8ull, 8, false, &v),
			 -ENOENT);
	assert_int_equal(io_registry_mmio_access(reg, 0xfee00ffc, 8, false, &v), -EINVAL);
	assert_int_equal(io_registry_mmio_access(reg, 0xfedffffc, 8, true, &v), -EINVAL);
	assert_int_equal(reg->mmio_table.straddled, 3);
	assert_int_equal(a.reads + a.writes, 0);
	free(reg);
}

static void test_remove(void **state)
{
	struct io_registry *reg = new_registry();
	struct fake_dev uart = { 0 }, other = { 0 };
	struct io_handler h = handler("vuart", &uart, IO_WIDTH_1);
	struct io_handler h2 = handler("other", &other, IO_WIDTH_1);
	uint64_t v;

	(void)state;
	assert_int_equal(io_registry_add_port(reg, 0x3f8, 8, &h), 0);
	assert_int_equal(io_registry_add_port(reg, 0x2f8, 8, &h2), 0);
	assert_int_equal(io_registry_remove_port(reg, 0x3f8, 4), -ENOENT);
	expect_msg("io: no port range registered as 0x3f8-0x3fb to remove");
	assert_int_equal(io_registry_remove_port(reg, 0x3f9, 7), -ENOENT);
	assert_int_equal(io_registry_remove_mmio(reg, 0x3f8, 8), -ENOENT);
	assert_int_equal(io_registry_remove_port(NULL, 0x3f8, 8), -EINVAL);
	assert_int_equal(io_registry_remove_port(reg, 0x3f8, 8), 0);
	assert_null(io_registry_find_port(reg, 0x3f8));
	assert_int_equal(io_registry_port_access(reg, 0x3f8, 1, false, &v), -ENOENT);
	assert_int_equal(reg->port_table.count, 1);
	/* Re-register, with a different size this time. */
	assert_int_equal(io_registry_add_port(reg, 0x3f8, 2, &h), 0);
	assert_int_equal(io_registry_port_access(reg, 0x3f9, 1, false, &v), 0);
	assert_int_equal(io_registry_port_access(reg, 0x3fa, 1, false, &v), -ENOENT);

	/* A device with ranges in both spaces goes away in one call. */
	assert_int_equal(io_registry_add_mmio(reg, 0xc0000000, 0x1000, &h), 0);
	assert_int_equal(io_registry_add_mmio(reg, 0xb0000000, 0x1000, &h2), 0);
	assert_int_equal(io_registry_add_mmio(reg, 0xd0000000, 0x1000, &h), 0);
	assert_int_equal(io_registry_remove_device(reg, &uart), 3);
	assert_int_equal(reg->port_table.count, 1);
	assert_int_equal(reg->mmio_table.count, 1);
	assert_string_equal(reg->port[0].handler.name, "other");
	assert_string_equal(reg->mmio[0].handler.name, "other");
	assert_int_equal(io_registry_remove_device(reg, &uart), 0);
	assert_int_equal(io_registry_remove_device(reg, NULL), 0);
	assert_int_equal(io_registry_remove_device(NULL, &other), 0);
	assert_int_equal(io_registry_remove_mmio(reg, 0xb0000000, 0x1000), 0);
	assert_int_equal(reg->mmio_table.count, 0);
	free(reg);
}

/* Random disjoint ranges: binary search agrees with a linear scan everywhere. */
static void test_lookup_random(void **state)
{
	struct fake_dev dev = { 0 };
	struct io_handler h = handler("r", &dev, IO_WIDTH_1);

	(void)state;
	srand(7);
	for (int iter = 0; iter < 200; iter++) {
		struct io_registry *reg = new_registry();

		for (int k = 0; k < 200; k++) {
			uint64_t start = (uint64_t)(rand() % 0x1000);
			uint64_t size = (uint64_t)(rand() % 64 + 1);
			int ret = io_registry_add_mmio(reg, start, size, &h);

			assert_true(ret == 0 || ret == -EEXIST || ret == -ENOSPC);
		}
		for (uint32_t i = 1; i < reg->mmio_table.count; i++)
			assert_true(reg->mmio[i - 1].end <= reg->mmio[i].start);
		for (uint64_t addr = 0; addr < 0x1100; addr++) {
			const struct io_range *want = NULL;

			for (uint32_t i = 0; i < reg->mmio_table.count; i++)
				if (addr >= reg->mmio[i].start && addr < reg->mmio[i].end)
					want = &reg->mmio[i];
			assert_ptr_equal(io_registry_find_mmio(reg, addr), want);
		}
		free(reg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_and_find),	cmocka_unit_test(test_overlap_edges),
		cmocka_unit_test(test_invalid_ranges),	cmocka_unit_test(test_full_table),
		cmocka_unit_test(test_dispatch),	cmocka_unit_test(test_missing_handlers),
		cmocka_unit_test(test_width_rejection), cmocka_unit_test(test_straddle),
		cmocka_unit_test(test_remove),		cmocka_unit_test(test_lookup_random),
	};
	return cmocka_run_group_tests_name("io_registry", tests, NULL, NULL);
}
