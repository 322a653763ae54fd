// SPDX-License-Identifier: GPL-2.0
/*
 * pvkit_net.ko, pvkit's virtio-net front-end: the virtio driver (feature
 * checks, probe and removal), the net_device it registers (offloads,
 * MAC, MTU, open and close) and the link state from the device's config
 * space, the stop of a device that broke the virtio rules, and suspend
 * and resume (the device reset, its queues set up again). Virtio 1.0
 * devices only: every buffer starts with a struct virtio_net_hdr_v1. The
 * RX and TX paths are in rx.c and tx.c, the control queue in ctrl.c, the
 * counters and ethtool in ethtool.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/module.h>
#include <linux/virtio_config.h>

#include "../virtio_compat.h"
#include "pvkit_net.h"

/* Queue pairs pvkit_net sets up at most, whatever the device offers. */
#define PVNET_MAX_PAIRS		16

static unsigned int rx_buf_order = PVNET_MRG_ORDER;

static int pvnet_set_rx_buf_order(const char *val,
				  const struct kernel_param *kp)
{
	int err = param_set_uint_minmax(val, kp, 0, PVNET_MRG_ORDER_MAX);

	if (err)
		pr_err("rx_buf_order must be a page order from 0 to %u\n",
		       PVNET_MRG_ORDER_MAX);
	return err;
}

static const struct kernel_param_ops pvnet_rx_buf_order_ops = {
	.set	= pvnet_set_rx_buf_order,
	.get	= param_get_uint,
};
module_param_cb(rx_buf_order, &pvnet_rx_buf_order_ops, &rx_buf_order, 0644);
MODULE_PARM_DESC(rx_buf_order,
		 "page order of the largest mergeable RX buffer, 0 (one page) to 4, for devices bound after a change (default 4: 64 KiB); smaller ones follow the mean frame length");

/* The biggest mergeable RX buffer is cut from a page at least as big. */
static_assert(PVNET_MRG_ORDER_MAX <= PVNET_MRG_PAGE_ORDER);

/* The biggest RX page chain fits in an skb's fragments and rq->sg. */
static_assert(DIV_ROUND_UP(PVNET_BIG_FRAME, PAGE_SIZE) <= MAX_SKB_FRAGS);
static_assert(DIV_ROUND_UP(PVNET_HDR_LEN + VLAN_ETH_HLEN + ETH_MAX_MTU,
			   PAGE_SIZE) <= MAX_SKB_FRAGS);

static const unsigned int pvnet_features[] = {
	VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_MTU,
	VIRTIO_NET_F_MAC, VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO6,
	VIRTIO_NET_F_GUEST_ECN, VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6,
	VIRTIO_NET_F_HOST_ECN, VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_STATUS,
	VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_MQ,
};

#define pvnet_cread16(vdev, field) \
	virtio_cread16(vdev, offsetof(struct virtio_net_config, field))

/* A feature the spec makes depend on another is dropped without it. */
static void pvnet_needs(struct virtio_device *vdev, unsigned int fbit,
			unsigned int needed)
{
	if (!virtio_has_feature(vdev, needed))
		__virtio_clear_bit(vdev, fbit);
}

