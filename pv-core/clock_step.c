// SPDX-License-Identifier: GPL-2.0
/*
 * One-shot corrections of the guest's wall clock to the host's: once when
 * the clock service starts, and after the host paused and resumed the
 * guest, for hosts that post PVKIT_EV_CLOCK. At start, a guest that took
 * long to boot lags: its wall clock was read at boot and then kept on
 * jiffies until a better clocksource took over, so every tick lost in
 * early boot (seconds on a slow, nested debug kernel) is lost from it.
 * A paused guest's kvm-clock stands still (the host sets it back at
 * resume, as QEMU's stop and cont do), so afterwards CLOCK_REALTIME lags
 * by the pause. Each time this reads the host's clock (CLOCK_READ,
 * bracketed by the guest's own) and, when the two differ by more than
 * PVKIT_CLOCK_STEP_MIN, steps CLOCK_REALTIME to the host's with
 * do_settimeofday64(), counting the step in stats/clock_steps.
 * CLOCK_MONOTONIC is left alone: it never jumps.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/math64.h>
#include <linux/ptp_clock_kernel.h>
#include <linux/timekeeping.h>

#include "pvkit.h"

/* Smaller differences are the reading's own noise, or chrony's to slew. */
#define PVKIT_CLOCK_STEP_MIN	(20 * NSEC_PER_MSEC)

/* Steps the wall clock to the host's if they differ; @why starts each line. */
static void pvkit_clock_sync(const char *why)
{
	struct ptp_system_timestamp sts = {};
	struct timespec64 now;
	s64 guest, offset;
	u64 host;
	int ret;

	if (pvkit_clock_host_ns(&host, &sts)) {
		pr_warn("%s, but the host's clock cannot be read\n", why);
		return;
	}
	guest = timespec64_to_ns(&sts.pre_ts);
	guest += (timespec64_to_ns(&sts.post_ts) - guest) / 2;
	offset = (s64)host - guest;
	if (abs(offset) <= PVKIT_CLOCK_STEP_MIN) {
		pr_debug("%s; the wall clock is %lld us off the host's, left alone\n",
			 why, div_s64(offset, NSEC_PER_USEC));
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
	pr_info("%s: stepped the wall clock by %lld ms to the host's\n",
		why, div_s64(offset, NSEC_PER_MSEC));
}

static void pvkit_clock_event(u32 events)
{
	pvkit_clock_sync("the host resumed this guest");
}

static struct pvkit_event_handler pvkit_clock_events = {
	.events = PVKIT_EV_CLOCK,
	.handle = pvkit_clock_event,
};

static bool pvkit_clock_step_on;

/*
 * With the PTP clock in place: the wall clock to the host's now, and
 * after each pause where the host posts the event.
 */
void pvkit_clock_step_init(void)
{
	int ret;

	pvkit_clock_sync("clock service started");
	ret = pvkit_event_handler_add(&pvkit_clock_events);

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
