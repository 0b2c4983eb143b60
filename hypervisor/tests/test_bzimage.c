/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Linux boot protocol: setup header parsing, load placement, command line
 * assembly and the zero page. The offsets below are written down again from
 * Documentation/arch/x86/boot.rst and zero-page.rst rather than taken from
 * the code under test, so a wrong constant there fails here. Images are
 * exactly-sized heap buffers so that ASan catches any read past their end.
 */
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot/bzimage.h"
#include "debug/log.h"
#include "lib/errno.h"
#include "tests/log_capture.h"

/* boot.rst, "The Real-Mode Kernel Header" */
#define OFF_SETUP_SECTS	     0x1f1
#define OFF_SYSSIZE	     0x1f4
#define OFF_VID_MODE	     0x1fa
#define OFF_BOOT_FLAG	     0x1fe
#define OFF_JUMP	     0x200
#define OFF_HEADER	     0x202
#define OFF_VERSION	     0x206
#define OFF_REALMODE_SWTCH   0x208
#define OFF_TYPE_OF_LOADER   0x210
#define OFF_LOADFLAGS	     0x211
#define OFF_CODE32_START     0x214
#define OFF_RAMDISK_IMAGE    0x218
#define OFF_RAMDISK_SIZE     0x21c
#define OFF_HEAP_END_PTR     0x224
#define OFF_EXT_LOADER_VER   0x226
#define OFF_EXT_LOADER_TYPE  0x227
#define OFF_CMD_LINE_PTR     0x228
#define OFF_INITRD_ADDR_MAX  0x22c
#define OFF_KERNEL_ALIGNMENT 0x230
#define OFF_RELOCATABLE	     0x234
#define OFF_MIN_ALIGNMENT    0x235
#define OFF_XLOADFLAGS	     0x236
#define OFF_CMDLINE_SIZE     0x238
#define OFF_HW_SUBARCH	     0x23c
#define OFF_HW_SUBARCH_DATA  0x240
#define OFF_SETUP_DATA	     0x250
#define OFF_PREF_ADDRESS     0x258
#define OFF_INIT_SIZE	     0x260
#define OFF_KERNEL_INFO	     0x268
/* zero-page.rst */
#define OFF_ACPI_RSDP	     0x070
#define OFF_EXT_RAMDISK_IMG  0x0c0
#define OFF_EXT_RAMDISK_SIZE 0x0c4
#define OFF_EXT_CMD_LINE_PTR 0x0c8
#define OFF_E820_ENTRIES     0x1e8
#define OFF_SENTINEL	     0x1ef
#define OFF_E820_TABLE	     0x2d0

#define MIB	    0x100000ull
#define GIB	    0x40000000ull
#define IMAGE_SIZE  0x9000u /* setup_sects 0x27 (like Debian's) + 0x4000 of kernel */
#define SETUP_SECTS 0x27
#define INIT_SIZE   0x2000000u /* 32 MiB */

static void expect_msg(const char *text)
{
	if (!log_capture_contains(text)) {
		log_capture_dump();
		fail_msg("missing message '%s'", text);
	}
}

/* Little-endian load of len bytes, like the fields of the header. */
static uint64_t get(const uint8_t *p, uint32_t off, uint32_t len)
{
	uint64_t v = 0;

	for (uint32_t i = len; i > 0; i--)
		v = v << 8 | p[off + i - 1];
	return v;
}

/* Little-endian store of the low len bytes of v. */
static void patch(uint8_t *img, uint32_t off, uint32_t len, uint64_t v)
{
	for (uint32_t i = 0; i < len; i++)
		img[off + i] = (uint8_t)(v >> (8 * i));
}

/* A protocol 2.15 bzImage as Debian 12 ships it, with a small kernel part. */
static uint8_t *make_image(void)
{
	uint8_t *img = malloc(IMAGE_SIZE);

	assert_non_null(img);
	for (size_t i = 0; i < IMAGE_SIZE; i++)
		img[i] = (uint8_t)(i * 7 + 3);
	memset(img + 0x1e0, 0xff, 0x11); /* the real image's sentinel area */
	img[OFF_SETUP_SECTS] = SETUP_SECTS;
	patch(img, 0x1f2, 2, 1);				    /* root_flags */
	patch(img, OFF_SYSSIZE, 4, (IMAGE_SIZE - 0x5000) / 16 - 4); /* CRC and padding after */
	patch(img, OFF_VID_MODE, 2, 0xffff);
	patch(img, OFF_BOOT_FLAG, 2, 0xaa55);
	img[OFF_JUMP] = 0xeb;
	img[OFF_JUMP + 1] = 0x6a; /* header ends at 0x26c */
	memcpy(img + OFF_HEADER, "HdrS", 4);
	patch(img, OFF_VERSION, 2, 0x020f);
	memset(img + OFF_REALMODE_SWTCH, 0, OFF_CODE32_START - OFF_REALMODE_SWTCH);
	img[OFF_LOADFLAGS] = 0x01;
	patch(img, OFF_CODE32_START, 4, 0x100000);
	memset(img + OFF_RAMDISK_IMAGE, 0, OFF_INITRD_ADDR_MAX - OFF_RAMDISK_IMAGE);
	patch(img, OFF_HEAP_END_PTR, 2, 0x5be0);
	patch(img, OFF_INITRD_ADDR_MAX, 4, 0x7fffffff);
	patch(img, OFF_KERNEL_ALIGNMENT, 4, 0x200000);
	img[OFF_RELOCATABLE] = 1;
	img[OFF_MIN_ALIGNMENT] = 21;
	patch(img, OFF_XLOADFLAGS, 2, 0x7f);
	patch(img, OFF_CMDLINE_SIZE, 4, 2047);
	patch(img, OFF_HW_SUBARCH, 4, 0);
	patch(img, OFF_HW_SUBARCH_DATA, 8, 0);
	patch(img, OFF_SETUP_DATA, 8, 0);
	patch(img, OFF_PREF_ADDRESS, 8, 0x1000000);
	patch(img, OFF_INIT_SIZE, 4, INIT_SIZE);
	patch(img, OFF_KERNEL_INFO, 4, 0x1000);
	return img;
}

