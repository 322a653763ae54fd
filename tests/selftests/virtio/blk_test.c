// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of pvkit_blk, pvkit's virtio block front-end, on the
 * disks the harness gives a guest on pvkit-hv and on QEMU/KVM
 * (tests/harness/vmm-devices.sh): disks are pvkit_blk's and found by
 * their serial (the device's GET_ID), have the image's size, one request
 * queue per vCPU, the cache mode, block sizes, discard and write zeroes
 * the device offers; the read-only disk is read-only; a flushed write is
 * readable at once; fio's crc32c verify passes with two jobs; an ext4
 * file system made, filled and mounted again gives the file back; and
 * unbinding the disk from pvkit_blk under fio ends fio with an error
 * within a bound, after which the disk binds again and reads; on QEMU,
 * also with writes the device sits on (a throttled disk), which fail
 * when removal resets the device. That the flushed write reached the
 * image file is checked by the harness on the host side, after the VMM
 * has exited ("host-check disk-flush").
 *
 * Where the scratch disk (64 MiB) is written: fio 0-4 MiB, ext4 0-32 MiB,
 * write zeroes and discard 40-41 MiB, the flush marker at 60 MiB;
 * lifecycle/suspend_test's blocks from 61 MiB.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/virtio_blk.h>

#include "kselftest_harness.h"
#include "pvkit_test.h"

#define TEST_DISK_SECTORS	(64 * 1024 * 1024 / 512)
#define FLUSH_OFFSET		(60LL << 20)	/* see vmm-devices.sh */
#define FLUSH_MARKER		"PVKIT-FLUSH-MARKER"
#define ZERO_OFFSET		(40ULL << 20)
#define ZERO_LEN		(1ULL << 20)
#define DRIVER			"pvkit_blk"
#define DRIVER_DIR		"/sys/bus/virtio/drivers/" DRIVER
#define REMOVE_WAIT		"/sys/module/" DRIVER "/parameters/remove_wait_ms"
#define MKFS			"/usr/sbin/mkfs.ext4"
#define MNT			"/tmp/pvblk-mnt"
/* how long unbinding, and fio's end after it, may take */
#define UNBIND_BOUND_S		20

FIXTURE(blk) {
	char disk[32];
	char tools[32];
	char path[300];
	char buf[256];
};

FIXTURE_SETUP(blk)
{
	ASSERT_EQ(0, pvkit_find_disk("pvkit-test", self->disk,
				     sizeof(self->disk)))
		TH_LOG("no virtio disk with serial pvkit-test");
	ASSERT_EQ(0, pvkit_find_disk("pvkit-tools", self->tools,
				     sizeof(self->tools)))
		TH_LOG("no virtio disk with serial pvkit-tools");
}

FIXTURE_TEARDOWN(blk)
{
}

static bool on_kvm(void)
{
	return !strcmp(pvkit_test_host(), "kvm");
}

/* /sys/block/DISK/ATTR as a number, or -1. */
static long long disk_number(const char *disk, const char *attr)
{
	char path[300];

	snprintf(path, sizeof(path), "/sys/block/%s/%s", disk, attr);
	return pvkit_read_number(path);
}

/* Whether the driver and the device agreed on feature @bit. */
static bool negotiated(const char *disk, unsigned int bit)
{
	char dir[300], vdev[64];

	snprintf(dir, sizeof(dir), "/sys/block/%s", disk);
	pvkit_virtio_dev(dir, vdev, sizeof(vdev));
	return pvkit_virtio_negotiated(vdev, bit);
}

/*
 * The last part of where /sys/block/DISK/LINK leads: LINK "device" gives
 * the virtio device ("virtio1"), "device/driver" its driver; or "".
 */
static void link_name(const char *disk, const char *link, char *name,
		      size_t size)
{
	char path[300], real[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/block/%s/%s", disk, link);
	if (!realpath(path, real)) {
		name[0] = '\0';
		return;
	}
	snprintf(name, size, "%s", strrchr(real, '/') + 1);
}

/* Waits up to @seconds for @pid; 0 with its wait status, or -1. */
static int wait_bounded(pid_t pid, int seconds, int *status)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	int i;

	for (i = 0; i < seconds * 20; i++) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return 0;
		nanosleep(&tick, NULL);
	}
	return -1;
}

