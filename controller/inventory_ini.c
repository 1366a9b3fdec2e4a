/*
 * The INI inventory format, read the way Ansible reads it:
 *   host [key=value ...]      in [group] (or before any section: ungrouped)
 *   [group:vars]  key=value   one per line, everything after the first '='
 *   [group:children] name     one child group per line
 * Lines starting with # or ; are comments; an unquoted " #" starts a
 * trailing comment. Host lines are split like a shell would (quotes group,
 * a # inside quotes is data). A group named only under [x:children] or
 * [x:vars] must be declared somewhere, as Ansible requires: a typo there
 * would otherwise make an empty group without a word.
 */
#include "inventory_int.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mu_buf.h"

enum section { SEC_HOSTS, SEC_VARS, SEC_CHILDREN };

struct ini {
	struct mu_inventory *inv;
	const char *path;
	int line;
	char where[300];
	struct mu_group *group;
	enum section sec;
	json_t *declared;   /* group name -> true once declared */
	json_t *pending;    /* group name -> line of a use awaiting declaration */
	struct mu_err *e;
};

static int ini_err(struct ini *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int ini_err(struct ini *st, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mu_err_set(st->e, MU_E_PARSE, "%s: %s", st->where, msg);
}

/*
 * Python's ast.literal_eval for the cases that matter here: decimal
 * integers, True, False and None; a quoted literal becomes its text.
 * Anything else is a string. Floats stay strings, as in our YAML.
 */
static json_t *py_literal(const char *v)
{
	size_t len = strlen(v);
	const char *d = v + (*v == '-' || *v == '+');
	bool digits = *d != '\0';

	if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0])
		return json_stringn(v + 1, len - 2);
	if (strcmp(v, "True") == 0 || strcmp(v, "False") == 0)
		return json_boolean(v[0] == 'T');
	if (strcmp(v, "None") == 0)
		return json_null();
	for (const char *p = d; *p; p++)
		if (!isdigit((unsigned char)*p))
			digits = false;
	if (digits && !(d[0] == '0' && d[1])) {
		long long n;

		errno = 0;
		n = strtoll(v, NULL, 10);
		if (errno == 0)
			return json_integer(n);
	}
	return json_string(v);
}

/*
 * Split a host line into words like shlex with comments on: whitespace
 * separates, '...' is literal, "..." allows \" and \\, a backslash outside
 * quotes escapes the next character, and # at the start of a word ends the
 * line. Words go to *words (caller frees each and the array).
 */
static int split_words(struct ini *st, const char *s, char ***words, size_t *nw)
{
	struct mu_buf w = MU_BUF_INIT;
	bool inword = false;
	int r = 0;

	*words = NULL;
	*nw = 0;
	for (;;) {
		char c = *s;

		if (c == '\0' || c == ' ' || c == '\t') {
			if (inword) {
				*words = mu_xrealloc(*words, (*nw + 1) * sizeof(**words));
				(*words)[(*nw)++] = mu_buf_detach(&w, NULL);
				inword = false;
			}
			if (c == '\0')
				break;
			s++;
			continue;
		}
		if (c == '#' && !inword)
			break;
		inword = true;
		if (c == '\'' || c == '"') {
			const char *q = s + 1;

			for (; *q && *q != c; q++) {
				if (c == '"' && *q == '\\' && (q[1] == '"' || q[1] == '\\'))
					q++;
				mu_buf_addch(&w, *q);
			}
			if (!*q) {
				r = ini_err(st, "unterminated %s quote", c == '"' ? "double" : "single");
				goto out;
			}
			s = q + 1;
			continue;
		}
		if (c == '\\' && s[1])
			s++;
		mu_buf_addch(&w, *s++);
	}
out:
	mu_buf_release(&w);
	if (r != 0) {
		for (size_t i = 0; i < *nw; i++)
			free((*words)[i]);
		free(*words);
		*words = NULL;
		*nw = 0;
	}
	return r;
}

static int host_line(struct ini *st, char *line)
{
	char **words = NULL;
	size_t nw = 0, nh = 0;
	struct mu_host **hosts = NULL;
	json_t *vars = json_object();
	int r;

	if ((r = split_words(st, line, &words, &nw)) != 0 || nw == 0)
		goto out;
	for (size_t i = 1; i < nw; i++) {
		char *eq = strchr(words[i], '=');

		if (!eq || eq == words[i]) {
			r = ini_err(st, "expected key=value after host '%s', got '%s'",
				    words[0], words[i]);
			goto out;
		}
		*eq = '\0';
		json_object_set_new(vars, words[i], py_literal(eq + 1));
	}
	r = inv_hosts_from_pattern(st->inv, words[0], st->path, st->line, st->where,
				   &hosts, &nh, st->e);
	if (r != 0)
		goto out;
	for (size_t i = 0; i < nh; i++) {
		inv_group_add_host(st->group, hosts[i]);
		inv_vars_update(&hosts[i]->ivars, vars);
	}
out:
	for (size_t i = 0; i < nw; i++)
		free(words[i]);
	free(words);
	free(hosts);
	json_decref(vars);
	return r;
}

