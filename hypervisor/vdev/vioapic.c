/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual IOAPIC register model (82093AA-style, version 0x20 with the EOI
 * register). Deliveries are instantaneous: the message reaches the router
 * inside the call that made it due, so the delivery-status bit (12) always
 * reads 0.
 *
 * Choices where the datasheet leaves the behaviour undefined:
 *  - Only aligned 32-bit accesses to IOREGSEL (0x00), IOWIN (0x10) and EOI
 *    (0x40) have an effect. Any other width or offset reads 0 and drops
 *    writes; the handlers still return 0 so the guest is not faulted.
 *  - A register index that names no register (0x03-0x0f, or an RTE past the
 *    last pin) reads 0 through IOWIN and ignores writes; the datasheet
 *    leaves such reads undefined and 0 is what a guest probing sees as
 *    "nothing there".
 *  - The ID given to vioapic_init is kept whole (bits 31:24) so the register
 *    agrees with the MADT the hypervisor built; the guest may rewrite only
 *    bits 27:24, the datasheet's ID field.
 *  - Unmasking an edge pin while its input is high does not deliver: the
 *    edge came while masked and is lost, as on the real part. Level pins do
 *    deliver (the condition is still true).
 *  - NMI, INIT and ExtINT entries are passed to the router with the trigger
 *    mode the guest chose. The datasheet requires edge for them; a level one
 *    keeps remote IRR set until the guest makes it edge, as hardware would.
 *  - A refused message (SMI, reserved mode, or vector < 16) is counted in
 *    refused[pin] and leaves remote IRR clear, so the pin works once the
 *    guest repairs the entry.
 */
#include "vdev/vioapic.h"

#include "debug/log.h"
#include "lib/errno.h"
#include "lib/string.h"

/* Window offsets. */
#define VIOAPIC_REGSEL 0x00
#define VIOAPIC_WINDOW 0x10
#define VIOAPIC_EOI    0x40

/* Register indexes behind IOREGSEL. */
#define VIOAPIC_REG_ID	 0x00
#define VIOAPIC_REG_VER	 0x01
#define VIOAPIC_REG_ARB	 0x02
#define VIOAPIC_REG_RTE0 0x10

#define VIOAPIC_ID_SHIFT    24
#define VIOAPIC_ID_FIELD    0x0fu /* bits 27:24, the part of the ID a guest may write */
#define VIOAPIC_PINS_SHIFT  16	  /* maximum redirection entry in the version register */
#define VIOAPIC_REGSEL_MASK 0xffu

#define IOAPIC_RTE_DELMODE (7ull << IOAPIC_RTE_DELMODE_SHIFT)
/* What a guest write may change: vector, mode, dest mode, polarity, trigger, mask, dest. */
#define IOAPIC_RTE_WRITABLE                                                                        \
	(IOAPIC_RTE_VECTOR | IOAPIC_RTE_DELMODE | IOAPIC_RTE_DEST_LOGICAL |                        \
	 IOAPIC_RTE_ACTIVE_LOW | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED |                            \
	 (0xffull << IOAPIC_RTE_DEST_SHIFT))

/* Vectors 0-15 are exceptions or reserved; the local APIC refuses them as fixed interrupts. */
#define VIOAPIC_MIN_VECTOR 0x10

/* Bits of io->logged: each refusal reason is logged once per vIOAPIC. */
#define VIOAPIC_LOGGED_MODE   (1u << 0)
#define VIOAPIC_LOGGED_VECTOR (1u << 1)

void vioapic_init(struct vioapic *io, uint8_t id, uint64_t base, uint32_t pins, uint32_t gsi_base,
		  const struct vioapic_env *env)
{
	memset(io, 0, sizeof(*io));
	io->env = env;
	io->base = base;
	io->gsi_base = gsi_base;
	io->id = id;
	/*
	 * A wrong pin count is a configuration bug, not a reason to leave the
	 * VM without an IOAPIC; the version register tells the guest the count.
	 */
	io->pins = pins;
	if (pins == 0 || pins > VIOAPIC_MAX_PINS) {
		io->pins = pins ? VIOAPIC_MAX_PINS : 1;
		pr_warn("vioapic %u: %u pins asked, using %u", id, pins, io->pins);
	}
	for (uint32_t pin = 0; pin < VIOAPIC_MAX_PINS; pin++)
		io->rte[pin] = IOAPIC_RTE_MASKED;
}

uint64_t vioapic_rte(const struct vioapic *io, uint32_t pin)
{
	if (!io || pin >= io->pins)
		return 0;
	return io->rte[pin];
}

