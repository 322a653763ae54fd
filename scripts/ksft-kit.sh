#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The patched kernel tree's kselftests for pvkit, built on this host the
# way Documentation/patches.rst tells a user to (make -C
# tools/testing/selftests TARGETS=pvkit), for a guest on a patched kernel
# to run with run_tests: tests/run puts it on the tools disk.
#
#   ksft-kit.sh SERIES    prints the kit's directory (cached under build/)
#
# The tree is the part of Debian's linux-source-SERIES that the kselftest
# build reads, with the series' uapi headers (patch 0001) and tests
# (patch 0005) applied and the headers where make headers_install puts
# them. Only the tests in KIT_TESTS are kept built: the guest runs them
# through run_tests, while the harness runs the whole suite its own way.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

KIT_TESTS="core_test features_test"

[ $# = 1 ] || { echo "usage: scripts/ksft-kit.sh SERIES (one of: $PVKIT_SERIES)" >&2; exit 2; }
series=$1
case " $PVKIT_SERIES " in
*" $series "*) ;;
*) die "unknown kernel series '$series' (supported: $PVKIT_SERIES)" ;;
esac
patch_dir=$PVKIT_ROOT/patches/$series
[ -f "$patch_dir/series" ] || die "no $patch_dir/series; run make patches"
tarball=$(series_source_tarball "$series")

# the generated patches that carry the uapi headers and the selftests
patches=()
while read -r p; do
	grep -qE '^\+\+\+ b/(include/uapi/linux/pvkit_|tools/testing/selftests/)' \
		"$patch_dir/$p" && patches+=("$patch_dir/$p")
done <"$patch_dir/series"
[ ${#patches[@]} -gt 0 ] || die "no patch in $patch_dir adds the uapi headers or the selftests"

out=$PVKIT_BUILD/ksft/$series
key="$(series_source_version "$series") $KIT_TESTS $(cat "${patches[@]}" | sha256sum | cut -c1-16)"
if [ -f "$out/.ready" ] && [ "$(cat "$out/.ready")" = "$key" ]; then
	echo "$out"
	exit 0
fi

tree=$out.tmp
rm -rf "$tree" "$out"
mkdir -p "$tree"
tar -xf "$tarball" -C "$tree" --strip-components=1 --wildcards \
	'*/scripts/subarch.include' '*/tools/testing/selftests/Makefile' \
	'*/tools/testing/selftests/lib.mk' '*/tools/testing/selftests/kselftest.h' \
	'*/tools/testing/selftests/kselftest_harness.h' \
	'*/tools/testing/selftests/kselftest/*' ||
	die "extracting the kselftest files from $tarball failed"

# Only these patches' parts under include/uapi/ and tools/testing/selftests/:
# their MAINTAINERS hunks need the lines patches 0002-0004 add.
log=$tree/.patch.log
for p in "${patches[@]}"; do
	awk '/^diff --git / { keep = ($3 ~ /^a\/(include\/uapi\/linux\/pvkit_|tools\/testing\/selftests\/)/) }
	     /^-- *$/ { keep = 0 } keep' "$p" >"$tree/.part.patch"
	patch -d "$tree" -p1 --fuzz=0 --no-backup-if-mismatch <"$tree/.part.patch" >"$log" 2>&1 ||
		{ cat "$log" >&2; die "$(basename "$p") does not apply to linux-source-$series's selftests"; }
done
mkdir -p "$tree/usr/include/linux"
cp "$tree"/include/uapi/linux/pvkit_*.h "$tree/usr/include/linux/"

make -C "$tree/tools/testing/selftests" TARGETS=pvkit >"$log" 2>&1 ||
	{ tail -n 30 "$log" >&2; die "make -C tools/testing/selftests TARGETS=pvkit failed for $series"; }
for t in $KIT_TESTS; do
	[ -x "$tree/tools/testing/selftests/pvkit/$t" ] ||
		die "make TARGETS=pvkit built no $t for $series"
done
# the other tests' binaries go: the guest's run_tests names KIT_TESTS
find "$tree/tools/testing/selftests/pvkit" -maxdepth 1 -type f -name '*_test' |
	while read -r b; do
		case " $KIT_TESTS " in *" ${b##*/} "*) ;; *) rm -f "$b" ;; esac
	done
rm -f "$tree/.part.patch" "$log"
echo "$KIT_TESTS" >"$tree/.tests"
echo "$key" >"$tree/.ready"
mv "$tree" "$out"
echo "$out"
