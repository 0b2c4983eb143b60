/* SPDX-License-Identifier: BSD-3-Clause */
/* The Service VM's ACPI PM1 control registers: S5 powers the machine off. */
#ifndef HV_ARCH_X86_VPM_H
#define HV_ARCH_X86_VPM_H

struct vm;

/* Registers the PM1a/PM1b control ports in the VM's I/O registry. */
int vpm_init(struct vm *vm);

#endif
