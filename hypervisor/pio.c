// SPDX-License-Identifier: GPL-2.0
/*
 * Port I/O for pvkit-hv: the pvkit hypercall port, the 16550 UART at
 * COM1, and the keyboard controller's reset command (one of the ways
 * Linux reboots). Reads from any other port return all ones and writes
 * are dropped, as on a PC with nothing behind that port; the PIC, PIT and
 * APICs are KVM's in-kernel ones and never get here.
 */
#include <string.h>

#include "hv.h"
#include "pvkit_abi.h"

#define COM1_BASE		0x3f8
#define COM1_END		0x3ff
#define I8042_COMMAND		0x64
#define I8042_CMD_RESET		0xfe

void pio__handle(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool write = run->io.direction == KVM_EXIT_IO_OUT;
	uint16_t port = run->io.port;
	uint32_t i;

	if (port == PVKIT_PIO_PORT_DEFAULT && write && run->io.size == 4 &&
	    run->io.count == 1) {
		hypercall__handle(vcpu);
		return;
	}

	for (i = 0; i < run->io.count; i++, data += run->io.size) {
		if (port >= COM1_BASE && port <= COM1_END &&
		    run->io.size == 1 && vcpu->vm->uart) {
			uart__io(vcpu->vm->uart, port - COM1_BASE, write, data);
		} else if (port == I8042_COMMAND && write &&
			   *data == I8042_CMD_RESET) {
			hv_info("guest reset the machine (keyboard controller)");
			vm__finish(vcpu->vm, HV_EXIT_REBOOT);
		} else if (!write) {
			memset(data, 0xff, run->io.size);
		}
	}
}
