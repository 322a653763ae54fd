// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of pvkit-hv's split virtqueues (virtqueue.c), built with
 * ASan and UBSan. Rings are written by hand into a test VM's RAM. Each
 * rule a driver must keep is broken on its own, and the test checks the
 * reason given, so that it fails if that one check goes missing; then
 * good chains, the used ring, interrupt and kick suppression and the
 * copy helpers.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "doubles.h"
#include "../virtqueue.h"

#define RAM		(1 << 20)
#define QSIZE		8
#define DESC		0x0000		/* room for 1024 descriptors */
#define AVAIL		0x4000
#define USED		0x5000
#define TABLE		0x8000		/* an indirect table */
#define BUF		0x10000		/* buffers from here on */

#define F_NEXT		VRING_DESC_F_NEXT
#define F_WRITE		VRING_DESC_F_WRITE
#define F_INDIRECT	VRING_DESC_F_INDIRECT

/* A queue in a test VM, and the chain it last gave. */
struct ring {
	struct vm *vm;
	struct vq_layout l;
	struct virtqueue vq;
	struct vq_chain *c;
};

FIXTURE(vq) {
	struct ring r;
};

FIXTURE_SETUP(vq)
{
	struct ring *r = &self->r;

	r->vm = double_vm_create(RAM);
	ASSERT_NE(NULL, r->vm);
	/* on the heap, so that ASan sees a write past iov[] */
	r->c = malloc(sizeof(*r->c));
	ASSERT_NE(NULL, r->c);
	r->l.size = QSIZE;
	r->l.desc = DESC;
	r->l.avail = AVAIL;
	r->l.used = USED;
}

FIXTURE_TEARDOWN(vq)
{
	free(self->r.c);
	double_vm_destroy(self->r.vm);
}

static int start(struct ring *r, bool event_idx, bool indirect)
{
	return vq__init(&r->vq, r->vm, &r->l, event_idx, indirect);
}

/* Entry @i of the descriptor table at guest address @table. */
static void put_desc(struct ring *r, uint64_t table, unsigned int i,
		     uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	struct vring_desc d = {
		.addr = addr, .len = len, .flags = flags, .next = next,
	};

	memcpy(r->vm->ram + table + 16 * i, &d, sizeof(d));
}

static struct vring_avail *avail(struct ring *r)
{
	return (struct vring_avail *)(r->vm->ram + r->l.avail);
}

static struct vring_used *used(struct ring *r)
{
	return (struct vring_used *)(r->vm->ram + r->l.used);
}

/* The driver makes the chain at @head available. */
static void offer(struct ring *r, uint16_t head)
{
	struct vring_avail *a = avail(r);

	a->ring[a->idx & (r->l.size - 1)] = head;
	a->idx++;
}

static int pop(struct ring *r)
{
	return vq__pop(&r->vq, r->c);
}

/* Expects @ret to be a refusal whose reason contains @what. */
static void expect_refused(struct __test_metadata *_metadata, int ret,
			   const struct virtqueue *vq, const char *what)
{
	const char *why = vq->error ? vq->error : "(no reason)";

	EXPECT_EQ(-EINVAL, ret);
	EXPECT_NE(NULL, strstr(why, what))
		TH_LOG("refused because \"%s\", expected \"%s\"", why, what);
}

static void expect_init_refused(struct __test_metadata *_metadata,
				struct ring *r, const char *what)
{
	expect_refused(_metadata, start(r, false, false), &r->vq, what);
}

static void expect_pop_refused(struct __test_metadata *_metadata,
			       struct ring *r, const char *what)
{
	expect_refused(_metadata, pop(r), &r->vq, what);
}

/* Expects buffer @i of the last chain to be @len bytes at @addr. */
static void expect_iov(struct __test_metadata *_metadata, struct ring *r,
		       unsigned int i, uint64_t addr, size_t len)
{
	EXPECT_EQ(r->vm->ram + addr, r->c->iov[i].iov_base);
	EXPECT_EQ(len, r->c->iov[i].iov_len);
}

/* Starts the queue afresh, without event idx, and offers chain @head. */
static int offer_chain(struct ring *r, bool indirect, uint16_t head)
{
	int err = start(r, false, indirect);

	avail(r)->idx = 0;
	offer(r, head);
	return err;
}

