/*
 * One task. The loader is strict on purpose: a key it does not understand
 * is an error naming it and its position, because a silently ignored
 * `become:` typo or `with_dict:` is exactly how other tools half-run a
 * fleet. Literal module arguments are checked against the module's spec
 * here, before any host is contacted; templated ones by the agent once
 * rendered.
 */
#include "playbook_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "module.h"
#include "mu_buf.h"
#include "template.h"

static const char *const task_keys[] = {
	"name", "when", "loop", "with_items", "with_list", "loop_control",
	"register", "notify", "tags", "ignore_errors", "changed_when",
	"failed_when", "become", "become_user", "vars", "args", "check_mode",
	"no_log", "listen", "become_method", NULL,
};

/* Keys Ansible has that we refuse by name, with the reason. */
static const struct {
	const char *key;
	const char *why;
} unsupported_task_keys[] = {
	{ "block", "blocks are not supported; write the tasks out" },
	{ "rescue", "blocks are not supported" },
	{ "always", "blocks are not supported" },
	{ "include_tasks", "includes are not supported" },
	{ "import_tasks", "includes are not supported" },
	{ "include", "includes are not supported" },
	{ "include_role", "roles are not supported" },
	{ "import_role", "roles are not supported" },
	{ "import_playbook", "import_playbook is not supported" },
	{ "include_vars", "include_vars is not supported; use vars_files" },
	{ "delegate_to", "delegation is not supported" },
	{ "delegate_facts", "delegation is not supported" },
	{ "local_action", "local_action is not supported" },
	{ "action", "the action: form is not supported; name the module as the key" },
	{ "until", "retries are not supported" },
	{ "retries", "retries are not supported" },
	{ "delay", "retries are not supported" },
	{ "environment", "environment is not supported; use the module's own arguments" },
	{ "with_dict", "with_dict is not supported; use loop with dict2items" },
	{ "with_nested", "with_nested is not supported" },
	{ "with_fileglob", "with_fileglob is not supported" },
	{ "with_together", "with_together is not supported" },
	{ "with_sequence", "with_sequence is not supported; use loop with range()" },
	{ "with_subelements", "with_subelements is not supported" },
	{ "with_first_found", "with_first_found is not supported" },
	{ "async", "async is not supported" },
	{ "poll", "async is not supported" },
	{ "run_once", "run_once is not supported" },
	{ "throttle", "throttle is not supported" },
	{ "diff", "per-task diff is not supported; use --diff" },
	{ "any_errors_fatal", "any_errors_fatal is not supported" },
	{ "max_fail_percentage", "max_fail_percentage is not supported" },
	{ "ignore_unreachable", "ignore_unreachable is not supported" },
	{ "connection", "per-task connection is not supported; set ansible_connection in the inventory" },
	{ "remote_user", "per-task remote_user is not supported; set ansible_user in the inventory" },
	{ "timeout", "per-task timeout is not supported; use --task-timeout" },
	{ "module_defaults", "module_defaults is not supported" },
	{ "collections", "collections is not supported; use the module's short name or FQCN" },
	{ "become_flags", "become_flags is not supported" },
	{ "debugger", "debugger is not supported" },
	{ NULL, NULL },
};

/* Controller-side actions and the arguments each takes. */
static const char *const debug_args[] = { "msg", "var", "verbosity", NULL };
static const char *const fail_args[] = { "msg", NULL };
static const char *const assert_args[] = { "that", "fail_msg", "success_msg", "msg", "quiet", NULL };

static const struct {
	const char *name;
	enum mu_action_kind kind;
	const char *const *args;   /* NULL: any identifier (set_fact) */
} local_actions[] = {
	{ "debug", MU_ACT_DEBUG, debug_args },
	{ "set_fact", MU_ACT_SET_FACT, NULL },
	{ "fail", MU_ACT_FAIL, fail_args },
	{ "assert", MU_ACT_ASSERT, assert_args },
	{ NULL, MU_ACT_AGENT, NULL },
};

static bool in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

static const char *unsupported_why(const char *key)
{
	for (size_t i = 0; unsupported_task_keys[i].key; i++)
		if (strcmp(unsupported_task_keys[i].key, key) == 0)
			return unsupported_task_keys[i].why;
	return NULL;
}

