// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for pvkit-hv's virtio-net packet handling (net_io.c):
 * chains from a fuzzed queue (see fuzz_vq.c) go through vq__pop and then
 * net__tx or net__rx as virtio_net.c's transmit and receive threads do,
 * on a datagram socket pair that stands in for the tap (one packet per
 * read or write, cut short if the buffers are). A packet sent must come
 * out whole as the chain's readable bytes; one received must fill the
 * chain as far as it goes; a chain refused must be too small.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "../net_io.h"
#include "fuzz_vq.h"

#define PACKET_MAX	(256 * 1024)	/* above the socket's send buffer */

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

/* Receives a packet of fuzzed length into @c: its used length, or -1. */
static ssize_t rx(int sv[2], const struct vq_chain *c, struct fuzz_in *ops)
{
	uint16_t what = fuzz_take(ops, 2);
	size_t len = what % 4096;
	ssize_t n;

	/* now and then there is nothing to receive */
	if (what >= 0xf000) {
		n = net__rx(sv[0], c);
		FUZZ_CHECK(n < 0 && errno == EAGAIN);
		return n;
	}
	memset(packet, 0x5a, len);
	FUZZ_CHECK(send(sv[1], packet, len, 0) == (ssize_t)len);
	n = net__rx(sv[0], c);
	if (len < NET_HDR_LEN)
		FUZZ_CHECK(n == 0);
	else
		FUZZ_CHECK((uint64_t)n == (len < c->in_len ? len : c->in_len));
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int sv[2] = { -1, -1 };
	static struct vq_chain c;
	struct fuzz_in in = { data, size }, ops;
	bool receive, have_chain = false;
	struct virtqueue vq;
	const char *why;
	struct vm *vm;
	ssize_t n;

	sockets_reset(sv);
	vm = fuzz_vq__setup(&in, &vq, &ops);
	if (!vm)
		return 0;
	receive = fuzz_take(&ops, 1) & 1;
	while (ops.size) {
		if (fuzz_take(&ops, 1) & 1) {
			fuzz_vq__driver(vm, &vq, &ops);
			continue;
		}
		if (!have_chain) {
			if (fuzz_vq__pop(vm, &vq, &c) <= 0)
				break;
			have_chain = true;
		}
		if (!receive) {
			if (!tx(sv, &c))
				break;
			vq__push(&vq, c.head, 0);
			have_chain = false;
			continue;
		}
		if (net__rx_check(&c, &why)) {
			FUZZ_CHECK(why && c.in_len < NET_HDR_LEN);
			break;
		}
		n = rx(sv, &c, &ops);
		if (n > 0) {
			vq__push(&vq, c.head, n);
			have_chain = false;
		}
	}
	return 0;
}
