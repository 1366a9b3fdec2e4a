/*
 * A reader for the ssh_config(5) keywords muster uses. One pass over the
 * user's file (then the system's), tracking whether the current Host or
 * Match block applies; the first value seen for a keyword wins, except
 * IdentityFile, which collects. Tokens (%h, %r, ~, ...) are expanded once
 * the final host, user and port are known.
 */
#include "ssh_config.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mu_buf.h"

#define MAX_ARGS 64
#define MAX_INCLUDE_DEPTH 16

struct cfg_state {
	const char *orig_host;     /* the host as given: what Host matches */
	const char *user_override;
	const char *local_user;
	const char *home;
	char *hostname;
	char *user;
	int port;
	char **ids;
	size_t n_ids;
	char *known_hosts;
	bool known_hosts_set;
	char *global_known_hosts;
	bool global_known_hosts_set;
	int identities_only;   /* -1 unset, 0 no, 1 yes */
	char *proxy_jump;
	bool proxy_jump_set;
	enum mu_ssh_strict strict;
	int connect_timeout;
};

bool mu_ssh_glob(const char *pat, size_t plen, const char *s)
{
	/* Iterative glob with one backtrack point: linear for '*' patterns. */
	size_t p = 0;
	size_t star_p = (size_t)-1;
	const char *star_s = NULL;

	while (*s) {
		if (p < plen && (pat[p] == '?' ||
				 tolower((unsigned char)pat[p]) == tolower((unsigned char)*s))) {
			p++;
			s++;
		} else if (p < plen && pat[p] == '*') {
			star_p = p++;
			star_s = s;
		} else if (star_p != (size_t)-1) {
			p = star_p + 1;
			s = ++star_s;
		} else {
			return false;
		}
	}
	while (p < plen && pat[p] == '*')
		p++;
	return p == plen;
}

int mu_ssh_match_list(const char *list, const char *seps, const char *s)
{
	int found = 0;

	while (*list) {
		size_t n = strcspn(list, seps);
		bool neg = n > 0 && list[0] == '!';

		if (n > (size_t)neg && mu_ssh_glob(list + neg, n - neg, s)) {
			if (neg)
				return -1;
			found = 1;
		}
		list += n;
		if (*list)
			list++;
	}
	return found;
}

/* Split a line into keyword and arguments in place; '=' may follow the keyword. */
static int split_line(char *line, char **argv, int *argc, const char *file,
		      int lineno, struct mu_err *e)
{
	char *p = line;
	int n = 0;

	while (*p) {
		char *tok;

		while (*p && isspace((unsigned char)*p))
			p++;
		if (n == 1 && *p == '=') {
			p++;
			while (*p && isspace((unsigned char)*p))
				p++;
		}
		if (!*p || *p == '#')
			break;
		if (n == MAX_ARGS)
			return mu_err_set(e, MU_E_PARSE, "%s:%d: too many arguments",
					  file, lineno);
		if (*p == '"') {
			tok = ++p;
			p = strchr(p, '"');
			if (!p)
				return mu_err_set(e, MU_E_PARSE, "%s:%d: unterminated quote",
						  file, lineno);
			*p++ = '\0';
		} else {
			tok = p;
			while (*p && !isspace((unsigned char)*p) && !(n == 0 && *p == '='))
				p++;
			if (*p)
				*p++ = '\0';
		}
		argv[n++] = tok;
	}
	*argc = n;
	return 0;
}

static bool host_block_applies(char **argv, int argc, const char *host)
{
	bool positive = false;

	for (int i = 1; i < argc; i++) {
		bool neg = argv[i][0] == '!';
		const char *pat = argv[i] + neg;

		if (mu_ssh_glob(pat, strlen(pat), host)) {
			if (neg)
				return false;
			positive = true;
		}
	}
	return positive;
}

/* The user Match sees: the override, the config's so far, or the local one. */
static const char *current_user(const struct cfg_state *st)
{
	if (st->user_override)
		return st->user_override;
	return st->user ? st->user : st->local_user;
}

