// SPDX-License-Identifier: GPL-2.0
/*
 * A test hook of pvkit_mmu.ko in debugfs, for proving that the host
 * refuses hostile pv-mmu calls: userspace cannot make hypercalls (CPL 3
 * gets PVKIT_EPERM), so a test writes the name of a case to
 * /sys/kernel/debug/pvkit_mmu/hostile and reads back
 * "CASE RESULT intact|zeroed|mixed". Each case sends one crafted batch
 * that names only two "victim" pages this module owns (and addresses
 * outside guest RAM), so that even a host that wrongly took it could not
 * hurt the guest; the victims are filled with a pattern first and the
 * last word says what the host left of them: a refused batch must leave
 * them intact, the one good case ("report-good") must see them dropped.
 * Root only, and only where the host offers the pv-mmu calls.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "pvkit_mmu.h"

#define HOSTILE_PATTERN		0x5a
#define HOSTILE_FAR		(1ULL << 40)	/* far outside any guest RAM */
#define HOSTILE_RANGES		(2 * PAGE_SIZE / sizeof(struct pvkit_page_range))

static struct dentry *hostile_dir;
static DEFINE_MUTEX(hostile_lock);
static void *hostile_buf;		/* two pages: the batch */
static u8 *hostile_victim;		/* two pages the batches name */
static char hostile_result[64];

enum hostile_kind { REPORT, INFLATE, DEFLATE };

struct hostile_case {
	const char *name;
	enum hostile_kind kind;
	unsigned int count;		/* entries; more than written: E2BIG */
	u64 a, b;			/* offsets from the victims, or far */
	u64 len;			/* of the second range */
};

/* A value of @a or @b at or above HOSTILE_FAR is used as it is. */
static const struct hostile_case hostile_cases[] = {
	{ "report-good", REPORT, 2, 0, PAGE_SIZE, PAGE_SIZE },
	{ "report-outside", REPORT, 2, 0, HOSTILE_FAR, PAGE_SIZE },
	{ "report-duplicate", REPORT, 2, 0, 0, PAGE_SIZE },
	{ "report-overlap", REPORT, 2, 0, 0, 2 * PAGE_SIZE },
	{ "report-unaligned", REPORT, 2, 0, PAGE_SIZE + 8, PAGE_SIZE },
	{ "report-partial-page", REPORT, 2, 0, PAGE_SIZE, 100 },
	{ "report-oversized", REPORT, HOSTILE_RANGES, 0, PAGE_SIZE, PAGE_SIZE },
	{ "inflate-outside", INFLATE, 2, 0, HOSTILE_FAR, 0 },
	{ "inflate-duplicate", INFLATE, 2, PAGE_SIZE, PAGE_SIZE, 0 },
	{ "deflate-unknown", DEFLATE, 1, 0, 0, 0 },
};

static u64 hostile_addr(u64 off)
{
	return off >= HOSTILE_FAR ? off : virt_to_phys(hostile_victim) + off;
}

/* Sends the case's batch; the host's answer. */
static long hostile_send(const struct hostile_case *c)
{
	struct pvkit_page_range *r = hostile_buf;
	u64 *pfn = hostile_buf;
	unsigned int i, nr;

	memset(hostile_buf, 0, 2 * PAGE_SIZE);
	if (c->kind == REPORT) {
		/* the first range is good; the second, and the rest, not */
		r[0].gpa = hostile_addr(c->a);
		r[0].len = PAGE_SIZE;
		for (i = 1; i < c->count; i++) {
			r[i].gpa = hostile_addr(c->b);
			r[i].len = c->len;
		}
		nr = PVKIT_HC_PAGE_REPORT;
	} else {
		pfn[0] = hostile_addr(c->a) >> PAGE_SHIFT;
		pfn[1] = hostile_addr(c->b) >> PAGE_SHIFT;
		nr = c->kind == INFLATE ? PVKIT_HC_BALLOON_INFLATE :
					  PVKIT_HC_BALLOON_DEFLATE;
	}
	return pvkit_hypercall(nr, virt_to_phys(hostile_buf), c->count, 0, 0);
}

static const char *hostile_victims(void)
{
	bool pattern = true, zero = true;
	size_t i;

	for (i = 0; i < 2 * PAGE_SIZE; i++) {
		pattern &= hostile_victim[i] == HOSTILE_PATTERN;
		zero &= hostile_victim[i] == 0;
	}
	return pattern ? "intact" : zero ? "zeroed" : "mixed";
}

static ssize_t hostile_write(struct file *file, const char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	const struct hostile_case *c = NULL;
	char name[32];
	size_t i;
	long ret;

	if (len >= sizeof(name))
		return -EINVAL;
	if (copy_from_user(name, ubuf, len))
		return -EFAULT;
	name[len] = '\0';
	strim(name);
	for (i = 0; i < ARRAY_SIZE(hostile_cases); i++)
		if (!strcmp(name, hostile_cases[i].name))
			c = &hostile_cases[i];
	if (!c)
		return -EINVAL;
	if (c->kind == REPORT ? !(pvkit_mmu_features & PVKIT_F_PAGE_REPORT) :
				!(pvkit_mmu_features & PVKIT_F_BALLOON))
		return -EOPNOTSUPP;

	mutex_lock(&hostile_lock);
	memset(hostile_victim, HOSTILE_PATTERN, 2 * PAGE_SIZE);
	ret = hostile_send(c);
	snprintf(hostile_result, sizeof(hostile_result), "%s %ld %s\n",
		 c->name, ret, hostile_victims());
	mutex_unlock(&hostile_lock);
	return len;
}

static ssize_t hostile_read(struct file *file, char __user *ubuf, size_t len,
			    loff_t *ppos)
{
	char result[sizeof(hostile_result)];

	mutex_lock(&hostile_lock);
	memcpy(result, hostile_result, sizeof(result));
	mutex_unlock(&hostile_lock);
	return simple_read_from_buffer(ubuf, len, ppos, result,
				       strnlen(result, sizeof(result)));
}

static const struct file_operations hostile_fops = {
	.owner = THIS_MODULE,
	.write = hostile_write,
	.read = hostile_read,
	.llseek = default_llseek,
};

void pvkit_mmu_debugfs_init(void)
{
	if (!(pvkit_mmu_features & (PVKIT_F_BALLOON | PVKIT_F_PAGE_REPORT)))
		return;
	hostile_buf = (void *)__get_free_pages(GFP_KERNEL, 1);
	hostile_victim = (u8 *)__get_free_pages(GFP_KERNEL, 1);
	if (!hostile_buf || !hostile_victim) {
		pvkit_mmu_debugfs_exit();
		return;
	}
	hostile_dir = debugfs_create_dir("pvkit_mmu", NULL);
	debugfs_create_file("hostile", 0600, hostile_dir, NULL, &hostile_fops);
}

void pvkit_mmu_debugfs_exit(void)
{
	debugfs_remove_recursive(hostile_dir);
	hostile_dir = NULL;
	if (hostile_buf)
		free_pages((unsigned long)hostile_buf, 1);
	if (hostile_victim)
		free_pages((unsigned long)hostile_victim, 1);
	hostile_buf = NULL;
	hostile_victim = NULL;
}
