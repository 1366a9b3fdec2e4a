/*
 * Reading and editing sysctl.d files as text, and the /proc/sys side of a
 * key (see sysctl_file.h). Parsing follows sysctl.d(5): '#' and ';' start
 * comments, a leading '-' marks a key whose errors are ignored, the value
 * is the rest of the line after '=' with surrounding blanks removed.
 */
#include "sysctl_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "mu_proto.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static void parse_line(const char *t, struct mu_sysctl_line *l)
{
	size_t p = l->start;
	size_t eq;

	while (p < l->end && is_blank(t[p]))
		p++;
	if (p == l->end || t[p] == '#' || t[p] == ';')
		return;
	if (t[p] == '-') {
		l->ignore_fail = true;
		p++;
		while (p < l->end && is_blank(t[p]))
			p++;
	}
	for (eq = p; eq < l->end && t[eq] != '='; eq++)
		;
	if (eq == l->end)
		return; /* not an assignment; sysctl would complain, we keep it */
	l->key_start = p;
	l->key_end = eq;
	while (l->key_end > l->key_start && is_blank(t[l->key_end - 1]))
		l->key_end--;
	if (l->key_end == l->key_start)
		return;
	l->val_start = eq + 1;
	while (l->val_start < l->end && is_blank(t[l->val_start]))
		l->val_start++;
	l->val_end = l->end;
	while (l->val_end > l->val_start && is_blank(t[l->val_end - 1]))
		l->val_end--;
	l->assign = true;
}

void mu_sysctl_conf_parse(const char *text, size_t len, struct mu_sysctl_conf *c)
{
	size_t cap = 16;
	size_t pos = 0;

	c->text = text;
	c->len = len;
	c->n = 0;
	c->lines = mu_xcalloc(cap, sizeof(*c->lines));
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		struct mu_sysctl_line *l;

		if (c->n == cap) {
			cap *= 2;
			c->lines = mu_xrealloc(c->lines, cap * sizeof(*c->lines));
		}
		l = &c->lines[c->n];
		memset(l, 0, sizeof(*l));
		l->start = pos;
		l->end = nl ? (size_t)(nl - text) : len;
		l->lineno = (unsigned)++c->n;
		parse_line(text, l);
		pos = l->end + 1;
	}
}

void mu_sysctl_conf_release(struct mu_sysctl_conf *c)
{
	free(c->lines);
	c->lines = NULL;
	c->n = 0;
}

char *mu_sysctl_key_norm(const char *key, size_t n)
{
	char *k;
	size_t b = 0, e = n;
	size_t sep;
	bool slash_form;

	while (b < e && is_blank(key[b]))
		b++;
	while (e > b && is_blank(key[e - 1]))
		e--;
	k = mu_xstrndup(key + b, e - b);
	sep = strcspn(k, "./");
	slash_form = k[sep] == '/';
	if (slash_form)
		for (char *p = k; *p; p++)
			*p = (char)(*p == '/' ? '.' : *p == '.' ? '/' : *p);
	return k;
}

bool mu_sysctl_line_is(const struct mu_sysctl_conf *c,
		       const struct mu_sysctl_line *l, const char *norm)
{
	char *k;
	bool same;

	if (!l->assign)
		return false;
	k = mu_sysctl_key_norm(c->text + l->key_start, l->key_end - l->key_start);
	same = strcmp(k, norm) == 0;
	free(k);
	return same;
}

static bool same_text_value(const char *v, size_t n, const char *want)
{
	struct mu_buf a = MU_BUF_INIT, b = MU_BUF_INIT;
	bool same;

	mu_sysctl_value_norm(v, n, &a);
	mu_sysctl_value_norm(want, strlen(want), &b);
	same = a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0;
	mu_buf_release(&a);
	mu_buf_release(&b);
	return same;
}

void mu_sysctl_conf_set(const struct mu_sysctl_conf *c, const char *key,
			const char *value, struct mu_buf *out, size_t *found)
{
	char *norm = mu_sysctl_key_norm(key, strlen(key));

	*found = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct mu_sysctl_line *l = &c->lines[i];
		bool has_nl = l->end < c->len;

		if (!mu_sysctl_line_is(c, l, norm)) {
			mu_buf_add(out, c->text + l->start, l->end - l->start + has_nl);
			continue;
		}
		if (++*found > 1 || !value)
			continue; /* a later duplicate, or removal: drop the line */
		if (same_text_value(c->text + l->val_start, l->val_end - l->val_start, value)) {
			/* "4096\t87380" is "4096 87380": keep the line's own spacing. */
			mu_buf_add(out, c->text + l->start, l->end - l->start + has_nl);
			continue;
		}
		mu_buf_add(out, c->text + l->start, l->val_start - l->start);
		mu_buf_addstr(out, value);
		mu_buf_add(out, c->text + l->val_end, l->end - l->val_end + has_nl);
	}
	if (!*found && value) {
		if (out->len && out->buf[out->len - 1] != '\n')
			mu_buf_addch(out, '\n');
		mu_buf_addf(out, "%s=%s\n", key, value);
	}
	free(norm);
}

