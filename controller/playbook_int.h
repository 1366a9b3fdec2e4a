/*
 * Internals of the playbook loader, shared by playbook.c (plays, the
 * document), playbook_task.c (one task) and playbook_node.c (typed reads
 * of YAML nodes and the load-time checks of templates and conditions,
 * with errors placed at the exact file:line:column).
 */
#ifndef MU_PLAYBOOK_INT_H
#define MU_PLAYBOOK_INT_H

#include <jansson.h>
#include <stdbool.h>

#include "mu_err.h"
#include "playbook.h"
#include "yaml.h"

/* A YAML 1.1 boolean (a template is refused: keywords are not templated). */
int pb_node_bool(const struct mu_ynode *n, const char *key, bool *out, struct mu_err *e);
/* A scalar as a new string (caller frees *out). */
int pb_node_string(const struct mu_ynode *n, const char *key, char **out, struct mu_err *e);
/* A string or a list of strings as a new JSON list; for "tags" a string is
 * split at commas, as Ansible does. */
int pb_node_strlist(const struct mu_ynode *n, const char *key, json_t **out,
		    struct mu_err *e);
/* Variables (vars:, vars_files, set_fact) read as Ansible reads them:
 * plain yes/no/true/false/on/off are booleans. */
int pb_node_vars(const struct mu_ynode *n, json_t **out, struct mu_err *e);
/* Anything else: plain booleans stay the strings written. */
int pb_node_json(const struct mu_ynode *n, json_t **out, struct mu_err *e);

/* Every key of map is a non-empty scalar (a `? [a]` key is refused). */
int pb_check_keys(const struct mu_ynode *map, const char *what, struct mu_err *e);

/* True when s is a variable name Ansible accepts ([A-Za-z_][A-Za-z0-9_]*). */
bool pb_identifier(const char *s);

/* Check every scalar under n as a template; an error names `what` and the
 * exact position of the offending construct. */
int pb_check_template(const struct mu_ynode *n, const char *what, struct mu_err *e);
/* Check a condition or a list of them (when, changed_when, failed_when,
 * assert's that). */
int pb_check_cond(const struct mu_ynode *n, const char *what, struct mu_err *e);
/* Check a bare expression (debug's var). */
int pb_check_expr(const struct mu_ynode *n, const char *what, struct mu_err *e);
/* A condition node as JSON: plain booleans become true/false, the rest strings. */
json_t *pb_cond_json(const struct mu_ynode *n);

/* Parse one task (or handler). Leaves *t releasable even on error. */
int pb_parse_task(const struct mu_ynode *n, bool handler, json_t *play_tags,
		  struct mu_taskdef *t, struct mu_err *e);
void pb_taskdef_release(struct mu_taskdef *t);

#endif
