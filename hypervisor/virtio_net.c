// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net back end of pvkit-hv on a tap device: a receive and a
 * transmit queue per queue pair, each on its own I/O thread. The tap
 * carries the same 12-byte virtio-net header as the queues
 * (IFF_VNET_HDR), so packets move between tap and guest RAM with one
 * readv/writev and no copy (a frame received may fill several of the
 * driver's buffers: mergeable receive buffers, unless mrg_rxbuf=off),
 * and checksum offload and TSO pass through: what the guest driver acks
 * for receive becomes the tap's offload flags (TUNSETOFFLOAD).
 *
 * With queues=N (N > 1) the device offers N pairs (VIRTIO_NET_F_MQ) and
 * a control queue (net_ctrl.c), on a multi-queue tap opened N times,
 * pair i on file i. Only the pairs the driver turned on
 * (VQ_PAIRS_SET; pair 0 alone after a reset) have their file attached
 * to the tap (TUNSETQUEUE), so that the tap never hands a frame to a
 * pair nobody receives on; the tap sends a flow's frames back to the
 * pair the guest sent it on.
 *
 * A device given fault= returns a wrong used element for every received
 * frame, or with fault=tx-bad-id for every sent one, for tests
 * (vq_fault.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "net_ctrl.h"
#include "net_io.h"
#include "virtio.h"
#include "vq_fault.h"

#define NET_QUEUE_SIZE		256
#define NET_RX_BATCH		64
#define PCI_CLASS_NETWORK_ETH	0x020000

/* One receive and transmit queue pair and its file of the tap. */
struct net_pair {
	int tap_fd;
	bool attached;		/* to the tap (under pairs_lock) */
	bool active;		/* the driver uses it (read atomically) */
	bool rx_broken;		/* the tap failed for good */
};

struct virtio_net {
	struct virtio_dev dev;
	const struct net_config *nc;
	unsigned int index;		/* of --net: netN */
	char tap_name[IFNAMSIZ];
	struct virtio_net_config config;
	unsigned int nr_pairs;
	struct net_pair pairs[HV_NET_MAX_PAIRS];
	pthread_mutex_t pairs_lock;	/* attaching and detaching */
	/* counters, updated atomically by every queue's thread */
	uint64_t rx_packets;
	uint64_t tx_packets;
	uint64_t tx_errors;
	uint64_t tx_pair_off;		/* sent on a pair not on: dropped */
	uint64_t ctrl_commands;
	bool mergeable;		/* VIRTIO_NET_F_MRG_RXBUF acked */
	uint32_t rx_room;	/* with it: the room a packet may need */
	struct hv_fault_cfg fault;	/* test-only misbehaviour */
	uint64_t faults;		/* used elements it made wrong */
};

/* The receive thread's chains: those taken for the next packet. */
struct net_rx {
	unsigned int nr;		/* c[0 .. nr) taken */
	uint64_t room;			/* their writable bytes */
	uint32_t lens[NET_RX_CHAINS];
	struct vring_used_elem used[NET_RX_CHAINS];
	struct vq_chain c[NET_RX_CHAINS];
};

enum net_queue_role { NET_Q_RX, NET_Q_TX, NET_Q_CTRL, NET_Q_UNUSED };

/*
 * What queue @index is under the features acked: rx and tx of pair
 * index / 2, the control queue (after the pairs with MQ, else index 2),
 * or one the driver has no use for.
 */
static enum net_queue_role net_queue_role(const struct virtio_net *net,
					  unsigned int index)
{
	bool mq = virtio_has(&net->dev, VIRTIO_NET_F_MQ);
	unsigned int pairs = mq ? net->nr_pairs : 1;

	if (virtio_has(&net->dev, VIRTIO_NET_F_CTRL_VQ) && index == 2 * pairs)
		return NET_Q_CTRL;
	if (index < 2 * pairs)
		return index % 2 ? NET_Q_TX : NET_Q_RX;
	return NET_Q_UNUSED;
}

static struct net_pair *net_pair_of(struct virtio_queue *q)
{
	struct virtio_net *net = q->dev->priv;

	return &net->pairs[q->index / 2];
}

static bool net_pair_active(const struct net_pair *p)
{
	return __atomic_load_n(&p->active, __ATOMIC_ACQUIRE);
}

static void net_count(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/*
 * Takes chains until the next packet surely fits: one chain without
 * mergeable buffers (the driver makes each big enough), else chains
 * until they hold the biggest packet the tap may hand over (rx_room),
 * or NET_RX_CHAINS or the whole ring of them. 1 when they do, 0 when the
 * ring ran out first (the chains taken are kept for when the driver adds
 * more), -1 with *why set if the driver broke the rules.
 */
static int net_rx_take(struct virtio_queue *q, struct net_rx *rx,
		       const char **why)
{
	struct virtio_net *net = q->dev->priv;
	unsigned int most = q->vq.size < NET_RX_CHAINS ? q->vq.size :
				NET_RX_CHAINS;
	int r;

	while (!rx->nr || (net->mergeable && rx->room < net->rx_room &&
			   rx->nr < most)) {
		r = vq__pop(&q->vq, &rx->c[rx->nr]);
		if (r < 0) {
			*why = q->vq.error;
			return -1;
		}
		if (!r)
			return 0;
		if (net__rx_check(&rx->c[rx->nr], why))
			return -1;
		rx->room += rx->c[rx->nr].in_len;
		rx->nr++;
	}
	return 1;
}

/*
 * Hands the packet net__rx put in the first @used of @rx's chains to the
 * driver, and gives the others back to the ring.
 */
static void net_rx_push(struct virtio_queue *q, struct net_rx *rx,
			unsigned int used)
{
	struct virtio_net *net = q->dev->priv;
	unsigned int i;
	uint16_t id;

	for (i = 0; i < used; i++) {
		rx->used[i].id = rx->c[i].head;
		rx->used[i].len = rx->lens[i];
	}
	id = rx->used[0].id;
	if (net->fault.kind != HV_FAULT_TX_BAD_ID)
		vq_fault__misbehave(&net->fault, &net->faults, q, &rx->c[0],
				    &id, &rx->used[0].len);
	rx->used[0].id = id;
	vq__push_n(&q->vq, rx->used, used);
	vq__unpop(&q->vq, rx->nr - used);
	rx->nr = 0;
	rx->room = 0;
	net_count(&net->rx_packets);
	q->chains += used;
}

/*
 * A pair's receive thread: sleeps on the tap's file and kicks while the
 * pair is on and has buffers, on kicks alone otherwise (turning a pair
 * on wakes its thread).
 */
static void net_rx_run(struct virtio_queue *q)
{
	struct virtio_net *net = q->dev->priv;
	struct net_pair *p = net_pair_of(q);
	struct net_rx *rx = calloc(1, sizeof(*rx));
	const char *why = NULL;
	bool starved = false;
	unsigned int pushed, used;
	ssize_t n;
	int r;

	if (!rx)
		return;
	while (virtio_queue__wait(q, starved || p->rx_broken ||
				  !net_pair_active(p) ? -1 : p->tap_fd,
				  POLLIN)) {
		starved = false;
		if (!net_pair_active(p))
			continue;
		pushed = 0;
		/* a reset waits for one packet at most, not a stream */
		while (!virtio_dev__stopping(q->dev)) {
			r = net_rx_take(q, rx, &why);
			if (r < 0) {
				virtio_queue__fail(q, why);
				goto out;
			}
			if (!r && vq__enable_kicks(&q->vq))
				continue;
			if (!r) {
				/* too few buffers: sleep until the driver adds some */
				starved = true;
				break;
			}
			n = net__rx(p->tap_fd, rx->c, rx->nr, rx->lens, &used);
			/* (a pair turned off has its file detached: EBADFD) */
			if (n < 0 && errno != EAGAIN && errno != EINTR &&
			    !p->rx_broken && net_pair_active(p)) {
				/* the tap went away: stop polling it, or we spin */
				hv_err("%s: queue %u: reading tap %s: %s; receiving stops",
				       q->dev->name, q->index, net->tap_name,
				       strerror(errno));
				p->rx_broken = true;
			}
			if (n < 0)
				break;	/* EAGAIN: nothing more to receive */
			if (!n)
				continue;
			net_rx_push(q, rx, used);
			if (++pushed == NET_RX_BATCH) {
				virtio_queue__interrupt(q);
				pushed = 0;
			}
		}
		if (pushed)
			virtio_queue__interrupt(q);
	}
out:
	free(rx);
}

static int net_tx_chain(struct virtio_queue *q, const struct vq_chain *c,
			const char **why)
{
	struct virtio_net *net = q->dev->priv;
	struct net_pair *p = net_pair_of(q);
	int r;

	/*
	 * a pair the driver has not turned on sends nothing (its file would:
	 * a detached queue of a tap still writes)
	 */
	if (!net_pair_active(p)) {
		if (net__tx_check(c, why))
			return -1;
		net_count(&net->tx_pair_off);
		return 0;
	}
	r = net__tx(p->tap_fd, c, why);
	if (r < 0)
		return -1;
	/* the tap checks the header; a bad one is dropped */
	net_count(r ? &net->tx_packets : &net->tx_errors);
	return 0;
}

static int net_ctrl_chain(struct virtio_queue *q, const struct vq_chain *c,
			  const char **why);

/*
 * fault=tx-bad-id: each sent frame's used element has a bad id, and no
 * interrupt tells of it, so that the driver meets it when it next sends.
 */
static bool net_misbehave(struct virtio_queue *q, const struct vq_chain *c,
			  uint16_t *id, uint32_t *len)
{
	struct virtio_net *net = q->dev->priv;

	if (net_queue_role(net, q->index) != NET_Q_TX ||
	    net->fault.kind != HV_FAULT_TX_BAD_ID)
		return false;
	vq_fault__misbehave(&net->fault, &net->faults, q, c, id, len);
	return true;
}

static void net_queue_run(struct virtio_queue *q)
{
	switch (net_queue_role(q->dev->priv, q->index)) {
	case NET_Q_RX:
		net_rx_run(q);
		break;
	case NET_Q_TX:
		virtio_queue__serve(q, net_tx_chain);
		break;
	case NET_Q_CTRL:
		virtio_queue__serve(q, net_ctrl_chain);
		break;
	case NET_Q_UNUSED:
		while (virtio_queue__wait(q, -1, 0))
			;
		break;
	}
}

/* Attaches pair @i's file to the tap, or detaches it: 0 or -1. */
static int net_tap_queue(struct virtio_net *net, unsigned int i, bool attach)
{
	struct ifreq ifr = {
		.ifr_flags = attach ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE,
	};

	if (ioctl(net->pairs[i].tap_fd, TUNSETQUEUE, &ifr)) {
		hv_err("%s: tap %s: %s queue pair %u: %s", net->dev.name,
		       net->tap_name, attach ? "attaching" : "detaching", i,
		       strerror(errno));
		return -1;
	}
	net->pairs[i].attached = attach;
	return 0;
}

/*
 * Turns pairs [0, @n) on and the others off: their files attached to the
 * tap or detached, their receive threads told. 0, or -1 with nothing
 * changed if a file could not be attached.
 */
static int net_set_pairs(void *ctx, unsigned int n)
{
	struct virtio_net *net = ctx;
	struct net_pair *p;
	unsigned int i;
	int err = 0;

	pthread_mutex_lock(&net->pairs_lock);
	for (i = 1; i < n && !err; i++)
		if (!net->pairs[i].attached)
			err = net_tap_queue(net, i, true);
	for (i = 1; i < n && err; i++)
		if (net->pairs[i].attached && !net->pairs[i].active)
			net_tap_queue(net, i, false);
	for (i = 1; i < net->nr_pairs && !err; i++) {
		p = &net->pairs[i];
		if (i < n && !p->active) {
			__atomic_store_n(&p->active, true, __ATOMIC_RELEASE);
			virtio_queue__wake(&net->dev.queues[2 * i]);
		} else if (i >= n && p->active) {
			/* its receive thread stops reading at its next look */
			__atomic_store_n(&p->active, false, __ATOMIC_RELEASE);
		}
		if (i >= n && p->attached)
			net_tap_queue(net, i, false);
	}
	pthread_mutex_unlock(&net->pairs_lock);
	return err ? -1 : 0;
}

static int net_ctrl_chain(struct virtio_queue *q, const struct vq_chain *c,
			  const char **why)
{
	struct virtio_net *net = q->dev->priv;
	const struct net_ctrl ctrl = {
		.max_pairs = net->nr_pairs,
		.mq = virtio_has(q->dev, VIRTIO_NET_F_MQ),
		.set_pairs = net_set_pairs,
		.ctx = net,
	};

	net_count(&net->ctrl_commands);
	return net__ctrl(&ctrl, c, why);
}

/* The offloads the driver can take in become the tap's. */
static int net_features_acked(struct virtio_dev *dev)
{
	struct virtio_net *net = dev->priv;
	unsigned int offload = 0;

	net->mergeable = virtio_has(dev, VIRTIO_NET_F_MRG_RXBUF);
	/* without guest TSO the tap hands over frames of the MTU's size */
	net->rx_room = NET_RX_MAX;
	if (!virtio_has(dev, VIRTIO_NET_F_GUEST_TSO4) &&
	    !virtio_has(dev, VIRTIO_NET_F_GUEST_TSO6) &&
	    !virtio_has(dev, VIRTIO_NET_F_GUEST_UFO))
		net->rx_room = NET_HDR_LEN + NET_FRAME_MAX;
	if (virtio_has(dev, VIRTIO_NET_F_GUEST_CSUM)) {
		offload |= TUN_F_CSUM;
		if (virtio_has(dev, VIRTIO_NET_F_GUEST_TSO4))
			offload |= TUN_F_TSO4;
		if (virtio_has(dev, VIRTIO_NET_F_GUEST_TSO6))
			offload |= TUN_F_TSO6;
		if (virtio_has(dev, VIRTIO_NET_F_GUEST_ECN))
			offload |= TUN_F_TSO_ECN;
	}
	/* (one tap: pair 0's file, always attached, sets it for all) */
	if (ioctl(net->pairs[0].tap_fd, TUNSETOFFLOAD, offload)) {
		hv_err("%s: tap %s: TUNSETOFFLOAD %#x: %s", dev->name,
		       net->tap_name, offload, strerror(errno));
		return -1;
	}
	/* after a reset the driver starts on pair 0 alone */
	return net_set_pairs(net, 1);
}

static void net_stats(struct virtio_dev *dev, FILE *f)
{
	struct virtio_net *net = dev->priv;

	fprintf(f, ", \"rx_packets\": %llu, \"tx_packets\": %llu, \"tx_errors\": %llu",
		(unsigned long long)net->rx_packets,
		(unsigned long long)net->tx_packets,
		(unsigned long long)net->tx_errors);
	if (net->nr_pairs > 1)
		fprintf(f, ", \"queue_pairs\": %u, \"ctrl_commands\": %llu, \"tx_pair_off\": %llu",
			net->nr_pairs,
			(unsigned long long)net->ctrl_commands,
			(unsigned long long)net->tx_pair_off);
	vq_fault__stats(&net->fault, &net->faults, f);
}

static const struct virtio_dev_ops net_ops = {
	.queue_run = net_queue_run,
	.features_acked = net_features_acked,
	.stats = net_stats,
	.misbehave = net_misbehave,
};

/*
 * Opens file @i of tap @name (made if missing), multi-queue if the
 * device has more than one pair: 0, or -1 after one line saying why.
 */
static int net_open_tap(struct virtio_net *net, const char *name,
			unsigned int i)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int hdr_len = NET_HDR_LEN, fd;
	unsigned int features;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	net->pairs[i].tap_fd = fd;
	if (fd < 0) {
		hv_err("--net tap=%s: cannot open /dev/net/tun: %s (is the tun module loaded?)",
		       name, strerror(errno));
		return -1;
	}
	if (ioctl(fd, TUNGETFEATURES, &features) ||
	    !(features & IFF_VNET_HDR) ||
	    (net->nr_pairs > 1 && !(features & IFF_MULTI_QUEUE))) {
		hv_err("--net tap=%s: this kernel's tun has no virtio-net headers%s",
		       name, net->nr_pairs > 1 ? " or no multi-queue taps" : "");
		return -1;
	}
	if (net->nr_pairs > 1)
		ifr.ifr_flags |= IFF_MULTI_QUEUE;
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		if (errno == EINVAL && net->nr_pairs > 1)
			hv_err("--net tap=%s,queues=%u: the tap exists and is not multi-queue (make it with 'ip tuntap add dev %s mode tap multi_queue', or leave queues= out)",
			       name, net->nr_pairs, name);
		else
			hv_err("--net tap=%s: %s (making a tap needs CAP_NET_ADMIN; an existing one must be a tap this user may use)",
			       name, strerror(errno));
		return -1;
	}
	memcpy(net->tap_name, ifr.ifr_name, IFNAMSIZ);
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_len) ||
	    ioctl(fd, TUNSETOFFLOAD, 0)) {
		hv_err("--net tap=%s: setting up virtio-net headers: %s", name,
		       strerror(errno));
		return -1;
	}
	net->pairs[i].attached = true;
	return 0;
}

