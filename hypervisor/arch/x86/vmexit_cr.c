/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CR0/CR4 virtualization. The host owns the bits VMX operation requires
 * (CR0.NE, CR4.VMXE and bits the CPU does not support); the guest sees its
 * own values in the read shadows and owns everything else directly, so most
 * guest writes cause no exit at all.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/vmexit.h"
#include "arch/x86/vmx.h"

#define CR0_NW		   (1ull << 29)
#define CR0_CD		   (1ull << 30)
#define EFER_LMA	   (1ull << 10)
#define XCR0_X87	   1ull
#define XCR0_SSE	   2ull
#define XCR0_AVX	   4ull
#define CR_ACCESS_MOV_TO   0
#define CR_ACCESS_MOV_FROM 1
#define CR_ACCESS_CLTS	   2
#define CR_ACCESS_LMSW	   3

uint64_t vcpu_cr0_host_owned(void)
{
	/* Unrestricted guest lifts the PE and PG requirements; the rest of FIXED0 stays ours. */
	return (vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG)) | ~vmx_caps.cr0_fixed1;
}

uint64_t vcpu_cr4_host_owned(void)
{
	return vmx_caps.cr4_fixed0 | ~vmx_caps.cr4_fixed1;
}

uint64_t vcpu_guest_cr0_real(uint64_t guest_value)
{
	return (guest_value | (vmx_caps.cr0_fixed0 & ~(CR0_PE | CR0_PG))) & vmx_caps.cr0_fixed1;
}

uint64_t vcpu_guest_cr4_real(uint64_t guest_value)
{
	return (guest_value | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1;
}

/* What the guest reads: its own bits where it owns them, the shadow where the host does. */
uint64_t vcpu_visible_cr0(void)
{
	uint64_t mask = vmcs_read(VMCS_CR0_MASK);

	return (vmcs_read(VMCS_GUEST_CR0) & ~mask) | (vmcs_read(VMCS_CR0_SHADOW) & mask);
}

uint64_t vcpu_visible_cr4(void)
{
	uint64_t mask = vmcs_read(VMCS_CR4_MASK);

	return (vmcs_read(VMCS_GUEST_CR4) & ~mask) | (vmcs_read(VMCS_CR4_SHADOW) & mask);
}

static void inject_gp(struct vcpu *vcpu)
{
	vcpu_inject_exception(vcpu, 13, true, 0);
}

static void cr0_write(struct vcpu *vcpu, uint64_t value)
{
	uint64_t old = vcpu_visible_cr0();
	uint64_t efer = vmcs_read(VMCS_GUEST_EFER);
	uint64_t entry = vmcs_read(VMCS_ENTRY_CONTROLS);

	/* The architectural #GP cases of MOV to CR0. */
	if ((value >> 32) || ((value & CR0_PG) && !(value & CR0_PE)) ||
	    ((value & CR0_NW) && !(value & CR0_CD))) {
		inject_gp(vcpu);
		return;
	}
	/* Long mode becomes active when paging is turned on with EFER.LME set, and vice versa. */
	if ((value & CR0_PG) && !(old & CR0_PG) && (efer & EFER_LME)) {
		efer |= EFER_LMA;
		entry |= ENTRY_IA32E_MODE_GUEST;
	} else if (!(value & CR0_PG) && (old & CR0_PG)) {
		efer &= ~EFER_LMA;
		entry &= ~ENTRY_IA32E_MODE_GUEST;
	}
	vmcs_write(VMCS_GUEST_EFER, efer);
	vmcs_write(VMCS_ENTRY_CONTROLS, entry);
	vmcs_write(VMCS_CR0_SHADOW, value | CR0_ET);
	vmcs_write(VMCS_GUEST_CR0, vcpu_guest_cr0_real(value | CR0_ET));
	vcpu_skip_instruction(vcpu);
}

static void cr4_write(struct vcpu *vcpu, uint64_t value)
{
	/* VMX is not offered to guests; bits the CPU lacks are reserved. */
	if ((value & CR4_VMXE) || (value & ~vmx_caps.cr4_fixed1 & ~CR4_VMXE)) {
		inject_gp(vcpu);
		return;
	}
	vmcs_write(VMCS_CR4_SHADOW, value);
	vmcs_write(VMCS_GUEST_CR4, vcpu_guest_cr4_real(value));
	vcpu_skip_instruction(vcpu);
}

void vmexit_cr_access(struct vcpu *vcpu)
{
	uint64_t q = vcpu->exit_qualification;
	uint32_t cr = q & 0xf;
	uint32_t type = (q >> 4) & 3;
	uint32_t reg = (q >> 8) & 0xf;
	uint64_t value = vcpu->regs.gpr[reg];

	if (type == CR_ACCESS_MOV_TO && cr == 0) {
		cr0_write(vcpu, value);
	} else if (type == CR_ACCESS_MOV_TO && cr == 4) {
		cr4_write(vcpu, value);
	} else if (type == CR_ACCESS_CLTS) {
		cr0_write(vcpu, vcpu_visible_cr0() & ~CR0_TS);
	} else if (type == CR_ACCESS_LMSW) {
		/* LMSW loads CR0 bits 3:0 but can never clear PE. */
		uint64_t msw = (q >> 16) & 0xf;
		uint64_t cr0 = vcpu_visible_cr0();

		cr0_write(vcpu, (cr0 & ~0xeull) | (msw & 0xe) | ((cr0 | msw) & CR0_PE));
	} else {
		vcpu_fail(vcpu, "unexpected control-register access exit");
	}
}

void vmexit_xsetbv(struct vcpu *vcpu)
{
	uint64_t *g = vcpu->regs.gpr;
	uint64_t value = (g[GUEST_RDX] << 32) | (uint32_t)g[GUEST_RAX];
	struct cpuid_regs r;
	uint64_t supported;

	cpuid_count(0xd, 0, &r);
	supported = ((uint64_t)r.edx << 32) | r.eax;
	/* The SDM's #GP conditions: only XCR0, x87 always on, AVX needs SSE, nothing unsupported.
	 */
	if ((uint32_t)g[GUEST_RCX] != 0 || !(value & XCR0_X87) || (value & ~supported) ||
	    ((value & XCR0_AVX) && !(value & XCR0_SSE)) || !(vcpu_visible_cr4() & CR4_OSXSAVE)) {
		inject_gp(vcpu);
		return;
	}
	__asm__ volatile("xsetbv" ::"c"(0), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
	vcpu_skip_instruction(vcpu);
}
