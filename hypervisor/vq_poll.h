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
 * Holding the interrupt pays only when the guest posts more without
 * waiting for it (several requests in flight); a guest that waits for
 * each completion (queue depth 1) would only be made to wait longer.
 * Nothing but trying tells the two apart, so the window follows what
 * its own tries show:
 *
 * - a window a chain arrived in (a hit) keeps its size;
 * - a window that passed empty (a miss) halves, and drops to 0 below
 *   VQ_POLL_START_NS or when it was a probe that never hit;
 * - at 0, when the queue slept and the next kick came within the
 *   maximum, the next window is a probe a quarter longer than that
 *   sleep (at least VQ_POLL_START_NS, at most the maximum), so that it
 *   would catch the next chain at the same pace;
 * - after a probe that missed, that many more kicks wait before the
 *   next probe, twice as many each time (VQ_POLL_BACKOFF_MAX at most)
 *   until a window hits: at queue depth 1 one request in up to
 *   VQ_POLL_BACKOFF_MAX waits a little longer, the rest not at all;
 * - a window that is open when the next kick comes later than the
 *   maximum halves (the guest posts more slowly than any window).
 *
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
#define VQ_POLL_BACKOFF_MAX	64u	/* kicks between probes, at most */
/* the shortest sleep within a window (virtio_pci.c, virtio_queue_poll) */
#define VQ_POLL_STEP_MIN_NS	2000u

struct vq_poll {
	uint32_t max_ns;	/* 0: never poll */
	uint32_t ns;		/* the current window, 0 .. max_ns */
	bool probing;		/* ns is a probe that has not hit yet */
	uint32_t backoff;	/* kicks between probes after a failed one */
	uint32_t skip;		/* kicks still to wait before the next probe */
	/* statistics, for --stats */
	uint64_t hits;		/* windows a chain arrived in */
	uint64_t misses;	/* windows that passed empty */
	uint64_t grows;		/* probes */
	uint64_t shrinks;
};

/* Sets @p up for windows of at most @max_us microseconds (0: off). */
void vq_poll__init(struct vq_poll *p, unsigned int max_us);

/*
 * The queue slept (kicks on) for @slept_ns before the next kick woke it:
 * may start a probe, or shrink an open window.
 */
void vq_poll__woke(struct vq_poll *p, uint64_t slept_ns);

/* A chain arrived in the window (a hit). */
void vq_poll__hit(struct vq_poll *p);

/* The window passed empty (a miss). */
void vq_poll__miss(struct vq_poll *p);

/*
 * Whether an interrupt held back since @first_ns (a time from
 * vq_poll__now()) must go now.
 */
bool vq_poll__hold_over(const struct vq_poll *p, uint64_t first_ns,
			uint64_t now_ns);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t vq_poll__now(void);

#endif /* PVKIT_HV_VQ_POLL_H */
