// SPDX-License-Identifier: GPL-2.0
/*
 * Guest info and heartbeat for hosts that offer PVKIT_F_GUEST_INFO: every
 * PVKIT_GUEST_INFO_PERIOD_S seconds, from load on, pvkit.ko tells the
 * host what the guest is (kernel release, hostname), how it is doing
 * (uptime, memory in use, load averages) and where it can be reached
 * (its IPv4 addresses, loopback left out), with one PVKIT_HC_GUEST_INFO
 * hypercall. The reports are the heartbeat: a host that stops getting
 * them knows the guest's kernel stopped.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/inetdevice.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/netdevice.h>
#include <linux/sched/loadavg.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/utsname.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include "pvkit.h"

static struct pvkit_guest_info *pvkit_info;
static struct delayed_work pvkit_info_work;

static void pvkit_info_addrs(struct pvkit_guest_info *info)
{
	const struct in_ifaddr *ifa;
	struct in_device *in_dev;
	struct net_device *dev;

	rcu_read_lock();
	for_each_netdev_rcu(&init_net, dev) {
		if (dev->flags & IFF_LOOPBACK)
			continue;
		in_dev = __in_dev_get_rcu(dev);
		if (!in_dev)
			continue;
		in_dev_for_each_ifa_rcu(ifa, in_dev) {
			if (info->addr_count == PVKIT_GUEST_INFO_ADDRS)
				goto out;
			memcpy(info->ipv4[info->addr_count++], &ifa->ifa_local,
			       4);
		}
	}
out:
	rcu_read_unlock();
}

static void pvkit_info_send(struct work_struct *work)
{
	struct pvkit_guest_info *info = pvkit_info;
	unsigned long avail = si_mem_available();
	unsigned long total = totalram_pages();
	unsigned int i;

	memset(info, 0, sizeof(*info));
	info->uptime_s = ktime_get_boottime_seconds();
	info->mem_used = (u64)(total > avail ? total - avail : 0) << PAGE_SHIFT;
	for (i = 0; i < 3; i++)
		info->load_avg_milli[i] = (avenrun[i] * 1000 + FIXED_1 / 2) >>
					  FSHIFT;
	strscpy(info->kernel_release, init_utsname()->release,
		sizeof(info->kernel_release));
	strscpy(info->hostname, init_utsname()->nodename,
		sizeof(info->hostname));
	pvkit_info_addrs(info);
	if (pvkit_hypercall(PVKIT_HC_GUEST_INFO, virt_to_phys(info), 0, 0, 0))
		pr_warn_once("the host refused the guest info report\n");
	else
		atomic64_inc(&pvkit_stats.info_reports);
	schedule_delayed_work(&pvkit_info_work,
			      PVKIT_GUEST_INFO_PERIOD_S * HZ);
}

int pvkit_guest_info_init(void)
{
	if (!(pvkit_host.features & PVKIT_F_GUEST_INFO))
		return 0;
	pvkit_info = kzalloc(sizeof(*pvkit_info), GFP_KERNEL);
	if (!pvkit_info)
		return -ENOMEM;
	INIT_DELAYED_WORK(&pvkit_info_work, pvkit_info_send);
	schedule_delayed_work(&pvkit_info_work, 0);
	return 0;
}

void pvkit_guest_info_exit(void)
{
	if (!pvkit_info)
		return;
	cancel_delayed_work_sync(&pvkit_info_work);
	kfree(pvkit_info);
	pvkit_info = NULL;
}
