/*
 * ufw tuples: parsing the stored lines, building the wanted ones with
 * ufw's own normalisation, and comparing them (see ufw_rule.h).
 */
#include "ufw_rule.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define UFW_MAX_PORT_ENTRIES 15

void ufw_rules_push(struct ufw_rules *l, const struct ufw_tuple *t)
{
	ufw_rules_insert(l, l->n, t);
}

void ufw_rules_insert(struct ufw_rules *l, size_t at, const struct ufw_tuple *t)
{
	if (at > l->n)
		at = l->n;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = mu_xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	memmove(&l->v[at + 1], &l->v[at], (l->n - at) * sizeof(*l->v));
	l->v[at] = *t;
	l->n++;
}

void ufw_rules_remove(struct ufw_rules *l, size_t at)
{
	if (at >= l->n)
		return;
	memmove(&l->v[at], &l->v[at + 1], (l->n - at - 1) * sizeof(*l->v));
	l->n--;
}

void ufw_rules_copy(struct ufw_rules *dst, const struct ufw_rules *src)
{
	dst->n = dst->cap = 0;
	dst->v = NULL;
	for (size_t i = 0; i < src->n; i++)
		ufw_rules_push(dst, &src->v[i]);
}

void ufw_rules_release(struct ufw_rules *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Copy a field; a field that does not fit marks the tuple unmatchable. */
static void field(struct ufw_tuple *t, char *dst, size_t len, const char *s, size_t n)
{
	if (n >= len) {
		t->overlong = true;
		n = len - 1;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

#define FIELD(t, member, s, n) field((t), (t)->member, sizeof((t)->member), (s), (n))

/* Split "route:allow_log" into its parts. */
static void parse_action(struct ufw_tuple *t, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	const char *us;

	if (colon) {
		t->route = true;
		n -= (size_t)(colon + 1 - s);
		s = colon + 1;
	}
	us = memchr(s, '_', n);
	if (us) {
		FIELD(t, action, s, (size_t)(us - s));
		FIELD(t, logtype, us + 1, n - (size_t)(us + 1 - s));
	} else {
		FIELD(t, action, s, n);
	}
}

/* An application name as stored: "-" is none, "%20" a space (kept raw). */
static void parse_app(struct ufw_tuple *t, char *dst, size_t len, const char *s, size_t n)
{
	if (n == 1 && s[0] == '-')
		n = 0;
	field(t, dst, len, s, n);
}

bool ufw_tuple_parse(const char *line, bool v6, struct ufw_tuple *out)
{
	static const char prefix[] = "### tuple ###";
	const char *p = line;
	const char *end;
	const char *tok[9];
	size_t toklen[9];
	size_t nt = 0;
	const char *cm;

	memset(out, 0, sizeof(*out));
	out->v6 = v6;
	if (strncmp(p, prefix, sizeof(prefix) - 1) != 0)
		return false;
	p += sizeof(prefix) - 1;
	end = p + strlen(p);
	/* comment= is always last; ufw splits it off first, so do we. */
	cm = strstr(p, " comment=");
	if (cm) {
		const char *h = cm + strlen(" comment=");
		size_t hn = strcspn(h, " \t\r\n");

		FIELD(out, comment, h, hn);
		end = cm;
	}
	while (p < end) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end)
			break;
		if (nt == 9)
			return false;
		tok[nt] = p;
		while (p < end && !isspace((unsigned char)*p))
			p++;
		toklen[nt] = (size_t)(p - tok[nt]);
		nt++;
	}
	if (nt < 6)
		return false;
	parse_action(out, tok[0], toklen[0]);
	FIELD(out, proto, tok[1], toklen[1]);
	FIELD(out, dport, tok[2], toklen[2]);
	FIELD(out, dst, tok[3], toklen[3]);
	FIELD(out, sport, tok[4], toklen[4]);
	FIELD(out, src, tok[5], toklen[5]);
	switch (nt) {
	case 6: /* old format: no direction, which meant "in" */
		FIELD(out, ifaces, "in", 2);
		break;
	case 7:
		FIELD(out, ifaces, tok[6], toklen[6]);
		break;
	case 8:
		parse_app(out, out->dapp, sizeof(out->dapp), tok[6], toklen[6]);
		parse_app(out, out->sapp, sizeof(out->sapp), tok[7], toklen[7]);
		FIELD(out, ifaces, "in", 2);
		break;
	case 9:
		parse_app(out, out->dapp, sizeof(out->dapp), tok[6], toklen[6]);
		parse_app(out, out->sapp, sizeof(out->sapp), tok[7], toklen[7]);
		FIELD(out, ifaces, tok[8], toklen[8]);
		break;
	}
	return true;
}

void ufw_tuples_scan(const char *text, bool v6, struct ufw_rules *out)
{
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = mu_xstrndup(p, n);
		struct ufw_tuple t;

		if (ufw_tuple_parse(line, v6, &t))
			ufw_rules_push(out, &t);
		free(line);
		p = nl ? nl + 1 : NULL;
	}
}

