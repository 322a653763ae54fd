/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test doubles for pvkit-hv's unit tests and fuzzers: a VM with plain
 * malloc'd RAM and no KVM behind it, and stand-ins for the console, the
 * interrupt lines, ending the VM, kicking the vCPUs and KVM's clock that
 * record what the code under test asked for.
 */
#ifndef PVKIT_HV_TEST_DOUBLES_H
#define PVKIT_HV_TEST_DOUBLES_H

#include "../hv.h"

struct double_record {
	char console[8192];
	size_t console_len;
	int finish_calls;
	enum hv_exit finish_code;
	int irq_edges;			/* rising edges seen by the line */
	unsigned int irq_last;		/* the line they were on */
	int irq_level;			/* where the line was left */
	uint64_t tsc;			/* what vcpu__read_tsc() answers */
	uint32_t tsc_khz;		/* 0: it fails */
	int kicks;			/* vcpu__kick_all() calls */
	uint64_t kvm_clock;		/* what KVM_GET_CLOCK answers */
	bool kvm_clock_fails;
	int kvm_clock_sets;
	uint64_t kvm_clock_set;		/* the last KVM_SET_CLOCK */
	int err_lines;			/* hv_err() calls */
	char err_last[256];		/* the last one's text */
};

extern struct double_record double_record;

/* A VM with @ram_size bytes of zeroed RAM and one vCPU (vcpus[0]). */
struct vm *double_vm_create(uint64_t ram_size);
void double_vm_destroy(struct vm *vm);
void double_reset(struct vm *vm);

/*
 * blk_req_test is linked with --wrap=fdatasync: the code under test calls
 * its __wrap_fdatasync(), which may call the C library's.
 */
int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd);

/* pci_fuzz and virtio_pci_test are linked with --wrap=ioctl: their KVM
 * doubles answer the VM's.
 */
int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);

#endif /* PVKIT_HV_TEST_DOUBLES_H */
