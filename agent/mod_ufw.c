/*
 * ufw: rules, default policies, logging and the firewall's state, with the
 * arguments of Ansible's community.general.ufw. What is there is read from
 * ufw's own files (the rule tuples, ufw.conf, /etc/default/ufw); changes
 * are made by running ufw with an argv. One task may combine a reset, a
 * rule, a default policy, logging and a state; they run in that order, so
 * a rule that opens the SSH port lands before the firewall comes up.
 *
 * The module will not cut off the SSH session it runs under: enabling ufw,
 * a deny/reject incoming default, or removing the rule that lets the
 * session's port in is refused (also in check mode, so audits show it)
 * unless `force: true`.
 */
#include "module.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "child.h"
#include "ufw_rule.h"
#include "ufw_state.h"

#define UFW_MAX_CMDS 5
/* A tuple as text: its fields plus a decoded comment, with room to spare. */
#define TUPLE_TEXT_MAX 2048

static const char *const ufw_aliases[] = { "community.general.ufw", NULL };
static const char *const state_choices[] = { "enabled", "disabled", "reloaded", "reset", NULL };
static const char *const policy_choices[] = { "allow", "deny", "reject", NULL };
static const char *const logging_choices[] = {
	"on", "off", "low", "medium", "high", "full", NULL
};
static const char *const rule_choices[] = { "allow", "deny", "reject", "limit", NULL };
static const char *const direction_choices[] = {
	"in", "incoming", "out", "outgoing", "routed", NULL
};
static const char *const proto_choices[] = { "any", "tcp", "udp", NULL };

static const struct mu_arg ufw_args[] = {
	{ "state", MU_T_STR, 0, NULL, state_choices, NULL },
	{ "default", MU_T_STR, 0, NULL, policy_choices, "policy" },
	{ "logging", MU_T_STR, 0, NULL, logging_choices, NULL },
	{ "rule", MU_T_STR, 0, NULL, rule_choices, NULL },
	{ "direction", MU_T_STR, 0, NULL, direction_choices, NULL },
	{ "interface", MU_T_STR, 0, NULL, NULL, "if" },
	{ "interface_in", MU_T_STR, 0, NULL, NULL, "if_in" },
	{ "interface_out", MU_T_STR, 0, NULL, NULL, "if_out" },
	{ "route", MU_T_BOOL, 0, "false", NULL, NULL },
	{ "log", MU_T_BOOL, 0, "false", NULL, NULL },
	{ "delete", MU_T_BOOL, 0, "false", NULL, NULL },
	{ "insert", MU_T_INT, 0, NULL, NULL, NULL },
	{ "from_ip", MU_T_STR, 0, "any", NULL, "from|src" },
	{ "from_port", MU_T_STR, 0, NULL, NULL, NULL },
	{ "to_ip", MU_T_STR, 0, "any", NULL, "to|dest" },
	{ "to_port", MU_T_STR, 0, NULL, NULL, "port" },
	{ "proto", MU_T_STR, 0, NULL, proto_choices, "protocol" },
	{ "comment", MU_T_STR, 0, NULL, NULL, NULL },
	{ "force", MU_T_BOOL, 0, "false", NULL, NULL },
	MU_ARG_END,
};

/* A growable NULL-terminated argv of owned strings. */
struct argvb {
	char **v;
	size_t n;
	size_t cap;
};

static void argv_add(struct argvb *a, const char *s)
{
	if (a->n + 2 > a->cap) {
		a->cap = a->cap ? 2 * a->cap : 16;
		a->v = mu_xrealloc(a->v, a->cap * sizeof(*a->v));
	}
	a->v[a->n++] = mu_xstrdup(s);
	a->v[a->n] = NULL;
}

