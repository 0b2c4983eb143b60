/* SPDX-License-Identifier: BSD-3-Clause */
/* Error numbers, Linux values (the hypercall ABI returns them negated). */
#ifndef HV_LIB_ERRNO_H
#define HV_LIB_ERRNO_H

#ifdef HV_HOSTED
#include <errno.h>
#else
#define EPERM	  1
#define ENOENT	  2
#define EIO	  5
#define E2BIG	  7
#define ENOMEM	  12
#define EFAULT	  14
#define EBUSY	  16
#define EEXIST	  17
#define ENODEV	  19
#define EINVAL	  22
#define ENOSPC	  28
#define ERANGE	  34
#define ENOTTY	  25
#define ENOSYS	  38
#define ENODATA	  61
#define ETIMEDOUT 110
#endif

#endif
