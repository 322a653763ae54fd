#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Picks the kernel header directory to build pvkit's modules against and
# prints it. Order: KDIR, then KVER, then the running kernel's headers,
# then the newest Debian header set installed, then the newest one that
# make deps unpacked into the cache. Anything missing or
# inconsistent ends in one line naming the Debian package to install.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir=${KDIR:-}
kver=${KVER:-}

check_kdir() {
	local d=$1 rel
	[ -f "$d/Makefile" ] ||
		die "'$d' is not a kernel header directory (no Makefile); install linux-headers-${kver:-<release>}"
	rel=$(kdir_kver "$d" || true)
	[ -n "$rel" ] ||
		die "'$d' has no include/generated/utsrelease.h; its header package is incomplete: reinstall linux-headers-${kver:-<release>}"
	[ -x "$d/scripts/basic/fixdep" ] ||
		die "'$d' lacks scripts/basic/fixdep: its linux-kbuild package is missing; reinstall linux-headers-$rel"
	if [ -n "$kver" ] && [ "$rel" != "$kver" ]; then
		die "'$d' holds headers for $rel, not $kver; install linux-headers-$kver"
	fi
	echo "$d"
}

if [ -n "$kdir" ]; then
	check_kdir "$kdir"
	exit 0
fi

if [ -n "$kver" ]; then
	case "$kver" in
	6.1 | 6.12)
		series=$kver
		kver=$(series_kver "$series")
		[ -n "$kver" ] ||
			die "cannot resolve kernel series $series; install $(series_headers_meta "$series") (or run make deps)"
		;;
	esac
	d=$(kver_kdir "$kver") || die "no headers for kernel $kver; install linux-headers-$kver"
	check_kdir "$d"
	exit 0
fi

if d=$(kver_kdir "$(uname -r)"); then
	kver=$(uname -r)
	check_kdir "$d"
	exit 0
fi

newest=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sed 's|.*/linux-headers-||' | sort -V | tail -n 1 || true)
if [ -n "$newest" ]; then
	kver=$newest
	check_kdir "/usr/src/linux-headers-$newest"
	exit 0
fi

# the newest header set make deps unpacked
newest=$(ls -d "$(headers_dir "")"*/.ready 2>/dev/null | sed 's|/\.ready$||; s|.*/||' | sort -V | tail -n 1 || true)
[ -n "$newest" ] ||
	die "no kernel headers installed or unpacked; install linux-headers-amd64, or run make deps (it unpacks Debian 12's 6.1 and 6.12 headers into $(headers_dir ""))"
kver=$newest
check_kdir "$(kver_kdir "$newest")"
