/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A virtual 16550 UART: the register model only (no VMX), so it runs in
 * the hypervisor and in host tests. Transmitted bytes go to a callback;
 * received bytes wait in a FIFO until the guest reads them.
 */
#ifndef HV_VDEV_VUART_H
#define HV_VDEV_VUART_H

#include <stdbool.h>
#include <stdint.h>

#define VUART_RX_FIFO 64

struct vuart {
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	bool fifo_enabled;
	bool thr_interrupt_pending; /* THR-empty interrupt not yet acknowledged by reading IIR */
	uint8_t rx[VUART_RX_FIFO];
	uint32_t rx_head, rx_count;
	uint64_t tx_bytes, rx_bytes, rx_dropped;
	void (*transmit)(void *ctx, uint8_t byte);
	void *ctx;
};

void vuart_init(struct vuart *u, void (*transmit)(void *ctx, uint8_t byte), void *ctx);
/* Register access at offset 0..7 from the base port. */
uint8_t vuart_read(struct vuart *u, uint32_t offset);
void vuart_write(struct vuart *u, uint32_t offset, uint8_t value);
/* Queues a byte for the guest; false (and counted as dropped) when the FIFO is full. */
bool vuart_receive(struct vuart *u, uint8_t byte);
/* True while the UART asserts its interrupt line (for the virtual interrupt controller). */
bool vuart_interrupt_pending(const struct vuart *u);

#endif
