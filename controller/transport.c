/*
 * The transport's common half: links, starting agents (sudo, deploy on
 * demand, hello), tasks and their timeouts. The back ends only move bytes
 * (transport_ssh.c, transport_local.c); every decision about what those
 * bytes mean is here, so SSH and local hosts behave the same.
 *
 * Starting an agent costs one exec when the host has this build: the start
 * script execs the agent or exits MU_DEPLOY_MISSING, and only then do we
 * upload and try again. With a become password, sudo is given our own
 * random prompt (-p) and we answer only when that prompt shows on stderr,
 * so the password never reaches anything but sudo; a second prompt means
 * it was refused.
 */
#include "transport_int.h"

#include <errno.h>
#include <pwd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "deploy.h"
#include "mu_log.h"

#define DEFAULT_CONNECT_TIMEOUT 10
/* Slowest we let a start (sudo, PAM, exec) take before the hello. */
#define MIN_START_TIMEOUT 30
#define UPLOAD_TIMEOUT 300

int64_t mu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int mu_proc_take_out(struct mu_agent *a, const void *data, size_t n)
{
	return mu_linebuf_feed(&a->out, data, n);
}

void mu_proc_take_err(struct mu_agent *a, const void *data, size_t n)
{
	mu_buf_add(&a->err, data, n);
	if (a->prompt) {
		size_t plen = strlen(a->prompt);
		char *hit;

		/* Count our sudo prompts and cut them out of what users see. */
		while (a->err.len >= a->err_scan + plen &&
		       (hit = memmem(a->err.buf + a->err_scan, a->err.len - a->err_scan,
				     a->prompt, plen))) {
			size_t off = (size_t)(hit - a->err.buf);

			memmove(hit, hit + plen, a->err.len - off - plen + 1);
			a->err.len -= plen;
			a->err_scan = off;
			a->prompts++;
		}
		/* A prompt may be split across reads: rescan its possible start. */
		if (a->err.len >= plen && a->err.len - plen + 1 > a->err_scan)
			a->err_scan = a->err.len - plen + 1;
	}
	if (a->err.len > (size_t)2 * MU_STDERR_KEEP) {
		size_t drop = a->err.len - MU_STDERR_KEEP;

		mu_buf_consume(&a->err, drop);
		a->err_scan = a->err_scan > drop ? a->err_scan - drop : 0;
	}
}

/* The last lines of stderr, on one line, for error messages. */
static const char *stderr_tail(const struct mu_agent *a, char *buf, size_t n)
{
	const char *s = a->err.buf;
	size_t len = a->err.len;
	size_t o = 0;

	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' '))
		len--;
	if (len > 240) {
		s += len - 240;
		len = 240;
	}
	while (len && (*s == '\n' || *s == ' ')) {
		s++;
		len--;
	}
	for (size_t i = 0; i < len && o + 3 < n; i++) {
		if (s[i] == '\n') {
			buf[o++] = ';';
			buf[o++] = ' ';
		} else if (s[i] != '\r') {
			buf[o++] = s[i];
		}
	}
	buf[o] = '\0';
	return o ? buf : "(no error output)";
}

/* e's message, copied so it can be quoted into e itself. */
static const char *errtext(const struct mu_err *e, char *buf, size_t n)
{
	snprintf(buf, n, "%s", e ? e->msg : "");
	return buf;
}

static struct mu_agent *proc_new(struct mu_link *l, bool with_prompt)
{
	struct mu_agent *a = mu_xcalloc(1, sizeof(*a));

	a->l = l;
	a->status = -1;
	a->pid = -1;
	a->in_fd = a->out_fd = a->err_fd = -1;
	mu_linebuf_init(&a->out, (size_t)MU_PROTO_MAX_LINE);
	mu_buf_init(&a->err, 0);
	if (with_prompt) {
		unsigned char rnd[8] = { 0 };

		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
			/* Uniqueness, not secrecy, is what matters here. */
			int64_t t = mu_now_ms() ^ (int64_t)getpid();

			memcpy(rnd, &t, sizeof(rnd));
		}
		a->prompt = mu_xasprintf("[muster-sudo-%02x%02x%02x%02x%02x%02x%02x%02x]",
					 rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
					 rnd[6], rnd[7]);
	}
	return a;
}

