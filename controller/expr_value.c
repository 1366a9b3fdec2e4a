/*
 * Value helpers for the expression language: Python's view of JSON values
 * (type names, truthiness, str/repr, equality and ordering), JSON text in
 * Python's json.dumps layout, and the UTF-8 arithmetic that keeps string
 * indexing by character, as Python does.
 */
#include "expr_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *mu_ex_typename(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "dict";
	case JSON_ARRAY: return "list";
	case JSON_STRING: return "str";
	case JSON_INTEGER: return "int";
	case JSON_REAL: return "float";
	case JSON_TRUE: case JSON_FALSE: return "bool";
	case JSON_NULL: return "NoneType";
	}
	return "unknown";
}

bool mu_ex_truthy(const json_t *v)
{
	if (!v)
		return false;
	switch (json_typeof(v)) {
	case JSON_OBJECT: return json_object_size(v) > 0;
	case JSON_ARRAY: return json_array_size(v) > 0;
	case JSON_STRING: return json_string_length(v) > 0;
	case JSON_INTEGER: return json_integer_value(v) != 0;
	case JSON_REAL: return json_real_value(v) != 0.0;
	case JSON_TRUE: return true;
	case JSON_FALSE: case JSON_NULL: return false;
	}
	return false;
}

bool mu_ex_is_num(const json_t *v)
{
	return json_is_number(v) || json_is_boolean(v);
}

bool mu_ex_num(const json_t *v, bool *is_int, json_int_t *i, double *d)
{
	if (json_is_integer(v) || json_is_boolean(v)) {
		*i = json_is_integer(v) ? json_integer_value(v) : json_is_true(v);
		*d = (double)*i;
		*is_int = true;
		return true;
	}
	if (json_is_real(v)) {
		*d = json_real_value(v);
		*i = 0;
		*is_int = false;
		return true;
	}
	return false;
}

json_t *mu_ex_string(const char *s, size_t len)
{
	json_t *j = json_stringn_nocheck(s, len);

	if (!j)
		abort(); /* allocation failure is fatal (mu_buf.h) */
	return j;
}

json_t *mu_ex_string_buf(struct mu_buf *b)
{
	json_t *j = mu_ex_string(b->buf, b->len);

	mu_buf_release(b);
	return j;
}

int mu_ex_real(double d, json_t **out, struct mu_err *e)
{
	if (!isfinite(d))
		return mu_err_set(e, MU_E_ARG, "float result out of range");
	*out = json_real(d);
	return 0;
}

void mu_ex_fmt_float(double d, char *buf, size_t size)
{
	char tmp[64], digits[32];
	int p, exp10, nd = 0;
	const char *s;
	bool neg = signbit(d);
	struct mu_buf b = MU_BUF_INIT;

	if (!isfinite(d)) {
		snprintf(buf, size, isnan(d) ? "nan" : (d > 0 ? "inf" : "-inf"));
		return;
	}
	/* shortest %e that reads back as the same double, like Python's repr */
	for (p = 0; p < 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p, fabs(d));
		if (strtod(tmp, NULL) == fabs(d))
			break;
	}
	for (s = tmp; *s && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9' && nd < (int)sizeof(digits) - 1)
			digits[nd++] = *s;
	exp10 = *s == 'e' ? (int)strtol(s + 1, NULL, 10) : 0;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	if (neg)
		mu_buf_addch(&b, '-');
	if (exp10 < -4 || exp10 >= 16) {
		mu_buf_addch(&b, digits[0]);
		if (nd > 1)
			mu_buf_addf(&b, ".%s", digits + 1);
		mu_buf_addf(&b, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
	} else if (exp10 < 0) {
		mu_buf_addstr(&b, "0.");
		for (int k = 0; k < -exp10 - 1; k++)
			mu_buf_addch(&b, '0');
		mu_buf_addstr(&b, digits);
	} else {
		for (int k = 0; k <= exp10; k++)
			mu_buf_addch(&b, (char)(k < nd ? digits[k] : '0'));
		mu_buf_addch(&b, '.');
		if (nd > exp10 + 1)
			mu_buf_addstr(&b, digits + exp10 + 1);
		else
			mu_buf_addch(&b, '0');
	}
	snprintf(buf, size, "%s", b.buf);
	mu_buf_release(&b);
}

static int repr_string(const char *s, size_t len, struct mu_buf *b)
{
	char q = '\'';

	if (memchr(s, '\'', len) && !memchr(s, '"', len))
		q = '"';
	mu_buf_addch(b, q);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t run = 0;

		/* copy runs of plain characters at once */
		while (i + run < len && (unsigned char)s[i + run] >= 0x20 && s[i + run] != 0x7f &&
		       s[i + run] != '\\' && s[i + run] != q)
			run++;
		if (run) {
			mu_buf_add(b, s + i, run);
			i += run - 1;
			continue;
		}
		if (c == '\\' || c == (unsigned char)q)
			mu_buf_addf(b, "\\%c", c);
		else if (c == '\n')
			mu_buf_addstr(b, "\\n");
		else if (c == '\r')
			mu_buf_addstr(b, "\\r");
		else if (c == '\t')
			mu_buf_addstr(b, "\\t");
		else if (c < 0x20 || c == 0x7f)
			mu_buf_addf(b, "\\x%02x", c);
		else
			mu_buf_addch(b, (char)c);
	}
	return mu_buf_addch(b, q);
}

