// SPDX-License-Identifier: GPL-2.0
/*
 * pvkit_net.ko's counters and ethtool operations: the interface
 * statistics summed over the queue pairs (ndo_get_stats64), and per
 * queue, for ethtool -S, packets, bytes, drops and kicks of each RX and
 * TX queue in use ("rx0_packets", ... "tx0_kicks", ...), and of an RX
 * queue the buffers the device filled and the bytes of buffers posted
 * now.
 */
#include <linux/ethtool.h>
#include <linux/netdevice.h>

#include "pvkit_net.h"

/* What ethtool -S shows of an RX queue: its counters and a gauge */
#define PVNET_RX_ETHTOOL_N	(PVNET_RX_QSTATS_N + 1)

/*
 * The names, an RX queue's first PVNET_RX_ETHTOOL_N, a TX queue's first
 * PVNET_QSTATS_N.
 */
static const char * const pvnet_qstat_names[PVNET_RX_ETHTOOL_N] = {
	"packets", "bytes", "drops", "kicks", "buffers", "buffer_bytes",
	"posted_bytes",
};

/* A consistent snapshot of @s, in pvnet_qstat_names' order. */
static void pvnet_qstats_read(const struct pvnet_qstats *s,
			      u64 v[PVNET_RX_QSTATS_N])
{
	unsigned int start;

	do {
		start = u64_stats_fetch_begin(&s->syncp);
		v[0] = u64_stats_read(&s->packets);
		v[1] = u64_stats_read(&s->bytes);
		v[2] = u64_stats_read(&s->drops);
		v[3] = u64_stats_read(&s->kicks);
		v[4] = u64_stats_read(&s->buffers);
		v[5] = u64_stats_read(&s->buffer_bytes);
	} while (u64_stats_fetch_retry(&s->syncp, start));
}

void pvnet_get_stats64(struct net_device *dev, struct rtnl_link_stats64 *tot)
{
	struct pvnet_info *vi = netdev_priv(dev);
	u64 v[PVNET_RX_QSTATS_N];
	unsigned int i;

	for (i = 0; i < vi->max_pairs; i++) {
		pvnet_qstats_read(&vi->rq[i].stats, v);
		tot->rx_packets += v[0];
		tot->rx_bytes += v[1];
		tot->rx_dropped += v[2];
		pvnet_qstats_read(&vi->sq[i].stats, v);
		tot->tx_packets += v[0];
		tot->tx_bytes += v[1];
		tot->tx_dropped += v[2];
	}
	tot->rx_length_errors = DEV_STATS_READ(dev, rx_length_errors);
	tot->rx_frame_errors = DEV_STATS_READ(dev, rx_frame_errors);
	tot->rx_errors = tot->rx_length_errors + tot->rx_frame_errors;
}

static void pvnet_get_drvinfo(struct net_device *dev,
			      struct ethtool_drvinfo *info)
{
	struct pvnet_info *vi = netdev_priv(dev);

	strscpy(info->driver, PVNET_DRV_NAME, sizeof(info->driver));
	strscpy(info->bus_info, dev_name(&vi->vdev->dev),
		sizeof(info->bus_info));
}

static int pvnet_get_sset_count(struct net_device *dev, int sset)
{
	struct pvnet_info *vi = netdev_priv(dev);

	if (sset != ETH_SS_STATS)
		return -EOPNOTSUPP;
	return vi->pairs * (PVNET_RX_ETHTOOL_N + PVNET_QSTATS_N);
}

static void pvnet_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	struct pvnet_info *vi = netdev_priv(dev);
	unsigned int i, j;

	if (sset != ETH_SS_STATS)
		return;
	for (i = 0; i < vi->pairs; i++)
		for (j = 0; j < PVNET_RX_ETHTOOL_N; j++)
			ethtool_sprintf(&data, "rx%u_%s", i, pvnet_qstat_names[j]);
	for (i = 0; i < vi->pairs; i++)
		for (j = 0; j < PVNET_QSTATS_N; j++)
			ethtool_sprintf(&data, "tx%u_%s", i, pvnet_qstat_names[j]);
}

static void pvnet_get_ethtool_stats(struct net_device *dev,
				    struct ethtool_stats *stats, u64 *data)
{
	struct pvnet_info *vi = netdev_priv(dev);
	u64 v[PVNET_RX_QSTATS_N];
	unsigned int i;

	for (i = 0; i < vi->pairs; i++, data += PVNET_RX_ETHTOOL_N) {
		pvnet_qstats_read(&vi->rq[i].stats, data);
		data[PVNET_RX_QSTATS_N] = READ_ONCE(vi->rq[i].posted_bytes);
	}
	for (i = 0; i < vi->pairs; i++, data += PVNET_QSTATS_N) {
		pvnet_qstats_read(&vi->sq[i].stats, v);
		memcpy(data, v, PVNET_QSTATS_N * sizeof(*data));
	}
}

static void pvnet_get_channels(struct net_device *dev,
			       struct ethtool_channels *ch)
{
	struct pvnet_info *vi = netdev_priv(dev);

	ch->max_combined = vi->max_pairs;
	ch->combined_count = vi->pairs;
}

const struct ethtool_ops pvnet_ethtool_ops = {
	.get_drvinfo		= pvnet_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_sset_count		= pvnet_get_sset_count,
	.get_strings		= pvnet_get_strings,
	.get_ethtool_stats	= pvnet_get_ethtool_stats,
	.get_channels		= pvnet_get_channels,
};
