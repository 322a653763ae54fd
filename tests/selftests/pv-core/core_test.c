// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of pvkit.ko on a host that has a hypervisor interface
 * (stock KVM, or pvkit's hypervisor): detection matches the host the
 * harness booted, sysfs agrees with CPUID, the kernel took up the KVM PV
 * features CPUID offers (its boot log), steal time is reported, the
 * PING ioctl makes real round trips, /dev/pvkit refuses non-root callers, and the module loads,
 * unloads and survives unload attempts while open without leaking.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pvkit_abi.h"
#include "pvkit_ioctl.h"
#include "pvkit_test.h"

#define SYSFS "/sys/kernel/pvkit"
#define DEV "/dev/" PVKIT_DEVICE_NAME
#define KVM_SIG "KVMKVMKVM\0\0\0"

/* What this guest should detect, from the host mode it was booted on. */
static const char *expected_hypervisor(void)
{
	const char *host = pvkit_test_host();

	if (!strcmp(host, "kvm"))
		return "kvm";
	if (!strcmp(host, "hv"))
		return "pvkit";
	return "unknown";
}

static unsigned int cpuid_kvm_features(void)
{
	unsigned int base, eax, sig[3], feat, unused;

	for (base = PVKIT_CPUID_BASE_MIN; base < PVKIT_CPUID_BASE_MAX;
	     base += PVKIT_CPUID_BASE_STEP) {
		__cpuid(base, eax, sig[0], sig[1], sig[2]);
		if (!memcmp(sig, KVM_SIG, 12)) {
			__cpuid(base + 1, feat, unused, unused, unused);
			return feat;
		}
	}
	return 0;
}

static bool cpu_is_amd(void)
{
	unsigned int eax, ebx, ecx, edx;

	__cpuid(0, eax, ebx, ecx, edx);
	return ebx == 0x68747541 || ebx == 0x6f677948; /* Auth, Hygo */
}

static bool word_in(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

FIXTURE(pvkit) {
	char buf[1024];
};

FIXTURE_SETUP(pvkit)
{
	int ret = pvkit_load("pvkit");

	ASSERT_TRUE(ret == 0 || ret == -EEXIST) TH_LOG("load: %s",
						      strerror(-ret));
}

FIXTURE_TEARDOWN(pvkit)
{
}

TEST_F(pvkit, detects_host)
{
	bool on_hv = !strcmp(pvkit_test_host(), "hv");
	char abi[16];

	snprintf(abi, sizeof(abi), "%d.%d", PVKIT_ABI_VERSION_MAJOR,
		 PVKIT_ABI_VERSION_MINOR);

	ASSERT_GT(pvkit_read_file(SYSFS "/hypervisor", self->buf,
				  sizeof(self->buf)), 0);
	EXPECT_STREQ(expected_hypervisor(), self->buf);

	ASSERT_GT(pvkit_read_file(SYSFS "/transport", self->buf,
				  sizeof(self->buf)), 0);
	EXPECT_STREQ(on_hv ? "pio" : cpu_is_amd() ? "vmmcall" : "vmcall",
		     self->buf);

	ASSERT_GT(pvkit_read_file(SYSFS "/abi_version", self->buf,
				  sizeof(self->buf)), 0);
	EXPECT_STREQ(on_hv ? abi : "none", self->buf);
}

TEST_F(pvkit, all_vcpus_online)
{
	const char *want = getenv("PVKIT_CPUS");

	ASSERT_NE(NULL, want);
	EXPECT_EQ(atol(want), sysconf(_SC_NPROCESSORS_ONLN));
}

TEST_F(pvkit, kvm_features_match_cpuid)
{
	static const struct { int bit; const char *name; } known[] = {
		{ 0, "clocksource" }, { 3, "clocksource2" },
		{ 5, "steal_time" }, { 6, "pv_eoi" }, { 7, "pv_unhalt" },
		{ 9, "pv_tlb_flush" }, { 11, "pv_send_ipi" },
		{ 13, "pv_sched_yield" }, { 24, "clocksource_stable" },
	};
	unsigned int feat = cpuid_kvm_features();
	size_t i;

	ASSERT_NE(0U, feat) TH_LOG("no KVM CPUID leaves on this host");
	ASSERT_GE(pvkit_read_file(SYSFS "/kvm_features", self->buf,
				  sizeof(self->buf)), 0);
	for (i = 0; i < ARRAY_SIZE(known); i++) {
		bool set = feat & (1u << known[i].bit);

		EXPECT_EQ(set, word_in(self->buf, known[i].name))
			TH_LOG("%s: CPUID says %d, sysfs \"%s\"",
			       known[i].name, set, self->buf);
	}
	EXPECT_TRUE(word_in(self->buf, "clocksource2"));
}

/* Whether the running kernel is release @major.@minor or later. */
static bool kernel_at_least(int major, int minor)
{
	char release[128];
	int ma = 0, mi = 0;

	if (pvkit_read_file("/proc/sys/kernel/osrelease", release,
			    sizeof(release)) <= 0 ||
	    sscanf(release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

/* The number of possible CPUs, from /sys/devices/system/cpu/possible. */
static int possible_cpus(void)
{
	char list[64];
	int first, last;

	if (pvkit_read_file("/sys/devices/system/cpu/possible", list,
			    sizeof(list)) <= 0)
		return -1;
	if (sscanf(list, "%d-%d", &first, &last) == 2)
		return last - first + 1;
	return 1;
}

/*
 * Each KVM paravirtual feature the host's CPUID offers was taken up by the
 * guest kernel's own KVM guest code (arch/x86/kernel/kvm.c, kvmclock.c),
 * as its boot log says. Some need more than one CPU; PV EOI leaves a line
 * only from 6.6 on (the APIC callback updates); steal time is proved by
 * steal_time_is_reported.
 */
TEST_F(pvkit, kvm_pv_features_taken_by_the_kernel)
{
	unsigned int feat = cpuid_kvm_features();
	int cpus = possible_cpus();
	bool smp = cpus > 1;
	const struct {
		int bit;
		bool applies;
		const char *line;
	} uses[] = {
		{ 3, true, "kvm-clock: Using msrs 4b564d01 and 4b564d00" },
		{ 7, smp, "PV spinlocks enabled" },
		{ 7, !smp, "PV spinlocks disabled, single CPU" },
		{ 9, smp && (feat & (1u << 5)), "KVM setup pv remote TLB flush" },
		{ 11, smp, "setup PV IPIs" },
		{ 13, smp, "setup PV sched yield" },
		{ 6, kernel_at_least(6, 6), "eoi() replaced with kvm_guest_apic_eoi_write()" },
	};
	unsigned int i, taken = 0;

	ASSERT_NE(0U, feat) TH_LOG("no KVM CPUID leaves on this host");
	ASSERT_LT(0, cpus);
	for (i = 0; i < ARRAY_SIZE(uses); i++) {
		if (!(feat & (1u << uses[i].bit)) || !uses[i].applies)
			continue;
		EXPECT_LT(0, pvkit_kmsg_count(uses[i].line))
			TH_LOG("CPUID offers KVM feature %d; no \"%s\" in the kernel log",
			       uses[i].bit, uses[i].line);
		taken++;
	}
	printf("# note: %u KVM PV features in the boot log of %d CPU(s), CPUID 0x%x\n",
	       taken, cpus, feat);
}

/* The steal field of /proc/stat's "cpu" line, in clock ticks. */
static long long proc_stat_steal_ticks(void)
{
	long long f[8];
	FILE *stat = fopen("/proc/stat", "r");
	int n;

	if (!stat)
		return -1;
	n = fscanf(stat, "cpu %lld %lld %lld %lld %lld %lld %lld %lld",
		   &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7]);
	fclose(stat);
	return n == 8 ? f[7] : -1;
}

/*
 * steal_time_ns: the kernel's steal time where KVM's steal time is on
 * offer (on stock KVM too), the same counters /proc/stat shows in ticks.
 */
TEST_F(pvkit, steal_time_is_reported)
{
	long long before, ticks, after, tick_ns = 1000000000LL /
						  sysconf(_SC_CLK_TCK);

	ASSERT_GE(pvkit_read_file(SYSFS "/kvm_features", self->buf,
				  sizeof(self->buf)), 0);
	if (!word_in(self->buf, "steal_time")) {
		ASSERT_GE(pvkit_read_file(SYSFS "/steal_time_ns", self->buf,
					  sizeof(self->buf)), 0);
		EXPECT_STREQ("none", self->buf);
		return;
	}
	before = pvkit_read_number(SYSFS "/steal_time_ns");
	ticks = proc_stat_steal_ticks();
	after = pvkit_read_number(SYSFS "/steal_time_ns");
	ASSERT_LE(0, before);
	ASSERT_LE(0, ticks);
	EXPECT_LE(before, after);
	EXPECT_LE(before / tick_ns, ticks)
		TH_LOG("%lld ns, /proc/stat %lld ticks", before, ticks);
	EXPECT_GE(after / tick_ns, ticks)
		TH_LOG("%lld ns, /proc/stat %lld ticks", after, ticks);
	printf("# note: steal time %.3f s since boot, all vCPUs\n",
	       after / 1e9);
}

TEST_F(pvkit, sysfs_layout)
{
	static const char * const files[] = {
		"hypervisor", "abi_version", "transport", "features",
		"kvm_features", "events", "events_irq", "steal_time_ns",
		"stats/hypercalls", "stats/errors", "stats/pings",
		"stats/events",
	};
	char path[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), SYSFS "/%s", files[i]);
		EXPECT_GE(pvkit_read_file(path, self->buf, sizeof(self->buf)),
			  0) TH_LOG("%s unreadable", path);
	}
	EXPECT_GE(pvkit_read_number(SYSFS "/stats/hypercalls"), 0);
	EXPECT_GE(pvkit_read_number(SYSFS "/stats/errors"), 0);
	EXPECT_GE(pvkit_read_number(SYSFS "/stats/pings"), 0);
	ASSERT_GE(pvkit_read_file(SYSFS "/features", self->buf,
				  sizeof(self->buf)), 0);
	if (strcmp(pvkit_test_host(), "hv"))
		EXPECT_STREQ("", self->buf);
	/* Only pvkit's hypervisor sends events (see hypervisor/hv_test). */
	ASSERT_GE(pvkit_read_file(SYSFS "/events_irq", self->buf,
				  sizeof(self->buf)), 0);
	if (strcmp(pvkit_test_host(), "hv"))
		EXPECT_STREQ("none", self->buf);
}

TEST_F(pvkit, get_info_matches_sysfs)
{
	struct pvkit_info info;
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ioctl(fd, PVKIT_IOC_GET_INFO, &info));
	close(fd);

	ASSERT_GT(pvkit_read_file(SYSFS "/hypervisor", self->buf,
				  sizeof(self->buf)), 0);
	EXPECT_EQ(!strcmp(self->buf, "kvm") ? PVKIT_HV_KVM : PVKIT_HV_PVKIT,
		  (int)info.hypervisor);
	EXPECT_EQ(cpuid_kvm_features(), info.kvm_features);
	if (!strcmp(pvkit_test_host(), "kvm")) {
		EXPECT_EQ(0U, info.abi_version);
		EXPECT_EQ(0x40000000U, info.kvm_cpuid_base);
	}
}

TEST_F(pvkit, ping_round_trips)
{
	struct pvkit_ping ping = { .count = 2000 };
	long long pings, calls;
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	ASSERT_GE(fd, 0);
	pings = pvkit_read_number(SYSFS "/stats/pings");
	calls = pvkit_read_number(SYSFS "/stats/hypercalls");
	ASSERT_EQ(0, ioctl(fd, PVKIT_IOC_PING, &ping)) TH_LOG("%s",
							     strerror(errno));
	close(fd);

	/*
	 * A single call may read as 0 ns: on an SMP guest whose kvm-clock is
	 * not TSC-stable, the kernel clamps readings to a global last value.
	 */
	EXPECT_GT(ping.total_ns, 0ULL);
	EXPECT_LE(ping.min_ns, ping.total_ns / ping.count);
	EXPECT_GE(ping.max_ns, ping.total_ns / ping.count);
	EXPECT_EQ(pings + 2000, pvkit_read_number(SYSFS "/stats/pings"));
	/*
	 * One hypercall per ping; the hwrng's refills and, with pvkit built
	 * in, pvkit_mmu's statistics may add a few of their own meanwhile.
	 */
	calls = pvkit_read_number(SYSFS "/stats/hypercalls") - calls;
	EXPECT_GE(calls, 2000);
	EXPECT_LE(calls, 2100) TH_LOG("%lld hypercalls for 2000 pings", calls);
	ksft_print_msg("ping on %s: %llu ns per round trip (min %llu, max %llu, %u calls)\n",
		       pvkit_test_host(),
		       (unsigned long long)(ping.total_ns / ping.count),
		       (unsigned long long)ping.min_ns,
		       (unsigned long long)ping.max_ns, ping.count);
}

TEST_F(pvkit, ping_kvm_in_kernel_call)
{
	struct pvkit_ping ping = { .count = 500, .flags = PVKIT_PING_KVM };
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	ASSERT_GE(fd, 0);
	/* Both hosts offer KVM's leaves, so KVM's own call works on both. */
	ASSERT_EQ(0, ioctl(fd, PVKIT_IOC_PING, &ping)) TH_LOG("%s",
							     strerror(errno));
	close(fd);
	EXPECT_GT(ping.total_ns, 0ULL);
	EXPECT_LE(ping.min_ns, ping.total_ns / ping.count);
}

TEST_F(pvkit, ioctl_rejects_bad_arguments)
{
	struct pvkit_ping ping = { 0 };
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-1, ioctl(fd, PVKIT_IOC_PING, &ping));
	EXPECT_EQ(EINVAL, errno);
	ping.count = PVKIT_PING_MAX + 1;
	EXPECT_EQ(-1, ioctl(fd, PVKIT_IOC_PING, &ping));
	EXPECT_EQ(EINVAL, errno);
	ping.count = 1;
	ping.flags = 2;
	EXPECT_EQ(-1, ioctl(fd, PVKIT_IOC_PING, &ping));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, PVKIT_IOC_PING, (void *)16));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, PVKIT_IOC_GET_INFO, (void *)16));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, _IO(PVKIT_IOC_MAGIC, 0x7f)));
	EXPECT_EQ(ENOTTY, errno);
	close(fd);
}

