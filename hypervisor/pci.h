/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvkit-hv's PCI bus: one root bus with a host bridge at 00:00.0 and the
 * virtio devices after it, reached through configuration mechanism #1
 * (ports 0xcf8/0xcfc). pvkit-hv places every BAR itself, as firmware
 * would, so the guest kernel finds them assigned and keeps them.
 */
#ifndef PVKIT_HV_PCI_H
#define PVKIT_HV_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "hv.h"

#define PCI_MAX_DEVICES		32	/* slots on bus 0, bridge included */
#define PCI_NR_BARS		6
#define PCI_CFG_SIZE		256
#define PCI_MMIO_BASE		0xc0000000ULL	/* see HV_MAX_MEM */
#define PCI_MMIO_END		0xfe000000ULL	/* IOAPIC and LAPIC above */
#define PCI_PIO_BASE		0xc000
#define PCI_PIO_END		0x10000

struct pci_dev;

/* Little-endian register images (configuration space, BARs). */
static inline void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static inline void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static inline uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Accesses to a BAR, at @offset inside it; reads fill @data. */
typedef void (*pci_bar_fn)(struct pci_dev *dev, unsigned int bar,
			   uint64_t offset, void *data, unsigned int len,
			   bool write);

struct pci_dev {
	uint8_t cfg[PCI_CFG_SIZE];	/* configuration space image */
	uint8_t cfg_wmask[PCI_CFG_SIZE];	/* capability bits the guest may write */
	unsigned int last_cap;		/* offset of the last capability */
	unsigned int cap_end;		/* first free byte after it */
	uint32_t bar_size[PCI_NR_BARS];	/* 0: no BAR */
	bool bar_io[PCI_NR_BARS];	/* port I/O rather than memory */
	pci_bar_fn bar_access;
	/* optional: a configuration write landed at @offset */
	void (*cfg_written)(struct pci_dev *dev, unsigned int offset);
	void *owner;
	unsigned int slot;
};

/* Sets up the bus with its host bridge. */
int pci__init(struct vm *vm);
/* Frees the bus (not the devices on it, which their owners hold). */
void pci__free(struct vm *vm);

/*
 * Adds @dev on the next free slot; the caller has filled in IDs, class,
 * capabilities and bar_size/bar_io. Places the BARs.
 */
int pci__register(struct vm *vm, struct pci_dev *dev);

/* Where a BAR is now (its address as the guest last programmed it). */
uint64_t pci__bar_addr(const struct pci_dev *dev, unsigned int bar);

/* Configuration mechanism #1 ports. */
void pci__config_io(struct vm *vm, uint16_t port, void *data,
		    unsigned int len, bool write);

/*
 * The ABI's PCI calls (PVKIT_HC_PCI_CONFIG_READ, _WRITE, PVKIT_HC_PCI_SLOTS):
 * the same configuration space as the ports, one call per access.
 */
int64_t pci__config_read_call(struct vcpu *vcpu, const uint64_t *arg);
int64_t pci__config_write_call(struct vcpu *vcpu, const uint64_t *arg);
int64_t pci__slots_call(struct vcpu *vcpu, const uint64_t *arg);

/* A memory or port access to a BAR: true if a device claimed it. */
bool pci__mmio(struct vm *vm, uint64_t addr, void *data, unsigned int len,
	       bool write);
bool pci__pio(struct vm *vm, uint16_t port, void *data, unsigned int len,
	      bool write);

/* Adds a capability of @len bytes (its ID first); returns its offset. */
unsigned int pci__add_cap(struct pci_dev *dev, const void *cap,
			  unsigned int len);

#endif /* PVKIT_HV_PCI_H */
