// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest test of pvkit_net against NICs that break the virtio rules.
 * pvkit-hv only: the harness (tests/harness/vmm-devices.sh) gives the
 * guest two NICs that misbehave on every frame they receive (pvkit-hv's
 * fault=): one returns a used id the driver never made available, the
 * other a used length one byte past the receive buffer; and a third that
 * returns a used id never made available for every frame it sends, with
 * no interrupt (fault=tx-bad-id), so that only pvkit_net's next transmit
 * can find it. Each is on its own tap, whose host side (10.0.3.1,
 * 10.0.4.1, 10.0.5.1) answers ARP, so a ping from the guest makes the
 * NIC send, receive and send again.
 *
 * Once the NIC has misbehaved, the driver must say why in one line within
 * a few seconds, reset the device (its status reads 0 while pvkit_net is
 * still bound), drop the carrier and refuse to transmit, without a hang;
 * the test NIC must go on working; unbinding and binding the device
 * again must give a NIC that the fault stops again. Last, pvkit_net must
 * unload with the dead NICs and load again. No kernel problem may be
 * logged.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pvkit_test.h"

#define DRIVER		"pvkit_net"
#define DRIVER_DIR	"/sys/bus/virtio/drivers/" DRIVER
/* how long the driver may take to stop a NIC that received */
#define STOP_BOUND_S	10

/* The NIC with @mac and its virtio device; false if there is none. */
static bool find_nic(const char *mac, char *nic, size_t nic_size,
		     char *vdev, size_t vdev_size)
{
	char dir[300];

	vdev[0] = '\0';
	if (pvkit_find_nic(DRIVER, mac, nic, nic_size))
		return false;
	snprintf(dir, sizeof(dir), "/sys/class/net/%s", nic);
	pvkit_virtio_dev(dir, vdev, vdev_size);
	return vdev[0];
}

static bool bound_to_pvkit_net(const char *vdev)
{
	char path[300];

	snprintf(path, sizeof(path), DRIVER_DIR "/%s", vdev);
	return pvkit_path_exists(path);
}

/* /sys/class/net/@nic/carrier: 1, 0, or -1 (unreadable, as when down). */
static long long nic_carrier(const char *nic)
{
	char path[300];

	snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", nic);
	return pvkit_read_number(path);
}

/* Waits up to @secs for @line after @mark; the lines seen. */
static int wait_for_line(unsigned int mark, const char *line, int secs)
{
	double end = pvkit_now_s() + secs;
	int n;

	while (!(n = pvkit_kmsg_count_since(mark, line)) &&
	       pvkit_now_s() < end)
		usleep(100 * 1000);
	return n;
}

/* The test NIC, up with its address: it answers a ping of its host. */
static int test_nic_pings(void)
{
	char nic[32];

	if (pvkit_find_nic(DRIVER, PVKIT_TEST_MAC, nic, sizeof(nic)))
		return -1;
	pvkit_run("ip addr add " PVKIT_TEST_GUEST_IP "/24 dev %s 2>/dev/null", nic);
	pvkit_run("ip link set %s up", nic);
	if (!pvkit_wait_carrier(nic, 5))
		return -1;
	return pvkit_run("ping -q -c 1 -W 10 " PVKIT_TEST_HOST_IP " >/dev/null");
}

/*
 * Brings @nic up with @guest_ip and pings @host_ip: the ARP answer (and
 * anything else the tap had queued) makes it receive. The driver must
 * log @line once after @mark and stop the device.
 */
static void fault_stops_nic(struct __test_metadata *_metadata,
			    const char *nic, const char *vdev,
			    const char *guest_ip, const char *host_ip,
			    unsigned int mark, const char *line,
			    const char *core)
{
	double t0;

	EXPECT_EQ(0xf, pvkit_virtio_status(vdev) & 0xf);
	pvkit_run("ip addr add %s/24 dev %s 2>/dev/null", guest_ip, nic);
	ASSERT_EQ(0, pvkit_run("ip link set %s up", nic));
	t0 = pvkit_now_s();
	/* in the background: the answer, after which the NIC broke, never comes */
	ASSERT_EQ(0, pvkit_run("ping -q -c 1 -W 2 %s >/dev/null 2>&1 &",
			       host_ip));
	ASSERT_EQ(1, wait_for_line(mark, line, STOP_BOUND_S))
		TH_LOG("no one line \"%s\" in the kernel log within %d s",
		       line, STOP_BOUND_S);
	printf("# %s: stopped %.1f s after the ping began\n", nic,
	       pvkit_now_s() - t0);
	if (core)
		EXPECT_LE(1, pvkit_kmsg_count_since(mark, core))
			TH_LOG("no line \"%s\" from the virtio core", core);
	EXPECT_EQ(0, pvkit_virtio_status(vdev)) TH_LOG("the device was not reset");
	EXPECT_TRUE(bound_to_pvkit_net(vdev));
	EXPECT_NE(1, nic_carrier(nic));

	/* more traffic neither hangs nor logs again */
	t0 = pvkit_now_s();
	EXPECT_NE(0, pvkit_run("ping -q -c 2 -i 0.2 -W 1 %s >/dev/null 2>&1",
			       host_ip));
	EXPECT_GT(10.0, pvkit_now_s() - t0);
	EXPECT_EQ(1, pvkit_kmsg_count_since(mark, line));
}

FIXTURE(fault) {
	char nic[32];
	char vdev[32];
};

