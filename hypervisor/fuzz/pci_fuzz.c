// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for what a guest can reach of pvkit-hv's PCI bus: one
 * virtio-pci function (virtio_pci.c on pci.c) with four queues whose I/O
 * threads really run, driven by configuration accesses (ports 0xcf8 and
 * 0xcfc, the ABI's PCI calls), accesses to its registers in BAR0, queue
 * notifications in BAR2, chains offered in guest RAM, and a driver's
 * whole set-up as one move, so that the fuzzer reaches running queues.
 *
 * KVM is a double: the binary is linked with --wrap=ioctl, and the calls
 * pvkit-hv makes on the VM are checked as KVM would refuse them (an
 * ioeventfd registered twice or removed when absent, a routing table
 * too long). After every move the device must still hold together:
 * read-only configuration bits unchanged, BARs aligned to their size,
 * FEATURES_OK only for features offered (VERSION_1 among them), a failed
 * device in needs-reset, vectors in range or none, a pending MSI-X
 * vector masked, a live queue's set-up fixed until reset, a running
 * queue enabled and within the maximum size with its ioeventfd in
 * place, and a reset leaving nothing running, registered or set.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>

#include "../tests/doubles.h"
#include "../hypercall.h"
#include "../virtio.h"
#include "fuzz_vq.h"

#define NR_QUEUES	4
#define QUEUE_MAX	64
#define FAKE_VM_FD	(-42)
#define CFG_PORT	0xcf8
#define DATA_PORT	0xcfc
#define CFG_ENABLE	0x80000000U
#define SLOT		1		/* the host bridge is slot 0 */
#define FIRST_CAP	0x40
#define REGS_ISR	0x1000
#define REGS_DEVICE	0x2000
#define REGS_MSIX	0x3000
#define REGS_PBA	0x3800
#define FAIL_LEN	13		/* a chain the device refuses */
#define MAX_IOEVENTFDS	(2 * NR_QUEUES)
#define MAX_ROUTES	4096		/* KVM's KVM_MAX_IRQ_ROUTES */

/* ---- the KVM double ------------------------------------------------------ */

static struct {
	struct kvm_ioeventfd ioe[MAX_IOEVENTFDS];
	unsigned int nr_ioe;
	unsigned int routes;
	pthread_mutex_t lock;
} kvm = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int kvm_ioeventfd(const struct kvm_ioeventfd *e)
{
	unsigned int i;

	FUZZ_CHECK((e->flags & KVM_IOEVENTFD_FLAG_PIO) && e->len == 2 &&
		   e->fd >= 0);
	for (i = 0; i < kvm.nr_ioe; i++)
		if (kvm.ioe[i].addr == e->addr)
			break;
	if (!(e->flags & KVM_IOEVENTFD_FLAG_DEASSIGN)) {
		/* KVM: EEXIST. pvkit-hv must never try it */
		FUZZ_CHECK(i == kvm.nr_ioe && kvm.nr_ioe < MAX_IOEVENTFDS);
		kvm.ioe[kvm.nr_ioe++] = *e;
		return 0;
	}
	/* KVM: ENOENT */
	FUZZ_CHECK(i < kvm.nr_ioe && kvm.ioe[i].fd == e->fd);
	kvm.ioe[i] = kvm.ioe[--kvm.nr_ioe];
	return 0;
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	void *arg;
	va_list ap;
	int ret = 0;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd != FAKE_VM_FD)
		return __real_ioctl(fd, req, arg);
	pthread_mutex_lock(&kvm.lock);
	switch (req) {
	case KVM_IOEVENTFD:
		ret = kvm_ioeventfd(arg);
		break;
	case KVM_SET_GSI_ROUTING:
		kvm.routes = ((struct kvm_irq_routing *)arg)->nr;
		FUZZ_CHECK(kvm.routes <= MAX_ROUTES);
		break;
	case KVM_IRQFD:
		break;
	default:
		errno = ENOTTY;
		ret = -1;
	}
	pthread_mutex_unlock(&kvm.lock);
	return ret;
}

static bool kvm_has_ioeventfd(uint64_t port, int fd)
{
	unsigned int i;
	bool found = false;

	pthread_mutex_lock(&kvm.lock);
	for (i = 0; i < kvm.nr_ioe; i++)
		if (kvm.ioe[i].addr == port && kvm.ioe[i].fd == fd)
			found = true;
	pthread_mutex_unlock(&kvm.lock);
	return found;
}

