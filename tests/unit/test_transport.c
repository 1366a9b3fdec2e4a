/*
 * The transport against a real sshd. Each test gets private mount and
 * network namespaces (tu_sandbox) with /root, /home, /run, /var/log and
 * /var/lib hidden behind empty temp dirs, and its own sshd on 127.0.0.1
 * with a temp host key and authorized_keys; the agent is deployed into
 * the hidden /root. Nothing reaches the real machine or network: the
 * "unreachable" address lives behind a dummy interface in the namespace.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>
#include <time.h>
#include <unistd.h>

#include "deploy.h"
#include "mu_log.h"
#include "testutil.h"
#include "transport.h"

#define PORT 2222

static char dir[256];       /* the test's temp dir: keys, config, known_hosts */
static pid_t sshd_pid = -1;
static char kh_path[512];   /* dir/known_hosts */
static char key_path[512];  /* dir/id_ed25519, the authorized client key */

static char *in_dir(const char *name)
{
	static char p[8][512];
	static int i;
	char *s = p[i++ % 8];

	snprintf(s, 512, "%s/%s", dir, name);
	return s;
}

/* Is something listening on 127.0.0.1:port? Read from /proc, so no probe
 * connection makes sshd fork a child that outlives the test. */
static bool port_open(int port)
{
	char *tcp = tu_read("/proc/net/tcp");
	char want[32];
	bool ok;

	snprintf(want, sizeof(want), "0100007F:%04X 00000000:0000 0A", port);
	ok = tcp && strstr(tcp, want);
	free(tcp);
	return ok;
}