static bool rte_is_level(uint64_t rte)
{
	return rte & IOAPIC_RTE_LEVEL;
}

static uint8_t rte_vector(uint64_t rte)
{
	return (uint8_t)(rte & IOAPIC_RTE_VECTOR);
}

static uint8_t rte_delivery(uint64_t rte)
{
	return (uint8_t)((rte & IOAPIC_RTE_DELMODE) >> IOAPIC_RTE_DELMODE_SHIFT);
}

/* Counts a message the model will not send, logging the first of each kind. */
static void vioapic_refuse(struct vioapic *io, uint32_t pin, uint64_t rte, uint32_t reason)
{
	io->refused[pin]++;
	if (io->logged & reason)
		return;
	io->logged |= reason;
	if (reason == VIOAPIC_LOGGED_MODE)
		pr_warn("vioapic %u: pin %u has delivery mode %u (SMI or reserved), not delivered",
			io->id, pin, rte_delivery(rte));
	else
		pr_debug("vioapic %u: pin %u has vector 0x%x below 0x10, not delivered", io->id,
			 pin, rte_vector(rte));
}

/*
 * Sends pin's entry as a message. Returns false when the entry cannot be
 * delivered, so that a level pin does not wait for an EOI that never comes.
 */
static bool vioapic_send(struct vioapic *io, uint32_t pin)
{
	uint64_t rte = io->rte[pin];
	struct virq_msg msg;

	switch (rte_delivery(rte)) {
	case VIRQ_FIXED:
	case VIRQ_LOWEST_PRIORITY:
		if (rte_vector(rte) < VIOAPIC_MIN_VECTOR) {
			vioapic_refuse(io, pin, rte, VIOAPIC_LOGGED_VECTOR);
			return false;
		}
		break;
	case VIRQ_NMI:
	case VIRQ_INIT:
	case VIRQ_EXTINT:
		break;
	default: /* SMI, and modes 3 and 6 which an IOAPIC reserves */
		vioapic_refuse(io, pin, rte, VIOAPIC_LOGGED_MODE);
		return false;
	}

	memset(&msg, 0, sizeof(msg));
	msg.dest = (uint32_t)(rte >> IOAPIC_RTE_DEST_SHIFT);
	msg.dest_logical = rte & IOAPIC_RTE_DEST_LOGICAL;
	msg.vector = rte_vector(rte);
	msg.delivery = rte_delivery(rte);
	msg.shorthand = VIRQ_DEST_FIELD;
	msg.level = rte_is_level(rte);
	msg.assert = true;
	msg.x2apic_dest = false;

	/* State first, so that anything the callback looks at sees the message as sent. */
	if (msg.level)
		io->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
	io->delivered[pin]++;
	if (io->env && io->env->deliver)
		io->env->deliver(io->env->ctx, &msg);
	return true;
}

/* A level pin sends while its input is asserted, it is unmasked and no EOI is outstanding. */
static void vioapic_service_level(struct vioapic *io, uint32_t pin)
{
	uint64_t rte = io->rte[pin];

	if (!rte_is_level(rte) || !io->line[pin])
		return;
	if (rte & (IOAPIC_RTE_MASKED | IOAPIC_RTE_REMOTE_IRR))
		return;
	vioapic_send(io, pin);
}

void vioapic_set_level(struct vioapic *io, uint32_t pin, bool asserted)
{
	bool was_asserted;

	if (!io || pin >= io->pins)
		return;
	was_asserted = io->line[pin];
	io->line[pin] = asserted;
	if (rte_is_level(io->rte[pin])) {
		vioapic_service_level(io, pin);
		return;
	}
	/* Edge: only the rising edge counts, and it is lost while masked. */
	if (asserted && !was_asserted && !(io->rte[pin] & IOAPIC_RTE_MASKED))
		vioapic_send(io, pin);
}

void vioapic_pulse(struct vioapic *io, uint32_t pin)
{
	vioapic_set_level(io, pin, true);
	vioapic_set_level(io, pin, false);
}

void vioapic_eoi(struct vioapic *io, uint8_t vector)
{
	if (!io)
		return;
	for (uint32_t pin = 0; pin < io->pins; pin++) {
		uint64_t rte = io->rte[pin];

		if (!rte_is_level(rte) || !(rte & IOAPIC_RTE_REMOTE_IRR) ||
		    rte_vector(rte) != vector)
			continue;
		io->rte[pin] = rte & ~IOAPIC_RTE_REMOTE_IRR;
		/* A line still asserted means the device wants service again. */
		vioapic_service_level(io, pin);
	}
}