static void net_close(struct virtio_net *net)
{
	unsigned int i;

	for (i = 0; i < net->nr_pairs; i++)
		if (net->pairs[i].tap_fd >= 0)
			close(net->pairs[i].tap_fd);
	pthread_mutex_destroy(&net->pairs_lock);
	free(net);
}

struct virtio_net *virtio_net__open(const struct net_config *nc,
				    unsigned int index)
{
	struct virtio_net *net = calloc(1, sizeof(*net));
	unsigned int i;

	if (!net) {
		hv_err("--net tap=%s: out of memory", nc->tap);
		return NULL;
	}
	pthread_mutex_init(&net->pairs_lock, NULL);
	snprintf(net->dev.name, sizeof(net->dev.name), "net%u", index);
	net->nr_pairs = nc->queues ? nc->queues : 1;
	for (i = 0; i < net->nr_pairs; i++)
		net->pairs[i].tap_fd = -1;
	for (i = 0; i < net->nr_pairs; i++)
		if (net_open_tap(net, nc->tap, i))
			goto fail;
	net->pairs[0].active = true;
	/* pair 0 alone until the driver asks for more */
	if (net_set_pairs(net, 1))
		goto fail;
	net->nc = nc;
	net->index = index;
	if (nc->mac_set) {
		memcpy(net->config.mac, nc->mac, sizeof(net->config.mac));
	} else {
		/* locally administered, unicast, random */
		net->config.mac[0] = 0x02;
		if (getrandom(net->config.mac + 1, 5, 0) != 5) {
			hv_err("--net: no random MAC: %s", strerror(errno));
			goto fail;
		}
	}
	return net;
fail:
	net_close(net);
	return NULL;
}

