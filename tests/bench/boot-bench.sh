#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The VMM side of make bench-boot, run where pvkit-hv runs (inside the
# nested L1, or on the host in direct mode) with busybox or any POSIX
# shell. Settings come from the file named by $1: HV, INITRD, MEM_MB,
# RUNS, and BOOTS, one boot per line, "NAME KERNEL ARG...".
#
# Each boot is a pvkit-hv guest with 1 vCPU, no disk and no NIC, and the
# same initramfs (the harness's /init, job "idle"). When /init prints its
# first marker, the script reads pvkit-hv's statistics through the
# control socket (exits by reason, port I/O by device, hypercalls by
# name), prints them with the milliseconds since it started pvkit-hv, as
#   ##PVKIT## bench boot NAME MS {stats JSON on one line}
# and stops the guest (SIGTERM). The boots take turns, RUNS rounds.
. "$1"

CTL=/tmp/pvkit-boot-bench.sock

now_ms() {
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

# boot_once NAME KERNEL ARG...
boot_once() {
	name=$1
	kernel=$2
	shift 2
	fifo=/tmp/pvkit-boot-bench-fifo
	rm -f "$fifo" "$CTL"
	mkfifo "$fifo"
	start=$(now_ms)
	"$HV" run --mem "${MEM_MB}M" --cpus 1 --control "$CTL" \
		--kernel "$kernel" --initrd "$INITRD" \
		--cmdline "$* pvkit_job=idle pvkit_host=hv" \
		</dev/null >"$fifo" 2>&1 &
	pid=$!
	seen=""
	while IFS= read -r line; do
		case "$line" in
		"##PVKIT## guest-up"*)
			[ -n "$seen" ] && continue
			ms=$(($(now_ms) - start))
			stats=$("$HV" ctl "$CTL" stats | tr -d ' \n')
			echo "##PVKIT## bench boot $name $ms $stats"
			seen=1
			kill -TERM "$pid"
			;;
		"##PVKIT## error"* | "Kernel panic"* | *"pvkit-hv: "*)
			[ -z "$seen" ] && echo "$line"
			;;
		esac
	done <"$fifo"
	wait "$pid"
	rm -f "$fifo"
	[ -n "$seen" ] || echo "##PVKIT## error boot-bench: $name did not reach init"
}

i=0
while [ "$i" -lt "$RUNS" ]; do
	echo "$BOOTS" | while read -r name kernel args; do
		[ -n "$name" ] || continue
		# shellcheck disable=SC2086
		boot_once "$name" "$kernel" $args
	done
	i=$((i + 1))
done
echo "##PVKIT## done"
