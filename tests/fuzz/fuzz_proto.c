/*
 * libFuzzer entry point for the protocol parser:
 *   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DMU_FUZZ=ON -DMU_TESTS=OFF
 *   cmake --build build-fuzz --target fuzz_proto
 *   ./build-fuzz/tests/fuzz/fuzz_proto -max_total_time=60 tests/fuzz/corpus
 * New inputs found land in the corpus directory; commit the small ones.
 */
#include "proto_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mu_fuzz_proto_one(data, size);
	return 0;
}
