/*
 * podman_chown, in a private mount namespace per test: /opt and
 * /var/lib/muster hidden behind empty dirs, /etc/passwd, group, subuid and
 * subgid replaced by copies with a user 'deploy' (uid 1000,
 * 100000:65536) and a user 'other' (uid 1001, 200000:65536; no sub-ids
 * for 'nosub'). No podman needed: the shift is pure file work.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#define REG "/var/lib/muster/shifts"
#define TREE "/opt/containers"
#define ARGS "\"path\":\"" TREE "\",\"user\":\"deploy\""

static void sandbox(void)
{
	const char *root = tu_sandbox((const char *const[]){ "/opt", "/var/lib/muster", NULL });
	const char *files[] = { "passwd", "group", "subuid", "subgid" };
	char path[256], target[64];

	cr_assert_eq(tu_sh("grep -v '^[^:]*:[^:]*:100[01]:' /etc/passwd > %s/passwd && "
			   "printf 'deploy:x:1000:1000::/home/deploy:/bin/sh\\n"
			   "other:x:1001:1001::/home/other:/bin/sh\\n"
			   "nosub:x:1002:1002::/home/nosub:/bin/sh\\n' >> %s/passwd && "
			   "grep -v '^[^:]*:[^:]*:100[012]:' /etc/group > %s/group && "
			   "printf 'deploy:x:1000:\\nother:x:1001:\\nnosub:x:1002:\\n' >> %s/group && "
			   "printf 'deploy:100000:65536\\nother:200000:65536\\n' > %s/subuid && "
			   "cp %s/subuid %s/subgid", root, root, root, root, root, root, root), 0);
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, files[i]);
		snprintf(target, sizeof(target), "/etc/%s", files[i]);
		cr_assert_eq(mount(path, target, NULL, MS_BIND, NULL), 0, "bind %s: %s", target,
			     strerror(errno));
	}
	/*
	 * The tree: root-owned top (0751), web data as nginx (101), db data as
	 * postgres (999), a symlink to /etc/passwd, an id with no place in the
	 * user's namespace (70000), and a set-gid directory.
	 */
	cr_assert_eq(tu_sh("mkdir -p " TREE "/web/sub " TREE "/db && chmod 0751 " TREE " && "
			   "echo hi > " TREE "/web/index.html && echo x > " TREE "/web/sub/f && "
			   "chown -R 101:101 " TREE "/web && chmod 2750 " TREE "/web/sub && "
			   "echo row > " TREE "/db/t1 && chown -R 999:999 " TREE "/db && "
			   "ln -s /etc/passwd " TREE "/web/pw && "
			   "echo odd > " TREE "/odd && chown 70000:101 " TREE "/odd"), 0);
}

static struct stat st_of(const char *path)
{
	struct stat st;

	cr_assert_eq(lstat(path, &st), 0, "lstat %s: %s", path, strerror(errno));
	return st;
}

#define UID(p) ((unsigned)st_of(p).st_uid)
#define GID(p) ((unsigned)st_of(p).st_gid)

static char *dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
}

static json_t *data(const json_t *r, const char *key)
{
	return json_object_get(json_object_get(r, "data"), key);
}

static long long pair(const json_t *r, const char *kind, const char *key)
{
	return json_integer_value(json_object_get(data(r, kind), key));
}

static json_t *run(const char *extra, bool check)
{
	char args[512];

	snprintf(args, sizeof(args), "{" ARGS "%s%s}", extra[0] ? "," : "", extra);
	return tu_task("podman_chown", args, check, false);
}

static void expect_status(json_t *r, const char *want)
{
	char *s = dump(r);

	cr_assert_str_eq(tu_status(r), want, "status %s, want %s: %s", tu_status(r), want, s);
	free(s);
}

static bool registered(void)
{
	return access(REG "/deploy/opt-containers.json", F_OK) == 0;
}