static int parse(const uint8_t *img, size_t size, struct bzimage_info *info)
{
	uint8_t *copy = malloc(size ? size : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, img, size);
	log_capture_reset();
	ret = bzimage_parse(copy, size, info);
	free(copy);
	return ret;
}

static void test_parse_debian_like(void **state)
{
	uint8_t *img = make_image();
	struct bzimage_info info;

	(void)state;
	assert_int_equal(parse(img, IMAGE_SIZE, &info), 0);
	assert_int_equal(info.version, 0x020f);
	assert_int_equal(info.setup_sects, SETUP_SECTS);
	assert_int_equal(info.loadflags, 1);
	assert_int_equal(info.xloadflags, 0x7f);
	assert_true(info.relocatable);
	assert_int_equal(info.kernel_alignment, 0x200000);
	assert_int_equal(info.min_alignment, 21);
	assert_int_equal(info.cmdline_size, 2047);
	assert_int_equal(info.initrd_addr_max, 0x7fffffff);
	assert_int_equal(info.pref_address, 0x1000000);
	assert_int_equal(info.init_size, INIT_SIZE);
	assert_int_equal(info.kernel_offset, (SETUP_SECTS + 1) * 512);
	assert_int_equal(info.kernel_size, IMAGE_SIZE - (SETUP_SECTS + 1) * 512);
	assert_int_equal(info.header_len, 0x26c - 0x1f1);
	assert_memory_equal(info.header, img + 0x1f1, 0x26c - 0x1f1);
	assert_true(bzimage_has_entry64(&info));
	assert_int_equal(log_capture_count(LOG_ERROR), 0);

	/* setup_sects 0 means 4. */
	img[OFF_SETUP_SECTS] = 0;
	assert_int_equal(parse(img, IMAGE_SIZE, &info), 0);
	assert_int_equal(info.setup_sects, 4);
	assert_int_equal(info.kernel_offset, 0xa00);

	/* Protocol 2.10 (before xloadflags): no 64-bit entry is claimed. */
	patch(img, OFF_VERSION, 2, 0x020a);
	img[OFF_JUMP + 1] = 0x62; /* header ends with init_size, at 0x264 */
	assert_int_equal(parse(img, IMAGE_SIZE, &info), 0);
	assert_int_equal(info.xloadflags, 0);
	assert_false(bzimage_has_entry64(&info));
	assert_false(bzimage_has_entry64(NULL));
	free(img);
}

struct rejection {
	uint32_t off, len;
	uint64_t value;
	const char *message;
};

