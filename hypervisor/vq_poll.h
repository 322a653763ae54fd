/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Adaptive polling of a request queue (virtio_queue__serve), so that a
 * guest posting requests one after another is served without a kick for
 * each and completed with one interrupt for the lot. After it served
 * what was available, the queue thread keeps looking at the avail ring
 * for a window of time, kicks still off and the interrupt held back:
 * a chain that arrives in the window is served at once; a window that
 * passes empty ends the batch (interrupt, kicks on, sleep).
 *
 * The window adapts as KVM's halt polling does: it grows (from
 * VQ_POLL_START_NS, doubling up to the device's maximum) when the queue
 * slept and the next kick came within the maximum, so a longer window
 * would have caught it; it shrinks (halving, to 0 below the start) when
 * the next kick came later than that. A guest that waits for each
 * completion (queue depth 1) so brings it down to 0: no added latency.
 * The held-back interrupt is never later than VQ_POLL_HOLD_MAX windows
 * of the maximum after the first completion it covers.
 */
#ifndef PVKIT_HV_VQ_POLL_H
#define PVKIT_HV_VQ_POLL_H

#include <stdbool.h>
#include <stdint.h>

#define VQ_POLL_START_NS	10000u
#define VQ_POLL_MAX_US		1000u	/* largest poll= a device takes */
#define VQ_POLL_HOLD_MAX	8u

struct vq_poll {
	uint32_t max_ns;	/* 0: never poll */
	uint32_t ns;		/* the current window, 0 .. max_ns */
	/* statistics, for --stats */
	uint64_t hits;		/* windows a chain arrived in */
	uint64_t misses;	/* windows that passed empty */
	uint64_t grows;
	uint64_t shrinks;
};

/* Sets @p up for windows of at most @max_us microseconds (0: off). */
void vq_poll__init(struct vq_poll *p, unsigned int max_us);

/*
 * The queue slept (kicks on) for @slept_ns before the next kick woke it,
 * after a window of p->ns: grows or shrinks the window.
 */
void vq_poll__woke(struct vq_poll *p, uint64_t slept_ns);

/*
 * Whether an interrupt held back since @first_ns (a time from
 * vq_poll__now()) must go now.
 */
bool vq_poll__hold_over(const struct vq_poll *p, uint64_t first_ns,
			uint64_t now_ns);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t vq_poll__now(void);

#endif /* PVKIT_HV_VQ_POLL_H */
