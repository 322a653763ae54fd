// SPDX-License-Identifier: GPL-2.0
/*
 * pvkit.ko: the core of the pvkit paravirtual guest kit.
 *
 * Module entry and exit: detect the hypervisor (refusing to load with
 * -ENODEV when there is none), then publish /sys/kernel/pvkit and
 * /dev/pvkit and, where the host offers them, power off and restart
 * through hypercalls and the host's events (its shutdown and reboot
 * requests), a panic report to the host, the host's entropy as a
 * hwrng, a console over hypercalls (/dev/pvcon0), the host's clock as a
 * PTP clock and a periodic report of the guest's state (its heartbeat).
 * Services built on the hypercall layer hang off this core.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/printk.h>

#include "pvkit.h"

static int __init pvkit_init(void)
{
	int ret;

	ret = pvkit_detect();
	if (ret)
		return ret;

	ret = pvkit_sysfs_init();
	if (ret)
		return ret;

	ret = pvkit_chardev_init();
	if (ret)
		goto err_sysfs;

	ret = pvkit_power_init();
	if (ret)
		goto err_chardev;
	pvkit_events_init();

	ret = pvkit_crash_init();
	if (ret)
		goto err_power;

	ret = pvkit_rng_init();
	if (ret)
		goto err_crash;

	ret = pvkit_console_init();
	if (ret)
		goto err_rng;

	ret = pvkit_clock_init();
	if (ret)
		goto err_console;

	ret = pvkit_guest_info_init();
	if (ret)
		goto err_clock;

	if (pvkit_host.abi_version)
		pr_info("running on %s, transport %s, ABI %u.%u\n",
			pvkit_hypervisor_name(pvkit_host.hypervisor),
			pvkit_transport_name(pvkit_host.transport),
			PVKIT_ABI_MAJOR(pvkit_host.abi_version),
			PVKIT_ABI_MINOR(pvkit_host.abi_version));
	else
		pr_info("running on %s, transport %s\n",
			pvkit_hypervisor_name(pvkit_host.hypervisor),
			pvkit_transport_name(pvkit_host.transport));
	return 0;

err_clock:
	pvkit_clock_exit();
err_console:
	pvkit_console_exit();
err_rng:
	pvkit_rng_exit();
err_crash:
	pvkit_crash_exit();
err_power:
	pvkit_events_exit();
	pvkit_power_exit();
err_chardev:
	pvkit_chardev_exit();
err_sysfs:
	pvkit_sysfs_exit();
	return ret;
}

static void __exit pvkit_exit(void)
{
	pvkit_guest_info_exit();
	pvkit_clock_exit();
	pvkit_console_exit();
	pvkit_rng_exit();
	pvkit_crash_exit();
	pvkit_events_exit();
	pvkit_power_exit();
	pvkit_chardev_exit();
	pvkit_sysfs_exit();
}

module_init(pvkit_init);
module_exit(pvkit_exit);

MODULE_DESCRIPTION("pvkit paravirtual guest core: detection and hypercalls");
MODULE_AUTHOR("The pvkit developers");
MODULE_LICENSE("GPL");
