// SPDX-License-Identifier: GPL-2.0
/*
 * Crash notification for hosts that offer PVKIT_F_CRASH: the host learns
 * that the guest died, why, and what the kernel said about it, not just
 * that it went quiet.
 *
 * A panic notifier keeps the panic message. A kmsg dumper, which panic()
 * runs after the notifiers, sends the newest PVKIT_CRASH_LOG_MAX bytes of
 * the kernel log through PVKIT_HC_CONSOLE_WRITE and then the message with
 * PVKIT_HC_CRASH, which does not return. The log goes first because
 * panic() flushes the consoles only after the dumpers: an oops taken in
 * an interrupt that came while another context held the console lock (a
 * printk to a slow UART, say) is still in the log buffer at that point,
 * and would die with the guest. So the host's console has it twice when
 * the consoles did print it, and once when they did not.
 *
 * Both buffers are allocated at load time: a panicking kernel must not
 * allocate, and hypercalls take guest physical addresses.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/kmsg_dump.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/notifier.h>
#include <linux/panic_notifier.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/version.h>

#include "pvkit.h"

#define PVKIT_CRASH_MSG_MAX	1024	/* what pvkit-hv keeps of it */
#define PVKIT_CRASH_LOG_MAX	(32 * 1024)

static char *pvkit_crash_msg;
static size_t pvkit_crash_len;
static char *pvkit_crash_log;

static int pvkit_panic(struct notifier_block *nb, unsigned long action,
		       void *data)
{
	ssize_t len = strscpy(pvkit_crash_msg, data ? data : "panic",
			      PVKIT_CRASH_MSG_MAX);

	pvkit_crash_len = len < 0 ? PVKIT_CRASH_MSG_MAX - 1 : len;
	return NOTIFY_DONE;
}

static struct notifier_block pvkit_panic_nb = {
	.notifier_call = pvkit_panic,
};

/* Console text straight to the host: no lock a panicking CPU may hold. */
static void pvkit_crash_console(char *text, size_t len)
{
	size_t chunk;

	while (len) {
		/* a page per call, as console.c writes */
		chunk = min_t(size_t, len, PAGE_SIZE - offset_in_page(text));
		if (pvkit_hypercall(PVKIT_HC_CONSOLE_WRITE, virt_to_phys(text),
				    chunk, 0, 0) <= 0)
			return;
		text += chunk;
		len -= chunk;
	}
}

static void pvkit_crash_send_log(void)
{
	static const char head[] = "pvkit: the kernel log at panic:\n";
	static const char tail[] = "pvkit: end of the kernel log at panic\n";
	const size_t room = PVKIT_CRASH_LOG_MAX - sizeof(head) - sizeof(tail);
	struct kmsg_dump_iter iter;
	size_t len = 0;

	if (!(pvkit_host.features & PVKIT_F_CONSOLE))
		return;
	kmsg_dump_rewind(&iter);
	/* the newest records that fit, between a head and a tail line */
	if (!kmsg_dump_get_buffer(&iter, false, pvkit_crash_log + sizeof(head) - 1,
				  room, &len) || !len)
		return;
	/* the strings are in the module's image, which is not linear memory */
	memcpy(pvkit_crash_log, head, sizeof(head) - 1);
	len += sizeof(head) - 1;
	memcpy(pvkit_crash_log + len, tail, sizeof(tail) - 1);
	len += sizeof(tail) - 1;
	pvkit_crash_console(pvkit_crash_log, len);
}

static void pvkit_crash_report(enum kmsg_dump_reason reason)
{
	if (reason != KMSG_DUMP_PANIC)
		return;
	pvkit_crash_send_log();
	if (!pvkit_crash_len)
		pvkit_crash_len = strscpy(pvkit_crash_msg, "panic",
					  PVKIT_CRASH_MSG_MAX);
	/* does not return when the host takes it */
	pvkit_hypercall(PVKIT_HC_CRASH, virt_to_phys(pvkit_crash_msg),
			pvkit_crash_len, 0, 0);
}

#if KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE
static void pvkit_crash_dump(struct kmsg_dumper *dumper,
			     struct kmsg_dump_detail *detail)
{
	pvkit_crash_report(detail->reason);
}
#else
static void pvkit_crash_dump(struct kmsg_dumper *dumper,
			     enum kmsg_dump_reason reason)
{
	pvkit_crash_report(reason);
}
#endif

static struct kmsg_dumper pvkit_crash_dumper = {
	.dump = pvkit_crash_dump,
	.max_reason = KMSG_DUMP_PANIC,
};

int pvkit_crash_init(void)
{
	int ret;

	if (!(pvkit_host.features & PVKIT_F_CRASH))
		return 0;
	pvkit_crash_msg = kzalloc(PVKIT_CRASH_MSG_MAX, GFP_KERNEL);
	pvkit_crash_log = kmalloc(PVKIT_CRASH_LOG_MAX, GFP_KERNEL);
	if (!pvkit_crash_msg || !pvkit_crash_log) {
		ret = -ENOMEM;
		goto free;
	}
	ret = kmsg_dump_register(&pvkit_crash_dumper);
	if (ret) {
		pr_err("cannot register the panic log dumper: %d\n", ret);
		goto free;
	}
	atomic_notifier_chain_register(&panic_notifier_list, &pvkit_panic_nb);
	return 0;
free:
	kfree(pvkit_crash_log);
	kfree(pvkit_crash_msg);
	pvkit_crash_log = NULL;
	pvkit_crash_msg = NULL;
	return ret;
}

void pvkit_crash_exit(void)
{
	if (!pvkit_crash_msg)
		return;
	atomic_notifier_chain_unregister(&panic_notifier_list, &pvkit_panic_nb);
	kmsg_dump_unregister(&pvkit_crash_dumper);
	kfree(pvkit_crash_log);
	kfree(pvkit_crash_msg);
	pvkit_crash_log = NULL;
	pvkit_crash_msg = NULL;
}
