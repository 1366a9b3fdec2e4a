/*
 * Getting the agent onto a host. The agent binary is named by its SHA-256,
 * ~/.cache/muster/agent-<first 16 hex>, so a host keeps one copy per build
 * and later runs find it in place. Starting it is one exec whose shell
 * script runs the agent if it is there and exits MU_DEPLOY_MISSING if not;
 * only then does the transport upload (a second exec streaming the binary
 * into a temp file, checked with sha256sum, chmod 0700, renamed) and retry.
 * These helpers build those remote command lines; the transport runs them.
 */
#ifndef MU_DEPLOY_H
#define MU_DEPLOY_H

#include "mu_buf.h"
#include "mu_err.h"
#include "sha256.h"

/* Exit status of the start script when the agent is not installed. */
#define MU_DEPLOY_MISSING 97
/* The upload script prints this line once it reads the binary from stdin. */
#define MU_DEPLOY_READY "muster-upload-ready"
/* Largest agent binary we agree to upload. */
#define MU_DEPLOY_MAX_AGENT (64u * 1024u * 1024u)

/*
 * SHA-256 (hex) of the agent binary at path. Computed once per process
 * (per path) and cached; thread-safe.
 */
int mu_deploy_agent_id(const char *path, char hex[MU_SHA256_HEX_LEN + 1],
		       struct mu_err *e);

/* Append s quoted for a POSIX shell (single quotes; ' as '\''). */
void mu_sh_quote(struct mu_buf *out, const char *s);

/*
 * Append "sudo ... -u USER -- " to out: `sudo -n` without a prompt, or
 * `sudo -S -p PROMPT` to read the password from stdin when prompt is set.
 */
void mu_deploy_sudo_prefix(struct mu_buf *out, const char *user, const char *prompt);

/*
 * The remote command that starts agent hex (after an optional sudo prefix
 * already in out): runs it with --ssh-port port (and -v per verbosity), or
 * exits MU_DEPLOY_MISSING when this build is not installed.
 */
void mu_deploy_start_cmd(struct mu_buf *out, const char *hex, int port, int verbosity);
/*
 * The remote command that installs agent hex from its stdin: prints
 * MU_DEPLOY_READY, then reads the binary to a temp file in the 0700 cache
 * dir, verifies the sha256, chmods 0700 and renames it into place.
 * Exit 0 on success; mu_deploy_upload_error explains the others.
 */
void mu_deploy_upload_cmd(struct mu_buf *out, const char *hex);
const char *mu_deploy_upload_error(int status);

/* Read the agent binary (bounded by MU_DEPLOY_MAX_AGENT). */
int mu_deploy_read_agent(const char *path, struct mu_buf *out, struct mu_err *e);

/* Number of uploads this process has completed (tests and -v output). */
unsigned long mu_deploy_upload_count(void);
void mu_deploy_note_upload(void);

#endif
