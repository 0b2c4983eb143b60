/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loading the Service VM kernel (Linux boot protocol, 32-bit entry) into its
 * memory. The Service VM's memory is identity-mapped, so guest-physical
 * addresses are written through the hypervisor's own identity map.
 */
#include "arch/x86/service_vm.h"
#include "boot/bzimage.h"
#include "core/platform.h"
#include "debug/log.h"
#include "lib/errno.h"
#include "lib/string.h"

#define PARAM_BLOCK_SIZE  0x4000ull /* GDT, zero page, RSDP copy, command line */
#define PARAM_GDT	  0x0000ull
#define PARAM_ZERO_PAGE	  0x1000ull
#define PARAM_RSDP	  0x2000ull
#define PARAM_CMDLINE	  0x2800ull
#define PARAM_CMDLINE_MAX (PARAM_BLOCK_SIZE - PARAM_CMDLINE)
#define LOW_MEMORY_MIN	  0x1000ull
#define LOW_MEMORY_MAX	  0xa0000ull
#define MAX_AVOID	  8

static char sos_cmdline[PARAM_CMDLINE_MAX];

static void *guest_ptr(uint64_t gpa)
{
	return (void *)(uintptr_t)gpa;
}

/* __BOOT_CS (0x10) and __BOOT_DS (0x18), flat 4 GiB, as the boot protocol asks. */
static void write_boot_gdt(uint64_t gpa)
{
	static const uint64_t gdt[4] = { 0, 0, 0x00cf9b000000ffffull, 0x00cf93000000ffffull };

	memcpy(guest_ptr(gpa), gdt, sizeof(gdt));
}

static int find_modules(const struct boot_module **kernel, const char **kernel_args,
			const struct boot_module **initrd)
{
	const struct boot_info *bi = &platform.boot;
	const char *args;
	int k = boot_find_module(bi, platform.options.kernel_tag, kernel_args);
	int i = boot_find_module(bi, platform.options.initrd_tag, &args);

	if (k < 0) {
		pr_err("service-vm: no module tagged %s", platform.options.kernel_tag);
		return -ENOENT;
	}
	*kernel = &bi->modules[k];
	*initrd = i >= 0 ? &bi->modules[i] : NULL;
	return 0;
}

int service_vm_load_kernel(struct vm *vm, const struct e820_entry *map, uint32_t count,
			   const struct e820_range *hv, uint32_t hv_count)
{
	const struct boot_module *kernel, *initrd;
	const char *kernel_args;
	struct e820_range avoid[MAX_AVOID];
	uint32_t n = 0;
	struct bzimage_info info;
	struct bzimage_boot_params params;
	uint64_t load, block;
	int err;

	err = find_modules(&kernel, &kernel_args, &initrd);
	if (err)
		return err;
	err = bzimage_parse(guest_ptr(kernel->start), kernel->end - kernel->start, &info);
	if (err) {
		pr_err("service-vm: module '%s' is not a usable Linux kernel", kernel->string);
		return err;
	}
	for (uint32_t i = 0; i < hv_count && n < MAX_AVOID - 3; i++)
		avoid[n++] = hv[i];
	avoid[n++] = (struct e820_range){ kernel->start, kernel->end };
	if (initrd)
		avoid[n++] = (struct e820_range){ initrd->start, initrd->end };
	err = bzimage_choose_load_addr(&info, map, count, avoid, n, &load);
	if (err)
		return err;
	avoid[n++] = (struct e820_range){ load, load + info.init_size };
	err = e820_find_free(map, count, PARAM_BLOCK_SIZE, 0x1000, LOW_MEMORY_MIN, LOW_MEMORY_MAX,
			     true, avoid, n, &block);
	if (err) {
		pr_err("service-vm: no free RAM below 640 KiB for the boot parameters");
		return err;
	}
	if (initrd) {
		err = bzimage_check_initrd(&info, initrd->start, initrd->end - initrd->start);
		if (err)
			return err;
	}
	err = bzimage_build_cmdline(kernel_args, platform.boot.cmdline, sos_cmdline,
				    sizeof(sos_cmdline));
	if (err < 0)
		return err;

	/* The kernel module may sit where the kernel wants to run: memmove, not memcpy. */
	memmove(guest_ptr(load), guest_ptr(kernel->start + info.kernel_offset), info.kernel_size);
	memset(guest_ptr(block), 0, PARAM_BLOCK_SIZE);
	write_boot_gdt(block + PARAM_GDT);
	memcpy(guest_ptr(block + PARAM_CMDLINE), sos_cmdline, strlen(sos_cmdline) + 1);
	/* A copy of the boot loader's RSDP gives Linux the ACPI root even on UEFI machines. */
	if (platform.boot.rsdp_len)
		memcpy(guest_ptr(block + PARAM_RSDP), platform.boot.rsdp, platform.boot.rsdp_len);

	memset(&params, 0, sizeof(params));
	params.load_addr = load;
	params.cmdline_gpa = block + PARAM_CMDLINE;
	params.cmdline = sos_cmdline;
	params.initrd_gpa = initrd ? initrd->start : 0;
	params.initrd_size = initrd ? initrd->end - initrd->start : 0;
	params.e820 = map;
	params.e820_count = count;
	params.acpi_rsdp_gpa = platform.boot.rsdp_len ? block + PARAM_RSDP : 0;
	err = bzimage_build_zero_page(&info, &params, guest_ptr(block + PARAM_ZERO_PAGE),
				      BZIMAGE_ZERO_PAGE_SIZE);
	if (err)
		return err;

	vm->boot.entry = load;
	vm->boot.zero_page = block + PARAM_ZERO_PAGE;
	vm->boot.gdt_base = block + PARAM_GDT;
	vm->boot.gdt_limit = 4 * 8 - 1;
	pr_info(
	    "service-vm: Linux boot protocol %u.%02u kernel at 0x%llx (%llu KiB, needs %u KiB), "
	    "initrd %llu KiB, parameters at 0x%llx",
	    info.version >> 8, info.version & 0xff, (unsigned long long)load,
	    (unsigned long long)(info.kernel_size / 1024), info.init_size / 1024,
	    (unsigned long long)(params.initrd_size / 1024), (unsigned long long)block);
	pr_info("service-vm: command line '%s'", sos_cmdline);
	return 0;
}
