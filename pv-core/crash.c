// SPDX-License-Identifier: GPL-2.0
/*
 * Crash notification for hosts that offer PVKIT_F_CRASH: a panic notifier
 * hands the panic message to the hypervisor with PVKIT_HC_CRASH, so the
 * host learns that the guest died and why, not just that it went quiet.
 * The message goes through a buffer allocated at load time: a panicking
 * kernel must not allocate, and the hypercall needs a physical address.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/notifier.h>
#include <linux/panic_notifier.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "pvkit.h"

#define PVKIT_CRASH_MSG_MAX	1024	/* what pvkit-hv keeps of it */

static char *pvkit_crash_msg;

static int pvkit_panic(struct notifier_block *nb, unsigned long action,
		       void *data)
{
	size_t len = strscpy(pvkit_crash_msg, data ? data : "panic",
			     PVKIT_CRASH_MSG_MAX);

	if ((ssize_t)len < 0)
		len = PVKIT_CRASH_MSG_MAX - 1;
	/* does not return when the host takes it */
	pvkit_hypercall(PVKIT_HC_CRASH, virt_to_phys(pvkit_crash_msg), len,
			0, 0);
	return NOTIFY_DONE;
}

static struct notifier_block pvkit_panic_nb = {
	.notifier_call = pvkit_panic,
	/* after kmsg dumpers and the like have had their say */
	.priority = INT_MIN,
};

int pvkit_crash_init(void)
{
	if (!(pvkit_host.features & PVKIT_F_CRASH))
		return 0;
	pvkit_crash_msg = kzalloc(PVKIT_CRASH_MSG_MAX, GFP_KERNEL);
	if (!pvkit_crash_msg)
		return -ENOMEM;
	atomic_notifier_chain_register(&panic_notifier_list, &pvkit_panic_nb);
	return 0;
}

void pvkit_crash_exit(void)
{
	if (!pvkit_crash_msg)
		return;
	atomic_notifier_chain_unregister(&panic_notifier_list, &pvkit_panic_nb);
	kfree(pvkit_crash_msg);
	pvkit_crash_msg = NULL;
}
