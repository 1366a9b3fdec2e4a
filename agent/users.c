/* Parsing of passwd, group and subuid/subgid files (see users.h for why). */
#include "users.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mu_buf.h"

const char *mu_passwd_file = "/etc/passwd";
const char *mu_group_file = "/etc/group";

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Split a line on ':' into at most max fields, in place. */
static int split_fields(char *line, char **f, int max)
{
	int n = 0;

	line[strcspn(line, "\n")] = '\0';
	while (n < max) {
		f[n++] = line;
		line = strchr(line, ':');
		if (!line)
			break;
		*line++ = '\0';
	}
	return n;
}

static int passwd_find(const char *name, uid_t uid, bool by_uid,
		       struct mu_user *out, struct mu_err *e)
{
	FILE *fp = fopen(mu_passwd_file, "re");
	char *line = NULL;
	size_t cap = 0;
	int r = MU_E_NOTFOUND;

	memset(out, 0, sizeof(*out));
	if (!fp)
		return mu_err_sys(e, "cannot open '%s'", mu_passwd_file);
	while (getline(&line, &cap, fp) > 0) {
		char *f[7];

		if (line[0] == '#' || split_fields(line, f, 7) < 7)
			continue;
		if (by_uid ? (uid_t)strtoul(f[2], NULL, 10) != uid : strcmp(f[0], name) != 0)
			continue;
		out->name = mu_xstrdup(f[0]);
		out->uid = (uid_t)strtoul(f[2], NULL, 10);
		out->gid = (gid_t)strtoul(f[3], NULL, 10);
		out->home = mu_xstrdup(f[5]);
		out->shell = mu_xstrdup(f[6]);
		r = 0;
		break;
	}
	free(line);
	fclose(fp);
	if (r) {
		if (by_uid)
			return mu_err_set(e, MU_E_NOTFOUND, "no user with uid %u in '%s'",
					  (unsigned)uid, mu_passwd_file);
		return mu_err_set(e, MU_E_NOTFOUND, "no such user '%s' in '%s'",
				  name, mu_passwd_file);
	}
	return 0;
}

int mu_user_get(const char *name, struct mu_user *out, struct mu_err *e)
{
	if (all_digits(name))
		return passwd_find(NULL, (uid_t)strtoul(name, NULL, 10), true, out, e);
	return passwd_find(name, 0, false, out, e);
}

int mu_user_by_uid(uid_t uid, struct mu_user *out, struct mu_err *e)
{
	return passwd_find(NULL, uid, true, out, e);
}

void mu_user_release(struct mu_user *u)
{
	free(u->name);
	free(u->home);
	free(u->shell);
	memset(u, 0, sizeof(*u));
}

int mu_group_gid(const char *name, gid_t *out, struct mu_err *e)
{
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	int r = MU_E_NOTFOUND;

	if (all_digits(name)) {
		*out = (gid_t)strtoul(name, NULL, 10);
		return 0;
	}
	fp = fopen(mu_group_file, "re");
	if (!fp)
		return mu_err_sys(e, "cannot open '%s'", mu_group_file);
	while (getline(&line, &cap, fp) > 0) {
		char *f[4];

		if (split_fields(line, f, 4) < 3 || strcmp(f[0], name) != 0)
			continue;
		*out = (gid_t)strtoul(f[2], NULL, 10);
		r = 0;
		break;
	}
	free(line);
	fclose(fp);
	if (r)
		return mu_err_set(e, MU_E_NOTFOUND, "no such group '%s' in '%s'",
				  name, mu_group_file);
	return 0;
}

void mu_group_name(gid_t gid, char *buf, size_t len)
{
	FILE *fp = fopen(mu_group_file, "re");
	char *line = NULL;
	size_t cap = 0;

	snprintf(buf, len, "%u", (unsigned)gid);
	if (!fp)
		return;
	while (getline(&line, &cap, fp) > 0) {
		char *f[4];

		if (split_fields(line, f, 4) >= 3 &&
		    (gid_t)strtoul(f[2], NULL, 10) == gid) {
			snprintf(buf, len, "%s", f[0]);
			break;
		}
	}
	free(line);
	fclose(fp);
}

int mu_user_groups(const char *user, gid_t primary, gid_t *groups, int *n)
{
	FILE *fp = fopen(mu_group_file, "re");
	char *line = NULL;
	size_t cap = 0;
	int cnt = 0;

	if (*n > 0)
		groups[cnt++] = primary;
	if (!fp) {
		*n = cnt;
		return 0;
	}
	while (cnt < *n && getline(&line, &cap, fp) > 0) {
		char *f[4];
		char *m;
		char *save = NULL;

		if (split_fields(line, f, 4) < 4)
			continue;
		for (m = strtok_r(f[3], ",", &save); m; m = strtok_r(NULL, ",", &save)) {
			gid_t g = (gid_t)strtoul(f[2], NULL, 10);

			if (strcmp(m, user) == 0 && g != primary) {
				groups[cnt++] = g;
				break;
			}
		}
	}
	free(line);
	fclose(fp);
	*n = cnt;
	return 0;
}

int mu_subid_range(const char *file, const struct mu_user *u,
		   unsigned long *start, unsigned long *count, struct mu_err *e)
{
	FILE *fp = fopen(file, "re");
	char *line = NULL;
	size_t cap = 0;
	char uidstr[32];
	int r = MU_E_NOTFOUND;

	if (!fp) {
		if (errno == ENOENT)
			return mu_err_set(e, MU_E_NOTFOUND, "'%s' does not exist", file);
		return mu_err_sys(e, "cannot open '%s'", file);
	}
	snprintf(uidstr, sizeof(uidstr), "%u", (unsigned)u->uid);
	while (getline(&line, &cap, fp) > 0) {
		char *f[3];

		if (line[0] == '#' || split_fields(line, f, 3) < 3)
			continue;
		if (strcmp(f[0], u->name) != 0 && strcmp(f[0], uidstr) != 0)
			continue;
		*start = strtoul(f[1], NULL, 10);
		*count = strtoul(f[2], NULL, 10);
		r = 0;
		break;
	}
	free(line);
	fclose(fp);
	if (r)
		return mu_err_set(e, MU_E_NOTFOUND, "user '%s' has no range in '%s'",
				  u->name, file);
	return 0;
}
