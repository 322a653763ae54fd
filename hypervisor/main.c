// SPDX-License-Identifier: GPL-2.0
/*
 * pvkit-hv: pvkit's own hypervisor, a userspace VMM on the KVM API.
 *
 *   pvkit-hv run --kernel bzImage [--initrd FILE] [--cmdline STR]
 *                [--cpus N] [--mem SIZE] [--disk PATH[,ro][,...]]...
 *                [--net tap=IFNAME[,mac=MAC,...]] [--stats FILE]
 *                [--control SOCKET] [--shutdown-timeout SEC]
 *                [--console-stdin | --serial-stdin]
 *   pvkit-hv ctl SOCKET COMMAND [TEXT]
 *
 * This file parses and checks the command line (every bad flag gets one
 * clear line and exit status 2), builds the VM from the other parts and
 * waits for the guest to end; the exit status says how it ended.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv.h"
#include "kernel_cache.h"
#include "pci.h"
#include "vq_fault.h"
#include "vq_poll.h"

#define DEFAULT_CMDLINE		"console=ttyS0 panic=-1"
#define DEFAULT_MEM		(512ULL << 20)
#define COM1_IRQ		4

/*
 * One line on standard error, in one write(): the guest's console goes to
 * standard output, often the same pipe, from other threads, and a line
 * written in pieces could be split by one of the guest's (a TAP "ok" line
 * glued to the end of ours is a lost test result).
 */
static void hv_log(const char *level, const char *fmt, va_list ap)
{
	char line[1024];
	size_t len, done;
	ssize_t n;
	int ret;

	ret = snprintf(line, sizeof(line), "pvkit-hv: %s", level);
	len = ret < 0 ? 0 : (size_t)ret;
	ret = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	len += ret < 0 ? 0 : (size_t)ret;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;	/* cut short, still one line */
	line[len++] = '\n';
	for (done = 0; done < len; done += n) {
		n = write(STDERR_FILENO, line + done, len - done);
		if (n < 0 && errno == EINTR)
			n = 0;
		else if (n <= 0)
			return;
	}
}

void hv_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hv_log("error: ", fmt, ap);
	va_end(ap);
}

void hv_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hv_log("", fmt, ap);
	va_end(ap);
}

