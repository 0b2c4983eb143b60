/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Multiboot2 parser: MBIs are built in memory by a small builder, then handed
 * to mb2_parse in heap buffers of exactly their size so that ASan catches any
 * read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot/multiboot2.h"
#include "debug/log.h"
#include "lib/errno.h"
#include "tests/log_capture.h"

/* ---- MBI builder ---------------------------------------------------------- */

struct mbi {
	uint8_t *buf;
	size_t len;
	size_t cap;
};

static void mbi_put(struct mbi *m, const void *data, size_t n)
{
	if (m->len + n > m->cap) {
		m->cap = (m->len + n) * 2;
		m->buf = realloc(m->buf, m->cap);
		assert_non_null(m->buf);
	}
	memcpy(m->buf + m->len, data, n);
	m->len += n;
}

#define mbi_put32(m, v) mbi_put((m), &(uint32_t){ (v) }, 4)
#define mbi_put64(m, v) mbi_put((m), &(uint64_t){ (v) }, 8)

static void mbi_pad(struct mbi *m)
{
	static const uint8_t zero[8];

	mbi_put(m, zero, (8 - m->len % 8) % 8);
}

static void mbi_init(struct mbi *m)
{
	memset(m, 0, sizeof(*m));
	mbi_put32(m, 0); /* total_size, patched by mbi_finish */
	mbi_put32(m, 0); /* reserved */
}

/* A tag whose header claims `size` whatever the payload really is. */
static void mbi_tag_sized(struct mbi *m, uint32_t type, uint32_t size, const void *payload,
			  size_t len)
{
	mbi_put32(m, type);
	mbi_put32(m, size);
	if (len)
		mbi_put(m, payload, len);
	mbi_pad(m);
}

static void mbi_tag(struct mbi *m, uint32_t type, const void *payload, size_t len)
{
	mbi_tag_sized(m, type, (uint32_t)(8 + len), payload, len);
}

static void mbi_string_tag(struct mbi *m, uint32_t type, const char *s)
{
	mbi_tag(m, type, s, strlen(s) + 1);
}

/* A module tag whose string is the n bytes at s (NUL included or not). */
static void mbi_module_raw(struct mbi *m, uint32_t start, uint32_t end, const char *s, size_t n)
{
	mbi_put32(m, MB2_TAG_MODULE);
	mbi_put32(m, (uint32_t)(16 + n));
	mbi_put32(m, start);
	mbi_put32(m, end);
	mbi_put(m, s, n);
	mbi_pad(m);
}

static void mbi_module(struct mbi *m, uint32_t start, uint32_t end, const char *s)
{
	mbi_module_raw(m, start, end, s, strlen(s) + 1);
}

struct test_mmap {
	uint64_t base, length;
	uint32_t type;
};

static void mbi_mmap(struct mbi *m, uint32_t entry_size, uint32_t version,
		     const struct test_mmap *e, size_t n)
{
	mbi_put32(m, MB2_TAG_MMAP);
	mbi_put32(m, (uint32_t)(16 + n * entry_size));
	mbi_put32(m, entry_size);
	mbi_put32(m, version);
	for (size_t i = 0; i < n; i++) {
		size_t start = m->len;

		mbi_put64(m, e[i].base);
		mbi_put64(m, e[i].length);
		mbi_put32(m, e[i].type);
		while (m->len - start < entry_size)
			mbi_put(m, "\0", 1);
	}
	mbi_pad(m);
}

static void mbi_rsdp(struct mbi *m, uint32_t type, size_t len, uint8_t marker)
{
	uint8_t r[64];

	memset(r, marker, sizeof(r));
	memcpy(r, "RSD PTR ", 8);
	mbi_tag(m, type, r, len);
}

static void mbi_end(struct mbi *m)
{
	mbi_tag(m, MB2_TAG_END, NULL, 0);
}

/* Patches total_size and returns the MBI in an exactly-sized heap buffer. */
static uint8_t *mbi_finish(struct mbi *m, size_t *len)
{
	uint8_t *out;

	memcpy(m->buf, &(uint32_t){ (uint32_t)m->len }, 4);
	*len = m->len;
	out = realloc(m->buf, m->len);
	assert_non_null(out);
	return out;
}

