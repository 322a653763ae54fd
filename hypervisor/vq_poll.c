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
	*p = (struct vq_poll){ .max_ns = max_us * 1000u };
}

void vq_poll__woke(struct vq_poll *p, uint64_t slept_ns)
{
	if (!p->max_ns)
		return;
	if (p->ns + slept_ns <= p->max_ns) {
		/* a longer window would have caught that kick */
		if (p->ns < p->max_ns) {
			p->ns = p->ns ? p->ns * 2 : VQ_POLL_START_NS;
			if (p->ns > p->max_ns)
				p->ns = p->max_ns;
			p->grows++;
		}
	} else if (slept_ns > p->max_ns && p->ns) {
		/* no window we may use would have */
		p->ns /= 2;
		if (p->ns < VQ_POLL_START_NS)
			p->ns = 0;
		p->shrinks++;
	}
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
