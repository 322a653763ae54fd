// SPDX-License-Identifier: GPL-2.0
/*
 * The balloon of pvkit_mmu.ko (PVKIT_F_BALLOON). The host sets a target,
 * in pages, and posts PVKIT_EV_BALLOON; a worker reads it with
 * BALLOON_TARGET and moves towards it one batch (one hypercall) at a
 * time. Inflating takes fresh pages from the page allocator, which no
 * one else holds, hands their frame numbers to the host and takes them
 * out of the guest's RAM (MemTotal); deflating tells the host first and
 * then frees the pages. Under OOM pressure the OOM notifier deflates at
 * once instead of letting the OOM killer run, and the balloon does not
 * grow again until the host sets a new target.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/oom.h>
#include <linux/workqueue.h>

#include "pvkit_mmu.h"

/*
 * Pages the OOM notifier gives back per call (16 MiB). A call comes only
 * after a whole round of reclaim has failed, which on a slow guest takes
 * seconds (a nested debug kernel: about 4.6 s), so 1 MiB at a time made
 * the guest wait minutes for 150 MiB. The balloon does not grow again
 * until the host sets a new target, so giving back a little too much
 * costs nothing.
 */
#define PVKIT_BALLOON_OOM_PAGES		4096
/* Retry delay after a failed allocation or a refused batch. */
#define PVKIT_BALLOON_RETRY		HZ
/* Without balloon events, how often the target is read. */
#define PVKIT_BALLOON_POLL		(5 * HZ)

static DEFINE_MUTEX(balloon_lock);
static LIST_HEAD(balloon_list);		/* pages in the balloon, by lru */
static unsigned long balloon_count;	/* under balloon_lock */
static unsigned long balloon_target;
static bool balloon_oom_hold;		/* no inflating until a new target */
static bool balloon_polling;		/* no events: read the target often */
static u64 *balloon_pfns;		/* the batch, one page */
static struct delayed_work balloon_work;
static bool balloon_on;

unsigned long pvkit_balloon_pages(void)
{
	return READ_ONCE(balloon_count);
}

unsigned long pvkit_balloon_target(void)
{
	return READ_ONCE(balloon_target);
}

/*
 * Gives back up to @n pages: the host is told first, then they are
 * freed. Returns the pages freed, or a negative error; balloon_lock held.
 */
static long balloon_deflate(unsigned long n)
{
	struct page *page, *next;
	LIST_HEAD(batch);
	unsigned long i = 0;
	long ret;

	n = min3(n, balloon_count, (unsigned long)PVKIT_MMU_BALLOON_BATCH);
	list_for_each_entry_safe(page, next, &balloon_list, lru) {
		if (i == n)
			break;
		balloon_pfns[i++] = page_to_pfn(page);
		list_move(&page->lru, &batch);
	}
	if (!i)
		return 0;
	ret = pvkit_mmu_call(PVKIT_HC_BALLOON_DEFLATE,
			     virt_to_phys(balloon_pfns), i);
	if (ret != i) {
		pr_warn_ratelimited("the host refused to give back %lu pages: %ld\n",
				    i, ret);
		list_splice(&batch, &balloon_list);
		return ret < 0 ? ret : -EIO;
	}
	list_for_each_entry_safe(page, next, &batch, lru) {
		list_del(&page->lru);
		adjust_managed_page_count(page, 1);
		__free_page(page);
	}
	balloon_count -= i;
	atomic64_add(i, &pvkit_mmu_stats.deflated);
	return i;
}

/*
 * Takes up to @n fresh pages and gives them to the host in one call.
 * The pages come from the allocator without reclaim pressure (no OOM
 * killer for a balloon) and are allocated outside balloon_lock, which
 * the OOM notifier takes. 0, -ENOMEM if fewer pages were found, or the
 * host's refusal.
 */