static void argv_free(struct argvb *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

/* Show an argv as a shell would need it typed (for messages only). */
static void argv_show(const struct argvb *a, struct mu_buf *out)
{
	for (size_t i = 0; i < a->n; i++) {
		const char *s = a->v[i];
		bool plain = *s != '\0';

		for (const char *p = s; *p; p++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789-_.,:/=@%+", *p))
				plain = false;
		if (i)
			mu_buf_addch(out, ' ');
		if (plain) {
			mu_buf_addstr(out, s);
			continue;
		}
		mu_buf_addch(out, '\'');
		for (const char *p = s; *p; p++) {
			if (*p == '\'')
				mu_buf_addstr(out, "'\\''");
			else
				mu_buf_addch(out, *p);
		}
		mu_buf_addch(out, '\'');
	}
}

/* The rule a task asks for, normalised, with its ufw command. */
struct ufw_want {
	bool set;
	bool del;
	long insert;                 /* ufw's rule number; 0 = append */
	struct ufw_tuple t[2];       /* one per address family */
	size_t nt;
	struct argvb argv;
};

struct ufw_plan {
	struct argvb cmds[UFW_MAX_CMDS];
	size_t ncmds;
	struct ufw_want want;
	struct ufw_state pre;
	struct ufw_state sim;        /* the state after the plan runs */
	bool have_state;
};

static void plan_free(void *p)
{
	struct ufw_plan *plan = p;

	if (!plan)
		return;
	for (size_t i = 0; i < plan->ncmds; i++)
		argv_free(&plan->cmds[i]);
	argv_free(&plan->want.argv);
	if (plan->have_state) {
		ufw_state_release(&plan->pre);
		ufw_state_release(&plan->sim);
	}
	free(plan);
}

static struct argvb *plan_cmd(struct ufw_plan *plan)
{
	struct argvb *a = &plan->cmds[plan->ncmds++];

	argv_add(a, "ufw");
	return a;
}

static bool valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 15)
		return false;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_.-@", *s))
			return false;
	return true;
}

static const char *any_addr(bool v6)
{
	return v6 ? "::/0" : "0.0.0.0/0";
}

/*
 * Check that the rule-only arguments come with a rule, and that the
 * combinations make sense, before anything is read.
 */
static int check_rule_args(struct mu_task *t, struct mu_result *r)
{
	static const char *const rule_only[] = {
		"to_port", "from_port", "proto", "comment", "interface",
		"interface_in", "interface_out", "insert", NULL
	};
	bool has_rule = mu_arg_isset(t, "rule");
	const char *stray = NULL;

	if (!has_rule && !mu_arg_isset(t, "state") && !mu_arg_isset(t, "default") &&
	    !mu_arg_isset(t, "logging"))
		return mu_result_fail(r, MU_E_ARG, "ufw: give at least one of 'rule', "
				      "'state', 'default' (policy) or 'logging'");
	if (!has_rule) {
		for (size_t i = 0; rule_only[i] && !stray; i++)
			if (mu_arg_isset(t, rule_only[i]))
				stray = rule_only[i];
		if (!stray && mu_arg_bool(t, "delete"))
			stray = "delete";
		if (!stray && mu_arg_bool(t, "route"))
			stray = "route";
		if (!stray && mu_arg_bool(t, "log"))
			stray = "log";
		if (!stray && strcmp(mu_arg_str(t, "from_ip"), "any") != 0)
			stray = "from_ip";
		if (!stray && strcmp(mu_arg_str(t, "to_ip"), "any") != 0)
			stray = "to_ip";
		if (stray)
			return mu_result_fail(r, MU_E_ARG, "ufw: argument '%s' only applies "
					      "to a rule; add 'rule' (allow, deny, reject or limit)",
					      stray);
		return 0;
	}
	if (mu_arg_bool(t, "delete") && mu_arg_isset(t, "insert"))
		return mu_result_fail(r, MU_E_ARG, "ufw: 'insert' and 'delete' cannot be "
				      "combined");
	if (mu_arg_isset(t, "insert") && mu_arg_int(t, "insert", 0) < 1)
		return mu_result_fail(r, MU_E_ARG, "ufw: 'insert' is a rule number, "
				      "counted from 1 as in `ufw status numbered`");
	if (mu_arg_isset(t, "interface") &&
	    (mu_arg_isset(t, "interface_in") || mu_arg_isset(t, "interface_out")))
		return mu_result_fail(r, MU_E_ARG, "ufw: give 'interface' (with "
				      "'direction') or 'interface_in'/'interface_out', not both");
	if (mu_arg_isset(t, "direction") &&
	    (mu_arg_isset(t, "interface_in") || mu_arg_isset(t, "interface_out")))
		return mu_result_fail(r, MU_E_ARG, "ufw: 'direction' cannot be combined "
				      "with 'interface_in' or 'interface_out'");
	return 0;
}

