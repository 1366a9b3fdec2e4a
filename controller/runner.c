/*
 * The run loop. Workers take hosts from a shared counter; each worker
 * runs one host through one play: connect (once per run), start an
 * agent, gather facts, then each task — loop items, `when`, templated
 * arguments, the call, changed_when/failed_when, register, notify — and
 * the notified handlers at the end of the play. A failed task stops that
 * host only; an unreachable host stops there and is reported with what
 * completed before it went away.
 */
#include "runner.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "expr.h"
#include "hostpattern.h"
#include "mu_buf.h"
#include "template.h"

#define MAX_AGENTS 4

struct agent_slot {
	bool become;
	char *user;
	struct mu_agent *agent;
};

struct host_state {
	struct mu_host *host;
	struct mu_link *link;
	bool unreachable;
	bool failed;
	json_t *facts;              /* set_fact + register results: persist across plays */
	json_t *gathered;           /* ansible_facts and ansible_* from setup */
	struct agent_slot agents[MAX_AGENTS];
	size_t nagents;
	long next_id;
};

struct play_run {
	const struct mu_playbook *pb;
	const struct mu_play *play;
	struct mu_inventory *inv;
	const struct mu_run_opts *o;
	struct mu_report *rep;
	struct host_state **hosts;
	size_t nhosts;
	size_t next;
	pthread_mutex_t mu;
};

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void stop_agents(struct host_state *hs)
{
	for (size_t i = 0; i < hs->nagents; i++) {
		mu_agent_stop(hs->agents[i].agent);
		free(hs->agents[i].user);
	}
	hs->nagents = 0;
}

/* The agent for this become setting, started on first use. */
static int get_agent(struct play_run *pr, struct host_state *hs, bool become,
		     const char *user, struct mu_agent **out, struct mu_err *e)
{
	const char *u = become ? (user ? user : "root") : "";
	int r;

	for (size_t i = 0; i < hs->nagents; i++)
		if (hs->agents[i].become == become && strcmp(hs->agents[i].user, u) == 0) {
			*out = hs->agents[i].agent;
			return 0;
		}
	if (hs->nagents == MAX_AGENTS) {
		mu_agent_stop(hs->agents[0].agent);
		free(hs->agents[0].user);
		memmove(hs->agents, hs->agents + 1, (MAX_AGENTS - 1) * sizeof(hs->agents[0]));
		hs->nagents--;
	}
	if (!hs->link) {
		struct mu_target t = {
			.name = hs->host->name, .address = hs->host->address,
			.port = hs->host->port, .user = hs->host->user, .local = hs->host->local,
		};

		if ((r = mu_link_open(&t, &pr->o->conn, &hs->link, e)) != 0)
			return r;
	}
	if ((r = mu_agent_start(hs->link, become, become ? u : NULL, out, NULL, e)) != 0)
		return r;
	hs->agents[hs->nagents].become = become;
	hs->agents[hs->nagents].user = mu_xstrdup(u);
	hs->agents[hs->nagents].agent = *out;
	hs->nagents++;
	return 0;
}

/*
 * Ansible's `omit`: an argument whose value rendered to the placeholder
 * (`x: "{{ y | default(omit) }}"`) is left out, as if never written.
 */
static void drop_omitted(json_t *args)
{
	const char *k;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(args, tmp, k, v)
		if (json_is_string(v) && strcmp(json_string_value(v), MU_OMIT_PLACEHOLDER) == 0)
			json_object_del(args, k);
}

/* After a protocol error the agent is gone: forget it so the next task starts anew. */
static void drop_agent(struct host_state *hs, struct mu_agent *a)
{
	for (size_t i = 0; i < hs->nagents; i++) {
		if (hs->agents[i].agent != a)
			continue;
		mu_agent_stop(a);
		free(hs->agents[i].user);
		memmove(&hs->agents[i], &hs->agents[i + 1],
			(hs->nagents - i - 1) * sizeof(hs->agents[0]));
		hs->nagents--;
		return;
	}
}

static json_t *failed_reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *failed_reply(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:s, s:s}", "status", "failed", "msg", msg);
}

