/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Devices that misbehave on purpose, so that tests can check what a
 * guest driver does with them (--disk ...,fault=bad-id|bad-len and
 * --net ...,fault=bad-id|bad-len|tx-bad-id). The request itself is
 * carried out as usual (a disk's read or write, a received or sent
 * frame); only the used element the device returns for it is wrong: an
 * id the driver never made available, or a length beyond the chain's
 * device-writable buffers. A NIC's tx-bad-id returns the bad id for each
 * frame it sends, with no interrupt, so that the driver meets it only
 * when it next transmits. A disk's early-used puts a used element in each
 * queue the driver enables, and interrupts, before the driver is ready
 * (DRIVER_OK) and before it made any buffer available. Test-only.
 */
#ifndef PVKIT_HV_VQ_FAULT_H
#define PVKIT_HV_VQ_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include <stdio.h>

#include "hv.h"
#include "virtio.h"
#include "virtqueue.h"

/*
 * One option of a device's flag: "fault=bad-id", "fault=bad-len",
 * "fault=tx-bad-id" (@nic only), "fault=early-used" (disks only) or
 * "fault-from=SECTOR". 1 if it was one and is good, 0 if it is not a
 * fault option, -1 with *why set if it is one but malformed or not for
 * this kind of device.
 */
int vq_fault__parse(struct hv_fault_cfg *f, const char *opt, bool nic,
		    const char **why);

/* "bad-id", "bad-len", "tx-bad-id", "early-used" or "none". */
const char *vq_fault__name(enum hv_fault kind);

/*
 * Whether the virtio-blk request in @c is one @f makes misbehave: a
 * read or a write that reaches sector f->from or beyond. Other requests
 * (flush, GET_ID, ...) never misbehave, so a driver can probe the disk
 * and read its serial.
 */
bool vq_fault__blk_applies(const struct hv_fault_cfg *f,
			   const struct vq_chain *c);

/*
 * Rewrites the used element (*id, *len) of chain @c, taken from a queue
 * of @queue_size entries, as @f says: bad-id returns an id past the
 * descriptor table (tx-bad-id too), bad-len one byte more than the
 * chain's writable buffers hold. False if @f asks for nothing (or the length cannot grow).
 */
bool vq_fault__corrupt(const struct hv_fault_cfg *f, uint16_t queue_size,
		       const struct vq_chain *c, uint16_t *id, uint32_t *len);

/*
 * Makes the used element (*id, *len) of chain @c of queue @q wrong as @f
 * says, counting it in *@faults. The first time, one line names the
 * device, the fault and the element, so a test sees the device did
 * misbehave. Called from @q's I/O thread; *@faults is updated atomically.
 */
void vq_fault__misbehave(const struct hv_fault_cfg *f, uint64_t *faults,
			 struct virtio_queue *q, const struct vq_chain *c,
			 uint16_t *id, uint32_t *len);

/*
 * Queue @q was enabled before DRIVER_OK: with early-used, a used element
 * whose id is past the descriptor table (nothing was made available)
 * goes in its used ring, counted in *@faults and in
 * q->used_before_start, and its interrupt is sent. Called with the
 * device's ctl_lock held, no queue thread running.
 */
void vq_fault__queue_enabled(const struct hv_fault_cfg *f, uint64_t *faults,
			     struct virtio_queue *q);

/* The device's --stats members (", \"fault\": ..."), if it has a fault. */
void vq_fault__stats(const struct hv_fault_cfg *f, const uint64_t *faults,
		     FILE *out);

#endif /* PVKIT_HV_VQ_FAULT_H */
