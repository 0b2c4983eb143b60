/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hypervisor command line parser. Every line is parsed from an exactly-sized
 * heap copy so that ASan catches reads past its NUL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/cmdline.h"
#include "debug/log.h"
#include "tests/log_capture.h"

static struct hv_options opts;

static void parse(const char *line)
{
	char *copy = line ? strdup(line) : NULL;

	if (line)
		assert_non_null(copy);
	memset(&opts, 0x5a, sizeof(opts)); /* cmdline_parse must start from defaults */
	log_capture_reset();
	cmdline_parse(copy, &opts);
	free(copy);
}

static void expect_msg(const char *text)
{
	if (!log_capture_contains(text)) {
		log_capture_dump();
		fail_msg("missing message '%s'", text);
	}
}

static void assert_default_uart(void)
{
	assert_int_equal(opts.uart_kind, UART_KIND_PORT);
	assert_int_equal(opts.uart_base, 0x3f8);
}

/* A string of n copies of c after prefix, in an exactly-sized heap buffer. */
static char *make_long(const char *prefix, char c, size_t n, const char *suffix)
{
	size_t plen = strlen(prefix), slen = strlen(suffix);
	char *s = malloc(plen + n + slen + 1);

	assert_non_null(s);
	memcpy(s, prefix, plen);
	memset(s + plen, c, n);
	memcpy(s + plen + n, suffix, slen + 1);
	return s;
}

static void test_defaults(void **state)
{
	(void)state;
	memset(&opts, 0x5a, sizeof(opts));
	cmdline_defaults(&opts);
	assert_default_uart();
	assert_int_equal(opts.loglevel, LOG_LEVEL_DEFAULT);
	assert_false(opts.has_shell_cmds);
	assert_string_equal(opts.shell_cmds, "");
	assert_int_equal(opts.unknown_count, 0);
	assert_int_equal(opts.error_count, 0);

	parse(NULL);
	assert_default_uart();
	assert_int_equal(opts.loglevel, LOG_LEVEL_DEFAULT);
	assert_false(opts.has_shell_cmds);
	assert_int_equal(opts.unknown_count + opts.error_count, 0);

	parse("");
	assert_default_uart();
	assert_int_equal(opts.unknown_count + opts.error_count, 0);

	parse(" \t\r\n ");
	assert_default_uart();
	assert_int_equal(opts.unknown_count + opts.error_count, 0);
	assert_int_equal(log_capture_count(LOG_INFO) + log_capture_count(LOG_ERROR), 0);

	/* NULL options: nothing to do, nothing to crash on. */
	cmdline_defaults(NULL);
	cmdline_parse("loglevel=1", NULL);
}

static void test_typical_line(void **state)
{
	(void)state;
	parse("root=UUID=1234-abcd ro quiet console=ttyS0,115200 uart=port@0x2f8 loglevel=5 "
	      "shell_cmds=\"vm_list; cpus\"");
	assert_int_equal(opts.uart_kind, UART_KIND_PORT);
	assert_int_equal(opts.uart_base, 0x2f8);
	assert_int_equal(opts.loglevel, 5);
	assert_true(opts.has_shell_cmds);
	assert_string_equal(opts.shell_cmds, "vm_list; cpus");
	assert_int_equal(opts.unknown_count, 4);
	assert_int_equal(opts.error_count, 0);
	assert_int_equal(log_capture_count(LOG_ERROR), 0);
	expect_msg("cmdline: 'root=UUID=1234-abcd' is not a hypervisor option; passed on to the "
		   "Service VM");
	expect_msg("cmdline: 'ro' is not a hypervisor option");
	expect_msg("cmdline: 'console=ttyS0,115200' is not a hypervisor option");
	assert_int_equal(log_capture_count(LOG_INFO), 4);
}

static void test_separators(void **state)
{
	(void)state;
	parse("\tloglevel=1\tuart=disabled\nquiet\r\n");
	assert_int_equal(opts.loglevel, 1);
	assert_int_equal(opts.uart_kind, UART_KIND_DISABLED);
	assert_int_equal(opts.unknown_count, 1);
	expect_msg("'quiet' is not a hypervisor option");
}

