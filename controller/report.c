/*
 * Output. Host threads call in concurrently; one mutex keeps each host's
 * line whole and the per-host records consistent. Everything a line says
 * also goes into the per-host JSON record, so --json tells the same story
 * as the terminal.
 */
#include "report.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mu_buf.h"

struct host_rec {
	char *name;
	struct mu_stats st;
	json_t *tasks;          /* array of task records */
	json_t *drift;          /* audit: names of tasks that would change */
};

struct mu_report {
	pthread_mutex_t mu;
	FILE *out;
	bool colour;
	bool progress;          /* live progress line on a terminal */
	bool progress_shown;
	int verbosity;
	bool diff;
	bool check;
	struct host_rec *hosts;
	size_t nhosts;
	size_t results;
	time_t started;
	json_t *plays;
};

#define C_RESET "\033[0m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_RED "\033[31m"
#define C_CYAN "\033[36m"
#define C_BRED "\033[1;31m"

struct mu_report *mu_report_new(FILE *out, int colour, int verbosity, bool diff,
				bool check)
{
	struct mu_report *r = mu_xcalloc(1, sizeof(*r));

	pthread_mutex_init(&r->mu, NULL);
	r->out = out;
	r->colour = colour < 0 ? isatty(fileno(out)) && getenv("NO_COLOR") == NULL : colour;
	r->progress = isatty(STDERR_FILENO) && isatty(fileno(out));
	r->verbosity = verbosity;
	r->diff = diff;
	r->check = check;
	r->started = time(NULL);
	r->plays = json_array();
	return r;
}

void mu_report_free(struct mu_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nhosts; i++) {
		free(r->hosts[i].name);
		json_decref(r->hosts[i].tasks);
		json_decref(r->hosts[i].drift);
	}
	free(r->hosts);
	json_decref(r->plays);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

static struct host_rec *find_host(struct mu_report *r, const char *host)
{
	for (size_t i = 0; i < r->nhosts; i++)
		if (strcmp(r->hosts[i].name, host) == 0)
			return &r->hosts[i];
	r->hosts = mu_xrealloc(r->hosts, (r->nhosts + 1) * sizeof(*r->hosts));
	memset(&r->hosts[r->nhosts], 0, sizeof(*r->hosts));
	r->hosts[r->nhosts].name = mu_xstrdup(host);
	r->hosts[r->nhosts].tasks = json_array();
	r->hosts[r->nhosts].drift = json_array();
	return &r->hosts[r->nhosts++];
}

static void clear_progress(struct mu_report *r)
{
	if (r->progress_shown) {
		fputs("\r\033[K", stderr);
		r->progress_shown = false;
	}
}

static void show_progress(struct mu_report *r)
{
	size_t done = 0;

	if (!r->progress)
		return;
	for (size_t i = 0; i < r->nhosts; i++)
		done += r->hosts[i].st.failed || r->hosts[i].st.unreachable;
	fprintf(stderr, "\r\033[K[muster] %zu results from %zu hosts, %zu stopped, %lds",
		r->results, r->nhosts, done, (long)(time(NULL) - r->started));
	fflush(stderr);
	r->progress_shown = true;
}

static const char *colour_of(enum mu_status s)
{
	switch (s) {
	case MU_OK: return C_GREEN;
	case MU_CHANGED: return C_YELLOW;
	case MU_FAILED: return C_RED;
	default: return C_CYAN;
	}
}

void mu_report_play(struct mu_report *r, const char *name, size_t nhosts)
{
	char line[120];
	int n;

	pthread_mutex_lock(&r->mu);
	clear_progress(r);
	n = snprintf(line, sizeof(line), "PLAY [%s] ", name ? name : "");
	fprintf(r->out, "\n%s", line);
	for (int i = n; i < 79; i++)
		fputc('*', r->out);
	fputc('\n', r->out);
	if (!nhosts)
		fprintf(r->out, "skipping: no hosts matched\n");
	json_array_append_new(r->plays, json_pack("{s:s, s:I}", "name", name ? name : "",
						  "hosts", (json_int_t)nhosts));
	fflush(r->out);
	pthread_mutex_unlock(&r->mu);
}

void mu_report_host(struct mu_report *r, const char *host)
{
	pthread_mutex_lock(&r->mu);
	find_host(r, host);
	pthread_mutex_unlock(&r->mu);
}

static void print_diff(struct mu_report *r, const json_t *diff)
{
	size_t i;
	json_t *d;

	json_array_foreach(diff, i, d) {
		const char *item = json_string_value(json_object_get(d, "item"));
		const char *b = json_string_value(json_object_get(d, "before"));
		const char *a = json_string_value(json_object_get(d, "after"));

		fprintf(r->out, "    %s%s\n", item && *item ? item : "", item && *item ? ":" : "");
		fprintf(r->out, "%s    - %s%s\n", r->colour ? C_RED : "", b ? b : "(absent)",
			r->colour ? C_RESET : "");
		fprintf(r->out, "%s    + %s%s\n", r->colour ? C_GREEN : "", a ? a : "(absent)",
			r->colour ? C_RESET : "");
	}
}

