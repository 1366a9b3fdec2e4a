/*
 * The shift registry: which trees have had their ownership shifted into a
 * user's id range, so that no tree is ever shifted twice. podman_chown
 * writes a record when it shifts a tree; podman_migrate writes one for each
 * bind-mount tree it shifts itself, and leaves alone a bind mount that
 * lies inside a registered tree. One JSON file (0600) per (user, path):
 * RECORD_DIR/USER/ESCAPED.json, where ESCAPED is the path with '/' as '-'
 * and every byte other than [A-Za-z0-9_.:] as %XX (so "/opt/containers"
 * is "opt-containers.json"). The record holds the path itself, the id map
 * used, who shifted it, when, and the counts.
 */
#ifndef MU_PODMAN_SHIFTREG_H
#define MU_PODMAN_SHIFTREG_H

#include <jansson.h>
#include <stdbool.h>

#include "mu_err.h"
#include "podman_shift.h"

#define PM_SHIFTREG_VERSION 1
#define PM_SHIFTREG_DIR "/var/lib/muster/shifts"

/* RECORD_DIR/USER/ESCAPED.json; caller frees. */
char *pm_reg_file(const char *dir, const char *user, const char *path);

/*
 * Every record under dir, for every user (new array of record objects,
 * each with "user" and "path"; [] when dir does not exist). A record that
 * cannot be read fails, naming the file: a registry we cannot read could
 * let a tree be shifted twice.
 */
int pm_reg_list(const char *dir, json_t **out, struct mu_err *e);

/*
 * The record whose tree holds path (same path, or an ancestor), from a
 * pm_reg_list() array; the nearest one when several do. Borrowed; NULL if
 * none.
 */
const json_t *pm_reg_covering(const json_t *all, const char *path);

/* Paths of the records strictly inside path (new array of strings). */
json_t *pm_reg_nested(const json_t *all, const char *path);

/*
 * A new record for user's tree at path shifted with m by `by`
 * ("podman_chown", "podman_migrate"); report is pm_shift_tree's (counts
 * copied). Caller decrefs.
 */
json_t *pm_reg_new(const char *user, const char *path, const struct pm_idmap *m,
		   const char *by, const json_t *report);

/* The id map stored in a record; false when it has none. */
bool pm_reg_map(const json_t *rec, struct pm_idmap *m);
/* Same user ids and ranges? */
bool pm_idmap_equal(const struct pm_idmap *a, const struct pm_idmap *b);

/* Write rec (its "user" and "path") atomically, 0600, dirs 0700. */
int pm_reg_save(const char *dir, const json_t *rec, struct mu_err *e);

/* Remove the record of (user, path); absent is fine. */
int pm_reg_remove(const char *dir, const char *user, const char *path, struct mu_err *e);

#endif