/* ---- the device under test ----------------------------------------------- */

/* Takes every chain; refuses one whose first buffer is FAIL_LEN long. */
static int fuzz_chain(struct virtio_queue *q, const struct vq_chain *c,
		      const char **why)
{
	if (c->nr_out + c->nr_in && c->iov[0].iov_len == FAIL_LEN) {
		*why = "the fuzzer's refused chain";
		return -1;
	}
	return c->in_len > 8 ? 8 : (int)c->in_len;
}

static void fuzz_queue_run(struct virtio_queue *q)
{
	virtio_queue__serve(q, fuzz_chain);
}

static const struct virtio_dev_ops fuzz_ops = {
	.queue_run = fuzz_queue_run,
};

static const uint8_t dev_config[20] = "pvkit-pci-fuzz";
static struct virtio_dev dev;
static uint8_t cfg_initial[PCI_CFG_SIZE];
static struct vm *vm;
/* the queues as the move before left them */
static struct virtio_queue before[NR_QUEUES];

static struct vm *fuzz_vm(void)
{
	if (vm)
		return vm;
	vm = double_vm_create(FUZZ_RAM);
	FUZZ_CHECK(vm && !irq__init(vm));
	vm->vm_fd = FAKE_VM_FD;
	memcpy(dev.name, "fuzz0", 6);
	dev.device_id = VIRTIO_ID_BLOCK;
	dev.pci_class = 0x018000;
	dev.ops = &fuzz_ops;
	dev.host_features = 1ULL << VIRTIO_RING_F_EVENT_IDX |
			    1ULL << VIRTIO_RING_F_INDIRECT_DESC |
			    1ULL << VIRTIO_F_ACCESS_PLATFORM;
	dev.config = dev_config;
	dev.config_len = sizeof(dev_config);
	dev.nr_queues = NR_QUEUES;
	dev.queue_max = QUEUE_MAX;
	FUZZ_CHECK(!virtio_pci__add(vm, &dev) && dev.pci.slot == SLOT);
	memcpy(cfg_initial, dev.pci.cfg, PCI_CFG_SIZE);
	return vm;
}

/* The bits of configuration byte @off that a guest may change. */
static uint8_t cfg_wmask(unsigned int off)
{
	if (off == PCI_COMMAND || off == PCI_COMMAND + 1 ||
	    off == PCI_INTERRUPT_LINE ||
	    (off >= PCI_BASE_ADDRESS_0 && off < PCI_BASE_ADDRESS_0 + 24))
		return 0xff;
	return off >= FIRST_CAP ? dev.pci.cfg_wmask[off] : 0;
}

static uint64_t bar_base(unsigned int bar)
{
	return pci__bar_addr(&dev.pci, bar);
}

static void mmio(uint64_t off, void *data, unsigned int len, bool write)
{
	pci__mmio(vm, bar_base(0) + off, data, len, write);
}

static void mmio_write(uint64_t off, uint64_t v, unsigned int len)
{
	mmio(off, &v, len, true);
}

/* ---- what must hold after every move ------------------------------------- */

static void check_config_space(void)
{
	const uint8_t *cfg = dev.pci.cfg;
	unsigned int i;
	uint32_t bar;

	for (i = 0; i < PCI_CFG_SIZE; i++) {
		if ((cfg[i] ^ cfg_initial[i]) & ~cfg_wmask(i))
			fprintf(stderr, "configuration byte %#x: %#x, was %#x\n",
				i, cfg[i], cfg_initial[i]);
		FUZZ_CHECK(!((cfg[i] ^ cfg_initial[i]) & ~cfg_wmask(i)));
	}
	bar = get32(cfg + PCI_BASE_ADDRESS_0);
	FUZZ_CHECK(!(bar & (dev.pci.bar_size[0] - 1)));
	bar = get32(cfg + PCI_BASE_ADDRESS_2);
	FUZZ_CHECK(bar <= 0xffff && (bar & PCI_BASE_ADDRESS_SPACE_IO) &&
		   !(bar & (dev.pci.bar_size[2] - 1) & ~1U));
	for (i = 0; i < PCI_NR_BARS; i++)
		if (!dev.pci.bar_size[i])
			FUZZ_CHECK(!get32(cfg + PCI_BASE_ADDRESS_0 + 4 * i));
}

static bool vector_ok(uint16_t v)
{
	return v == VIRTIO_NO_VECTOR || v < dev.nr_vectors;
}