/* That, and vq__pop must refuse the chain for a reason naming @what. */
static void expect_chain_refused(struct __test_metadata *_metadata,
				 struct ring *r, bool indirect, uint16_t head,
				 const char *what)
{
	ASSERT_EQ(0, offer_chain(r, indirect, head));
	expect_pop_refused(_metadata, r, what);
}

/*
 * That, and vq__pop must take the chain: @nr_out readable buffers of
 * @out_len bytes in all, then @nr_in writable ones of @in_len.
 */
static void expect_chain(struct __test_metadata *_metadata, struct ring *r,
			 bool indirect, uint16_t head, unsigned int nr_out,
			 uint64_t out_len, unsigned int nr_in, uint64_t in_len)
{
	ASSERT_EQ(0, offer_chain(r, indirect, head));
	ASSERT_EQ(1, pop(r));
	EXPECT_EQ(head, r->c->head);
	EXPECT_EQ(nr_out, r->c->nr_out);
	EXPECT_EQ(out_len, r->c->out_len);
	EXPECT_EQ(nr_in, r->c->nr_in);
	EXPECT_EQ(in_len, r->c->in_len);
}

TEST_F(vq, init_takes_good_layouts)
{
	struct ring *r = &self->r;
	static const uint16_t sizes[] = { 1, 2, 256, 1024 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		r->l.size = sizes[i];
		ASSERT_EQ(0, start(r, false, false));
		EXPECT_EQ(sizes[i], r->vq.size);
		EXPECT_EQ(NULL, r->vq.error);
	}
	/* each ring may end at the last byte of RAM (used: 2 below) */
	r->l.size = QSIZE;
	r->l.desc = RAM - 16 * QSIZE;
	r->l.avail = RAM - 2 * (QSIZE + 3);
	r->l.used = RAM - (8 * QSIZE + 8);
	EXPECT_EQ(0, start(r, true, true));
}

TEST_F(vq, init_refuses_bad_sizes)
{
	struct ring *r = &self->r;
	static const uint16_t sizes[] = { 0, 3, 6, 1000, 1025, 2048, 0xffff };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		r->l.size = sizes[i];
		expect_init_refused(_metadata, r, "power of two");
	}
}

TEST_F(vq, init_refuses_misaligned_rings)
{
	struct ring *r = &self->r;

	r->l.desc = DESC + 8;
	expect_init_refused(_metadata, r, "not aligned");
	r->l.desc = DESC;
	r->l.avail = AVAIL + 1;
	expect_init_refused(_metadata, r, "not aligned");
	r->l.avail = AVAIL;
	r->l.used = USED + 2;
	expect_init_refused(_metadata, r, "not aligned");
}

TEST_F(vq, init_refuses_rings_partly_outside_ram)
{
	struct ring *r = &self->r;

	/* one entry (or the event word) past the top of RAM */
	r->l.desc = RAM - 16 * (QSIZE - 1);
	expect_init_refused(_metadata, r, "ring outside guest RAM");
	r->l.desc = DESC;
	r->l.avail = RAM - 2 * (QSIZE + 2);
	expect_init_refused(_metadata, r, "ring outside guest RAM");
	r->l.avail = AVAIL;
	r->l.used = RAM - (8 * QSIZE + 4);
	expect_init_refused(_metadata, r, "ring outside guest RAM");
	r->l.used = USED;
	r->l.desc = RAM;
	expect_init_refused(_metadata, r, "ring outside guest RAM");
}

TEST_F(vq, init_refuses_rings_wrapping_around)
{
	struct ring *r = &self->r;

	/* address + length wraps past 2^64 to a small number */
	r->l.desc = UINT64_MAX - 16 * QSIZE + 1 + 64;
	expect_init_refused(_metadata, r, "ring outside guest RAM");
	r->l.desc = DESC;
	r->l.avail = UINT64_MAX - 1;
	expect_init_refused(_metadata, r, "ring outside guest RAM");
	r->l.avail = AVAIL;
	r->l.used = UINT64_MAX - 3;
	expect_init_refused(_metadata, r, "ring outside guest RAM");
}

TEST_F(vq, empty_ring_gives_nothing)
{
	struct ring *r = &self->r;

	ASSERT_EQ(0, start(r, false, false));
	EXPECT_EQ(0, pop(r));
	EXPECT_EQ(NULL, r->vq.error);
}

