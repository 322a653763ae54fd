// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of pvkit-hv's virtio-blk request handling (blk_req.c),
 * built with ASan and UBSan: hand-made chains (every buffer its own
 * allocation, so that ASan sees a byte too far) against a temporary
 * image file. Reads, writes, flushes, GET_ID, discard and write zeroes
 * do what they should and land at sector * 512; where the status byte
 * goes; what the used length is; and every way a request can be wrong,
 * with the image unchanged.
 * The test is linked with --wrap=fdatasync (Makefile), so it sees each
 * fdatasync() a flush makes, on which file, and can make one fail.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "doubles.h"
#include "../blk_req.h"

#define SECTORS		16
#define IMAGE		(SECTORS * BLK_SECTOR)
#define MAX_BUFS	16
#define UNTOUCHED	0xee
#define SERIAL		"pvkit-test-serial"

/* A disk on a temporary image and one request for it. */
struct req {
	struct blk_disk disk;
	struct vq_chain *c;
	void *bufs[MAX_BUFS];		/* what add() allocated */
	unsigned int nr_bufs;
	uint8_t image[IMAGE];		/* what the image should hold */
	const char *why;
};

FIXTURE(blk) {
	struct req q;
};

/* What the code under test asked of fdatasync(), and what it answers. */
static struct {
	int calls;
	int last_fd;
	int fail_errno;		/* non-zero: fail with it instead */
} sync_record;

int __wrap_fdatasync(int fd)
{
	sync_record.calls++;
	sync_record.last_fd = fd;
	if (sync_record.fail_errno) {
		errno = sync_record.fail_errno;
		return -1;
	}
	return __real_fdatasync(fd);
}

static uint8_t pattern(unsigned int i)
{
	return i * 7 + i / BLK_SECTOR;
}

FIXTURE_SETUP(blk)
{
	struct req *q = &self->q;
	const char *tmp = getenv("TMPDIR");
	char path[256];
	unsigned int i;

	snprintf(path, sizeof(path), "%s/pvkit-blk-XXXXXX", tmp ? tmp : "/tmp");
	q->disk.fd = mkstemp(path);
	ASSERT_LE(0, q->disk.fd);
	unlink(path);
	for (i = 0; i < IMAGE; i++)
		q->image[i] = pattern(i);
	ASSERT_EQ(IMAGE, pwrite(q->disk.fd, q->image, IMAGE, 0));
	q->disk.sectors = SECTORS;
	memcpy(q->disk.serial, SERIAL, sizeof(SERIAL));
	q->c = calloc(1, sizeof(*q->c));
	ASSERT_NE(NULL, q->c);
	memset(&sync_record, 0, sizeof(sync_record));
	sync_record.last_fd = -1;
}

/* Empties the chain for the next request. */
static void reset(struct req *q)
{
	unsigned int i;

	for (i = 0; i < q->nr_bufs; i++)
		free(q->bufs[i]);
	q->nr_bufs = 0;
	memset(q->c, 0, sizeof(*q->c));
}

FIXTURE_TEARDOWN(blk)
{
	reset(&self->q);
	free(self->q.c);
	close(self->q.disk.fd);
}

/* Appends @len bytes at @p to the chain. */
static void add_iov(struct req *q, void *p, size_t len, bool writable)
{
	struct vq_chain *c = q->c;
	unsigned int n = c->nr_out + c->nr_in;

	if (n == VQ_MAX_SEGS || (!writable && c->nr_in))
		abort();	/* a mistake in the test itself */
	c->iov[n].iov_base = p;
	c->iov[n].iov_len = len;
	if (writable) {
		c->nr_in++;
		c->in_len += len;
	} else {
		c->nr_out++;
		c->out_len += len;
	}
}

/* Appends a new buffer of @len bytes, filled with UNTOUCHED. */
static uint8_t *add(struct req *q, size_t len, bool writable)
{
	uint8_t *p = malloc(len ? len : 1);

	if (!p || q->nr_bufs == MAX_BUFS)
		abort();
	memset(p, UNTOUCHED, len);
	q->bufs[q->nr_bufs++] = p;
	add_iov(q, p, len, writable);
	return p;
}

static uint8_t *add_out(struct req *q, size_t len)
{
	return add(q, len, false);
}

static uint8_t *add_in(struct req *q, size_t len)
{
	return add(q, len, true);
}

