/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * pvkit hypercall ABI, version 1 (minor 1: host-to-guest events; minor 2:
 * balloon, console input and clock events; minor 3: PCI configuration
 * space through hypercalls).
 *
 * The one contract between a pvkit guest and a hypervisor that speaks pvkit:
 * CPUID discovery leaves, the calling convention, call numbers, result
 * codes, feature bits and the layout of every structure that crosses the
 * guest/host boundary. Documentation/hypercall-abi.rst is the prose
 * version; this header is the normative one.
 *
 * The header is shared unchanged by kernel code, the hypervisor and
 * userspace tests, so it uses only <linux/types.h> fixed-width types and
 * nothing that needs the kernel.
 */
#ifndef _UAPI_PVKIT_ABI_H
#define _UAPI_PVKIT_ABI_H

#include <linux/types.h>

/* ---- Discovery -------------------------------------------------------- */

/*
 * A pvkit hypervisor places its leaves at one of the 0x100-aligned bases
 * in [PVKIT_CPUID_BASE_MIN, PVKIT_CPUID_BASE_MAX). It may offer KVM's
 * leaves at 0x40000000 beside them, so guests must scan for the
 * signature rather than assume a base.
 */
#define PVKIT_CPUID_BASE_MIN		0x40000000U
#define PVKIT_CPUID_BASE_MAX		0x40010000U
#define PVKIT_CPUID_BASE_STEP		0x100U
#define PVKIT_CPUID_BASE_DEFAULT	0x40000100U

/* base + 0: EAX = highest pvkit leaf, EBX:ECX:EDX = signature. */
#define PVKIT_CPUID_SIGNATURE		"PVKitPVKitHV"
#define PVKIT_CPUID_SIGNATURE_LEN	12

/* base + 1: EAX = ABI version, EBX = transport, ECX = transport argument. */
#define PVKIT_CPUID_LEAF_VERSION	1
/* base + 2: EAX = features bits 0..31, EBX = feature bits 32..63. */
#define PVKIT_CPUID_LEAF_FEATURES	2
/*
 * base + 3, present with PVKIT_F_EVENTS (ABI 1.1): EAX = the ISA interrupt
 * line (PVKIT_EVENT_IRQ_MIN..MAX) the host raises when it posts an event,
 * EBX = the PVKIT_EV_* bits the host may post.
 */
#define PVKIT_CPUID_LEAF_EVENTS		3
/* The leaves every pvkit host has, whatever its features. */
#define PVKIT_CPUID_LEAVES		2

#define PVKIT_ABI_VERSION_MAJOR		1
#define PVKIT_ABI_VERSION_MINOR		3
#define PVKIT_ABI_VERSION(maj, min)	(((maj) << 16) | (min))
#define PVKIT_ABI_MAJOR(v)		(((v) >> 16) & 0xffff)
#define PVKIT_ABI_MINOR(v)		((v) & 0xffff)
#define PVKIT_ABI_VERSION_CURRENT \
	PVKIT_ABI_VERSION(PVKIT_ABI_VERSION_MAJOR, PVKIT_ABI_VERSION_MINOR)

/*
 * Transport: how the guest traps into the hypervisor.
 * PIO: "outl %eax, %dx" with DX = the port given in the transport argument.
 */
#define PVKIT_TRANSPORT_PIO		1
#define PVKIT_PIO_PORT_DEFAULT		0x0510

/* ---- Calling convention ---------------------------------------------- */

/*
 * RAX = call number (the 32 bits written by the OUT instruction),
 * RBX, RCX, RSI, RDI = arguments 0..3, RDX = transport port.
 * Result in RAX: >= 0 on success (call specific), or a negative PVKIT_E*
 * code. All other registers are preserved. Guest addresses are guest
 * physical addresses; a buffer must lie wholly inside guest RAM.
 * Calls from guest CPL > 0 fail with PVKIT_EPERM.
 */
#define PVKIT_HC_NARGS			4

/* Result codes, numerically equal to the Linux errno values. */
#define PVKIT_OK			0
#define PVKIT_EPERM			(-1)
#define PVKIT_EIO			(-5)
#define PVKIT_E2BIG			(-7)
#define PVKIT_EAGAIN			(-11)
#define PVKIT_EFAULT			(-14)
#define PVKIT_EBUSY			(-16)
#define PVKIT_EINVAL			(-22)
#define PVKIT_ENOSYS			(-38)

/* ---- Call numbers ----------------------------------------------------- */

/* Core: always present. */
#define PVKIT_HC_VERSION		0x000	/* () -> ABI version */
#define PVKIT_HC_FEATURES		0x001	/* () -> feature bits */
#define PVKIT_HC_PING			0x002	/* (cookie) -> cookie */
#define PVKIT_HC_MULTICALL		0x003	/* (gpa, count) -> done */

