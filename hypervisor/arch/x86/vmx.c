/* SPDX-License-Identifier: BSD-3-Clause */
#include "arch/x86/vmx.h"

#include "arch/x86/cpu.h"
#include "debug/log.h"
#include "lib/format.h"
#include "lib/string.h"

#define MSR_VMX_BASIC	       0x480
#define MSR_VMX_PINBASED       0x481
#define MSR_VMX_PROCBASED      0x482
#define MSR_VMX_EXIT	       0x483
#define MSR_VMX_ENTRY	       0x484
#define MSR_VMX_MISC	       0x485
#define MSR_VMX_CR0_FIXED0     0x486
#define MSR_VMX_CR0_FIXED1     0x487
#define MSR_VMX_CR4_FIXED0     0x488
#define MSR_VMX_CR4_FIXED1     0x489
#define MSR_VMX_PROCBASED2     0x48b
#define MSR_VMX_EPT_VPID_CAP   0x48c
#define MSR_VMX_TRUE_PINBASED  0x48d
#define MSR_VMX_TRUE_PROCBASED 0x48e
#define MSR_VMX_TRUE_EXIT      0x48f
#define MSR_VMX_TRUE_ENTRY     0x490

#define FEATURE_CONTROL_LOCK		(1ull << 0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ull << 2)

#define BASIC_TRUE_CONTROLS (1ull << 55)

#define PIN_PREEMPTION_TIMER	 (1ull << 6)
#define PIN_POSTED_INTERRUPTS	 (1ull << 7)
#define PROC_USE_IO_BITMAPS	 (1ull << 25)
#define PROC_USE_MSR_BITMAPS	 (1ull << 28)
#define PROC_SECONDARY		 (1ull << 31)
#define PROC2_EPT		 (1ull << 1)
#define PROC2_X2APIC_VIRT	 (1ull << 4)
#define PROC2_VPID		 (1ull << 5)
#define PROC2_UNRESTRICTED	 (1ull << 7)
#define PROC2_APIC_REG_VIRT	 (1ull << 8)
#define PROC2_VIRT_INTR_DELIVERY (1ull << 9)
#define EXIT_ACK_INTERRUPT	 (1ull << 15)
#define EXIT_SAVE_EFER		 (1ull << 20)
#define EXIT_LOAD_EFER		 (1ull << 21)
#define ENTRY_LOAD_EFER		 (1ull << 15)
#define EPT_WALK_4		 (1ull << 6)
#define EPT_WB			 (1ull << 14)
#define EPT_2M			 (1ull << 16)
#define EPT_1G			 (1ull << 17)
#define EPT_INVEPT		 (1ull << 20)
#define EPT_INVEPT_SINGLE	 (1ull << 25)
#define VPID_INVVPID		 (1ull << 32)

struct vmx_caps vmx_caps;

static uint8_t vmxon_regions[HV_MAX_CPUS][PAGE_SIZE] HV_NOINIT_PAGES;

static bool cpu_has_vmx(void)
{
	struct cpuid_regs r;

	cpuid_count(1, 0, &r);
	return (r.ecx >> 5) & 1;
}

/* Allowed-1 settings of a control are in bits 63:32 of its capability MSR. */
static bool allows(uint64_t cap_msr_value, uint64_t control)
{
	return ((cap_msr_value >> 32) & control) == control;
}

struct missing_list {
	char *buf;
	size_t size;
	size_t used;
	int count;
};

static void require(struct missing_list *m, bool present, const char *what)
{
	if (present)
		return;
	m->used += format_buf(m->buf + m->used, m->used < m->size ? m->size - m->used : 0, "%s%s",
			      m->count ? ", " : "", what);
	if (m->used >= m->size)
		m->used = m->size;
	m->count++;
}

