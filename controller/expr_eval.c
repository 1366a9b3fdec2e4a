/*
 * The expression evaluator: walks the AST with Python's semantics for the
 * operators. A missing variable, key or attribute is not an error at once:
 * it yields MU_EX_UNDEF (with the message in ev->e) so that default(),
 * `is defined` and attribute chains (`a.b.c | default(1)`) can absorb it;
 * every other consumer turns it into MU_E_NOTFOUND.
 */
#include "expr_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int undef(struct mu_ex_ev *ev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int undef(struct mu_ex_ev *ev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mu_err_setv(ev->e, MU_E_NOTFOUND, fmt, ap);
	va_end(ap);
	return MU_EX_UNDEF;
}

int mu_ex_eval_value(struct mu_ex_ev *ev, const struct mu_ex_node *n, json_t **out)
{
	int r = mu_ex_eval(ev, n, out);

	if (r == MU_EX_UNDEF)
		return ev->e->code = MU_E_NOTFOUND;
	return r;
}

bool mu_ex_is_var_ref(const struct mu_ex_node *n)
{
	while (n->kind == NK_ATTR || n->kind == NK_INDEX)
		n = n->kid[0];
	return n->kind == NK_NAME;
}

json_t *mu_ex_getitem(const json_t *v, const json_t *key)
{
	if (json_is_object(v)) {
		char num[32];
		if (json_is_string(key))
			return json_object_get(v, json_string_value(key));
		if (json_is_integer(key)) {
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(key));
			return json_object_get(v, num);
		}
		return NULL;
	}
	if (json_is_array(v) && json_is_integer(key)) {
		json_int_t i = json_integer_value(key), n = (json_int_t)json_array_size(v);
		if (i < 0)
			i += n;
		if (i < 0 || i >= n)
			return NULL;
		return json_array_get(v, (size_t)i);
	}
	return NULL;
}

static void snip(struct mu_ex_ev *ev, const struct mu_ex_node *n, char *buf, size_t size)
{
	mu_ex_snippet(ev->src, n->pos, n->end, buf, size);
}

static int eval_attr(struct mu_ex_ev *ev, const struct mu_ex_node *n, json_t **out)
{
	json_t *base = NULL, *x;
	char s[80];
	int r;

	if ((r = mu_ex_eval(ev, n->kid[0], &base)) != 0)
		return r;
	x = json_is_object(base) ? json_object_get(base, n->name) : NULL;
	if (!x) {
		snip(ev, n->kid[0], s, sizeof(s));
		json_decref(base);
		return undef(ev, "'%s' has no attribute '%s'", s, n->name);
	}
	*out = json_incref(x);
	json_decref(base);
	return 0;
}

static int eval_index(struct mu_ex_ev *ev, const struct mu_ex_node *n, json_t **out)
{
	json_t *base = NULL, *key = NULL, *x;
	struct mu_buf kr = MU_BUF_INIT;
	char s[80];
	int r;

	if ((r = mu_ex_eval(ev, n->kid[0], &base)) != 0)
		return r;
	if ((r = mu_ex_eval_value(ev, n->kid[1], &key)) != 0)
		goto out;
	if (json_is_string(base) && json_is_integer(key)) {
		const char *sv = json_string_value(base);
		size_t len = json_string_length(base);
		json_int_t i = json_integer_value(key), cn = (json_int_t)mu_ex_utf8_len(sv, len);
		if (i < 0)
			i += cn;
		if (i >= 0 && i < cn) {
			size_t a = mu_ex_utf8_off(sv, len, (size_t)i);
			size_t b = mu_ex_utf8_off(sv, len, (size_t)i + 1);
			*out = mu_ex_string(sv + a, b - a);
			r = 0;
			goto out;
		}
	} else if ((x = mu_ex_getitem(base, key))) {
		*out = json_incref(x);
		r = 0;
		goto out;
	}
	snip(ev, n->kid[0], s, sizeof(s));
	mu_ex_repr(key, &kr);
	if (json_is_object(base))
		r = undef(ev, "'%s' has no key %s", s, kr.buf);
	else if ((json_is_array(base) || json_is_string(base)) && json_is_integer(key))
		r = undef(ev, "index %s is out of range for '%s'", kr.buf, s);
	else
		r = undef(ev, "'%s' of type '%s' has no item %s", s, mu_ex_typename(base), kr.buf);
out:
	mu_buf_release(&kr);
	json_decref(base);
	json_decref(key);
	return r;
}

