/*
 * Scan a known_hosts file for a host's entries (see ssh_knownhosts.h).
 * A hashed entry is "|1|" base64(salt) "|" base64(HMAC-SHA1(salt, name)),
 * where name is the lookup string ("host" or "[host]:port").
 */
#include "ssh_knownhosts.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mu_buf.h"
#include "ssh_config.h"

/* Decode base64 of length n into out (room for 3n/4); -1 if malformed. */
static int b64_decode(const char *in, size_t n, unsigned char *out)
{
	int len;
	size_t pad = 0;

	if (n == 0 || n % 4 != 0)
		return -1;
	len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
	if (len < 0)
		return -1;
	while (pad < 2 && in[n - 1 - pad] == '=')
		pad++;
	return len - (int)pad;
}

static bool hashed_matches(const char *field, const char *lookup)
{
	const char *salt_b64 = field + 3;
	const char *bar = strchr(salt_b64, '|');
	unsigned char salt[64], want[64], got[EVP_MAX_MD_SIZE];
	unsigned got_len = 0;
	int salt_len, want_len;
	size_t hash_n;

	if (!bar || (size_t)(bar - salt_b64) > 80)
		return false;
	hash_n = strlen(bar + 1);
	if (hash_n > 80)
		return false;
	salt_len = b64_decode(salt_b64, (size_t)(bar - salt_b64), salt);
	want_len = b64_decode(bar + 1, hash_n, want);
	if (salt_len <= 0 || want_len != 20)
		return false;
	if (!HMAC(EVP_sha1(), salt, salt_len, (const unsigned char *)lookup,
		  strlen(lookup), got, &got_len) || got_len != 20)
		return false;
	return CRYPTO_memcmp(got, want, 20) == 0;
}

bool mu_known_hosts_field_matches(const char *field, const char *lookup)
{
	if (strncmp(field, "|1|", 3) == 0)
		return hashed_matches(field, lookup);
	return mu_ssh_match_list(field, ",", lookup) == 1;
}

/* Split "a b c ..." in place into up to n fields; returns how many. */
static int split_fields(char *line, char **f, int n)
{
	int k = 0;
	char *p = line;

	while (k < n) {
		p += strspn(p, " \t\r\n");
		if (!*p || (k == 0 && *p == '#'))
			break;
		f[k++] = p;
		p += strcspn(p, " \t\r\n");
		if (*p)
			*p++ = '\0';
	}
	return k;
}

static char *lookup_name(const char *host, int port)
{
	char *lookup = port == 22 ? mu_xstrdup(host) : mu_xasprintf("[%s]:%d", host, port);

	for (char *p = lookup; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return lookup;
}

/*
 * Call visit for each line of file (writable, with its number and the
 * lookup name for host:port) until it returns true. A missing file has no
 * lines; returns 0, or MU_E_SYS with e set when file cannot be read.
 */
static int kh_scan(const char *file, const char *host, int port,
		   bool (*visit)(char *line, int lineno, const char *lookup, void *ctx),
		   void *ctx, struct mu_err *e)
{
	FILE *f = fopen(file, "re");
	char *line = NULL;
	size_t cap = 0;
	char *lookup;
	int lineno = 0;

	if (!f) {
		if (errno == ENOENT)
			return 0;
		return mu_err_sys(e, "cannot read known hosts '%s'", file);
	}
	lookup = lookup_name(host, port);
	while (getline(&line, &cap, f) >= 0)
		if (visit(line, ++lineno, lookup, ctx))
			break;
	free(line);
	free(lookup);
	fclose(f);
	return 0;
}

struct revoked_scan {
	const char *key_b64;
	int found; /* line number, 0 while none */
};

static bool revoked_visit(char *line, int lineno, const char *lookup, void *ctx)
{
	struct revoked_scan *s = ctx;
	char *fld[4];

	if (split_fields(line, fld, 4) == 4 && strcmp(fld[0], "@revoked") == 0 &&
	    strcmp(fld[3], s->key_b64) == 0 && mu_known_hosts_field_matches(fld[1], lookup))
		s->found = lineno;
	return s->found != 0;
}

int mu_known_hosts_revoked(const char *file, const char *host, int port,
			   const char *key_b64, struct mu_err *e)
{
	struct revoked_scan s = { key_b64, 0 };
	int r = kh_scan(file, host, port, revoked_visit, &s, e);

	return r ? r : s.found;
}

struct find_scan {
	struct mu_kh_entry *found;
	int max;
	int n; /* entries seen, even past max */
};

static bool find_visit(char *line, int lineno, const char *lookup, void *ctx)
{
	struct find_scan *s = ctx;
	char *field = line + strspn(line, " \t");
	char *type;
	size_t flen = strcspn(field, " \t\r\n");

	if (flen == 0 || field[0] == '#' || field[flen] == '\0')
		return false;
	/* @revoked and @cert-authority lines are not plain host keys. */
	if (field[0] == '@')
		return false;
	field[flen] = '\0';
	type = field + flen + 1;
	type += strspn(type, " \t");
	type[strcspn(type, " \t\r\n")] = '\0';
	if (!*type || !mu_known_hosts_field_matches(field, lookup))
		return false;
	if (s->n < s->max) {
		s->found[s->n].line = lineno;
		snprintf(s->found[s->n].keytype, sizeof(s->found[s->n].keytype), "%s", type);
	}
	s->n++;
	return false;
}

int mu_known_hosts_find(const char *file, const char *host, int port,
			struct mu_kh_entry *found, int max, struct mu_err *e)
{
	struct find_scan s = { found, max, 0 };
	int r = kh_scan(file, host, port, find_visit, &s, e);

	return r ? r : s.n;
}
