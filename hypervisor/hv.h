/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvkit-hv: the shape of one virtual machine and the interfaces between
 * the hypervisor's parts. Every part takes a struct vm; nothing else is
 * global. Guest memory is reached only through guest_mem__*, which
 * refuses any range that is not wholly inside guest RAM.
 */
#ifndef PVKIT_HV_H
#define PVKIT_HV_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <sys/types.h>
#include <linux/kvm.h>

#include "compiler.h"
#include "pvkit_abi.h"

#define HV_MAX_CPUS		64
#define HV_MIN_MEM		(128ULL << 20)
#define HV_MAX_MEM		(3ULL << 30)	/* below the 32-bit MMIO hole */
#define HV_HC_SLOTS		32
#define HV_MAX_DISKS		12
#define HV_MAX_NICS		4
#define HV_MAX_VIRTIO		(HV_MAX_DISKS + HV_MAX_NICS)

/*
 * The ISA line of host-to-guest events (events.c), advertised in CPUID.
 * Taken on pvkit-hv's machine: 0 PIT, 2 cascade, 4 COM1, 8 CMOS clock.
 */
#define HV_EVENTS_IRQ		9
#define HV_SHUTDOWN_TIMEOUT	30	/* seconds, --shutdown-timeout */

/* How pvkit-hv ends; documented in hypervisor/README.md. */
enum hv_exit {
	HV_EXIT_POWEROFF = 0,
	HV_EXIT_ERROR = 1,
	HV_EXIT_USAGE = 2,
	HV_EXIT_REBOOT = 3,
	HV_EXIT_CRASH = 4,
	HV_EXIT_VM_FAILURE = 5,
	HV_EXIT_FORCED = 6,	/* no power off within --shutdown-timeout */
	HV_EXIT_STOPPED = 7,	/* SIGTERM or SIGINT */
};

/*
 * A device that misbehaves on purpose, for tests (vq_fault.c):
 * fault=bad-id|bad-len[,fault-from=SECTOR], for a NIC fault=tx-bad-id
 * (its transmit queue, without interrupts), for a disk fault=early-used
 * (a used element before the driver is ready)
 */
enum hv_fault {
	HV_FAULT_NONE, HV_FAULT_BAD_ID, HV_FAULT_BAD_LEN, HV_FAULT_TX_BAD_ID,
	HV_FAULT_EARLY_USED
};
struct hv_fault_cfg {
	enum hv_fault kind;
	uint64_t from;			/* first sector that misbehaves */
};

/* --disk PATH[,ro][,serial=ID][,poll=US][,write-delay=MS][,fault=...] */
#define HV_MAX_WRITE_DELAY_MS	10000
#define HV_DISK_POLL_US		1000	/* vq_poll.h's window at most */
#define HV_DISK_POLL_AUTO	UINT_MAX /* no poll=: main.c decides */
struct disk_config {
	const char *path;
	bool read_only;
	const char *serial;
	unsigned int poll_us;		/* poll=, else HV_DISK_POLL_AUTO */
	unsigned int write_delay_ms;	/* a slow disk, for tests */
	struct hv_fault_cfg fault;	/* a misbehaving disk, for tests */
};

/* --net tap=IFNAME[,mac=MAC][,queues=N][,fault=...] */
#define HV_NET_MAX_PAIRS	8
struct net_config {
	const char *tap;
	uint8_t mac[6];
	bool mac_set;
	bool no_mrg_rxbuf;		/* mrg_rxbuf=off: one chain a frame */
	unsigned int queues;		/* queue pairs; 0: queues= not given */
	struct hv_fault_cfg fault;	/* a misbehaving NIC, for tests */
};

struct vm_config {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	unsigned int cpus;
	uint64_t mem_size;
	const char *stats_path;
	struct disk_config disks[HV_MAX_DISKS];
	unsigned int nr_disks;
	struct net_config nics[HV_MAX_NICS];
	unsigned int nr_nics;
	const char *control_path;
	unsigned int shutdown_timeout;	/* seconds; 0: never force */
	const char *kernel_cache;	/* --kernel-cache DIR; NULL: off */
	bool console_stdin;		/* --console-stdin */
	bool serial_stdin;		/* --serial-stdin */
};

struct vcpu {
	struct vm *vm;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	int stats_fd;		/* KVM_GET_STATS_FD's, or -1 */
	off_t halts_at;		/* where its halt_exits is in it, or -1 */
	off_t blocking_at;	/* where its blocking is, or -1 */
};

