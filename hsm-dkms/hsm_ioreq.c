// SPDX-License-Identifier: GPL-2.0
/*
 * I/O requests: the device model's ioreq page, the upcall worker that hands PENDING
 * slots to the device model, and completion. Slot states move with acquire/release
 * ordering because the hypervisor on another CPU reads and writes the same page.
 * Two clients: ioeventfds (in the kernel, hsm_ioeventfd.c) take the accesses in their
 * ranges, the device model gets the rest.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "hsm.h"

/* VMs with an ioreq page, for the upcall worker, which has no file to start from. */
static LIST_HEAD(hsm_vm_list);
static DEFINE_SPINLOCK(hsm_vm_list_lock);
static struct workqueue_struct *hsm_ioreq_workqueue;

static void hsm_ioreq_dispatch_all(struct work_struct *work);
static DECLARE_WORK(hsm_ioreq_work, hsm_ioreq_dispatch_all);

/* Called with vm->ioreq_lock held; VMCALL is fine in atomic context. */
static long hsm_ioreq_complete(struct hsm_vm *vm, unsigned int vcpu)
{
	struct acrn_io_request *req = &vm->ioreq_buf->req_slot[vcpu];
	/* Read before COMPLETE: from then on the hypervisor may reuse the slot. */
	u32 polling = READ_ONCE(req->completion_polling);
	long ret = 0;

	smp_store_release(&req->processed, ACRN_IOREQ_STATE_COMPLETE);
	if (!polling) {
		ret = hsm_hypercall2(HC_NOTIFY_REQUEST_FINISH, vm->vmid, vcpu);
		if (ret)
			pr_err_ratelimited("VM %u vCPU %u: NOTIFY_REQUEST_FINISH failed: %ld\n",
					   vm->vmid, vcpu, ret);
	}
	return ret;
}

static void hsm_ioreq_dispatch_vm(struct hsm_vm *vm)
{
	bool wake = false;
	unsigned int vcpu;

	spin_lock(&vm->ioreq_lock);
	for (vcpu = 0; vm->ioreq_buf && vcpu < vm->vcpu_num; vcpu++) {
		struct acrn_io_request *req = &vm->ioreq_buf->req_slot[vcpu];

		if (smp_load_acquire(&req->processed) != ACRN_IOREQ_STATE_PENDING)
			continue;
		/* Done here, or nobody to serve it (no client, torn down): the vCPU goes on. */
		if (hsm_ioreq_convert_pci(req, &vm->pci_config_latch) ||
		    hsm_ioeventfd_handle(vm, req) || !vm->client_exists || vm->client_destroying) {
			hsm_ioreq_complete(vm, vcpu);
			continue;
		}
		req->kernel_handled = 0;
		smp_store_release(&req->processed, ACRN_IOREQ_STATE_PROCESSING);
		set_bit(vcpu, vm->client_pending);
		wake = true;
	}
	spin_unlock(&vm->ioreq_lock);
	if (wake)
		wake_up_interruptible(&vm->client_wait);
}

static void hsm_ioreq_dispatch_all(struct work_struct *work)
{
	struct hsm_vm *vm;

	spin_lock(&hsm_vm_list_lock);
	list_for_each_entry(vm, &hsm_vm_list, vm_list_link) hsm_ioreq_dispatch_vm(vm);
	spin_unlock(&hsm_vm_list_lock);
}

void hsm_ioreq_upcall(void)
{
	queue_work(hsm_ioreq_workqueue, &hsm_ioreq_work);
}

int hsm_ioreq_init(void)
{
	hsm_ioreq_workqueue = alloc_workqueue("acrn_hsm_ioreq", WQ_HIGHPRI | WQ_MEM_RECLAIM, 1);
	return hsm_ioreq_workqueue ? 0 : -ENOMEM;
}

void hsm_ioreq_exit(void)
{
	destroy_workqueue(hsm_ioreq_workqueue);
}

int hsm_ioreq_attach_buffer(struct hsm_vm *vm, u64 user_address)
{
	struct acrn_ioreq_buffer_param *param;
	struct page *page;
	long ret;

	ret = hsm_compat_pin_user_pages(user_address, 1, true, &page);
	if (ret != 1)
		return ret < 0 ? ret : -EFAULT;
	param = kzalloc(sizeof(*param), GFP_KERNEL);
	if (!param) {
		ret = -ENOMEM;
		goto err_unpin;
	}
	param->ioreq_buf = page_to_phys(page);
	ret = hsm_hypercall2(HC_SET_IOREQ_BUFFER, vm->vmid, virt_to_phys(param));
	kfree(param);
	if (ret)
		goto err_unpin;
	spin_lock(&hsm_vm_list_lock);
	spin_lock(&vm->ioreq_lock);
	vm->ioreq_page = page;
	vm->ioreq_buf = page_address(page);
	spin_unlock(&vm->ioreq_lock);
	list_add_tail(&vm->vm_list_link, &hsm_vm_list);
	spin_unlock(&hsm_vm_list_lock);
	return 0;

err_unpin:
	unpin_user_page(page);
	return ret;
}

