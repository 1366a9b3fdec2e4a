/*
 * command and shell: run a program. command execs an argv (split from
 * cmd with shell quoting rules but no shell); shell, and only shell, hands
 * the string to /bin/sh. Both are skipped when `creates` exists or
 * `removes` does not, which is what makes them idempotent.
 */
#include "module.h"

#include <string.h>
#include <sys/stat.h>

#include "child.h"
#include "mu_str.h"
#include "shlex.h"

/* Each of stdout and stderr is kept up to this many bytes in the result. */
#define CMD_MAX_KEEP ((size_t)1048576)

static const char *const command_aliases[] = {
	"ansible.builtin.command", "ansible.legacy.command", NULL
};
static const char *const shell_aliases[] = {
	"ansible.builtin.shell", "ansible.legacy.shell", NULL
};

static const struct mu_arg command_args[] = {
	{ "cmd", MU_T_STR, 0, NULL, NULL, "_raw_params" },
	{ "argv", MU_T_LIST, 0, NULL, NULL, NULL },
	{ "chdir", MU_T_PATH, 0, NULL, NULL, NULL },
	{ "creates", MU_T_PATH, 0, NULL, NULL, NULL },
	{ "removes", MU_T_PATH, 0, NULL, NULL, NULL },
	{ "stdin", MU_T_STR, 0, NULL, NULL, NULL },
	{ "become_user", MU_T_STR, 0, NULL, NULL, NULL },
	{ "timeout", MU_T_INT, 0, "0", NULL, NULL },
	MU_ARG_END,
};

static int command_check(struct mu_task *t, struct mu_result *r)
{
	const char *cmd = mu_arg_str(t, "cmd");
	const char *creates = mu_arg_str(t, "creates");
	const char *removes = mu_arg_str(t, "removes");
	json_t *argv = mu_arg_json(t, "argv");
	struct stat st;

	if (!cmd == !argv)
		return mu_result_fail(r, MU_E_ARG, "%s: give exactly one of 'cmd' or 'argv'",
				      t->mod->name);
	if (argv && strcmp(t->mod->name, "shell") == 0)
		return mu_result_fail(r, MU_E_ARG, "shell: takes 'cmd', not 'argv'");
	if (argv && json_array_size(argv) == 0)
		return mu_result_fail(r, MU_E_ARG, "%s: 'argv' is empty", t->mod->name);
	if (mu_arg_int(t, "timeout", 0) < 0 || mu_arg_int(t, "timeout", 0) > 31536000LL)
		return mu_result_fail(r, MU_E_ARG, "%s: 'timeout' must be 0 (none) or a number of seconds",
				      t->mod->name);
	if (creates && stat(creates, &st) == 0) {
		r->status = MU_SKIPPED;
		mu_result_msg(r, "skipped, since '%s' exists", creates);
		return 0;
	}
	if (removes && stat(removes, &st) != 0) {
		r->status = MU_SKIPPED;
		mu_result_msg(r, "skipped, since '%s' does not exist", removes);
		return 0;
	}
	if (cmd) {
		mu_result_change(r, "run '%s'", cmd);
	} else {
		/* Show the whole argv: "would run 'rm'" hides what rm would remove. */
		struct mu_buf b = MU_BUF_INIT;
		size_t i;
		json_t *a;

		json_array_foreach(argv, i, a)
			mu_buf_addf(&b, "%s%s", i ? " " : "", json_string_value(a));
		mu_result_change(r, "run '%s'", b.buf);
		mu_buf_release(&b);
	}
	return 0;
}

static int command_apply(struct mu_task *t, struct mu_result *r)
{
	struct mu_child c = MU_CHILD_INIT;
	struct mu_buf out = MU_BUF_INIT, err = MU_BUF_INIT;
	struct mu_err e = { 0 };
	const char *cmd = mu_arg_str(t, "cmd");
	const char *in = mu_arg_str(t, "stdin");
	json_t *jargv = mu_arg_json(t, "argv");
	char **argv = NULL;
	const char *shell_argv[2] = { cmd, NULL };
	int rc;

	if (strcmp(t->mod->name, "shell") == 0) {
		c.argv = shell_argv;
		c.use_shell = true;
	} else if (jargv) {
		size_t i;
		json_t *v;

		argv = mu_xcalloc(json_array_size(jargv) + 1, sizeof(*argv));
		json_array_foreach(jargv, i, v)
			argv[i] = mu_xstrdup(json_string_value(v));
		c.argv = (const char *const *)argv;
	} else {
		if (mu_shlex_split(cmd, &argv, &e) != 0) {
			mu_result_fail(r, e.code, "command: %s", e.msg);
			goto out;
		}
		if (!argv[0]) {
			mu_result_fail(r, MU_E_ARG, "command: 'cmd' is empty");
			goto out;
		}
		c.argv = (const char *const *)argv;
	}
	c.dir = mu_arg_str(t, "chdir");
	c.user = mu_arg_str(t, "become_user");
	c.timeout_sec = (unsigned)mu_arg_int(t, "timeout", 0); /* checked >= 0 in check() */
	c.keep_env = !c.user;
	if (in) {
		c.stdin_data = in;
		c.stdin_len = strlen(in);
	}
	rc = mu_child_run(&c, &out, &err, &e);
	if (rc < 0) {
		mu_result_fail(r, rc, "%s: %s", t->mod->name, e.msg);
		goto out;
	}
	while (out.len && out.buf[out.len - 1] == '\n')
		out.buf[--out.len] = '\0';
	while (err.len && err.buf[err.len - 1] == '\n')
		err.buf[--err.len] = '\0';
	mu_result_data(r, "rc", json_integer(rc));
	{
		bool cut_out, cut_err;

		/* Output must survive the protocol: lossy UTF-8, at most 1 MiB each. */
		mu_result_data(r, "stdout", mu_json_string_lossy(out.buf, out.len, CMD_MAX_KEEP, &cut_out));
		mu_result_data(r, "stderr", mu_json_string_lossy(err.buf, err.len, CMD_MAX_KEEP, &cut_err));
		if (cut_out || cut_err)
			mu_result_warn(r, "%s: output longer than %zu bytes was cut (stdout %zu, stderr %zu bytes)",
				       t->mod->name, CMD_MAX_KEEP, out.len, err.len);
	}
	{
		json_t *lines = json_array();
		const char *p = json_string_value(json_object_get(r->data, "stdout"));

		while (p && *p) {
			const char *nl = strchr(p, '\n');
			json_t *s = json_stringn(p, nl ? (size_t)(nl - p) : strlen(p));

			if (s)
				json_array_append_new(lines, s);
			p = nl ? nl + 1 : NULL;
		}
		mu_result_data(r, "stdout_lines", lines);
	}
	if (rc != 0)
		mu_result_fail(r, MU_E_EXEC, "non-zero return code %d%s%.*s", rc,
			       err.len ? ": " : "", (int)(err.len > 400 ? 400 : err.len),
			       err.buf);
out:
	mu_shlex_free(argv);
	mu_buf_release(&out);
	mu_buf_release(&err);
	return 0;
}

const struct mu_module mu_mod_command = {
	.name = "command",
	.aliases = command_aliases,
	.args = command_args,
	.summary = "run a program with an argv, no shell",
	.check = command_check,
	.apply = command_apply,
};

const struct mu_module mu_mod_shell = {
	.name = "shell",
	.aliases = shell_aliases,
	.args = command_args,
	.summary = "run a command string through /bin/sh",
	.check = command_check,
	.apply = command_apply,
};