static void test_parse_rejections(void **state)
{
	static const struct rejection cases[] = {
		{ OFF_BOOT_FLAG, 2, 0x55aa,
		  "boot_flag (0x1fe) is 0x55aa, not 0xaa55: not a Linux" },
		{ OFF_HEADER, 4, 0x54726448, /* "HdrT" */
		  "header magic (0x202) is 0x54726448, not 0x53726448 (\"HdrS\")" },
		{ OFF_VERSION, 2, 0x0209, "protocol version (0x206) is 2.09, needs 2.10 or later" },
		{ OFF_JUMP, 1, 0xe9,
		  "jump (0x200) is 0xe9 0x6a: the setup header would end at 0x26c" },
		{ OFF_JUMP + 1, 1, 0x80, "jump (0x200) is 0xeb 0x80" },
		{ OFF_JUMP + 1, 1, 0x61, /* ends at 0x263, inside init_size */
		  "would end at 0x263, protocol 2.15 needs a short jump (0xeb) past init_size" },
		{ OFF_LOADFLAGS, 1, 0x80, "loadflags (0x211) is 0x80 without LOADED_HIGH (bit 0)" },
		{ OFF_SETUP_SECTS, 1, 0x48, /* kernel at 0x9200: past the end */
		  "setup_sects (0x1f1) is 72: the protected-mode kernel would start at 0x9200, but "
		  "the image is only 36864 bytes" },
		{ OFF_SYSSIZE, 4, (IMAGE_SIZE - 0x5000) / 16 + 1,
		  "syssize (0x1f4) says 16400 bytes of protected-mode kernel, the image has "
		  "16384" },
		{ OFF_INIT_SIZE, 4, 0, "bzimage: init_size (0x260) is 0" },
		{ OFF_KERNEL_ALIGNMENT, 4, 0x300000,
		  "kernel_alignment (0x230) is 0x300000, not a" },
		{ OFF_KERNEL_ALIGNMENT, 4, 0, "kernel_alignment (0x230) is 0, not a power of two" },
		{ OFF_MIN_ALIGNMENT, 1, 22,
		  "min_alignment (0x235) is 22: 2^22 is above kernel_align" },
		{ OFF_MIN_ALIGNMENT, 1, 200, "min_alignment (0x235) is 200" },
	};
	struct bzimage_info info;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *img = make_image();

		patch(img, cases[i].off, cases[i].len, cases[i].value);
		memset(&info, 0x5a, sizeof(info));
		if (parse(img, IMAGE_SIZE, &info) != -EINVAL)
			fail_msg("case '%s' was accepted", cases[i].message);
		if (!log_capture_contains(cases[i].message)) {
			log_capture_dump();
			fail_msg("missing message '%s'", cases[i].message);
		}
		assert_int_equal(log_capture_count(LOG_ERROR), 1);
		assert_int_equal(info.header_len, 0); /* nothing half-filled */
		assert_int_equal(info.init_size, 0);
		free(img);
	}
}

static void test_parse_small_and_null(void **state)
{
	uint8_t *img = make_image();
	struct bzimage_info info;

	(void)state;
	/* Every prefix of a valid image: rejected, never read past its end. */
	for (size_t size = 0; size < 0xa00; size++)
		assert_int_equal(parse(img, size, &info), -EINVAL);
	parse(img, 0x263, &info);
	expect_msg("bzimage: image is 611 bytes, too small for a boot protocol 2.10 setup header "
		   "(0x264 bytes)");
	parse(img, 0x1400, &info);
	expect_msg("the image is only 5120 bytes");
	log_capture_reset();
	assert_int_equal(bzimage_parse(NULL, 4096, &info), -EINVAL);
	expect_msg("image is 0 bytes");
	assert_int_equal(bzimage_parse(img, IMAGE_SIZE, NULL), -EINVAL);
	free(img);
}

static void test_parse_fuzz(void **state)
{
	struct bzimage_info info;

	(void)state;
	srand(15);
	for (int iter = 0; iter < 3000; iter++) {
		uint8_t *img = make_image();
		size_t size = IMAGE_SIZE - (size_t)(rand() % 2 ? rand() % IMAGE_SIZE : 0);

		for (int k = rand() % 4; k >= 0; k--)
			img[0x1f1 + rand() % 0x80] = (uint8_t)rand();
		if (parse(img, size, &info) == 0) {
			assert_true(info.kernel_offset < size);
			assert_true(info.kernel_offset + info.kernel_size == size);
			assert_true(info.header_len <= sizeof(info.header));
			assert_true(info.init_size > 0);
		} else {
			assert_int_equal(log_capture_count(LOG_ERROR), 1);
		}
		free(img);
	}
}

/* A 4 GiB machine with the usual holes; the hypervisor image at 64 MiB. */
static const struct e820_entry test_map[] = {
	{ 0x0, 0x9f000, E820_TYPE_RAM },
	{ 0x9f000, 0x61000, E820_TYPE_RESERVED },
	{ 0x100000, 0x3f00000, E820_TYPE_RAM },
	{ 0x4000000, 0x400000, E820_TYPE_RESERVED },
	{ 0x4400000, 0x7bc00000, E820_TYPE_RAM }, /* up to 2 GiB */
	{ 0xfec00000, 0x1000, E820_TYPE_RESERVED },
	{ 0x100000000, 0x100000000, E820_TYPE_RAM },
};
#define TEST_MAP_COUNT ((uint32_t)(sizeof(test_map) / sizeof(test_map[0])))

/* Shared by the tests: the map is only read, the zero page rewritten each time. */
static struct e820_entry *map;
static uint8_t *zp;

static int group_setup(void **state)
{
	(void)state;
	map = malloc(sizeof(test_map));
	zp = malloc(4096); /* exactly one zero page */
	if (!map || !zp)
		return -1;
	memcpy(map, test_map, sizeof(test_map));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	free(map);
	free(zp);
	return 0;
}

static void parsed(struct bzimage_info *info, void (*mutate)(uint8_t *img))
{
	uint8_t *img = make_image();

	if (mutate)
		mutate(img);
	assert_int_equal(parse(img, IMAGE_SIZE, info), 0);
	free(img);
}

