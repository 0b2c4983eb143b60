// SPDX-License-Identifier: GPL-2.0
/*
 * acrn_hsm: the Hypervisor Service Module of the ACRN-compatible platform. It runs in
 * the Service VM and gives the device model /dev/acrn_hsm, the upstream ioctl ABI (type
 * 0xA2): one open file is one User VM. This file holds the load-time checks, the misc
 * device and the ioctl switch; the work is in the per-concern files.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/processor.h>

#include "hsm.h"

static void hsm_read_cpuid(u32 leaf, struct hsm_cpuid_regs *regs)
{
	cpuid(leaf, &regs->eax, &regs->ebx, &regs->ecx, &regs->edx);
}

/* Every path that issues VMCALL depends on this: outside ACRN, VMCALL would fault. */
static int hsm_check_hypervisor(void)
{
	u32 base;
	int ret =
	    hsm_identify_hypervisor(boot_cpu_has(X86_FEATURE_HYPERVISOR), hsm_read_cpuid, &base);

	if (ret == -ENODEV)
		pr_err("not loading: no ACRN hypervisor (no \"ACRNACRNACRN\" signature at CPUID "
		       "0x40000000), error -ENODEV\n");
	else if (ret == -EPERM)
		pr_err("not loading: ACRN hypervisor found, but this VM is not the Service VM "
		       "(CPUID 0x%x EAX bit 0 clear), error -EPERM\n",
		       base + (ACRN_CPUID_LEAF_FEATURES - ACRN_CPUID_LEAF_SIGNATURE));
	return ret;
}

static int hsm_open(struct inode *inode, struct file *file)
{
	struct hsm_vm *vm = kzalloc(sizeof(*vm), GFP_KERNEL);

	if (!vm)
		return -ENOMEM;
	mutex_init(&vm->lock);
	spin_lock_init(&vm->ioreq_lock);
	init_waitqueue_head(&vm->client_wait);
	INIT_LIST_HEAD(&vm->vm_list_link);
	INIT_LIST_HEAD(&vm->ram_maps);
	INIT_LIST_HEAD(&vm->ioeventfds);
	INIT_LIST_HEAD(&vm->irqfds);
	mutex_init(&vm->irqfds_lock);
	vm->vmid = ACRN_INVALID_VMID;
	file->private_data = vm;
	return 0;
}

static int hsm_release(struct inode *inode, struct file *file)
{
	struct hsm_vm *vm = file->private_data;
	bool keep;

	mutex_lock(&vm->lock);
	hsm_vm_destroy(vm, true);
	keep = vm->destroy_refused;
	mutex_unlock(&vm->lock);
	/* A VM the hypervisor still runs keeps its pinned pages, so keep the record too. */
	if (!keep)
		kfree(vm);
	return 0;
}

static long hsm_ioctl_locked(struct hsm_vm *vm, unsigned int cmd, unsigned long arg)
{
	void __user *user_arg = (void __user *)arg;

	switch (cmd) {
	case ACRN_IOCTL_CREATE_VM:
		return hsm_vm_create(vm, user_arg);
	case ACRN_IOCTL_DESTROY_VM:
		return hsm_vm_destroy(vm, false);
	case ACRN_IOCTL_START_VM:
		return hsm_vm_simple_hypercall(vm, HC_START_VM);
	case ACRN_IOCTL_PAUSE_VM:
		return hsm_vm_simple_hypercall(vm, HC_PAUSE_VM);
	case ACRN_IOCTL_RESET_VM:
		return hsm_vm_simple_hypercall(vm, HC_RESET_VM);
	case ACRN_IOCTL_SET_VCPU_REGS:
		return hsm_vm_set_vcpu_regs(vm, user_arg);
	case ACRN_IOCTL_SET_MEMSEG:
		return hsm_mm_set_memseg(vm, user_arg);
	case ACRN_IOCTL_UNSET_MEMSEG:
		return hsm_mm_unset_memseg(vm, user_arg);
	case ACRN_IOCTL_CREATE_IOREQ_CLIENT:
		return hsm_ioreq_create_client(vm);
	case ACRN_IOCTL_DESTROY_IOREQ_CLIENT:
		return hsm_ioreq_destroy_client(vm);
	case ACRN_IOCTL_CLEAR_VM_IOREQ:
		return hsm_ioreq_clear(vm);
	case ACRN_IOCTL_INJECT_MSI:
		return hsm_irq_inject_msi(vm, user_arg);
	case ACRN_IOCTL_SET_IRQLINE:
		return hsm_irq_set_irqline(vm, arg);
	case ACRN_IOCTL_VM_INTR_MONITOR:
		return hsm_irq_intr_monitor(vm, arg);
	case ACRN_IOCTL_SET_PTDEV_INTR:
		return hsm_irq_ptdev(vm, HC_SET_PTDEV_INTR_INFO, user_arg);
	case ACRN_IOCTL_RESET_PTDEV_INTR:
		return hsm_irq_ptdev(vm, HC_RESET_PTDEV_INTR_INFO, user_arg);
	case ACRN_IOCTL_ASSIGN_PCIDEV:
		return hsm_dev_pcidev(vm, HC_ASSIGN_PCIDEV, user_arg);
	case ACRN_IOCTL_DEASSIGN_PCIDEV:
		return hsm_dev_pcidev(vm, HC_DEASSIGN_PCIDEV, user_arg);
	case ACRN_IOCTL_ASSIGN_MMIODEV:
		return hsm_dev_mmiodev(vm, HC_ASSIGN_MMIODEV, user_arg);
	case ACRN_IOCTL_DEASSIGN_MMIODEV:
		return hsm_dev_mmiodev(vm, HC_DEASSIGN_MMIODEV, user_arg);
	case ACRN_IOCTL_CREATE_VDEV:
		return hsm_dev_vdev(vm, HC_ADD_VDEV, user_arg);
	case ACRN_IOCTL_DESTROY_VDEV:
		return hsm_dev_vdev(vm, HC_REMOVE_VDEV, user_arg);
	case ACRN_IOCTL_PM_GET_CPU_STATE:
		return hsm_dev_pm_get_cpu_state(vm, user_arg);
	case ACRN_IOCTL_IOEVENTFD:
		return hsm_ioeventfd_ioctl(vm, user_arg);
	case ACRN_IOCTL_IRQFD:
		return hsm_irqfd_ioctl(vm, user_arg);
	default:
		/*
		 * Unknown, and ACRN's own SETUP_ASYNCIO / SETUP_VM_EVENT_*, which mainline
		 * kernels do not have either and acrn-dm treats as optional.
		 */
		return -ENOTTY;
	}
}

