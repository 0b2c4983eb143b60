/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host-test replacement for the hypervisor's log_message: it keeps every
 * message so tests can assert that bad input produced a clear message.
 */
#ifndef HV_TESTS_LOG_CAPTURE_H
#define HV_TESTS_LOG_CAPTURE_H

#include <stdbool.h>

void log_capture_reset(void);
/* True when some captured message contains the text. */
bool log_capture_contains(const char *text);
/* Number of captured messages at exactly this level. */
int log_capture_count(int level);
/* Prints every captured message to stderr (for failing tests). */
void log_capture_dump(void);

#endif