/* Port-I/O exits by what they were for; see pio.c. */
enum pio_class {
	PIO_HYPERCALL, PIO_UART, PIO_PCI, PIO_RTC, PIO_I8042, PIO_OTHER,
	PIO_CLASSES,
};

#define PIO_TOP_PORTS	8

struct vm_stats {
	uint64_t pio[PIO_CLASSES];
	struct {
		uint16_t port;
		uint64_t count;
	} pio_other_top[PIO_TOP_PORTS];	/* unclaimed ports, first seen */
	uint64_t exits_io;
	uint64_t exits_mmio;
	uint64_t exits_other;
	uint64_t hypercalls;
	uint64_t hypercall_errors;
	uint64_t hypercalls_by_slot[HV_HC_SLOTS];	/* see hypercall.c */
	uint64_t setup_us;	/* from main() until the vCPUs start; 0 before */
	bool kernel_cached;	/* booted unpacked, from the kernel cache */
	bool kernel_kaslr;	/* ...at a virtual offset pvkit-hv chose: */
	uint64_t kernel_offset;	/* bytes above the link address */
};

/* Host-to-guest events (PVKIT_EV_*), under vm->lock. */
struct vm_events {
	uint32_t enabled;		/* what the guest said it handles */
	uint32_t pending;		/* posted, not fetched yet */
};

/* The two writers of the guest console; see console.c. */
enum console_source { CONSOLE_UART, CONSOLE_HYPERCALL, CONSOLE_SOURCES };

#define CONSOLE_LINE_MAX	256

struct console_line {
	char buf[CONSOLE_LINE_MAX];
	size_t len;
};

struct console {
	pthread_mutex_t lock;
	struct console_line line[CONSOLE_SOURCES];	/* partial lines */
	uint64_t lines[CONSOLE_SOURCES];		/* lines out, by source */
	uint64_t hypercall_before_uart;	/* CONSOLE_WRITE lines before the UART's first */
};

/*
 * Input the host holds for the guest (console_in.c), under vm->lock: one
 * queue for pvkit's console (the guest's CONSOLE_READ drains it), one
 * for the UART's receiver (the guest reads it a byte at a time).
 */
#define CONSOLE_IN_MAX		4096	/* bytes the host holds, each */
#define CONSOLE_SEND_MAX	1024	/* text of one "ctl console-send" */
struct input_queue {
	uint8_t buf[CONSOLE_IN_MAX];	/* a ring */
	size_t head;
	size_t len;
	uint64_t accepted;		/* bytes, since start */
	uint64_t delivered;
	uint64_t refused;
};

/* "ctl pause" and "ctl resume" (pause.c), under lock. */
struct vm_pause {
	bool paused;
	unsigned int parked;		/* vCPU threads held */
	pthread_cond_t cond;		/* parked changed, or resumed */
	uint64_t clock;			/* kvm-clock at the pause, ns */
	struct timespec since;		/* CLOCK_MONOTONIC */
	uint64_t count;
};

/*
 * What the guest last said about itself (GUEST_INFO), for "ctl info";
 * reports come every PVKIT_GUEST_INFO_PERIOD_S, so one older than
 * HV_GUEST_STALE_S means the guest's heartbeat stopped.
 */
#define HV_GUEST_STALE_S	(3 * PVKIT_GUEST_INFO_PERIOD_S)
struct guest_report {
	struct pvkit_guest_info info;
	struct timespec at;		/* CLOCK_MONOTONIC */
	uint64_t count;
};

/* pv-mmu (balloon.c): what the guest gave back and said; under vm->lock. */
#define HV_BALLOON_MAX_PART	4	/* a balloon leaves 1/4 of RAM */
struct balloon_stats {
	uint64_t target;		/* pages, set by "ctl balloon" */
	uint64_t ballooned;		/* pages in the balloon now */
	uint64_t inflated, deflated;	/* pages, since boot */
	uint64_t reported_bytes;	/* free memory reported, since boot */
	uint64_t reports;		/* PAGE_REPORT calls taken */
	uint64_t report_ns;		/* spent dropping what they gave */
	uint64_t report_max_ns;		/* the longest of them */
	uint64_t refused;		/* pv-mmu calls refused */
	struct pvkit_mem_stats mem;	/* the last MEM_STATS */
	uint64_t mem_reports;
	struct timespec mem_at;		/* CLOCK_MONOTONIC */
};

struct vm {
	const struct vm_config *cfg;
	int kvm_fd;
	int vm_fd;
	uint8_t *ram;
	uint64_t ram_size;
	uint8_t *kernel_image;		/* the bzImage, until it is loaded */
	size_t kernel_size;
	struct vcpu vcpus[HV_MAX_CPUS];
	unsigned int nr_vcpus;
	unsigned int nr_running;	/* vCPU threads started */
	bool sync_regs;			/* registers come in kvm_run */

