// SPDX-License-Identifier: GPL-2.0
/*
 * What a guest of pvkit-hv sees in CPUID: everything KVM supports on this
 * host (including KVM's own signature and paravirt feature leaves at
 * 0x40000000, so the distro kernel turns on kvmclock, steal time, PV EOI,
 * PV spinlocks, PV TLB flush, PV IPIs and PV sched-yield), its APIC ID,
 * the hypervisor bit, the TSC-deadline timer that KVM's local APIC
 * emulates (else the guest calibrates its APIC timer against the PIT,
 * which fails under load), and pvkit's own leaves at PVKIT_CPUID_BASE_DEFAULT
 * as hypercall-abi/pvkit_abi.h defines them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hv.h"
#include "hypercall.h"
#include "pvkit_abi.h"

#define CPUID_MAX_ENTRIES	1024
#define CPUID_1_ECX_TSC_DEADLINE	(1u << 24)
#define CPUID_1_ECX_HYPERVISOR	(1u << 31)
#define PVKIT_LEAVES		(PVKIT_CPUID_LEAF_EVENTS + 1)

static struct kvm_cpuid2 *supported_cpuid(int kvm_fd)
{
	unsigned int nent;

	for (nent = 128; nent <= CPUID_MAX_ENTRIES; nent *= 2) {
		struct kvm_cpuid2 *c;

		c = calloc(1, sizeof(*c) +
			   (nent + PVKIT_LEAVES) * sizeof(c->entries[0]));
		if (!c)
			return NULL;
		c->nent = nent;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG)
			break;
	}
	hv_err("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	return NULL;
}

static void add_leaf(struct kvm_cpuid2 *c, uint32_t fn, uint32_t eax,
		     uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];

	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->eax = eax;
	e->ebx = ebx;
	e->ecx = ecx;
	e->edx = edx;
}

static void add_pvkit_leaves(struct kvm_cpuid2 *c)
{
	const uint32_t base = PVKIT_CPUID_BASE_DEFAULT;
	uint32_t sig[3];

	memcpy(sig, PVKIT_CPUID_SIGNATURE, sizeof(sig));
	add_leaf(c, base, base + PVKIT_CPUID_LEAF_EVENTS, sig[0], sig[1],
		 sig[2]);
	add_leaf(c, base + PVKIT_CPUID_LEAF_VERSION, PVKIT_ABI_VERSION_CURRENT,
		 PVKIT_TRANSPORT_PIO, PVKIT_PIO_PORT_DEFAULT, 0);
	add_leaf(c, base + PVKIT_CPUID_LEAF_FEATURES,
		 (uint32_t)HYPERCALL_FEATURES,
		 (uint32_t)(HYPERCALL_FEATURES >> 32), 0, 0);
	add_leaf(c, base + PVKIT_CPUID_LEAF_EVENTS, HV_EVENTS_IRQ,
		 HYPERCALL_EVENTS, 0, 0);
}

int cpuid__setup(struct vcpu *vcpu)
{
	struct kvm_cpuid2 *c = supported_cpuid(vcpu->vm->kvm_fd);
	/* KVM's local APIC emulates it but does not list it as supported */
	bool deadline = ioctl(vcpu->vm->kvm_fd, KVM_CHECK_EXTENSION,
			      KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	unsigned int i;
	int ret;

	if (!c)
		return -1;
	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			e->ebx = (e->ebx & 0x00ffffff) | (vcpu->id << 24);
			e->ecx |= CPUID_1_ECX_HYPERVISOR;
			if (deadline)
				e->ecx |= CPUID_1_ECX_TSC_DEADLINE;
			break;
		case 0xb:
		case 0x1f:
			e->edx = vcpu->id;
			break;
		}
	}
	add_pvkit_leaves(c);

	ret = ioctl(vcpu->fd, KVM_SET_CPUID2, c);
	if (ret < 0)
		hv_err("KVM_SET_CPUID2 on vCPU %u: %s", vcpu->id,
		       strerror(errno));
	free(c);
	return ret;
}
