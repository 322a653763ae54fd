// SPDX-License-Identifier: GPL-2.0
/*
 * Hypervisor detection for pvkit.ko.
 *
 * Looks for pvkit's CPUID leaves and for KVM's, anywhere in the hypervisor
 * CPUID range, decides which interface this guest talks to and how it
 * traps into the hypervisor (pvkit's port I/O, or VMCALL/VMMCALL for KVM
 * chosen by CPU vendor). Also names hypervisors, transports and feature
 * bits for sysfs and the log.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/string.h>
#include <asm/cpufeature.h>
#include <asm/kvm_para.h>
#include <asm/processor.h>

#include "pvkit.h"

#define KVM_SIGNATURE_STR	"KVMKVMKVM\0\0\0"

struct pvkit_host pvkit_host;

static const char * const pvkit_feature_names[PVKIT_F_COUNT] = {
	"console", "power", "crash", "clock", "rng", "balloon",
	"page_report", "mem_stats", "device_enum", "guest_info", "multicall",
	"events", "pci_config",
};

static const char * const kvm_feature_names[32] = {
	[KVM_FEATURE_CLOCKSOURCE]	= "clocksource",
	[KVM_FEATURE_NOP_IO_DELAY]	= "nop_io_delay",
	[KVM_FEATURE_MMU_OP]		= "mmu_op",
	[KVM_FEATURE_CLOCKSOURCE2]	= "clocksource2",
	[KVM_FEATURE_ASYNC_PF]		= "async_pf",
	[KVM_FEATURE_STEAL_TIME]	= "steal_time",
	[KVM_FEATURE_PV_EOI]		= "pv_eoi",
	[KVM_FEATURE_PV_UNHALT]		= "pv_unhalt",
	[KVM_FEATURE_PV_TLB_FLUSH]	= "pv_tlb_flush",
	[KVM_FEATURE_ASYNC_PF_VMEXIT]	= "async_pf_vmexit",
	[KVM_FEATURE_PV_SEND_IPI]	= "pv_send_ipi",
	[KVM_FEATURE_POLL_CONTROL]	= "poll_control",
	[KVM_FEATURE_PV_SCHED_YIELD]	= "pv_sched_yield",
	[KVM_FEATURE_ASYNC_PF_INT]	= "async_pf_int",
	[KVM_FEATURE_MSI_EXT_DEST_ID]	= "msi_ext_dest_id",
	[KVM_FEATURE_HC_MAP_GPA_RANGE]	= "hc_map_gpa_range",
	[KVM_FEATURE_MIGRATION_CONTROL]	= "migration_control",
	[KVM_FEATURE_CLOCKSOURCE_STABLE_BIT] = "clocksource_stable",
};

const char *pvkit_feature_name(unsigned int bit)
{
	return bit < ARRAY_SIZE(pvkit_feature_names) ?
	       pvkit_feature_names[bit] : NULL;
}

const char *pvkit_kvm_feature_name(unsigned int bit)
{
	return bit < ARRAY_SIZE(kvm_feature_names) ?
	       kvm_feature_names[bit] : NULL;
}

const char *pvkit_hypervisor_name(u32 hypervisor)
{
	switch (hypervisor) {
	case PVKIT_HV_KVM:
		return "kvm";
	case PVKIT_HV_PVKIT:
		return "pvkit";
	default:
		return "none";
	}
}

const char *pvkit_transport_name(u32 transport)
{
	switch (transport) {
	case PVKIT_XPORT_VMCALL:
		return "vmcall";
	case PVKIT_XPORT_VMMCALL:
		return "vmmcall";
	case PVKIT_XPORT_PIO:
		return "pio";
	default:
		return "none";
	}
}

/* Reads pvkit's leaves at @base; false if they describe nothing usable. */
static bool pvkit_read_leaves(u32 base)
{
	u32 version, transport, port, feat_lo, feat_hi, unused;

	cpuid(base + PVKIT_CPUID_LEAF_VERSION, &version, &transport, &port,
	      &unused);
	cpuid(base + PVKIT_CPUID_LEAF_FEATURES, &feat_lo, &feat_hi, &unused,
	      &unused);

	if (PVKIT_ABI_MAJOR(version) != PVKIT_ABI_VERSION_MAJOR) {
		pr_warn("pvkit hypervisor speaks ABI %u.%u, this module %u.x: ignoring it\n",
			PVKIT_ABI_MAJOR(version), PVKIT_ABI_MINOR(version),
			PVKIT_ABI_VERSION_MAJOR);
		return false;
	}
	if (transport != PVKIT_TRANSPORT_PIO || port > 0xffff) {
		pr_warn("pvkit hypervisor offers unknown transport %u (port %#x): ignoring it\n",
			transport, port);
		return false;
	}

	pvkit_host.pvkit_base = base;
	pvkit_host.abi_version = version;
	pvkit_host.pio_port = port;
	pvkit_host.features = ((u64)feat_hi << 32) | feat_lo;
	return true;
}

static void pvkit_report_absent(void)
{
	u32 eax, sig[3];
	char text[sizeof(sig) + 1];

	if (!boot_cpu_has(X86_FEATURE_HYPERVISOR)) {
		pr_err("no hypervisor interface: the CPUID hypervisor bit is clear\n");
		return;
	}
	cpuid(PVKIT_CPUID_BASE_MIN, &eax, &sig[0], &sig[1], &sig[2]);
	memcpy(text, sig, sizeof(sig));
	text[sizeof(sig)] = '\0';
	pr_err("no supported hypervisor: CPUID %#x signature \"%s\" is neither KVM nor pvkit\n",
	       PVKIT_CPUID_BASE_MIN, text);
}

int pvkit_detect(void)
{
	memset(&pvkit_host, 0, sizeof(pvkit_host));

	if (boot_cpu_has(X86_FEATURE_HYPERVISOR)) {
		u32 base;

		pvkit_host.kvm_base = hypervisor_cpuid_base(KVM_SIGNATURE_STR, 0);
		if (pvkit_host.kvm_base)
			pvkit_host.kvm_features =
				cpuid_eax(pvkit_host.kvm_base + 1);

		base = hypervisor_cpuid_base(PVKIT_CPUID_SIGNATURE,
					     PVKIT_CPUID_LEAVES);
		if (base && pvkit_read_leaves(base)) {
			pvkit_host.hypervisor = PVKIT_HV_PVKIT;
			pvkit_host.transport = PVKIT_XPORT_PIO;
			return 0;
		}
	}

	if (pvkit_host.kvm_base) {
		pvkit_host.hypervisor = PVKIT_HV_KVM;
		pvkit_host.transport = pvkit_kvm_transport();
		return 0;
	}

	pvkit_report_absent();
	return -ENODEV;
}