static int match_block_applies(char **argv, int argc, const struct cfg_state *st,
			       const char *file, int lineno, bool *applies,
			       struct mu_err *e)
{
	bool all = true;

	if (argc < 2)
		return mu_err_set(e, MU_E_PARSE, "%s:%d: 'Match' needs criteria", file, lineno);
	for (int i = 1; i < argc; i++) {
		bool neg = argv[i][0] == '!';
		const char *c = argv[i] + neg;
		const char *arg = i + 1 < argc ? argv[i + 1] : NULL;
		bool hit;

		if (strcasecmp(c, "all") == 0 || strcasecmp(c, "final") == 0) {
			/* One pass only: the final pass is this one. */
			hit = true;
		} else if (strcasecmp(c, "canonical") == 0) {
			hit = false;
		} else if (strcasecmp(c, "host") == 0 || strcasecmp(c, "originalhost") == 0 ||
			   strcasecmp(c, "user") == 0 || strcasecmp(c, "localuser") == 0 ||
			   strcasecmp(c, "exec") == 0 || strcasecmp(c, "localnetwork") == 0 ||
			   strcasecmp(c, "tagged") == 0) {
			const char *subject = NULL;

			if (!arg)
				return mu_err_set(e, MU_E_PARSE, "%s:%d: 'Match %s' needs an argument",
						  file, lineno, c);
			i++;
			if (strcasecmp(c, "host") == 0)
				subject = st->hostname ? st->hostname : st->orig_host;
			else if (strcasecmp(c, "originalhost") == 0)
				subject = st->orig_host;
			else if (strcasecmp(c, "user") == 0)
				subject = current_user(st);
			else if (strcasecmp(c, "localuser") == 0)
				subject = st->local_user;
			/* exec, localnetwork, tagged: we run no commands; never true. */
			hit = subject && mu_ssh_match_list(arg, ",", subject) == 1;
		} else {
			return mu_err_set(e, MU_E_PARSE, "%s:%d: unsupported 'Match' criterion '%s'",
					  file, lineno, c);
		}
		if (hit == neg)
			all = false;
	}
	*applies = all;
	return 0;
}

static char *expand_tilde(const char *s, const char *home)
{
	if (s[0] != '~')
		return mu_xstrdup(s);
	if (s[1] == '/' || s[1] == '\0')
		return mu_xasprintf("%s%s", home, s + 1);
	{
		/* ~user/... */
		size_t n = strcspn(s + 1, "/");
		char *name = mu_xstrndup(s + 1, n);
		struct passwd pw, *res = NULL;
		char buf[4096];
		char *out;

		if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) == 0 && res)
			out = mu_xasprintf("%s%s", res->pw_dir, s + 1 + n);
		else
			out = mu_xstrdup(s);
		free(name);
		return out;
	}
}

static int parse_file(const char *path, const char *base, struct cfg_state *st,
		      int depth, struct mu_err *e);

static int do_include(char **argv, int argc, const char *base, struct cfg_state *st,
		      int depth, const char *file, int lineno, struct mu_err *e)
{
	if (depth >= MAX_INCLUDE_DEPTH)
		return mu_err_set(e, MU_E_PARSE, "%s:%d: 'Include' nested too deeply",
				  file, lineno);
	for (int i = 1; i < argc; i++) {
		char *p = expand_tilde(argv[i], st->home);
		char *full = p[0] == '/' ? p : mu_xasprintf("%s/%s", base, p);
		glob_t g;
		int r = 0;

		if (full != p)
			free(p);
		memset(&g, 0, sizeof(g));
		if (glob(full, 0, NULL, &g) == 0) {
			for (size_t k = 0; k < g.gl_pathc && !r; k++)
				r = parse_file(g.gl_pathv[k], base, st, depth + 1, e);
		}
		globfree(&g);
		free(full);
		if (r)
			return r;
	}
	return 0;
}