/* Parse results; on the heap so ASan sees writes past it. */
static struct boot_info *bi;

static int bi_setup(void **state)
{
	(void)state;
	bi = malloc(sizeof(*bi));
	return bi ? 0 : -1;
}

static int bi_teardown(void **state)
{
	(void)state;
	free(bi);
	return 0;
}

/* Garbage the parser must overwrite: it clears everything first. */
static void bi_poison(void)
{
	memset(bi, 0xa5, sizeof(*bi));
	log_capture_reset();
}

/* Parses a built MBI (END tag included) from an exactly-sized buffer; expects success. */
static void parse_ok(struct mbi *m)
{
	size_t len;
	uint8_t *buf = mbi_finish(m, &len);
	int ret;

	bi_poison();
	ret = mb2_parse(buf, len, bi);
	free(buf);
	if (ret != 0)
		log_capture_dump();
	assert_int_equal(ret, 0);
}

/* Appends the END tag and parses. */
static void end_and_parse(struct mbi *m)
{
	mbi_end(m);
	parse_ok(m);
}

/* Fails (showing the log) unless some message contains text. */
static void expect_log(const char *text)
{
	if (!log_capture_contains(text)) {
		log_capture_dump();
		fail_msg("missing message '%s'", text);
	}
}

static void assert_zeroed(void)
{
	static const struct boot_info zero;

	assert_memory_equal(bi, &zero, sizeof(zero));
}

/* ---- a realistic GRUB MBI ------------------------------------------------- */

static const struct test_mmap grub_mmap[6] = {
	{ 0x0, 0x9fc00, BOOT_MEM_RAM },		 { 0x9fc00, 0x400, BOOT_MEM_RESERVED },
	{ 0xf0000, 0x10000, BOOT_MEM_RESERVED }, { 0x100000, 0x7fee0000, BOOT_MEM_RAM },
	{ 0x7ffe0000, 0x20000, BOOT_MEM_ACPI },	 { 0x100000000ull, 0x180000000ull, BOOT_MEM_RAM },
};

static void build_grub(struct mbi *m)
{
	uint8_t bootdev[12] = { 0 };

	mbi_init(m);
	mbi_string_tag(m, MB2_TAG_CMDLINE, "uart=port@0x3f8 loglevel=5 root=/dev/sda1 ro");
	mbi_string_tag(m, MB2_TAG_LOADER_NAME, "GRUB 2.06");
	mbi_module(m, 0x2000000, 0x2a00000, "Linux_bzImage console=ttyS0");
	mbi_module(m, 0x3000000, 0x3001000, "ACPI_VM0");
	mbi_tag(m, MB2_TAG_BOOTDEV, bootdev, sizeof(bootdev));
	mbi_tag(m, MB2_TAG_LOAD_BASE, &(uint32_t){ 0x1000000 }, 4);
	mbi_tag(m, MB2_TAG_BASIC_MEMINFO, (uint32_t[]){ 639, 2096000 }, 8);
	mbi_mmap(m, 24, 0, grub_mmap, 6);
	mbi_rsdp(m, MB2_TAG_ACPI_OLD, 20, 0x11);
	mbi_rsdp(m, MB2_TAG_ACPI_NEW, 36, 0x22);
	mbi_end(m);
}

static void check_grub(size_t len)
{
	assert_true(bi->has_cmdline);
	assert_string_equal(bi->cmdline, "uart=port@0x3f8 loglevel=5 root=/dev/sda1 ro");
	assert_string_equal(bi->loader_name, "GRUB 2.06");
	assert_int_equal(bi->module_count, 2);
	assert_int_equal(bi->modules[0].start, 0x2000000);
	assert_int_equal(bi->modules[0].end, 0x2a00000);
	assert_string_equal(bi->modules[0].string, "Linux_bzImage console=ttyS0");
	assert_int_equal(bi->modules[1].start, 0x3000000);
	assert_int_equal(bi->modules[1].end, 0x3001000);
	assert_string_equal(bi->modules[1].string, "ACPI_VM0");
	assert_int_equal(bi->mmap_count, 6);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(bi->mmap[i].base, grub_mmap[i].base);
		assert_int_equal(bi->mmap[i].length, grub_mmap[i].length);
		assert_int_equal(bi->mmap[i].type, grub_mmap[i].type);
	}
	assert_int_equal(bi->rsdp_tag, 15);
	assert_int_equal(bi->rsdp_len, 36);
	assert_memory_equal(bi->rsdp, "RSD PTR ", 8);
	assert_int_equal(bi->rsdp[35], 0x22);
	assert_true(bi->has_load_base);
	assert_int_equal(bi->load_base, 0x1000000);
	assert_true(bi->has_basic_meminfo);
	assert_int_equal(bi->mem_lower_kb, 639);
	assert_int_equal(bi->mem_upper_kb, 2096000);
	assert_int_equal(bi->mbi_size, len);
	assert_int_equal(log_capture_count(LOG_ERROR), 0);
	assert_int_equal(log_capture_count(LOG_WARNING), 0);
}

