// SPDX-License-Identifier: GPL-2.0
/*
 * Host-to-guest events for pvkit.ko, where the host offers PVKIT_F_EVENTS
 * (ABI 1.1): the host raises an ISA interrupt line, named in CPUID
 * base + 3, when it posts an event. A threaded handler fetches the
 * pending events with EVENT_FETCH and hands each to the handler that
 * registered for it. pvkit.ko's own handler turns a shutdown request
 * into orderly_poweroff() and a reboot request into orderly_reboot(), so
 * that the guest's own /sbin/poweroff or /sbin/reboot shuts it down in
 * order; other services (console input, the clock, pvkit_mmu.ko's
 * balloon) add theirs with pvkit_event_handler_add(). The host is asked
 * for exactly the events that have a handler.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/export.h>
#include <linux/interrupt.h>
#include <linux/mutex.h>
#include <linux/reboot.h>
#include <asm/processor.h>

#include "pvkit.h"

static const char * const pvkit_event_names[] = {
	"shutdown", "reboot", "balloon", "console_in", "clock",
};

static_assert(BIT(ARRAY_SIZE(pvkit_event_names)) - 1 == PVKIT_EV_ALL);

/* The line (0 while events are off), what the host offers, what is on. */
static unsigned int pvkit_events_irq;
static u32 pvkit_events_offered;
static u32 pvkit_events_mask;

/* The handlers, and the mask they add up to, change under this lock. */
static DEFINE_MUTEX(pvkit_events_lock);
static LIST_HEAD(pvkit_event_handlers);

const char *pvkit_event_name(unsigned int bit)
{
	return bit < ARRAY_SIZE(pvkit_event_names) ?
	       pvkit_event_names[bit] : NULL;
}

u32 pvkit_events_enabled(void)
{
	return READ_ONCE(pvkit_events_mask);
}

unsigned int pvkit_events_line(void)
{
	return pvkit_events_irq;
}

static irqreturn_t pvkit_events_thread(int irq, void *dev_id)
{
	long ev = pvkit_hypercall(PVKIT_HC_EVENT_FETCH, 0, 0, 0, 0);
	struct pvkit_event_handler *h;

	if (ev < 0) {
		pr_warn_ratelimited("fetching host events failed: %ld\n", ev);
		return IRQ_NONE;
	}
	if (!ev)
		return IRQ_NONE;
	atomic64_add(hweight32(ev), &pvkit_stats.events);
	mutex_lock(&pvkit_events_lock);
	list_for_each_entry(h, &pvkit_event_handlers, node)
		if (ev & h->events)
			h->handle(ev & h->events);
	mutex_unlock(&pvkit_events_lock);
	return IRQ_HANDLED;
}

/* Asks the host for the events the handlers cover; lock held. */
static int pvkit_events_update(void)
{
	struct pvkit_event_handler *h;
	u32 mask = 0;
	long ret;

	list_for_each_entry(h, &pvkit_event_handlers, node)
		mask |= h->events;
	ret = pvkit_hypercall(PVKIT_HC_EVENT_ENABLE, mask, 0, 0, 0);
	if (ret) {
		pr_warn("host refused to enable events %#x: %ld\n", mask, ret);
		return -EIO;
	}
	WRITE_ONCE(pvkit_events_mask, mask);
	return 0;
}

int pvkit_event_handler_add(struct pvkit_event_handler *h)
{
	int ret = 0;

	if (!h->events || !h->handle)
		return -EINVAL;
	mutex_lock(&pvkit_events_lock);
	if (!pvkit_events_irq || (h->events & ~pvkit_events_offered)) {
		ret = -EOPNOTSUPP;
	} else if (h->events & pvkit_events_mask) {
		ret = -EBUSY;
	} else {
		list_add_tail(&h->node, &pvkit_event_handlers);
		ret = pvkit_events_update();
		if (ret)
			list_del(&h->node);
	}
	mutex_unlock(&pvkit_events_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(pvkit_event_handler_add);

void pvkit_event_handler_remove(struct pvkit_event_handler *h)
{
	mutex_lock(&pvkit_events_lock);
	list_del(&h->node);
	pvkit_events_update();
	mutex_unlock(&pvkit_events_lock);
}
EXPORT_SYMBOL_GPL(pvkit_event_handler_remove);

static void pvkit_power_event(u32 ev)
{
	if (ev & PVKIT_EV_SHUTDOWN) {
		pr_info("the host asked for a power off\n");
		orderly_poweroff(true);
	} else if (ev & PVKIT_EV_REBOOT) {
		pr_info("the host asked for a reboot\n");
		orderly_reboot();
	}
}

static struct pvkit_event_handler pvkit_power_events = {
	.handle = pvkit_power_event,
};

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
	pvkit_events_irq = irq;
	pvkit_events_offered = events;
	pvkit_power_events.events = events &
				    (PVKIT_EV_SHUTDOWN | PVKIT_EV_REBOOT);
	if (pvkit_power_events.events &&
	    pvkit_event_handler_add(&pvkit_power_events))
		pvkit_power_events.events = 0;
}

void pvkit_events_exit(void)
{
	if (!pvkit_events_irq)
		return;
	if (pvkit_power_events.events)
		pvkit_event_handler_remove(&pvkit_power_events);
	pvkit_hypercall(PVKIT_HC_EVENT_ENABLE, 0, 0, 0, 0);
	free_irq(pvkit_events_irq, &pvkit_events_irq);
	pvkit_events_irq = 0;
	pvkit_events_offered = 0;
	WRITE_ONCE(pvkit_events_mask, 0);
}
