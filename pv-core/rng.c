// SPDX-License-Identifier: GPL-2.0
/*
 * Entropy from the host for hosts that offer PVKIT_F_RNG: a hwrng device
 * ("pvkit", /dev/hwrng when it is the current one) whose reads are one
 * PVKIT_HC_RNG_FILL hypercall each, which pvkit-hv answers from its own
 * getrandom(). The host writes into a page owned by this file, never
 * into the caller's buffer, because the hypercall takes a guest physical
 * address and must not be handed memory it could overrun. A host whose
 * own pool is not ready yet answers PVKIT_EAGAIN: a blocking reader then
 * waits a little between tries instead of spinning on hypercalls.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/hw_random.h>
#include <linux/io.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "pvkit.h"

#define PVKIT_RNG_RETRY_MS	50

static u8 *pvkit_rng_page;
static DEFINE_MUTEX(pvkit_rng_lock);

static int pvkit_rng_read(struct hwrng *rng, void *data, size_t max, bool wait)
{
	long got;

	max = min_t(size_t, max, PAGE_SIZE);
	mutex_lock(&pvkit_rng_lock);
	got = pvkit_hypercall(PVKIT_HC_RNG_FILL, virt_to_phys(pvkit_rng_page),
			      max, 0, 0);
	if (got > 0) {
		got = min_t(long, got, max);
		memcpy(data, pvkit_rng_page, got);
		memzero_explicit(pvkit_rng_page, got);
		atomic64_add(got, &pvkit_stats.rng_bytes);
	}
	mutex_unlock(&pvkit_rng_lock);
	if (got == PVKIT_EAGAIN) {
		/* the host's pool is not ready yet: the core asks again */
		if (wait)
			msleep_interruptible(PVKIT_RNG_RETRY_MS);
		return 0;
	}
	return got < 0 ? -EIO : got;
}

static struct hwrng pvkit_rng = {
	.name = "pvkit",
	.read = pvkit_rng_read,
	/* the host's getrandom() is a full-entropy source */
	.quality = 1000,
};

int pvkit_rng_init(void)
{
	int ret;

	if (!(pvkit_host.features & PVKIT_F_RNG))
		return 0;
	pvkit_rng_page = (u8 *)get_zeroed_page(GFP_KERNEL);
	if (!pvkit_rng_page)
		return -ENOMEM;
	ret = hwrng_register(&pvkit_rng);
	if (ret) {
		pr_err("cannot register the host's RNG: %d\n", ret);
		free_page((unsigned long)pvkit_rng_page);
		pvkit_rng_page = NULL;
	}
	return ret;
}

void pvkit_rng_exit(void)
{
	if (!pvkit_rng_page)
		return;
	hwrng_unregister(&pvkit_rng);
	free_page((unsigned long)pvkit_rng_page);
	pvkit_rng_page = NULL;
}
