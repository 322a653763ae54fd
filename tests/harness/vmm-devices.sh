# SPDX-License-Identifier: GPL-2.0
# The test guest's virtio devices, set up where its VMM runs: in the
# nested L1, or on this host in direct mode. Sourced by the launch script
# (busybox sh or bash) with DEV_DIR (a scratch directory) and TOOLS_IMG
# (the read-only tools disk: fio, iperf3, mkfs.ext4) set.
#
#   disk serial pvkit-test    64 MiB scratch image: fio, ext4, the flush
#                             marker; 4 KiB physical blocks on QEMU
#   disk serial pvkit-tools   TOOLS_IMG, read-only
#   disk serial pvkit-victim  1 MiB, for the malformed-queue test (hv)
#   disk serial pvkit-slow    1 MiB, 2 writes a second, for removal with
#                             requests the device sits on (QEMU's write
#                             throttling, pvkit-hv's write-delay=500)
#   disk serial pvkit-bad-id  1 MiB each, hv only: devices that misbehave
#   disk serial pvkit-bad-len on reads and writes from 512 KiB on (a used
#                             id never made available, a used length
#                             past the buffers; pvkit-hv's fault=)
#   disk serial pvkit-early   1 MiB, hv only: a device that uses a
#                             buffer in each queue as the driver enables
#                             it, before DRIVER_OK (fault=early-used),
#                             which pvkit_blk must refuse
#   disk serial pvkit-scan    1 MiB, hv only: every read and write
#                             misbehaves (fault=bad-id from sector 0),
#                             so the partition scan of probe breaks it
#   disk serial pvkit-distro  16 MiB, hv only: for the distro kernel's
#                             virtio_blk (distro_drivers_test)
#   disk serial pvkit-distro-ro
#                             1 MiB starting with DEV_RO_TEXT, read-only,
#                             hv only: for virtio_blk too
#   net  tap pvtap0           host side 10.0.2.1/24, iperf3 server on it;
#                             in tests a multi-queue tap and a NIC of
#                             DEV_NET_PAIRS queue pairs (pvkit-hv's
#                             queues=, QEMU's mq=on), whatever the vCPUs;
#                             on pvkit-hv with mergeable receive buffers
#                             for a one-vCPU guest, without them for more
#                             (mrg_rxbuf=off), so that both of pvkit_net's
#                             receive paths move data there
#   net  tap pvtap1, pvtap2   hv only: NICs that misbehave on every frame
#                             they receive (pvkit-hv's fault=bad-id and
#                             fault=bad-len, the latter without mergeable
#                             buffers); host sides 10.0.3.1/24 and
#                             10.0.4.1/24
#   net  tap pvtap3           hv only: a NIC that misbehaves on every
#                             frame it sends, with no interrupt
#                             (fault=tx-bad-id); host side 10.0.5.1/24
#   net  two, unconnected     QEMU only: NICs pvkit_net must refuse, a
#                             legacy (virtio 0.9) one and one with MTU 60
#
# devices_setup JOB makes the images, taps and servers (JOB run: make
# run's, a single-queue pvtap0). devices_check HOST [distro] runs after
# the VMM has exited and prints one "##PVKIT## host-check NAME ok|fail
# ..." line per check; "distro":
# the guest kernel has virtio_blk, so the pvkit-distro disks were used.
# devices_poll_check STATS VCPUS does the same for pvkit-hv's polling.

PATH=$PATH:/usr/sbin:/usr/bin
# iproute2's ip (DEV_IP, set by the launch script; busybox's cannot make
# a multi-queue tap)
DEV_IP=${DEV_IP:-ip}
DEV_NET_PAIRS=2
DEV_TAP=pvtap0
DEV_HOST_IP=10.0.2.1
DEV_ECHO_PORT=5210	# net_test.c's ECHO_PORT
DEV_MAC=52:54:00:12:34:56
DEV_LEGACY_MAC=52:54:00:12:34:57
DEV_BAD_MTU_MAC=52:54:00:12:34:58
DEV_BAD_ID_TAP=pvtap1
DEV_BAD_ID_MAC=52:54:00:12:34:59
DEV_BAD_LEN_TAP=pvtap2
DEV_BAD_LEN_MAC=52:54:00:12:34:5a
DEV_BAD_TX_TAP=pvtap3
DEV_BAD_TX_MAC=52:54:00:12:34:5b
DEV_FLUSH_MARKER=PVKIT-FLUSH-MARKER
DEV_FLUSH_MIB=60
DEV_SYNC_MARKER=PVKIT-SHUTDOWN-SYNC-MARKER
DEV_SYNC_MIB=62
DEV_DISTRO_MARKER=PVKIT-DISTRO-FLUSH-MARKER
DEV_DISTRO_MIB=12
DEV_RO_TEXT=PVKIT-DISTRO-RO-IMAGE

