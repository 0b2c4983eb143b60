/* SPDX-License-Identifier: BSD-3-Clause */
#include "arch/x86/service_vm.h"

#include "arch/x86/cpu.h"
#include "arch/x86/ept.h"
#include "arch/x86/percpu.h"
#include "arch/x86/vcpu.h"
#include "arch/x86/vmexit.h"
#include "boot/bzimage.h"
#include "core/e820.h"
#include "core/platform.h"
#include "debug/console.h"
#include "debug/log.h"
#include "debug/uart16550.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "vdev/vuart.h"

#define GIB		   (1ull << 30)
#define LAPIC_PAGE	   0xfee00000ull
#define EPT_RWX		   (EPT_R | EPT_W | EPT_X)
#define EPT_UC		   (EPT_MT_UC << EPT_MT_SHIFT)
#define EPT_WB		   (EPT_MT_WB << EPT_MT_SHIFT)
#define HV_RESERVED_RANGES 4

static struct vm sos;
static struct vcpu sos_vcpus[HV_MAX_CPUS];
static struct vuart sos_com1;
static uint8_t sos_io_bitmap[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t sos_msr_bitmap[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static struct e820_entry sos_e820[E820_MAX_ENTRIES];
static uint32_t sos_e820_count;

struct vm *service_vm(void)
{
	return &sos;
}

bool service_vm_kernel_present(void)
{
	const char *args;

	return boot_find_module(&platform.boot, SERVICE_VM_KERNEL_TAG, &args) >= 0;
}

/*
 * Memory the Service VM must not see: it becomes reserved in its e820 and
 * absent from EPT. The AP start-up pages are not in it: every AP is up by
 * now, and Linux needs free memory below 1 MiB for its own trampoline.
 */
static uint32_t hypervisor_ranges(struct e820_range *r)
{
	uint32_t n = 0;

	r[n++] = (struct e820_range){ platform.image_start, platform.image_end };
	return n;
}

static void vuart_to_console(void *ctx, uint8_t byte)
{
	char c = (char)byte;

	(void)ctx;
	console_write(&c, 1);
}

static int ept_map_or_report(uint64_t gpa, uint64_t size, uint64_t flags)
{
	int err = pt_map(&sos.ept, gpa, gpa, size, flags, PT_ALLOW_2M | PT_ALLOW_1G);

	if (err)
		pr_err(
		    "service-vm: EPT map of 0x%llx+0x%llx failed (%d); pool of %u pages too small?",
		    (unsigned long long)gpa, (unsigned long long)size, err, EPT_POOL_PAGES);
	return err;
}

/*
 * Guest-physical = host-physical. EPT decides the memory type (host MTRRs
 * do not apply to guest accesses), so RAM is mapped write-back and the rest
 * uncached. The hypervisor's memory and the interrupt controllers it owns
 * are left out: an access there exits.
 */
static int service_vm_build_ept(const struct e820_range *hv, uint32_t hv_count)
{
	uint64_t top = 4 * GIB;
	int err;

	for (uint32_t i = 0; i < sos_e820_count; i++) {
		uint64_t end = sos_e820[i].addr + sos_e820[i].size;

		if (end > top)
			top = end;
	}
	top = (top + GIB - 1) & ~(GIB - 1);
	if (ept_init(&sos.ept))
		return -ENOMEM;
	err = ept_map_or_report(0, top, EPT_RWX | EPT_UC);
	for (uint32_t i = 0; !err && i < sos_e820_count; i++)
		if (sos_e820[i].type == E820_TYPE_RAM)
			err =
			    ept_map_or_report(sos_e820[i].addr, sos_e820[i].size, EPT_RWX | EPT_WB);
	for (uint32_t i = 0; !err && i < hv_count; i++)
		err = pt_unmap(&sos.ept, hv[i].start, hv[i].end - hv[i].start);
	if (!err)
		err = pt_unmap(&sos.ept, LAPIC_PAGE, PAGE_SIZE);
	for (uint32_t i = 0; !err && i < platform.acpi.ioapic_count; i++)
		err = pt_unmap(&sos.ept, platform.acpi.ioapics[i].address & ~0xfffull, PAGE_SIZE);
	if (!err && uart_mmio_base())
		err = pt_unmap(&sos.ept, uart_mmio_base() & ~0xfffull, PAGE_SIZE);
	if (err)
		return err;
	sos.eptp = ept_pointer(&sos.ept);
	pr_info("service-vm: EPT maps 0x0-0x%llx (%llu table pages)", (unsigned long long)top,
		(unsigned long long)ept_pool_pages_used());
	return 0;
}

int service_vm_create(void)
{
	struct e820_range hv[HV_RESERVED_RANGES];
	uint32_t hv_count = hypervisor_ranges(hv);
	int err;

	sos.id = 0;
	str_copy(sos.name, "Service VM", sizeof(sos.name));
	sos.is_service_vm = true;
	sos.state = VM_CREATED;
	io_registry_init(&sos.io);
	err = e820_build(platform.boot.mmap, platform.boot.mmap_count, hv, hv_count, sos_e820,
			 E820_MAX_ENTRIES, &sos_e820_count);
	if (err)
		return err;
	err = service_vm_build_ept(hv, hv_count);
	if (err)
		return err;
	sos.io_bitmap = sos_io_bitmap;
	sos.msr_bitmap = sos_msr_bitmap;
	vm_io_bitmap_init(sos.io_bitmap);
	vm_msr_bitmap_init(sos.msr_bitmap);
	vuart_init(&sos_com1, vuart_to_console, NULL);
	sos.console_uart = &sos_com1;
	err = service_vm_load_kernel(&sos, sos_e820, sos_e820_count, hv, hv_count);
	if (err)
		return err;

	/* One vCPU per physical CPU, same numbering: the Service VM owns every CPU. */
	for (uint32_t i = 0; i < cpu_count; i++) {
		struct vcpu *v = &sos_vcpus[i];

		v->vm = &sos;
		v->id = i;
		v->pcpu = i;
		v->vpid = (uint16_t)(i + 1);
		v->state = i == 0 ? VCPU_INIT : VCPU_WAIT_SIPI;
		sos.vcpus[i] = v;
	}
	sos.vcpu_count = cpu_count;
	return 0;
}

void service_vm_run_boot_vcpu(void)
{
	struct vcpu *v = sos.vcpus[0];

	if (vcpu_setup_vmcs(v) != 0) {
		pr_err("service-vm: cannot set up vCPU 0");
		return;
	}
	v->regs.gpr[GUEST_RSI] = sos.boot.zero_page;
	ept_flush(sos.eptp);
	sos.state = VM_RUNNING;
	pr_info("service-vm: starting vCPU 0 at 0x%llx (zero page 0x%llx)",
		(unsigned long long)sos.boot.entry, (unsigned long long)sos.boot.zero_page);
	vcpu_run(v);
}
