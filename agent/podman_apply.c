/*
 * Carrying out the container migration's plan (see podman_plan.h).
 *
 * Per container, in this order: copy the image (save as root, load as the
 * user), create the user's networks, create and fill the user's volumes,
 * shift bind-mount ownership, create the user's container without starting
 * it, stop the rootful one (it holds the published ports), start the
 * user's one and check that it stays up. If it does not, everything this
 * run did for that container is undone and the rootful container is
 * started again, so a failed cutover leaves the host as it was. Then the
 * rootful restart policy is turned off (where podman can), and a record
 * is written for rollback. Rootful data is removed only with
 * remove_rootful.
 */
#include "podman_plan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "fileio.h"
#include "podman_boot.h"
#include "podman_cli.h"
#include "podman_def.h"
#include "podman_record.h"
#include "podman_shiftreg.h"

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- temp space in /var/tmp, owned by the user so its podman can read ---- */

struct tmp {
	char dir[64];
	char file[96];
};

static int tmp_make(const struct pm_plan *p, struct tmp *t, struct mu_err *e)
{
	snprintf(t->dir, sizeof(t->dir), "/var/tmp/muster-podman-XXXXXX");
	t->file[0] = '\0';
	if (!mkdtemp(t->dir)) {
		t->dir[0] = '\0';
		return mu_err_sys(e, "cannot make a temporary directory in '/var/tmp'");
	}
	snprintf(t->file, sizeof(t->file), "%s/copy.tar", t->dir);
	if (chown(t->dir, p->user.uid, p->user.gid) < 0)
		return mu_err_sys(e, "cannot give '%s' to '%s'", t->dir, p->user.name);
	return 0;
}

/* Hand the file root wrote to the user, readable by nobody else. */
static int tmp_give(const struct pm_plan *p, struct tmp *t, struct mu_err *e)
{
	if (chown(t->file, p->user.uid, p->user.gid) < 0 || chmod(t->file, 0600) < 0)
		return mu_err_sys(e, "cannot give '%s' to '%s'", t->file, p->user.name);
	return 0;
}

static void tmp_drop(struct tmp *t)
{
	if (t->file[0])
		unlink(t->file);
	if (t->dir[0])
		rmdir(t->dir);
	t->dir[0] = t->file[0] = '\0';
}

/* ---- small podman steps ---- */

static int as_user(const struct pm_plan *p, const char *const *args, unsigned timeout,
		   struct mu_buf *out, struct mu_err *e)
{
	struct pm_call c = { .user = p->user.name, .timeout = timeout };

	return pm_run(&c, args, out, e);
}

static int as_root(const char *const *args, unsigned timeout, struct mu_err *e)
{
	struct pm_call c = { .timeout = timeout };

	return pm_run(&c, args, NULL, e);
}

static unsigned stop_wait(const struct pm_plan *p)
{
	return (unsigned)p->stop_timeout + 60u;
}

static int stop_rootful(const struct pm_plan *p, const char *name, struct mu_err *e)
{
	char t[32];
	const char *args[] = { "stop", "-t", t, name, NULL };

	snprintf(t, sizeof(t), "%ld", p->stop_timeout);
	return as_root(args, stop_wait(p), e);
}

static int start_rootful(const char *name, struct mu_err *e)
{
	const char *args[] = { "start", name, NULL };

	return as_root(args, 0, e);
}

static int inspect_state(const struct pm_plan *p, bool user, const char *name,
			 bool *running, long long *restarts, long long *exit_code,
			 struct mu_err *e)
{
	struct pm_call c = { .user = user ? p->user.name : NULL };
	json_t *ins = NULL;
	int r = pm_inspect(&c, "container", name, &ins, e);

	*running = false;
	*restarts = *exit_code = 0;
	if (r == 0 && !ins)
		r = mu_err_set(e, MU_E_NOTFOUND, "container '%s' is gone", name);
	if (r == 0) {
		json_t *st = json_object_get(ins, "State");

		*running = json_is_true(json_object_get(st, "Running"));
		*restarts = json_integer_value(json_object_get(ins, "RestartCount"));
		*exit_code = json_integer_value(json_object_get(st, "ExitCode"));
	}
	json_decref(ins);
	return r;
}

/*
 * Is the container up, and still up a second later without a restart?
 * Tries for about five seconds. On failure e says what was seen.
 */
static int verify_running(const struct pm_plan *p, bool user, const char *name,
			  struct mu_err *e)
{
	bool running = false, again = false;
	long long restarts = 0, restarts2 = 0, code = 0;
	int r;

	for (int i = 0; i < 20 && !running; i++) {
		sleep_ms(250);
		if ((r = inspect_state(p, user, name, &running, &restarts, &code, e)) != 0)
			return r;
	}
	if (!running)
		return mu_err_set(e, MU_E_EXEC, "'%s' is not running (exit code %lld)", name, code);
	sleep_ms(1000);
	if ((r = inspect_state(p, user, name, &again, &restarts2, &code, e)) != 0)
		return r;
	if (!again || restarts2 != restarts)
		return mu_err_set(e, MU_E_EXEC, "'%s' did not stay up (exit code %lld, %lld "
				  "restarts)", name, code, restarts2);
	return 0;
}

