/*
 * Building the container migration's plan (see podman_plan.h). This is all
 * of check(): it reads the rootful containers, the user's podman state,
 * the records and the host facts, decides per container what is left to
 * do, and runs the preflight. Every preflight problem is collected, so
 * one failed run names all of them; a failed preflight changes nothing.
 */
#include "podman_plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>

#include "podman_boot.h"
#include "podman_cli.h"
#include "podman_def.h"
#include "podman_record.h"
#include "podman_shiftreg.h"

#define PM_MIN_SUBIDS 65536UL

char *pm_runtime_dir(uid_t uid)
{
	return mu_xasprintf("/run/user/%u", (unsigned)uid);
}

char *pm_user_socket(uid_t uid)
{
	return mu_xasprintf("/run/user/%u/podman/podman.sock", (unsigned)uid);
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static void problem(json_t *problems, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(json_t *problems, const char *fmt, ...)
{
	struct mu_buf b = MU_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	mu_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	json_array_append_new(problems, json_stringn(b.buf, b.len));
	mu_buf_release(&b);
}

static bool is_running(const json_t *inspect)
{
	return json_is_true(json_object_get(json_object_get(inspect, "State"), "Running"));
}

/* ---- what is there ---- */

/* Names of containers from `podman ps -a --format json`, infra ones left out. */
static int list_containers(const struct pm_call *c, json_t **names, json_t *warnings,
			   struct mu_err *e)
{
	const char *args[] = { "ps", "-a", "--format", "json", NULL };
	json_t *ps = NULL;
	size_t i;
	json_t *v;
	int r;

	*names = json_array();
	if ((r = pm_json(c, args, &ps, e)) != 0)
		return r;
	json_array_foreach(ps, i, v) {
		const char *n = json_string_value(json_array_get(json_object_get(v, "Names"), 0));

		if (!n || json_is_true(json_object_get(v, "IsInfra")))
			continue;
		if (jstr(v, "Pod")[0] && warnings) {
			json_array_append_new(warnings, json_sprintf(
				"container '%s' is in a pod: pods are not migrated", n));
			continue;
		}
		json_array_append_new(*names, json_string(n));
	}
	json_decref(ps);
	return 0;
}

/* name -> inspect for the given names, in one podman call. */
static int inspect_all(const struct pm_call *c, const json_t *names, json_t **out,
		       struct mu_err *e)
{
	const char **args = mu_xcalloc(json_array_size(names) + 3, sizeof(*args));
	json_t *arr = NULL;
	size_t i, n = 0;
	json_t *v;
	int r = 0;

	*out = json_object();
	if (!json_array_size(names))
		goto out;
	args[n++] = "container";
	args[n++] = "inspect";
	json_array_foreach(names, i, v)
		args[n++] = json_string_value(v);
	if ((r = pm_json(c, args, &arr, e)) != 0)
		goto out;
	json_array_foreach(arr, i, v) {
		const char *nm = jstr(v, "Name");

		json_object_set(*out, nm[0] == '/' ? nm + 1 : nm, v);
	}
out:
	json_decref(arr);
	free(args);
	return r;
}

/* The rootful image's Config and Size, cached by ID in plan->images. */
static json_t *image_info(struct pm_plan *p, const char *id)
{
	json_t *info = json_object_get(p->images, id);
	json_t *img = NULL;
	struct mu_err e = { 0 };

	if (info)
		return info;
	pm_inspect(NULL, "image", id, &img, &e);
	info = json_pack("{s:O?, s:I, s:b}", "config", json_object_get(img, "Config"),
			 "size", json_integer_value(json_object_get(img, "Size")),
			 "planned", 0);
	json_object_set_new(p->images, id, info);
	json_decref(img);
	return info;
}

/* Is the user's podman worth asking (runtime dir and storage exist)? */
static bool user_podman_seen(const struct pm_plan *p)
{
	char *storage = mu_xasprintf("%s/.local/share/containers/storage", p->user.home);
	char *conf = mu_xasprintf("%s/.config/containers/storage.conf", p->user.home);
	struct stat st;
	bool seen = !p->runtime_missing &&
		    (stat(storage, &st) == 0 || stat(conf, &st) == 0);

	free(storage);
	free(conf);
	return seen;
}

static bool dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	bool empty = true;

	if (!d)
		return true;
	while (empty && (de = readdir(d)))
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	closedir(d);
	return empty;
}

/* ---- per-container planning ---- */

struct ctx {
	struct pm_plan *p;
	struct mu_result *r;
	json_t *problems;
	/*
	 * Problems with host settings that the playbook's earlier tasks set
	 * (the port start, ufw rules): a real run fails on them like on any
	 * other; check mode, which cannot see those tasks' simulated effect,
	 * warns instead, so an audit of the whole job still shows the plan.
	 */
	json_t *host_settings;
	json_t *rootful;          /* name -> inspect, every rootful container */
	json_t *user;             /* name -> inspect, the user's containers */
	json_t *names;            /* the containers in this run */
	bool seen;                /* the user's podman was asked */
	int port_start;
	json_t *volumes_planned;  /* volume name -> true */
	json_t *networks_planned;
	json_t *user_networks;    /* the user's `network ls` */
	json_t *shift_candidates; /* [{path, item}] */
};

static bool in_run(const struct ctx *c, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(c->names, i, v)
		if (strcmp(json_string_value(v), name) == 0)
			return true;
	return false;
}

static bool path_under(const char *p, const char *root)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return true;
	return strncmp(p, root, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

/* Other rootful containers, not in this run, that mount path or near it. */
static void check_shared_bind(struct ctx *c, struct pm_item *it, const char *path)
{
	const char *name;
	json_t *ins;

	json_object_foreach(c->rootful, name, ins) {
		size_t i;
		json_t *m;

		if (strcmp(name, it->name) == 0 || in_run(c, name))
			continue;
		json_array_foreach(json_object_get(ins, "Mounts"), i, m) {
			const char *src = jstr(m, "Source");

			if (strcmp(jstr(m, "Type"), "bind") != 0 ||
			    !(path_under(src, path) || path_under(path, src)))
				continue;
			if (is_running(ins))
				problem(c->problems, "'%s' (mounted by '%s') is also mounted by the "
					"running rootful container '%s', which is not being migrated: "
					"shifting its owners would break it", path, it->name, name);
			else
				mu_result_warn(c->r, "'%s' is also mounted by the stopped rootful "
					       "container '%s', which is not being migrated", path, name);
		}
	}
}

static void plan_binds(struct ctx *c, struct pm_item *it, size_t idx)
{
	size_t i;
	json_t *b;

	json_array_foreach(json_object_get(it->def, "binds"), i, b) {
		const char *src = jstr(b, "source");
		char *real, *blocker = NULL;
		struct stat st;

		if (pm_is_root_socket(src)) {
			it->socket = true;
			continue;
		}
		if (stat(src, &st) != 0) {
			problem(c->problems, "bind mount source '%s' of '%s' does not exist", src,
				it->name);
			continue;
		}
		if (!pm_can_reach(&c->p->ident, src, &blocker)) {
			problem(c->problems, "bind mount source '%s' of '%s' is not reachable by "
				"'%s': %s lacks search (x) permission for it", src, it->name,
				c->p->user.name, blocker);
			free(blocker);
			continue;
		}
		if (pm_system_path(src)) {
			mu_result_warn(c->r, "'%s': bind mount of the system path '%s' keeps its "
				       "owners; the rootless container sees ids outside its range "
				       "as nobody", it->name, src);
			continue;
		}
		real = realpath(src, NULL);
		check_shared_bind(c, it, real ? real : src);
		json_array_append_new(c->shift_candidates, json_pack("{s:s, s:I}", "path",
			real ? real : src, "item", (json_int_t)idx));
		free(real);
	}
}

/*
 * A tree inside one the shift registry holds for this user was shifted
 * already (podman_chown, or an earlier migration): it is not shifted again,
 * and a rollback of this container leaves it. Entries with ids still
 * outside the user's range are only warned about: podman_chown shifts them.
 * A tree registered for another user cannot be handed to this one.
 */
static bool plan_registered(struct ctx *c, const char *path, size_t owner)
{
	const json_t *cov = pm_reg_covering(c->p->registry, path);
	struct pm_item *it = &c->p->items[owner];
	struct pm_shift_opts o = { .dry_run = true, .only_outside = true };
	struct pm_idmap old;
	struct mu_err e = { 0 };
	json_t *rep = NULL;

	if (!cov)
		return false;
	if (strcmp(jstr(cov, "user"), c->p->user.name) != 0) {
		problem(c->problems, "bind mount source '%s' of '%s' lies in '%s', which is "
			"shifted for user '%s' (by %s)", path, it->name, jstr(cov, "path"),
			jstr(cov, "user"), jstr(cov, "by"));
		return true;
	}
	if (pm_reg_map(cov, &old) && !pm_idmap_equal(&old, &c->p->map)) {
		problem(c->problems, "bind mount source '%s' of '%s' lies in '%s', shifted for "
			"'%s' with the range %lu+%lu, which is now %lu+%lu: restore it first",
			path, it->name, jstr(cov, "path"), c->p->user.name, old.ustart, old.ucount,
			c->p->map.ustart, c->p->map.ucount);
		return true;
	}
	json_array_append_new(it->shifts_skipped, json_pack("{s:s, s:O, s:O, s:O}",
		"path", path, "registered_path", json_object_get(cov, "path"),
		"by", json_object_get(cov, "by"), "shifted_at", json_object_get(cov, "shifted_at")));
	if (pm_shift_tree_opts(path, &c->p->map, &o, &rep, &e) == 0 &&
	    json_integer_value(json_object_get(rep, "changed")))
		mu_result_warn(c->r, "%lld entries under '%s' (mounted by '%s') have ids outside "
			       "the range of '%s', added since '%s' was shifted: run podman_chown "
			       "on '%s' again", (long long)json_integer_value(json_object_get(rep,
			       "changed")), path, it->name, c->p->user.name, jstr(cov, "path"),
			       jstr(cov, "path"));
	json_decref(rep);
	return true;
}

/*
 * Trees inside path that the registry holds: this user's are walked only
 * for ids outside the range (they were shifted already), another user's
 * refuse the shift. Fills o->registered (a new array the caller owns).
 */
static int plan_nested(struct ctx *c, const char *path, struct pm_shift_opts *o)
{
	json_t *inside = json_array();
	size_t i;
	json_t *rec;

	json_array_foreach(c->p->registry, i, rec) {
		const char *rp = jstr(rec, "path");

		if (strcmp(rp, path) == 0 || !pm_path_under(rp, path))
			continue;
		if (strcmp(jstr(rec, "user"), c->p->user.name) != 0) {
			problem(c->problems, "'%s' inside the bind mount source '%s' is shifted for "
				"user '%s': restore it first", rp, path, jstr(rec, "user"));
			json_decref(inside);
			return -1;
		}
		json_array_append_new(inside, json_string(rp));
	}
	o->registered = inside;
	return 0;
}

/*
 * Reduce the shift candidates to the outermost paths (a tree is shifted
 * once, never again through a path inside it) and give each to the
 * earliest container that mounts it or anything inside it, so no
 * container starts rootless on data not yet shifted.
 */
static int plan_shift_roots(struct ctx *c, struct mu_err *e)
{
	size_t i, j;
	json_t *a, *b;

	json_array_foreach(c->shift_candidates, i, a) {
		const char *pa = jstr(a, "path");
		bool inner = false;
		size_t owner = (size_t)json_integer_value(json_object_get(a, "item"));
		struct pm_shift_opts opts = { .dry_run = true };
		json_t *rep = NULL;
		int r;

		json_array_foreach(c->shift_candidates, j, b) {
			const char *pb = jstr(b, "path");

			if (i == j)
				continue;
			/* a lies inside b, or is equal to an earlier b */
			if ((path_under(pa, pb) && strcmp(pa, pb) != 0) ||
			    (strcmp(pa, pb) == 0 && j < i))
				inner = true;
			if (path_under(pb, pa) &&
			    (size_t)json_integer_value(json_object_get(b, "item")) < owner)
				owner = (size_t)json_integer_value(json_object_get(b, "item"));
		}
		if (inner)
			continue;
		if (plan_registered(c, pa, owner))
			continue;
		if (plan_nested(c, pa, &opts) != 0)
			continue;
		r = pm_shift_tree_opts(pa, &c->p->map, &opts, &rep, e);
		if (r != 0) {
			json_decref(rep);
			json_decref((json_t *)opts.registered);
			return e->code ? e->code : MU_E_SYS;
		}
		/* apply() walks with the same regions */
		json_object_set_new(rep, "registered_inside", (json_t *)opts.registered);
		if (json_integer_value(json_object_get(rep, "outside"))) {
			const char *ex = json_string_value(json_array_get(
				json_object_get(rep, "outside_examples"), 0));

			mu_result_warn(c->r, "%lld entries under '%s' have ids outside 0..%lu and "
				       "keep them (e.g. %s)",
				       (long long)json_integer_value(json_object_get(rep, "outside")),
				       pa, c->p->map.ucount, ex ? ex : "?");
		}
		json_array_append_new(c->p->items[owner].shifts, rep);
	}
	return 0;
}

static void plan_volumes(struct ctx *c, struct pm_item *it)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(it->def, "volumes"), i, v) {
		const char *name = jstr(v, "name");
		json_t *rv = NULL, *uv = NULL, *opts;
		struct mu_err e = { 0 };
		struct stat st;
		uint64_t bytes = 0, entries = 0;
		const char *path;
		bool copy = true, create = true;

		if (json_object_get(c->volumes_planned, name))
			continue;
		if (pm_inspect(NULL, "volume", name, &rv, &e) != 0 || !rv) {
			problem(c->problems, "cannot inspect the rootful volume '%s' of '%s': %s",
				name, it->name, e.msg[0] ? e.msg : "not found");
			goto next;
		}
		opts = json_object_get(rv, "Options");
		if (strcmp(jstr(rv, "Driver"), "local") != 0 || json_object_get(opts, "device") ||
		    json_object_get(opts, "type")) {
			problem(c->problems, "volume '%s' of '%s' is not a plain local volume "
				"(driver '%s'%s): migrate it by hand", name, it->name,
				jstr(rv, "Driver"), json_object_get(opts, "device") ? ", mounted device" : "");
			goto next;
		}
		path = jstr(rv, "Mountpoint");
		if (stat(path, &st) != 0 || pm_tree_size(path, &bytes, &entries, &e) != 0) {
			problem(c->problems, "cannot read the rootful volume '%s' at '%s': %s", name,
				path, e.msg[0] ? e.msg : strerror(errno));
			goto next;
		}
		if (st.st_uid > c->p->map.ucount || st.st_gid > c->p->map.gcount) {
			problem(c->problems, "the root of volume '%s' is owned by %u:%u, outside the "
				"ids 0..%lu that '%s' can map", name, (unsigned)st.st_uid,
				(unsigned)st.st_gid, c->p->map.ucount, c->p->user.name);
			goto next;
		}
		if (c->seen && pm_inspect(&(struct pm_call){ .user = c->p->user.name }, "volume",
					  name, &uv, &e) == 0 && uv) {
			create = false;
			if (!dir_empty(jstr(uv, "Mountpoint"))) {
				problem(c->problems, "volume '%s' already exists for '%s' and is not "
					"empty: remove it or migrate by hand", name, c->p->user.name);
				goto next;
			}
		}
		json_array_append_new(it->volumes, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:b, s:b}",
			"name", name, "path", path, "bytes", (json_int_t)bytes,
			"entries", (json_int_t)entries, "uid", (json_int_t)st.st_uid,
			"gid", (json_int_t)st.st_gid, "mode", (json_int_t)(st.st_mode & 07777),
			"create", create, "copy", copy));
		json_object_set_new(c->volumes_planned, name, json_true());
		/* A volume another rootful container keeps using will drift apart. */
		{
			const char *oname;
			json_t *ins;

			json_object_foreach(c->rootful, oname, ins) {
				size_t k;
				json_t *m;

				if (in_run(c, oname))
					continue;
				json_array_foreach(json_object_get(ins, "Mounts"), k, m)
					if (strcmp(jstr(m, "Type"), "volume") == 0 &&
					    strcmp(jstr(m, "Name"), name) == 0)
						mu_result_warn(c->r, "volume '%s' is also used by the rootful "
							       "container '%s'; the user's copy will not "
							       "follow its changes", name, oname);
			}
		}
