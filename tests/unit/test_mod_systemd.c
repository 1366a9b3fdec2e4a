/*
 * systemd_service: offline enable/disable/mask for a user with no manager
 * (this machine's case), checked against real `systemctl --user enable`
 * run offline as the same user; and the running-manager path against a
 * fake systemctl that records how it was called.
 *
 * Every test runs in private namespaces with /home, /etc/systemd, /run/user,
 * /run/systemd, /var/lib/systemd/linger and /usr/local/sbin hidden, and a
 * temp /etc/passwd and /etc/group bind-mounted over the real ones.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "testutil.h"

#define CFG "/home/deploy/.config/systemd/user"
#define RESTART_LINK CFG "/default.target.wants/podman-restart.service"
#define SOCKET_LINK CFG "/sockets.target.wants/podman.socket"

static void bind_file(const char *src, const char *dst)
{
	cr_assert_eq(mount(src, dst, NULL, MS_BIND, NULL), 0, "bind %s on %s: %s", src, dst,
		     strerror(errno));
}

/* A host with user deploy (uid 1000), no manager, no linger. */
static void host(void)
{
	tu_sandbox((const char *const[]){ "/home", "/etc/systemd", "/run/user", "/run/systemd",
					  "/var/lib/systemd/linger", "/usr/local/sbin", NULL });
	tu_write("/tmp/passwd", "root:x:0:0:root:/root:/bin/sh\n"
				"deploy:x:1000:1000::/home/deploy:/bin/sh\n");
	tu_write("/tmp/group", "root:x:0:\ndeploy:x:1000:\n");
	bind_file("/tmp/passwd", "/etc/passwd");
	bind_file("/tmp/group", "/etc/group");
	cr_assert_eq(mkdir("/home/deploy", 0755), 0);
	cr_assert_eq(chown("/home/deploy", 1000, 1000), 0);
}

static json_t *run(const char *args, bool check)
{
	return tu_task("systemd_service", args, check, true);
}

static char *link_of(const char *path)
{
	static char buf[4096];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

static uid_t owner(const char *path)
{
	struct stat st;

	cr_assert_eq(lstat(path, &st), 0, "lstat %s: %s", path, strerror(errno));
	return st.st_uid;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static bool has_text(const json_t *arr, const char *needle)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
		if (strstr(json_string_value(v), needle))
			return true;
	return false;
}

static const char *const ENABLE_RESTART =
	"{\"name\":\"podman-restart.service\",\"enabled\":true,\"scope\":\"user\","
	"\"user\":\"deploy\"}";
static const char *const ENABLE_SOCKET =
	"{\"name\":\"podman.socket\",\"enabled\":true,\"scope\":\"user\",\"user\":\"deploy\"}";

Test(systemd_service, enables_offline_with_user_owned_links)
{
	json_t *r;
	struct stat before, after;

	host();
	r = run(ENABLE_RESTART, false);
	cr_assert_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(r, "data"),
							   "manager")), "none");
	json_decref(r);
	r = run(ENABLE_SOCKET, false);
	cr_assert_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);

	cr_assert_str_eq(link_of(RESTART_LINK), "/usr/lib/systemd/user/podman-restart.service");
	cr_assert_str_eq(link_of(SOCKET_LINK), "/usr/lib/systemd/user/podman.socket");
	for (const char *const *p = (const char *const[]){
		     "/home/deploy/.config", "/home/deploy/.config/systemd", CFG,
		     CFG "/default.target.wants", CFG "/sockets.target.wants", RESTART_LINK,
		     SOCKET_LINK, NULL }; *p; p++) {
		struct stat st;

		cr_expect_eq(owner(*p), 1000, "%s not owned by deploy", *p);
		lstat(*p, &st);
		if (S_ISDIR(st.st_mode))
			cr_expect_eq(st.st_mode & 07777, 0755, "%s mode %o", *p, st.st_mode & 07777);
	}

	/* Second run: ok, nothing touched. */
	cr_assert_eq(lstat(CFG "/default.target.wants", &before), 0);
	sleep(1);
	r = run(ENABLE_RESTART, false);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	cr_expect_null(json_object_get(r, "changes"));
	json_decref(r);
	r = run(ENABLE_SOCKET, false);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	json_decref(r);
	cr_assert_eq(lstat(CFG "/default.target.wants", &after), 0);
	cr_expect_eq(before.st_mtime, after.st_mtime, "wants dir was rewritten");
	cr_expect_eq(before.st_ctime, after.st_ctime, "wants dir was changed");
}

