/*
 * Filters over single values: default and friends, bool, numbers, strings,
 * paths and JSON. Arguments arrive bound by parameter (a->p[i], see
 * expr_filters.c); the table at the end lists them with their parameters.
 */
#include "expr_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- default, mandatory, ternary, bool ---------------------------------- */

static int f_default(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	json_t *dflt = a->p[0];

	if (!subj || (mu_exf_opt_bool(a->p[1], false) && !mu_ex_truthy(subj))) {
		mu_err_clear(ev->e);
		*out = dflt ? json_incref(dflt) : mu_ex_string("", 0);
		return 0;
	}
	*out = json_incref(subj);
	return 0;
}

static int f_mandatory(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	if (!subj) {
		if (a->p[0])
			return mu_err_set(ev->e, MU_E_NOTFOUND, "%s",
					  json_is_string(a->p[0]) ? json_string_value(a->p[0]) : "mandatory variable not defined");
		return ev->e->code = MU_E_NOTFOUND; /* keep "'x' is undefined" */
	}
	*out = json_incref(subj);
	return 0;
}

static int f_ternary(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	(void)ev;
	if (json_is_null(subj) && a->p[2])
		*out = json_incref(a->p[2]);
	else
		*out = json_incref(mu_ex_truthy(subj) ? a->p[0] : a->p[1]);
	return 0;
}

