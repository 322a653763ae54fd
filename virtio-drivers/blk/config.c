// SPDX-License-Identifier: GPL-2.0
/*
 * The device's configuration space: what pvkit_blk reads at probe (the
 * capacity, the number of queues, block size and topology, segment
 * limits, discard and write-zeroes limits, the write cache), the
 * nonsense it refuses with one line each, and the capacity changes that
 * a configuration interrupt announces.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/virtio_config.h>

#include "pvkit_blk.h"

/* The capacity in 512-byte sectors; its size in bytes must fit loff_t. */
static int pvblk_read_capacity(struct pvblk *vblk, sector_t *capacity)
{
	u64 sectors;

	virtio_cread(vblk->vdev, struct virtio_blk_config, capacity, &sectors);
	if (sectors > (u64)LLONG_MAX >> SECTOR_SHIFT) {
		dev_err(&vblk->vdev->dev,
			"capacity of %llu sectors overflows a byte offset: refused\n",
			sectors);
		return -EINVAL;
	}
	*capacity = sectors;
	return 0;
}

/* VIRTIO_BLK_F_TOPOLOGY: physical block, alignment and I/O sizes. */
static void pvblk_read_topology(struct virtio_device *vdev,
				struct pvblk_limits *lim)
{
	unsigned int lbs = lim->logical_block_size;
	u8 exp, align;
	u16 min_io;
	u32 opt_io;

	if (virtio_cread_feature(vdev, VIRTIO_BLK_F_TOPOLOGY,
				 struct virtio_blk_config, physical_block_exp,
				 &exp))
		return;
	virtio_cread(vdev, struct virtio_blk_config, alignment_offset, &align);
	virtio_cread(vdev, struct virtio_blk_config, min_io_size, &min_io);
	virtio_cread(vdev, struct virtio_blk_config, opt_io_size, &opt_io);

	/* a physical block of more than 2^15 logical ones is not a disk */
	if (exp > 15) {
		dev_warn(&vdev->dev,
			 "physical block exponent %u ignored, with the topology\n",
			 exp);
		return;
	}
	lim->physical_block_size = lbs << exp;
	lim->alignment_offset = align * lbs;
	lim->io_min = min_io * lbs;
	if (check_mul_overflow(opt_io, lbs, &lim->io_opt))
		lim->io_opt = 0;
}

/* VIRTIO_BLK_F_DISCARD and VIRTIO_BLK_F_WRITE_ZEROES and their limits. */
static void pvblk_read_erase(struct pvblk *vblk, struct pvblk_limits *lim)
{
	struct virtio_device *vdev = vblk->vdev;
	u32 sectors, segs, align;
	u8 unmap;

	if (virtio_has_feature(vdev, VIRTIO_BLK_F_DISCARD)) {
		virtio_cread(vdev, struct virtio_blk_config, max_discard_sectors,
			     &sectors);
		virtio_cread(vdev, struct virtio_blk_config, max_discard_seg,
			     &segs);
		virtio_cread(vdev, struct virtio_blk_config,
			     discard_sector_alignment, &align);
		lim->max_discard_sectors = sectors;
		lim->max_discard_segments = clamp_t(u32, segs, 1,
						    PVBLK_MAX_RANGES);
		lim->discard_granularity = lim->logical_block_size;
		if (align <= UINT_MAX >> SECTOR_SHIFT)
			lim->discard_granularity = max(lim->discard_granularity,
						       align << SECTOR_SHIFT);
	}
	if (virtio_has_feature(vdev, VIRTIO_BLK_F_WRITE_ZEROES)) {
		virtio_cread(vdev, struct virtio_blk_config,
			     max_write_zeroes_sectors, &sectors);
		virtio_cread(vdev, struct virtio_blk_config,
			     write_zeroes_may_unmap, &unmap);
		lim->max_write_zeroes_sectors = sectors;
		vblk->zeroes_may_unmap = unmap;
	}
}

/*
 * Everything the configuration says before the virtqueues exist: the
 * capacity, how many request queues to ask for (vblk->nr_vqs) and the
 * queue limits. 0, or -EINVAL after one line saying what was refused.
 */
