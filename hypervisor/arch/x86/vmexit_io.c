/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port I/O exits. The I/O bitmap lets the Service VM reach every port
 * directly except the ones the hypervisor emulates (everything in the VM's
 * I/O registry: the virtual COM1, the 8259 pair, the ACPI PM1 control
 * registers) and its own console UART.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/vmexit.h"
#include "core/vm.h"
#include "debug/uart16550.h"
#include "lib/errno.h"
#include "lib/format.h"
#include "lib/string.h"

#define UART_PORTS 8

#define IO_QUAL_SIZE(q)	  (((q)&7) + 1)
#define IO_QUAL_IN(q)	  (((q) >> 3) & 1)
#define IO_QUAL_STRING(q) (((q) >> 4) & 1)
#define IO_QUAL_PORT(q)	  ((uint16_t)((q) >> 16))

static void io_bitmap_trap(uint8_t *bitmap, uint64_t first, uint64_t end)
{
	for (uint64_t port = first; port < end && port <= 0xffff; port++)
		bitmap[port / 8] |= (uint8_t)(1u << (port % 8));
}

void vm_io_bitmap_init(struct vm *vm)
{
	uint64_t console_port = uart_io_port();
	const struct io_registry *reg = &vm->io;

	memset(vm->io_bitmap, 0, 2 * 4096);
	for (uint32_t i = 0; i < reg->port_table.count; i++)
		io_bitmap_trap(vm->io_bitmap, reg->port[i].start, reg->port[i].end);
	if (console_port)
		io_bitmap_trap(vm->io_bitmap, console_port, console_port + UART_PORTS);
}

/*
 * One access through the registry. A width the device does not take is
 * split into bytes, as the bus would do for byte-wide registers; ports no
 * device claims (the hypervisor's own UART) read as all ones and ignore
 * writes.
 */
static uint32_t io_access(struct vm *vm, uint16_t port, uint32_t size, bool is_write, uint32_t data)
{
	const struct io_range *r = io_registry_find_port(&vm->io, port);
	uint64_t value = data;

	if (r && size > 1 && !(r->handler.widths & size)) {
		uint32_t result = 0;

		for (uint32_t i = 0; i < size; i++)
			result |= io_access(vm, (uint16_t)(port + i), 1, is_write,
					    (data >> (8 * i)) & 0xff)
				  << (8 * i);
		return result;
	}
	if (io_registry_port_access(&vm->io, port, size, is_write, &value) != 0 && !is_write)
		value = ~0ull;
	return (uint32_t)value;
}

void vmexit_io(struct vcpu *vcpu)
{
	uint64_t q = vcpu->exit_qualification;
	uint32_t size = IO_QUAL_SIZE(q);
	uint16_t port = IO_QUAL_PORT(q);
	uint64_t *rax = &vcpu->regs.gpr[GUEST_RAX];

	if (IO_QUAL_STRING(q)) {
		char why[80];

		format_buf(why, sizeof(why), "string I/O (INS/OUTS) on trapped port 0x%x", port);
		vcpu_fail(vcpu, why);
		return;
	}
	if (IO_QUAL_IN(q)) {
		uint32_t value = io_access(vcpu->vm, port, size, false, 0);

		if (size < 4)
			value &= (1u << (8 * size)) - 1;
		/* IN to AL/AX keeps the rest of RAX; IN to EAX zero-extends. */
		if (size == 4)
			*rax = value;
		else
			*rax = (*rax & ~((1ull << (8 * size)) - 1)) | value;
	} else {
		io_access(vcpu->vm, port, size, true, (uint32_t)*rax);
	}
	vcpu_skip_instruction(vcpu);
}
