/* Ownership shifting for the container migration (see podman_shift.h). */
#include "podman_shift.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "walk.h"

#define SHIFT_EXAMPLES 10

static bool map_id(unsigned long own, unsigned long start, unsigned long count,
		   unsigned long in, bool reverse, unsigned long *out)
{
	if (!reverse) {
		if (in == 0)
			*out = own;
		else if (in <= count)
			*out = start + in - 1;
		else
			return false;
		return true;
	}
	if (in == own)
		*out = 0;
	else if (in >= start && in - start < count)
		*out = in - start + 1;
	else
		return false;
	return true;
}

bool pm_map_uid(const struct pm_idmap *m, unsigned long in, bool reverse,
		unsigned long *out)
{
	return map_id(m->uid, m->ustart, m->ucount, in, reverse, out);
}

bool pm_map_gid(const struct pm_idmap *m, unsigned long in, bool reverse,
		unsigned long *out)
{
	return map_id(m->gid, m->gstart, m->gcount, in, reverse, out);
}

bool pm_uid_in_ns(const struct pm_idmap *m, unsigned long id)
{
	return id == m->uid || (id >= m->ustart && id - m->ustart < m->ucount);
}

bool pm_gid_in_ns(const struct pm_idmap *m, unsigned long id)
{
	return id == m->gid || (id >= m->gstart && id - m->gstart < m->gcount);
}