static void start_sshd(void)
{
	char cfg[2048];

	snprintf(cfg, sizeof(cfg),
		 "Port %d\n"
		 "ListenAddress 127.0.0.1\n"
		 "HostKey %s/hostkey\n"
		 "AuthorizedKeysFile %s/authorized_keys\n"
		 "StrictModes no\n"
		 "UsePAM no\n"
		 "PasswordAuthentication no\n"
		 "KbdInteractiveAuthentication no\n"
		 "PermitRootLogin prohibit-password\n"
		 "PidFile none\n"
		 "LogLevel ERROR\n"
		 "Subsystem sftp internal-sftp\n",
		 PORT, dir, dir);
	tu_write(in_dir("sshd_config"), cfg);
	sshd_pid = fork();
	cr_assert_geq(sshd_pid, 0);
	if (sshd_pid == 0) {
		execl("/usr/sbin/sshd", "/usr/sbin/sshd", "-D", "-e", "-f", in_dir("sshd_config"),
		      "-E", in_dir("sshd.log"), (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && !port_open(PORT); i++)
		usleep(10000);
	cr_assert(port_open(PORT), "sshd did not start; see its log: %s", tu_read(in_dir("sshd.log")));
}

static void setup(void)
{
	/* Hidden: root's home (the agent lands there), /run (sshd's privsep
	 * dir, sudo's timestamps), logs and /var/lib (sudo's lecture state). */
	tu_sandbox((const char *[]){ "/root", "/home", "/run", "/var/log", "/var/lib", NULL });
	snprintf(dir, sizeof(dir), "%s", tu_tmpdir());
	snprintf(kh_path, sizeof(kh_path), "%s/known_hosts", dir);
	snprintf(key_path, sizeof(key_path), "%s/id_ed25519", dir);
	cr_assert_eq(tu_sh("chmod 0755 '%s' && mkdir -p /run/sshd && chmod 0755 /run/sshd", dir), 0);
	cr_assert_eq(tu_sh("ssh-keygen -q -t ed25519 -N '' -C host -f '%s/hostkey' && "
			   "ssh-keygen -q -t ed25519 -N '' -C client -f '%s/id_ed25519' && "
			   "ssh-keygen -q -t ed25519 -N '' -C stranger -f '%s/stranger' && "
			   "cp '%s/id_ed25519.pub' '%s/authorized_keys' && "
			   "chmod 0644 '%s/authorized_keys' && "
			   "printf '[127.0.0.1]:%d ' > '%s/known_hosts' && "
			   "cat '%s/hostkey.pub' >> '%s/known_hosts'",
			   dir, dir, dir, dir, dir, dir, PORT, dir, dir, dir), 0);
	unsetenv("SSH_AUTH_SOCK");
	setenv("HOME", "/root", 1);
	start_sshd();
}

static void teardown(void)
{
	if (sshd_pid > 0) {
		kill(sshd_pid, SIGTERM);
		waitpid(sshd_pid, NULL, 0);
		sshd_pid = -1;
	}
}

static struct mu_conn_opts opts(void)
{
	return (struct mu_conn_opts){
		.agent_path = MU_AGENT_BIN,
		.known_hosts = kh_path,
		.ssh_config = "",
		.identity = key_path,
		.connect_timeout = 5,
	};
}

static struct mu_target target(void)
{
	return (struct mu_target){ .name = "box", .address = "127.0.0.1", .port = PORT,
				   .user = "root" };
}

static json_t *task(int id, const char *module, const char *args)
{
	json_error_t jerr;
	json_t *a = json_loads(args, 0, &jerr);

	cr_assert_not_null(a, "bad JSON in test: %s", jerr.text);
	return json_pack("{s:s, s:i, s:s, s:o, s:b, s:b}", "type", "task", "id", id,
			 "module", module, "args", a, "check", 0, "diff", 0);
}

static const char *status_of(const json_t *reply)
{
	return json_string_value(json_object_get(reply, "status"));
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Open, start an agent, run ping; returns the link for more work. */
static struct mu_link *open_ok(const struct mu_target *t, const struct mu_conn_opts *o)
{
	struct mu_link *l = NULL;
	struct mu_err e = { 0 };
	int r = mu_link_open(t, o, &l, &e);

	cr_assert_eq(r, 0, "link to '%s' failed (%d): %s", t->name, r, e.msg);
	return l;
}

static void ping_once(struct mu_link *l, bool become, const char *user, json_t **hello)
{
	struct mu_agent *a = NULL;
	struct mu_err e = { 0 };
	json_t *t = task(1, "ping", "{}");
	json_t *reply = NULL;
	int r;

	r = mu_agent_start(l, become, user, &a, hello, &e);
	cr_assert_eq(r, 0, "agent start failed (%d): %s", r, e.msg);
	r = mu_agent_call(a, t, &reply, &e);
	cr_assert_eq(r, 0, "ping failed (%d): %s", r, e.msg);
	cr_assert_str_eq(status_of(reply), "ok");
	json_decref(reply);
	json_decref(t);
	mu_agent_stop(a);
}

static char *agent_file(const char *home_dir)
{
	static char p[512];
	char hex[65];
	struct mu_err e = { 0 };

	cr_assert_eq(mu_deploy_agent_id(MU_AGENT_BIN, hex, &e), 0, "%s", e.msg);
	snprintf(p, sizeof(p), "%s/.cache/muster/agent-%.16s", home_dir, hex);
	return p;
}

Test(transport, ssh_round_trip_and_reuse, .init = setup, .fini = teardown)
{
	struct mu_conn_opts o = opts();
	struct mu_target t = target();
	struct mu_link *l;
	json_t *hello = NULL;
	struct stat st, st2;
	unsigned long before = mu_deploy_upload_count();

	l = open_ok(&t, &o);
	cr_assert_eq(mu_link_port(l), PORT);
	ping_once(l, false, NULL, &hello);
	cr_assert_str_eq(json_string_value(json_object_get(hello, "type")), "hello");
	cr_assert_eq(json_integer_value(json_object_get(hello, "protocol")), 1);
	json_decref(hello);
	cr_assert_eq(mu_deploy_upload_count(), before + 1, "first start uploads");
	cr_assert_eq(stat(agent_file("/root"), &st), 0, "agent not at %s", agent_file("/root"));
	cr_assert_eq(st.st_mode & 07777, 0700);
	cr_assert_eq(stat("/root/.cache/muster", &st2), 0);
	cr_assert_eq(st2.st_mode & 07777, 0700);

	/* Same link, second agent; then a new link: no upload, file untouched. */
	ping_once(l, false, NULL, NULL);
	mu_link_close(l);
	l = open_ok(&t, &o);
	ping_once(l, true, NULL, NULL);
	mu_link_close(l);
	cr_assert_eq(mu_deploy_upload_count(), before + 1, "a deployed agent is reused");
	cr_assert_eq(stat(agent_file("/root"), &st2), 0);
	cr_assert_eq(st2.st_mtim.tv_sec, st.st_mtim.tv_sec);
	cr_assert_eq(st2.st_mtim.tv_nsec, st.st_mtim.tv_nsec);
}

Test(transport, agent_gets_ssh_port, .init = setup, .fini = teardown)
{
	struct mu_conn_opts o = opts();
	struct mu_target t = target();
	struct mu_link *l = open_ok(&t, &o);
	struct mu_agent *a = NULL;
	struct mu_err e = { 0 };
	json_t *tk = task(7, "shell", "{\"cmd\": \"cat /proc/$PPID/cmdline | tr '\\\\0' ' '\"}");
	json_t *reply = NULL;
	const char *out;

	cr_assert_eq(mu_agent_start(l, false, NULL, &a, NULL, &e), 0, "%s", e.msg);
	cr_assert_eq(mu_agent_call(a, tk, &reply, &e), 0, "%s", e.msg);
	out = json_string_value(json_object_get(json_object_get(reply, "data"), "stdout"));
	cr_assert_not_null(strstr(out, "--ssh-port 2222"), "agent argv: %s", out);
	json_decref(reply);
	json_decref(tk);
	mu_agent_stop(a);
	mu_link_close(l);
}

static void write_known_hosts_with_other_key(bool hashed)
{
	char *kh = in_dir("known_hosts");

	cr_assert_eq(tu_sh("printf '# managed by hand\\nother.example ' > '%s' && "
			   "cat '%s/stranger.pub' >> '%s' && "
			   "printf '[127.0.0.1]:%d ' >> '%s' && cat '%s/stranger.pub' >> '%s'",
			   kh, dir, kh, PORT, kh, dir, kh), 0);
	if (hashed)
		cr_assert_eq(tu_sh("ssh-keygen -q -H -f '%s' >/dev/null 2>&1", kh), 0);
}

static char *host_fingerprint(void)
{
	static char fp[128];
	char *text;

	cr_assert_eq(tu_sh("ssh-keygen -lf '%s/hostkey.pub' | cut -d' ' -f2 > '%s/fp'",
			   dir, dir), 0);
	text = tu_read(in_dir("fp"));
	cr_assert_not_null(text);
	snprintf(fp, sizeof(fp), "%s", text);
	free(text);
	fp[strcspn(fp, "\n")] = '\0';
	cr_assert_not_null(strstr(fp, "SHA256:"));
	return fp;
}

static void expect_changed_refused(void)
{
	struct mu_conn_opts o = opts();
	struct mu_target t = target();
	struct mu_link *l = NULL;
	struct mu_err e = { 0 };
	char where[600];

	/* accept-new must not matter: a changed key is never accepted. */
	o.accept_new_host_keys = true;
	cr_assert_eq(mu_link_open(&t, &o, &l, &e), MU_E_AUTH, "%s", e.msg);
	cr_assert_null(l);
	cr_assert_not_null(strstr(e.msg, "CHANGED"), "%s", e.msg);
	cr_assert_not_null(strstr(e.msg, host_fingerprint()), "no fingerprint in: %s", e.msg);
	snprintf(where, sizeof(where), "%s:3", in_dir("known_hosts"));
	cr_assert_not_null(strstr(e.msg, where), "no file:line in: %s", e.msg);
}

Test(transport, changed_host_key_refused, .init = setup, .fini = teardown)
{
	write_known_hosts_with_other_key(false);
	expect_changed_refused();
}

Test(transport, changed_hashed_host_key_refused, .init = setup, .fini = teardown)
{
	write_known_hosts_with_other_key(true);
	expect_changed_refused();
}

Test(transport, unknown_host_key, .init = setup, .fini = teardown)
{
	struct mu_conn_opts o = opts();
	struct mu_target t = target();
	struct mu_link *l = NULL;
	struct mu_err e = { 0 };
	char *text;

	o.known_hosts = in_dir("new/known_hosts");
	cr_assert_eq(mu_link_open(&t, &o, &l, &e), MU_E_AUTH, "%s", e.msg);
	cr_assert_not_null(strstr(e.msg, "unknown"), "%s", e.msg);
	cr_assert_not_null(strstr(e.msg, host_fingerprint()), "%s", e.msg);
	cr_assert_not_null(strstr(e.msg, "--accept-new-host-keys"), "%s", e.msg);
	cr_assert_null(tu_read(o.known_hosts), "refusing must not write known_hosts");

	o.accept_new_host_keys = true;
	l = open_ok(&t, &o);
	mu_link_close(l);
	text = tu_read(o.known_hosts);
	cr_assert_not_null(text);
	cr_assert_not_null(strstr(text, "[127.0.0.1]:2222 ssh-ed25519 "), "%s", text);
	free(text);

	/* Now known: strict mode accepts it. */
	o.accept_new_host_keys = false;
	l = open_ok(&t, &o);
	mu_link_close(l);
}

Test(transport, revoked_host_key_refused, .init = setup, .fini = teardown)
{
	struct mu_conn_opts o = opts();
	struct mu_target t = target();
	struct mu_link *l = NULL;
	struct mu_err e = { 0 };
	char where[600];

	/* libssh 0.10 ignores @revoked; we must not, even if the key is also
	 * listed as good and new keys may be accepted. */
	cr_assert_eq(tu_sh("printf '@revoked * ' >> '%s' && cat '%s/hostkey.pub' >> '%s'",
			   kh_path, dir, kh_path), 0);
	o.accept_new_host_keys = true;
	cr_assert_eq(mu_link_open(&t, &o, &l, &e), MU_E_AUTH, "%s", e.msg);
	cr_assert_not_null(strstr(e.msg, "REVOKED"), "%s", e.msg);
	snprintf(where, sizeof(where), "'%s:2'", kh_path);
	cr_assert_not_null(strstr(e.msg, where), "%s", e.msg);
	cr_assert_null(l);
}

Test(transport, unreachable_host_times_out, .init = setup, .fini = teardown)
{
	struct mu_conn_opts o = opts();
	struct mu_target t = { .name = "ghost", .address = "198.18.255.254", .port = 22 };
	struct mu_link *l = NULL;
	struct mu_err e = { 0 };
	int64_t t0;
	int64_t took;

	/* SYNs to 198.18.255.254 go out a veth whose peer drops them: a silent host. */
	cr_assert_eq(tu_sh("ip link add mu-void type veth peer name mu-void-peer && "
			   "ip addr add 198.18.0.1/15 dev mu-void && ip link set mu-void up && "
			   "ip link set mu-void-peer up && "
			   "ip neigh add 198.18.255.254 lladdr 02:00:00:00:00:01 dev mu-void"), 0);
	o.connect_timeout = 2;
	t0 = now_ms();
	cr_assert_eq(mu_link_open(&t, &o, &l, &e), MU_E_CONNECT, "%s", e.msg);
	took = now_ms() - t0;
	cr_assert_geq(took, 1500, "gave up too early: %lld ms", (long long)took);
	cr_assert_lt(took, 4000, "connect timeout not honoured: %lld ms", (long long)took);
	cr_assert_not_null(strstr(e.msg, "ghost"), "%s", e.msg);
	cr_assert_null(l);
}

Test(transport, refused_port_fails_fast, .init = setup, .fini = teardown)
{
	struct mu_conn_opts o = opts();
	struct mu_target t = { .name = "closed", .address = "127.0.0.1", .port = 2223 };
	struct mu_link *l = NULL;
	struct mu_err e = { 0 };
	int64_t t0 = now_ms();

	cr_assert_eq(mu_link_open(&t, &o, &l, &e), MU_E_CONNECT, "%s", e.msg);
	cr_assert_lt(now_ms() - t0, 1000);
	cr_assert_not_null(strstr(e.msg, "'closed' (127.0.0.1:2223)"), "%s", e.msg);
}

Test(transport, wrong_key_refused, .init = setup, .fini = teardown)
{
	struct mu_conn_opts o = opts();
	struct mu_target t = target();
	struct mu_link *l = NULL;
	struct mu_err e = { 0 };

	o.identity = in_dir("stranger");
	cr_assert_eq(mu_link_open(&t, &o, &l, &e), MU_E_AUTH, "%s", e.msg);
	cr_assert_not_null(strstr(e.msg, "refused"), "%s", e.msg);
	cr_assert_not_null(strstr(e.msg, in_dir("stranger")), "%s", e.msg);
}

Test(transport, task_timeout, .init = setup, .fini = teardown)
{
	struct mu_conn_opts o = opts();
	struct mu_target t = target();
	struct mu_link *l;
	struct mu_agent *a = NULL;
	struct mu_err e = { 0 };
	json_t *slow = task(1, "command", "{\"argv\": [\"sleep\", \"5\"]}");
	json_t *reply = NULL;
	int64_t t0;

	o.task_timeout = 1;
	l = open_ok(&t, &o);
	cr_assert_eq(mu_agent_start(l, false, NULL, &a, NULL, &e), 0, "%s", e.msg);
	t0 = now_ms();
	cr_assert_eq(mu_agent_call(a, slow, &reply, &e), MU_E_TIMEOUT, "%s", e.msg);
	cr_assert_lt(now_ms() - t0, 2500);
	cr_assert_str_eq(e.msg, "task on 'box' timed out after 1 s");
	cr_assert_null(reply);
	/* The agent is gone after a timeout; the link is still good. */
	cr_assert_eq(mu_agent_call(a, slow, &reply, &e), MU_E_EOF);
	mu_agent_stop(a);
	ping_once(l, false, NULL, NULL);
	json_decref(slow);
	mu_link_close(l);
}

Test(transport, agent_error_and_death, .init = setup, .fini = teardown)
{
	struct mu_conn_opts o = opts();
	struct mu_target t = target();
	struct mu_link *l = open_ok(&t, &o);
	struct mu_agent *a = NULL;
	struct mu_err e = { 0 };
	json_t *bogus = json_pack("{s:s}", "type", "bogus");
	json_t *suicide = task(2, "shell", "{\"cmd\": \"echo going >&2; kill -9 $PPID\"}");
	json_t *reply = NULL;

	/* An "error" message from the agent is MU_E_PROTO with its text. */
	cr_assert_eq(mu_agent_start(l, false, NULL, &a, NULL, &e), 0, "%s", e.msg);
	cr_assert_eq(mu_agent_call(a, bogus, &reply, &e), MU_E_PROTO, "%s", e.msg);
	cr_assert_not_null(strstr(e.msg, "unknown message type 'bogus'"), "%s", e.msg);
	mu_agent_stop(a);

	/* An agent that dies mid-task is MU_E_EOF naming the host. */
	cr_assert_eq(mu_agent_start(l, false, NULL, &a, NULL, &e), 0, "%s", e.msg);
	cr_assert_eq(mu_agent_call(a, suicide, &reply, &e), MU_E_EOF, "%s", e.msg);
	cr_assert_not_null(strstr(e.msg, "agent on 'box'"), "%s", e.msg);
	mu_agent_stop(a);
	json_decref(bogus);
	json_decref(suicide);
	mu_link_close(l);
}

Test(transport, connection_drop_mid_task, .init = setup, .fini = teardown)
{
	struct mu_conn_opts o = opts();
	struct mu_target t = target();
	struct mu_link *l = open_ok(&t, &o);
	struct mu_agent *a = NULL;
	struct mu_err e = { 0 };
	/* Kill the sshd process serving this connection: the TCP link dies. */
	json_t *drop = task(3, "shell", "{\"cmd\": \"kill -9 $(cut -d' ' -f4 /proc/$PPID/stat); sleep 5\"}");
	json_t *reply = NULL;
	int64_t t0;
	int r;

	cr_assert_eq(mu_agent_start(l, false, NULL, &a, NULL, &e), 0, "%s", e.msg);
	t0 = now_ms();
	r = mu_agent_call(a, drop, &reply, &e);
	cr_assert(r == MU_E_CONNECT || r == MU_E_EOF, "got %d: %s", r, e.msg);
	cr_assert_lt(now_ms() - t0, 3000, "a dropped host must not stall");
	cr_assert_not_null(strstr(e.msg, "box"), "%s", e.msg);
	mu_agent_stop(a);
	/* The link is dead: starting another agent fails cleanly. */
	cr_assert_neq(mu_agent_start(l, false, NULL, &a, NULL, &e), 0);
	json_decref(drop);
	mu_link_close(l);
}

Test(transport, ssh_config_alias_and_proxyjump, .init = setup, .fini = teardown)
{
	struct mu_conn_opts o = opts();
	struct mu_target t = { .name = "viajump", .address = "viajump" };
	struct mu_target t2 = { .name = "alias", .address = "alias" };
	struct mu_link *l;
	char cfg[2048];

	snprintf(cfg, sizeof(cfg),
		 "Host alias viajump\n"
		 "  HostName 127.0.0.1\n"
		 "  Port %d\n"
		 "  User root\n"
		 "Host viajump\n"
		 "  ProxyJump root@127.0.0.1:%d\n"
		 "Host *\n"
		 "  IdentityFile %s/id_ed25519\n"
		 "  UserKnownHostsFile %s/known_hosts\n",
		 PORT, PORT, dir, dir);
	tu_write(in_dir("ssh_config"), cfg);
	o.ssh_config = in_dir("ssh_config");
	o.identity = NULL;
	o.known_hosts = NULL;

	l = open_ok(&t2, &o);
	cr_assert_eq(mu_link_port(l), PORT);
	ping_once(l, false, NULL, NULL);
	mu_link_close(l);

	l = open_ok(&t, &o);
	ping_once(l, false, NULL, NULL);
	mu_link_close(l);
}

Test(transport, local_round_trip)
{
	struct mu_conn_opts o = { .agent_path = MU_AGENT_BIN };
	struct mu_target t = { .name = "localhost", .local = true };
	struct mu_link *l = open_ok(&t, &o);
	json_t *hello = NULL;

	cr_assert_eq(mu_link_port(l), 0);
	ping_once(l, false, NULL, &hello);
	cr_assert_eq(json_integer_value(json_object_get(hello, "pid")) > 0, true);
	json_decref(hello);
	/* become root while root: no sudo involved, same result. */
	ping_once(l, true, NULL, &hello);
	cr_assert_eq(json_integer_value(json_object_get(hello, "euid")), 0);
	json_decref(hello);
	mu_link_close(l);
}

Test(transport, local_task_timeout)
{
	struct mu_conn_opts o = { .agent_path = MU_AGENT_BIN, .task_timeout = 1 };
	struct mu_target t = { .name = "localhost", .local = true };
	struct mu_link *l = open_ok(&t, &o);
	struct mu_agent *a = NULL;
	struct mu_err e = { 0 };
	char *pidfile = tu_tmpdir();
	char args[512];
	json_t *slow;
	json_t *reply = NULL;
	int64_t t0;
	char *pid;
	bool gone = false;

	snprintf(args, sizeof(args), "{\"cmd\": \"echo $$ > %s/pid; exec sleep 30\"}", pidfile);
	slow = task(1, "shell", args);
	cr_assert_eq(mu_agent_start(l, false, NULL, &a, NULL, &e), 0, "%s", e.msg);
	t0 = now_ms();
	cr_assert_eq(mu_agent_call(a, slow, &reply, &e), MU_E_TIMEOUT, "%s", e.msg);
	mu_agent_stop(a);
	cr_assert_lt(now_ms() - t0, 1800, "a timed-out local agent is killed, not waited for");
	/* ... and the program it was running goes with it. */
	snprintf(args, sizeof(args), "%s/pid", pidfile);
	pid = tu_read(args);
	cr_assert_not_null(pid);
	for (int i = 0; i < 100 && !gone; i++) {
		/* Gone, or a zombie waiting for whatever init this machine has. */
		gone = kill(atoi(pid), 0) != 0 ||
			tu_sh("grep -q '^[0-9]* ([^)]*) Z' /proc/%d/stat", atoi(pid)) == 0;
		if (!gone)
			usleep(10000);
	}
	cr_assert(gone, "the task's process %d survived", atoi(pid));
	free(pid);
	json_decref(slow);
	mu_link_close(l);
}

Test(transport, local_missing_agent)
{
	struct mu_conn_opts o = { .agent_path = "/nonexistent/muster-agent" };
	struct mu_target t = { .name = "localhost", .local = true };
	struct mu_link *l = open_ok(&t, &o);
	struct mu_agent *a = NULL;
	struct mu_err e = { 0 };

	cr_assert_neq(mu_agent_start(l, false, NULL, &a, NULL, &e), 0);
	cr_assert_not_null(strstr(e.msg, "/nonexistent/muster-agent"), "%s", e.msg);
	cr_assert_null(a);
	mu_link_close(l);
}

/*
 * A login user 'mu1' whose sudo rule wants a password. /etc is an overlay
 * in this test's mount namespace, so the user and the sudoers file exist
 * only here; sudo's syslog and mail are off so nothing leaves it.
 */
static void add_sudo_user(void)
{
	/* In the sandbox's private /tmp, but not in a dir removed at exit:
	 * a test that drops to mu1 could not remove these root-owned files. */
	cr_assert_eq(tu_sh("mkdir -p /tmp/mu-etc/upper /tmp/mu-etc/work && "
			   "mount -t overlay mu-etc -o lowerdir=/etc,upperdir=/tmp/mu-etc/upper,"
			   "workdir=/tmp/mu-etc/work /etc"), 0);
	cr_assert_eq(tu_sh("echo 'mu1:x:4242:4242::/home/mu1:/bin/sh' >> /etc/passwd && "
			   "echo 'mu1:x:4242:' >> /etc/group && "
			   "echo \"mu1:$(openssl passwd -6 right-pw):19000:0:99999:7:::\" >> /etc/shadow && "
			   "mkdir -p /home/mu1 && chown 4242:4242 /home/mu1 && "
			   "printf 'Defaults !syslog, !lecture, !mail_badpass, !use_pty\\n"
			   "mu1 ALL=(ALL) ALL\\n' > /etc/sudoers.d/mu1 && "
			   "chmod 0440 /etc/sudoers.d/mu1"), 0);
}

Test(transport, sudo_password, .init = setup, .fini = teardown)
{
	struct mu_conn_opts o = opts();
	struct mu_target t = target();
	struct mu_link *l;
	struct mu_agent *a = NULL;
	struct mu_err e = { 0 };
	json_t *hello = NULL;

	add_sudo_user();
	t.user = "mu1";

	/* Without a password: a clear error, not a hang. */
	l = open_ok(&t, &o);
	ping_once(l, false, NULL, &hello);
	cr_assert_eq(json_integer_value(json_object_get(hello, "euid")), 4242);
	json_decref(hello);
	cr_assert_eq(mu_agent_start(l, true, NULL, &a, NULL, &e), MU_E_AUTH, "%s", e.msg);
	cr_assert_str_eq(e.msg, "sudo requires a password on 'box': use --ask-become-pass "
			 "or configure NOPASSWD");
	mu_link_close(l);

	/* A wrong password is refused, and never shows up in the message. */
	o.become_pass = "wrong-pw";
	l = open_ok(&t, &o);
	cr_assert_eq(mu_agent_start(l, true, NULL, &a, NULL, &e), MU_E_AUTH, "%s", e.msg);
	cr_assert_str_eq(e.msg, "sudo refused the become password on 'box'");
	mu_link_close(l);

	/* The right one: the agent (deployed into root's home) runs as root. */
	o.become_pass = "right-pw";
	l = open_ok(&t, &o);
	ping_once(l, true, NULL, &hello);
	cr_assert_eq(json_integer_value(json_object_get(hello, "euid")), 0);
	json_decref(hello);
	mu_link_close(l);
	cr_assert_eq(access(agent_file("/root"), X_OK), 0);
	cr_assert_eq(access(agent_file("/home/mu1"), X_OK), 0);
}

Test(transport, become_other_user, .init = setup, .fini = teardown)
{
	struct mu_conn_opts o = opts();
	struct mu_target t = target();
	struct mu_link *l;
	json_t *hello = NULL;

	/* root logs in and becomes mu1: sudo -n works for root, and the agent
	 * is installed in mu1's own home, where mu1 can run it. */
	add_sudo_user();
	l = open_ok(&t, &o);
	ping_once(l, true, "mu1", &hello);
	cr_assert_eq(json_integer_value(json_object_get(hello, "euid")), 4242);
	json_decref(hello);
	mu_link_close(l);
	cr_assert_eq(access(agent_file("/home/mu1"), X_OK), 0);
}

static void setup_no_sshd(void)
{
	tu_sandbox((const char *[]){ "/root", "/home", "/run", "/var/log", "/var/lib", NULL });
}

Test(transport, local_sudo_as_unprivileged_user, .init = setup_no_sshd)
{
	struct mu_conn_opts o = { .agent_path = MU_AGENT_BIN };
	struct mu_target t = { .name = "localhost", .local = true };
	struct mu_link *l;
	struct mu_agent *a = NULL;
	struct mu_err e = { 0 };
	json_t *hello = NULL;

	add_sudo_user();
	/* From here on this test process is mu1, for good. */
	cr_assert_eq(setgroups(0, NULL), 0);
	cr_assert_eq(setresgid(4242, 4242, 4242), 0);
	cr_assert_eq(setresuid(4242, 4242, 4242), 0);
	setenv("HOME", "/home/mu1", 1);

	l = open_ok(&t, &o);
	ping_once(l, false, NULL, &hello);
	cr_assert_eq(json_integer_value(json_object_get(hello, "euid")), 4242);
	json_decref(hello);
	cr_assert_eq(mu_agent_start(l, true, NULL, &a, NULL, &e), MU_E_AUTH, "%s", e.msg);
	cr_assert_str_eq(e.msg, "sudo requires a password on 'localhost': use "
			 "--ask-become-pass or configure NOPASSWD");
	mu_link_close(l);

	o.become_pass = "right-pw";
	l = open_ok(&t, &o);
	ping_once(l, true, NULL, &hello);
	cr_assert_eq(json_integer_value(json_object_get(hello, "euid")), 0);
	json_decref(hello);
	mu_link_close(l);
}

Test(transport, ssh_agent_keys, .init = setup, .fini = teardown)
{
	struct mu_conn_opts o = opts();
	struct mu_target t = target();
	struct mu_link *l = NULL;
	struct mu_err e = { 0 };
	pid_t agent;
	char sock[512];

	/* No key files at all (HOME is the empty hidden /root). */
	o.identity = NULL;
	cr_assert_eq(mu_link_open(&t, &o, &l, &e), MU_E_AUTH, "%s", e.msg);
	cr_assert_not_null(strstr(e.msg, "no keys"), "%s", e.msg);

	snprintf(sock, sizeof(sock), "%s/agent.sock", dir);
	agent = fork();
	cr_assert_geq(agent, 0);
	if (agent == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(126);
		execlp("ssh-agent", "ssh-agent", "-D", "-a", sock, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && access(sock, F_OK) != 0; i++)
		usleep(10000);
	setenv("SSH_AUTH_SOCK", sock, 1);
	cr_assert_eq(tu_sh("ssh-add -q '%s/id_ed25519' 2>/dev/null", dir), 0);
	l = open_ok(&t, &o);
	ping_once(l, false, NULL, NULL);
	mu_link_close(l);
	kill(agent, SIGTERM);
	waitpid(agent, NULL, 0);
}

Test(transport, passphrase_key_is_not_prompted_for, .init = setup, .fini = teardown)
{
	struct mu_conn_opts o = opts();
	struct mu_target t = target();
	struct mu_link *l = NULL;
	struct mu_err e = { 0 };

	cr_assert_eq(tu_sh("ssh-keygen -q -t ed25519 -N secret -f '%s/locked' && "
			   "cat '%s/locked.pub' >> '%s/authorized_keys'", dir, dir, dir), 0);
	o.identity = in_dir("locked");
	cr_assert_eq(mu_link_open(&t, &o, &l, &e), MU_E_AUTH, "%s", e.msg);
	cr_assert_not_null(strstr(e.msg, "passphrase must be in ssh-agent"), "%s", e.msg);
}

struct par {
	struct mu_conn_opts o;
	int rc;
	char msg[512];
};

static void *par_host(void *arg)
{
	struct par *p = arg;
	struct mu_target t = target();
	struct mu_link *l = NULL;
	struct mu_agent *a = NULL;
	struct mu_err e = { 0 };
	json_t *tk = task(1, "ping", "{}");
	json_t *reply = NULL;

	p->rc = mu_link_open(&t, &p->o, &l, &e);
	if (!p->rc)
		p->rc = mu_agent_start(l, false, NULL, &a, NULL, &e);
	if (!p->rc)
		p->rc = mu_agent_call(a, tk, &reply, &e);
	snprintf(p->msg, sizeof(p->msg), "%s", e.msg);
	json_decref(reply);
	json_decref(tk);
	mu_agent_stop(a);
	mu_link_close(l);
	return NULL;
}

Test(transport, parallel_links_first_deploy_and_accept_new, .init = setup, .fini = teardown)
{
	enum { N = 4 };
	struct par p[N];
	pthread_t th[N];
	char *text;
	char fresh[512];
	int lines = 0;

	snprintf(fresh, sizeof(fresh), "%s/fresh_known_hosts", dir);

	/* Four threads race to add the same new host key and to deploy. */
	for (int i = 0; i < N; i++) {
		p[i].o = opts();
		p[i].o.known_hosts = fresh;
		p[i].o.accept_new_host_keys = true;
		cr_assert_eq(pthread_create(&th[i], NULL, par_host, &p[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		cr_expect_eq(p[i].rc, 0, "thread %d: %s", i, p[i].msg);
	}
	text = tu_read(fresh);
	cr_assert_not_null(text);
	for (char *c = text; *c; c++)
		lines += *c == '\n';
	cr_assert_eq(lines, 1, "one entry, not one per thread:\n%s", text);
	free(text);
	cr_assert_eq(tu_sh("ls -A /root/.cache/muster | grep -q '^\\.agent'"), 1,
		     "a temp file was left behind");
}

Test(transport, chatty_login_shell, .init = setup, .fini = teardown)
{
	struct mu_conn_opts o = opts();
	struct mu_target t = target();
	struct mu_link *l;

	/* Debian's bash reads ~/.bashrc under sshd even for commands. */
	add_sudo_user();
	cr_assert_eq(tu_sh("sed -i '/^mu1:/s|/bin/sh$|/bin/bash|' /etc/passwd && "
			   "printf 'echo welcome to mu1\\necho \"(motd)\"\\n' > /home/mu1/.bashrc"), 0);
	t.user = "mu1";
	l = open_ok(&t, &o);
	ping_once(l, false, NULL, NULL);
	ping_once(l, false, NULL, NULL);
	mu_link_close(l);
}
