// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of pvkit-hv's hypercall dispatcher and guest-memory checks,
 * built with ASan and UBSan: every call's result for good and hostile
 * arguments, the CPL rule, bounds and wrap-around on guest addresses,
 * that a refused call has no side effect, and the host-to-guest events:
 * posted only once enabled, one edge on the line each, fetched once;
 * the PCI configuration calls see what the 0xcf8/0xcfc ports see.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "kselftest_harness.h"
#include "doubles.h"
#include "../hypercall.h"
#include "../pci.h"

#define RAM	(1 << 20)

FIXTURE(hc) {
	struct vm *vm;
	struct vcpu *vcpu;
};

FIXTURE_SETUP(hc)
{
	self->vm = double_vm_create(RAM);
	ASSERT_NE(NULL, self->vm);
	self->vcpu = &self->vm->vcpus[0];
	double_reset(self->vm);
}

FIXTURE_TEARDOWN(hc)
{
	double_vm_destroy(self->vm);
}

static int64_t call4(struct vcpu *vcpu, unsigned int cpl, uint32_t nr,
		     uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	uint64_t arg[PVKIT_HC_NARGS] = { a0, a1, a2, a3 };

	return hypercall__dispatch(vcpu, cpl, nr, arg);
}

static int64_t call(struct vcpu *vcpu, unsigned int cpl, uint32_t nr,
		    uint64_t a0, uint64_t a1)
{
	return call4(vcpu, cpl, nr, a0, a1, 0, 0);
}

TEST_F(hc, version_and_features)
{
	EXPECT_EQ(PVKIT_ABI_VERSION_CURRENT,
		  call(self->vcpu, 0, PVKIT_HC_VERSION, 0, 0));
	EXPECT_EQ((int64_t)HYPERCALL_FEATURES,
		  call(self->vcpu, 0, PVKIT_HC_FEATURES, 0, 0));
}

TEST_F(hc, ping_echoes_and_bounds_its_cookie)
{
	EXPECT_EQ(12345, call(self->vcpu, 0, PVKIT_HC_PING, 12345, 0));
	EXPECT_EQ(INT64_MAX, call(self->vcpu, 0, PVKIT_HC_PING, INT64_MAX, 0));
	EXPECT_EQ(PVKIT_EINVAL,
		  call(self->vcpu, 0, PVKIT_HC_PING, (uint64_t)INT64_MAX + 1, 0));
}

TEST_F(hc, unknown_call_is_enosys_and_counted)
{
	EXPECT_EQ(PVKIT_ENOSYS, call(self->vcpu, 0, 0x7777, 0, 0));
	EXPECT_EQ(PVKIT_ENOSYS, call(self->vcpu, 0, PVKIT_HC_DEVICE_ENUM, 0, 0));
	EXPECT_EQ(2U, self->vm->stats.hypercalls);
	EXPECT_EQ(2U, self->vm->stats.hypercall_errors);
}

TEST_F(hc, cpl3_is_refused_without_side_effects)
{
	memcpy(self->vm->ram + 4096, "secret", 6);
	EXPECT_EQ(PVKIT_EPERM,
		  call(self->vcpu, 3, PVKIT_HC_CONSOLE_WRITE, 4096, 6));
	EXPECT_EQ(PVKIT_EPERM, call(self->vcpu, 3, PVKIT_HC_POWER_OFF, 0, 0));
	EXPECT_EQ(PVKIT_EPERM, call(self->vcpu, 1, PVKIT_HC_PING, 1, 0));
	EXPECT_EQ(PVKIT_EPERM, call(self->vcpu, 3, 0x7777, 0, 0));
	EXPECT_EQ(0U, double_record.console_len);
	EXPECT_EQ(0, double_record.finish_calls);
}

