/* Framing for the JSON-lines protocol and the status lattice. */
#include "mu_proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const status_names[] = {
	[MU_SKIPPED] = "skipped",
	[MU_OK] = "ok",
	[MU_CHANGED] = "changed",
	[MU_FAILED] = "failed",
};

const char *mu_status_name(enum mu_status s)
{
	if ((unsigned)s > MU_FAILED)
		return "invalid";
	return status_names[s];
}

int mu_status_parse(const char *name, enum mu_status *out)
{
	for (unsigned i = 0; i <= MU_FAILED; i++) {
		if (strcmp(name, status_names[i]) == 0) {
			*out = (enum mu_status)i;
			return 0;
		}
	}
	return MU_E_PROTO;
}

enum mu_status mu_status_merge(enum mu_status prior, enum mu_status evidence)
{
	return evidence > prior ? evidence : prior;
}

void mu_linebuf_init(struct mu_linebuf *lb, size_t max_line)
{
	mu_buf_init(&lb->in, 0);
	lb->max_line = max_line;
	lb->start = 0;
	lb->discarding = false;
	lb->eof = false;
}

void mu_linebuf_release(struct mu_linebuf *lb)
{
	mu_buf_release(&lb->in);
	lb->start = 0;
	lb->discarding = false;
}

int mu_linebuf_feed(struct mu_linebuf *lb, const void *data, size_t n)
{
	/* Reclaim consumed space before growing. */
	if (lb->start) {
		mu_buf_consume(&lb->in, lb->start);
		lb->start = 0;
	}
	while (lb->discarding && n) {
		const char *nl = memchr(data, '\n', n);

		if (!nl)
			return 0;
		n -= (size_t)(nl - (const char *)data) + 1;
		data = nl + 1;
		lb->discarding = false;
	}
	return mu_buf_add(&lb->in, data, n);
}

int mu_linebuf_next(struct mu_linebuf *lb, char **line, size_t *len)
{
	char *p = lb->in.buf + lb->start;
	size_t avail = lb->in.len - lb->start;
	char *nl = memchr(p, '\n', avail);
	size_t n;

	if (!nl) {
		if (avail > lb->max_line) {
			/* Drop what we hold and skip to the next newline. */
			mu_buf_reset(&lb->in);
			lb->start = 0;
			lb->discarding = true;
			return MU_E_TOOBIG;
		}
		return 1;
	}
	n = (size_t)(nl - p);
	lb->start += n + 1;
	if (n > lb->max_line)
		return MU_E_TOOBIG;
	*nl = '\0';
	if (n && p[n - 1] == '\r')
		p[--n] = '\0';
	*line = p;
	*len = n;
	return 0;
}

int mu_linebuf_read(struct mu_linebuf *lb, int fd, char **line, size_t *len,
		    struct mu_err *e)
{
	char chunk[65536];

	for (;;) {
		ssize_t got;
		int r = mu_linebuf_next(lb, line, len);

		if (r <= 0)
			return r == MU_E_TOOBIG
				? mu_err_set(e, MU_E_TOOBIG,
					     "line too long: more than %zu bytes",
					     lb->max_line)
				: r;
		if (lb->eof) {
			if (lb->in.len - lb->start > 0)
				return mu_err_set(e, MU_E_EOF,
						  "input ended inside a line");
			return mu_err_set(e, MU_E_EOF, "end of input");
		}
		got = read(fd, chunk, sizeof(chunk));
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return mu_err_sys(e, "read");
		}
		if (got == 0) {
			lb->eof = true;
			continue;
		}
		if ((r = mu_linebuf_feed(lb, chunk, (size_t)got)) != 0)
			return mu_err_set(e, r, "cannot buffer input");
	}
}

int mu_proto_parse(const char *line, size_t len, json_t **out, struct mu_err *e)
{
	json_error_t jerr;
	json_t *msg;
	json_t *type;

	*out = NULL;
	msg = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!msg)
		return mu_err_set(e, MU_E_PROTO, "malformed JSON at column %d: %s",
				  jerr.column, jerr.text);
	if (!json_is_object(msg)) {
		json_decref(msg);
		return mu_err_set(e, MU_E_PROTO, "message is not a JSON object");
	}
	type = json_object_get(msg, "type");
	if (!json_is_string(type)) {
		json_decref(msg);
		return mu_err_set(e, MU_E_PROTO, "message has no string 'type'");
	}
	*out = msg;
	return 0;
}

int mu_proto_format(const json_t *msg, struct mu_buf *out)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	int r;

	if (!s)
		return MU_E_NOMEM;
	/* JSON_COMPACT never emits raw newlines: strings escape them. */
	r = mu_buf_addstr(out, s);
	if (!r)
		r = mu_buf_addch(out, '\n');
	free(s);
	return r;
}

int mu_write_all(int fd, const void *data, size_t n)
{
	const char *p = data;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return MU_E_SYS;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int mu_proto_write(int fd, const json_t *msg, struct mu_err *e)
{
	struct mu_buf b = MU_BUF_INIT;
	int r;

	if ((r = mu_proto_format(msg, &b)) != 0) {
		mu_buf_release(&b);
		return mu_err_set(e, r, "cannot format message");
	}
	r = mu_write_all(fd, b.buf, b.len);
	mu_buf_release(&b);
	if (r)
		return mu_err_sys(e, "write");
	return 0;
}
