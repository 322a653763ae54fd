#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make patches: generates, for each Debian kernel source pvkit supports,
# the quilt series under patches/<series>/ that puts pvkit into that
# kernel tree, from the very files the out-of-tree modules build from:
#
#   0001 the ABI headers under include/uapi/linux/ and a MAINTAINERS entry
#   0002 pvkit.ko under drivers/virt/pvkit/pv-core/, with Kconfig
#   0003 pvkit_mmu.ko under drivers/virt/pvkit/pv-mmu/ (when it has code)
#   0004 the virtio front-ends under drivers/virt/pvkit/virtio-drivers/
#   0005 the in-guest tests under tools/testing/selftests/pvkit/
#
# and after them, in the same directory, the hand-written arch patches
# (0100 and up: what a module cannot do, in arch/x86/), which this script
# keeps and lists in the series but never writes.
#
# The in-tree copies differ from the sources in two mechanical ways only:
# the ABI headers are included as <linux/pvkit_*.h> and the Kbuild lines
# that point at hypercall-abi/ go. Each patch is a commit on a scratch
# git tree holding the few pristine files the series changes, written
# with git format-patch under a fixed author and date, so the output
# depends on nothing but the sources and the Debian source package.
#
#   gen-patches.sh [--check [--no-module-build]] [SERIES...]
#                                       (default: every series)
#
# --check regenerates into a scratch directory and fails if the committed
# patches/ differ, if a series does not apply with patch -p1 --fuzz=0 to
# the pristine files without offset or fuzz, if the patched tree's
# drivers/virt/pvkit/ or selftests do not build, or if checkpatch.pl
# complains about a patch. --no-module-build leaves out the build of
# drivers/virt/pvkit/ for a caller that builds the patched kernels
# anyway (make check: they build it in-tree).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

check=0
module_build=1
if [ "${1:-}" = --check ]; then
	check=1
	shift
	if [ "${1:-}" = --no-module-build ]; then
		module_build=0
		shift
	fi
fi
case "${1:-}" in
-*) die "unknown option $1 (gen-patches.sh [--check [--no-module-build]] [SERIES...])" ;;
esac
series_list=${*:-$PVKIT_SERIES}

# The files of the kernel tree that the series modifies.
PRISTINE_FILES="MAINTAINERS drivers/virt/Kconfig drivers/virt/Makefile
	tools/testing/selftests/Makefile"
# What building the in-tree selftests needs besides (--check only).
KSFT_FILES="tools/testing/selftests/lib.mk tools/testing/selftests/kselftest.h
	tools/testing/selftests/kselftest_harness.h"

GIT_ID=(-c user.name="pvkit developers" -c user.email="pvkit@example.org"
	-c core.autocrlf=false -c commit.gpgsign=false)
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z"
export GIT_COMMITTER_DATE="$GIT_AUTHOR_DATE"

# arch_patches SERIES: the hand-written patches of a series (0100 and up).
arch_patches() {
	(cd "$PVKIT_ROOT/patches/$1" 2>/dev/null && ls 01[0-9][0-9]-*.patch 2>/dev/null) || true
}

# arch_files SERIES: the pristine files the arch patches change (not
# those an arch patch creates and a later one changes).
arch_files() {
	local p
	for p in $(arch_patches "$1"); do
		cat "$PVKIT_ROOT/patches/$1/$p"
	done | awk '/^--- \/dev\/null/ { created = 1; next }
		/^\+\+\+ b\// { if (created) new[substr($2, 3)] = 1; created = 0; next }
		/^--- a\// { old[substr($2, 3)] = 1 }
		END { for (f in old) if (!(f in new)) print f }' | LC_ALL=C sort
}

