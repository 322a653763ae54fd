// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU threads of pvkit-hv: one thread per vCPU runs KVM_RUN and
 * handles each exit by its reason. The first event that ends the guest
 * (power off, reboot, crash, a KVM failure) records the exit code and
 * wakes the main thread, which ends the process.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hv.h"
#include "pci.h"

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

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;

	while (!vm_finished(vcpu->vm)) {
		if (vcpu->vm->sync_regs)
			vcpu->run->kvm_valid_regs = KVM_SYNC_X86_REGS |
						    KVM_SYNC_X86_SREGS;
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
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
	unsigned int i;
	int err;

	for (i = 0; i < vm->nr_vcpus; i++) {
		err = pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread,
				     &vm->vcpus[i]);
		if (err) {
			hv_err("starting vCPU %u: %s", i, strerror(err));
			return -1;
		}
	}
	return 0;
}
