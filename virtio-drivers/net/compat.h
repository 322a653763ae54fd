/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The differences between the guest kernels pvkit_net.ko builds for
 * (Debian's 6.1 and 6.12), behind one name each: the rest of the driver
 * calls these and never tests LINUX_VERSION_CODE itself.
 */
#ifndef _PVKIT_NET_COMPAT_H
#define _PVKIT_NET_COMPAT_H

#include <linux/version.h>
#include <linux/virtio_config.h>

/*
 * virtio_find_vqs() took parallel callbacks[] and names[] arrays up to
 * 6.10 and takes one struct virtqueue_info[] since. Callers fill
 * @callbacks and @names; @ctx is unused (NULL) on both.
 */
static inline int pvnet_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
				 struct virtqueue *vqs[],
				 vq_callback_t *callbacks[],
				 const char * const names[])
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	struct virtqueue_info *info;
	unsigned int i;
	int err;

	info = kcalloc(nvqs, sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	for (i = 0; i < nvqs; i++) {
		info[i].name = names[i];
		info[i].callback = callbacks[i];
	}
	err = virtio_find_vqs(vdev, nvqs, vqs, info, NULL);
	kfree(info);
	return err;
#else
	return virtio_find_vqs(vdev, nvqs, vqs, callbacks, names, NULL);
#endif
}

#endif /* _PVKIT_NET_COMPAT_H */
