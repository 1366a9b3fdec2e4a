/*
 * The pass after all sources are read: hang parentless groups under all,
 * compute depths (refusing cycles), sort out ungrouped, merge each host's
 * vars in Ansible's precedence order and read the connection variables.
 */
#include "inventory_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mu_buf.h"
#include "yaml.h"

enum { MARK_NONE, MARK_BUSY, MARK_DONE };

static int depth_of(struct mu_inventory *inv, struct mu_group *g, struct mu_err *e)
{
	int d = 0;

	if (g->mark == MARK_DONE)
		return 0;
	if (g->mark == MARK_BUSY)
		return mu_err_set(e, MU_E_PARSE, "inventory '%s': group '%s' is its own "
				  "ancestor (a cycle of children)", inv->source, g->name);
	g->mark = MARK_BUSY;
	for (size_t i = 0; i < g->nparents; i++) {
		int r = depth_of(inv, g->parents[i], e);

		if (r != 0)
			return r;
		if (g->parents[i]->depth + 1 > d)
			d = g->parents[i]->depth + 1;
	}
	g->depth = d;
	g->mark = MARK_DONE;
	return 0;
}

static int group_priority(struct mu_group *g, struct mu_err *e)
{
	json_t *p = json_object_get(g->fvars, "ansible_group_priority");

	if (!p)
		p = json_object_get(g->ivars, "ansible_group_priority");
	if (!p)
		return 0;
	if (json_is_string(p) && *json_string_value(p)) {
		char *end;
		long v = strtol(json_string_value(p), &end, 10);

		if (!*end) {
			g->priority = (int)v;
			return 0;
		}
	}
	if (!json_is_integer(p))
		return mu_err_set(e, MU_E_PARSE, "ansible_group_priority of group '%s' "
				  "must be an integer", g->name);
	g->priority = (int)json_integer_value(p);
	return 0;
}

static int cmp_groups(const void *a, const void *b)
{
	const struct mu_group *x = *(struct mu_group *const *)a;
	const struct mu_group *y = *(struct mu_group *const *)b;

	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* A host in no group but all belongs to ungrouped; one in a real group
 * does not, whatever the parser did. */
static void fix_ungrouped(struct mu_inventory *inv)
{
	struct mu_group *all = inv->groups[0], *ung = inv->groups[1];
	size_t k = 0;

	for (size_t i = 0; i < inv->nhosts; i++) {
		struct mu_host *h = inv->hosts[i];
		bool real = false, in_ung = false;

		for (size_t j = 0; j < h->ndirect; j++) {
			if (h->direct[j] == ung)
				in_ung = true;
			else if (h->direct[j] != all)
				real = true;
		}
		if (!real && !in_ung)
			inv_group_add_host(ung, h);
		if (real && in_ung) {
			size_t m = 0;

			for (size_t j = 0; j < h->ndirect; j++)
				if (h->direct[j] != ung)
					h->direct[m++] = h->direct[j];
			h->ndirect = m;
		}
	}
	/* Rebuild ungrouped in inventory order from the hosts' lists. */
	for (size_t i = 0; i < inv->nhosts; i++)
		for (size_t j = 0; j < inv->hosts[i]->ndirect; j++)
			if (inv->hosts[i]->direct[j] == ung)
				ung->hosts[k++] = inv->hosts[i];
	ung->nhosts = k;
	free(all->hosts);
	all->hosts = mu_xcalloc(inv->nhosts, sizeof(*all->hosts));
	memcpy(all->hosts, inv->hosts, inv->nhosts * sizeof(*all->hosts));
	all->nhosts = inv->nhosts;
}

static void add_ancestors(struct mu_host *h, struct mu_group *g, int stamp)
{
	if (g->mark == stamp)
		return;
	g->mark = stamp;
	h->groups[h->ngroups++] = g;
	for (size_t i = 0; i < g->nparents; i++)
		add_ancestors(h, g->parents[i], stamp);
}

static int host_where(const struct mu_host *h, char *buf, size_t len)
{
	if (h->file)
		return snprintf(buf, len, "%s:%d: ", h->file, h->line);
	buf[0] = '\0';
	return 0;
}

/* A scalar var as text: strings as they are, integers printed. */
static int var_text(const struct mu_host *h, const char *a, const char *b,
		    char **out, struct mu_err *e)
{
	json_t *v = json_object_get(h->vars, a);
	char where[320];

	if (!v && b)
		v = json_object_get(h->vars, b);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v))
		*out = mu_xstrdup(json_string_value(v));
	else if (json_is_integer(v))
		*out = mu_xasprintf("%lld", (long long)json_integer_value(v));
	if (*out)
		return 0;
	host_where(h, where, sizeof(where));
	return mu_err_set(e, MU_E_PARSE, "%s%s of host '%s' must be a string", where,
			  a, h->name);
}

