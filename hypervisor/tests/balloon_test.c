// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of pvkit-hv's pv-mmu calls (balloon.c), built with ASan and
 * UBSan: a batch is taken whole and its memory dropped (it reads back as
 * zeros), a hostile batch (frames outside RAM, twice in a batch, already
 * or never ballooned, unaligned or overlapping ranges, oversized
 * batches) is refused whole with the right code, counted and logged at
 * a limited rate; the target, the memory statistics, "ctl balloon" and
 * the figures "ctl info" shows.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "doubles.h"
#include "../hypercall.h"

#define RAM	(4 << 20)
#define PG	4096ULL
#define FRAMES	(RAM / PG)
#define ARRAY	PG		/* where the test puts its frame arrays */

FIXTURE(mmu) {
	struct vm *vm;
	struct vcpu *vcpu;
};

FIXTURE_SETUP(mmu)
{
	self->vm = double_vm_create(RAM);
	ASSERT_NE(NULL, self->vm);
	self->vcpu = &self->vm->vcpus[0];
	double_reset(self->vm);
}

FIXTURE_TEARDOWN(mmu)
{
	double_vm_destroy(self->vm);
}

static int64_t hc(struct vcpu *vcpu, uint32_t nr, uint64_t a0, uint64_t a1)
{
	uint64_t arg[PVKIT_HC_NARGS] = { a0, a1 };

	return hypercall__dispatch(vcpu, 0, nr, arg);
}

/* Puts @n frame numbers at ARRAY and makes the call. */
static int64_t frames(struct vm *vm, uint32_t nr, const uint64_t *pfn,
		      unsigned int n)
{
	memcpy(vm->ram + ARRAY, pfn, n * sizeof(*pfn));
	return hc(&vm->vcpus[0], nr, ARRAY, n);
}

static int64_t report(struct vm *vm, const struct pvkit_page_range *r,
		      unsigned int n)
{
	memcpy(vm->ram + ARRAY, r, n * sizeof(*r));
	return hc(&vm->vcpus[0], PVKIT_HC_PAGE_REPORT, ARRAY, n);
}

static bool page_is(struct vm *vm, uint64_t pfn, uint8_t byte)
{
	const uint8_t *p = vm->ram + pfn * PG;
	uint64_t i;

	for (i = 0; i < PG; i++)
		if (p[i] != byte)
			return false;
	return true;
}

static struct balloon_stats stats(struct vm *vm)
{
	struct balloon_stats s;

	balloon__stats(vm, &s);
	return s;
}

TEST_F(mmu, features_and_event_are_offered)
{
	EXPECT_EQ(PVKIT_F_BALLOON | PVKIT_F_PAGE_REPORT | PVKIT_F_MEM_STATS,
		  HYPERCALL_FEATURES & (PVKIT_F_BALLOON | PVKIT_F_PAGE_REPORT |
					PVKIT_F_MEM_STATS));
	EXPECT_NE(0U, HYPERCALL_EVENTS & PVKIT_EV_BALLOON);
}

TEST_F(mmu, inflate_drops_the_pages_and_deflate_returns_them)
{
	uint64_t pfn[3] = { 100, 7, 1000 };

	memset(self->vm->ram + 7 * PG, 0xab, PG);
	memset(self->vm->ram + 8 * PG, 0xcd, PG);
	memset(self->vm->ram + 100 * PG, 0xab, PG);
	EXPECT_EQ(3, frames(self->vm, PVKIT_HC_BALLOON_INFLATE, pfn, 3));
	EXPECT_TRUE(page_is(self->vm, 7, 0));
	EXPECT_TRUE(page_is(self->vm, 100, 0));
	EXPECT_TRUE(page_is(self->vm, 8, 0xcd));	/* its neighbour kept */
	EXPECT_EQ(3U, stats(self->vm).ballooned);
	EXPECT_EQ(3U, stats(self->vm).inflated);

	EXPECT_EQ(2, frames(self->vm, PVKIT_HC_BALLOON_DEFLATE, pfn, 2));
	EXPECT_EQ(1U, stats(self->vm).ballooned);
	EXPECT_EQ(2U, stats(self->vm).deflated);
	/* deflated frames may be ballooned again */
	EXPECT_EQ(2, frames(self->vm, PVKIT_HC_BALLOON_INFLATE, pfn, 2));
	EXPECT_EQ(0U, stats(self->vm).refused);
	EXPECT_EQ(0, hc(self->vcpu, PVKIT_HC_BALLOON_INFLATE, ARRAY, 0));
}