static void vmx_read_capabilities(void)
{
	struct vmx_caps *c = &vmx_caps;

	c->basic = rdmsr(MSR_VMX_BASIC);
	c->revision = (uint32_t)(c->basic & 0x7fffffff);
	c->true_controls = c->basic & BASIC_TRUE_CONTROLS;
	c->pinbased = rdmsr(c->true_controls ? MSR_VMX_TRUE_PINBASED : MSR_VMX_PINBASED);
	c->procbased = rdmsr(c->true_controls ? MSR_VMX_TRUE_PROCBASED : MSR_VMX_PROCBASED);
	c->exit = rdmsr(c->true_controls ? MSR_VMX_TRUE_EXIT : MSR_VMX_EXIT);
	c->entry = rdmsr(c->true_controls ? MSR_VMX_TRUE_ENTRY : MSR_VMX_ENTRY);
	c->misc = rdmsr(MSR_VMX_MISC);
	c->cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);
	c->cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIXED1);
	c->cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIXED0);
	c->cr4_fixed1 = rdmsr(MSR_VMX_CR4_FIXED1);
	/* The secondary and EPT/VPID MSRs exist only when secondary controls can be used. */
	if (allows(c->procbased, PROC_SECONDARY)) {
		c->procbased2 = rdmsr(MSR_VMX_PROCBASED2);
		if (allows(c->procbased2, PROC2_EPT) || allows(c->procbased2, PROC2_VPID))
			c->ept_vpid = rdmsr(MSR_VMX_EPT_VPID_CAP);
	}
	c->ept = allows(c->procbased2, PROC2_EPT);
	c->vpid = allows(c->procbased2, PROC2_VPID);
	c->unrestricted_guest = allows(c->procbased2, PROC2_UNRESTRICTED);
	c->apic_register_virt = allows(c->procbased2, PROC2_APIC_REG_VIRT);
	c->virtual_interrupt_delivery = allows(c->procbased2, PROC2_VIRT_INTR_DELIVERY);
	c->x2apic_virt = allows(c->procbased2, PROC2_X2APIC_VIRT);
	c->posted_interrupts = allows(c->pinbased, PIN_POSTED_INTERRUPTS);
	c->preemption_timer = allows(c->pinbased, PIN_PREEMPTION_TIMER);
	c->ept_2m = c->ept_vpid & EPT_2M;
	c->ept_1g = c->ept_vpid & EPT_1G;
}

bool vmx_check_capabilities(char *missing, size_t size)
{
	struct missing_list m = { .buf = missing, .size = size, .used = 0, .count = 0 };
	uint64_t feature_control;
	struct vmx_caps *c = &vmx_caps;

	missing[0] = '\0';
	if (!cpu_has_vmx()) {
		require(&m, false, "VMX (CPUID.1:ECX.VMX[bit 5] is 0)");
		return false;
	}
	feature_control = rdmsr(MSR_IA32_FEATURE_CONTROL);
	require(&m,
		!(feature_control & FEATURE_CONTROL_LOCK) ||
		    (feature_control & FEATURE_CONTROL_VMX_OUTSIDE_SMX),
		"VMX disabled and locked by firmware (IA32_FEATURE_CONTROL)");
	vmx_read_capabilities();
	require(&m, allows(c->procbased, PROC_SECONDARY), "secondary processor-based controls");
	require(&m, c->ept, "EPT");
	if (c->ept) {
		require(&m, c->ept_vpid & EPT_WALK_4, "EPT 4-level page walk");
		require(&m, c->ept_vpid & EPT_WB, "EPT write-back memory type");
		require(&m, (c->ept_vpid & EPT_INVEPT) && (c->ept_vpid & EPT_INVEPT_SINGLE),
			"INVEPT single-context");
	}
	require(&m, c->vpid, "VPID");
	if (c->vpid)
		require(&m, c->ept_vpid & VPID_INVVPID, "INVVPID");
	require(&m, c->unrestricted_guest, "unrestricted guest");
	require(&m, allows(c->procbased, PROC_USE_MSR_BITMAPS), "MSR bitmaps");
	require(&m, allows(c->procbased, PROC_USE_IO_BITMAPS), "I/O bitmaps");
	require(&m, allows(c->entry, ENTRY_LOAD_EFER), "load EFER on VM entry");
	require(&m, allows(c->exit, EXIT_SAVE_EFER), "save EFER on VM exit");
	require(&m, allows(c->exit, EXIT_LOAD_EFER), "load EFER on VM exit");
	require(&m, allows(c->exit, EXIT_ACK_INTERRUPT), "acknowledge interrupt on exit");
	return m.count == 0;
}