/* Python's slice index adjustment. */
static void slice_adjust(json_int_t len, json_int_t *start, json_int_t *stop, json_int_t step,
			 bool has_start, bool has_stop)
{
	if (step > 0) {
		if (!has_start)
			*start = 0;
		if (!has_stop)
			*stop = len;
	} else {
		if (!has_start)
			*start = len - 1;
		if (!has_stop)
			*stop = -len - 1;
	}
	json_int_t *v[2] = { start, stop };
	for (int k = 0; k < 2; k++) {
		if (*v[k] < 0) {
			*v[k] += len;
			if (*v[k] < 0)
				*v[k] = step < 0 ? -1 : 0;
		} else if (*v[k] >= len) {
			*v[k] = step < 0 ? len - 1 : len;
		}
	}
}

static int eval_slice(struct mu_ex_ev *ev, const struct mu_ex_node *n, json_t **out)
{
	json_t *base = NULL, *part[3] = { NULL, NULL, NULL };
	json_int_t v[3] = { 0, 0, 1 }, len;
	bool has[3] = { false, false, false };
	size_t *offs = NULL;
	int r;

	if ((r = mu_ex_eval_value(ev, n->kid[0], &base)) != 0)
		return r;
	for (int k = 0; k < 3; k++) {
		if (!n->kid[k + 1])
			continue;
		if ((r = mu_ex_eval_value(ev, n->kid[k + 1], &part[k])) != 0)
			goto out;
		if (json_is_null(part[k]))
			continue;
		if (!json_is_integer(part[k])) {
			r = mu_err_set(ev->e, MU_E_ARG, "slice indices must be integers, not '%s'",
				       mu_ex_typename(part[k]));
			goto out;
		}
		v[k] = json_integer_value(part[k]);
		has[k] = true;
	}
	if (v[2] == 0) {
		r = mu_err_set(ev->e, MU_E_ARG, "slice step cannot be zero");
		goto out;
	}
	if (json_is_array(base)) {
		len = (json_int_t)json_array_size(base);
	} else if (json_is_string(base)) {
		const char *s = json_string_value(base);
		size_t bl = json_string_length(base);
		len = (json_int_t)mu_ex_utf8_len(s, bl);
		offs = mu_xcalloc((size_t)len + 1, sizeof(*offs));
		for (json_int_t i = 0; i <= len; i++)
			offs[i] = mu_ex_utf8_off(s, bl, (size_t)i);
	} else {
		r = mu_err_set(ev->e, MU_E_ARG, "'%s' object cannot be sliced", mu_ex_typename(base));
		goto out;
	}
	slice_adjust(len, &v[0], &v[1], v[2], has[0], has[1]);
	if (json_is_array(base)) {
		*out = json_array();
		for (json_int_t i = v[0]; v[2] > 0 ? i < v[1] : i > v[1];) {
			json_array_append(*out, json_array_get(base, (size_t)i));
			if (__builtin_add_overflow(i, v[2], &i))
				break;
		}
	} else {
		struct mu_buf b = MU_BUF_INIT;
		const char *s = json_string_value(base);
		for (json_int_t i = v[0]; v[2] > 0 ? i < v[1] : i > v[1];) {
			mu_buf_add(&b, s + offs[i], offs[i + 1] - offs[i]);
			if (__builtin_add_overflow(i, v[2], &i))
				break;
		}
		*out = mu_ex_string_buf(&b);
	}
	r = 0;
out:
	free(offs);
	json_decref(base);
	for (int k = 0; k < 3; k++)
		json_decref(part[k]);
	return r;
}

