/*
 * podman_migrate against real podman, rootful and rootless, in a private
 * mount + network namespace per test (SLOW: podman runs here; each test is
 * bounded by a timeout and cleans up every process it started).
 *
 * The sandbox: /home, /opt, /etc/containers, /etc/cni, /var/tmp and
 * /etc/ufw hidden behind empty dirs; tmpfs on /run, /var/lib, /dev/shm and
 * /dev/net (with a 0666 tun node); /sys/fs/cgroup/unified unmounted; a
 * containers.conf whose ulimits fit; /etc/passwd, group, subuid, subgid
 * replaced by copies with a user 'deploy' (uid 1000, 100000:65536); a
 * busybox image built by `podman import` of a tarball of /bin/busybox.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "child.h"
#include "mu_buf.h"
#include "testutil.h"

#define USER "deploy"
#define RECDIR "/var/lib/muster/migrations"
#define ARGS_BASE "\"user\":\"" USER "\",\"stop_timeout\":1"
#define BOOT_LINK "/etc/systemd/system/default.target.wants/podman-restart.service"
#define BOOT_TARGET "/lib/systemd/system/podman-restart.service"

static char sandbox_root[128];

/* ---- running things ---- */

/* Run argv as root or as deploy; stdout+stderr into *out (caller frees). */
static int run(bool user, const char *const *argv, char **out)
{
	struct mu_child c = MU_CHILD_INIT;
	struct mu_buf b = MU_BUF_INIT;
	struct mu_err e = { 0 };
	int rc;

	c.argv = argv;
	c.user = user ? USER : NULL;
	c.timeout_sec = 90;
	rc = mu_child_run(&c, &b, &b, &e);
	if (rc < 0)
		mu_buf_addstr(&b, e.msg);
	if (out)
		*out = mu_buf_detach(&b, NULL);
	mu_buf_release(&b);
	return rc;
}

#define PODMAN(user, ...) run(user, (const char *const[]){ "podman", __VA_ARGS__, NULL }, NULL)

/* podman output, trailing newline cut; asserts success. Caller frees. */
static char *podman_out(bool user, const char *const *args)
{
	const char *argv[32] = { "podman" };
	char *out = NULL;
	size_t n = 1;
	int rc;

	for (size_t i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	rc = run(user, argv, &out);
	cr_assert_eq(rc, 0, "podman %s %s as %s failed (%d): %s", args[0], args[1] ? args[1] : "",
		     user ? USER : "root", rc, out);
	while (*out && out[strlen(out) - 1] == '\n')
		out[strlen(out) - 1] = '\0';
	return out;
}

#define OUT(user, ...) podman_out(user, (const char *const[]){ __VA_ARGS__, NULL })

static void sh_ok(const char *cmd)
{
	cr_assert_eq(tu_sh("%s", cmd), 0, "setup failed: %s", cmd);
}

/* ---- sandbox ---- */

static void write_id_files(bool subids)
{
	const char *files[] = { "passwd", "group", "subuid", "subgid" };
	const char *ids = subids ? USER ":100000:65536\n" : "other:300000:65536\n";
	char path[256], target[64];

	/* every entry but whatever owns 1000 on this machine, plus deploy */
	cr_assert_eq(tu_sh("grep -v '^[^:]*:[^:]*:1000:' /etc/passwd > %s/passwd && "
			   "echo '" USER ":x:1000:1000::/home/" USER ":/bin/sh' >> %s/passwd && "
			   "grep -v '^[^:]*:[^:]*:1000:' /etc/group > %s/group && "
			   "echo '" USER ":x:1000:' >> %s/group",
			   sandbox_root, sandbox_root, sandbox_root, sandbox_root), 0);
	snprintf(path, sizeof(path), "%s/subuid", sandbox_root);
	tu_write(path, ids);
	snprintf(path, sizeof(path), "%s/subgid", sandbox_root);
	tu_write(path, ids);
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", sandbox_root, files[i]);
		snprintf(target, sizeof(target), "/etc/%s", files[i]);
		cr_assert_eq(mount(path, target, NULL, MS_BIND, NULL), 0, "bind %s: %s", target,
			     strerror(errno));
	}
}

static void build_image(void)
{
	sh_ok("mkdir -p /tmp/bb/bin /tmp/bb/www /tmp/bb/etc && cp /bin/busybox /tmp/bb/bin/ && "
	      "for a in sh httpd ls cat sleep id stat sha256sum echo grep test wget; do "
	      "ln -s busybox /tmp/bb/bin/$a; done && "
	      "echo 'root:x:0:0:root:/:/bin/sh' > /tmp/bb/etc/passwd && "
	      "echo 'root:x:0:' > /tmp/bb/etc/group && tar -C /tmp/bb -cf /tmp/bb.tar .");
	cr_assert_eq(PODMAN(false, "import", "--change", "CMD [\"/bin/sh\"]", "/tmp/bb.tar",
			    "localhost/busybox:latest"), 0, "podman import failed");
}

