/*
 * Unit files read offline, as systemctl reads them when it has no manager
 * to ask (see unitfile.h). The rules follow systemd.unit(5): the search
 * path order, instances falling back to their template, [Install] lists
 * where an empty assignment resets, and Also= followed transitively.
 */
#include "unitfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fileio.h"
#include "mu_buf.h"
#include "mu_str.h"

#define UNIT_NAME_MAX 255
#define UNIT_FILE_MAX ((size_t)1024 * 1024)

static const char *const unit_types[] = {
	".service", ".socket", ".target", ".timer", ".path", ".mount",
	".automount", ".swap", ".slice", ".scope", ".device", NULL,
};

void mu_unit_list_add(struct mu_unit_list *l, const char *s)
{
	l->v = mu_xrealloc(l->v, (l->n + 2) * sizeof(*l->v));
	l->v[l->n++] = mu_xstrdup(s);
	l->v[l->n] = NULL;
}

bool mu_unit_list_has(const struct mu_unit_list *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

static void list_clear(struct mu_unit_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
	if (l->v)
		l->v[0] = NULL;
}

void mu_unit_list_release(struct mu_unit_list *l)
{
	list_clear(l);
	free(l->v);
	l->v = NULL;
}

void mu_unit_paths_init(struct mu_unit_paths *p, enum mu_unit_scope scope,
			const char *home, uid_t uid)
{
	char run[64];

	memset(p, 0, sizeof(*p));
	if (scope == MU_UNIT_SYSTEM) {
		static const char *const sys[] = {
			"/etc/systemd/system.control", "/run/systemd/system.control",
			"/etc/systemd/system", "/etc/systemd/system.attached",
			"/run/systemd/system", "/run/systemd/system.attached",
			"/usr/local/lib/systemd/system", "/lib/systemd/system",
			"/usr/lib/systemd/system", NULL,
		};

		for (int i = 0; sys[i]; i++)
			mu_unit_list_add(&p->dirs, sys[i]);
		p->config = mu_xstrdup("/etc/systemd/system");
		p->root = mu_xstrdup("/");
		p->config_rel = mu_xstrdup("etc/systemd/system");
		return;
	}
	/* $XDG_RUNTIME_DIR is /run/user/UID for the users we act for. */
	snprintf(run, sizeof(run), "/run/user/%u/systemd/user", (unsigned)uid);
	{
		char *a = mu_xasprintf("%s/.config/systemd/user.control", home);
		char *b = mu_xasprintf("%s/.config/systemd/user", home);
		char *c = mu_xasprintf("%s/.local/share/systemd/user", home);

		mu_unit_list_add(&p->dirs, a);
		mu_unit_list_add(&p->dirs, b);
		mu_unit_list_add(&p->dirs, "/etc/xdg/systemd/user");
		mu_unit_list_add(&p->dirs, "/etc/systemd/user");
		mu_unit_list_add(&p->dirs, run);
		mu_unit_list_add(&p->dirs, "/run/systemd/user");
		mu_unit_list_add(&p->dirs, c);
		mu_unit_list_add(&p->dirs, "/usr/local/share/systemd/user");
		mu_unit_list_add(&p->dirs, "/usr/share/systemd/user");
		mu_unit_list_add(&p->dirs, "/usr/local/lib/systemd/user");
		mu_unit_list_add(&p->dirs, "/usr/lib/systemd/user");
		p->config = b;
		free(a);
		free(c);
	}
	p->root = mu_xstrdup(home);
	p->config_rel = mu_xstrdup(".config/systemd/user");
}

void mu_unit_paths_release(struct mu_unit_paths *p)
{
	mu_unit_list_release(&p->dirs);
	free(p->config);
	free(p->root);
	free(p->config_rel);
	memset(p, 0, sizeof(*p));
}

char *mu_unit_paths_str(const struct mu_unit_paths *p)
{
	struct mu_buf b = MU_BUF_INIT;

	for (size_t i = 0; i < p->dirs.n; i++)
		mu_buf_addf(&b, "%s%s", i ? ", " : "", p->dirs.v[i]);
	return mu_buf_detach(&b, NULL);
}

const char *mu_unit_suffix(const char *name)
{
	for (int i = 0; unit_types[i]; i++) {
		size_t n = strlen(name), s = strlen(unit_types[i]);

		if (n > s && strcmp(name + n - s, unit_types[i]) == 0)
			return name + n - s;
	}
	return "";
}

int mu_unit_name_normalize(const char *in, char **out, struct mu_err *e)
{
	const char *at;

	*out = NULL;
	if (!*in)
		return mu_err_set(e, MU_E_ARG, "unit name is empty");
	for (const char *s = in; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(":-_.\\@", *s))
			return mu_err_set(e, MU_E_ARG,
					  "invalid unit name '%s': character '%c' is not allowed",
					  in, *s);
	if (in[0] == '@' || in[0] == '.')
		return mu_err_set(e, MU_E_ARG, "invalid unit name '%s'", in);
	at = strchr(in, '@');
	if (at && strchr(at + 1, '@'))
		return mu_err_set(e, MU_E_ARG, "invalid unit name '%s': more than one '@'", in);
	if (*mu_unit_suffix(in))
		*out = mu_xstrdup(in);
	else
		*out = mu_xasprintf("%s.service", in);
	if (strlen(*out) > UNIT_NAME_MAX) {
		free(*out);
		*out = NULL;
		return mu_err_set(e, MU_E_ARG, "invalid unit name '%s': too long", in);
	}
	return 0;
}

bool mu_unit_is_template(const char *name)
{
	const char *at = strchr(name, '@');

	return at && *mu_unit_suffix(name) && at + 1 == mu_unit_suffix(name);
}

bool mu_unit_is_instance(const char *name)
{
	const char *at = strchr(name, '@');

	return at && *mu_unit_suffix(name) && at + 1 < mu_unit_suffix(name);
}

char *mu_unit_template_of(const char *name)
{
	const char *at = strchr(name, '@');

	if (!mu_unit_is_instance(name))
		return NULL;
	return mu_xasprintf("%.*s@%s", (int)(at - name), name, mu_unit_suffix(name));
}

/* Where name sits in dir, when it does: masked when /dev/null or empty. */
static bool probe(const char *dir, const char *name, char **path, bool *masked)
{
	char *p = mu_xasprintf("%s/%s", dir, name);
	struct stat st;
	char target[16];
	ssize_t n;

	if (lstat(p, &st) != 0) {
		free(p);
		return false;
	}
	*masked = false;
	if (S_ISLNK(st.st_mode)) {
		n = readlink(p, target, sizeof(target) - 1);
		if (n >= 0) {
			target[n] = '\0';
			if (strcmp(target, "/dev/null") == 0)
				*masked = true;
		}
		if (!*masked && stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
			*masked = true;
	} else if ((S_ISREG(st.st_mode) && st.st_size == 0) ||
		   (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))) {
		*masked = true;
	}
	*path = p;
	return true;
}

static void add_once(struct mu_unit_list *l, const char *s)
{
	if (!mu_unit_list_has(l, s))
		mu_unit_list_add(l, s);
}

static bool find_in(const struct mu_unit_paths *p, const char *name,
		    bool skip_config_masks, char **path, bool *masked)
{
	for (size_t i = 0; i < p->dirs.n; i++) {
		if (!probe(p->dirs.v[i], name, path, masked))
			continue;
		if (*masked && skip_config_masks && strcmp(p->dirs.v[i], p->config) == 0) {
			free(*path);
			*path = NULL;
			continue;
		}
		return true;
	}
	return false;
}

int mu_unit_find(const struct mu_unit_paths *p, const char *name,
		 bool skip_config_masks, char **path, bool *masked,
		 struct mu_err *e)
{
	char *tmpl = NULL;
	char *where = NULL;
	int r = 0;

	*path = NULL;
	*masked = false;
	if (find_in(p, name, skip_config_masks, path, masked))
		return 0;
	/* An instance with no file of its own runs from its template. */
	tmpl = mu_unit_template_of(name);
	if (tmpl && find_in(p, tmpl, skip_config_masks, path, masked))
		goto out;
	where = mu_unit_paths_str(p);
	r = mu_err_set(e, MU_E_NOTFOUND, "unit '%s' not found in the unit search path: %s",
		       name, where);
out:
	free(tmpl);
	free(where);
	return r;
}

/* Split a value on whitespace into l; quotes around a word are dropped. */
static void add_words(struct mu_unit_list *l, const char *v)
{
	while (*v) {
		const char *start;
		size_t n;
		char *w;

		while (isspace((unsigned char)*v))
			v++;
		if (!*v)
			break;
		if (*v == '"' || *v == '\'') {
			char q = *v++;

			start = v;
			while (*v && *v != q)
				v++;
			n = (size_t)(v - start);
			if (*v)
				v++;
		} else {
			start = v;
			while (*v && !isspace((unsigned char)*v))
				v++;
			n = (size_t)(v - start);
		}
		w = mu_xstrndup(start, n);
		if (*w && !mu_unit_list_has(l, w))
			mu_unit_list_add(l, w);
		free(w);
	}
}

int mu_unit_install_parse(const char *text, struct mu_unit_install *out,
			  struct mu_err *e)
{
	char *copy = mu_xstrdup(text);
	char *rest = copy, *line;
	bool in_install = false;

	(void)e;
	memset(out, 0, sizeof(*out));
	/* A backslash at the end of a line continues it, as a space. */
	for (char *s = copy; *s; s++)
		if (s[0] == '\\' && s[1] == '\n') {
			s[0] = ' ';
			s[1] = ' ';
		}
	while ((line = mu_str_line(&rest))) {
		char *l = mu_str_trim(line), *eq, *key, *val;
		struct mu_unit_list *dst = NULL;

		if (!*l || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			in_install = strcmp(l, "[Install]") == 0;
			continue;
		}
		if (!in_install || !(eq = strchr(l, '=')))
			continue;
		*eq = '\0';
		key = mu_str_trim(l);
		val = mu_str_trim(eq + 1);
		if (strcmp(key, "WantedBy") == 0)
			dst = &out->wanted_by;
		else if (strcmp(key, "RequiredBy") == 0)
			dst = &out->required_by;
		else if (strcmp(key, "UpheldBy") == 0)
			dst = &out->upheld_by;
		else if (strcmp(key, "Also") == 0)
			dst = &out->also;
		else if (strcmp(key, "Alias") == 0)
			dst = &out->alias;
		else if (strcmp(key, "DefaultInstance") == 0) {
			free(out->default_instance);
			out->default_instance = *val ? mu_xstrdup(val) : NULL;
			continue;
		} else {
			continue;
		}
		if (!*val)
			list_clear(dst);  /* an empty assignment resets the list */
		else
			add_words(dst, val);
	}
	free(copy);
	return 0;
}

void mu_unit_install_release(struct mu_unit_install *in)
{
	mu_unit_list_release(&in->wanted_by);
	mu_unit_list_release(&in->required_by);
	mu_unit_list_release(&in->upheld_by);
	mu_unit_list_release(&in->also);
	mu_unit_list_release(&in->alias);
	free(in->default_instance);
	memset(in, 0, sizeof(*in));
}

int mu_unit_specifiers(const char *in, const char *name, char **out,
		       struct mu_err *e)
{
	struct mu_buf b = MU_BUF_INIT;
	const char *suffix = mu_unit_suffix(name);
	const char *at = strchr(name, '@');
	size_t stem = (size_t)(suffix - name);              /* %N */
	size_t prefix = at ? (size_t)(at - name) : stem;    /* %p */

	*out = NULL;
	for (const char *s = in; *s; s++) {
		if (*s != '%') {
			mu_buf_addch(&b, *s);
			continue;
		}
		switch (*++s) {
		case '%':
			mu_buf_addch(&b, '%');
			break;
		case 'n':
			mu_buf_addstr(&b, name);
			break;
		case 'N':
			mu_buf_add(&b, name, stem);
			break;
		case 'p':
			mu_buf_add(&b, name, prefix);
			break;
		case 'i':
			if (at)
				mu_buf_add(&b, at + 1, (size_t)(suffix - at - 1));
			break;
		case 'j': {
			const char *dash = memrchr(name, '-', prefix);

			if (dash)
				mu_buf_add(&b, dash + 1, prefix - (size_t)(dash + 1 - name));
			else
				mu_buf_add(&b, name, prefix);
			break;
		}
		case '\0':
			mu_buf_release(&b);
			return mu_err_set(e, MU_E_UNSUPPORTED,
					  "'%s' in [Install] of '%s' ends with a lone '%%'",
					  in, name);
		default:
			mu_buf_release(&b);
			return mu_err_set(e, MU_E_UNSUPPORTED,
					  "specifier '%%%c' in [Install] of '%s' needs a running "
					  "manager; not supported offline", *s, name);
		}
	}
	*out = mu_buf_detach(&b, NULL);
	return 0;
}

void mu_unit_links_release(struct mu_unit_links *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].dir);
		free(l->v[i].name);
		free(l->v[i].target);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void links_add(struct mu_unit_links *l, const char *dir, const char *name,
		      const char *target)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].dir, dir) == 0 && strcmp(l->v[i].name, name) == 0)
			return;
	l->v = mu_xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n].dir = mu_xstrdup(dir);
	l->v[l->n].name = mu_xstrdup(name);
	l->v[l->n].target = mu_xstrdup(target);
	l->n++;
}