static int eval_list(struct mu_ex_ev *ev, const struct mu_ex_node *n, json_t **out)
{
	json_t *a = json_array(), *x;
	int r;

	for (size_t i = 0; i < n->nkid; i++) {
		if ((r = mu_ex_eval_value(ev, n->kid[i], &x)) != 0) {
			json_decref(a);
			return r;
		}
		json_array_append_new(a, x);
	}
	*out = a;
	return 0;
}

static int eval_dict(struct mu_ex_ev *ev, const struct mu_ex_node *n, json_t **out)
{
	json_t *d = json_object(), *k = NULL, *v = NULL;
	int r;

	for (size_t i = 0; i + 1 < n->nkid; i += 2) {
		if ((r = mu_ex_eval_value(ev, n->kid[i], &k)) != 0)
			goto fail;
		if (json_is_integer(k)) {
			json_t *ks = NULL;
			mu_ex_to_string(k, &ks, ev->e);
			json_decref(k);
			k = ks;
		}
		if (!json_is_string(k)) {
			r = mu_err_set(ev->e, MU_E_ARG, "dict keys must be strings, not '%s'",
				       mu_ex_typename(k));
			goto fail;
		}
		if ((r = mu_ex_eval_value(ev, n->kid[i + 1], &v)) != 0)
			goto fail;
		json_object_setn_new_nocheck(d, json_string_value(k), json_string_length(k), v);
		json_decref(k);
		k = v = NULL;
	}
	*out = d;
	return 0;
fail:
	json_decref(k);
	json_decref(d);
	return r;
}

static int optype_err(struct mu_ex_ev *ev, const char *op, const json_t *a, const json_t *b)
{
	return mu_err_set(ev->e, MU_E_ARG, "unsupported operand types for %s: '%s' and '%s'",
			  op, mu_ex_typename(a), mu_ex_typename(b));
}

/* Repeat a string or list `times` times (str * int, list * int). */
static int repeat(struct mu_ex_ev *ev, const json_t *seq, json_int_t times, json_t **out)
{
	/* a list's items are shared, not copied: count their weight */
	size_t unit = json_is_string(seq) ? json_string_length(seq) : mu_ex_weight(seq, MU_EX_MAX_WEIGHT);
	size_t max = json_is_string(seq) ? MU_EX_MAX_STR : MU_EX_MAX_WEIGHT;

	if (times < 0 || (json_is_array(seq) && json_array_size(seq) == 0) ||
	    (json_is_string(seq) && unit == 0))
		times = 0;
	if (unit && (size_t)times > max / unit)
		return mu_err_set(ev->e, MU_E_TOOBIG, "result of repetition too large");
	if (json_is_string(seq)) {
		size_t total = unit * (size_t)times, have = unit;
		char *buf = mu_xmalloc(total + 1);

		/* double the filled part each round */
		if (total)
			memcpy(buf, json_string_value(seq), unit);
		while (have < total) {
			size_t n = have < total - have ? have : total - have;
			memcpy(buf + have, buf, n);
			have += n;
		}
		*out = mu_ex_string(buf, total);
		free(buf);
	} else {
		*out = json_array();
		for (json_int_t i = 0; i < times; i++)
			json_array_extend(*out, (json_t *)seq);
	}
	return 0;
}

static int int_pow(struct mu_ex_ev *ev, json_int_t b, json_int_t x, json_t **out)
{
	json_int_t r = 1;

	while (x > 0) {
		if (x & 1) {
			if (__builtin_mul_overflow(r, b, &r))
				return mu_err_set(ev->e, MU_E_ARG, "integer overflow in '**'");
		}
		x >>= 1;
		if (x && __builtin_mul_overflow(b, b, &b))
			return mu_err_set(ev->e, MU_E_ARG, "integer overflow in '**'");
	}
	*out = json_integer(r);
	return 0;
}

