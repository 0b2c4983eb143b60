// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the ioctl argument checks: hsm_validate.c compiled for user space, driven
 * with good structures and with each kind of bad one (reserved fields set, bad sizes,
 * out-of-range values), plus the PCI configuration conversion of I/O requests.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hsm_validate.h"

static struct acrn_vm_creation good_creation(void)
{
	struct acrn_vm_creation creation = { .vm_flag = ACRN_VM_FLAG_IO_COMPLETION,
					     .ioreq_buf = 0x7f0000001000ull };

	memcpy(creation.name, "POST_STD_VM1", 13);
	return creation;
}

static void test_vm_creation(void **state)
{
	struct acrn_vm_creation creation = good_creation();

	(void)state;
	assert_int_equal(hsm_check_vm_creation(&creation), 0);
	creation.reserved0 = 1;
	assert_int_equal(hsm_check_vm_creation(&creation), -EINVAL);
	creation = good_creation();
	creation.reserved1 = 0x8000;
	assert_int_equal(hsm_check_vm_creation(&creation), -EINVAL);
	creation = good_creation();
	creation.ioreq_buf = 0;
	assert_int_equal(hsm_check_vm_creation(&creation), -EINVAL);
	creation.ioreq_buf = 0x7f0000001008ull;
	assert_int_equal(hsm_check_vm_creation(&creation), -EINVAL);
}

static void test_vcpu_regs(void **state)
{
	struct acrn_vcpu_regs regs;

	(void)state;
	memset(&regs, 0, sizeof(regs));
	regs.vcpu_id = 1;
	regs.vcpu_regs.rip = 0xfff0;
	regs.vcpu_regs.cs_sel = 0xf000;
	assert_int_equal(hsm_check_vcpu_regs(&regs, 2), 0);
	assert_int_equal(hsm_check_vcpu_regs(&regs, 1), -EINVAL); /* vCPU out of range */
	regs.vcpu_regs.reserved_64[3] = 1;
	assert_int_equal(hsm_check_vcpu_regs(&regs, 2), -EINVAL);
	regs.vcpu_regs.reserved_64[3] = 0;
	regs.vcpu_regs.reserved_32[2] = 1;
	assert_int_equal(hsm_check_vcpu_regs(&regs, 2), -EINVAL);
	regs.vcpu_regs.reserved_32[2] = 0;
	regs.vcpu_regs.gdt.reserved[1] = 1;
	assert_int_equal(hsm_check_vcpu_regs(&regs, 2), -EINVAL);
	regs.vcpu_regs.gdt.reserved[1] = 0;
	regs.vcpu_regs.idt.reserved[0] = 1;
	assert_int_equal(hsm_check_vcpu_regs(&regs, 2), -EINVAL);
	regs.vcpu_regs.idt.reserved[0] = 0;
	regs.reserved[2] = 1;
	assert_int_equal(hsm_check_vcpu_regs(&regs, 2), -EINVAL);
	regs.reserved[2] = 0;
	assert_int_equal(hsm_check_vcpu_regs(&regs, 2), 0);
}

static void test_ioreq_notify(void **state)
{
	struct acrn_ioreq_notify notify = { .vmid = 7, .vcpu = 3 };

	(void)state;
	assert_int_equal(hsm_check_ioreq_notify(&notify, 4), 0);
	assert_int_equal(hsm_check_ioreq_notify(&notify, 3), -EINVAL);
	notify.vcpu = ACRN_IO_REQUEST_MAX;
	assert_int_equal(hsm_check_ioreq_notify(&notify, 0xFFFF), -EINVAL);
	notify.vcpu = 0;
	notify.reserved = 1;
	assert_int_equal(hsm_check_ioreq_notify(&notify, 4), -EINVAL);
}

static struct acrn_vm_memmap good_ram(void)
{
	return (struct acrn_vm_memmap){ .type = ACRN_MEMMAP_RAM,
					.attr = ACRN_MEM_ACCESS_RWX,
					.user_vm_pa = 0,
					.vma_base = 0x7f1234000000ull,
					.len = 256ull << 20 };
}

