/* SPDX-License-Identifier: BSD-3-Clause */
#include "arch/x86/virq.h"

#include "arch/x86/cpu.h"
#include "arch/x86/ioapic.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "arch/x86/trap.h"
#include "arch/x86/vcpu.h"
#include "arch/x86/vmx.h"
#include "core/platform.h"
#include "core/vm.h"
#include "debug/log.h"
#include "lib/errno.h"
#include "lib/string.h"

#define NO_ISA_IRQ 0xff
#define ISA_IRQS   16

/* Which VM owns each physical GSI, and whether its pin is programmed level-triggered. */
static struct vm *gsi_owner[VM_MAX_GSIS];
static bool gsi_is_level[VM_MAX_GSIS];

static bool bit_test(const uint8_t *bits, uint32_t n)
{
	return bits[n / 8] & (1u << (n % 8));
}

static void bit_assign(uint8_t *bits, uint32_t n, bool on)
{
	if (on)
		bits[n / 8] |= (uint8_t)(1u << (n % 8));
	else
		bits[n / 8] &= (uint8_t) ~(1u << (n % 8));
}

/* ---- kicking a vCPU's CPU ---------------------------------------------- */

static void kick_interrupt(uint32_t vector, struct trap_frame *frame)
{
	/* Nothing to do: the interrupt itself ended the guest's run or the halt. */
	(void)vector;
	(void)frame;
}

void vcpu_kick(struct vcpu *vcpu)
{
	if (vcpu->pcpu != this_cpu()->index)
		lapic_send_ipi(per_cpu_data[vcpu->pcpu].apic_id, VECTOR_KICK);
}

/* ---- routing messages to vLAPICs --------------------------------------- */

static void deliver_to(struct vcpu *v, const struct virq_msg *msg)
{
	switch (msg->delivery) {
	case VIRQ_FIXED:
	case VIRQ_LOWEST_PRIORITY:
		vlapic_accept(&v->vlapic, msg->vector, msg->level);
		return;
	case VIRQ_NMI:
		__atomic_fetch_or(&v->requests, VCPU_REQ_NMI, __ATOMIC_RELEASE);
		break;
	case VIRQ_INIT:
		if (!msg->assert)
			return; /* the level de-assert of the old INIT protocol does nothing */
		__atomic_fetch_or(&v->requests, VCPU_REQ_INIT, __ATOMIC_RELEASE);
		break;
	case VIRQ_STARTUP:
		v->sipi_vector = msg->vector;
		__atomic_fetch_or(&v->requests, VCPU_REQ_SIPI, __ATOMIC_RELEASE);
		break;
	case VIRQ_EXTINT:
		v->extint_pending = true;
		break;
	default:
		pr_debug("virq: delivery mode %u to vCPU %u ignored", msg->delivery, v->id);
		return;
	}
	vcpu_kick(v);
}

static bool addressed(struct vcpu *v, const struct virq_msg *msg, const struct vcpu *sender)
{
	switch (msg->shorthand) {
	case VIRQ_SELF:
		return v == sender;
	case VIRQ_ALL_INCLUDING_SELF:
		return true;
	case VIRQ_ALL_EXCLUDING_SELF:
		return v != sender;
	default:
		return vlapic_matches_destination(&v->vlapic, msg->dest, msg->dest_logical,
						  msg->x2apic_dest);
	}
}

void virq_deliver(struct vm *vm, const struct virq_msg *msg, struct vcpu *sender)
{
	struct vcpu *lowest = NULL;

	for (uint32_t i = 0; i < vm->vcpu_count; i++) {
		struct vcpu *v = vm->vcpus[i];

		if (!v || !addressed(v, msg, sender))
			continue;
		if (msg->delivery == VIRQ_LOWEST_PRIORITY) {
			/* Arbitration: the lowest processor priority wins, the first on a tie. */
			if (!lowest ||
			    vlapic_priority(&v->vlapic) < vlapic_priority(&lowest->vlapic))
				lowest = v;
			continue;
		}
		deliver_to(v, msg);
	}
	if (lowest)
		deliver_to(lowest, msg);
}

