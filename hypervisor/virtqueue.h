/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Split virtqueues (virtio 1.x, "Split Virtqueues") as a device sees them:
 * the ring layout is checked once when the driver enables the queue, and
 * every chain is checked as it is taken, so that no value the guest wrote
 * can make pvkit-hv touch memory outside guest RAM or loop. A violation
 * returns -EINVAL with vq->error saying what was wrong; the caller puts
 * the device into "needs reset".
 */
#ifndef PVKIT_HV_VIRTQUEUE_H
#define PVKIT_HV_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/virtio_ring.h>

#include "hv.h"

#define VQ_MAX_SIZE	1024	/* largest queue a device offers */
#define VQ_MAX_SEGS	VQ_MAX_SIZE	/* buffers in one chain, all told */

/* One chain: device-readable buffers first, then device-writable ones. */
struct vq_chain {
	uint16_t head;
	unsigned int nr_out;		/* iov[0 .. nr_out) readable */
	unsigned int nr_in;		/* iov[nr_out .. nr_out + nr_in) writable */
	uint64_t out_len;
	uint64_t in_len;
	struct iovec iov[VQ_MAX_SEGS];
};

struct virtqueue {
	struct vm *vm;
	uint16_t size;
	bool event_idx;			/* VIRTIO_RING_F_EVENT_IDX acked */
	bool indirect;			/* VIRTIO_RING_F_INDIRECT_DESC acked */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail;		/* next avail entry to take */
	uint16_t used_idx;		/* our copy of used->idx */
	uint16_t signalled_used;	/* used->idx at the last interrupt */
	bool signalled_valid;
	const char *error;		/* what the last violation was */
};

struct vq_layout {
	uint16_t size;
	uint64_t desc;
	uint64_t avail;
	uint64_t used;
};

/* Checks @layout against guest RAM and sets @vq up; -EINVAL if bad. */
int vq__init(struct virtqueue *vq, struct vm *vm, const struct vq_layout *l,
	     bool event_idx, bool indirect);

/*
 * Takes the next available chain into @chain: 1 if there was one, 0 if
 * the ring is empty, -EINVAL if the guest broke the rules.
 */
int vq__pop(struct virtqueue *vq, struct vq_chain *chain);

/*
 * Gives back the last @n chains vq__pop took, unused, for vq__pop to take
 * again (and check again): a device that took more buffers than a packet
 * needed. @n is at most the number taken since the last vq__enable_kicks.
 */
void vq__unpop(struct virtqueue *vq, uint16_t n);

/* Returns a chain to the driver with @len bytes written into it. */
void vq__push(struct virtqueue *vq, uint16_t head, uint32_t len);

/*
 * Returns @n chains (@elems: head and length each) to the driver at once:
 * it sees all of them or none, as a packet over several buffers needs.
 */
void vq__push_n(struct virtqueue *vq, const struct vring_used_elem *elems,
		unsigned int n);

/* After pushes: does the driver want an interrupt now? */
bool vq__should_notify(struct virtqueue *vq);

/*
 * Tells the driver whether to kick us. vq__enable_kicks returns true if
 * chains arrived meanwhile (so the caller must look again).
 */
void vq__disable_kicks(struct virtqueue *vq);
bool vq__enable_kicks(struct virtqueue *vq);

/* Whether the driver made a chain available that was not taken yet. */
bool vq__avail_pending(struct virtqueue *vq);

/* Copies to/from a chain's writable/readable buffers from @offset on. */
size_t vq__copy_to_in(const struct vq_chain *c, size_t offset,
		      const void *buf, size_t len);
size_t vq__copy_from_out(const struct vq_chain *c, size_t offset, void *buf,
			 size_t len);

#endif /* PVKIT_HV_VIRTQUEUE_H */
