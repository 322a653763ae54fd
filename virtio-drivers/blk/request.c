// SPDX-License-Identifier: GPL-2.0
/*
 * Block requests in and out of the virtqueues. queue_rq turns a request
 * into a virtio-blk chain (header, data or discard ranges, status byte)
 * on its hardware queue's virtqueue; the virtqueue callback reaps used
 * chains and completes their requests with the device's status. A full
 * ring stops the hardware queue until a completion; a broken virtqueue,
 * or a used length longer than the request's device-writable buffers,
 * hands the device to the kill path (main.c), and pvblk_stop_device()
 * fails whatever a reset device still held.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq-virtio.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>

#include "pvkit_blk.h"

/* A status the device never writes: a request it does not answer fails. */
#define PVBLK_S_NONE	0xff

static blk_status_t pvblk_status(u8 status)
{
	switch (status) {
	case VIRTIO_BLK_S_OK:
		return BLK_STS_OK;
	case VIRTIO_BLK_S_UNSUPP:
		return BLK_STS_NOTSUPP;
	default:	/* VIRTIO_BLK_S_IOERR, or no status at all */
		return BLK_STS_IOERR;
	}
}

/* The virtio-blk type of a block request; false for one it has none of. */
static bool pvblk_type(struct request *rq, u32 *type)
{
	switch (req_op(rq)) {
	case REQ_OP_READ:
		*type = VIRTIO_BLK_T_IN;
		return true;
	case REQ_OP_WRITE:
		*type = VIRTIO_BLK_T_OUT;
		return true;
	case REQ_OP_FLUSH:
		*type = VIRTIO_BLK_T_FLUSH;
		return true;
	case REQ_OP_DISCARD:
		*type = VIRTIO_BLK_T_DISCARD;
		return true;
	case REQ_OP_WRITE_ZEROES:
		*type = VIRTIO_BLK_T_WRITE_ZEROES;
		return true;
	case REQ_OP_DRV_IN:	/* the only private request: the serial */
		*type = VIRTIO_BLK_T_GET_ID;
		return true;
	default:
		return false;
	}
}

/*
 * The range array of a discard or write zeroes request, in req->sg[0]:
 * one range per bio of a multi-range discard, else the whole request.
 */
static int pvblk_map_ranges(struct pvblk *vblk, struct request *rq,
			    struct pvblk_req *req)
{
	unsigned int max = blk_rq_nr_discard_segments(rq), n = 0;
	struct virtio_blk_discard_write_zeroes *range;
	u32 flags = 0;
	struct bio *bio;

	if (req_op(rq) == REQ_OP_WRITE_ZEROES && vblk->zeroes_may_unmap &&
	    !(rq->cmd_flags & REQ_NOUNMAP))
		flags = VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
	range = kmalloc_array(max, sizeof(*range), GFP_ATOMIC);
	if (!range)
		return -ENOMEM;
	if (max == 1) {
		range[0].sector = cpu_to_le64(blk_rq_pos(rq));
		range[0].num_sectors = cpu_to_le32(blk_rq_sectors(rq));
		range[0].flags = cpu_to_le32(flags);
		n = 1;
	} else {
		__rq_for_each_bio(bio, rq) {
			if (n == max)
				break;
			range[n].sector = cpu_to_le64(bio->bi_iter.bi_sector);
			range[n].num_sectors = cpu_to_le32(bio_sectors(bio));
			range[n].flags = cpu_to_le32(flags);
			n++;
		}
	}
	req->ranges = range;
	sg_init_one(req->sg, range, n * sizeof(*range));
	return 1;
}

/*
 * Builds the header and maps the request's data (or ranges); returns
 * the number of data scatterlist entries, or -ENOMEM.
 */
static int pvblk_map(struct pvblk *vblk, struct request *rq,
		     struct pvblk_req *req, u32 type)
{
	struct virtio_device *vdev = vblk->vdev;
	unsigned short segs = blk_rq_nr_phys_segments(rq);
	u64 sector = 0;

	if (type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_OUT)
		sector = blk_rq_pos(rq);
	req->hdr.type = cpu_to_virtio32(vdev, type);
	req->hdr.ioprio = cpu_to_virtio32(vdev, req_get_ioprio(rq));
	req->hdr.sector = cpu_to_virtio64(vdev, sector);
	req->status = PVBLK_S_NONE;
	req->ranges = NULL;
	req->sgt.sgl = NULL;
	/* what the device may write: data in, then the status byte */
	req->in_len = sizeof(req->status);
	if (type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID)
		req->in_len += blk_rq_bytes(rq);

