/* The rootful podman-restart.service, disabled and enabled offline (see podman_boot.h). */
#include "podman_boot.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "fileio.h"
#include "mu_buf.h"
#include "podman_record.h"
#include "unitfile.h"

#define BOOT_RECORD "podman-restart.json"

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* Add {path, target} when path is a symlink not listed yet. */
static void add_link(json_t *out, const char *path)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;
	size_t i;
	json_t *v;

	if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode))
		return;
	json_array_foreach(out, i, v)
		if (strcmp(jstr(v, "path"), path) == 0)
			return;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return;
	target[n] = '\0';
	json_array_append_new(out, json_pack("{s:s, s:s}", "path", path, "target", target));
}

static bool dep_dir(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot && (strcmp(dot, ".wants") == 0 || strcmp(dot, ".requires") == 0 ||
		       strcmp(dot, ".upholds") == 0);
}

json_t *pm_boot_links(void)
{
	struct mu_unit_paths paths;
	struct mu_unit_links links = { 0 };
	struct mu_unit_list units = { 0 }, statics = { 0 };
	struct mu_err e = { 0 };
	json_t *out = json_array();
	DIR *d;
	struct dirent *de;

	mu_unit_paths_init(&paths, MU_UNIT_SYSTEM, NULL, 0);
	/* what enabling would create (WantedBy=, Alias=, ...) */
	if (mu_unit_enable_links(&paths, PM_BOOT_UNIT, MU_UNIT_FOR_DISABLE, &links, &units,
				 &statics, &e) == 0) {
		for (size_t i = 0; i < links.n; i++) {
			char *p = links.v[i].dir[0]
				? mu_xasprintf("%s/%s/%s", paths.config, links.v[i].dir, links.v[i].name)
				: mu_xasprintf("%s/%s", paths.config, links.v[i].name);

			add_link(out, p);
			free(p);
		}
	}
	/* and, as systemctl disable does, any dependency link naming the unit */
	d = opendir(paths.config);
	while (d && (de = readdir(d))) {
		char *p;

		if (de->d_name[0] == '.' || !dep_dir(de->d_name))
			continue;
		p = mu_xasprintf("%s/%s/%s", paths.config, de->d_name, PM_BOOT_UNIT);
		add_link(out, p);
		free(p);
	}
	if (d)
		closedir(d);
	mu_unit_links_release(&links);
	mu_unit_list_release(&units);
	mu_unit_list_release(&statics);
	mu_unit_paths_release(&paths);
	return out;
}

char *pm_boot_record_path(const char *record_dir)
{
	return mu_xasprintf("%s/%s", record_dir, BOOT_RECORD);
}

int pm_boot_record_load(const char *record_dir, json_t **out, struct mu_err *e)
{
	char *path = pm_boot_record_path(record_dir);
	int r = pm_json_record_read(path, out, e);

	free(path);
	return r;
}

/* A running systemd rereads its unit links, as after systemctl (dis|en)able. */
static void reload_manager(void)
{
	static const char *const argv[] = { "systemctl", "daemon-reload", NULL };
	struct stat st;

	if (stat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode))
		mu_run(argv, NULL, NULL, NULL);
}

int pm_boot_disable(const char *record_dir, const json_t *links, const json_t *containers,
		    const char *user, struct mu_err *e)
{
	char *path = pm_boot_record_path(record_dir);
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	json_t *rec = NULL;
	char *text = NULL;
	bool changed;
	size_t i;
	json_t *v;
	int r;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	rec = json_pack("{s:i, s:s, s:s, s:O, s:O, s:s}", "version", 1, "unit", PM_BOOT_UNIT,
			"disabled_at", when, "links", links, "containers", containers,
			"user", user);
	text = json_dumps(rec, JSON_INDENT(1) | JSON_SORT_KEYS);
	/* the record first: a disable cut short can still be undone */
	if ((r = mu_mkdir_p(record_dir, 0700, e)) != 0 ||
	    (r = mu_file_replace(path, text, strlen(text), 0600, 0, 0, &changed, e)) != 0)
		goto out;
	json_array_foreach((json_t *)links, i, v)
		if (unlink(jstr(v, "path")) < 0 && errno != ENOENT) {
			r = mu_err_sys(e, "cannot remove '%s'", jstr(v, "path"));
			goto out;
		}
	reload_manager();
out:
	free(text);
	json_decref(rec);
	free(path);
	return r;
}

int pm_boot_enable(const char *record_dir, const json_t *record, struct mu_err *e)
{
	char *path = pm_boot_record_path(record_dir);
	size_t i;
	json_t *v;
	int r = 0;

	json_array_foreach(json_object_get(record, "links"), i, v) {
		const char *lp = jstr(v, "path");
		struct stat st;
		char *dir;

		if (lstat(lp, &st) == 0)
			continue; /* put back already, or replaced by the admin: theirs */
		dir = mu_xstrdup(lp);
		*strrchr(dir, '/') = '\0';
		r = mu_mkdir_p(dir, 0755, e);
		free(dir);
		if (r)
			goto out;
		if (symlink(jstr(v, "target"), lp) < 0) {
			r = mu_err_sys(e, "cannot create the symlink '%s'", lp);
			goto out;
		}
	}
	if (unlink(path) < 0 && errno != ENOENT)
		r = mu_err_sys(e, "cannot remove '%s'", path);
	reload_manager();
out:
	free(path);
	return r;
}
