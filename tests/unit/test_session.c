/*
 * The agent binary over pipes: hello, one reply per task, and every kind
 * of bad input ends in a failed result or a clean exit with a message,
 * never a crash (a crash would show as a signal exit status).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mu_buf.h"
#include "mu_proto.h"

struct run {
	int status;          /* exit code, or 128+signal */
	struct mu_buf out;
	struct mu_buf err;
};

/* Feed input to the agent, collect stdout/stderr, reap. */
static void run_agent(const char *input, size_t len, struct run *r)
{
	char inpath[] = "/tmp/mu-sess-in-XXXXXX";
	char outpath[] = "/tmp/mu-sess-out-XXXXXX";
	char errpath[] = "/tmp/mu-sess-err-XXXXXX";
	int in = mkstemp(inpath), out = mkstemp(outpath), err = mkstemp(errpath);
	pid_t pid;
	int st;
	FILE *f;
	char chunk[4096];
	size_t n;

	cr_assert(in >= 0 && out >= 0 && err >= 0);
	cr_assert_eq(mu_write_all(in, input, len), 0);
	lseek(in, 0, SEEK_SET);
	pid = fork();
	if (pid == 0) {
		dup2(in, 0);
		dup2(out, 1);
		dup2(err, 2);
		execl(MU_AGENT_BIN, "muster-agent", (char *)NULL);
		_exit(127);
	}
	cr_assert(pid > 0);
	waitpid(pid, &st, 0);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	mu_buf_init(&r->out, 0);
	mu_buf_init(&r->err, 0);
	f = fopen(outpath, "r");
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		mu_buf_add(&r->out, chunk, n);
	fclose(f);
	f = fopen(errpath, "r");
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		mu_buf_add(&r->err, chunk, n);
	fclose(f);
	close(in);
	close(out);
	close(err);
	unlink(inpath);
	unlink(outpath);
	unlink(errpath);
}

/* Free what run_agent collected. */
static void run_release(struct run *r)
{
	mu_buf_release(&r->out);
	mu_buf_release(&r->err);
}

static void run_str(const char *input, struct run *r)
{
	run_agent(input, strlen(input), r);
}

/* The n-th output line (0-based) parsed; caller decrefs. */
static json_t *line_n(const struct run *r, int n)
{
	const char *p = r->out.buf;
	const char *nl;

	for (int i = 0; i < n; i++) {
		nl = strchr(p, '\n');
		cr_assert_not_null(nl, "no line %d in output:\n%s", n, r->out.buf);
		p = nl + 1;
	}
	nl = strchr(p, '\n');
	cr_assert_not_null(nl, "no line %d in output:\n%s", n, r->out.buf);
	return json_loadb(p, (size_t)(nl - p), 0, NULL);
}

static int count_lines(const struct run *r)
{
	int n = 0;

	for (const char *p = r->out.buf; *p; p++)
		n += *p == '\n';
	return n;
}

#define HELLO "{\"type\":\"hello\",\"protocol\":1}\n"

Test(session, hello_then_one_result_per_task)
{
	struct run r;
	json_t *h, *t1, *t2;

	run_str(HELLO
		"{\"type\":\"task\",\"id\":7,\"module\":\"ping\",\"args\":{}}\n"
		"{\"type\":\"task\",\"id\":8,\"module\":\"ansible.builtin.ping\",\"args\":{\"data\":\"x\"}}\n"
		"{\"type\":\"bye\"}\n",
		&r);
	cr_expect_eq(r.status, 0, "stderr: %s", r.err.buf);
	cr_assert_eq(count_lines(&r), 3, "%s", r.out.buf);
	h = line_n(&r, 0);
	cr_expect_str_eq(json_string_value(json_object_get(h, "type")), "hello");
	cr_expect_eq(json_integer_value(json_object_get(h, "protocol")), MU_PROTO_VERSION);
	cr_expect(json_is_string(json_object_get(h, "build")));
	t1 = line_n(&r, 1);
	cr_expect_eq(json_integer_value(json_object_get(t1, "id")), 7);
	cr_expect_str_eq(json_string_value(json_object_get(t1, "status")), "ok");
	t2 = line_n(&r, 2);
	cr_expect_eq(json_integer_value(json_object_get(t2, "id")), 8);
	cr_expect_str_eq(json_string_value(json_object_get(t2, "msg")), "x");
	json_decref(h);
	json_decref(t1);
	json_decref(t2);
	run_release(&r);
}

Test(session, task_before_hello_is_fatal_with_message)
{
	struct run r;
	json_t *m;

	run_str("{\"type\":\"task\",\"id\":1,\"module\":\"ping\"}\n", &r);
	cr_expect_eq(r.status, 2);
	m = line_n(&r, 1);
	cr_expect_str_eq(json_string_value(json_object_get(m, "type")), "error");
	cr_expect_str_eq(json_string_value(json_object_get(m, "msg")),
			 "protocol error: task before hello");
	cr_expect(strstr(r.err.buf, "task before hello") != NULL);
	json_decref(m);
	run_release(&r);
}

Test(session, version_mismatch_is_fatal_on_both_sides)
{
	struct run r;
	json_t *m;

	run_str("{\"type\":\"hello\",\"protocol\":99}\n", &r);
	cr_expect_eq(r.status, 2);
	m = line_n(&r, 1);
	cr_expect_str_eq(json_string_value(json_object_get(m, "type")), "error");
	cr_expect(strstr(json_string_value(json_object_get(m, "msg")),
			 "protocol version mismatch") != NULL);
	json_decref(m);
	run_release(&r);
}