static void proc_free(struct mu_agent *a)
{
	if (!a)
		return;
	if (a->ops)
		a->ops->close(a);
	mu_linebuf_release(&a->out);
	mu_buf_release(&a->err);
	free(a->prompt);
	free(a);
}

static int answer_prompts(struct mu_agent *a, struct mu_err *e)
{
	const char *pass = a->l->become_pass;
	int r;

	if (a->prompts <= a->answered)
		return 0;
	if (a->answered > 0 || !pass)
		return mu_err_set(e, MU_E_AUTH, "sudo refused the become password on '%s'",
				  a->l->name);
	a->answered++;
	/* Only sudo reads this: it asked with our own prompt. */
	if ((r = a->ops->write(a, pass, strlen(pass), e)) != 0 ||
	    (r = a->ops->write(a, "\n", 1, e)) != 0)
		return r;
	return 0;
}

/*
 * Next line of the process's stdout, waiting until deadline (ms, 0 = no
 * limit) and answering sudo on the way. MU_E_EOF when stdout ended (then
 * a->exited/status tell why), MU_E_TIMEOUT, MU_E_CONNECT, MU_E_AUTH,
 * MU_E_TOOBIG.
 */
static int next_line(struct mu_agent *a, int64_t deadline, char **line, size_t *len,
		     struct mu_err *e)
{
	for (;;) {
		int64_t left = -1;
		int r = mu_linebuf_next(&a->out, line, len);

		if (r == 0)
			return 0;
		if (r == MU_E_TOOBIG)
			return mu_err_set(e, MU_E_TOOBIG, "agent on '%s' sent a line longer "
					  "than %u bytes", a->l->name, MU_PROTO_MAX_LINE);
		if ((r = answer_prompts(a, e)) != 0)
			return r;
		if (a->out_eof)
			return MU_E_EOF;
		if (deadline) {
			left = deadline - mu_now_ms();
			if (left <= 0)
				return MU_E_TIMEOUT;
		}
		if ((r = a->ops->wait(a, left > (int64_t)1 << 30 ? 1 << 30 : (int)left, e)) != 0)
			return r;
	}
}

/* Say why a process ended before doing its job, sudo's refusals first. */
static int explain_exit(struct mu_agent *a, const char *what, struct mu_err *e)
{
	const char *err = a->err.buf;
	char buf[256];
	const char *tail = stderr_tail(a, buf, sizeof(buf));

	if (strstr(err, "a password is required") || strstr(err, "a terminal is required"))
		return mu_err_set(e, MU_E_AUTH, "sudo requires a password on '%s': use "
				  "--ask-become-pass or configure NOPASSWD", a->l->name);
	if (a->prompts > 1 || strstr(err, "incorrect password") ||
	    strstr(err, "Sorry, try again"))
		return mu_err_set(e, MU_E_AUTH, "sudo refused the become password on '%s'",
				  a->l->name);
	if (strstr(err, "sudoers") || strstr(err, "is not allowed to") ||
	    strstr(err, "may not run sudo"))
		return mu_err_set(e, MU_E_AUTH, "sudo refused on '%s': %s", a->l->name, tail);
	if (a->status < 0)
		return mu_err_set(e, MU_E_EXEC, "%s on '%s' was killed: %s", what,
				  a->l->name, tail);
	return mu_err_set(e, MU_E_EXEC, "%s on '%s' exited with status %d: %s", what,
			  a->l->name, a->status, tail);
}

static const char *local_user_name(char *buf, size_t n)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];

	if (getpwuid_r(geteuid(), &pw, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, n, "%s", res->pw_name);
	else
		snprintf(buf, n, "#%u", (unsigned)geteuid());
	return buf;
}

/* The user sudo must switch to, or NULL when we already are that user. */
static const char *sudo_target(const struct mu_link *l, bool become, const char *user)
{
	char me[256];
	const char *target = user && *user ? user : "root";

	if (!become)
		return NULL;
	if (l->local)
		return strcmp(local_user_name(me, sizeof(me)), target) == 0 ? NULL : target;
	return strcmp(l->user, target) == 0 ? NULL : target;
}

