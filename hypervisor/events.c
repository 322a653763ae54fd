// SPDX-License-Identifier: GPL-2.0
/*
 * Host-to-guest events (pvkit ABI 1.1): the events a guest said it
 * handles, the ones posted and not fetched yet, and the ISA line that
 * tells the guest to fetch them. The control socket posts; the
 * EVENT_ENABLE and EVENT_FETCH hypercalls enable and fetch.
 */
#include "hv.h"

/* One edge on the line, as an ISA device would give it. */
static void events_pulse(struct vm *vm)
{
	kvm__irq_line(vm, HV_EVENTS_IRQ, 1);
	kvm__irq_line(vm, HV_EVENTS_IRQ, 0);
}

/*
 * Posts @events and raises the line; false, with nothing posted, if the
 * guest has not enabled every one of them.
 */
bool events__post(struct vm *vm, uint32_t events)
{
	bool ok;

	pthread_mutex_lock(&vm->lock);
	ok = (vm->events.enabled & events) == events;
	if (ok)
		vm->events.pending |= events;
	pthread_mutex_unlock(&vm->lock);
	if (ok)
		events_pulse(vm);
	return ok;
}

/* The guest handles @mask from now on; pending ones it handles fire. */
void events__enable(struct vm *vm, uint32_t mask)
{
	bool fire;

	pthread_mutex_lock(&vm->lock);
	vm->events.enabled = mask;
	vm->events.pending &= mask;
	fire = vm->events.pending;
	pthread_mutex_unlock(&vm->lock);
	if (fire)
		events_pulse(vm);
}

uint32_t events__fetch(struct vm *vm)
{
	uint32_t pending;

	pthread_mutex_lock(&vm->lock);
	pending = vm->events.pending;
	vm->events.pending = 0;
	pthread_mutex_unlock(&vm->lock);
	return pending;
}

uint32_t events__enabled(struct vm *vm)
{
	uint32_t enabled;

	pthread_mutex_lock(&vm->lock);
	enabled = vm->events.enabled;
	pthread_mutex_unlock(&vm->lock);
	return enabled;
}
