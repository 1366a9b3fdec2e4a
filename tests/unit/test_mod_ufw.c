/*
 * ufw: tuples read from ufw's own files, ufw run for real inside a private
 * network namespace (its own iptables) with /etc/ufw, /etc/default/ufw and
 * /run replaced by pristine copies of the packaged files, and the SSH
 * lockout guard.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mu_buf.h"
#include "testutil.h"
#include "ufw_rule.h"

#define SANDBOX "/tmp/mu-ufw"

static const char defaults_file[] =
	"IPV6=yes\n"
	"DEFAULT_INPUT_POLICY=\"DROP\"\n"
	"DEFAULT_OUTPUT_POLICY=\"ACCEPT\"\n"
	"DEFAULT_FORWARD_POLICY=\"DROP\"\n"
	"DEFAULT_APPLICATION_POLICY=\"SKIP\"\n"
	"MANAGE_BUILTINS=no\n"
	"IPT_SYSCTL=/etc/ufw/sysctl.conf\n"
	"IPT_MODULES=\"\"\n";

/*
 * Private namespaces, then ufw's writable state swapped for the packaged
 * defaults: every ufw file this test touches is a copy in the private /tmp.
 */
static void ufw_sandbox(void)
{
	if (access("/usr/sbin/ufw", X_OK) != 0 || access("/usr/share/ufw/iptables", R_OK) != 0)
		cr_skip_test("ufw is not installed");
	tu_sandbox(NULL);
	cr_assert_eq(tu_sh("set -e; mkdir -p " SANDBOX "/etc; "
			   "cp /usr/share/ufw/iptables/*.rules " SANDBOX "/etc/; "
			   "cp /usr/share/ufw/before.init /usr/share/ufw/after.init "
			   "/usr/share/ufw/ufw.conf " SANDBOX "/etc/; "
			   "if [ -f /etc/ufw/sysctl.conf ]; then cp /etc/ufw/sysctl.conf " SANDBOX "/etc/; fi; "
			   "mkdir -p " SANDBOX "/etc/applications.d; "
			   "chmod 0640 " SANDBOX "/etc/*.rules"), 0);
	tu_write(SANDBOX "/default-ufw", defaults_file);
	cr_assert_eq(mount(SANDBOX "/etc", "/etc/ufw", NULL, MS_BIND, NULL), 0,
		     "bind /etc/ufw: %s", strerror(errno));
	cr_assert_eq(mount(SANDBOX "/default-ufw", "/etc/default/ufw", NULL, MS_BIND, NULL), 0,
		     "bind /etc/default/ufw: %s", strerror(errno));
	/* ufw takes /run/ufw.lock. */
	cr_assert_eq(mount("tmpfs", "/run", "tmpfs", 0, "mode=0755"), 0);
	cr_assert_neq(tu_sh("iptables -n -L ufw-user-input >/dev/null 2>&1"), 0,
		      "ufw must not be loaded in a fresh namespace");
}

static json_t *ufw(const char *args, bool check, int port)
{
	return tu_task_port("ufw", args, check, true, port);
}

static json_t *data(json_t *reply, const char *key)
{
	return json_object_get(json_object_get(reply, "data"), key);
}

static bool file_has(const char *path, const char *needle)
{
	char *s = tu_read(path);
	bool has = s && strstr(s, needle);

	free(s);
	return has;
}

static bool same_file(const char *path, const char *text)
{
	char *s = tu_read(path);
	bool same = s && text && strcmp(s, text) == 0;

	free(s);
	return same;
}

static bool changes_have(json_t *reply, const char *needle)
{
	json_t *c = json_object_get(reply, "changes");
	size_t i;
	json_t *v;

	json_array_foreach(c, i, v)
		if (strstr(json_string_value(v), needle))
			return true;
	return false;
}

static void expect(json_t *reply, const char *status)
{
	cr_assert_not_null(reply);
	cr_expect_str_eq(tu_status(reply), status, "msg: %s", tu_msg(reply));
}

/* Run one task (not in check mode, SSH on port 22) and expect status. */
static void run_expect(const char *args, const char *status)
{
	json_t *r = ufw(args, false, 22);

	expect(r, status);
	json_decref(r);
}

/* Run one task with the SSH session on port and expect it to fail with a
 * message holding msg. */
static void run_fails(const char *args, int port, const char *msg)
{
	json_t *r = ufw(args, false, port);

	expect(r, "failed");
	cr_expect(strstr(tu_msg(r), msg), "%s", tu_msg(r));
	json_decref(r);
}