Test(systemd_service, check_mode_reports_links_and_creates_nothing)
{
	json_t *r;

	host();
	r = run(ENABLE_RESTART, true);
	cr_assert_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect(has_text(json_object_get(r, "changes"), RESTART_LINK),
		  "changes do not name the link");
	cr_expect(strstr(tu_msg(r), "would create symlink") != NULL, "%s", tu_msg(r));
	cr_expect_not_null(json_object_get(r, "diff"));
	cr_expect(!exists("/home/deploy/.config"), "check mode created files");
	json_decref(r);
}

Test(systemd_service, disable_removes_links_and_empty_dirs)
{
	json_t *r;

	host();
	json_decref(run(ENABLE_RESTART, false));
	json_decref(run(ENABLE_SOCKET, false));
	r = run("{\"name\":\"podman.socket\",\"enabled\":false,\"scope\":\"user\","
		"\"user\":\"deploy\"}", true);
	cr_expect_str_eq(tu_status(r), "changed");
	cr_expect(exists(SOCKET_LINK), "check mode removed the link");
	json_decref(r);
	r = run("{\"name\":\"podman.socket\",\"enabled\":false,\"scope\":\"user\","
		"\"user\":\"deploy\"}", false);
	cr_assert_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect(has_text(json_object_get(r, "changes"), "remove symlink"));
	json_decref(r);
	cr_expect(!exists(SOCKET_LINK));
	cr_expect(!exists(CFG "/sockets.target.wants"), "empty wants dir left behind");
	cr_expect(exists(RESTART_LINK), "the other unit was disabled too");
	r = run("{\"name\":\"podman.socket\",\"enabled\":false,\"scope\":\"user\","
		"\"user\":\"deploy\"}", false);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	json_decref(r);
}

Test(systemd_service, unknown_unit_names_unit_and_search_path)
{
	json_t *r;

	host();
	r = run("{\"name\":\"no-such-thing\",\"enabled\":true,\"scope\":\"user\","
		"\"user\":\"deploy\"}", false);
	cr_assert_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "'no-such-thing.service' not found") != NULL, "%s",
		  tu_msg(r));
	cr_expect(strstr(tu_msg(r), CFG) != NULL, "%s", tu_msg(r));
	cr_expect(strstr(tu_msg(r), "/usr/lib/systemd/user") != NULL, "%s", tu_msg(r));
	json_decref(r);
}

Test(systemd_service, bad_arguments_are_clear)
{
	json_t *r;

	host();
	r = run("{\"name\":\"podman.socket\",\"enabled\":true,\"scope\":\"user\"}", false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "scope 'user' needs 'user'") != NULL, "%s", tu_msg(r));
	json_decref(r);
	r = run("{\"name\":\"x\",\"state\":\"running\"}", false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "'state' must be one of") != NULL, "%s", tu_msg(r));
	json_decref(r);
	r = run("{\"enabled\":true}", false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "'name' is needed") != NULL, "%s", tu_msg(r));
	json_decref(r);
	r = run("{\"name\":\"a\",\"masked\":true,\"enabled\":true}", false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "contradict") != NULL, "%s", tu_msg(r));
	json_decref(r);
	r = run("{\"name\":\"a b\",\"enabled\":true}", false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "invalid unit name 'a b'") != NULL, "%s", tu_msg(r));
	json_decref(r);
	r = run("{\"name\":\"x\",\"enabled\":true,\"scope\":\"user\",\"user\":\"nobody9\"}",
		false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "no such user 'nobody9'") != NULL, "%s", tu_msg(r));
	json_decref(r);
	r = run("{}", false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "nothing to do") != NULL, "%s", tu_msg(r));
	json_decref(r);
}

