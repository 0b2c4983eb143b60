/* SPDX-License-Identifier: BSD-3-Clause */
/* VMCS field encodings (Intel SDM vol. 3, appendix B) and the instructions on them. */
#ifndef HV_ARCH_X86_VMCS_H
#define HV_ARCH_X86_VMCS_H

#include <stdbool.h>
#include <stdint.h>

/* 16-bit fields */
#define VMCS_VPID	    0x0000
#define VMCS_GUEST_ES_SEL   0x0800
#define VMCS_GUEST_CS_SEL   0x0802
#define VMCS_GUEST_SS_SEL   0x0804
#define VMCS_GUEST_DS_SEL   0x0806
#define VMCS_GUEST_FS_SEL   0x0808
#define VMCS_GUEST_GS_SEL   0x080a
#define VMCS_GUEST_LDTR_SEL 0x080c
#define VMCS_GUEST_TR_SEL   0x080e
#define VMCS_HOST_ES_SEL    0x0c00
#define VMCS_HOST_CS_SEL    0x0c02
#define VMCS_HOST_SS_SEL    0x0c04
#define VMCS_HOST_DS_SEL    0x0c06
#define VMCS_HOST_FS_SEL    0x0c08
#define VMCS_HOST_GS_SEL    0x0c0a
#define VMCS_HOST_TR_SEL    0x0c0c
/* 64-bit fields */
#define VMCS_IO_BITMAP_A       0x2000
#define VMCS_IO_BITMAP_B       0x2002
#define VMCS_MSR_BITMAP	       0x2004
#define VMCS_EXIT_MSR_STORE    0x2006
#define VMCS_EXIT_MSR_LOAD     0x2008
#define VMCS_ENTRY_MSR_LOAD    0x200a
#define VMCS_TSC_OFFSET	       0x2010
#define VMCS_EPT_POINTER       0x201a
#define VMCS_VIRTUAL_APIC_ADDR 0x2012
#define VMCS_APIC_ACCESS_ADDR  0x2014
#define VMCS_EOI_EXIT0	       0x201c /* 4 x 64 bits: 0x201c, 0x201e, 0x2020, 0x2022 */
#define VMCS_GUEST_INTR_STATUS 0x0810 /* RVI in bits 7:0, SVI in 15:8 */
#define VMCS_GUEST_PHYS_ADDR   0x2400
#define VMCS_LINK_POINTER      0x2800
#define VMCS_GUEST_DEBUGCTL    0x2802
#define VMCS_GUEST_PAT	       0x2804
#define VMCS_GUEST_EFER	       0x2806
#define VMCS_HOST_PAT	       0x2c00
#define VMCS_HOST_EFER	       0x2c02
/* 32-bit control fields */
#define VMCS_PIN_CONTROLS	   0x4000
#define VMCS_PROC_CONTROLS	   0x4002
#define VMCS_EXCEPTION_BITMAP	   0x4004
#define VMCS_PF_ERROR_MASK	   0x4006
#define VMCS_PF_ERROR_MATCH	   0x4008
#define VMCS_CR3_TARGET_COUNT	   0x400a
#define VMCS_EXIT_CONTROLS	   0x400c
#define VMCS_EXIT_MSR_STORE_COUNT  0x400e
#define VMCS_EXIT_MSR_LOAD_COUNT   0x4010
#define VMCS_ENTRY_CONTROLS	   0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT  0x4014
#define VMCS_ENTRY_INTR_INFO	   0x4016
#define VMCS_ENTRY_EXCEPTION_ERROR 0x4018
#define VMCS_ENTRY_INSTR_LEN	   0x401a
#define VMCS_TPR_THRESHOLD	   0x401c
#define VMCS_PROC2_CONTROLS	   0x401e
/* 32-bit read-only fields */
#define VMCS_INSTR_ERROR	 0x4400
#define VMCS_EXIT_REASON	 0x4402
#define VMCS_EXIT_INTR_INFO	 0x4404
#define VMCS_EXIT_INTR_ERROR	 0x4406
#define VMCS_IDT_VECTORING_INFO	 0x4408
#define VMCS_IDT_VECTORING_ERROR 0x440a
#define VMCS_EXIT_INSTR_LEN	 0x440c
#define VMCS_EXIT_INSTR_INFO	 0x440e
/* 32-bit guest-state fields */
#define VMCS_GUEST_ES_LIMIT	    0x4800
#define VMCS_GUEST_CS_LIMIT	    0x4802
#define VMCS_GUEST_SS_LIMIT	    0x4804
#define VMCS_GUEST_DS_LIMIT	    0x4806
#define VMCS_GUEST_FS_LIMIT	    0x4808
#define VMCS_GUEST_GS_LIMIT	    0x480a
#define VMCS_GUEST_LDTR_LIMIT	    0x480c
#define VMCS_GUEST_TR_LIMIT	    0x480e
#define VMCS_GUEST_GDTR_LIMIT	    0x4810
#define VMCS_GUEST_IDTR_LIMIT	    0x4812
#define VMCS_GUEST_ES_AR	    0x4814
#define VMCS_GUEST_CS_AR	    0x4816
#define VMCS_GUEST_SS_AR	    0x4818
#define VMCS_GUEST_DS_AR	    0x481a
#define VMCS_GUEST_FS_AR	    0x481c
#define VMCS_GUEST_GS_AR	    0x481e
#define VMCS_GUEST_LDTR_AR	    0x4820
#define VMCS_GUEST_TR_AR	    0x4822
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824
#define VMCS_GUEST_ACTIVITY	    0x4826
#define VMCS_GUEST_SYSENTER_CS	    0x482a
#define VMCS_HOST_SYSENTER_CS	    0x4c00
/* natural-width fields */
#define VMCS_CR0_MASK		0x6000
#define VMCS_CR4_MASK		0x6002
#define VMCS_CR0_SHADOW		0x6004
#define VMCS_CR4_SHADOW		0x6006
#define VMCS_EXIT_QUALIFICATION 0x6400
#define VMCS_GUEST_LINEAR_ADDR	0x640a
#define VMCS_GUEST_CR0		0x6800
#define VMCS_GUEST_CR3		0x6802
#define VMCS_GUEST_CR4		0x6804
#define VMCS_GUEST_ES_BASE	0x6806
#define VMCS_GUEST_CS_BASE	0x6808
#define VMCS_GUEST_SS_BASE	0x680a
#define VMCS_GUEST_DS_BASE	0x680c
#define VMCS_GUEST_FS_BASE	0x680e
#define VMCS_GUEST_GS_BASE	0x6810
#define VMCS_GUEST_LDTR_BASE	0x6812
#define VMCS_GUEST_TR_BASE	0x6814
#define VMCS_GUEST_GDTR_BASE	0x6816
#define VMCS_GUEST_IDTR_BASE	0x6818
#define VMCS_GUEST_DR7		0x681a
#define VMCS_GUEST_RSP		0x681c
#define VMCS_GUEST_RIP		0x681e
#define VMCS_GUEST_RFLAGS	0x6820
#define VMCS_GUEST_PENDING_DBG	0x6822
#define VMCS_GUEST_SYSENTER_ESP 0x6824
#define VMCS_GUEST_SYSENTER_EIP 0x6826
#define VMCS_HOST_CR0		0x6c00
#define VMCS_HOST_CR3		0x6c02
#define VMCS_HOST_CR4		0x6c04
#define VMCS_HOST_FS_BASE	0x6c06
#define VMCS_HOST_GS_BASE	0x6c08
#define VMCS_HOST_TR_BASE	0x6c0a
#define VMCS_HOST_GDTR_BASE	0x6c0c
#define VMCS_HOST_IDTR_BASE	0x6c0e
#define VMCS_HOST_SYSENTER_ESP	0x6c10
#define VMCS_HOST_SYSENTER_EIP	0x6c12
#define VMCS_HOST_RSP		0x6c14
#define VMCS_HOST_RIP		0x6c16