/* Console. */
#define PVKIT_HC_CONSOLE_WRITE		0x100	/* (gpa, len) -> written */
#define PVKIT_HC_CONSOLE_READ		0x101	/* (gpa, len) -> read */

/* Power. */
#define PVKIT_HC_POWER_OFF		0x200	/* () -> no return */
#define PVKIT_HC_REBOOT			0x201	/* () -> no return */
#define PVKIT_HC_CRASH			0x202	/* (gpa, len) -> no return */

/* Time. */
#define PVKIT_HC_CLOCK_READ		0x300	/* (gpa of clock_sample) */

/* Entropy. */
#define PVKIT_HC_RNG_FILL		0x400	/* (gpa, len) -> filled */

/* Memory. */
#define PVKIT_HC_BALLOON_INFLATE	0x500	/* (gpa of pfns, count) */
#define PVKIT_HC_BALLOON_DEFLATE	0x501	/* (gpa of pfns, count) */
#define PVKIT_HC_PAGE_REPORT		0x502	/* (gpa of ranges, count) */
#define PVKIT_HC_MEM_STATS		0x503	/* (gpa of mem_stats) */
#define PVKIT_HC_BALLOON_TARGET		0x504	/* () -> target pages */

/* Devices. */
#define PVKIT_HC_DEVICE_ENUM		0x600	/* (index, gpa of desc) */

/* Guest information. */
#define PVKIT_HC_GUEST_INFO		0x700	/* (gpa of guest_info) */

/* Events, host to guest (PVKIT_F_EVENTS). Other arguments must be 0. */
#define PVKIT_HC_EVENT_ENABLE		0x800	/* (PVKIT_EV_* mask) -> 0 */
#define PVKIT_HC_EVENT_FETCH		0x801	/* () -> pending, cleared */

/*
 * PCI configuration space (PVKIT_F_PCI_CONFIG, 1.3): one call per access
 * where configuration mechanism #1 takes two port accesses, and which
 * devices a bus has without probing each slot. A function is
 * PVKIT_PCI_SBDF(segment, bus, devfn); @reg < 4096, @size 1, 2 or 4 and
 * @reg a multiple of it, or PVKIT_EINVAL. A function that is not there
 * reads as all ones and ignores writes, as on hardware.
 */
#define PVKIT_HC_PCI_CONFIG_READ	0x900	/* (sbdf, reg, size) -> value */
#define PVKIT_HC_PCI_CONFIG_WRITE	0x901	/* (sbdf, reg, size, value) */
#define PVKIT_HC_PCI_SLOTS		0x902	/* (segment << 8 | bus) -> slots */
#define PVKIT_PCI_SBDF(seg, bus, devfn)	(((seg) << 16) | ((bus) << 8) | (devfn))
#define PVKIT_PCI_CONFIG_SIZE		4096

/* ---- Feature bits (CPUID base + 2, and PVKIT_HC_FEATURES) -------------- */

#define PVKIT_F_CONSOLE			(1ULL << 0)
#define PVKIT_F_POWER			(1ULL << 1)
#define PVKIT_F_CRASH			(1ULL << 2)
#define PVKIT_F_CLOCK			(1ULL << 3)
#define PVKIT_F_RNG			(1ULL << 4)
#define PVKIT_F_BALLOON			(1ULL << 5)
#define PVKIT_F_PAGE_REPORT		(1ULL << 6)
#define PVKIT_F_MEM_STATS		(1ULL << 7)
#define PVKIT_F_DEVICE_ENUM		(1ULL << 8)
#define PVKIT_F_GUEST_INFO		(1ULL << 9)
#define PVKIT_F_MULTICALL		(1ULL << 10)
#define PVKIT_F_EVENTS			(1ULL << 11)
#define PVKIT_F_PCI_CONFIG		(1ULL << 12)	/* 1.3 */
#define PVKIT_F_COUNT			13

/* ---- Events (PVKIT_HC_EVENT_*, CPUID base + 3) ------------------------- */

/*
 * What the host may ask of the guest. The interrupt is edge-triggered and
 * active high, like any ISA line; one edge may stand for several events,
 * so the guest fetches them all with PVKIT_HC_EVENT_FETCH.
 */
#define PVKIT_EV_SHUTDOWN		(1U << 0)	/* power off in order */
#define PVKIT_EV_REBOOT			(1U << 1)	/* reboot in order */
/* Since 1.2: */
#define PVKIT_EV_BALLOON		(1U << 2)	/* BALLOON_TARGET changed */
#define PVKIT_EV_CONSOLE_IN		(1U << 3)	/* CONSOLE_READ has input */
#define PVKIT_EV_CLOCK			(1U << 4)	/* resumed: step the clock */
#define PVKIT_EV_ALL			(PVKIT_EV_SHUTDOWN | PVKIT_EV_REBOOT | \
					 PVKIT_EV_BALLOON | \
					 PVKIT_EV_CONSOLE_IN | PVKIT_EV_CLOCK)
