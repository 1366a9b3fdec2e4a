/*
 * The expression parser: recursive descent over the token array, one
 * function per precedence level, in Jinja's order (lowest first):
 *
 *   a if c else b      conditional
 *   or, and, not
 *   == != < <= > >= in, not in   (chained like Python: a < b < c)
 *   + -
 *   ~
 *   * / // %
 *   **
 *   unary - +
 *   primary, then postfix .attr [index] [a:b], then | filter and is test
 *
 * Everything outside the subset (calls, unknown filters and tests, lambda)
 * is refused here, so the playbook loader can reject it before anything
 * runs. Nesting and tree height are capped at MU_EX_MAX_DEPTH so neither
 * this parser nor the evaluator can exhaust the stack.
 */
#include "expr_int.h"

#include <stdlib.h>
#include <string.h>

struct parser {
	const char *src;
	const struct mu_ex_token *t;
	size_t n, i;
	int depth;
	size_t errpos;
	struct mu_err *e;
};

static struct mu_ex_node *parse_expr(struct parser *p);
static struct mu_ex_node *parse_unary(struct parser *p, bool with_filter);

static void *perr(struct parser *p, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void *perr(struct parser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;

	if (p->e && p->e->code != 0)
		return NULL; /* keep the first error */
	va_start(ap, fmt);
	mu_err_setv(p->e, MU_E_PARSE, fmt, ap);
	va_end(ap);
	p->errpos = pos;
	return NULL;
}

static const struct mu_ex_token *cur(struct parser *p)
{
	return &p->t[p->i < p->n ? p->i : p->n - 1];
}

static const struct mu_ex_token *peek(struct parser *p, size_t k)
{
	size_t j = p->i + k;

	return &p->t[j < p->n ? j : p->n - 1];
}

static bool tok_is_name(struct parser *p, const struct mu_ex_token *t, const char *name)
{
	size_t n = strlen(name);

	return t->kind == TK_NAME && t->end - t->pos == n &&
	       memcmp(p->src + t->pos, name, n) == 0;
}

static bool at_name(struct parser *p, const char *name)
{
	return tok_is_name(p, cur(p), name);
}

static bool at(struct parser *p, enum mu_ex_tok kind)
{
	return cur(p)->kind == kind;
}

static void advance(struct parser *p)
{
	if (p->i < p->n - 1)
		p->i++;
}

/* A description of the current token for "expected X, found Y". */
static void describe(struct parser *p, const struct mu_ex_token *t, char *buf, size_t size)
{
	if (t->kind == TK_EOF)
		snprintf(buf, size, "end of expression");
	else if (t->kind == TK_END)
		snprintf(buf, size, "'}}'");
	else {
		char snip[80];
		mu_ex_snippet(p->src, t->pos, t->end, snip, sizeof(snip));
		/* a string literal carries its own quotes */
		snprintf(buf, size, t->kind == TK_STR ? "string %s" : "'%s'", snip);
	}
}

static bool expect(struct parser *p, enum mu_ex_tok kind, const char *what)
{
	char d[100];

	if (at(p, kind)) {
		advance(p);
		return true;
	}
	describe(p, cur(p), d, sizeof(d));
	perr(p, cur(p)->pos, "expected '%s', found %s", what, d);
	return false;
}

static struct mu_ex_node *node_new(enum mu_ex_kind kind, size_t pos, size_t end)
{
	struct mu_ex_node *n = mu_xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->pos = pos;
	n->end = end;
	n->height = 1;
	return n;
}

void mu_ex_node_free(struct mu_ex_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkid; i++) {
		mu_ex_node_free(n->kid[i]);
		if (n->kw)
			free(n->kw[i]);
	}
	free(n->kid);
	free(n->kw);
	free(n->ops);
	free(n->name);
	json_decref(n->lit);
	free(n);
}

/* Append a child (NULL only for an absent NK_SLICE part), keeping the
 * span and height; the node owns it from now on. */
static void add_kid(struct mu_ex_node *n, struct mu_ex_node *k, char *kw)
{
	n->kid = mu_xrealloc(n->kid, (n->nkid + 1) * sizeof(*n->kid));
	if (kw || n->kw) {
		if (!n->kw)
			n->kw = mu_xcalloc(n->nkid + 1, sizeof(*n->kw));
		else
			n->kw = mu_xrealloc(n->kw, (n->nkid + 1) * sizeof(*n->kw));
		n->kw[n->nkid] = kw;
	}
	n->kid[n->nkid++] = k;
	if (k) {
		if (k->end > n->end)
			n->end = k->end;
		if (k->height + 1 > n->height)
			n->height = k->height + 1;
	}
}