static int arith(struct mu_ex_ev *ev, int op, const json_t *a, const json_t *b, json_t **out)
{
	static const char *const names[] = {
		[TK_ADD] = "+", [TK_SUB] = "-", [TK_MUL] = "*", [TK_DIV] = "/",
		[TK_FDIV] = "//", [TK_MOD] = "%", [TK_POW] = "**",
	};
	bool ai, bi;
	json_int_t ia, ib, ir;
	double da, db;

	if (op == TK_TILDE) {
		struct mu_buf s = MU_BUF_INIT;
		if (mu_ex_str(a, &s) != 0 || mu_ex_str(b, &s) != 0) {
			mu_buf_release(&s);
			return mu_err_set(ev->e, MU_E_TOOBIG, "string result too large");
		}
		*out = mu_ex_string_buf(&s);
		return 0;
	}
	if (!mu_ex_num(a, &ai, &ia, &da) || !mu_ex_num(b, &bi, &ib, &db)) {
		if (op == TK_ADD && json_is_string(a) && json_is_string(b)) {
			struct mu_buf s = MU_BUF_INIT;
			if (json_string_length(a) + json_string_length(b) > MU_EX_MAX_STR)
				return mu_err_set(ev->e, MU_E_TOOBIG, "string result too large");
			mu_buf_add(&s, json_string_value(a), json_string_length(a));
			mu_buf_add(&s, json_string_value(b), json_string_length(b));
			*out = mu_ex_string_buf(&s);
			return 0;
		}
		if (op == TK_ADD && json_is_array(a) && json_is_array(b)) {
			if (mu_ex_weight(a, MU_EX_MAX_WEIGHT) + mu_ex_weight(b, MU_EX_MAX_WEIGHT) > MU_EX_MAX_WEIGHT)
				return mu_err_set(ev->e, MU_E_TOOBIG, "list result too large");
			*out = json_array();
			json_array_extend(*out, (json_t *)a);
			json_array_extend(*out, (json_t *)b);
			return 0;
		}
		if (op == TK_MUL && (json_is_string(a) || json_is_array(a)) && json_is_integer(b))
			return repeat(ev, a, json_integer_value(b), out);
		if (op == TK_MUL && (json_is_string(b) || json_is_array(b)) && json_is_integer(a))
			return repeat(ev, b, json_integer_value(a), out);
		if (op == TK_MOD && json_is_string(a))
			return mu_err_set(ev->e, MU_E_ARG,
					  "string formatting with '%%' is not supported (use '~' to join strings)");
		return optype_err(ev, names[op], a, b);
	}
	if (ai && bi) {
		switch (op) {
		case TK_ADD:
			if (__builtin_add_overflow(ia, ib, &ir))
				return mu_err_set(ev->e, MU_E_ARG, "integer overflow in '+'");
			*out = json_integer(ir);
			return 0;
		case TK_SUB:
			if (__builtin_sub_overflow(ia, ib, &ir))
				return mu_err_set(ev->e, MU_E_ARG, "integer overflow in '-'");
			*out = json_integer(ir);
			return 0;
		case TK_MUL:
			if (__builtin_mul_overflow(ia, ib, &ir))
				return mu_err_set(ev->e, MU_E_ARG, "integer overflow in '*'");
			*out = json_integer(ir);
			return 0;
		case TK_FDIV: case TK_MOD:
			if (ib == 0)
				return mu_err_set(ev->e, MU_E_ARG, "integer division or modulo by zero");
			if (ia == INT64_MIN && ib == -1) {
				if (op == TK_MOD) {
					*out = json_integer(0);
					return 0;
				}
				return mu_err_set(ev->e, MU_E_ARG, "integer overflow in '//'");
			}
			{
				json_int_t q = ia / ib, m = ia % ib;
				if (m != 0 && ((m < 0) != (ib < 0))) {
					q--;
					m += ib;
				}
				*out = json_integer(op == TK_FDIV ? q : m);
			}
			return 0;
		case TK_POW:
			if (ib >= 0)
				return int_pow(ev, ia, ib, out);
			break;
		default:
			break;
		}
	}
	switch (op) {
	case TK_ADD: return mu_ex_real(da + db, out, ev->e);
	case TK_SUB: return mu_ex_real(da - db, out, ev->e);
	case TK_MUL: return mu_ex_real(da * db, out, ev->e);
	case TK_DIV:
		if (db == 0)
			return mu_err_set(ev->e, MU_E_ARG, "division by zero");
		return mu_ex_real(da / db, out, ev->e);
	case TK_FDIV:
		if (db == 0)
			return mu_err_set(ev->e, MU_E_ARG, "float floor division by zero");
		return mu_ex_real(floor(da / db), out, ev->e);
	case TK_MOD: {
		double m;
		if (db == 0)
			return mu_err_set(ev->e, MU_E_ARG, "float modulo by zero");
		m = fmod(da, db);
		if (m != 0 && ((m < 0) != (db < 0)))
			m += db;
		return mu_ex_real(m, out, ev->e);
	}
	case TK_POW:
		if (da == 0 && db < 0)
			return mu_err_set(ev->e, MU_E_ARG, "zero cannot be raised to a negative power");
		if (da < 0 && db != floor(db))
			return mu_err_set(ev->e, MU_E_ARG, "negative number cannot be raised to a fractional power");
		return mu_ex_real(pow(da, db), out, ev->e);
	}
	return mu_err_set(ev->e, MU_E_INTERNAL, "unknown operator");
}

