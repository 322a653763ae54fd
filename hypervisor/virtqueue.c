// SPDX-License-Identifier: GPL-2.0
/*
 * The device side of split virtqueues for pvkit-hv's virtio devices.
 *
 * The rings live in guest RAM and the guest may rewrite them at any time,
 * from another vCPU, while we read them: every field is read once into a
 * local copy and checked there, never re-read after its check. Indices
 * from the guest are bounded before use, chains are bounded in length
 * (so a loop ends), an indirect table may not hold another one, and every
 * buffer must lie wholly inside guest RAM (guest_mem__ptr).
 */
#include <errno.h>
#include <string.h>

#include "virtqueue.h"

#define VQ_DESC_ALIGN	16
#define VQ_AVAIL_ALIGN	2
#define VQ_USED_ALIGN	4

static inline uint16_t load16(const void *p)
{
	return __atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED);
}

static inline void store16(void *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, v, __ATOMIC_RELAXED);
}

static int vq_fail(struct virtqueue *vq, const char *why)
{
	vq->error = why;
	return -EINVAL;
}

/* The avail ring's used_event and the used ring's avail_event words. */
static uint16_t *vq_used_event(struct virtqueue *vq)
{
	return &vq->avail->ring[vq->size];
}

static uint16_t *vq_avail_event(struct virtqueue *vq)
{
	return (uint16_t *)&vq->used->ring[vq->size];
}

int vq__init(struct virtqueue *vq, struct vm *vm, const struct vq_layout *l,
	     bool event_idx, bool indirect)
{
	uint64_t n = l->size;

	memset(vq, 0, sizeof(*vq));
	vq->vm = vm;
	if (!n || (n & (n - 1)) || n > VQ_MAX_SIZE)
		return vq_fail(vq, "queue size is not a power of two from 1 to 1024");
	if (l->desc % VQ_DESC_ALIGN || l->avail % VQ_AVAIL_ALIGN ||
	    l->used % VQ_USED_ALIGN)
		return vq_fail(vq, "ring address not aligned");
	vq->desc = guest_mem__ptr(vm, l->desc, 16 * n);
	/* flags, idx, ring[n], used_event */
	vq->avail = guest_mem__ptr(vm, l->avail, 2 * (n + 3));
	/* flags, idx, ring[n] of 8 bytes, avail_event */
	vq->used = guest_mem__ptr(vm, l->used, 8 * n + 6);
	if (!vq->desc || !vq->avail || !vq->used)
		return vq_fail(vq, "ring outside guest RAM");
	vq->size = n;
	vq->event_idx = event_idx;
	vq->indirect = indirect;
	return 0;
}

static void vq_read_desc(const struct vring_desc *table, unsigned int i,
			 struct vring_desc *d)
{
	/* one copy: the guest may change the table while we look */
	memcpy(d, (const char *)table + 16 * (size_t)i, sizeof(*d));
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static int vq_add_buffer(struct virtqueue *vq, struct vq_chain *c,
			 const struct vring_desc *d)
{
	unsigned int n = c->nr_out + c->nr_in;
	void *p;

	if (n >= VQ_MAX_SEGS)
		return vq_fail(vq, "more buffers in one chain than pvkit-hv takes");
	p = guest_mem__ptr(vq->vm, d->addr, d->len);
	if (!p && d->len)
		return vq_fail(vq, "buffer outside guest RAM");
	if (d->flags & VRING_DESC_F_WRITE) {
		c->nr_in++;
		c->in_len += d->len;
	} else {
		if (c->nr_in)
			return vq_fail(vq, "device-readable buffer after a device-writable one");
		c->nr_out++;
		c->out_len += d->len;
	}
	c->iov[n].iov_base = p;
	c->iov[n].iov_len = d->len;
	return 0;
}

/* Follows one chain from @head, into at most one indirect table. */
static int vq_walk(struct virtqueue *vq, uint16_t head, struct vq_chain *c)
{
	const struct vring_desc *table = vq->desc;
	unsigned int table_size = vq->size, i = head, steps = 0;
	bool in_indirect = false;
	struct vring_desc d;
	int err;

	c->head = head;
	c->nr_out = c->nr_in = 0;
	c->out_len = c->in_len = 0;
	for (;;) {
		if (++steps > table_size)
			return vq_fail(vq, "descriptor chain longer than its table (a loop)");
		vq_read_desc(table, i, &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!vq->indirect)
				return vq_fail(vq, "indirect descriptor, feature not negotiated");
			if (in_indirect)
				return vq_fail(vq, "indirect table inside an indirect table");
			if (d.flags & VRING_DESC_F_NEXT)
				return vq_fail(vq, "indirect descriptor with a next flag");
			if (!d.len || d.len % 16 || d.len / 16 > VQ_MAX_SEGS)
				return vq_fail(vq, "indirect table length not a non-zero multiple of 16 within 1024 entries");
			table = guest_mem__ptr(vq->vm, d.addr, d.len);
			if (!table)
				return vq_fail(vq, "indirect table outside guest RAM");
			table_size = d.len / 16;
			in_indirect = true;
			i = 0;
			steps = 0;
			continue;
		}
		err = vq_add_buffer(vq, c, &d);
		if (err)
			return err;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		if (d.next >= table_size)
			return vq_fail(vq, "next index outside the descriptor table");
		i = d.next;
	}
}