next:
		json_decref(rv);
		json_decref(uv);
	}
}

static bool subnet_taken(const json_t *user_networks, const char *subnet)
{
	size_t i, j;
	json_t *n, *s;

	json_array_foreach((json_t *)user_networks, i, n)
		json_array_foreach(json_object_get(n, "subnets"), j, s)
			if (strcmp(jstr(s, "subnet"), subnet) == 0)
				return true;
	return false;
}

static bool user_has_network(const json_t *user_networks, const char *name)
{
	size_t i;
	json_t *n;

	json_array_foreach((json_t *)user_networks, i, n)
		if (strcmp(jstr(n, "name"), name) == 0)
			return true;
	return false;
}

static void plan_networks(struct ctx *c, struct pm_item *it)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(it->def, "networks"), i, v) {
		const char *name = json_string_value(v);
		json_t *rn = NULL, *subnets = json_array();
		struct mu_err e = { 0 };
		size_t k;
		json_t *s;

		if (json_object_get(c->networks_planned, name) ||
		    user_has_network(c->user_networks, name))
			goto next;
		if (pm_inspect(NULL, "network", name, &rn, &e) != 0 || !rn) {
			problem(c->problems, "cannot inspect the rootful network '%s' of '%s': %s",
				name, it->name, e.msg[0] ? e.msg : "not found");
			goto next;
		}
		if (strcmp(jstr(rn, "driver"), "bridge") != 0) {
			problem(c->problems, "network '%s' of '%s' uses the '%s' driver: rootless "
				"podman here makes bridge networks only", name, it->name,
				jstr(rn, "driver"));
			goto next;
		}
		json_array_foreach(json_object_get(rn, "subnets"), k, s) {
			if (subnet_taken(c->user_networks, jstr(s, "subnet"))) {
				mu_result_warn(c->r, "subnet %s of network '%s' is taken by another "
					       "network of '%s': podman picks a free one", jstr(s, "subnet"),
					       name, c->p->user.name);
				continue;
			}
			json_array_append(subnets, s);
		}
		json_array_append_new(it->networks, json_pack("{s:s, s:O, s:b, s:b}", "name", name,
			"subnets", subnets, "internal", json_is_true(json_object_get(rn, "internal")),
			"ipv6", json_is_true(json_object_get(rn, "ipv6_enabled"))));
		json_object_set_new(c->networks_planned, name, json_true());
next:
		json_decref(subnets);
		json_decref(rn);
	}
}