/* Before FEATURES_OK: refuse what cannot work, drop what is unusable. */
static int pvnet_validate(struct virtio_device *vdev)
{
	u16 v;

	if (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1)) {
		dev_err(&vdev->dev, "legacy virtio-net device (no VIRTIO_F_VERSION_1): pvkit_net drives virtio 1.0 devices only\n");
		return -ENODEV;
	}
	if (!vdev->config->get) {
		dev_err(&vdev->dev, "virtio-net device without a config space\n");
		return -EINVAL;
	}
	if (virtio_has_feature(vdev, VIRTIO_NET_F_MTU)) {
		v = pvnet_cread16(vdev, mtu);
		if (v < ETH_MIN_MTU) {
			dev_err(&vdev->dev, "device MTU %u is below the minimum of %u: refused\n",
				v, ETH_MIN_MTU);
			return -EINVAL;
		}
	}
	if (virtio_has_feature(vdev, VIRTIO_NET_F_MQ) &&
	    virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_VQ)) {
		v = pvnet_cread16(vdev, max_virtqueue_pairs);
		if (v < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN ||
		    v > VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX) {
			dev_err(&vdev->dev, "device offers %u queue pairs, not 1 to %u: refused\n",
				v, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX);
			return -EINVAL;
		}
		/* one pair then, with the control queue at index 2 */
		if (v > PVNET_MAX_PAIRS)
			__virtio_clear_bit(vdev, VIRTIO_NET_F_MQ);
	}
	pvnet_needs(vdev, VIRTIO_NET_F_MQ, VIRTIO_NET_F_CTRL_VQ);
	pvnet_needs(vdev, VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_CSUM);
	pvnet_needs(vdev, VIRTIO_NET_F_GUEST_TSO6, VIRTIO_NET_F_GUEST_CSUM);
	pvnet_needs(vdev, VIRTIO_NET_F_GUEST_ECN, VIRTIO_NET_F_GUEST_CSUM);
	pvnet_needs(vdev, VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_CSUM);
	pvnet_needs(vdev, VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_CSUM);
	pvnet_needs(vdev, VIRTIO_NET_F_HOST_ECN, VIRTIO_NET_F_CSUM);
	return 0;
}

static void pvnet_napi_enable(struct napi_struct *napi, struct virtqueue *vq)
{
	napi_enable(napi);
	/* catch up with what came while callbacks were not handled */
	local_bh_disable();
	pvnet_napi_schedule(napi, vq);
	local_bh_enable();
}

static void pvnet_set_refill(struct pvnet_info *vi, bool on)
{
	unsigned long flags;

	spin_lock_irqsave(&vi->lock, flags);
	vi->refill_enabled = on;
	spin_unlock_irqrestore(&vi->lock, flags);
}

/* RX buffers posted and NAPI on: open, and resume of an open interface. */
static void pvnet_start_io(struct pvnet_info *vi)
{
	bool refill = false;
	unsigned int i;

	pvnet_set_refill(vi, true);
	for (i = 0; i < vi->pairs; i++) {
		refill |= !pvnet_rx_fill(&vi->rq[i], GFP_KERNEL);
		pvnet_napi_enable(&vi->rq[i].napi, vi->rq[i].vq);
		pvnet_napi_enable(&vi->sq[i].napi, vi->sq[i].vq);
	}
	/* memory ran out: the refill work, once every NAPI it disables is on */
	if (refill)
		schedule_delayed_work(&vi->refill, 0);
}

/* No refill, transmit or NAPI runs after this: close, and suspend. */
static void pvnet_stop_io(struct pvnet_info *vi)
{
	unsigned int i;

	pvnet_set_refill(vi, false);
	cancel_delayed_work_sync(&vi->refill);
	netif_tx_disable(vi->dev);
	for (i = 0; i < vi->pairs; i++) {
		napi_disable(&vi->rq[i].napi);
		napi_disable(&vi->sq[i].napi);
	}
}

static int pvnet_open(struct net_device *dev)
{
	pvnet_start_io(netdev_priv(dev));
	netif_tx_start_all_queues(dev);
	return 0;
}

static int pvnet_close(struct net_device *dev)
{
	struct pvnet_info *vi = netdev_priv(dev);

	/* suspend stopped it already (and a failed resume left it so) */
	if (vi->io_stopped)
		vi->io_stopped = false;
	else
		pvnet_stop_io(vi);
	return 0;
}

static const struct net_device_ops pvnet_netdev_ops = {
	.ndo_open		= pvnet_open,
	.ndo_stop		= pvnet_close,
	.ndo_start_xmit		= pvnet_start_xmit,
	.ndo_validate_addr	= eth_validate_addr,
	.ndo_get_stats64	= pvnet_get_stats64,
};