static int64_t start_deadline(const struct mu_link *l)
{
	int s = l->connect_timeout > MIN_START_TIMEOUT ? l->connect_timeout : MIN_START_TIMEOUT;

	return mu_now_ms() + (int64_t)s * 1000;
}

/* The SSH port of the session we run in, for a local agent's lockout guard. */
static int local_ssh_port(void)
{
	const char *s = getenv("SSH_CONNECTION");
	char *end;
	long port;

	if (!s)
		return 0;
	/* "client_ip client_port server_ip server_port": skip to the fourth */
	for (int f = 0; f < 3; f++) {
		s += strspn(s, " \t\n");
		s += strcspn(s, " \t\n");
	}
	errno = 0;
	port = strtol(s, &end, 10);
	if (end == s || errno || port <= 0 || port >= 65536)
		return 0;
	return (int)port;
}

static int spawn_local(struct mu_agent *a, const char *sudo_user, struct mu_err *e)
{
	const char *argv[16];
	char port[16];
	int n = 0;
	int p = local_ssh_port();

	if (sudo_user) {
		argv[n++] = "sudo";
		if (a->prompt) {
			argv[n++] = "-S";
			argv[n++] = "-p";
			argv[n++] = a->prompt;
		} else {
			argv[n++] = "-n";
		}
		argv[n++] = "-H";
		argv[n++] = "-u";
		argv[n++] = sudo_user;
		argv[n++] = "--";
	}
	argv[n++] = a->l->agent_path;
	if (p) {
		snprintf(port, sizeof(port), "%d", p);
		argv[n++] = "--ssh-port";
		argv[n++] = port;
	}
	argv[n] = NULL;
	return mu_local_proc_start(a, argv, e);
}

/*
 * The agent's bytes, read and checked once per run and shared by every
 * host's upload: fifty uploads at once must not mean fifty copies.
 */
static pthread_mutex_t agent_bytes_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mu_buf agent_bytes = MU_BUF_INIT;
static char *agent_bytes_path;

static int agent_bytes_get(const char *path, const char *hex, const struct mu_buf **out,
			   struct mu_err *e)
{
	char got[MU_SHA256_HEX_LEN + 1];
	int r = 0;

	pthread_mutex_lock(&agent_bytes_lock);
	if (!agent_bytes_path || strcmp(agent_bytes_path, path) != 0) {
		struct mu_buf bin = MU_BUF_INIT;

		if ((r = mu_deploy_read_agent(path, &bin, e)) != 0) {
			mu_buf_release(&bin);
			goto out;
		}
		if (mu_sha256_hex(bin.buf, bin.len, got) != 0 || strcmp(got, hex) != 0) {
			mu_buf_release(&bin);
			r = mu_err_set(e, MU_E_ARG, "agent '%s' changed while muster was running",
				       path);
			goto out;
		}
		mu_buf_release(&agent_bytes);
		agent_bytes = bin;
		free(agent_bytes_path);
		agent_bytes_path = mu_xstrdup(path);
	}
	*out = &agent_bytes;
out:
	pthread_mutex_unlock(&agent_bytes_lock);
	return r;
}

/* Install this agent build on the host, as sudo_user when set. */
static int upload(struct mu_link *l, const char *sudo_user, const char *hex,
		  struct mu_err *e)
{
	const struct mu_buf *bin = NULL;
	struct mu_buf cmd = MU_BUF_INIT;
	struct mu_agent *a = NULL;
	int64_t deadline;
	int junk = 0;
	char *line;
	size_t len;
	int r;

