/* Reading ufw's stored state from its files (see ufw_state.h). */
#include "ufw_state.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "child.h"
#include "fileio.h"

#define UFW_FILE_MAX ((size_t)16 * 1024 * 1024)

const char *ufw_chain_name(enum ufw_chain c)
{
	static const char *const names[] = { "incoming", "outgoing", "routed" };

	return c < UFW_NCHAINS ? names[c] : "?";
}

/*
 * Value of KEY in a shell-style KEY=value file (quotes stripped), copied
 * into out; false if the key is absent.
 */
static bool conf_get(const char *text, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key);
	const char *p = text;
	bool found = false;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *s = p;

		while (n && isspace((unsigned char)*s)) {
			s++;
			n--;
		}
		/* The last assignment wins, as when the shell sources it. */
		if (n > klen && strncmp(s, key, klen) == 0 && s[klen] == '=') {
			const char *v = s + klen + 1;
			size_t vn = n - klen - 1;

			while (vn && isspace((unsigned char)v[vn - 1]))
				vn--;
			if (vn >= 2 && (v[0] == '"' || v[0] == '\'') && v[vn - 1] == v[0]) {
				v++;
				vn -= 2;
			}
			snprintf(out, len, "%.*s", (int)vn, v);
			found = true;
		}
		p = nl ? nl + 1 : NULL;
	}
	return found;
}

/* ufw's iptables targets as the words its CLI uses. */
static void policy_word(const char *target, char *out, size_t len)
{
	if (strcasecmp(target, "ACCEPT") == 0)
		snprintf(out, len, "allow");
	else if (strcasecmp(target, "DROP") == 0)
		snprintf(out, len, "deny");
	else if (strcasecmp(target, "REJECT") == 0)
		snprintf(out, len, "reject");
	else
		snprintf(out, len, "%.15s", target); /* unknown: shown as is */
}

static int read_rules(const char *path, bool v6, bool required,
		      struct ufw_rules *out, struct mu_err *e)
{
	struct mu_buf b = MU_BUF_INIT;
	int r = mu_file_read(path, &b, UFW_FILE_MAX, e);

	if (r == MU_E_NOTFOUND && !required) {
		mu_err_clear(e);
		r = 0;
	} else if (r == 0) {
		ufw_tuples_scan(b.buf, v6, out);
	}
	mu_buf_release(&b);
	return r;
}

static bool chains_loaded(void)
{
	static const char *const argv[] = { "iptables", "-n", "-L", "ufw-user-input", NULL };
	struct mu_err e = { 0 };

	return mu_run(argv, NULL, NULL, &e) == 0;
}

int ufw_state_read(struct ufw_state *s, struct mu_err *e)
{
	static const char *const keys[UFW_NCHAINS] = {
		"DEFAULT_INPUT_POLICY", "DEFAULT_OUTPUT_POLICY", "DEFAULT_FORWARD_POLICY",
	};
	struct mu_buf conf = MU_BUF_INIT, defs = MU_BUF_INIT;
	char v[64];
	int r;

	memset(s, 0, sizeof(*s));
	if ((r = read_rules(UFW_USER_RULES, false, true, &s->rules4, e)) != 0 ||
	    (r = read_rules(UFW_USER6_RULES, true, false, &s->rules6, e)) != 0)
		goto out;
	if ((r = mu_file_read(UFW_CONF, &conf, UFW_FILE_MAX, e)) != 0 ||
	    (r = mu_file_read(UFW_DEFAULTS, &defs, UFW_FILE_MAX, e)) != 0)
		goto out;
	s->conf_enabled = conf_get(conf.buf, "ENABLED", v, sizeof(v)) &&
			  strcasecmp(v, "yes") == 0;
	if (!conf_get(conf.buf, "LOGLEVEL", s->loglevel, sizeof(s->loglevel)))
		snprintf(s->loglevel, sizeof(s->loglevel), "low");
	s->ipv6 = conf_get(defs.buf, "IPV6", v, sizeof(v)) && strcasecmp(v, "yes") == 0;
	for (int c = 0; c < UFW_NCHAINS; c++) {
		/* ufw's own fallback when a policy line is missing is DROP. */
		if (!conf_get(defs.buf, keys[c], v, sizeof(v)))
			snprintf(v, sizeof(v), "DROP");
		policy_word(v, s->policy[c], sizeof(s->policy[c]));
	}
	s->loaded = chains_loaded();
	r = 0;
out:
	if (r) {
		ufw_state_release(s);
		if (r == MU_E_NOTFOUND && e) {
			char why[sizeof(e->msg)];

			snprintf(why, sizeof(why), "%s", e->msg);
			mu_err_set(e, r, "ufw is not set up here: %s (is ufw installed?)", why);
		}
	}
	mu_buf_release(&conf);
	mu_buf_release(&defs);
	return r;
}

void ufw_state_release(struct ufw_state *s)
{
	ufw_rules_release(&s->rules4);
	ufw_rules_release(&s->rules6);
}

void ufw_state_copy(struct ufw_state *dst, const struct ufw_state *src)
{
	*dst = *src;
	ufw_rules_copy(&dst->rules4, &src->rules4);
	ufw_rules_copy(&dst->rules6, &src->rules6);
}

bool ufw_locked_out(const struct ufw_state *s, unsigned port)
{
	if (!s->conf_enabled && !s->loaded)
		return false;
	if (strcmp(s->policy[UFW_INCOMING], "allow") == 0)
		return false;
	return !ufw_port_allowed(&s->rules4, port) ||
	       (s->ipv6 && !ufw_port_allowed(&s->rules6, port));
}
