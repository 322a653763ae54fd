#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make kernel: a guest kernel with pvkit built in. Unpacks Debian's
# linux-source-<series>, applies patches/<series>/series, configures it
# with patches/configs/ on top of allnoconfig (merge_config.sh -n) and
# builds a bzImage. The result is cached, keyed on the source package's
# version, the patches' changes outside tools/, the config fragments and
# the compiler, so an unchanged kernel is never built twice on one
# machine.
#
#   build-kernel.sh [--debug] [--no-arch] SERIES
#
#   --debug    add patches/configs/pvkit-debug.config (KASAN, kmemleak,
#              lockdep, DEBUG_PAGEALLOC, UBSAN; pvkit as modules)
#   --no-arch  leave out the hand-written arch patches (numbered 0100
#              and up): the same kernel without them, for comparisons
#
# Prints the directory of the cached kernel: bzImage, config,
# modules.builtin, System.map, build-info and modules/ (the modules the
# config builds, flat: none in the minimal kernel).
# PVKIT_KERNEL_CACHE: where kernels are cached (default: the machine-wide
# /var/cache/pvkit/kernels as root, else build/cache/kernels).
# The compiler runs through ccache when it is installed (make deps does),
# with its own cache beside the kernels' (PVKIT_CCACHE_DIR, default
# <kernel cache>/../ccache): a change to pvkit's patches makes a new
# kernel, and then only the files it touched compile again.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	echo "usage: scripts/build-kernel.sh [--debug] [--no-arch] SERIES (one of: $PVKIT_SERIES)" >&2
	exit 2
}

debug=0
arch=1
series=""
while [ $# -gt 0 ]; do
	case "$1" in
	--debug) debug=1 ;;
	--no-arch) arch=0 ;;
	-h | --help) usage ;;
	-*) echo "build-kernel.sh: unknown option '$1'" >&2; usage ;;
	*) [ -z "$series" ] || usage; series=$1 ;;
	esac
	shift
done
[ -n "$series" ] || usage
case " $PVKIT_SERIES " in
*" $series "*) ;;
*) die "unknown kernel series '$series' (supported: $PVKIT_SERIES)" ;;
esac

if [ -z "${PVKIT_KERNEL_CACHE:-}" ]; then
	if [ "$(id -u)" = 0 ]; then
		PVKIT_KERNEL_CACHE=/var/cache/pvkit/kernels
	else
		PVKIT_KERNEL_CACHE=$PVKIT_CACHE/kernels
	fi
fi

PATCH_DIR=$PVKIT_ROOT/patches/$series
CONFIG_DIR=$PVKIT_ROOT/patches/configs
tarball=$(series_source_tarball "$series")
version=$(series_source_version "$series")
[ -f "$PATCH_DIR/series" ] || die "no $PATCH_DIR/series; run make patches"

# The patches to apply, in series order; --no-arch stops before 0100.
patches=()
while read -r p; do
	case "$p" in "" | "#"*) continue ;; esac
	[ -f "$PATCH_DIR/$p" ] || die "$PATCH_DIR/series names $p, which does not exist"
	if [ "$arch" = 0 ] && [ "${p%%-*}" -ge 100 ] 2>/dev/null; then
		continue
	fi
	patches+=("$p")
done <"$PATCH_DIR/series"

fragments=("$CONFIG_DIR/pvkit-guest.config")
[ "$debug" = 1 ] && fragments+=("$CONFIG_DIR/pvkit-debug.config")
for f in "${fragments[@]}"; do
	[ -f "$f" ] || die "missing config fragment $f"
done

flavor=minimal
[ "$debug" = 1 ] && flavor=debug
[ "$arch" = 0 ] && flavor=$flavor-noarch
# What the kernel is made of: the source, the patches' changes to files
# outside tools/ (a change to the selftests does not rebuild the
# kernel), the fragments, the compiler and the way it is built (bump
# BUILD_STEPS when this script's steps change what comes out).
BUILD_STEPS=1
kernel_changes() {
	awk '/^diff --git / { keep = ($3 !~ /^a\/tools\//) } keep' "$1"
}
key=$({
	echo "steps $BUILD_STEPS linux-source-$series $version"
	for p in "${patches[@]}"; do
		echo "patch $p"
		kernel_changes "$PATCH_DIR/$p"
	done
	for f in "${fragments[@]}"; do
		echo "fragment ${f##*/}"
		cat "$f"
	done
	gcc --version | head -n 1
} | sha256sum | cut -c1-16)
name=$series-$flavor-$key
out=$PVKIT_KERNEL_CACHE/$name

if [ -f "$out/.ready" ]; then
	echo "$out"
	exit 0
fi

# what a kernel build needs beyond the module builds' tools
for tool in flex bison bc; do
	command -v "$tool" >/dev/null ||
		die "building a kernel needs $tool, which is not installed (make deps installs it)"
done
[ -f /usr/include/gelf.h ] ||
	die "building a kernel needs libelf's headers for objtool, not installed (make deps installs libelf-dev)"

mkdir -p "$PVKIT_KERNEL_CACHE" "$PVKIT_BUILD/logs"
# one build of a kernel at a time (two make checks may want the same one)
exec 9>"$PVKIT_KERNEL_CACHE/.lock-$name"
flock 9
if [ -f "$out/.ready" ]; then
	echo "$out"
	exit 0
