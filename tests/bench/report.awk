# SPDX-License-Identifier: GPL-2.0
# Turns the "##PVKIT## bench NAME VALUE UNIT" lines of a bench run into
# build/bench/results.json and report.md. Figures measured several times
# (boot times) are reported as their median; each comparison is a ratio
# of two figures from the same run, with the issue's goal beside it and
# whether it was met. The disk, network and exit figures of the I/O part
# (tests/bench/io-bench.sh) get tables of their own (report-io.awk).
#   awk -v json=FILE -v md=FILE -v mode=MODE -f report.awk -f report-io.awk LOG

function median(name,    n, i, j, t, v) {
	n = count[name]
	for (i = 1; i <= n; i++)
		v[i] = vals[name, i]
	for (i = 1; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}

# figure(NAME, COMPARED[, GOAL]): one figure; a GOAL ("OP NUMBER", in
# the figure's unit) is judged on its median.
function figure(name, compared, goal,    sep, m, judged) {
	if (!(name in unit))
		return
	sep = nfig++ ? ",\n" : ""
	judged = ""
	if (goal != "") {
		m = met(median(name), goal)
		judged = sprintf(", \"goal\": \"%s %s\", \"met\": %s", goal,
				 unit[name], m)
	}
	printf "%s  {\"name\": \"%s\", \"value\": %s, \"unit\": \"%s\", \"samples\": %d, \"compared_with\": \"%s\"%s}",
	       sep, name, median(name), unit[name], count[name], compared,
	       judged > json
	printf "| %s | %s %s | %d | %s%s |\n", name, median(name), unit[name],
	       count[name], compared,
	       goal == "" ? "" : sprintf("; goal %s %s: %s", goal, unit[name],
					 met_md(m)) > md
}

# met(VALUE, GOAL): "true" or "false" when GOAL reads "OP NUMBER" (OP
# one of >= > <= <), else "null".
function met(v, goal,    g) {
	if (split(goal, g, " ") != 2 || g[2] !~ /^[0-9.]+$/)
		return "null"
	if (g[1] == ">=") return v >= g[2] + 0 ? "true" : "false"
	if (g[1] == ">") return v > g[2] + 0 ? "true" : "false"
	if (g[1] == "<=") return v <= g[2] + 0 ? "true" : "false"
	if (g[1] == "<") return v < g[2] + 0 ? "true" : "false"
	return "null"
}

function met_md(m) {
	return m == "true" ? "met" : m == "false" ? "**missed**" : ""
}

function ratio(label, a, b, goal,    r, sep, m) {
	if (!(a in unit) || !(b in unit) || median(b) == 0)
		return
	r = median(a) / median(b)
	m = met(r, goal)
	sep = nfig++ ? ",\n" : ""
	printf "%s  {\"name\": \"%s\", \"value\": %.3f, \"unit\": \"ratio\", \"compared_with\": \"%s / %s\", \"goal\": \"%s\", \"met\": %s}",
	       sep, label, r, a, b, goal, m > json
	printf "| %s | %.3f | %s / %s | %s | %s |\n", label, r, a, b, goal, met_md(m) > md
}

/^##PVKIT## bench / {
	name = $3
	count[name]++
	vals[name, count[name]] = $4 + 0
	unit[name] = $5
}

# An I/O guest that ended early and ran once more (vmm-bench.sh): why,
# and the first line of its console that says how it died.
/^##PVKIT## io-retry / {
	sub(/^##PVKIT## io-retry (bench: )?/, "")
	sub(/; the last of its console:$/, "")
	retries[++nretry] = $0
	retry_how[nretry] = ""
	next
}

