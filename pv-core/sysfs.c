// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/pvkit/: what pvkit.ko detected, readable by anyone.
 *
 *   hypervisor    kvm | pvkit
 *   abi_version   pvkit ABI version in use ("1.0"), or "none" on KVM
 *   transport     vmcall | vmmcall | pio
 *   features      pvkit ABI features the host offers, by name
 *   kvm_features  KVM paravirt features from CPUID, by name
 *   events        host events this guest takes ("shutdown reboot")
 *   events_irq    the line they come on, or "none"
 *   steal_time_ns time the host gave the guest's ready vCPUs to others
 *                 (KVM's steal time, as the kernel accounted it, all
 *                 CPUs), or "none" where the host does not offer it
 *   stats/        hypercalls, errors, pings, events, rng_bytes (entropy
 *                 the host gave), console_writes, console_reads and
 *                 console_read_bytes (input), info_reports, and
 *                 clock_steps and clock_last_step_ns (the wall clock
 *                 stepped after the host paused the guest) since load
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpumask.h>
#include <linux/export.h>
#include <linux/kernel_stat.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <asm/kvm_para.h>

#include "pvkit.h"

static struct kobject *pvkit_kobj;

static ssize_t hypervisor_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  pvkit_hypervisor_name(pvkit_host.hypervisor));
}

static ssize_t abi_version_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	if (!pvkit_host.abi_version)
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "%u.%u\n",
			  PVKIT_ABI_MAJOR(pvkit_host.abi_version),
			  PVKIT_ABI_MINOR(pvkit_host.abi_version));
}

static ssize_t transport_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  pvkit_transport_name(pvkit_host.transport));
}

/* Prints the names of the bits set in @bits, one line, space separated. */
static ssize_t pvkit_emit_bits(char *buf, u64 bits,
			       const char *(*name)(unsigned int bit))
{
	ssize_t len = 0;
	unsigned int bit;

	for (bit = 0; bit < 64; bit++) {
		const char *n;

		if (!(bits & BIT_ULL(bit)))
			continue;
		n = name(bit);
		if (n)
			len += sysfs_emit_at(buf, len, "%s%s", len ? " " : "", n);
		else
			len += sysfs_emit_at(buf, len, "%sbit%u", len ? " " : "",
					     bit);
	}
	return len + sysfs_emit_at(buf, len, "\n");
}

static ssize_t features_show(struct kobject *kobj,
			     struct kobj_attribute *attr, char *buf)
{
	return pvkit_emit_bits(buf, pvkit_host.features, pvkit_feature_name);
}

static ssize_t kvm_features_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return pvkit_emit_bits(buf, pvkit_host.kvm_features,
			       pvkit_kvm_feature_name);
}

static ssize_t host_events_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return pvkit_emit_bits(buf, pvkit_events_enabled(), pvkit_event_name);
}

static ssize_t events_irq_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	if (!pvkit_events_line())
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "%u\n", pvkit_events_line());
}

static ssize_t steal_time_ns_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	u64 sum = 0;
	int cpu;

	if (!(pvkit_host.kvm_features & BIT(KVM_FEATURE_STEAL_TIME)))
		return sysfs_emit(buf, "none\n");
	for_each_possible_cpu(cpu)
		sum += kcpustat_cpu(cpu).cpustat[CPUTIME_STEAL];
	return sysfs_emit(buf, "%llu\n", sum);
}

static struct kobj_attribute hypervisor_attr = __ATTR_RO(hypervisor);
static struct kobj_attribute abi_version_attr = __ATTR_RO(abi_version);
static struct kobj_attribute transport_attr = __ATTR_RO(transport);
static struct kobj_attribute features_attr = __ATTR_RO(features);
static struct kobj_attribute kvm_features_attr = __ATTR_RO(kvm_features);
static struct kobj_attribute host_events_attr =
	__ATTR(events, 0444, host_events_show, NULL);
static struct kobj_attribute events_irq_attr = __ATTR_RO(events_irq);
static struct kobj_attribute steal_time_ns_attr = __ATTR_RO(steal_time_ns);

static struct attribute *pvkit_attrs[] = {
	&hypervisor_attr.attr,
	&abi_version_attr.attr,
	&transport_attr.attr,
	&features_attr.attr,
	&kvm_features_attr.attr,
	&host_events_attr.attr,
	&events_irq_attr.attr,
	&steal_time_ns_attr.attr,
	NULL,
};

static const struct attribute_group pvkit_attr_group = {
	.attrs = pvkit_attrs,
};

#define PVKIT_STAT_ATTR(field)						\
static ssize_t field##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%lld\n",				\
			  (long long)atomic64_read(&pvkit_stats.field));	\
}									\
static struct kobj_attribute field##_attr = __ATTR_RO(field)

PVKIT_STAT_ATTR(hypercalls);
PVKIT_STAT_ATTR(errors);
PVKIT_STAT_ATTR(pings);
PVKIT_STAT_ATTR(events);
PVKIT_STAT_ATTR(rng_bytes);
PVKIT_STAT_ATTR(console_writes);
PVKIT_STAT_ATTR(console_reads);
PVKIT_STAT_ATTR(console_read_bytes);
PVKIT_STAT_ATTR(info_reports);
PVKIT_STAT_ATTR(clock_steps);
PVKIT_STAT_ATTR(clock_last_step_ns);

static struct attribute *pvkit_stat_attrs[] = {
	&hypercalls_attr.attr,
	&errors_attr.attr,
	&pings_attr.attr,
	&events_attr.attr,
	&rng_bytes_attr.attr,
	&console_writes_attr.attr,
	&console_reads_attr.attr,
	&console_read_bytes_attr.attr,
	&info_reports_attr.attr,
	&clock_steps_attr.attr,
	&clock_last_step_ns_attr.attr,
	NULL,
};

static const struct attribute_group pvkit_stat_group = {
	.name = "stats",
	.attrs = pvkit_stat_attrs,
};

static const struct attribute_group *pvkit_groups[] = {
	&pvkit_attr_group,
	&pvkit_stat_group,
	NULL,
};

/* /sys/kernel/pvkit itself, for pvkit's other modules to add to. */
struct kobject *pvkit_sysfs_dir(void)
{
	return pvkit_kobj;
}
EXPORT_SYMBOL_GPL(pvkit_sysfs_dir);

int pvkit_sysfs_init(void)
{
	int ret;

	pvkit_kobj = kobject_create_and_add("pvkit", kernel_kobj);
	if (!pvkit_kobj)
		return -ENOMEM;

	ret = sysfs_create_groups(pvkit_kobj, pvkit_groups);
	if (ret) {
		kobject_put(pvkit_kobj);
		pvkit_kobj = NULL;
	}
	return ret;
}

void pvkit_sysfs_exit(void)
{
	sysfs_remove_groups(pvkit_kobj, pvkit_groups);
	kobject_put(pvkit_kobj);
	pvkit_kobj = NULL;
}
