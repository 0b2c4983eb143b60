/* SPDX-License-Identifier: BSD-3-Clause */
/* Extended page tables of the VMs, from one static page pool. */
#ifndef HV_ARCH_X86_EPT_H
#define HV_ARCH_X86_EPT_H

#include <stdint.h>

#include "lib/pagetable.h"

#define EPT_POOL_PAGES 1024

int ept_init(struct pt_root *root);
/* EPT pointer for the VMCS: root, 4-level walk, write-back paging structures. */
uint64_t ept_pointer(const struct pt_root *root);
/* Invalidates cached translations of this EPT on the calling CPU. */
void ept_flush(uint64_t eptp);
uint64_t ept_pool_pages_used(void);

#endif