TEST_F(hc, console_write_checks_bounds)
{
	memcpy(self->vm->ram + 4096, "hello\n", 6);
	EXPECT_EQ(6, call(self->vcpu, 0, PVKIT_HC_CONSOLE_WRITE, 4096, 6));
	ASSERT_EQ(6U, double_record.console_len);
	EXPECT_EQ(0, memcmp(double_record.console, "hello\n", 6));

	EXPECT_EQ(0, call(self->vcpu, 0, PVKIT_HC_CONSOLE_WRITE, 0, 0));
	EXPECT_EQ(PVKIT_E2BIG, call(self->vcpu, 0, PVKIT_HC_CONSOLE_WRITE, 0,
				    HYPERCALL_CONSOLE_MAX + 1));
	EXPECT_EQ(PVKIT_EFAULT,
		  call(self->vcpu, 0, PVKIT_HC_CONSOLE_WRITE, RAM, 1));
	EXPECT_EQ(PVKIT_EFAULT,
		  call(self->vcpu, 0, PVKIT_HC_CONSOLE_WRITE, RAM - 2, 3));
	EXPECT_EQ(PVKIT_EFAULT, call(self->vcpu, 0, PVKIT_HC_CONSOLE_WRITE,
				     UINT64_MAX - 1, 4));
	EXPECT_EQ(2, call(self->vcpu, 0, PVKIT_HC_CONSOLE_WRITE, RAM - 2, 2));
	EXPECT_EQ(8U, double_record.console_len);
}

TEST_F(hc, console_read_with_nothing_waiting_is_zero)
{
	memset(self->vm->ram + 4096, 0xee, 16);
	EXPECT_EQ(0, call(self->vcpu, 0, PVKIT_HC_CONSOLE_READ, 4096, 16));
	EXPECT_EQ(0, call(self->vcpu, 0, PVKIT_HC_CONSOLE_READ, 4096, 0));
	EXPECT_EQ(0xee, self->vm->ram[4096]);
	EXPECT_EQ(0U, self->vm->stats.hypercall_errors);
}

TEST_F(hc, console_read_checks_bounds_and_consumes_nothing_on_error)
{
	uint8_t *ram = self->vm->ram;

	ASSERT_EQ(0, console_in__push(self->vm, "abc", 3, NULL));
	EXPECT_EQ(PVKIT_E2BIG, call(self->vcpu, 0, PVKIT_HC_CONSOLE_READ, 0,
				    HYPERCALL_CONSOLE_MAX + 1));
	EXPECT_EQ(PVKIT_E2BIG, call(self->vcpu, 0, PVKIT_HC_CONSOLE_READ, 0,
				    UINT64_MAX));
	EXPECT_EQ(PVKIT_EFAULT,
		  call(self->vcpu, 0, PVKIT_HC_CONSOLE_READ, RAM, 1));
	EXPECT_EQ(PVKIT_EFAULT,
		  call(self->vcpu, 0, PVKIT_HC_CONSOLE_READ, RAM - 2, 3));
	EXPECT_EQ(PVKIT_EFAULT, call(self->vcpu, 0, PVKIT_HC_CONSOLE_READ,
				     UINT64_MAX - 1, 4));
	EXPECT_EQ(PVKIT_EINVAL, call4(self->vcpu, 0, PVKIT_HC_CONSOLE_READ,
				      4096, 3, 1, 0));
	EXPECT_EQ(PVKIT_EINVAL, call4(self->vcpu, 0, PVKIT_HC_CONSOLE_READ,
				      4096, 3, 0, 1));
	EXPECT_EQ(PVKIT_EPERM,
		  call(self->vcpu, 3, PVKIT_HC_CONSOLE_READ, 4096, 3));
	EXPECT_EQ(8U, self->vm->stats.hypercall_errors);

	/* all of it is still there, and fits at the very end of RAM */
	EXPECT_EQ(3, call(self->vcpu, 0, PVKIT_HC_CONSOLE_READ, RAM - 3, 3));
	EXPECT_EQ(0, memcmp(ram + RAM - 3, "abc", 3));
}