static void print_help(FILE *out)
{
	fprintf(out,
		"usage: pvkit-hv run --kernel FILE [options]\n"
		"       pvkit-hv ctl SOCKET info|stats|shutdown|reboot\n"
		"       pvkit-hv ctl SOCKET console-send|serial-send TEXT\n"
		"       pvkit-hv ctl SOCKET pause|resume\n"
		"       pvkit-hv ctl SOCKET balloon SIZE\n"
		"       pvkit-hv unpack --kernel FILE [--kernel-cache DIR]\n"
		"\n"
		"Boots a Linux bzImage in a KVM virtual machine with pvkit's\n"
		"hypercall interface (Documentation/hypercall-abi.rst).\n"
		"\n"
		"  --kernel FILE    64-bit relocatable bzImage to boot (required)\n"
		"  --initrd FILE    initramfs to load at the top of RAM\n"
		"  --cmdline STR    kernel command line (default: \"%s\")\n"
		"  --cpus N         virtual CPUs, 1 to %d (default: 1)\n"
		"  --mem SIZE       guest RAM: a number with K, M or G (plain\n"
		"                   numbers are MiB), 128M to 3G (default: 512M)\n"
		"  --disk PATH[,ro][,serial=ID][,poll=US][,write-delay=MS][,fault=F]\n"
		"                   a virtio block device on a raw image file or\n"
		"                   block device; ro: read-only; ID: up to 20\n"
		"                   characters (default pvkit-diskN); US: longest\n"
		"                   time a queue looks for the guest's next\n"
		"                   request before it interrupts and sleeps (0\n"
		"                   to %u microseconds, 0: never; default %u\n"
		"                   where pvkit-hv may run on more CPUs than\n"
		"                   --cpus, else 0);\n"
		"                   MS: hold each write that long first, a slow\n"
		"                   disk for tests (0 to 10000, default 0); F,\n"
		"                   test only: bad-id or bad-len: reads and\n"
		"                   writes reaching sector fault-from=SECTOR\n"
		"                   (default 0) return a used id never made\n"
		"                   available, or a length one byte past the\n"
		"                   request's writable buffers; early-used: a\n"
		"                   used element in each queue enabled before\n"
		"                   the driver is ready, and an interrupt;\n"
		"                   up to %d disks\n"
		"  --net tap=IFNAME[,mac=MAC][,queues=N][,mrg_rxbuf=on|off][,fault=F]\n"
		"                   a virtio network device on tap IFNAME (made\n"
		"                   if missing, which needs CAP_NET_ADMIN); MAC\n"
		"                   like 52:54:00:12:34:56 (default: generated);\n"
		"                   N: queue pairs, 1 to %d (default 1; more\n"
		"                   need a multi-queue tap: 'ip tuntap add dev\n"
		"                   IFNAME mode tap multi_queue', or a missing\n"
		"                   one); mrg_rxbuf=off: no mergeable receive\n"
		"                   buffers (the driver posts each big enough\n"
		"                   for any frame; default on);\n"
		"                   F, test only: bad-id or bad-len, as for\n"
		"                   --disk, on every received frame; tx-bad-id:\n"
		"                   a used id never made available for every\n"
		"                   sent frame, with no interrupt\n"
		"  --kernel-cache DIR|off\n"
		"                   keep the bzImage's kernel unpacked in DIR\n"
		"                   (made if missing) and boot it from there the\n"
		"                   next time, with KASLR done by pvkit-hv; off:\n"
		"                   the guest unpacks it at every boot; DIR keeps\n"
		"                   the 4 kernels used last (default:\n"
		"                   $XDG_CACHE_HOME/pvkit-hv, else\n"
		"                   ~/.cache/pvkit-hv, else off)\n"
		"  --stats FILE     write exit, hypercall and virtqueue counts as\n"
		"                   JSON at exit\n"
		"  --control SOCKET serve 'pvkit-hv ctl' on this unix socket: info,\n"
		"                   stats, shutdown and reboot (asks the guest),\n"
		"                   console-send TEXT (a line of input for\n"
		"                   /dev/pvcon0), serial-send TEXT (the same for\n"
		"                   the UART, /dev/ttyS0),\n"
		"                   pause and resume (the vCPUs and the guest's clock),\n"
		"                   balloon SIZE (RAM the guest gives back)\n"
		"  --console-stdin  feed pvkit-hv's standard input to the guest's\n"
		"                   console input (/dev/pvcon0), waiting while the\n"
		"                   guest has not read what came before\n"
		"  --serial-stdin   the same for the UART's receiver (/dev/ttyS0);\n"
		"                   one of the two at most\n"
		"  --shutdown-timeout SEC\n"
		"                   end the VM this long after a shutdown or reboot\n"
		"                   request the guest has not acted on; 0: never\n"
		"                   (default: %d)\n"
		"  -h, --help       this text\n"
		"\n"
		"Exit status: 0 guest powered off, 1 set-up failed, 2 bad command\n"
		"line, 3 guest rebooted, 4 guest crashed, 5 KVM failed to run it,\n"
		"6 guest ended by force after --shutdown-timeout, 7 stopped by\n"
		"SIGTERM or SIGINT (where each vCPU was is logged). 'ctl' exits\n"
		"0 on success, 1 on a refused command or no connection.\n",
		DEFAULT_CMDLINE, HV_MAX_CPUS, VQ_POLL_MAX_US,
		HV_DISK_POLL_US, HV_MAX_DISKS, HV_NET_MAX_PAIRS,
		HV_SHUTDOWN_TIMEOUT);
}

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hv_log("error: ", fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'pvkit-hv run --help'.\n");
	return HV_EXIT_USAGE;
}