/* Ansible's boolean(): the YAML 1.1 words, 1/0, and nothing else. */
bool mu_ex_str_bool(const char *s, size_t n, bool *out)
{
	static const char *const yes[] = { "yes", "on", "true", "y", "t", "1", NULL };
	static const char *const no[] = { "no", "off", "false", "n", "f", "0", "", NULL };
	char buf[8];
	size_t i;

	while (n && mu_exf_is_space(*s))
		s++, n--;
	while (n && mu_exf_is_space(s[n - 1]))
		n--;
	if (n >= sizeof(buf))
		return false;
	for (i = 0; i < n; i++)
		buf[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
	buf[n] = '\0';
	if (memchr(buf, '\0', n))
		return false;
	for (i = 0; yes[i]; i++)
		if (strcmp(buf, yes[i]) == 0) {
			*out = true;
			return true;
		}
	for (i = 0; no[i]; i++)
		if (strcmp(buf, no[i]) == 0) {
			*out = false;
			return true;
		}
	return false;
}

int mu_ex_bool_value(struct mu_ex_ev *ev, const json_t *v, bool *out)
{
	if (json_is_boolean(v) || json_is_null(v) || json_is_number(v)) {
		*out = mu_ex_truthy(v);
		return 0;
	}
	if (json_is_string(v)) {
		struct mu_buf r = MU_BUF_INIT;

		if (mu_ex_str_bool(json_string_value(v), json_string_length(v), out))
			return 0;
		mu_ex_repr(v, &r);
		if (r.len > 60)
			r.len = 60, r.buf[60] = '\0';
		mu_exf_err(ev, "cannot convert %s to a boolean (use yes/no, true/false, on/off or 1/0)", r.buf);
		mu_buf_release(&r);
		return MU_E_ARG;
	}
	mu_exf_err(ev, "cannot convert '%s' to a boolean", mu_ex_typename(v));
	return MU_E_ARG;
}

static int f_bool(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	bool b;
	int r;

	(void)a;
	if ((r = mu_ex_bool_value(ev, subj, &b)) != 0)
		return r;
	*out = json_boolean(b);
	return 0;
}

/* --- numbers ------------------------------------------------------------- */

/* Python's int()/float() of a string: whitespace, sign, underscores. */
static bool parse_int_str(const char *s, int base, json_int_t *out)
{
	char buf[80];
	size_t n = 0;
	const char *p = s;
	char *end;
	long long v;

	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	for (; *p && n + 1 < sizeof(buf); p++) {
		if (*p == '_')
			continue;
		buf[n++] = *p;
	}
	if (*p)
		return false;
	while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\n'))
		n--;
	buf[n] = '\0';
	if (n == 0)
		return false;
	errno = 0;
	v = strtoll(buf, &end, base);
	if (errno || *end || end == buf)
		return false;
	*out = v;
	return true;
}

static bool parse_float_str(const char *s, double *out)
{
	char *end;
	double d;

	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	if (!*s)
		return false;
	errno = 0;
	d = strtod(s, &end);
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	if (*end || errno || !isfinite(d))
		return false;
	*out = d;
	return true;
}

static int f_int(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	json_int_t base = 10, i;
	double d;
	bool is_int;

	if (a->p[1]) {
		if (!json_is_integer(a->p[1]) || (json_integer_value(a->p[1]) != 0 &&
		    (json_integer_value(a->p[1]) < 2 || json_integer_value(a->p[1]) > 36)))
			return mu_exf_err(ev, "filter 'int': base must be 0 or an integer from 2 to 36");
		base = json_integer_value(a->p[1]);
	}
	if (mu_ex_num(subj, &is_int, &i, &d)) {
		if (is_int) {
			*out = json_integer(i);
			return 0;
		}
		if (d >= -9.2e18 && d <= 9.2e18) {
			*out = json_integer((json_int_t)d);
			return 0;
		}
	} else if (json_is_string(subj)) {
		const char *s = json_string_value(subj);
		if (parse_int_str(s, (int)base, &i)) {
			*out = json_integer(i);
			return 0;
		}
		if (base == 10 && parse_float_str(s, &d) && d >= -9.2e18 && d <= 9.2e18) {
			*out = json_integer((json_int_t)d);
			return 0;
		}
	}
	*out = a->p[0] ? json_incref(a->p[0]) : json_integer(0);
	return 0;
}

static int f_float(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	json_int_t i;
	double d;
	bool is_int;

	(void)ev;
	if (mu_ex_num(subj, &is_int, &i, &d) ||
	    (json_is_string(subj) && parse_float_str(json_string_value(subj), &d))) {
		*out = json_real(d);
		return 0;
	}
	*out = a->p[0] ? json_incref(a->p[0]) : json_real(0.0);
	return 0;
}

static int f_abs(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	json_int_t i;
	double d;
	bool is_int;

	(void)a;
	if (!mu_ex_num(subj, &is_int, &i, &d))
		return mu_exf_err(ev, "filter 'abs' expects a number, got '%s'", mu_ex_typename(subj));
	if (is_int) {
		if (i == INT64_MIN)
			return mu_exf_err(ev, "integer overflow in 'abs'");
		*out = json_integer(i < 0 ? -i : i);
	} else {
		*out = json_real(fabs(d));
	}
	return 0;
}

static int f_round(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	json_int_t i, prec = 0;
	double d, scale, x;
	bool is_int;
	const char *method = "common";

	if (!mu_ex_num(subj, &is_int, &i, &d))
		return mu_exf_err(ev, "filter 'round' expects a number, got '%s'", mu_ex_typename(subj));
	if (a->p[0]) {
		if (!json_is_integer(a->p[0]) || json_integer_value(a->p[0]) < 0 ||
		    json_integer_value(a->p[0]) > 15)
			return mu_exf_err(ev, "filter 'round': precision must be an integer from 0 to 15");
		prec = json_integer_value(a->p[0]);
	}
	if (a->p[1] && mu_exf_need_str(ev, "round", "method", a->p[1], &method) != 0)
		return MU_E_ARG;
	scale = pow(10, (double)prec);
	x = d * scale;
	if (strcmp(method, "common") == 0)
		x = nearbyint(x); /* Python's round(): half to even */
	else if (strcmp(method, "ceil") == 0)
		x = ceil(x);
	else if (strcmp(method, "floor") == 0)
		x = floor(x);
	else
		return mu_exf_err(ev, "filter 'round': method must be 'common', 'ceil' or 'floor'");
	return mu_ex_real(x / scale, out, ev->e);
}

/* --- strings ------------------------------------------------------------- */

static int f_string(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	(void)a;
	return mu_ex_to_string(subj, out, ev->e);
}

/* ASCII case mapping over str(subj): mode 'l'ower, 'u'pper, 'c'apitalize. */
static int recase(struct mu_ex_ev *ev, json_t *subj, char mode, json_t **out)
{
	json_t *s;
	size_t n;
	char *b;

	if (mu_ex_to_string(subj, &s, ev->e) != 0)
		return ev->e->code;
	n = json_string_length(s);
	b = mu_xmalloc(n + 1);

	memcpy(b, json_string_value(s), n);
	for (size_t i = 0; i < n; i++) {
		bool up = mode == 'u' || (mode == 'c' && i == 0);
		if (up && b[i] >= 'a' && b[i] <= 'z')
			b[i] = (char)(b[i] - 32);
		else if (!up && b[i] >= 'A' && b[i] <= 'Z')
			b[i] = (char)(b[i] + 32);
	}
	*out = mu_ex_string(b, n);
	free(b);
	json_decref(s);
	return 0;
}

static int f_lower(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	(void)a;
	return recase(ev, subj, 'l', out);
}

static int f_upper(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	(void)a;
	return recase(ev, subj, 'u', out);
}

static int f_capitalize(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	(void)a;
	return recase(ev, subj, 'c', out);
}

static int f_trim(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	json_t *s;
	const char *p, *chars = NULL;
	size_t n;

	if (mu_ex_to_string(subj, &s, ev->e) != 0)
		return ev->e->code;
	p = json_string_value(s);
	n = json_string_length(s);

	if (a->p[0] && mu_exf_need_str(ev, "trim", "chars", a->p[0], &chars) != 0) {
		json_decref(s);
		return MU_E_ARG;
	}
#define TRIMMABLE(c) (chars ? (strchr(chars, (c)) != NULL && (c) != '\0') : mu_exf_is_space(c))
	while (n && TRIMMABLE(*p))
		p++, n--;
	while (n && TRIMMABLE(p[n - 1]))
		n--;
#undef TRIMMABLE
	*out = mu_ex_string(p, n);
	json_decref(s);
	return 0;
}

static int f_replace(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	json_t *s;
	const char *p, *old = "", *new = "";
	size_t n, lo, ln;
	json_int_t count = -1, done = 0;
	struct mu_buf b = MU_BUF_INIT;
	int r = MU_E_ARG;

	if (mu_ex_to_string(subj, &s, ev->e) != 0)
		return ev->e->code;
	p = json_string_value(s);
	n = json_string_length(s);

	if (mu_exf_need_str(ev, "replace", "old", a->p[0], &old) != 0 ||
	    mu_exf_need_str(ev, "replace", "new", a->p[1], &new) != 0)
		goto out;
	if (a->p[2] && !json_is_null(a->p[2])) {
		if (!json_is_integer(a->p[2])) {
			mu_exf_err(ev, "filter 'replace': argument 'count' must be an integer");
			goto out;
		}
		count = json_integer_value(a->p[2]);
	}
	lo = json_string_length(a->p[0]);
	ln = json_string_length(a->p[1]);
	if (lo == 0) {
		/* Python: insert `new` before every character and at the end */
		size_t i = 0;
		while (i <= n) {
			if (count < 0 || done < count) {
				mu_buf_add(&b, new, ln);
				done++;
			}
			if (i == n)
				break;
			size_t j = i + 1;
			while (j < n && ((unsigned char)p[j] & 0xc0) == 0x80)
				j++;
			mu_buf_add(&b, p + i, j - i);
			i = j;
			if (b.len > MU_EX_MAX_STR)
				break;
		}
	} else {
		struct mu_ex_finder fd;
		size_t i = 0;

		mu_ex_finder_init(&fd, old, lo);
		while (i < n) {
			size_t hit = (count < 0 || done < count) ? mu_ex_finder_next(&fd, p, n, i) : SIZE_MAX;
			if (hit == SIZE_MAX) {
				mu_buf_add(&b, p + i, n - i);
				break;
			}
			mu_buf_add(&b, p + i, hit - i);
			mu_buf_add(&b, new, ln);
			done++;
			i = hit + lo;
			if (b.len > MU_EX_MAX_STR)
				break;
		}
		mu_ex_finder_release(&fd);
	}
	if (b.len > MU_EX_MAX_STR) {
		r = mu_err_set(ev->e, MU_E_TOOBIG, "filter 'replace': result too large");
		goto out;
	}
	*out = mu_ex_string(b.buf, b.len);
	r = 0;
out:
	mu_buf_release(&b);
	json_decref(s);
	return r;
}

static int f_split(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	json_t *s, *l;
	const char *p, *sep = NULL;
	size_t n, i = 0, ls = 0;
	json_int_t max = -1, done = 0;

	if (mu_ex_to_string(subj, &s, ev->e) != 0)
		return ev->e->code;
	p = json_string_value(s);
	n = json_string_length(s);

	if (a->p[0] && !json_is_null(a->p[0])) {
		if (mu_exf_need_str(ev, "split", "sep", a->p[0], &sep) != 0) {
			json_decref(s);
			return MU_E_ARG;
		}
		ls = json_string_length(a->p[0]);
		if (ls == 0) {
			json_decref(s);
			return mu_exf_err(ev, "filter 'split': empty separator");
		}
	}
	if (a->p[1]) {
		if (!json_is_integer(a->p[1])) {
			json_decref(s);
			return mu_exf_err(ev, "filter 'split': argument 'maxsplit' must be an integer");
		}
		max = json_integer_value(a->p[1]);
	}
	l = json_array();
	if (!sep) {
		/* Python's split(): runs of whitespace, no empty items */
		for (;;) {
			while (i < n && mu_exf_is_space(p[i]))
				i++;
			if (i >= n)
				break;
			size_t j = i;
			if (max >= 0 && done >= max) {
				j = n;
				while (j > i && mu_exf_is_space(p[j - 1]))
					j--;
			} else {
				while (j < n && !mu_exf_is_space(p[j]))
					j++;
			}
			json_array_append_new(l, mu_ex_string(p + i, j - i));
			done++;
			i = j;
		}
	} else {
		struct mu_ex_finder fd;

		mu_ex_finder_init(&fd, sep, ls);
		for (;;) {
			size_t hit = (max < 0 || done < max) ? mu_ex_finder_next(&fd, p, n, i) : SIZE_MAX;
			if (hit == SIZE_MAX) {
				json_array_append_new(l, mu_ex_string(p + i, n - i));
				break;
			}
			json_array_append_new(l, mu_ex_string(p + i, hit - i));
			done++;
			i = hit + ls;
		}
		mu_ex_finder_release(&fd);
	}
	json_decref(s);
	*out = l;
	return 0;
}

static int f_quote(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	static const char safe[] = "@%+=:,./-_";
	json_t *s;
	const char *p;
	size_t n;
	struct mu_buf b = MU_BUF_INIT;
	bool plain;

	(void)a;
	if (json_is_null(subj))
		s = mu_ex_string("", 0);
	else if (mu_ex_to_string(subj, &s, ev->e) != 0)
		return ev->e->code;
	p = json_string_value(s);
	n = json_string_length(s);
	plain = n > 0;
	for (size_t i = 0; i < n && plain; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c && strchr(safe, c))))
			plain = false;
	}
	if (plain) {
		*out = s;
		return 0;
	}
	mu_buf_addch(&b, '\'');
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\'')
			mu_buf_addstr(&b, "'\"'\"'");
		else
			mu_buf_addch(&b, p[i]);
	}
	mu_buf_addch(&b, '\'');
	json_decref(s);
	*out = mu_ex_string_buf(&b);
	return 0;
}

