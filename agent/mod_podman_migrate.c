/*
 * podman_migrate: move rootful Podman containers to a user's rootless
 * Podman, and back. check() builds the whole plan, preflight included
 * (podman_plan.c); apply() carries it out (podman_apply.c). The pieces:
 * podman_def (what a container is), podman_shift (ownership), podman_host
 * (host facts), podman_record (rollback records), podman_cli (running
 * podman as root or as the user).
 */
#include "module.h"

#include <stdlib.h>

#include "podman_plan.h"
#include "podman_shiftreg.h"

static const char *const pm_aliases[] = { "muster.podman_migrate", NULL };
static const char *const pm_states[] = { "migrated", "rolled_back", NULL };
static const char *const pm_restart[] = { "always", "unless-stopped", "on-failure", "no", NULL };

static const struct mu_arg pm_args[] = {
	{ "user", MU_T_STR, MU_REQUIRED, NULL, NULL, NULL },
	{ "containers", MU_T_LIST, 0, NULL, NULL, "names" },
	{ "restart_policy", MU_T_STR, 0, "always", pm_restart, NULL },
	{ "remove_rootful", MU_T_BOOL, 0, "false", NULL, NULL },
	{ "state", MU_T_STR, 0, "migrated", pm_states, NULL },
	{ "stop_timeout", MU_T_INT, 0, "10", NULL, NULL },
	{ "record_dir", MU_T_PATH, 0, "/var/lib/muster/migrations", NULL, NULL },
	{ "shift_registry", MU_T_PATH, 0, PM_SHIFTREG_DIR, NULL, NULL },
	MU_ARG_END,
};

static void plan_free(void *plan)
{
	if (!plan)
		return;
	pm_plan_free(plan);
	free(plan);
}

static int pm_check(struct mu_task *t, struct mu_result *r)
{
	struct pm_plan *plan = mu_xcalloc(1, sizeof(*plan));
	int rc = pm_plan_build(t, r, true, plan);

	t->plan = plan;
	return rc;
}

static int pm_apply_task(struct mu_task *t, struct mu_result *r)
{
	struct pm_plan *plan = t->plan;
	struct mu_err e = { 0 };

	if (plan->runtime_missing) {
		struct mu_result again;
		int rc;

		if ((rc = pm_apply_runtime_dir(plan, &e)) != 0)
			return mu_result_fail(r, rc, "podman_migrate: %s", e.msg);
		/*
		 * Without its runtime dir the user's podman was not asked in
		 * check(); ask it now and plan again from what it says.
		 */
		mu_result_init(&again);
		pm_plan_free(plan);
		rc = pm_plan_build(t, &again, false, plan);
		if (again.status == MU_FAILED)
			mu_result_fail(r, rc ? rc : MU_E_INTERNAL, "%s", again.msg.buf);
		mu_result_release(&again);
		if (r->status == MU_FAILED)
			return rc;
	}
	return pm_apply(t, r, plan);
}

const struct mu_module mu_mod_podman_migrate = {
	.name = "podman_migrate",
	.aliases = pm_aliases,
	.args = pm_args,
	.flags = MU_MOD_NEEDS_ROOT,
	.summary = "move rootful podman containers to a user's rootless podman, and back",
	.check = pm_check,
	.apply = pm_apply_task,
	.plan_free = plan_free,
};
