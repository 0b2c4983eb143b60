/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel-version differences the driver has to know about, in one place. */
#ifndef IVSHMEM_SDK_COMPAT_H
#define IVSHMEM_SDK_COMPAT_H

#include <linux/device.h>
#include <linux/eventfd.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 10, 0)
#error "ivshmem_sdk needs Linux 5.10 or newer"
#endif

/* class_create() lost its module argument in 6.4. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define ivshmem_sdk_class_create(name) class_create(name)
#else
#define ivshmem_sdk_class_create(name) class_create(THIS_MODULE, name)
#endif

/* eventfd_signal() lost its count argument in 6.8. */
static inline void ivshmem_sdk_eventfd_signal(struct eventfd_ctx *ctx)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

#endif
