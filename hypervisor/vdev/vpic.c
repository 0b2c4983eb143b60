/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtual 8259A pair of a PC: master at 0x20/0x21, slave at 0xa0/0xa1
 * with its INT output wired to the master's IR2, and the PIIX/ICH edge/level
 * control registers (ELCR) at 0x4d0/0x4d1.
 *
 * Modelling choices (the 8259A datasheet leaves some of these to wiring):
 *  - Triggering comes from the ELCR only; ICW1.LTIM is ignored, as on the
 *    PIIX/ICH, whose 8259 cores take edge/level from the ELCR.
 *  - Edge: a low-to-high transition latches IRR; the latch stays set when
 *    the line falls again (the request is remembered until acknowledged).
 *  - Level: IRR is the line itself. An acknowledge does not remove the
 *    request while the line is high; the ISR bit holds it off, so it comes
 *    back after EOI unless the device dropped the line. A line that drops
 *    before the acknowledge withdraws the request (the INTA then answers a
 *    spurious IRQ 7 or 15, as on real parts).
 *  - Cascade: the slave's INT is master IR2, an edge input (its ELCR bit
 *    is fixed): a rising INT latches IRR2, which stays until the master
 *    acknowledges it (or ICW1). When the slave still asks right after an
 *    INTA that it answered (auto-EOI or special mask on the slave, with a
 *    second request), IRR2 is latched again at once, so that request is not
 *    lost waiting for an edge of a line that never fell. A slave request
 *    withdrawn after IRR2 latched gives the spurious IRQ 15. External input
 *    to IRQ 2 is ignored: on a PC that pin belongs to the slave.
 *  - While a chip expects ICW2-ICW4 its INT output is held low: its vector
 *    base is not programmed yet.
 *  - ICW4.uPM = 0 (8080/8085 mode, CALL-instruction responses) cannot be
 *    given to an x86 CPU; it is accepted, reported once per chip, and the
 *    chip answers x86 vectors anyway.
 *  - A poll (OCW3.P) applies to the next read of either port of that chip,
 *    as the datasheet words it; it acknowledges like an INTA but does not
 *    cascade, and is not counted in acked[] (that counts INTA cycles).
 */
#include "vdev/vpic.h"

#include "debug/log.h"
#include "lib/string.h"

#define PORT_MASTER_CMD	 0x20
#define PORT_MASTER_DATA 0x21
#define PORT_SLAVE_CMD	 0xa0
#define PORT_SLAVE_DATA	 0xa1
#define PORT_ELCR_MASTER 0x4d0
#define PORT_ELCR_SLAVE	 0x4d1

#define MASTER 0
#define SLAVE  1

#define CASCADE_IRQ  2 /* master input driven by the slave's INT */
#define SPURIOUS_IRQ 7 /* answered by an INTA with no request left */

/* IRQ 0 (timer), 1 (keyboard), 2 (cascade), 8 (RTC), 13 (FPU) are always edge. */
#define ELCR_MASK_MASTER 0xf8
#define ELCR_MASK_SLAVE	 0xde

#define ICW1_SELECT 0x10
#define ICW1_SNGL   0x02
#define ICW1_IC4    0x01
#define ICW2_VECTOR 0xf8
#define ICW4_UPM    0x01
#define ICW4_AEOI   0x02
#define ICW4_SFNM   0x10

#define OCW3_SELECT 0x08
#define OCW3_ESMM   0x40
#define OCW3_SMM    0x20
#define OCW3_POLL   0x04
#define OCW3_RR	    0x02
#define OCW3_RIS    0x01

#define OCW2_LEVEL 0x07
#define POLL_INT   0x80

/* icw_step values: which initialisation word the data port takes next. */
#define STEP_READY 0
#define STEP_ICW2  2
#define STEP_ICW3  3
#define STEP_ICW4  4

/* OCW2 bits 7:5 (R, SL, EOI). */
enum ocw2_command {
	OCW2_CLEAR_ROTATE_AEOI = 0,
	OCW2_EOI = 1,
	OCW2_NOP = 2,
	OCW2_SPECIFIC_EOI = 3,
	OCW2_SET_ROTATE_AEOI = 4,
	OCW2_ROTATE_EOI = 5,
	OCW2_SET_PRIORITY = 6,
	OCW2_ROTATE_SPECIFIC_EOI = 7,
};

static uint8_t irq_bit(uint32_t irq)
{
	return (uint8_t)(1u << (irq & 7));
}