static int str_or_repr(const json_t *v, struct mu_buf *b, bool repr)
{
	char num[64];
	const char *key;
	json_t *x;
	size_t i;
	bool first = true;

	/* values may share parts (l * 1000), so the text can be far larger
	 * than the memory the value takes: stop at the ceiling */
	if (b->len > MU_EX_MAX_STR)
		return MU_E_TOOBIG;
	switch (json_typeof(v)) {
	case JSON_STRING:
		if (repr)
			return repr_string(json_string_value(v), json_string_length(v), b);
		return mu_buf_add(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return mu_buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		mu_ex_fmt_float(json_real_value(v), num, sizeof(num));
		return mu_buf_addstr(b, num);
	case JSON_TRUE:
		return mu_buf_addstr(b, "True");
	case JSON_FALSE:
		return mu_buf_addstr(b, "False");
	case JSON_NULL:
		return mu_buf_addstr(b, "None");
	case JSON_ARRAY:
		mu_buf_addch(b, '[');
		json_array_foreach(v, i, x) {
			if (i)
				mu_buf_addstr(b, ", ");
			if (str_or_repr(x, b, true) != 0)
				return MU_E_TOOBIG;
		}
		return mu_buf_addch(b, ']');
	case JSON_OBJECT:
		mu_buf_addch(b, '{');
		json_object_foreach((json_t *)v, key, x) {
			if (!first)
				mu_buf_addstr(b, ", ");
			first = false;
			repr_string(key, strlen(key), b);
			mu_buf_addstr(b, ": ");
			if (str_or_repr(x, b, true) != 0)
				return MU_E_TOOBIG;
		}
		return mu_buf_addch(b, '}');
	}
	return 0;
}

int mu_ex_str(const json_t *v, struct mu_buf *b)
{
	if (str_or_repr(v, b, false) != 0 || b->len > MU_EX_MAX_STR)
		return MU_E_TOOBIG;
	return 0;
}

int mu_ex_repr(const json_t *v, struct mu_buf *b)
{
	if (str_or_repr(v, b, true) != 0 || b->len > MU_EX_MAX_STR)
		return MU_E_TOOBIG;
	return 0;
}

int mu_ex_to_string(const json_t *v, json_t **out, struct mu_err *e)
{
	struct mu_buf b = MU_BUF_INIT;

	*out = NULL;
	if (json_is_string(v)) {
		*out = json_incref((json_t *)v);
		return 0;
	}
	if (mu_ex_str(v, &b) != 0) {
		mu_buf_release(&b);
		return mu_err_set(e, MU_E_TOOBIG, "string form of a '%s' too large", mu_ex_typename(v));
	}
	*out = mu_ex_string_buf(&b);
	return 0;
}

static void json_string_out(const char *s, size_t len, struct mu_buf *b)
{
	mu_buf_addch(b, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t run = 0;

		while (i + run < len && (unsigned char)s[i + run] >= 0x20 && s[i + run] != 0x7f &&
		       s[i + run] != '\\' && s[i + run] != '"')
			run++;
		if (run) {
			mu_buf_add(b, s + i, run);
			i += run - 1;
			continue;
		}
		switch (c) {
		case '"': mu_buf_addstr(b, "\\\""); break;
		case '\\': mu_buf_addstr(b, "\\\\"); break;
		case '\n': mu_buf_addstr(b, "\\n"); break;
		case '\r': mu_buf_addstr(b, "\\r"); break;
		case '\t': mu_buf_addstr(b, "\\t"); break;
		case '\b': mu_buf_addstr(b, "\\b"); break;
		case '\f': mu_buf_addstr(b, "\\f"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				mu_buf_addf(b, "\\u%04x", c);
			else
				mu_buf_addch(b, (char)c);
		}
	}
	mu_buf_addch(b, '"');
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void newline(struct mu_buf *b, int indent, int level)
{
	mu_buf_addch(b, '\n');
	for (int k = 0; k < indent * level; k++)
		mu_buf_addch(b, ' ');
}

static void json_out(const json_t *v, int indent, bool sort, int level, struct mu_buf *b)
{
	size_t i, n;
	json_t *x;

	if (b->len > MU_EX_MAX_STR)
		return;
	switch (json_typeof(v)) {
	case JSON_STRING:
		json_string_out(json_string_value(v), json_string_length(v), b);
		return;
	case JSON_TRUE: mu_buf_addstr(b, "true"); return;
	case JSON_FALSE: mu_buf_addstr(b, "false"); return;
	case JSON_NULL: mu_buf_addstr(b, "null"); return;
	case JSON_INTEGER: case JSON_REAL:
		mu_ex_str(v, b);
		return;
	case JSON_ARRAY:
		if (json_array_size(v) == 0) {
			mu_buf_addstr(b, "[]");
			return;
		}
		mu_buf_addch(b, '[');
		json_array_foreach(v, i, x) {
			if (i)
				mu_buf_addstr(b, indent ? "," : ", ");
			if (indent)
				newline(b, indent, level + 1);
			json_out(x, indent, sort, level + 1, b);
		}
		if (indent)
			newline(b, indent, level);
		mu_buf_addch(b, ']');
		return;
	case JSON_OBJECT: {
		const char **keys;
		const char *key;

		n = json_object_size(v);
		if (n == 0) {
			mu_buf_addstr(b, "{}");
			return;
		}
		keys = mu_xcalloc(n, sizeof(*keys));
		i = 0;
		json_object_foreach((json_t *)v, key, x)
			keys[i++] = key;
		if (sort)
			qsort(keys, n, sizeof(*keys), cmp_keys);
		mu_buf_addch(b, '{');
		for (i = 0; i < n; i++) {
			if (i)
				mu_buf_addstr(b, indent ? "," : ", ");
			if (indent)
				newline(b, indent, level + 1);
			json_string_out(keys[i], strlen(keys[i]), b);
			mu_buf_addstr(b, ": ");
			json_out(json_object_get(v, keys[i]), indent, sort, level + 1, b);
		}
		free(keys);
		if (indent)
			newline(b, indent, level);
		mu_buf_addch(b, '}');
		return;
	}
	}
}

int mu_ex_json(const json_t *v, int indent, bool sort_keys, struct mu_buf *b)
{
	json_out(v, indent, sort_keys, 0, b);
	return b->len > MU_EX_MAX_STR ? MU_E_TOOBIG : 0;
}

/* Nodes in v, counting shared parts each time they appear, up to limit. */
static size_t weigh(const json_t *v, size_t limit)
{
	size_t w = 1, i;
	const char *k;
	json_t *x;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			if (w > limit)
				break;
			w += weigh(x, limit - w);
		}
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x) {
			if (w > limit)
				break;
			w += weigh(x, limit - w);
		}
	}
	return w;
}

