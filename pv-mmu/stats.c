// SPDX-License-Identifier: GPL-2.0
/*
 * Memory statistics for pvkit_mmu.ko (PVKIT_F_MEM_STATS): every
 * stats_period_s seconds (a module parameter, default
 * PVKIT_MMU_STATS_PERIOD_S; 0 stops the reports, and setting a period
 * sends one at once), from load on, the guest tells the host its total,
 * free, available and cached memory, what it swapped in and out, and its
 * page faults, with one MEM_STATS hypercall, so that the host can see how
 * much a balloon may take. The last report the host took is kept for
 * sysfs (last_mem_stats), so that what the host shows can be checked.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/vmstat.h>
#include <linux/workqueue.h>

#include "pvkit_mmu.h"

static DEFINE_MUTEX(stats_lock);	/* the pointers, the last report */
static struct pvkit_mem_stats *mem_stats;
static unsigned long *mem_events;	/* NR_VM_EVENT_ITEMS counters */
static struct pvkit_mem_stats last_sent;
static bool sent_any;
static struct delayed_work mem_stats_work;
static unsigned int stats_period_s = PVKIT_MMU_STATS_PERIOD_S;

static void mem_stats_send(struct work_struct *work)
{
	struct pvkit_mem_stats *ms;
	struct sysinfo si;

	mutex_lock(&stats_lock);
	ms = mem_stats;
	if (!ms)
		goto out;
	si_meminfo(&si);
	all_vm_events(mem_events);
	ms->total = (u64)si.totalram * si.mem_unit;
	ms->free = (u64)si.freeram * si.mem_unit;
	ms->available = (u64)si_mem_available() << PAGE_SHIFT;
	ms->cached = (u64)global_node_page_state(NR_FILE_PAGES) << PAGE_SHIFT;
	ms->swap_in = (u64)mem_events[PSWPIN] << PAGE_SHIFT;
	ms->swap_out = (u64)mem_events[PSWPOUT] << PAGE_SHIFT;
	ms->major_faults = mem_events[PGMAJFAULT];
	ms->minor_faults = mem_events[PGFAULT] - mem_events[PGMAJFAULT];
	if (pvkit_mmu_call(PVKIT_HC_MEM_STATS, virt_to_phys(ms), 0)) {
		pr_warn_once("the host refused the memory statistics\n");
	} else {
		last_sent = *ms;
		sent_any = true;
		atomic64_inc(&pvkit_mmu_stats.stats_sent);
	}
	if (READ_ONCE(stats_period_s))
		schedule_delayed_work(&mem_stats_work,
				      READ_ONCE(stats_period_s) * HZ);
out:
	mutex_unlock(&stats_lock);
}

/*
 * A new period: a report at once and the next after it. 0: none pending
 * or in flight once this returns (writes of the parameter are serialised,
 * and a report that runs meanwhile sees the 0 and schedules no other).
 */
static int stats_period_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_uint(val, kp);
	bool ready;

	if (ret)
		return ret;
	mutex_lock(&stats_lock);
	ready = mem_stats;
	if (ready && READ_ONCE(stats_period_s))
		mod_delayed_work(system_wq, &mem_stats_work, 0);
	mutex_unlock(&stats_lock);
	if (ready && !READ_ONCE(stats_period_s))
		cancel_delayed_work_sync(&mem_stats_work);
	return 0;
}

static const struct kernel_param_ops stats_period_ops = {
	.set = stats_period_set,
	.get = param_get_uint,
};
module_param_cb(stats_period_s, &stats_period_ops, &stats_period_s, 0644);
MODULE_PARM_DESC(stats_period_s,
		 "seconds between memory statistics reports to the host (0: none)");

ssize_t pvkit_mem_stats_last_show(char *buf)
{
	struct pvkit_mem_stats ms;
	bool any;

	mutex_lock(&stats_lock);
	ms = last_sent;
	any = sent_any;
	mutex_unlock(&stats_lock);
	if (!any)
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "%llu %llu %llu %llu %llu %llu %llu %llu\n",
			  ms.total, ms.free, ms.available, ms.cached,
			  ms.swap_in, ms.swap_out, ms.major_faults,
			  ms.minor_faults);
}

int pvkit_mem_stats_init(void)
{
	struct pvkit_mem_stats *ms;
	unsigned long *events;

	if (!(pvkit_mmu_features & PVKIT_F_MEM_STATS))
		return 0;
	ms = kzalloc(sizeof(*ms), GFP_KERNEL);
	events = kcalloc(NR_VM_EVENT_ITEMS, sizeof(*events), GFP_KERNEL);
	if (!ms || !events) {
		kfree(ms);
		kfree(events);
		return -ENOMEM;
	}
	INIT_DELAYED_WORK(&mem_stats_work, mem_stats_send);
	mutex_lock(&stats_lock);
	mem_stats = ms;
	mem_events = events;
	sent_any = false;
	if (READ_ONCE(stats_period_s))
		schedule_delayed_work(&mem_stats_work, 0);
	mutex_unlock(&stats_lock);
	return 0;
}

void pvkit_mem_stats_exit(void)
{
	struct pvkit_mem_stats *ms;

	mutex_lock(&stats_lock);
	ms = mem_stats;
	mem_stats = NULL;	/* no more rescheduling, from here or sysfs */
	mutex_unlock(&stats_lock);
	if (!ms)
		return;
	cancel_delayed_work_sync(&mem_stats_work);
	kfree(ms);
	kfree(mem_events);
	mem_events = NULL;
}
