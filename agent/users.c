/* Parsing of passwd, group and subuid/subgid files (see users.h for why). */
#include "users.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mu_buf.h"
#include "mu_str.h"

const char *mu_passwd_file = "/etc/passwd";
const char *mu_group_file = "/etc/group";

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

/* One of the ':'-separated files, read a line at a time. */
struct colon_file {
	FILE *fp;
	char *line;
	size_t cap;
	char *f[7];
	int n; /* fields of the current line in f */
};

/* 0, or -1 with errno set when path cannot be opened. */
static int cf_open(struct colon_file *cf, const char *path)
{
	memset(cf, 0, sizeof(*cf));
	cf->fp = fopen(path, "re");
	return cf->fp ? 0 : -1;
}

/* Split the next line into at most max (<= 7) fields, passing over lines
 * that start with '#' when skip_comments; false at the end of the file. */
static bool cf_next(struct colon_file *cf, int max, bool skip_comments)
{
	while (getline(&cf->line, &cf->cap, cf->fp) > 0) {
		if (skip_comments && cf->line[0] == '#')
			continue;
		cf->n = split_fields(cf->line, cf->f, max);
		return true;
	}
	return false;
}

static void cf_close(struct colon_file *cf)
{
	free(cf->line);
	fclose(cf->fp);
}

static int passwd_find(const char *name, uid_t uid, bool by_uid,
		       struct mu_user *out, struct mu_err *e)
{
	struct colon_file cf;
	int r = MU_E_NOTFOUND;

	memset(out, 0, sizeof(*out));
	if (cf_open(&cf, mu_passwd_file) != 0)
		return mu_err_sys(e, "cannot open '%s'", mu_passwd_file);
	while (cf_next(&cf, 7, true)) {
		char **f = cf.f;

		if (cf.n < 7)
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
	cf_close(&cf);
	if (r) {
		if (by_uid)
			return mu_err_set(e, MU_E_NOTFOUND, "no user with uid %u in '%s'",
					  (unsigned)uid, mu_passwd_file);
		return mu_err_set(e, MU_E_NOTFOUND, "no such user '%s' in '%s'",
				  name, mu_passwd_file);
	}
	return 0;
}

int mu_id_parse(const char *s, unsigned long *out, struct mu_err *e)
{
	unsigned long long v;
	char *end;

	if (!mu_str_all_digits(s) || strlen(s) > 10)
		return mu_err_set(e, MU_E_ARG, "'%s' is not a valid user or group id", s);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > 4294967294ULL)
		return mu_err_set(e, MU_E_ARG,
				  "id '%s' is out of range (0 to 4294967294)", s);
	*out = (unsigned long)v;
	return 0;
}

int mu_user_get(const char *name, struct mu_user *out, struct mu_err *e)
{
	unsigned long id;
	int r;

	if (mu_str_all_digits(name)) {
		memset(out, 0, sizeof(*out));
		if ((r = mu_id_parse(name, &id, e)) != 0)
			return r;
		return passwd_find(NULL, (uid_t)id, true, out, e);
	}
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
	struct colon_file cf;
	int r = MU_E_NOTFOUND;

	if (mu_str_all_digits(name)) {
		unsigned long id;
		int r2 = mu_id_parse(name, &id, e);

		if (r2 == 0)
			*out = (gid_t)id;
		return r2;
	}
	if (cf_open(&cf, mu_group_file) != 0)
		return mu_err_sys(e, "cannot open '%s'", mu_group_file);
	while (cf_next(&cf, 4, false)) {
		if (cf.n < 3 || strcmp(cf.f[0], name) != 0)
			continue;
		*out = (gid_t)strtoul(cf.f[2], NULL, 10);
		r = 0;
		break;
	}
	cf_close(&cf);
	if (r)
		return mu_err_set(e, MU_E_NOTFOUND, "no such group '%s' in '%s'",
				  name, mu_group_file);
	return 0;
}

void mu_group_name(gid_t gid, char *buf, size_t len)
{
	struct colon_file cf;

	snprintf(buf, len, "%u", (unsigned)gid);
	if (cf_open(&cf, mu_group_file) != 0)
		return;
	while (cf_next(&cf, 4, false)) {
		if (cf.n >= 3 && (gid_t)strtoul(cf.f[2], NULL, 10) == gid) {
			snprintf(buf, len, "%s", cf.f[0]);
			break;
		}
	}
	cf_close(&cf);
}

int mu_user_groups(const char *user, gid_t primary, gid_t *groups, int *n)
{
	struct colon_file cf;
	int cnt = 0;

	if (*n > 0)
		groups[cnt++] = primary;
	if (cf_open(&cf, mu_group_file) != 0) {
		*n = cnt;
		return 0;
	}
	while (cnt < *n && cf_next(&cf, 4, false)) {
		char **f = cf.f;
		char *m;
		char *save = NULL;

		if (cf.n < 4)
			continue;
		for (m = strtok_r(f[3], ",", &save); m; m = strtok_r(NULL, ",", &save)) {
			gid_t g = (gid_t)strtoul(f[2], NULL, 10);

			if (strcmp(m, user) == 0 && g != primary) {
				groups[cnt++] = g;
				break;
			}
		}
	}
	cf_close(&cf);
	*n = cnt;
	return 0;
}

int mu_subid_range(const char *file, const struct mu_user *u,
		   unsigned long *start, unsigned long *count, struct mu_err *e)
{
	struct colon_file cf;
	char uidstr[32];
	int r = MU_E_NOTFOUND;

	if (cf_open(&cf, file) != 0) {
		if (errno == ENOENT)
			return mu_err_set(e, MU_E_NOTFOUND, "'%s' does not exist", file);
		return mu_err_sys(e, "cannot open '%s'", file);
	}
	snprintf(uidstr, sizeof(uidstr), "%u", (unsigned)u->uid);
	while (cf_next(&cf, 3, true)) {
		char **f = cf.f;

		if (cf.n < 3)
			continue;
		if (strcmp(f[0], u->name) != 0 && strcmp(f[0], uidstr) != 0)
			continue;
		*start = strtoul(f[1], NULL, 10);
		*count = strtoul(f[2], NULL, 10);
		r = 0;
		break;
	}
	cf_close(&cf);
	if (r)
		return mu_err_set(e, MU_E_NOTFOUND, "user '%s' has no range in '%s'",
				  u->name, file);
	return 0;
}
