// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of pvkit.ko's console. On pvkit's hypervisor the
 * "console" feature gives a tty, /dev/pvcon0: text written to it reaches
 * the host's console log (the harness finds it there, where only the
 * hypervisor can have put it), a line costs one console hypercall in raw
 * mode and at most two with the default output processing (the text,
 * then "\r\n"), where the UART exits once per character, and the module
 * cannot go while the tty is open. Input: the test asks the harness for a
 * line ("##PVKIT## await-console-input TOKEN"; tests/harness/hv-control
 * sends "TOKEN" with "pvkit-hv ctl SOCKET console-send"), which must be
 * read from /dev/pvcon0, exactly, within INPUT_WAIT_S, through
 * CONSOLE_READ hypercalls. On stock KVM there is no such tty.
 *
 * The same console is the hvc framework's /dev/hvc0 (what console=hvc0
 * names; the harness's crash boot checks the kernel console): text
 * written there reaches the host too, input comes there while
 * /dev/pvcon0 is closed, and pvkit.ko stays while hvc0 is open. On
 * stock KVM nothing makes an hvc0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pvkit_test.h"

#define PVCON		"/dev/pvcon0"
#define HVC		"/dev/hvc0"
#define WRITES		"/sys/kernel/pvkit/stats/console_writes"
#define READS		"/sys/kernel/pvkit/stats/console_reads"
#define READ_BYTES	"/sys/kernel/pvkit/stats/console_read_bytes"
/* the harness polls the console each second, nested ctl takes seconds */
#define INPUT_WAIT_S	30
#define LINES		50

FIXTURE(con) {
	char line[128];
	bool on_hv;
};

FIXTURE_SETUP(con)
{
	int ret = pvkit_load("pvkit");

	ASSERT_TRUE(ret == 0 || ret == -EEXIST) TH_LOG("load: %s",
						      strerror(-ret));
	self->on_hv = !strcmp(pvkit_test_host(), "hv");
}

FIXTURE_TEARDOWN(con)
{
}

/* Writes LINES lines, one write() each; the console hypercalls it took. */
static long long write_lines(struct __test_metadata *_metadata, int fd,
			     char *line, size_t size)
{
	long long before = pvkit_read_number(WRITES);
	size_t len;
	int i;

	for (i = 0; i < LINES; i++) {
		len = snprintf(line, size, "pvkit console line %02d of %d\n",
			       i + 1, LINES);
		EXPECT_EQ((ssize_t)len, write(fd, line, len));
	}
	tcdrain(fd);
	return pvkit_read_number(WRITES) - before;
}

TEST_F(con, tty_follows_the_host)
{
	char features[256];

	ASSERT_GE(pvkit_read_file("/sys/kernel/pvkit/features", features,
				  sizeof(features)), 0);
	EXPECT_EQ(self->on_hv, strstr(features, "console") != NULL);
	EXPECT_EQ(self->on_hv, pvkit_path_exists(PVCON));
}