static int path_filter(struct mu_ex_ev *ev, const char *fname, json_t *subj, bool base, json_t **out)
{
	const char *p, *slash;
	size_t n;

	if (!json_is_string(subj))
		return mu_exf_err(ev, "filter '%s' expects a string, got '%s'", fname, mu_ex_typename(subj));
	p = json_string_value(subj);
	n = json_string_length(subj);
	slash = memrchr(p, '/', n);
	if (base) {
		*out = slash ? mu_ex_string(slash + 1, n - (size_t)(slash + 1 - p)) : json_incref(subj);
		return 0;
	}
	if (!slash) {
		*out = mu_ex_string("", 0);
		return 0;
	}
	/* Python's dirname: strip trailing slashes unless it is all slashes */
	n = (size_t)(slash - p) + 1;
	size_t k = n;
	while (k > 0 && p[k - 1] == '/')
		k--;
	*out = mu_ex_string(p, k ? k : n);
	return 0;
}

static int f_basename(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	(void)a;
	return path_filter(ev, "basename", subj, true, out);
}

static int f_dirname(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	(void)a;
	return path_filter(ev, "dirname", subj, false, out);
}

static int f_to_json(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	struct mu_buf b = MU_BUF_INIT;
	json_int_t indent = 0;

	if (a->p[0] && !json_is_null(a->p[0])) {
		if (!json_is_integer(a->p[0]) || json_integer_value(a->p[0]) < 0 ||
		    json_integer_value(a->p[0]) > 32)
			return mu_exf_err(ev, "filter 'to_json': indent must be an integer from 0 to 32");
		indent = json_integer_value(a->p[0]);
	}
	if (mu_ex_json(subj, (int)indent, mu_exf_opt_bool(a->p[1], false), &b) != 0) {
		mu_buf_release(&b);
		return mu_err_set(ev->e, MU_E_TOOBIG, "filter 'to_json': result too large");
	}
	*out = mu_ex_string_buf(&b);
	return 0;
}