static void check_queue(const struct virtio_queue *q,
			const struct virtio_queue *was)
{
	FUZZ_CHECK(vector_ok(q->msix_vector));
	/* only a reset clears enabled, and only a reset changes a live queue */
	if (was->enabled && q->enabled)
		FUZZ_CHECK(q->size == was->size &&
			   q->msix_vector == was->msix_vector &&
			   !memcmp(&q->layout, &was->layout, sizeof(q->layout)));
	if (q->running)
		FUZZ_CHECK(q->enabled && q->size && q->size <= QUEUE_MAX &&
			   !(q->size & (q->size - 1)) &&
			   kvm_has_ioeventfd(q->kick_port, q->kick_fd));
}

static void check_device(void)
{
	uint64_t features = dev.guest_features;
	unsigned int i;

	pthread_mutex_lock(&dev.lock);
	if (dev.status & VIRTIO_CONFIG_S_FEATURES_OK)
		FUZZ_CHECK(!(features & ~dev.host_features) &&
			   (features & 1ULL << VIRTIO_F_VERSION_1));
	if (dev.failed)
		FUZZ_CHECK(dev.status & VIRTIO_CONFIG_S_NEEDS_RESET);
	FUZZ_CHECK(vector_ok(dev.config_msix));
	for (i = 0; i < dev.nr_vectors; i++) {
		uint16_t ctl = get16(dev.pci.cfg + dev.msix_cap + PCI_MSIX_FLAGS);

		if (dev.msix[i].pending)
			FUZZ_CHECK(!(ctl & PCI_MSIX_FLAGS_ENABLE) ||
				   (ctl & PCI_MSIX_FLAGS_MASKALL) ||
				   (dev.msix[i].entry[3] &
				    PCI_MSIX_ENTRY_CTRL_MASKBIT));
	}
	pthread_mutex_unlock(&dev.lock);
	for (i = 0; i < NR_QUEUES; i++)
		check_queue(&dev.queues[i], &before[i]);
	check_config_space();
}

/* What a reset (status 0) must leave, whatever came before. */
static void check_reset(void)
{
	unsigned int i;

	FUZZ_CHECK(!dev.status && !dev.guest_features && !dev.failed &&
		   !dev.queue_select && dev.config_msix == VIRTIO_NO_VECTOR);
	for (i = 0; i < NR_QUEUES; i++) {
		const struct virtio_queue *q = &dev.queues[i];

		FUZZ_CHECK(!q->running && !q->enabled && !q->kick_registered &&
			   q->size == QUEUE_MAX &&
			   q->msix_vector == VIRTIO_NO_VECTOR &&
			   !q->layout.desc && !q->layout.avail &&
			   !q->layout.used);
	}
	for (i = 0; i < dev.nr_vectors; i++)
		FUZZ_CHECK(!dev.msix[i].pending);
	FUZZ_CHECK(!kvm.nr_ioe);
}

/* ---- the guest's moves --------------------------------------------------- */

/* Configuration mechanism #1: an address, then a data port access. */
static void move_config_port(struct fuzz_in *in, uint8_t how)
{
	uint32_t addr = fuzz_take(in, 4), v = fuzz_take(in, 4), want = 0;
	uint16_t port = DATA_PORT + (how >> 4) % 4;
	unsigned int len = 1 << (how >> 6) % 3, off, slot;
	bool write = how & 0x08;

	if (how & 0x04)		/* our function, any register */
		addr = CFG_ENABLE | SLOT << 11 | (addr & 0xfc);
	if ((how & 0x03) == 3)	/* the address port itself, any width */
		port = CFG_PORT;
	else
		pci__config_io(vm, CFG_PORT, &addr, 4, true);
	pci__config_io(vm, port, &v, len, write);
	if (write || port == CFG_PORT)
		return;
	/* our function answers with its image; an absent one, all ones */
	off = (addr & 0xfc) + port - DATA_PORT;
	slot = (addr >> 11) & 0x1f;
	if (!(addr & CFG_ENABLE) || (addr & 0xff0700) || slot > SLOT ||
	    (slot == SLOT && off + len > PCI_CFG_SIZE))
		want = 0xffffffff;
	else if (slot == SLOT)
		memcpy(&want, dev.pci.cfg + off, len);
	else
		return;		/* the host bridge */
	FUZZ_CHECK(!memcmp(&v, &want, len));
}

