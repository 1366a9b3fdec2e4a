/*
 * systemd unit files, read the way systemctl reads them when no manager
 * runs: the unit search path of a scope, finding a unit (or the template
 * of an instance) on it, the [Install] section, and the symlinks that
 * `systemctl enable` would create. Pure computation plus reads: creating
 * and removing the links is the caller's job (mod_systemd.c), because only
 * the caller knows whose directory it is writing into.
 */
#ifndef MU_UNITFILE_H
#define MU_UNITFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "mu_err.h"

/* A growable list of owned strings. */
struct mu_unit_list {
	char **v;
	size_t n;
};

void mu_unit_list_add(struct mu_unit_list *l, const char *s);
bool mu_unit_list_has(const struct mu_unit_list *l, const char *s);
void mu_unit_list_release(struct mu_unit_list *l);

enum mu_unit_scope { MU_UNIT_SYSTEM, MU_UNIT_USER };

/*
 * The unit search path of a scope, in systemd's order (first match wins),
 * and the directory enable/disable/mask write into: ~/.config/systemd/user
 * for a user, /etc/systemd/system for the system. Directories that only a
 * running manager fills (generators, transient units) are left out.
 */
struct mu_unit_paths {
	struct mu_unit_list dirs;
	char *config;
	char *root;          /* "/" or the user's home: the fixed point config
			      * is reached from (see mod_systemd.c) */
	char *config_rel;    /* config relative to root, no leading '/' */
};

void mu_unit_paths_init(struct mu_unit_paths *p, enum mu_unit_scope scope,
			const char *home, uid_t uid);
void mu_unit_paths_release(struct mu_unit_paths *p);
/* "a, b, c" for messages; caller frees. */
char *mu_unit_paths_str(const struct mu_unit_paths *p);

/*
 * Validate a unit name and give it a type suffix: "podman-restart" becomes
 * "podman-restart.service", as systemctl does. *out: caller frees.
 */
int mu_unit_name_normalize(const char *in, char **out, struct mu_err *e);
/* "foo@.service" */
bool mu_unit_is_template(const char *name);
/* "foo@bar.service" */
bool mu_unit_is_instance(const char *name);
/* "foo@bar.service" -> "foo@.service"; caller frees. NULL if not an instance. */
char *mu_unit_template_of(const char *name);
/* The suffix including the dot (".service"), or "" */
const char *mu_unit_suffix(const char *name);

/*
 * Find name on the search path: the first directory holding it, or for an
 * instance with no file of its own, the first holding its template. *path
 * (caller frees) is where it was found, not where a symlink there points.
 * *masked is true when that entry is a symlink to /dev/null or an empty
 * file. With skip_config_masks, a mask in p->config is passed over (to see
 * what an unmask would uncover). MU_E_NOTFOUND names the unit and the path.
 */
int mu_unit_find(const struct mu_unit_paths *p, const char *name,
		 bool skip_config_masks, char **path, bool *masked,
		 struct mu_err *e);

/* The [Install] section, values as written (specifiers not expanded). */
struct mu_unit_install {
	struct mu_unit_list wanted_by;
	struct mu_unit_list required_by;
	struct mu_unit_list upheld_by;
	struct mu_unit_list also;
	struct mu_unit_list alias;
	char *default_instance;
};

int mu_unit_install_parse(const char *text, struct mu_unit_install *out,
			  struct mu_err *e);
void mu_unit_install_release(struct mu_unit_install *in);

/*
 * Expand the specifiers systemctl expands in [Install] values for unit
 * name: %n %N %p %i %j %%. Any other specifier is refused by name (it
 * would need a running system to answer). *out: caller frees.
 */
int mu_unit_specifiers(const char *in, const char *name, char **out,
		       struct mu_err *e);

/* One symlink: <config>/<dir>/<name> -> target (dir "" = config itself). */
struct mu_unit_link {
	char *dir;
	char *name;
	char *target;
};

struct mu_unit_links {
	struct mu_unit_link *v;
	size_t n;
};

void mu_unit_links_release(struct mu_unit_links *l);

/*
 * What enabling name means offline, for name and every unit its Also=
 * pulls in: the links `systemctl enable` would create (out), the unit
 * names involved (units; an instance and its template both appear), and
 * the units that have nothing to install ("static"; statics).
 *
 * MU_UNIT_FOR_DISABLE relaxes what enabling refuses (a masked or missing
 * unit, a template with no instance): disabling such a unit still needs
 * its link names. MU_UNIT_SKIP_CONFIG_MASKS looks past a mask in
 * p->config, for when the caller is about to remove it.
 */
#define MU_UNIT_FOR_DISABLE 0x1u
#define MU_UNIT_SKIP_CONFIG_MASKS 0x2u

int mu_unit_enable_links(const struct mu_unit_paths *p, const char *name,
			 unsigned flags, struct mu_unit_links *out,
			 struct mu_unit_list *units, struct mu_unit_list *statics,
			 struct mu_err *e);

#endif
