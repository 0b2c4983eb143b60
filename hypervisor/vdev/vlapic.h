/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A virtual local APIC: the register model only (no VMX), so it runs in the
 * hypervisor and in host tests. The guest reaches it through the xAPIC page
 * (MMIO at the APIC base) or, once it sets IA32_APIC_BASE.EXTD, through the
 * x2APIC MSRs 0x800-0x8ff.
 *
 * State lives in a 4 KiB page laid out as the hardware APIC page (register
 * at offset 0x10 * n), which is also the layout VMX uses for the
 * virtual-APIC page, so APIC-register virtualization can later share it.
 *
 * The timer counts at the TSC rate divided by the divide configuration; the
 * hypervisor tells the guest that rate through CPUID (0x15: crystal = TSC),
 * so Linux's calibration and the model agree.
 *
 * Threading: vlapic_accept() may be called from any CPU (it only sets bits
 * with atomic operations and asks env->kick). Everything else runs on the
 * CPU that runs the vCPU.
 */
#ifndef HV_VDEV_VLAPIC_H
#define HV_VDEV_VLAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "vdev/virq.h"

#define VLAPIC_DEFAULT_BASE 0xfee00000ull
#define VLAPIC_VERSION                                                                             \
	0x00050014u /* version 0x14, max LVT index 5; no EOI-broadcast suppression                 \
		     */

/* IA32_APIC_BASE bits. */
#define APIC_BASE_BSP	 (1ull << 8)
#define APIC_BASE_EXTD	 (1ull << 10)
#define APIC_BASE_ENABLE (1ull << 11)

/* MSRs the model answers besides the x2APIC range. */
#define MSR_APIC_BASE	 0x1bu
#define MSR_TSC_DEADLINE 0x6e0u
#define MSR_X2APIC_FIRST 0x800u
#define MSR_X2APIC_LAST	 0x8ffu

/* Register offsets in the APIC page (x2APIC MSR = 0x800 + offset / 16). */
#define APIC_ID		 0x020
#define APIC_VER	 0x030
#define APIC_TPR	 0x080
#define APIC_APR	 0x090
#define APIC_PPR	 0x0a0
#define APIC_EOI	 0x0b0
#define APIC_RRD	 0x0c0
#define APIC_LDR	 0x0d0
#define APIC_DFR	 0x0e0
#define APIC_SVR	 0x0f0
#define APIC_ISR	 0x100 /* 8 registers, 0x100-0x170 */
#define APIC_TMR	 0x180
#define APIC_IRR	 0x200
#define APIC_ESR	 0x280
#define APIC_LVT_CMCI	 0x2f0
#define APIC_ICR_LOW	 0x300
#define APIC_ICR_HIGH	 0x310
#define APIC_LVT_TIMER	 0x320
#define APIC_LVT_THERMAL 0x330
#define APIC_LVT_PMC	 0x340
#define APIC_LVT_LINT0	 0x350
#define APIC_LVT_LINT1	 0x360
#define APIC_LVT_ERROR	 0x370
#define APIC_TIMER_ICR	 0x380 /* initial count */
#define APIC_TIMER_CCR	 0x390 /* current count */
#define APIC_TIMER_DCR	 0x3e0 /* divide configuration */
#define APIC_SELF_IPI	 0x3f0 /* x2APIC only */

/* What the model needs from its surroundings. ctx is passed back as it is. */
struct vlapic_env {
	void *ctx;
	/* The current TSC. */
	uint64_t (*now)(void *ctx);
	/* Calls vlapic_timer_expired() once the TSC reaches deadline; 0 cancels. */
	void (*timer_arm)(void *ctx, uint64_t deadline);
	/*
	 * The guest wrote ICR (or SELF_IPI): route msg within the VM. The model
	 * has already checked it (reserved vectors give an ESR error instead);
	 * msg->shorthand tells the router about self / all / all-but-self.
	 */
	void (*send_ipi)(void *ctx, const struct virq_msg *msg);
	/* EOI of a vector whose TMR bit was set: the vIOAPIC clears remote IRR. */
	void (*eoi_level)(void *ctx, uint8_t vector);
	/* An interrupt was accepted; may be called from another CPU. */
	void (*kick)(void *ctx);
};