#define V4_80 "### tuple ### allow tcp 80 0.0.0.0/0 any 0.0.0.0/0 in"
#define V6_80 "### tuple ### allow tcp 80 ::/0 any ::/0 in"

/* ---- pure helpers: no sandbox needed ---- */

Test(ufw_rule, parses_stored_tuples)
{
	struct ufw_tuple t;

	cr_assert(ufw_tuple_parse("### tuple ### route:allow_log tcp 8000:8010 0.0.0.0/0 any "
				  "10.0.0.0/8 in_eth0!out_eth1 comment=782079", false, &t));
	cr_expect(t.route);
	cr_expect_str_eq(t.action, "allow");
	cr_expect_str_eq(t.logtype, "log");
	cr_expect_str_eq(t.dport, "8000:8010");
	cr_expect_str_eq(t.src, "10.0.0.0/8");
	cr_expect_str_eq(t.ifaces, "in_eth0!out_eth1");
	cr_expect_str_eq(t.comment, "782079");
	cr_assert(ufw_tuple_parse("### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 OpenSSH - in",
				  false, &t));
	cr_expect_str_eq(t.dapp, "OpenSSH");
	cr_expect_str_eq(t.ifaces, "in");
	cr_expect_not(ufw_tuple_parse("### tuple ### allow tcp", false, &t));
	cr_expect_not(ufw_tuple_parse("-A ufw-user-input -j ACCEPT", false, &t));
}

Test(ufw_rule, normalises_like_ufw)
{
	char out[UFW_PORTS_MAX];
	struct mu_err e = { 0 };
	bool multi;
	unsigned protos;
	int fam;

	cr_assert_eq(ufw_addr_norm("10.1.2.3/8", out, sizeof(out), &fam, &e), 0);
	cr_expect_str_eq(out, "10.0.0.0/8");
	cr_assert_eq(ufw_addr_norm("192.168.1.7/255.255.255.0", out, sizeof(out), &fam, &e), 0);
	cr_expect_str_eq(out, "192.168.1.0/24");
	cr_assert_eq(ufw_addr_norm("10.0.0.1/32", out, sizeof(out), &fam, &e), 0);
	cr_expect_str_eq(out, "10.0.0.1");
	cr_assert_eq(ufw_addr_norm("2001:DB8:0::1/64", out, sizeof(out), &fam, &e), 0);
	cr_expect_str_eq(out, "2001:db8::1/64");
	cr_expect_eq(fam, AF_INET6);
	cr_expect_neq(ufw_addr_norm("10.0.0.300", out, sizeof(out), &fam, &e), 0);

	cr_assert_eq(ufw_ports_norm("443,81,79:90,80", "/etc/services", out, sizeof(out),
				    &multi, &protos, &e), 0, "%s", e.msg);
	cr_expect_str_eq(out, "79:90,80,81,443", "ufw's own order");
	cr_expect(multi);
	cr_assert_eq(ufw_ports_norm("http", "/etc/services", out, sizeof(out), &multi,
				    &protos, &e), 0, "%s", e.msg);
	cr_expect_str_eq(out, "80");
	cr_expect_eq(protos, 1u, "http is tcp only in /etc/services");
	cr_expect_neq(ufw_ports_norm("90:80", "/etc/services", out, sizeof(out), &multi,
				     &protos, &e), 0);
	cr_expect(ufw_ports_cover("20:30,2222", 2222));
	cr_expect(ufw_ports_cover("any", 22));
	cr_expect_not(ufw_ports_cover("2000:2221,2223", 2222));
}

