/*
 * Where a user's rootless Podman keeps its storage, and where it stages
 * image copies, worked out from the same files Podman reads for that user
 * (storage.conf, containers.conf), without running Podman as the user:
 * that would create the storage we are only asking about.
 *
 * The rules are containers/storage's and containers/common's:
 *   storage.conf: ~/.config/containers/storage.conf when it exists (then
 *   its graphroot, else its rootless_storage_path), otherwise the system
 *   file (/etc/containers/storage.conf, else /usr/share/containers/
 *   storage.conf) and its rootless_storage_path; else
 *   ~/.local/share/containers/storage. $UID, $HOME, $USER (and ${...})
 *   are expanded for the user.
 *   containers.conf [engine] image_copy_tmp_dir, last one wins over
 *   /usr/share/containers/containers.conf, /etc/containers/containers.conf,
 *   /etc/containers/containers.conf.d/NAME.conf, ~/.config/containers/
 *   containers.conf, ~/.config/containers/containers.conf.d/NAME.conf;
 *   "storage" means <graphroot>/tmp; unset means /var/tmp.
 */
#ifndef MU_STORAGE_CONF_H
#define MU_STORAGE_CONF_H

#include "mu_err.h"
#include "users.h"

struct mu_storage_conf {
	char *graphroot;       /* absolute, expanded */
	char *graphroot_from;  /* "<file> graphroot", ... or "default" */
	char *driver;          /* overlay, vfs, btrfs, ... */
	char *driver_from;     /* why we think so */
	char *tmpdir;          /* where image copies are staged */
	char *tmpdir_from;
};

/* Resolve for user u. Fails only on a malformed file (e names it). */
int mu_storage_conf_resolve(const struct mu_user *u, struct mu_storage_conf *out,
			    struct mu_err *e);
void mu_storage_conf_release(struct mu_storage_conf *c);

/*
 * The string value of key in [table] of a TOML file (a small reader: tables,
 * key = "basic" / 'literal' strings; other values are skipped, arrays may
 * span lines). *out: caller frees. MU_E_NOTFOUND when the file or the key
 * is absent, MU_E_PARSE when the key holds something other than a string.
 */
int mu_toml_get_string(const char *path, const char *table, const char *key,
		       char **out, struct mu_err *e);

/* Expand $UID, $HOME, $USER, $LOGNAME (also ${NAME}) for u; other variables
 * become empty, as Go's os.ExpandEnv makes them. *out: caller frees. */
char *mu_storage_expand(const char *in, const struct mu_user *u);

/* Files the resolver reads; tests may point the system ones elsewhere. */
extern const char *mu_storage_conf_etc;    /* /etc/containers/storage.conf */
extern const char *mu_storage_conf_usr;    /* /usr/share/containers/storage.conf */
extern const char *mu_containers_conf_usr; /* /usr/share/containers/containers.conf */
extern const char *mu_containers_conf_etc; /* /etc/containers/containers.conf */

#endif
