// SPDX-License-Identifier: GPL-2.0
/*
 * Upcalls from the hypervisor. On kernels with ACRN guest support the fixed vector 0xF3
 * works; on stock distribution kernels it does not exist, so the hypervisor shows a
 * notification PCI function (include/acrn/notify_dev.h) and the module drives it like
 * any PCI device with one MSI. Both paths end in hsm_ioreq_upcall().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/pci.h>

#include <acrn/notify_dev.h>

#include "hsm.h"

struct hsm_notify_device {
	void __iomem *registers;
	int irq;
};

static irqreturn_t hsm_notify_interrupt(int irq, void *data)
{
	struct hsm_notify_device *notify = data;
	u32 status = readl(notify->registers + ACRN_NOTIFY_REG_STATUS);

	if (!status)
		return IRQ_NONE;
	/* Acknowledge before the scan, so a request raised meanwhile fires again. */
	writel(status, notify->registers + ACRN_NOTIFY_REG_STATUS);
	if (status & ACRN_NOTIFY_STATUS_IOREQ)
		hsm_ioreq_upcall();
	return IRQ_HANDLED;
}

static int hsm_notify_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct hsm_notify_device *notify;
	u32 magic, version;
	int ret;

	notify = devm_kzalloc(&pdev->dev, sizeof(*notify), GFP_KERNEL);
	if (!notify)
		return -ENOMEM;
	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(0), KBUILD_MODNAME);
	if (ret)
		return ret;
	notify->registers = pcim_iomap_table(pdev)[0];
	magic = readl(notify->registers + ACRN_NOTIFY_REG_MAGIC);
	version = readl(notify->registers + ACRN_NOTIFY_REG_VERSION);
	if (magic != ACRN_NOTIFY_MAGIC || version != ACRN_NOTIFY_VERSION) {
		dev_err(&pdev->dev, "not an ACRN notification device (magic %#x, version %u)\n",
			magic, version);
		return -ENODEV;
	}
	ret = pci_alloc_irq_vectors(pdev, 1, ACRN_NOTIFY_MSI_COUNT, PCI_IRQ_MSI);
	if (ret < 0)
		return ret;
	notify->irq = pci_irq_vector(pdev, 0);
	ret = request_irq(notify->irq, hsm_notify_interrupt, 0, KBUILD_MODNAME, notify);
	if (ret)
		goto err_vectors;
	pci_set_drvdata(pdev, notify);
	writel(ACRN_NOTIFY_CTRL_ENABLE, notify->registers + ACRN_NOTIFY_REG_CONTROL);
	/* Requests raised before the switch went to vector 0xF3; look for them now. */
	hsm_ioreq_upcall();
	dev_info(&pdev->dev, "I/O request upcalls by MSI (irq %d)\n", notify->irq);
	return 0;

err_vectors:
	pci_free_irq_vectors(pdev);
	return ret;
}

static void hsm_notify_remove(struct pci_dev *pdev)
{
	struct hsm_notify_device *notify = pci_get_drvdata(pdev);

	writel(0, notify->registers + ACRN_NOTIFY_REG_CONTROL);
	free_irq(notify->irq, notify);
	pci_free_irq_vectors(pdev);
}

static const struct pci_device_id hsm_notify_ids[] = {
	{ PCI_DEVICE(ACRN_NOTIFY_PCI_VENDOR, ACRN_NOTIFY_PCI_DEVICE) }, {}
};
MODULE_DEVICE_TABLE(pci, hsm_notify_ids);

static struct pci_driver hsm_notify_driver = {
	.name = KBUILD_MODNAME,
	.id_table = hsm_notify_ids,
	.probe = hsm_notify_probe,
	.remove = hsm_notify_remove,
};

int hsm_notify_init(void)
{
	int ret = pci_register_driver(&hsm_notify_driver);

	if (ret)
		return ret;
	if (HSM_HAS_VECTOR_UPCALL)
		hsm_compat_set_vector_upcall(hsm_ioreq_upcall);
	return 0;
}

void hsm_notify_exit(void)
{
	if (HSM_HAS_VECTOR_UPCALL)
		hsm_compat_clear_vector_upcall();
	pci_unregister_driver(&hsm_notify_driver);
}