/* "512", "512M", "2G", "131072K" -> bytes; 0 on a malformed size. */
static uint64_t parse_size(const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || v == 0 || v > (1ULL << 40))
		return 0;
	switch (*end) {
	case '\0':
	case 'M':
	case 'm':
		v <<= 20;
		break;
	case 'G':
	case 'g':
		v <<= 30;
		break;
	case 'K':
	case 'k':
		v <<= 10;
		break;
	default:
		return 0;
	}
	if (*end && end[1] && strcmp(end + 1, "iB") && strcmp(end + 1, "B"))
		return 0;
	return v;
}

/* A whole decimal number from @min to @max, or false. */
static bool parse_uint(const char *s, unsigned long min, unsigned long max,
		       unsigned int *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* "PATH[,ro][,serial=ID][,poll=US][,write-delay=MS][,fault=F][,fault-from=S]" */
static int parse_disk(char *arg, struct vm_config *cfg)
{
	struct disk_config *dc;
	char *opt, *save;
	const char *why;
	int fault;

	if (cfg->nr_disks == HV_MAX_DISKS)
		return usage_error("--disk: at most %d disks", HV_MAX_DISKS);
	dc = &cfg->disks[cfg->nr_disks];
	dc->poll_us = HV_DISK_POLL_AUTO;
	dc->path = strtok_r(arg, ",", &save);
	if (!dc->path)
		return usage_error("--disk needs a file name");
	while ((opt = strtok_r(NULL, ",", &save))) {
		fault = vq_fault__parse(&dc->fault, opt, false, &why);
		if (fault < 0)
			return usage_error("--disk '%s': %s: %s", dc->path,
					   opt, why);
		if (fault)
			continue;
		if (!strcmp(opt, "ro"))
			dc->read_only = true;
		else if (!strncmp(opt, "serial=", 7) && strlen(opt + 7) <= 20)
			dc->serial = opt + 7;
		else if (!strncmp(opt, "poll=", 5)) {
			if (!parse_uint(opt + 5, 0, VQ_POLL_MAX_US,
					&dc->poll_us))
				return usage_error("--disk '%s': poll=%s: not a number of microseconds from 0 to %u",
						   dc->path, opt + 5,
						   VQ_POLL_MAX_US);
		} else if (!strncmp(opt, "write-delay=", 12)) {
			if (!parse_uint(opt + 12, 0, HV_MAX_WRITE_DELAY_MS,
					&dc->write_delay_ms))
				return usage_error("--disk '%s': write-delay=%s: not a number of milliseconds from 0 to %d",
						   dc->path, opt + 12,
						   HV_MAX_WRITE_DELAY_MS);
		} else
			return usage_error("--disk '%s': unknown option '%s' (ro, serial=ID of at most 20 characters, poll=US, write-delay=MS, fault=bad-id|bad-len|early-used, fault-from=SECTOR)",
					   dc->path, opt);
	}
	if (access(dc->path, dc->read_only ? R_OK : R_OK | W_OK))
		return usage_error("--disk '%s': %s", dc->path,
				   strerror(errno));
	cfg->nr_disks++;
	return 0;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];
	char end;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
		   &b[3], &b[4], &b[5], &end) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = b[i];
	/* a station address: not multicast */
	return (mac[0] & 1) ? -1 : 0;
}

