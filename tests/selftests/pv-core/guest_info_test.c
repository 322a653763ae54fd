// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of pvkit.ko's guest info and heartbeat. On pvkit's
 * hypervisor the guest gets a hostname of its own, waits for two
 * reports, and asks the host for "ctl info" ("##PVKIT## await-ctl",
 * served by tests/harness/hv-control): the answer must show that
 * hostname, the guest's kernel release, an IPv4 address the test put on
 * its NIC and a live heartbeat (tap-check.awk judges "##PVKIT## expect-ctl"). With
 * pvkit.ko unloaded for longer than the host waits, "ctl info" must say
 * the heartbeat stopped. On stock KVM the feature is absent and nothing
 * is reported.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pvkit_abi.h"
#include "pvkit_test.h"

#define SYSFS		"/sys/kernel/pvkit"
#define REPORTS		SYSFS "/stats/info_reports"
/* pvkit-hv calls a heartbeat stopped after this (HV_GUEST_STALE_S) */
#define HOST_STALE_S	(3 * PVKIT_GUEST_INFO_PERIOD_S)

/* Waits until @n more reports went to the host (at most a minute). */
static bool wait_reports(long long n)
{
	long long want = pvkit_read_number(REPORTS) + n;
	double end = pvkit_now_s() + 60;

	while (pvkit_now_s() < end) {
		if (pvkit_read_number(REPORTS) >= want)
			return true;
		usleep(200000);
	}
	return false;
}

/* An address from TEST-NET-1 (RFC 5737), put on a NIC for the test. */
#define TEST_ADDR	"192.0.2.77"

/* The first non-loopback interface, in @buf; false if there is none. */
static bool first_nic(char *buf, size_t size)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	bool found = false;

	for (i = ifs; i && i->if_index; i++) {
		if (!strcmp(i->if_name, "lo"))
			continue;
		snprintf(buf, size, "%s", i->if_name);
		found = true;
		break;
	}
	if (ifs)
		if_freenameindex(ifs);
	return found;
}

FIXTURE(info) {
	char buf[512];
	bool offered;
};

FIXTURE_SETUP(info)
{
	int ret = pvkit_load("pvkit");

	ASSERT_TRUE(ret == 0 || ret == -EEXIST) TH_LOG("load: %s",
						      strerror(-ret));
	ASSERT_GE(pvkit_read_file(SYSFS "/features", self->buf,
				  sizeof(self->buf)), 0);
	self->offered = strstr(self->buf, "guest_info");
}

FIXTURE_TEARDOWN(info)
{
}

TEST_F_TIMEOUT(info, host_sees_what_the_guest_is, 120)
{
	char old[HOST_NAME_MAX + 1], name[64], nic[IF_NAMESIZE];
	struct utsname uts;

	if (strcmp(pvkit_test_host(), "hv")) {
		long long before = pvkit_read_number(REPORTS);

		EXPECT_FALSE(self->offered);
		sleep(PVKIT_GUEST_INFO_PERIOD_S + 1);
		EXPECT_EQ(before, pvkit_read_number(REPORTS));
		EXPECT_EQ(0, before);
		return;
	}
	ASSERT_TRUE(self->offered);
	ASSERT_EQ(0, gethostname(old, sizeof(old)));
	ASSERT_EQ(0, uname(&uts));
	snprintf(name, sizeof(name), "pvkit-info-%d", getpid());
	ASSERT_EQ(0, sethostname(name, strlen(name)));
	ASSERT_TRUE(first_nic(nic, sizeof(nic))) TH_LOG("no NIC");
	ASSERT_EQ(0, pvkit_run("ip addr add %s/32 dev %s", TEST_ADDR, nic));
	/* two reports: the host holds one made after the changes */
	EXPECT_TRUE(wait_reports(2));
	pvkit_marker("await-ctl guest-info info");
	pvkit_marker("expect-ctl guest-info \"heartbeat\": \"ok\"");
	pvkit_marker("expect-ctl guest-info \"hostname\": \"%s\"", name);
	pvkit_marker("expect-ctl guest-info \"kernel_release\": \"%s\"", uts.release);
	pvkit_marker("expect-ctl guest-info \"%s\"", TEST_ADDR);
	/* hv-control answers within a second; keep all until then */
	sleep(2);
	EXPECT_EQ(0, sethostname(old, strlen(old)));
	EXPECT_EQ(0, pvkit_run("ip addr del %s/32 dev %s", TEST_ADDR, nic));
	printf("# note: guest info: %s, %s, %s on %s, after %lld reports\n",
	       name, uts.release, TEST_ADDR, nic, pvkit_read_number(REPORTS));
}

TEST_F_TIMEOUT(info, host_sees_the_heartbeat_stop, 120)
{
	bool mmu;

	if (strcmp(pvkit_test_host(), "hv"))
		SKIP(return, "only pvkit's hypervisor takes guest info");
	if (pvkit_builtin("pvkit"))
		SKIP(return, PVKIT_BUILTIN_SKIP, "pvkit");
	ASSERT_TRUE(self->offered);
	EXPECT_TRUE(wait_reports(1));
	mmu = pvkit_module_loaded("pvkit_mmu");
	if (mmu)
		ASSERT_EQ(0, pvkit_unload("pvkit_mmu"));
	ASSERT_EQ(0, pvkit_unload("pvkit"));
	sleep(HOST_STALE_S + 3);
	pvkit_marker("await-ctl guest-info-stopped info");
	pvkit_marker("expect-ctl guest-info-stopped \"heartbeat\": \"stopped\"");
	sleep(2);
	ASSERT_EQ(0, pvkit_load("pvkit"));
	if (mmu)
		EXPECT_EQ(0, pvkit_load("pvkit_mmu"));
	/* and beats again */
	EXPECT_TRUE(wait_reports(1));
	pvkit_marker("await-ctl guest-info-again info");
	pvkit_marker("expect-ctl guest-info-again \"heartbeat\": \"ok\"");
	sleep(2);
}

#include "pvkit_test_main.h"
