// SPDX-License-Identifier: GPL-2.0
/*
 * Free page reporting for pvkit_mmu.ko (PVKIT_F_PAGE_REPORT). The kernel's
 * page reporting (CONFIG_PAGE_REPORTING) hands over free blocks of at
 * least pageblock order that have not been reported since they were
 * last freed, and keeps them off the free lists while the report runs;
 * each batch goes to the host as one PAGE_REPORT of guest-physical
 * ranges, and the host drops that memory. A page the guest allocates
 * again later simply reads back as zeros from the host.
 *
 * Pages freed a moment ago can still sit on the per-CPU free lists,
 * which page reporting does not see. Since 6.7 the kernel lets those
 * lists grow during a large free (up to an eighth of a zone) and shrinks
 * them by an eighth a second, so a tenth of a 512 MiB free can wait many
 * seconds. Built into the kernel, pvkit_mmu empties them at most once a
 * second while reports are being made, and the pages reach the buddy
 * lists that this pass or the next one walks; a module cannot
 * (drain_all_pages() is not exported) and leaves them to the decay.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/page_reporting.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "pvkit_mmu.h"

static struct pvkit_page_range *report_ranges;
static bool report_on;

/* Empties the per-CPU free lists, at most once a second; see the top. */
static void report_drain_cpu_lists(void)
{
#if IS_BUILTIN(CONFIG_PVKIT_MMU)
	static unsigned long last;
	static bool drained;

	/* only page reporting's worker calls this, one batch at a time */
	if (drained && time_before(jiffies, last + HZ))
		return;
	drained = true;
	last = jiffies;
	drain_all_pages(NULL);
	atomic64_inc(&pvkit_mmu_stats.cpu_list_drains);
#endif
}

/* Called by page reporting's worker, one batch at a time. */
static int report_free_pages(struct page_reporting_dev_info *prdev,
			     struct scatterlist *sgl, unsigned int nents)
{
	struct scatterlist *sg;
	u64 bytes = 0;
	unsigned int i;
	long ret;

	report_drain_cpu_lists();
	for_each_sg(sgl, sg, nents, i) {
		report_ranges[i].gpa = sg_phys(sg);
		report_ranges[i].len = sg->length;
		bytes += sg->length;
	}
	ret = pvkit_mmu_call(PVKIT_HC_PAGE_REPORT, virt_to_phys(report_ranges),
			     nents);
	if (ret != (long)nents) {
		pr_warn_ratelimited("the host refused a free page report: %ld\n",
				    ret);
		return -EIO;
	}
	atomic64_inc(&pvkit_mmu_stats.reports);
	atomic64_add(bytes, &pvkit_mmu_stats.reported_bytes);
	return 0;
}

static struct page_reporting_dev_info report_dev = {
	.report = report_free_pages,
};

int pvkit_report_init(void)
{
	int ret;

	if (!(pvkit_mmu_features & PVKIT_F_PAGE_REPORT))
		return 0;
	report_ranges = kcalloc(PAGE_REPORTING_CAPACITY,
				sizeof(*report_ranges), GFP_KERNEL);
	if (!report_ranges)
		return -ENOMEM;
	ret = page_reporting_register(&report_dev);
	if (ret) {
		/* one reporter per system: another driver may have it */
		pr_warn("free page reporting unavailable: %d\n", ret);
		kfree(report_ranges);
		report_ranges = NULL;
		pvkit_mmu_features &= ~PVKIT_F_PAGE_REPORT;
		return 0;
	}
	report_on = true;
	return 0;
}

void pvkit_report_exit(void)
{
	if (!report_on)
		return;
	page_reporting_unregister(&report_dev);
	kfree(report_ranges);
	report_ranges = NULL;
	report_on = false;
}
