/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of pvkit_net.ko, shared between its files: the
 * device, its queue pairs and their counters, and what the probe, RX,
 * TX, control-queue and ethtool parts offer each other.
 */
#ifndef _PVKIT_NET_H
#define _PVKIT_NET_H

#include <linux/average.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/scatterlist.h>
#include <linux/skbuff.h>
#include <linux/u64_stats_sync.h>
#include <linux/virtio.h>
#include <linux/virtio_net.h>
#include <linux/workqueue.h>

#define PVNET_DRV_NAME		"pvkit_net"

/*
 * The one header format, VIRTIO_F_VERSION_1's struct virtio_net_hdr_v1,
 * seen through its equal, struct virtio_net_hdr_mrg_rxbuf, whose first
 * member is what virtio_net_hdr_{to,from}_skb() take. Little endian.
 */
#define pvnet_hdr		virtio_net_hdr_mrg_rxbuf
#define PVNET_HDR_LEN		sizeof(struct pvnet_hdr)

/* Largest frame the device may hand over with guest TSO (virtio 5.1.6.3.1). */
#define PVNET_BIG_FRAME		65562

/*
 * Room in a received skb's linear part for the headers of a frame that is
 * not copied whole: only its Ethernet header is copied, the rest is pulled
 * by the stack when it reads them, so the payload stays in page fragments
 * that GRO and TCP can merge with the next frame's.
 */
#define PVNET_HEAD_ROOM		128

/*
 * A received frame this big or smaller (a standard Ethernet frame with a
 * VLAN tag) is copied whole, leaving its buffer free for the next frame.
 */
#define PVNET_COPY_WHOLE	(ETH_FRAME_LEN + VLAN_HLEN)

/*
 * Page order of the largest mergeable RX buffer by default, and at most
 * (64 KiB: nearly the biggest frame in one buffer); the rx_buf_order module
 * parameter picks one for the devices bound after. Below it, a queue
 * sizes its buffers from the mean length of the frames it received.
 */
#define PVNET_MRG_ORDER		4
#define PVNET_MRG_ORDER_MAX	4

/*
 * The smallest mergeable RX buffer holds a frame that is copied whole,
 * and all of them start on a cache line.
 */
#define PVNET_MRG_ALIGN		SMP_CACHE_BYTES
#define PVNET_MRG_MIN		ALIGN(PVNET_HDR_LEN + PVNET_COPY_WHOLE, \
				      PVNET_MRG_ALIGN)

/*
 * Page order of the compound pages mergeable RX buffers are cut from
 * (64 KiB): the buffers a frame fills one after another are then mostly
 * adjacent in one page and become one skb fragment.
 */
#define PVNET_MRG_PAGE_ORDER	4

/*
 * Bytes of RX buffers posted to one queue at most, whatever the ring's
 * size: 64 mergeable buffers of 64 KiB or a full ring of 256 small ones;
 * 61 chains of 17 pages (rather than 256, 17 MiB) without MRG_RXBUF.
 */
#define PVNET_RX_POSTED_MAX	(4U << 20)

/*
 * Running mean of a queue's received frame lengths, a new frame weighing
 * 1/64: what its next mergeable RX buffers are sized by.
 */
DECLARE_EWMA(pvnet_frame_len, 0, 64)

/* A transmitted skb needs this many descriptors at most. */
#define PVNET_TX_DESCS		((unsigned int)MAX_SKB_FRAGS + 2)

/* Per-queue counters, read by ndo_get_stats64 and ethtool -S. */
struct pvnet_qstats {
	struct u64_stats_sync syncp;
	u64_stats_t packets;
	u64_stats_t bytes;
	u64_stats_t drops;
	u64_stats_t kicks;
	u64_stats_t buffers;	/* RX: buffers the device filled */
	u64_stats_t buffer_bytes;	/* RX: ... and their sizes summed */
};

/* Counters of a TX queue, and of an RX queue (two more: buffers). */
#define PVNET_QSTATS_N		4
#define PVNET_RX_QSTATS_N	6

struct pvnet_spare_buf;

struct pvnet_rq {
	struct virtqueue *vq;
	struct napi_struct napi;
	struct pvnet_info *vi;
	struct pvnet_qstats stats;
	/* pages that came back unused, linked by page->private (no MRG) */
	struct page *spare;
	/* MRG_RXBUF: buffers that came back unused (struct pvnet_spare_buf) */
	struct pvnet_spare_buf *spare_buf;
	/* MRG_RXBUF: the page buffers are being cut from, and where next */
	struct page *cut_page;
	unsigned int cut_off;
	/* bytes of buffers posted (ethtool -S rxN_posted_bytes) */
	unsigned int posted_bytes;
	/* MRG_RXBUF: the mean length of the frames received */
	struct ewma_pvnet_frame_len frame_len;
	/* buffers taken off the ring in this NAPI poll, and their bytes */
	unsigned int taken;
	unsigned int taken_bytes;
	struct scatterlist sg[MAX_SKB_FRAGS];
	char name[20];		/* "input.N" */
};

