/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual IOAPIC: power-on state, the register window's access rules, edge
 * and level delivery with remote IRR and EOI, the messages it builds, the
 * rte_changed hook, and a long random run against a small reference model.
 * The vIOAPIC lives in an exactly-sized heap block filled with junk before
 * vioapic_init, so ASan and the power-on checks catch what init forgets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "debug/log.h"
#include "lib/errno.h"
#include "tests/log_capture.h"
#include "vdev/vioapic.h"

#define BASE	    0xfec00000ull
#define PINS	    24
#define MAX_EVENTS  64
#define RTE_LOW_RW  0x0001afffu /* vector, mode, dest mode, polarity, trigger, mask */
#define RTE_HIGH_RW 0xff000000u /* destination */
#define IRR	    IOAPIC_RTE_REMOTE_IRR
#define LEVEL	    IOAPIC_RTE_LEVEL
#define MASKED	    IOAPIC_RTE_MASKED
#define LOGICAL	    IOAPIC_RTE_DEST_LOGICAL

/* What the callbacks saw, in order: 'D' a delivery, 'C' an rte_changed. */
struct event {
	char kind;
	uint32_t pin;	  /* 'C' only */
	uint64_t rte;	  /* 'C': the entry passed */
	uint64_t rte_now; /* 'C': vioapic_rte() inside the callback */
	struct virq_msg msg;
};

struct recorder {
	struct vioapic *io;
	int count;
	struct event events[MAX_EVENTS];
};

static struct recorder rec;

/* Appends to an event list (the recorder's, or the reference model's expectations). */
static struct event *push(struct event *list, int *count, struct event e)
{
	assert_true(*count < MAX_EVENTS);
	list[*count] = e;
	return &list[(*count)++];
}

static void on_deliver(void *ctx, const struct virq_msg *msg)
{
	assert_ptr_equal(ctx, &rec);
	push(rec.events, &rec.count, (struct event){ .kind = 'D', .msg = *msg });
}

static void on_rte_changed(void *ctx, uint32_t pin, uint64_t rte)
{
	assert_ptr_equal(ctx, &rec);
	push(rec.events, &rec.count,
	     (struct event){
		 .kind = 'C', .pin = pin, .rte = rte, .rte_now = vioapic_rte(rec.io, pin) });
}

static const struct vioapic_env env = { .ctx = &rec,
					.deliver = on_deliver,
					.rte_changed = on_rte_changed };

static struct vioapic *new_vioapic_env(uint8_t id, uint32_t pins, const struct vioapic_env *e)
{
	struct vioapic *io = malloc(sizeof(*io));

	assert_non_null(io);
	memset(io, 0xa5, sizeof(*io));
	log_capture_reset();
	vioapic_init(io, id, BASE, pins, 0, e);
	memset(&rec, 0, sizeof(rec));
	rec.io = io;
	return io;
}