/* "debug", "ansible.builtin.debug" or "ansible.legacy.debug" -> index. */
static int local_action(const char *name)
{
	const char *shortname = name;

	if (strncmp(name, "ansible.builtin.", 16) == 0)
		shortname = name + 16;
	else if (strncmp(name, "ansible.legacy.", 15) == 0)
		shortname = name + 15;
	for (int i = 0; local_actions[i].name; i++)
		if (strcmp(local_actions[i].name, shortname) == 0)
			return i;
	return -1;
}

static bool is_module(const char *name)
{
	return local_action(name) >= 0 || mu_module_find(name) != NULL;
}

/* Edit distance, capped: enough to suggest a keyword for a typo. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t c = prev[j - 1] + (a[i - 1] != b[j - 1]);

			if (prev[j] + 1 < c)
				c = prev[j] + 1;
			if (cur[j - 1] + 1 < c)
				c = cur[j - 1] + 1;
			cur[j] = c;
		}
		memcpy(prev, cur, (lb + 1) * sizeof(prev[0]));
	}
	return prev[lb];
}

/* The closest task keyword or module name to s, or NULL. */
static const char *suggest(const char *s, bool keywords, bool modules)
{
	const char *best = NULL;
	size_t bd = 3;

	for (size_t i = 0; keywords && task_keys[i]; i++)
		if (distance(s, task_keys[i]) < bd) {
			bd = distance(s, task_keys[i]);
			best = task_keys[i];
		}
	for (size_t i = 0; modules && local_actions[i].name; i++)
		if (distance(s, local_actions[i].name) < bd) {
			bd = distance(s, local_actions[i].name);
			best = local_actions[i].name;
		}
	for (size_t i = 0; modules && mu_modules[i]; i++)
		if (distance(s, mu_modules[i]->name) < bd) {
			bd = distance(s, mu_modules[i]->name);
			best = mu_modules[i]->name;
		}
	return best;
}

/*
 * Split Ansible's free form "k=v k2='v 2' msg={{ a | b }}" into words: a
 * word ends at whitespace outside quotes and outside {{ }}, {% %}, {# #}.
 * Calls fn for each word's raw span. Returns MU_E_PARSE with e set for an
 * unbalanced quote or template.
 */
static int split_words(const char *s, int (*fn)(const char *w, size_t n, void *arg),
		       void *arg, struct mu_err *e)
{
	const char *p = s;

	for (;;) {
		const char *start;
		char q = 0;
		int depth = 0;
		int r;

		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			return 0;
		start = p;
		while (*p) {
			if (!q && p[0] == '{' && (p[1] == '{' || p[1] == '%' || p[1] == '#')) {
				depth++;
				p += 2;
				continue;
			}
			if (!q && depth && (p[0] == '}' || p[0] == '%' || p[0] == '#') && p[1] == '}') {
				depth--;
				p += 2;
				continue;
			}
			if (!q && (*p == '"' || *p == '\'')) {
				q = *p++;
				continue;
			}
			if (q && *p == '\\' && p[1]) {
				p += 2;
				continue;
			}
			if (q && *p == q) {
				q = 0;
				p++;
				continue;
			}
			if (!q && !depth && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
				break;
			p++;
		}
		if (q)
			return mu_err_set(e, MU_E_PARSE, "unbalanced quote (%c) in '%.*s'", q,
					  (int)(p - start), start);
		if (depth)
			return mu_err_set(e, MU_E_PARSE, "unclosed template in '%.*s'",
					  (int)(p - start), start);
		if ((r = fn(start, (size_t)(p - start), arg)) != 0)
			return r;
	}
}

/* A word "key=value": the key length, or 0 when the word is not one. */
static size_t kv_key(const char *w, size_t n)
{
	size_t k = 0;

	while (k < n && (w[k] == '_' || (w[k] >= 'a' && w[k] <= 'z') ||
			 (w[k] >= 'A' && w[k] <= 'Z') || (k && w[k] >= '0' && w[k] <= '9')))
		k++;
	return k && k < n && w[k] == '=' ? k : 0;
}

/* The value part of a k=v word, without surrounding quotes (as Ansible's
 * unquote: only when it starts and ends with the same quote). */
static json_t *kv_value(const char *v, size_t n)
{
	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0])
		return json_stringn(v + 1, n - 2);
	return json_stringn(v, n);
}

struct kv_ctx {
	json_t *into;
	struct mu_err *e;
};

