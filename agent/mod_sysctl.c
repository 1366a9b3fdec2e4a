/*
 * sysctl: one kernel parameter, persisted in a sysctl.d file and applied
 * at runtime through /proc/sys, as Ansible's ansible.posix.sysctl does.
 *
 * The file is edited as text (sysctl_file.c): only the managed key's line
 * changes, a duplicated key ends up once, everything else keeps its bytes.
 * Runtime values are written straight to /proc/sys and read back, because
 * only the kernel knows how it parsed what we wrote. Unlike `sysctl -p`,
 * reloading applies only the managed key: the other keys of the file are
 * checked (unknown ones are reported) but never written, so a task never
 * changes parameters it was not asked about.
 */
#include "module.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "fileio.h"
#include "sysctl_file.h"

static const char *const sysctl_aliases[] = {
	"ansible.posix.sysctl", "ansible.builtin.sysctl", NULL
};

static const char *const state_choices[] = { "present", "absent", NULL };

static const struct mu_arg sysctl_args[] = {
	{ "name", MU_T_STR, MU_REQUIRED, NULL, NULL, "key" },
	{ "value", MU_T_STR, 0, NULL, NULL, "val" },
	{ "state", MU_T_STR, 0, "present", state_choices, NULL },
	{ "sysctl_file", MU_T_PATH, 0, "/etc/sysctl.conf", NULL, NULL },
	{ "reload", MU_T_BOOL, 0, "true", NULL, NULL },
	{ "sysctl_set", MU_T_BOOL, 0, "false", NULL, NULL },
	{ "ignoreerrors", MU_T_BOOL, 0, "false", NULL, NULL },
	MU_ARG_END,
};

/* What check() found to do, for apply(). */
struct sysctl_plan {
	char *name;
	char *value;
	char proc[PATH_MAX];
	bool write_runtime;
	bool write_file;
	char *content;       /* the file's new text */
	size_t len;
};

static void plan_free(void *p)
{
	struct sysctl_plan *plan = p;

	if (!plan)
		return;
	free(plan->name);
	free(plan->value);
	free(plan->content);
	free(plan);
}

static char *trimmed(const char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return mu_xstrndup(s, n);
}

/* Ansible writes booleans as 1 and 0: "yes" in a playbook means 1. */
static char *desired_value(const char *v)
{
	static const char *const yes[] = { "yes", "y", "on", "true", "t", NULL };
	static const char *const no[] = { "no", "n", "off", "false", "f", NULL };

	for (int i = 0; yes[i]; i++)
		if (strcasecmp(v, yes[i]) == 0)
			return mu_xstrdup("1");
	for (int i = 0; no[i]; i++)
		if (strcasecmp(v, no[i]) == 0)
			return mu_xstrdup("0");
	return trimmed(v);
}

/* The lines of conf that assign key, joined with '\n' (NULL if none). */
static char *key_lines(const struct mu_sysctl_conf *c, const char *norm)
{
	struct mu_buf b = MU_BUF_INIT;

	for (size_t i = 0; i < c->n; i++) {
		const struct mu_sysctl_line *l = &c->lines[i];

		if (!mu_sysctl_line_is(c, l, norm))
			continue;
		if (b.len)
			mu_buf_addch(&b, '\n');
		mu_buf_add(&b, c->text + l->start, l->end - l->start);
	}
	if (!b.len) {
		mu_buf_release(&b);
		return NULL;
	}
	return mu_buf_detach(&b, NULL);
}

static bool glob_key(const char *k)
{
	return strpbrk(k, "*?[") != NULL;
}

/*
 * Keys of the file other than ours that this kernel does not know: a
 * reload at boot would complain about them. Warnings, never failures.
 */
static void warn_unknown_keys(struct mu_result *r, const char *file,
			      const struct mu_sysctl_conf *c, const char *norm)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct mu_sysctl_line *l = &c->lines[i];
		char proc[PATH_MAX];
		char *k;
		struct stat st;

		if (!l->assign || l->ignore_fail || mu_sysctl_line_is(c, l, norm))
			continue;
		k = mu_sysctl_key_norm(c->text + l->key_start, l->key_end - l->key_start);
		if (glob_key(k)) {
			free(k);
			continue;
		}
		if (mu_sysctl_proc_path(k, proc, sizeof(proc), NULL) != 0)
			mu_result_warn(r, "%s:%u: invalid sysctl key '%s'", file, l->lineno, k);
		else if (stat(proc, &st) != 0)
			mu_result_warn(r, "%s:%u: unknown sysctl key '%s' (no '%s' on this kernel)",
				       file, l->lineno, k, proc);
		free(k);
	}
}

static bool dir_exists(const char *file)
{
	char *copy = mu_xstrdup(file);
	struct stat st;
	bool ok = stat(dirname(copy), &st) == 0 && S_ISDIR(st.st_mode);

	free(copy);
	return ok;
}