/* Most tests: ID 2, 24 pins, recording callbacks; cmocka frees it after the test. */
static int setup(void **state)
{
	*state = new_vioapic_env(2, PINS, &env);
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static void mmio_w(struct vioapic *io, uint64_t offset, uint32_t value)
{
	assert_int_equal(vioapic_mmio_write(io, BASE + offset, 4, value), 0);
}

static uint32_t mmio_r(struct vioapic *io, uint64_t offset)
{
	uint64_t v = 0xdeadbeefdeadbeefull;

	assert_int_equal(vioapic_mmio_read(io, BASE + offset, 4, &v), 0);
	assert_true(v <= 0xffffffffull);
	return (uint32_t)v;
}

static void reg_w(struct vioapic *io, uint32_t index, uint32_t value)
{
	mmio_w(io, 0x00, index);
	mmio_w(io, 0x10, value);
}

static uint32_t reg_r(struct vioapic *io, uint32_t index)
{
	mmio_w(io, 0x00, index);
	return mmio_r(io, 0x10);
}

/* As guests program an entry: destination first, then the half that unmasks. */
static void set_rte(struct vioapic *io, uint32_t pin, uint64_t rte)
{
	reg_w(io, 0x10 + 2 * pin + 1, (uint32_t)(rte >> 32));
	reg_w(io, 0x10 + 2 * pin, (uint32_t)rte);
}

static int deliveries(void)
{
	int n = 0;

	for (int i = 0; i < rec.count; i++)
		n += rec.events[i].kind == 'D';
	return n;
}

static const struct virq_msg *last_msg(void)
{
	for (int i = rec.count - 1; i >= 0; i--)
		if (rec.events[i].kind == 'D')
			return &rec.events[i].msg;
	fail_msg("no delivery recorded");
	return NULL;
}

/* The fields every vIOAPIC message has, plus the ones the entry decides. */
static void assert_msg(const struct virq_msg *m, uint32_t dest, bool logical, uint8_t vector,
		       uint8_t delivery, bool level)
{
	assert_int_equal(m->dest, dest);
	assert_int_equal(m->dest_logical, logical);
	assert_int_equal(m->vector, vector);
	assert_int_equal(m->delivery, delivery);
	assert_int_equal(m->level, level);
	assert_int_equal(m->shorthand, VIRQ_DEST_FIELD);
	assert_true(m->assert);
	assert_false(m->x2apic_dest);
}

static void test_power_on(void **state)
{
	struct vioapic *io = *state;

	assert_int_equal(io->pins, PINS);
	assert_int_equal(mmio_r(io, 0x00), 0);
	assert_int_equal(reg_r(io, 0x00), 2u << 24);
	assert_int_equal(reg_r(io, 0x01), 0x20 | ((PINS - 1) << 16));
	assert_int_equal(reg_r(io, 0x02), 2u << 24);
	for (uint32_t pin = 0; pin < PINS; pin++) {
		assert_int_equal(reg_r(io, 0x10 + 2 * pin), 0x10000);
		assert_int_equal(reg_r(io, 0x11 + 2 * pin), 0);
		assert_int_equal(vioapic_rte(io, pin), MASKED);
		assert_false(io->line[pin]);
		assert_int_equal(io->delivered[pin], 0);
		assert_int_equal(io->refused[pin], 0);
	}
	assert_int_equal(vioapic_rte(io, PINS), 0);
	assert_int_equal(vioapic_rte(io, UINT32_MAX), 0);
	assert_int_equal(rec.count, 0);
	assert_int_equal(log_capture_count(LOG_WARNING), 0);
}

static void test_pin_count_clamped(void **state)
{
	struct vioapic *io = new_vioapic_env(0, 0, &env);

	(void)state;
	assert_int_equal(io->pins, 1);
	assert_int_equal(reg_r(io, 0x01), 0x20);
	assert_true(log_capture_contains("vioapic 0: 0 pins asked, using 1"));
	free(io);

	io = new_vioapic_env(0, 500, &env);
	assert_int_equal(io->pins, VIOAPIC_MAX_PINS);
	assert_int_equal(reg_r(io, 0x01), 0x20 | ((VIOAPIC_MAX_PINS - 1) << 16));
	/* The last entry's high half is index 0xff, the top of the 8-bit IOREGSEL. */
	reg_w(io, 0xff, 0xab000000);
	assert_int_equal(vioapic_rte(io, VIOAPIC_MAX_PINS - 1) >> 56, 0xab);
	assert_int_equal(log_capture_count(LOG_WARNING), 1);
	free(io);
}

static void test_id_and_readonly_registers(void **state)
{
	struct vioapic *io = *state;

	vioapic_init(io, 0x12, BASE, PINS, 0, &env);
	/* Only bits 27:24 change; 31:28 keep what init was given. */
	reg_w(io, 0x00, 0xffffffff);
	assert_int_equal(reg_r(io, 0x00), 0x1f000000);
	reg_w(io, 0x00, 0x05000000);
	assert_int_equal(reg_r(io, 0x00), 0x15000000);
	assert_int_equal(reg_r(io, 0x02), 0x15000000);
	reg_w(io, 0x01, 0);
	reg_w(io, 0x02, 0);
	assert_int_equal(reg_r(io, 0x01), 0x20 | ((PINS - 1) << 16));
	assert_int_equal(reg_r(io, 0x02), 0x15000000);
	assert_int_equal(rec.count, 0);
}

static void test_rte_halves_and_read_only_bits(void **state)
{
	struct vioapic *io = *state;

	reg_w(io, 0x10 + 2 * 5, 0xffffffff);
	assert_int_equal(reg_r(io, 0x10 + 2 * 5), RTE_LOW_RW);
	assert_int_equal(reg_r(io, 0x11 + 2 * 5), 0);
	reg_w(io, 0x11 + 2 * 5, 0xffffffff);
	assert_int_equal(reg_r(io, 0x11 + 2 * 5), RTE_HIGH_RW);
	assert_int_equal(reg_r(io, 0x10 + 2 * 5), RTE_LOW_RW);
	assert_int_equal(vioapic_rte(io, 5), ((uint64_t)RTE_HIGH_RW << 32) | RTE_LOW_RW);
	/* Each half leaves the other alone. */
	reg_w(io, 0x10 + 2 * 5, 0x10031);
	assert_int_equal(vioapic_rte(io, 5), 0xff00000000010031ull);
	reg_w(io, 0x11 + 2 * 5, 0x03000000);
	assert_int_equal(vioapic_rte(io, 5), 0x0300000000010031ull);
	/* Neighbours untouched. */
	assert_int_equal(vioapic_rte(io, 4), MASKED);
	assert_int_equal(vioapic_rte(io, 6), MASKED);
	assert_int_equal(rec.count, 4);
	assert_int_equal(deliveries(), 0);
	/* The guest cannot set delivery status or remote IRR. */
	reg_w(io, 0x10, MASKED | LEVEL | 0x5000 | 0x31);
	assert_int_equal(vioapic_rte(io, 0), MASKED | LEVEL | 0x31);
	/* Nor clear remote IRR once set by a delivery. */
	set_rte(io, 1, LEVEL | 0x41);
	vioapic_set_level(io, 1, true);
	assert_true(vioapic_rte(io, 1) & IRR);
	reg_w(io, 0x12, LEVEL | 0x41 | 0x1000);
	assert_int_equal(vioapic_rte(io, 1), LEVEL | IRR | 0x41);
	assert_int_equal(reg_r(io, 0x12), LEVEL | IRR | 0x41);
}

static void test_bad_accesses(void **state)
{
	static const uint64_t offsets[] = { 0x00, 0x01, 0x02, 0x04, 0x08, 0x0c, 0x10,  0x11,  0x14,
					    0x20, 0x30, 0x3c, 0x40, 0x41, 0x44, 0xffc, 0x1000 };
	struct vioapic *io = *state;
	uint64_t v;

	set_rte(io, 3, LEVEL | 0x50);
	vioapic_set_level(io, 3, true);
	mmio_w(io, 0x00, 0x13);
	rec.count = 0;
	/* Every width but 4 anywhere, and 4 away from IOREGSEL, IOWIN and EOI. */
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		for (uint32_t width = 1; width <= 8; width *= 2) {
			uint64_t off = offsets[i];

			if (width == 4 && (off == 0x00 || off == 0x10 || off == 0x40))
				continue;
			v = 0x1234;
			assert_int_equal(vioapic_mmio_read(io, BASE + off, width, &v), 0);
			assert_int_equal(v, 0);
			assert_int_equal(vioapic_mmio_write(io, BASE + off, width, 0x50505050), 0);
		}
	}
	/* Below the window, and the write-only EOI register. */
	assert_int_equal(vioapic_mmio_write(io, BASE - 4, 4, 0x50), 0);
	assert_int_equal(vioapic_mmio_read(io, BASE - 4, 4, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(mmio_r(io, 0x40), 0);
	/* Nothing changed: no EOI, IOREGSEL and the entry as they were. */
	assert_int_equal(rec.count, 0);
	assert_int_equal(mmio_r(io, 0x00), 0x13);
	assert_int_equal(vioapic_rte(io, 3), LEVEL | IRR | 0x50);
	/* A NULL device or result is a hypervisor bug, reported rather than followed. */
	assert_int_equal(vioapic_mmio_read(NULL, BASE, 4, &v), -EINVAL);
	assert_int_equal(vioapic_mmio_read(io, BASE, 4, NULL), -EINVAL);
	assert_int_equal(vioapic_mmio_write(NULL, BASE, 4, 0), -EINVAL);
}

static void test_regsel_out_of_range(void **state)
{
	struct vioapic *io = *state;

	/* IOREGSEL keeps bits 7:0 only. */
	mmio_w(io, 0x00, 0xffffff12);
	assert_int_equal(mmio_r(io, 0x00), 0x12);
	/* Indexes that name no register read 0 and ignore writes. */
	for (uint32_t index = 0x03; index <= 0xff; index++) {
		if (index == 0x10)
			index = 0x10 + 2 * PINS; /* past the last entry */
		reg_w(io, index, 0xffffffff);
		assert_int_equal(reg_r(io, index), 0);
	}
	assert_int_equal(rec.count, 0);
	for (uint32_t pin = 0; pin < PINS; pin++)
		assert_int_equal(vioapic_rte(io, pin), MASKED);
}

static void test_edge_pins(void **state)
{
	struct vioapic *io = *state;

	set_rte(io, 4, 0x31);
	rec.count = 0;
	vioapic_set_level(io, 4, true);
	assert_int_equal(deliveries(), 1);
	/* Holding or dropping the line is not an edge. */
	vioapic_set_level(io, 4, true);
	vioapic_set_level(io, 4, false);
	vioapic_set_level(io, 4, false);
	assert_int_equal(deliveries(), 1);
	vioapic_set_level(io, 4, true);
	assert_int_equal(deliveries(), 2);
	assert_int_equal(io->delivered[4], 2);
	/* Edge pins never hold remote IRR; EOIs do nothing. */
	assert_int_equal(vioapic_rte(io, 4), 0x31);
	vioapic_eoi(io, 0x31);
	assert_int_equal(deliveries(), 2);

	set_rte(io, 2, MASKED | 0x32);
	vioapic_set_level(io, 2, true);
	assert_int_equal(deliveries(), 2);
	/* The edge came while masked: unmasking does not bring it back. */
	reg_w(io, 0x14, 0x32);
	assert_int_equal(deliveries(), 2);
	assert_true(io->line[2]);
	vioapic_set_level(io, 2, false);
	vioapic_set_level(io, 2, true);
	assert_int_equal(deliveries(), 3);
	assert_int_equal(io->delivered[2], 1);
	/* A pulse is one edge and leaves the line low; on a masked pin it is lost. */
	set_rte(io, 0, 0x30);
	vioapic_pulse(io, 0);
	vioapic_pulse(io, 0);
	assert_int_equal(deliveries(), 5);
	assert_false(io->line[0]);
	vioapic_pulse(io, 1);
	assert_int_equal(deliveries(), 5);
	assert_int_equal(io->delivered[1], 0);
}

static void test_level_remote_irr_and_eoi(void **state)
{
	struct vioapic *io = *state;

	set_rte(io, 9, LEVEL | 0x61);
	rec.count = 0;
	vioapic_set_level(io, 9, true);
	assert_int_equal(deliveries(), 1);
	assert_int_equal(vioapic_rte(io, 9), LEVEL | IRR | 0x61);
	/* In service: holding or re-asserting the line sends nothing more. */
	vioapic_set_level(io, 9, true);
	assert_int_equal(deliveries(), 1);
	/* Another vector's EOI leaves the pin alone. */
	vioapic_eoi(io, 0x62);
	assert_int_equal(vioapic_rte(io, 9), LEVEL | IRR | 0x61);
	/* EOI while still asserted: sent again, back in service. */
	vioapic_eoi(io, 0x61);
	assert_int_equal(deliveries(), 2);
	assert_int_equal(vioapic_rte(io, 9), LEVEL | IRR | 0x61);
	/* Line dropped, then EOI: idle until the next assertion. */
	vioapic_set_level(io, 9, false);
	vioapic_eoi(io, 0x61);
	assert_int_equal(deliveries(), 2);
	assert_int_equal(vioapic_rte(io, 9), LEVEL | 0x61);
	vioapic_set_level(io, 9, true);
	assert_int_equal(deliveries(), 3);
	assert_int_equal(io->delivered[9], 3);
	assert_int_equal(rec.count, 3); /* no rte_changed: the guest wrote nothing */
}

static void test_unmask_while_asserted(void **state)
{
	struct vioapic *io = *state;

	set_rte(io, 7, MASKED | LEVEL | 0x70);
	vioapic_set_level(io, 7, true);
	assert_int_equal(deliveries(), 0);
	rec.count = 0;
	reg_w(io, 0x10 + 2 * 7, LEVEL | 0x70);
	/* The physical pin learns of the unmask before the guest gets the interrupt. */
	assert_int_equal(rec.count, 2);
	assert_int_equal(rec.events[0].kind, 'C');
	assert_int_equal(rec.events[0].rte, LEVEL | 0x70);
	assert_int_equal(rec.events[1].kind, 'D');
	assert_int_equal(vioapic_rte(io, 7), LEVEL | IRR | 0x70);
	/* Mask, EOI, unmask: the still-asserted line is delivered on the unmask. */
	reg_w(io, 0x10 + 2 * 7, MASKED | LEVEL | 0x70);
	vioapic_eoi(io, 0x70);
	assert_int_equal(deliveries(), 1);
	reg_w(io, 0x10 + 2 * 7, LEVEL | 0x70);
	assert_int_equal(deliveries(), 2);
}

static void test_trigger_mode_switch(void **state)
{
	struct vioapic *io = *state;

	set_rte(io, 3, LEVEL | 0x40);
	vioapic_set_level(io, 3, true);
	assert_true(vioapic_rte(io, 3) & IRR);
	/* To edge: remote IRR cleared (and reported so), no edge to send. */
	rec.count = 0;
	reg_w(io, 0x16, 0x40);
	assert_int_equal(rec.count, 1);
	assert_int_equal(rec.events[0].rte, 0x40);
	assert_int_equal(vioapic_rte(io, 3), 0x40);
	vioapic_eoi(io, 0x40);
	assert_int_equal(deliveries(), 0);
	/* Back to level with the line still high: due at once. */
	reg_w(io, 0x16, LEVEL | 0x40);
	assert_int_equal(deliveries(), 1);
	assert_int_equal(vioapic_rte(io, 3), LEVEL | IRR | 0x40);
	/* Rewriting a level entry in service changes nothing about IRR. */
	reg_w(io, 0x17, 0x01000000);
	assert_int_equal(deliveries(), 1);
	assert_true(vioapic_rte(io, 3) & IRR);
}

static void test_eoi_register(void **state)
{
	struct vioapic *io = *state;

	/* Two level pins share a vector (shared PCI interrupt), a third does not. */
	set_rte(io, 16, LEVEL | 0x90);
	set_rte(io, 17, LEVEL | 0x90);
	set_rte(io, 18, LEVEL | 0x91);
	vioapic_set_level(io, 16, true);
	vioapic_set_level(io, 17, true);
	vioapic_set_level(io, 18, true);
	assert_int_equal(deliveries(), 3);
	vioapic_set_level(io, 17, false);
	/* Only the low 8 bits of the EOI register are the vector. */
	mmio_w(io, 0x40, 0xabcd0090);
	assert_int_equal(deliveries(), 4);
	assert_int_equal(vioapic_rte(io, 16), LEVEL | IRR | 0x90);
	assert_int_equal(vioapic_rte(io, 17), LEVEL | 0x90);
	assert_int_equal(vioapic_rte(io, 18), LEVEL | IRR | 0x91);
	/* vioapic_eoi does the same. */
	vioapic_eoi(io, 0x91);
	assert_int_equal(deliveries(), 5);
	assert_int_equal(io->delivered[16], 2);
	assert_int_equal(io->delivered[17], 1);
	assert_int_equal(io->delivered[18], 2);
	assert_int_equal(mmio_r(io, 0x00), 0x10 + 2 * 18); /* EOI leaves IOREGSEL */
}

static void test_rte_changed_calls(void **state)
{
	struct vioapic *io = *state;

	reg_w(io, 0x11 + 2 * 6, 0x0f000000);
	reg_w(io, 0x10 + 2 * 6, MASKED | IOAPIC_RTE_ACTIVE_LOW | LEVEL | 0x99);
	reg_w(io, 0x10 + 2 * 6, MASKED | IOAPIC_RTE_ACTIVE_LOW | LEVEL | 0x99); /* same value */
	assert_int_equal(rec.count, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rec.events[i].kind, 'C');
		assert_int_equal(rec.events[i].pin, 6);
		/* Called after the model updated itself. */
		assert_int_equal(rec.events[i].rte, rec.events[i].rte_now);
	}
	assert_int_equal(rec.events[0].rte, 0x0f00000000000000ull | MASKED);
	assert_int_equal(rec.events[2].rte,
			 0x0f00000000000000ull | MASKED | IOAPIC_RTE_ACTIVE_LOW | LEVEL | 0x99);
	/* Registers other than entries, and writes that miss, do not call it. */
	reg_w(io, 0x00, 0x0);
	reg_w(io, 0x01, 0x0);
	reg_w(io, 0x10 + 2 * PINS, 0);
	mmio_w(io, 0x40, 0x99);
	assert_int_equal(vioapic_mmio_write(io, BASE + 0x10, 8, 0), 0);
	assert_int_equal(rec.count, 3);

	/* Without callbacks (or without env) the model still works. */
	struct vioapic *quiet = new_vioapic_env(1, 4, NULL);
	set_rte(quiet, 0, LEVEL | 0x20);
	vioapic_set_level(quiet, 0, true);
	assert_int_equal(quiet->delivered[0], 1);
	assert_int_equal(vioapic_rte(quiet, 0), LEVEL | IRR | 0x20);
	free(quiet);
}

static void test_message_fields(void **state)
{
	struct vioapic *io = *state;

	/* Physical, fixed, edge. */
	set_rte(io, 1, 0x0300000000000031ull);
	vioapic_pulse(io, 1);
	assert_msg(last_msg(), 3, false, 0x31, VIRQ_FIXED, false);
	/* Logical, lowest priority, level, active low: polarity is not in the message. */
	set_rte(io, 2,
		0xf000000000000000ull | LOGICAL | IOAPIC_RTE_ACTIVE_LOW | LEVEL | 0x100 | 0xa5);
	vioapic_set_level(io, 2, true);
	assert_msg(last_msg(), 0xf0, true, 0xa5, VIRQ_LOWEST_PRIORITY, true);
	/* Broadcast destination passes through. */
	set_rte(io, 3, 0xff00000000000040ull);
	vioapic_pulse(io, 3);
	assert_msg(last_msg(), 0xff, false, 0x40, VIRQ_FIXED, false);
	/* NMI, INIT and ExtINT go to the router whatever the vector. */
	set_rte(io, 4, 0x0100000000000400ull);
	vioapic_pulse(io, 4);
	assert_msg(last_msg(), 1, false, 0, VIRQ_NMI, false);
	set_rte(io, 5, 0x0000000000000500ull | LOGICAL);
	vioapic_pulse(io, 5);
	assert_msg(last_msg(), 0, true, 0, VIRQ_INIT, false);
	set_rte(io, 0, 0x0000000000000703ull);
	vioapic_pulse(io, 0);
	assert_msg(last_msg(), 0, false, 3, VIRQ_EXTINT, false);
	assert_int_equal(deliveries(), 6);
	assert_int_equal(log_capture_count(LOG_WARNING) + log_capture_count(LOG_DEBUG), 0);
}

static void test_refused_messages(void **state)
{
	struct vioapic *io = *state;

	/* Vectors below 16 for fixed and lowest priority: dropped, one debug line. */
	set_rte(io, 1, 0x0f);
	set_rte(io, 2, 0x100 | 0x02);
	vioapic_pulse(io, 1);
	vioapic_pulse(io, 1);
	vioapic_pulse(io, 2);
	assert_int_equal(deliveries(), 0);
	assert_int_equal(io->refused[1], 2);
	assert_int_equal(io->refused[2], 1);
	assert_int_equal(io->delivered[1], 0);
	assert_int_equal(log_capture_count(LOG_DEBUG), 1);
	assert_true(log_capture_contains("pin 1 has vector 0xf below 0x10"));
	/* SMI and the reserved modes 3 and 6: dropped, one warning. */
	for (uint32_t mode = 2; mode <= 6; mode++) {
		if (mode == 4 || mode == 5)
			continue;
		set_rte(io, 10 + mode, (mode << 8) | 0x50);
		vioapic_pulse(io, 10 + mode);
		assert_int_equal(io->refused[10 + mode], 1);
	}
	assert_int_equal(deliveries(), 0);
	assert_int_equal(log_capture_count(LOG_WARNING), 1);
	assert_true(log_capture_contains("pin 12 has delivery mode 2"));
	/* A refused level message does not wait for an EOI: fixing the entry sends it. */
	set_rte(io, 20, LEVEL | 0x05);
	vioapic_set_level(io, 20, true);
	assert_int_equal(vioapic_rte(io, 20), LEVEL | 0x05);
	reg_w(io, 0x10 + 2 * 20, LEVEL | 0x55);
	assert_int_equal(deliveries(), 1);
	assert_int_equal(vioapic_rte(io, 20), LEVEL | IRR | 0x55);
	assert_int_equal(log_capture_count(LOG_DEBUG), 1);
}

static void test_out_of_range_pins(void **state)
{
	struct vioapic *io = *state;

	for (uint32_t i = 0; i < 24; i++)
		set_rte(io, i, LEVEL | 0x80);
	rec.count = 0;
	vioapic_set_level(io, PINS, true);
	vioapic_set_level(io, VIOAPIC_MAX_PINS, true);
	vioapic_set_level(io, UINT32_MAX, true);
	vioapic_pulse(io, PINS + 1);
	vioapic_pulse(io, UINT32_MAX);
	assert_int_equal(vioapic_rte(io, PINS), 0);
	assert_int_equal(rec.count, 0);
	/* The storage past the configured pins stays untouched. */
	assert_false(io->line[PINS]);
	vioapic_set_level(NULL, 0, true);
	vioapic_eoi(NULL, 0x80);
	assert_int_equal(vioapic_rte(NULL, 0), 0);
}

/* ---- random run against a reference model ---------------------------------- */

#define REF_PINS  8
#define REF_STEPS 40000

struct ref {
	uint64_t rte[REF_PINS];
	bool line[REF_PINS];
	uint64_t delivered[REF_PINS];
	int count;
	struct event expect[MAX_EVENTS];
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)((rng_state >> 11) % n);
}

