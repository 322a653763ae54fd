// SPDX-License-Identifier: GPL-2.0
/*
 * pvkit-hv's virtio back ends driven by the distro kernel's own front-ends,
 * virtio_blk and virtio_net, as an unmodified Debian guest uses them. The
 * harness gives two disks for this (tests/harness/vmm-devices.sh): serial
 * pvkit-distro (16 MiB) and the read-only pvkit-distro-ro, whose image
 * starts with a text the host wrote. pvkit_blk takes them at boot; the
 * first test loads the modules the harness listed in KMODS and moves both
 * disks and the test NIC over. Then: the features the back ends offer are
 * negotiated (indirect descriptors, event index, multiqueue, flush,
 * discard, write zeroes, checksum offload, TSO) and in use, one request
 * queue per vCPU, fio's crc32c verify, a flushed write reads back (and
 * the harness finds it in the image file after pvkit-hv exits:
 * host-check distro-disk), zeroed and discarded ranges read zeroes, the
 * read-only disk reads the host's text and takes no write, the host
 * answers ping and an iperf3 run. The last test gives everything back to
 * pvkit's drivers. A patched kernel has no virtio_blk or virtio_net: all
 * is skipped there.
 *
 * Where pvkit-distro is written: fio 0-4 MiB, write zeroes and discard
 * 8-9 MiB, the flush marker at 12 MiB.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "kselftest_harness.h"
#include "pvkit_test.h"

#define KMODS		"/etc/pvkit/kmods.distro-virtio"	/* tests/run */
#define DISK		"pvkit-distro"		/* see vmm-devices.sh */
#define RO_DISK		"pvkit-distro-ro"
#define RO_TEXT		"PVKIT-DISTRO-RO-IMAGE"
#define FLUSH_OFFSET	(12LL << 20)
#define FLUSH_MARKER	"PVKIT-DISTRO-FLUSH-MARKER"
#define ZERO_OFFSET	(8ULL << 20)
#define ZERO_LEN	(1ULL << 20)
#define NO_DISTRO	"this kernel has no virtio_blk or virtio_net modules (" KMODS ")"

FIXTURE(distro) {
};

FIXTURE_SETUP(distro)
{
}

FIXTURE_TEARDOWN(distro)
{
}

static bool distro_kernel(void)
{
	return pvkit_path_exists(KMODS);
}

/* The virtio device behind /sys/block/@disk or /sys/class/net/@nic. */
static void virtio_dev_of(const char *class, const char *name, char *vdev,
			  size_t size)
{
	char dir[300];

	snprintf(dir, sizeof(dir), "/sys/%s/%s", class, name);
	pvkit_virtio_dev(dir, vdev, size);
}

/* Moves virtio device @vdev from driver @from to driver @to; 0 or -errno. */
static int rebind(const char *vdev, const char *from, const char *to)
{
	char path[300];
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/virtio/drivers/%s/unbind", from);
	ret = pvkit_write_file(path, vdev);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/sys/bus/virtio/drivers/%s/bind", to);
	return pvkit_write_file(path, vdev);
}

/* Moves the disk with serial @serial from driver @from to @to. */
static void move_disk(struct __test_metadata *_metadata, const char *serial,
		      const char *from, const char *to)
{
	char disk[32], vdev[32], driver[300];

	ASSERT_EQ(0, pvkit_find_disk(serial, disk, sizeof(disk)))
		TH_LOG("no disk with serial %s", serial);
	virtio_dev_of("block", disk, vdev, sizeof(vdev));
	pvkit_virtio_driver(vdev, driver, sizeof(driver));
	if (!strcmp(driver, to))
		return;
	EXPECT_STREQ(from, driver);
	EXPECT_EQ(0, rebind(vdev, from, to)) TH_LOG("%s: %s to %s", vdev, from, to);
	pvkit_virtio_driver(vdev, driver, sizeof(driver));
	EXPECT_STREQ(to, driver);
	ASSERT_EQ(0, pvkit_find_disk(serial, disk, sizeof(disk)))
		TH_LOG("no disk with serial %s under %s", serial, to);
}

