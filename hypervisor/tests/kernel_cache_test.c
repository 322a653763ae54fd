// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kernel_cache.c, built with ASan and UBSan, on bzImages
 * made here: a setup header and a payload compressed with zstd, xz or
 * gzip, ending with the unpacked size as the kernel's build makes it
 * (appended, or gzip's own trailer).
 * Each unpacks to its bytes; a payload that says another size, or is
 * none of the three, is refused. An entry filled for a bzImage is found
 * for that bzImage, byte for byte, and not for one that differs in a
 * byte, and is stored whole also where there is no O_TMPFILE (a stale
 * temporary file of that way is removed later); a fill on a thread names
 * the entry by the hash a lookup took; a damaged entry is ignored and
 * removed, so a fill replaces it; a cache directory that cannot be made
 * is an error with a reason, not a crash, and a fifth kernel pushes out
 * the entry used least recently.
 */
#include <dirent.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <asm/bootparam.h>

#include "kselftest_harness.h"
#include "../kernel_cache.h"

#define SETUP_SIZE	1024		/* setup_sects 1: two sectors */
#define KERNEL_BYTES	20000

enum packer { ZSTD, XZ, GZIP };

static void fill_kernel(uint8_t *k)
{
	size_t i;

	for (i = 0; i < KERNEL_BYTES; i++)
		k[i] = (uint8_t)(i * 7 + i / 251);
}

static size_t pack(enum packer how, const uint8_t *in, uint8_t *out,
		   size_t room)
{
	z_stream zs = { 0 };
	size_t n = 0;

	switch (how) {
	case ZSTD:
		n = ZSTD_compress(out, room, in, KERNEL_BYTES, 3);
		return ZSTD_isError(n) ? 0 : n;
	case XZ:
		if (lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in,
					    KERNEL_BYTES, out, &n, room) != LZMA_OK)
			return 0;
		return n;
	case GZIP:
		if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK)
			return 0;
		zs.next_in = (Bytef *)in;
		zs.avail_in = KERNEL_BYTES;
		zs.next_out = out;
		zs.avail_out = room;
		n = deflate(&zs, Z_FINISH) == Z_STREAM_END ? zs.total_out : 0;
		deflateEnd(&zs);
		return n;
	}
	return 0;
}

/* A bzImage of @kernel; returns its size, @size_said appended. */
static size_t make_bzimage(uint8_t *bz, size_t room, enum packer how,
			   const uint8_t *kernel, uint32_t size_said)
{
	struct setup_header hdr = { 0 };
	size_t payload;

	memset(bz, 0, room);
	payload = pack(how, kernel, bz + SETUP_SIZE, room - SETUP_SIZE - 4);
	if (!payload)
		return 0;
	/* the kernel's build appends the size, but to gzip's, which has it */
	if (how == GZIP)
		payload -= 4;
	memcpy(bz + SETUP_SIZE + payload, &size_said, 4);
	hdr.setup_sects = 1;
	hdr.boot_flag = 0xaa55;
	hdr.header = 0x53726448;
	hdr.payload_offset = 0;
	hdr.payload_length = payload + 4;
	memcpy(bz + 0x1f1, &hdr, sizeof(hdr));
	return SETUP_SIZE + payload + 4;
}

FIXTURE(kcache) {
	uint8_t kernel[KERNEL_BYTES];
	uint8_t bz[KERNEL_BYTES * 2];
	size_t bz_size;
	char dir[64];
	uint8_t *out;
	size_t out_size;
	const char *why;
};

FIXTURE_SETUP(kcache)
{
	fill_kernel(self->kernel);
	self->bz_size = make_bzimage(self->bz, sizeof(self->bz), ZSTD,
				     self->kernel, KERNEL_BYTES);
	ASSERT_NE(0U, self->bz_size);
	strcpy(self->dir, "/tmp/pvkit-kcache-test-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	self->out = NULL;
	self->why = NULL;
}

FIXTURE_TEARDOWN(kcache)
{
	char cmd[128];

	free(self->out);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("could not remove %s", self->dir);
}

TEST_F(kcache, unpacks_each_format)
{
	enum packer how[] = { ZSTD, XZ, GZIP };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		self->bz_size = make_bzimage(self->bz, sizeof(self->bz), how[i],
					     self->kernel, KERNEL_BYTES);
		ASSERT_NE(0U, self->bz_size);
		ASSERT_EQ(0, kcache__unpack(self->bz, self->bz_size, SETUP_SIZE,
					    &self->out, &self->out_size,
					    &self->why)) TH_LOG("%s", self->why);
		ASSERT_EQ((size_t)KERNEL_BYTES, self->out_size);
		EXPECT_EQ(0, memcmp(self->out, self->kernel, KERNEL_BYTES));
		free(self->out);
		self->out = NULL;
	}
}

