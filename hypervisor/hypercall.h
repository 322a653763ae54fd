/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What pvkit-hv offers through the pvkit ABI: the feature bits it
 * advertises in CPUID and the hypercall table's statistics slots.
 */
#ifndef PVKIT_HV_HYPERCALL_H
#define PVKIT_HV_HYPERCALL_H

#include "pvkit_abi.h"

#define HYPERCALL_FEATURES	(PVKIT_F_CONSOLE | PVKIT_F_POWER | PVKIT_F_CRASH)

/* Longest console write and crash reason a guest may pass, in bytes. */
#define HYPERCALL_CONSOLE_MAX	4096
#define HYPERCALL_CRASH_MAX	1024

/* Name of statistics slot @slot, NULL past the last one. */
const char *hypercall__slot_name(unsigned int slot);

#endif /* PVKIT_HV_HYPERCALL_H */
