// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket's command about one virtio device (control.c):
 * "queue-max DEVICE N" has the device's queues offer N entries from its
 * next reset on, as if it had been made with fewer (or its own number
 * again), so that an operator or a test sees what the guest's driver
 * does when it sets the device up again on other terms: after an
 * unbind and bind, or a suspend and resume. DEVICE is blkN or netN as
 * the log and --stats name it, a disk's serial or a NIC's tap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv.h"
#include "virtio.h"

#define DEVICE_ARG_MAX	64

/* The device named @name (its name or its alias), or NULL. */
static struct virtio_dev *virtio_ctl_find(struct vm *vm, const char *name)
{
	unsigned int i;

	for (i = 0; i < vm->nr_virtio; i++) {
		struct virtio_dev *dev = vm->virtio[i];

		if (!strcmp(dev->name, name) ||
		    (dev->alias && !strcmp(dev->alias, name)))
			return dev;
	}
	return NULL;
}

static void virtio_ctl_list(struct vm *vm, FILE *out)
{
	unsigned int i;

	for (i = 0; i < vm->nr_virtio; i++) {
		struct virtio_dev *dev = vm->virtio[i];

		fprintf(out, " %s", dev->name);
		if (dev->alias)
			fprintf(out, " (%s)", dev->alias);
	}
}

int virtio_ctl__queue_max(struct vm *vm, const char *arg, FILE *out)
{
	char name[DEVICE_ARG_MAX];
	struct virtio_dev *dev;
	unsigned long n;
	char *end;
	int pos = 0;
	uint16_t now;

	if (sscanf(arg, "%63s %n", name, &pos) != 1 || !pos ||
	    arg[pos] < '0' || arg[pos] > '9') {
		fputs("error: queue-max takes a device and a number of entries (queue-max blk0 64)\n",
		      out);
		return -1;
	}
	dev = virtio_ctl_find(vm, name);
	if (!dev) {
		fprintf(out, "error: no device '%s' (devices:", name);
		virtio_ctl_list(vm, out);
		fputs(")\n", out);
		return -1;
	}
	errno = 0;
	n = strtoul(arg + pos, &end, 10);
	if (errno || *end || !n || n > dev->queue_limit || (n & (n - 1))) {
		fprintf(out, "error: %s's queues take a power of two from 1 to %u entries\n",
			dev->name, dev->queue_limit);
		return -1;
	}
	now = virtio_pci__set_queue_max(dev, n);
	hv_info("%s: queues of %lu entries at most from its next reset (control socket)",
		dev->name, n);
	fprintf(out, "ok: %s's queues offer %lu entries from its next reset on (%u now)\n",
		dev->name, n, now);
	return 0;
}
