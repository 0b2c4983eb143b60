// SPDX-License-Identifier: GPL-2.0
/*
 * Argument checks for the /dev/acrn_hsm ioctls (see hsm_validate.h). The hypervisor
 * checks again what only it can know (VM state, configured CPUs, device ownership);
 * these checks catch what the ABI itself rules out, with the errno upstream answers.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/types.h>
#else
#include <errno.h>
#include <stdbool.h>
#endif

#include "hsm_validate.h"

static bool all_zero(const void *bytes, size_t size)
{
	const uint8_t *byte = bytes;
	size_t i;

	for (i = 0; i < size; i++)
		if (byte[i] != 0)
			return false;
	return true;
}

static bool page_aligned(uint64_t value)
{
	return (value & (HSM_PAGE_SIZE - 1)) == 0;
}

/* A range [start, start + size) that is page-granular, not empty and does not wrap. */
static bool page_range_valid(uint64_t start, uint64_t size)
{
	return size != 0 && page_aligned(start) && page_aligned(size) && start + size > start;
}

int hsm_check_vm_creation(const struct acrn_vm_creation *creation)
{
	if (creation->reserved0 != 0 || creation->reserved1 != 0)
		return -EINVAL;
	/* The ioreq buffer is one whole page of the device model's memory. */
	if (creation->ioreq_buf == 0 || !page_aligned(creation->ioreq_buf))
		return -EINVAL;
	return 0;
}

int hsm_check_vcpu_regs(const struct acrn_vcpu_regs *regs, uint16_t vcpu_num)
{
	const struct acrn_regs *vcpu = &regs->vcpu_regs;

	if (!all_zero(regs->reserved, sizeof(regs->reserved)) ||
	    !all_zero(vcpu->reserved_64, sizeof(vcpu->reserved_64)) ||
	    !all_zero(vcpu->reserved_32, sizeof(vcpu->reserved_32)) ||
	    !all_zero(vcpu->gdt.reserved, sizeof(vcpu->gdt.reserved)) ||
	    !all_zero(vcpu->idt.reserved, sizeof(vcpu->idt.reserved)))
		return -EINVAL;
	if (regs->vcpu_id >= vcpu_num)
		return -EINVAL;
	return 0;
}

int hsm_check_ioreq_notify(const struct acrn_ioreq_notify *notify, uint16_t vcpu_num)
{
	if (notify->reserved != 0)
		return -EINVAL;
	if (notify->vcpu >= vcpu_num || notify->vcpu >= ACRN_IO_REQUEST_MAX)
		return -EINVAL;
	return 0;
}

int hsm_check_memmap(const struct acrn_vm_memmap *memmap, bool unset)
{
	if (memmap->type != ACRN_MEMMAP_RAM && memmap->type != ACRN_MEMMAP_MMIO)
		return -EINVAL;
	/* Only MMIO mappings can be taken back while the VM lives (as upstream). */
	if (unset && memmap->type != ACRN_MEMMAP_MMIO)
		return -EINVAL;
	/* The memory type is the HSM's choice; user space gives access bits only. */
	if ((memmap->attr & ~ACRN_MEM_ACCESS_RWX) != 0)
		return -EINVAL;
	if (!page_range_valid(memmap->user_vm_pa, memmap->len) ||
	    !page_range_valid(memmap->service_vm_pa, memmap->len))
		return -EINVAL;
	return 0;
}

uint32_t hsm_memmap_prot(const struct acrn_vm_memmap *memmap)
{
	uint32_t type = memmap->type == ACRN_MEMMAP_RAM ? ACRN_MEM_TYPE_WB : ACRN_MEM_TYPE_UC;

	return (memmap->attr & ACRN_MEM_ACCESS_RWX) | type;
}

int hsm_check_irqline(uint64_t irqline)
{
	uint32_t op = (uint32_t)(irqline >> 32);

	if (op > ACRN_IRQLINE_FALLING_PULSE)
		return -EINVAL;
	return 0;
}

int hsm_check_msi_entry(const struct acrn_msi_entry *msi)
{
	/* x86 MSIs are writes to the 0xFEExxxxx window with a 32-bit data word. */
	if ((msi->msi_addr & 0xFFF00000ull) != 0xFEE00000ull || (msi->msi_addr >> 32) != 0)
		return -EINVAL;
	if ((msi->msi_data >> 32) != 0)
		return -EINVAL;
	return 0;
}

int hsm_check_ptdev_irq(const struct acrn_ptdev_irq *irq)
{
	if (irq->type > ACRN_PTDEV_IRQ_MSIX)
		return -EINVAL;
	if (irq->is_pic_pin > 1)
		return -EINVAL;
	return 0;
}