	if (type == VIRTIO_BLK_T_DISCARD || type == VIRTIO_BLK_T_WRITE_ZEROES)
		return pvblk_map_ranges(vblk, rq, req);
	if (!segs)
		return 0;
	/* a failed allocation frees what it had and sets sgt.sgl to NULL */
	req->sgt.sgl = req->sg;
	if (sg_alloc_table_chained(&req->sgt, segs, req->sg, PVBLK_INLINE_SG))
		return -ENOMEM;
	return blk_rq_map_sg(rq->q, rq, req->sgt.sgl);
}

static void pvblk_unmap(struct pvblk_req *req)
{
	kfree(req->ranges);
	req->ranges = NULL;
	if (req->sgt.sgl)
		sg_free_table_chained(&req->sgt, PVBLK_INLINE_SG);
	req->sgt.sgl = NULL;
}

/* Adds the chain: header, data out or in, status. Under the vq lock. */
static int pvblk_add(struct virtqueue *vq, struct pvblk_req *req, u32 type,
		     int nents)
{
	struct scatterlist hdr, status, *sgs[3];
	unsigned int out = 0, in = 0;
	bool data_in = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;

	sg_init_one(&hdr, &req->hdr, sizeof(req->hdr));
	sgs[out++] = &hdr;
	if (nents && !data_in)
		sgs[out++] = req->ranges ? req->sg : req->sgt.sgl;
	if (nents && data_in)
		sgs[out + in++] = req->sgt.sgl;
	sg_init_one(&status, &req->status, sizeof(req->status));
	sgs[out + in++] = &status;
	return virtqueue_add_sgs(vq, sgs, out, in, req, GFP_ATOMIC);
}

static blk_status_t pvblk_queue_rq(struct blk_mq_hw_ctx *hctx,
				   const struct blk_mq_queue_data *bd)
{
	struct pvblk *vblk = hctx->queue->queuedata;
	struct pvblk_vq *pvq = &vblk->vqs[hctx->queue_num];
	struct request *rq = bd->rq;
	struct pvblk_req *req = blk_mq_rq_to_pdu(rq);
	bool notify = false, broken = false;
	unsigned long flags;
	int nents, err;
	u32 type;

	if (!pvblk_type(rq, &type))
		return BLK_STS_NOTSUPP;
	nents = pvblk_map(vblk, rq, req, type);
	if (nents < 0) {
		pvblk_unmap(req);
		return BLK_STS_RESOURCE;
	}
	blk_mq_start_request(rq);

	spin_lock_irqsave(&pvq->lock, flags);
	if (pvq->stopped) {
		err = -ENODEV;
	} else if (READ_ONCE(vblk->broken)) {
		/* the kill path is on its way: leave the device alone */
		err = -EIO;
	} else {
		err = pvblk_add(pvq->vq, req, type, nents);
		/* a full ring: wait for a completion to restart the queue */
		if (err == -ENOSPC)
			blk_mq_stop_hw_queue(hctx);
		if ((!err && bd->last) || err == -ENOSPC)
			notify = virtqueue_kick_prepare(pvq->vq);
		broken = virtqueue_is_broken(pvq->vq);
	}
	spin_unlock_irqrestore(&pvq->lock, flags);

	if (notify)
		virtqueue_notify(pvq->vq);
	if (broken)
		schedule_work(&vblk->broken_work);
	if (!err)
		return BLK_STS_OK;
	pvblk_unmap(req);
	switch (err) {
	case -ENOSPC:
		return BLK_STS_DEV_RESOURCE;
	case -ENOMEM:
		return BLK_STS_RESOURCE;
	default:	/* -EIO from a broken ring, or a stopped device */
		return BLK_STS_IOERR;
	}
}

/* Kicks what queue_rq added without its last request. */
static void pvblk_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	struct pvblk *vblk = hctx->queue->queuedata;
	struct pvblk_vq *pvq = &vblk->vqs[hctx->queue_num];
	unsigned long flags;
	bool notify = false;

	spin_lock_irqsave(&pvq->lock, flags);
	if (!pvq->stopped)
		notify = virtqueue_kick_prepare(pvq->vq);
	spin_unlock_irqrestore(&pvq->lock, flags);
	if (notify)
		virtqueue_notify(pvq->vq);
}

/*
 * The device says it wrote @len bytes into a request that has room for
 * fewer: it cannot be trusted with any request any more. The request
 * fails. The first such length is logged here, before that failure
 * reaches its caller, since the kill path that resets the device runs
 * later, from a work item.
 */