Test(ufw_rule, first_governing_rule_decides)
{
	struct ufw_rules l = { 0 };

	ufw_tuples_scan("### tuple ### deny tcp 2222 0.0.0.0/0 any 198.18.0.9 in\n"
			"### tuple ### allow tcp 2222 0.0.0.0/0 any 0.0.0.0/0 in_eth0\n"
			"### tuple ### allow udp 2222 0.0.0.0/0 any 0.0.0.0/0 in\n", false, &l);
	cr_expect_not(ufw_port_allowed(&l, 2222), "one source, one interface, udp: none count");
	ufw_tuples_scan("### tuple ### limit any 2000:3000 0.0.0.0/0 any 0.0.0.0/0 in\n"
			"### tuple ### deny tcp 2222 0.0.0.0/0 any 0.0.0.0/0 in\n", false, &l);
	cr_expect(ufw_port_allowed(&l, 2222), "the limit rule comes first");
	cr_expect(ufw_rule_blocks(&l.v[4], 2222));
	cr_expect_not(ufw_rule_blocks(&l.v[0], 2222), "from one address only");
	ufw_rules_remove(&l, 3);
	ufw_rules_insert(&l, 0, &(struct ufw_tuple){ .action = "reject", .proto = "tcp",
		.dport = "any", .dst = "0.0.0.0/0", .sport = "any", .src = "0.0.0.0/0",
		.ifaces = "in" });
	cr_expect_not(ufw_port_allowed(&l, 2222), "a reject first shuts it");
	ufw_rules_release(&l);
}

/* ---- argument errors: rejected before ufw's state is read ---- */

Test(ufw_args, nothing_to_do_is_an_error)
{
	json_t *r = ufw("{\"direction\":\"in\"}", false, 22);

	expect(r, "failed");
	cr_expect(strstr(tu_msg(r), "give at least one of 'rule', 'state'"), "%s", tu_msg(r));
	json_decref(r);
}

Test(ufw_args, rule_arguments_need_a_rule)
{
	json_t *r = ufw("{\"state\":\"enabled\",\"port\":80}", false, 22);

	expect(r, "failed");
	cr_expect(strstr(tu_msg(r), "'to_port' only applies to a rule"), "%s", tu_msg(r));
	json_decref(r);
}

Test(ufw_args, insert_and_delete_conflict)
{
	json_t *r = ufw("{\"rule\":\"allow\",\"port\":80,\"delete\":true,\"insert\":1}", false, 22);

	expect(r, "failed");
	cr_expect(strstr(tu_msg(r), "'insert' and 'delete' cannot be combined"), "%s", tu_msg(r));
	json_decref(r);
}

/* ---- against a real ufw in a private namespace ---- */

Test(ufw, enable_refused_while_ssh_port_closed)
{
	json_t *r;

	ufw_sandbox();
	/* Check mode reports the refusal as a failure, so an audit shows it. */
	r = ufw("{\"state\":\"enabled\",\"policy\":\"deny\"}", true, 2222);
	expect(r, "failed");
	cr_expect(strstr(tu_msg(r), "refusing to enable ufw"), "%s", tu_msg(r));
	cr_expect(strstr(tu_msg(r), "2222"), "%s", tu_msg(r));
	json_decref(r);
	r = ufw("{\"state\":\"enabled\",\"policy\":\"deny\"}", false, 2222);
	expect(r, "failed");
	cr_expect(strstr(tu_msg(r), "incoming tcp port 2222 (this SSH session) is not allowed"),
		  "%s", tu_msg(r));
	cr_expect(strstr(tu_msg(r), "rule=allow port=2222 proto=tcp"), "%s", tu_msg(r));
	json_decref(r);
	cr_expect(file_has("/etc/ufw/ufw.conf", "ENABLED=no"));
	cr_expect_neq(tu_sh("iptables -n -L ufw-user-input >/dev/null 2>&1"), 0,
		      "nothing was loaded");
	/* A rule for another port does not count. */
	r = ufw("{\"rule\":\"allow\",\"port\":22,\"proto\":\"tcp\",\"state\":\"enabled\"}",
		false, 2222);
	expect(r, "failed");
	json_decref(r);
	cr_expect_not(file_has("/etc/ufw/user.rules", "### tuple ###"),
		      "a refused task changes nothing at all");
}

Test(ufw, enable_after_allowing_ssh_port)
{
	json_t *r;

	ufw_sandbox();
	r = ufw("{\"rule\":\"allow\",\"port\":2222,\"proto\":\"tcp\"}", false, 2222);
	expect(r, "changed");
	json_decref(r);
	r = ufw("{\"state\":\"enabled\",\"policy\":\"deny\"}", false, 2222);
	expect(r, "changed");
	json_decref(r);
	cr_expect(file_has("/etc/ufw/ufw.conf", "ENABLED=yes"));
	cr_expect_eq(tu_sh("ufw status | grep -q '^Status: active'"), 0, "ufw is active");
	cr_expect_eq(tu_sh("ufw status | grep -q '^2222/tcp .*ALLOW'"), 0, "rule is live");
	cr_expect_eq(tu_sh("iptables -S ufw-user-input | grep -q -- '--dport 2222 -j ACCEPT'"), 0);
	r = ufw("{\"state\":\"enabled\",\"policy\":\"deny\"}", false, 2222);
	expect(r, "ok");
	json_decref(r);
	/* Removing the rule that lets the session in is refused too. */
	run_fails("{\"rule\":\"allow\",\"port\":2222,\"proto\":\"tcp\",\"delete\":true}",
		  2222, "refusing to delete the rule that allows it");
	cr_expect(file_has("/etc/ufw/user.rules", "allow tcp 2222 0.0.0.0/0"));
}

