#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pvkit-hv's command line: every bad flag, missing or unusable file and
# unusable /dev/kvm or tap ends with one "pvkit-hv: error:" line on
# standard error, nothing on standard output and the documented status
# (2: bad command line, 1: set-up failed; Documentation/hypervisor.rst),
# and --help names every option the parser takes. KERNEL is a real
# bzImage, for the cases that get past the kernel's checks. Needs root
# (mount namespaces). Prints TAP.
#
#   cli_test.sh PVKIT-HV KERNEL
set -uo pipefail
hv=$1
kernel=$2
src=$(dirname "$0")/..
work=$(mktemp -d)
trap 'rm -rf "$work"; ip link del pvkitcli1 2>/dev/null' EXIT
n=0
bad=0

ok() {
	n=$((n + 1))
	echo "ok $n $1"
}

not_ok() {
	n=$((n + 1))
	bad=$((bad + 1))
	echo "not ok $n $1"
	sed 's/^/# /' "$work/err"
}

# expect NAME STATUS REGEX COMMAND...: COMMAND (pvkit-hv, or a wrapper
# running it) must exit STATUS with its one error line matching REGEX.
expect() {
	local name=$1 want=$2 regex=$3 rc lines
	shift 3
	timeout 20 "$@" </dev/null >"$work/out" 2>"$work/err"
	rc=$?
	# a bad command line adds a pointer to --help
	lines=$(grep -vc "^Try 'pvkit-hv run --help'.$" "$work/err")
	if [ "$rc" != "$want" ]; then
		not_ok "$name: status $rc, not $want"
	elif [ -s "$work/out" ]; then
		not_ok "$name: wrote to standard output"
	elif [ "$lines" != 1 ] || ! grep -q "^pvkit-hv: error: " "$work/err"; then
		not_ok "$name: not one 'pvkit-hv: error:' line"
	elif ! grep -Eq -- "$regex" "$work/err"; then
		not_ok "$name: the error does not say '$regex'"
	else
		ok "$name: $(head -n 1 "$work/err")"
	fi
}

# usage NAME COMMAND...: COMMAND must exit 2 with its usage on standard
# error and nothing on standard output.
usage() {
	local name=$1 rc
	shift
	"$@" </dev/null >"$work/out" 2>"$work/err"
	rc=$?
	if [ "$rc" = 2 ] && [ ! -s "$work/out" ] &&
	   head -n 1 "$work/err" | grep -q "^usage: pvkit-hv "; then
		ok "$name: the usage, status 2"
	else
		not_ok "$name: status $rc, not the usage and 2"
	fi
}

[ -r "$kernel" ] || { echo "Bail out! no kernel '$kernel'"; exit 1; }
echo "TAP version 13"
echo "1..34"

usage "no command" "$hv"
expect "unknown command" 2 "unknown command 'frob'" "$hv" frob
expect "no --kernel" 2 "--kernel is required" "$hv" run
expect "--kernel without a value" 2 "--kernel needs a value" "$hv" run --kernel
expect "missing kernel" 2 "'$work/none': No such file" \
	"$hv" run --kernel "$work/none"
echo "not a kernel" >"$work/text"
expect "kernel too small" 1 "too small to be a bzImage" \
	"$hv" run --kernel "$work/text"
head -c 65536 /dev/zero >"$work/zeros"
expect "kernel not a bzImage" 1 "not a bzImage" "$hv" run --kernel "$work/zeros"
expect "missing initrd" 2 "--initrd .*No such file" \
	"$hv" run --kernel "$kernel" --initrd "$work/none"
expect "size not a number" 2 "'abc' is not a size" \
	"$hv" run --kernel "$kernel" --mem abc
expect "size too large" 2 "between 128M and 3G, not 4G" \
	"$hv" run --kernel "$kernel" --mem 4G
expect "no vCPUs" 2 "--cpus takes 1 to 64, not '0'" \
	"$hv" run --kernel "$kernel" --cpus 0
expect "unknown option" 2 "unknown option '--bogus'" \
	"$hv" run --kernel "$kernel" --bogus
expect "missing disk" 2 "--disk .*No such file" \
	"$hv" run --kernel "$kernel" --disk "$work/none"
expect "disk a directory" 1 "--disk .*Is a directory" \
	"$hv" run --kernel "$kernel" --disk "$work"