TEST_F(pvkit, console_write_follows_features)
{
	static const char text[] = "pvkit console write\n";
	ssize_t n;
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	ASSERT_GE(fd, 0);
	ASSERT_GE(pvkit_read_file(SYSFS "/features", self->buf,
				  sizeof(self->buf)), 0);
	n = write(fd, text, sizeof(text) - 1);
	if (word_in(self->buf, "console")) {
		EXPECT_EQ((ssize_t)sizeof(text) - 1, n);
	} else {
		EXPECT_EQ(-1, n);
		EXPECT_EQ(EOPNOTSUPP, errno);
	}
	close(fd);
}

/* Opens /dev/pvkit as uid/gid 65534 in a child; returns its errno. */
static int open_as_nobody(void)
{
	int status, fd;
	pid_t pid = fork();

	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(255);
		fd = open(DEV, O_RDWR | O_CLOEXEC);
		_exit(fd >= 0 ? 0 : errno);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F(pvkit, refuses_non_root)
{
	struct stat st;

	ASSERT_EQ(0, stat(DEV, &st));
	EXPECT_EQ(0600U, st.st_mode & 0777);
	EXPECT_EQ(0U, st.st_uid);
	EXPECT_EQ(EACCES, open_as_nobody());

	/* Even with the node opened up, the driver itself says no. */
	ASSERT_EQ(0, chmod(DEV, 0666));
	EXPECT_EQ(EPERM, open_as_nobody());
	ASSERT_EQ(0, chmod(DEV, 0600));
}

TEST_F(pvkit, unload_while_open)
{
	struct pvkit_info info;
	unsigned int mark = pvkit_kmsg_mark();
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	if (pvkit_builtin("pvkit"))
		SKIP(return, PVKIT_BUILTIN_SKIP, "pvkit");

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EWOULDBLOCK, pvkit_unload("pvkit"));
	EXPECT_TRUE(pvkit_module_loaded("pvkit"));
	EXPECT_EQ(0, ioctl(fd, PVKIT_IOC_GET_INFO, &info));
	close(fd);
	EXPECT_EQ(0, pvkit_unload("pvkit"));
	EXPECT_FALSE(pvkit_path_exists(SYSFS));
	EXPECT_FALSE(pvkit_path_exists(DEV));
	EXPECT_EQ(0, pvkit_load("pvkit"));
	EXPECT_EQ(0, pvkit_kmsg_problems_since(mark));
}

