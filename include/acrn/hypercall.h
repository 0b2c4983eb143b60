/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Hypercalls between the Service VM and the hypervisor: calling convention, ids and the
 * structures passed by guest-physical address. Values follow ACRN's public ABI (API 1.0)
 * so upstream components interoperate.
 *
 * Convention: VMCALL with the id in R8, parameter 1 in RDI, parameter 2 in RSI; the
 * result comes back in RAX as a sign-extended 32-bit value (0 or a negative errno).
 * Only the Service VM at CPL 0 may call the management hypercalls.
 */
#ifndef ACRN_HYPERCALL_H
#define ACRN_HYPERCALL_H

#include "abi_types.h"

#define ACRN_HV_API_MAJOR 1u
#define ACRN_HV_API_MINOR 0u

/*
 * CPUID leaves the hypervisor shows to its guests. The names differ from Linux's
 * asm/acrn.h on purpose: the module includes both on kernels with ACRN guest support.
 */
#define ACRN_CPUID_LEAF_SIGNATURE	 0x40000000u
#define ACRN_CPUID_LEAF_FEATURES	 0x40000001u
#define ACRN_CPUID_LEAF_TIMING		 0x40000010u
#define ACRN_CPUID_SIGNATURE_WORD	 0x4e524341u /* "ACRN" in EBX, ECX and EDX */
#define ACRN_CPUID_FEATURE_PRIVILEGED_VM (1u << 0)   /* CPUID 0x40000001 EAX: Service VM */
#define ACRN_CPUID_HIGHEST_LEAF		 0x40000010u
#define ACRN_CALLBACK_VECTOR_DEFAULT	 0xF3u /* upcall vector when no notification device */

/* Only bits 7:0 index the hypervisor's table; the top byte marks the ACRN space. */
#define ACRN_HC_ID(group, n) (0x80000000u | (uint32_t)(group) | (uint32_t)(n))
#define ACRN_HC_INDEX(id)    ((id)&0xFFu)

#define ACRN_HC_GROUP_GENERAL 0x00u
#define ACRN_HC_GROUP_VM      0x10u
#define ACRN_HC_GROUP_IRQ     0x20u
#define ACRN_HC_GROUP_IOREQ   0x30u
#define ACRN_HC_GROUP_MEMORY  0x40u
#define ACRN_HC_GROUP_PCI     0x50u
#define ACRN_HC_GROUP_DEBUG   0x60u
#define ACRN_HC_GROUP_TRUSTY  0x70u
#define ACRN_HC_GROUP_PM      0x80u
#define ACRN_HC_GROUP_TEE     0x90u