/* PVKIT_HC_PCI_CONFIG_READ / _WRITE, arguments mostly well-formed. */
static void move_config_call(struct fuzz_in *in, uint8_t how)
{
	uint64_t arg[PVKIT_HC_NARGS] = { 0 };
	bool write = how & 0x08;
	int64_t ret;

	arg[0] = how & 0x04 ? SLOT << 3 : fuzz_take(in, 4);
	arg[1] = fuzz_take(in, 2) % (how & 0x10 ? PCI_CFG_SIZE : 0x2000);
	arg[2] = 1 << (how >> 6) % 3;
	if (how & 0x20)
		arg[2] = fuzz_take(in, 1);
	if (write)
		arg[3] = fuzz_take(in, 4) & (arg[2] < 4 ? 0xffff : ~0U);
	ret = write ? pci__config_write_call(&vm->vcpus[0], arg) :
		      pci__config_read_call(&vm->vcpus[0], arg);
	if (!write && ret >= 0 && arg[0] == SLOT << 3 &&
	    arg[1] + arg[2] <= PCI_CFG_SIZE) {
		uint32_t want = 0;

		memcpy(&want, dev.pci.cfg + arg[1], arg[2]);
		FUZZ_CHECK(ret == want);
	}
}

/* A register access in BAR0: near a block's start, or anywhere. */
static void move_regs(struct fuzz_in *in, uint8_t how)
{
	static const uint64_t blocks[] = {
		0, REGS_ISR, REGS_DEVICE, REGS_MSIX, REGS_PBA,
	};
	uint64_t off = fuzz_take(in, 2), v = fuzz_take(in, 8);
	unsigned int len = 1 << (how >> 6);
	bool write = how & 0x08;

	if (how & 0x04)
		off = blocks[off % ARRAY_SIZE(blocks)] + (off >> 8) % 64;
	else if (how & 0x10)	/* outside the BAR, or across its end */
		off = (int16_t)off;
	mmio(off, &v, len, write);
	if (!write && off == REGS_ISR && len == 1) {
		unsigned int i;
		bool running = false;

		for (i = 0; i < NR_QUEUES; i++)
			running |= dev.queues[i].running;
		/* reading the ISR clears it (unless a queue sets it again) */
		if (!running && (dev.pci.cfg[PCI_COMMAND] & PCI_COMMAND_MEMORY))
			FUZZ_CHECK(!dev.isr);
	}
}

/* A queue notification in BAR2 (or next to it). */
static void move_notify(struct fuzz_in *in, uint8_t how)
{
	uint16_t v = fuzz_take(in, 2);

	pci__pio(vm, bar_base(2) + (how >> 4), &v, 1 << (how >> 2) % 3, true);
}

static void write_common(unsigned int field, uint64_t v, unsigned int len)
{
	mmio_write(field, v, len);
}

/*
 * A driver's whole set-up: decoding on, reset, features, queues in
 * sound rings across guest RAM, MSI-X vectors unmasked, DRIVER_OK.
 */
