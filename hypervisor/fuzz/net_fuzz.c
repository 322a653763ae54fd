// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for pvkit-hv's virtio-net packet handling (net_io.c)
 * and control commands (net_ctrl.c): chains from a fuzzed queue (see
 * fuzz_vq.c) go through vq__pop and then net__tx, net__rx or net__ctrl
 * as virtio_net.c's transmit, receive and control threads do,
 * on a datagram socket pair that stands in for the tap (one packet per
 * read or write, cut short if the buffers are). A packet sent must come
 * out whole as the chain's readable bytes; one received must fill one
 * to four chains in turn as far as it goes, with their count in
 * num_buffers, and the chains it left go back to the ring (vq__unpop);
 * a chain refused must be too small. A control command is answered
 * VIRTIO_NET_OK or VIRTIO_NET_ERR, OK only after a pair count the
 * device offers was turned on, or refused for want of header or answer.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "../net_ctrl.h"
#include "../net_io.h"
#include "fuzz_vq.h"

#define PACKET_MAX	(256 * 1024)	/* above the socket's send buffer */
#define RX_CHAINS	4		/* chains one received packet may take */
#define CTRL_PAIRS	4		/* the queue pairs a command may ask for */

enum mode { TRANSMIT, RECEIVE, CONTROL };

static uint8_t packet[PACKET_MAX], sent[PACKET_MAX];

/* sv[0] is the device's end, sv[1] the network's; both empty. */
static void sockets_reset(int sv[2])
{
	if (sv[0] < 0)
		FUZZ_CHECK(!socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK |
				       SOCK_CLOEXEC, 0, sv));
	while (recv(sv[0], packet, sizeof(packet), 0) >= 0)
		;
	while (recv(sv[1], packet, sizeof(packet), 0) >= 0)
		;
}

/* Transmits @c; false if the queue must stop. */
static bool tx(int sv[2], const struct vq_chain *c)
{
	const char *why = NULL;
	ssize_t n;
	int r;

	r = net__tx(sv[0], c, &why);
	if (r < 0) {
		FUZZ_CHECK(why && c->out_len < NET_HDR_LEN);
		return false;
	}
	n = recv(sv[1], packet, sizeof(packet), 0);
	if (r) {
		FUZZ_CHECK((uint64_t)n == c->out_len);
		FUZZ_CHECK(vq__copy_from_out(c, 0, sent, n) == (size_t)n);
		FUZZ_CHECK(!memcmp(packet, sent, n));
	} else {
		FUZZ_CHECK(n < 0);
	}
	return true;
}

/* @len bytes of @c's writable buffers from @off on, into @buf. */
static void copy_from_in(const struct vq_chain *c, size_t off, uint8_t *buf,
			 size_t len)
{
	const struct iovec *v = c->iov + c->nr_out;
	size_t take;

	for (; len; v++) {
		if (off >= v->iov_len) {
			off -= v->iov_len;
			continue;
		}
		take = v->iov_len - off < len ? v->iov_len - off : len;
		memcpy(buf, (uint8_t *)v->iov_base + off, take);
		buf += take;
		len -= take;
		off = 0;
	}
}

static int set_pairs(void *ctx, unsigned int pairs)
{
	*(unsigned int *)ctx = pairs;
	return 0;
}

/* Carries out the control command in @c; false if the queue must stop. */
static bool ctrl(const struct vq_chain *c, bool mq)
{
	unsigned int asked = 0;
	const struct net_ctrl nc = {
		.max_pairs = CTRL_PAIRS,
		.mq = mq,
		.set_pairs = set_pairs,
		.ctx = &asked,
	};
	const char *why = NULL;
	uint8_t ack;
	int r;

	r = net__ctrl(&nc, c, &why);
	if (r < 0) {
		FUZZ_CHECK(why && (c->out_len < 2 || !c->in_len));
		return false;
	}
	FUZZ_CHECK(r == 1 && c->in_len);
	/* the answer is written last, into the first writable byte */
	copy_from_in(c, 0, &ack, 1);
	if (ack == VIRTIO_NET_OK)
		FUZZ_CHECK(mq && asked >= 1 && asked <= CTRL_PAIRS);
	else
		FUZZ_CHECK(ack == VIRTIO_NET_ERR && !asked);
	return true;
}

