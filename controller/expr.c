/*
 * The public face of the expression language (expr.h): parse once, evaluate
 * many times, and the condition forms used by when:/changed_when:/
 * failed_when:. The work is done in expr_lex.c, expr_parse.c, expr_eval.c,
 * expr_filters.c and expr_tests.c.
 */
#include "expr.h"
#include "expr_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mu_expr {
	char *src;
	struct mu_ex_node *root;
};

int mu_ex_fail_at(struct mu_err *e, const char *src, size_t pos, int *col)
{
	int c = mu_ex_column(src, pos);

	if (col) {
		*col = c;
	} else {
		size_t n = strlen(e->msg);
		snprintf(e->msg + n, sizeof(e->msg) - n, " at column %d", c);
	}
	return e->code;
}

/* Checks every source goes through before the lexer sees it. */
static int check_source(const char *src, size_t len, size_t *errpos, struct mu_err *e)
{
	if (len > MU_EX_MAX_SRC) {
		*errpos = 0;
		return mu_err_set(e, MU_E_PARSE, "expression too long (%zu bytes, limit %zu)",
				  len, MU_EX_MAX_SRC);
	}
	if (!mu_ex_utf8_valid(src, len)) {
		*errpos = 0;
		return mu_err_set(e, MU_E_PARSE, "expression is not valid UTF-8");
	}
	return 0;
}

static int parse_expr_src(const char *src, struct mu_ex_node **out, size_t *errpos,
			  struct mu_err *e)
{
	struct mu_ex_tokens t = { NULL, 0, 0 };
	size_t len = strlen(src);
	int r;

	*out = NULL;
	if ((r = check_source(src, len, errpos, e)) != 0)
		return r;
	if ((r = mu_ex_lex(src, len, 0, false, &t, errpos, e)) == 0)
		r = mu_ex_parse_tokens(src, &t, out, errpos, e);
	mu_ex_tokens_release(&t);
	return r;
}

int mu_expr_parse(const char *src, struct mu_expr **out, struct mu_err *e)
{
	struct mu_err local;
	struct mu_ex_node *root = NULL;
	size_t errpos = 0;

	if (!e)
		e = &local;
	mu_err_clear(e);
	*out = NULL;
	if (parse_expr_src(src, &root, &errpos, e) != 0)
		return mu_ex_fail_at(e, src, errpos, NULL);
	*out = mu_xcalloc(1, sizeof(**out));
	(*out)->src = mu_xstrdup(src);
	(*out)->root = root;
	return 0;
}

void mu_expr_free(struct mu_expr *x)
{
	if (!x)
		return;
	mu_ex_node_free(x->root);
	free(x->src);
	free(x);
}

int mu_expr_eval(const struct mu_expr *x, const json_t *vars, json_t **out, struct mu_err *e)
{
	struct mu_err local;
	struct mu_ex_ev ev;

	if (!e)
		e = &local;
	mu_err_clear(e);
	ev.vars = vars;
	ev.src = x->src;
	ev.e = e;
	*out = NULL;
	return mu_ex_eval_value(&ev, x->root, out);
}

/*
 * The load-time checks: parse with parse(), discard the tree. With want_col
 * the column goes to *col and the message carries none; otherwise the
 * message ends with " at column N".
 */
static int check_with(int (*parse)(const char *, struct mu_ex_node **, size_t *, struct mu_err *),
		      const char *src, bool want_col, int *col, struct mu_err *e)
{
	struct mu_err local;
	struct mu_ex_node *root = NULL;
	size_t errpos = 0;
	int ignored = 0;
	int r;

	if (!e)
		e = &local;
	mu_err_clear(e);
	if (col)
		*col = 0;
	r = parse(src, &root, &errpos, e);
	mu_ex_node_free(root);
	if (r != 0)
		return mu_ex_fail_at(e, src, errpos, want_col ? (col ? col : &ignored) : NULL);
	return 0;
}

int mu_expr_check_col(const char *src, int *col, struct mu_err *e)
{
	return check_with(parse_expr_src, src, true, col, e);
}

int mu_expr_check(const char *src, struct mu_err *e)
{
	return check_with(parse_expr_src, src, false, NULL, e);
}

bool mu_expr_truthy(const json_t *v)
{
	return mu_ex_truthy(v);
}

static bool blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

