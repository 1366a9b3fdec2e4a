/*
 * Host pattern evaluation (see hostpattern.h). Each term becomes a mask
 * over the inventory's hosts; masks combine with OR, AND and AND NOT, so
 * the result comes out in inventory order without sorting.
 */
#include "hostpattern.h"

#include <ctype.h>
#include <fnmatch.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "mu_buf.h"

struct term_match {
	const struct mu_inventory *inv;
	unsigned char *mask;    /* nhosts */
	unsigned char *gseen;   /* ngroups, for walking children */
};

static void mark_group(struct term_match *tm, const struct mu_group *g)
{
	if (tm->gseen[g->idx])
		return;
	tm->gseen[g->idx] = 1;
	for (size_t i = 0; i < g->nhosts; i++)
		tm->mask[g->hosts[i]->idx] = 1;
	for (size_t i = 0; i < g->nchildren; i++)
		mark_group(tm, g->children[i]);
}

/* Match one name-like term (no subscript, no prefix) into tm->mask. */
static int match_term(struct term_match *tm, const char *term, struct mu_err *e)
{
	const struct mu_inventory *inv = tm->inv;
	bool regex = term[0] == '~', glob = strpbrk(term, "*?[") != NULL;
	bool any_group = false;
	regex_t re;

	if (strcmp(term, "all") == 0 || strcmp(term, "*") == 0) {
		memset(tm->mask, 1, inv->nhosts);
		return 0;
	}
	if (regex) {
		int rc = regcomp(&re, term + 1, REG_EXTENDED | REG_NOSUB);

		if (rc != 0) {
			char msg[200];

			regerror(rc, &re, msg, sizeof(msg));
			return mu_err_set(e, MU_E_PARSE, "invalid regular expression in "
					  "host pattern '%s': %s", term, msg);
		}
	}
#define MATCHES(name) (regex ? regexec(&re, (name), 0, NULL, 0) == 0 \
			     : glob ? fnmatch(term, (name), 0) == 0 \
				    : strcmp(term, (name)) == 0)
	for (size_t i = 0; i < inv->ngroups; i++) {
		if (MATCHES(inv->groups[i]->name)) {
			mark_group(tm, inv->groups[i]);
			any_group = true;
		}
	}
	/* As in Ansible, a plain name that names a group does not also look
	 * for a host of that name, but globs and regexes look at both. */
	if (!any_group || regex || glob || strchr(term, '.'))
		for (size_t i = 0; i < inv->nhosts; i++)
			if (MATCHES(inv->hosts[i]->name))
				tm->mask[i] = 1;
#undef MATCHES
	if (regex)
		regfree(&re);
	return 0;
}

struct subscript {
	bool present, slice;
	long start, end;     /* end only for slices */
	bool has_start, has_end;
};

static bool parse_long(const char *s, size_t n, long *out)
{
	char buf[24], *end;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*out = strtol(buf, &end, 10);
	return *end == '\0' && (isdigit((unsigned char)buf[0]) || buf[0] == '-');
}

/*
 * Split "name[sub]" into the name (written into term, in place) and the
 * subscript. Brackets that are not a numeric subscript (a glob class like
 * [ab] or [a-c]) are left alone, as Ansible does.
 */
static void split_subscript(char *term, struct subscript *ss)
{
	size_t len = strlen(term);
	char *open, *body, *sep;

	*ss = (struct subscript){ 0 };
	if (term[0] == '~' || len < 3 || term[len - 1] != ']')
		return;
	open = strrchr(term, '[');
	if (!open || open == term)
		return;
	body = open + 1;
	term[len - 1] = '\0';
	sep = strpbrk(body, ":");
	if (!sep && body[0] != '-')
		sep = strchr(body, '-');
	if (sep) {
		ss->has_start = parse_long(body, (size_t)(sep - body), &ss->start);
		ss->has_end = parse_long(sep + 1, strlen(sep + 1), &ss->end);
		if ((!ss->has_start && sep != body) || (!ss->has_end && sep[1])) {
			term[len - 1] = ']';
			return;
		}
		ss->slice = true;
	} else if (!parse_long(body, strlen(body), &ss->start)) {
		term[len - 1] = ']';
		return;
	}
	ss->present = true;
	*open = '\0';
}

/* Keep only the subscripted hosts of the mask, counted in inventory order. */
static void apply_subscript(unsigned char *mask, size_t nhosts, const struct subscript *ss)
{
	long count = 0, k = 0, lo, hi;

	for (size_t i = 0; i < nhosts; i++)
		count += mask[i];
	if (!ss->slice) {
		lo = hi = ss->start < 0 ? count + ss->start : ss->start;
	} else {
		lo = ss->has_start ? ss->start : 0;
		hi = ss->has_end ? ss->end : count - 1;
		if (lo < 0)
			lo += count;
		if (hi < 0)
			hi += count;
	}
	for (size_t i = 0; i < nhosts; i++) {
		if (!mask[i])
			continue;
		mask[i] = k >= lo && k <= hi;
		k++;
	}
}