bool pm_path_under(const char *p, const char *root)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return p[0] == '/';
	while (n > 1 && root[n - 1] == '/')
		n--;
	return strncmp(p, root, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

struct shift_ctx {
	const struct pm_idmap *m;
	const struct pm_shift_opts *o;
	bool reverse, dry_run;
	json_t *rep;
	json_int_t entries, changed, outside;
};

static void count_pair(json_t *obj, unsigned long from, unsigned long to)
{
	char key[64];
	json_t *v;

	snprintf(key, sizeof(key), "%lu->%lu", from, to);
	v = json_object_get(obj, key);
	json_object_set_new(obj, key, json_integer(json_integer_value(v) + 1));
}

static bool in_list(const json_t *list, const char *path, bool under)
{
	size_t i;
	json_t *v;

	json_array_foreach((json_t *)list, i, v) {
		const char *p = json_string_value(v);

		if (p && (under ? pm_path_under(path, p) : strcmp(path, p) == 0))
			return true;
	}
	return false;
}

static int shift_visit(const struct mu_walk_entry *ent, void *vctx, struct mu_err *e)
{
	struct shift_ctx *c = vctx;
	const struct stat *st = ent->st;
	unsigned long nu = st->st_uid, ng = st->st_gid;
	bool only_outside = c->o->only_outside;
	bool uok, gok;

	/* Another record's tree: not ours to touch (its owner undoes it). */
	if (ent->depth > 0 && in_list(c->o->skip, ent->path, false)) {
		json_array_append_new(json_object_get(c->rep, "left_alone"), json_string(ent->path));
		return S_ISDIR(st->st_mode) ? MU_WALK_PRUNE : 0;
	}
	if (!only_outside && !c->reverse && in_list(c->o->registered, ent->path, true))
		only_outside = true;
	if (only_outside && pm_uid_in_ns(c->m, st->st_uid))
		uok = true;
	else
		uok = pm_map_uid(c->m, st->st_uid, c->reverse, &nu);
	if (only_outside && pm_gid_in_ns(c->m, st->st_gid))
		gok = true;
	else
		gok = pm_map_gid(c->m, st->st_gid, c->reverse, &ng);

	c->entries++;
	if (!uok || !gok) {
		json_t *ex = json_object_get(c->rep, "outside_examples");

		c->outside++;
		if (json_array_size(ex) < SHIFT_EXAMPLES)
			json_array_append_new(ex, json_sprintf("%s%lu on '%s'", uok ? "gid " : "uid ",
				uok ? (unsigned long)st->st_gid : (unsigned long)st->st_uid, ent->path));
		if (!uok)
			nu = st->st_uid;
		if (!gok)
			ng = st->st_gid;
	}
	if (nu == st->st_uid && ng == st->st_gid)
		return 0;
	if (nu != st->st_uid)
		count_pair(json_object_get(c->rep, "uids"), st->st_uid, nu);
	if (ng != st->st_gid)
		count_pair(json_object_get(c->rep, "gids"), st->st_gid, ng);
	c->changed++;
	if (c->dry_run)
		return 0;
	if (fchownat(ent->dirfd, ent->name, (uid_t)nu, (gid_t)ng, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return mu_err_sys(e, "cannot change the owner of '%s' to %lu:%lu", ent->path, nu, ng);
	}
	/* chown clears set-user-ID and set-group-ID; the file keeps its mode. */
	if (!S_ISLNK(st->st_mode) && (st->st_mode & (S_ISUID | S_ISGID)) &&
	    fchmodat(ent->dirfd, ent->name, st->st_mode & 07777, 0) < 0)
		return mu_err_sys(e, "cannot restore the mode of '%s'", ent->path);
	return 0;
}

/* A mount below the tree is another filesystem: left alone, but said. */
static int shift_mount(const struct mu_walk_entry *ent, void *vctx, struct mu_err *e)
{
	struct shift_ctx *c = vctx;

	(void)e;
	json_array_append_new(json_object_get(c->rep, "mounts_skipped"), json_string(ent->path));
	return 0;
}

int pm_shift_tree(const char *path, const struct pm_idmap *m, bool reverse,
		  bool dry_run, json_t **report, struct mu_err *e)
{
	struct pm_shift_opts o = { .reverse = reverse, .dry_run = dry_run };

	return pm_shift_tree_opts(path, m, &o, report, e);
}

int pm_shift_tree_opts(const char *path, const struct pm_idmap *m,
		       const struct pm_shift_opts *o, json_t **report, struct mu_err *e)
{
	struct shift_ctx c = { .m = m, .o = o, .reverse = o->reverse, .dry_run = o->dry_run };
	struct mu_walk w = { .one_file_system = true, .visit = shift_visit,
			     .mount = shift_mount, .ctx = &c };
	int r;

	c.rep = json_pack("{s:s, s:{}, s:{}, s:[], s:[], s:[]}", "path", path, "uids", "gids",
			  "outside_examples", "mounts_skipped", "left_alone");
	r = mu_walk_tree(path, &w, e);
	json_object_set_new(c.rep, "entries", json_integer(c.entries));
	json_object_set_new(c.rep, "changed", json_integer(c.changed));
	json_object_set_new(c.rep, "outside", json_integer(c.outside));
	*report = c.rep;
	return r;
}

struct size_ctx {
	uint64_t bytes, entries;
};

static int size_visit(const struct mu_walk_entry *ent, void *vctx, struct mu_err *e)
{
	struct size_ctx *c = vctx;
	struct stat st;

	(void)e;
	c->entries++;
	if (S_ISREG(ent->st->st_mode) &&
	    fstatat(ent->dirfd, ent->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		c->bytes += (uint64_t)st.st_size;
	return 0;
}

int pm_tree_size(const char *path, uint64_t *bytes, uint64_t *entries, struct mu_err *e)
{
	struct size_ctx c = { 0 };
	struct mu_walk w = { .one_file_system = true, .visit = size_visit, .ctx = &c };
	int r = mu_walk_tree(path, &w, e);

	*bytes = c.bytes;
	if (entries)
		*entries = c.entries;
	return r;
}

static int empty_visit(const struct mu_walk_entry *ent, void *vctx, struct mu_err *e)
{
	(void)vctx;
	if (ent->depth == 0)
		return 0;
	if (S_ISDIR(ent->st->st_mode)) {
		if (!ent->post)
			return 0;
		if (unlinkat(ent->dirfd, ent->name, AT_REMOVEDIR) < 0 && errno != ENOENT)
			return mu_err_sys(e, "cannot remove '%s'", ent->path);
		return 0;
	}
	if (unlinkat(ent->dirfd, ent->name, 0) < 0 && errno != ENOENT)
		return mu_err_sys(e, "cannot remove '%s'", ent->path);
	return 0;
}

int pm_tree_empty(const char *path, struct mu_err *e)
{
	struct mu_walk w = { .one_file_system = true, .post_order = true,
			     .visit = empty_visit };

	return mu_walk_tree(path, &w, e);
}
