// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/pvkit: a root-only misc device for guest userspace.
 *
 * PVKIT_IOC_GET_INFO reports what pvkit.ko detected; PVKIT_IOC_PING runs
 * N hypercall round trips and reports their total, fastest and slowest
 * times. write() sends text to the host's console log with one
 * CONSOLE_WRITE hypercall per chunk, where the host offers it. The file
 * holds a module reference while open (fops.owner), so the module cannot
 * be unloaded under an open descriptor.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/io.h>

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
	if (!ping.count || ping.count > PVKIT_PING_MAX ||
	    ping.flags & ~PVKIT_PING_KVM)
		return -EINVAL;

	start = ktime_get_ns();
	t0 = start;
	for (i = 0; i < ping.count; i++) {
		ret = pvkit_ping_once(ping.flags & PVKIT_PING_KVM);
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

/* One chunk per hypercall; the ABI's hosts take at least this much. */
#define PVKIT_CONSOLE_CHUNK	1024

static ssize_t pvkit_dev_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	size_t len = min_t(size_t, count, PVKIT_CONSOLE_CHUNK);
	char *buf;
	long ret;

	if (!(pvkit_host.features & PVKIT_F_CONSOLE))
		return -EOPNOTSUPP;
	if (!count)
		return 0;

	buf = kmalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (copy_from_user(buf, ubuf, len)) {
		kfree(buf);
		return -EFAULT;
	}
	ret = pvkit_hypercall(PVKIT_HC_CONSOLE_WRITE, virt_to_phys(buf), len,
			      0, 0);
	kfree(buf);
	if (ret < 0)
		return -EIO;
	return ret;
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
	.write = pvkit_dev_write,
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
