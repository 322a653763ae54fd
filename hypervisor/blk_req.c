// SPDX-License-Identifier: GPL-2.0
/*
 * One virtio-blk request: a 16-byte header the device reads, data, and a
 * status byte the device writes last. Data moves between the image file
 * and guest RAM with preadv/pwritev straight on the chain's buffers (no
 * copy); a flush is fdatasync() on the image, so what the guest flushed
 * is on stable storage before it hears back. Discard punches holes in the
 * image (reads of them then give zeroes); write zeroes clears the range in
 * place (FALLOC_FL_ZERO_RANGE), or punches holes when the driver allows
 * unmapping, or writes zeroes where the file system can do neither.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/falloc.h>

#include "blk_req.h"

#define BLK_HDR_LEN	sizeof(struct virtio_blk_outhdr)

struct blk_io {
	struct iovec iov[VQ_MAX_SEGS];
	unsigned int nr;
	uint64_t len;
};

/* @len bytes of @src[0..n) from byte @skip on, as iovecs in @io. */
static void iov_slice(const struct iovec *src, unsigned int n, uint64_t skip,
		      uint64_t len, struct blk_io *io)
{
	unsigned int i;

	io->nr = 0;
	io->len = 0;
	for (i = 0; i < n && io->len < len; i++) {
		uint64_t take;

		if (skip >= src[i].iov_len) {
			skip -= src[i].iov_len;
			continue;
		}
		take = src[i].iov_len - skip;
		if (take > len - io->len)
			take = len - io->len;
		io->iov[io->nr].iov_base = (char *)src[i].iov_base + skip;
		io->iov[io->nr].iov_len = take;
		io->nr++;
		io->len += take;
		skip = 0;
	}
}

static void count(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/* Reads or writes all of @io at @off, finishing short transfers. */
static int blk_rw(struct blk_disk *disk, struct blk_io *io, uint64_t off,
		  bool write)
{
	struct iovec *iov = io->iov;
	unsigned int nr = io->nr;
	ssize_t n;

	while (nr) {
		n = write ? pwritev(disk->fd, iov, nr, off) :
			    preadv(disk->fd, iov, nr, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			/* past the end of the file: reads see zeroes */
			if (write)
				return -1;
			for (; nr; iov++, nr--)
				memset(iov->iov_base, 0, iov->iov_len);
			break;
		}
		off += n;
		while (nr && (size_t)n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++;
			nr--;
		}
		if (nr) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= n;
		}
	}
	return 0;
}

