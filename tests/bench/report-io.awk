# SPDX-License-Identifier: GPL-2.0
# The I/O part of make bench's report, loaded after report.awk (whose
# END calls io_report()): the fio and iperf3 figures of each driver side
# by side, the ratios against issue 4's goals, and pvkit-hv's exits per
# request (with pvkit-hv's polling and without), each figure with what
# limits it as far as the bench can tell.

# The drivers, as the figures' name suffixes (io-guest.sh) and headings.
BEGIN {
	disk_cfgs = "pvkit_kvm virtio_kvm ide_kvm ahci_kvm pvkit_hv virtio_hv pvkit_hv_nopoll"
	disk_heads = "pvkit_blk (kvm) | virtio_blk (kvm) | IDE (kvm) | AHCI (kvm) | pvkit_blk (hv) | virtio_blk (hv) | pvkit_blk (hv, poll=0)"
	net_cfgs = "pvkit_kvm virtio_kvm e1000_kvm pvkit_hv virtio_hv"
	net_heads = "pvkit_net (kvm) | virtio_net (kvm) | e1000 (kvm) | pvkit_net (hv) | virtio_net (hv)"

	nested = mode ~ /nested/ ? "; nested, every exit of the guest goes through L1's KVM on L0's emulated SVM" : ""
	limits["disk", "pvkit_kvm"] = "QEMU's userspace virtio-blk (thread-pool AIO) on a tmpfs file, so no medium: each kick and completion interrupt is a round trip through the VMM" nested
	limits["disk", "virtio_kvm"] = limits["disk", "pvkit_kvm"]
	limits["disk", "ide_kvm"] = "one request at a time (no queueing) and several port-I/O register accesses per request, each an exit to QEMU's userspace" nested
	limits["disk", "ahci_kvm"] = "NCQ keeps 32 in flight, but each command costs MMIO register exits to QEMU's userspace and an interrupt" nested
	limits["disk", "pvkit_hv"] = "pvkit-hv serves a queue from one thread with synchronous preadv/pwritev, one request after another, polling for the next one (vq_poll.h)" nested
	limits["disk", "virtio_hv"] = "as pvkit_blk (hv), the same device rebound to the in-tree virtio_blk" nested
	limits["disk", "pvkit_hv_nopoll"] = "as pvkit_blk (hv), with the queue's polling off (--disk ...,poll=0): a kick and an interrupt for whatever the guest posts between two of the queue thread's sleeps" nested
	# wide (-v wide=N): pvkit-hv's disks measured once more in an L1
	# with N CPUs (tests/run's run_bench), figures named ..._l1cpuN
	if (wide != "") {
		w = "_l1cpu" wide
		disk_cfgs = disk_cfgs " pvkit_hv" w " virtio_hv" w " pvkit_hv_nopoll" w
		disk_heads = disk_heads " | pvkit_blk (hv, L1 " wide " CPUs) | virtio_blk (hv, L1 " wide " CPUs) | pvkit_blk (hv, poll=0, L1 " wide " CPUs)"
		limits["disk", "virtio_hv" w] = "as virtio_blk (hv) in an L1 with " wide " CPUs" nested
		limits["disk", "pvkit_hv" w] = "as pvkit_blk (hv) in an L1 with " wide " CPUs, where the queue thread polls on a CPU beside the guest's vCPU instead of taking turns with it" nested
		limits["disk", "pvkit_hv_nopoll" w] = "as pvkit_blk (hv, poll=0) in an L1 with " wide " CPUs" nested
	}
	# io-bench.sh's io_vhost says which (io-info virtio-net-backend)
	limits["net", "pvkit_kvm"] = "QEMU's userspace virtio-net on a tap (no vhost-net) copies every frame" nested
	limits["net", "virtio_kvm"] = limits["net", "pvkit_kvm"]
	limits["net", "e1000_kvm"] = "each frame is MMIO descriptor-tail and interrupt-cause register exits to QEMU's emulated e1000" nested
	limits["net", "pvkit_hv"] = "pvkit-hv's one thread per queue between the tap and the ring (mergeable RX buffers, one readv a frame)" nested
	limits["net", "virtio_hv"] = "as pvkit_net (hv), the same device rebound to the in-tree virtio_net" nested
	limits["exits"] = "counted: pvkit-hv's own exits + queue kicks (ioeventfd, in L1's kernel) + one EOI exit per interrupt"
}

