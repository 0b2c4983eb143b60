// SPDX-License-Identifier: GPL-2.0
/*
 * ioeventfd: the in-kernel I/O request client. A guest write to a registered port or
 * MMIO address signals an eventfd (a virtio notification, say) and the request is
 * finished here without waking the device model; reads in those ranges return 0. The
 * list is read by the upcall worker, so it lives under vm->ioreq_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/eventfd.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "hsm.h"

struct hsm_ioeventfd {
	struct list_head link;
	struct eventfd_ctx *eventfd;
	struct acrn_ioeventfd args; /* as registered, for the conflict check */
	struct hsm_io_range range;
};

static long hsm_ioeventfd_assign(struct hsm_vm *vm, const struct acrn_ioeventfd *args)
{
	struct hsm_ioeventfd *added, *existing;
	long ret = 0;

	added = kzalloc(sizeof(*added), GFP_KERNEL);
	if (!added)
		return -ENOMEM;
	added->eventfd = eventfd_ctx_fdget((int)args->fd);
	if (IS_ERR(added->eventfd)) {
		ret = PTR_ERR(added->eventfd);
		kfree(added);
		return ret;
	}
	added->args = *args;
	added->range = (struct hsm_io_range){ .pio = args->flags & ACRN_IOEVENTFD_FLAG_PIO,
					      .addr = args->addr,
					      .len = args->len };
	spin_lock(&vm->ioreq_lock);
	if (vm->ioeventfd_count >= HSM_MAX_IOEVENTFDS) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	list_for_each_entry(existing, &vm->ioeventfds, link)
	{
		if (existing->eventfd == added->eventfd &&
		    hsm_ioeventfd_conflicts(&existing->args, &added->args)) {
			ret = -EEXIST;
			goto out_unlock;
		}
	}
	list_add_tail(&added->link, &vm->ioeventfds);
	vm->ioeventfd_count++;
	added = NULL;
out_unlock:
	spin_unlock(&vm->ioreq_lock);
	if (added) {
		eventfd_ctx_put(added->eventfd);
		kfree(added);
	}
	return ret;
}

/* Removes the oldest registration of that eventfd, one per call (as upstream). */
static long hsm_ioeventfd_deassign(struct hsm_vm *vm, const struct acrn_ioeventfd *args)
{
	struct eventfd_ctx *eventfd = eventfd_ctx_fdget((int)args->fd);
	struct hsm_ioeventfd *entry, *found = NULL;

	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);
	spin_lock(&vm->ioreq_lock);
	list_for_each_entry(entry, &vm->ioeventfds, link)
	{
		if (entry->eventfd == eventfd) {
			found = entry;
			list_del(&found->link);
			vm->ioeventfd_count--;
			break;
		}
	}
	spin_unlock(&vm->ioreq_lock);
	eventfd_ctx_put(eventfd);
	if (!found)
		return -ENOENT;
	eventfd_ctx_put(found->eventfd);
	kfree(found);
	return 0;
}

long hsm_ioeventfd_ioctl(struct hsm_vm *vm, struct acrn_ioeventfd __user *user_ioeventfd)
{
	struct acrn_ioeventfd args;
	long ret;

	if (copy_from_user(&args, user_ioeventfd, sizeof(args)))
		return -EFAULT;
	ret = hsm_check_ioeventfd(&args);
	if (ret)
		return ret;
	if (args.flags & ACRN_IOEVENTFD_FLAG_DEASSIGN)
		return hsm_ioeventfd_deassign(vm, &args);
	return hsm_ioeventfd_assign(vm, &args);
}

bool hsm_ioeventfd_handle(struct hsm_vm *vm, struct acrn_io_request *req)
{
	struct hsm_io_access access;
	struct hsm_ioeventfd *entry;
	bool owned = false;

	lockdep_assert_held(&vm->ioreq_lock);
	if (list_empty(&vm->ioeventfds) || !hsm_ioreq_access(req, &access))
		return false;
	list_for_each_entry(entry, &vm->ioeventfds, link)
	{
		if (!hsm_io_range_contains(&entry->range, &access))
			continue;
		owned = true;
		if (hsm_ioeventfd_signals(&entry->range,
					  entry->args.flags & ACRN_IOEVENTFD_FLAG_DATAMATCH,
					  entry->args.data, &access))
			hsm_compat_eventfd_signal(entry->eventfd);
	}
	if (!owned)
		return false;
	if (!access.write) {
		if (access.pio)
			req->reqs.pio_request.value = 0;
		else
			req->reqs.mmio_request.value = 0;
	}
	req->kernel_handled = 1;
	return true;
}

void hsm_ioeventfd_release(struct hsm_vm *vm)
{
	struct hsm_ioeventfd *entry, *next;
	LIST_HEAD(released);

	spin_lock(&vm->ioreq_lock);
	list_splice_init(&vm->ioeventfds, &released);
	vm->ioeventfd_count = 0;
	spin_unlock(&vm->ioreq_lock);
	list_for_each_entry_safe(entry, next, &released, link)
	{
		eventfd_ctx_put(entry->eventfd);
		kfree(entry);
	}
}