FIXTURE_VARIANT(fault) {
	const char *mac;
	const char *guest_ip;
	const char *host_ip;
	const char *line;	/* pvkit_net's, in the kernel log */
	const char *core;	/* the virtio core's, or NULL */
};

/* The device returns id 256 + head for a queue of 256 entries. */
FIXTURE_VARIANT_ADD(fault, bad_id) {
	.mac = "52:54:00:12:34:59",
	.guest_ip = "10.0.3.2",
	.host_ip = "10.0.3.1",
	.line = ": a virtqueue is broken: stopped",
	.core = "out of range",
};

/*
 * The harness gives this NIC no mergeable buffers (pvkit-hv's
 * mrg_rxbuf=off) and pvkit-hv offers guest TSO, so each receive buffer
 * is 17 pages, room for a 65562-byte frame.
 */
FIXTURE_VARIANT_ADD(fault, bad_len) {
	.mac = "52:54:00:12:34:5a",
	.guest_ip = "10.0.4.2",
	.host_ip = "10.0.4.1",
	.line = ": the device used 69633 bytes of a receive buffer with room for 69632: stopped",
	.core = NULL,
};

/*
 * The ping's ARP request is sent and used with a bad id, unannounced;
 * the driver finds it when it sends its next frame (the echo request).
 */
FIXTURE_VARIANT_ADD(fault, tx_bad_id) {
	.mac = "52:54:00:12:34:5b",
	.guest_ip = "10.0.5.2",
	.host_ip = "10.0.5.1",
	.line = ": a virtqueue is broken: stopped",
	.core = "out of range",
};

FIXTURE_SETUP(fault)
{
	ASSERT_TRUE(find_nic(variant->mac, self->nic, sizeof(self->nic),
			     self->vdev, sizeof(self->vdev)))
		TH_LOG("no pvkit_net NIC with MAC %s", variant->mac);
	ASSERT_TRUE(bound_to_pvkit_net(self->vdev));
}

FIXTURE_TEARDOWN(fault)
{
}

TEST_F_TIMEOUT(fault, fault_stops_the_nic_and_only_it, 120)
{
	unsigned int mark = pvkit_kmsg_mark();

	fault_stops_nic(_metadata, self->nic, self->vdev, variant->guest_ip,
			variant->host_ip, mark, variant->line, variant->core);
	EXPECT_EQ(0, test_nic_pings()) TH_LOG("the test NIC stopped working");
	EXPECT_EQ(0, pvkit_kmsg_problems_since(mark));
}

/* The device bound again is a NIC again, which the fault stops again. */
TEST_F_TIMEOUT(fault, bind_again_then_fault_again, 120)
{
	char nic[32], vdev[32];
	unsigned int mark;

	ASSERT_EQ(0, pvkit_write_file(DRIVER_DIR "/unbind", self->vdev));
	EXPECT_FALSE(find_nic(variant->mac, nic, sizeof(nic), vdev,
			      sizeof(vdev)));
	ASSERT_EQ(0, pvkit_write_file(DRIVER_DIR "/bind", self->vdev));
	ASSERT_TRUE(find_nic(variant->mac, nic, sizeof(nic), self->vdev,
			     sizeof(self->vdev)));

	mark = pvkit_kmsg_mark();
	fault_stops_nic(_metadata, nic, self->vdev, variant->guest_ip,
			variant->host_ip, mark, variant->line, variant->core);
	EXPECT_EQ(0, pvkit_kmsg_problems_since(mark));
}

FIXTURE(unload) {
};

FIXTURE_SETUP(unload)
{
}

FIXTURE_TEARDOWN(unload)
{
}

/* pvkit_net unloads with the dead NICs and loads again: all are back. */
TEST_F_TIMEOUT(unload, unload_and_load_with_dead_nics, 120)
{
	static const char * const macs[] = {
		"52:54:00:12:34:59", "52:54:00:12:34:5a", "52:54:00:12:34:5b",
		PVKIT_TEST_MAC,
	};
	unsigned int mark = pvkit_kmsg_mark(), i;
	char nic[32], vdev[32];
	int err;

	if (pvkit_builtin(DRIVER))
		SKIP(return, PVKIT_BUILTIN_SKIP, DRIVER);

	err = pvkit_unload(DRIVER);
	ASSERT_EQ(0, err) TH_LOG("rmmod " DRIVER ": %s", strerror(-err));
	for (i = 0; i < ARRAY_SIZE(macs); i++)
		EXPECT_FALSE(find_nic(macs[i], nic, sizeof(nic), vdev,
				      sizeof(vdev)));
	err = pvkit_load(DRIVER);
	ASSERT_EQ(0, err) TH_LOG("insmod " DRIVER ": %s", strerror(-err));
	for (i = 0; i < ARRAY_SIZE(macs); i++) {
		EXPECT_TRUE(find_nic(macs[i], nic, sizeof(nic), vdev,
				     sizeof(vdev)))
			TH_LOG("no NIC with MAC %s after loading again", macs[i]);
		if (vdev[0])
			EXPECT_EQ(0xf, pvkit_virtio_status(vdev) & 0xf);
	}
	EXPECT_EQ(0, test_nic_pings())
		TH_LOG("the test NIC does not work after loading again");
	EXPECT_EQ(0, pvkit_kmsg_problems_since(mark));
}

#include "pvkit_test_main.h"
