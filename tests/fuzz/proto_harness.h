/* The protocol fuzz harness, shared by the libFuzzer target and the corpus test. */
#ifndef MU_PROTO_HARNESS_H
#define MU_PROTO_HARNESS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Push arbitrary bytes through everything the agent does with a line
 * before a module runs: the bounded line reader, JSON framing, message
 * type dispatch and argument binding against the named module's spec.
 * Modules are never run (a fuzzer must not exec commands). Returns the
 * number of lines that parsed as messages.
 */
int mu_fuzz_proto_one(const uint8_t *data, size_t size);

#endif
