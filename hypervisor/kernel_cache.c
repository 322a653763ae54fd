// SPDX-License-Identifier: GPL-2.0
/*
 * The unpacked-kernel cache. A bzImage carries the kernel compressed;
 * its decompressor, run by the guest at every boot, unpacks it. Here
 * pvkit-hv unpacks it once (libzstd, liblzma or zlib: the compressions
 * Debian's and most distributions' kernels use) and keeps the result in
 * a directory, named by a hash of the whole bzImage (XXH3, 128 bits), so
 * a changed or different bzImage never meets an old entry. The next boot
 * of that bzImage maps the entry and boot.c loads the kernel from it.
 *
 * An entry is a header page (struct entry_header) and the unpacked
 * payload. It is written to an unnamed file, then linked into the
 * directory whole: a reader sees a complete entry or none.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <lzma.h>
#include <pthread.h>
#include <stdbool.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <asm/bootparam.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "hv.h"
#include "kernel_cache.h"

#define ENTRY_MAGIC		"PVKITKC1"
#define ENTRY_DATA_OFFSET	4096
/* No kernel unpacks to more; a larger size in a payload is corrupt */
#define MAX_UNPACKED		(512U << 20)
#define SETUP_HDR_OFFSET	0x1f1
/* Entries kept: those of the kernels booted most recently */
#define KEEP_ENTRIES		4
/* An entry being written without O_TMPFILE; stale after an hour */
#define TMP_PREFIX		".unpacking."
#define STALE_TMP_S		3600

struct entry_header {
	char magic[8];
	uint64_t key_high, key_low;	/* XXH3-128 of the bzImage */
	uint64_t bz_size;
	uint64_t data_size;		/* the unpacked payload's bytes */
};

static XXH128_hash_t bz_key(const uint8_t *bz, size_t size)
{
	return XXH3_128bits(bz, size);
}

static void entry_path(char *buf, size_t len, const char *dir,
		       XXH128_hash_t key)
{
	snprintf(buf, len, "%s/%016" PRIx64 "%016" PRIx64 ".vmlinux", dir,
		 (uint64_t)key.high64, (uint64_t)key.low64);
}

static int unpack_zstd(const uint8_t *in, size_t in_len, uint8_t *out,
		       size_t out_len, const char **why)
{
	size_t frame = ZSTD_findFrameCompressedSize(in, in_len), n;

	if (ZSTD_isError(frame)) {
		*why = ZSTD_getErrorName(frame);
		return -1;
	}
	n = ZSTD_decompress(out, out_len, in, frame);
	if (ZSTD_isError(n)) {
		*why = ZSTD_getErrorName(n);
		return -1;
	}
	if (n != out_len) {
		*why = "zstd: the payload unpacks to another size than it says";
		return -1;
	}
	return 0;
}

static int unpack_xz(const uint8_t *in, size_t in_len, uint8_t *out,
		     size_t out_len, const char **why)
{
	uint64_t memlimit = UINT64_MAX;
	size_t in_pos = 0, out_pos = 0;
	lzma_ret ret;

	ret = lzma_stream_buffer_decode(&memlimit, 0, NULL, in, &in_pos, in_len,
					out, &out_pos, out_len);
	if (ret != LZMA_OK) {
		*why = "xz: the payload does not unpack";
		return -1;
	}
	if (out_pos != out_len) {
		*why = "xz: the payload unpacks to another size than it says";
		return -1;
	}
	return 0;
}

static int unpack_gzip(const uint8_t *in, size_t in_len, uint8_t *out,
		       size_t out_len, const char **why)
{
	z_stream zs = { 0 };
	int ret;

	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		*why = "gzip: no memory";
		return -1;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = in_len > UINT_MAX ? UINT_MAX : in_len;
	zs.next_out = out;
	zs.avail_out = out_len;
	ret = inflate(&zs, Z_FINISH);
	inflateEnd(&zs);
	if (ret != Z_STREAM_END || zs.total_out != out_len) {
		*why = "gzip: the payload does not unpack to the size it says";
		return -1;
	}
	return 0;
}