/* Moves the test NIC from driver @from to @to. */
static void move_nic(struct __test_metadata *_metadata, const char *from,
		     const char *to)
{
	char nic[IF_NAMESIZE], vdev[32];

	if (!pvkit_find_nic(to, PVKIT_TEST_MAC, nic, sizeof(nic)))
		return;
	ASSERT_EQ(0, pvkit_find_nic(from, PVKIT_TEST_MAC, nic, sizeof(nic)))
		TH_LOG("no %s interface with MAC " PVKIT_TEST_MAC, from);
	virtio_dev_of("class/net", nic, vdev, sizeof(vdev));
	EXPECT_EQ(0, rebind(vdev, from, to)) TH_LOG("%s: %s to %s", vdev, from, to);
	EXPECT_EQ(0, pvkit_find_nic(to, PVKIT_TEST_MAC, nic, sizeof(nic)))
		TH_LOG("no %s interface with MAC " PVKIT_TEST_MAC, to);
}

/* Loads each module listed in KMODS, in order; 0 or -errno. */
static int load_kmods(void)
{
	char line[PATH_MAX];
	FILE *f = fopen(KMODS, "r");
	int ret = 0;

	if (!f)
		return -errno;
	while (!ret && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		ret = pvkit_load_path(line);
		if (ret == -EEXIST)
			ret = 0;
	}
	fclose(f);
	return ret;
}

/* Unloads the modules listed in KMODS, last first; 0 or -errno. */
static int unload_kmods(void)
{
	char mods[16][64], line[PATH_MAX], *name;
	FILE *f = fopen(KMODS, "r");
	int n = 0, ret = 0, err;

	if (!f)
		return -errno;
	while (n < 16 && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		name = strrchr(line, '/');
		snprintf(mods[n], sizeof(mods[n]), "%.63s", name ? name + 1 : line);
		mods[n][strcspn(mods[n], ".")] = '\0';
		n++;
	}
	fclose(f);
	while (n--) {
		err = pvkit_unload(mods[n]);
		if (err && !ret)
			ret = err;
	}
	return ret;
}

/* The distro driver's disk with serial @serial, in @disk ("vdX"). */
static void distro_disk(struct __test_metadata *_metadata, const char *serial,
			char *disk, size_t size)
{
	ASSERT_EQ(0, pvkit_find_disk(serial, disk, size))
		TH_LOG("no disk with serial %s", serial);
	ASSERT_EQ(0, strncmp(disk, "vd", 2)) TH_LOG("%s is not virtio_blk's", disk);
}

TEST_F(distro, devices_move_to_the_distro_drivers)
{
	if (!distro_kernel())
		SKIP(return, NO_DISTRO);
	ASSERT_EQ(0, load_kmods());
	move_disk(_metadata, DISK, "pvkit_blk", "virtio_blk");
	move_disk(_metadata, RO_DISK, "pvkit_blk", "virtio_blk");
	move_nic(_metadata, "pvkit_net", "virtio_net");
}

