// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of a request queue's adaptive polling (vq_poll.c and
 * virtio_pci.c's virtio_queue__serve), built with ASan and UBSan.
 *
 * The window's rules are checked with made-up sleep times, hits and
 * misses: a kick soon after a sleep probes a window a quarter longer
 * than the sleep; hits keep a window, misses halve it; a probe that
 * misses closes, and the next probe waits for more kicks each time;
 * an open window halves when kicks come later than the maximum; a queue
 * with poll=0 never polls; a held interrupt is due after
 * VQ_POLL_HOLD_MAX maxima.
 *
 * Then a real queue thread serves a ring in a test VM while a "driver"
 * thread posts one request after another as soon as the last one is
 * used, kicking only when the device asks for kicks (as a guest with
 * several requests in flight keeps the ring busy): with polling, most
 * requests need neither a kick nor an interrupt of their own; with
 * poll=0 the queue never polls. A driver that waits for each interrupt
 * (queue depth 1) is held back in few windows.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "doubles.h"
#include "../virtio.h"
#include "../vq_poll.h"

TEST(a_quick_kick_probes_a_window_a_quarter_longer)
{
	struct vq_poll p;

	vq_poll__init(&p, 100);
	EXPECT_EQ(100000u, p.max_ns);
	EXPECT_EQ(0u, p.ns);
	vq_poll__woke(&p, 40000);
	EXPECT_EQ(50000u, p.ns);
	EXPECT_TRUE(p.probing);
	/* an open window is left to its hits and misses */
	vq_poll__woke(&p, 4000);
	EXPECT_EQ(50000u, p.ns);
	EXPECT_EQ(1u, p.grows);
	EXPECT_EQ(0u, p.shrinks);
}

TEST(probe_is_between_start_and_the_maximum)
{
	struct vq_poll p;

	vq_poll__init(&p, 100);
	vq_poll__woke(&p, 1000);
	EXPECT_EQ(VQ_POLL_START_NS, p.ns);
	vq_poll__init(&p, 100);
	vq_poll__woke(&p, 90000);
	EXPECT_EQ(100000u, p.ns);
	/* a kick later than the maximum starts none */
	vq_poll__init(&p, 100);
	vq_poll__woke(&p, 100001);
	EXPECT_EQ(0u, p.ns);
	EXPECT_EQ(0u, p.grows);
}

TEST(hits_keep_the_window_and_misses_halve_it)
{
	struct vq_poll p;

	vq_poll__init(&p, 100);
	vq_poll__woke(&p, 64000);
	EXPECT_EQ(80000u, p.ns);
	vq_poll__hit(&p);
	vq_poll__hit(&p);
	EXPECT_EQ(80000u, p.ns);
	EXPECT_FALSE(p.probing);
	vq_poll__miss(&p);
	EXPECT_EQ(40000u, p.ns);
	vq_poll__miss(&p);
	vq_poll__miss(&p);
	EXPECT_EQ(VQ_POLL_START_NS, p.ns);
	vq_poll__miss(&p);
	EXPECT_EQ(0u, p.ns);
	/* the window had hit: the next quick kick probes again at once */
	vq_poll__woke(&p, 8000);
	EXPECT_EQ(VQ_POLL_START_NS, p.ns);
	EXPECT_EQ(2u, p.hits);
	EXPECT_EQ(4u, p.misses);
	EXPECT_EQ(4u, p.shrinks);
}

/* Kicks (quick ones) until a probe opens a window; how many it took. */
static unsigned int kicks_to_probe(struct vq_poll *p)
{
	unsigned int n = 0;

	while (!p->ns && n < 1000) {
		vq_poll__woke(p, 8000);
		n++;
	}
	return n;
}

TEST(failed_probes_back_off_up_to_the_most)
{
	struct vq_poll p;
	unsigned int i;

	vq_poll__init(&p, 100);
	EXPECT_EQ(1u, kicks_to_probe(&p));
	/* a probe that misses closes at once */
	vq_poll__miss(&p);
	EXPECT_EQ(0u, p.ns);
	EXPECT_EQ(2u, kicks_to_probe(&p));
	vq_poll__miss(&p);
	EXPECT_EQ(3u, kicks_to_probe(&p));
	vq_poll__miss(&p);
	EXPECT_EQ(5u, kicks_to_probe(&p));
	for (i = 0; i < 10; i++) {
		vq_poll__miss(&p);
		kicks_to_probe(&p);
	}
	vq_poll__miss(&p);
	EXPECT_EQ(VQ_POLL_BACKOFF_MAX + 1, kicks_to_probe(&p));
	/* a hit ends the backing off */
	vq_poll__hit(&p);
	vq_poll__miss(&p);
	vq_poll__miss(&p);
	EXPECT_EQ(0u, p.ns);
	EXPECT_EQ(1u, kicks_to_probe(&p));
}

