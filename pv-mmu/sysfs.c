// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/pvkit/mmu/: what pvkit_mmu.ko does, readable by anyone.
 *
 *   balloon, page_report, mem_stats
 *                   "present" where the host offers the feature (and
 *                   pvkit_mmu.ko uses it), else "absent"
 *   balloon_target  pages the host asked for
 *   balloon_pages   pages in the balloon now
 *   last_mem_stats  the last memory statistics the host took, in bytes
 *                   but for the faults: total free available cached
 *                   swap_in swap_out major_faults minor_faults; "none"
 *   stats/          inflated, deflated, oom_deflated, balloon_events,
 *                   reports, reported_bytes, cpu_list_drains (only
 *                   built in: see report.c), stats_sent, refused
 */
#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "pvkit_mmu.h"

static struct kobject *mmu_kobj;

static ssize_t mmu_feature_show(char *buf, u64 feature)
{
	return sysfs_emit(buf, "%s\n", pvkit_mmu_features & feature ?
				       "present" : "absent");
}

#define MMU_FEATURE_ATTR(name, bit)					\
static ssize_t name##_show(struct kobject *kobj,			\
			   struct kobj_attribute *attr, char *buf)	\
{									\
	return mmu_feature_show(buf, bit);				\
}									\
static struct kobj_attribute name##_attr = __ATTR_RO(name)

MMU_FEATURE_ATTR(balloon, PVKIT_F_BALLOON);
MMU_FEATURE_ATTR(page_report, PVKIT_F_PAGE_REPORT);
MMU_FEATURE_ATTR(mem_stats, PVKIT_F_MEM_STATS);

static ssize_t balloon_target_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", pvkit_balloon_target());
}

static ssize_t balloon_pages_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", pvkit_balloon_pages());
}

static ssize_t last_mem_stats_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return pvkit_mem_stats_last_show(buf);
}

static struct kobj_attribute balloon_target_attr = __ATTR_RO(balloon_target);
static struct kobj_attribute balloon_pages_attr = __ATTR_RO(balloon_pages);
static struct kobj_attribute last_mem_stats_attr = __ATTR_RO(last_mem_stats);

static struct attribute *mmu_attrs[] = {
	&balloon_attr.attr,
	&page_report_attr.attr,
	&mem_stats_attr.attr,
	&balloon_target_attr.attr,
	&balloon_pages_attr.attr,
	&last_mem_stats_attr.attr,
	NULL,
};

static const struct attribute_group mmu_group = {
	.attrs = mmu_attrs,
};

#define MMU_STAT_ATTR(field)						\
static ssize_t field##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%lld\n",				\
			  (long long)atomic64_read(&pvkit_mmu_stats.field)); \
}									\
static struct kobj_attribute field##_attr = __ATTR_RO(field)

MMU_STAT_ATTR(inflated);
MMU_STAT_ATTR(deflated);
MMU_STAT_ATTR(oom_deflated);
MMU_STAT_ATTR(balloon_events);
MMU_STAT_ATTR(reports);
MMU_STAT_ATTR(reported_bytes);
MMU_STAT_ATTR(cpu_list_drains);
MMU_STAT_ATTR(stats_sent);
MMU_STAT_ATTR(refused);

static struct attribute *mmu_stat_attrs[] = {
	&inflated_attr.attr,
	&deflated_attr.attr,
	&oom_deflated_attr.attr,
	&balloon_events_attr.attr,
	&reports_attr.attr,
	&reported_bytes_attr.attr,
	&cpu_list_drains_attr.attr,
	&stats_sent_attr.attr,
	&refused_attr.attr,
	NULL,
};

static const struct attribute_group mmu_stat_group = {
	.name = "stats",
	.attrs = mmu_stat_attrs,
};

static const struct attribute_group *mmu_groups[] = {
	&mmu_group,
	&mmu_stat_group,
	NULL,
};

int pvkit_mmu_sysfs_init(void)
{
	int ret;

	mmu_kobj = kobject_create_and_add("mmu", pvkit_sysfs_dir());
	if (!mmu_kobj)
		return -ENOMEM;
	ret = sysfs_create_groups(mmu_kobj, mmu_groups);
	if (ret) {
		kobject_put(mmu_kobj);
		mmu_kobj = NULL;
	}
	return ret;
}

void pvkit_mmu_sysfs_exit(void)
{
	if (!mmu_kobj)
		return;
	sysfs_remove_groups(mmu_kobj, mmu_groups);
	kobject_put(mmu_kobj);
	mmu_kobj = NULL;
}
