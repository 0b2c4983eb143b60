/* SPDX-License-Identifier: BSD-3-Clause */
#include "debug/uart16550.h"

#include "arch/x86/cpu.h"
#include "lib/format.h"

#define UART_RBR 0 /* receive buffer (read) */
#define UART_THR 0 /* transmit holding (write) */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_DLL 0 /* with LCR.DLAB */
#define UART_DLM 1

#define LSR_DATA_READY	 (1u << 0)
#define LSR_THR_EMPTY	 (1u << 5)
#define LCR_8N1		 0x03
#define LCR_DLAB	 0x80
#define FCR_ENABLE_CLEAR 0x07
#define MCR_DTR_RTS	 0x03
#define MCR_OUT2	 0x08
#define IER_RX_DATA	 0x01

/* Transmit gives up after this many polls so a dead UART cannot hang the hypervisor. */
#define UART_TX_SPIN_LIMIT 100000

static enum uart_kind uart_kind = UART_KIND_DISABLED;
static uint64_t uart_base;
static char uart_description[48] = "disabled";

/* MMIO UARTs (Intel LPSS, PCI serial cards) space their registers 4 bytes apart. */
static uint8_t uart_reg_read(unsigned int reg)
{
	if (uart_kind == UART_KIND_PORT)
		return inb((uint16_t)(uart_base + reg));
	return (uint8_t) * (volatile uint32_t *)(uintptr_t)(uart_base + reg * 4u);
}

static void uart_reg_write(unsigned int reg, uint8_t value)
{
	if (uart_kind == UART_KIND_PORT)
		outb((uint16_t)(uart_base + reg), value);
	else
		*(volatile uint32_t *)(uintptr_t)(uart_base + reg * 4u) = value;
}

void uart_init(enum uart_kind kind, uint64_t base)
{
	uart_kind = kind;
	uart_base = base;
	if (kind == UART_KIND_DISABLED) {
		format_buf(uart_description, sizeof(uart_description), "disabled");
		return;
	}
	format_buf(uart_description, sizeof(uart_description), "%s 0x%llx",
		   kind == UART_KIND_PORT ? "port" : "mmio", (unsigned long long)base);
	uart_reg_write(UART_IER, 0);
	uart_reg_write(UART_LCR, LCR_DLAB);
	uart_reg_write(UART_DLL, 1); /* 115200 baud from the standard 1.8432 MHz clock */
	uart_reg_write(UART_DLM, 0);
	uart_reg_write(UART_LCR, LCR_8N1);
	uart_reg_write(UART_FCR, FCR_ENABLE_CLEAR);
	uart_reg_write(UART_MCR, MCR_DTR_RTS);
}

bool uart_enabled(void)
{
	return uart_kind != UART_KIND_DISABLED;
}

const char *uart_describe(void)
{
	return uart_description;
}

uint64_t uart_mmio_base(void)
{
	return uart_kind == UART_KIND_MMIO ? uart_base : 0;
}

static void uart_put_byte(uint8_t c)
{
	for (int i = 0; i < UART_TX_SPIN_LIMIT; i++) {
		if (uart_reg_read(UART_LSR) & LSR_THR_EMPTY)
			break;
		cpu_relax();
	}
	uart_reg_write(UART_THR, c);
}

void uart_write(const char *text, unsigned long len)
{
	if (uart_kind == UART_KIND_DISABLED)
		return;
	for (unsigned long i = 0; i < len; i++) {
		if (text[i] == '\n')
			uart_put_byte('\r');
		uart_put_byte((uint8_t)text[i]);
	}
}

int uart_read_char(void)
{
	if (uart_kind == UART_KIND_DISABLED)
		return -1;
	if (!(uart_reg_read(UART_LSR) & LSR_DATA_READY))
		return -1;
	return uart_reg_read(UART_RBR);
}

uint64_t uart_io_port(void)
{
	return uart_kind == UART_KIND_PORT ? uart_base : 0;
}

void uart_enable_rx_interrupt(void)
{
	if (uart_kind == UART_KIND_DISABLED)
		return;
	/* OUT2 gates the UART's interrupt line onto the ISA bus on PCs. */
	uart_reg_write(UART_MCR, MCR_DTR_RTS | MCR_OUT2);
	uart_reg_write(UART_IER, IER_RX_DATA);
}

uint32_t uart_isa_irq(void)
{
	/* The PC's legacy COM ports: COM1/COM3 share IRQ 4, COM2/COM4 IRQ 3. */
	switch (uart_io_port()) {
	case 0x3f8:
	case 0x3e8:
		return 4;
	case 0x2f8:
	case 0x2e8:
		return 3;
	default:
		return UART_NO_ISA_IRQ;
	}
}
