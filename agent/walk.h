/*
 * A physical walk of a directory tree, for recursive ownership, modes and
 * removal. It never follows a symlink below the top, opens each directory
 * with O_NOFOLLOW relative to its parent's fd (so a directory swapped for a
 * symlink mid-walk is not entered), can stay on one filesystem, and hands
 * every entry to a callback as (directory fd, name) so the callback acts on
 * the entry itself with the *at() calls instead of by path.
 */
#ifndef MU_WALK_H
#define MU_WALK_H

#include <stdbool.h>
#include <sys/stat.h>

#include "mu_err.h"

struct mu_walk_entry {
	int dirfd;              /* the directory holding the entry */
	const char *name;       /* the entry's name in dirfd */
	const char *path;       /* its full path, for messages */
	const struct stat *st;  /* lstat of the entry (mode, uid, gid, ino, dev, nlink) */
	unsigned depth;         /* 0 for the top */
	bool post;              /* second visit of a directory, after its children */
};

/* What a visit returns: 0 to go on, MU_WALK_PRUNE to skip a directory's
 * contents, or a negative MU_E_* code (with e filled) to stop the walk. */
#define MU_WALK_PRUNE 1

struct mu_walk {
	/* Do not enter mount points below the top (other device, or a bind
	 * mount root): they are passed to mount() instead of visit(). */
	bool one_file_system;
	/* Visit directories a second time (post = true) after their contents. */
	bool post_order;
	int (*visit)(const struct mu_walk_entry *ent, void *ctx, struct mu_err *e);
	/* A mount point that was skipped; may be NULL. Same return rules. */
	int (*mount)(const struct mu_walk_entry *ent, void *ctx, struct mu_err *e);
	void *ctx;
};

/*
 * Walk the tree at top. top itself is not followed if it is a symlink:
 * resolve it first when following is wanted. Returns 0, the first negative
 * code a callback returned, or MU_E_SYS/MU_E_NOTFOUND with e filled.
 * Entries that vanish during the walk are skipped silently.
 */
int mu_walk_tree(const char *top, const struct mu_walk *w, struct mu_err *e);

#endif
