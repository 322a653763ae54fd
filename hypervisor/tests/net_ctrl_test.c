// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of pvkit-hv's virtio-net control queue commands
 * (net_ctrl.c): VQ_PAIRS_SET within the pairs offered, with MQ acked,
 * turns them on and is answered VIRTIO_NET_OK, wherever the driver split
 * header and data; a count out of range, MQ not acked, a short command,
 * another command, or set_pairs failing is answered VIRTIO_NET_ERR and
 * turns nothing on; a chain with no header or no answer byte breaks the
 * device's rules.
 */
#include <stdint.h>
#include <string.h>
#include <linux/virtio_net.h>

#include "kselftest_harness.h"
#include "../net_ctrl.h"

#define MAX_PAIRS	4

/* What set_pairs was asked, and what it answers. */
struct pairs_double {
	int calls;
	int pairs;
	int ret;
};

static int set_pairs(void *ctx, unsigned int pairs)
{
	struct pairs_double *d = ctx;

	d->calls++;
	d->pairs = pairs;
	return d->ret;
}

/* A command as pvkit_net and virtio_net send one: header, data, ack. */
struct cmd {
	struct virtio_net_ctrl_hdr hdr;
	uint8_t data[8];
	uint8_t ack;
	struct vq_chain c;
};

/* @c: header, @len bytes of data (a pair count first), the ack. */
static void make_cmd(struct cmd *m, uint8_t class, uint8_t cmd,
		     uint16_t pairs, size_t len)
{
	struct vq_chain *c = &m->c;

	memset(m, 0, sizeof(*m));
	m->hdr.class = class;
	m->hdr.cmd = cmd;
	memcpy(m->data, &pairs, sizeof(pairs));	/* little-endian host */
	m->ack = 0xaa;
	c->head = 3;
	c->iov[0].iov_base = &m->hdr;
	c->iov[0].iov_len = sizeof(m->hdr);
	c->iov[1].iov_base = m->data;
	c->iov[1].iov_len = len;
	c->iov[2].iov_base = &m->ack;
	c->iov[2].iov_len = 1;
	c->nr_out = 2;
	c->nr_in = 1;
	c->out_len = sizeof(m->hdr) + len;
	c->in_len = 1;
}

FIXTURE(ctrl) {
	struct pairs_double d;
	struct net_ctrl ctrl;
	struct cmd m;
	const char *why;
};

FIXTURE_SETUP(ctrl)
{
	self->ctrl = (struct net_ctrl){
		.max_pairs = MAX_PAIRS,
		.mq = true,
		.set_pairs = set_pairs,
		.ctx = &self->d,
	};
	self->why = NULL;
}

FIXTURE_TEARDOWN(ctrl)
{
}

/* Runs the command in self->m: the used length; ack and pairs set. */
static int run(struct _test_data_ctrl *self)
{
	return net__ctrl(&self->ctrl, &self->m.c, &self->why);
}

TEST_F(ctrl, pairs_set_within_the_offer_is_carried_out)
{
	int pairs;

	for (pairs = 1; pairs <= MAX_PAIRS; pairs++) {
		make_cmd(&self->m, VIRTIO_NET_CTRL_MQ,
			 VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, pairs, 2);
		ASSERT_EQ(1, run(self));
		EXPECT_EQ(VIRTIO_NET_OK, self->m.ack);
		EXPECT_EQ(pairs, self->d.calls);
		EXPECT_EQ(pairs, self->d.pairs);
	}
}

TEST_F(ctrl, header_and_data_may_share_a_buffer)
{
	struct cmd *m = &self->m;

	make_cmd(m, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 3, 2);
	/* one readable buffer of 4 bytes (data follows hdr in struct cmd) */
	m->c.iov[0].iov_len = sizeof(m->hdr) + 2;
	m->c.iov[1] = m->c.iov[2];
	m->c.nr_out = 1;
	ASSERT_EQ(1, run(self));
	EXPECT_EQ(VIRTIO_NET_OK, m->ack);
	EXPECT_EQ(3, self->d.pairs);
}

TEST_F(ctrl, refused_commands_turn_nothing_on)
{
	static const struct {
		uint8_t class, cmd;
		uint16_t pairs;
		size_t len;
		bool mq;
	} bad[] = {
		{ VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 0, 2, true },
		{ VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, MAX_PAIRS + 1, 2, true },
		{ VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 0x8000, 2, true },
		/* MQ not acked */
		{ VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 2, false },
		/* the count cut short */
		{ VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 1, true },
		{ VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 0, true },
		/* commands the device does not carry out */
		{ VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_RSS_CONFIG, 2, 2, true },
		{ VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, 1, 1, true },
		{ VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, 2, 6, true },
		{ VIRTIO_NET_CTRL_GUEST_OFFLOADS, 0, 2, 8, true },
		{ 0xff, 0xff, 2, 2, true },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		self->ctrl.mq = bad[i].mq;
		make_cmd(&self->m, bad[i].class, bad[i].cmd, bad[i].pairs,
			 bad[i].len);
		ASSERT_EQ(1, run(self)) TH_LOG("command %u", i);
		EXPECT_EQ(VIRTIO_NET_ERR, self->m.ack) TH_LOG("command %u", i);
		EXPECT_EQ(0, self->d.calls) TH_LOG("command %u", i);
	}
}

TEST_F(ctrl, set_pairs_failing_is_answered_err)
{
	self->d.ret = -1;
	make_cmd(&self->m, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
		 2, 2);
	ASSERT_EQ(1, run(self));
	EXPECT_EQ(VIRTIO_NET_ERR, self->m.ack);
	EXPECT_EQ(1, self->d.calls);
}

TEST_F(ctrl, a_chain_without_header_or_answer_breaks_the_rules)
{
	struct cmd *m = &self->m;

	/* one byte of header */
	make_cmd(m, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 0);
	m->c.iov[0].iov_len = 1;
	m->c.out_len = 1;
	EXPECT_EQ(-1, run(self));
	EXPECT_NE(NULL, self->why);
	EXPECT_EQ(0xaa, m->ack);
	/* no writable byte for the answer */
	self->why = NULL;
	make_cmd(m, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 2);
	m->c.nr_in = 0;
	m->c.in_len = 0;
	EXPECT_EQ(-1, run(self));
	EXPECT_NE(NULL, self->why);
	EXPECT_EQ(0, self->d.calls);
}

TEST_HARNESS_MAIN
