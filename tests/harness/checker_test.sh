#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Proves that tap-check.awk fails what it must: feeds it made-up console
# logs (a clean run, a failed case, a short plan, a missing plan, a test
# that never exits, a non-zero exit, an oops or a BUG_ON() in the kernel
# log or in the nested L1's, where the first one happened, a timeout, an
# SKIP, pvkit-hv runs whose control-socket
# shutdown went wrong in each way the checker looks for, a test's ctl
# request or resident-memory watch that failed, pvkit-hv error lines and
# device resets no test asked for, per-queue counts that do not hold
# together, an early console with no line before the UART's, a failed
# case whose reason must carry its first assertion, KASAN and UBSAN
# reports, a debug kernel's run without kmemleak's scan or whose dmesg
# lost its start)
# and compares its
# counts with the expected ones. Prints TAP.
set -euo pipefail
awk_file=$(dirname "$0")/tap-check.awk
n=0
bad=0

# expect NAME "PASSED FAILED SKIPPED" LOG [HOST [NEEDED-HOST-CHECKS [EARLY [DEBUG]]]]
expect() {
	local got
	n=$((n + 1))
	got=$(printf '%s\n' "$3" | awk -v host="${4:-}" -v need="${5:-}" \
		-v early_console="${6:-0}" -v debug_kernel="${7:-0}" -f "$awk_file" |
		sed -n 's/^counts //p')
	if [ "$got" = "$2" ]; then
		echo "ok $n checker: $1"
	else
		echo "not ok $n checker: $1 (counts '$got', want '$2')"
		bad=$((bad + 1))
	fi
}

ok_run=$'##PVKIT## begin t\nTAP version 13\n1..2\nok 1 a\nok 2 b\n##PVKIT## exit t 0'
dmesg=$'##PVKIT## dmesg-begin\n[ 1.0] hello\n##PVKIT## dmesg-end'

echo "TAP version 13"
expect "clean run passes" "2 0 0" "$ok_run"$'\n'"$dmesg"$'\n##PVKIT## done'
expect "not ok fails" "1 1 0" $'##PVKIT## begin t\n1..2\nok 1 a\nnot ok 2 b\n##PVKIT## exit t 1\n##PVKIT## done'
# a failing case's reason carries its first assertion, not a later one
reason=$(printf '%s\n' '##PVKIT## begin t' '1..2' '#  RUN a' '# t.c:9:a:Expected 1 (1) == 0 (0)' \
	'# t.c:10:a:Expected 2' 'not ok 1 a' '#  RUN b' 'ok 2 b' '##PVKIT## exit t 1' '##PVKIT## done' |
	awk -f "$awk_file" | sed -n 's/^reason: //p')
n=$((n + 1))
if [ "$reason" = "t: not ok 1 a (t.c:9:a:Expected 1 (1) == 0 (0))" ]; then
	echo "ok $n checker: a failed case's reason names its first assertion"
else
	echo "not ok $n checker: a failed case's reason names its first assertion (got '$reason')"
	bad=$((bad + 1))
