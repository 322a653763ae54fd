#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Proves that l1-watch.sh ends a nested L1 whose kernel log went silent
# and keeps what L0's monitor said of its CPU, lets one run on that the
# monitor's pause and resume woke, and leaves alone an L1 that keeps its
# heartbeat or has not logged its first line yet; that it
# finds a jump of L1's clock; and that l0_run_tries runs an L1 that
# stopped again, up to the runs it was given and no more. A stand-in
# for L0's QEMU writes the pid file, the kernel log and the monitor's
# answers as QEMU does. Prints TAP.
set -euo pipefail
. "$(dirname "$0")/l1-watch.sh"
info() { echo "info: $*" >>"$work/info"; }
L1_SILENCE=5
L1_WAKE_WAIT=3
L0_MONITOR_WAIT=2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
bad=0

# The stand-in: BEATS heartbeats a second apart, then an exit (HANG 0),
# silence until killed (1), or silence until the monitor's "cont", then
# ten more and an exit (2: a missed wake-up); it answers each monitor
# command with a made-up register line, or "info lapic" with a made-up
# timer line.
cat >"$work/fake-l0" <<'FAKE'
work=$1 beats=$2 hang=$3 i=0
rm -f "$work/fake-cont"
echo $$ >"$work/l0-qemu.pid"
: >"$work/l1-kernel.log"
exec 3<>"$work/l0-monitor.in" 4<>"$work/l0-monitor.out"
printf 'QEMU 7.2 monitor - type help\n(qemu) ' >&4
# the monitor answers in a process of its own, with reads that wait
# (bash's read -t loses the start of a line that comes as it times out)
while read -r cmd <&3; do
	[ "$cmd" = cont ] && : >"$work/fake-cont"
	case $cmd in
	"info lapic") answer='Timer\t DCR=0x3 (divide by 16) initial_count = 0 current_count = 0' ;;
	*) answer='RIP=ffffffff81abcdef HLT=1\nXMM00=0 0' ;;
	esac
	# the echo as QEMU's readline draws it: each longer start of the
	# line, then the cursor back to its beginning
	echo=
	for k in $(seq ${#cmd}); do
		echo="$echo${cmd:0:k}"$'\e[K'"$(printf '\e[D%.0s' $(seq "$k"))"
	done
	printf "%s\\r\\n$answer\\r\\n(qemu) " "$echo" >&4
done &
monitor=$!
trap 'kill $monitor' EXIT
trap 'exit 143' TERM
while :; do
	if [ "$hang" = 2 ] && [ -f "$work/fake-cont" ]; then
		rm "$work/fake-cont"
		beats=$((i + 10)) hang=0
	fi
	if [ "$i" -lt "$beats" ]; then
		echo "12,$i,$((i * 1000000)),-;pvkit-l1: heartbeat" >>"$work/l1-kernel.log"
	elif [ "$hang" = 0 ]; then
		exit 0
	fi
	i=$((i + 1))
	sleep 1
done
FAKE

check() {
	n=$((n + 1))
	if eval "$2"; then
		echo "ok $n l1-watch: $1"
	else
		echo "not ok $n l1-watch: $1"
		bad=$((bad + 1))
	fi
}

echo "TAP version 13"
echo "1..19"

start=$SECONDS
l0_run "$work" 90 "$work/console" bash "$work/fake-l0" "$work" 2 1 && rc=0 || rc=$?
took=$((SECONDS - start))
check "a silent L1 is ended well before its timeout (${took}s, status $rc)" \
	'[ "$took" -lt 60 ] && [ "$rc" != 0 ] && [ "$rc" != 124 ]'
check "and said so" 'l1_stopped "$work" && grep -q "silent for" "$work/l1-stopped.log"'
check "with what the monitor said of its CPU, without prompt, echo or SSE registers" \
	'grep -q "^RIP=ffffffff81abcdef HLT=1$" "$work/l1-stopped.log" &&
	 ! grep -q "qemu\|info registers\|XMM" "$work/l1-stopped.log"'
check "and what it said of L1's local APIC" \
	'grep -q "initial_count = 0 current_count = 0" "$work/l1-stopped.log" &&
	 ! grep -q "info lapic" "$work/l1-stopped.log"'
check "and its process is gone" '! kill -0 "$(cat "$work/l0-qemu.pid")" 2>/dev/null'
check "after the monitor had paused and resumed it, which did not wake it" \
	'grep -q "did not wake it" "$work/l1-stopped.log" && [ ! -f "$work/l1-woken.log" ]'

l0_run "$work" 90 "$work/console" bash "$work/fake-l0" "$work" 2 2 && rc=0 || rc=$?
check "an L1 that the monitor's pause and resume woke runs on to its end (status $rc)" \
	'[ "$rc" = 0 ] && ! l1_stopped "$work" && [ "$(grep -c heartbeat "$work/l1-kernel.log")" = 12 ]'
check "with what the monitor saw kept" \
	'grep -q "^RIP=ffffffff81abcdef HLT=1$" "$work/l1-woken.log" &&
	 grep -q "ran again" "$work/l1-woken.log"'
evidence=$(l1_evidence "$work")
check "and said as no error in the scenario's log" \
	'grep -q "^##PVKIT## l1-woken L1 ran again" <<<"$evidence" &&
	 ! grep -q "^##PVKIT## error" <<<"$evidence"'

l0_run "$work" 60 "$work/console" bash "$work/fake-l0" "$work" 8 0 && rc=0 || rc=$?
check "an L1 with a heartbeat runs to its end (status $rc)" \
	'[ "$rc" = 0 ] && ! l1_stopped "$work"'

l0_run "$work" 8 "$work/console" bash "$work/fake-l0" "$work" 0 1 && rc=0 || rc=$?
check "an L1 still booting (empty log) is left to the timeout (status $rc)" \
	'[ "$rc" = 124 ] && ! l1_stopped "$work"'
check "the watcher is gone after each run" \
	'[ -z "$(jobs -p)" ]'

# L1's clocksource watchdog, as L1's kernel log has it: a long reading on
# both clocks is no jump; a TSC 468469 s ahead of the other clock is.
echo "4,7,276673426,-;clocksource: Long readout interval, skipping watchdog check: cs_nsec: 1667359691 wd_nsec: 1667346970" \
	>"$work/l1-kernel.log"
check "a reading that took long on both clocks is no clock jump" \
	'! l1_clock_jump "$work" >/dev/null'
echo "4,9,468863367583,-;clocksource: Long readout interval, skipping watchdog check: cs_nsec: 468469643757703 wd_nsec: 491017600" \
	>>"$work/l1-kernel.log"
check "a TSC 468469 s ahead of the watchdog's clock is one" \
	'[ "$(l1_clock_jump "$work")" = 468469 ]'
# l0_run_tries: an L1 that stops runs again; the last run's console is
# the log, each earlier one's is kept beside it. The stand-in stops on
# the attempts listed in its third argument.
cat >"$work/fake-l0-attempts" <<'FAKE'
work=$1 stops=$2
n=$(($(cat "$work/attempts" 2>/dev/null || echo 0) + 1))
echo $n >"$work/attempts"
echo "console of attempt $n"
case " $stops " in
*" $n "*) exec bash "$work/fake-l0" "$work" 2 1 ;;
*) exec bash "$work/fake-l0" "$work" 2 0 ;;
esac
FAKE
# last_run_counted N: the run that ended well was attempt N, the last,
# and the log is its console
last_run_counted() {
	[ "$rc" = 0 ] && [ "$(cat "$work/attempts")" = "$1" ] &&
		grep -q "^console of attempt $1$" "$work/console" &&
		! grep -q "##PVKIT## error" "$work/console"
}
rm -f "$work/attempts" "$work/info"
l0_run_tries "$work" 60 "$work/console" 2 bash "$work/fake-l0-attempts" "$work" 1 && rc=0 || rc=$?
check "an L1 that stopped once runs again and its second run counts (status $rc)" \
	'last_run_counted 2'
