/*
 * Loading a playbook: the document, its plays, vars_files and the checks
 * that span tasks (every notify reaches a handler), plus --tags matching.
 * One task is playbook_task.c's job; typed node reads and template checks
 * are playbook_node.c's. Every key we do not understand is an error naming
 * it and its position, before any host is contacted.
 */
#include "playbook.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "mu_buf.h"
#include "playbook_int.h"
#include "template.h"
#include "yaml.h"

static const char *const play_keys[] = {
	"name", "hosts", "become", "become_user", "become_method", "vars",
	"vars_files", "gather_facts", "tasks", "pre_tasks", "post_tasks",
	"handlers", "tags", "strategy", NULL,
};

/* Play keywords Ansible has that we refuse by name, with the reason. */
static const struct {
	const char *key;
	const char *why;
} unsupported_play_keys[] = {
	{ "roles", "roles are not supported; list the tasks in the play" },
	{ "import_playbook", "import_playbook is not supported" },
	{ "include", "includes are not supported" },
	{ "serial", "serial (rolling batches) is not supported yet" },
	{ "max_fail_percentage", "max_fail_percentage is not supported yet" },
	{ "any_errors_fatal", "any_errors_fatal is not supported" },
	{ "environment", "environment is not supported; use the module's own arguments" },
	{ "vars_prompt", "vars_prompt is not supported; pass the values with -e" },
	{ "connection", "per-play connection is not supported; set ansible_connection in the inventory" },
	{ "remote_user", "per-play remote_user is not supported; set ansible_user in the inventory or use -u" },
	{ "module_defaults", "module_defaults is not supported" },
	{ "collections", "collections is not supported; use the module's short name or FQCN" },
	{ "order", "host order is not supported" },
	{ "force_handlers", "force_handlers is not supported" },
	{ "ignore_errors", "ignore_errors on a play is not supported; set it on the tasks" },
	{ "check_mode", "check_mode on a play is not supported; set it on the tasks or use --check" },
	{ NULL, NULL },
};

static bool in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

static const char *unsupported_play_why(const char *key)
{
	for (size_t i = 0; unsupported_play_keys[i].key; i++)
		if (strcmp(unsupported_play_keys[i].key, key) == 0)
			return unsupported_play_keys[i].why;
	return NULL;
}

static int parse_task_list(const struct mu_ynode *n, bool handler, json_t *play_tags,
			   struct mu_taskdef **list, size_t *count, const char *what,
			   struct mu_err *e)
{
	if (mu_ynode_is_null(n))
		return 0;
	if (n->type != MU_Y_SEQ)
		return mu_yerr(e, n, "'%s' must be a list of %s, got a %s", what,
			       handler ? "handlers" : "tasks", mu_ynode_kind(n));
	*list = mu_xrealloc(*list, (*count + n->n) * sizeof(**list));
	for (size_t i = 0; i < n->n; i++) {
		int r = pb_parse_task(n->items[i], handler, play_tags, &(*list)[*count], e);

		(*count)++; /* pb_parse_task leaves a releasable task even on error */
		if (r)
			return r;
	}
	return 0;
}

static int check_var_names(const struct mu_ynode *map, struct mu_err *e)
{
	for (size_t i = 0; i < map->n; i++)
		if (!pb_identifier(mu_ynode_str(map->keys[i])))
			return mu_yerr(e, map->keys[i], "'%s' is not a valid variable name",
				       mu_ynode_str(map->keys[i]));
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
		if (r != MU_E_PARSE) {
			char msg[sizeof(e->msg)];

			snprintf(msg, sizeof(msg), "%s", e->msg);
			r = mu_yerr(e, fn, "vars_files: %s", msg);
		}
		goto out;
	}
	if (!doc->root) {
		r = 0;
		goto out;
	}
	if (doc->root->type != MU_Y_MAP) {
		r = mu_yerr(e, doc->root, "a vars file must hold a mapping, got a %s",
			    mu_ynode_kind(doc->root));
		goto out;
	}
	if ((r = pb_check_keys(doc->root, "vars", e)) || (r = check_var_names(doc->root, e)) || (r = pb_check_template(doc->root, "vars", e)) ||
	    (r = pb_node_vars(doc->root, &j, e)))
		goto out;
	json_object_update(vars, j);
out:
	json_decref(j);
	mu_ydoc_free(doc);
	free(path);
	return r;
}