Test(podman_chown, check_mode_reports_and_changes_nothing)
{
	json_t *r;

	sandbox();
	r = run("", true);
	expect_status(r, "changed");
	cr_expect_eq(pair(r, "uids", "101->100100"), 4, "%s", dump(r));
	cr_expect_eq(pair(r, "uids", "999->100998"), 2);
	cr_expect_eq(pair(r, "uids", "0->1000"), 2, "the top and the symlink");
	cr_expect_eq(json_integer_value(data(r, "outside")), 1, "uid 70000 reported");
	cr_expect(strstr(tu_msg(r), "would") || json_array_size(json_object_get(r, "changes")),
		  "%s", dump(r));
	cr_expect_eq(UID(TREE "/web/index.html"), 101, "check mode shifted");
	cr_expect_eq(UID(TREE), 0);
	cr_expect(!registered(), "check mode wrote a record");
	cr_expect_neq(access(REG, F_OK), 0, "check mode made the registry");
	json_decref(r);
}

Test(podman_chown, shift_once_then_only_new_entries_then_restore)
{
	struct stat rec1, rec2, pw_before;
	json_t *r;
	char *s;

	sandbox();
	pw_before = st_of("/etc/passwd");
	/* the symlink itself is root's until shifted; its target is never touched */
	cr_assert_eq(lchown(TREE "/web/pw", 0, 0), 0);
	r = run("", false);
	expect_status(r, "changed");
	s = dump(r);
	cr_expect_eq(pair(r, "uids", "101->100100"), 4, "%s", s);
	cr_expect_eq(pair(r, "gids", "101->100100"), 5, "%s", s); /* + the odd file's gid */
	cr_expect_eq(pair(r, "uids", "999->100998"), 2, "%s", s);
	cr_expect_eq(pair(r, "uids", "0->1000"), 2, "%s", s); /* top and the symlink */
	cr_expect_eq(json_integer_value(data(r, "outside")), 1, "%s", s);
	cr_expect(json_array_size(json_object_get(r, "warnings")), "outside ids warned: %s", s);
	free(s);
	json_decref(r);
	cr_expect_eq(UID(TREE), 1000);
	cr_expect_eq(st_of(TREE).st_mode & 07777, 0751, "top dir mode kept");
	cr_expect_eq(UID(TREE "/web/index.html"), 100100);
	cr_expect_eq(GID(TREE "/web/sub/f"), 100100);
	cr_expect_eq(st_of(TREE "/web/sub").st_mode & 07777, 02750, "set-gid kept");
	cr_expect_eq(UID(TREE "/db/t1"), 100998);
	cr_expect_eq(UID(TREE "/odd"), 70000, "outside id not flattened");
	cr_expect_eq(GID(TREE "/odd"), 100100, "its gid, in range, shifted");
	cr_expect_eq(UID(TREE "/web/pw"), 1000, "the symlink itself shifted (lchown)");
	cr_expect_eq(UID("/etc/passwd"), pw_before.st_uid, "symlink followed!");
	cr_expect_eq(st_of("/etc/passwd").st_ctim.tv_sec, pw_before.st_ctim.tv_sec);
	cr_assert(registered());
	rec1 = st_of(REG "/deploy/opt-containers.json");
	cr_expect_eq(rec1.st_mode & 0777, 0600);
	cr_expect_eq(st_of(REG "/deploy").st_mode & 0777, 0700);
	{
		char *text = tu_read(REG "/deploy/opt-containers.json");

		cr_expect(strstr(text, "\"ustart\": 100000"), "%s", text);
		cr_expect(strstr(text, "\"path\": \"/opt/containers\""), "%s", text);
		cr_expect(strstr(text, "\"by\": \"podman_chown\""), "%s", text);
		cr_expect(strstr(text, "\"101->100100\": 4"), "%s", text);
		free(text);
	}

	/* second run: registered, nothing outside the range: ok, no writes */
	sleep(1);
	r = run("", false);
	expect_status(r, "ok");
	cr_expect(json_is_true(data(r, "registered")), "%s", dump(r));
	json_decref(r);
	rec2 = st_of(REG "/deploy/opt-containers.json");
	cr_expect_eq(rec1.st_mtim.tv_sec, rec2.st_mtim.tv_sec, "record rewritten");
	cr_expect_eq(rec1.st_mtim.tv_nsec, rec2.st_mtim.tv_nsec);
	cr_expect_eq(UID(TREE "/web/index.html"), 100100, "shifted twice");
	cr_expect_eq(UID(TREE), 1000, "shifted twice");

	/* root adds a file: only it is shifted */
	cr_assert_eq(tu_sh("echo new > " TREE "/web/new && chown 0:0 " TREE "/web/new"), 0);
	r = run("", true);
	expect_status(r, "changed");
	cr_expect_eq(json_integer_value(data(r, "changed")), 1, "%s", dump(r));
	cr_expect_eq(UID(TREE "/web/new"), 0, "check mode shifted");
	json_decref(r);
	r = run("", false);
	expect_status(r, "changed");
	s = dump(r);
	cr_expect_eq(json_integer_value(data(r, "changed")), 1, "%s", s);
	cr_expect_eq(pair(r, "uids", "0->1000"), 1, "%s", s);
	cr_expect_eq(json_object_size(data(r, "uids")), 1, "only root's new file: %s", s);
	free(s);
	json_decref(r);
	cr_expect_eq(UID(TREE "/web/new"), 1000);
	cr_expect_eq(UID(TREE "/web/index.html"), 100100);
	r = run("", false);
	expect_status(r, "ok");
	json_decref(r);

	/* restored: the map reversed, the record gone */
	r = run("\"state\":\"restored\"", true);
	expect_status(r, "changed");
	cr_expect_eq(UID(TREE), 1000, "check mode restored");
	json_decref(r);
	r = run("\"state\":\"restored\"", false);
	expect_status(r, "changed");
	s = dump(r);
	cr_expect_eq(pair(r, "uids", "100100->101"), 4, "%s", s);
	cr_expect_eq(pair(r, "uids", "1000->0"), 3, "%s", s);
	free(s);
	json_decref(r);
	cr_expect_eq(UID(TREE), 0);
	cr_expect_eq(st_of(TREE).st_mode & 07777, 0751);
	cr_expect_eq(UID(TREE "/web/index.html"), 101);
	cr_expect_eq(GID(TREE "/web/sub/f"), 101);
	cr_expect_eq(UID(TREE "/db/t1"), 999);
	cr_expect_eq(UID(TREE "/web/new"), 0);
	cr_expect_eq(UID(TREE "/odd"), 70000);
	cr_expect_eq(GID(TREE "/odd"), 101);
	cr_expect_eq(UID(TREE "/web/pw"), 0);
	cr_expect(!registered(), "record kept after restore");
	r = run("\"state\":\"restored\"", false);
	expect_status(r, "ok");
	json_decref(r);
}