static int f_to_nice_json(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	struct mu_buf b = MU_BUF_INIT;
	json_int_t indent = 4;

	if (a->p[0]) {
		if (!json_is_integer(a->p[0]) || json_integer_value(a->p[0]) < 0 ||
		    json_integer_value(a->p[0]) > 32)
			return mu_exf_err(ev, "filter 'to_nice_json': indent must be an integer from 0 to 32");
		indent = json_integer_value(a->p[0]);
	}
	if (mu_ex_json(subj, (int)indent, true, &b) != 0) {
		mu_buf_release(&b);
		return mu_err_set(ev->e, MU_E_TOOBIG, "filter 'to_nice_json': result too large");
	}
	*out = mu_ex_string_buf(&b);
	return 0;
}

static int f_from_json(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	json_error_t je;

	(void)a;
	if (!json_is_string(subj))
		return mu_exf_err(ev, "filter 'from_json' expects a string, got '%s'", mu_ex_typename(subj));
	*out = json_loadb(json_string_value(subj), json_string_length(subj),
			  JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (!*out)
		return mu_exf_err(ev, "filter 'from_json': %s at line %d column %d", je.text, je.line, je.column);
	return 0;
}

static int f_type_debug(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	const char *t = mu_ex_typename(subj);

	(void)ev, (void)a;
	*out = mu_ex_string(t, strlen(t));
	return 0;
}


/* --- the table ----------------------------------------------------------- */

#define P(...) { __VA_ARGS__, NULL }
const struct mu_ex_filter mu_ex_filters_scalar[] = {
	{ "abs", { NULL }, 0, 0, f_abs },
	{ "basename", { NULL }, 0, 0, f_basename },
	{ "bool", { NULL }, 0, 0, f_bool },
	{ "capitalize", { NULL }, 0, 0, f_capitalize },
	{ "d", P("default_value", "boolean"), 0, MU_EXF_UNDEF, f_default },
	{ "default", P("default_value", "boolean"), 0, MU_EXF_UNDEF, f_default },
	{ "dirname", { NULL }, 0, 0, f_dirname },
	{ "float", P("default"), 0, 0, f_float },
	{ "from_json", { NULL }, 0, 0, f_from_json },
	{ "int", P("default", "base"), 0, 0, f_int },
	{ "lower", { NULL }, 0, 0, f_lower },
	{ "mandatory", P("msg"), 0, MU_EXF_UNDEF, f_mandatory },
	{ "quote", { NULL }, 0, 0, f_quote },
	{ "replace", P("old", "new", "count"), 2, 0, f_replace },
	{ "round", P("precision", "method"), 0, 0, f_round },
	{ "split", P("sep", "maxsplit"), 0, 0, f_split },
	{ "string", { NULL }, 0, 0, f_string },
	{ "ternary", P("true_val", "false_val", "none_val"), 2, 0, f_ternary },
	{ "to_json", P("indent", "sort_keys"), 0, 0, f_to_json },
	{ "to_nice_json", P("indent"), 0, 0, f_to_nice_json },
	{ "trim", P("chars"), 0, 0, f_trim },
	{ "type_debug", { NULL }, 0, 0, f_type_debug },
	{ "upper", { NULL }, 0, 0, f_upper },
	{ NULL, { NULL }, 0, 0, NULL },
};
#undef P