/* The datasheet's rules, written as plainly as possible. */
static void ref_send(struct ref *r, uint32_t pin)
{
	uint64_t e = r->rte[pin];
	uint32_t mode = (e >> 8) & 7, vector = e & 0xff;
	bool ok = mode == 4 || mode == 5 || mode == 7 || (mode <= 1 && vector >= 16);
	struct event *x;

	if (!ok)
		return;
	x = push(r->expect, &r->count, (struct event){ .kind = 'D' });
	x->msg.dest = (uint32_t)(e >> 56);
	x->msg.dest_logical = (e >> 11) & 1;
	x->msg.vector = (uint8_t)vector;
	x->msg.delivery = (uint8_t)mode;
	x->msg.level = (e >> 15) & 1;
	if (e & LEVEL)
		r->rte[pin] |= IRR;
	r->delivered[pin]++;
}

static bool ref_level_due(const struct ref *r, uint32_t pin)
{
	return (r->rte[pin] & LEVEL) && r->line[pin] && !(r->rte[pin] & (MASKED | IRR));
}

static void ref_set_level(struct ref *r, uint32_t pin, bool up)
{
	bool rising = up && !r->line[pin];

	r->line[pin] = up;
	if (r->rte[pin] & LEVEL) {
		if (ref_level_due(r, pin))
			ref_send(r, pin);
	} else if (rising && !(r->rte[pin] & MASKED)) {
		ref_send(r, pin);
	}
}