static void test_grub_mbi(void **state)
{
	struct mbi m;
	size_t len;
	uint8_t *buf, *unaligned;

	(void)state;
	build_grub(&m);
	buf = mbi_finish(&m, &len);
	bi_poison();
	assert_int_equal(mb2_parse(buf, len, bi), 0);
	check_grub(len);
	/* The bootdev tag is known but not needed: skipped at debug level. */
	expect_log("tag 5 (boot device) skipped");

	/* Same bytes at an odd address: loads must not assume alignment. */
	unaligned = malloc(len + 1);
	assert_non_null(unaligned);
	memcpy(unaligned + 1, buf, len);
	bi_poison();
	assert_int_equal(mb2_parse(unaligned + 1, len, bi), 0);
	check_grub(len);

	/* More bytes available than total_size: only total_size is read. */
	unaligned = realloc(unaligned, len + 64);
	assert_non_null(unaligned);
	memcpy(unaligned, buf, len);
	memset(unaligned + len, 0xff, 64);
	bi_poison();
	assert_int_equal(mb2_parse(unaligned, len + 64, bi), 0);
	check_grub(len);
	free(unaligned);
	free(buf);
}

/* ---- fatal problems ------------------------------------------------------- */

static void expect_fatal(uint8_t *buf, size_t avail, const char *msg)
{
	bi_poison();
	assert_int_equal(mb2_parse(buf, avail, bi), -EINVAL);
	expect_log(msg);
	assert_true(log_capture_count(LOG_ERROR) >= 1);
	assert_zeroed();
}

/* Finishes m, appends `extra` readable non-MBI bytes, expects rejection. */
static void expect_fatal_built(struct mbi *m, size_t extra, const char *msg)
{
	size_t len;
	uint8_t *b = mbi_finish(m, &len);

	b = realloc(b, len + extra);
	assert_non_null(b);
	memset(b + len, 'x', extra);
	expect_fatal(b, len + extra, msg);
	free(b);
}

/* A bare MBI header claiming total_size, in an exactly avail-byte buffer. */
static void expect_fatal_header(uint32_t total, size_t avail, const char *msg)
{
	uint8_t *b = calloc(1, avail);

	assert_non_null(b);
	if (avail >= 4)
		memcpy(b, &total, 4);
	if (avail >= 16)
		b[12] = 8; /* an end tag, so only the header is wrong */
	expect_fatal(b, avail, msg);
	free(b);
}

static void test_fatal_null(void **state)
{
	uint8_t hdr[16] = { 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0 };

	(void)state;
	bi_poison();
	assert_int_equal(mb2_parse(NULL, 16, bi), -EINVAL);
	expect_log("multiboot2: no boot information");
	assert_int_equal(mb2_parse(hdr, sizeof(hdr), NULL), -EINVAL);
	assert_int_equal(mb2_parse(hdr, sizeof(hdr), bi), 0);
}

static void test_fatal_header(void **state)
{
	(void)state;
	expect_fatal_header(0, 4, "only 4 bytes available, less than the 8-byte MBI header");
	expect_fatal_header(8, 8, "total_size 8 is below the 16-byte minimum");
	expect_fatal_header(24, 16, "total_size 24 exceeds the 16 bytes available");
	expect_fatal_header(20, 20, "total_size 20 is not a multiple of 8");
	/* Absurd total_size, as from a wrong pointer. */
	expect_fatal_header(0xfffffff8u, 16, "total_size 4294967288 exceeds the 16 bytes");
}