	pthread_mutex_t lock;		/* exit state, stats, output */
	pthread_cond_t done;
	bool finished;
	enum hv_exit exit_code;
	bool triple_fault;		/* a vCPU's KVM_EXIT_SHUTDOWN */
	struct vm_stats stats;
	struct vm_events events;
	struct vm_pause pause;
	struct guest_report guest;	/* under lock */
	struct console console;
	struct input_queue console_in;	/* under lock: pvkit's console */
	struct input_queue serial_in;	/* under lock: the UART's */
	struct uart *uart;
	struct rtc *rtc;
	struct pci_bus *pci;
	struct irq_routes *irq;
	struct virtio_dev *virtio[HV_MAX_VIRTIO];
	unsigned int nr_virtio;
	struct control *control;	/* --control, or NULL */
	struct balloon *balloon;	/* balloon.c's, under lock */
};

/* Nanoseconds from @a to @b, two CLOCK_MONOTONIC readings. */
static inline int64_t hv_ns_between(const struct timespec *a,
				    const struct timespec *b)
{
	return (int64_t)(b->tv_sec - a->tv_sec) * 1000000000 +
	       (b->tv_nsec - a->tv_nsec);
}

/* Nanoseconds of CLOCK_MONOTONIC since @a. */
static inline int64_t hv_ns_since(const struct timespec *a)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return hv_ns_between(a, &now);
}

/* guest_mem.c */
void *guest_mem__ptr(struct vm *vm, uint64_t gpa, uint64_t len);
int guest_mem__read(struct vm *vm, uint64_t gpa, void *buf, uint64_t len);

/* kvm.c */
int kvm__create_vm(struct vm *vm);
int kvm__create_vcpus(struct vm *vm);
int kvm__irq_line(struct vm *vm, unsigned int irq, int level);
int kvm__get_clock(struct vm *vm, struct kvm_clock_data *clock);
int kvm__set_clock(struct vm *vm, const struct kvm_clock_data *clock);

/* irq.c: GSI routes; MSI vectors get a GSI and an irqfd (returned). */
int irq__init(struct vm *vm);
int irq__msi_alloc(struct vm *vm, uint32_t *gsi);
int irq__msi_route(struct vm *vm, uint32_t gsi, uint64_t addr, uint32_t data);

/*
 * virtio_blk.c, virtio_net.c: one device per --disk / --net. The image
 * or tap is opened first, before /dev/kvm, so that a bad one is reported
 * as such on any machine; the device joins the VM after KVM is set up.
 */
struct virtio_blk;
struct virtio_net;
struct virtio_blk *virtio_blk__open(const struct disk_config *dc,
				    unsigned int index);
int virtio_blk__add(struct vm *vm, struct virtio_blk *blk);
struct virtio_net *virtio_net__open(const struct net_config *nc,
				    unsigned int index);
int virtio_net__add(struct vm *vm, struct virtio_net *net);

/* cpuid.c */
int cpuid__setup(struct vcpu *vcpu);

/*
 * vcpu_stats.c: whether the guest went idle, from KVM's counters of each
 * vCPU. vcpu_stats__open() takes them from KVM, vcpu_stats__use() from
 * the stats file @fd (-1: none). vm__idle_known(): every vCPU has them;
 * vm__halts(): the halts of all vCPUs so far; vm__all_blocked(): every
 * vCPU waits in KVM for an interrupt now.
 */
void vcpu_stats__open(struct vcpu *vcpu);
void vcpu_stats__use(struct vcpu *vcpu, int fd);
bool vm__idle_known(const struct vm *vm);
uint64_t vm__halts(const struct vm *vm);
bool vm__all_blocked(const struct vm *vm);

/* boot.c: the kernel is read and checked before /dev/kvm is opened */
int boot__read_kernel(struct vm *vm);
int boot__load_linux(struct vm *vm);
/* pvkit-hv unpack: @kernel's unpacked kernel into the cache @dir, now */
int boot__unpack_kernel(const char *kernel, const char *dir);

/* mptable.c */
int mptable__write(struct vm *vm, uint64_t gpa, uint64_t room);

/* vcpu.c */
int vcpu__start_all(struct vm *vm);
void vcpu__stop_all(struct vm *vm);
/* Kicks every vCPU thread out of KVM_RUN; it goes on unless paused. */
void vcpu__kick_all(struct vm *vm);
void vcpu__log_state(struct vm *vm);
/* The stopped vCPU's TSC now and its frequency; 0 or -1. */
int vcpu__read_tsc(struct vcpu *vcpu, uint64_t *tsc, uint32_t *khz);
void vm__finish(struct vm *vm, enum hv_exit code);