fi
expect "short plan fails the missing cases" "1 2 0" $'##PVKIT## begin t\n1..3\nok 1 a\n##PVKIT## exit t 0\n##PVKIT## done'
expect "missing plan fails" "1 1 0" $'##PVKIT## begin t\nok 1 a\n##PVKIT## exit t 0\n##PVKIT## done'
expect "test that never exits fails" "1 2 0" $'##PVKIT## begin t\n1..1\nok 1 a\n[ 9.0] reboot: Power down'
expect "non-zero exit with all ok fails" "1 1 0" $'##PVKIT## begin t\n1..1\nok 1 a\n##PVKIT## exit t 139\n##PVKIT## done'
expect "WARNING in kernel log fails" "2 1 0" "$ok_run"$'\n##PVKIT## dmesg-begin\n[ 2.0] WARNING: CPU: 0 PID: 1 at x.c:1\n##PVKIT## dmesg-end\n##PVKIT## done'
expect "lockdep report fails" "2 1 0" "$ok_run"$'\n##PVKIT## dmesg-begin\n[ 2.0] WARNING: possible circular locking dependency detected\n##PVKIT## dmesg-end\n##PVKIT## done'
expect "a mitigation advisory is not a problem" "2 0 0" "$ok_run"$'\n##PVKIT## dmesg-begin\n[ 0.4] Speculative Return Stack Overflow: WARNING: See https://kernel.org/doc/html/latest/admin-guide/hw-vuln/srso.html for mitigation options.\n##PVKIT## dmesg-end\n##PVKIT## done'
expect "kmemleak's banner is not a leak" "2 0 0" "$ok_run"$'\n##PVKIT## dmesg-begin\n[ 0.0] kmemleak: Kernel memory leak detector initialized (mem pool available: 15482)\n##PVKIT## dmesg-end\n##PVKIT## kmemleak-scanned 0\n##PVKIT## done'
expect "kmemleak's report fails" "2 1 0" "$ok_run"$'\n##PVKIT## dmesg-begin\n[ 60.0] kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)\n##PVKIT## dmesg-end\n##PVKIT## done'
expect "a KASAN report fails" "2 1 0" "$ok_run"$'\n##PVKIT## dmesg-begin\n[ 3.0] ==================================================================\n[ 3.0] BUG: KASAN: slab-out-of-bounds in f+0x1/0x2\n##PVKIT## dmesg-end\n##PVKIT## done'
expect "a UBSAN report fails" "2 1 0" "$ok_run"$'\n##PVKIT## dmesg-begin\n[ 3.0] UBSAN: shift-out-of-bounds in x.c:1:2\n##PVKIT## dmesg-end\n##PVKIT## done'
debug_log=$'##PVKIT## kmemleak-scanned 0\n##PVKIT## dmesg-begin\nLinux version 6.12.0-pvkit-debug\n[ 1.0] hello\n##PVKIT## dmesg-end\n##PVKIT## done'
expect "a debug kernel's run with its scan and whole log passes" "2 0 0" "$ok_run"$'\n'"$debug_log" "" "" 0 1
expect "a debug kernel's run without kmemleak's scan fails" "2 1 0" "$ok_run"$'\n'"${debug_log#*$'\n'}" "" "" 0 1
expect "a debug kernel's dmesg that lost its start fails" "2 1 0" "$ok_run"$'\n'"${debug_log/Linux version*-debug$'\n'/}" "" "" 0 1
expect "unreferenced objects after the scans fail" "2 1 0" "$ok_run"$'\n##PVKIT## kmemleak-scanned 3\n##PVKIT## done'
expect "BUG_ON() fails" "2 2 0" "$ok_run"$'\n[ 3.0] kernel BUG at mm/slub.c:435!\n[ 3.0] invalid opcode: 0000 [#1] PREEMPT SMP NOPTI\n##PVKIT## done'
expect "panic on console fails" "0 2 0" $'[ 1.0] Kernel panic - not syncing: No working init found.'
expect "skip is not a pass" "1 0 1" $'##PVKIT## begin t\n1..2\nok 1 a\nok 2 b # SKIP no device\n##PVKIT## exit t 0\n##PVKIT## done'
expect "harness error line fails" "2 1 0" "$ok_run"$'\n##PVKIT## error L1: no /dev/kvm\n##PVKIT## done'
hex=$(printf 'hello host' | od -An -tx1 | tr -d ' \n')
expect "console text that arrived passes" "3 0 0" "$ok_run"$'\n'"##PVKIT## expect-console $hex"$'\nhello host\n##PVKIT## done'
expect "console text that never arrived fails" "2 1 0" "$ok_run"$'\n'"##PVKIT## expect-console $hex"$'\n##PVKIT## done'
expect "VMM exit 0 passes" "3 0 0" "$ok_run"$'\n##PVKIT## done\n##PVKIT## vmm-exit 0'
expect "VMM exit 3 fails" "2 1 0" "$ok_run"$'\n##PVKIT## done\n##PVKIT## vmm-exit 3'