/* True (with the error set) when n makes the tree too tall. */
static bool too_tall(struct parser *p, const struct mu_ex_node *n)
{
	if (n->height <= MU_EX_MAX_DEPTH)
		return false;
	perr(p, n->pos, "expression nested too deeply (more than %d levels)", MU_EX_MAX_DEPTH);
	return true;
}

static struct mu_ex_node *binary(struct parser *p, enum mu_ex_kind kind, int op,
				 struct mu_ex_node *l, struct mu_ex_node *r)
{
	struct mu_ex_node *n = node_new(kind, l->pos, r->end);

	n->op = op;
	add_kid(n, l, NULL);
	add_kid(n, r, NULL);
	if (too_tall(p, n)) {
		mu_ex_node_free(n);
		return NULL;
	}
	return n;
}

static bool enter(struct parser *p)
{
	if (++p->depth > MU_EX_MAX_DEPTH) {
		perr(p, cur(p)->pos, "expression nested too deeply (more than %d levels)", MU_EX_MAX_DEPTH);
		return false;
	}
	return true;
}

static bool is_keyword(struct parser *p, const struct mu_ex_token *t)
{
	static const char *const kws[] = { "and", "or", "not", "in", "is", "if", "else", NULL };

	for (size_t i = 0; kws[i]; i++)
		if (tok_is_name(p, t, kws[i]))
			return true;
	return false;
}

/*
 * Argument list of a filter, test or range(): "(" [arg {"," arg}] ")" with
 * arg = expr | name "=" expr. Adds them to n as kids after the subject.
 */
static bool parse_args(struct parser *p, struct mu_ex_node *n)
{
	bool seen_kw = false;

	advance(p); /* ( */
	while (!at(p, TK_RP)) {
		char *kw = NULL;
		struct mu_ex_node *a;

		if (at(p, TK_NAME) && peek(p, 1)->kind == TK_ASSIGN) {
			kw = mu_xstrndup(p->src + cur(p)->pos, cur(p)->end - cur(p)->pos);
			for (size_t i = 0; n->kw && i < n->nkid; i++)
				if (n->kw[i] && strcmp(n->kw[i], kw) == 0) {
					perr(p, cur(p)->pos, "keyword argument '%s' given twice", kw);
					free(kw);
					return false;
				}
			advance(p);
			advance(p);
			seen_kw = true;
		} else if (seen_kw) {
			return perr(p, cur(p)->pos, "positional argument after keyword argument");
		}
		if (!(a = parse_expr(p))) {
			free(kw);
			return false;
		}
		add_kid(n, a, kw);
		if (too_tall(p, n))
			return false;
		if (at(p, TK_COMMA)) {
			advance(p);
			continue;
		}
		if (!at(p, TK_RP))
			return expect(p, TK_RP, ")");
	}
	n->end = cur(p)->end;
	advance(p); /* ) */
	return true;
}

/* The keyword of argument i, or NULL when positional. */
static const char *kw_of(const struct mu_ex_node *n, size_t i)
{
	return n->kw ? n->kw[i] : NULL;
}

/*
 * map('lower'), select('odd'), selectattr('x', 'defined'): when the filter or
 * test is named by a literal, check the name now, not at run time.
 */
