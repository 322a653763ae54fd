// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the virtio-pci device's life cycle (virtio_pci.c) as
 * several vCPUs drive it: a reset written while another vCPU is still
 * starting a queue waits for that start and then stops the queue (it
 * used to run on past the reset, on the old rings); a driver that takes
 * a status bit back without a reset fails the device instead of acking
 * features again under running queues; a queue that fails stops its
 * device's other queues at once, before the driver's reset; a test
 * fault that keeps its used elements quiet sends no interrupt for them;
 * fault=early-used puts a used element in a queue enabled before
 * DRIVER_OK, and interrupts, and only then; "ctl queue-max" changes
 * the queues' size at the next reset, not before.
 *
 * KVM is a double (the test is linked with --wrap=ioctl) whose
 * KVM_IOEVENTFD can hold the calling vCPU until the test lets it go.
 */
#include <semaphore.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "kselftest_harness.h"
#include "doubles.h"
#include "../hv.h"
#include "../virtio.h"
#include "../vq_fault.h"

#define FAKE_VM_FD	(-42)
#define NR_QUEUES	2
#define QUEUE_SIZE	16
#define SLOT		1		/* the host bridge is slot 0 */
#define STATUS_FEATURES	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
			 VIRTIO_CONFIG_S_FEATURES_OK)
#define STATUS_LIVE	(STATUS_FEATURES | VIRTIO_CONFIG_S_DRIVER_OK)

/* ---- the KVM double ------------------------------------------------------ */

/* set: the next ioeventfd assignment posts in_ioctl and waits for let_go */
static int hold_next_assign;
static sem_t in_ioctl, let_go;

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	struct kvm_ioeventfd *e;
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd != FAKE_VM_FD)
		return __real_ioctl(fd, req, arg);
	e = arg;
	if (req == KVM_IOEVENTFD && !(e->flags & KVM_IOEVENTFD_FLAG_DEASSIGN) &&
	    __atomic_exchange_n(&hold_next_assign, 0, __ATOMIC_SEQ_CST)) {
		sem_post(&in_ioctl);
		sem_wait(&let_go);
	}
	return 0;
}

/* ---- the device ---------------------------------------------------------- */

static int threads_alive;		/* queue threads in queue_run */
static int acked_while_running;		/* features_acked with a queue running */
static int acks;
/* queue 1's chains handled; the first waits in the handler for go */
static int q1_chains;
static sem_t in_handler, handler_go;

static int take_chain(struct virtio_queue *q, const struct vq_chain *c,
		      const char **why)
{
	if (q->index == 1 &&
	    __atomic_add_fetch(&q1_chains, 1, __ATOMIC_SEQ_CST) == 1) {
		sem_post(&in_handler);
		sem_wait(&handler_go);
	}
	return 0;
}

static void queue_run(struct virtio_queue *q)
{
	__atomic_add_fetch(&threads_alive, 1, __ATOMIC_SEQ_CST);
	virtio_queue__serve(q, take_chain);
	__atomic_sub_fetch(&threads_alive, 1, __ATOMIC_SEQ_CST);
}

static int features_acked(struct virtio_dev *dev)
{
	unsigned int i;

	acks++;
	for (i = 0; i < dev->nr_queues; i++)
		if (dev->queues[i].running)
			acked_while_running++;
	return 0;
}

/* set: every used element is one no interrupt tells of (vq_fault.c) */
static bool quiet;

static bool misbehave(struct virtio_queue *q, const struct vq_chain *c,
		      uint16_t *id, uint32_t *len)
{
	return quiet;
}

/* the device's fault=, for queue_enabled */
static struct hv_fault_cfg fault;
static uint64_t faults;

static void queue_enabled(struct virtio_queue *q)
{
	vq_fault__queue_enabled(&fault, &faults, q);
}

static const struct virtio_dev_ops ops = {
	.queue_run = queue_run,
	.features_acked = features_acked,
	.misbehave = misbehave,
	.queue_enabled = queue_enabled,
};

static struct virtio_dev dev;
static struct vm *vm;

static void reg_write(uint64_t off, uint64_t v, unsigned int len)
{
	pci__mmio(vm, pci__bar_addr(&dev.pci, 0) + off, &v, len, true);
}

