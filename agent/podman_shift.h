/*
 * Ownership shifting between rootful and rootless Podman. A rootful
 * container sees host ids as they are; the user's rootless containers see
 * in-container id 0 as the user's own uid and 1..N as the user's
 * subordinate range. So data moved to the user must be re-owned:
 *   host 0 -> the user's uid, host N (1..count) -> sub_start + N - 1,
 * for uids and gids alike, and rolled back by the inverse. Ids outside
 * 0..count have no place in the user's namespace: they are left as they
 * are and reported, never flattened.
 */
#ifndef MU_PODMAN_SHIFT_H
#define MU_PODMAN_SHIFT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "mu_err.h"

struct pm_idmap {
	unsigned long uid, gid;          /* the user's own ids (in-container 0) */
	unsigned long ustart, ucount;    /* subordinate uids (in-container 1..) */
	unsigned long gstart, gcount;    /* subordinate gids */
};

/* Map one id forward (rootful -> rootless) or back. false: outside. */
bool pm_map_uid(const struct pm_idmap *m, unsigned long in, bool reverse,
		unsigned long *out);
bool pm_map_gid(const struct pm_idmap *m, unsigned long in, bool reverse,
		unsigned long *out);

/* Is an id the user's own or in its subordinate range (its namespace)? */
bool pm_uid_in_ns(const struct pm_idmap *m, unsigned long id);
bool pm_gid_in_ns(const struct pm_idmap *m, unsigned long id);

/*
 * Shift the ownership of every entry of the tree at path (path included),
 * never following symlinks and staying on path's filesystem, with lchown
 * semantics; set-id bits that chown clears are put back. With dry_run
 * nothing is changed and the report says what would be. *report (caller
 * decrefs) is {"path", "entries", "changed", "uids": {"101->100100": n},
 * "gids": {...}, "outside": n, "outside_examples": ["uid 70000 on 'p'"],
 * "mounts_skipped": [...], "left_alone": [...]}.
 */
int pm_shift_tree(const char *path, const struct pm_idmap *m, bool reverse,
		  bool dry_run, json_t **report, struct mu_err *e);

struct pm_shift_opts {
	bool reverse;
	bool dry_run;
	/*
	 * The whole tree was shifted before: only ids outside the user's
	 * namespace (pm_uid_in_ns) are shifted now, e.g. files root added
	 * since. Forward only.
	 */
	bool only_outside;
	/* Absolute paths below the top (JSON array of strings, may be NULL): */
	const json_t *skip;        /* left alone entirely ("left_alone" lists them) */
	const json_t *registered;  /* inside these, only_outside applies */
};

/* pm_shift_tree with options (the shift registry's walks). */
int pm_shift_tree_opts(const char *path, const struct pm_idmap *m,
		       const struct pm_shift_opts *o, json_t **report, struct mu_err *e);

/* Is p the path root or inside it (string prefix on '/' boundaries)? */
bool pm_path_under(const char *p, const char *root);

/* Bytes (apparent size of regular files) and entries under path. */
int pm_tree_size(const char *path, uint64_t *bytes, uint64_t *entries,
		 struct mu_err *e);

/*
 * Empty the directory at path (its contents, not path itself), staying on
 * one filesystem. Used only by rollback, on a rootful volume whose newer
 * copy lives in the user's volume.
 */
int pm_tree_empty(const char *path, struct mu_err *e);

#endif
