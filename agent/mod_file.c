/*
 * file: a path's type, owner, group and mode, as Ansible's
 * ansible.builtin.file: states file, directory (with parents), absent,
 * touch, link and hard.
 *
 * Recursion (recurse: true) is a physical walk (walk.c): symlinks below
 * the top are never followed (they are lchown'ed, never chmod'ed), other
 * filesystems are not entered unless one_file_system is false, and only
 * entries that differ are changed. check() walks once to count; apply()
 * walks again and changes what still differs, so nothing heavy is carried
 * between them and a tree changed in between is still handled right.
 */
#include "module.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_attr.h"
#include "walk.h"

static const char *const file_aliases[] = {
	"ansible.builtin.file", "ansible.legacy.file", NULL
};

static const char *const state_choices[] = {
	"file", "directory", "absent", "touch", "link", "hard", NULL
};

static const struct mu_arg file_args[] = {
	{ "path", MU_T_PATH, MU_REQUIRED, NULL, NULL, "dest|name" },
	{ "state", MU_T_STR, 0, NULL, state_choices, NULL },
	{ "src", MU_T_STR, 0, NULL, NULL, NULL },
	{ "owner", MU_T_STR, 0, NULL, NULL, NULL },
	{ "group", MU_T_STR, 0, NULL, NULL, NULL },
	{ "mode", MU_T_MODE, 0, NULL, NULL, NULL },
	{ "recurse", MU_T_BOOL, 0, "false", NULL, NULL },
	{ "follow", MU_T_BOOL, 0, "true", NULL, NULL },
	{ "force", MU_T_BOOL, 0, "false", NULL, NULL },
	{ "one_file_system", MU_T_BOOL, 0, "true", NULL, NULL },
	MU_ARG_END,
};

#define SAMPLE_MAX 10

struct file_plan {
	char *path;           /* as given, without trailing slashes */
	char *target;         /* where attributes go: path, or its resolved link */
	const char *state;    /* the state in effect (the default resolved) */
	struct mu_fattr attr;
	bool exists;          /* lstat(path) succeeded */
	bool target_exists;
	struct stat lst;      /* lstat of path */
	struct stat tst;      /* lstat of target */
	bool on_link;         /* attributes go to the symlink itself */
	char *src;            /* link states: src resolved against path's dir */
	bool rmdir_first;     /* link: an empty directory is in the way */
	bool link_ok;         /* link states: the link is already right */
};

/* Counters and samples for a recursive walk. */
struct tree_count {
	const struct mu_fattr *attr;
	bool apply;
	size_t total, changed, setid_cleared, mounts;
	json_t *sample;       /* first SAMPLE_MAX changed paths */
	json_t *mount_paths;
};

static void plan_free(void *p)
{
	struct file_plan *plan = p;

	if (!plan)
		return;
	free(plan->path);
	free(plan->target);
	free(plan->src);
	free(plan);
}

static const char *kind(const struct stat *st)
{
	if (S_ISREG(st->st_mode))
		return "file";
	if (S_ISDIR(st->st_mode))
		return "directory";
	if (S_ISLNK(st->st_mode))
		return "link";
	return "special file";
}

static char *mode_str(mode_t m)
{
	return mu_xasprintf("%04o", (unsigned)(m & 07777));
}

/* Open the directory holding path; *base points into *copy. */
static int open_parent(const char *path, char **copy, const char **base)
{
	char *d = mu_xstrdup(path);
	int fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	free(d);
	*copy = mu_xstrdup(path);
	*base = basename(*copy);
	return fd;
}

/* --- attributes of the top entry ------------------------------------- */

/* Record what the top entry's attributes need; returns true if anything. */
static bool top_attr_changes(struct mu_result *r, const struct file_plan *p,
			     const char *path, const struct stat *st, bool record)
{
	struct mu_fattr_delta d;
	char a[160], b[160];

	if (p->attr.mode && S_ISLNK(st->st_mode))
		mu_result_warn(r, "mode is not applied to symlink '%s'", path);
	if (!mu_fattr_diff(&p->attr, st, &d))
		return false;
	if (p->attr.set_uid && st->st_uid != p->attr.uid) {
		mu_fattr_owner_label(st->st_uid, a, sizeof(a));
		mu_fattr_owner_label(p->attr.uid, b, sizeof(b));
		if (record)
			mu_result_change(r, "change owner of '%s' from %s to %s", path, a, b);
		mu_result_diff(r, "owner", a, b);
	}
	if (p->attr.set_gid && st->st_gid != p->attr.gid) {
		mu_fattr_group_label(st->st_gid, a, sizeof(a));
		mu_fattr_group_label(p->attr.gid, b, sizeof(b));
		if (record)
			mu_result_change(r, "change group of '%s' from %s to %s", path, a, b);
		mu_result_diff(r, "group", a, b);
	}
	if (d.chmod) {
		char *was = mode_str(st->st_mode), *now = mode_str(d.mode_want);

		if (record)
			mu_result_change(r, "change mode of '%s' from %s to %s", path, was,
					 now);
		mu_result_diff(r, "mode", was, now);
		free(was);
		free(now);
	}
	return true;
}

