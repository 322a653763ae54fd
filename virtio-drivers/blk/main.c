// SPDX-License-Identifier: GPL-2.0
/*
 * pvkit_blk.ko: pvkit's virtio block front-end, written on the kernel's
 * virtio core so that it binds over any virtio transport.
 *
 * Module entry and exit, and each device's life: probe (configuration,
 * one virtqueue per hardware queue, the tag set, disk pvblkN), and the
 * kill path that removal and a broken virtqueue share: the disk is
 * marked dead so new I/O fails at once, requests in flight get a few
 * seconds to finish, then the device is reset and whatever it still
 * held fails with an I/O error. Removal never waits on the device.
 * Suspend drains the disk and resets the device; resume sets its
 * virtqueues up again.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "compat.h"
#include "../virtio_compat.h"
#include "pvkit_blk.h"

#define PVBLK_MAX_INDEX		((1 << (MINORBITS - PVBLK_PART_BITS)) - 1)

static int pvblk_major;
static DEFINE_IDA(pvblk_ida);

static unsigned int remove_wait_ms = 5000;
module_param(remove_wait_ms, uint, 0644);
MODULE_PARM_DESC(remove_wait_ms,
		 "how long removal lets requests in flight finish before failing them (ms, default 5000)");

static void pvblk_free(struct pvblk *vblk)
{
	ida_free(&pvblk_ida, vblk->index);
	kfree(vblk->vqs);
	kfree(vblk);
}

/* The last reference to an added disk is gone (it may outlive remove). */
static void pvblk_free_disk(struct gendisk *disk)
{
	pvblk_free(disk->private_data);
}

static const struct block_device_operations pvblk_fops = {
	.owner = THIS_MODULE,
	.free_disk = pvblk_free_disk,
};

/*
 * Ends all I/O for good, once: new I/O fails at once, requests in
 * flight get @drain jiffies to finish, then the device is reset and
 * what it still held fails. @why, if set, is logged as the reason.
 */
static void pvblk_kill(struct pvblk *vblk, unsigned long drain,
		       const char *why)
{
	struct gendisk *disk;
	struct request_queue *q;

	mutex_lock(&vblk->kill_lock);
	if (vblk->killed)
		goto out;
	/*
	 * A virtqueue that broke before the disk was added: probe refuses
	 * the device. After DRIVER_OK the partition scan may wait on a
	 * request the device holds, so the device stops now (the scan's
	 * reads fail) and probe can go on to its refusal.
	 */
	if (!vblk->added) {
		if (vblk->ready)
			pvblk_stop_device(vblk);
		goto out;
	}
	disk = vblk->disk;
	q = disk->queue;
	vblk->killed = true;
	if (why)
		dev_err(&vblk->vdev->dev, "%s: %s: failing all I/O\n",
			disk->disk_name, why);
	/* this also starts freezing the queue, which we may wait for */
	blk_mark_disk_dead(disk);
	if (drain && !blk_mq_freeze_queue_wait_timeout(q, drain))
		dev_warn(&vblk->vdev->dev,
			 "%s: requests still in flight after %u ms fail\n",
			 disk->disk_name, jiffies_to_msecs(drain));
	/* suspended, its queues gone: the device was reset already */
	if (vblk->vqs)
		pvblk_stop_device(vblk);
out:
	mutex_unlock(&vblk->kill_lock);
}

/*
 * A virtqueue broke, or the device returned a used length beyond a
 * request's buffers: every virtqueue is marked broken, so the virtio
 * core refuses them too, and all I/O ends. A bad length was logged
 * where it was found (request.c).
 */
static void pvblk_broken_work(struct work_struct *work)
{
	struct pvblk *vblk = container_of(work, struct pvblk, broken_work);

	virtio_break_device(vblk->vdev);
	pvblk_kill(vblk, 0, atomic_read(&vblk->bad_len_seen) ?
		   NULL : "a virtqueue is broken");
}

