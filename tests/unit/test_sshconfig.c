/*
 * ssh_config parsing, known_hosts scanning, and the deploy helpers (shell
 * quoting, the start and upload scripts run by a real /bin/sh in a temp
 * $HOME). Everything stays in temp dirs: HOME is pointed at one per test.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy.h"
#include "sha256.h"
#include "ssh_config.h"
#include "ssh_knownhosts.h"
#include "testutil.h"

static char home[256];

static void fresh_home(void)
{
	snprintf(home, sizeof(home), "%s", tu_tmpdir());
	setenv("HOME", home, 1);
	cr_assert_eq(tu_sh("mkdir -p '%s/.ssh'", home), 0);
}

static char *path_in_home(const char *name)
{
	static char p[8][512];
	static int i;
	char *s = p[i++ % 8];

	snprintf(s, 512, "%s/%s", home, name);
	return s;
}

static void resolve_ok(const char *cfg, const char *host, const char *user, int port,
		       struct mu_ssh_host *h)
{
	struct mu_err e = { 0 };
	int r = mu_ssh_config_resolve(cfg, host, user, port, h, &e);

	cr_assert_eq(r, 0, "resolve '%s': %s", host, e.msg);
}

Test(sshconfig, glob_and_lists)
{
	cr_assert(mu_ssh_glob("*.example.com", 13, "web1.example.com"));
	cr_assert(mu_ssh_glob("WEB?", 4, "web1"));
	cr_assert(!mu_ssh_glob("web?", 4, "web10"));
	cr_assert(mu_ssh_glob("*", 1, ""));
	cr_assert(mu_ssh_glob("a*b*c", 5, "aXXbYYc"));
	cr_assert(!mu_ssh_glob("a*b*c", 5, "aXXbYY"));
	cr_assert_eq(mu_ssh_match_list("web*,db*", ",", "db2"), 1);
	cr_assert_eq(mu_ssh_match_list("web*,!web3", ",", "web3"), -1);
	cr_assert_eq(mu_ssh_match_list("web*,!web3", ",", "web4"), 1);
	cr_assert_eq(mu_ssh_match_list("web*", ",", "db1"), 0);
}

Test(sshconfig, host_blocks_first_value_wins)
{
	struct mu_ssh_host h;

	fresh_home();
	tu_write(path_in_home("cfg"),
		 "# comment\n"
		 "Host web1 web2\n"
		 "    HostName 198.18.0.10\n"
		 "    User deploy\n"
		 "    Port 2222\n"
		 "    IdentityFile ~/.ssh/web_key\n"
		 "Host web*\n"
		 "    User other\n"
		 "    Port 3333\n"
		 "    IdentityFile ~/.ssh/second\n"
		 "    ConnectTimeout 4\n"
		 "Host *\n"
		 "    IdentityFile ~/.ssh/web_key\n"
		 "    StrictHostKeyChecking yes\n");
	resolve_ok(path_in_home("cfg"), "web2", NULL, 0, &h);
	cr_assert_str_eq(h.hostname, "198.18.0.10");
	cr_assert_str_eq(h.user, "deploy");
	cr_assert_eq(h.port, 2222);
	cr_assert_eq(h.n_identity, 2, "duplicates are dropped, order kept");
	cr_assert_str_eq(h.identity[0], path_in_home(".ssh/web_key"));
	cr_assert_str_eq(h.identity[1], path_in_home(".ssh/second"));
	cr_assert_eq(h.connect_timeout, 4);
	cr_assert_eq(h.strict, MU_SSH_STRICT_YES);
	cr_assert_null(h.proxy_jump);
	mu_ssh_host_release(&h);

	/* The inventory's user and port win, as -l and -p do for ssh. */
	resolve_ok(path_in_home("cfg"), "web1", "alice", 2022, &h);
	cr_assert_str_eq(h.user, "alice");
	cr_assert_eq(h.port, 2022);
	mu_ssh_host_release(&h);

	/* A host no block names keeps its name and the defaults. */
	resolve_ok(path_in_home("cfg"), "db1", NULL, 0, &h);
	cr_assert_str_eq(h.hostname, "db1");
	cr_assert_eq(h.port, 22);
	cr_assert_eq(h.n_identity, 1);
	cr_assert_not_null(h.user);
	mu_ssh_host_release(&h);
}