/* Build the wanted tuples and the ufw command for the task's rule. */
static int build_want(struct mu_task *t, struct mu_result *r,
		      const struct ufw_state *st, struct ufw_want *w)
{
	const char *dir_arg = mu_arg_str(t, "direction");
	const char *ifname = mu_arg_str(t, "interface");
	const char *if_in = mu_arg_str(t, "interface_in");
	const char *if_out = mu_arg_str(t, "interface_out");
	const char *proto = mu_arg_str(t, "proto");
	const char *comment = mu_arg_str(t, "comment");
	const char *to_port = mu_arg_str(t, "to_port");
	const char *from_port = mu_arg_str(t, "from_port");
	bool route = mu_arg_bool(t, "route");
	const char *dir = "in";
	char src[UFW_ADDR_MAX], dst[UFW_ADDR_MAX];
	char dport[UFW_PORTS_MAX] = "any", sport[UFW_PORTS_MAX] = "any";
	char hex[UFW_HEX_MAX] = "";
	char ifaces[48];
	int sfam, dfam;
	unsigned dprotos = 0, sprotos = 0;
	bool dmulti = false, smulti = false;
	struct mu_err e = { 0 };

	w->set = true;
	w->del = mu_arg_bool(t, "delete");
	w->insert = mu_arg_int(t, "insert", 0);
	if (dir_arg && (strcmp(dir_arg, "out") == 0 || strcmp(dir_arg, "outgoing") == 0))
		dir = "out";
	else if (dir_arg && strcmp(dir_arg, "routed") == 0)
		route = true;
	if (if_in && if_out && !route)
		return mu_result_fail(r, MU_E_ARG, "ufw: only route rules (route: true) "
				      "can combine 'interface_in' and 'interface_out'");
	if ((ifname && !valid_ifname(ifname)) || (if_in && !valid_ifname(if_in)) ||
	    (if_out && !valid_ifname(if_out)))
		return mu_result_fail(r, MU_E_ARG, "ufw: interface '%s' is not a valid "
				      "interface name (1-15 of A-Z a-z 0-9 _ . - @)",
				      ifname && !valid_ifname(ifname) ? ifname :
				      if_in && !valid_ifname(if_in) ? if_in : if_out);
	if (comment && !*comment)
		comment = NULL; /* ufw stores an empty comment as none */
	if (comment && strlen(comment) > UFW_COMMENT_MAX)
		return mu_result_fail(r, MU_E_ARG, "ufw: 'comment' is longer than %d bytes",
				      UFW_COMMENT_MAX);
	if (comment && strpbrk(comment, "'\n\r"))
		return mu_result_fail(r, MU_E_ARG, "ufw: 'comment' may not hold a single "
				      "quote or a line break (ufw refuses them)");
	if (comment)
		ufw_hex_encode(comment, hex, sizeof(hex));

	if (ufw_addr_norm(mu_arg_str(t, "from_ip"), src, sizeof(src), &sfam, &e) ||
	    ufw_addr_norm(mu_arg_str(t, "to_ip"), dst, sizeof(dst), &dfam, &e))
		return mu_result_fail(r, MU_E_ARG, "ufw: %s", e.msg);
	if (sfam && dfam && sfam != dfam)
		return mu_result_fail(r, MU_E_ARG, "ufw: from_ip '%s' and to_ip '%s' are "
				      "not of the same IP family", src, dst);
	if ((sfam == AF_INET6 || dfam == AF_INET6) && !st->ipv6)
		return mu_result_fail(r, MU_E_ARG, "ufw: an IPv6 rule needs IPV6=yes in "
				      "'%s'", UFW_DEFAULTS);

	if (to_port && ufw_ports_norm(to_port, UFW_SERVICES, dport, sizeof(dport),
				      &dmulti, &dprotos, &e))
		return mu_result_fail(r, MU_E_ARG, "ufw: %s", e.msg);
	if (from_port && ufw_ports_norm(from_port, UFW_SERVICES, sport, sizeof(sport),
					&smulti, &sprotos, &e))
		return mu_result_fail(r, MU_E_ARG, "ufw: %s", e.msg);
	if ((dmulti || smulti) && (!proto || strcmp(proto, "any") == 0))
		return mu_result_fail(r, MU_E_ARG, "ufw: port '%s' is a range or a list, "
				      "which ufw accepts only with proto tcp or udp",
				      dmulti ? to_port : from_port);
	if (!proto) {
		/* As ufw does: a service name decides the protocol when none is given. */
		unsigned p = dprotos && sprotos ? (dprotos & sprotos) : (dprotos | sprotos);

		if ((dprotos || sprotos) && !p)
			return mu_result_fail(r, MU_E_ARG, "ufw: the services in to_port and "
					      "from_port share no protocol; give proto");
		proto = p == 1 ? "tcp" : p == 2 ? "udp" : "any";
	}

	if (route && if_in && if_out)
		snprintf(ifaces, sizeof(ifaces), "in_%s!out_%s", if_in, if_out);
	else if (if_in)
		snprintf(ifaces, sizeof(ifaces), "in_%s", if_in);
	else if (if_out)
		snprintf(ifaces, sizeof(ifaces), "out_%s", if_out);
	else if (ifname)
		snprintf(ifaces, sizeof(ifaces), "%s_%s", dir, ifname);
	else
		snprintf(ifaces, sizeof(ifaces), "%s", dir);

	for (int v6 = 0; v6 <= 1; v6++) {
		int fam = v6 ? AF_INET6 : AF_INET;
		struct ufw_tuple *tp;

		if ((sfam && sfam != fam) || (dfam && dfam != fam))
			continue;
		if (v6 && !st->ipv6)
			continue;
		tp = &w->t[w->nt++];
		memset(tp, 0, sizeof(*tp));
		tp->v6 = v6;
		tp->route = route;
		snprintf(tp->action, sizeof(tp->action), "%s", mu_arg_str(t, "rule"));
		snprintf(tp->logtype, sizeof(tp->logtype), "%s",
			 mu_arg_bool(t, "log") ? "log" : "");
		snprintf(tp->proto, sizeof(tp->proto), "%s", proto);
		snprintf(tp->dport, sizeof(tp->dport), "%s", dport);
		snprintf(tp->sport, sizeof(tp->sport), "%s", sport);
		snprintf(tp->dst, sizeof(tp->dst), "%s", dfam ? dst : any_addr(v6));
		snprintf(tp->src, sizeof(tp->src), "%s", sfam ? src : any_addr(v6));
		snprintf(tp->ifaces, sizeof(tp->ifaces), "%s", ifaces);
		snprintf(tp->comment, sizeof(tp->comment), "%s", hex);
	}

	/* ufw [route] [delete] ACTION [in|out [on IF]] [log] from .. to .. */
	argv_add(&w->argv, "ufw");
	if (w->del)
		argv_add(&w->argv, "--force");
	if (route)
		argv_add(&w->argv, "route");
	if (w->del)
		argv_add(&w->argv, "delete");
	/* insert is added by the caller: only a new rule goes in at a number. */
	argv_add(&w->argv, mu_arg_str(t, "rule"));
	if (if_in || if_out) {
		if (if_in) {
			argv_add(&w->argv, "in");
			argv_add(&w->argv, "on");
			argv_add(&w->argv, if_in);
		}
		if (if_out) {
			argv_add(&w->argv, "out");
			argv_add(&w->argv, "on");
			argv_add(&w->argv, if_out);
		}
	} else if (ifname || dir_arg) {
		argv_add(&w->argv, dir);
		if (ifname) {
			argv_add(&w->argv, "on");
			argv_add(&w->argv, ifname);
		}
	}
	if (mu_arg_bool(t, "log"))
		argv_add(&w->argv, "log");
	argv_add(&w->argv, "from");
	argv_add(&w->argv, src);
	if (strcmp(sport, "any") != 0) {
		argv_add(&w->argv, "port");
		argv_add(&w->argv, sport);
	}
	argv_add(&w->argv, "to");
	argv_add(&w->argv, dst);
	if (strcmp(dport, "any") != 0) {
		argv_add(&w->argv, "port");
		argv_add(&w->argv, dport);
	}
	if (strcmp(proto, "any") != 0) {
		argv_add(&w->argv, "proto");
		argv_add(&w->argv, proto);
	}
	if (comment) {
		argv_add(&w->argv, "comment");
		argv_add(&w->argv, comment);
	}
	return 0;
}

