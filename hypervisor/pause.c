// SPDX-License-Identifier: GPL-2.0
/*
 * Pausing and resuming the guest ("pvkit-hv ctl SOCKET pause|resume"),
 * as QEMU's stop and cont do: pause kicks every vCPU thread out of
 * KVM_RUN and holds it between runs until resume, while the control and
 * I/O threads go on; the guest's kvm-clock is read at pause and set back
 * to that value at resume, so the guest sees no time pass and its wall
 * clock lags by the pause afterwards. Resume then posts PVKIT_EV_CLOCK,
 * on which pvkit.ko steps the wall clock to the host's. All of the state
 * is under vm->lock.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "hv.h"

/* How long pause waits for the vCPU threads to stop. */
#define PAUSE_STOP_TIMEOUT_S	10

void pause__init(struct vm *vm)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&vm->pause.cond, &attr);
	pthread_condattr_destroy(&attr);
}

bool pause__paused(struct vm *vm)
{
	bool paused;

	pthread_mutex_lock(&vm->lock);
	paused = vm->pause.paused;
	pthread_mutex_unlock(&vm->lock);
	return paused;
}

/* A vCPU thread between two runs: holds it while the VM is paused. */
void pause__park(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	pthread_mutex_lock(&vm->lock);
	if (vm->pause.paused && !vm->finished) {
		vm->pause.parked++;
		pthread_cond_broadcast(&vm->pause.cond);
		while (vm->pause.paused && !vm->finished)
			pthread_cond_wait(&vm->pause.cond, &vm->lock);
		vm->pause.parked--;
	}
	pthread_mutex_unlock(&vm->lock);
}

/* The VM has finished: parked vCPU threads must see it and end. */
void pause__release(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	pthread_cond_broadcast(&vm->pause.cond);
	pthread_mutex_unlock(&vm->lock);
}

/* Waits until every started vCPU thread is parked; lock held. */
static int wait_parked(struct vm *vm)
{
	struct timespec deadline;
	int err = 0;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += PAUSE_STOP_TIMEOUT_S;
	while (vm->pause.parked < vm->nr_running && !vm->finished && !err)
		err = pthread_cond_timedwait(&vm->pause.cond, &vm->lock,
					     &deadline);
	return vm->pause.parked < vm->nr_running ? -1 : 0;
}

int pause__ctl_pause(struct vm *vm, FILE *out)
{
	struct kvm_clock_data clock = { 0 };
	int stopped;

	pthread_mutex_lock(&vm->lock);
	if (vm->pause.paused) {
		pthread_mutex_unlock(&vm->lock);
		fputs("error: the guest is paused already\n", out);
		return -1;
	}
	vm->pause.paused = true;
	pthread_mutex_unlock(&vm->lock);

	vcpu__kick_all(vm);
	pthread_mutex_lock(&vm->lock);
	stopped = wait_parked(vm);
	pthread_mutex_unlock(&vm->lock);
	if (stopped || kvm__get_clock(vm, &clock)) {
		pthread_mutex_lock(&vm->lock);
		vm->pause.paused = false;
		pthread_cond_broadcast(&vm->pause.cond);
		pthread_mutex_unlock(&vm->lock);
		fprintf(out, "error: %s: the guest runs on\n",
			stopped ? "the vCPUs did not stop" :
				  "cannot read the guest's clock");
		return -1;
	}
	pthread_mutex_lock(&vm->lock);
	vm->pause.clock = clock.clock;
	clock_gettime(CLOCK_MONOTONIC, &vm->pause.since);
	vm->pause.count++;
	pthread_mutex_unlock(&vm->lock);
	hv_info("guest paused (control socket)");
	fprintf(out, "ok: paused %u vCPUs; the guest's clock stands at %.3f s\n",
		vm->nr_running, clock.clock / 1e9);
	return 0;
}

int pause__ctl_resume(struct vm *vm, FILE *out)
{
	struct kvm_clock_data clock = { 0 };
	struct timespec now;
	double paused_s;
	bool told;

	pthread_mutex_lock(&vm->lock);
	if (!vm->pause.paused) {
		pthread_mutex_unlock(&vm->lock);
		fputs("error: the guest is not paused\n", out);
		return -1;
	}
	clock.clock = vm->pause.clock;
	/* the clock goes on from where it stood: the guest saw no time pass */
	if (kvm__set_clock(vm, &clock)) {
		pthread_mutex_unlock(&vm->lock);
		fputs("error: cannot set the guest's clock back: it stays paused\n",
		      out);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	paused_s = hv_ns_between(&vm->pause.since, &now) / 1e9;
	vm->pause.paused = false;
	pthread_cond_broadcast(&vm->pause.cond);
	pthread_mutex_unlock(&vm->lock);

	told = events__post(vm, PVKIT_EV_CLOCK);
	hv_info("guest resumed after %.1f s (control socket)", paused_s);
	fprintf(out, "ok: resumed after %.1f s; %s\n", paused_s,
		told ? "asked the guest to correct its wall clock" :
		       "the guest does not take clock events: its wall clock lags by the pause");
	return 0;
}
