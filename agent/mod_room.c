/*
 * podman_room: refuse a migration that would not fit. Before rootful
 * images and volumes are copied into a user's rootless storage, measure
 * what the copy needs on each filesystem it touches and what is free
 * there, and fail, naming the path, the mount, the free and the needed
 * space, when it is short.
 *
 * What a copy needs: each image once in the user's storage (with vfs,
 * which is what rootless Podman falls back to, every layer is a full copy
 * of the ones below it, and each container gets one more full copy), plus
 * the image tarball in the staging directory while `podman load` reads it;
 * each named volume's data in the user's volume directory. Images and
 * volumes already in the user's storage count only for what is missing.
 * The module never changes anything: check mode and a real run agree.
 */
#include "module.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "child.h"
#include "fileio.h"
#include "storage_conf.h"
#include "users.h"

#define PODMAN_TIMEOUT 300
#define DU_MAX_DEPTH 256
#define BLOCK 4096u
#define SIZE_MAX_BYTES (UINT64_C(1) << 60)

static const char *const room_aliases[] = { "muster.podman_room", "room", NULL };

static const char *const room_drivers[] = { "auto", "overlay", "vfs", "btrfs", NULL };

static const struct mu_arg room_args[] = {
	{ "user", MU_T_STR, MU_REQUIRED, NULL, NULL, NULL },
	{ "needed", MU_T_STR, 0, NULL, NULL, NULL },
	{ "images", MU_T_LIST, 0, NULL, NULL, NULL },
	{ "containers", MU_T_LIST, 0, NULL, NULL, NULL },
	{ "margin", MU_T_INT, 0, "10", NULL, NULL },
	{ "min_free", MU_T_STR, 0, NULL, NULL, NULL },
	{ "tmpdir", MU_T_PATH, 0, NULL, NULL, NULL },
	{ "driver", MU_T_STR, 0, "auto", room_drivers, NULL },
	MU_ARG_END,
};

/* One filesystem the copy touches, keyed by st_dev. */
struct fs {
	dev_t dev;
	char *path;        /* the first path of ours on it */
	json_t *paths;     /* all of them */
	char *measured;    /* nearest existing ancestor we measured */
	char *mount;
	char *fstype;
	uint64_t free;
	uint64_t need;     /* before margin */
	bool storage;      /* holds the user's storage (min_free applies) */
};

struct room {
	struct fs fs[4];
	size_t nfs;
	uint64_t storage_need;
	uint64_t tmp_need;
	json_t *images;    /* data: what was sized */
	json_t *volumes;
};

/* ---- sizes ---- */

/*
 * "2G", "500M", "1.5GiB", "10485760": bytes, or a number with K, M, G, T
 * (binary multiples; KB/KiB/k are the same thing here).
 */
static int size_parse(const char *arg, const char *s, uint64_t *out, struct mu_err *e)
{
	static const char units[] = "BKMGT";
	const char *p = s;
	uint64_t whole = 0, frac = 0, scale = 1;
	int shift = 0;
	const char *u;

	while (*p == ' ')
		p++;
	if (*p < '0' || *p > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > SIZE_MAX_BYTES)
			goto big;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (scale < UINT64_C(1000000000)) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
	}
	while (*p == ' ')
		p++;
	if (*p) {
		u = strchr(units, *p >= 'a' && *p <= 'z' ? *p - 32 : *p);
		if (!u)
			goto bad;
		shift = (int)(u - units) * 10;
		p++;
		if (shift && (*p == 'i' || *p == 'I'))
			p++;
		if (shift && (*p == 'B' || *p == 'b'))
			p++;
		if (*p)
			goto bad;
	}
	if (whole > (SIZE_MAX_BYTES >> shift))
		goto big;
	*out = (whole << shift) + (uint64_t)((frac << shift) / scale);
	return 0;
bad:
	return mu_err_set(e, MU_E_ARG, "argument '%s': cannot read size '%s': use bytes, "
			  "or a number with K, M, G or T (e.g. 500M, 2G)", arg, s);
big:
	return mu_err_set(e, MU_E_ARG, "argument '%s': size '%s' is too large", arg, s);
}