static void tuple_text(const struct ufw_tuple *tp, char *out, size_t len)
{
	struct mu_buf b = MU_BUF_INIT;

	ufw_tuple_format(tp, &b);
	snprintf(out, len, "%s", b.buf);
	mu_buf_release(&b);
}

/*
 * Apply the wanted rule to one family's list the way ufw would: an exact
 * match is left alone; a rule with the same match but another action or
 * comment is replaced in place; otherwise the rule is appended (or put at
 * *at). Delete removes the rule with the same action (any comment, when
 * the task gives none). Records the change; returns true if one is made.
 */
static bool sim_rule(struct mu_result *r, struct ufw_rules *l,
		     const struct ufw_tuple *want, bool del, size_t at, bool use_at)
{
	const char *fam = want->v6 ? "ipv6" : "ipv4";
	char before[TUPLE_TEXT_MAX], after[TUPLE_TEXT_MAX];
	char item[32];

	snprintf(item, sizeof(item), "%s rule", fam);
	tuple_text(want, after, sizeof(after));
	for (size_t i = 0; i < l->n; i++) {
		const struct ufw_tuple *have = &l->v[i];

		if (!ufw_tuple_same_key(have, want))
			continue;
		if (del) {
			if (strcmp(have->action, want->action) != 0 ||
			    strcmp(have->logtype, want->logtype) != 0 ||
			    (want->comment[0] && strcmp(have->comment, want->comment) != 0))
				continue;
			tuple_text(have, before, sizeof(before));
			mu_result_change(r, "delete %s rule '%s'", fam, before);
			mu_result_diff(r, item, before, NULL);
			ufw_rules_remove(l, i);
			return true;
		}
		if (ufw_tuple_same(have, want))
			return false;
		tuple_text(have, before, sizeof(before));
		mu_result_change(r, "replace %s rule '%s' with '%s'", fam, before, after);
		mu_result_diff(r, item, before, after);
		l->v[i] = *want;
		return true;
	}
	if (del)
		return false;
	mu_result_change(r, "add %s rule '%s'", fam, after);
	mu_result_diff(r, item, NULL, after);
	if (use_at)
		ufw_rules_insert(l, at, want);
	else
		ufw_rules_push(l, want);
	return true;
}

