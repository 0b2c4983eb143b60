/* SPDX-License-Identifier: BSD-3-Clause */
/* CPUID as the Service VM sees it: the host's, minus what is virtualized or hidden. */
#include "arch/x86/cpu.h"
#include "arch/x86/tsc.h"
#include "arch/x86/vmexit.h"
#include "arch/x86/vcpu.h"
#include "core/vm.h"

#define CPUID_HV_BASE		0x40000000u
#define CPUID_HV_FEATURES	0x40000001u
#define CPUID_HV_TIMING		0x40000010u
#define ACRN_SIGNATURE		0x4e524341u /* "ACRN" */
#define ACRN_PRIVILEGED_VM	(1u << 0)
#define CPUID1_ECX_MONITOR	(1u << 3)
#define CPUID1_ECX_VMX		(1u << 5)
#define CPUID1_ECX_X2APIC	(1u << 21)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID1_ECX_OSXSAVE	(1u << 27)
#define CPUID1_EDX_APIC		(1u << 9)
#define CPUID6_EAX_ARAT		(1u << 2)

static void cpuid_hypervisor_leaves(const struct vcpu *vcpu, uint32_t leaf, struct cpuid_regs *r)
{
	r->eax = r->ebx = r->ecx = r->edx = 0;
	switch (leaf) {
	case CPUID_HV_BASE:
		r->eax = CPUID_HV_TIMING;
		r->ebx = r->ecx = r->edx = ACRN_SIGNATURE;
		break;
	case CPUID_HV_FEATURES:
		r->eax = vcpu->vm->is_service_vm ? ACRN_PRIVILEGED_VM : 0;
		break;
	case CPUID_HV_TIMING:
		r->eax = (uint32_t)(tsc_hz() / 1000);
		break;
	default:
		break;
	}
}

/*
 * What differs from the host: no VMX or MONITOR; the virtual LAPIC (xAPIC,
 * x2APIC, TSC deadline, always-running timer); the TSC frequency the
 * hypervisor measured, as a 1:1 "crystal", which is also the vLAPIC
 * timer's rate, so Linux needs no calibration and gets it right.
 */
static void virtualize_leaf(const struct vcpu *vcpu, uint32_t leaf, struct cpuid_regs *r)
{
	uint32_t tsc_mhz = (uint32_t)(tsc_hz() / 1000000);

	switch (leaf) {
	case 1:
		r->ecx &= ~(CPUID1_ECX_VMX | CPUID1_ECX_MONITOR);
		r->ecx |= CPUID1_ECX_HYPERVISOR | CPUID1_ECX_X2APIC | CPUID1_ECX_TSC_DEADLINE;
		/* OSXSAVE mirrors the guest's CR4, not the hypervisor's. */
		r->ecx &= ~CPUID1_ECX_OSXSAVE;
		if (vcpu_visible_cr4() & CR4_OSXSAVE)
			r->ecx |= CPUID1_ECX_OSXSAVE;
		r->edx |= CPUID1_EDX_APIC;
		r->ebx = (r->ebx & 0x00ffffffu) | ((vcpu->vlapic.apic_id & 0xff) << 24);
		break;
	case 5: /* MONITOR/MWAIT: hidden above */
		r->eax = r->ebx = r->ecx = r->edx = 0;
		break;
	case 6:
		r->eax |= CPUID6_EAX_ARAT;
		break;
	case 0x15:
		r->eax = 1;
		r->ebx = 1;
		r->ecx = (uint32_t)tsc_hz();
		break;
	case 0x16:
		r->eax = tsc_mhz;
		r->ebx = tsc_mhz;
		break;
	default:
		break;
	}
}

void vmexit_cpuid(struct vcpu *vcpu)
{
	uint64_t *g = vcpu->regs.gpr;
	uint32_t leaf = (uint32_t)g[GUEST_RAX];
	uint32_t subleaf = (uint32_t)g[GUEST_RCX];
	struct cpuid_regs r;

	if (leaf >= CPUID_HV_BASE && leaf <= CPUID_HV_BASE + 0xff) {
		cpuid_hypervisor_leaves(vcpu, leaf, &r);
	} else {
		cpuid_count(leaf, subleaf, &r);
		virtualize_leaf(vcpu, leaf, &r);
	}
	g[GUEST_RAX] = r.eax;
	g[GUEST_RBX] = r.ebx;
	g[GUEST_RCX] = r.ecx;
	g[GUEST_RDX] = r.edx;
	vcpu_skip_instruction(vcpu);
}
