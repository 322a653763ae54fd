// SPDX-License-Identifier: GPL-2.0
/*
 * The receive path of pvkit_net.ko: posting buffers to the RX queues and
 * turning what the device filled into skbs, in NAPI.
 *
 * Every buffer is made of whole pages. With VIRTIO_NET_F_MRG_RXBUF a
 * buffer is one page, compound of order vi->rx_order (the rx_buf_order
 * parameter, 16 KiB by default) when memory allows it, else a single
 * page, and a frame may span several (num_buffers in its header):
 * a 64 KiB GSO frame fills four such buffers where it would fill sixteen
 * single pages, so the device walks four descriptors for it and the skb
 * carries four fragments. Without MRG_RXBUF a buffer is a chain of
 * vi->rx_pages single pages, linked through page->private from the first
 * (the buffer's token), big enough for the largest frame the device may
 * send: 65562 bytes once guest TSO is negotiated, else the MTU's frame.
 * A frame of up to PVNET_COPY_WHOLE bytes is copied into the skb whole;
 * of a bigger one, the first PVNET_COPY_LEN bytes are, and the rest stays
 * in its pages, which become the skb's fragments. Pages a frame left
 * unused are kept on the queue's spare list for the next buffers. A used
 * length past the buffer it names is the device's fault, not a bad
 * frame: the device is stopped (pvnet_broken()).
 */
#include <linux/etherdevice.h>
#include <linux/mm.h>

#include "pvkit_net.h"

static struct page *pvnet_page_next(struct page *page)
{
	struct page *next = (struct page *)page_private(page);

	set_page_private(page, 0);
	return next;
}

/* Puts the chain @page (page->private links) on @rq's spare list. */
static void pvnet_pages_put(struct pvnet_rq *rq, struct page *page)
{
	struct page *next;

	for (; page; page = next) {
		next = pvnet_page_next(page);
		set_page_private(page, (unsigned long)rq->spare);
		rq->spare = page;
	}
}

/*
 * A page for @rq's next buffer: a spare one, else a new one, compound of
 * order vi->rx_order if memory allows it at once, else a single page.
 */
static struct page *pvnet_page_get(struct pvnet_rq *rq, gfp_t gfp)
{
	unsigned int order = rq->vi->rx_order;
	struct page *page = rq->spare;

	if (page) {
		rq->spare = pvnet_page_next(page);
		return page;
	}
	if (order) {
		page = alloc_pages(gfp | __GFP_COMP | __GFP_NOWARN |
				   __GFP_NORETRY, order);
		if (page)
			return page;
	}
	return alloc_page(gfp);
}

static void pvnet_pages_free(struct page *page)
{
	struct page *next;

	for (; page; page = next) {
		next = pvnet_page_next(page);
		put_page(page);
	}
}

/* Posts one buffer to @rq: 0, -ENOSPC when the ring is full, or -ENOMEM. */
static int pvnet_rx_add(struct pvnet_rq *rq, gfp_t gfp)
{
	unsigned int i, n = rq->vi->mergeable ? 1 : rq->vi->rx_pages;
	struct page *first = NULL, *page;
	int err;

	sg_init_table(rq->sg, n);
	for (i = n; i-- > 0;) {
		page = pvnet_page_get(rq, gfp);
		if (!page) {
			pvnet_pages_put(rq, first);
			return -ENOMEM;
		}
		set_page_private(page, (unsigned long)first);
		first = page;
		sg_set_page(&rq->sg[i], page, page_size(page), 0);
	}
	err = virtqueue_add_inbuf(rq->vq, rq->sg, n, first, gfp);
	if (err)
		pvnet_pages_put(rq, first);
	return err;
}

/*
 * Fills @rq's ring with buffers and tells the device. False when memory
 * ran out first (the caller retries later).
 */
bool pvnet_rx_fill(struct pvnet_rq *rq, gfp_t gfp)
{
	bool added = false;
	int err;

	while (!(err = pvnet_rx_add(rq, gfp)))
		added = true;
	if (added && virtqueue_kick_prepare(rq->vq) && virtqueue_notify(rq->vq))
		pvnet_count(&rq->stats, &rq->stats.kicks, 1);
	return err != -ENOMEM;
}

/*
 * An skb for a frame whose first @len bytes, header included, are in
 * @page, the whole frame if @whole; NULL when memory ran out (@page is
 * then still the caller's). A whole frame of up to PVNET_COPY_WHOLE
 * bytes is copied and its page kept for another buffer, so that a small
 * frame does not hold (and count as) a big buffer in a socket's queue.
 */