static int kv_word(const char *w, size_t n, void *arg)
{
	struct kv_ctx *c = arg;
	size_t k = kv_key(w, n);
	char *key;

	if (!k)
		return mu_err_set(c->e, MU_E_PARSE, "'%.*s' is not key=value", (int)n, w);
	key = mu_xasprintf("%.*s", (int)k, w);
	json_object_set_new(c->into, key, kv_value(w + k + 1, n - k - 1));
	free(key);
	return 0;
}

int mu_kv_parse(const char *s, json_t *into, struct mu_err *e)
{
	struct kv_ctx c = { into, e };

	return split_words(s, kv_word, &c, e);
}

/* command/shell free form: the special k=v words Ansible takes out of the
 * command line wherever they are; the rest, as written, is the command. */
static const char *const raw_params_keys[] = {
	"chdir", "creates", "removes", "stdin", "executable", "warn",
	"stdin_add_newline", "strip_empty_ends", "argv", NULL,
};

struct raw_ctx {
	json_t *args;
	struct mu_buf cmd;
};

static int raw_word(const char *w, size_t n, void *arg)
{
	struct raw_ctx *c = arg;
	size_t k = kv_key(w, n);

	if (k) {
		char *key = mu_xasprintf("%.*s", (int)k, w);

		if (in_list(raw_params_keys, key)) {
			json_object_set_new(c->args, key, kv_value(w + k + 1, n - k - 1));
			free(key);
			return 0;
		}
		free(key);
	}
	if (c->cmd.len)
		mu_buf_addch(&c->cmd, ' ');
	mu_buf_add(&c->cmd, w, n);
	return 0;
}

static int parse_raw(const struct mu_ynode *n, json_t *args, struct mu_err *e)
{
	struct raw_ctx c = { args, MU_BUF_INIT };
	int r = split_words(mu_ynode_str(n), raw_word, &c, e);

	if (r == 0 && c.cmd.len)
		json_object_set_new(args, "cmd", json_string(c.cmd.buf));
	mu_buf_release(&c.cmd);
	if (r)
		return mu_yerr(e, n, "free-form arguments: %s", e->msg);
	return 0;
}

static int parse_kv(const struct mu_ynode *n, json_t *args, struct mu_err *e)
{
	if (mu_kv_parse(mu_ynode_str(n), args, e) != 0)
		return mu_yerr(e, n, "free-form arguments must be key=value pairs: %s", e->msg);
	return 0;
}

/* The node holding argument key: in the module's mapping, else in args:. */
static void find_arg_node(const struct mu_ynode *modval, const struct mu_ynode *argsnode,
			  const char *key, const struct mu_ynode **kn,
			  const struct mu_ynode **vn)
{
	for (const struct mu_ynode *src = modval; src; src = src == modval ? argsnode : NULL) {
		ssize_t i = src->type == MU_Y_MAP ? mu_ymap_index(src, key) : -1;

		if (i >= 0) {
			*kn = src->keys[i];
			*vn = src->items[i];
			return;
		}
		if (src == argsnode)
			break;
	}
}

/*
 * Check literal arguments against the agent module's spec: unknown names,
 * bad types and choices, missing required ones. Literal booleans for
 * boolean arguments go on as JSON booleans. Values holding templates are
 * checked by the agent once rendered.
 */
