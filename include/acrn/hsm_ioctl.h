/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The /dev/acrn_hsm ioctl ABI (type 0xA2), byte-compatible with Linux's
 * include/uapi/linux/acrn.h and ACRN's device-model headers, so upstream acrn-dm runs on
 * this HSM. One open file = one VM. Reserved fields must be zero (-EINVAL otherwise).
 */
#ifndef ACRN_HSM_IOCTL_H
#define ACRN_HSM_IOCTL_H

#include "abi_types.h"
#include "hypercall.h" /* memory access bits of acrn_vm_memmap.attr */
#include "ioreq.h"

#define ACRN_HSM_DEVICE_NAME "acrn_hsm"
#define ACRN_IOCTL_TYPE	     0xA2u

/* The _IOC encoding of x86-64, spelled out so the hypervisor needs no Linux header. */
#define ACRN_IOC_NONE  0u
#define ACRN_IOC_WRITE 1u
#define ACRN_IOC_READ  2u
#define ACRN_IOC(dir, nr, size)                                                                    \
	(((uint32_t)(dir) << 30) | ((uint32_t)(size) << 16) | (ACRN_IOCTL_TYPE << 8) |             \
	 (uint32_t)(nr))
#define ACRN_IO(nr)	    ACRN_IOC(ACRN_IOC_NONE, nr, 0)
#define ACRN_IOW(nr, type)  ACRN_IOC(ACRN_IOC_WRITE, nr, sizeof(type))
#define ACRN_IOWR(nr, type) ACRN_IOC(ACRN_IOC_READ | ACRN_IOC_WRITE, nr, sizeof(type))

/* acrn_vm_creation.vm_flag bits a device model may request */
#define ACRN_VM_FLAG_SECURE_WORLD    (1ull << 0)
#define ACRN_VM_FLAG_LAPIC_PT	     (1ull << 1)
#define ACRN_VM_FLAG_IO_COMPLETION   (1ull << 2)
#define ACRN_VM_FLAG_RT		     (1ull << 4)
#define ACRN_VM_FLAG_PMU_PASSTHROUGH (1ull << 11)

struct acrn_vm_creation {
	uint16_t vmid; /* out: relative VM id, ACRN_INVALID_VMID on failure */
	uint16_t reserved0;
	uint16_t vcpu_num; /* out */
	uint16_t reserved1;
	uint8_t name[16]; /* NUL-terminated name the hypervisor matches (Linux: uuid) */
	uint64_t vm_flag;
	uint64_t ioreq_buf;    /* user virtual address of the 4 KiB ioreq page */
	uint64_t cpu_affinity; /* physical CPU bitmap, 0 = as configured */
};
ACRN_ABI_SIZE(struct acrn_vm_creation, 48);
ACRN_ABI_OFFSET(struct acrn_vm_creation, vcpu_num, 4);
ACRN_ABI_OFFSET(struct acrn_vm_creation, name, 8);
ACRN_ABI_OFFSET(struct acrn_vm_creation, vm_flag, 24);
ACRN_ABI_OFFSET(struct acrn_vm_creation, ioreq_buf, 32);
ACRN_ABI_OFFSET(struct acrn_vm_creation, cpu_affinity, 40);

struct acrn_descriptor_ptr {
	uint16_t limit;
	uint64_t base;
	uint16_t reserved[3];
} __attribute__((packed));
ACRN_ABI_SIZE(struct acrn_descriptor_ptr, 16);
ACRN_ABI_OFFSET(struct acrn_descriptor_ptr, base, 2);
ACRN_ABI_OFFSET(struct acrn_descriptor_ptr, reserved, 10);

/* General registers in this order: RAX RCX RDX RBX RSP RBP RSI RDI R8..R15. */
#define ACRN_NR_GPRS 16

struct acrn_regs {
	uint64_t gprs[ACRN_NR_GPRS];
	struct acrn_descriptor_ptr gdt;
	struct acrn_descriptor_ptr idt;
	uint64_t rip;
	uint64_t cs_base;
	uint64_t cr0;
	uint64_t cr4;
	uint64_t cr3;
	uint64_t ia32_efer;
	uint64_t rflags;
	uint64_t reserved_64[4];
	uint32_t cs_ar;
	uint32_t cs_limit;
	uint32_t reserved_32[3];
	uint16_t cs_sel; /* the selector order is part of the ABI */
	uint16_t ss_sel;
	uint16_t ds_sel;
	uint16_t es_sel;
	uint16_t fs_sel;
	uint16_t gs_sel;
	uint16_t ldt_sel;
	uint16_t tr_sel;
};
ACRN_ABI_SIZE(struct acrn_regs, 288);
ACRN_ABI_OFFSET(struct acrn_regs, gdt, 128);
ACRN_ABI_OFFSET(struct acrn_regs, idt, 144);
ACRN_ABI_OFFSET(struct acrn_regs, rip, 160);
ACRN_ABI_OFFSET(struct acrn_regs, ia32_efer, 200);
ACRN_ABI_OFFSET(struct acrn_regs, reserved_64, 216);
ACRN_ABI_OFFSET(struct acrn_regs, cs_ar, 248);
ACRN_ABI_OFFSET(struct acrn_regs, reserved_32, 256);
ACRN_ABI_OFFSET(struct acrn_regs, cs_sel, 268);
ACRN_ABI_OFFSET(struct acrn_regs, ldt_sel, 280);
ACRN_ABI_OFFSET(struct acrn_regs, tr_sel, 282);

