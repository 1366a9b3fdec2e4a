/*
 * Typed reads of playbook YAML nodes, and the load-time checks of the
 * templates and conditions in them. A check failure is placed at the
 * construct itself (file:line:column of the unsupported filter, not of the
 * string holding it) whenever the scalar sits on one line of the file as
 * written; we confirm that against the file rather than guess, and fall
 * back to the scalar's own position plus the column inside it.
 */
#include "playbook_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "mu_buf.h"
#include "template.h"

int pb_node_bool(const struct mu_ynode *n, const char *key, bool *out, struct mu_err *e)
{
	const char *s = mu_ynode_str(n);

	if (s && mu_yaml_truthy(s, out))
		return 0;
	if (s && mu_template_has_markup(s))
		return mu_yerr(e, n, "'%s' must be a literal boolean (true/false, yes/no); "
			       "templated keywords are not supported", key);
	return mu_yerr(e, n, "'%s' must be a boolean (true/false, yes/no), got %s%s%s", key,
		       s ? "'" : "a ", s ? s : mu_ynode_kind(n), s ? "'" : "");
}

int pb_node_string(const struct mu_ynode *n, const char *key, char **out, struct mu_err *e)
{
	const char *s = mu_ynode_str(n);

	if (!s || n->type != MU_Y_SCALAR || mu_ynode_is_null(n))
		return mu_yerr(e, n, "'%s' must be a string, got a %s", key, mu_ynode_kind(n));
	*out = mu_xstrdup(s);
	return 0;
}

static void add_tag_words(json_t *l, const char *s)
{
	const char *p = s;

	while (*p) {
		size_t n = strcspn(p, ",");
		const char *a = p, *b = p + n;

		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (b > a)
			json_array_append_new(l, json_stringn(a, (size_t)(b - a)));
		p += n;
		if (*p == ',')
			p++;
	}
}

int pb_node_strlist(const struct mu_ynode *n, const char *key, json_t **out,
		    struct mu_err *e)
{
	bool tags = strcmp(key, "tags") == 0;
	json_t *l = json_array();

	*out = NULL;
	if (n->type == MU_Y_SCALAR && !mu_ynode_is_null(n)) {
		if (tags)
			add_tag_words(l, mu_ynode_str(n));
		else
			json_array_append_new(l, json_string(mu_ynode_str(n)));
	} else if (n->type == MU_Y_SEQ) {
		for (size_t i = 0; i < n->n; i++) {
			const struct mu_ynode *it = n->items[i];

			if (it->type != MU_Y_SCALAR || mu_ynode_is_null(it)) {
				json_decref(l);
				return mu_yerr(e, it, "'%s' items must be strings, got a %s", key,
					       mu_ynode_kind(it));
			}
			if (tags)
				add_tag_words(l, mu_ynode_str(it));
			else
				json_array_append_new(l, json_string(mu_ynode_str(it)));
		}
	} else {
		json_decref(l);
		return mu_yerr(e, n, "'%s' must be a string or a list of strings, got a %s", key,
			       mu_ynode_kind(n));
	}
	*out = l;
	return 0;
}

#define VARS_MAX_NODES (1u << 20)
#define VARS_MAX_DEPTH 128

/* As mu_ynode_to_json, with Ansible's booleans; budget bounds what aliases
 * can expand to. */