static int parse_port(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 1 || v > 65535)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_yes_no(const char *s)
{
	if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0)
		return 1;
	if (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0)
		return 0;
	return -1;
}

static int apply_keyword(char **argv, int argc, struct cfg_state *st,
			 const char *file, int lineno, struct mu_err *e)
{
	const char *kw = argv[0];

	if (argc < 2)
		return mu_err_set(e, MU_E_PARSE, "%s:%d: '%s' needs a value", file, lineno, kw);
	if (strcasecmp(kw, "HostName") == 0) {
		if (!st->hostname)
			st->hostname = mu_xstrdup(argv[1]);
	} else if (strcasecmp(kw, "User") == 0) {
		if (!st->user)
			st->user = mu_xstrdup(argv[1]);
	} else if (strcasecmp(kw, "Port") == 0) {
		int port;

		if (parse_port(argv[1], &port) != 0)
			return mu_err_set(e, MU_E_PARSE, "%s:%d: bad port '%s'", file, lineno,
					  argv[1]);
		if (!st->port)
			st->port = port;
	} else if (strcasecmp(kw, "IdentityFile") == 0) {
		if (strcasecmp(argv[1], "none") == 0)
			return 0;
		for (size_t i = 0; i < st->n_ids; i++)
			if (strcmp(st->ids[i], argv[1]) == 0)
				return 0;
		st->ids = mu_xrealloc(st->ids, (st->n_ids + 1) * sizeof(*st->ids));
		st->ids[st->n_ids++] = mu_xstrdup(argv[1]);
	} else if (strcasecmp(kw, "ProxyJump") == 0) {
		if (!st->proxy_jump_set) {
			st->proxy_jump_set = true;
			if (strcasecmp(argv[1], "none") != 0)
				st->proxy_jump = mu_xstrdup(argv[1]);
		}
	} else if (strcasecmp(kw, "UserKnownHostsFile") == 0) {
		if (!st->known_hosts_set) {
			st->known_hosts_set = true;
			st->known_hosts = mu_xstrdup(strcasecmp(argv[1], "none") == 0
						     ? "/dev/null" : argv[1]);
		}
	} else if (strcasecmp(kw, "GlobalKnownHostsFile") == 0) {
		if (!st->global_known_hosts_set) {
			st->global_known_hosts_set = true;
			st->global_known_hosts = mu_xstrdup(strcasecmp(argv[1], "none") == 0
							    ? "/dev/null" : argv[1]);
		}
	} else if (strcasecmp(kw, "IdentitiesOnly") == 0) {
		int v = parse_yes_no(argv[1]);

		if (v < 0)
			return mu_err_set(e, MU_E_PARSE, "%s:%d: bad IdentitiesOnly '%s'",
					  file, lineno, argv[1]);
		if (st->identities_only < 0)
			st->identities_only = v;
	} else if (strcasecmp(kw, "StrictHostKeyChecking") == 0) {
		enum mu_ssh_strict v;

		if (strcasecmp(argv[1], "yes") == 0 || strcasecmp(argv[1], "ask") == 0 ||
		    strcasecmp(argv[1], "true") == 0)
			v = MU_SSH_STRICT_YES;
		else if (strcasecmp(argv[1], "accept-new") == 0 ||
			 strcasecmp(argv[1], "no") == 0 || strcasecmp(argv[1], "off") == 0 ||
			 strcasecmp(argv[1], "false") == 0)
			v = MU_SSH_STRICT_ACCEPT_NEW;
		else
			return mu_err_set(e, MU_E_PARSE,
					  "%s:%d: bad StrictHostKeyChecking '%s'",
					  file, lineno, argv[1]);
		if (st->strict == MU_SSH_STRICT_UNSET)
			st->strict = v;
	} else if (strcasecmp(kw, "ConnectTimeout") == 0) {
		char *end;
		long v = strtol(argv[1], &end, 10);

		if (*end || end == argv[1] || v < 0 || v > 86400)
			return mu_err_set(e, MU_E_PARSE, "%s:%d: bad ConnectTimeout '%s'",
					  file, lineno, argv[1]);
		if (!st->connect_timeout)
			st->connect_timeout = (int)v;
	}
	/* Everything else is ssh's business, not ours. */
	return 0;
}

