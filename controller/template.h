/*
 * Templated strings: literal text with `{{ expr }}` parts (see expr.h for
 * the expressions and docs/templating.md for the user's view).
 *
 * A string that is exactly one `{{ expr }}`, ignoring whitespace around it,
 * renders to the expression's native JSON value (`loop: "{{ ports }}"`
 * gives a list); anything else renders to a string, each part converted as
 * Python's str() would, except that null renders as "" (as in Ansible).
 * A string without any `{{`, `{%` or `{#` is returned as it is.
 * `{%- ... -%}` statements and `{# #}` comments are not supported: an error
 * names the construct. `{{-` and `-}}` strip whitespace as in Jinja.
 *
 * Error codes and messages are those of expr.h.
 */
#ifndef MU_TEMPLATE_H
#define MU_TEMPLATE_H

#include <jansson.h>
#include <stdbool.h>

#include "mu_err.h"

/* True when s contains template markup ({{, {% or {#) and so needs
 * rendering. */
bool mu_template_has_markup(const char *s);

/* Render src; *out is a new reference the caller decrefs. vars may be NULL. */
int mu_template_render(const char *src, const json_t *vars, json_t **out,
		       struct mu_err *e);
/* Render and require a string result: native values are converted with
 * str() (null as ""). Caller frees *out. */
int mu_template_render_str(const char *src, const json_t *vars, char **out,
			   struct mu_err *e);

/*
 * Render every string inside a JSON value (object values and array items,
 * recursively; object keys are not templated); other scalars are kept.
 * *out is a new reference (untouched parts are shared with in). Errors are
 * prefixed with the path of the string, e.g. "args.dest: 'x' is undefined".
 */
int mu_template_render_deep(const json_t *in, const json_t *vars, json_t **out,
			    struct mu_err *e);

/* Parse without evaluating: the load-time check. Messages end with
 * " at column N" (1-based, in characters, inside src). */
int mu_template_check(const char *src, struct mu_err *e);
/* As above with the column in *col instead of the message. */
int mu_template_check_col(const char *src, int *col, struct mu_err *e);
/* Check every string inside a JSON value; errors prefixed with the path as
 * in mu_template_render_deep. */
int mu_template_check_deep(const json_t *in, struct mu_err *e);

#endif
