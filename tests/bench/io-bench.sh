# SPDX-License-Identifier: GPL-2.0
# make bench's I/O figures where the VMMs run, sourced by vmm-bench.sh
# (busybox sh inside the nested L1, or the host's sh in direct mode).
# The guest side is tests/bench/io-guest.sh. Sets up, for two guests with
# the same kernel, vCPU count and RAM:
#   iopc  QEMU/KVM (i440fx "pc", whose IDE controller is built in): a
#         virtio disk (serial pvkit-bench, pvkit_blk then virtio_blk), an
#         IDE disk, an AHCI disk, a virtio NIC on tap pvbench0 (through
#         vhost-net where there is one, io_vhost) and an e1000 NIC on
#         tap pvbench1
#   iohv  pvkit-hv: a virtio disk (blk0) and a virtio NIC (net0) on
#         pvbench0, with the control socket from which pvkit-hv's
#         counters are read around each measured window
# Each disk has its own backing file of IO_MIB MiB, filled with zeros so
# that every read finds data, in the same directory (tmpfs in L1); both
# taps have an iperf3 server on the host side.

PATH=$PATH:/usr/sbin:/usr/bin
IO_DIR=/tmp/pvkit-io
IO_MIB=128
IO_TAP=pvbench0		# 10.0.4.1/24; the guest is .2 (io-guest.sh)
IO_E1000_TAP=pvbench1	# 10.0.5.1/24

io_tap() {
	if command -v tunctl >/dev/null; then
		tunctl -t "$1" >/dev/null
	else
		ip tuntap add dev "$1" mode tap
	fi || echo "##PVKIT## error io bench: cannot make tap $1 (is tun loaded?)"
	ip addr add "$2/24" dev "$1"
	ip link set "$1" up
}

io_tap_del() {
	if command -v tunctl >/dev/null; then
		tunctl -d "$1" >/dev/null
	else
		ip tuntap del dev "$1" mode tap
	fi
}

# QEMU's virtio NIC goes through vhost-net, as on a stock KVM host
# (libvirt's default): the kernel moves its frames, not QEMU's thread.
# Where /dev/vhost-net cannot be had, QEMU's userspace virtio-net does
# it, and the report says so (io-info virtio-net-backend).
IO_VHOST=off
io_vhost() {
	[ -c /dev/vhost-net ] || modprobe vhost_net 2>/dev/null
	if [ -c /dev/vhost-net ]; then
		IO_VHOST=on
		echo "##PVKIT## io-info virtio-net-backend vhost-net"
	else
		echo "##PVKIT## io-info virtio-net-backend qemu (no /dev/vhost-net)"
	fi
}

io_setup() {
	io_vhost
	rm -rf "$IO_DIR"
	mkdir -p "$IO_DIR"
	for img in virtio ide ahci hv hv-nopoll; do
		dd if=/dev/zero of="$IO_DIR/$img.img" bs=1M count=$IO_MIB 2>/dev/null ||
			echo "##PVKIT## error io bench: cannot write $IO_DIR/$img.img"
	done
	io_tap $IO_TAP 10.0.4.1
	io_tap $IO_E1000_TAP 10.0.5.1
	iperf3 -s -D -I "$IO_DIR/iperf3.pid" ||
		echo "##PVKIT## error io bench: cannot start the iperf3 server"
}

io_teardown() {
	[ -f "$IO_DIR/iperf3.pid" ] && kill "$(cat "$IO_DIR/iperf3.pid")" 2>/dev/null
	io_tap_del $IO_TAP
	io_tap_del $IO_E1000_TAP
	rm -rf "$IO_DIR"
}

# io_args hv|kvm: the I/O guest's devices on pvkit-hv or QEMU.
io_args() {
	if [ "$1" = hv ]; then
		# blk0, blk1, blk2: the measured disk, polling for up to 1 ms,
		# the tools, the same disk with polling off (vq_poll.h)
		echo "--disk $IO_DIR/hv.img,serial=pvkit-bench,poll=1000" \
			"--disk $TOOLS_IMG,ro,serial=pvkit-tools" \
			"--disk $IO_DIR/hv-nopoll.img,serial=pvkit-bench-np,poll=0" \
			"--net tap=$IO_TAP,mac=52:54:00:12:35:01"
		return
	fi
	echo "-drive file=$IO_DIR/virtio.img,if=none,id=vd,format=raw" \
		"-device virtio-blk-pci,drive=vd,serial=pvkit-bench" \
		"-drive file=$TOOLS_IMG,if=none,id=tools,format=raw,readonly=on" \
		"-device virtio-blk-pci,drive=tools,serial=pvkit-tools" \
		"-drive file=$IO_DIR/ide.img,if=none,id=ide,format=raw" \
		"-device ide-hd,drive=ide,bus=ide.0" \
		"-device ahci,id=ahci" \
		"-drive file=$IO_DIR/ahci.img,if=none,id=sata,format=raw" \
		"-device ide-hd,drive=sata,bus=ahci.0" \
		"-netdev tap,id=n0,ifname=$IO_TAP,script=no,downscript=no,vhost=$IO_VHOST" \
		"-device virtio-net-pci,netdev=n0,mac=52:54:00:12:35:01,romfile=" \
		"-netdev tap,id=n1,ifname=$IO_E1000_TAP,script=no,downscript=no" \
		"-device e1000,netdev=n1,mac=52:54:00:12:35:02,romfile="
}