TEST_F(mmu, hostile_balloon_batches_are_refused_whole)
{
	uint64_t outside[2] = { 5, FRAMES };
	uint64_t huge[2] = { 5, UINT64_MAX };
	uint64_t twice[3] = { 9, 5, 9 };
	uint64_t one = 20, pair[2] = { 21, 20 };
	uint64_t cpl3_arg[PVKIT_HC_NARGS] = { ARRAY, 1 };

	memset(self->vm->ram + 5 * PG, 0x5a, PG);
	EXPECT_EQ(PVKIT_EFAULT,
		  frames(self->vm, PVKIT_HC_BALLOON_INFLATE, outside, 2));
	EXPECT_EQ(PVKIT_EFAULT,
		  frames(self->vm, PVKIT_HC_BALLOON_INFLATE, huge, 2));
	EXPECT_EQ(PVKIT_EINVAL,
		  frames(self->vm, PVKIT_HC_BALLOON_INFLATE, twice, 3));
	/* nothing of a refused batch was taken */
	EXPECT_TRUE(page_is(self->vm, 5, 0x5a));
	EXPECT_EQ(0U, stats(self->vm).ballooned);

	EXPECT_EQ(1, frames(self->vm, PVKIT_HC_BALLOON_INFLATE, &one, 1));
	EXPECT_EQ(PVKIT_EINVAL,
		  frames(self->vm, PVKIT_HC_BALLOON_INFLATE, pair, 2));
	EXPECT_EQ(PVKIT_EINVAL,
		  frames(self->vm, PVKIT_HC_BALLOON_DEFLATE, pair, 2));
	EXPECT_EQ(1U, stats(self->vm).ballooned);

	EXPECT_EQ(PVKIT_E2BIG, hc(self->vcpu, PVKIT_HC_BALLOON_INFLATE, ARRAY,
				  HYPERCALL_BALLOON_BATCH + 1));
	EXPECT_EQ(PVKIT_EFAULT, hc(self->vcpu, PVKIT_HC_BALLOON_INFLATE,
				   RAM - 8, 2));
	EXPECT_EQ(PVKIT_EINVAL, hc(self->vcpu, PVKIT_HC_BALLOON_DEFLATE,
				   ARRAY + 4, 1));
	EXPECT_EQ(8U, stats(self->vm).refused);
	EXPECT_EQ(1U, stats(self->vm).ballooned);
	/* and from CPL 3 nothing at all */
	memcpy(self->vm->ram + ARRAY, &one, sizeof(one));
	EXPECT_EQ(PVKIT_EPERM, hypercall__dispatch(self->vcpu, 3,
						   PVKIT_HC_BALLOON_DEFLATE,
						   cpl3_arg));
	EXPECT_EQ(1U, stats(self->vm).ballooned);
}

TEST_F(mmu, a_full_batch_is_taken)
{
	uint64_t pfn[HYPERCALL_BALLOON_BATCH];
	unsigned int i;

	for (i = 0; i < HYPERCALL_BALLOON_BATCH; i++)
		pfn[i] = FRAMES - 1 - i;
	memset(self->vm->ram, 0x33, RAM);
	EXPECT_EQ(HYPERCALL_BALLOON_BATCH,
		  frames(self->vm, PVKIT_HC_BALLOON_INFLATE, pfn,
			 HYPERCALL_BALLOON_BATCH));
	/* one run of frames, dropped whole, and nothing around it */
	EXPECT_TRUE(page_is(self->vm, FRAMES - 1, 0));
	EXPECT_TRUE(page_is(self->vm, FRAMES - HYPERCALL_BALLOON_BATCH, 0));
	EXPECT_TRUE(page_is(self->vm, FRAMES - HYPERCALL_BALLOON_BATCH - 1,
			    0x33));
	EXPECT_EQ(HYPERCALL_BALLOON_BATCH,
		  frames(self->vm, PVKIT_HC_BALLOON_DEFLATE, pfn,
			 HYPERCALL_BALLOON_BATCH));
	EXPECT_EQ(0U, stats(self->vm).ballooned);
}