static int connection_vars(struct mu_host *h, struct mu_err *e)
{
	char where[320], *port = NULL, *become = NULL;
	int r;
	bool b;

	host_where(h, where, sizeof(where));
	if ((r = var_text(h, "ansible_host", "ansible_ssh_host", &h->address, e)) ||
	    (r = var_text(h, "ansible_user", "ansible_ssh_user", &h->user, e)) ||
	    (r = var_text(h, "ansible_connection", NULL, &h->connection, e)) ||
	    (r = var_text(h, "ansible_port", "ansible_ssh_port", &port, e)))
		goto out;
	if (!h->address)
		h->address = mu_xstrdup(h->name);
	if (!h->connection || strcmp(h->connection, "smart") == 0 ||
	    strcmp(h->connection, "paramiko") == 0) {
		free(h->connection);
		h->connection = mu_xstrdup("ssh");
	}
	h->local = strcmp(h->connection, "local") == 0;
	if (port) {
		char *end;
		long v = strtol(port, &end, 10);

		if (!*port || *end || v < 1 || v > 65535) {
			r = mu_err_set(e, MU_E_PARSE, "%sinvalid ansible_port '%s' for host "
				       "'%s'", where, port, h->name);
			goto out;
		}
		h->port = (int)v;
	}
	{
		json_t *v = json_object_get(h->vars, "ansible_become");

		if (json_is_boolean(v))
			h->become = json_is_true(v);
		else if (v && !json_is_null(v)) {
			if ((r = var_text(h, "ansible_become", NULL, &become, e)) != 0)
				goto out;
			if (!mu_yaml_truthy(become, &b)) {
				r = mu_err_set(e, MU_E_PARSE, "%sinvalid ansible_become '%s' "
					       "for host '%s' (expected a boolean)", where,
					       become, h->name);
				goto out;
			}
			h->become = b;
		}
	}
	r = 0;
out:
	free(port);
	free(become);
	return r;
}

static int finish_host(struct mu_inventory *inv, struct mu_host *h, struct mu_err *e)
{
	h->groups = mu_xcalloc(inv->ngroups, sizeof(*h->groups));
	h->ngroups = 0;
	add_ancestors(h, inv->groups[0], (int)h->idx + MARK_DONE + 1);
	for (size_t i = 0; i < h->ndirect; i++)
		add_ancestors(h, h->direct[i], (int)h->idx + MARK_DONE + 1);
	qsort(h->groups, h->ngroups, sizeof(*h->groups), cmp_groups);
	h->vars = json_object();
	for (size_t i = 0; i < h->ngroups; i++)
		inv_vars_update(&h->vars, h->groups[i]->ivars);
	for (size_t i = 0; i < h->ngroups; i++)
		inv_vars_update(&h->vars, h->groups[i]->fvars);
	inv_vars_update(&h->vars, h->ivars);
	inv_vars_update(&h->vars, h->fvars);
	return connection_vars(h, e);
}

int inv_finish(struct mu_inventory *inv, struct mu_err *e)
{
	struct mu_group *all = inv->groups[0];
	int r;

	for (size_t i = 1; i < inv->ngroups; i++)
		if (inv->groups[i]->nparents == 0 &&
		    (r = inv_group_add_child(all, inv->groups[i], inv->source, e)) != 0)
			return r;
	for (size_t i = 0; i < inv->ngroups; i++)
		if ((r = depth_of(inv, inv->groups[i], e)) != 0)
			return r;
	for (size_t i = 0; i < inv->ngroups; i++) {
		struct mu_group *g = inv->groups[i];

		g->mark = MARK_NONE;
		if ((r = group_priority(g, e)) != 0)
			return r;
		inv_vars_update(&g->vars, g->ivars);
		inv_vars_update(&g->vars, g->fvars);
	}
	fix_ungrouped(inv);
	for (size_t i = 0; i < inv->nhosts; i++)
		if ((r = finish_host(inv, inv->hosts[i], e)) != 0)
			return r;
	return 0;
}
