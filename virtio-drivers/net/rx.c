// SPDX-License-Identifier: GPL-2.0
/*
 * The receive path of pvkit_net.ko: posting buffers to the RX queues and
 * turning what the device filled into skbs, in NAPI.
 *
 * With VIRTIO_NET_F_MRG_RXBUF a buffer is sized by the mean length of the
 * frames the queue received (from PVNET_MRG_MIN, a standard frame, up to
 * vi->rx_buf_max, 64 KiB unless the rx_buf_order parameter says less),
 * so that bulk TCP gets a 64 KiB GSO frame in one or two buffers while
 * mid-sized frames are not charged as 64 KiB. Buffers are cut from a
 * 64 KiB compound page, one after another (when memory cannot give one
 * at once, a page about the buffer's size, else a single page, is a
 * buffer of its own), and a buffer's size is its context in the ring. A
 * frame may span several (num_buffers in its header). The device fills
 * buffers in the order they were posted, so those of one frame are
 * mostly adjacent in one page and become one skb fragment: a 64 KiB GSO
 * frame is one or two, which leaves GRO and TCP room to append the next
 * frames' fragments to the skb. Each buffer holds a reference to its
 * page. Without MRG_RXBUF a buffer is a chain of vi->rx_pages single
 * pages, linked through page->private from the first (the buffer's
 * token), big enough for the largest frame the device may send: 65562
 * bytes once guest TSO is negotiated, else the MTU's frame. Either way a
 * queue posts PVNET_RX_POSTED_MAX bytes of buffers at most, however big
 * its ring.
 * A frame of up to PVNET_COPY_WHOLE bytes is copied into the skb whole;
 * of a bigger one, only the Ethernet header is, and the rest stays in its
 * buffers, which become the skb's fragments (the stack pulls the other
 * headers into the skb's head as it reads them: payload left in a
 * kmalloc'ed head would keep GRO and TCP from merging the next frame's
 * fragments into this skb). Buffers a frame left unused are kept on the
 * queue's spare list for the next ones, if their size still fits. A used
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

/* A single page for @rq's next page chain: a spare one, else a new one. */
static struct page *pvnet_page_get(struct pvnet_rq *rq, gfp_t gfp)
{
	struct page *page = rq->spare;