void hsm_ptdev_irq_to_hypercall(const struct acrn_ptdev_irq *irq, struct acrn_hc_ptdev_irq *out)
{
	/* The hypervisor reads 24 bytes; the ioctl brings 20. */
	*out = (struct acrn_hc_ptdev_irq){
		.type = irq->type,
		.virt_bdf = irq->virt_bdf,
		.phys_bdf = irq->phys_bdf,
		.virt_pin = irq->virt_pin,
		.phys_pin = irq->phys_pin,
		.pic_pin = (uint8_t)irq->is_pic_pin,
	};
}

int hsm_check_pcidev(const struct acrn_pcidev *pcidev)
{
	if ((pcidev->type & ~ACRN_PTDEV_QUIRK_ASSIGN) != 0)
		return -EINVAL;
	if (pcidev->reserved != 0)
		return -EINVAL;
	return 0;
}

int hsm_check_mmiodev(const struct acrn_mmiodev *mmiodev)
{
	unsigned int i;
	bool any = false;

	for (i = 0; i < ACRN_MMIODEV_RES_NUM; i++) {
		const struct acrn_mmiores *res = &mmiodev->res[i];

		if (res->size == 0)
			continue; /* an unused resource slot */
		if (!page_range_valid(res->user_vm_pa, res->size) ||
		    !page_range_valid(res->host_pa, res->size))
			return -EINVAL;
		any = true;
	}
	return any ? 0 : -EINVAL;
}

int hsm_check_vdev(const struct acrn_vdev *vdev)
{
	if (vdev->id.value == 0)
		return -EINVAL;
	/* A PCI slot is a 16-bit bus/device/function number. */
	if (vdev->id.fields.vendor != 0 && (vdev->slot >> 16) != 0)
		return -EINVAL;
	return 0;
}

int hsm_check_intr_monitor_address(uint64_t user_address)
{
	/* The hypervisor wants a page-aligned buffer; the HSM pins exactly that page. */
	if (user_address == 0 || !page_aligned(user_address))
		return -EINVAL;
	return 0;
}

int hsm_check_pm_command(uint64_t command)
{
	if ((command >> 32) != 0)
		return -EINVAL;
	if ((command & ACRN_PMCMD_TYPE_MASK) > ACRN_PMCMD_GET_CX_DATA)
		return -EINVAL;
	return 0;
}

uint64_t hsm_pm_command_for_vm(uint64_t command, uint16_t vmid)
{
	/* The file's VM is meant, whatever the caller put in the VM field. */
	return (command & ~(uint64_t)ACRN_PMCMD_VMID_MASK) |
	       ((uint64_t)(vmid & 0xFFu) << ACRN_PMCMD_VMID_SHIFT);
}

uint32_t hsm_pm_result_size(uint64_t command)
{
	switch (command & ACRN_PMCMD_TYPE_MASK) {
	case ACRN_PMCMD_GET_PX_DATA:
		return sizeof(struct acrn_pstate_data);
	case ACRN_PMCMD_GET_CX_DATA:
		return sizeof(struct acrn_cstate_data);
	default:
		return sizeof(uint64_t);
	}
}

int hsm_check_ioeventfd(const struct acrn_ioeventfd *ioeventfd)
{
	/* ASYNCIO is ACRN's own; like mainline, it is accepted and works as a plain one. */
	const uint32_t known = ACRN_IOEVENTFD_FLAG_PIO | ACRN_IOEVENTFD_FLAG_DATAMATCH |
			       ACRN_IOEVENTFD_FLAG_DEASSIGN | ACRN_IOEVENTFD_FLAG_ASYNCIO;

	if ((ioeventfd->flags & ~known) != 0 || ioeventfd->reserved != 0)
		return -EINVAL;
	if (ioeventfd->flags & ACRN_IOEVENTFD_FLAG_DEASSIGN)
		return 0; /* only the eventfd counts */
	if (ioeventfd->len != 1 && ioeventfd->len != 2 && ioeventfd->len != 4 &&
	    ioeventfd->len != 8)
		return -EINVAL;
	if (ioeventfd->addr + ioeventfd->len < ioeventfd->addr)
		return -EINVAL;
	if ((ioeventfd->flags & ACRN_IOEVENTFD_FLAG_PIO) &&
	    ioeventfd->addr + ioeventfd->len > HSM_PIO_SPACE)
		return -EINVAL;
	return 0;
}

int hsm_check_irqfd(const struct acrn_irqfd *irqfd)
{
	if ((irqfd->flags & ~ACRN_IRQFD_FLAG_DEASSIGN) != 0)
		return -EINVAL;
	if (irqfd->fd < 0)
		return -EBADF;
	if (irqfd->flags & ACRN_IRQFD_FLAG_DEASSIGN)
		return 0;
	return hsm_check_msi_entry(&irqfd->msi);
}

