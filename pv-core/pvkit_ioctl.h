/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * /dev/pvkit: the interface between pvkit.ko and guest userspace.
 *
 * Root-only. GET_INFO says what the module detected; PING times N
 * hypercall round trips to the hypervisor. Shared by pvkit.ko, the
 * pvkit-info tool and the in-guest tests.
 */
#ifndef _UAPI_PVKIT_IOCTL_H
#define _UAPI_PVKIT_IOCTL_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define PVKIT_DEVICE_NAME	"pvkit"

/* pvkit_info.hypervisor */
#define PVKIT_HV_NONE		0
#define PVKIT_HV_KVM		1
#define PVKIT_HV_PVKIT		2

/* pvkit_info.transport */
#define PVKIT_XPORT_NONE	0
#define PVKIT_XPORT_VMCALL	1	/* Intel, KVM's in-kernel calls */
#define PVKIT_XPORT_VMMCALL	2	/* AMD/Hygon, KVM's in-kernel calls */
#define PVKIT_XPORT_PIO		3	/* pvkit ABI port I/O */

struct pvkit_info {
	__u32 hypervisor;
	__u32 transport;
	__u32 abi_version;	/* PVKIT_ABI_VERSION() or 0 without pvkit */
	__u32 kvm_cpuid_base;	/* 0 when KVM's leaves are absent */
	__u64 features;		/* PVKIT_F_* offered by the host */
	__u64 kvm_features;	/* KVM_FEATURE_* bits from CPUID */
	__u64 hypercalls;	/* calls made since load */
};

#define PVKIT_PING_MAX		1000000

/* pvkit_ping.flags: time KVM's in-kernel hypercall even on a pvkit host. */
#define PVKIT_PING_KVM		(1U << 0)

struct pvkit_ping {
	__u32 count;		/* in: 1..PVKIT_PING_MAX round trips */
	__u32 flags;		/* in: PVKIT_PING_*, other bits must be 0 */
	__u64 total_ns;		/* out */
	__u64 min_ns;		/* out: fastest single call */
	__u64 max_ns;		/* out: slowest single call */
};

#define PVKIT_IOC_MAGIC		0xb7
#define PVKIT_IOC_GET_INFO	_IOR(PVKIT_IOC_MAGIC, 0x00, struct pvkit_info)
#define PVKIT_IOC_PING		_IOWR(PVKIT_IOC_MAGIC, 0x01, struct pvkit_ping)

#endif /* _UAPI_PVKIT_IOCTL_H */