static int parse_file(const char *path, const char *base, struct cfg_state *st,
		      int depth, struct mu_err *e)
{
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0;
	bool active = true;
	int r = 0;

	f = fopen(path, "re");
	if (!f) {
		r = mu_err_sys(e, "cannot read ssh config '%s'", path);
		goto out;
	}
	while (getline(&line, &cap, f) >= 0) {
		char *argv[MAX_ARGS];
		int argc = 0;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if ((r = split_line(line, argv, &argc, path, lineno, e)) != 0)
			goto out;
		if (argc == 0)
			continue;
		if (strcasecmp(argv[0], "Host") == 0) {
			if (argc < 2) {
				r = mu_err_set(e, MU_E_PARSE, "%s:%d: 'Host' needs a pattern",
					       path, lineno);
				goto out;
			}
			active = host_block_applies(argv, argc, st->orig_host);
		} else if (strcasecmp(argv[0], "Match") == 0) {
			if ((r = match_block_applies(argv, argc, st, path, lineno, &active, e)) != 0)
				goto out;
		} else if (!active) {
			continue;
		} else if (strcasecmp(argv[0], "Include") == 0) {
			if ((r = do_include(argv, argc, base, st, depth, path, lineno, e)) != 0)
				goto out;
		} else if ((r = apply_keyword(argv, argc, st, path, lineno, e)) != 0) {
			goto out;
		}
	}
	if (ferror(f))
		r = mu_err_sys(e, "cannot read ssh config '%s'", path);
out:
	free(line);
	if (f)
		fclose(f);
	return r;
}

struct tokens {
	const char *home, *host, *orig_host, *ruser, *luser;
	int port;
};

/* Expand ~ and the %-tokens ssh_config(5) allows in file names. */
static int expand_tokens(const char *in, const struct tokens *tk, bool files,
			 char **out, struct mu_err *e)
{
	struct mu_buf b = MU_BUF_INIT;
	char *tilde = files ? expand_tilde(in, tk->home) : mu_xstrdup(in);
	int r = 0;

	for (const char *p = tilde; *p; p++) {
		char host[256];

		if (*p != '%') {
			mu_buf_addch(&b, *p);
			continue;
		}
		switch (*++p) {
		case '%': mu_buf_addch(&b, '%'); break;
		case 'h': mu_buf_addstr(&b, tk->host); break;
		case 'n': mu_buf_addstr(&b, tk->orig_host); break;
		case 'd': if (files) { mu_buf_addstr(&b, tk->home); break; } goto bad;
		case 'u': if (files) { mu_buf_addstr(&b, tk->luser); break; } goto bad;
		case 'r': if (files) { mu_buf_addstr(&b, tk->ruser); break; } goto bad;
		case 'p': if (files) { mu_buf_addf(&b, "%d", tk->port); break; } goto bad;
		case 'i': if (files) { mu_buf_addf(&b, "%u", (unsigned)getuid()); break; } goto bad;
		case 'l':
		case 'L':
			if (!files)
				goto bad;
			if (gethostname(host, sizeof(host)) != 0)
				host[0] = '\0';
			host[sizeof(host) - 1] = '\0';
			if (*p == 'L')
				host[strcspn(host, ".")] = '\0';
			mu_buf_addstr(&b, host);
			break;
		default:
		bad:
			r = mu_err_set(e, MU_E_PARSE, "unsupported token '%%%c' in ssh config value '%s'",
				       *p ? *p : ' ', in);
			goto out;
		}
		if (!*p)
			break;
	}
	*out = mu_buf_detach(&b, NULL);
out:
	free(tilde);
	mu_buf_release(&b);
	return r;
}