/*
 * Did this result change the host? A failure can have changed it too: a
 * command that ran and exited non-zero (its data carries the exit code
 * `rc`) is changed=true in Ansible, and so is a failure after the agent
 * listed changes it made.
 */
static bool reply_changed(const json_t *reply, enum mu_status st)
{
	if (st == MU_CHANGED)
		return true;
	if (st != MU_FAILED)
		return false;
	return json_array_size(json_object_get(reply, "changes")) > 0 ||
	       json_is_integer(json_object_get(json_object_get(reply, "data"), "rc"));
}

/* The registered form of a result: Ansible's keys plus ours. */
static json_t *register_value(const json_t *reply, enum mu_status st, bool changed)
{
	json_t *v = json_object();
	json_t *data = json_object_get(reply, "data");

	if (json_is_object(data))
		json_object_update(v, data);
	json_object_set_new(v, "changed", json_boolean(changed));
	json_object_set_new(v, "failed", json_boolean(st == MU_FAILED));
	json_object_set_new(v, "skipped", json_boolean(st == MU_SKIPPED));
	json_object_set_new(v, "status", json_string(mu_status_name(st)));
	json_object_set(v, "msg", json_object_get(reply, "msg") ? json_object_get(reply, "msg")
								: json_string(""));
	if (json_object_get(reply, "changes"))
		json_object_set(v, "changes", json_object_get(reply, "changes"));
	if (json_object_get(reply, "warnings"))
		json_object_set(v, "warnings", json_object_get(reply, "warnings"));
	return v;
}

/* Controller-side actions: debug, set_fact, fail, assert. */
static json_t *run_local(const struct mu_taskdef *t, const json_t *args, json_t *scope,
			 struct host_state *hs, int verbosity)
{
	struct mu_err e = { 0 };

	switch (t->kind) {
	case MU_ACT_DEBUG: {
		json_t *var = json_object_get(args, "var");
		json_t *msg = json_object_get(args, "msg");
		json_t *vb = json_object_get(args, "verbosity");
		char *s;
		json_t *r;

		if (json_is_integer(vb) && json_integer_value(vb) > verbosity)
			return json_pack("{s:s, s:s}", "status", "skipped", "msg",
					 "verbosity threshold not met");

		if (json_is_string(var)) {
			json_t *val = NULL;
			char *src = mu_xasprintf("{{ %s }}", json_string_value(var));

			if (mu_template_render(src, scope, &val, &e) != 0) {
				free(src);
				return failed_reply("debug: %s", e.msg);
			}
			free(src);
			{
				char *v = json_dumps(val, JSON_ENCODE_ANY | JSON_COMPACT);

				s = mu_xasprintf("%s: %s", json_string_value(var), v ? v : "null");
				free(v);
			}
			json_decref(val);
		} else {
			s = json_is_string(msg) ? mu_xstrdup(json_string_value(msg))
						: json_dumps(msg ? msg : json_string("Hello world!"),
							     JSON_ENCODE_ANY | JSON_COMPACT);
		}
		r = json_pack("{s:s, s:s}", "status", "ok", "msg", s ? s : "");
		free(s);
		return r;
	}
	case MU_ACT_SET_FACT: {
		const char *k;
		json_t *v;

		json_object_foreach((json_t *)args, k, v)
			if (strcmp(k, "cacheable") != 0)
				json_object_set(hs->facts, k, v);
		return json_pack("{s:s, s:s}", "status", "ok", "msg", "facts set");
	}
	case MU_ACT_FAIL: {
		const char *m = json_string_value(json_object_get(args, "msg"));

		return failed_reply("%s", m ? m : "Failed as requested from task");
	}
	case MU_ACT_ASSERT: {
		bool ok;
		const char *fm = json_string_value(json_object_get(args, "fail_msg"));
		const char *sm = json_string_value(json_object_get(args, "success_msg"));

		if (!fm)
			fm = json_string_value(json_object_get(args, "msg"));
		if (mu_when_eval(json_object_get(t->args, "that"), scope, &ok, &e) != 0)
			return failed_reply("assert: %s", e.msg);
		if (!ok)
			return failed_reply("%s", fm ? fm : "Assertion failed");
		return json_pack("{s:s, s:s}", "status", "ok", "msg", sm ? sm : "All assertions passed");
	}
	default:
		return failed_reply("internal: not a local action");
	}
}

