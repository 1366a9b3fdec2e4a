/*
 * Logging with context. Everything goes to stderr (the agent's stdout is the
 * JSON stream and must never carry a log line).
 */
#ifndef MU_LOG_H
#define MU_LOG_H

enum mu_loglevel {
	MU_LOG_ERROR, MU_LOG_WARN, MU_LOG_INFO, MU_LOG_VERBOSE,
	MU_LOG_DEBUG1, MU_LOG_DEBUG2, MU_LOG_DEBUG3,
};

extern enum mu_loglevel mu_log_level;
/* Prefix for every line, e.g. "muster-agent"; default "muster". */
extern const char *mu_log_tag;

void mu_log(enum mu_loglevel lvl, const char *file, int line,
	    const char *func, int code, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#define log_error(...) mu_log(MU_LOG_ERROR, __FILE__, __LINE__, __func__, 0, __VA_ARGS__)
#define log_error_r(r, ...) mu_log(MU_LOG_ERROR, __FILE__, __LINE__, __func__, (r), __VA_ARGS__)
#define log_warn(...) mu_log(MU_LOG_WARN, __FILE__, __LINE__, __func__, 0, __VA_ARGS__)
#define log_info(...) mu_log(MU_LOG_INFO, __FILE__, __LINE__, __func__, 0, __VA_ARGS__)
#define log_verbose(...) mu_log(MU_LOG_VERBOSE, __FILE__, __LINE__, __func__, 0, __VA_ARGS__)
#define log_debug(...) mu_log(MU_LOG_DEBUG1, __FILE__, __LINE__, __func__, 0, __VA_ARGS__)
#define log_debug2(...) mu_log(MU_LOG_DEBUG2, __FILE__, __LINE__, __func__, 0, __VA_ARGS__)

#endif