/* "tap=IFNAME[,mac=MAC][,queues=N][,mrg_rxbuf=on|off][,fault=F]" */
static int parse_net(char *arg, struct vm_config *cfg)
{
	struct net_config *nc;
	const char *why;
	char *opt, *save;
	int fault;

	if (cfg->nr_nics == HV_MAX_NICS)
		return usage_error("--net: at most %d network devices",
				   HV_MAX_NICS);
	nc = &cfg->nics[cfg->nr_nics];
	for (opt = strtok_r(arg, ",", &save); opt;
	     opt = strtok_r(NULL, ",", &save)) {
		if (!strncmp(opt, "fault-from=", 11))
			return usage_error("--net: fault-from= is for --disk; a NIC with fault= misbehaves on every frame it receives (tx-bad-id: sends)");
		fault = vq_fault__parse(&nc->fault, opt, true, &why);
		if (fault < 0)
			return usage_error("--net: %s", why);
		if (fault)
			continue;
		if (!strncmp(opt, "tap=", 4) && opt[4] &&
		    strlen(opt + 4) < 16) {
			nc->tap = opt + 4;
		} else if (!strncmp(opt, "mac=", 4)) {
			if (parse_mac(opt + 4, nc->mac))
				return usage_error("--net: '%s' is not a unicast MAC address like 52:54:00:12:34:56",
						   opt + 4);
			nc->mac_set = true;
		} else if (!strcmp(opt, "mrg_rxbuf=on") ||
			   !strcmp(opt, "mrg_rxbuf=off")) {
			nc->no_mrg_rxbuf = !strcmp(opt + 10, "off");
		} else if (!strncmp(opt, "queues=", 7)) {
			if (!parse_uint(opt + 7, 1, HV_NET_MAX_PAIRS,
					&nc->queues))
				return usage_error("--net: queues=%s: not a number of queue pairs from 1 to %d",
						   opt + 7, HV_NET_MAX_PAIRS);
		} else {
			return usage_error("--net: unknown option '%s' (tap=IFNAME of at most 15 characters, mac=MAC, queues=N, mrg_rxbuf=on|off, fault=bad-id|bad-len|tx-bad-id)",
					   opt);
		}
	}
	if (!nc->tap)
		return usage_error("--net needs tap=IFNAME");
	cfg->nr_nics++;
	return 0;
}

/* getopt_long()'s ':' (a value missing) or '?' (an unknown option) */
static int option_error(int c, char **argv)
{
	if (c == ':')
		return usage_error("%s needs a value", argv[optind - 1]);
	return usage_error("unknown option '%s'", argv[optind - 1]);
}

/*
 * The disks without poll=: a queue thread that polls needs a CPU of its
 * own beside the vCPUs' threads; where pvkit-hv may run on no more CPUs
 * than the guest has vCPUs, polling only takes time from a vCPU and saves
 * no exit (Documentation/hypervisor.rst, "Polling"), so it is off.
 */
static void disk_poll_defaults(struct vm_config *cfg)
{
	unsigned int i, poll_us = HV_DISK_POLL_US;
	cpu_set_t cpus;

	if (!sched_getaffinity(0, sizeof(cpus), &cpus) &&
	    CPU_COUNT(&cpus) <= (int)cfg->cpus)
		poll_us = 0;
	for (i = 0; i < cfg->nr_disks; i++)
		if (cfg->disks[i].poll_us == HV_DISK_POLL_AUTO)
			cfg->disks[i].poll_us = poll_us;
}