static void test_fatal_tags(void **state)
{
	struct mbi m;

	(void)state;
	/* A tag with size < 8 would loop forever or underflow. */
	mbi_init(&m);
	mbi_string_tag(&m, MB2_TAG_CMDLINE, "good");
	mbi_tag_sized(&m, 77, 4, NULL, 0);
	mbi_end(&m);
	expect_fatal_built(&m, 0, "tag 77 at offset 24 has size 4, below the 8-byte minimum");

	/* A tag whose size runs past total_size (bytes beyond are readable but not MBI). */
	mbi_init(&m);
	mbi_string_tag(&m, MB2_TAG_CMDLINE, "good");
	mbi_tag_sized(&m, MB2_TAG_LOADER_NAME, 64, "GRUB", 5);
	mbi_end(&m);
	expect_fatal_built(&m, 128, "tag 2 at offset 24 has size 64, extending past the MBI end");

	/* No end tag: the scan reaches total_size. */
	mbi_init(&m);
	mbi_string_tag(&m, MB2_TAG_CMDLINE, "good");
	expect_fatal_built(&m, 0, "no end tag within total_size 24");

	/* Huge tag size must not overflow the offset arithmetic. */
	mbi_init(&m);
	mbi_tag_sized(&m, 9, 0xfffffff9u, NULL, 0);
	mbi_end(&m);
	expect_fatal_built(&m, 0, "tag 9 at offset 8 has size 4294967289, extending past");
}

static void test_end_tag_size_warns(void **state)
{
	struct mbi m;
	uint8_t pad[8] = { 0 };

	(void)state;
	mbi_init(&m);
	mbi_string_tag(&m, MB2_TAG_CMDLINE, "x");
	mbi_tag(&m, MB2_TAG_END, pad, sizeof(pad)); /* size 16 */
	parse_ok(&m);
	expect_log("end tag at offset 24 has size 16 instead of 8");
	assert_true(bi->has_cmdline);
	assert_string_equal(bi->cmdline, "x");

	/* A minimal MBI; tags after the end tag are not parsed. */
	mbi_init(&m);
	mbi_end(&m);
	mbi_string_tag(&m, MB2_TAG_CMDLINE, "after end");
	parse_ok(&m);
	assert_false(bi->has_cmdline);
	assert_string_equal(bi->loader_name, "");
	assert_int_equal(bi->module_count + bi->mmap_count + bi->rsdp_tag, 0);
	assert_int_equal(bi->mbi_size, 40);
	expect_log("multiboot2: 24 bytes after the end tag ignored");
	assert_int_equal(log_capture_count(LOG_WARNING) + log_capture_count(LOG_ERROR), 0);
}

/* ---- per-tag problems ----------------------------------------------------- */

static void test_unterminated_strings(void **state)
{
	struct mbi m;

	(void)state;
	mbi_init(&m);
	mbi_tag(&m, MB2_TAG_CMDLINE, "abc", 3); /* no NUL inside the tag */
	mbi_tag(&m, MB2_TAG_LOADER_NAME, "GRUB", 4);
	mbi_module_raw(&m, 0x100000, 0x200000, "Linux", 5);
	mbi_module(&m, 0x300000, 0x400000, "ok_module");
	mbi_tag(&m, MB2_TAG_LOAD_BASE, &(uint32_t){ 0x400000 }, 4);
	end_and_parse(&m);
	expect_log(
	    "tag 1 (command line): string not NUL-terminated within its 3 bytes; tag ignored");
	expect_log("tag 2 (boot loader name): string not NUL-terminated");
	expect_log("tag 3 (module): string not NUL-terminated within its 5");
	assert_int_equal(log_capture_count(LOG_WARNING), 3);
	assert_false(bi->has_cmdline);
	assert_string_equal(bi->cmdline, "");
	assert_string_equal(bi->loader_name, "");
	assert_int_equal(bi->module_count, 1);
	assert_string_equal(bi->modules[0].string, "ok_module");
	assert_true(bi->has_load_base);
	assert_int_equal(bi->load_base, 0x400000);
}

