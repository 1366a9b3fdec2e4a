/*
 * The migration record: one JSON file (0600) per migrated container under
 * RECORD_DIR/USER/NAME.json, holding the rootful container's full inspect
 * output and what was changed on its behalf (image loaded, volumes copied,
 * ownership shifted, restart policy), so that a rollback is one task.
 * A rolled-back record is kept as NAME.json.rolled-back.
 */
#ifndef MU_PODMAN_RECORD_H
#define MU_PODMAN_RECORD_H

#include <jansson.h>
#include <stdbool.h>

#include "mu_err.h"

/* Record format version, stored as "version". */
#define PM_RECORD_VERSION 1

/* Path of the record; caller frees. */
char *pm_record_path(const char *dir, const char *user, const char *name);

/* Load a record: 0 with *out (caller decrefs), or 0 with *out NULL if none. */
int pm_record_load(const char *dir, const char *user, const char *name,
		   json_t **out, struct mu_err *e);

/* Write a record atomically, 0600, creating RECORD_DIR/USER (0700). */
/*
 * Read one JSON record file: 0 with *out NULL when it does not exist, 0 with
 * *out (caller decrefs) when it holds an object, MU_E_PARSE otherwise.
 */
int pm_json_record_read(const char *path, json_t **out, struct mu_err *e);

int pm_record_save(const char *dir, const char *user, const char *name,
		   const json_t *rec, struct mu_err *e);

/* Move a record aside as NAME.json.rolled-back. */
int pm_record_retire(const char *dir, const char *user, const char *name,
		     struct mu_err *e);

/* Does any user have a (live) record for container name? */
bool pm_record_any(const char *dir, const char *name, const char *except_user);

/* Names of the containers recorded for user (new array; [] if none). */
json_t *pm_record_list(const char *dir, const char *user);

#endif