static int parse_run_args(int argc, char **argv, struct vm_config *cfg)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "cpus", required_argument, NULL, 'n' },
		{ "mem", required_argument, NULL, 'm' },
		{ "stats", required_argument, NULL, 's' },
		{ "disk", required_argument, NULL, 'D' },
		{ "net", required_argument, NULL, 'N' },
		{ "control", required_argument, NULL, 'C' },
		{ "shutdown-timeout", required_argument, NULL, 'T' },
		{ "kernel-cache", required_argument, NULL, 'K' },
		{ "console-stdin", no_argument, NULL, 'I' },
		{ "serial-stdin", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			cfg->kernel = optarg;
			break;
		case 'i':
			cfg->initrd = optarg;
			break;
		case 'c':
			cfg->cmdline = optarg;
			break;
		case 'n':
			if (!parse_uint(optarg, 1, HV_MAX_CPUS, &cfg->cpus))
				return usage_error("--cpus takes 1 to %d, not '%s'",
						   HV_MAX_CPUS, optarg);
			break;
		case 'm':
			cfg->mem_size = parse_size(optarg);
			if (!cfg->mem_size)
				return usage_error("--mem: '%s' is not a size (try 512M or 1G)",
						   optarg);
			if (cfg->mem_size < HV_MIN_MEM ||
			    cfg->mem_size > HV_MAX_MEM)
				return usage_error("--mem must be between 128M and 3G, not %s",
						   optarg);
			break;
		case 's':
			cfg->stats_path = optarg;
			break;
		case 'C':
			cfg->control_path = optarg;
			break;
		case 'T':
			if (!parse_uint(optarg, 0, 86400, &cfg->shutdown_timeout))
				return usage_error("--shutdown-timeout takes 0 to 86400 seconds, not '%s'",
						   optarg);
			break;
		case 'K':
			if (!*optarg)
				return usage_error("--kernel-cache takes a directory or 'off'");
			cfg->kernel_cache = strcmp(optarg, "off") ? optarg : NULL;
			break;
		case 'I':
			cfg->console_stdin = true;
			break;
		case 'S':
			cfg->serial_stdin = true;
			break;
		case 'D':
			if (parse_disk(optarg, cfg))
				return HV_EXIT_USAGE;
			break;
		case 'N':
			if (parse_net(optarg, cfg))
				return HV_EXIT_USAGE;
			break;
		case 'h':
			print_help(stdout);
			exit(0);
		default:
			return option_error(c, argv);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	disk_poll_defaults(cfg);
	if (cfg->console_stdin && cfg->serial_stdin)
		return usage_error("--console-stdin and --serial-stdin both read standard input: give one");
	if (!cfg->kernel)
		return usage_error("--kernel is required");
	if (access(cfg->kernel, R_OK))
		return usage_error("--kernel '%s': %s", cfg->kernel,
				   strerror(errno));
	if (cfg->initrd && access(cfg->initrd, R_OK))
		return usage_error("--initrd '%s': %s", cfg->initrd,
				   strerror(errno));
	return 0;
}

/*
 * pvkit-hv unpack --kernel FILE [--kernel-cache DIR]: fills the kernel
 * cache now, as a first boot would in the background.
 */
static int unpack_command(int argc, char **argv, const char *dir)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "kernel-cache", required_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 },
	};
	const char *kernel = NULL;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			kernel = optarg;
			break;
		case 'K':
			dir = optarg;
			break;
		default:
			return option_error(c, argv);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!kernel)
		return usage_error("unpack: --kernel is required");
	if (!dir || !strcmp(dir, "off") || !*dir)
		return usage_error("unpack: no cache directory (give --kernel-cache DIR, or set HOME)");
	return boot__unpack_kernel(kernel, dir) ? HV_EXIT_ERROR : 0;
}

/* The disk images and taps, opened before /dev/kvm (hv.h, virtio_blk.c). */
struct backends {
	struct virtio_blk *disks[HV_MAX_DISKS];
	struct virtio_net *nics[HV_MAX_NICS];
};

static int open_backends(const struct vm_config *cfg, struct backends *be)
{
	unsigned int i;

	for (i = 0; i < cfg->nr_disks; i++) {
		be->disks[i] = virtio_blk__open(&cfg->disks[i], i);
		if (!be->disks[i])
			return -1;
	}
	for (i = 0; i < cfg->nr_nics; i++) {
		be->nics[i] = virtio_net__open(&cfg->nics[i], i);
		if (!be->nics[i])
			return -1;
	}
	return 0;
}

static int add_devices(struct vm *vm, const struct backends *be)
{
	const struct vm_config *cfg = vm->cfg;
	unsigned int i;

	if (irq__init(vm) || pci__init(vm)) {
		hv_err("out of memory for the PCI bus");
		return -1;
	}
	for (i = 0; i < cfg->nr_disks; i++)
		if (virtio_blk__add(vm, be->disks[i]))
			return -1;
	for (i = 0; i < cfg->nr_nics; i++)
		if (virtio_net__add(vm, be->nics[i]))
			return -1;
	return 0;
}

/*
 * SIGTERM and SIGINT end the guest from outside (a harness timeout, say):
 * one thread takes them, while every other thread blocks them.
 */
static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
}