Test(ufw, rule_and_enable_in_one_task)
{
	ufw_sandbox();
	/* The task's own rule counts: it runs before the firewall comes up. */
	run_expect("{\"rule\":\"limit\",\"port\":\"ssh\",\"state\":\"enabled\"}", "changed");
	cr_expect(file_has("/etc/ufw/user.rules", "limit tcp 22 0.0.0.0/0 any 0.0.0.0/0 in"));
	cr_expect(file_has("/etc/ufw/user6.rules", "limit tcp 22 ::/0 any ::/0 in"));
	cr_expect_eq(tu_sh("ufw status | grep -q '^Status: active'"), 0);
	run_expect("{\"rule\":\"limit\",\"port\":\"ssh\",\"state\":\"enabled\"}", "ok");
}

Test(ufw, allow_80_is_idempotent)
{
	struct stat st1, st2, st3, st4;
	json_t *r;

	ufw_sandbox();
	r = ufw("{\"rule\":\"allow\",\"port\":80,\"proto\":\"tcp\",\"comment\":\"web\"}", false, 22);
	expect(r, "changed");
	cr_expect(changes_have(r, "add ipv4 rule"));
	cr_expect(changes_have(r, "add ipv6 rule"));
	json_decref(r);
	cr_expect(file_has("/etc/ufw/user.rules", V4_80 " comment=776562"));
	cr_expect(file_has("/etc/ufw/user6.rules", V6_80 " comment=776562"));
	cr_assert_eq(stat("/etc/ufw/user.rules", &st1), 0);
	cr_assert_eq(stat("/etc/ufw/user6.rules", &st2), 0);
	sleep(1);
	r = ufw("{\"rule\":\"allow\",\"port\":\"80\",\"proto\":\"tcp\",\"comment\":\"web\"}", false, 22);
	expect(r, "ok");
	cr_expect_eq(json_array_size(data(r, "commands")), 0);
	json_decref(r);
	cr_assert_eq(stat("/etc/ufw/user.rules", &st3), 0);
	cr_assert_eq(stat("/etc/ufw/user6.rules", &st4), 0);
	cr_expect_eq(st1.st_mtim.tv_sec, st3.st_mtim.tv_sec, "user.rules not rewritten");
	cr_expect_eq(st1.st_mtim.tv_nsec, st3.st_mtim.tv_nsec);
	cr_expect_eq(st2.st_mtim.tv_nsec, st4.st_mtim.tv_nsec, "user6.rules not rewritten");
	/* A new comment replaces the rule in place, as ufw does. */
	r = ufw("{\"rule\":\"allow\",\"port\":80,\"proto\":\"tcp\",\"comment\":\"www\"}", false, 22);
	expect(r, "changed");
	cr_expect(changes_have(r, "replace ipv4 rule"));
	json_decref(r);
	cr_expect(file_has("/etc/ufw/user.rules", V4_80 " comment=777777"));
	cr_expect_not(file_has("/etc/ufw/user.rules", "776562"));
}

Test(ufw, both_families_are_compared)
{
	json_t *r;

	ufw_sandbox();
	/* An IPv4-only rule that matches the IPv4 half of "allow 80/tcp". */
	cr_assert_eq(tu_sh("ufw allow proto tcp from 0.0.0.0/0 to any port 80 >/dev/null"), 0);
	cr_assert(file_has("/etc/ufw/user.rules", V4_80));
	cr_assert_not(file_has("/etc/ufw/user6.rules", "### tuple ###"));
	r = ufw("{\"rule\":\"allow\",\"port\":80,\"proto\":\"tcp\"}", true, 22);
	expect(r, "changed");
	cr_expect(changes_have(r, "add ipv6 rule"), "the missing IPv6 rule is seen");
	cr_expect_not(changes_have(r, "ipv4"), "the IPv4 rule is already there");
	json_decref(r);
	run_expect("{\"rule\":\"allow\",\"port\":80,\"proto\":\"tcp\"}", "changed");
	cr_expect(file_has("/etc/ufw/user6.rules", V6_80));
	run_expect("{\"rule\":\"allow\",\"port\":80,\"proto\":\"tcp\"}", "ok");
	/* An IPv6 source makes an IPv6-only rule. */
	r = ufw("{\"rule\":\"allow\",\"from\":\"2001:db8::/32\",\"port\":53,\"proto\":\"udp\"}",
		false, 22);
	expect(r, "changed");
	cr_expect_not(changes_have(r, "ipv4"));
	json_decref(r);
	cr_expect(file_has("/etc/ufw/user6.rules", "allow udp 53 ::/0 any 2001:db8::/32 in"));
}

