#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Proves that run-filter.awk (what make run shows) keeps what it must and
# only that: the guest's lines between run-begin and run-end and error
# markers, nothing else of the console; pvkit-hv's statistics JSON as a
# summary whose counts add up, largest first, zeros left out, a device
# line per disk and NIC with its queues' kicks and interrupts summed; the
# whole JSON in the file it was given; and a clear line, not a summary
# of nothing, for JSON it cannot read. Runs it with every awk at hand
# (mawk, gawk, busybox awk). Prints TAP.
set -euo pipefail
awk_file=$(dirname "$0")/run-filter.awk
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
bad=0

stats='{"exit_code":0,"vcpus":2,"setup_ms":12.5,"kernel_cached":true,'
stats+='"exits":{"io":300,"mmio":20,"hlt":0},'
stats+='"pio":{"hypercall":45,"uart":250,"pci":5,"rtc":0},'
stats+='"console":{"uart_lines":7,"hypercall_lines":3},'
stats+='"virtio":{"blk0":{"queues":[{"kicks":4,"interrupts":5,"poll":{"hits":0}},'
stats+='{"kicks":6,"interrupts":7,"poll":{"hits":2}}],"reads":8,"writes":2,"flushes":1,"errors":0},'
stats+='"net0":{"queues":[{"kicks":1,"interrupts":2},{"kicks":3,"interrupts":4}],'
stats+='"rx_packets":11,"tx_packets":12,"fault":"bad-id"}},'
stats+='"hypercalls":{"total":45,"errors":2,"by_name":{"ping":40,"power_off":1,"rng_fill":4,"crash":0}},'
stats+='"balloon":{"inflated":0,"reports":0,"mem_stats":null}}'

console="booting
##PVKIT## guest-up 6.1 host=hv job=run
##PVKIT## run-begin
pvkit detected: pvkit
##PVKIT## run-end
after the run
##PVKIT## error something failed
##PVKIT## hv-stats $stats
##PVKIT## vmm-exit 0"

# check AWK NAME WANT-LINE|!UNWANTED-LINE: the output holds the line (or
# does not).
check() {
	local out=$work/out.$1 name=$2 want=$3
	n=$((n + 1))
	if [ "${want#!}" != "$want" ]; then
		if ! grep -qxF -- "${want#!}" "$out"; then
			echo "ok $n $1: $name"
			return
		fi
	elif grep -qxF -- "$want" "$out"; then
		echo "ok $n $1: $name"
		return
	fi
	echo "not ok $n $1: $name (line '${want#!}' $([ "${want#!}" = "$want" ] && echo missing || echo present); got:)"
	sed 's/^/# /' "$out"
	bad=$((bad + 1))
}

echo "TAP version 13"
awks=()
for a in mawk gawk original-awk; do
	command -v "$a" >/dev/null && awks+=("$a")
done
command -v busybox >/dev/null && awks+=("busybox awk")
echo "1..$((${#awks[@]} * 15))"

for a in "${awks[@]}"; do
	t=${a// /-}
	rm -f "$work/stats.json"
	printf '%s\n' "$console" | $a -v json_out="$work/stats.json" -f "$awk_file" >"$work/out.$t"
	check "$t" "the guest's run lines" "  pvkit detected: pvkit"
	check "$t" "console outside the run hidden" "!booting"
	check "$t" "console after the run hidden" "!  after the run"
	check "$t" "error markers shown" "  ##PVKIT## error something failed"
	check "$t" "heading" "pvkit-hv statistics (exit status 0, 2 vCPUs, set-up 12.5 ms):"
	check "$t" "exits summed, zeros left out" "  VM exits     320: port I/O 300, MMIO 20"
	check "$t" "port I/O largest first" "  port I/O     uart 250, hypercall 45, pci 5"
	check "$t" "hypercalls by name, refusals" "  hypercalls   45: ping 40, rng_fill 4, power_off 1 (2 refused)"
	check "$t" "console lines" "  console      7 lines through the UART, 3 through hypercalls"
	check "$t" "a disk's queues summed" "  virtio       blk0: reads 8, writes 2, flushes 1, kicks 10, interrupts 12"
	check "$t" "a NIC's queues summed" "               net0: packets in 11, out 12, kicks 4, interrupts 6"
	check "$t" "no balloon line when it did nothing" "!  memory       0 pages in the balloon, 0 free page reports"
	check "$t" "the whole JSON kept" "  (all of them: $work/stats.json)"
	n=$((n + 1))
	if [ "$(cat "$work/stats.json" 2>/dev/null)" = "$stats" ]; then
		echo "ok $n $t: the JSON file is the JSON line"
	else
		echo "not ok $n $t: the JSON file is the JSON line"
		bad=$((bad + 1))
	fi
	printf '##PVKIT## hv-stats %s\n' "${stats%?}" |
		$a -f "$awk_file" >"$work/out.$t"
	check "$t" "cut-off JSON named, not summed" "pvkit-hv statistics: not valid JSON ($((${#stats} - 1)) bytes)"
done
[ "$bad" = 0 ]