static void *stop_signal_thread(void *arg)
{
	struct vm *vm = arg;
	sigset_t set;
	int sig;

	stop_signals(&set);
	if (sigwait(&set, &sig) == 0) {
		hv_err("stopped by %s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		vm__finish(vm, HV_EXIT_STOPPED);
	}
	return NULL;
}

static int start_stop_signal_thread(struct vm *vm)
{
	pthread_t thread;
	sigset_t set;
	int err;

	stop_signals(&set);
	err = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (!err)
		err = pthread_create(&thread, NULL, stop_signal_thread, vm);
	if (!err)
		err = pthread_detach(thread);
	if (err)
		hv_err("setting up SIGTERM handling: %s", strerror(err));
	return err ? -1 : 0;
}

/* @started: when main() began, for the set-up time in the statistics */
static int run_vm(const struct vm_config *cfg, const struct timespec *started)
{
	static struct backends be;
	static struct vm vm;

	vm.cfg = cfg;
	pthread_mutex_init(&vm.lock, NULL);
	pthread_cond_init(&vm.done, NULL);
	console__init(&vm);
	pause__init(&vm);
	if (start_stop_signal_thread(&vm))
		return HV_EXIT_ERROR;

	/* a bad kernel, image or tap is reported even where KVM is not */
	if (boot__read_kernel(&vm) || open_backends(cfg, &be))
		return HV_EXIT_ERROR;
	if (kvm__create_vm(&vm) || kvm__create_vcpus(&vm))
		return HV_EXIT_ERROR;
	vm.uart = uart__create(&vm, COM1_IRQ);
	vm.rtc = rtc__create();
	if (!vm.uart || !vm.rtc) {
		hv_err("out of memory for devices");
		return HV_EXIT_ERROR;
	}
	if (add_devices(&vm, &be) || boot__load_linux(&vm) ||
	    control__start(&vm))
		return HV_EXIT_ERROR;
	pthread_mutex_lock(&vm.lock);
	vm.stats.setup_us = hv_ns_since(started) / 1000;
	pthread_mutex_unlock(&vm.lock);
	if (vcpu__start_all(&vm))
		return HV_EXIT_ERROR;
	if (cfg->console_stdin &&
	    input__start_reader(&vm, &vm.console_in, STDIN_FILENO))
		return HV_EXIT_ERROR;
	if (cfg->serial_stdin &&
	    input__start_reader(&vm, &vm.serial_in, STDIN_FILENO))
		return HV_EXIT_ERROR;

	pthread_mutex_lock(&vm.lock);
	while (!vm.finished)
		pthread_cond_wait(&vm.done, &vm.lock);
	pthread_mutex_unlock(&vm.lock);
	vcpu__stop_all(&vm);
	control__stop(&vm);
	console__flush(&vm);
	if (vm.exit_code == HV_EXIT_STOPPED || vm.triple_fault)
		vcpu__log_state(&vm);

	if (cfg->stats_path && stats__write(&vm, cfg->stats_path))
		return HV_EXIT_ERROR;
	return vm.exit_code;
}

int main(int argc, char **argv)
{
	struct timespec started;
	struct vm_config cfg = {
		.cmdline = DEFAULT_CMDLINE,
		.cpus = 1,
		.mem_size = DEFAULT_MEM,
		.shutdown_timeout = HV_SHUTDOWN_TIMEOUT,
		.kernel_cache = kcache__default_dir(),
	};
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &started);
	if (argc < 2) {
		print_help(stderr);
		return HV_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		print_help(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "ctl"))
		return control__client(argc - 2, argv + 2);
	if (!strcmp(argv[1], "unpack"))
		return unpack_command(argc - 1, argv + 1, cfg.kernel_cache);
	if (strcmp(argv[1], "run"))
		return usage_error("unknown command '%s' (the commands are 'run', 'ctl' and 'unpack')",
				   argv[1]);

	ret = parse_run_args(argc - 1, argv + 1, &cfg);
	if (ret)
		return ret;
	fflush(stdout);
	/* After a failed set-up, vCPU threads may still be running. */
	_exit(run_vm(&cfg, &started));
}
