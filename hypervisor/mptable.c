// SPDX-License-Identifier: GPL-2.0
/*
 * The Intel MultiProcessor Specification 1.4 table that tells a guest
 * kernel about its CPUs and interrupt routing: one processor entry per
 * vCPU, an ISA bus, KVM's in-kernel IOAPIC, ISA IRQs 0-15 wired to the
 * IOAPIC pins of the same number (KVM's default GSI routing), and LINT0
 * (ExtINT) / LINT1 (NMI) on every local APIC. pvkit-hv uses this rather
 * than ACPI because it is all a distro kernel needs to find CPUs and
 * interrupt controllers, and it fits in a page.
 */
#include <string.h>

#include "hv.h"

#define MPC_SPEC		4
#define APIC_DEFAULT_BASE	0xfee00000U
#define IOAPIC_DEFAULT_BASE	0xfec00000U
#define APIC_VERSION		0x14
#define IOAPIC_VERSION		0x11
#define ISA_IRQS		16

struct mpf_intel {
	char signature[4];		/* "_MP_" */
	uint32_t physptr;
	uint8_t length;			/* in 16-byte units */
	uint8_t specification;
	uint8_t checksum;
	uint8_t feature[5];
} __packed;

struct mpc_table {
	char signature[4];		/* "PCMP" */
	uint16_t length;
	uint8_t spec;
	uint8_t checksum;
	char oem[8];
	char productid[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t oemcount;		/* number of entries */
	uint32_t lapic;
	uint32_t reserved;
} __packed;

struct mpc_cpu {
	uint8_t type;			/* 0 */
	uint8_t apicid;
	uint8_t apicver;
	uint8_t cpuflag;
	uint32_t cpufeature;
	uint32_t featureflag;
	uint32_t reserved[2];
} __packed;

struct mpc_bus {
	uint8_t type;			/* 1 */
	uint8_t busid;
	char bustype[6];
} __packed;

struct mpc_ioapic {
	uint8_t type;			/* 2 */
	uint8_t apicid;
	uint8_t apicver;
	uint8_t flags;
	uint32_t apicaddr;
} __packed;

struct mpc_intsrc {
	uint8_t type;			/* 3: I/O interrupt, 4: local */
	uint8_t irqtype;
	uint16_t irqflag;
	uint8_t srcbus;
	uint8_t srcbusirq;
	uint8_t dstapic;
	uint8_t dstirq;
} __packed;

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 };
#define CPU_ENABLED		1
#define CPU_BOOTPROCESSOR	2
#define MPC_APIC_USABLE		1

static uint8_t checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

int mptable__write(struct vm *vm, uint64_t gpa, uint64_t room)
{
	unsigned int ncpu = vm->nr_vcpus, i, entries = 0;
	uint8_t ioapic_id = ncpu;
	size_t size = sizeof(struct mpf_intel) + sizeof(struct mpc_table) +
		      ncpu * sizeof(struct mpc_cpu) + sizeof(struct mpc_bus) +
		      sizeof(struct mpc_ioapic) +
		      (ISA_IRQS + 2) * sizeof(struct mpc_intsrc);
	struct mpf_intel *mpf = guest_mem__ptr(vm, gpa, size);
	struct mpc_table *mpc;
	uint8_t *p;

	if (!mpf || size > room) {
		hv_err("MP table for %u CPUs does not fit", ncpu);
		return -1;
	}
	memset(mpf, 0, size);
	mpc = (struct mpc_table *)(mpf + 1);
	p = (uint8_t *)(mpc + 1);

	for (i = 0; i < ncpu; i++, entries++) {
		struct mpc_cpu *cpu = (struct mpc_cpu *)p;

		cpu->type = MP_PROCESSOR;
		cpu->apicid = i;
		cpu->apicver = APIC_VERSION;
		cpu->cpuflag = CPU_ENABLED | (i == 0 ? CPU_BOOTPROCESSOR : 0);
		cpu->cpufeature = 0x600;
		cpu->featureflag = 0x201;	/* FPU, APIC */
		p += sizeof(*cpu);
	}

	{
		struct mpc_bus *bus = (struct mpc_bus *)p;

		bus->type = MP_BUS;
		bus->busid = 0;
		memcpy(bus->bustype, "ISA   ", 6);
		p += sizeof(*bus);
		entries++;
	}
	{
		struct mpc_ioapic *io = (struct mpc_ioapic *)p;

		io->type = MP_IOAPIC;
		io->apicid = ioapic_id;
		io->apicver = IOAPIC_VERSION;
		io->flags = MPC_APIC_USABLE;
		io->apicaddr = IOAPIC_DEFAULT_BASE;
		p += sizeof(*io);
		entries++;
	}
	for (i = 0; i < ISA_IRQS; i++) {
		struct mpc_intsrc *src = (struct mpc_intsrc *)p;

		if (i == 2)	/* the cascade from the slave PIC */
			continue;
		src->type = MP_INTSRC;
		src->irqtype = MP_INT;
		src->srcbus = 0;
		src->srcbusirq = i;
		src->dstapic = ioapic_id;
		src->dstirq = i;
		p += sizeof(*src);
		entries++;
	}
	for (i = 0; i < 2; i++) {
		struct mpc_intsrc *lint = (struct mpc_intsrc *)p;

		lint->type = MP_LINTSRC;
		lint->irqtype = i == 0 ? MP_EXTINT : MP_NMI;
		lint->dstapic = 0xff;
		lint->dstirq = i;
		p += sizeof(*lint);
		entries++;
	}

	memcpy(mpc->signature, "PCMP", 4);
	mpc->length = p - (uint8_t *)mpc;
	mpc->spec = MPC_SPEC;
	memcpy(mpc->oem, "PVKIT   ", 8);
	memcpy(mpc->productid, "PVKIT-HV    ", 12);
	mpc->oemcount = entries;
	mpc->lapic = APIC_DEFAULT_BASE;
	mpc->checksum = checksum(mpc, mpc->length);

	memcpy(mpf->signature, "_MP_", 4);
	mpf->physptr = gpa + sizeof(*mpf);
	mpf->length = 1;
	mpf->specification = MPC_SPEC;
	mpf->checksum = checksum(mpf, sizeof(*mpf));
	return 0;
}
