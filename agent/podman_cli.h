/*
 * Running podman for the container migration: rootful podman as the agent
 * (root), rootless podman as the target user through agent/child.h (cwd
 * "/", HOME and XDG_RUNTIME_DIR=/run/user/UID set for the user). Every call
 * is bounded by a timeout, and a failure is turned into one message that
 * names the command and carries podman's own last words.
 */
#ifndef MU_PODMAN_CLI_H
#define MU_PODMAN_CLI_H

#include <jansson.h>
#include <stdbool.h>

#include "mu_buf.h"
#include "mu_err.h"

/* Seconds a podman call may take; image and volume copies get longer. */
#define PM_TIMEOUT 120u
#define PM_TIMEOUT_COPY 1800u

/* The podman binary (tests may point it elsewhere). */
extern const char *pm_podman_bin;

struct pm_call {
	const char *user;       /* NULL: run as root (rootful podman) */
	unsigned timeout;       /* 0: PM_TIMEOUT */
	int stdout_fd;          /* >0: stdout goes here (e.g. an export) */
};

/*
 * Run podman with args (NULL-terminated, without "podman") for c. Returns
 * the exit code, or a negative MU_E_* when podman could not run. out and
 * err may be NULL. On a non-zero exit e holds "'podman ARGS' failed: LAST
 * LINE OF STDERR" and the return value is MU_E_EXEC; use pm_try() to see
 * the exit code instead.
 */
int pm_run(const struct pm_call *c, const char *const *args, struct mu_buf *out,
	   struct mu_err *e);
/* As pm_run, but a non-zero exit is returned as is, with stderr in err. */
int pm_try(const struct pm_call *c, const char *const *args, struct mu_buf *out,
	   struct mu_buf *err, struct mu_err *e);
/* Run and parse stdout as JSON (*out: caller decrefs). */
int pm_json(const struct pm_call *c, const char *const *args, json_t **out,
	    struct mu_err *e);

/*
 * Inspect one object ("container", "image", "volume", "network") by name:
 * *out is the first element of podman's array, or NULL (and 0 returned)
 * when podman says it does not exist.
 */
int pm_inspect(const struct pm_call *c, const char *kind, const char *name,
	       json_t **out, struct mu_err *e);

/* Does `podman update` know --restart (podman 5)? Asked once, then cached. */
bool pm_can_update_restart(void);

#endif
