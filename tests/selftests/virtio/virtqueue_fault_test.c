// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile guest driver, from userspace: takes the disk with serial
 * pvkit-victim away from virtio_pci, drives the device itself through its
 * BAR (sysfs resource0 for the registers, the notify port with ioperm)
 * and writes malformed virtqueues into RAM whose physical address it
 * learns from /proc/self/pagemap. Each malformation must put the device
 * into "needs reset" (status bit 0x40) while pvkit-hv keeps running; a
 * reset must bring the device back, a well-formed request must then
 * work, and the other disks must not notice. pvkit-hv only (the harness
 * gives the victim disk to pvkit-hv guests).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "kselftest_harness.h"
#include "pvkit_test.h"

/* pvkit-hv's layout of BAR0 (hypervisor/virtio_pci.c); checked below */
#define COMMON_OFF	0x0000
#define REGS_SIZE	0x4000
#define QSIZE		8
#define NEEDS_RESET	VIRTIO_CONFIG_S_NEEDS_RESET

/* Offsets inside the one page that holds everything. */
#define DESC_OFF	0
#define AVAIL_OFF	512
#define USED_OFF	1024
#define TABLE_OFF	2048	/* an indirect table */
#define HDR_OFF		3072
#define DATA_OFF	3200	/* 512 bytes */
#define STATUS_OFF	3800

struct victim {
	char pci[64];		/* 0000:00:0N.0 */
	uint8_t *regs;
	uint16_t notify_port;
	uint8_t *page;		/* locked, one page */
	uint64_t page_pa;
};

/*
 * MMIO: one plain mov of the given width each, never merged or split (a
 * seq_cst store would be an xchg, which KVM has to emulate)
 */
static uint8_t *common(struct victim *v, unsigned int off)
{
	return v->regs + COMMON_OFF + off;
}

static void w8(struct victim *v, unsigned int off, uint8_t x)
{
	__atomic_store_n(common(v, off), x, __ATOMIC_RELEASE);
}

static void w16(struct victim *v, unsigned int off, uint16_t x)
{
	__atomic_store_n((uint16_t *)common(v, off), x, __ATOMIC_RELEASE);
}

static void w32(struct victim *v, unsigned int off, uint32_t x)
{
	__atomic_store_n((uint32_t *)common(v, off), x, __ATOMIC_RELEASE);
}

static uint8_t r8(struct victim *v, unsigned int off)
{
	return __atomic_load_n(common(v, off), __ATOMIC_ACQUIRE);
}

static uint16_t r16(struct victim *v, unsigned int off)
{
	return __atomic_load_n((uint16_t *)common(v, off), __ATOMIC_ACQUIRE);
}

static uint32_t r32(struct victim *v, unsigned int off)
{
	return __atomic_load_n((uint32_t *)common(v, off), __ATOMIC_ACQUIRE);
}

static void w64(struct victim *v, unsigned int off, uint64_t x)
{
	w32(v, off, (uint32_t)x);
	w32(v, off + 4, x >> 32);
}

static uint64_t phys_addr(void *p)
{
	uint64_t entry = 0;
	long page = sysconf(_SC_PAGESIZE);
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &entry, 8, (uintptr_t)p / page * 8) != 8)
		entry = 0;
	close(fd);
	if (!(entry & (1ULL << 63)))
		return 0;
	return (entry & ((1ULL << 55) - 1)) * page;
}

#define VICTIM_FILE	"/tmp/pvkit-victim-pci"

/*
 * The victim's PCI address. The first test finds it by the disk's serial
 * and takes the device from virtio_pci (the disk then disappears), so it
 * leaves the address in a file for the tests after it.
 */
static int victim_find(struct victim *v)
{
	char disk[32], path[256], link[PATH_MAX];

	if (pvkit_read_file(VICTIM_FILE, v->pci, sizeof(v->pci)) > 0)
		return 0;
	if (pvkit_find_disk("pvkit-victim", disk, sizeof(disk)))
		return -ENODEV;
	snprintf(path, sizeof(path), "/sys/block/%s/device/..", disk);
	if (!realpath(path, link))
		return -errno;
	snprintf(v->pci, sizeof(v->pci), "%s", strrchr(link, '/') + 1);
	if (pvkit_write_file("/sys/bus/pci/drivers/virtio-pci/unbind", v->pci))
		return -EBUSY;
	return pvkit_write_file(VICTIM_FILE, v->pci);
}

