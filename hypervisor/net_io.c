// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net packets between chains and the tap (see net_io.h). Packets
 * move with one readv/writev straight on the chains' buffers, no copy; a
 * received one may span several chains (mergeable receive buffers); the
 * tap checks the header of what we transmit.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "net_io.h"

int net__tx_check(const struct vq_chain *c, const char **why)
{
	if (c->out_len < NET_HDR_LEN) {
		*why = "transmit buffer smaller than the virtio-net header";
		return -1;
	}
	return 0;
}

int net__tx(int fd, const struct vq_chain *c, const char **why)
{
	if (net__tx_check(c, why))
		return -1;
	return writev(fd, c->iov, c->nr_out) >= 0;
}

int net__rx_check(const struct vq_chain *c, const char **why)
{
	if (c->in_len < NET_HDR_LEN) {
		*why = "receive buffer smaller than the virtio-net header";
		return -1;
	}
	return 0;
}

/* what one readv takes at most (the kernel's UIO_MAXIOV) */
#define NET_RX_SEGS	1024

ssize_t net__rx(int fd, const struct vq_chain *c, unsigned int n,
		uint32_t *lens, unsigned int *used)
{
	struct iovec iov[NET_RX_SEGS];
	unsigned int i, segs = 0;
	uint64_t room = 0, left;
	uint16_t nbufs;
	ssize_t len;

	/* the chains' writable buffers, as many whole chains as readv takes */
	for (i = 0; i < n && segs + c[i].nr_in <= NET_RX_SEGS; i++) {
		memcpy(iov + segs, c[i].iov + c[i].nr_out,
		       c[i].nr_in * sizeof(*iov));
		segs += c[i].nr_in;
		room += c[i].in_len;
	}
	*used = 0;
	len = readv(fd, iov, segs);
	if (len < 0)
		return -1;
	/* never a used length past the chains, whatever readv says */
	if ((size_t)len < NET_HDR_LEN || (uint64_t)len > room)
		return 0;
	for (i = 0, left = len; left; i++) {
		lens[i] = left < c[i].in_len ? left : c[i].in_len;
		left -= lens[i];
	}
	*used = i;
	nbufs = i;
	vq__copy_to_in(c, offsetof(struct virtio_net_hdr_v1, num_buffers),
		       &nbufs, sizeof(nbufs));
	return len;
}
