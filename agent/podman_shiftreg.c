/* The shift registry on disk (see podman_shiftreg.h). */
#include "podman_shiftreg.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "mu_buf.h"

#define REG_FILE_MAX (1u << 20)

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* "/opt/containers" -> "opt-containers"; "/" -> "-". */
static void escape_path(const char *path, struct mu_buf *b)
{
	static const char hex[] = "0123456789abcdef";
	const char *p = path, *start;

	while (*p == '/')
		p++;
	start = p;
	if (!*p) {
		mu_buf_addch(b, '-');
		return;
	}
	for (; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '/') {
			if (p[1] && p[1] != '/')
				mu_buf_addch(b, '-');
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			   (ch >= '0' && ch <= '9') || ch == '_' || ch == ':' ||
			   (ch == '.' && p != start)) {
			mu_buf_addch(b, (char)ch);
		} else {
			mu_buf_addch(b, '%');
			mu_buf_addch(b, hex[ch >> 4]);
			mu_buf_addch(b, hex[ch & 15]);
		}
	}
}

char *pm_reg_file(const char *dir, const char *user, const char *path)
{
	struct mu_buf b = MU_BUF_INIT;

	mu_buf_addf(&b, "%s/%s/", dir, user);
	escape_path(path, &b);
	mu_buf_addstr(&b, ".json");
	return mu_buf_detach(&b, NULL);
}

static int load_one(const char *file, json_t *out, struct mu_err *e)
{
	struct mu_buf b = MU_BUF_INIT;
	json_error_t jerr;
	json_t *rec = NULL;
	int r;

	if ((r = mu_file_read(file, &b, REG_FILE_MAX, e)) != 0) {
		if (r == MU_E_NOTFOUND) /* removed while we listed */
			r = 0;
		goto out;
	}
	rec = json_loadb(b.buf, b.len, 0, &jerr);
	if (!json_is_object(rec) || !jstr(rec, "path")[0] || !jstr(rec, "user")[0]) {
		r = mu_err_set(e, MU_E_PARSE, "cannot read the shift record '%s': %s", file,
			       !rec ? jerr.text : "no path or user in it");
		goto out;
	}
	json_array_append(out, rec);
out:
	json_decref(rec);
	mu_buf_release(&b);
	return r;
}

int pm_reg_list(const char *dir, json_t **out, struct mu_err *e)
{
	DIR *top = opendir(dir);
	struct dirent *ud;
	int r = 0;

	*out = json_array();
	if (!top)
		return errno == ENOENT ? 0 : mu_err_sys(e, "cannot read '%s'", dir);
	while (r == 0 && (ud = readdir(top))) {
		char *udir;
		DIR *d;
		struct dirent *de;

		if (ud->d_name[0] == '.')
			continue;
		udir = mu_xasprintf("%s/%s", dir, ud->d_name);
		d = opendir(udir);
		while (r == 0 && d && (de = readdir(d))) {
			size_t n = strlen(de->d_name);
			char *file;

			if (de->d_name[0] == '.' || n <= 5 || strcmp(de->d_name + n - 5, ".json") != 0)
				continue;
			file = mu_xasprintf("%s/%s", udir, de->d_name);
			r = load_one(file, *out, e);
			free(file);
		}
		if (d)
			closedir(d);
		free(udir);
	}
	closedir(top);
	return r;
}

const json_t *pm_reg_covering(const json_t *all, const char *path)
{
	const json_t *best = NULL;
	size_t i, best_len = 0;
	json_t *rec;

	json_array_foreach((json_t *)all, i, rec) {
		const char *p = jstr(rec, "path");

		if (pm_path_under(path, p) && (!best || strlen(p) > best_len)) {
			best = rec;
			best_len = strlen(p);
		}
	}
	return best;
}

json_t *pm_reg_nested(const json_t *all, const char *path)
{
	json_t *out = json_array();
	size_t i;
	json_t *rec;

	json_array_foreach((json_t *)all, i, rec) {
		const char *p = jstr(rec, "path");

		if (strcmp(p, path) != 0 && pm_path_under(p, path))
			json_array_append_new(out, json_string(p));
	}
	return out;
}

json_t *pm_reg_new(const char *user, const char *path, const struct pm_idmap *m,
		   const char *by, const json_t *report)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	json_t *rec;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	rec = json_pack("{s:i, s:s, s:s, s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I, s:I}}",
			"version", PM_SHIFTREG_VERSION, "user", user, "path", path,
			"by", by, "shifted_at", when,
			"idmap", "uid", (json_int_t)m->uid, "gid", (json_int_t)m->gid,
			"ustart", (json_int_t)m->ustart, "ucount", (json_int_t)m->ucount,
			"gstart", (json_int_t)m->gstart, "gcount", (json_int_t)m->gcount);
	json_object_set_new(rec, "counts", json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?}",
		"entries", json_object_get(report, "entries"),
		"changed", json_object_get(report, "changed"),
		"uids", json_object_get(report, "uids"),
		"gids", json_object_get(report, "gids"),
		"outside", json_object_get(report, "outside")));
	json_object_set_new(rec, "later", json_array());
	return rec;
}

bool pm_reg_map(const json_t *rec, struct pm_idmap *m)
{
	const json_t *im = json_object_get(rec, "idmap");

	if (!json_is_object(im) || !json_is_integer(json_object_get(im, "ustart")))
		return false;
	m->uid = (unsigned long)json_integer_value(json_object_get(im, "uid"));
	m->gid = (unsigned long)json_integer_value(json_object_get(im, "gid"));
	m->ustart = (unsigned long)json_integer_value(json_object_get(im, "ustart"));
	m->ucount = (unsigned long)json_integer_value(json_object_get(im, "ucount"));
	m->gstart = (unsigned long)json_integer_value(json_object_get(im, "gstart"));
	m->gcount = (unsigned long)json_integer_value(json_object_get(im, "gcount"));
	return true;
}

bool pm_idmap_equal(const struct pm_idmap *a, const struct pm_idmap *b)
{
	return a->uid == b->uid && a->gid == b->gid && a->ustart == b->ustart &&
	       a->ucount == b->ucount && a->gstart == b->gstart && a->gcount == b->gcount;
}

int pm_reg_save(const char *dir, const json_t *rec, struct mu_err *e)
{
	const char *user = jstr(rec, "user");
	char *udir = mu_xasprintf("%s/%s", dir, user);
	char *file = pm_reg_file(dir, user, jstr(rec, "path"));
	char *text = json_dumps(rec, JSON_INDENT(1) | JSON_SORT_KEYS);
	bool changed;
	int r;

	if ((r = mu_mkdir_p(udir, 0700, e)) != 0)
		goto out;
	if (!text) {
		r = mu_err_set(e, MU_E_INTERNAL, "cannot encode the shift record for '%s'",
			       jstr(rec, "path"));
		goto out;
	}
	r = mu_file_replace(file, text, strlen(text), 0600, 0, 0, &changed, e);
out:
	free(text);
	free(file);
	free(udir);
	return r;
}

int pm_reg_remove(const char *dir, const char *user, const char *path, struct mu_err *e)
{
	char *file = pm_reg_file(dir, user, path);
	int r = 0;

	if (unlink(file) < 0 && errno != ENOENT)
		r = mu_err_sys(e, "cannot remove the shift record '%s'", file);
	free(file);
	return r;
}