/* Control bits */
#define PIN_EXTERNAL_INTERRUPT_EXITING (1u << 0)
#define PIN_NMI_EXITING		       (1u << 3)
#define PIN_VIRTUAL_NMIS	       (1u << 5)
#define PROC_INTERRUPT_WINDOW_EXITING  (1u << 2)
#define PROC_NMI_WINDOW_EXITING	       (1u << 22)
#define PROC_HLT_EXITING	       (1u << 7)
#define PROC_USE_TPR_SHADOW	       (1u << 21)
#define PROC_UNCONDITIONAL_IO	       (1u << 24)
#define PROC_USE_IO_BITMAPS	       (1u << 25)
#define PROC_USE_MSR_BITMAPS	       (1u << 28)
#define PROC_PAUSE_EXITING	       (1u << 30)
#define PROC_ACTIVATE_SECONDARY	       (1u << 31)
#define PROC2_VIRTUALIZE_APIC_ACCESSES (1u << 0)
#define PROC2_ENABLE_EPT	       (1u << 1)
#define PROC2_APIC_REGISTER_VIRT       (1u << 8)
#define PROC2_VIRTUAL_INTR_DELIVERY    (1u << 9)
#define PROC2_ENABLE_RDTSCP	       (1u << 3)
#define PROC2_ENABLE_VPID	       (1u << 5)
#define PROC2_UNRESTRICTED_GUEST       (1u << 7)
#define PROC2_ENABLE_INVPCID	       (1u << 12)
#define PROC2_ENABLE_XSAVES	       (1u << 20)
#define EXIT_HOST_ADDRESS_SPACE_64     (1u << 9)
#define EXIT_ACK_INTERRUPT	       (1u << 15)
#define EXIT_SAVE_PAT		       (1u << 18)
#define EXIT_LOAD_PAT		       (1u << 19)
#define EXIT_SAVE_EFER		       (1u << 20)
#define EXIT_LOAD_EFER		       (1u << 21)
#define ENTRY_IA32E_MODE_GUEST	       (1u << 9)
#define ENTRY_LOAD_PAT		       (1u << 14)
#define ENTRY_LOAD_EFER		       (1u << 15)