static uint8_t status(void)
{
	uint8_t s = 0;

	pci__mmio(vm, pci__bar_addr(&dev.pci, 0) + VIRTIO_PCI_COMMON_STATUS,
		  &s, 1, false);
	return s;
}

/* A fresh VM with one two-queue device, its memory BAR enabled. */
static void device_create(void)
{
	uint32_t addr = 0x80000000U | SLOT << 11 | PCI_COMMAND;
	uint16_t cmd = PCI_COMMAND_MEMORY | PCI_COMMAND_IO;

	sem_init(&in_ioctl, 0, 0);
	sem_init(&let_go, 0, 0);
	sem_init(&in_handler, 0, 0);
	sem_init(&handler_go, 0, 0);
	threads_alive = acked_while_running = acks = q1_chains = 0;
	memset(&dev, 0, sizeof(dev));
	vm = double_vm_create(1 << 20);
	if (!vm || irq__init(vm))
		abort();
	vm->vm_fd = FAKE_VM_FD;
	strcpy(dev.name, "test0");
	dev.device_id = VIRTIO_ID_BLOCK;
	dev.ops = &ops;
	dev.nr_queues = NR_QUEUES;
	dev.queue_max = QUEUE_SIZE;
	if (virtio_pci__add(vm, &dev) || dev.pci.slot != SLOT)
		abort();
	pci__config_io(vm, 0xcf8, &addr, 4, true);
	pci__config_io(vm, 0xcfc, &cmd, 2, true);
}

