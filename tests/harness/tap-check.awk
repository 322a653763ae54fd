# SPDX-License-Identifier: GPL-2.0
# Judges one scenario from its console log (carriage returns removed).
#
# Each in-guest test runs between "##PVKIT## begin NAME" and
# "##PVKIT## exit NAME RC" and prints TAP 13. A test case passes on
# "ok N"; it fails on "not ok N", on a plan it did not fill, on a test that
# never exited or exited non-zero; "ok N # SKIP" is counted as skipped.
# The whole scenario fails on a guest that never printed "##PVKIT## done"
# (a timeout or a crash), an "##PVKIT## error" line, or a kernel problem
# (oops, BUG, a WARN() or lockdep splat, KASAN, UBSAN, panic) anywhere in
# the console, the kernel log dumped at the end or, on the nested path,
# the L1 kernel log that tests/run appends.
#
# Host-side expectations, each one more test case:
#   "##PVKIT## expect-console HEX": a test sent this text (hex-encoded
#     here) through the console hypercall; its plain form must appear in
#     the log, where only the hypervisor can have put it.
#   "##PVKIT## vmm-exit STATUS": the VMM (QEMU or pvkit-hv, in L1 or on
#     this host) must end with status 0 (the guest powered off).
#   With -v host=hv, "##PVKIT## hv-stats JSON" must show the guest's power
#     off arrived as a hypercall and pvkit-hv's own set-up time (setup_ms
#     above 0), and the control socket must have worked
#     (tests/harness/hv-control prints "##PVKIT## ctl NAME STATUS ANSWER"):
#     - "info" succeeded and shows the guest enabled pvkit's events, and
#       the guest's report (GUEST_INFO) with a live heartbeat and the
#       kernel release its "##PVKIT## guest-up RELEASE" line gave;
#     - an unknown command and a socket that does not exist each made
#       "pvkit-hv ctl" fail with a clear message;
#     - "shutdown" was accepted, the guest's init got the orderly power
#       off ("##PVKIT## host-shutdown poweroff") and fetched the event
#       by hypercall (with vmm-exit 0: nothing was forced).
#   "##PVKIT## expect-ctl NAME TEXT": the answer hv-control recorded for
#     the test's "await-ctl NAME ..." succeeded and contains TEXT.
#   "##PVKIT## rss-drop NAME ok|fail ...": hv-control watched pvkit-hv's
#     resident memory fall as the test's "await-rss-drop NAME ..." asked
#     (each await-rss-drop must get one).
#   With -v host=hv, the same JSON's per-queue counts must hold together:
#     the test disk (blk0) has one queue per vCPU and the test NIC (net0)
#     two, or with its "queue_pairs" N > 1 two per pair and a control
#     queue; each of their queues that took chains was kicked and
#     interrupted (the control queue need not be), and some took chains
#     on each. With N > 1, both queues of each pair the guest's driver
#     turned on (one per vCPU) took chains, those of the other pairs
#     none, and the control queue took a command.
#   With -v host=hv, pvkit-hv's own reports of trouble: each "pvkit-hv:
#     error: ..." line must contain the TEXT of a test's "##PVKIT##
#     vmm-error-expected TEXT", and each device pvkit-hv put into "needs
#     reset" must be a disk whose serial a test named in "##PVKIT##
#     vmm-reset-expected SERIAL" (pvkit-hv names its disks at start:
#     "pvkit-hv: blkN: PATH, serial SERIAL, ..."): any other fails.
#   With -v early_console=1 (host hv, a kernel booted with
#     earlycon=pvkit), the JSON's "hypercall_lines_before_uart" must be
#     at least 1: boot lines reached pvkit-hv through CONSOLE_WRITE
#     before the UART printed anything.
#   With -v debug_kernel=1 (make kernel DEBUG=1), "##PVKIT##
#     kmemleak-scanned N" must be there and the dmesg dump must start at
#     the kernel's first line ("Linux version"), or the kernel's own
#     checkers (KASAN, UBSAN, lockdep, kmemleak) were not all heard.
#   "##PVKIT## host-check NAME ok" passes, "... fail WHY" fails: checks the
#     launch script made where the VMM ran, after it exited. With
#     -v need="NAME ...", each named check must have reported.
#
# Prints "reason: ..." lines, "note: ..." lines (figures the tests report)
# and finally "counts PASSED FAILED SKIPPED".

