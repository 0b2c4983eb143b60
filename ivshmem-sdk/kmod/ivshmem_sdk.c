// SPDX-License-Identifier: GPL-2.0
/*
 * ivshmem_sdk: a guest driver for the ivshmem PCI device (1af4:1110).
 *
 * Each function becomes /dev/ivshmemN: mmap at offset 0 maps BAR2 (the shared memory)
 * write-back, at IVSHMEM_SDK_MMAP_REGISTERS the BAR0 register page uncached; MSI-X
 * vectors are delivered to eventfds user space binds with an ioctl, so a reader can
 * sleep in poll/epoll until a peer rings its doorbell. uio_pci_generic cannot do that
 * for MSI-X-only devices, which is why this driver exists. Sysfs attributes give the
 * region name (from the libivshmem header, when there is one), the peer id and the
 * vector count, for udev names and `ivshmem list`.
 */
#include <linux/cdev.h>
#include <linux/ctype.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include <acrn/ivshmem.h>

#include "ivshmem_sdk_compat.h"
#include "ivshmem_sdk_uapi.h"

#define DRIVER_NAME "ivshmem_sdk"
#define MAX_DEVICES 64
/* libivshmem's header: magic at 0, name at 32 (see lib/shared_layout.h). */
#define LAYOUT_MAGIC	   0x3153444b4d485649ull
#define LAYOUT_NAME_OFFSET 32
#define LAYOUT_NAME_BYTES  32

struct vector_cookie {
	struct ivshmem_sdk_device *device;
	unsigned int vector;
};

/* Each open file binds its own eventfds, so several processes can wait on one device. */
struct ivshmem_sdk_open_file {
	struct ivshmem_sdk_device *device;
	struct list_head link;
	struct eventfd_ctx *eventfds[IVSHMEM_SDK_MAX_VECTORS];
};

struct ivshmem_sdk_device {
	struct pci_dev *pdev;
	struct cdev cdev;
	struct device node; /* its release frees this structure: see ivshmem_sdk_free */
	int minor;
	void __iomem *registers;
	resource_size_t memory_start;
	resource_size_t memory_bytes;
	unsigned int vectors;
	spinlock_t eventfd_lock; /* the open files' eventfds against the interrupt handler */
	struct list_head open_files;
	struct mutex lock; /* file operations against removal */
	bool removed;	   /* the PCI function is gone: files answer -ENODEV */
	struct vector_cookie *cookies[IVSHMEM_SDK_MAX_VECTORS];
};

static dev_t first_devt;
static struct class *ivshmem_class;
static DEFINE_IDA(minor_ida);

static irqreturn_t ivshmem_sdk_interrupt(int irq, void *data)
{
	struct vector_cookie *cookie = data;
	struct ivshmem_sdk_device *device = cookie->device;
	struct ivshmem_sdk_open_file *open_file;
	unsigned long flags;

	spin_lock_irqsave(&device->eventfd_lock, flags);
	list_for_each_entry(open_file, &device->open_files,
			    link) if (open_file->eventfds[cookie->vector])
	    ivshmem_sdk_eventfd_signal(open_file->eventfds[cookie->vector]);
	spin_unlock_irqrestore(&device->eventfd_lock, flags);
	return IRQ_HANDLED;
}

static int ivshmem_sdk_open(struct inode *inode, struct file *file)
{
	struct ivshmem_sdk_device *device =
	    container_of(inode->i_cdev, struct ivshmem_sdk_device, cdev);
	struct ivshmem_sdk_open_file *open_file = kzalloc(sizeof(*open_file), GFP_KERNEL);
	unsigned long flags;

	if (!open_file)
		return -ENOMEM;
	mutex_lock(&device->lock);
	if (device->removed) {
		mutex_unlock(&device->lock);
		kfree(open_file);
		return -ENODEV;
	}
	/* Open files keep the structure (not the PCI function) alive past removal. */
	get_device(&device->node);
	open_file->device = device;
	spin_lock_irqsave(&device->eventfd_lock, flags);
	list_add(&open_file->link, &device->open_files);
	spin_unlock_irqrestore(&device->eventfd_lock, flags);
	mutex_unlock(&device->lock);
	file->private_data = open_file;
	return 0;
}

/* Detaches what this file bound, so a crashed process leaves nothing behind. */
static int ivshmem_sdk_release(struct inode *inode, struct file *file)
{
	struct ivshmem_sdk_open_file *open_file = file->private_data;
	struct ivshmem_sdk_device *device = open_file->device;
	unsigned long flags;
	unsigned int v;

	spin_lock_irqsave(&device->eventfd_lock, flags);
	list_del(&open_file->link);
	spin_unlock_irqrestore(&device->eventfd_lock, flags);
	for (v = 0; v < IVSHMEM_SDK_MAX_VECTORS; v++)
		if (open_file->eventfds[v])
			eventfd_ctx_put(open_file->eventfds[v]);
	kfree(open_file);
	put_device(&device->node);
	return 0;
}

