/*
 * sysctl: file edits keep every unrelated byte, runtime goes through
 * /proc/sys, unknown keys and rejected values fail clearly. Every test
 * runs in its own network namespace (tu_sandbox), so the net.* keys it
 * writes are private; it never writes vm.* or kernel.* (global).
 */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sysctl_file.h"
#include "testutil.h"

#define CONF "/etc/sysctl.d/10-podman.conf"
#define PORT_START "/proc/sys/net/ipv4/ip_unprivileged_port_start"

static json_t *data(json_t *reply, const char *key)
{
	return json_object_get(json_object_get(reply, "data"), key);
}

static void sandbox(void)
{
	tu_sandbox((const char *const[]){ "/etc/sysctl.d", NULL });
}

static char *runtime(const char *proc)
{
	char *v = tu_read(proc);

	cr_assert_not_null(v, "cannot read %s", proc);
	v[strcspn(v, "\n")] = '\0';
	return v;
}

static bool has_warning(json_t *reply, const char *needle)
{
	json_t *w = json_object_get(reply, "warnings");

	for (size_t i = 0; i < json_array_size(w); i++)
		if (strstr(json_string_value(json_array_get(w, i)), needle))
			return true;
	return false;
}

static const char podman_conf[] =
	"# podman settings\n"
	"  # indented comment\n"
	"net.ipv4.ip_forward=1\n"
	"net.ipv4.ip_unprivileged_port_start = 1024\n"
	"vm.swappiness = 10\n"
	"net.ipv4.ip_unprivileged_port_start=2048\n";

static const char podman_conf_80[] =
	"# podman settings\n"
	"  # indented comment\n"
	"net.ipv4.ip_forward=1\n"
	"net.ipv4.ip_unprivileged_port_start = 80\n"
	"vm.swappiness = 10\n";

static const char set80[] =
	"{\"name\":\"net.ipv4.ip_unprivileged_port_start\",\"value\":80,"
	"\"sysctl_file\":\"" CONF "\"}";

