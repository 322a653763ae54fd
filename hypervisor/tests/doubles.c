// SPDX-License-Identifier: GPL-2.0
/*
 * Test doubles for pvkit-hv's unit tests and fuzzers (see doubles.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "doubles.h"
#include "../pci.h"

struct double_record double_record;

struct vm *double_vm_create(uint64_t ram_size)
{
	static struct vm_config cfg;
	struct vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	vm->cfg = &cfg;
	/* page-aligned anonymous memory, as pvkit-hv's guest RAM is */
	vm->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm->ram == MAP_FAILED) {
		free(vm);
		return NULL;
	}
	vm->ram_size = ram_size;
	vm->nr_vcpus = 1;
	vm->vcpus[0].vm = vm;
	vcpu_stats__use(&vm->vcpus[0], -1);	/* idling: not known */
	pthread_mutex_init(&vm->lock, NULL);
	pause__init(vm);
	if (pci__init(vm)) {
		double_vm_destroy(vm);
		return NULL;
	}
	return vm;
}

void double_vm_destroy(struct vm *vm)
{
	balloon__free(vm);
	pci__free(vm);
	munmap(vm->ram, vm->ram_size);
	free(vm);
}

void double_reset(struct vm *vm)
{
	memset(&double_record, 0, sizeof(double_record));
	memset(&vm->stats, 0, sizeof(vm->stats));
	memset(&vm->events, 0, sizeof(vm->events));
	balloon__free(vm);
	vm->finished = false;
}

int vcpu__read_tsc(struct vcpu *vcpu, uint64_t *tsc, uint32_t *khz)
{
	if (!double_record.tsc_khz)
		return -1;
	*tsc = double_record.tsc;
	*khz = double_record.tsc_khz;
	return 0;
}

int kvm__irq_line(struct vm *vm, unsigned int irq, int level)
{
	if (level && !double_record.irq_level)
		double_record.irq_edges++;
	double_record.irq_last = irq;
	double_record.irq_level = level;
	return 0;
}

void console__write(struct vm *vm, enum console_source src, const void *buf,
		    size_t len)
{
	size_t room = sizeof(double_record.console) - double_record.console_len;

	if (len > room)
		len = room;
	memcpy(double_record.console + double_record.console_len, buf, len);
	double_record.console_len += len;
}

/* The console's --stats member, from what the double recorded. */
void console__json(struct vm *vm, FILE *out)
{
	fprintf(out, "  \"console\": {\"recorded_bytes\": %zu},\n",
		double_record.console_len);
}

void vcpu__kick_all(struct vm *vm)
{
	double_record.kicks++;
}

int kvm__get_clock(struct vm *vm, struct kvm_clock_data *clock)
{
	if (double_record.kvm_clock_fails)
		return -1;
	clock->clock = double_record.kvm_clock;
	return 0;
}

int kvm__set_clock(struct vm *vm, const struct kvm_clock_data *clock)
{
	if (double_record.kvm_clock_fails)
		return -1;
	double_record.kvm_clock_sets++;
	double_record.kvm_clock_set = clock->clock;
	return 0;
}

void vm__finish(struct vm *vm, enum hv_exit code)
{
	double_record.finish_calls++;
	double_record.finish_code = code;
	vm->finished = true;
}

void hv_err(const char *fmt, ...)
{
	va_list ap;

	double_record.err_lines++;
	va_start(ap, fmt);
	vsnprintf(double_record.err_last, sizeof(double_record.err_last), fmt,
		  ap);
	va_end(ap);
}

void hv_info(const char *fmt, ...)
{
}