static void test_empty_payloads(void **state)
{
	struct mbi m;

	(void)state;
	mbi_init(&m);
	mbi_tag(&m, MB2_TAG_CMDLINE, NULL, 0);
	mbi_tag(&m, MB2_TAG_MODULE, "\1\0\0\0", 4);
	mbi_tag(&m, MB2_TAG_BASIC_MEMINFO, "\1\0\0\0", 4);
	mbi_tag(&m, MB2_TAG_MMAP, "\x18\0\0\0", 4);
	mbi_tag(&m, MB2_TAG_LOAD_BASE, "\1\0", 2);
	mbi_string_tag(&m, MB2_TAG_LOADER_NAME, "still parsed");
	end_and_parse(&m);
	expect_log("tag 1 (command line): string not NUL-terminated within its 0 bytes");
	expect_log("tag 3 (module): payload of 4 bytes is too small");
	expect_log("tag 4 (basic memory info): payload of 4 bytes");
	expect_log("tag 6 (memory map): payload of 4 bytes is too small");
	expect_log("tag 21 (load base address): payload of 2 bytes");
	assert_false(bi->has_cmdline);
	assert_int_equal(bi->module_count, 0);
	assert_false(bi->has_basic_meminfo);
	assert_int_equal(bi->mmap_count, 0);
	assert_false(bi->has_load_base);
	assert_string_equal(bi->loader_name, "still parsed");
}

static void test_bad_modules(void **state)
{
	struct mbi m;

	(void)state;
	mbi_init(&m);
	mbi_module(&m, 0, 0x1000, "at_zero");
	mbi_module(&m, 0x200000, 0x100000, "backwards");
	mbi_module_raw(&m, 0x100000, 0x200000, "", 0); /* no string at all */
	mbi_module(&m, 0x500000, 0x500000, "empty_but_valid");
	end_and_parse(&m);
	expect_log("tag 3 (module): module at address 0 (end 0x1000); tag ignored");
	expect_log("tag 3 (module): end 0x100000 is below start 0x200000; tag ignored");
	expect_log("tag 3 (module): string not NUL-terminated within its 0");
	assert_int_equal(bi->module_count, 1);
	assert_string_equal(bi->modules[0].string, "empty_but_valid");
	assert_int_equal(bi->modules[0].start, 0x500000);
	assert_int_equal(bi->modules[0].end, 0x500000);
}

static void test_module_limit(void **state)
{
	struct mbi m;
	char name[32];

	(void)state;
	mbi_init(&m);
	for (int i = 0; i < BOOT_MAX_MODULES + 3; i++) {
		snprintf(name, sizeof(name), "mod%d", i);
		mbi_module(&m, 0x100000u * (uint32_t)(i + 1), 0x100000u * (uint32_t)(i + 1) + 10,
			   name);
	}
	mbi_string_tag(&m, MB2_TAG_CMDLINE, "after modules");
	end_and_parse(&m);
	assert_int_equal(bi->module_count, BOOT_MAX_MODULES);
	assert_string_equal(bi->modules[15].string, "mod15");
	assert_int_equal(bi->modules[15].start, 0x1000000);
	expect_log("more than 16 modules; ignoring the extra ones");
	assert_int_equal(log_capture_count(LOG_WARNING), 1); /* warned once */
	assert_string_equal(bi->cmdline, "after modules");
}

