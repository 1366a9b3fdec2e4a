/* Read-only host checks for the container migration (see podman_host.h). */
#include "podman_host.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fileio.h"
#include "mu_buf.h"
#include "ufw_rule.h"
#include "ufw_state.h"
#include "users.h"

void pm_ident_init(struct pm_ident *id, const char *name, uid_t uid, gid_t gid,
		   unsigned long ustart, unsigned long ucount,
		   unsigned long gstart, unsigned long gcount)
{
	memset(id, 0, sizeof(*id));
	id->uid = uid;
	id->gid = gid;
	id->ngroups = (int)(sizeof(id->groups) / sizeof(id->groups[0]));
	mu_user_groups(name, gid, id->groups, &id->ngroups);
	id->ustart = ustart;
	id->ucount = ucount;
	id->gstart = gstart;
	id->gcount = gcount;
}

int pm_port_start(void)
{
	struct mu_buf b = MU_BUF_INIT;
	int v = 1024;

	if (mu_file_read("/proc/sys/net/ipv4/ip_unprivileged_port_start", &b, 64, NULL) == 0)
		v = (int)strtol(b.buf, NULL, 10);
	mu_buf_release(&b);
	return v;
}

static bool addr_any(const char *a)
{
	return strcmp(a, "0.0.0.0/0") == 0 || strcmp(a, "::/0") == 0 || strcmp(a, "any") == 0;
}

/*
 * Is incoming proto/port from anywhere allowed by these rules? ufw's chain
 * is first match wins: the first rule that governs every such connection
 * (plain "in", no interface, any source, source port and destination)
 * decides. Narrower rules (one source, one interface) are passed over:
 * they do not open the port for every client.
 */
static bool rules_allow(const struct ufw_rules *l, const char *proto, unsigned port)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct ufw_tuple *t = &l->v[i];

		if (t->route || strcmp(t->ifaces, "in") != 0 ||
		    (strcmp(t->proto, "any") != 0 && strcmp(t->proto, proto) != 0) ||
		    !ufw_ports_cover(t->dport, port) || strcmp(t->sport, "any") != 0 ||
		    !addr_any(t->src) || !addr_any(t->dst))
			continue;
		return strcmp(t->action, "allow") == 0 || strcmp(t->action, "limit") == 0;
	}
	return false;
}

json_t *pm_ufw_missing(const json_t *ports)
{
	struct ufw_state s;
	struct mu_err e = { 0 };
	json_t *missing = NULL;
	size_t i;
	json_t *p;

	if (ufw_state_read(&s, &e) != 0)
		return NULL; /* not installed */
	if (!s.conf_enabled && !s.loaded)
		goto out;
	missing = json_array();
	if (strcmp(s.policy[UFW_INCOMING], "allow") == 0)
		goto out;
	json_array_foreach((json_t *)ports, i, p) {
		const char *proto = json_string_value(json_object_get(p, "proto"));
		unsigned port = (unsigned)json_integer_value(json_object_get(p, "port"));
		bool v4, v6;

		if (!proto)
			proto = "tcp";
		v4 = rules_allow(&s.rules4, proto, port);
		/* with IPV6=yes ufw filters IPv6 too, from user6.rules */
		v6 = !s.ipv6 || rules_allow(&s.rules6, proto, port);
		if (!v4 && (!v6 || !s.ipv6))
			json_array_append_new(missing, json_sprintf("%u/%s", port, proto));
		else if (!v4)
			json_array_append_new(missing, json_sprintf("%u/%s over IPv4 (%s)", port,
								    proto, UFW_USER_RULES));
		else if (!v6)
			json_array_append_new(missing, json_sprintf("%u/%s over IPv6 (IPV6=yes in "
								    "%s, no rule in %s)", port,
								    proto, UFW_DEFAULTS,
								    UFW_USER6_RULES));
	}
out:
	ufw_state_release(&s);
	return missing;
}

json_t *pm_ufw_route_missing(const json_t *ports)
{
	struct ufw_state s;
	struct mu_err e = { 0 };
	json_t *missing = NULL;
	size_t i;
	json_t *p;

	if (ufw_state_read(&s, &e) != 0)
		return NULL;
	if ((!s.conf_enabled && !s.loaded) || strcmp(s.policy[UFW_ROUTED], "allow") == 0)
		goto out;
	missing = json_array();
	json_array_foreach((json_t *)ports, i, p) {
		const char *proto = json_string_value(json_object_get(p, "proto"));
		unsigned port = (unsigned)json_integer_value(json_object_get(p, "port"));
		bool ok = false;

		if (!proto)
			proto = "tcp";
		/* the first route rule for every client that covers the port decides */
		for (size_t k = 0; k < s.rules4.n && !ok; k++) {
			const struct ufw_tuple *t = &s.rules4.v[k];

			if (!t->route || (strcmp(t->proto, "any") != 0 && strcmp(t->proto, proto) != 0) ||
			    !ufw_ports_cover(t->dport, port) || strcmp(t->sport, "any") != 0 ||
			    !addr_any(t->src) || !addr_any(t->dst))
				continue;
			ok = strcmp(t->action, "allow") == 0 || strcmp(t->action, "limit") == 0;
			break;
		}
		if (!ok)
			json_array_append_new(missing, json_sprintf("%u/%s", port, proto));
	}
out:
	ufw_state_release(&s);
	return missing;
}