#define PVKIT_EVENT_IRQ_MIN		1
#define PVKIT_EVENT_IRQ_MAX		15

/* ---- Shared structures ----------------------------------------------- */

/* One entry of a PVKIT_HC_MULTICALL batch. */
struct pvkit_multicall_entry {
	__u32 nr;
	__u32 flags;			/* must be 0 */
	__u64 args[PVKIT_HC_NARGS];
	__s64 result;			/* written by the host */
};

/* Written by PVKIT_HC_CLOCK_READ. */
struct pvkit_clock_sample {
	__u64 realtime_ns;		/* host CLOCK_REALTIME */
	__u64 guest_tsc;		/* guest TSC at the same instant */
	__u32 tsc_khz;			/* guest TSC frequency */
	__u32 flags;
};

/* A range of guest frames, for PVKIT_HC_PAGE_REPORT. */
struct pvkit_page_range {
	__u64 gpa;			/* page aligned */
	__u64 len;			/* bytes, page multiple */
};

/* Written by the guest for PVKIT_HC_MEM_STATS; all values in bytes. */
struct pvkit_mem_stats {
	__u64 total;
	__u64 free;
	__u64 available;
	__u64 cached;
	__u64 swap_in;
	__u64 swap_out;
	__u64 major_faults;
	__u64 minor_faults;
};

/* Written by the host for PVKIT_HC_DEVICE_ENUM. */
struct pvkit_device_desc {
	__u32 type;			/* virtio device id, 0 = end */
	__u32 irq;
	__u64 mmio_base;
	__u64 mmio_size;
};

#define PVKIT_GUEST_INFO_TEXT	64
#define PVKIT_GUEST_INFO_ADDRS	8
/* How often a guest sends GUEST_INFO: a host may call it gone after 3. */
#define PVKIT_GUEST_INFO_PERIOD_S	5

/* Written by the guest for PVKIT_HC_GUEST_INFO. */
struct pvkit_guest_info {
	__u64 uptime_s;
	__u64 mem_used;
	__u32 load_avg_milli[3];
	__u32 addr_count;
	__u8 ipv4[PVKIT_GUEST_INFO_ADDRS][4];
	char kernel_release[PVKIT_GUEST_INFO_TEXT];
	char hostname[PVKIT_GUEST_INFO_TEXT];
};

/*
 * Pin the layout: a change here is an ABI change and must bump the
 * version. offsetof() is spelled out with __builtin_offsetof so that the
 * header needs no libc or kernel header for it.
 */
#define PVKIT_ABI_ASSERT(cond) _Static_assert(cond, #cond)

PVKIT_ABI_ASSERT(sizeof(struct pvkit_multicall_entry) == 48);
PVKIT_ABI_ASSERT(__builtin_offsetof(struct pvkit_multicall_entry, args) == 8);
PVKIT_ABI_ASSERT(__builtin_offsetof(struct pvkit_multicall_entry, result) == 40);

PVKIT_ABI_ASSERT(sizeof(struct pvkit_clock_sample) == 24);
PVKIT_ABI_ASSERT(__builtin_offsetof(struct pvkit_clock_sample, guest_tsc) == 8);
PVKIT_ABI_ASSERT(__builtin_offsetof(struct pvkit_clock_sample, tsc_khz) == 16);

PVKIT_ABI_ASSERT(sizeof(struct pvkit_page_range) == 16);

PVKIT_ABI_ASSERT(sizeof(struct pvkit_mem_stats) == 64);
PVKIT_ABI_ASSERT(__builtin_offsetof(struct pvkit_mem_stats, minor_faults) == 56);

PVKIT_ABI_ASSERT(sizeof(struct pvkit_device_desc) == 24);
PVKIT_ABI_ASSERT(__builtin_offsetof(struct pvkit_device_desc, mmio_base) == 8);

PVKIT_ABI_ASSERT(sizeof(struct pvkit_guest_info) == 192);
PVKIT_ABI_ASSERT(__builtin_offsetof(struct pvkit_guest_info, ipv4) == 32);
PVKIT_ABI_ASSERT(__builtin_offsetof(struct pvkit_guest_info, kernel_release) == 64);
PVKIT_ABI_ASSERT(__builtin_offsetof(struct pvkit_guest_info, hostname) == 128);

#endif /* _UAPI_PVKIT_ABI_H */