/* Writes @text to @path from a child, which may block; see wait_bounded. */
static pid_t write_file_async(const char *path, const char *text)
{
	pid_t pid = fork();

	if (!pid)
		_exit(pvkit_write_file(path, text) ? 1 : 0);
	return pid;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Writes completed on a disk so far (the fifth field of its stat). */
static long long disk_writes(const char *disk)
{
	char path[300], stat[256];
	long long r[5];

	snprintf(path, sizeof(path), "/sys/block/%s/stat", disk);
	if (pvkit_read_file(path, stat, sizeof(stat)) <= 0 ||
	    sscanf(stat, "%lld %lld %lld %lld %lld", &r[0], &r[1], &r[2],
		   &r[3], &r[4]) != 5)
		return -1;
	return r[4];
}

TEST_F(blk, capacity_is_the_image_size)
{
	EXPECT_EQ(TEST_DISK_SECTORS, disk_number(self->disk, "size"));
}

TEST_F(blk, disks_are_bound_to_pvkit_blk)
{
	link_name(self->disk, "device/driver", self->buf, sizeof(self->buf));
	EXPECT_STREQ(DRIVER, self->buf);
	link_name(self->tools, "device/driver", self->buf, sizeof(self->buf));
	EXPECT_STREQ(DRIVER, self->buf);
	EXPECT_EQ(0, strncmp(self->disk, "pvblk", 5)) TH_LOG("%s", self->disk);
}

TEST_F(blk, one_request_queue_per_vcpu)
{
	const char *cpus = getenv("PVKIT_CPUS");
	int queues = 0;
	struct stat st;

	for (;;) {
		snprintf(self->path, sizeof(self->path), "/sys/block/%s/mq/%d",
			 self->disk, queues);
		if (stat(self->path, &st))
			break;
		queues++;
	}
	EXPECT_EQ(cpus ? atoi(cpus) : 1, queues);
}

TEST_F(blk, read_only_disk_refuses_writes)
{
	EXPECT_TRUE(negotiated(self->tools, VIRTIO_BLK_F_RO));
	EXPECT_EQ(1, disk_number(self->tools, "ro"));
	EXPECT_EQ(0, disk_number(self->disk, "ro"));
	EXPECT_EQ(0, pvkit_write_refused(self->tools));
}

/* Both VMMs offer VIRTIO_BLK_F_FLUSH: a write-back cache, no FUA. */
TEST_F(blk, write_back_cache_with_flush)
{
	char path[300];

	EXPECT_TRUE(negotiated(self->disk, VIRTIO_BLK_F_FLUSH));
	snprintf(path, sizeof(path), "/sys/block/%s/queue/write_cache",
		 self->disk);
	ASSERT_LT(0, pvkit_read_file(path, self->buf, sizeof(self->buf)));
	EXPECT_STREQ("write back", self->buf);
	EXPECT_EQ(0, disk_number(self->disk, "queue/fua"));
}

/*
 * 512-byte logical blocks (VIRTIO_BLK_F_BLK_SIZE) on both VMMs; on QEMU
 * the scratch disk has 4 KiB physical blocks (VIRTIO_BLK_F_TOPOLOGY).
 * Both limit a request to 254 segments (VIRTIO_BLK_F_SEG_MAX).
 */
TEST_F(blk, block_sizes_from_the_configuration)
{
	EXPECT_TRUE(negotiated(self->disk, VIRTIO_BLK_F_BLK_SIZE));
	EXPECT_EQ(on_kvm(), negotiated(self->disk, VIRTIO_BLK_F_TOPOLOGY));
	EXPECT_EQ(512, disk_number(self->disk, "queue/logical_block_size"));
	EXPECT_EQ(on_kvm() ? 4096 : 512,
		  disk_number(self->disk, "queue/physical_block_size"));
	EXPECT_EQ(254, disk_number(self->disk, "queue/max_segments"));
}

/*
 * QEMU and pvkit-hv both offer discard and write zeroes: a zeroed range
 * reads back zeroes, and a discard is taken. pvkit-hv punches a hole in
 * the image, so its discarded range reads back zeroes too (QEMU's
 * default, discard=ignore, promises nothing).
 */
TEST_F(blk, discard_and_write_zeroes_as_offered)
{
	EXPECT_TRUE(negotiated(self->disk, VIRTIO_BLK_F_DISCARD));
	EXPECT_TRUE(negotiated(self->disk, VIRTIO_BLK_F_WRITE_ZEROES));
	EXPECT_LT(0, disk_number(self->disk, "queue/discard_max_bytes"));
	EXPECT_LT(0, disk_number(self->disk, "queue/write_zeroes_max_bytes"));
	EXPECT_EQ(0, pvkit_zero_and_discard(self->disk, ZERO_OFFSET, ZERO_LEN,
					    !on_kvm()));
}

TEST_F(blk, flushed_write_reads_back)
{
	EXPECT_EQ(0, pvkit_write_flush_read(self->disk, FLUSH_OFFSET,
					    FLUSH_MARKER " written by the guest"));
}

/* 120 s: the debug kernel (KASAN, DEBUG_PAGEALLOC) takes over 30 */
TEST_F_TIMEOUT(blk, fio_verify_two_jobs, 120)
{
	ASSERT_EQ(0, pvkit_need_tool(PVKIT_FIO));
	EXPECT_EQ(0, pvkit_fio_verify(self->disk, "/tmp/fio.out"));
}

/*
 * A file system on the scratch disk: made, a file of random bytes
 * written, unmounted, the caches dropped, mounted again: the file reads
 * back the same (sha256 and cmp). Beyond kselftest's default 30 s: the
 * nested debug kernel (KASAN, lockdep) needed more for mkfs and mount.
 */
TEST_F_TIMEOUT(blk, ext4_file_round_trip, 120)
{
	static const char * const steps[] = {
		"mkdir -p " MNT,
		MKFS " -q -F /dev/%1$s 32M",
		"mount -t ext4 /dev/%1$s " MNT,
		"dd if=/dev/urandom of=/tmp/pvblk-file bs=64k count=32",
		"cp /tmp/pvblk-file " MNT "/file && sync",
		"umount " MNT,
		"echo 3 > /proc/sys/vm/drop_caches",
		"mount -t ext4 /dev/%1$s " MNT,
		"[ \"$(sha256sum < /tmp/pvblk-file)\" = \"$(sha256sum < " MNT "/file)\" ]",
		"cmp /tmp/pvblk-file " MNT "/file",
		"umount " MNT,
	};
	unsigned int mark = pvkit_kmsg_mark();
	char cmd[512];
	size_t i;

	ASSERT_EQ(0, pvkit_need_tool(MKFS));
	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		snprintf(cmd, sizeof(cmd), steps[i], self->disk);
		if (pvkit_run("( %s ) > /tmp/pvblk-step.out 2>&1", cmd)) {
			pvkit_run("cat /tmp/pvblk-step.out; umount " MNT " 2>/dev/null");
			ASSERT_TRUE(false) TH_LOG("failed: %s", steps[i]);
		}
	}
	EXPECT_EQ(0, pvkit_kmsg_problems_since(mark));
}

