/*
 * file: states, attributes, and the recursive walk (never follows a
 * symlink, stays on one filesystem, changes only what differs). Every test
 * runs in a private mount namespace with /opt/containers hidden behind an
 * empty directory, and with /etc/passwd covered by a copy, so that even a
 * walk that wrongly followed the test's symlink to /etc/passwd could only
 * touch the copy, which the test then inspects.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "users.h"

#define TREE "/opt/containers/tree"
#define DEPLOY 1000

static json_t *data(json_t *reply, const char *key)
{
	return json_object_get(json_object_get(reply, "data"), key);
}

static long data_int(json_t *reply, const char *key)
{
	return (long)json_integer_value(data(reply, key));
}

static bool has_warning(json_t *reply, const char *needle)
{
	json_t *w = json_object_get(reply, "warnings");

	for (size_t i = 0; i < json_array_size(w); i++)
		if (strstr(json_string_value(json_array_get(w, i)), needle))
			return true;
	return false;
}

static void sandbox(void)
{
	const char *root = tu_sandbox((const char *const[]){ "/opt/containers", NULL });
	char copy[256], path[256];

	snprintf(copy, sizeof(copy), "%s/passwd-copy", root);
	cr_assert_eq(tu_sh("cp /etc/passwd '%s' && chown 0:0 '%s'", copy, copy), 0);
	cr_assert_eq(mount(copy, "/etc/passwd", NULL, MS_BIND, NULL), 0,
		     "cover /etc/passwd: %s", strerror(errno));
	/* Our own user database: deploy is 1000:1000 whatever the host has. */
	snprintf(path, sizeof(path), "%s/passwd", root);
	tu_write(path, "root:x:0:0:root:/root:/bin/sh\n"
		 "deploy:x:1000:1000::/home/deploy:/bin/sh\n");
	mu_passwd_file = strdup(path);
	snprintf(path, sizeof(path), "%s/group", root);
	tu_write(path, "root:x:0:\ndeploy:x:1000:\n");
	mu_group_file = strdup(path);
}

static void make(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);

	cr_assert_geq(fd, 0, "create %s: %s", path, strerror(errno));
	close(fd);
	/* chown first: it clears set-id bits, even to the same owner. */
	cr_assert_eq(lchown(path, uid, gid), 0);
	cr_assert_eq(chmod(path, mode), 0);
}

/*
 * A tree of exactly n entries (top included): 10 directories, a symlink to
 * /etc/passwd, and files, all owned by uid:gid.
 */
static void make_tree(const char *top, size_t n, uid_t uid, gid_t gid)
{
	char path[512];
	size_t count = 0;

	cr_assert_eq(mkdir(top, 0755), 0, "mkdir %s: %s", top, strerror(errno));
	cr_assert_eq(lchown(top, uid, gid), 0);
	count++;
	snprintf(path, sizeof(path), "%s/pw", top);
	cr_assert_eq(symlink("/etc/passwd", path), 0);
	cr_assert_eq(lchown(path, uid, gid), 0);
	count++;
	for (int d = 0; d < 10; d++) {
		snprintf(path, sizeof(path), "%s/d%d", top, d);
		cr_assert_eq(mkdir(path, 0755), 0);
		cr_assert_eq(lchown(path, uid, gid), 0);
		count++;
	}
	for (size_t i = 0; count < n; i++, count++) {
		snprintf(path, sizeof(path), "%s/d%zu/f%zu", top, i % 10, i);
		make(path, 0644, uid, gid);
	}
}

static size_t not_owned;
static uid_t want_uid;

static int count_not_owned(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)p;
	(void)flag;
	(void)f;
	not_owned += st->st_uid != want_uid || st->st_gid != want_uid;
	return 0;
}

/* Entries under top (symlinks themselves, not followed) not owned by uid:uid. */
static size_t count_foreign(const char *top, uid_t uid)
{
	not_owned = 0;
	want_uid = uid;
	cr_assert_eq(nftw(top, count_not_owned, 16, FTW_PHYS | FTW_MOUNT), 0);
	return not_owned;
}