TEST_F(hc, console_read_takes_what_fits_in_order)
{
	uint8_t *ram = self->vm->ram;
	char big[CONSOLE_IN_MAX];
	int i;

	memset(ram + 4096, 0, 64);
	ASSERT_EQ(0, console_in__push(self->vm, "hello\n", 6, NULL));
	ASSERT_EQ(0, console_in__push(self->vm, "world\n", 6, NULL));
	EXPECT_EQ(4, call(self->vcpu, 0, PVKIT_HC_CONSOLE_READ, 4096, 4));
	EXPECT_EQ(0, memcmp(ram + 4096, "hell", 4));
	EXPECT_EQ(0, ram[4100]);		/* not past the length */
	EXPECT_EQ(8, call(self->vcpu, 0, PVKIT_HC_CONSOLE_READ, 4096, 64));
	EXPECT_EQ(0, memcmp(ram + 4096, "o\nworld\n", 8));
	EXPECT_EQ(0, call(self->vcpu, 0, PVKIT_HC_CONSOLE_READ, 4096, 64));

	/* around the ring's end: full, half read, refilled, read whole */
	for (i = 0; i < CONSOLE_IN_MAX; i++)
		big[i] = 'A' + i % 26;
	ASSERT_EQ(0, console_in__push(self->vm, big, CONSOLE_IN_MAX, NULL));
	EXPECT_EQ(-ENOSPC, console_in__push(self->vm, "x", 1, NULL));
	EXPECT_EQ(CONSOLE_IN_MAX / 2, call(self->vcpu, 0, PVKIT_HC_CONSOLE_READ,
					   8192, CONSOLE_IN_MAX / 2));
	ASSERT_EQ(0, console_in__push(self->vm, big, CONSOLE_IN_MAX / 2, NULL));
	EXPECT_EQ(CONSOLE_IN_MAX, call(self->vcpu, 0, PVKIT_HC_CONSOLE_READ,
				       8192, HYPERCALL_CONSOLE_MAX));
	EXPECT_EQ(0, memcmp(ram + 8192, big + CONSOLE_IN_MAX / 2,
			    CONSOLE_IN_MAX / 2));
	EXPECT_EQ(0, memcmp(ram + 8192 + CONSOLE_IN_MAX / 2, big,
			    CONSOLE_IN_MAX / 2));
}

TEST_F(hc, console_input_raises_the_event_once_enabled)
{
	EXPECT_NE(0U, HYPERCALL_EVENTS & PVKIT_EV_CONSOLE_IN);
	ASSERT_EQ(0, console_in__push(self->vm, "a", 1, NULL));
	EXPECT_EQ(0, double_record.irq_edges);
	EXPECT_EQ(0, call(self->vcpu, 0, PVKIT_HC_EVENT_ENABLE,
			  PVKIT_EV_CONSOLE_IN, 0));
	ASSERT_EQ(0, console_in__push(self->vm, "b", 1, NULL));
	EXPECT_EQ(1, double_record.irq_edges);
	EXPECT_EQ(PVKIT_EV_CONSOLE_IN,
		  call(self->vcpu, 0, PVKIT_HC_EVENT_FETCH, 0, 0));
	/* a refused push posts nothing */
	EXPECT_EQ(-ENOSPC, console_in__push(self->vm, self->vm->ram,
					    CONSOLE_IN_MAX, NULL));
	EXPECT_EQ(1, double_record.irq_edges);
	EXPECT_EQ(2, call(self->vcpu, 0, PVKIT_HC_CONSOLE_READ, 0, 2));
	EXPECT_EQ(0, memcmp(self->vm->ram, "ab", 2));
}

