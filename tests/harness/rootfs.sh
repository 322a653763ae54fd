# SPDX-License-Identifier: GPL-2.0
# Builds the initramfs of a harness guest: a busybox root with an /init,
# guest-kernel modules with their dependencies (decompressed, listed in
# load order in /etc/pvkit/kmods), pvkit's modules and test binaries, and
# for the nested L1 a QEMU with its libraries and firmware; and the
# test guest's read-only tools disk. Sourced by
# tests/run after scripts/lib.sh.

# rootfs_base DIR INIT: an empty root with busybox and INIT as /init.
rootfs_base() {
	local dir=$1 init=$2
	rm -rf "$dir"
	mkdir -p "$dir"/{bin,dev,proc,sys,tmp,etc/pvkit,pvkit/modules,pvkit/tests,pvkit/bin}
	cp /bin/busybox "$dir/bin/busybox"
	ln -s busybox "$dir/bin/sh"
	cp "$init" "$dir/init"
	chmod 755 "$dir/init"
	: >"$dir/etc/pvkit/kmods"
}

# rootfs_add_kmods DIR KVER MODULE...: the guest kernel's own modules and
# everything they depend on, appended to /etc/pvkit/kmods in load order
# (or to /etc/pvkit/kmods.$KMODS_GROUP, which /init does not load; a
# module already in any list is not listed again).
rootfs_add_kmods() {
	local dir=$1 kver=$2 gdir mod line path rel dest
	local list=$1/etc/pvkit/kmods${KMODS_GROUP:+.$KMODS_GROUP}
	shift 2
	gdir=$(guest_dir "$kver")
	for mod in "$@"; do
		modprobe -d "$gdir" -S "$kver" --show-depends "$mod" >"$dir/.deps" ||
			die "guest kernel $kver has no module '$mod'"
		while read -r line; do
			case "$line" in
			insmod\ *) path=${line#insmod } ;;
			*) continue ;;
			esac
			path=${path%% *}
			# CPU-specific crypto (a softdep, e.g. ext4's crc32c-intel)
			# fails on a CPU model without the instructions; the
			# generic version is loaded too
			case "$path" in */arch/x86/crypto/*) continue ;; esac
			rel=${path#"$gdir"}
			dest=$dir${rel%.xz}
			dest=${dest%.zst}
			grep -qxF "${dest#"$dir"}" "$dir"/etc/pvkit/kmods* && continue
			mkdir -p "$(dirname "$dest")"
			case "$path" in
			*.xz) xz -dc "$path" >"$dest" ;;
			*.zst) zstd -qdc "$path" >"$dest" ;;
			*) cp "$path" "$dest" ;;
			esac
			echo "${dest#"$dir"}" >>"$list"
		done <"$dir/.deps"
		rm -f "$dir/.deps"
	done
}

# rootfs_add_prog DIR PROG...: programs and their shared libraries, each
# at the path it has on this host.
rootfs_add_prog() {
	local dir=$1 prog path lib
	shift
	for prog in "$@"; do
		path=$(command -v "$prog") || die "$prog is not installed; run make deps"
		mkdir -p "$dir$(dirname "$path")"
		cp -L "$path" "$dir$path"
		for lib in $(ldd "$path" | awk '/=> \//{print $3} /^\t\/.*ld-linux/{print $1}'); do
			mkdir -p "$dir$(dirname "$lib")"
			cp -L "$lib" "$dir$lib"
		done
	done
}

# rootfs_add_qemu DIR: qemu-system-x86_64, its shared libraries and the
# firmware a -kernel boot needs, so that L1 can run L2.
rootfs_add_qemu() {
	local dir=$1 f
	rootfs_add_prog "$dir" qemu-system-x86_64
	mkdir -p "$dir/usr/share/pvkit-qemu"
	for f in /usr/share/seabios/bios-256k.bin /usr/share/qemu/linuxboot_dma.bin \
		/usr/share/qemu/kvmvapic.bin /usr/share/qemu/multiboot_dma.bin \
		/usr/share/qemu/bios-microvm.bin; do
		[ -e "$f" ] || die "QEMU firmware $f is missing; reinstall qemu-system-x86"
		cp -L "$f" "$dir/usr/share/pvkit-qemu/"
	done
}

# tools_image OUT [KIT...]: a read-only ext4 disk image with fio, iperf3
# and mkfs.ext4 and their libraries, which the test guest mounts (its
# initramfs stays small, and the guest reads only the pages it runs);
# with the kselftest trees KIT (scripts/ksft-kit.sh) under
# /usr/src/pvkit-ksft/SERIES, and make to run them.
tools_image() {
	local out=$1 root=$1.root mib kit
	shift
	rm -rf "$root"
	mkdir -p "$root"
	rootfs_add_prog "$root" fio iperf3 mkfs.ext4
	# kselftest trees (scripts/ksft-kit.sh), one per series, and make
	for kit in "$@"; do
		mkdir -p "$root/usr/src/pvkit-ksft"
		cp -a "$kit" "$root/usr/src/pvkit-ksft/${kit##*/}"
	done
	[ $# -eq 0 ] || rootfs_add_prog "$root" make readlink
	mib=$(du -sm "$root" | awk '{ print $1 + 16 }')
	rm -f "$out"
	mke2fs -q -F -t ext4 -O ^has_journal -L pvkit-tools -d "$root" "$out" "${mib}M" >/dev/null ||
		die "mke2fs could not build the tools disk $out"
	rm -rf "$root"
}

# rootfs_pack DIR OUT: an uncompressed newc cpio (quick for TCG to unpack).
rootfs_pack() {
	(cd "$1" && find . -print0 | LC_ALL=C sort -z |
		cpio --quiet -o -0 -H newc -R 0:0) >"$2"
}
