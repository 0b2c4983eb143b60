/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading guest memory from the hypervisor: guest-physical through the VM's
 * EPT (so a guest can never point the hypervisor at memory it may not
 * read), guest-linear through the guest's own page tables.
 */
#ifndef HV_ARCH_X86_GUEST_MEM_H
#define HV_ARCH_X86_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86/vcpu.h"

/* Copies len bytes at a guest-physical address; -EFAULT when any byte is not readable RAM. */
int guest_phys_read(const struct vm *vm, uint64_t gpa, void *buf, size_t len);
int guest_phys_write(const struct vm *vm, uint64_t gpa, const void *buf, size_t len);
/* Translates with the vCPU's current paging mode; -EFAULT (not mapped) with *fault_gpa unset. */
int guest_linear_to_phys(struct vcpu *vcpu, uint64_t linear, uint64_t *gpa);
/* Copies len bytes at a guest-linear address (may cross pages). */
int guest_linear_read(struct vcpu *vcpu, uint64_t linear, void *buf, size_t len);

int guest_linear_write(struct vcpu *vcpu, uint64_t linear, const void *buf, size_t len);

#endif
