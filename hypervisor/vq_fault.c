// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only misbehaving devices (vq_fault.h): parsing the fault options
 * of a device flag, choosing the disk requests that misbehave, the wrong
 * used element each fault returns, and what a faulty device logs and
 * counts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "blk_req.h"
#include "vq_fault.h"

int vq_fault__parse(struct hv_fault_cfg *f, const char *opt, bool nic,
		    const char **why)
{
	unsigned long long v;
	char *end;

	if (!strncmp(opt, "fault=", 6)) {
		if (!strcmp(opt + 6, "bad-id")) {
			f->kind = HV_FAULT_BAD_ID;
		} else if (!strcmp(opt + 6, "bad-len")) {
			f->kind = HV_FAULT_BAD_LEN;
		} else if (!strcmp(opt + 6, "tx-bad-id")) {
			if (!nic) {
				*why = "tx-bad-id is for --net (a disk sends no frames)";
				return -1;
			}
			f->kind = HV_FAULT_TX_BAD_ID;
		} else if (!strcmp(opt + 6, "early-used")) {
			if (nic) {
				*why = "fault=early-used is for --disk";
				return -1;
			}
			f->kind = HV_FAULT_EARLY_USED;
		} else {
			*why = "fault= takes bad-id, bad-len, (a NIC's) tx-bad-id or (a disk's) early-used";
			return -1;
		}
		return 1;
	}
	if (!strncmp(opt, "fault-from=", 11)) {
		errno = 0;
		v = strtoull(opt + 11, &end, 10);
		if (errno || end == opt + 11 || *end || opt[11] == '-') {
			*why = "fault-from= takes a sector number";
			return -1;
		}
		f->from = v;
		return 1;
	}
	return 0;
}

const char *vq_fault__name(enum hv_fault kind)
{
	switch (kind) {
	case HV_FAULT_BAD_ID:
		return "bad-id";
	case HV_FAULT_BAD_LEN:
		return "bad-len";
	case HV_FAULT_TX_BAD_ID:
		return "tx-bad-id";
	case HV_FAULT_EARLY_USED:
		return "early-used";
	default:
		return "none";
	}
}

bool vq_fault__blk_applies(const struct hv_fault_cfg *f,
			   const struct vq_chain *c)
{
	struct virtio_blk_outhdr hdr;
	uint64_t data;

	if ((f->kind != HV_FAULT_BAD_ID && f->kind != HV_FAULT_BAD_LEN) ||
	    vq__copy_from_out(c, 0, &hdr, sizeof(hdr)) != sizeof(hdr))
		return false;
	if (hdr.type == VIRTIO_BLK_T_IN)
		data = c->in_len ? c->in_len - 1 : 0;
	else if (hdr.type == VIRTIO_BLK_T_OUT)
		data = c->out_len - sizeof(hdr);
	else
		return false;
	/* does [sector, sector + sectors) reach f->from? (no overflow) */
	return hdr.sector >= f->from ||
	       (data + BLK_SECTOR - 1) / BLK_SECTOR > f->from - hdr.sector;
}

bool vq_fault__corrupt(const struct hv_fault_cfg *f, uint16_t queue_size,
		       const struct vq_chain *c, uint16_t *id, uint32_t *len)
{
	switch (f->kind) {
	case HV_FAULT_BAD_ID:
	case HV_FAULT_TX_BAD_ID:
		/* past the table: no driver can have made it available */
		*id = queue_size + c->head;
		return true;
	case HV_FAULT_BAD_LEN:
		if (c->in_len >= UINT32_MAX)
			return false;
		*len = c->in_len + 1;
		return true;
	default:
		return false;
	}
}

void vq_fault__misbehave(const struct hv_fault_cfg *f, uint64_t *faults,
			 struct virtio_queue *q, const struct vq_chain *c,
			 uint16_t *id, uint32_t *len)
{
	uint16_t old_id = *id;

	if (!vq_fault__corrupt(f, q->vq.size, c, id, len))
		return;
	if (__atomic_fetch_add(faults, 1, __ATOMIC_RELAXED) == 0)
		hv_info("%s: queue %u: fault=%s (a test flag): used id %u length %u for chain %u of %u writable bytes",
			q->dev->name, q->index, vq_fault__name(f->kind), *id,
			*len, old_id, (unsigned int)c->in_len);
}

void vq_fault__stats(const struct hv_fault_cfg *f, const uint64_t *faults,
		     FILE *out)
{
	if (f->kind == HV_FAULT_NONE)
		return;
	fprintf(out, ", \"fault\": \"%s\", \"faults\": %llu",
		vq_fault__name(f->kind),
		(unsigned long long)__atomic_load_n(faults, __ATOMIC_RELAXED));
}

void vq_fault__queue_enabled(const struct hv_fault_cfg *f, uint64_t *faults,
			     struct virtio_queue *q)
{
	struct virtio_dev *dev = q->dev;

	if (f->kind != HV_FAULT_EARLY_USED)
		return;
	if (q->size > dev->queue_max)
		return;		/* the start after DRIVER_OK fails it */
	q->layout.size = q->size;
	if (vq__init(&q->vq, dev->vm, &q->layout,
		     virtio_has(dev, VIRTIO_RING_F_EVENT_IDX), false))
		return;		/* the start after DRIVER_OK will say why */
	q->vq.used_idx = q->used_before_start;
	/* past the table: never a head, whenever the driver looks */
	vq__push(&q->vq, q->size, 0);
	q->used_before_start++;
	if (__atomic_fetch_add(faults, 1, __ATOMIC_RELAXED) == 0)
		hv_info("%s: queue %u: fault=early-used (a test flag): used id %u before DRIVER_OK, with nothing made available",
			dev->name, q->index, q->size);
	virtio_queue__interrupt(q);
}
