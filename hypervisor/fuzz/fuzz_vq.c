// SPDX-License-Identifier: GPL-2.0
/*
 * Shared parts of the queue fuzzers (see fuzz_vq.h). Half of the inputs
 * get a sound ring layout (avail ring at 0, so that the first bytes of
 * RAM are the avail index and heads, then the descriptor table, the used
 * ring at the top of RAM), so that the fuzzer spends its time on chains;
 * the other half get raw addresses and sizes, biased towards the top of
 * RAM, for vq__init's checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/doubles.h"
#include "fuzz_vq.h"

#define LAYOUT_EVENT_IDX	0x01
#define LAYOUT_INDIRECT		0x02
#define LAYOUT_RAW		0x04
#define LAYOUT_NEAR_TOP		0x08

void fuzz_check(int ok, const char *what, const char *file, int line)
{
	if (ok)
		return;
	fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
	abort();
}

uint64_t fuzz_take(struct fuzz_in *in, unsigned int n)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < n && in->size; i++) {
		v |= (uint64_t)in->data[0] << (8 * i);
		in->data++;
		in->size--;
	}
	return v;
}

static uint64_t raw_addr(struct fuzz_in *in, bool near_top)
{
	uint64_t v = fuzz_take(in, 8);

	return near_top ? FUZZ_RAM - (v & 0xffff) : v;
}

static void fuzz_layout(struct fuzz_in *in, uint8_t flags,
			struct vq_layout *l)
{
	uint64_t avail_end;

	if (flags & LAYOUT_RAW) {
		l->size = fuzz_take(in, 2);
		l->desc = raw_addr(in, flags & LAYOUT_NEAR_TOP);
		l->avail = raw_addr(in, flags & LAYOUT_NEAR_TOP);
		l->used = raw_addr(in, flags & LAYOUT_NEAR_TOP);
		return;
	}
	l->size = 1 << (fuzz_take(in, 1) % 11);
	l->avail = 0;
	avail_end = 2 * (l->size + 3);
	l->desc = (avail_end + 15) & ~15ULL;
	l->used = (FUZZ_RAM - (8 * l->size + 6)) & ~3ULL;
}

struct vm *fuzz_vq__setup(struct fuzz_in *in, struct virtqueue *vq,
			  struct fuzz_in *ops)
{
	static struct vm *vm;
	uint8_t flags = fuzz_take(in, 1);
	struct vq_layout l;
	size_t n;

	if (!vm)
		vm = double_vm_create(FUZZ_RAM);
	FUZZ_CHECK(vm != NULL);
	double_reset(vm);
	fuzz_layout(in, flags, &l);
	n = 4 * fuzz_take(in, 1);
	ops->data = in->data;
	ops->size = n < in->size ? n : in->size;
	in->data += ops->size;
	in->size -= ops->size;
	memset(vm->ram, 0, FUZZ_RAM);
	memcpy(vm->ram, in->data, in->size < FUZZ_RAM ? in->size : FUZZ_RAM);
	if (vq__init(vq, vm, &l, flags & LAYOUT_EVENT_IDX,
		     flags & LAYOUT_INDIRECT)) {
		FUZZ_CHECK(vq->error != NULL);
		return NULL;
	}
	return vm;
}

void fuzz_vq__put_desc(struct virtqueue *vq, uint16_t i, uint64_t addr,
		       uint32_t len, uint16_t flags, uint16_t next)
{
	struct vring_desc d = {
		.addr = addr, .len = len, .flags = flags, .next = next,
	};

	memcpy(&vq->desc[i & (vq->size - 1)], &d, sizeof(d));
}

void fuzz_vq__offer(struct virtqueue *vq, uint16_t head)
{
	vq->avail->ring[vq->avail->idx & (vq->size - 1)] = head;
	vq->avail->idx++;
}

void fuzz_vq__driver(struct vm *vm, struct virtqueue *vq,
		     struct fuzz_in *ops)
{
	uint8_t how = fuzz_take(ops, 1);
	uint64_t gpa, addr;
	uint32_t len;
	uint16_t v;

	switch (how % 4) {
	case 0:		/* makes chains available */
		vq->avail->idx += 1 + (how >> 2) % 4;
		break;
	case 1:
		fuzz_vq__offer(vq, fuzz_take(ops, 2));
		break;
	case 2:		/* a descriptor, maybe of whole sectors */
		v = fuzz_take(ops, 2);
		addr = fuzz_take(ops, how & 4 ? 8 : 2);
		len = fuzz_take(ops, 2);
		if (how & 8)
			len &= ~511;
		fuzz_vq__put_desc(vq, v, addr, len, fuzz_take(ops, 1) & 7,
				  fuzz_take(ops, 2));
		break;
	default:	/* any 2 bytes */
		gpa = fuzz_take(ops, 2) % (FUZZ_RAM - 1);
		v = fuzz_take(ops, 2);
		memcpy(vm->ram + gpa, &v, sizeof(v));
	}
}

static void check_chain(const struct vm *vm, const struct vq_chain *c)
{
	const uint8_t *ram = vm->ram, *end = vm->ram + vm->ram_size;
	uint64_t out_len = 0, in_len = 0;
	unsigned int i;

	FUZZ_CHECK(c->nr_out + c->nr_in <= VQ_MAX_SEGS);
	for (i = 0; i < c->nr_out + c->nr_in; i++) {
		const uint8_t *p = c->iov[i].iov_base;
		size_t len = c->iov[i].iov_len;

		FUZZ_CHECK(!len || (p >= ram && p < end &&
				    len <= (size_t)(end - p)));
		if (i < c->nr_out)
			out_len += len;
		else
			in_len += len;
	}
	FUZZ_CHECK(out_len == c->out_len && in_len == c->in_len);
}

int fuzz_vq__pop(struct vm *vm, struct virtqueue *vq, struct vq_chain *c)
{
	int r = vq__pop(vq, c);

	if (r < 0)
		FUZZ_CHECK(vq->error != NULL);
	if (r > 0)
		check_chain(vm, c);
	return r;
}
