// SPDX-License-Identifier: GPL-2.0
/*
 * pv-mmu, host side: the memory balloon, free page reporting and the
 * guest's memory statistics (pvkit ABI calls 0x500 to 0x504). The
 * operator sets a balloon target ("pvkit-hv ctl SOCKET balloon SIZE");
 * the guest hands frames over in batches (BALLOON_INFLATE) and takes
 * them back (BALLOON_DEFLATE), and reports free ranges it does not need
 * now (PAGE_REPORT). Every frame and range is checked before anything
 * happens: a batch is taken whole or refused whole, with an error code
 * and a rate-limited log line, and the VMM runs on. Memory given back is
 * dropped with madvise(MADV_DONTNEED), so it leaves pvkit-hv's resident
 * set; the guest's next touch gets zeroed memory.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "hv.h"
#include "hypercall.h"

#define HV_PAGE_SIZE	4096ULL
#define HV_PAGE_SHIFT	12

/* At most this many refusals are logged in each window of seconds. */
#define REFUSAL_LOG_BURST	5
#define REFUSAL_LOG_WINDOW_S	10

struct balloon {
	uint64_t *map;			/* one bit per guest frame: ballooned */
	uint64_t frames;		/* guest frames */
	struct balloon_stats s;
	time_t log_window;		/* start of the refusal log window */
	unsigned int logged;		/* refusals logged in it */
	uint64_t unlogged;		/* refusals not logged since */
};

/* The VM's balloon, made on first use; vm->lock held. NULL: no memory. */
static struct balloon *balloon_get(struct vm *vm)
{
	struct balloon *b = vm->balloon;

	if (b)
		return b;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->frames = vm->ram_size >> HV_PAGE_SHIFT;
	b->map = calloc((b->frames + 63) / 64, sizeof(*b->map));
	if (!b->map) {
		free(b);
		return NULL;
	}
	vm->balloon = b;
	return b;
}

void balloon__free(struct vm *vm)
{
	if (!vm->balloon)
		return;
	free(vm->balloon->map);
	free(vm->balloon);
	vm->balloon = NULL;
}

static bool frame_ballooned(const struct balloon *b, uint64_t pfn)
{
	return b->map[pfn / 64] & (1ULL << (pfn % 64));
}

static void frame_set(struct balloon *b, uint64_t pfn, bool on)
{
	if (on)
		b->map[pfn / 64] |= 1ULL << (pfn % 64);
	else
		b->map[pfn / 64] &= ~(1ULL << (pfn % 64));
}

/*
 * Counts a refused call and logs why, at most REFUSAL_LOG_BURST lines per
 * REFUSAL_LOG_WINDOW_S seconds (a guest must not flood the host's log);
 * vm->lock held. Returns @err.
 */
static int64_t __printf(4, 5) refuse(struct vm *vm, struct balloon *b,
				     int64_t err, const char *fmt, ...)
{
	time_t now = time(NULL);
	char why[160];
	va_list ap;

	b->s.refused++;
	if (now - b->log_window >= REFUSAL_LOG_WINDOW_S) {
		if (b->unlogged)
			hv_err("pv-mmu: %llu more refused calls not logged",
			       (unsigned long long)b->unlogged);
		b->log_window = now;
		b->logged = 0;
		b->unlogged = 0;
	}
	if (b->logged >= REFUSAL_LOG_BURST) {
		b->unlogged++;
		return err;
	}
	b->logged++;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	hv_err("pv-mmu: refused %s (error %lld)", why, (long long)err);
	return err;
}

/* Drops guest memory from the host's resident set. */
static void discard(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (madvise(vm->ram + gpa, len, MADV_DONTNEED))
		hv_err("pv-mmu: madvise(MADV_DONTNEED) of %#llx+%#llx: %s",
		       (unsigned long long)gpa, (unsigned long long)len,
		       strerror(errno));
}

/*
 * Copies a call's batch (arg[0]: its guest address, 8-byte aligned;
 * arg[1]: how many entries of @size bytes, at most @max; arg[2] and
 * arg[3] zero) into @buf; vm->lock held. 0 or the refusal's code.
 */
