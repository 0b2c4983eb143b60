/* SPDX-License-Identifier: BSD-3-Clause */
#include "debug/console.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/cpu.h"
#include "debug/log.h"
#include "debug/uart16550.h"
#include "lib/format.h"
#include "lib/spinlock.h"

#define LOG_RING_SIZE 32768

static struct spinlock console_lock = SPINLOCK_INIT;
static int console_level = LOG_LEVEL_DEFAULT;

/* The ring keeps the newest LOG_RING_SIZE characters of everything printed or logged. */
static char log_ring[LOG_RING_SIZE];
static uint64_t log_ring_written;

static const char *const level_names[] = {
	[LOG_FATAL] = "FATAL", [LOG_ERROR] = "ERROR", [LOG_WARNING] = "WARN",
	[LOG_INFO] = "INFO",   [LOG_DEBUG] = "DEBUG", [LOG_VERBOSE] = "VERB",
};

struct console_sink {
	bool to_console;
};

/*
 * Each logged line starts with one byte 0x01..0x06 naming its level, so a
 * replay can show only what the reader's log level admits. Shell output
 * carries no marker and is always replayed.
 */
static bool is_level_marker(char c)
{
	return c >= LOG_FATAL && c <= LOG_VERBOSE;
}

static void log_ring_append(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		log_ring[(log_ring_written + i) % LOG_RING_SIZE] = text[i];
	log_ring_written += len;
}

static void console_sink_write(void *ctx, const char *text, size_t len)
{
	struct console_sink *sink = ctx;

	log_ring_append(text, len);
	if (sink->to_console)
		uart_write(text, len);
}

static void console_mark_level(int level)
{
	char marker = (char)level;

	log_ring_append(&marker, 1);
}

void console_set_loglevel(int level)
{
	if (level < 0)
		level = 0;
	if (level > LOG_LEVEL_MAX)
		level = LOG_LEVEL_MAX;
	console_level = level;
}

int console_loglevel(void)
{
	return console_level;
}

static void console_vprintf_locked(struct console_sink *sink, const char *fmt, va_list args)
{
	format_v(console_sink_write, sink, fmt, args);
}

static void console_emit(struct console_sink *sink, const char *prefix_fmt, int level,
			 const char *fmt, va_list args)
{
	uint64_t flags = irq_save();

	spinlock_acquire(&console_lock);
	if (level)
		console_mark_level(level);
	if (prefix_fmt) {
		char prefix[32];
		size_t n = format_buf(prefix, sizeof(prefix), prefix_fmt, level_names[level]);

		console_sink_write(sink, prefix, n < sizeof(prefix) ? n : sizeof(prefix) - 1);
	}
	console_vprintf_locked(sink, fmt, args);
	if (prefix_fmt)
		console_sink_write(sink, "\n", 1);
	spinlock_release(&console_lock);
	irq_restore(flags);
}

void log_message(int level, const char *fmt, ...)
{
	struct console_sink sink = { .to_console = level <= console_level };
	va_list args;

	if (level < LOG_FATAL)
		level = LOG_FATAL;
	if (level > LOG_VERBOSE)
		level = LOG_VERBOSE;
	va_start(args, fmt);
	/* Warnings and worse carry their level so they stand out in a serial log. */
	console_emit(&sink, level <= LOG_WARNING ? "%s: " : "", level, fmt, args);
	va_end(args);
}

void console_printf(const char *fmt, ...)
{
	struct console_sink sink = { .to_console = true };
	va_list args;

	va_start(args, fmt);
	console_emit(&sink, NULL, 0, fmt, args);
	va_end(args);
}

void console_write(const char *text, size_t len)
{
	struct console_sink sink = { .to_console = true };
	uint64_t flags = irq_save();

	spinlock_acquire(&console_lock);
	console_sink_write(&sink, text, len);
	spinlock_release(&console_lock);
	irq_restore(flags);
}

void console_dump_log(int max_level)
{
	uint64_t start = log_ring_written > LOG_RING_SIZE ? log_ring_written - LOG_RING_SIZE : 0;
	uint64_t end = log_ring_written;
	bool skipping = false;

	for (uint64_t pos = start; pos < end;) {
		char chunk[256];
		size_t n = 0;

		while (n < sizeof(chunk) && pos < end) {
			char c = log_ring[pos++ % LOG_RING_SIZE];

			if (is_level_marker(c)) {
				skipping = c > max_level;
				continue;
			}
			if (!skipping)
				chunk[n++] = c;
			if (c == '\n')
				skipping = false;
		}
		uart_write(chunk, n);
	}
}

void console_force_unlock(void)
{
	console_lock.owner = console_lock.next;
}