dev_marker() {
	echo "##PVKIT## $*"
}

# dev_tap_add NAME IP [multi_queue]: tap NAME, up, with IP/24 on this side.
dev_tap_add() {
	if [ -n "${3:-}" ]; then
		"$DEV_IP" tuntap add dev "$1" mode tap multi_queue
	elif command -v tunctl >/dev/null; then
		tunctl -t "$1" >/dev/null
	else
		ip tuntap add dev "$1" mode tap
	fi || dev_marker error "cannot make tap $1 (is tun loaded?)"
	ip addr add "$2/24" dev "$1"
	ip link set "$1" up
}

# dev_tap_del NAME [multi_queue]
dev_tap_del() {
	if [ -n "${2:-}" ]; then
		"$DEV_IP" tuntap del dev "$1" mode tap multi_queue
	elif command -v tunctl >/dev/null; then
		tunctl -d "$1" >/dev/null
	else
		ip tuntap del dev "$1" mode tap
	fi
}

dev_images_rm() {
	rm -f "$DEV_DIR/pvkit-disk.img" "$DEV_DIR/pvkit-victim.img" \
		"$DEV_DIR/pvkit-slow.img" "$DEV_DIR"/pvkit-bad-*.img \
		"$DEV_DIR/pvkit-early.img" "$DEV_DIR/pvkit-scan.img" \
		"$DEV_DIR"/pvkit-distro*.img
}

devices_setup() {
	# "multi_queue" where pvtap0 is (every JOB but run), for devices_check
	DEV_TAP_MQ=multi_queue
	if [ "$1" = run ]; then
		DEV_TAP_MQ=
	fi
	dev_images_rm
	truncate -s 64M "$DEV_DIR/pvkit-disk.img" &&
		truncate -s 1M "$DEV_DIR/pvkit-victim.img" &&
		truncate -s 1M "$DEV_DIR/pvkit-slow.img" &&
		truncate -s 1M "$DEV_DIR/pvkit-bad-id.img" &&
		truncate -s 1M "$DEV_DIR/pvkit-bad-len.img" &&
		truncate -s 1M "$DEV_DIR/pvkit-early.img" &&
		truncate -s 1M "$DEV_DIR/pvkit-scan.img" &&
		truncate -s 16M "$DEV_DIR/pvkit-distro.img" &&
		printf '%s\n' "$DEV_RO_TEXT" >"$DEV_DIR/pvkit-distro-ro.img" &&
		truncate -s 1M "$DEV_DIR/pvkit-distro-ro.img" ||
		dev_marker error "cannot make the scratch disk images in $DEV_DIR"
	dev_tap_add "$DEV_TAP" "$DEV_HOST_IP" "$DEV_TAP_MQ"
	dev_tap_add "$DEV_BAD_ID_TAP" 10.0.3.1
	dev_tap_add "$DEV_BAD_LEN_TAP" 10.0.4.1
	dev_tap_add "$DEV_BAD_TX_TAP" 10.0.5.1
	iperf3 -s -B "$DEV_HOST_IP" -D -I "$DEV_DIR/iperf3.pid" ||
		dev_marker error "cannot start the iperf3 server"
	# an echo server for net_test's echo_keeps_data, each connection's
	# data sent back by cat (busybox nc binds no one address: it is up
	# only while the guest runs)
	busybox nc -ll -p "$DEV_ECHO_PORT" -e cat </dev/null >/dev/null 2>&1 &
	echo $! >"$DEV_DIR/echo.pid"
}