TEST_F(kcache, refuses_wrong_size_and_unknown_format)
{
	enum packer how[] = { ZSTD, XZ, GZIP };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		self->bz_size = make_bzimage(self->bz, sizeof(self->bz), how[i],
					     self->kernel, KERNEL_BYTES + 1);
		EXPECT_EQ(-1, kcache__unpack(self->bz, self->bz_size,
					     SETUP_SIZE, &self->out,
					     &self->out_size, &self->why));
		EXPECT_EQ(NULL, self->out);
	}
	self->bz_size = make_bzimage(self->bz, sizeof(self->bz), ZSTD,
				     self->kernel, KERNEL_BYTES);
	self->bz[SETUP_SIZE] ^= 0xff;
	EXPECT_EQ(-1, kcache__unpack(self->bz, self->bz_size, SETUP_SIZE,
				     &self->out, &self->out_size, &self->why));
	EXPECT_NE(NULL, strstr(self->why, "not zstd"));
	/* a payload said to lie past the end of the file */
	EXPECT_EQ(-1, kcache__unpack(self->bz, SETUP_SIZE + 16, SETUP_SIZE,
				     &self->out, &self->out_size, &self->why));
}

TEST_F(kcache, fill_then_lookup_finds_the_same_kernel)
{
	struct kcache_map m = { 0 };

	EXPECT_EQ(-1, kcache__lookup(self->dir, self->bz, self->bz_size, &m));
	ASSERT_EQ(0, kcache__fill(self->dir, self->bz, self->bz_size,
				  SETUP_SIZE, &self->why)) TH_LOG("%s", self->why);
	ASSERT_EQ(0, kcache__lookup(self->dir, self->bz, self->bz_size, &m));
	ASSERT_EQ((size_t)KERNEL_BYTES, m.size);
	EXPECT_EQ(0, memcmp(m.data, self->kernel, KERNEL_BYTES));
	kcache__release(&m);
	/* filling again, as a second pvkit-hv would, is no error */
	EXPECT_EQ(0, kcache__fill(self->dir, self->bz, self->bz_size,
				  SETUP_SIZE, &self->why));
}

TEST_F(kcache, fills_where_the_filesystem_has_no_tmpfile)
{
	struct kcache_map m = { 0 };
	struct dirent *e;
	struct stat st;
	int files = 0;
	DIR *d;

	kcache__test_without_tmpfile(true);
	EXPECT_EQ(0, kcache__fill(self->dir, self->bz, self->bz_size,
				  SETUP_SIZE, &self->why)) TH_LOG("%s", self->why);
	/* a second pvkit-hv storing the same kernel replaces it whole */
	EXPECT_EQ(0, kcache__fill(self->dir, self->bz, self->bz_size,
				  SETUP_SIZE, &self->why));
	kcache__test_without_tmpfile(false);
	ASSERT_EQ(0, kcache__lookup(self->dir, self->bz, self->bz_size, &m));
	EXPECT_EQ(0, memcmp(m.data, self->kernel, KERNEL_BYTES));
	kcache__release(&m);
	/* one entry, readable by others, and no temporary file left */
	d = opendir(self->dir);
	ASSERT_NE(NULL, d);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		EXPECT_NE(NULL, strstr(e->d_name, ".vmlinux"))
			TH_LOG("left in the cache: %s", e->d_name);
		EXPECT_EQ(0, fstatat(dirfd(d), e->d_name, &st, 0));
		EXPECT_EQ(0644U, st.st_mode & 0777);
		files++;
	}
	closedir(d);
	EXPECT_EQ(1, files);
}

TEST_F(kcache, a_fill_removes_stale_temporary_files)
{
	char cmd[400];

	/* one left by a pvkit-hv stopped long ago, one being written now */
	snprintf(cmd, sizeof(cmd),
		 "touch -d @1000 %s/.unpacking.old && touch %s/.unpacking.new",
		 self->dir, self->dir);
	ASSERT_EQ(0, system(cmd));
	ASSERT_EQ(0, kcache__fill(self->dir, self->bz, self->bz_size,
				  SETUP_SIZE, &self->why));
	snprintf(cmd, sizeof(cmd),
		 "test ! -e %s/.unpacking.old && test -e %s/.unpacking.new",
		 self->dir, self->dir);
	EXPECT_EQ(0, system(cmd));
}

TEST_F(kcache, another_bzimage_misses)
{
	struct kcache_map m = { 0 };

	ASSERT_EQ(0, kcache__fill(self->dir, self->bz, self->bz_size,
				  SETUP_SIZE, &self->why));
	self->bz[self->bz_size / 2] ^= 1;
	EXPECT_EQ(-1, kcache__lookup(self->dir, self->bz, self->bz_size, &m));
	EXPECT_EQ(NULL, m.data);
}