/* A notify name must reach a handler: a typo would silently never run. */
static int check_notify(const struct mu_play *p, const struct mu_taskdef *t, struct mu_err *e)
{
	size_t j;
	json_t *h;

	json_array_foreach(t->notify, j, h) {
		const char *hn = json_string_value(h);
		bool found = false;

		for (size_t k = 0; k < p->nhandlers && !found; k++)
			found = (p->handlers[k].name && strcmp(p->handlers[k].name, hn) == 0) ||
				(p->handlers[k].listen && strcmp(p->handlers[k].listen, hn) == 0);
		if (!found)
			return mu_err_set(e, MU_E_PARSE, "%s:%d:%d: notify '%s': no handler by that "
					  "name or listen topic in this play", t->file,
					  t->notify_line, t->notify_col, hn);
	}
	return 0;
}

static int parse_play_vars(const struct mu_ynode *n, const char *pbdir, struct mu_play *p,
			   struct mu_err *e)
{
	const struct mu_ynode *v;
	int r;

	if ((v = mu_ymap_get(n, "vars")) && !mu_ynode_is_null(v)) {
		json_t *j;

		if (v->type != MU_Y_MAP)
			return mu_yerr(e, v, "'vars' must be a mapping, got a %s", mu_ynode_kind(v));
		if ((r = pb_check_keys(v, "vars", e)) || (r = check_var_names(v, e)) || (r = pb_check_template(v, "vars", e)) ||
		    (r = pb_node_vars(v, &j, e)))
			return r;
		json_object_update(p->vars, j);
		json_decref(j);
	}
	if ((v = mu_ymap_get(n, "vars_files")) && !mu_ynode_is_null(v)) {
		if (v->type == MU_Y_SCALAR)
			return load_vars_file(pbdir, v, p->vars, e);
		if (v->type != MU_Y_SEQ)
			return mu_yerr(e, v, "'vars_files' must be a list of files, got a %s",
				       mu_ynode_kind(v));
		for (size_t i = 0; i < v->n; i++) {
			if (v->items[i]->type == MU_Y_SEQ)
				return mu_yerr(e, v->items[i], "vars_files: a list of alternatives "
					       "(first found) is not supported");
			if ((r = load_vars_file(pbdir, v->items[i], p->vars, e)))
				return r;
		}
	}
	return 0;
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
	if ((r = pb_check_keys(n, "play", e)))
		return r;
	for (size_t i = 0; i < n->n; i++) {
		const char *key = mu_ynode_str(n->keys[i]);
		const char *why = unsupported_play_why(key);

		if (why)
			return mu_yerr(e, n->keys[i], "'%s': %s", key, why);
		if (!in_list(play_keys, key))
			return mu_yerr(e, n->keys[i], "unknown play keyword '%s'%s", key,
				       strcmp(key, "task") == 0 || strcmp(key, "handler") == 0
				       ? " (did you mean the plural?)" : "");
	}
	if ((v = mu_ymap_get(n, "name")) && (r = pb_node_string(v, "name", &p->name, e)))
		return r;
	v = mu_ymap_get(n, "hosts");
	if (!v || mu_ynode_is_null(v))
		return mu_yerr(e, v ? v : n, "play%s%s%s has no 'hosts'", p->name ? " '" : "",
			       p->name ? p->name : "", p->name ? "'" : "");
	if (v->type == MU_Y_SEQ) {
		struct mu_buf b = MU_BUF_INIT;

		for (size_t i = 0; i < v->n; i++) {
			if (v->items[i]->type != MU_Y_SCALAR) {
				mu_buf_release(&b);
				return mu_yerr(e, v->items[i], "'hosts' items must be patterns");
			}
			mu_buf_addf(&b, "%s%s", i ? ":" : "", mu_ynode_str(v->items[i]));
		}
		p->hosts = mu_buf_detach(&b, NULL);
	} else if ((r = pb_node_string(v, "hosts", &p->hosts, e))) {
		return r;
	}
	if (mu_template_has_markup(p->hosts))
		return mu_yerr(e, v, "templated 'hosts' patterns are not supported");
	if ((v = mu_ymap_get(n, "become"))) {
		bool b;

		if ((r = pb_node_bool(v, "become", &b, e)))
			return r;
		p->become = b;
	}
	if ((v = mu_ymap_get(n, "become_method")) &&
	    (!mu_ynode_str(v) || strcmp(mu_ynode_str(v), "sudo") != 0))
		return mu_yerr(e, v, "only become_method 'sudo' is supported");
	if ((v = mu_ymap_get(n, "become_user")) &&
	    ((r = pb_node_string(v, "become_user", &p->become_user, e)) ||
	     (r = pb_check_template(v, "become_user", e))))
		return r;
	if ((v = mu_ymap_get(n, "gather_facts")) &&
	    (r = pb_node_bool(v, "gather_facts", &p->gather_facts, e)))
		return r;
	if ((v = mu_ymap_get(n, "strategy"))) {
		const char *s = mu_ynode_str(v);

		if (!s || (strcmp(s, "linear") != 0 && strcmp(s, "free") != 0))
			return mu_yerr(e, v, "strategy must be 'free' or 'linear' (muster runs each "
				       "host freely)");
	}
	if ((r = parse_play_vars(n, pbdir, p, e)))
		return r;
	if ((v = mu_ymap_get(n, "tags")) && (r = pb_node_strlist(v, "tags", &tags, e)))
		return r;
	if (!r && (v = mu_ymap_get(n, "pre_tasks")))
		r = parse_task_list(v, false, tags, &p->tasks, &p->ntasks, "pre_tasks", e);
	if (!r && (v = mu_ymap_get(n, "tasks")))
		r = parse_task_list(v, false, tags, &p->tasks, &p->ntasks, "tasks", e);
	if (!r && (v = mu_ymap_get(n, "post_tasks")))
		r = parse_task_list(v, false, tags, &p->tasks, &p->ntasks, "post_tasks", e);
	if (!r && (v = mu_ymap_get(n, "handlers")))
		r = parse_task_list(v, true, tags, &p->handlers, &p->nhandlers, "handlers", e);
	json_decref(tags);
	if (r)
		return r;
	for (size_t i = 0; i < p->ntasks; i++)
		if ((r = check_notify(p, &p->tasks[i], e)))
			return r;
	for (size_t i = 0; i < p->nhandlers; i++)
		if ((r = check_notify(p, &p->handlers[i], e)))
			return r;
	return 0;
}