Test(systemd_service, deferred_start_warns_and_names_linger_state)
{
	const char *args = "{\"name\":\"podman-restart.service\",\"enabled\":true,"
			   "\"state\":\"started\",\"scope\":\"user\",\"user\":\"deploy\"}";
	json_t *r;

	host();
	r = run(args, false);
	cr_assert_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect(strstr(tu_msg(r), "start deferred: no user manager for 'deploy' "
			 "(linger is off)") != NULL, "%s", tu_msg(r));
	cr_expect(has_text(json_object_get(r, "warnings"), "start deferred"));
	cr_expect(json_is_true(json_object_get(json_object_get(r, "data"), "start_deferred")));
	json_decref(r);

	/* Linger on, still no systemd as PID 1: ok (not failed), and says why. */
	tu_write("/var/lib/systemd/linger/deploy", "");
	r = run(args, false);
	cr_assert_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	cr_expect(strstr(tu_msg(r), "linger is on, but there is no systemd as PID 1") != NULL,
		  "%s", tu_msg(r));
	json_decref(r);

	/* Starting a unit that is not enabled: it would never start; say so. */
	r = run("{\"name\":\"podman.socket\",\"state\":\"started\",\"scope\":\"user\","
		"\"user\":\"deploy\"}", false);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	cr_expect(has_text(json_object_get(r, "warnings"), "is not enabled"));
	json_decref(r);

	/* Stopping with no manager: nothing runs, nothing to do. */
	r = run("{\"name\":\"podman.socket\",\"state\":\"stopped\",\"scope\":\"user\","
		"\"user\":\"deploy\"}", false);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	cr_expect_null(json_object_get(r, "warnings"));
	json_decref(r);
}

Test(systemd_service, template_needs_an_instance)
{
	json_t *r;

	host();
	r = run("{\"name\":\"podman-kube@.service\",\"enabled\":true,\"scope\":\"user\","
		"\"user\":\"deploy\"}", false);
	cr_assert_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "template") != NULL, "%s", tu_msg(r));
	cr_expect(strstr(tu_msg(r), "podman-kube@NAME.service") != NULL, "%s", tu_msg(r));
	json_decref(r);
	r = run("{\"name\":\"podman-kube@web.service\",\"enabled\":true,\"scope\":\"user\","
		"\"user\":\"deploy\"}", false);
	cr_assert_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	cr_expect_str_eq(link_of(CFG "/default.target.wants/podman-kube@web.service"),
			 "/usr/lib/systemd/user/podman-kube@.service");
	/* Disabling the template removes every instance. */
	r = run("{\"name\":\"podman-kube@.service\",\"enabled\":false,\"scope\":\"user\","
		"\"user\":\"deploy\"}", false);
	cr_assert_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	cr_expect(!exists(CFG "/default.target.wants/podman-kube@web.service"));
}

Test(systemd_service, mask_and_unmask_offline)
{
	json_t *r;

	host();
	r = run("{\"name\":\"podman.socket\",\"masked\":true,\"scope\":\"user\","
		"\"user\":\"deploy\"}", false);
	cr_assert_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	cr_expect_str_eq(link_of(CFG "/podman.socket"), "/dev/null");
	cr_expect_eq(owner(CFG "/podman.socket"), 1000);
	r = run(ENABLE_SOCKET, false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "is masked") != NULL, "%s", tu_msg(r));
	json_decref(r);
	r = run("{\"name\":\"podman.socket\",\"masked\":false,\"enabled\":true,"
		"\"scope\":\"user\",\"user\":\"deploy\"}", false);
	cr_assert_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	cr_expect(!exists(CFG "/podman.socket"), "mask link still there");
	cr_expect_str_eq(link_of(SOCKET_LINK), "/usr/lib/systemd/user/podman.socket");
}

Test(systemd_service, refuses_to_write_through_a_symlink_in_home)
{
	json_t *r;

	host();
	cr_assert_eq(mkdir("/tmp/elsewhere", 0755), 0);
	cr_assert_eq(symlink("/tmp/elsewhere", "/home/deploy/.config"), 0);
	r = run(ENABLE_RESTART, false);
	cr_assert_str_eq(tu_status(r), "failed", "%s", tu_msg(r));
	cr_expect(strstr(tu_msg(r), "'/home/deploy/.config' is a symlink") != NULL, "%s",
		  tu_msg(r));
	json_decref(r);
	cr_expect(!exists("/tmp/elsewhere/systemd"), "wrote through the symlink");
}