/* A guest write to one half of pin's entry: mask is the half it may change. */
static void vioapic_write_rte(struct vioapic *io, uint32_t pin, uint64_t value, uint64_t half)
{
	uint64_t old = io->rte[pin];
	uint64_t changeable = IOAPIC_RTE_WRITABLE & half;
	uint64_t rte = (old & ~changeable) | (value & changeable);

	/* Remote IRR means nothing for edge pins; a stale one would swallow a later EOI. */
	if (!rte_is_level(rte))
		rte &= ~IOAPIC_RTE_REMOTE_IRR;
	io->rte[pin] = rte;
	/* The physical pin follows before a delivery can reach the guest. */
	if (io->env && io->env->rte_changed)
		io->env->rte_changed(io->env->ctx, pin, rte);
	/* Unmasking, or making the pin level, while asserted and not in service. */
	vioapic_service_level(io, pin);
}

static uint32_t vioapic_read_register(const struct vioapic *io, uint32_t index)
{
	uint32_t pin;

	switch (index) {
	case VIOAPIC_REG_ID:
	case VIOAPIC_REG_ARB: /* the arbitration ID is loaded from the ID */
		return (uint32_t)io->id << VIOAPIC_ID_SHIFT;
	case VIOAPIC_REG_VER:
		return VIOAPIC_VERSION | ((io->pins - 1) << VIOAPIC_PINS_SHIFT);
	default:
		break;
	}
	if (index < VIOAPIC_REG_RTE0)
		return 0;
	pin = (index - VIOAPIC_REG_RTE0) / 2;
	if (pin >= io->pins)
		return 0;
	if (index & 1)
		return (uint32_t)(io->rte[pin] >> 32);
	return (uint32_t)io->rte[pin];
}

static void vioapic_write_register(struct vioapic *io, uint32_t index, uint32_t value)
{
	uint32_t pin;

	if (index == VIOAPIC_REG_ID) {
		/* Bits 31:28 are reserved: they keep what vioapic_init was given. */
		io->id = (uint8_t)((io->id & ~VIOAPIC_ID_FIELD) |
				   ((value >> VIOAPIC_ID_SHIFT) & VIOAPIC_ID_FIELD));
		return;
	}
	if (index < VIOAPIC_REG_RTE0)
		return; /* version, arbitration and unknown indexes are read-only */
	pin = (index - VIOAPIC_REG_RTE0) / 2;
	if (pin >= io->pins)
		return;
	if (index & 1)
		vioapic_write_rte(io, pin, (uint64_t)value << 32, 0xffffffff00000000ull);
	else
		vioapic_write_rte(io, pin, value, 0xffffffffull);
}

/* The offset of an access that has an effect, or -1. */
static int64_t vioapic_offset(const struct vioapic *io, uint64_t addr, uint32_t width)
{
	uint64_t offset = addr - io->base; /* below base wraps to a huge offset */

	if (width != 4 || offset >= VIOAPIC_MMIO_SIZE)
		return -1;
	if (offset != VIOAPIC_REGSEL && offset != VIOAPIC_WINDOW && offset != VIOAPIC_EOI)
		return -1;
	return (int64_t)offset;
}

int vioapic_mmio_read(void *dev, uint64_t addr, uint32_t width, uint64_t *value)
{
	struct vioapic *io = dev;

	if (!io || !value)
		return -EINVAL;
	*value = 0;
	switch (vioapic_offset(io, addr, width)) {
	case VIOAPIC_REGSEL:
		*value = io->regsel;
		break;
	case VIOAPIC_WINDOW:
		*value = vioapic_read_register(io, io->regsel);
		break;
	default: /* the EOI register is write-only; the rest reads 0 */
		break;
	}
	return 0;
}

int vioapic_mmio_write(void *dev, uint64_t addr, uint32_t width, uint64_t value)
{
	struct vioapic *io = dev;
	uint32_t dword = (uint32_t)value;

	if (!io)
		return -EINVAL;
	switch (vioapic_offset(io, addr, width)) {
	case VIOAPIC_REGSEL:
		io->regsel = dword & VIOAPIC_REGSEL_MASK;
		break;
	case VIOAPIC_WINDOW:
		vioapic_write_register(io, io->regsel, dword);
		break;
	case VIOAPIC_EOI:
		vioapic_eoi(io, (uint8_t)dword);
		break;
	default:
		break;
	}
	return 0;
}