	if ((r = agent_bytes_get(l->agent_path, hex, &bin, e)) != 0)
		goto out;
	a = proc_new(l, sudo_user && l->become_pass);
	if (sudo_user)
		mu_deploy_sudo_prefix(&cmd, sudo_user, a->prompt);
	mu_deploy_upload_cmd(&cmd, hex);
	if ((r = mu_ssh_proc_start(a, cmd.buf, e)) != 0)
		goto out;
	deadline = start_deadline(l);
	/* Skip what chatty shell start-up files print before our marker. */
	while ((r = next_line(a, deadline, &line, &len, e)) == 0 && junk++ < 64 &&
	       (len != strlen(MU_DEPLOY_READY) || memcmp(line, MU_DEPLOY_READY, len) != 0))
		;
	if (r == MU_E_EOF) {
		r = a->status == 0 ? mu_err_set(e, MU_E_PROTO, "upload to '%s' ended early",
						l->name)
			: explain_exit(a, "agent upload", e);
		goto out;
	}
	if (r == MU_E_TIMEOUT) {
		r = mu_err_set(e, MU_E_TIMEOUT, "upload to '%s' did not start in time",
			       l->name);
		goto out;
	}
	if (r)
		goto out;
	if (len != strlen(MU_DEPLOY_READY) || memcmp(line, MU_DEPLOY_READY, len) != 0) {
		r = mu_err_set(e, MU_E_PROTO, "upload to '%s': unexpected output '%.80s'",
			       l->name, line);
		goto out;
	}
	if ((r = a->ops->write(a, bin->buf, bin->len, e)) != 0)
		goto out;
	a->ops->send_eof(a);
	deadline = mu_now_ms() + (int64_t)UPLOAD_TIMEOUT * 1000;
	while (!a->out_eof) {
		int64_t left = deadline - mu_now_ms();

		if (left <= 0) {
			r = mu_err_set(e, MU_E_TIMEOUT, "upload to '%s' timed out", l->name);
			goto out;
		}
		if ((r = a->ops->wait(a, (int)left, e)) != 0)
			goto out;
	}
	if (a->status != 0) {
		char tail[256];

		r = mu_err_set(e, MU_E_EXEC, "cannot install the agent on '%s': %s (%s)",
			       l->name, mu_deploy_upload_error(a->status),
			       stderr_tail(a, tail, sizeof(tail)));
		goto out;
	}
	mu_deploy_note_upload();
	log_verbose("%s: installed agent %.16s%s%s", l->name, hex,
		    sudo_user ? " for " : "", sudo_user ? sudo_user : "");
	r = 0;
out:
	proc_free(a);
	mu_buf_release(&cmd);
	return r;
}

/*
 * Start the agent process and read its hello. MU_E_NOTFOUND (e untouched)
 * when the remote start script says this build is not installed.
 */
static int start_once(struct mu_link *l, const char *sudo_user, const char *hex,
		      struct mu_agent **out, json_t **hello, struct mu_err *e)
{
	struct mu_agent *a = proc_new(l, sudo_user && l->become_pass);
	struct mu_buf cmd = MU_BUF_INIT;
	json_t *msg = NULL;
	const char *type;
	int64_t deadline;
	int junk = 0;
	char *line;
	size_t len;
	int r;

	if (l->local) {
		r = spawn_local(a, sudo_user, e);
	} else {
		if (sudo_user)
			mu_deploy_sudo_prefix(&cmd, sudo_user, a->prompt);
		mu_deploy_start_cmd(&cmd, hex, l->port, l->verbosity > 2 ? l->verbosity - 2 : 0);
		r = mu_ssh_proc_start(a, cmd.buf, e);
	}
	if (r)
		goto out;
	deadline = start_deadline(l);
	/*
	 * Shell start-up files that print (a chatty ~/.bashrc) must not break
	 * the start: skip a few lines that cannot be JSON before the hello.
	 */
	while ((r = next_line(a, deadline, &line, &len, e)) == 0 && junk < 64 &&
	       (len == 0 || line[strspn(line, " \t")] != '{'))
		junk++;
	if (r == MU_E_EOF) {
		if (!l->local && a->status == MU_DEPLOY_MISSING && a->prompts <= 1)
			r = MU_E_NOTFOUND;
		else
			r = explain_exit(a, "the agent", e);
		goto out;
	}
	if (r == MU_E_TIMEOUT) {
		char tail[256];

		r = mu_err_set(e, MU_E_TIMEOUT, "the agent on '%s' did not start in time: %s",
			       l->name, stderr_tail(a, tail, sizeof(tail)));
		goto out;
	}
	if (r)
		goto out;
	if (mu_proto_parse(line, len, &msg, e) != 0) {
		char why[512];

		r = mu_err_set(e, MU_E_PROTO, "the agent on '%s' sent a bad hello: %s",
			       l->name, errtext(e, why, sizeof(why)));
		goto out;
	}
	type = json_string_value(json_object_get(msg, "type"));
	if (strcmp(type, "error") == 0) {
		r = mu_err_set(e, MU_E_PROTO, "the agent on '%s' failed: %s", l->name,
			       json_string_value(json_object_get(msg, "msg")));
		goto out;
	}
	if (strcmp(type, "hello") != 0) {
		r = mu_err_set(e, MU_E_PROTO, "the agent on '%s' sent '%s' before hello",
			       l->name, type);
		goto out;
	}
	if (json_integer_value(json_object_get(msg, "protocol")) != MU_PROTO_VERSION) {
		r = mu_err_set(e, MU_E_VERSION, "the agent on '%s' speaks protocol %lld, "
			       "this controller %d", l->name,
			       (long long)json_integer_value(json_object_get(msg, "protocol")),
			       MU_PROTO_VERSION);
		goto out;
	}
	{
		json_t *ours = json_pack("{s:s, s:i, s:s, s:s}", "type", "hello", "protocol",
					 MU_PROTO_VERSION, "version", MU_VERSION, "build",
					 MU_GIT_REV);
		struct mu_buf b = MU_BUF_INIT;

		r = mu_proto_format(ours, &b);
		json_decref(ours);
		if (r == 0)
			r = a->ops->write(a, b.buf, b.len, e);
		mu_buf_release(&b);
		if (r)
			goto out;
	}
	if (hello) {
		*hello = msg;
		msg = NULL;
	}
	*out = a;
	a = NULL;
	r = 0;
out:
	json_decref(msg);
	mu_buf_release(&cmd);
	proc_free(a);
	return r;
}

