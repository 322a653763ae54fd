// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests that only make sense on pvkit's hypervisor: the distro
 * kernel runs on kvm-clock (pvkit-hv advertises KVM's paravirt leaves),
 * its real-time clock (rtc_cmos; rtc-pvkit on a patched kernel) agrees
 * with the system time, a hypercall from userspace (CPL 3, with the
 * port opened by ioperm) is refused with the ABI's permission error,
 * console text sent through /dev/pvkit arrives on the host, and pvkit.ko
 * takes the host's events on the line CPUID names, again after a reload,
 * and a line the host sends to the UART ("pvkit-hv ctl serial-send")
 * can be read from /dev/ttyS0. The console check is judged by the harness: the test announces the
 * text hex-encoded, so its plain form can only reach the log through the
 * hypercall. (The host's shutdown request itself is the harness's last
 * step, tests/harness/hv-control.)
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pvkit_abi.h"
#include "pvkit_test.h"

#define SERIAL_TTY	"/dev/ttyS0"
#define SERIAL_WAIT_S	60	/* the harness looks twice a second */

#define CLOCKSOURCE \
	"/sys/devices/system/clocksource/clocksource0/current_clocksource"

FIXTURE(hv) {
	char buf[256];
};

FIXTURE_SETUP(hv)
{
	int ret = pvkit_load("pvkit");

	ASSERT_TRUE(ret == 0 || ret == -EEXIST);
}

FIXTURE_TEARDOWN(hv)
{
}

TEST_F(hv, guest_uses_kvm_clock)
{
	ASSERT_GT(pvkit_read_file(CLOCKSOURCE, self->buf, sizeof(self->buf)),
		  0);
	EXPECT_STREQ("kvm-clock", self->buf);
}

TEST_F(hv, rtc_keeps_host_time)
{
	long long rtc = pvkit_read_number("/sys/class/rtc/rtc0/since_epoch");
	long long now = time(NULL);

	ASSERT_GT(rtc, 0) TH_LOG("no readable /sys/class/rtc/rtc0");
	EXPECT_LE(llabs(rtc - now), 5) TH_LOG("RTC %lld, system time %lld",
					      rtc, now);
	EXPECT_GT(now, 1600000000LL);	/* a real date, not 1970 */
}

/* A ping issued straight from ring 3; returns what the host put in RAX. */
static long user_ping(long cookie)
{
	long ret;

	asm volatile("outl %%eax, %%dx"
		     : "=a" (ret)
		     : "a" (PVKIT_HC_PING), "d" (PVKIT_PIO_PORT_DEFAULT),
		       "b" (cookie), "c" (0), "S" (0), "D" (0)
		     : "memory");
	return ret;
}

TEST_F(hv, cpl3_hypercall_refused)
{
	long errors_before = pvkit_read_number("/sys/kernel/pvkit/stats/errors");

	ASSERT_EQ(0, ioperm(PVKIT_PIO_PORT_DEFAULT, 4, 1)) TH_LOG("ioperm: %s",
								 strerror(errno));
	EXPECT_EQ(PVKIT_EPERM, user_ping(1234));
	EXPECT_EQ(PVKIT_EPERM, user_ping(0));
	ASSERT_EQ(0, ioperm(PVKIT_PIO_PORT_DEFAULT, 4, 0));
	/* The guest kernel's own counters saw none of it. */
	EXPECT_EQ(errors_before,
		  pvkit_read_number("/sys/kernel/pvkit/stats/errors"));
}

/* Whether /proc/interrupts has a line ending in @name. */
static bool irq_registered(const char *name)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/interrupts", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		found = strlen(line) > strlen(name) &&
			!strcmp(line + strlen(line) - strlen(name), name);
	}
	fclose(f);
	return found;
}

