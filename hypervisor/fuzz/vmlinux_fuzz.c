// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for vmlinux.c, the loader of an unpacked kernel from
 * the kernel cache. Random bytes are rarely an ELF file, so the input
 * changes a valid small kernel instead: its first bytes are XORed into
 * the ELF header and program headers, and the rest becomes the
 * relocation table after the ELF file, each non-zero 32-bit word w
 * naming the kernel's byte w - 1 (a zero stays a list's terminator).
 * Whatever vmlinux__parse() accepts is loaded, with a virtual offset,
 * into a buffer of exactly the span it reported, so ASan catches a
 * segment or relocation that the checks let reach past it.
 */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../vmlinux.h"

#define LINK_PHYS	0x1000000ULL
#define KERNEL_MAP	0xffffffff80000000ULL
#define SEG_SIZE	0x1000
#define HDR_BYTES	(sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr))
#define ELF_BYTES	(SEG_SIZE + 2 * SEG_SIZE)
/* larger kernels parse, but are not loaded here */
#define FUZZ_MAX_SPAN	(16U << 20)

static void make_elf(uint8_t *img)
{
	Elf64_Ehdr eh = {
		.e_type = ET_EXEC, .e_machine = EM_X86_64,
		.e_version = EV_CURRENT, .e_entry = LINK_PHYS,
		.e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 2,
	};
	Elf64_Phdr ph[2] = {
		{ .p_type = PT_LOAD, .p_offset = SEG_SIZE,
		  .p_vaddr = KERNEL_MAP + LINK_PHYS, .p_paddr = LINK_PHYS,
		  .p_filesz = SEG_SIZE, .p_memsz = SEG_SIZE },
		{ .p_type = PT_LOAD, .p_offset = 2 * SEG_SIZE,
		  .p_vaddr = KERNEL_MAP + LINK_PHYS + 2 * SEG_SIZE,
		  .p_paddr = LINK_PHYS + 2 * SEG_SIZE,
		  .p_filesz = SEG_SIZE, .p_memsz = 3 * SEG_SIZE },
	};

	memset(img, 0xcc, ELF_BYTES);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + sizeof(eh), ph, sizeof(ph));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t hdr = size < HDR_BYTES ? size : HDR_BYTES, i, words;
	uint32_t w, base = (uint32_t)(KERNEL_MAP + LINK_PHYS);
	struct vmlinux k;
	uint8_t *img, *dst;
	const char *why;

	words = (size - hdr) / 4;
	img = malloc(ELF_BYTES + 4 * words);
	if (!img)
		return 0;
	make_elf(img);
	for (i = 0; i < hdr; i++)
		img[i] ^= data[i];
	for (i = 0; i < words; i++) {
		memcpy(&w, data + hdr + 4 * i, 4);
		if (w)
			w = base + w - 1;
		memcpy(img + ELF_BYTES + 4 * i, &w, 4);
	}
	if (!vmlinux__parse(img, ELF_BYTES + 4 * words, &k, &why) &&
	    k.span <= FUZZ_MAX_SPAN) {
		dst = malloc(k.span);
		if (dst) {
			vmlinux__load(&k, dst, VMLINUX_ALIGN);
			free(dst);
		}
	}
	free(img);
	return 0;
}