/* The 16-byte request header, as one buffer. */
static void add_hdr(struct req *q, uint32_t type, uint64_t sector)
{
	struct virtio_blk_outhdr hdr = { .type = type, .sector = sector };

	memcpy(add_out(q, sizeof(hdr)), &hdr, sizeof(hdr));
}

static int handle(struct req *q)
{
	q->why = NULL;
	return blk__handle(&q->disk, q->c, &q->why);
}

/* Expects the image file to hold q->image, at its first size. */
static void expect_image(struct __test_metadata *_metadata, struct req *q)
{
	static uint8_t now[IMAGE];
	struct stat st;

	ASSERT_EQ(0, fstat(q->disk.fd, &st));
	EXPECT_EQ(IMAGE, st.st_size);
	ASSERT_EQ(IMAGE, pread(q->disk.fd, now, IMAGE, 0));
	EXPECT_EQ(0, memcmp(now, q->image, IMAGE));
}

/* Fills @p with @len bytes that the image does not hold anywhere. */
static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = seed + i * 13;
}

TEST_F(blk, read_fills_the_buffers_from_sector_times_512)
{
	struct req *q = &self->q;
	uint8_t *a, *b, *status;

	add_hdr(q, VIRTIO_BLK_T_IN, 2);
	a = add_in(q, 700);
	b = add_in(q, 324);
	status = add_in(q, 1);
	EXPECT_EQ(1025, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_OK, *status);
	EXPECT_EQ(0, memcmp(a, q->image + 1024, 700));
	EXPECT_EQ(0, memcmp(b, q->image + 1724, 324));
	EXPECT_EQ(1U, q->disk.reads);
	EXPECT_EQ(0U, q->disk.errors);
}

TEST_F(blk, read_of_the_last_sector)
{
	struct req *q = &self->q;
	uint8_t *data;

	add_hdr(q, VIRTIO_BLK_T_IN, SECTORS - 1);
	/* data and status in one buffer */
	data = add_in(q, BLK_SECTOR + 1);
	EXPECT_EQ(BLK_SECTOR + 1, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_OK, data[BLK_SECTOR]);
	EXPECT_EQ(0, memcmp(data, q->image + IMAGE - BLK_SECTOR, BLK_SECTOR));
}

TEST_F(blk, read_past_the_end_of_the_file_gives_zeroes)
{
	struct req *q = &self->q;
	static const uint8_t zero[BLK_SECTOR];
	uint8_t *data;

	/* the image shrank under us: the disk still says SECTORS */
	ASSERT_EQ(0, ftruncate(q->disk.fd, IMAGE / 2));
	add_hdr(q, VIRTIO_BLK_T_IN, SECTORS / 2 - 1);
	data = add_in(q, 2 * BLK_SECTOR + 1);
	EXPECT_EQ(2 * BLK_SECTOR + 1, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_OK, data[2 * BLK_SECTOR]);
	EXPECT_EQ(0, memcmp(data, q->image + IMAGE / 2 - BLK_SECTOR,
			    BLK_SECTOR));
	EXPECT_EQ(0, memcmp(data + BLK_SECTOR, zero, BLK_SECTOR));
}

