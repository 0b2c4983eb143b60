/* SPDX-License-Identifier: BSD-3-Clause */
#include "core/cmdline.h"

#include <stddef.h>

#include "debug/log.h"
#include "lib/string.h"

/*
 * Longest token, quotes removed. It is larger than shell_cmds so that an
 * over-long shell_cmds value gets its own precise message, and equals the
 * Multiboot2 command line limit, so a line from the boot loader always fits.
 */
#define CMDLINE_TOKEN_MAX 2048
/* How much of an over-long token a message quotes. */
#define CMDLINE_QUOTE_MAX 32

#define UART_PORT_MAX	  0xffffu
#define UART_MMIO_LIMIT	  (1ull << 52) /* architectural maximum physical address width */
#define UART_DEFAULT_PORT 0x3f8u

static bool cmdline_is_separator(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool cmdline_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * Hex with a 0x/0X prefix, otherwise decimal (a leading 0 does not mean
 * octal: "010" is ten, as a user typing a log level would expect). The
 * whole string must be digits: no sign, no blanks, no trailing text.
 */
bool cmdline_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0, base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return false;
	for (; *s; s++) {
		uint64_t d;

		if (*s >= '0' && *s <= '9')
			d = (uint64_t)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (uint64_t)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (uint64_t)(*s - 'A' + 10);
		else
			return false;
		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

static bool cmdline_opt_uart(const char *value, struct hv_options *opts)
{
	uint64_t n;

	if (strcmp(value, "disabled") == 0) {
		opts->uart_kind = UART_KIND_DISABLED;
		opts->uart_base = 0;
		return true;
	}
	if (cmdline_starts_with(value, "port@")) {
		if (!cmdline_parse_u64(value + 5, &n) || n == 0 || n > UART_PORT_MAX) {
			pr_err("cmdline: bad value '%s' for uart: port '%s' should be a number "
			       "1..0xffff (0x-prefixed hex or decimal)",
			       value, value + 5);
			return false;
		}
		opts->uart_kind = UART_KIND_PORT;
		opts->uart_base = n;
		return true;
	}
	if (cmdline_starts_with(value, "mmio@")) {
		if (!cmdline_parse_u64(value + 5, &n) || n == 0 || n >= UART_MMIO_LIMIT) {
			pr_err("cmdline: bad value '%s' for uart: MMIO address '%s' should be a "
			       "nonzero number below 2^52 (0x-prefixed hex or decimal)",
			       value, value + 5);
			return false;
		}
		opts->uart_kind = UART_KIND_MMIO;
		opts->uart_base = n;
		return true;
	}
	if (cmdline_starts_with(value, "bdf@")) {
		pr_err("cmdline: uart=%s (PCI serial) is not supported; use uart=port@ or "
		       "uart=mmio@",
		       value);
		return false;
	}
	pr_err("cmdline: bad value '%s' for uart: expected port@<num>, mmio@<addr> or disabled",
	       value);
	return false;
}

static bool cmdline_opt_loglevel(const char *value, struct hv_options *opts)
{
	uint64_t n;

	/*
	 * Linux reads the same option (0..7) from this shared command line, so
	 * its most verbose level is accepted too and means our most verbose one.
	 */
	if (!cmdline_parse_u64(value, &n) || n > LOG_LEVEL_MAX + 1) {
		pr_err("cmdline: bad value '%s' for loglevel: expected a number 0..%d", value,
		       LOG_LEVEL_MAX + 1);
		return false;
	}
	opts->loglevel = n > LOG_LEVEL_MAX ? LOG_LEVEL_MAX : (int)n;
	return true;
}

static bool cmdline_opt_shell_cmds(const char *value, struct hv_options *opts)
{
	size_t len = strlen(value);

	/* A cut-off command list could run half a command: refuse it whole. */
	if (len >= sizeof(opts->shell_cmds)) {
		pr_err("cmdline: bad value for shell_cmds: %zu characters, at most %zu fit; "
		       "ignored",
		       len, sizeof(opts->shell_cmds) - 1);
		return false;
	}
	str_copy(opts->shell_cmds, value, sizeof(opts->shell_cmds));
	opts->has_shell_cmds = true;
	return true;
}

static bool cmdline_opt_apicv(const char *value, struct hv_options *opts)
{
	static const struct {
		const char *name;
		enum apicv_mode mode;
	} modes[] = {
		{ "on", APICV_ON },
		{ "off", APICV_OFF },
		{ "novid", APICV_NO_VID },
		{ "vid", APICV_FORCE_VID },
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(value, modes[i].name) == 0) {
			opts->apicv = modes[i].mode;
			return true;
		}
	}
	pr_err("cmdline: bad value '%s' for apicv: expected on, off, novid or vid", value);
	return false;
}

/* A module tag: one word of 1..31 printable characters (GRUB splits module strings at blanks). */
static bool cmdline_set_tag(const char *option, const char *value, char *tag)
{
	size_t len = strlen(value);
	bool ok = len > 0 && len < CMDLINE_TAG_MAX;

	for (size_t i = 0; ok && i < len; i++)
		ok = value[i] > ' ' && value[i] < 0x7f;
	if (!ok) {
		pr_err("cmdline: bad value '%s' for %s: expected one word of 1..%d printable "
		       "characters",
		       value, option, CMDLINE_TAG_MAX - 1);
		return false;
	}
	str_copy(tag, value, CMDLINE_TAG_MAX);
	return true;
}

static bool cmdline_opt_kernel_tag(const char *value, struct hv_options *opts)
{
	return cmdline_set_tag("kernel_tag", value, opts->kernel_tag);
}

static bool cmdline_opt_initrd_tag(const char *value, struct hv_options *opts)
{
	return cmdline_set_tag("initrd_tag", value, opts->initrd_tag);
}

static const struct cmdline_option {
	const char *name;
	bool (*apply)(const char *value, struct hv_options *opts);
	const char *expects; /* for "needs a value" messages */
} cmdline_options[] = {
	{ "uart", cmdline_opt_uart, "port@<num>, mmio@<addr> or disabled" },
	{ "loglevel", cmdline_opt_loglevel, "a number 0..6" },
	{ "shell_cmds", cmdline_opt_shell_cmds, "commands separated by ';'" },
	{ "apicv", cmdline_opt_apicv, "on, off, novid or vid" },
	{ "kernel_tag", cmdline_opt_kernel_tag, "a module tag" },
	{ "initrd_tag", cmdline_opt_initrd_tag, "a module tag" },
};

#define CMDLINE_OPTION_COUNT (sizeof(cmdline_options) / sizeof(cmdline_options[0]))

/* The option named by the start of token (up to '=' or its end), or NULL. */
static const struct cmdline_option *cmdline_find_option(const char *token)
{
	for (size_t i = 0; i < CMDLINE_OPTION_COUNT; i++) {
		size_t len = strlen(cmdline_options[i].name);

		if (strncmp(token, cmdline_options[i].name, len) == 0 &&
		    (token[len] == '=' || token[len] == '\0'))
			return &cmdline_options[i];
	}
	return NULL;
}

static void cmdline_apply_token(const char *token, struct hv_options *opts)
{
	const struct cmdline_option *opt = cmdline_find_option(token);
	size_t name_len;

	if (!opt) {
		pr_info("cmdline: '%s' is not a hypervisor option; passed on to the Service VM",
			token);
		opts->unknown_count++;
		return;
	}
	name_len = strlen(opt->name);
	if (token[name_len] != '=') {
		pr_err("cmdline: option '%s' needs a value: expected %s=%s", token, opt->name,
		       opt->expects);
		opts->error_count++;
		return;
	}
	if (!opt->apply(token + name_len + 1, opts))
		opts->error_count++;
}

/*
 * Copies the token starting at *pos into tok with quotes removed and moves
 * *pos past it. Returns false when only separators are left. A token that
 * does not fit is still consumed whole (*too_long) so the next one starts at
 * the right place; an unterminated quote runs to the end of the line.
 */
static bool cmdline_next_token(const char **pos, char *tok, size_t size, bool *too_long,
			       bool *unterminated)
{
	const char *p = *pos;
	bool in_quote = false;
	size_t n = 0;

	while (cmdline_is_separator(*p))
		p++;
	*pos = p;
	if (*p == '\0')
		return false;
	*too_long = false;
	for (; *p; p++) {
		if (*p == '"') {
			in_quote = !in_quote;
			continue;
		}
		/*
		 * GRUB passes a word containing blanks as "..." and escapes
		 * backslashes and quotes inside with a backslash.
		 */
		if (*p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == '\'')) {
			p++;
			if (n + 1 < size)
				tok[n++] = *p;
			else
				*too_long = true;
			continue;
		}
		if (!in_quote && cmdline_is_separator(*p))
			break;
		if (n + 1 < size)
			tok[n++] = *p;
		else
			*too_long = true;
	}
	tok[n] = '\0';
	*unterminated = in_quote;
	*pos = p;
	return true;
}