/* ---- physical pins behind the virtual controllers ---------------------- */

static struct vioapic *vioapic_for_gsi(struct vm *vm, uint32_t gsi, uint32_t *pin)
{
	for (uint32_t i = 0; i < vm->vioapic_count; i++) {
		struct vioapic *io = &vm->vioapic[i];

		if (gsi >= io->gsi_base && gsi - io->gsi_base < io->pins) {
			*pin = gsi - io->gsi_base;
			return io;
		}
	}
	return NULL;
}

static bool vpic_irq_unmasked(const struct vpic *pic, uint32_t irq)
{
	const struct i8259 *chip = &pic->chip[irq / 8];

	/* A slave IRQ also needs the cascade input open on the master. */
	if (irq >= 8 && (pic->chip[0].imr & (1u << 2)))
		return false;
	return chip->icw_step == 0 && !(chip->imr & (1u << (irq % 8)));
}

/* The physical CPU an entry's destination names, when it names exactly one; else the BSP. */
static uint32_t physical_destination(uint64_t rte)
{
	uint32_t dest = (uint32_t)(rte >> IOAPIC_RTE_DEST_SHIFT);

	if (!(rte & IOAPIC_RTE_DEST_LOGICAL))
		for (uint32_t i = 0; i < cpu_count; i++)
			if (per_cpu_data[i].apic_id == dest && per_cpu_data[i].vcpu)
				return dest;
	return per_cpu_data[0].apic_id;
}

/*
 * Programs the physical pin of an owned GSI from what the guest asked of
 * its vIOAPIC entry (trigger, polarity, mask, target) and of its vPIC
 * (ISA IRQs, edge and active high). Called with irq_lock held.
 */
static void sync_physical_gsi(struct vm *vm, uint32_t gsi)
{
	uint32_t pin;
	struct vioapic *io;
	uint64_t rte = IOAPIC_RTE_MASKED;
	bool via_ioapic, via_pic, level, masked;
	uint8_t isa;

	if (gsi >= VM_MAX_GSIS || !bit_test(vm->gsi_owned, gsi))
		return;
	io = vioapic_for_gsi(vm, gsi, &pin);
	if (io)
		rte = vioapic_rte(io, pin);
	isa = vm->gsi_to_isa_irq[gsi];
	via_ioapic = !(rte & IOAPIC_RTE_MASKED);
	via_pic = isa != NO_ISA_IRQ && vpic_irq_unmasked(&vm->vpic, isa);
	level = via_ioapic && (rte & IOAPIC_RTE_LEVEL);
	if (!level)
		bit_assign(vm->gsi_awaiting_eoi, gsi, false);
	masked = !(via_ioapic || via_pic) || bit_test(vm->gsi_awaiting_eoi, gsi);
	gsi_is_level[gsi] = level;
	ioapic_program_gsi(gsi, (uint8_t)(VECTOR_GSI_FIRST + gsi), physical_destination(rte), level,
			   via_ioapic && (rte & IOAPIC_RTE_ACTIVE_LOW), masked);
}

/* A line changes: the vIOAPIC pin and, for ISA IRQs, the vPIC input. irq_lock held. */
static void set_gsi_locked(struct vm *vm, uint32_t gsi, bool asserted)
{
	uint32_t pin;
	struct vioapic *io = vioapic_for_gsi(vm, gsi, &pin);

	if (io)
		vioapic_set_level(io, pin, asserted);
	if (gsi < VM_MAX_GSIS && vm->gsi_to_isa_irq[gsi] != NO_ISA_IRQ)
		vpic_set_irq(&vm->vpic, vm->gsi_to_isa_irq[gsi], asserted);
}

void virq_set_gsi(struct vm *vm, uint32_t gsi, bool asserted)
{
	spinlock_acquire(&vm->irq_lock);
	set_gsi_locked(vm, gsi, asserted);
	spinlock_release(&vm->irq_lock);
}

