/*
 * Shared by the inventory's own files only (inventory*.c): building the
 * model while a source is parsed, then finishing it.
 */
#ifndef MU_INVENTORY_INT_H
#define MU_INVENTORY_INT_H

#include "inventory.h"
#include "yaml.h"

/* An empty inventory holding only "all" and "ungrouped". */
struct mu_inventory *inv_new(const char *source);
/* Keep a copy of a file name for host->file; returns the copy. */
const char *inv_file(struct mu_inventory *inv, const char *name);

/* Get or create; never NULL. */
struct mu_group *inv_group(struct mu_inventory *inv, const char *name);
struct mu_host *inv_host(struct mu_inventory *inv, const char *name,
			 const char *file, int line);
void inv_group_add_host(struct mu_group *g, struct mu_host *h);
/* Link child under parent (no-op when already linked). A group cannot be
 * its own child; `where` prefixes the error. */
int inv_group_add_child(struct mu_group *parent, struct mu_group *child,
			const char *where, struct mu_err *e);
/* Shallow-merge src into *dst (created when NULL); src is not consumed. */
void inv_vars_update(json_t **dst, const json_t *src);

/* Split "name:port" (port digits after the last colon outside brackets)
 * and expand ranges; adds ansible_port to each host's vars when given. */
int inv_hosts_from_pattern(struct mu_inventory *inv, const char *pattern,
			   const char *file, int line, const char *where,
			   struct mu_host ***hosts, size_t *n, struct mu_err *e);

int inv_parse_ini(struct mu_inventory *inv, const char *path, const char *text,
		  size_t len, struct mu_err *e);
int inv_parse_yaml(struct mu_inventory *inv, const struct mu_ydoc *doc,
		   struct mu_err *e);
/* group_vars/ and host_vars/ under dir. */
int inv_load_vars_dirs(struct mu_inventory *inv, const char *dir, struct mu_err *e);
/* Depths, cycles, ungrouped, merged vars and connection fields. */
int inv_finish(struct mu_inventory *inv, struct mu_err *e);

#endif