/* Cut an unquoted trailing comment (" #...") off s, in place. */
static void cut_comment(char *s)
{
	char quote = 0;

	for (char *p = s; *p; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '"' || *p == '\'') {
			quote = *p;
		} else if (*p == '#' && (p == s || p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	}
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

static bool valid_group_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (isspace((unsigned char)*s) || strchr(":,[]=#!&*?\"'", *s))
			return false;
	return true;
}

static void declare(struct ini *st, const char *name)
{
	json_object_set_new(st->declared, name, json_true());
	json_object_del(st->pending, name);
}

static void need(struct ini *st, const char *name)
{
	if (!json_object_get(st->declared, name) && !json_object_get(st->pending, name))
		json_object_set_new(st->pending, name, json_integer(st->line));
}

static int section_line(struct ini *st, char *line)
{
	char *close, *colon, *name = line + 1;

	cut_comment(line);
	line = trim(line);
	close = strchr(line, ']');
	if (!close || close[1] != '\0')
		return ini_err(st, "invalid section header '%s'", line);
	*close = '\0';
	colon = strchr(name, ':');
	st->sec = SEC_HOSTS;
	if (colon) {
		*colon = '\0';
		if (strcmp(colon + 1, "vars") == 0)
			st->sec = SEC_VARS;
		else if (strcmp(colon + 1, "children") == 0)
			st->sec = SEC_CHILDREN;
		else if (strcmp(colon + 1, "hosts") != 0)
			return ini_err(st, "unknown section type ':%s' for group '%s' "
				       "(expected :vars or :children)", colon + 1, name);
	}
	if (!valid_group_name(name))
		return ini_err(st, "invalid group name '%s'", name);
	st->group = inv_group(st->inv, name);
	if (st->sec == SEC_VARS)
		need(st, name);
	else
		declare(st, name);
	return 0;
}

static int vars_line(struct ini *st, char *line)
{
	char *eq, *key, *val;

	cut_comment(line);
	line = trim(line);
	if (!*line)
		return 0;
	eq = strchr(line, '=');
	if (!eq)
		return ini_err(st, "expected key=value in [%s:vars], got '%s'",
			       st->group->name, line);
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	if (!*key)
		return ini_err(st, "missing variable name before '=' in [%s:vars]",
			       st->group->name);
	if (!st->group->ivars)
		st->group->ivars = json_object();
	json_object_set_new(st->group->ivars, key, py_literal(val));
	return 0;
}

static int child_line(struct ini *st, char *line)
{
	struct mu_group *child;

	cut_comment(line);
	line = trim(line);
	if (!*line)
		return 0;
	if (!valid_group_name(line))
		return ini_err(st, "invalid group name '%s' in [%s:children]", line,
			       st->group->name);
	child = inv_group(st->inv, line);
	need(st, line);
	return inv_group_add_child(st->group, child, st->where, st->e);
}

/* jansson keeps only valid UTF-8 without NULs; say so with a line number
 * rather than lose a value. */
static bool utf8_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		size_t k;

		if (*p == 0)
			return false;
		if (*p < 0x80) {
			p++;
			continue;
		}
		k = (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : 0;
		if (k == 0 || (size_t)(end - p) <= k || (*p == 0xc0 || *p == 0xc1 || *p > 0xf4))
			return false;
		for (size_t i = 1; i <= k; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += k + 1;
	}
	return true;
}

int inv_parse_ini(struct mu_inventory *inv, const char *path, const char *text,
		  size_t len, struct mu_err *e)
{
	struct ini st = { .inv = inv, .path = path, .e = e };
	const char *p = text, *end = text + len;
	int r = 0;

	st.group = inv_group(inv, "ungrouped");
	st.declared = json_pack("{s:b, s:b}", "all", 1, "ungrouped", 1);
	st.pending = json_object();
	while (p < end && r == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char *raw = mu_xstrndup(p, (size_t)((nl ? nl : end) - p));
		char *line = trim(raw);

		st.line++;
		snprintf(st.where, sizeof(st.where), "%s:%d", path, st.line);
		if (!utf8_ok(p, (size_t)((nl ? nl : end) - p)))
			r = ini_err(&st, "invalid UTF-8 or NUL byte in inventory line");
		else if (!*line || *line == '#' || *line == ';')
			;
		else if (*line == '[')
			r = section_line(&st, line);
		else if (st.sec == SEC_VARS)
			r = vars_line(&st, line);
		else if (st.sec == SEC_CHILDREN)
			r = child_line(&st, line);
		else
			r = host_line(&st, line);
		free(raw);
		p = nl ? nl + 1 : end;
	}
	if (r == 0) {
		const char *name;
		json_t *v;

		/* Report the first (lowest-line) undeclared group. */
		json_int_t best = 0;
		const char *bestname = NULL;

		json_object_foreach(st.pending, name, v) {
			if (!bestname || json_integer_value(v) < best) {
				best = json_integer_value(v);
				bestname = name;
			}
		}
		if (bestname)
			r = mu_err_set(e, MU_E_PARSE, "%s:%lld: group '%s' is used but never "
				       "declared with [%s] or [%s:children]", path,
				       (long long)best, bestname, bestname, bestname);
	}
	json_decref(st.declared);
	json_decref(st.pending);
	return r;
}
