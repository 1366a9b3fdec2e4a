/* Owner, group and mode of one entry (see file_attr.h). */
#include "file_attr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "module.h"
#include "mu_str.h"
#include "users.h"

int mu_fattr_init(struct mu_fattr *a, const char *owner, const char *group,
		  const char *mode, struct mu_err *e)
{
	int r;

	memset(a, 0, sizeof(*a));
	if (owner) {
		if (mu_str_all_digits(owner)) {
			unsigned long id;

			if ((r = mu_id_parse(owner, &id, e)) != 0)
				return r;
			a->uid = (uid_t)id;
		} else {
			struct mu_user u;

			if ((r = mu_user_get(owner, &u, e)) != 0)
				return r;
			a->uid = u.uid;
			mu_user_release(&u);
		}
		a->set_uid = true;
	}
	if (group) {
		if ((r = mu_group_gid(group, &a->gid, e)) != 0)
			return r;
		a->set_gid = true;
	}
	if (mode) {
		a->mode = mode;
		if (mode[0] >= '0' && mode[0] <= '9') {
			if ((r = mu_mode_parse(mode, 0, false, &a->octal, e)) != 0)
				return r;
			a->mode_octal = true;
		}
	}
	return 0;
}

bool mu_fattr_wants_any(const struct mu_fattr *a)
{
	return a->set_uid || a->set_gid || a->mode;
}

bool mu_fattr_diff(const struct mu_fattr *a, const struct stat *st,
		   struct mu_fattr_delta *d)
{
	memset(d, 0, sizeof(*d));
	d->chown = (a->set_uid && st->st_uid != a->uid) ||
		   (a->set_gid && st->st_gid != a->gid);
	if (a->mode && !S_ISLNK(st->st_mode)) {
		mode_t want = a->octal;

		/* The syntax was checked when the arguments were bound. */
		if (!a->mode_octal &&
		    mu_mode_parse(a->mode, st->st_mode, S_ISDIR(st->st_mode), &want, NULL))
			want = st->st_mode & 07777;
		d->mode_want = want;
		d->chmod = want != (st->st_mode & 07777);
	}
	return d->chown || d->chmod;
}

int mu_fattr_apply(const struct mu_fattr *a, int dirfd, const char *name,
		   const char *path, const struct stat *st,
		   const struct mu_fattr_delta *d, bool *setid_cleared,
		   struct mu_err *e)
{
	bool setid = !S_ISDIR(st->st_mode) && !S_ISLNK(st->st_mode) &&
		     (st->st_mode & (S_ISUID | S_ISGID));
	mode_t want = d->chmod ? d->mode_want : st->st_mode & 07777;

	if (d->chown &&
	    fchownat(dirfd, name, a->set_uid ? a->uid : (uid_t)-1,
		     a->set_gid ? a->gid : (gid_t)-1, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return mu_err_sys(e, "cannot change the owner of '%s'", path);
	}
	if (S_ISLNK(st->st_mode))
		return 0;
	if (d->chown && setid && !a->mode) {
		struct stat now;

		if (fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
		    (now.st_mode & 07777) != want)
			*setid_cleared = true;
		return 0;
	}
	if (!d->chmod && !(d->chown && setid))
		return 0;
	/* glibc refuses (EOPNOTSUPP) if the name is now a symlink: good. */
	if (fchmodat(dirfd, name, want, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT || errno == EOPNOTSUPP)
			return 0;
		return mu_err_sys(e, "cannot change the mode of '%s'", path);
	}
	return 0;
}

void mu_fattr_owner_label(uid_t uid, char *buf, size_t len)
{
	struct mu_user u;

	if (mu_user_by_uid(uid, &u, NULL) == 0) {
		snprintf(buf, len, "%s (%u)", u.name, (unsigned)uid);
		mu_user_release(&u);
	} else {
		snprintf(buf, len, "%u", (unsigned)uid);
	}
}

void mu_fattr_group_label(gid_t gid, char *buf, size_t len)
{
	char name[128];

	mu_group_name(gid, name, sizeof(name));
	if (strcmp(name, "") != 0 && !mu_str_all_digits(name))
		snprintf(buf, len, "%s (%u)", name, (unsigned)gid);
	else
		snprintf(buf, len, "%u", (unsigned)gid);
}
