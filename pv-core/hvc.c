// SPDX-License-Identifier: GPL-2.0
/*
 * pvkit's console as a backend of the kernel's hvc framework: /dev/hvc0
 * and a kernel console that "console=hvc0" picks, beside /dev/pvcon0
 * (console.c), for the getty and console settings that hypervisor
 * consoles usually go by.
 *
 * Output takes the same path as pvcon's: one PVKIT_HC_CONSOLE_WRITE per
 * write of up to a page. Input is the host's console input, which goes
 * to /dev/pvcon0 while that is open and here otherwise: console_in.c
 * passes the host's event on (pvkit_hvc_input_ready()), which marks
 * input as waiting and wakes the hvc thread; only then does get_chars
 * read with PVKIT_HC_CONSOLE_READ, so the framework's idle polling costs
 * no exits.
 *
 * The framework's interface, drivers/tty/hvc/hvc_console.h, is not in
 * the distro's header packages: scripts/build-modules.sh takes it from
 * the same series' linux-source (PVKIT_HVC_DIR), and without it pvkit.ko
 * is built without this file. In a kernel tree it is always there.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/spinlock.h>
#include <linux/tty_port.h>
#include <linux/version.h>

#include "hvc_console.h"
#include "pvkit.h"

/* Any number: the framework hands it back to the callbacks. */
#define PVKIT_HVC_VTERM		0x70766b74

static struct hvc_struct *pvkit_hvc;
static char *pvkit_hvc_in_page;
static DEFINE_SPINLOCK(pvkit_hvc_in_lock);
static bool pvkit_hvc_input;	/* the host said it has input */

/* Takes what the host has for us, at most @count bytes, into @buf. */
static int pvkit_hvc_read(char *buf, int count)
{
	int room = min_t(int, count, PAGE_SIZE);
	unsigned long flags;
	long ret = 0;

	if (room <= 0 || !xchg(&pvkit_hvc_input, false))
		return 0;
	spin_lock_irqsave(&pvkit_hvc_in_lock, flags);
	if (pvkit_hvc_in_page) {
		ret = pvkit_console_read(pvkit_hvc_in_page, room);
		if (ret > 0)
			memcpy(buf, pvkit_hvc_in_page, min_t(long, ret, room));
	}
	spin_unlock_irqrestore(&pvkit_hvc_in_lock, flags);
	if (ret <= 0) {
		if (ret < 0)
			pr_warn_ratelimited("reading hvc input failed: %ld\n",
					    ret);
		return 0;
	}
	ret = min_t(long, ret, room);
	/* a full read may have left more: look again on the next poll */
	if (ret == room)
		WRITE_ONCE(pvkit_hvc_input, true);
	return ret;
}

#if KERNEL_VERSION(6, 8, 0) <= LINUX_VERSION_CODE
static ssize_t pvkit_hvc_get_chars(u32 vtermno, u8 *buf, size_t count)
{
	return pvkit_hvc_read((char *)buf, min_t(size_t, count, PAGE_SIZE));
}

static ssize_t pvkit_hvc_put_chars(u32 vtermno, const u8 *buf, size_t count)
{
	return pvkit_console_out((const char *)buf, count);
}
#else
static int pvkit_hvc_get_chars(u32 vtermno, char *buf, int count)
{
	return pvkit_hvc_read(buf, count);
}

static int pvkit_hvc_put_chars(u32 vtermno, const char *buf, int count)
{
	return count > 0 ? pvkit_console_out(buf, count) : 0;
}
#endif

/*
 * hvc0's tty is the hvc driver's, which is built in: nothing of the tty
 * core keeps this module while it is open, so hvc0 does, from its first
 * open to its last close or hangup (the framework calls exactly one).
 */
static int pvkit_hvc_opened(struct hvc_struct *hp, int irq)
{
	return try_module_get(THIS_MODULE) ? 0 : -ENODEV;
}

static void pvkit_hvc_closed(struct hvc_struct *hp, int irq)
{
	module_put(THIS_MODULE);
}

static const struct hv_ops pvkit_hvc_ops = {
	.get_chars = pvkit_hvc_get_chars,
	.put_chars = pvkit_hvc_put_chars,
	.notifier_add = pvkit_hvc_opened,
	.notifier_del = pvkit_hvc_closed,
	.notifier_hangup = pvkit_hvc_closed,
};

/* From console_in.c: the host has input and /dev/pvcon0 is not open. */
void pvkit_hvc_input_ready(void)
{
	if (!READ_ONCE(pvkit_hvc))
		return;
	WRITE_ONCE(pvkit_hvc_input, true);
	hvc_kick();
}

void pvkit_hvc_init(void)
{
	struct hvc_struct *hp;

	pvkit_hvc_in_page = (char *)get_zeroed_page(GFP_KERNEL);
	if (!pvkit_hvc_in_page) {
		pr_warn("no memory for hvc0: the console is pvcon0 only\n");
		return;
	}
	/* no interrupt: the framework polls, and input_ready() kicks it */
	hp = hvc_alloc(PVKIT_HVC_VTERM, 0, &pvkit_hvc_ops, PAGE_SIZE);
	if (IS_ERR(hp)) {
		pr_warn("cannot register with hvc: %ld; the console is pvcon0 only\n",
			PTR_ERR(hp));
		free_page((unsigned long)pvkit_hvc_in_page);
		pvkit_hvc_in_page = NULL;
		return;
	}
	WRITE_ONCE(pvkit_hvc, hp);
	/* whatever the host held before we could take it */
	pvkit_hvc_input_ready();
}

void pvkit_hvc_exit(void)
{
	struct hvc_struct *hp = pvkit_hvc;
	unsigned long flags;

	if (!hp)
		return;
	WRITE_ONCE(pvkit_hvc, NULL);
	tty_port_get(&hp->port);
	hvc_remove(hp);
	/*
	 * The framework keeps a removed hvc_struct, and hands it to a new
	 * open of its index (which calls its hv_ops, this module's), until
	 * the tty core lets go of it, in a work item after the last close,
	 * and its thread pushes what is left in its buffer meanwhile. With
	 * neither an index nor buffered output, nothing reaches this
	 * module's code once it is gone.
	 */
	spin_lock_irqsave(&hp->lock, flags);
	hp->index = -1;
	hp->n_outbuf = 0;
	spin_unlock_irqrestore(&hp->lock, flags);
	tty_port_put(&hp->port);
	spin_lock_irq(&pvkit_hvc_in_lock);
	free_page((unsigned long)pvkit_hvc_in_page);
	pvkit_hvc_in_page = NULL;
	spin_unlock_irq(&pvkit_hvc_in_lock);
}
