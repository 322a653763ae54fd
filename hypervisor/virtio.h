/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A virtio device of pvkit-hv as its back end (virtio_blk.c,
 * virtio_net.c) sees it: feature bits, a config space, and queues that
 * each get an I/O thread once the driver is ready. The transport is
 * virtio-pci (virtio_pci.c): the back end never sees PCI.
 *
 * An I/O thread runs ops->queue_run(), which loops on
 * virtio_queue__wait() and returns when told to stop (device reset,
 * device failure). Kicks arrive on an eventfd that KVM signals directly
 * (ioeventfd) and interrupts leave through an irqfd: a request never
 * runs on a vCPU thread.
 */
#ifndef PVKIT_HV_VIRTIO_H
#define PVKIT_HV_VIRTIO_H

#include <stdio.h>

#include "pci.h"
#include "virtqueue.h"
#include "vq_poll.h"

#define VIRTIO_MAX_QUEUES	64
#define VIRTIO_NO_VECTOR	0xffff

struct virtio_dev;

struct virtio_queue {
	struct virtio_dev *dev;
	unsigned int index;
	/* programmed by the driver through the common configuration */
	uint16_t size;
	uint16_t msix_vector;
	bool enabled;
	struct vq_layout layout;
	/*
	 * used elements a test fault put in the ring before the queue
	 * started (vq_fault.c): the device's used index goes on from there
	 */
	uint16_t used_before_start;
	/* owned by the queue's I/O thread while it runs */
	struct virtqueue vq;
	int kick_fd;
	bool kick_registered;
	uint16_t kick_port;
	pthread_t thread;
	bool running;
	/* virtio_queue__serve's polling; reset when the thread starts */
	struct vq_poll poll;
	/* statistics, for --stats */
	uint64_t kicks;
	uint64_t interrupts;
	uint64_t chains;
	/* held interrupts sent before the window's end (VQ_POLL_HOLD_BYTES) */
	uint64_t early_interrupts;
};

struct virtio_dev_ops {
	/* the I/O thread of queue @q; returns when virtio_queue__wait stops */
	void (*queue_run)(struct virtio_queue *q);
	/* optional: the driver acked its features (FEATURES_OK) */
	int (*features_acked)(struct virtio_dev *dev);
	/* optional: extra JSON members for --stats (", \"x\": n" ...) */
	void (*stats)(struct virtio_dev *dev, FILE *f);
	/*
	 * optional, tests only (vq_fault.c): rewrites the used element
	 * (*id, *len) that virtio_queue__serve returns for chain @c; true:
	 * no interrupt tells the driver of it
	 */
	bool (*misbehave)(struct virtio_queue *q, const struct vq_chain *c,
			  uint16_t *id, uint32_t *len);
	/*
	 * optional, tests only (vq_fault.c): the driver enabled queue @q
	 * before DRIVER_OK; called with the device's ctl_lock held
	 */
	void (*queue_enabled)(struct virtio_queue *q);
};

struct msix_vector {
	uint32_t gsi;
	int fd;				/* irqfd */
	uint32_t entry[4];		/* addr lo, addr hi, data, control */
	bool pending;
};

struct virtio_dev {
	struct vm *vm;
	char name[16];			/* "blk0", "net0": for logs, stats */
	uint32_t device_id;		/* VIRTIO_ID_* */
	uint32_t pci_class;
	const struct virtio_dev_ops *ops;
	void *priv;
	uint64_t host_features;
	uint64_t guest_features;
	const void *config;		/* device-specific configuration */
	uint32_t config_len;
	unsigned int nr_queues;
	uint16_t queue_max;		/* the entries each queue offers */
	uint16_t queue_limit;		/* the back end's own queue_max */
	/* queue-max (virtio_ctl.c): queue_max from the next reset, or 0 */
	uint16_t queue_max_next;
	const char *alias;		/* a disk's serial, a NIC's tap, or NULL */
	unsigned int poll_us;		/* request queues' poll window, max */
	struct virtio_queue *queues;

	/*
	 * held across each write of the common configuration and the queue
	 * starts or reset it causes, so that two vCPUs' writes do not
	 * interleave a start with a reset; taken before lock, never by a
	 * queue thread
	 */
	pthread_mutex_t ctl_lock;
	pthread_mutex_t lock;		/* everything the driver programs */
	uint8_t status;
	uint8_t isr;
	uint8_t config_gen;
	uint32_t dfselect;
	uint32_t gfselect;
	uint16_t queue_select;
	uint16_t config_msix;
	bool failed;			/* in "needs reset" */
	int stop_fd;			/* readable: queue threads end */
	bool stopping;			/* set with stop_fd: mid-batch too */

	struct pci_dev pci;
	unsigned int msix_cap;
	unsigned int nr_vectors;
	struct msix_vector *msix;
};

/* Which events virtio_queue__wait() saw; 0 means stop. */
#define VQ_WAIT_KICK	1
#define VQ_WAIT_FD	2

/* Adds @dev (filled in by the back end) to the VM as a PCI function. */
int virtio_pci__add(struct vm *vm, struct virtio_dev *dev);

/*
 * From @dev's next reset on, its queues offer @max entries (1 to
 * queue_limit, a power of two: the caller checked); the queues the
 * driver has now keep their size. What queue_max is now.
 */
uint16_t virtio_pci__set_queue_max(struct virtio_dev *dev, uint16_t max);

/* Sleeps until a kick, @fd ready for @events (if @fd >= 0), or stop. */
int virtio_queue__wait(struct virtio_queue *q, int fd, short events);
/*
 * Whether a reset is stopping @dev's queue threads: a thread that works
 * through a batch checks it between requests, so that a reset waits for
 * one request at most.
 */
bool virtio_dev__stopping(struct virtio_dev *dev);

/*
 * Handles one chain; returns the bytes written into it (the used length)
 * or -1 with *why set if the chain breaks the device's rules.
 */
typedef int (*virtio_chain_fn)(struct virtio_queue *q,
			       const struct vq_chain *c, const char **why);

/*
 * The I/O thread body of a request/response queue: waits for kicks,
 * handles every available chain, polls for more as vq_poll.h says (with
 * dev->poll_us), interrupts once per batch; returns on stop, or after
 * failing the device on a bad chain.
 */
void virtio_queue__serve(struct virtio_queue *q, virtio_chain_fn handle);

/*
 * Wakes @q's I/O thread from virtio_queue__wait() as a kick does (and is
 * counted as one): for a back end whose thread must look at a change.
 */
void virtio_queue__wake(struct virtio_queue *q);

/* After used buffers: interrupts the driver if it asked for it. */
void virtio_queue__interrupt(struct virtio_queue *q);

/* The guest broke the queue rules: needs reset, one log line. */
void virtio_queue__fail(struct virtio_queue *q, const char *why);

/* --stats: every device's queues. */
void virtio__stats(struct vm *vm, FILE *f);

static inline bool virtio_has(const struct virtio_dev *dev, unsigned int bit)
{
	return dev->guest_features & (1ULL << bit);
}

#endif /* PVKIT_HV_VIRTIO_H */