/*
 * The file side: read it, compute its new text, record the change.
 * Returns 0, or a failure already recorded in r.
 */
static int check_file(struct mu_task *t, struct mu_result *r,
		      struct sysctl_plan *plan, const char *norm, bool present)
{
	const char *file = mu_arg_str(t, "sysctl_file");
	struct mu_buf text = MU_BUF_INIT, next = MU_BUF_INIT;
	struct mu_sysctl_conf conf = { 0 }, after = { 0 };
	struct mu_err e = { 0 };
	char *before_lines = NULL, *after_lines = NULL;
	size_t found = 0;
	bool exists = true;
	int rc = 0;

	rc = mu_file_read(file, &text, 0, &e);
	if (rc == MU_E_NOTFOUND) {
		exists = false;
		rc = 0;
	} else if (rc) {
		mu_result_fail(r, rc, "sysctl: %s", e.msg);
		goto out;
	}
	if (!exists && present && !dir_exists(file)) {
		rc = mu_result_fail(r, MU_E_NOTFOUND,
				    "sysctl: cannot create '%s': its directory does not exist",
				    file);
		goto out;
	}
	mu_sysctl_conf_parse(text.buf, text.len, &conf);
	mu_sysctl_conf_set(&conf, plan->name, present ? plan->value : NULL, &next, &found);
	mu_sysctl_conf_parse(next.buf, next.len, &after);
	before_lines = key_lines(&conf, norm);
	after_lines = key_lines(&after, norm);
	plan->write_file = next.len != text.len || memcmp(next.buf, text.buf, next.len) != 0;
	if (plan->write_file && present) {
		if (found == 0)
			mu_result_change(r, "add '%s=%s' to '%s'", plan->name, plan->value, file);
		else if (found == 1)
			mu_result_change(r, "set '%s' to '%s' in '%s'", plan->name,
					 plan->value, file);
		else
			mu_result_change(r, "set '%s' to '%s' in '%s' and drop %zu duplicate "
					 "line%s", plan->name, plan->value, file, found - 1,
					 found > 2 ? "s" : "");
	} else if (plan->write_file) {
		mu_result_change(r, "remove '%s' from '%s' (%zu line%s)", plan->name, file,
				 found, found > 1 ? "s" : "");
	}
	if (plan->write_file)
		mu_result_diff(r, file, before_lines, after_lines);
	if (present && mu_arg_bool(t, "reload"))
		warn_unknown_keys(r, file, &after, norm);
	mu_result_data(r, "sysctl_file", json_string(file));
	mu_result_data(r, "file_lines", json_integer((json_int_t)found));
	plan->content = mu_buf_detach(&next, &plan->len);
out:
	free(before_lines);
	free(after_lines);
	mu_sysctl_conf_release(&conf);
	mu_sysctl_conf_release(&after);
	mu_buf_release(&text);
	mu_buf_release(&next);
	return rc;
}

/* The runtime side, for state present. */
static int check_runtime(struct mu_task *t, struct mu_result *r,
			 struct sysctl_plan *plan)
{
	bool reload = mu_arg_bool(t, "reload");
	bool set = mu_arg_bool(t, "sysctl_set");
	bool ignore = mu_arg_bool(t, "ignoreerrors");
	struct mu_buf cur = MU_BUF_INIT;
	struct mu_err e = { 0 };
	struct stat st;
	bool apply = (reload && plan->write_file) || set;
	bool known;
	int rc = 0;

	if (stat(plan->proc, &st) != 0) {
		if ((reload || set) && !ignore) {
			rc = mu_result_fail(r, MU_E_NOTFOUND,
					    "sysctl: unknown key '%s' (no '%s' on this kernel): "
					    "cannot set it to '%s'", plan->name, plan->proc,
					    plan->value);
			goto out;
		}
		mu_result_warn(r, "unknown sysctl key '%s' (no '%s' on this kernel); "
			       "'%s' is only persisted", plan->name, plan->proc, plan->value);
		mu_result_data(r, "runtime", json_null());
		goto out;
	}
	/* Write-only keys cannot be compared: we write them when asked to apply. */
	known = mu_sysctl_read(plan->proc, &cur, &e) == 0;
	mu_result_data(r, "runtime", known ? json_string(cur.buf) : json_null());
	if (known && mu_sysctl_value_eq(cur.buf, plan->value))
		goto out;
	if (apply) {
		plan->write_runtime = true;
		if (known)
			mu_result_change(r, "set runtime '%s' to '%s' (was '%s')", plan->name,
					 plan->value, cur.buf);
		else
			mu_result_change(r, "set runtime '%s' to '%s'", plan->name, plan->value);
		mu_result_diff(r, plan->proc, known ? cur.buf : NULL, plan->value);
	} else if (known && (reload || set)) {
		mu_result_warn(r, "runtime value of '%s' is '%s', not '%s'; the file already "
			       "has it: set sysctl_set: true to apply it now", plan->name,
			       cur.buf, plan->value);
	}
out:
	mu_buf_release(&cur);
	return rc;
}