static bool check_named_callee(struct parser *p, struct mu_ex_node *n)
{
	const char *fname = n->filter->name;
	size_t at_i = 1;
	bool is_filter = strcmp(fname, "map") == 0;

	if (strcmp(fname, "selectattr") == 0 || strcmp(fname, "rejectattr") == 0)
		at_i = 2;
	else if (!is_filter && strcmp(fname, "select") != 0 && strcmp(fname, "reject") != 0)
		return true;
	if (at_i >= n->nkid || kw_of(n, at_i))
		return true;
	const struct mu_ex_node *a = n->kid[at_i];
	if (a->kind != NK_LIT || !json_is_string(a->lit))
		return true;
	const char *name = json_string_value(a->lit);
	if (is_filter) {
		const struct mu_ex_filter *f = mu_ex_filter_find(name);
		if (!f)
			return perr(p, a->pos, "unsupported filter '%s'", name);
		/* the rest of map's arguments go to that filter */
		struct mu_err e2;
		mu_err_clear(&e2);
		if (mu_ex_filter_check_args(f, n->kw ? n->kw + at_i + 1 : NULL,
					    n->nkid - at_i - 1, &e2) != 0)
			return perr(p, a->pos, "%s", e2.msg);
		return true;
	}
	const struct mu_ex_test *t = mu_ex_test_find(name);
	if (!t)
		return perr(p, a->pos, "unsupported test '%s'", name);
	size_t given = n->nkid - at_i - 1;
	if (given != t->nargs)
		return perr(p, a->pos, "test '%s' takes %u argument%s, %zu given", name,
			    t->nargs, t->nargs == 1 ? "" : "s", given);
	for (size_t i = at_i + 1; i < n->nkid; i++)
		if (kw_of(n, i))
			return perr(p, n->kid[i]->pos, "test '%s' takes no keyword arguments", name);
	return true;
}

static struct mu_ex_node *parse_filter(struct parser *p, struct mu_ex_node *subj)
{
	const struct mu_ex_token *t;
	struct mu_ex_node *n;
	char *name;

	advance(p); /* | */
	t = cur(p);
	if (t->kind != TK_NAME) {
		char d[100];
		describe(p, t, d, sizeof(d));
		mu_ex_node_free(subj);
		return perr(p, t->pos, "expected a filter name after '|', found %s", d);
	}
	name = mu_xstrndup(p->src + t->pos, t->end - t->pos);
	n = node_new(NK_FILTER, subj->pos, t->end);
	n->name = name;
	add_kid(n, subj, NULL);
	if (too_tall(p, n))
		goto fail;
	if (!(n->filter = mu_ex_filter_find(name))) {
		if (strcmp(name, "regex_replace") == 0 || strcmp(name, "regex_search") == 0 ||
		    strcmp(name, "regex_findall") == 0)
			perr(p, t->pos, "unsupported filter '%s' (regular expressions are not supported)", name);
		else
			perr(p, t->pos, "unsupported filter '%s'", name);
		goto fail;
	}
	advance(p);
	if (at(p, TK_LP) && !parse_args(p, n))
		goto fail;
	{
		struct mu_err e2;
		mu_err_clear(&e2);
		if (mu_ex_filter_check_args(n->filter, n->kw ? n->kw + 1 : NULL, n->nkid - 1, &e2) != 0) {
			perr(p, t->pos, "%s", e2.msg);
			goto fail;
		}
	}
	if (!check_named_callee(p, n))
		goto fail;
	return n;
fail:
	mu_ex_node_free(n);
	return NULL;
}

static struct mu_ex_node *parse_test(struct parser *p, struct mu_ex_node *subj)
{
	const struct mu_ex_token *t;
	struct mu_ex_node *n;
	bool neg = false;
	char *name;

	advance(p); /* is */
	if (at_name(p, "not")) {
		neg = true;
		advance(p);
	}
	t = cur(p);
	/* `x is none` / `x is true`: the literals double as test names */
	if (t->kind != TK_NAME) {
		char d[100];
		describe(p, t, d, sizeof(d));
		mu_ex_node_free(subj);
		return perr(p, t->pos, "expected a test name after 'is', found %s", d);
	}
	name = mu_xstrndup(p->src + t->pos, t->end - t->pos);
	n = node_new(NK_TEST, subj->pos, t->end);
	n->name = name;
	n->op = neg;
	add_kid(n, subj, NULL);
	if (too_tall(p, n))
		goto fail;
	if (!(n->test = mu_ex_test_find(name))) {
		perr(p, t->pos, "unsupported test '%s'", name);
		goto fail;
	}
	advance(p);
	if (at(p, TK_LP)) {
		if (!parse_args(p, n))
			goto fail;
	} else if (n->test->nargs == 1) {
		/* Jinja's `x is divisibleby 3`: one argument without parentheses */
		const struct mu_ex_token *a = cur(p);
		if ((a->kind == TK_NAME && !is_keyword(p, a)) || a->kind == TK_STR ||
		    a->kind == TK_INT || a->kind == TK_FLOAT || a->kind == TK_LB ||
		    a->kind == TK_LC || a->kind == TK_LP || a->kind == TK_SUB) {
			struct mu_ex_node *arg = parse_unary(p, false);
			if (!arg)
				goto fail;
			add_kid(n, arg, NULL);
			if (too_tall(p, n))
				goto fail;
		}
	}
	for (size_t i = 1; i < n->nkid; i++)
		if (kw_of(n, i)) {
			perr(p, n->kid[i]->pos, "test '%s' takes no keyword arguments", name);
			goto fail;
		}
	if (n->nkid - 1 != n->test->nargs) {
		perr(p, t->pos, "test '%s' takes %u argument%s, %zu given", name,
		     n->test->nargs, n->test->nargs == 1 ? "" : "s", n->nkid - 1);
		goto fail;
	}
	return n;
fail:
	mu_ex_node_free(n);
	return NULL;
}

