/* Running rootful and rootless podman (see podman_cli.h). */
#include "podman_cli.h"

#include <string.h>

#include "child.h"

const char *pm_podman_bin = "podman";

#define PM_MAX_ARGS 256

/* "podman a b c", cut at 200 bytes, for messages. */
static void args_text(const char *const *args, struct mu_buf *b)
{
	mu_buf_addstr(b, "podman");
	for (size_t i = 0; args[i] && b->len < 200; i++)
		mu_buf_addf(b, " %s", args[i]);
	if (b->len > 200) {
		b->len = 197;
		mu_buf_addstr(b, "...");
	}
}

/* The last non-empty line of podman's stderr, without "Error: ". */
static void last_line(const struct mu_buf *err, char *out, size_t len)
{
	size_t end = err->len;
	size_t start;

	while (end && (err->buf[end - 1] == '\n' || err->buf[end - 1] == ' '))
		end--;
	start = end;
	while (start && err->buf[start - 1] != '\n')
		start--;
	if (end - start > 7 && strncmp(err->buf + start, "Error: ", 7) == 0)
		start += 7;
	snprintf(out, len, "%.*s", (int)(end - start), err->buf + start);
}

int pm_try(const struct pm_call *c, const char *const *args, struct mu_buf *out,
	   struct mu_buf *err, struct mu_err *e)
{
	const char *argv[PM_MAX_ARGS + 2];
	struct mu_child ch = MU_CHILD_INIT;
	size_t n = 0;

	argv[n++] = pm_podman_bin;
	for (size_t i = 0; args[i]; i++) {
		if (n > PM_MAX_ARGS)
			return mu_err_set(e, MU_E_TOOBIG, "too many podman arguments");
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	ch.argv = argv;
	ch.user = c ? c->user : NULL;
	ch.dir = "/";
	ch.timeout_sec = c && c->timeout ? c->timeout : PM_TIMEOUT;
	ch.stdout_fd = c ? c->stdout_fd : 0;
	return mu_child_run(&ch, out, err, e);
}

/* Fill e for a podman call that exited non-zero; returns MU_E_EXEC. */
static int call_failed(const struct pm_call *c, const char *const *args,
		       const struct mu_buf *err, struct mu_err *e)
{
	struct mu_buf cmd = MU_BUF_INIT;
	char last[400];
	int r;

	args_text(args, &cmd);
	last_line(err, last, sizeof(last));
	r = mu_err_set(e, MU_E_EXEC, "'%s'%s%s failed: %s", cmd.buf,
		       c && c->user ? " as " : "", c && c->user ? c->user : "",
		       last[0] ? last : "no message");
	mu_buf_release(&cmd);
	return r;
}

int pm_run(const struct pm_call *c, const char *const *args, struct mu_buf *out,
	   struct mu_err *e)
{
	struct mu_buf err = MU_BUF_INIT;
	int rc = pm_try(c, args, out, &err, e);

	if (rc > 0)
		rc = call_failed(c, args, &err, e);
	mu_buf_release(&err);
	return rc;
}

int pm_json(const struct pm_call *c, const char *const *args, json_t **out,
	    struct mu_err *e)
{
	struct mu_buf o = MU_BUF_INIT;
	json_error_t jerr;
	int r;

	*out = NULL;
	if ((r = pm_run(c, args, &o, e)) != 0)
		goto out;
	*out = json_loadb(o.buf, o.len, 0, &jerr);
	if (!*out)
		r = mu_err_set(e, MU_E_PARSE, "cannot parse the output of 'podman %s %s': %s",
			       args[0], args[1] ? args[1] : "", jerr.text);
out:
	mu_buf_release(&o);
	return r;
}

int pm_inspect(const struct pm_call *c, const char *kind, const char *name,
	       json_t **out, struct mu_err *e)
{
	const char *args[] = { kind, "inspect", name, NULL };
	const char *exists[] = { kind, "exists", name, NULL };
	struct mu_buf o = MU_BUF_INIT, err = MU_BUF_INIT;
	json_error_t jerr;
	json_t *arr = NULL;
	int r;

	*out = NULL;
	r = pm_try(c, args, &o, &err, e);
	if (r > 0) {
		/* Tell "not there" (exists says 1) from a real failure. */
		int x = pm_try(c, exists, NULL, NULL, e);

		if (x == 1) {
			r = 0;
			goto out;
		}
		r = call_failed(c, args, &err, e);
		goto out;
	}
	if (r < 0)
		goto out;
	arr = json_loadb(o.buf, o.len, 0, &jerr);
	if (!json_is_array(arr) || !json_is_object(json_array_get(arr, 0))) {
		r = mu_err_set(e, MU_E_PARSE, "cannot parse 'podman %s inspect %s': %s", kind,
			       name, arr ? "not an array of objects" : jerr.text);
		goto out;
	}
	*out = json_incref(json_array_get(arr, 0));
out:
	json_decref(arr);
	mu_buf_release(&o);
	mu_buf_release(&err);
	return r;
}

bool pm_can_update_restart(void)
{
	static int known = -1;
	const char *args[] = { "update", "--help", NULL };
	struct mu_buf o = MU_BUF_INIT;
	struct mu_err e = { 0 };

	if (known >= 0)
		return known;
	known = pm_try(NULL, args, &o, NULL, &e) == 0 && strstr(o.buf, "--restart");
	mu_buf_release(&o);
	return known;
}
