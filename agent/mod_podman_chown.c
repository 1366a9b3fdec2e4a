/*
 * podman_chown: `chown -R user:user PATH` done right for rootless Podman.
 * A plain chown would flatten every owner to the user, and the user's
 * containers would then see all the files as owned by root. Instead each
 * id is shifted into the user's namespace: host 0 becomes the user's uid,
 * host N (1..count) the user's subordinate id for N, so a file that
 * postgres (999) owned under rootful Podman is owned by 999 inside the
 * rootless container too. Ids with no place in the namespace are left as
 * they are and reported.
 *
 * A tree must be shifted once only: shifting it again would move every id
 * a second time. The shift registry (podman_shiftreg.h), shared with
 * podman_migrate, remembers which trees were shifted for whom; a later run
 * on a registered tree only shifts the entries whose ids are still outside
 * the user's namespace (files root added since), and `state: restored`
 * shifts back with the recorded map and forgets the tree.
 */
#include "module.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "podman_host.h"
#include "podman_shift.h"
#include "podman_shiftreg.h"
#include "users.h"

static const char *const pc_aliases[] = { "muster.podman_chown", NULL };
static const char *const pc_states[] = { "shifted", "restored", NULL };

static const struct mu_arg pc_args[] = {
	{ "path", MU_T_PATH, MU_REQUIRED, NULL, NULL, NULL },
	{ "user", MU_T_STR, MU_REQUIRED, NULL, NULL, NULL },
	{ "state", MU_T_STR, 0, "shifted", pc_states, NULL },
	{ "record_dir", MU_T_PATH, 0, PM_SHIFTREG_DIR, NULL, NULL },
	MU_ARG_END,
};

/* What check() found, for apply(). */
struct pc_plan {
	struct mu_user user;
	struct pm_idmap map;        /* the map to walk with */
	char *path;                 /* resolved */
	bool restore;
	json_t *record;             /* the registered record that covers path, or NULL */
	bool fresh;                 /* not registered: a new record is written */
	struct pm_shift_opts opts;
	json_t *skip, *registered;  /* owned arrays behind opts */
};

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static void plan_free(void *vp)
{
	struct pc_plan *p = vp;

	if (!p)
		return;
	mu_user_release(&p->user);
	free(p->path);
	json_decref(p->record);
	json_decref(p->skip);
	json_decref(p->registered);
	free(p);
}

/* "3 of 5 entries: uid 101->100100 x3, gid 101->100100 x3" */
static void counts_text(const json_t *rep, struct mu_buf *b)
{
	const char *key;
	json_t *v;
	int n = 0;

	mu_buf_addf(b, "%lld of %lld entries",
		    (long long)json_integer_value(json_object_get(rep, "changed")),
		    (long long)json_integer_value(json_object_get(rep, "entries")));
	json_object_foreach(json_object_get(rep, "uids"), key, v)
		mu_buf_addf(b, "%s uid %s x%lld", n++ ? "," : ":", key,
			    (long long)json_integer_value(v));
	json_object_foreach(json_object_get(rep, "gids"), key, v)
		mu_buf_addf(b, "%s gid %s x%lld", n++ ? "," : ":", key,
			    (long long)json_integer_value(v));
}

/* The user, not root, with a subordinate range in both files. */
static int load_user(struct mu_task *t, struct pc_plan *p, struct mu_result *r)
{
	const char *name = mu_arg_str(t, "user");
	unsigned long us = 0, uc = 0, gs = 0, gc = 0;
	struct mu_err e = { 0 }, e2 = { 0 };
	int ru, rg;

	if (mu_user_get(name, &p->user, &e) != 0)
		return mu_result_fail(r, e.code ? e.code : MU_E_NOTFOUND, "podman_chown: %s",
				      e.msg);
	if (p->user.uid == 0)
		return mu_result_fail(r, MU_E_ARG, "podman_chown: user '%s' is root; name the "
				      "unprivileged user whose containers use the data", name);
	ru = mu_subid_range("/etc/subuid", &p->user, &us, &uc, &e);
	rg = mu_subid_range("/etc/subgid", &p->user, &gs, &gc, &e2);
	if (ru || rg)
		return mu_result_fail(r, MU_E_NOTFOUND, "podman_chown: %s%s%s: rootless podman "
				      "maps container ids to subordinate ids, so there is "
				      "nothing to shift them to (usermod --add-subuids "
				      "100000-165535 --add-subgids 100000-165535 %s)",
				      ru ? e.msg : "", ru && rg ? "; " : "", rg ? e2.msg : "",
				      name);
	p->map = (struct pm_idmap){ .uid = p->user.uid, .gid = p->user.gid, .ustart = us,
				    .ucount = uc, .gstart = gs, .gcount = gc };
	return 0;
}