static long hsm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct hsm_vm *vm = file->private_data;
	long ret;

	/* As upstream: nothing but CREATE_VM makes sense before a VM exists. */
	if (cmd != ACRN_IOCTL_CREATE_VM && !READ_ONCE(vm->created))
		return -EINVAL;

	/* These two run beside the others: ATTACH sleeps until a request arrives. */
	if (cmd == ACRN_IOCTL_ATTACH_IOREQ_CLIENT)
		return hsm_ioreq_attach_client(vm);
	if (cmd == ACRN_IOCTL_NOTIFY_REQUEST_FINISH)
		return hsm_ioreq_notify_finish(vm, (void __user *)arg);

	mutex_lock(&vm->lock);
	if (cmd != ACRN_IOCTL_CREATE_VM && !vm->created)
		ret = -EINVAL; /* destroyed while we waited for the lock */
	else
		ret = hsm_ioctl_locked(vm, cmd, arg);
	mutex_unlock(&vm->lock);
	return ret;
}

static const struct file_operations hsm_fops = {
	.owner = THIS_MODULE,
	.open = hsm_open,
	.release = hsm_release,
	.unlocked_ioctl = hsm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/*
 * remove_cpu: hands a Service VM CPU back to the hypervisor for User VMs. Linux takes
 * the CPU offline first; if the hypervisor then refuses, the CPU comes back.
 */
static ssize_t remove_cpu_store(struct device *dev, struct device_attribute *attr, const char *buf,
				size_t count)
{
	unsigned int cpu;
	long ret;

	ret = kstrtouint(buf, 0, &cpu);
	if (ret)
		return ret;
	if (cpu == 0 || cpu >= nr_cpu_ids || !cpu_possible(cpu))
		return -EINVAL;
	if (cpu_online(cpu)) {
		ret = remove_cpu(cpu);
		if (ret)
			return ret;
	}
	ret = hsm_hypercall1(HC_SERVICE_VM_OFFLINE_CPU, cpu_physical_id(cpu));
	if (ret) {
		pr_err("hypervisor refused CPU %u (APIC id %u): %ld; bringing it back\n", cpu,
		       cpu_physical_id(cpu), ret);
		add_cpu(cpu);
		return ret;
	}
	return count;
}
static DEVICE_ATTR_WO(remove_cpu);

static struct attribute *hsm_attributes[] = {
	&dev_attr_remove_cpu.attr,
	NULL,
};

static const struct attribute_group hsm_attribute_group = {
	.attrs = hsm_attributes,
};

static const struct attribute_group *hsm_attribute_groups[] = {
	&hsm_attribute_group,
	NULL,
};

static struct miscdevice hsm_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = ACRN_HSM_DEVICE_NAME,
	.fops = &hsm_fops,
	.groups = hsm_attribute_groups,
};

static int __init hsm_init(void)
{
	int ret = hsm_check_hypervisor();

	if (ret)
		return ret;
	ret = hsm_ioreq_init();
	if (ret)
		return ret;
	ret = hsm_notify_init();
	if (ret)
		goto err_ioreq;
	ret = misc_register(&hsm_miscdev);
	if (ret) {
		/* Most likely the in-tree driver (module "acrn") already owns the name. */
		pr_err("cannot register /dev/%s (%d): is the kernel's own acrn module loaded?\n",
		       ACRN_HSM_DEVICE_NAME, ret);
		goto err_notify;
	}
	pr_info("ready: /dev/%s\n", ACRN_HSM_DEVICE_NAME);
	return 0;

err_notify:
	hsm_notify_exit();
err_ioreq:
	hsm_ioreq_exit();
	return ret;
}

static void __exit hsm_exit(void)
{
	misc_deregister(&hsm_miscdev);
	hsm_notify_exit();
	hsm_ioreq_exit();
}

module_init(hsm_init);
module_exit(hsm_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Hypervisor Service Module for the ACRN-compatible hypervisor");
MODULE_AUTHOR("The ACRN-compatible hypervisor project");
MODULE_VERSION(HSM_MODULE_VERSION);
