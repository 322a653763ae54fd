// SPDX-License-Identifier: GPL-2.0
/*
 * Guest RAM access for pvkit-hv. A guest physical range becomes a host
 * pointer only if it lies wholly inside guest RAM with no wrap-around:
 * every address a guest hands us (hypercall buffers, boot structures)
 * goes through here, so no guest value can reach host memory outside its
 * own RAM.
 */
#include <string.h>

#include "hv.h"

void *guest_mem__ptr(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa >= vm->ram_size || len > vm->ram_size - gpa)
		return NULL;
	return vm->ram + gpa;
}

int guest_mem__read(struct vm *vm, uint64_t gpa, void *buf, uint64_t len)
{
	void *src = guest_mem__ptr(vm, gpa, len);

	if (!src)
		return -1;
	memcpy(buf, src, len);
	return 0;
}
