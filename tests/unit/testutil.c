/* Shared test helpers: namespaces, in-process tasks, small file helpers. */
#include "testutil.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "module.h"
#include "mu_buf.h"

static char tmpdirs[16][64];
static int ntmpdirs;
static pid_t tmpdir_owner;

static void remove_tmpdirs(void)
{
	/* Only the process that made them: forked children exit through here too. */
	if (getpid() != tmpdir_owner)
		return;
	for (int i = 0; i < ntmpdirs && i < 16; i++)
		tu_sh("rm -rf '%s'", tmpdirs[i]);
}

char *tu_tmpdir(void)
{
	char *d = tmpdirs[ntmpdirs % 16];

	if (!ntmpdirs) {
		tmpdir_owner = getpid();
		atexit(remove_tmpdirs);
	}
	ntmpdirs++;
	snprintf(d, 64, "/tmp/mu-test-XXXXXX");
	cr_assert_not_null(mkdtemp(d), "mkdtemp: %s", strerror(errno));
	return d;
}

static void hide_path(const char *root, const char *path, int idx)
{
	char backing[512];
	struct stat st;

	snprintf(backing, sizeof(backing), "%s/%d", root, idx);
	cr_assert_eq(mkdir(backing, 0755), 0, "mkdir %s: %s", backing, strerror(errno));
	if (stat(path, &st) != 0) {
		/* Cover the nearest existing ancestor with a tmpfs, then create. */
		char anc[512];

		snprintf(anc, sizeof(anc), "%s", path);
		do {
			char *slash = strrchr(anc, '/');

			if (slash == anc) {
				anc[1] = '\0';
				break;
			}
			*slash = '\0';
		} while (stat(anc, &st) != 0);
		cr_assert_str_neq(anc, "/", "refusing to cover / for '%s'", path);
		cr_assert_eq(mount("tmpfs", anc, "tmpfs", 0, "mode=0755"), 0,
			     "tmpfs on %s: %s", anc, strerror(errno));
		cr_assert_eq(tu_sh("mkdir -p '%s'", path), 0);
	}
	cr_assert_eq(mount(backing, path, NULL, MS_BIND, NULL), 0,
		     "bind %s on %s: %s", backing, path, strerror(errno));
}

/*
 * Cover /tmp with a tmpfs, but keep the checkout and build tree where they
 * are when they live under /tmp (CI may clone there): each such top
 * directory is parked on a tmpfs over /mnt, then bound back in place.
 */
static void private_tmp(void)
{
	const char *keep[] = { MU_SOURCE_DIR, MU_AGENT_BIN, MU_MUSTER_BIN };
	char roots[3][256];
	int n = 0;

	for (int i = 0; i < 3; i++) {
		char top[256];
		size_t len;
		bool dup = false;

		if (strncmp(keep[i], "/tmp/", 5) != 0)
			continue;
		len = strcspn(keep[i] + 5, "/") + 5;
		snprintf(top, sizeof(top), "%.*s", (int)len, keep[i]);
		for (int j = 0; j < n; j++)
			dup |= strcmp(roots[j], top) == 0;
		if (!dup)
			snprintf(roots[n++], sizeof(roots[0]), "%s", top);
	}
	if (n) {
		cr_assert_eq(mount("tmpfs", "/mnt", "tmpfs", 0, "mode=0755"), 0,
			     "tmpfs on /mnt: %s", strerror(errno));
		for (int j = 0; j < n; j++) {
			char park[64];

			snprintf(park, sizeof(park), "/mnt/keep%d", j);
			cr_assert_eq(mkdir(park, 0755), 0);
			cr_assert_eq(mount(roots[j], park, NULL, MS_BIND | MS_REC, NULL), 0,
				     "park %s: %s", roots[j], strerror(errno));
		}
	}
	cr_assert_eq(mount("tmpfs", "/tmp", "tmpfs", 0, "mode=1777"), 0);
	for (int j = 0; j < n; j++) {
		char park[64];

		snprintf(park, sizeof(park), "/mnt/keep%d", j);
		cr_assert_eq(mkdir(roots[j], 0755), 0);
		cr_assert_eq(mount(park, roots[j], NULL, MS_BIND | MS_REC, NULL), 0,
			     "restore %s: %s", roots[j], strerror(errno));
	}
}

const char *tu_sandbox(const char *const *paths)
{
	static char root[64];

	cr_assert_eq(unshare(CLONE_NEWNS | CLONE_NEWNET), 0,
		     "unshare: %s (tests need root)", strerror(errno));
	cr_assert_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0,
		     "make / private: %s", strerror(errno));
	/* A private /tmp keeps backing dirs out of the real one. */
	private_tmp();
	snprintf(root, sizeof(root), "/tmp/mu-sandbox");
	cr_assert_eq(mkdir(root, 0755), 0);
	tu_sh("ip link set lo up 2>/dev/null");
	for (int i = 0; paths && paths[i]; i++)
		hide_path(root, paths[i], i);
	return root;
}

json_t *tu_task_port(const char *module, const char *args_json, bool check,
		     bool diff, int ssh_port)
{
	struct mu_agent_ctx ctx = { .ssh_port = ssh_port };
	json_error_t jerr;
	json_t *args = json_loads(args_json ? args_json : "{}", 0, &jerr);
	json_t *msg;
	json_t *reply;

	cr_assert_not_null(args, "bad test JSON '%s': %s", args_json, jerr.text);
	msg = json_pack("{s:s, s:i, s:s, s:o, s:b, s:b}", "type", "task", "id", 1,
			"module", module, "args", args, "check", check, "diff", diff);
	reply = mu_task_run(msg, &ctx);
	json_decref(msg);
	return reply;
}

json_t *tu_task(const char *module, const char *args_json, bool check, bool diff)
{
	return tu_task_port(module, args_json, check, diff, 22);
}

const char *tu_status(const json_t *reply)
{
	return json_string_value(json_object_get(reply, "status"));
}

const char *tu_msg(const json_t *reply)
{
	return json_string_value(json_object_get(reply, "msg"));
}

void tu_write(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "open %s: %s", path, strerror(errno));
	fputs(content, f);
	fclose(f);
}

char *tu_read(const char *path)
{
	struct mu_buf b = MU_BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		mu_buf_add(&b, chunk, n);
	fclose(f);
	return mu_buf_detach(&b, NULL);
}

int tu_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;
	pid_t pid;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