/* "11.0 MiB (11534336 bytes)" into buf. */
static const char *human(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	int i = 0;

	while (v >= 1024.0 && i < 5) {
		v /= 1024.0;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%" PRIu64 " bytes", n);
	else
		snprintf(buf, len, "%.1f %s (%" PRIu64 " bytes)", v, unit[i], n);
	return buf;
}

static uint64_t round_block(uint64_t n)
{
	return (n + BLOCK - 1) / BLOCK * BLOCK;
}

/* ---- disk usage, the way a copy would lay it out ---- */

struct du {
	uint64_t total;
	dev_t dev;
	struct { dev_t dev; ino_t ino; } *seen;  /* hard links, counted once */
	size_t nseen;
};

static bool du_seen(struct du *d, const struct stat *st)
{
	for (size_t i = 0; i < d->nseen; i++)
		if (d->seen[i].dev == st->st_dev && d->seen[i].ino == st->st_ino)
			return true;
	d->seen = mu_xrealloc(d->seen, (d->nseen + 1) * sizeof(*d->seen));
	d->seen[d->nseen].dev = st->st_dev;
	d->seen[d->nseen].ino = st->st_ino;
	d->nseen++;
	return false;
}

/*
 * Apparent sizes rounded up to blocks: a tar stream (volume export/import)
 * writes sparse files out in full, so the copy needs their apparent size.
 * Never follows symlinks, never leaves the filesystem it starts on.
 */
static void du_dir(struct du *d, int dfd, int depth)
{
	DIR *dir;
	struct dirent *de;

	if (depth > DU_MAX_DEPTH || !(dir = fdopendir(dfd))) {
		close(dfd);
		return;
	}
	while ((de = readdir(dir))) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub;

			d->total += BLOCK;
			if (st.st_dev != d->dev)
				continue;
			sub = openat(dirfd(dir), de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				du_dir(d, sub, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			if (st.st_nlink > 1 && du_seen(d, &st))
				continue;
			d->total += round_block((uint64_t)st.st_size);
		}
	}
	closedir(dir);
}

/* Bytes under path; 0 when it does not exist. */
static uint64_t du(const char *path)
{
	struct du d = { 0 };
	struct stat st;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return 0;
	}
	d.dev = st.st_dev;
	d.total = BLOCK;
	du_dir(&d, fd, 0);
	free(d.seen);
	return d.total;
}

/* ---- what the user's storage already holds ---- */

/* Does <graphroot>/<driver>-<kind>/<kind>.json list id (or name)? */
static bool rootless_has(const struct mu_storage_conf *sc, const char *kind,
			 const char *id, const char *name)
{
	char *path = mu_xasprintf("%s/%s-%s/%s.json", sc->graphroot, sc->driver, kind, kind);
	struct mu_buf text = MU_BUF_INIT;
	json_t *list = NULL;
	json_t *v;
	size_t i;
	bool found = false;

	if (mu_file_read(path, &text, 0, NULL) != 0)
		goto out;
	list = json_loadb(text.buf, text.len, 0, NULL);
	json_array_foreach(list, i, v) {
		const char *vid = json_string_value(json_object_get(v, "id"));
		json_t *names = json_object_get(v, "names");
		json_t *n;
		size_t j;

		if (id && vid && strcmp(vid, id) == 0)
			found = true;
		json_array_foreach(names, j, n)
			if (name && json_string_value(n) && strcmp(json_string_value(n), name) == 0)
				found = true;
		if (found)
			break;
	}
out:
	json_decref(list);
	mu_buf_release(&text);
	free(path);
	return found;
}

/* ---- asking rootful Podman ---- */