int mu_agent_start(struct mu_link *l, bool become, const char *become_user,
		   struct mu_agent **out, json_t **hello, struct mu_err *e)
{
	char hex[MU_SHA256_HEX_LEN + 1];
	const char *sudo_user = sudo_target(l, become, become_user);
	int r;

	*out = NULL;
	if (hello)
		*hello = NULL;
	if (!l->agent_path || !*l->agent_path)
		return mu_err_set(e, MU_E_ARG, "no agent binary to run on '%s'", l->name);
	if (!l->local && (r = mu_deploy_agent_id(l->agent_path, hex, e)) != 0)
		return r;
	r = start_once(l, sudo_user, hex, out, hello, e);
	if (r != MU_E_NOTFOUND)
		return r;
	if ((r = upload(l, sudo_user, hex, e)) != 0)
		return r;
	r = start_once(l, sudo_user, hex, out, hello, e);
	if (r == MU_E_NOTFOUND)
		r = mu_err_set(e, MU_E_EXEC, "the agent on '%s' cannot be run after its "
			       "upload (is ~/.cache on a noexec mount?)", l->name);
	return r;
}

static void agent_kill(struct mu_agent *a, const char *why)
{
	a->dead = true;
	snprintf(a->why_dead, sizeof(a->why_dead), "%s", why);
	if (a->ops)
		a->ops->close(a);
}

int mu_agent_call(struct mu_agent *a, const json_t *task, json_t **reply,
		  struct mu_err *e)
{
	struct mu_buf b = MU_BUF_INIT;
	json_t *msg = NULL;
	int64_t deadline = 0;
	const char *type;
	char *line;
	size_t len;
	int r;

