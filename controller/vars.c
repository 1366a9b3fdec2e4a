/*
 * A host's variable scope, layered as Ansible does for what we support
 * (later wins): inventory (group, group_vars, host, host_vars: merged by
 * inventory.c) < gathered facts < play vars (vars_files over vars) < task
 * vars < set_fact and registered results < extra vars (-e) < the loop
 * variable. Magic variables (inventory_hostname, group_names, groups,
 * ansible_check_mode, ...) sit under everything a user can set.
 */
#include "runner.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mu_buf.h"
#include "template.h"

static bool has_markup(const json_t *v)
{
	size_t i;
	const char *k;
	json_t *x;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return mu_template_has_markup(json_string_value(v));
	case JSON_ARRAY:
		json_array_foreach(v, i, x)
			if (has_markup(x))
				return true;
		return false;
	case JSON_OBJECT:
		json_object_foreach((json_t *)v, k, x)
			if (has_markup(x))
				return true;
		return false;
	default:
		return false;
	}
}

/*
 * Which layer gave the scope its value for key: only values a user wrote
 * (inventory, play, task and extra vars) are templates to resolve. Facts,
 * registered results and loop items are data from the host: a "{{" in a
 * command's output must never be evaluated.
 */
static bool user_written(const struct mu_host *h, const struct mu_scope_layers *l,
			 const char *key)
{
	if (l->loop && json_object_get(l->loop, key))
		return false;
	if (l->extra && json_object_get(l->extra, key))
		return true;
	if (l->facts && json_object_get(l->facts, key))
		return false;
	if ((l->task_vars && json_object_get(l->task_vars, key)) ||
	    (l->play_vars && json_object_get(l->play_vars, key)))
		return true;
	if (l->gathered && json_object_get(l->gathered, key))
		return false;
	return json_object_get(h->vars, key) != NULL;
}

/* Does text mention name as a whole identifier? (A cheap dependency test.) */
static bool mentions(const char *text, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = strstr(text, name); p; p = strstr(p + 1, name)) {
		bool left = p == text || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
		bool right = !(isalnum((unsigned char)p[n]) || p[n] == '_');

		if (left && right)
			return true;
	}
	return false;
}

static bool mentions_pending(const json_t *raw, const char *self, const json_t *pending)
{
	char *text = json_dumps(raw, JSON_ENCODE_ANY | JSON_COMPACT);
	const char *k;
	json_t *v;
	bool hit = false;

	json_object_foreach((json_t *)pending, k, v)
		if (strcmp(k, self) != 0 && text && mentions(text, k)) {
			hit = true;
			break;
		}
	free(text);
	return hit;
}

/*
 * Variables may refer to other variables ("data: '{{ base }}/data'"). Each
 * user-written template is rendered once, from its text as written, after
 * the variables it refers to: a pass renders the pending ones against a
 * scope without the still-pending names, deferring those whose text names
 * one, so nothing is rendered from another variable's raw text. Rendered
 * output is never rendered again (a value may legitimately produce "{{").
 * A variable that cannot be rendered is removed from the scope and the
 * reason kept under MU_UNRESOLVED_KEY, so a task that uses it fails naming
 * it and why; it never reaches a module as raw "{{ ... }}" text.
 */