bool ufw_tuple_same_key(const struct ufw_tuple *a, const struct ufw_tuple *b)
{
	return !a->overlong && !b->overlong && a->v6 == b->v6 &&
	       a->route == b->route && strcmp(a->proto, b->proto) == 0 &&
	       strcmp(a->dport, b->dport) == 0 && strcmp(a->dst, b->dst) == 0 &&
	       strcmp(a->sport, b->sport) == 0 && strcmp(a->src, b->src) == 0 &&
	       strcmp(a->dapp, b->dapp) == 0 && strcmp(a->sapp, b->sapp) == 0 &&
	       strcmp(a->ifaces, b->ifaces) == 0;
}

bool ufw_tuple_same(const struct ufw_tuple *a, const struct ufw_tuple *b)
{
	return ufw_tuple_same_key(a, b) && strcmp(a->action, b->action) == 0 &&
	       strcmp(a->logtype, b->logtype) == 0 &&
	       strcmp(a->comment, b->comment) == 0;
}

void ufw_tuple_format(const struct ufw_tuple *t, struct mu_buf *out)
{
	mu_buf_addf(out, "%s%s%s%s %s %s %s %s %s", t->route ? "route:" : "",
		    t->action, t->logtype[0] ? "_" : "", t->logtype, t->proto,
		    t->dport, t->dst, t->sport, t->src);
	if (t->dapp[0] || t->sapp[0])
		mu_buf_addf(out, " %s %s", t->dapp[0] ? t->dapp : "-",
			    t->sapp[0] ? t->sapp : "-");
	mu_buf_addf(out, " %s", t->ifaces);
	if (t->comment[0]) {
		char text[UFW_COMMENT_MAX + 1];

		ufw_hex_decode(t->comment, text, sizeof(text));
		mu_buf_addf(out, " comment '%s'", text);
	}
}

/* ---- addresses ---- */

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Prefix length of a contiguous dotted IPv4 netmask; -1 if not one. */
static int dotted_to_prefix(const char *s)
{
	struct in_addr m;
	unsigned long v;
	int bits = 0;

	if (inet_pton(AF_INET, s, &m) != 1)
		return -1;
	v = ntohl(m.s_addr);
	while (bits < 32 && (v & (1UL << (31 - bits))))
		bits++;
	if (bits < 32 && (v & ((1UL << (32 - bits)) - 1)))
		return -1;
	return bits;
}

int ufw_addr_norm(const char *in, char *out, size_t len, int *family,
		  struct mu_err *e)
{
	char addr[UFW_ADDR_MAX];
	char canon[INET6_ADDRSTRLEN];
	const char *slash;
	const char *mask = NULL;
	unsigned char bin[16];
	int prefix = -1;

