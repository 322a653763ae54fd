// SPDX-License-Identifier: GPL-2.0
/*
 * The pvkit console for hosts that offer PVKIT_F_CONSOLE: a tty,
 * /dev/pvcon0, and a kernel console named "pvcon" (console=pvcon0), whose
 * output leaves the guest one PVKIT_HC_CONSOLE_WRITE hypercall per write
 * of up to a page, where a 16550 UART costs a VM exit per character.
 *
 * It is a small tty driver of its own, on public interfaces only, so
 * that it is there whatever the build had; hvc.c adds /dev/hvc0 and
 * console=hvc0 on top where the hvc framework's private header was at
 * hand. Input, where the host posts it as an event, comes in through
 * console_in.c.
 *
 * Text goes through one page owned by this file, under a spinlock with
 * interrupts off: console writes come from any context (printk), and the
 * hypercall takes a guest physical address, which a caller's buffer on a
 * vmalloc'ed stack does not have.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/console.h>
#include <linux/io.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/tty.h>
#include <linux/tty_driver.h>
#include <linux/tty_flip.h>
#include <linux/version.h>

#include "pvkit.h"

#define PVKIT_CON_NAME	"pvcon"

static char *pvkit_con_page;
static DEFINE_SPINLOCK(pvkit_con_lock);
static struct tty_driver *pvkit_con_driver;
static struct tty_port pvkit_con_port;

/* Hands @len bytes to the host, a page per call; returns what it took. */
size_t pvkit_console_out(const char *buf, size_t len)
{
	size_t done = 0, chunk;
	unsigned long flags;
	long ret;

	while (done < len) {
		chunk = min_t(size_t, len - done, PAGE_SIZE);
		spin_lock_irqsave(&pvkit_con_lock, flags);
		memcpy(pvkit_con_page, buf + done, chunk);
		ret = pvkit_hypercall(PVKIT_HC_CONSOLE_WRITE,
				      virt_to_phys(pvkit_con_page), chunk, 0, 0);
		spin_unlock_irqrestore(&pvkit_con_lock, flags);
		if (ret <= 0)
			break;
		atomic64_inc(&pvkit_stats.console_writes);
		done += min_t(size_t, ret, chunk);
	}
	return done;
}

static void pvkit_con_write(struct console *co, const char *s,
			    unsigned int count)
{
	pvkit_console_out(s, count);
}

static struct tty_driver *pvkit_con_device(struct console *co, int *index)
{
	*index = 0;
	return pvkit_con_driver;
}

static struct console pvkit_console = {
	.name = PVKIT_CON_NAME,
	.write = pvkit_con_write,
	.device = pvkit_con_device,
	.flags = CON_PRINTBUFFER,
	.index = -1,
};

static int pvkit_tty_install(struct tty_driver *driver, struct tty_struct *tty)
{
	return tty_port_install(&pvkit_con_port, driver, tty);
}

static int pvkit_tty_open(struct tty_struct *tty, struct file *filp)
{
	return tty_port_open(&pvkit_con_port, tty, filp);
}

static void pvkit_tty_close(struct tty_struct *tty, struct file *filp)
{
	tty_port_close(&pvkit_con_port, tty, filp);
}

static void pvkit_tty_hangup(struct tty_struct *tty)
{
	tty_port_hangup(&pvkit_con_port);
}

#if KERNEL_VERSION(6, 6, 0) <= LINUX_VERSION_CODE
static ssize_t pvkit_tty_write(struct tty_struct *tty, const u8 *buf,
			       size_t count)
#else
static int pvkit_tty_write(struct tty_struct *tty, const u8 *buf, int count)
#endif
{
	return pvkit_console_out(buf, count);
}

static unsigned int pvkit_tty_write_room(struct tty_struct *tty)
{
	return PAGE_SIZE;
}

static const struct tty_operations pvkit_tty_ops = {
	.install = pvkit_tty_install,
	.open = pvkit_tty_open,
	.close = pvkit_tty_close,
	.hangup = pvkit_tty_hangup,
	.write = pvkit_tty_write,
	.write_room = pvkit_tty_write_room,
};

/* First open: input the host held for the tty can come in now. */
static int pvkit_port_activate(struct tty_port *port, struct tty_struct *tty)
{
	pvkit_console_in_kick();
	return 0;
}

static const struct tty_port_operations pvkit_port_ops = {
	.activate = pvkit_port_activate,
};

int pvkit_console_init(void)
{
	struct tty_driver *drv;
	struct device *dev;
	int ret;

	if (!(pvkit_host.features & PVKIT_F_CONSOLE))
		return 0;
	pvkit_con_page = (char *)get_zeroed_page(GFP_KERNEL);
	if (!pvkit_con_page)
		return -ENOMEM;

	drv = tty_alloc_driver(1, TTY_DRIVER_REAL_RAW |
			       TTY_DRIVER_DYNAMIC_DEV);
	if (IS_ERR(drv)) {
		ret = PTR_ERR(drv);
		goto err_page;
	}
	drv->driver_name = "pvkit_console";
	drv->name = PVKIT_CON_NAME;
	drv->type = TTY_DRIVER_TYPE_SYSTEM;
	drv->subtype = SYSTEM_TYPE_CONSOLE;
	drv->init_termios = tty_std_termios;
	tty_set_operations(drv, &pvkit_tty_ops);
	tty_port_init(&pvkit_con_port);
	pvkit_con_port.ops = &pvkit_port_ops;
	ret = tty_register_driver(drv);
	if (ret)
		goto err_driver;
	dev = tty_port_register_device(&pvkit_con_port, drv, 0, NULL);
	if (IS_ERR(dev)) {
		ret = PTR_ERR(dev);
		goto err_register;
	}
	pvkit_con_driver = drv;
	pvkit_console_in_init(&pvkit_con_port);
	/* enabled when the command line names it: console=pvcon0 */
	register_console(&pvkit_console);
	pvkit_hvc_init();
	return 0;

err_register:
	tty_unregister_driver(drv);
err_driver:
	tty_port_destroy(&pvkit_con_port);
	tty_driver_kref_put(drv);
err_page:
	free_page((unsigned long)pvkit_con_page);
	pvkit_con_page = NULL;
	pr_err("cannot set up the pvkit console: %d\n", ret);
	return ret;
}

void pvkit_console_exit(void)
{
	if (!pvkit_con_driver)
		return;
	pvkit_hvc_exit();
	unregister_console(&pvkit_console);
	pvkit_console_in_exit();
	tty_unregister_device(pvkit_con_driver, 0);
	tty_unregister_driver(pvkit_con_driver);
	tty_port_destroy(&pvkit_con_port);
	tty_driver_kref_put(pvkit_con_driver);
	pvkit_con_driver = NULL;
	free_page((unsigned long)pvkit_con_page);
	pvkit_con_page = NULL;
}
