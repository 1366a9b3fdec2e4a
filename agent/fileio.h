/*
 * Atomic file replacement, only when the content differs.
 */
#ifndef MU_FILEIO_H
#define MU_FILEIO_H

#include <stdbool.h>
#include <sys/types.h>

#include "mu_buf.h"
#include "mu_err.h"

/* Read a whole file (bounded at max bytes; 0 = 64 MiB). MU_E_NOTFOUND if absent. */
int mu_file_read(const char *path, struct mu_buf *out, size_t max, struct mu_err *e);

/*
 * Make path hold content. If it already does, nothing is written and
 * *changed is false. Otherwise a temp file in the same directory gets the
 * content, the owner and mode of the existing file (or mode/uid/gid given
 * for a new file; uid/gid (uid_t)-1 = the agent's), is fsynced and renamed
 * over path, and the directory is fsynced. The temp is removed on error.
 */
int mu_file_replace(const char *path, const char *content, size_t len,
		    mode_t new_mode, uid_t new_uid, gid_t new_gid,
		    bool *changed, struct mu_err *e);

/* mkdir -p with mode for created dirs. */
int mu_mkdir_p(const char *path, mode_t mode, struct mu_err *e);

#endif
