/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What pvkit.ko exports to pvkit's other modules (pvkit_mmu.ko): the
 * features the host offers, the hypercall entry point, handlers for
 * host-to-guest events, and the sysfs directory to add to. A module
 * using these depends on pvkit.ko, so modprobe loads pvkit.ko first and
 * rmmod unloads it last.
 */
#ifndef _PVKIT_EXPORT_H
#define _PVKIT_EXPORT_H

#include <linux/list.h>
#include <linux/types.h>

#include "pvkit_abi.h"

/* PVKIT_F_* the host offers; 0 on a host without the pvkit ABI. */
u64 pvkit_host_features(void);

/* A pvkit ABI call: the result is >= 0 or a negative PVKIT_E* code. */
long pvkit_hypercall(unsigned int nr, unsigned long a0, unsigned long a1,
		     unsigned long a2, unsigned long a3);

/*
 * A handler for host events: @handle runs in process context (the
 * events interrupt thread) with the events of @events that arrived.
 * It must not add or remove handlers.
 */
struct pvkit_event_handler {
	u32 events;			/* PVKIT_EV_* */
	void (*handle)(u32 events);
	struct list_head node;		/* pvkit.ko's */
};

/*
 * Enables @h->events at the host; -EOPNOTSUPP if the host does not offer
 * all of them, -EBUSY if another handler has one, -EIO if the host
 * refused. Once it returns, @handle may run at any time until
 * pvkit_event_handler_remove() returns.
 */
int pvkit_event_handler_add(struct pvkit_event_handler *h);
void pvkit_event_handler_remove(struct pvkit_event_handler *h);

struct kobject;

/* /sys/kernel/pvkit, where a module adds its own directory. */
struct kobject *pvkit_sysfs_dir(void);

#endif /* _PVKIT_EXPORT_H */
