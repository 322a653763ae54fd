// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of pvkit_mmu.ko on pvkit-hv, driven from the host: the
 * test prints "##PVKIT## await-ctl NAME COMMAND [ARG]" and
 * tests/harness/hv-control runs "pvkit-hv ctl SOCKET COMMAND [ARG]",
 * whose answer must contain what "##PVKIT## expect-ctl NAME TEXT" says;
 * "##PVKIT## await-rss NAME" has it sample pvkit-hv's resident memory and
 * "##PVKIT## await-rss-drop NAME FROM KIB SECONDS" watch it fall by KIB
 * from sample FROM within SECONDS, then send "served-NAME" to
 * /dev/pvcon0 (tests/harness/tap-check.awk judges both). Proved here:
 * the balloon inflates to the host's target and MemTotal drops by
 * exactly that, the host counts the same pages, and it deflates back;
 * under OOM pressure the balloon gives memory back instead of a task
 * being killed; 512 MiB touched and freed leave pvkit-hv's resident set
 * within 10 s through free page reporting (30 s on the debug kernel),
 * and built in, pvkit_mmu empties the per-CPU free lists for it;
 * hostile batches (frames outside RAM, duplicates, overlaps, unaligned,
 * oversized) sent by the module's debugfs hook are refused whole and
 * logged by the host, which goes on working; "ctl info" shows the
 * memory statistics the guest last sent, every figure (asked with
 * "await-ctl-ack", which has hv-control send "served-NAME" to
 * /dev/pvcon0 once it has the answer, so the test knows when no later
 * report can have been in it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pvkit_test.h"

#define MMU		"/sys/kernel/pvkit/mmu/"
#define PERIOD		"/sys/module/pvkit_mmu/parameters/stats_period_s"
#define HOSTILE		"/sys/kernel/debug/pvkit_mmu/hostile"
#define MIB		(1024 * 1024)
#define PAGES_PER_MIB	256
/* hv-control's word that it served a request (await-ctl-ack) */
#define PVCON		"/dev/pvcon0"
#define ACK_WAIT_S	60

FIXTURE(mmu) {
	char buf[512];
};

FIXTURE_SETUP(mmu)
{
	int ret = pvkit_load("pvkit");

	ASSERT_TRUE(ret == 0 || ret == -EEXIST) TH_LOG("pvkit.ko: %d", ret);
	ret = pvkit_load("pvkit_mmu");
	ASSERT_TRUE(ret == 0 || ret == -EEXIST) TH_LOG("pvkit_mmu.ko: %d", ret);
}

FIXTURE_TEARDOWN(mmu)
{
}

/* Waits up to @secs for sysfs number @path to reach @want; its value. */
static long long wait_number(const char *path, long long want, double secs)
{
	double end = pvkit_now_s() + secs;
	long long v;

	for (;;) {
		v = pvkit_read_number(path);
		if (v == want || pvkit_now_s() > end)
			return v;
		usleep(200000);
	}
}

/* Has the host set the balloon to @mib and the guest moved all the way? */
static long long balloon_to(const char *name, unsigned int mib)
{
	pvkit_marker("await-ctl %s balloon %uM", name, mib);
	pvkit_marker("expect-ctl %s ok: balloon target %u pages", name,
		     mib * PAGES_PER_MIB);
	return wait_number(MMU "balloon_pages", mib * PAGES_PER_MIB, 240);
}

TEST_F_TIMEOUT(mmu, balloon_follows_the_host_target, 600)
{
	long long total0 = pvkit_meminfo_kb("MemTotal"), total1;
	long long avail0 = pvkit_meminfo_kb("MemAvailable"), avail1;
	long long inflated0 = pvkit_read_number(MMU "stats/inflated");

	ASSERT_LT(0, pvkit_read_file(MMU "balloon", self->buf,
				     sizeof(self->buf)));
	ASSERT_STREQ("present", self->buf);
	ASSERT_EQ(0, pvkit_read_number(MMU "balloon_pages"));

	ASSERT_EQ(64 * PAGES_PER_MIB, balloon_to("balloon-inflate", 64));
	EXPECT_EQ(64 * PAGES_PER_MIB, pvkit_read_number(MMU "balloon_target"));
	total1 = pvkit_meminfo_kb("MemTotal");
	avail1 = pvkit_meminfo_kb("MemAvailable");
	EXPECT_EQ(64 * 1024, total0 - total1)
		TH_LOG("MemTotal %lld kB before, %lld kB after", total0, total1);
	EXPECT_EQ(64 * PAGES_PER_MIB,
		  pvkit_read_number(MMU "stats/inflated") - inflated0);
	/* the host's own count, from "ctl info" */
	pvkit_marker("await-ctl balloon-inflated info");
	pvkit_marker("expect-ctl balloon-inflated \"ballooned_pages\": %d,",
		     64 * PAGES_PER_MIB);
	/*
	 * MemAvailable is only noted: it falls by about as much, give or
	 * take what caches did meanwhile (42084 kB once on Debian 6.1)
	 */
	printf("# note: balloon of 64 MiB: MemTotal %lld -> %lld kB, available %lld -> %lld kB\n",
	       total0, total1, avail0, avail1);

	ASSERT_EQ(0, balloon_to("balloon-deflate", 0));
	EXPECT_EQ(total0, pvkit_meminfo_kb("MemTotal"));
	pvkit_marker("await-ctl balloon-deflated info");
	pvkit_marker("expect-ctl balloon-deflated \"ballooned_pages\": 0,");
}

/*
 * Allocates and touches @mib MiB in a child, 16 MiB per mapping (one
 * mapping larger than the ballooned guest's RAM would be refused by the
 * overcommit heuristic before any page is touched); its wait status.
 */
static int child_touches(unsigned int mib)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		unsigned int n;
		size_t i;

		for (n = 0; n < mib / 16; n++) {
			char *p = mmap(NULL, 16 * MIB, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED)
				_exit(2);
			for (i = 0; i < 16 * MIB; i += 4096)
				p[i] = 1;
		}
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

TEST_F_TIMEOUT(mmu, oom_pressure_deflates_the_balloon, 600)
{
	long long avail, cap, oom0 = pvkit_read_number(MMU "stats/oom_deflated");
	unsigned int mark = pvkit_kmsg_mark();
	unsigned int want;
	int status;

	/*
	 * Leave about 150 MiB available, then ask for 150 MiB more than that.
	 * pvkit-hv takes at most 3/4 of the guest's memory, which a small
	 * kernel (pvkit built in) with more available would go past.
	 */
	avail = pvkit_meminfo_kb("MemAvailable") / 1024;
	ASSERT_LT(400, avail) TH_LOG("only %lld MiB available", avail);
	cap = pvkit_meminfo_kb("MemTotal") / 1024 * 3 / 4;
	want = ((avail - 150 < cap) ? avail - 150 : cap) / 16 * 16;
	ASSERT_EQ(want * PAGES_PER_MIB, balloon_to("balloon-oom", want));
	status = child_touches(avail - want + 150);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the child ended with wait status %#x", status);
	EXPECT_LT(oom0, pvkit_read_number(MMU "stats/oom_deflated"));
	EXPECT_GT(want * PAGES_PER_MIB, pvkit_read_number(MMU "balloon_pages"));
	EXPECT_EQ(0, pvkit_kmsg_count_since(mark, "Killed process"));
	EXPECT_LT(0, pvkit_kmsg_count_since(mark,
					    "pages back from the balloon"));
	printf("# note: OOM pressure took %lld balloon pages back\n",
	       pvkit_read_number(MMU "stats/oom_deflated") - oom0);
	ASSERT_EQ(0, balloon_to("balloon-oom-end", 0));
}

/* Pages on the per-CPU free lists now (/proc/zoneinfo): not yet reportable. */
static long long pcp_pages(void)
{
	long long n, sum = 0;
	char line[256];
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %lld", &n) == 1)
			sum += n;
	fclose(f);
	return sum;
}

/* Waits (up to a minute) until @path has not changed for 4 s; its value. */
static long long wait_quiet(const char *path)
{
	long long v = pvkit_read_number(path), last = v;
	double end = pvkit_now_s() + 60, since = pvkit_now_s();

	while (pvkit_now_s() < end && pvkit_now_s() - since < 4) {
		usleep(250000);
		v = pvkit_read_number(path);
		if (v != last)
			since = pvkit_now_s();
		last = v;
	}
	return v;
}

TEST_F_TIMEOUT(mmu, free_page_reporting_gives_memory_back, 300)
{
	const size_t size = 512UL * MIB;
	/*
	 * 10 s on a production kernel; the debug kernel's KASAN and
	 * DEBUG_PAGEALLOC make the freeing itself take most of that
	 * (388 MiB reported in 10.2 s, nested), so it gets three times
	 * as long.
	 */
	const int secs = pvkit_debug_kernel() ? 30 : 10;
	/*
	 * Only whole free 2 MiB blocks are reported. The debug kernel
	 * most likely allocates for itself while the test touches its
	 * 512 MiB (KASAN's stack depot, kmemleak's objects), some of it
	 * for good and in the middle of what the test frees (not
	 * confirmed). In one run of three it gave back
	 * 452 MiB (88%) and no more in 30 s; the production kernels pass
	 * 90% within 5 s.
	 */
	const long long want = (long long)size / 100 *
			       (pvkit_debug_kernel() ? 80 : 90);
	long long reported0, reported = 0, drains0, drains;
	char timeline[256] = "", ack[64];
	long long pcp;
	size_t steps = 0;
	double t0, end;
	int in, n;
	char *p;
	size_t i;

	ASSERT_LT(0, pvkit_read_file(MMU "page_report", self->buf,
				     sizeof(self->buf)));
	ASSERT_STREQ("present", self->buf);
	/* what earlier tests freed has been reported by now */
	reported0 = wait_quiet(MMU "stats/reported_bytes");
	drains0 = pvkit_read_number(MMU "stats/cpu_list_drains");
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < size; i += 4096)
		p[i] = (char)i | 1;
	pvkit_marker("await-rss fpr-touched");
	sleep(5);	/* hv-control looks once a second */
	ASSERT_EQ(0, munmap(p, size));
	t0 = pvkit_now_s();
	pcp = pcp_pages();
	in = pvkit_host_line_open(PVCON);
	ASSERT_LE(0, in) TH_LOG("%s: %s", PVCON, strerror(-in));
	/* that much, in KiB, within secs */
	pvkit_marker("await-rss-drop fpr-freed fpr-touched %lld %d",
		     want / 1024, secs);
	end = t0 + secs;
	while (pvkit_now_s() < end) {
		long long now = pvkit_read_number(MMU "stats/reported_bytes") -
				reported0;

		/* when each step came: the kernel reports in passes */
		if (now != reported && steps < sizeof(timeline) - 32)
			steps += snprintf(timeline + steps,
					  sizeof(timeline) - steps,
					  " +%lld@%.1f", (now - reported) / MIB,
					  pvkit_now_s() - t0);
		reported = now;
		if (reported >= want)
			break;
		usleep(100000);
	}
	EXPECT_LE(want, reported)
		TH_LOG("%lld bytes reported (MiB@s:%s)", reported, timeline);
	/* built in, the per-CPU free lists are emptied for the passes */
	drains = pvkit_read_number(MMU "stats/cpu_list_drains") - drains0;
	EXPECT_EQ(pvkit_builtin("pvkit_mmu"), drains > 0)
		TH_LOG("the per-CPU free lists were emptied %lld times", drains);
	printf("# note: free page reporting: %lld MiB reported %.1f s after freeing 512 MiB\n",
	       reported / MIB, pvkit_now_s() - t0);
	printf("# note: reported MiB@s:%s\n", timeline);
	printf("# note: per-CPU lists: %lld MiB after the free, %lld at the end; %lld drains\n",
	       pcp * 4096 / MIB, pcp_pages() * 4096 / MIB, drains);
	/* nothing else may run while the host watches: until its word */
	n = pvkit_host_line_read(in, secs + ACK_WAIT_S, ack, sizeof(ack));
	close(in);
	ASSERT_LT(0, n) TH_LOG("no word from the host within %d s: %s",
			       secs + ACK_WAIT_S, strerror(-n));
	EXPECT_STREQ("served-fpr-freed\n", ack);
}

