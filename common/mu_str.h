/*
 * Small in-place string helpers that several parsers on both sides need:
 * one definition each, so trimming and line splitting mean the same thing
 * in every file format we read.
 */
#ifndef MU_STR_H
#define MU_STR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* True when s is one or more ASCII digits and nothing else. */
bool mu_str_all_digits(const char *s);

/*
 * Trim white space (isspace) from both ends of s, in place: the end is cut
 * with a NUL and the returned pointer is past the leading white space.
 */
char *mu_str_trim(char *s);

/*
 * Take the next line of a writable text: returns the line at *cursor with
 * its '\n' replaced by a NUL and moves *cursor past it (to NULL after the
 * last line). Returns NULL when no line is left: at the end of the text or
 * when *cursor is NULL. A trailing '\n' does not start an empty last line.
 *   for (char *cur = text, *line; (line = mu_str_line(&cur));) ...
 */
char *mu_str_line(char **cursor);

/*
 * A JSON string from arbitrary bytes (a program's output): NUL bytes and
 * invalid UTF-8 become U+FFFD, so the text survives the protocol instead of
 * turning into null or a malformed reply. At most max bytes of input are
 * taken (0 = all); *truncated (may be NULL) says whether some were dropped.
 */
json_t *mu_json_string_lossy(const char *s, size_t len, size_t max, bool *truncated);

#endif