static long balloon_inflate(unsigned long n)
{
	struct page *page, *next;
	unsigned long got = 0;
	LIST_HEAD(batch);
	long ret = 0;

	n = min_t(unsigned long, n, PVKIT_MMU_BALLOON_BATCH);
	while (got < n) {
		page = alloc_page(GFP_HIGHUSER | __GFP_NORETRY | __GFP_NOWARN |
				  __GFP_NOMEMALLOC);
		if (!page)
			break;
		list_add(&page->lru, &batch);
		got++;
	}
	if (!got)
		return -ENOMEM;

	mutex_lock(&balloon_lock);
	got = 0;
	list_for_each_entry(page, &batch, lru)
		balloon_pfns[got++] = page_to_pfn(page);
	ret = pvkit_mmu_call(PVKIT_HC_BALLOON_INFLATE,
			     virt_to_phys(balloon_pfns), got);
	if (ret == got) {
		list_for_each_entry(page, &batch, lru)
			adjust_managed_page_count(page, -1);
		list_splice_init(&batch, &balloon_list);
		balloon_count += got;
		atomic64_add(got, &pvkit_mmu_stats.inflated);
		ret = got < n ? -ENOMEM : 0;
	} else {
		pr_warn_ratelimited("the host refused %lu balloon pages: %ld\n",
				    got, ret);
		ret = ret < 0 ? ret : -EIO;
	}
	mutex_unlock(&balloon_lock);
	list_for_each_entry_safe(page, next, &batch, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
	return ret;
}

/* One step towards the host's target; queues the next. */
static void balloon_step(struct work_struct *work)
{
	long target = pvkit_mmu_call(PVKIT_HC_BALLOON_TARGET, 0, 0);
	unsigned long delay = 0, count;
	bool more = false;
	long ret = 0;

	if (target < 0) {
		pr_warn_ratelimited("reading the balloon target failed: %ld\n",
				    target);
		return;
	}
	mutex_lock(&balloon_lock);
	WRITE_ONCE(balloon_target, target);
	count = balloon_count;
	if (count > target) {
		ret = balloon_deflate(count - target);
		more = ret > 0;
	}
	mutex_unlock(&balloon_lock);
	if (count < target && !READ_ONCE(balloon_oom_hold)) {
		ret = balloon_inflate(target - count);
		more = !ret;
	}
	if (ret < 0)
		delay = PVKIT_BALLOON_RETRY;
	if (more || ret < 0)
		queue_delayed_work(system_freezable_wq, &balloon_work, delay);
	else if (balloon_polling)
		queue_delayed_work(system_freezable_wq, &balloon_work,
				   PVKIT_BALLOON_POLL);
}

static void balloon_event(u32 events)
{
	atomic64_inc(&pvkit_mmu_stats.balloon_events);
	WRITE_ONCE(balloon_oom_hold, false);
	mod_delayed_work(system_freezable_wq, &balloon_work, 0);
}

static struct pvkit_event_handler balloon_events = {
	.events = PVKIT_EV_BALLOON,
	.handle = balloon_event,
};

/* Memory is short: give some back now rather than have a task killed. */
static int balloon_oom(struct notifier_block *nb, unsigned long unused,
		       void *parm)
{
	unsigned long *freed = parm, got = 0;
	long ret;

	WRITE_ONCE(balloon_oom_hold, true);
	mutex_lock(&balloon_lock);
	while (got < PVKIT_BALLOON_OOM_PAGES) {
		ret = balloon_deflate(PVKIT_BALLOON_OOM_PAGES - got);
		if (ret <= 0)
			break;
		got += ret;
	}
	mutex_unlock(&balloon_lock);
	if (got) {
		*freed += got;
		atomic64_add(got, &pvkit_mmu_stats.oom_deflated);
		pr_info_ratelimited("out of memory: took %lu pages back from the balloon\n",
				    got);
	}
	return NOTIFY_OK;
}

static struct notifier_block balloon_oom_nb = {
	.notifier_call = balloon_oom,
};

int pvkit_balloon_init(void)
{
	int ret;

	if (!(pvkit_mmu_features & PVKIT_F_BALLOON))
		return 0;
	balloon_pfns = (u64 *)get_zeroed_page(GFP_KERNEL);
	if (!balloon_pfns)
		return -ENOMEM;
	INIT_DELAYED_WORK(&balloon_work, balloon_step);
	ret = register_oom_notifier(&balloon_oom_nb);
	if (ret)
		goto err_page;
	ret = pvkit_event_handler_add(&balloon_events);
	if (ret) {
		pr_warn("no balloon events from the host (%d): reading the target every %d s\n",
			ret, PVKIT_BALLOON_POLL / HZ);
		balloon_polling = true;
	}
	balloon_on = true;
	queue_delayed_work(system_freezable_wq, &balloon_work, 0);
	return 0;

err_page:
	free_page((unsigned long)balloon_pfns);
	return ret;
}

void pvkit_balloon_exit(void)
{
	if (!balloon_on)
		return;
	if (!balloon_polling)
		pvkit_event_handler_remove(&balloon_events);
	balloon_polling = false;
	cancel_delayed_work_sync(&balloon_work);
	unregister_oom_notifier(&balloon_oom_nb);
	/* a batch at a time: on a slow kernel 100,000 pages take a while */
	mutex_lock(&balloon_lock);
	while (balloon_count && balloon_deflate(balloon_count) > 0)
		cond_resched();
	if (balloon_count)
		pr_warn("%lu balloon pages could not be given back\n",
			balloon_count);
	mutex_unlock(&balloon_lock);
	free_page((unsigned long)balloon_pfns);
	balloon_on = false;
}
