/*
 * Owner, group and mode of one filesystem entry, as the file module wants
 * them: what differs from the wanted attributes, and the change made on
 * (directory fd, name) without following a symlink. Symlinks get lchown
 * and never chmod (Linux has no symlink modes).
 */
#ifndef MU_FILE_ATTR_H
#define MU_FILE_ATTR_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "mu_err.h"

struct mu_fattr {
	bool set_uid, set_gid;
	uid_t uid;
	gid_t gid;
	const char *mode;    /* octal or symbolic, as given; NULL = keep */
	bool mode_octal;     /* mode is absolute: octal is its value */
	mode_t octal;
};

/* What one entry needs. */
struct mu_fattr_delta {
	bool chown;
	bool chmod;
	mode_t mode_want;    /* valid when chmod */
};

/*
 * Fill a from the module's owner/group/mode strings (each may be NULL).
 * Names are resolved through users.h; all-digit strings are ids and need
 * no passwd entry (subordinate ids have none). MU_E_NOTFOUND or MU_E_ARG.
 */
int mu_fattr_init(struct mu_fattr *a, const char *owner, const char *group,
		  const char *mode, struct mu_err *e);
bool mu_fattr_wants_any(const struct mu_fattr *a);

/* Does st differ from a? Fills d. */
bool mu_fattr_diff(const struct mu_fattr *a, const struct stat *st,
		   struct mu_fattr_delta *d);

/*
 * Make the entry name in dirfd match a (d from mu_fattr_diff on st). The
 * kernel clears set-user-ID/set-group-ID bits when a file changes owner;
 * when a mode was asked for, the wanted mode is put back afterwards, and
 * otherwise *setid_cleared tells the caller the bits went. An entry that
 * turned into a symlink since it was looked at is not chmod'ed.
 */
int mu_fattr_apply(const struct mu_fattr *a, int dirfd, const char *name,
		   const char *path, const struct stat *st,
		   const struct mu_fattr_delta *d, bool *setid_cleared,
		   struct mu_err *e);

/* "deploy (1000)"-style labels for reports, into buf. */
void mu_fattr_owner_label(uid_t uid, char *buf, size_t len);
void mu_fattr_group_label(gid_t gid, char *buf, size_t len);

#endif
