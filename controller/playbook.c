/*
 * Loading plays and tasks. The loader is strict on purpose: every key it
 * does not understand is an error naming it and its position, because a
 * silently ignored `become:` typo or `with_dict:` is exactly how other
 * tools half-run a fleet. Templates, conditions and literal argument values
 * are checked here, before any host is contacted.
 */
#include "playbook.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "module.h"
#include "mu_buf.h"
#include "template.h"
#include "yaml.h"

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
	{ "include_role", "roles are not supported" },
	{ "import_role", "roles are not supported" },
	{ "include_vars", "include_vars is not supported; use vars_files" },
	{ "delegate_to", "delegation is not supported" },
	{ "local_action", "local_action is not supported" },
	{ "action", "the action: form is not supported; name the module as the key" },
	{ "until", "retries are not supported" },
	{ "retries", "retries are not supported" },
	{ "delay", "retries are not supported" },
	{ "environment", "environment is not supported; use the module's own arguments" },
	{ "with_dict", "with_dict is not supported; use loop with dict2items" },
	{ "with_nested", "with_nested is not supported" },
	{ "with_fileglob", "with_fileglob is not supported" },
	{ "async", "async is not supported" },
	{ "poll", "async is not supported" },
	{ "run_once", "run_once is not supported" },
	{ "throttle", "throttle is not supported" },
	{ "diff", "per-task diff is not supported; use --diff" },
	{ NULL, NULL },
};

static const char *const play_keys[] = {
	"name", "hosts", "become", "become_user", "become_method", "vars",
	"vars_files", "gather_facts", "tasks", "pre_tasks", "post_tasks",
	"handlers", "tags", "strategy", NULL,
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

static const struct {
	const char *name;
	enum mu_action_kind kind;
} local_actions[] = {
	{ "debug", MU_ACT_DEBUG }, { "ansible.builtin.debug", MU_ACT_DEBUG },
	{ "set_fact", MU_ACT_SET_FACT }, { "ansible.builtin.set_fact", MU_ACT_SET_FACT },
	{ "fail", MU_ACT_FAIL }, { "ansible.builtin.fail", MU_ACT_FAIL },
	{ "assert", MU_ACT_ASSERT }, { "ansible.builtin.assert", MU_ACT_ASSERT },
	{ NULL, MU_ACT_AGENT },
};

/* A boolean keyword: YAML 1.1 booleans only (a template is refused). */
static int node_bool(const struct mu_ynode *n, const char *key, bool *out,
		     struct mu_err *e)
{
	const char *s = mu_ynode_str(n);

	if (s && mu_yaml_truthy(s, out))
		return 0;
	return mu_yerr(e, n, "'%s' must be a boolean (true/false, yes/no), got %s", key,
		       s ? s : mu_ynode_kind(n));
}

static int node_json(const struct mu_ynode *n, json_t **out, struct mu_err *e)
{
	*out = mu_ynode_to_json(n, 0, e);
	return *out ? 0 : MU_E_PARSE;
}

static int node_string(const struct mu_ynode *n, const char *key, char **out,
		       struct mu_err *e)
{
	const char *s = mu_ynode_str(n);

	if (!s || n->type != MU_Y_SCALAR)
		return mu_yerr(e, n, "'%s' must be a string, got a %s", key, mu_ynode_kind(n));
	*out = mu_xstrdup(s);
	return 0;
}

/* A string or list of strings as a JSON list. */
static int node_strlist(const struct mu_ynode *n, const char *key, json_t **out,
			struct mu_err *e)
{
	json_t *l = json_array();

	if (n->type == MU_Y_SCALAR) {
		const char *s = mu_ynode_str(n);

		/* tags: "a,b" is two tags, as in Ansible */
		if (strcmp(key, "tags") == 0) {
			char *copy = mu_xstrdup(s), *save = NULL;

			for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				while (*t == ' ')
					t++;
				if (*t)
					json_array_append_new(l, json_string(t));
			}
			free(copy);
		} else {
			json_array_append_new(l, json_string(s));
		}
	} else if (n->type == MU_Y_SEQ) {
		for (size_t i = 0; i < n->n; i++) {
			const char *s = mu_ynode_str(n->items[i]);

			if (!s) {
				json_decref(l);
				return mu_yerr(e, n->items[i], "'%s' items must be strings", key);
			}
			json_array_append_new(l, json_string(s));
		}
	} else {
		json_decref(l);
		return mu_yerr(e, n, "'%s' must be a string or a list of strings", key);
	}
	*out = l;
	return 0;
}

