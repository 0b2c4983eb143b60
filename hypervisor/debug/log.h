/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Logging. Every message goes into the log ring (shown by the shell's `log`
 * command) and, when its level is at or below the console log level, to the
 * console. Messages carry no trailing newline; log_message adds it. Plain-logic
 * sources call these too: the host tests link a capturing log_message instead.
 */
#ifndef HV_DEBUG_LOG_H
#define HV_DEBUG_LOG_H

enum log_level {
	LOG_FATAL = 1,
	LOG_ERROR = 2,
	LOG_WARNING = 3,
	LOG_INFO = 4,
	LOG_DEBUG = 5,
	LOG_VERBOSE = 6,
};

#define LOG_LEVEL_DEFAULT LOG_INFO
#define LOG_LEVEL_MAX	  LOG_VERBOSE

void log_message(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_fatal(...) log_message(LOG_FATAL, __VA_ARGS__)
#define pr_err(...)   log_message(LOG_ERROR, __VA_ARGS__)
#define pr_warn(...)  log_message(LOG_WARNING, __VA_ARGS__)
#define pr_info(...)  log_message(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_message(LOG_DEBUG, __VA_ARGS__)

#endif