/* The last lines of the user's container log, for a failure message. */
static void log_tail(const struct pm_plan *p, const char *name, struct mu_buf *out)
{
	const char *args[] = { "logs", "--tail", "5", name, NULL };
	struct pm_call c = { .user = p->user.name };
	struct mu_err e = { 0 };

	pm_try(&c, args, out, out, &e);
	while (out->len && (out->buf[out->len - 1] == '\n' || out->buf[out->len - 1] == ' '))
		out->buf[--out->len] = '\0';
	for (size_t i = 0; i < out->len; i++)
		if (out->buf[i] == '\n')
			out->buf[i] = '|';
}

/* ---- the user's runtime dir and API socket ---- */

int pm_apply_runtime_dir(const struct pm_plan *p, struct mu_err *e)
{
	char *rt = pm_runtime_dir(p->user.uid);
	struct stat st;
	int r = 0;

	if (stat(rt, &st) == 0)
		goto out;
	if (mkdir("/run/user", 0755) < 0 && errno != EEXIST) {
		r = mu_err_sys(e, "cannot create '/run/user'");
		goto out;
	}
	if (mkdir(rt, 0700) < 0 || chown(rt, p->user.uid, p->user.gid) < 0 ||
	    chmod(rt, 0700) < 0)
		r = mu_err_sys(e, "cannot create '%s' for '%s'", rt, p->user.name);
out:
	free(rt);
	return r;
}

static int start_service(const struct pm_plan *p, struct mu_result *res, struct mu_err *e)
{
	char *rt = pm_runtime_dir(p->user.uid);
	char *dir = mu_xasprintf("%s/podman", rt);
	char *pid = mu_xasprintf("%s/muster-service.pid", dir);
	char *sock = pm_user_socket(p->user.uid);
	char *url = mu_xasprintf("unix://%s", sock);
	char *ssd = pm_find_prog("start-stop-daemon");
	char *podman = pm_find_prog("podman");
	struct mu_child c = MU_CHILD_INIT;
	struct mu_buf err = MU_BUF_INIT;
	struct stat st;
	int r = 0;

	if (!ssd || !podman) {
		r = mu_err_set(e, MU_E_NOTFOUND, "cannot start the user's podman service: '%s' "
			       "not found", ssd ? "podman" : "start-stop-daemon");
		goto out;
	}
	if ((mkdir(dir, 0700) < 0 && errno != EEXIST) ||
	    chown(dir, p->user.uid, p->user.gid) < 0) {
		r = mu_err_sys(e, "cannot create '%s'", dir);
		goto out;
	}
	/* start-stop-daemon detaches and closes our pipes, so we do not wait on it. */
	c.argv = (const char *const[]){ ssd, "--start", "--background", "--pidfile", pid,
					"--make-pidfile", "--exec", podman, "--", "system",
					"service", "--time=0", url, NULL };
	c.user = p->user.name;
	c.timeout_sec = 30;
	r = mu_child_run(&c, NULL, &err, e);
	if (r > 0) {
		r = mu_err_set(e, MU_E_EXEC, "cannot start 'podman system service' for '%s': %.200s",
			       p->user.name, err.buf);
		goto out;
	}
	if (r < 0)
		goto out;
	for (int i = 0; i < 40; i++) {
		if (stat(sock, &st) == 0 && S_ISSOCK(st.st_mode))
			break;
		sleep_ms(250);
	}
	if (stat(sock, &st) != 0 || !S_ISSOCK(st.st_mode)) {
		r = mu_err_set(e, MU_E_TIMEOUT, "'podman system service' for '%s' did not create "
			       "'%s' within 10 s", p->user.name, sock);
		goto out;
	}
	mu_result_warn(res, "started 'podman system service' for '%s' (pid file '%s'); it does "
		       "not survive a reboot: enable podman.socket for the user", p->user.name, pid);
out:
	mu_buf_release(&err);
	free(rt);
	free(dir);
	free(pid);
	free(sock);
	free(url);
	free(ssd);
	free(podman);
	return r;
}

/* ---- preparing the user's side ---- */

/* The rootful reference for the image: its name if that still means this ID. */
static char *rootful_ref(const json_t *def)
{
	const char *name = jstr(def, "image");
	const char *id = jstr(def, "image_id");
	json_t *img = NULL;
	struct mu_err e = { 0 };
	char *ref;

	if (name[0] && pm_inspect(NULL, "image", name, &img, &e) == 0 && img &&
	    strcmp(jstr(img, "Id"), id) == 0)
		ref = mu_xstrdup(name);
	else
		ref = mu_xstrdup(id);
	json_decref(img);
	return ref;
}