/* hvc0 is pvkit's on pvkit-hv, and nobody's (no hvc driver) on KVM. */
TEST_F(con, hvc0_follows_the_host)
{
	int fd = open(HVC, O_WRONLY | O_NOCTTY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	EXPECT_EQ(self->on_hv, fd >= 0) TH_LOG("%s: %s", HVC,
					       fd < 0 ? strerror(errno) : "opens");
}

TEST_F(con, hvc0_text_reaches_host)
{
	long long before = pvkit_read_number(WRITES);

	if (!self->on_hv)
		return;	/* no hvc0: hvc0_follows_the_host checked it */
	EXPECT_EQ(0, pvkit_send_console_check(HVC, "hvc0-check"));
	EXPECT_LT(before, pvkit_read_number(WRITES));
}

TEST_F(con, one_hypercall_per_line)
{
	struct termios t;
	long long cooked, raw;
	int fd;

	if (!self->on_hv) {
		EXPECT_EQ(-1, open(PVCON, O_WRONLY | O_NOCTTY | O_CLOEXEC));
		return;
	}
	fd = open(PVCON, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	ASSERT_GE(fd, 0) TH_LOG("%s: %s", PVCON, strerror(errno));
	cooked = write_lines(_metadata, fd, self->line, sizeof(self->line));
	EXPECT_LE(cooked, 2 * LINES);
	EXPECT_GE(cooked, LINES);

	ASSERT_EQ(0, tcgetattr(fd, &t));
	cfmakeraw(&t);
	ASSERT_EQ(0, tcsetattr(fd, TCSANOW, &t));
	raw = write_lines(_metadata, fd, self->line, sizeof(self->line));
	EXPECT_EQ(LINES, raw);
	close(fd);
	printf("# note: pvkit console: %lld hypercalls for %d lines (%lld with \\r\\n added)\n",
	       raw, LINES, cooked);
}

TEST_F(con, text_reaches_host)
{
	if (!self->on_hv)
		return;	/* no console tty: tty_follows_the_host checked it */
	EXPECT_EQ(0, pvkit_send_console_check(PVCON, "pvcon0-check"));
}

static long long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000LL +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Asks the harness for a line and reads it from @dev, through CONSOLE_READ. */
static void read_host_line(struct __test_metadata *_metadata, const char *dev)
{
	char token[64], want[80], got[256];
	long long reads, bytes, waited;
	struct timespec t0;
	int fd, n;

	fd = pvkit_host_line_open(dev);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", dev, strerror(-fd));
	reads = pvkit_read_number(READS);
	bytes = pvkit_read_number(READ_BYTES);
	ASSERT_LE(0, reads) TH_LOG("no %s", READS);

	snprintf(token, sizeof(token), "pvkit-input-%ld-%d-%s", (long)time(NULL),
		 getpid(), dev + strlen("/dev/"));
	snprintf(want, sizeof(want), "%s\n", token);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pvkit_marker("await-console-input %s", token);
	n = pvkit_host_line_read(fd, INPUT_WAIT_S, got, sizeof(got));
	waited = ms_since(&t0);
	close(fd);
	ASSERT_LT(0, n) TH_LOG("no input on %s within %d s: %s", dev,
			       INPUT_WAIT_S, strerror(-n));
	EXPECT_STREQ(want, got);
	EXPECT_LT(reads, pvkit_read_number(READS));
	EXPECT_LE(bytes + (long long)strlen(want),
		  pvkit_read_number(READ_BYTES));
	printf("# note: %s input: the line came in %lld ms, %lld CONSOLE_READ calls\n",
	       dev, waited, pvkit_read_number(READS) - reads);
}

TEST_F(con, reads_the_line_the_host_sends)
{
	if (!self->on_hv)
		return;	/* no console tty: tty_follows_the_host checked it */
	read_host_line(_metadata, PVCON);
}

/* With /dev/pvcon0 closed, the host's input goes to hvc0. */
TEST_F(con, hvc0_reads_the_line_the_host_sends)
{
	if (!self->on_hv)
		return;	/* no hvc0: hvc0_follows_the_host checked it */
	read_host_line(_metadata, HVC);
}

/*
 * Opens @dev; pvkit.ko must refuse to go while it is open and go after
 * the close (the tty core may put its reference in a work item).
 */
static void unload_after_closing(struct __test_metadata *_metadata,
				 const char *dev)
{
	int fd, err, i;

	fd = open(dev, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	ASSERT_GE(fd, 0) TH_LOG("%s: %s", dev, strerror(errno));
	EXPECT_NE(0, pvkit_unload("pvkit"));
	EXPECT_TRUE(pvkit_module_loaded("pvkit"));
	close(fd);
	for (i = 0; (err = pvkit_unload("pvkit")) == -EAGAIN && i < 20; i++)
		usleep(100 * 1000);
	ASSERT_EQ(0, err) TH_LOG("unloading pvkit 2 s after the close: %d", err);
}

/*
 * hvc0's tty is the hvc driver's, so pvkit.ko holds itself while hvc0 is
 * open; afterwards the old hvc0 must not open, and a load makes a new one.
 */
TEST_F(con, module_stays_while_hvc0_open)
{
	int fd;

	if (pvkit_builtin("pvkit"))
		SKIP(return, PVKIT_BUILTIN_SKIP, "pvkit");
	if (!self->on_hv)
		return;	/* no hvc0: hvc0_follows_the_host checked it */
	unload_after_closing(_metadata, HVC);
	fd = open(HVC, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	EXPECT_GT(0, fd) TH_LOG("%s opens with pvkit.ko gone", HVC);
	if (fd >= 0)
		close(fd);
	ASSERT_EQ(0, pvkit_load("pvkit"));
	EXPECT_EQ(0, pvkit_send_console_check(HVC, "hvc0-reload-check"));
}

TEST_F(con, module_stays_while_open)
{
	if (pvkit_builtin("pvkit"))
		SKIP(return, PVKIT_BUILTIN_SKIP, "pvkit");
	if (!self->on_hv)
		return;	/* no console tty: tty_follows_the_host checked it */
	unload_after_closing(_metadata, PVCON);
	EXPECT_FALSE(pvkit_path_exists(PVCON));
	ASSERT_EQ(0, pvkit_load("pvkit"));
	EXPECT_TRUE(pvkit_path_exists(PVCON));
}

#include "pvkit_test_main.h"
