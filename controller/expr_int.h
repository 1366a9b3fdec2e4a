/*
 * Internals of the expression language (expr_*.c, template.c): tokens, the
 * AST, the evaluator's context and the filter and test tables. Nothing
 * outside those files includes this; the public API is expr.h/template.h.
 */
#ifndef MU_EXPR_INT_H
#define MU_EXPR_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mu_buf.h"
#include "mu_err.h"

/* Deepest nesting the parser accepts, and tallest AST: both bound the
 * recursion of the parser, the evaluator and the free routine. */
#define MU_EX_MAX_DEPTH 64
/* Largest list or string an operator or filter may build ('x' * 10**9). */
#define MU_EX_MAX_ITEMS ((size_t)1 << 20)
#define MU_EX_MAX_STR ((size_t)16 << 20)
/* Most nodes a built list may hold, counting shared parts each time they
 * appear ([big] * 1000 shares big), so later walks stay bounded too. */
#define MU_EX_MAX_WEIGHT ((size_t)4 << 20)
/* Longest source text we agree to parse. */
#define MU_EX_MAX_SRC ((size_t)1 << 20)

/* The evaluator's "value is undefined" result: not an error yet, because
 * default() and `is defined` may still absorb it. e holds the message. */
#define MU_EX_UNDEF 1

enum mu_ex_tok {
	TK_EOF, TK_END, TK_NAME, TK_INT, TK_FLOAT, TK_STR,
	TK_LP, TK_RP, TK_LB, TK_RB, TK_LC, TK_RC,
	TK_COMMA, TK_COLON, TK_DOT, TK_PIPE, TK_TILDE,
	TK_ADD, TK_SUB, TK_MUL, TK_DIV, TK_FDIV, TK_MOD, TK_POW,
	TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE, TK_ASSIGN,
};

struct mu_ex_token {
	enum mu_ex_tok kind;
	size_t pos, end;       /* byte span in the source */
	json_t *val;           /* TK_INT, TK_FLOAT, TK_STR: the literal */
	bool strip;            /* TK_END: written "-}}" */
};

struct mu_ex_tokens {
	struct mu_ex_token *t;
	size_t n, alloc;
};

enum mu_ex_kind {
	NK_LIT, NK_NAME, NK_ATTR, NK_INDEX, NK_SLICE, NK_LIST, NK_DICT,
	NK_NOT, NK_NEG, NK_POS, NK_AND, NK_OR, NK_ARITH, NK_CMP,
	NK_FILTER, NK_TEST, NK_COND, NK_RANGE,
};

/* Comparison operators for NK_CMP (also used by the comparison tests). */
enum mu_ex_cmp { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE, CMP_IN, CMP_NOTIN };

struct mu_ex_filter;
struct mu_ex_test;

struct mu_ex_node {
	enum mu_ex_kind kind;
	int op;                 /* NK_ARITH: a TK_*; NK_TEST: 1 when negated */
	size_t pos, end;        /* byte span in the source */
	int height;             /* 1 + tallest child */
	json_t *lit;            /* NK_LIT */
	char *name;             /* NK_NAME, NK_ATTR: the name */
	struct mu_ex_node **kid; /* children; NK_SLICE leaves absent parts NULL */
	char **kw;              /* NK_FILTER/NK_TEST/NK_RANGE: keyword per kid, NULL if positional */
	int *ops;               /* NK_CMP: nkid - 1 enum mu_ex_cmp */
	size_t nkid;
	const struct mu_ex_filter *filter;
	const struct mu_ex_test *test;
};

/* Evaluation context. */
struct mu_ex_ev {
	const json_t *vars;
	const char *src;        /* the source the AST came from, for messages */
	struct mu_err *e;
};

/* Arguments of one filter or test call, evaluated. */
#define MU_EX_MAX_PARAMS 6
struct mu_ex_args {
	json_t *p[MU_EX_MAX_PARAMS];  /* bound by parameter (not variadic) */
	size_t npos;                  /* all positional arguments, in order */
	json_t **pos;
	size_t nkw;                   /* all keyword arguments */
	char **kwname;
	json_t **kw;
};

#define MU_EXF_UNDEF 0x1     /* may be given an undefined subject (NULL) */
#define MU_EXF_VARIADIC 0x2  /* takes any arguments; reads pos/kw itself */

struct mu_ex_filter {
	const char *name;
	const char *params[MU_EX_MAX_PARAMS + 1]; /* NULL-terminated */
	unsigned min_args;
	unsigned flags;
	/* Return 0 with *out (new reference), MU_EX_UNDEF, or an error. */
	int (*fn)(struct mu_ex_ev *ev, json_t *subj, struct mu_ex_args *a, json_t **out);
};