/* A condition's AST: a bare expression, or one wrapped whole in {{ }}. */
static int parse_cond(const char *src, struct mu_ex_node **out, size_t *errpos, struct mu_err *e)
{
	const char *p = src;
	int r;

	*out = NULL;
	if (blank(src)) {
		*errpos = 0;
		return mu_err_set(e, MU_E_PARSE, "empty condition");
	}
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (strncmp(p, "{{", 2) != 0 && !strstr(p, "{{") && !strstr(p, "{%") && !strstr(p, "{#"))
		return parse_expr_src(src, out, errpos, e);
	r = mu_ex_tmpl_single(src, out, errpos, e);
	if (r == 1) {
		const char *m = strstr(src, "{{");
		if (!m)
			m = strstr(src, "{%");
		if (!m)
			m = strstr(src, "{#");
		*errpos = m ? (size_t)(m - src) : 0;
		return mu_err_set(e, MU_E_PARSE,
				  "a condition is a bare expression: '{{ }}' may only wrap all of it");
	}
	return r;
}

int mu_expr_cond_check_col(const char *src, int *col, struct mu_err *e)
{
	return check_with(parse_cond, src, true, col, e);
}

int mu_expr_cond_check(const char *src, struct mu_err *e)
{
	return check_with(parse_cond, src, false, NULL, e);
}

int mu_expr_cond(const char *src, const json_t *vars, bool *result, struct mu_err *e)
{
	struct mu_err local;
	struct mu_ex_node *root = NULL;
	struct mu_ex_ev ev;
	json_t *v = NULL;
	size_t errpos = 0;
	int r;

	if (!e)
		e = &local;
	mu_err_clear(e);
	*result = false;
	if (parse_cond(src, &root, &errpos, e) != 0)
		return mu_ex_fail_at(e, src, errpos, NULL);
	ev.vars = vars;
	ev.src = src;
	ev.e = e;
	if ((r = mu_ex_eval_value(&ev, root, &v)) != 0)
		goto out;
	/* `when: flag` with flag "no" (from -e or a quoted YAML value) means
	 * false to an Ansible user; read such strings as the bool filter does */
	if (mu_ex_is_var_ref(root) && json_is_string(v) &&
	    mu_ex_str_bool(json_string_value(v), json_string_length(v), result))
		goto out;
	*result = mu_ex_truthy(v);
out:
	json_decref(v);
	mu_ex_node_free(root);
	return r;
}

static int when_one(const json_t *w, const json_t *vars, bool *result, struct mu_err *e)
{
	if (json_is_string(w))
		return mu_expr_cond(json_string_value(w), vars, result, e);
	if (json_is_boolean(w) || json_is_number(w)) {
		*result = mu_ex_truthy(w);
		return 0;
	}
	return mu_err_set(e, MU_E_PARSE, "a condition must be a string or a boolean, not '%s'",
			  mu_ex_typename(w));
}

static int when_check_one(const json_t *w, struct mu_err *e)
{
	if (json_is_string(w))
		return mu_expr_cond_check(json_string_value(w), e);
	if (json_is_boolean(w) || json_is_number(w))
		return 0;
	return mu_err_set(e, MU_E_PARSE, "a condition must be a string or a boolean, not '%s'",
			  mu_ex_typename(w));
}

/* Prefix e's message with "when[i]: ". */
static void prefix_index(struct mu_err *e, size_t i)
{
	char p[40];

	snprintf(p, sizeof(p), "when[%zu]: ", i);
	mu_ex_err_prefix(e, p);
}

int mu_when_eval(const json_t *when, const json_t *vars, bool *result, struct mu_err *e)
{
	struct mu_err local;
	size_t i;
	json_t *w;
	int r;

	if (!e)
		e = &local;
	mu_err_clear(e);
	*result = true;
	if (!when || json_is_null(when))
		return 0;
	if (!json_is_array(when))
		return when_one(when, vars, result, e);
	json_array_foreach(when, i, w) {
		if ((r = when_one(w, vars, result, e)) != 0) {
			prefix_index(e, i);
			*result = false;
			return r;
		}
		if (!*result)
			return 0;
	}
	return 0;
}

int mu_when_check(const json_t *when, struct mu_err *e)
{
	struct mu_err local;
	size_t i;
	json_t *w;
	int r;

	if (!e)
		e = &local;
	mu_err_clear(e);
	if (!when || json_is_null(when))
		return 0;
	if (!json_is_array(when))
		return when_check_one(when, e);
	json_array_foreach(when, i, w) {
		if ((r = when_check_one(w, e)) != 0) {
			prefix_index(e, i);
			return r;
		}
	}
	return 0;
}