# QEMU's virtio NIC went through vhost-net: L1's kernel moves its frames
/^##PVKIT## io-info virtio-net-backend vhost-net/ {
	limits["net", "pvkit_kvm"] = "vhost-net (a kernel thread of L1 between the tap and the rings, beside QEMU) copies every frame" nested
	limits["net", "virtio_kvm"] = limits["net", "pvkit_kvm"]
}

# PVKIT_BENCH_NET_RX_ORDER: pvkit_net's receive buffers were not its default
/^##PVKIT## io-info pvkit_net rx_buf_order / {
	rx_order = $NF
}

# exits_row LABEL KEY GOAL: the exits table's row of window KEY (the
# suffix of exits_per_req_KEY and its parts).
function exits_row(label, key, goal) {
	printf "| %s | %s | %s | %s | %s | | %s | %s |\n", label,
	       io_val("exits_per_req_" key, "%.3f"), io_val("vmm_exits_per_req_" key, "%.3f"),
	       io_val("kicks_per_req_" key, "%.3f"), io_val("irqs_per_req_" key, "%.3f"), goal,
	       goal != "" && ("exits_per_req_" key) in unit ? met_md(met(median("exits_per_req_" key), goal)) : "" > md
}

# net_exits_row LABEL KEY: the exits table's row of network window KEY
# (exits_per_packet_KEY, exits_per_mb_KEY).
function net_exits_row(label, key) {
	printf "| %s | %s | | | | %s | | |\n", label,
	       io_val("exits_per_packet_" key, "%.3f"), io_val("exits_per_mb_" key, "%.1f") > md
}

# exits_figs KEY GOAL: window KEY's exits figures in results.json.
function exits_figs(key, goal) {
	io_fig("exits_per_req_" key, "", goal, limits["exits"])
	io_fig("vmm_exits_per_req_" key, "", "", limits["exits"])
	io_fig("kicks_per_req_" key, "", "", limits["exits"])
	io_fig("irqs_per_req_" key, "", "", limits["exits"])
}

# exits_limits: what the measured kicks and interrupts per request say.
function exits_limits(    k, q) {
	if (!("kicks_per_req_randread_hv" in unit) || !("irqs_per_req_randread_hv" in unit))
		return limits["exits"]
	k = median("kicks_per_req_randread_hv")
	q = median("irqs_per_req_randread_hv")
	return sprintf("%s; at 4 KiB QD 32, %.2f kicks and %.2f interrupts per request%s", limits["exits"], k, q,
		       k > 0.5 ? ": fio submits one request at a time, and pvkit-hv's queue thread seldom catches the next one in its poll window; nested with one L1 CPU, the thread's wake-ups take turns with the guest's vCPU (make bench measures pvkit-hv's disks once more in an L1 with PVKIT_L1_HV_DISK_CPUS, default 2)" : \
		       ": pvkit-hv's queue thread, polling on a CPU beside the guest's, takes most requests from the ring before the guest would kick, and holds the interrupt until the guest stops posting or halts (hypervisor/vq_poll.h)")
}

# spread NAME: the largest over the smallest of NAME's samples; the
# largest so far is kept in worst_spread and worst_name.
function spread(name,    i, lo, hi) {
	lo = hi = vals[name, 1]
	for (i = 2; i <= count[name]; i++) {
		if (vals[name, i] < lo) lo = vals[name, i]
		if (vals[name, i] > hi) hi = vals[name, i]
	}
	if (lo > 0 && hi / lo > worst_spread) {
		worst_spread = hi / lo
		worst_name = name
	}
}

function io_val(name, fmt) {
	return name in unit ? sprintf(fmt, median(name)) : "n/a"
}

# io_fig NAME COMPARED GOAL LIMITS: NAME's entry in results.json.
function io_fig(name, compared, goal, limits,    sep, m) {
	if (!(name in unit))
		return
	m = goal == "" ? "null" : met(median(name), goal)
	sep = nfig++ ? ",\n" : ""
	printf "%s  {\"name\": \"%s\", \"value\": %s, \"unit\": \"%s\", \"samples\": %d, \"compared_with\": \"%s\", \"goal\": \"%s\", \"met\": %s, \"limits\": \"%s\"}",
	       sep, name, median(name), unit[name], count[name], compared, goal, m, limits > json
}

