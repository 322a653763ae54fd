// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net back end of pvkit-hv on a tap device: one receive and one
 * transmit queue, each on its own I/O thread. The tap carries the same
 * 12-byte virtio-net header as the queues (IFF_VNET_HDR), so packets move
 * between tap and guest RAM with one readv/writev and no copy, and
 * checksum offload and TSO pass through: what the guest driver acks for
 * receive becomes the tap's offload flags (TUNSETOFFLOAD). A device
 * given fault= returns a wrong used element for every received frame,
 * for tests (vq_fault.c).
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
	struct hv_fault_cfg fault;	/* test-only misbehaviour */
	uint64_t faults;		/* used elements it made wrong */
};

static void net_rx_run(struct virtio_queue *q)
{
	struct virtio_net *net = q->dev->priv;
	struct vq_chain *c = malloc(sizeof(*c));
	bool have_chain = false;
	const char *why;
	int wait_fd = net->tap_fd;
	unsigned int pushed;
	uint32_t len;
	uint16_t id;
	ssize_t n;
	int r;

	if (!c)
		return;
	while (virtio_queue__wait(q, net->rx_broken ? -1 : wait_fd, POLLIN)) {
		wait_fd = net->tap_fd;
		pushed = 0;
		/* a reset waits for one packet at most, not a stream */
		while (!virtio_dev__stopping(q->dev)) {
			if (!have_chain) {
				r = vq__pop(&q->vq, c);
				if (r < 0) {
					virtio_queue__fail(q, q->vq.error);
					goto out;
				}
				if (!r && vq__enable_kicks(&q->vq))
					continue;
				if (!r) {
					/* no buffers: sleep until the driver adds some */
					wait_fd = -1;
					break;
				}
				if (net__rx_check(c, &why)) {
					virtio_queue__fail(q, why);
					goto out;
				}
				have_chain = true;
			}
			n = net__rx(net->tap_fd, c);
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
			id = c->head;
			len = n;
			vq_fault__misbehave(&net->fault, &net->faults, q, c,
					    &id, &len);
			vq__push(&q->vq, id, len);
			have_chain = false;
			net->rx_packets++;
			q->chains++;
			if (++pushed == NET_RX_BATCH) {
				virtio_queue__interrupt(q);
				pushed = 0;
			}
		}
		if (pushed)
			virtio_queue__interrupt(q);
	}
out:
	free(c);
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
	err = virtio_pci__add(vm, dev);
	if (err) {
		hv_err("--net tap=%s: adding the device: %s", nc->tap,
		       strerror(-err));
		return -1;
	}
	hv_info("%s: tap %s, MAC %02x:%02x:%02x:%02x:%02x:%02x", dev->name,
		net->tap_name, net->config.mac[0], net->config.mac[1],
		net->config.mac[2], net->config.mac[3], net->config.mac[4],
		net->config.mac[5]);
	return 0;
}
