/*
 * A host's variable scope, layered as Ansible does for what we support
 * (later wins): inventory (group, group_vars, host, host_vars: merged by
 * inventory.c) < play vars (vars_files over vars) < task vars < facts and
 * registered results < extra vars (-e). Magic variables
 * (inventory_hostname, group_names, groups, ansible_check_mode, ...) sit
 * under everything a user can set.
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
 * Variables may refer to other variables ("data: '{{ base }}/data'").
 * Resolve them in a few passes; what still fails to render (an undefined
 * name) stays as written and errors when a task actually uses it.
 */
static void resolve_nested(json_t *scope)
{
	for (int pass = 0; pass < 4; pass++) {
		const char *k;
		json_t *v;
		bool any = false;
		void *tmp;

		json_object_foreach_safe(scope, tmp, k, v) {
			json_t *out = NULL;
			struct mu_err e = { 0 };

			if (!has_markup(v))
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

json_t *mu_host_scope(const struct mu_inventory *inv, const struct mu_host *h,
		      const json_t *play_vars, const json_t *task_vars,
		      const json_t *host_facts, const json_t *extra, bool check)
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
		if (strcmp(h->groups[i]->name, "all") && strcmp(h->groups[i]->name, "ungrouped"))
			json_array_append_new(names, json_string(h->groups[i]->name));
	json_object_set_new(s, "inventory_hostname", json_string(h->name));
	json_object_set_new(s, "inventory_hostname_short",
			    json_stringn(h->name, strcspn(h->name, ".")));
	json_object_set_new(s, "ansible_host", json_string(h->address));
	json_object_set_new(s, "group_names", names);
	json_object_set_new(s, "groups", groups);
	json_object_set_new(s, "ansible_check_mode", json_boolean(check));
	json_object_set_new(s, "ansible_connection", json_string(h->local ? "local" : "ssh"));
	json_object_update(s, h->vars);
	if (play_vars)
		json_object_update(s, (json_t *)play_vars);
	if (task_vars)
		json_object_update(s, (json_t *)task_vars);
	if (host_facts)
		json_object_update(s, (json_t *)host_facts);
	if (extra)
		json_object_update(s, (json_t *)extra);
	resolve_nested(s);
	return s;
}