/* Subscript after '[': index, or a slice with any of its parts. */
static struct mu_ex_node *parse_subscript(struct parser *p, struct mu_ex_node *base)
{
	struct mu_ex_node *parts[3] = { NULL, NULL, NULL };
	struct mu_ex_node *n = NULL;
	int k = 0;
	bool slice = false;

	advance(p); /* [ */
	for (;;) {
		if (!at(p, TK_COLON) && !at(p, TK_RB)) {
			if (!(parts[k] = parse_expr(p)))
				goto fail;
		}
		if (at(p, TK_COLON) && k < 2) {
			slice = true;
			k++;
			advance(p);
			continue;
		}
		break;
	}
	if (!slice && !parts[0]) {
		perr(p, cur(p)->pos, "empty subscript");
		goto fail;
	}
	if (!at(p, TK_RB)) {
		expect(p, TK_RB, "]");
		goto fail;
	}
	n = node_new(slice ? NK_SLICE : NK_INDEX, base->pos, cur(p)->end);
	advance(p);
	add_kid(n, base, NULL);
	base = NULL;
	for (int i = 0; i < (slice ? 3 : 1); i++) {
		add_kid(n, parts[i], NULL);
		parts[i] = NULL;
	}
	if (too_tall(p, n))
		goto fail;
	return n;
fail:
	for (int i = 0; i < 3; i++)
		mu_ex_node_free(parts[i]);
	mu_ex_node_free(base);
	mu_ex_node_free(n);
	return NULL;
}

static struct mu_ex_node *parse_postfix(struct parser *p, struct mu_ex_node *n)
{
	while (n) {
		if (at(p, TK_DOT)) {
			const struct mu_ex_token *t = peek(p, 1);
			struct mu_ex_node *a;

			if (t->kind == TK_NAME) {
				a = node_new(NK_ATTR, n->pos, t->end);
				a->name = mu_xstrndup(p->src + t->pos, t->end - t->pos);
				advance(p);
				advance(p);
				if (at(p, TK_LP)) {
					char snip[80];
					mu_ex_snippet(p->src, n->pos, t->end, snip, sizeof(snip));
					perr(p, t->pos, "unsupported method call '%s()' (use a filter)", snip);
					mu_ex_node_free(a);
					mu_ex_node_free(n);
					return NULL;
				}
			} else if (t->kind == TK_INT) {
				/* foo.0 is foo[0] */
				struct mu_ex_node *ix = node_new(NK_LIT, t->pos, t->end);
				ix->lit = json_incref(t->val);
				a = node_new(NK_INDEX, n->pos, t->end);
				advance(p);
				advance(p);
				add_kid(a, n, NULL);
				add_kid(a, ix, NULL);
				n = a;
				if (too_tall(p, n)) {
					mu_ex_node_free(n);
					return NULL;
				}
				continue;
			} else {
				char d[100];
				describe(p, t, d, sizeof(d));
				perr(p, t->pos, "expected an attribute name after '.', found %s", d);
				mu_ex_node_free(n);
				return NULL;
			}
			add_kid(a, n, NULL);
			n = a;
			if (too_tall(p, n)) {
				mu_ex_node_free(n);
				return NULL;
			}
		} else if (at(p, TK_LB)) {
			n = parse_subscript(p, n);
		} else if (at(p, TK_LP)) {
			char snip[80];
			mu_ex_snippet(p->src, n->pos, n->end, snip, sizeof(snip));
			perr(p, cur(p)->pos, "unsupported call '%s()'", snip);
			mu_ex_node_free(n);
			return NULL;
		} else {
			break;
		}
	}
	return n;
}