function fail(why) {
	failed++
	print "reason: " why
}

function close_test(rc) {
	if (plan < 0) {
		fail(test ": printed no TAP plan")
	} else if (seen < plan) {
		failed += plan - seen
		print "reason: " test ": short TAP plan, " seen " of " plan " cases reported"
	}
	if (rc != 0 && test_failed == 0 && seen >= plan && plan >= 0)
		fail(test ": exited with status " rc " although every case passed")
	test = ""
}

# A debug kernel's checkers report into the kernel log, most of them
# below the console's level: the verdict needs kmemleak's scan and the
# whole log, from its first line on.
function check_debug_kernel() {
	if (!kmemleak_scanned)
		fail("debug kernel: no ##PVKIT## kmemleak-scanned (kmemleak off or unreadable): leaks went unchecked")
	if (!dmesg_whole)
		fail("debug kernel: the guest's dmesg dump does not start at \"Linux version\" (missing or wrapped): reports may be lost")
}

function unhex(h,    i, out, hexdigits) {
	hexdigits = "0123456789abcdef"
	out = ""
	for (i = 1; i < length(h); i += 2)
		out = out sprintf("%c", (index(hexdigits, substr(h, i, 1)) - 1) * 16 + \
				  index(hexdigits, substr(h, i + 1, 1)) - 1)
	return out
}

BEGIN {
	test = ""; passed = 0; failed = 0; skipped = 0; done = 0; in_dmesg = 0
	nexpect = 0; log_text = ""; hv_stats = ""
}

{ log_text = log_text "\n" $0 }

/^##PVKIT## expect-console [0-9a-f]+$/ { expect[++nexpect] = unhex($3); next }

/^##PVKIT## vmm-exit / {
	vmm_exit_seen = 1
	if ($3 == 0)
		passed++
	else
		fail("the VMM exited with status " $3 " (0 is a guest power off)")
	next
}

/^##PVKIT## hv-stats / { hv_stats = $0; next }

/^##PVKIT## host-check / {
	host_check[$3] = 1
	if ($4 == "ok") {
		passed++
	} else {
		why = $0
		sub(/^##PVKIT## host-check [^ ]+ [^ ]+ */, "", why)
		fail("host-side check " $3 " failed: " why)
	}
	next
}

/^##PVKIT## guest-up / { guest_release = $3 }

/^##PVKIT## ctl [a-z-]+ [0-9]+/ {
	ctl_status[$3] = $4
	answer = $0
	sub(/^##PVKIT## ctl [a-z-]+ [0-9]+ */, "", answer)
	ctl_answer[$3] = answer
	next
}

/^##PVKIT## host-shutdown / { host_shutdown = $3; next }

# A test's request of the host (hv-control) and what its answer must hold.
/^##PVKIT## expect-ctl [a-z-]+ / {
	text = $0
	sub(/^##PVKIT## expect-ctl [a-z-]+ /, "", text)
	expect_ctl_name[++nexpect_ctl] = $3
	expect_ctl_text[nexpect_ctl] = text
	next
}
/^##PVKIT## await-rss-drop / { rss_drop_wanted[$3] = 1; next }
/^##PVKIT## rss-drop / {
	rss_drop_seen[$3] = 1
	why = $0
	sub(/^##PVKIT## rss-drop [^ ]+ [^ ]+ */, "", why)
	if ($4 == "ok") {
		passed++
		print "note: pvkit-hv resident memory " $3 ": down " why
	} else {
		fail("pvkit-hv's resident memory did not drop as " $3 " asked: " why)
	}
	next
}
/^##PVKIT## rss / { print "note: pvkit-hv resident memory at " $3 ": " $4 " KiB"; next }

/^##PVKIT## begin / {
	if (test != "")
		fail(test ": never exited")
	test = $3; plan = -1; seen = 0; test_failed = 0; test_began = $4
	next
}

/^##PVKIT## exit / {
	if (test != "" && test_began != "" && $5 != "")
		printf "note: %s took %.1f s\n", test, $5 - test_began
	if (test != "")
		close_test($4 + 0)
	next
}

/^##PVKIT## error/ { sub(/^##PVKIT## error */, ""); fail($0); next }