static void test_memmap(void **state)
{
	struct acrn_vm_memmap memmap = good_ram();

	(void)state;
	assert_int_equal(hsm_check_memmap(&memmap, false), 0);
	assert_int_equal(hsm_check_memmap(&memmap, true), -EINVAL); /* RAM cannot be unset */
	memmap.type = ACRN_MEMMAP_MMIO;
	memmap.service_vm_pa = 0xfe000000ull;
	memmap.user_vm_pa = 0xc0000000ull;
	memmap.len = 0x1000;
	assert_int_equal(hsm_check_memmap(&memmap, false), 0);
	assert_int_equal(hsm_check_memmap(&memmap, true), 0);
	memmap.type = 2;
	assert_int_equal(hsm_check_memmap(&memmap, false), -EINVAL);

	memmap = good_ram();
	memmap.attr = ACRN_MEM_ACCESS_READ | ACRN_MEM_TYPE_UC; /* the type is not the caller's */
	assert_int_equal(hsm_check_memmap(&memmap, false), -EINVAL);
	memmap = good_ram();
	memmap.len = 0;
	assert_int_equal(hsm_check_memmap(&memmap, false), -EINVAL);
	memmap.len = 0x1800;
	assert_int_equal(hsm_check_memmap(&memmap, false), -EINVAL);
	memmap = good_ram();
	memmap.user_vm_pa = 0x10;
	assert_int_equal(hsm_check_memmap(&memmap, false), -EINVAL);
	memmap = good_ram();
	memmap.vma_base = 0x7f1234000800ull;
	assert_int_equal(hsm_check_memmap(&memmap, false), -EINVAL);
	memmap = good_ram();
	memmap.user_vm_pa = 0xFFFFFFFFFFFFF000ull; /* wraps */
	memmap.len = 0x2000;
	assert_int_equal(hsm_check_memmap(&memmap, false), -EINVAL);
}

static void test_memmap_prot(void **state)
{
	struct acrn_vm_memmap memmap = good_ram();

	(void)state;
	assert_int_equal(hsm_memmap_prot(&memmap), ACRN_MEM_ACCESS_RWX | ACRN_MEM_TYPE_WB);
	memmap.type = ACRN_MEMMAP_MMIO;
	memmap.attr = ACRN_MEM_ACCESS_READ | ACRN_MEM_ACCESS_WRITE;
	assert_int_equal(hsm_memmap_prot(&memmap), 0x3 | ACRN_MEM_TYPE_UC);
}

static void test_irqline(void **state)
{
	uint64_t op;

	(void)state;
	for (op = ACRN_IRQLINE_SET_HIGH; op <= ACRN_IRQLINE_FALLING_PULSE; op++)
		assert_int_equal(hsm_check_irqline((op << 32) | 4), 0);
	assert_int_equal(hsm_check_irqline((4ull << 32) | 4), -EINVAL);
	assert_int_equal(hsm_check_irqline(0xFFFFFFFF00000000ull), -EINVAL);
}

static void test_msi_entry(void **state)
{
	struct acrn_msi_entry msi = { .msi_addr = 0xFEE01000ull, .msi_data = 0x4031 };

	(void)state;
	assert_int_equal(hsm_check_msi_entry(&msi), 0);
	msi.msi_addr = 0xFED00000ull;
	assert_int_equal(hsm_check_msi_entry(&msi), -EINVAL);
	msi.msi_addr = 0x1FEE00000ull;
	assert_int_equal(hsm_check_msi_entry(&msi), -EINVAL);
	msi.msi_addr = 0xFEE00000ull;
	msi.msi_data = 1ull << 32;
	assert_int_equal(hsm_check_msi_entry(&msi), -EINVAL);
}

static void test_ptdev_irq(void **state)
{
	struct acrn_ptdev_irq irq = { .type = ACRN_PTDEV_IRQ_INTX,
				      .virt_bdf = 0x18,
				      .phys_bdf = 0x300,
				      .virt_pin = 5,
				      .phys_pin = 17,
				      .is_pic_pin = 1 };
	struct acrn_hc_ptdev_irq out;

	(void)state;
	assert_int_equal(hsm_check_ptdev_irq(&irq), 0);
	memset(&out, 0xAA, sizeof(out));
	hsm_ptdev_irq_to_hypercall(&irq, &out);
	assert_int_equal(out.type, ACRN_PTDEV_IRQ_INTX);
	assert_int_equal(out.virt_bdf, 0x18);
	assert_int_equal(out.phys_bdf, 0x300);
	assert_int_equal(out.virt_pin, 5);
	assert_int_equal(out.phys_pin, 17);
	assert_int_equal(out.pic_pin, 1);
	assert_int_equal(out.reserved[0] | out.reserved[1] | out.reserved[2], 0);
	assert_int_equal(out.padding, 0);
	irq.is_pic_pin = 2;
	assert_int_equal(hsm_check_ptdev_irq(&irq), -EINVAL);
	irq.is_pic_pin = 0;
	irq.type = ACRN_PTDEV_IRQ_MSIX + 1;
	assert_int_equal(hsm_check_ptdev_irq(&irq), -EINVAL);
}