#define HC_GET_API_VERSION	   ACRN_HC_ID(ACRN_HC_GROUP_GENERAL, 0x00)
#define HC_SERVICE_VM_OFFLINE_CPU  ACRN_HC_ID(ACRN_HC_GROUP_GENERAL, 0x01)
#define HC_SET_CALLBACK_VECTOR	   ACRN_HC_ID(ACRN_HC_GROUP_GENERAL, 0x02)
#define HC_CREATE_VM		   ACRN_HC_ID(ACRN_HC_GROUP_VM, 0x00)
#define HC_DESTROY_VM		   ACRN_HC_ID(ACRN_HC_GROUP_VM, 0x01)
#define HC_START_VM		   ACRN_HC_ID(ACRN_HC_GROUP_VM, 0x02)
#define HC_PAUSE_VM		   ACRN_HC_ID(ACRN_HC_GROUP_VM, 0x03)
#define HC_CREATE_VCPU		   ACRN_HC_ID(ACRN_HC_GROUP_VM, 0x04)
#define HC_RESET_VM		   ACRN_HC_ID(ACRN_HC_GROUP_VM, 0x05)
#define HC_SET_VCPU_REGS	   ACRN_HC_ID(ACRN_HC_GROUP_VM, 0x06)
#define HC_INJECT_MSI		   ACRN_HC_ID(ACRN_HC_GROUP_IRQ, 0x03)
#define HC_VM_INTR_MONITOR	   ACRN_HC_ID(ACRN_HC_GROUP_IRQ, 0x04)
#define HC_SET_IRQLINE		   ACRN_HC_ID(ACRN_HC_GROUP_IRQ, 0x05)
#define HC_SET_IOREQ_BUFFER	   ACRN_HC_ID(ACRN_HC_GROUP_IOREQ, 0x00)
#define HC_NOTIFY_REQUEST_FINISH   ACRN_HC_ID(ACRN_HC_GROUP_IOREQ, 0x01)
#define HC_ASYNCIO_ASSIGN	   ACRN_HC_ID(ACRN_HC_GROUP_IOREQ, 0x02)
#define HC_ASYNCIO_DEASSIGN	   ACRN_HC_ID(ACRN_HC_GROUP_IOREQ, 0x03)
#define HC_VM_GPA2HPA		   ACRN_HC_ID(ACRN_HC_GROUP_MEMORY, 0x01)
#define HC_VM_SET_MEMORY_REGIONS   ACRN_HC_ID(ACRN_HC_GROUP_MEMORY, 0x02)
#define HC_VM_WRITE_PROTECT_PAGE   ACRN_HC_ID(ACRN_HC_GROUP_MEMORY, 0x03)
#define HC_SETUP_SBUF		   ACRN_HC_ID(ACRN_HC_GROUP_MEMORY, 0x04)
#define HC_SET_PTDEV_INTR_INFO	   ACRN_HC_ID(ACRN_HC_GROUP_PCI, 0x03)
#define HC_RESET_PTDEV_INTR_INFO   ACRN_HC_ID(ACRN_HC_GROUP_PCI, 0x04)
#define HC_ASSIGN_PCIDEV	   ACRN_HC_ID(ACRN_HC_GROUP_PCI, 0x05)
#define HC_DEASSIGN_PCIDEV	   ACRN_HC_ID(ACRN_HC_GROUP_PCI, 0x06)
#define HC_ASSIGN_MMIODEV	   ACRN_HC_ID(ACRN_HC_GROUP_PCI, 0x07)
#define HC_DEASSIGN_MMIODEV	   ACRN_HC_ID(ACRN_HC_GROUP_PCI, 0x08)
#define HC_ADD_VDEV		   ACRN_HC_ID(ACRN_HC_GROUP_PCI, 0x09)
#define HC_REMOVE_VDEV		   ACRN_HC_ID(ACRN_HC_GROUP_PCI, 0x0A)
#define HC_SETUP_HV_NPK_LOG	   ACRN_HC_ID(ACRN_HC_GROUP_DEBUG, 0x01)
#define HC_PROFILING_OPS	   ACRN_HC_ID(ACRN_HC_GROUP_DEBUG, 0x02)
#define HC_GET_HW_INFO		   ACRN_HC_ID(ACRN_HC_GROUP_DEBUG, 0x03)
#define HC_INITIALIZE_TRUSTY	   ACRN_HC_ID(ACRN_HC_GROUP_TRUSTY, 0x00)
#define HC_WORLD_SWITCH		   ACRN_HC_ID(ACRN_HC_GROUP_TRUSTY, 0x01)
#define HC_SAVE_RESTORE_SWORLD_CTX ACRN_HC_ID(ACRN_HC_GROUP_TRUSTY, 0x02)
#define HC_PM_GET_CPU_STATE	   ACRN_HC_ID(ACRN_HC_GROUP_PM, 0x00)
#define HC_TEE_VCPU_BOOT_DONE	   ACRN_HC_ID(ACRN_HC_GROUP_TEE, 0x00)
#define HC_SWITCH_EE		   ACRN_HC_ID(ACRN_HC_GROUP_TEE, 0x01)

_Static_assert(HC_CREATE_VM == 0x80000010u, "HC_CREATE_VM id");
_Static_assert(HC_SET_IOREQ_BUFFER == 0x80000030u, "HC_SET_IOREQ_BUFFER id");
_Static_assert(HC_VM_SET_MEMORY_REGIONS == 0x80000042u, "HC_VM_SET_MEMORY_REGIONS id");
_Static_assert(HC_REMOVE_VDEV == 0x8000005Au, "HC_REMOVE_VDEV id");
_Static_assert(HC_PM_GET_CPU_STATE == 0x80000080u, "HC_PM_GET_CPU_STATE id");
_Static_assert(HC_SWITCH_EE == 0x80000091u, "HC_SWITCH_EE id");

/* The VM the Service VM names in parameter 1 is relative to its own id (low 16 bits). */
#define ACRN_INVALID_VMID 0xFFFFu

struct acrn_hc_api_version {
	uint32_t major_version;
	uint32_t minor_version;
} __attribute__((aligned(8)));
ACRN_ABI_SIZE(struct acrn_hc_api_version, 8);

/* vm_memory_region.type */
#define ACRN_MR_ADD    0u
#define ACRN_MR_DEL    2u
#define ACRN_MR_MODIFY 3u

/* vm_memory_region.prot: access bits ORed with one memory type. */
#define ACRN_MEM_ACCESS_READ  0x1u
#define ACRN_MEM_ACCESS_WRITE 0x2u
#define ACRN_MEM_ACCESS_EXEC  0x4u
#define ACRN_MEM_ACCESS_RWX   0x7u
#define ACRN_MEM_TYPE_WB      0x40u
#define ACRN_MEM_TYPE_WT      0x80u
#define ACRN_MEM_TYPE_UC      0x100u
#define ACRN_MEM_TYPE_WC      0x200u
#define ACRN_MEM_TYPE_WP      0x400u
#define ACRN_MEM_TYPE_MASK    0x7C0u