/* Apply attributes to one path (not following a final symlink). */
static int apply_attrs_at(struct mu_result *r, const struct mu_fattr *attr,
			  const char *path)
{
	struct mu_fattr_delta d;
	struct mu_err e = { 0 };
	struct stat st;
	char *copy = NULL;
	const char *base;
	bool cleared = false;
	int fd = open_parent(path, &copy, &base);
	int rc = 0;

	if (fd < 0) {
		rc = mu_result_fail(r, MU_E_SYS, "file: cannot open the directory of '%s': %s",
				    path, strerror(errno));
		goto out;
	}
	if (fstatat(fd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = mu_result_fail(r, MU_E_SYS, "file: cannot stat '%s': %s", path,
				    strerror(errno));
		goto out;
	}
	if (mu_fattr_diff(attr, &st, &d) &&
	    (rc = mu_fattr_apply(attr, fd, base, path, &st, &d, &cleared, &e)) != 0) {
		mu_result_fail(r, rc, "file: %s", e.msg);
		goto out;
	}
	if (cleared)
		mu_result_warn(r, "changing the owner cleared the set-id bits of '%s'", path);
out:
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

/* --- recursion --------------------------------------------------------- */

static int tree_visit(const struct mu_walk_entry *ent, void *ctx, struct mu_err *e)
{
	struct tree_count *c = ctx;
	struct mu_fattr_delta d;
	bool cleared = false;
	int rc;

	c->total++;
	if (!mu_fattr_diff(c->attr, ent->st, &d))
		return 0;
	c->changed++;
	if (json_array_size(c->sample) < SAMPLE_MAX)
		json_array_append_new(c->sample, json_string(ent->path));
	if (!c->apply)
		return 0;
	rc = mu_fattr_apply(c->attr, ent->dirfd, ent->name, ent->path, ent->st, &d,
			    &cleared, e);
	c->setid_cleared += cleared;
	return rc;
}

static int tree_mount(const struct mu_walk_entry *ent, void *ctx, struct mu_err *e)
{
	struct tree_count *c = ctx;

	(void)e;
	c->mounts++;
	if (json_array_size(c->mount_paths) < SAMPLE_MAX)
		json_array_append_new(c->mount_paths, json_string(ent->path));
	return 0;
}

static int tree_walk(struct mu_task *t, struct mu_result *r, struct file_plan *p,
		     bool apply, struct tree_count *c)
{
	struct mu_walk w = {
		.one_file_system = mu_arg_bool(t, "one_file_system"),
		.visit = tree_visit, .mount = tree_mount, .ctx = c,
	};
	struct mu_err e = { 0 };
	int rc;

	c->attr = &p->attr;
	c->apply = apply;
	c->sample = json_array();
	c->mount_paths = json_array();
	rc = mu_walk_tree(p->target, &w, &e);
	if (rc)
		mu_result_fail(r, rc, "file: %s", e.msg);
	for (size_t i = 0; !rc && i < json_array_size(c->mount_paths); i++)
		mu_result_warn(r, "'%s' is another filesystem: not entered "
			       "(one_file_system)",
			       json_string_value(json_array_get(c->mount_paths, i)));
	if (!rc && c->mounts > SAMPLE_MAX)
		mu_result_warn(r, "%zu more mount points not entered",
			       c->mounts - SAMPLE_MAX);
	if (c->setid_cleared)
		mu_result_warn(r, "changing owners cleared the set-id bits of %zu "
			       "file%s (give a mode to keep them)", c->setid_cleared,
			       c->setid_cleared > 1 ? "s" : "");
	mu_result_data(r, "changed_entries", json_integer((json_int_t)c->changed));
	mu_result_data(r, "total_entries", json_integer((json_int_t)c->total));
	return rc;
}

static void attr_label(const struct file_plan *p, const struct mu_task *t,
		       struct mu_buf *b)
{
	if (p->attr.set_uid)
		mu_buf_addf(b, "owner %s", mu_arg_str(t, "owner"));
	if (p->attr.set_gid)
		mu_buf_addf(b, "%sgroup %s", b->len ? ", " : "", mu_arg_str(t, "group"));
	if (p->attr.mode)
		mu_buf_addf(b, "%smode %s", b->len ? ", " : "", p->attr.mode);
}

static int check_tree(struct mu_task *t, struct mu_result *r, struct file_plan *p)
{
	struct tree_count c = { 0 };
	struct mu_buf label = MU_BUF_INIT;
	int rc;

	/* The top's before/after for the diff; the walk counts it again. */
	top_attr_changes(r, p, p->target, &p->tst, false);
	rc = tree_walk(t, r, p, false, &c);
	if (!rc && c.changed) {
		attr_label(p, t, &label);
		mu_result_change(r, "set %s on %zu of %zu entries under '%s'", label.buf,
				 c.changed, c.total, p->target);
		mu_result_data(r, "changed_sample", json_incref(c.sample));
	}
	json_decref(c.sample);
	json_decref(c.mount_paths);
	mu_buf_release(&label);
	return rc;
}

/* --- states ------------------------------------------------------------ */

static int check_attrs_only(struct mu_result *r, struct file_plan *p)
{
	top_attr_changes(r, p, p->target, p->on_link ? &p->lst : &p->tst, true);
	return 0;
}

static int check_file_state(struct mu_result *r, struct file_plan *p)
{
	if (!p->exists)
		return mu_result_fail(r, MU_E_NOTFOUND, "file: '%s' does not exist; state "
				      "'file' does not create files (use state 'touch')",
				      p->path);
	if (!p->target_exists)
		return mu_result_fail(r, MU_E_NOTFOUND, "file: '%s' is a symlink to a "
				      "missing target", p->path);
	if (!p->on_link && S_ISDIR(p->tst.st_mode))
		return mu_result_fail(r, MU_E_ARG, "file: '%s' is a directory; use state "
				      "'directory'", p->path);
	return check_attrs_only(r, p);
}

/* How many trailing components of path are missing (0 = path exists). */
static size_t missing_dirs(const char *path)
{
	char *copy = mu_xstrdup(path);
	struct stat st;
	size_t n = 0;

	while (lstat(copy, &st) != 0 && errno == ENOENT) {
		char *slash = strrchr(copy, '/');

		n++;
		if (!slash || slash == copy)
			break;
		*slash = '\0';
	}
	free(copy);
	return n;
}

static int check_directory(struct mu_task *t, struct mu_result *r, struct file_plan *p)
{
	struct mu_buf label = MU_BUF_INIT;
	size_t missing;

	if (p->exists && !p->target_exists)
		return mu_result_fail(r, MU_E_NOTFOUND, "file: '%s' is a symlink to a "
				      "missing target", p->path);
	if (p->exists && p->on_link)
		return mu_result_fail(r, MU_E_ARG, "file: '%s' is a symlink, not a "
				      "directory (follow is false)", p->path);
	if (p->exists && !S_ISDIR(p->tst.st_mode))
		return mu_result_fail(r, MU_E_ARG, "file: '%s' exists and is a %s, not a "
				      "directory", p->path, kind(&p->tst));
	if (p->exists)
		return mu_arg_bool(t, "recurse") ? check_tree(t, r, p) : check_attrs_only(r, p);
	missing = missing_dirs(p->path);
	attr_label(p, t, &label);
	mu_result_change(r, "create directory '%s'%s%s%s", p->path,
			 missing > 1 ? " and its missing parents" : "",
			 label.len ? " with " : "", label.buf);
	mu_result_diff(r, "state", "absent", "directory");
	mu_buf_release(&label);
	return 0;
}

static int count_visit(const struct mu_walk_entry *ent, void *ctx, struct mu_err *e)
{
	(void)e;
	if (!ent->post)
		++*(size_t *)ctx;
	return 0;
}

static int refuse_mount(const struct mu_walk_entry *ent, void *ctx, struct mu_err *e)
{
	(void)ctx;
	return mu_err_set(e, MU_E_SAFETY, "'%s' is a mount point; refusing to remove "
			  "across filesystems (one_file_system)", ent->path);
}

static int check_absent(struct mu_task *t, struct mu_result *r, struct file_plan *p)
{
	size_t n = 0;
	struct mu_walk w = {
		.one_file_system = mu_arg_bool(t, "one_file_system"),
		.visit = count_visit, .mount = refuse_mount, .ctx = &n,
	};
	struct mu_err e = { 0 };
	int rc;

	if (!p->exists)
		return 0;
	if (strcmp(p->path, "/") == 0)
		return mu_result_fail(r, MU_E_SAFETY, "file: refusing to remove '/'");
	if (!S_ISDIR(p->lst.st_mode)) {
		mu_result_change(r, "remove %s '%s'", kind(&p->lst), p->path);
		mu_result_diff(r, "state", kind(&p->lst), "absent");
		return 0;
	}
	/* Count (and find mount points) before anything is deleted. */
	if ((rc = mu_walk_tree(p->path, &w, &e)) != 0)
		return mu_result_fail(r, rc, "file: %s", e.msg);
	mu_result_change(r, "remove directory '%s' (%zu entries)", p->path, n);
	mu_result_diff(r, "state", "directory", "absent");
	mu_result_data(r, "total_entries", json_integer((json_int_t)n));
	return 0;
}

static int check_touch(struct mu_task *t, struct mu_result *r, struct file_plan *p)
{
	struct mu_buf label = MU_BUF_INIT;

	if (p->exists && !p->target_exists)
		return mu_result_fail(r, MU_E_NOTFOUND, "file: '%s' is a symlink to a "
				      "missing target", p->path);
	if (!p->exists) {
		attr_label(p, t, &label);
		mu_result_change(r, "create '%s'%s%s", p->path, label.len ? " with " : "",
				 label.buf);
		mu_result_diff(r, "state", "absent", "file");
		mu_buf_release(&label);
		return 0;
	}
	check_attrs_only(r, p);
	mu_result_change(r, "update the times of '%s'", p->target);
	return 0;
}

/* src for link states, relative to the link's directory as ln -s means it. */
static char *src_resolved(const char *path, const char *src)
{
	char *d;
	char *full;

	if (src[0] == '/')
		return mu_xstrdup(src);
	d = mu_xstrdup(path);
	full = mu_xasprintf("%s/%s", dirname(d), src);
	free(d);
	return full;
}

static bool dir_empty(const char *path)
{
	struct mu_walk w = { 0 };
	size_t n = 0;

	w.visit = count_visit;
	w.ctx = &n;
	return mu_walk_tree(path, &w, NULL) == 0 && n == 1;
}

static int check_link(struct mu_task *t, struct mu_result *r, struct file_plan *p)
{
	const char *src = mu_arg_str(t, "src");
	bool force = mu_arg_bool(t, "force");
	char cur[PATH_MAX];
	struct stat sst;
	ssize_t n;

	if (p->attr.mode)
		mu_result_warn(r, "mode is not applied to symlink '%s'", p->path);
	if (p->exists && S_ISLNK(p->lst.st_mode)) {
		n = readlink(p->path, cur, sizeof(cur) - 1);
		if (n < 0)
			return mu_result_fail(r, MU_E_SYS, "file: cannot read link '%s': %s",
					      p->path, strerror(errno));
		cur[n] = '\0';
		if (strcmp(cur, src) == 0) {
			p->link_ok = true;
			top_attr_changes(r, p, p->path, &p->lst, true);
			return 0;
		}
		mu_result_change(r, "point link '%s' at '%s' (was '%s')", p->path, src, cur);
		mu_result_diff(r, "src", cur, src);
		return 0;
	}
	if (!force && lstat(p->src, &sst) != 0)
		return mu_result_fail(r, MU_E_NOTFOUND, "file: src '%s' does not exist; "
				      "use force: true to create the link anyway", src);
	if (p->exists && S_ISDIR(p->lst.st_mode)) {
		if (!force)
			return mu_result_fail(r, MU_E_ARG, "file: '%s' is a directory; use "
					      "force: true to replace it with a link", p->path);
		if (!dir_empty(p->path))
			return mu_result_fail(r, MU_E_SAFETY, "file: '%s' is a directory that "
					      "is not empty; refusing to replace it with a link",
					      p->path);
		p->rmdir_first = true;
	} else if (p->exists && !force) {
		return mu_result_fail(r, MU_E_ARG, "file: '%s' exists and is a %s; use "
				      "force: true to replace it with a link", p->path,
				      kind(&p->lst));
	}
	if (p->exists)
		mu_result_change(r, "replace %s '%s' with a link to '%s'", kind(&p->lst),
				 p->path, src);
	else
		mu_result_change(r, "create link '%s' -> '%s'", p->path, src);
	mu_result_diff(r, "state", p->exists ? kind(&p->lst) : "absent", "link");
	return 0;
}

static int check_hard(struct mu_task *t, struct mu_result *r, struct file_plan *p)
{
	const char *src = mu_arg_str(t, "src");
	struct stat sst;

	if (lstat(p->src, &sst) != 0)
		return mu_result_fail(r, MU_E_NOTFOUND, "file: src '%s' does not exist: "
				      "cannot hard-link to it", src);
	if (S_ISDIR(sst.st_mode))
		return mu_result_fail(r, MU_E_ARG, "file: src '%s' is a directory: cannot "
				      "hard-link to it", src);
	if (p->exists && p->lst.st_ino == sst.st_ino && p->lst.st_dev == sst.st_dev) {
		p->link_ok = true;
		top_attr_changes(r, p, p->path, &p->lst, true);
		return 0;
	}
	if (p->exists && S_ISDIR(p->lst.st_mode))
		return mu_result_fail(r, MU_E_ARG, "file: '%s' is a directory: cannot "
				      "replace it with a hard link", p->path);
	if (p->exists && !mu_arg_bool(t, "force"))
		return mu_result_fail(r, MU_E_ARG, "file: '%s' exists and is not a link to "
				      "'%s'; use force: true to replace it", p->path, src);
	if (p->exists)
		mu_result_change(r, "replace %s '%s' with a hard link to '%s'",
				 kind(&p->lst), p->path, src);
	else
		mu_result_change(r, "create hard link '%s' to '%s'", p->path, src);
	mu_result_diff(r, "state", p->exists ? kind(&p->lst) : "absent", "hard");
	return 0;
}

/* --- data for register ------------------------------------------------- */

static void fill_data(struct mu_result *r, const struct file_plan *p)
{
	const char *where = p->on_link || !strcmp(p->state, "link") ||
			    !strcmp(p->state, "absent") ? p->path : p->target;
	struct stat st;
	char label[160];
	char *m;

	static const char *const stale[] = {
		"uid", "gid", "owner", "group", "mode", "size", "src", NULL
	};

	/* apply() refreshes what check() reported: drop what may be gone. */
	for (int i = 0; stale[i]; i++)
		json_object_del(r->data, stale[i]);
	mu_result_data(r, "path", json_string(p->path));
	if (lstat(where, &st) != 0) {
		mu_result_data(r, "state", json_string("absent"));
		return;
	}
	/* As Ansible reports it: a file with more than one name is "hard". */
	mu_result_data(r, "state", json_string(S_ISREG(st.st_mode) && st.st_nlink > 1 ?
					       "hard" : kind(&st)));
	mu_result_data(r, "uid", json_integer(st.st_uid));
	mu_result_data(r, "gid", json_integer(st.st_gid));
	mu_fattr_owner_label(st.st_uid, label, sizeof(label));
	mu_result_data(r, "owner", json_string(label));
	mu_fattr_group_label(st.st_gid, label, sizeof(label));
	mu_result_data(r, "group", json_string(label));
	m = mode_str(st.st_mode);
	mu_result_data(r, "mode", json_string(m));
	free(m);
	if (S_ISREG(st.st_mode))
		mu_result_data(r, "size", json_integer((json_int_t)st.st_size));
	if (S_ISLNK(st.st_mode)) {
		char cur[PATH_MAX];
		ssize_t n = readlink(where, cur, sizeof(cur) - 1);

		if (n >= 0) {
			cur[n] = '\0';
			mu_result_data(r, "src", json_string(cur));
		}
	}
}

/* --- check ------------------------------------------------------------- */

static char *strip_slashes(const char *path)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	return mu_xstrndup(path, n);
}

static int file_check(struct mu_task *t, struct mu_result *r)
{
	struct file_plan *p = mu_xcalloc(1, sizeof(*p));
	const char *state = mu_arg_str(t, "state");
	const char *src = mu_arg_str(t, "src");
	bool follow = mu_arg_bool(t, "follow");
	bool recurse = mu_arg_bool(t, "recurse");
	struct mu_err e = { 0 };
	int rc;

	t->plan = p;
	p->path = strip_slashes(mu_arg_str(t, "path"));
	if ((rc = mu_fattr_init(&p->attr, mu_arg_str(t, "owner"), mu_arg_str(t, "group"),
				mu_arg_str(t, "mode"), &e)) != 0)
		return mu_result_fail(r, rc, "file: %s", e.msg);
	p->exists = lstat(p->path, &p->lst) == 0;
	if (!p->exists && errno != ENOENT)
		return mu_result_fail(r, MU_E_SYS, "file: cannot stat '%s': %s", p->path,
				      strerror(errno));
	p->target = mu_xstrdup(p->path);
	p->target_exists = p->exists;
	p->tst = p->lst;
	/* link, hard and absent act on the path itself, never its target. */
	if (state && (!strcmp(state, "link") || !strcmp(state, "hard") ||
		      !strcmp(state, "absent")))
		follow = false;
	if (p->exists && S_ISLNK(p->lst.st_mode)) {
		if (follow) {
			char *real = realpath(p->path, NULL);

			p->target_exists = real && lstat(real, &p->tst) == 0;
			if (real) {
				free(p->target);
				p->target = real;
			}
		} else {
			p->on_link = true;
		}
	}
	if (!state) {
		if (p->exists)
			state = p->target_exists && !p->on_link && S_ISDIR(p->tst.st_mode) ?
				"directory" : "file";
		else
			state = recurse ? "directory" : "file";
	}
	p->state = state;
	if (recurse && strcmp(state, "directory") != 0)
		return mu_result_fail(r, MU_E_ARG, "file: recurse needs state 'directory', "
				      "not '%s'", state);
	if (src && strcmp(state, "link") != 0 && strcmp(state, "hard") != 0)
		return mu_result_fail(r, MU_E_ARG, "file: src needs state 'link' or 'hard', "
				      "not '%s'", state);
	if (!src && (!strcmp(state, "link") || !strcmp(state, "hard")))
		return mu_result_fail(r, MU_E_ARG, "file: argument 'src' is required for "
				      "state '%s'", state);
	if (src)
		p->src = src_resolved(p->path, src);

	if (!strcmp(state, "file"))
		rc = check_file_state(r, p);
	else if (!strcmp(state, "directory"))
		rc = check_directory(t, r, p);
	else if (!strcmp(state, "absent"))
		rc = check_absent(t, r, p);
	else if (!strcmp(state, "touch"))
		rc = check_touch(t, r, p);
	else if (!strcmp(state, "link"))
		rc = check_link(t, r, p);
	else
		rc = check_hard(t, r, p);
	if (!rc)
		fill_data(r, p);
	return rc;
}

/* --- apply ------------------------------------------------------------- */

/* A fresh name beside path for an atomic replace. Caller frees. */
static char *temp_name(const char *path)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char rnd[8];
	char sfx[9];
	char *d = mu_xstrdup(path), *b = mu_xstrdup(path);
	char *name;

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		for (size_t i = 0; i < sizeof(rnd); i++)
			rnd[i] = (unsigned char)(getpid() * 31 + (int)i * 7);
	for (size_t i = 0; i < 8; i++)
		sfx[i] = al[rnd[i] % (sizeof(al) - 1)];
	sfx[8] = '\0';
	name = mu_xasprintf("%s/.%s.muster-%s", dirname(d), basename(b), sfx);
	free(d);
	free(b);
	return name;
}