static bool user_has_image(const struct ctx *c, const char *id)
{
	const char *args[] = { "image", "exists", id, NULL };
	struct pm_call call = { .user = c->p->user.name };
	struct mu_err e = { 0 };

	return c->seen && pm_try(&call, args, NULL, NULL, &e) == 0;
}

static void plan_migrate(struct ctx *c, struct pm_item *it, size_t idx)
{
	struct pm_plan *p = c->p;
	const char *mode = jstr(it->def, "network_mode");
	json_t *info = image_info(p, jstr(it->def, "image_id"));
	bool has_image;
	size_t i;
	json_t *v;

	it->action = PM_MIGRATE;
	json_array_foreach(json_object_get(it->def, "unsupported"), i, v)
		mu_result_warn(c->r, "'%s': %s is not carried over to the rootless container",
			       it->name, json_string_value(v));
	if (strncmp(mode, "container:", 10) == 0 || strncmp(mode, "ns:", 3) == 0)
		problem(c->problems, "'%s' uses the network mode '%s', which cannot be migrated",
			it->name, mode);
	json_array_foreach(json_object_get(it->def, "ports"), i, v) {
		json_int_t hp = json_integer_value(json_object_get(v, "host_port"));

		if (hp && hp < c->port_start)
			problem(c->host_settings, "'%s' publishes port %lld/%s, below "
				"net.ipv4.ip_unprivileged_port_start (%d): set it to %lld or lower "
				"first", it->name, (long long)hp, jstr(v, "proto"), c->port_start,
				(long long)hp);
	}
	if (strcmp(mode, "host") != 0 && strcmp(mode, "none") != 0 &&
	    !pm_can_rw(&p->ident, "/dev/net/tun"))
		problem(c->problems, "'/dev/net/tun' is not readable and writable by '%s': "
			"rootless networking for '%s' needs it", p->user.name, it->name);
	json_array_foreach(json_object_get(it->def, "devices"), i, v) {
		char *dev = mu_xstrdup(json_string_value(v));

		dev[strcspn(dev, ":")] = '\0';
		if (!pm_can_rw(&p->ident, dev))
			problem(c->problems, "device '%s' of '%s' is not readable and writable by "
				"'%s'", dev, it->name, p->user.name);
		free(dev);
	}
	has_image = user_has_image(c, jstr(it->def, "image_id"));
	if (!json_object_get(info, "config") && !has_image) {
		problem(c->problems, "image %.12s of '%s' is missing from rootful storage",
			jstr(it->def, "image_id"), it->name);
	} else if (!has_image && !json_is_true(json_object_get(info, "planned"))) {
		it->load_image = true;
		it->image_bytes = (uint64_t)json_integer_value(json_object_get(info, "size"));
		json_object_set_new(info, "planned", json_true());
	}
	plan_volumes(c, it);
	plan_networks(c, it);
	plan_binds(c, it, idx);
	if (it->socket) {
		char *sock = pm_user_socket(p->user.uid);
		struct stat st;

		if (stat(sock, &st) != 0 || !S_ISSOCK(st.st_mode)) {
			char *ssd = pm_find_prog("start-stop-daemon");

			if (ssd)
				p->start_service = true;
			else
				problem(c->problems, "'%s' mounts the podman socket, and '%s' does not "
					"exist: enable podman.socket for '%s' first", it->name, sock,
					p->user.name);
			free(ssd);
		}
		free(sock);
	}
	it->stop_rootful = it->rootful_running;
	it->start_rootless = it->rootful_running;
	it->restart_no = p->can_update_restart && strcmp(jstr(it->def, "restart"), "no") != 0;
	it->remove_rootful = p->remove_rootful;
	it->write_record = true;
}

