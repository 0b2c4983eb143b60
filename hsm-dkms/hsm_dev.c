// SPDX-License-Identifier: GPL-2.0
/* Devices of a User VM: passthrough PCI and MMIO devices, hypervisor vdevs, CPU states. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/io.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "hsm.h"

long hsm_dev_pcidev(struct hsm_vm *vm, u64 hypercall_id, struct acrn_pcidev __user *user_pcidev)
{
	struct acrn_pcidev pcidev;
	long ret;

	if (copy_from_user(&pcidev, user_pcidev, sizeof(pcidev)))
		return -EFAULT;
	ret = hsm_check_pcidev(&pcidev);
	if (ret)
		return ret;
	return hsm_vm_hypercall_buffer(vm, hypercall_id, &pcidev, sizeof(pcidev));
}

long hsm_dev_mmiodev(struct hsm_vm *vm, u64 hypercall_id, struct acrn_mmiodev __user *user_mmiodev)
{
	struct acrn_mmiodev mmiodev;
	long ret;

	if (copy_from_user(&mmiodev, user_mmiodev, sizeof(mmiodev)))
		return -EFAULT;
	ret = hsm_check_mmiodev(&mmiodev);
	if (ret)
		return ret;
	return hsm_vm_hypercall_buffer(vm, hypercall_id, &mmiodev, sizeof(mmiodev));
}

long hsm_dev_vdev(struct hsm_vm *vm, u64 hypercall_id, struct acrn_vdev __user *user_vdev)
{
	struct acrn_vdev *vdev = memdup_user(user_vdev, sizeof(*vdev));
	long ret;

	if (IS_ERR(vdev))
		return PTR_ERR(vdev);
	ret = hsm_check_vdev(vdev);
	if (!ret)
		ret = hsm_hypercall2(hypercall_id, vm->vmid, virt_to_phys(vdev));
	kfree(vdev);
	return ret;
}

long hsm_dev_pm_get_cpu_state(struct hsm_vm *vm, u64 __user *user_command)
{
	/* Large enough for every answer: a count, a P-state or a C-state. */
	union {
		u64 count;
		struct acrn_pstate_data pstate;
		struct acrn_cstate_data cstate;
	} * result;
	u64 command;
	long ret;

	if (get_user(command, user_command))
		return -EFAULT;
	ret = hsm_check_pm_command(command);
	if (ret)
		return ret;
	result = kzalloc(sizeof(*result), GFP_KERNEL);
	if (!result)
		return -ENOMEM;
	ret = hsm_hypercall2(HC_PM_GET_CPU_STATE, hsm_pm_command_for_vm(command, vm->vmid),
			     virt_to_phys(result));
	if (!ret && copy_to_user(user_command, result, hsm_pm_result_size(command)))
		ret = -EFAULT;
	kfree(result);
	return ret;
}