/* Run podman (as root) and parse its JSON output. */
static int podman_json(const char *const *argv, json_t **out, struct mu_err *e)
{
	struct mu_child c = MU_CHILD_INIT;
	struct mu_buf o = MU_BUF_INIT, err = MU_BUF_INIT;
	json_error_t je;
	int rc;

	*out = NULL;
	c.argv = argv;
	c.timeout_sec = PODMAN_TIMEOUT;
	rc = mu_child_run(&c, &o, &err, e);
	if (rc < 0)
		goto done;
	if (rc != 0) {
		while (err.len && err.buf[err.len - 1] == '\n')
			err.buf[--err.len] = '\0';
		rc = mu_err_set(e, MU_E_EXEC, "'podman %s%s%s' failed (exit %d): %.*s", argv[1],
				argv[2][0] != '-' ? " " : "", argv[2][0] != '-' ? argv[2] : "",
				rc, (int)(err.len > 400 ? 400 : err.len), err.buf);
		goto done;
	}
	*out = json_loadb(o.buf, o.len, 0, &je);
	if (!*out)
		rc = mu_err_set(e, MU_E_PARSE, "cannot read the output of 'podman %s': %s",
				argv[1], je.text);
done:
	mu_buf_release(&o);
	mu_buf_release(&err);
	return rc;
}

/* argv = prefix..., then each item of list. Caller frees the array only. */
static const char **argv_with(const char *const *prefix, const json_t *list)
{
	size_t np = 0, i;
	const char **argv;
	json_t *v;

	while (prefix[np])
		np++;
	argv = mu_xcalloc(np + json_array_size(list) + 1, sizeof(*argv));
	memcpy(argv, prefix, np * sizeof(*argv));
	json_array_foreach(list, i, v)
		argv[np + i] = json_string_value(v);
	return argv;
}

/*
 * The storage an image costs with driver: vfs stores every layer whole,
 * on top of a copy of the layers below it.
 */
static uint64_t image_storage(const char *id, uint64_t size, const char *driver)
{
	const char *argv[] = { "podman", "history", "--format", "json", id, NULL };
	struct mu_err e = { 0 };
	json_t *hist = NULL;
	uint64_t cum = 0, total = 0;
	size_t layers = 0;

	if (strcmp(driver, "vfs") != 0)
		return size;
	if (podman_json(argv, &hist, &e) != 0 || !json_is_array(hist)) {
		json_decref(hist);
		return size;
	}
	/* History is newest first; layers stack up from the oldest. */
	for (size_t i = json_array_size(hist); i-- > 0;) {
		json_int_t s = json_integer_value(json_object_get(json_array_get(hist, i), "size"));

		if (s <= 0)
			continue;  /* metadata-only steps make no layer */
		cum += (uint64_t)s;
		total += cum;
		layers++;
	}
	json_decref(hist);
	/* What the image holds besides layers (its config) is stored once. */
	return layers ? total + (size > cum ? size - cum : 0) : size;
}

/*
 * Size the rootful images and volumes to copy. containers/images as given
 * (either may be NULL); with neither, every rootful container.
 */