static void plan_existing(struct ctx *c, struct pm_item *it)
{
	struct pm_plan *p = c->p;
	json_t *info = image_info(p, jstr(it->def, "image_id"));
	json_t *rdef = pm_def_from_inspect(it->rootless, json_object_get(info, "config"), NULL);
	json_t *diff = pm_def_diff(it->want, rdef);
	bool was_running = it->record
		? json_is_true(json_object_get(it->record, "rootful_was_running"))
		: true;

	it->rootless_running = is_running(it->rootless);
	if (json_array_size(diff)) {
		struct mu_buf b = MU_BUF_INIT;
		size_t i;
		json_t *v;

		json_array_foreach(diff, i, v)
			mu_buf_addf(&b, "%s%s", i ? ", " : "", json_string_value(v));
		problem(c->problems, "the container '%s' of '%s' differs from the rootful one in: "
			"%s; remove it ('podman rm %s' as %s) or roll back first", it->name,
			p->user.name, b.buf, it->name, p->user.name);
		mu_buf_release(&b);
	} else if (!it->rootless_running && it->rootful_running) {
		problem(c->problems, "the container '%s' of '%s' exists but is not running while "
			"the rootful one runs (an interrupted migration?): remove it ('podman rm "
			"%s' as %s) to migrate again", it->name, p->user.name, it->name,
			p->user.name);
	}
	it->start_rootless = !it->rootless_running && was_running;
	it->stop_rootful = it->rootful_running;
	it->restart_no = it->inspect && p->can_update_restart &&
			 strcmp(jstr(json_object_get(json_object_get(it->inspect, "HostConfig"),
						     "RestartPolicy"), "Name"), "no") != 0 &&
			 jstr(json_object_get(json_object_get(it->inspect, "HostConfig"),
					      "RestartPolicy"), "Name")[0];
	it->remove_rootful = p->remove_rootful && it->inspect;
	it->write_record = !it->record;
	if (it->start_rootless || it->stop_rootful || it->restart_no || it->remove_rootful ||
	    it->write_record)
		it->action = PM_FINISH;
	json_decref(diff);
	json_decref(rdef);
}