static void pvnet_config_work(struct work_struct *work)
{
	struct pvnet_info *vi = container_of(work, struct pvnet_info,
					     config_work);
	bool up = pvnet_cread16(vi->vdev, status) & VIRTIO_NET_S_LINK_UP;

	if (up == netif_carrier_ok(vi->dev))
		return;
	netdev_info(vi->dev, "link %s\n", up ? "up" : "down");
	if (up)
		netif_carrier_on(vi->dev);
	else
		netif_carrier_off(vi->dev);
}

static void pvnet_config_changed(struct virtio_device *vdev)
{
	struct pvnet_info *vi = vdev->priv;
	unsigned long flags;

	spin_lock_irqsave(&vi->lock, flags);
	if (vi->config_enabled)
		schedule_work(&vi->config_work);
	spin_unlock_irqrestore(&vi->lock, flags);
}

static void pvnet_set_config(struct pvnet_info *vi, bool on)
{
	unsigned long flags;

	spin_lock_irqsave(&vi->lock, flags);
	vi->config_enabled = on;
	spin_unlock_irqrestore(&vi->lock, flags);
	if (on)
		schedule_work(&vi->config_work);
	else
		cancel_work_sync(&vi->config_work);
}

/*
 * The device broke the rules: a virtqueue the virtio core found broken
 * (an id it never made available, ...), or, with @len, a used length
 * past a receive buffer of @room bytes. From any context; the device is
 * stopped once, in pvnet_broken_work().
 */
void pvnet_broken(struct pvnet_info *vi, unsigned int len, unsigned int room)
{
	unsigned long flags;

	spin_lock_irqsave(&vi->lock, flags);
	if (vi->broken_enabled && !vi->broken) {
		vi->broken = true;
		vi->bad_len = len;
		vi->bad_len_room = room;
		schedule_work(&vi->broken_work);
	}
	spin_unlock_irqrestore(&vi->lock, flags);
}

/*
 * Every virtqueue is marked broken, so the virtio core neither hands out
 * nor takes buffers any more; the interface is closed, which waits for
 * NAPI, refill and transmit to stop, and detached (it cannot be opened
 * again) with no carrier, whatever the config space still says of the
 * link; the device is reset, so it touches guest memory no more. What it
 * held is freed when the driver is unbound.
 */
static void pvnet_broken_work(struct work_struct *work)
{
	struct pvnet_info *vi = container_of(work, struct pvnet_info,
					     broken_work);
	struct net_device *dev = vi->dev;

	virtio_break_device(vi->vdev);
	pvnet_set_config(vi, false);
	rtnl_lock();
	dev_close(dev);
	netif_device_detach(dev);
	netif_carrier_off(dev);
	rtnl_unlock();
	virtio_reset_device(vi->vdev);
	if (vi->bad_len)
		netdev_err(dev, "the device used %u bytes of a receive buffer with room for %u: stopped (unbind and bind it to start again)\n",
			   vi->bad_len, vi->bad_len_room);
	else
		netdev_err(dev, "a virtqueue is broken: stopped (unbind and bind it to start again)\n");
}

static void pvnet_set_broken(struct pvnet_info *vi, bool on)
{
	unsigned long flags;

	spin_lock_irqsave(&vi->lock, flags);
	vi->broken_enabled = on;
	spin_unlock_irqrestore(&vi->lock, flags);
	if (!on)
		cancel_work_sync(&vi->broken_work);
}

