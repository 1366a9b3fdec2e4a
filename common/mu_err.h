/*
 * One error-code space for muster, shared by the controller and the agent.
 * Library code returns these (negative) codes and fills a caller-owned
 * struct mu_err with the context; only the top level prints.
 * Never renumber: retire a code as MU_E_UNUSEDnn.
 */
#ifndef MU_ERR_H
#define MU_ERR_H

#include <stdarg.h>

enum mu_errcode {
	MU_E_OK = 0,
	MU_E_NOMEM = -1,
	MU_E_PROTO = -2,      /* malformed or unexpected wire message */
	MU_E_ARG = -3,        /* bad argument to a module or command */
	MU_E_SYS = -4,        /* a system call failed; see sys_errno */
	MU_E_PARSE = -5,      /* YAML, inventory or template syntax */
	MU_E_NOTFOUND = -6,
	MU_E_EXEC = -7,       /* a child process could not run or failed */
	MU_E_TOOBIG = -8,     /* a bounded buffer overflowed */
	MU_E_VERSION = -9,    /* protocol version mismatch */
	MU_E_TIMEOUT = -10,
	MU_E_CONNECT = -11,   /* host unreachable */
	MU_E_AUTH = -12,      /* authentication or host key refused */
	MU_E_UNSUPPORTED = -13,
	MU_E_INTERNAL = -14,
	MU_E_EOF = -15,       /* peer closed the stream */
	MU_E_SAFETY = -16,    /* refused: the change would be unsafe */
};

struct mu_err {
	int code;
	int sys_errno;
	char msg[512];
};

const char *mu_strerror(int code);

/* Reset e to "no error". e may be NULL. */
void mu_err_clear(struct mu_err *e);

/*
 * Record an error in e (which may be NULL) and return code, so callers can
 * write "return mu_err_set(e, MU_E_ARG, "...")". Lowercase, no full stop,
 * the problem first, the subject in single quotes.
 */
int mu_err_set(struct mu_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int mu_err_setv(struct mu_err *e, int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
/* As mu_err_set with code MU_E_SYS, appending ": strerror(errno)". */
int mu_err_sys(struct mu_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#if defined(__clang_analyzer__) && !defined(MU_ERR_IMPL)
/*
 * The analyzer cannot see into mu_err.c and so assumes "return mu_err_set()"
 * may return 0, then reports NULL outputs used on that impossible path.
 * Tell it what the functions return; ordinary builds never see this.
 */
#define mu_err_set(e, code, ...) \
	({ int mu_err_code_ = (code); (void)mu_err_set((e), mu_err_code_, __VA_ARGS__); mu_err_code_; })
#define mu_err_sys(e, ...) \
	({ (void)mu_err_sys((e), __VA_ARGS__); MU_E_SYS; })
#endif

#endif