TEST_F(kcache, damaged_entry_is_ignored)
{
	struct kcache_map m = { 0 };
	char cmd[160];

	ASSERT_EQ(0, kcache__fill(self->dir, self->bz, self->bz_size,
				  SETUP_SIZE, &self->why));
	/* one byte short of what its header says */
	snprintf(cmd, sizeof(cmd),
		 "for f in %s/*.vmlinux; do truncate -s -1 $f; done",
		 self->dir);
	ASSERT_EQ(0, system(cmd));
	EXPECT_EQ(-1, kcache__lookup(self->dir, self->bz, self->bz_size, &m));
	/* removed, so that the next fill can store a good one */
	ASSERT_EQ(0, kcache__fill(self->dir, self->bz, self->bz_size,
				  SETUP_SIZE, &self->why));
	ASSERT_EQ(0, kcache__lookup(self->dir, self->bz, self->bz_size, &m));
	kcache__release(&m);
}

/* Waits up to 20 s for kcache__fill_later()'s thread to store an entry. */
static int await_entries(const char *dir, unsigned int want)
{
	unsigned int i, n;
	struct dirent *e;
	DIR *d;

	for (i = 0; i < 200; i++) {
		d = opendir(dir);
		if (!d)
			return -1;
		n = 0;
		while ((e = readdir(d)))
			n += !!strstr(e->d_name, ".vmlinux");
		closedir(d);
		if (n >= want)
			return 0;
		usleep(100 * 1000);
	}
	return -1;
}

/* A malloc()ed copy of @bz, which kcache__fill_later() takes */
static uint8_t *dup_bz(const uint8_t *bz, size_t size)
{
	uint8_t *copy = malloc(size);

	if (copy)
		memcpy(copy, bz, size);
	return copy;
}

TEST_F(kcache, fill_later_names_the_entry_by_the_lookups_hash)
{
	struct kcache_map m = { 0 }, other;
	uint8_t *copy;

	/* a miss in an existing directory: the lookup took the hash */
	EXPECT_EQ(-1, kcache__lookup(self->dir, self->bz, self->bz_size, &m));
	ASSERT_TRUE(m.keyed);
	other = m;
	copy = dup_bz(self->bz, self->bz_size);
	ASSERT_NE(NULL, copy);
	ASSERT_EQ(0, kcache__fill_later(self->dir, copy, self->bz_size,
					SETUP_SIZE, &m));
	ASSERT_EQ(0, await_entries(self->dir, 1));
	EXPECT_EQ(0, kcache__lookup(self->dir, self->bz, self->bz_size, &m));
	kcache__release(&m);
	/* the fill trusts the hash it is given: another one, another name */
	other.key_low ^= 1;
	copy = dup_bz(self->bz, self->bz_size);
	ASSERT_NE(NULL, copy);
	ASSERT_EQ(0, kcache__fill_later(self->dir, copy, self->bz_size,
					SETUP_SIZE, &other));
	EXPECT_EQ(0, await_entries(self->dir, 2));
}

TEST_F(kcache, directory_that_cannot_be_made)
{
	char dir[128];
	int fd;

	/* a file where the directory should be */
	snprintf(dir, sizeof(dir), "%s/file", self->dir);
	fd = open(dir, O_CREAT | O_WRONLY, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	strcat(dir, "/cache");
	EXPECT_EQ(-1, kcache__fill(dir, self->bz, self->bz_size, SETUP_SIZE,
				   &self->why));
	EXPECT_NE(NULL, self->why);
}

/* Dates the entries of @dir made since 1970's first 1000 s at @t. */
static int date_new_entries(const char *dir, unsigned int t)
{
	char cmd[200];

	snprintf(cmd, sizeof(cmd),
		 "find %s -name '*.vmlinux' -newermt @1000 -exec touch -d @%u {} +",
		 dir, t);
	return system(cmd);
}

TEST_F(kcache, keeps_the_kernels_used_last)
{
	static uint8_t bz[5][KERNEL_BYTES * 2];
	const int hit[5] = { 0, -1, 0, 0, 0 };
	struct kcache_map m = { 0 };
	size_t size[5];
	unsigned int i;

	for (i = 0; i < 5; i++) {
		self->kernel[0] = i;
		size[i] = make_bzimage(bz[i], sizeof(bz[i]), ZSTD,
				       self->kernel, KERNEL_BYTES);
		ASSERT_NE(0U, size[i]);
	}
	/* A to D, used at 100 s to 400 s */
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, kcache__fill(self->dir, bz[i], size[i],
					  SETUP_SIZE, &self->why));
		ASSERT_EQ(0, date_new_entries(self->dir, 100 * (i + 1)));
	}
	/* A used again, now: B is the one used least recently */
	ASSERT_EQ(0, kcache__lookup(self->dir, bz[0], size[0], &m));
	kcache__release(&m);
	ASSERT_EQ(0, kcache__fill(self->dir, bz[4], size[4], SETUP_SIZE,
				  &self->why));
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(hit[i], kcache__lookup(self->dir, bz[i], size[i], &m))
			TH_LOG("kernel %u", i);
		kcache__release(&m);
	}
}

TEST_HARNESS_MAIN