struct vlapic {
	uint32_t page[1024] __attribute__((aligned(4096))); /* the APIC page, 32-bit registers */
	const struct vlapic_env *env;
	uint64_t apic_base; /* IA32_APIC_BASE */
	uint32_t apic_id;   /* the id given at init; ID register follows it (and the mode) */
	/* Timer. */
	uint64_t timer_start;	 /* TSC when the current count was last loaded */
	uint64_t timer_period;	 /* TSC ticks per full count (initial count * divisor) */
	uint64_t tsc_deadline;	 /* IA32_TSC_DEADLINE as the guest wrote it; 0 disarmed */
	uint64_t timer_deadline; /* what is armed with env->timer_arm, 0 none */
	uint32_t esr_pending;	 /* errors since the last ESR write */
	uint64_t accepted[256];	 /* interrupts accepted per vector, for the `int` shell command */
	uint64_t timer_fired;
	/* Each register's value as the model last accepted it (for APIC-write exits). */
	uint32_t accepted_value[64];
};

/* Resets to the power-on state with this APIC id; bsp sets IA32_APIC_BASE.BSP. */
void vlapic_init(struct vlapic *vl, uint32_t apic_id, bool bsp, const struct vlapic_env *env);
/* INIT received: registers to their INIT state (APIC base and id are kept). */
void vlapic_init_ipi(struct vlapic *vl);

/* xAPIC MMIO (io_registry handler shape; dev is the vlapic, addr is guest-physical). */
int vlapic_mmio_read(void *dev, uint64_t addr, uint32_t width, uint64_t *value);
int vlapic_mmio_write(void *dev, uint64_t addr, uint32_t width, uint64_t value);

/*
 * MSRs: IA32_APIC_BASE, IA32_TSC_DEADLINE and 0x800-0x8ff. Returns 0, or
 * -EINVAL when the access must raise #GP (x2APIC MSR while not in x2APIC
 * mode, read-only or reserved register, reserved bits, illegal APIC-base
 * transition).
 */
int vlapic_rdmsr(struct vlapic *vl, uint32_t msr, uint64_t *value);
int vlapic_wrmsr(struct vlapic *vl, uint32_t msr, uint64_t value);

bool vlapic_enabled(const struct vlapic *vl); /* hardware and software enabled */
bool vlapic_x2apic_mode(const struct vlapic *vl);
uint64_t vlapic_base_address(const struct vlapic *vl); /* the xAPIC page's guest-physical address */

/* Does a message with this destination reach this APIC? (physical, logical flat/cluster, x2APIC) */
bool vlapic_matches_destination(const struct vlapic *vl, uint32_t dest, bool logical,
				bool x2apic_dest);
/* For lowest-priority arbitration: the processor priority (PPR). */
uint32_t vlapic_priority(const struct vlapic *vl);

/*
 * A register as the guest would read it (current count computed), whatever
 * the mode; 0 for offsets with no register. For the shell and debugging.
 */
uint32_t vlapic_read_reg(const struct vlapic *vl, uint32_t offset);

/*
 * A fixed interrupt arrives: sets IRR (and TMR when level) and kicks.
 * Vectors 0-15 are illegal: they set ESR "receive illegal vector" instead.
 * Safe from any CPU.
 */
void vlapic_accept(struct vlapic *vl, uint8_t vector, bool level);

/* The highest IRR vector whose priority class beats PPR, or -1. */
int vlapic_pending_vector(const struct vlapic *vl);
/* The CPU took vector (interrupt acknowledge): IRR -> ISR, PPR updated. */
void vlapic_ack(struct vlapic *vl, uint8_t vector);

/* The deadline given to env->timer_arm has passed. */
void vlapic_timer_expired(struct vlapic *vl);

/*
 * With VMX APIC virtualization the processor works on the same page: it
 * sets ISR and PPR when it delivers an interrupt and clears them on EOI.
 * These are the model's side of that.
 */
/* The highest vector in IRR or ISR, or -1 (for RVI and SVI). */
int vlapic_highest_irr(const struct vlapic *vl);
int vlapic_highest_isr(const struct vlapic *vl);
/* With a TPR shadow the guest writes TPR without an exit: derive PPR from it again. */
void vlapic_sync_ppr(struct vlapic *vl);
/* APIC-write exit: the guest's value for the register at offset is in the page; apply it. */
void vlapic_apic_write(struct vlapic *vl, uint32_t offset);
/* EOI-induced exit: the processor did the EOI of vector; finish a level-triggered one. */
void vlapic_eoi_induced(struct vlapic *vl, uint8_t vector);

/*
 * LINT0 set to ExtINT and unmasked (or the APIC disabled): the 8259's
 * output goes straight to the CPU.
 */
bool vlapic_accepts_extint(const struct vlapic *vl);

#endif
