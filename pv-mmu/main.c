// SPDX-License-Identifier: GPL-2.0
/*
 * pvkit_mmu.ko: paravirtual memory management for pvkit guests. Where
 * the host offers them (pvkit ABI feature bits), it runs a balloon that
 * gives memory back to the host on request and takes it again, reports
 * free memory to the host through the kernel's free page reporting, and
 * sends the guest's memory statistics. /sys/kernel/pvkit/mmu shows
 * which features are present and what they did. On a host without the
 * pvkit ABI (stock KVM) it loads, shows every feature absent and does
 * nothing else.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "pvkit_mmu.h"

u64 pvkit_mmu_features;
struct pvkit_mmu_stats pvkit_mmu_stats;

long pvkit_mmu_call(unsigned int nr, unsigned long a0, unsigned long a1)
{
	long ret = pvkit_hypercall(nr, a0, a1, 0, 0);

	if (ret < 0)
		atomic64_inc(&pvkit_mmu_stats.refused);
	return ret;
}

static int __init pvkit_mmu_init(void)
{
	int ret;

	pvkit_mmu_features = pvkit_host_features() &
			     (PVKIT_F_BALLOON | PVKIT_F_PAGE_REPORT |
			      PVKIT_F_MEM_STATS);
	ret = pvkit_mmu_sysfs_init();
	if (ret)
		return ret;
	ret = pvkit_balloon_init();
	if (ret)
		goto err_sysfs;
	ret = pvkit_report_init();
	if (ret)
		goto err_balloon;
	ret = pvkit_mem_stats_init();
	if (ret)
		goto err_report;
	pvkit_mmu_debugfs_init();
	pr_info("balloon %s, free page reporting %s, memory statistics %s\n",
		pvkit_mmu_features & PVKIT_F_BALLOON ? "on" : "absent",
		pvkit_mmu_features & PVKIT_F_PAGE_REPORT ? "on" : "absent",
		pvkit_mmu_features & PVKIT_F_MEM_STATS ? "on" : "absent");
	return 0;

err_report:
	pvkit_report_exit();
err_balloon:
	pvkit_balloon_exit();
err_sysfs:
	pvkit_mmu_sysfs_exit();
	return ret;
}

static void __exit pvkit_mmu_exit(void)
{
	pvkit_mmu_debugfs_exit();
	pvkit_mem_stats_exit();
	pvkit_report_exit();
	pvkit_balloon_exit();
	pvkit_mmu_sysfs_exit();
}

module_init(pvkit_mmu_init);
module_exit(pvkit_mmu_exit);

MODULE_DESCRIPTION("pvkit paravirtual memory: balloon, free page reporting, memory statistics");
MODULE_AUTHOR("The pvkit developers");
MODULE_LICENSE("GPL");
