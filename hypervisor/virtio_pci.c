// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-pci transport of pvkit-hv (virtio 1.x "Virtio Over PCI
 * Bus", modern devices only). Each device is one PCI function with:
 *
 *   BAR0, memory, 16 KiB:  0x0000 common configuration
 *                          0x1000 ISR status
 *                          0x2000 device-specific configuration
 *                          0x3000 MSI-X table, 0x3800 its pending bits
 *   BAR2, port I/O:        queue notifications, 2 bytes per queue
 *
 * Notifications are ports rather than memory because a port write exits
 * without KVM decoding the instruction, and each one is a KVM ioeventfd
 * that wakes the queue's I/O thread directly. This is the same transport
 * a Debian kernel's virtio_pci driver finds under QEMU, which is why
 * pvkit-hv uses it (Documentation/hypervisor.rst).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "virtio.h"

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_PCI_DEVICE_BASE	0x1040
#define BAR_REGS		0
#define BAR_NOTIFY		2
#define REGS_SIZE		0x4000
#define COMMON_OFF		0x0000
#define COMMON_LEN		56
#define ISR_OFF			0x1000
#define DEVICE_OFF		0x2000
#define DEVICE_MAX		0x1000
#define MSIX_TABLE_OFF		0x3000
#define MSIX_PBA_OFF		0x3800
#define MSIX_MAX_VECTORS	(VIRTIO_MAX_QUEUES + 1)
#define NOTIFY_MULT		2
#define NOTIFY_SIZE		256
#define ISR_QUEUE		1
#define ISR_CONFIG		2
#define QUEUE_STOP_WARN_S	5

/* ---- MSI-X ------------------------------------------------------------ */

static uint16_t msix_control(const struct virtio_dev *dev)
{
	return get16(dev->pci.cfg + dev->msix_cap + PCI_MSIX_FLAGS);
}

