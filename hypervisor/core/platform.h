/* SPDX-License-Identifier: BSD-3-Clause */
/* What the hypervisor learned at boot, for the shell and later subsystems. */
#ifndef HV_CORE_PLATFORM_H
#define HV_CORE_PLATFORM_H

#include <stdint.h>

#include "boot/multiboot2.h"
#include "core/acpi.h"
#include "core/cmdline.h"

struct platform {
	struct boot_info boot;
	struct hv_options options;
	struct acpi_info acpi;
	uint64_t mbi_address;
	uint64_t image_start, image_end; /* run-time physical range of acrn.bin incl. bss */
	uint64_t entry_tsc;		 /* TSC at GRUB's hand-off (first instructions) */
	uint64_t all_vmx_tsc;		 /* TSC when every CPU was in VMX root */
};

extern struct platform platform;

#endif