/* 0 is the highest priority: the level just after lowest_priority. */
static uint32_t priority_rank(const struct i8259 *c, uint32_t irq)
{
	return (irq - c->lowest_priority - 1u) & 7u;
}

/* The highest-priority level whose bit is set, or -1. */
static int highest_priority(const struct i8259 *c, uint8_t bits)
{
	for (uint32_t rank = 0; rank < 8; rank++) {
		uint32_t irq = (c->lowest_priority + 1u + rank) & 7u;

		if (bits & irq_bit(irq))
			return (int)irq;
	}
	return -1;
}

/* The master hands IRQ 2 to the slave unless programmed as a single 8259. */
static bool master_cascades(const struct vpic *pic)
{
	return !pic->chip[MASTER].single;
}

/*
 * The level this chip would interrupt the CPU for now, or -1: the
 * highest-priority unmasked request that nothing in service holds off.
 * cascade_master is true for a master whose IR2 leads to the slave, where
 * special fully nested mode lets a slave request through while IR2 is in
 * service (the slave sorts out its own priorities).
 */
static int chip_request(const struct i8259 *c, bool cascade_master)
{
	bool nested_cascade = cascade_master && c->special_fully_nested;
	uint8_t requests = (uint8_t)(c->irr & ~c->imr);
	int request, served;

	if (c->icw_step != STEP_READY || !requests)
		return -1;
	if (c->special_mask) {
		/* Only a level's own in-service bit holds it off; others are free. */
		uint8_t held = c->isr;

		if (nested_cascade)
			held &= (uint8_t)~irq_bit(CASCADE_IRQ);
		return highest_priority(c, (uint8_t)(requests & ~held));
	}
	request = highest_priority(c, requests);
	served = highest_priority(c, c->isr);
	if (served < 0 || priority_rank(c, (uint32_t)request) < priority_rank(c, (uint32_t)served))
		return request;
	if (nested_cascade && request == CASCADE_IRQ && served == CASCADE_IRQ)
		return request;
	return -1;
}

/* The slave's INT drives master IR2; see the cascade note at the top. */
static void update_cascade(struct vpic *pic)
{
	struct i8259 *master = &pic->chip[MASTER];
	uint8_t bit = irq_bit(CASCADE_IRQ);

	if (chip_request(&pic->chip[SLAVE], false) >= 0) {
		if (!(master->lines & bit))
			master->irr |= bit;
		master->lines |= bit;
	} else {
		master->lines &= (uint8_t)~bit;
	}
}

bool vpic_output(const struct vpic *pic)
{
	return chip_request(&pic->chip[MASTER], master_cascades(pic)) >= 0;
}

/*
 * After any change of state: propagate the slave's INT, then tell the
 * hypervisor when the output is asserted. Notifying on every change that
 * leaves it asserted is more often than strictly needed, which is allowed;
 * a dropped output needs no notice (an INTA then gets a spurious vector).
 */
static void vpic_changed(struct vpic *pic)
{
	update_cascade(pic);
	if (pic->env && pic->env->notify && vpic_output(pic))
		pic->env->notify(pic->env->ctx);
}

/*
 * Moves a request into service, as the INTA pulses (or a poll) do: IRR is
 * cleared for an edge request, while a level request stays as long as its
 * line is high; auto-EOI skips the in-service bit (and may rotate).
 */
static void chip_accept(struct i8259 *c, uint32_t irq)
{
	uint8_t bit = irq_bit(irq);

	c->irr &= (uint8_t)~bit;
	c->irr |= (uint8_t)(c->elcr & c->lines & bit);
	if (!c->auto_eoi)
		c->isr |= bit;
	else if (c->rotate_on_auto_eoi)
		c->lowest_priority = (uint8_t)irq;
}

void vpic_init(struct vpic *pic, const struct vpic_env *env)
{
	memset(pic, 0, sizeof(*pic));
	pic->env = env;
	for (int i = 0; i < 2; i++) {
		pic->chip[i].imr = 0xff;
		pic->chip[i].lowest_priority = 7;
		pic->chip[i].icw_step = STEP_READY;
	}
	pic->chip[MASTER].elcr_mask = ELCR_MASK_MASTER;
	pic->chip[SLAVE].elcr_mask = ELCR_MASK_SLAVE;
}

void vpic_set_irq(struct vpic *pic, uint32_t irq, bool level)
{
	struct i8259 *c;
	uint8_t bit;

	if (irq >= VPIC_IRQS || irq == CASCADE_IRQ)
		return;
	c = &pic->chip[irq / 8];
	bit = irq_bit(irq);
	if (c->elcr & bit) {
		if (level)
			c->irr |= bit;
		else
			c->irr &= (uint8_t)~bit;
	} else if (level && !(c->lines & bit)) {
		c->irr |= bit;
	}
	if (level)
		c->lines |= bit;
	else
		c->lines &= (uint8_t)~bit;
	vpic_changed(pic);
}