Test(sysctl, edits_only_the_key_and_keeps_every_other_byte)
{
	struct stat before, after;
	char *swappiness, *text, *rt, *swappiness_after;
	json_t *r, *diff;

	sandbox();
	tu_write(CONF, podman_conf);
	cr_assert_eq(chown(CONF, 123, 456), 0);
	cr_assert_eq(chmod(CONF, 0640), 0);
	swappiness = runtime("/proc/sys/vm/swappiness");

	r = tu_task("ansible.posix.sysctl", set80, false, true);
	cr_assert_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	text = tu_read(CONF);
	cr_expect_str_eq(text, podman_conf_80);
	rt = runtime(PORT_START);
	cr_expect_str_eq(rt, "80");
	diff = json_object_get(r, "diff");
	cr_expect_eq(json_array_size(diff), 2);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(diff, 0), "before")),
			 "net.ipv4.ip_unprivileged_port_start = 1024\n"
			 "net.ipv4.ip_unprivileged_port_start=2048");
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(diff, 0), "after")),
			 "net.ipv4.ip_unprivileged_port_start = 80");
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(diff, 1), "before")),
			 "1024");
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(diff, 1), "after")),
			 "80");
	json_decref(r);

	/* Owner and mode of the file survive the atomic replace. */
	cr_assert_eq(stat(CONF, &before), 0);
	cr_expect_eq(before.st_uid, 123);
	cr_expect_eq(before.st_gid, 456);
	cr_expect_eq(before.st_mode & 07777, 0640);
	/* Other keys of the file are not applied (vm.* is global: untouched). */
	swappiness_after = runtime("/proc/sys/vm/swappiness");
	cr_expect_str_eq(swappiness_after, swappiness);

	usleep(20000);
	r = tu_task("sysctl", set80, false, true);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	json_decref(r);
	cr_assert_eq(stat(CONF, &after), 0);
	cr_expect_eq(after.st_ino, before.st_ino, "file was rewritten");
	cr_expect_eq(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	cr_expect_eq(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	free(text);
	free(rt);
	free(swappiness);
	free(swappiness_after);
}

Test(sysctl, unknown_key_elsewhere_in_the_file_is_a_warning_with_file_and_line)
{
	json_t *r;
	char *rt;

	sandbox();
	tu_write(CONF, "# test\nnet.bogus.nonexistent_key = 1\nnet.ipv4.ip_forward = 0\n");
	r = tu_task("sysctl", "{\"name\":\"net.ipv4.ip_forward\",\"value\":\"1\","
		    "\"sysctl_file\":\"" CONF "\"}", false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect(has_warning(r, CONF ":2: unknown sysctl key 'net.bogus.nonexistent_key'"),
		  "warnings: %s", json_dumps(json_object_get(r, "warnings"), 0));
	json_decref(r);
	rt = runtime("/proc/sys/net/ipv4/ip_forward");
	cr_expect_str_eq(rt, "1");
	free(rt);
	rt = tu_read(CONF);
	cr_expect_str_eq(rt, "# test\nnet.bogus.nonexistent_key = 1\nnet.ipv4.ip_forward = 1\n");
	free(rt);
}

Test(sysctl, unknown_key_fails_naming_it)
{
	json_t *r;

	sandbox();
	r = tu_task("sysctl", "{\"name\":\"net.bogus.nonexistent_key\",\"value\":\"1\","
		    "\"sysctl_file\":\"" CONF "\"}", false, false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "unknown key 'net.bogus.nonexistent_key'") != NULL,
		  "%s", tu_msg(r));
	cr_expect(strstr(tu_msg(r), "'1'") != NULL, "%s", tu_msg(r));
	cr_expect_null(json_object_get(r, "changes"), "a failure lists no changes");
	json_decref(r);
	cr_expect_neq(access(CONF, F_OK), 0, "nothing persisted");

	/* ignoreerrors: persisted, with a warning. */
	r = tu_task("sysctl", "{\"name\":\"net.bogus.nonexistent_key\",\"value\":\"1\","
		    "\"ignoreerrors\":true,\"sysctl_file\":\"" CONF "\"}", false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect(has_warning(r, "unknown sysctl key 'net.bogus.nonexistent_key'"));
	json_decref(r);
	cr_expect_eq(access(CONF, F_OK), 0);
}

static void expect_rejected(const char *value)
{
	char args[256];
	char *text, *rt;
	json_t *r;

	snprintf(args, sizeof(args), "{\"name\":\"net.ipv4.ip_unprivileged_port_start\","
		 "\"value\":\"%s\",\"sysctl_file\":\"" CONF "\"}", value);
	r = tu_task("sysctl", args, false, false);
	cr_expect_str_eq(tu_status(r), "failed", "value %s: %s", value, tu_msg(r));
	cr_expect(strstr(tu_msg(r), "net.ipv4.ip_unprivileged_port_start") != NULL,
		  "%s", tu_msg(r));
	cr_expect(strstr(tu_msg(r), value) != NULL, "%s", tu_msg(r));
	cr_expect_null(json_object_get(r, "changes"), "nothing was changed");
	json_decref(r);
	text = tu_read(CONF);
	cr_expect_str_eq(text, "net.ipv4.ip_unprivileged_port_start = 1024\n",
			 "a rejected value is not persisted");
	rt = runtime(PORT_START);
	cr_expect_str_eq(rt, "1024");
	free(text);
	free(rt);
}

Test(sysctl, value_the_kernel_rejects_fails_naming_key_and_value)
{
	sandbox();
	tu_write(CONF, "net.ipv4.ip_unprivileged_port_start = 1024\n");
	expect_rejected("abc");
	expect_rejected("70000");
	expect_rejected("080"); /* octal to the kernel, with an 8 in it */
}

Test(sysctl, check_mode_changes_nothing_and_says_what_it_would_do)
{
	struct stat before, after;
	char *text, *rt;
	json_t *r;

	sandbox();
	tu_write(CONF, podman_conf);
	cr_assert_eq(stat(CONF, &before), 0);
	r = tu_task("sysctl", set80, true, true);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect(strncmp(tu_msg(r), "would", 5) == 0, "%s", tu_msg(r));
	cr_expect_eq(json_array_size(json_object_get(r, "changes")), 2);
	cr_expect_eq(json_array_size(json_object_get(r, "diff")), 2);
	json_decref(r);
	text = tu_read(CONF);
	cr_expect_str_eq(text, podman_conf);
	rt = runtime(PORT_START);
	cr_expect_str_eq(rt, "1024");
	cr_assert_eq(stat(CONF, &after), 0);
	cr_expect_eq(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	free(text);
	free(rt);
}

Test(sysctl, bad_arguments_are_clear_errors)
{
	static const struct {
		const char *args, *msg;
	} cases[] = {
		{ "{\"name\":\"net.ipv4.ip_forward\",\"value\":1,\"state\":\"bogus\"}",
		  "sysctl: argument 'state' must be one of: present, absent; got 'bogus'" },
		{ "{\"value\":1}", "sysctl: missing required argument 'name'" },
		{ "{\"name\":\"net.ipv4.ip_forward\"}",
		  "sysctl: argument 'value' is required when state is 'present'" },
		{ "{\"name\":\"net.ipv4.ip_forward\",\"value\":1,\"sysctl_file\":\"x.conf\"}",
		  "sysctl: argument 'sysctl_file' must be an absolute path, got 'x.conf'" },
		{ "{\"name\":\"net/../../etc\",\"value\":1}",
		  "sysctl: invalid sysctl key 'net/../../etc': empty or relative part" },
		{ "{\"name\":\"net.ipv4 x\",\"value\":1}", "sysctl: invalid sysctl key" },
		{ "{\"name\":\"net.ipv4.ip_forward\",\"value\":\"1\\n2\"}",
		  "it must be one non-empty line" },
		{ "{\"name\":\"net.ipv4.ip_forward\",\"value\":1,\"reload\":\"maybe\"}",
		  "sysctl: argument 'reload' must be a boolean" },
		{ "{\"name\":\"net.ipv4.ip_forward\",\"value\":1,\"sysctl_file\":"
		  "\"/etc/sysctl.d/nodir/x.conf\"}", "its directory does not exist" },
	};

	sandbox();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *r = tu_task("sysctl", cases[i].args, false, false);

		cr_expect_str_eq(tu_status(r), "failed", "%s", cases[i].args);
		cr_expect(strstr(tu_msg(r), cases[i].msg) != NULL, "%s: got '%s'",
			  cases[i].args, tu_msg(r));
		json_decref(r);
	}
}

Test(sysctl, new_file_gets_key_value_line_and_mode_0644)
{
	struct stat st;
	char *text;
	json_t *r;

	sandbox();
	r = tu_task("sysctl", set80, false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	text = tu_read(CONF);
	cr_expect_str_eq(text, "net.ipv4.ip_unprivileged_port_start=80\n");
	cr_assert_eq(stat(CONF, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0644);
	free(text);
}

Test(sysctl, absent_removes_every_line_and_leaves_runtime)
{
	char *text, *rt;
	json_t *r;
	const char *args = "{\"name\":\"net.ipv4.ip_unprivileged_port_start\","
			   "\"state\":\"absent\",\"sysctl_file\":\"" CONF "\"}";

	sandbox();
	tu_write(CONF, podman_conf);
	tu_write(PORT_START, "99");
	r = tu_task("sysctl", args, false, true);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	text = tu_read(CONF);
	cr_expect_str_eq(text, "# podman settings\n  # indented comment\n"
			 "net.ipv4.ip_forward=1\nvm.swappiness = 10\n");
	rt = runtime(PORT_START);
	cr_expect_str_eq(rt, "99");
	r = tu_task("sysctl", args, false, true);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	json_decref(r);
	free(text);
	free(rt);
}

Test(sysctl, whitespace_and_kernel_number_forms_compare_equal)
{
	const char *set = "{\"name\":\"net.ipv4.tcp_rmem\",\"value\":\"4096 87380 6291456\","
			  "\"sysctl_file\":\"" CONF "\",\"sysctl_set\":true}";
	char *rt;
	json_t *r;

	sandbox();
	tu_write(CONF, "net.ipv4.tcp_rmem = 4096\t87380   6291456\n");
	r = tu_task("sysctl", set, false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect_eq(json_array_size(json_object_get(r, "changes")), 1, "runtime only");
	json_decref(r);
	rt = tu_read("/proc/sys/net/ipv4/tcp_rmem");
	cr_expect_str_eq(rt, "4096\t87380\t6291456\n");
	free(rt);
	r = tu_task("sysctl", set, false, false);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	json_decref(r);

	cr_expect(mu_sysctl_value_eq("80", "0x50"));
	cr_expect(mu_sysctl_value_eq(" 4096\t87380  6291456\n", "4096 87380 6291456"));
	cr_expect_not(mu_sysctl_value_eq("080", "80"));
	cr_expect_not(mu_sysctl_value_eq("80 90", "80"));
	cr_expect_not(mu_sysctl_value_eq("-1", "1"));
	cr_expect(mu_sysctl_value_eq("-0", "0"));
}

Test(sysctl, runtime_drift_is_a_warning_unless_sysctl_set)
{
	const char *base = "{\"name\":\"net.ipv4.ip_unprivileged_port_start\",\"value\":80,"
			   "\"sysctl_file\":\"" CONF "\"";
	char args[256];
	char *rt;
	json_t *r;

	sandbox();
	tu_write(CONF, "net.ipv4.ip_unprivileged_port_start=80\n");
	snprintf(args, sizeof(args), "%s}", base);
	r = tu_task("sysctl", args, false, false);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	cr_expect(has_warning(r, "set sysctl_set: true"));
	json_decref(r);
	snprintf(args, sizeof(args), "%s,\"sysctl_set\":true}", base);
	r = tu_task("sysctl", args, false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	rt = runtime(PORT_START);
	cr_expect_str_eq(rt, "80");
	free(rt);
	r = tu_task("sysctl", args, false, false);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	json_decref(r);
}

Test(sysctl, booleans_become_1_and_0_and_slash_keys_match)
{
	char *text;
	json_t *r;

	sandbox();
	tu_write(CONF, "net/ipv4/ip_forward = 0\n");
	r = tu_task("sysctl", "{\"key\":\"net.ipv4.ip_forward\",\"val\":true,"
		    "\"sysctl_file\":\"" CONF "\"}", false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect_str_eq(json_string_value(data(r, "value")), "1");
	json_decref(r);
	text = tu_read(CONF);
	cr_expect_str_eq(text, "net/ipv4/ip_forward = 1\n");
	free(text);
}

Test(sysctl, reload_false_writes_only_the_file)
{
	char *rt;
	json_t *r;

	sandbox();
	r = tu_task("sysctl", "{\"name\":\"net.ipv4.ip_unprivileged_port_start\",\"value\":80,"
		    "\"reload\":false,\"sysctl_file\":\"" CONF "\"}", false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect_eq(json_array_size(json_object_get(r, "changes")), 1);
	json_decref(r);
	rt = runtime(PORT_START);
	cr_expect_str_eq(rt, "1024");
	free(rt);
}

Test(sysctl, parser_keeps_lines_without_equals_and_missing_final_newline)
{
	struct mu_sysctl_conf c;
	struct mu_buf out = MU_BUF_INIT;
	const char *text = "; semicolon comment\nnot an assignment\n-net.a.b = 1\nnet.x.y=2";
	size_t found;

	mu_sysctl_conf_parse(text, strlen(text), &c);
	cr_expect_eq(c.n, 4);
	cr_expect_not(c.lines[0].assign);
	cr_expect_not(c.lines[1].assign);
	cr_expect(c.lines[2].assign && c.lines[2].ignore_fail);
	mu_sysctl_conf_set(&c, "net.a.b", "5", &out, &found);
	cr_expect_eq(found, 1);
	cr_expect_str_eq(out.buf, "; semicolon comment\nnot an assignment\n-net.a.b = 5\n"
			 "net.x.y=2");
	mu_buf_reset(&out);
	mu_sysctl_conf_set(&c, "net.new.key", "7", &out, &found);
	cr_expect_str_eq(out.buf, "; semicolon comment\nnot an assignment\n-net.a.b = 1\n"
			 "net.x.y=2\nnet.new.key=7\n");
	mu_buf_release(&out);
	mu_sysctl_conf_release(&c);
}