# pristine_tree SERIES DIR: the modified files, as Debian ships them.
pristine_tree() {
	local series=$1 dir=$2 tarball version cache f files
	tarball=$(series_source_tarball "$series")
	version=$(series_source_version "$series")
	cache=$PVKIT_CACHE/ksrc/$series-$version
	# shellcheck disable=SC2086
	files=$(echo $PRISTINE_FILES $KSFT_FILES $(arch_files "$series") | tr ' ' '\n' |
		LC_ALL=C sort -u | tr '\n' ' ')
	if [ ! -f "$cache/.ready" ] || [ "$(cat "$cache/.ready")" != "$files" ]; then
		info "extracting the files pvkit's series changes from $(basename "$tarball")"
		rm -rf "$cache"
		mkdir -p "$cache"
		# shellcheck disable=SC2086
		tar -xf "$tarball" -C "$cache" --strip-components=1 --wildcards \
			$(for f in $files; do echo "*/$f"; done)
		echo "$files" >"$cache/.ready"
	fi
	mkdir -p "$dir"
	cp -a "$cache"/. "$dir/"
	rm -f "$dir/.ready"
	[ "${3:-}" = with-kselftest ] && return
	for f in $KSFT_FILES; do
		rm -f "$dir/$f"
	done
}

# tree_path FILE: where a pvkit source file lives in the kernel tree.
tree_path() {
	case "$1" in
	hypercall-abi/pvkit_abi.h | pv-core/pvkit_ioctl.h)
		echo "include/uapi/linux/${1##*/}" ;;
	pv-core/* | pv-mmu/* | virtio-drivers/*)
		echo "drivers/virt/pvkit/$1" ;;
	tests/selftests/* | hypervisor/compiler.h)
		echo "tools/testing/selftests/pvkit/${1##*/}" ;;
	*)
		echo "$1" ;;
	esac
}

# in_tree SRC DST: one source file as the kernel tree carries it.
in_tree() {
	mkdir -p "$(dirname "$2")"
	case "$1" in
	*Kbuild)
		grep -v 'hypercall-abi' "$1" >"$2"
		;;
	*.c | *.h)
		sed -e 's#^\#include "\(pvkit_abi\|pvkit_ioctl\)\.h"$#\#include <linux/\1.h>#' \
			-e 's|^#include "\.\./\.\./\.\./hypervisor/compiler\.h"$|#include "compiler.h"|' \
			"$1" >"$2"
		;;
	*)
		cp "$1" "$2"
		;;
	esac
}

