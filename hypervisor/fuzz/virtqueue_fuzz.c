// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for pvkit-hv's split virtqueues (virtqueue.c): a ring
 * layout, features and guest RAM from the input, then a sequence of the
 * device's moves (take a chain, return it, decide on an interrupt, turn
 * kicks on and off, copy in and out of a chain) with the driver's moves
 * in between. Every chain taken must lie inside guest RAM, the copies
 * must move exactly what the chain holds, and a refused chain must say
 * why; ASan and UBSan catch the rest.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_vq.h"

enum op {
	OP_POP, OP_PUSH, OP_NOTIFY, OP_ENABLE_KICKS, OP_DISABLE_KICKS,
	OP_COPY_OUT, OP_COPY_IN, OP_DRIVER, NR_OPS,
};

static uint8_t copy_buf[FUZZ_RAM];

/* Copies out of or into @c where @ops says; it must move all it can. */
static void copy(const struct vq_chain *c, struct fuzz_in *ops, bool in)
{
	size_t offset = fuzz_take(ops, 2), len = fuzz_take(ops, 2), want;
	uint64_t total = in ? c->in_len : c->out_len;

	want = offset >= total ? 0 :
	       total - offset < len ? total - offset : len;
	if (in)
		FUZZ_CHECK(vq__copy_to_in(c, offset, copy_buf, len) == want);
	else
		FUZZ_CHECK(vq__copy_from_out(c, offset, copy_buf, len) == want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vq_chain c;
	struct fuzz_in in = { data, size }, ops;
	struct virtqueue vq;
	bool have_chain = false;
	struct vm *vm;
	unsigned int op;
	int r;

	vm = fuzz_vq__setup(&in, &vq, &ops);
	if (!vm)
		return 0;
	while (ops.size) {
		op = fuzz_take(&ops, 1) % NR_OPS;
		switch (op) {
		case OP_POP:
			r = fuzz_vq__pop(vm, &vq, &c);
			if (r < 0)
				return 0;	/* the device needs reset */
			have_chain = r > 0;
			break;
		case OP_PUSH:
			if (have_chain)
				vq__push(&vq, c.head, fuzz_take(&ops, 4));
			have_chain = false;
			break;
		case OP_NOTIFY:
			vq__should_notify(&vq);
			break;
		case OP_ENABLE_KICKS:
			FUZZ_CHECK(vq__enable_kicks(&vq) ==
				   (vq.avail->idx != vq.last_avail));
			break;
		case OP_DISABLE_KICKS:
			vq__disable_kicks(&vq);
			break;
		case OP_COPY_OUT:
		case OP_COPY_IN:
			if (have_chain)
				copy(&c, &ops, op == OP_COPY_IN);
			break;
		case OP_DRIVER:
			fuzz_vq__driver(vm, &vq, &ops);
			break;
		}
	}
	return 0;
}
