/* SPDX-License-Identifier: BSD-3-Clause */
/* The Service VM: the installed OS the hypervisor launches right after boot. */
#ifndef HV_ARCH_X86_SERVICE_VM_H
#define HV_ARCH_X86_SERVICE_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "core/vm.h"

/* True when the boot loader passed a Service VM kernel module. */
bool service_vm_kernel_present(void);
/*
 * Builds the Service VM: e820, EPT (identity map without the hypervisor's
 * memory), trapped I/O and MSRs, the kernel, initrd and zero page in its
 * memory. Returns 0 or a negative errno after a clear message.
 */
int service_vm_create(void);
/* Runs vCPU 0 on the boot CPU; returns only if the VM could not start. */
void service_vm_run_boot_vcpu(void);
struct vcpu;
/* The guest changed its MTRRs: EPT memory types follow, on every CPU. */
void service_vm_memory_types_changed(struct vcpu *writer);
struct vcpu;
/* On an application processor: runs its vCPU (which first waits for INIT/SIPI). */
void service_vm_run_ap_vcpu(struct vcpu *v);
struct vm *service_vm(void);

struct e820_entry;
struct e820_range;
/* Puts the kernel, initrd parameters and zero page into the Service VM's memory (loader). */
int service_vm_load_kernel(struct vm *vm, const struct e820_entry *map, uint32_t count,
			   const struct e820_range *hv, uint32_t hv_count);

#endif
