/* The error-code table and helpers that fill a caller's struct mu_err. */
#define MU_ERR_IMPL  /* the real functions, not the analyzer model in mu_err.h */
#include "mu_err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const mu_errstr[] = {
	[0] = "success",
	[1] = "out of memory",
	[2] = "protocol error",
	[3] = "bad argument",
	[4] = "system error",
	[5] = "parse error",
	[6] = "not found",
	[7] = "command failed",
	[8] = "too big",
	[9] = "version mismatch",
	[10] = "timed out",
	[11] = "unreachable",
	[12] = "authentication failed",
	[13] = "unsupported",
	[14] = "internal error",
	[15] = "end of stream",
	[16] = "refused as unsafe",
};

const char *mu_strerror(int code)
{
	size_t i = (size_t)(code < 0 ? -code : code);

	if (i >= sizeof(mu_errstr) / sizeof(mu_errstr[0]) || !mu_errstr[i])
		return "unknown error";
	return mu_errstr[i];
}

void mu_err_clear(struct mu_err *e)
{
	if (!e)
		return;
	e->code = 0;
	e->sys_errno = 0;
	e->msg[0] = '\0';
}

int mu_err_setv(struct mu_err *e, int code, const char *fmt, va_list ap)
{
	if (!e)
		return code;
	e->code = code;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return code;
}

int mu_err_set(struct mu_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mu_err_setv(e, code, fmt, ap);
	va_end(ap);
	return code;
}

int mu_err_sys(struct mu_err *e, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t n;

	if (!e)
		return MU_E_SYS;
	va_start(ap, fmt);
	mu_err_setv(e, MU_E_SYS, fmt, ap);
	va_end(ap);
	e->sys_errno = saved;
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(saved));
	errno = saved;
	return MU_E_SYS;
}
