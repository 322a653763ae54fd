// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupt routes of pvkit-hv. GSIs 0-23 go to the in-kernel PIC and
 * IOAPIC exactly as KVM routes them by default; above them, each MSI-X
 * vector of a device gets a GSI whose route carries the message address
 * and data the guest programmed, and an irqfd, so that an I/O thread
 * interrupts the guest with one write() and no exit. KVM takes the
 * routing table only as a whole, so this file keeps the whole table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hv.h"

#define IRQ_IOAPIC_PINS		24
#define IRQ_PIC_PINS		16
#define IRQ_FIRST_MSI_GSI	IRQ_IOAPIC_PINS
#define IRQ_MAX_ROUTES		1024

struct irq_routes {
	pthread_mutex_t lock;
	struct kvm_irq_routing *table;
	uint32_t next_gsi;
};

static struct kvm_irq_routing_entry *irq_add_entry(struct irq_routes *r)
{
	struct kvm_irq_routing_entry *e;

	if (r->table->nr == IRQ_MAX_ROUTES)
		return NULL;
	e = &r->table->entries[r->table->nr++];
	memset(e, 0, sizeof(*e));
	return e;
}

static void irq_add_irqchip(struct irq_routes *r, uint32_t gsi,
			    uint32_t chip, uint32_t pin)
{
	struct kvm_irq_routing_entry *e = irq_add_entry(r);

	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

int irq__init(struct vm *vm)
{
	struct irq_routes *r = calloc(1, sizeof(*r));
	uint32_t gsi;

	if (r)
		r->table = calloc(1, sizeof(*r->table) + IRQ_MAX_ROUTES *
				  sizeof(struct kvm_irq_routing_entry));
	if (!r || !r->table) {
		free(r);
		return -ENOMEM;
	}
	pthread_mutex_init(&r->lock, NULL);
	for (gsi = 0; gsi < IRQ_IOAPIC_PINS; gsi++) {
		irq_add_irqchip(r, gsi, KVM_IRQCHIP_IOAPIC, gsi);
		if (gsi < IRQ_PIC_PINS)
			irq_add_irqchip(r, gsi, gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
					KVM_IRQCHIP_PIC_SLAVE, gsi % 8);
	}
	r->next_gsi = IRQ_FIRST_MSI_GSI;
	vm->irq = r;
	return 0;
}

int irq__msi_alloc(struct vm *vm, uint32_t *gsi)
{
	struct irq_routes *r = vm->irq;
	struct kvm_irqfd irqfd = { 0 };
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0)
		return -errno;
	pthread_mutex_lock(&r->lock);
	*gsi = r->next_gsi++;
	pthread_mutex_unlock(&r->lock);
	irqfd.fd = fd;
	irqfd.gsi = *gsi;
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int irq__msi_route(struct vm *vm, uint32_t gsi, uint64_t addr, uint32_t data)
{
	struct irq_routes *r = vm->irq;
	struct kvm_irq_routing_entry *e = NULL;
	unsigned int i;
	int err = 0;

	pthread_mutex_lock(&r->lock);
	for (i = 0; i < r->table->nr; i++)
		if (r->table->entries[i].gsi == gsi)
			e = &r->table->entries[i];
	if (!e) {
		e = irq_add_entry(r);
		if (!e) {
			err = -ENOSPC;
			goto out;
		}
		e->gsi = gsi;
		e->type = KVM_IRQ_ROUTING_MSI;
	} else if (e->u.msi.address_lo == (uint32_t)addr &&
		   e->u.msi.address_hi == addr >> 32 && e->u.msi.data == data) {
		goto out;
	}
	e->u.msi.address_lo = addr;
	e->u.msi.address_hi = addr >> 32;
	e->u.msi.data = data;
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, r->table) < 0)
		err = -errno;
out:
	pthread_mutex_unlock(&r->lock);
	return err;
}
