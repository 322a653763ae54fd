# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Watching the nested L1 from the host, sourced by tests/run: l0_run runs
# L0's QEMU (tests/run, l0_nested_cmd) beside l1_watch, which ends an L1
# whose kernel log went silent (l1-init writes a heartbeat there) and
# keeps what L0's monitor says of L1's CPU; l1_clock_jump reads L1's
# kernel log for a jump of its clock; l1_fault and l1_evidence say how
# L1 failed, and l0_run_twice runs L1 once more when it did. Needs bash
# (and an info function, lib.sh's); tested by l1_watch_test.sh with a
# stand-in for QEMU.

# l1-init writes a heartbeat to L1's kernel log every 10 s: a log silent
# for this long is an L1 that stopped running (l1_watch).
L1_SILENCE=${PVKIT_L1_SILENCE:-120}

# l0_monitor WORK COMMAND: what L0's QEMU monitor answers to COMMAND
# within 5 s, without the monitor's prompt and its echo of COMMAND.
l0_monitor() {
	local mon=$1/l0-monitor in out
	# read-write opens of a fifo never block, even with QEMU gone
	exec {in}<>"$mon.in" {out}<>"$mon.out"
	echo "$2" >&"$in"
	timeout 5 cat <&"$out" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g; s/\r$//' |
		awk -v cmd="$2" '/^\(qemu\)|^QEMU .* monitor|^$/ { next }
			# the echo: each longer start of COMMAND, escapes gone
			substr($0, length($0) - length(cmd) + 1) == cmd { next }
			{ print }' || true
	exec {in}>&- {out}<&-
}

# l1_watch WORK: runs beside the nested L1. Once L1's kernel log has had
# its first line and then stays silent for L1_SILENCE seconds, it keeps
# L0's view of L1's CPU and of its local APIC in WORK/l1-stopped.log and
# ends L0's QEMU: the
# scenario ends now, not at its timeout, and says why.
l1_watch() {
	local work=$1 klog=$1/l1-kernel.log idle
	while sleep 5; do
		[ -s "$klog" ] || continue
		idle=$(($(date +%s) - $(stat -c %Y "$klog")))
		[ "$idle" -ge "$L1_SILENCE" ] || continue
		{
			echo "L1's kernel log was silent for ${idle}s (a heartbeat is due every 10 s); L0's monitor on L1's CPU:"
			# the general and control registers, not the FPU's or SSE's
			l0_monitor "$work" "info registers" |
				grep -v '^FCW=\|^FPR\|^XMM\|^YMM' || true
			# its local APIC: whether its timer is armed, and whether
			# an interrupt waits in IRR or sits unacknowledged in ISR
			l0_monitor "$work" "info lapic"
		} >"$work/l1-stopped.log.tmp"
		mv "$work/l1-stopped.log.tmp" "$work/l1-stopped.log"
		kill "$(cat "$work/l0-qemu.pid")" 2>/dev/null
		return 0
	done
}

# l0_run WORK SECS LOG CMD...: runs CMD (l0_nested_cmd's QEMU and its
# arguments) for at most SECS seconds, its console in LOG, with l1_watch
# beside it; returns CMD's status. Call it with errexit off.
l0_run() {
	local work=$1 secs=$2 log=$3 watcher rc
	shift 3
	rm -f "$work/l1-stopped.log" "$work/l0-qemu.pid" "$work/l0-monitor.in" \
		"$work/l0-monitor.out" "$work/l1-kernel.log"
	mkfifo "$work/l0-monitor.in" "$work/l0-monitor.out"
	l1_watch "$work" &
	watcher=$!
	# bash's "Terminated" for a QEMU the watcher ended is dropped:
	# l1_evidence says why. The log is written a line at a time (sed
	# -u; tr would hold 4 KiB), so a long run can be followed in it.
	{
		timeout -k 10 "$secs" "$@" </dev/null 2>&1 | sed -u 's/\r//g' >"$log"
		rc=${PIPESTATUS[0]}
	} 2>/dev/null
	kill "$watcher" 2>/dev/null
	wait "$watcher" 2>/dev/null
	return "$rc"
}

# l1_stopped WORK: whether l1_watch found the nested L1 stopped.
l1_stopped() {
	[ -f "$1/l1-stopped.log" ]
}

