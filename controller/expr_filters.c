/*
 * The filters of the expression language: lookup, argument binding and
 * calls, and the helpers the filter files share. The filters themselves
 * live in expr_filters_scalar.c and expr_filters_seq.c, one small function
 * each, listed in a table with their parameters. Arguments are bound here
 * (positional in the order of `params`, or by keyword), so a filter reads
 * a->p[i] and never sees an unknown or missing required argument. Names,
 * arguments and semantics follow Jinja and Ansible; docs/templating.md
 * lists them for users.
 */
#include "expr_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mu_exf_err(struct mu_ex_ev *ev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mu_err_setv(ev->e, MU_E_ARG, fmt, ap);
	va_end(ap);
	return MU_E_ARG;
}

/* Items of an iterable as a new list: a list, a dict's keys, a string's
 * characters. NULL when v is not iterable. */
json_t *mu_exf_iter_list(const json_t *v)
{
	json_t *l;

	if (json_is_array(v))
		return json_incref((json_t *)v);
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		l = json_array();
		json_object_foreach((json_t *)v, k, x)
			json_array_append_new(l, mu_ex_string(k, strlen(k)));
		return l;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t len = json_string_length(v), i = 0;
		l = json_array();
		while (i < len) {
			size_t j = i + 1;
			while (j < len && ((unsigned char)s[j] & 0xc0) == 0x80)
				j++;
			json_array_append_new(l, mu_ex_string(s + i, j - i));
			i = j;
		}
		return l;
	}
	return NULL;
}

int mu_exf_need_iter(struct mu_ex_ev *ev, const char *fname, const json_t *v, json_t **out)
{
	if (!(*out = mu_exf_iter_list(v)))
		return mu_exf_err(ev, "filter '%s' expects a list, got '%s'", fname, mu_ex_typename(v));
	return 0;
}

/* Jinja's attribute getter: "a.b.0" walks dicts by key and lists by index. */
json_t *mu_exf_attr_path(const json_t *v, const char *path)
{
	const char *p = path;

	while (v) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char *part = mu_xstrndup(p, n);
		json_t *key;
		char *end;
		long long idx = strtoll(part, &end, 10);

		if (*part && *end == '\0' && json_is_array(v))
			key = json_integer(idx);
		else
			key = mu_ex_string(part, n);
		v = mu_ex_getitem(v, key);
		json_decref(key);
		free(part);
		if (!dot)
			break;
		p = dot + 1;
	}
	return (json_t *)v;
}

bool mu_exf_opt_bool(const json_t *v, bool def)
{
	return v ? mu_ex_truthy(v) : def;
}

int mu_exf_need_str(struct mu_ex_ev *ev, const char *fname, const char *pname,
			const json_t *v, const char **out)
{
	if (!json_is_string(v))
		return mu_exf_err(ev, "filter '%s': argument '%s' must be a string, got '%s'",
			    fname, pname, mu_ex_typename(v));
	*out = json_string_value(v);
	return 0;
}

bool mu_exf_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* --- lookup, binding and calls ------------------------------------------- */

/* The filter tables, each ending with a NULL name. */
static const struct mu_ex_filter *const tables[] = { mu_ex_filters_scalar, mu_ex_filters_seq };
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

const struct mu_ex_filter *mu_ex_filter_find(const char *name)
{
	for (size_t t = 0; t < NTABLES; t++)
		for (const struct mu_ex_filter *f = tables[t]; f->name; f++)
			if (strcmp(f->name, name) == 0)
				return f;
	return NULL;
}

const char *const *mu_ex_filter_names(void)
{
	static const char *names[128];
	size_t n = 0;

	for (size_t t = 0; t < NTABLES; t++)
		for (const struct mu_ex_filter *f = tables[t]; f->name && n + 1 < 128; f++)
			names[n++] = f->name;
	names[n] = NULL;
	return names;
}

static size_t nparams(const struct mu_ex_filter *f)
{
	size_t n = 0;

	while (f->params[n])
		n++;
	return n;
}

static int bind(const struct mu_ex_filter *f, char *const *kw, size_t n, int *slot,
		struct mu_err *e)
{
	size_t np = nparams(f), npos = 0;
	bool given[MU_EX_MAX_PARAMS] = { false };

	for (size_t i = 0; i < n; i++) {
		if (kw && kw[i]) {
			size_t k;
			for (k = 0; k < np; k++)
				if (strcmp(f->params[k], kw[i]) == 0)
					break;
			if (f->flags & MU_EXF_VARIADIC) {
				if (np && k == np)
					return mu_err_set(e, MU_E_PARSE, "filter '%s' has no argument '%s'",
							  f->name, kw[i]);
				continue;
			}
			if (k == np)
				return mu_err_set(e, MU_E_PARSE, "filter '%s' has no argument '%s'",
						  f->name, kw[i]);
			if (given[k])
				return mu_err_set(e, MU_E_PARSE, "filter '%s' got argument '%s' twice",
						  f->name, kw[i]);
			given[k] = true;
			if (slot)
				slot[i] = (int)k;
		} else {
			if (f->flags & MU_EXF_VARIADIC)
				continue;
			if (npos >= np)
				return mu_err_set(e, MU_E_PARSE, "filter '%s' takes %s%zu argument%s, %zu given",
						  f->name, np > f->min_args ? "at most " : "", np,
						  np == 1 ? "" : "s", n);
			given[npos] = true;
			if (slot)
				slot[i] = (int)npos;
			npos++;
		}
	}
	for (size_t k = 0; k < f->min_args; k++)
		if (!given[k])
			return mu_err_set(e, MU_E_PARSE, "filter '%s' needs argument '%s'",
					  f->name, f->params[k]);
	return 0;
}

int mu_ex_filter_check_args(const struct mu_ex_filter *f, char *const *kw, size_t n,
			    struct mu_err *e)
{
	return bind(f, kw, n, NULL, e);
}

int mu_ex_filter_call(struct mu_ex_ev *ev, const struct mu_ex_filter *f, json_t *subj,
		      json_t **argv, char *const *kw, size_t n, json_t **out)
{
	struct mu_ex_args a;
	int slot[64];
	size_t npos = 0, nkw = 0;
	int r;

	memset(&a, 0, sizeof(a));
	if (n > 64)
		return mu_exf_err(ev, "filter '%s': too many arguments", f->name);
	if (bind(f, kw, n, slot, ev->e) != 0)
		return ev->e->code = MU_E_ARG;
	a.pos = mu_xcalloc(n + 1, sizeof(*a.pos));
	a.kw = mu_xcalloc(n + 1, sizeof(*a.kw));
	a.kwname = mu_xcalloc(n + 1, sizeof(*a.kwname));
	for (size_t i = 0; i < n; i++) {
		if (kw && kw[i]) {
			a.kwname[nkw] = kw[i];
			a.kw[nkw++] = argv[i];
		} else {
			a.pos[npos++] = argv[i];
		}
		if (!(f->flags & MU_EXF_VARIADIC))
			a.p[slot[i]] = argv[i];
	}
	a.npos = npos;
	a.nkw = nkw;
	if (!subj && !(f->flags & MU_EXF_UNDEF))
		r = ev->e->code = MU_E_NOTFOUND;
	else
		r = f->fn(ev, subj, &a, out);
	free(a.pos);
	free(a.kw);
	free(a.kwname);
	return r;
}

