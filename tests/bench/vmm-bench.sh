#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The VMM side of make bench, run where the VMMs run (inside the nested
# L1, or on the host in direct mode) with busybox or any POSIX shell.
# It reads its settings from the file named by $1 (KERNEL, INITRD, HV,
# QEMU, APPEND, MEM_MB, RUNS, ONLY, IO_VMMS) and prints "##PVKIT##
# bench ..." lines:
#   - the hypercall figures of a guest on pvkit-hv (printed by the guest);
#   - VM exits per console line and lines per second, UART against the
#     pvkit console, from pvkit-hv's statistics (its control socket) around
#     the guest's writes;
#   - each VMM's resident memory beyond guest RAM, sampled from
#     /proc/PID/smaps while the guest idles (mappings at least as large as
#     guest RAM are left out);
#   - pvkit-hv's resident memory when an idle guest touched and freed
#     1 GiB, without and with pvkit_mmu.ko;
#   - time from starting each VMM to the guest's init (the first line
#     /init prints), RUNS times each, for pvkit-hv (from its kernel cache,
#     and without it: hvcold), QEMU q35 and QEMU microvm, same kernel and
#     initramfs, pvkit-hv's own set-up time within it (its statistics),
#     and the time to init's "guest-up", after its own set-up;
#   - disk and network figures (fio, iperf3) per driver, and pvkit-hv's
#     exits per request (io-bench.sh beside this script, and TOOLS_IMG).
. "$1"
. "$(dirname "$0")/io-bench.sh"

now_ms() {
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

CTL=/tmp/pvkit-bench.sock
STATS=/tmp/pvkit-bench-stats.json
# pvkit-hv's kernel cache, filled once before the guests ("pvkit-hv
# unpack", what a first boot does in the background, so that no guest
# here has that thread beside it); "hvcold" boots without it, the guest
# unpacking its kernel at every boot
KCACHE=/tmp/pvkit-bench-kernel-cache

# exit_counts: pvkit-hv's exits so far (hv_counters, io-bench.sh).
exit_counts() {
	hv_counters - | awk '{ print $1 }'
}

rss_beyond_ram_kb() {
	awk -v ram_kb=$((MEM_MB * 1024)) '
		/^Size:/ { size = $2 }
		/^Rss:/ { if (size < ram_kb) total += $2 }
		END { print total + 0 }' "/proc/$1/smaps"
}

vmm_command() {
	case "$1" in
	hv) echo "$HV run --mem ${MEM_MB}M --cpus 1 --control $CTL --stats $STATS --kernel-cache $KCACHE --kernel $KERNEL --initrd $INITRD --cmdline" ;;
	hvcold) echo "$HV run --mem ${MEM_MB}M --cpus 1 --control $CTL --stats $STATS --kernel-cache off --kernel $KERNEL --initrd $INITRD --cmdline" ;;
	q35) echo "$QEMU -M q35 -accel kvm -cpu host -m $MEM_MB -smp 1 $QEMU_COMMON -kernel $KERNEL -initrd $INITRD -append" ;;
	iohv) echo "$HV run --mem ${MEM_MB}M --cpus 1 --control $CTL $(io_args hv) --kernel-cache $KCACHE --kernel $KERNEL --initrd $INITRD --cmdline" ;;
	iopc) echo "$QEMU -M pc -accel kvm -cpu host -m $MEM_MB -smp 1 $QEMU_COMMON $(io_args kvm) -kernel $KERNEL -initrd $INITRD -append" ;;
	microvm) echo "$QEMU -M microvm -accel kvm -cpu host -m $MEM_MB -smp 1 $QEMU_COMMON -kernel $KERNEL -initrd $INITRD -append" ;;
	esac
}

