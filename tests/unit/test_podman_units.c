/*
 * Unit tests of the container migration's helpers, no podman needed:
 * reducing `podman container inspect` to a definition and back to a
 * `podman create` argv, id shifting (mapping and a real tree walk, in a
 * private mount namespace), system paths, reachability and the ufw check.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "podman_def.h"
#include "podman_host.h"
#include "podman_shift.h"
#include "testutil.h"

/* Trimmed from a real podman 4.3.1 inspect of a rootful container. */
static const char *inspect_web =
	"{\"Id\":\"effbd9315d5ded29bda051fb7bcc5819b7e086c9548816d0f8fd94df16be5376\","
	"\"Name\":\"web\",\"Path\":\"sh\",\"Args\":[\"-c\",\"httpd -f -p 80\"],"
	"\"Image\":\"e59be64979ebd322165079728b6e061d0eaacc9b53846d359fe9f4ba4facb33e\","
	"\"ImageName\":\"localhost/busybox:latest\",\"Pod\":\"\","
	"\"State\":{\"Running\":true},"
	"\"Config\":{\"Hostname\":\"effbd9315d5d\",\"User\":\"\",\"Env\":["
	"\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
	"\"TERM=xterm\",\"container=podman\",\"FOO=bar\",\"X=1 2\",\"HOSTNAME=effbd9315d5d\"],"
	"\"Cmd\":[\"httpd -f -p 80\"],\"WorkingDir\":\"/\",\"Entrypoint\":\"sh -c\","
	"\"Labels\":{\"app\":\"web\"}},"
	"\"HostConfig\":{\"NetworkMode\":\"bridge\",\"PortBindings\":{\"80/tcp\":[{\"HostIp\":\"\","
	"\"HostPort\":\"80\"}],\"53/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"5353\"}]},"
	"\"RestartPolicy\":{\"Name\":\"always\",\"MaximumRetryCount\":0},"
	"\"CapAdd\":[\"CAP_NET_ADMIN\"],\"CapDrop\":[\"CAP_MKNOD\",\"CAP_AUDIT_WRITE\"],"
	"\"Devices\":[],\"Tmpfs\":{\"/tmp\":\"rw,size=65536k\"},\"Privileged\":false},"
	"\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/opt/containers/web\",\"Destination\":\"/www\","
	"\"Mode\":\"\",\"RW\":false},{\"Type\":\"bind\",\"Source\":\"/run/podman/podman.sock\","
	"\"Destination\":\"/run/podman/podman.sock\",\"Mode\":\"\",\"RW\":true},"
	"{\"Type\":\"volume\",\"Name\":\"data\",\"Source\":\"/var/lib/containers/storage/volumes/"
	"data/_data\",\"Destination\":\"/data\",\"RW\":true}],"
	"\"NetworkSettings\":{\"Networks\":{\"podman\":{},\"appnet\":{}}}}";

/* Objects a test makes are kept here and freed after it (leak checks stay quiet). */
static json_t *pool;

static json_t *own(json_t *j)
{
	if (!pool)
		pool = json_array();
	json_array_append_new(pool, j);
	return j;
}

static void pool_free(void)
{
	json_decref(pool);
	pool = NULL;
}

TestSuite(podman_def, .fini = pool_free);
TestSuite(podman_host, .fini = pool_free);

static json_t *load(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	cr_assert_not_null(j, "bad test JSON: %s", jerr.text);
	return own(j);
}

static json_t *web_def(void)
{
	json_t *in = load(inspect_web);
	json_t *img = load("{\"Env\":[\"FOO=bar\"],\"Cmd\":[\"/bin/sh\"]}");
	struct mu_err e = { 0 };
	json_t *def = pm_def_from_inspect(in, img, &e);

	cr_assert_not_null(def, "%s", e.msg);
	return own(def);
}

