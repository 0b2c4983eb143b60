/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory and string helpers. Code shared between acrn.bin and the host
 * unit tests includes this header; hosted builds get the C library's
 * versions, the freestanding build gets lib/string.c.
 */
#ifndef HV_LIB_STRING_H
#define HV_LIB_STRING_H

#include <stddef.h>

#ifdef HV_HOSTED
#include <string.h>
#else
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
#endif

/* Copies at most size-1 characters and always terminates (size > 0). */
size_t str_copy(char *dst, const char *src, size_t size);

#endif
