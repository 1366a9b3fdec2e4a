/*
 * The SSH back end: one libssh session per host, verified strictly against
 * known_hosts, authenticated with ssh-agent keys then key files; each
 * agent (or upload) is one exec channel on it. Reads are event driven
 * (ssh_event_dopoll on the session's socket), never sleep-polled.
 */
#include "transport_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "deploy.h"
#include "mu_log.h"
#include "ssh_config.h"
#include "ssh_knownhosts.h"

#define GLOBAL_KNOWN_HOSTS "/etc/ssh/ssh_known_hosts"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc;
/* Appends to known_hosts from several host threads must not interleave. */
static pthread_mutex_t known_hosts_lock = PTHREAD_MUTEX_INITIALIZER;

static void init_libssh(void)
{
	struct sigaction sa;

	init_rc = ssh_init();
	/*
	 * A host that vanishes must never kill the controller: writes to a
	 * dead ProxyCommand pipe would raise SIGPIPE.
	 */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
}

/* Host part for messages: "name" or "name (addr:port)" when they differ. */
static const char *where(const struct mu_link *l, char *buf, size_t n)
{
	if (strcmp(l->name, l->host) == 0 && l->port == 22)
		snprintf(buf, n, "'%s'", l->name);
	else
		snprintf(buf, n, "'%s' (%s:%d)", l->name, l->host, l->port);
	return buf;
}

/* NOLINTNEXTLINE(readability-non-const-parameter): libssh's ssh_auth_callback type */
static int no_passphrase(const char *prompt, char *buf, size_t len, int echo,
			 int verify, void *userdata)
{
	/* Never prompt on a terminal from a worker thread: keys with a
	 * passphrase must come from ssh-agent. */
	(void)prompt, (void)buf, (void)len, (void)echo, (void)verify, (void)userdata;
	return -1;
}

static void keepalive(ssh_session s)
{
	int fd = ssh_get_fd(s);
	int on = 1, idle = 30, intvl = 10, cnt = 3;

	/* A host that silently drops off is noticed within ~60 s even
	 * without a task timeout. Fails harmlessly on a ProxyCommand pipe. */
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) != 0)
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

/*
 * Why the setup steps run non-blocking: sshd often sends two small packets
 * back to back (e.g. during authentication); Nagle holds the second until
 * we ACK the first, and Linux delays that ACK by 40 ms. Inside a blocking
 * libssh call we could only wait that out. Driving the calls ourselves,
 * we ACK at once (TCP_QUICKACK) each time the socket wakes us.
 */