static int size_rootful(const struct mu_storage_conf *sc, json_t *containers,
			json_t *images, struct room *rm, struct mu_result *r)
{
	static const char *const ps[] = { "podman", "ps", "-a", "--format", "json", NULL };
	static const char *const cinspect[] = { "podman", "container", "inspect", NULL };
	static const char *const iinspect[] = { "podman", "image", "inspect", NULL };
	struct mu_err e = { 0 };
	json_t *ids = json_array();       /* images to inspect (ids or names) */
	json_t *per_image = json_object(); /* image id -> containers using it */
	json_t *vols = json_object();      /* volume name -> source */
	json_t *clist = NULL, *cinfo = NULL, *iinfo = NULL;
	const char **argv = NULL;
	json_t *v;
	size_t i;
	int rc = 0;

	if (!containers && !images) {
		rc = podman_json(ps, &clist, &e);
		if (rc == MU_E_EXEC && e.sys_errno == ENOENT) {
			mu_result_warn(r, "podman is not installed: no rootful images or volumes "
				       "to size");
			rc = 0;
			goto out;
		}
		if (rc)
			goto fail;
		containers = json_array();
		json_array_foreach(clist, i, v) {
			const char *id = json_string_value(json_object_get(v, "Id"));

			if (id)
				json_array_append_new(containers, json_string(id));
		}
		json_decref(clist);
		clist = containers;
	}
	if (containers && json_array_size(containers)) {
		argv = argv_with(cinspect, containers);
		if ((rc = podman_json(argv, &cinfo, &e)) != 0)
			goto fail;
		json_array_foreach(cinfo, i, v) {
			const char *img = json_string_value(json_object_get(v, "Image"));
			const char *name = json_string_value(json_object_get(v, "Name"));
			json_t *m;
			size_t j;

			if (img) {
				json_t *users = json_object_get(per_image, img);

				if (!users) {
					users = json_array();
					json_object_set_new(per_image, img, users);
					json_array_append_new(ids, json_string(img));
				}
				json_array_append_new(users, json_string(name ? name : ""));
			}
			json_array_foreach(json_object_get(v, "Mounts"), j, m) {
				const char *type = json_string_value(json_object_get(m, "Type"));
				const char *vn = json_string_value(json_object_get(m, "Name"));
				const char *src = json_string_value(json_object_get(m, "Source"));

				if (type && strcmp(type, "volume") == 0 && vn && src)
					json_object_set_new(vols, vn, json_string(src));
			}
		}
		free(argv);
		argv = NULL;
	}
	json_array_foreach(images, i, v)
		json_array_append(ids, v);
	if (json_array_size(ids)) {
		argv = argv_with(iinspect, ids);
		if ((rc = podman_json(argv, &iinfo, &e)) != 0)
			goto fail;
		json_array_foreach(iinfo, i, v) {
			const char *id = json_string_value(json_object_get(v, "Id"));
			json_t *tags = json_object_get(v, "RepoTags");
			const char *name = json_string_value(json_array_get(tags, 0));
			uint64_t size = (uint64_t)json_integer_value(json_object_get(v, "Size"));
			json_t *users = id ? json_object_get(per_image, id) : NULL;
			bool present;
			uint64_t cost = 0;
			json_t *one;
			json_t *u;
			size_t j;

			if (!id)
				continue;
			/* Listed twice (by name and by a container): size it once. */
			{
				bool dup = false;
				json_t *prev;
				size_t k;

				json_array_foreach(rm->images, k, prev)
					if (strcmp(json_string_value(json_object_get(prev, "id")), id) == 0)
						dup = true;
				if (dup)
					continue;
			}
			present = rootless_has(sc, "images", id, NULL);
			if (!present) {
				cost = image_storage(id, size, sc->driver);
				rm->storage_need += cost;
				rm->tmp_need += size;  /* the tarball `podman load` reads */
			}
			/* vfs: each container's layer is a full copy of its image. */
			json_array_foreach(users, j, u)
				if (strcmp(sc->driver, "vfs") == 0 &&
				    !rootless_has(sc, "containers", NULL, json_string_value(u)))
					rm->storage_need += size;
			one = json_pack("{s:s, s:s?, s:I, s:I, s:b}", "id", id, "name", name,
					"size", (json_int_t)size, "storage", (json_int_t)cost,
					"present", present);
			json_array_append_new(rm->images, one);
		}
	}
	{
		const char *vn;

		json_object_foreach(vols, vn, v) {
			char *mine = mu_xasprintf("%s/volumes/%s/_data", sc->graphroot, vn);
			uint64_t size = du(json_string_value(v));
			uint64_t have = du(mine);
			uint64_t missing = size > have ? size - have : 0;

			rm->storage_need += missing;
			json_array_append_new(rm->volumes,
					      json_pack("{s:s, s:s, s:I, s:I}", "name", vn, "source",
							json_string_value(v), "size", (json_int_t)size,
							"present", (json_int_t)have));
			free(mine);
		}
	}
	goto out;
fail:
	rc = mu_result_fail(r, rc, "podman_room: %s", e.msg);
out:
	free(argv);
	json_decref(ids);
	json_decref(per_image);
	json_decref(vols);
	json_decref(clist);
	json_decref(cinfo);
	json_decref(iinfo);
	return rc;
}

/* ---- filesystems ---- */

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *w = s;

	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			*w++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
}