TEST_F(hc, console_stdin_reader_waits_for_room_and_loses_nothing)
{
	static char sent[3 * CONSOLE_IN_MAX], got[sizeof(sent)];
	time_t deadline = time(NULL) + 10;
	size_t have = 0;
	int fd[2], i;

	for (i = 0; i < (int)sizeof(sent); i++)
		sent[i] = ' ' + i % 95;
	ASSERT_EQ(0, pipe(fd));
	ASSERT_EQ(0, input__start_reader(self->vm, &self->vm->console_in, fd[0]));
	/* more than the pipe and the buffer hold: the writer waits too */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(CONSOLE_IN_MAX, write(fd[1], sent + i * CONSOLE_IN_MAX,
						CONSOLE_IN_MAX));
		while (have < (size_t)(i + 1) * CONSOLE_IN_MAX &&
		       time(NULL) < deadline)
			have += console_in__read(self->vm, got + have,
						 sizeof(got) - have);
	}
	close(fd[1]);
	EXPECT_EQ(sizeof(sent), have);
	EXPECT_EQ(0, memcmp(sent, got, sizeof(sent)));
	EXPECT_EQ(sizeof(sent), self->vm->console_in.accepted);
}

TEST_F(hc, rng_fill_fills_exactly_the_buffer)
{
	uint8_t *ram = self->vm->ram;
	unsigned int i, zero = 0;

	memset(ram + 8192, 0, 3 * 4096);
	EXPECT_EQ(4096, call(self->vcpu, 0, PVKIT_HC_RNG_FILL, 12288, 4096));
	/* 4096 random bytes with more than 64 zeros: about 1 in 10^9 */
	for (i = 0; i < 4096; i++)
		zero += !ram[12288 + i];
	EXPECT_GT(64U, zero);
	/* nothing written before or after */
	for (i = 0; i < 4096; i++) {
		ASSERT_EQ(0, ram[8192 + i]);
		ASSERT_EQ(0, ram[16384 + i]);
	}
	EXPECT_EQ(0, call(self->vcpu, 0, PVKIT_HC_RNG_FILL, 8192, 0));
	EXPECT_EQ(PVKIT_E2BIG, call(self->vcpu, 0, PVKIT_HC_RNG_FILL, 0,
				    HYPERCALL_RNG_MAX + 1));
	EXPECT_EQ(PVKIT_EFAULT, call(self->vcpu, 0, PVKIT_HC_RNG_FILL, RAM - 8,
				     16));
	EXPECT_EQ(PVKIT_EFAULT, call(self->vcpu, 0, PVKIT_HC_RNG_FILL,
				     UINT64_MAX - 3, 8));
	EXPECT_EQ(PVKIT_EPERM, call(self->vcpu, 3, PVKIT_HC_RNG_FILL, 8192, 16));
	for (i = 0; i < 16; i++)
		ASSERT_EQ(0, ram[8192 + i]);
}

TEST_F(hc, clock_read_pairs_host_time_with_the_tsc)
{
	struct pvkit_clock_sample sample;
	struct timespec ts;
	uint64_t now;

	double_record.tsc = 123456789;
	double_record.tsc_khz = 2500000;
	memset(self->vm->ram + 4096, 0xee, 64);
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	EXPECT_EQ(0, call(self->vcpu, 0, PVKIT_HC_CLOCK_READ, 4096, 0));
	memcpy(&sample, self->vm->ram + 4096, sizeof(sample));
	EXPECT_EQ(123456789ULL, sample.guest_tsc);
	EXPECT_EQ(2500000U, sample.tsc_khz);
	EXPECT_EQ(0U, sample.flags);
	EXPECT_LE(now, sample.realtime_ns);
	EXPECT_GT(now + 1000000000ULL, sample.realtime_ns);
	/* only the sample is written */
	EXPECT_EQ(0xee, self->vm->ram[4096 + sizeof(sample)]);

	EXPECT_EQ(PVKIT_EINVAL, call(self->vcpu, 0, PVKIT_HC_CLOCK_READ, 4100, 0));
	EXPECT_EQ(PVKIT_EINVAL, call(self->vcpu, 0, PVKIT_HC_CLOCK_READ, 4096, 1));
	EXPECT_EQ(PVKIT_EFAULT, call(self->vcpu, 0, PVKIT_HC_CLOCK_READ,
				     RAM - 16, 0));
	EXPECT_EQ(PVKIT_EPERM, call(self->vcpu, 3, PVKIT_HC_CLOCK_READ, 4096, 0));
	double_record.tsc_khz = 0;
	EXPECT_EQ(PVKIT_EIO, call(self->vcpu, 0, PVKIT_HC_CLOCK_READ, 4096, 0));
}

