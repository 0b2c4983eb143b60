/* SPDX-License-Identifier: BSD-3-Clause */
#include "lib/format.h"

#include <stdbool.h>
#include <stdint.h>

#include "lib/string.h"

struct format_spec {
	bool left;
	bool zero;
	bool plus;
	bool space;
	bool alt;
	int width;
	int precision; /* -1: none given */
};

struct format_out {
	format_sink_fn sink;
	void *ctx;
	size_t count;
};

static void out_text(struct format_out *out, const char *text, size_t len)
{
	if (len) {
		out->sink(out->ctx, text, len);
		out->count += len;
	}
}

static void out_repeat(struct format_out *out, char c, int times)
{
	char chunk[16];

	memset(chunk, c, sizeof(chunk));
	while (times > 0) {
		size_t n = times > (int)sizeof(chunk) ? sizeof(chunk) : (size_t)times;

		out_text(out, chunk, n);
		times -= (int)n;
	}
}

/* Emits prefix (sign, 0x), zero padding and digits inside the field width. */
static void out_number(struct format_out *out, const struct format_spec *spec, const char *prefix,
		       const char *digits, size_t ndigits)
{
	size_t nprefix = strlen(prefix);
	int zeros = 0;
	int pad;

	if (spec->precision >= 0) {
		if ((size_t)spec->precision > ndigits)
			zeros = spec->precision - (int)ndigits;
	} else if (spec->zero && !spec->left && spec->width > (int)(nprefix + ndigits)) {
		zeros = spec->width - (int)(nprefix + ndigits);
	}
	pad = spec->width - (int)(nprefix + ndigits) - zeros;
	if (!spec->left)
		out_repeat(out, ' ', pad);
	out_text(out, prefix, nprefix);
	out_repeat(out, '0', zeros);
	out_text(out, digits, ndigits);
	if (spec->left)
		out_repeat(out, ' ', pad);
}

static void format_integer(struct format_out *out, struct format_spec *spec, char conv,
			   uint64_t magnitude, bool negative)
{
	static const char lower[] = "0123456789abcdef";
	static const char upper[] = "0123456789ABCDEF";
	const char *digit_set = conv == 'X' ? upper : lower;
	unsigned int base = 10;
	char digits[24];
	size_t pos = sizeof(digits);
	const char *prefix = "";

	if (conv == 'x' || conv == 'X' || conv == 'p')
		base = 16;
	else if (conv == 'o')
		base = 8;

	/* A zero value with an explicit precision of 0 prints no digits. */
	if (!(magnitude == 0 && spec->precision == 0)) {
		do {
			digits[--pos] = digit_set[magnitude % base];
			magnitude /= base;
		} while (magnitude);
	}

	if (conv == 'd' || conv == 'i') {
		if (negative)
			prefix = "-";
		else if (spec->plus)
			prefix = "+";
		else if (spec->space)
			prefix = " ";
	} else if (conv == 'p' || (spec->alt && pos < sizeof(digits) && digits[pos] != '0')) {
		if (base == 16)
			prefix = conv == 'X' ? "0X" : "0x";
		else if (base == 8)
			prefix = "0";
	}
	out_number(out, spec, prefix, digits + pos, sizeof(digits) - pos);
}

static void format_string(struct format_out *out, const struct format_spec *spec, const char *s)
{
	size_t len;
	int pad;

	if (!s)
		s = "(null)";
	len = spec->precision >= 0 ? strnlen(s, (size_t)spec->precision) : strlen(s);
	pad = spec->width - (int)len;
	if (!spec->left)
		out_repeat(out, ' ', pad);
	out_text(out, s, len);
	if (spec->left)
		out_repeat(out, ' ', pad);
}

static int parse_decimal(const char **p)
{
	int value = 0;

	while (**p >= '0' && **p <= '9') {
		if (value < 100000)
			value = value * 10 + (**p - '0');
		(*p)++;
	}
	return value;
}

enum length_mod {
	LEN_INT,
	LEN_CHAR,
	LEN_SHORT,
	LEN_LONG,
	LEN_LLONG,
	LEN_SIZE,
	LEN_MAX,
	LEN_PTRDIFF
};

static enum length_mod parse_length(const char **p)
{
	switch (**p) {
	case 'h':
		(*p)++;
		if (**p == 'h') {
			(*p)++;
			return LEN_CHAR;
		}
		return LEN_SHORT;
	case 'l':
		(*p)++;
		if (**p == 'l') {
			(*p)++;
			return LEN_LLONG;
		}
		return LEN_LONG;
	case 'z':
		(*p)++;
		return LEN_SIZE;
	case 'j':
		(*p)++;
		return LEN_MAX;
	case 't':
		(*p)++;
		return LEN_PTRDIFF;
	default:
		return LEN_INT;
	}
}