struct hostile {
	const char *name;
	long result;
	const char *victims;
};

TEST_F_TIMEOUT(mmu, hostile_batches_are_refused_and_logged, 120)
{
	static const struct hostile cases[] = {
		{ "report-outside", -14, "intact" },
		{ "report-duplicate", -22, "intact" },
		{ "report-overlap", -22, "intact" },
		{ "report-unaligned", -22, "intact" },
		{ "report-partial-page", -22, "intact" },
		{ "report-oversized", -7, "intact" },
		{ "inflate-outside", -14, "intact" },
		{ "inflate-duplicate", -22, "intact" },
		{ "deflate-unknown", -22, "intact" },
		/* the host still works, and drops what it takes */
		{ "report-good", 2, "zeroed" },
	};
	long long refused0 = pvkit_read_number(MMU "stats/refused");
	char want[128], logged[128], hex[2 * sizeof(logged)];
	unsigned int i;

	/* the refusals pvkit-hv logs, for the harness (tap-check) */
	pvkit_marker("vmm-error-expected pv-mmu: refused");
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	ASSERT_TRUE(pvkit_path_exists(HOSTILE));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_EQ(0, pvkit_write_file(HOSTILE, cases[i].name));
		ASSERT_LT(0, pvkit_read_file(HOSTILE, self->buf,
					     sizeof(self->buf)));
		snprintf(want, sizeof(want), "%s %ld %s", cases[i].name,
			 cases[i].result, cases[i].victims);
		EXPECT_STREQ(want, self->buf);
	}
	/* the hook bypasses pvkit_mmu_call(): its refusals are not counted */
	EXPECT_EQ(refused0, pvkit_read_number(MMU "stats/refused"));
	/* the host's log line, for the harness to find (only it can) */
	snprintf(logged, sizeof(logged),
		 "%s: range %#llx+%#x outside guest RAM (error %d)",
		 "pvkit-hv: error: pv-mmu: refused PAGE_REPORT", 1ULL << 40,
		 4096, -14);
	for (i = 0; logged[i]; i++)
		sprintf(hex + 2 * i, "%02x", (unsigned char)logged[i]);
	pvkit_marker("expect-console %s", hex);
	pvkit_marker("await-ctl mmu-refused info");
	pvkit_marker("expect-ctl mmu-refused \"refused\": %zu,",
		     ARRAY_SIZE(cases) - 1);
}