/* The name a dependency link gets inside target.wants/ for unit link_name. */
static int dep_target(const char *raw, const char *link_name, const char *path,
		      const char *key, char **out, struct mu_err *e)
{
	char *t = NULL;
	int r;

	*out = NULL;
	if ((r = mu_unit_specifiers(raw, link_name, &t, e)) != 0)
		return r;
	if (!*mu_unit_suffix(t) || strchr(t, '/')) {
		r = mu_err_set(e, MU_E_PARSE, "invalid %s= '%s' in '%s'", key, t, path);
		free(t);
		return r;
	}
	/* A template target takes the unit's instance (foo@.target -> foo@x.target). */
	if (mu_unit_is_template(t)) {
		const char *at = strchr(link_name, '@');

		if (!mu_unit_is_instance(link_name)) {
			r = mu_err_set(e, MU_E_ARG,
				       "%s= '%s' in '%s' is a template, but '%s' has no instance",
				       key, t, path, link_name);
			free(t);
			return r;
		}
		*out = mu_xasprintf("%.*s%.*s%s", (int)(strchr(t, '@') + 1 - t), t,
				    (int)(mu_unit_suffix(link_name) - at - 1), at + 1,
				    mu_unit_suffix(t));
		free(t);
		return 0;
	}
	*out = t;
	return 0;
}