struct task_outcome {
	enum mu_status status;
	bool fatal;         /* host stops: failed and not ignored */
	bool unreachable;
};

/* A copy of the result safe to show: no_log hides the message, data and diff. */
static json_t *shown_reply(const struct mu_taskdef *t, const json_t *reply, enum mu_status st)
{
	if (!t->no_log)
		return json_incref((json_t *)reply);
	return json_pack("{s:s, s:s}", "status", mu_status_name(st), "msg",
			 "the output has been hidden due to 'no_log: true' on this task");
}

/*
 * The loop's items: the list as written with each item rendered, or the
 * template rendered. As in
 * Ansible, with_items flattens one level and with_* take a scalar as a
 * list of one. Returns 0, or an error code with e set (MU_E_NOTFOUND for
 * an undefined variable).
 */
static int loop_items(const struct mu_taskdef *t, const json_t *scope, json_t **out,
		      struct mu_err *e)
{
	json_t *items = NULL, *flat;
	size_t i;
	json_t *it;
	int r;

	*out = NULL;
	if (json_is_string(t->loop)) {
		if ((r = mu_template_render(json_string_value(t->loop), scope, &items, e)) != 0)
			return r;
	} else if ((r = mu_template_render_deep(t->loop, scope, &items, e)) != 0) {
		/* A list as written: its items are templates too, as in Ansible. */
		return r;
	}
	if (!json_is_array(items) && t->loop_listify && !json_is_object(items) &&
	    !json_is_null(items)) {
		json_t *one = json_array();

		json_array_append_new(one, items);
		items = one;
	}
	if (!json_is_array(items)) {
		r = mu_err_set(e, MU_E_ARG, "loop: expected a list, got %s",
			       json_is_object(items) ? "a mapping (use dict2items)"
			       : json_is_null(items) ? "null" : "a scalar");
		json_decref(items);
		return r;
	}
	if (!t->loop_flatten) {
		*out = items;
		return 0;
	}
	flat = json_array();
	json_array_foreach(items, i, it) {
		if (json_is_array(it))
			json_array_extend(flat, it);
		else
			json_array_append(flat, it);
	}
	json_decref(items);
	*out = flat;
	return 0;
}

/* become_user may be a template ("{{ rootless_user }}"). */
static int become_user(const struct play_run *pr, const struct mu_taskdef *t,
		       const json_t *scope, char **out, struct mu_err *e)
{
	const char *u = t->become_user ? t->become_user : pr->play->become_user;

	*out = NULL;
	if (!u)
		return 0;
	if (mu_template_render_str(u, scope, out, e) != 0)
		return mu_err_set(e, MU_E_ARG, "become_user: %s", e->msg);
	if (!**out) {
		free(*out);
		*out = NULL;
		return mu_err_set(e, MU_E_ARG, "become_user '%s' renders empty", u);
	}
	return 0;
}

/*
 * changed_when, then failed_when (Ansible's order), over the result under
 * its register name (`result` without one), per loop item. *changed comes
 * in as the module said and leaves as changed_when decided.
 */
static enum mu_status apply_conditions(const struct mu_taskdef *t, json_t *scope,
				       json_t *reply, enum mu_status st, bool *changed)
{
	struct mu_err e = { 0 };
	const char *as = t->register_as ? t->register_as : "result";
	bool failed = st == MU_FAILED;
	bool b;

	if (st == MU_SKIPPED || (!t->changed_when && !t->failed_when))
		return st;
	json_object_set_new(scope, as, register_value(reply, st, *changed));
	if (t->changed_when) {
		if (mu_when_eval(t->changed_when, scope, &b, &e) != 0) {
			json_object_set_new(reply, "msg", json_sprintf("changed_when: %s", e.msg));
			return MU_FAILED;
		}
		*changed = b;
		json_object_set_new(json_object_get(scope, as), "changed", json_boolean(b));
	}
	if (t->failed_when) {
		if (mu_when_eval(t->failed_when, scope, &b, &e) != 0) {
			json_object_set_new(reply, "msg", json_sprintf("failed_when: %s", e.msg));
			return MU_FAILED;
		}
		failed = b;
	}
	return failed ? MU_FAILED : *changed ? MU_CHANGED : MU_OK;
}