/* `a in b`: substring, list member, dict key. */
static int contains(struct mu_ex_ev *ev, const json_t *needle, const json_t *hay, bool *res)
{
	if (json_is_string(hay)) {
		if (!json_is_string(needle))
			return mu_err_set(ev->e, MU_E_ARG,
					  "'in <string>' requires a string as left operand, not '%s'",
					  mu_ex_typename(needle));
		*res = memmem(json_string_value(hay), json_string_length(hay),
			      json_string_value(needle), json_string_length(needle)) != NULL ||
		       json_string_length(needle) == 0;
		return 0;
	}
	if (json_is_array(hay)) {
		size_t i;
		json_t *x;
		*res = false;
		json_array_foreach(hay, i, x)
			if (mu_ex_equal(needle, x)) {
				*res = true;
				break;
			}
		return 0;
	}
	if (json_is_object(hay)) {
		*res = json_is_string(needle) && json_object_get(hay, json_string_value(needle));
		return 0;
	}
	return mu_err_set(ev->e, MU_E_ARG, "argument of type '%s' is not iterable",
			  mu_ex_typename(hay));
}

static int compare_op(struct mu_ex_ev *ev, int op, const json_t *a, const json_t *b, bool *res)
{
	static const char *const names[] = {
		[CMP_LT] = "<", [CMP_LE] = "<=", [CMP_GT] = ">", [CMP_GE] = ">=",
	};
	int c, r;

	switch (op) {
	case CMP_EQ: *res = mu_ex_equal(a, b); return 0;
	case CMP_NE: *res = !mu_ex_equal(a, b); return 0;
	case CMP_IN: return contains(ev, a, b, res);
	case CMP_NOTIN:
		r = contains(ev, a, b, res);
		*res = !*res;
		return r;
	default:
		break;
	}
	if (mu_ex_compare(a, b, false, &c, ev->e) != 0)
		return mu_err_set(ev->e, MU_E_ARG, "'%s' not supported between '%s' and '%s'",
				  names[op], mu_ex_typename(a), mu_ex_typename(b));
	switch (op) {
	case CMP_LT: *res = c < 0; break;
	case CMP_LE: *res = c <= 0; break;
	case CMP_GT: *res = c > 0; break;
	default: *res = c >= 0; break;
	}
	return 0;
}

static int eval_cmp(struct mu_ex_ev *ev, const struct mu_ex_node *n, json_t **out)
{
	json_t *l = NULL, *r = NULL;
	bool res = true;
	int rc;

	if ((rc = mu_ex_eval_value(ev, n->kid[0], &l)) != 0)
		return rc;
	for (size_t i = 1; i < n->nkid && res; i++) {
		if ((rc = mu_ex_eval_value(ev, n->kid[i], &r)) != 0)
			goto out;
		if ((rc = compare_op(ev, n->ops[i - 1], l, r, &res)) != 0)
			goto out;
		json_decref(l);
		l = r;
		r = NULL;
	}
	*out = json_boolean(res);
	rc = 0;
out:
	json_decref(l);
	json_decref(r);
	return rc;
}

