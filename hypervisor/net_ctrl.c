// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-net control queue's commands (see net_ctrl.h): the header
 * and data are copied out of the chain, wherever the driver split them,
 * and a command that is not VQ_PAIRS_SET with a pair count the device
 * offers, or that set_pairs could not carry out, is answered
 * VIRTIO_NET_ERR and changes nothing.
 */
#include <endian.h>
#include <stdint.h>
#include <linux/virtio_net.h>

#include "net_ctrl.h"

/* 1 if @c asks for a pair count set_pairs may take, in *@pairs. */
static int net_ctrl_pairs(const struct net_ctrl *ctrl,
			  const struct vq_chain *c,
			  const struct virtio_net_ctrl_hdr *hdr,
			  unsigned int *pairs)
{
	struct virtio_net_ctrl_mq mq;

	if (hdr->class != VIRTIO_NET_CTRL_MQ ||
	    hdr->cmd != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET || !ctrl->mq)
		return 0;
	if (vq__copy_from_out(c, sizeof(*hdr), &mq, sizeof(mq)) != sizeof(mq))
		return 0;
	/* a VERSION_1 device's fields are little-endian */
	*pairs = le16toh(mq.virtqueue_pairs);
	return *pairs >= VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN &&
	       *pairs <= ctrl->max_pairs;
}

int net__ctrl(const struct net_ctrl *ctrl, const struct vq_chain *c,
	      const char **why)
{
	struct virtio_net_ctrl_hdr hdr;
	virtio_net_ctrl_ack ack = VIRTIO_NET_ERR;
	unsigned int pairs;

	if (vq__copy_from_out(c, 0, &hdr, sizeof(hdr)) != sizeof(hdr)) {
		*why = "control command shorter than its class and command";
		return -1;
	}
	if (!c->in_len) {
		*why = "control command without room for its answer";
		return -1;
	}
	if (net_ctrl_pairs(ctrl, c, &hdr, &pairs) &&
	    !ctrl->set_pairs(ctrl->ctx, pairs))
		ack = VIRTIO_NET_OK;
	vq__copy_to_in(c, 0, &ack, sizeof(ack));
	return sizeof(ack);
}