static void resolve_nested(json_t *scope, const struct mu_host *h,
			   const struct mu_scope_layers *l)
{
	json_t *pending = json_object();
	json_t *reasons = json_object();
	const char *k;
	json_t *v;
	void *tmp;
	bool strict = true;

	json_object_foreach(scope, k, v)
		if (has_markup(v) && user_written(h, l, k))
			json_object_set(pending, k, v);
	while (json_object_size(pending)) {
		json_t *view = json_object();
		bool progress = false;

		json_object_foreach(scope, k, v)
			if (!json_object_get(pending, k))
				json_object_set(view, k, v);
		json_object_foreach_safe(pending, tmp, k, v) {
			json_t *out = NULL;
			struct mu_err e = { 0 };

			if (strict && mentions_pending(v, k, pending))
				continue;
			if (mu_template_render_deep(v, view, &out, &e) == 0) {
				json_object_set_new(scope, k, out);
				json_object_del(reasons, k);
				json_object_del(pending, k);
				progress = true;
			} else {
				json_object_set_new(reasons, k, json_string(e.msg));
			}
		}
		json_decref(view);
		if (!progress) {
			if (!strict)
				break;
			strict = false; /* a cycle, or a name merely mentioned: try plainly */
		} else {
			strict = true;
		}
	}
	json_object_foreach(pending, k, v) {
		if (!json_object_get(reasons, k))
			json_object_set_new(reasons, k, json_string("it refers to itself or to a variable that cannot be rendered"));
		json_object_del(scope, k);
	}
	json_object_foreach_safe(reasons, tmp, k, v)
		if (!json_object_get(pending, k))
			json_object_del(reasons, k);
	if (json_object_size(reasons))
		json_object_set(scope, MU_UNRESOLVED_KEY, reasons);
	json_decref(reasons);
	json_decref(pending);
}

static void layer(json_t *s, const json_t *l)
{
	if (l)
		json_object_update(s, (json_t *)l);
}

json_t *mu_host_scope(const struct mu_inventory *inv, const struct mu_host *h,
		      const struct mu_scope_layers *l)
{
	json_t *s = json_object();
	json_t *groups = json_object();
	json_t *names = json_array();

	for (size_t i = 0; i < inv->ngroups; i++) {
		const struct mu_group *g = inv->groups[i];
		json_t *members = json_array();

		for (size_t j = 0; j < g->nhosts; j++)
			json_array_append_new(members, json_string(g->hosts[j]->name));
		json_object_set_new(groups, g->name, members);
	}
	for (size_t i = 0; i < h->ngroups; i++)
		if (strcmp(h->groups[i]->name, "all") != 0 &&
		    strcmp(h->groups[i]->name, "ungrouped") != 0)
			json_array_append_new(names, json_string(h->groups[i]->name));
	json_object_set_new(s, "inventory_hostname", json_string(h->name));
	json_object_set_new(s, "inventory_hostname_short",
			    json_stringn(h->name, strcspn(h->name, ".")));
	json_object_set_new(s, "ansible_host", json_string(h->address));
	json_object_set_new(s, "group_names", names);
	json_object_set_new(s, "groups", groups);
	json_object_set_new(s, "ansible_check_mode", json_boolean(l->check));
	json_object_set_new(s, "ansible_connection", json_string(h->local ? "local" : "ssh"));
	json_object_set_new(s, "omit", json_string(MU_OMIT_PLACEHOLDER));
	layer(s, h->vars);
	layer(s, l->gathered);
	layer(s, l->play_vars);
	layer(s, l->task_vars);
	layer(s, l->facts);
	layer(s, l->extra);
	layer(s, l->loop);
	resolve_nested(s, h, l);
	return s;
}

void mu_explain_undefined(const json_t *scope, struct mu_err *e)
{
	const json_t *why = json_object_get(scope, MU_UNRESOLVED_KEY);
	const char *k;
	json_t *v;

	if (!why || !e)
		return;
	json_object_foreach((json_t *)why, k, v) {
		char needle[300];
		struct mu_buf msg = MU_BUF_INIT;

		snprintf(needle, sizeof(needle), "'%s' is undefined", k);
		if (!strstr(e->msg, needle))
			continue;
		mu_buf_addf(&msg, "%s (variable '%s' could not be rendered: %s)", e->msg, k,
			    json_string_value(v));
		snprintf(e->msg, sizeof(e->msg), "%.*s", (int)(sizeof(e->msg) - 1), msg.buf);
		mu_buf_release(&msg);
		return;
	}
}
