/*
 * The rootful boot restart. At boot, the system-scope podman-restart.service
 * runs `podman start --all --filter restart-policy=always`, which would
 * start a migrated rootful container again next to the user's copy (the
 * two then race for the published ports). Podman 4.3 cannot change an
 * existing container's restart policy (`podman update --restart` came
 * later), so the only lever left is that service: when no rootful
 * container with restart policy `always` still needs it, it is disabled the
 * way `systemctl disable` does it (its wants/requires/upholds and alias
 * symlinks under /etc/systemd/system removed), and the links removed are
 * recorded in RECORD_DIR/podman-restart.json so a rollback puts them back.
 */
#ifndef MU_PODMAN_BOOT_H
#define MU_PODMAN_BOOT_H

#include <jansson.h>

#include "mu_err.h"

#define PM_BOOT_UNIT "podman-restart.service"

/*
 * The symlinks under /etc/systemd/system that make PM_BOOT_UNIT start:
 * [{"path", "target"}] (new array; [] when it is not enabled).
 */
json_t *pm_boot_links(void);

/* The record of a disable (RECORD_DIR/podman-restart.json); caller frees. */
char *pm_boot_record_path(const char *record_dir);
/* 0 with *out (caller decrefs) or *out NULL when there is none. */
int pm_boot_record_load(const char *record_dir, json_t **out, struct mu_err *e);

/*
 * Remove the links (from pm_boot_links) and write the record naming them
 * and the containers that no longer need the service. A running systemd
 * is told with `systemctl daemon-reload`, as `systemctl disable` does.
 */
int pm_boot_disable(const char *record_dir, const json_t *links, const json_t *containers,
		    const char *user, struct mu_err *e);

/* Put the recorded links back (those still missing) and drop the record. */
int pm_boot_enable(const char *record_dir, const json_t *record, struct mu_err *e);

#endif
