#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: pvkit's whole test suite, in the order that fails fastest.
#   0. what it needs, installed where missing (scripts/deps.sh): first
#      what the first patched kernel's build needs, so that it starts
#      while the rest installs
#   1. the module build against every supported kernel, W=1 and sparse,
#      warning-free; a missing header set gives one clear line
#   2. the hypercall ABI header's userspace unit test (strict C99)
#   3. checkpatch on every C file; the kernel patch series under
#      patches/ is what the sources give (make patches), applies to
#      Debian's linux-source exactly, and is checkpatch-clean (its
#      modules build in 5b's kernels)
#   4. the harness checker's own test (it must fail bad logs), the
#      nested L1's watcher's, and that of what make run shows
#   5. pvkit-hv's unit tests (ASan + UBSan: the hypercall dispatcher,
#      the control socket, virtqueues, block requests) and a bounded run
#      of each fuzzer (PVKIT_FUZZ_SECONDS, default 20; a crash or a hang
#      fails)
#   5b. the patched and debug kernels (built in the background since
#      the start, the debug one first)
#   6. every harness scenario, in real guests (tests/run); where the
#      kernels are still building, Debian's kernels' scenarios run
#      beside the builds, then each patched kernel's as soon as it is
#      built, the debug one first
#   7. make run, as a user runs it, with what it must show
# Each step prints PASS/FAIL lines; the last line is "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/lib.sh"

out=$PVKIT_BUILD/check
mkdir -p "$out"
passed=0
failed=0
skipped=0

result() {
	if [ "$2" = 0 ]; then
		passed=$((passed + 1))
		echo "PASS $1"
	else
		failed=$((failed + 1))
		echo "FAIL $1"
		[ -n "${3:-}" ] && sed 's/^/       /' "$3" | tail -n 20
	fi
}

# The patched kernels, Debian's source with the series applied (cached by
# scripts/build-kernel.sh, so only a changed series or config rebuilds):
# the minimal ones with pvkit built in, and the debug one (KASAN,
# kmemleak, lockdep, UBSAN, DEBUG_PAGEALLOC, pvkit as modules) for the
# debug scenario. On a fresh machine they are most of make check (about
# 7 minutes each alone on 2 cores), so they build in the background from the
# start, at the lowest priority, on what steps 1 to 5 and Debian's
# kernels' scenarios leave of the CPUs; step 5b waits for them and
# reports. The debug kernel builds first, so that its scenarios (the
# longest, about 14 minutes nested) run, and can fail, while the other
# two build. That does not shorten make check: the CPUs are busy
# throughout (57.2 minutes from empty caches against 57.3 with the debug
# kernel last, Documentation/testing.rst). Once built they are cached, and a
# change to pvkit's patches compiles only what it touched (ccache).
#
# On a fresh machine the first kernel starts as soon as what it needs is
# installed (scripts/deps.sh --kernel), while the rest of the packages
# install; the others wait for all of them (deps.rc).
KERNELS="debug-6.12 6.12 6.1"
first_series=${KERNELS%% *}
first_series=${first_series#debug-}
build_kernels() {
	local k first=1
	for k in $KERNELS; do
		if [ "$first" = 0 ]; then
			while [ ! -e "$out/deps.rc" ]; do
				sleep 2
			done
			[ "$(cat "$out/deps.rc")" = 0 ] || return 1
		fi
		first=0
		case "$k" in
		debug-*) set -- --debug "${k#debug-}" ;;
		*) set -- "$k" ;;
		esac
		nice -n 19 "$PVKIT_ROOT/scripts/build-kernel.sh" "$@" >"$out/kernel-$k.log" 2>&1
		echo $? >"$out/kernel-$k.rc"
	done
}

# kill_tree PID: PID and every process under it (a kernel build's make
# and compilers, when make check cannot go on)
kill_tree() {
	local child
	for child in $(pgrep -P "$1"); do
		kill_tree "$child"
	done
	kill "$1" 2>/dev/null
}