TEST_F(vq, avail_index_at_most_size_ahead)
{
	struct ring *r = &self->r;
	unsigned int i;

	put_desc(r, DESC, 0, BUF, 16, 0, 0);
	ASSERT_EQ(0, start(r, false, false));
	for (i = 0; i < QSIZE; i++)
		offer(r, 0);
	for (i = 0; i < QSIZE; i++)
		EXPECT_EQ(1, pop(r));
	EXPECT_EQ(0, pop(r));

	ASSERT_EQ(0, start(r, false, false));
	avail(r)->idx = QSIZE + 1;
	expect_pop_refused(_metadata, r, "more than the queue size ahead");
	ASSERT_EQ(0, start(r, false, false));
	avail(r)->idx = 0xffff;
	expect_pop_refused(_metadata, r, "more than the queue size ahead");
}

TEST_F(vq, avail_index_wraps_at_65536)
{
	struct ring *r = &self->r;
	unsigned int i;

	for (i = 0; i < QSIZE; i++)
		put_desc(r, DESC, i, BUF, 16, 0, 0);
	ASSERT_EQ(0, start(r, false, false));
	r->vq.last_avail = 0xfffe;
	avail(r)->idx = 0xfffe;
	for (i = 0; i < 4; i++)
		offer(r, i + 2);
	EXPECT_EQ(2, avail(r)->idx);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(1, pop(r));
		EXPECT_EQ(i + 2, r->c->head);
	}
	EXPECT_EQ(0, pop(r));

	/* size + 1 ahead across the wrap */
	ASSERT_EQ(0, start(r, false, false));
	r->vq.last_avail = 0xfffe;
	avail(r)->idx = (uint16_t)(0xfffe + QSIZE + 1);
	expect_pop_refused(_metadata, r, "more than the queue size ahead");
}

TEST_F(vq, head_outside_table_refused)
{
	struct ring *r = &self->r;

	expect_chain_refused(_metadata, r, false, QSIZE, "chain head outside");
	expect_chain_refused(_metadata, r, false, 0xffff, "chain head outside");
}

TEST_F(vq, next_outside_table_refused)
{
	struct ring *r = &self->r;

	put_desc(r, DESC, 0, BUF, 16, F_NEXT, QSIZE);
	expect_chain_refused(_metadata, r, false, 0, "next index outside");

	/* in an indirect table of two, next may be 0 or 1 only */
	put_desc(r, DESC, 0, TABLE, 32, F_INDIRECT, 0);
	put_desc(r, TABLE, 0, BUF, 16, F_NEXT, 2);
	put_desc(r, TABLE, 1, BUF, 16, 0, 0);
	expect_chain_refused(_metadata, r, true, 0, "next index outside");
}

TEST_F(vq, chain_loops_end_in_an_error)
{
	struct ring *r = &self->r;

	put_desc(r, DESC, 0, BUF, 16, F_NEXT, 1);
	put_desc(r, DESC, 1, BUF, 16, F_NEXT, 0);
	expect_chain_refused(_metadata, r, false, 0, "(a loop)");

	put_desc(r, DESC, 2, BUF, 16, F_NEXT, 2);
	expect_chain_refused(_metadata, r, false, 2, "(a loop)");

	put_desc(r, DESC, 0, TABLE, 32, F_INDIRECT, 0);
	put_desc(r, TABLE, 0, BUF, 16, F_NEXT, 1);
	put_desc(r, TABLE, 1, BUF, 16, F_NEXT, 0);
	expect_chain_refused(_metadata, r, true, 0, "(a loop)");
}

TEST_F(vq, nested_indirect_refused)
{
	struct ring *r = &self->r;

	put_desc(r, DESC, 0, TABLE, 16, F_INDIRECT, 0);
	put_desc(r, TABLE, 0, TABLE + 16, 16, F_INDIRECT, 0);
	put_desc(r, TABLE, 1, BUF, 16, 0, 0);	/* what it names */
	expect_chain_refused(_metadata, r, true, 0, "indirect table inside");
}

TEST_F(vq, indirect_length_must_be_whole_entries)
{
	struct ring *r = &self->r;
	static const uint32_t lens[] = { 0, 8, 24, 16 * (VQ_MAX_SEGS + 1) };
	unsigned int i;

	put_desc(r, TABLE, 0, BUF, 16, 0, 0);
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		put_desc(r, DESC, 0, TABLE, lens[i], F_INDIRECT, 0);
		expect_chain_refused(_metadata, r, true, 0,
				     "non-zero multiple of 16");
	}
}

