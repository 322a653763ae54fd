/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of pvkit_blk.ko, shared between its files: the
 * state of a device, of a virtqueue and of a request, the queue limits
 * read from the device's configuration, and the entry points of the
 * configuration, request and sysfs parts.
 */
#ifndef _PVKIT_BLK_H
#define _PVKIT_BLK_H

#include <linux/blk-mq.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/virtio.h>
#include <linux/virtio_blk.h>
#include <linux/workqueue.h>

#define PVBLK_PART_BITS		4	/* minors per disk: itself and 15 partitions */
#define PVBLK_INLINE_SG		2	/* scatterlist entries kept in each request */
/* discard ranges in one request: their array fills at most a page */
#define PVBLK_MAX_RANGES	\
	(PAGE_SIZE / sizeof(struct virtio_blk_discard_write_zeroes))

/* One request virtqueue, serving one blk-mq hardware queue. */
struct pvblk_vq {
	struct virtqueue *vq;
	spinlock_t lock;	/* adding, kicking, reaping; and stopped */
	bool stopped;		/* the device was reset: leave vq alone */
	char name[16];
} ____cacheline_aligned_in_smp;

/* The queue limits the device's configuration asks for. */
struct pvblk_limits {
	unsigned int logical_block_size;
	unsigned int physical_block_size;
	unsigned int alignment_offset;		/* bytes */
	unsigned int io_min;			/* bytes */
	unsigned int io_opt;			/* bytes */
	unsigned int max_segments;
	unsigned int max_segment_size;		/* bytes */
	unsigned int max_hw_sectors;
	unsigned int max_discard_sectors;	/* 0: no discard */
	unsigned int max_discard_segments;
	unsigned int discard_granularity;	/* bytes */
	unsigned int max_write_zeroes_sectors;	/* 0: no write zeroes */
	bool write_cache;	/* VIRTIO_BLK_F_FLUSH: write back, flushes sent */
};

struct pvblk {
	struct virtio_device *vdev;
	struct gendisk *disk;
	struct blk_mq_tag_set tag_set;
	struct pvblk_vq *vqs;		/* NULL while suspended */
	unsigned int nr_vqs;
	unsigned int vring_size;	/* the smallest ring, at probe */
	int index;			/* the N of pvblkN */
	bool zeroes_may_unmap;		/* write zeroes may deallocate */
	struct mutex kill_lock;		/* killed, ready, added, frozen, capacity */
	bool killed;			/* no more I/O, ever */
	bool frozen;			/* suspended: queue frozen, no virtqueues */
	bool ready;			/* probe set DRIVER_OK */
	bool added;			/* probe added the disk, and kept it */
	struct work_struct config_work;	/* capacity change */
	struct work_struct broken_work;	/* a virtqueue broke */
	bool broken;			/* the device broke the rules */
	atomic_t bad_len_seen;		/* a used length was too long */
};

/* The driver's part of each block request (the tag set's cmd_size). */
struct pvblk_req {
	struct virtio_blk_outhdr hdr;
	u8 status;				/* VIRTIO_BLK_S_*, device-written */
	u32 in_len;				/* device-writable bytes, status too */
	struct virtio_blk_discard_write_zeroes *ranges;	/* or NULL */
	struct sg_table sgt;			/* data, when sgt.sgl is set */
	struct scatterlist sg[PVBLK_INLINE_SG];
};

/* config.c */
int pvblk_read_config(struct pvblk *vblk, struct pvblk_limits *lim,
		      sector_t *capacity);
int pvblk_fit_limits(struct pvblk *vblk, struct pvblk_limits *lim,
		     unsigned int vring_size);
void pvblk_config_work(struct work_struct *work);
void pvblk_config_changed(struct virtio_device *vdev);

/* request.c */
extern const struct blk_mq_ops pvblk_mq_ops;
void pvblk_vq_done(struct virtqueue *vq);
void pvblk_stop_device(struct pvblk *vblk);

/* sysfs.c */
extern const struct attribute_group *pvblk_attr_groups[];

#endif /* _PVKIT_BLK_H */