/* Offloads, MAC address, MTU and RX buffer size from the features. */
static void pvnet_setup_netdev(struct pvnet_info *vi)
{
	struct virtio_device *vdev = vi->vdev;
	struct net_device *dev = vi->dev;
	bool guest_gso = false;
	u8 mac[ETH_ALEN];

	dev->netdev_ops = &pvnet_netdev_ops;
	dev->ethtool_ops = &pvnet_ethtool_ops;
	SET_NETDEV_DEV(dev, &vdev->dev);

	if (virtio_has_feature(vdev, VIRTIO_NET_F_CSUM)) {
		dev->hw_features |= NETIF_F_HW_CSUM | NETIF_F_SG;
		if (virtio_has_feature(vdev, VIRTIO_NET_F_HOST_TSO4))
			dev->hw_features |= NETIF_F_TSO;
		if (virtio_has_feature(vdev, VIRTIO_NET_F_HOST_TSO6))
			dev->hw_features |= NETIF_F_TSO6;
		if (virtio_has_feature(vdev, VIRTIO_NET_F_HOST_ECN))
			dev->hw_features |= NETIF_F_TSO_ECN;
	}
	dev->features = dev->hw_features | NETIF_F_HIGHDMA;
	if (virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_CSUM))
		dev->features |= NETIF_F_RXCSUM;
	dev->vlan_features = dev->features;

	if (virtio_has_feature(vdev, VIRTIO_NET_F_MAC)) {
		virtio_cread_bytes(vdev, offsetof(struct virtio_net_config, mac),
				   mac, ETH_ALEN);
		if (is_valid_ether_addr(mac))
			eth_hw_addr_set(dev, mac);
		else
			dev_warn(&vdev->dev, "device MAC %pM is not a unicast address: using a random one\n",
				 mac);
	}
	if (!is_valid_ether_addr(dev->dev_addr))
		eth_hw_addr_random(dev);

	vi->mergeable = virtio_has_feature(vdev, VIRTIO_NET_F_MRG_RXBUF);
	guest_gso = virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO4) ||
		    virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO6) ||
		    virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_ECN);
	dev->min_mtu = ETH_MIN_MTU;
	if (virtio_has_feature(vdev, VIRTIO_NET_F_MTU))
		dev->max_mtu = pvnet_cread16(vdev, mtu);
	else if (vi->mergeable || guest_gso)
		dev->max_mtu = ETH_MAX_MTU;
	else	/* one page per buffer */
		dev->max_mtu = PAGE_SIZE - PVNET_HDR_LEN - VLAN_ETH_HLEN;
	dev->mtu = min_t(unsigned int, ETH_DATA_LEN, dev->max_mtu);
	if (virtio_has_feature(vdev, VIRTIO_NET_F_MTU))
		dev->mtu = dev->max_mtu;
	vi->rx_pages = DIV_ROUND_UP(guest_gso ? PVNET_BIG_FRAME :
				    PVNET_HDR_LEN + VLAN_ETH_HLEN + dev->max_mtu,
				    PAGE_SIZE);
	vi->rx_buf_max = PAGE_SIZE << (vi->mergeable ? READ_ONCE(rx_buf_order) : 0);
}

