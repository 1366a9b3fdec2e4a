/*
 * Rootless Podman's storage location and staging directory for one user,
 * resolved from its configuration files (see storage_conf.h for the rules
 * and where they come from).
 */
#include "storage_conf.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "mu_buf.h"
#include "mu_str.h"

#define CONF_MAX ((size_t)1024 * 1024)

const char *mu_storage_conf_etc = "/etc/containers/storage.conf";
const char *mu_storage_conf_usr = "/usr/share/containers/storage.conf";
const char *mu_containers_conf_usr = "/usr/share/containers/containers.conf";
const char *mu_containers_conf_etc = "/etc/containers/containers.conf";

static bool file_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Net bracket depth of a value, outside strings: > 0 means it continues. */
static int bracket_depth(const char *s, int depth)
{
	char q = 0;

	for (; *s; s++) {
		if (q) {
			if (*s == '\\' && q == '"' && s[1])
				s++;
			else if (*s == q)
				q = 0;
		} else if (*s == '"' || *s == '\'') {
			q = *s;
		} else if (*s == '#') {
			break;
		} else if (*s == '[') {
			depth++;
		} else if (*s == ']') {
			depth--;
		}
	}
	return depth;
}

/* Parse a TOML string at s into out; returns false when s is not one. */
static bool parse_string(const char *s, struct mu_buf *out)
{
	char q = *s;

	if (q != '"' && q != '\'')
		return false;
	if (s[1] == q && s[2] == q)
		return false;  /* multi-line strings: not for paths */
	for (s++; *s && *s != q; s++) {
		if (q == '"' && *s == '\\') {
			s++;
			switch (*s) {
			case 'n': mu_buf_addch(out, '\n'); break;
			case 't': mu_buf_addch(out, '\t'); break;
			case '"': mu_buf_addch(out, '"'); break;
			case '\\': mu_buf_addch(out, '\\'); break;
			default: return false;
			}
			continue;
		}
		mu_buf_addch(out, *s);
	}
	return *s == q;
}

int mu_toml_get_string(const char *path, const char *table, const char *key,
		       char **out, struct mu_err *e)
{
	struct mu_buf text = MU_BUF_INIT;
	char *line, *rest;
	char cur[128] = "";
	int depth = 0;
	int lineno = 0;
	int r;

	*out = NULL;
	if ((r = mu_file_read(path, &text, CONF_MAX, e)) != 0)
		goto out;
	r = MU_E_NOTFOUND;
	for (rest = text.buf; (line = mu_str_line(&rest));) {
		char *l, *eq, *k;

		lineno++;
		if (depth > 0) {  /* inside a multi-line array */
			depth = bracket_depth(line, depth);
			continue;
		}
		l = mu_str_trim(line);
		if (!*l || *l == '#')
			continue;
		if (*l == '[') {
			char *end = strchr(l, ']');
			char *name = l + 1 + (l[1] == '[');

			if (end) {
				*end = '\0';
				snprintf(cur, sizeof(cur), "%s", mu_str_trim(name));
			}
			continue;
		}
		if (!(eq = strchr(l, '=')))
			continue;
		*eq = '\0';
		k = mu_str_trim(l);
		if (k[0] == '"' || k[0] == '\'') {  /* a quoted key: "graphroot" */
			size_t n = strlen(k);

			if (n >= 2 && k[n - 1] == k[0]) {
				k[n - 1] = '\0';
				k++;
			}
		}
		{
			char *v = mu_str_trim(eq + 1);

			depth = bracket_depth(v, 0);
			if (strcmp(cur, table) != 0 || strcmp(k, key) != 0)
				continue;
			{
				struct mu_buf s = MU_BUF_INIT;

				if (!parse_string(v, &s)) {
					mu_buf_release(&s);
					r = mu_err_set(e, MU_E_PARSE, "%s:%d: '%s' in [%s] must be "
						       "a quoted string", path, lineno, key, table);
					goto out;
				}
				*out = mu_buf_detach(&s, NULL);
				r = 0;
				goto out;
			}
		}
	}
	mu_err_set(e, MU_E_NOTFOUND, "no '%s' in [%s] of '%s'", key, table, path);
out:
	mu_buf_release(&text);
	return r;
}