TEST_F(vq, indirect_needs_the_feature)
{
	struct ring *r = &self->r;

	put_desc(r, DESC, 0, TABLE, 16, F_INDIRECT, 0);
	put_desc(r, TABLE, 0, BUF, 16, 0, 0);
	expect_chain_refused(_metadata, r, false, 0, "feature not negotiated");
}

TEST_F(vq, indirect_with_next_refused)
{
	struct ring *r = &self->r;

	put_desc(r, DESC, 0, TABLE, 16, F_INDIRECT | F_NEXT, 1);
	put_desc(r, DESC, 1, BUF, 16, 0, 0);
	put_desc(r, TABLE, 0, BUF, 16, 0, 0);
	expect_chain_refused(_metadata, r, true, 0,
			     "indirect descriptor with a next");
}

TEST_F(vq, indirect_table_outside_ram_refused)
{
	struct ring *r = &self->r;

	put_desc(r, DESC, 0, RAM - 16, 32, F_INDIRECT, 0);
	expect_chain_refused(_metadata, r, true, 0,
			     "indirect table outside guest RAM");
}

TEST_F(vq, readable_after_writable_refused)
{
	struct ring *r = &self->r;

	put_desc(r, DESC, 0, BUF, 16, F_WRITE | F_NEXT, 1);
	put_desc(r, DESC, 1, BUF + 16, 16, 0, 0);
	expect_chain_refused(_metadata, r, false, 0,
			     "device-readable buffer after");

	/* the order holds across the step into an indirect table */
	put_desc(r, DESC, 1, TABLE, 16, F_INDIRECT, 0);
	put_desc(r, TABLE, 0, BUF + 16, 16, 0, 0);
	expect_chain_refused(_metadata, r, true, 0,
			     "device-readable buffer after");
}

TEST_F(vq, buffers_outside_ram_refused)
{
	struct ring *r = &self->r;
	static const struct {
		uint64_t addr;
		uint32_t len;
	} bad[] = {
		{ RAM - 10, 11 },
		{ RAM, 1 },
		{ UINT64_MAX - 3, 8 },		/* wraps to 4 */
		{ UINT64_MAX, 0xffffffff },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		put_desc(r, DESC, 0, bad[i].addr, bad[i].len, F_WRITE, 0);
		expect_chain_refused(_metadata, r, false, 0,
				     "buffer outside guest RAM");
	}
	/* right up to the top is fine, and so is an empty buffer anywhere */
	put_desc(r, DESC, 0, RAM - 10, 10, F_NEXT, 1);
	put_desc(r, DESC, 1, UINT64_MAX, 0, F_WRITE, 0);
	expect_chain(_metadata, r, false, 0, 1, 10, 1, 0);
	expect_iov(_metadata, r, 0, RAM - 10, 10);
}

TEST_F(vq, chain_of_1024_buffers_but_no_more)
{
	struct ring *r = &self->r;
	unsigned int i;

	r->l.size = VQ_MAX_SIZE;
	for (i = 0; i < VQ_MAX_SIZE; i++)
		put_desc(r, DESC, i, BUF + i, 1, F_NEXT, i + 1);
	put_desc(r, DESC, VQ_MAX_SIZE - 1, BUF, 1, 0, 0);
	expect_chain(_metadata, r, true, 0, VQ_MAX_SEGS, VQ_MAX_SEGS, 0, 0);

	/* 1023 here and two more in an indirect table */
	put_desc(r, DESC, VQ_MAX_SIZE - 1, TABLE, 32, F_INDIRECT, 0);
	put_desc(r, TABLE, 0, BUF, 1, F_NEXT, 1);
	put_desc(r, TABLE, 1, BUF, 1, 0, 0);
	expect_chain_refused(_metadata, r, true, 0, "more buffers in one chain");
}

TEST_F(vq, direct_chain)
{
	struct ring *r = &self->r;

	put_desc(r, DESC, 5, BUF, 16, F_NEXT, 2);
	put_desc(r, DESC, 2, BUF + 100, 300, F_NEXT, 7);
	put_desc(r, DESC, 7, BUF + 1000, 512, F_WRITE | F_NEXT, 0);
	put_desc(r, DESC, 0, BUF + 2000, 1, F_WRITE, 3);
	expect_chain(_metadata, r, false, 5, 2, 316, 2, 513);
	expect_iov(_metadata, r, 0, BUF, 16);
	expect_iov(_metadata, r, 1, BUF + 100, 300);
	expect_iov(_metadata, r, 2, BUF + 1000, 512);
	expect_iov(_metadata, r, 3, BUF + 2000, 1);
	EXPECT_EQ(0, pop(r));
}

