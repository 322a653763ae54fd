// SPDX-License-Identifier: GPL-2.0
/*
 * The whole module stack, 20 times over: pvkit, pvkit_mmu, pvkit_blk and
 * pvkit_net load, each is used (a ping hypercall through /dev/pvkit, the
 * pv-mmu features the host offers, a direct read from the test disk, the
 * interface brought up with its carrier), and all unload again, in
 * reverse order. Every round must leave nothing behind: no sysfs
 * directory, no device, no interface, no kernel problem, no vmalloc
 * growth. On the debug kernel (KASAN, kmemleak, lockdep) this is where a
 * leak or a use-after-free in a load or unload path shows.
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
#include "pvkit_ioctl.h"
#include "pvkit_test.h"

#define ROUNDS		20
#define TOOLS_MNT	"/tools"
#define IO_SIZE		4096

/* load order; unloaded in reverse */
static const char * const stack[] = {
	"pvkit", "pvkit_mmu", "pvkit_blk", "pvkit_net",
};

#define STACK_SIZE	((int)ARRAY_SIZE(stack))

/* module @i of the stack, for messages */
static const char *module_name(int i)
{
	return i >= 0 && i < STACK_SIZE ? stack[i] : "?";
}

FIXTURE(rounds) {
	bool loaded[STACK_SIZE];	/* as the test found them */
	bool tools_mounted;
	char disk[32];
	char nic[32];
};

FIXTURE_SETUP(rounds)
{
	int i;

	for (i = 0; i < STACK_SIZE; i++)
		self->loaded[i] = pvkit_module_loaded(stack[i]);
	self->tools_mounted = pvkit_path_exists(TOOLS_MNT "/usr");
}

/* What the guest had before, back: later tests need the tools disk. */
FIXTURE_TEARDOWN(rounds)
{
	int i;

	for (i = 0; i < STACK_SIZE; i++)
		if (self->loaded[i])
			pvkit_load(stack[i]);
	if (self->tools_mounted && !pvkit_path_exists(TOOLS_MNT "/usr") &&
	    !pvkit_find_disk("pvkit-tools", self->disk, sizeof(self->disk)))
		pvkit_run("mount -t ext4 -o ro /dev/%s " TOOLS_MNT, self->disk);
}

TEST_F_TIMEOUT(rounds, load_use_unload_20_times, 900)
{
	const bool hv = !strcmp(pvkit_test_host(), "hv");
	unsigned int mark = pvkit_kmsg_mark();
	long long vmalloc_before, vmalloc_after;
	int round, ret, i;
	double t0;

	for (i = 0; i < STACK_SIZE; i++)
		if (pvkit_builtin(stack[i]))
			SKIP(return, PVKIT_BUILTIN_SKIP, stack[i]);

	/* a mounted tools disk holds pvkit_blk */
	if (self->tools_mounted)
		ASSERT_EQ(0, pvkit_run("umount " TOOLS_MNT));
	for (i = STACK_SIZE - 1; i >= 0; i--)
		if (pvkit_module_loaded(stack[i]))
			ASSERT_EQ(0, pvkit_unload(stack[i])) TH_LOG("%s", module_name(i));
	vmalloc_before = pvkit_meminfo_kb("VmallocUsed");
	t0 = pvkit_now_s();

	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < STACK_SIZE; i++)
			ASSERT_EQ(0, pvkit_load(stack[i]))
				TH_LOG("round %d: loading %s", round, module_name(i));

		ASSERT_EQ(0, pvkit_run("/pvkit/bin/pvkit-info --ping 100 >/dev/null"))
			TH_LOG("round %d: no ping through /dev/pvkit", round);
		ASSERT_LT(0, pvkit_read_file("/sys/kernel/pvkit/mmu/page_report",
					     self->disk, sizeof(self->disk)));
		ASSERT_STREQ(hv ? "present" : "absent", self->disk)
			TH_LOG("round %d: page reporting", round);
		ASSERT_EQ(0, pvkit_find_disk("pvkit-test", self->disk,
					     sizeof(self->disk)))
			TH_LOG("round %d: no disk pvkit-test", round);
		ret = pvkit_read_block(self->disk, 0, NULL, 0);
		ASSERT_EQ(IO_SIZE, ret)
			TH_LOG("round %d: reading %s: %d", round, self->disk, ret);
		ASSERT_EQ(0, pvkit_find_nic("pvkit_net", PVKIT_TEST_MAC,
					    self->nic, sizeof(self->nic)))
			TH_LOG("round %d: no pvkit_net interface", round);
		ASSERT_EQ(0, pvkit_run("ip link set %s up", self->nic));
		ASSERT_TRUE(pvkit_wait_carrier(self->nic, 5))
			TH_LOG("round %d: %s has no carrier", round, self->nic);

		for (i = STACK_SIZE - 1; i >= 0; i--)
			ASSERT_EQ(0, pvkit_unload(stack[i]))
				TH_LOG("round %d: unloading %s", round, module_name(i));
		ASSERT_FALSE(pvkit_path_exists("/sys/kernel/pvkit"));
		ASSERT_FALSE(pvkit_path_exists("/dev/" PVKIT_DEVICE_NAME));
		ASSERT_NE(0, pvkit_find_nic("pvkit_net", PVKIT_TEST_MAC,
					    self->nic, sizeof(self->nic)));
		ASSERT_NE(0, pvkit_find_disk("pvkit-test", self->disk,
					     sizeof(self->disk)));
	}

	printf("# note: %d rounds of loading, using and unloading pvkit's modules in %.1f s\n",
	       ROUNDS, pvkit_now_s() - t0);
	vmalloc_after = pvkit_meminfo_kb("VmallocUsed");
	EXPECT_LE(vmalloc_after - vmalloc_before, 256)
		TH_LOG("VmallocUsed grew from %lld to %lld KiB",
		       vmalloc_before, vmalloc_after);
	EXPECT_EQ(ROUNDS, pvkit_kmsg_count_since(mark, "pvkit: running on"));
	EXPECT_EQ(0, pvkit_kmsg_problems_since(mark));
}

#include "pvkit_test_main.h"
