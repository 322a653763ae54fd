// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for pvkit-hv's virtio-blk requests: chains from a
 * fuzzed queue (see fuzz_vq.c) go through vq__pop and blk__handle, as
 * virtio_blk.c's I/O threads do, against a small image that may be
 * read-only. The used length must fit in the chain's writable buffers,
 * a chain refused must say why, and the image never grows (nor changes,
 * if read-only). The image is a memfd, so that flushes cost nothing.
 */
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "../blk_req.h"
#include "fuzz_vq.h"

#define SECTORS		8
#define IMAGE		(SECTORS * BLK_SECTOR)
#define REQ_HDR		(FUZZ_RAM / 2)
#define REQ_DATA	(REQ_HDR + BLK_SECTOR)
#define REQ_STATUS	(REQ_DATA + 4 * BLK_SECTOR)

/* A fresh disk on an image of zeroes for every run, so that runs repeat. */
static void disk_reset(struct blk_disk *disk, bool read_only)
{
	static int fd = -1;

	if (fd < 0)
		fd = memfd_create("pvkit-blk-fuzz", MFD_CLOEXEC);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(!ftruncate(fd, 0) && !ftruncate(fd, IMAGE));
	memset(disk, 0, sizeof(*disk));
	disk->fd = fd;
	disk->sectors = SECTORS;
	disk->read_only = read_only;
	memcpy(disk->serial, "fuzz", 5);
}

static void disk_check(const struct blk_disk *disk)
{
	static const uint8_t zero[IMAGE];
	static uint8_t now[IMAGE];
	struct stat st;

	FUZZ_CHECK(!fstat(disk->fd, &st) && st.st_size == IMAGE);
	if (disk->read_only) {
		FUZZ_CHECK(!disk->writes);
		FUZZ_CHECK(pread(disk->fd, now, IMAGE, 0) == IMAGE);
		FUZZ_CHECK(!memcmp(now, zero, IMAGE));
	}
}

/*
 * The driver's move that makes a well-formed request of a known type:
 * header, 0 to 3 sectors of data (or 1 to 4 discard / write zeroes
 * ranges), status, in the middle of RAM, at any sector up to just past
 * the end of the disk.
 */
static void offer_request(struct vm *vm, struct virtqueue *vq,
			  struct fuzz_in *ops)
{
	static const uint32_t types[] = {
		VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH,
		VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_DISCARD,
		VIRTIO_BLK_T_WRITE_ZEROES,
	};
	uint8_t how = fuzz_take(ops, 1);
	struct virtio_blk_outhdr hdr = {
		.type = types[how % ARRAY_SIZE(types)],
		.sector = fuzz_take(ops, 1) % (SECTORS + 2),
	};
	uint16_t head = fuzz_take(ops, 2);
	uint32_t len = (how >> 3) % 4 * BLK_SECTOR;
	uint16_t data_flags = VRING_DESC_F_NEXT;
	bool dwz = hdr.type == VIRTIO_BLK_T_DISCARD ||
		   hdr.type == VIRTIO_BLK_T_WRITE_ZEROES;

	if (vq->size < 4)
		return;
	if (hdr.type != VIRTIO_BLK_T_OUT && !dwz)
		data_flags |= VRING_DESC_F_WRITE;
	memcpy(vm->ram + REQ_HDR, &hdr, sizeof(hdr));
	memset(vm->ram + REQ_DATA, how | 1, len);
	if (dwz) {	/* 1 to 4 ranges, near the disk and its end */
		struct virtio_blk_discard_write_zeroes r = {
			.sector = hdr.sector,
			.num_sectors = fuzz_take(ops, 1) % (SECTORS + 2),
			.flags = how >> 5 & 3,
		};
		unsigned int i;

		len = (1 + (how >> 7) + fuzz_take(ops, 1) % 3) * sizeof(r);
		for (i = 0; i < len; i += sizeof(r))
			memcpy(vm->ram + REQ_DATA + i, &r, sizeof(r));
	}
	fuzz_vq__put_desc(vq, head, REQ_HDR, sizeof(hdr), VRING_DESC_F_NEXT,
			  (head + 1) & (vq->size - 1));
	fuzz_vq__put_desc(vq, head + 1, REQ_DATA, len, data_flags,
			  (head + 2) & (vq->size - 1));
	fuzz_vq__put_desc(vq, head + 2, REQ_STATUS, 1, VRING_DESC_F_WRITE, 0);
	fuzz_vq__offer(vq, head & (vq->size - 1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vq_chain c;
	struct blk_disk disk;
	struct fuzz_in in = { data, size }, ops;
	struct virtqueue vq;
	const char *why;
	struct vm *vm;
	int used;

	vm = fuzz_vq__setup(&in, &vq, &ops);
	if (!vm)
		return 0;
	disk_reset(&disk, fuzz_take(&ops, 1) & 1);
	while (ops.size) {
		switch (fuzz_take(&ops, 1) % 4) {
		case 0:
			fuzz_vq__driver(vm, &vq, &ops);
			continue;
		case 1:
			offer_request(vm, &vq, &ops);
			continue;
		}
		if (fuzz_vq__pop(vm, &vq, &c) <= 0)
			break;
		why = NULL;
		used = blk__handle(&disk, &c, &why);
		disk_check(&disk);
		if (used < 0) {
			FUZZ_CHECK(why != NULL);
			break;
		}
		FUZZ_CHECK(used >= 1 && (uint64_t)used <= c.in_len);
		vq__push(&vq, c.head, used);
		vq__should_notify(&vq);
	}
	return 0;
}