/^##PVKIT## io-retry-console / && retry_how[nretry] == "" &&
/PANIC|[Pp]anic|Oops|BUG:|general protection|double fault|[Tt]riple/ {
	sub(/^##PVKIT## io-retry-console /, "")
	retry_how[nretry] = $0
	next
}

END {
	printf "[\n" > json
	printf "# pvkit benchmarks\n\nHost mode: %s. One run; medians where a figure was measured more than once.\n\n", mode > md
	for (i = 1; i <= nretry; i++)
		printf "**Run twice:** %s: %s. It ran once more; the figures its first run printed are samples too.\n\n",
		       retries[i], retry_how[i] == "" ? "no panic on its console" : retry_how[i] > md
	printf "| figure | value | samples | compared with |\n|---|---|---|---|\n" > md
	figure("hypercall_pvkit_pio", "hypercall_kvm_in_kernel")
	figure("hypercall_pvkit_pio_min", "")
	figure("hypercall_kvm_in_kernel", "hypercall_pvkit_pio")
	figure("hypercall_kvm_in_kernel_min", "")
	figure("boot_to_init_hv", "boot_to_init_q35, boot_to_init_microvm")
	figure("boot_to_init_q35", "boot_to_init_hv")
	figure("boot_to_init_microvm", "boot_to_init_hv")
	figure("boot_to_init_hvcold", "boot_to_init_hv")
	figure("boot_setup_hv", "boot_to_init_hv")
	figure("boot_to_ready_hv", "boot_to_ready_q35, boot_to_ready_microvm")
	figure("boot_to_ready_q35", "boot_to_ready_hv")
	figure("boot_to_ready_microvm", "boot_to_ready_hv")
	figure("boot_to_ready_hvcold", "boot_to_ready_hv")
	figure("boot_kernel_cached_hv", "boot_to_init_hvcold")
	figure("kernel_unpack_hv", "boot_to_init_hvcold")
	figure("rss_beyond_ram_hv", "rss_beyond_ram_q35", "<= 8192")
	figure("rss_beyond_ram_q35", "rss_beyond_ram_hv")
	figure("console_exits_per_line_uart", "console_exits_per_line_pvcon")
	figure("console_exits_per_line_pvcon", "console_exits_per_line_uart")
	figure("console_lines_per_s_uart", "console_lines_per_s_pvcon")
	figure("console_lines_per_s_pvcon", "console_lines_per_s_uart")
	figure("console_exits_per_line_hvc", "console_exits_per_line_uart")
	figure("console_lines_per_s_hvc", "console_lines_per_s_uart")
	figure("idle_rss_1g_freed_memfree", "idle_rss_1g_freed_memfree-mmu")
	figure("idle_rss_1g_freed_memfree-mmu", "idle_rss_1g_freed_memfree")
	printf "\n| ratio | value | of | goal | |\n|---|---|---|---|---|\n" > md
	ratio("pio_vs_kvm_hypercall", "hypercall_pvkit_pio", "hypercall_kvm_in_kernel", "")
	ratio("boot_hv_vs_q35", "boot_to_init_hv", "boot_to_init_q35", "<= 0.5")
	ratio("boot_hv_vs_microvm", "boot_to_init_hv", "boot_to_init_microvm", "<= 0.5")
	ratio("boot_hvcold_vs_q35", "boot_to_init_hvcold", "boot_to_init_q35", "")
	ratio("boot_hv_vs_hvcold", "boot_to_init_hv", "boot_to_init_hvcold", "")
	ratio("boot_setup_share_hv", "boot_setup_hv", "boot_to_init_hv", "")
	ratio("ready_hv_vs_q35", "boot_to_ready_hv", "boot_to_ready_q35", "")
	ratio("console_exits_pvcon_vs_uart", "console_exits_per_line_pvcon", "console_exits_per_line_uart", "")
	ratio("console_speed_pvcon_vs_uart", "console_lines_per_s_pvcon", "console_lines_per_s_uart", "")
	ratio("console_exits_hvc_vs_uart", "console_exits_per_line_hvc", "console_exits_per_line_uart", "")
	ratio("console_speed_hvc_vs_uart", "console_lines_per_s_hvc", "console_lines_per_s_uart", "")
	ratio("rss_hv_vs_q35", "rss_beyond_ram_hv", "rss_beyond_ram_q35", "")
	ratio("idle_rss_mmu_vs_without", "idle_rss_1g_freed_memfree-mmu", "idle_rss_1g_freed_memfree", "1 GiB given back")
	io_report()
	printf "\n]\n" > json
}
