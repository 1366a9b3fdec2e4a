/*
 * Agent deployment helpers: the binary's identity (cached SHA-256) and the
 * remote shell scripts that start or install it. The scripts are the only
 * remote shell command lines muster sends; every variable part is either
 * hex from our own hash, a decimal port, or quoted with mu_sh_quote.
 */
#include "deploy.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The remote cache dir, relative to the running user's $HOME. */
#define REMOTE_DIR "$HOME/.cache/muster"
#define ID_LEN 16

static pthread_mutex_t id_lock = PTHREAD_MUTEX_INITIALIZER;
static char *id_path;
static char id_hex[MU_SHA256_HEX_LEN + 1];
static atomic_ulong uploads;

int mu_deploy_agent_id(const char *path, char hex[MU_SHA256_HEX_LEN + 1],
		       struct mu_err *e)
{
	int r = 0;

	if (!path || !*path)
		return mu_err_set(e, MU_E_ARG, "no agent binary given to deploy");
	pthread_mutex_lock(&id_lock);
	if (!id_path || strcmp(id_path, path) != 0) {
		char tmp[MU_SHA256_HEX_LEN + 1];

		r = mu_sha256_file(path, tmp, e);
		if (r == 0) {
			free(id_path);
			id_path = mu_xstrdup(path);
			memcpy(id_hex, tmp, sizeof(id_hex));
		}
	}
	if (r == 0)
		memcpy(hex, id_hex, MU_SHA256_HEX_LEN + 1);
	pthread_mutex_unlock(&id_lock);
	return r;
}

void mu_sh_quote(struct mu_buf *out, const char *s)
{
	mu_buf_addch(out, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			mu_buf_addstr(out, "'\\''");
		else
			mu_buf_addch(out, *s);
	}
	mu_buf_addch(out, '\'');
}

void mu_deploy_sudo_prefix(struct mu_buf *out, const char *user, const char *prompt)
{
	/* -H: the agent's cache is in the target user's home, not ours. */
	if (prompt) {
		mu_buf_addstr(out, "sudo -S -H -p ");
		mu_sh_quote(out, prompt);
	} else {
		mu_buf_addstr(out, "sudo -n -H");
	}
	mu_buf_addstr(out, " -u ");
	mu_sh_quote(out, user && *user ? user : "root");
	mu_buf_addstr(out, " -- ");
}

/* Wrap a script as `/bin/sh -c '...'`, whatever the login shell is. */
static void add_sh_c(struct mu_buf *out, const char *script)
{
	mu_buf_addstr(out, "/bin/sh -c ");
	mu_sh_quote(out, script);
}

void mu_deploy_start_cmd(struct mu_buf *out, const char *hex, int port, int verbosity)
{
	struct mu_buf s = MU_BUF_INIT;

	mu_buf_addf(&s, "a=\"" REMOTE_DIR "/agent-%.*s\"; test -x \"$a\" || exit %d; "
		    "exec \"$a\" --ssh-port %d", ID_LEN, hex, MU_DEPLOY_MISSING, port);
	for (int i = 0; i < verbosity && i < 4; i++)
		mu_buf_addstr(&s, " -v");
	add_sh_c(out, s.buf);
	mu_buf_release(&s);
}

void mu_deploy_upload_cmd(struct mu_buf *out, const char *hex)
{
	struct mu_buf s = MU_BUF_INIT;

	mu_buf_addf(&s,
		    "umask 077; d=\"" REMOTE_DIR "\"; "
		    "mkdir -p \"$d\" && chmod 0700 \"$d\" || exit 90; "
		    "t=\"$d/.agent-%.*s.$$\"; trap 'rm -f \"$t\"' EXIT; "
		    "echo " MU_DEPLOY_READY "; "
		    "cat > \"$t\" || exit 91; "
		    "h=$(sha256sum \"$t\") || exit 92; "
		    "test \"${h%%%% *}\" = %s || exit 93; "
		    "chmod 0700 \"$t\" && mv -f \"$t\" \"$d/agent-%.*s\" || exit 94",
		    ID_LEN, hex, hex, ID_LEN, hex);
	add_sh_c(out, s.buf);
	mu_buf_release(&s);
}

const char *mu_deploy_upload_error(int status)
{
	switch (status) {
	case 90: return "cannot create ~/.cache/muster (mode 0700)";
	case 91: return "cannot write the agent to ~/.cache/muster";
	case 92: return "sha256sum failed (is coreutils installed?)";
	case 93: return "the uploaded agent's sha256 does not match: upload corrupted";
	case 94: return "cannot chmod or rename the uploaded agent";
	case 126:
	case 127: return "cannot run /bin/sh";
	default: return "the upload script failed";
	}
}

int mu_deploy_read_agent(const char *path, struct mu_buf *out, struct mu_err *e)
{
	char chunk[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return mu_err_sys(e, "cannot open agent '%s'", path);
	mu_buf_init(out, (size_t)MU_DEPLOY_MAX_AGENT);
	for (;;) {
		ssize_t got = read(fd, chunk, sizeof(chunk));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = mu_err_sys(e, "cannot read agent '%s'", path);
			break;
		}
		if (got == 0)
			break;
		if (mu_buf_add(out, chunk, (size_t)got) != 0) {
			r = mu_err_set(e, MU_E_TOOBIG, "agent '%s' is larger than %u bytes",
				       path, MU_DEPLOY_MAX_AGENT);
			break;
		}
	}
	close(fd);
	if (r)
		mu_buf_release(out);
	return r;
}

unsigned long mu_deploy_upload_count(void)
{
	return atomic_load(&uploads);
}

void mu_deploy_note_upload(void)
{
	atomic_fetch_add(&uploads, 1);
}