/* The play as the PLAY line and the records name it. */
static const char *play_label(const struct mu_play *p)
{
	return p->name ? p->name : p->hosts;
}

/* The result of a task that did not get to run its items. */
static void task_result(struct play_run *pr, struct host_state *hs, const struct mu_taskdef *t,
			const char *name, json_t *reply, enum mu_status st,
			struct task_outcome *oc)
{
	json_t *shown = shown_reply(t, reply, st);

	mu_report_result(pr->rep, hs->host->name, play_label(pr->play), name, t->module, NULL,
			 st, st == MU_FAILED && t->ignore_errors, shown, 0, t->file, t->line);
	json_decref(shown);
	if (t->register_as) {
		json_t *rv = register_value(reply, st, false);

		if (t->loop)
			json_object_set_new(rv, "results", json_array());
		json_object_set_new(hs->facts, t->register_as, rv);
	}
	oc->status = st;
	oc->fatal = st == MU_FAILED && !t->ignore_errors;
}

/* Run one task (all its loop items) on one host. */
static void run_task(struct play_run *pr, struct host_state *hs, const struct mu_taskdef *t,
		     bool *notified, struct task_outcome *oc)
{
	const struct mu_play *p = pr->play;
	struct mu_err e = { 0 };
	/* An audit promises no change: check_mode: false does not override it. */
	bool check = pr->o->audit ? true : t->check_mode >= 0 ? t->check_mode : pr->o->check;
	struct mu_scope_layers layers = {
		.gathered = hs->gathered, .play_vars = p->vars, .task_vars = t->vars,
		.facts = hs->facts, .extra = pr->o->extra_vars, .check = check,
	};
	json_t *scope = mu_host_scope(pr->inv, hs->host, &layers);
	json_t *items = NULL;
	json_t *results = json_array();
	char *name = NULL, *buser = NULL;
	bool looped = t->loop != NULL;
	enum mu_status overall = MU_SKIPPED;
	bool any_changed = false, any_failed = false, all_skipped = true;
	/* ansible_become in the inventory turns become on for that host. */
	bool become = t->become >= 0 ? t->become : (p->become || hs->host->become);

	memset(oc, 0, sizeof(*oc));
	if (!t->name || mu_template_render_str(t->name, scope, &name, &e) != 0)
		name = mu_xstrdup(t->name ? t->name : t->module);

	if (become && t->kind == MU_ACT_AGENT && become_user(pr, t, scope, &buser, &e) != 0) {
		json_t *r = failed_reply("%s", e.msg);

		task_result(pr, hs, t, name, r, MU_FAILED, oc);
		json_decref(r);
		goto out;
	}
	if (looped) {
		int r = loop_items(t, scope, &items, &e);
		bool cond;
		struct mu_err ce = { 0 };
		json_t *reply = NULL;

		/* As Ansible: an undefined loop is no error when `when` is false anyway. */
		if (r == MU_E_NOTFOUND && mu_when_eval(t->when, scope, &cond, &ce) == 0 && !cond)
			reply = json_pack("{s:s, s:s}", "status", "skipped", "msg",
					  "conditional result was false");
		else if (r) {
			mu_explain_undefined(scope, &e);
			reply = failed_reply("%s%s", strncmp(e.msg, "loop:", 5) ? "loop: " : "", e.msg);
		}
		else if (json_array_size(items) == 0)
			reply = json_pack("{s:s, s:s}", "status", "skipped", "msg", "no items in the list");
		if (reply) {
			enum mu_status st = MU_FAILED;

			mu_status_parse(json_string_value(json_object_get(reply, "status")), &st);
			task_result(pr, hs, t, name, reply, st, oc);
			json_decref(reply);
			goto out;
		}
	} else {
		items = json_array();
		json_array_append_new(items, json_null());
	}

	for (size_t i = 0; i < json_array_size(items); i++) {
		json_t *item = json_array_get(items, i);
		json_t *iscope = scope, *args = NULL, *reply = NULL, *shown;
		char *label = NULL;
		enum mu_status st;
		bool cond, changed = false;
		long t0 = now_ms();

		if (looped) {
			json_t *lv = json_pack("{s:O, s:{s:I, s:I, s:b, s:b, s:I}, s:s}",
					       t->loop_var, item, "ansible_loop", "index0",
					       (json_int_t)i, "index", (json_int_t)i + 1, "first",
					       i == 0, "last", i + 1 == json_array_size(items),
					       "length", (json_int_t)json_array_size(items),
					       "ansible_loop_var", t->loop_var);

			/* Vars that mention the item resolve per item, as Ansible's are lazy. */
			layers.loop = lv;
			iscope = mu_host_scope(pr->inv, hs->host, &layers);
			layers.loop = NULL;
			json_decref(lv);
			if (t->label)
				mu_template_render_str(t->label, iscope, &label, &e);
			if (!label && t->no_log)
				label = mu_xstrdup("(hidden: no_log)");
			if (!label)
				label = json_is_string(item) ? mu_xstrdup(json_string_value(item))
							     : json_dumps(item, JSON_ENCODE_ANY | JSON_COMPACT);
		}
		if (mu_when_eval(t->when, iscope, &cond, &e) != 0) {
			mu_explain_undefined(iscope, &e);
			reply = failed_reply("when: %s", e.msg);
			st = MU_FAILED;
			goto item_done;
		}
		if (!cond) {
			reply = json_pack("{s:s, s:s}", "status", "skipped", "msg", "conditional result was false");
			st = MU_SKIPPED;
			goto item_done;
		}
		if (mu_template_render_deep(t->args, iscope, &args, &e) != 0) {
			mu_explain_undefined(iscope, &e);
			reply = failed_reply("%s", e.msg);
			st = MU_FAILED;
			goto item_done;
		}
		drop_omitted(args);
		if (t->kind != MU_ACT_AGENT) {
			reply = run_local(t, args, iscope, hs, pr->o->verbosity);
		} else {
			struct mu_agent *ag = NULL;
			json_t *msg;
			int r = get_agent(pr, hs, become, buser, &ag, &e);

			if (r == 0) {
				msg = json_pack("{s:s, s:I, s:s, s:O, s:b, s:b}", "type", "task",
						"id", (json_int_t)++hs->next_id, "module", t->module,
						"args", args, "check", check, "diff", pr->o->diff);
				r = mu_agent_call(ag, msg, &reply, &e);
				json_decref(msg);
			}
			if (r == MU_E_CONNECT || r == MU_E_EOF || r == MU_E_AUTH || r == MU_E_TIMEOUT ||
			    (r && !hs->link)) {
				mu_report_unreachable(pr->rep, hs->host->name, name, e.msg);
				oc->unreachable = true;
				free(label);
				json_decref(args);
				json_decref(reply);
				if (iscope != scope)
					json_decref(iscope);
				goto out;
			}
			if (r) {
				if (ag)
					drop_agent(hs, ag);
				json_decref(reply);
				reply = failed_reply("%s", e.msg);
			}
		}
		{
			enum mu_status parsed;
			const char *s = json_string_value(json_object_get(reply, "status"));

			st = s && mu_status_parse(s, &parsed) == 0 ? parsed : MU_FAILED;
		}
		changed = reply_changed(reply, st);
		st = apply_conditions(t, iscope, reply, st, &changed);
item_done:
		shown = shown_reply(t, reply, st);
		mu_report_item(pr->rep, hs->host->name, play_label(p), name, t->module, label, st,
			       st == MU_FAILED && t->ignore_errors, shown, now_ms() - t0, t->file,
			       t->line);
		json_decref(shown);
		{
			json_t *rv = register_value(reply, st, changed);

			if (looped) {
				json_object_set(rv, t->loop_var, item);
				json_object_set_new(rv, "ansible_loop_var", json_string(t->loop_var));
			}
			json_array_append_new(results, rv);
		}
		any_changed |= changed;
		any_failed |= st == MU_FAILED;
		all_skipped &= st == MU_SKIPPED;
		overall = mu_status_merge(overall, st);
		free(label);
		json_decref(args);
		json_decref(reply);
		if (iscope != scope)
			json_decref(iscope);
	}
	/* A task counts once in the recap, however many items it had. */
	mu_report_tally(pr->rep, hs->host->name, name, overall,
			overall == MU_FAILED && t->ignore_errors, any_changed);

	if (t->register_as) {
		json_t *rv;

		if (looped) {
			rv = json_pack("{s:O, s:b, s:b, s:b, s:s, s:s}", "results", results, "changed",
				       any_changed, "failed", any_failed, "skipped", all_skipped,
				       "status", mu_status_name(overall), "msg",
				       any_failed ? "One or more items failed" : "All items completed");
		} else {
			rv = json_incref(json_array_get(results, 0));
		}
		if (rv)
			json_object_set_new(hs->facts, t->register_as, rv);
	}
	/* As Ansible, a failed task notifies nothing, even when ignored. */
	if (any_changed && !any_failed && t->notify && notified) {
		size_t j;
		json_t *hn;

		json_array_foreach(t->notify, j, hn)
			for (size_t k = 0; k < p->nhandlers; k++) {
				const struct mu_taskdef *h = &p->handlers[k];

				if ((h->name && strcmp(h->name, json_string_value(hn)) == 0) ||
				    (h->listen && strcmp(h->listen, json_string_value(hn)) == 0))
					notified[k] = true;
			}
	}
	oc->status = overall;
	oc->fatal = any_failed && !t->ignore_errors;
out:
	free(name);
	free(buser);
	json_decref(items);
	json_decref(results);
	json_decref(scope);
}