static void test_pcidev(void **state)
{
	struct acrn_pcidev pcidev = { .type = ACRN_PTDEV_QUIRK_ASSIGN,
				      .virt_bdf = 0x20,
				      .phys_bdf = 0x100,
				      .bar = { 0xc0000000u } };

	(void)state;
	assert_int_equal(hsm_check_pcidev(&pcidev), 0);
	pcidev.type = 2;
	assert_int_equal(hsm_check_pcidev(&pcidev), -EINVAL);
	pcidev.type = 0;
	pcidev.reserved = 1;
	assert_int_equal(hsm_check_pcidev(&pcidev), -EINVAL);
}

static void test_mmiodev(void **state)
{
	struct acrn_mmiodev mmiodev = { .name = "TPM2" };

	(void)state;
	assert_int_equal(hsm_check_mmiodev(&mmiodev), -EINVAL); /* no resource at all */
	mmiodev.res[1] = (struct acrn_mmiores){ .user_vm_pa = 0xfed40000ull,
						.host_pa = 0xfed40000ull,
						.size = 0x5000 };
	assert_int_equal(hsm_check_mmiodev(&mmiodev), 0);
	mmiodev.res[1].size = 0x5001;
	assert_int_equal(hsm_check_mmiodev(&mmiodev), -EINVAL);
	mmiodev.res[1].size = 0x5000;
	mmiodev.res[1].host_pa = 0xFFFFFFFFFFFFF000ull;
	assert_int_equal(hsm_check_mmiodev(&mmiodev), -EINVAL);
}

static void test_vdev(void **state)
{
	struct acrn_vdev vdev;

	(void)state;
	memset(&vdev, 0, sizeof(vdev));
	assert_int_equal(hsm_check_vdev(&vdev), -EINVAL); /* no id */
	vdev.id.fields.vendor = 0x1AF4;
	vdev.id.fields.device = 0x1110;
	vdev.slot = (0u << 8) | (5u << 3);
	assert_int_equal(hsm_check_vdev(&vdev), 0);
	vdev.slot = 0x10000;
	assert_int_equal(hsm_check_vdev(&vdev), -EINVAL);
}

static void test_intr_monitor_address(void **state)
{
	(void)state;
	assert_int_equal(hsm_check_intr_monitor_address(0x7f0000002000ull), 0);
	assert_int_equal(hsm_check_intr_monitor_address(0), -EINVAL);
	assert_int_equal(hsm_check_intr_monitor_address(0x7f0000002008ull), -EINVAL);
}

static void test_pm_command(void **state)
{
	(void)state;
	assert_int_equal(hsm_check_pm_command(ACRN_PMCMD_GET_PX_CNT), 0);
	assert_int_equal(hsm_check_pm_command(ACRN_PMCMD_GET_CX_DATA | (2u << 8) | (1u << 16)), 0);
	assert_int_equal(hsm_check_pm_command(ACRN_PMCMD_GET_CX_DATA + 1), -EINVAL);
	assert_int_equal(hsm_check_pm_command(1ull << 32), -EINVAL);
	/* The caller's VM field is replaced by the file's VM. */
	assert_int_equal(hsm_pm_command_for_vm(0x7F000103u, 2), 0x02000103u);
	assert_int_equal(hsm_pm_result_size(ACRN_PMCMD_GET_PX_CNT), 8);
	assert_int_equal(hsm_pm_result_size(ACRN_PMCMD_GET_CX_CNT), 8);
	assert_int_equal(hsm_pm_result_size(ACRN_PMCMD_GET_PX_DATA), 48);
	assert_int_equal(hsm_pm_result_size(ACRN_PMCMD_GET_CX_DATA), 32);
}

static struct acrn_io_request pio(uint64_t port, uint32_t direction, uint64_t size, uint32_t value)
{
	struct acrn_io_request req;

