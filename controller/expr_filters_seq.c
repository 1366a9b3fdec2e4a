/*
 * Filters over lists and dicts: length, first/last, join, unique, sort,
 * min/max/sum, flatten, the set filters, dict2items/items2dict, combine,
 * and map/select/reject/selectattr/rejectattr. Arguments arrive bound by
 * parameter (a->p[i], see expr_filters.c), except for the variadic ones.
 */
#include "expr_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		return mu_exf_err(ev, "object of type '%s' has no length", mu_ex_typename(subj));
	return 0;
}

static int f_list(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	(void)a;
	return mu_exf_need_iter(ev, "list", subj, out);
}

static int first_last(struct mu_ex_ev *ev, const char *fname, json_t *subj, bool last, json_t **out)
{
	json_t *l;
	size_t n;
	int r;

	if ((r = mu_exf_need_iter(ev, fname, subj, &l)) != 0)
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
	if ((r = mu_exf_need_iter(ev, "reverse", subj, &l)) != 0)
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
		*key = mu_exf_attr_path(x, json_string_value(attr));
	} else {
		return mu_exf_err(ev, "filter '%s': argument 'attribute' must be a string", fname);
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
	json_t *l, *x, *k = NULL;
	int r;

	if (a->p[0]) {
		if (mu_exf_need_str(ev, "join", "d", a->p[0], &sep) != 0)
			return MU_E_ARG;
		seplen = json_string_length(a->p[0]);
	}
	if ((r = mu_exf_need_iter(ev, "join", subj, &l)) != 0)
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
	bool fold = !mu_exf_opt_bool(a->p[0], false);
	json_t *l, *res, *x, *k = NULL;
	struct hset seen;
	size_t i;
	int r;

	if ((r = mu_exf_need_iter(ev, "unique", subj, &l)) != 0)
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

	if ((r = mu_exf_need_iter(ev, "sort", subj, &l)) != 0)
		return r;
	r = sort_list(ev, "sort", l, a->p[2], !mu_exf_opt_bool(a->p[1], false), mu_exf_opt_bool(a->p[0], false), out);
	json_decref(l);
	return r;
}