static void gather_facts(struct play_run *pr, struct host_state *hs, struct task_outcome *oc)
{
	struct mu_taskdef t = {
		.name = "Gathering Facts", .module = "setup", .kind = MU_ACT_AGENT,
		.become = -1, .check_mode = 0, .loop_var = "item", .file = pr->play->file,
		.line = pr->play->line, .register_as = NULL,
	};
	json_t *args = json_object();
	json_t *scope_facts;

	t.args = args;
	t.tags = json_array();
	t.register_as = "__muster_facts";
	run_task(pr, hs, &t, NULL, oc);
	scope_facts = json_object_get(hs->facts, "__muster_facts");
	if (scope_facts) {
		json_t *af = json_object_get(scope_facts, "ansible_facts");

		if (json_is_object(af)) {
			const char *k;
			json_t *v;

			json_object_set(hs->gathered, "ansible_facts", af);
			json_object_foreach(af, k, v) {
				char *key = mu_xasprintf("ansible_%s", k);

				json_object_set(hs->gathered, key, v);
				free(key);
			}
		}
		json_object_del(hs->facts, "__muster_facts");
	}
	json_decref(args);
	json_decref(t.tags);
}

static void run_host_play(struct play_run *pr, struct host_state *hs)
{
	const struct mu_play *p = pr->play;
	bool *notified = mu_xcalloc(p->nhandlers + 1, sizeof(bool));
	struct task_outcome oc;

	if (p->gather_facts) {
		gather_facts(pr, hs, &oc);
		if (oc.unreachable) {
			hs->unreachable = true;
			goto out;
		}
		if (oc.fatal) {
			hs->failed = true;
			goto out;
		}
	}
	for (size_t i = 0; i < p->ntasks; i++) {
		const struct mu_taskdef *t = &p->tasks[i];

		if (!mu_task_tag_match(t, pr->o->tags, pr->o->skip_tags))
			continue;
		run_task(pr, hs, t, notified, &oc);
		if (oc.unreachable) {
			hs->unreachable = true;
			goto out;
		}
		if (oc.fatal) {
			hs->failed = true;
			goto out;
		}
	}
	/* Handlers run once, in the order they are defined, after the tasks; a
	 * handler may notify one defined after it. */
	for (size_t k = 0; k < p->nhandlers; k++) {
		if (!notified[k])
			continue;
		notified[k] = false;
		run_task(pr, hs, &p->handlers[k], notified, &oc);
		if (oc.unreachable) {
			hs->unreachable = true;
			break;
		}
		if (oc.fatal) {
			hs->failed = true;
			break;
		}
	}
out:
	stop_agents(hs);
	free(notified);
}

