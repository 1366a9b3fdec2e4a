/*
 * How the controller reaches a host and talks to its agent. A link is one
 * connection to one host (libssh session, or nothing for a local host); on
 * it, one agent process per (become, become_user) runs at a time, started
 * through an exec channel and spoken to in JSON lines (common/mu_proto.h).
 *
 * Lifecycle: mu_link_open -> mu_agent_start (deploys the agent binary if
 * the host lacks this build, execs it, reads its hello, sends ours) ->
 * mu_agent_call ... -> mu_agent_stop -> mu_link_close.
 * A link and its agents belong to one thread at a time; different links
 * may be used from different threads at once. Stop a link's agents
 * before closing it. The security model is in docs/security.md.
 */
#ifndef MU_TRANSPORT_H
#define MU_TRANSPORT_H

#include <jansson.h>
#include <stdbool.h>

#include "mu_err.h"

/* Read during mu_link_open (the link keeps copies of what it needs later). */
struct mu_conn_opts {
	const char *agent_path;      /* local muster-agent binary to deploy / run */
	const char *known_hosts;     /* NULL: ssh_config's UserKnownHostsFile, else
	                                ~/.ssh/known_hosts; new keys go there */
	const char *ssh_config;      /* NULL: ~/.ssh/config + /etc/ssh/ssh_config;
	                                "" = none; else only this file (ssh -F) */
	const char *identity;        /* key file tried after ssh-agent, before IdentityFile */
	bool accept_new_host_keys;   /* unknown keys are added, changed ones still refused */
	int connect_timeout;         /* seconds per setup step; 0 = ConnectTimeout or 10 */
	int task_timeout;            /* seconds a single task may take; 0 = none */
	const char *become_pass;     /* sudo password (never in argv or logs), or NULL */
	int verbosity;               /* >= 3: libssh protocol log; agent gets -v */
};

struct mu_target {
	const char *name;            /* inventory name, for messages */
	const char *address;         /* ansible_host, or name */
	int port;                    /* 0: from ssh_config or 22 */
	const char *user;            /* NULL: from ssh_config or the local user */
	bool local;                  /* ansible_connection=local: no SSH */
};

struct mu_link;
struct mu_agent;

/*
 * Connect and authenticate (ssh-agent, then identity files), verifying the
 * host key strictly. MU_E_CONNECT for unreachable/timeouts, MU_E_AUTH for
 * a refused key or host key (e names the fingerprint and the known_hosts
 * file:line to fix). On success *out is owned by the caller.
 */
int mu_link_open(const struct mu_target *t, const struct mu_conn_opts *o,
		 struct mu_link **out, struct mu_err *e);
void mu_link_close(struct mu_link *l);
/* The SSH port actually used (for the agent's lockout guard); 0 if local. */
int mu_link_port(const struct mu_link *l);

/*
 * Start an agent on the link (as the login user, or via `sudo -n` as
 * become_user/root when become; no sudo when already that user; with a
 * become_pass, `sudo -S` answered only at our own prompt). Uploads the
 * agent once per build to ~/.cache/muster/agent-<sha256 prefix> of the
 * user it runs as (0700 dir, temp name, checksum verified, renamed).
 * A local link runs opts.agent_path directly. Returns with the hello
 * exchanged; *hello (optional, caller decrefs) is the agent's hello.
 * MU_E_AUTH when sudo wants a password (or refused it), MU_E_EXEC when
 * the agent cannot run, MU_E_VERSION on a protocol mismatch.
 */
int mu_agent_start(struct mu_link *l, bool become, const char *become_user,
		   struct mu_agent **out, json_t **hello, struct mu_err *e);
/*
 * Send one task message (the caller builds {"type":"task",...}) and wait
 * for its result (caller decrefs *reply; its "id" must match the task's).
 * MU_E_TIMEOUT after the task timeout, MU_E_EOF / MU_E_CONNECT if the
 * agent or host went away, MU_E_PROTO for a malformed reply or an agent
 * "error" message (e has its text and the agent's last stderr lines).
 * After any error the agent is dead: later calls return MU_E_EOF; start
 * a new one (the link stays usable unless the error was MU_E_CONNECT).
 */
int mu_agent_call(struct mu_agent *a, const json_t *task, json_t **reply,
		  struct mu_err *e);
/* Say bye, close the channel, reap. Safe on NULL. */
void mu_agent_stop(struct mu_agent *a);

#endif