/* Evaluate the arguments of a call node (kids 1..n-1). */
static int eval_args(struct mu_ex_ev *ev, const struct mu_ex_node *n, size_t from, json_t ***out)
{
	size_t cnt = n->nkid - from;
	json_t **a = mu_xcalloc(cnt + 1, sizeof(*a));
	int r;

	for (size_t i = 0; i < cnt; i++)
		if ((r = mu_ex_eval_value(ev, n->kid[from + i], &a[i])) != 0) {
			for (size_t k = 0; k < i; k++)
				json_decref(a[k]);
			free(a);
			return r;
		}
	*out = a;
	return 0;
}

static void free_args(json_t **a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(a[i]);
	free(a);
}

/*
 * The value a filter or test applies to. Undefined is an error unless the
 * filter or test takes it (default, is defined): then *subj is NULL.
 */
static int eval_subject(struct mu_ex_ev *ev, const struct mu_ex_node *n, unsigned flags,
			json_t **subj)
{
	int r = mu_ex_eval(ev, n->kid[0], subj);

	if (r == MU_EX_UNDEF && (flags & MU_EXF_UNDEF)) {
		*subj = NULL;
		return 0;
	}
	if (r == MU_EX_UNDEF)
		return ev->e->code = MU_E_NOTFOUND;
	return r;
}

static int eval_filter(struct mu_ex_ev *ev, const struct mu_ex_node *n, json_t **out)
{
	json_t *subj = NULL, **args = NULL;
	int r;

	if ((r = eval_subject(ev, n, n->filter->flags, &subj)) != 0)
		return r;
	if ((r = eval_args(ev, n, 1, &args)) != 0)
		goto out;
	r = mu_ex_filter_call(ev, n->filter, subj, args, n->kw ? n->kw + 1 : NULL,
			      n->nkid - 1, out);
out:
	if (args)
		free_args(args, n->nkid - 1);
	json_decref(subj);
	return r;
}

static int eval_test(struct mu_ex_ev *ev, const struct mu_ex_node *n, json_t **out)
{
	json_t *subj = NULL, **args = NULL;
	bool res = false;
	int r;

	if ((r = eval_subject(ev, n, n->test->flags, &subj)) != 0)
		return r;
	if ((r = eval_args(ev, n, 1, &args)) != 0)
		goto out;
	if ((r = mu_ex_test_call(ev, n->test, subj, args, n->nkid - 1, &res)) != 0)
		goto out;
	*out = json_boolean(n->op ? !res : res);
out:
	if (args)
		free_args(args, n->nkid - 1);
	json_decref(subj);
	return r;
}

static int eval_range(struct mu_ex_ev *ev, const struct mu_ex_node *n, json_t **out)
{
	json_t **args = NULL;
	json_int_t v[3] = { 0, 0, 1 };
	size_t cnt = n->nkid;
	int r;

	if ((r = eval_args(ev, n, 0, &args)) != 0)
		return r;
	for (size_t i = 0; i < cnt; i++)
		if (!json_is_integer(args[i])) {
			r = mu_err_set(ev->e, MU_E_ARG, "range() arguments must be integers, not '%s'",
				       mu_ex_typename(args[i]));
			goto out;
		}
	if (cnt == 1) {
		v[1] = json_integer_value(args[0]);
	} else {
		v[0] = json_integer_value(args[0]);
		v[1] = json_integer_value(args[1]);
		if (cnt == 3)
			v[2] = json_integer_value(args[2]);
	}
	if (v[2] == 0) {
		r = mu_err_set(ev->e, MU_E_ARG, "range() step must not be zero");
		goto out;
	}
	{
		/* count without overflow: the span fits in long double comfortably */
		long double span = v[2] > 0 ? (long double)v[1] - v[0] : (long double)v[0] - v[1];
		long double step = v[2] > 0 ? v[2] : -(long double)v[2];
		if (span > 0 && span / step > (long double)MU_EX_MAX_ITEMS) {
			r = mu_err_set(ev->e, MU_E_TOOBIG, "range() result too large");
			goto out;
		}
	}
	*out = json_array();
	for (json_int_t i = v[0]; v[2] > 0 ? i < v[1] : i > v[1];) {
		json_array_append_new(*out, json_integer(i));
		if (__builtin_add_overflow(i, v[2], &i))
			break;
	}
	r = 0;
out:
	free_args(args, cnt);
	return r;
}

