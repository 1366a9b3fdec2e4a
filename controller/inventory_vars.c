/*
 * group_vars/ and host_vars/ beside the inventory. For a group or host NAME
 * the files are NAME, NAME.yml, NAME.yaml, NAME.json, and every such file
 * under a directory NAME/ (recursively), applied in sorted order so a later
 * file wins. Entries naming no group or host are ignored, as in Ansible.
 * Each directory is listed once rather than probed per host, so a large
 * fleet does not cost four stat calls per host.
 */
#include "inventory_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mu_buf.h"

static const char *const var_exts[] = { ".yml", ".yaml", ".json" };

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool hidden_or_backup(const char *name)
{
	size_t len = strlen(name);

	return name[0] == '.' || (len > 0 && name[len - 1] == '~') ||
	       (len > 4 && strcmp(name + len - 4, ".swp") == 0);
}

/* Sorted entry names of dir, without hidden and backup files. *n = 0 and
 * NULL when dir does not exist. */
static int list_dir(const char *dir, char ***out, size_t *n, struct mu_err *e)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	char **v = NULL;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (!d)
		return errno == ENOENT || errno == ENOTDIR
			? 0 : mu_err_sys(e, "cannot open '%s'", dir);
	while ((de = readdir(d)) != NULL) {
		if (hidden_or_backup(de->d_name))
			continue;
		v = mu_xrealloc(v, (k + 1) * sizeof(*v));
		v[k++] = mu_xstrdup(de->d_name);
	}
	closedir(d);
	if (k > 0)
		qsort(v, k, sizeof(*v), cmpstr);
	*out = v;
	*n = k;
	return 0;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Strip a vars extension; NULL when name has another extension (only
 * relevant inside a NAME/ directory, where any name is not accepted). */
static char *strip_ext(const char *name, bool any)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < sizeof(var_exts) / sizeof(var_exts[0]); i++) {
		size_t el = strlen(var_exts[i]);

		if (len > el && strcmp(name + len - el, var_exts[i]) == 0)
			return mu_xstrndup(name, len - el);
	}
	return any || !strchr(name, '.') ? mu_xstrdup(name) : NULL;
}

static int load_file(const char *path, json_t **vars, struct mu_err *e)
{
	struct mu_ydoc *doc = NULL;
	const struct mu_ynode *root;
	json_t *v = NULL;
	int r;

	if ((r = mu_yaml_load_file(path, &doc, e)) != 0)
		return r;
	root = doc->root;
	if (mu_ynode_is_null(root))
		goto out;
	if (root->type == MU_Y_SCALAR && strncmp(root->value, "$ANSIBLE_VAULT", 14) == 0) {
		r = mu_err_set(e, MU_E_UNSUPPORTED, "'%s' is vault-encrypted; muster "
			       "cannot decrypt it", path);
		goto out;
	}
	if (root->type != MU_Y_MAP) {
		r = mu_yerr(e, root, "variables file must be a mapping, not a %s",
			    mu_ynode_kind(root));
		goto out;
	}
	if (!(v = mu_ynode_to_json(root, MU_YJ_BOOL, e))) {
		r = e ? e->code : MU_E_PARSE;
		goto out;
	}
	inv_vars_update(vars, v);
out:
	json_decref(v);
	mu_ydoc_free(doc);
	return r;
}

/* Every vars file under dir, recursively, in sorted order. */
static int load_tree(const char *dir, json_t **vars, struct mu_err *e)
{
	char **names = NULL;
	size_t n = 0;
	int r = list_dir(dir, &names, &n, e);

	for (size_t i = 0; i < n && r == 0; i++) {
		char *p = mu_xasprintf("%s/%s", dir, names[i]);
		char *base = strip_ext(names[i], false);
		struct stat st;
		bool ok = stat(p, &st) == 0;

		if (ok && S_ISDIR(st.st_mode))
			r = load_tree(p, vars, e);
		else if (ok && base && S_ISREG(st.st_mode))
			r = load_file(p, vars, e);
		free(base);
		free(p);
	}
	free_list(names, n);
	return r;
}

/* Apply dir/<kind>/ to the groups or hosts of inv. */
static int load_kind(struct mu_inventory *inv, const char *dir, bool groups,
		     struct mu_err *e)
{
	char *top = mu_xasprintf("%s/%s", dir, groups ? "group_vars" : "host_vars");
	char **names = NULL;
	size_t n = 0;
	int r = list_dir(top, &names, &n, e);

	for (size_t i = 0; i < n && r == 0; i++) {
		char *p = mu_xasprintf("%s/%s", top, names[i]);
		struct stat st;
		bool ok = stat(p, &st) == 0;
		bool isdir = ok && S_ISDIR(st.st_mode);
		char *base = isdir ? mu_xstrdup(names[i]) : strip_ext(names[i], true);
		json_t **vars = NULL;

		if (groups) {
			struct mu_group *g = mu_inventory_group(inv, base);

			vars = g ? &g->fvars : NULL;
		} else {
			struct mu_host *h = mu_inventory_host(inv, base);

			vars = h ? &h->fvars : NULL;
		}
		if (vars && isdir)
			r = load_tree(p, vars, e);
		else if (vars && ok && S_ISREG(st.st_mode))
			r = load_file(p, vars, e);
		free(base);
		free(p);
	}
	free_list(names, n);
	free(top);
	return r;
}

int inv_load_vars_dirs(struct mu_inventory *inv, const char *dir, struct mu_err *e)
{
	int r = load_kind(inv, dir, true, e);

	return r ? r : load_kind(inv, dir, false, e);
}
