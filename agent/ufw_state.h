/*
 * What ufw has stored on a host, read from its own files rather than from
 * `ufw status` text: the rule tuples (/etc/ufw/user.rules, user6.rules),
 * ENABLED and LOGLEVEL (/etc/ufw/ufw.conf), the default policies and IPV6
 * (/etc/default/ufw), plus whether ufw's chains are loaded right now.
 */
#ifndef MU_UFW_STATE_H
#define MU_UFW_STATE_H

#include <stdbool.h>

#include "mu_err.h"
#include "ufw_rule.h"

enum ufw_chain { UFW_INCOMING, UFW_OUTGOING, UFW_ROUTED, UFW_NCHAINS };

struct ufw_state {
	struct ufw_rules rules4;
	struct ufw_rules rules6;
	bool conf_enabled;             /* ENABLED=yes: started at boot */
	bool loaded;                   /* ufw's chains are in the kernel now */
	bool ipv6;                     /* IPV6=yes: "any" rules get a v6 twin */
	char loglevel[16];             /* off, low, medium, high, full */
	char policy[UFW_NCHAINS][16];  /* allow, deny, reject */
};

/* The files read (here so tests and docs name the same paths). */
#define UFW_USER_RULES "/etc/ufw/user.rules"
#define UFW_USER6_RULES "/etc/ufw/user6.rules"
#define UFW_CONF "/etc/ufw/ufw.conf"
#define UFW_DEFAULTS "/etc/default/ufw"
#define UFW_SERVICES "/etc/services"

/*
 * Read everything into s (release with ufw_state_release). Fails naming
 * the file when ufw's files are missing (ufw not installed). Runs
 * `iptables -n -L ufw-user-input`, read-only, to learn whether ufw is
 * loaded.
 */
int ufw_state_read(struct ufw_state *s, struct mu_err *e);
void ufw_state_release(struct ufw_state *s);
/* Deep copy (for simulating a task's effect). */
void ufw_state_copy(struct ufw_state *dst, const struct ufw_state *src);

/*
 * Would new incoming tcp connections to port be refused in state s? True
 * when ufw is enabled or loaded, the incoming policy is deny or reject,
 * and the port is not allowed for IPv4, or for IPv6 when IPV6=yes.
 */
bool ufw_locked_out(const struct ufw_state *s, unsigned port);

/* "incoming" / "outgoing" / "routed". */
const char *ufw_chain_name(enum ufw_chain c);

#endif
