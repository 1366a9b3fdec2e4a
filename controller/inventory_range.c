/*
 * Host ranges in inventory names (web[01:10].example.org, db-[a:c],
 * n[1:9:4]) and the "name:port" suffix. The rules follow Ansible's
 * expand_hostname_range, but a backwards range is an error rather than an
 * empty expansion, so a typo cannot silently drop hosts.
 */
#include "inventory_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mu_buf.h"

/* One name must not turn into a fleet by accident. */
#define MU_RANGE_MAX_HOSTS 100000

struct names {
	char **v;
	size_t n, a;
};

static void names_push(struct names *ns, char *s)
{
	if (ns->n == ns->a) {
		ns->a = ns->a ? ns->a * 2 : 16;
		ns->v = mu_xrealloc(ns->v, ns->a * sizeof(*ns->v));
	}
	ns->v[ns->n++] = s;
}

static bool all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool one_letter(const char *s, size_t n)
{
	return n == 1 && isalpha((unsigned char)s[0]);
}

struct range {
	bool alpha;
	long beg, end, step;
	int width; /* zero-padding width, 0 for none */
};

/*
 * Parse the inside of [..]. Returns 1 for a range, 0 when the brackets are
 * not a range (left in the name as they are, e.g. an IPv6 literal), or an
 * error code.
 */
static int parse_range(const char *body, size_t blen, const char *pattern,
		       const char *where, struct range *rg, struct mu_err *e)
{
	const char *part[3];
	size_t plen[3], np = 0;
	const char *p = body, *end = body + blen;

	while (np < 3) {
		const char *c = memchr(p, ':', (size_t)(end - p));

		part[np] = p;
		plen[np] = (size_t)((c ? c : end) - p);
		np++;
		if (!c)
			break;
		p = c + 1;
		if (np == 3)
			return 0; /* a fourth part: not a range */
	}
	if (np < 2)
		return 0;
	for (size_t i = 0; i < np; i++)
		for (size_t j = 0; j < plen[i]; j++)
			if (!isalnum((unsigned char)part[i][j]))
				return 0;
	if (plen[1] == 0)
		return mu_err_set(e, MU_E_PARSE, "%s: host range in '%s' has no end",
				  where, pattern);
	*rg = (struct range){ .step = 1 };
	if (np == 3) {
		if (!all_digits(part[2], plen[2]) || strtol(part[2], NULL, 10) <= 0)
			return mu_err_set(e, MU_E_PARSE, "%s: host range step in '%s' must "
					  "be a positive number", where, pattern);
		rg->step = strtol(part[2], NULL, 10);
	}
	if (plen[0] == 0) {
		part[0] = "0"; /* Ansible reads [:5] as [0:5] */
		plen[0] = 1;
	}
	if (all_digits(part[0], plen[0]) && all_digits(part[1], plen[1])) {
		if (plen[0] > 9 || plen[1] > 9)
			return mu_err_set(e, MU_E_PARSE, "%s: host range in '%s' is too "
					  "large", where, pattern);
		if (part[0][0] == '0' && plen[0] > 1) {
			if (plen[0] != plen[1])
				return mu_err_set(e, MU_E_PARSE, "%s: zero-padded host range "
						  "in '%s' needs a begin and end of the same "
						  "width", where, pattern);
			rg->width = (int)plen[0];
		}
		rg->beg = strtol(part[0], NULL, 10);
		rg->end = strtol(part[1], NULL, 10);
	} else if (one_letter(part[0], plen[0]) && one_letter(part[1], plen[1]) &&
		   !!islower((unsigned char)part[0][0]) == !!islower((unsigned char)part[1][0])) {
		rg->alpha = true;
		rg->beg = (unsigned char)part[0][0];
		rg->end = (unsigned char)part[1][0];
	} else {
		return mu_err_set(e, MU_E_PARSE, "%s: invalid host range in '%s' (use "
				  "[1:9], [01:10] or [a:f])", where, pattern);
	}
	if (rg->beg > rg->end)
		return mu_err_set(e, MU_E_PARSE, "%s: backwards host range in '%s'",
				  where, pattern);
	return 1;
}