static struct sk_buff *pvnet_skb_start(struct pvnet_rq *rq, struct page *page,
				       unsigned int len, bool whole)
{
	unsigned int copy = len - PVNET_HDR_LEN;
	u8 *data = page_address(page);
	struct sk_buff *skb;

	if (!whole || copy > PVNET_COPY_WHOLE)
		copy = min_t(unsigned int, copy, PVNET_COPY_LEN);
	skb = napi_alloc_skb(&rq->napi, copy);
	if (!skb)
		return NULL;
	skb_put_data(skb, data + PVNET_HDR_LEN, copy);
	if (len > PVNET_HDR_LEN + copy)
		skb_add_rx_frag(skb, 0, page, PVNET_HDR_LEN + copy,
				len - PVNET_HDR_LEN - copy, page_size(page));
	else
		pvnet_pages_put(rq, page);
	return skb;
}

/* Appends @len bytes of @page to @skb; false (page not taken) when full. */
static bool pvnet_skb_append(struct sk_buff *skb, struct page *page,
			     unsigned int len)
{
	int i = skb_shinfo(skb)->nr_frags;

	if (i >= MAX_SKB_FRAGS)
		return false;
	skb_add_rx_frag(skb, i, page, 0, len, page_size(page));
	return true;
}

/* Bytes the RX buffer of @rq that starts with @page holds. */
static unsigned int pvnet_rx_room(const struct pvnet_rq *rq,
				  struct page *page)
{
	return rq->vi->mergeable ? page_size(page) :
				   rq->vi->rx_pages * PAGE_SIZE;
}

/*
 * A frame of @len bytes in the page chain @page (no MRG_RXBUF); the
 * caller checked that @len fits the chain.
 */
static struct sk_buff *pvnet_rx_chain(struct pvnet_rq *rq, struct page *page,
				      unsigned int len)
{
	unsigned int take = min_t(unsigned int, len, PAGE_SIZE);
	struct page *next = (struct page *)page_private(page);
	struct sk_buff *skb;

	set_page_private(page, 0);
	skb = pvnet_skb_start(rq, page, take, take == len);
	if (!skb) {
		set_page_private(page, (unsigned long)next);
		pvnet_pages_put(rq, page);
		return NULL;
	}
	for (len -= take; len; len -= take) {
		page = next;
		next = pvnet_page_next(page);
		take = min_t(unsigned int, len, PAGE_SIZE);
		/* rx_pages <= MAX_SKB_FRAGS, so this always has room */
		pvnet_skb_append(skb, page, take);
	}
	pvnet_pages_put(rq, next);
	return skb;
}

/*
 * A frame that starts with @len bytes in @page and goes on in the next
 * num_buffers - 1 used buffers (MRG_RXBUF). All of them are taken off
 * the ring even when the frame is dropped.
 */
static struct sk_buff *pvnet_rx_merged(struct pvnet_rq *rq, struct page *page,
				       unsigned int len, u16 nbufs)
{
	struct net_device *dev = rq->vi->dev;
	struct sk_buff *skb;

	skb = pvnet_skb_start(rq, page, len, nbufs == 1);
	if (!skb)
		pvnet_pages_put(rq, page);
	while (--nbufs > 0) {
		page = virtqueue_get_buf(rq->vq, &len);
		if (!page) {
			netdev_dbg(dev, "RX frame ends %u buffers short\n", nbufs);
			dev_kfree_skb_any(skb);
			skb = NULL;
			break;
		}
		if (unlikely(len > page_size(page))) {
			pvnet_broken(rq->vi, len, page_size(page));
			dev_kfree_skb_any(skb);
			skb = NULL;
		}
		if (skb && !pvnet_skb_append(skb, page, len)) {
			dev_kfree_skb_any(skb);
			skb = NULL;
		}
		if (!skb)
			pvnet_pages_put(rq, page);
	}
	if (!skb)
		dev->stats.rx_length_errors++;
	return skb;
}

