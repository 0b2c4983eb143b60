/* SPDX-License-Identifier: BSD-3-Clause */
#include "boot/bzimage.h"

#include "debug/log.h"
#include "lib/errno.h"
#include "lib/string.h"

/*
 * Offsets from the Linux/x86 boot protocol (setup header, relative to the
 * start of the image and of the zero page alike) and the zero page layout.
 */
#define HDR_SETUP_SECTS	     0x1f1
#define HDR_SYSSIZE	     0x1f4
#define HDR_BOOT_FLAG	     0x1fe
#define HDR_JUMP	     0x200
#define HDR_HEADER	     0x202
#define HDR_VERSION	     0x206
#define HDR_REALMODE_SWTCH   0x208
#define HDR_TYPE_OF_LOADER   0x210
#define HDR_LOADFLAGS	     0x211
#define HDR_CODE32_START     0x214
#define HDR_RAMDISK_IMAGE    0x218
#define HDR_RAMDISK_SIZE     0x21c
#define HDR_HEAP_END_PTR     0x224
#define HDR_EXT_LOADER_VER   0x226
#define HDR_EXT_LOADER_TYPE  0x227
#define HDR_CMD_LINE_PTR     0x228
#define HDR_INITRD_ADDR_MAX  0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE	     0x234
#define HDR_MIN_ALIGNMENT    0x235
#define HDR_XLOADFLAGS	     0x236
#define HDR_CMDLINE_SIZE     0x238
#define HDR_HW_SUBARCH	     0x23c
#define HDR_HW_SUBARCH_DATA  0x240
#define HDR_SETUP_DATA	     0x250
#define HDR_PREF_ADDRESS     0x258
#define HDR_INIT_SIZE	     0x260
#define HDR_END_2_10	     0x264 /* protocol 2.10 ends with init_size */

#define ZP_ACPI_RSDP_ADDR    0x070
#define ZP_EXT_RAMDISK_IMAGE 0x0c0
#define ZP_EXT_RAMDISK_SIZE  0x0c4
#define ZP_EXT_CMD_LINE_PTR  0x0c8
#define ZP_E820_ENTRIES	     0x1e8
#define ZP_E820_TABLE	     0x2d0
#define ZP_E820_ENTRY_SIZE   20

#define BOOT_FLAG_MAGIC	 0xaa55
#define HDRS_MAGIC	 0x53726448u /* "HdrS" */
#define JUMP_OPCODE	 0xeb
#define SECTOR_SIZE	 512u
#define LOADER_UNDEFINED 0xff
#define FOUR_GIB	 0x100000000ull
#define ONE_MIB		 0x100000ull
#define SIXTEEN_MIB	 0x1000000ull

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)get_le16(p) | (uint32_t)get_le16(p + 2) << 16;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

