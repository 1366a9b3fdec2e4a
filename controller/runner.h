/*
 * Running a playbook over the inventory: each selected host runs a play
 * start to finish in its own worker (at most `forks` at once), so a slow
 * or dead host never holds the others back (Ansible's `free` strategy;
 * documented in docs/guide.md). One link per host for the whole run, one
 * agent per play and become setting.
 */
#ifndef MU_RUNNER_H
#define MU_RUNNER_H

#include <jansson.h>
#include <stdbool.h>

#include "inventory.h"
#include "playbook.h"
#include "report.h"
#include "transport.h"

/* Scope key holding {name: reason} for variables that could not be rendered. */
#define MU_UNRESOLVED_KEY "__muster_unresolved__"

/*
 * If e says "'NAME' is undefined" and NAME is a variable that could not be
 * rendered, say why instead (scope as built by mu_host_scope).
 */
void mu_explain_undefined(const json_t *scope, struct mu_err *e);

/* The value of the `omit` variable; arguments equal to it are dropped. */
#define MU_OMIT_PLACEHOLDER "__muster_omit_placeholder__"

struct mu_run_opts {
	bool check;
	bool audit;                  /* check mode that no task may opt out of */
	bool diff;
	const char *limit;
	int forks;
	json_t *extra_vars;          /* object; highest precedence */
	const char *tags;
	const char *skip_tags;
	int verbosity;
	struct mu_conn_opts conn;
};

/*
 * Run pb against inv, reporting into rep. Returns 0 when the run
 * happened (hosts may have failed: see the report's totals), or an error
 * for the run as a whole (a --limit matching nothing is not an error).
 */
int mu_run_playbook(const struct mu_playbook *pb, struct mu_inventory *inv,
		    const struct mu_run_opts *o, struct mu_report *rep, struct mu_err *e);

/* The variable layers of a host's scope, lowest first after the inventory;
 * any may be NULL. */
struct mu_scope_layers {
	const json_t *gathered;   /* ansible_facts and ansible_* from setup */
	const json_t *play_vars;  /* vars, vars_files over them */
	const json_t *task_vars;
	const json_t *facts;      /* set_fact and register results */
	const json_t *extra;      /* -e */
	const json_t *loop;       /* the loop variable and ansible_loop */
	bool check;
};

/* Build a host's variable scope for templating (caller decrefs). */
json_t *mu_host_scope(const struct mu_inventory *inv, const struct mu_host *h,
		      const struct mu_scope_layers *l);

#endif