TEST_F(mmu, page_report_drops_free_ranges)
{
	struct pvkit_page_range r[2] = {
		{ .gpa = 64 * PG, .len = 16 * PG },
		{ .gpa = 32 * PG, .len = PG },
	};

	memset(self->vm->ram + 32 * PG, 0x11, 64 * PG);
	EXPECT_EQ(2, report(self->vm, r, 2));
	EXPECT_TRUE(page_is(self->vm, 32, 0));
	EXPECT_TRUE(page_is(self->vm, 33, 0x11));
	EXPECT_TRUE(page_is(self->vm, 64, 0));
	EXPECT_TRUE(page_is(self->vm, 79, 0));
	EXPECT_TRUE(page_is(self->vm, 80, 0x11));
	EXPECT_EQ(17 * PG, stats(self->vm).reported_bytes);
	EXPECT_EQ(1U, stats(self->vm).reports);
	/* the same free memory may be reported again after reuse */
	EXPECT_EQ(2, report(self->vm, r, 2));
	EXPECT_EQ(34 * PG, stats(self->vm).reported_bytes);
}

TEST_F(mmu, hostile_page_reports_are_refused_whole)
{
	struct pvkit_page_range good = { .gpa = 40 * PG, .len = PG };
	struct pvkit_page_range bad[][2] = {
		{ good, { .gpa = RAM, .len = PG } },		/* outside */
		{ good, { .gpa = RAM - PG, .len = 2 * PG } },	/* runs out */
		{ good, { .gpa = 8 * PG, .len = UINT64_MAX - PG + 1 } },
		{ good, { .gpa = 40 * PG, .len = PG } },	/* twice */
		{ good, { .gpa = 39 * PG, .len = 2 * PG } },	/* overlaps */
		{ good, { .gpa = 50 * PG + 8, .len = PG } },	/* unaligned */
		{ good, { .gpa = 50 * PG, .len = 100 } },	/* part page */
		{ good, { .gpa = 50 * PG, .len = 0 } },		/* empty */
		{ good, { .gpa = 60 * PG, .len = 4 * PG } },	/* ballooned */
	};
	int64_t want[] = { PVKIT_EFAULT, PVKIT_EFAULT, PVKIT_EFAULT,
			   PVKIT_EINVAL, PVKIT_EINVAL, PVKIT_EINVAL,
			   PVKIT_EINVAL, PVKIT_EINVAL, PVKIT_EINVAL };
	uint64_t ballooned = 62;
	unsigned int i;

	ASSERT_EQ(1, frames(self->vm, PVKIT_HC_BALLOON_INFLATE, &ballooned, 1));
	memset(self->vm->ram + 40 * PG, 0x77, PG);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(want[i], report(self->vm, bad[i], 2)) TH_LOG("case %u", i);
		EXPECT_TRUE(page_is(self->vm, 40, 0x77)) TH_LOG("case %u", i);
	}
	EXPECT_EQ(0U, stats(self->vm).reported_bytes);
	EXPECT_EQ(ARRAY_SIZE(bad), stats(self->vm).refused);
	EXPECT_EQ(PVKIT_E2BIG, hc(self->vcpu, PVKIT_HC_PAGE_REPORT, ARRAY,
				  HYPERCALL_REPORT_BATCH + 1));
	EXPECT_EQ(PVKIT_EFAULT, hc(self->vcpu, PVKIT_HC_PAGE_REPORT,
				   RAM - 16, 2));
}

TEST_F(mmu, refusals_are_logged_at_a_limited_rate)
{
	uint64_t outside = FRAMES + 5;
	unsigned int i;

	EXPECT_EQ(PVKIT_EFAULT,
		  frames(self->vm, PVKIT_HC_BALLOON_INFLATE, &outside, 1));
	EXPECT_EQ(1, double_record.err_lines);
	EXPECT_NE(NULL, strstr(double_record.err_last,
			       "refused BALLOON_INFLATE: frame 0x405 outside guest RAM"))
		TH_LOG("%s", double_record.err_last);
	for (i = 0; i < 1000; i++)
		frames(self->vm, PVKIT_HC_BALLOON_INFLATE, &outside, 1);
	EXPECT_GE(10, double_record.err_lines);
	EXPECT_EQ(1001U, stats(self->vm).refused);
}

