// SPDX-License-Identifier: GPL-2.0
/*
 * irqfd: signalling a registered eventfd injects an MSI into the User VM (HC_INJECT_MSI),
 * so a backend (vhost, an iothread) interrupts the guest without a round trip through
 * the device model. The wake-up callback runs in atomic context; VMCALL is fine there.
 * An irqfd holds its eventfd until deassigned or the VM goes, even if the eventfd's file
 * is closed: the callback never frees anything, which keeps it free of races.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/io.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "hsm.h"

struct hsm_irqfd {
	struct hsm_vm *vm;
	struct list_head link;
	struct eventfd_ctx *eventfd;
	wait_queue_entry_t wait;
	poll_table poll;
	struct acrn_msi_entry msi; /* the hypervisor reads it at its physical address */
};

static void hsm_irqfd_inject(struct hsm_irqfd *irqfd)
{
	long ret = hsm_hypercall2(HC_INJECT_MSI, irqfd->vm->vmid, virt_to_phys(&irqfd->msi));

	if (ret)
		pr_err_ratelimited("VM %u: irqfd MSI injection failed: %ld\n", irqfd->vm->vmid,
				   ret);
}

static int hsm_irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync, void *key)
{
	struct hsm_irqfd *irqfd = container_of(wait, struct hsm_irqfd, wait);

	if (key_to_poll(key) & EPOLLIN)
		hsm_irqfd_inject(irqfd);
	return 0;
}

static void hsm_irqfd_poll_queue(struct file *file, wait_queue_head_t *head, poll_table *poll)
{
	struct hsm_irqfd *irqfd = container_of(poll, struct hsm_irqfd, poll);

	add_wait_queue(head, &irqfd->wait);
}

/* Called with vm->irqfds_lock held. */
static void hsm_irqfd_free(struct hsm_irqfd *irqfd)
{
	u64 count;

	list_del(&irqfd->link);
	eventfd_ctx_remove_wait_queue(irqfd->eventfd, &irqfd->wait, &count);
	eventfd_ctx_put(irqfd->eventfd);
	kfree(irqfd);
}

static long hsm_irqfd_assign(struct hsm_vm *vm, const struct acrn_irqfd *args)
{
	struct hsm_irqfd *irqfd, *existing;
	struct file *eventfd_file;
	__poll_t events;
	long ret;

	irqfd = kzalloc(sizeof(*irqfd), GFP_KERNEL);
	if (!irqfd)
		return -ENOMEM;
	irqfd->vm = vm;
	irqfd->msi = args->msi;
	/* fget, not fdget: struct fd changed shape in 6.12, struct file did not. */
	eventfd_file = fget(args->fd);
	if (!eventfd_file) {
		ret = -EBADF;
		goto err_free;
	}
	irqfd->eventfd = eventfd_ctx_fileget(eventfd_file);
	if (IS_ERR(irqfd->eventfd)) {
		ret = PTR_ERR(irqfd->eventfd);
		goto err_fput;
	}
	init_waitqueue_func_entry(&irqfd->wait, hsm_irqfd_wakeup);
	init_poll_funcptr(&irqfd->poll, hsm_irqfd_poll_queue);

	mutex_lock(&vm->irqfds_lock);
	list_for_each_entry(existing, &vm->irqfds, link)
	{
		if (existing->eventfd == irqfd->eventfd) {
			mutex_unlock(&vm->irqfds_lock);
			ret = -EBUSY;
			goto err_put;
		}
	}
	list_add_tail(&irqfd->link, &vm->irqfds);
	events = vfs_poll(eventfd_file, &irqfd->poll);
	/* Signalled before we listened: deliver that one now. */
	if (events & EPOLLIN)
		hsm_irqfd_inject(irqfd);
	mutex_unlock(&vm->irqfds_lock);
	fput(eventfd_file);
	return 0;

err_put:
	eventfd_ctx_put(irqfd->eventfd);
err_fput:
	fput(eventfd_file);
err_free:
	kfree(irqfd);
	return ret;
}

static long hsm_irqfd_deassign(struct hsm_vm *vm, const struct acrn_irqfd *args)
{
	struct eventfd_ctx *eventfd = eventfd_ctx_fdget(args->fd);
	struct hsm_irqfd *irqfd, *next;
	long ret = -ENOENT;

	if (IS_ERR(eventfd))
		return PTR_ERR(eventfd);
	mutex_lock(&vm->irqfds_lock);
	list_for_each_entry_safe(irqfd, next, &vm->irqfds, link)
	{
		if (irqfd->eventfd == eventfd) {
			hsm_irqfd_free(irqfd);
			ret = 0;
			break;
		}
	}
	mutex_unlock(&vm->irqfds_lock);
	eventfd_ctx_put(eventfd);
	return ret;
}

long hsm_irqfd_ioctl(struct hsm_vm *vm, struct acrn_irqfd __user *user_irqfd)
{
	struct acrn_irqfd args;
	long ret;

	if (copy_from_user(&args, user_irqfd, sizeof(args)))
		return -EFAULT;
	ret = hsm_check_irqfd(&args);
	if (ret)
		return ret;
	if (args.flags & ACRN_IRQFD_FLAG_DEASSIGN)
		return hsm_irqfd_deassign(vm, &args);
	return hsm_irqfd_assign(vm, &args);
}

void hsm_irqfd_release(struct hsm_vm *vm)
{
	struct hsm_irqfd *irqfd, *next;

	mutex_lock(&vm->irqfds_lock);
	list_for_each_entry_safe(irqfd, next, &vm->irqfds, link) hsm_irqfd_free(irqfd);
	mutex_unlock(&vm->irqfds_lock);
}