static bool has_same_key(const struct ufw_rules *l, const struct ufw_tuple *want)
{
	for (size_t i = 0; i < l->n; i++)
		if (ufw_tuple_same_key(&l->v[i], want))
			return true;
	return false;
}

static int plan_rule(struct mu_task *t, struct mu_result *r, struct ufw_plan *plan)
{
	struct ufw_want *w = &plan->want;
	size_t n4 = plan->sim.rules4.n, n6 = plan->sim.rules6.n;
	bool replace = false;
	bool use_insert = false;
	bool changed = false;
	int rc;

	if ((rc = build_want(t, r, &plan->sim, w)) != 0)
		return rc;
	for (size_t i = 0; i < w->nt; i++)
		replace |= has_same_key(w->t[i].v6 ? &plan->sim.rules6 : &plan->sim.rules4,
					&w->t[i]);
	/*
	 * ufw skips an insert when a rule with the same match exists, so a
	 * changed action or comment is made by a plain (in-place) update; and
	 * it refuses a number past its last rule, where appending is meant.
	 */
	use_insert = w->insert > 0 && !replace && (size_t)w->insert <= n4 + n6;
	for (size_t i = 0; i < w->nt; i++) {
		const struct ufw_tuple *want = &w->t[i];
		size_t at;

		if (want->v6)
			at = (size_t)w->insert > n4 ? (size_t)w->insert - 1 - n4
				: ((size_t)w->insert - 1 < n6 ? (size_t)w->insert - 1 : n6);
		else
			at = (size_t)w->insert - 1 < n4 ? (size_t)w->insert - 1 : n4;
		changed |= sim_rule(r, want->v6 ? &plan->sim.rules6 : &plan->sim.rules4,
				    want, w->del, at, use_insert);
	}
	if (changed) {
		struct argvb *a = plan_cmd(plan);
		char num[24];

		for (size_t i = 1; i < w->argv.n; i++) {
			/* "insert N" goes right before the action word. */
			if (use_insert && strcmp(w->argv.v[i], mu_arg_str(t, "rule")) == 0) {
				snprintf(num, sizeof(num), "%ld", w->insert);
				argv_add(a, "insert");
				argv_add(a, num);
				use_insert = false;
			}
			argv_add(a, w->argv.v[i]);
		}
	}
	return 0;
}

static void plan_default(struct mu_task *t, struct mu_result *r, struct ufw_plan *plan)
{
	const char *want = mu_arg_str(t, "default");
	const char *d = mu_arg_str(t, "direction");
	enum ufw_chain c = UFW_INCOMING;
	char item[48];
	struct argvb *a;

	if (d && (strcmp(d, "out") == 0 || strcmp(d, "outgoing") == 0))
		c = UFW_OUTGOING;
	else if (d && strcmp(d, "routed") == 0)
		c = UFW_ROUTED;
	if (strcmp(plan->sim.policy[c], want) == 0)
		return;
	snprintf(item, sizeof(item), "default %s policy", ufw_chain_name(c));
	mu_result_change(r, "set the default %s policy to %s (was %s)",
			 ufw_chain_name(c), want, plan->sim.policy[c]);
	mu_result_diff(r, item, plan->sim.policy[c], want);
	snprintf(plan->sim.policy[c], sizeof(plan->sim.policy[c]), "%s", want);
	a = plan_cmd(plan);
	argv_add(a, "default");
	argv_add(a, want);
	argv_add(a, ufw_chain_name(c));
}

