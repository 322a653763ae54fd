/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An uncompressed x86-64 kernel, as a bzImage's decompressor would
 * produce it: the stripped vmlinux ELF file followed, when the kernel
 * was built with CONFIG_RANDOMIZE_BASE, by its relocation table
 * (vmlinux.relocs). vmlinux.c checks one and loads it at any 2 MiB
 * aligned physical address, applying the relocations for a virtual
 * offset, which is what the decompressor would have done.
 */
#ifndef PVKIT_HV_VMLINUX_H
#define PVKIT_HV_VMLINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The alignment of the kernel's physical and virtual placement */
#define VMLINUX_ALIGN		(2ULL << 20)	/* CONFIG_PHYSICAL_ALIGN */
/* How far its virtual placement may reach with CONFIG_RANDOMIZE_BASE */
#define VMLINUX_VIRT_RANGE	(1ULL << 30)	/* KERNEL_IMAGE_SIZE */

struct vmlinux {
	const uint8_t *data;
	size_t size;
	uint64_t link_phys;	/* lowest p_paddr: LOAD_PHYSICAL_ADDR */
	uint64_t kernel_map;	/* p_vaddr - p_paddr there: __START_KERNEL_map */
	uint64_t span;		/* from link_phys to the end of the last segment */
	uint64_t entry;		/* e_entry, as an offset from link_phys */
	/* the relocation table: 64-bit, inverse 32-bit, then 32-bit lists */
	size_t rel64, nr_rel64;		/* byte offset and count of each */
	size_t rel_inv32, nr_rel_inv32;
	size_t rel32, nr_rel32;
};

/*
 * Checks @size bytes at @data (which must outlive @k). Returns 0, or -1
 * with a reason in *@why. Every segment and every relocation is checked
 * here, so vmlinux__load() cannot fail on a parsed image.
 */
int vmlinux__parse(const uint8_t *data, size_t size, struct vmlinux *k,
		   const char **why);

/* Whether the kernel can move in its virtual space (has relocations). */
bool vmlinux__relocatable(const struct vmlinux *k);

/*
 * Copies the segments into @dst (k->span bytes, the kernel's physical
 * placement), zeroes what they leave uninitialised, and applies the
 * relocations for a virtual placement @virt_delta bytes above the link
 * address (a multiple of VMLINUX_ALIGN; 0 for none).
 */
void vmlinux__load(const struct vmlinux *k, uint8_t *dst, uint64_t virt_delta);

#endif
