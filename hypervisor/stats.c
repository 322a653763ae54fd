// SPDX-License-Identifier: GPL-2.0
/*
 * --stats FILE: pvkit-hv's counters as one JSON object, written at exit
 * for benchmarks and tests to read: VM exits by reason, port-I/O exits by
 * device (and the busiest ports nothing claims), and hypercalls by name,
 * with the total and the number that returned an error. The control
 * socket's "stats" command prints the same object while the VM runs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hv.h"
#include "hypercall.h"
#include "virtio.h"

/*
 * Writes the counters as one JSON object. Taken under the lock, so a
 * running VM (the control socket's "stats") gives a consistent snapshot;
 * its exit code is null until it has ended.
 */
void stats__print(struct vm *vm, FILE *f)
{
	struct vm_stats s;
	const char *name;
	bool finished;
	unsigned int i;
	int code;

	pthread_mutex_lock(&vm->lock);
	s = vm->stats;
	finished = vm->finished;
	code = vm->exit_code;
	pthread_mutex_unlock(&vm->lock);

	if (finished)
		fprintf(f, "{\n  \"exit_code\": %d,\n", code);
	else
		fprintf(f, "{\n  \"exit_code\": null,\n");
	fprintf(f, "  \"vcpus\": %u,\n", vm->nr_vcpus);
	fprintf(f, "  \"setup_ms\": %.1f,\n", s.setup_us / 1000.0);
	fprintf(f, "  \"kernel_cached\": %s,\n",
		s.kernel_cached ? "true" : "false");
	if (s.kernel_kaslr)
		fprintf(f, "  \"kernel_offset\": %llu,\n",
			(unsigned long long)s.kernel_offset);
	else
		fprintf(f, "  \"kernel_offset\": null,\n");
	fprintf(f, "  \"exits\": {\"io\": %llu, \"mmio\": %llu, \"other\": %llu},\n",
		(unsigned long long)s.exits_io,
		(unsigned long long)s.exits_mmio,
		(unsigned long long)s.exits_other);
	fprintf(f, "  \"pio\": {");
	for (i = 0; (name = pio__class_name(i)); i++)
		fprintf(f, "%s\"%s\": %llu", i ? ", " : "", name,
			(unsigned long long)s.pio[i]);
	fprintf(f, "},\n  \"pio_other_ports\": {");
	for (i = 0; i < PIO_TOP_PORTS && s.pio_other_top[i].count; i++)
		fprintf(f, "%s\"%#x\": %llu", i ? ", " : "",
			s.pio_other_top[i].port,
			(unsigned long long)s.pio_other_top[i].count);
	fprintf(f, "},\n");
	console__json(vm, f);
	virtio__stats(vm, f);
	fprintf(f, "  \"hypercalls\": {\"total\": %llu, \"errors\": %llu, \"by_name\": {",
		(unsigned long long)s.hypercalls,
		(unsigned long long)s.hypercall_errors);
	for (i = 0; (name = hypercall__slot_name(i)); i++)
		fprintf(f, "%s\"%s\": %llu", i ? ", " : "", name,
			(unsigned long long)s.hypercalls_by_slot[i]);
	fprintf(f, "}},\n");
	balloon__json(vm, f);
	fprintf(f, "\n}\n");
}

int stats__write(struct vm *vm, const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f) {
		hv_err("cannot write stats to '%s': %s", path, strerror(errno));
		return -1;
	}
	stats__print(vm, f);
	if (fclose(f)) {
		hv_err("writing stats to '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
