/*
 * Playbooks: plays and tasks in Ansible's shape, loaded from YAML and
 * checked completely at load time. Every template, condition and module
 * argument name is validated before any host is contacted, so a typo is
 * a parse error naming file:line:column, never a half-run fleet.
 *
 * Ownership: one struct mu_playbook owns everything reachable from it
 * (plays, tasks, strings, json_t values); free with mu_playbook_free().
 */
#ifndef MU_PLAYBOOK_H
#define MU_PLAYBOOK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "mu_err.h"

/* Where a task runs: on the host's agent, or here in the controller. */
enum mu_action_kind {
	MU_ACT_AGENT,       /* a module from the agent's table */
	MU_ACT_DEBUG,       /* debug: msg / var */
	MU_ACT_SET_FACT,    /* set_fact: key: value ... */
	MU_ACT_FAIL,        /* fail: msg */
	MU_ACT_ASSERT,      /* assert: that, fail_msg, success_msg */
};

struct mu_taskdef {
	char *name;            /* display name (may hold templates); or NULL */
	char *module;          /* canonical module name */
	enum mu_action_kind kind;
	json_t *args;          /* templated at run time, per loop item */
	json_t *when;          /* NULL, string, bool or list */
	json_t *loop;          /* NULL, list, or a template string */
	bool loop_flatten;     /* with_items: flatten one level, as Ansible does */
	bool loop_listify;     /* with_*: a rendered scalar is a list of one */
	char *loop_var;        /* "item" unless loop_control.loop_var */
	char *label;           /* loop_control.label, or NULL */
	char *register_as;     /* NULL if no register */
	json_t *notify;        /* list of handler names (strings) */
	int notify_line, notify_col;
	json_t *tags;          /* list of strings, own + inherited from play */
	bool ignore_errors;
	bool no_log;           /* results are not shown (register still holds them) */
	json_t *changed_when;  /* NULL, string, bool or list */
	json_t *failed_when;
	int become;            /* -1 inherit from play */
	char *become_user;     /* NULL inherit; may hold a template */
	int check_mode;        /* -1 inherit, 0 force real run, 1 force check */
	json_t *vars;          /* task vars (object) */
	char *listen;          /* handlers: extra name to answer notify by */
	const char *file;      /* position of the task, for messages */
	int line, col;
};

struct mu_play {
	char *name;
	char *hosts;           /* host pattern */
	int become;            /* 0/1 */
	char *become_user;     /* NULL = root; may hold a template */
	bool gather_facts;
	json_t *vars;          /* play vars, vars_files merged over them */
	struct mu_taskdef *tasks;
	size_t ntasks;
	struct mu_taskdef *handlers;
	size_t nhandlers;
	const char *file;
	int line;
};

struct mu_playbook {
	char *path;
	struct mu_play *plays;
	size_t nplays;
};

/*
 * Load and validate a playbook. Errors: MU_E_PARSE with
 * "file:line:col: message" (unknown keys, modules, arguments, templates
 * outside the supported subset, YAML traps), MU_E_SYS/MU_E_NOTFOUND when
 * a file cannot be read.
 */
int mu_playbook_load(const char *path, struct mu_playbook **out, struct mu_err *e);
void mu_playbook_free(struct mu_playbook *pb);

struct mu_ynode;

/*
 * Variables from YAML (vars:, vars_files, set_fact, -e @file) as Ansible's
 * loader reads them: plain yes/no/true/false/on/off in their three
 * spellings are booleans (y/n stay strings), decimal integers are
 * integers, everything else (0644 included) is the string written. A new
 * reference, or NULL with e set.
 */
json_t *mu_vars_from_yaml(const struct mu_ynode *n, struct mu_err *e);

/*
 * Ansible's free-form "k=v k2='v 2' msg={{ a | b }}" into the object into
 * (values are strings; a value quoted whole loses its quotes). Used for
 * module arguments and -e. MU_E_PARSE with a message when a word is not
 * key=value or a quote is unbalanced.
 */
int mu_kv_parse(const char *s, json_t *into, struct mu_err *e);

/*
 * True if the task runs under --tags/--skip-tags (comma lists or NULL), as
 * Ansible decides: `always` runs unless skipped by name, `never` only when
 * asked for by name, `all`, `tagged` and `untagged` select as their names say.
 */
bool mu_task_tag_match(const struct mu_taskdef *t, const char *tags,
		       const char *skip_tags);

#endif
