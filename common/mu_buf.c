/* Growable, bounded byte buffers and the abort-on-failure allocators. */
#include "mu_buf.h"
#include "mu_err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char mu_buf_empty[1];

void *mu_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fputs("fatal: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *mu_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		fputs("fatal: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *mu_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q) {
		fputs("fatal: out of memory\n", stderr);
		abort();
	}
	return q;
}

char *mu_xstrdup(const char *s)
{
	return mu_xstrndup(s, strlen(s));
}

char *mu_xstrndup(const char *s, size_t n)
{
	char *p = mu_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *mu_xasprintf(const char *fmt, ...)
{
	struct mu_buf b;
	va_list ap;

	mu_buf_init(&b, 0);
	va_start(ap, fmt);
	mu_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	return mu_buf_detach(&b, NULL);
}

void mu_buf_init(struct mu_buf *b, size_t max)
{
	b->buf = mu_buf_empty;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
}

void mu_buf_release(struct mu_buf *b)
{
	size_t max = b->max;

	if (b->alloc)
		free(b->buf);
	mu_buf_init(b, max);
}

char *mu_buf_detach(struct mu_buf *b, size_t *len)
{
	char *p;

	if (!b->alloc)
		mu_buf_grow(b, 0);
	p = b->buf;
	if (len)
		*len = b->len;
	mu_buf_init(b, b->max);
	return p;
}

void mu_buf_reset(struct mu_buf *b)
{
	b->len = 0;
	if (b->alloc)
		b->buf[0] = '\0';
}

int mu_buf_grow(struct mu_buf *b, size_t extra)
{
	size_t want = b->len + extra + 1;
	size_t n;
	char *p;

	if (b->max && b->len + extra > b->max)
		return MU_E_TOOBIG;
	if (want <= b->alloc)
		return 0;
	n = b->alloc ? b->alloc : 64;
	while (n < want)
		n *= 2;
	p = realloc(b->alloc ? b->buf : NULL, n);
	if (!p)
		return MU_E_NOMEM;
	if (!b->alloc)
		p[0] = '\0';
	b->buf = p;
	b->alloc = n;
	return 0;
}

int mu_buf_add(struct mu_buf *b, const void *data, size_t len)
{
	int r = mu_buf_grow(b, len);

	if (r)
		return r;
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return 0;
}

int mu_buf_addstr(struct mu_buf *b, const char *s)
{
	return mu_buf_add(b, s, strlen(s));
}

int mu_buf_addch(struct mu_buf *b, char c)
{
	return mu_buf_add(b, &c, 1);
}

int mu_buf_vaddf(struct mu_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	int r;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return MU_E_INTERNAL;
	if ((r = mu_buf_grow(b, (size_t)n)) != 0)
		return r;
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int mu_buf_addf(struct mu_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = mu_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}

void mu_buf_consume(struct mu_buf *b, size_t n)
{
	if (n >= b->len) {
		mu_buf_reset(b);
		return;
	}
	memmove(b->buf, b->buf + n, b->len - n);
	b->len -= n;
	b->buf[b->len] = '\0';
}

void mu_buf_rtrim(struct mu_buf *b, const char *chars)
{
	/* strchr finds chars' own terminator for a NUL byte: stop there. */
	while (b->len && b->buf[b->len - 1] && strchr(chars, b->buf[b->len - 1]))
		b->buf[--b->len] = '\0';
}