TEST_F(blk, write_lands_at_sector_times_512)
{
	struct req *q = &self->q;
	uint8_t *a, *b, *status;

	add_hdr(q, VIRTIO_BLK_T_OUT, 3);
	a = add_out(q, 600);
	b = add_out(q, 424);
	status = add_in(q, 1);
	fill(a, 600, 1);
	fill(b, 424, 2);
	EXPECT_EQ(1, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_OK, *status);
	memcpy(q->image + 1536, a, 600);
	memcpy(q->image + 2136, b, 424);
	expect_image(_metadata, q);
	EXPECT_EQ(1U, q->disk.writes);
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

TEST_F(blk, a_slow_disk_holds_writes_not_reads)
{
	struct req *q = &self->q;
	uint8_t *status;
	long long t0;

	q->disk.write_delay_ms = 200;
	add_hdr(q, VIRTIO_BLK_T_OUT, 1);
	fill(add_out(q, 512), 512, 3);
	status = add_in(q, 1);
	t0 = mono_ms();
	EXPECT_EQ(1, handle(q));
	EXPECT_LE(200, mono_ms() - t0);
	EXPECT_EQ(VIRTIO_BLK_S_OK, *status);
	EXPECT_EQ(1U, q->disk.writes);

	reset(q);
	add_hdr(q, VIRTIO_BLK_T_IN, 1);
	add_in(q, 512);
	status = add_in(q, 1);
	t0 = mono_ms();
	EXPECT_EQ(513, handle(q));
	EXPECT_GT(100, mono_ms() - t0);
	EXPECT_EQ(VIRTIO_BLK_S_OK, *status);
}

TEST_F(blk, header_split_across_descriptors)
{
	struct req *q = &self->q;
	struct virtio_blk_outhdr hdr = { .type = VIRTIO_BLK_T_OUT, .sector = 5 };
	uint8_t *a, *b, *status;

	/* 7 bytes of header, then 9 more with the data behind them */
	a = add_out(q, 7);
	b = add_out(q, 9 + BLK_SECTOR);
	status = add_in(q, 1);
	memcpy(a, &hdr, 7);
	memcpy(b, (uint8_t *)&hdr + 7, 9);
	fill(b + 9, BLK_SECTOR, 3);
	EXPECT_EQ(1, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_OK, *status);
	memcpy(q->image + 5 * BLK_SECTOR, b + 9, BLK_SECTOR);
	expect_image(_metadata, q);
}

TEST_F(blk, flush)
{
	struct req *q = &self->q;
	uint8_t *status;

	add_hdr(q, VIRTIO_BLK_T_FLUSH, 0);
	status = add_in(q, 1);
	EXPECT_EQ(1, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_OK, *status);
	EXPECT_EQ(1U, q->disk.flushes);
	/* the guest's flush is the image's fdatasync(), before the status */
	EXPECT_EQ(1, sync_record.calls);
	EXPECT_EQ(q->disk.fd, sync_record.last_fd);
	/* a read-only image has nothing to write back */
	q->disk.read_only = true;
	*status = UNTOUCHED;
	EXPECT_EQ(1, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_OK, *status);
	EXPECT_EQ(2U, q->disk.flushes);
	EXPECT_EQ(1, sync_record.calls);
	expect_image(_metadata, q);
}

/* An fdatasync() that fails is the guest's I/O error, never an OK. */
TEST_F(blk, flush_that_fails_is_an_io_error)
{
	struct req *q = &self->q;
	uint8_t *status;

	sync_record.fail_errno = EIO;
	add_hdr(q, VIRTIO_BLK_T_FLUSH, 0);
	status = add_in(q, 1);
	EXPECT_EQ(1, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, *status);
	EXPECT_EQ(1, sync_record.calls);
	EXPECT_EQ(1U, q->disk.errors);
	expect_image(_metadata, q);
}

TEST_F(blk, get_id)
{
	struct req *q = &self->q;
	uint8_t *id, *status;

	add_hdr(q, VIRTIO_BLK_T_GET_ID, 0);
	id = add_in(q, VIRTIO_BLK_ID_BYTES);
	status = add_in(q, 1);
	EXPECT_EQ(VIRTIO_BLK_ID_BYTES + 1, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_OK, *status);
	EXPECT_EQ(0, memcmp(id, q->disk.serial, VIRTIO_BLK_ID_BYTES));
	EXPECT_STREQ(SERIAL, (char *)id);
}

TEST_F(blk, get_id_into_a_larger_buffer)
{
	struct req *q = &self->q;
	uint8_t *id;

	/* a full 20-byte serial has no NUL */
	memcpy(q->disk.serial, "01234567890123456789", VIRTIO_BLK_ID_BYTES);
	add_hdr(q, VIRTIO_BLK_T_GET_ID, 0);
	id = add_in(q, 32);
	EXPECT_EQ(VIRTIO_BLK_ID_BYTES + 1, handle(q));
	EXPECT_EQ(0, memcmp(id, "01234567890123456789", VIRTIO_BLK_ID_BYTES));
	EXPECT_EQ(UNTOUCHED, id[VIRTIO_BLK_ID_BYTES]);
	EXPECT_EQ(UNTOUCHED, id[30]);
	EXPECT_EQ(VIRTIO_BLK_S_OK, id[31]);
}

TEST_F(blk, get_id_into_a_short_buffer)
{
	struct req *q = &self->q;
	uint8_t *id, *status;

	add_hdr(q, VIRTIO_BLK_T_GET_ID, 0);
	id = add_in(q, 8);
	status = add_in(q, 1);
	EXPECT_EQ(9, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_OK, *status);
	EXPECT_EQ(0, memcmp(id, SERIAL, 8));
}

TEST_F(blk, get_id_with_the_status_in_its_buffer)
{
	struct req *q = &self->q;
	uint8_t *id;

	add_hdr(q, VIRTIO_BLK_T_GET_ID, 0);
	id = add_in(q, 6);
	EXPECT_EQ(6, handle(q));
	EXPECT_EQ(0, memcmp(id, SERIAL, 5));
	EXPECT_EQ(VIRTIO_BLK_S_OK, id[5]);
}

TEST_F(blk, status_is_the_last_writable_byte)
{
	struct req *q = &self->q;
	uint8_t *a, *b;

	add_hdr(q, VIRTIO_BLK_T_FLUSH, 0);
	a = add_in(q, 4);
	b = add_in(q, 2);
	EXPECT_EQ(1, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_OK, b[1]);
	EXPECT_EQ(UNTOUCHED, b[0]);
	EXPECT_EQ(UNTOUCHED, a[3]);
}

TEST_F(blk, status_before_an_empty_last_buffer)
{
	struct req *q = &self->q;
	uint8_t *a;

	add_hdr(q, VIRTIO_BLK_T_FLUSH, 0);
	a = add_in(q, 4);
	add_in(q, 0);
	EXPECT_EQ(1, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_OK, a[3]);
	EXPECT_EQ(UNTOUCHED, a[2]);
}

TEST_F(blk, no_room_for_the_header)
{
	struct req *q = &self->q;

	add_out(q, 8);
	add_out(q, 7);
	add_in(q, 513);
	EXPECT_EQ(-1, handle(q));
	ASSERT_NE(NULL, q->why);
	EXPECT_NE(NULL, strstr(q->why, "header"));
	EXPECT_EQ(0U, q->disk.reads + q->disk.errors + q->disk.unsupported);
}

TEST_F(blk, no_room_for_the_status)
{
	struct req *q = &self->q;

	add_hdr(q, VIRTIO_BLK_T_FLUSH, 0);
	add_out(q, BLK_SECTOR);
	add_in(q, 0);
	EXPECT_EQ(-1, handle(q));
	ASSERT_NE(NULL, q->why);
	EXPECT_NE(NULL, strstr(q->why, "status"));
	EXPECT_EQ(0U, q->disk.flushes);
}

/* Requests that do not fit on the disk. */
static const struct {
	uint64_t sector;
	size_t len;
} bad[] = {
	{ SECTORS, BLK_SECTOR },
	{ SECTORS - 1, 2 * BLK_SECTOR },
	{ 0, IMAGE + BLK_SECTOR },
	{ UINT64_MAX, BLK_SECTOR },
	{ UINT64_MAX / BLK_SECTOR + 2, BLK_SECTOR },	/* * 512 wraps to 512 */
};

TEST_F(blk, read_out_of_range)
{
	struct req *q = &self->q;
	unsigned int i;
	uint8_t *data;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		reset(q);
		add_hdr(q, VIRTIO_BLK_T_IN, bad[i].sector);
		data = add_in(q, bad[i].len + 1);
		EXPECT_EQ(1, handle(q));
		EXPECT_EQ(VIRTIO_BLK_S_IOERR, data[bad[i].len])
			TH_LOG("sector %llu, %zu bytes",
			       (unsigned long long)bad[i].sector, bad[i].len);
		EXPECT_EQ(UNTOUCHED, data[0]);
	}
	EXPECT_EQ(ARRAY_SIZE(bad), q->disk.errors);
	EXPECT_EQ(0U, q->disk.reads);
}