static int ivshmem_sdk_mmap_locked(struct ivshmem_sdk_device *device, struct vm_area_struct *vma)
{
	unsigned long length = vma->vm_end - vma->vm_start;
	u64 offset = (u64)vma->vm_pgoff << PAGE_SHIFT;

	if (offset == IVSHMEM_SDK_MMAP_REGISTERS) {
		resource_size_t start = pci_resource_start(device->pdev, ACRN_IVSHMEM_REGISTER_BAR);
		resource_size_t bytes = pci_resource_len(device->pdev, ACRN_IVSHMEM_REGISTER_BAR);

		/* A page holding less than a whole BAR0 could expose a neighbour's registers:
		 * QEMU's 256-byte BAR0 goes through the doorbell ioctl instead (ACRN's
		 * configuration reserves 4 KiB, which maps). */
		if (length != PAGE_SIZE || !PAGE_ALIGNED(start) || bytes < PAGE_SIZE)
			return -EINVAL;
		vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
		return io_remap_pfn_range(vma, vma->vm_start, start >> PAGE_SHIFT, PAGE_SIZE,
					  vma->vm_page_prot);
	}
	if (offset >= device->memory_bytes || length > device->memory_bytes - offset)
		return -EINVAL;
	/* The shared memory is RAM on the host side: ask for write-back (the default page
	 * protection). x86 PAT grants it only where the MTRRs say write-back; in a PCI hole
	 * the firmware marked uncached it becomes UC-, which libivshmem reports. */
	return remap_pfn_range(vma, vma->vm_start, (device->memory_start + offset) >> PAGE_SHIFT,
			       length, vma->vm_page_prot);
}

static int ivshmem_sdk_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct ivshmem_sdk_device *device =
	    ((struct ivshmem_sdk_open_file *)file->private_data)->device;
	int error = -ENODEV;

	mutex_lock(&device->lock);
	if (!device->removed)
		error = ivshmem_sdk_mmap_locked(device, vma);
	mutex_unlock(&device->lock);
	return error;
}

static long set_eventfd(struct ivshmem_sdk_open_file *open_file,
			struct ivshmem_sdk_eventfd __user *argument)
{
	struct ivshmem_sdk_device *device = open_file->device;
	struct ivshmem_sdk_eventfd binding;
	struct eventfd_ctx *ctx = NULL, *old;
	unsigned long flags;