# run_guest VMM JOB KIND [retry]: boots the guest (KIND: kvm or hv, for
# its pvkit_host=), reacting to its markers as they come. An I/O guest
# that ends before its figures are done is an error, or with "retry" an
# "io-retry" line with the same console lines (io_failed=1): the caller
# runs it once more.
run_guest() {
	vmm=$1
	job=$2
	fail=error
	fail_console=guest-console
	if [ "${4:-}" = retry ]; then
		fail=io-retry
		fail_console=io-retry-console
	fi
	io_failed=0
	fifo=/tmp/pvkit-bench-fifo
	rm -f "$fifo"
	mkfifo "$fifo"
	start=$(now_ms)
	# shellcheck disable=SC2046
	$(vmm_command "$vmm") "$APPEND pvkit_job=$job pvkit_host=$3" \
		</dev/null >"$fifo" 2>&1 &
	pid=$!
	# the guest's whole console, shown when its job did not finish
	console=/tmp/pvkit-bench-console
	: >"$console"
	finished=0
	while IFS= read -r line; do
		printf '%s\n' "$line" >>"$console"
		case "$line" in
		"##PVKIT## io-done"*)
			finished=1
			;;
		"##PVKIT## init-start"*)
			[ "$job" = boot ] &&
				echo "##PVKIT## bench boot_to_init_$vmm $(($(now_ms) - start)) ms"
			;;
		"##PVKIT## guest-up"*)
			# init's own set-up done (busybox, mounts, modules)
			[ "$job" = boot ] &&
				echo "##PVKIT## bench boot_to_ready_$vmm $(($(now_ms) - start)) ms"
			;;
		"##PVKIT## console-begin"*)
			exits0=$(exit_counts)
			;;
		"##PVKIT## console-end"*)
			# shellcheck disable=SC2086
			set -- $line
			exits=$(($(exit_counts) - exits0))
			echo "##PVKIT## bench console_exits_per_line_$3 $(awk -v e=$exits -v n=$4 'BEGIN { printf "%.2f", e / n }') exits"
			echo "##PVKIT## bench console_lines_per_s_$3 $(awk -v n=$4 -v ms=$5 'BEGIN { printf "%.0f", ms ? n * 1000 / ms : 0 }') lines/s"
			;;
		"##PVKIT## measure-rss-idle"*)
			echo "##PVKIT## bench idle_rss_1g_freed_$job $(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status") KiB"
			;;
		"##PVKIT## io-begin"*)
			# shellcheck disable=SC2046
			set -- $(echo "$line" | tr -d '\r')
			# "io-begin KIND [DEV]": pvkit-hv's device, blk0 or net0 unless named
			io0=$(hv_counters "${4:-$([ "$3" = net ] && echo net0 || echo blk0)}")
			io_dev=${4:-}
			;;
		"##PVKIT## io-end"*)
			# shellcheck disable=SC2046
			set -- $(echo "$line" | tr -d '\r')
			io_window "$3" "$4" "$5" "$io0" "$io_dev"
			;;
		"##PVKIT## measure-rss"*)
			echo "##PVKIT## bench rss_beyond_ram_$vmm $(rss_beyond_ram_kb $pid) KiB"
			;;
		"##PVKIT## bench "* | "##PVKIT## error"* | "##PVKIT## io-info"*)
			echo "$line"
			;;
		esac
	done <"$fifo"
	wait $pid
	status=$?
	if [ "$job" = io ] && { [ $finished = 0 ] || [ "$status" != 0 ]; }; then
		io_failed=1
		echo "##PVKIT## $fail bench: the I/O guest on $vmm ended with status $status, its figures$([ $finished = 1 ] && echo "" || echo " not") all done; the last of its console:"
		tail -n 40 "$console" | tr -d '\r' | sed "s/^/##PVKIT## $fail_console /"
	elif [ "$status" != 0 ]; then
		echo "##PVKIT## error bench: $vmm ($job) exited with status $status"
	fi
	# pvkit-hv's own part of a boot: from its start to the guest's first
	# instruction (loading the kernel, creating the VM and its devices)
	if [ "$vmm" = hv ] && [ "$job" = boot ]; then
		setup=$(sed -n 's/^ *"setup_ms": *\([0-9.]*\),*$/\1/p' "$STATS")
		if [ -n "$setup" ]; then
			echo "##PVKIT## bench boot_setup_hv $setup ms"
		else
			echo "##PVKIT## error bench: no setup_ms in pvkit-hv's statistics $STATS"
		fi
		# 1: this boot started from the kernel cache
		grep -q '"kernel_cached": true' "$STATS" && cached=1 || cached=0
		echo "##PVKIT## bench boot_kernel_cached_hv $cached boot"
	fi
	rm -f "$fifo"
}

t0=$(now_ms)
if said=$($HV unpack --kernel "$KERNEL" --kernel-cache "$KCACHE" 2>&1); then
	echo "##PVKIT## bench kernel_unpack_hv $(($(now_ms) - t0)) ms"
else
	echo "##PVKIT## error bench: $said"
fi

# ONLY=io (make bench ONLY=io): the disk and network figures alone;
# ONLY=platform: all but those
if [ "${ONLY:-}" != io ]; then
	run_guest hv bench hv
	run_guest q35 bench kvm
	# pvkit-hv's resident memory once an idle guest has touched and
	# freed 1 GiB, without and with pvkit_mmu.ko (free page reporting);
	# the guest needs more RAM than that
	ram=$MEM_MB
	MEM_MB=${MEMFREE_MB:-1536}
	run_guest hv memfree hv
	run_guest hv memfree-mmu hv
	MEM_MB=$ram
	i=0
	while [ $i -lt "$RUNS" ]; do
		for vmm in hv hvcold q35 microvm; do
			run_guest $vmm boot "$(case $vmm in hv*) echo hv ;; *) echo kvm ;; esac)"
		done
		i=$((i + 1))
	done
fi
# IO_VMMS: the I/O guests (default both), iopc on QEMU, iohv on pvkit-hv
if [ "${ONLY:-}" != platform ]; then
	io_setup
	for vmm in ${IO_VMMS:-iopc iohv}; do
		kind=$([ "$vmm" = iohv ] && echo hv || echo kvm)
		run_guest "$vmm" io "$kind" retry
		# nested, guests have died of faults of the emulated CPU under
		# load, with pvkit's drivers and the in-tree ones alike
		# (Documentation/testing.rst): such a guest runs once more, its
		# first run's figures kept as samples, the report says so, and
		# a second such end is an error
		[ "$io_failed" = 1 ] && run_guest "$vmm" io "$kind"
	done
	io_teardown
fi
echo "##PVKIT## done"
