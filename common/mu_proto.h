/*
 * The muster wire protocol: JSON objects, one per line, over the agent's
 * stdin/stdout (docs/protocol.md). This file holds what both sides share:
 * the version, the status lattice, a bounded line reader and the framing.
 *
 *   agent -> {"type":"hello","protocol":1,"build":"...","version":"..."}
 *   ctl   -> {"type":"task","id":N,"module":"sysctl","args":{...},
 *             "check":false,"diff":false}
 *   agent -> {"type":"result","id":N,"status":"changed","msg":"...",
 *             "changes":[...],"diff":[...],"warnings":[...],"data":{...}}
 *   ctl   -> {"type":"bye"}            (or EOF)
 *   either-> {"type":"error","msg":"..."} then closes
 */
#ifndef MU_PROTO_H
#define MU_PROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "mu_buf.h"
#include "mu_err.h"

#define MU_PROTO_VERSION 1
/* A line longer than this is a protocol error, never an endless realloc. */
#define MU_PROTO_MAX_LINE (4u * 1024u * 1024u)

/* The outcome lattice, ordered so that the worse outcome is the larger. */
enum mu_status {
	MU_SKIPPED = 0,
	MU_OK = 1,
	MU_CHANGED = 2,
	MU_FAILED = 3,
};

const char *mu_status_name(enum mu_status s);
/* Returns 0 and sets *out, or MU_E_PROTO for an unknown name. */
int mu_status_parse(const char *name, enum mu_status *out);
/*
 * Fold two outcomes of sub-steps into one: failed beats changed beats ok
 * beats skipped. A sub-step that was skipped does not hide one that ran.
 */
enum mu_status mu_status_merge(enum mu_status prior, enum mu_status evidence);

/*
 * Bounded line reader. Bytes come from an fd (mu_linebuf_read) or are fed
 * in by the caller (mu_linebuf_feed + mu_linebuf_next), e.g. from a libssh
 * channel. A line over max_line is reported once as MU_E_TOOBIG and the
 * rest of it, up to its newline, is discarded.
 */
struct mu_linebuf {
	struct mu_buf in;
	size_t max_line;
	size_t start;      /* offset of the unread data in in.buf */
	bool discarding;   /* inside an over-long line, skipping to '\n' */
	bool eof;
};

void mu_linebuf_init(struct mu_linebuf *lb, size_t max_line);
void mu_linebuf_release(struct mu_linebuf *lb);
/* Append raw bytes. Returns 0 (over-long data is dropped, not stored). */
int mu_linebuf_feed(struct mu_linebuf *lb, const void *data, size_t n);
/*
 * Take the next complete line (without '\n'; a trailing '\r' is dropped).
 * Returns 0 with *line valid until the next call, 1 when more input is
 * needed, MU_E_TOOBIG once per over-long line.
 */
int mu_linebuf_next(struct mu_linebuf *lb, char **line, size_t *len);
/*
 * Blocking read of the next line from fd. Returns 0, MU_E_EOF at end of
 * input (a partial last line is MU_E_EOF with e saying so), MU_E_TOOBIG,
 * or MU_E_SYS.
 */
int mu_linebuf_read(struct mu_linebuf *lb, int fd, char **line, size_t *len,
		    struct mu_err *e);

/*
 * Parse one line into a JSON object that has a string "type". Returns 0
 * with *out (caller decrefs), or MU_E_PROTO with e naming the fault.
 */
int mu_proto_parse(const char *line, size_t len, json_t **out, struct mu_err *e);
/* Serialise msg as one compact line ending in '\n' into out. */
int mu_proto_format(const json_t *msg, struct mu_buf *out);
/* Write msg as one line to fd, retrying short writes. 0 or MU_E_SYS. */
int mu_proto_write(int fd, const json_t *msg, struct mu_err *e);

/* Write all of data to fd, retrying on EINTR and short writes. */
int mu_write_all(int fd, const void *data, size_t n);

#endif