Test(sshconfig, negation_and_equals_and_quotes)
{
	struct mu_ssh_host h;

	fresh_home();
	tu_write(path_in_home("cfg"),
		 "Host * !bastion\n"
		 "  ProxyJump=jump@bastion:2200\n"
		 "Host bastion\n"
		 "  ProxyJump none\n"
		 "Host *\n"
		 "  IdentityFile \"/keys/with space\"\n"
		 "  UserKnownHostsFile ~/kh1 ~/kh2\n"
		 "  GlobalKnownHostsFile none\n"
		 "  IdentitiesOnly yes\n"
		 "  StrictHostKeyChecking accept-new\n");
	resolve_ok(path_in_home("cfg"), "app", NULL, 0, &h);
	cr_assert_str_eq(h.global_known_hosts, "/dev/null");
	cr_assert(h.identities_only);
	cr_assert_str_eq(h.proxy_jump, "jump@bastion:2200");
	cr_assert_str_eq(h.identity[0], "/keys/with space");
	cr_assert_str_eq(h.known_hosts, path_in_home("kh1"));
	cr_assert_eq(h.strict, MU_SSH_STRICT_ACCEPT_NEW);
	mu_ssh_host_release(&h);

	resolve_ok(path_in_home("cfg"), "bastion", NULL, 0, &h);
	cr_assert_null(h.proxy_jump, "negated pattern must not apply; 'none' disables");
	mu_ssh_host_release(&h);
}

Test(sshconfig, tokens)
{
	struct mu_ssh_host h;

	fresh_home();
	tu_write(path_in_home("cfg"),
		 "Host db?\n"
		 "  HostName %h.internal\n"
		 "  User pg\n"
		 "  Port 2201\n"
		 "  IdentityFile %d/.ssh/id_%h_%r_%p\n"
		 "  IdentityFile ~/.ssh/%n%%\n"
		 "  UserKnownHostsFile ~/.ssh/kh_%h\n");
	resolve_ok(path_in_home("cfg"), "db1", NULL, 0, &h);
	cr_assert_str_eq(h.hostname, "db1.internal");
	cr_assert_str_eq(h.identity[0], path_in_home(".ssh/id_db1.internal_pg_2201"));
	cr_assert_str_eq(h.identity[1], path_in_home(".ssh/db1%"));
	cr_assert_str_eq(h.known_hosts, path_in_home(".ssh/kh_db1.internal"));
	mu_ssh_host_release(&h);
}

Test(sshconfig, include_and_match)
{
	struct mu_ssh_host h;

	fresh_home();
	cr_assert_eq(tu_sh("mkdir -p '%s/.ssh/conf.d'", home), 0);
	tu_write(path_in_home(".ssh/conf.d/10-web.conf"),
		 "Host web*\n  Port 2210\n");
	tu_write(path_in_home(".ssh/conf.d/20-all.conf"),
		 "Host *\n  User fromdir\n");
	tu_write(path_in_home(".ssh/config"),
		 "Include conf.d/*.conf\n"
		 "Match host web* user fromdir\n"
		 "  IdentityFile ~/.ssh/matched\n"
		 "Match exec \"true\"\n"
		 "  IdentityFile ~/.ssh/never\n"
		 "Match !host db*\n"
		 "  HostName negated.example\n");
	/* NULL: the default user file (and the system one, if any). */
	resolve_ok(NULL, "web7", NULL, 0, &h);
	cr_assert_eq(h.port, 2210);
	cr_assert_str_eq(h.user, "fromdir");
	cr_assert_geq(h.n_identity, 1);
	cr_assert_str_eq(h.identity[0], path_in_home(".ssh/matched"));
	for (size_t i = 0; i < h.n_identity; i++)
		cr_assert_null(strstr(h.identity[i], "never"), "Match exec must not apply");
	cr_assert_str_eq(h.hostname, "negated.example");
	mu_ssh_host_release(&h);

	/* "" means no config at all, not even the default file. */
	resolve_ok("", "web7", NULL, 0, &h);
	cr_assert_eq(h.port, 22);
	cr_assert_str_eq(h.hostname, "web7");
	cr_assert_eq(h.n_identity, 0);
	mu_ssh_host_release(&h);
}

