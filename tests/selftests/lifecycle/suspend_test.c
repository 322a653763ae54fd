// SPDX-License-Identifier: GPL-2.0
/*
 * Suspend and resume with pvkit's front-ends bound: the system suspends
 * to idle with pm_test "devices", so every driver's freeze and restore
 * run (the devices are reset and set up again) and the kernel resumes
 * after pm_test_delay instead of sleeping. After each of several rounds
 * the test disk reads back what was written before it and takes new
 * writes, and the test NIC has its carrier and answers ping. Writes in
 * flight on pvkit-slow (two writes a second) when the suspend begins
 * finish before its device is reset; when they outlast remove_wait_ms
 * the disk refuses the suspend in one line, and the system and that
 * disk carry on (the writes are Linux AIO, submitted by the process
 * that suspends, which is not frozen, at offsets apart so that neither
 * the guest nor the device merges them). On pvkit-hv, a disk killed for
 * breaking the rules stays dead across a suspend and unbinds with its
 * device reset. Kernels without pm_test (the custom ones, without
 * CONFIG_PM_DEBUG) skip.
 *
 * Where the scratch disk is written: the blocks of the rounds from
 * 61 MiB (blk_test's map is in its header).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/aio_abi.h>

#include "kselftest_harness.h"
#include "pvkit_test.h"

#define PM_TEST			"/sys/power/pm_test"
#define PM_STATE		"/sys/power/state"
#define PM_TEST_DELAY		"/sys/module/suspend/parameters/pm_test_delay"
#define REMOVE_WAIT		"/sys/module/pvkit_blk/parameters/remove_wait_ms"
#define ROUNDS			3
#define BLOCK_OFFSET		(61LL << 20)
#define SLOW_WRITES		8
#define SLOW_STRIDE		(64 << 10)	/* pvkit-slow is 1 MiB */
/* what either front-end logs when it breaks or fails */
#define BLK_REFUSED		"suspend refused"
#define RESUME_FAILED		"cannot be set up again on resume"
#define NO_PM_TEST		"the kernel has no " PM_TEST " (CONFIG_PM_DEBUG)"
#define BLK_DRIVER_DIR		"/sys/bus/virtio/drivers/pvkit_blk"
/* pvkit-bad-id misbehaves from sector 1024 (vmm-devices.sh) */
#define BAD_ID_FAULT_OFFSET	(512LL << 10)
#define KILLED_LINE		": a virtqueue is broken: failing all I/O"

FIXTURE(suspend) {
	char disk[32];
	char nic[32];
	char delay[16];		/* pm_test_delay as found, or "" */
};

FIXTURE_SETUP(suspend)
{
	char states[64];

	/* each test skips: a SKIP here does not keep a test's body from running */
	if (!pvkit_path_exists(PM_TEST))
		return;
	ASSERT_LT(0, pvkit_read_file(PM_STATE, states, sizeof(states)));
	ASSERT_NE(NULL, strstr(states, "freeze"))
		TH_LOG(PM_STATE " offers \"%s\", no suspend to idle", states);
	ASSERT_EQ(0, pvkit_find_disk("pvkit-test", self->disk,
				     sizeof(self->disk)));
	ASSERT_EQ(0, pvkit_find_nic("pvkit_net", PVKIT_TEST_MAC, self->nic,
				    sizeof(self->nic)));
	pvkit_run("ip link set %s up && ip addr add %s/24 dev %s 2>/dev/null",
		  self->nic, PVKIT_TEST_GUEST_IP, self->nic);
	ASSERT_TRUE(pvkit_wait_carrier(self->nic, 5));
	/* one second, not five, between the devices' suspend and resume */
	if (pvkit_read_file(PM_TEST_DELAY, self->delay,
			    sizeof(self->delay)) > 0)
		pvkit_write_file(PM_TEST_DELAY, "1");
	ASSERT_EQ(0, pvkit_write_file(PM_TEST, "devices"));
}

FIXTURE_TEARDOWN(suspend)
{
	if (!pvkit_path_exists(PM_TEST))
		return;
	pvkit_write_file(PM_TEST, "none");
	if (self->delay[0])
		pvkit_write_file(PM_TEST_DELAY, self->delay);
}

