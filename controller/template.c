/*
 * Templated strings (template.h): literal text and `{{ expr }}` parts. The
 * scanner finds each `{{`, hands the rest of the string to the expression
 * lexer in template mode (which stops at the matching `}}`), and refuses
 * `{% %}` and `{# #}` outright, naming them, because a statement we do not
 * run would be a silent mis-run.
 */
#include "template.h"
#include "expr_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct seg {
	size_t pos, len;            /* literal text, or the span of {{ ... }} */
	struct mu_ex_node *expr;    /* NULL for literal text */
};

struct tmpl {
	struct seg *s;
	size_t n, alloc;
};

static void tmpl_release(struct tmpl *t)
{
	for (size_t i = 0; i < t->n; i++)
		mu_ex_node_free(t->s[i].expr);
	free(t->s);
	t->s = NULL;
	t->n = t->alloc = 0;
}

static void add_seg(struct tmpl *t, size_t pos, size_t len, struct mu_ex_node *x)
{
	if (!x && len == 0)
		return;
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 8;
		t->s = mu_xrealloc(t->s, t->alloc * sizeof(*t->s));
	}
	t->s[t->n].pos = pos;
	t->s[t->n].len = len;
	t->s[t->n].expr = x;
	t->n++;
}

static bool ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool mu_template_has_markup(const char *s)
{
	for (const char *p = s; (p = strchr(p, '{')); p++)
		if (p[1] == '{' || p[1] == '%' || p[1] == '#')
			return true;
	return false;
}

