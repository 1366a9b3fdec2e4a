/*
 * The container migration's plan: what check() found for each container
 * and what apply() is to do about it. check() builds it (observing only,
 * preflight included) and hands it to apply() through task->plan.
 */
#ifndef MU_PODMAN_PLAN_H
#define MU_PODMAN_PLAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "module.h"
#include "podman_host.h"
#include "podman_shift.h"
#include "users.h"

enum pm_action {
	PM_NONE,       /* already as wanted */
	PM_MIGRATE,    /* copy, create, cut over */
	PM_FINISH,     /* the user's container exists: start it / settle the rootful one */
	PM_ROLLBACK,   /* undo a recorded migration */
};

struct pm_item {
	char *name;
	enum pm_action action;
	json_t *inspect;          /* rootful inspect; NULL when gone */
	json_t *def;              /* rootful definition (podman_def.h) */
	json_t *want;             /* the user's container as it should be */
	json_t *rootless;         /* the user's inspect; NULL when none */
	json_t *record;           /* the migration record; NULL when none */
	bool rootful_running, rootless_running;
	/* steps */
	bool load_image;          /* first container needing its image loaded */
	uint64_t image_bytes;
	bool stop_rootful, restart_no, remove_rootful, start_rootless, write_record;
	bool socket;              /* mounts the rootful API socket */
	json_t *volumes;          /* [{name, path, bytes, entries, uid, gid, mode, copy}] */
	json_t *networks;         /* [{name, subnets[], internal, ipv6}] to create */
	json_t *shifts;           /* dry-run shift reports of the paths this item shifts */
	json_t *shifts_skipped;   /* [{path, registered_path, by}]: inside a registered tree */
	json_t *summary;          /* data.containers entry */
	/* what apply() did, for undo and the record */
	json_t *done_shifts, *done_volumes, *done_networks;
	bool image_loaded;
};

struct pm_plan {
	struct mu_user user;
	struct pm_idmap map;
	struct pm_ident ident;
	bool rollback;
	bool runtime_missing;     /* /run/user/UID absent: the user's podman unseen */
	bool start_service;       /* start `podman system service` for the user */
	bool can_update_restart;
	const char *restart;
	long stop_timeout;
	const char *record_dir;
	const char *shift_registry;  /* podman_shiftreg.h: trees shifted already */
	json_t *registry;         /* every shift record (pm_reg_list) */
	bool remove_rootful;
	size_t n;
	struct pm_item *items;
	json_t *images;           /* image id -> {config, size, loaded_by} */
	/* the rootful podman-restart.service (podman_boot.h), when podman
	 * cannot set a rootful container's restart policy to 'no' */
	json_t *boot;             /* data.rootful_boot */
	json_t *boot_links;       /* its links now */
	json_t *boot_record;      /* our record of a disable, or NULL */
	json_t *boot_migrated;    /* restart=always containers moved to users */
	bool boot_disable, boot_enable;
};

/*
 * Observe the host and fill plan for task t. With report, every change is
 * listed in r (and data filled); a preflight failure fails r, changes
 * nothing and returns non-zero.
 */
int pm_plan_build(struct mu_task *t, struct mu_result *r, bool report,
		  struct pm_plan *plan);
void pm_plan_free(struct pm_plan *plan);

/* Carry out a plan (podman_apply.c). Fails r on the first failed step. */
int pm_apply(struct mu_task *t, struct mu_result *r, struct pm_plan *plan);

/* The change lines for one container, and data.published_ports/containers
 * for the whole plan (podman_report.c). */
void pm_report_item(struct mu_result *r, const struct pm_plan *p, const struct pm_item *it);
void pm_report_data(struct mu_result *r, const struct pm_plan *p);
/* The task's one-line message: what moves where (set when anything does). */
void pm_report_msg(struct mu_result *r, const struct pm_plan *p, bool check_mode);
/* The change lines for the rootful podman-restart.service. */
void pm_report_boot(struct mu_result *r, const struct pm_plan *p);
/* "1.9 MB" */
void pm_human(uint64_t n, char *buf, size_t len);

/* Create /run/user/UID (0700, the user's) when missing. */
int pm_apply_runtime_dir(const struct pm_plan *p, struct mu_err *e);

/* The user's runtime directory and socket paths (caller frees). */
char *pm_runtime_dir(uid_t uid);
char *pm_user_socket(uid_t uid);

#endif
