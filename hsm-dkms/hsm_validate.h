/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Argument checks for the /dev/acrn_hsm ioctls. Pure functions with no kernel call, so
 * the same file builds into the module and into the host test harness (tests/).
 * Each returns 0 or the negative errno the ioctl answers with.
 */
#ifndef HSM_VALIDATE_H
#define HSM_VALIDATE_H

#include <acrn/hsm_ioctl.h>
#include <acrn/hypercall.h>
#include <acrn/ioreq.h>

#ifndef __KERNEL__
#include <stdbool.h>
#endif

#define HSM_PAGE_SIZE	 4096ull
#define HSM_MAX_RAM_MAPS 256 /* RAM mappings per VM, as upstream */
#define HSM_PCI_BDF_NONE 0xFFFFu

int hsm_check_vm_creation(const struct acrn_vm_creation *creation);
int hsm_check_vcpu_regs(const struct acrn_vcpu_regs *regs, uint16_t vcpu_num);
int hsm_check_ioreq_notify(const struct acrn_ioreq_notify *notify, uint16_t vcpu_num);
int hsm_check_memmap(const struct acrn_vm_memmap *memmap, bool unset);
uint32_t hsm_memmap_prot(const struct acrn_vm_memmap *memmap);
int hsm_check_irqline(uint64_t irqline);
int hsm_check_msi_entry(const struct acrn_msi_entry *msi);
int hsm_check_ptdev_irq(const struct acrn_ptdev_irq *irq);
void hsm_ptdev_irq_to_hypercall(const struct acrn_ptdev_irq *irq, struct acrn_hc_ptdev_irq *out);
int hsm_check_pcidev(const struct acrn_pcidev *pcidev);
int hsm_check_mmiodev(const struct acrn_mmiodev *mmiodev);
int hsm_check_vdev(const struct acrn_vdev *vdev);
int hsm_check_intr_monitor_address(uint64_t user_address);
int hsm_check_pm_command(uint64_t command);
uint64_t hsm_pm_command_for_vm(uint64_t command, uint16_t vmid);
uint32_t hsm_pm_result_size(uint64_t command);

/*
 * PCI configuration mechanism #1 on behalf of the device model: a PIO request at 0xCF8
 * updates or reads *latch and is finished here (returns true); one at 0xCFC..0xCFF is
 * rewritten in place into a PCICFG request for the device model (returns false), or
 * finished here when the latch has no enable bit (reads all ones). Anything else is left
 * alone (returns false).
 */
bool hsm_ioreq_convert_pci(struct acrn_io_request *req, uint32_t *latch);

#endif /* HSM_VALIDATE_H */