TEST_F(vq, indirect_chain)
{
	struct ring *r = &self->r;

	/* the write flag of the descriptor naming the table is ignored */
	put_desc(r, DESC, 3, TABLE, 48, F_INDIRECT | F_WRITE, 0);
	put_desc(r, TABLE, 0, BUF, 16, F_NEXT, 2);
	put_desc(r, TABLE, 2, BUF + 64, 1024, F_WRITE | F_NEXT, 1);
	put_desc(r, TABLE, 1, BUF + 4096, 1, F_WRITE, 0);
	expect_chain(_metadata, r, true, 3, 1, 16, 2, 1025);
	expect_iov(_metadata, r, 0, BUF, 16);
	expect_iov(_metadata, r, 1, BUF + 64, 1024);
	expect_iov(_metadata, r, 2, BUF + 4096, 1);
}

TEST_F(vq, direct_then_indirect_chain)
{
	struct ring *r = &self->r;

	put_desc(r, DESC, 0, BUF, 16, F_NEXT, 1);
	put_desc(r, DESC, 1, TABLE, 32, F_INDIRECT, 0);
	put_desc(r, TABLE, 0, BUF + 16, 100, F_NEXT, 1);
	put_desc(r, TABLE, 1, BUF + 200, 50, F_WRITE, 0);
	expect_chain(_metadata, r, true, 0, 2, 116, 1, 50);
	expect_iov(_metadata, r, 0, BUF, 16);
	expect_iov(_metadata, r, 1, BUF + 16, 100);
	expect_iov(_metadata, r, 2, BUF + 200, 50);
}

TEST_F(vq, push_fills_the_used_ring)
{
	struct ring *r = &self->r;
	struct vring_used *u = used(r);
	unsigned int i;

	ASSERT_EQ(0, start(r, false, false));
	vq__push(&r->vq, 3, 100);
	EXPECT_EQ(1, u->idx);
	EXPECT_EQ(3U, u->ring[0].id);
	EXPECT_EQ(100U, u->ring[0].len);
	vq__push(&r->vq, 7, 0);
	EXPECT_EQ(2, u->idx);
	EXPECT_EQ(7U, u->ring[1].id);
	EXPECT_EQ(0U, u->ring[1].len);
	/* around the ring: entry size + 2 is entry 2 again */
	for (i = 2; i < QSIZE + 3; i++)
		vq__push(&r->vq, i % QSIZE, 1000 + i);
	EXPECT_EQ(QSIZE + 3, u->idx);
	EXPECT_EQ(2U, u->ring[2].id);
	EXPECT_EQ(1000U + QSIZE + 2, u->ring[2].len);
	EXPECT_EQ(1003U, u->ring[3].len);
}

TEST_F(vq, push_n_shows_all_elements_at_once)
{
	struct ring *r = &self->r;
	struct vring_used *u = used(r);
	const struct vring_used_elem e[3] = {
		{ .id = 4, .len = 4096 }, { .id = 1, .len = 4096 },
		{ .id = 6, .len = 10 },
	};

	ASSERT_EQ(0, start(r, false, false));
	vq__push(&r->vq, 0, 1);
	vq__push_n(&r->vq, e, 3);
	EXPECT_EQ(4, u->idx);
	EXPECT_EQ(4U, u->ring[1].id);
	EXPECT_EQ(1U, u->ring[2].id);
	EXPECT_EQ(6U, u->ring[3].id);
	EXPECT_EQ(10U, u->ring[3].len);
	/* none: the index stays */
	vq__push_n(&r->vq, e, 0);
	EXPECT_EQ(4, u->idx);
}