/*
 * The host shows exactly the last report the guest sent: reports stop
 * (stats_period_s 0) right after a fresh one, hv-control takes "ctl info"
 * (it looks twice a second) while none can come, and every figure of the
 * report must be in the answer. Then the period is set back.
 */
TEST_F_TIMEOUT(mmu, memory_statistics_reach_the_host, 120)
{
	static const char * const names[] = {
		"total", "free", "available", "cached", "swap_in", "swap_out",
		"major_faults", "minor_faults",
	};
	long long sent = pvkit_read_number(MMU "stats/stats_sent");
	unsigned long long v[ARRAY_SIZE(names)];
	char period[16], last[256];
	unsigned int i;
	int n;

	ASSERT_LT(0, sent);
	ASSERT_LT(0, pvkit_read_file(PERIOD, period, sizeof(period)));
	/* a report at once, then (a second later) none */
	ASSERT_EQ(0, pvkit_write_file(PERIOD, "1"));
	EXPECT_LT(sent, wait_number(MMU "stats/stats_sent", sent + 1, 30));
	ASSERT_EQ(0, pvkit_write_file(PERIOD, "0"));
	sent = pvkit_read_number(MMU "stats/stats_sent");
	ASSERT_LT(0, pvkit_read_file(MMU "last_mem_stats", last, sizeof(last)));
	n = sscanf(last, "%llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	ASSERT_EQ(8, n) TH_LOG("last_mem_stats: %s", last);
	EXPECT_EQ(pvkit_meminfo_kb("MemTotal") * 1024, (long long)v[0]);
	for (i = 0; i < ARRAY_SIZE(names); i++)
		pvkit_marker("expect-ctl mmu-stats \"%s\": %llu%s", names[i], v[i],
			     i + 1 < ARRAY_SIZE(names) ? "," : "}");
	/* the host says on pvkit's console when it has asked pvkit-hv */
	n = pvkit_host_ctl("mmu-stats", "info", ACK_WAIT_S);
	ASSERT_EQ(0, n) TH_LOG("no word from the host within %d s: %s",
			       ACK_WAIT_S, strerror(-n));
	/* none came meanwhile: the host's answer was of this report */
	EXPECT_EQ(sent, pvkit_read_number(MMU "stats/stats_sent"));
	EXPECT_EQ(0, pvkit_write_file(PERIOD, period));
	EXPECT_LT(sent, wait_number(MMU "stats/stats_sent", sent + 1, 30));
}

TEST_F(mmu, unloads_with_the_balloon_empty)
{
	unsigned int mark = pvkit_kmsg_mark();

	if (pvkit_builtin("pvkit_mmu"))
		SKIP(return, PVKIT_BUILTIN_SKIP, "pvkit_mmu");

	EXPECT_EQ(0, pvkit_read_number(MMU "balloon_pages"));
	EXPECT_EQ(0, pvkit_unload("pvkit_mmu"));
	EXPECT_FALSE(pvkit_path_exists(MMU));
	EXPECT_EQ(0, pvkit_kmsg_problems_since(mark));
}

#include "pvkit_test_main.h"