	if (copy_from_user(&binding, argument, sizeof(binding)))
		return -EFAULT;
	if (binding.vector >= device->vectors)
		return -EINVAL;
	if (binding.fd >= 0) {
		ctx = eventfd_ctx_fdget(binding.fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	}
	mutex_lock(&device->lock);
	if (device->removed) {
		mutex_unlock(&device->lock);
		if (ctx)
			eventfd_ctx_put(ctx);
		return -ENODEV;
	}
	spin_lock_irqsave(&device->eventfd_lock, flags);
	old = open_file->eventfds[binding.vector];
	open_file->eventfds[binding.vector] = ctx;
	spin_unlock_irqrestore(&device->eventfd_lock, flags);
	mutex_unlock(&device->lock);
	if (old)
		eventfd_ctx_put(old);
	return 0;
}

static long ivshmem_sdk_ioctl_locked(struct ivshmem_sdk_device *device, unsigned int command,
				     void __user *user)
{
	switch (command) {
	case IVSHMEM_SDK_GET_INFO: {
		struct ivshmem_sdk_info info;

		memset(&info, 0, sizeof(info));
		info.struct_size = sizeof(info);
		info.vectors = device->vectors;
		info.memory_bytes = device->memory_bytes;
		info.iv_position = ioread32(device->registers + ACRN_IVSHMEM_REG_IV_POSITION);
		info.subsystem_id = device->pdev->subsystem_device;
		strscpy(info.pci_address, pci_name(device->pdev), sizeof(info.pci_address));
		return copy_to_user(user, &info, sizeof(info)) ? -EFAULT : 0;
	}
	case IVSHMEM_SDK_RING_DOORBELL: {
		__u32 value;

		if (get_user(value, (__u32 __user *)user))
			return -EFAULT;
		iowrite32(value, device->registers + ACRN_IVSHMEM_REG_DOORBELL);
		return 0;
	}
	}
	return -ENOTTY;
}

static long ivshmem_sdk_ioctl(struct file *file, unsigned int command, unsigned long argument)
{
	struct ivshmem_sdk_open_file *open_file = file->private_data;
	struct ivshmem_sdk_device *device = open_file->device;
	void __user *user = (void __user *)argument;
	long result = -ENODEV;

	if (command == IVSHMEM_SDK_SET_EVENTFD)
		return set_eventfd(open_file, user);
	/* The registers and the PCI function exist only until removal. */
	mutex_lock(&device->lock);
	if (!device->removed)
		result = ivshmem_sdk_ioctl_locked(device, command, user);
	mutex_unlock(&device->lock);
	return result;
}

static const struct file_operations ivshmem_sdk_fops = {
	.owner = THIS_MODULE,
	.open = ivshmem_sdk_open,
	.release = ivshmem_sdk_release,
	.mmap = ivshmem_sdk_mmap,
	.unlocked_ioctl = ivshmem_sdk_ioctl,
	.compat_ioctl = ivshmem_sdk_ioctl,
};

static ssize_t region_name_show(struct device *node, struct device_attribute *attribute,
				char *buffer)
{
	struct ivshmem_sdk_device *device = dev_get_drvdata(node);
	char name[LAYOUT_NAME_BYTES + 1] = "";
	void *header;
	size_t i;

	/* Read the header afresh: the region may have been initialised after probe. */
	header = memremap(device->memory_start, PAGE_SIZE, MEMREMAP_WB);
	if (!header)
		return -ENOMEM;
	if (*(u64 *)header == LAYOUT_MAGIC) {
		memcpy(name, (u8 *)header + LAYOUT_NAME_OFFSET, LAYOUT_NAME_BYTES);
		name[LAYOUT_NAME_BYTES] = '\0';
		/* The header is another VM's writing: keep only harmless characters. */
		for (i = 0; name[i]; i++)
			if (!isalnum(name[i]) && !strchr("_-.:/", name[i]))
				name[i] = '_';
	}
	memunmap(header);
	return sysfs_emit(buffer, "%s\n", name);
}
static DEVICE_ATTR_RO(region_name);

static ssize_t iv_position_show(struct device *node, struct device_attribute *attribute,
				char *buffer)
{
	struct ivshmem_sdk_device *device = dev_get_drvdata(node);

	return sysfs_emit(buffer, "%u\n",
			  ioread32(device->registers + ACRN_IVSHMEM_REG_IV_POSITION));
}
static DEVICE_ATTR_RO(iv_position);

static ssize_t vectors_show(struct device *node, struct device_attribute *attribute, char *buffer)
{
	struct ivshmem_sdk_device *device = dev_get_drvdata(node);

	return sysfs_emit(buffer, "%u\n", device->vectors);
}
static DEVICE_ATTR_RO(vectors);

static ssize_t region_id_show(struct device *node, struct device_attribute *attribute, char *buffer)
{
	struct ivshmem_sdk_device *device = dev_get_drvdata(node);

	return sysfs_emit(buffer, "%u\n", device->pdev->subsystem_device);
}
static DEVICE_ATTR_RO(region_id);

static struct attribute *ivshmem_sdk_attrs[] = {
	&dev_attr_region_name.attr,
	&dev_attr_iv_position.attr,
	&dev_attr_vectors.attr,
	&dev_attr_region_id.attr,
	NULL,
};
ATTRIBUTE_GROUPS(ivshmem_sdk);

static int setup_vectors(struct ivshmem_sdk_device *device)
{
	struct pci_dev *pdev = device->pdev;
	int count, v, error;

	/* ivshmem-plain and dm-land devices have no MSI-X: shared memory only. */
	if (!pdev->msix_cap)
		return 0;
	count = pci_alloc_irq_vectors(pdev, 1, IVSHMEM_SDK_MAX_VECTORS, PCI_IRQ_MSIX);
	if (count < 0)
		return count;
	for (v = 0; v < count; v++) {
		struct vector_cookie *cookie;

		cookie = devm_kzalloc(&pdev->dev, sizeof(*cookie), GFP_KERNEL);
		if (!cookie)
			return -ENOMEM;
		cookie->device = device;
		cookie->vector = v;
		device->cookies[v] = cookie;
		error = devm_request_irq(&pdev->dev, pci_irq_vector(pdev, v), ivshmem_sdk_interrupt,
					 0, DRIVER_NAME, cookie);
		if (error)
			return error;
		device->vectors = v + 1;
	}
	return 0;
}

/* Interrupts are released here, not by devres after remove: the handler uses the device
 * structure, which may be freed as soon as remove drops its reference. */
static void free_vector_irqs(struct ivshmem_sdk_device *device)
{
	unsigned int v;

	for (v = 0; v < device->vectors; v++)
		devm_free_irq(&device->pdev->dev, pci_irq_vector(device->pdev, v),
			      device->cookies[v]);
	device->vectors = 0;
}

static void ivshmem_sdk_free(struct device *node)
{
	struct ivshmem_sdk_device *device = container_of(node, struct ivshmem_sdk_device, node);

	ida_free(&minor_ida, device->minor);
	kfree(device);
}

static int ivshmem_sdk_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct ivshmem_sdk_device *device;
	int error;