/* Takes the victim from its driver and maps what we need of it. */
static int victim_open(struct victim *v)
{
	unsigned long long start, end, flags;
	char path[256];
	FILE *f;
	int fd, i, err;

	err = victim_find(v);
	if (err)
		return err;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/enable", v->pci);
	pvkit_write_file(path, "1");

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", v->pci);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		return -errno;
	v->regs = mmap(NULL, REGS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fd, 0);
	close(fd);
	if (v->regs == MAP_FAILED)
		return -errno;

	/* BAR2, the notify port: the third line of "resource" */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", v->pci);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	for (i = 0; i <= 2; i++)
		if (fscanf(f, "%llx %llx %llx", &start, &end, &flags) != 3)
			break;
	fclose(f);
	if (i <= 2 || !start || start > 0xffff)
		return -ENXIO;
	v->notify_port = start;
	if (ioperm(v->notify_port, 2, 1))
		return -errno;

	v->page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
	if (v->page == MAP_FAILED)
		return -errno;
	memset(v->page, 0, 4096);
	v->page_pa = phys_addr(v->page);
	return v->page_pa ? 0 : -EFAULT;
}

static int wait_status(struct victim *v, uint8_t bits, int want_set)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 300; i++) {
		if (!!(r8(v, VIRTIO_PCI_COMMON_STATUS) & bits) == want_set)
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

static void device_reset(struct victim *v)
{
	w8(v, VIRTIO_PCI_COMMON_STATUS, 0);
}

/* Negotiates @features; returns the status read back after FEATURES_OK. */
static uint8_t negotiate(struct victim *v, uint64_t features)
{
	device_reset(v);
	w8(v, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	w8(v, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER);
	w32(v, VIRTIO_PCI_COMMON_GFSELECT, 0);
	w32(v, VIRTIO_PCI_COMMON_GF, (uint32_t)features);
	w32(v, VIRTIO_PCI_COMMON_GFSELECT, 1);
	w32(v, VIRTIO_PCI_COMMON_GF, features >> 32);
	w8(v, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	return r8(v, VIRTIO_PCI_COMMON_STATUS);
}

/* Sets queue 0 up on our page with @size entries and starts the device. */
static void start_queue(struct victim *v, uint16_t size)
{
	memset(v->page, 0, 4096);
	w16(v, VIRTIO_PCI_COMMON_Q_SELECT, 0);
	w16(v, VIRTIO_PCI_COMMON_Q_SIZE, size);
	w64(v, VIRTIO_PCI_COMMON_Q_DESCLO, v->page_pa + DESC_OFF);
	w64(v, VIRTIO_PCI_COMMON_Q_AVAILLO, v->page_pa + AVAIL_OFF);
	w64(v, VIRTIO_PCI_COMMON_Q_USEDLO, v->page_pa + USED_OFF);
	w16(v, VIRTIO_PCI_COMMON_Q_ENABLE, 1);
	w8(v, VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
	   VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
	   VIRTIO_CONFIG_S_DRIVER_OK);
}

static struct vring_desc *desc(struct victim *v, unsigned int off,
			       unsigned int i)
{
	return (struct vring_desc *)(v->page + off) + i;
}

static void set_desc(struct vring_desc *d, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

/* Offers chain @head (avail index @idx) and kicks queue 0. */
static void offer(struct victim *v, uint16_t head, uint16_t idx)
{
	struct vring_avail *avail = (struct vring_avail *)(v->page + AVAIL_OFF);

	avail->ring[0] = head;
	__atomic_store_n(&avail->idx, idx, __ATOMIC_RELEASE);
	outw(0, v->notify_port);
}

/* A read of sector 0: header, 512 data bytes, status. */
static void good_request(struct victim *v, struct vring_desc *table)
{
	struct virtio_blk_outhdr *hdr = (void *)(v->page + HDR_OFF);

	hdr->type = VIRTIO_BLK_T_IN;
	hdr->sector = 0;
	v->page[STATUS_OFF] = 0xff;
	set_desc(&table[0], v->page_pa + HDR_OFF, sizeof(*hdr),
		 VRING_DESC_F_NEXT, 1);
	set_desc(&table[1], v->page_pa + DATA_OFF, 512,
		 VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	set_desc(&table[2], v->page_pa + STATUS_OFF, 1, VRING_DESC_F_WRITE, 0);
}

FIXTURE(fault) {
	struct victim v;
	uint64_t base;
};

FIXTURE_SETUP(fault)
{
	int err = victim_open(&self->v);

	/* the device resets this test causes, for the harness (tap-check) */
	pvkit_marker("vmm-reset-expected pvkit-victim");
	ASSERT_EQ(0, err) TH_LOG("taking the victim disk: %s", strerror(-err));
	self->base = 1ULL << VIRTIO_F_VERSION_1;
	/* the device is virtio-blk and offers VERSION_1 and indirect tables */
	w32(&self->v, VIRTIO_PCI_COMMON_DFSELECT, 1);
	ASSERT_NE(0, (int)(r32(&self->v, VIRTIO_PCI_COMMON_DF) & 1));
}

FIXTURE_TEARDOWN(fault)
{
	device_reset(&self->v);
}

/* The shared ending: needs reset, then a reset clears it. */
#define EXPECT_NEEDS_RESET(v) do {					\
	EXPECT_EQ(0, wait_status(v, NEEDS_RESET, 1))			\
		TH_LOG("device did not enter needs-reset");		\
	device_reset(v);						\
	EXPECT_EQ(0, wait_status(v, 0xff, 0))				\
		TH_LOG("device did not come back from reset");		\
} while (0)

/* Reads sector 0 through a well-formed queue; 0 when it worked. */
static int well_formed_read(struct victim *v, uint64_t features)
{
	struct vring_used *used = (struct vring_used *)(v->page + USED_OFF);
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	if (!(negotiate(v, features) & VIRTIO_CONFIG_S_FEATURES_OK))
		return -1;
	start_queue(v, QSIZE);
	good_request(v, desc(v, DESC_OFF, 0));
	offer(v, 0, 1);
	for (i = 0; i < 300; i++) {
		if (__atomic_load_n(&used->idx, __ATOMIC_ACQUIRE) == 1)
			break;
		nanosleep(&ts, NULL);
	}
	if (used->idx != 1 || used->ring[0].id != 0 ||
	    used->ring[0].len != 513)
		return -2;
	if (v->page[STATUS_OFF] != VIRTIO_BLK_S_OK)
		return -3;
	return (r8(v, VIRTIO_PCI_COMMON_STATUS) & NEEDS_RESET) ? -4 : 0;
}

TEST_F(fault, well_formed_request_works)
{
	EXPECT_EQ(0, well_formed_read(&self->v, self->base));
}

TEST_F(fault, unoffered_feature_is_refused)
{
	/* bit 50 is offered by no device pvkit-hv has */
	EXPECT_FALSE(negotiate(&self->v, self->base | 1ULL << 50) &
		     VIRTIO_CONFIG_S_FEATURES_OK);
}

TEST_F(fault, queue_size_not_a_power_of_two)
{
	negotiate(&self->v, self->base);
	start_queue(&self->v, 6);
	EXPECT_NEEDS_RESET(&self->v);
}

/* Twice the size the device offers for the queue (its maximum). */
TEST_F(fault, queue_size_above_the_maximum)
{
	uint16_t max;

	negotiate(&self->v, self->base);
	w16(&self->v, VIRTIO_PCI_COMMON_Q_SELECT, 0);
	max = r16(&self->v, VIRTIO_PCI_COMMON_Q_SIZE);
	ASSERT_LT(0, max);
	ASSERT_GE(16384, max);
	start_queue(&self->v, 2 * max);
	EXPECT_NEEDS_RESET(&self->v);
}

TEST_F(fault, descriptor_loop)
{
	negotiate(&self->v, self->base);
	start_queue(&self->v, QSIZE);
	set_desc(desc(&self->v, DESC_OFF, 0), self->v.page_pa + HDR_OFF, 16,
		 VRING_DESC_F_NEXT, 1);
	set_desc(desc(&self->v, DESC_OFF, 1), self->v.page_pa + HDR_OFF, 16,
		 VRING_DESC_F_NEXT, 0);
	offer(&self->v, 0, 1);
	EXPECT_NEEDS_RESET(&self->v);
}

TEST_F(fault, buffer_outside_guest_ram)
{
	negotiate(&self->v, self->base);
	start_queue(&self->v, QSIZE);
	good_request(&self->v, desc(&self->v, DESC_OFF, 0));
	desc(&self->v, DESC_OFF, 1)->addr = 1ULL << 40;
	offer(&self->v, 0, 1);
	EXPECT_NEEDS_RESET(&self->v);
}

TEST_F(fault, avail_index_too_far_ahead)
{
	negotiate(&self->v, self->base);
	start_queue(&self->v, QSIZE);
	good_request(&self->v, desc(&self->v, DESC_OFF, 0));
	offer(&self->v, 0, QSIZE + 5);
	EXPECT_NEEDS_RESET(&self->v);
}

TEST_F(fault, head_outside_the_ring)
{
	negotiate(&self->v, self->base);
	start_queue(&self->v, QSIZE);
	offer(&self->v, QSIZE + 100, 1);
	EXPECT_NEEDS_RESET(&self->v);
}

TEST_F(fault, readable_after_writable)
{
	negotiate(&self->v, self->base);
	start_queue(&self->v, QSIZE);
	good_request(&self->v, desc(&self->v, DESC_OFF, 0));
	desc(&self->v, DESC_OFF, 2)->flags = 0;	/* status made readable */
	offer(&self->v, 0, 1);
	EXPECT_NEEDS_RESET(&self->v);
}

TEST_F(fault, header_too_short)
{
	negotiate(&self->v, self->base);
	start_queue(&self->v, QSIZE);
	good_request(&self->v, desc(&self->v, DESC_OFF, 0));
	desc(&self->v, DESC_OFF, 0)->len = 8;
	offer(&self->v, 0, 1);
	EXPECT_NEEDS_RESET(&self->v);
}

TEST_F(fault, nested_indirect_table)
{
	uint64_t f = self->base | 1ULL << VIRTIO_RING_F_INDIRECT_DESC;

	ASSERT_TRUE(negotiate(&self->v, f) & VIRTIO_CONFIG_S_FEATURES_OK);
	start_queue(&self->v, QSIZE);
	set_desc(desc(&self->v, DESC_OFF, 0), self->v.page_pa + TABLE_OFF, 32,
		 VRING_DESC_F_INDIRECT, 0);
	set_desc(desc(&self->v, TABLE_OFF, 0), self->v.page_pa + TABLE_OFF, 32,
		 VRING_DESC_F_INDIRECT, 0);
	offer(&self->v, 0, 1);
	EXPECT_NEEDS_RESET(&self->v);
}

TEST_F(fault, indirect_length_not_a_multiple_of_16)
{
	uint64_t f = self->base | 1ULL << VIRTIO_RING_F_INDIRECT_DESC;

	ASSERT_TRUE(negotiate(&self->v, f) & VIRTIO_CONFIG_S_FEATURES_OK);
	start_queue(&self->v, QSIZE);
	good_request(&self->v, desc(&self->v, TABLE_OFF, 0));
	set_desc(desc(&self->v, DESC_OFF, 0), self->v.page_pa + TABLE_OFF, 40,
		 VRING_DESC_F_INDIRECT, 0);
	offer(&self->v, 0, 1);
	EXPECT_NEEDS_RESET(&self->v);
}

TEST_F(fault, indirect_without_the_feature)
{
	negotiate(&self->v, self->base);
	start_queue(&self->v, QSIZE);
	good_request(&self->v, desc(&self->v, TABLE_OFF, 0));
	set_desc(desc(&self->v, DESC_OFF, 0), self->v.page_pa + TABLE_OFF, 48,
		 VRING_DESC_F_INDIRECT, 0);
	offer(&self->v, 0, 1);
	EXPECT_NEEDS_RESET(&self->v);
}

TEST_F(fault, device_works_after_the_resets)
{
	EXPECT_EQ(0, well_formed_read(&self->v, self->base));
}

TEST_F(fault, other_disks_unaffected)
{
	char disk[32], path[64];
	void *buf;
	int fd;

	ASSERT_EQ(0, pvkit_find_disk("pvkit-tools", disk, sizeof(disk)));
	snprintf(path, sizeof(path), "/dev/%s", disk);
	ASSERT_EQ(0, posix_memalign(&buf, 4096, 4096));
	fd = open(path, O_RDONLY | O_DIRECT);
	ASSERT_GE(fd, 0);
	/* not in the page cache: O_DIRECT goes to the device */
	EXPECT_EQ(4096, pread(fd, buf, 4096, 1 << 20));
	close(fd);
	free(buf);
}

#include "pvkit_test_main.h"
