/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MSR virtualization for the Service VM. Most MSRs are the guest's own
 * (VMX switches EFER, PAT, SYSENTER, FS/GS base; the hypervisor never uses
 * the SYSCALL MSRs or KERNEL_GS_BASE), so the bitmap lets them through.
 * Exits are taken only for what the hypervisor owns or must hide: the local
 * APIC, VMX capability and control MSRs, and MSRs the CPU may lack.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/vmexit.h"
#include "debug/log.h"
#include "lib/string.h"
#include "vdev/vlapic.h"
#include "arch/x86/service_vm.h"
#include "core/mtrr.h"
#include "core/vm.h"

#define FEATURE_CONTROL_LOCKED 1ull
/* Fast strings on; branch trace and PEBS reported unavailable. */
#define MISC_ENABLE_VIRTUAL ((1ull << 0) | (1ull << 11) | (1ull << 12))

#define MSR_BITMAP_READ_LOW   0
#define MSR_BITMAP_READ_HIGH  1024
#define MSR_BITMAP_WRITE_LOW  2048
#define MSR_BITMAP_WRITE_HIGH 3072

struct msr_range {
	uint32_t first, last;
};

/* Every MSR here exits on read and write. */
static const struct msr_range trapped_msrs[] = {
	{ MSR_IA32_APIC_BASE, MSR_IA32_APIC_BASE },
	{ MSR_IA32_FEATURE_CONTROL, MSR_IA32_FEATURE_CONTROL },
	{ MSR_IA32_MISC_ENABLE, MSR_IA32_MISC_ENABLE },
	{ 0x480, 0x491 }, /* VMX capabilities */
	{ MSR_IA32_TSC_DEADLINE, MSR_IA32_TSC_DEADLINE },
	{ 0x800, 0x8ff }, /* x2APIC registers */
	/* MTRRs: the guest's copy, which EPT memory types follow. */
	{ MSR_MTRR_CAP, MSR_MTRR_CAP },
	{ MSR_MTRR_PHYSBASE0, MSR_MTRR_PHYSBASE0 + 2 * MTRR_MAX_VARIABLE - 1 },
	{ MSR_MTRR_FIX64K, MSR_MTRR_FIX64K },
	{ MSR_MTRR_FIX16K_0, MSR_MTRR_FIX16K_1 },
	{ MSR_MTRR_FIX4K_0, MSR_MTRR_FIX4K_0 + 7 },
	{ MSR_MTRR_DEF_TYPE, MSR_MTRR_DEF_TYPE },
};

static void bitmap_set(uint8_t *bitmap, uint32_t offset, uint32_t index)
{
	bitmap[offset + index / 8] |= (uint8_t)(1u << (index % 8));
}

void vm_msr_bitmap_init(uint8_t *bitmap)
{
	memset(bitmap, 0, 4096);
	for (size_t i = 0; i < sizeof(trapped_msrs) / sizeof(trapped_msrs[0]); i++) {
		for (uint32_t msr = trapped_msrs[i].first; msr <= trapped_msrs[i].last; msr++) {
			/* Only the low range (0-0x1fff) holds MSRs we trap today. */
			bitmap_set(bitmap, MSR_BITMAP_READ_LOW, msr);
			bitmap_set(bitmap, MSR_BITMAP_WRITE_LOW, msr);
		}
	}
}

/* The local APIC's MSRs belong to the vCPU's virtual LAPIC. */
static bool is_vlapic_msr(uint32_t msr)
{
	return msr == MSR_IA32_APIC_BASE || msr == MSR_IA32_TSC_DEADLINE ||
	       (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST);
}

static void inject_gp(struct vcpu *vcpu)
{
	vcpu_inject_exception(vcpu, 13, true, 0);
}

/* Completes RDMSR: EDX:EAX on success, #GP when the model refused (err != 0). */
static void rdmsr_done(struct vcpu *vcpu, int err, uint64_t value)
{
	if (err) {
		inject_gp(vcpu);
		return;
	}
	vcpu->regs.gpr[GUEST_RAX] = (uint32_t)value;
	vcpu->regs.gpr[GUEST_RDX] = value >> 32;
	vcpu_skip_instruction(vcpu);
}

/* The MTRR MSRs the bitmap traps (the VM's state decides which of them exist). */
static bool is_mtrr_msr(const struct vcpu *vcpu, uint32_t msr)
{
	return mtrr_is_msr(&vcpu->vm->mtrr, msr) ||
	       (msr >= MSR_MTRR_PHYSBASE0 && msr < MSR_MTRR_PHYSBASE0 + 2 * MTRR_MAX_VARIABLE);
}

void vmexit_rdmsr(struct vcpu *vcpu)
{
	uint32_t msr = (uint32_t)vcpu->regs.gpr[GUEST_RCX];
	uint64_t value = 0;

	if (is_vlapic_msr(msr)) {
		int err = vlapic_rdmsr(&vcpu->vlapic, msr, &value);

		rdmsr_done(vcpu, err, value);
		return;
	}
	if (is_mtrr_msr(vcpu, msr)) {
		int err = mtrr_read(&vcpu->vm->mtrr, msr, &value);

		rdmsr_done(vcpu, err, value);
		return;
	}
	switch (msr) {
	case MSR_IA32_FEATURE_CONTROL:
		/* Locked with VMX off: guests see no VMX. */
		value = FEATURE_CONTROL_LOCKED;
		break;
	case MSR_IA32_MISC_ENABLE:
		/* Answered here: some CPUs (and Bochs) lack it, and guests read it on every CPU. */
		value = MISC_ENABLE_VIRTUAL;
		break;
	default:
		/* VMX capabilities are not offered to the guest. */
		inject_gp(vcpu);
		return;
	}
	rdmsr_done(vcpu, 0, value);
}

void vmexit_wrmsr(struct vcpu *vcpu)
{
	uint32_t msr = (uint32_t)vcpu->regs.gpr[GUEST_RCX];
	uint64_t value = (vcpu->regs.gpr[GUEST_RDX] << 32) | (uint32_t)vcpu->regs.gpr[GUEST_RAX];

	if (is_vlapic_msr(msr)) {
		if (vlapic_wrmsr(&vcpu->vlapic, msr, value) != 0) {
			inject_gp(vcpu);
			return;
		}
		vcpu_skip_instruction(vcpu);
		return;
	}
	if (is_mtrr_msr(vcpu, msr)) {
		uint64_t old;

		if (mtrr_read(&vcpu->vm->mtrr, msr, &old) != 0 ||
		    mtrr_write(&vcpu->vm->mtrr, msr, value) != 0) {
			inject_gp(vcpu);
			return;
		}
		vcpu_skip_instruction(vcpu);
		/* Every AP writes the same values at start-up: only a change costs an EPT walk. */
		if (old != value && vcpu->vm->is_service_vm)
			service_vm_memory_types_changed(vcpu);
		return;
	}
	switch (msr) {
	case MSR_IA32_MISC_ENABLE:
		/* Accepted and ignored: the hypervisor owns these bits. */
		pr_debug("vcpu %u: WRMSR 0x%x <- 0x%llx ignored", vcpu->id, msr,
			 (unsigned long long)value);
		break;
	default:
		inject_gp(vcpu);
		return;
	}
	vcpu_skip_instruction(vcpu);
}