	memset(&req, 0, sizeof(req));
	req.type = ACRN_IOREQ_TYPE_PORTIO;
	req.reqs.pio_request = (struct acrn_pio_request){
		.direction = direction, .address = port, .size = size, .value = value
	};
	return req;
}

static void test_pci_config_address_latch(void **state)
{
	uint32_t latch = 0;
	struct acrn_io_request req = pio(0xCF8, ACRN_IOREQ_DIR_WRITE, 4, 0x80001810u);

	(void)state;
	assert_true(hsm_ioreq_convert_pci(&req, &latch));
	assert_int_equal(latch, 0x80001810u);
	req = pio(0xCF8, ACRN_IOREQ_DIR_READ, 4, 0);
	assert_true(hsm_ioreq_convert_pci(&req, &latch));
	assert_int_equal(req.reqs.pio_request.value, 0x80001810u);
	assert_int_equal(req.type, ACRN_IOREQ_TYPE_PORTIO);
}

static void test_pci_config_data_converted(void **state)
{
	/* bus 2, device 3, function 1, register 0x44, extended bits 0x100 */
	uint32_t latch = 0x80000000u | (1u << 24) | (2u << 16) | (3u << 11) | (1u << 8) | 0x44u;
	struct acrn_io_request req = pio(0xCFE, ACRN_IOREQ_DIR_WRITE, 2, 0xBEEF);

	(void)state;
	assert_false(hsm_ioreq_convert_pci(&req, &latch));
	assert_int_equal(req.type, ACRN_IOREQ_TYPE_PCICFG);
	assert_int_equal(req.reqs.pci_request.bus, 2);
	assert_int_equal(req.reqs.pci_request.dev, 3);
	assert_int_equal(req.reqs.pci_request.func, 1);
	assert_int_equal(req.reqs.pci_request.reg, 0x100 + 0x44 + 2);
	assert_int_equal(req.reqs.pci_request.direction, ACRN_IOREQ_DIR_WRITE);
	assert_int_equal(req.reqs.pci_request.size, 2);
	assert_int_equal(req.reqs.pci_request.value, 0xBEEF);
}

static void test_pci_config_data_disabled(void **state)
{
	uint32_t latch = 0x00001810u; /* no enable bit */
	struct acrn_io_request req = pio(0xCFC, ACRN_IOREQ_DIR_READ, 4, 0);

	(void)state;
	assert_true(hsm_ioreq_convert_pci(&req, &latch));
	assert_int_equal(req.reqs.pio_request.value, 0xFFFFFFFFu);
	req = pio(0xCFD, ACRN_IOREQ_DIR_WRITE, 1, 0x12);
	assert_true(hsm_ioreq_convert_pci(&req, &latch));
	assert_int_equal(req.reqs.pio_request.value, 0x12); /* dropped, untouched */
}

static void test_pci_other_requests_untouched(void **state)
{
	uint32_t latch = 0x80000000u;
	struct acrn_io_request req = pio(0x3F8, ACRN_IOREQ_DIR_WRITE, 1, 0x41);
	struct acrn_io_request copy = req;

	(void)state;
	assert_false(hsm_ioreq_convert_pci(&req, &latch));
	assert_memory_equal(&req, &copy, sizeof(req));
	req = pio(0xD00, ACRN_IOREQ_DIR_READ, 4, 0);
	copy = req;
	assert_false(hsm_ioreq_convert_pci(&req, &latch));
	assert_memory_equal(&req, &copy, sizeof(req));
	req.type = ACRN_IOREQ_TYPE_MMIO;
	req.reqs.mmio_request.address = 0xCFC;
	copy = req;
	assert_false(hsm_ioreq_convert_pci(&req, &latch));
	assert_memory_equal(&req, &copy, sizeof(req));
	assert_int_equal(latch, 0x80000000u);
}

static struct acrn_ioeventfd good_ioeventfd(void)
{
	return (struct acrn_ioeventfd){
		.fd = 5, .flags = ACRN_IOEVENTFD_FLAG_PIO, .addr = 0xC050, .len = 2
	};
}