TEST_F(mmu, target_is_set_by_the_host_and_read_by_the_guest)
{
	EXPECT_EQ(0, hc(self->vcpu, PVKIT_HC_BALLOON_TARGET, 0, 0));
	/* guest without balloon events: set, but nobody was told */
	EXPECT_EQ(1, balloon__set_target(self->vm, 100));
	EXPECT_EQ(0, double_record.irq_edges);
	EXPECT_EQ(100, hc(self->vcpu, PVKIT_HC_BALLOON_TARGET, 0, 0));
	events__enable(self->vm, PVKIT_EV_BALLOON);
	EXPECT_EQ(0, balloon__set_target(self->vm, 200));
	EXPECT_EQ(1, double_record.irq_edges);
	EXPECT_EQ(PVKIT_EV_BALLOON, events__fetch(self->vm));
	EXPECT_EQ(200, hc(self->vcpu, PVKIT_HC_BALLOON_TARGET, 0, 0));
	/* a balloon must leave the guest a quarter of its RAM */
	EXPECT_EQ(0, balloon__set_target(self->vm, FRAMES * 3 / 4));
	EXPECT_EQ(-1, balloon__set_target(self->vm, FRAMES * 3 / 4 + 1));
	EXPECT_EQ((int64_t)FRAMES * 3 / 4,
		  hc(self->vcpu, PVKIT_HC_BALLOON_TARGET, 0, 0));
	EXPECT_EQ(PVKIT_EINVAL, hc(self->vcpu, PVKIT_HC_BALLOON_TARGET, 1, 0));
}

TEST_F(mmu, ctl_balloon_parses_sizes)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	ASSERT_NE(NULL, out);
	EXPECT_EQ(0, balloon__ctl(self->vm, "1M", out));
	EXPECT_EQ(256, hc(self->vcpu, PVKIT_HC_BALLOON_TARGET, 0, 0));
	EXPECT_EQ(0, balloon__ctl(self->vm, "8K", out));
	EXPECT_EQ(2, hc(self->vcpu, PVKIT_HC_BALLOON_TARGET, 0, 0));
	EXPECT_EQ(0, balloon__ctl(self->vm, "0", out));
	EXPECT_EQ(0, hc(self->vcpu, PVKIT_HC_BALLOON_TARGET, 0, 0));
	EXPECT_EQ(-1, balloon__ctl(self->vm, "1G", out));
	EXPECT_EQ(-1, balloon__ctl(self->vm, "-1M", out));
	EXPECT_EQ(-1, balloon__ctl(self->vm, "12Q", out));
	EXPECT_EQ(-1, balloon__ctl(self->vm, "M", out));
	EXPECT_EQ(-1, balloon__ctl(self->vm, "99999999999999999999", out));
	EXPECT_EQ(0, hc(self->vcpu, PVKIT_HC_BALLOON_TARGET, 0, 0));
	fclose(out);
	EXPECT_EQ(0, strncmp(text, "ok: balloon target 256 pages", 28))
		TH_LOG("%s", text);
	EXPECT_NE(NULL, strstr(text, "error: balloon takes a size"));
	EXPECT_NE(NULL, strstr(text, "error: a balloon of 1024 MiB"));
	free(text);
}

TEST_F(mmu, mem_stats_and_figures_show_in_json)
{
	struct pvkit_mem_stats *ms = (void *)(self->vm->ram + ARRAY);
	uint64_t pfn = 3;
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	memset(ms, 0, sizeof(*ms));
	ms->total = 512ULL << 20;
	ms->free = 300ULL << 20;
	ms->major_faults = 17;
	EXPECT_EQ(0, hc(self->vcpu, PVKIT_HC_MEM_STATS, ARRAY, 0));
	EXPECT_EQ(PVKIT_EINVAL, hc(self->vcpu, PVKIT_HC_MEM_STATS, ARRAY + 1, 0));
	EXPECT_EQ(PVKIT_EFAULT, hc(self->vcpu, PVKIT_HC_MEM_STATS, RAM - 8, 0));
	EXPECT_EQ(1, frames(self->vm, PVKIT_HC_BALLOON_INFLATE, &pfn, 1));
	balloon__set_target(self->vm, 1);

	out = open_memstream(&text, &len);
	ASSERT_NE(NULL, out);
	balloon__json(self->vm, out);
	fclose(out);
	EXPECT_NE(NULL, strstr(text, "\"target_pages\": 1, \"ballooned_pages\": 1,"))
		TH_LOG("%s", text);
	EXPECT_NE(NULL, strstr(text, "\"refused\": 2,"));
	EXPECT_NE(NULL, strstr(text, "\"total\": 536870912, \"free\": 314572800,"));
	EXPECT_NE(NULL, strstr(text, "\"major_faults\": 17,"));
	free(text);
}

TEST_HARNESS_MAIN