	if (page) {
		rq->spare = pvnet_page_next(page);
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

/*
 * A mergeable RX buffer on a queue's spare list: its first words link it
 * and say how big it is (PVNET_MRG_MIN and PAGE_SIZE are bigger).
 */
struct pvnet_spare_buf {
	struct pvnet_spare_buf *next;
	unsigned int room;
};

/* Puts mergeable RX buffer @buf of @room bytes, and its page reference, on the spare list. */
static void pvnet_buf_put(struct pvnet_rq *rq, void *buf, unsigned int room)
{
	struct pvnet_spare_buf *spare = buf;

	spare->next = rq->spare_buf;
	spare->room = room;
	rq->spare_buf = spare;
}

/* Drops the page reference of mergeable RX buffer @buf. */
static void pvnet_buf_free(void *buf)
{
	put_page(virt_to_head_page(buf));
}

/*
 * A compound page of @order if memory has one at once: no direct reclaim
 * or compaction for it (kswapd may be woken), as there is a fallback.
 */
static struct page *pvnet_alloc_compound(gfp_t gfp, unsigned int order)
{
	gfp &= ~__GFP_DIRECT_RECLAIM;
	return alloc_pages(gfp | __GFP_COMP | __GFP_NOWARN | __GFP_NORETRY,
			   order);
}

/*
 * Bytes of @rq's next new mergeable RX buffer: the header and the mean
 * frame it received, from PVNET_MRG_MIN to the device's largest buffer.
 */
static unsigned int pvnet_buf_want(struct pvnet_rq *rq)
{
	unsigned long len = ewma_pvnet_frame_len_read(&rq->frame_len);

	len = clamp_t(unsigned long, PVNET_HDR_LEN + len, PVNET_MRG_MIN,
		      rq->vi->rx_buf_max);
	return ALIGN(len, PVNET_MRG_ALIGN);
}

/*
 * A mergeable RX buffer for @rq, its size in @room: a spare one unless
 * its size is off by more than half or twice what pvnet_buf_want() asks
 * (those are freed: the buffers posted follow the frames both ways, and
 * a frame does not scatter over small ones), else the next one cut from
 * the current 64 KiB page (with the page's tail when less than another
 * buffer would be left and the two fit the largest buffer; a tail under
 * PVNET_MRG_MIN stays unused), else the first of a new one; when memory
 * has no 64 KiB at once, a page of about the buffer's size, else a
 * single page. The buffer holds a reference to its page; the queue
 * holds one more while it cuts from it.
 */
static void *pvnet_buf_get(struct pvnet_rq *rq, gfp_t gfp, unsigned int *room)
{
	unsigned int want = pvnet_buf_want(rq), order, left;
	struct pvnet_spare_buf *spare;
	struct page *page;
	void *buf;

	while ((spare = rq->spare_buf)) {
		rq->spare_buf = spare->next;
		*room = spare->room;
		if (*room < 2 * want && 2 * *room >= want)
			return spare;
		pvnet_buf_free(spare);
	}
	if (!rq->cut_page) {
		page = pvnet_alloc_compound(gfp, PVNET_MRG_PAGE_ORDER);
		if (!page) {
			order = get_order(want);
			page = order && order < PVNET_MRG_PAGE_ORDER ?
			       pvnet_alloc_compound(gfp, order) : NULL;
			if (!page)
				page = alloc_page(gfp);
			if (!page)
				return NULL;
			*room = page_size(page);
			return page_address(page);
		}
		rq->cut_page = page;
		rq->cut_off = 0;
	}
	/* at least PVNET_MRG_MIN is left, and want <= rx_buf_max */
	page = rq->cut_page;
	buf = page_address(page) + rq->cut_off;
	left = page_size(page) - rq->cut_off;
	*room = left < 2 * want && left <= rq->vi->rx_buf_max ? left : want;
	rq->cut_off += *room;
	if (left - *room < PVNET_MRG_MIN)
		rq->cut_page = NULL;	/* its reference goes to this buffer */
	else
		get_page(page);
	return buf;
}

/* Posts one buffer to @rq: 0, -ENOSPC when the ring is full, or -ENOMEM. */
static int pvnet_rx_add(struct pvnet_rq *rq, gfp_t gfp)
{
	unsigned int i, n = rq->vi->rx_pages, room;
	struct page *first = NULL, *page;
	void *buf;
	int err;

	if (rq->vi->mergeable) {
		buf = pvnet_buf_get(rq, gfp, &room);
		if (!buf)
			return -ENOMEM;
		sg_init_one(rq->sg, buf, room);
		/* the context is the buffer's size */
		err = virtqueue_add_inbuf_ctx(rq->vq, rq->sg, 1, buf,
					      (void *)(unsigned long)room, gfp);
		if (err)
			pvnet_buf_put(rq, buf, room);
		else
			WRITE_ONCE(rq->posted_bytes, rq->posted_bytes + room);
		return err;
	}
	sg_init_table(rq->sg, n);
	for (i = n; i-- > 0;) {
		page = pvnet_page_get(rq, gfp);
		if (!page) {
			pvnet_pages_put(rq, first);
			return -ENOMEM;
		}
		set_page_private(page, (unsigned long)first);
		first = page;
		sg_set_page(&rq->sg[i], page, PAGE_SIZE, 0);
	}
	err = virtqueue_add_inbuf(rq->vq, rq->sg, n, first, gfp);
	if (err)
		pvnet_pages_put(rq, first);
	else
		WRITE_ONCE(rq->posted_bytes,
			   rq->posted_bytes + n * PAGE_SIZE);
	return err;
}

static unsigned int pvnet_rx_posted(const struct pvnet_rq *rq)
{
	return virtqueue_get_vring_size(rq->vq) - rq->vq->num_free;
}

/*
 * Whether @rq has fewer buffers posted than 1/@part of what it keeps:
 * the whole ring, but no more than PVNET_RX_POSTED_MAX bytes of them.
 */
static bool pvnet_rx_short(const struct pvnet_rq *rq, unsigned int part)
{
	return pvnet_rx_posted(rq) < virtqueue_get_vring_size(rq->vq) / part &&
	       rq->posted_bytes < PVNET_RX_POSTED_MAX / part;
}

/*
 * Fills @rq's ring with buffers, as many as pvnet_rx_short() asks for,
 * and tells the device. False when memory ran out first (the caller
 * retries later).
 */
bool pvnet_rx_fill(struct pvnet_rq *rq, gfp_t gfp)
{
	bool added = false;
	int err = 0;

	while (pvnet_rx_short(rq, 1) && !(err = pvnet_rx_add(rq, gfp)))
		added = true;
	if (added && virtqueue_kick_prepare(rq->vq) && virtqueue_notify(rq->vq))
		pvnet_count(&rq->stats, &rq->stats.kicks, 1);
	return err != -ENOMEM;
}

/*
 * The next buffer the device filled on @rq: its token, the bytes it
 * wrote in @len and the buffer's size in @room; NULL when there is none.
 */
static void *pvnet_rx_take(struct pvnet_rq *rq, unsigned int *len,
			   unsigned int *room)
{
	void *ctx = NULL, *token;

	token = virtqueue_get_buf_ctx(rq->vq, len, &ctx);
	if (!token)
		return NULL;
	if (rq->vi->mergeable)
		*room = (unsigned long)ctx;
	else
		*room = rq->vi->rx_pages * PAGE_SIZE;
	/* ethtool -S reads it unlocked */
	WRITE_ONCE(rq->posted_bytes, rq->posted_bytes - *room);
	rq->taken++;
	rq->taken_bytes += *room;
	return token;
}

/* Gives the RX buffer @token of @room bytes (a used one of @rq) back for reuse. */
static void pvnet_rx_recycle(struct pvnet_rq *rq, void *token,
			     unsigned int room)
{
	if (rq->vi->mergeable)
		pvnet_buf_put(rq, token, room);
	else
		pvnet_pages_put(rq, token);
}

/*
 * Appends @len bytes at @data, in a buffer of @truesize bytes that holds
 * a reference to its page, to @skb: as one with the last fragment when
 * they follow it in the same page. False (the reference still the
 * caller's) when the skb has no fragment left.
 */
static bool pvnet_skb_append(struct sk_buff *skb, void *data,
			     unsigned int len, unsigned int truesize)
{
	struct page *page = virt_to_head_page(data);
	unsigned int off = data - page_address(page);
	int i = skb_shinfo(skb)->nr_frags;

	if (skb_can_coalesce(skb, i, page, off)) {
		skb_coalesce_rx_frag(skb, i - 1, len, truesize);
		put_page(page);
		return true;
	}
	if (i >= MAX_SKB_FRAGS)
		return false;
	skb_add_rx_frag(skb, i, page, off, len, truesize);
	return true;
}

/*
 * Appends @len bytes at @data, in a buffer of @truesize bytes, to the
 * frame @head whose last skb is *@tail: when *@tail has no fragment left
 * (a frame over many buffers that do not follow each other in a page), to
 * a new skb on @head's frag_list, which becomes *@tail. False (the
 * reference still the caller's) when memory for that skb ran out.
 */
static bool pvnet_frame_append(struct sk_buff *head, struct sk_buff **tail,
			       void *data, unsigned int len,
			       unsigned int truesize)
{
	struct sk_buff *nskb;

	if (!pvnet_skb_append(*tail, data, len, truesize)) {
		nskb = alloc_skb(0, GFP_ATOMIC);
		if (!nskb)
			return false;
		if (*tail == head)
			skb_shinfo(head)->frag_list = nskb;
		else
			(*tail)->next = nskb;
		*tail = nskb;
		/* an empty skb: room for a fragment */
		pvnet_skb_append(nskb, data, len, truesize);
	}
	/* the head counts what its frag_list holds */
	if (*tail != head) {
		head->data_len += len;
		head->len += len;
		head->truesize += truesize;
	}
	return true;
}

/*
 * An skb for a frame whose first @len bytes, header included, are in the
 * buffer @token of @truesize bytes starting at @data, the whole frame if
 * @whole; NULL when memory ran out (the buffer is then still the
 * caller's). A whole frame of up to PVNET_COPY_WHOLE bytes is copied and
 * its buffer recycled, so that a small frame does not hold (and count
 * as) a big buffer in a socket's queue.
 */
static struct sk_buff *pvnet_skb_start(struct pvnet_rq *rq, void *token,
				       u8 *data, unsigned int len,
				       unsigned int truesize, bool whole)
{
	unsigned int copy = len - PVNET_HDR_LEN, room = copy;
	struct sk_buff *skb;

	if (!whole || copy > PVNET_COPY_WHOLE) {
		copy = min_t(unsigned int, copy, ETH_HLEN);
		room = PVNET_HEAD_ROOM;
	}
	skb = napi_alloc_skb(&rq->napi, room);
	if (!skb)
		return NULL;
	skb_put_data(skb, data + PVNET_HDR_LEN, copy);
	if (len > PVNET_HDR_LEN + copy)
		/* a new skb: room for a fragment */
		pvnet_skb_append(skb, data + PVNET_HDR_LEN + copy,
				 len - PVNET_HDR_LEN - copy, truesize);
	else
		pvnet_rx_recycle(rq, token, truesize);
	return skb;
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
	skb = pvnet_skb_start(rq, page, page_address(page), take, PAGE_SIZE,
			      take == len);
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
		pvnet_skb_append(skb, page_address(page), take, PAGE_SIZE);
	}
	pvnet_pages_put(rq, next);
	return skb;
}

/*
 * A frame that starts with @len bytes in buffer @buf of @room bytes and
 * goes on in the next num_buffers - 1 used buffers (MRG_RXBUF). All of
 * them are taken off the ring even when the frame is dropped.
 */
static struct sk_buff *pvnet_rx_merged(struct pvnet_rq *rq, void *buf,
				       unsigned int len, unsigned int room,
				       u16 nbufs)
{
	struct net_device *dev = rq->vi->dev;
	struct sk_buff *skb, *tail;

	skb = pvnet_skb_start(rq, buf, buf, len, room, nbufs == 1);
	if (!skb)
		pvnet_buf_put(rq, buf, room);
	tail = skb;
	while (--nbufs > 0) {
		buf = pvnet_rx_take(rq, &len, &room);
		if (!buf) {
			netdev_dbg(dev, "RX frame ends %u buffers short\n", nbufs);
			dev_kfree_skb_any(skb);
			skb = NULL;
			break;
		}
		if (unlikely(len > room)) {
			pvnet_broken(rq->vi, len, room);
			dev_kfree_skb_any(skb);
			skb = NULL;
		}
		if (skb && !pvnet_frame_append(skb, &tail, buf, len, room)) {
			dev_kfree_skb_any(skb);
			skb = NULL;
		}
		if (!skb)
			pvnet_buf_put(rq, buf, room);
	}
	if (!skb)
		DEV_STATS_INC(dev, rx_length_errors);
	return skb;
}

/*
 * One used buffer @token (a buffer address with MRG_RXBUF, else the first
 * page of a chain) of @room bytes, @len of them written: a frame for the
 * stack, or a drop.
 */
static void pvnet_receive(struct pvnet_rq *rq, void *token, unsigned int len,
			  unsigned int room)
{
	void *data = rq->vi->mergeable ? token : page_address(token);
	struct net_device *dev = rq->vi->dev;
	struct pvnet_hdr hdr;
	struct sk_buff *skb;

	/* a merged frame's buffers are taken off the ring even if it is short */
	if (unlikely(len < PVNET_HDR_LEN + (rq->vi->mergeable ? 0 : ETH_HLEN))) {
		netdev_dbg(dev, "RX frame of %u bytes: too short\n", len);
		DEV_STATS_INC(dev, rx_length_errors);
		pvnet_rx_recycle(rq, token, room);
		goto drop;
	}
	memcpy(&hdr, data, sizeof(hdr));
	if (rq->vi->mergeable)
		skb = pvnet_rx_merged(rq, token, len, room,
				      max_t(u16, 1, __virtio16_to_cpu(true, hdr.num_buffers)));
	else
		skb = pvnet_rx_chain(rq, token, len);
	if (!skb)
		goto drop;
	if (unlikely(!pskb_may_pull(skb, ETH_HLEN))) {
		netdev_dbg(dev, "RX frame of %u bytes: too short\n", skb->len);
		DEV_STATS_INC(dev, rx_length_errors);
		dev_kfree_skb_any(skb);
		goto drop;
	}
	ewma_pvnet_frame_len_add(&rq->frame_len, skb->len);

	if (hdr.hdr.flags & VIRTIO_NET_HDR_F_DATA_VALID)
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	if (virtio_net_hdr_to_skb(skb, &hdr.hdr, true)) {
		netdev_dbg(dev, "RX frame with a bad virtio-net header\n");
		DEV_STATS_INC(dev, rx_frame_errors);
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
	unsigned int len, room;
	void *token;
	int done = 0;

	while (done < budget && (token = pvnet_rx_take(rq, &len, &room))) {
		if (likely(len <= room && !READ_ONCE(vi->broken))) {
			pvnet_receive(rq, token, len, room);
		} else {
			/* nothing more from a device that broke the rules */
			if (len > room)
				pvnet_broken(vi, len, room);
			pvnet_rx_recycle(rq, token, room);
			pvnet_count(&rq->stats, &rq->stats.drops, 1);
		}
		done++;
	}
	if (rq->taken) {
		u64_stats_update_begin(&rq->stats.syncp);
		u64_stats_add(&rq->stats.buffers, rq->taken);
		u64_stats_add(&rq->stats.buffer_bytes, rq->taken_bytes);
		u64_stats_update_end(&rq->stats.syncp);
		rq->taken = 0;
		rq->taken_bytes = 0;
	}
	if (unlikely(virtqueue_is_broken(rq->vq)))
		pvnet_broken(vi, 0, 0);
	if (pvnet_rx_short(rq, 2) && !pvnet_rx_fill(rq, GFP_ATOMIC))
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

/* After a reset: frees the buffers still posted and the spare ones. */
void pvnet_rx_free_unused(struct pvnet_rq *rq)
{
	struct pvnet_spare_buf *spare;
	void *token;

	while ((token = virtqueue_detach_unused_buf(rq->vq))) {
		if (rq->vi->mergeable)
			pvnet_buf_free(token);
		else
			pvnet_pages_free(token);
	}
	WRITE_ONCE(rq->posted_bytes, 0);
	pvnet_pages_free(rq->spare);
	rq->spare = NULL;
	while ((spare = rq->spare_buf)) {
		rq->spare_buf = spare->next;
		pvnet_buf_free(spare);
	}
	if (rq->cut_page)
		put_page(rq->cut_page);
	rq->cut_page = NULL;
}

void pvnet_rx_done(struct virtqueue *vq)
{
	struct pvnet_info *vi = vq->vdev->priv;

	pvnet_napi_schedule(&vi->rq[pvnet_vq_pair(vq)].napi, vq);
}