static void pm_sandbox(bool subids, int port_start)
{
	struct stat st;
	const char *paths[10];
	size_t n = 0;
	const char *root;

	if (stat("/bin/busybox", &st) != 0 || stat("/etc/containers", &st) != 0 ||
	    stat("/etc/cni", &st) != 0 || stat("/etc/ufw", &st) != 0)
		cr_skip_test("needs /bin/busybox (busybox-static), podman with CNI, ufw");
	paths[n++] = "/home";
	paths[n++] = "/opt";
	paths[n++] = "/etc/containers";
	paths[n++] = "/etc/cni";
	paths[n++] = "/var/tmp";
	paths[n++] = "/etc/ufw";
	/* podman_migrate disables the rootful podman-restart.service here */
	paths[n++] = "/etc/systemd/system";
	paths[n] = NULL;
	root = tu_sandbox(paths);
	snprintf(sandbox_root, sizeof(sandbox_root), "%s", root);
	umount2("/sys/fs/cgroup/unified", MNT_DETACH); /* podman needs it gone here */
	cr_assert_eq(mount("tmpfs", "/dev/shm", "tmpfs", 0, "mode=1777"), 0);
	cr_assert_eq(mount("tmpfs", "/dev/net", "tmpfs", 0, "mode=0755"), 0);
	cr_assert_eq(mknod("/dev/net/tun", S_IFCHR | 0666, makedev(10, 200)), 0);
	cr_assert_eq(chmod("/dev/net/tun", 0666), 0);
	cr_assert_eq(mount("tmpfs", "/run", "tmpfs", 0, "mode=0755"), 0);
	cr_assert_eq(mount("tmpfs", "/var/lib", "tmpfs", 0, "mode=0755"), 0);
	sh_ok("mkdir -p /run/user /run/podman /run/lock /var/lib/containers "
	      "/var/lib/systemd/linger && chmod 1777 /var/tmp /run/lock");
	tu_write("/etc/containers/containers.conf",
		 "[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n");
	tu_write("/etc/containers/policy.json",
		 "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}\n");
	tu_write("/etc/ufw/ufw.conf", "ENABLED=no\n");
	/* the rootful boot restart enabled, as Debian's podman package leaves it */
	sh_ok("mkdir -p /etc/systemd/system/default.target.wants && ln -s "
	      "/lib/systemd/system/podman-restart.service "
	      "/etc/systemd/system/default.target.wants/podman-restart.service");
	{
		char dflt[256];

		snprintf(dflt, sizeof(dflt), "%s/default-ufw", sandbox_root);
		tu_write(dflt, "IPV6=yes\nDEFAULT_INPUT_POLICY=\"DROP\"\n");
		cr_assert_eq(mount(dflt, "/etc/default/ufw", NULL, MS_BIND, NULL), 0,
			     "bind /etc/default/ufw: %s", strerror(errno));
	}
	write_id_files(subids);
	sh_ok("mkdir -p /home/" USER " && chown 1000:1000 /home/" USER);
	{
		char v[16];

		snprintf(v, sizeof(v), "%d\n", port_start);
		tu_write("/proc/sys/net/ipv4/ip_unprivileged_port_start", v);
	}
	build_image();
}