static void *worker(void *arg)
{
	struct play_run *pr = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&pr->mu);
		i = pr->next++;
		pthread_mutex_unlock(&pr->mu);
		if (i >= pr->nhosts)
			break;
		run_host_play(pr, pr->hosts[i]);
	}
	return NULL;
}

static bool selected(struct mu_host *h, struct mu_host **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == h)
			return true;
	return false;
}

int mu_run_playbook(const struct mu_playbook *pb, struct mu_inventory *inv,
		    const struct mu_run_opts *o, struct mu_report *rep, struct mu_err *e)
{
	struct host_state *all = mu_xcalloc(inv->nhosts + 1, sizeof(*all));
	struct mu_host **limit = NULL;
	size_t nlimit = 0;
	int r = 0;

	for (size_t i = 0; i < inv->nhosts; i++) {
		all[i].host = inv->hosts[i];
		all[i].facts = json_object();
		all[i].gathered = json_object();
	}
	if (o->limit && (r = mu_hosts_select(inv, o->limit, &limit, &nlimit, e)) != 0)
		goto out;
	if (o->limit && nlimit == 0) {
		/* As Ansible: a typo in --limit must not look like a clean run. */
		r = mu_err_set(e, MU_E_ARG, "--limit '%s' matches no host in the inventory "
			       "(see: muster ping --list-hosts)", o->limit);
		goto out;
	}
	for (size_t pi = 0; pi < pb->nplays; pi++) {
		const struct mu_play *p = &pb->plays[pi];
		struct play_run pr = { .pb = pb, .play = p, .inv = inv, .o = o, .rep = rep };
		struct mu_host **sel = NULL;
		size_t nsel = 0;
		pthread_t *th;
		size_t nth;

		if ((r = mu_hosts_select(inv, p->hosts, &sel, &nsel, e)) != 0)
			goto out;
		pr.hosts = mu_xcalloc(nsel + 1, sizeof(*pr.hosts));
		for (size_t i = 0; i < nsel; i++) {
			struct host_state *hs = &all[sel[i]->idx];

			if (o->limit && !selected(sel[i], limit, nlimit))
				continue;
			if (hs->unreachable || hs->failed)
				continue;
			pr.hosts[pr.nhosts++] = hs;
		}
		free(sel);
		mu_report_play(rep, play_label(p), pr.nhosts);
		for (size_t i = 0; i < pr.nhosts; i++)
			mu_report_host(rep, pr.hosts[i]->host->name);
		pthread_mutex_init(&pr.mu, NULL);
		nth = pr.nhosts < (size_t)(o->forks > 0 ? o->forks : 50) ? pr.nhosts
			: (size_t)(o->forks > 0 ? o->forks : 50);
		th = mu_xcalloc(nth + 1, sizeof(*th));
		for (size_t i = 0; i < nth; i++) {
			pthread_attr_t at;

			pthread_attr_init(&at);
			pthread_attr_setstacksize(&at, (size_t)512 * 1024);
			if (pthread_create(&th[i], &at, worker, &pr) != 0) {
				pthread_attr_destroy(&at);
				nth = i;
				break;
			}
			pthread_attr_destroy(&at);
		}
		if (nth == 0)
			worker(&pr);
		for (size_t i = 0; i < nth; i++)
			pthread_join(th[i], NULL);
		free(th);
		pthread_mutex_destroy(&pr.mu);
		free(pr.hosts);
	}
out:
	for (size_t i = 0; i < inv->nhosts; i++) {
		stop_agents(&all[i]);
		mu_link_close(all[i].link);
		json_decref(all[i].facts);
		json_decref(all[i].gathered);
	}
	free(all);
	free(limit);
	return r;
}
