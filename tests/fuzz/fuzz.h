/*
 * The libFuzzer entry point every fuzz_*.c defines.  The same files build
 * two ways: with clang -fsanitize=fuzzer (POSTERN_FUZZ, tests/fuzz/run)
 * and, in every build, with replay.c's main() that feeds the seed corpus
 * and the kept regression inputs through it once, as ctest cases.
 */
#ifndef POSTERN_TESTS_FUZZ_H
#define POSTERN_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant: crash loudly so that the fuzzer keeps the input. */
#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			__builtin_trap();                                      \
	} while (0)

#endif