static void plan_logging(struct mu_task *t, struct mu_result *r, struct ufw_plan *plan)
{
	const char *want = mu_arg_str(t, "logging");
	char *cur = plan->sim.loglevel;
	const char *after = want;
	struct argvb *a;

	/* "on" keeps the current level, or turns logging on at low. */
	if (strcmp(want, "on") == 0)
		after = strcmp(cur, "off") == 0 ? "low" : cur;
	if (strcmp(after, cur) == 0)
		return;
	mu_result_change(r, "set logging to %s (was %s)", after, cur);
	mu_result_diff(r, "logging", cur, after);
	a = plan_cmd(plan);
	argv_add(a, "logging");
	argv_add(a, want);
	snprintf(plan->sim.loglevel, sizeof(plan->sim.loglevel), "%s", after);
}

static void plan_reset(struct mu_result *r, struct ufw_plan *plan)
{
	struct argvb *a = plan_cmd(plan);

	argv_add(a, "--force");
	argv_add(a, "reset");
	mu_result_change(r, "reset ufw to its installed rules (all rules removed, "
			 "ufw disabled)");
	mu_result_diff(r, "state", plan->sim.conf_enabled ? "enabled" : "disabled", "reset");
	plan->sim.rules4.n = plan->sim.rules6.n = 0;
	plan->sim.conf_enabled = plan->sim.loaded = false;
}

static void plan_state(struct mu_task *t, struct mu_result *r, struct ufw_plan *plan)
{
	const char *want = mu_arg_str(t, "state");
	struct ufw_state *s = &plan->sim;
	struct argvb *a;

	if (strcmp(want, "enabled") == 0) {
		if (s->conf_enabled && s->loaded)
			return;
		if (s->conf_enabled)
			mu_result_change(r, "enable ufw (enabled at boot, but its rules "
					 "are not loaded)");
		else
			mu_result_change(r, "enable ufw");
		mu_result_diff(r, "state", s->conf_enabled ? "enabled, not loaded" : "disabled",
			       "enabled");
		a = plan_cmd(plan);
		argv_add(a, "--force");
		argv_add(a, "enable");
		s->conf_enabled = s->loaded = true;
	} else if (strcmp(want, "disabled") == 0) {
		if (!s->conf_enabled && !s->loaded)
			return;
		mu_result_change(r, "disable ufw");
		mu_result_diff(r, "state", s->conf_enabled ? "enabled" : "loaded", "disabled");
		a = plan_cmd(plan);
		argv_add(a, "disable");
		s->conf_enabled = s->loaded = false;
	} else if (strcmp(want, "reloaded") == 0) {
		if (!s->conf_enabled) {
			mu_result_warn(r, "ufw is not enabled; nothing to reload");
			return;
		}
		mu_result_change(r, "reload ufw");
		a = plan_cmd(plan);
		argv_add(a, "reload");
		s->loaded = true;
	}
}

/* ---- the SSH lockout guard ---- */

static int guard(struct mu_task *t, struct mu_result *r, struct ufw_plan *plan)
{
	int port = t->ctx ? t->ctx->ssh_port : 0;
	bool force = mu_arg_bool(t, "force");
	char what[128] = "";
	const struct ufw_want *w = &plan->want;

	if (plan->ncmds == 0)
		return 0;
	if (port <= 0) {
		if (ufw_locked_out(&plan->sim, 22))
			mu_result_warn(r, "no SSH session port is known (local connection), so "
				       "the lockout guard was skipped; incoming tcp port 22 "
				       "would not be allowed");
		return 0;
	}
	if (w->set && !w->del) {
		for (size_t i = 0; i < w->nt; i++) {
			char text[TUPLE_TEXT_MAX];

			if (!ufw_rule_blocks(&w->t[i], (unsigned)port))
				continue;
			tuple_text(&w->t[i], text, sizeof(text));
			if (force) {
				mu_result_warn(r, "force: adding rule '%s', which blocks incoming "
					       "tcp port %d (this SSH session)", text, port);
				break;
			}
			return mu_result_fail(r, MU_E_SAFETY, "refusing to add rule '%s': it "
					      "blocks incoming tcp port %d (this SSH session) and "
					      "would lock out this session; pass force: true if you "
					      "mean it", text, port);
		}
	}
	if (!ufw_locked_out(&plan->sim, (unsigned)port) || ufw_locked_out(&plan->pre, (unsigned)port))
		return 0;
	/* Name the step that closes the door. */
	if (!plan->pre.conf_enabled && !plan->pre.loaded)
		snprintf(what, sizeof(what), "enable ufw");
	else if (strcmp(plan->pre.policy[UFW_INCOMING], plan->sim.policy[UFW_INCOMING]) != 0)
		snprintf(what, sizeof(what), "set the default incoming policy to %s",
			 plan->sim.policy[UFW_INCOMING]);
	else if (w->set && w->del)
		snprintf(what, sizeof(what), "delete the rule that allows it");
	else
		snprintf(what, sizeof(what), "change ufw this way");
	if (force) {
		mu_result_warn(r, "force: %s although incoming tcp port %d (this SSH "
			       "session) is not allowed; the next connection will be refused",
			       what, port);
		return 0;
	}
	return mu_result_fail(r, MU_E_SAFETY, "refusing to %s: incoming tcp port %d "
			      "(this SSH session) is not allowed, which would lock out this "
			      "session; add `ufw: rule=allow port=%d proto=tcp` first, or "
			      "pass force: true", what, port, port);
}

