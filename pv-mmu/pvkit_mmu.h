/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of pvkit_mmu.ko, shared between its files: which
 * pv-mmu features the host offers, the counters sysfs shows, and the
 * init/exit pairs of the balloon, page reporting, memory statistics,
 * sysfs and the debugfs test hook.
 */
#ifndef _PVKIT_MMU_H
#define _PVKIT_MMU_H

#include <linux/atomic.h>
#include <linux/types.h>

#include "pvkit_abi.h"
#include "pvkit_export.h"

/* Most frames in one balloon call: one page of frame numbers. */
#define PVKIT_MMU_BALLOON_BATCH		512
/* How often the guest's memory statistics go to the host, by default. */
#define PVKIT_MMU_STATS_PERIOD_S	5

/* PVKIT_F_BALLOON, _PAGE_REPORT and _MEM_STATS the host offers. */
extern u64 pvkit_mmu_features;

struct pvkit_mmu_stats {
	atomic64_t inflated;		/* pages given to the host */
	atomic64_t deflated;		/* pages taken back */
	atomic64_t oom_deflated;	/* of those, under OOM pressure */
	atomic64_t balloon_events;	/* target changes the host posted */
	atomic64_t reports;		/* free page reports the host took */
	atomic64_t reported_bytes;
	atomic64_t cpu_list_drains;	/* per-CPU free lists emptied for it */
	atomic64_t stats_sent;		/* memory statistics reports */
	atomic64_t refused;		/* pv-mmu calls the host refused */
};

extern struct pvkit_mmu_stats pvkit_mmu_stats;

/* A pv-mmu hypercall; a refusal is counted and returned. */
long pvkit_mmu_call(unsigned int nr, unsigned long a0, unsigned long a1);

int pvkit_balloon_init(void);
void pvkit_balloon_exit(void);
unsigned long pvkit_balloon_pages(void);
unsigned long pvkit_balloon_target(void);

int pvkit_report_init(void);
void pvkit_report_exit(void);

int pvkit_mem_stats_init(void);
void pvkit_mem_stats_exit(void);
/* The last report the host took, for sysfs: eight numbers, or "none". */
ssize_t pvkit_mem_stats_last_show(char *buf);

int pvkit_mmu_sysfs_init(void);
void pvkit_mmu_sysfs_exit(void);

void pvkit_mmu_debugfs_init(void);
void pvkit_mmu_debugfs_exit(void);

#endif /* _PVKIT_MMU_H */