/* Writes in flight on a disk now (the second field of its inflight). */
static long long disk_writes_in_flight(const char *disk)
{
	char path[300], text[64];
	long long r, w;

	snprintf(path, sizeof(path), "/sys/block/%s/inflight", disk);
	if (pvkit_read_file(path, text, sizeof(text)) <= 0 ||
	    sscanf(text, "%lld %lld", &r, &w) != 2)
		return -1;
	return w;
}

/* Starts 60 s of random 4 KiB writes to /dev/DISK, output to OUT. */
static pid_t fio_start(const char *disk, const char *out)
{
	char filename[64];
	pid_t pid;
	int fd;

	snprintf(filename, sizeof(filename), "--filename=/dev/%s", disk);
	pid = fork();
	if (pid)
		return pid;
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dup2(fd, 1);
	dup2(fd, 2);
	execl(PVKIT_FIO, PVKIT_FIO, "--name=unbind", filename, "--direct=1",
	      "--ioengine=libaio", "--iodepth=16", "--rw=randwrite", "--bs=4k",
	      "--size=1M", "--time_based", "--runtime=60", (char *)NULL);
	_exit(127);
}

/*
 * Unbinds the disk with serial SERIAL from pvkit_blk once fio has made
 * @done writes and has at least @held in flight. Unbinding must return,
 * and fio end with an error, each within UNBIND_BOUND_S; binding the
 * device again must give a disk that reads; nothing in the kernel log
 * may look wrong.
 */