check "the first run's log is kept, with why it ended" \
	'grep -q "^console of attempt 1$" "$work/console.attempt1" &&
	 grep -q "^##PVKIT## error the nested L1 stopped running" "$work/console.attempt1"'
check "and the second run is said aloud" \
	'grep -q "the nested L1 stopped running .*running it again (2 of 2)" "$work/info"'
rm -f "$work/attempts"
l0_run_tries "$work" 60 "$work/console" 2 bash "$work/fake-l0-attempts" "$work" "1 2" && rc=0 || rc=$?
check "given two runs, an L1 that stops twice is not run a third time, and fails (status $rc)" \
	'[ "$rc" != 0 ] && [ "$(cat "$work/attempts")" = 2 ]'
check "its last log says why" \
	'grep -q "^##PVKIT## error the nested L1 stopped running" "$work/console" &&
	 grep -q "^##PVKIT## l1-kernel-log-end" "$work/console"'
rm -f "$work/attempts" "$work/info"
echo "a log of an earlier run" >"$work/console.attempt7"
l0_run_tries "$work" 60 "$work/console" 3 bash "$work/fake-l0-attempts" "$work" "1 2" && rc=0 || rc=$?
check "given three, the same L1's third run counts (status $rc)" \
	'last_run_counted 3'
check "with both earlier logs kept, and no stale one" \
	'grep -q "^console of attempt 1$" "$work/console.attempt1" &&
	 grep -q "^console of attempt 2$" "$work/console.attempt2" &&
	 [ ! -e "$work/console.attempt3" ] && [ ! -e "$work/console.attempt7" ] &&
	 grep -q "running it again (3 of 3)" "$work/info"'
[ "$bad" -eq 0 ]
