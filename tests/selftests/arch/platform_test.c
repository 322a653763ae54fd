// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of pvkit's arch patches (patches/<series>/0101 and up):
 * a kernel built with them finds pvkit-hv in setup_arch(), prints its
 * boot log through earlycon=pvkit, powers off, restarts and reports
 * panics through hypercalls, leaves the absent i8042 alone, reaches
 * PCI configuration space through hypercalls and reads the wall clock
 * through one (rtc-pvkit) instead of the CMOS RTC; on stock
 * KVM it does none of that, as an unpatched kernel. A kernel without the
 * patches (Debian's) skips these tests; one the harness booted as
 * patched (PVKIT_KERNEL=custom) must have them.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "pvkit_test.h"

#define NOT_PATCHED	"not a kernel with pvkit's arch patches"
#define POWER_BY_HYPERCALL \
	"pvkit: power off and restart: hypercall, panic report: hypercall"

/* Whether the running kernel has the function @name (/proc/kallsyms). */
static bool kernel_has(const char *name)
{
	char line[512], sym[256];
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %255s", sym) == 1 &&
			!strcmp(sym, name);
	fclose(f);
	return found;
}

/* Whether the kernel command line has the word @word. */
static bool cmdline_has(const char *word)
{
	char buf[4096], *tok, *save;

	if (pvkit_read_file("/proc/cmdline", buf, sizeof(buf)) < 0)
		return false;
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		if (!strcmp(tok, word))
			return true;
	return false;
}

FIXTURE(arch) {
	bool patched;
	bool hv;
};

FIXTURE_SETUP(arch)
{
	const char *kernel = getenv("PVKIT_KERNEL");

	self->patched = kernel_has("pvkit_platform_init");
	self->hv = !strcmp(pvkit_test_host(), "hv");
	if (kernel && !strncmp(kernel, "custom", strlen("custom")))
		ASSERT_TRUE(self->patched)
			TH_LOG("booted as a patched kernel, but it has no pvkit_platform_init");
}

FIXTURE_TEARDOWN(arch)
{
}

/* 0101: pvkit-hv found in setup_arch(), once; nothing found on KVM. */
TEST_F(arch, finds_pvkit_hv_early)
{
	if (!self->patched)
		SKIP(return, NOT_PATCHED);
	EXPECT_EQ(self->hv ? 1 : 0,
		  pvkit_kmsg_count("pvkit: hypervisor found: ABI 1."));
}

/*
 * 0102: with earlycon=pvkit, the boot console is pvkit0 on pvkit-hv, and
 * refused elsewhere.
 */
TEST_F(arch, early_console_through_hypercalls)
{
	if (!self->patched)
		SKIP(return, NOT_PATCHED);
	if (!cmdline_has("earlycon=pvkit"))
		SKIP(return, "no earlycon=pvkit on the command line");
	EXPECT_EQ(self->hv ? 1 : 0,
		  pvkit_kmsg_count("bootconsole [pvkit0] enabled"));
	/* elsewhere the earlycon's setup fails, as any unusable one does */
	EXPECT_EQ(self->hv ? 0 : 1,
		  pvkit_kmsg_count("Malformed early option 'earlycon'"));
}

/* 0103: power off, restart and panics through hypercalls on pvkit-hv. */
TEST_F(arch, power_and_panic_through_hypercalls)
{
	if (!self->patched)
		SKIP(return, NOT_PATCHED);
	EXPECT_EQ(self->hv ? 1 : 0, pvkit_kmsg_count(POWER_BY_HYPERCALL));
	EXPECT_EQ(0, pvkit_kmsg_count("pvkit: power off and restart: native"));
}

/* 0104: the absent i8042 and BIOS warm reset left alone on pvkit-hv. */
TEST_F(arch, absent_legacy_devices_left_alone)
{
	if (!self->patched)
		SKIP(return, NOT_PATCHED);
	EXPECT_EQ(self->hv ? 1 : 0,
		  pvkit_kmsg_count("pvkit: no i8042, no warm reset vector"));
}

/* The slot bitmap 0105 logged ("bus 0 slots 0x..."); 0 if none. */
static unsigned int logged_pci_slots(void)
{
	unsigned int slots = 0;
	char line[512], *p;
	FILE *f = popen("dmesg", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, "bus 0 slots 0x");
		if (p)
			sscanf(p, "bus 0 slots %x", &slots);
	}
	pclose(f);
	return slots;
}

static unsigned int pci_device_count(void)
{
	DIR *dir = opendir("/sys/bus/pci/devices");
	unsigned int n = 0;
	struct dirent *d;

	if (!dir)
		return 0;
	while ((d = readdir(dir)))
		n += d->d_name[0] != '.';
	closedir(dir);
	return n;
}

/*
 * 0105: PCI configuration space through hypercalls on pvkit-hv, and the
 * slots pvkit-hv named are exactly the devices the PCI core found (one
 * function each), the host bridge read through them; not on KVM.
 */
TEST_F(arch, pci_config_through_hypercalls)
{
	unsigned int slots;
	char buf[16];

	if (!self->patched)
		SKIP(return, NOT_PATCHED);
	EXPECT_EQ(self->hv ? 1 : 0,
		  pvkit_kmsg_count("pvkit: PCI configuration through hypercalls"));
	if (!self->hv)
		return;
	slots = logged_pci_slots();
	EXPECT_EQ(1U, slots & 1) TH_LOG("no host bridge in slots %#x", slots);
	EXPECT_EQ((unsigned int)__builtin_popcount(slots), pci_device_count())
		TH_LOG("slots %#x", slots);
	ASSERT_LT(0, pvkit_read_file("/sys/bus/pci/devices/0000:00:00.0/vendor",
				     buf, sizeof(buf)));
	EXPECT_STREQ("0x1b36", buf);
}

/*
 * 0106: on pvkit-hv the RTC is rtc-pvkit, the host's wall clock through
 * a hypercall, and the CMOS one is not registered; on KVM it is CMOS.
 */
TEST_F(arch, wall_clock_through_a_hypercall)
{
	char name[64];

	if (!self->patched)
		SKIP(return, NOT_PATCHED);
	EXPECT_EQ(self->hv ? 1 : 0,
		  pvkit_kmsg_count("pvkit: no CMOS RTC: the wall clock through hypercalls"));
	ASSERT_LT(0, pvkit_read_file("/sys/class/rtc/rtc0/name", name,
				     sizeof(name)));
	/* "<driver> <device>" */
	if (self->hv) {
		EXPECT_STREQ("rtc-pvkit rtc-pvkit", name);
	} else {
		EXPECT_EQ(0, strncmp(name, "rtc_cmos ", strlen("rtc_cmos ")))
			TH_LOG("rtc0 is %s", name);
	}
	EXPECT_FALSE(pvkit_path_exists("/sys/class/rtc/rtc1"));
}

#include "pvkit_test_main.h"