# devices_args HOST VCPUS [JOB]: the VMM's device flags (pvkit-hv or
# QEMU) for a guest with VCPUS vCPUs. JOB run (make run): the scratch
# disk, the tools disk and the NIC on pvtap0 only, what a user's guest
# would have.
devices_args() {
	if [ "${3:-}" = run ]; then
		if [ "$1" = hv ]; then
			echo "--disk $DEV_DIR/pvkit-disk.img,serial=pvkit-test" \
				"--disk $TOOLS_IMG,ro,serial=pvkit-tools" \
				"--net tap=$DEV_TAP,mac=$DEV_MAC"
		else
			echo "-drive file=$DEV_DIR/pvkit-disk.img,if=none,id=d0,format=raw" \
				"-device virtio-blk-pci,drive=d0,serial=pvkit-test" \
				"-drive file=$TOOLS_IMG,if=none,id=d1,format=raw,readonly=on" \
				"-device virtio-blk-pci,drive=d1,serial=pvkit-tools" \
				"-netdev tap,id=n0,ifname=$DEV_TAP,script=no,downscript=no" \
				"-device virtio-net-pci,netdev=n0,mac=$DEV_MAC,romfile="
		fi
		return
	fi
	if [ "$1" = hv ]; then
		mrg=on
		[ "$2" -gt 1 ] && mrg=off
		echo "--disk $DEV_DIR/pvkit-disk.img,serial=pvkit-test,poll=1000" \
			"--disk $TOOLS_IMG,ro,serial=pvkit-tools" \
			"--disk $DEV_DIR/pvkit-victim.img,serial=pvkit-victim" \
			"--disk $DEV_DIR/pvkit-slow.img,serial=pvkit-slow,write-delay=500" \
			"--disk $DEV_DIR/pvkit-bad-id.img,serial=pvkit-bad-id,fault=bad-id,fault-from=1024" \
			"--disk $DEV_DIR/pvkit-bad-len.img,serial=pvkit-bad-len,fault=bad-len,fault-from=1024" \
			"--disk $DEV_DIR/pvkit-early.img,serial=pvkit-early,fault=early-used" \
			"--disk $DEV_DIR/pvkit-scan.img,serial=pvkit-scan,fault=bad-id" \
			"--disk $DEV_DIR/pvkit-distro.img,serial=pvkit-distro" \
			"--disk $DEV_DIR/pvkit-distro-ro.img,ro,serial=pvkit-distro-ro" \
			"--net tap=$DEV_TAP,mac=$DEV_MAC,queues=$DEV_NET_PAIRS,mrg_rxbuf=$mrg" \
			"--net tap=$DEV_BAD_ID_TAP,mac=$DEV_BAD_ID_MAC,fault=bad-id" \
			"--net tap=$DEV_BAD_LEN_TAP,mac=$DEV_BAD_LEN_MAC,fault=bad-len,mrg_rxbuf=off" \
			"--net tap=$DEV_BAD_TX_TAP,mac=$DEV_BAD_TX_MAC,fault=tx-bad-id"
	else
		echo "-drive file=$DEV_DIR/pvkit-disk.img,if=none,id=d0,format=raw" \
			"-device virtio-blk-pci,drive=d0,serial=pvkit-test,physical_block_size=4096" \
			"-drive file=$TOOLS_IMG,if=none,id=d1,format=raw,readonly=on" \
			"-device virtio-blk-pci,drive=d1,serial=pvkit-tools" \
			"-drive file=$DEV_DIR/pvkit-slow.img,if=none,id=d2,format=raw,throttling.iops-write=2" \
			"-device virtio-blk-pci,drive=d2,serial=pvkit-slow" \
			"-netdev tap,id=n0,ifname=$DEV_TAP,script=no,downscript=no,queues=$DEV_NET_PAIRS" \
			"-device virtio-net-pci,netdev=n0,mac=$DEV_MAC,mq=on,vectors=$((2 * DEV_NET_PAIRS + 2)),romfile=" \
			"-device virtio-net-pci,disable-modern=on,mac=$DEV_LEGACY_MAC,romfile=" \
			"-device virtio-net-pci,host_mtu=60,mac=$DEV_BAD_MTU_MAC,romfile="
	fi
}

