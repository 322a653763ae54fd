// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net back end of pvkit-hv on a tap device: one receive and one
 * transmit queue, each on its own I/O thread. The tap carries the same
 * 12-byte virtio-net header as the queues (IFF_VNET_HDR), so packets move
 * between tap and guest RAM with one readv/writev and no copy (a frame
 * received may fill several of the driver's buffers: mergeable receive
 * buffers, unless mrg_rxbuf=off), and checksum offload and TSO pass
 * through: what the guest driver acks for receive becomes the tap's
 * offload flags (TUNSETOFFLOAD). A device
 * given fault= returns a wrong used element for every received frame,
 * or with fault=tx-bad-id for every sent one, for tests (vq_fault.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "net_io.h"
#include "virtio.h"
#include "vq_fault.h"

#define NET_QUEUE_SIZE		256
#define NET_RXQ			0
#define NET_TXQ			1
#define NET_RX_BATCH		64
#define PCI_CLASS_NETWORK_ETH	0x020000

struct virtio_net {
	struct virtio_dev dev;
	const struct net_config *nc;
	unsigned int index;		/* of --net: netN */
	int tap_fd;
	char tap_name[IFNAMSIZ];
	struct virtio_net_config config;
	uint64_t rx_packets;
	uint64_t tx_packets;
	uint64_t tx_errors;
	bool rx_broken;		/* the tap failed for good */
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
	net->rx_packets++;
	q->chains += used;
}

static void net_rx_run(struct virtio_queue *q)
{
	struct virtio_net *net = q->dev->priv;
	struct net_rx *rx = calloc(1, sizeof(*rx));
	const char *why = NULL;
	int wait_fd = net->tap_fd;
	unsigned int pushed, used;
	ssize_t n;
	int r;

	if (!rx)
		return;
	while (virtio_queue__wait(q, net->rx_broken ? -1 : wait_fd, POLLIN)) {
		wait_fd = net->tap_fd;
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
				wait_fd = -1;
				break;
			}
			n = net__rx(net->tap_fd, rx->c, rx->nr, rx->lens, &used);
			if (n < 0 && errno != EAGAIN && errno != EINTR &&
			    !net->rx_broken) {
				/* the tap went away: stop polling it, or we spin */
				hv_err("%s: reading tap %s: %s; receiving stops",
				       q->dev->name, net->tap_name,
				       strerror(errno));
				net->rx_broken = true;
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
	int r = net__tx(net->tap_fd, c, why);

	if (r < 0)
		return -1;
	/* the tap checks the header; a bad one is dropped */
	if (r)
		net->tx_packets++;
	else
		net->tx_errors++;
	return 0;
}

/*
 * fault=tx-bad-id: each sent frame's used element has a bad id, and no
 * interrupt tells of it, so that the driver meets it when it next sends.
 */
static bool net_misbehave(struct virtio_queue *q, const struct vq_chain *c,
			  uint16_t *id, uint32_t *len)
{
	struct virtio_net *net = q->dev->priv;

	if (q->index != NET_TXQ || net->fault.kind != HV_FAULT_TX_BAD_ID)
		return false;
	vq_fault__misbehave(&net->fault, &net->faults, q, c, id, len);
	return true;
}

static void net_queue_run(struct virtio_queue *q)
{
	if (q->index == NET_RXQ)
		net_rx_run(q);
	else
		virtio_queue__serve(q, net_tx_chain);
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
	if (ioctl(net->tap_fd, TUNSETOFFLOAD, offload)) {
		hv_err("%s: tap %s: TUNSETOFFLOAD %#x: %s", dev->name,
		       net->tap_name, offload, strerror(errno));
		return -1;
	}
	return 0;
}

static void net_stats(struct virtio_dev *dev, FILE *f)
{
	struct virtio_net *net = dev->priv;

	fprintf(f, ", \"rx_packets\": %llu, \"tx_packets\": %llu, \"tx_errors\": %llu",
		(unsigned long long)net->rx_packets,
		(unsigned long long)net->tx_packets,
		(unsigned long long)net->tx_errors);
	vq_fault__stats(&net->fault, &net->faults, f);
}

static const struct virtio_dev_ops net_ops = {
	.queue_run = net_queue_run,
	.features_acked = net_features_acked,
	.stats = net_stats,
	.misbehave = net_misbehave,
};

static int net_open_tap(struct virtio_net *net, const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int hdr_len = NET_HDR_LEN;
	unsigned int features;

	net->tap_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (net->tap_fd < 0) {
		hv_err("--net tap=%s: cannot open /dev/net/tun: %s (is the tun module loaded?)",
		       name, strerror(errno));
		return -1;
	}
	if (ioctl(net->tap_fd, TUNGETFEATURES, &features) ||
	    !(features & IFF_VNET_HDR)) {
		hv_err("--net tap=%s: this kernel's tun has no virtio-net headers",
		       name);
		return -1;
	}
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(net->tap_fd, TUNSETIFF, &ifr)) {
		hv_err("--net tap=%s: %s (making a tap needs CAP_NET_ADMIN; an existing one must be a tap this user may use)",
		       name, strerror(errno));
		return -1;
	}
	memcpy(net->tap_name, ifr.ifr_name, IFNAMSIZ);
	if (ioctl(net->tap_fd, TUNSETVNETHDRSZ, &hdr_len) ||
	    ioctl(net->tap_fd, TUNSETOFFLOAD, 0)) {
		hv_err("--net tap=%s: setting up virtio-net headers: %s", name,
		       strerror(errno));
		return -1;
	}
	return 0;
}

struct virtio_net *virtio_net__open(const struct net_config *nc,
				    unsigned int index)
{
	struct virtio_net *net = calloc(1, sizeof(*net));

	if (!net) {
		hv_err("--net tap=%s: out of memory", nc->tap);
		return NULL;
	}
	if (net_open_tap(net, nc->tap))
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
	if (net->tap_fd >= 0)
		close(net->tap_fd);
	free(net);
	return NULL;
}

int virtio_net__add(struct vm *vm, struct virtio_net *net)
{
	const struct net_config *nc = net->nc;
	struct virtio_dev *dev;
	int err;

	net->fault = nc->fault;
	net->config.status = VIRTIO_NET_S_LINK_UP;
	net->config.max_virtqueue_pairs = 1;

	dev = &net->dev;
	snprintf(dev->name, sizeof(dev->name), "net%u", net->index);
	dev->device_id = VIRTIO_ID_NET;
	dev->pci_class = PCI_CLASS_NETWORK_ETH;
	dev->ops = &net_ops;
	dev->priv = net;
	dev->config = &net->config;
	dev->config_len = sizeof(net->config);
	dev->nr_queues = 2;
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
	err = virtio_pci__add(vm, dev);
	if (err) {
		hv_err("--net tap=%s: adding the device: %s", nc->tap,
		       strerror(-err));
		return -1;
	}
	hv_info("%s: tap %s, MAC %02x:%02x:%02x:%02x:%02x:%02x%s", dev->name,
		net->tap_name, net->config.mac[0], net->config.mac[1],
		net->config.mac[2], net->config.mac[3], net->config.mac[4],
		net->config.mac[5],
		nc->no_mrg_rxbuf ? ", no mergeable receive buffers" : "");
	return 0;
}