static void plan_rollback(struct ctx *c, struct pm_item *it)
{
	char *path = pm_record_path(c->p->record_dir, c->p->user.name, it->name);

	if (!it->record) {
		if (it->rootless)
			problem(c->problems, "'%s' has a container of '%s' but no migration record "
				"'%s': cannot roll it back", it->name, c->p->user.name, path);
		free(path);
		return; /* never migrated, or rolled back already */
	}
	if (!it->inspect) {
		problem(c->problems, "the rootful container '%s' no longer exists (removed "
			"after the migration): recreate it by hand from the record '%s'",
			it->name, path);
		free(path);
		return;
	}
	free(path);
	it->action = PM_ROLLBACK;
	it->rootless_running = it->rootless && is_running(it->rootless);
}

static void plan_item(struct ctx *c, size_t idx)
{
	struct pm_plan *p = c->p;
	struct pm_item *it = &p->items[idx];
	struct mu_err e = { 0 };
	const json_t *base;
	json_t *info;

	it->inspect = json_incref(json_object_get(c->rootful, it->name));
	it->rootless = json_incref(json_object_get(c->user, it->name));
	it->volumes = json_array();
	it->networks = json_array();
	it->shifts = json_array();
	it->shifts_skipped = json_array();
	it->done_shifts = json_array();
	it->done_volumes = json_array();
	it->done_networks = json_array();
	if (pm_record_load(p->record_dir, p->user.name, it->name, &it->record, &e) != 0) {
		problem(c->problems, "%s", e.msg);
		return;
	}
	it->rootful_running = it->inspect && is_running(it->inspect);
	base = it->inspect ? it->inspect : json_object_get(it->record, "inspect");
	if (!base) {
		if (!it->rootless && !p->rollback)
			problem(c->problems, "no rootful container '%s'", it->name);
		return;
	}
	info = image_info(p, jstr(base, "Image"));
	it->def = pm_def_from_inspect(base, json_object_get(info, "config"), &e);
	if (!it->def) {
		problem(c->problems, "'%s': %s", it->name, e.msg);
		return;
	}
	it->want = pm_def_for_user(it->def, p->user.uid, p->restart);
	if (p->rollback)
		plan_rollback(c, it);
	else if (it->rootless)
		plan_existing(c, it);
	else if (!it->inspect)
		problem(c->problems, "the rootful container '%s' was removed and '%s' has none: "
			"nothing to migrate from", it->name, p->user.name);
	else
		plan_migrate(c, it, idx);
}

/* ---- firewall and space ---- */

/* The ports published by the planned items with this action (new array). */
static json_t *published_by(const struct ctx *c, enum pm_action action)
{
	json_t *ports = json_array();

	for (size_t i = 0; i < c->p->n; i++) {
		json_t *pp;

		if (c->p->items[i].action != action || !c->p->items[i].def)
			continue;
		pp = pm_def_published(c->p->items[i].def);
		json_array_extend(ports, pp);
		json_decref(pp);
	}
	return ports;
}

/* "80/tcp, 443/tcp" from an array of strings; caller frees. */
static char *join_ports(const json_t *list)
{
	struct mu_buf b = MU_BUF_INIT;
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
		mu_buf_addf(&b, "%s%s", i ? ", " : "", json_string_value(v));
	return mu_buf_detach(&b, NULL);
}

static void check_ufw(struct ctx *c)
{
	json_t *ports = published_by(c, PM_MIGRATE);
	json_t *missing = pm_ufw_missing(ports);

	if (json_array_size(missing)) {
		char *list = join_ports(missing);

		problem(c->host_settings, "ufw is enabled and allows no incoming %s: rootless ports are "
			"not opened by podman, allow them in ufw first (a check-mode run returns "
			"them in published_ports)", list);
		free(list);
	}
	json_decref(missing);
	json_decref(ports);
}