static int min_max(struct mu_ex_ev *ev, const char *fname, json_t *subj, struct mu_ex_args *a,
		   bool max, json_t **out)
{
	json_t *l, *best = NULL, *bk = NULL, *x, *k = NULL;
	bool fold = !mu_exf_opt_bool(a->p[0], false);
	size_t i;
	int r, c;

	if ((r = mu_exf_need_iter(ev, fname, subj, &l)) != 0)
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

	if ((r = mu_exf_need_iter(ev, "sum", subj, &l)) != 0)
		return r;
	if (json_is_array(start)) {
		/* sum(start=[]) concatenates lists, as in Python */
		json_t *res = json_copy(start);
		json_array_foreach(l, n, x) {
			if ((r = item_key(ev, "sum", x, a->p[0], &k)) != 0 || !json_is_array(k)) {
				json_decref(res);
				if (r == 0)
					r = mu_exf_err(ev, "filter 'sum': cannot add '%s' to a list", mu_ex_typename(k));
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
			r = mu_exf_err(ev, "filter 'sum': start must be a number or a list");
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
			r = mu_exf_err(ev, "filter 'sum': unsupported operand type '%s'", mu_ex_typename(k));
			goto out;
		}
		if (all_int && is_int) {
			if (__builtin_add_overflow(isum, i, &isum)) {
				r = mu_exf_err(ev, "integer overflow in 'sum'");
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
		return mu_exf_err(ev, "filter 'flatten' expects a list, got '%s'", mu_ex_typename(subj));
	if (a->p[0] && !json_is_null(a->p[0])) {
		if (!json_is_integer(a->p[0]) || json_integer_value(a->p[0]) < 0)
			return mu_exf_err(ev, "filter 'flatten': levels must be a non-negative integer");
		levels = json_integer_value(a->p[0]);
	}
	res = json_array();
	/* jansson bounds nesting depth when parsing; values built here are
	 * bounded by the expression depth, so this recursion is bounded too */
	if (flatten_into(res, subj, levels, mu_exf_opt_bool(a->p[1], true)) != 0) {
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
		return mu_exf_err(ev, "filter '%s' expects two lists, got '%s' and '%s'", fname,
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
	if (a->p[0] && mu_exf_need_str(ev, fname, "key_name", a->p[0], k) != 0)
		return MU_E_ARG;
	if (a->p[1] && mu_exf_need_str(ev, fname, "value_name", a->p[1], v) != 0)
		return MU_E_ARG;
	return 0;
}

static int f_dict2items(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out)
{
	const char *kn, *vn, *k;
	json_t *x;

	if (!json_is_object(subj))
		return mu_exf_err(ev, "filter 'dict2items' expects a dict, got '%s'", mu_ex_typename(subj));
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
		return mu_exf_err(ev, "filter 'items2dict' expects a list, got '%s'", mu_ex_typename(subj));
	if (key_names(ev, "items2dict", a, &kn, &vn) != 0)
		return MU_E_ARG;
	res = json_object();
	json_array_foreach(subj, i, x) {
		json_t *k = json_is_object(x) ? json_object_get(x, kn) : NULL;
		json_t *v = json_is_object(x) ? json_object_get(x, vn) : NULL;
		json_t *ks;

		if (!k || !v) {
			json_decref(res);
			return mu_exf_err(ev, "filter 'items2dict': item %zu lacks '%s' or '%s'", i, kn, vn);
		}
		if (!json_is_string(k) && !json_is_number(k)) {
			json_decref(res);
			return mu_exf_err(ev, "filter 'items2dict': key of item %zu must be a string, not '%s'",
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
		return mu_exf_err(ev, "filter 'combine' expects a dict, got '%s'", mu_ex_typename(subj));
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
				return mu_exf_err(ev, "filter 'combine': list_merge must be 'replace', 'keep', 'append' or 'prepend'");
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
					return mu_exf_err(ev, "filter 'combine' expects dicts, got '%s'", mu_ex_typename(x));
				}
			json_array_foreach(d, j, x)
				merge(res, x, recursive, lm);
		} else if (json_is_object(d)) {
			merge(res, d, recursive, lm);
		} else {
			json_decref(res);
			return mu_exf_err(ev, "filter 'combine' expects dicts, got '%s'", mu_ex_typename(d));
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
			return mu_exf_err(ev, "filter 'map': the filter name must be a string");
		if (!(f = mu_ex_filter_find(json_string_value(a->pos[0]))))
			return mu_exf_err(ev, "unsupported filter '%s'", json_string_value(a->pos[0]));
	} else {
		for (i = 0; i < a->nkw; i++) {
			if (strcmp(a->kwname[i], "attribute") == 0)
				attr = a->kw[i];
			else if (strcmp(a->kwname[i], "default") == 0)
				dflt = a->kw[i];
			else
				return mu_exf_err(ev, "filter 'map' has no argument '%s'", a->kwname[i]);
		}
		if (!attr)
			return mu_exf_err(ev, "filter 'map' needs a filter name or attribute=");
	}
	if ((r = mu_exf_need_iter(ev, "map", subj, &l)) != 0)
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
		return mu_exf_err(ev, "filter '%s' takes no keyword arguments", fname);
	if (by_attr) {
		if (a->npos < 1 || !json_is_string(a->pos[0]))
			return mu_exf_err(ev, "filter '%s' needs an attribute name", fname);
		attr = json_string_value(a->pos[0]);
	}
	if (a->npos > ti) {
		if (!json_is_string(a->pos[ti]))
			return mu_exf_err(ev, "filter '%s': the test name must be a string", fname);
		if (!(t = mu_ex_test_find(json_string_value(a->pos[ti]))))
			return mu_exf_err(ev, "unsupported test '%s'", json_string_value(a->pos[ti]));
		if (a->npos - ti - 1 != t->nargs)
			return mu_exf_err(ev, "test '%s' takes %u argument%s, %zu given", t->name, t->nargs,
				    t->nargs == 1 ? "" : "s", a->npos - ti - 1);
	}
	if ((r = mu_exf_need_iter(ev, fname, subj, &l)) != 0)
		return r;
	res = json_array();
	json_array_foreach(l, i, x) {
		json_t *v = by_attr ? mu_exf_attr_path(x, attr) : x;
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
const struct mu_ex_filter mu_ex_filters_seq[] = {
	{ "combine", P("recursive", "list_merge"), 0, MU_EXF_VARIADIC, f_combine },
	{ "count", { NULL }, 0, 0, f_length },
	{ "dict2items", P("key_name", "value_name"), 0, 0, f_dict2items },
	{ "difference", P("other"), 1, 0, f_difference },
	{ "first", { NULL }, 0, 0, f_first },
	{ "flatten", P("levels", "skip_nulls"), 0, 0, f_flatten },
	{ "intersect", P("other"), 1, 0, f_intersect },
	{ "items2dict", P("key_name", "value_name"), 0, 0, f_items2dict },
	{ "join", P("d", "attribute"), 0, 0, f_join },
	{ "last", { NULL }, 0, 0, f_last },
	{ "length", { NULL }, 0, 0, f_length },
	{ "list", { NULL }, 0, 0, f_list },
	{ "map", { NULL }, 0, MU_EXF_VARIADIC, f_map },
	{ "max", P("case_sensitive", "attribute"), 0, 0, f_max },
	{ "min", P("case_sensitive", "attribute"), 0, 0, f_min },
	{ "reject", { NULL }, 0, MU_EXF_VARIADIC, f_reject },
	{ "rejectattr", { NULL }, 0, MU_EXF_VARIADIC, f_rejectattr },
	{ "reverse", { NULL }, 0, 0, f_reverse },
	{ "select", { NULL }, 0, MU_EXF_VARIADIC, f_select },
	{ "selectattr", { NULL }, 0, MU_EXF_VARIADIC, f_selectattr },
	{ "sort", P("reverse", "case_sensitive", "attribute"), 0, 0, f_sort },
	{ "sum", P("attribute", "start"), 0, 0, f_sum },
	{ "union", P("other"), 1, 0, f_union },
	{ "unique", P("case_sensitive", "attribute"), 0, 0, f_unique },
	{ NULL, { NULL }, 0, 0, NULL },
};
#undef P
