# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Watching the nested L1 from the host, sourced by tests/run: l0_run runs
# L0's QEMU (tests/run, l0_nested_cmd) beside l1_watch, which ends an L1
# whose kernel log went silent (l1-init writes a heartbeat there) and
# keeps what L0's monitor says of L1's CPU; l1_clock_jump reads L1's
# kernel log for a jump of its clock; l1_fault and l1_evidence say how
# L1 failed, and l0_run_tries runs L1 again when it did. Needs bash
# (and an info function, lib.sh's); tested by l1_watch_test.sh with a
# stand-in for QEMU.

# l1-init writes a heartbeat to L1's kernel log every 10 s: a log silent
# for this long is an L1 that stopped running (l1_watch).
L1_SILENCE=${PVKIT_L1_SILENCE:-120}
# how long l1_watch waits for a stopped L1 it woke to write to its log
L1_WAKE_WAIT=${PVKIT_L1_WAKE_WAIT:-15}
# how long l0_monitor reads an answer of L0's monitor
L0_MONITOR_WAIT=${L0_MONITOR_WAIT:-5}

# l0_monitor WORK COMMAND: what L0's QEMU monitor answers to COMMAND
# within L0_MONITOR_WAIT seconds, without its prompt and its echo of
# COMMAND.
l0_monitor() {
	local mon=$1/l0-monitor in out
	# read-write opens of a fifo never block, even with QEMU gone
	exec {in}<>"$mon.in" {out}<>"$mon.out"
	echo "$2" >&"$in"
	timeout "$L0_MONITOR_WAIT" cat <&"$out" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g; s/\r$//' |
		awk -v cmd="$2" '/^\(qemu\)|^QEMU .* monitor|^$/ { next }
			# the echo: each longer start of COMMAND, escapes gone
			substr($0, length($0) - length(cmd) + 1) == cmd { next }
			{ print }' || true
	exec {in}>&- {out}<&-
}

# l1_watch WORK: runs beside the nested L1. Once L1's kernel log has had
# its first line and then stays silent for L1_SILENCE seconds, it keeps
# L0's view of L1's CPU and of its local APIC, then pauses and resumes
# L1's CPU from L0's monitor: an L1 that runs again (its log moves
# within L1_WAKE_WAIT seconds) is left to run, the episode added to
# WORK/l1-woken.log; otherwise the view goes to WORK/l1-stopped.log and
# L0's QEMU is ended: the scenario ends now, not at its timeout, and
# says why.
l1_watch() {
	local work=$1 klog=$1/l1-kernel.log idle seen wait
	while sleep 5; do
		[ -s "$klog" ] || continue
		seen=$(stat -c %Y "$klog")
		idle=$(($(date +%s) - seen))
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
		# TCG's monitor reads those without waking L1's CPU; a pause and
		# a resume make its thread look afresh at what is pending. Each
		# stop seen so far had the timer's interrupt waiting in IRR
		# while L1 halted with interrupts on: a missed wake-up would
		# end here.
		l0_monitor "$work" stop >/dev/null
		l0_monitor "$work" cont >/dev/null
		wait=0
		while [ "$(stat -c %Y "$klog")" = "$seen" ] &&
		      [ "$wait" -lt "$L1_WAKE_WAIT" ]; do
			sleep 1
			wait=$((wait + 1))
		done
		if [ "$(stat -c %Y "$klog")" != "$seen" ]; then
			{
				cat "$work/l1-stopped.log.tmp"
				echo "L1 ran again once L0's monitor had paused and resumed its CPU."
			} >>"$work/l1-woken.log"
			rm -f "$work/l1-stopped.log.tmp"
			continue
		fi
		echo "A pause and a resume of L1's CPU from L0's monitor did not wake it." >>"$work/l1-stopped.log.tmp"
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
	rm -f "$work/l1-stopped.log" "$work/l1-woken.log" "$work/l0-qemu.pid" \
		"$work/l0-monitor.in" "$work/l0-monitor.out" "$work/l1-kernel.log"
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

# l1_woken WORK: the stops of the nested L1 that l1_watch woke it from,
# as "##PVKIT## l1-woken" lines (not errors: L1 ran on).
l1_woken() {
	[ -f "$1/l1-woken.log" ] &&
		sed 's/^/##PVKIT## l1-woken /' "$1/l1-woken.log"
	return 0
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
	l1_woken "$1"
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

# l0_run_tries WORK SECS LOG TRIES CMD...: l0_run, with a failed L1's
# evidence (l1_evidence) added to LOG; if L1 failed (l1_fault), again,
# said aloud, up to TRIES runs in all, attempt N's log kept as
# LOG.attemptN. For a run whose figures all come from one L1 (make
# bench): a fault of L0's emulation half an hour in would lose them all.
# Returns the last run's status. Call it with errexit off.
l0_run_tries() {
	local work=$1 secs=$2 log=$3 tries=$4 attempt=0 start why rc
	shift 4
	rm -f "$log".attempt[0-9]*
	while :; do
		attempt=$((attempt + 1))
		rm -f "$work/l0-qemu.log"
		start=$SECONDS
		l0_run "$work" "$secs" "$log" "$@"
		rc=$?
		if ! why=$(l1_fault "$work"); then
			l1_woken "$work" >>"$log"
			break
		fi
		l1_evidence "$work" >>"$log"
		[ "$attempt" -lt "$tries" ] || break
		mv "$log" "$log.attempt$attempt"
		info "the nested L1 $why after $((SECONDS - start))s (an environment fault, see Documentation/testing.rst); running it again ($((attempt + 1)) of $tries), this attempt's log: $log.attempt$attempt"
	done
	return "$rc"
}
