/*
 * A growable byte buffer (git's strbuf, with a ceiling like curl's dynbuf).
 * Invariants: buf is never NULL after init, always NUL-terminated, len does
 * not count the NUL. A buffer with max > 0 refuses to grow past max bytes.
 */
#ifndef MU_BUF_H
#define MU_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct mu_buf {
	char *buf;
	size_t len;
	size_t alloc;
	size_t max; /* 0 = no limit */
};

#define MU_BUF_INIT { mu_buf_empty, 0, 0, 0 }
extern char mu_buf_empty[];

/* Initialise (does not allocate). max 0 means unbounded. */
void mu_buf_init(struct mu_buf *b, size_t max);
/* Free the contents; b is ready for reuse as if just initialised. */
void mu_buf_release(struct mu_buf *b);
/* Take the memory; caller frees. b is reinitialised. Never NULL. */
char *mu_buf_detach(struct mu_buf *b, size_t *len);
void mu_buf_reset(struct mu_buf *b);

/* All return 0 or MU_E_TOOBIG / MU_E_NOMEM; the buffer is unchanged on error. */
int mu_buf_grow(struct mu_buf *b, size_t extra);
int mu_buf_add(struct mu_buf *b, const void *data, size_t len);
int mu_buf_addstr(struct mu_buf *b, const char *s);
int mu_buf_addch(struct mu_buf *b, char c);
int mu_buf_addf(struct mu_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int mu_buf_vaddf(struct mu_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Drop the first n bytes. */
void mu_buf_consume(struct mu_buf *b, size_t n);
/* Drop trailing bytes that are any of chars (e.g. "\n " after a command's
 * output). */
void mu_buf_rtrim(struct mu_buf *b, const char *chars);

/* malloc wrappers that abort on failure: allocation failure is fatal. */
void *mu_xmalloc(size_t n);
void *mu_xcalloc(size_t n, size_t size);
void *mu_xrealloc(void *p, size_t n);
char *mu_xstrdup(const char *s);
char *mu_xstrndup(const char *s, size_t n);
char *mu_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
