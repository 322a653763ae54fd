// SPDX-License-Identifier: GPL-2.0
/*
 * Host-to-guest events for pvkit.ko, where the host offers PVKIT_F_EVENTS
 * (ABI 1.1): the host raises an ISA interrupt line, named in CPUID
 * base + 3, when it posts an event. A threaded handler fetches the
 * pending events with EVENT_FETCH and turns a shutdown request into
 * orderly_poweroff() and a reboot request into orderly_reboot(), so that
 * the guest's own /sbin/poweroff or /sbin/reboot shuts it down in order.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/interrupt.h>
#include <linux/reboot.h>
#include <asm/processor.h>

#include "pvkit.h"

static const char * const pvkit_event_names[] = { "shutdown", "reboot" };

static_assert(BIT(ARRAY_SIZE(pvkit_event_names)) - 1 == PVKIT_EV_ALL);

/* The line and the events enabled; both 0 while events are off. */
static unsigned int pvkit_events_irq;
static u32 pvkit_events_mask;

const char *pvkit_event_name(unsigned int bit)
{
	return bit < ARRAY_SIZE(pvkit_event_names) ?
	       pvkit_event_names[bit] : NULL;
}

u32 pvkit_events_enabled(void)
{
	return pvkit_events_mask;
}

unsigned int pvkit_events_line(void)
{
	return pvkit_events_irq;
}

static irqreturn_t pvkit_events_thread(int irq, void *dev_id)
{
	long ev = pvkit_hypercall(PVKIT_HC_EVENT_FETCH, 0, 0, 0, 0);

	if (ev < 0) {
		pr_warn_ratelimited("fetching host events failed: %ld\n", ev);
		return IRQ_NONE;
	}
	if (!ev)
		return IRQ_NONE;
	atomic64_add(hweight32(ev), &pvkit_stats.events);
	if (ev & PVKIT_EV_SHUTDOWN) {
		pr_info("the host asked for a power off\n");
		orderly_poweroff(true);
	} else if (ev & PVKIT_EV_REBOOT) {
		pr_info("the host asked for a reboot\n");
		orderly_reboot();
	}
	return IRQ_HANDLED;
}

/* The line and events the host offers, from CPUID; false if unusable. */
static bool pvkit_events_offer(u32 *irq, u32 *events)
{
	u32 base = pvkit_host.pvkit_base, unused;

	if (cpuid_eax(base) < base + PVKIT_CPUID_LEAF_EVENTS) {
		pr_warn("host offers events without their CPUID leaf: ignoring them\n");
		return false;
	}
	cpuid(base + PVKIT_CPUID_LEAF_EVENTS, irq, events, &unused, &unused);
	if (*irq < PVKIT_EVENT_IRQ_MIN || *irq > PVKIT_EVENT_IRQ_MAX) {
		pr_warn("host offers events on IRQ %u, not an ISA line: ignoring them\n",
			*irq);
		return false;
	}
	*events &= PVKIT_EV_ALL;
	return *events;
}

/*
 * Events are a service on top of the core: if they cannot be set up, the
 * module loads without them and says why.
 */
void pvkit_events_init(void)
{
	u32 irq, events;
	long ret;

	if (!(pvkit_host.features & PVKIT_F_EVENTS) ||
	    !pvkit_events_offer(&irq, &events))
		return;

	ret = request_threaded_irq(irq, NULL, pvkit_events_thread,
				   IRQF_ONESHOT, "pvkit-events",
				   &pvkit_events_irq);
	if (ret) {
		pr_warn("cannot request IRQ %u for host events: %ld\n", irq,
			ret);
		return;
	}
	ret = pvkit_hypercall(PVKIT_HC_EVENT_ENABLE, events, 0, 0, 0);
	if (ret) {
		pr_warn("host refused to enable events: %ld\n", ret);
		free_irq(irq, &pvkit_events_irq);
		return;
	}
	pvkit_events_irq = irq;
	pvkit_events_mask = events;
}

void pvkit_events_exit(void)
{
	if (!pvkit_events_mask)
		return;
	pvkit_hypercall(PVKIT_HC_EVENT_ENABLE, 0, 0, 0, 0);
	free_irq(pvkit_events_irq, &pvkit_events_irq);
	pvkit_events_irq = 0;
	pvkit_events_mask = 0;
}