/* A slow disk's wait: the queue's thread holds the request this long. */
static void blk_hold(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static uint8_t blk_data(struct blk_disk *disk, struct blk_io *io,
			uint64_t sector, bool write)
{
	if (write && disk->read_only)
		return VIRTIO_BLK_S_IOERR;
	if (io->len % BLK_SECTOR || sector > disk->sectors ||
	    io->len / BLK_SECTOR > disk->sectors - sector)
		return VIRTIO_BLK_S_IOERR;
	/* a read's used length, data and status byte, must fit in an int */
	if (!write && io->len >= INT_MAX)
		return VIRTIO_BLK_S_IOERR;
	if (write && disk->write_delay_ms)
		blk_hold(disk->write_delay_ms);
	if (blk_rw(disk, io, sector * BLK_SECTOR, write))
		return VIRTIO_BLK_S_IOERR;
	count(write ? &disk->writes : &disk->reads);
	return VIRTIO_BLK_S_OK;
}

/* Zeroes by writing them, for a file system with no fallocate mode. */
static int blk_write_zeroes(int fd, uint64_t off, uint64_t len)
{
	static const uint8_t zero[64 * 1024];
	ssize_t n;

	while (len) {
		n = pwrite(fd, zero, len < sizeof(zero) ? len : sizeof(zero),
			   off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += n;
		len -= n;
	}
	return 0;
}

static int blk_fallocate(int fd, int mode, uint64_t off, uint64_t len)
{
	int ret;

	do
		ret = fallocate(fd, mode | FALLOC_FL_KEEP_SIZE, off, len);
	while (ret && errno == EINTR);
	return ret;
}

/* One range of a discard or write zeroes; 0 or -1 (an I/O error). */
static int blk_dwz_range(struct blk_disk *disk, bool discard, bool unmap,
			 uint64_t off, uint64_t len)
{
	if (discard || unmap) {
		if (!blk_fallocate(disk->fd, FALLOC_FL_PUNCH_HOLE, off, len))
			return 0;
		/* a discard is a hint: a file system without holes ignores it */
		if (discard)
			return errno == EOPNOTSUPP ? 0 : -1;
	}
	if (!blk_fallocate(disk->fd, FALLOC_FL_ZERO_RANGE, off, len))
		return 0;
	if (errno != EOPNOTSUPP)
		return -1;
	return blk_write_zeroes(disk->fd, off, len);
}

/*
 * VIRTIO_BLK_T_DISCARD and _WRITE_ZEROES: a list of 16-byte ranges after
 * the header. The whole list is checked before any range is carried out,
 * so a bad one leaves the image as it was.
 */
static uint8_t blk_dwz(struct blk_disk *disk, const struct vq_chain *c,
		       bool discard)
{
	struct virtio_blk_discard_write_zeroes r[BLK_DWZ_MAX_SEG];
	uint64_t len = c->out_len - sizeof(struct virtio_blk_outhdr);
	unsigned int i, n;

	if (disk->read_only)
		return VIRTIO_BLK_S_UNSUPP;
	if (!len || len % sizeof(r[0]) || len > sizeof(r))
		return VIRTIO_BLK_S_IOERR;
	n = len / sizeof(r[0]);
	vq__copy_from_out(c, sizeof(struct virtio_blk_outhdr), r, len);
	for (i = 0; i < n; i++) {
		/* discard takes no flag; write zeroes only "may unmap" */
		if (r[i].flags & ~(discard ? 0 : VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP))
			return VIRTIO_BLK_S_UNSUPP;
		if (r[i].num_sectors > BLK_DWZ_MAX_SECTORS ||
		    r[i].sector > disk->sectors ||
		    r[i].num_sectors > disk->sectors - r[i].sector)
			return VIRTIO_BLK_S_IOERR;
	}
	for (i = 0; i < n; i++)
		if (r[i].num_sectors &&
		    blk_dwz_range(disk, discard,
				  r[i].flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP,
				  r[i].sector * BLK_SECTOR,
				  (uint64_t)r[i].num_sectors * BLK_SECTOR))
			return VIRTIO_BLK_S_IOERR;
	count(discard ? &disk->discards : &disk->write_zeroes);
	return VIRTIO_BLK_S_OK;
}

int blk__handle(struct blk_disk *disk, const struct vq_chain *c,
		const char **why)
{
	const struct iovec *in = c->iov + c->nr_out;
	struct virtio_blk_outhdr hdr;
	struct blk_io io;
	uint64_t in_data = c->in_len - 1;
	uint8_t status;
	int used = 1;

	if (c->out_len < BLK_HDR_LEN) {
		*why = "block request without room for its header";
		return -1;
	}
	if (c->in_len < 1) {
		*why = "block request without room for its status byte";
		return -1;
	}
	vq__copy_from_out(c, 0, &hdr, sizeof(hdr));

	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
		iov_slice(in, c->nr_in, 0, in_data, &io);
		status = blk_data(disk, &io, hdr.sector, false);
		if (status == VIRTIO_BLK_S_OK)
			used += io.len;
		break;
	case VIRTIO_BLK_T_OUT:
		iov_slice(c->iov, c->nr_out, BLK_HDR_LEN,
			  c->out_len - BLK_HDR_LEN, &io);
		status = blk_data(disk, &io, hdr.sector, true);
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = VIRTIO_BLK_S_OK;
		if (!disk->read_only && fdatasync(disk->fd))
			status = VIRTIO_BLK_S_IOERR;
		count(&disk->flushes);
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		status = blk_dwz(disk, c, hdr.type == VIRTIO_BLK_T_DISCARD);
		if (status == VIRTIO_BLK_S_UNSUPP)
			count(&disk->unsupported);
		break;
	case VIRTIO_BLK_T_GET_ID:
		used += vq__copy_to_in(c, 0, disk->serial,
				       in_data < sizeof(disk->serial) ?
				       in_data : sizeof(disk->serial));
		status = VIRTIO_BLK_S_OK;
		break;
	default:
		count(&disk->unsupported);
		status = VIRTIO_BLK_S_UNSUPP;
	}
	if (status == VIRTIO_BLK_S_IOERR)
		count(&disk->errors);
	/* the status is the last byte of the last writable buffer */
	vq__copy_to_in(c, in_data, &status, 1);
	return used;
}