uint8_t vpic_ack(struct vpic *pic)
{
	struct i8259 *master = &pic->chip[MASTER];
	struct i8259 *slave = &pic->chip[SLAVE];
	int irq = chip_request(master, master_cascades(pic));
	uint8_t vector;

	if (irq < 0) {
		/* No request survived to the INTA: the 8259 answers IR7, ISR untouched. */
		pic->spurious++;
		return (uint8_t)(master->vector_base + SPURIOUS_IRQ);
	}
	chip_accept(master, (uint32_t)irq);
	if (irq == CASCADE_IRQ && master_cascades(pic)) {
		int slave_irq = chip_request(slave, false);

		if (slave_irq < 0) {
			/* IRR2 latched but the slave's request went away: its IR7. */
			pic->spurious++;
			vector = (uint8_t)(slave->vector_base + SPURIOUS_IRQ);
		} else {
			chip_accept(slave, (uint32_t)slave_irq);
			pic->acked[8 + slave_irq]++;
			vector = (uint8_t)(slave->vector_base + slave_irq);
			/* INT did not fall (auto-EOI or special mask on the slave): ask again. */
			if (chip_request(slave, false) >= 0)
				master->irr |= irq_bit(CASCADE_IRQ);
		}
	} else {
		pic->acked[irq]++;
		vector = (uint8_t)(master->vector_base + irq);
	}
	vpic_changed(pic);
	return vector;
}

static void write_icw1(struct i8259 *c, uint8_t value)
{
	c->icw_step = STEP_ICW2;
	c->icw4_needed = value & ICW1_IC4;
	c->single = value & ICW1_SNGL;
	c->imr = 0;
	c->isr = 0;
	/*
	 * The edge sense circuit is reset: a line that is high now must fall
	 * and rise again (lines is kept, so set_irq sees no new edge until
	 * then). A level request is the line itself, so it is still there.
	 */
	c->irr = (uint8_t)(c->lines & c->elcr);
	c->special_mask = false;
	c->lowest_priority = 7;
	c->read_isr = false;
	c->poll = false;
	/* ICW4 functions are zero unless an ICW4 sets them; rotation restarts too. */
	c->auto_eoi = false;
	c->special_fully_nested = false;
	c->rotate_on_auto_eoi = false;
}

static void write_ocw2(struct i8259 *c, uint8_t value)
{
	uint32_t level = value & OCW2_LEVEL;
	int served = highest_priority(c, c->isr);

	switch ((enum ocw2_command)(value >> 5)) {
	case OCW2_EOI:
		if (served >= 0)
			c->isr &= (uint8_t)~irq_bit((uint32_t)served);
		break;
	case OCW2_ROTATE_EOI:
		if (served >= 0) {
			c->isr &= (uint8_t)~irq_bit((uint32_t)served);
			c->lowest_priority = (uint8_t)served;
		}
		break;
	case OCW2_SPECIFIC_EOI:
		c->isr &= (uint8_t)~irq_bit(level);
		break;
	case OCW2_ROTATE_SPECIFIC_EOI:
		c->isr &= (uint8_t)~irq_bit(level);
		c->lowest_priority = (uint8_t)level;
		break;
	case OCW2_SET_PRIORITY:
		c->lowest_priority = (uint8_t)level;
		break;
	case OCW2_SET_ROTATE_AEOI:
		c->rotate_on_auto_eoi = true;
		break;
	case OCW2_CLEAR_ROTATE_AEOI:
		c->rotate_on_auto_eoi = false;
		break;
	case OCW2_NOP:
		break;
	}
}

static void write_ocw3(struct i8259 *c, uint8_t value)
{
	if (value & OCW3_ESMM)
		c->special_mask = value & OCW3_SMM;
	/* With RR = 0 the register selection is left as it was. */
	if (value & OCW3_RR)
		c->read_isr = value & OCW3_RIS;
	c->poll = value & OCW3_POLL;
}

static void write_command(struct i8259 *c, uint8_t value)
{
	if (value & ICW1_SELECT)
		write_icw1(c, value);
	else if (value & OCW3_SELECT)
		write_ocw3(c, value);
	else
		write_ocw2(c, value);
}