TEST_F(blk, write_out_of_range_leaves_the_image)
{
	struct req *q = &self->q;
	unsigned int i;
	uint8_t *status;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		reset(q);
		add_hdr(q, VIRTIO_BLK_T_OUT, bad[i].sector);
		fill(add_out(q, bad[i].len), bad[i].len, 4);
		status = add_in(q, 1);
		EXPECT_EQ(1, handle(q));
		EXPECT_EQ(VIRTIO_BLK_S_IOERR, *status)
			TH_LOG("sector %llu, %zu bytes",
			       (unsigned long long)bad[i].sector, bad[i].len);
	}
	expect_image(_metadata, q);
	EXPECT_EQ(0U, q->disk.writes);
}

TEST_F(blk, read_too_long_for_its_used_length)
{
	struct req *q = &self->q;
	uint8_t *data, *status;
	unsigned int i;

	/*
	 * 2 GiB of data and the status byte: more than the int used length
	 * can say. The buffers overlap, so that the test needs 16 MiB.
	 */
	q->disk.sectors = 1ULL << 32;
	add_hdr(q, VIRTIO_BLK_T_IN, 0);
	data = add_in(q, 16 << 20);
	for (i = 1; i < 128; i++)
		add_iov(q, data, 16 << 20, true);
	status = add_in(q, 1);
	EXPECT_EQ(1, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, *status);
	EXPECT_EQ(UNTOUCHED, data[0]);
}

