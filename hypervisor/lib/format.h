/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The hypervisor's own formatted printer: a printf subset that writes
 * through a sink callback, so the console, the log ring and fixed
 * buffers share one implementation (and the host tests check it).
 *
 * Conversions: d i u x X o p s c %, flags - 0 + space #, width and
 * precision (numbers or *), length modifiers hh h l ll z j t.
 */
#ifndef HV_LIB_FORMAT_H
#define HV_LIB_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

typedef void (*format_sink_fn)(void *ctx, const char *text, size_t len);

/* Returns the number of characters produced. */
size_t format_v(format_sink_fn sink, void *ctx, const char *fmt, va_list args);

/*
 * snprintf semantics: writes at most size-1 characters plus a NUL (when
 * size > 0) and returns the length the full output would have had.
 */
size_t format_buf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
size_t format_vbuf(char *buf, size_t size, const char *fmt, va_list args);

#endif