/* pio.c: port I/O dispatch. */
void pio__handle(struct vcpu *vcpu);
const char *pio__class_name(enum pio_class class);

/* uart.c */
struct uart *uart__create(struct vm *vm, unsigned int irq);
void uart__io(struct uart *uart, uint16_t reg, bool write, uint8_t *data);
/* vm->serial_in has new bytes: raise the receive interrupt if enabled. */
void uart__input_arrived(struct vm *vm);
/* Whether the guest's driver takes the UART's input (receive interrupt on). */
bool uart__receiving(struct vm *vm);

/* console.c */
void console__init(struct vm *vm);
void console__write(struct vm *vm, enum console_source src, const void *buf,
		    size_t len);
/* --stats: lines by source ("console": {...}). */
void console__json(struct vm *vm, FILE *out);
void console__flush(struct vm *vm);

/*
 * console_in.c: input queues for the guest. Each takes all of a push or
 * none of it; new bytes tell the guest (an event for pvkit's console,
 * the receive interrupt for the UART). console_in__ is pvkit's console.
 */
int input__push(struct vm *vm, struct input_queue *q, const void *data,
		size_t len, size_t *room);
size_t input__read(struct vm *vm, struct input_queue *q, void *dst,
		   size_t max);
size_t input__pending(struct vm *vm, struct input_queue *q);
void input__json(struct vm *vm, struct input_queue *q, const char *name,
		 FILE *out);
int input__start_reader(struct vm *vm, struct input_queue *q, int fd);
int console_in__push(struct vm *vm, const void *data, size_t len,
		     size_t *room);
size_t console_in__read(struct vm *vm, void *dst, size_t max);
int console_in__ctl_send(struct vm *vm, const char *text, FILE *out);
int serial_in__ctl_send(struct vm *vm, const char *text, FILE *out);

/* pause.c: "ctl pause" and "ctl resume"; vCPU threads park between runs. */
void pause__init(struct vm *vm);
bool pause__paused(struct vm *vm);
void pause__park(struct vcpu *vcpu);
void pause__release(struct vm *vm);
int pause__ctl_pause(struct vm *vm, FILE *out);
int pause__ctl_resume(struct vm *vm, FILE *out);

/* rtc.c */
struct rtc *rtc__create(void);
void rtc__io(struct rtc *rtc, bool data_port, bool write, uint8_t *data);

/* hypercall.c */
void hypercall__handle(struct vcpu *vcpu);

/* events.c: the guest's event mask and pending events, and the line. */
bool events__post(struct vm *vm, uint32_t events);
void events__enable(struct vm *vm, uint32_t mask);
uint32_t events__fetch(struct vm *vm);
uint32_t events__enabled(struct vm *vm);

/* balloon.c: pv-mmu calls, "ctl balloon", and the figures. */
int64_t balloon__inflate(struct vcpu *vcpu, const uint64_t *arg);
int64_t balloon__deflate(struct vcpu *vcpu, const uint64_t *arg);
int64_t balloon__page_report(struct vcpu *vcpu, const uint64_t *arg);
int64_t balloon__mem_stats(struct vcpu *vcpu, const uint64_t *arg);
int64_t balloon__target_call(struct vcpu *vcpu, const uint64_t *arg);
int balloon__set_target(struct vm *vm, uint64_t pages);
bool balloon__stats(struct vm *vm, struct balloon_stats *s);
void balloon__json(struct vm *vm, FILE *out);
int balloon__ctl(struct vm *vm, const char *arg, FILE *out);

/*
 * "queue-max DEVICE N" (virtio_ctl.c): the device's queues offer N
 * entries from its next reset on; "ok: ..." or "error: ..." in @out.
 */
int virtio_ctl__queue_max(struct vm *vm, const char *arg, FILE *out);
void balloon__free(struct vm *vm);

/* stats.c */
void stats__print(struct vm *vm, FILE *f);
int stats__write(struct vm *vm, const char *path);

/* control.c: --control SOCKET and the "pvkit-hv ctl" client. */
int control__start(struct vm *vm);
void control__stop(struct vm *vm);
int control__client(int argc, char **argv);

/* log helpers: one line on stderr, prefixed "pvkit-hv: ". */
void hv_err(const char *fmt, ...) __printf(1, 2);
void hv_info(const char *fmt, ...) __printf(1, 2);

#endif /* PVKIT_HV_H */
