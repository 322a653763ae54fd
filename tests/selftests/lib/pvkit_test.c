// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by pvkit's in-guest kselftests (see pvkit_test.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/sockios.h>

#include "pvkit_test.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define KLOG_READ_ALL	3
#define KLOG_SIZE	10
#define MARK_PREFIX	"pvkit-selftest-mark "

const char *pvkit_test_host(void)
{
	const char *host = getenv("PVKIT_HOST");

	return host ? host : "unknown";
}

bool pvkit_debug_kernel(void)
{
	const char *kernel = getenv("PVKIT_KERNEL");

	return kernel && !strcmp(kernel, "custom-debug");
}

int pvkit_test_timeout_scale(void)
{
	return pvkit_debug_kernel() ? PVKIT_TEST_TIMEOUT_SCALE_DEBUG : 1;
}

bool pvkit_builtin(const char *name)
{
	char path[256], line[512], want[128];
	struct utsname uts;
	bool found = false;
	size_t n, w;
	FILE *f;

	if (uname(&uts))
		return false;
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.builtin",
		 uts.release);
	snprintf(want, sizeof(want), "/%s.ko", name);
	w = strlen(want);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		n = strlen(line);
		found = n >= w && !strcmp(line + n - w, want);
	}
	fclose(f);
	return found;
}

int pvkit_load(const char *name)
{
	const char *dir = getenv("PVKIT_MODULES");
	char path[512];

	if (pvkit_builtin(name))
		return -EEXIST;

	snprintf(path, sizeof(path), "%s/%s.ko", dir ? dir : "/pvkit/modules",
		 name);
	return pvkit_load_path(path);
}

int pvkit_load_path(const char *path)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

int pvkit_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

bool pvkit_module_loaded(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return pvkit_path_exists(path);
}

int pvkit_read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return n;
}

int pvkit_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n < 0 ? -errno : 0;
}

long long pvkit_read_number(const char *path)
{
	char buf[64], *end;
	long long v;

	if (pvkit_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || *end)
		return -1;
	return v;
}

bool pvkit_path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

unsigned int pvkit_kmsg_mark(void)
{
	static unsigned int seq;
	unsigned int id = (unsigned int)getpid() * 1000u + ++seq;
	char line[64];
	int fd, len;

	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		len = snprintf(line, sizeof(line), MARK_PREFIX "%u\n", id);
		if (write(fd, line, len) != len)
			id = 0;
		close(fd);
	}
	return id;
}

