/*
 * linger: let a user's services run without a login session. The durable
 * state is the empty file /var/lib/systemd/linger/USER, which logind reads
 * when it starts. Where logind runs we ask it (`loginctl enable-linger`),
 * so it also starts or stops the user's manager now; where it does not
 * (containers, hosts without systemd) we create or remove the file
 * ourselves, and say that it takes effect when logind next starts.
 */
#include "module.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "fileio.h"
#include "users.h"

#define LINGER_DIR "/var/lib/systemd/linger"
/* logind creates this at start; without it logind is not running. */
#define LOGIND_SEATS "/run/systemd/seats"

static const char *const linger_aliases[] = { "muster.linger", NULL };
static const char *const state_choices[] = { "present", "absent", NULL };

static const struct mu_arg linger_args[] = {
	{ "user", MU_T_STR, MU_REQUIRED, NULL, NULL, "name" },
	{ "state", MU_T_STR, 0, "present", state_choices, NULL },
	MU_ARG_END,
};

struct linger_plan {
	char *path;
	char *user;
	bool want;
	bool logind;
};

static void linger_plan_free(void *p)
{
	struct linger_plan *plan = p;

	if (!plan)
		return;
	free(plan->path);
	free(plan->user);
	free(plan);
}

/*
 * logind makes LOGIND_SEATS when it starts, but the directory can outlive
 * it (images built on a systemd host carry a stale one), so a seats
 * directory is only a hint: logind runs when loginctl also gets an answer.
 */
static bool logind_running(void)
{
	static const char *const argv[] = {
		"loginctl", "--no-pager", "--no-legend", "list-users", NULL
	};
	struct mu_child c = MU_CHILD_INIT;
	struct mu_err e = { 0 };
	struct stat st;

	if (stat(LOGIND_SEATS, &st) != 0 || !S_ISDIR(st.st_mode))
		return false;
	c.argv = argv;
	c.timeout_sec = 10;
	return mu_child_run(&c, NULL, NULL, &e) == 0;
}

static int linger_check(struct mu_task *t, struct mu_result *r)
{
	const char *name = mu_arg_str(t, "user");
	bool want = strcmp(mu_arg_str(t, "state"), "present") == 0;
	struct mu_user u = { 0 };
	struct mu_err e = { 0 };
	struct linger_plan *plan;
	struct stat st;
	bool have;
	int rc;

	if ((rc = mu_user_get(name, &u, &e)) == MU_E_NOTFOUND)
		return mu_result_fail(r, rc, "linger: unknown user '%s' (not in '%s')", name,
				      mu_passwd_file);
	if (rc)
		return mu_result_fail(r, rc, "linger: cannot look up user '%s': %s", name, e.msg);
	if (strchr(u.name, '/') || u.name[0] == '.') {
		rc = mu_result_fail(r, MU_E_ARG, "linger: user name '%s' cannot name a file",
				    u.name);
		mu_user_release(&u);
		return rc;
	}
	plan = mu_xcalloc(1, sizeof(*plan));
	t->plan = plan;
	/* A numeric user resolves to its name: the file is named after it. */
	plan->user = mu_xstrdup(u.name);
	mu_user_release(&u);
	plan->path = mu_xasprintf("%s/%s", LINGER_DIR, plan->user);
	plan->want = want;
	plan->logind = logind_running();
	if (lstat(plan->path, &st) == 0)
		have = true;
	else if (errno == ENOENT || errno == ENOTDIR)
		have = false;
	else
		return mu_result_fail(r, MU_E_SYS, "linger: cannot stat '%s': %s",
				      plan->path, strerror(errno));
	mu_result_data(r, "user", json_string(plan->user));
	mu_result_data(r, "linger", json_boolean(want));
	mu_result_data(r, "path", json_string(plan->path));
	mu_result_data(r, "logind", json_boolean(plan->logind));
	if (have == want) {
		mu_result_msg(r, "linger is already %s for '%s'", want ? "enabled" : "disabled",
			      plan->user);
		return 0;
	}
	if (plan->logind)
		mu_result_change(r, "%s linger for '%s'", want ? "enable" : "disable",
				 plan->user);
	else
		mu_result_change(r, "%s linger for '%s' (%s '%s'; logind is not running, "
				 "so it takes effect when logind next starts)",
				 want ? "enable" : "disable", plan->user,
				 want ? "create" : "remove", plan->path);
	mu_result_diff(r, plan->path, have ? "present" : "absent", want ? "present" : "absent");
	return 0;
}

static int linger_loginctl(struct mu_result *r, const struct linger_plan *plan)
{
	const char *argv[] = {
		"loginctl", plan->want ? "enable-linger" : "disable-linger", plan->user, NULL
	};
	struct mu_buf err = MU_BUF_INIT;
	struct mu_err e = { 0 };
	int rc = mu_run(argv, NULL, &err, &e);

	while (err.len && err.buf[err.len - 1] == '\n')
		err.buf[--err.len] = '\0';
	if (rc < 0)
		mu_result_fail(r, rc, "linger: %s", e.msg);
	else if (rc > 0)
		mu_result_fail(r, MU_E_EXEC, "linger: 'loginctl %s %s' failed (exit %d): %s",
			       argv[1], plan->user, rc, err.buf);
	mu_buf_release(&err);
	return rc;
}

static int linger_apply(struct mu_task *t, struct mu_result *r)
{
	const struct linger_plan *plan = t->plan;
	struct mu_err e = { 0 };
	struct stat st;
	bool changed = false;
	int rc;

	if (plan->logind)
		return linger_loginctl(r, plan);
	if (!plan->want) {
		if (unlink(plan->path) != 0 && errno != ENOENT)
			return mu_result_fail(r, MU_E_SYS, "linger: cannot remove '%s': %s",
					      plan->path, strerror(errno));
		return 0;
	}
	if (stat(LINGER_DIR, &st) != 0) {
		/* chmod after mkdir: the agent's umask must not narrow it. */
		if ((rc = mu_mkdir_p(LINGER_DIR, 0755, &e)) != 0)
			return mu_result_fail(r, rc, "linger: %s", e.msg);
		if (chmod(LINGER_DIR, 0755) != 0)
			return mu_result_fail(r, MU_E_SYS, "linger: cannot chmod '%s': %s",
					      LINGER_DIR, strerror(errno));
	}
	if ((rc = mu_file_replace(plan->path, "", 0, 0644, 0, 0, &changed, &e)) != 0)
		return mu_result_fail(r, rc, "linger: %s", e.msg);
	return 0;
}

const struct mu_module mu_mod_linger = {
	.name = "linger",
	.aliases = linger_aliases,
	.args = linger_args,
	.flags = MU_MOD_NEEDS_ROOT,
	.summary = "let a user's services run without a login session",
	.check = linger_check,
	.apply = linger_apply,
	.plan_free = linger_plan_free,
};