static void gsi_interrupt(uint32_t vector, struct trap_frame *frame)
{
	uint32_t gsi = vector - VECTOR_GSI_FIRST;
	struct vm *vm = gsi < VM_MAX_GSIS ? gsi_owner[gsi] : NULL;

	(void)frame;
	if (!vm) {
		ioapic_mask_gsi(gsi, true);
		return;
	}
	spinlock_acquire(&vm->irq_lock);
	if (gsi_is_level[gsi]) {
		/* The device holds the line until the guest has served it: wait for its EOI. */
		ioapic_mask_gsi(gsi, true);
		bit_assign(vm->gsi_awaiting_eoi, gsi, true);
		set_gsi_locked(vm, gsi, true);
	} else {
		set_gsi_locked(vm, gsi, true);
		set_gsi_locked(vm, gsi, false);
	}
	spinlock_release(&vm->irq_lock);
}

/* The guest ended a level-triggered interrupt: lines it served are re-armed. */
static void lapic_eoi_level(void *ctx, uint8_t vector)
{
	struct vcpu *vcpu = ctx;
	struct vm *vm = vcpu->vm;
	uint8_t unmask[VM_MAX_GSIS / 8] = { 0 };

	spinlock_acquire(&vm->irq_lock);
	for (uint32_t gsi = 0; gsi < VM_MAX_GSIS; gsi++) {
		uint32_t pin;
		struct vioapic *io;

		if (!bit_test(vm->gsi_awaiting_eoi, gsi))
			continue;
		io = vioapic_for_gsi(vm, gsi, &pin);
		if (!io || (vioapic_rte(io, pin) & IOAPIC_RTE_VECTOR) != vector)
			continue;
		/* Unknown until the pin is open again: if the device still asserts, it fires anew.
		 */
		vioapic_set_level(io, pin, false);
		bit_assign(vm->gsi_awaiting_eoi, gsi, false);
		bit_assign(unmask, gsi, true);
	}
	for (uint32_t i = 0; i < vm->vioapic_count; i++)
		vioapic_eoi(&vm->vioapic[i], vector);
	for (uint32_t gsi = 0; gsi < VM_MAX_GSIS; gsi++)
		if (bit_test(unmask, gsi))
			sync_physical_gsi(vm, gsi);
	spinlock_release(&vm->irq_lock);
}

/* ---- vIOAPIC and vPIC surroundings ------------------------------------- */

static void vioapic_deliver(void *ctx, const struct virq_msg *msg)
{
	const struct vioapic_glue *glue = ctx;

	virq_deliver(glue->vm, msg, NULL);
}

static void vioapic_rte_changed(void *ctx, uint32_t pin, uint64_t rte)
{
	const struct vioapic_glue *glue = ctx;

	(void)rte;
	sync_physical_gsi(glue->vm, glue->gsi_base + pin);
}

static void vpic_notify(void *ctx)
{
	struct vm *vm = ctx;

	for (uint32_t i = 0; i < vm->vcpu_count; i++)
		if (vm->vcpus[i] && vlapic_accepts_extint(&vm->vcpus[i]->vlapic))
			vcpu_kick(vm->vcpus[i]);
}

static int vioapic_read_locked(void *dev, uint64_t addr, uint32_t width, uint64_t *value)
{
	struct vioapic *io = dev;
	struct vm *vm = ((const struct vioapic_glue *)io->env->ctx)->vm;
	int err;

	spinlock_acquire(&vm->irq_lock);
	err = vioapic_mmio_read(io, addr, width, value);
	spinlock_release(&vm->irq_lock);
	return err;
}

static int vioapic_write_locked(void *dev, uint64_t addr, uint32_t width, uint64_t value)
{
	struct vioapic *io = dev;
	struct vm *vm = ((const struct vioapic_glue *)io->env->ctx)->vm;
	int err;

	spinlock_acquire(&vm->irq_lock);
	err = vioapic_mmio_write(io, addr, width, value);
	spinlock_release(&vm->irq_lock);
	return err;
}

