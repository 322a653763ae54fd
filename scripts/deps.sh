#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make deps: installs everything pvkit's build and tests need, as root,
# idempotently. Guest kernels are Debian linux-image packages, and the
# two kernels' headers Debian's linux-headers packages, fetched with
# apt-get download and unpacked into the cache (never installed on the
# host); the kselftest headers and checkpatch come from linux-source, and
# make patches diffs against both series' linux-source.
# Versions are resolved from the archive each time, never written down.
#
#   deps.sh                  install and fetch everything
#   deps.sh --if-needed      do nothing when everything is already in place
#   deps.sh --kernel SERIES  only what building SERIES's patched kernel
#                            needs (make check starts its first kernel on
#                            that while the rest installs); with
#                            --if-needed, nothing when that is in place
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# make kernel: the compiler, Kconfig's parsers, the timeconst script,
# objtool's libelf, patch; and ccache, so a kernel whose pvkit patches
# changed rebuilds only them
KERNEL_PACKAGES=(gcc make libc6-dev perl xz-utils patch flex bison bc libelf-dev
	libssl-dev ccache)
# (pahole: Debian's 6.12 headers carry vmlinux's BTF, and Kbuild adds
# BTF to the modules built against them; quilt: make check applies each
# series with it, as Documentation/patches.rst tells users to)
PACKAGES=(
	"${KERNEL_PACKAGES[@]}" kmod cpio zstd busybox-static
	qemu-system-x86 sparse linux-source-6.1 linux-source-6.12 clang libclang-rt-dev
	fio iperf3 e2fsprogs pahole quilt iproute2
	libzstd-dev liblzma-dev zlib1g-dev libxxhash-dev
)

HOST_COMMANDS="gcc clang make cpio depmod modprobe xz sparse qemu-system-x86_64 dpkg-deb
	fio iperf3 mke2fs flex bison bc ccache quilt"

# commands_present COMMAND...: whether every one is on PATH.
commands_present() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || return 1
	done
}

# packages_installed PACKAGE...: whether dpkg has every one installed.
packages_installed() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			return 1
	done
}

everything_present() {
	local series kver
	# shellcheck disable=SC2086
	commands_present $HOST_COMMANDS || return 1
	packages_installed busybox-static libclang-rt-dev libelf-dev libssl-dev \
		linux-source-6.1 linux-source-6.12 pahole libzstd-dev liblzma-dev \
		zlib1g-dev libxxhash-dev iproute2 || return 1
	for series in $PVKIT_SERIES; do
		kver=$(series_kver "$series")
		[ -n "$kver" ] && kver_kdir "$kver" >/dev/null || return 1
		[ -f "$(guest_dir "$kver")/.ready" ] || return 1
	done
	kernel_tools_ready || return 1
	[ -f "$(l0_qemu_dir)/.ready" ] || ! l0_qemu_wanted
}

# Whether what building SERIES's kernel needs is installed.
kernel_build_present() {
	commands_present gcc make xz patch flex bison bc ccache &&
		packages_installed libelf-dev libssl-dev "linux-source-$1"
}

# install_packages PACKAGE...: apt-get install, after an apt-get update
# unless one ran in the last hour (make check installs in two parts).
install_packages() {
	[ "$(id -u)" = 0 ] || die "make deps must run as root (it uses apt-get)"
	local log stamp
	log=$PVKIT_BUILD/deps-apt.log
	stamp=$PVKIT_BUILD/.apt-updated
	mkdir -p "$PVKIT_BUILD"
	info "installing Debian packages: $*"
	if [ -z "$(find "$stamp" -mmin -60 2>/dev/null)" ]; then
		apt-get update -q >>"$log" 2>&1 ||
			die "apt-get update failed (is a Debian mirror reachable?); log: $log"
		touch "$stamp"
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "$@" >>"$log" 2>&1 ||
		die "apt-get install failed for: $*; log: $log"
}

# download_unpack DIR PACKAGE...: fetches the packages with apt-get
# download and unpacks them all into DIR, emptied first (nothing is
# installed).
download_unpack() {
	local dir=$1 tmp deb
	shift
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$@" >/dev/null) ||
		die "apt-get download $* failed"
	rm -rf "$dir"
	mkdir -p "$dir"
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$dir"
	done
	rm -rf "$tmp"
}

# Unpacks linux-image-<kver> into the cache with its modules.dep.
fetch_guest_kernel() {
	local kver=$1 dir
	dir=$(guest_dir "$kver")
	[ -f "$dir/.ready" ] && return 0
	info "fetching guest kernel linux-image-$kver"
	download_unpack "$dir" "linux-image-$kver"
	[ -f "$dir/boot/vmlinuz-$kver" ] ||
		die "linux-image-$kver has no boot/vmlinuz-$kver"
	depmod -b "$dir" "$kver"
	touch "$dir/.ready"
}

# Unpacks linux-headers-<kver>, with its -common part and its
# linux-kbuild, into the cache, unless that header set is installed.
# Installing them is what a user building for a kernel does, but here it
# would bring a kernel onto the host: Debian 12's 6.12 headers depend on
# the 6.12 image, which would become the host's next boot kernel, and whose
# initramfs builds (twice: the image's hook, then initramfs-tools'
# trigger) took 5 of the 6 minutes make check's package install took
# on a fresh machine.
fetch_headers() {
	local kver=$1 dir parts
	kver_kdir "$kver" >/dev/null && return 0
	dir=$(headers_dir "$kver")
	info "fetching kernel headers linux-headers-$kver"
	parts=$(apt-cache depends "linux-headers-$kver" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-\(headers\|kbuild\)-[^ ]*\)$/\1/p')
	# shellcheck disable=SC2086
	download_unpack "$dir" "linux-headers-$kver" $parts
	# the arch part's Makefile includes the common part's from /usr/src
	sed -i 's|^include /usr/src/|include ../|' "$dir/usr/src/linux-headers-$kver/Makefile"
	[ -x "$dir/usr/src/linux-headers-$kver/scripts/basic/fixdep" ] ||
		die "linux-headers-$kver unpacked into $dir lacks scripts/basic/fixdep"
	touch "$dir/.ready"
}