Test(ufw, port_ranges)
{
	json_t *r;

	ufw_sandbox();
	run_expect("{\"rule\":\"allow\",\"port\":\"8000:8010\",\"proto\":\"tcp\"}", "changed");
	cr_expect(file_has("/etc/ufw/user.rules", "allow tcp 8000:8010 0.0.0.0/0 any 0.0.0.0/0 in"));
	cr_expect(file_has("/etc/ufw/user6.rules", "allow tcp 8000:8010 ::/0 any ::/0 in"));
	run_expect("{\"rule\":\"allow\",\"port\":\"8000:8010\",\"proto\":\"tcp\"}", "ok");

	r = ufw("{\"rule\":\"allow\",\"port\":\"8000-8010\",\"proto\":\"tcp\"}", false, 22);
	expect(r, "failed");
	cr_expect(strstr(tu_msg(r), "'8000:8010'"), "suggests the colon form: %s", tu_msg(r));
	json_decref(r);
	run_fails("{\"rule\":\"allow\",\"port\":\"8000:8010\"}", 22, "only with proto tcp or udp");
	run_fails("{\"rule\":\"allow\",\"port\":\"8000:8010\",\"protocol\":\"any\"}",
		  22, "only with proto tcp or udp");
}

Test(ufw, service_names)
{
	ufw_sandbox();
	run_expect("{\"rule\":\"allow\",\"port\":\"http\"}", "changed");
	cr_expect(file_has("/etc/ufw/user.rules", V4_80), "http is 80/tcp");
	run_expect("{\"rule\":\"allow\",\"port\":\"http\"}", "ok");
	run_fails("{\"rule\":\"allow\",\"port\":\"no-such-service\"}",
		  22, "unknown service 'no-such-service'");
	run_fails("{\"rule\":\"allow\",\"port\":\"http\",\"comment\":\"it's\"}",
		  22, "'comment' may not hold a single quote");
}

Test(ufw, delete_removes)
{
	json_t *r;

	ufw_sandbox();
	run_expect("{\"rule\":\"allow\",\"port\":443,\"proto\":\"tcp\",\"comment\":\"tls\"}",
		  "changed");
	/* A delete without a comment matches the rule whatever its comment. */
	r = ufw("{\"rule\":\"allow\",\"port\":443,\"proto\":\"tcp\",\"delete\":true}", false, 22);
	expect(r, "changed");
	cr_expect(changes_have(r, "delete ipv4 rule"));
	cr_expect(changes_have(r, "delete ipv6 rule"));
	json_decref(r);
	cr_expect_not(file_has("/etc/ufw/user.rules", "### tuple ###"));
	cr_expect_not(file_has("/etc/ufw/user6.rules", "### tuple ###"));
	run_expect("{\"rule\":\"allow\",\"port\":443,\"proto\":\"tcp\",\"delete\":true}", "ok");
}

Test(ufw, check_mode_changes_nothing)
{
	char *before4, *before6, *conf, *defs;
	json_t *r;

	ufw_sandbox();
	before4 = tu_read("/etc/ufw/user.rules");
	before6 = tu_read("/etc/ufw/user6.rules");
	conf = tu_read("/etc/ufw/ufw.conf");
	defs = tu_read("/etc/default/ufw");
	r = ufw("{\"rule\":\"allow\",\"port\":22,\"proto\":\"tcp\",\"state\":\"enabled\","
		"\"default\":\"reject\",\"logging\":\"medium\"}", true, 22);
	expect(r, "changed");
	cr_expect(strstr(tu_msg(r), "would "), "%s", tu_msg(r));
	cr_expect_eq(json_array_size(data(r, "commands")), 4, "rule, default, logging, enable");
	cr_expect(json_is_true(data(r, "enabled")), "data shows the state it would make");
	cr_expect_gt(json_array_size(json_object_get(r, "diff")), 0);
	json_decref(r);
	cr_expect(same_file("/etc/ufw/user.rules", before4));
	cr_expect(same_file("/etc/ufw/user6.rules", before6));
	cr_expect(same_file("/etc/ufw/ufw.conf", conf));
	cr_expect(same_file("/etc/default/ufw", defs));
	cr_expect_neq(tu_sh("iptables -n -L ufw-user-input >/dev/null 2>&1"), 0);
	free(before4);
	free(before6);
	free(conf);
	free(defs);
}