/*
 * Rolled back, the rootful containers publish their ports through DNAT,
 * which ufw's routed policy filters: with it at deny, and no route rule,
 * they come back unreachable (rootless ports are plain local listeners,
 * which is why the migration needed only ordinary allow rules).
 */
static void check_ufw_route(struct ctx *c)
{
	json_t *ports = published_by(c, PM_ROLLBACK);
	json_t *missing = json_array_size(ports) ? pm_ufw_route_missing(ports) : NULL;

	if (json_array_size(missing)) {
		char *list = join_ports(missing);

		mu_result_warn(c->r, "ufw is enabled and does not route (forward) incoming %s: the "
			       "rootful containers' published ports reach them through the FORWARD "
			       "chain, so they will not answer from outside until routed ('ufw route "
			       "allow proto PROTO to any port PORT' for each)", list);
		free(list);
	}
	json_decref(missing);
	json_decref(ports);
}

static void check_space(struct ctx *c)
{
	struct pm_plan *p = c->p;
	char *store = mu_xasprintf("%s/.local/share/containers", p->user.home);
	uint64_t need = 0, tmp_need = 0, free_store = 0, free_tmp = 0;
	dev_t dstore = 0, dtmp = 0;
	struct mu_err e = { 0 };

	for (size_t i = 0; i < p->n; i++) {
		struct pm_item *it = &p->items[i];
		size_t k;
		json_t *v;

		if (it->load_image) {
			need += it->image_bytes;
			if (it->image_bytes > tmp_need)
				tmp_need = it->image_bytes;
		}
		json_array_foreach(it->volumes, k, v) {
			uint64_t b = (uint64_t)json_integer_value(json_object_get(v, "bytes"));

			need += b;
			if (b > tmp_need)
				tmp_need = b;
		}
	}
	if (!need)
		goto out;
	need += need / 10 + (16u << 20);
	tmp_need += tmp_need / 10 + (16u << 20);
	if (pm_free_space(store, &free_store, &dstore, &e) != 0 ||
	    pm_free_space("/var/tmp", &free_tmp, &dtmp, &e) != 0) {
		problem(c->problems, "%s", e.msg);
		goto out;
	}
	if (dstore == dtmp)
		need += tmp_need;
	if (free_store < need) {
		char a[32], b[32];

		pm_human(need, a, sizeof(a));
		pm_human(free_store, b, sizeof(b));
		problem(c->problems, "not enough room for the images and volumes of '%s': %s "
			"needed on the filesystem of '%s', %s free", p->user.name, a, store, b);
	} else if (dstore != dtmp && free_tmp < tmp_need) {
		char a[32], b[32];

		pm_human(tmp_need, a, sizeof(a));
		pm_human(free_tmp, b, sizeof(b));
		problem(c->problems, "not enough room in '/var/tmp' for the copies: %s needed, "
			"%s free", a, b);
	}
out:
	free(store);
}

/* ---- the rootful boot restart ---- */

static const char *restart_name(const json_t *inspect)
{
	return jstr(json_object_get(json_object_get(inspect, "HostConfig"), "RestartPolicy"),
		    "Name");
}

static void join(struct mu_buf *b, const json_t *names)
{
	size_t i;
	json_t *v;

	json_array_foreach((json_t *)names, i, v)
		mu_buf_addf(b, "%s'%s'", i ? ", " : "", json_string_value(v));
}

/*
 * Podman 4.3 cannot set a rootful container's restart policy to 'no', and
 * at boot podman-restart.service starts every rootful container whose
 * policy is 'always', migrated or not. When every such container has moved
 * to a user, the service has nothing left to do but harm: disable it (and
 * record that). When some still need it, keep it and say which migrated
 * containers it will start next to their users' copies.
 */
static void plan_boot(struct ctx *c)
{
	struct pm_plan *p = c->p;
	json_t *needed = json_array();
	const char *name;
	json_t *ins;
	struct mu_err e = { 0 };

	p->boot_migrated = json_array();
	p->boot_links = pm_boot_links();
	if (pm_boot_record_load(p->record_dir, &p->boot_record, &e) != 0)
		problem(c->problems, "%s", e.msg);
	if (p->rollback) {
		for (size_t i = 0; i < p->n; i++) {
			const json_t *rr = json_object_get(p->items[i].record, "rootful_restart");

			if (p->items[i].action == PM_ROLLBACK && strcmp(jstr(rr, "name"), "always") == 0)
				p->boot_enable = p->boot_record != NULL;
		}
		json_object_foreach(c->rootful, name, ins) {
			bool rolled = false;

			for (size_t i = 0; i < p->n; i++)
				rolled = rolled || (p->items[i].action == PM_ROLLBACK &&
						    strcmp(p->items[i].name, name) == 0);
			if (!rolled && strcmp(restart_name(ins), "always") == 0 &&
			    pm_record_any(p->record_dir, name, NULL))
				json_array_append_new(p->boot_migrated, json_string(name));
		}
		if (p->boot_enable && json_array_size(p->boot_migrated)) {
			struct mu_buf b = MU_BUF_INIT;

			join(&b, p->boot_migrated);
			mu_result_warn(c->r, "%s is enabled again for the containers rolled back; at "
				       "boot it will also start the migrated rootful %s (restart "
				       "policy 'always'), next to their users' copies", PM_BOOT_UNIT,
				       b.buf);
			mu_buf_release(&b);
		}
		goto out;
	}
	if (p->can_update_restart)
		goto out;
	json_object_foreach(c->rootful, name, ins) {
		bool moved = false;

		if (strcmp(restart_name(ins), "always") != 0)
			continue;
		for (size_t i = 0; i < p->n; i++) {
			const struct pm_item *it = &p->items[i];

			if (strcmp(it->name, name) == 0)
				moved = it->action == PM_MIGRATE || it->record || it->rootless;
		}
		moved = moved || pm_record_any(p->record_dir, name, NULL);
		json_array_append_new(moved ? p->boot_migrated : needed, json_string(name));
	}
	if (!json_array_size(p->boot_links) || !json_array_size(p->boot_migrated))
		goto out;
	if (!json_array_size(needed)) {
		p->boot_disable = true;
	} else {
		struct mu_buf a = MU_BUF_INIT, b = MU_BUF_INIT;

		join(&a, needed);
		join(&b, p->boot_migrated);
		mu_result_warn(c->r, "the rootful %s stays enabled: %s (restart policy 'always', "
			       "not migrated) need it. This podman cannot set the restart policy "
			       "of the migrated rootful %s to 'no', so at boot the service starts "
			       "them too, next to their users' copies: migrate those containers "
			       "as well, or use remove_rootful", PM_BOOT_UNIT, a.buf, b.buf);
		mu_buf_release(&a);
		mu_buf_release(&b);
	}
out:
	p->boot = json_pack("{s:s, s:b, s:O, s:O, s:O, s:s}", "unit", PM_BOOT_UNIT,
			    "enabled", json_array_size(p->boot_links) > 0, "links", p->boot_links,
			    "migrated_always", p->boot_migrated, "needed_by", needed,
			    "action", p->boot_disable ? "disable" : p->boot_enable ? "enable"
			    : p->can_update_restart ? "none (restart policies set to 'no')"
			    : p->boot_record && !json_array_size(p->boot_links) ? "disabled already"
			    : json_array_size(needed) && json_array_size(p->boot_links) ? "kept"
			    : "none");
	json_decref(needed);
}