	if (strcasecmp(in, "any") == 0) {
		*family = 0;
		snprintf(out, len, "any");
		return 0;
	}
	slash = strchr(in, '/');
	if ((slash ? (size_t)(slash - in) : strlen(in)) >= sizeof(addr))
		return mu_err_set(e, MU_E_ARG, "address '%s' is too long", in);
	snprintf(addr, sizeof(addr), "%.*s", slash ? (int)(slash - in) : (int)strlen(in), in);
	if (slash)
		mask = slash + 1;
	if (inet_pton(AF_INET, addr, bin) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, addr, bin) == 1)
		*family = AF_INET6;
	else
		return mu_err_set(e, MU_E_ARG, "'%s' is not an IP address, a network or 'any'", in);
	if (mask) {
		int max = *family == AF_INET ? 32 : 128;

		if (all_digits(mask) && strlen(mask) <= 3 && strtol(mask, NULL, 10) <= max)
			prefix = (int)strtol(mask, NULL, 10);
		else if (*family == AF_INET)
			prefix = dotted_to_prefix(mask);
		if (prefix < 0)
			return mu_err_set(e, MU_E_ARG, "bad netmask in '%s'", in);
		if (prefix == max)
			prefix = -1; /* a host mask: ufw drops it */
	}
	if (*family == AF_INET && prefix >= 0) {
		/* ufw stores an IPv4 network by its network address. */
		for (int i = 0; i < 4; i++) {
			int keep = prefix - 8 * i;

			if (keep <= 0)
				bin[i] = 0;
			else if (keep < 8)
				bin[i] &= (unsigned char)(0xff << (8 - keep));
		}
	}
	inet_ntop(*family, bin, canon, sizeof(canon));
	if (prefix >= 0)
		snprintf(out, len, "%s/%d", canon, prefix);
	else
		snprintf(out, len, "%s", canon);
	return 0;
}

/* ---- ports and services ---- */

/* Next whitespace-separated word of *p (NUL-terminated in place), or NULL. */
static char *next_word(char **p)
{
	char *s = *p;
	char *w;

	while (*s && isspace((unsigned char)*s))
		s++;
	if (!*s)
		return NULL;
	w = s;
	while (*s && !isspace((unsigned char)*s))
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return w;
}

unsigned ufw_service_lookup(const char *services_file, const char *name,
			    unsigned *port)
{
	FILE *fp = fopen(services_file, "re");
	char *line = NULL;
	size_t cap = 0;
	unsigned protos = 0;

	*port = 0;
	if (!fp)
		return 0;
	while (getline(&line, &cap, fp) > 0) {
		char *rest = line;
		char *hash = strchr(line, '#');
		char *svc, *pp, *slash, *alias;
		bool match;
		unsigned long num;

		if (hash)
			*hash = '\0';
		svc = next_word(&rest);
		pp = next_word(&rest);
		if (!svc || !pp || !(slash = strchr(pp, '/')))
			continue;
		match = strcmp(svc, name) == 0;
		while (!match && (alias = next_word(&rest)))
			match = strcmp(alias, name) == 0;
		if (!match)
			continue;
		*slash = '\0';
		num = strtoul(pp, NULL, 10);
		if (num < 1 || num > 65535)
			continue;
		if (!*port)
			*port = (unsigned)num; /* ufw takes the first entry's port */
		if (strcmp(slash + 1, "tcp") == 0)
			protos |= 1;
		else if (strcmp(slash + 1, "udp") == 0)
			protos |= 2;
	}
	free(line);
	fclose(fp);
	return protos;
}

struct port_entry {
	unsigned lo, hi;   /* hi == 0: a single port */
};

static bool parse_num(const char *s, size_t n, unsigned *out)
{
	char buf[8];

	if (n == 0 || n > 5)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!all_digits(buf))
		return false;
	*out = (unsigned)strtoul(buf, NULL, 10);
	return true;
}

