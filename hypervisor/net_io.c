// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net packets between chains and the tap (see net_io.h). Packets
 * move with one readv/writev straight on the chain's buffers, no copy;
 * the tap checks the header of what we transmit.
 */
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "net_io.h"

int net__tx(int fd, const struct vq_chain *c, const char **why)
{
	if (c->out_len < NET_HDR_LEN) {
		*why = "transmit buffer smaller than the virtio-net header";
		return -1;
	}
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

ssize_t net__rx(int fd, const struct vq_chain *c)
{
	const uint16_t one_buffer = 1;
	ssize_t n;

	n = readv(fd, c->iov + c->nr_out, c->nr_in);
	if (n < 0)
		return -1;
	if ((size_t)n < NET_HDR_LEN)
		return 0;
	/* without mergeable buffers a packet is one chain */
	vq__copy_to_in(c, offsetof(struct virtio_net_hdr_v1, num_buffers),
		       &one_buffer, sizeof(one_buffer));
	return n;
}