/* ---- the whole plan ---- */

static int plan_user(struct mu_task *t, struct mu_result *r, struct pm_plan *p,
		     json_t *problems)
{
	const char *user = mu_arg_str(t, "user");
	struct mu_err e = { 0 };
	unsigned long us = 0, uc = 0, gs = 0, gc = 0;
	char *rt;
	struct stat st;

	if (mu_user_get(user, &p->user, &e) != 0)
		return mu_result_fail(r, MU_E_NOTFOUND, "podman_migrate: %s", e.msg);
	if (p->user.uid == 0)
		return mu_result_fail(r, MU_E_ARG, "podman_migrate: user '%s' is root; name the "
				      "unprivileged user that is to own the containers", user);
	if (mu_subid_range("/etc/subuid", &p->user, &us, &uc, &e) != 0)
		problem(problems, "%s: add one first (usermod --add-subuids 100000-165535 %s)",
			e.msg, user);
	else if (uc < PM_MIN_SUBIDS)
		problem(problems, "user '%s' has %lu subordinate uids in '/etc/subuid', fewer "
			"than %lu", user, uc, PM_MIN_SUBIDS);
	if (mu_subid_range("/etc/subgid", &p->user, &gs, &gc, &e) != 0)
		problem(problems, "%s: add one first (usermod --add-subgids 100000-165535 %s)",
			e.msg, user);
	else if (gc < PM_MIN_SUBIDS)
		problem(problems, "user '%s' has %lu subordinate gids in '/etc/subgid', fewer "
			"than %lu", user, gc, PM_MIN_SUBIDS);
	p->map = (struct pm_idmap){ .uid = p->user.uid, .gid = p->user.gid, .ustart = us,
				    .ucount = uc, .gstart = gs, .gcount = gc };
	pm_ident_init(&p->ident, p->user.name, p->user.uid, p->user.gid, us, uc, gs, gc);
	for (const char *const *h = (const char *const[]){ "newuidmap", "newgidmap", NULL }; *h; h++) {
		char *path = pm_find_prog(*h);

		if (!path)
			problem(problems, "'%s' is not installed (package uidmap): rootless podman "
				"needs it", *h);
		else if (!pm_idmap_helper_ok(path))
			problem(problems, "'%s' is neither set-user-ID root nor given file "
				"capabilities: rootless podman cannot map ids", path);
		free(path);
	}
	if (!p->rollback && !pm_linger_on(user))
		mu_result_warn(r, "linger is off for '%s' (no '/var/lib/systemd/linger/%s'): its "
			       "containers will not start at boot", user, user);
	rt = pm_runtime_dir(p->user.uid);
	p->runtime_missing = stat(rt, &st) != 0;
	free(rt);
	return 0;
}

static int plan_names(struct mu_task *t, struct ctx *c, struct mu_err *e)
{
	json_t *given = mu_arg_json(t, "containers");
	json_t *rootful_names = NULL;
	size_t i;
	json_t *v;
	int r;

	if ((r = list_containers(NULL, &rootful_names, c->r->warnings, e)) != 0)
		return r;
	if ((r = inspect_all(NULL, rootful_names, &c->rootful, e)) != 0)
		goto out;
	if (json_array_size(given)) {
		c->names = json_copy(given);
	} else if (c->p->rollback) {
		c->names = pm_record_list(c->p->record_dir, c->p->user.name);
	} else {
		json_t *rec = pm_record_list(c->p->record_dir, c->p->user.name);

		c->names = json_copy(rootful_names);
		json_array_foreach(rec, i, v) {
			bool have = false;
			size_t j;
			json_t *w;

			json_array_foreach(c->names, j, w)
				have = have || json_equal(v, w);
			if (!have)
				json_array_append(c->names, v);
		}
		json_decref(rec);
	}
out:
	json_decref(rootful_names);
	return r;
}