TEST_F(hc, crash_reports_a_clean_reason)
{
	memcpy(self->vm->ram + 100, "oops\n\x01\x7f!", 8);
	EXPECT_EQ(PVKIT_EFAULT, call(self->vcpu, 0, PVKIT_HC_CRASH, RAM, 8));
	EXPECT_EQ(0, double_record.finish_calls);
	EXPECT_EQ(0, call(self->vcpu, 0, PVKIT_HC_CRASH, 100, 8));
	EXPECT_EQ(1, double_record.finish_calls);
	EXPECT_EQ(HV_EXIT_CRASH, (int)double_record.finish_code);
	/* Longer than the limit is cut, not refused. */
	EXPECT_EQ(0, call(self->vcpu, 0, PVKIT_HC_CRASH, 0,
			  HYPERCALL_CRASH_MAX * 4));
}

TEST_F(hc, power_calls_end_the_vm)
{
	EXPECT_EQ(0, call(self->vcpu, 0, PVKIT_HC_REBOOT, 0, 0));
	EXPECT_EQ(HV_EXIT_REBOOT, (int)double_record.finish_code);
	EXPECT_EQ(0, call(self->vcpu, 0, PVKIT_HC_POWER_OFF, 0, 0));
	EXPECT_EQ(HV_EXIT_POWEROFF, (int)double_record.finish_code);
}

TEST_F(hc, events_are_posted_only_once_enabled)
{
	EXPECT_NE(0ULL, HYPERCALL_FEATURES & PVKIT_F_EVENTS);
	EXPECT_FALSE(events__post(self->vm, PVKIT_EV_SHUTDOWN));
	EXPECT_EQ(0, double_record.irq_edges);
	EXPECT_EQ(0, call(self->vcpu, 0, PVKIT_HC_EVENT_FETCH, 0, 0));

	EXPECT_EQ(0, call(self->vcpu, 0, PVKIT_HC_EVENT_ENABLE,
			  PVKIT_EV_SHUTDOWN, 0));
	EXPECT_EQ(PVKIT_EV_SHUTDOWN, events__enabled(self->vm));
	EXPECT_FALSE(events__post(self->vm, PVKIT_EV_REBOOT));
	EXPECT_TRUE(events__post(self->vm, PVKIT_EV_SHUTDOWN));
	EXPECT_EQ(1, double_record.irq_edges);
	EXPECT_EQ((unsigned int)HV_EVENTS_IRQ, double_record.irq_last);
	EXPECT_EQ(0, double_record.irq_level);
	EXPECT_EQ(0, double_record.finish_calls);
}

TEST_F(hc, event_fetch_returns_and_clears)
{
	EXPECT_EQ(0, call(self->vcpu, 0, PVKIT_HC_EVENT_ENABLE,
			  HYPERCALL_EVENTS, 0));
	EXPECT_TRUE(events__post(self->vm, PVKIT_EV_SHUTDOWN));
	EXPECT_TRUE(events__post(self->vm, PVKIT_EV_REBOOT));
	EXPECT_EQ(2, double_record.irq_edges);
	EXPECT_EQ(PVKIT_EV_SHUTDOWN | PVKIT_EV_REBOOT,
		  call(self->vcpu, 0, PVKIT_HC_EVENT_FETCH, 0, 0));
	EXPECT_EQ(0, call(self->vcpu, 0, PVKIT_HC_EVENT_FETCH, 0, 0));
}