/* Makes the virtqueues: RX and TX of each pair, then the control queue. */
static int pvnet_init_vqs(struct pvnet_info *vi)
{
	struct virtio_device *vdev = vi->vdev;
	unsigned int i, nvqs = vi->max_pairs * 2 + !!vi->has_cvq;
	vq_callback_t **callbacks;
	struct virtqueue **vqs;
	const char **names;
	int err = -ENOMEM;
	bool *ctx;

	vqs = kcalloc(nvqs, sizeof(*vqs), GFP_KERNEL);
	callbacks = kcalloc(nvqs, sizeof(*callbacks), GFP_KERNEL);
	names = kcalloc(nvqs, sizeof(*names), GFP_KERNEL);
	ctx = kcalloc(nvqs, sizeof(*ctx), GFP_KERNEL);
	if (!vqs || !callbacks || !names || !ctx)
		goto out;
	for (i = 0; i < vi->max_pairs; i++) {
		snprintf(vi->rq[i].name, sizeof(vi->rq[i].name), "input.%u", i);
		snprintf(vi->sq[i].name, sizeof(vi->sq[i].name), "output.%u", i);
		names[2 * i] = vi->rq[i].name;
		names[2 * i + 1] = vi->sq[i].name;
		callbacks[2 * i] = pvnet_rx_done;
		callbacks[2 * i + 1] = pvnet_tx_done;
		/* a mergeable buffer's context is its size */
		ctx[2 * i] = vi->mergeable;
	}
	if (vi->has_cvq)
		names[nvqs - 1] = "control";

	err = pvkit_find_vqs(vdev, nvqs, vqs, callbacks, NULL, names, ctx,
			     NULL);
	if (err) {
		dev_err(&vdev->dev, "cannot set up %u virtqueues (%d): a zero-size or missing queue?\n",
			nvqs, err);
		goto out;
	}
	for (i = 0; i < vi->max_pairs * 2; i++) {
		if (virtqueue_get_vring_size(vqs[i]) < PVNET_TX_DESCS) {
			dev_err(&vdev->dev, "virtqueue %u has %u entries, fewer than the %u a packet may need\n",
				i, virtqueue_get_vring_size(vqs[i]),
				PVNET_TX_DESCS);
			vdev->config->del_vqs(vdev);
			err = -EINVAL;
			goto out;
		}
	}
	for (i = 0; i < vi->max_pairs; i++) {
		vi->rq[i].vq = vqs[2 * i];
		vi->sq[i].vq = vqs[2 * i + 1];
	}
	if (vi->has_cvq)
		vi->cvq = vqs[nvqs - 1];
out:
	kfree(ctx);
	kfree(names);
	kfree(callbacks);
	kfree(vqs);
	return err;
}

static int pvnet_alloc_queues(struct pvnet_info *vi)
{
	unsigned int i;

	vi->rq = kcalloc(vi->max_pairs, sizeof(*vi->rq), GFP_KERNEL);
	vi->sq = kcalloc(vi->max_pairs, sizeof(*vi->sq), GFP_KERNEL);
	if (!vi->rq || !vi->sq)
		return -ENOMEM;
	for (i = 0; i < vi->max_pairs; i++) {
		vi->rq[i].vi = vi;
		vi->sq[i].vi = vi;
		u64_stats_init(&vi->rq[i].stats.syncp);
		ewma_pvnet_frame_len_init(&vi->rq[i].frame_len);
		u64_stats_init(&vi->sq[i].stats.syncp);
		netif_napi_add(vi->dev, &vi->rq[i].napi, pvnet_rx_poll);
		netif_napi_add_tx(vi->dev, &vi->sq[i].napi, pvnet_tx_poll);
	}
	return 0;
}

static void pvnet_free_queues(struct pvnet_info *vi)
{
	unsigned int i;

	for (i = 0; vi->rq && vi->sq && i < vi->max_pairs; i++) {
		netif_napi_del(&vi->rq[i].napi);
		netif_napi_del(&vi->sq[i].napi);
	}
	kfree(vi->rq);
	kfree(vi->sq);
}

/*
 * After a reset: every buffer back from the device, the queues gone
 * (none left after a suspend whose resume could not set them up again).
 */
static void pvnet_del_vqs(struct pvnet_info *vi)
{
	unsigned int i;

	if (!vi->rq[0].vq)
		return;
	for (i = 0; i < vi->max_pairs; i++) {
		pvnet_rx_free_unused(&vi->rq[i]);
		pvnet_tx_free_unused(&vi->sq[i]);
		vi->rq[i].vq = NULL;
		vi->sq[i].vq = NULL;
	}
	if (vi->cvq)
		pvnet_ctrl_free_unused(vi);
	vi->cvq = NULL;
	vi->vdev->config->del_vqs(vi->vdev);
}

