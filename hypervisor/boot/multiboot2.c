/* SPDX-License-Identifier: BSD-3-Clause */
#include "boot/multiboot2.h"

#include "debug/log.h"
#include "lib/errno.h"
#include "lib/format.h"
#include "lib/string.h"

/* The fixed MBI header (total_size, reserved) and every tag header are 8 bytes. */
#define MB2_HEADER_SIZE 8u
#define MB2_TAG_HEADER	8u
/* Smallest usable MBI: the header plus an END tag. */
#define MB2_MIN_SIZE 16u
#define MB2_ALIGN    8u

/* mmap tag: u32 entry_size, u32 entry_version, then entries. */
#define MB2_MMAP_HEADER	   8u
#define MB2_MMAP_ENTRY_MIN 24u
/* module tag: u32 mod_start, u32 mod_end, then the string. */
#define MB2_MODULE_HEADER 8u
#define ACPI_RSDP_V1_LEN  20u
#define ACPI_RSDP_V2_LEN  36u

/*
 * A bounded view of untrusted bytes. Every read goes through mb2_get*, which
 * checks the range against len and uses memcpy because GRUB only promises
 * 8-byte alignment for the MBI and the host tests use arbitrary buffers.
 */
struct mb2_view {
	const uint8_t *data;
	size_t len;
};

static bool mb2_in_range(const struct mb2_view *v, size_t off, size_t n)
{
	return off <= v->len && n <= v->len - off;
}

static bool mb2_get32(const struct mb2_view *v, size_t off, uint32_t *val)
{
	if (!mb2_in_range(v, off, sizeof(*val)))
		return false;
	memcpy(val, v->data + off, sizeof(*val));
	return true;
}

static bool mb2_get64(const struct mb2_view *v, size_t off, uint64_t *val)
{
	if (!mb2_in_range(v, off, sizeof(*val)))
		return false;
	memcpy(val, v->data + off, sizeof(*val));
	return true;
}

/* Sub-view of n bytes at off; the caller has checked the range. */
static struct mb2_view mb2_sub(const struct mb2_view *v, size_t off, size_t n)
{
	struct mb2_view sub = { v->data + off, n };

	return sub;
}

