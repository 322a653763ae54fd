// SPDX-License-Identifier: GPL-2.0
/*
 * The disk's own sysfs attribute, /sys/block/pvblkN/serial: the device's
 * ID string (VIRTIO_BLK_T_GET_ID, up to 20 bytes), asked of the device
 * at each read, as the distro driver's vdX/serial is. Tools and pvkit's
 * tests find disks by it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/delay.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "pvkit_blk.h"

/* how many times, 10 to 20 ms apart, a busy queue is asked for a request */
#define PVBLK_ID_TRIES	500

/*
 * A request for the device, or an error. A killed disk's queue stays
 * frozen and (on 6.1) is not dying, so waiting to enter it would wait
 * for ever: never wait, and look again while the disk lives.
 */
static struct request *pvblk_get_id_rq(struct gendisk *disk)
{
	struct pvblk *vblk = disk->private_data;
	struct request *rq;
	unsigned int tries;

	for (tries = 0; tries < PVBLK_ID_TRIES; tries++) {
		if (READ_ONCE(vblk->killed))
			return ERR_PTR(-ENODEV);
		rq = blk_mq_alloc_request(disk->queue, REQ_OP_DRV_IN,
					  BLK_MQ_REQ_NOWAIT);
		if (!IS_ERR(rq) || PTR_ERR(rq) != -EAGAIN)
			return rq;
		usleep_range(10000, 20000);
	}
	return ERR_PTR(-EBUSY);
}

/* Reads the ID into @id (VIRTIO_BLK_ID_BYTES, not NUL-terminated if full). */
static int pvblk_get_id(struct gendisk *disk, char *id)
{
	struct request_queue *q = disk->queue;
	struct request *rq;
	int err;

	rq = pvblk_get_id_rq(disk);
	if (IS_ERR(rq))
		return PTR_ERR(rq);
	err = blk_rq_map_kern(q, rq, id, VIRTIO_BLK_ID_BYTES, GFP_KERNEL);
	if (!err)
		err = blk_status_to_errno(blk_execute_rq(rq, false));
	blk_mq_free_request(rq);
	return err;
}

static ssize_t serial_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	char *id;
	int err;

	id = kzalloc(VIRTIO_BLK_ID_BYTES, GFP_KERNEL);
	if (!id)
		return -ENOMEM;
	err = pvblk_get_id(dev_to_disk(dev), id);
	if (!err)
		err = sysfs_emit(buf, "%.*s\n",
				 (int)strnlen(id, VIRTIO_BLK_ID_BYTES), id);
	kfree(id);
	return err;
}
static DEVICE_ATTR_RO(serial);

static struct attribute *pvblk_attrs[] = {
	&dev_attr_serial.attr,
	NULL,
};

static const struct attribute_group pvblk_attr_group = {
	.attrs = pvblk_attrs,
};

const struct attribute_group *pvblk_attr_groups[] = {
	&pvblk_attr_group,
	NULL,
};