static int pvnet_probe(struct virtio_device *vdev)
{
	bool mq = virtio_has_feature(vdev, VIRTIO_NET_F_MQ);
	unsigned int max_pairs = mq ? pvnet_cread16(vdev, max_virtqueue_pairs) : 1;
	struct pvnet_info *vi;
	struct net_device *dev;
	int err;

	/* validate checked it: a device that changed it since is refused */
	if (max_pairs < 1 || max_pairs > PVNET_MAX_PAIRS) {
		dev_err(&vdev->dev, "device's queue pairs changed to %u since it was checked: refused\n",
			max_pairs);
		return -EINVAL;
	}
	dev = alloc_etherdev_mq(sizeof(*vi), max_pairs);
	if (!dev)
		return -ENOMEM;
	vi = netdev_priv(dev);
	vi->dev = dev;
	vi->vdev = vdev;
	vi->max_pairs = max_pairs;
	vi->pairs = 1;
	vi->has_cvq = virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_VQ);
	vdev->priv = vi;
	spin_lock_init(&vi->lock);
	INIT_WORK(&vi->config_work, pvnet_config_work);
	INIT_WORK(&vi->broken_work, pvnet_broken_work);
	INIT_DELAYED_WORK(&vi->refill, pvnet_rx_refill_work);
	pvnet_setup_netdev(vi);

	err = pvnet_alloc_queues(vi);
	if (err)
		goto free_queues;
	err = pvnet_init_vqs(vi);
	if (err)
		goto free_queues;
	netif_set_real_num_tx_queues(dev, 1);
	netif_set_real_num_rx_queues(dev, 1);

	/* the link is down until the config space says otherwise */
	if (virtio_has_feature(vdev, VIRTIO_NET_F_STATUS))
		netif_carrier_off(dev);
	rtnl_lock();
	err = register_netdevice(dev);
	if (err) {
		rtnl_unlock();
		dev_err(&vdev->dev, "cannot register the network device: %d\n",
			err);
		goto reset;
	}
	/* under the RTNL: nobody opens the device before it is ready */
	pvnet_set_broken(vi, true);
	virtio_device_ready(vdev);
	if (mq) {
		err = pvnet_set_pairs(vi, min_t(unsigned int, max_pairs,
						num_online_cpus()));
		if (err)
			netdev_warn(dev, "staying on one queue pair: %d\n", err);
	}
	/* still under it: a stop of the device (broken_work) comes after */
	if (virtio_has_feature(vdev, VIRTIO_NET_F_STATUS))
		pvnet_set_config(vi, true);
	else
		netif_carrier_on(dev);
	rtnl_unlock();

	netdev_info(dev, "%pM, %u of %u queue pairs, MTU %u (max %u), %s RX buffers of %s%lu KiB\n",
		    dev->dev_addr, vi->pairs, vi->max_pairs, dev->mtu,
		    dev->max_mtu, vi->mergeable ? "mergeable" :
		    vi->rx_pages > 1 ? "big" : "page",
		    vi->mergeable ? "up to " : "",
		    (vi->mergeable ? vi->rx_buf_max :
		     PAGE_SIZE * vi->rx_pages) / 1024);
	return 0;

reset:
	virtio_reset_device(vdev);
	pvnet_del_vqs(vi);
free_queues:
	pvnet_free_queues(vi);
	free_netdev(dev);
	return err;
}

static void pvnet_remove(struct virtio_device *vdev)
{
	struct pvnet_info *vi = vdev->priv;
	struct net_device *dev = vi->dev;

	pvnet_set_config(vi, false);
	pvnet_set_broken(vi, false);
	/* closes the device: no NAPI, refill or transmit runs after this */
	unregister_netdev(dev);
	virtio_reset_device(vdev);
	pvnet_del_vqs(vi);
	pvnet_free_queues(vi);
	free_netdev(dev);
}

static const struct virtio_device_id pvnet_id_table[] = {
	{ VIRTIO_ID_NET, VIRTIO_DEV_ANY_ID },
	{ 0 },
};
MODULE_DEVICE_TABLE(virtio, pvnet_id_table);

