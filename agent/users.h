/*
 * Users, groups and subordinate ids, read straight from /etc/passwd,
 * /etc/group, /etc/subuid and /etc/subgid. The agent is static, and glibc's
 * NSS needs shared libraries at run time, so we parse the files ourselves.
 * Users that exist only in LDAP/SSSD are therefore not found (documented
 * in docs/security.md).
 */
#ifndef MU_USERS_H
#define MU_USERS_H

#include <stdbool.h>
#include <sys/types.h>

#include "mu_err.h"

struct mu_user {
	char *name;
	uid_t uid;
	gid_t gid;
	char *home;
	char *shell;
};

/*
 * A numeric user or group id: all digits and at most 4294967294 ((id_t)-1
 * means "leave unchanged" to chown, and a larger number would wrap, e.g.
 * 4294967296 to root). Returns 0, or MU_E_ARG naming the id.
 */
int mu_id_parse(const char *s, unsigned long *out, struct mu_err *e);

/* Look up by name, or by number if the string is all digits. */
int mu_user_get(const char *name, struct mu_user *out, struct mu_err *e);
int mu_user_by_uid(uid_t uid, struct mu_user *out, struct mu_err *e);
void mu_user_release(struct mu_user *u);

/* Group by name or number. MU_E_NOTFOUND if none. */
int mu_group_gid(const char *name, gid_t *out, struct mu_err *e);
/* Group name for gid into buf (falls back to the number). */
void mu_group_name(gid_t gid, char *buf, size_t len);

/* Supplementary groups of user (plus primary). *n in: capacity, out: count. */
int mu_user_groups(const char *user, gid_t primary, gid_t *groups, int *n);

/*
 * First subordinate id range for user (by name or uid) in file
 * (/etc/subuid or /etc/subgid). MU_E_NOTFOUND if the user has none.
 */
int mu_subid_range(const char *file, const struct mu_user *u,
		   unsigned long *start, unsigned long *count, struct mu_err *e);

/* Where the files live; tests may point these elsewhere. */
extern const char *mu_passwd_file;
extern const char *mu_group_file;

#endif
