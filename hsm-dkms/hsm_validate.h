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

#define HSM_PAGE_SIZE	   4096ull
#define HSM_MAX_RAM_MAPS   256	/* RAM mappings per VM, as upstream */
#define HSM_MAX_IOEVENTFDS 1024 /* per VM: bounds what one device model can pin */
#define HSM_PIO_SPACE	   0x10000ull

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

int hsm_check_ioeventfd(const struct acrn_ioeventfd *ioeventfd);
int hsm_check_irqfd(const struct acrn_irqfd *irqfd);

/* What an ioeventfd listens for, and the guest access an I/O request describes. */
struct hsm_io_range {
	bool pio; /* port I/O, else MMIO */
	uint64_t addr;
	uint64_t len;
};

struct hsm_io_access {
	bool pio;
	bool write;
	uint64_t addr;
	uint64_t size;
	uint64_t value;
};

/* Fills *access from a PORTIO or MMIO request; false for other request types. */
bool hsm_ioreq_access(const struct acrn_io_request *req, struct hsm_io_access *access);
/* The access falls inside the range: the in-kernel client, not the device model, owns it. */
bool hsm_io_range_contains(const struct hsm_io_range *range, const struct hsm_io_access *access);
/* A write that signals the eventfd: same start, no wider than registered, data matches. */
bool hsm_ioeventfd_signals(const struct hsm_io_range *range, bool datamatch, uint64_t data,
			   const struct hsm_io_access *access);
/*
 * Two registrations of one eventfd that would both answer the same write (upstream:
 * -EEXIST). The caller compares the eventfds; this compares type, address and data.
 */
bool hsm_ioeventfd_conflicts(const struct acrn_ioeventfd *existing,
			     const struct acrn_ioeventfd *added);

/*
 * What CPUID says about the hypervisor. cpuid(leaf, regs) reads one leaf; hypervisor_bit
 * is CPUID.1:ECX[31]. Returns 0 for the ACRN Service VM, -ENODEV without ACRN, -EPERM
 * in another ACRN VM; *base gets the leaf base where the signature was found (or 0).
 */
struct hsm_cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};
typedef void (*hsm_cpuid_reader)(uint32_t leaf, struct hsm_cpuid_regs *regs);
int hsm_identify_hypervisor(bool hypervisor_bit, hsm_cpuid_reader cpuid, uint32_t *base);

/*
 * PCI configuration mechanism #1 on behalf of the device model: a PIO request at 0xCF8
 * updates or reads *latch and is finished here (returns true); one at 0xCFC..0xCFF is
 * rewritten in place into a PCICFG request for the device model (returns false), or
 * finished here when the latch has no enable bit (reads all ones). Anything else is left
 * alone (returns false).
 */
bool hsm_ioreq_convert_pci(struct acrn_io_request *req, uint32_t *latch);

#endif /* HSM_VALIDATE_H */
