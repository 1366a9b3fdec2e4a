/*
 * SHA-256 of files and buffers, as lowercase hex (OpenSSL EVP). The agent
 * binary is named and verified by it on every host.
 */
#ifndef MU_SHA256_H
#define MU_SHA256_H

#include <stddef.h>

#include "mu_err.h"

#define MU_SHA256_HEX_LEN 64

/* Hash len bytes of data into hex (65 bytes with the NUL). */
int mu_sha256_hex(const void *data, size_t len, char hex[MU_SHA256_HEX_LEN + 1]);
/* Hash the file at path. 0, or MU_E_SYS / MU_E_INTERNAL with e filled. */
int mu_sha256_file(const char *path, char hex[MU_SHA256_HEX_LEN + 1],
		   struct mu_err *e);

#endif
