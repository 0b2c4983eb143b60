/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The \_S5_ search: directly on AML byte strings (each copied into an
 * exact-size heap buffer so ASan catches over-reads), then through
 * acpi_parse with the DSDT and SSDTs of fake firmware, then a fuzz run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/acpi.h"
#include "core/acpi_internal.h"
#include "debug/log.h"
#include "lib/errno.h"
#include "tests/acpi_fw.h"
#include "tests/log_capture.h"

#define S5 0x5F, 0x53, 0x35, 0x5F /* "_S5_" */

struct s5_case {
	const char *what;
	uint8_t aml[40];
	size_t len;
	int ret;
	uint8_t a, b;
};

#define CASE(what, ret, a, b, ...)                                                                 \
	{                                                                                          \
		what, { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }), ret, a, b               \
	}

static const struct s5_case good_cases[] = {
	CASE("no root prefix", 0, 3, 4, 0x08, S5, 0x12, 0x06, 0x02, 0x0A, 0x03, 0x0A, 0x04),
	CASE("word and dword", 0, 5, 7, 0x08, 0x5C, S5, 0x12, 0x0A, 0x02, 0x0B, 0x05, 0x00, 0x0C,
	     0x07, 0x00, 0x00, 0x00),
	CASE("ZeroOp OneOp", 0, 0, 1, 0xA3, 0x08, S5, 0x12, 0x04, 0x02, 0x00, 0x01),
	CASE("one element", 0, 7, 7, 0x08, S5, 0x12, 0x04, 0x01, 0x0A, 0x07),
	CASE("second not a constant", 0, 5, 5, 0x08, S5, 0x12, 0x08, 0x02, 0x0A, 0x05, 0x41, 0x42,
	     0x43, 0x44),
	CASE("2-byte PkgLength", 0, 2, 3, 0x08, S5, 0x12, 0x49, 0x00, 0x04, 0x0A, 0x02, 0x0A, 0x03,
	     0x00, 0x00),
	CASE("2-byte PkgLength, padded", 0, 1, 1, 0x08, S5, 0x12, 0x44, 0x01, 0x04, 0x0A, 0x01,
	     0x0A, 0x01, 0x00, 0x00, 0xA3, 0xA3, 0xA3, 0xA3, 0xA3, 0xA3, 0xA3, 0xA3, 0xA3, 0xA3,
	     0xA3),
	CASE("integer named _S5_ first", 0, 6, 6, 0x08, S5, 0x0A, 0x05, 0x08, S5, 0x12, 0x04, 0x01,
	     0x0A, 0x06),
	CASE("malformed then good", 0, 4, 4, 0x08, S5, 0x12, 0x02, 0x00, 0x08, S5, 0x12, 0x04, 0x01,
	     0x0A, 0x04),
};

static const struct s5_case bad_cases[] = {
	CASE("OnesOp", -EINVAL, 0, 0, 0x08, S5, 0x12, 0x03, 0x01, 0xFF),
	CASE("value above 7", -EINVAL, 0, 0, 0x08, S5, 0x12, 0x04, 0x01, 0x0A, 0x08),
	CASE("NumElements 0", -EINVAL, 0, 0, 0x08, S5, 0x12, 0x02, 0x00),
	CASE("first not a constant", -EINVAL, 0, 0, 0x08, S5, 0x12, 0x06, 0x02, 0x41, 0x42, 0x43,
	     0x44),
	CASE("PkgLength reserved bits", -EINVAL, 0, 0, 0x08, S5, 0x12, 0x70, 0x00, 0x02, 0x0A, 0x05,
	     0x0A, 0x05),
	CASE("PkgLength past the end", -EINVAL, 0, 0, 0x08, S5, 0x12, 0x10, 0x02, 0x0A, 0x05),
	CASE("element past the package", -EINVAL, 0, 0, 0x08, S5, 0x12, 0x03, 0x02, 0x0A, 0x05),
	CASE("no room for NumElements", -EINVAL, 0, 0, 0x08, S5, 0x12, 0x01, 0x02, 0x0A, 0x05),
	CASE("second element cut", -EINVAL, 0, 0, 0x08, S5, 0x12, 0x05, 0x02, 0x0A, 0x05, 0x0B,
	     0x01),
	CASE("name cut at the end", -EINVAL, 0, 0, 0xA3, 0x08, S5),
	CASE("no NameOp", -ENOENT, 0, 0, S5, 0x12, 0x04, 0x01, 0x0A, 0x05),
	CASE("other name", -ENOENT, 0, 0, 0x08, 0x5F, 0x53, 0x34, 0x5F, 0x12, 0x04, 0x01, 0x0A,
	     0x05),
	CASE("just a NameOp", -ENOENT, 0, 0, 0x08),
};