# a fresh clone's make check leaves about 5.5 GiB under build/ (kernel
# trees, guests, every scenario's root file systems)
need_space "${PVKIT_CHECK_MIB:-7168}" "make check"
rm -f "$out"/kernel-*.rc "$out/deps.rc"
"$PVKIT_ROOT/scripts/deps.sh" --if-needed --kernel "$first_series" || exit 1
build_kernels &
kernels_pid=$!
"$PVKIT_ROOT/scripts/deps.sh" --if-needed
rc=$?
echo $rc >"$out/deps.rc"
if [ "$rc" != 0 ]; then
	kill_tree "$kernels_pid"
	exit 1
fi

# Counts a TAP stream's cases; prints its failures.
tap_step() {
	local name=$1 log=$2 p f s
	p=$(grep -cE '^ok [0-9]+' "$log" | tr -d ' ')
	s=$(grep -cE '^ok [0-9]+ .*# *SKIP' "$log" | tr -d ' ')
	f=$(grep -cE '^not ok [0-9]+' "$log" | tr -d ' ')
	p=$((p - s))
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "FAIL $name: no test case ran"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	echo "$([ "$f" -eq 0 ] && echo PASS || echo FAIL) $name: $p passed, $f failed"
	[ "$f" -eq 0 ] || grep -E '^not ok|^# ' "$log" | sed 's/^/       /' | head -n 40
}

echo "== 1. module builds"
for series in $PVKIT_SERIES; do
	kver=$(series_kver "$series")
	log=$out/build-$series.log
	KVER=$kver "$PVKIT_ROOT/scripts/build-modules.sh" --strict -- W=1 C=2 >"$log" 2>&1
	result "modules build against $kver with W=1 and sparse, no warnings" $? "$log"
done
log=$out/kdir-missing.log
KVER=0.0.0-nonexistent-amd64 "$PVKIT_ROOT/scripts/kdir.sh" >"$log" 2>&1
rc=$?
[ "$rc" -ne 0 ] && [ "$(wc -l <"$log")" -eq 1 ] &&
	grep -q 'install linux-headers-0.0.0-nonexistent-amd64' "$log"
result "missing headers give one line naming the package" $? "$log"

echo "== 2. hypercall ABI"
log=$out/abi.log
if gcc -std=c99 -pedantic -Wall -Wextra -Werror -I"$PVKIT_ROOT/hypercall-abi" \
	-o "$out/abi_test" "$PVKIT_ROOT/hypercall-abi/tests/abi_test.c" >"$log" 2>&1; then
	"$out/abi_test" >"$log" 2>&1
	tap_step "ABI header unit test (C99 userspace)" "$log"
else
	result "ABI header compiles as C99 with -Wall -Wextra -Werror" 1 "$log"
fi

echo "== 3. coding style"
log=$out/checkpatch.log
"$PVKIT_ROOT/scripts/checkpatch.sh" >"$log" 2>&1
tap_step "checkpatch.pl --no-tree -f" "$log"

echo "== 3b. kernel patch series"
# (drivers/virt/pvkit/ of each series is built by step 5b's kernels,
# in-tree; step 1 built the same sources W=1 and with sparse)
for series in $PVKIT_SERIES; do
	log=$out/patches-$series.log
	"$PVKIT_ROOT/scripts/gen-patches.sh" --check --no-module-build "$series" >"$log" 2>&1
	rc=$?	# (before the name's $(...) sets $? again)
	result "$(tail -n 1 "$log")" $rc "$log"
done

echo "== 4. harness checker"
log=$out/checker.log
"$PVKIT_ROOT/tests/harness/checker_test.sh" >"$log" 2>&1
tap_step "tap-check.awk fails bad logs" "$log"
log=$out/l1-watch.log
"$PVKIT_ROOT/tests/harness/l1_watch_test.sh" >"$log" 2>&1
tap_step "the nested L1's watcher ends a stopped L1" "$log"
log=$out/run-filter.log
"$PVKIT_ROOT/tests/harness/run_filter_test.sh" >"$log" 2>&1
tap_step "make run shows the guest's run and pvkit-hv's statistics" "$log"