# pvkit-hv's reports of trouble, judged at the end (see the top)
/^##PVKIT## vmm-error-expected / {
	vmm_err_allowed[++nvmm_err_allowed] = substr($0, length("##PVKIT## vmm-error-expected ") + 1)
	next
}
/^##PVKIT## vmm-reset-expected / { vmm_reset_allowed[$3] = 1; next }
/^pvkit-hv: blk[0-9]+: .*, serial / {
	serial = $0
	sub(/.*, serial /, "", serial)
	sub(/,.*/, "", serial)
	blk_serial[substr($2, 1, length($2) - 1)] = serial
}
/^pvkit-hv: error: / { vmm_err[++nvmm_err] = $0 }
/^pvkit-hv: [a-z]+[0-9]+: queue [0-9]+: .*device needs reset/ { vmm_reset[++nvmm_reset] = $0 }
/^##PVKIT## (dmesg|l1-kernel-log)-begin/ {
	in_dmesg = 1
	dmesg_first = $2 == "dmesg-begin"
	next
}
# The guest's dmesg dump is whole when it starts at the kernel's first line.
dmesg_first {
	dmesg_first = 0
	dmesg_whole = $0 ~ /^(\[ *[0-9.]+\] )?Linux version /
}
/^##PVKIT## (dmesg|l1-kernel-log)-end/ { in_dmesg = 0; next }
/^##PVKIT## done/ { done = 1; next }

# guest-init's count of kmemleak's unreferenced objects after its scans
/^##PVKIT## kmemleak-scanned / {
	kmemleak_scanned = 1
	if ($3 + 0 > 0)
		fail("kmemleak: " $3 " unreferenced objects after the tests")
	next
}

# Kernel splats, not advisories: BUG_ON() prints "kernel BUG at FILE:LINE!"
# and "invalid opcode: 0000 [#1]", WARN() "WARNING: CPU: n PID: m"
# after a "cut here" line, lockdep "WARNING: possible/suspicious/...";
# "Speculative Return Stack Overflow: WARNING: See ..." is advice;
# kmemleak's report is "kmemleak: N new suspected memory leaks", its
# banner ("Kernel memory leak detector initialized") is not one.
/BUG:|kernel BUG at|(invalid opcode|double fault|stack segment|divide error): [0-9a-f]+ \[#[0-9]+\]|Oops|cut here|WARNING: CPU: [0-9]+ PID:|WARNING: (possible|suspicious|inconsistent|bad unlock|held lock|lock held|nested lock|circular)|KASAN|UBSAN|Kernel panic|general protection fault|kmemleak: [0-9]+ new suspected memory leak/ {
	if ($0 !~ /^#/ && !problem_seen[$0]++) {
		fail("kernel problem: " $0)
		if (trace_left == 0 && trace == "")
			trace_left = 60
	}
}

# Where the first kernel problem happened, for a log nobody kept (a CI
# run): its RIP and the functions of its call trace, on one line.
trace_left > 0 {
	trace_left--
	line = $0
	sub(/^\[ *[0-9.]+\] */, "", line)
	if (line ~ /^RIP: [0-9a-f]+:[^ ]+\+0x/) {
		sub(/^RIP: [0-9a-f]+:/, "", line)
		sub(/\/0x[0-9a-f]+/, "", line)
		trace = trace (trace == "" ? "" : " ") "RIP " line ";"
	} else if (line ~ /^ *(\? )?[A-Za-z_.][A-Za-z0-9_.]*\+0x[0-9a-f]+\/0x[0-9a-f]+/ &&
		   line !~ /^ *\? / && ntrace < 16) {
		sub(/^ */, "", line)
		sub(/\/0x[0-9a-f]+/, "", line)
		trace = trace " " line
		ntrace++
	} else if (line ~ /end trace|Kernel Offset|---\[ end/) {
		trace_left = 0
	}
}

in_dmesg { next }

test != "" && /^1\.\.[0-9]+$/ { plan = substr($0, 4) + 0; next }

# the first assertion a failing case printed goes with its reason
test != "" && /^# +RUN / { case_diag = ""; next }
test != "" && case_diag == "" && /^# [^ ]+\.c:[0-9]+:[^ ]+:/ {
	case_diag = substr($0, 3, 200)
	next
}

test != "" && /^not ok [0-9]+/ {
	seen++; test_failed++; failed++
	print "reason: " test ": " $0 (case_diag == "" ? "" : " (" case_diag ")")
	case_diag = ""
	next
}

