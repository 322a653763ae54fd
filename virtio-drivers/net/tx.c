// SPDX-License-Identifier: GPL-2.0
/*
 * The transmit path of pvkit_net.ko: an skb goes out as one chain, its
 * virtio-net header (kept in skb->cb) first, then its linear part and
 * fragments. Completed skbs are freed by the TX queue's NAPI (on the
 * device's interrupt) and by the next transmit; a queue stops while it
 * has no room for a whole skb and wakes when completions made some.
 */
#include <linux/netdevice.h>

#include "pvkit_net.h"

static struct pvnet_hdr *pvnet_skb_hdr(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct pvnet_hdr) > sizeof(skb->cb));
	return (struct pvnet_hdr *)skb->cb;
}

/*
 * Frees the skbs the device is done with; the TX queue's lock is held. A
 * used element the virtio core refused broke the queue: the device is
 * stopped from here, whichever caller met it first (once the queue is
 * broken, the core no longer calls back, so the NAPI would never see it).
 */
static void pvnet_tx_reclaim(struct pvnet_sq *sq, int budget)
{
	unsigned int len, packets = 0, bytes = 0;
	struct sk_buff *skb;

	while ((skb = virtqueue_get_buf(sq->vq, &len))) {
		packets++;
		bytes += skb->len;
		napi_consume_skb(skb, budget);
	}
	if (unlikely(virtqueue_is_broken(sq->vq)))
		pvnet_broken(sq->vi, 0, 0);
	if (!packets)
		return;
	u64_stats_update_begin(&sq->stats.syncp);
	u64_stats_add(&sq->stats.packets, packets);
	u64_stats_add(&sq->stats.bytes, bytes);
	u64_stats_update_end(&sq->stats.syncp);
}

static int pvnet_tx_add(struct pvnet_sq *sq, struct sk_buff *skb)
{
	struct pvnet_hdr *hdr = pvnet_skb_hdr(skb);
	int n;

	if (virtio_net_hdr_from_skb(skb, &hdr->hdr, true, false, 0))
		return -EPROTONOSUPPORT;
	hdr->num_buffers = 0;
	sg_init_table(sq->sg, skb_shinfo(skb)->nr_frags + 2);
	sg_set_buf(sq->sg, hdr, PVNET_HDR_LEN);
	n = skb_to_sgvec(skb, sq->sg + 1, 0, skb->len);
	/* an empty skb leaves sg[1] unmarked: two descriptors, one counted */
	if (unlikely(n <= 0))
		return n ? n : -EINVAL;
	return virtqueue_add_outbuf(sq->vq, sq->sg, n + 1, skb, GFP_ATOMIC);
}

netdev_tx_t pvnet_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct pvnet_info *vi = netdev_priv(dev);
	unsigned int qi = skb_get_queue_mapping(skb);
	struct netdev_queue *txq = netdev_get_tx_queue(dev, qi);
	struct pvnet_sq *sq = &vi->sq[qi];
	int err;

	pvnet_tx_reclaim(sq, 0);
	skb_tx_timestamp(skb);
	err = pvnet_tx_add(sq, skb);
	if (unlikely(err)) {
		net_dbg_ratelimited("%s: TX queue %u: cannot queue an skb: %d\n",
				    dev->name, qi, err);
		pvnet_count(&sq->stats, &sq->stats.drops, 1);
		dev_kfree_skb_any(skb);
	}
	/* room for the next skb, or wait for the completion interrupt */
	if (sq->vq->num_free < PVNET_TX_DESCS)
		netif_tx_stop_queue(txq);
	if ((!netdev_xmit_more() || netif_xmit_stopped(txq)) &&
	    virtqueue_kick_prepare(sq->vq) && virtqueue_notify(sq->vq))
		pvnet_count(&sq->stats, &sq->stats.kicks, 1);
	return NETDEV_TX_OK;
}

int pvnet_tx_poll(struct napi_struct *napi, int budget)
{
	struct pvnet_sq *sq = container_of(napi, struct pvnet_sq, napi);
	struct netdev_queue *txq;

	txq = netdev_get_tx_queue(sq->vi->dev, pvnet_vq_pair(sq->vq));
	__netif_tx_lock(txq, raw_smp_processor_id());
	pvnet_tx_reclaim(sq, budget);
	/* (a stopped device, detached, is never woken) */
	if (netif_tx_queue_stopped(txq) && netif_device_present(sq->vi->dev) &&
	    sq->vq->num_free >= PVNET_TX_DESCS)
		netif_tx_wake_queue(txq);
	/*
	 * Callbacks back on under the lock: the virtqueue is start_xmit's
	 * too. netpoll's budget 0: completions only, the NAPI stays scheduled.
	 */
	if (budget)
		pvnet_napi_complete(napi, sq->vq, 0);
	__netif_tx_unlock(txq);
	return 0;
}

/* After a reset: frees the skbs the device never completed. */
void pvnet_tx_free_unused(struct pvnet_sq *sq)
{
	struct sk_buff *skb;

	while ((skb = virtqueue_detach_unused_buf(sq->vq))) {
		pvnet_count(&sq->stats, &sq->stats.drops, 1);
		dev_kfree_skb(skb);
	}
}

void pvnet_tx_done(struct virtqueue *vq)
{
	struct pvnet_info *vi = vq->vdev->priv;

	pvnet_napi_schedule(&vi->sq[pvnet_vq_pair(vq)].napi, vq);
}