int virtio_net__add(struct vm *vm, struct virtio_net *net)
{
	const struct net_config *nc = net->nc;
	struct virtio_dev *dev;
	int err;

	net->fault = nc->fault;
	net->config.status = VIRTIO_NET_S_LINK_UP;
	net->config.max_virtqueue_pairs = net->nr_pairs;

	dev = &net->dev;
	dev->device_id = VIRTIO_ID_NET;
	dev->pci_class = PCI_CLASS_NETWORK_ETH;
	dev->ops = &net_ops;
	dev->priv = net;
	dev->config = &net->config;
	dev->config_len = sizeof(net->config);
	/* rx and tx of each pair, and the control queue with MQ */
	dev->nr_queues = net->nr_pairs > 1 ? 2 * net->nr_pairs + 1 : 2;
	dev->queue_max = NET_QUEUE_SIZE;
	dev->alias = nc->tap;
	dev->host_features = 1ULL << VIRTIO_NET_F_CSUM |
			     1ULL << VIRTIO_NET_F_GUEST_CSUM |
			     1ULL << VIRTIO_NET_F_MAC |
			     1ULL << VIRTIO_NET_F_GUEST_TSO4 |
			     1ULL << VIRTIO_NET_F_GUEST_TSO6 |
			     1ULL << VIRTIO_NET_F_GUEST_ECN |
			     1ULL << VIRTIO_NET_F_HOST_TSO4 |
			     1ULL << VIRTIO_NET_F_HOST_TSO6 |
			     1ULL << VIRTIO_NET_F_HOST_ECN |
			     1ULL << VIRTIO_NET_F_STATUS |
			     1ULL << VIRTIO_RING_F_INDIRECT_DESC |
			     1ULL << VIRTIO_RING_F_EVENT_IDX;
	if (!nc->no_mrg_rxbuf)
		dev->host_features |= 1ULL << VIRTIO_NET_F_MRG_RXBUF;
	if (net->nr_pairs > 1)
		dev->host_features |= 1ULL << VIRTIO_NET_F_CTRL_VQ |
				      1ULL << VIRTIO_NET_F_MQ;
	err = virtio_pci__add(vm, dev);
	if (err) {
		hv_err("--net tap=%s: adding the device: %s", nc->tap,
		       strerror(-err));
		return -1;
	}
	hv_info("%s: tap %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, %u queue pair%s%s",
		dev->name, net->tap_name, net->config.mac[0],
		net->config.mac[1], net->config.mac[2], net->config.mac[3],
		net->config.mac[4], net->config.mac[5], net->nr_pairs,
		net->nr_pairs > 1 ? "s" : "",
		nc->no_mrg_rxbuf ? ", no mergeable receive buffers" : "");
	return 0;
}