static const char *yes_no(bool v)
{
	return v ? "yes" : "no";
}

void vmx_format_summary(char *buf, size_t size)
{
	const struct vmx_caps *c = &vmx_caps;

	format_buf(buf, size,
		   "EPT %s (2M %s, 1G %s), VPID %s, unrestricted guest %s, "
		   "APIC-register virtualization %s, virtual-interrupt delivery %s, "
		   "posted interrupts %s, preemption timer %s",
		   yes_no(c->ept), yes_no(c->ept_2m), yes_no(c->ept_1g), yes_no(c->vpid),
		   yes_no(c->unrestricted_guest), yes_no(c->apic_register_virt),
		   yes_no(c->virtual_interrupt_delivery), yes_no(c->posted_interrupts),
		   yes_no(c->preemption_timer));
}

static void vmx_fail(struct per_cpu *cpu, const char *reason)
{
	str_copy(cpu->fail_reason, reason, sizeof(cpu->fail_reason));
	__atomic_store_n(&cpu->state, CPU_FAILED, __ATOMIC_RELEASE);
	pr_err("vmx: CPU %u cannot enter VMX root: %s", cpu->index, reason);
}

void vmx_enable_this_cpu(struct per_cpu *cpu)
{
	const struct vmx_caps *c = &vmx_caps;
	uint64_t feature_control, cr0, cr4;
	uint64_t region = (uint64_t)(uintptr_t)vmxon_regions[cpu->index];
	uint8_t failed_invalid, failed_valid;

	/* CPUs of one machine can differ (firmware bugs): check each one itself. */
	if (!cpu_has_vmx()) {
		vmx_fail(cpu, "no VMX (CPUID.1:ECX.VMX is 0)");
		return;
	}
	feature_control = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if (!(feature_control & FEATURE_CONTROL_LOCK)) {
		wrmsr(MSR_IA32_FEATURE_CONTROL,
		      feature_control | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX);
	} else if (!(feature_control & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
		vmx_fail(cpu, "VMX disabled and locked by firmware (IA32_FEATURE_CONTROL)");
		return;
	}

	/* Guests' XSETBV is executed by the hypervisor, which needs XSAVE enabled for that. */
	{
		struct cpuid_regs r;

		cpuid_count(1, 0, &r);
		if (r.ecx & (1u << 26))
			write_cr4(read_cr4() | CR4_OSXSAVE);
	}
	cr0 = (read_cr0() | c->cr0_fixed0) & c->cr0_fixed1;
	cr4 = (read_cr4() | c->cr4_fixed0 | CR4_VMXE) & c->cr4_fixed1;
	if (!(cr4 & CR4_VMXE)) {
		vmx_fail(cpu, "CR4.VMXE may not be set (IA32_VMX_CR4_FIXED1)");
		return;
	}
	write_cr0(cr0);
	write_cr4(cr4);

	memset(vmxon_regions[cpu->index], 0, PAGE_SIZE);
	memcpy(vmxon_regions[cpu->index], &c->revision, sizeof(c->revision));
	__asm__ volatile("vmxon %2\n\t"
			 "setc %0\n\t"
			 "setz %1"
			 : "=r"(failed_invalid), "=r"(failed_valid)
			 : "m"(region)
			 : "cc", "memory");
	if (failed_invalid || failed_valid) {
		vmx_fail(cpu, failed_invalid ? "VMXON failed (VMfailInvalid)"
					     : "VMXON failed (VMfailValid)");
		return;
	}
	cpu->vmxon_phys = region;
	__atomic_store_n(&cpu->state, CPU_VMX_ROOT, __ATOMIC_RELEASE);
}

void vmx_off_this_cpu(void)
{
	/* VMXOFF outside VMX operation is #UD: only leave if this CPU entered. */
	if (!(read_cr4() & CR4_VMXE))
		return;
	if (this_cpu()->vmxon_phys)
		__asm__ volatile("vmxoff" ::: "cc", "memory");
	write_cr4(read_cr4() & ~CR4_VMXE);
}
