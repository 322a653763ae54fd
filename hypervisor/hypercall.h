/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What pvkit-hv offers through the pvkit ABI: the feature bits it
 * advertises in CPUID and the hypercall table's statistics slots.
 */
#ifndef PVKIT_HV_HYPERCALL_H
#define PVKIT_HV_HYPERCALL_H

#include <stdint.h>

#include "pvkit_abi.h"

#define HYPERCALL_FEATURES	(PVKIT_F_CONSOLE | PVKIT_F_POWER | \
				 PVKIT_F_CRASH | PVKIT_F_EVENTS | PVKIT_F_RNG | \
				 PVKIT_F_CLOCK | PVKIT_F_GUEST_INFO | \
				 PVKIT_F_BALLOON | PVKIT_F_PAGE_REPORT | \
				 PVKIT_F_MEM_STATS | PVKIT_F_PCI_CONFIG)

/*
 * The host-to-guest events pvkit-hv may post (CPUID base + 3): a
 * subset of PVKIT_EV_ALL, each added with the service that posts it.
 */
#define HYPERCALL_EVENTS	(PVKIT_EV_SHUTDOWN | PVKIT_EV_REBOOT | \
				 PVKIT_EV_CONSOLE_IN | PVKIT_EV_CLOCK | \
				 PVKIT_EV_BALLOON)

/* Longest console write or read, crash reason and RNG fill, in bytes. */
#define HYPERCALL_CONSOLE_MAX	4096
#define HYPERCALL_CRASH_MAX	1024
#define HYPERCALL_RNG_MAX	4096

/* Most frames in one balloon call, most ranges in one page report. */
#define HYPERCALL_BALLOON_BATCH	512
#define HYPERCALL_REPORT_BATCH	256

struct vcpu;

/* Runs call @nr for a guest at privilege level @cpl; the result for RAX. */
int64_t hypercall__dispatch(struct vcpu *vcpu, unsigned int cpl,
			    uint32_t nr, const uint64_t *arg);

/* Name of statistics slot @slot, NULL past the last one. */
const char *hypercall__slot_name(unsigned int slot);

#endif /* PVKIT_HV_HYPERCALL_H */