Test(sshconfig, errors_name_file_and_line)
{
	struct mu_ssh_host h;
	struct mu_err e = { 0 };
	char want[600];

	fresh_home();
	tu_write(path_in_home("bad"), "Host a\n  User x\n  Port 70000\n");
	cr_assert_eq(mu_ssh_config_resolve(path_in_home("bad"), "a", NULL, 0, &h, &e),
		     MU_E_PARSE);
	snprintf(want, sizeof(want), "%s:3: bad port '70000'", path_in_home("bad"));
	cr_assert_str_eq(e.msg, want);

	tu_write(path_in_home("bad2"), "Host a\n  IdentityFile \"/unterminated\n");
	cr_assert_eq(mu_ssh_config_resolve(path_in_home("bad2"), "a", NULL, 0, &h, &e),
		     MU_E_PARSE);
	cr_assert(strstr(e.msg, ":2: unterminated quote"), "%s", e.msg);

	tu_write(path_in_home("bad3"), "Match colour blue\n");
	cr_assert_eq(mu_ssh_config_resolve(path_in_home("bad3"), "a", NULL, 0, &h, &e),
		     MU_E_PARSE);
	cr_assert(strstr(e.msg, "unsupported 'Match' criterion 'colour'"), "%s", e.msg);

	cr_assert_eq(mu_ssh_config_resolve(path_in_home("missing"), "a", NULL, 0, &h, &e),
		     MU_E_SYS);
	cr_assert(strstr(e.msg, "cannot read ssh config"), "%s", e.msg);
}

static const char *KEY_A =
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKh4TVYfP3x0UqS3dDbNm5mdg0rn6LiMLtyBOIwVkyt9";
static const char *KEY_B =
	"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDK";

Test(knownhosts, plain_port_lists_patterns)
{
	struct mu_kh_entry ent[4];
	struct mu_err e = { 0 };
	char *kh;
	char buf[2048];

	fresh_home();
	kh = path_in_home("known_hosts");
	snprintf(buf, sizeof(buf),
		 "# a comment\n"
		 "\n"
		 "other.example %s\n"
		 "web1,198.18.0.10 %s\n"
		 "[198.18.0.10]:2222 %s\n"
		 "@revoked web1 %s\n"
		 "*.lab,!secret.lab %s\n",
		 KEY_A, KEY_A, KEY_B, KEY_B, KEY_A);
	tu_write(kh, buf);
	cr_assert_eq(mu_known_hosts_find(kh, "198.18.0.10", 22, ent, 4, &e), 1);
	cr_assert_eq(ent[0].line, 4);
	cr_assert_str_eq(ent[0].keytype, "ssh-ed25519");
	cr_assert_eq(mu_known_hosts_find(kh, "198.18.0.10", 2222, ent, 4, &e), 1);
	cr_assert_eq(ent[0].line, 5);
	cr_assert_str_eq(ent[0].keytype, "ssh-rsa");
	cr_assert_eq(mu_known_hosts_find(kh, "WEB1", 22, ent, 4, &e), 1,
		     "names are case-insensitive; @revoked lines are skipped");
	cr_assert_eq(mu_known_hosts_find(kh, "box.lab", 22, ent, 4, &e), 1);
	cr_assert_eq(ent[0].line, 7);
	cr_assert_eq(mu_known_hosts_find(kh, "secret.lab", 22, ent, 4, &e), 0);
	cr_assert_eq(mu_known_hosts_find(kh, "nowhere", 22, ent, 4, &e), 0);
	cr_assert_eq(mu_known_hosts_find(path_in_home("absent"), "web1", 22, ent, 4, &e), 0);
}

Test(knownhosts, revoked)
{
	struct mu_err e = { 0 };
	char *kh;
	char buf[2048];
	const char *blob_a = strchr(KEY_A, ' ') + 1;
	const char *blob_b = strchr(KEY_B, ' ') + 1;

	fresh_home();
	kh = path_in_home("known_hosts");
	snprintf(buf, sizeof(buf), "web1 %s\n@revoked * %s\n@revoked web2 %s\n",
		 KEY_A, KEY_A, KEY_B);
	tu_write(kh, buf);
	cr_assert_eq(mu_known_hosts_revoked(kh, "web1", 22, blob_a, &e), 2,
		     "'*' revokes the key for every host");
	cr_assert_eq(mu_known_hosts_revoked(kh, "web2", 22, blob_b, &e), 3);
	cr_assert_eq(mu_known_hosts_revoked(kh, "web1", 22, blob_b, &e), 0,
		     "revoked for web2 only");
	cr_assert_eq(mu_known_hosts_revoked(path_in_home("none"), "web1", 22, blob_a, &e), 0);
}