struct mu_ex_test {
	const char *name;
	unsigned nargs;         /* exact number of arguments */
	unsigned flags;
	int (*fn)(struct mu_ex_ev *ev, const json_t *subj, json_t *const *args, bool *res);
};

/* The filter tables (expr_filters_scalar.c, expr_filters_seq.c), each
 * ending with an entry whose name is NULL. */
extern const struct mu_ex_filter mu_ex_filters_scalar[];
extern const struct mu_ex_filter mu_ex_filters_seq[];

/* Helpers the filter files share (expr_filters.c). */
int mu_exf_err(struct mu_ex_ev *ev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Items of an iterable as a new list: a list, a dict's keys, a string's
 * characters; NULL when v is not iterable. */
json_t *mu_exf_iter_list(const json_t *v);
/* As mu_exf_iter_list, with "filter 'x' expects a list" when it is not. */
int mu_exf_need_iter(struct mu_ex_ev *ev, const char *fname, const json_t *v, json_t **out);
/* Jinja's attribute getter: "a.b.0" walks dicts by key, lists by index.
 * Borrowed reference or NULL. */
json_t *mu_exf_attr_path(const json_t *v, const char *path);
bool mu_exf_opt_bool(const json_t *v, bool def);
int mu_exf_need_str(struct mu_ex_ev *ev, const char *fname, const char *pname,
		    const json_t *v, const char **out);
bool mu_exf_is_space(char c);

/* lookup: expr_filters.c, expr_tests.c */
const struct mu_ex_filter *mu_ex_filter_find(const char *name);
const struct mu_ex_test *mu_ex_test_find(const char *name);
/* Every filter and test name, NULL-terminated (the docs test walks them). */
const char *const *mu_ex_filter_names(void);
const char *const *mu_ex_test_names(void);
/* Check the argument list of a call at parse time (and when map/select
 * pick a filter or test by name at run time). kw[i] NULL for positional.
 * Fills e with a message; returns 0 or MU_E_PARSE. */
int mu_ex_filter_check_args(const struct mu_ex_filter *f, char *const *kw,
			    size_t n, struct mu_err *e);
/* Call f on subj with the given arguments (kw[i] NULL for positional). */
int mu_ex_filter_call(struct mu_ex_ev *ev, const struct mu_ex_filter *f,
		      json_t *subj, json_t **argv, char *const *kw, size_t n,
		      json_t **out);
int mu_ex_test_call(struct mu_ex_ev *ev, const struct mu_ex_test *t,
		    const json_t *subj, json_t *const *argv, size_t n, bool *res);

/* lexer: expr_lex.c. Tokenise src[pos..] up to the end of the string, or in
 * template mode up to "}}" at bracket depth 0 (TK_END). The list ends with
 * TK_END or TK_EOF. On error e says why and *errpos where. */
int mu_ex_lex(const char *src, size_t len, size_t pos, bool tmpl,
	      struct mu_ex_tokens *out, size_t *errpos, struct mu_err *e);
void mu_ex_tokens_release(struct mu_ex_tokens *t);

/* parser: expr_parse.c. Parse one expression from tokens; *next is the index
 * of the token after it (TK_END or TK_EOF, anything else is an error). */
int mu_ex_parse_tokens(const char *src, const struct mu_ex_tokens *t,
		       struct mu_ex_node **out, size_t *errpos, struct mu_err *e);
void mu_ex_node_free(struct mu_ex_node *n);

/* evaluator: expr_eval.c. Returns 0 with *out, MU_EX_UNDEF, or an error. */
int mu_ex_eval(struct mu_ex_ev *ev, const struct mu_ex_node *n, json_t **out);
/* As mu_ex_eval, but undefined is an error (MU_E_NOTFOUND). */
int mu_ex_eval_value(struct mu_ex_ev *ev, const struct mu_ex_node *n, json_t **out);
/* Is this node a plain variable reference (a, a.b, a['b'], a[0])? */
bool mu_ex_is_var_ref(const struct mu_ex_node *n);
/* An attribute or item of a value, Jinja style: dict key, list index
 * (negative counts from the end; a dict is also indexed by the decimal
 * text of an integer), or NULL when absent. Borrowed reference. */
json_t *mu_ex_getitem(const json_t *v, const json_t *key);

/* filters shared with expr.c: Ansible's bool() reading of a string
 * (yes/no, on/off, true/false, y/n, t/f, 1/0, any case, "" is false);
 * returns false when s is none of them. */
bool mu_ex_str_bool(const char *s, size_t len, bool *out);
/* The bool filter: booleans, numbers, null and the strings above; anything
 * else is MU_E_ARG. */
int mu_ex_bool_value(struct mu_ex_ev *ev, const json_t *v, bool *out);

/* template.c: parse a template that must be exactly one `{{ expr }}` with
 * only whitespace around it (the wrapped form of a condition). Returns 0
 * with *out, 1 when src is some other template, or MU_E_PARSE. */
int mu_ex_tmpl_single(const char *src, struct mu_ex_node **out, size_t *errpos,
		      struct mu_err *e);

/* expr.c: finish a parse error: the column goes to *col, or when col is
 * NULL the message gets " at column N". Returns e->code. */
int mu_ex_fail_at(struct mu_err *e, const char *src, size_t pos, int *col);

/* Put prefix in front of e's message (truncating its end if need be). */
void mu_ex_err_prefix(struct mu_err *e, const char *prefix);

/* values: expr_value.c */
const char *mu_ex_typename(const json_t *v);
bool mu_ex_truthy(const json_t *v);
/* Number view of a value (bools count as 0/1 like Python). */
bool mu_ex_is_num(const json_t *v);
bool mu_ex_num(const json_t *v, bool *is_int, json_int_t *i, double *d);
/* Python str() of v appended to b (strings raw, None as "None"). Stops
 * with MU_E_TOOBIG once b holds more than MU_EX_MAX_STR bytes. */
int mu_ex_str(const json_t *v, struct mu_buf *b);
/* Python repr() of v appended to b; MU_E_TOOBIG as mu_ex_str. */
int mu_ex_repr(const json_t *v, struct mu_buf *b);
/* JSON text of v (Python json.dumps style separators); indent 0 = one
 * line; MU_E_TOOBIG as mu_ex_str. */
int mu_ex_json(const json_t *v, int indent, bool sort_keys, struct mu_buf *b);
/* Python float repr ("1.0", "0.1", "1e+20"). */
void mu_ex_fmt_float(double d, char *buf, size_t size);
bool mu_ex_equal(const json_t *a, const json_t *b);
/* Ordering: numbers, strings (optionally ignoring ASCII case), lists.
 * Returns 0 with *cmp in -1/0/1, or MU_E_ARG naming the types. */
int mu_ex_compare(const json_t *a, const json_t *b, bool fold_case, int *cmp,
		  struct mu_err *e);
/* Make values; the string makers expect valid UTF-8 and never fail. */
json_t *mu_ex_string(const char *s, size_t len);
json_t *mu_ex_string_buf(struct mu_buf *b);  /* consumes b's contents */
/* A real, or MU_E_ARG when it is not finite. */
int mu_ex_real(double d, json_t **out, struct mu_err *e);
/* A value's str() as a new string (strings are returned as they are);
 * MU_E_TOOBIG past MU_EX_MAX_STR. */
int mu_ex_to_string(const json_t *v, json_t **out, struct mu_err *e);
/* Nodes in v, shared parts counted each time, counting stops past limit. */
size_t mu_ex_weight(const json_t *v, size_t limit);
/* A hash that agrees with mu_ex_equal (and with ASCII case folding of
 * strings when fold is set). */
uint64_t mu_ex_hash(const json_t *v, bool fold);
/* Substring search that stays linear over repeated calls (replace, split):
 * Knuth-Morris-Pratt over a table built once. */
struct mu_ex_finder {
	const char *pat;
	size_t m;
	size_t *fail;
};
void mu_ex_finder_init(struct mu_ex_finder *f, const char *pat, size_t m);
/* Offset of the first match at or after from, or SIZE_MAX. */
size_t mu_ex_finder_next(const struct mu_ex_finder *f, const char *s, size_t n, size_t from);
void mu_ex_finder_release(struct mu_ex_finder *f);
/* UTF-8 helpers */
bool mu_ex_utf8_valid(const char *s, size_t len);
size_t mu_ex_utf8_len(const char *s, size_t len);
/* Byte offset of code point idx (idx may equal the length). */
size_t mu_ex_utf8_off(const char *s, size_t len, size_t idx);
/* 1-based character column of byte offset pos. */
int mu_ex_column(const char *src, size_t pos);
/* Quote a piece of source text for a message: at most 60 bytes. */
void mu_ex_snippet(const char *src, size_t pos, size_t end, char *buf, size_t size);

#endif