static void expect_passwd_untouched(void)
{
	struct stat st;

	cr_assert_eq(stat("/etc/passwd", &st), 0);
	cr_expect_eq(st.st_uid, 0, "/etc/passwd owner changed: the walk followed a symlink");
	cr_expect_eq(st.st_gid, 0, "/etc/passwd group changed: the walk followed a symlink");
}

static const char chown_tree[] =
	"{\"path\":\"" TREE "\",\"state\":\"directory\",\"recurse\":true,"
	"\"owner\":\"deploy\",\"group\":\"deploy\"}";

Test(file, recurse_over_tree_already_owned_is_ok)
{
	json_t *r;

	sandbox();
	make_tree(TREE, 1200, DEPLOY, DEPLOY);
	r = tu_task("ansible.builtin.file", chown_tree, false, true);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	cr_expect_eq(data_int(r, "total_entries"), 1200);
	cr_expect_eq(data_int(r, "changed_entries"), 0);
	json_decref(r);
	expect_passwd_untouched();
}

Test(file, recurse_changes_only_what_differs_and_lchowns_links)
{
	char path[256];
	struct stat st;
	json_t *r;

	sandbox();
	make_tree(TREE, 1200, 0, 0);
	/* 200 files already right: 1000 entries to change. */
	for (int i = 0; i < 200; i++) {
		snprintf(path, sizeof(path), TREE "/d%d/f%d", i % 10, i);
		cr_assert_eq(lchown(path, DEPLOY, DEPLOY), 0);
	}

	r = tu_task("file", chown_tree, true, true);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect_eq(data_int(r, "changed_entries"), 1000);
	cr_expect_eq(data_int(r, "total_entries"), 1200);
	cr_expect(strstr(tu_msg(r), "would set owner deploy, group deploy on 1000 of 1200 "
			 "entries under '" TREE "'") != NULL, "%s", tu_msg(r));
	json_decref(r);
	cr_expect_eq(count_foreign(TREE, DEPLOY), 1000, "check mode changed something");

	r = tu_task("file", chown_tree, false, true);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect_eq(data_int(r, "changed_entries"), 1000);
	json_decref(r);
	cr_expect_eq(count_foreign(TREE, DEPLOY), 0);
	cr_assert_eq(lstat(TREE "/pw", &st), 0);
	cr_expect(S_ISLNK(st.st_mode));
	cr_expect_eq(st.st_uid, DEPLOY, "the symlink itself is lchown'ed");
	expect_passwd_untouched();

	r = tu_task("file", chown_tree, false, true);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	cr_expect_eq(data_int(r, "changed_entries"), 0);
	json_decref(r);
}