static void test_bad_mmap(void **state)
{
	static const struct test_mmap e[2] = { { 0, 0x1000, 1 }, { 0x1000, 0x1000, 2 } };
	struct mbi m;

	(void)state;
	/* entry_size below 24 */
	mbi_init(&m);
	mbi_mmap(&m, 20, 0, e, 2);
	mbi_string_tag(&m, MB2_TAG_CMDLINE, "c");
	end_and_parse(&m);
	expect_log(
	    "tag 6 (memory map): entry_size 20 is not a multiple of 8 of at least 24; tag ignored");
	assert_int_equal(bi->mmap_count, 0);
	assert_true(bi->has_cmdline);

	/* entry_size not a multiple of 8 */
	mbi_init(&m);
	mbi_mmap(&m, 28, 0, e, 2);
	end_and_parse(&m);
	expect_log("entry_size 28 is not a multiple of 8");
	assert_int_equal(bi->mmap_count, 0);

	/* unknown entry_version; a later good map is still taken */
	mbi_init(&m);
	mbi_mmap(&m, 24, 1, e, 2);
	mbi_mmap(&m, 24, 0, e, 2);
	end_and_parse(&m);
	expect_log("tag 6 (memory map): entry_version 1 is not 0; tag ignored");
	assert_int_equal(bi->mmap_count, 2);

	/* larger entries (future fields) are fine: only the first 24 bytes are ours */
	mbi_init(&m);
	mbi_mmap(&m, 32, 0, e, 2);
	end_and_parse(&m);
	assert_int_equal(bi->mmap_count, 2);
	assert_int_equal(bi->mmap[1].base, 0x1000);
	assert_int_equal(bi->mmap[1].type, 2);
	assert_int_equal(log_capture_count(LOG_WARNING), 0);
}

static void test_mmap_zero_length_and_second(void **state)
{
	static const struct test_mmap e[4] = {
		{ 0, 0x1000, 1 }, { 0x1000, 0, 2 }, { 0x2000, 0x1000, 3 }, { 0x3000, 0, 1 }
	};
	static const struct test_mmap other[1] = { { 0x9000, 0x1000, 1 } };
	struct mbi m;

	(void)state;
	mbi_init(&m);
	mbi_mmap(&m, 24, 0, e, 4);
	mbi_mmap(&m, 24, 0, other, 1);
	end_and_parse(&m);
	assert_int_equal(bi->mmap_count, 2);
	assert_int_equal(bi->mmap[0].base, 0);
	assert_int_equal(bi->mmap[1].base, 0x2000);
	assert_int_equal(bi->mmap[1].type, 3);
	expect_log("tag 6 (memory map): second memory map ignored");
	assert_int_equal(log_capture_count(LOG_WARNING), 1); /* zero lengths are silent */
}

static void test_mmap_limit(void **state)
{
	struct test_mmap e[BOOT_MAX_MMAP + 2];
	struct mbi m;

	(void)state;
	for (int i = 0; i < BOOT_MAX_MMAP + 2; i++) {
		e[i].base = 0x1000ull * (uint64_t)i;
		e[i].length = 0x1000;
		e[i].type = 1;
	}
	mbi_init(&m);
	mbi_mmap(&m, 24, 0, e, BOOT_MAX_MMAP + 2);
	end_and_parse(&m);
	assert_int_equal(bi->mmap_count, BOOT_MAX_MMAP);
	assert_int_equal(bi->mmap[BOOT_MAX_MMAP - 1].base, 0x1000ull * (BOOT_MAX_MMAP - 1));
	expect_log("more than 128 entries; keeping the first 128");

	/* Exactly the limit: no warning. */
	mbi_init(&m);
	mbi_mmap(&m, 24, 0, e, BOOT_MAX_MMAP);
	end_and_parse(&m);
	assert_int_equal(bi->mmap_count, BOOT_MAX_MMAP);
	assert_int_equal(log_capture_count(LOG_WARNING), 0);
}