static void ack_now(ssh_session s)
{
	int fd = ssh_get_fd(s);
	int one = 1;

	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

/* Wait for the session's socket until l->deadline. 0 or MU_E_TIMEOUT. */
static int wait_io(struct mu_link *l)
{
	struct pollfd pf = { .fd = ssh_get_fd(l->s), .events = POLLIN };
	int64_t left = l->deadline - mu_now_ms();

	if (left <= 0)
		return MU_E_TIMEOUT;
	if (ssh_get_poll_flags(l->s) & SSH_WRITE_PENDING)
		pf.events |= POLLOUT;
	if (pf.fd < 0)
		/* No socket yet (name lookup, proxy start): let libssh go on. */
		return 0;
	poll(&pf, 1, left > 100000 ? 100000 : (int)left);
	ack_now(l->s);
	return 0;
}

/* Append s with every '%' doubled, so libssh's %h/%p expansion keeps it. */
static void add_pct_escaped(struct mu_buf *b, const char *s)
{
	struct mu_buf q = MU_BUF_INIT;

	mu_sh_quote(&q, s);
	for (const char *p = q.buf; *p; p++) {
		if (*p == '%')
			mu_buf_addch(b, '%');
		mu_buf_addch(b, *p);
	}
	mu_buf_release(&q);
}

/*
 * ProxyJump through OpenSSH's ssh -W, as libssh 0.10 itself does, but
 * with our strictness: BatchMode (no prompts), StrictHostKeyChecking yes
 * (or accept-new), our known_hosts and config files.
 */
static void proxy_command(struct mu_buf *b, const char *jump, const struct mu_conn_opts *o,
			  const char *known_hosts, bool accept_new, int timeout)
{
	const char *last = strrchr(jump, ',');
	char *first = last ? mu_xstrndup(jump, (size_t)(last - jump)) : NULL;
	char *dest = mu_xasprintf("ssh://%s", last ? last + 1 : jump);
	char *opt;

	mu_buf_addstr(b, "exec ssh -o BatchMode=yes -o StrictHostKeyChecking=");
	mu_buf_addstr(b, accept_new ? "accept-new" : "yes");
	mu_buf_addf(b, " -o ConnectTimeout=%d", timeout);
	if (o->ssh_config) {
		mu_buf_addstr(b, " -F ");
		add_pct_escaped(b, *o->ssh_config ? o->ssh_config : "/dev/null");
	}
	if (known_hosts) {
		opt = mu_xasprintf("UserKnownHostsFile=%s", known_hosts);
		mu_buf_addstr(b, " -o ");
		add_pct_escaped(b, opt);
		free(opt);
	}
	if (o->identity) {
		mu_buf_addstr(b, " -i ");
		add_pct_escaped(b, o->identity);
	}
	if (first) {
		mu_buf_addstr(b, " -J ");
		add_pct_escaped(b, first);
	}
	mu_buf_addstr(b, " -W '[%h]:%p' ");
	add_pct_escaped(b, dest);
	free(first);
	free(dest);
}

static int host_key_refused_changed(struct mu_link *l, const char *kh, const char *gkh,
				    const char *type, const char *fp, bool other_type,
				    struct mu_err *e)
{
	struct mu_kh_entry ent[8];
	const char *files[2] = { kh, gkh };
	char w[300];
	int line = 0;
	const char *file = kh;

	for (int f = 0; f < 2 && !line; f++) {
		int n = mu_known_hosts_find(files[f], l->host, l->port, ent, 8, NULL);

		for (int i = 0; i < n && i < 8; i++) {
			/* Point at the entry of the key's own type if there is one. */
			if (!line || strcmp(ent[i].keytype, type) == 0) {
				line = ent[i].line;
				file = files[f];
			}
		}
	}
	where(l, w, sizeof(w));
	if (!line)
		return mu_err_set(e, MU_E_AUTH,
				  "host key for %s has CHANGED: it now offers %s %s; "
				  "refusing to connect (check '%s')", w, type, fp, kh);
	return mu_err_set(e, MU_E_AUTH,
			  "host key for %s has CHANGED: it now offers %s %s, "
			  "which does not match '%s:%d'%s; refusing to connect. "
			  "If the change is expected, remove that line",
			  w, type, fp, file, line,
			  other_type ? " (a key of another type)" : "");
}

static int verify_host_key(struct mu_link *l, const char *kh, const char *gkh,
			   bool accept_new, struct mu_err *e)
{
	ssh_key key = NULL;
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char *fp = NULL;
	char *b64 = NULL;
	const char *type;
	char w[300];
	enum ssh_known_hosts_e st;
	int r = MU_E_AUTH;

	where(l, w, sizeof(w));
	if (ssh_get_server_publickey(l->s, &key) != SSH_OK ||
	    ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) != 0 ||
	    !(fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen))) {
		r = mu_err_set(e, MU_E_AUTH, "cannot read the host key of %s: %s", w,
			       ssh_get_error(l->s));
		goto out;
	}
	type = ssh_key_type_to_char(ssh_key_type(key));
	if (ssh_pki_export_pubkey_base64(key, &b64) == SSH_OK) {
		const char *files[2] = { kh, gkh };

		for (int i = 0; i < 2; i++) {
			int line = mu_known_hosts_revoked(files[i], l->host, l->port, b64, NULL);

			if (line > 0) {
				r = mu_err_set(e, MU_E_AUTH, "host key for %s (%s %s) is REVOKED "
					       "at '%s:%d'; refusing to connect", w, type, fp,
					       files[i], line);
				goto out;
			}
		}
	}
	st = ssh_session_is_known_server(l->s);
	switch (st) {
	case SSH_KNOWN_HOSTS_OK:
		r = 0;
		break;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		r = host_key_refused_changed(l, kh, gkh, type, fp, st == SSH_KNOWN_HOSTS_OTHER, e);
		break;
	case SSH_KNOWN_HOSTS_UNKNOWN:
	case SSH_KNOWN_HOSTS_NOT_FOUND:
		if (!accept_new) {
			r = mu_err_set(e, MU_E_AUTH,
				       "host key for %s is unknown (%s %s, not in '%s'); "
				       "verify it and add it to known_hosts, or use "
				       "--accept-new-host-keys", w, type, fp, kh);
			break;
		}
		pthread_mutex_lock(&known_hosts_lock);
		/* Another thread may have just added it (two names, one host). */
		if (ssh_session_is_known_server(l->s) == SSH_KNOWN_HOSTS_OK ||
		    ssh_session_update_known_hosts(l->s) == SSH_OK) {
			log_info("added host key for %s (%s %s) to '%s'", w, type, fp, kh);
			r = 0;
		} else {
			r = mu_err_set(e, MU_E_AUTH, "cannot add the host key of %s to '%s': %s",
				       w, kh, ssh_get_error(l->s));
		}
		pthread_mutex_unlock(&known_hosts_lock);
		break;
	case SSH_KNOWN_HOSTS_ERROR:
	default:
		r = mu_err_set(e, MU_E_AUTH, "cannot check the host key of %s against '%s': %s",
			       w, kh, ssh_get_error(l->s));
		break;
	}
