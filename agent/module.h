/*
 * The agent's module contract. A module is one file (mod_<name>.c) that
 * exports one const struct mu_module; modules.c lists them all in one table.
 *
 * The core validates the task's arguments against the module's spec, then
 * calls check(). check() only observes: it must not change the host. It
 * sets the result to MU_OK when the host already matches, or records each
 * change it would make with mu_result_change() (which sets MU_CHANGED),
 * plus the before/after with mu_result_diff(). It may leave a plan in
 * task->plan for apply(). In check mode the core stops there, so the
 * report of what would change is check()'s own list. Otherwise, when
 * check() said CHANGED, the core calls apply(), which makes the changes and
 * fails with mu_result_fail() if any step cannot be done; check()'s list of
 * changes stands as the record of what was done (apply() may add to it).
 * The core frees task->plan through plan_free.
 */
#ifndef MU_MODULE_H
#define MU_MODULE_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "mu_buf.h"
#include "mu_err.h"
#include "mu_proto.h"

enum mu_argtype {
	MU_T_STR,   /* string; numbers and booleans are stringified */
	MU_T_BOOL,  /* true/false, or yes/no/on/off/true/false/1/0 strings */
	MU_T_INT,   /* integer, or a string of digits */
	MU_T_LIST,  /* list of strings; a single string becomes a list of one
		       (comma-separated strings are split, as Ansible does) */
	MU_T_DICT,  /* JSON object, passed through */
	MU_T_RAW,   /* any JSON value, passed through */
	MU_T_MODE,  /* file mode: "0644", "644" (quoted), "u+rwX,g-w";
		       a bare JSON integer is refused */
	MU_T_PATH,  /* string that must be an absolute path */
};

#define MU_REQUIRED 0x1u

struct mu_arg {
	const char *name;
	enum mu_argtype type;
	unsigned flags;
	const char *def;               /* default, as a string; NULL = unset */
	const char *const *choices;    /* NULL-terminated allowed values */
	const char *aliases;           /* "dest|name": other accepted keys */
};

#define MU_ARG_END { NULL, MU_T_STR, 0, NULL, NULL, NULL }

struct mu_task;
struct mu_result;

/* Module flags. */
#define MU_MOD_NEEDS_ROOT 0x1u /* fails clearly when the agent is not root */

struct mu_module {
	const char *name;
	const char *const *aliases;    /* FQCNs and other names, NULL-terminated */
	const struct mu_arg *args;
	unsigned flags;
	const char *summary;           /* one line, for docs and --list */
	int (*check)(struct mu_task *t, struct mu_result *r);
	int (*apply)(struct mu_task *t, struct mu_result *r);
	void (*plan_free)(void *plan);
};

/* Agent-wide context the controller or the environment gives us. */
struct mu_agent_ctx {
	int ssh_port;        /* port of the live SSH session, 0 if local */
};

struct mu_task {
	long id;
	const struct mu_module *mod;
	json_t *args;        /* validated: canonical names, defaults, coerced */
	bool check_mode;
	bool diff_mode;
	const struct mu_agent_ctx *ctx;
	void *plan;          /* check() -> apply() hand-over, module-owned */
};

struct mu_result {
	enum mu_status status;
	struct mu_buf msg;
	json_t *changes;     /* array of strings: each change made / would make */
	json_t *diff;        /* array of {"item","before","after"} */
	json_t *warnings;    /* array of strings */
	json_t *data;        /* object, for register */
};

/* The module table (modules.c), NULL-terminated. */
extern const struct mu_module *const mu_modules[];
/* Find a module by name or alias; NULL if none. */
const struct mu_module *mu_module_find(const char *name);

/*
 * Validate args against spec: rejects unknown keys and ill-typed values,
 * naming the argument; resolves aliases, fills defaults and coerces types.
 * On success *out is a new object (caller decrefs).
 */
int mu_args_bind(const struct mu_arg *spec, const json_t *in, json_t **out,
		 struct mu_err *e);

/* The spec entry for key (by name or alias), or NULL. */
const struct mu_arg *mu_arg_find(const struct mu_arg *spec, const char *key);
/* Check one value against one spec entry (type and choices), as the
 * binder would; the controller uses it to reject bad literals at load time. */
int mu_arg_check_value(const struct mu_arg *a, const json_t *v, struct mu_err *e);

/* Accessors on bound args. Unset values give NULL / def. */
const char *mu_arg_str(const struct mu_task *t, const char *name);
bool mu_arg_bool(const struct mu_task *t, const char *name);
long long mu_arg_int(const struct mu_task *t, const char *name, long long def);
json_t *mu_arg_json(const struct mu_task *t, const char *name); /* borrowed */
bool mu_arg_isset(const struct mu_task *t, const char *name);

/*
 * Parse a mode argument ("0644", "644", "u+rwX,go-w", "a=r") against the
 * current mode cur (used for symbolic forms; is_dir for X).
 * Returns 0 with *out, or MU_E_ARG with e naming the mode.
 */
int mu_mode_parse(const char *s, mode_t cur, bool is_dir, mode_t *out,
		  struct mu_err *e);

/* Result helpers. */
void mu_result_init(struct mu_result *r);
void mu_result_release(struct mu_result *r);
/* Record one change (made or, in check mode, that would be made). */
void mu_result_change(struct mu_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void mu_result_diff(struct mu_result *r, const char *item, const char *before,
		    const char *after);
void mu_result_warn(struct mu_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Mark failed with a message; returns MU_E_* code given (for tail calls). */
int mu_result_fail(struct mu_result *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Replace the message. */
void mu_result_msg(struct mu_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Set data[key] = val (steals val). */
void mu_result_data(struct mu_result *r, const char *key, json_t *val);
/* The reply line for task t. Caller decrefs. */
json_t *mu_result_to_json(const struct mu_result *r, long id);

/*
 * Run one task message through validation, check and (unless check mode)
 * apply. Always produces a result; returns it as a JSON reply (caller
 * decrefs). Never exits.
 */
json_t *mu_task_run(const json_t *msg, const struct mu_agent_ctx *ctx);

#endif