test != "" && /^ok [0-9]+/ {
	seen++
	if ($0 ~ /# *SKIP/)
		skipped++
	else
		passed++
	next
}

/^# ping on / { sub(/^# /, ""); print "note: " $0 }
/^# note: / { sub(/^# note: /, ""); print "note: " $0 }

# Was "pvkit-hv ctl NAME" answered with STATUS (0, or "fail": non-zero)
# and an answer matching the regular expression RE (a string)?
function ctl_ok(name, status, re) {
	if (!(name in ctl_status))
		return 0
	if (status == "fail" ? ctl_status[name] == 0 : ctl_status[name] != status)
		return 0
	return ctl_answer[name] ~ re
}

function ctl_seen(name) {
	return name in ctl_status ? ctl_status[name] " " ctl_answer[name] : "nothing"
}

# The queues of device @dev in the hv-stats JSON: how many, and why they
# do not hold together ("" if they do); queue @quiet (or none: -1) may
# have taken chains without an interrupt. Each queue's chains end up in
# qchains[0 ..].
function queue_trouble(dev, want, quiet,    q, n, i, k, used) {
	if (!match(hv_stats, "\"" dev "\":[{]\"queues\":[[][^]]*[]]"))
		return dev ": no queues in the statistics"
	q = substr(hv_stats, RSTART, RLENGTH)
	n = split(q, parts, "[{]\"kicks\":")
	if (n - 1 != want)
		return dev ": " n - 1 " queues, not " want
	used = 0
	for (i = 2; i <= n; i++) {
		split(parts[i], k, /[^0-9]+/)
		if (!match(parts[i], /"interrupts":[0-9]+,"chains":[0-9]+/))
			return dev ": queue " i - 2 " has no interrupt and chain counts"
		split(substr(parts[i], RSTART, RLENGTH), c, /[^0-9]+/)
		# k[1]: kicks; c[2]: interrupts, c[3]: chains
		qchains[i - 2] = c[3] + 0
		if (c[3] + 0 > 0 && (k[1] + 0 == 0 ||
				     (c[2] + 0 == 0 && i - 2 != quiet)))
			return dev ": queue " i - 2 " took " c[3] " chains with " k[1] \
			       " kicks and " c[2] " interrupts"
		used += c[3] + 0 > 0
	}
	return used ? "" : dev ": no queue took a chain"
}

# The queue pairs net0 offers: its "queue_pairs", else 1.
function net_pairs(    o) {
	if (!match(hv_stats, /"net0":[{]"queues":[[][^]]*[]][^}]*/))
		return 1
	o = substr(hv_stats, RSTART, RLENGTH)
	if (!match(o, /"queue_pairs":[0-9]+/))
		return 1
	return substr(o, RSTART + 14, RLENGTH - 14) + 0
}

# Why net0's @pairs pairs (queue_trouble's qchains) do not show the
# driver turning on one pair per vCPU and no more ("" if they do).
function pair_trouble(pairs, vcpus,    q, on) {
	for (q = 0; q < 2 * pairs; q++) {
		on = int(q / 2) < vcpus
		if (on && !qchains[q])
			return "net0: queue " q " (pair " int(q / 2) ", turned on) took no chain"
		if (!on && qchains[q])
			return "net0: queue " q " (pair " int(q / 2) ", left off) took " \
			       qchains[q] " chains"
	}
	return qchains[2 * pairs] ? "" : "net0: the control queue took no command"
}

function check_queues(    vcpus, pairs, why) {
	vcpus = 0
	if (match(hv_stats, /"vcpus":[0-9]+/))
		vcpus = substr(hv_stats, RSTART + 8, RLENGTH - 8) + 0
	pairs = net_pairs()
	why = queue_trouble("blk0", vcpus, -1)
	if (why == "")
		why = queue_trouble("net0", pairs > 1 ? 2 * pairs + 1 : 2,
				    pairs > 1 ? 2 * pairs : -1)
	if (why == "" && pairs > 1)
		why = pair_trouble(pairs, vcpus)
	if (why == "")
		passed++
	else
		fail("pvkit-hv's per-queue statistics: " why)
}

# With -v early_console=1: boot lines came through CONSOLE_WRITE before
# the UART put out any (the patched kernel's earlycon=pvkit).
function check_early_console(    n) {
	n = 0
	if (match(hv_stats, /"hypercall_lines_before_uart":[0-9]+/))
		n = substr(hv_stats, RSTART + 30, RLENGTH - 30) + 0
	if (n > 0) {
		passed++
		print "note: early console: lines through CONSOLE_WRITE before the UART's first: " n
	} else {
		fail("the early console: no line came through CONSOLE_WRITE before the UART's first")
	}
}