Test(systemd_service, replaces_a_dangling_link_and_fixes_owner)
{
	json_t *r;

	host();
	tu_sh("mkdir -p " CFG "/default.target.wants && chown -R 1000:1000 /home/deploy");
	cr_assert_eq(symlink("/gone/podman-restart.service", RESTART_LINK), 0);
	r = run(ENABLE_RESTART, false);
	cr_assert_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect(has_text(json_object_get(r, "changes"), "dangling"));
	json_decref(r);
	cr_expect_str_eq(link_of(RESTART_LINK), "/usr/lib/systemd/user/podman-restart.service");
	cr_expect_eq(owner(RESTART_LINK), 1000);

	/* A link left by root gets the user as owner, and that is a change. */
	tu_sh("mkdir -p " CFG "/sockets.target.wants && chown 1000:1000 "
	      CFG "/sockets.target.wants");
	cr_assert_eq(symlink("/usr/lib/systemd/user/podman.socket", SOCKET_LINK), 0);
	r = run(ENABLE_SOCKET, false);
	cr_assert_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	cr_expect_eq(owner(SOCKET_LINK), 1000);

	/* A link to another file with the same name is a conflict, not ours to replace. */
	unlink(SOCKET_LINK);
	cr_assert_eq(symlink("/usr/lib/systemd/user/dbus.socket", SOCKET_LINK), 0);
	r = run(ENABLE_SOCKET, false);
	cr_expect_str_eq(tu_status(r), "failed");
	cr_expect(strstr(tu_msg(r), "already exists and points to") != NULL, "%s", tu_msg(r));
	json_decref(r);
}

/* Install the custom units that exercise Alias=, Also=, RequiredBy=, resets. */
static void custom_units(void)
{
	tu_sh("mkdir -p /etc/systemd/user");
	tu_write("/etc/systemd/user/muster-a.service",
		 "[Unit]\nDescription=a\n[Service]\nExecStart=/bin/true\n"
		 "[Install]\nWantedBy=graphical.target\nWantedBy=\n"
		 "WantedBy=default.target \\\n  muster-b.target\n"
		 "RequiredBy=muster-b.target\nAlias=muster-alias.service\n"
		 "Also=muster-c.socket\n");
	tu_write("/etc/systemd/user/muster-c.socket",
		 "[Socket]\nListenStream=%t/c.sock\n[Install]\nWantedBy=sockets.target\n");
	tu_write("/etc/systemd/user/muster-t@.service",
		 "[Service]\nExecStart=/bin/echo %i\n[Install]\nWantedBy=default.target\n"
		 "DefaultInstance=one\n");
	tu_write("/etc/systemd/user/muster-static.service",
		 "[Service]\nExecStart=/bin/true\n");
}

Test(systemd_service, static_unit_warns_and_changes_nothing)
{
	json_t *r;

	host();
	custom_units();
	r = run("{\"name\":\"muster-static\",\"enabled\":true,\"scope\":\"user\","
		"\"user\":\"deploy\"}", false);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	cr_expect(has_text(json_object_get(r, "warnings"), "no [Install] section"));
	json_decref(r);
}

/* The oracle: our offline links must be exactly what systemctl makes. */
Test(systemd_service, offline_links_match_systemctl)
{
	static const char *const units[] = {
		"podman-restart.service", "podman.socket", "podman-kube@web.service",
		"muster-a.service", "muster-t@.service", NULL,
	};
	char *ours, *theirs;

	host();
	custom_units();
	for (int i = 0; units[i]; i++) {
		char args[256];
		json_t *r;

		snprintf(args, sizeof(args), "{\"name\":\"%s\",\"enabled\":true,"
			 "\"scope\":\"user\",\"user\":\"deploy\"}", units[i]);
		r = run(args, false);
		cr_assert_str_eq(tu_status(r), "changed", "%s: %s", units[i], tu_msg(r));
		json_decref(r);
	}
	cr_assert_eq(tu_sh("cd /home/deploy && find . -printf '%%p %%l %%U %%G %%m\\n' | sort "
			   "> /tmp/ours.txt"), 0);
	cr_assert_eq(tu_sh("rm -rf /home/deploy/.config"), 0);
	cr_assert_eq(tu_sh("setpriv --reuid=1000 --regid=1000 --clear-groups env -i "
			   "HOME=/home/deploy USER=deploy PATH=/usr/bin:/bin systemctl --user "
			   "enable podman-restart.service podman.socket podman-kube@web.service "
			   "muster-a.service muster-t@.service >/tmp/systemctl.out 2>&1"), 0,
		     "systemctl --user enable failed offline: %s", tu_read("/tmp/systemctl.out"));
	cr_assert_eq(tu_sh("cd /home/deploy && find . -printf '%%p %%l %%U %%G %%m\\n' | sort "
			   "> /tmp/theirs.txt"), 0);
	ours = tu_read("/tmp/ours.txt");
	theirs = tu_read("/tmp/theirs.txt");
	cr_expect_str_eq(ours, theirs, "ours:\n%s\nsystemctl:\n%s", ours, theirs);
	cr_expect(strstr(ours, "muster-alias.service") != NULL, "no alias link:\n%s", ours);
	cr_expect(strstr(ours, "muster-b.target.requires/muster-a.service") != NULL, "%s", ours);
	cr_expect(strstr(ours, "muster-t@one.service") != NULL, "%s", ours);
	free(ours);
	free(theirs);
}

