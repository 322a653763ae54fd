// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of the virtio network device the harness gives a guest
 * on pvkit-hv (tap back end) and on QEMU/KVM (QEMU's tap netdev), through
 * the distro kernel's own virtio_net: the MAC comes from the host, the
 * link is up, the host side of the tap (10.0.2.1, made by the harness
 * inside the test run) answers ping, and an iperf3 TCP run to it moves
 * data (the rate is reported as a note, not judged).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "pvkit_test.h"

#define HOST_IP		"10.0.2.1"	/* see vmm-devices.sh */
#define GUEST_IP	"10.0.2.15"
#define GUEST_MAC	"52:54:00:12:34:56"
#define IPERF3		"/usr/bin/iperf3"
#define DRIVER		"pvkit_net"

/* The interface the pvkit_net driver made, in @name. */
static int find_virtio_nic(char *name, size_t size)
{
	char path[300], link[256];
	struct dirent *d;
	DIR *dir = opendir("/sys/class/net");
	int ret = -1;
	ssize_t n;

	if (!dir)
		return -1;
	while (ret && (d = readdir(dir))) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/device/driver",
			 d->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (strstr(link, "/" DRIVER)) {
			snprintf(name, size, "%s", d->d_name);
			ret = 0;
		}
	}
	closedir(dir);
	return ret;
}

FIXTURE(net) {
	char nic[NAME_MAX + 1];
	char path[NAME_MAX + 64];
	char buf[256];
};

FIXTURE_SETUP(net)
{
	ASSERT_EQ(0, find_virtio_nic(self->nic, sizeof(self->nic)))
		TH_LOG("no " DRIVER " interface");
	/* idempotent: every test runs in its own process */
	pvkit_run("ip link set %s up && ip addr add %s/24 dev %s 2>/dev/null",
		  self->nic, GUEST_IP, self->nic);
}

FIXTURE_TEARDOWN(net)
{
}

TEST_F(net, mac_comes_from_the_host)
{
	snprintf(self->path, sizeof(self->path), "/sys/class/net/%s/address",
		 self->nic);
	ASSERT_GT(pvkit_read_file(self->path, self->buf, sizeof(self->buf)), 0);
	EXPECT_STREQ(GUEST_MAC, self->buf);
}

TEST_F(net, link_is_up)
{
	snprintf(self->path, sizeof(self->path), "/sys/class/net/%s/carrier",
		 self->nic);
	EXPECT_EQ(1, pvkit_read_number(self->path));
}

TEST_F(net, host_answers_ping)
{
	EXPECT_EQ(0, pvkit_run("ping -c 3 -W 5 %s", HOST_IP));
}

TEST_F(net, iperf3_tcp_to_host)
{
	ASSERT_EQ(0, access(IPERF3, X_OK)) TH_LOG("iperf3 missing: is the tools disk mounted?");
	ASSERT_EQ(0, pvkit_run(IPERF3 " -c %s -t 2 -f k > /tmp/iperf3.out 2>&1",
			       HOST_IP)) {
		pvkit_run("cat /tmp/iperf3.out");
	}
	/* the receiver's line: "... 12.3 MBytes  34567 Kbits/sec  receiver" */
	EXPECT_EQ(0, pvkit_run("grep receiver /tmp/iperf3.out | grep -q ' [1-9][0-9.]* Kbits/sec'")) {
		pvkit_run("cat /tmp/iperf3.out");
	}
	pvkit_run("awk '/receiver/ { print \"# note: iperf3 TCP guest to host on %s: \" $(NF-2), $(NF-1) }' /tmp/iperf3.out",
		  getenv("PVKIT_HOST") ?: "?");
}

TEST_HARNESS_MAIN
