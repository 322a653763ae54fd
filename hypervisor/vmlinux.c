// SPDX-License-Identifier: GPL-2.0
/*
 * Loading an uncompressed x86-64 kernel (vmlinux.h) the way a bzImage's
 * decompressor does once it has unpacked it: each loadable segment at
 * its physical offset from the kernel's link address, then the
 * relocation table applied for the virtual offset KASLR chose.
 *
 * The relocation table follows the ELF file. Read from its end, it holds
 * the 32-bit relocations, a zero, the inverse 32-bit relocations, a
 * zero, the 64-bit relocations and a zero, each entry the link-time
 * virtual address (a sign-extended 32-bit value) of a field that holds
 * an address of the kernel: 32-bit and 64-bit fields move up with the
 * kernel, inverse ones (the kernel's own address subtracted) move down.
 */
#include <elf.h>
#include <string.h>

#include "vmlinux.h"

#define MAX_SEGMENTS	64

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* @off + @len within @size, without wrapping */
static bool within(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/*
 * One zero-terminated relocation list, read backwards from @*pos down
 * to no lower than @lo: its entries start at *@start, *@n of them, and
 * @*pos moves below its terminator.
 */
static int rel_list(const uint8_t *d, size_t lo, size_t *pos, size_t *start,
		    size_t *n)
{
	size_t p = *pos;

	while (p >= lo + 4 && get32(d + p - 4))
		p -= 4;
	if (p < lo + 4)
		return -1;
	*start = p;
	*n = (*pos - p) / 4;
	*pos = p - 4;
	return 0;
}

/* Offset in the loaded image of the field a relocation entry names */
static uint64_t rel_field(const struct vmlinux *k, uint32_t entry)
{
	uint64_t vaddr = (uint64_t)(int64_t)(int32_t)entry;

	return vaddr - k->kernel_map - k->link_phys;
}

static bool rels_within(const struct vmlinux *k, size_t start, size_t n,
			unsigned int width)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!within(rel_field(k, get32(k->data + start + 4 * i)), width,
			    k->span))
			return false;
	return true;
}

static int parse_relocs(struct vmlinux *k, size_t elf_end, const char **why)
{
	size_t pos = k->size;

	if (elf_end == k->size)
		return 0;		/* built without CONFIG_RANDOMIZE_BASE */
	if (rel_list(k->data, elf_end, &pos, &k->rel32, &k->nr_rel32) ||
	    rel_list(k->data, elf_end, &pos, &k->rel_inv32, &k->nr_rel_inv32) ||
	    rel_list(k->data, elf_end, &pos, &k->rel64, &k->nr_rel64) ||
	    pos != elf_end) {
		*why = "what follows the ELF file is no relocation table";
		return -1;
	}
	if (!rels_within(k, k->rel32, k->nr_rel32, 4) ||
	    !rels_within(k, k->rel_inv32, k->nr_rel_inv32, 4) ||
	    !rels_within(k, k->rel64, k->nr_rel64, 8)) {
		*why = "a relocation outside the kernel";
		return -1;
	}
	return 0;
}

/* The end of the ELF file: its tables, segments and sections. */
static int elf_file_end(const uint8_t *data, size_t size,
			const Elf64_Ehdr *eh, size_t *end, const char **why)
{
	uint64_t e = eh->e_phoff + (uint64_t)eh->e_phnum * eh->e_phentsize;
	unsigned int i;
	Elf64_Shdr sh;

	if (eh->e_shnum) {
		if (eh->e_shentsize != sizeof(sh) ||
		    !within(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(sh),
			    size)) {
			*why = "bad section header table";
			return -1;
		}
		if (eh->e_shoff + eh->e_shnum * sizeof(sh) > e)
			e = eh->e_shoff + eh->e_shnum * sizeof(sh);
	}
	for (i = 0; i < eh->e_shnum; i++) {
		memcpy(&sh, data + eh->e_shoff + i * sizeof(sh), sizeof(sh));
		if (sh.sh_type == SHT_NOBITS || sh.sh_type == SHT_NULL)
			continue;
		if (!within(sh.sh_offset, sh.sh_size, size)) {
			*why = "a section outside the file";
			return -1;
		}
		if (sh.sh_offset + sh.sh_size > e)
			e = sh.sh_offset + sh.sh_size;
	}
	*end = e;
	return 0;
}