TEST_F(hc, event_enable_fires_what_is_pending)
{
	EXPECT_EQ(0, call(self->vcpu, 0, PVKIT_HC_EVENT_ENABLE,
			  HYPERCALL_EVENTS, 0));
	EXPECT_TRUE(events__post(self->vm, PVKIT_EV_REBOOT));
	/* A guest that turns events off drops what it did not fetch. */
	EXPECT_EQ(0, call(self->vcpu, 0, PVKIT_HC_EVENT_ENABLE, 0, 0));
	EXPECT_EQ(0U, events__enabled(self->vm));
	EXPECT_EQ(0, call(self->vcpu, 0, PVKIT_HC_EVENT_FETCH, 0, 0));

	EXPECT_EQ(0, call(self->vcpu, 0, PVKIT_HC_EVENT_ENABLE,
			  HYPERCALL_EVENTS, 0));
	EXPECT_TRUE(events__post(self->vm, PVKIT_EV_SHUTDOWN));
	EXPECT_EQ(2, double_record.irq_edges);
	/* Re-enabling with an event pending raises the line again. */
	EXPECT_EQ(0, call(self->vcpu, 0, PVKIT_HC_EVENT_ENABLE,
			  HYPERCALL_EVENTS, 0));
	EXPECT_EQ(3, double_record.irq_edges);
	EXPECT_EQ(PVKIT_EV_SHUTDOWN,
		  call(self->vcpu, 0, PVKIT_HC_EVENT_FETCH, 0, 0));
}

TEST_F(hc, event_calls_refuse_bad_arguments)
{
	EXPECT_EQ(PVKIT_EINVAL, call(self->vcpu, 0, PVKIT_HC_EVENT_ENABLE,
				     PVKIT_EV_ALL + 1, 0));
	EXPECT_EQ(PVKIT_EINVAL, call(self->vcpu, 0, PVKIT_HC_EVENT_ENABLE,
				     1ULL << 32 | PVKIT_EV_SHUTDOWN, 0));
	EXPECT_EQ(PVKIT_EINVAL, call4(self->vcpu, 0, PVKIT_HC_EVENT_ENABLE,
				      PVKIT_EV_SHUTDOWN, 0, 0, 1));
	EXPECT_EQ(0U, events__enabled(self->vm));
	EXPECT_EQ(PVKIT_EINVAL, call(self->vcpu, 0, PVKIT_HC_EVENT_FETCH, 1, 0));
	EXPECT_EQ(PVKIT_EPERM, call(self->vcpu, 3, PVKIT_HC_EVENT_ENABLE,
				    HYPERCALL_EVENTS, 0));
	EXPECT_EQ(0U, events__enabled(self->vm));
	EXPECT_EQ(0, double_record.irq_edges);
}

TEST_F(hc, guest_mem_refuses_ranges_outside_ram)
{
	EXPECT_NE(NULL, guest_mem__ptr(self->vm, 0, RAM));
	EXPECT_NE(NULL, guest_mem__ptr(self->vm, RAM - 1, 1));
	EXPECT_EQ(NULL, guest_mem__ptr(self->vm, 1, RAM));
	EXPECT_EQ(NULL, guest_mem__ptr(self->vm, RAM, 0));
	EXPECT_EQ(NULL, guest_mem__ptr(self->vm, UINT64_MAX, 2));
	EXPECT_EQ(NULL, guest_mem__ptr(self->vm, 4096, UINT64_MAX));
}

TEST_F(hc, stats_name_every_slot)
{
	unsigned int i;

	for (i = 0; hypercall__slot_name(i); i++)
		;
	EXPECT_LE(i, (unsigned int)HV_HC_SLOTS);
	EXPECT_STREQ("unknown", hypercall__slot_name(i - 1));
}

