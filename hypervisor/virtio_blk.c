// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk back end of pvkit-hv: a raw image file (or block device)
 * per --disk, one request queue per vCPU, each served by its own I/O
 * thread (blk_req.c does the requests). Read-only disks advertise
 * VIRTIO_BLK_F_RO and fail writes with VIRTIO_BLK_S_IOERR; writable ones
 * offer discard and write zeroes. The image is
 * locked (flock) so two VMMs cannot write one image at once. A disk
 * given fault= misbehaves on purpose, for tests (vq_fault.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/pci_regs.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "blk_req.h"
#include "virtio.h"
#include "vq_fault.h"

#define BLK_QUEUE_SIZE		256
#define BLK_SEG_MAX		(BLK_QUEUE_SIZE - 2)
#define PCI_CLASS_STORAGE_OTHER	0x018000

struct virtio_blk {
	struct virtio_dev dev;
	const struct disk_config *dc;
	unsigned int index;		/* of --disk: blkN */
	struct blk_disk disk;
	struct virtio_blk_config config;
	struct hv_fault_cfg fault;	/* test-only misbehaviour */
	uint64_t faults;		/* used elements it made wrong */
};

static int blk_chain(struct virtio_queue *q, const struct vq_chain *c,
		     const char **why)
{
	struct virtio_blk *blk = q->dev->priv;

	return blk__handle(&blk->disk, c, why);
}

static void blk_queue_run(struct virtio_queue *q)
{
	virtio_queue__serve(q, blk_chain);
}

/* fault=: the used element of a read or write from fault-from= on */
static bool blk_misbehave(struct virtio_queue *q, const struct vq_chain *c,
			  uint16_t *id, uint32_t *len)
{
	struct virtio_blk *blk = q->dev->priv;

	if (vq_fault__blk_applies(&blk->fault, c))
		vq_fault__misbehave(&blk->fault, &blk->faults, q, c, id, len);
	return false;
}

/* fault=early-used: a used element in each queue enabled too early */
static void blk_queue_enabled(struct virtio_queue *q)
{
	struct virtio_blk *blk = q->dev->priv;

	vq_fault__queue_enabled(&blk->fault, &blk->faults, q);
}

static void blk_stats(struct virtio_dev *dev, FILE *f)
{
	struct virtio_blk *blk = dev->priv;
	struct blk_disk *d = &blk->disk;

	fprintf(f, ", \"reads\": %llu, \"writes\": %llu, \"flushes\": %llu, \"discards\": %llu, \"write_zeroes\": %llu, \"errors\": %llu, \"unsupported\": %llu",
		(unsigned long long)d->reads, (unsigned long long)d->writes,
		(unsigned long long)d->flushes, (unsigned long long)d->discards,
		(unsigned long long)d->write_zeroes,
		(unsigned long long)d->errors,
		(unsigned long long)d->unsupported);
	vq_fault__stats(&blk->fault, &blk->faults, f);
}

static const struct virtio_dev_ops blk_ops = {
	.queue_run = blk_queue_run,
	.stats = blk_stats,
	.misbehave = blk_misbehave,
	.queue_enabled = blk_queue_enabled,
};

/* Opens and checks the image; one clear line on any problem. */
static int blk_open(struct blk_disk *disk, const struct disk_config *dc)
{
	uint64_t size;
	struct stat st;

	disk->read_only = dc->read_only;
	disk->write_delay_ms = dc->write_delay_ms;
	disk->fd = open(dc->path, (dc->read_only ? O_RDONLY : O_RDWR) |
			O_CLOEXEC);
	if (disk->fd < 0) {
		hv_err("--disk '%s': %s", dc->path, strerror(errno));
		return -1;
	}
	if (flock(disk->fd, (dc->read_only ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
		hv_err("--disk '%s': in use by another process (%s)", dc->path,
		       strerror(errno));
		return -1;
	}
	if (fstat(disk->fd, &st)) {
		hv_err("--disk '%s': %s", dc->path, strerror(errno));
		return -1;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(disk->fd, BLKGETSIZE64, &size)) {
			hv_err("--disk '%s': %s", dc->path, strerror(errno));
			return -1;
		}
	} else if (S_ISREG(st.st_mode)) {
		size = st.st_size;
	} else {
		hv_err("--disk '%s': not a regular file or block device",
		       dc->path);
		return -1;
	}
	if (size < BLK_SECTOR) {
		hv_err("--disk '%s': smaller than one 512-byte sector",
		       dc->path);
		return -1;
	}
	if (size % BLK_SECTOR)
		hv_info("--disk '%s': the last %llu bytes (less than a sector) are not used",
			dc->path, (unsigned long long)(size % BLK_SECTOR));
	disk->sectors = size / BLK_SECTOR;
	return 0;
}

struct virtio_blk *virtio_blk__open(const struct disk_config *dc,
				    unsigned int index)
{
	struct virtio_blk *blk = calloc(1, sizeof(*blk));

	if (!blk) {
		hv_err("--disk '%s': out of memory", dc->path);
		return NULL;
	}
	if (blk_open(&blk->disk, dc)) {
		if (blk->disk.fd >= 0)
			close(blk->disk.fd);
		free(blk);
		return NULL;
	}
	blk->dc = dc;
	blk->index = index;
	/* a full 20-character serial has no NUL, as the spec allows */
	if (dc->serial)
		memcpy(blk->disk.serial, dc->serial,
		       strnlen(dc->serial, sizeof(blk->disk.serial)));
	else
		snprintf(blk->disk.serial, sizeof(blk->disk.serial),
			 "pvkit-disk%u", index);
	return blk;
}

int virtio_blk__add(struct vm *vm, struct virtio_blk *blk)
{
	const struct disk_config *dc = blk->dc;
	struct virtio_dev *dev;
	int err;

	blk->fault = dc->fault;
	blk->config.capacity = blk->disk.sectors;
	blk->config.seg_max = BLK_SEG_MAX;
	blk->config.blk_size = BLK_SECTOR;
	blk->config.num_queues = vm->cfg->cpus;

	dev = &blk->dev;
	snprintf(dev->name, sizeof(dev->name), "blk%u", blk->index);
	dev->device_id = VIRTIO_ID_BLOCK;
	dev->pci_class = PCI_CLASS_STORAGE_OTHER;
	dev->ops = &blk_ops;
	dev->priv = blk;
	dev->config = &blk->config;
	dev->config_len = sizeof(blk->config);
	dev->nr_queues = vm->cfg->cpus;
	dev->queue_max = BLK_QUEUE_SIZE;
	dev->alias = dc->serial;
	dev->poll_us = dc->poll_us;
	dev->host_features = 1ULL << VIRTIO_BLK_F_SEG_MAX |
			     1ULL << VIRTIO_BLK_F_BLK_SIZE |
			     1ULL << VIRTIO_BLK_F_FLUSH |
			     1ULL << VIRTIO_BLK_F_MQ |
			     1ULL << VIRTIO_RING_F_INDIRECT_DESC |
			     1ULL << VIRTIO_RING_F_EVENT_IDX;
	if (dc->read_only) {
		dev->host_features |= 1ULL << VIRTIO_BLK_F_RO;
	} else {
		/* 4 KiB: the granularity of a hole in the image file */
		blk->config.max_discard_sectors = BLK_DWZ_MAX_SECTORS;
		blk->config.max_discard_seg = BLK_DWZ_MAX_SEG;
		blk->config.discard_sector_alignment = 4096 / BLK_SECTOR;
		blk->config.max_write_zeroes_sectors = BLK_DWZ_MAX_SECTORS;
		blk->config.max_write_zeroes_seg = BLK_DWZ_MAX_SEG;
		blk->config.write_zeroes_may_unmap = 1;
		dev->host_features |= 1ULL << VIRTIO_BLK_F_DISCARD |
				      1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
	}
	err = virtio_pci__add(vm, dev);
	if (err) {
		hv_err("--disk '%s': adding the device: %s", dc->path,
		       strerror(-err));
		return -1;
	}
	hv_info("%s: %s, serial %.*s, %llu sectors%s", dev->name, dc->path,
		(int)strnlen(blk->disk.serial, sizeof(blk->disk.serial)),
		blk->disk.serial, (unsigned long long)blk->disk.sectors,
		dc->read_only ? ", read-only" : "");
	return 0;
}
