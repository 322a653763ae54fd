# SPDX-License-Identifier: GPL-2.0
# Judges one scenario from its console log (carriage returns removed).
#
# Each in-guest test runs between "##PVKIT## begin NAME" and
# "##PVKIT## exit NAME RC" and prints TAP 13. A test case passes on
# "ok N"; it fails on "not ok N", on a plan it did not fill, on a test that
# never exited or exited non-zero; "ok N # SKIP" is counted as skipped.
# The whole scenario fails on a guest that never printed "##PVKIT## done"
# (a timeout or a crash), an "##PVKIT## error" line, or a kernel problem
# (oops, BUG, WARNING, KASAN, UBSAN, panic) anywhere in the console or the
# kernel log dumped at the end.
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

BEGIN {
	test = ""; passed = 0; failed = 0; skipped = 0; done = 0; in_dmesg = 0
}

/^##PVKIT## begin / {
	if (test != "")
		fail(test ": never exited")
	test = $3; plan = -1; seen = 0; test_failed = 0
	next
}

/^##PVKIT## exit / {
	if (test != "")
		close_test($4 + 0)
	next
}

/^##PVKIT## error/ { sub(/^##PVKIT## error */, ""); fail($0); next }
/^##PVKIT## dmesg-begin/ { in_dmesg = 1; next }
/^##PVKIT## dmesg-end/ { in_dmesg = 0; next }
/^##PVKIT## done/ { done = 1; next }

/BUG:|Oops|WARNING:|KASAN|UBSAN|Kernel panic|general protection fault|kmemleak: .*leak/ {
	if ($0 !~ /^#/ && !problem_seen[$0]++)
		fail("kernel problem: " $0)
}

in_dmesg { next }

test != "" && /^1\.\.[0-9]+$/ { plan = substr($0, 4) + 0; next }

test != "" && /^not ok [0-9]+/ {
	seen++; test_failed++; failed++
	print "reason: " test ": " $0
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

END {
	if (test != "")
		fail(test ": never exited (guest stopped or timed out)")
	if (!done)
		fail("guest did not finish: no ##PVKIT## done line (timeout or crash)")
	print "counts " passed " " failed " " skipped
}
