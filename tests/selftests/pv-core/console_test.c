// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of pvkit.ko's console. On pvkit's hypervisor the
 * "console" feature gives a tty, /dev/pvcon0: text written to it reaches
 * the host's console log (the harness finds it there, where only the
 * hypervisor can have put it), a line costs one console hypercall in raw
 * mode and at most two with the default output processing (the text,
 * then "\r\n"), where the UART exits once per character, and the module
 * cannot go while the tty is open. On stock KVM there is no such tty.
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
#define WRITES		"/sys/kernel/pvkit/stats/console_writes"
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

TEST_F(con, module_stays_while_open)
{
	int fd;

	if (!self->on_hv)
		return;	/* no console tty: tty_follows_the_host checked it */
	fd = open(PVCON, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	EXPECT_NE(0, pvkit_unload("pvkit"));
	EXPECT_TRUE(pvkit_module_loaded("pvkit"));
	close(fd);
	ASSERT_EQ(0, pvkit_unload("pvkit"));
	EXPECT_FALSE(pvkit_path_exists(PVCON));
	ASSERT_EQ(0, pvkit_load("pvkit"));
	EXPECT_TRUE(pvkit_path_exists(PVCON));
}

TEST_HARNESS_MAIN
