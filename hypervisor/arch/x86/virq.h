/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupts of a VM: the glue between the register models (vLAPIC per
 * vCPU, vIOAPIC and vPIC per VM), the physical IOAPIC pins a VM owns, and
 * VMX event injection.
 *
 * Where things run:
 *  - a vLAPIC is touched only on its vCPU's physical CPU, except
 *    vlapic_accept(), which any CPU may call (it then kicks the owner with
 *    VECTOR_KICK so that it leaves the guest and injects);
 *  - the vPIC and vIOAPICs are under vm->irq_lock;
 *  - a physical GSI interrupt may arrive on any CPU; level-triggered pins
 *    stay masked from their interrupt until the guest's EOI.
 */
#ifndef HV_ARCH_X86_VIRQ_H
#define HV_ARCH_X86_VIRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "vdev/virq.h"

struct vm;
struct vcpu;

/*
 * Sets up the vPIC, one vIOAPIC per physical IOAPIC (same id, address and
 * GSIs, as the firmware's MADT describes them to the guest) and the xAPIC
 * page handler. owned_gsi(gsi) says which physical GSIs go to this VM.
 */
int virq_vm_init(struct vm *vm, bool (*owned_gsi)(uint32_t gsi));
void virq_vcpu_init(struct vcpu *vcpu, uint32_t apic_id, bool bsp);

/* A virtual device's interrupt line (e.g. the vUART on GSI 4) changes level. */
void virq_set_gsi(struct vm *vm, uint32_t gsi, bool asserted);

/* Routes a message (IPI, IOAPIC entry, MSI) to the vCPUs it names; sender may be NULL. */
void virq_deliver(struct vm *vm, const struct virq_msg *msg, struct vcpu *sender);

/* Makes the vCPU's CPU leave guest mode (or its halt) soon. */
void vcpu_kick(struct vcpu *vcpu);

/*
 * Just after a VM exit: an event the exit interrupted (IDT-vectoring
 * information) is queued for re-injection.
 */
void virq_save_interrupted_event(struct vcpu *vcpu);
/* Just before VM entry, interrupts off: injects what is due or asks for a window exit. */
void virq_inject(struct vcpu *vcpu);
/* An interrupt the guest would take now (for HLT): pending, deliverable, not yet injected. */
bool virq_wakeup_pending(struct vcpu *vcpu);

/* With APIC virtualization: EOI of a level-triggered vector, and a write to an APIC register. */
void vmexit_eoi_induced(struct vcpu *vcpu);
void vmexit_apic_write(struct vcpu *vcpu);
/* The interrupt-window and NMI-window exits. */
void vmexit_interrupt_reevaluate(struct vcpu *vcpu);

#endif