static void test_uart_good(void **state)
{
	(void)state;
	parse("uart=port@0x2F8");
	assert_int_equal(opts.uart_kind, UART_KIND_PORT);
	assert_int_equal(opts.uart_base, 0x2f8);
	parse("uart=port@1016");
	assert_int_equal(opts.uart_base, 1016);
	parse("uart=port@0xffff");
	assert_int_equal(opts.uart_base, 0xffff);
	parse("uart=port@1");
	assert_int_equal(opts.uart_base, 1);
	parse("uart=mmio@0xfe032000");
	assert_int_equal(opts.uart_kind, UART_KIND_MMIO);
	assert_int_equal(opts.uart_base, 0xfe032000);
	parse("uart=mmio@0xfffffffffffff"); /* 2^52 - 1 */
	assert_int_equal(opts.uart_kind, UART_KIND_MMIO);
	assert_int_equal(opts.uart_base, 0xfffffffffffffull);
	parse("uart=mmio@4096");
	assert_int_equal(opts.uart_base, 4096);
	parse("uart=disabled");
	assert_int_equal(opts.uart_kind, UART_KIND_DISABLED);
	assert_int_equal(opts.error_count, 0);
	/* The last good setting wins. */
	parse("uart=disabled uart=port@0x3e8");
	assert_int_equal(opts.uart_kind, UART_KIND_PORT);
	assert_int_equal(opts.uart_base, 0x3e8);
	assert_int_equal(opts.error_count + opts.unknown_count, 0);
	assert_int_equal(log_capture_count(LOG_ERROR), 0);
}

static void expect_uart_error(const char *line, const char *msg)
{
	parse(line);
	assert_default_uart();
	assert_int_equal(opts.error_count, 1);
	assert_int_equal(opts.unknown_count, 0);
	assert_int_equal(log_capture_count(LOG_ERROR), 1);
	expect_msg(msg);
}

static void test_uart_bad(void **state)
{
	(void)state;
	expect_uart_error("uart=port@0", "cmdline: bad value 'port@0' for uart: port '0' should be "
					 "a number 1..0xffff");
	expect_uart_error("uart=port@0x10000", "bad value 'port@0x10000' for uart");
	expect_uart_error("uart=port@0x3f8z", "port '0x3f8z' should be a number");
	expect_uart_error("uart=port@", "bad value 'port@' for uart");
	expect_uart_error("uart=port@0x", "port '0x' should be");
	expect_uart_error("uart=port@-1", "port '-1' should be");
	expect_uart_error("uart=port@+5", "port '+5' should be");
	expect_uart_error("uart=port@18446744073709551617", "port '18446744073709551617'");
	expect_uart_error("uart=mmio@0", "bad value 'mmio@0' for uart: MMIO address '0' should be "
					 "a nonzero number below 2^52");
	expect_uart_error("uart=mmio@0x10000000000000", "MMIO address '0x10000000000000'");
	expect_uart_error("uart=mmio@0x1ffffffffffffffff", "MMIO address '0x1ffffffffffffffff'");
	expect_uart_error("uart=mmio@18446744073709551616", "MMIO address '18446744073709551616'");
	expect_uart_error("uart=mmio@0xfe03g000", "MMIO address '0xfe03g000'");
	expect_uart_error("uart=bdf@0:18.2", "cmdline: uart=bdf@0:18.2 (PCI serial) is not "
					     "supported; use uart=port@ or uart=mmio@");
	expect_uart_error("uart=ttyS0", "cmdline: bad value 'ttyS0' for uart: expected "
					"port@<num>, mmio@<addr> or disabled");
	expect_uart_error("uart=", "bad value '' for uart");
	expect_uart_error("uart=Disabled", "bad value 'Disabled' for uart");
	expect_uart_error("uart", "cmdline: option 'uart' needs a value: expected uart=port@<num>");

	/* A bad value keeps the earlier good one. */
	parse("uart=mmio@0x1000 uart=port@0");
	assert_int_equal(opts.uart_kind, UART_KIND_MMIO);
	assert_int_equal(opts.uart_base, 0x1000);
	assert_int_equal(opts.error_count, 1);
}