/* Kill what is left in this test's mount namespace or the user's podman namespace. */
static void sweep(void)
{
	char self_mnt[64] = "", user_ns[64] = "", link[64];
	char *pid = tu_read("/run/user/1000/libpod/tmp/pause.pid");
	DIR *d = opendir("/proc");
	struct dirent *de;
	ssize_t n;

	n = readlink("/proc/self/ns/mnt", self_mnt, sizeof(self_mnt) - 1);
	self_mnt[n > 0 ? n : 0] = '\0';
	if (pid) {
		snprintf(link, sizeof(link), "/proc/%d/ns/user", atoi(pid));
		n = readlink(link, user_ns, sizeof(user_ns) - 1);
		user_ns[n > 0 ? n : 0] = '\0';
		free(pid);
	}
	while (d && (de = readdir(d))) {
		char buf[64], path[64];
		int p = atoi(de->d_name);

		if (p <= 1 || p == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", p);
		n = readlink(path, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		if (n > 0 && strcmp(buf, self_mnt) == 0) {
			kill(p, SIGKILL);
			continue;
		}
		snprintf(path, sizeof(path), "/proc/%d/ns/user", p);
		n = readlink(path, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		if (user_ns[0] && n > 0 && strcmp(buf, user_ns) == 0)
			kill(p, SIGKILL);
	}
	if (d)
		closedir(d);
}

/*
 * Rootful container processes live in their own namespaces, in the cgroup
 * podman made for them: kill what is left there, then remove the cgroups
 * (cgroup v1 hierarchies are the machine's, not the test's).
 */
static void kill_cgroups(const char *ids)
{
	static const char *const ctrls[] = { "pids", "memory", "cpu", "cpuacct", "cpuset",
		"blkio", "devices", "freezer", "systemd", "net_cls", "perf_event", NULL };
	char *copy = mu_xstrdup(ids), *save = NULL;

	for (char *id = strtok_r(copy, "\n", &save); id; id = strtok_r(NULL, "\n", &save)) {
		char path[256];
		char *procs;

		if (strlen(id) != 64)
			continue;
		snprintf(path, sizeof(path), "/sys/fs/cgroup/pids/libpod_parent/libpod-%s/cgroup.procs", id);
		procs = tu_read(path);
		for (char *p = procs; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
			if (atoi(p) > 1)
				kill(atoi(p), SIGKILL);
		free(procs);
		usleep(100000);
		for (size_t i = 0; ctrls[i]; i++) {
			snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/libpod_parent/libpod-%s",
				 ctrls[i], id);
			rmdir(path);
		}
	}
	free(copy);
}

/* After each test: remove every container (so podman cleans up), then sweep. */
static void pm_cleanup(void)
{
	struct stat st;
	char *ids = NULL;

	if (!sandbox_root[0])
		return;
	run(false, (const char *const[]){ "podman", "ps", "-aq", "--no-trunc", NULL }, &ids);
	PODMAN(false, "rm", "-a", "-f", "-t", "0");
	if (stat("/run/user/1000/libpod", &st) == 0)
		PODMAN(true, "rm", "-a", "-f", "-t", "0");
	sweep();
	if (ids)
		kill_cgroups(ids);
	free(ids);
}

/* ---- fixtures ---- */

static void start_web(const char *cmd)
{
	sh_ok("mkdir -p /opt/containers/web/sub && echo hello > /opt/containers/web/index.html && "
	      "echo deep > /opt/containers/web/sub/f && chown -R 101:101 /opt/containers/web && "
	      "chmod 2750 /opt/containers/web && chmod 755 /opt /opt/containers");
	cr_assert_eq(run(false, (const char *const[]){ "podman", "run", "-d", "--name", "web",
		"-p", "80:80", "-v", "/opt/containers/web:/www:ro", "--restart", "always",
		"--label", "app=web", "-e", "GREETING=hi there", "localhost/busybox:latest",
		"sh", "-c", cmd, NULL }, NULL), 0, "rootful web did not start");
}

static void start_db(void)
{
	cr_assert_eq(PODMAN(false, "volume", "create", "dbdata"), 0);
	cr_assert_eq(PODMAN(false, "run", "--rm", "-v", "dbdata:/data", "localhost/busybox:latest",
			    "sh", "-c", "echo row1 > /data/t1 && mkdir /data/base && "
			    "echo row2 > /data/base/t2 && chown -R 999:999 /data && "
			    "chmod 700 /data /data/base"), 0);
	cr_assert_eq(PODMAN(false, "run", "-d", "--name", "db", "-v", "dbdata:/var/lib/db",
			    "--restart", "always", "localhost/busybox:latest", "sleep", "100000"), 0);
}

static void start_panel(void)
{
	tu_sh("podman system service -t 0 unix:///run/podman/podman.sock >/dev/null 2>&1 &");
	for (int i = 0; i < 50 && access("/run/podman/podman.sock", F_OK) != 0; i++)
		usleep(100000);
	cr_assert_eq(PODMAN(false, "run", "-d", "--name", "panel", "-v",
			    "/run/podman/podman.sock:/run/podman/podman.sock", "--restart",
			    "always", "localhost/busybox:latest", "sleep", "100000"), 0);
}

static json_t *task(const char *extra, bool check)
{
	char args[512];

	snprintf(args, sizeof(args), "{" ARGS_BASE "%s%s}", extra[0] ? "," : "", extra);
	return tu_task("podman_migrate", args, check, false);
}

static char *dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT);
}

static void assert_status(json_t *reply, const char *want)
{
	cr_assert_str_eq(tu_status(reply), want, "status %s, want %s: %s", tu_status(reply), want,
			 dump(reply));
}

static unsigned owner_of(const char *path)
{
	struct stat st;

	cr_assert_eq(lstat(path, &st), 0, "stat %s: %s", path, strerror(errno));
	return (unsigned)st.st_uid;
}

/* One HTTP GET of /index.html on 127.0.0.1:80; the reply, or "" (caller frees). */
static char *http_get(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(80),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { 2, 0 };
	const char *req = "GET /index.html HTTP/1.0\r\n\r\n";
	struct mu_buf b = MU_BUF_INIT;
	char chunk[512];
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    write(fd, req, strlen(req)) == (ssize_t)strlen(req))
		while ((n = read(fd, chunk, sizeof(chunk))) > 0)
			mu_buf_add(&b, chunk, (size_t)n);
	close(fd);
	return mu_buf_detach(&b, NULL);
}

/* Does port 80 serve want? A few tries: a fresh httpd needs a moment. */
static bool wget_ok(const char *want)
{
	bool ok = false;

	for (int i = 0; i < 15 && !ok; i++) {
		char *out;

		if (i)
			usleep(200000);
		out = http_get();
		ok = strstr(out, want) != NULL;
		free(out);
	}
	return ok;
}