int kcache__unpack(const uint8_t *bz, size_t size, size_t pm_offset,
		   uint8_t **out, size_t *out_size, const char **why)
{
	static const uint8_t zstd_magic[] = { 0x28, 0xb5, 0x2f, 0xfd };
	static const uint8_t xz_magic[] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	static const uint8_t gzip_magic[] = { 0x1f, 0x8b };
	int (*unpack)(const uint8_t *in, size_t in_len, uint8_t *out,
		      size_t out_len, const char **why);
	struct setup_header hdr;
	size_t off, trailer = 4;
	const uint8_t *in;
	uint32_t len;

	if (size < SETUP_HDR_OFFSET + sizeof(hdr)) {
		*why = "too small for a bzImage";
		return -1;
	}
	memcpy(&hdr, bz + SETUP_HDR_OFFSET, sizeof(hdr));
	off = pm_offset + hdr.payload_offset;
	if (hdr.payload_length < 8 || off > size ||
	    hdr.payload_length > size - off) {
		*why = "the payload is outside the bzImage";
		return -1;
	}
	in = bz + off;
	/*
	 * The last four bytes are the unpacked size, little-endian: gzip's
	 * own trailer ends with it, and the build appends it to the others.
	 */
	memcpy(&len, in + hdr.payload_length - 4, 4);
	len = le32toh(len);
	if (!len || len > MAX_UNPACKED) {
		*why = "the payload gives no plausible unpacked size";
		return -1;
	}
	if (!memcmp(in, zstd_magic, sizeof(zstd_magic))) {
		unpack = unpack_zstd;
	} else if (!memcmp(in, xz_magic, sizeof(xz_magic))) {
		unpack = unpack_xz;
	} else if (!memcmp(in, gzip_magic, sizeof(gzip_magic))) {
		unpack = unpack_gzip;
		trailer = 0;		/* the size is gzip's own */
	} else {
		*why = "the payload is not zstd, xz or gzip";
		return -1;
	}
	*out = malloc(len);
	if (!*out) {
		*why = "no memory to unpack the kernel";
		return -1;
	}
	if (unpack(in, hdr.payload_length - trailer, *out, len, why)) {
		free(*out);
		*out = NULL;
		return -1;
	}
	*out_size = len;
	return 0;
}

int kcache__lookup(const char *dir, const uint8_t *bz, size_t size,
		   struct kcache_map *m)
{
	struct entry_header h;
	char path[PATH_MAX];
	XXH128_hash_t key;
	struct stat st;
	void *map;
	int fd;

	/* no directory yet, no entry: the hash can wait for the fill */
	if (access(dir, F_OK))
		return -1;
	key = bz_key(bz, size);
	m->keyed = true;
	m->key_high = key.high64;
	m->key_low = key.low64;
	entry_path(path, sizeof(path), dir, key);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || st.st_size < ENTRY_DATA_OFFSET) {
		close(fd);
		goto damaged;
	}
	/* populated in one go: cheaper than a fault per page as it is read */
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd,
		   0);
	/* used now: the last entry prune() would remove */
	futimens(fd, NULL);
	close(fd);
	if (map == MAP_FAILED)
		return -1;
	memcpy(&h, map, sizeof(h));
	if (memcmp(h.magic, ENTRY_MAGIC, sizeof(h.magic)) ||
	    h.key_high != key.high64 || h.key_low != key.low64 ||
	    h.bz_size != size ||
	    h.data_size != (uint64_t)st.st_size - ENTRY_DATA_OFFSET) {
		munmap(map, st.st_size);
		goto damaged;
	}
	m->map = map;
	m->map_size = st.st_size;
	m->data = (const uint8_t *)map + ENTRY_DATA_OFFSET;
	m->size = h.data_size;
	return 0;
damaged:
	/* out of the way of the fill that follows the miss */
	hv_info("kernel cache: removing %s: not the entry of this kernel",
		path);
	unlink(path);
	return -1;
}

void kcache__release(struct kcache_map *m)
{
	if (m->map)
		munmap(m->map, m->map_size);
	memset(m, 0, sizeof(*m));
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* Test hook: behave as on a filesystem without O_TMPFILE */
static bool no_tmpfile;

void kcache__test_without_tmpfile(bool on)
{
	no_tmpfile = on;
}

static int write_entry(int fd, const struct entry_header *h,
		       const uint8_t *data)
{
	uint8_t page[ENTRY_DATA_OFFSET] = { 0 };

	memcpy(page, h, sizeof(*h));
	return write_all(fd, page, sizeof(page)) ||
	       write_all(fd, data, h->data_size) ? -1 : 0;
}

/*
 * Writes a whole entry to an unnamed file in @dir, then names it @path.
 * Where the filesystem has no unnamed files (NFS, vfat, older overlayfs),
 * to a dot-file in @dir that a lookup never opens, then renamed.
 */
static int store_entry(const char *dir, const char *path,
		       const struct entry_header *h, const uint8_t *data)
{
	char proc[64], tmp[PATH_MAX];
	int fd, ret;

	fd = no_tmpfile ? -1 : open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (fd >= 0) {
		ret = write_entry(fd, h, data);
		if (!ret) {
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
			ret = linkat(AT_FDCWD, proc, AT_FDCWD, path,
				     AT_SYMLINK_FOLLOW);
			/* another pvkit-hv stored the same kernel first */
			if (ret && errno == EEXIST)
				ret = 0;
		}
		close(fd);
		return ret ? -1 : 0;
	}
	if (!no_tmpfile && errno != EOPNOTSUPP && errno != EISDIR &&
	    errno != EINVAL)
		return -1;
	if (snprintf(tmp, sizeof(tmp), "%s/" TMP_PREFIX "XXXXXX", dir) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = fchmod(fd, 0644) || write_entry(fd, h, data);
	if (close(fd))
		ret = -1;
	/* rename() replaces an entry another pvkit-hv stored: the same bytes */
	if (ret || rename(tmp, path)) {
		ret = errno;
		unlink(tmp);
		errno = ret;
		return -1;
	}
	return 0;
}

/* mkdir -p @dir */
static int make_dir(const char *dir)
{
	char path[PATH_MAX], *slash;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = 0;
		if (mkdir(path, 0755) && errno != EEXIST)
			return -1;
		*slash = '/';
	}
	return mkdir(path, 0755) && errno != EEXIST ? -1 : 0;
}

/*
 * Removes the entries used least recently beyond KEEP_ENTRIES, and
 * temporary files older than STALE_TMP_S.
 */
static void prune(const char *dir)
{
	char path[PATH_MAX], oldest[NAME_MAX + 1];
	struct timespec when = { 0 };
	unsigned int n;
	struct dirent *e;
	struct stat st;
	DIR *d;

	for (;;) {
		d = opendir(dir);
		if (!d)
			return;
		n = 0;
		while ((e = readdir(d))) {
			if (fstatat(dirfd(d), e->d_name, &st, 0))
				continue;
			/* left by a pvkit-hv stopped while storing */
			if (!strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) &&
			    st.st_mtime < time(NULL) - STALE_TMP_S) {
				unlinkat(dirfd(d), e->d_name, 0);
				continue;
			}
			if (!strstr(e->d_name, ".vmlinux"))
				continue;
			if (!n++ || st.st_mtim.tv_sec < when.tv_sec ||
			    (st.st_mtim.tv_sec == when.tv_sec &&
			     st.st_mtim.tv_nsec < when.tv_nsec)) {
				when = st.st_mtim;
				snprintf(oldest, sizeof(oldest), "%s", e->d_name);
			}
		}
		closedir(d);
		if (n <= KEEP_ENTRIES)
			return;
		snprintf(path, sizeof(path), "%s/%s", dir, oldest);
		if (unlink(path))
			return;
	}
}