/* The mount point (and type) holding the resolved path: the longest match. */
static void mount_of(const char *path, char **mount, char **fstype)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	size_t best = 0;

	*mount = mu_xstrdup("/");
	*fstype = mu_xstrdup("?");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		char *rest = line;
		char *mp = NULL, *type = NULL;
		char *tok;
		bool after_dash = false;
		size_t n;

		for (int i = 0; (tok = strsep(&rest, " \n")); i++) {
			if (i == 4)
				mp = tok;
			else if (after_dash) {
				type = tok;
				break;
			} else if (i > 5 && strcmp(tok, "-") == 0)
				after_dash = true;
		}
		if (!mp)
			continue;
		unescape(mp);
		n = strlen(mp);
		if (!(strcmp(mp, "/") == 0 ||
		      (strncmp(path, mp, n) == 0 && (path[n] == '/' || path[n] == '\0'))))
			continue;
		if (n >= best) {  /* later mounts on the same point cover earlier ones */
			best = n;
			free(*mount);
			free(*fstype);
			*mount = mu_xstrdup(mp);
			*fstype = mu_xstrdup(type ? type : "?");
		}
	}
	free(line);
	fclose(f);
}

/* Add need bytes for path to its filesystem (found by nearest existing ancestor). */
static int fs_add(struct room *rm, const char *path, uint64_t need, bool storage,
		  struct mu_err *e)
{
	char *anc = mu_xstrdup(path);
	char real[PATH_MAX];
	struct stat st;
	struct statvfs vfs;
	struct fs *f = NULL;

	while (stat(anc, &st) != 0) {
		char *slash = strrchr(anc, '/');

		if (!slash || slash == anc) {
			anc[1] = '\0';
			if (stat(anc, &st) != 0) {
				free(anc);
				return mu_err_sys(e, "cannot stat '/'");
			}
			break;
		}
		*slash = '\0';
	}
	for (size_t i = 0; i < rm->nfs; i++)
		if (rm->fs[i].dev == st.st_dev)
			f = &rm->fs[i];
	if (!f) {
		if (statvfs(anc, &vfs) != 0) {
			int r = mu_err_sys(e, "cannot measure free space at '%s'", anc);

			free(anc);
			return r;
		}
		f = &rm->fs[rm->nfs++];
		f->dev = st.st_dev;
		f->path = mu_xstrdup(path);
		f->paths = json_array();
		f->measured = mu_xstrdup(anc);
		f->free = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
		mount_of(realpath(anc, real) ? real : anc, &f->mount, &f->fstype);
	}
	json_array_append_new(f->paths, json_string(path));
	f->need += need;
	f->storage |= storage;
	free(anc);
	return 0;
}

static void room_release(struct room *rm)
{
	for (size_t i = 0; i < rm->nfs; i++) {
		free(rm->fs[i].path);
		json_decref(rm->fs[i].paths);
		free(rm->fs[i].measured);
		free(rm->fs[i].mount);
		free(rm->fs[i].fstype);
	}
	json_decref(rm->images);
	json_decref(rm->volumes);
}

