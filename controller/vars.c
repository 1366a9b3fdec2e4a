/*
 * A host's variable scope, layered as Ansible does for what we support
 * (later wins): inventory (group, group_vars, host, host_vars: merged by
 * inventory.c) < gathered facts < play vars (vars_files over vars) < task
 * vars < set_fact and registered results < extra vars (-e) < the loop
 * variable. Magic variables (inventory_hostname, group_names, groups,
 * ansible_check_mode, ...) sit under everything a user can set.
 */
#include "runner.h"

#include <string.h>

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

/*
 * Variables may refer to other variables ("data: '{{ base }}/data'").
 * Resolve them in a few passes; what still fails to render (an undefined
 * name) stays as written and errors when a task actually uses it.
 */
static void resolve_nested(json_t *scope, const struct mu_host *h,
			   const struct mu_scope_layers *l)
{
	for (int pass = 0; pass < 4; pass++) {
		const char *k;
		json_t *v;
		bool any = false;
		void *tmp;

		json_object_foreach_safe(scope, tmp, k, v) {
			json_t *out = NULL;
			struct mu_err e = { 0 };

			if (!has_markup(v) || !user_written(h, l, k))
				continue;
			if (mu_template_render_deep(v, scope, &out, &e) == 0) {
				if (!json_equal(out, v))
					any = true;
				json_object_set_new(scope, k, out);
			}
		}
		if (!any)
			break;
	}
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