int mu_sysctl_proc_path(const char *key, char *buf, size_t len, struct mu_err *e)
{
	struct mu_buf p = MU_BUF_INIT;
	size_t sep = strcspn(key, "./");
	bool slash_form = key[sep] == '/';
	const char *part;
	int r = 0;

	if (!*key)
		return mu_err_set(e, MU_E_ARG, "sysctl key is empty");
	for (const char *s = key; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == '=')
			return mu_err_set(e, MU_E_ARG,
					  "invalid sysctl key '%s': blanks, '=' and control "
					  "characters are not allowed", key);
	mu_buf_addstr(&p, "/proc/sys/");
	for (const char *s = key; *s; s++)
		mu_buf_addch(&p, (char)(slash_form ? *s : *s == '.' ? '/' : *s == '/' ? '.' : *s));
	/* Each part must be a plain name: no way out of /proc/sys. */
	part = p.buf + strlen("/proc/sys/");
	while (r == 0) {
		size_t n = strcspn(part, "/");

		if (n == 0 || (n == 1 && part[0] == '.') ||
		    (n == 2 && part[0] == '.' && part[1] == '.'))
			r = mu_err_set(e, MU_E_ARG, "invalid sysctl key '%s': empty or "
				       "relative part", key);
		if (!part[n])
			break;
		part += n + 1;
	}
	if (r == 0 && p.len >= len)
		r = mu_err_set(e, MU_E_ARG, "sysctl key '%s' is too long", key);
	if (r == 0)
		memcpy(buf, p.buf, p.len + 1);
	mu_buf_release(&p);
	return r;
}

int mu_sysctl_read(const char *proc_path, struct mu_buf *out, struct mu_err *e)
{
	struct mu_buf raw = MU_BUF_INIT;
	int r = mu_file_read(proc_path, &raw, 1u << 20, e);

	if (r == 0)
		mu_sysctl_value_norm(raw.buf, raw.len, out);
	mu_buf_release(&raw);
	return r;
}

int mu_sysctl_write(const char *proc_path, const char *value, struct mu_err *e)
{
	char *line = mu_xasprintf("%s\n", value);
	int fd = open(proc_path, O_WRONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0) {
		r = mu_err_sys(e, "cannot open '%s'", proc_path);
		goto out;
	}
	/* One write: the kernel parses each write() on its own. */
	if (mu_write_all(fd, line, strlen(line)) != 0) {
		r = mu_err_sys(e, "cannot write '%s'", proc_path);
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = mu_err_sys(e, "cannot write '%s'", proc_path);
		goto out;
	}
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(line);
	return r;
}

void mu_sysctl_value_norm(const char *v, size_t n, struct mu_buf *out)
{
	bool gap = false;

	for (size_t i = 0; i < n; i++) {
		if (is_blank(v[i]) || v[i] == '\n') {
			gap = out->len > 0;
			continue;
		}
		if (gap)
			mu_buf_addch(out, ' ');
		gap = false;
		mu_buf_addch(out, v[i]);
	}
}

/* The kernel reads integers with strtoul(base 0) after an optional '-'. */
static bool kernel_int(const char *s, size_t n, bool *neg, unsigned long long *val)
{
	char tmp[32];
	char *end;

	*neg = n && s[0] == '-';
	if (*neg) {
		s++;
		n--;
	}
	if (!n || n >= sizeof(tmp) || s[0] < '0' || s[0] > '9')
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	*val = strtoull(tmp, &end, 0);
	return errno == 0 && *end == '\0';
}

bool mu_sysctl_value_eq(const char *a, const char *b)
{
	for (;;) {
		size_t na, nb;
		bool nega, negb;
		unsigned long long va, vb;

		while (is_blank(*a) || *a == '\n')
			a++;
		while (is_blank(*b) || *b == '\n')
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		na = strcspn(a, " \t\r\n\f\v");
		nb = strcspn(b, " \t\r\n\f\v");
		if (kernel_int(a, na, &nega, &va) && kernel_int(b, nb, &negb, &vb)) {
			if (va != vb || (nega != negb && va != 0))
				return false;
		} else if (na != nb || memcmp(a, b, na) != 0) {
			return false;
		}
		a += na;
		b += nb;
	}
}