/* Is the rootful podman-restart.service enabled (its wants link there)? */
static bool link_there(void)
{
	char buf[256];
	ssize_t n = readlink(BOOT_LINK, buf, sizeof(buf) - 1);

	if (n < 0)
		return false;
	buf[n] = '\0';
	cr_assert_str_eq(buf, BOOT_TARGET, "the link points elsewhere");
	return true;
}

/* The warnings of a reply, joined ("" if none); caller frees. */
static char *warnings(const json_t *r)
{
	struct mu_buf b = MU_BUF_INIT;
	size_t i;
	json_t *w;

	json_array_foreach(json_object_get(r, "warnings"), i, w)
		mu_buf_addf(&b, "%s|", json_string_value(w));
	return mu_buf_detach(&b, NULL);
}

/* Check mode: is there a ufw preflight warning, and does it say want? */
static bool ufw_warned(const char *want)
{
	json_t *r = task("", true);
	char *w = warnings(r);
	bool found = strstr(w, "ufw is enabled") && (!want || strstr(w, want));

	cr_assert_str_eq(tu_status(r), "changed", "check mode: %s", dump(r));
	free(w);
	json_decref(r);
	return found;
}

/* ---- tests ---- */

TestSuite(podman_migrate, .fini = pm_cleanup, .timeout = 240);