static void test_apicv(void **state)
{
	(void)state;
	parse("");
	assert_int_equal(opts.apicv, APICV_ON);
	parse("apicv=off");
	assert_int_equal(opts.apicv, APICV_OFF);
	assert_int_equal(opts.error_count, 0);
	parse("apicv=novid");
	assert_int_equal(opts.apicv, APICV_NO_VID);
	parse("apicv=off apicv=vid");
	assert_int_equal(opts.apicv, APICV_FORCE_VID);
	parse("apicv=off apicv=on");
	assert_int_equal(opts.apicv, APICV_ON);
	parse("apicv=novid apicv=maybe");
	assert_int_equal(opts.apicv, APICV_NO_VID); /* a bad value keeps the setting before it */
	assert_int_equal(opts.error_count, 1);
	expect_msg("bad value 'maybe' for apicv: expected on, off, novid or vid");
}

static void test_module_tags(void **state)
{
	(void)state;
	parse("");
	assert_string_equal(opts.kernel_tag, "Linux_bzImage");
	assert_string_equal(opts.initrd_tag, "Linux_initrd");
	parse("kernel_tag=SOS_kernel initrd_tag=SOS_ramdisk");
	assert_string_equal(opts.kernel_tag, "SOS_kernel");
	assert_string_equal(opts.initrd_tag, "SOS_ramdisk");
	assert_int_equal(opts.error_count, 0);
	parse("kernel_tag=A kernel_tag= kernel_tag=0123456789012345678901234567890123");
	assert_string_equal(opts.kernel_tag, "A");
	assert_int_equal(opts.error_count, 2);
	expect_msg("bad value '' for kernel_tag");
	parse("initrd_tag=\"two words\"");
	assert_string_equal(opts.initrd_tag, "Linux_initrd");
	expect_msg("bad value 'two words' for initrd_tag");
}

static void test_loglevel(void **state)
{
	static const char *const bad[] = { "loglevel=8",
					   "loglevel=-1",
					   "loglevel=",
					   "loglevel=abc",
					   "loglevel=3x",
					   "loglevel=010",
					   "loglevel=99999999999999999999999" };

	(void)state;
	for (int level = 0; level <= 6; level++) {
		char line[32];

		snprintf(line, sizeof(line), "loglevel=%d", level);
		parse(line);
		assert_int_equal(opts.loglevel, level);
		assert_int_equal(opts.error_count, 0);
	}
	/* Linux's most verbose level, on the shared command line, is our most verbose. */
	parse("loglevel=7");
	assert_int_equal(opts.loglevel, LOG_LEVEL_MAX);
	assert_int_equal(opts.error_count, 0);
	parse("loglevel=0x3");
	assert_int_equal(opts.loglevel, 3);
	parse("loglevel=05");
	assert_int_equal(opts.loglevel, 5);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char msg[128];

		parse(bad[i]);
		assert_int_equal(opts.loglevel, LOG_LEVEL_DEFAULT);
		assert_int_equal(opts.error_count, 1);
		snprintf(msg, sizeof(msg),
			 "cmdline: bad value '%s' for loglevel: expected a number "
			 "0..7",
			 bad[i] + strlen("loglevel="));
		expect_msg(msg);
	}
	parse("loglevel");
	assert_int_equal(opts.error_count, 1);
	expect_msg("option 'loglevel' needs a value");

	/* Not ours: different spelling or a longer name. */
	parse("LOGLEVEL=3 loglevelx=3 log=3 uart_foo=1 uarts");
	assert_int_equal(opts.loglevel, LOG_LEVEL_DEFAULT);
	assert_default_uart();
	assert_int_equal(opts.unknown_count, 5);
	assert_int_equal(opts.error_count, 0);
}

