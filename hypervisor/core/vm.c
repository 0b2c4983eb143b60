/* SPDX-License-Identifier: BSD-3-Clause */
#include "core/vm.h"

#include "arch/x86/trap.h"
#include "debug/console.h"
#include "debug/log.h"

const char *vm_state_name(enum vm_state state)
{
	switch (state) {
	case VM_CREATED:
		return "created";
	case VM_RUNNING:
		return "running";
	case VM_FAILED:
		return "failed";
	case VM_POWERED_OFF:
		return "powered-off";
	}
	return "?";
}

void vm_fail(struct vm *vm)
{
	vm->state = VM_FAILED;
	if (vm->is_service_vm) {
		/* Without its Service VM the platform cannot do anything: stop with the dump shown.
		 */
		console_printf("*** the Service VM failed; hypervisor stopped\n");
		machine_halt();
	}
}