/* One request virtqueue per hardware queue, interrupts spread by CPU. */
static int pvblk_init_vqs(struct pvblk *vblk)
{
	struct virtio_device *vdev = vblk->vdev;
	struct irq_affinity desc = { 0 };
	unsigned int i, n = vblk->nr_vqs;
	struct virtqueue **vqs;
	const char **names;
	int err = -ENOMEM;

	vblk->vqs = kcalloc(n, sizeof(*vblk->vqs), GFP_KERNEL);
	vqs = kcalloc(n, sizeof(*vqs), GFP_KERNEL);
	names = kcalloc(n, sizeof(*names), GFP_KERNEL);
	if (!vblk->vqs || !vqs || !names)
		goto out;
	for (i = 0; i < n; i++) {
		spin_lock_init(&vblk->vqs[i].lock);
		snprintf(vblk->vqs[i].name, sizeof(vblk->vqs[i].name),
			 "req.%u", i);
		names[i] = vblk->vqs[i].name;
	}
	err = pvkit_find_vqs(vdev, n, vqs, NULL, pvblk_vq_done, names, NULL,
			     &desc);
	if (err) {
		dev_err(&vdev->dev, "cannot set up %u virtqueue(s): %d\n",
			n, err);
		goto out;
	}
	for (i = 0; i < n; i++)
		vblk->vqs[i].vq = vqs[i];
out:
	kfree(names);
	kfree(vqs);
	if (err) {
		kfree(vblk->vqs);
		vblk->vqs = NULL;
	}
	return err;
}

/* The device reset: its virtqueues go; vblk->vqs is NULL until set up again. */
static void pvblk_del_vqs(struct pvblk *vblk)
{
	if (!vblk->vqs)
		return;
	vblk->vdev->config->del_vqs(vblk->vdev);
	kfree(vblk->vqs);
	vblk->vqs = NULL;
}

static unsigned int pvblk_min_vring_size(struct pvblk *vblk)
{
	unsigned int i, size = UINT_MAX;

	for (i = 0; i < vblk->nr_vqs; i++)
		size = min(size, virtqueue_get_vring_size(vblk->vqs[i].vq));
	return size;
}

static int pvblk_init_tag_set(struct pvblk *vblk, unsigned int depth)
{
	struct blk_mq_tag_set *set = &vblk->tag_set;

	set->ops = &pvblk_mq_ops;
	set->nr_hw_queues = vblk->nr_vqs;
	set->nr_maps = 1;
	set->queue_depth = min_t(unsigned int, depth, BLK_MQ_MAX_DEPTH);
	set->numa_node = NUMA_NO_NODE;
	set->flags = BLK_MQ_F_SHOULD_MERGE;
	set->cmd_size = sizeof(struct pvblk_req);
	set->driver_data = vblk;
	return blk_mq_alloc_tag_set(set);
}

static void pvblk_describe(struct pvblk *vblk, const struct pvblk_limits *lim)
{
	dev_info(&vblk->vdev->dev,
		 "%s: %llu sectors, %u-byte blocks, %u queue(s), %s%s%s%s\n",
		 vblk->disk->disk_name,
		 (unsigned long long)get_capacity(vblk->disk),
		 lim->logical_block_size, vblk->nr_vqs,
		 lim->write_cache ? "write-back cache" : "write-through",
		 lim->max_discard_sectors ? ", discard" : "",
		 lim->max_write_zeroes_sectors ? ", write zeroes" : "",
		 get_disk_ro(vblk->disk) ? ", read-only" : "");
}

/*
 * Takes an added disk away, its device stopped: the disk, the broken
 * work, the tag set, the virtqueues, and vblk with the disk's last
 * reference (pvblk_free_disk). The device is reset once more: a dead
 * disk's device may have been set up again by a resume since.
 */
static void pvblk_del_disk(struct pvblk *vblk)
{
	struct gendisk *disk = vblk->disk;

	del_gendisk(disk);
	/* no request is left to time out and queue it again */
	cancel_work_sync(&vblk->broken_work);
	blk_mq_free_tag_set(&vblk->tag_set);
	virtio_reset_device(vblk->vdev);
	pvblk_del_vqs(vblk);
	put_disk(disk);
}