size_t mu_ex_weight(const json_t *v, size_t limit)
{
	return weigh(v, limit);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n, bool fold)
{
	const unsigned char *u = p;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = u[i];
		if (fold && c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		h = (h ^ c) * 1099511628211ull;
	}
	return h;
}

uint64_t mu_ex_hash(const json_t *v, bool fold)
{
	uint64_t h = 1469598103934665603ull, x;
	bool is_int;
	json_int_t i;
	double d;
	size_t k;
	const char *key;
	json_t *y;

	if (mu_ex_num(v, &is_int, &i, &d)) {
		/* equal numbers hash alike: 1 == 1.0 == true */
		if (!is_int && d == floor(d) && d >= -9.2e18 && d <= 9.2e18)
			i = (json_int_t)d, is_int = true;
		if (is_int)
			return fnv(h ^ 1, &i, sizeof(i), false);
		return fnv(h ^ 2, &d, sizeof(d), false);
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		return fnv(h ^ 3, json_string_value(v), json_string_length(v), fold);
	case JSON_ARRAY:
		h ^= 4;
		json_array_foreach(v, k, y) {
			x = mu_ex_hash(y, false);
			h = fnv(h, &x, sizeof(x), false);
		}
		return h;
	case JSON_OBJECT:
		/* order-independent, as dict equality is */
		x = 5;
		json_object_foreach((json_t *)v, key, y)
			x += fnv(h, key, strlen(key), false) * 31 + mu_ex_hash(y, false);
		return x;
	default:
		return h ^ 6;
	}
}

bool mu_ex_equal(const json_t *a, const json_t *b)
{
	bool ai, bi;
	json_int_t ia, ib;
	double da, db;

	if (a == b)
		return true;
	if (mu_ex_num(a, &ai, &ia, &da) && mu_ex_num(b, &bi, &ib, &db))
		return ai && bi ? ia == ib : da == db;
	if (json_typeof(a) != json_typeof(b))
		return false;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
	case JSON_NULL:
		return true;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!mu_ex_equal(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	case JSON_OBJECT: {
		const char *k;
		json_t *x, *y;

		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach((json_t *)a, k, x) {
			if (!(y = json_object_get(b, k)) || !mu_ex_equal(x, y))
				return false;
		}
		return true;
	}
	default:
		return false;
	}
}

