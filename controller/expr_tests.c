/*
 * The tests of the expression language (`x is defined`, `r is changed`,
 * select('odd')): one table, one small function each. A test whose flags
 * carry MU_EXF_UNDEF is called with subj NULL for an undefined value.
 */
#include "expr_int.h"

#include <math.h>
#include <string.h>

static int t_defined(struct mu_ex_ev *ev, const json_t *s, json_t *const *a, bool *res)
{
	(void)a;
	if (!s)
		mu_err_clear(ev->e);
	*res = s != NULL;
	return 0;
}

static int t_undefined(struct mu_ex_ev *ev, const json_t *s, json_t *const *a, bool *res)
{
	(void)a;
	if (!s)
		mu_err_clear(ev->e);
	*res = s == NULL;
	return 0;
}

#define TYPE_TEST(fn, expr) \
	static int fn(struct mu_ex_ev *ev, const json_t *s, json_t *const *a, bool *res) \
	{ \
		(void)ev, (void)a; \
		*res = (expr); \
		return 0; \
	}

TYPE_TEST(t_none, json_is_null(s))
TYPE_TEST(t_boolean, json_is_boolean(s))
TYPE_TEST(t_true, json_is_true(s))
TYPE_TEST(t_false, json_is_false(s))
TYPE_TEST(t_string, json_is_string(s))
TYPE_TEST(t_number, json_is_number(s))
TYPE_TEST(t_integer, json_is_integer(s))
TYPE_TEST(t_float, json_is_real(s))
TYPE_TEST(t_mapping, json_is_object(s))
TYPE_TEST(t_sequence, json_is_array(s) || json_is_object(s) || json_is_string(s))
#undef TYPE_TEST

static int int_of(struct mu_ex_ev *ev, const char *tname, const json_t *v, json_int_t *out)
{
	bool is_int;
	double d;

	if (!mu_ex_num(v, &is_int, out, &d) || (!is_int && d != floor(d)))
		return mu_err_set(ev->e, MU_E_ARG, "test '%s' expects an integer, got '%s'",
				  tname, mu_ex_typename(v));
	if (!is_int) {
		if (d < -9.2e18 || d > 9.2e18)
			return mu_err_set(ev->e, MU_E_ARG, "test '%s': number out of range", tname);
		*out = (json_int_t)d;
	}
	return 0;
}

static int t_even(struct mu_ex_ev *ev, const json_t *s, json_t *const *a, bool *res)
{
	json_int_t i;

	(void)a;
	if (int_of(ev, "even", s, &i) != 0)
		return MU_E_ARG;
	*res = i % 2 == 0;
	return 0;
}

static int t_odd(struct mu_ex_ev *ev, const json_t *s, json_t *const *a, bool *res)
{
	json_int_t i;

	(void)a;
	if (int_of(ev, "odd", s, &i) != 0)
		return MU_E_ARG;
	*res = i % 2 != 0;
	return 0;
}

static int t_divisibleby(struct mu_ex_ev *ev, const json_t *s, json_t *const *a, bool *res)
{
	json_int_t i, d;

	if (int_of(ev, "divisibleby", s, &i) != 0 || int_of(ev, "divisibleby", a[0], &d) != 0)
		return MU_E_ARG;
	if (d == 0)
		return mu_err_set(ev->e, MU_E_ARG, "test 'divisibleby': division by zero");
	*res = d == -1 || i % d == 0;
	return 0;
}

static int t_eq(struct mu_ex_ev *ev, const json_t *s, json_t *const *a, bool *res)
{
	(void)ev;
	*res = mu_ex_equal(s, a[0]);
	return 0;
}

static int t_ne(struct mu_ex_ev *ev, const json_t *s, json_t *const *a, bool *res)
{
	(void)ev;
	*res = !mu_ex_equal(s, a[0]);
	return 0;
}

static int ordered(struct mu_ex_ev *ev, const json_t *s, const json_t *o, int *c)
{
	return mu_ex_compare(s, o, false, c, ev->e);
}