/* The driver's set-up up to FEATURES_OK: VERSION_1 acked. */
static void driver_features(void)
{
	reg_write(VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		  VIRTIO_CONFIG_S_DRIVER, 1);
	reg_write(VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
	reg_write(VIRTIO_PCI_COMMON_GF, 1, 4);		/* VERSION_1 */
	reg_write(VIRTIO_PCI_COMMON_STATUS, STATUS_FEATURES, 1);
}

/* Queue @i's size and rings at @base (not enabled). */
static void queue_setup(unsigned int i, uint64_t base)
{
	reg_write(VIRTIO_PCI_COMMON_Q_SELECT, i, 2);
	reg_write(VIRTIO_PCI_COMMON_Q_SIZE, QUEUE_SIZE, 2);
	reg_write(VIRTIO_PCI_COMMON_Q_DESCLO, base, 8);
	reg_write(VIRTIO_PCI_COMMON_Q_AVAILLO, base + 0x1000, 8);
	reg_write(VIRTIO_PCI_COMMON_Q_USEDLO, base + 0x2000, 8);
}

/* Waits up to 2 s for @want queue threads alive; returns how many are. */
static int threads_settle(int want)
{
	int i, n = 0;

	for (i = 0; i < 200; i++) {
		n = __atomic_load_n(&threads_alive, __ATOMIC_SEQ_CST);
		if (n == want)
			break;
		usleep(10000);
	}
	return n;
}

static void *enable_queue0(void *arg)
{
	reg_write(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	return NULL;
}

static void *reset_device(void *arg)
{
	reg_write(VIRTIO_PCI_COMMON_STATUS, 0, 1);
	return NULL;
}

/*
 * vCPU A enables queue 0 of a live device and is held inside the queue
 * start (its ioeventfd); vCPU B resets the device meanwhile. The reset
 * must come after the start and stop that queue: nothing may run once
 * both writes are done, and the next set-up at other rings must start
 * a queue on those rings.
 */
TEST(reset_waits_for_a_queue_start)
{
	pthread_t a, b;

	device_create();
	driver_features();
	reg_write(VIRTIO_PCI_COMMON_STATUS, STATUS_LIVE, 1);
	queue_setup(0, 0x10000);
	hold_next_assign = 1;
	ASSERT_EQ(0, pthread_create(&a, NULL, enable_queue0, NULL));
	sem_wait(&in_ioctl);
	ASSERT_EQ(0, pthread_create(&b, NULL, reset_device, NULL));
	usleep(200000);		/* B's reset, had it not waited, is over */
	sem_post(&let_go);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	EXPECT_EQ(0, status());
	EXPECT_FALSE(dev.queues[0].running);
	EXPECT_FALSE(dev.queues[0].kick_registered);
	EXPECT_EQ(0, threads_settle(0));

	driver_features();
	queue_setup(0, 0x40000);
	reg_write(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	reg_write(VIRTIO_PCI_COMMON_STATUS, STATUS_LIVE, 1);
	EXPECT_EQ(1, threads_settle(1));
	EXPECT_TRUE(dev.queues[0].running);
	EXPECT_EQ(vm->ram + 0x40000, (uint8_t *)dev.queues[0].vq.desc);
	reg_write(VIRTIO_PCI_COMMON_STATUS, 0, 1);
	EXPECT_EQ(0, threads_settle(0));
}

/*
 * A live device whose driver writes its status without DRIVER_OK and
 * FEATURES_OK, and then acks features again: the device fails (needs
 * reset, its queues stopped) and no features are acked while a queue
 * runs; a reset brings it back.
 */
TEST(status_taken_back_fails_the_device)
{
	device_create();
	driver_features();
	queue_setup(0, 0x10000);
	reg_write(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	reg_write(VIRTIO_PCI_COMMON_STATUS, STATUS_LIVE, 1);
	ASSERT_EQ(1, threads_settle(1));
	ASSERT_EQ(1, acks);

	reg_write(VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		  VIRTIO_CONFIG_S_DRIVER, 1);
	reg_write(VIRTIO_PCI_COMMON_GF, 1, 4);
	reg_write(VIRTIO_PCI_COMMON_STATUS, STATUS_FEATURES, 1);
	EXPECT_TRUE(status() & VIRTIO_CONFIG_S_NEEDS_RESET);
	EXPECT_EQ(1, acks);
	EXPECT_EQ(0, acked_while_running);
	EXPECT_EQ(0, threads_settle(0));

	reg_write(VIRTIO_PCI_COMMON_STATUS, 0, 1);
	EXPECT_EQ(0, status());
	driver_features();
	queue_setup(0, 0x10000);
	reg_write(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	reg_write(VIRTIO_PCI_COMMON_STATUS, STATUS_LIVE, 1);
	EXPECT_EQ(STATUS_LIVE, status());
	EXPECT_EQ(1, threads_settle(1));
	EXPECT_EQ(2, acks);
	EXPECT_EQ(0, acked_while_running);
	reg_write(VIRTIO_PCI_COMMON_STATUS, 0, 1);
	EXPECT_EQ(0, threads_settle(0));
}

/*
 * Offers @n one-buffer chains on the queue whose rings queue_setup()
 * put at @base, and kicks it.
 */
static void offer_chains(struct virtio_queue *q, uint64_t base, unsigned int n)
{
	struct vring_desc *desc = (struct vring_desc *)(vm->ram + base);
	struct vring_avail *avail = (struct vring_avail *)(vm->ram + base + 0x1000);
	uint64_t one = 1;
	unsigned int i;

	for (i = 0; i < n; i++) {
		desc[i] = (struct vring_desc){
			.addr = base + 0x3000 + 64 * i, .len = 64,
		};
		avail->ring[i] = i;
	}
	__atomic_store_n(&avail->idx, n, __ATOMIC_RELEASE);
	if (write(q->kick_fd, &one, sizeof(one)) != sizeof(one))
		abort();
}

/*
 * Queue 1 is busy (eight chains offered, the first in its handler) when
 * queue 0 fails: queue 1 stops after the chain in hand, not after all
 * eight, and before any reset.
 */
TEST(a_failed_queue_stops_the_others)
{
	device_create();
	driver_features();
	queue_setup(0, 0x10000);
	reg_write(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	queue_setup(1, 0x20000);
	reg_write(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	reg_write(VIRTIO_PCI_COMMON_STATUS, STATUS_LIVE, 1);
	ASSERT_EQ(2, threads_settle(2));
	offer_chains(&dev.queues[1], 0x20000, QUEUE_SIZE / 2);
	sem_wait(&in_handler);

	virtio_queue__fail(&dev.queues[0], "the test's failure");
	sem_post(&handler_go);
	EXPECT_TRUE(status() & VIRTIO_CONFIG_S_NEEDS_RESET);
	EXPECT_EQ(0, threads_settle(0));
	EXPECT_EQ(1, q1_chains);
	reg_write(VIRTIO_PCI_COMMON_STATUS, 0, 1);
	EXPECT_EQ(0, status());
	EXPECT_FALSE(dev.queues[0].running);
	EXPECT_FALSE(dev.queues[1].running);
}

/*
 * Queue 0 of a live device serves four chains; the number of interrupts
 * it sent once all four are used.
 */
static uint64_t interrupts_for_four_chains(void)
{
	struct vring_used *used;
	uint64_t n;
	int i;

	device_create();
	used = (struct vring_used *)(vm->ram + 0x12000);
	driver_features();
	queue_setup(0, 0x10000);
	reg_write(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	reg_write(VIRTIO_PCI_COMMON_STATUS, STATUS_LIVE, 1);
	if (threads_settle(1) != 1)
		return UINT64_MAX;
	offer_chains(&dev.queues[0], 0x10000, 4);
	for (i = 0; i < 200 && __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE) != 4;
	     i++)
		usleep(10000);
	usleep(50000);		/* the batch's interrupt, if any, is out */
	n = used->idx == 4 ? dev.queues[0].interrupts : UINT64_MAX;
	reg_write(VIRTIO_PCI_COMMON_STATUS, 0, 1);
	threads_settle(0);
	return n;
}

/* fault=tx-bad-id's used elements come with no interrupt; others do. */
TEST(quiet_used_elements_send_no_interrupt)
{
	uint64_t n;

	quiet = true;
	EXPECT_EQ(0U, interrupts_for_four_chains());
	quiet = false;
	n = interrupts_for_four_chains();
	EXPECT_LE(1U, n);
	EXPECT_GT(UINT64_MAX, n);
}

/*
 * Queue 0 enabled before DRIVER_OK, with @kind as the device's fault;
 * how many used elements its ring shows then (-1 if the device failed).
 * Once live, queue 1 enabled then gets none, and queue 0 serves two
 * chains after what it showed.
 */
static int used_on_early_enable(struct __test_metadata *_metadata,
				enum hv_fault kind)
{
	struct vring_used *used, *used1;
	int n, i;

	fault.kind = kind;
	faults = 0;
	device_create();
	used = (struct vring_used *)(vm->ram + 0x12000);
	used1 = (struct vring_used *)(vm->ram + 0x22000);
	driver_features();
	queue_setup(0, 0x10000);
	reg_write(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	n = used->idx;
	if (n) /* past the table: never one of the driver's heads */
		EXPECT_EQ((uint32_t)QUEUE_SIZE, used->ring[0].id);
	EXPECT_EQ((uint64_t)n, dev.queues[0].interrupts);
	EXPECT_EQ((uint64_t)n, faults);

	reg_write(VIRTIO_PCI_COMMON_STATUS, STATUS_LIVE, 1);
	EXPECT_EQ(1, threads_settle(1));
	queue_setup(1, 0x20000);
	reg_write(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	EXPECT_EQ(2, threads_settle(2));
	EXPECT_EQ(0, used1->idx);
	EXPECT_EQ((uint64_t)n, faults);
	/* the device's used index goes on after the early element */
	offer_chains(&dev.queues[0], 0x10000, 2);
	for (i = 0; i < 200 && __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE) != n + 2;
	     i++)
		usleep(10000);
	EXPECT_EQ(n + 2, used->idx);
	EXPECT_EQ(0U, used->ring[n].id);
	EXPECT_EQ(1U, used->ring[n + 1].id);
	EXPECT_EQ((uint64_t)n, faults);
	if (status() & VIRTIO_CONFIG_S_NEEDS_RESET)
		n = -1;
	reg_write(VIRTIO_PCI_COMMON_STATUS, 0, 1);
	threads_settle(0);
	EXPECT_EQ(0, dev.queues[0].used_before_start);
	fault.kind = HV_FAULT_NONE;
	return n;
}

TEST(early_used_only_before_driver_ok)
{
	EXPECT_EQ(1, used_on_early_enable(_metadata, HV_FAULT_EARLY_USED));
	EXPECT_EQ(0, used_on_early_enable(_metadata, HV_FAULT_NONE));
	EXPECT_EQ(0, used_on_early_enable(_metadata, HV_FAULT_BAD_ID));
}

/* Queue @i's size as the driver reads it. */
static uint16_t queue_size(unsigned int i)
{
	uint16_t size = 0;

	reg_write(VIRTIO_PCI_COMMON_Q_SELECT, i, 2);
	pci__mmio(vm, pci__bar_addr(&dev.pci, 0) + VIRTIO_PCI_COMMON_Q_SIZE,
		  &size, 2, false);
	return size;
}

/* "ctl queue-max @arg": its return value, its answer in @answer. */
static int queue_max(const char *arg, char *answer, size_t size)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	int ret;

	if (!out)
		abort();
	ret = virtio_ctl__queue_max(vm, arg, out);
	fclose(out);
	snprintf(answer, size, "%s", text);
	free(text);
	return ret;
}

/*
 * queue-max: bad arguments get one error line and change nothing; a
 * good one changes no queue the driver has now, only what each offers
 * from the next reset on, and a queue the driver then makes larger
 * than that fails the device; the device's own size comes back the same
 * way. It is found by its name or its alias.
 */
TEST(queue_max_takes_effect_at_the_next_reset)
{
	static const char * const bad[] = { "", "test0", "test0 x", "test0 -8" };
	char answer[256];
	unsigned int i;

	device_create();
	dev.alias = "disk-a";
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-1, queue_max(bad[i], answer, sizeof(answer)));
		EXPECT_STREQ("error: queue-max takes a device and a number of entries (queue-max blk0 64)\n",
			     answer);
	}
	EXPECT_EQ(-1, queue_max("test1 8", answer, sizeof(answer)));
	EXPECT_STREQ("error: no device 'test1' (devices: test0 (disk-a))\n",
		     answer);
	EXPECT_EQ(-1, queue_max("test0 3", answer, sizeof(answer)));
	EXPECT_STREQ("error: test0's queues take a power of two from 1 to 16 entries\n",
		     answer);
	EXPECT_EQ(-1, queue_max("test0 32", answer, sizeof(answer)));
	EXPECT_EQ(-1, queue_max("test0 0", answer, sizeof(answer)));
	EXPECT_EQ(-1, queue_max("test0 8x", answer, sizeof(answer)));
	EXPECT_EQ(0, dev.queue_max_next);

	driver_features();
	EXPECT_EQ(0, queue_max("disk-a 4", answer, sizeof(answer)));
	EXPECT_STREQ("ok: test0's queues offer 4 entries from its next reset on (16 now)\n",
		     answer);
	EXPECT_EQ(QUEUE_SIZE, queue_size(0));
	reg_write(VIRTIO_PCI_COMMON_STATUS, 0, 1);
	EXPECT_EQ(4, queue_size(0));
	EXPECT_EQ(4, queue_size(1));

	/* a driver that asks for more than is offered */
	driver_features();
	queue_setup(0, 0x10000);
	reg_write(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	reg_write(VIRTIO_PCI_COMMON_STATUS, STATUS_LIVE, 1);
	EXPECT_TRUE(status() & VIRTIO_CONFIG_S_NEEDS_RESET);
	EXPECT_EQ(0, threads_settle(0));

	/* one that takes what is offered */
	reg_write(VIRTIO_PCI_COMMON_STATUS, 0, 1);
	driver_features();
	queue_setup(0, 0x10000);
	reg_write(VIRTIO_PCI_COMMON_Q_SIZE, 4, 2);
	reg_write(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	reg_write(VIRTIO_PCI_COMMON_STATUS, STATUS_LIVE, 1);
	EXPECT_EQ(STATUS_LIVE, status());
	EXPECT_EQ(1, threads_settle(1));

	EXPECT_EQ(0, queue_max("test0 16", answer, sizeof(answer)));
	EXPECT_STREQ("ok: test0's queues offer 16 entries from its next reset on (4 now)\n",
		     answer);
	reg_write(VIRTIO_PCI_COMMON_STATUS, 0, 1);
	EXPECT_EQ(0, threads_settle(0));
	EXPECT_EQ(QUEUE_SIZE, queue_size(1));
}

TEST_HARNESS_MAIN
