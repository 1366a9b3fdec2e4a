/*
 * sysctl.d files and /proc/sys, for the sysctl module. A file is edited as
 * text: we find the lines that assign one key and rewrite only those, so
 * comments, blank lines, spacing and every other key keep their bytes.
 * Values are compared the way the kernel reads them (whitespace between
 * fields does not matter, integers are read with base prefixes).
 */
#ifndef MU_SYSCTL_FILE_H
#define MU_SYSCTL_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "mu_buf.h"
#include "mu_err.h"

/* One line of a sysctl.d file, as offsets into the text. */
struct mu_sysctl_line {
	size_t start, end;          /* the line without its '\n' */
	size_t key_start, key_end;  /* the key as written (after any '-') */
	size_t val_start, val_end;  /* the value, surrounding blanks excluded */
	unsigned lineno;            /* 1-based */
	bool assign;                /* a "key = value" line */
	bool ignore_fail;           /* systemd's leading '-': errors ignored */
};

struct mu_sysctl_conf {
	const char *text;           /* borrowed: must outlive the conf */
	size_t len;
	struct mu_sysctl_line *lines;
	size_t n;
};

/* Split text into lines. Never fails; release with mu_sysctl_conf_release. */
void mu_sysctl_conf_parse(const char *text, size_t len, struct mu_sysctl_conf *c);
void mu_sysctl_conf_release(struct mu_sysctl_conf *c);

/*
 * The canonical (dotted) form of a key: "net/ipv4/ip_forward" and
 * "net.ipv4.ip_forward" are the same key, as for sysctl(8): when the first
 * separator is '/', '/' and '.' swap roles. Caller frees.
 */
char *mu_sysctl_key_norm(const char *key, size_t n);

/* Does line l (an assignment) set the key whose canonical form is norm? */
bool mu_sysctl_line_is(const struct mu_sysctl_conf *c,
		       const struct mu_sysctl_line *l, const char *norm);

/*
 * New text for the file with key set to value: the first line that
 * assigns the key gets the new value in place of the old (its spacing and
 * key spelling kept; left alone if it differs only in blanks between
 * fields), later lines assigning it are dropped, and a file
 * without the key gets "key=value" appended. value NULL removes every line
 * of the key. The text is appended to out; *found counts the key's lines.
 */
void mu_sysctl_conf_set(const struct mu_sysctl_conf *c, const char *key,
			const char *value, struct mu_buf *out, size_t *found);

/*
 * The /proc/sys path of a key into buf ("net.ipv4.ip_forward" ->
 * "/proc/sys/net/ipv4/ip_forward"). MU_E_ARG for a key that is not a plain
 * sysctl name (empty parts, "..", blanks, control characters).
 */
int mu_sysctl_proc_path(const char *key, char *buf, size_t len, struct mu_err *e);

/* Read a runtime value, whitespace-normalised, into out. */
int mu_sysctl_read(const char *proc_path, struct mu_buf *out, struct mu_err *e);
/* Write a runtime value; e->sys_errno is EINVAL when the kernel refuses it. */
int mu_sysctl_write(const char *proc_path, const char *value, struct mu_err *e);

/* Collapse runs of blanks to one space and trim both ends, into out. */
void mu_sysctl_value_norm(const char *v, size_t n, struct mu_buf *out);
/*
 * Are two values the same to the kernel? Fields are compared one by one;
 * fields that are integers to the kernel ("80", "0x50", "-1") compare as
 * numbers, others as text ("080" is not an integer: the kernel refuses it).
 */
bool mu_sysctl_value_eq(const char *a, const char *b);

#endif