TEST_F(distro, blk_features_are_negotiated)
{
	static const unsigned int bits[] = {
		VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_FLUSH,
		VIRTIO_BLK_F_MQ, VIRTIO_BLK_F_DISCARD, VIRTIO_BLK_F_WRITE_ZEROES,
		VIRTIO_RING_F_INDIRECT_DESC, VIRTIO_RING_F_EVENT_IDX,
		VIRTIO_F_VERSION_1,
	};
	char disk[32], ro[32], vdev[32], ro_vdev[32], path[300], mode[32];
	unsigned int i;

	if (!distro_kernel())
		SKIP(return, NO_DISTRO);
	distro_disk(_metadata, DISK, disk, sizeof(disk));
	distro_disk(_metadata, RO_DISK, ro, sizeof(ro));
	virtio_dev_of("block", disk, vdev, sizeof(vdev));
	virtio_dev_of("block", ro, ro_vdev, sizeof(ro_vdev));
	for (i = 0; i < ARRAY_SIZE(bits); i++)
		EXPECT_TRUE(pvkit_virtio_negotiated(vdev, bits[i]))
			TH_LOG("feature bit %u", bits[i]);
	EXPECT_FALSE(pvkit_virtio_negotiated(vdev, VIRTIO_BLK_F_RO));
	EXPECT_TRUE(pvkit_virtio_negotiated(ro_vdev, VIRTIO_BLK_F_RO));
	/* a flush is offered: the kernel sees a write-back cache */
	snprintf(path, sizeof(path), "/sys/block/%s/queue/write_cache", disk);
	ASSERT_LT(0, pvkit_read_file(path, mode, sizeof(mode)));
	EXPECT_STREQ("write back", mode);
}

TEST_F(distro, blk_one_request_queue_per_vcpu)
{
	const char *cpus = getenv("PVKIT_CPUS");
	char disk[32], path[300];
	int queues = 0;

	if (!distro_kernel())
		SKIP(return, NO_DISTRO);
	distro_disk(_metadata, DISK, disk, sizeof(disk));
	for (;; queues++) {
		snprintf(path, sizeof(path), "/sys/block/%s/mq/%d", disk, queues);
		if (!pvkit_path_exists(path))
			break;
	}
	EXPECT_EQ(cpus ? atoi(cpus) : 1, queues);
}

TEST_F_TIMEOUT(distro, blk_fio_verify_two_jobs, 120)
{
	char disk[32];

	if (!distro_kernel())
		SKIP(return, NO_DISTRO);
	distro_disk(_metadata, DISK, disk, sizeof(disk));
	ASSERT_EQ(0, pvkit_need_tool(PVKIT_FIO));
	EXPECT_EQ(0, pvkit_fio_verify(disk, "/tmp/fio-distro.out"));
}

/* The harness looks for FLUSH_MARKER in the image file afterwards. */
TEST_F(distro, blk_flushed_write_reads_back)
{
	char disk[32];

	if (!distro_kernel())
		SKIP(return, NO_DISTRO);
	distro_disk(_metadata, DISK, disk, sizeof(disk));
	EXPECT_EQ(0, pvkit_write_flush_read(disk, FLUSH_OFFSET,
					    FLUSH_MARKER " written through virtio_blk"));
}

/* pvkit-hv punches a hole for a discard: it reads back zeroes too. */
TEST_F(distro, blk_write_zeroes_and_discard_read_back_zeroes)
{
	char disk[32];

	if (!distro_kernel())
		SKIP(return, NO_DISTRO);
	distro_disk(_metadata, DISK, disk, sizeof(disk));
	EXPECT_EQ(0, pvkit_zero_and_discard(disk, ZERO_OFFSET, ZERO_LEN, true));
}

/* The harness checks the image file is as it made it, afterwards. */
TEST_F(distro, blk_read_only_disk_reads_and_takes_no_write)
{
	char disk[32], path[300];
	void *buf;
	int fd;

	if (!distro_kernel())
		SKIP(return, NO_DISTRO);
	distro_disk(_metadata, RO_DISK, disk, sizeof(disk));
	snprintf(path, sizeof(path), "/sys/block/%s/ro", disk);
	EXPECT_EQ(1, pvkit_read_number(path));
	ASSERT_EQ(0, posix_memalign(&buf, 4096, 4096));
	snprintf(path, sizeof(path), "/dev/%s", disk);
	fd = open(path, O_RDONLY | O_DIRECT);
	ASSERT_LE(0, fd);
	EXPECT_EQ(4096, pread(fd, buf, 4096, 0));
	EXPECT_EQ(0, memcmp(buf, RO_TEXT, strlen(RO_TEXT)));
	close(fd);
	free(buf);
	EXPECT_EQ(0, pvkit_write_refused(disk));
}

