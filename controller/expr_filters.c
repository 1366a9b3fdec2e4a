/*
 * The filters of the expression language: one table, one small function
 * each. Arguments are bound by the generic code below (positional in the
 * order of `params`, or by keyword), so each function reads a->p[i] and
 * never sees an unknown or missing required argument. The names, argument
 * lists and semantics follow Jinja and Ansible; docs/templating.md lists
 * them for users.
 */
#include "expr_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ferr(struct mu_ex_ev *ev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int ferr(struct mu_ex_ev *ev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mu_err_setv(ev->e, MU_E_ARG, fmt, ap);
	va_end(ap);
	return MU_E_ARG;
}

/* Items of an iterable as a new list: a list, a dict's keys, a string's
 * characters. NULL when v is not iterable. */
static json_t *iter_list(const json_t *v)
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

static int need_iter(struct mu_ex_ev *ev, const char *fname, const json_t *v, json_t **out)
{
	if (!(*out = iter_list(v)))
		return ferr(ev, "filter '%s' expects a list, got '%s'", fname, mu_ex_typename(v));
	return 0;
}

/* Jinja's attribute getter: "a.b.0" walks dicts by key and lists by index. */
static json_t *attr_path(const json_t *v, const char *path)
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

static bool opt_bool(const json_t *v, bool def)
{
	return v ? mu_ex_truthy(v) : def;
}