/* The user's reference for the image: the name if it is this ID there. */
static char *user_ref(const struct pm_plan *p, const json_t *def)
{
	const char *name = jstr(def, "image");
	const char *id = jstr(def, "image_id");
	struct pm_call c = { .user = p->user.name };
	json_t *img = NULL;
	struct mu_err e = { 0 };
	char *ref;

	if (name[0] && pm_inspect(&c, "image", name, &img, &e) == 0 && img &&
	    strcmp(jstr(img, "Id"), id) == 0)
		ref = mu_xstrdup(name);
	else
		ref = mu_xstrdup(id);
	json_decref(img);
	return ref;
}

static int load_image(struct pm_plan *p, struct pm_item *it, struct mu_err *e)
{
	struct tmp t = { 0 };
	char *ref = rootful_ref(it->def);
	const char *id = jstr(it->def, "image_id");
	int r;

	if ((r = tmp_make(p, &t, e)) != 0)
		goto out;
	{
		const char *save[] = { "save", "-o", t.file, ref, NULL };
		const char *load[] = { "load", "-q", "-i", t.file, NULL };
		const char *exists[] = { "image", "exists", id, NULL };

		if ((r = as_root(save, PM_TIMEOUT_COPY, e)) != 0 ||
		    (r = tmp_give(p, &t, e)) != 0 ||
		    (r = as_user(p, load, PM_TIMEOUT_COPY, NULL, e)) != 0)
			goto out;
		if (as_user(p, exists, 0, NULL, e) != 0) {
			r = mu_err_set(e, MU_E_EXEC, "image %.12s is not in the storage of '%s' "
				       "after 'podman load'", id, p->user.name);
			goto out;
		}
	}
	it->image_loaded = true;
out:
	tmp_drop(&t);
	free(ref);
	return r;
}

/* `podman network create` for n as the user, with or without its subnets. */
static int create_network(struct pm_plan *p, const json_t *n, bool subnets, struct mu_err *e)
{
	const char *args[32];
	size_t k = 0, j;
	json_t *s;

	args[k++] = "network";
	args[k++] = "create";
	json_array_foreach(subnets ? json_object_get(n, "subnets") : NULL, j, s) {
		if (k > 24)
			break;
		args[k++] = "--subnet";
		args[k++] = jstr(s, "subnet");
		if (jstr(s, "gateway")[0]) {
			args[k++] = "--gateway";
			args[k++] = jstr(s, "gateway");
		}
	}
	if (json_is_true(json_object_get(n, "internal")))
		args[k++] = "--internal";
	if (json_is_true(json_object_get(n, "ipv6")))
		args[k++] = "--ipv6";
	args[k++] = jstr(n, "name");
	args[k] = NULL;
	return as_user(p, args, 0, NULL, e);
}

static int create_networks(struct pm_plan *p, struct pm_item *it, struct mu_result *res,
			   struct mu_err *e)
{
	size_t i;
	json_t *n;

	json_array_foreach(it->networks, i, n) {
		int r = create_network(p, n, true, e);

		/*
		 * While the rootful network's bridge is up, podman refuses its
		 * subnet to the user even though the user's network lives in
		 * another namespace: let podman pick one, and say so.
		 */
		if (r && json_array_size(json_object_get(n, "subnets")) &&
		    strstr(e->msg, "already used")) {
			mu_result_warn(res, "%s: the subnet of network '%s' is in use on the host "
				       "(the rootful network); the user's network got another one",
				       it->name, jstr(n, "name"));
			r = create_network(p, n, false, e);
		}
		if (r)
			return r;
		json_array_append_new(it->done_networks, json_string(jstr(n, "name")));
	}
	return 0;
}

/*
 * Put the rootful volume's root owner and mode on the user's volume, as the
 * container sees them: `podman volume import` keeps the files' owners but
 * not those of the volume's own directory.
 */
static int fix_volume_root(struct pm_plan *p, const json_t *v, struct mu_err *e)
{
	struct pm_call c = { .user = p->user.name };
	json_t *uv = NULL;
	unsigned long uid = 0, gid = 0;
	unsigned long cu = (unsigned long)json_integer_value(json_object_get(v, "uid"));
	unsigned long cg = (unsigned long)json_integer_value(json_object_get(v, "gid"));
	unsigned mode = (unsigned)json_integer_value(json_object_get(v, "mode"));
	struct stat st;
	char own[64], md[16];
	int r;

	if ((r = pm_inspect(&c, "volume", jstr(v, "name"), &uv, e)) != 0)
		goto out;
	if (!uv) {
		r = mu_err_set(e, MU_E_NOTFOUND, "volume '%s' of '%s' vanished", jstr(v, "name"),
			       p->user.name);
		goto out;
	}
	pm_map_uid(&p->map, cu, false, &uid);
	pm_map_gid(&p->map, cg, false, &gid);
	if (stat(jstr(uv, "Mountpoint"), &st) != 0) {
		r = mu_err_sys(e, "cannot stat '%s'", jstr(uv, "Mountpoint"));
		goto out;
	}
	snprintf(own, sizeof(own), "%lu:%lu", cu, cg);
	snprintf(md, sizeof(md), "%04o", mode);
	if (st.st_uid != uid || st.st_gid != gid) {
		const char *args[] = { "unshare", "chown", own, jstr(uv, "Mountpoint"), NULL };

		if ((r = as_user(p, args, 0, NULL, e)) != 0)
			goto out;
	}
	if ((st.st_mode & 07777) != mode) {
		const char *args[] = { "unshare", "chmod", md, jstr(uv, "Mountpoint"), NULL };

		if ((r = as_user(p, args, 0, NULL, e)) != 0)
			goto out;
	}
out:
	json_decref(uv);
	return r;
}

