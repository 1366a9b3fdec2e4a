/*
 * Inside the transport: what transport.c (the protocol, sudo and deploy
 * logic) shares with its two back ends, transport_ssh.c (an exec channel
 * on a libssh session) and transport_local.c (a child process on pipes).
 * A struct mu_agent is any remote process we talk to: the agent itself,
 * or the upload script that installs it.
 */
#ifndef MU_TRANSPORT_INT_H
#define MU_TRANSPORT_INT_H

#include <libssh/libssh.h>
#include <stdint.h>
#include <sys/types.h>

#include "mu_buf.h"
#include "mu_proto.h"
#include "transport.h"

/* How much of a process's stderr we keep for error messages. */
#define MU_STDERR_KEEP 4096

struct mu_link {
	char *name;          /* inventory name, for messages */
	char *host;          /* address connected to (after ssh_config) */
	char *user;          /* login user */
	int port;
	bool local;
	bool accept_new;
	char *agent_path;
	char *become_pass;   /* wiped and freed on close */
	int connect_timeout; /* seconds, resolved */
	int task_timeout;
	int verbosity;
	ssh_session s;
	ssh_event ev;
	int64_t deadline;    /* of the current setup step (connect, auth, exec) */
};

struct mu_agent;

struct mu_proc_ops {
	/* Write all of data to the process's stdin. */
	int (*write)(struct mu_agent *a, const void *data, size_t n, struct mu_err *e);
	/* Close the process's stdin. */
	void (*send_eof)(struct mu_agent *a);
	/*
	 * Wait up to timeout_ms (-1: no limit) for output, then take all that
	 * has arrived (mu_proc_take_out / _err). Sets out_eof, and exited +
	 * status once stdout has ended. 0, or MU_E_CONNECT if the link died.
	 */
	int (*wait)(struct mu_agent *a, int timeout_ms, struct mu_err *e);
	/* Release the channel or reap the child; idempotent. */
	void (*close)(struct mu_agent *a);
};

struct mu_agent {
	struct mu_link *l;
	const struct mu_proc_ops *ops;
	struct mu_linebuf out;   /* stdout, as bounded lines */
	struct mu_buf err;       /* stderr tail, sudo prompts cut out */
	size_t err_scan;         /* where the next prompt search starts */
	char *prompt;            /* our sudo prompt marker, or NULL */
	int prompts;             /* sudo prompts seen */
	int answered;            /* passwords sent */
	bool out_eof;
	bool exited;
	int status;              /* exit status; -1 unknown / killed */
	bool dead;               /* unusable after a timeout or error */
	char why_dead[512];
	/* ssh back end */
	ssh_channel ch;
	/* local back end */
	pid_t pid;
	int in_fd, out_fd, err_fd;
};

/* Back ends. argv/cmd are what to run; prompt tells sudo's marker apart. */
int mu_ssh_link_open(struct mu_link *l, const struct mu_target *t,
		     const struct mu_conn_opts *o, struct mu_err *e);
void mu_ssh_link_close(struct mu_link *l);
int mu_ssh_proc_start(struct mu_agent *a, const char *cmd, struct mu_err *e);
int mu_local_proc_start(struct mu_agent *a, const char *const *argv,
			struct mu_err *e);

/* Feed what a back end read into the agent's buffers. */
int mu_proc_take_out(struct mu_agent *a, const void *data, size_t n);
void mu_proc_take_err(struct mu_agent *a, const void *data, size_t n);

/* Monotonic milliseconds. */
int64_t mu_now_ms(void);

#endif