static int pvblk_probe(struct virtio_device *vdev)
{
	struct pvblk_limits lim = { 0 };
	struct gendisk *disk;
	struct pvblk *vblk;
	sector_t capacity;
	unsigned int i;
	int err;

	if (!vdev->config->get) {
		dev_err(&vdev->dev, "the transport cannot read the configuration\n");
		return -EINVAL;
	}
	vblk = kzalloc(sizeof(*vblk), GFP_KERNEL);
	if (!vblk)
		return -ENOMEM;
	vblk->vdev = vdev;
	vdev->priv = vblk;
	mutex_init(&vblk->kill_lock);
	INIT_WORK(&vblk->config_work, pvblk_config_work);
	INIT_WORK(&vblk->broken_work, pvblk_broken_work);

	vblk->index = ida_alloc_max(&pvblk_ida, PVBLK_MAX_INDEX, GFP_KERNEL);
	if (vblk->index < 0) {
		err = vblk->index;
		kfree(vblk);
		return err;
	}
	err = pvblk_read_config(vblk, &lim, &capacity);
	if (err)
		goto err_free;
	err = pvblk_init_vqs(vblk);
	if (err)
		goto err_free;
	vblk->vring_size = pvblk_min_vring_size(vblk);
	err = pvblk_fit_limits(vblk, &lim, vblk->vring_size);
	if (err)
		goto err_vqs;
	err = pvblk_init_tag_set(vblk, vblk->vring_size);
	if (err)
		goto err_vqs;

	disk = pvblk_alloc_disk(&vblk->tag_set, &lim, vblk);
	if (IS_ERR(disk)) {
		err = PTR_ERR(disk);
		dev_err(&vdev->dev, "cannot allocate the disk: %d\n", err);
		goto err_tag_set;
	}
	vblk->disk = disk;
	disk->major = pvblk_major;
	disk->first_minor = vblk->index << PVBLK_PART_BITS;
	disk->minors = 1 << PVBLK_PART_BITS;
	disk->fops = &pvblk_fops;
	disk->private_data = vblk;
	snprintf(disk->disk_name, DISK_NAME_LEN, "pvblk%d", vblk->index);
	set_capacity(disk, capacity);
	set_disk_ro(disk, virtio_has_feature(vdev, VIRTIO_BLK_F_RO));

	/*
	 * A device that used a buffer it was never given, so early: reaped
	 * here, whenever its interrupt comes, it breaks its virtqueue now.
	 */
	for (i = 0; i < vblk->nr_vqs; i++)
		pvblk_vq_done(vblk->vqs[i].vq);
	if (READ_ONCE(vblk->broken)) {
		dev_err(&vdev->dev, "a virtqueue broke before the disk was ready (the device used a buffer it was not given): refused\n");
		err = -EIO;
		goto err_disk;
	}
	mutex_lock(&vblk->kill_lock);
	vblk->ready = true;
	mutex_unlock(&vblk->kill_lock);
	/* adding the disk reads its partition table */
	virtio_device_ready(vdev);
	err = device_add_disk(&vdev->dev, disk, pvblk_attr_groups);
	if (err)
		goto err_disk;
	/* broken during the partition scan: refused too (later: killed) */
	mutex_lock(&vblk->kill_lock);
	vblk->added = !READ_ONCE(vblk->broken);
	mutex_unlock(&vblk->kill_lock);
	if (!vblk->added) {
		dev_err(&vdev->dev, "%s: a virtqueue broke while the disk was added (its partition scan): refused\n",
			disk->disk_name);
		err = -EIO;
		goto err_added;
	}
	pvblk_describe(vblk, &lim);
	return 0;

err_added:
	/* the kill path leaves a disk not kept alone: stopped here */
	mutex_lock(&vblk->kill_lock);
	pvblk_stop_device(vblk);
	mutex_unlock(&vblk->kill_lock);
	pvblk_del_disk(vblk);
	return err;

err_disk:
	/* a virtqueue may have broken (its work kills no disk not added) */
	cancel_work_sync(&vblk->broken_work);
	/* before the tag set: a disk never added tears its queue down */
	put_disk(disk);
err_tag_set:
	blk_mq_free_tag_set(&vblk->tag_set);
err_vqs:
	virtio_reset_device(vdev);
	pvblk_del_vqs(vblk);
	/* a virtqueue may have broken before the disk was there */
	cancel_work_sync(&vblk->broken_work);
err_free:
	pvblk_free(vblk);
	return err;
}

static void pvblk_remove(struct virtio_device *vdev)
{
	struct pvblk *vblk = vdev->priv;

	/* the virtio core stopped configuration callbacks before this */
	cancel_work_sync(&vblk->config_work);
	pvblk_kill(vblk, msecs_to_jiffies(READ_ONCE(remove_wait_ms)), NULL);
	pvblk_del_disk(vblk);
}

static const unsigned int pvblk_features[] = {
	VIRTIO_BLK_F_SIZE_MAX, VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_RO,
	VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_TOPOLOGY,
	VIRTIO_BLK_F_MQ, VIRTIO_BLK_F_DISCARD, VIRTIO_BLK_F_WRITE_ZEROES,
};

static const struct virtio_device_id pvblk_id_table[] = {
	{ VIRTIO_ID_BLOCK, VIRTIO_DEV_ANY_ID },
	{ 0 },
};
MODULE_DEVICE_TABLE(virtio, pvblk_id_table);