Test(systemd_service, system_scope_offline)
{
	json_t *r;

	host();
	tu_write("/tmp/u.service", "[Service]\nExecStart=/bin/true\n"
				   "[Install]\nWantedBy=multi-user.target\nAlias=muster-u2.service\n");
	tu_sh("mkdir -p /etc/systemd/system && cp /tmp/u.service "
	      "/etc/systemd/system/muster-u.service");
	r = run("{\"name\":\"muster-u\",\"enabled\":true}", false);
	cr_assert_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	cr_expect_str_eq(link_of("/etc/systemd/system/multi-user.target.wants/muster-u.service"),
			 "/etc/systemd/system/muster-u.service");
	cr_expect_str_eq(link_of("/etc/systemd/system/muster-u2.service"),
			 "/etc/systemd/system/muster-u.service");
	cr_expect_eq(owner("/etc/systemd/system/multi-user.target.wants"), 0);
	r = run("{\"name\":\"muster-u\",\"enabled\":true,\"state\":\"started\"}", false);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	cr_expect(strstr(tu_msg(r), "start deferred: no systemd as PID 1") != NULL, "%s",
		  tu_msg(r));
	json_decref(r);
	r = run("{\"name\":\"muster-u\",\"enabled\":false}", false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	cr_expect(!exists("/etc/systemd/system/muster-u2.service"));
	cr_expect(exists("/etc/systemd/system/muster-u.service"), "removed the unit file");
}

/* ---- a running manager, played by a fake systemctl ---- */

static void make_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind %s: %s", path,
		     strerror(errno));
	close(fd);
}

/* Fake systemctl: logs "uid XDG_RUNTIME_DIR args", keeps state in /tmp/fake. */
static void fake_manager(bool booted)
{
	tu_sh("mkdir -p /run/user/1000/systemd /tmp/fake && chown -R 1000:1000 /run/user/1000 "
	      "&& chmod 777 /tmp/fake && echo disabled > /tmp/fake/enabled && "
	      "echo inactive > /tmp/fake/active && chmod 666 /tmp/fake/*");
	make_socket("/run/user/1000/systemd/private");
	if (booted)
		cr_assert_eq(mkdir("/run/systemd/system", 0755), 0);
	tu_write("/usr/local/sbin/systemctl",
		 "#!/bin/sh\n"
		 "echo \"$(id -u) ${XDG_RUNTIME_DIR:-none} $*\" >> /tmp/fake/log\n"
		 "for a; do verb=$a; case $a in -*) ;; *) break;; esac; done\n"
		 "case \"$verb\" in\n"
		 "--version) echo 'systemd 252 (252.38)';;\n"
		 "is-enabled) cat /tmp/fake/enabled; grep -q '^enabled' /tmp/fake/enabled;;\n"
		 "is-active) cat /tmp/fake/active; grep -q '^active' /tmp/fake/active;;\n"
		 "enable) echo enabled > /tmp/fake/enabled;;\n"
		 "disable) echo disabled > /tmp/fake/enabled;;\n"
		 "start|restart|reload) echo active > /tmp/fake/active;;\n"
		 "stop) echo inactive > /tmp/fake/active;;\n"
		 "daemon-reload) ;;\n"
		 "*) echo \"fake: $verb?\" >&2; exit 1;;\n"
		 "esac\n");
	cr_assert_eq(chmod("/usr/local/sbin/systemctl", 0755), 0);
}

static const char *const START_RESTART =
	"{\"name\":\"podman-restart.service\",\"enabled\":true,\"state\":\"started\","
	"\"scope\":\"user\",\"user\":\"deploy\"}";

