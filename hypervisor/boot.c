// SPDX-License-Identifier: GPL-2.0
/*
 * Loading a Linux bzImage through the x86 64-bit boot protocol
 * (Documentation/arch/x86/boot.rst in the kernel), with no firmware:
 * check the setup header, copy the protected-mode kernel to 1 MiB, read
 * the initrd straight into the top of RAM, fill boot_params (command
 * line, initrd, e820 map), write the MP table, and start the boot CPU in
 * 64-bit mode on identity-mapped page tables at the kernel's 64-bit
 * entry point.
 *
 * When the unpacked-kernel cache (kernel_cache.c) has this bzImage, the
 * kernel is loaded unpacked instead and started at its own 64-bit entry,
 * as the bzImage's decompressor would start it: at a random 2 MiB
 * aligned physical address below the initrd and, if it has relocations,
 * a random virtual offset (KASLR, which "nokaslr" turns off).
 *
 * Guest physical layout:
 *   0x00500  GDT                 0x07000  boot_params (zero page)
 *   0x09000  page tables (PML4, PDPT, 4 PDs: 4 GiB in 2 MiB pages)
 *   0x20000  command line        0x9fc00  MP table (reserved in e820)
 *   0x100000 kernel (or, unpacked, from 16 MiB)   top of RAM: initrd
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <asm/bootparam.h>

#include "hv.h"
#include "kernel_cache.h"
#include "vmlinux.h"

#define BOOT_GDT_ADDR		0x500
#define BOOT_PARAMS_ADDR	0x7000
#define BOOT_PML4_ADDR		0x9000
#define BOOT_PDPT_ADDR		0xa000
#define BOOT_PD_ADDR		0xb000
#define BOOT_CMDLINE_ADDR	0x20000
#define BOOT_CMDLINE_ROOM	0x10000
#define EBDA_ADDR		0x9fc00
#define BIOS_END		0x100000
#define KERNEL_ADDR		0x100000
#define KERNEL_MIN_RUN_ADDR	0x1000000	/* LOAD_PHYSICAL_ADDR */
#define BDA_EBDA_SEGMENT	0x40e

#define SETUP_HDR_OFFSET	0x1f1
#define SETUP_MAGIC		0x53726448	/* "HdrS" */
#define BOOT_FLAG		0xaa55
#define MIN_BOOT_PROTOCOL	0x20c		/* has xloadflags */
#define LOADER_UNDEFINED	0xff

#define E820_RAM		1
#define E820_RESERVED		2

#define BOOT_CS			0x10
#define BOOT_DS			0x18
#define BOOT_TSS		0x20

struct file_buf {
	uint8_t *data;
	size_t size;
};

