# SPDX-License-Identifier: GPL-2.0
# What make run shows of a "run" job's console (tests/run): the lines
# between the guest's run-begin and run-end markers, any error marker,
# and pvkit-hv's statistics (the launch script's "##PVKIT## hv-stats
# JSON" line, JSON without blanks) as a few lines a person can read:
# exits by kind, port I/O by device, hypercalls by name, console lines,
# and per disk and NIC what it moved and its kicks and interrupts.
# Counts of zero are left out. With -v json_out=FILE the whole JSON is
# written to FILE and its path shown.

# parse_string: the JSON string at P (no escapes are decoded; pvkit-hv
# writes none), P moved past it; sets bad on an unterminated one.
function parse_string(start) {
	P++
	start = P
	while (P <= N && substr(S, P, 1) != "\"") {
		if (substr(S, P, 1) == "\\")
			P++
		P++
	}
	if (P > N) {
		bad = 1
		return ""
	}
	P++
	return substr(S, start, P - 1 - start)
}

# parse_value PATH: parses the JSON value at P; each number, string,
# true, false or null lands in val[PATH] (keys joined with ".", array
# elements by index) and in path[] in document order. 0 on bad JSON.
function parse_value(pth, c, k, i) {
	c = substr(S, P, 1)
	if (c == "{" || c == "[") {
		P++
		if (substr(S, P, 1) == (c == "{" ? "}" : "]")) {
			P++
			return 1
		}
		for (i = 0; ; i++) {
			if (c == "{") {
				if (substr(S, P, 1) != "\"")
					return 0
				k = parse_string()
				if (bad || substr(S, P, 1) != ":")
					return 0
				P++
			} else {
				k = i
			}
			if (!parse_value(pth == "" ? k : pth "." k))
				return 0
			k = substr(S, P, 1)
			P++
			if (k == (c == "{" ? "}" : "]"))
				return 1
			if (k != ",")
				return 0
		}
	}
	if (c == "\"") {
		k = parse_string()
		if (bad)
			return 0
	} else if (match(substr(S, P), /^(-?[0-9][-+.eE0-9]*|true|false|null)/)) {
		k = substr(S, P, RLENGTH)
		P += RLENGTH
	} else {
		return 0
	}
	val[pth] = k
	path[++npaths] = pth
	return 1
}

# children PREFIX: "name count" pairs of PREFIX's direct numeric
# children that are not zero, largest first, as "name count, ...".
function children(prefix, i, n, name, out, j, best, used) {
	n = 0
	for (i = 1; i <= npaths; i++) {
		name = path[i]
		if (substr(name, 1, length(prefix) + 1) != prefix ".")
			continue
		name = substr(name, length(prefix) + 2)
		if (index(name, ".") || val[path[i]] !~ /^[0-9]+$/ || val[path[i]] + 0 == 0)
			continue
		cname[++n] = (prefix "." name) in label ? label[prefix "." name] : name
		ccount[n] = val[path[i]] + 0
	}
	out = ""
	for (j = 1; j <= n; j++) {
		best = 0
		for (i = 1; i <= n; i++)
			if (!used[i] && (best == 0 || ccount[i] > ccount[best]))
				best = i
		used[best] = 1
		out = out (out == "" ? "" : ", ") cname[best] " " ccount[best]
	}
	return out
}

# sum PREFIX: the sum of PREFIX's direct numeric children.
function sum(prefix, i, name, total) {
	total = 0
	for (i = 1; i <= npaths; i++) {
		name = path[i]
		if (substr(name, 1, length(prefix) + 1) == prefix "." &&
		    !index(substr(name, length(prefix) + 2), "."))
			total += val[name]
	}
	return total
}

# queue_sum DEV FIELD: FIELD summed over device DEV's queues.
function queue_sum(dev, field, i, total) {
	total = 0
	for (i = 0; ("virtio." dev ".queues." i "." field) in val; i++)
		total += val["virtio." dev ".queues." i "." field]
	return total
}

function line(label, text) {
	if (text != "")
		printf "  %-12s %s\n", label, text
}

function summary(json, i, dev, devs, seen, text, n) {
	S = json
	N = length(S)
	P = 1
	bad = 0
	npaths = 0
	split("", val)
	split("", path)
	if (!parse_value("") || P != N + 1) {
		print "pvkit-hv statistics: not valid JSON (" N " bytes)"
		return
	}
	printf "pvkit-hv statistics (exit status %s, %s vCPU%s, set-up %s ms):\n",
	       val["exit_code"], val["vcpus"], val["vcpus"] == 1 ? "" : "s",
	       val["setup_ms"]
	line("VM exits", sum("exits") ": " children("exits"))
	line("port I/O", children("pio"))
	if (val["hypercalls.total"] + 0 > 0)
		line("hypercalls", val["hypercalls.total"] ": " \
		     children("hypercalls.by_name") \
		     (val["hypercalls.errors"] + 0 > 0 ? \
		      " (" val["hypercalls.errors"] " refused)" : ""))
	line("console", val["console.uart_lines"] + 0 " lines through the UART, " \
	     val["console.hypercall_lines"] + 0 " through hypercalls")
	for (i = 1; i <= npaths; i++) {
		if (path[i] !~ /^virtio\.[^.]+\./)
			continue
		dev = path[i]
		sub(/^virtio\./, "", dev)
		sub(/\..*/, "", dev)
		if (seen[dev]++)
			continue
		if (("virtio." dev ".reads") in val)
			text = "reads " val["virtio." dev ".reads"] \
			       ", writes " val["virtio." dev ".writes"] \
			       ", flushes " val["virtio." dev ".flushes"]
		else
			text = "packets in " val["virtio." dev ".rx_packets"] \
			       ", out " val["virtio." dev ".tx_packets"]
		text = text ", kicks " queue_sum(dev, "kicks") \
		       ", interrupts " queue_sum(dev, "interrupts")
		if (val["virtio." dev ".errors"] + 0 > 0)
			text = text ", errors " val["virtio." dev ".errors"]
		line(n++ ? "" : "virtio", dev ": " text)
	}
	if (val["balloon.inflated"] + 0 > 0 || val["balloon.reports"] + 0 > 0)
		line("memory", val["balloon.ballooned_pages"] " pages in the balloon, " \
		     val["balloon.reports"] " free page reports")
}

BEGIN {
	label["exits.io"] = "port I/O"
	label["exits.mmio"] = "MMIO"
}

/^##PVKIT## run-begin/ { show = 1; next }
/^##PVKIT## run-end/ { show = 0; next }
/^##PVKIT## hv-stats / {
	sub(/^##PVKIT## hv-stats /, "")
	sub(/\r$/, "")
	summary($0)
	if (json_out != "") {
		print > json_out
		close(json_out)
		print "  (all of them: " json_out ")"
	}
	fflush()
	next
}
/^##PVKIT## error/ || show { print "  " $0; fflush() }
