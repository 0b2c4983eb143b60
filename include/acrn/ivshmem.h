/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The ivshmem PCI device as every component sees it: identity, BARs and the BAR0
 * register block. QEMU's ivshmem-plain/ivshmem-doorbell, the hypervisor's hv-land
 * vPCI device and acrn-dm's dm-land device all present this layout, so one header
 * serves the hypervisor, the device model, the guest driver and libivshmem.
 */
#ifndef ACRN_IVSHMEM_H
#define ACRN_IVSHMEM_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/stddef.h>
typedef __u32 acrn_ivshmem_u32;
#else
#include <stddef.h>
#include <stdint.h>
typedef uint32_t acrn_ivshmem_u32;
#endif

#define ACRN_IVSHMEM_VENDOR_ID	      0x1af4
#define ACRN_IVSHMEM_DEVICE_ID	      0x1110
#define ACRN_IVSHMEM_REVISION	      0x01
#define ACRN_IVSHMEM_CLASS	      0x05 /* memory controller */
#define ACRN_IVSHMEM_SUBSYSTEM_VENDOR 0x8086

#define ACRN_IVSHMEM_REGISTER_BAR 0
#define ACRN_IVSHMEM_MSIX_BAR	  1
#define ACRN_IVSHMEM_MEMORY_BAR	  2

/* hv-land devices carry 8 MSI-X vectors; dm-land and ivshmem-plain carry none. */
#define ACRN_IVSHMEM_HV_VECTORS	      8
#define ACRN_IVSHMEM_MIN_REGION_BYTES 0x200000ull   /* hv-/dm-land: 2 MiB */
#define ACRN_IVSHMEM_MAX_REGION_BYTES 0x20000000ull /* 512 MiB */
#define ACRN_IVSHMEM_REGION_NAME_MAX  32	    /* bytes compared, incl. NUL */

/* BAR0: only aligned 4-byte accesses at offsets below 16 mean anything. */
struct acrn_ivshmem_registers {
	acrn_ivshmem_u32 interrupt_mask;   /* plain storage under MSI-X */
	acrn_ivshmem_u32 interrupt_status; /* plain storage under MSI-X */
	acrn_ivshmem_u32 iv_position;	   /* read-only: this device's peer id */
	acrn_ivshmem_u32 doorbell;	   /* write-only: (peer << 16) | vector */
};

#define ACRN_IVSHMEM_REG_INTR_MASK   0x00
#define ACRN_IVSHMEM_REG_INTR_STATUS 0x04
#define ACRN_IVSHMEM_REG_IV_POSITION 0x08
#define ACRN_IVSHMEM_REG_DOORBELL    0x0c
#define ACRN_IVSHMEM_REGISTER_BYTES  0x100

#define ACRN_IVSHMEM_DOORBELL_VALUE(peer, vector)                                                  \
	((((acrn_ivshmem_u32)(peer)&0xffffu) << 16) | ((acrn_ivshmem_u32)(vector)&0xffffu))
#define ACRN_IVSHMEM_DOORBELL_PEER(value)   (((acrn_ivshmem_u32)(value) >> 16) & 0xffffu)
#define ACRN_IVSHMEM_DOORBELL_VECTOR(value) ((acrn_ivshmem_u32)(value)&0xffffu)

_Static_assert(offsetof(struct acrn_ivshmem_registers, interrupt_mask) ==
		   ACRN_IVSHMEM_REG_INTR_MASK,
	       "IntrMask at 0x00");
_Static_assert(offsetof(struct acrn_ivshmem_registers, interrupt_status) ==
		   ACRN_IVSHMEM_REG_INTR_STATUS,
	       "IntrStatus at 0x04");
_Static_assert(offsetof(struct acrn_ivshmem_registers, iv_position) == ACRN_IVSHMEM_REG_IV_POSITION,
	       "IVPosition at 0x08");
_Static_assert(offsetof(struct acrn_ivshmem_registers, doorbell) == ACRN_IVSHMEM_REG_DOORBELL,
	       "Doorbell at 0x0c");
_Static_assert(sizeof(struct acrn_ivshmem_registers) == 16, "four 32-bit registers");

#endif /* ACRN_IVSHMEM_H */