bool hsm_ioreq_access(const struct acrn_io_request *req, struct hsm_io_access *access)
{
	if (req->type == ACRN_IOREQ_TYPE_PORTIO) {
		const struct acrn_pio_request *pio = &req->reqs.pio_request;

		*access = (struct hsm_io_access){ .pio = true,
						  .write = pio->direction == ACRN_IOREQ_DIR_WRITE,
						  .addr = pio->address,
						  .size = pio->size,
						  .value = pio->value };
		return true;
	}
	if (req->type == ACRN_IOREQ_TYPE_MMIO) {
		const struct acrn_mmio_request *mmio = &req->reqs.mmio_request;

		*access = (struct hsm_io_access){ .pio = false,
						  .write = mmio->direction == ACRN_IOREQ_DIR_WRITE,
						  .addr = mmio->address,
						  .size = mmio->size,
						  .value = mmio->value };
		return true;
	}
	return false;
}

bool hsm_io_range_contains(const struct hsm_io_range *range, const struct hsm_io_access *access)
{
	if (range->pio != access->pio || access->size == 0)
		return false;
	return access->addr >= range->addr && access->addr - range->addr < range->len &&
	       access->size <= range->len - (access->addr - range->addr);
}

bool hsm_ioeventfd_signals(const struct hsm_io_range *range, bool datamatch, uint64_t data,
			   const struct hsm_io_access *access)
{
	if (!access->write || range->pio != access->pio || access->addr != range->addr)
		return false;
	if (access->size == 0 || access->size > range->len)
		return false;
	return !datamatch || access->value == data;
}

bool hsm_ioeventfd_conflicts(const struct acrn_ioeventfd *existing,
			     const struct acrn_ioeventfd *added)
{
	bool existing_matches_any = !(existing->flags & ACRN_IOEVENTFD_FLAG_DATAMATCH);
	bool added_matches_any = !(added->flags & ACRN_IOEVENTFD_FLAG_DATAMATCH);

	if (existing->addr != added->addr)
		return false;
	if ((existing->flags ^ added->flags) & ACRN_IOEVENTFD_FLAG_PIO)
		return false;
	return existing_matches_any || added_matches_any || existing->data == added->data;
}

/* Hypervisors may place their leaves at any 0x100 step of this window. */
#define HSM_CPUID_SCAN_FIRST 0x40000000u
#define HSM_CPUID_SCAN_LAST  0x4000FF00u

int hsm_identify_hypervisor(bool hypervisor_bit, hsm_cpuid_reader cpuid, uint32_t *base)
{
	struct hsm_cpuid_regs regs;
	uint32_t leaf;

	*base = 0;
	if (!hypervisor_bit)
		return -ENODEV;
	for (leaf = HSM_CPUID_SCAN_FIRST; leaf <= HSM_CPUID_SCAN_LAST; leaf += 0x100) {
		cpuid(leaf, &regs);
		if (regs.ebx == ACRN_CPUID_SIGNATURE_WORD &&
		    regs.ecx == ACRN_CPUID_SIGNATURE_WORD &&
		    regs.edx == ACRN_CPUID_SIGNATURE_WORD) {
			*base = leaf;
			break;
		}
	}
	if (*base == 0)
		return -ENODEV;
	cpuid(*base + (ACRN_CPUID_LEAF_FEATURES - ACRN_CPUID_LEAF_SIGNATURE), &regs);
	return (regs.eax & ACRN_CPUID_FEATURE_PRIVILEGED_VM) ? 0 : -EPERM;
}

static void pio_finish_read(struct acrn_pio_request *pio, uint32_t value)
{
	if (pio->direction == ACRN_IOREQ_DIR_READ)
		pio->value = value;
}

bool hsm_ioreq_convert_pci(struct acrn_io_request *req, uint32_t *latch)
{
	struct acrn_pio_request *pio = &req->reqs.pio_request;
	struct acrn_pci_request *pci = &req->reqs.pci_request;
	uint32_t address = *latch;
	uint32_t port_offset;

	if (req->type != ACRN_IOREQ_TYPE_PORTIO)
		return false;
	if (pio->address == ACRN_PCI_CONFIG_ADDRESS) {
		if (pio->direction == ACRN_IOREQ_DIR_WRITE)
			*latch = pio->value;
		else
			pio->value = *latch;
		return true;
	}
	if (pio->address < ACRN_PCI_CONFIG_DATA || pio->address > ACRN_PCI_CONFIG_DATA + 3)
		return false;
	if ((address & 0x80000000u) == 0) {
		/* Configuration access disabled: reads float, writes go nowhere. */
		pio_finish_read(pio, 0xFFFFFFFFu);
		return true;
	}
	port_offset = (uint32_t)(pio->address - ACRN_PCI_CONFIG_DATA);
	/* direction, size and value stay where they are: the two layouts overlay. */
	req->type = ACRN_IOREQ_TYPE_PCICFG;
	pci->bus = (address >> 16) & 0xFFu;
	pci->dev = (address >> 11) & 0x1Fu;
	pci->func = (address >> 8) & 0x7u;
	pci->reg = (address & 0xFCu) + ((address >> 16) & 0xF00u) + port_offset;
	return false;
}