/* Resolve the path: it must exist and not be a system location. */
static int load_path(struct mu_task *t, struct pc_plan *p, struct mu_result *r)
{
	const char *given = mu_arg_str(t, "path");

	p->path = realpath(given, NULL);
	if (!p->path)
		return mu_result_fail(r, errno == ENOENT ? MU_E_NOTFOUND : MU_E_SYS,
				      "podman_chown: cannot resolve '%s': %s", given,
				      strerror(errno));
	if (pm_system_path(p->path))
		return mu_result_fail(r, MU_E_SAFETY, "podman_chown: '%s' is a system location; "
				      "its owners are never shifted", p->path);
	if (strcmp(p->path, given) != 0)
		mu_result_warn(r, "'%s' resolves to '%s': that tree is the one shifted", given,
			       p->path);
	return 0;
}

static json_t *paths_of_users(const json_t *all, const char *under, const char *user,
			      bool same)
{
	json_t *out = json_array();
	size_t i;
	json_t *rec;

	json_array_foreach((json_t *)all, i, rec) {
		const char *rp = jstr(rec, "path");

		if (strcmp(rp, under) == 0 || !pm_path_under(rp, under))
			continue;
		if ((strcmp(jstr(rec, "user"), user) == 0) == same)
			json_array_append_new(out, json_string(rp));
	}
	return out;
}

static int plan_shift(struct pc_plan *p, const json_t *all, struct mu_result *r)
{
	const json_t *cov = pm_reg_covering(all, p->path);
	const char *user = p->user.name;
	json_t *others;

	if (cov && strcmp(jstr(cov, "user"), user) != 0)
		return mu_result_fail(r, MU_E_SAFETY, "podman_chown: '%s' lies in '%s', which is "
				      "shifted for user '%s' (by %s): restore it first",
				      p->path, jstr(cov, "path"), jstr(cov, "user"), jstr(cov, "by"));
	others = paths_of_users(all, p->path, user, false);
	if (json_array_size(others)) {
		int rc = mu_result_fail(r, MU_E_SAFETY, "podman_chown: '%s' inside '%s' is "
					"shifted for another user: restore it first",
					json_string_value(json_array_get(others, 0)), p->path);

		json_decref(others);
		return rc;
	}
	json_decref(others);
	if (cov) {
		struct pm_idmap old;

		if (pm_reg_map(cov, &old) && !pm_idmap_equal(&old, &p->map))
			return mu_result_fail(r, MU_E_SAFETY, "podman_chown: '%s' was shifted for "
					      "'%s' with the range %lu+%lu, and '%s' now has "
					      "%lu+%lu: restore it with the old range first",
					      jstr(cov, "path"), user, old.ustart, old.ucount, user,
					      p->map.ustart, p->map.ucount);
		p->record = json_incref((json_t *)cov);
		p->opts.only_outside = true;
	} else {
		p->fresh = true;
		/* trees inside that are shifted already: only what came since */
		p->registered = paths_of_users(all, p->path, user, true);
		p->opts.registered = p->registered;
	}
	return 0;
}

static int plan_restore(struct pc_plan *p, const json_t *all, struct mu_result *r)
{
	const json_t *cov = pm_reg_covering(all, p->path);

	if (!cov)
		return 0;
	if (strcmp(jstr(cov, "path"), p->path) != 0)
		return mu_result_fail(r, MU_E_SAFETY, "podman_chown: '%s' is part of '%s', "
				      "which was shifted as a whole (by %s): restore that path",
				      p->path, jstr(cov, "path"), jstr(cov, "by"));
	if (strcmp(jstr(cov, "user"), p->user.name) != 0)
		return mu_result_fail(r, MU_E_SAFETY, "podman_chown: '%s' was shifted for user "
				      "'%s', not '%s'", p->path, jstr(cov, "user"), p->user.name);
	if (strcmp(jstr(cov, "by"), "podman_chown") != 0)
		return mu_result_fail(r, MU_E_SAFETY, "podman_chown: '%s' was shifted by %s for "
				      "the container '%s', which uses it: roll that migration back "
				      "(podman_migrate state: rolled_back), which shifts it back",
				      p->path, jstr(cov, "by"), jstr(cov, "container"));
	if (!pm_reg_map(cov, &p->map))
		return mu_result_fail(r, MU_E_PARSE, "podman_chown: the shift record of '%s' "
				      "has no id map", p->path);
	p->record = json_incref((json_t *)cov);
	/* trees inside with records of their own are undone by their owners */
	p->skip = pm_reg_nested(all, p->path);
	p->opts.skip = p->skip;
	p->opts.reverse = true;
	return 0;
}