static void play_release(struct mu_play *p)
{
	free(p->name);
	free(p->hosts);
	free(p->become_user);
	json_decref(p->vars);
	for (size_t i = 0; i < p->ntasks; i++)
		pb_taskdef_release(&p->tasks[i]);
	for (size_t i = 0; i < p->nhandlers; i++)
		pb_taskdef_release(&p->handlers[i]);
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
		r = doc->root ? mu_yerr(e, doc->root, "a playbook must be a list of plays, got a %s",
					mu_ynode_kind(doc->root))
			      : mu_err_set(e, MU_E_PARSE, "%s:1:1: the playbook is empty", path);
		goto out;
	}
	if (doc->root->n == 0) {
		r = mu_yerr(e, doc->root, "the playbook has no plays");
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

/* Does the comma list `list` name `tag`? Words are trimmed of blanks. */
static bool list_has(const char *list, const char *tag)
{
	size_t tl = strlen(tag);

	for (const char *p = list; p && *p;) {
		size_t n = strcspn(p, ",");
		const char *a = p, *b = p + n;

		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if ((size_t)(b - a) == tl && strncmp(a, tag, tl) == 0)
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

/* Does the task carry a tag the comma list names? An untagged task
 * carries the tag "untagged". */
static bool tags_meet(const json_t *tags, const char *list)
{
	size_t i;
	json_t *tag;

	if (!json_array_size(tags))
		return list_has(list, "untagged");
	json_array_foreach(tags, i, tag)
		if (list_has(list, json_string_value(tag)))
			return true;
	return false;
}

static bool has_tag(const json_t *tags, const char *name)
{
	size_t i;
	json_t *tag;

	json_array_foreach(tags, i, tag)
		if (strcmp(json_string_value(tag), name) == 0)
			return true;
	return false;
}

bool mu_task_tag_match(const struct mu_taskdef *t, const char *tags, const char *skip_tags)
{
	const char *only = tags && *tags ? tags : "all";
	bool tagged = json_array_size(t->tags) > 0;
	bool never = has_tag(t->tags, "never");
	bool always = has_tag(t->tags, "always");
	/* Ansible's Taggable.evaluate_tags, in that order. */
	bool run = always || (list_has(only, "all") && !never) || tags_meet(t->tags, only) ||
		   (list_has(only, "tagged") && tagged && !never);

	if (!run || !skip_tags || !*skip_tags)
		return run;
	if (list_has(skip_tags, "all"))
		return always && !list_has(skip_tags, "always");
	return !tags_meet(t->tags, skip_tags) && !(list_has(skip_tags, "tagged") && tagged);
}