static int fold_cmp(const char *a, size_t la, const char *b, size_t lb, bool fold)
{
	size_t n = la < lb ? la : lb;

	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (fold) {
			if (x >= 'A' && x <= 'Z')
				x = (unsigned char)(x + 32);
			if (y >= 'A' && y <= 'Z')
				y = (unsigned char)(y + 32);
		}
		if (x != y)
			return x < y ? -1 : 1;
	}
	return la == lb ? 0 : la < lb ? -1 : 1;
}

int mu_ex_compare(const json_t *a, const json_t *b, bool fold_case, int *cmp,
		  struct mu_err *e)
{
	bool ai, bi;
	json_int_t ia, ib;
	double da, db;

	if (mu_ex_num(a, &ai, &ia, &da) && mu_ex_num(b, &bi, &ib, &db)) {
		if (ai && bi)
			*cmp = ia < ib ? -1 : ia > ib;
		else
			*cmp = da < db ? -1 : da > db;
		return 0;
	}
	if (json_is_string(a) && json_is_string(b)) {
		*cmp = fold_cmp(json_string_value(a), json_string_length(a),
				json_string_value(b), json_string_length(b), fold_case);
		return 0;
	}
	if (json_is_array(a) && json_is_array(b)) {
		size_t na = json_array_size(a), nb = json_array_size(b);
		for (size_t i = 0; i < na && i < nb; i++) {
			int r = mu_ex_compare(json_array_get(a, i), json_array_get(b, i),
					      fold_case, cmp, e);
			if (r != 0 || *cmp != 0)
				return r;
		}
		*cmp = na == nb ? 0 : na < nb ? -1 : 1;
		return 0;
	}
	return mu_err_set(e, MU_E_ARG, "cannot compare '%s' with '%s'",
			  mu_ex_typename(a), mu_ex_typename(b));
}

bool mu_ex_utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = u[i];
		size_t n;
		unsigned long cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return false;
		for (size_t k = 1; k <= n; k++) {
			if (i + k >= len || (u[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (u[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

size_t mu_ex_utf8_len(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

size_t mu_ex_utf8_off(const char *s, size_t len, size_t idx)
{
	size_t i = 0, n = 0;

	while (i < len) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (n == idx)
				return i;
			n++;
		}
		i++;
	}
	return len;
}

int mu_ex_column(const char *src, size_t pos)
{
	return (int)mu_ex_utf8_len(src, pos) + 1;
}

void mu_ex_snippet(const char *src, size_t pos, size_t end, char *buf, size_t size)
{
	size_t max = 60, n = end > pos ? end - pos : 0, k = 0;
	bool cut = false;

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)src[pos + n] & 0xc0) == 0x80)
			n--;
		cut = true;
	}
	for (size_t i = 0; i < n && k + 4 < size; i++) {
		char c = src[pos + i];
		buf[k++] = (char)((c == '\n' || c == '\r' || c == '\t') ? ' ' : c);
	}
	if (cut && k + 4 < size) {
		memcpy(buf + k, "...", 3);
		k += 3;
	}
	buf[k] = '\0';
}

void mu_ex_err_prefix(struct mu_err *e, const char *prefix)
{
	size_t pl = strlen(prefix), ml = strlen(e->msg), cap = sizeof(e->msg) - 1;

	if (pl > cap)
		pl = cap;
	if (pl + ml > cap)
		ml = cap - pl;
	memmove(e->msg + pl, e->msg, ml);
	memcpy(e->msg, prefix, pl);
	e->msg[pl + ml] = '\0';
}

void mu_ex_finder_init(struct mu_ex_finder *f, const char *pat, size_t m)
{
	size_t k = 0;

	f->pat = pat;
	f->m = m;
	f->fail = mu_xcalloc(m + 1, sizeof(*f->fail));
	for (size_t i = 1; i < m; i++) {
		while (k > 0 && pat[i] != pat[k])
			k = f->fail[k - 1];
		if (pat[i] == pat[k])
			k++;
		f->fail[i] = k;
	}
}

size_t mu_ex_finder_next(const struct mu_ex_finder *f, const char *s, size_t n, size_t from)
{
	size_t j = 0;

	if (f->m == 0)
		return from <= n ? from : SIZE_MAX;
	for (size_t i = from; i < n; i++) {
		while (j > 0 && s[i] != f->pat[j])
			j = f->fail[j - 1];
		if (s[i] == f->pat[j])
			j++;
		if (j == f->m)
			return i + 1 - f->m;
	}
	return SIZE_MAX;
}

void mu_ex_finder_release(struct mu_ex_finder *f)
{
	free(f->fail);
	f->fail = NULL;
}