/* Runs the search on an exact-size heap copy of the first len bytes. */
static int find_s5(const uint8_t *aml, size_t len, uint8_t *a, uint8_t *b)
{
	uint8_t *copy = malloc(len ? len : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, aml, len);
	ret = acpi_aml_find_s5(copy, len, "DSDT", a, b);
	free(copy);
	return ret;
}

static void run_cases(const struct s5_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t a = 0xEE, b = 0xEE;
		int ret;

		log_capture_reset();
		ret = find_s5(cases[i].aml, cases[i].len, &a, &b);
		if (ret != cases[i].ret)
			fail_msg("%s: returned %d, expected %d", cases[i].what, ret, cases[i].ret);
		if (ret == 0 && (a != cases[i].a || b != cases[i].b))
			fail_msg("%s: SLP_TYP %u/%u, expected %u/%u", cases[i].what, a, b,
				 cases[i].a, cases[i].b);
		/* One message per malformed package, none when there is nothing to report. */
		if (ret == -ENOENT)
			assert_int_equal(log_capture_count(LOG_WARNING), 0);
		if (ret == -EINVAL)
			assert_int_equal(log_capture_count(LOG_WARNING), 1);
	}
}

static void test_s5_good(void **state)
{
	(void)state;
	run_cases(good_cases, sizeof(good_cases) / sizeof(good_cases[0]));
	fw_assert_logged("acpi: DSDT: \\_S5_ package at AML offset 6 has NumElements 0");
}

static void test_s5_bad(void **state)
{
	(void)state;
	run_cases(bad_cases, sizeof(bad_cases) / sizeof(bad_cases[0]));
	log_capture_reset();
	assert_int_equal(
	    find_s5(bad_cases[0].aml, bad_cases[0].len, &(uint8_t){ 0 }, &(uint8_t){ 0 }), -EINVAL);
	fw_assert_logged("SLP_TYP 0xffffffff/0xffffffff does not fit");
	assert_int_equal(acpi_aml_find_s5(NULL, 0, "DSDT", &(uint8_t){ 0 }, &(uint8_t){ 0 }),
			 -ENOENT);
}

/* Every well-formed package cut at every byte: not found, at most one message, no over-read. */
static void test_s5_truncated_everywhere(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
		for (size_t cut = 0; cut < good_cases[i].len; cut++) {
			uint8_t a, b;
			int ret;

			log_capture_reset();
			ret = find_s5(good_cases[i].aml, cut, &a, &b);
			if (ret == 0)
				fail_msg("%s cut at %zu: found", good_cases[i].what, cut);
			assert_true(log_capture_count(LOG_WARNING) <= 1 || i == 8);
		}
	}
	/* The same for the sample AML. */
	for (size_t cut = 0; cut < FW_S5_AML_LEN; cut++) {
		uint8_t a, b;
		int ret = find_s5(fw_s5_aml, cut, &a, &b);

		assert_true(cut >= FW_S5_NAME_OFF + FW_S5_NAME_LEN ? ret == 0 : ret != 0);
	}
}

static void test_s5_dsdt_wins_over_ssdt(void **state)
{
	uint64_t entries[] = { SSDT_ADDR, FADT_ADDR, MADT_ADDR };
	static const uint8_t ssdt[] = { 0x08, S5, 0x12, 0x04, 0x01, 0x0A, 0x07 };

	(void)state;
	fw_build(false);
	fw_region_drop(RSDT_ADDR);
	fw_put_root(RSDT_ADDR, false, entries, 3);
	fw_put_aml_table(SSDT_ADDR, "SSDT", ssdt, sizeof(ssdt));
	assert_int_equal(fw_parse(), 0);
	fw_assert_quiet();
	assert_true(fw_info.has_s5);
	assert_int_equal(fw_info.s5_slp_typ_a, 5);
	assert_int_equal(fw_info.s5_slp_typ_b, 6);
}

static void test_s5_malformed_in_dsdt(void **state)
{
	(void)state;
	fw_build(false);
	fw_region_drop(DSDT_ADDR);
	fw_put_aml_table(DSDT_ADDR, "DSDT", bad_cases[1].aml, bad_cases[1].len);
	assert_int_equal(fw_parse(), 0);
	assert_false(fw_info.has_s5);
	fw_assert_logged(
	    "acpi: DSDT at 0x7ff04000: \\_S5_ package at AML offset 6: SLP_TYP 0x8/0x8");
	assert_int_equal(log_capture_count(LOG_WARNING), 1);
}

/* ---- through acpi_parse ------------------------------------------------------ */