out:
	ssh_string_free_char(b64);
	ssh_string_free_char(fp);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
	return r;
}

/* Try one private key file. 1 = accepted, 0 = not, <0 = link error. */
static int try_key_file(struct mu_link *l, const char *path, struct mu_buf *tried,
			bool *unloadable, struct mu_err *e)
{
	ssh_key key = NULL;
	int rc;

	if (access(path, R_OK) != 0)
		return 0;
	if (ssh_pki_import_privkey_file(path, NULL, no_passphrase, NULL, &key) != SSH_OK) {
		mu_buf_addf(tried, "%s'%s' (cannot load it; keys with a passphrase must "
			    "be in ssh-agent)", tried->len ? ", " : "", path);
		*unloadable = true;
		return 0;
	}
	while ((rc = ssh_userauth_publickey(l->s, NULL, key)) == SSH_AUTH_AGAIN)
		if (wait_io(l) != 0)
			break;
	ssh_key_free(key);
	if (rc == SSH_AUTH_AGAIN)
		return mu_err_set(e, MU_E_TIMEOUT, "authentication to '%s' timed out", l->name);
	if (rc == SSH_AUTH_SUCCESS)
		return 1;
	if (rc == SSH_AUTH_ERROR)
		return mu_err_set(e, MU_E_CONNECT, "connection to '%s' failed during "
				  "authentication: %s", l->name, ssh_get_error(l->s));
	mu_buf_addf(tried, "%s'%s'", tried->len ? ", " : "", path);
	return 0;
}

/* Try the keys ssh-agent holds. 1 = accepted, 0 = not, <0 = link error. */
static int try_agent(struct mu_link *l, struct mu_buf *tried, struct mu_err *e)
{
	const char *sock = getenv("SSH_AUTH_SOCK");
	int rc;

	if (!sock || !*sock)
		return 0;
	while ((rc = ssh_userauth_agent(l->s, NULL)) == SSH_AUTH_AGAIN)
		if (wait_io(l) != 0)
			break;
	if (rc == SSH_AUTH_AGAIN)
		return mu_err_set(e, MU_E_TIMEOUT, "authentication to '%s' timed out", l->name);
	if (rc == SSH_AUTH_SUCCESS)
		return 1;
	if (rc == SSH_AUTH_ERROR && !ssh_is_connected(l->s))
		return mu_err_set(e, MU_E_CONNECT, "connection to '%s' failed during "
				  "authentication: %s", l->name, ssh_get_error(l->s));
	mu_buf_addf(tried, "%sssh-agent keys", tried->len ? ", " : "");
	return 0;
}

/*
 * ssh-agent first, then key files: --identity, IdentityFile entries, and
 * (only when neither names a file, as ssh does) the default keys. With
 * IdentitiesOnly the files go first and the agent is asked only for a
 * file we could not load (it has a passphrase, so its key is there).
 */