static int64_t batch_read(struct vm *vm, struct balloon *b,
			  const uint64_t *arg, const char *call, uint64_t max,
			  void *buf, size_t size)
{
	if (!b)
		return PVKIT_EAGAIN;
	if (arg[2] || arg[3] || arg[0] % 8)
		return refuse(vm, b, PVKIT_EINVAL,
			      "%s: unaligned array or non-zero reserved argument",
			      call);
	if (arg[1] > max)
		return refuse(vm, b, PVKIT_E2BIG,
			      "%s of %llu entries (at most %llu)", call,
			      (unsigned long long)arg[1],
			      (unsigned long long)max);
	if (guest_mem__read(vm, arg[0], buf, arg[1] * size))
		return refuse(vm, b, PVKIT_EFAULT,
			      "%s: array at %#llx outside guest RAM", call,
			      (unsigned long long)arg[0]);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The shared part of BALLOON_INFLATE and BALLOON_DEFLATE: a batch of
 * frame numbers at arg[0], arg[1] of them; every frame inside guest RAM,
 * none twice, each (inflate) not ballooned yet or (deflate) ballooned.
 * All or nothing: the result is the count, or an error and no change.
 */
static int64_t balloon_move(struct vcpu *vcpu, const uint64_t *arg,
			    bool inflate)
{
	const char *call = inflate ? "BALLOON_INFLATE" : "BALLOON_DEFLATE";
	uint64_t pfns[HYPERCALL_BALLOON_BATCH];
	uint64_t count = arg[1], i;
	struct vm *vm = vcpu->vm;
	struct balloon *b;
	int64_t ret;

	pthread_mutex_lock(&vm->lock);
	b = balloon_get(vm);
	ret = batch_read(vm, b, arg, call, HYPERCALL_BALLOON_BATCH, pfns,
			 sizeof(pfns[0]));
	if (ret)
		goto out;
	qsort(pfns, count, sizeof(pfns[0]), cmp_u64);
	for (i = 0; i < count; i++) {
		if (pfns[i] >= b->frames) {
			ret = refuse(vm, b, PVKIT_EFAULT,
				     "%s: frame %#llx outside guest RAM", call,
				     (unsigned long long)pfns[i]);
			goto out;
		}
		if (i && pfns[i] == pfns[i - 1]) {
			ret = refuse(vm, b, PVKIT_EINVAL,
				     "%s: frame %#llx twice in one batch", call,
				     (unsigned long long)pfns[i]);
			goto out;
		}
		if (frame_ballooned(b, pfns[i]) == inflate) {
			ret = refuse(vm, b, PVKIT_EINVAL, "%s: frame %#llx is %s",
				     call, (unsigned long long)pfns[i],
				     inflate ? "already in the balloon" :
					       "not in the balloon");
			goto out;
		}
	}
	for (i = 0; i < count; i++)
		frame_set(b, pfns[i], inflate);
	/* sorted: each run of consecutive frames is dropped in one call */
	for (i = 0; inflate && i < count; i++) {
		uint64_t first = i;

		while (i + 1 < count && pfns[i + 1] == pfns[i] + 1)
			i++;
		discard(vm, pfns[first] << HV_PAGE_SHIFT,
			(i - first + 1) << HV_PAGE_SHIFT);
	}
	if (inflate) {
		b->s.ballooned += count;
		b->s.inflated += count;
	} else {
		b->s.ballooned -= count;
		b->s.deflated += count;
	}
	ret = count;
out:
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

int64_t balloon__inflate(struct vcpu *vcpu, const uint64_t *arg)
{
	return balloon_move(vcpu, arg, true);
}

int64_t balloon__deflate(struct vcpu *vcpu, const uint64_t *arg)
{
	return balloon_move(vcpu, arg, false);
}

static int cmp_range(const void *a, const void *b)
{
	return cmp_u64(&((const struct pvkit_page_range *)a)->gpa,
		       &((const struct pvkit_page_range *)b)->gpa);
}

/* Does [gpa, gpa + len) hold a ballooned frame? */
static bool range_has_ballooned(const struct balloon *b, uint64_t gpa,
				uint64_t len)
{
	uint64_t pfn;

	if (!b->s.ballooned)
		return false;
	for (pfn = gpa >> HV_PAGE_SHIFT; pfn < (gpa + len) >> HV_PAGE_SHIFT;
	     pfn++)
		if (frame_ballooned(b, pfn))
			return true;
	return false;
}

/*
 * PAGE_REPORT: free ranges the guest does not need now. Each range is
 * page aligned, a non-zero page multiple, inside guest RAM, overlaps no
 * other range of the batch and no ballooned frame. All or nothing.
 */
int64_t balloon__page_report(struct vcpu *vcpu, const uint64_t *arg)
{
	struct pvkit_page_range r[HYPERCALL_REPORT_BATCH];
	uint64_t count = arg[1], i, bytes = 0, ns;
	struct vm *vm = vcpu->vm;
	struct timespec t0, t1;
	struct balloon *b;
	int64_t ret;

	pthread_mutex_lock(&vm->lock);
	b = balloon_get(vm);
	ret = batch_read(vm, b, arg, "PAGE_REPORT", HYPERCALL_REPORT_BATCH, r,
			 sizeof(r[0]));
	if (ret)
		goto out;
	qsort(r, count, sizeof(r[0]), cmp_range);
	for (i = 0; i < count; i++) {
		unsigned long long gpa = r[i].gpa, len = r[i].len;

		if (gpa % HV_PAGE_SIZE || len % HV_PAGE_SIZE || !len) {
			ret = refuse(vm, b, PVKIT_EINVAL,
				     "PAGE_REPORT: range %#llx+%#llx not in whole pages",
				     gpa, len);
			goto out;
		}
		if (!guest_mem__ptr(vm, gpa, len)) {
			ret = refuse(vm, b, PVKIT_EFAULT,
				     "PAGE_REPORT: range %#llx+%#llx outside guest RAM",
				     gpa, len);
			goto out;
		}
		if (i && r[i - 1].gpa + r[i - 1].len > gpa) {
			ret = refuse(vm, b, PVKIT_EINVAL,
				     "PAGE_REPORT: range %#llx+%#llx overlaps another of the batch",
				     gpa, len);
			goto out;
		}
		if (range_has_ballooned(b, gpa, len)) {
			ret = refuse(vm, b, PVKIT_EINVAL,
				     "PAGE_REPORT: range %#llx+%#llx holds ballooned frames",
				     gpa, len);
			goto out;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < count; i++) {
		discard(vm, r[i].gpa, r[i].len);
		bytes += r[i].len;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = hv_ns_between(&t0, &t1);
	b->s.report_ns += ns;
	if (ns > b->s.report_max_ns)
		b->s.report_max_ns = ns;
	b->s.reported_bytes += bytes;
	b->s.reports++;
	ret = count;
out:
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

/* MEM_STATS: the guest's memory figures, kept for "ctl info". */
int64_t balloon__mem_stats(struct vcpu *vcpu, const uint64_t *arg)
{
	struct pvkit_mem_stats ms;
	struct vm *vm = vcpu->vm;
	struct balloon *b;
	int64_t ret = 0;

	pthread_mutex_lock(&vm->lock);
	b = balloon_get(vm);
	if (!b) {
		ret = PVKIT_EAGAIN;
	} else if (arg[0] % 8 || arg[1] || arg[2] || arg[3]) {
		ret = refuse(vm, b, PVKIT_EINVAL,
			     "MEM_STATS: unaligned or non-zero reserved argument");
	} else if (guest_mem__read(vm, arg[0], &ms, sizeof(ms))) {
		ret = refuse(vm, b, PVKIT_EFAULT,
			     "MEM_STATS at %#llx outside guest RAM",
			     (unsigned long long)arg[0]);
	} else {
		b->s.mem = ms;
		b->s.mem_reports++;
		clock_gettime(CLOCK_MONOTONIC, &b->s.mem_at);
	}
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

int64_t balloon__target_call(struct vcpu *vcpu, const uint64_t *arg)
{
	struct vm *vm = vcpu->vm;
	int64_t ret;

	if (arg[0] || arg[1] || arg[2] || arg[3])
		return PVKIT_EINVAL;
	pthread_mutex_lock(&vm->lock);
	ret = vm->balloon ? (int64_t)vm->balloon->s.target : 0;
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

static uint64_t balloon_max_pages(struct vm *vm)
{
	uint64_t frames = vm->ram_size >> HV_PAGE_SHIFT;

	return frames - frames / HV_BALLOON_MAX_PART;
}

/*
 * Sets the balloon target to @pages and tells the guest. 0, 1 if the
 * guest does not take balloon events (it reads the target when its
 * balloon starts), -1 if @pages would leave the guest less than a
 * HV_BALLOON_MAX_PART-th of its RAM.
 */
int balloon__set_target(struct vm *vm, uint64_t pages)
{
	struct balloon *b;

	if (pages > balloon_max_pages(vm))
		return -1;
	pthread_mutex_lock(&vm->lock);
	b = balloon_get(vm);
	if (b)
		b->s.target = pages;
	pthread_mutex_unlock(&vm->lock);
	if (!b)
		return -1;
	return events__post(vm, PVKIT_EV_BALLOON) ? 0 : 1;
}

bool balloon__stats(struct vm *vm, struct balloon_stats *s)
{
	bool ok;

	pthread_mutex_lock(&vm->lock);
	ok = vm->balloon;
	if (ok)
		*s = vm->balloon->s;
	else
		memset(s, 0, sizeof(*s));
	pthread_mutex_unlock(&vm->lock);
	return ok;
}

/* "balloon": the figures for "ctl info" and --stats, one JSON member. */
void balloon__json(struct vm *vm, FILE *out)
{
	struct balloon_stats s;
	const struct pvkit_mem_stats *m = &s.mem;

	balloon__stats(vm, &s);
	fprintf(out, "  \"balloon\": {\"target_pages\": %llu, \"ballooned_pages\": %llu, \"inflated\": %llu, \"deflated\": %llu,\n",
		(unsigned long long)s.target, (unsigned long long)s.ballooned,
		(unsigned long long)s.inflated, (unsigned long long)s.deflated);
	fprintf(out, "    \"reported_bytes\": %llu, \"reports\": %llu, \"report_ms\": %.1f, \"report_max_ms\": %.1f, \"refused\": %llu,\n    \"mem_stats\": ",
		(unsigned long long)s.reported_bytes,
		(unsigned long long)s.reports, s.report_ns / 1e6,
		s.report_max_ns / 1e6, (unsigned long long)s.refused);
	if (!s.mem_reports) {
		fputs("null}", out);
		return;
	}
	fprintf(out, "{\"reports\": %llu, \"age_s\": %.1f, \"total\": %llu, \"free\": %llu, \"available\": %llu, \"cached\": %llu,\n      \"swap_in\": %llu, \"swap_out\": %llu, \"major_faults\": %llu, \"minor_faults\": %llu}}",
		(unsigned long long)s.mem_reports,
		hv_ns_since(&s.mem_at) / 1e9,
		(unsigned long long)m->total, (unsigned long long)m->free,
		(unsigned long long)m->available, (unsigned long long)m->cached,
		(unsigned long long)m->swap_in, (unsigned long long)m->swap_out,
		(unsigned long long)m->major_faults,
		(unsigned long long)m->minor_faults);
}

/* A balloon size: a number with K, M or G (plain: MiB), 0 allowed. */
static int parse_balloon_size(const char *s, uint64_t *bytes)
{
	unsigned long long v;
	unsigned int shift;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	shift = 20;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	else if (*end && *end != 'M' && *end != 'm')
		return -1;
	if (*end)
		end++;
	if (*end || v > (1ULL << 40) >> shift)
		return -1;
	*bytes = (uint64_t)v << shift;
	return 0;
}

/* "ctl SOCKET balloon SIZE": how much of the guest's RAM to take back. */
int balloon__ctl(struct vm *vm, const char *arg, FILE *out)
{
	uint64_t bytes, pages;
	int ret;

	if (parse_balloon_size(arg, &bytes)) {
		fputs("error: balloon takes a size: a number with K, M or G (e.g. 64M, 0 to empty it)\n",
		      out);
		return -1;
	}
	pages = bytes >> HV_PAGE_SHIFT;
	ret = balloon__set_target(vm, pages);
	if (ret < 0) {
		fprintf(out, "error: a balloon of %llu MiB is more than %llu MiB, the most it may take of the guest's %llu MiB\n",
			(unsigned long long)(bytes >> 20),
			(unsigned long long)(balloon_max_pages(vm) >> 8),
			(unsigned long long)(vm->ram_size >> 20));
		return -1;
	}
	hv_info("balloon target %llu pages (control socket)",
		(unsigned long long)pages);
	fprintf(out, "ok: balloon target %llu pages (%llu KiB)%s\n",
		(unsigned long long)pages, (unsigned long long)(pages * 4),
		ret ? "; the guest takes no balloon events (is pvkit_mmu.ko loaded?): it reads the target when its balloon starts" :
		      "; the guest was told");
	return 0;
}
