/*
 * One task, start to finish: find the module, bind the arguments, check,
 * and apply unless in check mode. This is the single check-mode gate:
 * apply() is the only code that changes a host, and it is never called
 * when the controller asked for check mode.
 */
#include "module.h"

#include <string.h>
#include <unistd.h>

const struct mu_module *mu_module_find(const char *name)
{
	for (size_t i = 0; mu_modules[i]; i++) {
		const struct mu_module *m = mu_modules[i];

		if (strcmp(m->name, name) == 0)
			return m;
		for (size_t j = 0; m->aliases && m->aliases[j]; j++)
			if (strcmp(m->aliases[j], name) == 0)
				return m;
	}
	return NULL;
}

static void summarise(struct mu_result *r, bool check_mode)
{
	size_t n = json_array_size(r->changes);

	if (r->msg.len || r->status == MU_FAILED)
		return;
	if (r->status == MU_OK)
		mu_buf_addstr(&r->msg, "already in the desired state");
	else if (n == 1)
		mu_buf_addf(&r->msg, "%s%s", check_mode ? "would " : "",
			    json_string_value(json_array_get(r->changes, 0)));
	else if (n > 1)
		mu_buf_addf(&r->msg, "%s%zu changes", check_mode ? "would make " : "", n);
}

json_t *mu_task_run(const json_t *msg, const struct mu_agent_ctx *ctx)
{
	struct mu_task t = { 0 };
	struct mu_result r;
	struct mu_err e = { 0 };
	const char *modname = json_string_value(json_object_get(msg, "module"));
	json_t *id = json_object_get(msg, "id");
	json_t *reply;
	json_t *planned = NULL;

	mu_result_init(&r);
	t.ctx = ctx;
	t.id = json_is_integer(id) ? (long)json_integer_value(id) : -1;
	t.check_mode = json_is_true(json_object_get(msg, "check"));
	t.diff_mode = json_is_true(json_object_get(msg, "diff"));
	if ((json_object_get(msg, "check") && !json_is_boolean(json_object_get(msg, "check"))) ||
	    (json_object_get(msg, "diff") && !json_is_boolean(json_object_get(msg, "diff")))) {
		/* Never guess: "check":"true" read as false would change the host. */
		t.check_mode = true;
		mu_result_fail(&r, MU_E_PROTO, "task 'check' and 'diff' must be JSON booleans");
		goto out;
	}
	if (!json_is_integer(id)) {
		mu_result_fail(&r, MU_E_PROTO, "task has no integer 'id'");
		goto out;
	}
	if (!modname) {
		mu_result_fail(&r, MU_E_PROTO, "task has no string 'module'");
		goto out;
	}
	t.mod = mu_module_find(modname);
	if (!t.mod) {
		mu_result_fail(&r, MU_E_NOTFOUND, "unknown module '%s'", modname);
		goto out;
	}
	if (mu_args_bind(t.mod->args, json_object_get(msg, "args"), &t.args, &e)) {
		mu_result_fail(&r, e.code, "%s: %s", t.mod->name, e.msg);
		goto out;
	}
	if ((t.mod->flags & MU_MOD_NEEDS_ROOT) && geteuid() != 0) {
		mu_result_fail(&r, MU_E_ARG, "%s: needs root; run the play with become: true",
			       t.mod->name);
		goto out;
	}
	t.mod->check(&t, &r);
	/*
	 * check()'s list of changes stands as the record of what apply() did;
	 * apply() may add to it, or fail the result if a step cannot be done.
	 */
	if (r.status == MU_CHANGED && !t.check_mode && t.mod->apply) {
		t.mod->apply(&t, &r);
		/*
		 * A failed apply may have stopped part-way: its list of changes
		 * is a plan, not a record, and the reply must not claim it.
		 */
		if (r.status == MU_FAILED && json_array_size(r.changes)) {
			planned = json_copy(r.changes);
			json_array_clear(r.changes);
		}
	}
	summarise(&r, t.check_mode);
out:
	if (t.plan && t.mod && t.mod->plan_free)
		t.mod->plan_free(t.plan);
	reply = mu_result_to_json(&r, t.id);
	if (planned)
		json_object_set_new(reply, "planned", planned);
	if (t.check_mode)
		json_object_set_new(reply, "check", json_true());
	if (!t.diff_mode)
		json_object_del(reply, "diff");
	mu_result_release(&r);
	json_decref(t.args);
	return reply;
}