static struct mu_ex_node *parse_filter_expr(struct parser *p, struct mu_ex_node *n)
{
	while (n) {
		if (at(p, TK_PIPE))
			n = parse_filter(p, n);
		else if (at_name(p, "is"))
			n = parse_test(p, n);
		else
			break;
	}
	return n;
}

/* [a, b], (a, b) and {k: v}: lists; a parenthesised single expression. */
static struct mu_ex_node *parse_seq(struct parser *p, enum mu_ex_tok close, const char *cs)
{
	size_t pos = cur(p)->pos;
	struct mu_ex_node *n = node_new(close == TK_RC ? NK_DICT : NK_LIST, pos, pos);
	bool tuple = false;

	advance(p);
	while (!at(p, close)) {
		struct mu_ex_node *x = parse_expr(p);
		if (!x)
			goto fail;
		add_kid(n, x, NULL);
		if (too_tall(p, n))
			goto fail;
		if (close == TK_RC) {
			if (!expect(p, TK_COLON, ":"))
				goto fail;
			if (!(x = parse_expr(p)))
				goto fail;
			add_kid(n, x, NULL);
			if (too_tall(p, n))
				goto fail;
		}
		if (at(p, TK_COMMA)) {
			tuple = true;
			advance(p);
			continue;
		}
		if (!at(p, close)) {
			expect(p, close, cs);
			goto fail;
		}
	}
	n->end = cur(p)->end;
	advance(p);
	if (close == TK_RP && !tuple && n->nkid == 1) {
		/* plain parentheses */
		struct mu_ex_node *x = n->kid[0];
		n->nkid = 0;
		mu_ex_node_free(n);
		return x;
	}
	return n;
fail:
	mu_ex_node_free(n);
	return NULL;
}

static struct mu_ex_node *parse_primary(struct parser *p)
{
	const struct mu_ex_token *t = cur(p);
	struct mu_ex_node *n;
	char d[100];

	switch (t->kind) {
	case TK_STR: case TK_INT: case TK_FLOAT:
		n = node_new(NK_LIT, t->pos, t->end);
		n->lit = json_incref(t->val);
		advance(p);
		/* Jinja joins adjacent string literals: 'a' 'b' */
		while (t->kind == TK_STR && at(p, TK_STR)) {
			struct mu_buf b = MU_BUF_INIT;
			mu_buf_add(&b, json_string_value(n->lit), json_string_length(n->lit));
			mu_buf_add(&b, json_string_value(cur(p)->val), json_string_length(cur(p)->val));
			json_decref(n->lit);
			n->lit = mu_ex_string_buf(&b);
			mu_buf_release(&b);
			n->end = cur(p)->end;
			advance(p);
		}
		return n;
	case TK_NAME:
		if (tok_is_name(p, t, "true") || tok_is_name(p, t, "True")) {
			n = node_new(NK_LIT, t->pos, t->end);
			n->lit = json_true();
		} else if (tok_is_name(p, t, "false") || tok_is_name(p, t, "False")) {
			n = node_new(NK_LIT, t->pos, t->end);
			n->lit = json_false();
		} else if (tok_is_name(p, t, "none") || tok_is_name(p, t, "None")) {
			n = node_new(NK_LIT, t->pos, t->end);
			n->lit = json_null();
		} else if (is_keyword(p, t)) {
			describe(p, t, d, sizeof(d));
			return perr(p, t->pos, "unexpected %s", d);
		} else if (tok_is_name(p, t, "lambda")) {
			return perr(p, t->pos, "unsupported construct 'lambda'");
		} else if (peek(p, 1)->kind == TK_LP) {
			char *name = mu_xstrndup(p->src + t->pos, t->end - t->pos);
			if (strcmp(name, "range") != 0) {
				perr(p, t->pos, "unsupported function call '%s()'", name);
				free(name);
				return NULL;
			}
			free(name);
			n = node_new(NK_RANGE, t->pos, t->end);
			advance(p);
			if (!parse_args(p, n)) {
				mu_ex_node_free(n);
				return NULL;
			}
			if (n->nkid < 1 || n->nkid > 3 || n->kw) {
				perr(p, t->pos, "range() takes 1 to 3 positional arguments");
				mu_ex_node_free(n);
				return NULL;
			}
			return n;
		} else {
			n = node_new(NK_NAME, t->pos, t->end);
			n->name = mu_xstrndup(p->src + t->pos, t->end - t->pos);
		}
		advance(p);
		return n;
	case TK_LP:
		return parse_seq(p, TK_RP, ")");
	case TK_LB:
		return parse_seq(p, TK_RB, "]");
	case TK_LC:
		return parse_seq(p, TK_RC, "}");
	default:
		describe(p, t, d, sizeof(d));
		if (t->kind == TK_EOF || t->kind == TK_END)
			return perr(p, t->pos, "expected an expression, found %s", d);
		return perr(p, t->pos, "unexpected %s", d);
	}
}