/* ---- data for register ---- */

static json_t *rules_json(const struct ufw_state *s)
{
	json_t *a = json_array();

	for (int v6 = 0; v6 <= 1; v6++) {
		const struct ufw_rules *l = v6 ? &s->rules6 : &s->rules4;

		for (size_t i = 0; i < l->n; i++) {
			char text[TUPLE_TEXT_MAX];

			tuple_text(&l->v[i], text, sizeof(text));
			json_array_append_new(a, json_string(text));
		}
	}
	return a;
}

static void report(struct mu_task *t, struct mu_result *r, const struct ufw_plan *plan)
{
	const struct ufw_state *s = &plan->sim;
	json_t *cmds = json_array();
	json_t *defs = json_object();

	for (size_t i = 0; i < plan->ncmds; i++) {
		struct mu_buf b = MU_BUF_INIT;

		argv_show(&plan->cmds[i], &b);
		json_array_append_new(cmds, json_string(b.buf));
		mu_buf_release(&b);
	}
	for (int c = 0; c < UFW_NCHAINS; c++)
		json_object_set_new(defs, ufw_chain_name((enum ufw_chain)c),
				    json_string(s->policy[c]));
	mu_result_data(r, "commands", cmds);
	mu_result_data(r, "enabled", json_boolean(s->conf_enabled));
	mu_result_data(r, "active", json_boolean(s->loaded));
	mu_result_data(r, "logging", json_string(s->loglevel));
	mu_result_data(r, "ipv6", json_boolean(s->ipv6));
	mu_result_data(r, "default", defs);
	mu_result_data(r, "rules", rules_json(s));
	if (json_array_size(r->changes) > 1 && r->status == MU_CHANGED) {
		struct mu_buf m = MU_BUF_INIT;
		size_t i;
		json_t *c;

		json_array_foreach(r->changes, i, c)
			mu_buf_addf(&m, "%s%s", i ? "; " : (t->check_mode ? "would " : ""),
				    json_string_value(c));
		mu_result_msg(r, "%s", m.buf);
		mu_buf_release(&m);
	}
}

/*
 * Check mode changes nothing, so a later ufw task would read the rules of
 * the untouched host and, say, refuse "state: enabled" as a lockout although
 * the allow rule before it would have been added. Within one agent session
 * (one play on one host), check-mode tasks therefore start from the state
 * the previous check-mode ufw task would have left. A real run drops it.
 */
static struct ufw_state check_session;
static bool have_check_session;

static void remember_check_state(const struct mu_task *t, const struct ufw_plan *plan)
{
	if (have_check_session) {
		ufw_state_release(&check_session);
		have_check_session = false;
	}
	if (!t->check_mode)
		return;
	ufw_state_copy(&check_session, &plan->sim);
	have_check_session = true;
}

static int ufw_check(struct mu_task *t, struct mu_result *r)
{
	struct ufw_plan *plan = NULL;
	struct mu_err e = { 0 };
	const char *state = mu_arg_str(t, "state");
	int rc;

	if ((rc = check_rule_args(t, r)) != 0)
		return rc;
	plan = mu_xcalloc(1, sizeof(*plan));
	t->plan = plan;
	if ((rc = ufw_state_read(&plan->pre, &e)) != 0)
		return mu_result_fail(r, rc, "ufw: %s", e.msg);
	if (t->check_mode && have_check_session) {
		ufw_state_release(&plan->pre);
		ufw_state_copy(&plan->pre, &check_session);
	}
	ufw_state_copy(&plan->sim, &plan->pre);
	plan->have_state = true;

	if (state && strcmp(state, "reset") == 0)
		plan_reset(r, plan);
	if (mu_arg_isset(t, "rule") && (rc = plan_rule(t, r, plan)) != 0)
		return rc;
	if (mu_arg_isset(t, "default"))
		plan_default(t, r, plan);
	if (mu_arg_isset(t, "logging"))
		plan_logging(t, r, plan);
	if (state && strcmp(state, "reset") != 0)
		plan_state(t, r, plan);
	if ((rc = guard(t, r, plan)) != 0)
		return rc;
	report(t, r, plan);
	remember_check_state(t, plan);
	return 0;
}

