/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port I/O exits. The I/O bitmap lets the Service VM reach every port
 * directly except the few the hypervisor emulates or keeps: its console
 * UART and the virtual COM1 it gives the Service VM instead.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/vmexit.h"
#include "core/vm.h"
#include "debug/uart16550.h"
#include "lib/format.h"
#include "lib/string.h"
#include "vdev/vuart.h"

#define COM1_BASE  0x3f8
#define UART_PORTS 8

#define IO_QUAL_SIZE(q)	  (((q)&7) + 1)
#define IO_QUAL_IN(q)	  (((q) >> 3) & 1)
#define IO_QUAL_STRING(q) (((q) >> 4) & 1)
#define IO_QUAL_PORT(q)	  ((uint16_t)((q) >> 16))

static void io_bitmap_trap(uint8_t *bitmap, uint16_t first, uint16_t count)
{
	for (uint32_t port = first; port < (uint32_t)first + count && port <= 0xffff; port++)
		bitmap[port / 8] |= (uint8_t)(1u << (port % 8));
}

void vm_io_bitmap_init(uint8_t *bitmap)
{
	uint64_t console_port = uart_io_port();

	memset(bitmap, 0, 2 * 4096);
	io_bitmap_trap(bitmap, COM1_BASE, UART_PORTS);
	if (console_port)
		io_bitmap_trap(bitmap, (uint16_t)console_port, UART_PORTS);
}

static bool port_in(uint16_t port, uint16_t base)
{
	return port >= base && port < base + UART_PORTS;
}

/* One byte of an access; wider accesses to byte registers are split, as the bus would. */
static uint8_t io_read_byte(struct vcpu *vcpu, uint16_t port)
{
	struct vm *vm = vcpu->vm;

	if (port_in(port, COM1_BASE) && vm->console_uart)
		return vuart_read(vm->console_uart, port - COM1_BASE);
	return 0xff; /* the hypervisor's own UART: nothing there for the guest */
}

static void io_write_byte(struct vcpu *vcpu, uint16_t port, uint8_t value)
{
	struct vm *vm = vcpu->vm;

	if (port_in(port, COM1_BASE) && vm->console_uart)
		vuart_write(vm->console_uart, port - COM1_BASE, value);
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
		uint32_t value = 0;

		for (uint32_t i = 0; i < size; i++)
			value |= (uint32_t)io_read_byte(vcpu, (uint16_t)(port + i)) << (8 * i);
		/* IN to AL/AX keeps the rest of RAX; IN to EAX zero-extends. */
		if (size == 4)
			*rax = value;
		else
			*rax = (*rax & ~((1ull << (8 * size)) - 1)) | value;
	} else {
		for (uint32_t i = 0; i < size; i++)
			io_write_byte(vcpu, (uint16_t)(port + i), (uint8_t)(*rax >> (8 * i)));
	}
	vcpu_skip_instruction(vcpu);
}
