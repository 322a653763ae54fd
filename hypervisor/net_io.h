/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-net packets between a chain and a file descriptor that carries
 * one packet per read or write, virtio-net header first (the tap with
 * IFF_VNET_HDR): what virtio_net.c's queue threads do with each chain,
 * kept free of threads and taps so that a fuzzer can drive it.
 */
#ifndef PVKIT_HV_NET_IO_H
#define PVKIT_HV_NET_IO_H

#include <stdint.h>
#include <sys/types.h>
#include <linux/virtio_net.h>

#include "virtqueue.h"

#define NET_HDR_LEN	sizeof(struct virtio_net_hdr_v1)

/*
 * Writes the packet in transmit chain @c to @fd. Returns 1 if it went, 0
 * if the write failed (the packet is dropped), or -1 with *why set if the
 * chain cannot be a packet.
 */
int net__tx(int fd, const struct vq_chain *c, const char **why);

/* 0 if transmit chain @c can be a packet, else -1 with *why set. */
int net__tx_check(const struct vq_chain *c, const char **why);

/* 0 if receive chain @c can take a packet, else -1 with *why set. */
int net__rx_check(const struct vq_chain *c, const char **why);

/*
 * The biggest packet the tap hands over once guest TSO is on: a 64 KiB
 * GSO frame with its Ethernet and VLAN headers (65550 bytes, virtio 1.x
 * "Setting Up Receive Buffers"), after the virtio-net header.
 */
#define NET_RX_MAX	(NET_HDR_LEN + 65550)

/* The biggest frame of a 1500-byte MTU: Ethernet and VLAN headers. */
#define NET_FRAME_MAX	1518

/* Receive chains one packet may fill, at most (VIRTIO_NET_F_MRG_RXBUF). */
#define NET_RX_CHAINS	64

/*
 * Reads one packet from @fd into the receive chains @c[0..@n), each
 * checked by net__rx_check, filling them in turn (without mergeable
 * buffers @n is 1), and writes how many it filled into the first one's
 * num_buffers. Returns the packet's length, with what chain i got in
 * @lens[i] and the chains filled in *@used; 0 if the packet was too
 * short for a header or longer than the chains (it is dropped, the
 * chains stay free); -1 with errno set if none was there.
 */
ssize_t net__rx(int fd, const struct vq_chain *c, unsigned int n,
		uint32_t *lens, unsigned int *used);

#endif /* PVKIT_HV_NET_IO_H */
