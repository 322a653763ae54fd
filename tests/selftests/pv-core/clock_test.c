// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of pvkit.ko's clock service. On pvkit's hypervisor the
 * "clock" feature gives a PTP clock named "pvkit" that reads the host's
 * CLOCK_REALTIME: it must agree with the guest's wall clock (set from the
 * host's RTC at boot, to the second) within 3 s, run at the guest clock's
 * rate (within 2% over two seconds, nested guests' clocks wander), and its
 * PTP_SYS_OFFSET_EXTENDED samples must be bracketed by the guest's
 * readings, in order. Against the host's own clock, independently of
 * the guest's: two readings must bracket the time the host read when
 * the test asked it (brackets_the_host_s_own_time). The clock goes with
 * the module. After a pause: the test asks the harness to pause the
 * guest ("##PVKIT## await-pause";
 * tests/harness/hv-control pauses it for 5 s), which freezes the guest's
 * clock; pvkit.ko must then step the wall clock by more than 3 s
 * (stats/clock_steps, clock_last_step_ns), after which it must agree with
 * the host's within AFTER_PAUSE_NS. A guest whose wall clock is off when
 * pvkit.ko loads (set back LOAD_BACK_S here) is stepped to the host's at
 * once. On stock KVM no "pvkit" PTP clock appears.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ptp_clock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pvkit_test.h"

#define FD_TO_CLOCKID(fd)	((~(clockid_t)(fd) << 3) | 3)
#define NSEC			1000000000LL
#define STEPS			"/sys/kernel/pvkit/stats/clock_steps"
/* how far the load test sets the guest's clock back, and how close after */
#define LOAD_BACK_S		10
#define AFTER_LOAD_NS		(NSEC / 2)
#define LAST_STEP		"/sys/kernel/pvkit/stats/clock_last_step_ns"
/* guest seconds: the harness polls each second, then pauses for 5 s */
#define PAUSE_WAIT_S		60
/* the host's answer to await-host-time, and its clock's granularity */
#define PVCON			"/dev/pvcon0"
#define HOST_TIME_WAIT_S	30
#define HOST_SLACK_NS		1000
/* host - guest after the step: 1/50 of the pause */
#define AFTER_PAUSE_NS		(NSEC / 10)

FIXTURE(clk) {
	char dev[300];
	bool on_hv;
};

/* Finds the PTP clock named "pvkit": its /dev path in @dev, or false. */
static bool find_pvkit_ptp(char *dev, size_t size)
{
	char path[300], name[64];
	struct dirent *e;
	bool found = false;
	DIR *d = opendir("/sys/class/ptp");

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		if (strncmp(e->d_name, "ptp", 3))
			continue;
		snprintf(path, sizeof(path), "/sys/class/ptp/%s/clock_name",
			 e->d_name);
		if (pvkit_read_file(path, name, sizeof(name)) >= 0 &&
		    !strcmp(name, "pvkit")) {
			snprintf(dev, size, "/dev/%s", e->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

FIXTURE_SETUP(clk)
{
	int ret = pvkit_load("pvkit");

	ASSERT_TRUE(ret == 0 || ret == -EEXIST) TH_LOG("load: %s",
						      strerror(-ret));
	self->on_hv = !strcmp(pvkit_test_host(), "hv");
}

FIXTURE_TEARDOWN(clk)
{
}

TEST_F(clk, ptp_clock_follows_the_host)
{
	EXPECT_EQ(self->on_hv, find_pvkit_ptp(self->dev, sizeof(self->dev)));
}

/* Opens the "pvkit" PTP clock (its path in @dev); the fd, or -1. */
static int open_pvkit_ptp(char *dev, size_t size)
{
	if (!find_pvkit_ptp(dev, size))
		return -1;
	return open(dev, O_RDONLY | O_CLOEXEC);
}

/* host - guest in ns at one instant: a PHC reading and its brackets */
static int phc_offset(int fd, long long *offset, long long *sys)
{
	struct ptp_sys_offset_extended req = { .n_samples = 1 };
	long long pre, post;

	if (ioctl(fd, PTP_SYS_OFFSET_EXTENDED, &req))
		return -errno;
	pre = req.ts[0][0].sec * NSEC + req.ts[0][0].nsec;
	post = req.ts[0][2].sec * NSEC + req.ts[0][2].nsec;
	*sys = pre + (post - pre) / 2;
	*offset = req.ts[0][1].sec * NSEC + req.ts[0][1].nsec - *sys;
	return 0;
}

TEST_F(clk, agrees_with_the_guest_clock)
{
	long long offset0, offset1, sys0, sys1, rate_ppm;
	int fd;

	if (!self->on_hv)
		return;	/* no such clock: ptp_clock_follows_the_host checked */
	fd = open_pvkit_ptp(self->dev, sizeof(self->dev));
	ASSERT_GE(fd, 0) TH_LOG("no pvkit PTP clock to open");
	ASSERT_EQ(0, phc_offset(fd, &offset0, &sys0));
	sleep(2);
	ASSERT_EQ(0, phc_offset(fd, &offset1, &sys1));
	close(fd);

	EXPECT_GT(3 * NSEC, llabs(offset0)) TH_LOG("host - guest: %lld ns",
						  offset0);
	/* the offset's drift over the interval, relative to the interval */
	rate_ppm = (offset1 - offset0) * 1000000 / (sys1 - sys0);
	EXPECT_GT(20000, llabs(rate_ppm)) TH_LOG("rates differ by %lld ppm",
						 rate_ppm);
	printf("# note: pvkit PTP clock: host - guest %lld us, rate difference %lld ppm\n",
	       offset0 / 1000, rate_ppm);
}

static long long ns_of(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return t.tv_sec * NSEC + t.tv_nsec;
}

/*
 * The PTP clock against the host's own clock, not the guest's: the test
 * reads it, asks the host for its time ("##PVKIT## await-host-time
 * TOKEN"; hv-control reads its CLOCK_REALTIME and sends "TOKEN-SEC-NSEC"
 * to /dev/pvcon0) and reads it again when the line comes. The host read
 * its clock between the two readings, so a PTP clock that agrees with
 * the host's brackets that time (within HOST_SLACK_NS, the host's
 * microseconds); one off by more than the round trip does not.
 */
TEST_F(clk, brackets_the_host_s_own_time)
{
	long long before, after, host, sec, nsec;
	char token[64], line[128], fmt[80];
	int fd, in, n;

	if (!self->on_hv)
		return;	/* no such clock: ptp_clock_follows_the_host checked */
	fd = open_pvkit_ptp(self->dev, sizeof(self->dev));
	ASSERT_GE(fd, 0) TH_LOG("no pvkit PTP clock to open");
	in = pvkit_host_line_open(PVCON);
	ASSERT_LE(0, in) TH_LOG("%s: %s", PVCON, strerror(-in));
	snprintf(token, sizeof(token), "pvkit-time-%d", getpid());
	before = ns_of(FD_TO_CLOCKID(fd));
	pvkit_marker("await-host-time %s", token);
	n = pvkit_host_line_read(in, HOST_TIME_WAIT_S, line, sizeof(line));
	after = ns_of(FD_TO_CLOCKID(fd));
	close(in);
	close(fd);
	ASSERT_LT(0, n) TH_LOG("no host time on %s within %d s: %s", PVCON,
			       HOST_TIME_WAIT_S, strerror(-n));
	snprintf(fmt, sizeof(fmt), "%s-%%lld-%%lld", token);
	n = sscanf(line, fmt, &sec, &nsec);
	ASSERT_EQ(2, n) TH_LOG("host time line: %s", line);
	host = sec * NSEC + nsec;
	EXPECT_LE(before - HOST_SLACK_NS, host)
		TH_LOG("the host read %lld ns before the PTP clock's first reading",
		       before - host);
	EXPECT_LE(host, after + HOST_SLACK_NS)
		TH_LOG("the host read %lld ns after the PTP clock's second reading",
		       host - after);
	printf("# note: pvkit PTP clock vs the host's: read %lld ms into a %lld ms round trip\n",
	       (host - before) / 1000000, (after - before) / 1000000);
}

TEST_F(clk, sys_offset_samples_are_bracketed)
{
	struct ptp_sys_offset_extended req = { .n_samples = 5 };
	long long pre = 0, phc, post = 0, last_phc = 0;
	unsigned int i;
	int fd;

	if (!self->on_hv)
		return;	/* no such clock: ptp_clock_follows_the_host checked */
	fd = open_pvkit_ptp(self->dev, sizeof(self->dev));
	ASSERT_GE(fd, 0) TH_LOG("no pvkit PTP clock to open");
	ASSERT_EQ(0, ioctl(fd, PTP_SYS_OFFSET_EXTENDED, &req))
		TH_LOG("PTP_SYS_OFFSET_EXTENDED: %s", strerror(errno));
	close(fd);
	for (i = 0; i < req.n_samples; i++) {
		pre = req.ts[i][0].sec * NSEC + req.ts[i][0].nsec;
		phc = req.ts[i][1].sec * NSEC + req.ts[i][1].nsec;
		post = req.ts[i][2].sec * NSEC + req.ts[i][2].nsec;
		EXPECT_LE(pre, post);
		EXPECT_LT(last_phc, phc);
		last_phc = phc;
	}
	/* a reading is one hypercall: well under 50 ms even nested */
	EXPECT_GT(50000000LL, post - pre);
}

TEST_F(clk, wall_clock_stepped_after_a_pause)
{
	long long steps, step, mono0, real0, mono, real, offset, sys;
	int fd, i;

	if (!self->on_hv)
		return;	/* no such clock: ptp_clock_follows_the_host checked */
	fd = open_pvkit_ptp(self->dev, sizeof(self->dev));
	ASSERT_GE(fd, 0) TH_LOG("no pvkit PTP clock to open");
	steps = pvkit_read_number(STEPS);
	ASSERT_LE(0, steps) TH_LOG("no %s", STEPS);
	mono0 = ns_of(CLOCK_MONOTONIC);
	real0 = ns_of(CLOCK_REALTIME);
	printf("##PVKIT## await-pause\n");
	fflush(stdout);
	for (i = 0; i < PAUSE_WAIT_S * 10; i++) {
		if (pvkit_read_number(STEPS) != steps)
			break;
		usleep(100 * 1000);
	}
	mono = ns_of(CLOCK_MONOTONIC) - mono0;
	real = ns_of(CLOCK_REALTIME) - real0;
	ASSERT_EQ(steps + 1, pvkit_read_number(STEPS))
		TH_LOG("no wall clock step within %d s of asking for a pause",
		       PAUSE_WAIT_S);
	ASSERT_EQ(0, phc_offset(fd, &offset, &sys));
	close(fd);

	/* the pause froze the guest's clock, the step gave the time back */
	step = pvkit_read_number(LAST_STEP);
	EXPECT_LT(3 * NSEC, step) TH_LOG("a step of %lld ns", step);
	EXPECT_GT(20 * NSEC, step) TH_LOG("a step of %lld ns", step);
	EXPECT_GT(NSEC / 10, llabs(real - mono - step))
		TH_LOG("wall clock moved %lld ns, monotonic %lld ns, step %lld ns",
		       real, mono, step);
	EXPECT_GT(AFTER_PAUSE_NS, llabs(offset))
		TH_LOG("host - guest after the step: %lld ns", offset);
	printf("# note: pvkit clock after a pause: stepped %lld ms, then host - guest %lld us\n",
	       step / 1000000, offset / 1000);
}

TEST_F(clk, clock_goes_with_the_module)
{
	if (pvkit_builtin("pvkit"))
		SKIP(return, PVKIT_BUILTIN_SKIP, "pvkit");

	if (!self->on_hv)
		return;	/* no such clock: ptp_clock_follows_the_host checked */
	ASSERT_EQ(0, pvkit_unload("pvkit"));
	EXPECT_FALSE(find_pvkit_ptp(self->dev, sizeof(self->dev)));
	ASSERT_EQ(0, pvkit_load("pvkit"));
	EXPECT_TRUE(find_pvkit_ptp(self->dev, sizeof(self->dev)));
}

TEST_F(clk, wall_clock_set_to_the_host_s_on_load)
{
	unsigned int mark = pvkit_kmsg_mark();
	long long offset, sys;
	struct timespec ts;
	int fd;

	if (pvkit_builtin("pvkit"))
		SKIP(return, PVKIT_BUILTIN_SKIP, "pvkit");
	if (!self->on_hv)
		return;	/* no such clock: ptp_clock_follows_the_host checked */
	ASSERT_EQ(0, pvkit_unload("pvkit"));
	ASSERT_EQ(0, clock_gettime(CLOCK_REALTIME, &ts));
	ts.tv_sec -= LOAD_BACK_S;
	ASSERT_EQ(0, clock_settime(CLOCK_REALTIME, &ts));
	ASSERT_EQ(0, pvkit_load("pvkit"));
	fd = open_pvkit_ptp(self->dev, sizeof(self->dev));
	ASSERT_GE(fd, 0) TH_LOG("no pvkit PTP clock to open");
	ASSERT_EQ(0, phc_offset(fd, &offset, &sys));
	close(fd);
	EXPECT_GT(AFTER_LOAD_NS, llabs(offset))
		TH_LOG("host - guest after loading: %lld ns", offset);
	EXPECT_EQ(1, pvkit_read_number(STEPS));
	EXPECT_EQ(1, pvkit_kmsg_count_since(mark,
					    "clock service started: stepped the wall clock by"));
	printf("# note: pvkit clock on load: stepped %lld ms, then host - guest %lld us\n",
	       pvkit_read_number(LAST_STEP) / 1000000, offset / 1000);
}

#include "pvkit_test_main.h"
