// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace unit test of hypercall-abi/pvkit_abi.h. Built as strict C99
 * with -Wall -Wextra -Werror (the header's static asserts pin every
 * structure at compile time); at run time it checks the values that the
 * spec promises: result codes equal Linux errno values, feature bits are
 * distinct, call numbers are unique, the signature is 12 bytes, the
 * version macros round-trip, and the event bits, calls and leaf agree
 * with each other. Prints TAP 13.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pvkit_abi.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int tests, failures;

static void check(int ok, const char *what)
{
	tests++;
	if (!ok)
		failures++;
	printf("%sok %d %s\n", ok ? "" : "not ", tests, what);
}

static const unsigned int calls[] = {
	PVKIT_HC_VERSION, PVKIT_HC_FEATURES, PVKIT_HC_PING,
	PVKIT_HC_MULTICALL, PVKIT_HC_CONSOLE_WRITE, PVKIT_HC_CONSOLE_READ,
	PVKIT_HC_POWER_OFF, PVKIT_HC_REBOOT, PVKIT_HC_CRASH,
	PVKIT_HC_CLOCK_READ, PVKIT_HC_RNG_FILL, PVKIT_HC_BALLOON_INFLATE,
	PVKIT_HC_BALLOON_DEFLATE, PVKIT_HC_PAGE_REPORT, PVKIT_HC_MEM_STATS,
	PVKIT_HC_BALLOON_TARGET, PVKIT_HC_DEVICE_ENUM, PVKIT_HC_GUEST_INFO,
	PVKIT_HC_EVENT_ENABLE, PVKIT_HC_EVENT_FETCH, PVKIT_HC_PCI_CONFIG_READ,
	PVKIT_HC_PCI_CONFIG_WRITE, PVKIT_HC_PCI_SLOTS,
};

static const unsigned long long features[] = {
	PVKIT_F_CONSOLE, PVKIT_F_POWER, PVKIT_F_CRASH, PVKIT_F_CLOCK,
	PVKIT_F_RNG, PVKIT_F_BALLOON, PVKIT_F_PAGE_REPORT, PVKIT_F_MEM_STATS,
	PVKIT_F_DEVICE_ENUM, PVKIT_F_GUEST_INFO, PVKIT_F_MULTICALL,
	PVKIT_F_EVENTS, PVKIT_F_PCI_CONFIG,
};

static const unsigned int events[] = {
	PVKIT_EV_SHUTDOWN, PVKIT_EV_REBOOT, PVKIT_EV_BALLOON, PVKIT_EV_CONSOLE_IN,
	PVKIT_EV_CLOCK,
};

static int scanned_base(unsigned int base)
{
	return base >= PVKIT_CPUID_BASE_MIN && base < PVKIT_CPUID_BASE_MAX &&
	       base % PVKIT_CPUID_BASE_STEP == 0;
}

int main(void)
{
	unsigned int i, j, unique = 1, all_events = 0, events_leaf;
	unsigned long long all = 0;
	int distinct = 1, events_distinct = 1;

	printf("TAP version 13\n1..12\n");
	check(PVKIT_EPERM == -EPERM && PVKIT_EIO == -EIO &&
	      PVKIT_E2BIG == -E2BIG && PVKIT_EAGAIN == -EAGAIN &&
	      PVKIT_EFAULT == -EFAULT && PVKIT_EBUSY == -EBUSY &&
	      PVKIT_EINVAL == -EINVAL &&
	      !strcmp(strerror(-PVKIT_ENOSYS), "Function not implemented"),
	      "result codes equal the Linux errno values");
	check(strlen(PVKIT_CPUID_SIGNATURE) == PVKIT_CPUID_SIGNATURE_LEN &&
	      PVKIT_CPUID_SIGNATURE_LEN == 12, "signature fills EBX:ECX:EDX");
	check(memcmp(PVKIT_CPUID_SIGNATURE, "KVMKVMKVM", 9) != 0,
	      "signature differs from KVM's");
	check(scanned_base(PVKIT_CPUID_BASE_DEFAULT) &&
	      PVKIT_CPUID_BASE_DEFAULT != PVKIT_CPUID_BASE_MIN,
	      "default base is a scanned base other than KVM's");
	check(PVKIT_ABI_MAJOR(PVKIT_ABI_VERSION_CURRENT) == 1 &&
	      PVKIT_ABI_MINOR(PVKIT_ABI_VERSION_CURRENT) == 3,
	      "version macros round-trip (1.3)");
	for (i = 0; i < ARRAY_SIZE(calls); i++)
		for (j = i + 1; j < ARRAY_SIZE(calls); j++)
			if (calls[i] == calls[j])
				unique = 0;
	check(unique, "call numbers are unique");
	for (i = 0; i < ARRAY_SIZE(features); i++) {
		if (all & features[i])
			distinct = 0;
		all |= features[i];
	}
	check(distinct, "feature bits are distinct");
	check(ARRAY_SIZE(features) == PVKIT_F_COUNT &&
	      all == (1ULL << PVKIT_F_COUNT) - 1,
	      "PVKIT_F_COUNT covers exactly the defined bits");
	check(PVKIT_PIO_PORT_DEFAULT <= 0xffff &&
	      PVKIT_TRANSPORT_PIO == 1, "port transport fits in 16 bits");
	for (i = 0; i < ARRAY_SIZE(events); i++) {
		if (all_events & events[i])
			events_distinct = 0;
		all_events |= events[i];
	}
	check(events_distinct && all_events == PVKIT_EV_ALL,
	      "event bits are distinct and PVKIT_EV_ALL is exactly them");
	check(PVKIT_HC_EVENT_ENABLE >> 8 == PVKIT_HC_EVENT_FETCH >> 8 &&
	      PVKIT_HC_EVENT_ENABLE >> 8 != PVKIT_HC_GUEST_INFO >> 8,
	      "event calls are one service of their own");
	events_leaf = PVKIT_CPUID_LEAF_EVENTS;
	check(events_leaf == PVKIT_CPUID_LEAVES + 1 &&
	      PVKIT_EVENT_IRQ_MIN > 0 && PVKIT_EVENT_IRQ_MAX < 16,
	      "events leaf is optional and its line an ISA IRQ other than 0");
	return failures ? 1 : 0;
}