static int authenticate(struct mu_link *l, const struct mu_conn_opts *o,
			const struct mu_ssh_host *cfg, struct mu_err *e)
{
	static const char *const defaults[] = {
		"/.ssh/id_ed25519", "/.ssh/id_ecdsa", "/.ssh/id_rsa", NULL,
	};
	struct mu_buf tried = MU_BUF_INIT;
	const char *home = getenv("HOME");
	bool unloadable = false;
	char w[300];
	int r = 0;

	where(l, w, sizeof(w));
	if (!cfg->identities_only && (r = try_agent(l, &tried, e)) != 0)
		goto done;
	if (o->identity && (r = try_key_file(l, o->identity, &tried, &unloadable, e)) != 0)
		goto done;
	for (size_t i = 0; i < cfg->n_identity; i++)
		if ((r = try_key_file(l, cfg->identity[i], &tried, &unloadable, e)) != 0)
			goto done;
	if (!o->identity && cfg->n_identity == 0) {
		for (int i = 0; defaults[i]; i++) {
			char *p = mu_xasprintf("%s%s", home ? home : "", defaults[i]);

			r = try_key_file(l, p, &tried, &unloadable, e);
			free(p);
			if (r)
				goto done;
		}
	}
	if (cfg->identities_only && unloadable)
		r = try_agent(l, &tried, e);
done:
	if (r == 1) {
		r = 0;
	} else if (r == 0) {
		int methods = ssh_userauth_list(l->s, NULL);

		r = mu_err_set(e, MU_E_AUTH, "authentication to %s as '%s' was refused: "
			       "tried %s%s", w, l->user,
			       tried.len ? tried.buf : "no keys (no ssh-agent, no key files)",
			       methods && !(methods & SSH_AUTH_METHOD_PUBLICKEY)
			       ? "; the server does not accept public keys" : "");
	}
	mu_buf_release(&tried);
	return r;
}

int mu_ssh_link_open(struct mu_link *l, const struct mu_target *t,
		     const struct mu_conn_opts *o, struct mu_err *e)
{
	struct mu_ssh_host cfg = { 0 };
	struct mu_buf proxy = MU_BUF_INIT;
	const char *kh;
	const char *gkh;
	char *kh_default = NULL;
	char w[300];
	long timeout;
	int verbosity;
	int yes = 1, no = 0;
	bool accept_new;
	int rc;
	int r;

	pthread_once(&init_once, init_libssh);
	if (init_rc != 0)
		return mu_err_set(e, MU_E_INTERNAL, "cannot initialise libssh");
	r = mu_ssh_config_resolve(o->ssh_config, t->address ? t->address : t->name,
				  t->user, t->port, &cfg, e);
	if (r)
		return r;
	l->host = mu_xstrdup(cfg.hostname);
	l->user = mu_xstrdup(cfg.user);
	l->port = cfg.port;
	if (!o->connect_timeout && cfg.connect_timeout > 0)
		l->connect_timeout = cfg.connect_timeout;
	timeout = l->connect_timeout;
	if (o->known_hosts) {
		kh = o->known_hosts;
	} else if (cfg.known_hosts) {
		kh = cfg.known_hosts;
	} else {
		const char *home = getenv("HOME");

		kh = kh_default = mu_xasprintf("%s/.ssh/known_hosts", home ? home : "");
	}
	gkh = cfg.global_known_hosts ? cfg.global_known_hosts : GLOBAL_KNOWN_HOSTS;
	accept_new = o->accept_new_host_keys || cfg.strict == MU_SSH_STRICT_ACCEPT_NEW;
	where(l, w, sizeof(w));

	l->s = ssh_new();
	if (!l->s) {
		r = mu_err_set(e, MU_E_NOMEM, "cannot create an ssh session");
		goto out;
	}
	verbosity = o->verbosity >= 4 ? SSH_LOG_PACKET : o->verbosity >= 3 ? SSH_LOG_PROTOCOL
		: SSH_LOG_NOLOG;
	if (ssh_options_set(l->s, SSH_OPTIONS_PROCESS_CONFIG, &no) != 0 ||
	    ssh_options_set(l->s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity) != 0 ||
	    ssh_options_set(l->s, SSH_OPTIONS_HOST, l->host) != 0 ||
	    ssh_options_set(l->s, SSH_OPTIONS_PORT, &l->port) != 0 ||
	    ssh_options_set(l->s, SSH_OPTIONS_USER, l->user) != 0 ||
	    ssh_options_set(l->s, SSH_OPTIONS_TIMEOUT, &timeout) != 0 ||
	    ssh_options_set(l->s, SSH_OPTIONS_NODELAY, &yes) != 0 ||
	    ssh_options_set(l->s, SSH_OPTIONS_KNOWNHOSTS, kh) != 0 ||
	    ssh_options_set(l->s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, gkh) != 0) {
		r = mu_err_set(e, MU_E_ARG, "bad ssh options for %s: %s", w, ssh_get_error(l->s));
		goto out;
	}
	if (cfg.proxy_jump) {
		proxy_command(&proxy, cfg.proxy_jump, o, o->known_hosts ? kh : cfg.known_hosts,
			      accept_new, l->connect_timeout);
		log_debug("%s: ProxyCommand %s", l->name, proxy.buf);
		if (ssh_options_set(l->s, SSH_OPTIONS_PROXYCOMMAND, proxy.buf) != 0) {
			r = mu_err_set(e, MU_E_ARG, "bad ProxyJump '%s' for %s: %s",
				       cfg.proxy_jump, w, ssh_get_error(l->s));
			goto out;
		}
	}
	ssh_set_blocking(l->s, 0);
	l->deadline = mu_now_ms() + (int64_t)l->connect_timeout * 1000;
	while ((rc = ssh_connect(l->s)) == SSH_AGAIN)
		if (wait_io(l) != 0)
			break;
	if (rc == SSH_AGAIN) {
		r = mu_err_set(e, MU_E_CONNECT, "cannot connect to %s%s%s: timed out after %d s",
			       w, cfg.proxy_jump ? " via " : "",
			       cfg.proxy_jump ? cfg.proxy_jump : "", l->connect_timeout);
		goto out;
	}
	if (rc != SSH_OK) {
		r = mu_err_set(e, MU_E_CONNECT, "cannot connect to %s%s%s: %s", w,
			       cfg.proxy_jump ? " via " : "",
			       cfg.proxy_jump ? cfg.proxy_jump : "", ssh_get_error(l->s));
		goto out;
	}
	keepalive(l->s);
	if ((r = verify_host_key(l, kh, gkh, accept_new, e)) != 0)
		goto out;
	l->deadline = mu_now_ms() + (int64_t)l->connect_timeout * 1000;
	if ((r = authenticate(l, o, &cfg, e)) != 0)
		goto out;
	ssh_set_blocking(l->s, 1);
	l->ev = ssh_event_new();
	if (!l->ev || ssh_event_add_session(l->ev, l->s) != SSH_OK) {
		r = mu_err_set(e, MU_E_INTERNAL, "cannot watch the session to %s", w);
		goto out;
	}
	r = 0;
out:
	mu_buf_release(&proxy);
	free(kh_default);
	mu_ssh_host_release(&cfg);
	return r;
}