static void test_rsdp(void **state)
{
	struct mbi m;

	(void)state;
	/* Only the old RSDP. */
	mbi_init(&m);
	mbi_rsdp(&m, MB2_TAG_ACPI_OLD, 20, 0x11);
	end_and_parse(&m);
	assert_int_equal(bi->rsdp_tag, 14);
	assert_int_equal(bi->rsdp_len, 20);
	assert_int_equal(bi->rsdp[19], 0x11);
	assert_int_equal(bi->rsdp[20], 0);

	/* New before old: the new one still wins. */
	mbi_init(&m);
	mbi_rsdp(&m, MB2_TAG_ACPI_NEW, 36, 0x22);
	mbi_rsdp(&m, MB2_TAG_ACPI_OLD, 20, 0x11);
	end_and_parse(&m);
	assert_int_equal(bi->rsdp_tag, 15);
	assert_int_equal(bi->rsdp_len, 36);
	assert_int_equal(bi->rsdp[8], 0x22);

	/* Too small copies are rejected; a broken new copy leaves the old one. */
	mbi_init(&m);
	mbi_rsdp(&m, MB2_TAG_ACPI_OLD, 20, 0x11);
	mbi_rsdp(&m, MB2_TAG_ACPI_NEW, 20, 0x22);
	end_and_parse(&m);
	expect_log("tag 15 (ACPI new RSDP): payload of 20 bytes is too small for a 36-byte RSDP; "
		   "tag ignored");
	assert_int_equal(bi->rsdp_tag, 14);
	assert_int_equal(bi->rsdp_len, 20);

	mbi_init(&m);
	mbi_rsdp(&m, MB2_TAG_ACPI_OLD, 19, 0x11);
	end_and_parse(&m);
	expect_log("tag 14 (ACPI old RSDP): payload of 19 bytes is too small for a 20-byte RSDP");
	assert_int_equal(bi->rsdp_tag, 0);
	assert_int_equal(bi->rsdp_len, 0);

	/* Wrong signature. */
	mbi_init(&m);
	mbi_tag(&m, MB2_TAG_ACPI_NEW, "RSD_PTR ZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", 36);
	mbi_rsdp(&m, MB2_TAG_ACPI_OLD, 20, 0x11);
	end_and_parse(&m);
	expect_log("tag 15 (ACPI new RSDP): no \"RSD PTR \" signature");
	assert_int_equal(bi->rsdp_tag, 14);
}

static void test_duplicates_and_unknown(void **state)
{
	struct mbi m;
	uint8_t blob[12] = { 1, 2, 3 };

	(void)state;
	mbi_init(&m);
	mbi_string_tag(&m, MB2_TAG_CMDLINE, "first");
	mbi_tag(&m, 99, blob, sizeof(blob));
	mbi_string_tag(&m, MB2_TAG_CMDLINE, "second");
	mbi_string_tag(&m, MB2_TAG_LOADER_NAME, "GRUB");
	mbi_string_tag(&m, MB2_TAG_LOADER_NAME, "other");
	end_and_parse(&m);
	assert_string_equal(bi->cmdline, "first");
	assert_string_equal(bi->loader_name, "GRUB");
	expect_log("tag 1 (command line): second command line ignored");
	expect_log("second boot loader name ignored");
	expect_log("tag 99 (unknown) skipped");
	assert_int_equal(log_capture_count(LOG_DEBUG), 1);
	assert_int_equal(log_capture_count(LOG_WARNING), 2);
}

static void test_truncation(void **state)
{
	struct mbi m;
	char *longstr = malloc(3001);

	(void)state;
	memset(longstr, 'a', 3000);
	longstr[3000] = '\0';
	mbi_init(&m);
	mbi_string_tag(&m, MB2_TAG_CMDLINE, longstr);
	mbi_string_tag(&m, MB2_TAG_LOADER_NAME, longstr + 3000 - 100);
	mbi_module(&m, 0x100000, 0x200000, longstr + 3000 - 2100);
	end_and_parse(&m);
	assert_true(bi->has_cmdline);
	assert_int_equal(strlen(bi->cmdline), BOOT_CMDLINE_MAX - 1);
	assert_int_equal(strlen(bi->loader_name), BOOT_LOADER_NAME_MAX - 1);
	assert_int_equal(bi->module_count, 1);
	assert_int_equal(strlen(bi->modules[0].string), BOOT_MODULE_STRING_MAX - 1);
	expect_log("tag 1 (command line): 3000-character string truncated to 2047");
	expect_log("tag 2 (boot loader name): 100-character string truncated to 63");
	expect_log("tag 3 (module): 2100-character string truncated to 2047");

	/* Exactly fitting strings are not truncated. */
	mbi_init(&m);
	mbi_string_tag(&m, MB2_TAG_CMDLINE, longstr + 3000 - (BOOT_CMDLINE_MAX - 1));
	mbi_string_tag(&m, MB2_TAG_LOADER_NAME, longstr + 3000 - (BOOT_LOADER_NAME_MAX - 1));
	end_and_parse(&m);
	assert_int_equal(strlen(bi->cmdline), BOOT_CMDLINE_MAX - 1);
	assert_int_equal(strlen(bi->loader_name), BOOT_LOADER_NAME_MAX - 1);
	assert_int_equal(log_capture_count(LOG_WARNING), 0);
	free(longstr);
}