static void not_relocatable(uint8_t *img)
{
	img[OFF_RELOCATABLE] = 0;
	patch(img, OFF_KERNEL_ALIGNMENT, 4, 0x123); /* ignored when not relocatable */
}
static void below_4g_only(uint8_t *img)
{
	patch(img, OFF_XLOADFLAGS, 2, 0x01); /* 64-bit entry, nothing above 4 GiB */
}

static void test_load_and_initrd_address(void **state)
{
	struct bzimage_info info;

	(void)state;
	parsed(&info, NULL);
	log_capture_reset();
	assert_int_equal(bzimage_check_load_addr(&info, map, TEST_MAP_COUNT, 0x1000000), 0);
	/* Ends exactly where the hypervisor's reserved range starts. */
	assert_int_equal(bzimage_check_load_addr(&info, map, TEST_MAP_COUNT, 0x2000000), 0);
	assert_int_equal(log_capture_count(LOG_ERROR), 0);

	assert_int_equal(bzimage_check_load_addr(&info, map, TEST_MAP_COUNT, 0x2200000), -ERANGE);
	expect_msg("bzimage: the kernel needs init_size 0x2000000 bytes of RAM at 0x2200000, but "
		   "[0x2200000, 0x4200000) is not all RAM in the Service VM map");
	assert_int_equal(bzimage_check_load_addr(&info, map, TEST_MAP_COUNT, 0x1100000), -EINVAL);
	expect_msg("bzimage: load address 0x1100000 is not aligned to kernel_alignment 0x200000");
	/* Above 4 GiB: fine for this kernel (XLF_CAN_BE_LOADED_ABOVE_4G). */
	assert_int_equal(bzimage_check_load_addr(&info, map, TEST_MAP_COUNT, 0x100000000), 0);
	assert_int_equal(bzimage_check_load_addr(&info, map, TEST_MAP_COUNT, 0xfffffffffe000000ull),
			 -ERANGE);
	expect_msg("would end above 2^64");
	assert_int_equal(bzimage_check_load_addr(&info, NULL, 0, 0x1000000), -EINVAL);
	expect_msg("bzimage: no kernel header or memory map");

	parsed(&info, below_4g_only);
	log_capture_reset();
	assert_int_equal(bzimage_check_load_addr(&info, map, TEST_MAP_COUNT, 0x100000000), -ERANGE);
	expect_msg("bzimage: the kernel at 0x100000000 with init_size 0x2000000 would end above "
		   "4 GiB, out of its reach (xloadflags 0x1)");

	parsed(&info, not_relocatable);
	log_capture_reset();
	assert_int_equal(bzimage_check_load_addr(&info, map, TEST_MAP_COUNT, 0x1000000), 0);
	assert_int_equal(bzimage_check_load_addr(&info, map, TEST_MAP_COUNT, 0x4400000), -EINVAL);
	expect_msg("bzimage: the kernel is not relocatable: it runs at 0x1000000 (pref_address), "
		   "not at 0x4400000");

	/* The initrd: anywhere with XLF_CAN_BE_LOADED_ABOVE_4G, else below initrd_addr_max. */
	parsed(&info, NULL);
	log_capture_reset();
	assert_int_equal(bzimage_check_initrd(&info, 0x180000000ull, 0x1000000), 0);
	assert_int_equal(bzimage_check_initrd(&info, 0, 0), 0);
	assert_int_equal(bzimage_check_initrd(&info, UINT64_MAX, 1), 0);
	assert_int_equal(bzimage_check_initrd(&info, UINT64_MAX, 2), -ERANGE);
	expect_msg("bzimage: initrd at 0xffffffffffffffff of 0x2 bytes runs past 2^64");

	parsed(&info, below_4g_only);
	log_capture_reset();
	/* initrd_addr_max is the highest byte the initrd may occupy. */
	assert_int_equal(bzimage_check_initrd(&info, 0x7f000000, 0x1000000), 0);
	assert_int_equal(bzimage_check_initrd(&info, 0x7f000001, 0x1000000), -ERANGE);
	expect_msg("bzimage: initrd at [0x7f000001, 0x80000001) ends above initrd_addr_max "
		   "0x7fffffff: out of the kernel's reach");
	assert_int_equal(bzimage_check_initrd(NULL, 0, 0), -EINVAL);
}