Test(podman_def, reduces_inspect)
{
	json_t *def = web_def();
	char *s = json_dumps(def, JSON_SORT_KEYS | JSON_COMPACT);

	/* The argv split survives podman's space-joined Entrypoint. */
	cr_assert(json_equal(json_object_get(def, "entrypoint"), load("[\"sh\",\"-c\"]")), "%s", s);
	cr_assert(json_equal(json_object_get(def, "cmd"), load("[\"httpd -f -p 80\"]")), "%s", s);
	/* HOSTNAME, container= and image defaults are not pinned. */
	cr_assert(json_equal(json_object_get(def, "env"), load(
		"[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
		"\"TERM=xterm\",\"X=1 2\"]")), "%s", s);
	cr_assert(json_equal(json_object_get(def, "ports"), load(
		"[{\"container_port\":53,\"host_ip\":\"127.0.0.1\",\"host_port\":5353,\"proto\":\"udp\"},"
		"{\"container_port\":80,\"host_ip\":\"\",\"host_port\":80,\"proto\":\"tcp\"}]")), "%s", s);
	cr_assert(json_equal(json_object_get(def, "networks"), load("[\"appnet\"]")), "%s", s);
	cr_assert_str_eq(json_string_value(json_object_get(def, "network_mode")), "default");
	cr_assert_str_eq(json_string_value(json_object_get(def, "restart")), "always");
	cr_assert_null(json_object_get(def, "hostname"), "automatic hostname pinned: %s", s);
	cr_assert_eq(json_array_size(json_object_get(def, "volumes")), 1);
	cr_assert_eq(json_array_size(json_object_get(def, "binds")), 2);
	cr_assert(json_equal(json_object_get(def, "cap_drop"),
			     load("[\"CAP_AUDIT_WRITE\",\"CAP_MKNOD\"]")), "%s", s);
	free(s);
}

Test(podman_def, user_definition_rewrites_socket_and_restart)
{
	json_t *def = web_def();
	json_t *want = own(pm_def_for_user(def, 1000, "unless-stopped"));
	json_t *diff = own(pm_def_diff(def, want));
	char *s = json_dumps(want, JSON_COMPACT);

	cr_assert_not_null(strstr(s, "\"/run/user/1000/podman/podman.sock\""), "%s", s);
	cr_assert_null(strstr(s, "\"source\":\"/run/podman/podman.sock\""), "%s", s);
	cr_assert_str_eq(json_string_value(json_object_get(want, "restart")), "unless-stopped");
	cr_assert(json_equal(diff, load("[\"binds\",\"restart\"]")), "diff %s",
		  json_dumps(diff, JSON_COMPACT));
	cr_assert_eq(json_array_size(own(pm_def_diff(want, want))), 0);
	cr_assert(pm_is_root_socket("/var/run/podman/podman.sock"));
	cr_assert(!pm_is_root_socket("/run/podman/other.sock"));
	free(s);
}

static bool has_pair(char **args, const char *flag, const char *val)
{
	for (size_t i = 0; args[i] && args[i + 1]; i++)
		if (strcmp(args[i], flag) == 0 && strcmp(args[i + 1], val) == 0)
			return true;
	return false;
}

Test(podman_def, create_args)
{
	json_t *def = web_def();
	json_t *want = own(pm_def_for_user(def, 1000, "always"));
	char **a = pm_def_create_args(want, "localhost/busybox:latest");
	size_t n = 0;

	while (a[n])
		n++;
	cr_assert_str_eq(a[0], "create");
	cr_assert_str_eq(a[1], "--pull=never");
	cr_assert(has_pair(a, "--name", "web"));
	cr_assert(has_pair(a, "--restart", "always"));
	cr_assert(has_pair(a, "--publish", "80:80/tcp"));
	cr_assert(has_pair(a, "--publish", "127.0.0.1:5353:53/udp"));
	cr_assert(has_pair(a, "--volume", "/opt/containers/web:/www:ro"));
	cr_assert(has_pair(a, "--volume", "/run/user/1000/podman/podman.sock:/run/podman/podman.sock"));
	cr_assert(has_pair(a, "--volume", "data:/data"));
	cr_assert(has_pair(a, "--network", "appnet"));
	cr_assert(has_pair(a, "--env", "X=1 2"));
	cr_assert(has_pair(a, "--label", "app=web"));
	cr_assert(has_pair(a, "--tmpfs", "/tmp:rw,size=65536k"));
	cr_assert(has_pair(a, "--cap-add", "CAP_NET_ADMIN"));
	/* image then the command, last */
	cr_assert_str_eq(a[n - 2], "localhost/busybox:latest");
	cr_assert_str_eq(a[n - 1], "httpd -f -p 80");
	{
		bool found = false;

		for (size_t i = 0; a[i]; i++)
			found = found || strcmp(a[i], "--entrypoint=[\"sh\",\"-c\"]") == 0;
		cr_assert(found, "entrypoint not passed as JSON");
	}
	cr_assert(json_equal(own(pm_def_published(want)), load(
		"[{\"port\":5353,\"proto\":\"udp\"},{\"port\":80,\"proto\":\"tcp\"}]")));
	pm_args_free(a);
}

Test(podman_def, refuses_garbage)
{
	struct mu_err e = { 0 };

	cr_assert_null(pm_def_from_inspect(load("{\"Name\":\"x\"}"), NULL, &e));
	cr_assert_not_null(strstr(e.msg, "lacks"), "%s", e.msg);
}