static void unbind_under_fio(struct __test_metadata *_metadata,
			     const char *serial, long long done, long long held)
{
	unsigned int mark = pvkit_kmsg_mark();
	char vdev[64], disk[32], path[64];
	long long before, t0, t1;
	pid_t fio, unbind;
	int status, i, fd;
	void *buf;

	ASSERT_EQ(0, pvkit_need_tool(PVKIT_FIO));
	ASSERT_EQ(0, pvkit_find_disk(serial, disk, sizeof(disk)));
	link_name(disk, "device", vdev, sizeof(vdev));
	ASSERT_NE(0, vdev[0]);

	before = disk_writes(disk);
	fio = fio_start(disk, "/tmp/fio-unbind.out");
	ASSERT_GE(fio, 0);
	for (i = 0; i < 1500; i++) {
		if (disk_writes(disk) >= before + done &&
		    disk_writes_in_flight(disk) >= held)
			break;
		usleep(10 * 1000);
	}
	EXPECT_GT(1500, i) TH_LOG("fio did not get going");

	t0 = now_ms();
	unbind = write_file_async(DRIVER_DIR "/unbind", vdev);
	ASSERT_GE(unbind, 0);
	ASSERT_EQ(0, wait_bounded(unbind, UNBIND_BOUND_S, &status))
		TH_LOG("unbinding %s took more than %d s", vdev, UNBIND_BOUND_S);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	t1 = now_ms();

	if (wait_bounded(fio, UNBIND_BOUND_S, &status)) {
		kill(fio, SIGKILL);
		waitpid(fio, &status, 0);
		ASSERT_TRUE(false) TH_LOG("fio still ran %d s after the unbind",
					  UNBIND_BOUND_S);
	}
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0)
		TH_LOG("fio ended with status 0x%x", status);
	printf("# unbinding took %lld ms, fio ended %lld ms later\n", t1 - t0,
	       now_ms() - t1);
	pvkit_run("grep -m 2 -E \"error|err=\" /tmp/fio-unbind.out");

	EXPECT_EQ(0, pvkit_write_file(DRIVER_DIR "/bind", vdev));
	ASSERT_EQ(0, pvkit_find_disk(serial, disk, sizeof(disk)))
		TH_LOG("no disk %s after binding %s again", serial, vdev);
	snprintf(path, sizeof(path), "/dev/%s", disk);
	ASSERT_EQ(0, posix_memalign(&buf, 4096, 4096));
	fd = open(path, O_RDONLY | O_DIRECT);
	EXPECT_GE(fd, 0);
	if (fd >= 0) {
		EXPECT_EQ(4096, pread(fd, buf, 4096, 0));
		close(fd);
	}
	free(buf);
	EXPECT_EQ(0, pvkit_kmsg_problems_since(mark));
}

/* Hot removal with I/O in flight, on the scratch disk. */
TEST_F_TIMEOUT(blk, unbind_under_fio_then_bind, 90)
{
	unbind_under_fio(_metadata, "pvkit-test", 64, 0);
}

/*
 * Hot removal with requests the device sits on: QEMU and pvkit-hv serve
 * the disk pvkit-slow two writes a second (reads are not held back). With removal
 * waiting 200 ms for them, they must fail when the device is reset, with
 * one warning line.
 */
TEST_F_TIMEOUT(blk, unbind_with_requests_held_by_the_device, 90)
{
	unsigned int mark;
	char disk[32];

	ASSERT_EQ(0, pvkit_find_disk("pvkit-slow", disk, sizeof(disk)));
	ASSERT_EQ(0, pvkit_write_file(REMOVE_WAIT, "200"));
	mark = pvkit_kmsg_mark();
	unbind_under_fio(_metadata, "pvkit-slow", 0, 4);
	EXPECT_EQ(1, pvkit_kmsg_count_since(mark, "requests still in flight"));
	EXPECT_EQ(0, pvkit_write_file(REMOVE_WAIT, "5000"));
}

#include "pvkit_test_main.h"
