/*
 * The Ansible inventory: hosts, groups and their variables, from the YAML
 * or INI format, plus group_vars/ and host_vars/ beside the inventory.
 *
 * Everything hangs off one struct mu_inventory and is freed by
 * mu_inventory_free(): hosts, groups, their strings, arrays and json_t
 * values. Callers read the public fields and never free or change them;
 * pointers stay valid until the inventory is freed.
 *
 * Variable precedence for a host's merged vars (later wins, shallow
 * replace like Ansible's default hash_behaviour):
 *   1. inventory-file group vars, groups ordered by depth (all first, then
 *      parents before children), then ansible_group_priority, then name
 *   2. group_vars/ files, same group order
 *   3. inventory-file host vars (a later definition of the host wins)
 *   4. host_vars/ files
 *
 * Formats are told apart by extension (.yml/.yaml/.json are YAML, .ini is
 * INI) and otherwise by content. A directory loads every inventory file in
 * it (sorted; hidden, backup and .md/.txt/.cfg/.retry files skipped) into
 * one inventory; its group_vars/ and host_vars/ are inside it.
 *
 * INI values follow Ansible, which reads them as Python literals: 2222 is an
 * integer, True/False are booleans, None is null, anything else a string.
 * On a host line the value is shell-split first (so "2222" in quotes is an
 * integer too); in a [group:vars] section a quoted value stays a string.
 * Floats stay strings, as with YAML (see yaml.h).
 *
 * Errors are MU_E_PARSE with "file:line: message" (INI) or
 * "file:line:col: message" (YAML); unreadable files give MU_E_SYS or
 * MU_E_NOTFOUND; a vault-encrypted file gives MU_E_UNSUPPORTED.
 */
#ifndef MU_INVENTORY_H
#define MU_INVENTORY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "mu_err.h"

struct mu_group;

struct mu_host {
	char *name;          /* inventory_hostname */
	char *address;       /* ansible_host, else name */
	int port;            /* ansible_port; 0 when unset (ssh config or 22) */
	char *user;          /* ansible_user; NULL when unset */
	char *connection;    /* ansible_connection: "ssh" unless set; the
			      * caller refuses kinds it does not support */
	bool local;          /* connection is "local": run the agent as a child */
	bool become;         /* ansible_become */
	json_t *vars;        /* merged vars (see precedence above) */
	struct mu_group **groups; /* every group holding it, all first, in
				   * precedence order (not owned) */
	size_t ngroups;
	size_t idx;          /* position in inventory order */
	const char *file;    /* where it was first declared */
	int line;

	/* private to the inventory code */
	json_t *ivars;       /* from inventory files */
	json_t *fvars;       /* from host_vars/ */
	struct mu_group **direct; /* groups it was listed in */
	size_t ndirect;
};

struct mu_group {
	char *name;
	json_t *vars;        /* own vars: inventory file, group_vars/ over it */
	struct mu_group **children; /* not owned, in declaration order */
	size_t nchildren;
	struct mu_group **parents;
	size_t nparents;
	struct mu_host **hosts; /* direct members, in inventory order; for
				 * "all", every host */
	size_t nhosts;
	int depth;           /* 0 for all, 1 for its children, ... */
	int priority;        /* ansible_group_priority, default 1 */
	size_t idx;

	/* private to the inventory code */
	json_t *ivars;
	json_t *fvars;
	int mark;
};

struct mu_inventory {
	char *source;        /* the path loaded; "<localhost>" for the default */
	struct mu_host **hosts; /* in order of first declaration */
	size_t nhosts;
	struct mu_group **groups; /* groups[0] is "all", groups[1] "ungrouped" */
	size_t ngroups;

	/* private to the inventory code */
	json_t *host_index;  /* name -> index into hosts */
	json_t *group_index;
	char **files;        /* names that host->file points into */
	size_t nfiles;
};

/* Load the inventory at path (a file or a directory). On success *out is
 * the caller's, to free with mu_inventory_free(); on error *out is NULL. */
int mu_inventory_load(const char *path, struct mu_inventory **out, struct mu_err *e);

/* The default inventory: one host "localhost" with ansible_connection=local,
 * in groups all and ungrouped. Caller frees. Never NULL. */
struct mu_inventory *mu_inventory_localhost(void);

void mu_inventory_free(struct mu_inventory *inv);

/* Lookups by exact name; NULL when absent. Results belong to inv. */
struct mu_host *mu_inventory_host(const struct mu_inventory *inv, const char *name);
struct mu_group *mu_inventory_group(const struct mu_inventory *inv, const char *name);

/*
 * Expand Ansible host ranges in one host name: "web[01:10].example.org"
 * (zero-padded, begin and end of equal width), "db-[a:c]", "n[1:9:4]",
 * several ranges in one name. `where` ("file:line") prefixes errors.
 * On success *names is a malloc'd array of *n malloc'd strings, all the
 * caller's. A backwards range, a zero-padded begin with an end of another
 * width, a zero step or a mix of letters and digits is MU_E_PARSE.
 */
int mu_host_range_expand(const char *pattern, const char *where, char ***names,
			 size_t *n, struct mu_err *e);

#endif