static const struct pm_idmap map = {
	.uid = 1000, .gid = 1000, .ustart = 100000, .ucount = 65536,
	.gstart = 200000, .gcount = 65536,
};

Test(podman_shift, mapping)
{
	unsigned long o;

	cr_assert(pm_map_uid(&map, 0, false, &o) && o == 1000);
	cr_assert(pm_map_uid(&map, 101, false, &o) && o == 100100);
	cr_assert(pm_map_gid(&map, 999, false, &o) && o == 200998);
	cr_assert(pm_map_uid(&map, 65536, false, &o) && o == 165535);
	cr_assert(!pm_map_uid(&map, 65537, false, &o));
	cr_assert(pm_map_uid(&map, 1000, true, &o) && o == 0);
	cr_assert(pm_map_uid(&map, 100100, true, &o) && o == 101);
	cr_assert(!pm_map_uid(&map, 5, true, &o));
	/* forward then back is the identity on 0..count */
	for (unsigned long id = 0; id <= 65536; id += 97) {
		unsigned long f, b;

		cr_assert(pm_map_gid(&map, id, false, &f) && pm_map_gid(&map, f, true, &b) &&
			  b == id, "gid %lu", id);
	}
}

Test(podman_shift, tree_forward_back, .timeout = 20)
{
	const char *root;
	char top[256], file[300], link[300], sub[300], far[300];
	struct stat st;
	struct mu_err e = { 0 };
	json_t *rep = NULL;

	tu_sandbox(NULL);
	root = tu_tmpdir();
	snprintf(top, sizeof(top), "%s/data", root);
	snprintf(sub, sizeof(sub), "%s/sub", top);
	snprintf(file, sizeof(file), "%s/sub/f", top);
	snprintf(link, sizeof(link), "%s/l", top);
	snprintf(far, sizeof(far), "%s/far", top);
	cr_assert_eq(tu_sh("mkdir -p %s && echo x > %s && ln -s /etc/passwd %s && touch %s && "
			   "chown -R 101:101 %s && chown -h 0:0 %s && chown 70000:5 %s && "
			   "chmod 2750 %s && chmod 4755 %s", sub, file, link, far, top, link, far,
			   top, file), 0);
	/* dry run: counts, no change */
	cr_assert_eq(pm_shift_tree(top, &map, false, true, &rep, &e), 0, "%s", e.msg);
	cr_assert_eq(json_integer_value(json_object_get(rep, "entries")), 5);
	cr_assert_eq(json_integer_value(json_object_get(rep, "outside")), 1);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(rep, "uids"), "101->100100")), 3);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(rep, "uids"), "0->1000")), 1);
	cr_assert_eq(stat(file, &st), 0);
	cr_assert_eq(st.st_uid, 101);
	json_decref(rep);
	/* for real */
	cr_assert_eq(pm_shift_tree(top, &map, false, false, &rep, &e), 0, "%s", e.msg);
	json_decref(rep);
	cr_assert_eq(stat(file, &st), 0);
	cr_assert_eq(st.st_uid, 100100);
	cr_assert_eq(st.st_gid, 200100);
	cr_assert_eq(st.st_mode & 07777, 04755, "set-uid bit lost: %o", st.st_mode & 07777);
	cr_assert_eq(stat(top, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 02750, "top mode changed: %o", st.st_mode & 07777);
	cr_assert_eq(lstat(link, &st), 0);
	cr_assert_eq(st.st_uid, 1000, "symlink itself not shifted");
	cr_assert_eq(stat("/etc/passwd", &st), 0);
	cr_assert_eq(st.st_uid, 0, "symlink followed!");
	cr_assert_eq(lstat(far, &st), 0);
	cr_assert_eq(st.st_uid, 70000, "out-of-range uid flattened");
	cr_assert_eq(st.st_gid, 200004, "in-range gid of that file not shifted");
	/* and back */
	cr_assert_eq(pm_shift_tree(top, &map, true, false, &rep, &e), 0, "%s", e.msg);
	json_decref(rep);
	cr_assert_eq(stat(file, &st), 0);
	cr_assert_eq(st.st_uid, 101);
	cr_assert_eq(st.st_gid, 101);
	cr_assert_eq(lstat(link, &st), 0);
	cr_assert_eq(st.st_uid, 0);
	cr_assert_eq(lstat(far, &st), 0);
	cr_assert_eq(st.st_gid, 5);
}