static struct mu_ex_node *parse_unary(struct parser *p, bool with_filter)
{
	struct mu_ex_node *n;

	if (at(p, TK_SUB) || at(p, TK_ADD)) {
		size_t pos = cur(p)->pos;
		enum mu_ex_kind k = at(p, TK_SUB) ? NK_NEG : NK_POS;
		struct mu_ex_node *x;

		if (!enter(p))
			return NULL;
		advance(p);
		x = parse_unary(p, false);
		p->depth--;
		if (!x)
			return NULL;
		n = node_new(k, pos, x->end);
		add_kid(n, x, NULL);
		if (too_tall(p, n)) {
			mu_ex_node_free(n);
			n = NULL;
		}
	} else {
		n = parse_postfix(p, parse_primary(p));
	}
	if (with_filter)
		n = parse_filter_expr(p, n);
	return n;
}

static struct mu_ex_node *parse_pow(struct parser *p)
{
	struct mu_ex_node *l = parse_unary(p, true);

	while (l && at(p, TK_POW)) {
		struct mu_ex_node *r;
		advance(p);
		if (!(r = parse_unary(p, true))) {
			mu_ex_node_free(l);
			return NULL;
		}
		l = binary(p, NK_ARITH, TK_POW, l, r);
	}
	return l;
}

static struct mu_ex_node *parse_math2(struct parser *p)
{
	struct mu_ex_node *l = parse_pow(p);

	while (l && (at(p, TK_MUL) || at(p, TK_DIV) || at(p, TK_FDIV) || at(p, TK_MOD))) {
		int op = cur(p)->kind;
		struct mu_ex_node *r;
		advance(p);
		if (!(r = parse_pow(p))) {
			mu_ex_node_free(l);
			return NULL;
		}
		l = binary(p, NK_ARITH, op, l, r);
	}
	return l;
}

static struct mu_ex_node *parse_concat(struct parser *p)
{
	struct mu_ex_node *l = parse_math2(p);

	while (l && at(p, TK_TILDE)) {
		struct mu_ex_node *r;
		advance(p);
		if (!(r = parse_math2(p))) {
			mu_ex_node_free(l);
			return NULL;
		}
		l = binary(p, NK_ARITH, TK_TILDE, l, r);
	}
	return l;
}

static struct mu_ex_node *parse_math1(struct parser *p)
{
	struct mu_ex_node *l = parse_concat(p);

	while (l && (at(p, TK_ADD) || at(p, TK_SUB))) {
		int op = cur(p)->kind;
		struct mu_ex_node *r;
		advance(p);
		if (!(r = parse_concat(p))) {
			mu_ex_node_free(l);
			return NULL;
		}
		l = binary(p, NK_ARITH, op, l, r);
	}
	return l;
}

/* The comparison operator at the cursor, consuming it; -1 if none. */
static int take_cmp(struct parser *p)
{
	switch (cur(p)->kind) {
	case TK_EQ: advance(p); return CMP_EQ;
	case TK_NE: advance(p); return CMP_NE;
	case TK_LT: advance(p); return CMP_LT;
	case TK_LE: advance(p); return CMP_LE;
	case TK_GT: advance(p); return CMP_GT;
	case TK_GE: advance(p); return CMP_GE;
	default: break;
	}
	if (at_name(p, "in")) {
		advance(p);
		return CMP_IN;
	}
	if (at_name(p, "not") && tok_is_name(p, peek(p, 1), "in")) {
		advance(p);
		advance(p);
		return CMP_NOTIN;
	}
	return -1;
}

static struct mu_ex_node *parse_compare(struct parser *p)
{
	struct mu_ex_node *l = parse_math1(p), *n = NULL;
	int op;