Test(podman_migrate, full_cycle)
{
	json_t *r;
	char *s;

	pm_sandbox(true, 80);
	start_web("exec httpd -f -p 80 -h /www");
	start_db();
	start_panel();
	cr_assert(wget_ok("hello"), "rootful web does not answer");

	/* check mode: a plan, no change */
	r = task("", true);
	assert_status(r, "changed");
	s = dump(r);
	cr_assert_not_null(strstr(s, "shift ownership under '/opt/containers/web' for 'deploy': "
				  "4 of 4 entries: uid 101->100100 x4"), "%s", s);
	cr_assert_not_null(strstr(s, "create volume 'dbdata'"), "%s", s);
	cr_assert_not_null(strstr(s, "copy image 'localhost/busybox:latest'"), "%s", s);
	cr_assert_not_null(strstr(s, "mount '/run/user/1000/podman/podman.sock' in place of"), "%s", s);
	cr_assert_not_null(strstr(s, "\"published_ports\":[{\"port\":80,\"proto\":\"tcp\"}]"), "%s", s);
	cr_assert_eq(owner_of("/opt/containers/web/index.html"), 101, "check mode shifted!");
	cr_assert(link_there(), "check mode disabled the boot restart");
	cr_assert_neq(access("/run/user/1000", F_OK), 0, "check mode made the runtime dir");
	cr_assert_neq(access("/home/deploy/.local", F_OK), 0, "check mode touched user storage");
	cr_assert_neq(access(RECDIR, F_OK), 0, "check mode wrote a record");
	free(s);
	s = OUT(false, "inspect", "web", "--format", "{{.State.Running}}");
	cr_assert_str_eq(s, "true");
	free(s);
	json_decref(r);

	/* the migration */
	r = task("", false);
	assert_status(r, "changed");
	s = dump(r);
	cr_assert_not_null(strstr(s, "\"published_ports\":[{\"port\":80,\"proto\":\"tcp\"}]"), "%s", s);
	free(s);
	{
		/* rootful restart policy: 'no' where podman can change it, else a warning */
		char *help = NULL;
		bool can = run(false, (const char *const[]){ "podman", "update", "--help", NULL },
			       &help) == 0 && strstr(help, "--restart");
		char *pol = OUT(false, "inspect", "web", "--format", "{{.HostConfig.RestartPolicy.Name}}");

		s = dump(r);
		if (can) {
			cr_assert_str_eq(pol, "no");
		} else {
			/* podman 4.3: the boot restart itself is disabled, and recorded */
			cr_assert_str_eq(pol, "always");
			cr_assert_not_null(strstr(s, "disable the rootful podman-restart.service: "
						  "remove '" BOOT_LINK "'"), "%s", s);
			cr_assert(!link_there(), "the boot link is still there");
			cr_assert_eq(access(RECDIR "/podman-restart.json", F_OK), 0);
		}
		free(s);
		free(pol);
		free(help);
	}
	json_decref(r);
	for (const char *const *n = (const char *const[]){ "web", "db", "panel", NULL }; *n; n++) {
		s = OUT(true, "inspect", *n, "--format", "{{.State.Running}} {{.HostConfig.RestartPolicy.Name}}");
		cr_assert_str_eq(s, "true always", "rootless %s: %s", *n, s);
		free(s);
		s = OUT(false, "inspect", *n, "--format", "{{.State.Running}}");
		cr_assert_str_eq(s, "false", "rootful %s still running", *n);
		free(s);
	}
	cr_assert(wget_ok("hello"), "rootless web does not answer on port 80");
	/* ownership: 101 -> 100100 on the host, still 101 inside */
	cr_assert_eq(owner_of("/opt/containers/web/index.html"), 100100);
	cr_assert_eq(owner_of("/opt/containers/web/sub/f"), 100100);
	{
		struct stat st;

		cr_assert_eq(stat("/opt/containers/web", &st), 0);
		cr_assert_eq(st.st_mode & 07777, 02750, "top dir mode changed: %o", st.st_mode & 07777);
	}
	s = OUT(true, "exec", "web", "stat", "-c", "%u:%g", "/www/sub/f");
	cr_assert_str_eq(s, "101:101");
	free(s);
	/* volume: data, in-container owners, root owner and mode, checksums */
	s = OUT(true, "exec", "db", "stat", "-c", "%u:%g %a", "/var/lib/db", "/var/lib/db/base",
		"/var/lib/db/t1");
	cr_assert_str_eq(s, "999:999 700\n999:999 700\n999:999 644", "%s", s);
	free(s);
	{
		/* same bytes on both sides: compare the hashes only (paths differ) */
		char *a = OUT(false, "run", "--rm", "-v", "dbdata:/d", "localhost/busybox:latest",
			      "sh", "-c", "cd /d && sha256sum t1 base/t2");
		char *b = OUT(true, "exec", "db", "sh", "-c", "cd /var/lib/db && sha256sum t1 base/t2");

		cr_assert_str_eq(a, b, "checksums differ: %s vs %s", a, b);
		cr_assert_eq(strlen(a), 2 * 64 + 4 + strlen("t1") + strlen("base/t2") + 1, "%s", a);
		free(a);
		free(b);
	}
	/* socket mount rewritten */
	s = OUT(true, "inspect", "panel", "--format", "{{range .Mounts}}{{.Source}}{{end}}");
	cr_assert_str_eq(s, "/run/user/1000/podman/podman.sock");
	free(s);
	cr_assert_eq(access("/run/user/1000/podman/podman.sock", F_OK), 0);
	/* rootful data kept: image and volume */
	cr_assert_eq(PODMAN(false, "image", "exists", "localhost/busybox:latest"), 0);
	cr_assert_eq(access("/var/lib/containers/storage/volumes/dbdata/_data/t1", F_OK), 0);
	/* records, 0600 */
	{
		struct stat st;

		cr_assert_eq(stat(RECDIR "/deploy/web.json", &st), 0);
		cr_assert_eq(st.st_mode & 0777, 0600);
		cr_assert_eq(stat(RECDIR "/deploy/db.json", &st), 0);
		cr_assert_eq(stat(RECDIR "/deploy/panel.json", &st), 0);
	}

	/* second run: nothing to do */
	r = task("", false);
	assert_status(r, "ok");
	json_decref(r);
	r = task("", true);
	assert_status(r, "ok");
	json_decref(r);

	/* rollback */
	r = task("\"state\":\"rolled_back\"", false);
	assert_status(r, "changed");
	json_decref(r);
	for (const char *const *n = (const char *const[]){ "web", "db", "panel", NULL }; *n; n++) {
		s = OUT(false, "inspect", *n, "--format", "{{.State.Running}}");
		cr_assert_str_eq(s, "true", "rootful %s not running after rollback", *n);
		free(s);
		cr_assert_neq(PODMAN(true, "container", "exists", *n), 0, "rootless %s kept", *n);
	}
	cr_assert_eq(owner_of("/opt/containers/web/index.html"), 101);
	cr_assert_eq(owner_of("/opt/containers/web"), 101);
	cr_assert(wget_ok("hello"), "rootful web does not answer after rollback");
	s = OUT(false, "exec", "db", "stat", "-c", "%u:%g %a", "/var/lib/db", "/var/lib/db/t1");
	cr_assert_str_eq(s, "999:999 700\n999:999 644");
	free(s);
	cr_assert_neq(access(RECDIR "/deploy/web.json", F_OK), 0);
	cr_assert_eq(access(RECDIR "/deploy/web.json.rolled-back", F_OK), 0);
	cr_assert(link_there(), "rollback did not enable the boot restart again");
	cr_assert_neq(access(RECDIR "/podman-restart.json", F_OK), 0);
	r = task("\"state\":\"rolled_back\"", false);
	assert_status(r, "ok");
	json_decref(r);
}

Test(podman_migrate, port_below_start_fails_and_changes_nothing)
{
	json_t *r;
	char *s;

	pm_sandbox(true, 1024);
	start_web("exec httpd -f -p 80 -h /www");
	/* check mode warns (the play's sysctl task may come first) and plans on */
	r = task("", true);
	assert_status(r, "changed");
	s = warnings(r);
	cr_assert_not_null(strstr(s, "not ready yet (a real run would fail on it): 'web' publishes port 80/tcp"),
			   "%s", s);
	free(s);
	json_decref(r);
	r = task("", false);
	assert_status(r, "failed");
	cr_assert_not_null(strstr(tu_msg(r), "port 80/tcp"), "%s", tu_msg(r));
	cr_assert_not_null(strstr(tu_msg(r), "net.ipv4.ip_unprivileged_port_start (1024)"), "%s",
			   tu_msg(r));
	json_decref(r);
	cr_assert_eq(owner_of("/opt/containers/web/index.html"), 101);
	cr_assert_neq(access("/run/user/1000", F_OK), 0);
	cr_assert_neq(access(RECDIR, F_OK), 0);
	s = OUT(false, "inspect", "web", "--format", "{{.State.Running}}");
	cr_assert_str_eq(s, "true");
	free(s);
}

