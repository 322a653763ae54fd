// SPDX-License-Identifier: GPL-2.0
/*
 * The host's wall clock for hosts that offer PVKIT_F_CLOCK, as a PTP
 * hardware clock (/dev/ptpN, clock_name "pvkit") that chrony or
 * phc2sys can follow: each reading is one PVKIT_HC_CLOCK_READ hypercall,
 * which returns the host's CLOCK_REALTIME paired with the guest's TSC,
 * bracketed by the guest's own clock for PTP_SYS_OFFSET_EXTENDED. The
 * clock is the host's, so it cannot be stepped or slewed from here.
 * clock_step.c uses the same reading to step the guest's wall clock
 * after the host paused the guest.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/ptp_clock_kernel.h>
#include <linux/slab.h>

#include "pvkit.h"

static struct pvkit_clock_sample *pvkit_clock_sample;
static DEFINE_MUTEX(pvkit_clock_lock);
static struct ptp_clock *pvkit_ptp;

int pvkit_clock_host_ns(u64 *ns, struct ptp_system_timestamp *sts)
{
	long ret;

	mutex_lock(&pvkit_clock_lock);
	ptp_read_system_prets(sts);
	ret = pvkit_hypercall(PVKIT_HC_CLOCK_READ,
			      virt_to_phys(pvkit_clock_sample), 0, 0, 0);
	ptp_read_system_postts(sts);
	*ns = pvkit_clock_sample->realtime_ns;
	mutex_unlock(&pvkit_clock_lock);
	return ret ? -EIO : 0;
}

static int pvkit_ptp_gettimex(struct ptp_clock_info *info,
			      struct timespec64 *ts,
			      struct ptp_system_timestamp *sts)
{
	u64 ns;
	int ret = pvkit_clock_host_ns(&ns, sts);

	if (ret)
		return ret;
	*ts = ns_to_timespec64(ns);
	return 0;
}

static int pvkit_ptp_gettime(struct ptp_clock_info *info,
			     struct timespec64 *ts)
{
	return pvkit_ptp_gettimex(info, ts, NULL);
}

static int pvkit_ptp_settime(struct ptp_clock_info *info,
			     const struct timespec64 *ts)
{
	return -EOPNOTSUPP;
}

static int pvkit_ptp_adjfine(struct ptp_clock_info *info, long scaled_ppm)
{
	return -EOPNOTSUPP;
}

static int pvkit_ptp_adjtime(struct ptp_clock_info *info, s64 delta)
{
	return -EOPNOTSUPP;
}

static int pvkit_ptp_enable(struct ptp_clock_info *info,
			    struct ptp_clock_request *rq, int on)
{
	return -EOPNOTSUPP;
}

static struct ptp_clock_info pvkit_ptp_info = {
	.owner = THIS_MODULE,
	.name = "pvkit",
	.gettimex64 = pvkit_ptp_gettimex,
	.gettime64 = pvkit_ptp_gettime,
	.settime64 = pvkit_ptp_settime,
	.adjfine = pvkit_ptp_adjfine,
	.adjtime = pvkit_ptp_adjtime,
	.enable = pvkit_ptp_enable,
};

int pvkit_clock_init(void)
{
	struct ptp_clock *ptp;

	if (!(pvkit_host.features & PVKIT_F_CLOCK))
		return 0;
	pvkit_clock_sample = kzalloc(sizeof(*pvkit_clock_sample), GFP_KERNEL);
	if (!pvkit_clock_sample)
		return -ENOMEM;
	ptp = ptp_clock_register(&pvkit_ptp_info, NULL);
	if (IS_ERR_OR_NULL(ptp)) {
		pr_err("cannot register the host clock as a PTP clock: %ld\n",
		       PTR_ERR(ptp));
		kfree(pvkit_clock_sample);
		pvkit_clock_sample = NULL;
		return ptp ? PTR_ERR(ptp) : -ENODEV;
	}
	pvkit_ptp = ptp;
	pvkit_clock_step_init();
	return 0;
}

void pvkit_clock_exit(void)
{
	if (!pvkit_ptp)
		return;
	pvkit_clock_step_exit();
	ptp_clock_unregister(pvkit_ptp);
	pvkit_ptp = NULL;
	kfree(pvkit_clock_sample);
	pvkit_clock_sample = NULL;
}