fi

log=$PVKIT_BUILD/logs/kernel-$series-$flavor.log
# "H of N" compilations that ccache answered in this build, or "none"
compiler_hits() {
	[ -f "$stats" ] || { echo none; return; }
	awk '/^#/ { n++ } /^(direct|preprocessed)_cache_hit$/ { h++ }
		END { printf "%d of %d\n", h, n }' "$stats"
}
tree=$PVKIT_BUILD/kernel/$series-$flavor
failed() {
	tail -n 30 "$log" >&2
	die "$1; log: $log"
}

# the compiler: through ccache, keyed on what the compiler sees
# (relative to the tree, which is unpacked afresh each time), its
# counters for this build in a log of their own. Depend mode takes the
# headers from the compiler's own .d files instead of running the
# preprocessor once more on each miss, which made a first build 40%
# slower (658 s against 462 s for the minimal 6.1 kernel).
cc=gcc
stats=$PVKIT_BUILD/logs/kernel-$series-$flavor.ccache
rm -f "$stats"
if command -v ccache >/dev/null; then
	cc="ccache gcc"
	export CCACHE_DIR=${PVKIT_CCACHE_DIR:-$(dirname "$PVKIT_KERNEL_CACHE")/ccache}
	export CCACHE_BASEDIR=$tree CCACHE_NOHASHDIR=1 CCACHE_STATSLOG=$stats
	export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-4G} CCACHE_DEPEND=${CCACHE_DEPEND:-1}
fi
# pahole only matters for BTF, which these kernels leave out, but
# Kconfig writes its version (0 if absent) into every file's config
# header: a kernel built before make check had installed pahole (it
# comes with linux-headers-6.12) missed ccache for every file once it
# was there. A name that is no command makes it 0 on every machine.
nopahole=PAHOLE=pvkit-no-pahole

info "building the $flavor $series kernel (linux-source-$series $version, ${#patches[@]} patches, CC=\"$cc\"; several minutes)"
start=$(date +%s)
rm -rf "$tree"
mkdir -p "$tree"
tar -xf "$tarball" -C "$tree" --strip-components=1 ||
	die "cannot unpack $tarball into $tree"
: >"$log"
for p in "${patches[@]}"; do
	echo "applying $p" >>"$log"
	# no fuzz: the series must apply exactly to the pristine source
	(cd "$tree" && patch -p1 --fuzz=0 --no-backup-if-mismatch <"$PATCH_DIR/$p") >>"$log" 2>&1 ||
		failed "$p does not apply to linux-source-$series $version"
done

(cd "$tree" && scripts/kconfig/merge_config.sh -n -m "${fragments[@]}" &&
	make CC="$cc" "$nopahole" allnoconfig KCONFIG_ALLCONFIG=.config) >>"$log" 2>&1 ||
	failed "configuring the $series kernel failed"
# every option a fragment sets must have survived Kconfig's dependencies,
# unless this series' Kconfig has no such symbol
known=$(cd "$tree" && find . -name 'Kconfig*' -type f -print0 | xargs -0 \
	sed -n 's/^[[:space:]]*\(menu\)\{0,1\}config[[:space:]]\{1,\}\([A-Za-z0-9_]*\).*/\2/p' |
	sort -u)
# (a later fragment overrides an earlier one)
missing=$(cat "${fragments[@]}" | sed -n 's/^\(CONFIG_[A-Za-z0-9_]*=.*\)$/\1/p' |
	awk -F= '{ v[$1] = $0; if (!($1 in seen)) { seen[$1] = 1; o[++n] = $1 } }
		END { for (i = 1; i <= n; i++) print v[o[i]] }' |
	while read -r line; do
		sym=${line%%=*}
		grep -qxF "${sym#CONFIG_}" <<<"$known" || continue
		grep -qxF "$line" "$tree/.config" || echo "$line"
	done)
[ -z "$missing" ] ||
	die "config options the fragments set did not survive Kconfig (a missing dependency?): $(echo $missing)"

(cd "$tree" && make -j"$(nproc)" CC="$cc" "$nopahole" bzImage modules modules.builtin) >>"$log" 2>&1 ||
	failed "building the $series kernel failed"

tmp=$out.tmp.$$
rm -rf "$tmp"
mkdir -p "$tmp"
cp "$tree/arch/x86/boot/bzImage" "$tmp/bzImage"
cp "$tree/.config" "$tmp/config"
cp "$tree/modules.builtin" "$tree/System.map" "$tmp/"
mkdir -p "$tmp/modules"
find "$tree" -name '*.ko' -not -path '*/tools/*' -exec cp {} "$tmp/modules/" \;
release=$(cd "$tree" && make -s "$nopahole" kernelrelease)
{
	echo "release=$release"
	echo "source=linux-source-$series $version"
	echo "flavor=$flavor"
	echo "patches=${patches[*]}"
	echo "build_seconds=$(($(date +%s) - start))"
	echo "ccache_hits=$(compiler_hits)"
} >"$tmp/build-info"
touch "$tmp/.ready"
rm -rf "$out"
mv "$tmp" "$out"
[ "${PVKIT_KEEP_KERNEL_TREE:-0}" = 1 ] || rm -rf "$tree"
info "kernel $release built in $(($(date +%s) - start)) s (ccache hits: $(compiler_hits)): $out/bzImage"
echo "$out"