static int plan_user_state(struct ctx *c, struct mu_err *e)
{
	struct pm_call call = { .user = c->p->user.name };
	const char *nargs[] = { "network", "ls", "--format", "json", NULL };
	json_t *names = NULL;
	int r;

	c->user = json_object();
	c->user_networks = json_array();
	c->seen = user_podman_seen(c->p);
	if (!c->seen)
		return 0;
	if ((r = list_containers(&call, &names, NULL, e)) != 0) {
		json_decref(names);
		return r;
	}
	json_decref(c->user);
	c->user = NULL;
	r = inspect_all(&call, names, &c->user, e);
	json_decref(names);
	if (r)
		return r;
	json_decref(c->user_networks);
	c->user_networks = NULL;
	if ((r = pm_json(&call, nargs, &c->user_networks, e)) != 0)
		return r;
	return 0;
}

int pm_plan_build(struct mu_task *t, struct mu_result *r, bool report, struct pm_plan *p)
{
	struct ctx c = { .p = p, .r = r };
	struct mu_err e = { 0 };
	int rc = 0;

	memset(p, 0, sizeof(*p));
	p->images = json_object();
	p->rollback = strcmp(mu_arg_str(t, "state"), "rolled_back") == 0;
	p->restart = mu_arg_str(t, "restart_policy");
	p->stop_timeout = (long)mu_arg_int(t, "stop_timeout", 10);
	p->record_dir = mu_arg_str(t, "record_dir");
	p->shift_registry = mu_arg_str(t, "shift_registry");
	p->remove_rootful = mu_arg_bool(t, "remove_rootful");
	c.problems = json_array();
	c.host_settings = json_array();
	c.volumes_planned = json_object();
	c.networks_planned = json_object();
	c.shift_candidates = json_array();
	c.port_start = pm_port_start();
	if (p->stop_timeout < 0) {
		rc = mu_result_fail(r, MU_E_ARG, "podman_migrate: 'stop_timeout' must not be "
				    "negative");
		goto out;
	}
	if ((rc = plan_user(t, r, p, c.problems)) != 0)
		goto out;
	if (json_array_size(c.problems))
		goto problems; /* no sub-ids: nothing below can be judged */
	p->can_update_restart = pm_can_update_restart();
	if ((rc = pm_reg_list(p->shift_registry, &p->registry, &e)) != 0) {
		rc = mu_result_fail(r, rc, "podman_migrate: %s", e.msg);
		goto out;
	}
	if ((rc = plan_names(t, &c, &e)) != 0 || (rc = plan_user_state(&c, &e)) != 0) {
		rc = mu_result_fail(r, rc, "podman_migrate: %s", e.msg);
		goto out;
	}
	p->n = json_array_size(c.names);
	p->items = mu_xcalloc(p->n ? p->n : 1, sizeof(*p->items));
	for (size_t i = 0; i < p->n; i++) {
		p->items[i].name = mu_xstrdup(json_string_value(json_array_get(c.names, i)));
		plan_item(&c, i);
	}
	if (p->rollback)
		check_ufw_route(&c);
	if (!p->rollback) {
		if ((rc = plan_shift_roots(&c, &e)) != 0) {
			problem(c.problems, "%s", e.msg);
			rc = 0;
		}
		check_ufw(&c);
		check_space(&c);
	}
	plan_boot(&c);
	{
		size_t i;
		json_t *v;

		json_array_foreach(c.host_settings, i, v) {
			if (!t->check_mode)
				json_array_append(c.problems, v);
			else
				mu_result_warn(r, "not ready yet (a real run would fail on it): %s",
					       json_string_value(v));
		}
	}
problems:
	if (json_array_size(c.problems)) {
		struct mu_buf b = MU_BUF_INIT;
		size_t i;
		json_t *v;

		json_array_foreach(c.problems, i, v)
			mu_buf_addf(&b, "%s%s", i ? "; " : "", json_string_value(v));
		rc = mu_result_fail(r, MU_E_SAFETY, "podman_migrate: preflight failed, nothing "
				    "changed: %s", b.buf);
		mu_result_data(r, "problems", json_incref(c.problems));
		mu_buf_release(&b);
		if (p->items)
			pm_report_data(r, p);
		goto out;
	}
	if (report) {
		if (p->runtime_missing && !p->rollback) {
			char *rt = pm_runtime_dir(p->user.uid);

			mu_result_change(r, "create '%s' for '%s' (0700)", rt, p->user.name);
			free(rt);
		}
		if (p->start_service) {
			char *sock = pm_user_socket(p->user.uid);

			mu_result_change(r, "start 'podman system service' for '%s' so that '%s' "
					 "exists (no user systemd to run podman.socket)",
					 p->user.name, sock);
			free(sock);
		}
		for (size_t i = 0; i < p->n; i++)
			pm_report_item(r, p, &p->items[i]);
		pm_report_boot(r, p);
		pm_report_data(r, p);
		pm_report_msg(r, p, t->check_mode);
	}
out:
	json_decref(c.problems);
	json_decref(c.host_settings);
	json_decref(c.rootful);
	json_decref(c.user);
	json_decref(c.names);
	json_decref(c.volumes_planned);
	json_decref(c.networks_planned);
	json_decref(c.user_networks);
	json_decref(c.shift_candidates);
	return rc;
}

void pm_plan_free(struct pm_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct pm_item *it = &p->items[i];

		free(it->name);
		json_decref(it->inspect);
		json_decref(it->def);
		json_decref(it->want);
		json_decref(it->rootless);
		json_decref(it->record);
		json_decref(it->volumes);
		json_decref(it->networks);
		json_decref(it->shifts);
		json_decref(it->shifts_skipped);
		json_decref(it->summary);
		json_decref(it->done_shifts);
		json_decref(it->done_volumes);
		json_decref(it->done_networks);
	}
	free(p->items);
	json_decref(p->images);
	json_decref(p->registry);
	json_decref(p->boot);
	json_decref(p->boot_links);
	json_decref(p->boot_record);
	json_decref(p->boot_migrated);
	mu_user_release(&p->user);
	memset(p, 0, sizeof(*p));
}
