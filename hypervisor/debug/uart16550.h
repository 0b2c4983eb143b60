/* SPDX-License-Identifier: BSD-3-Clause */
/* The hypervisor console's 16550 UART, reached by port I/O or MMIO. */
#ifndef HV_DEBUG_UART16550_H
#define HV_DEBUG_UART16550_H

#include <stdbool.h>
#include <stdint.h>

#include "core/cmdline.h"

void uart_init(enum uart_kind kind, uint64_t base);
bool uart_enabled(void);
void uart_write(const char *text, unsigned long len);
/* Returns a received byte or -1 when none is waiting. */
int uart_read_char(void);
/* Describes the console for the boot log, e.g. "port 0x3f8" */
const char *uart_describe(void);
uint64_t uart_mmio_base(void);
uint64_t uart_io_port(void);
/* Raise the UART's interrupt when a byte arrives (the caller routes its IRQ). */
void uart_enable_rx_interrupt(void);
#define UART_NO_ISA_IRQ 0xffu
/* The ISA IRQ of the console when it is a legacy COM port, else UART_NO_ISA_IRQ. */
uint32_t uart_isa_irq(void);

#endif
