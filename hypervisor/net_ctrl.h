/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Commands on the control queue of pvkit-hv's virtio-net device
 * (VIRTIO_NET_F_CTRL_VQ): each chain carries a class and command byte
 * and the command's data, readable, then the answer byte, writable. The
 * one command carried out is VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET (with
 * VIRTIO_NET_F_MQ); any other is answered VIRTIO_NET_ERR. Kept free of
 * threads and taps so that a unit test and a fuzzer drive it.
 */
#ifndef PVKIT_HV_NET_CTRL_H
#define PVKIT_HV_NET_CTRL_H

#include <stdbool.h>

#include "virtqueue.h"

struct net_ctrl {
	unsigned int max_pairs;		/* the queue pairs offered */
	bool mq;			/* VIRTIO_NET_F_MQ acked */
	/* turns @pairs queue pairs on (1 to max_pairs): 0, or -1 */
	int (*set_pairs)(void *ctx, unsigned int pairs);
	void *ctx;
};

/*
 * Carries out the command in chain @c and writes its answer: returns the
 * chain's used length (1, the answer byte), or -1 with *@why set if the
 * chain has no room for a command header or an answer, which breaks the
 * device's rules.
 */
int net__ctrl(const struct net_ctrl *ctrl, const struct vq_chain *c,
	      const char **why);

#endif /* PVKIT_HV_NET_CTRL_H */
