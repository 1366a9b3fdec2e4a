/*
 * linger, offline (no logind here, and /run/systemd is hidden so a stale
 * seats directory cannot fool the test): the file
 * /var/lib/systemd/linger/USER, in a private mount namespace, for users
 * from a test passwd file.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "users.h"

#define LINGER "/var/lib/systemd/linger"

static void linger_sandbox(void)
{
	static char passwd[128];
	const char *root = tu_sandbox((const char *const[]){
		"/var/lib/systemd", "/run/systemd", NULL });

	snprintf(passwd, sizeof(passwd), "%s/passwd", root);
	tu_write(passwd, "root:x:0:0:root:/root:/bin/sh\n"
			 "deploy:x:1500:1500:Deploy:/home/deploy:/bin/sh\n");
	mu_passwd_file = passwd;
}

static json_t *data(json_t *reply, const char *key)
{
	return json_object_get(json_object_get(reply, "data"), key);
}

Test(linger, enable_creates_file_once)
{
	struct stat st, st2;
	json_t *r;

	linger_sandbox();
	cr_assert_neq(access(LINGER, F_OK), 0, "starts without the directory");
	r = tu_task("linger", "{\"user\":\"deploy\"}", false, true);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect(strstr(tu_msg(r), "logind is not running"), "%s", tu_msg(r));
	cr_expect(json_is_false(data(r, "logind")));
	json_decref(r);
	cr_assert_eq(stat(LINGER "/deploy", &st), 0);
	cr_expect(S_ISREG(st.st_mode));
	cr_expect_eq(st.st_size, 0);
	cr_expect_eq(st.st_mode & 07777, 0644);
	cr_assert_eq(stat(LINGER, &st2), 0);
	cr_expect_eq(st2.st_mode & 07777, 0755);

	sleep(1);
	r = tu_task("linger", "{\"user\":\"deploy\",\"state\":\"present\"}", false, false);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	json_decref(r);
	cr_assert_eq(stat(LINGER "/deploy", &st2), 0);
	cr_expect_eq(st.st_mtim.tv_sec, st2.st_mtim.tv_sec, "not rewritten");
	cr_expect_eq(st.st_mtim.tv_nsec, st2.st_mtim.tv_nsec);
}

Test(linger, absent_removes)
{
	json_t *r;

	linger_sandbox();
	r = tu_task("linger", "{\"user\":\"deploy\"}", false, false);
	cr_expect_str_eq(tu_status(r), "changed");
	json_decref(r);
	r = tu_task("linger", "{\"user\":\"deploy\",\"state\":\"absent\"}", false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	cr_expect_neq(access(LINGER "/deploy", F_OK), 0);
	r = tu_task("linger", "{\"user\":\"deploy\",\"state\":\"absent\"}", false, false);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	json_decref(r);
}

Test(linger, check_mode_changes_nothing)
{
	json_t *r;

	linger_sandbox();
	r = tu_task("linger", "{\"user\":\"deploy\"}", true, true);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect(strstr(tu_msg(r), "would enable linger for 'deploy'"), "%s", tu_msg(r));
	cr_expect_eq(json_array_size(json_object_get(r, "diff")), 1);
	json_decref(r);
	cr_expect_neq(access(LINGER, F_OK), 0, "no directory made");
	/* And the other way: an existing file stays in check mode. */
	cr_assert_eq(tu_sh("mkdir -p " LINGER " && touch " LINGER "/deploy"), 0);
	r = tu_task("linger", "{\"user\":\"deploy\",\"state\":\"absent\"}", true, false);
	cr_expect_str_eq(tu_status(r), "changed");
	json_decref(r);
	cr_expect_eq(access(LINGER "/deploy", F_OK), 0);
}

Test(linger, unknown_user_fails)
{
	json_t *r;

	linger_sandbox();
	r = tu_task("linger", "{\"user\":\"nobody-here\"}", false, false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "unknown user 'nobody-here'"), "%s", tu_msg(r));
	json_decref(r);
	cr_expect_neq(access(LINGER, F_OK), 0);
	r = tu_task("linger", "{}", false, false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "missing required argument 'user'"), "%s", tu_msg(r));
	json_decref(r);
}

Test(linger, numeric_user_uses_the_name)
{
	json_t *r;

	linger_sandbox();
	r = tu_task("linger", "{\"user\":1500}", false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	cr_expect_eq(access(LINGER "/deploy", F_OK), 0);
}

Test(linger, stale_seats_dir_is_not_logind)
{
	json_t *r;

	linger_sandbox();
	/* What this machine has: /run/systemd/seats left over, no logind. */
	cr_assert_eq(tu_sh("mkdir -p /run/systemd/seats"), 0);
	r = tu_task("linger", "{\"user\":\"deploy\"}", false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect(json_is_false(data(r, "logind")));
	json_decref(r);
	cr_expect_eq(access(LINGER "/deploy", F_OK), 0);
}