/* The host bridge at 00:00.0, the only device of a bare double VM. */
TEST_F(hc, pci_calls_match_the_ports)
{
	const uint32_t bridge = PVKIT_PCI_SBDF(0, 0, 0);
	uint32_t addr = 0x80000000U | 4, cmd = 0;

	EXPECT_EQ(1, call(self->vcpu, 0, PVKIT_HC_PCI_SLOTS, 0, 0));
	EXPECT_EQ(0, call(self->vcpu, 0, PVKIT_HC_PCI_SLOTS, 1, 0));
	EXPECT_EQ(0, call(self->vcpu, 0, PVKIT_HC_PCI_SLOTS, 1 << 8, 0));
	EXPECT_EQ(0x1b36, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_READ,
				bridge, 0, 2, 0));
	EXPECT_EQ(0x00081b36, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_READ,
				    bridge, 0, 4, 0));
	EXPECT_EQ(0x36, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_READ,
			      bridge, 0, 1, 0));
	/* nothing at slot 1, function 1, bus 1, segment 1, beyond 256 */
	EXPECT_EQ(0xffff, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_READ,
				PVKIT_PCI_SBDF(0, 0, 8), 0, 2, 0));
	EXPECT_EQ(0xffffffff, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_READ,
				    PVKIT_PCI_SBDF(0, 0, 1), 0, 4, 0));
	EXPECT_EQ(0xff, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_READ,
			      PVKIT_PCI_SBDF(0, 1, 0), 0, 1, 0));
	EXPECT_EQ(0xffff, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_READ,
				PVKIT_PCI_SBDF(1, 0, 0), 0, 2, 0));
	EXPECT_EQ(0xffffffff, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_READ,
				    bridge, 0x100, 4, 0));

	/* the command register is writable, and the ports see the write */
	EXPECT_EQ(0, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_WRITE,
			   bridge, 4, 2, 0x0006));
	EXPECT_EQ(0x0006, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_READ,
				bridge, 4, 2, 0));
	pci__config_io(self->vm, 0xcf8, &addr, 4, true);
	pci__config_io(self->vm, 0xcfc, &cmd, 2, false);
	EXPECT_EQ(0x0006U, cmd);
	/* the IDs are not: the write is dropped */
	EXPECT_EQ(0, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_WRITE,
			   bridge, 0, 2, 0x1234));
	EXPECT_EQ(0x1b36, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_READ,
				bridge, 0, 2, 0));
	/* writes to what is not there go nowhere */
	EXPECT_EQ(0, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_WRITE,
			   PVKIT_PCI_SBDF(0, 0, 8), 4, 2, 0x0006));
	EXPECT_EQ(0U, self->vm->stats.hypercall_errors);
}

/*
 * A capability byte the guest may write only in part (MSI-X message
 * control: enable and function mask, not the table size beside them)
 * keeps its other bits; pci_fuzz found them writable.
 */
TEST_F(hc, pci_capability_writes_keep_read_only_bits)
{
	static struct pci_dev dev;
	const uint8_t cap[12] = { PCI_CAP_ID_MSIX, 0, 0x04, 0x00 };
	uint32_t sbdf;
	unsigned int off;

	off = pci__add_cap(&dev, cap, sizeof(cap));
	ASSERT_NE(0U, off);
	dev.cfg_wmask[off + 3] = 0xc0;
	ASSERT_EQ(0, pci__register(self->vm, &dev));
	sbdf = PVKIT_PCI_SBDF(0, 0, dev.slot << 3);

	EXPECT_EQ(0, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_WRITE,
			   sbdf, off + 2, 2, 0xffff));
	EXPECT_EQ(0xc004, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_READ,
				sbdf, off + 2, 2, 0));
	EXPECT_EQ(0, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_WRITE,
			   sbdf, off, 4, 0x3f000000));
	EXPECT_EQ(0x00040000U | PCI_CAP_ID_MSIX,
		  call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_READ, sbdf, off, 4, 0));
}

