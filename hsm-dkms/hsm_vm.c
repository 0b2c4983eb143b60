// SPDX-License-Identifier: GPL-2.0
/* VM lifecycle: create, destroy, start/pause/reset, initial vCPU registers. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/io.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "hsm.h"

long hsm_vm_hypercall_buffer(struct hsm_vm *vm, u64 hypercall_id, const void *data, size_t size)
{
	/* The hypervisor reads guest-physical memory: hand it a contiguous kernel copy. */
	void *buffer = kmemdup(data, size, GFP_KERNEL);
	long ret;

	if (!buffer)
		return -ENOMEM;
	ret = hsm_hypercall2(hypercall_id, vm->vmid, virt_to_phys(buffer));
	kfree(buffer);
	return ret;
}

/* Tears down what CREATE_VM built, once the hypervisor no longer runs the VM. */
static void hsm_vm_release_resources(struct hsm_vm *vm)
{
	hsm_irqfd_release(vm);
	hsm_ioeventfd_release(vm);
	hsm_ioreq_destroy_client(vm);
	hsm_ioreq_detach_buffer(vm, true);
	hsm_irq_release(vm);
	hsm_mm_release_all(vm);
	WRITE_ONCE(vm->created, false);
	vm->vmid = ACRN_INVALID_VMID;
}

long hsm_vm_create(struct hsm_vm *vm, struct acrn_vm_creation __user *user_creation)
{
	struct acrn_vm_creation *creation;
	long ret;

	if (vm->created)
		return -EEXIST; /* one VM per open file */
	creation = memdup_user(user_creation, sizeof(*creation));
	if (IS_ERR(creation))
		return PTR_ERR(creation);
	ret = hsm_check_vm_creation(creation);
	if (ret)
		goto out;
	ret = hsm_hypercall1(HC_CREATE_VM, virt_to_phys(creation));
	if (ret)
		goto out;
	if (creation->vmid == ACRN_INVALID_VMID) {
		/* The hypervisor found a slot but could not build the VM in it. */
		ret = -EINVAL;
		goto out;
	}
	vm->vmid = creation->vmid;
	vm->vcpu_num = min_t(u16, creation->vcpu_num, ACRN_IO_REQUEST_MAX);
	ret = hsm_ioreq_attach_buffer(vm, creation->ioreq_buf);
	if (ret)
		goto err_destroy;
	if (copy_to_user(user_creation, creation, sizeof(*creation))) {
		ret = -EFAULT;
		goto err_detach;
	}
	WRITE_ONCE(vm->created, true);
	kfree(creation);
	return 0;

err_detach:
	hsm_ioreq_detach_buffer(vm, false);
err_destroy:
	/* A new VM is CREATED; the hypervisor destroys only PAUSED ones. */
	hsm_hypercall1(HC_PAUSE_VM, vm->vmid);
	if (hsm_hypercall1(HC_DESTROY_VM, vm->vmid) == 0 && vm->ioreq_page)
		hsm_ioreq_detach_buffer(vm, true);
	vm->vmid = ACRN_INVALID_VMID;
out:
	kfree(creation);
	return ret;
}

long hsm_vm_destroy(struct hsm_vm *vm, bool on_close)
{
	long ret;

	if (!vm->created)
		return on_close ? 0 : -EINVAL;
	/* A device model that died never paused its VM; DESTROY_VM needs it paused. */
	if (on_close)
		hsm_hypercall1(HC_PAUSE_VM, vm->vmid);
	ret = hsm_hypercall1(HC_DESTROY_VM, vm->vmid);
	if (ret == 0) {
		hsm_vm_release_resources(vm);
		return 0;
	}
	if (!on_close)
		return ret; /* the VM lives on; the caller may pause it and retry */
	/*
	 * The file is going away but the hypervisor still runs the VM: its memory may
	 * still be written, so it stays pinned for ever rather than being reused.
	 */
	pr_err("VM %u: hypervisor refused to destroy it (%ld); its memory stays pinned\n", vm->vmid,
	       ret);
	hsm_irqfd_release(vm);
	hsm_ioeventfd_release(vm);
	hsm_ioreq_destroy_client(vm);
	hsm_ioreq_detach_buffer(vm, false);
	vm->destroy_refused = true;
	return ret;
}

long hsm_vm_simple_hypercall(struct hsm_vm *vm, u64 hypercall_id)
{
	return hsm_hypercall1(hypercall_id, vm->vmid);
}

long hsm_vm_set_vcpu_regs(struct hsm_vm *vm, struct acrn_vcpu_regs __user *user_regs)
{
	struct acrn_vcpu_regs *regs = memdup_user(user_regs, sizeof(*regs));
	long ret;

	if (IS_ERR(regs))
		return PTR_ERR(regs);
	ret = hsm_check_vcpu_regs(regs, vm->vcpu_num);
	if (!ret)
		ret = hsm_hypercall2(HC_SET_VCPU_REGS, vm->vmid, virt_to_phys(regs));
	kfree(regs);
	return ret;
}