int mu_ex_eval(struct mu_ex_ev *ev, const struct mu_ex_node *n, json_t **out)
{
	json_t *a = NULL, *b = NULL, *x;
	int r;

	*out = NULL;
	switch (n->kind) {
	case NK_LIT:
		*out = json_incref(n->lit);
		return 0;
	case NK_NAME:
		x = ev->vars ? json_object_get(ev->vars, n->name) : NULL;
		if (!x)
			return undef(ev, "'%s' is undefined", n->name);
		*out = json_incref(x);
		return 0;
	case NK_ATTR:
		return eval_attr(ev, n, out);
	case NK_INDEX:
		return eval_index(ev, n, out);
	case NK_SLICE:
		return eval_slice(ev, n, out);
	case NK_LIST:
		return eval_list(ev, n, out);
	case NK_DICT:
		return eval_dict(ev, n, out);
	case NK_NOT:
		if ((r = mu_ex_eval_value(ev, n->kid[0], &a)) != 0)
			return r;
		*out = json_boolean(!mu_ex_truthy(a));
		json_decref(a);
		return 0;
	case NK_NEG: case NK_POS: {
		bool is_int;
		json_int_t i;
		double d;

		if ((r = mu_ex_eval_value(ev, n->kid[0], &a)) != 0)
			return r;
		if (!mu_ex_num(a, &is_int, &i, &d)) {
			r = mu_err_set(ev->e, MU_E_ARG, "bad operand type for unary %s: '%s'",
				       n->kind == NK_NEG ? "-" : "+", mu_ex_typename(a));
		} else if (n->kind == NK_POS) {
			*out = is_int ? json_integer(i) : json_real(d);
		} else if (is_int) {
			if (i == INT64_MIN)
				r = mu_err_set(ev->e, MU_E_ARG, "integer overflow in unary -");
			else
				*out = json_integer(-i);
		} else {
			*out = json_real(-d);
		}
		json_decref(a);
		return r;
	}
	case NK_AND: case NK_OR:
		/* Python returns the deciding operand, not a bool */
		if ((r = mu_ex_eval_value(ev, n->kid[0], &a)) != 0)
			return r;
		if (mu_ex_truthy(a) == (n->kind == NK_OR)) {
			*out = a;
			return 0;
		}
		json_decref(a);
		return mu_ex_eval_value(ev, n->kid[1], out);
	case NK_ARITH:
		if ((r = mu_ex_eval_value(ev, n->kid[0], &a)) != 0)
			return r;
		if ((r = mu_ex_eval_value(ev, n->kid[1], &b)) == 0)
			r = arith(ev, n->op, a, b, out);
		json_decref(a);
		json_decref(b);
		return r;
	case NK_CMP:
		return eval_cmp(ev, n, out);
	case NK_FILTER:
		return eval_filter(ev, n, out);
	case NK_TEST:
		return eval_test(ev, n, out);
	case NK_COND:
		if ((r = mu_ex_eval_value(ev, n->kid[1], &a)) != 0)
			return r;
		r = mu_ex_eval(ev, n->kid[mu_ex_truthy(a) ? 0 : 2], out);
		json_decref(a);
		return r;
	case NK_RANGE:
		return eval_range(ev, n, out);
	}
	return mu_err_set(ev->e, MU_E_INTERNAL, "unknown expression node");
}