void mu_ssh_link_close(struct mu_link *l)
{
	if (l->ev) {
		if (l->s)
			ssh_event_remove_session(l->ev, l->s);
		ssh_event_free(l->ev);
		l->ev = NULL;
	}
	if (l->s) {
		if (ssh_is_connected(l->s))
			ssh_disconnect(l->s);
		ssh_free(l->s);
		l->s = NULL;
	}
}

static int lost(struct mu_agent *a, struct mu_err *e)
{
	char w[300];

	return mu_err_set(e, MU_E_CONNECT, "connection to %s lost: %s",
			  where(a->l, w, sizeof(w)), ssh_get_error(a->l->s));
}

/*
 * The session is non-blocking, so ssh_channel_write() queues whatever we
 * give it. Write no more than the peer's window in 64 KiB pieces and flush
 * each before the next, so an upload costs a window's worth of memory per
 * host rather than a copy of the whole agent.
 */
#define WRITE_PIECE 65536u
#define WRITE_STALL_MS 30000

static int ssh_proc_write(struct mu_agent *a, const void *data, size_t n, struct mu_err *e)
{
	const char *p = data;
	int64_t stalled_since = 0;

	while (n) {
		uint32_t win = ssh_channel_window_size(a->ch);
		uint32_t chunk = n > WRITE_PIECE ? WRITE_PIECE : (uint32_t)n;
		int w;

		if (!ssh_channel_is_open(a->ch))
			return ssh_is_connected(a->l->s) ? mu_err_set(e, MU_E_EOF,
				"cannot write to the agent on '%s': its channel is closed", a->l->name)
				: lost(a, e);
		if (win == 0) {
			/* Let libssh read the peer's window adjustments. */
			if (!stalled_since)
				stalled_since = mu_now_ms();
			else if (mu_now_ms() - stalled_since > WRITE_STALL_MS)
				return mu_err_set(e, MU_E_TIMEOUT,
						  "writing to '%s' stalled for %d s", a->l->name,
						  WRITE_STALL_MS / 1000);
			if (ssh_channel_poll_timeout(a->ch, 50, 0) == SSH_ERROR)
				return lost(a, e);
			continue;
		}
		stalled_since = 0;
		if (chunk > win)
			chunk = win;
		w = ssh_channel_write(a->ch, p, chunk);
		if (w == SSH_ERROR || w < 0)
			return ssh_is_connected(a->l->s) ? mu_err_set(e, MU_E_EOF,
				"cannot write to the agent on '%s': its channel is closed", a->l->name)
				: lost(a, e);
		if (ssh_blocking_flush(a->l->s, WRITE_STALL_MS) == SSH_ERROR)
			return lost(a, e);
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void ssh_proc_send_eof(struct mu_agent *a)
{
	if (a->ch && ssh_channel_is_open(a->ch))
		ssh_channel_send_eof(a->ch);
}

/* Move whatever has arrived into the buffers. *progress if anything did. */
static int drain(struct mu_agent *a, bool *progress, struct mu_err *e)
{
	char buf[65536];

	for (int is_err = 1; is_err >= 0; is_err--) {
		for (;;) {
			int n = ssh_channel_read_nonblocking(a->ch, buf, sizeof(buf), is_err);

			if (n > 0) {
				*progress = true;
				if (is_err)
					mu_proc_take_err(a, buf, (size_t)n);
				else
					mu_proc_take_out(a, buf, (size_t)n);
				continue;
			}
			if (n == SSH_ERROR)
				return lost(a, e);
			break;
		}
	}
	if (!a->out_eof && (ssh_channel_is_eof(a->ch) || ssh_channel_is_closed(a->ch))) {
		a->out_eof = true;
		*progress = true;
	}
	if (a->out_eof && !a->exited) {
		a->status = ssh_channel_get_exit_status(a->ch);
		a->exited = true;
	}
	return 0;
}

static int ssh_proc_wait(struct mu_agent *a, int timeout_ms, struct mu_err *e)
{
	bool progress = false;
	int r;

	if ((r = drain(a, &progress, e)) != 0 || progress)
		return r;
	if (!ssh_is_connected(a->l->s))
		return lost(a, e);
	if (ssh_event_dopoll(a->l->ev, timeout_ms) == SSH_ERROR && !ssh_is_connected(a->l->s))
		return lost(a, e);
	ack_now(a->l->s);
	if ((r = drain(a, &progress, e)) != 0)
		return r;
	if (!progress && !ssh_is_connected(a->l->s))
		return lost(a, e);
	return 0;
}

static void ssh_proc_close(struct mu_agent *a)
{
	if (!a->ch)
		return;
	/* A timed-out or broken agent is told to stop (sshd signals it when
	 * it may; an agent under sudo sees EOF and SIGPIPE instead). */
	if (a->dead && ssh_channel_is_open(a->ch) && ssh_is_connected(a->l->s))
		ssh_channel_request_send_signal(a->ch, "TERM");
	if (ssh_channel_is_open(a->ch))
		ssh_channel_close(a->ch);
	ssh_channel_free(a->ch);
	a->ch = NULL;
}

static const struct mu_proc_ops ssh_ops = {
	.write = ssh_proc_write,
	.send_eof = ssh_proc_send_eof,
	.wait = ssh_proc_wait,
	.close = ssh_proc_close,
};

int mu_ssh_proc_start(struct mu_agent *a, const char *cmd, struct mu_err *e)
{
	char w[300];
	int rc, r;

	a->ops = &ssh_ops;
	where(a->l, w, sizeof(w));
	a->ch = ssh_channel_new(a->l->s);
	if (!a->ch)
		return mu_err_set(e, MU_E_NOMEM, "cannot create a channel to %s", w);
	/* Non-blocking for the same reason as the connection's setup. */
	ssh_set_blocking(a->l->s, 0);
	a->l->deadline = mu_now_ms() + (int64_t)a->l->connect_timeout * 1000;
	while ((rc = ssh_channel_open_session(a->ch)) == SSH_AGAIN)
		if (wait_io(a->l) != 0)
			break;
	if (rc != SSH_OK) {
		r = !ssh_is_connected(a->l->s) ? lost(a, e)
			: rc == SSH_AGAIN ? mu_err_set(e, MU_E_TIMEOUT, "%s did not open a "
						       "session channel in time", w)
			: mu_err_set(e, MU_E_EXEC, "%s refused a session channel: %s", w,
				     ssh_get_error(a->l->s));
		goto out;
	}
	while ((rc = ssh_channel_request_exec(a->ch, cmd)) == SSH_AGAIN)
		if (wait_io(a->l) != 0)
			break;
	if (rc != SSH_OK) {
		r = !ssh_is_connected(a->l->s) ? lost(a, e)
			: rc == SSH_AGAIN ? mu_err_set(e, MU_E_TIMEOUT, "%s did not start a "
						       "command in time", w)
			: mu_err_set(e, MU_E_EXEC, "%s refused to run a command: %s", w,
				     ssh_get_error(a->l->s));
		goto out;
	}
	r = 0;
out:
	ssh_set_blocking(a->l->s, 1);
	return r;
}
