// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of vmlinux.c, built with ASan and UBSan, on a small
 * kernel made here: an x86-64 ELF executable with a text segment at
 * 16 MiB (virtual 0xffffffff81000000) and a data segment with a bss,
 * followed by a relocation table naming one field of each kind. Loading
 * it copies the segments to their physical offsets and zeroes the bss;
 * a virtual offset moves 32-bit and 64-bit fields up and inverse ones
 * down, and leaves the rest alone. A damaged image (not ELF, a segment
 * or entry point outside it, a misaligned link address, a relocation
 * outside the kernel, bytes after the ELF file that are no relocation
 * table) is refused with a reason.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "../vmlinux.h"

#define LINK_PHYS	0x1000000ULL
#define KERNEL_MAP	0xffffffff80000000ULL
#define TEXT_SIZE	0x1000
#define DATA_SIZE	0x100
#define BSS_SIZE	0x200
#define DATA_PHYS	(LINK_PHYS + 0x2000)
#define SPAN		(DATA_PHYS + DATA_SIZE + BSS_SIZE - LINK_PHYS)
#define TEXT_OFF	0x1000		/* in the file */
#define DATA_OFF	(TEXT_OFF + TEXT_SIZE)
#define ELF_END		(DATA_OFF + DATA_SIZE)

/* fields in the text, as offsets from LINK_PHYS */
#define F32		0x10
#define FINV		0x20
#define F64		0x30
#define FNONE		0x40

struct image {
	uint8_t buf[ELF_END + 64];
	size_t size;
};

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* the link-time virtual address of text offset @off, as a table entry */
static uint32_t entry_of(uint64_t off)
{
	return (uint32_t)(KERNEL_MAP + LINK_PHYS + off);
}

static void make_image(struct image *im, bool relocs)
{
	Elf64_Ehdr eh = {
		.e_type = ET_EXEC, .e_machine = EM_X86_64,
		.e_version = EV_CURRENT, .e_entry = LINK_PHYS + 0x100,
		.e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 3,
	};
	Elf64_Phdr ph[3] = {
		{ .p_type = PT_LOAD, .p_offset = TEXT_OFF,
		  .p_vaddr = KERNEL_MAP + LINK_PHYS, .p_paddr = LINK_PHYS,
		  .p_filesz = TEXT_SIZE, .p_memsz = TEXT_SIZE },
		{ .p_type = PT_NOTE, .p_offset = TEXT_OFF, .p_filesz = 16 },
		{ .p_type = PT_LOAD, .p_offset = DATA_OFF,
		  .p_vaddr = KERNEL_MAP + DATA_PHYS, .p_paddr = DATA_PHYS,
		  .p_filesz = DATA_SIZE, .p_memsz = DATA_SIZE + BSS_SIZE },
	};
	uint8_t *r;
	size_t i;

	memset(im, 0, sizeof(*im));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(im->buf, &eh, sizeof(eh));
	memcpy(im->buf + eh.e_phoff, ph, sizeof(ph));
	for (i = 0; i < TEXT_SIZE; i++)
		im->buf[TEXT_OFF + i] = 0x90;
	for (i = 0; i < DATA_SIZE; i++)
		im->buf[DATA_OFF + i] = 0xda;
	put32(im->buf + TEXT_OFF + F32, 0x81000200);
	put32(im->buf + TEXT_OFF + FINV, 0x00400000);
	memcpy(im->buf + TEXT_OFF + F64, &(uint64_t){ 0xffffffff81000300ULL }, 8);
	put32(im->buf + TEXT_OFF + FNONE, 0x12345678);
	im->size = ELF_END;
	if (!relocs)
		return;
	/* 0, 64-bit, 0, inverse 32-bit, 0, 32-bit */
	r = im->buf + ELF_END;
	put32(r, 0);
	put32(r + 4, entry_of(F64));
	put32(r + 8, 0);
	put32(r + 12, entry_of(FINV));
	put32(r + 16, 0);
	put32(r + 20, entry_of(F32));
	im->size = ELF_END + 24;
}

FIXTURE(vmlinux) {
	struct image im;
	struct vmlinux k;
	uint8_t *dst;
	const char *why;
};

FIXTURE_SETUP(vmlinux)
{
	make_image(&self->im, true);
	self->dst = malloc(SPAN);
	ASSERT_NE(NULL, self->dst);
	memset(self->dst, 0xee, SPAN);
	self->why = NULL;
}

FIXTURE_TEARDOWN(vmlinux)
{
	free(self->dst);
}

TEST_F(vmlinux, parses_layout)
{
	ASSERT_EQ(0, vmlinux__parse(self->im.buf, self->im.size, &self->k,
				    &self->why));
	EXPECT_EQ(LINK_PHYS, self->k.link_phys);
	EXPECT_EQ(KERNEL_MAP, self->k.kernel_map);
	EXPECT_EQ(SPAN, self->k.span);
	EXPECT_EQ(0x100U, self->k.entry);
	EXPECT_EQ(1U, self->k.nr_rel32);
	EXPECT_EQ(1U, self->k.nr_rel_inv32);
	EXPECT_EQ(1U, self->k.nr_rel64);
	EXPECT_TRUE(vmlinux__relocatable(&self->k));
}