/* SIOCETHTOOL command @cmd (a get_value one) on @nic: its value, or -1. */
static long ethtool_value(const char *nic, __u32 cmd)
{
	struct ethtool_value value = { .cmd = cmd };

	return pvkit_ethtool(nic, &value) ? -1 : (long)value.data;
}

/* The test NIC under virtio_net, up with PVKIT_TEST_GUEST_IP, in @nic. */
static void distro_nic(struct __test_metadata *_metadata, char *nic)
{
	ASSERT_EQ(0, pvkit_find_nic("virtio_net", PVKIT_TEST_MAC, nic, IF_NAMESIZE))
		TH_LOG("no virtio_net interface with MAC " PVKIT_TEST_MAC);
	/* idempotent: every test runs in its own process */
	pvkit_run("ip link set %s up && ip addr add %s/24 dev %s 2>/dev/null",
		  nic, PVKIT_TEST_GUEST_IP, nic);
}

TEST_F(distro, net_offloads_are_negotiated_and_on)
{
	static const unsigned int bits[] = {
		VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_MAC,
		VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_HOST_TSO4,
		VIRTIO_NET_F_STATUS, VIRTIO_RING_F_INDIRECT_DESC,
		VIRTIO_RING_F_EVENT_IDX, VIRTIO_F_VERSION_1,
	};
	char nic[IF_NAMESIZE], vdev[32];
	unsigned int i;

	if (!distro_kernel())
		SKIP(return, NO_DISTRO);
	distro_nic(_metadata, nic);
	virtio_dev_of("class/net", nic, vdev, sizeof(vdev));
	for (i = 0; i < ARRAY_SIZE(bits); i++)
		EXPECT_TRUE(pvkit_virtio_negotiated(vdev, bits[i]))
			TH_LOG("feature bit %u", bits[i]);
	EXPECT_EQ(1, ethtool_value(nic, ETHTOOL_GTXCSUM));
	EXPECT_EQ(1, ethtool_value(nic, ETHTOOL_GRXCSUM));
	EXPECT_EQ(1, ethtool_value(nic, ETHTOOL_GTSO));
}

TEST_F(distro, net_link_ping_and_iperf3_to_host)
{
	char nic[IF_NAMESIZE];

	if (!distro_kernel())
		SKIP(return, NO_DISTRO);
	distro_nic(_metadata, nic);
	EXPECT_TRUE(pvkit_wait_carrier(nic, 5));
	EXPECT_EQ(0, pvkit_run("ping -c 3 -W 5 %s >/dev/null", PVKIT_TEST_HOST_IP));
	ASSERT_EQ(0, pvkit_need_tool(PVKIT_IPERF3));
	EXPECT_EQ(0, pvkit_iperf3_tcp(PVKIT_TEST_HOST_IP, "/tmp/iperf3-distro.out",
				      "virtio_net on hv", false));
}

/* Last: pvkit's front-ends get the devices back, the modules go. */
TEST_F(distro, devices_return_to_pvkit_drivers)
{
	char disk[32];

	if (!distro_kernel())
		SKIP(return, NO_DISTRO);
	move_disk(_metadata, DISK, "virtio_blk", "pvkit_blk");
	move_disk(_metadata, RO_DISK, "virtio_blk", "pvkit_blk");
	move_nic(_metadata, "virtio_net", "pvkit_net");
	EXPECT_EQ(0, unload_kmods());
	EXPECT_FALSE(pvkit_module_loaded("virtio_blk"));
	EXPECT_FALSE(pvkit_module_loaded("virtio_net"));
	ASSERT_EQ(0, pvkit_find_disk(DISK, disk, sizeof(disk)));
	EXPECT_EQ(0, strncmp(disk, "pvblk", 5)) TH_LOG("%s", disk);
}

#include "pvkit_test_main.h"
