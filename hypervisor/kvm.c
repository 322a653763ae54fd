// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM side of pvkit-hv: open /dev/kvm, create the VM with its RAM,
 * the in-kernel interrupt controllers (PIC, IOAPIC, local APICs) and PIT,
 * and one vCPU per requested CPU with its shared kvm_run page.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hv.h"

/* Addresses KVM needs for its real-mode helpers on Intel, below 4 GiB. */
#define KVM_IDENTITY_MAP_ADDR	0xfffbc000ULL
#define KVM_TSS_ADDR		0xfffbd000UL

/* Guest RAM's alignment in pvkit-hv's address space: an x86 huge page */
#define GUEST_RAM_ALIGN		(2ULL << 20)

#define APIC_LVT0		0x350
#define APIC_LVT1		0x360
#define APIC_MODE_NMI		0x4
#define APIC_MODE_EXTINT	0x7

/*
 * With KVM_CAP_SYNC_REGS, KVM copies the registers into kvm_run on every
 * exit and takes changed ones back on entry: a hypercall then needs no
 * register ioctls at all.
 */
static bool kvm_has_sync_regs(struct vm *vm)
{
	int caps = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS);
	int want = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;

	return caps > 0 && (caps & want) == want;
}

static void lapic_set_lvt(struct kvm_lapic_state *lapic, int reg, int mode)
{
	uint32_t v;

	memcpy(&v, &lapic->regs[reg], sizeof(v));
	v = (v & ~0x700u) | ((uint32_t)mode << 8);
	memcpy(&lapic->regs[reg], &v, sizeof(v));
}

/* Wire LINT0 to the PIC and LINT1 to NMI, as firmware would. */
static int vcpu_setup_lapic(struct vcpu *vcpu)
{
	struct kvm_lapic_state lapic;

	if (ioctl(vcpu->fd, KVM_GET_LAPIC, &lapic) < 0)
		return -1;
	lapic_set_lvt(&lapic, APIC_LVT0, APIC_MODE_EXTINT);
	lapic_set_lvt(&lapic, APIC_LVT1, APIC_MODE_NMI);
	return ioctl(vcpu->fd, KVM_SET_LAPIC, &lapic);
}

int kvm__create_vcpus(struct vm *vm)
{
	int run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	unsigned int i;

	if (run_size <= 0) {
		hv_err("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < vm->cfg->cpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		vcpu->vm = vm;
		vcpu->id = i;
		vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, i);
		if (vcpu->fd < 0) {
			hv_err("KVM_CREATE_VCPU %u: %s", i, strerror(errno));
			return -1;
		}
		vcpu->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE,
				 MAP_SHARED, vcpu->fd, 0);
		if (vcpu->run == MAP_FAILED) {
			hv_err("mapping vCPU %u's kvm_run: %s", i,
			       strerror(errno));
			return -1;
		}
		if (cpuid__setup(vcpu) < 0)
			return -1;
		vcpu_stats__open(vcpu);
		if (vcpu_setup_lapic(vcpu) < 0) {
			hv_err("vCPU %u local APIC set-up: %s", i,
			       strerror(errno));
			return -1;
		}
		vm->nr_vcpus++;
	}
	return 0;
}

int kvm__irq_line(struct vm *vm, unsigned int irq, int level)
{
	struct kvm_irq_level line = { .irq = irq, .level = level };

	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &line);
}

int kvm__get_clock(struct vm *vm, struct kvm_clock_data *clock)
{
	if (ioctl(vm->vm_fd, KVM_GET_CLOCK, clock) == 0)
		return 0;
	hv_err("KVM_GET_CLOCK: %s", strerror(errno));
	return -1;
}

int kvm__set_clock(struct vm *vm, const struct kvm_clock_data *clock)
{
	if (ioctl(vm->vm_fd, KVM_SET_CLOCK, clock) == 0)
		return 0;
	hv_err("KVM_SET_CLOCK: %s", strerror(errno));
	return -1;
}

/*
 * Guest RAM, placed on a 2 MiB boundary of pvkit-hv's address space.
 * KVM maps guest memory with 2 MiB entries only where the host has a
 * huge page there and the guest and host addresses agree modulo 2 MiB;
 * guest RAM starts at guest physical 0, and mmap() promises only 4 KiB
 * alignment. Without it, each 4 KiB page the guest touches first costs
 * a fault of its own (nested, Debian 6.12 took 7.3 s to init instead of
 * 4.9 s). Huge pages are also asked for, for hosts that give them only
 * on request; where they are off, the advice fails and changes nothing.
 */
static uint8_t *map_guest_ram(uint64_t size)
{
	uint64_t lead, span = size + GUEST_RAM_ALIGN;
	uint8_t *p, *ram;

	p = mmap(NULL, span, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return MAP_FAILED;
	lead = -(uintptr_t)p & (GUEST_RAM_ALIGN - 1);
	ram = p + lead;
	if (lead)
		munmap(p, lead);
	munmap(ram + size, GUEST_RAM_ALIGN - lead);
	madvise(ram, size, MADV_HUGEPAGE);
	return ram;
}

int kvm__create_vm(struct vm *vm)
{
	struct kvm_userspace_memory_region region;
	struct kvm_pit_config pit = { .flags = 0 };
	uint64_t ident = KVM_IDENTITY_MAP_ADDR;
	int version;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		hv_err("cannot open /dev/kvm: %s (is the kvm module loaded, and may this user use it?)",
		       strerror(errno));
		return -1;
	}
	version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		hv_err("/dev/kvm speaks KVM API %d, pvkit-hv needs %d",
		       version, KVM_API_VERSION);
		return -1;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		hv_err("KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0 ||
	    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0) {
		hv_err("setting KVM's TSS and identity map: %s",
		       strerror(errno));
		return -1;
	}

	vm->ram_size = vm->cfg->mem_size;
	vm->ram = map_guest_ram(vm->ram_size);
	if (vm->ram == MAP_FAILED) {
		hv_err("cannot map %llu MiB of guest RAM: %s",
		       (unsigned long long)(vm->ram_size >> 20),
		       strerror(errno));
		return -1;
	}

	region = (struct kvm_userspace_memory_region) {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = vm->ram_size,
		.userspace_addr = (uintptr_t)vm->ram,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		hv_err("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		hv_err("KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		hv_err("KVM_CREATE_PIT2: %s", strerror(errno));
		return -1;
	}
	vm->sync_regs = kvm_has_sync_regs(vm);
	return 0;
}
