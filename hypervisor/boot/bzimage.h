/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Linux x86 boot protocol for the Service VM kernel: a bzImage that GRUB
 * loaded as a multiboot2 module. Plain logic: parse and validate the setup
 * header, check where the kernel may run, assemble the command line and
 * build the zero page (struct boot_params) into a caller buffer. Copying
 * bytes into guest memory and starting the vCPU are the caller's job.
 *
 * Only the 32-bit and 64-bit protected-mode entries are supported (no
 * real-mode setup code runs), so boot protocol 2.10 or later is required:
 * it has init_size, which a loader needs to know how much memory the kernel
 * takes before it reads its memory map. Debian 12's 6.1 kernels are 2.15.
 *
 * The image is untrusted input: every field is read through bounds-checked
 * helpers and every rejection logs one line naming the field and its value.
 */
#ifndef HV_BOOT_BZIMAGE_H
#define HV_BOOT_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/e820.h"

#define BZIMAGE_ZERO_PAGE_SIZE 4096u
#define BZIMAGE_MIN_VERSION    0x020a /* boot protocol 2.10 */
#define BZIMAGE_ENTRY64_OFFSET 0x200u /* 64-bit entry, from the load address */
#define BZIMAGE_SETUP_HDR_MAX  0x80u  /* 0x202 + a signed byte: the header ends below 0x282 */

/* loadflags (0x211) */
#define BZIMAGE_LOADED_HIGH  (1u << 0)
#define BZIMAGE_QUIET_FLAG   (1u << 5)
#define BZIMAGE_CAN_USE_HEAP (1u << 7)
/* xloadflags (0x236) */
#define BZIMAGE_XLF_KERNEL_64		   (1u << 0)
#define BZIMAGE_XLF_CAN_BE_LOADED_ABOVE_4G (1u << 1)

/* What bzimage_parse learned; the image itself is not referenced afterwards. */
struct bzimage_info {
	uint16_t version;     /* 0x020f for 2.15 */
	uint32_t setup_sects; /* effective: 0 in the image means 4 */
	uint8_t loadflags;
	uint16_t xloadflags; /* 0 before protocol 2.12 */
	bool relocatable;
	uint32_t kernel_alignment; /* a power of two when relocatable */
	uint8_t min_alignment;	   /* log2 */
	uint32_t cmdline_size;	   /* longest command line, without its NUL */
	uint32_t initrd_addr_max;  /* highest address the initrd may occupy */
	uint64_t pref_address;
	uint32_t init_size;	/* bytes the kernel needs from its load address */
	uint64_t kernel_offset; /* where the protected-mode kernel starts in the image */
	uint64_t kernel_size;	/* its size: the rest of the image */
	uint32_t header_len;	/* bytes of setup header from 0x1f1 */
	uint8_t header[0x202 + BZIMAGE_SETUP_HDR_MAX - 0x1f1]; /* copied for the zero page */
};

/*
 * Parses and validates the image. Returns 0, or -EINVAL with one message
 * naming the bad field (image too small or truncated, boot_flag, HdrS magic,
 * protocol version, header length, LOADED_HIGH, setup_sects past the end,
 * syssize larger than the image, init_size 0, kernel_alignment not a power
 * of two, min_alignment above kernel_alignment). *info is zeroed first.
 */
int bzimage_parse(const void *image, size_t size, struct bzimage_info *info);

/*
 * True when the kernel has the 64-bit entry. Starting it is the caller's job
 * (boot.rst, "32-bit/64-bit Boot Protocol"): copy image[kernel_offset,
 * +kernel_size) to load_addr, then either enter at load_addr in 32-bit
 * protected mode, paging off, or (with this entry) at load_addr +
 * BZIMAGE_ENTRY64_OFFSET in 64-bit mode with [load_addr, +init_size), the
 * zero page and the command line identity-mapped. Both: flat GDT entries at
 * selectors 0x10 (code) and 0x18 (data) loaded in CS and DS/ES/SS,
 * interrupts off, (R/E)SI = the zero page, EBP/EDI/EBX 0.
 */
bool bzimage_has_entry64(const struct bzimage_info *info);

/*
 * Where the kernel may run: checks load_addr (where the caller will copy the
 * protected-mode kernel) against the header and the Service VM map. A
 * relocatable kernel needs load_addr aligned to kernel_alignment; a
 * non-relocatable one runs at pref_address (or 1 MiB when that is 0) and
 * nowhere else. Either way [load_addr, load_addr + init_size) must be RAM
 * in map, and below 4 GiB unless XLF_CAN_BE_LOADED_ABOVE_4G is set.
 * Returns 0, or -EINVAL / -ERANGE with a message.
 */
