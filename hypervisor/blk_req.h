/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-blk requests against a raw image: the parser and executor that
 * virtio_blk.c runs on its I/O threads, kept free of threads and PCI so
 * that unit tests and fuzzers drive it with hand-made chains.
 */
#ifndef PVKIT_HV_BLK_REQ_H
#define PVKIT_HV_BLK_REQ_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_blk.h>

#include "virtqueue.h"

#define BLK_SECTOR		512
/* discard and write zeroes: ranges per request, sectors per range */
#define BLK_DWZ_MAX_SEG		32
#define BLK_DWZ_MAX_SECTORS	(1U << 22)	/* 2 GiB */

struct blk_disk {
	int fd;
	uint64_t sectors;
	bool read_only;
	unsigned int write_delay_ms;	/* held before each write */
	char serial[VIRTIO_BLK_ID_BYTES];	/* not NUL-terminated if full */
	/* counters, updated by every queue's thread */
	uint64_t reads;
	uint64_t writes;
	uint64_t flushes;
	uint64_t discards;
	uint64_t write_zeroes;
	uint64_t errors;
	uint64_t unsupported;
};

/*
 * Carries out the request in @c. Returns the number of bytes written into
 * the chain (the used length), or -1 if the chain cannot be a request at
 * all (no room for the header or the status byte): then *why says so and
 * the device must be reset. Errors of the request itself (out of range,
 * read-only, a read of 2 GiB or more, an I/O error, a discard or write
 * zeroes list that is malformed or beyond the limits above) are reported
 * to the driver in the status byte.
 */
int blk__handle(struct blk_disk *disk, const struct vq_chain *c,
		const char **why);

#endif /* PVKIT_HV_BLK_REQ_H */
