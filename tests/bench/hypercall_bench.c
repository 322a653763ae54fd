// SPDX-License-Identifier: GPL-2.0
/*
 * Guest side of the hypercall benchmark: times N round trips through
 * pvkit's own transport (where the host offers it) and through KVM's
 * in-kernel no-op call, in the same guest, and prints one
 * "##PVKIT## bench NAME VALUE UNIT" line per figure for the harness.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "pvkit_ioctl.h"

#define ROUNDS		20000

static int time_pings(int fd, unsigned int flags, const char *name)
{
	struct pvkit_ping ping = { .count = ROUNDS, .flags = flags };

	if (ioctl(fd, PVKIT_IOC_PING, &ping)) {
		fprintf(stderr, "hypercall_bench: %s: %s\n", name,
			strerror(errno));
		return 1;
	}
	printf("##PVKIT## bench %s %llu ns\n", name,
	       (unsigned long long)(ping.total_ns / ping.count));
	printf("##PVKIT## bench %s_min %llu ns\n", name,
	       (unsigned long long)ping.min_ns);
	return 0;
}

int main(void)
{
	struct pvkit_info info;
	int fd, ret = 0;

	fd = open("/dev/" PVKIT_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, PVKIT_IOC_GET_INFO, &info)) {
		fprintf(stderr, "hypercall_bench: /dev/pvkit: %s\n",
			strerror(errno));
		return 1;
	}
	if (info.hypervisor == PVKIT_HV_PVKIT)
		ret |= time_pings(fd, 0, "hypercall_pvkit_pio");
	if (info.kvm_cpuid_base)
		ret |= time_pings(fd, PVKIT_PING_KVM, "hypercall_kvm_in_kernel");
	close(fd);
	fflush(stdout);
	return ret;
}