static int vpic_read_locked(void *dev, uint64_t port, uint32_t width, uint64_t *value)
{
	struct vm *vm = dev;
	int err;

	spinlock_acquire(&vm->irq_lock);
	err = vpic_port_read(&vm->vpic, port, width, value);
	spinlock_release(&vm->irq_lock);
	return err;
}

static int vpic_write_locked(void *dev, uint64_t port, uint32_t width, uint64_t value)
{
	struct vm *vm = dev;
	int err;

	spinlock_acquire(&vm->irq_lock);
	err = vpic_port_write(&vm->vpic, port, width, value);
	/* A new mask may open or close ISA lines the guest takes through the 8259. */
	for (uint32_t gsi = 0; gsi < VM_MAX_GSIS; gsi++)
		if (vm->gsi_to_isa_irq[gsi] != NO_ISA_IRQ)
			sync_physical_gsi(vm, gsi);
	spinlock_release(&vm->irq_lock);
	return err;
}

/* The xAPIC page is per vCPU at one address: the access goes to the running vCPU's vLAPIC. */
static int lapic_page_read(void *dev, uint64_t addr, uint32_t width, uint64_t *value)
{
	(void)dev;
	return vlapic_mmio_read(&this_cpu()->vcpu->vlapic, addr, width, value);
}

static int lapic_page_write(void *dev, uint64_t addr, uint32_t width, uint64_t value)
{
	(void)dev;
	return vlapic_mmio_write(&this_cpu()->vcpu->vlapic, addr, width, value);
}

/* ISA IRQ n is GSI n unless a MADT interrupt source override moves it. */
static void build_isa_map(struct vm *vm)
{
	const struct acpi_info *acpi = &platform.acpi;

	memset(vm->gsi_to_isa_irq, NO_ISA_IRQ, sizeof(vm->gsi_to_isa_irq));
	for (uint32_t irq = 0; irq < ISA_IRQS; irq++) {
		uint32_t gsi = irq;

		for (uint32_t i = 0; i < acpi->override_count; i++)
			if (acpi->overrides[i].bus == 0 && acpi->overrides[i].source_irq == irq)
				gsi = acpi->overrides[i].gsi;
		if (gsi < VM_MAX_GSIS && vm->gsi_to_isa_irq[gsi] == NO_ISA_IRQ)
			vm->gsi_to_isa_irq[gsi] = (uint8_t)irq;
	}
}

