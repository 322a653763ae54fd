// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of pvkit.ko where there is no hypervisor interface at
 * all (plain QEMU TCG): loading must fail with ENODEV and one clear
 * kernel log line, leave nothing behind, and never warn or oops, however
 * often it is tried.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "pvkit_test.h"

static int absent_lines_since(unsigned int mark)
{
	return pvkit_kmsg_count_since(mark, "pvkit: no supported hypervisor") +
	       pvkit_kmsg_count_since(mark, "pvkit: no hypervisor interface");
}

FIXTURE(absent) {
	int unused;
};

FIXTURE_SETUP(absent)
{
}

FIXTURE_TEARDOWN(absent)
{
}

TEST_F(absent, load_fails_with_enodev)
{
	unsigned int mark = pvkit_kmsg_mark();

	ASSERT_NE(0U, mark);
	EXPECT_EQ(-ENODEV, pvkit_load("pvkit"));
	EXPECT_EQ(1, absent_lines_since(mark));
	EXPECT_EQ(0, pvkit_kmsg_problems_since(mark));
}

TEST_F(absent, nothing_left_behind)
{
	EXPECT_EQ(-ENODEV, pvkit_load("pvkit"));
	EXPECT_FALSE(pvkit_module_loaded("pvkit"));
	EXPECT_FALSE(pvkit_path_exists("/sys/kernel/pvkit"));
	EXPECT_FALSE(pvkit_path_exists("/dev/pvkit"));
}

TEST_F_TIMEOUT(absent, repeated_failed_loads, 600)
{
	unsigned int mark = pvkit_kmsg_mark();
	long long before, after;
	int i;

	before = pvkit_meminfo_kb("VmallocUsed");
	for (i = 0; i < 50; i++)
		ASSERT_EQ(-ENODEV, pvkit_load("pvkit")) TH_LOG("round %d", i);
	after = pvkit_meminfo_kb("VmallocUsed");
	EXPECT_LE(after - before, 64) TH_LOG("VmallocUsed %lld -> %lld KiB",
					     before, after);
	EXPECT_EQ(50, absent_lines_since(mark));
	EXPECT_EQ(0, pvkit_kmsg_problems_since(mark));
}

#include "pvkit_test_main.h"