Test(podman_chown, inside_a_registered_tree_and_nested_records)
{
	json_t *r;

	sandbox();
	/* the inner tree first (as podman_migrate would), then the outer one */
	r = tu_task("podman_chown", "{\"path\":\"" TREE "/web\",\"user\":\"deploy\"}", false, false);
	expect_status(r, "changed");
	json_decref(r);
	cr_expect_eq(UID(TREE "/web/index.html"), 100100);
	r = run("", false);
	expect_status(r, "changed");
	cr_expect_eq(pair(r, "uids", "101->100100"), 0, "web shifted twice: %s", dump(r));
	cr_expect_eq(pair(r, "uids", "999->100998"), 2, "%s", dump(r));
	json_decref(r);
	cr_expect_eq(UID(TREE "/web/index.html"), 100100, "shifted twice");
	cr_expect_eq(UID(TREE "/web"), 100100);
	cr_expect_eq(UID(TREE "/db/t1"), 100998);
	/* a path inside the outer tree is registered through it */
	r = tu_task("podman_chown", "{\"path\":\"" TREE "/db\",\"user\":\"deploy\"}", false, false);
	expect_status(r, "ok");
	json_decref(r);
	/* restoring the outer tree leaves the inner record's tree to it */
	r = run("\"state\":\"restored\"", false);
	expect_status(r, "changed");
	json_decref(r);
	cr_expect_eq(UID(TREE "/db/t1"), 999);
	cr_expect_eq(UID(TREE "/web/index.html"), 100100, "another record's tree restored");
	r = tu_task("podman_chown", "{\"path\":\"" TREE "/web\",\"user\":\"deploy\","
		    "\"state\":\"restored\"}", false, false);
	expect_status(r, "changed");
	json_decref(r);
	cr_expect_eq(UID(TREE "/web/index.html"), 101);
}