/* Reads all of @fd's @size bytes into @dst; NULL or a reason. */
static const char *read_all(int fd, uint8_t *dst, size_t size)
{
	size_t done = 0;
	ssize_t n;

	while (done < size) {
		n = read(fd, dst + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return strerror(errno);
		if (!n)
			return "file shrank";
		done += n;
	}
	return NULL;
}

static int read_file(const char *what, const char *path, struct file_buf *f)
{
	const char *why;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		hv_err("cannot read %s '%s': %s", what, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	f->size = st.st_size;
	f->data = malloc(f->size ? f->size : 1);
	if (!f->data) {
		close(fd);
		hv_err("no memory for %s '%s'", what, path);
		return -1;
	}
	why = read_all(fd, f->data, f->size);
	if (why) {
		hv_err("reading %s '%s': %s", what, path, why);
		close(fd);
		free(f->data);
		return -1;
	}
	close(fd);
	return 0;
}

/* Validates the bzImage header; fills @hdr from the file. */
static int check_kernel(const struct file_buf *k, struct setup_header *hdr,
			size_t *setup_size)
{
	size_t hdr_len;
	unsigned int sects;

	if (k->size < SETUP_HDR_OFFSET + sizeof(*hdr)) {
		hv_err("kernel: too small to be a bzImage (%zu bytes)", k->size);
		return -1;
	}
	hdr_len = 0x202 + k->data[0x201] - SETUP_HDR_OFFSET;
	if (hdr_len > sizeof(*hdr))
		hdr_len = sizeof(*hdr);
	memset(hdr, 0, sizeof(*hdr));
	memcpy(hdr, k->data + SETUP_HDR_OFFSET, hdr_len);

	if (hdr->boot_flag != BOOT_FLAG || hdr->header != SETUP_MAGIC) {
		hv_err("kernel: not a bzImage (no boot flag or HdrS magic)");
		return -1;
	}
	if (hdr->version < MIN_BOOT_PROTOCOL) {
		hv_err("kernel: boot protocol %u.%02u is too old (need 2.12)",
		       hdr->version >> 8, hdr->version & 0xff);
		return -1;
	}
	if (!(hdr->xloadflags & XLF_KERNEL_64) || !hdr->relocatable_kernel) {
		hv_err("kernel: not a relocatable 64-bit kernel");
		return -1;
	}
	sects = hdr->setup_sects ? hdr->setup_sects : 4;
	*setup_size = (sects + 1) * 512;
	if (*setup_size >= k->size) {
		hv_err("kernel: setup claims %zu bytes of a %zu-byte file",
		       *setup_size, k->size);
		return -1;
	}
	return 0;
}

static void add_e820(struct boot_params *bp, uint64_t addr, uint64_t size,
		     uint32_t type)
{
	struct boot_e820_entry *e = &bp->e820_table[bp->e820_entries++];

	e->addr = addr;
	e->size = size;
	e->type = type;
}

static void write_page_tables(struct vm *vm)
{
	uint64_t *pml4 = guest_mem__ptr(vm, BOOT_PML4_ADDR, 4096);
	uint64_t *pdpt = guest_mem__ptr(vm, BOOT_PDPT_ADDR, 4096);
	uint64_t *pd = guest_mem__ptr(vm, BOOT_PD_ADDR, 4 * 4096);
	unsigned int i;

	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = BOOT_PDPT_ADDR | 0x3;			/* present, writable */
	for (i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PD_ADDR + i * 4096) | 0x3;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;	/* 2 MiB pages */
}

static void write_gdt(struct vm *vm)
{
	uint64_t *gdt = guest_mem__ptr(vm, BOOT_GDT_ADDR, 5 * 8);

	gdt[0] = 0;
	gdt[1] = 0;
	gdt[BOOT_CS / 8] = 0x00af9b000000ffffULL;	/* 64-bit code */
	gdt[BOOT_DS / 8] = 0x00cf93000000ffffULL;	/* flat data */
	gdt[BOOT_TSS / 8] = 0x00008b0000000067ULL;	/* busy TSS */
}

static struct kvm_segment flat_segment(uint16_t sel, uint8_t type, bool code)
{
	return (struct kvm_segment) {
		.base = 0, .limit = 0xffffffff, .selector = sel,
		.type = type, .present = 1, .dpl = 0, .s = 1,
		.l = code, .db = !code, .g = 1,
	};
}

static int start_boot_cpu(struct vm *vm, uint64_t entry)
{
	struct vcpu *bsp = &vm->vcpus[0];
	struct kvm_sregs sregs;
	struct kvm_regs regs = {
		.rip = entry, .rsi = BOOT_PARAMS_ADDR, .rflags = 0x2,
	};
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };

	if (ioctl(bsp->fd, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	sregs.cs = flat_segment(BOOT_CS, 0xb, true);
	sregs.ds = flat_segment(BOOT_DS, 0x3, false);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.tr = (struct kvm_segment) {
		.selector = BOOT_TSS, .limit = 0x67, .type = 0xb, .present = 1,
	};
	sregs.gdt.base = BOOT_GDT_ADDR;
	sregs.gdt.limit = 5 * 8 - 1;
	sregs.cr0 = 0x80000031;		/* PG, NE, ET, PE */
	sregs.cr3 = BOOT_PML4_ADDR;
	sregs.cr4 = 0x20;		/* PAE */
	sregs.efer = 0x500;		/* LMA, LME */

	if (ioctl(bsp->fd, KVM_SET_SREGS, &sregs) < 0 ||
	    ioctl(bsp->fd, KVM_SET_REGS, &regs) < 0 ||
	    ioctl(bsp->fd, KVM_SET_FPU, &fpu) < 0)
		return -1;
	return 0;
}

/* Reads the initrd straight into guest RAM, at the top below 4 GiB. */
static int place_initrd(struct vm *vm, struct boot_params *bp,
			const struct setup_header *hdr, uint64_t kernel_end)
{
	const char *path = vm->cfg->initrd, *why;
	uint64_t top = vm->ram_size, addr, size;
	struct stat st;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		hv_err("cannot read initrd '%s': %s", path, strerror(errno));
		goto out;
	}
	size = st.st_size;
	if (hdr->initrd_addr_max && top > (uint64_t)hdr->initrd_addr_max + 1)
		top = (uint64_t)hdr->initrd_addr_max + 1;
	addr = (top - size) & ~0xfffULL;
	if (size > top || addr < kernel_end) {
		hv_err("initrd of %llu MiB does not fit above the kernel in %llu MiB of RAM; give more --mem",
		       (unsigned long long)(size >> 20),
		       (unsigned long long)(vm->ram_size >> 20));
		goto out;
	}
	why = read_all(fd, guest_mem__ptr(vm, addr, size), size);
	if (why) {
		hv_err("reading initrd '%s': %s", path, why);
		goto out;
	}
	bp->hdr.ramdisk_image = addr;
	bp->hdr.ramdisk_size = size;
	bp->ext_ramdisk_image = addr >> 32;
	bp->ext_ramdisk_size = size >> 32;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

int boot__read_kernel(struct vm *vm)
{
	struct file_buf kernel;
	struct setup_header hdr;
	size_t setup_size;

	if (read_file("kernel", vm->cfg->kernel, &kernel))
		return -1;
	if (check_kernel(&kernel, &hdr, &setup_size)) {
		free(kernel.data);
		return -1;
	}
	vm->kernel_image = kernel.data;
	vm->kernel_size = kernel.size;
	return 0;
}

/* Whether @word is one of the command line's words */
static bool cmdline_has(const char *cmdline, const char *word)
{
	size_t len = strlen(word);
	const char *p;

	for (p = strstr(cmdline, word); p; p = strstr(p + len, word))
		if ((p == cmdline || isspace((unsigned char)p[-1])) &&
		    (!p[len] || isspace((unsigned char)p[len])))
			return true;
	return false;
}

/* A random number below @n (at least 1), for KASLR */
static uint64_t random_below(uint64_t n)
{
	struct timespec ts;
	uint64_t r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) {
		/* no entropy yet: the time will do, as the kernel's rdtsc does */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		r = ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ getpid();
	}
	return r % n;
}

/*
 * Loads the unpacked kernel @k and places the initrd above it; *@entry
 * is where the boot CPU starts.
 */
static int load_unpacked(struct vm *vm, struct boot_params *bp,
			 const struct setup_header *hdr,
			 const struct vmlinux *k, uint64_t *entry)
{
	uint64_t need, ceiling, phys = k->link_phys, delta = 0;
	uint8_t *dst;

	need = (k->span + VMLINUX_ALIGN - 1) & ~(VMLINUX_ALIGN - 1);
	if (vm->cfg->initrd && place_initrd(vm, bp, hdr, phys + need))
		return -1;
	ceiling = vm->cfg->initrd ? bp->hdr.ramdisk_image : vm->ram_size;
	ceiling &= ~(VMLINUX_ALIGN - 1);
	if (ceiling < phys + need) {
		hv_err("kernel needs %llu MiB of RAM; give more --mem",
		       (unsigned long long)((phys + need) >> 20));
		return -1;
	}
	if (vmlinux__relocatable(k) && need <= VMLINUX_VIRT_RANGE - phys &&
	    !cmdline_has(vm->cfg->cmdline, "nokaslr")) {
		phys += random_below((ceiling - phys - need) / VMLINUX_ALIGN + 1) *
			VMLINUX_ALIGN;
		delta = random_below((VMLINUX_VIRT_RANGE - k->link_phys - need) /
				     VMLINUX_ALIGN + 1) * VMLINUX_ALIGN;
		bp->hdr.loadflags |= KASLR_FLAG;
		vm->stats.kernel_kaslr = true;
		vm->stats.kernel_offset = delta;
	}
	dst = guest_mem__ptr(vm, phys, k->span);
	if (!dst) {
		hv_err("kernel does not fit in guest RAM");
		return -1;
	}
	vmlinux__load(k, dst, delta);
	*entry = phys + k->entry;
	return 0;
}

/* Copies the bzImage's protected-mode part to KERNEL_ADDR. */
static int load_bzimage(struct vm *vm, struct boot_params *bp,
			const struct setup_header *hdr,
			const struct file_buf *kernel, size_t setup_size,
			uint64_t *entry)
{
	size_t pm_size = kernel->size - setup_size;
	uint64_t kernel_end, run_end;

	/* Loaded below LOAD_PHYSICAL_ADDR, the kernel unpacks itself there. */
	run_end = KERNEL_MIN_RUN_ADDR + hdr->init_size;
	kernel_end = KERNEL_ADDR + pm_size > run_end ? KERNEL_ADDR + pm_size :
		     run_end;
	if (kernel_end > vm->ram_size) {
		hv_err("kernel needs %llu MiB of RAM to unpack; give more --mem",
		       (unsigned long long)(kernel_end >> 20) + 1);
		return -1;
	}
	memcpy(guest_mem__ptr(vm, KERNEL_ADDR, pm_size),
	       kernel->data + setup_size, pm_size);
	if (vm->cfg->initrd && place_initrd(vm, bp, hdr, kernel_end))
		return -1;
	*entry = KERNEL_ADDR + 0x200;
	return 0;
}

/*
 * The kernel from the cache if it has it (0), else the bzImage (1), the
 * cache told to unpack it for the next boot unless that failed once.
 * -1: neither could be loaded.
 */
static int load_kernel(struct vm *vm, struct boot_params *bp,
		       const struct setup_header *hdr, struct file_buf *kernel,
		       size_t setup_size, uint64_t *entry)
{
	const char *dir = vm->cfg->kernel_cache, *why;
	struct kcache_map m = { 0 };
	struct vmlinux k;
	int ret;

	if (dir && !kcache__lookup(dir, kernel->data, kernel->size, &m)) {
		if (!vmlinux__parse(m.data, m.size, &k, &why)) {
			ret = load_unpacked(vm, bp, hdr, &k, entry);
			kcache__release(&m);
			vm->stats.kernel_cached = !ret;
			return ret;
		}
		hv_info("kernel cache: the unpacked kernel is unusable (%s); booting the bzImage",
			why);
		kcache__release(&m);
		dir = NULL;
	}
	if (load_bzimage(vm, bp, hdr, kernel, setup_size, entry))
		return -1;
	/* the cache's thread takes the buffer */
	if (dir && !kcache__fill_later(dir, kernel->data, kernel->size,
				       setup_size, &m))
		kernel->data = NULL;
	return 1;
}

int boot__load_linux(struct vm *vm)
{
	const char *cmdline = vm->cfg->cmdline;
	struct file_buf kernel = {
		.data = vm->kernel_image,
		.size = vm->kernel_size,
	};
	struct setup_header hdr;
	struct boot_params *bp;
	size_t setup_size, cmd_len = strlen(cmdline);
	uint64_t entry;

	/* passed in boot__read_kernel(); this fills hdr and setup_size */
	vm->kernel_image = NULL;
	if (!kernel.data || check_kernel(&kernel, &hdr, &setup_size))
		goto fail;
	if (cmd_len >= hdr.cmdline_size || cmd_len >= BOOT_CMDLINE_ROOM) {
		hv_err("command line is %zu bytes; this kernel takes at most %u",
		       cmd_len, hdr.cmdline_size ? hdr.cmdline_size - 1 : 0);
		goto fail;
	}

	bp = guest_mem__ptr(vm, BOOT_PARAMS_ADDR, sizeof(*bp));
	memset(bp, 0, sizeof(*bp));
	bp->hdr = hdr;
	bp->hdr.type_of_loader = LOADER_UNDEFINED;
	bp->hdr.loadflags |= LOADED_HIGH | CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = 0xfe00;
	bp->hdr.cmd_line_ptr = BOOT_CMDLINE_ADDR;
	memcpy(guest_mem__ptr(vm, BOOT_CMDLINE_ADDR, cmd_len + 1), cmdline,
	       cmd_len + 1);

	if (load_kernel(vm, bp, &hdr, &kernel, setup_size, &entry) < 0)
		goto fail;

	add_e820(bp, 0, EBDA_ADDR, E820_RAM);
	add_e820(bp, EBDA_ADDR, BIOS_END - EBDA_ADDR, E820_RESERVED);
	add_e820(bp, BIOS_END, vm->ram_size - BIOS_END, E820_RAM);

	*(uint16_t *)guest_mem__ptr(vm, BDA_EBDA_SEGMENT, 2) = EBDA_ADDR >> 4;
	if (mptable__write(vm, EBDA_ADDR, BIOS_END - EBDA_ADDR))
		goto fail;

	write_page_tables(vm);
	write_gdt(vm);
	if (start_boot_cpu(vm, entry)) {
		hv_err("setting up the boot CPU: %s", strerror(errno));
		goto fail;
	}
	free(kernel.data);
	return 0;
fail:
	free(kernel.data);
	return -1;
}

int boot__unpack_kernel(const char *path, const char *dir)
{
	struct setup_header hdr;
	struct file_buf kernel;
	size_t setup_size;
	const char *why;
	int ret = -1;

	if (read_file("kernel", path, &kernel))
		return -1;
	if (check_kernel(&kernel, &hdr, &setup_size))
		goto out;
	if (kcache__fill(dir, kernel.data, kernel.size, setup_size, &why)) {
		hv_err("kernel cache: cannot keep '%s' unpacked in %s: %s",
		       path, dir, why);
		goto out;
	}
	hv_info("kernel cache: '%s' is unpacked in %s", path, dir);
	ret = 0;
out:
	free(kernel.data);
	return ret;
}