static int t_lt(struct mu_ex_ev *ev, const json_t *s, json_t *const *a, bool *res)
{
	int c, r = ordered(ev, s, a[0], &c);
	*res = r == 0 && c < 0;
	return r;
}

static int t_le(struct mu_ex_ev *ev, const json_t *s, json_t *const *a, bool *res)
{
	int c, r = ordered(ev, s, a[0], &c);
	*res = r == 0 && c <= 0;
	return r;
}

static int t_gt(struct mu_ex_ev *ev, const json_t *s, json_t *const *a, bool *res)
{
	int c, r = ordered(ev, s, a[0], &c);
	*res = r == 0 && c > 0;
	return r;
}

static int t_ge(struct mu_ex_ev *ev, const json_t *s, json_t *const *a, bool *res)
{
	int c, r = ordered(ev, s, a[0], &c);
	*res = r == 0 && c >= 0;
	return r;
}

/* `x is in seq` and `seq is contains x` */
static int member(struct mu_ex_ev *ev, const char *tname, const json_t *needle,
		  const json_t *hay, bool *res)
{
	size_t i;
	json_t *x;

	if (json_is_string(hay) && json_is_string(needle)) {
		*res = json_string_length(needle) == 0 ||
		       memmem(json_string_value(hay), json_string_length(hay),
			      json_string_value(needle), json_string_length(needle)) != NULL;
		return 0;
	}
	if (json_is_object(hay)) {
		*res = json_is_string(needle) && json_object_get(hay, json_string_value(needle));
		return 0;
	}
	if (!json_is_array(hay))
		return mu_err_set(ev->e, MU_E_ARG, "test '%s' expects a list, got '%s'",
				  tname, mu_ex_typename(hay));
	*res = false;
	json_array_foreach(hay, i, x)
		if (mu_ex_equal(needle, x)) {
			*res = true;
			break;
		}
	return 0;
}

static int t_in(struct mu_ex_ev *ev, const json_t *s, json_t *const *a, bool *res)
{
	return member(ev, "in", s, a[0], res);
}

static int t_contains(struct mu_ex_ev *ev, const json_t *s, json_t *const *a, bool *res)
{
	return member(ev, "contains", a[0], s, res);
}

/*
 * Registered results: a dict with "status" (ok/changed/failed/skipped) and
 * or the booleans "changed"/"failed"/"skipped"; a looped task's result has
 * "results", a list of those, and counts as changed/failed when any item is.
 */
static bool result_is(const json_t *r, const char *what, int depth)
{
	const json_t *st = json_object_get(r, "status");
	const json_t *flag = json_object_get(r, what);
	const json_t *items = json_object_get(r, "results");
	size_t i;
	json_t *x;

	if (json_is_string(st) && strcmp(json_string_value(st), what) == 0)
		return true;
	if (flag && mu_ex_truthy(flag))
		return true;
	if (depth < 2 && json_is_array(items) && strcmp(what, "skipped") != 0)
		json_array_foreach(items, i, x)
			if (json_is_object(x) && result_is(x, what, depth + 1))
				return true;
	if (depth < 2 && json_is_array(items) && strcmp(what, "skipped") == 0 &&
	    json_array_size(items) > 0) {
		/* a loop is skipped only when every item was */
		json_array_foreach(items, i, x)
			if (!json_is_object(x) || !result_is(x, what, depth + 1))
				return false;
		return true;
	}
	return false;
}

static int need_result(struct mu_ex_ev *ev, const char *tname, const json_t *s)
{
	if (!json_is_object(s))
		return mu_err_set(ev->e, MU_E_ARG,
				  "test '%s' expects a registered task result (a dict), got '%s'",
				  tname, mu_ex_typename(s));
	return 0;
}

static int t_failed(struct mu_ex_ev *ev, const json_t *s, json_t *const *a, bool *res)
{
	(void)a;
	if (need_result(ev, "failed", s) != 0)
		return MU_E_ARG;
	*res = result_is(s, "failed", 0);
	return 0;
}

