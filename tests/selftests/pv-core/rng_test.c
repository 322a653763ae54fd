// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of pvkit.ko's entropy service. On pvkit's hypervisor
 * the "rng" feature is offered and pvkit.ko registers a hwrng named
 * "pvkit": 64 KiB read from /dev/hwrng through it must look random (bit
 * balance and a chi-square over byte values, both far past what a fixed
 * or counting pattern passes), the module's rng_bytes counter must grow
 * by what was read, and the source must go away with the module. On
 * stock KVM the feature is absent, no "pvkit" hwrng appears and none can
 * be picked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "pvkit_test.h"

#define HWRNG_SYSFS	"/sys/class/misc/hw_random"
#define RNG_STATS	"/sys/kernel/pvkit/stats/rng_bytes"
#define SAMPLE		65536

FIXTURE(rng) {
	char buf[512];
	unsigned char data[SAMPLE];
	bool on_hv;
};

FIXTURE_SETUP(rng)
{
	int ret = pvkit_load("pvkit");

	ASSERT_TRUE(ret == 0 || ret == -EEXIST) TH_LOG("load: %s",
						      strerror(-ret));
	self->on_hv = !strcmp(pvkit_test_host(), "hv");
}

FIXTURE_TEARDOWN(rng)
{
}

static bool pvkit_source_listed(char *buf, size_t size)
{
	if (pvkit_read_file(HWRNG_SYSFS "/rng_available", buf, size) < 0)
		return false;
	return strstr(buf, "pvkit") != NULL;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

/* Reads exactly @len bytes of /dev/hwrng; 0 or -errno. */
static int read_hwrng(unsigned char *data, size_t len)
{
	int fd = open("/dev/hwrng", O_RDONLY | O_CLOEXEC);
	size_t done = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (done < len) {
		n = read(fd, data + done, len - done);
		if (n <= 0) {
			close(fd);
			return n < 0 ? -errno : -EIO;
		}
		done += n;
	}
	close(fd);
	return 0;
}

TEST_F(rng, feature_follows_the_host)
{
	ASSERT_GE(pvkit_read_file("/sys/kernel/pvkit/features", self->buf,
				  sizeof(self->buf)), 0);
	EXPECT_EQ(self->on_hv, strstr(self->buf, "rng") != NULL)
		TH_LOG("features: '%s'", self->buf);
	EXPECT_EQ(self->on_hv, pvkit_source_listed(self->buf, sizeof(self->buf)))
		TH_LOG("rng_available: '%s'", self->buf);
}

TEST_F(rng, hwrng_gives_random_bytes)
{
	unsigned long count[256] = { 0 };
	long long before, after, ones = 0, dev;
	double chi2 = 0, expect = SAMPLE / 256.0;
	unsigned int i;

	if (!self->on_hv) {
		/* no such source to pick on this host */
		write_file(HWRNG_SYSFS "/rng_current", "pvkit");
		ASSERT_GE(pvkit_read_file(HWRNG_SYSFS "/rng_current",
					  self->buf, sizeof(self->buf)), 0);
		EXPECT_STRNE("pvkit", self->buf);
		return;
	}
	ASSERT_EQ(0, write_file(HWRNG_SYSFS "/rng_current", "pvkit"));
	ASSERT_GE(pvkit_read_file(HWRNG_SYSFS "/rng_current", self->buf,
				  sizeof(self->buf)), 0);
	ASSERT_STREQ("pvkit", self->buf);
	before = pvkit_read_number(RNG_STATS);
	ASSERT_GE(before, 0);
	ASSERT_EQ(0, read_hwrng(self->data, SAMPLE));
	after = pvkit_read_number(RNG_STATS);
	EXPECT_GE(after - before, SAMPLE) TH_LOG("rng_bytes %lld -> %lld",
						  before, after);

	for (i = 0; i < SAMPLE; i++) {
		count[self->data[i]]++;
		ones += __builtin_popcount(self->data[i]);
	}
	/* 524288 bits: one standard deviation is 362; allow 5 */
	dev = ones - SAMPLE * 4;
	EXPECT_GT(1810, llabs(dev)) TH_LOG("%lld ones in %d bits", ones,
					   SAMPLE * 8);
	for (i = 0; i < 256; i++)
		chi2 += (count[i] - expect) * (count[i] - expect) / expect;
	/* 255 degrees of freedom: mean 255, sd 22.6; 400 is 6.4 sd out */
	EXPECT_GT(400.0, chi2) TH_LOG("chi-square %.1f", chi2);
	printf("# note: %d bytes from the pvkit hwrng: %lld ones (%+lld), chi-square %.1f\n",
	       SAMPLE, ones, dev, chi2);
}

TEST_F(rng, source_goes_with_the_module)
{
	if (pvkit_builtin("pvkit"))
		SKIP(return, PVKIT_BUILTIN_SKIP, "pvkit");

	ASSERT_EQ(self->on_hv, pvkit_source_listed(self->buf, sizeof(self->buf)));
	ASSERT_EQ(0, pvkit_unload("pvkit"));
	EXPECT_FALSE(pvkit_source_listed(self->buf, sizeof(self->buf)))
		TH_LOG("rng_available after unload: '%s'", self->buf);
	ASSERT_EQ(0, pvkit_load("pvkit"));
	EXPECT_EQ(self->on_hv, pvkit_source_listed(self->buf, sizeof(self->buf)));
}

#include "pvkit_test_main.h"