Test(file, symbolic_mode_recursive)
{
	const char *args = "{\"path\":\"" TREE "\",\"recurse\":true,"
			   "\"mode\":\"u=rwX,g=rX,o=\"}";
	struct stat st;
	json_t *r;

	sandbox();
	cr_assert_eq(mkdir(TREE, 0755), 0);
	cr_assert_eq(mkdir(TREE "/sub", 0777), 0);
	make(TREE "/sub/plain", 0666, 0, 0);
	make(TREE "/sub/script", 0755, 0, 0);
	cr_assert_eq(symlink("/etc/passwd", TREE "/sub/pw"), 0);
	r = tu_task("file", args, false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect_eq(data_int(r, "changed_entries"), 4);
	cr_expect_eq(data_int(r, "total_entries"), 5);
	json_decref(r);
	cr_assert_eq(stat(TREE, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0750);
	cr_assert_eq(stat(TREE "/sub", &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0750);
	cr_assert_eq(stat(TREE "/sub/plain", &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0640);
	cr_assert_eq(stat(TREE "/sub/script", &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0750);
	cr_assert_eq(stat("/etc/passwd", &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0644, "chmod followed a symlink");
	r = tu_task("file", args, false, false);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	json_decref(r);
}

Test(file, bare_decimal_mode_is_refused_with_the_quoted_form)
{
	json_t *r;

	sandbox();
	r = tu_task("file", "{\"path\":\"/opt/containers\",\"mode\":755}", false, false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "mode: '0755'") != NULL, "%s", tu_msg(r));
	json_decref(r);
}

Test(file, bad_arguments_are_clear_errors)
{
	static const struct {
		const char *args, *msg;
	} cases[] = {
		{ "{\"path\":\"/opt/containers\",\"owner\":\"nosuchuser\"}",
		  "file: no such user 'nosuchuser'" },
		{ "{\"path\":\"/opt/containers\",\"group\":\"nosuchgroup\"}",
		  "file: no such group 'nosuchgroup'" },
		{ "{\"path\":\"/opt/containers\",\"state\":\"bogus\"}",
		  "file: argument 'state' must be one of: file, directory, absent, touch, "
		  "link, hard; got 'bogus'" },
		{ "{\"state\":\"directory\"}", "file: missing required argument 'path'" },
		{ "{\"path\":\"relative/x\"}", "must be an absolute path" },
		{ "{\"path\":\"/opt/containers\",\"mode\":\"u+q\"}", "unknown permission 'q'" },
		{ "{\"path\":\"/opt/containers/f\",\"state\":\"touch\",\"recurse\":true}",
		  "file: recurse needs state 'directory', not 'touch'" },
		{ "{\"path\":\"/opt/containers/l\",\"state\":\"link\"}",
		  "file: argument 'src' is required for state 'link'" },
		{ "{\"path\":\"/opt/containers/missing\"}",
		  "file: '/opt/containers/missing' does not exist; state 'file' does not "
		  "create files (use state 'touch')" },
		{ "{\"path\":\"/opt/containers\",\"state\":\"file\"}",
		  "is a directory; use state 'directory'" },
		{ "{\"path\":\"/\",\"state\":\"absent\"}", "refusing to remove '/'" },
	};

	sandbox();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *r = tu_task("file", cases[i].args, false, false);

		cr_expect_str_eq(tu_status(r), "failed", "%s", cases[i].args);
		cr_expect(strstr(tu_msg(r), cases[i].msg) != NULL, "%s: got '%s'",
			  cases[i].args, tu_msg(r));
		json_decref(r);
	}
}

Test(file, directory_with_parents_and_mode_check_mode_first)
{
	const char *args = "{\"path\":\"/opt/containers/a/b/c\",\"state\":\"directory\","
			   "\"mode\":\"0750\",\"owner\":\"deploy\"}";
	struct stat st;
	json_t *r;

	sandbox();
	r = tu_task("file", args, true, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	cr_expect_neq(access("/opt/containers/a", F_OK), 0, "check mode created it");

	r = tu_task("file", args, false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	for (const char *const *p = (const char *const[]){ "/opt/containers/a",
		"/opt/containers/a/b", "/opt/containers/a/b/c", NULL }; *p; p++) {
		cr_assert_eq(stat(*p, &st), 0, "%s", *p);
		cr_expect_eq(st.st_mode & 07777, 0750, "%s", *p);
		cr_expect_eq(st.st_uid, DEPLOY, "%s", *p);
	}
	r = tu_task("file", args, false, false);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	json_decref(r);
}

Test(file, absent_removes_the_tree_but_not_what_links_point_at)
{
	const char *args = "{\"path\":\"" TREE "\",\"state\":\"absent\"}";
	json_t *r;

	sandbox();
	make_tree(TREE, 50, 0, 0);
	cr_assert_eq(mkdir("/opt/containers/keep", 0755), 0);
	make("/opt/containers/keep/precious", 0644, 0, 0);
	cr_assert_eq(symlink("/opt/containers/keep", TREE "/d0/keeplink"), 0);

	r = tu_task("file", args, true, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect_eq(data_int(r, "total_entries"), 51);
	json_decref(r);
	cr_expect_eq(access(TREE "/d0", F_OK), 0, "check mode removed something");

	r = tu_task("file", args, false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	cr_expect_neq(access(TREE, F_OK), 0);
	cr_expect_eq(access("/opt/containers/keep/precious", F_OK), 0);
	cr_expect_eq(access("/etc/passwd", F_OK), 0);
	r = tu_task("file", args, false, false);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	json_decref(r);
}

Test(file, recursion_and_removal_stay_on_one_filesystem)
{
	json_t *r;
	struct stat st;

	sandbox();
	make_tree(TREE, 30, 0, 0);
	cr_assert_eq(mkdir(TREE "/mnt", 0755), 0);
	cr_assert_eq(mount("tmpfs", TREE "/mnt", "tmpfs", 0, "mode=0755"), 0);
	make(TREE "/mnt/inner", 0644, 0, 0);

	r = tu_task("file", chown_tree, false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect_eq(data_int(r, "changed_entries"), 30);
	cr_expect(has_warning(r, "'" TREE "/mnt' is another filesystem"));
	json_decref(r);
	cr_assert_eq(stat(TREE "/mnt/inner", &st), 0);
	cr_expect_eq(st.st_uid, 0, "crossed into another filesystem");

	r = tu_task("file", "{\"path\":\"" TREE "\",\"state\":\"absent\"}", false, false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "is a mount point; refusing to remove") != NULL, "%s",
		  tu_msg(r));
	json_decref(r);
	cr_expect_eq(access(TREE "/d0", F_OK), 0, "removed something before refusing");

	r = tu_task("file", "{\"path\":\"" TREE "\",\"state\":\"directory\",\"recurse\":true,"
		    "\"owner\":\"deploy\",\"one_file_system\":false}", false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	cr_assert_eq(stat(TREE "/mnt/inner", &st), 0);
	cr_expect_eq(st.st_uid, DEPLOY);
}

Test(file, owner_change_keeps_setid_bits_when_a_mode_is_given)
{
	struct stat st;
	json_t *r;

	sandbox();
	cr_assert_eq(mkdir(TREE, 0755), 0);
	make(TREE "/suid", 04755, 0, 0);
	make(TREE "/suid2", 04755, 0, 0);
	r = tu_task("file", "{\"path\":\"" TREE "/suid\",\"owner\":\"deploy\","
		    "\"mode\":\"u+rwX\"}", false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	cr_assert_eq(stat(TREE "/suid", &st), 0);
	cr_expect_eq(st.st_uid, DEPLOY);
	cr_expect_eq(st.st_mode & 07777, 04755);

	r = tu_task("file", "{\"path\":\"" TREE "/suid2\",\"owner\":\"deploy\"}", false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect(has_warning(r, "cleared the set-id bits"), "no warning");
	json_decref(r);
}

Test(file, touch_link_and_hard)
{
	char buf[64];
	ssize_t n;
	struct stat a, b;
	json_t *r;

	sandbox();
	r = tu_task("file", "{\"path\":\"/opt/containers/t\",\"state\":\"touch\","
		    "\"mode\":\"0600\"}", false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	cr_assert_eq(stat("/opt/containers/t", &a), 0);
	cr_expect_eq(a.st_mode & 07777, 0600);
	r = tu_task("file", "{\"path\":\"/opt/containers/t\",\"state\":\"touch\"}", false, false);
	cr_expect_str_eq(tu_status(r), "changed", "touch always changes");
	json_decref(r);

	/* link: created, then ok, then repointed; a file in the way needs force. */
	r = tu_task("file", "{\"path\":\"/opt/containers/l\",\"state\":\"link\","
		    "\"src\":\"t\"}", false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	n = readlink("/opt/containers/l", buf, sizeof(buf) - 1);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	cr_expect_str_eq(buf, "t");
	r = tu_task("file", "{\"path\":\"/opt/containers/l\",\"state\":\"link\","
		    "\"src\":\"t\",\"owner\":\"deploy\"}", false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	cr_assert_eq(lstat("/opt/containers/l", &a), 0);
	cr_expect_eq(a.st_uid, DEPLOY, "link lchown'ed");
	cr_assert_eq(stat("/opt/containers/t", &a), 0);
	cr_expect_eq(a.st_uid, 0, "link target untouched");
	r = tu_task("file", "{\"path\":\"/opt/containers/l\",\"state\":\"link\","
		    "\"src\":\"t\",\"owner\":\"deploy\"}", false, false);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	json_decref(r);
	r = tu_task("file", "{\"path\":\"/opt/containers/l\",\"state\":\"link\","
		    "\"src\":\"/nonexistent\"}", false, false);
	cr_expect_str_eq(tu_status(r), "changed", "an existing link is repointed: %s",
			 tu_msg(r));
	json_decref(r);
	make("/opt/containers/plain", 0644, 0, 0);
	r = tu_task("file", "{\"path\":\"/opt/containers/plain\",\"state\":\"link\","
		    "\"src\":\"t\"}", false, false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "use force: true") != NULL, "%s", tu_msg(r));
	json_decref(r);
	r = tu_task("file", "{\"path\":\"/opt/containers/plain\",\"state\":\"link\","
		    "\"src\":\"t\",\"force\":true}", false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	cr_assert_eq(lstat("/opt/containers/plain", &a), 0);
	cr_expect(S_ISLNK(a.st_mode));

	r = tu_task("file", "{\"path\":\"/opt/containers/h\",\"state\":\"hard\","
		    "\"src\":\"/opt/containers/t\"}", false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	cr_assert_eq(stat("/opt/containers/h", &a), 0);
	cr_assert_eq(stat("/opt/containers/t", &b), 0);
	cr_expect_eq(a.st_ino, b.st_ino);
	r = tu_task("file", "{\"path\":\"/opt/containers/h\",\"state\":\"hard\","
		    "\"src\":\"/opt/containers/t\"}", false, false);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	json_decref(r);
}

Test(file, follow_false_acts_on_the_link_itself)
{
	struct stat st;
	json_t *r;

	sandbox();
	make("/opt/containers/target", 0644, 0, 0);
	cr_assert_eq(symlink("/opt/containers/target", "/opt/containers/ln"), 0);
	r = tu_task("file", "{\"path\":\"/opt/containers/ln\",\"owner\":\"deploy\","
		    "\"follow\":false}", false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	cr_assert_eq(lstat("/opt/containers/ln", &st), 0);
	cr_expect_eq(st.st_uid, DEPLOY);
	cr_assert_eq(stat("/opt/containers/target", &st), 0);
	cr_expect_eq(st.st_uid, 0);

	/* follow (the default) changes the target. */
	r = tu_task("file", "{\"path\":\"/opt/containers/ln\",\"owner\":\"deploy\"}",
		    false, false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	cr_assert_eq(stat("/opt/containers/target", &st), 0);
	cr_expect_eq(st.st_uid, DEPLOY);
}

Test(file, numeric_ids_need_no_passwd_entry)
{
	struct stat st;
	json_t *r;

	sandbox();
	make("/opt/containers/f", 0644, 0, 0);
	r = tu_task("file", "{\"path\":\"/opt/containers/f\",\"owner\":100998,"
		    "\"group\":\"100998\"}", false, true);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	cr_assert_eq(stat("/opt/containers/f", &st), 0);
	cr_expect_eq(st.st_uid, 100998);
	cr_expect_eq(st.st_gid, 100998);
}

/* Regression: numeric ids past 32 bits wrapped (4294967296 became root). */
Test(file, numeric_ids_out_of_range_are_refused)
{
	char *d = tu_tmpdir();
	char args[512];
	json_t *r;

	snprintf(args, sizeof(args),
		 "{\"path\":\"%s/f9\",\"state\":\"touch\",\"owner\":\"99999999999\"}", d);
	r = tu_task("file", args, false, false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "'99999999999'") != NULL, "%s", tu_msg(r));
	json_decref(r);
	snprintf(args, sizeof(args),
		 "{\"path\":\"%s/f9\",\"state\":\"touch\",\"group\":\"4294967296\"}", d);
	r = tu_task("file", args, false, false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "out of range") != NULL, "%s", tu_msg(r));
	json_decref(r);
	snprintf(args, sizeof(args), "%s/f9", d);
	cr_expect_neq(access(args, F_OK), 0, "nothing was created");
}
