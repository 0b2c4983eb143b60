/* SPDX-License-Identifier: BSD-3-Clause */
#include "tests/log_capture.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "debug/log.h"

#define CAPTURE_MAX 256

static struct {
	int level;
	char text[512];
} captured[CAPTURE_MAX];
static int captured_count;

void log_message(int level, const char *fmt, ...)
{
	va_list args;

	if (captured_count >= CAPTURE_MAX)
		return;
	va_start(args, fmt);
	vsnprintf(captured[captured_count].text, sizeof(captured[0].text), fmt, args);
	va_end(args);
	captured[captured_count].level = level;
	captured_count++;
}

void log_capture_reset(void)
{
	captured_count = 0;
}

bool log_capture_contains(const char *text)
{
	for (int i = 0; i < captured_count; i++)
		if (strstr(captured[i].text, text))
			return true;
	return false;
}

int log_capture_count(int level)
{
	int n = 0;

	for (int i = 0; i < captured_count; i++)
		if (captured[i].level == level)
			n++;
	return n;
}

void log_capture_dump(void)
{
	for (int i = 0; i < captured_count; i++)
		fprintf(stderr, "  log[%d] level %d: %s\n", i, captured[i].level, captured[i].text);
}