Test(knownhosts, hashed_entries)
{
	struct mu_kh_entry ent[4];
	struct mu_err e = { 0 };
	char *kh;
	char buf[2048];
	char *text;

	fresh_home();
	kh = path_in_home("known_hosts");
	snprintf(buf, sizeof(buf), "first.example %s\n[198.18.0.20]:2200 %s\nweb9 %s\n",
		 KEY_A, KEY_A, KEY_B);
	tu_write(kh, buf);
	/* ssh-keygen -H hashes every name in place (and keeps a .old copy). */
	cr_assert_eq(tu_sh("ssh-keygen -q -H -f '%s' >/dev/null 2>&1", kh), 0);
	text = tu_read(kh);
	cr_assert_null(strstr(text, "web9"), "file should be hashed: %s", text);
	cr_assert_not_null(strstr(text, "|1|"));
	free(text);
	cr_assert_eq(mu_known_hosts_find(kh, "198.18.0.20", 2200, ent, 4, &e), 1);
	cr_assert_eq(ent[0].line, 2);
	cr_assert_eq(mu_known_hosts_find(kh, "web9", 22, ent, 4, &e), 1);
	cr_assert_eq(ent[0].line, 3);
	cr_assert_str_eq(ent[0].keytype, "ssh-rsa");
	cr_assert_eq(mu_known_hosts_find(kh, "198.18.0.20", 22, ent, 4, &e), 0,
		     "the port is part of the hashed name");
}

Test(deploy, sha256_and_quoting)
{
	char hex[65];
	struct mu_buf b = MU_BUF_INIT;

	cr_assert_eq(mu_sha256_hex("abc", 3, hex), 0);
	cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	mu_sh_quote(&b, "it's $HOME");
	cr_assert_str_eq(b.buf, "'it'\\''s $HOME'");
	mu_buf_reset(&b);
	mu_deploy_sudo_prefix(&b, "de'ploy", NULL);
	cr_assert_str_eq(b.buf, "sudo -n -H -u 'de'\\''ploy' -- ");
	mu_buf_release(&b);
}

/* Run the start script the way sshd would: through a login shell. */
static int run_start(const char *hex, const char *out)
{
	struct mu_buf cmd = MU_BUF_INIT;
	int rc;

	mu_deploy_start_cmd(&cmd, hex, 2222, 0);
	rc = tu_sh("%s > '%s' 2>&1", cmd.buf, out);
	mu_buf_release(&cmd);
	return rc;
}

Test(deploy, start_and_upload_scripts)
{
	char hex[65];
	struct mu_err e = { 0 };
	struct mu_buf cmd = MU_BUF_INIT;
	char *agent, *out, *text;
	struct stat st;

	fresh_home();
	agent = path_in_home("fake-agent");
	out = path_in_home("out");
	tu_write(agent, "#!/bin/sh\necho \"fake agent $*\"\n");
	cr_assert_eq(mu_sha256_file(agent, hex, &e), 0, "%s", e.msg);

	cr_assert_eq(run_start(hex, out), MU_DEPLOY_MISSING);

	/* Upload: the script reads the binary from stdin after saying ready. */
	mu_deploy_upload_cmd(&cmd, hex);
	cr_assert_eq(tu_sh("%s < '%s' > '%s' 2>&1", cmd.buf, agent, out), 0);
	text = tu_read(out);
	cr_assert_str_eq(text, MU_DEPLOY_READY "\n");
	free(text);
	cr_assert_eq(stat(path_in_home(".cache/muster"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0700);
	{
		char name[512];

		snprintf(name, sizeof(name), "%s/.cache/muster/agent-%.16s", home, hex);
		cr_assert_eq(stat(name, &st), 0, "agent not installed at %s", name);
		cr_assert_eq(st.st_mode & 07777, 0700);
	}
	cr_assert_eq(run_start(hex, out), 0);
	text = tu_read(out);
	cr_assert_str_eq(text, "fake agent --ssh-port 2222\n");
	free(text);

	/* A corrupted upload is refused and leaves no temp file behind. */
	tu_write(path_in_home("corrupt"), "not the agent\n");
	cr_assert_eq(tu_sh("%s < '%s' > /dev/null 2>&1", cmd.buf, path_in_home("corrupt")), 93);
	cr_assert_eq(tu_sh("ls -A '%s/.cache/muster' | grep -q '^\\.agent'", home), 1,
		     "temp file left behind");
	cr_assert_str_eq(mu_deploy_upload_error(93),
			 "the uploaded agent's sha256 does not match: upload corrupted");
	mu_buf_release(&cmd);
}

Test(deploy, agent_id_is_cached)
{
	char a[65], b[65];
	struct mu_err e = { 0 };
	char *p;

	fresh_home();
	p = path_in_home("bin");
	tu_write(p, "one");
	cr_assert_eq(mu_deploy_agent_id(p, a, &e), 0);
	tu_write(p, "two");
	cr_assert_eq(mu_deploy_agent_id(p, b, &e), 0);
	cr_assert_str_eq(a, b, "the hash is computed once per process");
	cr_assert_eq(mu_deploy_agent_id(path_in_home("nope"), b, &e), MU_E_SYS);
}