static void ref_write(struct ref *r, uint32_t index, uint32_t value)
{
	uint32_t pin = (index - 0x10) / 2;
	uint64_t e;

	if (index < 0x10 || pin >= REF_PINS)
		return;
	e = r->rte[pin];
	if (index & 1)
		e = (e & 0x00ffffffffffffffull) | ((uint64_t)(value & RTE_HIGH_RW) << 32);
	else
		e = (e & ~(uint64_t)RTE_LOW_RW) | (value & RTE_LOW_RW);
	if (!(e & LEVEL))
		e &= ~IRR;
	r->rte[pin] = e;
	push(r->expect, &r->count,
	     (struct event){ .kind = 'C', .pin = pin, .rte = e, .rte_now = e });
	if (ref_level_due(r, pin))
		ref_send(r, pin);
}

static void ref_eoi(struct ref *r, uint8_t vector)
{
	for (uint32_t pin = 0; pin < REF_PINS; pin++) {
		uint64_t e = r->rte[pin];

		if ((e & LEVEL) && (e & IRR) && (e & 0xff) == vector) {
			r->rte[pin] = e & ~IRR;
			if (ref_level_due(r, pin))
				ref_send(r, pin);
		}
	}
}

static uint32_t random_rte_low(void)
{
	static const uint32_t modes[] = { 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7 };

	/* Few vectors so that EOIs hit; some below 16; all control bits random. */
	return (0x0e + rng(6)) | (modes[rng(11)] << 8) | (rng(2) << 11) | (rng(2) << 12) |
	       (rng(2) << 13) | (rng(2) << 14) | (rng(2) << 15) | (rng(3) ? 0 : 1u << 16) |
	       (rng(4) ? 0 : rng(0x10000) << 16);
}