static int copy_volumes(struct pm_plan *p, struct pm_item *it, struct mu_err *e)
{
	size_t i;
	json_t *v;

	json_array_foreach(it->volumes, i, v) {
		const char *name = jstr(v, "name");
		struct tmp t = { 0 };
		char opt[96];
		int r;

		if (json_is_true(json_object_get(v, "create"))) {
			const char *plain[] = { "volume", "create", name, NULL };
			const char *owned[] = { "volume", "create", "--opt", opt, name, NULL };
			json_int_t u = json_integer_value(json_object_get(v, "uid"));
			json_int_t g = json_integer_value(json_object_get(v, "gid"));

			/* uid/gid options also stop podman re-owning the root on first use */
			snprintf(opt, sizeof(opt), "o=uid=%lld,gid=%lld", (long long)u, (long long)g);
			if ((r = as_user(p, u || g ? owned : plain, 0, NULL, e)) != 0)
				return r;
			json_array_append_new(it->done_volumes, json_string(name));
		}
		if ((r = tmp_make(p, &t, e)) == 0) {
			const char *exp[] = { "volume", "export", "-o", t.file, name, NULL };
			const char *imp[] = { "volume", "import", name, t.file, NULL };

			if ((r = as_root(exp, PM_TIMEOUT_COPY, e)) == 0 &&
			    (r = tmp_give(p, &t, e)) == 0)
				r = as_user(p, imp, PM_TIMEOUT_COPY, NULL, e);
		}
		tmp_drop(&t);
		if (r == 0)
			r = fix_volume_root(p, v, e);
		if (r)
			return r;
	}
	return 0;
}

static int shift_binds(struct pm_plan *p, struct pm_item *it, struct mu_err *e)
{
	size_t i;
	json_t *s;

	json_array_foreach(it->shifts, i, s) {
		struct pm_shift_opts o = { .registered = json_object_get(s, "registered_inside") };
		json_t *rep = NULL, *reg;
		int r = pm_shift_tree_opts(jstr(s, "path"), &p->map, &o, &rep, e);
		int rs;

		/*
		 * Registered and recorded even when it stopped halfway: undo walks
		 * it back, and no later run shifts the part done a second time.
		 */
		reg = pm_reg_new(p->user.name, jstr(s, "path"), &p->map, "podman_migrate", rep);
		json_object_set_new(reg, "container", json_string(it->name));
		rs = pm_reg_save(p->shift_registry, reg, r ? NULL : e);
		json_decref(reg);
		/* unregistered, undo must still walk it back (unshift() goes by this) */
		json_object_set_new(rep, "registered", json_boolean(rs == 0));
		if (r == 0)
			r = rs;
		json_array_append_new(it->done_shifts, rep);
		if (r)
			return r;
	}
	return 0;
}

/*
 * Shift a recorded tree back, unless the registry says it is no longer
 * shifted (podman_chown restored it): never twice. Trees inside it with
 * records of their own are left to their owners.
 */
static int unshift(struct pm_plan *p, const json_t *s, const struct pm_idmap *m,
		   bool *skipped, struct mu_err *e)
{
	const char *path = jstr(s, "path");
	bool registered = json_is_true(json_object_get(s, "registered"));
	struct pm_shift_opts o = { .reverse = true };
	json_t *all = NULL, *nested = NULL, *rep = NULL;
	const json_t *cov;
	int r;

	*skipped = false;
	if ((r = pm_reg_list(p->shift_registry, &all, e)) != 0)
		goto out;
	cov = pm_reg_covering(all, path);
	if (registered && (!cov || strcmp(jstr(cov, "path"), path) != 0 ||
			   strcmp(jstr(cov, "user"), p->user.name) != 0)) {
		*skipped = true;
		goto out;
	}
	nested = pm_reg_nested(all, path);
	o.skip = nested;
	if ((r = pm_shift_tree_opts(path, m, &o, &rep, e)) != 0)
		goto out;
	if (registered)
		r = pm_reg_remove(p->shift_registry, p->user.name, path, e);
out:
	json_decref(rep);
	json_decref(nested);
	json_decref(all);
	return r;
}

