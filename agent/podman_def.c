/*
 * Reducing `podman container inspect` to the definition the migration
 * carries (see podman_def.h), and turning a definition back into the argv
 * of `podman create`. Everything that cannot be carried is named in
 * "unsupported" so the module can say so instead of dropping it quietly.
 */
#include "podman_def.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mu_buf.h"

/* ---- small JSON helpers ---- */

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static const char *jstr_v(const json_t *v)
{
	const char *s = json_string_value(v);

	return s ? s : "";
}

static const json_t *jpath(const json_t *o, const char *a, const char *b)
{
	return json_object_get(json_object_get(o, a), b);
}

static int cmp_json(const void *a, const void *b)
{
	char *sa = json_dumps(*(json_t *const *)a, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
	char *sb = json_dumps(*(json_t *const *)b, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
	int r = strcmp(sa ? sa : "", sb ? sb : "");

	free(sa);
	free(sb);
	return r;
}

/* A new array with arr's items in a stable order (duplicates kept). */
static json_t *sorted(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v = mu_xcalloc(n ? n : 1, sizeof(json_t *));
	json_t *out = json_array();

	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(arr, i);
	qsort(v, n, sizeof(json_t *), cmp_json);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(arr);
	return out;
}

/* Copy of a string array (non-strings skipped); NULL gives []. */
static json_t *str_array(const json_t *a)
{
	json_t *out = json_array();
	size_t i;
	json_t *v;

	json_array_foreach((json_t *)a, i, v)
		if (json_is_string(v))
			json_array_append(out, v);
	return out;
}

static bool array_has_str(const json_t *a, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach((json_t *)a, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

/* ---- reduction ---- */

/*
 * podman 4 shows Config.Entrypoint as one space-joined string, which loses
 * argument boundaries; Path + Args is the exact argv (entrypoint then
 * command), so the entrypoint is that argv minus the Config.Cmd suffix.
 */
static void split_argv(const json_t *in, json_t **entry, json_t **cmd)
{
	json_t *full = json_array();
	const json_t *jcmd = jpath(in, "Config", "Cmd");
	size_t nfull, ncmd;
	bool suffix = true;

	if (json_string_length(json_object_get(in, "Path")))
		json_array_append(full, json_object_get(in, "Path"));
	json_array_extend(full, json_object_get(in, "Args"));
	nfull = json_array_size(full);
	ncmd = json_array_size(jcmd);
	if (ncmd > nfull)
		suffix = false;
	for (size_t i = 0; suffix && i < ncmd; i++)
		suffix = json_equal(json_array_get(full, nfull - ncmd + i),
				    json_array_get(jcmd, i));
	*entry = json_array();
	*cmd = json_array();
	if (!suffix) {
		/* Should not happen; keep the whole argv as the command. */
		json_array_extend(*cmd, full);
	} else {
		for (size_t i = 0; i < nfull - ncmd; i++)
			json_array_append(*entry, json_array_get(full, i));
		json_array_extend(*cmd, (json_t *)jcmd);
	}
	json_decref(full);
}

static json_t *reduce_env(const json_t *in, const json_t *image_env)
{
	json_t *out = json_array();
	size_t i;
	json_t *v;

	json_array_foreach(jpath(in, "Config", "Env"), i, v) {
		const char *s = json_string_value(v);

		if (!s || strncmp(s, "HOSTNAME=", 9) == 0 || strncmp(s, "container=", 10) == 0)
			continue;
		if (array_has_str(image_env, s))
			continue;
		json_array_append(out, v);
	}
	return sorted(out);
}

static json_t *reduce_ports(const json_t *in)
{
	json_t *out = json_array();
	const char *key;
	json_t *binds;

	json_object_foreach((json_t *)jpath(in, "HostConfig", "PortBindings"), key, binds) {
		char proto[16] = "tcp";
		unsigned long cport = strtoul(key, NULL, 10);
		const char *slash = strchr(key, '/');
		size_t i;
		json_t *b;

		if (slash)
			snprintf(proto, sizeof(proto), "%s", slash + 1);
		json_array_foreach(binds, i, b) {
			const char *hp = jstr(b, "HostPort");

			json_array_append_new(out, json_pack("{s:I, s:s, s:s, s:I}",
				"container_port", (json_int_t)cport, "proto", proto,
				"host_ip", jstr(b, "HostIp"),
				"host_port", (json_int_t)(hp[0] ? strtoul(hp, NULL, 10) : 0)));
		}
	}
	return sorted(out);
}

static void reduce_mounts(const json_t *in, json_t *def, json_t *unsupported)
{
	json_t *binds = json_array();
	json_t *vols = json_array();
	size_t i;
	json_t *m;

	json_array_foreach(json_object_get(in, "Mounts"), i, m) {
		const char *type = jstr(m, "Type");
		bool ro = json_is_false(json_object_get(m, "RW"));

		if (strcmp(type, "bind") == 0) {
			const char *mode = jstr(m, "Mode");

			json_array_append_new(binds, json_pack("{s:s, s:s, s:b, s:s}",
				"source", jstr(m, "Source"), "destination", jstr(m, "Destination"),
				"ro", ro, "relabel",
				strcmp(mode, "z") == 0 || strcmp(mode, "Z") == 0 ? mode : ""));
		} else if (strcmp(type, "volume") == 0) {
			json_array_append_new(vols, json_pack("{s:s, s:s, s:b}",
				"name", jstr(m, "Name"), "destination", jstr(m, "Destination"),
				"ro", ro));
		} else {
			json_array_append_new(unsupported, json_sprintf("%s mount at '%s'", type,
				jstr(m, "Destination")));
		}
	}
	json_object_set_new(def, "binds", sorted(binds));
	json_object_set_new(def, "volumes", sorted(vols));
}

static json_t *reduce_networks(const json_t *in)
{
	json_t *out = json_array();
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)jpath(in, "NetworkSettings", "Networks"), key, v)
		if (strcmp(key, "podman") != 0)
			json_array_append_new(out, json_string(key));
	return sorted(out);
}

static const char *reduce_netmode(const json_t *in)
{
	const char *m = jstr(json_object_get(in, "HostConfig"), "NetworkMode");

	if (!m[0] || strcmp(m, "bridge") == 0 || strcmp(m, "slirp4netns") == 0 ||
	    strcmp(m, "default") == 0 || strcmp(m, "pasta") == 0)
		return "default";
	return m;
}

static json_t *reduce_devices(const json_t *in)
{
	json_t *out = json_array();
	size_t i;
	json_t *d;

	json_array_foreach(jpath(in, "HostConfig", "Devices"), i, d)
		json_array_append_new(out, json_sprintf("%s:%s:%s", jstr(d, "PathOnHost"),
			jstr(d, "PathInContainer"), jstr(d, "CgroupPermissions")));
	return sorted(out);
}

/* Settings we do not carry, when they are set. */
static void note_unsupported(const json_t *in, json_t *un)
{
	const json_t *hc = json_object_get(in, "HostConfig");

	if (jstr(in, "Pod")[0])
		json_array_append_new(un, json_sprintf("member of pod '%s'", jstr(in, "Pod")));
	if (json_integer_value(json_object_get(hc, "Memory")) > 0)
		json_array_append_new(un, json_string("memory limit"));
	if (json_integer_value(json_object_get(hc, "NanoCpus")) > 0 ||
	    json_integer_value(json_object_get(hc, "CpuQuota")) > 0 ||
	    json_integer_value(json_object_get(hc, "CpuShares")) > 0)
		json_array_append_new(un, json_string("cpu limits"));
	if (json_array_size(json_object_get(hc, "SecurityOpt")))
		json_array_append_new(un, json_string("security options"));
	if (json_array_size(json_object_get(hc, "VolumesFrom")))
		json_array_append_new(un, json_string("volumes-from"));
	if (json_object_get(json_object_get(in, "Config"), "Healthcheck"))
		json_array_append_new(un, json_string("healthcheck"));
}

json_t *pm_def_from_inspect(const json_t *inspect, const json_t *image_config,
			    struct mu_err *e)
{
	const json_t *in = inspect;
	const json_t *cfg = json_object_get(in, "Config");
	const json_t *hc = json_object_get(in, "HostConfig");
	const json_t *rp = json_object_get(hc, "RestartPolicy");
	const char *name = jstr(in, "Name");
	const char *id = jstr(in, "Id");
	json_t *def, *entry, *cmd, *un = json_array();
	json_t *labels = json_object_get(cfg, "Labels");

	if (!json_is_object(in) || !json_is_object(cfg) || !json_is_object(hc) || !name[0]) {
		json_decref(un);
		mu_err_set(e, MU_E_PARSE, "container inspect output lacks Name, Config or HostConfig");
		return NULL;
	}
	if (name[0] == '/')
		name++;
	split_argv(in, &entry, &cmd);
	def = json_pack("{s:s, s:s, s:s, s:o, s:o}", "name", name,
			"image", jstr(in, "ImageName"), "image_id", jstr(in, "Image"),
			"entrypoint", entry, "cmd", cmd);
	json_object_set_new(def, "image_entrypoint",
			    json_array_size(json_object_get(image_config, "Entrypoint"))
			    ? json_true() : json_false());
	json_object_set_new(def, "env", reduce_env(in, json_object_get(image_config, "Env")));
	json_object_set_new(def, "labels", json_is_object(labels) ? json_deep_copy(labels)
								  : json_object());
	if (jstr(cfg, "Hostname")[0] && strncmp(jstr(cfg, "Hostname"), id, 12) != 0)
		json_object_set_new(def, "hostname", json_string(jstr(cfg, "Hostname")));
	json_object_set_new(def, "ports", reduce_ports(in));
	reduce_mounts(in, def, un);
	json_object_set_new(def, "tmpfs", json_is_object(json_object_get(hc, "Tmpfs"))
			    ? json_deep_copy(json_object_get(hc, "Tmpfs")) : json_object());
	json_object_set_new(def, "networks", reduce_networks(in));
	json_object_set_new(def, "network_mode", json_string(reduce_netmode(in)));
	json_object_set_new(def, "restart", json_string(jstr(rp, "Name")[0] ? jstr(rp, "Name")
									: "no"));
	json_object_set_new(def, "restart_retries",
			    json_integer(json_integer_value(json_object_get(rp, "MaximumRetryCount"))));
	json_object_set_new(def, "user", json_string(jstr(cfg, "User")));
	json_object_set_new(def, "workdir", json_string(jstr(cfg, "WorkingDir")));
	json_object_set_new(def, "cap_add", sorted(str_array(json_object_get(hc, "CapAdd"))));
	json_object_set_new(def, "cap_drop", sorted(str_array(json_object_get(hc, "CapDrop"))));
	json_object_set_new(def, "devices", reduce_devices(in));
	json_object_set_new(def, "dns", str_array(json_object_get(hc, "Dns")));
	json_object_set_new(def, "extra_hosts", sorted(str_array(json_object_get(hc, "ExtraHosts"))));
	json_object_set_new(def, "privileged", json_boolean(json_is_true(json_object_get(hc, "Privileged"))));
	note_unsupported(in, un);
	json_object_set_new(def, "unsupported", un);
	return def;
}

int pm_is_root_socket(const char *source)
{
	const char *src = source;

	return strcmp(src, PM_ROOT_SOCKET) == 0 || strcmp(src, "/var" PM_ROOT_SOCKET) == 0 ||
	       strcmp(src, PM_ROOT_SOCKET_DIR) == 0 || strcmp(src, "/var" PM_ROOT_SOCKET_DIR) == 0;
}

json_t *pm_def_for_user(const json_t *def, uid_t uid, const char *restart)
{
	json_t *out = json_deep_copy(def);
	size_t i;
	json_t *b;

	json_array_foreach(json_object_get(out, "binds"), i, b) {
		const char *src = jstr(b, "source");

		if (!pm_is_root_socket(src))
			continue;
		if (strstr(src, "podman.sock"))
			json_object_set_new(b, "source",
					    json_sprintf("/run/user/%u/podman/podman.sock", (unsigned)uid));
		else
			json_object_set_new(b, "source", json_sprintf("/run/user/%u/podman", (unsigned)uid));
	}
	json_object_set_new(out, "binds", sorted(json_incref(json_object_get(out, "binds"))));
	json_object_set_new(out, "restart", json_string(restart));
	if (strcmp(restart, "on-failure") != 0)
		json_object_set_new(out, "restart_retries", json_integer(0));
	return out;
}

static const char *const compared[] = {
	"image_id", "entrypoint", "cmd", "env", "labels", "hostname", "ports", "binds",
	"volumes", "tmpfs", "networks", "network_mode", "restart", "restart_retries",
	"user", "workdir", "cap_add", "cap_drop", "devices", "dns", "extra_hosts",
	"privileged", NULL
};

json_t *pm_def_diff(const json_t *a, const json_t *b)
{
	json_t *out = json_array();

	for (size_t i = 0; compared[i]; i++) {
		json_t *va = json_object_get(a, compared[i]);
		json_t *vb = json_object_get(b, compared[i]);

		if (!va && !vb)
			continue;
		if (!va || !vb || !json_equal(va, vb))
			json_array_append_new(out, json_string(compared[i]));
	}
	return out;
}

/* ---- back to an argv ---- */

struct argv_b {
	char **v;
	size_t n, cap;
};

static void add(struct argv_b *a, char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 32;
		a->v = mu_xrealloc(a->v, a->cap * sizeof(*a->v));
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void add2(struct argv_b *a, const char *flag, char *val)
{
	add(a, mu_xstrdup(flag));
	add(a, val);
}

char **pm_def_create_args(const json_t *def, const char *image)
{
	struct argv_b a = { 0 };
	const char *restart = jstr(def, "restart");
	json_int_t retries = json_integer_value(json_object_get(def, "restart_retries"));
	json_t *entry = json_object_get(def, "entrypoint");
	const char *key;
	size_t i;
	json_t *v;

	add(&a, mu_xstrdup("create"));
	add(&a, mu_xstrdup("--pull=never"));
	add2(&a, "--name", mu_xstrdup(jstr(def, "name")));
	if (strcmp(restart, "on-failure") == 0 && retries > 0)
		add2(&a, "--restart", mu_xasprintf("on-failure:%lld", (long long)retries));
	else
		add2(&a, "--restart", mu_xstrdup(restart[0] ? restart : "no"));
	if (json_object_get(def, "hostname"))
		add2(&a, "--hostname", mu_xstrdup(jstr(def, "hostname")));
	if (json_array_size(entry)) {
		char *ej = json_dumps(entry, JSON_COMPACT);

		add(&a, mu_xasprintf("--entrypoint=%s", ej ? ej : "[]"));
		free(ej);
	} else if (json_is_true(json_object_get(def, "image_entrypoint")))
		add(&a, mu_xstrdup("--entrypoint="));
	json_array_foreach(json_object_get(def, "env"), i, v)
		add2(&a, "--env", mu_xstrdup(json_string_value(v)));
	json_object_foreach(json_object_get(def, "labels"), key, v)
		add2(&a, "--label", mu_xasprintf("%s=%s", key, jstr_v(v)));
	json_array_foreach(json_object_get(def, "ports"), i, v) {
		const char *ip = jstr(v, "host_ip");
		json_int_t hp = json_integer_value(json_object_get(v, "host_port"));
		json_int_t cp = json_integer_value(json_object_get(v, "container_port"));
		const char *proto = jstr(v, "proto");

		if (!hp)
			add2(&a, "--publish", mu_xasprintf("%lld/%s", (long long)cp, proto));
		else if (!ip[0])
			add2(&a, "--publish", mu_xasprintf("%lld:%lld/%s", (long long)hp,
							   (long long)cp, proto));
		else
			add2(&a, "--publish", mu_xasprintf(strchr(ip, ':') ? "[%s]:%lld:%lld/%s"
							   : "%s:%lld:%lld/%s", ip, (long long)hp,
							   (long long)cp, proto));
	}
	json_array_foreach(json_object_get(def, "binds"), i, v) {
		bool ro = json_is_true(json_object_get(v, "ro"));
		const char *rl = jstr(v, "relabel");

		add2(&a, "--volume", mu_xasprintf("%s:%s%s%s%s%s", jstr(v, "source"),
			jstr(v, "destination"), ro || rl[0] ? ":" : "", ro ? "ro" : "",
			ro && rl[0] ? "," : "", rl));
	}
	json_array_foreach(json_object_get(def, "volumes"), i, v)
		add2(&a, "--volume", mu_xasprintf("%s:%s%s", jstr(v, "name"), jstr(v, "destination"),
			json_is_true(json_object_get(v, "ro")) ? ":ro" : ""));
	json_object_foreach(json_object_get(def, "tmpfs"), key, v) {
		const char *o = json_string_value(v);

		add2(&a, "--tmpfs", o && o[0] ? mu_xasprintf("%s:%s", key, o) : mu_xstrdup(key));
	}
	if (strcmp(jstr(def, "network_mode"), "default") != 0) {
		add2(&a, "--network", mu_xstrdup(jstr(def, "network_mode")));
	} else if (json_array_size(json_object_get(def, "networks"))) {
		struct mu_buf nb = MU_BUF_INIT;

		json_array_foreach(json_object_get(def, "networks"), i, v)
			mu_buf_addf(&nb, "%s%s", i ? "," : "", json_string_value(v));
		add2(&a, "--network", mu_buf_detach(&nb, NULL));
	}
	if (jstr(def, "user")[0])
		add2(&a, "--user", mu_xstrdup(jstr(def, "user")));
	if (jstr(def, "workdir")[0])
		add2(&a, "--workdir", mu_xstrdup(jstr(def, "workdir")));
	json_array_foreach(json_object_get(def, "cap_add"), i, v)
		add2(&a, "--cap-add", mu_xstrdup(json_string_value(v)));
	json_array_foreach(json_object_get(def, "cap_drop"), i, v)
		add2(&a, "--cap-drop", mu_xstrdup(json_string_value(v)));
	json_array_foreach(json_object_get(def, "devices"), i, v)
		add2(&a, "--device", mu_xstrdup(json_string_value(v)));
	json_array_foreach(json_object_get(def, "dns"), i, v)
		add2(&a, "--dns", mu_xstrdup(json_string_value(v)));
	json_array_foreach(json_object_get(def, "extra_hosts"), i, v)
		add2(&a, "--add-host", mu_xstrdup(json_string_value(v)));
	if (json_is_true(json_object_get(def, "privileged")))
		add(&a, mu_xstrdup("--privileged"));
	add(&a, mu_xstrdup(image));
	json_array_foreach(json_object_get(def, "cmd"), i, v)
		add(&a, mu_xstrdup(json_string_value(v)));
	return a.v;
}

void pm_args_free(char **args)
{
	for (size_t i = 0; args && args[i]; i++)
		free(args[i]);
	free(args);
}

json_t *pm_def_published(const json_t *def)
{
	json_t *out = json_array();
	size_t i, j;
	json_t *p, *q;

	json_array_foreach(json_object_get(def, "ports"), i, p) {
		json_t *item;
		bool dup = false;

		if (!json_integer_value(json_object_get(p, "host_port")))
			continue;
		item = json_pack("{s:O, s:O}", "port", json_object_get(p, "host_port"),
				 "proto", json_object_get(p, "proto"));
		json_array_foreach(out, j, q)
			dup = dup || json_equal(q, item);
		if (dup)
			json_decref(item);
		else
			json_array_append_new(out, item);
	}
	return out;
}