struct acrn_vcpu_regs {
	uint16_t vcpu_id;
	uint16_t reserved[3];
	struct acrn_regs vcpu_regs;
};
ACRN_ABI_SIZE(struct acrn_vcpu_regs, 296);
ACRN_ABI_OFFSET(struct acrn_vcpu_regs, vcpu_regs, 8);

struct acrn_msi_entry {
	uint64_t msi_addr; /* x86 MSI address, destination APIC id in bits 19:12 */
	uint64_t msi_data; /* vector in bits 7:0 */
};
ACRN_ABI_SIZE(struct acrn_msi_entry, 16);

/* Passed by value: the ioctl argument is gsi | (op << 32). */
#define ACRN_IRQLINE_SET_HIGH	   0u
#define ACRN_IRQLINE_SET_LOW	   1u
#define ACRN_IRQLINE_RAISING_PULSE 2u
#define ACRN_IRQLINE_FALLING_PULSE 3u

struct acrn_irqline_ops {
	uint32_t gsi;
	uint32_t op;
};
ACRN_ABI_SIZE(struct acrn_irqline_ops, 8);

struct acrn_ioreq_notify {
	uint16_t vmid; /* ignored: the file's VM is meant */
	uint16_t reserved;
	uint32_t vcpu;
};
ACRN_ABI_SIZE(struct acrn_ioreq_notify, 8);
ACRN_ABI_OFFSET(struct acrn_ioreq_notify, vcpu, 4);

#define ACRN_MEMMAP_RAM	 0u
#define ACRN_MEMMAP_MMIO 1u

struct acrn_vm_memmap {
	uint32_t type;
	uint32_t attr; /* ACRN_MEM_ACCESS_* bits; the HSM picks the memory type */
	uint64_t user_vm_pa;
	union {
		uint64_t service_vm_pa; /* MMIO */
		uint64_t vma_base;	/* RAM: device-model virtual address */
	};
	uint64_t len;
};
ACRN_ABI_SIZE(struct acrn_vm_memmap, 32);
ACRN_ABI_OFFSET(struct acrn_vm_memmap, user_vm_pa, 8);
ACRN_ABI_OFFSET(struct acrn_vm_memmap, vma_base, 16);
ACRN_ABI_OFFSET(struct acrn_vm_memmap, len, 24);

#define ACRN_PTDEV_IRQ_INTX 0u
#define ACRN_PTDEV_IRQ_MSI  1u
#define ACRN_PTDEV_IRQ_MSIX 2u

struct acrn_ptdev_irq {
	uint32_t type;
	uint16_t virt_bdf;
	uint16_t phys_bdf;
	uint32_t virt_pin;
	uint32_t phys_pin;
	uint32_t is_pic_pin;
};
ACRN_ABI_SIZE(struct acrn_ptdev_irq, 20);
ACRN_ABI_OFFSET(struct acrn_ptdev_irq, virt_pin, 8);
ACRN_ABI_OFFSET(struct acrn_ptdev_irq, is_pic_pin, 16);

#define ACRN_PTDEV_QUIRK_ASSIGN (1u << 0)
#define ACRN_PCI_NUM_BARS	6

struct acrn_pcidev {
	uint32_t type;
	uint16_t virt_bdf;
	uint16_t phys_bdf;
	uint8_t intr_line;
	uint8_t intr_pin;
	uint16_t reserved;
	uint32_t bar[ACRN_PCI_NUM_BARS];
};
ACRN_ABI_SIZE(struct acrn_pcidev, 36);
ACRN_ABI_OFFSET(struct acrn_pcidev, intr_line, 8);
ACRN_ABI_OFFSET(struct acrn_pcidev, bar, 12);

#define ACRN_MMIODEV_RES_NUM 3

struct acrn_mmiores {
	uint64_t user_vm_pa;
	uint64_t host_pa; /* Linux: service_vm_pa */
	uint64_t size;
	uint64_t mem_type;
};
ACRN_ABI_SIZE(struct acrn_mmiores, 32);

