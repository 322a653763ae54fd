// SPDX-License-Identifier: GPL-2.0
/*
 * pvkit-hv's PCI bus (see pci.h). Configuration space is a 256-byte image
 * per device: the guest may write the command register, the BARs, the
 * interrupt line and the capability bytes a device marks writable; every
 * other write is dropped, as on read-only hardware registers. BARs are
 * placed in the hole between guest RAM (at most 3 GiB) and the IOAPIC,
 * and port BARs from 0xc000.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "pci.h"

#define PCI_CONFIG_ADDRESS	0xcf8
#define PCI_CONFIG_DATA		0xcfc
#define PCI_CONFIG_ENABLE	0x80000000U
#define PCI_FIRST_CAP		0x40

/* The host bridge: Red Hat's "QEMU PCIe host bridge" IDs, no quirks. */
#define HOST_BRIDGE_VENDOR	0x1b36
#define HOST_BRIDGE_DEVICE	0x0008
#define PCI_CLASS_HOST_BRIDGE	0x060000

struct pci_bus {
	pthread_mutex_t lock;
	uint32_t config_address;
	struct pci_dev *devs[PCI_MAX_DEVICES];
	unsigned int nr_devs;
	uint64_t next_mmio;
	uint32_t next_pio;
	struct pci_dev host_bridge;
};

int pci__init(struct vm *vm)
{
	struct pci_bus *bus = calloc(1, sizeof(*bus));
	struct pci_dev *hb;

	if (!bus)
		return -ENOMEM;
	pthread_mutex_init(&bus->lock, NULL);
	bus->next_mmio = PCI_MMIO_BASE;
	bus->next_pio = PCI_PIO_BASE;
	vm->pci = bus;

	hb = &bus->host_bridge;
	put16(hb->cfg + PCI_VENDOR_ID, HOST_BRIDGE_VENDOR);
	put16(hb->cfg + PCI_DEVICE_ID, HOST_BRIDGE_DEVICE);
	put32(hb->cfg + PCI_CLASS_REVISION, PCI_CLASS_HOST_BRIDGE << 8);
	return pci__register(vm, hb);
}