static int t_succeeded(struct mu_ex_ev *ev, const json_t *s, json_t *const *a, bool *res)
{
	(void)a;
	if (need_result(ev, "succeeded", s) != 0)
		return MU_E_ARG;
	*res = !result_is(s, "failed", 0);
	return 0;
}

static int t_changed(struct mu_ex_ev *ev, const json_t *s, json_t *const *a, bool *res)
{
	(void)a;
	if (need_result(ev, "changed", s) != 0)
		return MU_E_ARG;
	*res = result_is(s, "changed", 0);
	return 0;
}

static int t_skipped(struct mu_ex_ev *ev, const json_t *s, json_t *const *a, bool *res)
{
	(void)a;
	if (need_result(ev, "skipped", s) != 0)
		return MU_E_ARG;
	*res = result_is(s, "skipped", 0);
	return 0;
}

static const struct mu_ex_test tests[] = {
	{ "defined", 0, MU_EXF_UNDEF, t_defined },
	{ "undefined", 0, MU_EXF_UNDEF, t_undefined },
	{ "none", 0, 0, t_none },
	{ "boolean", 0, 0, t_boolean },
	{ "true", 0, 0, t_true },
	{ "false", 0, 0, t_false },
	{ "string", 0, 0, t_string },
	{ "number", 0, 0, t_number },
	{ "integer", 0, 0, t_integer },
	{ "float", 0, 0, t_float },
	{ "mapping", 0, 0, t_mapping },
	{ "sequence", 0, 0, t_sequence },
	{ "iterable", 0, 0, t_sequence },
	{ "even", 0, 0, t_even },
	{ "odd", 0, 0, t_odd },
	{ "divisibleby", 1, 0, t_divisibleby },
	{ "eq", 1, 0, t_eq },
	{ "equalto", 1, 0, t_eq },
	{ "==", 1, 0, t_eq },
	{ "ne", 1, 0, t_ne },
	{ "!=", 1, 0, t_ne },
	{ "lt", 1, 0, t_lt },
	{ "lessthan", 1, 0, t_lt },
	{ "<", 1, 0, t_lt },
	{ "le", 1, 0, t_le },
	{ "<=", 1, 0, t_le },
	{ "gt", 1, 0, t_gt },
	{ "greaterthan", 1, 0, t_gt },
	{ ">", 1, 0, t_gt },
	{ "ge", 1, 0, t_ge },
	{ ">=", 1, 0, t_ge },
	{ "in", 1, 0, t_in },
	{ "contains", 1, 0, t_contains },
	{ "failed", 0, 0, t_failed },
	{ "failure", 0, 0, t_failed },
	{ "succeeded", 0, 0, t_succeeded },
	{ "success", 0, 0, t_succeeded },
	{ "successful", 0, 0, t_succeeded },
	{ "changed", 0, 0, t_changed },
	{ "change", 0, 0, t_changed },
	{ "skipped", 0, 0, t_skipped },
	{ "skip", 0, 0, t_skipped },
};

const struct mu_ex_test *mu_ex_test_find(const char *name)
{
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (strcmp(tests[i].name, name) == 0)
			return &tests[i];
	return NULL;
}

const char *const *mu_ex_test_names(void)
{
	static const char *names[sizeof(tests) / sizeof(tests[0]) + 1];

	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		names[i] = tests[i].name;
	return names;
}

int mu_ex_test_call(struct mu_ex_ev *ev, const struct mu_ex_test *t, const json_t *subj,
		    json_t *const *argv, size_t n, bool *res)
{
	if (n != t->nargs)
		return mu_err_set(ev->e, MU_E_ARG, "test '%s' takes %u argument%s, %zu given",
				  t->name, t->nargs, t->nargs == 1 ? "" : "s", n);
	if (!subj && !(t->flags & MU_EXF_UNDEF))
		return ev->e->code = MU_E_NOTFOUND;
	return t->fn(ev, subj, argv, res);
}