/* Count one task's outcome as Ansible's recap does: a changed task is also
 * ok; an ignored failure is ok and ignored (and changed if it changed). */
static void tally(struct mu_report *r, struct host_rec *h, const char *task,
		  enum mu_status status, bool ignored, bool changed)
{
	switch (status) {
	case MU_OK: h->st.ok++; break;
	case MU_CHANGED: h->st.changed++; h->st.ok++; break;
	case MU_SKIPPED: h->st.skipped++; break;
	case MU_FAILED:
		if (ignored) {
			h->st.ignored++;
			h->st.ok++;
			h->st.changed += changed;
		} else {
			h->st.failed++;
		}
		break;
	}
	if (status == MU_CHANGED && r->check)
		json_array_append_new(h->drift, json_string(task));
}

void mu_report_tally(struct mu_report *r, const char *host, const char *task,
		     enum mu_status status, bool ignored, bool changed)
{
	pthread_mutex_lock(&r->mu);
	tally(r, find_host(r, host), task, status, ignored, changed);
	pthread_mutex_unlock(&r->mu);
}

static void result(struct mu_report *r, const char *host, const char *play,
		   const char *task, const char *module, const char *item_label,
		   enum mu_status status, bool ignored, const json_t *reply,
		   long duration_ms, const char *file, int line, bool count)
{
	const char *msg = json_string_value(json_object_get(reply, "msg"));
	const json_t *warnings = json_object_get(reply, "warnings");
	const char *word = status == MU_SKIPPED ? "skipping" : mu_status_name(status);
	struct host_rec *h;
	json_t *rec;
	bool show_msg;
	size_t i;
	json_t *w;

	pthread_mutex_lock(&r->mu);
	clear_progress(r);
	h = find_host(r, host);
	r->results++;
	if (count)
		tally(r, h, task, status, ignored, false);

	show_msg = msg && *msg &&
		   (status == MU_FAILED || status == MU_CHANGED || r->verbosity > 0 ||
		    (module && strcmp(module, "debug") == 0));
	if (status != MU_SKIPPED || r->verbosity > 0) {
		fprintf(r->out, "%s%s%s: [%s] %s%s%s%s%s%s%s\n",
			r->colour ? colour_of(status) : "", status == MU_FAILED && !ignored
				? "failed" : word,
			r->colour ? C_RESET : "", host, task,
			item_label ? " (item=" : "", item_label ? item_label : "",
			item_label ? ")" : "", show_msg ? " => " : "", show_msg ? msg : "",
			ignored ? " ...ignoring" : "");
		/* Several tasks may share a name (or have none): say which one failed. */
		if (status == MU_FAILED && file && *file && line > 0)
			fprintf(r->out, "    at %s:%d\n", file, line);
		json_array_foreach(warnings, i, w)
			fprintf(r->out, "%s[WARNING]: [%s] %s%s\n", r->colour ? C_BRED : "", host,
				json_string_value(w), r->colour ? C_RESET : "");
		if (r->diff && json_array_size(json_object_get(reply, "diff")))
			print_diff(r, json_object_get(reply, "diff"));
		if (r->verbosity > 1 && json_object_get(reply, "data")) {
			char *s = json_dumps(json_object_get(reply, "data"), JSON_INDENT(2) | JSON_SORT_KEYS);

			fprintf(r->out, "%s\n", s ? s : "");
			free(s);
		}
	}
	rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:i}",
			"play", play ? play : "", "task", task, "module", module ? module : "",
			"status", mu_status_name(status), "msg", msg ? msg : "",
			"duration_ms", (json_int_t)duration_ms, "file", file ? file : "",
			"line", line);
	if (rec) {
		if (item_label)
			json_object_set_new(rec, "item", json_string(item_label));
		if (ignored)
			json_object_set_new(rec, "ignored", json_true());
		for (const char *const *k = (const char *const[]){ "changes", "diff", "warnings", "data", NULL }; *k; k++)
			if (json_object_get(reply, *k))
				json_object_set(rec, *k, json_object_get(reply, *k));
		json_array_append_new(h->tasks, rec);
	}
	fflush(r->out);
	show_progress(r);
	pthread_mutex_unlock(&r->mu);
}

void mu_report_result(struct mu_report *r, const char *host, const char *play,
		      const char *task, const char *module, const char *item_label,
		      enum mu_status status, bool ignored, const json_t *reply,
		      long duration_ms, const char *file, int line)
{
	result(r, host, play, task, module, item_label, status, ignored, reply, duration_ms,
	       file, line, true);
}