# l1_clock_jump WORK: prints how many seconds L1's clock jumped forward,
# if it did by more than an hour, and fails otherwise. L1's clocksource
# is its TSC, which L0's QEMU emulates; its watchdog compares it with a
# second clock and logs "Long readout interval ... cs_nsec: TSC wd_nsec:
# OTHER" when a reading took long. A TSC ahead of the other clock by more
# than an hour, in a scenario limited to minutes, is no stall: the
# emulated TSC jumped (seen once: 468469 s, then soft lockups "stuck for
# 436298s" in L1 and in the guest, whose kvmclock follows L1's).
l1_clock_jump() {
	[ -f "$1/l1-kernel.log" ] || return 1
	awk 'match($0, /Long readout interval, skipping watchdog check: cs_nsec: [0-9]+ wd_nsec: [0-9]+/) {
		split(substr($0, RSTART, RLENGTH), f, " ")
		if (f[8] - f[10] > 3600e9) { printf "%.0f\n", (f[8] - f[10]) / 1e9; found = 1; exit }
	} END { exit !found }' "$1/l1-kernel.log"
}

# l1_triple_faulted WORK: whether L0's QEMU saw the nested L1 triple-fault.
l1_triple_faulted() {
	grep -q '^Triple fault' "$1/l0-qemu.log" 2>/dev/null
}

# l1_fault WORK: says how the nested L1 failed, if it triple-faulted,
# stopped running or its clock jumped, and fails if it did none of these.
l1_fault() {
	local jump
	if l1_triple_faulted "$1"; then
		echo "triple-faulted"
	elif l1_stopped "$1"; then
		echo "stopped running (no kernel log for ${L1_SILENCE}s)"
	elif jump=$(l1_clock_jump "$1"); then
		echo "clock jumped ${jump} s forward"
	else
		return 1
	fi
}

# l1_evidence WORK: what the nested L1 left outside its console, for the
# scenario's log: an error if L1 triple-faulted, stopped or its clock
# jumped, then L1's kernel log (its heartbeats counted, not listed).
l1_evidence() {
	local jump
	l1_triple_faulted "$1" &&
		echo "##PVKIT## error the nested L1 triple-faulted (QEMU log: $1/l0-qemu.log)"
	jump=$(l1_clock_jump "$1") &&
		echo "##PVKIT## error the nested L1's clock jumped ${jump} s forward (its TSC, which L0's QEMU emulates)"
	if l1_stopped "$1"; then
		echo "##PVKIT## error the nested L1 stopped running: $(head -n 1 "$1/l1-stopped.log")"
		sed 1d "$1/l1-stopped.log" | sed 's/^/##PVKIT## l0-monitor /'
	fi
	echo "##PVKIT## l1-kernel-log-begin"
	# /dev/kmsg records: "LEVEL,SEQ,USEC,FLAGS;TEXT".
	if [ -f "$1/l1-kernel.log" ]; then
		awk '{ sub(/\r$/, "") }
		     /^[0-9]+,[0-9]+,[0-9]+,[^;]*;/ {
			split($0, h, ","); sub(/^[^;]*;/, "")
			if ($0 == "pvkit-l1: heartbeat") { beats++; last = h[3] / 1e6; next }
			printf "[L1 %12.6f] %s\n", h[3] / 1e6, $0; next } { print }
			END { if (beats) printf "[L1] %d heartbeats, the last at %.1f s\n", beats, last }' \
			"$1/l1-kernel.log"
	fi
	echo "##PVKIT## l1-kernel-log-end"
}

# l0_run_twice WORK SECS LOG CMD...: l0_run, with a failed L1's evidence
# (l1_evidence) added to LOG; if L1 failed (l1_fault), once more, said
# aloud, the first attempt's log kept as LOG.attempt1. For a run whose
# figures all come from one L1 (make bench): a fault of L0's emulation
# half an hour in would lose them all. Returns the last run's status.
# Call it with errexit off.
l0_run_twice() {
	local work=$1 secs=$2 log=$3 attempt start why rc
	shift 3
	rm -f "$log.attempt1"
	for attempt in 1 2; do
		rm -f "$work/l0-qemu.log"
		start=$SECONDS
		l0_run "$work" "$secs" "$log" "$@"
		rc=$?
		why=$(l1_fault "$work") || break
		l1_evidence "$work" >>"$log"
		[ "$attempt" = 1 ] || break
		mv "$log" "$log.attempt1"
		info "the nested L1 $why after $((SECONDS - start))s (an environment fault, see Documentation/testing.rst); running it again, first attempt's log: $log.attempt1"
	done
	return "$rc"
}
