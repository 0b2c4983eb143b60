/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Fixed-width types for the ACRN ABI headers. The same headers are compiled into the
 * freestanding hypervisor, the Linux kernel module and user space, so they take the
 * width types from whichever environment includes them.
 */
#ifndef ACRN_ABI_TYPES_H
#define ACRN_ABI_TYPES_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/stddef.h>
#else
#include <stdint.h>
#include <stddef.h>
#endif

/* Checks a layout that crosses a boundary (hypervisor, kernel, user space). */
#define ACRN_ABI_SIZE(type, size) _Static_assert(sizeof(type) == (size), #type " size")
#define ACRN_ABI_OFFSET(type, field, off)                                                          \
	_Static_assert(offsetof(type, field) == (off), #type "." #field " offset")

#endif /* ACRN_ABI_TYPES_H */