: >"$work/disk"
expect "unknown disk option" 2 "unknown option 'fast'" \
	"$hv" run --kernel "$kernel" --disk "$work/disk,fast"
expect "disk fault for a NIC" 2 "tx-bad-id is for --net" \
	"$hv" run --kernel "$kernel" --disk "$work/disk,fault=tx-bad-id"
expect "NIC fault for a disk" 2 "fault=early-used is for --disk" \
	"$hv" run --kernel "$kernel" --net tap=pvkitcli0,fault=early-used
expect "NIC fault-from" 2 "fault-from= is for --disk" \
	"$hv" run --kernel "$kernel" --net tap=pvkitcli0,fault=tx-bad-id,fault-from=8
expect "bad MAC" 2 "'zz' is not a unicast MAC" \
	"$hv" run --kernel "$kernel" --net tap=pvkitcli0,mac=zz
expect "bad mrg_rxbuf" 2 "unknown option 'mrg_rxbuf=yes' .*mrg_rxbuf=on\|off" \
	"$hv" run --kernel "$kernel" --net tap=pvkitcli0,mrg_rxbuf=yes
expect "no queue pairs" 2 "queues=0: not a number of queue pairs from 1 to 8" \
	"$hv" run --kernel "$kernel" --net tap=pvkitcli0,queues=0
expect "too many queue pairs" 2 "queues=9: not a number of queue pairs from 1 to 8" \
	"$hv" run --kernel "$kernel" --net tap=pvkitcli0,queues=9
# (a single-queue tap made here, and removed at the end)
ip tuntap add dev pvkitcli1 mode tap
expect "queue pairs on a single-queue tap" 1 "tap=pvkitcli1,queues=2: the tap exists and is not multi-queue" \
	"$hv" run --kernel "$kernel" --net tap=pvkitcli1,queues=2
ip tuntap del dev pvkitcli1 mode tap
expect "both stdin consoles" 2 "both read standard input" \
	"$hv" run --kernel "$kernel" --console-stdin --serial-stdin
expect "empty kernel cache" 2 "--kernel-cache takes a directory or 'off'" \
	"$hv" run --kernel "$kernel" --kernel-cache ""
expect "unpack without --kernel" 2 "unpack: --kernel is required" \
	"$hv" unpack --kernel-cache "$work/kc"
expect "unpack of no bzImage" 1 "not a bzImage" \
	"$hv" unpack --kernel "$work/zeros" --kernel-cache "$work/kc"
expect "unpack under a file" 1 "cannot keep .* unpacked in .*: Not a directory" \
	"$hv" unpack --kernel "$kernel" --kernel-cache "$work/text/kc"
usage "ctl without a socket" "$hv" ctl
expect "ctl to no pvkit-hv" 1 "cannot connect" "$hv" ctl "$work/none" info
expect "no /dev/kvm" 1 "cannot open /dev/kvm" \
	unshare -m sh -c 'mount -t tmpfs none /dev && exec "$0" run --kernel "$1"' \
	"$hv" "$kernel"
# (a /dev/kvm that is /dev/null's device, on a machine with or without one)
expect "/dev/kvm not KVM" 1 "/dev/kvm speaks KVM API" \
	unshare -m sh -c 'mount -t tmpfs none /dev && mknod /dev/kvm c 1 3 && exec "$0" run --kernel "$1"' \
	"$hv" "$kernel"
expect "tap not allowed" 1 "needs CAP_NET_ADMIN" \
	setpriv --inh-caps=-all --bounding-set=-net_admin \
	"$hv" run --kernel "$kernel" --net tap=pvkitcli0

# every option of main.c's table is in --help
"$hv" run --help >"$work/help" 2>&1
missing=""
for opt in $(sed -n 's/^[[:space:]]*{ "\([a-z-]*\)", [a-z_]*_argument.*/\1/p' \
	"$src/main.c"); do
	grep -q -- "--$opt\b" "$work/help" || missing="$missing --$opt"
done
if [ -z "$missing" ] && grep -q -- "--kernel" "$work/help"; then
	ok "--help names every option"
else
	echo "missing:$missing" >"$work/err"
	not_ok "--help names every option"
fi
[ "$n" = 34 ] || echo "not ok $((n + 1)) ran $n cases, not 34"
echo "# $((n - bad)) passed, $bad failed"
[ "$bad" = 0 ] && [ "$n" = 34 ]