devices_check() {
	[ -f "$DEV_DIR/iperf3.pid" ] && kill "$(cat "$DEV_DIR/iperf3.pid")" 2>/dev/null
	[ -f "$DEV_DIR/echo.pid" ] && kill "$(cat "$DEV_DIR/echo.pid")" 2>/dev/null
	dev_tap_del "$DEV_TAP" "$DEV_TAP_MQ"
	dev_tap_del "$DEV_BAD_ID_TAP"
	dev_tap_del "$DEV_BAD_LEN_TAP"
	dev_tap_del "$DEV_BAD_TX_TAP"
	# the guest wrote and flushed this, then powered off
	if dd if="$DEV_DIR/pvkit-disk.img" bs=1M skip=$DEV_FLUSH_MIB count=1 2>/dev/null |
		grep -q "$DEV_FLUSH_MARKER"; then
		dev_marker host-check disk-flush ok
	else
		dev_marker host-check disk-flush fail "the flushed marker is not in the image file"
	fi
	# hv: the guest left this in its page cache, then the host asked it
	# to shut down; only an orderly shutdown writes it out
	if [ "$1" = hv ]; then
		if dd if="$DEV_DIR/pvkit-disk.img" bs=1M skip=$DEV_SYNC_MIB count=1 2>/dev/null |
			grep -q "$DEV_SYNC_MARKER"; then
			dev_marker host-check shutdown-sync ok
		else
			dev_marker host-check shutdown-sync fail "data written before the host's shutdown request is not in the image file"
		fi
	fi
	# hv with a Debian kernel: virtio_blk wrote and flushed the marker,
	# and left the read-only image as it was made (its text, then zeros)
	if [ "$1" = hv ] && [ "${2:-}" = distro ]; then
		if ! dd if="$DEV_DIR/pvkit-distro.img" bs=1M skip=$DEV_DISTRO_MIB count=1 2>/dev/null |
			grep -q "$DEV_DISTRO_MARKER"; then
			dev_marker host-check distro-disk fail "the marker virtio_blk flushed is not in the image file"
		elif [ "$(tr -d '\000' <"$DEV_DIR/pvkit-distro-ro.img")" != "$DEV_RO_TEXT" ]; then
			dev_marker host-check distro-disk fail "the read-only image changed"
		else
			dev_marker host-check distro-disk ok
		fi
	fi
	dev_images_rm
}

# stats_queues JSON DEV: the list of device DEV's queues (what is
# between its "queues" brackets) in pvkit-hv's statistics JSON (without
# blanks).
stats_queues() {
	echo "$1" | sed -n "s/.*\"$2\":{\"queues\":\\[\\([^]]*\\)\\].*/\\1/p"
}

# stats_max_ns JSON DEV: the polling maximum (ns) of device DEV's last
# queue.
stats_max_ns() {
	stats_queues "$1" "$2" | sed -n 's/.*"max_ns":\([0-9]*\)}}$/\1/p'
}

# stats_early_irqs STATS DEV: the interrupts DEV's queues sent before
# their polling window ended, because the requests they completed were
# big (VQ_POLL_HOLD_BYTES), summed over the queues.
stats_early_irqs() {
	stats_queues "$1" "$2" |
		grep -o '"early_irqs":[0-9]*' | awk -F: '{ n += $2 } END { print n + 0 }'
}

# devices_poll_check STATS VCPUS: the longest polling window of pvkit-hv's
# disks, from its statistics (STATS) after a guest with VCPUS vCPUs: the
# scratch disk's poll=1000 (blk0) holds, so fio's verify runs go through
# the polling path on any host, and a disk without poll= (pvkit-distro,
# blk6) polls only where pvkit-hv had more CPUs than VCPUS (busybox
# nproc counts the CPUs this process may run on, as pvkit-hv does); and
# host check disk-early-irq: some of blk0's interrupts went before their
# window ended, for big requests (vq_poll.h's VQ_POLL_HOLD_BYTES).
devices_poll_check() {
	local stats want got0 got6 early
	stats=$(tr -d ' \n' <"$1")
	want=0
	[ "$(nproc)" -gt "$2" ] && want=1000000
	got0=$(stats_max_ns "$stats" blk0)
	got6=$(stats_max_ns "$stats" blk6)
	if [ "$got0" != 1000000 ]; then
		dev_marker host-check disk-poll fail "the disk with poll=1000 polls up to ${got0:-?} ns, not 1000000"
	elif [ "$got6" != "$want" ]; then
		dev_marker host-check disk-poll fail "a disk without poll= polls up to ${got6:-?} ns, not $want, on $(nproc) CPUs for $2 vCPUs"
	else
		dev_marker host-check disk-poll ok "(poll=1000: 1000000 ns; no poll=: $got6 ns on $(nproc) CPUs for $2 vCPUs)"
	fi
	# mkfs and the file round trip write big requests to blk0
	early=$(stats_early_irqs "$stats" blk0)
	if [ "$early" -gt 0 ]; then
		dev_marker host-check disk-early-irq ok "($early interrupts of blk0 went before their window ended: their requests moved 256 KiB)"
	else
		dev_marker host-check disk-early-irq fail "no interrupt of blk0 went before its window ended, though the guest wrote big requests to it"
	fi
}