static const char *mb2_tag_name(uint32_t type)
{
	static const char *const names[] = {
		[MB2_TAG_END] = "end",
		[MB2_TAG_CMDLINE] = "command line",
		[MB2_TAG_LOADER_NAME] = "boot loader name",
		[MB2_TAG_MODULE] = "module",
		[MB2_TAG_BASIC_MEMINFO] = "basic memory info",
		[MB2_TAG_BOOTDEV] = "boot device",
		[MB2_TAG_MMAP] = "memory map",
		[MB2_TAG_FRAMEBUFFER] = "framebuffer",
		[MB2_TAG_ELF_SECTIONS] = "ELF sections",
		[MB2_TAG_APM] = "APM table",
		[MB2_TAG_EFI32] = "EFI 32-bit system table",
		[MB2_TAG_EFI64] = "EFI 64-bit system table",
		[MB2_TAG_SMBIOS] = "SMBIOS tables",
		[MB2_TAG_ACPI_OLD] = "ACPI old RSDP",
		[MB2_TAG_ACPI_NEW] = "ACPI new RSDP",
		[MB2_TAG_NETWORK] = "network",
		[MB2_TAG_EFI_MMAP] = "EFI memory map",
		[MB2_TAG_EFI_BS] = "EFI boot services not terminated",
		[MB2_TAG_EFI32_IH] = "EFI 32-bit image handle",
		[MB2_TAG_EFI64_IH] = "EFI 64-bit image handle",
		[MB2_TAG_LOAD_BASE] = "load base address",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "unknown";
}

/*
 * Copies the NUL-terminated string that fills the payload of tag `type` into
 * dst. A string without a NUL inside its tag is rejected: its end is unknown,
 * and guessing could pick up whatever bytes follow. A string longer than dst
 * is truncated with a warning (the prefix is still the right string).
 */
static bool mb2_copy_string(uint32_t type, const struct mb2_view *payload, char *dst,
			    size_t dst_size)
{
	size_t len = strnlen((const char *)payload->data, payload->len);

	if (len == payload->len) {
		pr_warn("multiboot2: tag %u (%s): string not NUL-terminated within its %zu bytes; "
			"tag ignored",
			type, mb2_tag_name(type), payload->len);
		return false;
	}
	if (len >= dst_size)
		pr_warn("multiboot2: tag %u (%s): %zu-character string truncated to %zu", type,
			mb2_tag_name(type), len, dst_size - 1);
	str_copy(dst, (const char *)payload->data, dst_size);
	return true;
}

/* Parse state that must not end up in boot_info. */
struct mb2_state {
	bool loader_name_seen;
	bool mmap_seen;
	bool modules_full_warned;
};

static void mb2_parse_cmdline(const struct mb2_view *p, struct boot_info *bi)
{
	if (bi->has_cmdline) {
		pr_warn("multiboot2: tag 1 (command line): second command line ignored");
		return;
	}
	bi->has_cmdline = mb2_copy_string(MB2_TAG_CMDLINE, p, bi->cmdline, sizeof(bi->cmdline));
}

static void mb2_parse_loader_name(const struct mb2_view *p, struct boot_info *bi,
				  struct mb2_state *st)
{
	if (st->loader_name_seen) {
		pr_warn("multiboot2: tag 2 (boot loader name): second boot loader name ignored");
		return;
	}
	st->loader_name_seen =
	    mb2_copy_string(MB2_TAG_LOADER_NAME, p, bi->loader_name, sizeof(bi->loader_name));
}

static void mb2_parse_module(const struct mb2_view *p, struct boot_info *bi, struct mb2_state *st)
{
	uint32_t start, end;
	struct boot_module *mod;

	if (bi->module_count >= BOOT_MAX_MODULES) {
		if (!st->modules_full_warned)
			pr_warn("multiboot2: tag 3 (module): more than %u modules; ignoring the "
				"extra ones",
				BOOT_MAX_MODULES);
		st->modules_full_warned = true;
		return;
	}
	if (!mb2_get32(p, 0, &start) || !mb2_get32(p, 4, &end)) {
		pr_warn("multiboot2: tag 3 (module): payload of %zu bytes is too small for "
			"mod_start/mod_end; tag ignored",
			p->len);
		return;
	}
	/* Address 0 is where GRUB's "no module" ends up; upstream ACRN refuses it too. */
	if (start == 0) {
		pr_warn("multiboot2: tag 3 (module): module at address 0 (end %#x); tag ignored",
			end);
		return;
	}
	if (end < start) {
		pr_warn("multiboot2: tag 3 (module): end %#x is below start %#x; tag ignored", end,
			start);
		return;
	}
	mod = &bi->modules[bi->module_count];
	struct mb2_view str = mb2_sub(p, MB2_MODULE_HEADER, p->len - MB2_MODULE_HEADER);
	if (!mb2_copy_string(MB2_TAG_MODULE, &str, mod->string, sizeof(mod->string)))
		return;
	mod->start = start;
	mod->end = end;
	bi->module_count++;
}

static void mb2_parse_meminfo(const struct mb2_view *p, struct boot_info *bi)
{
	uint32_t lower, upper;

	if (!mb2_get32(p, 0, &lower) || !mb2_get32(p, 4, &upper)) {
		pr_warn("multiboot2: tag 4 (basic memory info): payload of %zu bytes is too "
			"small; tag ignored",
			p->len);
		return;
	}
	bi->has_basic_meminfo = true;
	bi->mem_lower_kb = lower;
	bi->mem_upper_kb = upper;
}

static void mb2_parse_mmap(const struct mb2_view *p, struct boot_info *bi, struct mb2_state *st)
{
	uint32_t entry_size, version;
	size_t count, kept = 0;

	if (st->mmap_seen) {
		pr_warn("multiboot2: tag 6 (memory map): second memory map ignored");
		return;
	}
	if (!mb2_get32(p, 0, &entry_size) || !mb2_get32(p, 4, &version)) {
		pr_warn("multiboot2: tag 6 (memory map): payload of %zu bytes is too small; tag "
			"ignored",
			p->len);
		return;
	}
	/* Newer entry layouts may grow, but only by whole 8-byte fields after ours. */
	if (entry_size < MB2_MMAP_ENTRY_MIN || entry_size % 8 != 0) {
		pr_warn("multiboot2: tag 6 (memory map): entry_size %u is not a multiple of 8 "
			"of at least %u; tag ignored",
			entry_size, MB2_MMAP_ENTRY_MIN);
		return;
	}
	if (version != 0) {
		pr_warn("multiboot2: tag 6 (memory map): entry_version %u is not 0; tag ignored",
			version);
		return;
	}
	st->mmap_seen = true;
	count = (p->len - MB2_MMAP_HEADER) / entry_size;
	if ((p->len - MB2_MMAP_HEADER) % entry_size != 0)
		pr_debug("multiboot2: tag 6 (memory map): %zu trailing bytes ignored",
			 (p->len - MB2_MMAP_HEADER) % entry_size);
	for (size_t i = 0; i < count; i++) {
		size_t off = MB2_MMAP_HEADER + i * entry_size;
		uint64_t base, length;
		uint32_t type;

		if (!mb2_get64(p, off, &base) || !mb2_get64(p, off + 8, &length) ||
		    !mb2_get32(p, off + 16, &type))
			break; /* cannot happen: count was derived from the length */
		if (length == 0)
			continue;
		if (kept >= BOOT_MAX_MMAP) {
			pr_warn("multiboot2: tag 6 (memory map): more than %u entries; keeping the "
				"first %u",
				BOOT_MAX_MMAP, BOOT_MAX_MMAP);
			break;
		}
		bi->mmap[kept].base = base;
		bi->mmap[kept].length = length;
		bi->mmap[kept].type = type;
		kept++;
	}
	bi->mmap_count = (uint32_t)kept;
}

static void mb2_parse_rsdp(uint32_t type, const struct mb2_view *p, struct boot_info *bi)
{
	uint32_t need = type == MB2_TAG_ACPI_NEW ? ACPI_RSDP_V2_LEN : ACPI_RSDP_V1_LEN;

	if (p->len < need) {
		pr_warn("multiboot2: tag %u (%s): payload of %zu bytes is too small for a %u-byte "
			"RSDP; tag ignored",
			type, mb2_tag_name(type), p->len, need);
		return;
	}
	/* Cheap sanity check so a garbage v2 copy cannot hide a good v1 copy. */
	if (memcmp(p->data, "RSD PTR ", 8) != 0) {
		pr_warn("multiboot2: tag %u (%s): no \"RSD PTR \" signature; tag ignored", type,
			mb2_tag_name(type));
		return;
	}
	if (bi->rsdp_tag == type) {
		pr_warn("multiboot2: tag %u (%s): second copy ignored", type, mb2_tag_name(type));
		return;
	}
	/* The v2+ copy carries the XSDT address, so it wins over a v1 copy. */
	if (bi->rsdp_tag == MB2_TAG_ACPI_NEW)
		return;
	memcpy(bi->rsdp, p->data, need);
	bi->rsdp_len = need;
	bi->rsdp_tag = (uint8_t)type;
}

static void mb2_parse_load_base(const struct mb2_view *p, struct boot_info *bi)
{
	uint32_t base;

	if (!mb2_get32(p, 0, &base)) {
		pr_warn("multiboot2: tag 21 (load base address): payload of %zu bytes is too "
			"small; tag ignored",
			p->len);
		return;
	}
	bi->has_load_base = true;
	bi->load_base = base;
}

static void mb2_parse_tag(uint32_t type, const struct mb2_view *p, struct boot_info *bi,
			  struct mb2_state *st)
{
	switch (type) {
	case MB2_TAG_CMDLINE:
		mb2_parse_cmdline(p, bi);
		break;
	case MB2_TAG_LOADER_NAME:
		mb2_parse_loader_name(p, bi, st);
		break;
	case MB2_TAG_MODULE:
		mb2_parse_module(p, bi, st);
		break;
	case MB2_TAG_BASIC_MEMINFO:
		mb2_parse_meminfo(p, bi);
		break;
	case MB2_TAG_MMAP:
		mb2_parse_mmap(p, bi, st);
		break;
	case MB2_TAG_ACPI_OLD:
	case MB2_TAG_ACPI_NEW:
		mb2_parse_rsdp(type, p, bi);
		break;
	case MB2_TAG_LOAD_BASE:
		mb2_parse_load_base(p, bi);
		break;
	default:
		pr_debug("multiboot2: tag %u (%s) skipped", type, mb2_tag_name(type));
		break;
	}
}

/*
 * Walks the tag list once without interpreting payloads, so that a broken
 * structure rejects the whole MBI before any of it is copied. Returns the
 * offset of the END tag, or 0 when the MBI cannot be trusted.
 */
static size_t mb2_check_structure(const struct mb2_view *mbi)
{
	size_t off = MB2_HEADER_SIZE;
	uint32_t type, size;

	while (off < mbi->len) {
		if (!mb2_get32(mbi, off, &type) || !mb2_get32(mbi, off + 4, &size)) {
			pr_err("multiboot2: tag header at offset %zu crosses the end of the "
			       "MBI (%zu bytes)",
			       off, mbi->len);
			return 0;
		}
		if (size < MB2_TAG_HEADER) {
			pr_err("multiboot2: tag %u at offset %zu has size %u, below the 8-byte "
			       "minimum",
			       type, off, size);
			return 0;
		}
		if (size > mbi->len - off) {
			pr_err("multiboot2: tag %u at offset %zu has size %u, extending past the "
			       "MBI end (total_size %zu)",
			       type, off, size, mbi->len);
			return 0;
		}
		if (type == MB2_TAG_END) {
			if (size != MB2_TAG_HEADER)
				pr_warn("multiboot2: end tag at offset %zu has size %u instead "
					"of 8",
					off, size);
			if (off + size < mbi->len)
				pr_debug("multiboot2: %zu bytes after the end tag ignored",
					 mbi->len - off - size);
			return off;
		}
		/* total_size and off are multiples of 8, so this stays <= mbi->len. */
		off += ((size_t)size + MB2_ALIGN - 1) & ~(size_t)(MB2_ALIGN - 1);
	}
	pr_err("multiboot2: no end tag within total_size %zu", mbi->len);
	return 0;
}

int mb2_parse(const void *mbi, size_t available, struct boot_info *out)
{
	struct mb2_view all = { mbi, available };
	struct mb2_view view;
	struct mb2_state st = { 0 };
	uint32_t total;
	size_t end, off;

	if (!out || !mbi) {
		pr_err("multiboot2: no boot information (mbi %p, out %p)", mbi, (void *)out);
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	if (available < MB2_HEADER_SIZE || !mb2_get32(&all, 0, &total)) {
		pr_err("multiboot2: only %zu bytes available, less than the 8-byte MBI header",
		       available);
		return -EINVAL;
	}
	if (total < MB2_MIN_SIZE) {
		pr_err("multiboot2: total_size %u is below the %u-byte minimum", total,
		       MB2_MIN_SIZE);
		return -EINVAL;
	}
	if (total > available) {
		pr_err("multiboot2: total_size %u exceeds the %zu bytes available", total,
		       available);
		return -EINVAL;
	}
	/* GRUB always pads the MBI to 8 bytes; anything else means we are not reading an MBI. */
	if (total % MB2_ALIGN != 0) {
		pr_err("multiboot2: total_size %u is not a multiple of 8", total);
		return -EINVAL;
	}
	view = mb2_sub(&all, 0, total);
	end = mb2_check_structure(&view);
	if (end == 0)
		return -EINVAL;

	for (off = MB2_HEADER_SIZE; off < end;) {
		uint32_t type, size;

		/* mb2_check_structure has validated every header before end. */
		if (!mb2_get32(&view, off, &type) || !mb2_get32(&view, off + 4, &size))
			break;
		struct mb2_view payload =
		    mb2_sub(&view, off + MB2_TAG_HEADER, size - MB2_TAG_HEADER);
		mb2_parse_tag(type, &payload, out, &st);
		off += ((size_t)size + MB2_ALIGN - 1) & ~(size_t)(MB2_ALIGN - 1);
	}
	out->mbi_size = total;
	return 0;
}

const char *boot_mem_type_name(uint32_t type)
{
	static char unknown[sizeof("type 4294967295")];

	switch (type) {
	case BOOT_MEM_RAM:
		return "RAM";
	case BOOT_MEM_RESERVED:
		return "reserved";
	case BOOT_MEM_ACPI:
		return "ACPI";
	case BOOT_MEM_NVS:
		return "NVS";
	case BOOT_MEM_BAD:
		return "bad";
	default:
		format_buf(unknown, sizeof(unknown), "type %u", type);
		return unknown;
	}
}

static bool boot_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool boot_is_eol(char c)
{
	return c == '\0' || c == '\r' || c == '\n';
}

int boot_find_module(const struct boot_info *bi, const char *tag, const char **args_out)
{
	size_t tag_len;
	uint32_t count;

	if (!bi || !tag)
		return -EINVAL;
	tag_len = strnlen(tag, BOOT_MODULE_STRING_MAX);
	if (tag_len == 0 || tag_len >= BOOT_MODULE_STRING_MAX)
		return -ENOENT;
	count = bi->module_count < BOOT_MAX_MODULES ? bi->module_count : BOOT_MAX_MODULES;
	for (uint32_t i = 0; i < count; i++) {
		const char *s = bi->modules[i].string;
		const char *args;

		/* strncmp stops at the string's NUL, so a shorter string cannot match. */
		if (strncmp(s, tag, tag_len) != 0)
			continue;
		/* Tools that stitch module strings from files may leave a CR/LF after the tag. */
		if (!boot_is_blank(s[tag_len]) && !boot_is_eol(s[tag_len]))
			continue;
		args = s + tag_len;
		while (boot_is_blank(*args))
			args++;
		if (args_out)
			*args_out = args;
		return (int)i;
	}
	return -ENOENT;
}
