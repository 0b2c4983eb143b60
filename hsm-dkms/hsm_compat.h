/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between kernel versions and configurations the module has to know
 * about lives here, so the rest of the code calls one spelling.
 */
#ifndef HSM_COMPAT_H
#define HSM_COMPAT_H

#include <linux/mm.h>
#include <linux/version.h>

/* Long-term pinning (FOLL_LONGTERM through pin_user_pages_fast) arrived in 5.6/5.8. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 10, 0)
#error "acrn_hsm needs Linux 5.10 or newer"
#endif

/*
 * Kernels built with CONFIG_ACRN_GUEST have a handler at vector 0xF3 and let one driver
 * hook it; Debian's do not, and use the notification PCI function instead (hsm_notify.c).
 */
#if IS_ENABLED(CONFIG_ACRN_GUEST)
#include <asm/acrn.h>
#define HSM_HAS_VECTOR_UPCALL 1
static inline void hsm_compat_set_vector_upcall(void (*handler)(void))
{
	acrn_setup_intr_handler(handler);
}

static inline void hsm_compat_clear_vector_upcall(void)
{
	acrn_remove_intr_handler();
}
#else
#define HSM_HAS_VECTOR_UPCALL 0
static inline void hsm_compat_set_vector_upcall(void (*handler)(void))
{
}

static inline void hsm_compat_clear_vector_upcall(void)
{
}
#endif

/* FOLL_LONGTERM pins must not sit in movable zones; pin_user_pages_fast handles that. */
static inline int hsm_compat_pin_user_pages(unsigned long start, int page_count, bool writable,
					    struct page **pages)
{
	unsigned int flags = FOLL_LONGTERM | (writable ? FOLL_WRITE : 0);

	return pin_user_pages_fast(start, page_count, flags, pages);
}

/* eventfd_signal() lost its count argument in 6.8. */
#include <linux/eventfd.h>
static inline void hsm_compat_eventfd_signal(struct eventfd_ctx *eventfd)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	eventfd_signal(eventfd);
#else
	eventfd_signal(eventfd, 1);
#endif
}

#endif /* HSM_COMPAT_H */
