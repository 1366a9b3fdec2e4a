/*
 * The one way the agent runs another program: an argv, never a shell
 * (unless use_shell, for the shell module only), the environment prepared
 * before fork, stdin from /dev/null unless given, fds above stderr closed,
 * and an optional drop to a user (setgroups, setgid, setuid; HOME, USER,
 * LOGNAME, XDG_RUNTIME_DIR=/run/user/UID set for that user).
 */
#ifndef MU_CHILD_H
#define MU_CHILD_H

#include <stdbool.h>
#include <sys/types.h>

#include "mu_buf.h"
#include "mu_err.h"

struct mu_child {
	const char *const *argv;     /* argv[0] is looked up in PATH if not absolute */
	const char *const *env;      /* "K=V" sets, "K" unsets; applied to a minimal env */
	const char *dir;             /* working directory; default "/" */
	const char *user;            /* drop to this user (name); NULL = stay */
	const char *stdin_data;      /* fed to stdin; NULL = /dev/null */
	size_t stdin_len;
	int stdin_fd;                /* >0: use this fd as stdin instead */
	int stdout_fd;               /* >0: send stdout here instead of capturing */
	unsigned timeout_sec;        /* 0 = none; on expiry the child is killed */
	bool use_shell;              /* argv[0] is a command string for /bin/sh -c */
	bool keep_env;               /* start from the agent's env, not a minimal one */
};

#define MU_CHILD_INIT { 0 }

/*
 * Run the child to completion, capturing stdout into out and stderr into
 * err (either may be NULL to discard; both are bounded at 64 MiB).
 * Returns the exit code (0..255), 128+signal if killed, or a negative
 * MU_E_* when it could not start (e says why: e.g. "cannot run 'podman':
 * No such file or directory").
 */
int mu_child_run(const struct mu_child *c, struct mu_buf *out,
		 struct mu_buf *err, struct mu_err *e);

/* Convenience: run argv as root with no input, capture both streams. */
int mu_run(const char *const *argv, struct mu_buf *out, struct mu_buf *err,
	   struct mu_err *e);

/* Look up a user: fills uid, gid, home (caller frees). MU_E_NOTFOUND if none. */
int mu_user_lookup(const char *name, uid_t *uid, gid_t *gid, char **home,
		   struct mu_err *e);

#endif
