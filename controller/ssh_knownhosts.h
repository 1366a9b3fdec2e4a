/*
 * known_hosts lookups libssh does not offer: which file:line holds the key
 * a host is known by, so a refused host key can name the line to fix.
 * libssh (ssh_session_is_known_server) still makes the decision; this
 * only explains it. Handles plain names, "[host]:port", comma lists,
 * '*'/'?' patterns, '!' negation and hashed "|1|salt|hash" entries
 * (HMAC-SHA1, OpenSSL), and skips @revoked / @cert-authority lines.
 * It also enforces @revoked, which libssh 0.10 silently ignores.
 */
#ifndef MU_SSH_KNOWNHOSTS_H
#define MU_SSH_KNOWNHOSTS_H

#include <stdbool.h>

#include "mu_err.h"

struct mu_kh_entry {
	int line;            /* 1-based */
	char keytype[48];    /* e.g. "ssh-ed25519" */
};

/*
 * Find the entries of file naming host on port (22: "host", otherwise
 * "[host]:port"). Fills up to max entries in found; returns how many
 * matched in total (>= 0), 0 when the file does not exist, or MU_E_SYS.
 */
int mu_known_hosts_find(const char *file, const char *host, int port,
			struct mu_kh_entry *found, int max, struct mu_err *e);

/*
 * Is the key (its base64 blob, as in known_hosts) marked "@revoked" for
 * host on port in file? Returns the line (> 0), 0 if not (or no file),
 * or MU_E_SYS.
 */
int mu_known_hosts_revoked(const char *file, const char *host, int port,
			   const char *key_b64, struct mu_err *e);

/* Does a known_hosts host field (list or "|1|..." hash) name lookup? */
bool mu_known_hosts_field_matches(const char *field, const char *lookup);

#endif
