// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest test of pvkit_blk against devices that break the virtio
 * rules. pvkit-hv only: the harness (tests/harness/vmm-devices.sh) gives
 * the guest two 1 MiB disks whose reads and writes from 512 KiB on
 * misbehave (pvkit-hv's fault=): pvkit-bad-id returns a used id the
 * driver never made available, pvkit-bad-len a used length one byte past
 * the request's buffers. Below 512 KiB they work, so the driver probes
 * them and their serials read.
 *
 * A read from 512 KiB must fail with EIO within a few seconds; the
 * driver must have said why in one line by then and reset the device
 * soon after (its status reads 0 while pvkit_blk is still bound), fail
 * every later request at once and hold none; the other disks must go on
 * working; unbinding and binding the device again must give a disk that
 * reads, and that the fault kills again, also under a mounted ext4 whose
 * writeback reaches the misbehaving part (sync must return, the file
 * system unmount). Two more break a virtqueue during probe: pvkit-early
 * (fault=early-used) puts a used element in each virtqueue as the
 * driver enables it, before DRIVER_OK, with an interrupt; pvkit-scan
 * misbehaves from sector 0 on, so the partition scan of probe breaks it.
 * pvkit_blk must have refused both at boot (unbound, status FAILED
 * without DRIVER_OK; probe returned) and refuse each again, in its own
 * line, when bound by hand; the test then removes their PCI functions,
 * so that no driver loaded later takes them. Last, pvkit_blk must unload
 * with the dead disks and load again (the tools disk is unmounted and
 * mounted again for that). No kernel problem may be logged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_config.h>

#include "kselftest_harness.h"
#include "pvkit_test.h"

#define DRIVER_DIR	"/sys/bus/virtio/drivers/pvkit_blk"
#define FAULT_OFFSET	(512 * 1024)	/* fault-from=1024 in vmm-devices.sh */
#define IO_SIZE		4096
/* how long a read of a misbehaving disk may take to fail */
#define READ_BOUND_MS	5000
/* how long after that the device may take to read as reset */
#define RESET_BOUND_MS	2000
#define TOOLS_MNT	"/tools"	/* where tests/harness/guest-init put it */
#define MKFS		"/usr/sbin/mkfs.ext4"	/* on the tools disk */
#define FS_MNT		"/tmp/blk-fault-fs"
#define FS_IMG		"/tmp/blk-fault-fs.img"
/* how long writes through a file system and sync may take to fail */
#define SYNC_BOUND_MS	30000

/* What one read in a child process came to. */
struct read_result {
	long long ret;		/* pread's return value */
	int err;		/* its errno, if it failed */
	long long ms;		/* how long it took */
	bool timed_out;		/* no answer within READ_BOUND_MS */
};

static long long clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Reads IO_SIZE bytes of /dev/DISK at @offset (O_DIRECT) in a child, so
 * that a read stuck in the kernel cannot stop the test: the answer comes
 * through a pipe, or the read timed out.
 */
static struct read_result read_disk(const char *disk, long long offset)
{
	struct read_result r = { .ret = -1 };
	long long t0 = clock_ms();
	struct pollfd pfd;
	int fds[2], status;
	pid_t pid;

	if (pipe(fds)) {
		r.err = errno;
		return r;
	}
	pid = fork();
	if (!pid) {
		close(fds[0]);
		r.ret = pvkit_read_block(disk, offset, NULL, 0);
		if (r.ret < 0) {
			r.err = -r.ret;
			r.ret = -1;
		}
		_exit(write(fds[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	if (pid < 0 || poll(&pfd, 1, READ_BOUND_MS) != 1 ||
	    read(fds[0], &r, sizeof(r)) != sizeof(r)) {
		r.ret = -1;
		r.timed_out = true;
	}
	close(fds[0]);
	r.ms = clock_ms() - t0;
	if (pid > 0 && !r.timed_out)
		waitpid(pid, &status, 0);
	return r;
}

/* The virtio device under /sys/block/DISK ("virtio4") into @vdev, or "". */
static void disk_vdev(const char *disk, char *vdev, size_t size)
{
	char dir[300];

	snprintf(dir, sizeof(dir), "/sys/block/%s", disk);
	pvkit_virtio_dev(dir, vdev, size);
}

/* Requests of /dev/DISK in flight (reads and writes), or -1. */
static long long disk_in_flight(const char *disk)
{
	char path[300], text[64], *end;
	long long sum = 0;
	const char *p;
	int fields;

	snprintf(path, sizeof(path), "/sys/block/%s/inflight", disk);
	if (pvkit_read_file(path, text, sizeof(text)) <= 0)
		return -1;
	for (p = text, fields = 0; fields < 2; p = end, fields++) {
		sum += strtoll(p, &end, 10);
		if (end == p)
			return -1;
	}
	return sum;
}

static bool bound_to_pvkit_blk(const char *vdev)
{
	char path[300];

	snprintf(path, sizeof(path), DRIVER_DIR "/%s", vdev);
	return pvkit_path_exists(path);
}

/* A read that the device answers: all IO_SIZE bytes. */
#define EXPECT_READ_OK(disk, offset) do {				\
	struct read_result _r = read_disk(disk, offset);		\
	EXPECT_EQ(IO_SIZE, _r.ret)					\
		TH_LOG("%s at %lld: errno %d, %s", disk,		\
		       (long long)(offset), _r.err,			\
		       _r.timed_out ? "timed out" : "answered");	\
} while (0)

/*
 * The device's status once it reads 0 (reset), or its last reading
 * after @ms: the kill path resets it from a work item, which may run
 * just after the failed request has reached its caller.
 */
static int wait_for_reset(const char *vdev, int ms)
{
	long long end = clock_ms() + ms;
	int status;

	while ((status = pvkit_virtio_status(vdev)) && clock_ms() < end)
		usleep(20 * 1000);
	return status;
}

/*
 * Reads the fault region of @disk: it must fail with EIO in time, with
 * the driver's line (and @core's, the virtio core's, if set) logged once
 * after @mark by the time the read has failed, and the device reset
 * soon after.
 */
static void fault_kills_disk(struct __test_metadata *_metadata,
			     const char *disk, const char *vdev,
			     unsigned int mark, const char *line,
			     const char *core)
{
	struct read_result r = read_disk(disk, FAULT_OFFSET);

	ASSERT_FALSE(r.timed_out)
		TH_LOG("a read of %s's misbehaving part still hangs after %d ms",
		       disk, READ_BOUND_MS);
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(EIO, r.err);
	printf("# %s: the read returned %lld (errno %d) after %lld ms\n",
	       disk, r.ret, r.err, r.ms);
	EXPECT_EQ(1, pvkit_kmsg_count_since(mark, line))
		TH_LOG("no one line \"%s\" in the kernel log", line);
	if (core)
		EXPECT_EQ(1, pvkit_kmsg_count_since(mark, core))
			TH_LOG("no one line \"%s\" in the kernel log", core);
	EXPECT_EQ(0, wait_for_reset(vdev, RESET_BOUND_MS))
		TH_LOG("the device was not reset within %d ms", RESET_BOUND_MS);
	EXPECT_TRUE(bound_to_pvkit_blk(vdev));
	EXPECT_EQ(0, disk_in_flight(disk));
}

FIXTURE(fault) {
	char disk[32];
	char vdev[32];
};

FIXTURE_VARIANT(fault) {
	const char *serial;
	const char *line;	/* pvkit_blk's, in the kernel log */
	const char *core;	/* the virtio core's, or NULL */
};

/* The device returns id 256 + head for a queue of 256 entries. */
FIXTURE_VARIANT_ADD(fault, bad_id) {
	.serial = "pvkit-bad-id",
	.line = ": a virtqueue is broken: failing all I/O",
	.core = "out of range",
};

/* A 4 KiB read has room for 4097 bytes: data and status. */
FIXTURE_VARIANT_ADD(fault, bad_len) {
	.serial = "pvkit-bad-len",
	.line = ": the device used 4098 bytes of a request with room for 4097: failing all I/O",
	.core = NULL,
};

/*
 * The disk and its virtio device. A dead disk's serial does not read, so
 * the device is also kept in /tmp for the tests after the one that
 * killed it.
 */
FIXTURE_SETUP(fault)
{
	char saved[64];

	snprintf(saved, sizeof(saved), "/tmp/blk-fault-%s", variant->serial);
	if (!pvkit_find_disk(variant->serial, self->disk,
			     sizeof(self->disk))) {
		disk_vdev(self->disk, self->vdev, sizeof(self->vdev));
		ASSERT_EQ(0, pvkit_write_file(saved, self->vdev));
	} else {
		ASSERT_LT(0, pvkit_read_file(saved, self->vdev,
					     sizeof(self->vdev)))
			TH_LOG("no virtio disk with serial %s", variant->serial);
	}
	ASSERT_NE(0, self->vdev[0]);
	ASSERT_TRUE(bound_to_pvkit_blk(self->vdev));
}

FIXTURE_TEARDOWN(fault)
{
}

TEST_F_TIMEOUT(fault, misbehaving_device_fails_io_and_only_its_own, 90)
{
	unsigned int mark = pvkit_kmsg_mark();
	char other[32];
	struct read_result r;

	/* below the misbehaving part, the disk works */
	EXPECT_READ_OK(self->disk, 0);
	EXPECT_EQ(0xf, pvkit_virtio_status(self->vdev) & 0xf);

	fault_kills_disk(_metadata, self->disk, self->vdev, mark,
			 variant->line, variant->core);

	/*
	 * from now on every request fails at once: EIO, or end of file on
	 * 6.12, which sets a dead disk's capacity to 0
	 */
	r = read_disk(self->disk, 0);
	EXPECT_FALSE(r.timed_out);
	EXPECT_TRUE((r.ret == -1 && r.err == EIO) || r.ret == 0)
		TH_LOG("a read after the fault: %lld, errno %d", r.ret, r.err);
	EXPECT_GT(1000, r.ms);

	/* the other disks do not notice */
	ASSERT_EQ(0, pvkit_find_disk("pvkit-test", other, sizeof(other)));
	EXPECT_READ_OK(other, FAULT_OFFSET);
	ASSERT_EQ(0, pvkit_find_disk("pvkit-tools", other, sizeof(other)));
	EXPECT_READ_OK(other, 0);
	EXPECT_EQ(0, pvkit_kmsg_problems_since(mark));
}

/*
 * The device bound again is a working disk, which misbehaves again
 * where it did; it is left dead for the unload test.
 */
TEST_F_TIMEOUT(fault, bind_again_then_fault_again, 90)
{
	unsigned int mark;
	char disk[32];

	/* the disk is dead from the last test: its serial does not read */
	ASSERT_EQ(0, pvkit_write_file(DRIVER_DIR "/unbind", self->vdev));
	ASSERT_EQ(0, pvkit_write_file(DRIVER_DIR "/bind", self->vdev));
	ASSERT_EQ(0, pvkit_find_disk(variant->serial, disk, sizeof(disk)));
	EXPECT_READ_OK(disk, 0);
	EXPECT_EQ(0xf, pvkit_virtio_status(self->vdev) & 0xf);

	mark = pvkit_kmsg_mark();
	fault_kills_disk(_metadata, disk, self->vdev, mark, variant->line,
			 variant->core);
	EXPECT_EQ(0, pvkit_kmsg_problems_since(mark));
}

/*
 * The fault under a mounted ext4 (of the whole 1 MiB disk): a file
 * written through the page cache reaches the misbehaving part when it is
 * written back, and sync must return in time with the disk dead, the
 * device reset and nothing in flight; the file system unmounts. (On 6.12
 * marking the disk dead also tells the file system, which might wait for
 * pages under writeback that the broken device holds: with the device
 * reset after that, as now, this passed on 6.12 and 6.1 on 2026-12-07.)
 */
TEST_F_TIMEOUT(fault, fault_under_a_file_system_ends_its_writeback, 120)
{
	unsigned int mark;
	long long t0, ms;
	char disk[32];
	int synced;

	ASSERT_EQ(0, pvkit_need_tool(MKFS));
	ASSERT_EQ(0, pvkit_write_file(DRIVER_DIR "/unbind", self->vdev));
	ASSERT_EQ(0, pvkit_write_file(DRIVER_DIR "/bind", self->vdev));
	ASSERT_EQ(0, pvkit_find_disk(variant->serial, disk, sizeof(disk)));
	mark = pvkit_kmsg_mark();
	/*
	 * made in a file and copied up to the fault (the rest is zeros on
	 * both): mkfs zeroes the last blocks of the device itself
	 */
	ASSERT_EQ(0, pvkit_run("dd if=/dev/zero of=" FS_IMG " bs=1k count=1024 2>/dev/null"));
	ASSERT_EQ(0, pvkit_run(MKFS " -q -F " FS_IMG));
	ASSERT_EQ(0, pvkit_run("dd if=" FS_IMG " of=/dev/%s bs=1k count=%d conv=fsync 2>/dev/null",
			       disk, FAULT_OFFSET / 1024));
	ASSERT_EQ(0, pvkit_run("mkdir -p " FS_MNT " && mount -t ext4 /dev/%s " FS_MNT,
			       disk));
	t0 = clock_ms();
	/* 800 KiB: well past the fault's 512 KiB on a 1 MiB file system */
	synced = pvkit_run("dd if=/dev/zero of=" FS_MNT "/file bs=4k count=200 2>/dev/null; sync");
	ms = clock_ms() - t0;
	printf("# %s: the writes and sync returned %d after %lld ms\n", disk,
	       synced, ms);
	EXPECT_GT(SYNC_BOUND_MS, ms);
	/* (a write's bad length is one past its status byte, not a read's) */
	EXPECT_EQ(1, pvkit_kmsg_count_since(mark, ": failing all I/O"))
		TH_LOG("not one line of pvkit_blk's failing the disk");
	EXPECT_EQ(0, wait_for_reset(self->vdev, RESET_BOUND_MS));
	EXPECT_EQ(0, pvkit_run("umount " FS_MNT));
	pvkit_run("rm -f " FS_IMG);
	EXPECT_EQ(0, disk_in_flight(disk));
	EXPECT_EQ(0, pvkit_kmsg_problems_since(mark));
}

/*
 * The virtio block devices no driver took (a working disk is
 * pvkit_blk's), the first @max in @vdevs; how many there are.
 */
static int unbound_disks(char vdevs[][32], int max)
{
	DIR *dir = opendir("/sys/bus/virtio/devices");
	char path[300], id[16];
	struct dirent *e;
	int n = 0;

	if (!dir)
		return -1;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/device",
			 e->d_name);
		if (pvkit_read_file(path, id, sizeof(id)) <= 0 ||
		    strncmp(id, "0x0002", 6))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/driver",
			 e->d_name);
		if (pvkit_path_exists(path))
			continue;
		if (n < max && strlen(e->d_name) < 32)
			memcpy(vdevs[n], e->d_name, strlen(e->d_name) + 1);
		n++;
	}
	closedir(dir);
	return n;
}

#define EARLY_LINE	": a virtqueue broke before the disk was ready (the device used a buffer it was not given): refused"
#define SCAN_LINE	": a virtqueue broke while the disk was added (its partition scan): refused"
/* how long binding such a device may take: probe fails fast */
#define BIND_BOUND_S	10
#define NOT_LIVE	(VIRTIO_CONFIG_S_FAILED | VIRTIO_CONFIG_S_DRIVER_OK)

/*
 * pvkit-early (fault=early-used) and pvkit-scan (fault=bad-id from
 * sector 0) break a virtqueue during probe, before DRIVER_OK and in the
 * partition scan: pvkit_blk refused both at boot (unbound, FAILED
 * without DRIVER_OK) and refuses each again, in its own line, when bound
 * by hand. Last, their PCI functions are removed, so that no driver
 * loaded later takes them.
 */
TEST(devices_that_break_in_probe_are_refused)
{
	char vdevs[4][32], disk[32], path[PATH_MAX + 16], pci[PATH_MAX];
	unsigned int mark = pvkit_kmsg_mark();
	int i, n, err;
	long status;
	double t0;

	n = unbound_disks(vdevs, ARRAY_SIZE(vdevs));
	ASSERT_EQ(2, n)
		TH_LOG("%d virtio disks unbound, not the two that break in probe", n);
	for (i = 0; i < n; i++) {
		status = pvkit_virtio_status(vdevs[i]);
		EXPECT_EQ(VIRTIO_CONFIG_S_FAILED, status & NOT_LIVE)
			TH_LOG("%s: status %#lx", vdevs[i], status);
		t0 = pvkit_now_s();
		err = pvkit_write_file(DRIVER_DIR "/bind", vdevs[i]);
		EXPECT_EQ(-EIO, err)
			TH_LOG("bind %s: %s", vdevs[i], strerror(-err));
		EXPECT_GT(BIND_BOUND_S, pvkit_now_s() - t0);
		printf("# %s: refused again in %.2f s\n", vdevs[i],
		       pvkit_now_s() - t0);
		EXPECT_FALSE(bound_to_pvkit_blk(vdevs[i]));
		status = pvkit_virtio_status(vdevs[i]);
		EXPECT_EQ(VIRTIO_CONFIG_S_FAILED, status & NOT_LIVE)
			TH_LOG("%s: status %#lx after the bind", vdevs[i], status);
	}
	EXPECT_EQ(1, pvkit_kmsg_count_since(mark, EARLY_LINE))
		TH_LOG("no one line \"%s\" in the kernel log", EARLY_LINE);
	EXPECT_EQ(1, pvkit_kmsg_count_since(mark, SCAN_LINE))
		TH_LOG("no one line \"%s\" in the kernel log", SCAN_LINE);
	ASSERT_EQ(0, pvkit_find_disk("pvkit-test", disk, sizeof(disk)));
	EXPECT_READ_OK(disk, 0);
	EXPECT_EQ(0, pvkit_kmsg_problems_since(mark));

	for (i = 0; i < n; i++) {
		/* virtioN's parent is its PCI function */
		snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/..",
			 vdevs[i]);
		ASSERT_NE(NULL, realpath(path, pci));
		snprintf(path, sizeof(path), "%s/remove", pci);
		EXPECT_EQ(0, pvkit_write_file(path, "1"));
	}
	EXPECT_EQ(0, unbound_disks(vdevs, ARRAY_SIZE(vdevs)));
}