char *mu_storage_expand(const char *in, const struct mu_user *u)
{
	struct mu_buf b = MU_BUF_INIT;

	for (const char *s = in; *s; s++) {
		const char *name;
		size_t n;
		char uid[24];
		char *var;

		if (*s != '$') {
			mu_buf_addch(&b, *s);
			continue;
		}
		if (s[1] == '{') {
			const char *end = strchr(s + 2, '}');

			if (!end) {
				mu_buf_addstr(&b, s);
				break;
			}
			name = s + 2;
			n = (size_t)(end - name);
			s = end;
		} else {
			name = s + 1;
			n = 0;
			while (isalnum((unsigned char)name[n]) || name[n] == '_')
				n++;
			if (n == 0) {
				mu_buf_addch(&b, '$');
				continue;
			}
			s = name + n - 1;
		}
		var = mu_xstrndup(name, n);
		snprintf(uid, sizeof(uid), "%u", (unsigned)u->uid);
		if (strcmp(var, "UID") == 0)
			mu_buf_addstr(&b, uid);
		else if (strcmp(var, "HOME") == 0)
			mu_buf_addstr(&b, u->home);
		else if (strcmp(var, "USER") == 0 || strcmp(var, "LOGNAME") == 0)
			mu_buf_addstr(&b, u->name);
		free(var);
	}
	return mu_buf_detach(&b, NULL);
}

/* Clean "//" and trailing "/" (filepath.Clean's visible effects for us). */
static void clean_path(char *p)
{
	char *w = p;

	for (char *r = p; *r; r++)
		if (!(*r == '/' && w > p && w[-1] == '/'))
			*w++ = *r;
	*w = '\0';
	while (w - p > 1 && w[-1] == '/')
		*--w = '\0';
}

/* A graphroot setting from file: expanded, absolute, or an error. */
static int take_path(const char *file, const char *key, const char *val,
		     const struct mu_user *u, char **path, char **from, struct mu_err *e)
{
	char *x = mu_storage_expand(val, u);

	clean_path(x);
	if (x[0] != '/') {
		int r = mu_err_set(e, MU_E_PARSE, "'%s' in '%s' is '%s', which is not an "
				   "absolute path", key, file, x);

		free(x);
		return r;
	}
	*path = x;
	*from = mu_xasprintf("%s (%s)", file, key);
	return 0;
}

static int resolve_graphroot(const struct mu_user *u, struct mu_storage_conf *c,
			     char **user_driver, char **sys_driver, struct mu_err *e)
{
	char *user_file = mu_xasprintf("%s/.config/containers/storage.conf", u->home);
	const char *sys_file = file_exists(mu_storage_conf_etc) ? mu_storage_conf_etc
								: mu_storage_conf_usr;
	char *v = NULL;
	int r;

	/* The system file's rootless_storage_path is the default for everyone. */
	r = mu_toml_get_string(sys_file, "storage", "rootless_storage_path", &v, e);
	if (r == 0)
		r = take_path(sys_file, "rootless_storage_path", v, u, &c->graphroot,
			      &c->graphroot_from, e);
	free(v);
	v = NULL;
	if (r && r != MU_E_NOTFOUND)
		goto out;
	if (!c->graphroot) {
		c->graphroot = mu_xasprintf("%s/.local/share/containers/storage", u->home);
		c->graphroot_from = mu_xstrdup("default");
	}
	if (mu_toml_get_string(sys_file, "storage", "driver", sys_driver, e) != 0)
		*sys_driver = NULL;

	r = 0;
	if (!file_exists(user_file))
		goto out;
	/* The user's own file replaces the system one entirely. */
	*user_driver = NULL;
	if (mu_toml_get_string(user_file, "storage", "driver", user_driver, e) == MU_E_PARSE) {
		r = MU_E_PARSE;
		goto out;
	}
	free(*sys_driver);
	*sys_driver = NULL;
	r = mu_toml_get_string(user_file, "storage", "graphroot", &v, e);
	if (r == MU_E_NOTFOUND) {
		r = mu_toml_get_string(user_file, "storage", "rootless_storage_path", &v, e);
		if (r == 0) {
			free(c->graphroot);
			free(c->graphroot_from);
			c->graphroot = NULL;
			r = take_path(user_file, "rootless_storage_path", v, u, &c->graphroot,
				      &c->graphroot_from, e);
		}
	} else if (r == 0) {
		free(c->graphroot);
		free(c->graphroot_from);
		c->graphroot = NULL;
		r = take_path(user_file, "graphroot", v, u, &c->graphroot, &c->graphroot_from, e);
	}
	if (r == MU_E_NOTFOUND)
		r = 0;
out:
	free(v);
	free(user_file);
	return r;
}

static bool rootless_driver(const char *d)
{
	return d && (strcmp(d, "overlay") == 0 || strcmp(d, "overlay2") == 0 ||
		     strcmp(d, "vfs") == 0 || strcmp(d, "btrfs") == 0);
}

/*
 * The driver decides how much an image costs (vfs copies every layer in
 * full). What the storage already holds wins, then the configuration;
 * with neither, assume vfs: it costs the most, and it is what rootless
 * Podman falls back to when it cannot use overlay.
 */