/* Suspends to idle and resumes (pm_test): 0, or the write's -errno. */
static int suspend_resume(void)
{
	return pvkit_write_file(PM_STATE, "freeze");
}

/* Reads 4 KiB at @offset of /dev/@disk (O_DIRECT): 0 if it starts with @text. */
static int read_back(const char *disk, long long offset, const char *text)
{
	char path[64];
	void *buf;
	int fd, ret = -EILSEQ;

	snprintf(path, sizeof(path), "/dev/%s", disk);
	if (posix_memalign(&buf, 4096, 4096))
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
	} else {
		if (pread(fd, buf, 4096, offset) != 4096)
			ret = -EIO;
		else if (!strncmp(buf, text, strlen(text)))
			ret = 0;
		close(fd);
	}
	free(buf);
	return ret;
}

/* Whether @disk's virtio device is bound to pvkit_blk with DRIVER_OK. */
static bool disk_live(const char *disk)
{
	char dir[300], vdev[64], driver[64];

	snprintf(dir, sizeof(dir), "/sys/block/%s", disk);
	pvkit_virtio_dev(dir, vdev, sizeof(vdev));
	pvkit_virtio_driver(vdev, driver, sizeof(driver));
	return !strcmp(driver, "pvkit_blk") &&
	       pvkit_virtio_status(vdev) & 4;	/* VIRTIO_CONFIG_S_DRIVER_OK */
}

/*
 * Without restore the devices stay reset after resume and the first
 * read waits for ever; without freeze (the old refusal) the write to
 * /sys/power/state fails.
 */
TEST_F_TIMEOUT(suspend, disk_and_nic_work_after_each_round, 180)
{
	unsigned int mark = pvkit_kmsg_mark();
	char text[64];
	int round, ret;

	if (!pvkit_path_exists(PM_TEST))
		SKIP(return, NO_PM_TEST);

	for (round = 0; round < ROUNDS; round++) {
		snprintf(text, sizeof(text), "written before suspend %d", round);
		ASSERT_EQ(0, pvkit_write_flush_read(self->disk,
				BLOCK_OFFSET + round * 4096, text));
		ret = suspend_resume();
		ASSERT_EQ(0, ret) TH_LOG("round %d: suspend: %s", round,
					 strerror(-ret));
		ASSERT_EQ(0, read_back(self->disk, BLOCK_OFFSET + round * 4096,
				       text))
			TH_LOG("round %d: the block written before is not there",
			       round);
		snprintf(text, sizeof(text), "written after suspend %d", round);
		ASSERT_EQ(0, pvkit_write_flush_read(self->disk,
				BLOCK_OFFSET + (ROUNDS + round) * 4096, text));
		ASSERT_TRUE(disk_live(self->disk));
		ASSERT_TRUE(pvkit_wait_carrier(self->nic, 5))
			TH_LOG("round %d: %s has no carrier", round, self->nic);
		ASSERT_EQ(0, pvkit_run("ping -c 3 -W 5 %s >/dev/null",
				       PVKIT_TEST_HOST_IP))
			TH_LOG("round %d: no answer to ping", round);
	}
	EXPECT_EQ(ROUNDS, pvkit_kmsg_count_since(mark, "PM: suspend exit"));
	EXPECT_EQ(0, pvkit_kmsg_count_since(mark, RESUME_FAILED));
	EXPECT_EQ(0, pvkit_kmsg_count_since(mark, "is broken"));
	EXPECT_EQ(0, pvkit_kmsg_problems_since(mark));
}

/* Linux AIO, raw: io_setup, io_submit, io_getevents, io_destroy. */
static long aio_setup(unsigned int nr, aio_context_t *ctx)
{
	return syscall(__NR_io_setup, nr, ctx);
}

static long aio_submit(aio_context_t ctx, long nr, struct iocb **iocbs)
{
	return syscall(__NR_io_submit, ctx, nr, iocbs);
}

static long aio_getevents(aio_context_t ctx, long nr, struct io_event *events,
			  struct timespec *timeout)
{
	return syscall(__NR_io_getevents, ctx, nr, nr, events, timeout);
}

static long aio_destroy(aio_context_t ctx)
{
	return syscall(__NR_io_destroy, ctx);
}