int virq_vm_init(struct vm *vm, bool (*owned_gsi)(uint32_t gsi))
{
	const struct acpi_info *acpi = &platform.acpi;
	static bool kick_registered;
	int err;

	vm->irq_lock = (struct spinlock)SPINLOCK_INIT;
	vm->vpic_env = (struct vpic_env){ .ctx = vm, .notify = vpic_notify };
	vpic_init(&vm->vpic, &vm->vpic_env);
	build_isa_map(vm);

	static const struct {
		uint16_t port, count;
	} pic_ports[] = { { 0x20, 2 }, { 0xa0, 2 }, { 0x4d0, 2 } };
	for (uint32_t i = 0; i < 3; i++) {
		struct io_handler h = { .name = "vPIC",
					.read = vpic_read_locked,
					.write = vpic_write_locked,
					.dev = vm,
					.widths = IO_WIDTH_1 };

		err = io_registry_add_port(&vm->io, pic_ports[i].port, pic_ports[i].count, &h);
		if (err)
			return err;
	}

	vm->vioapic_count = 0;
	for (uint32_t i = 0; i < acpi->ioapic_count && i < VM_MAX_IOAPICS; i++) {
		uint32_t n = vm->vioapic_count++;
		struct vioapic *io = &vm->vioapic[n];
		uint32_t pins = ioapic_pins_at(acpi->ioapics[i].address);
		struct io_handler h = { .name = "vIOAPIC",
					.read = vioapic_read_locked,
					.write = vioapic_write_locked,
					.dev = io,
					.widths = IO_WIDTHS_MMIO };

		/* As many pins as the real one, so the guest's view matches the MADT's GSIs. */
		vm->vioapic_glue[n] = (struct vioapic_glue){ vm, acpi->ioapics[i].gsi_base };
		vm->vioapic_env[n] = (struct vioapic_env){ .ctx = &vm->vioapic_glue[n],
							   .deliver = vioapic_deliver,
							   .rte_changed = vioapic_rte_changed };
		vioapic_init(io, acpi->ioapics[i].id, acpi->ioapics[i].address, pins ? pins : 24,
			     acpi->ioapics[i].gsi_base, &vm->vioapic_env[n]);
		err =
		    io_registry_add_mmio(&vm->io, acpi->ioapics[i].address, VIOAPIC_MMIO_SIZE, &h);
		if (err)
			return err;
	}

	struct io_handler lapic = { .name = "vLAPIC",
				    .read = lapic_page_read,
				    .write = lapic_page_write,
				    .dev = vm,
				    .widths = IO_WIDTHS_MMIO };
	err = io_registry_add_mmio(&vm->io, VLAPIC_DEFAULT_BASE, 0x1000, &lapic);
	if (err)
		return err;

	if (!kick_registered) {
		if (irq_register(VECTOR_KICK, kick_interrupt))
			return -EBUSY;
		kick_registered = true;
	}
	memset(vm->gsi_owned, 0, sizeof(vm->gsi_owned));
	memset(vm->gsi_awaiting_eoi, 0, sizeof(vm->gsi_awaiting_eoi));
	for (uint32_t gsi = 0; gsi < VM_MAX_GSIS && gsi < ioapic_gsi_limit(); gsi++) {
		if (!ioapic_gsi_exists(gsi) || !owned_gsi(gsi) || gsi_owner[gsi])
			continue;
		if (irq_register(VECTOR_GSI_FIRST + gsi, gsi_interrupt))
			continue;
		gsi_owner[gsi] = vm;
		bit_assign(vm->gsi_owned, gsi, true);
	}
	return 0;
}

/* ---- a vCPU's vLAPIC ----------------------------------------------------- */

static uint64_t lapic_now(void *ctx)
{
	(void)ctx;
	return rdtsc();
}

static void lapic_timer_fired(struct timer *timer)
{
	struct vcpu *vcpu = timer->data;

	vlapic_timer_expired(&vcpu->vlapic);
}

static void vlapic_timer_arm_host(void *ctx, uint64_t deadline)
{
	struct vcpu *vcpu = ctx;

	if (deadline)
		timer_start(&vcpu->lapic_timer, deadline, 0, lapic_timer_fired, vcpu);
	else
		timer_stop(&vcpu->lapic_timer);
}

static void lapic_send_ipi_msg(void *ctx, const struct virq_msg *msg)
{
	struct vcpu *vcpu = ctx;

	virq_deliver(vcpu->vm, msg, vcpu);
}

static void lapic_kick(void *ctx)
{
	vcpu_kick(ctx);
}

void virq_vcpu_init(struct vcpu *vcpu, uint32_t apic_id, bool bsp)
{
	vcpu->lapic_env = (struct vlapic_env){ .ctx = vcpu,
					       .now = lapic_now,
					       .timer_arm = vlapic_timer_arm_host,
					       .send_ipi = lapic_send_ipi_msg,
					       .eoi_level = lapic_eoi_level,
					       .kick = lapic_kick };
	vlapic_init(&vcpu->vlapic, apic_id, bsp, &vcpu->lapic_env);
}

/* ---- injection ----------------------------------------------------------- */

void virq_save_interrupted_event(struct vcpu *vcpu)
{
	uint32_t info = (uint32_t)vmcs_read(VMCS_IDT_VECTORING_INFO);
	uint32_t type = info & INTR_TYPE_MASK;

	(void)vcpu;
	if (!(info & INTR_INFO_VALID))
		return;
	/* The exit came while the CPU delivered this event: deliver it again on entry. */
	vmcs_write(VMCS_ENTRY_INTR_INFO, info & ~(1u << 12));
	if (info & INTR_INFO_DELIVER_ERROR)
		vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR, vmcs_read(VMCS_IDT_VECTORING_ERROR));
	if (type == INTR_TYPE_SW_INTERRUPT || type == INTR_TYPE_PRIV_SW_EXC ||
	    type == INTR_TYPE_SW_EXCEPTION)
		vmcs_write(VMCS_ENTRY_INSTR_LEN, vmcs_read(VMCS_EXIT_INSTR_LEN));
}