/* Re-raise a template or condition error at node n's position. */
static int at_node(struct mu_err *e, const struct mu_ynode *n, const char *what)
{
	char msg[sizeof(e->msg)];

	snprintf(msg, sizeof(msg), "%s", e->msg);
	return mu_yerr(e, n, "%s: %s", what, msg);
}

static int check_template_node(const struct mu_ynode *n, const char *what,
			       struct mu_err *e)
{
	if (n->type == MU_Y_SCALAR) {
		if (mu_template_check(mu_ynode_str(n), e) != 0)
			return at_node(e, n, what);
		return 0;
	}
	for (size_t i = 0; i < n->n; i++) {
		if (n->type == MU_Y_MAP && check_template_node(n->keys[i], what, e))
			return MU_E_PARSE;
		if (check_template_node(n->items[i], what, e))
			return MU_E_PARSE;
	}
	return 0;
}

static int check_cond_node(const struct mu_ynode *n, const char *what, struct mu_err *e)
{
	if (n->type == MU_Y_SEQ) {
		for (size_t i = 0; i < n->n; i++)
			if (check_cond_node(n->items[i], what, e))
				return MU_E_PARSE;
		return 0;
	}
	if (n->type != MU_Y_SCALAR)
		return mu_yerr(e, n, "'%s' must be a condition or a list of them", what);
	if (n->style == MU_YS_PLAIN && mu_yaml_truthy(mu_ynode_str(n), NULL))
		return 0;
	if (mu_expr_cond_check(mu_ynode_str(n), e) != 0)
		return at_node(e, n, what);
	return 0;
}

static json_t *cond_json(const struct mu_ynode *n)
{
	bool b;

	if (n->type == MU_Y_SEQ) {
		json_t *l = json_array();

		for (size_t i = 0; i < n->n; i++)
			json_array_append_new(l, cond_json(n->items[i]));
		return l;
	}
	if (n->style == MU_YS_PLAIN && mu_yaml_truthy(mu_ynode_str(n), &b))
		return json_boolean(b);
	return json_string(mu_ynode_str(n));
}

/* Ansible's free form "k=v k2='v 2'" for modules other than command/shell. */
static int parse_kv(const struct mu_ynode *n, json_t *args, struct mu_err *e)
{
	const char *p = mu_ynode_str(n);
	struct mu_buf k = MU_BUF_INIT, v = MU_BUF_INIT;
	int r = 0;

	while (*p) {
		char q = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		mu_buf_reset(&k);
		mu_buf_reset(&v);
		while (*p && *p != '=' && *p != ' ')
			mu_buf_addch(&k, *p++);
		if (*p != '=') {
			r = mu_yerr(e, n, "free-form arguments must be key=value pairs; '%s' is not",
				    k.buf);
			break;
		}
		p++;
		while (*p && (q || (*p != ' ' && *p != '\t'))) {
			if (!q && (*p == '"' || *p == '\'')) {
				q = *p++;
				continue;
			}
			if (q && *p == q) {
				q = 0;
				p++;
				continue;
			}
			mu_buf_addch(&v, *p++);
		}
		if (q) {
			r = mu_yerr(e, n, "unbalanced quote in free-form arguments");
			break;
		}
		json_object_set_new(args, k.buf, json_string(v.buf));
	}
	mu_buf_release(&k);
	mu_buf_release(&v);
	return r;
}

/*
 * Check literal arguments against the agent module's spec: unknown names,
 * bad types and choices, missing required ones. Values holding templates
 * are checked by the agent once rendered.
 */