#ifdef CONFIG_PM
/*
 * Suspend and hibernation, with the device's configuration callbacks off
 * (the virtio core): requests in flight get remove_wait_ms to finish
 * while new ones wait in the block layer, then the device is reset and
 * its virtqueues go, until pvblk_restore(). A device that holds on to a
 * request longer than that refuses the suspend; a disk killed before
 * stays dead, left as it is.
 */
static int pvblk_freeze(struct virtio_device *vdev)
{
	struct pvblk *vblk = vdev->priv;
	unsigned long drain = msecs_to_jiffies(READ_ONCE(remove_wait_ms));
	struct request_queue *q = vblk->disk->queue;
	int err = 0;

	/* a capacity change or a broken virtqueue is dealt with first */
	flush_work(&vblk->config_work);
	flush_work(&vblk->broken_work);
	mutex_lock(&vblk->kill_lock);
	if (vblk->killed)
		goto out;
	pvblk_freeze_start(q);
	if (!blk_mq_freeze_queue_wait_timeout(q, drain)) {
		pvblk_unfreeze(q);
		dev_err(&vdev->dev, "%s: requests still in flight after %u ms: suspend refused\n",
			vblk->disk->disk_name, jiffies_to_msecs(drain));
		err = -EBUSY;
		goto out;
	}
	blk_mq_quiesce_queue(q);
	pvblk_stop_device(vblk);
	pvblk_del_vqs(vblk);
	vblk->frozen = true;
out:
	mutex_unlock(&vblk->kill_lock);
	return err;
}

/*
 * The device was reset again and its features acked (the virtio core):
 * the virtqueues are set up as at probe, and no smaller, so that what
 * the disk's limits and tag set were fitted to still holds. If they
 * cannot be, the disk is dead (its I/O fails) and the device FAILED.
 * A virtqueue that broke while the disk was frozen killed it then.
 */
static int pvblk_restore(struct virtio_device *vdev)
{
	struct pvblk *vblk = vdev->priv;
	struct gendisk *disk = vblk->disk;
	int err = 0;

	mutex_lock(&vblk->kill_lock);
	if (!vblk->frozen)
		goto out;
	vblk->frozen = false;
	if (!vblk->killed) {
		unsigned int ring;

		err = pvblk_init_vqs(vblk);
		ring = err ? 0 : pvblk_min_vring_size(vblk);
		if (!err && ring < vblk->vring_size) {
			dev_err(&vdev->dev, "%s: a virtqueue has %u entries on resume, fewer than %u before\n",
				disk->disk_name, ring, vblk->vring_size);
			virtio_reset_device(vdev);
			pvblk_del_vqs(vblk);
			err = -EINVAL;
		}
		if (err) {
			vblk->killed = true;
			dev_err(&vdev->dev, "%s: its virtqueues cannot be set up again on resume: failing all I/O\n",
				disk->disk_name);
			blk_mark_disk_dead(disk);
		} else {
			virtio_device_ready(vdev);
		}
	}
	blk_mq_unquiesce_queue(disk->queue);
	pvblk_unfreeze(disk->queue);
out:
	mutex_unlock(&vblk->kill_lock);
	return err;
}
#endif

static struct virtio_driver pvblk_driver = {
	.driver.name = KBUILD_MODNAME,
	.driver.owner = THIS_MODULE,
	.id_table = pvblk_id_table,
	.feature_table = pvblk_features,
	.feature_table_size = ARRAY_SIZE(pvblk_features),
	.probe = pvblk_probe,
	.remove = pvblk_remove,
	.config_changed = pvblk_config_changed,
#ifdef CONFIG_PM
	.freeze = pvblk_freeze,
	.restore = pvblk_restore,
#endif
};

static int __init pvblk_init(void)
{
	int err;

	pvblk_major = register_blkdev(0, "pvblk");
	if (pvblk_major < 0)
		return pvblk_major;
	err = register_virtio_driver(&pvblk_driver);
	if (err)
		unregister_blkdev(pvblk_major, "pvblk");
	return err;
}

static void __exit pvblk_exit(void)
{
	unregister_virtio_driver(&pvblk_driver);
	unregister_blkdev(pvblk_major, "pvblk");
}

module_init(pvblk_init);
module_exit(pvblk_exit);

MODULE_DESCRIPTION("pvkit virtio block front-end");
MODULE_AUTHOR("The pvkit developers");
MODULE_LICENSE("GPL");
