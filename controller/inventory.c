/*
 * The inventory model (hosts, groups, lookups) and the loader that picks a
 * format for each source file. Parsing lives in inventory_ini.c and
 * inventory_yaml.c, the vars directories in inventory_vars.c and the final
 * pass (precedence, depths, ungrouped) in inventory_finish.c.
 */
#include "inventory_int.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mu_buf.h"

static void *push(void *arr, size_t *n, size_t size)
{
	/* Grow by powers of two: reallocate when n is 0 or a power of two. */
	if (*n == 0 || (*n & (*n - 1)) == 0)
		arr = mu_xrealloc(arr, (*n ? *n * 2 : 1) * size);
	(*n)++;
	return arr;
}

#define PUSH(arr, n, val) do { \
		(arr) = push((arr), &(n), sizeof(*(arr))); \
		(arr)[(n) - 1] = (val); \
	} while (0)

const char *inv_file(struct mu_inventory *inv, const char *name)
{
	for (size_t i = 0; i < inv->nfiles; i++)
		if (strcmp(inv->files[i], name) == 0)
			return inv->files[i];
	PUSH(inv->files, inv->nfiles, mu_xstrdup(name));
	return inv->files[inv->nfiles - 1];
}

struct mu_inventory *inv_new(const char *source)
{
	struct mu_inventory *inv = mu_xcalloc(1, sizeof(*inv));

	inv->source = mu_xstrdup(source);
	inv->host_index = json_object();
	inv->group_index = json_object();
	inv_group(inv, "all");
	inv_group(inv, "ungrouped");
	return inv;
}

struct mu_group *mu_inventory_group(const struct mu_inventory *inv, const char *name)
{
	json_t *i = json_object_get(inv->group_index, name);

	return i ? inv->groups[json_integer_value(i)] : NULL;
}

struct mu_host *mu_inventory_host(const struct mu_inventory *inv, const char *name)
{
	json_t *i = json_object_get(inv->host_index, name);

	return i ? inv->hosts[json_integer_value(i)] : NULL;
}

struct mu_group *inv_group(struct mu_inventory *inv, const char *name)
{
	struct mu_group *g = mu_inventory_group(inv, name);

	if (g)
		return g;
	g = mu_xcalloc(1, sizeof(*g));
	g->name = mu_xstrdup(name);
	g->priority = 1;
	g->idx = inv->ngroups;
	PUSH(inv->groups, inv->ngroups, g);
	json_object_set_new(inv->group_index, name, json_integer((json_int_t)g->idx));
	return g;
}

struct mu_host *inv_host(struct mu_inventory *inv, const char *name,
			 const char *file, int line)
{
	struct mu_host *h = mu_inventory_host(inv, name);

	if (h)
		return h;
	h = mu_xcalloc(1, sizeof(*h));
	h->name = mu_xstrdup(name);
	h->file = file ? inv_file(inv, file) : NULL;
	h->line = line;
	h->idx = inv->nhosts;
	h->ivars = json_object();
	PUSH(inv->hosts, inv->nhosts, h);
	json_object_set_new(inv->host_index, name, json_integer((json_int_t)h->idx));
	return h;
}

void inv_group_add_host(struct mu_group *g, struct mu_host *h)
{
	/* A host sits in few groups, so search its list, not the group's. */
	for (size_t i = 0; i < h->ndirect; i++)
		if (h->direct[i] == g)
			return;
	PUSH(h->direct, h->ndirect, g);
	PUSH(g->hosts, g->nhosts, h);
}

int inv_group_add_child(struct mu_group *parent, struct mu_group *child,
			const char *where, struct mu_err *e)
{
	if (parent == child)
		return mu_err_set(e, MU_E_PARSE, "%s: group '%s' cannot be a child of "
				  "itself", where, child->name);
	if (strcmp(child->name, "all") == 0)
		return mu_err_set(e, MU_E_PARSE, "%s: group 'all' cannot be a child of "
				  "'%s'", where, parent->name);
	for (size_t i = 0; i < parent->nchildren; i++)
		if (parent->children[i] == child)
			return 0;
	PUSH(parent->children, parent->nchildren, child);
	PUSH(child->parents, child->nparents, parent);
	return 0;
}

void inv_vars_update(json_t **dst, const json_t *src)
{
	if (!*dst)
		*dst = json_object();
	if (src)
		json_object_update(*dst, (json_t *)src);
}

/* Ansible's own list of names an inventory directory skips. */
static bool skipped_name(const char *name)
{
	static const char *const ext[] = {
		"~", ".orig", ".bak", ".swp", ".retry", ".pyc", ".pyo", ".md",
		".txt", ".rst", ".cfg", ".rpm",
	};
	size_t len = strlen(name);

	if (name[0] == '.' || strcmp(name, "group_vars") == 0 ||
	    strcmp(name, "host_vars") == 0)
		return true;
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t el = strlen(ext[i]);

		if (len >= el && strcmp(name + len - el, ext[i]) == 0)
			return true;
	}
	return false;
}

static bool ext_is(const char *path, const char *ext)
{
	size_t pl = strlen(path), el = strlen(ext);

	return pl > el && strcmp(path + pl - el, ext) == 0;
}

/*
 * YAML when the first line that is not blank or a comment opens a document
 * (---, %YAML, {) or is a mapping key ("name:" followed by a space or end
 * of line). INI lines are "[section]", "host key=value" or "host:port".
 */