/* After the commands ran: does ufw's state now say what we planned? */
static int verify(struct mu_result *r, const struct ufw_plan *plan, const char *last_out)
{
	struct ufw_state now;
	struct mu_err e = { 0 };
	int rc;
	const char *bad = NULL;
	char text[TUPLE_TEXT_MAX] = "";

	if ((rc = ufw_state_read(&now, &e)) != 0)
		return mu_result_fail(r, rc, "ufw: after the change: %s", e.msg);
	for (size_t i = 0; i < plan->want.nt && !bad; i++) {
		const struct ufw_tuple *want = &plan->want.t[i];
		const struct ufw_rules *l = want->v6 ? &now.rules6 : &now.rules4;
		bool found = false;

		for (size_t j = 0; j < l->n && !found; j++)
			found = plan->want.del ? ufw_tuple_same_key(&l->v[j], want) &&
				strcmp(l->v[j].action, want->action) == 0 &&
				(!want->comment[0] || strcmp(l->v[j].comment, want->comment) == 0)
				: ufw_tuple_same(&l->v[j], want);
		if (found == plan->want.del) {
			tuple_text(want, text, sizeof(text));
			bad = plan->want.del ? "still holds" : "does not hold";
		}
	}
	if (bad) {
		rc = mu_result_fail(r, MU_E_EXEC, "ufw ran but its rules file %s '%s'%s%s",
				    bad, text, last_out && *last_out ? "; ufw said: " : "",
				    last_out ? last_out : "");
	} else if (now.conf_enabled != plan->sim.conf_enabled ||
		   now.loaded != plan->sim.loaded) {
		rc = mu_result_fail(r, MU_E_EXEC, "ufw ran but is %s and %s afterwards%s%s",
				    now.conf_enabled ? "enabled" : "disabled",
				    now.loaded ? "loaded" : "not loaded",
				    last_out && *last_out ? "; ufw said: " : "",
				    last_out ? last_out : "");
	} else {
		for (int c = 0; c < UFW_NCHAINS && !rc; c++)
			if (strcmp(now.policy[c], plan->sim.policy[c]) != 0)
				rc = mu_result_fail(r, MU_E_EXEC, "ufw ran but the default %s "
						    "policy is %s, not %s", ufw_chain_name(c),
						    now.policy[c], plan->sim.policy[c]);
	}
	ufw_state_release(&now);
	return rc;
}

/* ufw's output as one line, for a message. */
static void trim(struct mu_buf *b)
{
	mu_buf_rtrim(b, "\n ");
	for (size_t i = 0; i < b->len; i++)
		if (b->buf[i] == '\n')
			b->buf[i] = ' ';
}

static int ufw_apply(struct mu_task *t, struct mu_result *r)
{
	struct ufw_plan *plan = t->plan;
	struct mu_buf out = MU_BUF_INIT, err = MU_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < plan->ncmds; i++) {
		struct mu_child c = MU_CHILD_INIT;
		struct mu_err e = { 0 };
		struct mu_buf shown = MU_BUF_INIT;

		mu_buf_reset(&out);
		mu_buf_reset(&err);
		c.argv = (const char *const *)plan->cmds[i].v;
		c.timeout_sec = 120;
		rc = mu_child_run(&c, &out, &err, &e);
		if (rc == 0)
			continue;
		argv_show(&plan->cmds[i], &shown);
		trim(&err);
		trim(&out);
		if (rc < 0)
			mu_result_fail(r, rc, "ufw: %s", e.msg);
		else
			mu_result_fail(r, MU_E_EXEC, "'%s' failed (exit %d): %s", shown.buf, rc,
				       err.len ? err.buf : out.buf);
		mu_buf_release(&shown);
		goto out;
	}
	trim(&out);
	rc = verify(r, plan, out.buf);
out:
	mu_buf_release(&out);
	mu_buf_release(&err);
	return rc;
}

const struct mu_module mu_mod_ufw = {
	.name = "ufw",
	.aliases = ufw_aliases,
	.args = ufw_args,
	.flags = MU_MOD_NEEDS_ROOT,
	.summary = "manage ufw rules, default policies, logging and state, "
		   "never locking out the SSH session",
	.check = ufw_check,
	.apply = ufw_apply,
	.plan_free = plan_free,
};