/* Undo the preparation of one container (best effort; problems are warned). */
static void undo_prep(struct pm_plan *p, struct pm_item *it, struct mu_result *res)
{
	size_t i;
	json_t *v;

	json_array_foreach(it->done_shifts, i, v) {
		struct mu_err e = { 0 };
		bool skipped;

		if (unshift(p, v, &p->map, &skipped, &e) != 0)
			mu_result_warn(res, "%s: could not shift '%s' back: %s", it->name,
				       jstr(v, "path"), e.msg);
	}
	json_array_clear(it->done_shifts);
	json_array_foreach(it->done_volumes, i, v) {
		const char *args[] = { "volume", "rm", json_string_value(v), NULL };
		struct mu_err e = { 0 };

		if (as_user(p, args, 0, NULL, &e) != 0)
			mu_result_warn(res, "%s: %s", it->name, e.msg);
	}
	json_array_clear(it->done_volumes);
	json_array_foreach(it->done_networks, i, v) {
		const char *args[] = { "network", "rm", json_string_value(v), NULL };
		struct mu_err e = { 0 };

		if (as_user(p, args, 0, NULL, &e) != 0)
			mu_result_warn(res, "%s: %s", it->name, e.msg);
	}
	json_array_clear(it->done_networks);
}

/* ---- record ---- */

static int write_record(struct pm_plan *p, struct pm_item *it, bool restart_changed,
			bool after_the_fact, struct mu_err *e)
{
	const json_t *hc = json_object_get(it->inspect, "HostConfig");
	const json_t *old = json_object_get(it->record, "inspect");
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	json_t *rec;
	int r;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	rec = json_pack("{s:i, s:s, s:I, s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I, s:I}}",
			"version", PM_RECORD_VERSION, "user", p->user.name,
			"uid", (json_int_t)p->user.uid, "name", it->name, "migrated_at", when,
			"idmap", "uid", (json_int_t)p->map.uid, "gid", (json_int_t)p->map.gid,
			"ustart", (json_int_t)p->map.ustart, "ucount", (json_int_t)p->map.ucount,
			"gstart", (json_int_t)p->map.gstart, "gcount", (json_int_t)p->map.gcount);
	json_object_set(rec, "inspect", it->inspect ? it->inspect : (json_t *)old);
	json_object_set(rec, "definition", it->want);
	json_object_set_new(rec, "image", json_pack("{s:s, s:s, s:b}", "id",
		jstr(it->def, "image_id"), "name", jstr(it->def, "image"), "loaded",
		it->image_loaded));
	{
		json_t *vols = json_array();
		size_t i;
		json_t *v;

		json_array_foreach(it->volumes, i, v) {
			json_t *c = json_deep_copy(v);
			bool created = false;
			size_t k;
			json_t *d;

			json_array_foreach(it->done_volumes, k, d)
				created = created || strcmp(json_string_value(d), jstr(v, "name")) == 0;
			json_object_set_new(c, "created", json_boolean(created));
			json_array_append_new(vols, c);
		}
		json_object_set_new(rec, "volumes", vols);
	}
	json_object_set(rec, "networks_created", it->done_networks);
	json_object_set(rec, "shifts", it->done_shifts);
	json_object_set(rec, "shifts_skipped", it->shifts_skipped);
	json_object_set_new(rec, "socket_rewritten", json_boolean(it->socket));
	json_object_set_new(rec, "rootful_was_running", json_boolean(
		it->action == PM_MIGRATE ? it->rootful_running
		: it->record ? json_is_true(json_object_get(it->record, "rootful_was_running"))
		: true));
	json_object_set_new(rec, "rootful_restart", json_pack("{s:s, s:I}", "name",
		jstr(json_object_get(hc, "RestartPolicy"), "Name"), "retries",
		json_integer_value(json_object_get(json_object_get(hc, "RestartPolicy"),
						   "MaximumRetryCount"))));
	json_object_set_new(rec, "restart_changed", json_boolean(restart_changed));
	json_object_set_new(rec, "rootful_removed", json_false());
	if (after_the_fact)
		json_object_set_new(rec, "note", json_string(
			"written after the fact: what was copied and shifted is not known"));
	r = pm_record_save(p->record_dir, p->user.name, it->name, rec, e);
	json_decref(it->record);
	it->record = rec;
	return r;
}

static void mark_removed(struct pm_plan *p, struct pm_item *it, struct mu_result *res)
{
	struct mu_err e = { 0 };

	json_object_set_new(it->record, "rootful_removed", json_true());
	if (pm_record_save(p->record_dir, p->user.name, it->name, it->record, &e) != 0)
		mu_result_warn(res, "%s: %s", it->name, e.msg);
}

/* ---- after the cutover: the rootful side ---- */

static int settle_rootful(struct pm_plan *p, struct pm_item *it, struct mu_result *res,
			  bool *restart_changed, struct mu_err *e)
{
	int r;

	*restart_changed = false;
	if (it->restart_no) {
		const char *args[] = { "update", "--restart", "no", it->name, NULL };

		if ((r = as_root(args, 0, e)) != 0)
			return r;
		*restart_changed = true;
	}
	/*
	 * Without `podman update --restart` the rootful container keeps its
	 * policy; the boot restart is dealt with once for the host (plan_boot).
	 */
	(void)p;
	(void)res;
	return 0;
}

