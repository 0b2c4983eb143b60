// SPDX-License-Identifier: BSD-3-Clause
/* Error names and the per-thread detail of the last failure. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static _Thread_local char last_error_message[512];

IVSHMEM_EXPORT const char *ivshmem_strerror(int error)
{
	switch (error) {
	case IVSHMEM_OK:
		return "success";
	case IVSHMEM_ERR_INVALID_ARGUMENT:
		return "invalid argument";
	case IVSHMEM_ERR_NOT_FOUND:
		return "no such region, device or channel";
	case IVSHMEM_ERR_PERMISSION:
		return "permission denied";
	case IVSHMEM_ERR_TOO_SMALL:
		return "region too small";
	case IVSHMEM_ERR_CORRUPT:
		return "corrupt shared data";
	case IVSHMEM_ERR_VERSION:
		return "layout version mismatch";
	case IVSHMEM_ERR_NOT_INITIALISED:
		return "region has no layout (run 'ivshmem init')";
	case IVSHMEM_ERR_EXISTS:
		return "already exists";
	case IVSHMEM_ERR_NO_SPACE:
		return "no space left in the region";
	case IVSHMEM_ERR_FULL:
		return "ring full";
	case IVSHMEM_ERR_EMPTY:
		return "nothing to read";
	case IVSHMEM_ERR_TIMEOUT:
		return "timed out";
	case IVSHMEM_ERR_MESSAGE_TOO_BIG:
		return "message too big for the ring";
	case IVSHMEM_ERR_BUFFER_TOO_SMALL:
		return "buffer too small for the message";
	case IVSHMEM_ERR_UNSUPPORTED:
		return "not supported by this mapping";
	case IVSHMEM_ERR_PEER_GONE:
		return "peer gone";
	case IVSHMEM_ERR_BUSY:
		return "busy";
	case IVSHMEM_ERR_IO:
		return "system call failed";
	case IVSHMEM_ERR_NO_MEMORY:
		return "out of memory";
	case IVSHMEM_ERR_PROTOCOL:
		return "doorbell server protocol error";
	case IVSHMEM_ERR_STATE:
		return "wrong state for this call";
	}
	return "unknown error";
}

IVSHMEM_EXPORT const char *ivshmem_last_error_message(void)
{
	return last_error_message;
}

void ivshmem_clear_error(void)
{
	last_error_message[0] = '\0';
}

__attribute__((format(printf, 3, 0))) static int fail_va(int error, int errnum, const char *format,
							 va_list args)
{
	int used = vsnprintf(last_error_message, sizeof(last_error_message), format, args);

	if (errnum && used >= 0 && (size_t)used < sizeof(last_error_message))
		snprintf(last_error_message + used, sizeof(last_error_message) - (size_t)used,
			 ": %s", strerror(errnum));
	return error;
}

int ivshmem_fail(int error, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	fail_va(error, 0, format, args);
	va_end(args);
	return error;
}

/* Maps errno to the closest library error and keeps the system's words in the detail. */
int ivshmem_fail_errno(int errnum, const char *format, ...)
{
	int error = IVSHMEM_ERR_IO;
	va_list args;

	if (errnum == EACCES || errnum == EPERM)
		error = IVSHMEM_ERR_PERMISSION;
	else if (errnum == ENOENT || errnum == ENODEV || errnum == ENXIO)
		error = IVSHMEM_ERR_NOT_FOUND;
	else if (errnum == ENOMEM)
		error = IVSHMEM_ERR_NO_MEMORY;
	else if (errnum == EEXIST)
		error = IVSHMEM_ERR_EXISTS;
	va_start(args, format);
	fail_va(error, errnum, format, args);
	va_end(args);
	return error;
}