#ifdef CONFIG_PM
/*
 * Suspend and hibernation, with configuration callbacks off (the virtio
 * core): the interface is detached and, if open, stopped as at close;
 * the device is reset and its virtqueues freed with what they held
 * (frames not yet sent count as dropped), until pvnet_restore(). A
 * device stopped for breaking the rules stays stopped.
 */
static int pvnet_freeze(struct virtio_device *vdev)
{
	struct pvnet_info *vi = vdev->priv;
	struct net_device *dev = vi->dev;
	unsigned long flags;

	/* no new stop; one flagged already runs to its end first */
	spin_lock_irqsave(&vi->lock, flags);
	vi->broken_enabled = false;
	spin_unlock_irqrestore(&vi->lock, flags);
	flush_work(&vi->broken_work);
	if (vi->broken)
		return 0;
	pvnet_set_config(vi, false);
	rtnl_lock();
	netif_device_detach(dev);
	/* (stopped already if the last resume failed: NAPI is off) */
	if (netif_running(dev) && !vi->io_stopped) {
		pvnet_stop_io(vi);
		vi->io_stopped = true;
	}
	rtnl_unlock();
	virtio_reset_device(vdev);
	pvnet_del_vqs(vi);
	vi->frozen = true;
	return 0;
}

/* After a reset the device uses one queue pair: the others, turned on again. */
static void pvnet_restore_pairs(struct pvnet_info *vi)
{
	unsigned int pairs = vi->pairs;
	int err;

	if (pairs == 1)
		return;
	vi->pairs = 1;
	err = pvnet_set_pairs(vi, pairs);
	if (err) {
		netdev_warn(vi->dev, "staying on one queue pair after resume: %d\n",
			    err);
		netif_set_real_num_tx_queues(vi->dev, 1);
		netif_set_real_num_rx_queues(vi->dev, 1);
	}
}

/*
 * The device was reset again and its features acked (the virtio core):
 * the virtqueues are set up as at probe, the queue pairs turned on, and
 * the interface, if it was open, started and attached. If the queues
 * cannot be set up, the interface stays detached and the device FAILED.
 */
static int pvnet_restore(struct virtio_device *vdev)
{
	struct pvnet_info *vi = vdev->priv;
	struct net_device *dev = vi->dev;
	int err;

	if (!vi->frozen)
		return 0;
	vi->frozen = false;
	err = pvnet_init_vqs(vi);
	if (err) {
		rtnl_lock();
		netif_carrier_off(dev);
		rtnl_unlock();
		netdev_err(dev, "its virtqueues cannot be set up again on resume: stopped (unbind and bind it to start again)\n");
		return err;
	}
	pvnet_set_broken(vi, true);
	virtio_device_ready(vdev);
	rtnl_lock();
	pvnet_restore_pairs(vi);
	if (vi->io_stopped) {
		vi->io_stopped = false;
		pvnet_start_io(vi);
	}
	netif_device_attach(dev);
	/* under the RTNL, as at probe: a stop (broken_work) comes after */
	if (virtio_has_feature(vdev, VIRTIO_NET_F_STATUS))
		pvnet_set_config(vi, true);
	rtnl_unlock();
	return 0;
}
#endif

static struct virtio_driver pvnet_driver = {
	.driver.name		= PVNET_DRV_NAME,
	.driver.owner		= THIS_MODULE,
	.id_table		= pvnet_id_table,
	.feature_table		= pvnet_features,
	.feature_table_size	= ARRAY_SIZE(pvnet_features),
	.validate		= pvnet_validate,
	.probe			= pvnet_probe,
	.remove			= pvnet_remove,
	.config_changed		= pvnet_config_changed,
#ifdef CONFIG_PM
	.freeze			= pvnet_freeze,
	.restore		= pvnet_restore,
#endif
};
module_virtio_driver(pvnet_driver);

MODULE_DESCRIPTION("pvkit virtio-net front-end");
MODULE_LICENSE("GPL");
