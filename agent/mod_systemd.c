/*
 * systemd_service: enable, mask and start units, system-wide or in one
 * user's manager.
 *
 * When the manager answers (systemd is PID 1; for a user, the user's
 * manager has its private socket under /run/user/UID), systemctl does the
 * work: for a user, `systemctl --user -M USER@.host` from root (systemd
 * 248 and later), otherwise systemctl run as that user with its runtime
 * dir. When no manager runs (no systemd as PID 1, or linger off),
 * enabling and masking are done offline exactly as systemctl does them:
 * the unit's [Install] section becomes symlinks in ~/.config/systemd/user
 * (or /etc/systemd/system), owned by the user. Starting then has to wait
 * for a manager: the task says "start deferred" with a warning, and does
 * not fail (docs/modules/systemd_service.md states the rule).
 *
 * Root writes into a directory the user owns, so the config directory is
 * reached one component at a time from the home directory with
 * O_NOFOLLOW: a symlink planted there cannot redirect root's writes.
 */
#include "module.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "unitfile.h"
#include "users.h"

#define CTL_QUERY_TIMEOUT 60
#define CTL_ACTION_TIMEOUT 600
/* systemctl learnt --machine=USER@.host in systemd 248. */
#define CTL_MACHINE_USER_VERSION 248

static const char *const sd_aliases[] = {
	"systemd", "ansible.builtin.systemd_service", "ansible.builtin.systemd",
	"ansible.legacy.systemd_service", "ansible.legacy.systemd", NULL
};
static const char *const sd_states[] = {
	"started", "stopped", "restarted", "reloaded", NULL
};
static const char *const sd_scopes[] = { "system", "user", NULL };

static const struct mu_arg sd_args[] = {
	{ "name", MU_T_STR, 0, NULL, NULL, "service|unit" },
	{ "enabled", MU_T_BOOL, 0, NULL, NULL, NULL },
	{ "state", MU_T_STR, 0, NULL, sd_states, NULL },
	{ "masked", MU_T_BOOL, 0, NULL, NULL, NULL },
	{ "daemon_reload", MU_T_BOOL, 0, "false", NULL, "daemon-reload" },
	{ "scope", MU_T_STR, 0, "system", sd_scopes, NULL },
	{ "user", MU_T_STR, 0, NULL, NULL, NULL },
	MU_ARG_END,
};

enum step_kind {
	STEP_LINK,      /* create <config>/<dir>/<name> -> target */
	STEP_RELINK,    /* replace a dangling link there */
	STEP_UNLINK,    /* remove the link there */
	STEP_CHOWN,     /* give the link to the user */
	STEP_CTL,       /* systemctl <verb> <unit> */
};

struct step {
	enum step_kind kind;
	char *dir;
	char *name;
	char *target;
	const char *verb;
};

/* Everything check() learnt, handed to apply() through task->plan. */
struct sd {
	bool user_scope;
	struct mu_user u;
	uid_t uid;
	gid_t gid;
	bool self;          /* the agent already runs as that user */
	char *unit;         /* normalized name; NULL when none was given */
	struct mu_unit_paths paths;
	bool manager;
	bool via_machine;   /* systemctl --user -M USER@.host */
	bool linger;
	bool booted;        /* systemd is PID 1 */
	struct step *steps;
	size_t nsteps;
};

static void sd_free(void *p)
{
	struct sd *sd = p;

	if (!sd)
		return;
	for (size_t i = 0; i < sd->nsteps; i++) {
		free(sd->steps[i].dir);
		free(sd->steps[i].name);
		free(sd->steps[i].target);
	}
	free(sd->steps);
	mu_user_release(&sd->u);
	free(sd->unit);
	mu_unit_paths_release(&sd->paths);
	free(sd);
}

static void add_step(struct sd *sd, enum step_kind kind, const char *dir,
		     const char *name, const char *target, const char *verb)
{
	struct step *s;

	sd->steps = mu_xrealloc(sd->steps, (sd->nsteps + 1) * sizeof(*sd->steps));
	s = &sd->steps[sd->nsteps++];
	s->kind = kind;
	s->dir = dir ? mu_xstrdup(dir) : NULL;
	s->name = name ? mu_xstrdup(name) : NULL;
	s->target = target ? mu_xstrdup(target) : NULL;
	s->verb = verb;
}