Test(session, malformed_json_line)
{
	struct run r;
	json_t *m;

	run_str(HELLO "{\"type\": nope}\n", &r);
	cr_expect_eq(r.status, 2);
	m = line_n(&r, 1);
	cr_expect(strstr(json_string_value(json_object_get(m, "msg")), "malformed JSON") != NULL);
	json_decref(m);
	run_release(&r);
}

Test(session, unknown_module_and_bad_args_are_failed_results)
{
	struct run r;
	json_t *a, *b, *c;

	run_str(HELLO
		"{\"type\":\"task\",\"id\":1,\"module\":\"frobnicate\",\"args\":{}}\n"
		"{\"type\":\"task\",\"id\":2,\"module\":\"ping\",\"args\":{\"dta\":1}}\n"
		"{\"type\":\"task\",\"id\":3,\"module\":\"command\",\"args\":{\"timeout\":\"soon\"}}\n",
		&r);
	cr_expect_eq(r.status, 0);
	a = line_n(&r, 1);
	b = line_n(&r, 2);
	c = line_n(&r, 3);
	cr_expect_str_eq(json_string_value(json_object_get(a, "status")), "failed");
	cr_expect_str_eq(json_string_value(json_object_get(a, "msg")), "unknown module 'frobnicate'");
	cr_expect_str_eq(json_string_value(json_object_get(b, "msg")),
			 "ping: unknown argument 'dta' (known: data)");
	cr_expect_str_eq(json_string_value(json_object_get(c, "msg")),
			 "command: argument 'timeout' must be an integer");
	json_decref(a);
	json_decref(b);
	json_decref(c);
	run_release(&r);
}

Test(session, ten_megabyte_line_is_refused_not_buffered)
{
	size_t big = 10u * 1024u * 1024u;
	char *input = malloc(big + 64);
	size_t n = strlen(HELLO);
	struct run r;
	json_t *m;

	memcpy(input, HELLO, n);
	memset(input + n, 'a', big);
	input[n + big] = '\n';
	run_agent(input, n + big + 1, &r);
	free(input);
	cr_expect_eq(r.status, 2);
	m = line_n(&r, 1);
	cr_expect(strstr(json_string_value(json_object_get(m, "msg")), "line too long") != NULL,
		  "%s", r.out.buf);
	json_decref(m);
	run_release(&r);
}

Test(session, stdin_closed_mid_task_exits_cleanly_with_message)
{
	struct run r;

	run_str(HELLO "{\"type\":\"task\",\"id\":1,\"modu", &r);
	cr_expect_eq(r.status, 2, "status %d", r.status);
	cr_expect_eq(count_lines(&r), 1, "only the hello: %s", r.out.buf);
	cr_expect(strstr(r.err.buf, "input ended inside a line") != NULL, "%s", r.err.buf);
	run_release(&r);
}

Test(session, eof_between_tasks_is_a_normal_goodbye)
{
	struct run r;

	run_str(HELLO, &r);
	cr_expect_eq(r.status, 0);
	run_release(&r);
}

Test(session, unknown_message_type)
{
	struct run r;
	json_t *m;

	run_str(HELLO "{\"type\":\"dance\"}\n", &r);
	cr_expect_eq(r.status, 2);
	m = line_n(&r, 1);
	cr_expect_str_eq(json_string_value(json_object_get(m, "msg")),
			 "protocol error: unknown message type 'dance'");
	json_decref(m);
	run_release(&r);
}

Test(session, task_without_id_or_module)
{
	struct run r;
	json_t *a, *b;

	run_str(HELLO "{\"type\":\"task\",\"module\":\"ping\"}\n{\"type\":\"task\",\"id\":2}\n", &r);
	a = line_n(&r, 1);
	b = line_n(&r, 2);
	cr_expect_str_eq(json_string_value(json_object_get(a, "msg")), "task has no integer 'id'");
	cr_expect_str_eq(json_string_value(json_object_get(b, "msg")), "task has no string 'module'");
	json_decref(a);
	json_decref(b);
	run_release(&r);
}

Test(session, agent_is_static)
{
	char cmd[600];
	FILE *p;
	char out[512] = "";

	snprintf(cmd, sizeof(cmd), "file -L '%s'", MU_AGENT_BIN);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	fgets(out, sizeof(out), p);
	pclose(p);
	if (strstr(out, "dynamically"))
		cr_skip_test("sanitizer build: agent is dynamic (%s)", out);
	cr_expect(strstr(out, "statically linked") != NULL, "%s", out);
}

/* Regression: "check":"true" was read as false and the task ran for real. */
Test(session, non_boolean_check_is_refused_not_guessed)
{
	struct run r;
	json_t *m;

	run_str(HELLO "{\"type\":\"task\",\"id\":1,\"module\":\"command\","
		"\"args\":{\"cmd\":\"touch /tmp/mu-session-check-guard\"},\"check\":\"true\"}\n", &r);
	m = line_n(&r, 1);
	cr_expect_str_eq(json_string_value(json_object_get(m, "status")), "failed");
	cr_expect_str_eq(json_string_value(json_object_get(m, "msg")),
			 "task 'check' and 'diff' must be JSON booleans");
	cr_expect_neq(access("/tmp/mu-session-check-guard", F_OK), 0, "the command ran");
	json_decref(m);
	run_release(&r);
}