static int parse_entry(const char *spec, const char *s, size_t n,
		       const char *services_file, struct port_entry *pe,
		       unsigned *svc_protos, bool *named, struct mu_err *e)
{
	const char *colon = memchr(s, ':', n);
	const char *dash = memchr(s, '-', n);
	char name[64];
	unsigned a, b, protos;

	pe->lo = pe->hi = 0;
	if (n == 0)
		return mu_err_set(e, MU_E_ARG, "port '%s' has an empty entry", spec);
	if (colon) {
		if (!parse_num(s, (size_t)(colon - s), &a) ||
		    !parse_num(colon + 1, n - (size_t)(colon + 1 - s), &b))
			return mu_err_set(e, MU_E_ARG,
					  "port range '%.*s' must be two port numbers, e.g. '8000:8010'",
					  (int)n, s);
		if (a < 1 || b > 65535 || a >= b)
			return mu_err_set(e, MU_E_ARG,
					  "port range '%.*s' must go from a lower to a higher port "
					  "within 1-65535", (int)n, s);
		pe->lo = a;
		pe->hi = b;
		return 0;
	}
	if (dash && parse_num(s, (size_t)(dash - s), &a) &&
	    parse_num(dash + 1, n - (size_t)(dash + 1 - s), &b))
		return mu_err_set(e, MU_E_ARG,
				  "port range '%.*s' uses '-'; ufw writes ranges with a colon: "
				  "'%u:%u'", (int)n, s, a, b);
	if (parse_num(s, n, &a)) {
		if (a < 1 || a > 65535)
			return mu_err_set(e, MU_E_ARG, "port '%.*s' is outside 1-65535",
					  (int)n, s);
		pe->lo = a;
		return 0;
	}
	if (n >= sizeof(name) || !isalnum((unsigned char)s[0]))
		return mu_err_set(e, MU_E_ARG, "port '%.*s' is not a number, a range or a "
				  "service name", (int)n, s);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return mu_err_set(e, MU_E_ARG, "port '%.*s' is not a number, a "
					  "range or a service name", (int)n, s);
	memcpy(name, s, n);
	name[n] = '\0';
	protos = ufw_service_lookup(services_file, name, &a);
	if (!a)
		return mu_err_set(e, MU_E_ARG, "unknown service '%s' (not in '%s')",
				  name, services_file);
	pe->lo = a;
	*svc_protos = *named ? (*svc_protos & protos) : protos;
	*named = true;
	return 0;
}

/* ufw's human_sort on numeric entries: by first port, single before range. */
static bool entry_before(const struct port_entry *x, const struct port_entry *y)
{
	if (x->lo != y->lo)
		return x->lo < y->lo;
	if (!x->hi != !y->hi)
		return !x->hi;
	return x->hi < y->hi;
}

