/* SPDX-License-Identifier: BSD-3-Clause */
/* A virtual machine: its memory view (EPT), trapped I/O, vCPUs and boot state. */
#ifndef HV_CORE_VM_H
#define HV_CORE_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "include/layout.h"
#include "core/io_registry.h"
#include "core/mtrr.h"
#include "lib/pagetable.h"
#include "lib/spinlock.h"
#include "vdev/vioapic.h"
#include "vdev/vpic.h"

#define VM_NAME_MAX    32
#define VM_MAX_IOAPICS 8
#define VM_MAX_GSIS    176 /* VECTOR_GSI_FIRST..VECTOR_GSI_LAST */

enum vm_state {
	VM_CREATED,
	VM_RUNNING,
	VM_FAILED,
	VM_POWERED_OFF,
};

/* Where a vCPU starts: filled by the kernel loader. */
struct vm_boot_state {
	uint64_t entry;	    /* guest-physical RIP of the boot vCPU */
	uint64_t zero_page; /* RSI for the Linux boot protocol */
	uint64_t gdt_base;
	uint16_t gdt_limit;
};

struct vcpu;
struct vuart;

struct vm {
	uint16_t id;
	char name[VM_NAME_MAX];
	bool is_service_vm;
	enum vm_state state;
	struct pt_root ept;
	uint64_t eptp;
	uint8_t *io_bitmap;  /* two pages: ports 0-0x7fff, 0x8000-0xffff; bit set = exit */
	uint8_t *msr_bitmap; /* one page: read low/high, write low/high */
	struct vm_boot_state boot;
	uint32_t vcpu_count;
	struct vcpu *vcpus[HV_MAX_CPUS];
	struct vuart *console_uart;
	struct io_registry io;	/* emulated port and MMIO ranges */
	struct mtrr_state mtrr; /* the guest's MTRRs; EPT memory types follow them */
	bool apicv;	  /* TPR shadow, APIC-access page and APIC-register virtualization in use */
	bool vid;	  /* ... and virtual-interrupt delivery (only with apicv) */
	bool vid_erratum; /* vid forced on a processor with the Bochs erratum (service_vm.c) */
	uint64_t apic_access_page; /* host-physical page behind the xAPIC page with apicv */
	struct spinlock uart_lock;

	/* Interrupt controllers shared by the vCPUs (arch/x86/virq.c), under irq_lock. */
	struct spinlock irq_lock;
	struct vpic vpic;
	struct vpic_env vpic_env;
	uint32_t vioapic_count;
	struct vioapic vioapic[VM_MAX_IOAPICS];
	struct vioapic_env vioapic_env[VM_MAX_IOAPICS];
	struct vioapic_glue {
		struct vm *vm;
		uint32_t gsi_base;
	} vioapic_glue[VM_MAX_IOAPICS];
	uint8_t gsi_to_isa_irq[VM_MAX_GSIS]; /* 0xff: the GSI is no ISA IRQ */
	/* Physical GSIs this VM owns, and level ones masked until the guest's EOI. */
	uint8_t gsi_owned[VM_MAX_GSIS / 8];
	uint8_t gsi_awaiting_eoi[VM_MAX_GSIS / 8];
};

/* Marks the VM failed; for the Service VM this stops the machine (nothing can go on). */
void vm_fail(struct vm *vm);
const char *vm_state_name(enum vm_state state);

#endif