static int check_agent_args(const struct mu_module *m, const struct mu_ynode *modnode,
			    const struct mu_ynode *argsnode, json_t *args,
			    struct mu_err *e)
{
	const char *key;
	json_t *val;

	json_object_foreach(args, key, val) {
		const struct mu_arg *a = mu_arg_find(m->args, key);
		const struct mu_ynode *vn = NULL;
		const struct mu_ynode *kn = modnode;

		for (const struct mu_ynode *src = modnode; src; src = src == modnode ? argsnode : NULL) {
			ssize_t i = src->type == MU_Y_MAP ? mu_ymap_index(src, key) : -1;

			if (i >= 0) {
				kn = src->keys[i];
				vn = src->items[i];
				break;
			}
		}
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
		if (a->type == MU_T_MODE && vn && vn->type == MU_Y_SCALAR &&
		    vn->style == MU_YS_PLAIN && json_is_integer(val))
			return mu_yerr(e, vn,
				       "%s: %s is read by YAML as the decimal number %s, not an "
				       "octal mode; write it with a leading zero or quoted: "
				       "%s: '0%s'",
				       key, vn->value, vn->value, key, vn->value);
		if (mu_arg_check_value(a, val, e) != 0)
			return at_node(e, vn ? vn : kn, m->name);
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
			return mu_yerr(e, modnode, "module '%s' needs argument '%s'", m->name,
				       a->name);
	}
	return 0;
}

static int parse_task(const struct mu_ynode *n, bool handler, json_t *play_tags,
		      struct mu_taskdef *t, struct mu_err *e)
{
	const struct mu_ynode *modkey = NULL, *modval = NULL, *argsnode = NULL;
	const struct mu_module *am = NULL;
	int r;

	memset(t, 0, sizeof(*t));
	t->become = -1;
	t->check_mode = -1;
	t->file = n->file;
	t->line = n->line;
	t->col = n->col;
	t->loop_var = mu_xstrdup("item");
	if (n->type != MU_Y_MAP)
		return mu_yerr(e, n, "a task must be a mapping, got a %s", mu_ynode_kind(n));