static void report(struct mu_result *r, const struct pc_plan *p, const json_t *rep,
		   bool check_mode)
{
	struct mu_buf b = MU_BUF_INIT;
	json_t *data = json_deep_copy(rep);
	long long changed = json_integer_value(json_object_get(rep, "changed"));
	long long outside = json_integer_value(json_object_get(rep, "outside"));

	counts_text(rep, &b);
	if (p->restore) {
		if (changed)
			mu_result_change(r, "shift ownership under '%s' back from the range of '%s': "
					 "%s", p->path, p->user.name, b.buf);
	} else if (p->fresh) {
		mu_result_change(r, "shift ownership under '%s' into the range of '%s': %s",
				 p->path, p->user.name, b.buf);
	} else if (changed) {
		mu_result_change(r, "shift ownership of entries added under '%s' since it was "
				 "shifted (%s by %s): %s", p->path, jstr(p->record, "shifted_at"),
				 jstr(p->record, "by"), b.buf);
	}
	if (outside) {
		const char *ex = json_string_value(json_array_get(
			json_object_get(rep, "outside_examples"), 0));

		mu_result_warn(r, "%lld entries under '%s' have ids with no place in the %s of "
			       "'%s' and keep them (e.g. %s)", outside, p->path,
			       p->restore ? "host's range" : "namespace", p->user.name,
			       ex ? ex : "?");
	}
	if (json_array_size(json_object_get(rep, "mounts_skipped")))
		mu_result_warn(r, "mount points under '%s' are other filesystems and were left "
			       "alone: %s", p->path, json_string_value(json_array_get(
				       json_object_get(rep, "mounts_skipped"), 0)));
	if (changed && !check_mode)
		mu_result_diff(r, p->path, p->restore ? "ids in the user's range" : "host ids",
			       p->restore ? "host ids" : "ids in the user's range");
	json_object_set_new(data, "user", json_string(p->user.name));
	json_object_set_new(data, "state", json_string(p->restore ? "restored" : "shifted"));
	json_object_set_new(data, "registered", json_boolean(!p->fresh && p->record));
	if (p->record) {
		json_object_set(data, "registered_path", json_object_get(p->record, "path"));
		json_object_set(data, "registered_by", json_object_get(p->record, "by"));
	}
	json_object_set_new(data, "idmap", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
		"uid", (json_int_t)p->map.uid, "gid", (json_int_t)p->map.gid,
		"ustart", (json_int_t)p->map.ustart, "ucount", (json_int_t)p->map.ucount,
		"gstart", (json_int_t)p->map.gstart, "gcount", (json_int_t)p->map.gcount));
	json_object_update(r->data, data);
	json_decref(data);
	mu_buf_release(&b);
}