void pci__free(struct vm *vm)
{
	free(vm->pci);
	vm->pci = NULL;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Sizes must be powers of two: a guest sizes a BAR by its address mask. */
static int pci_place_bars(struct pci_bus *bus, struct pci_dev *dev)
{
	unsigned int i;

	for (i = 0; i < PCI_NR_BARS; i++) {
		uint32_t size = dev->bar_size[i];
		uint64_t addr;

		if (!size)
			continue;
		if (size & (size - 1))
			return -EINVAL;
		if (dev->bar_io[i]) {
			addr = align_up(bus->next_pio, size);
			if (addr + size > PCI_PIO_END)
				return -ENOSPC;
			bus->next_pio = addr + size;
			put32(dev->cfg + PCI_BASE_ADDRESS_0 + 4 * i,
			      addr | PCI_BASE_ADDRESS_SPACE_IO);
		} else {
			addr = align_up(bus->next_mmio, size);
			if (addr + size > PCI_MMIO_END)
				return -ENOSPC;
			bus->next_mmio = addr + size;
			put32(dev->cfg + PCI_BASE_ADDRESS_0 + 4 * i, addr);
		}
	}
	return 0;
}

int pci__register(struct vm *vm, struct pci_dev *dev)
{
	struct pci_bus *bus = vm->pci;
	int err;

	if (bus->nr_devs == PCI_MAX_DEVICES)
		return -ENOSPC;
	err = pci_place_bars(bus, dev);
	if (err)
		return err;
	dev->slot = bus->nr_devs;
	bus->devs[bus->nr_devs++] = dev;
	return 0;
}

unsigned int pci__add_cap(struct pci_dev *dev, const void *cap,
			  unsigned int len)
{
	uint8_t *cfg = dev->cfg;
	unsigned int off = dev->cap_end ? dev->cap_end : PCI_FIRST_CAP;

	if (off + len > PCI_CFG_SIZE)
		return 0;
	memcpy(cfg + off, cap, len);
	cfg[off + 1] = 0;
	if (dev->last_cap) {
		cfg[dev->last_cap + 1] = off;
	} else {
		cfg[PCI_CAPABILITY_LIST] = off;
		cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	}
	dev->last_cap = off;
	dev->cap_end = align_up(off + len, 4);
	return off;
}

uint64_t pci__bar_addr(const struct pci_dev *dev, unsigned int bar)
{
	uint32_t v = get32(dev->cfg + PCI_BASE_ADDRESS_0 + 4 * bar);

	return dev->bar_io[bar] ? (v & PCI_BASE_ADDRESS_IO_MASK) :
				  (v & PCI_BASE_ADDRESS_MEM_MASK);
}

/* The bits of configuration byte @off that the guest may change. */
static uint8_t pci_cfg_wmask(const struct pci_dev *dev, unsigned int off)
{
	if (off == PCI_COMMAND || off == PCI_COMMAND + 1 ||
	    off == PCI_INTERRUPT_LINE ||
	    (off >= PCI_BASE_ADDRESS_0 && off < PCI_BASE_ADDRESS_0 + 24))
		return 0xff;
	return off >= PCI_FIRST_CAP ? dev->cfg_wmask[off] : 0;
}

/* A write to the BAR at @bar: keep the address bits its size allows. */
static void pci_bar_fixup(struct pci_dev *dev, unsigned int bar)
{
	uint8_t *p = dev->cfg + PCI_BASE_ADDRESS_0 + 4 * bar;
	uint32_t size = dev->bar_size[bar];

	if (!size)
		put32(p, 0);
	else if (dev->bar_io[bar])
		put32(p, (get32(p) & ~(size - 1) & 0xffff) |
			 PCI_BASE_ADDRESS_SPACE_IO);
	else
		put32(p, get32(p) & ~(size - 1));
}

static void pci_cfg_write(struct pci_dev *dev, unsigned int off,
			  const uint8_t *data, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++) {
		uint8_t m = pci_cfg_wmask(dev, off + i);

		dev->cfg[off + i] = (dev->cfg[off + i] & ~m) | (data[i] & m);
	}
	for (i = 0; i < PCI_NR_BARS; i++) {
		unsigned int reg = PCI_BASE_ADDRESS_0 + 4 * i;

		if (off < reg + 4 && off + len > reg)
			pci_bar_fixup(dev, i);
	}
	if (dev->cfg_written)
		dev->cfg_written(dev, off);
}

/*
 * One configuration access at @off of function @bdf (bus << 8 | devfn)
 * on segment 0, with the bus lock held: reads fill @data, all ones where
 * nothing answers (bus 0, function 0 of a used slot, within the 256-byte
 * image), and writes there are dropped.
 */
static void pci_config_access(struct pci_bus *bus, uint32_t bdf,
			      unsigned int off, void *data, unsigned int len,
			      bool write)
{
	unsigned int slot = (bdf >> 3) & 0x1f;
	struct pci_dev *dev = NULL;

	if (!(bdf & 0xff07) && slot < bus->nr_devs && off < PCI_CFG_SIZE &&
	    len <= PCI_CFG_SIZE - off)
		dev = bus->devs[slot];
	if (!dev) {
		if (!write)
			memset(data, 0xff, len);
	} else if (write) {
		pci_cfg_write(dev, off, data, len);
	} else {
		memcpy(data, dev->cfg + off, len);
	}
}

void pci__config_io(struct vm *vm, uint16_t port, void *data,
		    unsigned int len, bool write)
{
	struct pci_bus *bus = vm->pci;
	uint32_t addr;

	pthread_mutex_lock(&bus->lock);
	if (port == PCI_CONFIG_ADDRESS) {
		if (len == 4 && write)
			memcpy(&bus->config_address, data, 4);
		else if (len == 4)
			memcpy(data, &bus->config_address, 4);
		else if (!write)
			memset(data, 0xff, len);
	} else if (port >= PCI_CONFIG_DATA) {
		addr = bus->config_address;
		if (addr & PCI_CONFIG_ENABLE)
			pci_config_access(bus, (addr >> 8) & 0xffff,
					  (addr & 0xfc) + (port - PCI_CONFIG_DATA),
					  data, len, write);
		else if (!write)
			memset(data, 0xff, len);
	} else if (!write) {
		/* 0xcf9-0xcfb: no register here (and no reset control) */
		memset(data, 0xff, len);
	}
	pthread_mutex_unlock(&bus->lock);
}