# A pvkit-hv run: the host's shutdown through the control socket, as
# tests/harness/hv-control reports it. hv_log INFO BAD NOSOCK SHUTDOWN
# GUEST STATS prints it with each part replaceable.
ctl_info='ctl info 0 { "vcpus": 1, "events": {"irq": 9, "enabled": true, "handled": ["shutdown", "reboot"]}, "guest": {"heartbeat": "ok", "kernel_release": "6.1.0-56-amd64"} }'
ctl_bad="ctl bad-command 1 pvkit-hv: error: unknown command 'frobnicate' (commands: info stats shutdown reboot)"
ctl_nosock="ctl no-socket 1 pvkit-hv: error: cannot connect to '/tmp/x/absent': No such file or directory"
ctl_shutdown='ctl shutdown 0 ok: asked the guest to power off'
hv_queues='"virtio":{"blk0":{"queues":[{"kicks":5,"interrupts":5,"chains":6,"poll":{"hits":0}}],"reads":3},"net0":{"queues":[{"kicks":1,"interrupts":3,"chains":3,"poll":{"hits":0}},{"kicks":2,"interrupts":2,"chains":2,"poll":{"hits":0}}]}}'
hv_stats='hv-stats {"vcpus":1,"setup_ms":171.5,'"$hv_queues"',"power_off":1,"event_enable":1,"event_fetch":1}'
hv_log() {
	local m='##PVKIT## '
	printf '%s\n' "$m""guest-up 6.1.0-56-amd64 host=hv job=test" \
		"$ok_run" "$m""await-shutdown" "$m$5" "$m""done" \
		"$m""vmm-exit 0" "$m$1" "$m$2" "$m$3" "$m$4" "$m$6"
}
good=("$ctl_info" "$ctl_bad" "$ctl_nosock" "$ctl_shutdown" "host-shutdown poweroff" "$hv_stats")
# hv_expect NAME COUNTS INDEX REPLACEMENT: the good log with one part replaced.
hv_expect() {
	local parts=("${good[@]}")
	parts[$3]=$4
	expect "$1" "$2" "$(hv_log "${parts[@]}")" hv
}
expect "hv host shutdown through the control socket passes" "8 0 0" "$(hv_log "${good[@]}")" hv
hv_expect "hv without power-off hypercall fails" "7 1 0" 5 "${hv_stats/\"power_off\":1/\"power_off\":0}"
hv_expect "hv info with the guest's events off fails" "7 1 0" 0 "${ctl_info/true/false}"
hv_expect "hv info that failed fails" "7 1 0" 0 'ctl info 1 pvkit-hv: error: no answer'
hv_expect "hv info with a stopped heartbeat fails" "7 1 0" 0 "${ctl_info/\"ok\"/\"stopped\"}"
hv_expect "hv info with another guest's kernel fails" "7 1 0" 0 "${ctl_info/6.1.0-56/6.12.117+deb12}"
hv_expect "hv ctl accepting an unknown command fails" "7 1 0" 1 'ctl bad-command 0 {}'
hv_expect "hv ctl that succeeds without a socket fails" "7 1 0" 2 'ctl no-socket 0 {}'
hv_expect "hv shutdown refused fails" "7 1 0" 3 'ctl shutdown 1 pvkit-hv: error: the guest has not enabled pvkit events'
hv_expect "hv shutdown the guest's init never got fails" "7 1 0" 4 'await-shutdown'
hv_expect "hv statistics with no set-up time fail" "7 1 0" 5 "${hv_stats/\"setup_ms\":171.5/\"setup_ms\":0.0}"
hv_expect "hv statistics without the set-up time fail" "7 1 0" 5 "${hv_stats/\"setup_ms\":171.5,/}"
hv_expect "hv shutdown without the event fetched fails" "7 1 0" 5 "${hv_stats/\"event_fetch\":1/\"event_fetch\":0}"
hv_expect "hv queue that took chains without an interrupt fails" "7 1 0" 5 "${hv_stats/\"interrupts\":5/\"interrupts\":0}"
hv_expect "hv test disk without a queue per vCPU fails" "7 1 0" 5 "${hv_stats/\"vcpus\":1/\"vcpus\":2}"
hv_expect "hv statistics without the NIC's queues fail" "7 1 0" 5 "${hv_stats/net0/net9}"
# net0 with 2 queue pairs and its control queue (mq_stats VCPUS
# BLK0-QUEUES NET0-QUEUES: the statistics with those queues)
q='{"kicks":1,"interrupts":1,"chains":1,"poll":{"hits":0}}'
q0='{"kicks":0,"interrupts":0,"chains":0,"poll":{"hits":0}}'
cvq='{"kicks":1,"interrupts":0,"chains":1,"poll":{"hits":0}}'
mq_stats() {
	printf 'hv-stats {"vcpus":%s,"setup_ms":171.5,"virtio":{"blk0":{"queues":[%s]},"net0":{"queues":[%s],"queue_pairs":2}},"power_off":1,"event_enable":1,"event_fetch":1}' "$@"
}
hv_expect "hv NIC with 2 queue pairs, 1 vCPU, 1 on, passes" "8 0 0" 5 "$(mq_stats 1 "$q" "$q,$q,$q0,$q0,$cvq")"
hv_expect "hv NIC whose pair left off took chains fails" "7 1 0" 5 "$(mq_stats 1 "$q" "$q,$q,$q0,$q,$cvq")"
hv_expect "hv NIC with 2 queue pairs, 2 vCPUs, 1 on, fails" "7 1 0" 5 "$(mq_stats 2 "$q,$q" "$q,$q,$q0,$q0,$cvq")"
hv_expect "hv NIC with 2 queue pairs, 2 vCPUs, 2 on, passes" "8 0 0" 5 "$(mq_stats 2 "$q,$q" "$q,$q,$q,$q,$cvq")"
hv_expect "hv NIC with 2 vCPUs, pair 1 receiving nothing, fails" "7 1 0" 5 "$(mq_stats 2 "$q,$q" "$q,$q,$q0,$q,$cvq")"
hv_expect "hv NIC whose control queue took no command fails" "7 1 0" 5 "$(mq_stats 1 "$q" "$q,$q,$q0,$q0,$q0")"
hv_expect "hv NIC without its control queue fails" "7 1 0" 5 "$(mq_stats 1 "$q" "$q,$q,$q0,$q0")"
early_stats=${hv_stats/\"vcpus\":1,/\"vcpus\":1,\"console\":{\"hypercall_lines_before_uart\":84},}
parts=("${good[@]}")
parts[5]=$early_stats
expect "hv early console's lines before the UART's pass" "9 0 0" "$(hv_log "${parts[@]}")" hv "" 1
parts[5]=${early_stats/:84/:0}
expect "hv early console with no line before the UART's fails" "8 1 0" "$(hv_log "${parts[@]}")" hv "" 1
expect "hv without ctl results fails" "5 3 0" "$ok_run"$'\n##PVKIT## done\n##PVKIT## vmm-exit 0\n'"##PVKIT## $hv_stats" hv
l1_log=$'##PVKIT## l1-kernel-log-begin\n[L1 5] kvm: Nested Virtualization enabled\n'
expect "oops in the L1 kernel log fails" "2 1 0" "$ok_run"$'\n##PVKIT## done\n'"$l1_log"$'[L1 9] BUG: unable to handle page fault for address: 0000000000000008\n##PVKIT## l1-kernel-log-end'
expect "kvm without a VMM exit status fails" "2 1 0" "$ok_run"$'\n##PVKIT## done' kvm
expect "host check ok passes" "3 0 0" "$ok_run"$'\n##PVKIT## done\n##PVKIT## host-check disk-flush ok' "" disk-flush
expect "host check fail fails" "2 1 0" "$ok_run"$'\n##PVKIT## done\n##PVKIT## host-check disk-flush fail marker missing' "" disk-flush
expect "a needed host check that never ran fails" "2 1 0" "$ok_run"$'\n##PVKIT## done' "" disk-flush

# A test's requests of the host (hv-control's await-ctl and await-rss).
asked=$'##PVKIT## expect-ctl mmu-info "ballooned_pages": 16384,\n##PVKIT## await-rss-drop freed touched 1000 10\n##PVKIT## done'
expect "an expected ctl answer passes" "3 0 0" "$ok_run"$'\n##PVKIT## expect-ctl b ok: balloon\n##PVKIT## done\n##PVKIT## ctl b 0 ok: balloon target 1 pages'
expect "a ctl answer without the text fails" "3 1 0" "$ok_run"$'\n'"$asked"$'\n##PVKIT## ctl mmu-info 0 {"ballooned_pages": 0,}\n##PVKIT## rss-drop freed ok 1200 KiB'
expect "a failed ctl fails" "2 1 0" "$ok_run"$'\n##PVKIT## expect-ctl b ok\n##PVKIT## done\n##PVKIT## ctl b 1 ok but failed'
expect "resident memory that did not drop fails" "3 1 0" "$ok_run"$'\n'"$asked"$'\n##PVKIT## ctl mmu-info 0 {"ballooned_pages": 16384,}\n##PVKIT## rss-drop freed fail 12 KiB of 1000'
expect "a drop nobody watched fails" "3 1 0" "$ok_run"$'\n'"$asked"$'\n##PVKIT## ctl mmu-info 0 {"ballooned_pages": 16384,}'

# pvkit-hv's error lines and device resets: only those a test declared.
hv_good=$(hv_log "${good[@]}")
reset='pvkit-hv: blk2: queue 0: buffer outside guest RAM; device needs reset'
named=$'pvkit-hv: blk1: /tmp/a.img, serial pvkit-test, 64 sectors\npvkit-hv: blk2: /tmp/v.img, serial pvkit-victim, 8 sectors, read-only'
refused='pvkit-hv: error: pv-mmu: refused PAGE_REPORT: range 0x1000+0x64 not in whole pages (error -22)'
expect "hv error line a test provoked passes" "8 0 0" "$hv_good"$'\n##PVKIT## vmm-error-expected pv-mmu: refused\n'"$refused" hv
expect "hv error line no test provoked fails" "8 1 0" "$hv_good"$'\n'"$refused" hv
expect "hv reset of the disk a test broke passes" "8 0 0" "$named"$'\n'"$hv_good"$'\n##PVKIT## vmm-reset-expected pvkit-victim\n'"$reset" hv
expect "hv reset of another disk fails" "8 1 0" "$named"$'\n'"$hv_good"$'\n##PVKIT## vmm-reset-expected pvkit-test\n'"$reset" hv
expect "hv reset of an unnamed device fails" "8 1 0" "$hv_good"$'\n##PVKIT## vmm-reset-expected pvkit-victim\n'"$reset" hv

# An oops's RIP and call trace come out on one "where:" line.
n=$((n + 1))
oops=$'[ 7.1] general protection fault, probably for non-canonical address 0xdead: 0000 [#1] SMP\n[ 7.1] RIP: 0010:pvnet_rx_poll+0x3c/0x2a0\n[ 7.1] Call Trace:\n[ 7.1]  <IRQ>\n[ 7.1]  ? die_addr+0x3c/0x60\n[ 7.1]  __napi_poll+0x28/0x160\n[ 7.1]  net_rx_action+0x29e/0x350\n[ 7.1] ---[ end trace 0000000000000000 ]---\n[ 7.2]  later_frame+0x1/0x2'
want="reason: where: RIP pvnet_rx_poll+0x3c; __napi_poll+0x28 net_rx_action+0x29e"
got=$(printf '%s\n' "$oops" | awk -f "$awk_file" | grep '^reason: where:' || true)
if [ "$got" = "$want" ]; then
	echo "ok $n checker: an oops's RIP and call trace are reported"
else
	echo "not ok $n checker: an oops's RIP and call trace are reported (got '$got')"
	bad=$((bad + 1))
fi
# (the plan last: the cases are counted as they run)
echo "1..$n"
[ "$bad" -eq 0 ]