TEST(window_shrinks_to_zero_when_kicks_come_late)
{
	struct vq_poll p;

	vq_poll__init(&p, 100);
	vq_poll__woke(&p, 64000);
	vq_poll__hit(&p);
	EXPECT_EQ(80000u, p.ns);
	vq_poll__woke(&p, 100001);
	EXPECT_EQ(40000u, p.ns);
	vq_poll__woke(&p, 5000000);
	vq_poll__woke(&p, 5000000);
	EXPECT_EQ(VQ_POLL_START_NS, p.ns);
	vq_poll__woke(&p, 5000000);
	EXPECT_EQ(0u, p.ns);
	vq_poll__woke(&p, 5000000);
	EXPECT_EQ(0u, p.ns);
	EXPECT_EQ(4u, p.shrinks);
}

TEST(poll_zero_never_polls)
{
	struct vq_poll p;

	vq_poll__init(&p, 0);
	vq_poll__woke(&p, 1);
	vq_poll__woke(&p, 0);
	EXPECT_EQ(0u, p.ns);
}

TEST(maximum_is_capped)
{
	struct vq_poll p;

	vq_poll__init(&p, 1000000);
	EXPECT_EQ(VQ_POLL_MAX_US * 1000u, p.max_ns);
}

TEST(held_interrupt_is_due_after_hold_max_maxima)
{
	struct vq_poll p;

	vq_poll__init(&p, 100);
	EXPECT_FALSE(vq_poll__hold_over(&p, 1000, 1000));
	EXPECT_FALSE(vq_poll__hold_over(&p, 1000,
					1000 + VQ_POLL_HOLD_MAX * 100000 - 1));
	EXPECT_TRUE(vq_poll__hold_over(&p, 1000,
				       1000 + VQ_POLL_HOLD_MAX * 100000));
}

/* ---- a queue thread on a ring in a test VM ---------------------------- */

#define RAM		(1 << 20)
#define QSIZE		64
#define DESC		0x0000
#define AVAIL		0x4000
#define USED		0x5000
#define BUF		0x10000
#define REQUESTS	400u

struct served {
	struct vm *vm;
	struct virtio_dev dev;
	struct virtio_queue q;
	pthread_t thread;
};

static int serve_chain(struct virtio_queue *q, const struct vq_chain *c,
		       const char **why)
{
	return 0;
}

static const struct virtio_dev_ops serve_ops;

static void *serve_thread(void *arg)
{
	struct served *s = arg;

	virtio_queue__serve(&s->q, serve_chain);
	return NULL;
}

static int serve_start(struct served *s, unsigned int poll_us)
{
	struct vq_layout l = {
		.size = QSIZE, .desc = DESC, .avail = AVAIL, .used = USED,
	};
	struct vring_desc *d;
	unsigned int i;

	memset(s, 0, sizeof(*s));
	s->vm = double_vm_create(RAM);
	if (!s->vm)
		return -1;
	/* one readable 16-byte buffer per descriptor */
	d = (struct vring_desc *)(s->vm->ram + DESC);
	for (i = 0; i < QSIZE; i++)
		d[i] = (struct vring_desc){ .addr = BUF + 16 * i, .len = 16 };
	snprintf(s->dev.name, sizeof(s->dev.name), "test0");
	s->dev.vm = s->vm;
	s->dev.ops = &serve_ops;
	s->dev.poll_us = poll_us;
	pthread_mutex_init(&s->dev.lock, NULL);
	s->dev.stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->q.dev = &s->dev;
	s->q.kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->q.msix_vector = VIRTIO_NO_VECTOR;
	if (s->dev.stop_fd < 0 || s->q.kick_fd < 0 ||
	    vq__init(&s->q.vq, s->vm, &l, false, false))
		return -1;
	return pthread_create(&s->thread, NULL, serve_thread, s);
}

static void serve_stop(struct served *s)
{
	uint64_t one = 1;

	__atomic_store_n(&s->dev.stopping, true, __ATOMIC_RELEASE);
	if (write(s->dev.stop_fd, &one, sizeof(one)) != sizeof(one))
		abort();
	pthread_join(s->thread, NULL);
	close(s->dev.stop_fd);
	close(s->q.kick_fd);
	double_vm_destroy(s->vm);
}

static struct vring_avail *avail(struct served *s)
{
	return (struct vring_avail *)(s->vm->ram + AVAIL);
}

