/* SPDX-License-Identifier: BSD-3-Clause */
/* The formatted printer, checked against the C library's snprintf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/format.h"

/* Some cases below combine flags on purpose that the C standard says to ignore. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-overflow"

/* Formats with both printers and compares text and returned length. */
#define CHECK_SAME(...)                                                                            \
	do {                                                                                       \
		char ours[256], libc[256];                                                         \
		size_t n1 = format_buf(ours, sizeof(ours), __VA_ARGS__);                           \
		int n2 = snprintf(libc, sizeof(libc), __VA_ARGS__);                                \
		assert_string_equal(ours, libc);                                                   \
		assert_int_equal(n1, (size_t)n2);                                                  \
	} while (0)

static void test_integers(void **state)
{
	(void)state;
	CHECK_SAME("%d %i %u", 0, -1, 4000000000u);
	CHECK_SAME("%d", INT32_MIN);
	CHECK_SAME("%lld %llu", (long long)INT64_MIN, (unsigned long long)UINT64_MAX);
	CHECK_SAME("%ld %lu %zu %zd", -5L, 7UL, (size_t)123, (ptrdiff_t)-9);
	CHECK_SAME("%hhd %hhu %hd %hu", 300, 300, 70000, 70000);
	CHECK_SAME("%jd %td", (intmax_t)-42, (ptrdiff_t)42);
}

static void test_hex_octal(void **state)
{
	(void)state;
	CHECK_SAME("%x %X %o", 0xdeadbeefu, 0xdeadbeefu, 8u);
	CHECK_SAME("%#x %#X %#o %#x", 255u, 255u, 8u, 0u);
	CHECK_SAME("%016llx", 0x1234ULL);
	CHECK_SAME("%#010x", 0xabu);
	CHECK_SAME("%lx", ~0UL);
}

static void test_width_precision_flags(void **state)
{
	(void)state;
	CHECK_SAME("[%5d] [%-5d] [%05d] [%+d] [% d]", 42, 42, 42, 42, 42);
	CHECK_SAME("[%-05d]", -3);
	CHECK_SAME("[%.3d] [%8.3d] [%-8.3d] [%08.3d]", 7, 7, 7, 7);
	CHECK_SAME("[%.0d] [%.0x] [%5.0u]", 0, 0u, 0u);
	CHECK_SAME("[%*d] [%-*d] [%.*d]", 6, 1, 6, 1, 4, 1);
	CHECK_SAME("[%*d]", -6, 1);
	CHECK_SAME("[%+05d] [% 05d]", -12, 12);
}

static void test_strings_chars(void **state)
{
	(void)state;
	CHECK_SAME("[%s] [%10s] [%-10s] [%.2s] [%*.*s]", "abc", "abc", "abc", "abc", 6, 1, "xyz");
	CHECK_SAME("[%c] [%3c] [%-3c]", 'a', 'b', 'c');
	CHECK_SAME("100%%");
	CHECK_SAME("%s", "");
}

static void test_pointer(void **state)
{
	char buf[64];

	(void)state;
	format_buf(buf, sizeof(buf), "%p", (void *)0x1000);
	assert_string_equal(buf, "0x1000");
}

static void test_null_string(void **state)
{
	char buf[64];

	(void)state;
	format_buf(buf, sizeof(buf), "[%s]", (const char *)NULL);
	assert_string_equal(buf, "[(null)]");
}

static void test_truncation(void **state)
{
	char buf[8];
	size_t n;

	(void)state;
	memset(buf, 'X', sizeof(buf));
	n = format_buf(buf, sizeof(buf), "%s-%d", "hello", 12345);
	assert_int_equal(n, 11);
	assert_string_equal(buf, "hello-1");

	n = format_buf(buf, 1, "abc");
	assert_int_equal(n, 3);
	assert_string_equal(buf, "");

	/* size 0: nothing written, length still reported */
	buf[0] = 'Q';
	n = format_buf(buf, 0, "abc");
	assert_int_equal(n, 3);
	assert_int_equal(buf[0], 'Q');
}

static void test_unknown_conversion_visible(void **state)
{
	char buf[32];

	(void)state;
	/* Built at run time so the compiler's format checker does not object. */
	const char *fmt = "a%qb";
	format_buf(buf, sizeof(buf), fmt, 1);
	assert_string_equal(buf, "a%qb");
	fmt = "end%";
	format_buf(buf, sizeof(buf), fmt);
	assert_string_equal(buf, "end%");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_hex_octal),
		cmocka_unit_test(test_width_precision_flags),
		cmocka_unit_test(test_strings_chars),
		cmocka_unit_test(test_pointer),
		cmocka_unit_test(test_null_string),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_unknown_conversion_visible),
	};
	return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}