# pvkit-hv's error lines and device resets that no test asked for.
function check_vmm_trouble(    i, j, ok, dev) {
	for (i = 1; i <= nvmm_err; i++) {
		ok = 0
		for (j = 1; j <= nvmm_err_allowed && !ok; j++)
			ok = index(vmm_err[i], vmm_err_allowed[j]) > 0
		if (!ok)
			fail("pvkit-hv reported an error no test provoked: " vmm_err[i])
	}
	for (i = 1; i <= nvmm_reset; i++) {
		split(vmm_reset[i], f, " ")
		dev = substr(f[2], 1, length(f[2]) - 1)
		if (!(dev in blk_serial) || !(blk_serial[dev] in vmm_reset_allowed))
			fail("pvkit-hv reset a device no test broke: " vmm_reset[i])
	}
}

# The control socket cases of a pvkit-hv scenario (see the top).
function check_control() {
	if (!ctl_ok("info", 0, "\"events\": *[{][^}]*\"enabled\": *true"))
		fail("control socket: info failed or shows the guest's events off: " ctl_seen("info"))
	else if (!ctl_ok("info", 0, "\"heartbeat\": *\"ok\"") ||
		 (guest_release != "" &&
		  !index(ctl_answer["info"], "\"kernel_release\": \"" guest_release "\"")))
		fail("control socket: info does not show the guest's report (heartbeat ok, kernel " \
		     guest_release "): " ctl_seen("info"))
	else
		passed++
	if (ctl_ok("bad-command", "fail", "error: unknown command") &&
	    ctl_ok("no-socket", "fail", "cannot connect"))
		passed++
	else
		fail("control socket: a bad command or a missing socket did not fail clearly: " \
		     ctl_seen("bad-command") " / " ctl_seen("no-socket"))
	if (!ctl_ok("shutdown", 0, "^ok"))
		fail("control socket: shutdown was not accepted: " ctl_seen("shutdown"))
	else if (host_shutdown != "poweroff")
		fail("the host's shutdown request never reached the guest's init in order")
	else if (!match(hv_stats, /"event_fetch": *[1-9]/))
		fail("the guest never fetched the host's event by hypercall: " hv_stats)
	else
		passed++
}

END {
	if (trace != "")
		print "reason: where: " trace
	for (i = 1; i <= nexpect_ctl; i++) {
		name = expect_ctl_name[i]
		if (ctl_ok(name, 0, "") && index(ctl_answer[name], expect_ctl_text[i]))
			passed++
		else
			fail("pvkit-hv ctl " name " did not answer with '" expect_ctl_text[i] "': " \
			     ctl_seen(name))
	}
	for (name in rss_drop_wanted)
		if (!(name in rss_drop_seen))
			fail("the host never watched its resident memory for " name)
	for (i = 1; i <= nexpect; i++) {
		if (index(log_text, expect[i]))
			passed++
		else
			fail("console text sent by hypercall never reached the host: " expect[i])
	}
	if ((host == "kvm" || host == "hv") && !vmm_exit_seen)
		fail("no exit status from the VMM (it hung or the harness lost it)")
	if (host == "hv") {
		if (hv_stats == "")
			fail("pvkit-hv wrote no statistics")
		else if (!match(hv_stats, /"power_off": *[1-9]/))
			fail("the guest's power off did not arrive as a hypercall: " hv_stats)
		else if (!match(hv_stats, /"setup_ms": *[0-9.]*[1-9]/))
			fail("pvkit-hv's statistics lack its set-up time before the guest ran: " hv_stats)
		else
			passed++
		check_control()
		check_vmm_trouble()
		if (hv_stats != "")
			check_queues()
		if (early_console)
			check_early_console()
	}
	if (debug_kernel)
		check_debug_kernel()
	n = split(need, needed, " ")
	for (i = 1; i <= n; i++)
		if (!(needed[i] in host_check))
			fail("host-side check " needed[i] " never reported")
	if (test != "")
		fail(test ": never exited (guest stopped or timed out)")
	if (!done)
		fail("guest did not finish: no ##PVKIT## done line (timeout or crash)")
	print "counts " passed " " failed " " skipped
}