struct acrn_vm_memory_region {
	uint32_t type;
	uint32_t prot;
	uint64_t gpa;		 /* User VM guest-physical start */
	uint64_t service_vm_gpa; /* Service VM guest-physical source (ignored for DEL) */
	uint64_t size;		 /* multiple of 4096 */
} __attribute__((aligned(8)));
ACRN_ABI_SIZE(struct acrn_vm_memory_region, 32);
ACRN_ABI_OFFSET(struct acrn_vm_memory_region, prot, 4);
ACRN_ABI_OFFSET(struct acrn_vm_memory_region, gpa, 8);
ACRN_ABI_OFFSET(struct acrn_vm_memory_region, service_vm_gpa, 16);
ACRN_ABI_OFFSET(struct acrn_vm_memory_region, size, 24);

/* HC_VM_SET_MEMORY_REGIONS parameter: the hypervisor follows regions_gpa. */
struct acrn_set_regions {
	uint16_t vmid;
	uint16_t reserved[3];
	uint32_t mr_num;
	uint32_t reserved1;
	uint64_t regions_gpa;
} __attribute__((aligned(8)));
ACRN_ABI_SIZE(struct acrn_set_regions, 24);
ACRN_ABI_OFFSET(struct acrn_set_regions, mr_num, 8);
ACRN_ABI_OFFSET(struct acrn_set_regions, regions_gpa, 16);

struct acrn_wp_data {
	uint8_t set; /* 1 write-protect, 0 clear */
	uint8_t reserved[7];
	uint64_t gpa;
} __attribute__((aligned(8)));
ACRN_ABI_SIZE(struct acrn_wp_data, 16);
ACRN_ABI_OFFSET(struct acrn_wp_data, gpa, 8);

struct acrn_vm_gpa2hpa {
	uint64_t gpa;
	uint64_t hpa;
} __attribute__((aligned(8)));
ACRN_ABI_SIZE(struct acrn_vm_gpa2hpa, 16);

#define ACRN_SBUF_MAGIC	      0x5aa57aa71aa13aa3ull
#define ACRN_SBUF_ID_ASYNCIO  64u
#define ACRN_SBUF_ID_VM_EVENT 65u

struct acrn_sbuf_param {
	uint16_t cpu_id;
	uint16_t reserved;
	uint32_t sbuf_id;
	uint64_t gpa;
} __attribute__((aligned(8)));
ACRN_ABI_SIZE(struct acrn_sbuf_param, 16);
ACRN_ABI_OFFSET(struct acrn_sbuf_param, sbuf_id, 4);
ACRN_ABI_OFFSET(struct acrn_sbuf_param, gpa, 8);

struct acrn_hw_info {
	uint16_t cpu_num;
	uint16_t reserved[3];
} __attribute__((aligned(8)));
ACRN_ABI_SIZE(struct acrn_hw_info, 8);

/*
 * HC_SET_PTDEV_INTR_INFO / HC_RESET_PTDEV_INTR_INFO read 24 bytes: the 20-byte ioctl
 * form (struct acrn_ptdev_irq) followed by padding. A kernel must hand over this size.
 */
struct acrn_hc_ptdev_irq {
	uint32_t type;
	uint16_t virt_bdf;
	uint16_t phys_bdf;
	uint32_t virt_pin;
	uint32_t phys_pin;
	uint8_t pic_pin;
	uint8_t reserved[3];
	uint32_t padding;
} __attribute__((aligned(8)));
ACRN_ABI_SIZE(struct acrn_hc_ptdev_irq, 24);
ACRN_ABI_OFFSET(struct acrn_hc_ptdev_irq, virt_pin, 8);
ACRN_ABI_OFFSET(struct acrn_hc_ptdev_irq, phys_pin, 12);
ACRN_ABI_OFFSET(struct acrn_hc_ptdev_irq, pic_pin, 16);

/* HC_SET_IOREQ_BUFFER parameter 2 points at this: the GPA of the 4 KiB ioreq page. */
struct acrn_ioreq_buffer_param {
	uint64_t ioreq_buf;
} __attribute__((aligned(8)));
ACRN_ABI_SIZE(struct acrn_ioreq_buffer_param, 8);

/* HC_PM_GET_CPU_STATE command word: type 7:0, state 15:8, vCPU 23:16, relative vmid 31:24. */
#define ACRN_PMCMD_GET_PX_CNT  0u
#define ACRN_PMCMD_GET_PX_DATA 1u
#define ACRN_PMCMD_GET_CX_CNT  2u
#define ACRN_PMCMD_GET_CX_DATA 3u
#define ACRN_PMCMD_TYPE_MASK   0xFFu
#define ACRN_PMCMD_VMID_SHIFT  24u
#define ACRN_PMCMD_VMID_MASK   0xFF000000u

#endif /* ACRN_HYPERCALL_H */
