/*
 * Helpers shared by the Criterion tests. Criterion runs every test in its
 * own process, so a test that calls tu_sandbox() gets private network and
 * mount namespaces for itself alone: what it does to /etc, /proc/sys or
 * iptables there never reaches the machine running the tests.
 */
#ifndef MU_TESTUTIL_H
#define MU_TESTUTIL_H

#include <jansson.h>
#include <stdbool.h>

/*
 * Enter new mount + network namespaces (loopback up) and hide each of the
 * given absolute paths behind a fresh empty directory (a bind mount from a
 * temp dir; a missing path gets a tmpfs on its nearest existing parent
 * first, so nothing is created on the real filesystem). NULL-terminated.
 * Returns the temp root holding the backing dirs (static storage).
 * Aborts the test if namespaces are not available.
 */
const char *tu_sandbox(const char *const *paths);

/* Make a fresh temp directory (under /tmp, removed at exit). Static storage. */
char *tu_tmpdir(void);

/* Run one task in-process through the agent core; caller decrefs. */
json_t *tu_task(const char *module, const char *args_json, bool check, bool diff);
/* Same, with the SSH port the agent believes the session uses. */
json_t *tu_task_port(const char *module, const char *args_json, bool check,
		     bool diff, int ssh_port);
/* The reply's "status" ("ok", "changed", ...) and "msg". */
const char *tu_status(const json_t *reply);
const char *tu_msg(const json_t *reply);

/* Write / read a whole file. tu_read returns malloc'd text or NULL. */
void tu_write(const char *path, const char *content);
char *tu_read(const char *path);
/* Run a shell command line (tests only); returns its exit code. */
int tu_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
