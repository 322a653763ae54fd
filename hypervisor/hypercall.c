// SPDX-License-Identifier: GPL-2.0
/*
 * pvkit ABI hypercalls, host side. A guest traps in with
 * "outl %eax, %dx" on the ABI port; hypercall__handle() reads its
 * registers and writes the result to RAX, hypercall__dispatch() refuses
 * callers at CPL > 0, runs the call from one table and counts it (it
 * touches no KVM state, so unit tests and fuzzers drive it directly).
 * Every argument is untrusted: lengths are bounded and guest addresses
 * go through guest_mem__ptr(), so a bad call gets an error code and
 * nothing else happens.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <time.h>

#include "hv.h"
#include "hypercall.h"
#include "pci.h"

typedef int64_t (*hc_fn)(struct vcpu *vcpu, const uint64_t *arg);

static int64_t hc_version(struct vcpu *vcpu, const uint64_t *arg)
{
	return PVKIT_ABI_VERSION_CURRENT;
}

static int64_t hc_features(struct vcpu *vcpu, const uint64_t *arg)
{
	return HYPERCALL_FEATURES;
}

static int64_t hc_ping(struct vcpu *vcpu, const uint64_t *arg)
{
	return arg[0] > INT64_MAX ? PVKIT_EINVAL : (int64_t)arg[0];
}

/*
 * The guest buffer a call names in arg[0] (address) and arg[1] (length),
 * at most @max bytes: PVKIT_OK with *@buf set, or the call's error.
 */
static int64_t guest_buf(struct vcpu *vcpu, const uint64_t *arg, uint64_t max,
			 void **buf)
{
	if (arg[1] > max)
		return PVKIT_E2BIG;
	*buf = guest_mem__ptr(vcpu->vm, arg[0], arg[1]);
	return *buf ? PVKIT_OK : PVKIT_EFAULT;
}

static int64_t hc_console_write(struct vcpu *vcpu, const uint64_t *arg)
{
	void *buf;
	int64_t ret = guest_buf(vcpu, arg, HYPERCALL_CONSOLE_MAX, &buf);

	if (ret)
		return ret;
	console__write(vcpu->vm, CONSOLE_HYPERCALL, buf, arg[1]);
	return arg[1];
}

/* Input the host holds for the guest (console_in.c); 0: none waiting. */
static int64_t hc_console_read(struct vcpu *vcpu, const uint64_t *arg)
{
	int64_t ret;
	void *buf;

	if (arg[2] || arg[3])
		return PVKIT_EINVAL;
	ret = guest_buf(vcpu, arg, HYPERCALL_CONSOLE_MAX, &buf);
	if (ret)
		return ret;
	return console_in__read(vcpu->vm, buf, arg[1]);
}

static int64_t hc_power_off(struct vcpu *vcpu, const uint64_t *arg)
{
	hv_info("guest powered off");
	vm__finish(vcpu->vm, HV_EXIT_POWEROFF);
	return 0;
}

static int64_t hc_reboot(struct vcpu *vcpu, const uint64_t *arg)
{
	hv_info("guest asked for a reboot");
	vm__finish(vcpu->vm, HV_EXIT_REBOOT);
	return 0;
}