FIXTURE(unload) {
	char disk[32];
};

FIXTURE_SETUP(unload)
{
}

FIXTURE_TEARDOWN(unload)
{
}

/*
 * pvkit_blk unloads with the dead disks and loads again: every disk is
 * back and reads, the tools disk is mounted again for the tests after.
 */
TEST_F_TIMEOUT(unload, unload_and_load_with_dead_disks, 90)
{
	static const char * const serials[] = {
		"pvkit-bad-id", "pvkit-bad-len", "pvkit-test", "pvkit-tools",
	};
	unsigned int mark = pvkit_kmsg_mark(), i;
	int unloaded;

	if (pvkit_builtin("pvkit_blk"))
		SKIP(return, PVKIT_BUILTIN_SKIP, "pvkit_blk");

	EXPECT_EQ(0, pvkit_run("umount " TOOLS_MNT));
	unloaded = pvkit_unload("pvkit_blk");
	EXPECT_EQ(0, unloaded) TH_LOG("rmmod pvkit_blk: %s", strerror(-unloaded));
	if (!unloaded) {
		EXPECT_FALSE(pvkit_module_loaded("pvkit_blk"));
		EXPECT_EQ(0, pvkit_load("pvkit_blk"));
	}
	for (i = 0; i < ARRAY_SIZE(serials); i++) {
		EXPECT_EQ(0, pvkit_find_disk(serials[i], self->disk,
					     sizeof(self->disk)))
			TH_LOG("no disk %s after loading pvkit_blk", serials[i]);
		EXPECT_READ_OK(self->disk, 0);
	}
	/* the tests after this one need fio and iperf3 from the tools disk */
	if (!pvkit_find_disk("pvkit-tools", self->disk, sizeof(self->disk)))
		EXPECT_EQ(0, pvkit_run("mount -t ext4 -o ro /dev/%s " TOOLS_MNT,
				       self->disk));
	EXPECT_EQ(0, pvkit_need_tool(PVKIT_FIO));
	EXPECT_EQ(0, pvkit_kmsg_problems_since(mark));
}

#include "pvkit_test_main.h"
