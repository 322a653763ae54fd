// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of pvkit-hv's UART receiver, built with ASan and UBSan, as
 * the kernel's 8250 driver sees it: input the host queued ("ctl
 * serial-send") shows as data-ready in the line status and reads out of
 * the receive register a byte at a time, in order, once the driver turns
 * its receive interrupt on (not before: the driver's start-up reads the
 * register to clear it); that interrupt comes before transmit-empty,
 * and drops when the queue is empty; loopback mode and the divisor latch
 * hide the queue without losing it; a refused line queues nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "doubles.h"

#define COM1_IRQ_LINE	4U

enum { RBR = 0, IER = 1, IIR = 2, LCR = 3, MCR = 4, LSR = 5 };

FIXTURE(uart) {
	struct vm *vm;
	char answer[2048];
};

FIXTURE_SETUP(uart)
{
	self->vm = double_vm_create(1 << 20);
	ASSERT_NE(NULL, self->vm);
	double_reset(self->vm);
	self->vm->uart = uart__create(self->vm, COM1_IRQ_LINE);
	ASSERT_NE(NULL, self->vm->uart);
}

FIXTURE_TEARDOWN(uart)
{
	free(self->vm->uart);
	double_vm_destroy(self->vm);
}

static uint8_t in(struct vm *vm, uint16_t reg)
{
	uint8_t v = 0xff;

	uart__io(vm->uart, reg, false, &v);
	return v;
}

static void out(struct vm *vm, uint16_t reg, uint8_t v)
{
	uart__io(vm->uart, reg, true, &v);
}

/* "serial-send @text"; its status, the answer in self->answer. */
static int send(struct vm *vm, const char *text, char *answer, size_t size)
{
	FILE *f = fmemopen(answer, size, "w");
	int ret;

	ret = serial_in__ctl_send(vm, text, f);
	fclose(f);
	return ret;
}

/* What the driver's interrupt handler would read: until no data-ready. */
static size_t drain(struct vm *vm, char *buf, size_t max)
{
	size_t n = 0;

	while (n < max && (in(vm, LSR) & 0x01))
		buf[n++] = in(vm, RBR);
	return n;
}

/* The 8250 driver's start-up: OUT2 on, then receive interrupts. */
static void driver_opens(struct vm *vm)
{
	out(vm, MCR, 0x0b);
	out(vm, IER, 0x01);
}

TEST_F(uart, input_waits_until_the_driver_takes_it)
{
	char got[16];

	EXPECT_FALSE(uart__receiving(self->vm));
	ASSERT_EQ(0, send(self->vm, "hi", self->answer, sizeof(self->answer)));
	EXPECT_NE(NULL, strstr(self->answer, "ok: 3 bytes queued for the guest's serial port; its receive interrupt is off"));
	/*
	 * nothing shows and nothing is taken before the driver turns the
	 * receive interrupt on: its start-up reads RBR to clear it
	 */
	EXPECT_EQ(0, in(self->vm, LSR) & 0x01);
	EXPECT_EQ(0, in(self->vm, RBR));
	EXPECT_EQ(0, in(self->vm, RBR));
	EXPECT_EQ(3U, self->vm->serial_in.len);
	EXPECT_EQ(0, double_record.irq_edges);
	EXPECT_EQ(0x01, in(self->vm, IIR) & 0x0f);

	driver_opens(self->vm);
	EXPECT_TRUE(uart__receiving(self->vm));
	EXPECT_EQ(1, double_record.irq_edges);
	EXPECT_EQ(COM1_IRQ_LINE, double_record.irq_last);
	EXPECT_EQ(0x04, in(self->vm, IIR) & 0x0f);
	ASSERT_EQ(3U, drain(self->vm, got, sizeof(got)));
	EXPECT_EQ(0, memcmp(got, "hi\n", 3));
	EXPECT_EQ(0, double_record.irq_level);
	EXPECT_EQ(0x01, in(self->vm, IIR) & 0x0f);
	EXPECT_EQ(3U, self->vm->serial_in.delivered);
	/* nothing left: the receive register reads 0 */
	EXPECT_EQ(0, in(self->vm, RBR));
}