static void test_ioeventfd(void **state)
{
	struct acrn_ioeventfd ioeventfd = good_ioeventfd();
	uint32_t len;

	(void)state;
	for (len = 0; len <= 9; len++) {
		ioeventfd.len = len;
		assert_int_equal(hsm_check_ioeventfd(&ioeventfd),
				 (len == 1 || len == 2 || len == 4 || len == 8) ? 0 : -EINVAL);
	}
	ioeventfd = good_ioeventfd();
	ioeventfd.flags |= ACRN_IOEVENTFD_FLAG_ASYNCIO; /* accepted, as on mainline */
	assert_int_equal(hsm_check_ioeventfd(&ioeventfd), 0);
	ioeventfd.flags = 0x10;
	assert_int_equal(hsm_check_ioeventfd(&ioeventfd), -EINVAL);
	ioeventfd = good_ioeventfd();
	ioeventfd.reserved = 1;
	assert_int_equal(hsm_check_ioeventfd(&ioeventfd), -EINVAL);
	ioeventfd = good_ioeventfd();
	ioeventfd.addr = 0xFFFF; /* a 2-byte port range past 0xFFFF */
	assert_int_equal(hsm_check_ioeventfd(&ioeventfd), -EINVAL);
	ioeventfd.flags = 0; /* the same address is fine for MMIO */
	assert_int_equal(hsm_check_ioeventfd(&ioeventfd), 0);
	ioeventfd.addr = 0xFFFFFFFFFFFFFFFEull; /* wraps */
	ioeventfd.len = 4;
	assert_int_equal(hsm_check_ioeventfd(&ioeventfd), -EINVAL);
	ioeventfd.flags = ACRN_IOEVENTFD_FLAG_DEASSIGN; /* only the eventfd counts */
	ioeventfd.len = 3;
	assert_int_equal(hsm_check_ioeventfd(&ioeventfd), 0);
}

static void test_irqfd(void **state)
{
	struct acrn_irqfd irqfd = { .fd = 7,
				    .msi = { .msi_addr = 0xFEE00000ull, .msi_data = 0x41 } };

	(void)state;
	assert_int_equal(hsm_check_irqfd(&irqfd), 0);
	irqfd.flags = 2;
	assert_int_equal(hsm_check_irqfd(&irqfd), -EINVAL);
	irqfd.flags = 0;
	irqfd.fd = -1;
	assert_int_equal(hsm_check_irqfd(&irqfd), -EBADF);
	irqfd.fd = 7;
	irqfd.msi.msi_addr = 0x1000;
	assert_int_equal(hsm_check_irqfd(&irqfd), -EINVAL);
	irqfd.flags = ACRN_IRQFD_FLAG_DEASSIGN; /* the MSI does not matter then */
	assert_int_equal(hsm_check_irqfd(&irqfd), 0);
}

static void test_ioeventfd_routing(void **state)
{
	struct hsm_io_range range = { .pio = false, .addr = 0xFE000010ull, .len = 4 };
	struct acrn_io_request req;
	struct hsm_io_access access;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.type = ACRN_IOREQ_TYPE_MMIO;
	req.reqs.mmio_request = (struct acrn_mmio_request){ .direction = ACRN_IOREQ_DIR_WRITE,
							    .address = 0xFE000010ull,
							    .size = 2,
							    .value = 0x1234 };
	assert_true(hsm_ioreq_access(&req, &access));
	assert_false(access.pio);
	assert_true(access.write);
	assert_true(hsm_io_range_contains(&range, &access));
	assert_true(hsm_ioeventfd_signals(&range, false, 0, &access));
	assert_true(hsm_ioeventfd_signals(&range, true, 0x1234, &access));
	assert_false(hsm_ioeventfd_signals(&range, true, 0x1235, &access)); /* data differs */
	access.addr = 0xFE000012ull; /* inside, but not at the start */
	assert_true(hsm_io_range_contains(&range, &access));
	assert_false(hsm_ioeventfd_signals(&range, false, 0, &access));
	access.size = 4; /* runs past the end */
	assert_false(hsm_io_range_contains(&range, &access));
	access =
	    (struct hsm_io_access){ .pio = true, .write = true, .addr = 0xFE000010ull, .size = 2 };
	assert_false(hsm_io_range_contains(&range, &access)); /* port, not MMIO */
	access = (struct hsm_io_access){
		.pio = false, .write = false, .addr = 0xFE000010ull, .size = 4
	};
	assert_true(hsm_io_range_contains(&range, &access));
	assert_false(hsm_ioeventfd_signals(&range, false, 0, &access)); /* reads never signal */
	req.type = ACRN_IOREQ_TYPE_PCICFG;
	assert_false(hsm_ioreq_access(&req, &access));
}

