// SPDX-License-Identifier: GPL-2.0
/*
 * Port I/O for pvkit-hv: the pvkit hypercall port, the 16550 UART at
 * COM1, the CMOS real-time clock, PCI configuration space and port BARs
 * (pci.c), and the keyboard controller's reset command (one of the ways
 * Linux reboots). Reads from any other port return all ones and writes
 * are dropped, as on a PC with nothing behind that port; the PIC, PIT and
 * APICs are KVM's in-kernel ones and never get here.
 *
 * The keyboard controller's status port reads as all ones but for the
 * input-buffer-full bit. Linux's i8042 driver looks only at the
 * output-buffer-full bit, which stays set, so it still drains the
 * "buffer" 16 times and reports no controller; its reboot code waits
 * for the input buffer to drain before it pulses the reset line, and
 * with all ones it would read the port 65536 times (as many exits)
 * before giving up and pulsing it anyway.
 */
#include <string.h>

#include "hv.h"
#include "pci.h"
#include "pvkit_abi.h"

#define COM1_BASE		0x3f8
#define COM1_END		0x3ff
#define I8042_DATA		0x60
#define I8042_COMMAND		0x64
#define I8042_CMD_RESET		0xfe
#define I8042_STATUS_ABSENT	0xfd	/* all ones but input buffer full */
#define RTC_INDEX		0x70
#define RTC_DATA		0x71
#define PCI_CONFIG_FIRST	0xcf8
#define PCI_CONFIG_LAST		0xcff

static const char * const pio_class_names[PIO_CLASSES] = {
	[PIO_HYPERCALL] = "hypercall", [PIO_UART] = "uart", [PIO_PCI] = "pci",
	[PIO_RTC] = "rtc", [PIO_I8042] = "i8042", [PIO_OTHER] = "other",
};

const char *pio__class_name(enum pio_class class)
{
	return class < PIO_CLASSES ? pio_class_names[class] : NULL;
}

static enum pio_class pio_classify(uint16_t port)
{
	if (port == PVKIT_PIO_PORT_DEFAULT)
		return PIO_HYPERCALL;
	if (port >= COM1_BASE && port <= COM1_END)
		return PIO_UART;
	if (port >= PCI_CONFIG_FIRST && port <= PCI_CONFIG_LAST)
		return PIO_PCI;
	if (port == RTC_INDEX || port == RTC_DATA)
		return PIO_RTC;
	if (port == I8042_DATA || port == I8042_COMMAND)
		return PIO_I8042;
	return PIO_OTHER;
}

static void pio_count(struct vm *vm, uint16_t port)
{
	enum pio_class class = pio_classify(port);
	unsigned int i;

	pthread_mutex_lock(&vm->lock);
	vm->stats.pio[class]++;
	for (i = 0; class == PIO_OTHER && i < PIO_TOP_PORTS; i++) {
		if (!vm->stats.pio_other_top[i].count)
			vm->stats.pio_other_top[i].port = port;
		if (vm->stats.pio_other_top[i].port == port) {
			vm->stats.pio_other_top[i].count++;
			break;
		}
	}
	pthread_mutex_unlock(&vm->lock);
}

void pio__handle(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool write = run->io.direction == KVM_EXIT_IO_OUT;
	uint16_t port = run->io.port;
	uint32_t i;

	pio_count(vcpu->vm, port);
	if (port == PVKIT_PIO_PORT_DEFAULT && write && run->io.size == 4 &&
	    run->io.count == 1) {
		hypercall__handle(vcpu);
		return;
	}

	for (i = 0; i < run->io.count; i++, data += run->io.size) {
		if (port >= COM1_BASE && port <= COM1_END &&
		    run->io.size == 1 && vcpu->vm->uart) {
			uart__io(vcpu->vm->uart, port - COM1_BASE, write, data);
		} else if ((port == RTC_INDEX || port == RTC_DATA) &&
			   run->io.size == 1 && vcpu->vm->rtc) {
			rtc__io(vcpu->vm->rtc, port == RTC_DATA, write, data);
		} else if (port >= PCI_CONFIG_FIRST && port <= PCI_CONFIG_LAST &&
			   vcpu->vm->pci) {
			pci__config_io(vcpu->vm, port, data, run->io.size,
				       write);
		} else if (pci__pio(vcpu->vm, port, data, run->io.size,
				    write)) {
			continue;
		} else if (port == I8042_COMMAND && write &&
			   *data == I8042_CMD_RESET) {
			hv_info("guest reset the machine (keyboard controller)");
			vm__finish(vcpu->vm, HV_EXIT_REBOOT);
		} else if (port == I8042_COMMAND && !write &&
			   run->io.size == 1) {
			*data = I8042_STATUS_ABSENT;
		} else if (!write) {
			memset(data, 0xff, run->io.size);
		}
	}
}