static void remove_rootful(struct pm_plan *p, struct pm_item *it, struct mu_result *res)
{
	const char *rm[] = { "rm", it->name, NULL };
	struct mu_err e = { 0 };
	size_t i;
	json_t *v;

	if (as_root(rm, 0, &e) != 0) {
		mu_result_warn(res, "%s: %s", it->name, e.msg);
		return;
	}
	mark_removed(p, it, res);
	json_array_foreach(it->volumes, i, v) {
		const char *vrm[] = { "volume", "rm", jstr(v, "name"), NULL };

		/* refused by podman while another container uses it: fine */
		if (as_root(vrm, 0, &e) != 0)
			mu_result_warn(res, "%s: rootful volume '%s' kept: %s", it->name,
				       jstr(v, "name"), e.msg);
	}
}

/* ---- one container ---- */

static int migrate_item(struct pm_plan *p, struct pm_item *it, struct mu_result *res)
{
	struct mu_err e = { 0 };
	char **args = NULL;
	char *ref = NULL;
	bool created = false, stopped = false, restart_changed = false;
	int r;

	if (it->load_image && (r = load_image(p, it, &e)) != 0)
		goto fail;
	if ((r = create_networks(p, it, res, &e)) != 0 || (r = copy_volumes(p, it, &e)) != 0 ||
	    (r = shift_binds(p, it, &e)) != 0)
		goto fail;
	ref = user_ref(p, it->def);
	args = pm_def_create_args(it->want, ref);
	if ((r = as_user(p, (const char *const *)args, 0, NULL, &e)) != 0)
		goto fail;
	created = true;
	if (it->stop_rootful) {
		if ((r = stop_rootful(p, it->name, &e)) != 0)
			goto fail;
		stopped = true;
	}
	if (it->start_rootless) {
		const char *start[] = { "start", it->name, NULL };

		if ((r = as_user(p, start, 0, NULL, &e)) != 0 ||
		    (r = verify_running(p, true, it->name, &e)) != 0)
			goto fail;
	}
	/* The cutover stands even when the rootful policy cannot be changed. */
	if (settle_rootful(p, it, res, &restart_changed, &e) != 0)
		mu_result_warn(res, "%s: %s", it->name, e.msg);
	if ((r = write_record(p, it, restart_changed, false, &e)) != 0) {
		mu_result_fail(res, r, "podman_migrate: '%s' runs rootless now, but the record "
			       "could not be written: %s", it->name, e.msg);
		goto out;
	}
	if (it->remove_rootful)
		remove_rootful(p, it, res);
	goto out;
fail:
	{
		struct mu_buf logs = MU_BUF_INIT;
		struct mu_err e2 = { 0 };
		const char *again = "";

		if (created) {
			const char *rm[] = { "rm", "-f", it->name, NULL };

			log_tail(p, it->name, &logs);
			if (as_user(p, rm, stop_wait(p), NULL, &e2) != 0)
				mu_result_warn(res, "%s: %s", it->name, e2.msg);
		}
		undo_prep(p, it, res);
		if (stopped) {
			again = start_rootful(it->name, &e2) == 0
				? "; the rootful container runs again"
				: "; the rootful container could NOT be started again";
		}
		mu_result_fail(res, r, "podman_migrate: migrating '%s' failed: %s%s%s%s; "
			       "its changes were undone%s", it->name, e.msg,
			       logs.len ? " (log: " : "", logs.buf, logs.len ? ")" : "", again);
		mu_buf_release(&logs);
	}
out:
	pm_args_free(args);
	free(ref);
	return r;
}

static int finish_item(struct pm_plan *p, struct pm_item *it, struct mu_result *res)
{
	struct mu_err e = { 0 };
	bool stopped = false, restart_changed = false;
	int r = 0;

	if (it->stop_rootful) {
		if ((r = stop_rootful(p, it->name, &e)) != 0)
			goto fail;
		stopped = true;
	}
	if (it->start_rootless) {
		const char *start[] = { "start", it->name, NULL };

		if ((r = as_user(p, start, 0, NULL, &e)) != 0 ||
		    (r = verify_running(p, true, it->name, &e)) != 0) {
			if (stopped)
				start_rootful(it->name, NULL);
			goto fail;
		}
	}
	if ((r = settle_rootful(p, it, res, &restart_changed, &e)) != 0)
		goto fail;
	if (it->write_record || restart_changed) {
		if (it->record && !it->write_record) {
			json_object_set_new(it->record, "restart_changed", json_true());
			r = pm_record_save(p->record_dir, p->user.name, it->name, it->record, &e);
		} else {
			r = write_record(p, it, restart_changed, true, &e);
		}
		if (r)
			goto fail;
	}
	if (it->remove_rootful)
		remove_rootful(p, it, res);
	return 0;
fail:
	return mu_result_fail(res, r, "podman_migrate: '%s': %s", it->name, e.msg);
}

/* ---- rollback ---- */

static void record_map(const struct pm_plan *p, const json_t *rec, struct pm_idmap *m)
{
	const json_t *im = json_object_get(rec, "idmap");

	*m = p->map;
	if (!json_is_object(im))
		return;
	m->uid = (unsigned long)json_integer_value(json_object_get(im, "uid"));
	m->gid = (unsigned long)json_integer_value(json_object_get(im, "gid"));
	m->ustart = (unsigned long)json_integer_value(json_object_get(im, "ustart"));
	m->ucount = (unsigned long)json_integer_value(json_object_get(im, "ucount"));
	m->gstart = (unsigned long)json_integer_value(json_object_get(im, "gstart"));
	m->gcount = (unsigned long)json_integer_value(json_object_get(im, "gcount"));
}

