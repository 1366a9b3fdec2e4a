/* Migration records on disk (see podman_record.h). */
#include "podman_record.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "mu_buf.h"

char *pm_record_path(const char *dir, const char *user, const char *name)
{
	return mu_xasprintf("%s/%s/%s.json", dir, user, name);
}

int pm_json_record_read(const char *path, json_t **out, struct mu_err *e)
{
	struct mu_buf b = MU_BUF_INIT;
	json_error_t jerr;
	int r;

	*out = NULL;
	r = mu_file_read(path, &b, 0, e);
	if (r == MU_E_NOTFOUND) {
		mu_err_clear(e);
		r = 0;
		goto out;
	}
	if (r)
		goto out;
	*out = json_loadb(b.buf, b.len, 0, &jerr);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		r = mu_err_set(e, MU_E_PARSE, "cannot parse the record '%s': %s", path,
			       jerr.text[0] ? jerr.text : "not an object");
	}
out:
	mu_buf_release(&b);
	return r;
}

int pm_record_load(const char *dir, const char *user, const char *name,
		   json_t **out, struct mu_err *e)
{
	char *path = pm_record_path(dir, user, name);
	int r = pm_json_record_read(path, out, e);

	free(path);
	return r;
}

int pm_record_save(const char *dir, const char *user, const char *name,
		   const json_t *rec, struct mu_err *e)
{
	char *udir = mu_xasprintf("%s/%s", dir, user);
	char *path = pm_record_path(dir, user, name);
	char *text = json_dumps(rec, JSON_INDENT(1) | JSON_SORT_KEYS);
	bool changed;
	int r;

	if ((r = mu_mkdir_p(udir, 0700, e)) != 0)
		goto out;
	if (!text) {
		r = mu_err_set(e, MU_E_INTERNAL, "cannot encode the record for '%s'", name);
		goto out;
	}
	r = mu_file_replace(path, text, strlen(text), 0600, 0, 0, &changed, e);
out:
	free(text);
	free(path);
	free(udir);
	return r;
}

int pm_record_retire(const char *dir, const char *user, const char *name,
		     struct mu_err *e)
{
	char *path = pm_record_path(dir, user, name);
	char *old = mu_xasprintf("%s.rolled-back", path);
	int r = 0;

	if (rename(path, old) < 0 && errno != ENOENT)
		r = mu_err_sys(e, "cannot move '%s' aside", path);
	free(old);
	free(path);
	return r;
}

bool pm_record_any(const char *dir, const char *name, const char *except_user)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool found = false;

	while (d && !found && (de = readdir(d))) {
		struct stat st;
		char *path;

		if (de->d_name[0] == '.' || (except_user && strcmp(de->d_name, except_user) == 0))
			continue;
		path = pm_record_path(dir, de->d_name, name);
		found = stat(path, &st) == 0 && S_ISREG(st.st_mode);
		free(path);
	}
	if (d)
		closedir(d);
	return found;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

json_t *pm_record_list(const char *dir, const char *user)
{
	char *udir = mu_xasprintf("%s/%s", dir, user);
	json_t *out = json_array();
	DIR *d = opendir(udir);
	struct dirent *de;

	char **names = NULL;
	size_t cnt = 0;

	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n > 5 && de->d_name[0] != '.' && strcmp(de->d_name + n - 5, ".json") == 0) {
			names = mu_xrealloc(names, (cnt + 1) * sizeof(*names));
			names[cnt++] = mu_xstrndup(de->d_name, n - 5);
		}
	}
	if (d)
		closedir(d);
	/* readdir order is the filesystem's: give a stable one */
	if (cnt)
		qsort(names, cnt, sizeof(*names), cmp_str);
	for (size_t i = 0; i < cnt; i++) {
		json_array_append_new(out, json_string(names[i]));
		free(names[i]);
	}
	free(names);
	free(udir);
	return out;
}