Test(ufw, policy_and_logging_are_idempotent)
{
	json_t *r;

	ufw_sandbox();
	run_expect("{\"default\":\"allow\",\"direction\":\"incoming\"}", "changed");
	cr_expect(file_has("/etc/default/ufw", "DEFAULT_INPUT_POLICY=\"ACCEPT\""));
	run_expect("{\"default\":\"allow\",\"direction\":\"incoming\"}", "ok");
	run_expect("{\"policy\":\"deny\",\"direction\":\"outgoing\"}", "changed");
	cr_expect(file_has("/etc/default/ufw", "DEFAULT_OUTPUT_POLICY=\"DROP\""));
	r = ufw("{\"logging\":\"on\"}", false, 22);
	expect(r, "ok"); /* packaged level is low, which is on */
	json_decref(r);
	run_expect("{\"logging\":\"high\"}", "changed");
	cr_expect(file_has("/etc/ufw/ufw.conf", "LOGLEVEL=high"));
	run_expect("{\"logging\":\"high\"}", "ok");
}

Test(ufw, deny_policy_on_running_firewall_guarded)
{
	json_t *r;

	ufw_sandbox();
	r = ufw("{\"default\":\"allow\",\"state\":\"enabled\"}", false, 2222);
	expect(r, "changed"); /* incoming allowed: enabling is safe */
	json_decref(r);
	r = ufw("{\"default\":\"deny\"}", false, 2222);
	expect(r, "failed");
	cr_expect(strstr(tu_msg(r), "refusing to set the default incoming policy to deny"),
		  "%s", tu_msg(r));
	cr_expect(strstr(tu_msg(r), "2222"), "%s", tu_msg(r));
	json_decref(r);
	cr_expect(file_has("/etc/default/ufw", "DEFAULT_INPUT_POLICY=\"ACCEPT\""));
	r = ufw("{\"default\":\"deny\",\"force\":true}", false, 2222);
	expect(r, "changed");
	cr_expect_gt(json_array_size(json_object_get(r, "warnings")), 0);
	json_decref(r);
	cr_expect(file_has("/etc/default/ufw", "DEFAULT_INPUT_POLICY=\"DROP\""));
}

Test(ufw, deny_rule_on_ssh_port_needs_force)
{
	json_t *r;

	ufw_sandbox();
	run_fails("{\"rule\":\"deny\",\"port\":\"2000:3000\",\"proto\":\"tcp\"}",
		  2222, "blocks incoming tcp port 2222");
	cr_expect_not(file_has("/etc/ufw/user.rules", "### tuple ###"));
	/* From one address only: not every client of the port, so allowed. */
	r = ufw("{\"rule\":\"deny\",\"port\":2222,\"proto\":\"tcp\",\"from\":\"198.18.0.9\"}",
		false, 2222);
	expect(r, "changed");
	json_decref(r);
	r = ufw("{\"rule\":\"reject\",\"port\":2222,\"force\":true}", false, 2222);
	expect(r, "changed");
	json_decref(r);
	cr_expect(file_has("/etc/ufw/user.rules", "reject any 2222 0.0.0.0/0 any 0.0.0.0/0 in"));
}

Test(ufw, local_connection_skips_guard_with_warning)
{
	json_t *r;

	ufw_sandbox();
	r = ufw("{\"state\":\"enabled\"}", false, 0);
	expect(r, "changed");
	cr_expect_gt(json_array_size(json_object_get(r, "warnings")), 0,
		     "the skipped guard is reported");
	json_decref(r);
	cr_expect_eq(tu_sh("ufw status | grep -q '^Status: active'"), 0);
	r = ufw("{\"state\":\"disabled\"}", false, 0);
	expect(r, "changed");
	json_decref(r);
	cr_expect(file_has("/etc/ufw/ufw.conf", "ENABLED=no"));
	r = ufw("{\"state\":\"disabled\"}", false, 0);
	expect(r, "ok");
	json_decref(r);
}