TEST_F(blk, partial_sectors_are_errors)
{
	struct req *q = &self->q;
	uint8_t *status;

	add_hdr(q, VIRTIO_BLK_T_OUT, 1);
	fill(add_out(q, 100), 100, 5);
	status = add_in(q, 1);
	EXPECT_EQ(1, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, *status);
	expect_image(_metadata, q);
}

TEST_F(blk, partial_sector_reads_are_errors)
{
	struct req *q = &self->q;
	uint8_t *data;

	add_hdr(q, VIRTIO_BLK_T_IN, 1);
	data = add_in(q, BLK_SECTOR + 101);
	EXPECT_EQ(1, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, data[BLK_SECTOR + 100]);
	EXPECT_EQ(0U, q->disk.reads);
}

TEST_F(blk, read_only_disk_refuses_writes)
{
	struct req *q = &self->q;
	uint8_t *status;

	/* the fd could write: only the check stands in the way */
	q->disk.read_only = true;
	add_hdr(q, VIRTIO_BLK_T_OUT, 0);
	fill(add_out(q, BLK_SECTOR), BLK_SECTOR, 6);
	status = add_in(q, 1);
	EXPECT_EQ(1, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, *status);
	expect_image(_metadata, q);
	EXPECT_EQ(0U, q->disk.writes);
	EXPECT_EQ(1U, q->disk.errors);
}

TEST_F(blk, unknown_types_are_unsupported)
{
	static const uint32_t types[] = {
		10 /* GET_LIFETIME, not offered */, 99, UINT32_MAX,
	};
	struct req *q = &self->q;
	uint8_t *data;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		reset(q);
		add_hdr(q, types[i], 0);
		data = add_in(q, BLK_SECTOR + 1);
		EXPECT_EQ(1, handle(q));
		EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, data[BLK_SECTOR]);
		EXPECT_EQ(UNTOUCHED, data[0]);
	}
	EXPECT_EQ(ARRAY_SIZE(types), q->disk.unsupported);
	EXPECT_EQ(0U, q->disk.errors);
	expect_image(_metadata, q);
}

/* A discard or write zeroes request of @n ranges; its status byte. */
static uint8_t *add_dwz(struct req *q, uint32_t type,
			const struct virtio_blk_discard_write_zeroes *r,
			unsigned int n)
{
	add_hdr(q, type, 0);
	memcpy(add_out(q, n * sizeof(*r)), r, n * sizeof(*r));
	return add_in(q, 1);
}

TEST_F(blk, write_zeroes_zeroes_each_range)
{
	const struct virtio_blk_discard_write_zeroes r[] = {
		{ .sector = 1, .num_sectors = 2 },
		{ .sector = 9, .num_sectors = 1,
		  .flags = VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP },
		{ .sector = SECTORS - 1, .num_sectors = 1 },
		{ .sector = SECTORS, .num_sectors = 0 },
	};
	struct req *q = &self->q;
	uint8_t *status;

	status = add_dwz(q, VIRTIO_BLK_T_WRITE_ZEROES, r, ARRAY_SIZE(r));
	EXPECT_EQ(1, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_OK, *status);
	memset(q->image + BLK_SECTOR, 0, 2 * BLK_SECTOR);
	memset(q->image + 9 * BLK_SECTOR, 0, BLK_SECTOR);
	memset(q->image + IMAGE - BLK_SECTOR, 0, BLK_SECTOR);
	expect_image(_metadata, q);
	EXPECT_EQ(1U, q->disk.write_zeroes);
	EXPECT_EQ(0U, q->disk.errors);
}

