/*
 * The local back end (ansible_connection=local): the agent is our child,
 * spawned with posix_spawn (argv only, fds above stderr closed), its
 * stdin a socketpair (writes use MSG_NOSIGNAL, so a dead agent is an
 * error, not a SIGPIPE), stdout and stderr pipes read with poll.
 */
#include "transport_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int local_write(struct mu_agent *a, const void *data, size_t n, struct mu_err *e)
{
	const char *p = data;

	while (n) {
		ssize_t w = send(a->in_fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return mu_err_set(e, MU_E_EOF, "cannot write to the local agent: %s",
					  strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void local_send_eof(struct mu_agent *a)
{
	if (a->in_fd >= 0) {
		close(a->in_fd);
		a->in_fd = -1;
	}
}

static void reap(struct mu_agent *a, bool block)
{
	int st;
	pid_t p;

	if (a->pid <= 0 || a->exited)
		return;
	do
		p = waitpid(a->pid, &st, block ? 0 : WNOHANG);
	while (p < 0 && errno == EINTR);
	if (p != a->pid)
		return;
	a->exited = true;
	a->pid = -1;
	a->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Read once from *fd; close it at EOF. Returns bytes read (0 at EOF). */
static ssize_t read_some(struct mu_agent *a, int *fd, bool is_err)
{
	char buf[65536];
	ssize_t n;

	do
		n = read(*fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		close(*fd);
		*fd = -1;
		return 0;
	}
	if (is_err)
		mu_proc_take_err(a, buf, (size_t)n);
	else
		mu_proc_take_out(a, buf, (size_t)n);
	return n;
}

static int local_wait(struct mu_agent *a, int timeout_ms, struct mu_err *e)
{
	struct pollfd pf[2];
	int n = 0;
	int rc;

	(void)e;
	if (a->out_fd >= 0)
		pf[n++] = (struct pollfd){ .fd = a->out_fd, .events = POLLIN };
	if (a->err_fd >= 0)
		pf[n++] = (struct pollfd){ .fd = a->err_fd, .events = POLLIN };
	if (n == 0) {
		a->out_eof = true;
		reap(a, true);
		return 0;
	}
	rc = poll(pf, (nfds_t)n, timeout_ms);
	if (rc < 0 && errno != EINTR)
		return mu_err_sys(e, "poll");
	for (int i = 0; rc > 0 && i < n; i++) {
		if (!pf[i].revents)
			continue;
		if (pf[i].fd == a->out_fd)
			read_some(a, &a->out_fd, false);
		else
			read_some(a, &a->err_fd, true);
	}
	if (a->out_fd < 0 && !a->out_eof) {
		/* stdout ended: collect the rest of stderr (bounded), then reap. */
		int64_t until = mu_now_ms() + 2000;

		a->out_eof = true;
		while (a->err_fd >= 0 && mu_now_ms() < until) {
			struct pollfd ep = { .fd = a->err_fd, .events = POLLIN };

			if (poll(&ep, 1, (int)(until - mu_now_ms())) <= 0)
				break;
			read_some(a, &a->err_fd, true);
		}
		reap(a, true);
	}
	return 0;
}

static void local_close(struct mu_agent *a)
{
	int64_t until = mu_now_ms() + 2000;

	local_send_eof(a);
	if (a->dead && a->pid > 0 && !a->exited) {
		/* Timed out or broken: stop it and whatever it runs, now. */
		kill(-a->pid, SIGKILL);
		kill(a->pid, SIGKILL);
	}
	/*
	 * The agent exits at EOF: wait (bounded) for its stdout to close,
	 * which means it is exiting, then reap; a stuck one is killed.
	 */
	while (a->out_fd >= 0 && a->pid > 0) {
		struct pollfd pf = { .fd = a->out_fd, .events = POLLIN };
		int64_t left = until - mu_now_ms();

		if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
			break;
		read_some(a, &a->out_fd, false);
	}
	reap(a, false);
	if (a->pid > 0 && !a->exited) {
		int64_t left = until - mu_now_ms();
		int pfd = (int)syscall(SYS_pidfd_open, a->pid, 0);

		if (pfd >= 0) {
			struct pollfd pf = { .fd = pfd, .events = POLLIN };

			if (left > 0)
				poll(&pf, 1, (int)left);
			close(pfd);
		}
		reap(a, false);
	}
	if (a->pid > 0 && !a->exited) {
		kill(a->pid, SIGKILL);
		reap(a, true);
	}
	if (a->out_fd >= 0)
		close(a->out_fd);
	if (a->err_fd >= 0)
		close(a->err_fd);
	a->out_fd = a->err_fd = -1;
}

static const struct mu_proc_ops local_ops = {
	.write = local_write,
	.send_eof = local_send_eof,
	.wait = local_wait,
	.close = local_close,
};

int mu_local_proc_start(struct mu_agent *a, const char *const *argv, struct mu_err *e)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, def;
	pid_t pid;
	int r;

	a->ops = &local_ops;
	a->in_fd = a->out_fd = a->err_fd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0 ||
	    pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
		r = mu_err_sys(e, "cannot create pipes for the local agent");
		goto fail;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[1], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &def);
	/* Its own process group, so a timed-out task's children go with it. */
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
				 POSIX_SPAWN_SETPGROUP);
	r = posix_spawnp(&pid, argv[0], &fa, &attr, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r != 0) {
		errno = r;
		r = mu_err_sys(e, "cannot run '%s'", argv[0]);
		goto fail;
	}
	close(in[1]);
	close(out[1]);
	close(err[1]);
	a->pid = pid;
	a->in_fd = in[0];
	a->out_fd = out[0];
	a->err_fd = err[0];
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	return r;
}
