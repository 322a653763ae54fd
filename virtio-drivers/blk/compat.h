/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel API differences pvkit_blk meets between Debian's 6.1 and
 * 6.12 kernels, in one place (virtio_find_vqs() is in ../virtio_compat.h,
 * shared with pvkit_net). Linux 6.11 made the one that matters here: a
 * queue's limits and features (the write cache) go whole to
 * blk_mq_alloc_disk() instead of through the blk_queue_*() setters,
 * which are gone. (6.9 and 6.10 had the new
 * blk_mq_alloc_disk() with the old features: not supported.)
 */
#ifndef _PVKIT_BLK_COMPAT_H
#define _PVKIT_BLK_COMPAT_H

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/slab.h>
#include <linux/version.h>
#include <linux/virtio_config.h>

#include "pvkit_blk.h"

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 11, 0)
#error "pvkit_blk builds against Linux 6.1 to 6.8 and 6.11 on (tested: 6.1, 6.12)"
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)

/* A disk on a new queue of @set with the limits @l. */
static inline struct gendisk *pvblk_alloc_disk(struct blk_mq_tag_set *set,
					       const struct pvblk_limits *l,
					       void *queuedata)
{
	struct queue_limits lim = {
		.logical_block_size = l->logical_block_size,
		.physical_block_size = l->physical_block_size,
		.alignment_offset = l->alignment_offset,
		.io_min = l->io_min,
		.io_opt = l->io_opt,
		.max_segments = l->max_segments,
		.max_segment_size = l->max_segment_size,
		.max_hw_sectors = l->max_hw_sectors,
		.max_hw_discard_sectors = l->max_discard_sectors,
		.max_discard_segments = l->max_discard_segments,
		.discard_granularity = l->discard_granularity,
		.max_write_zeroes_sectors = l->max_write_zeroes_sectors,
		/* no BLK_FEAT_FUA: virtio-blk has no FUA write */
		.features = l->write_cache ? BLK_FEAT_WRITE_CACHE : 0,
	};

	return blk_mq_alloc_disk(set, &lim, queuedata);
}

#else /* before 6.11 */

static inline struct gendisk *pvblk_alloc_disk(struct blk_mq_tag_set *set,
					       const struct pvblk_limits *l,
					       void *queuedata)
{
	struct request_queue *q;
	struct gendisk *disk;

	disk = blk_mq_alloc_disk(set, queuedata);
	if (IS_ERR(disk))
		return disk;
	q = disk->queue;
	blk_queue_logical_block_size(q, l->logical_block_size);
	blk_queue_physical_block_size(q, l->physical_block_size);
	blk_queue_alignment_offset(q, l->alignment_offset);
	blk_queue_io_min(q, l->io_min);
	blk_queue_io_opt(q, l->io_opt);
	blk_queue_max_segments(q, l->max_segments);
	blk_queue_max_segment_size(q, l->max_segment_size);
	blk_queue_max_hw_sectors(q, l->max_hw_sectors);
	blk_queue_max_discard_sectors(q, l->max_discard_sectors);
	blk_queue_max_discard_segments(q, l->max_discard_segments);
	q->limits.discard_granularity = l->discard_granularity;
	blk_queue_max_write_zeroes_sectors(q, l->max_write_zeroes_sectors);
	/* no FUA: virtio-blk has no FUA write */
	blk_queue_write_cache(q, l->write_cache, false);
	/* as from 6.11 on: not rotational unless a driver says so */
	blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	return disk;
}

#endif /* 6.11 */

/*
 * Suspend freezes a disk's queue in pvblk_freeze() and lets it go in
 * pvblk_restore(): two callbacks, which the PM core may run in two
 * different tasks. Kernels whose lockdep takes a freeze for a lock held
 * until the unfreeze (6.13, and 6.12.y since a stable update: Kbuild
 * looks for them in <linux/blk-mq.h>) have _non_owner calls for that;
 * the plain ones would leave the freezing task "holding" it (a worker
 * that leaked a lock, then lockdep's own state broken).
 */
static inline void pvblk_freeze_start(struct request_queue *q)
{
#ifdef PVBLK_FREEZE_NON_OWNER
	blk_freeze_queue_start_non_owner(q);
#else
	blk_freeze_queue_start(q);
#endif
}

static inline void pvblk_unfreeze(struct request_queue *q)
{
#ifdef PVBLK_FREEZE_NON_OWNER
	blk_mq_unfreeze_queue_non_owner(q);
#else
	blk_mq_unfreeze_queue(q);
#endif
}

#endif /* _PVKIT_BLK_COMPAT_H */
