/* agent/users.c: passwd, group and subid files read straight from disk. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"
#include "users.h"

static char *subuid;

static void files(void)
{
	char *dir = tu_tmpdir();
	static char passwd[256], group[256], sub[256];

	snprintf(passwd, sizeof(passwd), "%s/passwd", dir);
	snprintf(group, sizeof(group), "%s/group", dir);
	snprintf(sub, sizeof(sub), "%s/subuid", dir);
	tu_write(passwd, "root:x:0:0:root:/root:/bin/bash\n"
			 "#deploy:x:7:7::/nowhere:/bin/false\n"
			 "short:x:5\n"
			 "deploy:x:1000:1000:Deploy:/home/deploy:/bin/sh\n");
	tu_write(group, "root:x:0:\n"
			"#9:x:9:deploy\n"
			"wheel:x:10:root,deploy\n"
			"deploy:x:1000:\n"
			"podman:x:1001:alice,deploy\n");
	tu_write(sub, "# comment\n"
		      "alice:100000:65536\n"
		      "1000:165536:65536\n");
	mu_passwd_file = passwd;
	mu_group_file = group;
	subuid = sub;
}

TestSuite(users, .init = files);

Test(users, by_name_and_number)
{
	struct mu_user u;
	struct mu_err e = { 0 };

	cr_assert_eq(mu_user_get("deploy", &u, &e), 0, "%s", e.msg);
	cr_expect_eq(u.uid, 1000);
	cr_expect_eq(u.gid, 1000);
	cr_expect_str_eq(u.home, "/home/deploy", "commented and short lines are passed over");
	cr_expect_str_eq(u.shell, "/bin/sh");
	mu_user_release(&u);
	cr_assert_eq(mu_user_get("0", &u, &e), 0, "%s", e.msg);
	cr_expect_str_eq(u.name, "root");
	mu_user_release(&u);
	cr_expect_eq(mu_user_get("nobody", &u, &e), MU_E_NOTFOUND);
	cr_expect(strstr(e.msg, "no such user 'nobody'"), "%s", e.msg);
	cr_expect_eq(mu_user_by_uid(42, &u, &e), MU_E_NOTFOUND);
	cr_expect(strstr(e.msg, "no user with uid 42"), "%s", e.msg);
}

Test(users, groups)
{
	struct mu_err e = { 0 };
	gid_t g = 0, list[8];
	int n = 8;
	char name[32];

	cr_assert_eq(mu_group_gid("wheel", &g, &e), 0, "%s", e.msg);
	cr_expect_eq(g, 10);
	cr_assert_eq(mu_group_gid("77", &g, &e), 0);
	cr_expect_eq(g, 77);
	cr_expect_eq(mu_group_gid("nope", &g, &e), MU_E_NOTFOUND);
	cr_expect(strstr(e.msg, "no such group 'nope'"), "%s", e.msg);
	mu_group_name(1001, name, sizeof(name));
	cr_expect_str_eq(name, "podman");
	mu_group_name(4242, name, sizeof(name));
	cr_expect_str_eq(name, "4242", "an unknown gid is its number");
	/* Group lines are not comments: "#9" is a group named so. */
	mu_group_name(9, name, sizeof(name));
	cr_expect_str_eq(name, "#9");
	cr_assert_eq(mu_user_groups("deploy", 1000, list, &n), 0);
	cr_assert_eq(n, 4);
	cr_expect_eq(list[0], 1000);
	cr_expect_eq(list[1], 9);
	cr_expect_eq(list[2], 10);
	cr_expect_eq(list[3], 1001);
	n = 2;
	cr_assert_eq(mu_user_groups("deploy", 1000, list, &n), 0);
	cr_expect_eq(n, 2, "stops at the capacity");
}

Test(users, subid_by_name_or_uid)
{
	struct mu_user u;
	struct mu_err e = { 0 };
	unsigned long start = 0, count = 0;

	cr_assert_eq(mu_user_get("deploy", &u, &e), 0, "%s", e.msg);
	cr_assert_eq(mu_subid_range(subuid, &u, &start, &count, &e), 0, "%s", e.msg);
	cr_expect_eq(start, 165536);
	cr_expect_eq(count, 65536);
	mu_user_release(&u);
	cr_assert_eq(mu_user_get("root", &u, &e), 0, "%s", e.msg);
	cr_expect_eq(mu_subid_range(subuid, &u, &start, &count, &e), MU_E_NOTFOUND);
	cr_expect(strstr(e.msg, "user 'root' has no range"), "%s", e.msg);
	cr_expect_eq(mu_subid_range("/nonexistent/subuid", &u, &start, &count, &e),
		     MU_E_NOTFOUND);
	cr_expect(strstr(e.msg, "does not exist"), "%s", e.msg);
	mu_user_release(&u);
}