static bool extint_wanted(struct vcpu *vcpu)
{
	return (vcpu->extint_pending || vlapic_accepts_extint(&vcpu->vlapic)) &&
	       vpic_output(&vcpu->vm->vpic);
}

/* What VMX event injection must deliver: with virtual-interrupt delivery the processor takes the
 * vLAPIC's. */
static bool external_pending(struct vcpu *vcpu)
{
	return extint_wanted(vcpu) || (!vcpu->vm->vid && vlapic_pending_vector(&vcpu->vlapic) >= 0);
}

bool virq_wakeup_pending(struct vcpu *vcpu)
{
	if (vcpu->requests & (VCPU_REQ_NMI | VCPU_REQ_INIT))
		return true;
	if (vcpu->vm->apicv && !vcpu->vm->vid)
		vlapic_sync_ppr(&vcpu->vlapic);
	return (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF) &&
	       (extint_wanted(vcpu) || vlapic_pending_vector(&vcpu->vlapic) >= 0);
}

/*
 * Virtual-interrupt delivery: the processor delivers from the virtual-APIC
 * page by itself; it needs RVI (highest IRR) and SVI (highest ISR) as the
 * page says, and EOI exits for the level-triggered vectors (TMR), which the
 * vIOAPIC must see.
 */
static void apicv_sync(struct vcpu *vcpu)
{
	const struct vlapic *vl = &vcpu->vlapic;
	int irr = vlapic_highest_irr(vl), isr = vlapic_highest_isr(vl);

	vmcs_write(VMCS_GUEST_INTR_STATUS,
		   (uint64_t)((isr > 0 ? isr : 0) << 8 | (irr > 0 ? irr : 0)));
	for (uint32_t i = 0; i < 4; i++) {
		uint64_t tmr = (uint64_t)vl->page[(APIC_TMR >> 2) + 8 * i] |
			       (uint64_t)vl->page[(APIC_TMR >> 2) + 8 * i + 4] << 32;

		if (tmr != vcpu->eoi_exit[i]) {
			vcpu->eoi_exit[i] = tmr;
			vmcs_write(VMCS_EOI_EXIT0 + 2 * i, tmr);
		}
	}
}

/*
 * APIC-register virtualization without virtual-interrupt delivery: the
 * guest changes TPR in the virtual-APIC page without an exit, so PPR is
 * derived again before each decision, and an interrupt that only TPR holds
 * back sets the TPR threshold: lowering TPR below its class then exits.
 */
static void tpr_shadow_sync(struct vcpu *vcpu)
{
	const struct vlapic *vl = &vcpu->vlapic;
	int irr = vlapic_highest_irr(vl), isr = vlapic_highest_isr(vl);
	uint32_t tpr_class = (vlapic_read_reg(vl, APIC_TPR) >> 4) & 0xf, threshold = 0;

	if (irr >= 0 && (isr < 0 || (irr >> 4) > (isr >> 4)) && (uint32_t)(irr >> 4) <= tpr_class)
		threshold = (uint32_t)irr >> 4;
	if (threshold != vcpu->tpr_threshold) {
		vcpu->tpr_threshold = threshold;
		vmcs_write(VMCS_TPR_THRESHOLD, threshold);
	}
}

/* Takes the highest-priority external interrupt for delivery now; -1 if it vanished. */
static int take_external(struct vcpu *vcpu)
{
	int vector = -1;

	if (extint_wanted(vcpu)) {
		struct vm *vm = vcpu->vm;

		spinlock_acquire(&vm->irq_lock);
		if (vpic_output(&vm->vpic))
			vector = vpic_ack(&vm->vpic);
		spinlock_release(&vm->irq_lock);
		vcpu->extint_pending = false;
		if (vector >= 0)
			return vector;
	}
	vector = vlapic_pending_vector(&vcpu->vlapic);
	if (vector >= 0)
		vlapic_ack(&vcpu->vlapic, (uint8_t)vector);
	return vector;
}