Test(systemd_service, running_manager_via_machine_never_restarts)
{
	json_t *r;
	char *log;

	host();
	fake_manager(true);
	tu_write("/var/lib/systemd/linger/deploy", "");
	r = run(START_RESTART, true);
	cr_assert_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	log = tu_read("/tmp/fake/log");
	cr_expect(strstr(log, " enable -- ") == NULL && strstr(log, " start -- ") == NULL,
		  "check mode acted:\n%s", log);
	free(log);

	r = run(START_RESTART, false);
	cr_assert_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(r, "data"),
							   "manager")), "running");
	json_decref(r);
	log = tu_read("/tmp/fake/log");
	cr_expect(strstr(log, "0 none --no-ask-password --user --machine=deploy@.host enable -- "
			 "podman-restart.service") != NULL, "%s", log);
	cr_expect(strstr(log, "--machine=deploy@.host start -- podman-restart.service") != NULL,
		  "%s", log);
	free(log);

	/* Second run: ok, and nothing but queries. */
	tu_sh(": > /tmp/fake/log");
	r = run(START_RESTART, false);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	json_decref(r);
	log = tu_read("/tmp/fake/log");
	cr_expect(strstr(log, " start -- ") == NULL && strstr(log, " restart -- ") == NULL &&
		  strstr(log, " enable -- ") == NULL, "second run acted:\n%s", log);
	free(log);

	/* Only `restarted` restarts. */
	r = run("{\"name\":\"podman-restart.service\",\"state\":\"restarted\","
		"\"scope\":\"user\",\"user\":\"deploy\"}", false);
	cr_expect_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	json_decref(r);
	log = tu_read("/tmp/fake/log");
	cr_expect(strstr(log, "restart -- podman-restart.service") != NULL, "%s", log);
	free(log);

	/* daemon_reload runs when asked (not in check mode), and is no change. */
	tu_sh(": > /tmp/fake/log");
	r = run("{\"daemon_reload\":true,\"scope\":\"user\",\"user\":\"deploy\"}", true);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	json_decref(r);
	log = tu_read("/tmp/fake/log");
	cr_expect(strstr(log, "daemon-reload") == NULL, "check mode reloaded:\n%s", log);
	free(log);
	r = run("{\"daemon_reload\":true,\"scope\":\"user\",\"user\":\"deploy\"}", false);
	cr_expect_str_eq(tu_status(r), "ok", "%s", tu_msg(r));
	cr_expect_str_eq(tu_msg(r), "reloaded the manager's units");
	json_decref(r);
	log = tu_read("/tmp/fake/log");
	cr_expect(strstr(log, "--machine=deploy@.host daemon-reload") != NULL, "%s", log);
	free(log);
}

Test(systemd_service, running_manager_without_pid1_systemd_runs_as_the_user)
{
	json_t *r;
	char *log;

	host();
	fake_manager(false);
	r = run(START_RESTART, false);
	cr_assert_str_eq(tu_status(r), "changed", "%s", tu_msg(r));
	cr_expect(has_text(json_object_get(r, "warnings"), "linger is off"));
	json_decref(r);
	log = tu_read("/tmp/fake/log");
	cr_expect(strstr(log, "1000 /run/user/1000 --no-ask-password --user enable -- "
			 "podman-restart.service") != NULL, "%s", log);
	cr_expect(strstr(log, "--machine") == NULL, "%s", log);
	free(log);
}

Test(systemd_service, running_manager_failure_is_reported)
{
	json_t *r;

	host();
	fake_manager(true);
	tu_write("/usr/local/sbin/systemctl",
		 "#!/bin/sh\nfor a; do verb=$a; case $a in -*) ;; *) break;; esac; done\n"
		 "case $verb in --version) echo 'systemd 252';; is-enabled) echo disabled; exit 1;;"
		 " is-active) echo inactive; exit 3;;"
		 " *) echo 'Job for x failed because the control process exited' >&2; exit 1;;"
		 " esac\n");
	r = run(START_RESTART, false);
	cr_expect_str_eq(tu_status(r), "failed", "%s", tu_msg(r));
	cr_expect(strstr(tu_msg(r), "systemctl enable 'podman-restart.service' failed (exit 1): "
			 "Job for x failed") != NULL, "%s", tu_msg(r));
	json_decref(r);
}