/* Chains given back are taken again, in order, and checked again. */
TEST_F(vq, unpop_gives_chains_back)
{
	struct ring *r = &self->r;

	ASSERT_EQ(0, start(r, false, false));
	put_desc(r, DESC, 1, BUF, 100, F_WRITE, 0);
	put_desc(r, DESC, 2, BUF + 4096, 200, F_WRITE, 0);
	put_desc(r, DESC, 3, BUF + 8192, 300, F_WRITE, 0);
	offer(r, 1);
	offer(r, 2);
	offer(r, 3);
	ASSERT_EQ(1, pop(r));
	ASSERT_EQ(1, pop(r));
	ASSERT_EQ(1, pop(r));
	EXPECT_EQ(300U, r->c->in_len);
	EXPECT_FALSE(vq__avail_pending(&r->vq));
	vq__unpop(&r->vq, 2);
	EXPECT_TRUE(vq__avail_pending(&r->vq));
	ASSERT_EQ(1, pop(r));
	EXPECT_EQ(2, r->c->head);
	EXPECT_EQ(200U, r->c->in_len);
	/* the driver broke chain 3 meanwhile: taking it again sees that */
	put_desc(r, DESC, 3, RAM - 10, 300, F_WRITE, 0);
	expect_pop_refused(_metadata, r, "outside");
	vq__unpop(&r->vq, 0);
	EXPECT_FALSE(vq__avail_pending(&r->vq));
}

TEST_F(vq, notify_without_event_idx_follows_no_interrupt)
{
	struct ring *r = &self->r;

	ASSERT_EQ(0, start(r, false, false));
	vq__push(&r->vq, 0, 0);
	EXPECT_TRUE(vq__should_notify(&r->vq));
	avail(r)->flags = VRING_AVAIL_F_NO_INTERRUPT;
	vq__push(&r->vq, 0, 0);
	EXPECT_FALSE(vq__should_notify(&r->vq));
	avail(r)->flags = 0;
	EXPECT_TRUE(vq__should_notify(&r->vq));
}

static void push_some(struct virtqueue *vq, unsigned int n)
{
	while (n--)
		vq__push(vq, 0, 0);
}

TEST_F(vq, notify_with_event_idx)
{
	struct ring *r = &self->r;
	uint16_t *used_event = &avail(r)->ring[QSIZE];

	ASSERT_EQ(0, start(r, true, false));
	/* the first time always, whatever used_event says */
	*used_event = 100;
	vq__push(&r->vq, 0, 0);
	EXPECT_TRUE(vq__should_notify(&r->vq));
	/* then only when used->idx passes used_event: 1 -> 2, event 100 */
	vq__push(&r->vq, 0, 0);
	EXPECT_FALSE(vq__should_notify(&r->vq));
	/* 2 -> 3 with event 2 */
	*used_event = 2;
	vq__push(&r->vq, 0, 0);
	EXPECT_TRUE(vq__should_notify(&r->vq));
	/* batches of three: 3 -> 6 with event 6, not reached yet */
	*used_event = 6;
	push_some(&r->vq, 3);
	EXPECT_FALSE(vq__should_notify(&r->vq));
	/* 6 -> 9 with event 2, long behind */
	*used_event = 2;
	push_some(&r->vq, 3);
	EXPECT_FALSE(vq__should_notify(&r->vq));
	/* 9 -> 12 with event 10, passed on the way */
	*used_event = 10;
	push_some(&r->vq, 3);
	EXPECT_TRUE(vq__should_notify(&r->vq));
	/* the avail flags are ignored under event idx: 12 -> 13, event 12 */
	avail(r)->flags = VRING_AVAIL_F_NO_INTERRUPT;
	*used_event = 12;
	push_some(&r->vq, 1);
	EXPECT_TRUE(vq__should_notify(&r->vq));
	/* 13 -> 14, event 12 */
	avail(r)->flags = 0;
	push_some(&r->vq, 1);
	EXPECT_FALSE(vq__should_notify(&r->vq));
	/* a queue enabled again starts afresh */
	ASSERT_EQ(0, start(r, true, false));
	*used_event = 100;
	vq__push(&r->vq, 0, 0);
	EXPECT_TRUE(vq__should_notify(&r->vq));
}

TEST_F(vq, kicks_without_event_idx)
{
	struct ring *r = &self->r;

	put_desc(r, DESC, 0, BUF, 16, 0, 0);
	ASSERT_EQ(0, start(r, false, false));
	vq__disable_kicks(&r->vq);
	EXPECT_EQ(VRING_USED_F_NO_NOTIFY, used(r)->flags);
	EXPECT_FALSE(vq__enable_kicks(&r->vq));
	EXPECT_EQ(0, used(r)->flags);

	vq__disable_kicks(&r->vq);
	offer(r, 0);
	EXPECT_TRUE(vq__enable_kicks(&r->vq));
	EXPECT_EQ(0, used(r)->flags);
	EXPECT_EQ(1, pop(r));
	EXPECT_FALSE(vq__enable_kicks(&r->vq));
}