static json_t *vars_json(const struct mu_ynode *n, size_t *budget, int depth, struct mu_err *e)
{
	json_t *out, *child;
	bool b;

	if (*budget == 0 || depth > VARS_MAX_DEPTH) {
		mu_yerr(e, n, "variables too large or deep once aliases are expanded");
		return NULL;
	}
	(*budget)--;
	if (n->type == MU_Y_SCALAR) {
		if (n->style == MU_YS_PLAIN && !n->tag && mu_yaml_plain_bool(n->value, &b))
			return json_boolean(b);
		return mu_ynode_to_json(n, 0, e);
	}
	out = n->type == MU_Y_SEQ ? json_array() : json_object();
	for (size_t i = 0; i < n->n; i++) {
		if (n->type == MU_Y_MAP && n->keys[i]->type != MU_Y_SCALAR) {
			mu_yerr(e, n->keys[i], "a variable name must be a string, got a %s",
				mu_ynode_kind(n->keys[i]));
			json_decref(out);
			return NULL;
		}
		if (!(child = vars_json(n->items[i], budget, depth + 1, e))) {
			json_decref(out);
			return NULL;
		}
		if (n->type == MU_Y_SEQ) {
			json_array_append_new(out, child);
		} else if (json_object_set_new(out, mu_ynode_str(n->keys[i]), child) != 0) {
			mu_yerr(e, n->keys[i], "variable name is not valid UTF-8");
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

json_t *mu_vars_from_yaml(const struct mu_ynode *n, struct mu_err *e)
{
	size_t budget = VARS_MAX_NODES;

	return vars_json(n, &budget, 0, e);
}

int pb_node_vars(const struct mu_ynode *n, json_t **out, struct mu_err *e)
{
	*out = mu_vars_from_yaml(n, e);
	return *out ? 0 : e->code ? e->code : MU_E_PARSE;
}

int pb_node_json(const struct mu_ynode *n, json_t **out, struct mu_err *e)
{
	*out = mu_ynode_to_json(n, 0, e);
	return *out ? 0 : MU_E_PARSE;
}

int pb_check_keys(const struct mu_ynode *map, const char *what, struct mu_err *e)
{
	for (size_t i = 0; map->type == MU_Y_MAP && i < map->n; i++)
		if (map->keys[i]->type != MU_Y_SCALAR || mu_ynode_is_null(map->keys[i]))
			return mu_yerr(e, map->keys[i], "%s keys must be strings, got a %s", what,
				       mu_ynode_kind(map->keys[i]));
	return 0;
}

bool pb_identifier(const char *s)
{
	if (!s || !(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return false;
	for (s++; *s; s++)
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

/* Byte offset of character column col (1-based) in line, or -1. */
static ssize_t char_offset(const char *line, int col)
{
	ssize_t b = 0;

	for (int c = 1; c < col; c++) {
		if (!line[b])
			return -1;
		b++;
		while ((line[b] & 0xC0) == 0x80)
			b++;
	}
	return b;
}

/* Line number `line` (1-based) of file, or NULL. Caller frees. */
static char *file_line(const char *file, int line)
{
	FILE *f = fopen(file, "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len = -1;

	if (!f)
		return NULL;
	for (int i = 0; i < line; i++)
		if ((len = getline(&buf, &cap, f)) < 0)
			break;
	fclose(f);
	if (len < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * The file column of character col (1-based) inside scalar n's text, or 0
 * when the scalar does not sit on one line exactly as its text (escapes,
 * folding, block scalars): then the caller cannot point inside it.
 */
static int inner_column(const struct mu_ynode *n, int col)
{
	char *line;
	ssize_t b;
	int open = 0, r = 0;
	char quote = n->style == MU_YS_SINGLE ? '\'' : '"';
	const char *v = n->value;

	if (col < 1 || n->type != MU_Y_SCALAR || !n->file || strchr(v, '\n'))
		return 0;
	if (n->style == MU_YS_SINGLE) {
		if (strchr(v, '\''))
			return 0;
		open = 1;
	} else if (n->style == MU_YS_DOUBLE) {
		if (strpbrk(v, "\"\\"))
			return 0;
		open = 1;
	} else if (n->style != MU_YS_PLAIN) {
		return 0;
	}
	line = file_line(n->file, n->line);
	if (!line)
		return 0;
	b = char_offset(line, n->col);
	if (b >= 0 && strncmp(line + b + open, v, n->len) == 0 &&
	    (!open || (line[b] == quote && line[b + 1 + (ssize_t)n->len] == quote)))
		r = n->col + open + col - 1;
	free(line);
	return r;
}

/* e holds a message whose column inside n's text is col: place it. */
static int place(struct mu_err *e, const struct mu_ynode *n, const char *what, int col)
{
	char msg[sizeof(e->msg)];
	int fcol = inner_column(n, col);

	snprintf(msg, sizeof(msg), "%s", e->msg);
	if (fcol)
		return mu_err_set(e, MU_E_PARSE, "%s:%d:%d: %s: %s", n->file, n->line, fcol, what,
				  msg);
	if (col > 0)
		return mu_yerr(e, n, "%s: %s (at character %d of the value)", what, msg, col);
	return mu_yerr(e, n, "%s: %s", what, msg);
}

int pb_check_template(const struct mu_ynode *n, const char *what, struct mu_err *e)
{
	if (n->type == MU_Y_SCALAR) {
		int col = 0;

		if (mu_template_check_col(mu_ynode_str(n), &col, e) != 0)
			return place(e, n, what, col);
		return 0;
	}
	for (size_t i = 0; i < n->n; i++) {
		if (n->type == MU_Y_MAP && pb_check_template(n->keys[i], what, e))
			return MU_E_PARSE;
		if (pb_check_template(n->items[i], what, e))
			return MU_E_PARSE;
	}
	return 0;
}

int pb_check_cond(const struct mu_ynode *n, const char *what, struct mu_err *e)
{
	int col = 0;

	if (n->type == MU_Y_SEQ) {
		for (size_t i = 0; i < n->n; i++)
			if (pb_check_cond(n->items[i], what, e))
				return MU_E_PARSE;
		return 0;
	}
	if (n->type != MU_Y_SCALAR || mu_ynode_is_null(n))
		return mu_yerr(e, n, "'%s' must be a condition or a list of them, got a %s", what,
			       mu_ynode_kind(n));
	if (n->style == MU_YS_PLAIN && mu_yaml_truthy(mu_ynode_str(n), NULL))
		return 0;
	if (mu_expr_cond_check_col(mu_ynode_str(n), &col, e) != 0)
		return place(e, n, what, col);
	return 0;
}

int pb_check_expr(const struct mu_ynode *n, const char *what, struct mu_err *e)
{
	int col = 0;

	if (n->type != MU_Y_SCALAR || mu_ynode_is_null(n))
		return mu_yerr(e, n, "'%s' must be an expression, got a %s", what, mu_ynode_kind(n));
	if (mu_template_has_markup(mu_ynode_str(n)))
		return pb_check_template(n, what, e);
	if (mu_expr_check_col(mu_ynode_str(n), &col, e) != 0)
		return place(e, n, what, col);
	return 0;
}

json_t *pb_cond_json(const struct mu_ynode *n)
{
	bool b;

	if (n->type == MU_Y_SEQ) {
		json_t *l = json_array();

		for (size_t i = 0; i < n->n; i++)
			json_array_append_new(l, pb_cond_json(n->items[i]));
		return l;
	}
	if (n->style == MU_YS_PLAIN && mu_yaml_truthy(mu_ynode_str(n), &b))
		return json_boolean(b);
	return json_string(mu_ynode_str(n));
}