static bool looks_like_yaml(const char *s, size_t len)
{
	const char *end = s + len;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end, *p = s;

		while (p < le && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p == le || *p == '#' || *p == ';') {
			s = le + 1;
			continue;
		}
		if (*p == '[')
			return false;
		if (*p == '{' || *p == '%' || (le - p >= 3 && memcmp(p, "---", 3) == 0))
			return true;
		for (; p < le && *p != ' ' && *p != '\t' && *p != '='; p++)
			if (*p == ':' && (p + 1 == le || p[1] == ' ' || p[1] == '\t' ||
					  p[1] == '\r'))
				return true;
		return false;
	}
	return true; /* empty: either way, nothing */
}

static int load_one(struct mu_inventory *inv, const char *path, struct mu_err *e)
{
	struct mu_ydoc *doc = NULL;
	char *text = NULL;
	size_t len = 0;
	bool yaml;
	int r;

	{
		FILE *f = fopen(path, "re");
		struct mu_buf b;
		char chunk[8192];
		size_t n;

		if (!f)
			return errno == ENOENT
				? mu_err_set(e, MU_E_NOTFOUND, "cannot open inventory '%s': "
					     "no such file", path)
				: mu_err_sys(e, "cannot open inventory '%s'", path);
		mu_buf_init(&b, 64u << 20);
		r = 0;
		while (r == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			r = mu_buf_add(&b, chunk, n);
		fclose(f);
		text = mu_buf_detach(&b, &len);
		if (r != 0) {
			r = mu_err_set(e, r, "cannot read inventory '%s': %s", path,
				       mu_strerror(r));
			goto out;
		}
	}
	if (strncmp(text, "$ANSIBLE_VAULT", 14) == 0) {
		r = mu_err_set(e, MU_E_UNSUPPORTED, "inventory '%s' is vault-encrypted; "
			       "muster cannot decrypt it", path);
		goto out;
	}
	if (ext_is(path, ".yml") || ext_is(path, ".yaml") || ext_is(path, ".json"))
		yaml = true;
	else if (ext_is(path, ".ini"))
		yaml = false;
	else
		yaml = looks_like_yaml(text, len);
	if (!yaml) {
		r = inv_parse_ini(inv, path, text, len, e);
		goto out;
	}
	if ((r = mu_yaml_load_string(path, text, len, &doc, e)) != 0)
		goto out;
	r = inv_parse_yaml(inv, doc, e);
out:
	mu_ydoc_free(doc);
	free(text);
	return r;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir(struct mu_inventory *inv, const char *dir, struct mu_err *e)
{
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d = opendir(dir);
	int r = 0;

	if (!d)
		return mu_err_sys(e, "cannot open inventory directory '%s'", dir);
	while ((de = readdir(d)) != NULL)
		if (!skipped_name(de->d_name))
			PUSH(names, n, mu_xstrdup(de->d_name));
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmpstr);
	for (size_t i = 0; i < n && r == 0; i++) {
		char *p = mu_xasprintf("%s/%s", dir, names[i]);
		struct stat st;

		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			r = load_one(inv, p, e);
		free(p);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

int mu_inventory_load(const char *path, struct mu_inventory **out, struct mu_err *e)
{
	struct mu_inventory *inv = inv_new(path);
	char *copy = NULL;
	struct stat st;
	int r;

	*out = NULL;
	if (stat(path, &st) != 0) {
		r = errno == ENOENT
			? mu_err_set(e, MU_E_NOTFOUND, "cannot open inventory '%s': no "
				     "such file or directory", path)
			: mu_err_sys(e, "cannot open inventory '%s'", path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		if ((r = load_dir(inv, path, e)) != 0)
			goto out;
		r = inv_load_vars_dirs(inv, path, e);
	} else {
		if ((r = load_one(inv, path, e)) != 0)
			goto out;
		copy = mu_xstrdup(path);
		r = inv_load_vars_dirs(inv, dirname(copy), e);
	}
	if (r == 0)
		r = inv_finish(inv, e);
out:
	free(copy);
	if (r != 0) {
		mu_inventory_free(inv);
		return r;
	}
	*out = inv;
	return 0;
}

struct mu_inventory *mu_inventory_localhost(void)
{
	struct mu_inventory *inv = inv_new("<localhost>");
	struct mu_host *h = inv_host(inv, "localhost", NULL, 0);

	json_object_set_new(h->ivars, "ansible_connection", json_string("local"));
	if (inv_finish(inv, NULL) != 0)
		abort(); /* cannot fail: one host, no groups of its own */
	return inv;
}

void mu_inventory_free(struct mu_inventory *inv)
{
	if (!inv)
		return;
	for (size_t i = 0; i < inv->nhosts; i++) {
		struct mu_host *h = inv->hosts[i];

		free(h->name);
		free(h->address);
		free(h->user);
		free(h->connection);
		json_decref(h->vars);
		json_decref(h->ivars);
		json_decref(h->fvars);
		free(h->groups);
		free(h->direct);
		free(h);
	}
	for (size_t i = 0; i < inv->ngroups; i++) {
		struct mu_group *g = inv->groups[i];

		free(g->name);
		json_decref(g->vars);
		json_decref(g->ivars);
		json_decref(g->fvars);
		free(g->children);
		free(g->parents);
		free(g->hosts);
		free(g);
	}
	for (size_t i = 0; i < inv->nfiles; i++)
		free(inv->files[i]);
	free(inv->files);
	free(inv->hosts);
	free(inv->groups);
	free(inv->source);
	json_decref(inv->host_index);
	json_decref(inv->group_index);
	free(inv);
}
