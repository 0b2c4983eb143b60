/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The interface of the ivshmem_sdk guest driver to user space: one character device per
 * ivshmem PCI function (/dev/ivshmemN). mmap at offset 0 maps BAR2 (the shared memory;
 * write-back is asked for, and x86 grants it where the MTRRs call the range write-back,
 * UC- elsewhere), at IVSHMEM_SDK_MMAP_REGISTERS the BAR0 register page. MSI-X vectors are
 * delivered to eventfds the application registers.
 */
#ifndef IVSHMEM_SDK_UAPI_H
#define IVSHMEM_SDK_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>
#ifdef __KERNEL__
#include <linux/stddef.h>
#else
#include <stddef.h>
#endif

#define IVSHMEM_SDK_CLASS	   "ivshmem_sdk"
#define IVSHMEM_SDK_MMAP_REGISTERS (1ull << 40)
#define IVSHMEM_SDK_MAX_VECTORS	   8
#define IVSHMEM_SDK_ADDRESS_MAX	   32

struct ivshmem_sdk_info {
	__u32 struct_size;
	__u32 vectors; /* MSI-X vectors enabled (0: none, doorbells cannot wake us) */
	__u64 memory_bytes;
	__u32 iv_position;
	__u32 subsystem_id;
	char pci_address[IVSHMEM_SDK_ADDRESS_MAX];
};

struct ivshmem_sdk_eventfd {
	__u32 vector;
	__s32 fd; /* -1 detaches */
};

#define IVSHMEM_SDK_IOCTL_TYPE	  0xb7
#define IVSHMEM_SDK_GET_INFO	  _IOR(IVSHMEM_SDK_IOCTL_TYPE, 0, struct ivshmem_sdk_info)
#define IVSHMEM_SDK_SET_EVENTFD	  _IOW(IVSHMEM_SDK_IOCTL_TYPE, 1, struct ivshmem_sdk_eventfd)
#define IVSHMEM_SDK_RING_DOORBELL _IOW(IVSHMEM_SDK_IOCTL_TYPE, 2, __u32)

_Static_assert(sizeof(struct ivshmem_sdk_info) == 56, "info layout");
_Static_assert(offsetof(struct ivshmem_sdk_info, memory_bytes) == 8, "memory_bytes offset");
_Static_assert(offsetof(struct ivshmem_sdk_info, pci_address) == 24, "pci_address offset");
_Static_assert(sizeof(struct ivshmem_sdk_eventfd) == 8, "eventfd layout");

#endif
