// SPDX-License-Identifier: GPL-2.0
/*
 * pvkit-info: shows, from inside a guest, what pvkit.ko detected and how
 * long one hypercall round trip takes.
 *
 *   pvkit-info [--ping N]
 *
 * Needs root and a loaded pvkit.ko (/dev/pvkit).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "pvkit_abi.h"
#include "pvkit_ioctl.h"

static void show_sysfs(const char *label, const char *file)
{
	char path[128], buf[1024];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/pvkit/%s", file);
	f = fopen(path, "re");
	if (!f || !fgets(buf, sizeof(buf), f))
		snprintf(buf, sizeof(buf), "(unreadable: %s)\n", strerror(errno));
	if (f)
		fclose(f);
	printf("  %-14s %s", label, strcmp(buf, "\n") ? buf : "(none)\n");
}

static int bad_usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--ping N]   (N: 1..%u, default 10000)\n",
		prog, PVKIT_PING_MAX);
	return 2;
}

int main(int argc, char **argv)
{
	struct pvkit_ping ping = { .count = 10000 };
	struct pvkit_info info;
	char *end;
	int fd;

	if (argc == 3 && !strcmp(argv[1], "--ping")) {
		unsigned long n = strtoul(argv[2], &end, 10);

		if (*end || !n || n > PVKIT_PING_MAX)
			return bad_usage(argv[0]);
		ping.count = n;
	} else if (argc != 1) {
		return bad_usage(argv[0]);
	}

	fd = open("/dev/" PVKIT_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "pvkit-info: /dev/%s: %s (is pvkit.ko loaded, are you root?)\n",
			PVKIT_DEVICE_NAME, strerror(errno));
		return 1;
	}
	if (ioctl(fd, PVKIT_IOC_GET_INFO, &info)) {
		fprintf(stderr, "pvkit-info: GET_INFO: %s\n", strerror(errno));
		return 1;
	}

	printf("pvkit detected:\n");
	show_sysfs("hypervisor", "hypervisor");
	show_sysfs("transport", "transport");
	show_sysfs("pvkit ABI", "abi_version");
	show_sysfs("pvkit features", "features");
	show_sysfs("KVM features", "kvm_features");
	show_sysfs("steal time, ns", "steal_time_ns");
	printf("  %-14s %#x\n", "KVM leaves at", info.kvm_cpuid_base);

	if (ioctl(fd, PVKIT_IOC_PING, &ping)) {
		fprintf(stderr, "pvkit-info: PING: %s\n", strerror(errno));
		return 1;
	}
	printf("hypercall round trip: %llu ns mean, %llu ns min, %llu ns max over %u calls\n",
	       (unsigned long long)(ping.total_ns / ping.count),
	       (unsigned long long)ping.min_ns,
	       (unsigned long long)ping.max_ns, ping.count);
	close(fd);
	return 0;
}