Test(podman_host, system_paths)
{
	cr_assert(pm_system_path("/etc/localtime"));
	cr_assert(pm_system_path("/run/podman/podman.sock"));
	cr_assert(pm_system_path("/opt"));
	cr_assert(pm_system_path("/home/"));
	cr_assert(!pm_system_path("/opt/containers/web"));
	cr_assert(!pm_system_path("/home/deploy/data"));
	cr_assert(!pm_system_path("/etcetera"));
}

Test(podman_host, reachability, .timeout = 20)
{
	const char *root;
	char dir[256], *blocker = NULL;
	struct pm_ident id = { .uid = 1000, .gid = 1000, .ngroups = 1, .groups = { 1000 },
			       .ustart = 100000, .ucount = 65536, .gstart = 100000,
			       .gcount = 65536 };

	tu_sandbox(NULL);
	root = tu_tmpdir();
	snprintf(dir, sizeof(dir), "%s/a/b/c", root);
	cr_assert_eq(tu_sh("mkdir -p %s && chmod 755 %s %s/a && chmod 700 %s/a/b", dir, root,
			   root, root), 0);
	cr_assert(!pm_can_reach(&id, dir, &blocker));
	cr_assert_not_null(strstr(blocker, "/a/b' (mode 0700, owner 0:0)"), "%s", blocker);
	free(blocker);
	/* owned by a mapped id: the user's namespace root may pass */
	cr_assert_eq(tu_sh("chown 100000:100000 %s/a/b", root), 0);
	cr_assert(pm_can_reach(&id, dir, &blocker));
	cr_assert_eq(tu_sh("chown 0:1000 %s/a/b && chmod 710 %s/a/b", root, root), 0);
	cr_assert(pm_can_reach(&id, dir, &blocker), "group x not honoured");
}

Test(podman_host, ufw_missing_ports, .timeout = 20)
{
	json_t *ports = load("[{\"port\":80,\"proto\":\"tcp\"},{\"port\":443,\"proto\":\"tcp\"},"
			     "{\"port\":53,\"proto\":\"udp\"}]");
	json_t *miss;
	struct stat st;

	if (stat("/etc/ufw", &st) != 0)
		cr_skip_test("no /etc/ufw on this machine to hide");
	tu_sandbox((const char *[]){ "/etc/ufw", "/etc/default", NULL });
	tu_write("/etc/default/ufw", "IPV6=no\nDEFAULT_INPUT_POLICY=\"DROP\"\n");
	tu_write("/etc/ufw/user.rules", "");
	tu_write("/etc/ufw/ufw.conf", "ENABLED=no\n");
	cr_assert_null(pm_ufw_missing(ports), "ufw off must not block");
	tu_write("/etc/ufw/ufw.conf", "# comment\nENABLED=yes\nLOGLEVEL=low\n");
	tu_write("/etc/ufw/user.rules",
		 "*filter\n### RULES ###\n\n"
		 "### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\n"
		 "-A ufw-user-input -p tcp --dport 22 -j ACCEPT\n\n"
		 "### tuple ### allow tcp 80,8000:8100 0.0.0.0/0 any 0.0.0.0/0 in\n"
		 "### tuple ### deny tcp 443 0.0.0.0/0 any 0.0.0.0/0 in\n"
		 "### tuple ### allow any 53 0.0.0.0/0 any 0.0.0.0/0 in\n"
		 "### END RULES ###\n");
	miss = own(pm_ufw_missing(ports));
	cr_assert(json_equal(miss, load("[\"443/tcp\"]")), "missing: %zu", json_array_size(miss));
	/* IPV6=yes: user6.rules must let them in too */
	tu_write("/etc/default/ufw", "IPV6=yes\nDEFAULT_INPUT_POLICY=\"DROP\"\n");
	tu_write("/etc/ufw/user6.rules", "### tuple ### allow tcp 80 ::/0 any ::/0 in\n");
	miss = own(pm_ufw_missing(ports));
	cr_assert_eq(json_array_size(miss), 2, "missing: %s", json_dumps(miss, 0));
	cr_assert_str_eq(json_string_value(json_array_get(miss, 0)), "443/tcp");
	cr_assert_str_eq(json_string_value(json_array_get(miss, 1)), "53/udp over IPv6 (IPV6=yes "
			 "in /etc/default/ufw, no rule in /etc/ufw/user6.rules)");
	/* an incoming policy of allow lets everything in */
	tu_write("/etc/default/ufw", "IPV6=yes\nDEFAULT_INPUT_POLICY=\"ACCEPT\"\n");
	miss = own(pm_ufw_missing(ports));
	cr_assert_eq(json_array_size(miss), 0);
}