/* Copy the user's volume back over the rootful one (which is emptied first). */
static int copy_back(struct pm_plan *p, const json_t *v, struct mu_err *e)
{
	const char *name = jstr(v, "name");
	struct pm_call uc = { .user = p->user.name };
	json_t *uv = NULL, *rv = NULL;
	struct tmp t = { 0 };
	int r;

	if ((r = pm_inspect(&uc, "volume", name, &uv, e)) != 0)
		goto out;
	if (!uv)
		goto out; /* nothing to bring back */
	if ((r = pm_inspect(NULL, "volume", name, &rv, e)) != 0)
		goto out;
	if (!rv) {
		const char *create[] = { "volume", "create", name, NULL };

		if ((r = as_root(create, 0, e)) != 0 ||
		    (r = pm_inspect(NULL, "volume", name, &rv, e)) != 0)
			goto out;
	}
	if ((r = tmp_make(p, &t, e)) != 0)
		goto out;
	{
		const char *exp[] = { "volume", "export", "-o", t.file, name, NULL };
		const char *imp[] = { "volume", "import", name, t.file, NULL };
		const char *mp = jstr(rv, "Mountpoint");

		if ((r = as_user(p, exp, PM_TIMEOUT_COPY, NULL, e)) != 0 ||
		    (r = pm_tree_empty(mp, e)) != 0 ||
		    (r = as_root(imp, PM_TIMEOUT_COPY, e)) != 0)
			goto out;
		if (chown(mp, (uid_t)json_integer_value(json_object_get(v, "uid")),
			  (gid_t)json_integer_value(json_object_get(v, "gid"))) < 0 ||
		    chmod(mp, (mode_t)json_integer_value(json_object_get(v, "mode"))) < 0) {
			r = mu_err_sys(e, "cannot restore the owner and mode of '%s'", mp);
			goto out;
		}
	}
out:
	tmp_drop(&t);
	json_decref(uv);
	json_decref(rv);
	return r;
}

/* Set the container a registered tree is kept shifted for. */
static int reg_set_container(struct pm_plan *p, const char *path, const char *name,
			     struct mu_err *e)
{
	json_t *all = NULL, *rec;
	const json_t *cov;
	int r;

	if ((r = pm_reg_list(p->shift_registry, &all, e)) != 0)
		goto out;
	cov = pm_reg_covering(all, path);
	if (!cov || strcmp(jstr(cov, "path"), path) != 0)
		goto out;
	rec = json_deep_copy(cov);
	json_object_set_new(rec, "container", json_string(name));
	r = pm_reg_save(p->shift_registry, rec, e);
	json_decref(rec);
out:
	json_decref(all);
	return r;
}

/*
 * A tree this container's migration shifted may be used by another
 * migrated container of the user, which found it registered and left it
 * (shifts_skipped). Shifting it back now would pull the ground from under
 * that container: the tree, and the duty to shift it back at its own
 * rollback, go to that container's record instead. *to gets its name
 * (caller frees) or NULL when no one else uses the tree.
 */
static int hand_over(struct pm_plan *p, const struct pm_item *it, const json_t *shift,
		     char **to, struct mu_err *e)
{
	const char *path = jstr(shift, "path");
	json_t *names = pm_record_list(p->record_dir, p->user.name);
	size_t i;
	json_t *n;
	int r = 0;

	*to = NULL;
	json_array_foreach(names, i, n) {
		const char *name = json_string_value(n);
		json_t *other = NULL, *skipped;
		size_t k;
		json_t *sk;

		if (strcmp(name, it->name) == 0)
			continue;
		if ((r = pm_record_load(p->record_dir, p->user.name, name, &other, e)) != 0)
			break;
		skipped = json_object_get(other, "shifts_skipped");
		json_array_foreach(skipped, k, sk) {
			if (strcmp(jstr(sk, "registered_path"), path) != 0)
				continue;
			json_array_remove(skipped, k);
			if (!json_is_array(json_object_get(other, "shifts")))
				json_object_set_new(other, "shifts", json_array());
			json_array_append(json_object_get(other, "shifts"), (json_t *)shift);
			if ((r = pm_record_save(p->record_dir, p->user.name, name, other, e)) == 0 &&
			    (r = reg_set_container(p, path, name, e)) == 0)
				*to = mu_xstrdup(name);
			break;
		}
		json_decref(other);
		if (r || *to)
			break;
	}
	json_decref(names);
	return r;
}