/* A discard punches a hole: the image keeps its size and reads zeroes. */
TEST_F(blk, discard_leaves_zeroes_in_a_hole)
{
	const struct virtio_blk_discard_write_zeroes r[] = {
		{ .sector = 0, .num_sectors = 8 },
	};
	struct req *q = &self->q;
	uint8_t *status;

	status = add_dwz(q, VIRTIO_BLK_T_DISCARD, r, 1);
	EXPECT_EQ(1, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_OK, *status);
	memset(q->image, 0, 8 * BLK_SECTOR);
	expect_image(_metadata, q);
	EXPECT_EQ(1U, q->disk.discards);
}

/* Every malformed list is refused whole, before any range is touched. */
TEST_F(blk, bad_discard_and_write_zeroes_lists_change_nothing)
{
	const struct virtio_blk_discard_write_zeroes ok = {
		.sector = 0, .num_sectors = 1,
	};
	const struct {
		uint32_t type;
		struct virtio_blk_discard_write_zeroes bad;
		uint8_t status;
	} cases[] = {
		{ VIRTIO_BLK_T_DISCARD, { .sector = SECTORS, .num_sectors = 1 },
		  VIRTIO_BLK_S_IOERR },
		{ VIRTIO_BLK_T_WRITE_ZEROES,
		  { .sector = UINT64_MAX - 1, .num_sectors = 4 },
		  VIRTIO_BLK_S_IOERR },
		{ VIRTIO_BLK_T_WRITE_ZEROES,
		  { .sector = 0, .num_sectors = BLK_DWZ_MAX_SECTORS + 1 },
		  VIRTIO_BLK_S_IOERR },
		/* the spec: a discard with the unmap flag is unsupported */
		{ VIRTIO_BLK_T_DISCARD, { .sector = 0, .num_sectors = 1,
		  .flags = VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP },
		  VIRTIO_BLK_S_UNSUPP },
		{ VIRTIO_BLK_T_WRITE_ZEROES,
		  { .sector = 0, .num_sectors = 1, .flags = 2 },
		  VIRTIO_BLK_S_UNSUPP },
	};
	struct virtio_blk_discard_write_zeroes r[2];
	struct req *q = &self->q;
	uint8_t *status;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		reset(q);
		r[0] = ok;
		r[1] = cases[i].bad;
		status = add_dwz(q, cases[i].type, r, 2);
		EXPECT_EQ(1, handle(q));
		EXPECT_EQ(cases[i].status, *status) TH_LOG("case %u", i);
	}
	expect_image(_metadata, q);
	EXPECT_EQ(0U, q->disk.discards + q->disk.write_zeroes);
}

TEST_F(blk, discard_lists_of_a_wrong_length_are_errors)
{
	struct virtio_blk_discard_write_zeroes r[BLK_DWZ_MAX_SEG + 1] = { 0 };
	struct req *q = &self->q;
	uint8_t *status;

	/* no range, half a range, one range too many */
	add_hdr(q, VIRTIO_BLK_T_DISCARD, 0);
	status = add_in(q, 1);
	EXPECT_EQ(1, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, *status);
	reset(q);
	add_hdr(q, VIRTIO_BLK_T_WRITE_ZEROES, 0);
	memcpy(add_out(q, 8), r, 8);
	status = add_in(q, 1);
	EXPECT_EQ(1, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, *status);
	reset(q);
	r[BLK_DWZ_MAX_SEG].num_sectors = 1;
	status = add_dwz(q, VIRTIO_BLK_T_WRITE_ZEROES, r, BLK_DWZ_MAX_SEG + 1);
	EXPECT_EQ(1, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, *status);
	expect_image(_metadata, q);
	EXPECT_EQ(3U, q->disk.errors);
}

/* A read-only disk is offered neither: both are unsupported there. */
TEST_F(blk, read_only_disk_takes_no_discard_or_write_zeroes)
{
	const struct virtio_blk_discard_write_zeroes r = {
		.sector = 0, .num_sectors = 1,
	};
	struct req *q = &self->q;
	uint8_t *status;

	q->disk.read_only = true;
	status = add_dwz(q, VIRTIO_BLK_T_DISCARD, &r, 1);
	EXPECT_EQ(1, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, *status);
	reset(q);
	status = add_dwz(q, VIRTIO_BLK_T_WRITE_ZEROES, &r, 1);
	EXPECT_EQ(1, handle(q));
	EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, *status);
	expect_image(_metadata, q);
	EXPECT_EQ(2U, q->disk.unsupported);
}

TEST_HARNESS_MAIN