/* ---- boot_find_module and boot_mem_type_name ------------------------------ */

static void add_module(const char *s)
{
	struct boot_module *mod = &bi->modules[bi->module_count++];

	mod->start = 0x100000;
	mod->end = 0x200000;
	snprintf(mod->string, sizeof(mod->string), "%s", s);
}

static void test_find_module(void **state)
{
	const char *args = NULL;

	(void)state;
	memset(bi, 0, sizeof(*bi));
	add_module("Linux_bzImageX root=/dev/x");
	add_module("Linux_bzImage\t  root=/dev/sda1 ro");
	add_module("ACPI_VM0");
	add_module("ACPI_VM1\r\n");
	add_module("Linux");
	add_module("");

	assert_int_equal(boot_find_module(bi, "Linux_bzImage", &args), 1);
	assert_string_equal(args, "root=/dev/sda1 ro");
	assert_int_equal(boot_find_module(bi, "Linux_bzImageX", &args), 0);
	assert_string_equal(args, "root=/dev/x");
	assert_int_equal(boot_find_module(bi, "ACPI_VM0", &args), 2);
	assert_string_equal(args, "");
	assert_int_equal(boot_find_module(bi, "ACPI_VM1", &args), 3);
	assert_int_equal(boot_find_module(bi, "ACPI_VM1", NULL), 3);
	/* A prefix of the tag is not the tag; a tag longer than the string is not either. */
	assert_int_equal(boot_find_module(bi, "ACPI", &args), -ENOENT);
	assert_int_equal(boot_find_module(bi, "Linu", &args), -ENOENT);
	assert_int_equal(boot_find_module(bi, "Linux", &args), 4);
	assert_int_equal(boot_find_module(bi, "ACPI_VM0_long", &args), -ENOENT);
	assert_int_equal(boot_find_module(bi, "root=/dev/sda1", &args), -ENOENT);
	/* Empty tag never matches, not even the empty module string. */
	assert_int_equal(boot_find_module(bi, "", &args), -ENOENT);
	assert_int_equal(boot_find_module(NULL, "Linux", &args), -EINVAL);
	assert_int_equal(boot_find_module(bi, NULL, &args), -EINVAL);

	/* Only module_count modules are looked at. */
	bi->module_count = 2;
	assert_int_equal(boot_find_module(bi, "ACPI_VM0", &args), -ENOENT);
}

static void test_mem_type_name(void **state)
{
	(void)state;
	assert_string_equal(boot_mem_type_name(BOOT_MEM_RAM), "RAM");
	assert_string_equal(boot_mem_type_name(BOOT_MEM_RESERVED), "reserved");
	assert_string_equal(boot_mem_type_name(BOOT_MEM_ACPI), "ACPI");
	assert_string_equal(boot_mem_type_name(BOOT_MEM_NVS), "NVS");
	assert_string_equal(boot_mem_type_name(BOOT_MEM_BAD), "bad");
	assert_string_equal(boot_mem_type_name(0), "type 0");
	assert_string_equal(boot_mem_type_name(12), "type 12");
	assert_string_equal(boot_mem_type_name(0xffffffffu), "type 4294967295");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grub_mbi),
		cmocka_unit_test(test_fatal_null),
		cmocka_unit_test(test_fatal_header),
		cmocka_unit_test(test_fatal_tags),
		cmocka_unit_test(test_end_tag_size_warns),
		cmocka_unit_test(test_unterminated_strings),
		cmocka_unit_test(test_empty_payloads),
		cmocka_unit_test(test_bad_modules),
		cmocka_unit_test(test_module_limit),
		cmocka_unit_test(test_bad_mmap),
		cmocka_unit_test(test_mmap_zero_length_and_second),
		cmocka_unit_test(test_mmap_limit),
		cmocka_unit_test(test_rsdp),
		cmocka_unit_test(test_duplicates_and_unknown),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_find_module),
		cmocka_unit_test(test_mem_type_name),
	};
	return cmocka_run_group_tests_name("multiboot2", tests, bi_setup, bi_teardown);
}