static bool is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_socket(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* <config>/<dir>/<name> for messages; caller frees. */
static char *link_path(const struct sd *sd, const char *dir, const char *name)
{
	if (!dir || !*dir)
		return mu_xasprintf("%s/%s", sd->paths.config, name);
	return mu_xasprintf("%s/%s/%s", sd->paths.config, dir, name);
}

/* ---- talking to a running manager ---- */

/*
 * Run systemctl against the scope's manager: args are what follows the
 * scope options. Returns the exit code or a negative MU_E_* (e says why).
 */
static int ctl_run(const struct sd *sd, const char *const *args, unsigned timeout,
		   struct mu_buf *out, struct mu_buf *err, struct mu_err *e)
{
	const char *argv[16];
	char machine[300];
	char env_rt[64], env_bus[96];
	const char *env[3] = { NULL, NULL, NULL };
	struct mu_child c = MU_CHILD_INIT;
	size_t n = 0;

	argv[n++] = "systemctl";
	argv[n++] = "--no-ask-password";
	if (sd->user_scope) {
		argv[n++] = "--user";
		if (sd->via_machine) {
			snprintf(machine, sizeof(machine), "--machine=%s@.host", sd->u.name);
			argv[n++] = machine;
		} else if (sd->self) {
			snprintf(env_rt, sizeof(env_rt), "XDG_RUNTIME_DIR=/run/user/%u",
				 (unsigned)sd->uid);
			snprintf(env_bus, sizeof(env_bus),
				 "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/%u/bus",
				 (unsigned)sd->uid);
			env[0] = env_rt;
			env[1] = env_bus;
			c.env = env;
		} else {
			/* child.h gives the user's HOME, XDG_RUNTIME_DIR and bus. */
			c.user = sd->u.name;
		}
	}
	for (size_t i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	c.argv = argv;
	c.timeout_sec = timeout;
	return mu_child_run(&c, out, err, e);
}

/* The major version systemctl reports ("systemd 252 (...)"), 0 if unknown. */
static int ctl_version(void)
{
	const char *argv[] = { "systemctl", "--version", NULL };
	struct mu_child c = MU_CHILD_INIT;
	struct mu_buf out = MU_BUF_INIT;
	struct mu_err e = { 0 };
	int v = 0;

	c.argv = argv;
	c.timeout_sec = CTL_QUERY_TIMEOUT;
	if (mu_child_run(&c, &out, NULL, &e) == 0 && strncmp(out.buf, "systemd ", 8) == 0)
		v = (int)strtol(out.buf + 8, NULL, 10);
	mu_buf_release(&out);
	return v;
}

/* First word systemctl printed for a query (is-enabled, is-active). */
static int ctl_query(const struct sd *sd, const char *verb, char *state, size_t len,
		     struct mu_buf *err, struct mu_err *e)
{
	const char *args[] = { verb, "--", sd->unit, NULL };
	struct mu_buf out = MU_BUF_INIT;
	int rc = ctl_run(sd, args, CTL_QUERY_TIMEOUT, &out, err, e);

	state[0] = '\0';
	if (rc >= 0)
		snprintf(state, len, "%.*s", (int)strcspn(out.buf, " \n"), out.buf);
	mu_buf_release(&out);
	return rc;
}

static bool active_like(const char *s)
{
	return strcmp(s, "active") == 0 || strcmp(s, "reloading") == 0 ||
	       strcmp(s, "activating") == 0 || strcmp(s, "refreshing") == 0;
}

static int online_check(struct mu_task *t, struct sd *sd, struct mu_result *r)
{
	struct mu_buf err = MU_BUF_INIT;
	struct mu_err e = { 0 };
	char enabled_state[64], active_state[64];
	const char *state = mu_arg_str(t, "state");
	bool want_mask = mu_arg_isset(t, "masked") && mu_arg_bool(t, "masked");
	bool want_unmask = mu_arg_isset(t, "masked") && !mu_arg_bool(t, "masked");
	bool masked, enabled;
	int rc = 0;

	if (mu_arg_bool(t, "daemon_reload") && !t->check_mode) {
		const char *args[] = { "daemon-reload", NULL };

		rc = ctl_run(sd, args, CTL_ACTION_TIMEOUT, NULL, &err, &e);
		if (rc != 0) {
			mu_buf_rtrim(&err, "\n ");
			rc = mu_result_fail(r, MU_E_EXEC, "systemd_service: daemon-reload failed: %s",
					    rc < 0 ? e.msg : err.buf);
			goto out;
		}
		mu_buf_reset(&err);
	}
	if (!sd->unit)
		goto out;
	rc = ctl_query(sd, "is-enabled", enabled_state, sizeof(enabled_state), &err, &e);
	if (rc < 0) {
		rc = mu_result_fail(r, rc, "systemd_service: %s", e.msg);
		goto out;
	}
	if (!enabled_state[0] || strcmp(enabled_state, "not-found") == 0) {
		mu_buf_rtrim(&err, "\n ");
		rc = mu_result_fail(r, MU_E_NOTFOUND, "unit '%s' not found by the %s manager%s%s",
				    sd->unit, sd->user_scope ? "user" : "system",
				    err.len ? ": " : "", err.buf);
		goto out;
	}
	mu_buf_reset(&err);
	rc = ctl_query(sd, "is-active", active_state, sizeof(active_state), &err, &e);
	if (rc < 0) {
		rc = mu_result_fail(r, rc, "systemd_service: %s", e.msg);
		goto out;
	}
	rc = 0;
	masked = strncmp(enabled_state, "masked", 6) == 0;
	enabled = strcmp(enabled_state, "enabled") == 0 ||
		  strcmp(enabled_state, "enabled-runtime") == 0 ||
		  strcmp(enabled_state, "alias") == 0;
	mu_result_data(r, "unit_file_state", json_string(enabled_state));
	mu_result_data(r, "active_state", json_string(active_state));

	if (want_unmask && masked) {
		add_step(sd, STEP_CTL, NULL, NULL, NULL, "unmask");
		mu_result_change(r, "unmask '%s'", sd->unit);
		masked = false;
	}
	if (mu_arg_isset(t, "enabled")) {
		bool want = mu_arg_bool(t, "enabled");

		if (want && masked) {
			rc = mu_result_fail(r, MU_E_SAFETY, "unit '%s' is masked; unmask it first "
					    "(masked: false)", sd->unit);
			goto out;
		}
		if (want && !enabled && (strcmp(enabled_state, "static") == 0 ||
					 strcmp(enabled_state, "indirect") == 0 ||
					 strcmp(enabled_state, "generated") == 0 ||
					 strcmp(enabled_state, "transient") == 0)) {
			mu_result_warn(r, "unit '%s' is %s: it has nothing to enable", sd->unit,
				       enabled_state);
		} else if (want != enabled) {
			add_step(sd, STEP_CTL, NULL, NULL, NULL, want ? "enable" : "disable");
			mu_result_change(r, "%s '%s'", want ? "enable" : "disable", sd->unit);
			mu_result_diff(r, "enabled", enabled ? "true" : "false",
				       want ? "true" : "false");
		}
	}
	if (want_mask && !masked) {
		add_step(sd, STEP_CTL, NULL, NULL, NULL, "mask");
		mu_result_change(r, "mask '%s'", sd->unit);
	}
	if (state) {
		bool running = active_like(active_state);
		const char *verb = NULL;

		if (strcmp(state, "started") == 0 && !running)
			verb = "start";
		else if (strcmp(state, "stopped") == 0 && running)
			verb = "stop";
		else if (strcmp(state, "restarted") == 0)
			verb = "restart";
		else if (strcmp(state, "reloaded") == 0)
			verb = running ? "reload" : "start";
		if (verb) {
			add_step(sd, STEP_CTL, NULL, NULL, NULL, verb);
			mu_result_change(r, "%s '%s'", verb, sd->unit);
			mu_result_diff(r, "state", active_state, verb[0] == 's' && verb[2] == 'o'
				       ? "inactive" : "active");
		}
	}
	if (sd->user_scope && !sd->linger)
		mu_result_warn(r, "linger is off for '%s': its user manager, and '%s' with it, "
			       "stops when the last session ends", sd->u.name, sd->unit);
out:
	mu_buf_release(&err);
	return rc;
}

/* ---- offline: the config directory, reached without following links ---- */

/*
 * Open <root>/<config_rel>[/<sub>] one component at a time with O_NOFOLLOW.
 * With create, missing directories are made 0755 and given to the user.
 * Returns an fd, or -1: *missing when a directory is absent (not created),
 * otherwise e says what is wrong.
 */
static int cfg_open(const struct sd *sd, const char *sub, bool create, bool *missing,
		    struct mu_err *e)
{
	char *rel = sub && *sub ? mu_xasprintf("%s/%s", sd->paths.config_rel, sub)
				: mu_xstrdup(sd->paths.config_rel);
	struct mu_buf where = MU_BUF_INIT;
	int fd;

	*missing = false;
	fd = open(sd->paths.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		mu_err_sys(e, "cannot open '%s'%s", sd->paths.root,
			   sd->user_scope ? " (home directory)" : "");
		goto out;
	}
	mu_buf_addstr(&where, strcmp(sd->paths.root, "/") == 0 ? "" : sd->paths.root);
	for (char *rest = rel, *comp; (comp = strsep(&rest, "/"));) {
		struct stat st;
		bool made = false;
		int nfd;

		if (!*comp)
			continue;

		mu_buf_addf(&where, "/%s", comp);
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT) {
			if (!create) {
				*missing = true;
				close(fd);
				fd = -1;
				goto out;
			}
			if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
				mu_err_sys(e, "cannot create directory '%s'", where.buf);
				close(fd);
				fd = -1;
				goto out;
			}
			made = true;
			nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (nfd < 0) {
			if (errno == ELOOP || errno == ENOTDIR)
				mu_err_set(e, MU_E_SAFETY, "'%s' is a symlink or not a directory; "
					   "refusing to write through it", where.buf);
			else
				mu_err_sys(e, "cannot open '%s'", where.buf);
			close(fd);
			fd = -1;
			goto out;
		}
		close(fd);
		fd = nfd;
		if (fstat(fd, &st) < 0) {
			mu_err_sys(e, "cannot stat '%s'", where.buf);
			close(fd);
			fd = -1;
			goto out;
		}
		if (made && st.st_uid == 0 && sd->uid != 0) {
			if (fchown(fd, sd->uid, sd->gid) < 0 || fchmod(fd, 0755) < 0) {
				mu_err_sys(e, "cannot give '%s' to '%s'", where.buf, sd->u.name);
				close(fd);
				fd = -1;
				goto out;
			}
		} else if (made) {
			fchmod(fd, 0755);  /* undo the umask */
		} else if (st.st_uid != sd->uid && st.st_uid != 0) {
			mu_err_set(e, MU_E_SAFETY, "'%s' belongs to uid %u, not to %s or root; "
				   "refusing to write there", where.buf, (unsigned)st.st_uid,
				   sd->user_scope ? sd->u.name : "root");
			close(fd);
			fd = -1;
			goto out;
		}
	}
out:
	free(rel);
	mu_buf_release(&where);
	return fd;
}

enum link_state { L_MISSING, L_OK, L_OWNER, L_DANGLING, L_OTHER, L_NOTLINK };

/* What <dfd>/<name> is, compared with a link to target. *cur: caller frees. */
static enum link_state link_probe(const struct sd *sd, int dfd, const char *name,
				  const char *target, char **cur)
{
	struct stat l, a, b;
	char buf[PATH_MAX];
	ssize_t n;

	*cur = NULL;
	if (dfd < 0 || fstatat(dfd, name, &l, AT_SYMLINK_NOFOLLOW) < 0)
		return L_MISSING;
	if (!S_ISLNK(l.st_mode))
		return L_NOTLINK;
	n = readlinkat(dfd, name, buf, sizeof(buf) - 1);
	if (n < 0)
		return L_OTHER;
	buf[n] = '\0';
	*cur = mu_xstrdup(buf);
	if (strcmp(buf, target) != 0) {
		/* Same file by another path (/lib vs /usr/lib) is the same link. */
		if (fstatat(dfd, name, &a, 0) < 0)
			return L_DANGLING;
		if (stat(target, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
			return L_OTHER;
	}
	if (l.st_uid != sd->uid)
		return L_OWNER;
	return L_OK;
}

/* Plan one link to exist; fails the result on a conflict. */
static int want_link(struct sd *sd, const char *dir, const char *name,
		     const char *target, struct mu_result *r)
{
	struct mu_err e = { 0 };
	bool missing;
	int fd = cfg_open(sd, dir, false, &missing, &e);
	char *cur = NULL;
	char *path = link_path(sd, dir, name);
	int rc = 0;

	if (fd < 0 && !missing) {
		rc = mu_result_fail(r, e.code, "%s", e.msg);
		goto out;
	}
	switch (link_probe(sd, fd, name, target, &cur)) {
	case L_OK:
		break;
	case L_MISSING:
		add_step(sd, STEP_LINK, dir, name, target, NULL);
		mu_result_change(r, "create symlink '%s' -> '%s'", path, target);
		mu_result_diff(r, path, NULL, target);
		break;
	case L_DANGLING:
		add_step(sd, STEP_RELINK, dir, name, target, NULL);
		mu_result_change(r, "replace dangling symlink '%s' -> '%s' with -> '%s'",
				 path, cur, target);
		mu_result_diff(r, path, cur, target);
		break;
	case L_OWNER:
		add_step(sd, STEP_CHOWN, dir, name, target, NULL);
		mu_result_change(r, "give symlink '%s' to '%s'", path,
				 sd->user_scope ? sd->u.name : "root");
		break;
	case L_OTHER:
		rc = mu_result_fail(r, MU_E_SAFETY, "'%s' already exists and points to '%s', "
				    "not to '%s'; remove it or disable the other unit", path,
				    cur ? cur : "?", target);
		break;
	case L_NOTLINK:
		rc = mu_result_fail(r, MU_E_SAFETY, "'%s' exists and is not a symlink; "
				    "refusing to replace it", path);
		break;
	}
out:
	if (fd >= 0)
		close(fd);
	free(cur);
	free(path);
	return rc;
}

/* Plan <dir>/<name> to go, if it is a link (only_to: only if it points there). */
static void drop_link(struct sd *sd, int dfd, const char *dir, const char *name,
		      const char *only_to, struct mu_result *r)
{
	struct stat st;
	char buf[PATH_MAX];
	ssize_t n;
	char *path;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
		return;
	for (size_t i = 0; i < sd->nsteps; i++)
		if (sd->steps[i].kind == STEP_UNLINK && strcmp(sd->steps[i].dir, dir) == 0 &&
		    strcmp(sd->steps[i].name, name) == 0)
			return;
	n = readlinkat(dfd, name, buf, sizeof(buf) - 1);
	buf[n < 0 ? 0 : n] = '\0';
	if (only_to && strcmp(buf, only_to) != 0)
		return;
	path = link_path(sd, dir, name);
	add_step(sd, STEP_UNLINK, dir, name, NULL, NULL);
	mu_result_change(r, "remove symlink '%s' -> '%s'", path, buf);
	mu_result_diff(r, path, buf, NULL);
	free(path);
}

/* Does entry name the unit, or (for a template) one of its instances? */
static bool names_unit(const char *entry, const struct mu_unit_list *units,
		       const char *requested)
{
	if (mu_unit_list_has(units, entry))
		return true;
	if (mu_unit_is_template(requested) && mu_unit_is_instance(entry)) {
		char *tmpl = mu_unit_template_of(entry);
		bool same = strcmp(tmpl, requested) == 0;

		free(tmpl);
		return same;
	}
	return false;
}

/* Links that disabling removes: those enable makes, and any other
 * .wants/.requires/.upholds entry naming the unit, as systemctl does. */
static int plan_disable(struct sd *sd, struct mu_result *r)
{
	struct mu_unit_links links = { 0 };
	struct mu_unit_list units = { 0 }, statics = { 0 };
	struct mu_err e = { 0 };
	bool missing;
	int cfd = -1;
	DIR *d = NULL;
	struct dirent *de;
	int rc = 0;

	mu_unit_enable_links(&sd->paths, sd->unit, MU_UNIT_FOR_DISABLE, &links, &units,
			     &statics, &e);
	if (!mu_unit_list_has(&units, sd->unit))
		mu_unit_list_add(&units, sd->unit);
	cfd = cfg_open(sd, NULL, false, &missing, &e);
	if (cfd < 0) {
		if (!missing)
			rc = mu_result_fail(r, e.code, "%s", e.msg);
		goto out;
	}
	for (size_t i = 0; i < links.n; i++) {
		int dfd = *links.v[i].dir ? openat(cfd, links.v[i].dir,
						   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
					  : dup(cfd);

		if (dfd < 0)
			continue;
		drop_link(sd, dfd, links.v[i].dir, links.v[i].name, NULL, r);
		close(dfd);
	}
	{
		int dfd = dup(cfd);

		d = dfd >= 0 ? fdopendir(dfd) : NULL;
		if (!d && dfd >= 0)
			close(dfd);
	}
	while (d && (de = readdir(d))) {
		const char *dot = strrchr(de->d_name, '.');
		DIR *sub;
		struct dirent *se;
		int sfd;

		if (!dot || (strcmp(dot, ".wants") != 0 && strcmp(dot, ".requires") != 0 &&
			     strcmp(dot, ".upholds") != 0))
			continue;
		sfd = openat(cfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0)
			continue;
		sub = fdopendir(sfd);
		if (!sub) {
			close(sfd);
			continue;
		}
		while ((se = readdir(sub)))
			if (names_unit(se->d_name, &units, sd->unit))
				drop_link(sd, dirfd(sub), de->d_name, se->d_name, NULL, r);
		closedir(sub);
	}
out:
	if (d)
		closedir(d);
	if (cfd >= 0)
		close(cfd);
	mu_unit_links_release(&links);
	mu_unit_list_release(&units);
	mu_unit_list_release(&statics);
	return rc;
}

/* Is the unit enabled offline: every link enabling would make is there? */
static bool offline_enabled(struct sd *sd)
{
	struct mu_unit_links links = { 0 };
	struct mu_unit_list units = { 0 }, statics = { 0 };
	struct mu_err e = { 0 };
	bool all = false;

	if (mu_unit_enable_links(&sd->paths, sd->unit, 0, &links, &units, &statics, &e) == 0 &&
	    links.n) {
		all = true;
		for (size_t i = 0; i < links.n && all; i++) {
			bool missing;
			int fd = cfg_open(sd, links.v[i].dir, false, &missing, &e);
			char *cur = NULL;
			enum link_state st = link_probe(sd, fd, links.v[i].name,
							links.v[i].target, &cur);

			all = st == L_OK || st == L_OWNER;
			free(cur);
			if (fd >= 0)
				close(fd);
		}
	}
	mu_unit_links_release(&links);
	mu_unit_list_release(&units);
	mu_unit_list_release(&statics);
	return all;
}

/* Why nothing can start now, for the "deferred" warning. */
static void no_manager_reason(const struct sd *sd, char *buf, size_t len)
{
	if (!sd->user_scope)
		snprintf(buf, len, "no systemd as PID 1");
	else if (!sd->linger)
		snprintf(buf, len, "no user manager for '%s' (linger is off)", sd->u.name);
	else if (!sd->booted)
		snprintf(buf, len, "no user manager for '%s' (linger is on, but there is "
			 "no systemd as PID 1)", sd->u.name);
	else
		snprintf(buf, len, "no user manager for '%s' (linger is on; it starts at the "
			 "next boot or with 'loginctl enable-linger %s')", sd->u.name,
			 sd->u.name);
}

static int offline_check(struct mu_task *t, struct sd *sd, struct mu_result *r,
			 char *deferred, size_t dlen)
{
	struct mu_unit_links links = { 0 };
	struct mu_unit_list units = { 0 }, statics = { 0 };
	struct mu_err e = { 0 };
	const char *state = mu_arg_str(t, "state");
	bool mask_set = mu_arg_isset(t, "masked");
	bool mask = mask_set && mu_arg_bool(t, "masked");
	char *unit_path = NULL;
	char *cur = NULL;
	bool found_masked = false, config_masked = false, missing;
	int cfd = -1;
	int rc = 0;

	deferred[0] = '\0';
	if (!sd->unit)
		goto out;
	rc = mu_unit_find(&sd->paths, sd->unit, false, &unit_path, &found_masked, &e);
	if (rc && !(rc == MU_E_NOTFOUND && mask)) {
		rc = mu_result_fail(r, rc, "%s", e.msg);
		goto out;
	}
	rc = 0;
	mu_result_data(r, "unit_file", unit_path ? json_string(unit_path) : json_null());
	cfd = cfg_open(sd, NULL, false, &missing, &e);
	if (cfd < 0 && !missing) {
		rc = mu_result_fail(r, e.code, "%s", e.msg);
		goto out;
	}
	{
		enum link_state st = link_probe(sd, cfd, sd->unit, "/dev/null", &cur);

		config_masked = (st == L_OK || st == L_OWNER) && strcmp(cur, "/dev/null") == 0;
	}
	if (mask_set && !mask) {
		if (config_masked)
			drop_link(sd, cfd, "", sd->unit, "/dev/null", r);
		else if (found_masked) {
			rc = mu_result_fail(r, MU_E_SAFETY, "unit '%s' is masked by '%s', outside "
					    "'%s'; it cannot be unmasked here", sd->unit,
					    unit_path, sd->paths.config);
			goto out;
		}
	}
	if (mu_arg_isset(t, "enabled") && mu_arg_bool(t, "enabled")) {
		unsigned flags = mask_set && !mask ? MU_UNIT_SKIP_CONFIG_MASKS : 0;

		if (mu_unit_enable_links(&sd->paths, sd->unit, flags, &links, &units, &statics,
					 &e) != 0) {
			rc = mu_result_fail(r, e.code, "%s", e.msg);
			goto out;
		}
		for (size_t i = 0; i < statics.n; i++)
			mu_result_warn(r, "unit '%s' has no [Install] section (static): nothing "
				       "to enable", statics.v[i]);
		for (size_t i = 0; i < links.n && rc == 0; i++)
			rc = want_link(sd, links.v[i].dir, links.v[i].name, links.v[i].target, r);
		if (rc)
			goto out;
	} else if (mu_arg_isset(t, "enabled")) {
		if ((rc = plan_disable(sd, r)) != 0)
			goto out;
	}
	if (mask && (rc = want_link(sd, "", sd->unit, "/dev/null", r)) != 0)
		goto out;
	if (state && strcmp(state, "stopped") != 0) {
		char why[256];
		bool will_enable = mu_arg_isset(t, "enabled") ? mu_arg_bool(t, "enabled")
							     : offline_enabled(sd);

		no_manager_reason(sd, why, sizeof(why));
		snprintf(deferred, dlen, "%s deferred: %s",
			 strcmp(state, "started") == 0 ? "start" :
			 strcmp(state, "restarted") == 0 ? "restart" : "reload", why);
		mu_result_warn(r, "%s", deferred);
		if (!will_enable)
			mu_result_warn(r, "'%s' is not enabled, so it will not start when the "
				       "manager does", sd->unit);
		mu_result_data(r, "start_deferred", json_true());
	}
	mu_result_data(r, "active_state", json_string("inactive"));
out:
	if (cfd >= 0)
		close(cfd);
	free(cur);
	free(unit_path);
	mu_unit_links_release(&links);
	mu_unit_list_release(&units);
	mu_unit_list_release(&statics);
	return rc;
}

static int sd_check(struct mu_task *t, struct mu_result *r)
{
	struct sd *sd = mu_xcalloc(1, sizeof(*sd));
	struct mu_err e = { 0 };
	const char *name = mu_arg_str(t, "name");
	const char *state = mu_arg_str(t, "state");
	const char *user = mu_arg_str(t, "user");
	bool has_enabled = mu_arg_isset(t, "enabled");
	bool has_masked = mu_arg_isset(t, "masked");
	char deferred[512] = "";
	char lpath[300];
	size_t n;

	t->plan = sd;
	sd->user_scope = strcmp(mu_arg_str(t, "scope"), "user") == 0;
	if (!name && (has_enabled || has_masked || state))
		return mu_result_fail(r, MU_E_ARG, "systemd_service: 'name' is needed with "
				      "'enabled', 'masked' or 'state'");
	if (!name && !mu_arg_bool(t, "daemon_reload"))
		return mu_result_fail(r, MU_E_ARG, "systemd_service: nothing to do: give "
				      "'enabled', 'masked', 'state' or 'daemon_reload'");
	if (has_masked && mu_arg_bool(t, "masked") && has_enabled && mu_arg_bool(t, "enabled"))
		return mu_result_fail(r, MU_E_ARG, "systemd_service: 'masked: true' and "
				      "'enabled: true' contradict each other");
	if (has_masked && mu_arg_bool(t, "masked") && state && strcmp(state, "stopped") != 0)
		return mu_result_fail(r, MU_E_ARG, "systemd_service: a masked unit cannot be "
				      "%s", state);
	if (sd->user_scope && !user)
		return mu_result_fail(r, MU_E_ARG, "systemd_service: scope 'user' needs 'user': "
				      "whose user manager to use");
	if (name && mu_unit_name_normalize(name, &sd->unit, &e) != 0)
		return mu_result_fail(r, MU_E_ARG, "systemd_service: %s", e.msg);
	if (sd->user_scope) {
		char sock[64], bus[64];

		if (mu_user_get(user, &sd->u, &e) != 0)
			return mu_result_fail(r, e.code, "systemd_service: %s", e.msg);
		sd->uid = sd->u.uid;
		sd->gid = sd->u.gid;
		sd->self = geteuid() == sd->uid;
		snprintf(lpath, sizeof(lpath), "/var/lib/systemd/linger/%s", sd->u.name);
		sd->linger = access(lpath, F_OK) == 0;
		snprintf(sock, sizeof(sock), "/run/user/%u/systemd/private", (unsigned)sd->uid);
		snprintf(bus, sizeof(bus), "/run/user/%u/bus", (unsigned)sd->uid);
		sd->manager = is_socket(sock) || is_socket(bus);
		mu_unit_paths_init(&sd->paths, MU_UNIT_USER, sd->u.home, sd->uid);
	} else {
		mu_unit_paths_init(&sd->paths, MU_UNIT_SYSTEM, "/", 0);
	}
	sd->booted = is_dir("/run/systemd/system");
	if (!sd->user_scope)
		sd->manager = sd->booted;
	if (sd->user_scope && sd->manager && !sd->self && sd->booted)
		sd->via_machine = ctl_version() >= CTL_MACHINE_USER_VERSION;

	if (sd->unit)
		mu_result_data(r, "name", json_string(sd->unit));
	mu_result_data(r, "scope", json_string(sd->user_scope ? "user" : "system"));
	if (sd->user_scope) {
		mu_result_data(r, "user", json_string(sd->u.name));
		mu_result_data(r, "linger", json_boolean(sd->linger));
	}
	mu_result_data(r, "manager", json_string(sd->manager ? "running" : "none"));

	if (sd->manager) {
		if (online_check(t, sd, r) != 0)
			return MU_E_EXEC;
	} else if (offline_check(t, sd, r, deferred, sizeof(deferred)) != 0) {
		return r->status == MU_FAILED ? MU_E_ARG : 0;
	}
	if (r->status == MU_FAILED)
		return MU_E_ARG;

	n = json_array_size(r->changes);
	if (n == 0 && !sd->unit && !sd->manager)
		mu_result_msg(r, "no manager running: nothing to reload");
	else if (n == 0 && !sd->unit)
		mu_result_msg(r, t->check_mode ? "daemon-reload is not run in check mode"
					       : "reloaded the manager's units");
	else if (n == 0)
		mu_result_msg(r, "already in the desired state");
	else if (n == 1)
		mu_result_msg(r, "%s%s", t->check_mode ? "would " : "",
			      json_string_value(json_array_get(r->changes, 0)));
	else
		mu_result_msg(r, "%s%zu changes", t->check_mode ? "would make " : "", n);
	if (deferred[0])
		mu_buf_addf(&r->msg, "; %s", deferred);
	return 0;
}

/* ---- apply ---- */

static int apply_ctl(struct sd *sd, const struct step *s, struct mu_result *r)
{
	const char *args[] = { s->verb, "--", sd->unit, NULL };
	struct mu_buf err = MU_BUF_INIT;
	struct mu_err e = { 0 };
	int rc = ctl_run(sd, args, CTL_ACTION_TIMEOUT, NULL, &err, &e);

	mu_buf_rtrim(&err, "\n ");
	if (rc < 0)
		rc = mu_result_fail(r, rc, "systemd_service: %s", e.msg);
	else if (rc > 0)
		rc = mu_result_fail(r, MU_E_EXEC, "systemctl %s '%s' failed (exit %d)%s%.*s",
				    s->verb, sd->unit, rc, err.len ? ": " : "",
				    (int)(err.len > 400 ? 400 : err.len), err.buf);
	mu_buf_release(&err);
	return rc;
}

static int apply_link(struct sd *sd, const struct step *s, struct mu_result *r)
{
	struct mu_err e = { 0 };
	bool missing;
	int fd = cfg_open(sd, s->dir, s->kind != STEP_UNLINK, &missing, &e);
	char *path = link_path(sd, s->dir, s->name);
	char *tmp = NULL;
	struct stat st;
	int rc = 0;

	if (fd < 0) {
		if (!(missing && s->kind == STEP_UNLINK))
			rc = mu_result_fail(r, e.code, "%s", e.msg);
		goto out;
	}
	switch (s->kind) {
	case STEP_LINK:
		if (symlinkat(s->target, fd, s->name) < 0) {
			mu_err_sys(&e, "cannot create symlink '%s'", path);
			rc = mu_result_fail(r, MU_E_SYS, "%s", e.msg);
			goto out;
		}
		break;
	case STEP_RELINK:
		/* A new link renamed over the old one: never a moment without it. */
		tmp = mu_xasprintf(".#%s.muster", s->name);
		unlinkat(fd, tmp, 0);
		if (symlinkat(s->target, fd, tmp) < 0 ||
		    fchownat(fd, tmp, sd->uid, sd->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    renameat(fd, tmp, fd, s->name) < 0) {
			mu_err_sys(&e, "cannot replace symlink '%s'", path);
			unlinkat(fd, tmp, 0);
			rc = mu_result_fail(r, MU_E_SYS, "%s", e.msg);
			goto out;
		}
		break;
	case STEP_UNLINK:
		if (fstatat(fd, s->name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
		    unlinkat(fd, s->name, 0) < 0) {
			mu_err_sys(&e, "cannot remove symlink '%s'", path);
			rc = mu_result_fail(r, MU_E_SYS, "%s", e.msg);
			goto out;
		}
		if (s->dir && *s->dir) {
			/* systemctl leaves no empty .wants directory behind; nor do we. */
			int cfd = cfg_open(sd, NULL, false, &missing, &e);

			if (cfd >= 0) {
				unlinkat(cfd, s->dir, AT_REMOVEDIR);
				close(cfd);
			}
		}
		goto out;
	case STEP_CHOWN:
	case STEP_CTL:
		break;
	}
	if (fchownat(fd, s->name, sd->uid, sd->gid, AT_SYMLINK_NOFOLLOW) < 0) {
		mu_err_sys(&e, "cannot give symlink '%s' to uid %u", path, (unsigned)sd->uid);
		rc = mu_result_fail(r, MU_E_SYS, "%s", e.msg);
	}
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	free(path);
	return rc;
}

static int sd_apply(struct mu_task *t, struct mu_result *r)
{
	struct sd *sd = t->plan;
	int rc = 0;

	for (size_t i = 0; sd && i < sd->nsteps && rc == 0; i++)
		rc = sd->steps[i].kind == STEP_CTL ? apply_ctl(sd, &sd->steps[i], r)
						   : apply_link(sd, &sd->steps[i], r);
	return rc;
}

const struct mu_module mu_mod_systemd_service = {
	.name = "systemd_service",
	.aliases = sd_aliases,
	.args = sd_args,
	.summary = "enable, mask and start systemd units, for the system or one user; "
		   "offline when no manager runs",
	.check = sd_check,
	.apply = sd_apply,
	.plan_free = sd_free,
};