Test(podman_migrate, user_without_subids_fails_first)
{
	json_t *r;

	pm_sandbox(false, 80);
	start_web("exec httpd -f -p 80 -h /www");
	r = task("", false);
	assert_status(r, "failed");
	cr_assert_not_null(strstr(tu_msg(r), "has no range in '/etc/subuid'"), "%s", tu_msg(r));
	cr_assert_not_null(strstr(tu_msg(r), "'/etc/subgid'"), "%s", tu_msg(r));
	json_decref(r);
	cr_assert_eq(owner_of("/opt/containers/web/index.html"), 101);
	cr_assert_neq(access("/run/user/1000", F_OK), 0);
	cr_assert(wget_ok("hello"));
}

Test(podman_migrate, ufw_must_allow_ports)
{
	json_t *r;

	pm_sandbox(true, 80);
	start_web("exec httpd -f -p 80 -h /www");
	tu_write("/etc/ufw/ufw.conf", "ENABLED=yes\n");
	tu_write("/etc/ufw/user.rules", "### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\n");
	r = task("", false);
	assert_status(r, "failed");
	cr_assert_not_null(strstr(tu_msg(r), "ufw is enabled and allows no incoming 80/tcp"), "%s",
			   tu_msg(r));
	/* the ports are still returned, so a play can open them */
	{
		char *s = dump(r);

		cr_assert_not_null(strstr(s, "\"published_ports\":[{\"port\":80"), "%s", s);
		free(s);
	}
	json_decref(r);
	cr_assert_eq(owner_of("/opt/containers/web/index.html"), 101, "failed preflight changed");
	/* check mode cannot see the play's ufw tasks: it warns and plans on */
	cr_assert(ufw_warned("not ready yet (a real run would fail on it): ufw is enabled and allows no incoming "
			     "80/tcp"));
	tu_write("/etc/ufw/user.rules", "### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\n"
		 "### tuple ### allow tcp 80 0.0.0.0/0 any 0.0.0.0/0 in\n");
	/* IPV6=yes in /etc/default/ufw: ufw filters IPv6 from user6.rules too */
	cr_assert(ufw_warned("80/tcp over IPv6 (IPV6=yes in /etc/default/ufw, no rule in "
			     "/etc/ufw/user6.rules)"));
	r = task("", false);
	assert_status(r, "failed");
	cr_assert_not_null(strstr(tu_msg(r), "80/tcp over IPv6"), "%s", tu_msg(r));
	json_decref(r);
	/* a narrower rule (one source) does not open the port for everyone */
	tu_write("/etc/ufw/user6.rules", "### tuple ### allow tcp 80 ::/0 any 2001:db8::/32 in\n");
	cr_assert(ufw_warned("80/tcp over IPv6"));
	tu_write("/etc/ufw/user6.rules", "### tuple ### allow tcp 22 ::/0 any ::/0 in\n"
		 "### tuple ### allow tcp 80 ::/0 any ::/0 in\n");
	cr_assert(!ufw_warned(NULL), "both families allow 80");
	/* with IPV6=no only the IPv4 rules count */
	tu_write("/etc/ufw/user6.rules", "");
	tu_write("/etc/default/ufw", "IPV6=no\nDEFAULT_INPUT_POLICY=\"DROP\"\n");
	cr_assert(!ufw_warned(NULL), "IPV6=no: user6.rules does not matter");
	/* a deny for 80 before the allow decides (first match wins) */
	tu_write("/etc/ufw/user.rules", "### tuple ### deny tcp 80 0.0.0.0/0 any 0.0.0.0/0 in\n"
		 "### tuple ### allow tcp 80 0.0.0.0/0 any 0.0.0.0/0 in\n");
	cr_assert(ufw_warned("80/tcp"));
}

/*
 * podman_chown first (the playbook's order), then the migration: the web
 * bind mount lies in the registered tree and is not shifted again, and the
 * rollback leaves it to podman_chown. A rootful container with restart
 * policy always that stays rootful keeps podman-restart.service enabled.
 */