static int room_check(struct mu_task *t, struct mu_result *r)
{
	struct mu_storage_conf sc = { 0 };
	struct mu_user u = { 0 };
	struct mu_err e = { 0 };
	struct room rm = { .images = json_array(), .volumes = json_array() };
	const char *needed = mu_arg_str(t, "needed");
	const char *min_free_s = mu_arg_str(t, "min_free");
	json_t *images = mu_arg_json(t, "images");
	json_t *containers = mu_arg_json(t, "containers");
	long long margin = mu_arg_int(t, "margin", 10);
	uint64_t need_bytes = 0, min_free = 0, total = 0;
	struct mu_buf shortfall = MU_BUF_INIT, summary = MU_BUF_INIT;
	json_t *fslist = NULL;
	int rc = 0;

	if (margin < 0 || margin > 1000) {
		rc = mu_result_fail(r, MU_E_ARG, "podman_room: argument 'margin' must be a "
				    "percentage from 0 to 1000, got %lld", margin);
		goto out;
	}
	if (needed && (images || containers)) {
		rc = mu_result_fail(r, MU_E_ARG, "podman_room: give 'needed', or 'images'/"
				    "'containers' to size, not both");
		goto out;
	}
	if ((needed && size_parse("needed", needed, &need_bytes, &e) != 0) ||
	    (min_free_s && size_parse("min_free", min_free_s, &min_free, &e) != 0)) {
		rc = mu_result_fail(r, MU_E_ARG, "podman_room: %s", e.msg);
		goto out;
	}
	if (mu_user_get(mu_arg_str(t, "user"), &u, &e) != 0) {
		rc = mu_result_fail(r, e.code, "podman_room: %s", e.msg);
		goto out;
	}
	if (mu_storage_conf_resolve(&u, &sc, &e) != 0) {
		rc = mu_result_fail(r, e.code, "podman_room: %s", e.msg);
		goto out;
	}
	if (mu_arg_str(t, "tmpdir")) {
		free(sc.tmpdir);
		free(sc.tmpdir_from);
		sc.tmpdir = mu_xstrdup(mu_arg_str(t, "tmpdir"));
		sc.tmpdir_from = mu_xstrdup("argument 'tmpdir'");
	}
	if (strcmp(mu_arg_str(t, "driver"), "auto") != 0) {
		/* The migration may pick the driver (overlay) before first use. */
		free(sc.driver);
		free(sc.driver_from);
		sc.driver = mu_xstrdup(mu_arg_str(t, "driver"));
		sc.driver_from = mu_xstrdup("argument 'driver'");
	}
	if (needed)
		rm.storage_need = need_bytes;
	else if ((rc = size_rootful(&sc, containers, images, &rm, r)) != 0)
		goto out;

	if ((rc = fs_add(&rm, sc.graphroot, rm.storage_need, true, &e)) != 0 ||
	    (rc = fs_add(&rm, sc.tmpdir, rm.tmp_need, false, &e)) != 0) {
		rc = mu_result_fail(r, rc, "podman_room: %s", e.msg);
		goto out;
	}
	fslist = json_array();
	for (size_t i = 0; i < rm.nfs; i++) {
		struct fs *f = &rm.fs[i];
		uint64_t want = f->need + (f->need * (uint64_t)margin + 99) / 100;
		char a[64], b[64];

		if (f->storage && want < min_free)
			want = min_free;
		total += want;
		json_array_append_new(fslist, json_pack("{s:s, s:O, s:s, s:s, s:s, s:I, s:I}",
			"path", f->path, "paths", f->paths, "measured_at", f->measured,
			"mount", f->mount, "fstype", f->fstype, "free", (json_int_t)f->free,
			"needed", (json_int_t)want));
		if (want > f->free)
			mu_buf_addf(&shortfall, "%s'%s' is on '%s' (%s) with %s free, needs %s",
				    shortfall.len ? "; " : "", f->path, f->mount, f->fstype,
				    human(f->free, a, sizeof(a)), human(want, b, sizeof(b)));
		else
			mu_buf_addf(&summary, "%s'%s' has %s free, needs %s",
				    summary.len ? "; " : "", f->mount,
				    human(f->free, a, sizeof(a)), human(want, b, sizeof(b)));
	}
	mu_result_data(r, "user", json_string(u.name));
	mu_result_data(r, "graphroot", json_string(sc.graphroot));
	mu_result_data(r, "graphroot_from", json_string(sc.graphroot_from));
	mu_result_data(r, "driver", json_string(sc.driver));
	mu_result_data(r, "driver_from", json_string(sc.driver_from));
	mu_result_data(r, "tmpdir", json_string(sc.tmpdir));
	mu_result_data(r, "tmpdir_from", json_string(sc.tmpdir_from));
	mu_result_data(r, "margin", json_integer(margin));
	mu_result_data(r, "filesystems", fslist);
	fslist = NULL;
	mu_result_data(r, "needed_total", json_integer((json_int_t)total));
	mu_result_data(r, "images", json_incref(rm.images));
	mu_result_data(r, "volumes", json_incref(rm.volumes));
	if (shortfall.len)
		rc = mu_result_fail(r, MU_E_SAFETY, "not enough room to migrate to '%s': %s",
				    u.name, shortfall.buf);
	else
		mu_result_msg(r, "room to migrate to '%s': %s", u.name, summary.buf);
out:
	json_decref(fslist);
	mu_buf_release(&shortfall);
	mu_buf_release(&summary);
	room_release(&rm);
	mu_storage_conf_release(&sc);
	mu_user_release(&u);
	return rc;
}

const struct mu_module mu_mod_podman_room = {
	.name = "podman_room",
	.aliases = room_aliases,
	.args = room_args,
	.flags = MU_MOD_NEEDS_ROOT,
	.summary = "refuse a migration when the user's rootless storage lacks the room",
	.check = room_check,
};