void mu_report_item(struct mu_report *r, const char *host, const char *play,
		    const char *task, const char *module, const char *item_label,
		    enum mu_status status, bool ignored, const json_t *reply,
		    long duration_ms, const char *file, int line)
{
	result(r, host, play, task, module, item_label, status, ignored, reply, duration_ms,
	       file, line, false);
}

void mu_report_unreachable(struct mu_report *r, const char *host, const char *task,
			   const char *msg)
{
	struct host_rec *h;

	pthread_mutex_lock(&r->mu);
	clear_progress(r);
	h = find_host(r, host);
	h->st.unreachable = 1;
	fprintf(r->out, "%sfatal: [%s]: UNREACHABLE! => %s%s\n", r->colour ? C_BRED : "",
		host, msg, r->colour ? C_RESET : "");
	json_array_append_new(h->tasks, json_pack("{s:s, s:s, s:s}", "task", task ? task : "",
						  "status", "unreachable", "msg", msg));
	fflush(r->out);
	pthread_mutex_unlock(&r->mu);
}

void mu_report_note(struct mu_report *r, const char *host, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&r->mu);
	clear_progress(r);
	fprintf(r->out, "[%s] ", host);
	va_start(ap, fmt);
	vfprintf(r->out, fmt, ap);
	va_end(ap);
	fputc('\n', r->out);
	fflush(r->out);
	pthread_mutex_unlock(&r->mu);
}

const struct mu_stats *mu_report_stats(struct mu_report *r, const char *host)
{
	const struct mu_stats *s;

	pthread_mutex_lock(&r->mu);
	s = &find_host(r, host)->st;
	pthread_mutex_unlock(&r->mu);
	return s;
}

void mu_report_recap(struct mu_report *r, bool audit)
{
	size_t width = 10;
	size_t compliant = 0;

	pthread_mutex_lock(&r->mu);
	clear_progress(r);
	for (size_t i = 0; i < r->nhosts; i++)
		if (strlen(r->hosts[i].name) > width)
			width = strlen(r->hosts[i].name);
	fputs("\nPLAY RECAP ", r->out);
	for (int i = 11; i < 79; i++)
		fputc('*', r->out);
	fputc('\n', r->out);
	for (size_t i = 0; i < r->nhosts; i++) {
		const struct mu_stats *s = &r->hosts[i].st;
		const char *c = !r->colour ? "" : s->unreachable || s->failed ? C_RED
				: s->changed ? C_YELLOW : C_GREEN;

		fprintf(r->out, "%s%-*s%s : ok=%-4d changed=%-4d unreachable=%-4d failed=%-4d "
			"skipped=%-4d rescued=0    ignored=%d\n",
			c, (int)width, r->hosts[i].name, r->colour ? C_RESET : "", s->ok,
			s->changed, s->unreachable, s->failed, s->skipped, s->ignored);
	}
	if (audit) {
		fputs("\nAUDIT ", r->out);
		for (int i = 6; i < 79; i++)
			fputc('*', r->out);
		fputc('\n', r->out);
		for (size_t i = 0; i < r->nhosts; i++) {
			const struct host_rec *h = &r->hosts[i];
			size_t n = json_array_size(h->drift);

			if (h->st.unreachable) {
				fprintf(r->out, "%-*s : unknown (unreachable)\n", (int)width, h->name);
			} else if (h->st.failed) {
				fprintf(r->out, "%-*s : unknown (a check failed)\n", (int)width, h->name);
			} else if (!n) {
				fprintf(r->out, "%-*s : compliant\n", (int)width, h->name);
				compliant++;
			} else {
				size_t j;
				json_t *t;

				fprintf(r->out, "%-*s : drift in %zu task%s:", (int)width, h->name, n,
					n == 1 ? "" : "s");
				json_array_foreach(h->drift, j, t)
					fprintf(r->out, "%s %s", j ? "," : "", json_string_value(t));
				fputc('\n', r->out);
			}
		}
		fprintf(r->out, "\n%zu of %zu hosts compliant\n", compliant, r->nhosts);
	}
	fflush(r->out);
	pthread_mutex_unlock(&r->mu);
}

void mu_report_totals(struct mu_report *r, struct mu_stats *out, size_t *drifted_hosts)
{
	memset(out, 0, sizeof(*out));
	*drifted_hosts = 0;
	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->nhosts; i++) {
		const struct mu_stats *s = &r->hosts[i].st;

		out->ok += s->ok;
		out->changed += s->changed;
		out->unreachable += s->unreachable;
		out->failed += s->failed;
		out->skipped += s->skipped;
		out->ignored += s->ignored;
		*drifted_hosts += json_array_size(r->hosts[i].drift) > 0;
	}
	pthread_mutex_unlock(&r->mu);
}