static int sysctl_check(struct mu_task *t, struct mu_result *r)
{
	bool present = strcmp(mu_arg_str(t, "state"), "present") == 0;
	const char *value = mu_arg_str(t, "value");
	struct sysctl_plan *plan = mu_xcalloc(1, sizeof(*plan));
	struct mu_err e = { 0 };
	char *norm = NULL;
	int rc;

	t->plan = plan;
	plan->name = trimmed(mu_arg_str(t, "name"));
	if ((rc = mu_sysctl_proc_path(plan->name, plan->proc, sizeof(plan->proc), &e)))
		return mu_result_fail(r, rc, "sysctl: %s", e.msg);
	norm = mu_sysctl_key_norm(plan->name, strlen(plan->name));
	if (present) {
		if (!value) {
			rc = mu_result_fail(r, MU_E_ARG, "sysctl: argument 'value' is required "
					    "when state is 'present'");
			goto out;
		}
		plan->value = desired_value(value);
		if (!*plan->value || strpbrk(plan->value, "\n\r")) {
			rc = mu_result_fail(r, MU_E_ARG, "sysctl: invalid value '%s' for '%s': "
					    "it must be one non-empty line", value, plan->name);
			goto out;
		}
	}
	mu_result_data(r, "name", json_string(plan->name));
	mu_result_data(r, "value", plan->value ? json_string(plan->value) : json_null());
	/* File first: whether the runtime is written depends on its answer. */
	if ((rc = check_file(t, r, plan, norm, present)))
		goto out;
	if (present && (rc = check_runtime(t, r, plan))) {
		/* Nothing will be done: do not list the file change either. */
		json_array_clear(r->changes);
		json_array_clear(r->diff);
		goto out;
	}
out:
	free(norm);
	return rc;
}

static int sysctl_apply(struct mu_task *t, struct mu_result *r)
{
	struct sysctl_plan *plan = t->plan;
	const char *file = mu_arg_str(t, "sysctl_file");
	bool ignore = mu_arg_bool(t, "ignoreerrors");
	struct mu_buf now = MU_BUF_INIT;
	struct mu_err e = { 0 };
	bool changed;
	int rc = 0;

	/*
	 * Runtime before file: a value the kernel refuses must not be
	 * persisted, or the next boot fails on it.
	 */
	if (plan->write_runtime) {
		rc = mu_sysctl_write(plan->proc, plan->value, &e);
		if (rc && !ignore) {
			/* Nothing was done: the planned changes are not a record. */
			json_array_clear(r->changes);
			json_array_clear(r->diff);
			if (e.sys_errno == EINVAL || e.sys_errno == ERANGE)
				mu_result_fail(r, rc, "sysctl: the kernel rejected value '%s' for "
					       "'%s' (%s)", plan->value, plan->name,
					       strerror(e.sys_errno));
			else
				mu_result_fail(r, rc, "sysctl: cannot set '%s' to '%s': %s",
					       plan->name, plan->value, e.msg);
			goto out;
		}
		if (rc)
			mu_result_warn(r, "the kernel rejected value '%s' for '%s' (%s); "
				       "ignored", plan->value, plan->name, e.msg);
		rc = mu_sysctl_read(plan->proc, &now, &e);
		if (rc == 0 && !mu_sysctl_value_eq(now.buf, plan->value)) {
			if (!ignore) {
				rc = mu_result_fail(r, MU_E_SYS, "sysctl: '%s' reads '%s' after "
						    "writing '%s'", plan->name, now.buf,
						    plan->value);
				goto out;
			}
			mu_result_warn(r, "'%s' reads '%s' after writing '%s'", plan->name,
				       now.buf, plan->value);
		}
		if (rc == 0)
			mu_result_data(r, "runtime", json_string(now.buf));
		rc = 0;
	}
	if (plan->write_file) {
		rc = mu_file_replace(file, plan->content, plan->len, 0644, (uid_t)-1,
				     (gid_t)-1, &changed, &e);
		if (rc) {
			mu_result_fail(r, rc, "sysctl: %s", e.msg);
			goto out;
		}
	}
out:
	mu_buf_release(&now);
	return rc;
}

const struct mu_module mu_mod_sysctl = {
	.name = "sysctl",
	.aliases = sysctl_aliases,
	.args = sysctl_args,
	.summary = "set a kernel parameter at runtime and in a sysctl.d file",
	.check = sysctl_check,
	.apply = sysctl_apply,
	.plan_free = plan_free,
};