static void test_shell_cmds(void **state)
{
	char *line;

	(void)state;
	parse("shell_cmds=vm_list");
	assert_true(opts.has_shell_cmds);
	assert_string_equal(opts.shell_cmds, "vm_list");

	parse("shell_cmds=");
	assert_true(opts.has_shell_cmds);
	assert_string_equal(opts.shell_cmds, "");

	/* Quotes group blanks anywhere in a token and are removed. */
	parse("shell_cmds=\"vm_console 0\";\"cpus\" x\"a b\"y");
	assert_string_equal(opts.shell_cmds, "vm_console 0;cpus");
	assert_int_equal(opts.unknown_count, 1);
	expect_msg("'xa by' is not a hypervisor option");

	/* Exactly the largest value that fits. */
	line = make_long("shell_cmds=", 'c', CMDLINE_SHELL_CMDS_MAX - 1, "");
	parse(line);
	free(line);
	assert_true(opts.has_shell_cmds);
	assert_int_equal(strlen(opts.shell_cmds), CMDLINE_SHELL_CMDS_MAX - 1);
	assert_int_equal(opts.error_count, 0);

	/* One more is rejected whole, the rest of the line still counts. */
	line = make_long("shell_cmds=", 'c', CMDLINE_SHELL_CMDS_MAX, " loglevel=2");
	parse(line);
	free(line);
	assert_false(opts.has_shell_cmds);
	assert_string_equal(opts.shell_cmds, "");
	assert_int_equal(opts.error_count, 1);
	assert_int_equal(opts.loglevel, 2);
	expect_msg("cmdline: bad value for shell_cmds: 1024 characters, at most 1023 fit; ignored");
}

/* GRUB turns the grub.cfg word 'shell_cmds=loglevel 5;cpus' into "shell_cmds=loglevel 5;cpus". */
static void test_grub_quoting(void **state)
{
	(void)state;
	parse("root=/dev/sda1 \"shell_cmds=loglevel 5; cpus\" quiet");
	assert_true(opts.has_shell_cmds);
	assert_string_equal(opts.shell_cmds, "loglevel 5; cpus");
	assert_int_equal(opts.unknown_count, 2);
	assert_int_equal(opts.error_count, 0);

	/* Backslash-escaped quotes and backslashes inside GRUB's quotes are literal. */
	parse("\"shell_cmds=a \\\"b\\\" \\\\c\"");
	assert_string_equal(opts.shell_cmds, "a \"b\" \\c");

	/* A lone backslash before anything else stays as it is. */
	parse("shell_cmds=x\\y");
	assert_string_equal(opts.shell_cmds, "x\\y");
}

static void test_unterminated_quote(void **state)
{
	(void)state;
	parse("loglevel=3 shell_cmds=\"vm_list; cpus");
	assert_int_equal(opts.loglevel, 3);
	assert_true(opts.has_shell_cmds);
	assert_string_equal(opts.shell_cmds, "vm_list; cpus");
	expect_msg("cmdline: unterminated quote in 'shell_cmds=vm_list; cpus'; taking the rest of "
		   "the line");
	assert_int_equal(log_capture_count(LOG_ERROR), 1);

	parse("quiet \"abc def  loglevel=1");
	assert_int_equal(opts.loglevel, LOG_LEVEL_DEFAULT); /* swallowed by the quote */
	assert_int_equal(opts.unknown_count, 2);
	expect_msg("'abc def  loglevel=1' is not a hypervisor option");
	expect_msg("unterminated quote in 'abc def  loglevel=1'");

	parse("\"");
	assert_int_equal(opts.unknown_count, 1);
	expect_msg("unterminated quote in ''");
}

