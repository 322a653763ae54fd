// SPDX-License-Identifier: GPL-2.0
/*
 * The control queue of pvkit_net.ko (VIRTIO_NET_F_CTRL_VQ): one command
 * at a time, under the RTNL, polled for the device's answer. The only
 * command sent is VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, which turns on as
 * many queue pairs as there are vCPUs (VIRTIO_NET_F_MQ); pair i's
 * interrupts and transmits then go to the i-th online vCPU (best effort,
 * set once: CPU hotplug does not move them).
 */
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/rtnetlink.h>

#include "pvkit_net.h"

/* How long the device may take to answer a command. */
#define PVNET_CTRL_TIMEOUT_US	(2 * USEC_PER_SEC)

/* A command and its answer, in memory the device can reach (not stack). */
struct pvnet_ctrl_cmd {
	struct virtio_net_ctrl_hdr hdr;
	struct virtio_net_ctrl_mq mq;
	virtio_net_ctrl_ack ack;
};

/* Sends @cmd with @len bytes of data after its header; 0 or -errno. */
static int pvnet_ctrl_send(struct pvnet_info *vi, struct pvnet_ctrl_cmd *cmd,
			   size_t len)
{
	struct scatterlist out_hdr, out_data, in_ack;
	struct scatterlist *sgs[] = { &out_hdr, &out_data, &in_ack };
	unsigned int waited, used_len;
	int err;

	ASSERT_RTNL();
	sg_init_one(&out_hdr, &cmd->hdr, sizeof(cmd->hdr));
	sg_init_one(&out_data, &cmd->mq, len);
	sg_init_one(&in_ack, &cmd->ack, sizeof(cmd->ack));
	cmd->ack = ~VIRTIO_NET_OK;
	err = virtqueue_add_sgs(vi->cvq, sgs, 2, 1, cmd, GFP_KERNEL);
	if (err)
		return err;
	virtqueue_kick(vi->cvq);
	for (waited = 0; !virtqueue_get_buf(vi->cvq, &used_len); waited += 50) {
		/* the command stays the device's; freed at removal */
		if (virtqueue_is_broken(vi->cvq) ||
		    waited >= PVNET_CTRL_TIMEOUT_US)
			return -ETIMEDOUT;
		usleep_range(20, 50);
	}
	return cmd->ack == VIRTIO_NET_OK ? 0 : -EIO;
}

static void pvnet_spread_pairs(struct pvnet_info *vi)
{
	unsigned int i = 0;
	int cpu;

	for_each_online_cpu(cpu) {
		if (i >= vi->pairs)
			break;
		virtqueue_set_affinity(vi->rq[i].vq, cpumask_of(cpu));
		virtqueue_set_affinity(vi->sq[i].vq, cpumask_of(cpu));
		netif_set_xps_queue(vi->dev, cpumask_of(cpu), i);
		i++;
	}
}

int pvnet_set_pairs(struct pvnet_info *vi, unsigned int pairs)
{
	struct pvnet_ctrl_cmd *cmd;
	int err;

	cmd = kzalloc(sizeof(*cmd), GFP_KERNEL);
	if (!cmd)
		return -ENOMEM;
	cmd->hdr.class = VIRTIO_NET_CTRL_MQ;
	cmd->hdr.cmd = VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET;
	cmd->mq.virtqueue_pairs = cpu_to_virtio16(vi->vdev, pairs);
	err = pvnet_ctrl_send(vi, cmd, sizeof(cmd->mq));
	if (err == -ETIMEDOUT)
		return err;
	kfree(cmd);
	if (err)
		return err;
	vi->pairs = pairs;
	netif_set_real_num_tx_queues(vi->dev, pairs);
	netif_set_real_num_rx_queues(vi->dev, pairs);
	pvnet_spread_pairs(vi);
	return 0;
}

/* After a reset: the commands the device never answered. */
void pvnet_ctrl_free_unused(struct pvnet_info *vi)
{
	void *cmd;

	while ((cmd = virtqueue_detach_unused_buf(vi->cvq)))
		kfree(cmd);
}