	for (size_t i = 0; i < n->n; i++) {
		const struct mu_ynode *k = n->keys[i], *v = n->items[i];
		const char *key = mu_ynode_str(k);
		const char *why = unsupported_why(key);
		bool b;

		if (why)
			return mu_yerr(e, k, "'%s': %s", key, why);
		if (!in_list(task_keys, key)) {
			if (modkey)
				return mu_yerr(e, k,
					       "task has two modules, '%s' (line %d) and '%s'; "
					       "is one of them a misspelt keyword?",
					       mu_ynode_str(modkey), modkey->line, key);
			modkey = k;
			modval = v;
			continue;
		}
		if (strcmp(key, "name") == 0) {
			if ((r = node_string(v, key, &t->name, e)) || (r = check_template_node(v, "name", e)))
				return r;
		} else if (strcmp(key, "when") == 0) {
			if ((r = check_cond_node(v, "when", e)))
				return r;
			t->when = cond_json(v);
		} else if (strcmp(key, "changed_when") == 0 || strcmp(key, "failed_when") == 0) {
			if ((r = check_cond_node(v, key, e)))
				return r;
			if (key[0] == 'c')
				t->changed_when = cond_json(v);
			else
				t->failed_when = cond_json(v);
		} else if (strcmp(key, "loop") == 0 || strcmp(key, "with_items") == 0 ||
			   strcmp(key, "with_list") == 0) {
			if (t->loop)
				return mu_yerr(e, k, "a task takes one loop");
			if (v->type == MU_Y_MAP)
				return mu_yerr(e, v, "'%s' must be a list or a template", key);
			if ((r = check_template_node(v, key, e)) || (r = node_json(v, &t->loop, e)))
				return r;
			if (json_is_string(t->loop) &&
			    !mu_template_has_markup(json_string_value(t->loop))) {
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
			for (size_t j = 0; j < v->n; j++) {
				const char *lk = mu_ynode_str(v->keys[j]);

				if (strcmp(lk, "loop_var") && strcmp(lk, "label"))
					return mu_yerr(e, v->keys[j],
						       "unsupported loop_control key '%s' (supported: loop_var, label)",
						       lk);
			}
			if (lv) {
				free(t->loop_var);
				t->loop_var = NULL;
				if ((r = node_string(lv, "loop_var", &t->loop_var, e)))
					return r;
			}
			if (lb && ((r = node_string(lb, "label", &t->label, e)) ||
				   (r = check_template_node(lb, "label", e))))
				return r;
		} else if (strcmp(key, "register") == 0) {
			if ((r = node_string(v, key, &t->register_as, e)))
				return r;
		} else if (strcmp(key, "notify") == 0 || strcmp(key, "tags") == 0) {
			json_t *l;

			if ((r = node_strlist(v, key, &l, e)))
				return r;
			if (key[0] == 'n')
				t->notify = l;
			else
				t->tags = l;
		} else if (strcmp(key, "ignore_errors") == 0) {
			if ((r = node_bool(v, key, &t->ignore_errors, e)))
				return r;
		} else if (strcmp(key, "no_log") == 0) {
			if ((r = node_bool(v, key, &b, e)))
				return r;
		} else if (strcmp(key, "become") == 0) {
			if ((r = node_bool(v, key, &b, e)))
				return r;
			t->become = b;
		} else if (strcmp(key, "check_mode") == 0) {
			if ((r = node_bool(v, key, &b, e)))
				return r;
			t->check_mode = b;
		} else if (strcmp(key, "become_user") == 0) {
			if ((r = node_string(v, key, &t->become_user, e)))
				return r;
		} else if (strcmp(key, "become_method") == 0) {
			const char *s = mu_ynode_str(v);

			if (!s || strcmp(s, "sudo") != 0)
				return mu_yerr(e, v, "only become_method 'sudo' is supported");
		} else if (strcmp(key, "vars") == 0) {
			if (v->type != MU_Y_MAP)
				return mu_yerr(e, v, "'vars' must be a mapping");
			if ((r = check_template_node(v, "vars", e)) || (r = node_json(v, &t->vars, e)))
				return r;
		} else if (strcmp(key, "args") == 0) {
			if (v->type != MU_Y_MAP)
				return mu_yerr(e, v, "'args' must be a mapping");
			argsnode = v;
		} else if (strcmp(key, "listen") == 0) {
			if (!handler)
				return mu_yerr(e, k, "'listen' belongs on handlers");
			if ((r = node_string(v, key, &t->listen, e)))
				return r;
		}
	}
	if (!modkey)
		return mu_yerr(e, n, "task has no module (one key must name a module, e.g. 'sysctl:')");

	t->module = mu_xstrdup(mu_ynode_str(modkey));
	t->kind = MU_ACT_AGENT;
	for (size_t i = 0; local_actions[i].name; i++)
		if (strcmp(local_actions[i].name, t->module) == 0)
			t->kind = local_actions[i].kind;
	if (t->kind == MU_ACT_AGENT) {
		am = mu_module_find(t->module);
		if (!am)
			return mu_yerr(e, modkey, "unknown module '%s'", t->module);
		free(t->module);
		t->module = mu_xstrdup(am->name);
	}

	/* Arguments: a mapping, a free-form string, or nothing. */
	if (mu_ynode_is_null(modval)) {
		t->args = json_object();
	} else if (modval->type == MU_Y_MAP) {
		if ((r = node_json(modval, &t->args, e)))
			return r;
	} else if (modval->type == MU_Y_SCALAR) {
		t->args = json_object();
		if (am && (strcmp(am->name, "command") == 0 || strcmp(am->name, "shell") == 0))
			json_object_set_new(t->args, "cmd", json_string(mu_ynode_str(modval)));
		else if ((r = parse_kv(modval, t->args, e)))
			return r;
	} else {
		return mu_yerr(e, modval, "arguments of '%s' must be a mapping", t->module);
	}
	if (argsnode) {
		json_t *extra;
		const char *k;
		json_t *v;

		if ((r = node_json(argsnode, &extra, e)))
			return r;
		json_object_foreach(extra, k, v)
			if (!json_object_get(t->args, k))
				json_object_set(t->args, k, v);
		json_decref(extra);
		if ((r = check_template_node(argsnode, t->module, e)))
			return r;
	}
	if (modval && (r = check_template_node(modval, t->module, e)))
		return r;
	if (am && (r = check_agent_args(am, modval && modval->type == MU_Y_MAP ? modval : modkey,
					argsnode, t->args, e)))
		return r;
	if (t->kind == MU_ACT_ASSERT) {
		json_t *that = json_object_get(t->args, "that");

		if (!that)
			return mu_yerr(e, modkey, "assert needs 'that'");
		if (mu_when_check(that, e))
			return at_node(e, modval, "assert");
	}
	if (!t->tags)
		t->tags = json_array();
	if (play_tags)
		json_array_extend(t->tags, play_tags);
	return 0;
}

static void taskdef_release(struct mu_taskdef *t)
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

static int parse_task_list(const struct mu_ynode *n, bool handler, json_t *play_tags,
			   struct mu_taskdef **list, size_t *count, struct mu_err *e)
{
	if (mu_ynode_is_null(n))
		return 0;
	if (n->type != MU_Y_SEQ)
		return mu_yerr(e, n, "'%s' must be a list of tasks", handler ? "handlers" : "tasks");
	*list = mu_xrealloc(*list, (*count + n->n) * sizeof(**list));
	for (size_t i = 0; i < n->n; i++) {
		int r = parse_task(n->items[i], handler, play_tags, &(*list)[*count], e);

		(*count)++; /* parse_task leaves a releasable task even on error */
		if (r)
			return r;
	}
	return 0;
}

static int load_vars_file(const char *pbdir, const struct mu_ynode *fn, json_t *vars,
			  struct mu_err *e)
{
	const char *name = mu_ynode_str(fn);
	struct mu_ydoc *doc = NULL;
	json_t *j = NULL;
	char *path;
	int r;