/* VM-entry interruption information */
#define INTR_INFO_VALID		(1u << 31)
#define INTR_INFO_DELIVER_ERROR (1u << 11)
#define INTR_TYPE_EXTERNAL	(0u << 8)
#define INTR_TYPE_NMI		(2u << 8)
#define INTR_TYPE_HW_EXCEPTION	(3u << 8)
#define INTR_TYPE_MASK		(7u << 8)
#define INTR_TYPE_SW_INTERRUPT	(4u << 8)
#define INTR_TYPE_PRIV_SW_EXC	(5u << 8)
#define INTR_TYPE_SW_EXCEPTION	(6u << 8)

/* Guest interruptibility state. */
#define INTERRUPTIBILITY_STI	(1u << 0)
#define INTERRUPTIBILITY_MOV_SS (1u << 1)
#define INTERRUPTIBILITY_NMI	(1u << 3)

/* Exit reasons (basic, bits 15:0) */
#define EXIT_REASON_EXCEPTION_NMI	0
#define EXIT_REASON_EXTERNAL_INTR	1
#define EXIT_REASON_TRIPLE_FAULT	2
#define EXIT_REASON_INIT		3
#define EXIT_REASON_SIPI		4
#define EXIT_REASON_INTR_WINDOW		7
#define EXIT_REASON_NMI_WINDOW		8
#define EXIT_REASON_TASK_SWITCH		9
#define EXIT_REASON_CPUID		10
#define EXIT_REASON_GETSEC		11
#define EXIT_REASON_HLT			12
#define EXIT_REASON_INVD		13
#define EXIT_REASON_INVLPG		14
#define EXIT_REASON_RDPMC		15
#define EXIT_REASON_RDTSC		16
#define EXIT_REASON_RSM			17
#define EXIT_REASON_VMCALL		18
#define EXIT_REASON_VMCLEAR		19
#define EXIT_REASON_VMLAUNCH		20
#define EXIT_REASON_VMPTRLD		21
#define EXIT_REASON_VMPTRST		22
#define EXIT_REASON_VMREAD		23
#define EXIT_REASON_VMRESUME		24
#define EXIT_REASON_VMWRITE		25
#define EXIT_REASON_VMXOFF		26
#define EXIT_REASON_VMXON		27
#define EXIT_REASON_CR_ACCESS		28
#define EXIT_REASON_DR_ACCESS		29
#define EXIT_REASON_IO			30
#define EXIT_REASON_RDMSR		31
#define EXIT_REASON_WRMSR		32
#define EXIT_REASON_ENTRY_GUEST_STATE	33
#define EXIT_REASON_ENTRY_MSR_LOAD	34
#define EXIT_REASON_MWAIT		36
#define EXIT_REASON_MTF			37
#define EXIT_REASON_MONITOR		39
#define EXIT_REASON_PAUSE		40
#define EXIT_REASON_ENTRY_MACHINE_CHECK 41
#define EXIT_REASON_TPR_BELOW		43
#define EXIT_REASON_APIC_ACCESS		44
#define EXIT_REASON_EOI_INDUCED		45
#define EXIT_REASON_VIRTUALIZED_EOI	45
#define EXIT_REASON_GDTR_IDTR		46
#define EXIT_REASON_LDTR_TR		47
#define EXIT_REASON_EPT_VIOLATION	48
#define EXIT_REASON_EPT_MISCONFIG	49
#define EXIT_REASON_INVEPT		50
#define EXIT_REASON_RDTSCP		51
#define EXIT_REASON_PREEMPTION_TIMER	52
#define EXIT_REASON_INVVPID		53
#define EXIT_REASON_WBINVD		54
#define EXIT_REASON_XSETBV		55
#define EXIT_REASON_APIC_WRITE		56
#define EXIT_REASON_RDRAND		57
#define EXIT_REASON_INVPCID		58
#define EXIT_REASON_VMFUNC		59
#define EXIT_REASON_ENCLS		60
#define EXIT_REASON_RDSEED		61
#define EXIT_REASON_PML_FULL		62
#define EXIT_REASON_XSAVES		63
#define EXIT_REASON_XRSTORS		64
#define EXIT_REASON_COUNT		70
#define EXIT_REASON_ENTRY_FAILED	(1u << 31)

static inline uint64_t vmcs_read(uint32_t field)
{
	uint64_t value;

	__asm__ volatile("vmread %1, %0" : "=rm"(value) : "r"((uint64_t)field) : "cc");
	return value;
}

static inline void vmcs_write(uint32_t field, uint64_t value)
{
	__asm__ volatile("vmwrite %1, %0" ::"r"((uint64_t)field), "rm"(value) : "cc", "memory");
}

/* Returns true on success (neither CF nor ZF set). */
static inline bool vmcs_clear(uint64_t phys)
{
	uint8_t failed;

	__asm__ volatile("vmclear %1; setbe %0" : "=r"(failed) : "m"(phys) : "cc", "memory");
	return !failed;
}

static inline bool vmcs_load(uint64_t phys)
{
	uint8_t failed;

	__asm__ volatile("vmptrld %1; setbe %0" : "=r"(failed) : "m"(phys) : "cc", "memory");
	return !failed;
}

#endif