int mu_report_write_json(struct mu_report *r, const char *path, const char *playbook,
			 struct mu_err *e)
{
	json_t *doc = json_object();
	json_t *hosts = json_object();
	int rc;

	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->nhosts; i++) {
		const struct mu_stats *s = &r->hosts[i].st;

		json_object_set_new(hosts, r->hosts[i].name,
				    json_pack("{s:{s:i, s:i, s:i, s:i, s:i, s:i}, s:O, s:O}",
					      "stats", "ok", s->ok, "changed", s->changed,
					      "unreachable", s->unreachable, "failed", s->failed,
					      "skipped", s->skipped, "ignored", s->ignored,
					      "tasks", r->hosts[i].tasks, "drift", r->hosts[i].drift));
	}
	json_object_set_new(doc, "schema", json_string("muster-run/1"));
	json_object_set_new(doc, "muster_version", json_string(MU_VERSION));
	json_object_set_new(doc, "playbook", json_string(playbook ? playbook : ""));
	json_object_set_new(doc, "check", json_boolean(r->check));
	json_object_set_new(doc, "started", json_integer((json_int_t)r->started));
	json_object_set_new(doc, "duration_s", json_integer((json_int_t)(time(NULL) - r->started)));
	json_object_set(doc, "plays", r->plays);
	json_object_set_new(doc, "hosts", hosts);
	pthread_mutex_unlock(&r->mu);
	rc = json_dump_file(doc, path, JSON_INDENT(2));
	json_decref(doc);
	if (rc)
		return mu_err_sys(e, "cannot write '%s'", path);
	return 0;
}

/* Text for an XML attribute: markup and quotes escaped, line breaks kept as
 * character references, and the control characters XML 1.0 cannot carry
 * at all (a command's colour codes) replaced by U+FFFD. */
static void xml_escape(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\n': fputs("&#10;", f); break;
		case '\r': fputs("&#13;", f); break;
		case '\t': fputs("&#9;", f); break;
		default:
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				fputs("\xef\xbf\xbd", f);
			else
				fputc(*s, f);
		}
	}
}

int mu_report_write_junit(struct mu_report *r, const char *path, struct mu_err *e)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return mu_err_sys(e, "cannot write '%s'", path);
	pthread_mutex_lock(&r->mu);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"muster\">\n", f);
	for (size_t i = 0; i < r->nhosts; i++) {
		const struct host_rec *h = &r->hosts[i];
		size_t j;
		json_t *t;

		size_t failures = 0, errors = 0, skipped = 0;

		/* Counted from the cases themselves, so the totals always match
		 * the elements (loop items are cases of their own). */
		json_array_foreach(h->tasks, j, t) {
			const char *st = json_string_value(json_object_get(t, "status"));

			if (!st)
				continue;
			if (strcmp(st, "failed") == 0 && !json_is_true(json_object_get(t, "ignored")))
				failures++;
			else if (strcmp(st, "unreachable") == 0)
				errors++;
			else if (strcmp(st, "skipped") == 0)
				skipped++;
		}
		fputs("  <testsuite name=\"", f);
		xml_escape(f, h->name);
		fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\">\n",
			json_array_size(h->tasks), failures, errors, skipped);
		json_array_foreach(h->tasks, j, t) {
			const char *st = json_string_value(json_object_get(t, "status"));
			json_int_t ms = json_integer_value(json_object_get(t, "duration_ms"));
			bool ignored = json_is_true(json_object_get(t, "ignored"));
			const char *item = json_string_value(json_object_get(t, "item"));

			fputs("    <testcase classname=\"", f);
			xml_escape(f, h->name);
			fputs("\" name=\"", f);
			xml_escape(f, json_string_value(json_object_get(t, "task")));
			if (item) {
				fputs(" (item=", f);
				xml_escape(f, item);
				fputc(')', f);
			}
			fprintf(f, "\" time=\"%.3f\">", (double)ms / 1000.0);
			if (st && strcmp(st, "failed") == 0 && !ignored) {
				fputs("<failure message=\"", f);
				xml_escape(f, json_string_value(json_object_get(t, "msg")));
				fputs("\"/>", f);
			} else if (st && strcmp(st, "unreachable") == 0) {
				fputs("<error message=\"", f);
				xml_escape(f, json_string_value(json_object_get(t, "msg")));
				fputs("\"/>", f);
			} else if (st && strcmp(st, "skipped") == 0) {
				fputs("<skipped/>", f);
			}
			fputs("</testcase>\n", f);
		}
		fputs("  </testsuite>\n", f);
	}
	fputs("</testsuites>\n", f);
	pthread_mutex_unlock(&r->mu);
	if (fclose(f) != 0)
		return mu_err_sys(e, "cannot write '%s'", path);
	return 0;
}