/* Returns a malloc'd copy of the whole kernel log buffer, or NULL. */
static char *kmsg_all(void)
{
	char *buf;
	int size, n;

	size = klogctl(KLOG_SIZE, NULL, 0);
	if (size <= 0)
		return NULL;
	buf = malloc(size + 1);
	if (!buf)
		return NULL;
	n = klogctl(KLOG_READ_ALL, buf, size);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* Returns a malloc'd copy of the kernel log after mark @id, or NULL. */
static char *kmsg_since(unsigned int id)
{
	char mark[64], *buf = kmsg_all(), *start;

	if (!buf)
		return NULL;
	snprintf(mark, sizeof(mark), MARK_PREFIX "%u\n", id);
	start = strstr(buf, mark);
	if (!start) {
		free(buf);
		return NULL;
	}
	memmove(buf, start + strlen(mark), strlen(start + strlen(mark)) + 1);
	return buf;
}

static int count_lines(const char *log, const char * const *needles,
		       size_t nr_needles)
{
	const char *line = log;
	int count = 0;

	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		size_t i;

		for (i = 0; i < nr_needles; i++) {
			if (memmem(line, len, needles[i], strlen(needles[i]))) {
				count++;
				break;
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	return count;
}

/* The lines of @log (freed here) that contain @needle; -1 without a log. */
static int count_and_free(char *log, const char *needle)
{
	int count;

	if (!log)
		return -1;
	count = count_lines(log, &needle, 1);
	free(log);
	return count;
}

int pvkit_kmsg_count_since(unsigned int id, const char *needle)
{
	return count_and_free(kmsg_since(id), needle);
}

int pvkit_kmsg_count(const char *needle)
{
	return count_and_free(kmsg_all(), needle);
}

int pvkit_kmsg_problems_since(unsigned int id)
{
	static const char * const problems[] = {
		"WARNING: CPU:", "cut here", "WARNING: possible",
		"WARNING: suspicious", "WARNING: inconsistent", "BUG:", "Oops",
		"Call Trace:", "KASAN", "UBSAN", "kmemleak",
		"general protection fault", "refcount_t:",
	};
	char *log = kmsg_since(id);
	int count;

	if (!log)
		return -1;
	count = count_lines(log, problems, ARRAY_SIZE(problems));
	free(log);
	return count;
}

int pvkit_find_disk(const char *serial, char *name, size_t size)
{
	char path[300], buf[64];
	struct dirent *d;
	DIR *dir = opendir("/sys/block");
	int ret = -ENOENT;

	if (!dir)
		return -errno;
	while (ret && (d = readdir(dir))) {
		/* pvkit_blk's disks, or the distro virtio_blk's */
		if (strncmp(d->d_name, "pvblk", 5) && strncmp(d->d_name, "vd", 2))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/serial", d->d_name);
		if (pvkit_read_file(path, buf, sizeof(buf)) > 0 &&
		    !strcmp(buf, serial)) {
			snprintf(name, size, "%s", d->d_name);
			ret = 0;
		}
	}
	closedir(dir);
	return ret;
}

int pvkit_run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	status = system(cmd);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

ssize_t pvkit_read_block(const char *disk, long long offset, void *out,
			 size_t size)
{
	char path[64];
	void *buf;
	ssize_t n;
	int fd;

	if (posix_memalign(&buf, 4096, 4096))
		return -ENOMEM;
	snprintf(path, sizeof(path), "/dev/%s", disk);
	fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		n = -errno;
	} else {
		n = pread(fd, buf, 4096, offset);
		if (n < 0)
			n = -errno;
		close(fd);
	}
	if (out && n > 0)
		memcpy(out, buf, size < (size_t)n ? size : (size_t)n);
	free(buf);
	return n;
}

int pvkit_write_flush_read(const char *disk, long long offset,
			   const char *text)
{
	char path[64];
	void *out = NULL, *in = NULL;
	int fd, ret = -ENOMEM;

	if (posix_memalign(&out, 4096, 4096) || posix_memalign(&in, 4096, 4096))
		goto out;
	memset(out, 0, 4096);
	memset(in, 0, 4096);
	snprintf(out, 4096, "%s\n", text);
	snprintf(path, sizeof(path), "/dev/%s", disk);
	fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	/* fsync of a block device sends the device a flush */
	if (pwrite(fd, out, 4096, offset) != 4096 || fsync(fd) ||
	    pread(fd, in, 4096, offset) != 4096)
		ret = errno ? -errno : -EIO;
	else
		ret = memcmp(out, in, 4096) ? -EILSEQ : 0;
	close(fd);
out:
	free(out);
	free(in);
	return ret;
}

int pvkit_write_refused(const char *disk)
{
	char path[64];
	void *buf;
	int fd, ret = -1;

	if (posix_memalign(&buf, 4096, 4096))
		return -1;
	memset(buf, 0xa5, 4096);
	snprintf(path, sizeof(path), "/dev/%s", disk);
	/* opening may work; the write itself must not */
	fd = open(path, O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (fd >= 0) {
		if (pwrite(fd, buf, 4096, 0) < 0 &&
		    (errno == EPERM || errno == EROFS || errno == EIO))
			ret = 0;
		else
			fprintf(stderr, "# a write to %s: %s\n", path,
				errno ? strerror(errno) : "it worked");
		close(fd);
	} else if (errno == EROFS || errno == EACCES) {
		ret = 0;
	} else {
		fprintf(stderr, "# opening %s: %s\n", path, strerror(errno));
	}
	free(buf);
	return ret;
}

#define FIO_VERIFY "--direct=1 --ioengine=libaio --iodepth=16 --rw=randwrite --bs=4k --numjobs=2 --size=2M --offset_increment=2M --verify=crc32c --do_verify=1 --verify_fatal=1 --randrepeat=0"

int pvkit_fio_verify(const char *disk, const char *out)
{
	int rc;

	rc = pvkit_run(PVKIT_FIO " --name=verify --filename=/dev/%s " FIO_VERIFY " > %s 2>&1",
		       disk, out);
	if (rc)
		pvkit_run("cat %s", out);
	return rc;
}

int pvkit_iperf3_tcp(const char *host_ip, const char *out, const char *what,
		     bool from_host)
{
	/* the receiver's line: "... 12.3 MBytes  34567 Kbits/sec  receiver" */
	if (pvkit_run(PVKIT_IPERF3 " -c %s -t 2 -f k %s > %s 2>&1 || exit 1; "
		      "r=$(grep receiver %s); "
		      "echo \"$r\" | grep -q ' [1-9][0-9.]* Kbits/sec'",
		      host_ip, from_host ? "-R" : "", out, out)) {
		pvkit_run("cat %s", out);
		return -1;
	}
	pvkit_run("awk '/receiver/ { "
		  "print \"# note: iperf3 TCP %s, %s: \" $(NF-2), $(NF-1); "
		  "}' %s", from_host ? "host to guest" : "guest to host", what, out);
	return 0;
}

void pvkit_marker(const char *fmt, ...)
{
	va_list ap;

	printf("##PVKIT## ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Fills @len bytes at @off of @fd with @byte, then runs ioctl @op on them. */
static int fill_then(int fd, unsigned char *buf, uint64_t off, uint64_t len,
		     int byte, unsigned long op)
{
	uint64_t range[2] = { off, len };

	memset(buf, byte, len);
	if (pwrite(fd, buf, len, off) != (ssize_t)len)
		return -1;
	return ioctl(fd, op, range);
}

/* How many of @len bytes at @off of @fd are not zero; -1 if unreadable. */
static long long nonzero_at(int fd, unsigned char *buf, uint64_t off,
			    uint64_t len)
{
	long long n = 0;
	uint64_t i;

	if (pread(fd, buf, len, off) != (ssize_t)len)
		return -1;
	for (i = 0; i < len; i++)
		n += buf[i] != 0;
	return n;
}

int pvkit_zero_and_discard(const char *disk, uint64_t off, uint64_t len,
			   bool discard_zeroes)
{
	unsigned char *buf = NULL;
	char path[300];
	int fd, ret = -1;
	long long n;

	snprintf(path, sizeof(path), "/dev/%s", disk);
	fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0 || posix_memalign((void **)&buf, 4096, len)) {
		printf("# %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (fill_then(fd, buf, off, len, 0xa5, BLKZEROOUT)) {
		printf("# %s: BLKZEROOUT: %s\n", path, strerror(errno));
		goto out;
	}
	n = nonzero_at(fd, buf, off, len);
	if (n) {
		printf("# %s: %lld bytes not zero after BLKZEROOUT\n", path, n);
		goto out;
	}
	if (fill_then(fd, buf, off, len, 0x5a, BLKDISCARD)) {
		printf("# %s: BLKDISCARD: %s\n", path, strerror(errno));
		goto out;
	}
	n = nonzero_at(fd, buf, off, len);
	if (n < 0 || (discard_zeroes && n)) {
		printf("# %s: %lld bytes not zero after BLKDISCARD\n", path, n);
		goto out;
	}
	ret = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return ret;
}

int pvkit_need_tool(const char *path)
{
	if (!access(path, X_OK))
		return 0;
	printf("# %s missing: is the tools disk mounted?\n", path);
	return -1;
}

int pvkit_host_line_open(const char *dev)
{
	struct termios t;
	int fd = open(dev, O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (tcgetattr(fd, &t))
		goto fail;
	t.c_lflag |= ICANON;
	t.c_lflag &= ~(ECHO | ECHOE | ECHOK | ECHONL);
	if (tcsetattr(fd, TCSANOW, &t) || tcflush(fd, TCIFLUSH))
		goto fail;
	return fd;
fail:
	close(fd);
	return -errno;
}

int pvkit_host_line_read(int fd, int wait_s, char *buf, size_t size)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	n = poll(&p, 1, wait_s * 1000);
	if (n <= 0)
		return n ? -errno : -ETIMEDOUT;
	n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

/*
 * Asks hv-control for @kind (a request that ends with "served-@name" on
 * /dev/pvcon0) with @args, and waits up to @wait_s for that word: 0, or
 * -errno (-EPROTO: another line came).
 */
static int host_request(const char *kind, const char *name, const char *args,
			int wait_s)
{
	char want[128], line[128];
	int fd = pvkit_host_line_open("/dev/pvcon0");
	int n;

	if (fd < 0)
		return fd;
	pvkit_marker("%s %s %s", kind, name, args);
	n = pvkit_host_line_read(fd, wait_s, line, sizeof(line));
	close(fd);
	if (n < 0)
		return n;
	snprintf(want, sizeof(want), "served-%s\n", name);
	return strcmp(line, want) ? -EPROTO : 0;
}

int pvkit_host_ctl(const char *name, const char *command, int wait_s)
{
	return host_request("await-ctl-ack", name, command, wait_s);
}

int pvkit_host_connect(const char *name, const char *ip, int port, int n,
		       int wait_s)
{
	char args[64];

	snprintf(args, sizeof(args), "%s %d %d", ip, port, n);
	return host_request("await-host-connect", name, args, wait_s);
}

double pvkit_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

long long pvkit_meminfo_kb(const char *field)
{
	char line[256];
	size_t flen = strlen(field);
	long long value = -1;
	FILE *f;

	f = fopen("/proc/meminfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, flen) && line[flen] == ':') {
			value = strtoll(line + flen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return value;
}

int pvkit_send_console_check(const char *dev, const char *tag)
{
	char text[96], hex[2 * sizeof(text) + 1];
	size_t i, len;
	ssize_t n;
	int fd, err;

	len = snprintf(text, sizeof(text) - 1, "%s %ld-%d", tag,
		       (long)time(NULL), getpid());
	for (i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02x", (unsigned char)text[i]);
	text[len] = '\n';
	fd = open(dev, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len + 1);
	err = n == (ssize_t)len + 1 ? 0 : (n < 0 ? -errno : -EIO);
	close(fd);
	if (!err) {
		printf("##PVKIT## expect-console %s\n", hex);
		fflush(stdout);
	}
	return err;
}

/* The last part of where symbolic link @path leads, in @name; "" if none. */
static void link_leaf(const char *path, char *name, size_t size)
{
	char target[300];
	const char *slash;
	ssize_t n;

	n = readlink(path, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	slash = strrchr(target, '/');
	snprintf(name, size, "%s", slash ? slash + 1 : target);
}

void pvkit_virtio_dev(const char *class_dir, char *vdev, size_t size)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/device", class_dir);
	link_leaf(path, vdev, size);
}

void pvkit_virtio_driver(const char *vdev, char *name, size_t size)
{
	char path[300];

	snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/driver", vdev);
	link_leaf(path, name, size);
}

bool pvkit_virtio_negotiated(const char *vdev, unsigned int bit)
{
	char path[300], features[80];

	snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/features",
		 vdev);
	if (pvkit_read_file(path, features, sizeof(features)) <= (int)bit)
		return false;
	return features[bit] == '1';
}

long pvkit_virtio_status(const char *vdev)
{
	char path[300], text[32];

	snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/status",
		 vdev);
	if (pvkit_read_file(path, text, sizeof(text)) <= 0)
		return -1;
	return strtol(text, NULL, 16);
}

bool pvkit_wait_carrier(const char *nic, double secs)
{
	double end = pvkit_now_s() + secs;
	char path[300], buf[8];

	snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", nic);
	do {
		if (pvkit_read_file(path, buf, sizeof(buf)) > 0 &&
		    !strcmp(buf, "1"))
			return true;
		usleep(100 * 1000);
	} while (pvkit_now_s() < end);
	return false;
}

int pvkit_ethtool(const char *nic, void *data)
{
	struct ifreq ifr = { 0 };
	int fd, ret;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", nic);
	ifr.ifr_data = data;
	ret = ioctl(fd, SIOCETHTOOL, &ifr) ? -errno : 0;
	close(fd);
	return ret;
}

unsigned int pvkit_allowed_cpus(int *cpus, unsigned int max)
{
	unsigned int n = 0;
	cpu_set_t set;
	int cpu;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (cpu = 0; cpu < CPU_SETSIZE && n < max; cpu++)
		if (CPU_ISSET(cpu, &set))
			cpus[n++] = cpu;
	return n;
}

int pvkit_run_on_cpus(const int *cpus, unsigned int n)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	while (n--)
		CPU_SET(cpus[n], &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

int pvkit_find_nic(const char *driver, const char *mac, char *name,
		   size_t size)
{
	char path[300], link[256], want[64], addr[32];
	DIR *dir = opendir("/sys/class/net");
	struct dirent *d;
	int ret = -1;
	ssize_t n;

	if (!dir)
		return -1;
	snprintf(want, sizeof(want), "/%s", driver);
	while (ret && (d = readdir(dir))) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/device/driver",
			 d->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (!strstr(link, want))
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/address",
			 d->d_name);
		if (mac && (pvkit_read_file(path, addr, sizeof(addr)) <= 0 ||
			    strcasecmp(addr, mac)))
			continue;
		snprintf(name, size, "%.15s", d->d_name);
		ret = 0;
	}
	closedir(dir);
	return ret;
}