Test(podman_migrate, chown_first_no_double_shift)
{
	json_t *r;
	char *s;

	pm_sandbox(true, 80);
	start_web("exec httpd -f -p 80 -h /www");
	cr_assert_eq(PODMAN(false, "run", "-d", "--name", "keeper", "--restart", "always",
			    "localhost/busybox:latest", "sleep", "100000"), 0);
	r = tu_task("podman_chown", "{\"path\":\"/opt/containers\",\"user\":\"deploy\"}",
		    false, false);
	assert_status(r, "changed");
	json_decref(r);
	cr_assert_eq(owner_of("/opt/containers/web/index.html"), 100100);
	cr_assert_eq(owner_of("/opt/containers"), 1000);

	r = task("\"containers\":[\"web\"]", false);
	assert_status(r, "changed");
	s = dump(r);
	cr_assert_not_null(strstr(s, "web: keep the owners under '/opt/containers/web' as they "
				  "are: '/opt/containers' was shifted for 'deploy' already (by "
				  "podman_chown)"), "%s", s);
	cr_assert_null(strstr(s, "shift ownership under"), "%s", s);
	cr_assert_not_null(strstr(s, "podman-restart.service stays enabled: 'keeper'"), "%s", s);
	free(s);
	json_decref(r);
	cr_assert_eq(owner_of("/opt/containers/web/index.html"), 100100, "shifted twice");
	cr_assert_eq(owner_of("/opt/containers/web/sub/f"), 100100, "shifted twice");
	cr_assert(link_there(), "disabled although 'keeper' needs it");
	cr_assert_neq(access(RECDIR "/podman-restart.json", F_OK), 0);
	cr_assert(wget_ok("hello"), "rootless web does not answer");
	s = OUT(true, "exec", "web", "stat", "-c", "%u:%g", "/www/sub/f");
	cr_assert_str_eq(s, "101:101");
	free(s);
	{
		char *rec = tu_read(RECDIR "/deploy/web.json");

		cr_assert_not_null(strstr(rec, "\"shifts\": []"), "%s", rec);
		cr_assert_not_null(strstr(rec, "\"registered_path\": \"/opt/containers\""), "%s", rec);
		free(rec);
	}
	r = task("\"containers\":[\"web\"]", false);
	assert_status(r, "ok");
	json_decref(r);

	/* the migration's rollback leaves the tree to podman_chown */
	r = task("\"state\":\"rolled_back\"", false);
	assert_status(r, "changed");
	json_decref(r);
	cr_assert_eq(owner_of("/opt/containers/web/index.html"), 100100);
	r = tu_task("podman_chown", "{\"path\":\"/opt/containers\",\"user\":\"deploy\","
		    "\"state\":\"restored\"}", false, false);
	assert_status(r, "changed");
	json_decref(r);
	cr_assert_eq(owner_of("/opt/containers/web/index.html"), 101);
	cr_assert_eq(owner_of("/opt/containers"), 0);
	cr_assert(wget_ok("hello"), "rootful web does not answer after rollback");
}

/* A container that dies under rootless podman: the cutover must undo itself. */
Test(podman_migrate, failed_cutover_restores_rootful)
{
	json_t *r;
	char *s;

	pm_sandbox(true, 80);
	/* uid_map says "0 0 4294967295" only outside a user namespace */
	start_web("grep -q 4294967295 /proc/self/uid_map || exit 3; exec httpd -f -p 80 -h /www");
	cr_assert(wget_ok("hello"));
	r = task("", false);
	assert_status(r, "failed");
	s = dump(r);
	cr_assert_not_null(strstr(tu_msg(r), "migrating 'web' failed"), "%s", s);
	cr_assert_not_null(strstr(tu_msg(r), "the rootful container runs again"), "%s", s);
	free(s);
	json_decref(r);
	s = OUT(false, "inspect", "web", "--format", "{{.State.Running}}");
	cr_assert_str_eq(s, "true");
	free(s);
	cr_assert_neq(PODMAN(true, "container", "exists", "web"), 0, "rootless web left behind");
	cr_assert_eq(owner_of("/opt/containers/web/index.html"), 101, "ownership not shifted back");
	cr_assert_neq(access(RECDIR "/deploy/web.json", F_OK), 0);
	cr_assert(wget_ok("hello"), "service lost");
}

/* remove_rootful, a custom network, and a rollback that must refuse. */
Test(podman_migrate, remove_rootful_with_network)
{
	json_t *r;
	char *s;

	pm_sandbox(true, 80);
	cr_assert_eq(PODMAN(false, "network", "create", "--subnet", "10.89.7.0/24", "appnet"), 0);
	sh_ok("mkdir -p /opt/containers/web && echo net > /opt/containers/web/index.html && "
	      "chown -R 101:101 /opt/containers/web");
	cr_assert_eq(PODMAN(false, "run", "-d", "--name", "web", "--network", "appnet", "-p",
			    "80:80", "-v", "/opt/containers/web:/www", "--restart", "always",
			    "localhost/busybox:latest", "httpd", "-f", "-p", "80", "-h", "/www"), 0);
	cr_assert(wget_ok("net"));
	r = task("\"containers\":[\"web\"],\"remove_rootful\":true", false);
	assert_status(r, "changed");
	s = dump(r);
	cr_assert_not_null(strstr(s, "create network 'appnet' (10.89.7.0/24)"), "%s", s);
	/* podman refuses a subnet whose rootful bridge is up on the host */
	cr_assert_not_null(strstr(s, "the subnet of network 'appnet' is in use on the host"), "%s", s);
	free(s);
	json_decref(r);
	cr_assert_neq(PODMAN(false, "container", "exists", "web"), 0, "rootful web not removed");
	cr_assert_eq(PODMAN(true, "network", "exists", "appnet"), 0);
	s = OUT(true, "inspect", "web", "--format", "{{.State.Running}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}");
	cr_assert_str_eq(s, "true appnet");
	free(s);
	cr_assert(wget_ok("net"), "rootless web on appnet does not answer");
	/* the rootful image stays */
	cr_assert_eq(PODMAN(false, "image", "exists", "localhost/busybox:latest"), 0);
	r = task("\"containers\":[\"web\"],\"remove_rootful\":true", false);
	assert_status(r, "ok");
	json_decref(r);
	r = task("\"state\":\"rolled_back\"", false);
	assert_status(r, "failed");
	cr_assert_not_null(strstr(tu_msg(r), "rootful container 'web' no longer exists"), "%s",
			   tu_msg(r));
	json_decref(r);
	s = OUT(true, "inspect", "web", "--format", "{{.State.Running}}");
	cr_assert_str_eq(s, "true", "a refused rollback touched the container");
	free(s);
}

