// SPDX-License-Identifier: GPL-2.0
/*
 * Whether the guest has gone idle, from KVM's own counters of each vCPU
 * (KVM_GET_STATS_FD: "halt_exits" and "blocking"). A request queue that
 * holds back an interrupt while it polls (vq_poll.h) lets it go as soon
 * as the guest halts, which a guest waiting for that interrupt does at
 * once: so holding costs such a guest next to nothing. Where KVM has no
 * such counters (before Linux 5.16), this is not known and the window
 * alone ends a batch.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hv.h"

/* the most descriptors and the longest names a stats file may have */
#define STATS_DESC_MAX	4096u
#define STATS_NAME_MAX	4096u

/* Where the one-value statistic @name is in the stats file @fd, or -1. */
static off_t stat_offset(int fd, const char *name)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	off_t found = -1;
	size_t dsize;
	char *descs;
	uint32_t i;

	if (pread(fd, &h, sizeof(h), 0) != sizeof(h) || !h.name_size ||
	    h.name_size > STATS_NAME_MAX || h.num_desc > STATS_DESC_MAX)
		return -1;
	dsize = sizeof(*d) + h.name_size;
	descs = malloc(dsize * h.num_desc);
	if (!descs)
		return -1;
	if (pread(fd, descs, dsize * h.num_desc, h.desc_offset) !=
	    (ssize_t)(dsize * h.num_desc))
		goto out;
	for (i = 0; i < h.num_desc; i++) {
		d = (struct kvm_stats_desc *)(descs + i * dsize);
		d->name[h.name_size - 1] = '\0';
		if (d->size == 1 && !strcmp(d->name, name)) {
			found = (off_t)h.data_offset + d->offset;
			break;
		}
	}
out:
	free(descs);
	return found;
}

void vcpu_stats__use(struct vcpu *vcpu, int fd)
{
	vcpu->stats_fd = fd;
	vcpu->halts_at = vcpu->blocking_at = -1;
	if (fd < 0)
		return;
	vcpu->halts_at = stat_offset(fd, "halt_exits");
	vcpu->blocking_at = stat_offset(fd, "blocking");
}

void vcpu_stats__open(struct vcpu *vcpu)
{
	vcpu_stats__use(vcpu, ioctl(vcpu->fd, KVM_GET_STATS_FD, NULL));
}

static uint64_t stat_read(const struct vcpu *vcpu, off_t at)
{
	uint64_t v = 0;

	if (pread(vcpu->stats_fd, &v, sizeof(v), at) != sizeof(v))
		return 0;
	return v;
}

bool vm__idle_known(const struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].halts_at < 0 || vm->vcpus[i].blocking_at < 0)
			return false;
	return vm->nr_vcpus > 0;
}

uint64_t vm__halts(const struct vm *vm)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		n += stat_read(&vm->vcpus[i], vm->vcpus[i].halts_at);
	return n;
}

bool vm__all_blocked(const struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		if (!stat_read(&vm->vcpus[i], vm->vcpus[i].blocking_at))
			return false;
	return true;
}
