/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the queue fuzzers (virtqueue_fuzz.c, blk_fuzz.c, net_fuzz.c)
 * share: a queue in a small guest RAM made from the input (layout,
 * features, RAM contents), the driver's moves between the device's, and
 * the checks on every chain taken (inside guest RAM, lengths add up).
 */
#ifndef PVKIT_HV_FUZZ_VQ_H
#define PVKIT_HV_FUZZ_VQ_H

#include <stddef.h>
#include <stdint.h>

#include "../virtqueue.h"

#define FUZZ_RAM	(64 * 1024)

/* Aborts (a crash to libFuzzer) unless @cond holds. */
#define FUZZ_CHECK(cond) fuzz_check(cond, #cond, __FILE__, __LINE__)

/* What is left of an input, taken from the front. */
struct fuzz_in {
	const uint8_t *data;
	size_t size;
};

void fuzz_check(int ok, const char *what, const char *file, int line);

/* The next @n (at most 8) bytes, little-endian; zeroes past the end. */
uint64_t fuzz_take(struct fuzz_in *in, unsigned int n);

/*
 * Makes a guest from @in: a VM (once) whose RAM holds what is left of
 * @in after a layout, feature bits and @ops, the device's moves, are
 * taken from its front. Returns the VM, with *@vq set up on it, or NULL
 * if vq__init refused the layout (which must then say why).
 */
struct vm *fuzz_vq__setup(struct fuzz_in *in, struct virtqueue *vq,
			  struct fuzz_in *ops);

/*
 * One move of the driver: makes chains available, offers a head, writes
 * a descriptor or any 2 bytes of RAM.
 */
void fuzz_vq__driver(struct vm *vm, struct virtqueue *vq,
		     struct fuzz_in *ops);

/* Descriptor @i (modulo the queue size), as the driver writes it. */
void fuzz_vq__put_desc(struct virtqueue *vq, uint16_t i, uint64_t addr,
		       uint32_t len, uint16_t flags, uint16_t next);

/* The driver makes the chain at @head available. */
void fuzz_vq__offer(struct virtqueue *vq, uint16_t head);

/*
 * vq__pop with its result checked: a chain taken lies wholly inside
 * guest RAM and its lengths add up; a chain refused says why.
 */
int fuzz_vq__pop(struct vm *vm, struct virtqueue *vq, struct vq_chain *c);

#endif /* PVKIT_HV_FUZZ_VQ_H */