	*reply = NULL;
	if (a->dead)
		return mu_err_set(e, MU_E_EOF, "%s", a->why_dead);
	if ((r = mu_proto_format(task, &b)) != 0) {
		r = mu_err_set(e, r, "cannot encode the task for '%s'", a->l->name);
		goto out;
	}
	if ((r = a->ops->write(a, b.buf, b.len, e)) != 0) {
		agent_kill(a, e ? e->msg : "agent gone");
		goto out;
	}
	if (a->l->task_timeout > 0)
		deadline = mu_now_ms() + (int64_t)a->l->task_timeout * 1000;
	r = next_line(a, deadline, &line, &len, e);
	if (r == MU_E_TIMEOUT) {
		r = mu_err_set(e, MU_E_TIMEOUT, "task on '%s' timed out after %d s",
			       a->l->name, a->l->task_timeout);
		agent_kill(a, "the agent was stopped after a task timed out");
		goto out;
	}
	if (r == MU_E_EOF) {
		char buf[256];
		const char *tail = stderr_tail(a, buf, sizeof(buf));

		if (a->status >= 0)
			r = mu_err_set(e, MU_E_EOF, "the agent on '%s' exited during the "
				       "task (status %d): %s", a->l->name, a->status, tail);
		else
			r = mu_err_set(e, MU_E_EOF, "the agent on '%s' died during the task: %s",
				       a->l->name, tail);
		agent_kill(a, e ? e->msg : "agent gone");
		goto out;
	}
	if (r) {
		agent_kill(a, e ? e->msg : "agent gone");
		goto out;
	}
	if (mu_proto_parse(line, len, &msg, e) != 0) {
		char why[512];

		r = mu_err_set(e, MU_E_PROTO, "bad reply from the agent on '%s': %s",
			       a->l->name, errtext(e, why, sizeof(why)));
		agent_kill(a, e ? e->msg : "bad reply");
		goto out;
	}
	type = json_string_value(json_object_get(msg, "type"));
	if (strcmp(type, "error") == 0) {
		char tail[256];

		r = mu_err_set(e, MU_E_PROTO, "the agent on '%s' failed: %s (%s)", a->l->name,
			       json_string_value(json_object_get(msg, "msg")),
			       stderr_tail(a, tail, sizeof(tail)));
		agent_kill(a, e ? e->msg : "agent failed");
		goto out;
	}
	if (strcmp(type, "result") != 0) {
		r = mu_err_set(e, MU_E_PROTO, "the agent on '%s' answered a task with '%s'",
			       a->l->name, type);
		agent_kill(a, e ? e->msg : "bad reply");
		goto out;
	}
	{
		json_t *want = json_object_get(task, "id");
		json_t *got = json_object_get(msg, "id");

		if (want && !json_equal(want, got)) {
			r = mu_err_set(e, MU_E_PROTO, "the agent on '%s' answered the wrong task",
				       a->l->name);
			agent_kill(a, e ? e->msg : "bad reply");
			goto out;
		}
	}
	*reply = msg;
	msg = NULL;
	r = 0;
out:
	json_decref(msg);
	mu_buf_release(&b);
	return r;
}

void mu_agent_stop(struct mu_agent *a)
{
	if (!a)
		return;
	if (!a->dead && !a->out_eof && a->ops)
		a->ops->write(a, "{\"type\":\"bye\"}\n", 15, NULL);
	if (a->ops)
		a->ops->send_eof(a);
	proc_free(a);
}

int mu_link_open(const struct mu_target *t, const struct mu_conn_opts *o,
		 struct mu_link **out, struct mu_err *e)
{
	struct mu_link *l = mu_xcalloc(1, sizeof(*l));
	char me[256];
	int r = 0;

	*out = NULL;
	l->name = mu_xstrdup(t->name ? t->name : t->address ? t->address : "?");
	l->local = t->local;
	l->accept_new = o->accept_new_host_keys;
	l->agent_path = o->agent_path ? mu_xstrdup(o->agent_path) : NULL;
	l->become_pass = o->become_pass ? mu_xstrdup(o->become_pass) : NULL;
	l->connect_timeout = o->connect_timeout > 0 ? o->connect_timeout
		: DEFAULT_CONNECT_TIMEOUT;
	l->task_timeout = o->task_timeout > 0 ? o->task_timeout : 0;
	l->verbosity = o->verbosity;
	if (t->local) {
		l->host = mu_xstrdup("localhost");
		l->user = mu_xstrdup(local_user_name(me, sizeof(me)));
	} else {
		if (!t->address && !t->name) {
			r = mu_err_set(e, MU_E_ARG, "host has neither a name nor an address");
			goto out;
		}
		r = mu_ssh_link_open(l, t, o, e);
	}
out:
	if (r) {
		mu_link_close(l);
		return r;
	}
	*out = l;
	return 0;
}

void mu_link_close(struct mu_link *l)
{
	if (!l)
		return;
	if (!l->local)
		mu_ssh_link_close(l);
	if (l->become_pass) {
		explicit_bzero(l->become_pass, strlen(l->become_pass));
		free(l->become_pass);
	}
	free(l->agent_path);
	free(l->name);
	free(l->host);
	free(l->user);
	free(l);
}

int mu_link_port(const struct mu_link *l)
{
	return l->local ? 0 : l->port;
}