static int check_agent_args(const struct mu_module *m, const struct mu_ynode *at,
			    const struct mu_ynode *modval, const struct mu_ynode *argsnode,
			    json_t *args, struct mu_err *e)
{
	const char *key;
	json_t *val;

	json_object_foreach(args, key, val) {
		const struct mu_arg *a = mu_arg_find(m->args, key);
		const struct mu_ynode *vn = NULL, *kn = at;
		bool b;

		find_arg_node(modval, argsnode, key, &kn, &vn);
		if (!a) {
			struct mu_buf known = MU_BUF_INIT;
			int r;

			for (const struct mu_arg *q = m->args; q->name; q++)
				mu_buf_addf(&known, "%s%s", q == m->args ? "" : ", ", q->name);
			r = mu_yerr(e, kn, "unknown argument '%s' for module '%s' (known: %s)",
				    key, m->name, known.buf);
			mu_buf_release(&known);
			return r;
		}
		if (json_is_string(val) && mu_template_has_markup(json_string_value(val)))
			continue;
		if (json_is_null(val))
			continue;
		if (a->type == MU_T_MODE && json_is_integer(val) && vn)
			return mu_yerr(e, vn,
				       "%s: %s is read by YAML as the decimal number %s, not an "
				       "octal mode; write it with a leading zero or quoted: "
				       "%s: '0%s'",
				       key, vn->value, vn->value, key, vn->value);
		if (mu_arg_check_value(a, val, e) != 0) {
			char msg[sizeof(e->msg)];

			snprintf(msg, sizeof(msg), "%s", e->msg);
			return mu_yerr(e, vn ? vn : kn, "%s: %s", m->name, msg);
		}
		if (a->type == MU_T_BOOL && json_is_string(val) &&
		    mu_yaml_truthy(json_string_value(val), &b))
			json_object_set_new(args, key, json_boolean(b));
	}
	for (const struct mu_arg *a = m->args; a->name; a++) {
		bool found = json_object_get(args, a->name) != NULL;
		const char *p = a->aliases;

		while (!found && p && *p) {
			const char *bar = strchr(p, '|');
			size_t n = bar ? (size_t)(bar - p) : strlen(p);
			char tmp[64];

			snprintf(tmp, sizeof(tmp), "%.*s", (int)n, p);
			found = json_object_get(args, tmp) != NULL;
			p = bar ? bar + 1 : NULL;
		}
		if ((a->flags & MU_REQUIRED) && !found)
			return mu_yerr(e, at, "module '%s' needs argument '%s'", m->name, a->name);
	}
	return 0;
}

/* debug, fail, assert, set_fact: their arguments, checked as the agent's are. */
static int check_local_args(int la, const struct mu_ynode *at, const struct mu_ynode *modval,
			    const struct mu_ynode *argsnode, json_t *args, struct mu_err *e)
{
	const char *const *known = local_actions[la].args;
	const char *name = local_actions[la].name;
	const char *key;
	json_t *val;

	json_object_foreach(args, key, val) {
		const struct mu_ynode *vn = NULL, *kn = at;

		find_arg_node(modval, argsnode, key, &kn, &vn);
		if (known && !in_list(known, key)) {
			struct mu_buf list = MU_BUF_INIT;
			int r;

			for (size_t i = 0; known[i]; i++)
				mu_buf_addf(&list, "%s%s", i ? ", " : "", known[i]);
			r = mu_yerr(e, kn, "unknown argument '%s' for '%s' (known: %s)", key, name,
				    list.buf);
			mu_buf_release(&list);
			return r;
		}
		if (!known && !pb_identifier(key))
			return mu_yerr(e, kn, "set_fact: '%s' is not a valid variable name", key);
		if (local_actions[la].kind == MU_ACT_DEBUG && strcmp(key, "var") == 0) {
			if (!json_is_string(val))
				return mu_yerr(e, vn ? vn : kn, "debug: 'var' must be a variable name "
					       "or expression");
			if (vn && pb_check_expr(vn, "debug var", e))
				return MU_E_PARSE;
			if (!vn && !mu_template_has_markup(json_string_value(val)) &&
			    mu_expr_check(json_string_value(val), e)) {
				char msg[sizeof(e->msg)];

				snprintf(msg, sizeof(msg), "%s", e->msg);
				return mu_yerr(e, kn, "debug var: %s", msg);
			}
		}
		if (local_actions[la].kind == MU_ACT_DEBUG && strcmp(key, "verbosity") == 0 &&
		    !json_is_integer(val)) {
			const char *sv = json_string_value(val);
			char *end = NULL;
			long lv = sv ? strtol(sv, &end, 10) : 0;

			if (!sv || !*sv || *end || lv < 0 || lv > 9)
				return mu_yerr(e, vn ? vn : kn, "debug: 'verbosity' must be an "
					       "integer from 0 to 9");
			json_object_set_new(args, key, json_integer(lv));
		}
	}
	switch (local_actions[la].kind) {
	case MU_ACT_DEBUG:
		if (json_object_get(args, "msg") && json_object_get(args, "var"))
			return mu_yerr(e, at, "debug: 'msg' and 'var' are incompatible; give one");
		break;
	case MU_ACT_SET_FACT:
		if (json_object_size(args) == 0 ||
		    (json_object_size(args) == 1 && json_object_get(args, "cacheable")))
			return mu_yerr(e, at, "set_fact needs at least one variable");
		break;
	case MU_ACT_ASSERT: {
		const struct mu_ynode *kn = at, *vn = NULL;

		if (!json_object_get(args, "that"))
			return mu_yerr(e, at, "assert needs 'that'");
		find_arg_node(modval, argsnode, "that", &kn, &vn);
		if (vn)
			return pb_check_cond(vn, "assert", e);
		if (mu_when_check(json_object_get(args, "that"), e)) {
			char msg[sizeof(e->msg)];

			snprintf(msg, sizeof(msg), "%s", e->msg);
			return mu_yerr(e, at, "assert: %s", msg);
		}
		break;
	}
	default:
		break;
	}
	return 0;
}