static int parse_segments(struct vmlinux *k, const Elf64_Ehdr *eh,
			  size_t *end, const char **why)
{
	uint64_t lo = UINT64_MAX, hi = 0, lo_vaddr = 0;
	unsigned int i, loads = 0;
	Elf64_Phdr ph;

	for (i = 0; i < eh->e_phnum; i++) {
		memcpy(&ph, k->data + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		if (!within(ph.p_offset, ph.p_filesz, k->size) ||
		    ph.p_filesz > ph.p_memsz ||
		    !within(ph.p_paddr, ph.p_memsz, VMLINUX_VIRT_RANGE)) {
			*why = "a loadable segment outside the file or the kernel's range";
			return -1;
		}
		if (ph.p_offset + ph.p_filesz > *end)
			*end = ph.p_offset + ph.p_filesz;
		if (ph.p_paddr < lo) {
			lo = ph.p_paddr;
			lo_vaddr = ph.p_vaddr;
		}
		if (ph.p_paddr + ph.p_memsz > hi)
			hi = ph.p_paddr + ph.p_memsz;
		loads++;
	}
	if (!loads || lo % VMLINUX_ALIGN || hi == lo) {
		*why = "no loadable segment at a 2 MiB aligned physical address";
		return -1;
	}
	k->link_phys = lo;
	k->span = hi - lo;
	k->kernel_map = lo_vaddr - lo;
	if (eh->e_entry < lo || eh->e_entry >= hi) {
		*why = "the entry point is outside the kernel";
		return -1;
	}
	k->entry = eh->e_entry - lo;
	return 0;
}

int vmlinux__parse(const uint8_t *data, size_t size, struct vmlinux *k,
		   const char **why)
{
	size_t end;
	Elf64_Ehdr eh;

	memset(k, 0, sizeof(*k));
	k->data = data;
	k->size = size;
	if (size < sizeof(eh)) {
		*why = "too small for an ELF file";
		return -1;
	}
	memcpy(&eh, data, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64 || eh.e_type != ET_EXEC) {
		*why = "not an x86-64 ELF executable";
		return -1;
	}
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || !eh.e_phnum ||
	    eh.e_phnum > MAX_SEGMENTS ||
	    !within(eh.e_phoff, eh.e_phnum * sizeof(Elf64_Phdr), size)) {
		*why = "bad program header table";
		return -1;
	}
	if (elf_file_end(data, size, &eh, &end, why) ||
	    parse_segments(k, &eh, &end, why))
		return -1;
	return parse_relocs(k, end, why);
}

bool vmlinux__relocatable(const struct vmlinux *k)
{
	return k->nr_rel32 || k->nr_rel_inv32 || k->nr_rel64;
}

void vmlinux__load(const struct vmlinux *k, uint8_t *dst, uint64_t virt_delta)
{
	uint64_t v64;
	uint32_t v32;
	uint8_t *field;
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	size_t i;

	memcpy(&eh, k->data, sizeof(eh));
	for (i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, k->data + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		memcpy(dst + ph.p_paddr - k->link_phys, k->data + ph.p_offset,
		       ph.p_filesz);
		memset(dst + ph.p_paddr - k->link_phys + ph.p_filesz, 0,
		       ph.p_memsz - ph.p_filesz);
	}
	if (!virt_delta)
		return;
	for (i = 0; i < k->nr_rel32; i++) {
		field = dst + rel_field(k, get32(k->data + k->rel32 + 4 * i));
		memcpy(&v32, field, 4);
		v32 += (uint32_t)virt_delta;
		memcpy(field, &v32, 4);
	}
	for (i = 0; i < k->nr_rel_inv32; i++) {
		field = dst + rel_field(k, get32(k->data + k->rel_inv32 + 4 * i));
		memcpy(&v32, field, 4);
		v32 -= (uint32_t)virt_delta;
		memcpy(field, &v32, 4);
	}
	for (i = 0; i < k->nr_rel64; i++) {
		field = dst + rel_field(k, get32(k->data + k->rel64 + 4 * i));
		memcpy(&v64, field, 8);
		v64 += virt_delta;
		memcpy(field, &v64, 8);
	}
}
