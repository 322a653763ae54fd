// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of pvkit_mmu.ko on any host with a hypervisor
 * interface: it loads after pvkit.ko and shows in /sys/kernel/pvkit/mmu
 * exactly the pv-mmu features the host offers (all three on pvkit-hv,
 * none on stock KVM, where it must do nothing else: no balloon, no
 * reports, no statistics, no test hook), and unloads cleanly, again
 * and again, without a kernel problem.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pvkit_test.h"

#define MMU	"/sys/kernel/pvkit/mmu/"

FIXTURE(mmu) {
	char buf[256];
	bool hv;
};

FIXTURE_SETUP(mmu)
{
	int ret = pvkit_load("pvkit");

	ASSERT_TRUE(ret == 0 || ret == -EEXIST) TH_LOG("pvkit.ko: %d", ret);
	ret = pvkit_load("pvkit_mmu");
	ASSERT_TRUE(ret == 0 || ret == -EEXIST) TH_LOG("pvkit_mmu.ko: %d", ret);
	self->hv = !strcmp(pvkit_test_host(), "hv");
	/* for the test hook's absence; EBUSY: mounted already */
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
}

FIXTURE_TEARDOWN(mmu)
{
}

TEST_F(mmu, features_match_the_host)
{
	static const char * const features[] = {
		"balloon", "page_report", "mem_stats",
	};
	char path[128];
	unsigned int i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), MMU "%s", features[i]);
		ASSERT_LT(0, pvkit_read_file(path, self->buf, sizeof(self->buf)))
			TH_LOG("%s", path);
		EXPECT_STREQ(self->hv ? "present" : "absent", self->buf)
			TH_LOG("%s on %s", features[i], pvkit_test_host());
	}
	/* empty on KVM */
	ASSERT_LE(0, pvkit_read_file("/sys/kernel/pvkit/features", self->buf,
				     sizeof(self->buf)));
	EXPECT_EQ(self->hv, strstr(self->buf, "balloon") != NULL)
		TH_LOG("pvkit.ko's features: %s", self->buf);
}

TEST_F(mmu, absent_features_do_nothing)
{
	if (self->hv) {
		/* on pvkit-hv the statistics flow at once */
		sleep(1);
		EXPECT_LT(0, pvkit_read_number(MMU "stats/stats_sent"));
		return;
	}
	sleep(6);	/* longer than one statistics period */
	EXPECT_EQ(0, pvkit_read_number(MMU "balloon_pages"));
	EXPECT_EQ(0, pvkit_read_number(MMU "balloon_target"));
	EXPECT_EQ(0, pvkit_read_number(MMU "stats/stats_sent"));
	EXPECT_EQ(0, pvkit_read_number(MMU "stats/reports"));
	EXPECT_EQ(0, pvkit_read_number(MMU "stats/refused"));
	EXPECT_FALSE(pvkit_path_exists("/sys/kernel/debug/pvkit_mmu/hostile"));
}

TEST_F(mmu, reloads_cleanly)
{
	unsigned int mark = pvkit_kmsg_mark();
	int i;

	if (pvkit_builtin("pvkit_mmu"))
		SKIP(return, PVKIT_BUILTIN_SKIP, "pvkit_mmu");

	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, pvkit_unload("pvkit_mmu")) TH_LOG("round %d", i);
		EXPECT_FALSE(pvkit_path_exists(MMU));
		ASSERT_EQ(0, pvkit_load("pvkit_mmu")) TH_LOG("round %d", i);
		EXPECT_TRUE(pvkit_path_exists(MMU "stats/inflated"));
	}
	EXPECT_EQ(0, pvkit_unload("pvkit_mmu"));
	EXPECT_EQ(5, pvkit_kmsg_count_since(mark, "pvkit_mmu: balloon "));
	EXPECT_EQ(0, pvkit_kmsg_problems_since(mark));
}

#include "pvkit_test_main.h"