	device = kzalloc(sizeof(*device), GFP_KERNEL);
	if (!device)
		return -ENOMEM;
	device->pdev = pdev;
	spin_lock_init(&device->eventfd_lock);
	INIT_LIST_HEAD(&device->open_files);
	mutex_init(&device->lock);
	error = pcim_enable_device(pdev);
	if (error)
		goto err_free;
	error = pcim_iomap_regions(pdev, BIT(ACRN_IVSHMEM_REGISTER_BAR), DRIVER_NAME);
	if (error)
		goto err_free;
	device->registers = pcim_iomap_table(pdev)[ACRN_IVSHMEM_REGISTER_BAR];
	device->memory_start = pci_resource_start(pdev, ACRN_IVSHMEM_MEMORY_BAR);
	device->memory_bytes = pci_resource_len(pdev, ACRN_IVSHMEM_MEMORY_BAR);
	if (!device->memory_bytes) {
		dev_err(&pdev->dev, "BAR2 (shared memory) is missing\n");
		error = -ENODEV;
		goto err_free;
	}
	pci_set_master(pdev);
	error = setup_vectors(device);
	if (error) {
		dev_err(&pdev->dev, "MSI-X setup failed: %d\n", error);
		goto err_vectors;
	}
	device->minor = ida_alloc_max(&minor_ida, MAX_DEVICES - 1, GFP_KERNEL);
	if (device->minor < 0) {
		error = device->minor;
		goto err_vectors;
	}
	device_initialize(&device->node);
	device->node.class = ivshmem_class;
	device->node.parent = &pdev->dev;
	device->node.devt = first_devt + device->minor;
	device->node.groups = ivshmem_sdk_groups;
	device->node.release = ivshmem_sdk_free;
	dev_set_drvdata(&device->node, device);
	error = dev_set_name(&device->node, "ivshmem%d", device->minor);
	cdev_init(&device->cdev, &ivshmem_sdk_fops);
	device->cdev.owner = THIS_MODULE;
	if (!error)
		error = cdev_device_add(&device->cdev, &device->node);
	if (error) {
		free_vector_irqs(device);
		put_device(&device->node); /* frees the minor and the structure */
		return error;
	}
	pci_set_drvdata(pdev, device);
	dev_info(&pdev->dev, "ivshmem%d: %llu bytes of shared memory, %u doorbell vector(s)\n",
		 device->minor, (unsigned long long)device->memory_bytes, device->vectors);
	return 0;

err_vectors:
	free_vector_irqs(device);
err_free:
	kfree(device);
	return error;
}

static void ivshmem_sdk_remove(struct pci_dev *pdev)
{
	struct ivshmem_sdk_device *device = pci_get_drvdata(pdev);

	mutex_lock(&device->lock);
	device->removed = true;
	mutex_unlock(&device->lock);
	cdev_device_del(&device->cdev, &device->node);
	/* After this no interrupt signals anything; open files put their eventfds. */
	free_vector_irqs(device);
	put_device(&device->node); /* open files may still hold it */
}

static const struct pci_device_id ivshmem_sdk_ids[] = {
	{ PCI_DEVICE(ACRN_IVSHMEM_VENDOR_ID, ACRN_IVSHMEM_DEVICE_ID) },
	{ 0 },
};
MODULE_DEVICE_TABLE(pci, ivshmem_sdk_ids);

static struct pci_driver ivshmem_sdk_driver = {
	.name = DRIVER_NAME,
	.id_table = ivshmem_sdk_ids,
	.probe = ivshmem_sdk_probe,
	.remove = ivshmem_sdk_remove,
};

static int __init ivshmem_sdk_init(void)
{
	int error = alloc_chrdev_region(&first_devt, 0, MAX_DEVICES, DRIVER_NAME);

	if (error)
		return error;
	ivshmem_class = ivshmem_sdk_class_create(IVSHMEM_SDK_CLASS);
	if (IS_ERR(ivshmem_class)) {
		error = PTR_ERR(ivshmem_class);
		goto err_region;
	}
	error = pci_register_driver(&ivshmem_sdk_driver);
	if (error)
		goto err_class;
	return 0;

err_class:
	class_destroy(ivshmem_class);
err_region:
	unregister_chrdev_region(first_devt, MAX_DEVICES);
	return error;
}

static void __exit ivshmem_sdk_exit(void)
{
	pci_unregister_driver(&ivshmem_sdk_driver);
	class_destroy(ivshmem_class);
	unregister_chrdev_region(first_devt, MAX_DEVICES);
	ida_destroy(&minor_ida);
}

module_init(ivshmem_sdk_init);
module_exit(ivshmem_sdk_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("ivshmem (1af4:1110) with MSI-X doorbells as eventfds, for libivshmem");
MODULE_VERSION("1.0.0");
