/*
 * The part of OpenSSH's client configuration (ssh_config(5)) that muster
 * honours: Host and Match blocks, Include, HostName, User, Port,
 * IdentityFile, IdentitiesOnly, ProxyJump, UserKnownHostsFile,
 * GlobalKnownHostsFile, StrictHostKeyChecking and ConnectTimeout. We parse it ourselves (and tell libssh not to) so that
 * the auth order, the known_hosts file and the strictness are decided in
 * one place, and so the parsing is unit-tested.
 *
 * Semantics follow ssh_config(5): for each keyword the first value that
 * applies wins, except IdentityFile, which accumulates. Host patterns are
 * matched against the host as given (the inventory's address), with '*'
 * and '?' globs and '!' negation. Unknown keywords are ignored.
 */
#ifndef MU_SSH_CONFIG_H
#define MU_SSH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "mu_err.h"

enum mu_ssh_strict {
	MU_SSH_STRICT_UNSET = 0,
	MU_SSH_STRICT_YES,          /* yes, ask: unknown keys refused */
	MU_SSH_STRICT_ACCEPT_NEW,   /* accept-new, and no/off (see docs/security.md) */
};

struct mu_ssh_host {
	char *hostname;       /* where to connect (HostName, or the host given) */
	char *user;           /* login user */
	int port;
	char **identity;      /* IdentityFile entries, expanded, in order */
	size_t n_identity;
	char *known_hosts;    /* first UserKnownHostsFile, expanded, or NULL */
	char *global_known_hosts; /* first GlobalKnownHostsFile, or NULL */
	bool identities_only; /* IdentitiesOnly yes */
	char *proxy_jump;     /* ProxyJump, or NULL for none */
	enum mu_ssh_strict strict;
	int connect_timeout;  /* ConnectTimeout in seconds, 0 when unset */
};

/*
 * Resolve how to reach host. path is the config file (NULL: ~/.ssh/config
 * then /etc/ssh/ssh_config; "": no config at all). user and port, when
 * set (non-NULL, non-zero), win over the config as they would on ssh's
 * command line. On success every field of *out that has a default is set
 * (hostname, user, port 22); release it with mu_ssh_host_release.
 * A missing default file is not an error; a missing explicit one is.
 * MU_E_PARSE names file:line for bad values.
 */
int mu_ssh_config_resolve(const char *path, const char *host, const char *user,
			  int port, struct mu_ssh_host *out, struct mu_err *e);
void mu_ssh_host_release(struct mu_ssh_host *h);

/*
 * Match s against a pattern list (items separated by any of seps, each
 * maybe '!'-negated, with '*' and '?' globs, case-insensitive).
 * Returns 1 if a positive item matches and no negated one does, 0 if none
 * matches, -1 if a negated item matches.
 */
int mu_ssh_match_list(const char *list, const char *seps, const char *s);
/* One glob, no negation, case-insensitive; pattern of length plen. */
bool mu_ssh_glob(const char *pat, size_t plen, const char *s);

#endif