/* PVKIT_HC_PCI_CONFIG_READ and _WRITE: arguments checked as the ABI says. */
static int64_t pci_config_call(struct vm *vm, const uint64_t *arg, bool write)
{
	uint64_t sbdf = arg[0], reg = arg[1], size = arg[2];
	uint32_t value = 0;

	if (sbdf > 0xffffffffULL || reg >= PVKIT_PCI_CONFIG_SIZE ||
	    (size != 1 && size != 2 && size != 4) || reg % size ||
	    (write ? (size < 4 && arg[3] >> (8 * size)) || arg[3] > 0xffffffffULL :
		     arg[3] != 0))
		return PVKIT_EINVAL;
	if (!vm->pci || sbdf >> 16) {
		/* another segment: nothing there */
		return write ? 0 : (int64_t)(size == 4 ? 0xffffffffU :
					     (1U << (8 * size)) - 1);
	}
	value = (uint32_t)arg[3];
	pthread_mutex_lock(&vm->pci->lock);
	pci_config_access(vm->pci, (uint32_t)sbdf, (unsigned int)reg, &value,
			  (unsigned int)size, write);
	pthread_mutex_unlock(&vm->pci->lock);
	if (write)
		return 0;
	if (size < 4)
		value &= (1U << (8 * size)) - 1;
	return value;
}

int64_t pci__config_read_call(struct vcpu *vcpu, const uint64_t *arg)
{
	return pci_config_call(vcpu->vm, arg, false);
}

int64_t pci__config_write_call(struct vcpu *vcpu, const uint64_t *arg)
{
	return pci_config_call(vcpu->vm, arg, true);
}

int64_t pci__slots_call(struct vcpu *vcpu, const uint64_t *arg)
{
	struct pci_bus *bus = vcpu->vm->pci;
	uint32_t slots;

	if (arg[0] > 0xffffff || arg[1] || arg[2] || arg[3])
		return PVKIT_EINVAL;
	if (!bus || arg[0])
		return 0;	/* only segment 0, bus 0 has devices */
	pthread_mutex_lock(&bus->lock);
	slots = bus->nr_devs >= 32 ? 0xffffffffU : (1U << bus->nr_devs) - 1;
	pthread_mutex_unlock(&bus->lock);
	return slots;
}

static struct pci_dev *pci_find_bar(struct pci_bus *bus, bool io,
				    uint64_t addr, unsigned int len,
				    unsigned int *bar, uint64_t *offset)
{
	uint16_t decode = io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
	unsigned int d, i;

	for (d = 0; d < bus->nr_devs; d++) {
		struct pci_dev *dev = bus->devs[d];

		if (!(dev->cfg[PCI_COMMAND] & decode))
			continue;
		for (i = 0; i < PCI_NR_BARS; i++) {
			uint64_t base = pci__bar_addr(dev, i);

			if (!dev->bar_size[i] || dev->bar_io[i] != io ||
			    addr < base || addr - base >= dev->bar_size[i] ||
			    len > dev->bar_size[i] - (addr - base))
				continue;
			*bar = i;
			*offset = addr - base;
			return dev;
		}
	}
	return NULL;
}

static bool pci_bar_io(struct vm *vm, bool io, uint64_t addr, void *data,
		       unsigned int len, bool write)
{
	struct pci_dev *dev;
	unsigned int bar;
	uint64_t offset;

	pthread_mutex_lock(&vm->pci->lock);
	dev = pci_find_bar(vm->pci, io, addr, len, &bar, &offset);
	pthread_mutex_unlock(&vm->pci->lock);
	if (!dev)
		return false;
	if (!write)
		memset(data, 0, len);
	dev->bar_access(dev, bar, offset, data, len, write);
	return true;
}

bool pci__mmio(struct vm *vm, uint64_t addr, void *data, unsigned int len,
	       bool write)
{
	return vm->pci && pci_bar_io(vm, false, addr, data, len, write);
}

bool pci__pio(struct vm *vm, uint16_t port, void *data, unsigned int len,
	      bool write)
{
	return vm->pci && pci_bar_io(vm, true, port, data, len, write);
}