	if (!name)
		return mu_yerr(e, fn, "'vars_files' entries must be file names");
	if (mu_template_has_markup(name))
		return mu_yerr(e, fn, "templated vars_files names are not supported");
	path = name[0] == '/' ? mu_xstrdup(name) : mu_xasprintf("%s/%s", pbdir, name);
	r = mu_yaml_load_file(path, &doc, e);
	if (r) {
		if (r != MU_E_PARSE)
			r = mu_yerr(e, fn, "cannot load vars file '%s': %s", path, e->msg);
		goto out;
	}
	if (!doc->root) {
		r = 0;
		goto out;
	}
	if (doc->root->type != MU_Y_MAP) {
		r = mu_yerr(e, doc->root, "a vars file must hold a mapping");
		goto out;
	}
	if ((r = check_template_node(doc->root, "vars", e)) || (r = node_json(doc->root, &j, e)))
		goto out;
	json_object_update(vars, j);
out:
	json_decref(j);
	mu_ydoc_free(doc);
	free(path);
	return r;
}

static int parse_play(const struct mu_ynode *n, const char *pbdir, struct mu_play *p,
		      struct mu_err *e)
{
	const struct mu_ynode *v;
	json_t *tags = NULL;
	int r = 0;

	memset(p, 0, sizeof(*p));
	p->file = n->file;
	p->line = n->line;
	p->gather_facts = true;
	p->vars = json_object();
	if (n->type != MU_Y_MAP)
		return mu_yerr(e, n, "a play must be a mapping, got a %s", mu_ynode_kind(n));
	if (mu_ymap_get(n, "import_playbook") || mu_ymap_get(n, "include"))
		return mu_yerr(e, n, "import_playbook is not supported");
	if (mu_ymap_get(n, "roles"))
		return mu_yerr(e, mu_ymap_get(n, "roles"), "roles are not supported; list the tasks in the play");
	for (size_t i = 0; i < n->n; i++) {
		const char *key = mu_ynode_str(n->keys[i]);

		if (!in_list(play_keys, key))
			return mu_yerr(e, n->keys[i], "unknown or unsupported play keyword '%s'", key);
	}
	if ((v = mu_ymap_get(n, "name")) && (r = node_string(v, "name", &p->name, e)))
		return r;
	v = mu_ymap_get(n, "hosts");
	if (!v)
		return mu_yerr(e, n, "play has no 'hosts'");
	if (v->type == MU_Y_SEQ) {
		struct mu_buf b = MU_BUF_INIT;

		for (size_t i = 0; i < v->n; i++)
			mu_buf_addf(&b, "%s%s", i ? ":" : "", mu_ynode_str(v->items[i]) ? mu_ynode_str(v->items[i]) : "");
		p->hosts = mu_buf_detach(&b, NULL);
	} else if ((r = node_string(v, "hosts", &p->hosts, e))) {
		return r;
	}
	if (mu_template_has_markup(p->hosts))
		return mu_yerr(e, v, "templated 'hosts' patterns are not supported");
	if ((v = mu_ymap_get(n, "become"))) {
		bool b;

		if ((r = node_bool(v, "become", &b, e)))
			return r;
		p->become = b;
	}
	if ((v = mu_ymap_get(n, "become_method")) &&
	    (!mu_ynode_str(v) || strcmp(mu_ynode_str(v), "sudo") != 0))
		return mu_yerr(e, v, "only become_method 'sudo' is supported");
	if ((v = mu_ymap_get(n, "become_user")) && (r = node_string(v, "become_user", &p->become_user, e)))
		return r;
	if ((v = mu_ymap_get(n, "gather_facts")) && (r = node_bool(v, "gather_facts", &p->gather_facts, e)))
		return r;
	if ((v = mu_ymap_get(n, "strategy"))) {
		const char *s = mu_ynode_str(v);

		if (!s || (strcmp(s, "linear") && strcmp(s, "free")))
			return mu_yerr(e, v, "strategy must be 'free' or 'linear' (muster runs each host freely)");
	}
	if ((v = mu_ymap_get(n, "vars"))) {
		json_t *j;

		if (v->type != MU_Y_MAP && !mu_ynode_is_null(v))
			return mu_yerr(e, v, "'vars' must be a mapping");
		if (v->type == MU_Y_MAP) {
			if ((r = check_template_node(v, "vars", e)) || (r = node_json(v, &j, e)))
				return r;
			json_object_update(p->vars, j);
			json_decref(j);
		}
	}
	if ((v = mu_ymap_get(n, "vars_files"))) {
		if (v->type != MU_Y_SEQ)
			return mu_yerr(e, v, "'vars_files' must be a list of files");
		for (size_t i = 0; i < v->n; i++)
			if ((r = load_vars_file(pbdir, v->items[i], p->vars, e)))
				return r;
	}
	if ((v = mu_ymap_get(n, "tags")) && (r = node_strlist(v, "tags", &tags, e)))
		return r;
	if (!r && (v = mu_ymap_get(n, "pre_tasks")))
		r = parse_task_list(v, false, tags, &p->tasks, &p->ntasks, e);
	if (!r && (v = mu_ymap_get(n, "tasks")))
		r = parse_task_list(v, false, tags, &p->tasks, &p->ntasks, e);
	if (!r && (v = mu_ymap_get(n, "post_tasks")))
		r = parse_task_list(v, false, tags, &p->tasks, &p->ntasks, e);
	if (!r && (v = mu_ymap_get(n, "handlers")))
		r = parse_task_list(v, true, tags, &p->handlers, &p->nhandlers, e);
	json_decref(tags);
	if (r)
		return r;
	/* Every notify must reach a handler: a typo would silently never run. */
	for (size_t i = 0; i < p->ntasks; i++) {
		size_t j;
		json_t *h;

		json_array_foreach(p->tasks[i].notify, j, h) {
			const char *hn = json_string_value(h);
			bool found = false;

			for (size_t k = 0; k < p->nhandlers && !found; k++)
				found = (p->handlers[k].name && strcmp(p->handlers[k].name, hn) == 0) ||
					(p->handlers[k].listen && strcmp(p->handlers[k].listen, hn) == 0);
			if (!found)
				return mu_err_set(e, MU_E_PARSE, "%s:%d:%d: notify '%s': no handler by that name",
						  p->tasks[i].file, p->tasks[i].line, p->tasks[i].col, hn);
		}
	}
	return 0;
}

static void play_release(struct mu_play *p)
{
	free(p->name);
	free(p->hosts);
	free(p->become_user);
	json_decref(p->vars);
	for (size_t i = 0; i < p->ntasks; i++)
		taskdef_release(&p->tasks[i]);
	for (size_t i = 0; i < p->nhandlers; i++)
		taskdef_release(&p->handlers[i]);
	free(p->tasks);
	free(p->handlers);
}

void mu_playbook_free(struct mu_playbook *pb)
{
	if (!pb)
		return;
	for (size_t i = 0; i < pb->nplays; i++)
		play_release(&pb->plays[i]);
	free(pb->plays);
	free(pb->path);
	free(pb);
}

int mu_playbook_load(const char *path, struct mu_playbook **out, struct mu_err *e)
{
	struct mu_playbook *pb = mu_xcalloc(1, sizeof(*pb));
	struct mu_ydoc *doc = NULL;
	char *dircopy = mu_xstrdup(path);
	const char *pbdir = dirname(dircopy);
	int r;

	*out = NULL;
	pb->path = mu_xstrdup(path);
	if ((r = mu_yaml_load_file(path, &doc, e)) != 0)
		goto out;
	if (!doc->root || doc->root->type != MU_Y_SEQ) {
		r = doc->root ? mu_yerr(e, doc->root, "a playbook must be a list of plays")
			      : mu_err_set(e, MU_E_PARSE, "%s: the playbook is empty", path);
		goto out;
	}
	pb->plays = mu_xcalloc(doc->root->n, sizeof(*pb->plays));
	for (size_t i = 0; i < doc->root->n; i++) {
		r = parse_play(doc->root->items[i], pbdir, &pb->plays[i], e);
		pb->nplays++;
		if (r)
			goto out;
	}
	/* Node positions point into the document's file name: keep a copy. */
	for (size_t i = 0; i < pb->nplays; i++) {
		pb->plays[i].file = pb->path;
		for (size_t j = 0; j < pb->plays[i].ntasks; j++)
			pb->plays[i].tasks[j].file = pb->path;
		for (size_t j = 0; j < pb->plays[i].nhandlers; j++)
			pb->plays[i].handlers[j].file = pb->path;
	}
	*out = pb;
	pb = NULL;
	r = 0;
out:
	mu_ydoc_free(doc);
	mu_playbook_free(pb);
	free(dircopy);
	return r;
}

bool mu_task_tag_match(const struct mu_taskdef *t, const char *tags, const char *skip_tags)
{
	size_t i;
	json_t *tag;

	if (skip_tags && *skip_tags) {
		json_array_foreach(t->tags, i, tag) {
			char *copy = mu_xstrdup(skip_tags), *save = NULL;
			bool hit = false;

			for (char *s = strtok_r(copy, ",", &save); s && !hit; s = strtok_r(NULL, ",", &save))
				hit = strcmp(s, json_string_value(tag)) == 0;
			free(copy);
			if (hit)
				return false;
		}
	}
	if (!tags || !*tags || strcmp(tags, "all") == 0)
		return !json_array_size(t->tags) ||
		       !(json_array_size(t->tags) == 1 &&
			 strcmp(json_string_value(json_array_get(t->tags, 0)), "never") == 0);
	json_array_foreach(t->tags, i, tag) {
		char *copy = mu_xstrdup(tags), *save = NULL;
		bool hit = false;

		for (char *s = strtok_r(copy, ",", &save); s && !hit; s = strtok_r(NULL, ",", &save))
			hit = strcmp(s, json_string_value(tag)) == 0 || strcmp(s, "tagged") == 0;
		free(copy);
		if (hit)
			return true;
	}
	return strstr(tags, "untagged") && !json_array_size(t->tags);
}
