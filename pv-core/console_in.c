// SPDX-License-Identifier: GPL-2.0
/*
 * Input for the pvkit console (/dev/pvcon0), for hosts that post
 * PVKIT_EV_CONSOLE_IN: when the host has input for the guest it raises
 * the event, and a work item drains it with PVKIT_HC_CONSOLE_READ, a page
 * at a time, into the tty's flip buffer until the host has nothing left.
 * An idle console costs no exits at all.
 *
 * While nothing has /dev/pvcon0 open, the input is hvc0's (hvc.c reads
 * it when its tty is open) and otherwise stays at the host (whose buffer
 * is bounded, so it refuses more). While the tty's own buffer is full,
 * the work looks again every PVKIT_CON_IN_RETRY, so a reader that falls
 * behind slows the host down instead of losing bytes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/minmax.h>
#include <linux/tty.h>
#include <linux/tty_flip.h>
#include <linux/workqueue.h>

#include "pvkit.h"

#define PVKIT_CON_IN_RETRY	msecs_to_jiffies(50)

static struct tty_port *pvkit_con_in_port;
static bool pvkit_con_in_on;
static char *pvkit_con_in_page;	/* only the work item touches it */
static struct delayed_work pvkit_con_in_work;

/*
 * One CONSOLE_READ into @page (a kernel page), at most @room bytes, for
 * pvcon0 and hvc0 alike, counted; the host's answer: bytes, or an error.
 */
long pvkit_console_read(char *page, unsigned int room)
{
	long ret;

	ret = pvkit_hypercall(PVKIT_HC_CONSOLE_READ, virt_to_phys(page),
			      min_t(unsigned int, room, PAGE_SIZE), 0, 0);
	atomic64_inc(&pvkit_stats.console_reads);
	if (ret > 0)
		atomic64_add(ret, &pvkit_stats.console_read_bytes);
	return ret;
}

static void pvkit_con_in_drain(struct work_struct *work)
{
	struct tty_port *port = pvkit_con_in_port;
	unsigned int room, taken;
	long ret;

	/*
	 * hvc0's, or kept at the host, until someone opens the tty. No
	 * reference to the tty is taken: it would hold a closing tty, and so
	 * the module, a moment longer. The flip buffer is the port's, open
	 * or not.
	 */
	if (!tty_port_users(port)) {
		pvkit_hvc_input_ready();
		return;
	}
	for (;;) {
		room = tty_buffer_space_avail(port);
		if (!room) {
			schedule_delayed_work(&pvkit_con_in_work,
					      PVKIT_CON_IN_RETRY);
			break;
		}
		ret = pvkit_console_read(pvkit_con_in_page, room);
		if (ret <= 0) {
			if (ret < 0)
				pr_warn_ratelimited("reading console input failed: %ld\n",
						    ret);
			break;
		}
		taken = tty_insert_flip_string(port, pvkit_con_in_page, ret);
		if (taken < ret)
			pr_warn_ratelimited("console input: the tty dropped %ld bytes\n",
					    ret - taken);
		tty_flip_buffer_push(port);
	}
}

/* Drain now: the host has input, or the tty was just opened. */
void pvkit_console_in_kick(void)
{
	if (READ_ONCE(pvkit_con_in_on))
		mod_delayed_work(system_wq, &pvkit_con_in_work, 0);
}

static void pvkit_con_in_event(u32 events)
{
	pvkit_console_in_kick();
}

static struct pvkit_event_handler pvkit_con_in_events = {
	.events = PVKIT_EV_CONSOLE_IN,
	.handle = pvkit_con_in_event,
};

/* Input for @port, where the host posts the event; else output only. */
void pvkit_console_in_init(struct tty_port *port)
{
	int ret;

	pvkit_con_in_page = (char *)get_zeroed_page(GFP_KERNEL);
	if (!pvkit_con_in_page) {
		pr_warn("no memory for console input: the console is output only\n");
		return;
	}
	INIT_DELAYED_WORK(&pvkit_con_in_work, pvkit_con_in_drain);
	pvkit_con_in_port = port;
	ret = pvkit_event_handler_add(&pvkit_con_in_events);
	if (ret) {
		if (ret != -EOPNOTSUPP)
			pr_warn("cannot take console input events: %d\n", ret);
		free_page((unsigned long)pvkit_con_in_page);
		pvkit_con_in_page = NULL;
		return;
	}
	WRITE_ONCE(pvkit_con_in_on, true);
	/* what the host held before the event was on */
	pvkit_console_in_kick();
}

void pvkit_console_in_exit(void)
{
	if (!pvkit_con_in_on)
		return;
	pvkit_event_handler_remove(&pvkit_con_in_events);
	WRITE_ONCE(pvkit_con_in_on, false);
	cancel_delayed_work_sync(&pvkit_con_in_work);
	free_page((unsigned long)pvkit_con_in_page);
	pvkit_con_in_page = NULL;
}
