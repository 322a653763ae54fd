// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal 16550A UART for pvkit-hv, enough for a distro kernel's
 * console=ttyS0 until pvkit's own console takes over: transmit goes to
 * the guest console on standard output (console.c); receive reads the
 * host's serial input queue (vm->serial_in, console_in.c: "ctl
 * serial-send", --serial-stdin) a byte at a time, with data-ready in the
 * line status; the receive and transmit-empty interrupts are raised on
 * the ISA IRQ line; the modem/loopback/FIFO registers answer the way the
 * kernel's 8250 driver probes them. Bytes wait in the host's queue, not
 * in a 16-byte FIFO, so a FIFO reset does not drop them, and they show
 * only while the receive interrupt is on (the driver has the port open)
 * and not in loopback mode.
 */
#include <stdlib.h>

#include "hv.h"

enum {
	UART_RX_TX = 0, UART_IER = 1, UART_IIR_FCR = 2, UART_LCR = 3,
	UART_MCR = 4, UART_LSR = 5, UART_MSR = 6, UART_SCR = 7,
};

#define IER_RDI		0x01
#define IER_THRI	0x02
#define IIR_NO_INT	0x01
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_FIFO_ON	0xc0
#define FCR_FIFO_ON	0x01
#define LCR_DLAB	0x80
#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
#define LSR_DR		0x01
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80

struct uart {
	struct vm *vm;
	pthread_mutex_t lock;
	unsigned int irq;
	uint8_t ier, fcr, lcr, mcr, scr, dll, dlm;
	bool thri_pending;
	int irq_level;
};

struct uart *uart__create(struct vm *vm, unsigned int irq)
{
	struct uart *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->vm = vm;
	u->irq = irq;
	u->mcr = MCR_OUT2;
	pthread_mutex_init(&u->lock, NULL);
	return u;
}

/*
 * Whether a received byte waits: only while the driver takes input (its
 * receive interrupt on), so that the 8250 driver's start-up, which reads
 * the receive register to clear it before turning that interrupt on,
 * takes nothing from the host's queue; none in loopback mode.
 */
static bool uart_rx_ready(struct uart *u)
{
	return (u->ier & IER_RDI) && !(u->mcr & MCR_LOOP) &&
	       input__pending(u->vm, &u->vm->serial_in);
}

/* The highest-priority pending interrupt: received data, then THRE. */
static uint8_t uart_iir(struct uart *u)
{
	uint8_t fifo = (u->fcr & FCR_FIFO_ON) ? IIR_FIFO_ON : 0;

	if ((u->ier & IER_RDI) && uart_rx_ready(u))
		return IIR_RDI | fifo;
	if ((u->ier & IER_THRI) && u->thri_pending)
		return IIR_THRI | fifo;
	return IIR_NO_INT | fifo;
}

static uint8_t uart_msr(struct uart *u)
{
	uint8_t m = u->mcr;

	if (!(m & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	return (m & MCR_OUT2 ? MSR_DCD : 0) | (m & MCR_OUT1 ? MSR_RI : 0) |
	       (m & MCR_DTR ? MSR_DSR : 0) | (m & MCR_RTS ? MSR_CTS : 0);
}

/* The line is raised while an enabled interrupt is pending and OUT2 is set. */
static void uart_update_irq(struct uart *u)
{
	int level = !(uart_iir(u) & IIR_NO_INT) && (u->mcr & MCR_OUT2);

	if (level != u->irq_level) {
		u->irq_level = level;
		kvm__irq_line(u->vm, u->irq, level);
	}
}

static void uart_write(struct uart *u, unsigned int reg, uint8_t v)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case UART_RX_TX:
		if (dlab) {
			u->dll = v;
		} else {
			if (!(u->mcr & MCR_LOOP))
				console__write(u->vm, CONSOLE_UART, &v, 1);
			u->thri_pending = true;
		}
		break;
	case UART_IER:
		if (dlab) {
			u->dlm = v;
		} else {
			if ((v & IER_THRI) && !(u->ier & IER_THRI))
				u->thri_pending = true;
			u->ier = v & 0x0f;
		}
		break;
	case UART_IIR_FCR:
		u->fcr = v & 0xc9;
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		u->mcr = v & 0x1f;
		break;
	case UART_SCR:
		u->scr = v;
		break;
	}
}

static uint8_t uart_read(struct uart *u, unsigned int reg)
{
	bool dlab = u->lcr & LCR_DLAB;
	uint8_t v;

	switch (reg) {
	case UART_RX_TX:
		if (dlab)
			return u->dll;
		if (uart_rx_ready(u) &&
		    input__read(u->vm, &u->vm->serial_in, &v, 1) == 1)
			return v;
		return 0;
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR_FCR:
		v = uart_iir(u);
		if ((v & 0x0f) == IIR_THRI)
			u->thri_pending = false;
		return v;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return LSR_THRE | LSR_TEMT | (uart_rx_ready(u) ? LSR_DR : 0);
	case UART_MSR:
		return uart_msr(u);
	default:
		return u->scr;
	}
}

void uart__io(struct uart *uart, uint16_t reg, bool write, uint8_t *data)
{
	pthread_mutex_lock(&uart->lock);
	if (write)
		uart_write(uart, reg, *data);
	else
		*data = uart_read(uart, reg);
	uart_update_irq(uart);
	pthread_mutex_unlock(&uart->lock);
}

void uart__input_arrived(struct vm *vm)
{
	struct uart *u = vm->uart;

	if (!u)
		return;
	pthread_mutex_lock(&u->lock);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

bool uart__receiving(struct vm *vm)
{
	struct uart *u = vm->uart;
	bool on;

	if (!u)
		return false;
	pthread_mutex_lock(&u->lock);
	on = (u->ier & IER_RDI) && (u->mcr & MCR_OUT2);
	pthread_mutex_unlock(&u->lock);
	return on;
}