int ufw_ports_norm(const char *in, const char *services_file, char *out,
		   size_t len, bool *multi, unsigned *svc_protos, struct mu_err *e)
{
	struct port_entry ent[UFW_MAX_PORT_ENTRIES];
	size_t n = 0;
	size_t seps = 0;
	bool named = false;
	const char *p = in;
	struct mu_buf b = MU_BUF_INIT;
	int r;

	*multi = false;
	*svc_protos = 0;
	if (strcasecmp(in, "any") == 0) {
		snprintf(out, len, "any");
		return 0;
	}
	for (const char *q = in; *q; q++)
		seps += (*q == ',' || *q == ':');
	if (seps > 14)
		return mu_err_set(e, MU_E_ARG, "port '%s' has too many entries (ufw allows "
				  "15 ports, a range counting as two)", in);
	while (true) {
		const char *comma = strchr(p, ',');
		size_t pn = comma ? (size_t)(comma - p) : strlen(p);

		if ((r = parse_entry(in, p, pn, services_file, &ent[n], svc_protos,
				     &named, e)) != 0)
			return r;
		if (ent[n].hi)
			*multi = true;
		n++;
		if (!comma)
			break;
		p = comma + 1;
	}
	if (n > 1)
		*multi = true;
	/* Insertion sort: stable, as Python's sort is, and n <= 15. */
	for (size_t i = 1; i < n; i++) {
		struct port_entry k = ent[i];
		size_t j = i;

		while (j > 0 && entry_before(&k, &ent[j - 1])) {
			ent[j] = ent[j - 1];
			j--;
		}
		ent[j] = k;
	}
	for (size_t i = 0; i < n; i++) {
		mu_buf_addf(&b, "%s%u", i ? "," : "", ent[i].lo);
		if (ent[i].hi)
			mu_buf_addf(&b, ":%u", ent[i].hi);
	}
	if (b.len >= len) {
		mu_buf_release(&b);
		return mu_err_set(e, MU_E_ARG, "port '%s' is too long", in);
	}
	snprintf(out, len, "%s", b.buf);
	mu_buf_release(&b);
	if (named && !*svc_protos)
		return mu_err_set(e, MU_E_ARG, "the services in port '%s' have no protocol "
				  "in common; give proto", in);
	return 0;
}

bool ufw_ports_cover(const char *ports, unsigned port)
{
	const char *p = ports;

	if (strcmp(ports, "any") == 0)
		return true;
	while (p && *p) {
		char *end;
		unsigned long lo = strtoul(p, &end, 10);
		unsigned long hi = lo;

		if (*end == ':')
			hi = strtoul(end + 1, &end, 10);
		if (port >= lo && port <= hi)
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

/* ---- what a rule does to one port ---- */

static bool is_any(const char *addr)
{
	return strcmp(addr, "0.0.0.0/0") == 0 || strcmp(addr, "::/0") == 0;
}

/* Does this rule decide for every incoming tcp connection to port? */
static bool rule_governs(const struct ufw_tuple *t, unsigned port)
{
	return !t->route && strcmp(t->ifaces, "in") == 0 &&
	       (strcmp(t->proto, "tcp") == 0 || strcmp(t->proto, "any") == 0) &&
	       ufw_ports_cover(t->dport, port) && strcmp(t->sport, "any") == 0 &&
	       is_any(t->src) && is_any(t->dst);
}

bool ufw_port_allowed(const struct ufw_rules *l, unsigned port)
{
	/* ufw's chain is first match wins: the first governing rule decides. */
	for (size_t i = 0; i < l->n; i++)
		if (rule_governs(&l->v[i], port))
			return strcmp(l->v[i].action, "allow") == 0 ||
			       strcmp(l->v[i].action, "limit") == 0;
	return false;
}

bool ufw_rule_blocks(const struct ufw_tuple *t, unsigned port)
{
	return (strcmp(t->action, "deny") == 0 || strcmp(t->action, "reject") == 0) &&
	       !t->route && strncmp(t->ifaces, "in", 2) == 0 &&
	       (strcmp(t->proto, "tcp") == 0 || strcmp(t->proto, "any") == 0) &&
	       ufw_ports_cover(t->dport, port) && strcmp(t->sport, "any") == 0 &&
	       is_any(t->src);
}

/* ---- comments ---- */

bool ufw_hex_encode(const char *s, char *out, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t n = strlen(s);

	if (2 * n + 1 > len)
		return false;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[(unsigned char)s[i] >> 4];
		out[2 * i + 1] = digits[(unsigned char)s[i] & 0xf];
	}
	out[2 * n] = '\0';
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void ufw_hex_decode(const char *hex, char *out, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; hex[i] && hex[i + 1] && o + 1 < len; i += 2) {
		int hi = hexval(hex[i]);
		int lo = hexval(hex[i + 1]);

		if (hi < 0 || lo < 0)
			break;
		out[o++] = (char)(hi << 4 | lo);
	}
	out[o] = '\0';
}