int bzimage_check_load_addr(const struct bzimage_info *info, const struct e820_entry *map,
			    uint32_t count, uint64_t load_addr);

/*
 * Picks a load address: pref_address (1 MiB when 0) when it passes the checks
 * of bzimage_check_load_addr
 * and overlaps none of avoid[] (the kernel and initrd modules, the zero
 * page...), otherwise (relocatable kernels only) the lowest
 * kernel_alignment-aligned RAM block of init_size bytes at or above 16 MiB
 * (1 MiB when nothing fits there) that overlaps none of avoid[]. Returns
 * 0 with *load_addr set, or -ENOMEM / -EINVAL with a message.
 */
int bzimage_choose_load_addr(const struct bzimage_info *info, const struct e820_entry *map,
			     uint32_t count, const struct e820_range *avoid, uint32_t avoid_count,
			     uint64_t *load_addr);

/*
 * Checks that an initrd at [start, start + size) is within the kernel's reach:
 * below initrd_addr_max, or anywhere when XLF_CAN_BE_LOADED_ABOVE_4G is set
 * (the zero page's ext_ fields then carry the upper 32 bits). Returns 0, or
 * -ERANGE with a message (the caller may move the initrd lower and retry).
 */
int bzimage_check_initrd(const struct bzimage_info *info, uint64_t start, uint64_t size);

/*
 * Assembles the Service VM command line (upstream ACRN semantics): the text
 * after the tag on the kernel module's string (module_args, may be NULL),
 * a space, then the hypervisor's whole command line (hv_cmdline, may be
 * NULL), so options given on GRUB's multiboot2 line (root=..., ro) reach
 * Linux. Blanks and CR/LF at either end of each part are dropped, and the
 * space only separates two non-empty parts. Returns the length, or -E2BIG
 * with a message when it does not fit in out_size - 1 characters (out is
 * then the empty string), or -EINVAL for out == NULL or out_size == 0.
 */
int bzimage_build_cmdline(const char *module_args, const char *hv_cmdline, char *out,
			  size_t out_size);

/* What the zero page points at; all addresses are guest-physical. */
struct bzimage_boot_params {
	uint64_t load_addr;   /* where the protected-mode kernel was copied */
	uint64_t cmdline_gpa; /* where the command line (with its NUL) was copied; not 0 */
	const char *cmdline;  /* the same text, for the cmdline_size check */
	uint64_t initrd_gpa;  /* 0 and size 0: no initrd */
	uint64_t initrd_size;
	const struct e820_entry *e820; /* the Service VM map, at most E820_MAX_ENTRIES */
	uint32_t e820_count;
	uint64_t acpi_rsdp_gpa; /* 0: let Linux search the BIOS areas */
};

/*
 * Builds the zero page into zero_page (size must be >= 4096 bytes; only the
 * first 4096 are written): all zero, the setup header copied from the image
 * (0x1f1 up to 0x202 + the byte at 0x201), then the loader's fields:
 *   type_of_loader 0xff (no assigned id), loadflags |= QUIET_FLAG (as
 *   upstream ACRN: no early output straight to display hardware; real-mode
 *   fields such as CAN_USE_HEAP/heap_end_ptr stay clear because no real-mode
 *   code runs, and KEEP_SEGMENTS is obsolete), code32_start = load_addr
 *   (when below 4 GiB), cmd_line_ptr + ext_cmd_line_ptr, ramdisk_image/size
 *   + ext_ramdisk_image/size, setup_data/hardware_subarch zeroed whatever
 *   the image holds, the e820 table, and acpi_rsdp_addr.
 * The sentinel byte (0x1ef) stays 0 so that Linux trusts the fields.
 * Everything is checked before anything is written. Returns 0, -E2BIG
 * (command line longer than cmdline_size), -ENOSPC (more than 128 e820
 * entries), -ERANGE (initrd, command line or kernel out of reach, or the
 * kernel's init_size bytes not all RAM in the map), or -EINVAL (load address
 * misaligned or not the fixed kernel's, NULL pointers including e820,
 * cmdline_gpa 0, an info that bzimage_parse did not fill), each with a
 * message.
 */
int bzimage_build_zero_page(const struct bzimage_info *info, const struct bzimage_boot_params *p,
			    void *zero_page, size_t size);

#endif
