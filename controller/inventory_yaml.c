/*
 * The YAML inventory format:
 *   all:
 *     hosts: { NAME: {VARS} | null, ... }
 *     vars: {VARS}
 *     children: { GROUP: {hosts/vars/children} | null, ... }
 * Top-level keys are groups (usually just `all`). Ansible only warns about
 * unknown keys in a group; we refuse them, since `host:` for `hosts:` would
 * otherwise drop hosts without a word.
 */
#include "inventory_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_group(struct mu_inventory *inv, const struct mu_ynode *key,
		       const struct mu_ynode *def, struct mu_group *parent,
		       struct mu_err *e);

static int vars_of(const struct mu_ynode *n, const char *what, json_t **out,
		   struct mu_err *e)
{
	*out = NULL;
	if (mu_ynode_is_null(n))
		return 0;
	if (n->type != MU_Y_MAP)
		return mu_yerr(e, n, "vars of %s must be a mapping, not a %s", what,
			       mu_ynode_kind(n));
	*out = mu_ynode_to_json(n, MU_YJ_BOOL, e);
	return *out ? 0 : e ? e->code : MU_E_PARSE;
}

static int parse_hosts(struct mu_inventory *inv, struct mu_group *g,
		       const struct mu_ynode *hosts, struct mu_err *e)
{
	if (mu_ynode_is_null(hosts))
		return 0;
	if (hosts->type != MU_Y_MAP)
		return mu_yerr(e, hosts, "'hosts' of group '%s' must be a mapping of "
			       "host names, not a %s", g->name, mu_ynode_kind(hosts));
	for (size_t i = 0; i < hosts->n; i++) {
		const struct mu_ynode *k = hosts->keys[i];
		struct mu_host **list = NULL;
		json_t *vars = NULL;
		char where[300];
		size_t n = 0;
		int r;

		if (k->type != MU_Y_SCALAR || mu_ynode_is_null(k))
			return mu_yerr(e, k, "host name in group '%s' must be a string",
				       g->name);
		snprintf(where, sizeof(where), "%s:%d:%d", k->file, k->line, k->col);
		if ((r = vars_of(hosts->items[i], "host", &vars, e)) != 0)
			return r;
		r = inv_hosts_from_pattern(inv, k->value, k->file, k->line, where,
					   &list, &n, e);
		for (size_t j = 0; j < n; j++) {
			inv_group_add_host(g, list[j]);
			inv_vars_update(&list[j]->ivars, vars);
		}
		free(list);
		json_decref(vars);
		if (r != 0)
			return r;
	}
	return 0;
}

static int parse_children(struct mu_inventory *inv, struct mu_group *g,
			  const struct mu_ynode *ch, struct mu_err *e)
{
	if (mu_ynode_is_null(ch))
		return 0;
	if (ch->type != MU_Y_MAP)
		return mu_yerr(e, ch, "'children' of group '%s' must be a mapping of "
			       "groups, not a %s", g->name, mu_ynode_kind(ch));
	for (size_t i = 0; i < ch->n; i++) {
		int r = parse_group(inv, ch->keys[i], ch->items[i], g, e);

		if (r != 0)
			return r;
	}
	return 0;
}

static int parse_group(struct mu_inventory *inv, const struct mu_ynode *key,
		       const struct mu_ynode *def, struct mu_group *parent,
		       struct mu_err *e)
{
	struct mu_group *g;
	char where[300];
	int r;

	if (key->type != MU_Y_SCALAR || !*key->value || mu_ynode_is_null(key))
		return mu_yerr(e, key, "group name must be a non-empty string");
	if (strpbrk(key->value, " \t:,[]!&*?"))
		return mu_yerr(e, key, "invalid group name '%s'", key->value);
	g = inv_group(inv, key->value);
	snprintf(where, sizeof(where), "%s:%d:%d", key->file, key->line, key->col);
	if (parent && (r = inv_group_add_child(parent, g, where, e)) != 0)
		return r;
	if (mu_ynode_is_null(def))
		return 0;
	if (def->type != MU_Y_MAP)
		return mu_yerr(e, def, "group '%s' must be a mapping with hosts, vars or "
			       "children, not a %s", g->name, mu_ynode_kind(def));
	for (size_t i = 0; i < def->n; i++) {
		const char *k = mu_ynode_str(def->keys[i]);
		const struct mu_ynode *v = def->items[i];

		if (k && strcmp(k, "hosts") == 0) {
			r = parse_hosts(inv, g, v, e);
		} else if (k && strcmp(k, "children") == 0) {
			r = parse_children(inv, g, v, e);
		} else if (k && strcmp(k, "vars") == 0) {
			json_t *vars = NULL;

			r = vars_of(v, "a group", &vars, e);
			if (r == 0)
				inv_vars_update(&g->ivars, vars);
			json_decref(vars);
		} else {
			r = mu_yerr(e, def->keys[i], "unknown key '%s' in group '%s' "
				    "(expected hosts, vars or children)", k ? k : "?", g->name);
		}
		if (r != 0)
			return r;
	}
	return 0;
}

int inv_parse_yaml(struct mu_inventory *inv, const struct mu_ydoc *doc,
		   struct mu_err *e)
{
	const struct mu_ynode *root = doc->root;

	if (mu_ynode_is_null(root))
		return 0;
	if (root->type != MU_Y_MAP)
		return mu_yerr(e, root, "inventory must be a mapping of groups (such as "
			       "'all:'), not a %s", mu_ynode_kind(root));
	for (size_t i = 0; i < root->n; i++) {
		int r = parse_group(inv, root->keys[i], root->items[i], NULL, e);

		if (r != 0)
			return r;
	}
	return 0;
}