static int64_t hc_crash(struct vcpu *vcpu, const uint64_t *arg)
{
	char reason[HYPERCALL_CRASH_MAX + 1];
	uint64_t len = arg[1], i;

	if (len > HYPERCALL_CRASH_MAX)
		len = HYPERCALL_CRASH_MAX;
	if (guest_mem__read(vcpu->vm, arg[0], reason, len))
		return PVKIT_EFAULT;
	for (i = 0; i < len; i++)
		if (reason[i] < 0x20 || reason[i] > 0x7e)
			reason[i] = reason[i] == '\n' ? ' ' : '?';
	reason[len] = '\0';
	hv_err("guest crashed: %s", reason);
	vm__finish(vcpu->vm, HV_EXIT_CRASH);
	return 0;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Host wall-clock time paired with the guest's TSC. The vCPU is stopped
 * in this call, so its TSC is read between two clock readings and paired
 * with their midpoint.
 */
static int64_t hc_clock_read(struct vcpu *vcpu, const uint64_t *arg)
{
	struct pvkit_clock_sample sample = { 0 };
	uint64_t before, after, tsc;
	uint32_t khz;
	void *dst;

	if (arg[0] % 8 || arg[1] || arg[2] || arg[3])
		return PVKIT_EINVAL;
	dst = guest_mem__ptr(vcpu->vm, arg[0], sizeof(sample));
	if (!dst)
		return PVKIT_EFAULT;
	before = realtime_ns();
	if (vcpu__read_tsc(vcpu, &tsc, &khz))
		return PVKIT_EIO;
	after = realtime_ns();
	sample.guest_tsc = tsc;
	sample.tsc_khz = khz;
	sample.realtime_ns = before + (after - before) / 2;
	memcpy(dst, &sample, sizeof(sample));
	return 0;
}

/* Keeps printable ASCII of a guest string, NUL-terminated within @size. */
static void clean_text(char *s, size_t size)
{
	size_t i;

	s[size - 1] = '\0';
	for (i = 0; s[i]; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			s[i] = '?';
}

/* The guest's report about itself, kept for "ctl info" (control.c). */
static int64_t hc_guest_info(struct vcpu *vcpu, const uint64_t *arg)
{
	struct pvkit_guest_info info;
	struct vm *vm = vcpu->vm;

	if (arg[0] % 8 || arg[1] || arg[2] || arg[3])
		return PVKIT_EINVAL;
	if (guest_mem__read(vm, arg[0], &info, sizeof(info)))
		return PVKIT_EFAULT;
	if (info.addr_count > PVKIT_GUEST_INFO_ADDRS)
		return PVKIT_EINVAL;
	clean_text(info.kernel_release, sizeof(info.kernel_release));
	clean_text(info.hostname, sizeof(info.hostname));
	pthread_mutex_lock(&vm->lock);
	vm->guest.info = info;
	clock_gettime(CLOCK_MONOTONIC, &vm->guest.at);
	vm->guest.count++;
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

/* Fills the guest's buffer from the host's getrandom() (never blocks). */
static int64_t hc_rng_fill(struct vcpu *vcpu, const uint64_t *arg)
{
	uint64_t done = 0;
	void *buf;
	int64_t ret = guest_buf(vcpu, arg, HYPERCALL_RNG_MAX, &buf);
	ssize_t n;

	if (ret)
		return ret;
	while (done < arg[1]) {
		n = getrandom((uint8_t *)buf + done, arg[1] - done, GRND_NONBLOCK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += n;
	}
	if (!done && arg[1])
		return PVKIT_EAGAIN;
	return done;
}

static int64_t hc_event_enable(struct vcpu *vcpu, const uint64_t *arg)
{
	if (arg[0] & ~(uint64_t)HYPERCALL_EVENTS || arg[1] || arg[2] || arg[3])
		return PVKIT_EINVAL;
	events__enable(vcpu->vm, (uint32_t)arg[0]);
	return 0;
}

static int64_t hc_event_fetch(struct vcpu *vcpu, const uint64_t *arg)
{
	if (arg[0] || arg[1] || arg[2] || arg[3])
		return PVKIT_EINVAL;
	return events__fetch(vcpu->vm);
}

static const struct {
	uint32_t nr;
	hc_fn fn;
	const char *name;
} hc_table[] = {
	{ PVKIT_HC_VERSION, hc_version, "version" },
	{ PVKIT_HC_FEATURES, hc_features, "features" },
	{ PVKIT_HC_PING, hc_ping, "ping" },
	{ PVKIT_HC_CONSOLE_WRITE, hc_console_write, "console_write" },
	{ PVKIT_HC_CONSOLE_READ, hc_console_read, "console_read" },
	{ PVKIT_HC_POWER_OFF, hc_power_off, "power_off" },
	{ PVKIT_HC_REBOOT, hc_reboot, "reboot" },
	{ PVKIT_HC_CRASH, hc_crash, "crash" },
	{ PVKIT_HC_CLOCK_READ, hc_clock_read, "clock_read" },
	{ PVKIT_HC_RNG_FILL, hc_rng_fill, "rng_fill" },
	{ PVKIT_HC_GUEST_INFO, hc_guest_info, "guest_info" },
	{ PVKIT_HC_EVENT_ENABLE, hc_event_enable, "event_enable" },
	{ PVKIT_HC_EVENT_FETCH, hc_event_fetch, "event_fetch" },
	{ PVKIT_HC_BALLOON_INFLATE, balloon__inflate, "balloon_inflate" },
	{ PVKIT_HC_BALLOON_DEFLATE, balloon__deflate, "balloon_deflate" },
	{ PVKIT_HC_PAGE_REPORT, balloon__page_report, "page_report" },
	{ PVKIT_HC_MEM_STATS, balloon__mem_stats, "mem_stats" },
	{ PVKIT_HC_BALLOON_TARGET, balloon__target_call, "balloon_target" },
	{ PVKIT_HC_PCI_CONFIG_READ, pci__config_read_call, "pci_config_read" },
	{ PVKIT_HC_PCI_CONFIG_WRITE, pci__config_write_call, "pci_config_write" },
	{ PVKIT_HC_PCI_SLOTS, pci__slots_call, "pci_slots" },
};

#define HC_SLOT_UNKNOWN	ARRAY_SIZE(hc_table)

_Static_assert(HC_SLOT_UNKNOWN + 1 <= HV_HC_SLOTS, "too many hypercalls");

const char *hypercall__slot_name(unsigned int slot)
{
	if (slot < HC_SLOT_UNKNOWN)
		return hc_table[slot].name;
	return slot == HC_SLOT_UNKNOWN ? "unknown" : NULL;
}

/* The guest's privilege level: SS.DPL (KVM keeps CPL there on SVM too). */
static unsigned int guest_cpl(const struct kvm_sregs *sregs,
			      const struct kvm_regs *regs)
{
	if (!(sregs->cr0 & 1))
		return 0;
	if (regs->rflags & (1u << 17))	/* virtual-8086 mode */
		return 3;
	return sregs->ss.dpl;
}

int64_t hypercall__dispatch(struct vcpu *vcpu, unsigned int cpl,
			    uint32_t nr, const uint64_t *arg)
{
	struct vm *vm = vcpu->vm;
	unsigned int slot = HC_SLOT_UNKNOWN, i;
	int64_t ret = PVKIT_ENOSYS;

	for (i = 0; i < HC_SLOT_UNKNOWN; i++) {
		if (hc_table[i].nr == nr) {
			slot = i;
			break;
		}
	}
	/*
	 * Counted before it runs: a call that ends the VM (POWER_OFF) wakes
	 * the main thread, which may write the statistics at once.
	 */
	pthread_mutex_lock(&vm->lock);
	vm->stats.hypercalls++;
	vm->stats.hypercalls_by_slot[slot]++;
	pthread_mutex_unlock(&vm->lock);

	if (cpl != 0)
		ret = PVKIT_EPERM;
	else if (slot != HC_SLOT_UNKNOWN)
		ret = hc_table[slot].fn(vcpu, arg);

	if (ret < 0) {
		pthread_mutex_lock(&vm->lock);
		vm->stats.hypercall_errors++;
		pthread_mutex_unlock(&vm->lock);
	}
	return ret;
}

/* Reads the registers a call needs: from kvm_run, or with ioctls. */
static int hc_get_regs(struct vcpu *vcpu, struct kvm_regs *regs,
		       struct kvm_sregs *sregs)
{
	if (vcpu->vm->sync_regs) {
		*regs = vcpu->run->s.regs.regs;
		*sregs = vcpu->run->s.regs.sregs;
		return 0;
	}
	if (ioctl(vcpu->fd, KVM_GET_REGS, regs) < 0 ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, sregs) < 0)
		return -1;
	return 0;
}

static int hc_set_rax(struct vcpu *vcpu, struct kvm_regs *regs, uint64_t rax)
{
	if (vcpu->vm->sync_regs) {
		vcpu->run->s.regs.regs.rax = rax;
		vcpu->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		return 0;
	}
	regs->rax = rax;
	return ioctl(vcpu->fd, KVM_SET_REGS, regs);
}

void hypercall__handle(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	uint64_t arg[PVKIT_HC_NARGS];
	int64_t ret;

	if (hc_get_regs(vcpu, &regs, &sregs) < 0) {
		hv_err("vCPU %u: reading registers for a hypercall: %s",
		       vcpu->id, strerror(errno));
		vm__finish(vm, HV_EXIT_VM_FAILURE);
		return;
	}
	arg[0] = regs.rbx;
	arg[1] = regs.rcx;
	arg[2] = regs.rsi;
	arg[3] = regs.rdi;

	ret = hypercall__dispatch(vcpu, guest_cpl(&sregs, &regs),
				  (uint32_t)regs.rax, arg);
	if (hc_set_rax(vcpu, &regs, (uint64_t)ret) < 0) {
		hv_err("vCPU %u: returning a hypercall result: %s", vcpu->id,
		       strerror(errno));
		vm__finish(vm, HV_EXIT_VM_FAILURE);
	}
}