static void expect_events_enabled(struct __test_metadata *_metadata,
				  char *buf, size_t size)
{
	unsigned int irq, events, unused;

	__cpuid(PVKIT_CPUID_BASE_DEFAULT + PVKIT_CPUID_LEAF_EVENTS, irq,
		events, unused, unused);
	/* pvkit-hv offers power events and more; nothing unknown */
	EXPECT_EQ((unsigned int)(PVKIT_EV_SHUTDOWN | PVKIT_EV_REBOOT),
		  events & (PVKIT_EV_SHUTDOWN | PVKIT_EV_REBOOT));
	EXPECT_EQ(0U, events & ~(unsigned int)PVKIT_EV_ALL);
	/* pvkit.ko takes them, each service adding its own after them */
	ASSERT_GE(pvkit_read_file("/sys/kernel/pvkit/events", buf, size), 0);
	EXPECT_EQ(0, strncmp(buf, "shutdown reboot", 15)) TH_LOG("events: %s",
								 buf);
	EXPECT_EQ(irq, pvkit_read_number("/sys/kernel/pvkit/events_irq"));
	EXPECT_TRUE(irq_registered("pvkit-events"));
	EXPECT_EQ(0, pvkit_read_number("/sys/kernel/pvkit/stats/events"));
}

TEST_F(hv, host_events_enabled_and_reenabled_after_reload)
{
	ASSERT_GE(pvkit_read_file("/sys/kernel/pvkit/features", self->buf,
				  sizeof(self->buf)), 0);
	ASSERT_NE(NULL, strstr(self->buf, "events")) TH_LOG("features: %s",
							   self->buf);
	expect_events_enabled(_metadata, self->buf, sizeof(self->buf));
	if (pvkit_builtin("pvkit"))
		SKIP(return, PVKIT_BUILTIN_SKIP, "pvkit");

	ASSERT_EQ(0, pvkit_unload("pvkit"));
	EXPECT_FALSE(irq_registered("pvkit-events"));
	ASSERT_EQ(0, pvkit_load("pvkit"));
	expect_events_enabled(_metadata, self->buf, sizeof(self->buf));
}

TEST_F(hv, console_text_reaches_host)
{
	EXPECT_EQ(0, pvkit_send_console_check("/dev/pvkit",
					      "pvkit-console-check"));
}

/*
 * The harness answers "##PVKIT## await-serial-input TOKEN" with "ctl
 * serial-send TOKEN" (tests/harness/hv-control): the 8250 driver takes
 * it from pvkit-hv's UART on the receive interrupt.
 */
TEST_F(hv, serial_port_takes_host_input)
{
	struct pollfd p = { .events = POLLIN };
	char token[64], want[80], got[128];
	struct termios saved, t;
	ssize_t n;
	int ret;

	p.fd = open(SERIAL_TTY, O_RDWR | O_NOCTTY | O_CLOEXEC);
	ASSERT_GE(p.fd, 0) TH_LOG("%s: %s", SERIAL_TTY, strerror(errno));
	/* a line at a time, not echoed back into the console log */
	ASSERT_EQ(0, tcgetattr(p.fd, &saved));
	t = saved;
	t.c_lflag |= ICANON;
	t.c_lflag &= ~(ECHO | ECHOE | ECHOK | ECHONL);
	ASSERT_EQ(0, tcsetattr(p.fd, TCSANOW, &t));
	tcflush(p.fd, TCIFLUSH);

	snprintf(token, sizeof(token), "pvkit-serial-%ld-%d",
		 (long)time(NULL), getpid());
	snprintf(want, sizeof(want), "%s\n", token);
	printf("##PVKIT## await-serial-input %s\n", token);
	fflush(stdout);
	ret = poll(&p, 1, SERIAL_WAIT_S * 1000);
	n = ret == 1 ? read(p.fd, got, sizeof(got) - 1) : -1;
	tcsetattr(p.fd, TCSANOW, &saved);
	close(p.fd);
	ASSERT_EQ(1, ret) TH_LOG("no serial input within %d s", SERIAL_WAIT_S);
	ASSERT_LT(0, n) TH_LOG("read: %s", strerror(errno));
	got[n] = '\0';
	EXPECT_STREQ(want, got);
}

#include "pvkit_test_main.h"