static void test_s5_from_ssdt(void **state)
{
	uint64_t entries[] = { FADT_ADDR, MADT_ADDR, SSDT_ADDR };
	static const uint8_t nothing[] = { 0xA3, 0xA3 };

	(void)state;
	fw_build(false);
	fw_region_drop(DSDT_ADDR);
	fw_put_aml_table(DSDT_ADDR, "DSDT", nothing, sizeof(nothing));
	fw_region_drop(RSDT_ADDR);
	fw_put_root(RSDT_ADDR, false, entries, 3);
	fw_put_aml_table(SSDT_ADDR, "SSDT", fw_s5_aml + FW_S5_NAME_OFF, FW_S5_NAME_LEN);
	assert_int_equal(fw_parse(), 0);
	fw_assert_quiet();
	assert_true(fw_info.has_s5);
	assert_int_equal(fw_info.s5_slp_typ_a, 5);
	assert_int_equal(fw_info.s5_slp_typ_b, 6);
}

static void test_dsdt_bad_or_missing(void **state)
{
	(void)state;
	fw_build(false);
	fw_region_at(DSDT_ADDR)->data[40] ^= 1;
	assert_int_equal(fw_parse(), 0);
	assert_false(fw_info.has_s5);
	fw_assert_logged("DSDT at 0x7ff04000: checksum mismatch");
	fw_assert_logged("no \\_S5_ package");

	fw_setup(NULL);
	fw_build(false);
	fw_region_drop(DSDT_ADDR);
	assert_int_equal(fw_parse(), 0);
	assert_false(fw_info.has_s5);
	fw_assert_logged("DSDT at 0x7ff04000: the 36-byte header is not readable");
}

/* The DSDT cut at every length (checksum kept valid): never a bad read, never a bogus _S5_. */
static void test_s5_truncated_dsdt(void **state)
{
	(void)state;
	for (size_t cut = 0; cut < FW_S5_NAME_OFF + FW_S5_NAME_LEN; cut++) {
		fw_setup(NULL);
		fw_build(false);
		fw_region_drop(DSDT_ADDR);
		fw_put_aml_table(DSDT_ADDR, "DSDT", fw_s5_aml, cut);
		assert_int_equal(fw_parse(), 0);
		assert_false(fw_info.has_s5);
	}
}

/* Random MADTs, FADT lengths and AML: the sanitizers are the assertion. */
static void test_fuzz(void **state)
{
	uint64_t x = 0x9E3779B97F4A7C15ull;

	(void)state;
	for (int iter = 0; iter < 1500; iter++) {
		struct fw_tbl t;
		struct fw_region *fadt;
		size_t n;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		fw_setup(NULL);
		fw_build(iter & 1);
		fw_madt_begin(&t, 0xFEE00000, 0);
		n = x % 200;
		for (size_t i = 0; i < n; i++) {
			uint8_t b;

			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			b = (uint8_t)x;
			if (i % 8 == 0)
				b = (uint8_t)(x % 10);
			else if (i % 8 == 1)
				b = (uint8_t)(x % 20);
			fw_tbl_add(&t, &b, 1);
		}
		fw_region_drop(MADT_ADDR);
		fw_tbl_place(&t, MADT_ADDR);
		fw_tbl_begin(&t, "DSDT", 2);
		fw_tbl_add(&t, fw_s5_aml + FW_S5_NAME_OFF, 7);
		for (size_t i = 0; i < x % 12; i++) {
			uint8_t b = (uint8_t)(x >> (i * 5));

			fw_tbl_add(&t, &b, 1);
		}
		fw_region_drop(DSDT_ADDR);
		fw_tbl_place(&t, DSDT_ADDR);
		/* The FADT shrunk to a random length of at least a header. */
		fadt = fw_region_at(FADT_ADDR);
		fadt->len = 36 + x % (fadt->len - 35);
		fw_put32(fadt->data + 4, (uint32_t)fadt->len);
		fw_tbl_refix(FADT_ADDR);
		assert_int_equal(fw_parse(), 0);
		assert_true(fw_info.cpu_count <= ACPI_MAX_CPUS);
		if (fw_info.has_s5)
			assert_true(fw_info.s5_slp_typ_a <= 7 && fw_info.s5_slp_typ_b <= 7);
	}
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fw_setup, fw_teardown)
	const struct CMUnitTest tests[] = {
		T(test_s5_good),
		T(test_s5_bad),
		T(test_s5_truncated_everywhere),
		T(test_s5_dsdt_wins_over_ssdt),
		T(test_s5_malformed_in_dsdt),
		T(test_s5_from_ssdt),
		T(test_dsdt_bad_or_missing),
		T(test_s5_truncated_dsdt),
		T(test_fuzz),
	};
#undef T
	return cmocka_run_group_tests_name("acpi_aml", tests, NULL, NULL);
}