static void resolve_driver(struct mu_storage_conf *c, char *user_driver,
			   char *sys_driver)
{
	static const char *const drivers[] = { "overlay", "vfs", "btrfs", NULL };

	for (int i = 0; drivers[i]; i++) {
		char *p = mu_xasprintf("%s/%s-images", c->graphroot, drivers[i]);
		struct stat st;
		bool there = stat(p, &st) == 0 && S_ISDIR(st.st_mode);

		free(p);
		if (there) {
			c->driver = mu_xstrdup(drivers[i]);
			c->driver_from = mu_xstrdup("existing storage");
			return;
		}
	}
	if (user_driver && *user_driver) {
		c->driver = mu_xstrdup(user_driver);
		c->driver_from = mu_xstrdup("user storage.conf");
	} else if (rootless_driver(sys_driver)) {
		c->driver = mu_xstrdup(sys_driver);
		c->driver_from = mu_xstrdup("system storage.conf");
	} else {
		c->driver = mu_xstrdup("vfs");
		c->driver_from = mu_xstrdup("assumed (no storage yet; vfs costs the most)");
	}
	if (strcmp(c->driver, "overlay2") == 0) {
		free(c->driver);
		c->driver = mu_xstrdup("overlay");
	}
}

/* Apply image_copy_tmp_dir from file, if it sets it. */
static int tmpdir_from_file(const char *file, const struct mu_storage_conf *c,
			    char **val, char **from, struct mu_err *e)
{
	char *v = NULL;
	int r = mu_toml_get_string(file, "engine", "image_copy_tmp_dir", &v, e);

	if (r == MU_E_NOTFOUND)
		return 0;
	if (r)
		return r;
	free(*val);
	free(*from);
	if (strcmp(v, "storage") == 0) {
		*val = mu_xasprintf("%s/tmp", c->graphroot);
	} else if (v[0] == '/') {
		*val = mu_xstrdup(v);
	} else {
		*val = NULL;
		*from = NULL;
		r = mu_err_set(e, MU_E_PARSE, "image_copy_tmp_dir '%s' in '%s' is not an "
			       "absolute path", v, file);
		free(v);
		return r;
	}
	*from = mu_xasprintf("%s (image_copy_tmp_dir)", file);
	free(v);
	return 0;
}

static int tmpdir_from_dir(const char *dir, const struct mu_storage_conf *c,
			   char **val, char **from, struct mu_err *e)
{
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort);
	int r = 0;

	for (int i = 0; i < n; i++) {
		size_t len = strlen(ents[i]->d_name);

		if (r == 0 && len > 5 && strcmp(ents[i]->d_name + len - 5, ".conf") == 0) {
			char *p = mu_xasprintf("%s/%s", dir, ents[i]->d_name);

			r = tmpdir_from_file(p, c, val, from, e);
			free(p);
		}
		free(ents[i]);
	}
	free(ents);
	return r;
}

static int resolve_tmpdir(const struct mu_user *u, struct mu_storage_conf *c,
			  struct mu_err *e)
{
	char *files[3];
	char *etc_d = mu_xasprintf("%s.d", mu_containers_conf_etc);
	int r;

	files[0] = mu_xasprintf("%s/.config/containers/containers.conf", u->home);
	files[1] = mu_xasprintf("%s.d", files[0]);
	files[2] = NULL;
	c->tmpdir = mu_xstrdup("/var/tmp");
	c->tmpdir_from = mu_xstrdup("default");
	if ((r = tmpdir_from_file(mu_containers_conf_usr, c, &c->tmpdir, &c->tmpdir_from, e)) ||
	    (r = tmpdir_from_file(mu_containers_conf_etc, c, &c->tmpdir, &c->tmpdir_from, e)) ||
	    (r = tmpdir_from_dir(etc_d, c, &c->tmpdir, &c->tmpdir_from, e)) ||
	    (r = tmpdir_from_file(files[0], c, &c->tmpdir, &c->tmpdir_from, e)) ||
	    (r = tmpdir_from_dir(files[1], c, &c->tmpdir, &c->tmpdir_from, e)))
		goto out;
out:
	free(files[0]);
	free(files[1]);
	free(etc_d);
	return r;
}

int mu_storage_conf_resolve(const struct mu_user *u, struct mu_storage_conf *out,
			    struct mu_err *e)
{
	char *user_driver = NULL, *sys_driver = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = resolve_graphroot(u, out, &user_driver, &sys_driver, e)) != 0)
		goto out;
	resolve_driver(out, user_driver, sys_driver);
	r = resolve_tmpdir(u, out, e);
out:
	free(user_driver);
	free(sys_driver);
	if (r)
		mu_storage_conf_release(out);
	return r;
}

void mu_storage_conf_release(struct mu_storage_conf *c)
{
	free(c->graphroot);
	free(c->graphroot_from);
	free(c->driver);
	free(c->driver_from);
	free(c->tmpdir);
	free(c->tmpdir_from);
	memset(c, 0, sizeof(*c));
}
