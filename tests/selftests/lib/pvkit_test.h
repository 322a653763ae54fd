/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by pvkit's in-guest kselftests: loading and unloading
 * pvkit's modules with the raw syscalls, reading sysfs files, finding
 * kernel log lines written after a mark, and reading /proc/meminfo.
 */
#ifndef PVKIT_TEST_H
#define PVKIT_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../../hypervisor/compiler.h"

/* The host mode the harness booted this guest on: "kvm", "hv" or "tcg". */
const char *pvkit_test_host(void);

/*
 * True on the harness's debug kernel (PVKIT_KERNEL=custom-debug: KASAN,
 * DEBUG_PAGEALLOC, lockdep and kmemleak make it several times slower),
 * for the tests whose time bounds are figures of a production kernel.
 */
bool pvkit_debug_kernel(void);

/*
 * What each test's time limit is multiplied by (pvkit_test_main.h):
 * PVKIT_TEST_TIMEOUT_SCALE_DEBUG on the debug kernel, else 1.
 */
#define PVKIT_TEST_TIMEOUT_SCALE_DEBUG	4
int pvkit_test_timeout_scale(void);

/*
 * Loads <dir>/<name>.ko with finit_module; 0 or -errno (-EEXIST when the
 * module is loaded already or built into the kernel).
 */
int pvkit_load(const char *name);
/* Loads the module file at @path with finit_module; 0 or -errno. */
int pvkit_load_path(const char *path);
/* delete_module with O_NONBLOCK; 0 or -errno. */
int pvkit_unload(const char *name);
bool pvkit_module_loaded(const char *name);
/*
 * Whether module @name is built into the running kernel (a kernel with
 * pvkit's patches applied), as /lib/modules/<release>/modules.builtin
 * says: such a module cannot be unloaded or loaded again.
 */
bool pvkit_builtin(const char *name);

/* Why a test that unloads a module skips it when pvkit_builtin() says so. */
#define PVKIT_BUILTIN_SKIP	"%s is built into this kernel: it cannot be unloaded"

/* Reads a whole small file into buf (NUL-terminated, trailing newline
 * removed); returns the length or -errno.
 */
int pvkit_read_file(const char *path, char *buf, size_t size);
/* Writes @text to a file (created 0600 if missing); 0 or -errno. */
int pvkit_write_file(const char *path, const char *text);
/* Reads a decimal number from a file; -1 on error. */
long long pvkit_read_number(const char *path);
bool pvkit_path_exists(const char *path);

/* Writes a unique mark into the kernel log and returns its id. */
unsigned int pvkit_kmsg_mark(void);
/* Counts kernel log lines after mark @id that contain @needle. */
int pvkit_kmsg_count_since(unsigned int id, const char *needle);
/* Counts the lines of the whole kernel log buffer that contain @needle. */
int pvkit_kmsg_count(const char *needle);
/* Counts kernel log lines after mark @id that look like a kernel problem
 * (a WARN() or lockdep splat, BUG, Oops, a call trace, KASAN, UBSAN, a
 * leak report).
 */
int pvkit_kmsg_problems_since(unsigned int id);

/* The virtio disk whose serial is @serial, pvkit_blk's ("pvblk0") or the
 * distro virtio_blk's ("vda"): its name in @name; 0 or -ENOENT.
 */
int pvkit_find_disk(const char *serial, char *name, size_t size);

/*
 * The virtio device ("virtio4") behind a class device such as
 * /sys/block/pvblk0 or /sys/class/net/eth1 (@class_dir), in @vdev; ""
 * if it has none.
 */
void pvkit_virtio_dev(const char *class_dir, char *vdev, size_t size);
/* The virtio status byte of @vdev (0 once it was reset), or -1. */
long pvkit_virtio_status(const char *vdev);
/* Whether driver and device of @vdev ("virtio4") agreed on feature @bit. */
bool pvkit_virtio_negotiated(const char *vdev, unsigned int bit);
/* The driver bound to virtio device @vdev, in @name; "" if none. */
void pvkit_virtio_driver(const char *vdev, char *name, size_t size);

/* Waits up to @secs for interface @nic's carrier; whether it came. */
bool pvkit_wait_carrier(const char *nic, double secs);

/*
 * The test NIC's MAC on every host, the host side of its tap and the
 * guest's address on it (tests/harness/vmm-devices.sh).
 */
#define PVKIT_TEST_MAC		"52:54:00:12:34:56"
#define PVKIT_TEST_HOST_IP	"10.0.2.1"
#define PVKIT_TEST_GUEST_IP	"10.0.2.15"

/* Tools the harness's tools disk brings (tests/harness/rootfs.sh). */
#define PVKIT_FIO		"/usr/bin/fio"
#define PVKIT_IPERF3		"/usr/bin/iperf3"
/*
 * On /dev/@disk, @len bytes at @off (4 KiB multiples) are written and
 * zeroed with BLKZEROOUT, then written and discarded with BLKDISCARD:
 * 0 if both calls worked and the zeroed range (and, with
 * @discard_zeroes, the discarded one) reads back as zeroes; otherwise
 * -1, with what went wrong printed.
 */