static void test_ioeventfd_conflicts(void **state)
{
	struct acrn_ioeventfd a = good_ioeventfd();
	struct acrn_ioeventfd b = good_ioeventfd();

	(void)state;
	assert_true(hsm_ioeventfd_conflicts(&a, &b));
	b.addr += 4;
	assert_false(hsm_ioeventfd_conflicts(&a, &b));
	b = good_ioeventfd();
	b.flags = 0; /* MMIO at the same number */
	assert_false(hsm_ioeventfd_conflicts(&a, &b));
	a.flags |= ACRN_IOEVENTFD_FLAG_DATAMATCH;
	b = a;
	a.data = 1;
	b.data = 2;
	assert_false(hsm_ioeventfd_conflicts(&a, &b));
	b.data = 1;
	assert_true(hsm_ioeventfd_conflicts(&a, &b));
	b.flags &= ~ACRN_IOEVENTFD_FLAG_DATAMATCH; /* any data overlaps every datum */
	assert_true(hsm_ioeventfd_conflicts(&a, &b));
}

/* A fake CPUID: a KVM-like signature at 0x40000000, ACRN at 0x40000100 when asked. */
static bool fake_acrn_present;
static uint32_t fake_acrn_features;

static void fake_cpuid(uint32_t leaf, struct hsm_cpuid_regs *regs)
{
	const uint32_t kvm = 0x4b4d564bu; /* "KVMK" */

	memset(regs, 0, sizeof(*regs));
	if (leaf == 0x40000000u) {
		*regs = (struct hsm_cpuid_regs){ 0x40000001u, kvm, kvm, kvm };
	} else if (fake_acrn_present && leaf == 0x40000100u) {
		*regs =
		    (struct hsm_cpuid_regs){ 0x40000110u, ACRN_CPUID_SIGNATURE_WORD,
					     ACRN_CPUID_SIGNATURE_WORD, ACRN_CPUID_SIGNATURE_WORD };
	} else if (fake_acrn_present && leaf == 0x40000101u) {
		regs->eax = fake_acrn_features;
	}
}

static void test_identify_hypervisor(void **state)
{
	uint32_t base = 1;

	(void)state;
	fake_acrn_present = true;
	fake_acrn_features = ACRN_CPUID_FEATURE_PRIVILEGED_VM;
	assert_int_equal(hsm_identify_hypervisor(false, fake_cpuid, &base), -ENODEV);
	assert_int_equal(base, 0);
	assert_int_equal(hsm_identify_hypervisor(true, fake_cpuid, &base), 0);
	assert_int_equal(base, 0x40000100u);
	fake_acrn_features = 0; /* ACRN, but a User VM */
	assert_int_equal(hsm_identify_hypervisor(true, fake_cpuid, &base), -EPERM);
	assert_int_equal(base, 0x40000100u);
	fake_acrn_present = false; /* another hypervisor only */
	assert_int_equal(hsm_identify_hypervisor(true, fake_cpuid, &base), -ENODEV);
	assert_int_equal(base, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vm_creation),
		cmocka_unit_test(test_vcpu_regs),
		cmocka_unit_test(test_ioreq_notify),
		cmocka_unit_test(test_memmap),
		cmocka_unit_test(test_memmap_prot),
		cmocka_unit_test(test_irqline),
		cmocka_unit_test(test_msi_entry),
		cmocka_unit_test(test_ptdev_irq),
		cmocka_unit_test(test_pcidev),
		cmocka_unit_test(test_mmiodev),
		cmocka_unit_test(test_vdev),
		cmocka_unit_test(test_intr_monitor_address),
		cmocka_unit_test(test_pm_command),
		cmocka_unit_test(test_pci_config_address_latch),
		cmocka_unit_test(test_pci_config_data_converted),
		cmocka_unit_test(test_pci_config_data_disabled),
		cmocka_unit_test(test_pci_other_requests_untouched),
		cmocka_unit_test(test_ioeventfd),
		cmocka_unit_test(test_irqfd),
		cmocka_unit_test(test_ioeventfd_routing),
		cmocka_unit_test(test_ioeventfd_conflicts),
		cmocka_unit_test(test_identify_hypervisor),
	};

	return cmocka_run_group_tests_name("hsm_validate", tests, NULL, NULL);
}