bool pm_linger_on(const char *user)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "/var/lib/systemd/linger/%s", user);
	return stat(path, &st) == 0;
}

char *pm_find_prog(const char *prog)
{
	static const char *const dirs[] = {
		"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin", NULL
	};

	for (size_t i = 0; dirs[i]; i++) {
		char *p = mu_xasprintf("%s/%s", dirs[i], prog);

		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

bool pm_idmap_helper_ok(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return false;
	if (st.st_uid == 0 && (st.st_mode & S_ISUID))
		return true;
	return getxattr(path, "security.capability", NULL, 0) > 0;
}

static bool in_range(unsigned long v, unsigned long start, unsigned long count)
{
	return v >= start && v - start < count;
}

/*
 * May id do want (r=4, w=2, x=1) on st? The user's podman works as root of
 * its user namespace, which overrides permissions on inodes whose owner
 * and group both map into it; anything else gets the usual owner, group,
 * other checks for the user.
 */
static bool may(const struct pm_ident *id, const struct stat *st, unsigned want)
{
	bool umapped = st->st_uid == id->uid || in_range(st->st_uid, id->ustart, id->ucount);
	bool gmapped = st->st_gid == id->gid || in_range(st->st_gid, id->gstart, id->gcount);
	unsigned bits;

	if (umapped && gmapped)
		return true;
	if (st->st_uid == id->uid) {
		bits = (st->st_mode >> 6) & 7;
	} else {
		bool member = false;

		for (int i = 0; i < id->ngroups; i++)
			member = member || id->groups[i] == st->st_gid;
		bits = member ? (st->st_mode >> 3) & 7 : st->st_mode & 7;
	}
	return (bits & want) == want;
}

bool pm_can_reach(const struct pm_ident *id, const char *path, char **blocker)
{
	char *real = realpath(path, NULL);
	char *p;
	bool ok = true;

	*blocker = NULL;
	if (!real)
		return true; /* a missing source is reported on its own */
	for (p = real + 1; ok && (p = strchr(p, '/')) != NULL; p++) {
		struct stat st;
		char save = *p;

		*p = '\0';
		if (stat(real, &st) == 0 && !may(id, &st, 1)) {
			ok = false;
			*blocker = mu_xasprintf("'%s' (mode %04o, owner %u:%u)", real,
						(unsigned)(st.st_mode & 07777),
						(unsigned)st.st_uid, (unsigned)st.st_gid);
		}
		*p = save;
	}
	if (ok) {
		struct stat st;

		if (stat("/", &st) == 0 && !may(id, &st, 1)) {
			ok = false;
			*blocker = mu_xstrdup("'/'");
		}
	}
	free(real);
	return ok;
}

bool pm_can_rw(const struct pm_ident *id, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return false;
	return may(id, &st, 6);
}

int pm_free_space(const char *path, uint64_t *bytes, dev_t *dev, struct mu_err *e)
{
	char *p = mu_xstrdup(path);
	struct statvfs sv;
	struct stat st;
	int r = 0;

	while (stat(p, &st) != 0) {
		char *slash = strrchr(p, '/');

		if (!slash || slash == p) {
			p[0] = '/';
			p[1] = '\0';
			break;
		}
		*slash = '\0';
	}
	if (stat(p, &st) != 0 || statvfs(p, &sv) != 0) {
		r = mu_err_sys(e, "cannot read the free space of '%s'", p);
		goto out;
	}
	*bytes = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
	*dev = st.st_dev;
out:
	free(p);
	return r;
}

bool pm_system_path(const char *path)
{
	static const char *const trees[] = {
		"/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc",
		"/run", "/sbin", "/sys", "/usr", "/var/run", "/var/lib/containers", "/var/lib/dpkg",
		"/var/log", NULL
	};
	static const char *const tops[] = {
		"/", "/home", "/opt", "/var", "/srv", "/mnt", "/media", "/tmp", "/var/tmp",
		"/var/lib", "/root", NULL
	};
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	for (size_t i = 0; tops[i]; i++)
		if (strlen(tops[i]) == n && strncmp(tops[i], path, n) == 0)
			return true;
	for (size_t i = 0; trees[i]; i++) {
		size_t t = strlen(trees[i]);

		if (n >= t && strncmp(path, trees[i], t) == 0 && (n == t || path[t] == '/'))
			return true;
	}
	return false;
}