static int eval_term(const struct mu_inventory *inv, const char *text,
		     unsigned char *mask, struct mu_err *e)
{
	struct term_match tm = { .inv = inv, .mask = mask };
	struct subscript ss;
	char *term = mu_xstrdup(text);
	int r;

	memset(mask, 0, inv->nhosts);
	split_subscript(term, &ss);
	tm.gseen = mu_xcalloc(inv->ngroups ? inv->ngroups : 1, 1);
	r = match_term(&tm, term, e);
	if (r == 0 && ss.present)
		apply_subscript(mask, inv->nhosts, &ss);
	free(tm.gseen);
	free(term);
	return r;
}

/* Split into terms: on ',' if there is one, else on ':' outside brackets
 * (so web[1:3] stays whole). Empty terms are dropped. */
static char **split_terms(const char *pattern, size_t *n)
{
	bool comma = strchr(pattern, ',') != NULL;
	char **v = NULL;
	const char *start = pattern;
	int depth = 0;

	*n = 0;
	for (const char *p = pattern;; p++) {
		bool sep = *p == '\0' || (comma ? *p == ',' : (*p == ':' && depth == 0));

		if (*p == '[')
			depth++;
		else if (*p == ']' && depth > 0)
			depth--;
		if (!sep)
			continue;
		{
			const char *a = start, *b = p;

			while (a < b && isspace((unsigned char)*a))
				a++;
			while (b > a && isspace((unsigned char)b[-1]))
				b--;
			if (b > a) {
				v = mu_xrealloc(v, (*n + 1) * sizeof(*v));
				v[(*n)++] = mu_xstrndup(a, (size_t)(b - a));
			}
		}
		if (*p == '\0')
			break;
		start = p + 1;
	}
	return v;
}

/* Ansible's order: plain terms, then '&', then '!'. */
static int evaluate(const struct mu_inventory *inv, const char *pattern,
		    unsigned char *result, struct mu_err *e)
{
	size_t nt = 0;
	char **terms = split_terms(pattern, &nt);
	unsigned char *m = mu_xcalloc(inv->nhosts ? inv->nhosts : 1, 1);
	bool any_plain = false;
	int r = 0;

	for (size_t i = 0; i < nt; i++) {
		if ((terms[i][0] == '!' || terms[i][0] == '&') && !terms[i][1]) {
			r = mu_err_set(e, MU_E_PARSE, "empty term after '%c' in host "
				       "pattern '%s'", terms[i][0], pattern);
			goto out;
		}
		any_plain |= terms[i][0] != '!' && terms[i][0] != '&';
	}
	memset(result, !any_plain && nt > 0, inv->nhosts);
	for (int pass = 0; pass < 3; pass++) {
		char want = (char)(pass == 0 ? 0 : pass == 1 ? '&' : '!');

		for (size_t i = 0; i < nt; i++) {
			char c = terms[i][0];

			if (c != '&' && c != '!')
				c = '\0';
			if (c != want)
				continue;
			if ((r = eval_term(inv, terms[i] + (c != 0), m, e)) != 0)
				goto out;
			for (size_t h = 0; h < inv->nhosts; h++) {
				if (want == 0)
					result[h] |= m[h];
				else if (want == '&')
					result[h] &= m[h];
				else
					result[h] &= !m[h];
			}
		}
	}
out:
	for (size_t i = 0; i < nt; i++)
		free(terms[i]);
	free(terms);
	free(m);
	return r;
}

int mu_hosts_select(const struct mu_inventory *inv, const char *pattern,
		    struct mu_host ***out, size_t *n, struct mu_err *e)
{
	unsigned char *mask = mu_xcalloc(inv->nhosts ? inv->nhosts : 1, 1);
	size_t k = 0;
	int r;

	*out = NULL;
	*n = 0;
	if ((r = evaluate(inv, pattern ? pattern : "", mask, e)) != 0)
		goto out;
	for (size_t i = 0; i < inv->nhosts; i++)
		k += mask[i];
	if (k == 0)
		goto out;
	*out = mu_xcalloc(k, sizeof(**out));
	for (size_t i = 0; i < inv->nhosts; i++)
		if (mask[i])
			(*out)[(*n)++] = inv->hosts[i];
out:
	free(mask);
	return r;
}

int mu_host_matches(const struct mu_inventory *inv, const struct mu_host *h,
		    const char *pattern, struct mu_err *e)
{
	unsigned char *mask = mu_xcalloc(inv->nhosts ? inv->nhosts : 1, 1);
	int r = evaluate(inv, pattern ? pattern : "", mask, e);

	if (r == 0)
		r = h->idx < inv->nhosts && inv->hosts[h->idx] == h && mask[h->idx];
	free(mask);
	return r;
}