TEST_F(vmlinux, loads_segments_and_zeroes_bss)
{
	ASSERT_EQ(0, vmlinux__parse(self->im.buf, self->im.size, &self->k,
				    &self->why));
	vmlinux__load(&self->k, self->dst, 0);
	EXPECT_EQ(0x90, self->dst[0]);
	EXPECT_EQ(0x90, self->dst[TEXT_SIZE - 1]);
	EXPECT_EQ(0xda, self->dst[DATA_PHYS - LINK_PHYS]);
	EXPECT_EQ(0xda, self->dst[DATA_PHYS - LINK_PHYS + DATA_SIZE - 1]);
	EXPECT_EQ(0, self->dst[DATA_PHYS - LINK_PHYS + DATA_SIZE]);
	EXPECT_EQ(0, self->dst[SPAN - 1]);
	/* no offset: the fields are as linked */
	EXPECT_EQ(0x81000200U, get32(self->dst + F32));
	EXPECT_EQ(0x00400000U, get32(self->dst + FINV));
	EXPECT_EQ(0xffffffff81000300ULL, get64(self->dst + F64));
}

TEST_F(vmlinux, relocates_each_kind)
{
	const uint64_t delta = 7 * VMLINUX_ALIGN;

	ASSERT_EQ(0, vmlinux__parse(self->im.buf, self->im.size, &self->k,
				    &self->why));
	vmlinux__load(&self->k, self->dst, delta);
	EXPECT_EQ((uint32_t)(0x81000200 + delta), get32(self->dst + F32));
	EXPECT_EQ((uint32_t)(0x00400000 - delta), get32(self->dst + FINV));
	EXPECT_EQ(0xffffffff81000300ULL + delta, get64(self->dst + F64));
	EXPECT_EQ(0x12345678U, get32(self->dst + FNONE));
}

TEST_F(vmlinux, without_relocations_is_not_relocatable)
{
	make_image(&self->im, false);
	ASSERT_EQ(0, vmlinux__parse(self->im.buf, self->im.size, &self->k,
				    &self->why));
	EXPECT_FALSE(vmlinux__relocatable(&self->k));
}

TEST_F(vmlinux, refuses_non_elf)
{
	self->im.buf[1] = 'X';
	EXPECT_EQ(-1, vmlinux__parse(self->im.buf, self->im.size, &self->k,
				     &self->why));
	EXPECT_NE(NULL, self->why);
	EXPECT_EQ(-1, vmlinux__parse(self->im.buf, 10, &self->k, &self->why));
}

TEST_F(vmlinux, refuses_segment_past_the_file)
{
	Elf64_Phdr ph;
	size_t at = sizeof(Elf64_Ehdr) + 2 * sizeof(ph);

	memcpy(&ph, self->im.buf + at, sizeof(ph));
	ph.p_filesz = 0x10000;
	ph.p_memsz = 0x10000;
	memcpy(self->im.buf + at, &ph, sizeof(ph));
	EXPECT_EQ(-1, vmlinux__parse(self->im.buf, self->im.size, &self->k,
				     &self->why));
	/* an offset that wraps around */
	ph.p_offset = UINT64_MAX - 8;
	ph.p_filesz = 16;
	memcpy(self->im.buf + at, &ph, sizeof(ph));
	EXPECT_EQ(-1, vmlinux__parse(self->im.buf, self->im.size, &self->k,
				     &self->why));
}

TEST_F(vmlinux, refuses_misaligned_link_address_and_far_entry)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;

	memcpy(&ph, self->im.buf + sizeof(Elf64_Ehdr), sizeof(ph));
	ph.p_paddr += 0x1000;
	memcpy(self->im.buf + sizeof(Elf64_Ehdr), &ph, sizeof(ph));
	EXPECT_EQ(-1, vmlinux__parse(self->im.buf, self->im.size, &self->k,
				     &self->why));
	make_image(&self->im, true);
	memcpy(&eh, self->im.buf, sizeof(eh));
	eh.e_entry = LINK_PHYS + SPAN;
	memcpy(self->im.buf, &eh, sizeof(eh));
	EXPECT_EQ(-1, vmlinux__parse(self->im.buf, self->im.size, &self->k,
				     &self->why));
}

TEST_F(vmlinux, refuses_relocation_outside_the_kernel)
{
	/* the 32-bit entry, last in the table, names the end of the span */
	put32(self->im.buf + self->im.size - 4, entry_of(SPAN - 2));
	EXPECT_EQ(-1, vmlinux__parse(self->im.buf, self->im.size, &self->k,
				     &self->why));
	/* and one below the kernel */
	put32(self->im.buf + self->im.size - 4, entry_of(0) - 4);
	EXPECT_EQ(-1, vmlinux__parse(self->im.buf, self->im.size, &self->k,
				     &self->why));
}

TEST_F(vmlinux, refuses_trailing_bytes_that_are_no_table)
{
	/* one terminator too few */
	put32(self->im.buf + ELF_END + 8, entry_of(F64));
	EXPECT_EQ(-1, vmlinux__parse(self->im.buf, self->im.size, &self->k,
				     &self->why));
	/* a table that does not begin where the ELF file ends */
	make_image(&self->im, true);
	EXPECT_EQ(-1, vmlinux__parse(self->im.buf, self->im.size - 2,
				     &self->k, &self->why));
	EXPECT_EQ(-1, vmlinux__parse(self->im.buf, ELF_END + 4, &self->k,
				     &self->why));
}

TEST_HARNESS_MAIN
