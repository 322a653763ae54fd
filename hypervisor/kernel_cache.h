/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unpacked-kernel cache (kernel_cache.c): a bzImage's compressed
 * payload, unpacked once and kept in a directory, so that the next boot
 * of the same bzImage loads the kernel as it is instead of having the
 * guest decompress it again.
 */
#ifndef PVKIT_HV_KERNEL_CACHE_H
#define PVKIT_HV_KERNEL_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the cache gives a boot: the unpacked kernel, mapped read-only. */
struct kcache_map {
	const uint8_t *data;	/* vmlinux.h's layout */
	size_t size;
	void *map;
	size_t map_size;
	/* the bzImage's hash, once kcache__lookup() took it, hit or miss */
	bool keyed;
	uint64_t key_high, key_low;
};

/*
 * Unpacks the payload of the bzImage @bz (@size bytes; its protected-
 * mode part starts at @pm_offset) into a buffer of its own, *@out of
 * *@out_size bytes: 0, or -1 with a reason in *@why.
 */
int kcache__unpack(const uint8_t *bz, size_t size, size_t pm_offset,
		   uint8_t **out, size_t *out_size, const char **why);

/*
 * The unpacked kernel of @bz from @dir: 0, or -1 when it has none. On a
 * miss @m may still carry the bzImage's hash, for kcache__fill_later().
 */
int kcache__lookup(const char *dir, const uint8_t *bz, size_t size,
		   struct kcache_map *m);
void kcache__release(struct kcache_map *m);

/*
 * Unpacks @bz and stores it in @dir (created if missing): 0, or -1 with
 * a reason in *@why. kcache__fill_later() does it on a thread of idle
 * priority and takes @bz, a malloc()ed buffer, for its own; it names
 * the entry by the hash in @missed (a lookup's), when that has one.
 */
int kcache__fill(const char *dir, const uint8_t *bz, size_t size,
		 size_t pm_offset, const char **why);
int kcache__fill_later(const char *dir, uint8_t *bz, size_t size,
		       size_t pm_offset, const struct kcache_map *missed);

/* For tests: store entries as on a filesystem without O_TMPFILE */
void kcache__test_without_tmpfile(bool on);

/* The default directory ($XDG_CACHE_HOME or ~/.cache, then pvkit-hv) */
const char *kcache__default_dir(void);

#endif
