/* SPDX-License-Identifier: BSD-3-Clause */
/* The Service VM's MTRRs: a copy of the firmware's set-up, then the guest's own. */
#ifndef HV_ARCH_X86_VMTRR_H
#define HV_ARCH_X86_VMTRR_H

#include "core/mtrr.h"

/* Fills m with this CPU's MTRRs as the firmware left them (SMRR hidden). */
void vmtrr_init_from_host(struct mtrr_state *m);

#endif