# hv_counters DEV: from one "pvkit-hv ctl SOCKET stats" (JSON), prints
# "EXITS KICKS INTERRUPTS UNITS": pvkit-hv's VM exits so far (all
# reasons), and for virtio device DEV (blk0, net0; "-" for none) its
# queues' kicks and interrupts and the requests (reads + writes) or
# packets (rx + tx) it handled.
hv_counters() {
	"$HV" ctl "$CTL" stats | tr -d ' \n' | awk -v dev="$1" '
		function sum(s, key,    t) {
			t = 0
			while (match(s, "\"" key "\":[0-9]+")) {
				t += substr(s, RSTART + length(key) + 3, RLENGTH - length(key) - 3)
				s = substr(s, RSTART + RLENGTH)
			}
			return t
		}
		{
			e = ""
			if (match($0, /"exits":\{[^}]*\}/))
				e = substr($0, RSTART, RLENGTH)
			d = ""
			if (match($0, "\"" dev "\":\\{\"queues\":\\[[^]]*\\][^}]*\\}"))
				d = substr($0, RSTART, RLENGTH)
			print sum(e, "io") + sum(e, "mmio") + sum(e, "other"),
			      sum(d, "kicks"), sum(d, "interrupts"),
			      sum(d, "reads") + sum(d, "writes") + sum(d, "rx_packets") + sum(d, "tx_packets")
		}'
}

# io_window KIND NAME BYTES BEFORE [DEV]: the "bench" lines of one
# measured window on pvkit-hv, from the counters at its start (BEFORE,
# from hv_counters) and now, of device DEV (default blk0 or net0). KIND blk: per request; net: per packet and per
# MB moved (BYTES, counted by the guest's interface). An exit is one of
# pvkit-hv's own exits, a kick (a queue notification KVM hands over as an
# ioeventfd, without leaving the kernel), or an interrupt, counted as
# one for the guest's EOI, which KVM handles without pvkit-hv seeing it.
io_window() {
	dev=blk0
	[ "$1" = net ] && dev=net0
	[ -n "${5:-}" ] && dev=$5
	# the device's queues as pvkit-hv counts them (kicks, polling), for the log
	echo "##PVKIT## io-info $2 on pvkit-hv's $dev: $("$HV" ctl "$CTL" stats | tr -d ' \n' |
		grep -o "\"$dev\":{\"queues\":\[[^]]*\]")"
	# tcp_tx_mbits_pvkit_hv: tcp_tx; tcp_tx_mbits_virtio_hv: tcp_tx_virtio
	name=${2%%_mbits*}
	case "$2" in
	*_mbits_virtio_hv) name=${name}_virtio ;;
	esac
	# shellcheck disable=SC2086
	echo "$4 $(hv_counters $dev)" | awk -v kind="$1" -v name="$name" -v bytes="$(($3 + 0))" '{
		exits = $5 - $1; kicks = $6 - $2; irqs = $7 - $3; units = $8 - $4
		all = exits + kicks + irqs
		if (units <= 0) {
			print "##PVKIT## error io bench: pvkit-hv counted no " kind " requests in window " name
			exit
		}
		if (kind == "blk") {
			printf "##PVKIT## bench exits_per_req_%s_hv %.3f exits\n", name, all / units
			printf "##PVKIT## bench vmm_exits_per_req_%s_hv %.3f exits\n", name, exits / units
			printf "##PVKIT## bench kicks_per_req_%s_hv %.3f kicks\n", name, kicks / units
			printf "##PVKIT## bench irqs_per_req_%s_hv %.3f interrupts\n", name, irqs / units
		} else {
			printf "##PVKIT## bench exits_per_packet_%s_hv %.3f exits\n", name, all / units
			if (bytes > 0)
				printf "##PVKIT## bench exits_per_mb_%s_hv %.1f exits\n", name, all * 1e6 / bytes
		}
	}'
}
