/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Issuing a hypercall: VMCALL with the id in R8 and parameters in RDI and RSI; the
 * hypervisor's sign-extended result comes back in RAX and is passed on unchanged.
 */
#ifndef HSM_HYPERCALL_H
#define HSM_HYPERCALL_H

#include <linux/types.h>
#include <acrn/hypercall.h>

static inline long hsm_hypercall2(u64 hypercall_id, u64 param1, u64 param2)
{
	register u64 id_register asm("r8") = hypercall_id;
	long result;

	asm volatile("vmcall"
		     : "=a"(result), "+r"(id_register)
		     : "D"(param1), "S"(param2)
		     : "memory");
	return result;
}

static inline long hsm_hypercall1(u64 hypercall_id, u64 param1)
{
	return hsm_hypercall2(hypercall_id, param1, 0);
}

#endif /* HSM_HYPERCALL_H */