/* The module key and its value; a second unknown key is an error that says
 * which of the two is the module when we can tell. */
static int note_module(const struct mu_ynode *k, const struct mu_ynode *v,
		       const struct mu_ynode **modkey, const struct mu_ynode **modval,
		       struct mu_err *e)
{
	const char *key = mu_ynode_str(k);
	const char *prev, *s;

	if (!*modkey) {
		*modkey = k;
		*modval = v;
		return 0;
	}
	prev = mu_ynode_str(*modkey);
	if (is_module(prev) && !is_module(key)) {
		s = suggest(key, true, false);
		return mu_yerr(e, k, "unknown task keyword '%s' (the module is '%s')%s%s%s", key,
			       prev, s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
	}
	if (!is_module(prev) && is_module(key)) {
		s = suggest(prev, true, false);
		return mu_yerr(e, *modkey, "unknown task keyword '%s' (the module is '%s')%s%s%s",
			       prev, key, s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
	}
	return mu_yerr(e, k, "task has two modules, '%s' (line %d) and '%s'; is one of them "
		       "a misspelt keyword?", prev, (*modkey)->line, key);
}

/* Task keywords other than the module: one key, one job. */
static int task_keyword(const struct mu_ynode *k, const struct mu_ynode *v, bool handler,
			struct mu_taskdef *t, const struct mu_ynode **argsnode,
			struct mu_err *e)
{
	const char *key = mu_ynode_str(k);
	bool b;
	int r = 0;

	if (strcmp(key, "name") == 0) {
		if (!(r = pb_node_string(v, key, &t->name, e)))
			r = pb_check_template(v, "name", e);
	} else if (strcmp(key, "when") == 0) {
		if (!(r = pb_check_cond(v, "when", e)))
			t->when = pb_cond_json(v);
	} else if (strcmp(key, "changed_when") == 0) {
		if (!(r = pb_check_cond(v, key, e)))
			t->changed_when = pb_cond_json(v);
	} else if (strcmp(key, "failed_when") == 0) {
		if (!(r = pb_check_cond(v, key, e)))
			t->failed_when = pb_cond_json(v);
	} else if (strcmp(key, "loop") == 0 || strcmp(key, "with_items") == 0 ||
		   strcmp(key, "with_list") == 0) {
		bool listify = strcmp(key, "loop") != 0;

		if (t->loop)
			return mu_yerr(e, k, "a task takes one loop; '%s' is a second one", key);
		if (v->type == MU_Y_MAP)
			return mu_yerr(e, v, "'%s' must be a list or a template giving one, got a "
				       "mapping (use loop with dict2items)", key);
		if (v->type == MU_Y_SCALAR && !mu_template_has_markup(mu_ynode_str(v)) &&
		    (!listify || mu_ynode_is_null(v)))
			return mu_yerr(e, v, "'%s' must be a list or a template giving one, got %s%s%s",
				       key, mu_ynode_is_null(v) ? "" : "'",
				       mu_ynode_is_null(v) ? "nothing" : mu_ynode_str(v),
				       mu_ynode_is_null(v) ? "" : "'");
		if ((r = pb_check_template(v, key, e)) || (r = pb_node_vars(v, &t->loop, e)))
			return r;
		t->loop_flatten = strcmp(key, "with_items") == 0;
		t->loop_listify = listify;
		if (json_is_string(t->loop) && !mu_template_has_markup(json_string_value(t->loop))) {
			json_t *one = json_array();

			json_array_append(one, t->loop);
			json_decref(t->loop);
			t->loop = one;
		}
	} else if (strcmp(key, "loop_control") == 0) {
		const struct mu_ynode *lv = mu_ymap_get(v, "loop_var");
		const struct mu_ynode *lb = mu_ymap_get(v, "label");

		if (v->type != MU_Y_MAP)
			return mu_yerr(e, v, "'loop_control' must be a mapping");
		if ((r = pb_check_keys(v, "loop_control", e)))
			return r;
		for (size_t j = 0; j < v->n; j++) {
			const char *lk = mu_ynode_str(v->keys[j]);

			if (strcmp(lk, "loop_var") != 0 && strcmp(lk, "label") != 0)
				return mu_yerr(e, v->keys[j], "unsupported loop_control key '%s' "
					       "(supported: loop_var, label)", lk);
		}
		if (lv) {
			free(t->loop_var);
			t->loop_var = NULL;
			if ((r = pb_node_string(lv, "loop_var", &t->loop_var, e)))
				return r;
			if (!pb_identifier(t->loop_var))
				return mu_yerr(e, lv, "loop_var '%s' is not a valid variable name",
					       t->loop_var);
		}
		if (lb && !(r = pb_node_string(lb, "label", &t->label, e)))
			r = pb_check_template(lb, "label", e);
	} else if (strcmp(key, "register") == 0) {
		if ((r = pb_node_string(v, key, &t->register_as, e)))
			return r;
		if (!pb_identifier(t->register_as))
			return mu_yerr(e, v, "register: '%s' is not a valid variable name",
				       t->register_as);
	} else if (strcmp(key, "notify") == 0) {
		if (!(r = pb_node_strlist(v, key, &t->notify, e))) {
			t->notify_line = v->line;
			t->notify_col = v->col;
		}
	} else if (strcmp(key, "tags") == 0) {
		r = pb_node_strlist(v, key, &t->tags, e);
	} else if (strcmp(key, "ignore_errors") == 0) {
		r = pb_node_bool(v, key, &t->ignore_errors, e);
	} else if (strcmp(key, "no_log") == 0) {
		r = pb_node_bool(v, key, &t->no_log, e);
	} else if (strcmp(key, "become") == 0) {
		if (!(r = pb_node_bool(v, key, &b, e)))
			t->become = b;
	} else if (strcmp(key, "check_mode") == 0) {
		if (!(r = pb_node_bool(v, key, &b, e)))
			t->check_mode = b;
	} else if (strcmp(key, "become_user") == 0) {
		if (!(r = pb_node_string(v, key, &t->become_user, e)))
			r = pb_check_template(v, key, e);
	} else if (strcmp(key, "become_method") == 0) {
		const char *s = mu_ynode_str(v);

		if (!s || strcmp(s, "sudo") != 0)
			return mu_yerr(e, v, "only become_method 'sudo' is supported");
	} else if (strcmp(key, "vars") == 0) {
		if (v->type != MU_Y_MAP)
			return mu_yerr(e, v, "'vars' must be a mapping, got a %s", mu_ynode_kind(v));
		if ((r = pb_check_keys(v, "vars", e)))
			return r;
		for (size_t j = 0; j < v->n; j++)
			if (!pb_identifier(mu_ynode_str(v->keys[j])))
				return mu_yerr(e, v->keys[j], "'%s' is not a valid variable name",
					       mu_ynode_str(v->keys[j]));
		if (!(r = pb_check_template(v, "vars", e)))
			r = pb_node_vars(v, &t->vars, e);
	} else if (strcmp(key, "args") == 0) {
		if (v->type != MU_Y_MAP)
			return mu_yerr(e, v, "'args' must be a mapping, got a %s", mu_ynode_kind(v));
		*argsnode = v;
	} else if (strcmp(key, "listen") == 0) {
		if (!handler)
			return mu_yerr(e, k, "'listen' belongs on handlers");
		r = pb_node_string(v, key, &t->listen, e);
	}
	return r;
}

/* The module's arguments: a mapping, a free-form string, or nothing; then
 * args: under them. */
static int task_args(struct mu_taskdef *t, const struct mu_module *am, int la,
		     const struct mu_ynode *modkey, const struct mu_ynode *modval,
		     const struct mu_ynode *argsnode, struct mu_err *e)
{
	bool vars_like = la >= 0 && local_actions[la].kind == MU_ACT_SET_FACT;
	int r;

	if (modval && (r = pb_check_template(modval, t->module, e)))
		return r;
	if (!modval || mu_ynode_is_null(modval)) {
		t->args = json_object();
	} else if (modval->type == MU_Y_MAP) {
		r = vars_like ? pb_node_vars(modval, &t->args, e) : pb_node_json(modval, &t->args, e);
		if (r)
			return r;
	} else if (modval->type == MU_Y_SCALAR) {
		t->args = json_object();
		if (am && (strcmp(am->name, "command") == 0 || strcmp(am->name, "shell") == 0))
			r = parse_raw(modval, t->args, e);
		else
			r = parse_kv(modval, t->args, e);
		if (r)
			return r;
		if (vars_like) {
			/* as Ansible's set_fact: k=yes is a boolean */
			const char *k;
			json_t *v;
			bool b;

			json_object_foreach(t->args, k, v)
				if (mu_yaml_truthy(json_string_value(v), &b) &&
				    !mu_template_has_markup(json_string_value(v)))
					json_object_set_new(t->args, k, json_boolean(b));
		}
	} else {
		return mu_yerr(e, modval, "arguments of '%s' must be a mapping or key=value text, "
			       "got a %s", mu_ynode_str(modkey), mu_ynode_kind(modval));
	}
	if (argsnode) {
		json_t *extra;
		const char *k;
		json_t *v;

		if ((r = vars_like ? pb_node_vars(argsnode, &extra, e) : pb_node_json(argsnode, &extra, e)))
			return r;
		json_object_foreach(extra, k, v)
			if (!json_object_get(t->args, k))
				json_object_set(t->args, k, v);
		json_decref(extra);
		if ((r = pb_check_template(argsnode, t->module, e)))
			return r;
	}
	if (am)
		return check_agent_args(am, modval && modval->type == MU_Y_MAP ? modval : modkey,
					modval, argsnode, t->args, e);
	return check_local_args(la, modval && modval->type == MU_Y_MAP ? modval : modkey, modval,
				argsnode, t->args, e);
}

int pb_parse_task(const struct mu_ynode *n, bool handler, json_t *play_tags,
		  struct mu_taskdef *t, struct mu_err *e)
{
	const struct mu_ynode *modkey = NULL, *modval = NULL, *argsnode = NULL;
	const struct mu_module *am = NULL;
	int la, r;

	memset(t, 0, sizeof(*t));
	t->become = -1;
	t->check_mode = -1;
	t->file = n->file;
	t->line = n->line;
	t->col = n->col;
	t->loop_var = mu_xstrdup("item");
	if (n->type != MU_Y_MAP)
		return mu_yerr(e, n, "a %s must be a mapping, got a %s", handler ? "handler" : "task",
			       mu_ynode_kind(n));
	if ((r = pb_check_keys(n, handler ? "handler" : "task", e)))
		return r;

	for (size_t i = 0; i < n->n; i++) {
		const struct mu_ynode *k = n->keys[i], *v = n->items[i];
		const char *key = mu_ynode_str(k);
		const char *why = unsupported_why(key);

		if (why)
			return mu_yerr(e, k, "'%s': %s", key, why);
		if (!in_list(task_keys, key))
			r = note_module(k, v, &modkey, &modval, e);
		else
			r = task_keyword(k, v, handler, t, &argsnode, e);
		if (r)
			return r;
	}
	if (!modkey)
		return mu_yerr(e, n, "%s has no module (one key must name a module, e.g. 'command:')",
			       handler ? "handler" : "task");
	if (handler && !t->name && !t->listen)
		return mu_yerr(e, n, "a handler needs a 'name' (or 'listen') to be notified by");

	t->module = mu_xstrdup(mu_ynode_str(modkey));
	t->kind = MU_ACT_AGENT;
	la = local_action(t->module);
	if (la >= 0) {
		t->kind = local_actions[la].kind;
		free(t->module);
		t->module = mu_xstrdup(local_actions[la].name);
	} else {
		const char *s;

		am = mu_module_find(t->module);
		if (!am) {
			s = suggest(t->module, false, true);
			return mu_yerr(e, modkey, "unknown module '%s'%s%s%s", t->module,
				       s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
		}
		free(t->module);
		t->module = mu_xstrdup(am->name);
	}
	if ((r = task_args(t, am, la, modkey, modval, argsnode, e)))
		return r;
	if (!t->tags)
		t->tags = json_array();
	if (play_tags)
		json_array_extend(t->tags, play_tags);
	return 0;
}

void pb_taskdef_release(struct mu_taskdef *t)
{
	free(t->name);
	free(t->module);
	free(t->loop_var);
	free(t->label);
	free(t->register_as);
	free(t->become_user);
	free(t->listen);
	json_decref(t->args);
	json_decref(t->when);
	json_decref(t->loop);
	json_decref(t->notify);
	json_decref(t->tags);
	json_decref(t->changed_when);
	json_decref(t->failed_when);
	json_decref(t->vars);
}