static void test_random_against_reference(void **state)
{
	struct vioapic *io = new_vioapic_env(0, REF_PINS, &env);
	struct ref r = { 0 };

	(void)state;
	for (uint32_t pin = 0; pin < REF_PINS; pin++)
		r.rte[pin] = MASKED;
	for (int step = 0; step < REF_STEPS; step++) {
		uint32_t pin = rng(REF_PINS + 1); /* one past the end on purpose */
		uint32_t op = rng(100);

		rec.count = 0;
		r.count = 0;
		if (op < 35) {
			bool up = rng(2);

			vioapic_set_level(io, pin, up);
			if (pin < REF_PINS)
				ref_set_level(&r, pin, up);
		} else if (op < 45) {
			vioapic_pulse(io, pin);
			if (pin < REF_PINS) {
				ref_set_level(&r, pin, true);
				ref_set_level(&r, pin, false);
			}
		} else if (op < 70) {
			uint32_t v = random_rte_low();

			reg_w(io, 0x10 + 2 * pin, v);
			ref_write(&r, 0x10 + 2 * pin, v);
		} else if (op < 78) {
			uint32_t v = rng(0x100) << 24 | rng(0x1000000);

			reg_w(io, 0x11 + 2 * pin, v);
			ref_write(&r, 0x11 + 2 * pin, v);
		} else if (op < 98) {
			uint8_t vector = (uint8_t)(0x0e + rng(6));

			if (rng(2))
				mmio_w(io, 0x40, vector | rng(0x1000000) << 8);
			else
				vioapic_eoi(io, vector);
			ref_eoi(&r, vector);
		} else {
			/* An access that must have no effect. */
			assert_int_equal(vioapic_mmio_write(io, BASE + 0x10, 1 + rng(2), 0xff), 0);
		}
		if (rec.count != r.count)
			fail_msg("step %d op %u pin %u: %d events, expected %d", step, op, pin,
				 rec.count, r.count);
		for (int i = 0; i < r.count; i++) {
			const struct event *got = &rec.events[i], *want = &r.expect[i];

			assert_int_equal(got->kind, want->kind);
			if (want->kind == 'C') {
				assert_int_equal(got->pin, want->pin);
				assert_int_equal(got->rte, want->rte);
				assert_int_equal(got->rte_now, want->rte_now);
			} else {
				assert_msg(&got->msg, want->msg.dest, want->msg.dest_logical,
					   want->msg.vector, want->msg.delivery, want->msg.level);
			}
		}
		for (uint32_t p = 0; p < REF_PINS; p++) {
			assert_int_equal(vioapic_rte(io, p), r.rte[p]);
			assert_int_equal(io->delivered[p], r.delivered[p]);
		}
	}
	/* Through the window too; and every pin both delivered and refused messages. */
	for (uint32_t p = 0; p < REF_PINS; p++) {
		assert_int_equal(reg_r(io, 0x10 + 2 * p), (uint32_t)r.rte[p]);
		assert_int_equal(reg_r(io, 0x11 + 2 * p), (uint32_t)(r.rte[p] >> 32));
		assert_true(r.delivered[p] > 100 && io->refused[p] > 10);
	}
	free(io);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_power_on),
		cmocka_unit_test(test_pin_count_clamped),
		TEST(test_id_and_readonly_registers),
		TEST(test_rte_halves_and_read_only_bits),
		TEST(test_bad_accesses),
		TEST(test_regsel_out_of_range),
		TEST(test_edge_pins),
		TEST(test_level_remote_irr_and_eoi),
		TEST(test_unmask_while_asserted),
		TEST(test_trigger_mode_switch),
		TEST(test_eoi_register),
		TEST(test_rte_changed_calls),
		TEST(test_message_fields),
		TEST(test_refused_messages),
		TEST(test_out_of_range_pins),
		cmocka_unit_test(test_random_against_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
