/* SPDX-License-Identifier: BSD-3-Clause */
/* Console output (serialised between CPUs) and the log ring behind `log`. */
#ifndef HV_DEBUG_CONSOLE_H
#define HV_DEBUG_CONSOLE_H

#include <stddef.h>

void console_set_loglevel(int level);
int console_loglevel(void);
/* Unconditional console output (shell replies); also recorded in the log ring. */
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void console_write(const char *text, size_t len);
/* Replays the log ring to the console: logged lines up to max_level, and all shell output. */
void console_dump_log(int max_level);
/* Used on the panic path: forget a lock another CPU may hold forever. */
void console_force_unlock(void);

#endif