/*
 * Receives a packet of fuzzed length into chains @c[0..@n): its length,
 * or -1; the chains it filled in *@used, their lengths in @lens.
 */
static ssize_t rx(int sv[2], const struct vq_chain *c, unsigned int n,
		  uint32_t *lens, unsigned int *used, struct fuzz_in *ops)
{
	uint16_t what = fuzz_take(ops, 2), nbufs;
	size_t len = what % (3 * 4096), want, room = 0, got = 0;
	unsigned int i;
	ssize_t r;

	/* now and then there is nothing to receive */
	if (what >= 0xf000) {
		r = net__rx(sv[0], c, n, lens, used);
		FUZZ_CHECK(r < 0 && errno == EAGAIN && !*used);
		return r;
	}
	for (i = 0; i < n; i++)
		room += c[i].in_len;
	memset(packet, 0x5a, len);
	FUZZ_CHECK(send(sv[1], packet, len, 0) == (ssize_t)len);
	r = net__rx(sv[0], c, n, lens, used);
	/* the socket cuts a packet to the buffers, as a tap would not */
	want = len < room ? len : room;
	if (want < NET_HDR_LEN) {
		FUZZ_CHECK(r == 0 && !*used);
		return r;
	}
	FUZZ_CHECK((size_t)r == want && *used >= 1 && *used <= n);
	for (i = 0; i < *used; i++) {
		FUZZ_CHECK(lens[i] && lens[i] <= c[i].in_len);
		/* every chain but the last is filled */
		FUZZ_CHECK(i == *used - 1 || lens[i] == c[i].in_len);
		got += lens[i];
	}
	FUZZ_CHECK(got == want);
	/*
	 * num_buffers, written last, says how many chains (the data is not
	 * compared: a fuzzed guest's buffers may overlap each other)
	 */
	copy_from_in(&c[0], offsetof(struct virtio_net_hdr_v1, num_buffers),
		     (uint8_t *)&nbufs, sizeof(nbufs));
	FUZZ_CHECK(nbufs == *used);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int sv[2] = { -1, -1 };
	static struct vq_chain c[RX_CHAINS];
	struct fuzz_in in = { data, size }, ops;
	struct vring_used_elem elems[RX_CHAINS];
	unsigned int i, nr = 0, want = 1, used;
	uint32_t lens[RX_CHAINS];
	struct virtqueue vq;
	const char *why;
	struct vm *vm;
	enum mode mode;
	bool mq;
	ssize_t n;

	sockets_reset(sv);
	vm = fuzz_vq__setup(&in, &vq, &ops);
	if (!vm)
		return 0;
	mode = fuzz_take(&ops, 1) % 3;
	mq = fuzz_take(&ops, 1) & 1;
	while (ops.size) {
		if (fuzz_take(&ops, 1) & 1) {
			fuzz_vq__driver(vm, &vq, &ops);
			continue;
		}
		if (mode == CONTROL) {
			if (fuzz_vq__pop(vm, &vq, &c[0]) <= 0)
				break;
			if (!ctrl(&c[0], mq))
				break;
			vq__push(&vq, c[0].head, 1);
			continue;
		}
		if (mode == TRANSMIT) {
			if (fuzz_vq__pop(vm, &vq, &c[0]) <= 0)
				break;
			if (!tx(sv, &c[0]))
				break;
			vq__push(&vq, c[0].head, 0);
			continue;
		}
		/* a packet may go to one chain or, mergeable, to several */
		if (!nr)
			want = 1 + fuzz_take(&ops, 1) % RX_CHAINS;
		while (nr < want) {
			if (fuzz_vq__pop(vm, &vq, &c[nr]) <= 0)
				return 0;
			if (net__rx_check(&c[nr], &why)) {
				FUZZ_CHECK(why && c[nr].in_len < NET_HDR_LEN);
				return 0;
			}
			nr++;
		}
		n = rx(sv, c, nr, lens, &used, &ops);
		if (n <= 0)
			continue;
		for (i = 0; i < used; i++) {
			elems[i].id = c[i].head;
			elems[i].len = lens[i];
		}
		vq__push_n(&vq, elems, used);
		/* the chains it did not fill go back, to be taken again */
		vq__unpop(&vq, nr - used);
		nr = 0;
	}
	return 0;
}
