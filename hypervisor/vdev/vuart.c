/* SPDX-License-Identifier: BSD-3-Clause */
#include "vdev/vuart.h"

#include "lib/string.h"

#define REG_DATA 0 /* RBR/THR, or DLL with LCR.DLAB */
#define REG_IER	 1 /* or DLM with LCR.DLAB */
#define REG_IIR	 2 /* FCR on write */
#define REG_LCR	 3
#define REG_MCR	 4
#define REG_LSR	 5
#define REG_MSR	 6
#define REG_SCR	 7

#define LCR_DLAB     0x80
#define IER_RX_DATA  0x01
#define IER_THR	     0x02
#define IIR_NONE     0x01
#define IIR_THR	     0x02
#define IIR_RX_DATA  0x04
#define IIR_FIFO_ON  0xc0
#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02
#define LSR_DR	     0x01
#define LSR_THRE     0x20
#define LSR_TEMT     0x40
#define MCR_DTR	     0x01
#define MCR_RTS	     0x02
#define MCR_OUT1     0x04
#define MCR_OUT2     0x08
#define MCR_LOOP     0x10
#define MSR_CTS	     0x10
#define MSR_DSR	     0x20
#define MSR_RI	     0x40
#define MSR_DCD	     0x80

void vuart_init(struct vuart *u, void (*transmit)(void *ctx, uint8_t byte), void *ctx)
{
	memset(u, 0, sizeof(*u));
	u->transmit = transmit;
	u->ctx = ctx;
	u->dll = 1; /* 115200 baud */
}

static uint8_t rx_pop(struct vuart *u)
{
	uint8_t c;

	if (!u->rx_count)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % VUART_RX_FIFO;
	u->rx_count--;
	return c;
}

bool vuart_receive(struct vuart *u, uint8_t byte)
{
	if (u->rx_count == VUART_RX_FIFO) {
		u->rx_dropped++;
		return false;
	}
	u->rx[(u->rx_head + u->rx_count) % VUART_RX_FIFO] = byte;
	u->rx_count++;
	u->rx_bytes++;
	return true;
}

static uint8_t vuart_iir(struct vuart *u)
{
	uint8_t fifo = u->fifo_enabled ? IIR_FIFO_ON : 0;

	/* Received data outranks transmitter-empty, as on the real part. */
	if ((u->ier & IER_RX_DATA) && u->rx_count)
		return fifo | IIR_RX_DATA;
	if ((u->ier & IER_THR) && u->thr_interrupt_pending) {
		/* Reading IIR with THR-empty as the source acknowledges it. */
		u->thr_interrupt_pending = false;
		return fifo | IIR_THR;
	}
	return fifo | IIR_NONE;
}

/* In loopback mode the modem-control outputs appear on the status inputs. */
static uint8_t vuart_msr(const struct vuart *u)
{
	uint8_t m = u->mcr;

	if (!(m & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	return (uint8_t)(((m & MCR_DTR) ? MSR_DSR : 0) | ((m & MCR_RTS) ? MSR_CTS : 0) |
			 ((m & MCR_OUT1) ? MSR_RI : 0) | ((m & MCR_OUT2) ? MSR_DCD : 0));
}

uint8_t vuart_read(struct vuart *u, uint32_t offset)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (offset & 7) {
	case REG_DATA:
		return dlab ? u->dll : rx_pop(u);
	case REG_IER:
		return dlab ? u->dlm : u->ier;
	case REG_IIR:
		return vuart_iir(u);
	case REG_LCR:
		return u->lcr;
	case REG_MCR:
		return u->mcr;
	case REG_LSR:
		/* Transmission is instant: the holding register is always empty. */
		return (uint8_t)(LSR_THRE | LSR_TEMT | (u->rx_count ? LSR_DR : 0));
	case REG_MSR:
		return vuart_msr(u);
	default:
		return u->scr;
	}
}

void vuart_write(struct vuart *u, uint32_t offset, uint8_t value)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (offset & 7) {
	case REG_DATA:
		if (dlab) {
			u->dll = value;
		} else if (u->mcr & MCR_LOOP) {
			vuart_receive(u, value);
		} else {
			u->tx_bytes++;
			if (u->transmit)
				u->transmit(u->ctx, value);
			u->thr_interrupt_pending = true;
		}
		break;
	case REG_IER:
		if (dlab) {
			u->dlm = value;
		} else {
			/* Enabling the THR interrupt with an empty THR raises it at once. */
			if ((value & IER_THR) && !(u->ier & IER_THR))
				u->thr_interrupt_pending = true;
			u->ier = value & 0x0f;
		}
		break;
	case REG_IIR:
		u->fifo_enabled = value & FCR_ENABLE;
		if (value & FCR_CLEAR_RX)
			u->rx_count = 0;
		break;
	case REG_LCR:
		u->lcr = value;
		break;
	case REG_MCR:
		u->mcr = value & 0x1f;
		break;
	case REG_LSR:
	case REG_MSR:
		break; /* read-only */
	default:
		u->scr = value;
		break;
	}
}

bool vuart_interrupt_pending(const struct vuart *u)
{
	if (!(u->mcr & MCR_OUT2))
		return false; /* OUT2 gates the interrupt line on PC serial ports */
	return ((u->ier & IER_RX_DATA) && u->rx_count) ||
	       ((u->ier & IER_THR) && u->thr_interrupt_pending);
}
