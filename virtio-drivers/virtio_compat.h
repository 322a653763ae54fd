/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio core API difference both of pvkit's front-ends meet between
 * the guest kernels they build for (Debian's 6.1 and 6.12), behind one
 * name: virtio_find_vqs() (and virtio_find_vqs_ctx()) took parallel
 * callbacks[], names[] and ctx[] arrays up to 6.10 and take one struct
 * virtqueue_info[] since 6.11.
 */
#ifndef _PVKIT_VIRTIO_COMPAT_H
#define _PVKIT_VIRTIO_COMPAT_H

#include <linux/slab.h>
#include <linux/version.h>
#include <linux/virtio_config.h>

/*
 * Finds @nvqs virtqueues named @names; queue i calls @callbacks[i], or
 * @callback for every queue when @callbacks is NULL, and keeps a context
 * pointer beside each buffer if @ctx[i] is true (@ctx may be NULL: none
 * does; such a queue uses no indirect descriptors).
 */
static inline int pvkit_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
				 struct virtqueue *vqs[],
				 vq_callback_t *callbacks[],
				 vq_callback_t *callback,
				 const char * const names[], const bool *ctx,
				 struct irq_affinity *desc)
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
		info[i].callback = callbacks ? callbacks[i] : callback;
		info[i].ctx = ctx && ctx[i];
	}
	err = virtio_find_vqs(vdev, nvqs, vqs, info, desc);
	kfree(info);
	return err;
#else
	vq_callback_t **each = callbacks;
	unsigned int i;
	int err;

	if (!each) {
		each = kmalloc_array(nvqs, sizeof(*each), GFP_KERNEL);
		if (!each)
			return -ENOMEM;
		for (i = 0; i < nvqs; i++)
			each[i] = callback;
	}
	err = virtio_find_vqs_ctx(vdev, nvqs, vqs, each, names, ctx, desc);
	if (each != callbacks)
		kfree(each);
	return err;
#endif
}

#endif /* _PVKIT_VIRTIO_COMPAT_H */
