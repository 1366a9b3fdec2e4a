/* command and shell: argv without a shell, creates/removes, results. */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static json_t *data(json_t *reply, const char *key)
{
	return json_object_get(json_object_get(reply, "data"), key);
}

Test(command, runs_argv_without_shell)
{
	json_t *r = tu_task("command", "{\"cmd\":\"echo 'a b' $HOME ;\"}", false, false);

	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect_str_eq(json_string_value(data(r, "stdout")), "a b $HOME ;",
			 "no expansion, no shell");
	cr_expect_eq(json_integer_value(data(r, "rc")), 0);
	json_decref(r);
}

Test(command, shell_uses_sh)
{
	json_t *r = tu_task("shell", "{\"cmd\":\"echo one; echo two\"}", false, false);

	cr_expect_str_eq(tu_status(r), "changed");
	cr_expect_str_eq(json_string_value(data(r, "stdout")), "one\ntwo");
	cr_expect_eq(json_array_size(data(r, "stdout_lines")), 2);
	json_decref(r);
}

Test(command, creates_and_removes_make_it_idempotent)
{
	char *d = tu_tmpdir();
	char args[512];
	json_t *r;

	snprintf(args, sizeof(args), "{\"cmd\":\"touch %s/flag\",\"creates\":\"%s/flag\"}", d, d);
	r = tu_task("command", args, false, false);
	cr_expect_str_eq(tu_status(r), "changed");
	json_decref(r);
	r = tu_task("command", args, false, false);
	cr_expect_str_eq(tu_status(r), "skipped");
	cr_expect(strstr(tu_msg(r), "exists") != NULL);
	json_decref(r);
	snprintf(args, sizeof(args), "{\"cmd\":\"true\",\"removes\":\"%s/none\"}", d);
	r = tu_task("command", args, false, false);
	cr_expect_str_eq(tu_status(r), "skipped");
	json_decref(r);
}

Test(command, check_mode_does_not_run)
{
	char *d = tu_tmpdir();
	char args[512];
	char path[300];
	json_t *r;

	snprintf(args, sizeof(args), "{\"cmd\":\"touch %s/x\"}", d);
	r = tu_task("command", args, true, false);
	cr_expect_str_eq(tu_status(r), "changed");
	cr_expect(strncmp(tu_msg(r), "would run", 9) == 0, "%s", tu_msg(r));
	snprintf(path, sizeof(path), "%s/x", d);
	cr_expect_neq(access(path, F_OK), 0, "check mode ran the command");
	json_decref(r);
}

Test(command, failures_are_reported)
{
	json_t *r = tu_task("command", "{\"cmd\":\"false\"}", false, false);

	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect_str_eq(tu_msg(r), "non-zero return code 1");
	json_decref(r);
	r = tu_task("command", "{\"cmd\":\"/nonexistent/prog\"}", false, false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "cannot run '/nonexistent/prog'") != NULL, "%s", tu_msg(r));
	json_decref(r);
	r = tu_task("command", "{\"cmd\":\"echo 'unbalanced\"}", false, false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "unbalanced quote") != NULL, "%s", tu_msg(r));
	json_decref(r);
	r = tu_task("command", "{}", false, false);
	cr_expect_str_eq(tu_msg(r), "command: give exactly one of 'cmd' or 'argv'");
	json_decref(r);
}

Test(command, timeout_kills)
{
	json_t *r = tu_task("command", "{\"argv\":[\"sleep\",\"5\"],\"timeout\":1}", false, false);

	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "timed out") != NULL, "%s", tu_msg(r));
	json_decref(r);
}

/* Regressions from a break-it session: output the protocol cannot carry as is. */
Test(command, nul_and_invalid_utf8_output_survive)
{
	json_t *r = tu_task("shell", "{\"cmd\":\"printf 'a\\\\000b\\\\377c\\\\nd'\"}", false, false);

	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect_str_eq(json_string_value(data(r, "stdout")), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\nd");
	cr_expect_eq(json_array_size(data(r, "stdout_lines")), 2);
	json_decref(r);
}

Test(command, huge_output_is_cut_with_a_warning)
{
	json_t *r = tu_task("shell", "{\"cmd\":\"head -c 3000000 /dev/zero | tr '\\\\0' x\"}", false, false);

	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect_eq(json_string_length(data(r, "stdout")), 1024u * 1024u);
	cr_expect(strstr(json_string_value(json_array_get(json_object_get(r, "warnings"), 0)),
			 "was cut") != NULL);
	json_decref(r);
}

Test(command, negative_timeout_is_refused)
{
	json_t *r = tu_task("command", "{\"cmd\":\"true\",\"timeout\":-1}", false, false);

	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect_str_eq(tu_msg(r), "command: 'timeout' must be 0 (none) or a number of seconds");
	json_decref(r);
}