static int rollback_item(struct pm_plan *p, struct pm_item *it, struct mu_result *res)
{
	const json_t *rec;
	struct pm_idmap m;
	struct mu_err e = { 0 };
	json_t *fresh = NULL;
	size_t i;
	json_t *v;
	int r = 0;

	/* an earlier rollback in this run may have handed it a tree (hand_over) */
	if (pm_record_load(p->record_dir, p->user.name, it->name, &fresh, &e) == 0 && fresh) {
		json_decref(it->record);
		it->record = fresh;
	}
	rec = it->record;
	record_map(p, rec, &m);
	/* Its volumes are about to be replaced: the rootful side must be still. */
	if (it->rootful_running && (r = stop_rootful(p, it->name, &e)) != 0)
		goto fail;
	if (it->rootless && it->rootless_running) {
		char t[32];
		const char *stop[] = { "stop", "-t", t, it->name, NULL };

		snprintf(t, sizeof(t), "%ld", p->stop_timeout);
		if ((r = as_user(p, stop, stop_wait(p), NULL, &e)) != 0)
			goto fail;
	}
	json_array_foreach(json_object_get(rec, "volumes"), i, v)
		if ((r = copy_back(p, v, &e)) != 0)
			goto fail;
	if (it->rootless) {
		const char *rm[] = { "rm", it->name, NULL };

		if ((r = as_user(p, rm, 0, NULL, &e)) != 0)
			goto fail;
	}
	json_array_foreach(json_object_get(rec, "volumes"), i, v) {
		const char *vrm[] = { "volume", "rm", jstr(v, "name"), NULL };

		if (json_is_true(json_object_get(v, "created")) && as_user(p, vrm, 0, NULL, &e) != 0)
			mu_result_warn(res, "%s: the user's volume '%s' was kept: %s", it->name,
				       jstr(v, "name"), e.msg);
	}
	json_array_foreach(json_object_get(rec, "shifts"), i, v) {
		bool skipped;
		char *to = NULL;

		if (json_is_true(json_object_get(v, "registered"))) {
			if ((r = hand_over(p, it, v, &to, &e)) != 0)
				goto fail;
			if (to) {
				mu_result_warn(res, "%s: '%s' stays shifted: '%s' of '%s' still uses "
					       "it, and its rollback shifts it back", it->name,
					       jstr(v, "path"), to, p->user.name);
				free(to);
				continue;
			}
		}
		if ((r = unshift(p, v, &m, &skipped, &e)) != 0)
			goto fail;
		if (skipped)
			mu_result_warn(res, "%s: '%s' is no longer registered as shifted (restored "
				       "by podman_chown?): not shifted back again", it->name,
				       jstr(v, "path"));
	}
	if (json_is_true(json_object_get(rec, "restart_changed"))) {
		const json_t *rr = json_object_get(rec, "rootful_restart");
		char pol[64];
		const char *args[] = { "update", "--restart", pol, it->name, NULL };

		if (strcmp(jstr(rr, "name"), "on-failure") == 0 &&
		    json_integer_value(json_object_get(rr, "retries")) > 0)
			snprintf(pol, sizeof(pol), "on-failure:%lld",
				 (long long)json_integer_value(json_object_get(rr, "retries")));
		else
			snprintf(pol, sizeof(pol), "%s", jstr(rr, "name")[0] ? jstr(rr, "name") : "no");
		if ((r = as_root(args, 0, &e)) != 0)
			goto fail;
	}
	if (json_is_true(json_object_get(rec, "rootful_was_running")) || it->rootful_running) {
		if ((r = start_rootful(it->name, &e)) != 0 ||
		    (r = verify_running(p, false, it->name, &e)) != 0)
			goto fail;
	}
	if ((r = pm_record_retire(p->record_dir, p->user.name, it->name, &e)) != 0)
		goto fail;
	return 0;
fail:
	return mu_result_fail(res, r, "podman_migrate: rolling back '%s' failed: %s", it->name,
			      e.msg);
}

int pm_apply(struct mu_task *t, struct mu_result *r, struct pm_plan *p)
{
	struct mu_err e = { 0 };
	int rc;

	(void)t;
	if (p->start_service && (rc = start_service(p, r, &e)) != 0)
		return mu_result_fail(r, rc, "podman_migrate: %s", e.msg);
	for (size_t i = 0; i < p->n; i++) {
		struct pm_item *it = &p->items[i];

		switch (it->action) {
		case PM_MIGRATE:
			rc = migrate_item(p, it, r);
			break;
		case PM_FINISH:
			rc = finish_item(p, it, r);
			break;
		case PM_ROLLBACK:
			rc = rollback_item(p, it, r);
			break;
		default:
			rc = 0;
		}
		if (rc)
			return rc;
	}
	/* only once every container is through: a failed one may still need it */
	if (p->boot_disable &&
	    (rc = pm_boot_disable(p->record_dir, p->boot_links, p->boot_migrated,
				  p->user.name, &e)) != 0)
		return mu_result_fail(r, rc, "podman_migrate: the containers were migrated, but "
				      "%s could not be disabled: %s", PM_BOOT_UNIT, e.msg);
	if (p->boot_enable && (rc = pm_boot_enable(p->record_dir, p->boot_record, &e)) != 0)
		return mu_result_fail(r, rc, "podman_migrate: the containers were rolled back, "
				      "but %s could not be enabled again: %s", PM_BOOT_UNIT, e.msg);
	return 0;
}