static void test_choose_load_address(void **state)
{
	struct e820_range *avoid = malloc(2 * sizeof(*avoid));
	struct bzimage_info info;
	uint64_t load = 0;

	(void)state;
	assert_non_null(avoid);
	parsed(&info, NULL);
	log_capture_reset();
	/* pref_address is free. */
	assert_int_equal(bzimage_choose_load_addr(&info, map, TEST_MAP_COUNT, NULL, 0, &load), 0);
	assert_int_equal(load, 0x1000000);
	/* The kernel module sits at pref_address: the next aligned free block. */
	avoid[0] = (struct e820_range){ 0x1800000, 0x2000000 };
	assert_int_equal(bzimage_choose_load_addr(&info, map, TEST_MAP_COUNT, avoid, 1, &load), 0);
	assert_int_equal(load, 0x2000000);
	assert_int_equal(bzimage_check_load_addr(&info, map, TEST_MAP_COUNT, load), 0);
	/* Nothing free at or above 16 MiB below 2^64: back to 1 MiB and up. */
	avoid[1] = (struct e820_range){ 0x1000000, UINT64_MAX };
	avoid[0] = (struct e820_range){ 0x100000, 0x200000 };
	info.init_size = 0x800000;
	assert_int_equal(bzimage_choose_load_addr(&info, map, TEST_MAP_COUNT, avoid, 2, &load), 0);
	assert_int_equal(load, 0x200000);
	assert_int_equal(log_capture_count(LOG_ERROR), 0);
	/* Nothing anywhere. */
	avoid[0] = (struct e820_range){ 0, UINT64_MAX };
	assert_int_equal(bzimage_choose_load_addr(&info, map, TEST_MAP_COUNT, avoid, 1, &load),
			 -ENOMEM);
	expect_msg("bzimage: no free RAM for the kernel: init_size 0x800000 bytes aligned to "
		   "0x200000 below 2^64");
	assert_int_equal(bzimage_choose_load_addr(&info, map, TEST_MAP_COUNT, NULL, 1, &load),
			 -EINVAL);

	/* Not relocatable: pref_address or nothing. */
	parsed(&info, not_relocatable);
	log_capture_reset();
	assert_int_equal(bzimage_choose_load_addr(&info, map, TEST_MAP_COUNT, NULL, 0, &load), 0);
	assert_int_equal(load, 0x1000000);
	avoid[0] = (struct e820_range){ 0x2fff000, 0x3000000 };
	assert_int_equal(bzimage_choose_load_addr(&info, map, TEST_MAP_COUNT, avoid, 1, &load),
			 -ENOMEM);
	expect_msg("bzimage: the kernel is not relocatable and [0x1000000, 0x3000000) "
		   "(pref_address + init_size) is not free RAM");
	free(avoid);
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static int cmdline(const char *mod, const char *hv, char *out, size_t size)
{
	char *m = mod ? strdup(mod) : NULL, *h = hv ? strdup(hv) : NULL; /* exact size */
	int ret;

	assert_true((m || !mod) && (h || !hv));
	log_capture_reset();
	ret = bzimage_build_cmdline(m, h, out, size);
	free(m);
	free(h);
	return ret;
}

static void test_build_cmdline(void **state)
{
	char out[64];
	char *small, *mod, *hv, *long_out;

	(void)state;
	assert_int_equal(
	    cmdline("console=ttyS0 quiet", "uart=port@0x2f8 root=/dev/sda1 ro", out, sizeof(out)),
	    53);
	assert_string_equal(out, "console=ttyS0 quiet uart=port@0x2f8 root=/dev/sda1 ro");
	assert_int_equal(cmdline("", "root=/dev/sda1", out, sizeof(out)), 14);
	assert_string_equal(out, "root=/dev/sda1");
	assert_int_equal(cmdline("init=/init", NULL, out, sizeof(out)), 10);
	assert_string_equal(out, "init=/init");
	assert_int_equal(cmdline(NULL, NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* Blanks and line ends that tools leave at either end. */
	assert_int_equal(cmdline(" \tinit=/init\r\n", "\n root=/dev/vda \t", out, sizeof(out)), 24);
	assert_string_equal(out, "init=/init root=/dev/vda");
	assert_int_equal(cmdline(" \r\n", "  ", out, sizeof(out)), 0);
	assert_string_equal(out, "");

	/* Exactly fits: 7 + 1 + 7 characters in 16 bytes; one more does not. */
	small = malloc(16);
	assert_non_null(small);
	assert_int_equal(cmdline("aaaaaaa", "bbbbbbb", small, 16), 15);
	assert_string_equal(small, "aaaaaaa bbbbbbb");
	assert_int_equal(cmdline("aaaaaaaa", "bbbbbbb", small, 16), -E2BIG);
	assert_string_equal(small, "");
	expect_msg("bzimage: the Service VM command line would be 16 characters (8 from the "
		   "kernel module, 7 from the hypervisor command line); at most 15 fit");
	assert_int_equal(cmdline("a", NULL, small, 1), -E2BIG);
	free(small);
	assert_int_equal(bzimage_build_cmdline("a", "b", NULL, 16), -EINVAL);
	assert_int_equal(bzimage_build_cmdline("a", "b", out, 0), -EINVAL);

	/* 1000 + 1 + 1047 = 2048: one past what a 2048-byte buffer holds. */
	mod = repeat('m', 1000);
	hv = repeat('h', 1047);
	long_out = malloc(2048);
	assert_non_null(long_out);
	assert_int_equal(bzimage_build_cmdline(mod, hv, long_out, 2048), -E2BIG);
	hv[1046] = '\0';
	assert_int_equal(bzimage_build_cmdline(mod, hv, long_out, 2048), 2047);
	assert_int_equal(long_out[1000], ' ');
	assert_int_equal(long_out[2046], 'h');
	free(mod);
	free(hv);
	free(long_out);
}

/* Standard parameters: kernel at 16 MiB, command line and zero page low. */
static struct bzimage_boot_params params(const struct e820_entry *e820, uint32_t count,
					 const char *cmd)
{
	return (struct bzimage_boot_params){
		.load_addr = 0x1000000,
		.cmdline_gpa = 0x9a000,
		.cmdline = cmd,
		.initrd_gpa = 0x7000000,
		.initrd_size = 0x123456,
		.e820 = e820,
		.e820_count = count,
		.acpi_rsdp_gpa = 0xf5a40,
	};
}

struct field {
	uint32_t off, len;
	uint64_t want;
};

/*
 * Fields the loader writes, whatever the image held there (loadflags:
 * LOADED_HIGH | QUIET, no CAN_USE_HEAP), and those outside the setup header
 * (boot.rst, zero-page.rst). The sentinel must be 0, or Linux distrusts the
 * fields. The rest of the header must be the image's, byte for byte.
 */
static const struct field layout_fields[] = {
	{ OFF_TYPE_OF_LOADER, 1, 0xff },    { OFF_LOADFLAGS, 1, 0x21 },
	{ OFF_CODE32_START, 4, 0x1000000 }, { OFF_RAMDISK_IMAGE, 4, 0x7000000 },
	{ OFF_RAMDISK_SIZE, 4, 0x123456 },  { OFF_CMD_LINE_PTR, 4, 0x9a000 },
	{ OFF_REALMODE_SWTCH, 4, 0 },	    { OFF_HEAP_END_PTR, 2, 0 },
	{ OFF_EXT_LOADER_VER, 1, 0 },	    { OFF_EXT_LOADER_TYPE, 1, 0 },
	{ OFF_HW_SUBARCH, 4, 0 },	    { OFF_HW_SUBARCH_DATA, 8, 0 },
	{ OFF_SETUP_DATA, 8, 0 },	    { OFF_ACPI_RSDP, 8, 0xf5a40 },
	{ OFF_EXT_RAMDISK_IMG, 4, 0 },	    { OFF_EXT_RAMDISK_SIZE, 4, 0 },
	{ OFF_EXT_CMD_LINE_PTR, 4, 0 },	    { OFF_SENTINEL, 1, 0 },
	{ OFF_E820_ENTRIES, 1, 7 },
};

static void test_zero_page_layout(void **state)
{
	uint8_t *img = make_image();
	struct bzimage_info info;
	struct bzimage_boot_params p = params(map, TEST_MAP_COUNT, "console=ttyS0");
	uint8_t checked[4096] = { 0 };

	(void)state;
	/* Leftovers a hostile image could carry in loader-owned fields. */
	patch(img, OFF_REALMODE_SWTCH, 4, 0xdeadbeef);
	patch(img, OFF_EXT_LOADER_VER, 2, 0x3412);
	patch(img, OFF_HW_SUBARCH, 4, 2);
	patch(img, OFF_HW_SUBARCH_DATA, 8, 0x1111222233334444ull);
	patch(img, OFF_SETUP_DATA, 8, 0x5555666677778888ull);
	patch(img, OFF_RAMDISK_IMAGE, 4, 0xabcdef);
	img[OFF_LOADFLAGS] = 0x81; /* CAN_USE_HEAP left set */
	assert_int_equal(parse(img, IMAGE_SIZE, &info), 0);
	memset(zp, 0xcc, 4096);
	assert_int_equal(bzimage_build_zero_page(&info, &p, zp, 4096), 0);
	assert_int_equal(log_capture_count(LOG_ERROR), 0);

	assert_int_equal(TEST_MAP_COUNT, 7);
	for (size_t k = 0; k < sizeof(layout_fields) / sizeof(layout_fields[0]); k++) {
		const struct field *f = &layout_fields[k];

		if (get(zp, f->off, f->len) != f->want)
			fail_msg("zero page field at %#x is %#llx, want %#llx", f->off,
				 (unsigned long long)get(zp, f->off, f->len),
				 (unsigned long long)f->want);
		memset(checked + f->off, 1, f->len);
	}
	for (uint32_t i = 0; i < TEST_MAP_COUNT; i++) {
		const uint32_t e = OFF_E820_TABLE + 20 * i;

		assert_int_equal(get(zp, e, 8), test_map[i].addr);
		assert_int_equal(get(zp, e + 8, 8), test_map[i].size);
		assert_int_equal(get(zp, e + 16, 4), test_map[i].type);
		memset(checked + e, 1, 20);
	}
	/* Every other byte: as in the image inside the setup header, zero elsewhere. */
	for (uint32_t off = 0; off < 4096; off++) {
		uint8_t want = off >= 0x1f1 && off < 0x26c ? img[off] : 0;

		if (!checked[off] && zp[off] != want)
			fail_msg("zero page byte %#x is %#x, want %#x", off, zp[off], want);
	}
	free(img);
}

static void test_zero_page_above_4g(void **state)
{
	struct bzimage_info info;
	struct bzimage_boot_params p = params(map, TEST_MAP_COUNT, "quiet");

	(void)state;
	parsed(&info, NULL);
	p.initrd_gpa = 0x1c0000000ull;
	p.initrd_size = 0x123456789ull; /* more than 4 GiB, to see ext_ramdisk_size */
	p.cmdline_gpa = 0x1fffff000ull;
	p.load_addr = 0x100000000ull;
	log_capture_reset();
	assert_int_equal(bzimage_build_zero_page(&info, &p, zp, 4096), 0);
	assert_int_equal(get(zp, OFF_RAMDISK_IMAGE, 4), 0xc0000000u);
	assert_int_equal(get(zp, OFF_EXT_RAMDISK_IMG, 4), 0x1);
	assert_int_equal(get(zp, OFF_RAMDISK_SIZE, 4), 0x23456789u);
	assert_int_equal(get(zp, OFF_EXT_RAMDISK_SIZE, 4), 0x1);
	assert_int_equal(get(zp, OFF_CMD_LINE_PTR, 4), 0xfffff000u);
	assert_int_equal(get(zp, OFF_EXT_CMD_LINE_PTR, 4), 0x1);
	/* code32_start cannot say it: left as the image had it. */
	assert_int_equal(get(zp, OFF_CODE32_START, 4), 0x100000);

	/* The same for a kernel that cannot reach above 4 GiB. */
	parsed(&info, below_4g_only);
	log_capture_reset();
	assert_int_equal(bzimage_build_zero_page(&info, &p, zp, 4096), -ERANGE);
	expect_msg("bzimage: the command line at 0x1fffff000 is out of the kernel's reach (above "
		   "4 GiB, xloadflags 0x1)");
	p.cmdline_gpa = 0xfffff000ull; /* well below 4 GiB: now the initrd is too high */
	log_capture_reset();
	assert_int_equal(bzimage_build_zero_page(&info, &p, zp, 4096), -ERANGE);
	expect_msg("bzimage: initrd at [0x1c0000000, 0x2e3456789) ends above initrd_addr_max "
		   "0x7fffffff");
	p.initrd_gpa = 0x7000000;
	p.initrd_size = 0x1000;
	log_capture_reset();
	assert_int_equal(bzimage_build_zero_page(&info, &p, zp, 4096), -ERANGE);
	expect_msg("would end above 4 GiB");
	p.load_addr = 0x1000000;
	assert_int_equal(bzimage_build_zero_page(&info, &p, zp, 4096), 0);
	/* "quiet" and its NUL as the last bytes below 4 GiB; then one byte higher. */
	p.cmdline_gpa = 0x100000000ull - 6;
	assert_int_equal(bzimage_build_zero_page(&info, &p, zp, 4096), 0);
	p.cmdline_gpa = 0x100000000ull - 5;
	assert_int_equal(bzimage_build_zero_page(&info, &p, zp, 4096), -ERANGE);
}

static void test_zero_page_e820(void **state)
{
	struct e820_entry *big = malloc(129 * sizeof(*big));
	struct bzimage_info info;
	struct bzimage_boot_params p;

	(void)state;
	assert_non_null(big);
	for (uint32_t i = 0; i < 129; i++)
		big[i] = (struct e820_entry){ i * 0x1000000ull, 0x1000000,
					      i % 2 ? E820_TYPE_NVS : E820_TYPE_RAM };
	big[1].type = E820_TYPE_RAM; /* 16..32 MiB RAM for the kernel's init_size */
	big[2].type = E820_TYPE_RAM;
	parsed(&info, NULL);
	p = params(big, 128, "");
	p.initrd_size = 0;
	p.initrd_gpa = 0;
	log_capture_reset();
	assert_int_equal(bzimage_build_zero_page(&info, &p, zp, 4096), 0);
	assert_int_equal(zp[OFF_E820_ENTRIES], 128);
	assert_int_equal(get(zp, OFF_E820_TABLE + 127 * 20, 8), 127 * 0x1000000ull);
	assert_int_equal(get(zp, OFF_E820_TABLE + 127 * 20 + 16, 4), E820_TYPE_NVS);
	assert_int_equal(get(zp, OFF_RAMDISK_IMAGE, 4), 0);
	assert_int_equal(get(zp, OFF_RAMDISK_SIZE, 4), 0);
	/* The table ends at 0xcd0, below eddbuf at 0xd00, which stays zero. */
	for (uint32_t off = 0xcd0; off < 4096; off++)
		assert_int_equal(zp[off], 0);

	p.e820_count = 129;
	assert_int_equal(bzimage_build_zero_page(&info, &p, zp, 4096), -ENOSPC);
	expect_msg("bzimage: the Service VM e820 has 129 entries, the zero page holds 128");

	/* The kernel's place must be RAM in the map it gets. */
	p.e820_count = 2;
	assert_int_equal(bzimage_build_zero_page(&info, &p, zp, 4096), -ERANGE);
	expect_msg("is not all RAM in the Service VM map");
	free(big);
}

static void test_zero_page_args(void **state)
{
	uint8_t buf[4097];
	char *line;
	struct bzimage_info info, empty;
	struct bzimage_boot_params p = params(map, TEST_MAP_COUNT, "x");

	(void)state;
	parsed(&info, NULL);
	memset(&empty, 0, sizeof(empty));
	log_capture_reset();
	assert_int_equal(bzimage_build_zero_page(&info, &p, buf, 4095), -EINVAL);
	expect_msg("bzimage: bad arguments for the zero page (buffer 4095 bytes");
	assert_int_equal(bzimage_build_zero_page(NULL, &p, buf, 4096), -EINVAL);
	assert_int_equal(bzimage_build_zero_page(&info, NULL, buf, 4096), -EINVAL);
	assert_int_equal(bzimage_build_zero_page(&info, &p, NULL, 4096), -EINVAL);
	assert_int_equal(bzimage_build_zero_page(&empty, &p, buf, 4096), -EINVAL);
	p.cmdline_gpa = 0;
	assert_int_equal(bzimage_build_zero_page(&info, &p, buf, 4096), -EINVAL);
	p.cmdline_gpa = 0x9a000;
	p.e820 = NULL;
	assert_int_equal(bzimage_build_zero_page(&info, &p, buf, 4096), -EINVAL);
	/* A larger buffer: only the first 4096 bytes are written. */
	p.e820 = map;
	buf[4096] = 0x77;
	assert_int_equal(bzimage_build_zero_page(&info, &p, buf, sizeof(buf)), 0);
	assert_int_equal(buf[4096], 0x77);

	/* The command line against cmdline_size (2047), in exactly-sized buffers. */
	p.cmdline = line = repeat('x', 2047);
	assert_int_equal(bzimage_build_zero_page(&info, &p, zp, 4096), 0);
	free(line);
	p.cmdline = line = repeat('x', 2048);
	assert_int_equal(bzimage_build_zero_page(&info, &p, zp, 4096), -E2BIG);
	expect_msg("bzimage: the Service VM command line is 2048 characters, the kernel takes at "
		   "most 2047 (cmdline_size)");
	free(line);
	/* No command line at all: an empty one, still pointed at. */
	p.cmdline = NULL;
	assert_int_equal(bzimage_build_zero_page(&info, &p, zp, 4096), 0);
	assert_int_equal(get(zp, OFF_CMD_LINE_PTR, 4), 0x9a000);
}

/* The real thing, when the machine-test harness has cached Debian's kernel. */
static void test_debian_kernel(void **state)
{
	glob_t g;
	FILE *f;
	long size;
	uint8_t *img;
	struct bzimage_info info;
	uint64_t load;

	(void)state;
	if (glob("/var/cache/acrn-tests/kernel/*/boot/vmlinuz-*", 0, NULL, &g) != 0)
		skip();
	f = fopen(g.gl_pathv[0], "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size > 0);
	rewind(f);
	img = malloc((size_t)size);
	assert_non_null(img);
	assert_int_equal(fread(img, 1, (size_t)size, f), (size_t)size);
	fclose(f);

	assert_int_equal(parse(img, (size_t)size, &info), 0);
	print_message("# %s: protocol %u.%02u, setup_sects %u, init_size %#x, cmdline_size %u\n",
		      g.gl_pathv[0], info.version >> 8, info.version & 0xff, info.setup_sects,
		      info.init_size, info.cmdline_size);
	assert_true(info.version >= 0x020f && bzimage_has_entry64(&info) && info.relocatable);
	assert_true(info.cmdline_size >= 255 && info.kernel_size > 1000000);
	assert_int_equal(bzimage_choose_load_addr(&info, map, TEST_MAP_COUNT, NULL, 0, &load), 0);
	assert_true(load >= 0x1000000);
	assert_int_equal(bzimage_check_load_addr(&info, map, TEST_MAP_COUNT, load), 0);
	struct bzimage_boot_params p = params(map, TEST_MAP_COUNT, "console=ttyS0");
	p.load_addr = load;
	assert_int_equal(bzimage_build_zero_page(&info, &p, zp, 4096), 0);
	assert_memory_equal(zp + 0x1f1, img + 0x1f1, 0x210 - 0x1f1);
	free(img);
	globfree(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_debian_like),
		cmocka_unit_test(test_parse_rejections),
		cmocka_unit_test(test_parse_small_and_null),
		cmocka_unit_test(test_parse_fuzz),
		cmocka_unit_test(test_load_and_initrd_address),
		cmocka_unit_test(test_choose_load_address),
		cmocka_unit_test(test_build_cmdline),
		cmocka_unit_test(test_zero_page_layout),
		cmocka_unit_test(test_zero_page_above_4g),
		cmocka_unit_test(test_zero_page_e820),
		cmocka_unit_test(test_zero_page_args),
		cmocka_unit_test(test_debian_kernel),
	};
	return cmocka_run_group_tests_name("bzimage", tests, group_setup, group_teardown);
}