static int add_deps(const struct mu_unit_list *deps, const char *ext,
		    const char *key, const char *link_name, const char *path,
		    bool for_disable, struct mu_unit_links *out, struct mu_err *e)
{
	for (size_t i = 0; i < deps->n; i++) {
		char *t = NULL;
		char *dir;
		int r = dep_target(deps->v[i], link_name, path, key, &t, e);

		if (r) {
			if (for_disable)
				continue;
			return r;
		}
		dir = mu_xasprintf("%s%s", t, ext);
		links_add(out, dir, link_name, path);
		free(dir);
		free(t);
	}
	return 0;
}

/* The links of one unit; queues its Also= units on todo. */
static int unit_links(const struct mu_unit_paths *p, const char *name,
		      unsigned flags, struct mu_unit_links *out,
		      struct mu_unit_list *units, struct mu_unit_list *statics,
		      struct mu_unit_list *todo, struct mu_err *e)
{
	struct mu_unit_install in = { 0 };
	struct mu_buf text = MU_BUF_INIT;
	char *path = NULL;
	char *link_name = NULL;
	bool masked = false;
	bool for_disable = flags & MU_UNIT_FOR_DISABLE;
	int r;

	if ((r = mu_unit_find(p, name, for_disable || (flags & MU_UNIT_SKIP_CONFIG_MASKS),
			      &path, &masked, e)) != 0) {
		if (for_disable && r == MU_E_NOTFOUND) {
			/* Nothing to read: its links can still be found by name. */
			add_once(units, name);
			r = 0;
		}
		goto out;
	}
	add_once(units, name);
	if (masked) {
		if (for_disable)
			goto out;
		r = mu_err_set(e, MU_E_SAFETY, "unit '%s' is masked ('%s'); unmask it first "
			       "(masked: false)", name, path);
		goto out;
	}
	if ((r = mu_file_read(path, &text, UNIT_FILE_MAX, e)) != 0)
		goto out;
	mu_unit_install_parse(text.buf, &in, e);