# io_table KIND CFGS HEADS ROWS: one row per "KEY=LABEL" of ROWS (joined
# by ";"), one column per driver of CFGS; each figure to the JSON too.
function io_table(kind, cfgs, heads, rows,    c, n, r, nr, i, j, kl, line, sep) {
	n = split(cfgs, c, " ")
	nr = split(rows, r, ";")
	sep = "|---"
	for (i = 1; i <= n; i++)
		sep = sep "|---"
	printf "\n| figure | %s |\n%s|\n", heads, sep > md
	for (j = 1; j <= nr; j++) {
		split(r[j], kl, "=")
		line = "| " kl[2]
		for (i = 1; i <= n; i++) {
			line = line " | " io_val(kl[1] "_" c[i], "%.6g")
			io_fig(kl[1] "_" c[i], "", "", limits[kind, c[i]])
			if (count[kl[1] "_" c[i]] > 1)
				spread(kl[1] "_" c[i])
		}
		print line " |" > md
	}
}

function io_report(    c, n, i) {
	printf "\n## Disk: fio, O_DIRECT, libaio, one job, a fixed time each (medians over the rounds)\n" > md
	io_table("disk", disk_cfgs, disk_heads,
		 "randread_iops=4 KiB random read QD 32, IOPS;" \
		 "randread_lat=4 KiB random read QD 32, mean latency, us;" \
		 "randread_batch_iops=4 KiB random read QD 32, 16 per submission (fio iodepth_batch_submit and _complete_min), IOPS;" \
		 "randread1_lat=4 KiB random read QD 1, mean latency, us;" \
		 "randwrite_iops=4 KiB random write QD 32, IOPS;" \
		 "randwrite_lat=4 KiB random write QD 32, mean latency, us;" \
		 "seqread_mbs=1 MiB sequential read QD 8, MB/s;" \
		 "seqwrite_mbs=1 MiB sequential write QD 8, MB/s")

	printf "\n## Network: iperf3 TCP, one stream (medians over the rounds)\n" > md
	io_table("net", net_cfgs, net_heads,
		 "tcp_tx_mbits=guest to host, Mbit/s;tcp_rx_mbits=host to guest (-R), Mbit/s")

	if (worst_spread)
		printf "\nThe rounds of one figure differed by up to %.1fx (%s): the machine is shared, so read the ratios with that in mind.\n",
		       worst_spread, worst_name > md
	printf "\n## VM exits on pvkit-hv\n\n" > md
	printf "Per request (disk) or per packet and per MB (network), from pvkit-hv's counters around the window.\n\n" > md
	printf "| window | exits | pvkit-hv's own | kicks | interrupts | exits per MB | goal | |\n|---|---|---|---|---|---|---|---|\n" > md
	exits_row("4 KiB random read QD 32, per request", "randread_hv", "< 0.2")
	exits_row("the same, 16 per submission (fio iodepth_batch_submit and _complete_min), per request", "randread_batch_hv", "< 0.2")
	exits_row("the same, polling off (poll=0), per request", "randread_nopoll_hv", "")
	exits_row("the same under the in-tree virtio_blk, per request", "randread_virtio_hv", "")
	exits_row("the same, virtio_blk, 16 per submission, per request", "randread_batch_virtio_hv", "")
	if (wide != "") {
		exits_row("4 KiB random read QD 32 in an L1 with " wide " CPUs, per request", "randread_hv" w, "< 0.2")
		exits_row("the same, 16 per submission, per request", "randread_batch_hv" w, "< 0.2")
		exits_row("the same, polling off (poll=0), per request", "randread_nopoll_hv" w, "")
		exits_row("the same under the in-tree virtio_blk, per request", "randread_virtio_hv" w, "")
	}
	net_exits_row("TCP guest to host, per packet", "tcp_tx_hv")
	net_exits_row("TCP host to guest, per packet", "tcp_rx_hv")
	net_exits_row("TCP guest to host, virtio_net, per packet", "tcp_tx_virtio_hv")
	net_exits_row("TCP host to guest, virtio_net, per packet", "tcp_rx_virtio_hv")
	limits["exits"] = exits_limits()
	exits_figs("randread_hv", "< 0.2")
	exits_figs("randread_batch_hv", "< 0.2")
	exits_figs("randread_nopoll_hv", "")
	exits_figs("randread_virtio_hv", "")
	exits_figs("randread_batch_virtio_hv", "")
	if (wide != "") {
		exits_figs("randread_hv" w, "< 0.2")
		exits_figs("randread_batch_hv" w, "< 0.2")
		exits_figs("randread_nopoll_hv" w, "")
		exits_figs("randread_virtio_hv" w, "")
	}
	n = split("tcp_tx_hv tcp_rx_hv tcp_tx_virtio_hv tcp_rx_virtio_hv", c, " ")
	for (i = 1; i <= n; i++) {
		io_fig("exits_per_packet_" c[i], "", "", limits["exits"])
		io_fig("exits_per_mb_" c[i], "", "", limits["exits"])
	}

	printf "\n## Interrupts per packet on QEMU\n\n" > md
	printf "Counted by the guest (/proc/interrupts of the virtio NIC's RX and TX queues, packets both ways) over each whole iperf3 run.\n\n" > md
	printf "| run | RX queue | TX queue | bytes per packet |\n|---|---|---|---|\n" > md
	n = split("tcp_tx_pvkit_kvm tcp_rx_pvkit_kvm tcp_tx_virtio_kvm tcp_rx_virtio_kvm", c, " ")
	for (i = 1; i <= n; i++) {
		printf "| %s | %s | %s | %s |\n", c[i], io_val("irqs_per_packet_input_" c[i], "%.3f"),
		       io_val("irqs_per_packet_output_" c[i], "%.3f"), io_val("bytes_per_packet_" c[i], "%d") > md
		io_fig("irqs_per_packet_input_" c[i], "", "", "guest-counted")
		io_fig("irqs_per_packet_output_" c[i], "", "", "guest-counted")
		io_fig("bytes_per_packet_" c[i], "", "", "guest-counted")
	}

	printf "\n## I/O ratios (higher is better; latency ratios are the other's latency over pvkit's)\n\n" > md
	printf "| ratio | value | of | goal | |\n|---|---|---|---|---|\n" > md
	n = split("randread_iops randwrite_iops seqread_mbs seqwrite_mbs", c, " ")
	for (i = 1; i <= n; i++)
		ratio(c[i] "_pvkit_vs_virtio", c[i] "_pvkit_kvm", c[i] "_virtio_kvm", ">= 0.95")
	ratio("randread_lat_pvkit_vs_virtio", "randread_lat_virtio_kvm", "randread_lat_pvkit_kvm", ">= 0.95")
	ratio("randwrite_lat_pvkit_vs_virtio", "randwrite_lat_virtio_kvm", "randwrite_lat_pvkit_kvm", ">= 0.95")
	ratio("randread_batch_iops_pvkit_vs_virtio", "randread_batch_iops_pvkit_kvm", "randread_batch_iops_virtio_kvm", ">= 0.95")
	# the same two drivers on pvkit-hv, with its exit counts
	n = split("randread_iops randread_batch_iops randwrite_iops seqread_mbs seqwrite_mbs", c, " ")
	for (i = 1; i <= n; i++)
		ratio(c[i] "_pvkit_vs_virtio_hv", c[i] "_pvkit_hv", c[i] "_virtio_hv", ">= 0.95")
	ratio("randread_exits_virtio_vs_pvkit_hv", "exits_per_req_randread_virtio_hv", "exits_per_req_randread_hv", "")
	if (wide != "")
		ratio("randread_iops_pvkit_vs_virtio_hv" w, "randread_iops_pvkit_hv" w, "randread_iops_virtio_hv" w, ">= 0.95")
	ratio("randread_iops_pvkit_vs_ide", "randread_iops_pvkit_kvm", "randread_iops_ide_kvm", ">= 6")
	ratio("randread_iops_pvkit_vs_ahci", "randread_iops_pvkit_kvm", "randread_iops_ahci_kvm", "")
	# the same with 16 requests per submission: one kick for 16
	ratio("randread_batch_iops_pvkit_vs_ide", "randread_batch_iops_pvkit_kvm", "randread_batch_iops_ide_kvm", "")
	ratio("randread_batch_iops_pvkit_vs_ahci", "randread_batch_iops_pvkit_kvm", "randread_batch_iops_ahci_kvm", "")
	ratio("randread_iops_hv_vs_kvm", "randread_iops_pvkit_hv", "randread_iops_pvkit_kvm", "")
	ratio("randread_iops_hv_poll_vs_nopoll", "randread_iops_pvkit_hv", "randread_iops_pvkit_hv_nopoll", "")
	ratio("randread1_lat_hv_nopoll_vs_poll", "randread1_lat_pvkit_hv_nopoll", "randread1_lat_pvkit_hv", "")
	ratio("randread_exits_hv_nopoll_vs_poll", "exits_per_req_randread_nopoll_hv", "exits_per_req_randread_hv", "")
	ratio("randread_iops_hv_batch_vs_single", "randread_batch_iops_pvkit_hv", "randread_iops_pvkit_hv", "")
	if (wide != "") {
		ratio("randread_iops_hv_poll_vs_nopoll" w, "randread_iops_pvkit_hv" w, "randread_iops_pvkit_hv_nopoll" w, "")
		ratio("randwrite_iops_hv_poll_vs_nopoll" w, "randwrite_iops_pvkit_hv" w, "randwrite_iops_pvkit_hv_nopoll" w, "")
		ratio("seqread_mbs_hv_poll_vs_nopoll" w, "seqread_mbs_pvkit_hv" w, "seqread_mbs_pvkit_hv_nopoll" w, "")
		ratio("seqwrite_mbs_hv_poll_vs_nopoll" w, "seqwrite_mbs_pvkit_hv" w, "seqwrite_mbs_pvkit_hv_nopoll" w, "")
		ratio("randread1_lat_hv_nopoll_vs_poll" w, "randread1_lat_pvkit_hv_nopoll" w, "randread1_lat_pvkit_hv" w, "")
		ratio("randread_exits_hv_nopoll_vs_poll" w, "exits_per_req_randread_nopoll_hv" w, "exits_per_req_randread_hv" w, "")
		ratio("randread_iops_hv" w "_vs_hv", "randread_iops_pvkit_hv" w, "randread_iops_pvkit_hv", "")
	}
	n = split("tcp_tx_mbits tcp_rx_mbits", c, " ")
	for (i = 1; i <= n; i++) {
		ratio(c[i] "_pvkit_vs_virtio", c[i] "_pvkit_kvm", c[i] "_virtio_kvm", ">= 0.95")
		ratio(c[i] "_pvkit_vs_e1000", c[i] "_pvkit_kvm", c[i] "_e1000_kvm", ">= 3")
		ratio(c[i] "_hv_vs_kvm", c[i] "_pvkit_hv", c[i] "_pvkit_kvm", "")
		ratio(c[i] "_pvkit_vs_virtio_hv", c[i] "_pvkit_hv", c[i] "_virtio_hv", ">= 0.95")
	}
	ratio("tcp_rx_exits_virtio_vs_pvkit_hv", "exits_per_packet_tcp_rx_virtio_hv", "exits_per_packet_tcp_rx_hv", "")
	ratio("tcp_tx_exits_virtio_vs_pvkit_hv", "exits_per_packet_tcp_tx_virtio_hv", "exits_per_packet_tcp_tx_hv", "")

	printf "\n## What limits each column\n\n" > md
	n = split(disk_cfgs, c, " ")
	for (i = 1; i <= n; i++)
		printf "- disk, %s: %s\n", c[i], limits["disk", c[i]] > md
	n = split(net_cfgs, c, " ")
	for (i = 1; i <= n; i++)
		printf "- network, %s: %s\n", c[i], limits["net", c[i]] > md
	if (rx_order != "")
		printf "- pvkit_net's mergeable RX buffers of page order %s at most (PVKIT_BENCH_NET_RX_ORDER; its default is 4)\n", rx_order > md
	printf "- exits: %s\n", limits["exits"] > md
}
