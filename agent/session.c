/*
 * The agent's protocol loop, a small state machine: we greet, the
 * controller greets back with its protocol version, then tasks follow one
 * at a time, each answered by exactly one result line. Nothing else is ever
 * written to out_fd: logs go to stderr. A malformed line, a task before the
 * controller's hello, or a version mismatch ends the session with an
 * "error" message naming the fault.
 */
#include "session.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mu_log.h"

static int send_error(int out_fd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int send_error(int out_fd, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	json_t *j;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s", msg);
	j = json_pack("{s:s, s:s}", "type", "error", "msg", msg);
	if (j) {
		mu_proto_write(out_fd, j, NULL);
		json_decref(j);
	}
	return 2;
}

static int send_hello(int out_fd)
{
	json_t *hello = json_object();
	json_t *mods = json_array();
	int r;

	for (size_t i = 0; mu_modules[i]; i++)
		json_array_append_new(mods, json_string(mu_modules[i]->name));
	json_object_set_new(hello, "type", json_string("hello"));
	json_object_set_new(hello, "protocol", json_integer(MU_PROTO_VERSION));
	json_object_set_new(hello, "version", json_string(MU_VERSION));
	json_object_set_new(hello, "build", json_string(MU_GIT_REV));
	json_object_set_new(hello, "pid", json_integer(getpid()));
	json_object_set_new(hello, "euid", json_integer(geteuid()));
	json_object_set_new(hello, "modules", mods);
	r = mu_proto_write(out_fd, hello, NULL);
	json_decref(hello);
	return r;
}

int mu_session_serve(int in_fd, int out_fd, const struct mu_agent_ctx *ctx)
{
	struct mu_linebuf lb;
	struct mu_err e = { 0 };
	bool greeted = false;
	int rc = 0;

	if (send_hello(out_fd) != 0)
		return 1;
	mu_linebuf_init(&lb, (size_t)MU_PROTO_MAX_LINE);
	for (;;) {
		char *line;
		size_t len;
		json_t *msg = NULL;
		const char *type;
		int r = mu_linebuf_read(&lb, in_fd, &line, &len, &e);

		if (r == MU_E_EOF) {
			/* EOF between tasks is a normal goodbye; inside a line it is not. */
			if (strcmp(e.msg, "end of input") != 0) {
				log_error("%s", e.msg);
				rc = 2;
			}
			break;
		}
		if (r == MU_E_TOOBIG) {
			rc = send_error(out_fd, "protocol error: %s", e.msg);
			break;
		}
		if (r) {
			log_error("%s", e.msg);
			rc = 1;
			break;
		}
		if (len == 0)
			continue;
		if (mu_proto_parse(line, len, &msg, &e) != 0) {
			rc = send_error(out_fd, "protocol error: %s", e.msg);
			break;
		}
		type = json_string_value(json_object_get(msg, "type"));
		if (strcmp(type, "hello") == 0) {
			json_t *v = json_object_get(msg, "protocol");

			if (!json_is_integer(v) || json_integer_value(v) != MU_PROTO_VERSION) {
				/* v lives in msg: report before letting go of it */
				rc = send_error(out_fd,
						"protocol version mismatch: agent speaks %d, controller %s; "
						"redeploy the agent that matches the controller",
						MU_PROTO_VERSION,
						json_is_integer(v) ? "another version" : "no version");
				json_decref(msg);
				break;
			}
			greeted = true;
		} else if (strcmp(type, "task") == 0) {
			json_t *reply;

			if (!greeted) {
				json_decref(msg);
				rc = send_error(out_fd, "protocol error: task before hello");
				break;
			}
			reply = mu_task_run(msg, ctx);
			r = mu_proto_write(out_fd, reply, &e);
			json_decref(reply);
			if (r) {
				json_decref(msg);
				log_error("%s", e.msg);
				rc = 1;
				break;
			}
		} else if (strcmp(type, "bye") == 0) {
			json_decref(msg);
			break;
		} else {
			rc = send_error(out_fd, "protocol error: unknown message type '%s'", type);
			json_decref(msg);
			break;
		}
		json_decref(msg);
	}
	mu_linebuf_release(&lb);
	return rc;
}