int pvblk_read_config(struct pvblk *vblk, struct pvblk_limits *lim,
		      sector_t *capacity)
{
	struct virtio_device *vdev = vblk->vdev;
	u32 blk_size, size_max, seg_max;
	u16 num_queues = 1;
	int err;

	err = pvblk_read_capacity(vblk, capacity);
	if (err)
		return err;

	if (virtio_has_feature(vdev, VIRTIO_BLK_F_MQ)) {
		virtio_cread(vdev, struct virtio_blk_config, num_queues,
			     &num_queues);
		if (!num_queues) {
			dev_err(&vdev->dev,
				"the device offers multiqueue with 0 queues: refused\n");
			return -EINVAL;
		}
	}
	vblk->nr_vqs = min_t(unsigned int, num_queues, nr_cpu_ids);

	lim->logical_block_size = SECTOR_SIZE;
	if (!virtio_cread_feature(vdev, VIRTIO_BLK_F_BLK_SIZE,
				  struct virtio_blk_config, blk_size,
				  &blk_size)) {
		if (blk_size < SECTOR_SIZE || blk_size > PAGE_SIZE ||
		    !is_power_of_2(blk_size)) {
			dev_err(&vdev->dev,
				"block size %u is not a power of two from 512 to %lu: refused\n",
				blk_size, PAGE_SIZE);
			return -EINVAL;
		}
		lim->logical_block_size = blk_size;
	}
	lim->physical_block_size = lim->logical_block_size;
	pvblk_read_topology(vdev, lim);

	/* segments: pvblk_fit_limits() caps them by the queue size */
	lim->max_segments = U16_MAX;
	if (!virtio_cread_feature(vdev, VIRTIO_BLK_F_SEG_MAX,
				  struct virtio_blk_config, seg_max, &seg_max) &&
	    seg_max)
		lim->max_segments = min_t(u32, seg_max, U16_MAX);
	lim->max_segment_size = min_t(size_t, virtio_max_dma_size(vdev),
				      UINT_MAX);
	if (!virtio_cread_feature(vdev, VIRTIO_BLK_F_SIZE_MAX,
				  struct virtio_blk_config, size_max,
				  &size_max) && size_max)
		lim->max_segment_size = min(lim->max_segment_size, size_max);
	if (lim->max_segment_size < PAGE_SIZE) {
		dev_err(&vdev->dev,
			"segments of at most %u bytes are smaller than a page: refused\n",
			lim->max_segment_size);
		return -EINVAL;
	}

	pvblk_read_erase(vblk, lim);
	lim->write_cache = virtio_has_feature(vdev, VIRTIO_BLK_F_FLUSH);
	return 0;
}

/*
 * The limits that depend on the virtqueues: a request's chain (header,
 * data segments, status) must fit in the smallest ring, @vring_size
 * entries, indirect descriptors or not.
 */
int pvblk_fit_limits(struct pvblk *vblk, struct pvblk_limits *lim,
		     unsigned int vring_size)
{
	u64 bytes;

	if (vring_size < 3) {
		dev_err(&vblk->vdev->dev,
			"a queue of %u entries cannot hold a request: refused\n",
			vring_size);
		return -EINVAL;
	}
	lim->max_segments = min(lim->max_segments, vring_size - 2);
	bytes = min_t(u64, (u64)lim->max_segments * lim->max_segment_size,
		      virtio_max_dma_size(vblk->vdev));
	/* in sectors whose bytes fit 32 bits: 6.1 checks them so, and wraps */
	lim->max_hw_sectors = min_t(u64, bytes >> SECTOR_SHIFT,
				    UINT_MAX >> SECTOR_SHIFT);
	return 0;
}

/* A configuration interrupt: the capacity may have changed. */
void pvblk_config_work(struct work_struct *work)
{
	struct pvblk *vblk = container_of(work, struct pvblk, config_work);
	sector_t capacity;

	mutex_lock(&vblk->kill_lock);
	/* set_capacity_and_notify() logs the change and tells udev */
	if (!vblk->killed && !pvblk_read_capacity(vblk, &capacity))
		set_capacity_and_notify(vblk->disk, capacity);
	mutex_unlock(&vblk->kill_lock);
}

/* The virtio core calls this only between probe and remove. */
void pvblk_config_changed(struct virtio_device *vdev)
{
	struct pvblk *vblk = vdev->priv;

	schedule_work(&vblk->config_work);
}