struct acrn_mmiodev {
	uint8_t name[8];
	struct acrn_mmiores res[ACRN_MMIODEV_RES_NUM];
};
ACRN_ABI_SIZE(struct acrn_mmiodev, 104);
ACRN_ABI_OFFSET(struct acrn_mmiodev, res, 8);

struct acrn_vdev {
	union {
		uint64_t value;
		struct {
			uint16_t vendor;
			uint16_t device;
			uint32_t legacy_id;
		} fields;
	} id;
	uint64_t slot; /* PCI BDF or legacy slot */
	uint32_t io_addr[ACRN_PCI_NUM_BARS];
	uint32_t io_size[ACRN_PCI_NUM_BARS];
	uint8_t args[128];
};
ACRN_ABI_SIZE(struct acrn_vdev, 192);
ACRN_ABI_OFFSET(struct acrn_vdev, slot, 8);
ACRN_ABI_OFFSET(struct acrn_vdev, io_addr, 16);
ACRN_ABI_OFFSET(struct acrn_vdev, io_size, 40);
ACRN_ABI_OFFSET(struct acrn_vdev, args, 64);

#define ACRN_IOEVENTFD_FLAG_PIO	      0x01u
#define ACRN_IOEVENTFD_FLAG_DATAMATCH 0x02u
#define ACRN_IOEVENTFD_FLAG_DEASSIGN  0x04u
#define ACRN_IOEVENTFD_FLAG_ASYNCIO   0x08u

struct acrn_ioeventfd {
	uint32_t fd;
	uint32_t flags;
	uint64_t addr;
	uint32_t len; /* 1, 2, 4 or 8 */
	uint32_t reserved;
	uint64_t data;
};
ACRN_ABI_SIZE(struct acrn_ioeventfd, 32);
ACRN_ABI_OFFSET(struct acrn_ioeventfd, addr, 8);
ACRN_ABI_OFFSET(struct acrn_ioeventfd, len, 16);
ACRN_ABI_OFFSET(struct acrn_ioeventfd, data, 24);

#define ACRN_IRQFD_FLAG_DEASSIGN 0x01u

struct acrn_irqfd {
	int32_t fd;
	uint32_t flags;
	struct acrn_msi_entry msi;
};
ACRN_ABI_SIZE(struct acrn_irqfd, 24);
ACRN_ABI_OFFSET(struct acrn_irqfd, msi, 8);

#define ACRN_INTR_MONITOR_GET_DATA  0u
#define ACRN_INTR_MONITOR_DELAY_INT 1u
#define ACRN_INTR_MONITOR_MAX_BUF   48u

struct acrn_intr_monitor {
	uint32_t cmd;
	uint32_t buf_cnt;
	uint64_t buffer[ACRN_INTR_MONITOR_MAX_BUF];
};
ACRN_ABI_SIZE(struct acrn_intr_monitor, 392);

