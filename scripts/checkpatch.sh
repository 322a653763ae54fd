#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make style: runs the kernel's checkpatch.pl (from Debian's linux-source,
# unpacked by make deps) on every C source and header in pvkit, one TAP
# case per file. Clean means no error or warning, except the rules that
# scripts/checkpatch-exceptions lifts for one named file.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# 6.1's: 6.12's string rules (strscpy) do not fit pvkit-hv's user space
checkpatch=$(series_checkpatch 6.1)
[ -f "$checkpatch" ] || die "no $checkpatch; run make deps"

cd "$PVKIT_ROOT"
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null ||
	find . -name '*.[ch]' -not -path './build/*' | sed 's|^\./||')
[ ${#files[@]} -gt 0 ] || die "no C files found"

echo "TAP version 13"
echo "1..${#files[@]}"
n=0
bad=0
for f in "${files[@]}"; do
	n=$((n + 1))
	ignore=$(awk -v f="$f" '!/^#/ && $1 == f { print "--ignore " $2 }' \
		"$PVKIT_ROOT/scripts/checkpatch-exceptions")
	# shellcheck disable=SC2086
	if out=$(perl "$checkpatch" --no-tree --quiet $ignore -f "$f" 2>&1) && [ -z "$out" ]; then
		echo "ok $n checkpatch $f"
	else
		echo "not ok $n checkpatch $f"
		echo "$out" | sed 's/^/# /'
		bad=$((bad + 1))
	fi
done
[ "$bad" -eq 0 ]
