// SPDX-License-Identifier: GPL-2.0
/*
 * The hypercall entry points of pvkit.ko.
 *
 * pvkit's own calls go through the port-I/O transport of the pvkit ABI
 * (Documentation/hypercall-abi.rst). On stock KVM there is no pvkit ABI;
 * the only call this module makes there is KVM's side-effect-free
 * KVM_HC_VAPIC_POLL_IRQ, which measures the in-kernel round trip.
 * Every call is counted for sysfs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/export.h>
#include <linux/kernel.h>
#include <asm/processor.h>
#include <uapi/linux/kvm_para.h>

#include "pvkit.h"

struct pvkit_stats pvkit_stats;

static long pvkit_pio_call(u16 port, unsigned int nr, unsigned long a0,
			   unsigned long a1, unsigned long a2,
			   unsigned long a3)
{
	long ret;

	asm volatile("outl %%eax, %%dx"
		     : "=a" (ret)
		     : "a" (nr), "d" (port), "b" (a0), "c" (a1), "S" (a2),
		       "D" (a3)
		     : "memory");
	return ret;
}

static long pvkit_kvm_call0(u32 transport, unsigned long nr)
{
	long ret;

	if (transport == PVKIT_XPORT_VMMCALL)
		asm volatile("vmmcall" : "=a" (ret) : "a" (nr) : "memory");
	else
		asm volatile("vmcall" : "=a" (ret) : "a" (nr) : "memory");
	return ret;
}

static long pvkit_count(long ret)
{
	atomic64_inc(&pvkit_stats.hypercalls);
	if (ret < 0)
		atomic64_inc(&pvkit_stats.errors);
	return ret;
}

long pvkit_hypercall(unsigned int nr, unsigned long a0, unsigned long a1,
		     unsigned long a2, unsigned long a3)
{
	if (pvkit_host.transport != PVKIT_XPORT_PIO)
		return PVKIT_ENOSYS;
	return pvkit_count(pvkit_pio_call(pvkit_host.pio_port, nr, a0, a1,
					  a2, a3));
}
EXPORT_SYMBOL_GPL(pvkit_hypercall);

u64 pvkit_host_features(void)
{
	return pvkit_host.features;
}
EXPORT_SYMBOL_GPL(pvkit_host_features);

/* KVM's own hypercall instruction on this CPU: VMMCALL on AMD and Hygon. */
u32 pvkit_kvm_transport(void)
{
	return boot_cpu_data.x86_vendor == X86_VENDOR_AMD ||
	       boot_cpu_data.x86_vendor == X86_VENDOR_HYGON ?
	       PVKIT_XPORT_VMMCALL : PVKIT_XPORT_VMCALL;
}

/*
 * One round trip to the hypervisor; 0 on success, -EIO if it misbehaved.
 * With @kvm, KVM's in-kernel no-op call even where pvkit's ABI is present.
 */
long pvkit_ping_once(bool kvm)
{
	static const long cookie = 0x70766b6974L;
	u32 transport = pvkit_host.transport;
	long ret;

	if (kvm) {
		if (!pvkit_host.kvm_base)
			return -EOPNOTSUPP;
		transport = pvkit_kvm_transport();
	}

	atomic64_inc(&pvkit_stats.pings);
	switch (transport) {
	case PVKIT_XPORT_PIO:
		ret = pvkit_hypercall(PVKIT_HC_PING, cookie, 0, 0, 0);
		return ret == cookie ? 0 : -EIO;
	case PVKIT_XPORT_VMCALL:
	case PVKIT_XPORT_VMMCALL:
		ret = pvkit_count(pvkit_kvm_call0(transport,
						  KVM_HC_VAPIC_POLL_IRQ));
		return ret == 0 ? 0 : -EIO;
	default:
		return -ENODEV;
	}
}