struct acrn_acpi_generic_address {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __attribute__((packed));
ACRN_ABI_SIZE(struct acrn_acpi_generic_address, 12);

struct acrn_cstate_data {
	struct acrn_acpi_generic_address cx_reg;
	uint8_t type;
	uint32_t latency;
	uint64_t power;
};
ACRN_ABI_SIZE(struct acrn_cstate_data, 32);
ACRN_ABI_OFFSET(struct acrn_cstate_data, type, 12);
ACRN_ABI_OFFSET(struct acrn_cstate_data, latency, 16);
ACRN_ABI_OFFSET(struct acrn_cstate_data, power, 24);

struct acrn_pstate_data {
	uint64_t core_frequency;
	uint64_t power;
	uint64_t transition_latency;
	uint64_t bus_master_latency;
	uint64_t control;
	uint64_t status;
};
ACRN_ABI_SIZE(struct acrn_pstate_data, 48);

#define ACRN_IOCTL_CREATE_VM		 ACRN_IOWR(0x10, struct acrn_vm_creation)
#define ACRN_IOCTL_DESTROY_VM		 ACRN_IO(0x11)
#define ACRN_IOCTL_START_VM		 ACRN_IO(0x12)
#define ACRN_IOCTL_PAUSE_VM		 ACRN_IO(0x13)
#define ACRN_IOCTL_RESET_VM		 ACRN_IO(0x15)
#define ACRN_IOCTL_SET_VCPU_REGS	 ACRN_IOW(0x16, struct acrn_vcpu_regs)
#define ACRN_IOCTL_INJECT_MSI		 ACRN_IOW(0x23, struct acrn_msi_entry)
#define ACRN_IOCTL_VM_INTR_MONITOR	 ACRN_IOW(0x24, uint64_t)
#define ACRN_IOCTL_SET_IRQLINE		 ACRN_IOW(0x25, uint64_t)
#define ACRN_IOCTL_NOTIFY_REQUEST_FINISH ACRN_IOW(0x31, struct acrn_ioreq_notify)
#define ACRN_IOCTL_CREATE_IOREQ_CLIENT	 ACRN_IO(0x32)
#define ACRN_IOCTL_ATTACH_IOREQ_CLIENT	 ACRN_IO(0x33)
#define ACRN_IOCTL_DESTROY_IOREQ_CLIENT	 ACRN_IO(0x34)
#define ACRN_IOCTL_CLEAR_VM_IOREQ	 ACRN_IO(0x35)
#define ACRN_IOCTL_SET_MEMSEG		 ACRN_IOW(0x41, struct acrn_vm_memmap)
#define ACRN_IOCTL_UNSET_MEMSEG		 ACRN_IOW(0x42, struct acrn_vm_memmap)
#define ACRN_IOCTL_SET_PTDEV_INTR	 ACRN_IOW(0x53, struct acrn_ptdev_irq)
#define ACRN_IOCTL_RESET_PTDEV_INTR	 ACRN_IOW(0x54, struct acrn_ptdev_irq)
#define ACRN_IOCTL_ASSIGN_PCIDEV	 ACRN_IOW(0x55, struct acrn_pcidev)
#define ACRN_IOCTL_DEASSIGN_PCIDEV	 ACRN_IOW(0x56, struct acrn_pcidev)
#define ACRN_IOCTL_ASSIGN_MMIODEV	 ACRN_IOW(0x57, struct acrn_mmiodev)
#define ACRN_IOCTL_DEASSIGN_MMIODEV	 ACRN_IOW(0x58, struct acrn_mmiodev)
#define ACRN_IOCTL_CREATE_VDEV		 ACRN_IOW(0x59, struct acrn_vdev)
#define ACRN_IOCTL_DESTROY_VDEV		 ACRN_IOW(0x5A, struct acrn_vdev)
#define ACRN_IOCTL_PM_GET_CPU_STATE	 ACRN_IOWR(0x60, uint64_t)
#define ACRN_IOCTL_IOEVENTFD		 ACRN_IOW(0x70, struct acrn_ioeventfd)
#define ACRN_IOCTL_IRQFD		 ACRN_IOW(0x71, struct acrn_irqfd)
/* ACRN's own kernel only; mainline answers -ENOTTY and acrn-dm carries on. */
#define ACRN_IOCTL_SETUP_ASYNCIO       ACRN_IOW(0x90, uint64_t)
#define ACRN_IOCTL_SETUP_VM_EVENT_RING ACRN_IOW(0xA0, uint64_t)
#define ACRN_IOCTL_SETUP_VM_EVENT_FD   ACRN_IOW(0xA1, int32_t)

_Static_assert(ACRN_IOCTL_CREATE_VM == 0xC030A210u, "CREATE_VM ioctl");
_Static_assert(ACRN_IOCTL_DESTROY_VM == 0x0000A211u, "DESTROY_VM ioctl");
_Static_assert(ACRN_IOCTL_SET_VCPU_REGS == 0x4128A216u, "SET_VCPU_REGS ioctl");
_Static_assert(ACRN_IOCTL_INJECT_MSI == 0x4010A223u, "INJECT_MSI ioctl");
_Static_assert(ACRN_IOCTL_SET_IRQLINE == 0x4008A225u, "SET_IRQLINE ioctl");
_Static_assert(ACRN_IOCTL_NOTIFY_REQUEST_FINISH == 0x4008A231u, "NOTIFY_REQUEST_FINISH ioctl");
_Static_assert(ACRN_IOCTL_SET_MEMSEG == 0x4020A241u, "SET_MEMSEG ioctl");
_Static_assert(ACRN_IOCTL_SET_PTDEV_INTR == 0x4014A253u, "SET_PTDEV_INTR ioctl");
_Static_assert(ACRN_IOCTL_ASSIGN_PCIDEV == 0x4024A255u, "ASSIGN_PCIDEV ioctl");
_Static_assert(ACRN_IOCTL_ASSIGN_MMIODEV == 0x4068A257u, "ASSIGN_MMIODEV ioctl");
_Static_assert(ACRN_IOCTL_CREATE_VDEV == 0x40C0A259u, "CREATE_VDEV ioctl");
_Static_assert(ACRN_IOCTL_PM_GET_CPU_STATE == 0xC008A260u, "PM_GET_CPU_STATE ioctl");
_Static_assert(ACRN_IOCTL_IOEVENTFD == 0x4020A270u, "IOEVENTFD ioctl");
_Static_assert(ACRN_IOCTL_IRQFD == 0x4018A271u, "IRQFD ioctl");
_Static_assert(ACRN_IOCTL_SETUP_VM_EVENT_FD == 0x4004A2A1u, "SETUP_VM_EVENT_FD ioctl");

#endif /* ACRN_HSM_IOCTL_H */