void cmdline_defaults(struct hv_options *opts)
{
	if (!opts)
		return;
	memset(opts, 0, sizeof(*opts));
	opts->uart_kind = UART_KIND_PORT;
	opts->uart_base = UART_DEFAULT_PORT;
	opts->loglevel = LOG_LEVEL_DEFAULT;
	str_copy(opts->kernel_tag, CMDLINE_DEFAULT_KERNEL_TAG, sizeof(opts->kernel_tag));
	str_copy(opts->initrd_tag, CMDLINE_DEFAULT_INITRD_TAG, sizeof(opts->initrd_tag));
}

void cmdline_parse(const char *cmdline, struct hv_options *opts)
{
	/*
	 * Static rather than on the small hypervisor stack: the line is parsed
	 * once, on the boot CPU, before any other CPU runs.
	 */
	static char token[CMDLINE_TOKEN_MAX];
	const char *pos = cmdline;
	bool too_long, unterminated;

	if (!opts)
		return;
	cmdline_defaults(opts);
	if (!cmdline)
		return;
	while (cmdline_next_token(&pos, token, sizeof(token), &too_long, &unterminated)) {
		if (unterminated)
			pr_err("cmdline: unterminated quote in '%.*s%s'; taking the rest of the "
			       "line",
			       CMDLINE_QUOTE_MAX, token,
			       strlen(token) > CMDLINE_QUOTE_MAX ? "..." : "");
		if (too_long) {
			pr_err("cmdline: option '%.*s...' is longer than %u characters; ignored",
			       CMDLINE_QUOTE_MAX, token, CMDLINE_TOKEN_MAX - 1);
			/* Count it where it belongs, as far as its name tells. */
			if (cmdline_find_option(token))
				opts->error_count++;
			else
				opts->unknown_count++;
			continue;
		}
		cmdline_apply_token(token, opts);
	}
}

int cmdline_for_each_shell_cmd(const char *shell_cmds, void (*fn)(void *ctx, const char *cmd),
			       void *ctx)
{
	/* One command; the list it comes from fits in the same size. */
	char cmd[CMDLINE_SHELL_CMDS_MAX];
	const char *p = shell_cmds;
	int count = 0;

	if (!shell_cmds)
		return 0;
	while (*p) {
		const char *start = p, *end;
		size_t len;

		while (*p && *p != ';')
			p++;
		end = p;
		if (*p == ';')
			p++;
		while (start < end && cmdline_is_separator(*start))
			start++;
		while (end > start && cmdline_is_separator(end[-1]))
			end--;
		len = (size_t)(end - start);
		if (len == 0)
			continue;
		if (len >= sizeof(cmd)) {
			pr_err("cmdline: shell command '%.*s...' is longer than %zu characters; "
			       "skipped",
			       CMDLINE_QUOTE_MAX, start, sizeof(cmd) - 1);
			continue;
		}
		memcpy(cmd, start, len);
		cmd[len] = '\0';
		if (fn)
			fn(ctx, cmd);
		count++;
	}
	return count;
}