TEST_F(vq, kicks_with_event_idx)
{
	struct ring *r = &self->r;
	uint16_t *avail_event = (uint16_t *)&used(r)->ring[QSIZE];

	put_desc(r, DESC, 0, BUF, 16, 0, 0);
	ASSERT_EQ(0, start(r, true, false));
	*avail_event = 0x5555;
	EXPECT_FALSE(vq__enable_kicks(&r->vq));
	EXPECT_EQ(0, *avail_event);
	vq__disable_kicks(&r->vq);
	EXPECT_EQ(0, used(r)->flags);

	offer(r, 0);
	offer(r, 0);
	EXPECT_TRUE(vq__enable_kicks(&r->vq));
	EXPECT_EQ(1, pop(r));
	EXPECT_TRUE(vq__enable_kicks(&r->vq));
	EXPECT_EQ(1, *avail_event);
	EXPECT_EQ(1, pop(r));
	EXPECT_FALSE(vq__enable_kicks(&r->vq));
	EXPECT_EQ(2, *avail_event);
}

/* A chain of readable 3, 5, 0, 4 and writable 2, 6, 3 bytes, with gaps. */
static void copy_chain(struct __test_metadata *_metadata, struct ring *r)
{
	static const uint32_t lens[] = { 3, 5, 0, 4, 2, 6, 3 };
	unsigned int i;

	memset(r->vm->ram + BUF, 0xee, 4096);
	for (i = 0; i < ARRAY_SIZE(lens); i++)
		put_desc(r, DESC, i, BUF + 16 * i, lens[i],
			 (i >= 4 ? F_WRITE : 0) |
			 (i + 1 < ARRAY_SIZE(lens) ? F_NEXT : 0), i + 1);
	expect_chain(_metadata, r, false, 0, 4, 12, 3, 11);
}

TEST_F(vq, copy_from_out_across_buffers)
{
	struct ring *r = &self->r;
	char buf[16];

	copy_chain(_metadata, r);
	memcpy(r->vm->ram + BUF, "abc", 3);
	memcpy(r->vm->ram + BUF + 16, "defgh", 5);
	memcpy(r->vm->ram + BUF + 48, "ijkl", 4);

	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(12U, vq__copy_from_out(r->c, 0, buf, sizeof(buf)));
	EXPECT_STREQ("abcdefghijkl", buf);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(6U, vq__copy_from_out(r->c, 2, buf, 6));
	EXPECT_STREQ("cdefgh", buf);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(2U, vq__copy_from_out(r->c, 0, buf, 2));
	EXPECT_STREQ("ab", buf);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(3U, vq__copy_from_out(r->c, 9, buf, 10));
	EXPECT_STREQ("jkl", buf);
	EXPECT_EQ(0U, vq__copy_from_out(r->c, 12, buf, 1));
	EXPECT_EQ(0U, vq__copy_from_out(r->c, 1000, buf, 1));
}

TEST_F(vq, copy_to_in_across_buffers)
{
	struct ring *r = &self->r;
	uint8_t *ram = r->vm->ram + BUF;

	copy_chain(_metadata, r);
	EXPECT_EQ(10U, vq__copy_to_in(r->c, 1, "ABCDEFGHIJ", 10));
	EXPECT_EQ(0xee, ram[64]);
	EXPECT_EQ('A', ram[65]);
	EXPECT_EQ(0, memcmp(ram + 80, "BCDEFG", 6));
	EXPECT_EQ(0, memcmp(ram + 96, "HIJ", 3));
	EXPECT_EQ(2U, vq__copy_to_in(r->c, 3, "xy", 2));
	EXPECT_EQ(0, memcmp(ram + 80, "BxyEFG", 6));
	EXPECT_EQ(2U, vq__copy_to_in(r->c, 9, "pqrst", 5));
	EXPECT_EQ(0, memcmp(ram + 96, "Hpq", 3));
	EXPECT_EQ(0U, vq__copy_to_in(r->c, 11, "z", 1));
	/* nothing around the buffers was touched */
	EXPECT_EQ(0xee, ram[66]);
	EXPECT_EQ(0xee, ram[86]);
	EXPECT_EQ(0xee, ram[99]);
	EXPECT_EQ(0xee, ram[63]);
	/* and nothing readable */
	EXPECT_EQ(0xee, ram[0]);
}

TEST_HARNESS_MAIN