Test(podman_migrate, bad_arguments)
{
	json_t *r = tu_task("podman_migrate", "{\"user\":\"deploy\",\"state\":\"gone\"}", true, false);

	assert_status(r, "failed");
	cr_assert_not_null(strstr(tu_msg(r), "state"), "%s", tu_msg(r));
	json_decref(r);
	r = tu_task("podman_migrate", "{\"user\":\"deploy\",\"restart_policy\":\"sometimes\"}",
		    true, false);
	assert_status(r, "failed");
	cr_assert_not_null(strstr(tu_msg(r), "restart_policy"), "%s", tu_msg(r));
	json_decref(r);
	r = tu_task("podman_migrate", "{\"containers\":[\"web\"]}", true, false);
	assert_status(r, "failed");
	cr_assert_not_null(strstr(tu_msg(r), "user"), "%s", tu_msg(r));
	json_decref(r);
	r = tu_task("podman_migrate", "{\"user\":\"deploy\",\"bogus\":1}", true, false);
	assert_status(r, "failed");
	cr_assert_not_null(strstr(tu_msg(r), "bogus"), "%s", tu_msg(r));
	json_decref(r);
}

/*
 * Two containers on one bind mount, migrated in two runs: the first
 * shifts and registers the tree, the second finds it registered and
 * leaves it. Rolling the first back must not shift the tree under the
 * second: the tree is handed over, and goes back with the second.
 */
Test(podman_migrate, shared_tree_handed_over_at_rollback)
{
	json_t *r;
	char *s;

	pm_sandbox(true, 80);
	start_web("exec httpd -f -p 80 -h /www");
	/* stopped: a running rootful one outside the run would refuse the shift */
	cr_assert_eq(PODMAN(false, "create", "--name", "web2", "-p", "8080:8080", "-v",
			    "/opt/containers/web:/www:ro", "localhost/busybox:latest", "httpd",
			    "-f", "-p", "8080", "-h", "/www"), 0);
	r = task("\"containers\":[\"web\"]", false);
	assert_status(r, "changed");
	json_decref(r);
	cr_assert_eq(owner_of("/opt/containers/web/index.html"), 100100);
	cr_assert_eq(access("/var/lib/muster/shifts/deploy/opt-containers-web.json", F_OK), 0,
		     "the migration did not register its shift");
	/* podman_chown will not undo a tree a migrated container uses */
	r = tu_task("podman_chown", "{\"path\":\"/opt/containers/web\",\"user\":\"deploy\","
		    "\"state\":\"restored\"}", false, false);
	assert_status(r, "failed");
	cr_assert_not_null(strstr(tu_msg(r), "roll that migration back"), "%s", tu_msg(r));
	json_decref(r);
	r = task("\"containers\":[\"web2\"]", false);
	assert_status(r, "changed");
	s = dump(r);
	cr_assert_not_null(strstr(s, "web2: keep the owners under '/opt/containers/web' as they "
				  "are"), "%s", s);
	free(s);
	json_decref(r);
	cr_assert_eq(owner_of("/opt/containers/web/index.html"), 100100, "shifted twice");
	/* the rootful web2 was stopped, so its copy was created stopped: start it */
	cr_assert_eq(PODMAN(true, "start", "web2"), 0);

	r = task("\"containers\":[\"web\"],\"state\":\"rolled_back\"", false);
	assert_status(r, "changed");
	s = dump(r);
	cr_assert_not_null(strstr(s, "stays shifted: 'web2' of 'deploy' still uses it"), "%s", s);
	free(s);
	json_decref(r);
	cr_assert_eq(owner_of("/opt/containers/web/index.html"), 100100, "pulled from under web2");
	s = OUT(true, "exec", "web2", "stat", "-c", "%u", "/www/index.html");
	cr_assert_str_eq(s, "101");
	free(s);
	r = task("\"containers\":[\"web2\"],\"state\":\"rolled_back\"", false);
	assert_status(r, "changed");
	json_decref(r);
	cr_assert_eq(owner_of("/opt/containers/web/index.html"), 101, "not shifted back at last");
	cr_assert_neq(access("/var/lib/muster/shifts/deploy/opt-containers-web.json", F_OK), 0);
	cr_assert(wget_ok("hello"), "rootful web does not answer after both rollbacks");
}