/* Create the missing directories of path, each getting the attributes. */
static int make_dirs(struct mu_result *r, const struct file_plan *p)
{
	char *cur = mu_xstrdup(p->path);
	int rc = 0;

	for (char *s = cur + 1;; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(cur, 0777) == 0) {
			if ((rc = apply_attrs_at(r, &p->attr, cur)) != 0)
				break;
		} else if (errno != EEXIST) {
			rc = mu_result_fail(r, MU_E_SYS, "file: cannot create directory '%s': %s",
					    cur, strerror(errno));
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(cur);
	return rc;
}

static int remove_visit(const struct mu_walk_entry *ent, void *ctx, struct mu_err *e)
{
	(void)ctx;
	if (S_ISDIR(ent->st->st_mode) && !ent->post)
		return 0;
	if (unlinkat(ent->dirfd, ent->name, S_ISDIR(ent->st->st_mode) ? AT_REMOVEDIR : 0) < 0 &&
	    errno != ENOENT)
		return mu_err_sys(e, "cannot remove '%s'", ent->path);
	return 0;
}

static int apply_absent(struct mu_task *t, struct mu_result *r, struct file_plan *p)
{
	struct mu_walk w = {
		.one_file_system = mu_arg_bool(t, "one_file_system"),
		.post_order = true, .visit = remove_visit, .mount = refuse_mount,
	};
	struct mu_err e = { 0 };
	int rc;

	if (!S_ISDIR(p->lst.st_mode)) {
		if (unlink(p->path) < 0 && errno != ENOENT)
			return mu_result_fail(r, MU_E_SYS, "file: cannot remove '%s': %s",
					      p->path, strerror(errno));
		return 0;
	}
	if ((rc = mu_walk_tree(p->path, &w, &e)) != 0)
		return mu_result_fail(r, rc, "file: %s", e.msg);
	return 0;
}

static int apply_touch(struct mu_task *t, struct mu_result *r, struct file_plan *p)
{
	int flags = mu_arg_bool(t, "follow") ? 0 : AT_SYMLINK_NOFOLLOW;

	if (!p->exists) {
		int fd = open(p->path, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY | O_CLOEXEC,
			      0666);

		if (fd < 0)
			return mu_result_fail(r, MU_E_SYS, "file: cannot create '%s': %s",
					      p->path, strerror(errno));
		close(fd);
	} else if (utimensat(AT_FDCWD, p->path, NULL, flags) < 0) {
		return mu_result_fail(r, MU_E_SYS, "file: cannot update the times of '%s': %s",
				      p->path, strerror(errno));
	}
	return apply_attrs_at(r, &p->attr, p->on_link ? p->path : p->target);
}

static int apply_link(struct mu_task *t, struct mu_result *r, struct file_plan *p,
		      bool hard)
{
	const char *src = mu_arg_str(t, "src");
	char *tmp = NULL;
	int rc = 0, tries = 0;

	if (p->rmdir_first && rmdir(p->path) < 0) {
		rc = mu_result_fail(r, MU_E_SYS, "file: cannot remove directory '%s': %s",
				    p->path, strerror(errno));
		goto out;
	}
	/* A link made under a temporary name and renamed: never a gap. */
	for (;;) {
		free(tmp);
		tmp = temp_name(p->path);
		if ((hard ? link(p->src, tmp) : symlink(src, tmp)) == 0)
			break;
		if (errno != EEXIST || ++tries > 50) {
			rc = mu_result_fail(r, MU_E_SYS, "file: cannot create link '%s': %s",
					    tmp, strerror(errno));
			goto out;
		}
	}
	if (rename(tmp, p->path) < 0) {
		rc = mu_result_fail(r, MU_E_SYS, "file: cannot rename '%s' to '%s': %s", tmp,
				    p->path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = apply_attrs_at(r, &p->attr, p->path);
out:
	free(tmp);
	return rc;
}

static int file_apply(struct mu_task *t, struct mu_result *r)
{
	struct file_plan *p = t->plan;
	const char *s = p->state;
	struct tree_count c = { 0 };
	int rc;

	if (!strcmp(s, "absent")) {
		rc = apply_absent(t, r, p);
	} else if (!strcmp(s, "touch")) {
		rc = apply_touch(t, r, p);
	} else if (!strcmp(s, "link") || !strcmp(s, "hard")) {
		rc = p->link_ok ? apply_attrs_at(r, &p->attr, p->path)
				: apply_link(t, r, p, !strcmp(s, "hard"));
	} else if (!strcmp(s, "directory") && !p->exists) {
		rc = make_dirs(r, p);
	} else if (!strcmp(s, "directory") && mu_arg_bool(t, "recurse")) {
		rc = tree_walk(t, r, p, true, &c);
		json_decref(c.sample);
		json_decref(c.mount_paths);
	} else {
		rc = apply_attrs_at(r, &p->attr, p->on_link ? p->path : p->target);
	}
	if (!rc)
		fill_data(r, p);
	return rc;
}

const struct mu_module mu_mod_file = {
	.name = "file",
	.aliases = file_aliases,
	.args = file_args,
	.summary = "manage a path's type, owner, group and mode, recursively if asked",
	.check = file_check,
	.apply = file_apply,
	.plan_free = plan_free,
};
