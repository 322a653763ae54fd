// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU threads of pvkit-hv: one thread per vCPU runs KVM_RUN and
 * handles each exit by its reason. The first event that ends the guest
 * (power off, reboot, crash, a KVM failure) records the exit code and
 * wakes the main thread, which stops every vCPU thread before it writes
 * the statistics and ends the process: a thread is kicked out of KVM_RUN
 * with a signal whose handler sets its kvm_run's immediate_exit, so a
 * kick that lands just before KVM_RUN is not lost either. A pause
 * (pause.c) kicks the same way and holds each thread between two runs.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hv.h"
#include "pci.h"

#define VCPU_KICK_SIGNAL	SIGUSR1

static __thread struct kvm_run *kick_run;

void vm__finish(struct vm *vm, enum hv_exit code)
{
	pthread_mutex_lock(&vm->lock);
	if (!vm->finished) {
		vm->finished = true;
		vm->exit_code = code;
		pthread_cond_signal(&vm->done);
	}
	pthread_mutex_unlock(&vm->lock);
}

static bool vm_finished(struct vm *vm)
{
	bool finished;

	pthread_mutex_lock(&vm->lock);
	finished = vm->finished;
	pthread_mutex_unlock(&vm->lock);
	return finished;
}

static void count_exit(struct vm *vm, uint64_t *counter)
{
	pthread_mutex_lock(&vm->lock);
	(*counter)++;
	pthread_mutex_unlock(&vm->lock);
}

static void vcpu_system_event(struct vcpu *vcpu)
{
	switch (vcpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm__finish(vcpu->vm, HV_EXIT_POWEROFF);
		break;
	case KVM_SYSTEM_EVENT_RESET:
		vm__finish(vcpu->vm, HV_EXIT_REBOOT);
		break;
	default:
		hv_err("vCPU %u: system event %u", vcpu->id,
		       vcpu->run->system_event.type);
		vm__finish(vcpu->vm, HV_EXIT_CRASH);
	}
}

static void vcpu_handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct vm *vm = vcpu->vm;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		count_exit(vm, &vm->stats.exits_io);
		pio__handle(vcpu);
		break;
	case KVM_EXIT_MMIO:
		count_exit(vm, &vm->stats.exits_mmio);
		if (run->mmio.len > sizeof(run->mmio.data) ||
		    !pci__mmio(vm, run->mmio.phys_addr, run->mmio.data,
			       run->mmio.len, run->mmio.is_write)) {
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0xff,
				       sizeof(run->mmio.data));
		}
		break;
	case KVM_EXIT_SHUTDOWN:
		count_exit(vm, &vm->stats.exits_other);
		hv_info("vCPU %u: triple fault, treated as a reboot", vcpu->id);
		vm->triple_fault = true;	/* main logs where the vCPUs were */
		vm__finish(vm, HV_EXIT_REBOOT);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		count_exit(vm, &vm->stats.exits_other);
		vcpu_system_event(vcpu);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		hv_err("vCPU %u: KVM could not enter the guest (hardware reason %#llx)",
		       vcpu->id, (unsigned long long)
		       run->fail_entry.hardware_entry_failure_reason);
		vm__finish(vm, HV_EXIT_VM_FAILURE);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		hv_err("vCPU %u: KVM internal error, suberror %u", vcpu->id,
		       run->internal.suberror);
		vm__finish(vm, HV_EXIT_VM_FAILURE);
		break;
	default:
		count_exit(vm, &vm->stats.exits_other);
		hv_err("vCPU %u: unexpected exit reason %u", vcpu->id,
		       run->exit_reason);
		vm__finish(vm, HV_EXIT_VM_FAILURE);
	}
}

static void vcpu_kick(int sig)
{
	if (kick_run)
		kick_run->immediate_exit = 1;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;

	kick_run = vcpu->run;
	while (!vm_finished(vcpu->vm)) {
		pause__park(vcpu);
		if (vcpu->vm->sync_regs)
			vcpu->run->kvm_valid_regs = KVM_SYNC_X86_REGS |
						    KVM_SYNC_X86_SREGS;
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				/* a kick: the loop's checks say what for */
				vcpu->run->immediate_exit = 0;
				continue;
			}
			hv_err("vCPU %u: KVM_RUN: %s", vcpu->id,
			       strerror(errno));
			vm__finish(vcpu->vm, HV_EXIT_VM_FAILURE);
			break;
		}
		vcpu_handle_exit(vcpu);
	}
	return NULL;
}

int vcpu__start_all(struct vm *vm)
{
	struct sigaction sa = {
		.sa_handler = vcpu_kick,
		.sa_flags = SA_RESTART,	/* KVM_RUN still returns EINTR */
	};
	unsigned int i;
	int err;

	sigemptyset(&sa.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0) {
		hv_err("installing the vCPU kick handler: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < vm->nr_vcpus; i++) {
		err = pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread,
				     &vm->vcpus[i]);
		if (err) {
			hv_err("starting vCPU %u: %s", i, strerror(err));
			return -1;
		}
		vm->nr_running++;
	}
	return 0;
}

void vcpu__kick_all(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_running; i++)
		pthread_kill(vm->vcpus[i].thread, VCPU_KICK_SIGNAL);
}

/*
 * Called once the VM has finished: releases paused vCPU threads, kicks
 * every one out of KVM_RUN and waits for it, so that no exit is still
 * being handled (a hypercall still to be counted, say) when the
 * statistics are written.
 */
void vcpu__stop_all(struct vm *vm)
{
	unsigned int i;

	pause__release(vm);
	vcpu__kick_all(vm);
	for (i = 0; i < vm->nr_running; i++)
		pthread_join(vm->vcpus[i].thread, NULL);
	vm->nr_running = 0;
}

/*
 * Logs where each stopped vCPU is, for a guest that had to be stopped
 * from outside or that triple-faulted: a hang then leaves a RIP to look
 * up, and whether the vCPU was running, halted or never started.
 */
void vcpu__log_state(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];
		struct kvm_mp_state mp;
		struct kvm_sregs sregs;
		struct kvm_regs regs;

		if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0 ||
		    ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0 ||
		    ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp) < 0) {
			hv_err("vCPU %u: reading its state: %s", i,
			       strerror(errno));
			continue;
		}
		hv_info("vCPU %u: mp_state %u rip %#llx rsp %#llx rflags %#llx cs %#x cr0 %#llx cr2 %#llx cr3 %#llx cr4 %#llx efer %#llx idt %#llx/%#x gdt %#llx/%#x",
			i, mp.mp_state, (unsigned long long)regs.rip,
			(unsigned long long)regs.rsp,
			(unsigned long long)regs.rflags, sregs.cs.selector,
			(unsigned long long)sregs.cr0,
			(unsigned long long)sregs.cr2,
			(unsigned long long)sregs.cr3,
			(unsigned long long)sregs.cr4,
			(unsigned long long)sregs.efer,
			(unsigned long long)sregs.idt.base, sregs.idt.limit,
			(unsigned long long)sregs.gdt.base, sregs.gdt.limit);
	}
}

#define MSR_IA32_TSC	0x10

int vcpu__read_tsc(struct vcpu *vcpu, uint64_t *tsc, uint32_t *khz)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entry;
	} msrs = { .hdr.nmsrs = 1, .entry.index = MSR_IA32_TSC };
	int ret;

	if (ioctl(vcpu->fd, KVM_GET_MSRS, &msrs) != 1)
		return -1;
	ret = ioctl(vcpu->fd, KVM_GET_TSC_KHZ);
	if (ret <= 0)
		return -1;
	*tsc = msrs.entry.data;
	*khz = ret;
	return 0;
}
