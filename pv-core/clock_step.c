// SPDX-License-Identifier: GPL-2.0
/*
 * The one-shot correction of the guest's wall clock after the host paused
 * and resumed it, for hosts that post PVKIT_EV_CLOCK. A paused guest's
 * kvm-clock stands still (the host sets it back at resume, as QEMU's stop
 * and cont do), so afterwards CLOCK_REALTIME lags by the pause. On the
 * event this reads the host's clock (CLOCK_READ, bracketed by the
 * guest's own) and, when the two differ by more than PVKIT_CLOCK_STEP_MIN,
 * steps CLOCK_REALTIME to the host's with do_settimeofday64(), counting
 * the step in stats/clock_steps. CLOCK_MONOTONIC is left alone: it never
 * jumps, and the pause simply did not happen for it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/math64.h>
#include <linux/ptp_clock_kernel.h>
#include <linux/timekeeping.h>

#include "pvkit.h"

/* Smaller differences are the reading's own noise, or chrony's to slew. */
#define PVKIT_CLOCK_STEP_MIN	(20 * NSEC_PER_MSEC)

static void pvkit_clock_event(u32 events)
{
	struct ptp_system_timestamp sts = {};
	struct timespec64 now;
	s64 guest, offset;
	u64 host;
	int ret;

	if (pvkit_clock_host_ns(&host, &sts)) {
		pr_warn("the host resumed this guest, but its clock cannot be read\n");
		return;
	}
	guest = timespec64_to_ns(&sts.pre_ts);
	guest += (timespec64_to_ns(&sts.post_ts) - guest) / 2;
	offset = (s64)host - guest;
	if (abs(offset) <= PVKIT_CLOCK_STEP_MIN) {
		pr_info("the host resumed this guest; its wall clock is %lld us off, left alone\n",
			div_s64(offset, NSEC_PER_USEC));
		return;
	}
	ktime_get_real_ts64(&now);
	now = ns_to_timespec64(timespec64_to_ns(&now) + offset);
	ret = do_settimeofday64(&now);
	if (ret) {
		pr_warn("cannot step the wall clock by %lld ms: %d\n",
			div_s64(offset, NSEC_PER_MSEC), ret);
		return;
	}
	atomic64_set(&pvkit_stats.clock_last_step_ns, offset);
	atomic64_inc(&pvkit_stats.clock_steps);
	pr_info("the host resumed this guest: stepped the wall clock by %lld ms to the host's\n",
		div_s64(offset, NSEC_PER_MSEC));
}

static struct pvkit_event_handler pvkit_clock_events = {
	.events = PVKIT_EV_CLOCK,
	.handle = pvkit_clock_event,
};

static bool pvkit_clock_step_on;

/* With the PTP clock in place; without the event, nothing to do. */
void pvkit_clock_step_init(void)
{
	int ret = pvkit_event_handler_add(&pvkit_clock_events);

	if (ret && ret != -EOPNOTSUPP)
		pr_warn("cannot take the host's clock events: %d\n", ret);
	pvkit_clock_step_on = !ret;
}

void pvkit_clock_step_exit(void)
{
	if (pvkit_clock_step_on)
		pvkit_event_handler_remove(&pvkit_clock_events);
	pvkit_clock_step_on = false;
}