int pvkit_zero_and_discard(const char *disk, uint64_t off, uint64_t len,
			   bool discard_zeroes);

/* 0 if tool @path is there to run, else -1 with a hint printed. */
int pvkit_need_tool(const char *path);

/* SIOCETHTOOL on interface @nic with the command in @data: 0 or -errno. */
int pvkit_ethtool(const char *nic, void *data);

/* The CPUs this process may run on, in @cpus (up to @max): how many. */
unsigned int pvkit_allowed_cpus(int *cpus, unsigned int max);
/*
 * This process (and what it runs from now on) may run on @cpus[0 .. @n)
 * only: 0 or -errno.
 */
int pvkit_run_on_cpus(const int *cpus, unsigned int n);

/*
 * The network interface driver @driver made, with MAC address @mac if
 * that is not NULL, in @name: 0, or -1 if none.
 */
int pvkit_find_nic(const char *driver, const char *mac, char *name,
		   size_t size);

/*
 * Reads 4 KiB of block device /dev/@disk at @offset with O_DIRECT (past
 * the page cache: what the device answers), the first @size bytes of
 * them into @out if it is not NULL: the bytes read, or -errno.
 */
ssize_t pvkit_read_block(const char *disk, long long offset, void *out,
			 size_t size);

/*
 * Writes @text (and a newline, zero-padded to 4 KiB) to block device
 * /dev/@disk at @offset with O_DIRECT, flushes it (fsync) and reads it
 * back: 0 if all worked and the block came back the same, else -errno
 * (-EILSEQ: it came back different).
 */
int pvkit_write_flush_read(const char *disk, long long offset,
			   const char *text);

/*
 * Tries to write a block at the start of /dev/@disk: 0 if that is refused
 * (the open with EROFS or EACCES, or the write with EPERM, EROFS or EIO),
 * -1 (and a line on stderr) if not.
 */
int pvkit_write_refused(const char *disk);

/*
 * fio's crc32c verify on /dev/@disk: two jobs, each random 4 KiB writes
 * over its own 2 MiB (0 to 4 MiB of the disk), then every block read back
 * and checked; fio's output in @out, printed if it failed. fio's exit
 * status, or -1.
 */
int pvkit_fio_verify(const char *disk, const char *out);

/*
 * A 2 s iperf3 TCP run with the server at @host_ip, the data going to it
 * or, if @from_host, coming from it (-R), its output in @out: 0 if it ran
 * and the receiver got data; the rate is printed as a note ("# note:
 * iperf3 TCP guest to host, @what: N Kbits/sec").
 */
int pvkit_iperf3_tcp(const char *host_ip, const char *out, const char *what,
		     bool from_host);

/* Runs a shell command line; its exit status, or -1 if it did not exit. */
int pvkit_run(const char *fmt, ...) __printf(1, 2);

/*
 * Prints "##PVKIT## " and the text as one line, flushed: a request of
 * the host or an expectation for tests/harness (hv-control, tap-check).
 */
void pvkit_marker(const char *fmt, ...) __printf(1, 2);

/*
 * Writes a unique line through @dev (a device whose text only the
 * hypervisor can put in the console log) and asks the harness to find it
 * there ("##PVKIT## expect-console HEX"). 0, or -errno if the write failed.
 */
int pvkit_send_console_check(const char *dev, const char *tag);

/*
 * A line from the host on a console tty @dev (/dev/pvcon0, /dev/hvc0),
 * sent by tests/harness/hv-control when a test asks for it: open @dev
 * first (a line at a time, no echo, old input dropped; the fd or
 * -errno), then print the request, then read the line (its length with
 * the newline, or -ETIMEDOUT after @wait_s seconds, or -errno).
 */
int pvkit_host_line_open(const char *dev);
int pvkit_host_line_read(int fd, int wait_s, char *buf, size_t size);

/*
 * On pvkit-hv: has tests/harness/hv-control run "pvkit-hv ctl SOCKET
 * @command" (at most three words) as request @name (lower case and
 * '-'), and waits up to @wait_s for its word on /dev/pvcon0 that it
 * did: 0, or -errno (-EPROTO: another line came). The answer is judged
 * on the host: "##PVKIT## expect-ctl @name TEXT" lines say what it must
 * hold.
 */
int pvkit_host_ctl(const char *name, const char *command, int wait_s);

/*
 * On pvkit-hv: has tests/harness/hv-control open @n TCP connections from
 * the host to @ip:@port (closing each once it is accepted and closed, or
 * after 3 s unanswered), and waits up to @wait_s for its word that it
 * did: as pvkit_host_ctl().
 */
int pvkit_host_connect(const char *name, const char *ip, int port, int n,
		       int wait_s);

/* CLOCK_MONOTONIC in seconds, for a test's deadlines and rates. */
double pvkit_now_s(void);

/* A /proc/meminfo field in KiB, or -1. */
long long pvkit_meminfo_kb(const char *field);

#endif /* PVKIT_TEST_H */
