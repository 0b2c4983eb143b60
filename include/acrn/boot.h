/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * How GRUB hands the Service VM and the configuration to the hypervisor: multiboot2
 * module strings start with one of these tags, followed by a blank or the end of the
 * string. The grub.d snippet (/etc/grub.d/25_acrn) writes them; the hypervisor matches
 * them. The kernel and initrd tags are upstream ACRN's conventional ones.
 */
#ifndef ACRN_BOOT_H
#define ACRN_BOOT_H

#define ACRN_MODULE_TAG_SERVICE_VM_KERNEL "Linux_bzImage"
#define ACRN_MODULE_TAG_SERVICE_VM_INITRD "Linux_initrd"
#define ACRN_MODULE_TAG_CONFIG		  "ACRN_config" /* the hypervisor's text configuration */

/* Where the packages put things on the Service VM's file systems. */
#define ACRN_INSTALLED_IMAGE  "/boot/acrn.bin"
#define ACRN_INSTALLED_CONFIG "/etc/acrn/acrn.conf"

#endif /* ACRN_BOOT_H */