echo "== 5. hypervisor unit tests and fuzzing"
ksft=$(kernel_tools_dir)/tools/testing/selftests
hvout=$PVKIT_BUILD/hv
log=$out/hv-unit.log
if make -s -C "$PVKIT_ROOT/hypervisor" OUT="$hvout" KSFT_DIR="$ksft" test >"$log" 2>&1; then
	for test in "$hvout"/tests/*_test; do
		name=$(basename "$test" _test)
		log=$out/hv-$name.log
		"$test" >"$log" 2>&1
		tap_step "pvkit-hv $name unit tests (ASan, UBSan)" "$log"
	done
else
	result "pvkit-hv unit tests build" 1 "$log"
fi
# pvkit-hv's command line: each bad flag, file, /dev/kvm or tap gives one
# error line and the documented status
log=$out/hv-cli.log
if make -s -C "$PVKIT_ROOT/hypervisor" OUT="$hvout" >"$log" 2>&1; then
	kver=$(series_kver 6.1)
	"$PVKIT_ROOT/hypervisor/tests/cli_test.sh" "$hvout/pvkit-hv" \
		"$(guest_dir "$kver")/boot/vmlinuz-$kver" >"$log" 2>&1
	tap_step "pvkit-hv command-line errors" "$log"
else
	result "pvkit-hv builds" 1 "$log"
fi
log=$out/hv-fuzz.log
if make -s -C "$PVKIT_ROOT/hypervisor" OUT="$hvout" fuzz >"$log" 2>&1; then
	for fuzzer in "$hvout"/fuzz/*_fuzz; do
		name=$(basename "$fuzzer")
		log=$out/hv-$name.log
		mkdir -p "$out/fuzz/$name"
		# -timeout: an input that hangs fails in seconds, not 20 minutes
		"$fuzzer" -max_total_time="${PVKIT_FUZZ_SECONDS:-20}" -seed=1 \
			-timeout=10 -artifact_prefix="$out/fuzz/" \
			"$out/fuzz/$name" >"$log" 2>&1
		rc=$?
		result "fuzz $name for ${PVKIT_FUZZ_SECONDS:-20}s: $(grep -o 'Done [0-9]* runs' "$log" || echo 'no summary')" $rc "$log"
	done
else
	result "pvkit-hv fuzzers build" 1 "$log"
fi

# Adds the counts of a tests/run summary line to ours.
harness_step() {
	local log=$1 summary
	shift
	"$PVKIT_ROOT/tests/run" "$@" 2>&1 | tee "$log"
	summary=$(tail -n 1 "$log")
	if [[ "$summary" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?$ ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
		skipped=$((skipped + ${BASH_REMATCH[4]:-0}))
	else
		result "harness ran to its summary line ($*)" 1 "$log"
	fi
}

# Step 5b: waits for kernel $1 (one of KERNELS) and reports it.
report_kernel() {
	local k=$1 log=$out/kernel-$1.log rc how what

	[ -n "${kernels_reported:-}" ] || echo "== 5b. patched kernels"
	kernels_reported="${kernels_reported:-} $k"
	while [ ! -e "$out/kernel-$k.rc" ] && kill -0 "$kernels_pid" 2>/dev/null; do
		sleep 5
	done
	rc=$(cat "$out/kernel-$k.rc" 2>/dev/null || echo 1)
	how=$(sed -n 's/^pvkit: kernel \(.*\) built in \([0-9]*\) s (\(ccache hits: [^)]*\)).*/\1, built in \2 s, \3/p' "$log")
	case "$k" in
	debug-*) what="debug ${k#debug-} kernel" ;;
	*) what="patched $k kernel with pvkit built in" ;;
	esac
	[ "$rc" = 0 ] && what="$what builds (${how:-cached})" || what="$what builds"
	result "$what" "$rc" "$log"
	[ "$rc" = 0 ]
}

# Step 5b for every kernel not reported yet.
report_kernels() {
	local k

	wait "$kernels_pid"
	for k in $KERNELS; do
		[[ " ${kernels_reported:-} " == *" $k "* ]] || report_kernel "$k"
	done
}

