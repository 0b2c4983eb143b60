/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Multiboot2 boot information (MBI) parser. GRUB leaves the MBI somewhere in
 * memory the hypervisor later hands out, so everything needed afterwards is
 * copied into a fixed-size struct boot_info. The MBI is untrusted input: it
 * is read only through bounds-checked helpers, a structurally broken MBI is
 * rejected as a whole, and a malformed tag is dropped with a warning.
 */
#ifndef HV_BOOT_MULTIBOOT2_H
#define HV_BOOT_MULTIBOOT2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Value of EAX at entry when a Multiboot2 loader started us. */
#define MB2_BOOTLOADER_MAGIC 0x36d76289u

#define BOOT_CMDLINE_MAX       2048
#define BOOT_LOADER_NAME_MAX   64
#define BOOT_MAX_MODULES       16
#define BOOT_MODULE_STRING_MAX 2048
#define BOOT_MAX_MMAP	       128
#define BOOT_RSDP_MAX	       36 /* ACPI 2.0 RSDP length */

/* Multiboot2 tag types (the ones this parser knows by name). */
enum mb2_tag_type {
	MB2_TAG_END = 0,
	MB2_TAG_CMDLINE = 1,
	MB2_TAG_LOADER_NAME = 2,
	MB2_TAG_MODULE = 3,
	MB2_TAG_BASIC_MEMINFO = 4,
	MB2_TAG_BOOTDEV = 5,
	MB2_TAG_MMAP = 6,
	MB2_TAG_FRAMEBUFFER = 8,
	MB2_TAG_ELF_SECTIONS = 9,
	MB2_TAG_APM = 10,
	MB2_TAG_EFI32 = 11,
	MB2_TAG_EFI64 = 12,
	MB2_TAG_SMBIOS = 13,
	MB2_TAG_ACPI_OLD = 14,
	MB2_TAG_ACPI_NEW = 15,
	MB2_TAG_NETWORK = 16,
	MB2_TAG_EFI_MMAP = 17,
	MB2_TAG_EFI_BS = 18,
	MB2_TAG_EFI32_IH = 19,
	MB2_TAG_EFI64_IH = 20,
	MB2_TAG_LOAD_BASE = 21,
};

enum boot_mem_type {
	BOOT_MEM_RAM = 1,
	BOOT_MEM_RESERVED = 2,
	BOOT_MEM_ACPI = 3,
	BOOT_MEM_NVS = 4,
	BOOT_MEM_BAD = 5,
};

struct boot_mmap_entry {
	uint64_t base;
	uint64_t length;
	uint32_t type;
};

struct boot_module {
	uint64_t start;
	uint64_t end; /* exclusive */
	char string[BOOT_MODULE_STRING_MAX];
};

struct boot_info {
	bool has_cmdline;
	char cmdline[BOOT_CMDLINE_MAX];
	char loader_name[BOOT_LOADER_NAME_MAX];
	uint32_t mmap_count;
	struct boot_mmap_entry mmap[BOOT_MAX_MMAP];
	uint32_t module_count;
	struct boot_module modules[BOOT_MAX_MODULES];
	uint8_t rsdp_tag; /* 0 none, 14 = ACPI old (RSDP v1), 15 = ACPI new (v2+); 15 wins */
	uint32_t rsdp_len;
	uint8_t rsdp[BOOT_RSDP_MAX];
	bool has_load_base;
	uint64_t load_base; /* tag 21 */
	bool has_basic_meminfo;
	uint32_t mem_lower_kb, mem_upper_kb; /* tag 4 */
	uint32_t mbi_size;
};

/*
 * Parses the MBI at mbi; available is how many bytes the caller can safely
 * read there. Returns 0, or -EINVAL with a pr_err naming the problem when the
 * MBI cannot be trusted (then *out is left all zero).
 */
int mb2_parse(const void *mbi, size_t available, struct boot_info *out);

/*
 * Name of a memory type ("RAM", "reserved", "ACPI", "NVS", "bad", else
 * "type N"). The "type N" text lives in a static buffer that the next call
 * overwrites: meant for boot-time printing.
 */
const char *boot_mem_type_name(uint32_t type);

/*
 * Index of the first module whose string starts with tag followed by a
 * space, a tab or the end of the string (NUL, CR or LF); *args_out (when
 * args_out is not NULL) then points at the text after the tag with leading
 * blanks skipped. Returns -ENOENT when no module matches (an empty tag never
 * matches) and -EINVAL for NULL bi or tag.
 */
int boot_find_module(const struct boot_info *bi, const char *tag, const char **args_out);

#endif
