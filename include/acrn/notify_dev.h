/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The upcall notification device: a virtual PCI function the hypervisor shows the
 * Service VM so that the HSM learns about pending I/O requests through an ordinary MSI.
 * Stock distribution kernels are built without ACRN guest support and so have no
 * handler at the fixed vector 0xF3; any kernel can bind a PCI driver to this function.
 *
 * Protocol: the HSM enables MSI (one vector), then writes ACRN_NOTIFY_CTRL_ENABLE to
 * CONTROL. From then on the hypervisor raises that MSI instead of vector 0xF3 whenever
 * it marks a request PENDING, after setting the cause in STATUS. The HSM writes the bits
 * it has seen back to STATUS (write 1 to clear) before scanning, so a request raised
 * during the scan raises a new MSI. Writing 0 to CONTROL returns to vector 0xF3.
 */
#ifndef ACRN_NOTIFY_DEV_H
#define ACRN_NOTIFY_DEV_H

#include "abi_types.h"

/*
 * Identity. 0x1234 is the vendor id emulators use for virtual devices that have no
 * registered vendor (QEMU's standard VGA is 1234:1111); the device id spells "ACE1".
 * Should the project register its own id, only these two lines change.
 */
#define ACRN_NOTIFY_PCI_VENDOR	  0x1234u
#define ACRN_NOTIFY_PCI_DEVICE	  0xACE1u
#define ACRN_NOTIFY_PCI_REVISION  0x01u
#define ACRN_NOTIFY_PCI_CLASS	  0x088000u /* base 0x08 system peripheral, sub 0x80 other */
#define ACRN_NOTIFY_PCI_SUBVENDOR 0x1234u
#define ACRN_NOTIFY_PCI_SUBDEVICE 0x0001u

/* BAR0: 4 KiB of 32-bit memory-mapped registers; accesses are 32 bits wide. */
#define ACRN_NOTIFY_BAR0_SIZE 0x1000u
#define ACRN_NOTIFY_MSI_COUNT 1u /* one MSI (capability, not MSI-X) */

#define ACRN_NOTIFY_REG_MAGIC	 0x00u /* RO: ACRN_NOTIFY_MAGIC */
#define ACRN_NOTIFY_REG_VERSION	 0x04u /* RO: ACRN_NOTIFY_VERSION */
#define ACRN_NOTIFY_REG_FEATURES 0x08u /* RO: ACRN_NOTIFY_FEAT_* */
#define ACRN_NOTIFY_REG_CONTROL	 0x0Cu /* RW: ACRN_NOTIFY_CTRL_* */
#define ACRN_NOTIFY_REG_STATUS	 0x10u /* RW1C: ACRN_NOTIFY_STATUS_* */

#define ACRN_NOTIFY_MAGIC   0x4e524341u /* "ACRN" */
#define ACRN_NOTIFY_VERSION 1u

#define ACRN_NOTIFY_FEAT_IOREQ	 (1u << 0) /* I/O-request upcalls */
#define ACRN_NOTIFY_CTRL_ENABLE	 (1u << 0) /* deliver upcalls by MSI, not vector 0xF3 */
#define ACRN_NOTIFY_STATUS_IOREQ (1u << 0) /* a slot became PENDING */

#endif /* ACRN_NOTIFY_DEV_H */
