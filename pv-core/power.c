// SPDX-License-Identifier: GPL-2.0
/*
 * Power off and restart through pvkit hypercalls, for hosts that offer
 * PVKIT_F_POWER. pvkit's hypervisor has no ACPI or keyboard controller to
 * poke, so these handlers are how a guest's poweroff or reboot reaches
 * it. If the call returns (the host refused), the kernel goes on to the
 * next handler.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/notifier.h>
#include <linux/reboot.h>

#include "pvkit.h"

static struct sys_off_handler *pvkit_power_off_handler;
static struct sys_off_handler *pvkit_restart_handler;

static int pvkit_sys_off(struct sys_off_data *data)
{
	unsigned int nr = data->mode == SYS_OFF_MODE_RESTART ?
			  PVKIT_HC_REBOOT : PVKIT_HC_POWER_OFF;
	long ret = pvkit_hypercall(nr, 0, 0, 0, 0);

	pr_emerg("hypervisor refused %s: %ld\n",
		 nr == PVKIT_HC_REBOOT ? "reboot" : "power off", ret);
	return NOTIFY_DONE;
}

int pvkit_power_init(void)
{
	if (!(pvkit_host.features & PVKIT_F_POWER))
		return 0;

	pvkit_power_off_handler =
		register_sys_off_handler(SYS_OFF_MODE_POWER_OFF,
					 SYS_OFF_PRIO_FIRMWARE, pvkit_sys_off,
					 NULL);
	if (IS_ERR(pvkit_power_off_handler))
		return PTR_ERR(pvkit_power_off_handler);

	pvkit_restart_handler =
		register_sys_off_handler(SYS_OFF_MODE_RESTART,
					 SYS_OFF_PRIO_FIRMWARE, pvkit_sys_off,
					 NULL);
	if (IS_ERR(pvkit_restart_handler)) {
		unregister_sys_off_handler(pvkit_power_off_handler);
		pvkit_power_off_handler = NULL;
		return PTR_ERR(pvkit_restart_handler);
	}
	return 0;
}

void pvkit_power_exit(void)
{
	if (!pvkit_power_off_handler)
		return;
	unregister_sys_off_handler(pvkit_restart_handler);
	unregister_sys_off_handler(pvkit_power_off_handler);
	pvkit_restart_handler = NULL;
	pvkit_power_off_handler = NULL;
}