/* "{% for x in y %}" -> "for" for the message. */
static void statement_word(const char *s, char *buf, size_t size)
{
	size_t k = 0;

	s += 2;
	if (*s == '-' || *s == '+')
		s++;
	while (ws(*s))
		s++;
	while (k + 1 < size && ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		buf[k++] = *s++;
	buf[k] = '\0';
}

static int tmpl_parse(const char *src, struct tmpl *t, size_t *errpos, struct mu_err *e)
{
	size_t len = strlen(src), p = 0, lit = 0;
	int r;

	if (len > MU_EX_MAX_SRC) {
		*errpos = 0;
		return mu_err_set(e, MU_E_PARSE, "template too long (%zu bytes, limit %zu)",
				  len, MU_EX_MAX_SRC);
	}
	if (!mu_ex_utf8_valid(src, len)) {
		*errpos = 0;
		return mu_err_set(e, MU_E_PARSE, "template is not valid UTF-8");
	}
	while (p + 1 < len) {
		if (src[p] != '{' || (src[p + 1] != '{' && src[p + 1] != '%' && src[p + 1] != '#')) {
			p++;
			continue;
		}
		if (src[p + 1] == '%') {
			char word[32];
			statement_word(src + p, word, sizeof(word));
			*errpos = p;
			if (word[0])
				return mu_err_set(e, MU_E_PARSE,
						  "unsupported template statement '{%% %s %%}' (only {{ }} expressions are supported)",
						  word);
			return mu_err_set(e, MU_E_PARSE,
					  "unsupported template statement '{%% %%}' (only {{ }} expressions are supported)");
		}
		if (src[p + 1] == '#') {
			*errpos = p;
			return mu_err_set(e, MU_E_PARSE,
					  "unsupported template comment '{# #}' (write {{ '{#' }} for a literal '{#')");
		}
		/* {{ */
		size_t open = p, start = p + 2, litend = p;
		bool lstrip = false;
		struct mu_ex_tokens toks = { NULL, 0, 0 };
		struct mu_ex_node *x = NULL;

		if (start < len && (src[start] == '-' || src[start] == '+')) {
			lstrip = src[start] == '-';
			start++;
		}
		if (lstrip)
			while (litend > lit && ws(src[litend - 1]))
				litend--;
		add_seg(t, lit, litend - lit, NULL);
		if ((r = mu_ex_lex(src, len, start, true, &toks, errpos, e)) != 0) {
			mu_ex_tokens_release(&toks);
			return r;
		}
		if (toks.t[toks.n - 1].kind != TK_END) {
			mu_ex_tokens_release(&toks);
			*errpos = open;
			return mu_err_set(e, MU_E_PARSE, "unclosed '{{' (no matching '}}')");
		}
		if ((r = mu_ex_parse_tokens(src, &toks, &x, errpos, e)) != 0) {
			mu_ex_tokens_release(&toks);
			return r;
		}
		p = toks.t[toks.n - 1].end;
		if (toks.t[toks.n - 1].strip)
			while (p < len && ws(src[p]))
				p++;
		add_seg(t, open, toks.t[toks.n - 1].end - open, x);
		mu_ex_tokens_release(&toks);
		lit = p;
	}
	add_seg(t, lit, len - lit, NULL);
	return 0;
}

/* The index of the only expression when every other part is whitespace,
 * else -1. */
static ssize_t single_expr(const char *src, const struct tmpl *t)
{
	ssize_t found = -1;

	for (size_t i = 0; i < t->n; i++) {
		if (t->s[i].expr) {
			if (found >= 0)
				return -1;
			found = (ssize_t)i;
			continue;
		}
		for (size_t k = 0; k < t->s[i].len; k++)
			if (!ws(src[t->s[i].pos + k]))
				return -1;
	}
	return found;
}

int mu_ex_tmpl_single(const char *src, struct mu_ex_node **out, size_t *errpos,
		      struct mu_err *e)
{
	struct tmpl t = { NULL, 0, 0, };
	ssize_t i;
	int r;

	*out = NULL;
	if ((r = tmpl_parse(src, &t, errpos, e)) != 0)
		goto out;
	if ((i = single_expr(src, &t)) < 0) {
		r = 1;
		goto out;
	}
	*out = t.s[i].expr;
	t.s[i].expr = NULL;
out:
	tmpl_release(&t);
	return r;
}

static int render(const char *src, const struct tmpl *t, const json_t *vars, json_t **out,
		  struct mu_err *e)
{
	struct mu_ex_ev ev = { .vars = vars, .src = src, .e = e };
	struct mu_buf b = MU_BUF_INIT;
	ssize_t one = single_expr(src, t);
	json_t *v = NULL;
	int r;

	if (one >= 0)
		return mu_ex_eval_value(&ev, t->s[one].expr, out);
	for (size_t i = 0; i < t->n; i++) {
		if (!t->s[i].expr) {
			mu_buf_add(&b, src + t->s[i].pos, t->s[i].len);
			continue;
		}
		if ((r = mu_ex_eval_value(&ev, t->s[i].expr, &v)) != 0)
			goto out;
		/* Ansible renders None as an empty string inside text */
		r = json_is_null(v) ? 0 : mu_ex_str(v, &b);
		json_decref(v);
		v = NULL;
		if (r != 0 || b.len > MU_EX_MAX_STR) {
			r = mu_err_set(e, MU_E_TOOBIG, "rendered template too large");
			goto out;
		}
	}
	*out = mu_ex_string(b.buf, b.len);
	r = 0;
out:
	mu_buf_release(&b);
	return r;
}

int mu_template_render(const char *src, const json_t *vars, json_t **out, struct mu_err *e)
{
	struct mu_err local;
	struct tmpl t = { NULL, 0, 0 };
	size_t errpos = 0;
	int r;

	if (!e)
		e = &local;
	mu_err_clear(e);
	*out = NULL;
	if (!mu_template_has_markup(src)) {
		size_t len = strlen(src);
		if (!mu_ex_utf8_valid(src, len))
			return mu_err_set(e, MU_E_PARSE, "template is not valid UTF-8");
		*out = mu_ex_string(src, len);
		return 0;
	}
	if ((r = tmpl_parse(src, &t, &errpos, e)) != 0) {
		mu_ex_fail_at(e, src, errpos, NULL);
		goto out;
	}
	r = render(src, &t, vars, out, e);
out:
	tmpl_release(&t);
	return r;
}

int mu_template_render_str(const char *src, const json_t *vars, char **out, struct mu_err *e)
{
	struct mu_buf b = MU_BUF_INIT;
	json_t *v = NULL;
	int r;

	*out = NULL;
	if ((r = mu_template_render(src, vars, &v, e)) != 0)
		return r;
	r = json_is_null(v) ? 0 : mu_ex_str(v, &b);
	json_decref(v);
	if (r != 0) {
		mu_buf_release(&b);
		return mu_err_set(e ? e : &(struct mu_err){ 0 }, MU_E_TOOBIG, "rendered template too large");
	}
	*out = mu_buf_detach(&b, NULL);
	return 0;
}

/* Parse only. The column of an error goes to *col, or when col is NULL
 * into the message (" at column N"). */
static int check_at(const char *src, int *col, struct mu_err *e)
{
	struct mu_err local;
	struct tmpl t = { NULL, 0, 0 };
	size_t errpos = 0;
	int r;

	if (!e)
		e = &local;
	mu_err_clear(e);
	if (col)
		*col = 0;
	r = tmpl_parse(src, &t, &errpos, e);
	tmpl_release(&t);
	if (r != 0)
		return mu_ex_fail_at(e, src, errpos, col);
	return 0;
}

int mu_template_check_col(const char *src, int *col, struct mu_err *e)
{
	int ignored;

	return check_at(src, col ? col : &ignored, e);
}

int mu_template_check(const char *src, struct mu_err *e)
{
	return check_at(src, NULL, e);
}

/* "path: message" for errors inside a deep value. */
static void prefix_path(struct mu_err *e, const struct mu_buf *path)
{
	struct mu_buf p = MU_BUF_INIT;

	if (path->len == 0)
		return;
	mu_buf_addf(&p, "%s: ", path->buf);
	mu_ex_err_prefix(e, p.buf);
	mu_buf_release(&p);
}

static void path_push_key(struct mu_buf *path, const char *key)
{
	if (path->len)
		mu_buf_addch(path, '.');
	mu_buf_addstr(path, key);
}

/* check: out == NULL. The recursion follows the value's nesting, which
 * jansson bounds when it parses and the YAML loader bounds as it builds. */
static int deep(const json_t *in, const json_t *vars, json_t **out, struct mu_buf *path,
		struct mu_err *e)
{
	size_t mark = path->len, i;
	const char *k;
	json_t *x, *y = NULL, *res = NULL;
	int r = 0;

	switch (json_typeof(in)) {
	case JSON_STRING:
		if (!mu_template_has_markup(json_string_value(in))) {
			if (out)
				*out = json_incref((json_t *)in);
			return 0;
		}
		r = out ? mu_template_render(json_string_value(in), vars, out, e)
			: mu_template_check(json_string_value(in), e);
		if (r != 0)
			prefix_path(e, path);
		return r;
	case JSON_ARRAY:
		if (out)
			res = json_array();
		json_array_foreach(in, i, x) {
			mu_buf_addf(path, "[%zu]", i);
			r = deep(x, vars, out ? &y : NULL, path, e);
			path->len = mark;
			path->buf[mark] = '\0';
			if (r != 0)
				goto fail;
			if (out)
				json_array_append_new(res, y);
		}
		break;
	case JSON_OBJECT:
		if (out)
			res = json_object();
		json_object_foreach((json_t *)in, k, x) {
			path_push_key(path, k);
			r = deep(x, vars, out ? &y : NULL, path, e);
			path->len = mark;
			path->buf[mark] = '\0';
			if (r != 0)
				goto fail;
			if (out)
				json_object_set_new(res, k, y);
		}
		break;
	default:
		if (out)
			*out = json_incref((json_t *)in);
		return 0;
	}
	if (out)
		*out = res;
	return 0;
fail:
	json_decref(res);
	return r;
}

/* deep() from the top of a value; out NULL checks only. */
static int deep_top(const json_t *in, const json_t *vars, json_t **out, struct mu_err *e)
{
	struct mu_err local;
	struct mu_buf path = MU_BUF_INIT;
	int r;

	if (!e)
		e = &local;
	mu_err_clear(e);
	if (out)
		*out = NULL;
	r = deep(in, vars, out, &path, e);
	mu_buf_release(&path);
	return r;
}

int mu_template_render_deep(const json_t *in, const json_t *vars, json_t **out, struct mu_err *e)
{
	return deep_top(in, vars, out, e);
}

int mu_template_check_deep(const json_t *in, struct mu_err *e)
{
	return deep_top(in, NULL, NULL, e);
}