static bool is_power_of_two(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* Checks that need only the fixed part of the header; size >= HDR_END_2_10. */
static int bzimage_check_magic(const uint8_t *img)
{
	uint16_t version = get_le16(img + HDR_VERSION);
	uint32_t header_end = HDR_HEADER + img[HDR_JUMP + 1];

	if (get_le16(img + HDR_BOOT_FLAG) != BOOT_FLAG_MAGIC) {
		pr_err("bzimage: boot_flag (0x1fe) is %#06x, not 0xaa55: not a Linux kernel image",
		       get_le16(img + HDR_BOOT_FLAG));
		return -EINVAL;
	}
	if (get_le32(img + HDR_HEADER) != HDRS_MAGIC) {
		pr_err("bzimage: header magic (0x202) is %#010x, not 0x53726448 (\"HdrS\"): a "
		       "kernel older than boot protocol 2.00",
		       get_le32(img + HDR_HEADER));
		return -EINVAL;
	}
	if (version < BZIMAGE_MIN_VERSION) {
		pr_err("bzimage: boot protocol version (0x206) is %u.%02u, needs 2.10 or later",
		       version >> 8, version & 0xff);
		return -EINVAL;
	}
	/* The jump over the header doubles as its length. */
	if (img[HDR_JUMP] != JUMP_OPCODE || img[HDR_JUMP + 1] >= BZIMAGE_SETUP_HDR_MAX ||
	    header_end < HDR_END_2_10) {
		pr_err("bzimage: jump (0x200) is %#04x %#04x: the setup header would end at %#x, "
		       "protocol %u.%02u needs a short jump (0xeb) past init_size (0x264)",
		       img[HDR_JUMP], img[HDR_JUMP + 1], header_end, version >> 8, version & 0xff);
		return -EINVAL;
	}
	if (!(img[HDR_LOADFLAGS] & BZIMAGE_LOADED_HIGH)) {
		pr_err("bzimage: loadflags (0x211) is %#04x without LOADED_HIGH (bit 0): a zImage, "
		       "not a bzImage",
		       img[HDR_LOADFLAGS]);
		return -EINVAL;
	}
	return 0;
}

static int bzimage_check_layout(const struct bzimage_info *info, size_t size, uint32_t syssize)
{
	if (info->kernel_offset >= size) {
		pr_err("bzimage: setup_sects (0x1f1) is %u: the protected-mode kernel would start "
		       "at %#llx, but the image is only %zu bytes",
		       info->setup_sects, (unsigned long long)info->kernel_offset, size);
		return -EINVAL;
	}
	if ((uint64_t)syssize * 16 > info->kernel_size) {
		pr_err(
		    "bzimage: syssize (0x1f4) says %llu bytes of protected-mode kernel, the image "
		    "has %llu: truncated",
		    (unsigned long long)syssize * 16, (unsigned long long)info->kernel_size);
		return -EINVAL;
	}
	if (info->init_size == 0) {
		pr_err("bzimage: init_size (0x260) is 0: the kernel does not say how much memory "
		       "it needs");
		return -EINVAL;
	}
	if (info->relocatable && !is_power_of_two(info->kernel_alignment)) {
		pr_err("bzimage: kernel_alignment (0x230) is %#x, not a power of two",
		       info->kernel_alignment);
		return -EINVAL;
	}
	if (info->relocatable &&
	    (info->min_alignment >= 32 || (1u << info->min_alignment) > info->kernel_alignment)) {
		pr_err("bzimage: min_alignment (0x235) is %u: 2^%u is above kernel_alignment %#x",
		       info->min_alignment, info->min_alignment, info->kernel_alignment);
		return -EINVAL;
	}
	return 0;
}

int bzimage_parse(const void *image, size_t size, struct bzimage_info *info)
{
	const uint8_t *img = image;
	int ret;

	if (!info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	if (!image || size < HDR_END_2_10) {
		pr_err("bzimage: image is %zu bytes, too small for a boot protocol 2.10 setup "
		       "header (%#x bytes)",
		       image ? size : 0, HDR_END_2_10);
		return -EINVAL;
	}
	ret = bzimage_check_magic(img);
	if (ret)
		return ret;
	info->version = get_le16(img + HDR_VERSION);
	info->setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
	info->loadflags = img[HDR_LOADFLAGS];
	info->xloadflags = info->version >= 0x020c ? get_le16(img + HDR_XLOADFLAGS) : 0;
	info->relocatable = img[HDR_RELOCATABLE] != 0;
	info->kernel_alignment = get_le32(img + HDR_KERNEL_ALIGNMENT);
	info->min_alignment = img[HDR_MIN_ALIGNMENT];
	info->cmdline_size = get_le32(img + HDR_CMDLINE_SIZE);
	info->initrd_addr_max = get_le32(img + HDR_INITRD_ADDR_MAX);
	info->pref_address = get_le64(img + HDR_PREF_ADDRESS);
	info->init_size = get_le32(img + HDR_INIT_SIZE);
	info->kernel_offset = (uint64_t)(info->setup_sects + 1) * SECTOR_SIZE;
	info->kernel_size = info->kernel_offset < size ? size - info->kernel_offset : 0;
	info->header_len = HDR_HEADER + img[HDR_JUMP + 1] - HDR_SETUP_SECTS;
	ret = bzimage_check_layout(info, size, get_le32(img + HDR_SYSSIZE));
	if (ret) {
		memset(info, 0, sizeof(*info));
		return ret;
	}
	/* kernel_offset >= 1 KiB, past the header: the copy stays inside the image. */
	memcpy(info->header, img + HDR_SETUP_SECTS, info->header_len);
	return 0;
}

bool bzimage_has_entry64(const struct bzimage_info *info)
{
	return info && (info->xloadflags & BZIMAGE_XLF_KERNEL_64);
}

static bool bzimage_can_go_above_4g(const struct bzimage_info *info)
{
	return info->xloadflags & BZIMAGE_XLF_CAN_BE_LOADED_ABOVE_4G;
}

static uint64_t bzimage_fixed_address(const struct bzimage_info *info)
{
	/* A non-relocatable bzImage without a preference runs at 1 MiB (LOADED_HIGH). */
	return info->pref_address ? info->pref_address : ONE_MIB;
}

/* The checks of bzimage_check_load_addr that need no map; quiet when !loud. */
static int bzimage_check_placement(const struct bzimage_info *info, uint64_t load, bool loud)
{
	if (info->relocatable && (load & (info->kernel_alignment - 1)) != 0) {
		if (loud)
			pr_err("bzimage: load address %#llx is not aligned to kernel_alignment %#x",
			       (unsigned long long)load, info->kernel_alignment);
		return -EINVAL;
	}
	if (!info->relocatable && load != bzimage_fixed_address(info)) {
		if (loud)
			pr_err("bzimage: the kernel is not relocatable: it runs at %#llx "
			       "(pref_address), not at %#llx",
			       (unsigned long long)bzimage_fixed_address(info),
			       (unsigned long long)load);
		return -EINVAL;
	}
	if (load > UINT64_MAX - info->init_size ||
	    (load + info->init_size > FOUR_GIB && !bzimage_can_go_above_4g(info))) {
		if (loud)
			pr_err("bzimage: the kernel at %#llx with init_size %#x would end above "
			       "%s, out of its reach (xloadflags %#x)",
			       (unsigned long long)load, info->init_size,
			       load > UINT64_MAX - info->init_size ? "2^64" : "4 GiB",
			       info->xloadflags);
		return -ERANGE;
	}
	return 0;
}

int bzimage_check_load_addr(const struct bzimage_info *info, const struct e820_entry *map,
			    uint32_t count, uint64_t load_addr)
{
	int ret;

	if (!info || !map) {
		pr_err("bzimage: no kernel header or memory map to check the load address against");
		return -EINVAL;
	}
	ret = bzimage_check_placement(info, load_addr, true);
	if (ret)
		return ret;
	if (!e820_is_ram(map, count, load_addr, load_addr + info->init_size)) {
		pr_err("bzimage: the kernel needs init_size %#x bytes of RAM at %#llx, but [%#llx, "
		       "%#llx) is not all RAM in the Service VM map",
		       info->init_size, (unsigned long long)load_addr,
		       (unsigned long long)load_addr,
		       (unsigned long long)(load_addr + info->init_size));
		return -ERANGE;
	}
	return 0;
}

int bzimage_choose_load_addr(const struct bzimage_info *info, const struct e820_entry *map,
			     uint32_t count, const struct e820_range *avoid, uint32_t avoid_count,
			     uint64_t *load_addr)
{
	uint64_t fixed, limit, found;

	if (!info || !map || !load_addr || (!avoid && avoid_count))
		return -EINVAL;
	fixed = bzimage_fixed_address(info);
	/* A one-byte-aligned search over exactly [fixed, +init_size) tests that block. */
	if (bzimage_check_placement(info, fixed, false) == 0 &&
	    e820_find_free(map, count, info->init_size, 1, fixed, fixed + info->init_size, false,
			   avoid, avoid_count, &found) == 0) {
		*load_addr = fixed;
		return 0;
	}
	if (!info->relocatable) {
		pr_err("bzimage: the kernel is not relocatable and [%#llx, %#llx) (pref_address "
		       "+ init_size) is not free RAM",
		       (unsigned long long)fixed, (unsigned long long)(fixed + info->init_size));
		return -ENOMEM;
	}
	/*
	 * Below pref_address (normally 16 MiB) some kernels move themselves up
	 * anyway, so lower memory is only the last resort.
	 */
	limit = bzimage_can_go_above_4g(info) ? UINT64_MAX : FOUR_GIB;
	if (e820_find_free(map, count, info->init_size, info->kernel_alignment, SIXTEEN_MIB, limit,
			   false, avoid, avoid_count, &found) == 0 ||
	    e820_find_free(map, count, info->init_size, info->kernel_alignment, ONE_MIB, limit,
			   false, avoid, avoid_count, &found) == 0) {
		*load_addr = found;
		return 0;
	}
	pr_err("bzimage: no free RAM for the kernel: init_size %#x bytes aligned to %#x below %s",
	       info->init_size, info->kernel_alignment, limit == FOUR_GIB ? "4 GiB" : "2^64");
	return -ENOMEM;
}

int bzimage_check_initrd(const struct bzimage_info *info, uint64_t start, uint64_t size)
{
	if (!info)
		return -EINVAL;
	if (size == 0)
		return 0;
	if (start > UINT64_MAX - (size - 1)) {
		pr_err("bzimage: initrd at %#llx of %#llx bytes runs past 2^64",
		       (unsigned long long)start, (unsigned long long)size);
		return -ERANGE;
	}
	if (bzimage_can_go_above_4g(info) || start + (size - 1) <= info->initrd_addr_max)
		return 0;
	pr_err("bzimage: initrd at [%#llx, %#llx) ends above initrd_addr_max %#x: out of the "
	       "kernel's reach",
	       (unsigned long long)start, (unsigned long long)(start + size),
	       info->initrd_addr_max);
	return -ERANGE;
}

static bool cmdline_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The part of s without blanks or line ends at either end (NULL: empty). */
static size_t cmdline_trim(const char *s, const char **start)
{
	size_t len;

	*start = "";
	if (!s)
		return 0;
	while (cmdline_is_blank(*s))
		s++;
	len = strlen(s);
	while (len > 0 && cmdline_is_blank(s[len - 1]))
		len--;
	*start = s;
	return len;
}

int bzimage_build_cmdline(const char *module_args, const char *hv_cmdline, char *out,
			  size_t out_size)
{
	const char *mod, *hv;
	size_t mod_len, hv_len, total;

	if (!out || out_size == 0)
		return -EINVAL;
	out[0] = '\0';
	mod_len = cmdline_trim(module_args, &mod);
	hv_len = cmdline_trim(hv_cmdline, &hv);
	total = mod_len + (mod_len && hv_len ? 1 : 0) + hv_len;
	if (total >= out_size || total > INT32_MAX) {
		pr_err("bzimage: the Service VM command line would be %zu characters (%zu from the "
		       "kernel module, %zu from the hypervisor command line); at most %zu fit",
		       total, mod_len, hv_len, out_size - 1);
		return -E2BIG;
	}
	memcpy(out, mod, mod_len);
	if (mod_len && hv_len)
		out[mod_len] = ' ';
	memcpy(out + total - hv_len, hv, hv_len);
	out[total] = '\0';
	return (int)total;
}

static int bzimage_check_params(const struct bzimage_info *info,
				const struct bzimage_boot_params *p)
{
	size_t len = p->cmdline ? strlen(p->cmdline) : 0;
	int ret;

	if (len > info->cmdline_size) {
		pr_err("bzimage: the Service VM command line is %zu characters, the kernel takes "
		       "at most %u (cmdline_size)",
		       len, info->cmdline_size);
		return -E2BIG;
	}
	if (p->cmdline_gpa > UINT64_MAX - len - 1 ||
	    (p->cmdline_gpa + len + 1 > FOUR_GIB && !bzimage_can_go_above_4g(info))) {
		pr_err("bzimage: the command line at %#llx is out of the kernel's reach (above 4 "
		       "GiB, xloadflags %#x)",
		       (unsigned long long)p->cmdline_gpa, info->xloadflags);
		return -ERANGE;
	}
	if (p->e820_count > E820_MAX_ENTRIES) {
		pr_err("bzimage: the Service VM e820 has %u entries, the zero page holds %u",
		       p->e820_count, E820_MAX_ENTRIES);
		return -ENOSPC;
	}
	ret = bzimage_check_initrd(info, p->initrd_gpa, p->initrd_size);
	if (ret)
		return ret;
	return bzimage_check_load_addr(info, p->e820, p->e820_count, p->load_addr);
}

int bzimage_build_zero_page(const struct bzimage_info *info, const struct bzimage_boot_params *p,
			    void *zero_page, size_t size)
{
	uint8_t *zp = zero_page;
	int ret;

	if (!info || !p || !zp || size < BZIMAGE_ZERO_PAGE_SIZE || info->header_len == 0 ||
	    p->cmdline_gpa == 0 || !p->e820) {
		pr_err("bzimage: bad arguments for the zero page (buffer %zu bytes, command line "
		       "at %#llx, e820 %p)",
		       size, p ? (unsigned long long)p->cmdline_gpa : 0ull,
		       p ? (const void *)p->e820 : NULL);
		return -EINVAL;
	}
	ret = bzimage_check_params(info, p);
	if (ret)
		return ret;

	memset(zp, 0, BZIMAGE_ZERO_PAGE_SIZE);
	memcpy(zp + HDR_SETUP_SECTS, info->header, info->header_len);

	zp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	zp[HDR_EXT_LOADER_VER] = 0;
	zp[HDR_EXT_LOADER_TYPE] = 0;
	zp[HDR_LOADFLAGS] =
	    (uint8_t)((info->loadflags | BZIMAGE_QUIET_FLAG) & ~BZIMAGE_CAN_USE_HEAP);
	/* Only real-mode code uses these; an image's leftovers must not reach the kernel. */
	put_le32(zp + HDR_REALMODE_SWTCH, 0);
	put_le16(zp + HDR_HEAP_END_PTR, 0);
	if (p->load_addr < FOUR_GIB)
		put_le32(zp + HDR_CODE32_START, (uint32_t)p->load_addr);
	put_le32(zp + HDR_CMD_LINE_PTR, (uint32_t)p->cmdline_gpa);
	put_le32(zp + ZP_EXT_CMD_LINE_PTR, (uint32_t)(p->cmdline_gpa >> 32));
	put_le32(zp + HDR_RAMDISK_IMAGE, (uint32_t)p->initrd_gpa);
	put_le32(zp + HDR_RAMDISK_SIZE, (uint32_t)p->initrd_size);
	put_le32(zp + ZP_EXT_RAMDISK_IMAGE, (uint32_t)(p->initrd_gpa >> 32));
	put_le32(zp + ZP_EXT_RAMDISK_SIZE, (uint32_t)(p->initrd_size >> 32));
	/* Loader-owned: a pointer left in a hostile image would be followed by Linux. */
	put_le32(zp + HDR_HW_SUBARCH, 0);
	put_le64(zp + HDR_HW_SUBARCH_DATA, 0);
	put_le64(zp + HDR_SETUP_DATA, 0);
	put_le64(zp + ZP_ACPI_RSDP_ADDR, p->acpi_rsdp_gpa);

	zp[ZP_E820_ENTRIES] = (uint8_t)p->e820_count;
	for (uint32_t i = 0; i < p->e820_count; i++) {
		uint8_t *e = zp + ZP_E820_TABLE + i * ZP_E820_ENTRY_SIZE;

		put_le64(e, p->e820[i].addr);
		put_le64(e + 8, p->e820[i].size);
		put_le32(e + 16, p->e820[i].type);
	}
	return 0;
}