static void move_driver_setup(struct fuzz_in *in, uint8_t how)
{
	uint64_t features = dev.host_features | 1ULL << VIRTIO_F_VERSION_1;
	uint16_t cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_IO;
	unsigned int i, nq = 1 + how % NR_QUEUES;
	uint32_t ctl = (uint32_t)PCI_MSIX_FLAGS_ENABLE << 16;

	pci__config_io(vm, CFG_PORT, &(uint32_t){ CFG_ENABLE | SLOT << 11 |
						   PCI_COMMAND }, 4, true);
	pci__config_io(vm, DATA_PORT, &cmd, 2, true);
	write_common(VIRTIO_PCI_COMMON_STATUS, 0, 1);
	check_reset();
	memcpy(before, dev.queues, sizeof(before));
	write_common(VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		     VIRTIO_CONFIG_S_DRIVER, 1);
	/* what a driver may take, or anything at all */
	if (how & 0x80)
		features = fuzz_take(in, 8);
	else
		features &= fuzz_take(in, 8) | 1ULL << VIRTIO_F_VERSION_1;
	write_common(VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	write_common(VIRTIO_PCI_COMMON_GF, (uint32_t)features, 4);
	write_common(VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
	write_common(VIRTIO_PCI_COMMON_GF, features >> 32, 4);
	write_common(VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		     VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK, 1);
	for (i = 0; i < nq; i++) {
		uint64_t base = i * (FUZZ_RAM / NR_QUEUES);
		uint16_t size = 1 << fuzz_take(in, 1) % 8;

		write_common(VIRTIO_PCI_COMMON_Q_SELECT, i, 2);
		write_common(VIRTIO_PCI_COMMON_Q_SIZE, size, 2);
		write_common(VIRTIO_PCI_COMMON_Q_DESCLO, base, 8);
		write_common(VIRTIO_PCI_COMMON_Q_AVAILLO, base + 0x1000, 8);
		write_common(VIRTIO_PCI_COMMON_Q_USEDLO, base + 0x1800, 8);
		write_common(VIRTIO_PCI_COMMON_Q_MSIX, i + 1, 2);
		mmio_write(REGS_MSIX + 16 * (i + 1) + 12, 0, 4);
		write_common(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	}
	if (how & 0x40) {	/* MSI-X on, with the message control dword */
		pci__config_io(vm, CFG_PORT, &(uint32_t){ CFG_ENABLE |
				SLOT << 11 | dev.msix_cap }, 4, true);
		ctl |= get16(dev.pci.cfg + dev.msix_cap);
		pci__config_io(vm, DATA_PORT, &ctl, 4, true);
	}
	write_common(VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		     VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
		     VIRTIO_CONFIG_S_DRIVER_OK, 1);
}

/* The driver offers a one-buffer chain on a queue and kicks it. */
static void move_offer(struct fuzz_in *in, uint8_t how)
{
	struct virtio_queue *q = &dev.queues[how % NR_QUEUES];
	struct vring_desc d = {
		.addr = fuzz_take(in, 2),
		.len = how & 0x80 ? FAIL_LEN : fuzz_take(in, 2),
		.flags = fuzz_take(in, 1) & 7,
		.next = fuzz_take(in, 1),
	};
	uint16_t head = fuzz_take(in, 1), idx, size = q->size;
	uint64_t desc = q->layout.desc, avail = q->layout.avail;

	if (!q->enabled || !size || desc >= FUZZ_RAM || avail >= FUZZ_RAM ||
	    desc + 16 * size > FUZZ_RAM ||
	    avail + 4 + 2 * size > FUZZ_RAM)
		return;
	head %= size;
	memcpy(vm->ram + desc + 16 * head, &d, sizeof(d));
	memcpy(&idx, vm->ram + avail + 2, 2);
	memcpy(vm->ram + avail + 4 + 2 * (idx % size), &head, 2);
	__atomic_store_n((uint16_t *)(vm->ram + avail + 2), idx + 1,
			 __ATOMIC_RELEASE);
	pci__pio(vm, bar_base(2) + 2 * q->index, &idx, 2, true);
}

/* Any bytes of guest RAM, as a driver or a stray write would. */
static void move_ram(struct fuzz_in *in, uint8_t how)
{
	uint64_t v = fuzz_take(in, 8);
	uint16_t off = fuzz_take(in, 2);

	if (off + 8 <= FUZZ_RAM)
		memcpy(vm->ram + off, &v, 1 + how % 8);
}

typedef void (*move_fn)(struct fuzz_in *in, uint8_t how);

static const move_fn moves[] = {
	move_config_port, move_config_call, move_regs, move_regs,
	move_notify, move_driver_setup, move_offer, move_ram,
};

/* Back to the device as pvkit-hv made it, with nothing running. */
static void device_restart(void)
{
	static const uint32_t masked[4] = { 0, 0, 0, PCI_MSIX_ENTRY_CTRL_MASKBIT };
	uint16_t cmd = PCI_COMMAND_MEMORY;
	unsigned int i;

	memcpy(dev.pci.cfg, cfg_initial, PCI_CFG_SIZE);
	put16(dev.pci.cfg + PCI_COMMAND, cmd);
	write_common(VIRTIO_PCI_COMMON_STATUS, 0, 1);
	check_reset();
	memcpy(dev.pci.cfg, cfg_initial, PCI_CFG_SIZE);
	for (i = 0; i < dev.nr_vectors; i++)
		memcpy(dev.msix[i].entry, masked, sizeof(masked));
	dev.config_gen = 0;
	pci__config_io(vm, CFG_PORT, &(uint32_t){ 0 }, 4, true);
	memset(vm->ram, 0, FUZZ_RAM);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };

	fuzz_vm();
	double_reset(vm);
	while (in.size) {
		uint8_t op = fuzz_take(&in, 1), how = fuzz_take(&in, 1);

		memcpy(before, dev.queues, sizeof(before));
		moves[op % ARRAY_SIZE(moves)](&in, how);
		check_device();
	}
	device_restart();
	return 0;
}