static void pvblk_bad_len(struct pvblk *vblk, struct pvblk_req *req,
			  unsigned int len)
{
	if (atomic_cmpxchg(&vblk->bad_len_seen, 0, 1) == 0)
		dev_err(&vblk->vdev->dev,
			"%s: the device used %u bytes of a request with room for %u: failing all I/O\n",
			vblk->disk->disk_name, len, req->in_len);
	req->status = VIRTIO_BLK_S_IOERR;
}

/* The virtqueue callback: complete every used request. */
void pvblk_vq_done(struct virtqueue *vq)
{
	struct pvblk *vblk = vq->vdev->priv;
	struct pvblk_vq *pvq = &vblk->vqs[vq->index];
	bool done = false, broken = false;
	struct pvblk_req *req;
	unsigned long flags;
	unsigned int len;

	spin_lock_irqsave(&pvq->lock, flags);
	if (pvq->stopped || READ_ONCE(vblk->broken))
		goto out;
	do {
		virtqueue_disable_cb(vq);
		/* a used id the driver never issued breaks vq: NULL here */
		while (!broken && (req = virtqueue_get_buf(vq, &len))) {
			if (unlikely(len > req->in_len)) {
				pvblk_bad_len(vblk, req, len);
				broken = true;
			}
			blk_mq_complete_request(blk_mq_rq_from_pdu(req));
			done = true;
		}
		broken = broken || virtqueue_is_broken(vq);
	} while (!broken && !virtqueue_enable_cb(vq));
	/* no more requests in or out until the kill path resets it */
	if (broken)
		WRITE_ONCE(vblk->broken, true);
out:
	spin_unlock_irqrestore(&pvq->lock, flags);

	if (broken)
		schedule_work(&vblk->broken_work);
	if (done)
		blk_mq_start_stopped_hw_queues(vblk->disk->queue, true);
}

static void pvblk_complete(struct request *rq)
{
	struct pvblk_req *req = blk_mq_rq_to_pdu(rq);

	pvblk_unmap(req);
	blk_mq_end_request(rq, pvblk_status(req->status));
}

/*
 * A request the device sits on. A working device may be slow; a broken
 * virtqueue (a transport may break one without an interrupt) will never
 * answer, and the kill path fails its requests.
 */
static enum blk_eh_timer_return pvblk_timeout(struct request *rq)
{
	struct pvblk *vblk = rq->q->queuedata;

	if (READ_ONCE(vblk->broken) ||
	    virtqueue_is_broken(vblk->vqs[rq->mq_hctx->queue_num].vq))
		schedule_work(&vblk->broken_work);
	return BLK_EH_RESET_TIMER;
}

/* Each hardware queue on the CPUs its virtqueue's interrupt goes to. */
static void pvblk_map_queues(struct blk_mq_tag_set *set)
{
	struct pvblk *vblk = set->driver_data;

	blk_mq_virtio_map_queues(&set->map[HCTX_TYPE_DEFAULT], vblk->vdev, 0);
}

const struct blk_mq_ops pvblk_mq_ops = {
	.queue_rq = pvblk_queue_rq,
	.commit_rqs = pvblk_commit_rqs,
	.complete = pvblk_complete,
	.timeout = pvblk_timeout,
	.map_queues = pvblk_map_queues,
};

/*
 * Resets the device and fails every request it still held. Once a
 * queue is stopped, queue_rq and the callback leave its virtqueue alone,
 * so nothing races with the reaping. Under kill_lock (main.c).
 */
void pvblk_stop_device(struct pvblk *vblk)
{
	struct pvblk_req *req;
	unsigned int i;

	for (i = 0; i < vblk->nr_vqs; i++) {
		spin_lock_irq(&vblk->vqs[i].lock);
		vblk->vqs[i].stopped = true;
		spin_unlock_irq(&vblk->vqs[i].lock);
	}
	/* the device writes no buffer and raises no interrupt after this */
	virtio_reset_device(vblk->vdev);
	for (i = 0; i < vblk->nr_vqs; i++) {
		spin_lock_irq(&vblk->vqs[i].lock);
		while ((req = virtqueue_detach_unused_buf(vblk->vqs[i].vq))) {
			req->status = VIRTIO_BLK_S_IOERR;
			blk_mq_complete_request(blk_mq_rq_from_pdu(req));
		}
		spin_unlock_irq(&vblk->vqs[i].lock);
	}
	/* requests a full ring held back now fail in queue_rq */
	blk_mq_start_stopped_hw_queues(vblk->disk->queue, true);
}