static int pc_check(struct mu_task *t, struct mu_result *r)
{
	struct pc_plan *p = mu_xcalloc(1, sizeof(*p));
	const char *dir = mu_arg_str(t, "record_dir");
	struct mu_err e = { 0 };
	json_t *all = NULL, *rep = NULL;
	int rc;

	t->plan = p;
	p->restore = strcmp(mu_arg_str(t, "state"), "restored") == 0;
	p->opts.dry_run = true;
	if ((rc = load_user(t, p, r)) != 0)
		goto out;
	if ((rc = pm_reg_list(dir, &all, &e)) != 0) {
		rc = mu_result_fail(r, rc, "podman_chown: %s", e.msg);
		goto out;
	}
	if (p->restore) {
		const char *given = mu_arg_str(t, "path");
		char *real = realpath(given, NULL);

		/* a tree that is gone cannot be walked back; keep its record */
		if (!real && pm_reg_covering(all, given)) {
			rc = mu_result_fail(r, MU_E_NOTFOUND, "podman_chown: '%s' is registered as "
					    "shifted but cannot be resolved (%s): nothing to "
					    "restore; remove its record in '%s' by hand", given,
					    strerror(errno), dir);
			goto out;
		}
		free(real);
		if (!real) {
			mu_result_msg(r, "'%s' does not exist and is not registered: nothing to "
				      "restore", given);
			goto out;
		}
	}
	if ((rc = load_path(t, p, r)) != 0)
		goto out;
	rc = p->restore ? plan_restore(p, all, r) : plan_shift(p, all, r);
	if (rc)
		goto out;
	if (p->restore && !p->record) {
		mu_result_msg(r, "'%s' is not registered as shifted for '%s': nothing to restore",
			      p->path, p->user.name);
		mu_result_data(r, "registered", json_false());
		goto out;
	}
	if ((rc = pm_shift_tree_opts(p->path, &p->map, &p->opts, &rep, &e)) != 0) {
		rc = mu_result_fail(r, rc, "podman_chown: %s", e.msg);
		goto out;
	}
	report(r, p, rep, t->check_mode);
	if (r->status == MU_CHANGED) {
		struct mu_buf b = MU_BUF_INIT;

		counts_text(rep, &b);
		mu_result_msg(r, "%s%s '%s' %s '%s': %s", t->check_mode ? "would " : "",
			      p->restore ? "shift back" : p->fresh ? "shift" : "shift new entries of",
			      p->path, p->restore ? "from the range of" : "into the range of",
			      p->user.name, b.buf);
		mu_buf_release(&b);
	}
	if (p->restore) {
		char *file = pm_reg_file(dir, p->user.name, p->path);

		mu_result_change(r, "remove the shift record '%s'", file);
		free(file);
	} else if (p->fresh) {
		char *file = pm_reg_file(dir, p->user.name, p->path);

		mu_result_change(r, "register '%s' as shifted for '%s' in '%s'", p->path,
				 p->user.name, file);
		free(file);
	} else if (r->status != MU_CHANGED) {
		mu_result_msg(r, "'%s' is shifted for '%s' (%s by %s at '%s'); nothing outside "
			      "its range", p->path, p->user.name, jstr(p->record, "shifted_at"),
			      jstr(p->record, "by"), jstr(p->record, "path"));
	}
out:
	json_decref(rep);
	json_decref(all);
	return rc;
}

static int pc_apply(struct mu_task *t, struct mu_result *r)
{
	struct pc_plan *p = t->plan;
	const char *dir = mu_arg_str(t, "record_dir");
	struct mu_err e = { 0 };
	json_t *rep = NULL, *rec = NULL;
	int rc;

	p->opts.dry_run = false;
	rc = pm_shift_tree_opts(p->path, &p->map, &p->opts, &rep, &e);
	/* the counts are what was done, even when the walk stopped */
	json_object_update(r->data, rep);
	if (rc) {
		/*
		 * A fresh shift that stopped halfway is registered anyway: the
		 * part done must not be shifted a second time by the next run,
		 * which will then shift only what is left.
		 */
		if (p->fresh && json_integer_value(json_object_get(rep, "changed"))) {
			struct mu_err e2 = { 0 };

			rec = pm_reg_new(p->user.name, p->path, &p->map, "podman_chown", rep);
			json_object_set_new(rec, "incomplete", json_true());
			if (pm_reg_save(dir, rec, &e2) != 0)
				mu_result_warn(r, "%s", e2.msg);
		}
		rc = mu_result_fail(r, rc, "podman_chown: %s", e.msg);
		goto out;
	}
	if (p->restore) {
		rc = pm_reg_remove(dir, p->user.name, jstr(p->record, "path"), &e);
	} else if (p->fresh) {
		rec = pm_reg_new(p->user.name, p->path, &p->map, "podman_chown", rep);
		rc = pm_reg_save(dir, rec, &e);
	} else {
		char when[32];
		time_t now = time(NULL);
		struct tm tm;

		rec = json_deep_copy(p->record);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
		if (!json_is_array(json_object_get(rec, "later")))
			json_object_set_new(rec, "later", json_array());
		json_array_append_new(json_object_get(rec, "later"), json_pack(
			"{s:s, s:s, s:O?, s:O?, s:O?}", "at", when, "path", p->path,
			"changed", json_object_get(rep, "changed"),
			"uids", json_object_get(rep, "uids"), "gids", json_object_get(rep, "gids")));
		json_object_del(rec, "incomplete");
		rc = pm_reg_save(dir, rec, &e);
	}
	if (rc)
		rc = mu_result_fail(r, rc, "podman_chown: ownership shifted, but the registry "
				    "could not be updated: %s", e.msg);
out:
	json_decref(rec);
	json_decref(rep);
	return rc;
}

const struct mu_module mu_mod_podman_chown = {
	.name = "podman_chown",
	.aliases = pc_aliases,
	.args = pc_args,
	.flags = MU_MOD_NEEDS_ROOT,
	.summary = "shift a data tree's owners into a user's rootless id range, once",
	.check = pc_check,
	.apply = pc_apply,
	.plan_free = plan_free,
};
