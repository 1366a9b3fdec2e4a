/*
 * ufw rules as ufw itself stores them: the "### tuple ###" lines of
 * /etc/ufw/user.rules and user6.rules. The ufw module builds the tuple a
 * task wants with the same normalisation ufw applies (addresses in
 * canonical form, networks masked, ports sorted, service names resolved,
 * comments hex-encoded), so that comparing tuples is the whole of
 * idempotence, with no parsing of `ufw status` text.
 */
#ifndef MU_UFW_RULE_H
#define MU_UFW_RULE_H

#include <stdbool.h>
#include <stddef.h>

#include "mu_buf.h"
#include "mu_err.h"

/* Field sizes: ufw allows at most 15 ports, so 256 bytes is ample. */
#define UFW_PORTS_MAX 256
#define UFW_ADDR_MAX 80
#define UFW_COMMENT_MAX 500           /* bytes of comment text we accept */
#define UFW_HEX_MAX (2 * UFW_COMMENT_MAX + 1)

/* One stored rule, for one address family. */
struct ufw_tuple {
	char action[16];               /* allow, deny, reject, limit */
	char logtype[16];              /* "", "log" or "log-all" */
	bool route;                    /* a route (forward) rule */
	char proto[16];                /* tcp, udp, any, ... */
	char dport[UFW_PORTS_MAX];     /* "any", "80", "79:90,443" */
	char dst[UFW_ADDR_MAX];        /* "0.0.0.0/0", "::/0", "10.0.0.0/8" */
	char sport[UFW_PORTS_MAX];
	char src[UFW_ADDR_MAX];
	char dapp[64];                 /* application profile names, "" if none */
	char sapp[64];
	char ifaces[48];               /* "in", "out", "in_eth0", "in_a!out_b" */
	char comment[UFW_HEX_MAX];     /* hex as stored; "" if none */
	bool v6;
	bool overlong;                 /* a field did not fit: never equal */
};

/* A list of tuples in file order. */
struct ufw_rules {
	struct ufw_tuple *v;
	size_t n;
	size_t cap;
};

void ufw_rules_push(struct ufw_rules *l, const struct ufw_tuple *t);
void ufw_rules_insert(struct ufw_rules *l, size_t at, const struct ufw_tuple *t);
void ufw_rules_remove(struct ufw_rules *l, size_t at);
void ufw_rules_copy(struct ufw_rules *dst, const struct ufw_rules *src);
void ufw_rules_release(struct ufw_rules *l);

/*
 * Parse one "### tuple ### ..." line (without the newline). Returns false
 * if the line is not a tuple or is malformed (ufw skips those too).
 */
bool ufw_tuple_parse(const char *line, bool v6, struct ufw_tuple *out);
/* Append every tuple of a rules file's text to out, in order. */
void ufw_tuples_scan(const char *text, bool v6, struct ufw_rules *out);

/*
 * Same match key as ufw's own UFWRule.match(): everything but the action,
 * the log type and the comment.
 */
bool ufw_tuple_same_key(const struct ufw_tuple *a, const struct ufw_tuple *b);
/* Same key, action, log type and comment: nothing to do. */
bool ufw_tuple_same(const struct ufw_tuple *a, const struct ufw_tuple *b);

/* Text as ufw writes it after "### tuple ### " (comment decoded, quoted). */
void ufw_tuple_format(const struct ufw_tuple *t, struct mu_buf *out);

/*
 * Normalise an address the way ufw does: "any" gives family 0 and "any";
 * otherwise canonical text, host masks (/32, /128) dropped, IPv4 networks
 * masked to their network address, dotted IPv4 netmasks turned into a
 * prefix length. *family is AF_INET or AF_INET6.
 */
int ufw_addr_norm(const char *in, char *out, size_t len, int *family,
		  struct mu_err *e);

/*
 * Normalise a port spec: "80", "http", "8000:8010", "22,80,443". Service
 * names are looked up in services_file (/etc/services). Entries are sorted
 * the way ufw sorts them. *multi is set for a range or a list (which ufw
 * accepts only with proto tcp or udp); *svc_protos gets the protocols the
 * named services have (1 = tcp, 2 = udp; 0 when no name was used).
 * "8000-8010" is refused with a hint to write "8000:8010".
 */
int ufw_ports_norm(const char *in, const char *services_file, char *out,
		   size_t len, bool *multi, unsigned *svc_protos, struct mu_err *e);

/* Protocol bits of a service name in services_file; 0 if unknown. */
unsigned ufw_service_lookup(const char *services_file, const char *name,
			    unsigned *port);

/* Does a stored port field ("any", "22", "20:30,80") cover port? */
bool ufw_ports_cover(const char *ports, unsigned port);

/*
 * Is incoming tcp to port allowed for every client by these rules? The
 * first rule that governs it (proto tcp or any, covering the port, plain
 * direction "in" with no interface, source and destination any, any
 * source port) decides: allow or limit lets it in. No such rule: false.
 */
bool ufw_port_allowed(const struct ufw_rules *l, unsigned port);
/* A deny/reject rule for incoming tcp to port from any source. */
bool ufw_rule_blocks(const struct ufw_tuple *t, unsigned port);

/* Hex-encode a comment as ufw stores it (lowercase). false if too long. */
bool ufw_hex_encode(const char *s, char *out, size_t len);
/* Decode ufw's hex into out (best effort; odd trailing digit dropped). */
void ufw_hex_decode(const char *hex, char *out, size_t len);

#endif