void hsm_ioreq_detach_buffer(struct hsm_vm *vm, bool unpin)
{
	struct page *page = NULL;

	/* The worker walks the list under this lock, so after it no scan sees the VM. */
	spin_lock(&hsm_vm_list_lock);
	list_del_init(&vm->vm_list_link);
	spin_unlock(&hsm_vm_list_lock);
	if (!unpin)
		return;
	spin_lock(&vm->ioreq_lock);
	page = vm->ioreq_page;
	vm->ioreq_page = NULL;
	vm->ioreq_buf = NULL;
	spin_unlock(&vm->ioreq_lock);
	if (page)
		unpin_user_pages_dirty_lock(&page, 1, true);
}

long hsm_ioreq_create_client(struct hsm_vm *vm)
{
	spin_lock(&vm->ioreq_lock);
	if (vm->client_exists) {
		spin_unlock(&vm->ioreq_lock);
		return -EEXIST;
	}
	vm->client_exists = true;
	vm->client_destroying = false;
	bitmap_zero(vm->client_pending, ACRN_IO_REQUEST_MAX);
	spin_unlock(&vm->ioreq_lock);
	/* Requests raised before the client existed were completed; pick up new ones. */
	hsm_ioreq_upcall();
	return 0;
}

static bool hsm_ioreq_client_should_wake(struct hsm_vm *vm)
{
	return !bitmap_empty(vm->client_pending, ACRN_IO_REQUEST_MAX) ||
	       READ_ONCE(vm->client_destroying) || !READ_ONCE(vm->client_exists);
}

long hsm_ioreq_attach_client(struct hsm_vm *vm)
{
	int ret;

	if (!READ_ONCE(vm->client_exists))
		return -ENODEV;
	ret = wait_event_interruptible(vm->client_wait, hsm_ioreq_client_should_wake(vm));
	if (ret)
		return ret;
	if (READ_ONCE(vm->client_destroying) || !READ_ONCE(vm->client_exists))
		return -ENODEV;
	return 0;
}

long hsm_ioreq_destroy_client(struct hsm_vm *vm)
{
	unsigned int vcpu;

	spin_lock(&vm->ioreq_lock);
	if (!vm->client_exists) {
		spin_unlock(&vm->ioreq_lock);
		return 0;
	}
	vm->client_destroying = true;
	/* Requests the device model will never answer: let their vCPUs go on. */
	for_each_set_bit(vcpu, vm->client_pending, ACRN_IO_REQUEST_MAX) if (vm->ioreq_buf)
	    hsm_ioreq_complete(vm, vcpu);
	bitmap_zero(vm->client_pending, ACRN_IO_REQUEST_MAX);
	vm->client_exists = false;
	spin_unlock(&vm->ioreq_lock);
	wake_up_interruptible(&vm->client_wait);
	return 0;
}

long hsm_ioreq_notify_finish(struct hsm_vm *vm, struct acrn_ioreq_notify __user *user_notify)
{
	struct acrn_ioreq_notify notify;
	long ret;

	if (copy_from_user(&notify, user_notify, sizeof(notify)))
		return -EFAULT;
	ret = hsm_check_ioreq_notify(&notify, vm->vcpu_num);
	if (ret)
		return ret;
	spin_lock(&vm->ioreq_lock);
	/* Only a request this client is processing can be finished. */
	if (!vm->ioreq_buf || !test_and_clear_bit(notify.vcpu, vm->client_pending))
		ret = -EINVAL;
	else
		ret = hsm_ioreq_complete(vm, notify.vcpu);
	spin_unlock(&vm->ioreq_lock);
	return ret;
}

long hsm_ioreq_clear(struct hsm_vm *vm)
{
	unsigned int vcpu;

	/* Reset or suspend: nothing in flight may keep a vCPU waiting. */
	spin_lock(&vm->ioreq_lock);
	for (vcpu = 0; vm->ioreq_buf && vcpu < vm->vcpu_num; vcpu++) {
		u32 state = smp_load_acquire(&vm->ioreq_buf->req_slot[vcpu].processed);

		if (test_and_clear_bit(vcpu, vm->client_pending) ||
		    state == ACRN_IOREQ_STATE_PENDING)
			hsm_ioreq_complete(vm, vcpu);
	}
	spin_unlock(&vm->ioreq_lock);
	return 0;
}
