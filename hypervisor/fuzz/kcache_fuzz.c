// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for kernel_cache.c's unpacking of a bzImage's
 * payload: the input is the bzImage, its protected-mode part taken to
 * start after the first two sectors. Whatever its setup header says of
 * the payload's place and size, and whatever the payload holds (zstd,
 * xz, gzip or nothing), unpacking must fail with a reason or return a
 * buffer of the size the payload gave, without reading outside the
 * input (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../kernel_cache.h"

#define FUZZ_SETUP	1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	uint8_t *out = NULL;
	size_t out_size = 0;

	if (!kcache__unpack(data, size, FUZZ_SETUP, &out, &out_size, &why)) {
		if (!out || !out_size)
			abort();
		/* every byte was written: reading them is defined */
		out[out_size - 1] ^= out[0];
		free(out);
	} else if (!why || out) {
		abort();
	}
	return 0;
}