int vq__pop(struct virtqueue *vq, struct vq_chain *chain)
{
	uint16_t avail_idx, head;

	avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	if (avail_idx == vq->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size)
		return vq_fail(vq, "avail index more than the queue size ahead");
	head = load16(&vq->avail->ring[vq->last_avail & (vq->size - 1)]);
	vq->last_avail++;
	if (head >= vq->size)
		return vq_fail(vq, "chain head outside the descriptor table");
	return vq_walk(vq, head, chain) ?: 1;
}

void vq__unpop(struct virtqueue *vq, uint16_t n)
{
	vq->last_avail -= n;
}

void vq__push_n(struct virtqueue *vq, const struct vring_used_elem *elems,
		unsigned int n)
{
	struct vring_used_elem *e;
	unsigned int i;

	for (i = 0; i < n; i++) {
		e = &vq->used->ring[vq->used_idx & (vq->size - 1)];
		__atomic_store_n(&e->id, elems[i].id, __ATOMIC_RELAXED);
		__atomic_store_n(&e->len, elems[i].len, __ATOMIC_RELAXED);
		vq->used_idx++;
	}
	/* the elements before the index that shows them */
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
}

void vq__push(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	const struct vring_used_elem e = { .id = head, .len = len };

	vq__push_n(vq, &e, 1);
}

bool vq__should_notify(struct virtqueue *vq)
{
	uint16_t old = vq->signalled_used;
	bool valid = vq->signalled_valid;

	/* our used->idx store must be visible before we read the guest's wish */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(load16(&vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	vq->signalled_used = vq->used_idx;
	vq->signalled_valid = true;
	return !valid || vring_need_event(load16(vq_used_event(vq)),
					  vq->used_idx, old);
}

void vq__disable_kicks(struct virtqueue *vq)
{
	if (!vq->event_idx)
		store16(&vq->used->flags, VRING_USED_F_NO_NOTIFY);
}

bool vq__enable_kicks(struct virtqueue *vq)
{
	if (vq->event_idx)
		store16(vq_avail_event(vq), vq->last_avail);
	else
		store16(&vq->used->flags, 0);
	/* publish before looking again, or a kick could fall in between */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vq__avail_pending(vq);
}

bool vq__avail_pending(struct virtqueue *vq)
{
	return __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE) !=
	       vq->last_avail;
}

size_t vq__copy_to_in(const struct vq_chain *c, size_t offset,
		      const void *buf, size_t len)
{
	const struct iovec *iov = c->iov + c->nr_out;
	size_t done = 0, n;
	unsigned int i;

	for (i = 0; i < c->nr_in && done < len; i++) {
		if (offset >= iov[i].iov_len) {
			offset -= iov[i].iov_len;
			continue;
		}
		n = iov[i].iov_len - offset;
		if (n > len - done)
			n = len - done;
		memcpy((char *)iov[i].iov_base + offset,
		       (const char *)buf + done, n);
		done += n;
		offset = 0;
	}
	return done;
}

size_t vq__copy_from_out(const struct vq_chain *c, size_t offset, void *buf,
			 size_t len)
{
	size_t done = 0, n;
	unsigned int i;

	for (i = 0; i < c->nr_out && done < len; i++) {
		if (offset >= c->iov[i].iov_len) {
			offset -= c->iov[i].iov_len;
			continue;
		}
		n = c->iov[i].iov_len - offset;
		if (n > len - done)
			n = len - done;
		memcpy((char *)buf + done,
		       (const char *)c->iov[i].iov_base + offset, n);
		done += n;
		offset = 0;
	}
	return done;
}