Test(ufw, reset_removes_rules_and_disables)
{
	json_t *r;

	ufw_sandbox();
	r = ufw("{\"rule\":\"allow\",\"port\":22,\"proto\":\"tcp\",\"state\":\"enabled\"}",
		false, 22);
	expect(r, "changed");
	json_decref(r);
	r = ufw("{\"state\":\"reset\"}", true, 22);
	expect(r, "changed");
	json_decref(r);
	cr_expect(file_has("/etc/ufw/user.rules", "### tuple ###"), "check mode kept the rules");
	run_expect("{\"state\":\"reset\"}", "changed");
	cr_expect_not(file_has("/etc/ufw/user.rules", "### tuple ###"));
	cr_expect_not(file_has("/etc/ufw/user6.rules", "### tuple ###"));
	cr_expect(file_has("/etc/ufw/ufw.conf", "ENABLED=no"));
	cr_expect_neq(tu_sh("iptables -n -L ufw-user-input >/dev/null 2>&1"), 0, "unloaded");
	/* Reloading a disabled firewall has nothing to do. */
	run_expect("{\"state\":\"reloaded\"}", "ok");
}

Test(ufw, route_interface_log_and_insert)
{
	const char *route = "{\"rule\":\"allow\",\"route\":true,\"interface_in\":\"eth0\","
			    "\"interface_out\":\"eth1\",\"log\":true,\"port\":443,\"proto\":\"tcp\"}";
	const char *del = "{\"rule\":\"allow\",\"route\":true,\"interface_in\":\"eth0\","
			  "\"interface_out\":\"eth1\",\"log\":true,\"port\":443,\"proto\":\"tcp\","
			  "\"delete\":true}";
	json_t *r;

	ufw_sandbox();
	run_expect(route, "changed");
	cr_expect(file_has("/etc/ufw/user.rules",
			   "route:allow_log tcp 443 0.0.0.0/0 any 0.0.0.0/0 in_eth0!out_eth1"));
	run_expect(route, "ok");
	run_expect(del, "changed");
	cr_expect_not(file_has("/etc/ufw/user.rules", "### tuple ###"));

	r = ufw("{\"rule\":\"deny\",\"direction\":\"out\",\"interface\":\"eth0\",\"port\":25}",
		false, 22);
	expect(r, "changed");
	json_decref(r);
	cr_expect(file_has("/etc/ufw/user.rules", "deny any 25 0.0.0.0/0 any 0.0.0.0/0 out_eth0"));
	/* insert 1 puts a new rule first, as `ufw status numbered` counts. */
	run_expect("{\"rule\":\"allow\",\"port\":22,\"proto\":\"tcp\",\"insert\":1}", "changed");
	cr_expect_eq(tu_sh("grep '### tuple' /etc/ufw/user.rules | head -1 | grep -q 'allow tcp 22 '"),
		     0, "inserted first");
	run_expect("{\"rule\":\"allow\",\"port\":22,\"proto\":\"tcp\",\"insert\":1}", "ok");
}

/*
 * Regression (e2e host-steps, --check on a fresh host): "allow 22" then
 * "state: enabled" as separate tasks; in check mode the second task must
 * see the rule the first would add, not refuse a lockout that a real run
 * would never hit.
 */
Test(ufw, check_mode_sees_rules_earlier_check_tasks_would_add)
{
	json_t *r;

	ufw_sandbox();
	r = ufw("{\"rule\":\"allow\",\"port\":2222,\"proto\":\"tcp\"}", true, 2222);
	expect(r, "changed");
	json_decref(r);
	r = ufw("{\"state\":\"enabled\"}", true, 2222);
	expect(r, "changed");
	cr_expect(strstr(tu_msg(r), "would"), "%s", tu_msg(r));
	json_decref(r);
	cr_expect(file_has("/etc/ufw/ufw.conf", "ENABLED=no"), "check mode changed nothing");
	cr_expect_not(file_has("/etc/ufw/user.rules", "### tuple ###"));
	/* A real task drops the simulated state: the real files decide again. */
	r = ufw("{\"state\":\"enabled\"}", false, 2222);
	expect(r, "failed");
	json_decref(r);
}
