/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The main() of each of pvkit's kselftests, included last in place of
 * TEST_HARNESS_MAIN: the harness's own main() under another name, run
 * once every test's time limit has been multiplied by
 * pvkit_test_timeout_scale(). The limits are set for the production
 * kernels; the debug kernel (KASAN, DEBUG_PAGEALLOC, lockdep, kmemleak)
 * runs the same work several times slower. Walking the harness's list
 * in main() is safe: its constructors have registered every test by then.
 */
#ifndef PVKIT_TEST_MAIN_H
#define PVKIT_TEST_MAIN_H

#define main pvkit_harness_main
TEST_HARNESS_MAIN
#undef main

int main(int argc, char **argv)
{
	int scale = pvkit_test_timeout_scale();
	struct __fixture_metadata *f;
	struct __test_metadata *t;

	for (f = __fixture_list; f; f = f->next)
		for (t = f->tests; t; t = t->next)
			t->timeout *= scale;
	return pvkit_harness_main(argc, argv);
}

#endif /* PVKIT_TEST_MAIN_H */