/* kcache__fill() with @key, the hash of @bz, already taken */
static int fill_keyed(const char *dir, const uint8_t *bz, size_t size,
		      size_t pm_offset, XXH128_hash_t key, const char **why)
{
	struct entry_header h = { .magic = ENTRY_MAGIC };
	char path[PATH_MAX];
	uint8_t *data;
	size_t len;
	int ret;

	if (make_dir(dir)) {
		*why = strerror(errno);
		return -1;
	}
	if (kcache__unpack(bz, size, pm_offset, &data, &len, why))
		return -1;
	h.key_high = key.high64;
	h.key_low = key.low64;
	h.bz_size = size;
	h.data_size = len;
	entry_path(path, sizeof(path), dir, key);
	ret = store_entry(dir, path, &h, data);
	if (ret)
		*why = strerror(errno);
	else
		prune(dir);
	free(data);
	return ret;
}

int kcache__fill(const char *dir, const uint8_t *bz, size_t size,
		 size_t pm_offset, const char **why)
{
	return fill_keyed(dir, bz, size, pm_offset, bz_key(bz, size), why);
}

struct fill_job {
	char *dir;
	uint8_t *bz;
	size_t size;
	size_t pm_offset;
	bool keyed;
	XXH128_hash_t key;
};

static void *fill_thread(void *arg)
{
	struct fill_job *job = arg;
	struct sched_param idle = { 0 };
	const char *why;

	/* only when the vCPUs leave the host CPU idle */
	pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);
	if (!job->keyed)
		job->key = bz_key(job->bz, job->size);
	if (fill_keyed(job->dir, job->bz, job->size, job->pm_offset, job->key,
		       &why))
		hv_info("kernel cache: could not keep the unpacked kernel in %s: %s",
			job->dir, why);
	free(job->dir);
	free(job->bz);
	free(job);
	return NULL;
}

int kcache__fill_later(const char *dir, uint8_t *bz, size_t size,
		       size_t pm_offset, const struct kcache_map *missed)
{
	struct fill_job *job = calloc(1, sizeof(*job));
	pthread_attr_t attr;
	pthread_t thread;
	int ret;

	if (job)
		job->dir = strdup(dir);
	if (!job || !job->dir) {
		free(job);
		free(bz);
		return -1;
	}
	job->bz = bz;
	job->size = size;
	job->pm_offset = pm_offset;
	/* the lookup's hash: no second pass over the bzImage */
	if (missed && missed->keyed) {
		job->keyed = true;
		job->key.high64 = missed->key_high;
		job->key.low64 = missed->key_low;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ret = pthread_create(&thread, &attr, fill_thread, job);
	pthread_attr_destroy(&attr);
	if (ret) {
		free(job->dir);
		free(job->bz);
		free(job);
		return -1;
	}
	return 0;
}

const char *kcache__default_dir(void)
{
	static char dir[PATH_MAX];
	const char *base = getenv("XDG_CACHE_HOME");

	if (base && *base) {
		snprintf(dir, sizeof(dir), "%s/pvkit-hv", base);
		return dir;
	}
	base = getenv("HOME");
	if (!base || !*base)
		return NULL;
	snprintf(dir, sizeof(dir), "%s/.cache/pvkit-hv", base);
	return dir;
}