struct pvnet_sq {
	struct virtqueue *vq;
	struct napi_struct napi;
	struct pvnet_info *vi;
	struct pvnet_qstats stats;
	struct scatterlist sg[PVNET_TX_DESCS];
	char name[20];		/* "output.N" */
};

struct pvnet_info {
	struct virtio_device *vdev;
	struct net_device *dev;
	struct pvnet_rq *rq;
	struct pvnet_sq *sq;
	bool has_cvq;			/* VIRTIO_NET_F_CTRL_VQ */
	struct virtqueue *cvq;
	unsigned int max_pairs;		/* queue pairs the device has */
	unsigned int pairs;		/* queue pairs in use */
	bool mergeable;			/* VIRTIO_NET_F_MRG_RXBUF */
	unsigned int rx_pages;		/* pages per RX buffer without it */
	unsigned int rx_buf_max;	/* bytes of a mergeable RX buffer, at most */
	bool frozen;			/* suspended: device reset, no virtqueues */
	bool io_stopped;		/* suspended while open (RTNL) */

	/* RX refill after an allocation failure, while the device is open */
	struct delayed_work refill;
	/* config changes (link state), handled in process context */
	struct work_struct config_work;
	/* a device that broke the virtio rules is stopped here, once */
	struct work_struct broken_work;
	spinlock_t lock;		/* guards the fields below */
	bool refill_enabled;
	bool config_enabled;
	bool broken_enabled;		/* between probe and remove */
	bool broken;			/* broken_work was scheduled */
	unsigned int bad_len;		/* what the device said it used */
	unsigned int bad_len_room;	/* ... of a buffer this big */
};

/* main.c */
void pvnet_broken(struct pvnet_info *vi, unsigned int len, unsigned int room);

/* rx.c */
bool pvnet_rx_fill(struct pvnet_rq *rq, gfp_t gfp);
int pvnet_rx_poll(struct napi_struct *napi, int budget);
void pvnet_rx_refill_work(struct work_struct *work);
void pvnet_rx_free_unused(struct pvnet_rq *rq);
void pvnet_rx_done(struct virtqueue *vq);

/* tx.c */
netdev_tx_t pvnet_start_xmit(struct sk_buff *skb, struct net_device *dev);
int pvnet_tx_poll(struct napi_struct *napi, int budget);
void pvnet_tx_free_unused(struct pvnet_sq *sq);
void pvnet_tx_done(struct virtqueue *vq);

/* ctrl.c */
int pvnet_set_pairs(struct pvnet_info *vi, unsigned int pairs);
void pvnet_ctrl_free_unused(struct pvnet_info *vi);

/* ethtool.c */
extern const struct ethtool_ops pvnet_ethtool_ops;
void pvnet_get_stats64(struct net_device *dev, struct rtnl_link_stats64 *s);

/* Queue pair @i's RX queue is virtqueue 2i, its TX queue 2i + 1. */
static inline unsigned int pvnet_vq_pair(struct virtqueue *vq)
{
	return vq->index / 2;
}

/* Adds @v to counter @c of @s; NAPI or TX-lock context. */
static inline void pvnet_count(struct pvnet_qstats *s, u64_stats_t *c, u64 v)
{
	u64_stats_update_begin(&s->syncp);
	u64_stats_add(c, v);
	u64_stats_update_end(&s->syncp);
}

/*
 * Schedules @napi after its virtqueue's callback, with further callbacks
 * off until the poll turns them on again.
 */
static inline void pvnet_napi_schedule(struct napi_struct *napi,
				       struct virtqueue *vq)
{
	if (napi_schedule_prep(napi)) {
		virtqueue_disable_cb(vq);
		__napi_schedule(napi);
	}
}

/*
 * Ends a NAPI poll that did @done units of work: callbacks back on, or
 * another round when buffers came in meanwhile.
 */
static inline void pvnet_napi_complete(struct napi_struct *napi,
				       struct virtqueue *vq, int done)
{
	unsigned int opaque;

	if (!napi_complete_done(napi, done))
		return;
	opaque = virtqueue_enable_cb_prepare(vq);
	if (unlikely(virtqueue_poll(vq, opaque)))
		pvnet_napi_schedule(napi, vq);
}

#endif /* _PVKIT_NET_H */