Test(podman_chown, another_users_tree_is_refused)
{
	json_t *r;

	sandbox();
	r = run("", false);
	expect_status(r, "changed");
	json_decref(r);
	r = tu_task("podman_chown", "{\"path\":\"" TREE "/web\",\"user\":\"other\"}", false, false);
	expect_status(r, "failed");
	cr_expect(strstr(tu_msg(r), "shifted for user 'deploy'"), "%s", tu_msg(r));
	json_decref(r);
	cr_expect_eq(UID(TREE "/web/index.html"), 100100);
	r = tu_task("podman_chown", "{\"path\":\"" TREE "\",\"user\":\"other\","
		    "\"state\":\"restored\"}", false, false);
	expect_status(r, "failed");
	cr_expect(strstr(tu_msg(r), "not 'other'"), "%s", tu_msg(r));
	json_decref(r);
}

Test(podman_chown, user_without_subids_fails_clearly)
{
	json_t *r;

	sandbox();
	r = tu_task("podman_chown", "{\"path\":\"" TREE "\",\"user\":\"nosub\"}", true, false);
	expect_status(r, "failed");
	cr_expect(strstr(tu_msg(r), "'/etc/subuid'"), "%s", tu_msg(r));
	cr_expect(strstr(tu_msg(r), "'/etc/subgid'"), "%s", tu_msg(r));
	cr_expect(strstr(tu_msg(r), "usermod --add-subuids"), "%s", tu_msg(r));
	json_decref(r);
	r = tu_task("podman_chown", "{\"path\":\"" TREE "\",\"user\":\"nosub\"}", false, false);
	expect_status(r, "failed");
	json_decref(r);
	cr_expect_eq(UID(TREE "/web/index.html"), 101, "changed after a failure");
	cr_expect_neq(access(REG, F_OK), 0);
}

Test(podman_chown, bad_arguments)
{
	json_t *r;

	sandbox();
	r = tu_task("podman_chown", "{\"path\":\"opt/containers\",\"user\":\"deploy\"}", true, false);
	expect_status(r, "failed");
	cr_expect(strstr(tu_msg(r), "path"), "%s", tu_msg(r));
	json_decref(r);
	r = tu_task("podman_chown", "{\"path\":\"" TREE "\"}", true, false);
	expect_status(r, "failed");
	cr_expect(strstr(tu_msg(r), "user"), "%s", tu_msg(r));
	json_decref(r);
	r = run("\"state\":\"flat\"", true);
	expect_status(r, "failed");
	cr_expect(strstr(tu_msg(r), "state"), "%s", tu_msg(r));
	json_decref(r);
	r = tu_task("podman_chown", "{\"path\":\"/etc\",\"user\":\"deploy\"}", true, false);
	expect_status(r, "failed");
	cr_expect(strstr(tu_msg(r), "'/etc' is a system location"), "%s", tu_msg(r));
	json_decref(r);
	r = tu_task("podman_chown", "{\"path\":\"" TREE "\",\"user\":\"root\"}", true, false);
	expect_status(r, "failed");
	cr_expect(strstr(tu_msg(r), "is root"), "%s", tu_msg(r));
	json_decref(r);
	r = tu_task("podman_chown", "{\"path\":\"/opt/nothere\",\"user\":\"deploy\"}", true, false);
	expect_status(r, "failed");
	cr_expect(strstr(tu_msg(r), "cannot resolve '/opt/nothere'"), "%s", tu_msg(r));
	json_decref(r);
	r = run("\"bogus\":1", true);
	expect_status(r, "failed");
	cr_expect(strstr(tu_msg(r), "bogus"), "%s", tu_msg(r));
	json_decref(r);
}
