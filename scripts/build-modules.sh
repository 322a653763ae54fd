#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds every pvkit kernel module against one kernel's headers.
#
# The sources are mirrored into build/modules/<release>/src so that one
# checkout builds for several kernels side by side without mixing objects;
# the finished .ko files are gathered in build/modules/<release>/.
#
#   build-modules.sh [--strict] [-- extra Kbuild make arguments, e.g. W=1 C=2]
#
# KDIR / KVER pick the kernel (see scripts/kdir.sh). With --strict, any
# compiler or sparse warning fails the build. Prints the output directory.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

strict=0
if [ "${1:-}" = --strict ]; then
	strict=1
	shift
fi
[ "${1:-}" = -- ] && shift

kdir=$("$PVKIT_ROOT/scripts/kdir.sh")
kver=$(kdir_kver "$kdir")
out=$PVKIT_BUILD/modules/$kver
src=$out/src
mkdir -p "$src"

# Mirror the module sources; cp -p keeps times so rebuilds stay incremental.
for item in Kbuild hypercall-abi pv-core pv-mmu virtio-drivers; do
	cp -pR "$PVKIT_ROOT/$item" "$src/"
done

# pvkit.ko's hvc0 needs a header that headers packages leave out
hvc_dir=$(hvc_header_dir "$kver")
if [ -n "$hvc_dir" ]; then
	set -- "$@" PVKIT_HVC_DIR="$hvc_dir"
else
	info "note: pvkit.ko for $kver without hvc0 (its console is pvcon0): install linux-source for drivers/tty/hvc/hvc_console.h"
fi

log=$out/build.log
if ! make -C "$kdir" M="$src" "$@" modules >"$log" 2>&1; then
	grep -E 'error|Error' "$log" | head -n 20 >&2 || true
	die "module build against $kver failed; full log: $log"
fi
if [ "$strict" = 1 ] && grep -qE 'warning:|error:' "$log"; then
	grep -E 'warning:|error:' "$log" >&2
	die "module build against $kver has warnings; full log: $log"
fi

find "$src" -name '*.ko' -exec cp -p {} "$out/" \;
echo "$out"
