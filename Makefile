# SPDX-License-Identifier: GPL-2.0
# pvkit top-level Makefile. The README's two commands are `make run` and
# `make check`; both install what they need (make deps) by themselves.
#
#   make                 build the modules against one kernel (KDIR=, KVER=)
#                        and pvkit-hv
#   make hv              build pvkit-hv, pvkit's hypervisor
#   make deps            install packages, fetch guest kernels (root)
#   make run             boot a Debian 6.1 guest on pvkit-hv (HOST=kvm: on
#                        stock KVM), load pvkit.ko, show what it detected,
#                        the hypercall round trip and pvkit-hv's statistics
#   make check           the whole test suite; ends "N passed, N failed"
#   make test HOST= KERNEL= FILTER=   some harness scenarios
#   make bench [ONLY=io|platform] benchmarks, side by side in one run
#                        (ONLY=io: the disk and network figures alone;
#                        platform: all but those); writes
#                        build/bench/results.json and report.md
#   make bench-boot KERNEL=6.1|6.12   VM exits and time to init on
#                        pvkit-hv: Debian's kernel, the patched kernel
#                        with and without the arch patches; writes
#                        build/bench-boot/results.json and report.md
#   make style           checkpatch on every kernel source file
#   make patches         regenerate patches/<series>/, the kernel patch
#                        series made from pvkit's sources
#   make kernel KVER=6.1|6.12 [DEBUG=1] [NOARCH=1]
#                        Debian's kernel source with the series applied
#                        and pvkit built in (patches/configs/), cached
#   make clean           remove build products (keeps the download cache)
#   make distclean       remove build/ entirely

BUILD ?= $(or $(PVKIT_BUILD),$(CURDIR)/build)
GUEST_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -static

.PHONY: all modules hv deps run check test bench bench-boot style patches kernel fuzz guest-tools clean distclean help

all: modules hv

modules:
	@scripts/build-modules.sh --strict -- $(if $(W),W=$(W)) $(if $(C),C=$(C))

hv:
	@$(MAKE) -s -C hypervisor OUT=$(BUILD)/hv

deps:
	@scripts/deps.sh

run:
	@scripts/deps.sh --if-needed
	@tests/run --job run --host $(or $(HOST),hv) --kernel 6.1

check:
	@scripts/check.sh

test:
	@tests/run $(if $(HOST),--host $(HOST)) $(if $(KERNEL),--kernel $(KERNEL)) \
		$(if $(FILTER),--filter '$(FILTER)')

bench:
	@scripts/deps.sh --if-needed
	@PVKIT_BENCH_ONLY=$(or $(ONLY),$(PVKIT_BENCH_ONLY)) tests/run --job bench --host hv --kernel $(or $(KERNEL),6.1)

bench-boot:
	@scripts/deps.sh --if-needed
	@tests/run --job bench-boot --host hv --kernel $(or $(KERNEL),6.12)

style:
	@scripts/checkpatch.sh

patches:
	@scripts/deps.sh --if-needed
	@scripts/gen-patches.sh

kernel:
	@scripts/deps.sh --if-needed
	@scripts/build-kernel.sh $(if $(DEBUG),--debug) $(if $(NOARCH),--no-arch) $(or $(KVER),6.12)

fuzz:
	@scripts/deps.sh --if-needed
	@$(MAKE) -s -C hypervisor OUT=$(BUILD)/hv fuzz
	@for f in $(BUILD)/hv/fuzz/*_fuzz; do \
		mkdir -p $(BUILD)/fuzz/$$(basename $$f); \
		$$f -max_total_time=$(or $(FUZZ_SECONDS),600) \
			-artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/$$(basename $$f) || exit 1; \
	done

# Static userspace programs that go into test guests.
guest-tools: hv $(BUILD)/tools/pvkit-info $(BUILD)/tools/hypercall_bench
	@$(MAKE) -s -C tests/selftests OUT=$(BUILD)/selftests KSFT_DIR=$(KSFT_DIR)

$(BUILD)/tools/pvkit-info: pv-core/tools/pvkit-info.c pv-core/pvkit_ioctl.h hypercall-abi/pvkit_abi.h
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -Ihypercall-abi -Ipv-core -o $@ $<

$(BUILD)/tools/hypercall_bench: tests/bench/hypercall_bench.c pv-core/pvkit_ioctl.h
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -Ipv-core -o $@ $<

clean:
	rm -rf $(BUILD)/modules $(BUILD)/selftests $(BUILD)/tools $(BUILD)/hv \
		$(BUILD)/scenarios $(BUILD)/logs $(BUILD)/check

distclean:
	rm -rf $(BUILD)

help:
	@sed -n 's/^#   //p' Makefile