	if (!l)
		return NULL;
	while ((op = take_cmp(p)) >= 0) {
		struct mu_ex_node *r = parse_math1(p);
		if (!r)
			goto fail;
		if (!n) {
			n = node_new(NK_CMP, l->pos, l->end);
			add_kid(n, l, NULL);
			l = NULL;
		}
		n->ops = mu_xrealloc(n->ops, n->nkid * sizeof(*n->ops));
		n->ops[n->nkid - 1] = op;
		add_kid(n, r, NULL);
		if (too_tall(p, n))
			goto fail;
	}
	return n ? n : l;
fail:
	mu_ex_node_free(l);
	mu_ex_node_free(n);
	return NULL;
}

static struct mu_ex_node *parse_not(struct parser *p)
{
	if (at_name(p, "not")) {
		size_t pos = cur(p)->pos;
		struct mu_ex_node *x, *n;

		if (!enter(p))
			return NULL;
		advance(p);
		x = parse_not(p);
		p->depth--;
		if (!x)
			return NULL;
		n = node_new(NK_NOT, pos, x->end);
		add_kid(n, x, NULL);
		if (too_tall(p, n)) {
			mu_ex_node_free(n);
			return NULL;
		}
		return n;
	}
	return parse_compare(p);
}

static struct mu_ex_node *parse_and(struct parser *p)
{
	struct mu_ex_node *l = parse_not(p);

	while (l && at_name(p, "and")) {
		struct mu_ex_node *r;
		advance(p);
		if (!(r = parse_not(p))) {
			mu_ex_node_free(l);
			return NULL;
		}
		l = binary(p, NK_AND, 0, l, r);
	}
	return l;
}

static struct mu_ex_node *parse_or(struct parser *p)
{
	struct mu_ex_node *l = parse_and(p);

	while (l && at_name(p, "or")) {
		struct mu_ex_node *r;
		advance(p);
		if (!(r = parse_and(p))) {
			mu_ex_node_free(l);
			return NULL;
		}
		l = binary(p, NK_OR, 0, l, r);
	}
	return l;
}

static struct mu_ex_node *parse_expr(struct parser *p)
{
	struct mu_ex_node *n, *c = NULL, *f = NULL, *x;

	if (!enter(p))
		return NULL;
	n = parse_or(p);
	if (n && at_name(p, "if")) {
		size_t ifpos = cur(p)->pos;
		advance(p);
		if (!(c = parse_or(p)))
			goto fail;
		if (!at_name(p, "else")) {
			perr(p, ifpos, "inline 'if' without 'else' is not supported");
			goto fail;
		}
		advance(p);
		if (!(f = parse_expr(p)))
			goto fail;
		x = node_new(NK_COND, n->pos, f->end);
		add_kid(x, n, NULL);
		add_kid(x, c, NULL);
		add_kid(x, f, NULL);
		n = x;
		c = f = NULL;
		if (too_tall(p, n))
			goto fail;
	}
	p->depth--;
	return n;
fail:
	p->depth--;
	mu_ex_node_free(n);
	mu_ex_node_free(c);
	mu_ex_node_free(f);
	return NULL;
}

int mu_ex_parse_tokens(const char *src, const struct mu_ex_tokens *t,
		       struct mu_ex_node **out, size_t *errpos, struct mu_err *e)
{
	struct mu_err local = { 0 };
	struct parser p = {
		.src = src, .t = t->t, .n = t->n, .i = 0, .depth = 0,
		.e = e ? e : &local,
	};
	struct mu_ex_node *n;

	mu_err_clear(p.e);
	*out = NULL;
	n = parse_expr(&p);
	if (n && !at(&p, TK_EOF) && !at(&p, TK_END)) {
		char d[100];
		describe(&p, cur(&p), d, sizeof(d));
		if (at(&p, TK_NAME) && !is_keyword(&p, cur(&p)))
			perr(&p, cur(&p)->pos, "unexpected %s (missing operator?)", d);
		else
			perr(&p, cur(&p)->pos, "unexpected %s", d);
		mu_ex_node_free(n);
		n = NULL;
	}
	if (!n) {
		if (p.e->code == 0)
			perr(&p, cur(&p)->pos, "invalid expression");
		*errpos = p.errpos;
		return MU_E_PARSE;
	}
	*out = n;
	return 0;
}