static void test_long_tokens(void **state)
{
	char *line;

	(void)state;
	/* Longer than the token buffer: reported, skipped, the next token still parsed. */
	line = make_long("dyndbg=", 'x', 3000, " loglevel=2");
	parse(line);
	free(line);
	assert_int_equal(opts.loglevel, 2);
	assert_int_equal(opts.unknown_count, 1);
	assert_int_equal(opts.error_count, 0);
	expect_msg("cmdline: option 'dyndbg=xxxxxxxxxxxxxxxxxxxxxxxxx...' is longer than 2047 "
		   "characters; ignored");

	line = make_long("shell_cmds=", 'y', 3000, " uart=disabled");
	parse(line);
	free(line);
	assert_false(opts.has_shell_cmds);
	assert_int_equal(opts.uart_kind, UART_KIND_DISABLED);
	assert_int_equal(opts.error_count, 1);
	expect_msg("option 'shell_cmds=yyyyyyyyyyyyyyyyyyyyy...' is longer than 2047");

	/* Exactly the buffer: 2047 characters fit. */
	line = make_long("", 'z', 2047, "");
	parse(line);
	free(line);
	assert_int_equal(opts.unknown_count, 1);
	assert_int_equal(log_capture_count(LOG_ERROR), 0);

	/* A long quoted part counts towards the length and ends at the line end. */
	line = make_long("a\"", ' ', 2100, "\"");
	parse(line);
	free(line);
	assert_int_equal(opts.unknown_count, 1);
	expect_msg("is longer than 2047 characters");
	assert_int_equal(log_capture_count(LOG_ERROR), 1);
}

/* ---- cmdline_for_each_shell_cmd ------------------------------------------- */

struct collected {
	int n;
	char cmds[8][64];
};

static void collect(void *ctx, const char *cmd)
{
	struct collected *c = ctx;

	assert_true(c->n < 8);
	snprintf(c->cmds[c->n], sizeof(c->cmds[0]), "%s", cmd);
	c->n++;
}

static int split(const char *s, struct collected *c)
{
	char *copy = s ? strdup(s) : NULL;
	int n;

	memset(c, 0, sizeof(*c));
	log_capture_reset();
	n = cmdline_for_each_shell_cmd(copy, collect, c);
	free(copy);
	assert_int_equal(n, c->n);
	return n;
}

static void test_shell_cmd_split(void **state)
{
	struct collected c;
	char *s;

	(void)state;
	assert_int_equal(split("vm_list; cpus;;  ; vm_console 1 ;", &c), 3);
	assert_string_equal(c.cmds[0], "vm_list");
	assert_string_equal(c.cmds[1], "cpus");
	assert_string_equal(c.cmds[2], "vm_console 1");

	assert_int_equal(split("\t log_level 5 \t", &c), 1);
	assert_string_equal(c.cmds[0], "log_level 5");

	assert_int_equal(split("a;b", &c), 2);
	assert_string_equal(c.cmds[1], "b");

	assert_int_equal(split("", &c), 0);
	assert_int_equal(split(";;;", &c), 0);
	assert_int_equal(split(" ; \t ;", &c), 0);
	assert_int_equal(split(NULL, &c), 0);
	assert_int_equal(cmdline_for_each_shell_cmd("x;y;z", NULL, NULL), 3);

	/* A command too long for the buffer is skipped; its neighbours are not. */
	s = make_long("first;", 'q', CMDLINE_SHELL_CMDS_MAX, ";last");
	assert_int_equal(split(s, &c), 2);
	free(s);
	assert_string_equal(c.cmds[0], "first");
	assert_string_equal(c.cmds[1], "last");
	expect_msg("cmdline: shell command 'qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq...' is longer than "
		   "1023 characters; skipped");

	/* Output of cmdline_parse feeds straight in. */
	parse("shell_cmds=\"vm_list ; vm_console 0\"");
	assert_int_equal(split(opts.shell_cmds, &c), 2);
	assert_string_equal(c.cmds[1], "vm_console 0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),     cmocka_unit_test(test_typical_line),
		cmocka_unit_test(test_separators),   cmocka_unit_test(test_uart_good),
		cmocka_unit_test(test_uart_bad),     cmocka_unit_test(test_loglevel),
		cmocka_unit_test(test_apicv),	     cmocka_unit_test(test_module_tags),
		cmocka_unit_test(test_shell_cmds),   cmocka_unit_test(test_unterminated_quote),
		cmocka_unit_test(test_long_tokens),  cmocka_unit_test(test_shell_cmd_split),
		cmocka_unit_test(test_grub_quoting),
	};
	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
