// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of the virtio block devices the harness gives a guest
 * on pvkit-hv and on QEMU/KVM (tests/harness/vmm-devices.sh), through the
 * distro kernel's own virtio_blk: disks are found by their serial (the
 * device's GET_ID), have the image's size, one request queue per vCPU,
 * the read-only disk is read-only, fio's crc32c verify passes on random
 * writes read back, and a flushed write is readable at once. That the
 * flushed write reached the image file is checked by the harness on the
 * host side, after the VMM has exited ("host-check disk-flush").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pvkit_test.h"

#define TEST_DISK_SECTORS	(64 * 1024 * 1024 / 512)
#define FLUSH_OFFSET		(60LL << 20)	/* see vmm-devices.sh */
#define FLUSH_MARKER		"PVKIT-FLUSH-MARKER"
#define FIO			"/usr/bin/fio"
/* random 4 KiB writes over 4 MiB, then every block read back and checked */
#define FIO_VERIFY "--direct=1 --ioengine=libaio --iodepth=16 --rw=randwrite --bs=4k --size=4M --verify=crc32c --do_verify=1 --verify_fatal=1 --randrepeat=0"

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

TEST_F(blk, capacity_is_the_image_size)
{
	snprintf(self->path, sizeof(self->path), "/sys/block/%s/size",
		 self->disk);
	EXPECT_EQ(TEST_DISK_SECTORS, pvkit_read_number(self->path));
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
	void *buf;
	int fd;

	snprintf(self->path, sizeof(self->path), "/sys/block/%s/ro",
		 self->tools);
	EXPECT_EQ(1, pvkit_read_number(self->path));
	ASSERT_EQ(0, posix_memalign(&buf, 4096, 4096));
	memset(buf, 0xa5, 4096);
	snprintf(self->path, sizeof(self->path), "/dev/%s", self->tools);
	/* opening may work; the write itself must not */
	fd = open(self->path, O_WRONLY | O_DIRECT);
	if (fd >= 0) {
		EXPECT_EQ(-1, pwrite(fd, buf, 4096, 0));
		EXPECT_TRUE(errno == EPERM || errno == EROFS || errno == EIO)
			TH_LOG("errno %d", errno);
		close(fd);
	} else {
		EXPECT_TRUE(errno == EROFS || errno == EACCES)
			TH_LOG("errno %d", errno);
	}
	free(buf);
}

TEST_F(blk, flushed_write_reads_back)
{
	void *out, *in;
	int fd;

	ASSERT_EQ(0, posix_memalign(&out, 4096, 4096));
	ASSERT_EQ(0, posix_memalign(&in, 4096, 4096));
	memset(out, 0, 4096);
	memset(in, 0, 4096);
	snprintf(out, 4096, "%s written by the guest\n", FLUSH_MARKER);

	snprintf(self->path, sizeof(self->path), "/dev/%s", self->disk);
	fd = open(self->path, O_RDWR | O_DIRECT);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(4096, pwrite(fd, out, 4096, FLUSH_OFFSET));
	/* fsync of a block device sends the device a flush */
	EXPECT_EQ(0, fsync(fd));
	EXPECT_EQ(4096, pread(fd, in, 4096, FLUSH_OFFSET));
	EXPECT_EQ(0, memcmp(out, in, 4096));
	close(fd);
	free(out);
	free(in);
}

TEST_F(blk, fio_verify_random_writes)
{
	int rc;

	ASSERT_EQ(0, access(FIO, X_OK)) TH_LOG("fio missing: is the tools disk mounted?");
	rc = pvkit_run(FIO " --name=verify --filename=/dev/%s " FIO_VERIFY " > /tmp/fio.out 2>&1",
		       self->disk);
	if (rc)
		pvkit_run("cat /tmp/fio.out");
	EXPECT_EQ(0, rc);
}

TEST_HARNESS_MAIN
