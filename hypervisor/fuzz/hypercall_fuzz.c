// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for pvkit-hv's hypercall dispatcher: the input fills
 * a small guest RAM and then drives a sequence of calls with fuzzed
 * numbers, privilege levels and arguments (biased towards the real call
 * numbers and towards addresses near the end of RAM, where bounds bugs
 * live). ASan and UBSan turn any out-of-bounds access or undefined
 * behaviour into a crash.
 */
#include <stdint.h>
#include <string.h>

#include "../tests/doubles.h"
#include "../hypercall.h"

#define FUZZ_RAM	(64 * 1024)
#define CALL_BYTES	(1 + 4 + 8 * PVKIT_HC_NARGS)

static const uint32_t known_calls[] = {
	PVKIT_HC_VERSION, PVKIT_HC_FEATURES, PVKIT_HC_PING,
	PVKIT_HC_CONSOLE_WRITE, PVKIT_HC_POWER_OFF, PVKIT_HC_REBOOT,
	PVKIT_HC_CRASH, PVKIT_HC_MULTICALL, PVKIT_HC_RNG_FILL,
	PVKIT_HC_EVENT_ENABLE, PVKIT_HC_EVENT_FETCH,
	PVKIT_HC_BALLOON_INFLATE, PVKIT_HC_BALLOON_DEFLATE,
	PVKIT_HC_PAGE_REPORT, PVKIT_HC_MEM_STATS, PVKIT_HC_BALLOON_TARGET,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm *vm;
	size_t ram_fill = size / 2;
	uint64_t arg[PVKIT_HC_NARGS];
	uint32_t nr;

	if (!vm)
		vm = double_vm_create(FUZZ_RAM);
	double_reset(vm);
	memset(vm->ram, 0, FUZZ_RAM);
	if (ram_fill > FUZZ_RAM)
		ram_fill = FUZZ_RAM;
	memcpy(vm->ram + FUZZ_RAM - ram_fill, data, ram_fill);
	data += ram_fill;
	size -= ram_fill;

	while (size >= CALL_BYTES) {
		unsigned int cpl = data[0] & 3;

		memcpy(&nr, data + 1, 4);
		memcpy(arg, data + 5, sizeof(arg));
		if (data[0] & 0x80)
			nr = known_calls[nr % ARRAY_SIZE(known_calls)];
		if (data[0] & 0x40)
			arg[0] = FUZZ_RAM - (arg[0] % 8192);
		if (data[0] & 0x20)
			arg[1] %= 8192;
		hypercall__dispatch(&vm->vcpus[0], cpl, nr, arg);
		data += CALL_BYTES;
		size -= CALL_BYTES;
	}
	return 0;
}