static struct vring_used *used(struct served *s)
{
	return (struct vring_used *)(s->vm->ram + USED);
}

/*
 * Makes one more request available, as a driver does, and kicks unless
 * the device turned kicks off; 1 if it kicked. The new avail index is
 * in @idx.
 */
static unsigned int post_one(struct served *s, uint16_t *idx)
{
	struct vring_avail *a = avail(s);
	uint64_t one = 1;
	uint16_t i = a->idx;

	a->ring[i % QSIZE] = i % QSIZE;
	*idx = i + 1;
	__atomic_store_n(&a->idx, *idx, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&used(s)->flags, __ATOMIC_ACQUIRE) &
	    VRING_USED_F_NO_NOTIFY)
		return 0;
	if (write(s->q.kick_fd, &one, sizeof(one)) != sizeof(one))
		abort();
	return 1;
}

/*
 * The driver: posts @n requests one after another, each as soon as the
 * last is used; the kicks it made.
 */
static unsigned int drive(struct served *s, unsigned int n)
{
	unsigned int i, kicks = 0;
	uint16_t idx;

	for (i = 0; i < n; i++) {
		kicks += post_one(s, &idx);
		while (__atomic_load_n(&used(s)->idx, __ATOMIC_ACQUIRE) != idx)
			usleep(1);
	}
	return kicks;
}

/*
 * A driver at queue depth 1: posts @n requests, each once the last one's
 * interrupt came, and kicks when the device has not turned kicks off.
 */
static void drive_qd1(struct served *s, unsigned int n)
{
	unsigned int i;
	uint64_t irqs;
	uint16_t idx;

	for (i = 0; i < n; i++) {
		irqs = __atomic_load_n(&s->q.interrupts, __ATOMIC_ACQUIRE);
		post_one(s, &idx);
		while (__atomic_load_n(&s->q.interrupts, __ATOMIC_ACQUIRE) ==
		       irqs)
			usleep(1);
	}
}

/*
 * At queue depth 1 a held interrupt only delays the guest: the probes
 * that find so are few, and back off.
 */
TEST(queue_depth_one_is_seldom_held_back)
{
	struct served s;

	ASSERT_EQ(0, serve_start(&s, VQ_POLL_MAX_US));
	drive_qd1(&s, REQUESTS);
	serve_stop(&s);
	TH_LOG("%u requests one at a time: %llu interrupts, %llu probes, %llu hits, %llu misses",
	       REQUESTS, (unsigned long long)s.q.interrupts,
	       (unsigned long long)s.q.poll.grows,
	       (unsigned long long)s.q.poll.hits,
	       (unsigned long long)s.q.poll.misses);
	EXPECT_EQ((uint64_t)REQUESTS, s.q.chains);
	EXPECT_EQ((uint64_t)REQUESTS, s.q.interrupts);
	EXPECT_GT((uint64_t)REQUESTS / 20, s.q.poll.misses);
}

TEST(polling_spares_most_kicks_and_interrupts)
{
	struct served s;
	unsigned int kicks;

	ASSERT_EQ(0, serve_start(&s, VQ_POLL_MAX_US));
	kicks = drive(&s, REQUESTS);
	serve_stop(&s);
	TH_LOG("%u requests: %u kicks, %llu interrupts, window %u ns, %llu hits, %llu misses",
	       REQUESTS, kicks, (unsigned long long)s.q.interrupts, s.q.poll.ns,
	       (unsigned long long)s.q.poll.hits,
	       (unsigned long long)s.q.poll.misses);
	EXPECT_EQ((uint64_t)REQUESTS, s.q.chains);
	EXPECT_LT(0u, s.q.poll.hits);
	EXPECT_LT(0u, s.q.poll.grows);
	/* without polling each request costs a kick and an interrupt */
	EXPECT_LT(kicks + s.q.interrupts, (uint64_t)REQUESTS);
}

TEST(no_polling_without_a_window)
{
	struct served s;
	unsigned int kicks;

	ASSERT_EQ(0, serve_start(&s, 0));
	kicks = drive(&s, REQUESTS / 4);
	serve_stop(&s);
	TH_LOG("%u requests: %u kicks, %llu interrupts", REQUESTS / 4, kicks,
	       (unsigned long long)s.q.interrupts);
	EXPECT_EQ((uint64_t)REQUESTS / 4, s.q.chains);
	EXPECT_EQ(0u, s.q.poll.hits + s.q.poll.misses + s.q.poll.grows);
	EXPECT_EQ(0u, s.q.poll.ns);
}

TEST_HARNESS_MAIN
