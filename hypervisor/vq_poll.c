// SPDX-License-Identifier: GPL-2.0
/*
 * The adaptive window of a request queue's polling (vq_poll.h): how it
 * grows and shrinks, and how long an interrupt may be held back. The
 * polling itself is in virtio_pci.c's virtio_queue__serve.
 */
#include <time.h>

#include "vq_poll.h"

void vq_poll__init(struct vq_poll *p, unsigned int max_us)
{
	if (max_us > VQ_POLL_MAX_US)
		max_us = VQ_POLL_MAX_US;
	*p = (struct vq_poll){
		.max_ns = max_us * 1000u, .min_ns = VQ_POLL_START_NS,
	};
}

void vq_poll__idle_known(struct vq_poll *p)
{
	p->min_ns = p->max_ns > VQ_POLL_IDLE_MIN_NS ? VQ_POLL_IDLE_MIN_NS :
						      p->max_ns;
}

/* Closes the window, and spaces out the probes if it never hit. */
static void vq_poll_close(struct vq_poll *p)
{
	if (p->probing) {
		p->backoff = p->backoff ? p->backoff * 2 : 1;
		if (p->backoff > VQ_POLL_BACKOFF_MAX)
			p->backoff = VQ_POLL_BACKOFF_MAX;
		p->skip = p->backoff;
	}
	p->ns = 0;
	p->probing = false;
}

/* Halves the window; below the start, or a probe, closes it. */
static void vq_poll_shrink(struct vq_poll *p)
{
	p->shrinks++;
	if (p->probing || p->ns / 2 < p->min_ns)
		vq_poll_close(p);
	else
		p->ns /= 2;
}

/* A batch is over: what its hits showed starts afresh. */
static void vq_poll_batch_over(struct vq_poll *p)
{
	p->hit_in_batch = false;
	p->batch_wait_ns = 0;
}

void vq_poll__woke(struct vq_poll *p, uint64_t slept_ns)
{
	uint64_t ns;

	/* a new batch (one cut short by the hold's end is over too) */
	vq_poll_batch_over(p);
	/* an open window is left to its hits and misses */
	if (!p->max_ns || p->ns)
		return;
	if (p->skip) {
		p->skip--;
		return;
	}
	/* a window that would catch the next chain at this pace */
	ns = p->pace_ns ? p->pace_ns : slept_ns + slept_ns / 4;
	if (ns < p->min_ns)
		ns = p->min_ns;
	if (ns > p->max_ns)
		ns = p->max_ns;
	p->ns = ns;
	p->probing = true;
	p->grows++;
}

void vq_poll__hit(struct vq_poll *p, uint64_t waited_ns)
{
	p->hits++;
	p->probing = false;
	p->backoff = 0;
	p->hit_in_batch = true;
	if (waited_ns > p->batch_wait_ns)
		p->batch_wait_ns = waited_ns < p->max_ns ? waited_ns : p->max_ns;
}

void vq_poll__idle(struct vq_poll *p)
{
	p->idles++;
	/*
	 * nothing came in the batch: the guest posted, then waited for
	 * the interrupt the window held back, and halted only after its
	 * way to idle, which nested takes hundreds of microseconds
	 */
	if (!p->hit_in_batch) {
		vq_poll_shrink(p);
		return;
	}
	p->probing = false;
	p->backoff = 0;
	p->pace_ns = p->ns;
	vq_poll_batch_over(p);
}

void vq_poll__miss(struct vq_poll *p)
{
	uint32_t ns;

	p->misses++;
	if (!p->hit_in_batch) {
		vq_poll_shrink(p);
		return;
	}
	/* the end of a batch that hit: the window follows its pace */
	ns = p->batch_wait_ns * 2 > p->ns / 2 ? p->batch_wait_ns * 2 :
						 p->ns / 2;
	if (ns < p->min_ns)
		ns = p->min_ns;
	if (ns > p->max_ns)
		ns = p->max_ns;
	if (ns > p->ns)
		p->grows++;
	else if (ns < p->ns)
		p->shrinks++;
	p->ns = ns;
	p->pace_ns = ns;
	vq_poll_batch_over(p);
}

bool vq_poll__hold_over(const struct vq_poll *p, uint64_t first_ns,
			uint64_t now_ns)
{
	return now_ns - first_ns >= (uint64_t)p->max_ns * VQ_POLL_HOLD_MAX;
}

uint64_t vq_poll__now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}
