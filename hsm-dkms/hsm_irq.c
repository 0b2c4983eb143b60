// SPDX-License-Identifier: GPL-2.0
/* Interrupts into a User VM: MSIs, INTx lines, passthrough remapping, the monitor. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/mm.h>
#include <linux/uaccess.h>

#include "hsm.h"

long hsm_irq_inject_msi(struct hsm_vm *vm, struct acrn_msi_entry __user *user_msi)
{
	struct acrn_msi_entry msi;
	long ret;

	if (copy_from_user(&msi, user_msi, sizeof(msi)))
		return -EFAULT;
	ret = hsm_check_msi_entry(&msi);
	if (ret)
		return ret;
	return hsm_vm_hypercall_buffer(vm, HC_INJECT_MSI, &msi, sizeof(msi));
}

long hsm_irq_set_irqline(struct hsm_vm *vm, u64 irqline)
{
	long ret = hsm_check_irqline(irqline);

	if (ret)
		return ret;
	/* gsi | op << 32 travels in the register itself, not behind a pointer. */
	return hsm_hypercall2(HC_SET_IRQLINE, vm->vmid, irqline);
}

long hsm_irq_ptdev(struct hsm_vm *vm, u64 hypercall_id, struct acrn_ptdev_irq __user *user_irq)
{
	struct acrn_hc_ptdev_irq hypercall_irq;
	struct acrn_ptdev_irq irq;
	long ret;

	if (copy_from_user(&irq, user_irq, sizeof(irq)))
		return -EFAULT;
	ret = hsm_check_ptdev_irq(&irq);
	if (ret)
		return ret;
	hsm_ptdev_irq_to_hypercall(&irq, &hypercall_irq);
	return hsm_vm_hypercall_buffer(vm, hypercall_id, &hypercall_irq, sizeof(hypercall_irq));
}

long hsm_irq_intr_monitor(struct hsm_vm *vm, u64 user_address)
{
	struct page *page;
	long ret = hsm_check_intr_monitor_address(user_address);

	if (ret)
		return ret;
	ret = hsm_compat_pin_user_pages(user_address, 1, true, &page);
	if (ret != 1)
		return ret < 0 ? ret : -EFAULT;
	ret = hsm_hypercall2(HC_VM_INTR_MONITOR, vm->vmid, page_to_phys(page));
	if (ret) {
		unpin_user_page(page);
		return ret;
	}
	/* The hypervisor may write the page until the next call: keep only the latest. */
	if (vm->intr_monitor_page)
		unpin_user_pages_dirty_lock(&vm->intr_monitor_page, 1, true);
	vm->intr_monitor_page = page;
	return 0;
}

void hsm_irq_release(struct hsm_vm *vm)
{
	if (vm->intr_monitor_page)
		unpin_user_pages_dirty_lock(&vm->intr_monitor_page, 1, true);
	vm->intr_monitor_page = NULL;
}
