// SPDX-License-Identifier: GPL-2.0
/*
 * Memory statistics for pvkit_mmu.ko (PVKIT_F_MEM_STATS): every
 * PVKIT_MMU_STATS_PERIOD_S seconds, from load on, the guest tells the
 * host its total, free, available and cached memory, what it swapped in
 * and out, and its page faults, with one MEM_STATS hypercall, so that
 * the host can see how much a balloon may take.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmstat.h>
#include <linux/workqueue.h>

#include "pvkit_mmu.h"

static struct pvkit_mem_stats *mem_stats;
static unsigned long *mem_events;	/* NR_VM_EVENT_ITEMS counters */
static struct delayed_work mem_stats_work;

static void mem_stats_send(struct work_struct *work)
{
	struct pvkit_mem_stats *ms = mem_stats;
	struct sysinfo si;

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
	if (pvkit_mmu_call(PVKIT_HC_MEM_STATS, virt_to_phys(ms), 0))
		pr_warn_once("the host refused the memory statistics\n");
	else
		atomic64_inc(&pvkit_mmu_stats.stats_sent);
	schedule_delayed_work(&mem_stats_work, PVKIT_MMU_STATS_PERIOD_S * HZ);
}

int pvkit_mem_stats_init(void)
{
	if (!(pvkit_mmu_features & PVKIT_F_MEM_STATS))
		return 0;
	mem_stats = kzalloc(sizeof(*mem_stats), GFP_KERNEL);
	mem_events = kcalloc(NR_VM_EVENT_ITEMS, sizeof(*mem_events),
			     GFP_KERNEL);
	if (!mem_stats || !mem_events) {
		kfree(mem_stats);
		kfree(mem_events);
		mem_stats = NULL;
		return -ENOMEM;
	}
	INIT_DELAYED_WORK(&mem_stats_work, mem_stats_send);
	schedule_delayed_work(&mem_stats_work, 0);
	return 0;
}

void pvkit_mem_stats_exit(void)
{
	if (!mem_stats)
		return;
	cancel_delayed_work_sync(&mem_stats_work);
	kfree(mem_stats);
	kfree(mem_events);
	mem_stats = NULL;
	mem_events = NULL;
}