# kselftest harness headers and checkpatch.pl from Debian's linux-source.
kernel_tools_ready() {
	local series
	[ -f "$(kernel_tools_dir)/.ready" ] || return 1
	for series in $PVKIT_SERIES; do
		[ -f "$(series_checkpatch "$series")" ] || return 1
	done
}

fetch_kernel_tools() {
	local dir tarball series
	dir=$(kernel_tools_dir)
	kernel_tools_ready && return 0
	tarball=$(series_source_tarball 6.1)
	info "extracting kselftest headers from $(basename "$tarball"), and each series' checkpatch"
	rm -rf "$dir"
	mkdir -p "$dir"
	tar -xf "$tarball" -C "$dir" --strip-components=1 --wildcards \
		'*/tools/testing/selftests/kselftest.h' \
		'*/tools/testing/selftests/kselftest_harness.h'
	# each series is checked with its own kernel's checkpatch
	for series in $PVKIT_SERIES; do
		tarball=$(series_source_tarball "$series")
		mkdir -p "$dir/checkpatch-$series"
		tar -xf "$tarball" -C "$dir/checkpatch-$series" --strip-components=1 \
			--wildcards '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
			'*/scripts/const_structs.checkpatch'
	done
	touch "$dir/.ready"
}

# The nested path (a CPU without vmx/svm) runs L1 under QEMU's TCG, which
# emulates SVM for L1's KVM. Debian 12's QEMU 7.2 lacks later fixes to that
# emulation (the guest's interrupt shadow on VMRUN came in 9.1), and guests
# there died in ways that only a broken CPU explains (Documentation/
# testing.rst, "The nested L1"). Where the host's QEMU is older than 9.1,
# the QEMU of the release's backports is unpacked into the cache for L0
# only, never installed: the host's QEMU stays the distribution's, and it
# is what the kvm host's scenarios run in L1.
l0_qemu_wanted() {
	grep -qwE 'vmx|svm' /proc/cpuinfo && return 1
	dpkg --compare-versions \
		"$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null)" lt 1:9.1
}

fetch_l0_qemu() {
	local dir tmp mirror codename deb apt_opts
	dir=$(l0_qemu_dir)
	[ -f "$dir/.ready" ] && return 0
	l0_qemu_wanted || return 0
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	mirror=$(apt-cache policy | awk -v s="$codename/main" '$3 == s { print $2; exit }')
	[ -n "$codename" ] && [ -n "$mirror" ] ||
		die "cannot tell this system's Debian release and mirror for $codename-backports"
	info "fetching qemu-system-x86 from $codename-backports for the nested path's L0"
	tmp=$(mktemp -d)
	mkdir -p "$tmp/lists/partial"
	echo "deb $mirror $codename-backports main" >"$tmp/sources.list"
	apt_opts=(-q -o "Dir::Etc::sourcelist=$tmp/sources.list" -o Dir::Etc::sourceparts=-
		  -o "Dir::State::Lists=$tmp/lists" -o APT::Sandbox::User=root)
	apt-get "${apt_opts[@]}" update >"$tmp/apt.log" 2>&1 &&
		(cd "$tmp" && apt-get "${apt_opts[@]}" download qemu-system-x86 \
			qemu-system-common qemu-system-data seabios >>apt.log 2>&1) ||
		die "fetching QEMU from $codename-backports failed; log: $tmp/apt.log"
	rm -rf "$dir"
	mkdir -p "$dir"
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$dir"
	done
	"$dir/usr/bin/qemu-system-x86_64" -version >"$dir/version" 2>&1 ||
		die "the QEMU from $codename-backports does not run here: $(head -n 3 "$dir/version")"
	rm -rf "$tmp"
	info "nested L0: $(head -n 1 "$dir/version")"
	touch "$dir/.ready"
}

if_needed=0
kernel=""
while [ $# -gt 0 ]; do
	case "$1" in
	--if-needed) if_needed=1 ;;
	--kernel)
		[ $# -ge 2 ] || die "deps.sh: --kernel needs a series ($PVKIT_SERIES)"
		kernel=$2
		shift ;;
	*) die "deps.sh: unknown option '$1' (--if-needed, --kernel SERIES)" ;;
	esac
	shift
done

if [ -n "$kernel" ]; then
	case " $PVKIT_SERIES " in
	*" $kernel "*) ;;
	*) die "deps.sh: unknown kernel series '$kernel' (supported: $PVKIT_SERIES)" ;;
	esac
	[ "$if_needed" = 1 ] && kernel_build_present "$kernel" && exit 0
	install_packages "${KERNEL_PACKAGES[@]}" "linux-source-$kernel"
	exit 0
fi

if [ "$if_needed" = 1 ] && everything_present; then
	exit 0
fi

install_packages "${PACKAGES[@]}"
for series in $PVKIT_SERIES; do
	kver=$(series_kver "$series")
	[ -n "$kver" ] || die "cannot resolve the $series kernel from $(series_headers_meta "$series")"
	fetch_headers "$kver"
	fetch_guest_kernel "$kver"
done
fetch_kernel_tools
fetch_l0_qemu
info "dependencies in place"