# copy_sources DIR DST: the kernel sources of a pvkit directory.
copy_sources() {
	local f
	while read -r f; do
		case "$f" in
		*/pvkit_ioctl.h | */tools/*) continue ;;
		esac
		in_tree "$PVKIT_ROOT/$f" "$2/${f#"$1"/}"
	done < <(cd "$PVKIT_ROOT" && git ls-files "$1" | grep -E '(\.[ch]|/Kbuild)$')
}

# has_code DIR: whether a pvkit directory has any C source yet.
has_code() {
	(cd "$PVKIT_ROOT" && git ls-files "$1" | grep -q '\.c$')
}

# pvkit_kbuild and pvkit_kconfig: drivers/virt/pvkit/'s, for the parts
# present so far, so that the tree builds after every patch.
pvkit_kbuild() {
	echo "# SPDX-License-Identifier: GPL-2.0"
	echo "# pvkit, a paravirtual guest kit: one directory per module."
	echo "obj-y += $*"
}

kconfig_core() {
	cat <<'EOF'
# SPDX-License-Identifier: GPL-2.0
config PVKIT
	tristate "pvkit paravirtual guest support"
	depends on X86_64 && HYPERVISOR_GUEST
	depends on PTP_1588_CLOCK_OPTIONAL
	select HW_RANDOM
	select HVC_DRIVER if TTY
	help
	  Support for running as a paravirtualized guest of a hypervisor
	  that speaks the pvkit hypercall ABI (pvkit-hv), and the same
	  module's reports on stock KVM: hypervisor detection, hypercalls,
	  the console (pvcon0 and hvc0), power and crash reports, the
	  host's clock as a PTP clock, entropy from the host and the
	  guest's periodic report.

	  If unsure, say N. To build it as a module, choose M: the module
	  is called pvkit.
EOF
}

kconfig_mmu() {
	cat <<'EOF'

config PVKIT_MMU
	tristate "pvkit memory balloon and free page reporting"
	depends on PVKIT
	select PAGE_REPORTING
	help
	  Hands guest memory back to a pvkit hypervisor: a balloon that
	  follows the target the host sets, free page reporting so that
	  freed memory returns to the host without a target, and memory
	  statistics for the host.

	  If unsure, say N. The module is called pvkit_mmu.
EOF
}

kconfig_virtio() {
	cat <<'EOF'

config PVKIT_BLK
	tristate "pvkit virtio block front-end"
	depends on VIRTIO && BLOCK
	select SG_POOL
	help
	  pvkit's driver for virtio block devices (disks pvblkN), on any
	  virtio transport: virtio-pci on QEMU/KVM and on pvkit-hv. It
	  takes devices from the in-tree virtio_blk driver when both are
	  built; see Documentation/virtio-drivers.rst in pvkit.

	  If unsure, say N. The module is called pvkit_blk.

config PVKIT_NET
	tristate "pvkit virtio network front-end"
	depends on VIRTIO && NET
	help
	  pvkit's driver for virtio network devices, on any virtio
	  transport, with NAPI, multiqueue, checksum and segmentation
	  offloads and mergeable receive buffers when the device offers
	  them.

	  If unsure, say N. The module is called pvkit_net.
EOF
}

# maintainers_entry PATH...: pvkit's MAINTAINERS section, covering the
# paths the series has added so far (each patch adds its own).
MAINTAINERS_TITLE="PVKIT PARAVIRTUAL GUEST KIT"

maintainers_entry() {
	echo "$MAINTAINERS_TITLE"
	echo "M:	pvkit developers <pvkit@example.org>"
	echo "S:	Maintained"
	printf 'F:\t%s\n' "$@" | LC_ALL=C sort
}

# set_maintainers FILE PATH...: puts the section, replacing an earlier
# version of it, before the first section title that sorts after it.
set_maintainers() {
	local file=$1 title=$MAINTAINERS_TITLE line
	shift
	awk -v t="$title" '$0 == t { skip = 1 } skip && $0 == "" { skip = 0; next } !skip' \
		"$file" >"$file.new"
	line=$(awk -v t="$title" '
		{ l[NR] = $0 }
		END {
			for (i = 2; i < NR; i++)
				if (l[i - 1] == "" && l[i + 1] ~ /^[A-Z]:\t/ &&
				    l[i] ~ /^[0-9A-Z]/ && seen++ && l[i] > t) {
					print i
					exit
				}
		}' "$file.new")
	[ -n "$line" ] || die "no place for pvkit's entry in $file"
	{
		head -n $((line - 1)) "$file.new"
		maintainers_entry "$@"
		echo
		tail -n +"$line" "$file.new"
	} >"$file"
	rm -f "$file.new"
}

# selftests_makefile TESTS...: tools/testing/selftests/pvkit/Makefile.
selftests_makefile() {
	cat <<EOF
# SPDX-License-Identifier: GPL-2.0
# pvkit's in-guest tests. PVKIT_HOST (kvm, hv or tcg) tells them which
# host to expect, e.g. PVKIT_HOST=hv make -C tools/testing/selftests
# TARGETS=pvkit run_tests; PVKIT_MODULES names a directory of pvkit's
# .ko files for the tests that load and unload them.
CFLAGS += -std=gnu11 -O2 -Wall -Wno-unused-parameter \$(KHDR_INCLUDES) -I. -I..
LDFLAGS += -static

TEST_GEN_PROGS := $*
LOCAL_HDRS += pvkit_test.h pvkit_test_main.h compiler.h

include ../lib.mk

\$(TEST_GEN_PROGS): pvkit_test.c
EOF
}

# add_part DIR KCONFIG: pvkit directory DIR under drivers/virt/pvkit/,
# its Kconfig entries (printed by the function KCONFIG), and its place in
# Kbuild and MAINTAINERS; generate()'s tree, parts and paths.
add_part() {
	parts="$parts $1/"
	paths="$paths drivers/virt/pvkit/$1/"
	# shellcheck disable=SC2086
	set_maintainers "$tree/MAINTAINERS" $paths
	copy_sources "$1" "$tree/drivers/virt/pvkit/$1"
	# shellcheck disable=SC2086
	pvkit_kbuild $parts >"$tree/drivers/virt/pvkit/Kbuild"
	"$2" >>"$tree/drivers/virt/pvkit/Kconfig"
}

commit() {
	git -C "$1" "${GIT_ID[@]}" add -A
	git -C "$1" "${GIT_ID[@]}" commit -q -F -
}

# generate SERIES OUT: writes the series into OUT.
generate() {
	local series=$1 out=$2 tree parts="" paths tests t
	tree=$(mktemp -d)
	pristine_tree "$series" "$tree"
	git -C "$tree" init -q
	commit "$tree" <<<"Debian linux-source-$series (the files pvkit changes)"

	mkdir -p "$tree/include/uapi/linux"
	in_tree "$PVKIT_ROOT/hypercall-abi/pvkit_abi.h" "$tree/include/uapi/linux/pvkit_abi.h"
	in_tree "$PVKIT_ROOT/pv-core/pvkit_ioctl.h" "$tree/include/uapi/linux/pvkit_ioctl.h"
	paths="include/uapi/linux/pvkit_abi.h include/uapi/linux/pvkit_ioctl.h"
	# shellcheck disable=SC2086
	set_maintainers "$tree/MAINTAINERS" $paths
	commit "$tree" <<'EOF'
uapi: add the pvkit hypercall ABI and /dev/pvkit headers

pvkit is a paravirtual guest kit: a guest that knows it runs on a
hypervisor speaking the pvkit ABI talks to it through hypercalls
instead of emulated hardware. pvkit_abi.h is the one contract between
guest and host (CPUID discovery leaves, the port I/O calling
convention, call numbers, result codes, feature bits, event bits and
every shared structure, with their layout pinned by static asserts);
pvkit_ioctl.h is the interface of /dev/pvkit to guest userspace.

Both are shared unchanged by the guest modules, pvkit's hypervisor and
userspace tests, so they use only <linux/types.h> types.

Signed-off-by: pvkit developers <pvkit@example.org>
EOF

	paths="$paths drivers/virt/pvkit/Kbuild drivers/virt/pvkit/Kconfig"
	add_part pv-core kconfig_core
	echo 'obj-y				+= pvkit/' >>"$tree/drivers/virt/Makefile"
	awk '/^endif/ && !done { print "source \"drivers/virt/pvkit/Kconfig\"\n"; done = 1 } { print }' \
		"$tree/drivers/virt/Kconfig" >"$tree/drivers/virt/Kconfig.new"
	mv "$tree/drivers/virt/Kconfig.new" "$tree/drivers/virt/Kconfig"
	commit "$tree" <<'EOF'
virt: pvkit: add pvkit.ko, the core paravirtual guest module

pvkit.ko finds the hypervisor through CPUID (pvkit's own leaves, or
KVM's), picks the hypercall transport, and offers what the host has:
power off, reboot and crash reports through hypercalls, host-requested
orderly shutdown through host-to-guest events, a console that costs one
exit per write instead of one per character (/dev/pvcon0 and a kernel
console), the host's wall clock as a PTP clock, a hardware RNG fed by
the host's getrandom(), and a periodic report of the guest's state.
Everything it found is in /sys/kernel/pvkit/; on stock KVM it reports
the hypercall round trip and leaves everything else alone.

Signed-off-by: pvkit developers <pvkit@example.org>
EOF

	if has_code pv-mmu; then
		add_part pv-mmu kconfig_mmu
		commit "$tree" <<'EOF'
virt: pvkit: add pvkit_mmu.ko, the balloon and free page reporting

pvkit_mmu.ko gives guest memory back to a pvkit hypervisor: it inflates
and deflates a balloon towards the target the host sets, one hypercall
per batch of frames, gives pages back under memory pressure rather
than letting the OOM killer act, reports free pages through the
kernel's page reporting, and sends the host memory statistics.

Signed-off-by: pvkit developers <pvkit@example.org>
EOF
	fi

	add_part virtio-drivers kconfig_virtio
	commit "$tree" <<'EOF'
virt: pvkit: add the pvkit_blk and pvkit_net virtio front-ends

pvkit's own virtio block and network drivers, written on the virtio
core API so that they bind over any transport: blk-mq with a hardware
queue per virtqueue, flush and write-back cache, discard and write
zeroes, capacity changes and a sysfs serial for block; NAPI, a queue
pair per vCPU, checksum and segmentation offloads, mergeable receive
buffers, MTU, link state and ethtool statistics for net. Both refuse a
device whose configuration makes no sense with one line.

Signed-off-by: pvkit developers <pvkit@example.org>
EOF

	tests=""
	paths="$paths tools/testing/selftests/pvkit/"
	# shellcheck disable=SC2086
	set_maintainers "$tree/MAINTAINERS" $paths
	mkdir -p "$tree/tools/testing/selftests/pvkit"
	for t in $(cd "$PVKIT_ROOT" && git ls-files 'tests/selftests/*/*.[ch]'); do
		in_tree "$PVKIT_ROOT/$t" "$tree/tools/testing/selftests/pvkit/$(basename "$t")"
		case "$t" in
		tests/selftests/lib/*) ;;
		*_test.c) tests="$tests $(basename "$t" .c)" ;;
		esac
	done
	# the tests' helpers spell attributes as the kernel does
	in_tree "$PVKIT_ROOT/hypervisor/compiler.h" "$tree/tools/testing/selftests/pvkit/compiler.h"
	# shellcheck disable=SC2086
	tests=$(echo $tests | tr ' ' '\n' | sort)
	# shellcheck disable=SC2086
	selftests_makefile $tests >"$tree/tools/testing/selftests/pvkit/Makefile"
	# shellcheck disable=SC2086
	printf '%s\n' '# SPDX-License-Identifier: GPL-2.0-only' \
		$tests \
		>"$tree/tools/testing/selftests/pvkit/.gitignore"
	awk '/^TARGETS \+= pstore$/ { print; print "TARGETS += pvkit"; next } { print }' \
		"$tree/tools/testing/selftests/Makefile" >"$tree/tools/testing/selftests/Makefile.new"
	mv "$tree/tools/testing/selftests/Makefile.new" "$tree/tools/testing/selftests/Makefile"
	grep -q '^TARGETS += pvkit$' "$tree/tools/testing/selftests/Makefile" ||
		die "no 'TARGETS += pstore' line to put pvkit after in the $series selftests Makefile"
	commit "$tree" <<'EOF'
selftests: pvkit: add pvkit's in-guest tests

The tests pvkit runs inside its test guests, as kselftests: detection
and sysfs, the console, the clock, the RNG, the hypervisor's events and
its refusal of unprivileged hypercalls, and the virtio front-ends (fio
with verification, mkfs and mount, ping and iperf3, removal with I/O in
flight, malformed virtqueues). PVKIT_HOST names the host they run on.

Signed-off-by: pvkit developers <pvkit@example.org>
EOF

	mkdir -p "$out"
	rm -f "$out"/00[0-9][0-9]-*.patch "$out/series"
	git -C "$tree" "${GIT_ID[@]}" format-patch -q --zero-commit --no-signature \
		-o "$out" HEAD~$(($(git -C "$tree" rev-list --count HEAD) - 1)) >/dev/null
	(cd "$out" && ls ./*.patch | sed 's|^\./||') >"$out/series"
	rm -rf "$tree"
}

# applies_exactly LOG CMD...: CMD, its output in LOG, succeeded and
# neither moved a hunk (offset) nor bent its context (fuzz).
applies_exactly() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 && ! grep -qiE 'offset|fuzz' "$log"
}

# quilt_push TREE DIR: quilt push -a of the series in DIR, in TREE.
quilt_push() {
	(cd "$1" && QUILT_PATCHES=$2 quilt push -a --fuzz=0)
}

# quilt_check SERIES DIR: quilt push -a, as Documentation/patches.rst
# tells users to apply the series, takes every patch with no fuzz.
quilt_check() {
	local series=$1 dir=$2 tree log
	tree=$(mktemp -d)
	pristine_tree "$series" "$tree" with-kselftest
	log=$tree/.quilt.log
	if ! applies_exactly "$log" quilt_push "$tree" "$dir"; then
		cat "$log" >&2
		rm -rf "$tree"
		die "$series: quilt push -a does not apply the series exactly to Debian's linux-source-$series"
	fi
	rm -rf "$tree"
}

# apply_check SERIES DIR: the series applies to the pristine files
# exactly, the in-tree selftests build with that kernel's lib.mk, and
# drivers/virt/pvkit builds against the series' Debian headers.
apply_check() {
	local series=$1 dir=$2 tree p log kdir
	tree=$(mktemp -d)
	pristine_tree "$series" "$tree" with-kselftest
	log=$tree/.patch.log
	while read -r p; do
		if ! applies_exactly "$log" patch -d "$tree" -p1 --fuzz=0 \
			--no-backup-if-mismatch -i "$dir/$p"; then
			cat "$log" >&2
			rm -rf "$tree"
			die "$series: $p does not apply exactly to Debian's linux-source-$series"
		fi
	done <"$dir/series"
	quilt_check "$series" "$dir"
	# the uapi headers as headers_install would put them
	mkdir -p "$tree/.usr/include/linux"
	cp "$tree"/include/uapi/linux/pvkit_*.h "$tree/.usr/include/linux/"
	mkdir -p "$tree/.ksft"
	if ! make -s -C "$tree/tools/testing/selftests/pvkit" OUTPUT="$tree/.ksft" \
		KHDR_INCLUDES="-isystem $tree/.usr/include" >"$log" 2>&1; then
		cat "$log" >&2
		rm -rf "$tree"
		die "$series: the in-tree selftests do not build (tools/testing/selftests/pvkit)"
	fi
	if [ "$module_build" = 0 ]; then
		rm -rf "$tree"
		return
	fi
	# the in-tree drivers/virt/pvkit/ against the series' Debian headers
	kdir=$(KVER=$(series_kver "$series") "$PVKIT_ROOT/scripts/kdir.sh")
	if ! make -C "$kdir" M="$tree/drivers/virt/pvkit" \
		KCFLAGS="-isystem $tree/.usr/include" modules >"$log" 2>&1 ||
		grep -qE 'warning:|error:' "$log"; then
		grep -E 'warning:|error:|Error' "$log" | head -n 20 >&2
		rm -rf "$tree"
		die "$series: the in-tree drivers/virt/pvkit does not build cleanly against $kdir"
	fi
	for p in pvkit pvkit_blk pvkit_net $(has_code pv-mmu && echo pvkit_mmu); do
		[ -n "$(find "$tree/drivers/virt/pvkit" -name "$p.ko")" ] ||
			die "$series: the in-tree build made no $p.ko"
	done
	rm -rf "$tree"
}

# checkpatch_series SERIES DIR: that kernel's own checkpatch.pl on every
# patch. The rules that scripts/checkpatch-exceptions lifts for a source
# file are lifted for the patch that carries the file's in-tree copy,
# and for nothing else.
checkpatch_series() {
	local series=$1 dir=$2 checkpatch p f rules ignore out
	checkpatch=$(series_checkpatch "$series")
	[ -f "$checkpatch" ] || die "no $checkpatch (linux-source-$series's); run make deps"
	while read -r p; do
		ignore=""
		while read -r f rules; do
			grep -qxF "+++ b/$(tree_path "$f")" "$dir/$p" &&
				ignore="${ignore:+$ignore,}$rules"
		done < <(grep -v '^#' "$PVKIT_ROOT/scripts/checkpatch-exceptions")
		if ! out=$(perl "$checkpatch" --no-tree --quiet ${ignore:+--ignore "$ignore"} \
			"$dir/$p" 2>&1) || [ -n "$out" ]; then
			echo "$out" >&2
			die "checkpatch.pl is not clean on $dir/$p"
		fi
	done <"$dir/series"
}

for series in $series_list; do
	if [ "$check" = 1 ]; then
		scratch=$(mktemp -d)
		mkdir -p "$scratch/$series"
		for p in $(arch_patches "$series"); do
			cp "$PVKIT_ROOT/patches/$series/$p" "$scratch/$series/"
		done
		generate "$series" "$scratch/$series"
		if ! diff -r "$PVKIT_ROOT/patches/$series" "$scratch/$series" >"$scratch/diff" 2>&1; then
			head -n 40 "$scratch/diff" >&2
			rm -rf "$scratch"
			die "patches/$series is out of date: run make patches and commit it"
		fi
		rm -rf "$scratch"
		apply_check "$series" "$PVKIT_ROOT/patches/$series"
		checkpatch_series "$series" "$PVKIT_ROOT/patches/$series"
		built="its selftests and modules build"
		[ "$module_build" = 1 ] || built="its selftests build"
		echo "patches/$series: up to date; applies with no offset or fuzz (patch -p1 and quilt push -a); $built; checkpatch clean"
	else
		generate "$series" "$PVKIT_ROOT/patches/$series"
		echo "patches/$series: $(grep -c . "$PVKIT_ROOT/patches/$series/series") patches"
	fi
done