	if (mu_unit_is_template(name) && in.default_instance) {
		const char *at = strchr(name, '@');

		link_name = mu_xasprintf("%.*s@%s%s", (int)(at - name), name,
					 in.default_instance, mu_unit_suffix(name));
		add_once(units, link_name);
	} else {
		link_name = mu_xstrdup(name);
	}
	if (mu_unit_is_instance(name)) {
		char *tmpl = mu_unit_template_of(name);

		add_once(units, tmpl);
		free(tmpl);
	}
	if (!in.wanted_by.n && !in.required_by.n && !in.upheld_by.n && !in.alias.n &&
	    !in.also.n) {
		add_once(statics, name);
		goto out;
	}
	if (mu_unit_is_template(link_name) && !for_disable &&
	    (in.wanted_by.n || in.required_by.n || in.upheld_by.n || in.alias.n)) {
		r = mu_err_set(e, MU_E_ARG,
			       "'%s' is a template with no DefaultInstance=; name an instance "
			       "instead, e.g. '%.*s@NAME%s'", name,
			       (int)(strchr(name, '@') - name), name, mu_unit_suffix(name));
		goto out;
	}
	if (!mu_unit_is_template(link_name) || for_disable) {
		if ((r = add_deps(&in.wanted_by, ".wants", "WantedBy", link_name, path,
				  for_disable, out, e)) != 0 ||
		    (r = add_deps(&in.required_by, ".requires", "RequiredBy", link_name, path,
				  for_disable, out, e)) != 0 ||
		    (r = add_deps(&in.upheld_by, ".upholds", "UpheldBy", link_name, path,
				  for_disable, out, e)) != 0)
			goto out;
	}
	for (size_t i = 0; i < in.alias.n; i++) {
		char *a = NULL;

		if ((r = mu_unit_specifiers(in.alias.v[i], link_name, &a, e)) != 0) {
			if (for_disable)
				continue;
			goto out;
		}
		if (strchr(a, '/') || strcmp(mu_unit_suffix(a), mu_unit_suffix(name)) != 0) {
			r = mu_err_set(e, MU_E_PARSE, "invalid Alias= '%s' in '%s': an alias "
				       "must be a unit name of the same type", a, path);
			free(a);
			if (for_disable)
				continue;
			goto out;
		}
		links_add(out, "", a, path);
		add_once(units, a);
		free(a);
	}
	for (size_t i = 0; i < in.also.n; i++) {
		char *a = NULL;
		char *norm = NULL;

		if (mu_unit_specifiers(in.also.v[i], link_name, &a, e) != 0 ||
		    mu_unit_name_normalize(a, &norm, e) != 0) {
			free(a);
			if (for_disable)
				continue;
			r = MU_E_PARSE;
			goto out;
		}
		if (!mu_unit_list_has(todo, norm))
			mu_unit_list_add(todo, norm);
		free(a);
		free(norm);
	}
	r = 0;
out:
	mu_unit_install_release(&in);
	mu_buf_release(&text);
	free(path);
	free(link_name);
	return r;
}

int mu_unit_enable_links(const struct mu_unit_paths *p, const char *name,
			 unsigned flags, struct mu_unit_links *out,
			 struct mu_unit_list *units, struct mu_unit_list *statics,
			 struct mu_err *e)
{
	struct mu_unit_list todo = { 0 };
	int r = 0;

	mu_unit_list_add(&todo, name);
	/* todo grows as Also= names appear; each name is visited once. */
	for (size_t i = 0; i < todo.n && r == 0; i++)
		r = unit_links(p, todo.v[i], flags, out, units, statics, &todo, e);
	mu_unit_list_release(&todo);
	return r;
}
