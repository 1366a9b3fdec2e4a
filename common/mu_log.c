/* stderr logging; debug levels add file:line and the function. */
#include "mu_log.h"
#include "mu_err.h"

#include <stdarg.h>
#include <stdio.h>

enum mu_loglevel mu_log_level = MU_LOG_WARN;
const char *mu_log_tag = "muster";

static const char *const level_names[] = {
	"error", "warning", "info", "verbose", "debug1", "debug2", "debug3",
};

/* A level past the table (an int cast to the enum) prints as the last one. */
static const char *level_name(enum mu_loglevel lvl)
{
	size_t n = sizeof(level_names) / sizeof(level_names[0]);

	return level_names[(size_t)lvl < n ? (size_t)lvl : n - 1];
}

void mu_log(enum mu_loglevel lvl, const char *file, int line,
	    const char *func, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (lvl > mu_log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (lvl >= MU_LOG_DEBUG1)
		fprintf(stderr, "%s: %s: %s:%d %s: %s%s%s\n", mu_log_tag,
			level_name(lvl), file, line, func, msg,
			code ? ": " : "", code ? mu_strerror(code) : "");
	else
		fprintf(stderr, "%s: %s: %s%s%s\n", mu_log_tag,
			level_name(lvl), msg,
			code ? ": " : "", code ? mu_strerror(code) : "");
}
