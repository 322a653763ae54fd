#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Proves that tap-check.awk fails what it must: feeds it made-up console
# logs (a clean run, a failed case, a short plan, a missing plan, a test
# that never exits, a non-zero exit, an oops in the kernel log or in the
# nested L1's, a timeout, an SKIP) and compares its counts with the
# expected ones. Prints TAP.
set -euo pipefail
awk_file=$(dirname "$0")/tap-check.awk
n=0
bad=0

# expect NAME "PASSED FAILED SKIPPED" LOG [HOST]
expect() {
	local got
	n=$((n + 1))
	got=$(printf '%s\n' "$3" | awk -v host="${4:-}" -f "$awk_file" | sed -n 's/^counts //p')
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
echo "1..20"
expect "clean run passes" "2 0 0" "$ok_run"$'\n'"$dmesg"$'\n##PVKIT## done'
expect "not ok fails" "1 1 0" $'##PVKIT## begin t\n1..2\nok 1 a\nnot ok 2 b\n##PVKIT## exit t 1\n##PVKIT## done'
expect "short plan fails the missing cases" "1 2 0" $'##PVKIT## begin t\n1..3\nok 1 a\n##PVKIT## exit t 0\n##PVKIT## done'
expect "missing plan fails" "1 1 0" $'##PVKIT## begin t\nok 1 a\n##PVKIT## exit t 0\n##PVKIT## done'
expect "test that never exits fails" "1 2 0" $'##PVKIT## begin t\n1..1\nok 1 a\n[ 9.0] reboot: Power down'
expect "non-zero exit with all ok fails" "1 1 0" $'##PVKIT## begin t\n1..1\nok 1 a\n##PVKIT## exit t 139\n##PVKIT## done'
expect "WARNING in kernel log fails" "2 1 0" "$ok_run"$'\n##PVKIT## dmesg-begin\n[ 2.0] WARNING: CPU: 0 PID: 1 at x.c:1\n##PVKIT## dmesg-end\n##PVKIT## done'
expect "lockdep report fails" "2 1 0" "$ok_run"$'\n##PVKIT## dmesg-begin\n[ 2.0] WARNING: possible circular locking dependency detected\n##PVKIT## dmesg-end\n##PVKIT## done'
expect "a mitigation advisory is not a problem" "2 0 0" "$ok_run"$'\n##PVKIT## dmesg-begin\n[ 0.4] Speculative Return Stack Overflow: WARNING: See https://kernel.org/doc/html/latest/admin-guide/hw-vuln/srso.html for mitigation options.\n##PVKIT## dmesg-end\n##PVKIT## done'
expect "panic on console fails" "0 2 0" $'[ 1.0] Kernel panic - not syncing: No working init found.'
expect "skip is not a pass" "1 0 1" $'##PVKIT## begin t\n1..2\nok 1 a\nok 2 b # SKIP no device\n##PVKIT## exit t 0\n##PVKIT## done'
expect "harness error line fails" "2 1 0" "$ok_run"$'\n##PVKIT## error L1: no /dev/kvm\n##PVKIT## done'
hex=$(printf 'hello host' | od -An -tx1 | tr -d ' \n')
expect "console text that arrived passes" "3 0 0" "$ok_run"$'\n'"##PVKIT## expect-console $hex"$'\nhello host\n##PVKIT## done'
expect "console text that never arrived fails" "2 1 0" "$ok_run"$'\n'"##PVKIT## expect-console $hex"$'\n##PVKIT## done'
expect "VMM exit 0 passes" "3 0 0" "$ok_run"$'\n##PVKIT## done\n##PVKIT## vmm-exit 0'
expect "VMM exit 3 fails" "2 1 0" "$ok_run"$'\n##PVKIT## done\n##PVKIT## vmm-exit 3'
expect "hv power off by hypercall passes" "4 0 0" "$ok_run"$'\n##PVKIT## done\n##PVKIT## vmm-exit 0\n##PVKIT## hv-stats {"power_off":1}' hv
expect "hv without power-off hypercall fails" "3 1 0" "$ok_run"$'\n##PVKIT## done\n##PVKIT## vmm-exit 0\n##PVKIT## hv-stats {"power_off":0}' hv
l1_log=$'##PVKIT## l1-kernel-log-begin\n[L1 5] kvm: Nested Virtualization enabled\n'
expect "oops in the L1 kernel log fails" "2 1 0" "$ok_run"$'\n##PVKIT## done\n'"$l1_log"$'[L1 9] BUG: unable to handle page fault for address: 0000000000000008\n##PVKIT## l1-kernel-log-end'
expect "kvm without a VMM exit status fails" "2 1 0" "$ok_run"$'\n##PVKIT## done' kvm
[ "$bad" -eq 0 ]
