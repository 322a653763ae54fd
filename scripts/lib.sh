# SPDX-License-Identifier: GPL-2.0
# Shared shell helpers for pvkit's build and test scripts: where things
# live, how to fail, and how a kernel series ("6.1", "6.12") maps to a
# Debian package and an installed kernel version. Sourced, never run.

PVKIT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PVKIT_BUILD=${PVKIT_BUILD:-$PVKIT_ROOT/build}
PVKIT_CACHE=${PVKIT_CACHE:-$PVKIT_BUILD/cache}

# The kernel series pvkit supports, and the Debian metapackage whose
# dependency names the current header set of each.
PVKIT_SERIES="6.1 6.12"

die() {
	echo "pvkit: error: $*" >&2
	exit 1
}

info() {
	echo "pvkit: $*" >&2
}

series_headers_meta() {
	case "$1" in
	6.1) echo linux-headers-amd64 ;;
	6.12) echo linux-headers-6.12-amd64 ;;
	*) die "unknown kernel series '$1' (supported: $PVKIT_SERIES)" ;;
	esac
}

# Prints the kernel release ("6.1.0-56-amd64") that a series means here:
# the installed metapackage's dependency if installed, else the archive's.
series_kver() {
	local meta deps
	meta=$(series_headers_meta "$1") || exit 1
	if dpkg-query -W -f='${Status}' "$meta" 2>/dev/null | grep -q 'ok installed'; then
		deps=$(dpkg-query -W -f='${Depends}' "$meta")
	else
		deps=$(apt-cache depends "$meta" 2>/dev/null | sed -n 's/^ *Depends: //p')
	fi
	echo "$deps" | tr ',|' '\n\n' | sed -n 's/^ *linux-headers-\([0-9][^ ]*-amd64\).*/\1/p' | head -n 1
}

# Where scripts/deps.sh unpacks a Debian kernel's header packages that
# are not installed (make deps never installs a kernel on the host).
headers_dir() {
	echo "$PVKIT_CACHE/headers/$1"
}

# The header directory of a kernel release: installed, or else unpacked by
# scripts/deps.sh; nothing when neither.
kver_kdir() {
	local d
	for d in "/lib/modules/$1/build" "/usr/src/linux-headers-$1"; do
		if [ -f "$d/Makefile" ]; then
			echo "$d"
			return 0
		fi
	done
	d=$(headers_dir "$1")
	[ -f "$d/.ready" ] || return 1
	echo "$d/usr/src/linux-headers-$1"
}

# The kernel release a header directory was configured for (Debian's 6.1
# headers put the upstream version in kernel.release, so read UTS_RELEASE).
kdir_kver() {
	sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
		"$1/include/generated/utsrelease.h" 2>/dev/null
}

# The tarball of Debian's linux-source-<series>, or an error naming the
# package to install.
series_source_tarball() {
	local tarball
	tarball=$(ls /usr/src/linux-source-"$1".tar.* 2>/dev/null | head -n 1)
	[ -n "$tarball" ] ||
		die "no /usr/src/linux-source-$1.tar.*; apt-get install linux-source-$1 (make deps does)"
	echo "$tarball"
}

# The installed version of linux-source-<series>, or "unknown".
series_source_version() {
	dpkg-query -W -f='${Version}' "linux-source-$1" 2>/dev/null || echo unknown
}

# Where a Debian guest kernel of a release is unpacked by scripts/deps.sh.
guest_dir() {
	echo "$PVKIT_CACHE/guest/$1"
}

# The kselftest headers and checkpatch, taken from Debian's linux-source.
kernel_tools_dir() {
	echo "$PVKIT_CACHE/kernel-tools"
}

# series_checkpatch SERIES: that kernel source's own checkpatch.pl, which
# make check runs on its series (scripts/deps.sh unpacks it).
series_checkpatch() {
	echo "$(kernel_tools_dir)/checkpatch-$1/scripts/checkpatch.pl"
}

# Where scripts/deps.sh unpacks the backports QEMU that runs the nested
# path's L0 (on Debian 12, whose own QEMU's SVM emulation is older).
l0_qemu_dir() {
	echo "$PVKIT_CACHE/l0-qemu"
}

# hvc_header_dir KVER: a directory with drivers/tty/hvc/hvc_console.h of
# the kernel series KVER belongs to, for pvkit.ko's hvc0 (pv-core/hvc.c):
# headers packages leave that header out, so it is taken from Debian's
# linux-source of the same series (once, then cached). Prints nothing
# when that package is not installed.
hvc_header_dir() {
	local series=${1%%-*} tarball dir
	series=${series%.*}	# 6.1.0-57-amd64 -> 6.1, 6.12.117+deb12-amd64 -> 6.12
	dir=$(kernel_tools_dir)/hvc/$series
	if [ ! -f "$dir/hvc_console.h" ]; then
		tarball=$(ls /usr/src/linux-source-"$series".tar.* 2>/dev/null | head -n 1)
		[ -n "$tarball" ] || return 0
		mkdir -p "$dir"
		tar -xf "$tarball" -O --wildcards '*/drivers/tty/hvc/hvc_console.h' \
			>"$dir/hvc_console.h.$$" 2>/dev/null &&
			[ -s "$dir/hvc_console.h.$$" ] || {
			rm -f "$dir/hvc_console.h.$$"
			return 0
		}
		mv "$dir/hvc_console.h.$$" "$dir/hvc_console.h"
	fi
	echo "$dir"
}

# need_space MIB WHAT: dies, saying what is free where, unless the file
# system of $PVKIT_BUILD has room for MIB MiB of WHAT, counting what
# $PVKIT_BUILD holds already (a run replaces its own earlier files).
# A full disk otherwise shows up as scenarios that end silently.
need_space() {
	local need=$1 what=$2 held free
	mkdir -p "$PVKIT_BUILD"
	held=$(du -sm "$PVKIT_BUILD" 2>/dev/null | cut -f 1)
	free=$(df -Pm "$PVKIT_BUILD" | awk 'NR == 2 { print $4 }')
	[ $((free + ${held:-0})) -ge "$need" ] ||
		die "$what needs about $need MiB under $PVKIT_BUILD; its file system has $free MiB free (and $PVKIT_BUILD holds ${held:-0} MiB): free some space, or set PVKIT_BUILD to a roomier place"
}