static void local_identity(char **user, char **home)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	const char *h = getenv("HOME");

	if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) == 0 && res) {
		*user = mu_xstrdup(res->pw_name);
		*home = mu_xstrdup(h && *h ? h : res->pw_dir);
	} else {
		*user = mu_xasprintf("%u", (unsigned)geteuid());
		*home = mu_xstrdup(h && *h ? h : "/");
	}
}

int mu_ssh_config_resolve(const char *path, const char *host, const char *user,
			  int port, struct mu_ssh_host *out, struct mu_err *e)
{
	struct cfg_state st = { 0 };
	struct tokens tk;
	char *luser = NULL, *home = NULL;
	char *tmp = NULL;
	int r = 0;

	memset(out, 0, sizeof(*out));
	st.identities_only = -1;
	local_identity(&luser, &home);
	st.orig_host = host;
	st.user_override = user && *user ? user : NULL;
	st.local_user = luser;
	st.home = home;
	if (!path) {
		char *userfile = mu_xasprintf("%s/.ssh/config", home);
		char *userbase = mu_xasprintf("%s/.ssh", home);

		if (access(userfile, F_OK) == 0)
			r = parse_file(userfile, userbase, &st, 0, e);
		if (!r && access("/etc/ssh/ssh_config", F_OK) == 0)
			r = parse_file("/etc/ssh/ssh_config", "/etc/ssh", &st, 0, e);
		free(userfile);
		free(userbase);
	} else if (*path) {
		char *userbase = mu_xasprintf("%s/.ssh", home);

		r = parse_file(path, userbase, &st, 0, e);
		free(userbase);
	}
	if (r)
		goto out;

	/* Command-line style overrides win over anything from the file. */
	out->port = port > 0 ? port : st.port > 0 ? st.port : 22;
	out->user = mu_xstrdup(st.user_override ? st.user_override
			       : st.user ? st.user : luser);
	if (st.hostname) {
		tk = (struct tokens){ .home = home, .host = host, .orig_host = host,
				      .ruser = out->user, .luser = luser, .port = out->port };
		if ((r = expand_tokens(st.hostname, &tk, false, &out->hostname, e)) != 0)
			goto out;
	} else {
		out->hostname = mu_xstrdup(host);
	}
	tk = (struct tokens){ .home = home, .host = out->hostname, .orig_host = host,
			      .ruser = out->user, .luser = luser, .port = out->port };
	out->identity = mu_xcalloc(st.n_ids + 1, sizeof(*out->identity));
	for (size_t i = 0; i < st.n_ids; i++) {
		if ((r = expand_tokens(st.ids[i], &tk, true, &tmp, e)) != 0)
			goto out;
		out->identity[out->n_identity++] = tmp;
		tmp = NULL;
	}
	if (st.known_hosts &&
	    (r = expand_tokens(st.known_hosts, &tk, true, &out->known_hosts, e)) != 0)
		goto out;
	if (st.global_known_hosts &&
	    (r = expand_tokens(st.global_known_hosts, &tk, true, &out->global_known_hosts, e)) != 0)
		goto out;
	out->identities_only = st.identities_only == 1;
	out->proxy_jump = st.proxy_jump;
	st.proxy_jump = NULL;
	out->strict = st.strict;
	out->connect_timeout = st.connect_timeout;
out:
	if (r)
		mu_ssh_host_release(out);
	for (size_t i = 0; i < st.n_ids; i++)
		free(st.ids[i]);
	free(st.ids);
	free(st.hostname);
	free(st.user);
	free(st.known_hosts);
	free(st.global_known_hosts);
	free(st.proxy_jump);
	free(luser);
	free(home);
	return r;
}

void mu_ssh_host_release(struct mu_ssh_host *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n_identity; i++)
		free(h->identity[i]);
	free(h->identity);
	free(h->hostname);
	free(h->user);
	free(h->known_hosts);
	free(h->global_known_hosts);
	free(h->proxy_jump);
	memset(h, 0, sizeof(*h));
}