static void set_window_exits(struct vcpu *vcpu, uint32_t wanted)
{
	uint32_t mask = PROC_INTERRUPT_WINDOW_EXITING | PROC_NMI_WINDOW_EXITING;
	uint32_t proc = (vcpu->proc_controls & ~mask) | wanted;

	if (proc != vcpu->proc_controls) {
		vcpu->proc_controls = proc;
		vmcs_write(VMCS_PROC_CONTROLS, proc);
	}
}

void virq_inject(struct vcpu *vcpu)
{
	uint32_t blocking = (uint32_t)vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
	bool queued = vmcs_read(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID;
	bool shadow = blocking & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS);
	uint32_t window = 0;

	if (vcpu->vm->vid) {
		apicv_sync(vcpu);
		/*
		 * The Bochs erratum (service_vm.c) strikes when a virtual interrupt
		 * is recognised while the guest has interrupts blocked. Entering
		 * that way with one pending, interrupt-window exiting keeps the
		 * processor from recognising it until the guest can take it.
		 */
		if (vcpu->vm->vid_erratum &&
		    (shadow || !(vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF)) &&
		    vlapic_pending_vector(&vcpu->vlapic) >= 0)
			window |= PROC_INTERRUPT_WINDOW_EXITING;
	} else if (vcpu->vm->apicv) {
		vlapic_sync_ppr(&vcpu->vlapic);
	}
	if (vcpu->requests & VCPU_REQ_NMI) {
		if (!queued && !shadow && !(blocking & INTERRUPTIBILITY_NMI)) {
			__atomic_fetch_and(&vcpu->requests, ~VCPU_REQ_NMI, __ATOMIC_ACQ_REL);
			vmcs_write(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_NMI | 2);
			vcpu->injected[2]++;
			queued = true;
		} else {
			/* Without virtual NMIs there is no NMI window: retry at the next chance. */
			window |= (vcpu->pin_controls & PIN_VIRTUAL_NMIS)
				      ? PROC_NMI_WINDOW_EXITING
				      : PROC_INTERRUPT_WINDOW_EXITING;
		}
	}
	if (external_pending(vcpu)) {
		if (!queued && !shadow && (vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF)) {
			int vector = take_external(vcpu);

			if (vector >= 0) {
				vmcs_write(VMCS_ENTRY_INTR_INFO,
					   INTR_INFO_VALID | INTR_TYPE_EXTERNAL | (uint32_t)vector);
				vcpu->injected[vector]++;
			}
			/* More waiting: exit as soon as the guest can take the next one. */
			if (external_pending(vcpu))
				window |= PROC_INTERRUPT_WINDOW_EXITING;
		} else {
			window |= PROC_INTERRUPT_WINDOW_EXITING;
		}
	}
	set_window_exits(vcpu, window);
	if (vcpu->vm->apicv && !vcpu->vm->vid)
		tpr_shadow_sync(vcpu);
}

void vmexit_eoi_induced(struct vcpu *vcpu)
{
	vlapic_eoi_induced(&vcpu->vlapic, (uint8_t)(vcpu->exit_qualification & 0xff));
}

void vmexit_apic_write(struct vcpu *vcpu)
{
	/* Trap-like: the write is done and RIP is past it. */
	vlapic_apic_write(&vcpu->vlapic, (uint32_t)(vcpu->exit_qualification & 0xfff));
}

/*
 * Interrupt window, NMI window, TPR below threshold: the guest can now take
 * what waited. Nothing to do here; virq_inject() before the next entry
 * injects it and decides about the windows and the threshold again.
 */
void vmexit_interrupt_reevaluate(struct vcpu *vcpu)
{
	(void)vcpu;
}
