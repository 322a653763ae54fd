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
 * Where KVM's counters tell that the guest went idle (vcpu_stats.c), the
 * window ends then too (vq_poll__idle): a guest that waits halts, and
 * gets its interrupt then. It still waited from its kick to its halt
 * (nested, hundreds of microseconds), so a window the guest's halt ends
 * before anything came counts as a miss. Beyond that, the window follows
 * what its own tries show:
 *
 * - a batch in which chains arrived in the window (hits) ends with a
 *   window that passes empty: that miss is the batch's end, not a
 *   failure. The next window is twice the longest wait a hit of the
 *   batch took (the guest's pace of posting), at least the least window
 *   and at least half the window it replaces;
 * - a window that passed empty with no hit in its batch halves, and
 *   drops to 0 below the least window or when it was a probe;
 * - at 0, the next kick opens a probe a quarter longer than the sleep
 *   before it (at least the least window, at most the maximum), or as
 *   long as the last window that hit, when there was one;
 * - after a probe that missed, that many more kicks wait before the
 *   next probe, twice as many each time (VQ_POLL_BACKOFF_MAX at most)
 *   until a window hits: at queue depth 1 one request in up to
 *   VQ_POLL_BACKOFF_MAX waits a little longer, the rest not at all.
 *
 * The held-back interrupt is never later than VQ_POLL_HOLD_MAX windows
 * of the maximum after the first completion it covers, and is sent at
 * once when the completions it covers moved VQ_POLL_HOLD_BYTES.
 */
#ifndef PVKIT_HV_VQ_POLL_H
#define PVKIT_HV_VQ_POLL_H

#include <stdbool.h>
#include <stdint.h>

#define VQ_POLL_START_NS	10000u	/* the least window */
/*
 * the least window where the guest's idling can be told: a guest that
 * waits ends it early, and a longer one lets the guest halt after its
 * kick without the window passing first
 */
#define VQ_POLL_IDLE_MIN_NS	100000u
#define VQ_POLL_MAX_US		1000u	/* largest poll= a device takes */
#define VQ_POLL_HOLD_MAX	8u
/*
 * completions that moved this many bytes (descriptor lengths) get their
 * interrupt at once, the window going on: a guest waiting for 1 MiB
 * reads should not wait for the batch's end too
 */
#define VQ_POLL_HOLD_BYTES	(256u << 10)
#define VQ_POLL_BACKOFF_MAX	64u	/* kicks between probes, at most */
/* the shortest sleep within a window (virtio_pci.c, virtio_queue_poll) */
#define VQ_POLL_STEP_MIN_NS	2000u
/* the longest such sleep when the guest's idling can be told */
#define VQ_POLL_IDLE_STEP_NS	25000u

struct vq_poll {
	uint32_t max_ns;	/* 0: never poll */
	uint32_t min_ns;	/* the least window */
	uint32_t ns;		/* the current window, 0 .. max_ns */
	bool probing;		/* ns is a probe that has not hit yet */
	uint32_t backoff;	/* kicks between probes after a failed one */
	uint32_t skip;		/* kicks still to wait before the next probe */
	bool hit_in_batch;	/* a window of this batch hit */
	uint32_t batch_wait_ns;	/* the longest wait of a hit in this batch */
	uint32_t pace_ns;	/* the last window that hit, for a probe */
	/* statistics, for --stats */
	uint64_t hits;		/* windows a chain arrived in */
	uint64_t misses;	/* windows that passed empty */
	uint64_t grows;		/* probes, and windows that grew */
	uint64_t shrinks;
	uint64_t idles;		/* windows the guest went idle in */
};

/* Sets @p up for windows of at most @max_us microseconds (0: off). */
void vq_poll__init(struct vq_poll *p, unsigned int max_us);

/* The guest's idling can be told: windows of VQ_POLL_IDLE_MIN_NS at least. */
void vq_poll__idle_known(struct vq_poll *p);

/*
 * The queue slept (kicks on) for @slept_ns before the next kick woke it:
 * may start a probe.
 */
void vq_poll__woke(struct vq_poll *p, uint64_t slept_ns);

/* A chain arrived in the window (a hit), @waited_ns after it opened. */
void vq_poll__hit(struct vq_poll *p, uint64_t waited_ns);

/*
 * The guest went idle in the window (vcpu_stats.c): it waits for the
 * held interrupt, so the batch ends. After hits the window stays as it
 * is; without one it shrinks as after a miss.
 */
void vq_poll__idle(struct vq_poll *p);

/* The window passed empty (a miss): the batch ends. */
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