/*
 * Submits @n 4 KiB writes to pvkit-slow, one every SLOW_STRIDE bytes,
 * suspends with pvkit_blk's remove_wait_ms at @wait_ms, and waits for
 * the writes: the suspend's result (0 or -errno) in @suspend_ret; 0 if
 * every write ended well and reads back, else -1 with why logged.
 */
static int slow_writes_across_suspend(struct __test_metadata *_metadata,
				      int n, const char *wait_ms,
				      int *suspend_ret)
{
	struct timespec timeout = { .tv_sec = 60 };
	struct iocb cbs[SLOW_WRITES], *cbp[SLOW_WRITES];
	struct io_event events[SLOW_WRITES];
	char slow[32], path[64], old_wait[16];
	unsigned char *out = NULL, *in = NULL;
	aio_context_t ctx = 0;
	int fd, i, ret = -1;
	long got;

	if (n > SLOW_WRITES || pvkit_find_disk("pvkit-slow", slow, sizeof(slow)) ||
	    pvkit_read_file(REMOVE_WAIT, old_wait, sizeof(old_wait)) <= 0) {
		TH_LOG("no disk pvkit-slow, or no " REMOVE_WAIT);
		return -1;
	}
	snprintf(path, sizeof(path), "/dev/%s", slow);
	fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0 || posix_memalign((void **)&out, 4096, n * 4096) ||
	    posix_memalign((void **)&in, 4096, 4096) || aio_setup(n, &ctx)) {
		TH_LOG("setting up the writes to %s: %s", slow, strerror(errno));
		goto out;
	}
	memset(cbs, 0, sizeof(cbs));
	for (i = 0; i < n * 4096; i++)
		out[i] = (unsigned char)(i * 7 + n + getpid());
	for (i = 0; i < n; i++) {
		cbs[i].aio_fildes = fd;
		cbs[i].aio_lio_opcode = IOCB_CMD_PWRITE;
		cbs[i].aio_buf = (uintptr_t)(out + i * 4096);
		cbs[i].aio_nbytes = 4096;
		cbs[i].aio_offset = (long long)i * SLOW_STRIDE;
		cbp[i] = &cbs[i];
	}
	if (pvkit_write_file(REMOVE_WAIT, wait_ms) || aio_submit(ctx, n, cbp) != n) {
		TH_LOG("submitting %d writes to %s: %s", n, slow, strerror(errno));
		goto out;
	}
	*suspend_ret = suspend_resume();

	got = aio_getevents(ctx, n, events, &timeout);
	if (got != n) {
		TH_LOG("%ld of %d writes to %s ended within 60 s", got, n, slow);
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct iocb *cb = (struct iocb *)(uintptr_t)events[i].obj;
		int k = cb - cbs;

		if (events[i].res != 4096) {
			TH_LOG("write %d ended with %lld", k, (long long)events[i].res);
			goto out;
		}
		if (pread(fd, in, 4096, cb->aio_offset) != 4096 ||
		    memcmp(in, out + k * 4096, 4096)) {
			TH_LOG("write %d does not read back", k);
			goto out;
		}
	}
	ret = 0;
out:
	pvkit_write_file(REMOVE_WAIT, old_wait);
	if (ctx)
		aio_destroy(ctx);
	if (fd >= 0)
		close(fd);
	free(out);
	free(in);
	return ret;
}

/*
 * Four writes, about two seconds' worth, are in flight when the devices
 * suspend: pvkit_blk's freeze waits for them (remove_wait_ms 5000), so
 * they succeed rather than fail when the device is reset, and the
 * suspend goes through.
 */
TEST_F_TIMEOUT(suspend, writes_in_flight_finish_first, 120)
{
	unsigned int mark = pvkit_kmsg_mark();
	int ret = -1;

	if (!pvkit_path_exists(PM_TEST))
		SKIP(return, NO_PM_TEST);

	ASSERT_EQ(0, slow_writes_across_suspend(_metadata, 4, "5000", &ret));
	EXPECT_EQ(0, ret) TH_LOG("suspend: %s", strerror(-ret));
	EXPECT_EQ(0, pvkit_kmsg_count_since(mark, BLK_REFUSED));
	EXPECT_EQ(0, pvkit_kmsg_problems_since(mark));
}

