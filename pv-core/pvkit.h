/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of pvkit.ko, shared between its files: what was
 * detected at load, the hypercall entry points and their counters, and
 * the init/exit pairs of the sysfs, /dev/pvkit, power and event parts.
 */
#ifndef _PVKIT_H
#define _PVKIT_H

#include <linux/atomic.h>
#include <linux/types.h>

#include "pvkit_abi.h"
#include "pvkit_export.h"
#include "pvkit_ioctl.h"

/* Everything pvkit.ko learned about its host at load time. */
struct pvkit_host {
	u32 hypervisor;		/* PVKIT_HV_* */
	u32 transport;		/* PVKIT_XPORT_* */
	u32 kvm_base;		/* KVM CPUID base, 0 when absent */
	u32 kvm_features;	/* KVM_FEATURE_* bits */
	u32 pvkit_base;		/* pvkit CPUID base, 0 when absent */
	u32 abi_version;
	u16 pio_port;
	u64 features;		/* PVKIT_F_* */
};

extern struct pvkit_host pvkit_host;

int pvkit_detect(void);
const char *pvkit_hypervisor_name(u32 hypervisor);
const char *pvkit_transport_name(u32 transport);
const char *pvkit_feature_name(unsigned int bit);
const char *pvkit_kvm_feature_name(unsigned int bit);

/* Hypercalls (pvkit_hypercall() is in pvkit_export.h). */
long pvkit_ping_once(bool kvm);
u32 pvkit_kvm_transport(void);

struct pvkit_stats {
	atomic64_t hypercalls;
	atomic64_t errors;
	atomic64_t pings;
	atomic64_t events;	/* host events received */
	atomic64_t rng_bytes;	/* entropy bytes from the host */
	atomic64_t console_writes;	/* console hypercalls */
	atomic64_t console_reads;	/* CONSOLE_READ calls */
	atomic64_t console_read_bytes;	/* console input they brought */
	atomic64_t info_reports;	/* guest info reports sent */
	atomic64_t clock_steps;		/* wall clock steps after a pause */
	atomic64_t clock_last_step_ns;	/* the last one, signed */
};

extern struct pvkit_stats pvkit_stats;

int pvkit_sysfs_init(void);
void pvkit_sysfs_exit(void);
int pvkit_chardev_init(void);
void pvkit_chardev_exit(void);
int pvkit_power_init(void);
void pvkit_power_exit(void);
int pvkit_crash_init(void);
void pvkit_crash_exit(void);
int pvkit_guest_info_init(void);
void pvkit_guest_info_exit(void);
int pvkit_clock_init(void);
void pvkit_clock_exit(void);
struct ptp_system_timestamp;
/* The host's CLOCK_REALTIME (CLOCK_READ), bracketed by the guest's. */
int pvkit_clock_host_ns(u64 *ns, struct ptp_system_timestamp *sts);
void pvkit_clock_step_init(void);
void pvkit_clock_step_exit(void);
int pvkit_console_init(void);
void pvkit_console_exit(void);
struct tty_port;
void pvkit_console_in_init(struct tty_port *port);
void pvkit_console_in_exit(void);
void pvkit_console_in_kick(void);
long pvkit_console_read(char *page, unsigned int room);
size_t pvkit_console_out(const char *buf, size_t len);
#ifdef PVKIT_HVC
void pvkit_hvc_init(void);
void pvkit_hvc_exit(void);
void pvkit_hvc_input_ready(void);
#else
/* Built without the hvc framework's header (hvc.c): pvcon0 only. */
static inline void pvkit_hvc_init(void) { }
static inline void pvkit_hvc_exit(void) { }
static inline void pvkit_hvc_input_ready(void) { }
#endif
int pvkit_rng_init(void);
void pvkit_rng_exit(void);

/* Host-to-guest events; without them the module works on. */
void pvkit_events_init(void);
void pvkit_events_exit(void);
u32 pvkit_events_enabled(void);
unsigned int pvkit_events_line(void);
const char *pvkit_event_name(unsigned int bit);

#endif /* _PVKIT_H */