# Step 6, every scenario: Debian's kernels with pvkit's modules on all
# three hosts, and the patched kernels (pvkit built in) and the debug
# kernel on both hypervisors. The debug kernel's suite is the widest on
# pvkit-hv: pvkit's modules loaded, used and unloaded (20 rounds of the
# whole stack) with no KASAN, UBSAN, lockdep or kmemleak report. Its
# limits are four times the production kernels' (scenario and each
# test), up to an hour nested, where it takes 11 to 13 minutes on
# pvkit-hv and 4 on stock KVM (Documentation/testing.rst, "The debug
# kernel"). Nested, each L1 is one TCG thread, so one scenario runs per
# core, up to 4. Debian's kernels also run on pvkit-hv with 2 vCPUs
# (hv-6.1-2cpu, hv-6.12-2cpu: the whole suite, I/O load included), and
# so does the patched 6.12 kernel (hv-custom-6.12-2cpu: KVM's PV
# spinlocks, TLB flush and IPIs, and AP bring-up without the warm reset
# vector, in a kernel with pvkit's arch patches), and Debian's 6.12 on
# QEMU/KVM (kvm-6.12-2cpu: pvkit_net's two queue pairs on QEMU's NIC);
# the other 2-vCPU scenarios run with tests/run --cpus 2.
lanes=$(nproc)
[ "$lanes" -le 4 ] || lanes=4
scenarios=(--jobs "${PVKIT_TEST_JOBS:-$lanes}" --host kvm,hv,tcg --cpus 1,2
	--exclude 'kvm-6.1-2cpu,kvm-custom-*-2cpu,*-custom-6.1-2cpu,*-custom-debug-*-2cpu')
if kill -0 "$kernels_pid" 2>/dev/null; then
	# The kernels are still building (a fresh machine, or a changed
	# series). A nested guest uses 0.6 to 0.9 of a core (its tests'
	# waits), and the niced builds take the rest, so the scenarios run
	# beside the builds: Debian's kernels' first, then each patched
	# kernel's as soon as it is built (the debug one first), so that
	# only the last kernel's two scenarios are left when the CPUs are
	# no longer busy with builds.
	echo "== 6. guest scenarios, Debian's kernels (the patched kernels still building)"
	harness_step "$out/scenarios-debian.log" "${scenarios[@]}" --kernel 6.1,6.12
	# (a kernel that failed to build is one failure, not a rebuild
	# inside tests/run beside the others)
	for k in $KERNELS; do
		report_kernel "$k" || continue
		case "$k" in
		debug-*) echo "== 6. guest scenarios, the debug ${k#debug-} kernel" ;;
		*) echo "== 6. guest scenarios, the patched $k kernel" ;;
		esac
		harness_step "$out/scenarios-custom-$k.log" "${scenarios[@]}" --kernel "custom-$k"
	done
	wait "$kernels_pid"
else
	report_kernels
	echo "== 6. guest scenarios"
	harness_step "$out/scenarios.log" "${scenarios[@]}" \
		--kernel 6.1,6.12,custom,custom-debug-6.12
fi

# Step 7: the README's other command, make run, as a user runs it: it
# must boot the guest on pvkit-hv and show what it detected, a hypercall
# round trip, its disk's data written and read back through pvkit_blk,
# the host answering the NIC's ping through pvkit_net, and pvkit-hv's
# statistics with that disk's writes and that NIC's packets in them.
echo "== 7. make run"
log=$out/make-run.log
make -s -C "$PVKIT_ROOT" run >"$log" 2>&1
rc=$?
for want in '^    hypervisor     pvkit$' '^  hypercall round trip: [0-9]+ ns mean' \
	'^    virtio[0-9]+ +pvkit_blk +pvblk[0-9]+, 64 MiB, serial pvkit-test$' \
	'^  disk pvblk[0-9]+: wrote 4 MiB, flushed, read it back: the same data' \
	'^  network eth[0-9]+: ping 10[.]0[.]2[.]1 .*3 packets received' \
	'^pvkit-hv statistics [(]exit status 0, ' '^  hypercalls   [0-9]+: ping 10000' \
	'blk0: reads [1-9][0-9]*, writes [1-9][0-9]*, flushes [1-9]' \
	'net0: packets in [1-9][0-9]*, out [1-9][0-9]*'; do
	grep -qE "$want" "$log" || { echo "missing: $want" >>"$log"; rc=1; }
done
result "make run: a guest on pvkit-hv used pvkit.ko, pvkit_blk and pvkit_net ($(sed -n 's/.*guest powered off after \([0-9.]*s\).*/\1/p' "$log"))" $rc "$log"

echo "== summary"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
