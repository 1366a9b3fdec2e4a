/*
 * The agent's only process spawner. Everything the child needs (argv, env,
 * the user's ids and groups) is prepared before fork(), because between
 * fork and exec the child may only make async-signal-safe calls. An exec
 * failure travels back to the parent over a close-on-exec pipe.
 */
#include "child.h"
#include "mu_proto.h"
#include "users.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILD_MAX_OUTPUT ((size_t)64 * 1024 * 1024)
#define CHILD_MAX_GROUPS 256

int mu_user_lookup(const char *name, uid_t *uid, gid_t *gid, char **home,
		   struct mu_err *e)
{
	struct mu_user u;
	int r = mu_user_get(name, &u, e);

	if (r)
		return r;
	if (uid)
		*uid = u.uid;
	if (gid)
		*gid = u.gid;
	if (home)
		*home = mu_xstrdup(u.home);
	mu_user_release(&u);
	return 0;
}

struct env_list {
	char **v;
	size_t n;
};

static void env_set(struct env_list *l, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);

	for (size_t i = 0; i < l->n; i++) {
		if (strncmp(l->v[i], kv, klen) == 0 && l->v[i][klen] == '=') {
			free(l->v[i]);
			if (eq) {
				l->v[i] = mu_xstrdup(kv);
			} else {
				l->v[i] = l->v[--l->n];
				l->v[l->n] = NULL;
			}
			return;
		}
	}
	if (!eq)
		return;
	l->v = mu_xrealloc(l->v, (l->n + 2) * sizeof(*l->v));
	l->v[l->n++] = mu_xstrdup(kv);
	l->v[l->n] = NULL;
}