static int64_t fetch_signed(va_list *args, enum length_mod len)
{
	switch (len) {
	case LEN_CHAR:
		return (signed char)va_arg(*args, int);
	case LEN_SHORT:
		return (short)va_arg(*args, int);
	case LEN_LONG:
		return va_arg(*args, long);
	case LEN_LLONG:
		return va_arg(*args, long long);
	case LEN_SIZE:
	case LEN_PTRDIFF:
		return va_arg(*args, ptrdiff_t);
	case LEN_MAX:
		return va_arg(*args, intmax_t);
	default:
		return va_arg(*args, int);
	}
}

static uint64_t fetch_unsigned(va_list *args, enum length_mod len)
{
	switch (len) {
	case LEN_CHAR:
		return (unsigned char)va_arg(*args, unsigned int);
	case LEN_SHORT:
		return (unsigned short)va_arg(*args, unsigned int);
	case LEN_LONG:
		return va_arg(*args, unsigned long);
	case LEN_LLONG:
		return va_arg(*args, unsigned long long);
	case LEN_SIZE:
	case LEN_PTRDIFF:
		return va_arg(*args, size_t);
	case LEN_MAX:
		return va_arg(*args, uintmax_t);
	default:
		return va_arg(*args, unsigned int);
	}
}

/* Parses flags, width and precision after a '%'; returns the position of the length/conversion. */
static const char *parse_spec(const char *p, struct format_spec *spec, va_list *args)
{
	memset(spec, 0, sizeof(*spec));
	spec->precision = -1;
	for (;; p++) {
		if (*p == '-')
			spec->left = true;
		else if (*p == '0')
			spec->zero = true;
		else if (*p == '+')
			spec->plus = true;
		else if (*p == ' ')
			spec->space = true;
		else if (*p == '#')
			spec->alt = true;
		else
			break;
	}
	if (*p == '*') {
		spec->width = va_arg(*args, int);
		if (spec->width < 0) {
			spec->left = true;
			spec->width = spec->width == INT32_MIN ? 0 : -spec->width;
		}
		p++;
	} else {
		spec->width = parse_decimal(&p);
	}
	if (*p == '.') {
		p++;
		if (*p == '*') {
			spec->precision = va_arg(*args, int);
			if (spec->precision < 0)
				spec->precision = -1;
			p++;
		} else {
			spec->precision = parse_decimal(&p);
		}
	}
	return p;
}

static void format_conversion(struct format_out *out, struct format_spec *spec, char conv,
			      enum length_mod len, va_list *args)
{
	char c;
	int64_t value;

	switch (conv) {
	case 'd':
	case 'i':
		value = fetch_signed(args, len);
		format_integer(out, spec, conv,
			       value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value,
			       value < 0);
		break;
	case 'u':
	case 'x':
	case 'X':
	case 'o':
		format_integer(out, spec, conv, fetch_unsigned(args, len), false);
		break;
	case 'p':
		format_integer(out, spec, 'p', (uintptr_t)va_arg(*args, void *), false);
		break;
	case 's':
		format_string(out, spec, va_arg(*args, const char *));
		break;
	case 'c':
		c = (char)va_arg(*args, int);
		spec->precision = -1;
		out_repeat(out, ' ', spec->left ? 0 : spec->width - 1);
		out_text(out, &c, 1);
		out_repeat(out, ' ', spec->left ? spec->width - 1 : 0);
		break;
	case '%':
		out_text(out, "%", 1);
		break;
	default:
		/* An unknown conversion is printed as written, so the mistake is visible. */
		out_text(out, "%", 1);
		if (conv)
			out_text(out, &conv, 1);
		break;
	}
}

size_t format_v(format_sink_fn sink, void *ctx, const char *fmt, va_list args)
{
	struct format_out out = { .sink = sink, .ctx = ctx, .count = 0 };
	struct format_spec spec;
	const char *p = fmt;
	va_list ap;

	va_copy(ap, args);
	while (*p) {
		const char *start = p;
		enum length_mod len;

		while (*p && *p != '%')
			p++;
		out_text(&out, start, (size_t)(p - start));
		if (!*p)
			break;
		p = parse_spec(p + 1, &spec, &ap);
		len = parse_length(&p);
		format_conversion(&out, &spec, *p, len, &ap);
		if (*p)
			p++;
	}
	va_end(ap);
	return out.count;
}

struct buffer_sink {
	char *buf;
	size_t size;
	size_t used;
};

static void buffer_sink_write(void *ctx, const char *text, size_t len)
{
	struct buffer_sink *b = ctx;

	if (b->size == 0)
		return;
	if (b->used + 1 < b->size) {
		size_t room = b->size - 1 - b->used;
		size_t n = len < room ? len : room;

		memcpy(b->buf + b->used, text, n);
		b->used += n;
	}
}

size_t format_vbuf(char *buf, size_t size, const char *fmt, va_list args)
{
	struct buffer_sink b = { .buf = buf, .size = size, .used = 0 };
	size_t total = format_v(buffer_sink_write, &b, fmt, args);

	if (size)
		buf[b.used] = '\0';
	return total;
}

size_t format_buf(char *buf, size_t size, const char *fmt, ...)
{
	va_list args;
	size_t total;

	va_start(args, fmt);
	total = format_vbuf(buf, size, fmt, args);
	va_end(args);
	return total;
}
