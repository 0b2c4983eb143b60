/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The I/O request page shared by the hypervisor, the HSM and the device model: one
 * 4 KiB page per User VM, 16 slots of 256 bytes, slot index = id of the vCPU that
 * raised the request. The hypervisor moves a slot FREE -> PENDING and fires the upcall;
 * the HSM moves it PENDING -> PROCESSING and hands it to a client; completion stores
 * COMPLETE (release ordering) and, unless the slot is polled, issues
 * HC_NOTIFY_REQUEST_FINISH; the hypervisor then sets FREE again.
 */
#ifndef ACRN_IOREQ_H
#define ACRN_IOREQ_H

#include "abi_types.h"

#define ACRN_IO_REQUEST_MAX	 16u
#define ACRN_IO_REQUEST_BUF_SIZE 4096u

/* acrn_io_request.type */
#define ACRN_IOREQ_TYPE_PORTIO 0u
#define ACRN_IOREQ_TYPE_MMIO   1u
#define ACRN_IOREQ_TYPE_PCICFG 2u
#define ACRN_IOREQ_TYPE_WP     3u /* write to a write-protected page; MMIO layout */

#define ACRN_IOREQ_DIR_READ  0u
#define ACRN_IOREQ_DIR_WRITE 1u

/* acrn_io_request.processed */
#define ACRN_IOREQ_STATE_PENDING    0u
#define ACRN_IOREQ_STATE_COMPLETE   1u
#define ACRN_IOREQ_STATE_PROCESSING 2u
#define ACRN_IOREQ_STATE_FREE	    3u

/* PCI configuration mechanism #1 ports, forwarded as PIO and converted by the HSM. */
#define ACRN_PCI_CONFIG_ADDRESS 0xCF8u
#define ACRN_PCI_CONFIG_DATA	0xCFCu

struct acrn_pio_request {
	uint32_t direction;
	uint32_t reserved;
	uint64_t address; /* port */
	uint64_t size;	  /* 1, 2 or 4 */
	uint32_t value;
};
ACRN_ABI_SIZE(struct acrn_pio_request, 32);
ACRN_ABI_OFFSET(struct acrn_pio_request, address, 8);
ACRN_ABI_OFFSET(struct acrn_pio_request, size, 16);
ACRN_ABI_OFFSET(struct acrn_pio_request, value, 24);

struct acrn_mmio_request {
	uint32_t direction;
	uint32_t reserved;
	uint64_t address; /* guest-physical */
	uint64_t size;	  /* 1, 2, 4 or 8 */
	uint64_t value;
};
ACRN_ABI_SIZE(struct acrn_mmio_request, 32);
ACRN_ABI_OFFSET(struct acrn_mmio_request, value, 24);

/* Its first 28 bytes overlay the PIO form, so either completes the same way. */
struct acrn_pci_request {
	uint32_t direction;
	uint32_t reserved[3];
	uint64_t size;
	uint32_t value;
	uint32_t bus;
	uint32_t dev;
	uint32_t func;
	uint32_t reg; /* configuration-space offset, extended bits included */
};
ACRN_ABI_SIZE(struct acrn_pci_request, 48);
ACRN_ABI_OFFSET(struct acrn_pci_request, size, 16);
ACRN_ABI_OFFSET(struct acrn_pci_request, value, 24);
ACRN_ABI_OFFSET(struct acrn_pci_request, bus, 28);
ACRN_ABI_OFFSET(struct acrn_pci_request, reg, 40);

struct acrn_io_request {
	uint32_t type;
	uint32_t completion_polling; /* 1: the hypervisor spins; no NOTIFY hypercall */
	uint32_t reserved0[14];
	union {
		struct acrn_pio_request pio_request;
		struct acrn_pci_request pci_request;
		struct acrn_mmio_request mmio_request;
		uint64_t data[8];
	} reqs;
	uint32_t reserved1;
	uint32_t kernel_handled; /* 1: an in-kernel client owns it, 0: the device model */
	uint32_t processed;	 /* ACRN_IOREQ_STATE_* */
} __attribute__((aligned(256)));
ACRN_ABI_SIZE(struct acrn_io_request, 256);
ACRN_ABI_OFFSET(struct acrn_io_request, completion_polling, 4);
ACRN_ABI_OFFSET(struct acrn_io_request, reqs, 64);
ACRN_ABI_OFFSET(struct acrn_io_request, reserved1, 128);
ACRN_ABI_OFFSET(struct acrn_io_request, kernel_handled, 132);
ACRN_ABI_OFFSET(struct acrn_io_request, processed, 136);

struct acrn_io_request_buffer {
	union {
		struct acrn_io_request req_slot[ACRN_IO_REQUEST_MAX];
		uint8_t reserved[ACRN_IO_REQUEST_BUF_SIZE];
	};
};
ACRN_ABI_SIZE(struct acrn_io_request_buffer, 4096);

#endif /* ACRN_IOREQ_H */