static void env_free(struct env_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static void env_build(const struct mu_child *c, const struct mu_user *pw,
		      struct env_list *l)
{
	char tmp[512];

	l->v = mu_xcalloc(1, sizeof(*l->v));
	l->n = 0;
	if (c->keep_env) {
		for (char **p = environ; *p; p++)
			env_set(l, *p);
	}
	env_set(l, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	env_set(l, "LANG=C.UTF-8");
	env_set(l, "LC_ALL=C.UTF-8");
	if (pw) {
		snprintf(tmp, sizeof(tmp), "HOME=%s", pw->home);
		env_set(l, tmp);
		snprintf(tmp, sizeof(tmp), "USER=%s", pw->name);
		env_set(l, tmp);
		snprintf(tmp, sizeof(tmp), "LOGNAME=%s", pw->name);
		env_set(l, tmp);
		snprintf(tmp, sizeof(tmp), "XDG_RUNTIME_DIR=/run/user/%u", (unsigned)pw->uid);
		env_set(l, tmp);
		snprintf(tmp, sizeof(tmp),
			 "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/%u/bus",
			 (unsigned)pw->uid);
		env_set(l, tmp);
	} else if (!c->keep_env) {
		env_set(l, "HOME=/root");
	}
	for (size_t i = 0; c->env && c->env[i]; i++)
		env_set(l, c->env[i]);
}

/* Child side: only async-signal-safe calls from here to exec. */
static void __attribute__((noreturn))
child_exec(const struct mu_child *c, const struct mu_user *pw, gid_t *groups,
	   int ngroups, char **env, int in_fd, int out_fd, int err_fd, int errpipe,
	   const char *const *argv)
{
	int saved;
	const char *dir = c->dir ? c->dir : "/";

	sigset_t all;

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
		goto fail;
	for (int fd = 3; fd < 1024; fd++)
		if (fd != errpipe)
			close(fd);
	if (pw) {
		if (setgroups((size_t)ngroups, groups) < 0 || setgid(pw->gid) < 0 ||
		    setuid(pw->uid) < 0)
			goto fail;
	}
	if (chdir(dir) < 0)
		goto fail;
	if (strchr(argv[0], '/'))
		execve(argv[0], (char *const *)argv, env);
	else
		execvpe(argv[0], (char *const *)argv, env);
fail:
	saved = errno;
	if (write(errpipe, &saved, sizeof(saved)) < 0)
		_exit(127);
	_exit(127);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int mu_child_run(const struct mu_child *c, struct mu_buf *out,
		 struct mu_buf *err, struct mu_err *e)
{
	struct mu_user ubuf = { 0 };
	struct mu_user *pw = NULL;
	gid_t groups[CHILD_MAX_GROUPS];
	int ngroups = CHILD_MAX_GROUPS;
	struct env_list env = { 0 };
	const char *shell_argv[4];
	const char *const *argv = c->argv;
	int inp[2] = { -1, -1 }, outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int ep[2] = { -1, -1 };
	int devnull = -1;
	pid_t pid = -1;
	int status = 0;
	int r = MU_E_EXEC;
	size_t fed = 0;
	long deadline;
	bool timed_out = false;
	struct mu_buf discard = MU_BUF_INIT;

	if (!argv || !argv[0])
		return mu_err_set(e, MU_E_INTERNAL, "empty argv");
	if (c->use_shell) {
		shell_argv[0] = "/bin/sh";
		shell_argv[1] = "-c";
		shell_argv[2] = argv[0];
		shell_argv[3] = NULL;
		argv = shell_argv;
	}
	if (c->user) {
		if (mu_user_get(c->user, &ubuf, e) != 0)
			return MU_E_NOTFOUND;
		pw = &ubuf;
		mu_user_groups(pw->name, pw->gid, groups, &ngroups);
	}
	env_build(c, pw, &env);

	if (pipe2(ep, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0 ||
	    pipe2(errp, O_CLOEXEC) < 0) {
		r = mu_err_sys(e, "pipe");
		goto out;
	}
	if (c->stdin_data) {
		if (pipe2(inp, O_CLOEXEC) < 0) {
			r = mu_err_sys(e, "pipe");
			goto out;
		}
	} else if (c->stdin_fd <= 0) {
		devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull < 0) {
			r = mu_err_sys(e, "open '/dev/null'");
			goto out;
		}
	}
	pid = fork();
	if (pid < 0) {
		r = mu_err_sys(e, "fork");
		goto out;
	}
	if (pid == 0)
		child_exec(c, pw, groups, ngroups, env.v,
			   c->stdin_data ? inp[0] : c->stdin_fd > 0 ? c->stdin_fd : devnull,
			   c->stdout_fd > 0 ? c->stdout_fd : outp[1], errp[1], ep[1], argv);

	close(ep[1]);
	ep[1] = -1;
	close(outp[1]);
	outp[1] = -1;
	close(errp[1]);
	errp[1] = -1;
	if (inp[0] >= 0) {
		close(inp[0]);
		inp[0] = -1;
		if (c->stdin_len == 0) {
			close(inp[1]);
			inp[1] = -1;
		}
	}
	{
		int child_errno;
		ssize_t n;

		do
			n = read(ep[0], &child_errno, sizeof(child_errno));
		while (n < 0 && errno == EINTR);
		if (n == sizeof(child_errno)) {
			waitpid(pid, NULL, 0);
			pid = -1;
			errno = child_errno;
			mu_err_sys(e, "cannot run '%s'", argv[0]);
			if (e)
				e->code = MU_E_EXEC;
			r = MU_E_EXEC;
			goto out;
		}
	}

	deadline = c->timeout_sec ? now_ms() + (long)c->timeout_sec * 1000L : 0;
	while (outp[0] >= 0 || errp[0] >= 0) {
		struct pollfd pfd[3];
		int np = 0;
		int wait_ms = -1;
		char chunk[65536];

		if (outp[0] >= 0)
			pfd[np++] = (struct pollfd){ .fd = outp[0], .events = POLLIN };
		if (errp[0] >= 0)
			pfd[np++] = (struct pollfd){ .fd = errp[0], .events = POLLIN };
		if (inp[1] >= 0)
			pfd[np++] = (struct pollfd){ .fd = inp[1], .events = POLLOUT };
		if (deadline) {
			wait_ms = (int)(deadline - now_ms());
			if (wait_ms <= 0) {
				kill(pid, SIGKILL);
				timed_out = true;
				break;
			}
		}
		if (poll(pfd, (nfds_t)np, wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			r = mu_err_sys(e, "poll");
			kill(pid, SIGKILL);
			goto out;
		}
		for (int i = 0; i < np; i++) {
			if (!pfd[i].revents)
				continue;
			if (pfd[i].fd == inp[1]) {
				ssize_t w = write(inp[1], c->stdin_data + fed, c->stdin_len - fed);

				if (w > 0)
					fed += (size_t)w;
				if (w < 0 || fed == c->stdin_len) {
					close(inp[1]);
					inp[1] = -1;
				}
				continue;
			}
			{
				ssize_t n = read(pfd[i].fd, chunk, sizeof(chunk));
				struct mu_buf *dst = pfd[i].fd == outp[0] ? out : err;

				if (n < 0 && errno == EINTR)
					continue;
				if (n <= 0) {
					if (pfd[i].fd == outp[0]) {
						close(outp[0]);
						outp[0] = -1;
					} else {
						close(errp[0]);
						errp[0] = -1;
					}
					continue;
				}
				if (!dst)
					dst = &discard;
				if (dst->len + (size_t)n <= CHILD_MAX_OUTPUT)
					mu_buf_add(dst, chunk, (size_t)n);
				mu_buf_reset(&discard);
			}
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (timed_out) {
		r = mu_err_set(e, MU_E_TIMEOUT, "'%s' timed out after %u s", argv[0],
			       c->timeout_sec);
		goto out;
	}
	if (WIFEXITED(status))
		r = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		r = 128 + WTERMSIG(status);
	else
		r = MU_E_INTERNAL;
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	for (int *fd = (int[]){ inp[0], inp[1], outp[0], outp[1], errp[0], errp[1],
				 ep[0], ep[1], devnull, -2 }; *fd != -2; fd++)
		if (*fd >= 0)
			close(*fd);
	env_free(&env);
	mu_buf_release(&discard);
	mu_user_release(&ubuf);
	return r;
}

int mu_run(const char *const *argv, struct mu_buf *out, struct mu_buf *err,
	   struct mu_err *e)
{
	struct mu_child c = MU_CHILD_INIT;

	c.argv = argv;
	return mu_child_run(&c, out, err, e);
}