/* One used buffer of @len bytes: a frame for the stack, or a drop. */
static void pvnet_receive(struct pvnet_rq *rq, struct page *page,
			  unsigned int len)
{
	struct net_device *dev = rq->vi->dev;
	struct pvnet_hdr hdr;
	struct sk_buff *skb;

	/* a merged frame's buffers are taken off the ring even if it is short */
	if (unlikely(len < PVNET_HDR_LEN + (rq->vi->mergeable ? 0 : ETH_HLEN))) {
		netdev_dbg(dev, "RX frame of %u bytes: too short\n", len);
		dev->stats.rx_length_errors++;
		pvnet_pages_put(rq, page);
		goto drop;
	}
	memcpy(&hdr, page_address(page), sizeof(hdr));
	if (rq->vi->mergeable)
		skb = pvnet_rx_merged(rq, page, len,
				      max_t(u16, 1, __virtio16_to_cpu(true, hdr.num_buffers)));
	else
		skb = pvnet_rx_chain(rq, page, len);
	if (!skb)
		goto drop;
	if (unlikely(!pskb_may_pull(skb, ETH_HLEN))) {
		netdev_dbg(dev, "RX frame of %u bytes: too short\n", skb->len);
		dev->stats.rx_length_errors++;
		dev_kfree_skb_any(skb);
		goto drop;
	}

	if (hdr.hdr.flags & VIRTIO_NET_HDR_F_DATA_VALID)
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	if (virtio_net_hdr_to_skb(skb, &hdr.hdr, true)) {
		netdev_dbg(dev, "RX frame with a bad virtio-net header\n");
		dev->stats.rx_frame_errors++;
		dev_kfree_skb_any(skb);
		goto drop;
	}
	skb_record_rx_queue(skb, pvnet_vq_pair(rq->vq));
	skb->protocol = eth_type_trans(skb, dev);

	u64_stats_update_begin(&rq->stats.syncp);
	u64_stats_inc(&rq->stats.packets);
	u64_stats_add(&rq->stats.bytes, skb->len);
	u64_stats_update_end(&rq->stats.syncp);
	napi_gro_receive(&rq->napi, skb);
	return;
drop:
	pvnet_count(&rq->stats, &rq->stats.drops, 1);
}

/* Fills the RX rings in pvnet_rx_refill_work() after @delay, if open. */
static void pvnet_refill_later(struct pvnet_info *vi, unsigned long delay)
{
	unsigned long flags;

	spin_lock_irqsave(&vi->lock, flags);
	if (vi->refill_enabled)
		schedule_delayed_work(&vi->refill, delay);
	spin_unlock_irqrestore(&vi->lock, flags);
}

int pvnet_rx_poll(struct napi_struct *napi, int budget)
{
	struct pvnet_rq *rq = container_of(napi, struct pvnet_rq, napi);
	struct pvnet_info *vi = rq->vi;
	unsigned int len;
	struct page *page;
	int done = 0;

	while (done < budget && (page = virtqueue_get_buf(rq->vq, &len))) {
		if (likely(len <= pvnet_rx_room(rq, page) &&
			   !READ_ONCE(vi->broken))) {
			pvnet_receive(rq, page, len);
		} else {
			/* nothing more from a device that broke the rules */
			if (len > pvnet_rx_room(rq, page))
				pvnet_broken(vi, len, pvnet_rx_room(rq, page));
			pvnet_pages_put(rq, page);
			pvnet_count(&rq->stats, &rq->stats.drops, 1);
		}
		done++;
	}
	if (unlikely(virtqueue_is_broken(rq->vq)))
		pvnet_broken(vi, 0, 0);
	if (rq->vq->num_free > virtqueue_get_vring_size(rq->vq) / 2 &&
	    !pvnet_rx_fill(rq, GFP_ATOMIC))
		pvnet_refill_later(vi, 0);
	if (done < budget)
		pvnet_napi_complete(napi, rq->vq, done);
	return done;
}

/* Memory ran out in NAPI: fill the RX rings where sleeping is allowed. */
void pvnet_rx_refill_work(struct work_struct *work)
{
	struct pvnet_info *vi = container_of(work, struct pvnet_info,
					     refill.work);
	bool again = false;
	unsigned int i;

	for (i = 0; i < vi->pairs; i++) {
		struct pvnet_rq *rq = &vi->rq[i];

		napi_disable(&rq->napi);
		again |= !pvnet_rx_fill(rq, GFP_KERNEL);
		napi_enable(&rq->napi);
		local_bh_disable();
		pvnet_napi_schedule(&rq->napi, rq->vq);
		local_bh_enable();
	}
	if (again)
		pvnet_refill_later(vi, HZ / 2);
}

/* After a reset: frees the buffers still posted and the spare pages. */
void pvnet_rx_free_unused(struct pvnet_rq *rq)
{
	struct page *page;

	while ((page = virtqueue_detach_unused_buf(rq->vq)))
		pvnet_pages_free(page);
	pvnet_pages_free(rq->spare);
	rq->spare = NULL;
}

void pvnet_rx_done(struct virtqueue *vq)
{
	struct pvnet_info *vi = vq->vdev->priv;

	pvnet_napi_schedule(&vi->rq[pvnet_vq_pair(vq)].napi, vq);
}