/*
 * Ports 0xcf9-0xcfb, between the address and the data port, are no
 * configuration register: with an enabled address at register 0 they
 * once made an offset below zero (outb to 0xcfb is part of Linux's own
 * type 1 probe), which reached 4 GiB past a device's image.
 */
TEST_F(hc, pci_ports_between_address_and_data_are_inert)
{
	uint32_t addr = 0x80000000U, v = 0;
	uint8_t one = 1;

	pci__config_io(self->vm, 0xcf8, &addr, 4, true);
	pci__config_io(self->vm, 0xcfb, &v, 1, false);
	EXPECT_EQ(0xffU, v);
	v = 0;
	pci__config_io(self->vm, 0xcfa, &v, 2, false);
	EXPECT_EQ(0xffffU, v);
	pci__config_io(self->vm, 0xcf9, &v, 4, false);
	EXPECT_EQ(0xffffffffU, v);
	pci__config_io(self->vm, 0xcfb, &one, 1, true);
	pci__config_io(self->vm, 0xcf9, &addr, 4, true);
	/* the address and the bridge's IDs are as they were */
	pci__config_io(self->vm, 0xcf8, &v, 4, false);
	EXPECT_EQ(0x80000000U, v);
	pci__config_io(self->vm, 0xcfc, &v, 4, false);
	EXPECT_EQ(0x00081b36U, v);
	/* the last dword of the image reads; nothing past it does */
	addr = 0x800000fcU;
	pci__config_io(self->vm, 0xcf8, &addr, 4, true);
	v = 0;
	pci__config_io(self->vm, 0xcff, &v, 2, false);
	EXPECT_EQ(0xffffU, v);
}

TEST_F(hc, pci_calls_refuse_bad_arguments)
{
	const uint32_t bridge = PVKIT_PCI_SBDF(0, 0, 0);

	/* size, alignment, register, function, stray argument */
	EXPECT_EQ(PVKIT_EINVAL, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_READ,
				      bridge, 0, 3, 0));
	EXPECT_EQ(PVKIT_EINVAL, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_READ,
				      bridge, 0, 0, 0));
	EXPECT_EQ(PVKIT_EINVAL, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_READ,
				      bridge, 2, 4, 0));
	EXPECT_EQ(PVKIT_EINVAL, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_READ,
				      bridge, 1, 2, 0));
	EXPECT_EQ(PVKIT_EINVAL, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_READ,
				      bridge, 4096, 4, 0));
	EXPECT_EQ(PVKIT_EINVAL, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_READ,
				      1ULL << 32, 0, 4, 0));
	EXPECT_EQ(PVKIT_EINVAL, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_READ,
				      bridge, 0, 4, 1));
	/* a value wider than the access */
	EXPECT_EQ(PVKIT_EINVAL, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_WRITE,
				      bridge, 4, 1, 0x106));
	EXPECT_EQ(PVKIT_EINVAL, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_WRITE,
				      bridge, 4, 4, 1ULL << 32));
	EXPECT_EQ(PVKIT_EINVAL, call4(self->vcpu, 0, PVKIT_HC_PCI_SLOTS,
				      1 << 24, 0, 0, 0));
	EXPECT_EQ(PVKIT_EINVAL, call4(self->vcpu, 0, PVKIT_HC_PCI_SLOTS,
				      0, 0, 0, 1));
	/* and from user space, nothing at all */
	EXPECT_EQ(PVKIT_EPERM, call4(self->vcpu, 3, PVKIT_HC_PCI_CONFIG_WRITE,
				     bridge, 4, 2, 0x0006));
	EXPECT_EQ(0, call4(self->vcpu, 0, PVKIT_HC_PCI_CONFIG_READ,
			   bridge, 4, 2, 0));
	EXPECT_EQ(12U, self->vm->stats.hypercall_errors);
}

TEST_HARNESS_MAIN