TEST_F_TIMEOUT(pvkit, load_unload_50_times, 600)
{
	unsigned int mark = pvkit_kmsg_mark();
	long long vmalloc_before, vmalloc_after;
	int i;

	if (pvkit_builtin("pvkit"))
		SKIP(return, PVKIT_BUILTIN_SKIP, "pvkit");

	ASSERT_EQ(0, pvkit_unload("pvkit"));
	vmalloc_before = pvkit_meminfo_kb("VmallocUsed");
	for (i = 0; i < 50; i++) {
		ASSERT_EQ(0, pvkit_load("pvkit")) TH_LOG("round %d", i);
		ASSERT_TRUE(pvkit_path_exists(SYSFS "/hypervisor"));
		ASSERT_TRUE(pvkit_path_exists(DEV));
		ASSERT_EQ(0, pvkit_unload("pvkit")) TH_LOG("round %d", i);
		ASSERT_FALSE(pvkit_path_exists(SYSFS));
	}
	vmalloc_after = pvkit_meminfo_kb("VmallocUsed");
	EXPECT_LE(vmalloc_after - vmalloc_before, 64)
		TH_LOG("VmallocUsed grew from %lld to %lld KiB",
		       vmalloc_before, vmalloc_after);
	EXPECT_EQ(50, pvkit_kmsg_count_since(mark, "pvkit: running on"));
	EXPECT_EQ(0, pvkit_kmsg_problems_since(mark));
	ASSERT_EQ(0, pvkit_load("pvkit"));
}

#include "pvkit_test_main.h"