/*
 * Eight writes outlast a remove_wait_ms of 200: pvkit-slow refuses the
 * suspend in one line, the devices frozen before it are resumed, and
 * its writes end well. A suspend with nothing in flight then goes
 * through, and the other disk and the NIC work.
 */
TEST_F_TIMEOUT(suspend, held_writes_refuse_it, 120)
{
	unsigned int mark = pvkit_kmsg_mark();
	int ret = -1;

	if (!pvkit_path_exists(PM_TEST))
		SKIP(return, NO_PM_TEST);

	ASSERT_EQ(0, slow_writes_across_suspend(_metadata, SLOW_WRITES, "200",
						&ret));
	EXPECT_EQ(-EBUSY, ret) TH_LOG("suspend: %s", strerror(-ret));
	EXPECT_EQ(1, pvkit_kmsg_count_since(mark, BLK_REFUSED));
	EXPECT_EQ(0, pvkit_write_flush_read(self->disk, BLOCK_OFFSET - 4096,
					    "written after a refused suspend"));
	ret = suspend_resume();
	EXPECT_EQ(0, ret) TH_LOG("the next suspend: %s", strerror(-ret));
	EXPECT_EQ(0, pvkit_run("ping -c 3 -W 5 %s >/dev/null", PVKIT_TEST_HOST_IP));
	EXPECT_EQ(0, pvkit_kmsg_problems_since(mark));
}

/* Waits up to @secs for a line with @needle after @mark; whether it came. */
static bool wait_kmsg(unsigned int mark, const char *needle, double secs)
{
	double end = pvkit_now_s() + secs;

	while (pvkit_kmsg_count_since(mark, needle) < 1) {
		if (pvkit_now_s() > end)
			return false;
		usleep(100 * 1000);
	}
	return true;
}

/*
 * pvkit-hv's pvkit-bad-id disk, killed (a read of its misbehaving part
 * breaks its virtqueue), stays dead across a suspend; unbinding it then
 * leaves its device reset, although resume set the device up again
 * (the virtio core warns when remove leaves a device live). Bound
 * again, it reads.
 */
TEST_F_TIMEOUT(suspend, dead_disk_stays_dead_and_unbinds, 120)
{
	unsigned int mark = pvkit_kmsg_mark();
	char bad[32], dir[300], vdev[64];
	int ret;

	if (!pvkit_path_exists(PM_TEST))
		SKIP(return, NO_PM_TEST);
	if (strcmp(pvkit_test_host(), "hv"))
		SKIP(return, "pvkit-bad-id is a pvkit-hv disk (fault=bad-id)");
	ASSERT_EQ(0, pvkit_find_disk("pvkit-bad-id", bad, sizeof(bad)));
	snprintf(dir, sizeof(dir), "/sys/block/%s", bad);
	pvkit_virtio_dev(dir, vdev, sizeof(vdev));
	ASSERT_NE(0, read_back(bad, BAD_ID_FAULT_OFFSET, ""));
	ASSERT_TRUE(wait_kmsg(mark, KILLED_LINE, 10))
		TH_LOG("no line \"%s\" within 10 s", KILLED_LINE);

	ret = suspend_resume();
	EXPECT_EQ(0, ret) TH_LOG("suspend: %s", strerror(-ret));
	EXPECT_NE(0, read_back(bad, 0, "")) TH_LOG("%s reads after resume", bad);
	ASSERT_EQ(0, pvkit_write_file(BLK_DRIVER_DIR "/unbind", vdev));
	/* reset, then acknowledged again by the virtio core */
	EXPECT_EQ(1, pvkit_virtio_status(vdev));	/* ACKNOWLEDGE */
	EXPECT_EQ(0, pvkit_kmsg_problems_since(mark));
	ASSERT_EQ(0, pvkit_write_file(BLK_DRIVER_DIR "/bind", vdev));
	ASSERT_EQ(0, pvkit_find_disk("pvkit-bad-id", bad, sizeof(bad)));
	EXPECT_EQ(0, read_back(bad, 0, ""));
}

#include "pvkit_test_main.h"