static bool msix_masked(const struct virtio_dev *dev, unsigned int v)
{
	uint16_t ctl = msix_control(dev);

	return !(ctl & PCI_MSIX_FLAGS_ENABLE) || (ctl & PCI_MSIX_FLAGS_MASKALL) ||
	       (dev->msix[v].entry[3] & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static void msix_fire(struct virtio_dev *dev, unsigned int v)
{
	uint64_t one = 1;

	if (write(dev->msix[v].fd, &one, sizeof(one)) != sizeof(one))
		hv_err("%s: signalling MSI-X vector %u: %s", dev->name, v,
		       strerror(errno));
}

/*
 * Interrupts the guest on @v now, or marks it pending while masked. The
 * irqfd is written under dev->lock, as the guest's table writes are made:
 * a vector the guest masks to reprogram it must not fire between the
 * check and the write, with a route that is half old and half new.
 */
static void msix_signal(struct virtio_dev *dev, uint16_t v)
{
	pthread_mutex_lock(&dev->lock);
	if (v < dev->nr_vectors) {
		if (msix_masked(dev, v))
			dev->msix[v].pending = true;
		else
			msix_fire(dev, v);
	}
	pthread_mutex_unlock(&dev->lock);
}

/* Called with dev->lock held: deliver what was pending and is unmasked. */
static void msix_deliver_pending(struct virtio_dev *dev)
{
	unsigned int v;

	for (v = 0; v < dev->nr_vectors; v++) {
		if (dev->msix[v].pending && !msix_masked(dev, v)) {
			dev->msix[v].pending = false;
			msix_fire(dev, v);
		}
	}
}

static void msix_table_access(struct virtio_dev *dev, uint64_t off,
			      uint8_t *data, unsigned int len, bool write)
{
	unsigned int v = off / 16, word = (off % 16) / 4;
	struct msix_vector *vec;
	int err;

	/* the spec allows only aligned dword (or qword) accesses */
	if ((len != 4 && len != 8) || off % len || v >= dev->nr_vectors)
		return;
	vec = &dev->msix[v];
	if (!write) {
		memcpy(data, &vec->entry[word], len);
		return;
	}
	memcpy(&vec->entry[word], data, len);
	err = irq__msi_route(dev->vm, vec->gsi,
			     ((uint64_t)vec->entry[1] << 32) | vec->entry[0],
			     vec->entry[2]);
	if (err)
		hv_err("%s: routing MSI-X vector %u: %s", dev->name, v,
		       strerror(-err));
	msix_deliver_pending(dev);
}

static void msix_pba_read(struct virtio_dev *dev, uint64_t off,
			  uint8_t *data, unsigned int len)
{
	unsigned int i, v;

	for (i = 0; i < len; i++)
		for (v = 0; v < 8; v++)
			if ((off + i) * 8 + v < dev->nr_vectors &&
			    dev->msix[(off + i) * 8 + v].pending)
				data[i] |= 1 << v;
}

static void msix_cfg_written(struct pci_dev *pci, unsigned int offset)
{
	struct virtio_dev *dev = pci->owner;

	pthread_mutex_lock(&dev->lock);
	msix_deliver_pending(dev);
	pthread_mutex_unlock(&dev->lock);
}

static int msix_setup(struct virtio_dev *dev)
{
	uint8_t cap[12] = { PCI_CAP_ID_MSIX };
	unsigned int v;

	dev->nr_vectors = dev->nr_queues + 1;
	dev->msix = calloc(dev->nr_vectors, sizeof(*dev->msix));
	if (!dev->msix)
		return -ENOMEM;
	for (v = 0; v < dev->nr_vectors; v++) {
		int fd = irq__msi_alloc(dev->vm, &dev->msix[v].gsi);

		if (fd < 0)
			return fd;
		dev->msix[v].fd = fd;
		dev->msix[v].entry[3] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	}
	put16(cap + PCI_MSIX_FLAGS, dev->nr_vectors - 1);
	put32(cap + PCI_MSIX_TABLE, MSIX_TABLE_OFF | BAR_REGS);
	put32(cap + PCI_MSIX_PBA, MSIX_PBA_OFF | BAR_REGS);
	dev->msix_cap = pci__add_cap(&dev->pci, cap, sizeof(cap));
	if (!dev->msix_cap)
		return -ENOSPC;
	/* enable and function mask are the guest's to set */
	dev->pci.cfg_wmask[dev->msix_cap + PCI_MSIX_FLAGS + 1] = 0xc0;
	dev->pci.cfg_written = msix_cfg_written;
	return 0;
}

/* ---- queues and their threads ----------------------------------------- */

int virtio_queue__wait(struct virtio_queue *q, int fd, short events)
{
	struct pollfd p[3] = {
		{ .fd = q->dev->stop_fd, .events = POLLIN },
		{ .fd = q->kick_fd, .events = POLLIN },
		{ .fd = fd, .events = events },
	};
	uint64_t kicks;
	int ret;

	for (;;) {
		if (poll(p, fd >= 0 ? 3 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			hv_err("%s: queue %u: poll: %s", q->dev->name, q->index,
			       strerror(errno));
			return 0;
		}
		if (p[0].revents)
			return 0;
		ret = 0;
		if (p[1].revents & POLLIN) {
			if (read(q->kick_fd, &kicks, sizeof(kicks)) ==
			    sizeof(kicks))
				q->kicks += kicks;
			ret |= VQ_WAIT_KICK;
		}
		if (fd >= 0 && (p[2].revents & (events | POLLERR | POLLHUP)))
			ret |= VQ_WAIT_FD;
		if (ret)
			return ret;
	}
}

void virtio_queue__wake(struct virtio_queue *q)
{
	uint64_t one = 1;

	if (write(q->kick_fd, &one, sizeof(one)) != sizeof(one))
		hv_err("%s: queue %u: waking its thread: %s", q->dev->name,
		       q->index, strerror(errno));
}

void virtio_queue__interrupt(struct virtio_queue *q)
{
	struct virtio_dev *dev = q->dev;

	if (!vq__should_notify(&q->vq))
		return;
	q->interrupts++;
	pthread_mutex_lock(&dev->lock);
	dev->isr |= ISR_QUEUE;
	pthread_mutex_unlock(&dev->lock);
	msix_signal(dev, q->msix_vector);
}

/*
 * Returns a handled chain, as the device's test fault may have it; false
 * if no interrupt is to tell of it.
 */
static bool virtio_push(struct virtio_queue *q, const struct vq_chain *c,
			uint32_t len)
{
	uint16_t id = c->head;
	bool quiet = false;

	if (q->dev->ops->misbehave)
		quiet = q->dev->ops->misbehave(q, c, &id, &len);
	vq__push(&q->vq, id, len);
	return !quiet;
}

bool virtio_dev__stopping(struct virtio_dev *dev)
{
	return __atomic_load_n(&dev->stopping, __ATOMIC_ACQUIRE);
}

enum poll_end { POLL_HIT, POLL_MISS, POLL_IDLE };

/*
 * Looks at @q's avail ring for up to its poll window (vq_poll.h), in
 * short sleeps: POLL_HIT as soon as a chain is there, POLL_MISS once the
 * window passed empty or a reset stops the queue, POLL_IDLE once the
 * guest went idle, when that can be told (@idle_known): a vCPU halted
 * since the batch began with @halts halts, or every vCPU waits now.
 */
static enum poll_end virtio_queue_poll(struct virtio_queue *q,
				       bool idle_known, uint64_t halts)
{
	struct pollfd p = { .fd = q->dev->stop_fd, .events = POLLIN };
	uint64_t start = vq_poll__now(), now = start, step;
	const struct vm *vm = q->dev->vm;
	struct timespec ts;

	for (;;) {
		if (vq__avail_pending(&q->vq)) {
			vq_poll__hit(&q->poll, now - start);
			return POLL_HIT;
		}
		if (virtio_dev__stopping(q->dev))
			return POLL_MISS;
		if (idle_known &&
		    (vm__halts(vm) != halts || vm__all_blocked(vm))) {
			vq_poll__idle(&q->poll);
			return POLL_IDLE;
		}
		if (now - start >= q->poll.ns) {
			vq_poll__miss(&q->poll);
			return POLL_MISS;
		}
		step = q->poll.ns / 4;
		if (idle_known && step > VQ_POLL_IDLE_STEP_NS)
			step = VQ_POLL_IDLE_STEP_NS;
		if (step < VQ_POLL_STEP_MIN_NS)
			step = VQ_POLL_STEP_MIN_NS;
		if (step > q->poll.ns - (now - start))
			step = q->poll.ns - (now - start);
		ts = (struct timespec){ .tv_nsec = step };
		ppoll(&p, 1, &ts, NULL);
		now = vq_poll__now();
	}
}

void virtio_queue__serve(struct virtio_queue *q, virtio_chain_fn handle)
{
	struct vq_chain *c = malloc(sizeof(*c));
	uint64_t slept_from = 0;
	bool idle_known = vm__idle_known(q->dev->vm);
	const char *why = NULL;
	uint64_t halts = 0;
	unsigned int done, told;
	int r, len;

	if (!c) {
		hv_err("%s: queue %u: out of memory", q->dev->name, q->index);
		return;
	}
	vq_poll__init(&q->poll, q->dev->poll_us);
	if (idle_known)
		vq_poll__idle_known(&q->poll);
	/* the poll's short sleeps, not the default 50 us of slack */
	if (q->poll.max_ns)
		prctl(PR_SET_TIMERSLACK, 1000UL);
	while (virtio_queue__wait(q, -1, 0)) {
		if (slept_from)
			vq_poll__woke(&q->poll, vq_poll__now() - slept_from);
		do {
			/* completions whose interrupt waits, since when */
			uint64_t held_from = 0, held_bytes = 0;
			bool held = false, served = false;

			vq__disable_kicks(&q->vq);
			if (idle_known)
				halts = vm__halts(q->dev->vm);
			for (;;) {
				done = 0;
				told = 0;
				r = 0;
				/* a reset waits for one request at most */
				while (!virtio_dev__stopping(q->dev) &&
				       (r = vq__pop(&q->vq, c)) > 0) {
					len = handle(q, c, &why);
					if (len < 0)
						goto fail;
					if (virtio_push(q, c, len))
						told++;
					held_bytes += c->out_len + c->in_len;
					done++;
				}
				if (r < 0) {
					why = q->vq.error;
					goto fail;
				}
				q->chains += done;
				if (done)
					served = true;
				/* (a test's faulty device tells of nothing) */
				if (told && !held) {
					held = true;
					held_from = vq_poll__now();
				}
				/*
				 * big requests get their interrupt at once: the
				 * guest has fewer in flight, and it costs little
				 * beside their data (the window goes on)
				 */
				if (held && held_bytes >= VQ_POLL_HOLD_BYTES) {
					virtio_queue__interrupt(q);
					q->early_interrupts++;
					held = false;
					held_bytes = 0;
				}
				/* more chains in the window: one interrupt */
				if (!served || !q->poll.ns ||
				    (held && vq_poll__hold_over(&q->poll, held_from,
								vq_poll__now())) ||
				    virtio_queue_poll(q, idle_known, halts) !=
				    POLL_HIT)
					break;
			}
			if (held)
				virtio_queue__interrupt(q);
		} while (!virtio_dev__stopping(q->dev) &&
			 vq__enable_kicks(&q->vq));
		slept_from = vq_poll__now();
	}
	free(c);
	return;
fail:
	virtio_queue__fail(q, why);
	free(c);
}

static void virtio_config_interrupt(struct virtio_dev *dev)
{
	uint16_t v;

	pthread_mutex_lock(&dev->lock);
	dev->isr |= ISR_CONFIG;
	v = dev->config_msix;
	pthread_mutex_unlock(&dev->lock);
	msix_signal(dev, v);
}

/*
 * Waits for a stopping queue's thread. A queue thread ends within one
 * request; one that does not is named (the vCPU resetting the device
 * waits here, and its guest with it), and then waited for.
 */
static void virtio_join_queue(struct virtio_queue *q)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += QUEUE_STOP_WARN_S;
	if (!pthread_timedjoin_np(q->thread, NULL, &deadline))
		return;
	hv_err("%s: queue %u: its thread has not stopped after %d s (%llu chains, %llu kicks); still waiting",
	       q->dev->name, q->index, QUEUE_STOP_WARN_S,
	       (unsigned long long)q->chains, (unsigned long long)q->kicks);
	pthread_join(q->thread, NULL);
	hv_info("%s: queue %u: its thread stopped", q->dev->name, q->index);
}

static void virtio_stop_threads(struct virtio_dev *dev)
{
	uint64_t one = 1;
	unsigned int i;

	__atomic_store_n(&dev->stopping, true, __ATOMIC_RELEASE);
	if (write(dev->stop_fd, &one, sizeof(one)) != sizeof(one))
		hv_err("%s: stopping queues: %s", dev->name, strerror(errno));
	for (i = 0; i < dev->nr_queues; i++) {
		if (dev->queues[i].running)
			virtio_join_queue(&dev->queues[i]);
		dev->queues[i].running = false;
	}
	__atomic_store_n(&dev->stopping, false, __ATOMIC_RELEASE);
}

/* Puts @dev in "needs reset" and stops its queues; logs @what once. */
static void virtio_dev_fail(struct virtio_dev *dev, const char *what)
{
	uint64_t one = 1;
	bool first;

	pthread_mutex_lock(&dev->lock);
	first = !dev->failed;
	dev->failed = true;
	dev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	pthread_mutex_unlock(&dev->lock);
	if (!first)
		return;
	hv_info("%s: %s; device needs reset", dev->name, what);
	/*
	 * every queue stops, mid-batch (its poll included); the driver's
	 * reset joins them
	 */
	__atomic_store_n(&dev->stopping, true, __ATOMIC_RELEASE);
	if (write(dev->stop_fd, &one, sizeof(one)) != sizeof(one))
		hv_err("%s: stopping queues: %s", dev->name, strerror(errno));
	virtio_config_interrupt(dev);
}

void virtio_queue__fail(struct virtio_queue *q, const char *why)
{
	char what[160];

	snprintf(what, sizeof(what), "queue %u: %s", q->index, why);
	virtio_dev_fail(q->dev, what);
}

static void *virtio_queue_thread(void *arg)
{
	struct virtio_queue *q = arg;

	q->dev->ops->queue_run(q);
	return NULL;
}

static int virtio_set_kick(struct virtio_queue *q, bool assign)
{
	struct kvm_ioeventfd ioe = {
		.addr = q->kick_port,
		.len = 2,
		.fd = q->kick_fd,
		.flags = KVM_IOEVENTFD_FLAG_PIO |
			 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	if (q->kick_registered == assign)
		return 0;
	if (ioctl(q->dev->vm->vm_fd, KVM_IOEVENTFD, &ioe) < 0)
		return -errno;
	q->kick_registered = assign;
	return 0;
}

/* Starts an enabled queue's thread; a bad ring fails the device. */
static void virtio_start_queue(struct virtio_queue *q)
{
	struct virtio_dev *dev = q->dev;
	int err;

	if (q->running || dev->failed)
		return;
	if (q->size > dev->queue_max) {
		virtio_queue__fail(q, "queue size above the device's maximum");
		return;
	}
	q->layout.size = q->size;
	if (vq__init(&q->vq, dev->vm, &q->layout,
		     virtio_has(dev, VIRTIO_RING_F_EVENT_IDX),
		     virtio_has(dev, VIRTIO_RING_F_INDIRECT_DESC))) {
		virtio_queue__fail(q, q->vq.error);
		return;
	}
	q->vq.used_idx = q->used_before_start;
	q->kick_port = pci__bar_addr(&dev->pci, BAR_NOTIFY) +
		       q->index * NOTIFY_MULT;
	err = virtio_set_kick(q, true);
	if (err)
		hv_err("%s: queue %u: KVM_IOEVENTFD: %s (kicks will exit)",
		       dev->name, q->index, strerror(-err));
	err = pthread_create(&q->thread, NULL, virtio_queue_thread, q);
	if (err) {
		hv_err("%s: queue %u: starting its thread: %s", dev->name,
		       q->index, strerror(err));
		return;
	}
	q->running = true;
}

uint16_t virtio_pci__set_queue_max(struct virtio_dev *dev, uint16_t max)
{
	uint16_t now;

	pthread_mutex_lock(&dev->lock);
	dev->queue_max_next = max;
	now = dev->queue_max;
	pthread_mutex_unlock(&dev->lock);
	return now;
}

static void virtio_reset(struct virtio_dev *dev)
{
	uint64_t drain;
	unsigned int i;

	virtio_stop_threads(dev);
	if (read(dev->stop_fd, &drain, sizeof(drain)) < 0 && errno != EAGAIN)
		hv_err("%s: reset: %s", dev->name, strerror(errno));
	pthread_mutex_lock(&dev->lock);
	if (dev->queue_max_next) {
		dev->queue_max = dev->queue_max_next;
		dev->queue_max_next = 0;
	}
	for (i = 0; i < dev->nr_queues; i++) {
		struct virtio_queue *q = &dev->queues[i];

		if (virtio_set_kick(q, false))
			hv_err("%s: queue %u: removing its ioeventfd: %s",
			       dev->name, i, strerror(errno));
		q->size = dev->queue_max;
		q->msix_vector = VIRTIO_NO_VECTOR;
		q->enabled = false;
		q->used_before_start = 0;
		memset(&q->layout, 0, sizeof(q->layout));
	}
	dev->status = 0;
	dev->isr = 0;
	dev->guest_features = 0;
	dev->dfselect = dev->gfselect = 0;
	dev->queue_select = 0;
	dev->config_msix = VIRTIO_NO_VECTOR;
	dev->failed = false;
	for (i = 0; i < dev->nr_vectors; i++)
		dev->msix[i].pending = false;
	pthread_mutex_unlock(&dev->lock);
}

/* ---- common configuration --------------------------------------------- */

static struct virtio_queue *selected_queue(struct virtio_dev *dev)
{
	return dev->queue_select < dev->nr_queues ?
	       &dev->queues[dev->queue_select] : NULL;
}

static void common_image(struct virtio_dev *dev, uint8_t *img)
{
	struct virtio_queue *q = selected_queue(dev);

	memset(img, 0, COMMON_LEN);
	put32(img + VIRTIO_PCI_COMMON_DFSELECT, dev->dfselect);
	if (dev->dfselect < 2)
		put32(img + VIRTIO_PCI_COMMON_DF,
		      dev->host_features >> (32 * dev->dfselect));
	put32(img + VIRTIO_PCI_COMMON_GFSELECT, dev->gfselect);
	if (dev->gfselect < 2)
		put32(img + VIRTIO_PCI_COMMON_GF,
		      dev->guest_features >> (32 * dev->gfselect));
	put16(img + VIRTIO_PCI_COMMON_MSIX, dev->config_msix);
	put16(img + VIRTIO_PCI_COMMON_NUMQ, dev->nr_queues);
	img[VIRTIO_PCI_COMMON_STATUS] = dev->status;
	img[VIRTIO_PCI_COMMON_CFGGENERATION] = dev->config_gen;
	put16(img + VIRTIO_PCI_COMMON_Q_SELECT, dev->queue_select);
	if (!q)
		return;
	put16(img + VIRTIO_PCI_COMMON_Q_SIZE, q->size);
	put16(img + VIRTIO_PCI_COMMON_Q_MSIX, q->msix_vector);
	put16(img + VIRTIO_PCI_COMMON_Q_ENABLE, q->enabled);
	put16(img + VIRTIO_PCI_COMMON_Q_NOFF, q->index);
	memcpy(img + VIRTIO_PCI_COMMON_Q_DESCLO, &q->layout.desc, 8);
	memcpy(img + VIRTIO_PCI_COMMON_Q_AVAILLO, &q->layout.avail, 8);
	memcpy(img + VIRTIO_PCI_COMMON_Q_USEDLO, &q->layout.used, 8);
}

static uint16_t valid_vector(struct virtio_dev *dev, uint16_t v)
{
	return v < dev->nr_vectors ? v : VIRTIO_NO_VECTOR;
}

enum common_action {
	ACT_NONE, ACT_RESET, ACT_START_ALL, ACT_START_ONE, ACT_FAIL,
	ACT_ENABLED
};

/* FEATURES_OK only for a subset of what we offered, with VERSION_1. */
static uint8_t status_check_features(struct virtio_dev *dev, uint8_t status)
{
	if ((dev->guest_features & ~dev->host_features) ||
	    !virtio_has(dev, VIRTIO_F_VERSION_1) ||
	    (dev->ops->features_acked && dev->ops->features_acked(dev))) {
		hv_info("%s: driver acked features %#llx, offered %#llx: refused",
			dev->name, (unsigned long long)dev->guest_features,
			(unsigned long long)dev->host_features);
		return status & ~VIRTIO_CONFIG_S_FEATURES_OK;
	}
	return status;
}

static enum common_action status_write(struct virtio_dev *dev, uint8_t status)
{
	uint8_t old = dev->status;

	if (!status)
		return ACT_RESET;
	/*
	 * a driver only adds status bits; taking one back without a reset
	 * (features acked again while the queues run) is refused
	 */
	if (old & ~status & ~VIRTIO_CONFIG_S_NEEDS_RESET)
		return ACT_FAIL;
	if ((status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(old & VIRTIO_CONFIG_S_FEATURES_OK))
		status = status_check_features(dev, status);
	if (dev->failed)
		status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	dev->status = status;
	if ((status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(old & VIRTIO_CONFIG_S_DRIVER_OK))
		return ACT_START_ALL;
	return ACT_NONE;
}

static bool touches(uint64_t off, unsigned int len, unsigned int field,
		    unsigned int size)
{
	return off < field + size && off + len > field;
}

static enum common_action common_write(struct virtio_dev *dev, uint64_t off,
				       const uint8_t *data, unsigned int len)
{
	uint8_t img[COMMON_LEN];
	struct virtio_queue *q;
	uint64_t half;

	common_image(dev, img);
	memcpy(img + off, data, len);
	if (touches(off, len, VIRTIO_PCI_COMMON_DFSELECT, 4))
		dev->dfselect = get32(img + VIRTIO_PCI_COMMON_DFSELECT);
	if (touches(off, len, VIRTIO_PCI_COMMON_GFSELECT, 4))
		dev->gfselect = get32(img + VIRTIO_PCI_COMMON_GFSELECT);
	if (touches(off, len, VIRTIO_PCI_COMMON_GF, 4) && dev->gfselect < 2 &&
	    !(dev->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
		half = get32(img + VIRTIO_PCI_COMMON_GF);
		dev->guest_features &= ~(0xffffffffULL << (32 * dev->gfselect));
		dev->guest_features |= half << (32 * dev->gfselect);
	}
	if (touches(off, len, VIRTIO_PCI_COMMON_MSIX, 2))
		dev->config_msix = valid_vector(dev,
					get16(img + VIRTIO_PCI_COMMON_MSIX));
	if (touches(off, len, VIRTIO_PCI_COMMON_STATUS, 1))
		return status_write(dev, img[VIRTIO_PCI_COMMON_STATUS]);
	if (touches(off, len, VIRTIO_PCI_COMMON_Q_SELECT, 2))
		dev->queue_select = get16(img + VIRTIO_PCI_COMMON_Q_SELECT);

	q = selected_queue(dev);
	/* a live queue's set-up is fixed until reset */
	if (!q || q->enabled || off < VIRTIO_PCI_COMMON_Q_SIZE)
		return ACT_NONE;
	if (touches(off, len, VIRTIO_PCI_COMMON_Q_SIZE, 2))
		q->size = get16(img + VIRTIO_PCI_COMMON_Q_SIZE);
	if (touches(off, len, VIRTIO_PCI_COMMON_Q_MSIX, 2))
		q->msix_vector = valid_vector(dev,
					get16(img + VIRTIO_PCI_COMMON_Q_MSIX));
	memcpy(&q->layout.desc, img + VIRTIO_PCI_COMMON_Q_DESCLO, 8);
	memcpy(&q->layout.avail, img + VIRTIO_PCI_COMMON_Q_AVAILLO, 8);
	memcpy(&q->layout.used, img + VIRTIO_PCI_COMMON_Q_USEDLO, 8);
	if (touches(off, len, VIRTIO_PCI_COMMON_Q_ENABLE, 2) &&
	    get16(img + VIRTIO_PCI_COMMON_Q_ENABLE) == 1) {
		q->enabled = true;
		if (dev->status & VIRTIO_CONFIG_S_DRIVER_OK)
			return ACT_START_ONE;
		return ACT_ENABLED;
	}
	return ACT_NONE;
}

static void common_access(struct virtio_dev *dev, uint64_t off, uint8_t *data,
			  unsigned int len, bool write)
{
	enum common_action act = ACT_NONE;
	uint8_t img[COMMON_LEN];
	struct virtio_queue *q = NULL;
	unsigned int i;

	if (off + len > COMMON_LEN)
		return;
	if (!write) {
		pthread_mutex_lock(&dev->lock);
		common_image(dev, img);
		memcpy(data, img + off, len);
		pthread_mutex_unlock(&dev->lock);
		return;
	}
	pthread_mutex_lock(&dev->ctl_lock);
	pthread_mutex_lock(&dev->lock);
	act = common_write(dev, off, data, len);
	q = selected_queue(dev);
	pthread_mutex_unlock(&dev->lock);

	/* thread start and stop take dev->lock themselves */
	switch (act) {
	case ACT_FAIL:
		virtio_dev_fail(dev, "the driver cleared status bits without a reset");
		break;
	case ACT_RESET:
		virtio_reset(dev);
		break;
	case ACT_START_ALL:
		for (i = 0; i < dev->nr_queues; i++)
			if (dev->queues[i].enabled)
				virtio_start_queue(&dev->queues[i]);
		break;
	case ACT_START_ONE:
		virtio_start_queue(q);
		break;
	case ACT_ENABLED:
		if (dev->ops->queue_enabled && !q->running)
			dev->ops->queue_enabled(q);
		break;
	case ACT_NONE:
		break;
	}
	pthread_mutex_unlock(&dev->ctl_lock);
}

/* A notification KVM had no ioeventfd for (yet): kick by hand. */
static void notify_by_hand(struct virtio_dev *dev, uint64_t off)
{
	uint64_t one = 1;

	if (off / NOTIFY_MULT < dev->nr_queues &&
	    write(dev->queues[off / NOTIFY_MULT].kick_fd, &one,
		  sizeof(one)) < 0)
		hv_err("%s: kick: %s", dev->name, strerror(errno));
}

static void virtio_bar_access(struct pci_dev *pci, unsigned int bar,
			      uint64_t off, void *buf, unsigned int len,
			      bool write)
{
	struct virtio_dev *dev = pci->owner;
	uint8_t *data = buf;

	if (bar == BAR_NOTIFY) {
		if (write)
			notify_by_hand(dev, off);
		return;
	}
	if (off < COMMON_OFF + COMMON_LEN) {
		common_access(dev, off - COMMON_OFF, data, len, write);
	} else if (off == ISR_OFF && len == 1 && !write) {
		pthread_mutex_lock(&dev->lock);
		data[0] = dev->isr;
		dev->isr = 0;
		pthread_mutex_unlock(&dev->lock);
	} else if (off >= DEVICE_OFF && off < DEVICE_OFF + DEVICE_MAX) {
		off -= DEVICE_OFF;
		if (!write && off < dev->config_len)
			memcpy(data, (const uint8_t *)dev->config + off,
			       len < dev->config_len - off ? len :
			       dev->config_len - off);
	} else if (off >= MSIX_TABLE_OFF && off < MSIX_PBA_OFF) {
		pthread_mutex_lock(&dev->lock);
		msix_table_access(dev, off - MSIX_TABLE_OFF, data, len, write);
		pthread_mutex_unlock(&dev->lock);
	} else if (off >= MSIX_PBA_OFF && !write) {
		pthread_mutex_lock(&dev->lock);
		msix_pba_read(dev, off - MSIX_PBA_OFF, data, len);
		pthread_mutex_unlock(&dev->lock);
	}
}

/* ---- the PCI function --------------------------------------------------- */

static void add_virtio_cap(struct virtio_dev *dev, uint8_t type, uint8_t bar,
			   uint32_t offset, uint32_t length)
{
	struct virtio_pci_notify_cap cap = {
		.cap = {
			.cap_vndr = PCI_CAP_ID_VNDR,
			.cfg_type = type,
			.bar = bar,
			.offset = offset,
			.length = length,
		},
		.notify_off_multiplier = NOTIFY_MULT,
	};
	unsigned int len = type == VIRTIO_PCI_CAP_NOTIFY_CFG ?
			   sizeof(cap) : sizeof(cap.cap);

	cap.cap.cap_len = len;
	pci__add_cap(&dev->pci, &cap, len);
}

static void virtio_pci_header(struct virtio_dev *dev)
{
	uint8_t *cfg = dev->pci.cfg;

	put16(cfg + PCI_VENDOR_ID, VIRTIO_PCI_VENDOR);
	put16(cfg + PCI_DEVICE_ID, VIRTIO_PCI_DEVICE_BASE + dev->device_id);
	put32(cfg + PCI_CLASS_REVISION, dev->pci_class << 8 | 1);
	put16(cfg + PCI_SUBSYSTEM_VENDOR_ID, VIRTIO_PCI_VENDOR);
	put16(cfg + PCI_SUBSYSTEM_ID, VIRTIO_PCI_DEVICE_BASE + dev->device_id);
	dev->pci.bar_size[BAR_REGS] = REGS_SIZE;
	dev->pci.bar_size[BAR_NOTIFY] = NOTIFY_SIZE;
	dev->pci.bar_io[BAR_NOTIFY] = true;
	dev->pci.bar_access = virtio_bar_access;
	dev->pci.owner = dev;
	add_virtio_cap(dev, VIRTIO_PCI_CAP_COMMON_CFG, BAR_REGS, COMMON_OFF,
		       COMMON_LEN);
	add_virtio_cap(dev, VIRTIO_PCI_CAP_ISR_CFG, BAR_REGS, ISR_OFF, 1);
	if (dev->config_len)
		add_virtio_cap(dev, VIRTIO_PCI_CAP_DEVICE_CFG, BAR_REGS,
			       DEVICE_OFF, dev->config_len);
	add_virtio_cap(dev, VIRTIO_PCI_CAP_NOTIFY_CFG, BAR_NOTIFY, 0,
		       dev->nr_queues * NOTIFY_MULT);
}

int virtio_pci__add(struct vm *vm, struct virtio_dev *dev)
{
	unsigned int i;
	int err;

	if (!dev->nr_queues || dev->nr_queues > VIRTIO_MAX_QUEUES ||
	    dev->config_len > DEVICE_MAX || vm->nr_virtio == HV_MAX_VIRTIO)
		return -EINVAL;
	dev->vm = vm;
	dev->queue_limit = dev->queue_max;
	dev->host_features |= 1ULL << VIRTIO_F_VERSION_1;
	pthread_mutex_init(&dev->ctl_lock, NULL);
	pthread_mutex_init(&dev->lock, NULL);
	dev->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	dev->queues = calloc(dev->nr_queues, sizeof(*dev->queues));
	if (dev->stop_fd < 0 || !dev->queues)
		return -ENOMEM;
	for (i = 0; i < dev->nr_queues; i++) {
		struct virtio_queue *q = &dev->queues[i];

		q->dev = dev;
		q->index = i;
		q->size = dev->queue_max;
		q->msix_vector = VIRTIO_NO_VECTOR;
		q->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (q->kick_fd < 0)
			return -errno;
	}
	dev->config_msix = VIRTIO_NO_VECTOR;
	virtio_pci_header(dev);
	err = msix_setup(dev);
	if (err)
		return err;
	err = pci__register(vm, &dev->pci);
	if (err)
		return err;
	vm->virtio[vm->nr_virtio++] = dev;
	return 0;
}

void virtio__stats(struct vm *vm, FILE *f)
{
	unsigned int d, i;

	fprintf(f, "  \"virtio\": {");
	for (d = 0; d < vm->nr_virtio; d++) {
		struct virtio_dev *dev = vm->virtio[d];

		fprintf(f, "%s\n    \"%s\": {\"queues\": [", d ? "," : "",
			dev->name);
		for (i = 0; i < dev->nr_queues; i++) {
			struct virtio_queue *q = &dev->queues[i];

			fprintf(f, "%s{\"kicks\": %llu, \"interrupts\": %llu, \"chains\": %llu, \"poll\": {\"hits\": %llu, \"misses\": %llu, \"grows\": %llu, \"shrinks\": %llu, \"idles\": %llu, \"early_irqs\": %llu, \"window_ns\": %u, \"max_ns\": %u}}",
				i ? ", " : "", (unsigned long long)q->kicks,
				(unsigned long long)q->interrupts,
				(unsigned long long)q->chains,
				(unsigned long long)q->poll.hits,
				(unsigned long long)q->poll.misses,
				(unsigned long long)q->poll.grows,
				(unsigned long long)q->poll.shrinks,
				(unsigned long long)q->poll.idles,
				(unsigned long long)q->early_interrupts,
				q->poll.ns, q->poll.max_ns);
		}
		fprintf(f, "]");
		if (dev->ops->stats)
			dev->ops->stats(dev, f);
		fprintf(f, "}");
	}
	fprintf(f, "%s},\n", vm->nr_virtio ? "\n  " : "");
}
