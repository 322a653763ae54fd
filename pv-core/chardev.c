// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/pvkit: a root-only misc device for guest userspace.
 *
 * PVKIT_IOC_GET_INFO reports what pvkit.ko detected; PVKIT_IOC_PING runs
 * N hypercall round trips and reports their total, fastest and slowest
 * times. The file holds a module reference while open (fops.owner), so
 * the module cannot be unloaded under an open descriptor.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include "pvkit.h"

static int pvkit_dev_open(struct inode *inode, struct file *file)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return 0;
}

static long pvkit_ioc_get_info(void __user *arg)
{
	struct pvkit_info info = {
		.hypervisor = pvkit_host.hypervisor,
		.transport = pvkit_host.transport,
		.abi_version = pvkit_host.abi_version,
		.kvm_cpuid_base = pvkit_host.kvm_base,
		.features = pvkit_host.features,
		.kvm_features = pvkit_host.kvm_features,
		.hypercalls = atomic64_read(&pvkit_stats.hypercalls),
	};

	return copy_to_user(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

static long pvkit_ioc_ping(void __user *arg)
{
	struct pvkit_ping ping;
	u64 start, t0, t1, min_ns = U64_MAX, max_ns = 0;
	u32 i;
	long ret;

	if (copy_from_user(&ping, arg, sizeof(ping)))
		return -EFAULT;
	if (!ping.count || ping.count > PVKIT_PING_MAX || ping.reserved)
		return -EINVAL;

	start = ktime_get_ns();
	t0 = start;
	for (i = 0; i < ping.count; i++) {
		ret = pvkit_ping_once();
		if (ret)
			return ret;
		t1 = ktime_get_ns();
		min_ns = min(min_ns, t1 - t0);
		max_ns = max(max_ns, t1 - t0);
		t0 = t1;
		if ((i & 1023) == 1023) {
			if (fatal_signal_pending(current))
				return -EINTR;
			cond_resched();
			t0 = ktime_get_ns();
			start += t0 - t1;
		}
	}
	ping.total_ns = t0 - start;
	ping.min_ns = min_ns;
	ping.max_ns = max_ns;

	return copy_to_user(arg, &ping, sizeof(ping)) ? -EFAULT : 0;
}

static long pvkit_dev_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case PVKIT_IOC_GET_INFO:
		return pvkit_ioc_get_info(uarg);
	case PVKIT_IOC_PING:
		return pvkit_ioc_ping(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations pvkit_dev_fops = {
	.owner = THIS_MODULE,
	.open = pvkit_dev_open,
	.unlocked_ioctl = pvkit_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice pvkit_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = PVKIT_DEVICE_NAME,
	.fops = &pvkit_dev_fops,
	.mode = 0600,
};

int pvkit_chardev_init(void)
{
	return misc_register(&pvkit_miscdev);
}

void pvkit_chardev_exit(void)
{
	misc_deregister(&pvkit_miscdev);
}
