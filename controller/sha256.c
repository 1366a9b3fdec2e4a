/* SHA-256 through OpenSSL's EVP interface, rendered as lowercase hex. */
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

static void to_hex(const unsigned char *md, size_t n, char *hex)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[2 * n] = '\0';
}

int mu_sha256_hex(const void *data, size_t len, char hex[MU_SHA256_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) || n != 32)
		return MU_E_INTERNAL;
	to_hex(md, n, hex);
	return 0;
}

int mu_sha256_file(const char *path, char hex[MU_SHA256_HEX_LEN + 1],
		   struct mu_err *e)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned char chunk[65536];
	unsigned n = 0;
	EVP_MD_CTX *ctx = NULL;
	int fd = -1;
	int r = MU_E_INTERNAL;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = mu_err_sys(e, "cannot open '%s'", path);
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		r = mu_err_set(e, MU_E_INTERNAL, "cannot start sha256 of '%s'", path);
		goto out;
	}
	for (;;) {
		ssize_t got = read(fd, chunk, sizeof(chunk));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = mu_err_sys(e, "cannot read '%s'", path);
			goto out;
		}
		if (got == 0)
			break;
		if (!EVP_DigestUpdate(ctx, chunk, (size_t)got)) {
			r = mu_err_set(e, MU_E_INTERNAL, "sha256 of '%s' failed", path);
			goto out;
		}
	}
	if (!EVP_DigestFinal_ex(ctx, md, &n) || n != 32) {
		r = mu_err_set(e, MU_E_INTERNAL, "sha256 of '%s' failed", path);
		goto out;
	}
	to_hex(md, n, hex);
	r = 0;
out:
	EVP_MD_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	return r;
}
