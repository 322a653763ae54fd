# SPDX-License-Identifier: GPL-2.0
# make bench-boot's report: from the "##PVKIT## bench boot NAME MS JSON"
# lines of tests/bench/boot-bench.sh, the median time to init and VM
# exits of each boot (by reason, and port I/O by device), and the ratios
# issue 6's goals are about, in the files named by -v json= and -v md=.
# Boots: debian (Debian's kernel), noarch (the patched minimal kernel
# without the arch patches), patched (with them); "-pvcon" ones use
# pvkit's console (console=pvcon0) instead of the UART's.

function median(name, key,    n, i, j, t, v) {
	n = runs[name]
	for (i = 1; i <= n; i++)
		v[i] = val[name, key, i] + 0
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	if (n % 2)
		return v[(n + 1) / 2]
	return (v[n / 2] + v[n / 2 + 1]) / 2
}

# the JSON object after "KEY": in S, braces included ("" if none)
function object(s, key) {
	if (!match(s, "\"" key "\":\\{[^}]*\\}"))
		return ""
	return substr(s, RSTART + length(key) + 3, RLENGTH - length(key) - 3)
}

# every "name":number of the flat object O into val[NAME, PREFIX name, run]
function numbers(o, name, prefix, run,    k) {
	while (match(o, /"[a-z0-9_]+":[0-9]+/)) {
		k = substr(o, RSTART + 1, RLENGTH - 1)
		split(k, kv, "\":")
		val[name, prefix kv[1], run] = kv[2]
		keys[prefix kv[1]] = 1
		o = substr(o, RSTART + RLENGTH)
	}
}

/^##PVKIT## bench boot / {
	name = $4
	run = ++runs[name]
	if (!(name in order))
		order[name] = ++nboots
	val[name, "ms", run] = $5
	e = object($6, "exits")
	numbers(e, name, "exit_", run)
	numbers(object($6, "pio"), name, "pio_", run)
	numbers(object($6, "hypercalls"), name, "hc_", run)
	val[name, "exits", run] = val[name, "exit_io", run] + val[name, "exit_mmio", run] + \
				  val[name, "exit_other", run]
}

function ratio(a, b, key) {
	if (!runs[a] || !runs[b] || median(b, key) == 0)
		return ""
	return sprintf("%.3f", median(a, key) / median(b, key))
}

# one goal line: A's KEY over B's, against LIMIT
function goal(what, a, b, key, limit,    r, verdict) {
	r = ratio(a, b, key)
	if (r == "")
		return
	verdict = (r + 0 <= limit) ? "met" : "not met"
	printf "| %s | %s / %s | %s | <= %s | %s |\n", what, a, b, r, limit, verdict >md
	ratios[++nratios] = sprintf("\"%s_%s_over_%s\": %s", key, a, b, r)
}

END {
	for (i = 1; i <= nboots; i++)
		for (n in order)
			if (order[n] == i)
				name_at[i] = n
	ndev = 0
	for (k in keys)
		if (k ~ /^pio_/)
			dev[++ndev] = substr(k, 5)
	# port I/O devices in a fixed order: by name
	for (i = 2; i <= ndev; i++)
		for (j = i; j > 1 && dev[j - 1] > dev[j]; j--) {
			t = dev[j]; dev[j] = dev[j - 1]; dev[j - 1] = t
		}

	printf "# Boot on pvkit-hv: power-on to init (%s)\n\n", mode >md
	printf "1 vCPU, 512 MiB, no disk or NIC, the same initramfs; medians of %d boots each, taking turns. Exits are pvkit-hv's own (port I/O, MMIO, other); port I/O by device.\n\n", runs[name_at[1]] >md
	printf "| boot | time to init (ms) | VM exits | io | mmio | other |" >md
	for (i = 1; i <= ndev; i++)
		printf " %s |", dev[i] >md
	printf " hypercalls |\n|---|---|---|---|---|---|" >md
	for (i = 1; i <= ndev; i++)
		printf "---|" >md
	printf "---|\n" >md
	printf "{\n  \"mode\": \"%s\",\n  \"boots\": {", mode >json
	for (i = 1; i <= nboots; i++) {
		n = name_at[i]
		printf "| %s | %d | %d | %d | %d | %d |", n, median(n, "ms"), median(n, "exits"),
		       median(n, "exit_io"), median(n, "exit_mmio"), median(n, "exit_other") >md
		printf "%s\n    \"%s\": {\"runs\": %d, \"time_to_init_ms\": %d, \"exits\": %d, \"pio\": {",
		       (i > 1 ? "," : ""), n, runs[n], median(n, "ms"), median(n, "exits") >json
		for (j = 1; j <= ndev; j++) {
			printf " %d |", median(n, "pio_" dev[j]) >md
			printf "%s\"%s\": %d", (j > 1 ? ", " : ""), dev[j], median(n, "pio_" dev[j]) >json
		}
		printf " %d |\n", median(n, "hc_total") >md
		printf "}, \"hypercalls\": %d}", median(n, "hc_total") >json
	}
	printf "\n  },\n" >json

	printf "\n## Goals (issue 6)\n\n| goal | boots | ratio | limit | |\n|---|---|---|---|---|\n" >md
	goal("VM exits to init, same console (UART)", "patched", "noarch", "exits", 0.333)
	goal("VM exits to init, each kernel's own console", "patched-pvcon", "noarch", "exits", 0.333)
	goal("VM exits to init, pvkit's console for both", "patched-pvcon", "noarch-pvcon", "exits", 0.333)
	goal("time to init, against Debian's kernel", "patched", "debian", "ms", 0.5)
	goal("time to init, against Debian's kernel", "patched-pvcon", "debian", "ms", 0.5)
	printf "  \"ratios\": {" >json
	for (i = 1; i <= nratios; i++)
		printf "%s%s", (i > 1 ? ", " : ""), ratios[i] >json
	printf "}\n}\n" >json
}