TEST_F(uart, each_arrival_raises_the_line_again)
{
	char got[8];

	driver_opens(self->vm);
	EXPECT_EQ(0, double_record.irq_edges);
	ASSERT_EQ(0, send(self->vm, "a", self->answer, sizeof(self->answer)));
	EXPECT_NE(NULL, strstr(self->answer, "ok: 2 bytes queued for the guest's serial port\n"));
	EXPECT_EQ(1, double_record.irq_edges);
	ASSERT_EQ(2U, drain(self->vm, got, sizeof(got)));
	EXPECT_EQ(0, double_record.irq_level);
	ASSERT_EQ(0, send(self->vm, "b", self->answer, sizeof(self->answer)));
	EXPECT_EQ(2, double_record.irq_edges);
	ASSERT_EQ(2U, drain(self->vm, got, sizeof(got)));
	EXPECT_EQ(0, memcmp(got, "b\n", 2));
}

TEST_F(uart, received_data_comes_before_transmit_empty)
{
	char got[8];

	out(self->vm, MCR, 0x08);
	out(self->vm, IER, 0x03);	/* both: THRE pending at once */
	ASSERT_EQ(0, send(self->vm, "x", self->answer, sizeof(self->answer)));
	EXPECT_EQ(0x04, in(self->vm, IIR) & 0x0f);
	ASSERT_EQ(2U, drain(self->vm, got, sizeof(got)));
	EXPECT_EQ(0x02, in(self->vm, IIR) & 0x0f);
	EXPECT_EQ(0x01, in(self->vm, IIR) & 0x0f);
	EXPECT_EQ(0, double_record.irq_level);
}

TEST_F(uart, loopback_and_divisor_latch_keep_the_input)
{
	char got[8];

	ASSERT_EQ(0, send(self->vm, "k", self->answer, sizeof(self->answer)));
	out(self->vm, MCR, 0x18);	/* loopback, as the driver's probe */
	out(self->vm, IER, 0x01);
	EXPECT_EQ(0, in(self->vm, LSR) & 0x01);
	EXPECT_EQ(0, double_record.irq_edges);
	out(self->vm, MCR, 0x08);
	EXPECT_EQ(1, double_record.irq_edges);
	out(self->vm, LCR, 0x80);	/* divisor latch: RBR is DLL */
	out(self->vm, RBR, 0x0c);
	EXPECT_EQ(0x0c, in(self->vm, RBR));
	out(self->vm, LCR, 0x03);
	/* a FIFO reset does not drop what the host holds */
	out(self->vm, IIR, 0x07);
	ASSERT_EQ(2U, drain(self->vm, got, sizeof(got)));
	EXPECT_EQ(0, memcmp(got, "k\n", 2));
}

TEST_F(uart, a_line_that_does_not_fit_queues_nothing)
{
	char text[CONSOLE_SEND_MAX + 2];

	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	EXPECT_EQ(-1, send(self->vm, text, self->answer, sizeof(self->answer)));
	EXPECT_NE(NULL, strstr(self->answer, "error: serial-send takes at most 1024 bytes"));
	text[CONSOLE_SEND_MAX] = '\0';
	/* three lines of 1025 bytes leave 1021 of the 4096 */
	EXPECT_EQ(0, send(self->vm, text, self->answer, sizeof(self->answer)));
	EXPECT_EQ(0, send(self->vm, text, self->answer, sizeof(self->answer)));
	EXPECT_EQ(0, send(self->vm, text, self->answer, sizeof(self->answer)));
	EXPECT_EQ(-1, send(self->vm, text, self->answer, sizeof(self->answer)));
	EXPECT_NE(NULL, strstr(self->answer, "error: the guest's serial input has room for 1021 bytes, the line needs 1025: nothing was sent (is something in the guest reading /dev/ttyS0?)"));
	EXPECT_EQ(3 * 1025U, self->vm->serial_in.len);
	EXPECT_EQ(1025U, self->vm->serial_in.refused);
	/* pvkit's console queue is another queue */
	EXPECT_EQ(0U, self->vm->console_in.len);
}

TEST_HARNESS_MAIN