/* Expand from `rest` on, each result prefixed by `prefix`. */
static int expand(const char *pattern, const char *rest, const char *prefix,
		  const char *where, struct names *out, struct mu_err *e)
{
	const char *open = rest, *close;
	struct range rg = { 0 };
	int r;

	for (;;) {
		open = strchr(open, '[');
		close = open ? strchr(open, ']') : NULL;
		if (!open || !close) {
			if (out->n >= MU_RANGE_MAX_HOSTS)
				return mu_err_set(e, MU_E_PARSE, "%s: host range '%s' makes "
						  "more than %d hosts", where, pattern,
						  MU_RANGE_MAX_HOSTS);
			names_push(out, mu_xasprintf("%s%s", prefix, rest));
			return 0;
		}
		r = parse_range(open + 1, (size_t)(close - open - 1), pattern, where, &rg, e);
		if (r < 0)
			return r;
		if (r == 1)
			break;
		open = close + 1;
	}
	for (long v = rg.beg; v <= rg.end; v += rg.step) {
		char *pre;

		if (rg.alpha)
			pre = mu_xasprintf("%s%.*s%c", prefix, (int)(open - rest), rest, (char)v);
		else
			pre = mu_xasprintf("%s%.*s%0*ld", prefix, (int)(open - rest), rest,
					   rg.width, v);
		r = expand(pattern, close + 1, pre, where, out, e);
		free(pre);
		if (r != 0)
			return r;
	}
	return 0;
}

int mu_host_range_expand(const char *pattern, const char *where, char ***names,
			 size_t *n, struct mu_err *e)
{
	struct names out = { 0 };
	int r = expand(pattern, pattern, "", where, &out, e);

	if (r != 0) {
		for (size_t i = 0; i < out.n; i++)
			free(out.v[i]);
		free(out.v);
		*names = NULL;
		*n = 0;
		return r;
	}
	*names = out.v;
	*n = out.n;
	return 0;
}

/* Index of a ":port" suffix (the colon) outside brackets, or -1. A name
 * with more than one colon outside brackets is left alone (IPv6). */
static long port_colon(const char *s)
{
	long colon = -1;
	int depth = 0, ncolons = 0;

	for (long i = 0; s[i]; i++) {
		if (s[i] == '[')
			depth++;
		else if (s[i] == ']' && depth > 0)
			depth--;
		else if (s[i] == ':' && depth == 0) {
			colon = i;
			ncolons++;
		}
	}
	if (ncolons != 1 || colon == 0 || !all_digits(s + colon + 1, strlen(s + colon + 1)))
		return -1;
	return colon;
}

int inv_hosts_from_pattern(struct mu_inventory *inv, const char *pattern,
			   const char *file, int line, const char *where,
			   struct mu_host ***hosts, size_t *n, struct mu_err *e)
{
	char *name = NULL, **names = NULL;
	size_t nn = 0;
	long colon = port_colon(pattern);
	long port = 0;
	int r;

	*hosts = NULL;
	*n = 0;
	if (colon > 0) {
		port = strtol(pattern + colon + 1, NULL, 10);
		if (port < 1 || port > 65535)
			return mu_err_set(e, MU_E_PARSE, "%s: port %ld in '%s' is out of "
					  "range", where, port, pattern);
		name = mu_xstrndup(pattern, (size_t)colon);
	} else {
		name = mu_xstrdup(pattern);
	}
	if (!*name) {
		r = mu_err_set(e, MU_E_PARSE, "%s: empty host name", where);
		goto out;
	}
	if ((r = mu_host_range_expand(name, where, &names, &nn, e)) != 0)
		goto out;
	*hosts = mu_xcalloc(nn, sizeof(**hosts));
	for (size_t i = 0; i < nn; i++) {
		struct mu_host *h = inv_host(inv, names[i], file, line);

		if (port)
			json_object_set_new(h->ivars, "ansible_port", json_integer(port));
		(*hosts)[i] = h;
	}
	*n = nn;
out:
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	free(name);
	return r;
}