static void write_icw4(struct i8259 *c, int index, uint8_t value)
{
	if (!(value & ICW4_UPM) && !c->mcs80_logged) {
		c->mcs80_logged = true;
		pr_debug("vpic: %s ICW4 %#x selects 8080 mode; answering x86 vectors anyway",
			 index == MASTER ? "master" : "slave", (unsigned int)value);
	}
	c->auto_eoi = value & ICW4_AEOI;
	/* BUF and M/S describe board buffering only; nothing to model. */
	c->special_fully_nested = value & ICW4_SFNM;
}

static void write_data(struct i8259 *c, int index, uint8_t value)
{
	switch (c->icw_step) {
	case STEP_ICW2:
		c->vector_base = value & ICW2_VECTOR;
		if (!c->single)
			c->icw_step = STEP_ICW3;
		else
			c->icw_step = c->icw4_needed ? STEP_ICW4 : STEP_READY;
		break;
	case STEP_ICW3:
		/* Kept for reads of state only: the PC wiring (slave on IR2) is fixed. */
		c->icw3 = value;
		c->icw_step = c->icw4_needed ? STEP_ICW4 : STEP_READY;
		break;
	case STEP_ICW4:
		write_icw4(c, index, value);
		c->icw_step = STEP_READY;
		break;
	default:
		c->imr = value; /* OCW1 */
		break;
	}
}

static void write_elcr(struct i8259 *c, uint8_t value)
{
	uint8_t elcr = value & c->elcr_mask;
	uint8_t to_level = (uint8_t)(elcr & ~c->elcr);

	/*
	 * A level input's request is its line from now on. An input turned to
	 * edge keeps whatever IRR latched: it was a genuine request.
	 */
	c->irr = (uint8_t)((c->irr & ~to_level) | (c->lines & to_level));
	c->elcr = elcr;
}

/* A read while a poll is pending is the poll: an acknowledge without INTA. */
static uint8_t read_poll(struct vpic *pic, int index)
{
	struct i8259 *c = &pic->chip[index];
	int irq = chip_request(c, index == MASTER && master_cascades(pic));

	c->poll = false;
	if (irq < 0)
		return 0;
	chip_accept(c, (uint32_t)irq);
	return (uint8_t)(POLL_INT | irq);
}

static uint64_t all_ones(uint32_t width)
{
	return (width == 0 || width >= 8) ? ~0ull : (1ull << (width * 8)) - 1;
}

int vpic_port_read(void *dev, uint64_t port, uint32_t width, uint64_t *value)
{
	struct vpic *pic = dev;
	int index = (port == PORT_SLAVE_CMD || port == PORT_SLAVE_DATA) ? SLAVE : MASTER;
	struct i8259 *c = &pic->chip[index];

	/* The I/O registry refuses other widths; this only keeps a stray caller safe. */
	if (width != 1) {
		*value = all_ones(width);
		return 0;
	}
	switch (port) {
	case PORT_MASTER_CMD:
	case PORT_SLAVE_CMD:
	case PORT_MASTER_DATA:
	case PORT_SLAVE_DATA:
		if (c->poll) {
			*value = read_poll(pic, index);
			vpic_changed(pic);
		} else if (port == PORT_MASTER_DATA || port == PORT_SLAVE_DATA) {
			*value = c->imr;
		} else {
			*value = c->read_isr ? c->isr : c->irr;
		}
		break;
	case PORT_ELCR_MASTER:
		*value = pic->chip[MASTER].elcr;
		break;
	case PORT_ELCR_SLAVE:
		*value = pic->chip[SLAVE].elcr;
		break;
	default:
		*value = 0xff;
		break;
	}
	return 0;
}

int vpic_port_write(void *dev, uint64_t port, uint32_t width, uint64_t value)
{
	struct vpic *pic = dev;
	uint8_t byte = (uint8_t)value;

	if (width != 1)
		return 0;
	switch (port) {
	case PORT_MASTER_CMD:
		write_command(&pic->chip[MASTER], byte);
		break;
	case PORT_MASTER_DATA:
		write_data(&pic->chip[MASTER], MASTER, byte);
		break;
	case PORT_SLAVE_CMD:
		write_command(&pic->chip[SLAVE], byte);
		break;
	case PORT_SLAVE_DATA:
		write_data(&pic->chip[SLAVE], SLAVE, byte);
		break;
	case PORT_ELCR_MASTER:
		write_elcr(&pic->chip[MASTER], byte);
		break;
	case PORT_ELCR_SLAVE:
		write_elcr(&pic->chip[SLAVE], byte);
		break;
	default:
		return 0;
	}
	vpic_changed(pic);
	return 0;
}
