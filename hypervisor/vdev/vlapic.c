/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual local APIC register model, after Intel SDM vol. 3 ch. 11 "APIC".
 *
 * Where the SDM leaves a choice, or the model simplifies:
 *  - The ID register is read-only in both modes: routing uses the id given
 *    at init (the SDM allows a read-only xAPIC ID on some processors).
 *  - VLAPIC_VERSION says max LVT index 5: timer, thermal, PMC, LINT0, LINT1,
 *    error. The CMCI LVT (index 6) is therefore absent (x2APIC #GP).
 *  - VLAPIC_VERSION bit 24 advertises EOI-broadcast suppression (the vIOAPIC
 *    has the version 0x20 EOI register), so SVR bit 12 is writable and
 *    honoured. It follows the constant: clear bit 24 and the bit is reserved.
 *  - APR and RRD read 0 in xAPIC mode and are absent in x2APIC mode.
 *  - xAPIC MMIO to an offset with no register sets ESR bit 7 ("illegal
 *    register address"); reserved bits are ignored there. In x2APIC mode a
 *    WRMSR setting a reserved bit raises #GP (SDM "Reserved Bit Checking");
 *    read-only status bits (delivery status, remote IRR) are accepted and
 *    ignored, since guests write back what they read.
 *  - A software-disabled APIC still accepts fixed interrupts into IRR and
 *    vlapic_pending_vector() still offers them: the SDM says pending
 *    interrupts are held for the CPU, and only LVT sources are masked. A
 *    hardware-disabled APIC accepts nothing.
 *  - ICR: self shorthand with fixed delivery, and SELF_IPI, are accepted
 *    locally without env->send_ipi. The trigger and level bits only matter
 *    for INIT: msg.assert is false only for an INIT level de-assert, and
 *    other IPIs are edge (msg.level false), as Pentium 4 and later issue
 *    them. Delivery modes 3 (reserved) and 7 (ExtINT) are dropped.
 *  - Timer: DCR writes keep the current count and continue at the new rate,
 *    as the hardware counter does. Timer LVT mode 11b (reserved) behaves as
 *    one-shot. timer_fired counts every expiry, masked or not.
 */
#include "vdev/vlapic.h"
#include "vdev/vlapic_regs.h"

#include "debug/log.h"
#include "lib/errno.h"
#include "lib/string.h"

/* Who may touch a register: xAPIC read/write, x2APIC read/write. */
enum { XR = 1, XW = 2, X2R = 4, X2W = 8 };
#define ALL_ACCESS (XR | XW | X2R | X2W)

struct apic_reg {
	uint8_t access;
	uint32_t writable;  /* bits a write stores */
	uint32_t read_only; /* bits a write may carry but that are not stored */
};

/* Indexed by offset / 16. Missing entries have no register in either mode. */
static const struct apic_reg apic_regs[APIC_REGS] = {
	[APIC_ID >> 4] = { XR | X2R, 0, 0 },
	[APIC_VER >> 4] = { XR | X2R, 0, 0 },
	[APIC_TPR >> 4] = { ALL_ACCESS, 0xff, 0 },
	[APIC_APR >> 4] = { XR, 0, 0 },
	[APIC_PPR >> 4] = { XR | X2R, 0, 0 },
	/* Write-only; an xAPIC read returns 0, x2APIC demands a zero write. */
	[APIC_EOI >> 4] = { XR | XW | X2W, 0, 0 },
	[APIC_RRD >> 4] = { XR, 0, 0 },
	[APIC_LDR >> 4] = { XR | XW | X2R, 0xff000000u, 0 },
	[APIC_DFR >> 4] = { XR | XW, 0xf0000000u, 0 },
	[APIC_SVR >> 4] = { ALL_ACCESS, SVR_WRITABLE, 0 },
	[(APIC_ISR >> 4)...(APIC_IRR >> 4) + 7] = { XR | X2R, 0, 0 },
	/* Any xAPIC write latches; x2APIC demands zero. */
	[APIC_ESR >> 4] = { ALL_ACCESS, 0, 0 },
	[APIC_ICR_LOW >> 4] = { ALL_ACCESS, ICR_WRITABLE, ICR_STATUS },
	[APIC_ICR_HIGH >> 4] = { XR | XW, 0xff000000u, 0 },
	[APIC_LVT_TIMER >> 4] = { ALL_ACCESS, 0x000700ffu, 1u << 12 },
	[APIC_LVT_THERMAL >> 4] = { ALL_ACCESS, 0x000107ffu, 1u << 12 },
	[APIC_LVT_PMC >> 4] = { ALL_ACCESS, 0x000107ffu, 1u << 12 },
	[APIC_LVT_LINT0 >> 4] = { ALL_ACCESS, 0x0001a7ffu, 0x5000u },
	[APIC_LVT_LINT1 >> 4] = { ALL_ACCESS, 0x0001a7ffu, 0x5000u },
	[APIC_LVT_ERROR >> 4] = { ALL_ACCESS, 0x000100ffu, 1u << 12 },
	[APIC_TIMER_ICR >> 4] = { ALL_ACCESS, 0xffffffffu, 0 },
	[APIC_TIMER_CCR >> 4] = { XR | X2R, 0, 0 },
	[APIC_TIMER_DCR >> 4] = { ALL_ACCESS, 0xbu, 0 },
	[APIC_SELF_IPI >> 4] = { X2W, 0xff, 0 },
};

static void reg_set(struct vlapic *vl, uint32_t offset, uint32_t value)
{
	__atomic_store_n(&vl->page[offset >> 2], value, __ATOMIC_RELAXED);
	if (offset < 0x400)
		vl->accepted_value[offset >> 4] = value;
}

/* The 32-bit word of a 256-bit register (ISR, TMR, IRR) holding vector. */
static uint32_t *vector_word(struct vlapic *vl, uint32_t base, uint8_t vector)
{
	return &vl->page[(base >> 2) + (uint32_t)(vector >> 5) * 4];
}

static int highest_vector(const struct vlapic *vl, uint32_t base)
{
	for (int i = 7; i >= 0; i--) {
		uint32_t word = reg_get(vl, base + (uint32_t)i * 0x10);

		if (word)
			return i * 32 + 31 - __builtin_clz(word);
	}
	return -1;
}

/* Software disable and reset set every LVT mask bit (CMCI is absent). */
static void mask_lvts(struct vlapic *vl)
{
	for (uint32_t offset = APIC_LVT_TIMER; offset <= APIC_LVT_ERROR; offset += 0x10)
		reg_set(vl, offset, reg_get(vl, offset) | LVT_MASKED);
}

/* ---- environment (env is required; a missing callback is skipped) ------- */

static uint64_t env_now(const struct vlapic *vl)
{
	return vl->env->now ? vl->env->now(vl->env->ctx) : 0;
}

static void env_timer_arm(struct vlapic *vl, uint64_t deadline)
{
	vl->timer_deadline = deadline;
	if (vl->env->timer_arm)
		vl->env->timer_arm(vl->env->ctx, deadline);
}

/* ---- priority, acceptance, EOI -------------------------------------------- */

static void update_ppr(struct vlapic *vl)
{
	uint32_t tpr = reg_get(vl, APIC_TPR) & 0xff;
	int isrv = highest_vector(vl, APIC_ISR);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

	reg_set(vl, APIC_PPR, (tpr & 0xf0) >= isr_class ? tpr : isr_class);
}

static void set_irr(struct vlapic *vl, uint8_t vector, bool level)
{
	uint32_t bit = VECTOR_BIT(vector);

	/* TMR first, so that whoever sees the IRR bit also sees the trigger mode. */
	if (level)
		__atomic_fetch_or(vector_word(vl, APIC_TMR, vector), bit, __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_and(vector_word(vl, APIC_TMR, vector), ~bit, __ATOMIC_SEQ_CST);
	__atomic_fetch_or(vector_word(vl, APIC_IRR, vector), bit, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&vl->accepted[vector], 1, __ATOMIC_RELAXED);
	if (vl->env->kick)
		vl->env->kick(vl->env->ctx);
}

/* An APIC error: latched at the next ESR write, signalled through LVT error. */
static void raise_error(struct vlapic *vl, uint32_t esr_bit)
{
	uint32_t lvt;

	__atomic_fetch_or(&vl->esr_pending, esr_bit, __ATOMIC_SEQ_CST);
	lvt = reg_get(vl, APIC_LVT_ERROR);
	/* An illegal error vector would report itself forever: drop it. */
	if (!(lvt & LVT_MASKED) && (lvt & LVT_VECTOR) >= FIRST_LEGAL_VECTOR)
		set_irr(vl, (uint8_t)(lvt & LVT_VECTOR), false);
}

void vlapic_accept(struct vlapic *vl, uint8_t vector, bool level)
{
	if (apic_mode(vl) == MODE_DISABLED)
		return;
	if (vector < FIRST_LEGAL_VECTOR) {
		raise_error(vl, ESR_RECV_ILLEGAL);
		return;
	}
	set_irr(vl, vector, level);
}

int vlapic_pending_vector(const struct vlapic *vl)
{
	int irrv;

	if (apic_mode(vl) == MODE_DISABLED)
		return -1;
	irrv = highest_vector(vl, APIC_IRR);
	if (irrv < 0 || ((uint32_t)irrv & 0xf0) <= (reg_get(vl, APIC_PPR) & 0xf0))
		return -1;
	return irrv;
}

void vlapic_ack(struct vlapic *vl, uint8_t vector)
{
	uint32_t bit = VECTOR_BIT(vector);
	uint32_t old =
	    __atomic_fetch_and(vector_word(vl, APIC_IRR, vector), ~bit, __ATOMIC_SEQ_CST);

	if (!(old & bit)) {
		pr_debug("vlapic %u: ack of vector %u that is not pending", vl->apic_id, vector);
		return;
	}
	*vector_word(vl, APIC_ISR, vector) |= bit;
	update_ppr(vl);
}

static void do_eoi(struct vlapic *vl)
{
	int isrv = highest_vector(vl, APIC_ISR);
	uint8_t vector;
	uint32_t bit, tmr;

	if (isrv < 0)
		return;
	vector = (uint8_t)isrv;
	bit = VECTOR_BIT(vector);
	*vector_word(vl, APIC_ISR, vector) &= ~bit;
	update_ppr(vl);
	/*
	 * Clear TMR before telling the vIOAPIC: it may redeliver at once (line
	 * still asserted), and that acceptance must find its TMR bit set.
	 */
	tmr = __atomic_fetch_and(vector_word(vl, APIC_TMR, vector), ~bit, __ATOMIC_SEQ_CST);
	if ((tmr & bit) && !(reg_get(vl, APIC_SVR) & SVR_EOI_SUPPRESS) && vl->env->eoi_level)
		vl->env->eoi_level(vl->env->ctx, vector);
}

/* ---- timer ---------------------------------------------------------------- */

static uint32_t timer_mode(const struct vlapic *vl)
{
	return LVT_TIMER_MODE(reg_get(vl, APIC_LVT_TIMER));
}

static uint32_t timer_divisor(const struct vlapic *vl)
{
	uint32_t dcr = reg_get(vl, APIC_TIMER_DCR);
	uint32_t code = (dcr & 3) | ((dcr >> 1) & 4);

	return code == 7 ? 1 : 2u << code;
}

static void timer_disarm(struct vlapic *vl)
{
	if (vl->timer_deadline)
		env_timer_arm(vl, 0);
}

static void timer_stop(struct vlapic *vl)
{
	vl->timer_period = 0;
	vl->tsc_deadline = 0;
	timer_disarm(vl);
}

/* Current count of the one-shot/periodic counter (0 when stopped). */
static uint32_t timer_current_count(const struct vlapic *vl, uint64_t now)
{
	uint64_t div = timer_divisor(vl), elapsed;

	if (timer_mode(vl) == TIMER_TSC_DEADLINE || !vl->timer_period)
		return 0;
	elapsed = (int64_t)(now - vl->timer_start) < 0 ? 0 : now - vl->timer_start;
	if (elapsed >= vl->timer_period) {
		if (timer_mode(vl) != TIMER_PERIODIC)
			return 0;
		elapsed %= vl->timer_period;
	}
	/* period is initial count * divisor: the count drops once per divisor ticks. */
	return (uint32_t)(vl->timer_period / div - elapsed / div);
}

static void timer_load(struct vlapic *vl, uint32_t count)
{
	if (!count) {
		timer_stop(vl);
		return;
	}
	vl->timer_start = env_now(vl);
	vl->timer_period = (uint64_t)count * timer_divisor(vl);
	env_timer_arm(vl, vl->timer_start + vl->timer_period);
}

static void write_timer_dcr(struct vlapic *vl, uint32_t value)
{
	uint64_t now = env_now(vl), old_div = timer_divisor(vl), new_div, initial;
	uint32_t count = timer_current_count(vl, now);

	reg_set(vl, APIC_TIMER_DCR, value);
	if (!count)
		return; /* stopped, or expired and about to be told so */
	new_div = timer_divisor(vl);
	initial = vl->timer_period / old_div;
	/* Same count now, counting on at the new rate. */
	vl->timer_period = initial * new_div;
	vl->timer_start = now - (initial - count) * new_div;
	env_timer_arm(vl, vl->timer_start + vl->timer_period);
}

static void write_lvt_timer(struct vlapic *vl, uint32_t value)
{
	bool was_deadline = timer_mode(vl) == TIMER_TSC_DEADLINE;

	reg_set(vl, APIC_LVT_TIMER, value);
	/* SDM: switching to or from TSC-deadline mode disarms the timer. */
	if (was_deadline != (timer_mode(vl) == TIMER_TSC_DEADLINE))
		timer_stop(vl);
}

static void write_tsc_deadline(struct vlapic *vl, uint64_t value)
{
	if (timer_mode(vl) != TIMER_TSC_DEADLINE)
		return; /* SDM: ignored outside TSC-deadline mode */
	vl->tsc_deadline = value;
	if (value)
		env_timer_arm(vl, value);
	else
		timer_disarm(vl);
}

void vlapic_timer_expired(struct vlapic *vl)
{
	uint64_t deadline = vl->timer_deadline, now, missed;
	uint32_t lvt;

	if (!deadline)
		return; /* cancelled meanwhile */
	now = env_now(vl);
	if (now < deadline) {
		env_timer_arm(vl, deadline); /* early: keep waiting */
		return;
	}
	vl->timer_fired++;
	if (timer_mode(vl) == TIMER_TSC_DEADLINE) {
		vl->tsc_deadline = 0;
		vl->timer_deadline = 0;
	} else if (timer_mode(vl) == TIMER_PERIODIC && vl->timer_period) {
		/* Next period from the deadline (no drift); skip the ones missed. */
		missed = (now - deadline) / vl->timer_period;
		vl->timer_start = deadline + missed * vl->timer_period;
		env_timer_arm(vl, vl->timer_start + vl->timer_period);
	} else {
		vl->timer_period = 0;
		vl->timer_deadline = 0;
	}
	lvt = reg_get(vl, APIC_LVT_TIMER);
	if (!(lvt & LVT_MASKED))
		vlapic_accept(vl, (uint8_t)(lvt & LVT_VECTOR), false);
}

/* ---- reset and identity --------------------------------------------------- */

static uint32_t x2apic_ldr(uint32_t id)
{
	return ((id >> 4) << 16) | (1u << (id & 0xf));
}

static void set_identity(struct vlapic *vl)
{
	if (apic_mode(vl) == MODE_X2APIC) {
		reg_set(vl, APIC_ID, vl->apic_id);
		reg_set(vl, APIC_LDR, x2apic_ldr(vl->apic_id));
	} else {
		reg_set(vl, APIC_ID, vl->apic_id << 24);
	}
}

/* Power-on / INIT register state; IA32_APIC_BASE and the id are kept. */
static void reset_registers(struct vlapic *vl)
{
	timer_disarm(vl);
	memset(vl->page, 0, sizeof(vl->page));
	vl->timer_start = 0;
	vl->timer_period = 0;
	vl->tsc_deadline = 0;
	__atomic_store_n(&vl->esr_pending, 0, __ATOMIC_RELAXED);
	reg_set(vl, APIC_VER, VLAPIC_VERSION);
	reg_set(vl, APIC_DFR, 0xffffffffu);
	reg_set(vl, APIC_SVR, 0xff);
	mask_lvts(vl);
	set_identity(vl);
}

void vlapic_init(struct vlapic *vl, uint32_t apic_id, bool bsp, const struct vlapic_env *env)
{
	memset(vl, 0, sizeof(*vl));
	vl->env = env;
	vl->apic_id = apic_id;
	vl->apic_base = VLAPIC_DEFAULT_BASE | APIC_BASE_ENABLE | (bsp ? APIC_BASE_BSP : 0);
	reset_registers(vl);
}

void vlapic_init_ipi(struct vlapic *vl)
{
	/* x2APIC mode survives INIT (SDM), so the id keeps its x2APIC form. */
	reset_registers(vl);
}

static int write_apic_base(struct vlapic *vl, uint64_t value)
{
	const uint64_t legal =
	    APIC_BASE_ADDR_MASK | APIC_BASE_BSP | APIC_BASE_EXTD | APIC_BASE_ENABLE;
	uint64_t old = apic_base_get(vl);
	enum apic_mode from = mode_of(old), to = mode_of(value);
	/* SDM: x2APIC returns to xAPIC only through disabled; disabled cannot enter x2APIC. */
	bool ok = to != MODE_INVALID && !(from == MODE_X2APIC && to == MODE_XAPIC) &&
		  !(from == MODE_DISABLED && to == MODE_X2APIC);

	if (!ok || (value & ~legal)) {
		pr_debug("vlapic %u: IA32_APIC_BASE %#llx -> %#llx refused", vl->apic_id,
			 (unsigned long long)old, (unsigned long long)value);
		return -EINVAL;
	}
	/* BSP is the platform's to say; a write does not change it. */
	__atomic_store_n(&vl->apic_base, (value & ~APIC_BASE_BSP) | (old & APIC_BASE_BSP),
			 __ATOMIC_RELAXED);
	if (to == from)
		return 0;
	if (to == MODE_DISABLED)
		reset_registers(vl);
	else
		set_identity(vl); /* xAPIC from reset state, or xAPIC -> x2APIC */
	return 0;
}

/* ---- register access ------------------------------------------------------ */

static void send_icr(struct vlapic *vl, uint32_t low, uint32_t dest)
{
	struct virq_msg msg = {
		.dest = dest,
		.dest_logical = low & ICR_LOGICAL,
		.vector = (uint8_t)(low & 0xff),
		.delivery = (uint8_t)LVT_DELIVERY(low),
		.shorthand = (uint8_t)ICR_SHORTHAND(low),
		.assert = true,
		.x2apic_dest = apic_mode(vl) == MODE_X2APIC,
	};

	switch (msg.delivery) {
	case VIRQ_FIXED:
	case VIRQ_LOWEST_PRIORITY:
		if (msg.vector < FIRST_LEGAL_VECTOR) {
			raise_error(vl, ESR_SEND_ILLEGAL);
			return;
		}
		break;
	case VIRQ_INIT:
		msg.level = low & ICR_LEVEL;
		msg.assert = !msg.level || (low & ICR_ASSERT);
		break;
	case VIRQ_SMI:
	case VIRQ_NMI:
	case VIRQ_STARTUP:
		break;
	default:
		pr_debug("vlapic %u: ICR %#x with delivery mode %u dropped", vl->apic_id, low,
			 msg.delivery);
		return;
	}
	if (msg.shorthand == VIRQ_SELF && msg.delivery == VIRQ_FIXED) {
		vlapic_accept(vl, msg.vector, false);
		return;
	}
	if (vl->env->send_ipi)
		vl->env->send_ipi(vl->env->ctx, &msg);
}

static const struct apic_reg *find_reg(uint32_t offset)
{
	if ((offset & 0xf) || offset >= APIC_REGS * 0x10)
		return NULL;
	return &apic_regs[offset >> 4];
}

/* The register as the guest reads it; -EINVAL when absent for this mode. */
static int reg_read(const struct vlapic *vl, uint32_t offset, bool x2apic, uint32_t *value)
{
	const struct apic_reg *reg = find_reg(offset);

	if (!reg || !(reg->access & (x2apic ? X2R : XR)))
		return -EINVAL;
	if (offset == APIC_TIMER_CCR)
		*value = timer_current_count(vl, env_now(vl));
	else
		*value = reg_get(vl, offset);
	return 0;
}

/* A 32-bit register write; -EINVAL when it must #GP (x2APIC) or has no effect. */
static int reg_write(struct vlapic *vl, uint32_t offset, uint32_t value, bool x2apic)
{
	const struct apic_reg *reg = find_reg(offset);

	if (!reg || !(reg->access & (x2apic ? X2W : XW)))
		return -EINVAL;
	if (x2apic && (value & ~(reg->writable | reg->read_only)))
		return -EINVAL;
	value &= reg->writable;
	switch (offset) {
	case APIC_TPR:
		reg_set(vl, offset, value);
		update_ppr(vl);
		break;
	case APIC_EOI:
		do_eoi(vl);
		break;
	case APIC_DFR:
		reg_set(vl, offset, value | 0x0fffffffu);
		break;
	case APIC_SVR:
		reg_set(vl, offset, value);
		/* Software disable masks every LVT entry (SDM). */
		if (!(value & SVR_ENABLE))
			mask_lvts(vl);
		break;
	case APIC_ESR:
		reg_set(vl, offset, __atomic_exchange_n(&vl->esr_pending, 0, __ATOMIC_SEQ_CST));
		break;
	case APIC_ICR_LOW:
		reg_set(vl, offset, value);
		send_icr(vl, value, reg_get(vl, APIC_ICR_HIGH) >> 24);
		break;
	case APIC_LVT_TIMER:
	case APIC_LVT_THERMAL:
	case APIC_LVT_PMC:
	case APIC_LVT_LINT0:
	case APIC_LVT_LINT1:
	case APIC_LVT_ERROR:
		/* While software-disabled the mask bit cannot be cleared. */
		if (!software_enabled(vl))
			value |= LVT_MASKED;
		if (offset == APIC_LVT_TIMER)
			write_lvt_timer(vl, value);
		else
			reg_set(vl, offset, value);
		break;
	case APIC_TIMER_ICR:
		/* SDM: in TSC-deadline mode writes to the initial count are ignored. */
		if (timer_mode(vl) != TIMER_TSC_DEADLINE) {
			reg_set(vl, offset, value);
			timer_load(vl, value);
		}
		break;
	case APIC_TIMER_DCR:
		write_timer_dcr(vl, value);
		break;
	case APIC_SELF_IPI:
		/* Same as ICR with fixed delivery to self. */
		send_icr(vl, value | (VIRQ_SELF << 18), 0);
		break;
	default:
		reg_set(vl, offset, value);
		break;
	}
	return 0;
}

static uint64_t all_ones(uint32_t width)
{
	return width >= 8 ? ~0ull : (1ull << (width * 8)) - 1;
}

/*
 * The xAPIC page: present only in xAPIC mode and only at the current base.
 * Anything else reads as all ones with writes dropped (no memory behind it).
 */
static bool mmio_offset(const struct vlapic *vl, uint64_t addr, uint32_t *offset)
{
	uint64_t base = vlapic_base_address(vl);

	if (apic_mode(vl) != MODE_XAPIC || addr < base || addr - base >= APIC_PAGE_SIZE)
		return false;
	*offset = (uint32_t)(addr - base);
	return true;
}

int vlapic_mmio_read(void *dev, uint64_t addr, uint32_t width, uint64_t *value)
{
	struct vlapic *vl = dev;
	uint32_t offset, reg;

	if (!mmio_offset(vl, addr, &offset)) {
		*value = all_ones(width);
		return 0;
	}
	*value = 0;
	/* Only aligned 32-bit accesses to a register's first dword are defined. */
	if (width != 4 || (offset & 0xf))
		return 0;
	if (reg_read(vl, offset, false, &reg)) {
		raise_error(vl, ESR_ILLEGAL_REG);
		return 0;
	}
	*value = reg;
	return 0;
}

int vlapic_mmio_write(void *dev, uint64_t addr, uint32_t width, uint64_t value)
{
	struct vlapic *vl = dev;
	uint32_t offset;
	const struct apic_reg *reg;

	if (!mmio_offset(vl, addr, &offset) || width != 4 || (offset & 0xf))
		return 0;
	if (reg_write(vl, offset, (uint32_t)value, false)) {
		/* Read-only registers ignore writes; absent ones are an error. */
		reg = find_reg(offset);
		if (!reg || !(reg->access & (XR | XW)))
			raise_error(vl, ESR_ILLEGAL_REG);
	}
	return 0;
}

int vlapic_rdmsr(struct vlapic *vl, uint32_t msr, uint64_t *value)
{
	uint32_t reg;

	if (msr == MSR_APIC_BASE) {
		*value = apic_base_get(vl);
		return 0;
	}
	if (msr == MSR_TSC_DEADLINE) {
		*value = vl->tsc_deadline;
		return 0;
	}
	if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST || apic_mode(vl) != MODE_X2APIC)
		return -EINVAL;
	if (reg_read(vl, (msr - MSR_X2APIC_FIRST) << 4, true, &reg))
		return -EINVAL;
	*value = reg;
	if (msr == MSR_X2APIC_FIRST + (APIC_ICR_LOW >> 4))
		*value |= (uint64_t)reg_get(vl, APIC_ICR_HIGH) << 32;
	return 0;
}

int vlapic_wrmsr(struct vlapic *vl, uint32_t msr, uint64_t value)
{
	uint32_t low = (uint32_t)value, high = (uint32_t)(value >> 32);

	if (msr == MSR_APIC_BASE)
		return write_apic_base(vl, value);
	if (msr == MSR_TSC_DEADLINE) {
		write_tsc_deadline(vl, value);
		return 0;
	}
	if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST || apic_mode(vl) != MODE_X2APIC)
		return -EINVAL;
	if (msr == MSR_X2APIC_FIRST + (APIC_ICR_LOW >> 4)) {
		/* The one 64-bit register: destination in 63:32. */
		if (low & ~(ICR_WRITABLE | ICR_STATUS))
			return -EINVAL;
		reg_set(vl, APIC_ICR_LOW, low & ICR_WRITABLE);
		reg_set(vl, APIC_ICR_HIGH, high);
		send_icr(vl, low & ICR_WRITABLE, high);
		return 0;
	}
	if (high) /* upper halves of the other x2APIC MSRs are reserved */
		return -EINVAL;
	return reg_write(vl, (msr - MSR_X2APIC_FIRST) << 4, low, true);
}

/* ---- queries -------------------------------------------------------------- */

bool vlapic_enabled(const struct vlapic *vl)
{
	return apic_mode(vl) != MODE_DISABLED && software_enabled(vl);
}

bool vlapic_x2apic_mode(const struct vlapic *vl)
{
	return apic_mode(vl) == MODE_X2APIC;
}

uint64_t vlapic_base_address(const struct vlapic *vl)
{
	return apic_base_get(vl) & APIC_BASE_ADDR_MASK;
}

uint32_t vlapic_priority(const struct vlapic *vl)
{
	return reg_get(vl, APIC_PPR);
}

uint32_t vlapic_read_reg(const struct vlapic *vl, uint32_t offset)
{
	if ((offset & 0xf) || offset >= APIC_REGS * 0x10)
		return 0;
	if (offset == APIC_TIMER_CCR)
		return timer_current_count(vl, env_now(vl));
	return reg_get(vl, offset);
}

void vlapic_sync_ppr(struct vlapic *vl)
{
	update_ppr(vl);
}

int vlapic_highest_irr(const struct vlapic *vl)
{
	return highest_vector(vl, APIC_IRR);
}

int vlapic_highest_isr(const struct vlapic *vl)
{
	return highest_vector(vl, APIC_ISR);
}

void vlapic_apic_write(struct vlapic *vl, uint32_t offset)
{
	uint32_t value;

	offset &= 0xff0;
	if (offset >= 0x400)
		return;
	value = reg_get(vl, offset);
	/*
	 * The processor stored the guest's value already; the model's write
	 * path compares with the old state (timer mode, divisor), so it gets
	 * the value back that it last accepted and then takes the write.
	 */
	__atomic_store_n(&vl->page[offset >> 2], vl->accepted_value[offset >> 4], __ATOMIC_RELAXED);
	if (reg_write(vl, offset, value, false) != 0)
		raise_error(vl, ESR_ILLEGAL_REG);
}

void vlapic_eoi_induced(struct vlapic *vl, uint8_t vector)
{
	uint32_t bit = VECTOR_BIT(vector);
	uint32_t tmr =
	    __atomic_fetch_and(vector_word(vl, APIC_TMR, vector), ~bit, __ATOMIC_SEQ_CST);

	/* The processor has cleared the ISR bit and updated PPR already. */
	if ((tmr & bit) && vl->env->eoi_level)
		vl->env->eoi_level(vl->env->ctx, vector);
}
