/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-net packets between a chain and a file descriptor that carries
 * one packet per read or write, virtio-net header first (the tap with
 * IFF_VNET_HDR): what virtio_net.c's queue threads do with each chain,
 * kept free of threads and taps so that a fuzzer can drive it.
 */
#ifndef PVKIT_HV_NET_IO_H
#define PVKIT_HV_NET_IO_H

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

/* 0 if receive chain @c can take a packet, else -1 with *why set. */
int net__rx_check(const struct vq_chain *c, const char **why);

/*
 * Reads one packet from @fd into @c (checked by net__rx_check). Returns
 * its length (the used length), 0 if it was too short for a header (it
 * is dropped, @c stays free), or -1 with errno set if none was there.
 */
ssize_t net__rx(int fd, const struct vq_chain *c);

#endif /* PVKIT_HV_NET_IO_H */