static int need_str_arg(struct mu_ex_ev *ev, const char *fname, const char *pname,
			const json_t *v, const char **out)
{
	if (!json_is_string(v))
		return ferr(ev, "filter '%s': argument '%s' must be a string, got '%s'",
			    fname, pname, mu_ex_typename(v));
	*out = json_string_value(v);
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* --- default, mandatory, ternary, bool ---------------------------------- */

static int f_default(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	json_t *dflt = a->p[0];

	if (!subj || (opt_bool(a->p[1], false) && !mu_ex_truthy(subj))) {
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

	while (n && is_space(*s))
		s++, n--;
	while (n && is_space(s[n - 1]))
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
		ferr(ev, "cannot convert %s to a boolean (use yes/no, true/false, on/off or 1/0)", r.buf);
		mu_buf_release(&r);
		return MU_E_ARG;
	}
	return ferr(ev, "cannot convert '%s' to a boolean", mu_ex_typename(v));
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
			return ferr(ev, "filter 'int': base must be 0 or an integer from 2 to 36");
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
		return ferr(ev, "filter 'abs' expects a number, got '%s'", mu_ex_typename(subj));
	if (is_int) {
		if (i == INT64_MIN)
			return ferr(ev, "integer overflow in 'abs'");
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
		return ferr(ev, "filter 'round' expects a number, got '%s'", mu_ex_typename(subj));
	if (a->p[0]) {
		if (!json_is_integer(a->p[0]) || json_integer_value(a->p[0]) < 0 ||
		    json_integer_value(a->p[0]) > 15)
			return ferr(ev, "filter 'round': precision must be an integer from 0 to 15");
		prec = json_integer_value(a->p[0]);
	}
	if (a->p[1] && need_str_arg(ev, "round", "method", a->p[1], &method) != 0)
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
		return ferr(ev, "filter 'round': method must be 'common', 'ceil' or 'floor'");
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

	if (a->p[0] && need_str_arg(ev, "trim", "chars", a->p[0], &chars) != 0) {
		json_decref(s);
		return MU_E_ARG;
	}
#define TRIMMABLE(c) (chars ? (strchr(chars, (c)) != NULL && (c) != '\0') : is_space(c))
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

	if (need_str_arg(ev, "replace", "old", a->p[0], &old) != 0 ||
	    need_str_arg(ev, "replace", "new", a->p[1], &new) != 0)
		goto out;
	if (a->p[2] && !json_is_null(a->p[2])) {
		if (!json_is_integer(a->p[2])) {
			ferr(ev, "filter 'replace': argument 'count' must be an integer");
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
		if (need_str_arg(ev, "split", "sep", a->p[0], &sep) != 0) {
			json_decref(s);
			return MU_E_ARG;
		}
		ls = json_string_length(a->p[0]);
		if (ls == 0) {
			json_decref(s);
			return ferr(ev, "filter 'split': empty separator");
		}
	}
	if (a->p[1]) {
		if (!json_is_integer(a->p[1])) {
			json_decref(s);
			return ferr(ev, "filter 'split': argument 'maxsplit' must be an integer");
		}
		max = json_integer_value(a->p[1]);
	}
	l = json_array();
	if (!sep) {
		/* Python's split(): runs of whitespace, no empty items */
		for (;;) {
			while (i < n && is_space(p[i]))
				i++;
			if (i >= n)
				break;
			size_t j = i;
			if (max >= 0 && done >= max) {
				j = n;
				while (j > i && is_space(p[j - 1]))
					j--;
			} else {
				while (j < n && !is_space(p[j]))
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
		return ferr(ev, "filter '%s' expects a string, got '%s'", fname, mu_ex_typename(subj));
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
			return ferr(ev, "filter 'to_json': indent must be an integer from 0 to 32");
		indent = json_integer_value(a->p[0]);
	}
	if (mu_ex_json(subj, (int)indent, opt_bool(a->p[1], false), &b) != 0) {
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
			return ferr(ev, "filter 'to_nice_json': indent must be an integer from 0 to 32");
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
		return ferr(ev, "filter 'from_json' expects a string, got '%s'", mu_ex_typename(subj));
	*out = json_loadb(json_string_value(subj), json_string_length(subj),
			  JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (!*out)
		return ferr(ev, "filter 'from_json': %s at line %d column %d", je.text, je.line, je.column);
	return 0;
}

static int f_type_debug(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	const char *t = mu_ex_typename(subj);

	(void)ev, (void)a;
	*out = mu_ex_string(t, strlen(t));
	return 0;
}

/* --- sequences ----------------------------------------------------------- */

static int f_length(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	(void)a;
	if (json_is_string(subj))
		*out = json_integer((json_int_t)mu_ex_utf8_len(json_string_value(subj), json_string_length(subj)));
	else if (json_is_array(subj))
		*out = json_integer((json_int_t)json_array_size(subj));
	else if (json_is_object(subj))
		*out = json_integer((json_int_t)json_object_size(subj));
	else
		return ferr(ev, "object of type '%s' has no length", mu_ex_typename(subj));
	return 0;
}

static int f_list(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	(void)a;
	return need_iter(ev, "list", subj, out);
}

static int first_last(struct mu_ex_ev *ev, const char *fname, json_t *subj, bool last, json_t **out)
{
	json_t *l;
	size_t n;
	int r;

	if ((r = need_iter(ev, fname, subj, &l)) != 0)
		return r;
	n = json_array_size(l);
	if (n == 0) {
		json_decref(l);
		mu_err_set(ev->e, MU_E_NOTFOUND, "no %s item, the sequence is empty", fname);
		return MU_EX_UNDEF;
	}
	*out = json_incref(json_array_get(l, last ? n - 1 : 0));
	json_decref(l);
	return 0;
}

static int f_first(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	(void)a;
	return first_last(ev, "first", subj, false, out);
}

static int f_last(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	(void)a;
	return first_last(ev, "last", subj, true, out);
}

static int f_reverse(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	json_t *l;
	int r;

	(void)a;
	if ((r = need_iter(ev, "reverse", subj, &l)) != 0)
		return r;
	if (json_is_string(subj)) {
		struct mu_buf b = MU_BUF_INIT;
		for (size_t i = json_array_size(l); i-- > 0;)
			mu_ex_str(json_array_get(l, i), &b);
		*out = mu_ex_string_buf(&b);
	} else {
		*out = json_array();
		for (size_t i = json_array_size(l); i-- > 0;)
			json_array_append(*out, json_array_get(l, i));
	}
	json_decref(l);
	return 0;
}

/* The value to use for item x: x itself, or its attribute path. */
static int item_key(struct mu_ex_ev *ev, const char *fname, const json_t *x, const json_t *attr,
		    json_t **key)
{
	if (!attr || json_is_null(attr)) {
		*key = (json_t *)x;
		return 0;
	}
	if (json_is_integer(attr)) {
		*key = mu_ex_getitem(x, attr);
	} else if (json_is_string(attr)) {
		*key = attr_path(x, json_string_value(attr));
	} else {
		return ferr(ev, "filter '%s': argument 'attribute' must be a string", fname);
	}
	if (!*key) {
		struct mu_buf r = MU_BUF_INIT;
		mu_ex_repr(attr, &r);
		mu_err_set(ev->e, MU_E_NOTFOUND, "filter '%s': an item has no attribute %s", fname, r.buf);
		mu_buf_release(&r);
		return MU_E_NOTFOUND;
	}
	return 0;
}

static int f_join(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	struct mu_buf b = MU_BUF_INIT;
	const char *sep = "";
	size_t seplen = 0, i;
	json_t *l, *x, *k;
	int r;

	if (a->p[0]) {
		if (need_str_arg(ev, "join", "d", a->p[0], &sep) != 0)
			return MU_E_ARG;
		seplen = json_string_length(a->p[0]);
	}
	if ((r = need_iter(ev, "join", subj, &l)) != 0)
		return r;
	json_array_foreach(l, i, x) {
		if ((r = item_key(ev, "join", x, a->p[1], &k)) != 0)
			goto out;
		if (i)
			mu_buf_add(&b, sep, seplen);
		if (mu_ex_str(k, &b) != 0 || b.len > MU_EX_MAX_STR) {
			r = mu_err_set(ev->e, MU_E_TOOBIG, "filter 'join': result too large");
			goto out;
		}
	}
	*out = mu_ex_string(b.buf, b.len);
	r = 0;
out:
	mu_buf_release(&b);
	json_decref(l);
	return r;
}

static bool same(const json_t *x, const json_t *y, bool fold)
{
	int c;

	if (fold && json_is_string(x) && json_is_string(y))
		return mu_ex_compare(x, y, true, &c, NULL) == 0 && c == 0;
	return mu_ex_equal(x, y);
}

/* A set of borrowed values (open addressing on mu_ex_hash), so unique()
 * and the set filters stay linear on long lists. */
struct hset {
	const json_t **v;
	size_t cap, n;
	bool fold;
};

static void hset_init(struct hset *h, size_t expect, bool fold)
{
	h->cap = 16;
	while (h->cap < expect * 2 + 1)
		h->cap *= 2;
	h->v = mu_xcalloc(h->cap, sizeof(*h->v));
	h->n = 0;
	h->fold = fold;
}

static void hset_release(struct hset *h)
{
	free(h->v);
	h->v = NULL;
}

/* True when x is in the set; otherwise adds it when add is set. */
static bool hset_has(struct hset *h, const json_t *x, bool add)
{
	size_t i = (size_t)mu_ex_hash(x, h->fold) & (h->cap - 1);

	for (; h->v[i]; i = (i + 1) & (h->cap - 1))
		if (same(h->v[i], x, h->fold))
			return true;
	if (add) {
		h->v[i] = x;
		h->n++;
	}
	return false;
}

static int f_unique(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	bool fold = !opt_bool(a->p[0], false);
	json_t *l, *res, *x, *k;
	struct hset seen;
	size_t i;
	int r;

	if ((r = need_iter(ev, "unique", subj, &l)) != 0)
		return r;
	res = json_array();
	hset_init(&seen, json_array_size(l), fold);
	json_array_foreach(l, i, x) {
		if ((r = item_key(ev, "unique", x, a->p[1], &k)) != 0) {
			json_decref(res);
			goto out;
		}
		if (!hset_has(&seen, k, true))
			json_array_append(res, x);
	}
	*out = res;
	r = 0;
out:
	hset_release(&seen);
	json_decref(l);
	return r;
}

struct sort_item {
	json_t *key;
	json_t *item;
};

struct sort_ctx {
	struct mu_ex_ev *ev;
	bool fold;
	int err;
};

static int sort_cmp(struct sort_ctx *c, const struct sort_item *x, const struct sort_item *y)
{
	int v = 0;

	if (c->err == 0 && mu_ex_compare(x->key, y->key, c->fold, &v, c->ev->e) != 0)
		c->err = MU_E_ARG;
	return v;
}

/* A stable merge sort that can report a comparison error. */
static void msort(struct sort_item *v, struct sort_item *tmp, size_t n, struct sort_ctx *c)
{
	size_t h = n / 2, i = 0, j = h, k = 0;

	if (n < 2)
		return;
	msort(v, tmp, h, c);
	msort(v + h, tmp, n - h, c);
	while (i < h && j < n)
		tmp[k++] = sort_cmp(c, &v[j], &v[i]) < 0 ? v[j++] : v[i++];
	while (i < h)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

/* Sort the items of l by key (attr) into a new list; desc reverses. */
static int sort_list(struct mu_ex_ev *ev, const char *fname, json_t *l, const json_t *attr,
		     bool fold, bool desc, json_t **out)
{
	size_t n = json_array_size(l);
	struct sort_item *v = mu_xcalloc(n + 1, sizeof(*v));
	struct sort_item *tmp = mu_xcalloc(n + 1, sizeof(*tmp));
	struct sort_ctx c = { .ev = ev, .fold = fold, .err = 0 };
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		v[i].item = json_array_get(l, i);
		if ((r = item_key(ev, fname, v[i].item, attr, &v[i].key)) != 0)
			goto out;
	}
	msort(v, tmp, n, &c);
	if ((r = c.err) != 0)
		goto out;
	*out = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append(*out, v[desc ? n - 1 - i : i].item);
out:
	free(v);
	free(tmp);
	return r;
}

static int f_sort(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	json_t *l;
	int r;

	if ((r = need_iter(ev, "sort", subj, &l)) != 0)
		return r;
	r = sort_list(ev, "sort", l, a->p[2], !opt_bool(a->p[1], false), opt_bool(a->p[0], false), out);
	json_decref(l);
	return r;
}

static int min_max(struct mu_ex_ev *ev, const char *fname, json_t *subj, struct mu_ex_args *a,
		   bool max, json_t **out)
{
	json_t *l, *best = NULL, *bk = NULL, *x, *k;
	bool fold = !opt_bool(a->p[0], false);
	size_t i;
	int r, c;

	if ((r = need_iter(ev, fname, subj, &l)) != 0)
		return r;
	json_array_foreach(l, i, x) {
		if ((r = item_key(ev, fname, x, a->p[1], &k)) != 0)
			goto out;
		if (best && (r = mu_ex_compare(k, bk, fold, &c, ev->e)) != 0)
			goto out;
		if (!best || (max ? c > 0 : c < 0)) {
			best = x;
			bk = k;
		}
	}
	if (!best) {
		mu_err_set(ev->e, MU_E_NOTFOUND, "no %s item, the sequence is empty", fname);
		r = MU_EX_UNDEF;
		goto out;
	}
	*out = json_incref(best);
	r = 0;
out:
	json_decref(l);
	return r;
}

static int f_min(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	return min_max(ev, "min", subj, a, false, out);
}

static int f_max(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	return min_max(ev, "max", subj, a, true, out);
}

static int f_sum(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	json_t *l, *x, *k, *start = a->p[1];
	json_int_t isum = 0, i;
	double dsum = 0, d;
	bool all_int = true, is_int;
	size_t n;
	int r;

	if ((r = need_iter(ev, "sum", subj, &l)) != 0)
		return r;
	if (start && json_is_array(start)) {
		/* sum(start=[]) concatenates lists, as in Python */
		json_t *res = json_copy(start);
		json_array_foreach(l, n, x) {
			if ((r = item_key(ev, "sum", x, a->p[0], &k)) != 0 || !json_is_array(k)) {
				json_decref(res);
				if (r == 0)
					r = ferr(ev, "filter 'sum': cannot add '%s' to a list", mu_ex_typename(k));
				goto out;
			}
			if (json_array_size(res) + json_array_size(k) > MU_EX_MAX_ITEMS) {
				json_decref(res);
				r = mu_err_set(ev->e, MU_E_TOOBIG, "filter 'sum': result too large");
				goto out;
			}
			json_array_extend(res, k);
		}
		*out = res;
		r = 0;
		goto out;
	}
	if (start) {
		if (!mu_ex_num(start, &is_int, &i, &d)) {
			r = ferr(ev, "filter 'sum': start must be a number or a list");
			goto out;
		}
		all_int = is_int;
		isum = i;
		dsum = d;
	}
	json_array_foreach(l, n, x) {
		if ((r = item_key(ev, "sum", x, a->p[0], &k)) != 0)
			goto out;
		if (!mu_ex_num(k, &is_int, &i, &d)) {
			r = ferr(ev, "filter 'sum': unsupported operand type '%s'", mu_ex_typename(k));
			goto out;
		}
		if (all_int && is_int) {
			if (__builtin_add_overflow(isum, i, &isum)) {
				r = ferr(ev, "integer overflow in 'sum'");
				goto out;
			}
			dsum = (double)isum;
		} else {
			if (all_int)
				dsum = (double)isum;
			all_int = false;
			dsum += d;
		}
	}
	if (all_int)
		*out = json_integer(isum);
	else
		r = mu_ex_real(dsum, out, ev->e);
out:
	json_decref(l);
	return r;
}

static int flatten_into(json_t *res, const json_t *l, json_int_t levels, bool skip_nulls)
{
	size_t i;
	json_t *x;

	json_array_foreach(l, i, x) {
		if (skip_nulls && (json_is_null(x) ||
				   (json_is_string(x) && strcmp(json_string_value(x), "None") == 0)))
			continue;
		if (json_is_array(x) && levels != 0) {
			if (flatten_into(res, x, levels > 0 ? levels - 1 : -1, skip_nulls) != 0)
				return -1;
		} else {
			if (json_array_size(res) >= MU_EX_MAX_ITEMS)
				return -1;
			json_array_append(res, x);
		}
	}
	return 0;
}

static int f_flatten(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	json_int_t levels = -1;
	json_t *res;

	if (!json_is_array(subj))
		return ferr(ev, "filter 'flatten' expects a list, got '%s'", mu_ex_typename(subj));
	if (a->p[0] && !json_is_null(a->p[0])) {
		if (!json_is_integer(a->p[0]) || json_integer_value(a->p[0]) < 0)
			return ferr(ev, "filter 'flatten': levels must be a non-negative integer");
		levels = json_integer_value(a->p[0]);
	}
	res = json_array();
	/* jansson bounds nesting depth when parsing; values built here are
	 * bounded by the expression depth, so this recursion is bounded too */
	if (flatten_into(res, subj, levels, opt_bool(a->p[1], true)) != 0) {
		json_decref(res);
		return mu_err_set(ev->e, MU_E_TOOBIG, "filter 'flatten': result too large");
	}
	*out = res;
	return 0;
}

/* difference / intersect / union: order kept, duplicates dropped. */
static int set_op(struct mu_ex_ev *ev, const char *fname, json_t *subj, json_t *other, int op,
		  json_t **out)
{
	struct hset in_other, seen;
	json_t *res, *x;
	size_t i;

	if (!json_is_array(subj) || !json_is_array(other))
		return ferr(ev, "filter '%s' expects two lists, got '%s' and '%s'", fname,
			    mu_ex_typename(subj), mu_ex_typename(other));
	hset_init(&in_other, json_array_size(other), false);
	hset_init(&seen, json_array_size(subj) + json_array_size(other), false);
	json_array_foreach(other, i, x)
		hset_has(&in_other, x, true);
	res = json_array();
	json_array_foreach(subj, i, x) {
		if (op == 'd' && hset_has(&in_other, x, false))
			continue;
		if (op == 'i' && !hset_has(&in_other, x, false))
			continue;
		if (!hset_has(&seen, x, true))
			json_array_append(res, x);
	}
	if (op == 'u')
		json_array_foreach(other, i, x)
			if (!hset_has(&seen, x, true))
				json_array_append(res, x);
	hset_release(&in_other);
	hset_release(&seen);
	*out = res;
	return 0;
}

static int f_difference(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	return set_op(ev, "difference", subj, a->p[0], 'd', out);
}

static int f_intersect(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	return set_op(ev, "intersect", subj, a->p[0], 'i', out);
}

static int f_union(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	return set_op(ev, "union", subj, a->p[0], 'u', out);
}

/* --- dicts --------------------------------------------------------------- */

static int key_names(struct mu_ex_ev *ev, const char *fname, struct mu_ex_args *a,
		     const char **k, const char **v)
{
	*k = "key";
	*v = "value";
	if (a->p[0] && need_str_arg(ev, fname, "key_name", a->p[0], k) != 0)
		return MU_E_ARG;
	if (a->p[1] && need_str_arg(ev, fname, "value_name", a->p[1], v) != 0)
		return MU_E_ARG;
	return 0;
}

static int f_dict2items(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	const char *kn, *vn, *k;
	json_t *x;

	if (!json_is_object(subj))
		return ferr(ev, "filter 'dict2items' expects a dict, got '%s'", mu_ex_typename(subj));
	if (key_names(ev, "dict2items", a, &kn, &vn) != 0)
		return MU_E_ARG;
	*out = json_array();
	json_object_foreach(subj, k, x) {
		json_t *it = json_object();
		json_object_set_new(it, kn, mu_ex_string(k, strlen(k)));
		json_object_set(it, vn, x);
		json_array_append_new(*out, it);
	}
	return 0;
}

static int f_items2dict(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	const char *kn, *vn;
	json_t *x, *res;
	size_t i;

	if (!json_is_array(subj))
		return ferr(ev, "filter 'items2dict' expects a list, got '%s'", mu_ex_typename(subj));
	if (key_names(ev, "items2dict", a, &kn, &vn) != 0)
		return MU_E_ARG;
	res = json_object();
	json_array_foreach(subj, i, x) {
		json_t *k = json_is_object(x) ? json_object_get(x, kn) : NULL;
		json_t *v = json_is_object(x) ? json_object_get(x, vn) : NULL;
		json_t *ks;

		if (!k || !v) {
			json_decref(res);
			return ferr(ev, "filter 'items2dict': item %zu lacks '%s' or '%s'", i, kn, vn);
		}
		if (!json_is_string(k) && !json_is_number(k)) {
			json_decref(res);
			return ferr(ev, "filter 'items2dict': key of item %zu must be a string, not '%s'",
				    i, mu_ex_typename(k));
		}
		if (mu_ex_to_string(k, &ks, ev->e) != 0) {
			json_decref(res);
			return ev->e->code;
		}
		json_object_setn_nocheck(res, json_string_value(ks), json_string_length(ks), v);
		json_decref(ks);
	}
	*out = res;
	return 0;
}

/* Merge src into dst (a private copy). Recursion follows the data's depth,
 * which jansson bounds when parsing. */
static void merge(json_t *dst, const json_t *src, bool recursive, char list_merge)
{
	const char *k;
	json_t *x, *have;

	json_object_foreach((json_t *)src, k, x) {
		have = json_object_get(dst, k);
		if (recursive && json_is_object(have) && json_is_object(x)) {
			json_t *c = json_deep_copy(have);
			merge(c, x, recursive, list_merge);
			json_object_set_new(dst, k, c);
		} else if (json_is_array(have) && json_is_array(x) && list_merge != 'r') {
			json_t *l;
			if (list_merge == 'k')
				continue;
			l = json_array();
			json_array_extend(l, list_merge == 'a' ? have : x);
			json_array_extend(l, list_merge == 'a' ? x : have);
			json_object_set_new(dst, k, l);
		} else {
			json_object_set(dst, k, x);
		}
	}
}

static int f_combine(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	bool recursive = false;
	char lm = 'r';
	json_t *res;

	if (!json_is_object(subj))
		return ferr(ev, "filter 'combine' expects a dict, got '%s'", mu_ex_typename(subj));
	for (size_t i = 0; i < a->nkw; i++) {
		if (strcmp(a->kwname[i], "recursive") == 0) {
			recursive = mu_ex_truthy(a->kw[i]);
		} else {
			const char *m = json_is_string(a->kw[i]) ? json_string_value(a->kw[i]) : "";
			if (strcmp(m, "replace") == 0)
				lm = 'r';
			else if (strcmp(m, "keep") == 0)
				lm = 'k';
			else if (strcmp(m, "append") == 0)
				lm = 'a';
			else if (strcmp(m, "prepend") == 0)
				lm = 'p';
			else
				return ferr(ev, "filter 'combine': list_merge must be 'replace', 'keep', 'append' or 'prepend'");
		}
	}
	res = json_deep_copy(subj);
	for (size_t i = 0; i < a->npos; i++) {
		json_t *d = a->pos[i];
		if (json_is_array(d)) {
			size_t j;
			json_t *x;
			json_array_foreach(d, j, x)
				if (!json_is_object(x)) {
					json_decref(res);
					return ferr(ev, "filter 'combine' expects dicts, got '%s'", mu_ex_typename(x));
				}
			json_array_foreach(d, j, x)
				merge(res, x, recursive, lm);
		} else if (json_is_object(d)) {
			merge(res, d, recursive, lm);
		} else {
			json_decref(res);
			return ferr(ev, "filter 'combine' expects dicts, got '%s'", mu_ex_typename(d));
		}
	}
	*out = res;
	return 0;
}

/* --- map, select, reject, selectattr, rejectattr ------------------------ */

static int f_map(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	json_t *l, *res, *x, *attr = NULL, *dflt = NULL;
	const struct mu_ex_filter *f = NULL;
	size_t i;
	int r;

	if (a->npos > 0) {
		if (!json_is_string(a->pos[0]))
			return ferr(ev, "filter 'map': the filter name must be a string");
		if (!(f = mu_ex_filter_find(json_string_value(a->pos[0]))))
			return ferr(ev, "unsupported filter '%s'", json_string_value(a->pos[0]));
	} else {
		for (i = 0; i < a->nkw; i++) {
			if (strcmp(a->kwname[i], "attribute") == 0)
				attr = a->kw[i];
			else if (strcmp(a->kwname[i], "default") == 0)
				dflt = a->kw[i];
			else
				return ferr(ev, "filter 'map' has no argument '%s'", a->kwname[i]);
		}
		if (!attr)
			return ferr(ev, "filter 'map' needs a filter name or attribute=");
	}
	if ((r = need_iter(ev, "map", subj, &l)) != 0)
		return r;
	res = json_array();
	size_t weight = 1;
	json_array_foreach(l, i, x) {
		json_t *y = NULL;

		if (f) {
			/* the remaining arguments go to the named filter */
			size_t n = a->npos - 1 + a->nkw;
			json_t **argv = mu_xcalloc(n + 1, sizeof(*argv));
			char **kw = mu_xcalloc(n + 1, sizeof(*kw));
			for (size_t k = 1; k < a->npos; k++)
				argv[k - 1] = a->pos[k];
			for (size_t k = 0; k < a->nkw; k++) {
				argv[a->npos - 1 + k] = a->kw[k];
				kw[a->npos - 1 + k] = a->kwname[k];
			}
			r = mu_ex_filter_call(ev, f, x, argv, kw, n, &y);
			free(argv);
			free(kw);
			if (r == MU_EX_UNDEF)
				r = ev->e->code;
		} else {
			r = item_key(ev, "map", x, attr, &y);
			if (r == MU_E_NOTFOUND && dflt) {
				mu_err_clear(ev->e);
				y = dflt;
				r = 0;
			}
			if (r == 0)
				json_incref(y);
		}
		if (r == 0) {
			/* map('default', big) repeats big: bound what it builds */
			weight += mu_ex_weight(y, MU_EX_MAX_WEIGHT);
			if (weight > MU_EX_MAX_WEIGHT) {
				json_decref(y);
				r = mu_err_set(ev->e, MU_E_TOOBIG, "filter 'map': result too large");
			}
		}
		if (r != 0) {
			json_decref(res);
			json_decref(l);
			return r;
		}
		json_array_append_new(res, y);
	}
	json_decref(l);
	*out = res;
	return 0;
}

/* select/reject (attr == false) and selectattr/rejectattr (attr == true). */
static int sel(struct mu_ex_ev *ev, const char *fname, json_t *subj, struct mu_ex_args *a,
	       bool keep, bool by_attr, json_t **out)
{
	const struct mu_ex_test *t = NULL;
	size_t ti = by_attr ? 1 : 0, i;
	const char *attr = NULL;
	json_t *l, *res, *x;
	int r;

	if (a->nkw)
		return ferr(ev, "filter '%s' takes no keyword arguments", fname);
	if (by_attr) {
		if (a->npos < 1 || !json_is_string(a->pos[0]))
			return ferr(ev, "filter '%s' needs an attribute name", fname);
		attr = json_string_value(a->pos[0]);
	}
	if (a->npos > ti) {
		if (!json_is_string(a->pos[ti]))
			return ferr(ev, "filter '%s': the test name must be a string", fname);
		if (!(t = mu_ex_test_find(json_string_value(a->pos[ti]))))
			return ferr(ev, "unsupported test '%s'", json_string_value(a->pos[ti]));
		if (a->npos - ti - 1 != t->nargs)
			return ferr(ev, "test '%s' takes %u argument%s, %zu given", t->name, t->nargs,
				    t->nargs == 1 ? "" : "s", a->npos - ti - 1);
	}
	if ((r = need_iter(ev, fname, subj, &l)) != 0)
		return r;
	res = json_array();
	json_array_foreach(l, i, x) {
		json_t *v = by_attr ? attr_path(x, attr) : x;
		bool ok;

		if (!v && !(t && (t->flags & MU_EXF_UNDEF))) {
			r = mu_err_set(ev->e, MU_E_NOTFOUND, "filter '%s': item %zu has no attribute '%s'",
				       fname, i, attr);
			goto fail;
		}
		if (t) {
			if ((r = mu_ex_test_call(ev, t, v, a->pos + ti + 1, t->nargs, &ok)) != 0)
				goto fail;
		} else {
			ok = mu_ex_truthy(v);
		}
		if (ok == keep)
			json_array_append(res, x);
	}
	json_decref(l);
	*out = res;
	return 0;
fail:
	json_decref(res);
	json_decref(l);
	return r;
}

static int f_select(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	return sel(ev, "select", subj, a, true, false, out);
}

static int f_reject(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	return sel(ev, "reject", subj, a, false, false, out);
}

static int f_selectattr(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	return sel(ev, "selectattr", subj, a, true, true, out);
}

static int f_rejectattr(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	return sel(ev, "rejectattr", subj, a, false, true, out);
}

/* --- the table ----------------------------------------------------------- */

#define P(...) { __VA_ARGS__, NULL }
static const struct mu_ex_filter filters[] = {
	{ "abs", { NULL }, 0, 0, f_abs },
	{ "basename", { NULL }, 0, 0, f_basename },
	{ "bool", { NULL }, 0, 0, f_bool },
	{ "capitalize", { NULL }, 0, 0, f_capitalize },
	{ "combine", P("recursive", "list_merge"), 0, MU_EXF_VARIADIC, f_combine },
	{ "count", { NULL }, 0, 0, f_length },
	{ "d", P("default_value", "boolean"), 0, MU_EXF_UNDEF, f_default },
	{ "default", P("default_value", "boolean"), 0, MU_EXF_UNDEF, f_default },
	{ "dict2items", P("key_name", "value_name"), 0, 0, f_dict2items },
	{ "difference", P("other"), 1, 0, f_difference },
	{ "dirname", { NULL }, 0, 0, f_dirname },
	{ "first", { NULL }, 0, 0, f_first },
	{ "flatten", P("levels", "skip_nulls"), 0, 0, f_flatten },
	{ "float", P("default"), 0, 0, f_float },
	{ "from_json", { NULL }, 0, 0, f_from_json },
	{ "int", P("default", "base"), 0, 0, f_int },
	{ "intersect", P("other"), 1, 0, f_intersect },
	{ "items2dict", P("key_name", "value_name"), 0, 0, f_items2dict },
	{ "join", P("d", "attribute"), 0, 0, f_join },
	{ "last", { NULL }, 0, 0, f_last },
	{ "length", { NULL }, 0, 0, f_length },
	{ "list", { NULL }, 0, 0, f_list },
	{ "lower", { NULL }, 0, 0, f_lower },
	{ "mandatory", P("msg"), 0, MU_EXF_UNDEF, f_mandatory },
	{ "map", { NULL }, 0, MU_EXF_VARIADIC, f_map },
	{ "max", P("case_sensitive", "attribute"), 0, 0, f_max },
	{ "min", P("case_sensitive", "attribute"), 0, 0, f_min },
	{ "quote", { NULL }, 0, 0, f_quote },
	{ "reject", { NULL }, 0, MU_EXF_VARIADIC, f_reject },
	{ "rejectattr", { NULL }, 0, MU_EXF_VARIADIC, f_rejectattr },
	{ "replace", P("old", "new", "count"), 2, 0, f_replace },
	{ "reverse", { NULL }, 0, 0, f_reverse },
	{ "round", P("precision", "method"), 0, 0, f_round },
	{ "select", { NULL }, 0, MU_EXF_VARIADIC, f_select },
	{ "selectattr", { NULL }, 0, MU_EXF_VARIADIC, f_selectattr },
	{ "sort", P("reverse", "case_sensitive", "attribute"), 0, 0, f_sort },
	{ "split", P("sep", "maxsplit"), 0, 0, f_split },
	{ "string", { NULL }, 0, 0, f_string },
	{ "sum", P("attribute", "start"), 0, 0, f_sum },
	{ "ternary", P("true_val", "false_val", "none_val"), 2, 0, f_ternary },
	{ "to_json", P("indent", "sort_keys"), 0, 0, f_to_json },
	{ "to_nice_json", P("indent"), 0, 0, f_to_nice_json },
	{ "trim", P("chars"), 0, 0, f_trim },
	{ "type_debug", { NULL }, 0, 0, f_type_debug },
	{ "union", P("other"), 1, 0, f_union },
	{ "unique", P("case_sensitive", "attribute"), 0, 0, f_unique },
	{ "upper", { NULL }, 0, 0, f_upper },
};
#undef P

const struct mu_ex_filter *mu_ex_filter_find(const char *name)
{
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
		if (strcmp(filters[i].name, name) == 0)
			return &filters[i];
	return NULL;
}

const char *const *mu_ex_filter_names(void)
{
	static const char *names[sizeof(filters) / sizeof(filters[0]) + 1];

	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
		names[i] = filters[i].name;
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
		return ferr(ev, "filter '%s': too many arguments", f->name);
	if ((r = bind(f, kw, n, slot, ev->e)) != 0)
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
