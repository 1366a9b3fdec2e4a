/*
 * Expressions: the Jinja subset used in `when:`, `changed_when:`,
 * `failed_when:` and inside `{{ }}`. A small recursive-descent parser builds
 * an AST once; evaluation reads variables from a jansson object (the caller
 * merges its variable layers into it; we only read it).
 * docs/templating.md is the user's description of the subset.
 *
 * Errors, all with a lowercase message in e:
 *   MU_E_PARSE     the text is outside the subset or malformed; the message
 *                  names the construct and ends with " at column N" (the
 *                  1-based character column inside the string)
 *   MU_E_NOTFOUND  an undefined variable was used ("'foo' is undefined")
 *   MU_E_ARG       a type or value error at run time ("unsupported operand
 *                  types for +: 'str' and 'int'")
 *   MU_E_TOOBIG    a result would exceed the size limits
 */
#ifndef MU_EXPR_H
#define MU_EXPR_H

#include <jansson.h>
#include <stdbool.h>

#include "mu_err.h"

struct mu_expr;

/* Parse src (one expression, no `{{ }}`). On success *out is the caller's,
 * freed with mu_expr_free(). */
int mu_expr_parse(const char *src, struct mu_expr **out, struct mu_err *e);
void mu_expr_free(struct mu_expr *x);

/* Evaluate; *out is a new reference the caller decrefs. vars may be NULL
 * (no variables). */
int mu_expr_eval(const struct mu_expr *x, const json_t *vars, json_t **out,
		 struct mu_err *e);

/* Parse and discard: the load-time check. */
int mu_expr_check(const char *src, struct mu_err *e);
/* As mu_expr_check, but the message carries no " at column N": the column
 * goes to *col (1-based, 0 when unknown) so the caller can place it. */
int mu_expr_check_col(const char *src, int *col, struct mu_err *e);

/* Jinja/Python truthiness: false, null, 0, 0.0, "", [] and {} are false. */
bool mu_expr_truthy(const json_t *v);

/*
 * A condition as `when:`, `changed_when:` and `failed_when:` take it: one
 * expression, optionally wrapped whole in `{{ }}` (Ansible warns about
 * that; we accept it). A condition that is a bare variable reference
 * (`flag`, `opts.enabled`) whose value is a string reads the string the way
 * the `bool` filter does (yes/no, on/off, true/false, y/n, t/f, 1/0 in any
 * case), so `when: flag` with flag "no" is false; other values use
 * mu_expr_truthy().
 */
int mu_expr_cond(const char *src, const json_t *vars, bool *result,
		 struct mu_err *e);
int mu_expr_cond_check(const char *src, struct mu_err *e);
int mu_expr_cond_check_col(const char *src, int *col, struct mu_err *e);

/*
 * A whole `when:` value: a string (one condition), a boolean, or a list of
 * those that must all hold (evaluation stops at the first false one).
 * NULL or JSON null holds. A list item's errors are prefixed with
 * "when[N]: " (0-based).
 */
int mu_when_eval(const json_t *when, const json_t *vars, bool *result,
		 struct mu_err *e);
int mu_when_check(const json_t *when, struct mu_err *e);

#endif
