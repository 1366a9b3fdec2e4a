/*
 * The muster binary end to end over the local connection: the inventory is
 * `localhost ansible_connection=local`, so the agent runs as a child and
 * every task is real. Tasks only read the system or write inside the
 * test's temp dir. Also replays the inputs in tests/regress (see the README
 * there).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mu_buf.h"
#include "testutil.h"

static char tmp[128];

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "%s", tu_tmpdir());
}

static void teardown(void)
{
	tu_sh("rm -rf '%s'", tmp);
}

TestSuite(cli, .init = setup, .fini = teardown, .timeout = 60);

struct run {
	int rc;
	char *out;
	char *err;
};

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

/* Run argv in dir with stdout and stderr captured; r->rc is the exit
 * status (or 128 + signal). */
static void run_in(struct run *r, const char *dir, const char *const *argv)
{
	char outp[256], errp[256];
	pid_t pid;
	int st;

	snprintf(outp, sizeof(outp), "%s/.stdout", tmp);
	snprintf(errp, sizeof(errp), "%s/.stderr", tmp);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int in = open("/dev/null", O_RDONLY);

		if (o < 0 || e < 0 || in < 0 || chdir(dir) != 0)
			_exit(126);
		dup2(in, 0);
		dup2(o, 1);
		dup2(e, 2);
		setenv("MU_AGENT_PATH", MU_AGENT_BIN, 1);
		setenv("NO_COLOR", "1", 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	r->rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->out = tu_read(outp);
	r->err = tu_read(errp);
	cr_assert_not_null(r->out);
	cr_assert_not_null(r->err);
	cr_assert_lt(r->rc, 128, "muster died of signal %d; stderr:\n%s", r->rc - 128, r->err);
}

#define MUSTER(r, ...) run_in(r, tmp, (const char *const[]){ MU_MUSTER_BIN, __VA_ARGS__, NULL })

/* tmp/name with content; returns the path (one of eight buffers in turn). */
static const char *put(const char *name, const char *content)
{
	static char path[8][256];
	static int k;
	char *p = path[k++ % 8];

	snprintf(p, 256, "%s/%s", tmp, name);
	cr_assert_eq(tu_sh("mkdir -p \"$(dirname '%s')\"", p), 0);
	tu_write(p, content);
	return p;
}

static const char *local_inventory(void)
{
	return put("inv.ini", "localhost ansible_connection=local\n");
}

static bool exists(const char *rel)
{
	char p[1400];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	return stat(p, &st) == 0;
}

/* "tmp=DIR" for -e: every playbook writes only under {{ tmp }}. */
static const char *tmp_var(void)
{
	static char buf[160];

	snprintf(buf, sizeof(buf), "tmp=%s", tmp);
	return buf;
}

static void expect_in(const struct run *r, const char *needle)
{
	cr_expect(strstr(r->out, needle) || strstr(r->err, needle),
		  "'%s' not in output:\n--- stdout\n%s--- stderr\n%s", needle, r->out, r->err);
}

static void expect_not_in(const struct run *r, const char *needle)
{
	cr_expect(!strstr(r->out, needle) && !strstr(r->err, needle),
		  "'%s' unexpectedly in output:\n--- stdout\n%s--- stderr\n%s", needle, r->out,
		  r->err);
}

/* The recap line's fields for host, e.g. "ok=3 changed=1 ...", squeezed. */
static void expect_recap(const struct run *r, const char *host, int ok, int changed,
			 int failed, int skipped, int ignored)
{
	const char *p = strstr(r->out, "PLAY RECAP");
	char want[256];
	char line[512];
	const char *l;
	size_t n, k = 0;

	cr_assert_not_null(p, "no recap in:\n%s", r->out);
	l = strstr(p, host);
	cr_assert_not_null(l, "no recap line for %s in:\n%s", host, p);
	n = strcspn(l, "\n");
	for (size_t i = 0; i < n && k + 1 < sizeof(line); i++)
		if (l[i] != ' ' || (k && line[k - 1] != ' '))
			line[k++] = l[i];
	line[k] = '\0';
	snprintf(want, sizeof(want), "ok=%d changed=%d unreachable=0 failed=%d skipped=%d "
		 "rescued=0 ignored=%d", ok, changed, failed, skipped, ignored);
	cr_expect_not_null(strstr(line, want), "recap '%s' is not '%s'", line, want);
}

/* ---- variable precedence ---- */

Test(cli, variable_precedence)
{
	struct run r = { 0 };
	const char *inv, *pb;
	json_t *doc, *tasks;
	json_error_t je;
	char jpath[256];
	size_t i;
	json_t *t;
	bool seen = false;

	/* Layer k (1..9) sets v_k ... v_9 to "Lk": v_k shows which layer won. */
	inv = put("inv/hosts.ini", "localhost ansible_connection=local\n\n[all:vars]\n"
		  "v1=L1\nv2=L1\nv3=L1\nv4=L1\nv5=L1\nv6=L1\nv7=L1\nv8=L1\nv9=L1\n");
	put("inv/group_vars/all.yml", "v2: L2\nv3: L2\nv4: L2\nv5: L2\nv6: L2\nv7: L2\n"
	    "v8: L2\nv9: L2\n");
	put("inv/host_vars/localhost.yml", "v3: L3\nv4: L3\nv5: L3\nv6: L3\nv7: L3\nv8: L3\n"
	    "v9: L3\n");
	put("vars5.yml", "v5: L5\nv6: L5\nv7: L5\nv8: L5\nv9: L5\n");
	pb = put("prec.yml",
		 "- hosts: all\n"
		 "  gather_facts: false\n"
		 "  vars: { v4: L4, v5: L4, v6: L4, v7: L4, v8: L4, v9: L4 }\n"
		 "  vars_files: [vars5.yml]\n"
		 "  tasks:\n"
		 "    - set_fact: { v7: L7, v8: L7, v9: L7 }\n"
		 "    - command: echo L8\n"
		 "      register: v8\n"
		 "    - name: show\n"
		 "      debug:\n"
		 "        msg: \"{{ v1 }},{{ v2 }},{{ v3 }},{{ v4 }},{{ v5 }},{{ v6 }},{{ v7 }},"
		 "{{ v8.stdout }},{{ v9 }}\"\n"
		 "      vars: { v6: L6, v7: L6, v8: L6, v9: L6 }\n");
	snprintf(jpath, sizeof(jpath), "%s/run.json", tmp);
	MUSTER(&r, "play", pb, "-i", inv, "-e", "v9=L9", "--json", jpath);
	cr_expect_eq(r.rc, 0, "rc %d\n%s%s", r.rc, r.out, r.err);
	expect_in(&r, "L1,L2,L3,L4,L5,L6,L7,L8,L9");
	doc = json_load_file(jpath, 0, &je);
	cr_assert_not_null(doc, "%s", je.text);
	tasks = json_object_get(json_object_get(json_object_get(doc, "hosts"), "localhost"), "tasks");
	json_array_foreach(tasks, i, t)
		if (strcmp(json_string_value(json_object_get(t, "task")), "show") == 0) {
			cr_expect_str_eq(json_string_value(json_object_get(t, "msg")),
					 "L1,L2,L3,L4,L5,L6,L7,L8,L9");
			seen = true;
		}
	cr_expect(seen);
	json_decref(doc);
	run_free(&r);
}

Test(cli, facts_sit_under_play_vars)
{
	struct run r = { 0 };
	const char *pb = put("facts.yml",
			     "- hosts: all\n"
			     "  vars: { ansible_kernel: from-play }\n"
			     "  tasks:\n"
			     "    - debug: msg=\"kernel={{ ansible_kernel }} fact={{ ansible_facts.kernel "
			     "!= '' }}\"\n");

	MUSTER(&r, "play", pb, "-i", local_inventory());
	cr_expect_eq(r.rc, 0, "%s%s", r.out, r.err);
	expect_in(&r, "kernel=from-play fact=True");
	run_free(&r);
}

/* ---- task keywords, each doing its job for real ---- */

Test(cli, task_keywords)
{
	struct run r = { 0 };
	const char *pb = put("kw.yml",
		"- name: keywords\n"
		"  hosts: all\n"
		"  gather_facts: no\n"
		"  tasks:\n"
		"    - name: fqcn and loop\n"
		"      ansible.builtin.command: touch {{ tmp }}/loop-{{ item }}\n"
		"      loop: [a, b]\n"
		"    - name: with_items flattens\n"
		"      command: touch {{ tmp }}/wi-{{ item }}\n"
		"      with_items: [[c, d], e]\n"
		"    - name: skipped by when\n"
		"      command: touch {{ tmp }}/never\n"
		"      when: 1 > 2\n"
		"    - name: when per item\n"
		"      command: touch {{ tmp }}/when-{{ item }}\n"
		"      loop: [1, 2, 3]\n"
		"      when: item != 2\n"
		"    - name: register\n"
		"      shell: echo hello; echo oops >&2\n"
		"      register: out\n"
		"      changed_when: false\n"
		"    - assert:\n"
		"        that:\n"
		"          - out.stdout == 'hello'\n"
		"          - out.stderr == 'oops'\n"
		"          - out.rc == 0\n"
		"          - not out.changed\n"
		"    - name: notify when changed\n"
		"      command: touch {{ tmp }}/notifier\n"
		"      notify: touch handler\n"
		"    - name: no notify when not changed\n"
		"      command: touch {{ tmp }}/quiet\n"
		"      changed_when: false\n"
		"      notify: quiet handler\n"
		"    - name: ignored failure\n"
		"      command: \"false\"\n"
		"      ignore_errors: true\n"
		"      register: failed_one\n"
		"    - assert: { that: [failed_one.failed, failed_one.rc == 1] }\n"
		"    - name: failed_when false forgives\n"
		"      command: \"false\"\n"
		"      failed_when: false\n"
		"    - name: changed_when over the result\n"
		"      command: echo same\n"
		"      register: cw\n"
		"      changed_when: \"'different' in cw.stdout\"\n"
		"    - name: become another user\n"
		"      command: id -un\n"
		"      become: true\n"
		"      become_user: nobody\n"
		"      register: who\n"
		"    - assert: { that: \"who.stdout == 'nobody'\" }\n"
		"    - name: check_mode on one task\n"
		"      command: touch {{ tmp }}/checked\n"
		"      check_mode: true\n"
		"  handlers:\n"
		"    - name: touch handler\n"
		"      command: touch {{ tmp }}/handled\n"
		"      notify: second handler\n"
		"    - name: quiet handler\n"
		"      command: touch {{ tmp }}/quiet-handled\n"
		"    - name: second handler\n"
		"      command: touch {{ tmp }}/handled-twice\n");

	MUSTER(&r, "play", pb, "-i", local_inventory(), "-e", tmp_var());
	cr_expect_eq(r.rc, 0, "rc %d\n%s%s", r.rc, r.out, r.err);
	cr_expect(exists("loop-a") && exists("loop-b"));
	cr_expect(exists("wi-c") && exists("wi-d") && exists("wi-e"), "with_items did not flatten");
	cr_expect_not(exists("never"));
	cr_expect(exists("when-1") && !exists("when-2") && exists("when-3"));
	cr_expect(exists("notifier") && exists("handled") && exists("handled-twice"));
	cr_expect(exists("quiet") && !exists("quiet-handled"));
	cr_expect_not(exists("checked"), "check_mode: true ran the command");
	/* A looped task counts once, as in Ansible's recap. */
	/* The ignored `false` and the forgiven one changed the host (they ran),
	 * as Ansible's command reports. */
	expect_recap(&r, "localhost", 16, 10, 0, 1, 1);
	expect_in(&r, "ok: [localhost] changed_when over the result");
	expect_in(&r, "...ignoring");
	run_free(&r);
}

Test(cli, templating_subset)
{
	struct run r = { 0 };
	const char *pb = put("tpl.yml",
			     "- hosts: all\n"
			     "  gather_facts: no\n"
			     "  vars:\n"
			     "    app: { name: web, ports: [80, 443], env: { tier: prod } }\n"
			     "    users: [alice, bob]\n"
			     "  tasks:\n"
			     "    - command: echo {{ item }}\n"
			     "      loop: \"{{ users }}\"\n"
			     "      register: echoed\n"
			     "    - name: render\n"
			     "      debug:\n"
			     "        msg: >-\n"
			     "          {{ app.name }} {{ app['env'].tier }} {{ app.ports[1] }}\n"
			     "          {{ missing | default('dflt') }} {{ users | join(',') | upper }}\n"
			     "          {{ echoed.results[1].stdout }} {{ app.ports | length }}\n"
			     "          {{ (app.ports | first) + 1 }} {{ 'yes' if app.name is defined else 'no' }}\n");

	MUSTER(&r, "play", pb, "-i", local_inventory());
	cr_expect_eq(r.rc, 0, "%s%s", r.out, r.err);
	expect_in(&r, "web prod 443 dflt ALICE,BOB bob 2 81 yes");
	run_free(&r);
}

Test(cli, tags_select_tasks)
{
	struct run r = { 0 };
	const char *pb = put("tags.yml",
			     "- hosts: all\n"
			     "  gather_facts: no\n"
			     "  tasks:\n"
			     "    - { command: 'touch {{ tmp }}/t-untagged' }\n"
			     "    - { command: 'touch {{ tmp }}/t-a', tags: a }\n"
			     "    - { command: 'touch {{ tmp }}/t-b', tags: [b, c] }\n"
			     "    - { command: 'touch {{ tmp }}/t-always', tags: always }\n"
			     "    - { command: 'touch {{ tmp }}/t-never', tags: [never, dbg] }\n");
	const char *inv = local_inventory();

	MUSTER(&r, "play", pb, "-i", inv, "-e", tmp_var(), "--tags", "a");
	cr_expect_eq(r.rc, 0);
	cr_expect(exists("t-a") && exists("t-always"));
	cr_expect(!exists("t-untagged") && !exists("t-b") && !exists("t-never"));
	run_free(&r);
	tu_sh("rm -f %s/t-*", tmp);
	MUSTER(&r, "play", pb, "-i", inv, "-e", tmp_var(), "--skip-tags", "c,always");
	cr_expect_eq(r.rc, 0);
	cr_expect(exists("t-untagged") && exists("t-a"));
	cr_expect(!exists("t-b") && !exists("t-always") && !exists("t-never"));
	run_free(&r);
	tu_sh("rm -f %s/t-*", tmp);
	MUSTER(&r, "play", pb, "-i", inv, "-e", tmp_var(), "-t", "dbg,untagged");
	cr_expect_eq(r.rc, 0);
	cr_expect(exists("t-untagged") && exists("t-never") && exists("t-always"));
	cr_expect(!exists("t-a") && !exists("t-b"));
	run_free(&r);
}

Test(cli, check_mode_runs_nothing_and_diff_shows)
{
	struct run r = { 0 };
	const char *pb = put("chk.yml",
			     "- hosts: all\n"
			     "  gather_facts: no\n"
			     "  tasks:\n"
			     "    - command: touch {{ tmp }}/made\n"
			     "    - file: { path: '{{ tmp }}/dir', state: directory, mode: 0750 }\n"
			     "    - name: forced\n"
			     "      command: touch {{ tmp }}/forced\n"
			     "      check_mode: false\n");
	const char *inv = local_inventory();

	MUSTER(&r, "play", pb, "-i", inv, "-e", tmp_var(), "--check");
	cr_expect_eq(r.rc, 0, "%s%s", r.out, r.err);
	cr_expect_not(exists("made"), "--check ran the command");
	cr_expect_not(exists("dir"));
	cr_expect(exists("forced"), "check_mode: false did not run under --check");
	expect_in(&r, "would run");
	expect_not_in(&r, "+ directory");
	run_free(&r);
	MUSTER(&r, "play", pb, "-i", inv, "-e", tmp_var(), "--check", "--diff");
	cr_expect_eq(r.rc, 0);
	expect_in(&r, "- absent");
	expect_in(&r, "+ directory");
	cr_expect_not(exists("dir"));
	run_free(&r);
	MUSTER(&r, "play", pb, "-i", inv, "-e", tmp_var());
	cr_expect_eq(r.rc, 0);
	cr_expect(exists("made") && exists("dir"));
	cr_expect_eq(tu_sh("[ \"$(stat -c %%a %s/dir)\" = 750 ]", tmp), 0, "mode: 0750 not octal");
	run_free(&r);
}

/* ---- exit codes ---- */

Test(cli, exit_codes)
{
	struct run r = { 0 };
	const char *inv = local_inventory();
	const char *ok = put("ok.yml", "- hosts: all\n  gather_facts: no\n  tasks:\n    - ping:\n");
	const char *bad = put("fail.yml", "- hosts: all\n  gather_facts: no\n  tasks:\n"
			      "    - fail: msg=boom\n    - command: touch {{ tmp }}/after\n");
	const char *unparsable = put("broken.yml", "- hosts: all\n  tasks: [\n");
	const char *ghost = put("ghost.ini", "localhost ansible_connection=local\n"
				"ghost ansible_host=198.18.255.254\n");

	MUSTER(&r, "play", ok, "-i", inv);
	cr_expect_eq(r.rc, 0, "ok: %d\n%s", r.rc, r.err);
	run_free(&r);
	MUSTER(&r, "play", ok, "-i", inv, "--json", "/nonexistent/dir/run.json");
	cr_expect_eq(r.rc, 5, "unwritable --json is refused before the run: %d", r.rc);
	expect_in(&r, "/nonexistent/dir/run.json");
	run_free(&r);
	MUSTER(&r, "play", ok, "-i", inv, "--agent", "/nonexistent/muster-agent");
	cr_expect_eq(r.rc, 1, "no agent: %d", r.rc);
	expect_in(&r, "/nonexistent/muster-agent");
	run_free(&r);
	MUSTER(&r, "play", "nothere.yml", "-i", inv);
	cr_expect_eq(r.rc, 1, "missing playbook file: %d", r.rc);
	expect_in(&r, "nothere.yml");
	run_free(&r);
	MUSTER(&r, "play", bad, "-i", inv, "-e", tmp_var());
	cr_expect_eq(r.rc, 2, "failed host: %d", r.rc);
	expect_in(&r, "boom");
	cr_expect_not(exists("after"), "the host went on after a failure");
	run_free(&r);
	MUSTER(&r, "play", ok, "-i", ghost, "-T", "2");
	cr_expect_eq(r.rc, 3, "unreachable: %d\n%s", r.rc, r.out);
	expect_in(&r, "UNREACHABLE");
	expect_recap(&r, "localhost", 1, 0, 0, 0, 0);
	run_free(&r);
	MUSTER(&r, "play", unparsable, "-i", inv);
	cr_expect_eq(r.rc, 4, "parse error: %d", r.rc);
	expect_in(&r, "broken.yml:3:1:");
	run_free(&r);
	MUSTER(&r, "play", ok, "-i", inv, "--forks", "abc");
	cr_expect_eq(r.rc, 5, "--forks abc: %d", r.rc);
	expect_in(&r, "--forks");
	run_free(&r);
	MUSTER(&r, "play", ok, "--frobnicate");
	cr_expect_eq(r.rc, 5, "unknown option: %d", r.rc);
	expect_in(&r, "--frobnicate");
	run_free(&r);
	MUSTER(&r, "play", "-i", inv);
	cr_expect_eq(r.rc, 5, "missing playbook: %d", r.rc);
	expect_in(&r, "missing PLAYBOOK");
	run_free(&r);
	MUSTER(&r, "frob");
	cr_expect_eq(r.rc, 5);
	run_free(&r);
	MUSTER(&r, "play", ok, "-e", "novalue");
	cr_expect_eq(r.rc, 5);
	expect_in(&r, "'novalue' is not key=value");
	run_free(&r);
}

/* ---- machine output ---- */

static const json_t *host_tasks(const json_t *doc)
{
	return json_object_get(json_object_get(json_object_get(doc, "hosts"), "localhost"), "tasks");
}

Test(cli, json_output_matches_the_documented_schema)
{
	struct run r = { 0 };
	char jpath[256];
	json_error_t je;
	json_t *doc, *t;
	const json_t *tasks, *stats;
	size_t i;
	const char *pb = put("json.yml",
			     "- name: machine\n"
			     "  hosts: all\n"
			     "  gather_facts: no\n"
			     "  tasks:\n"
			     "    - name: each\n"
			     "      command: echo {{ item }}\n"
			     "      loop: [x, y]\n"
			     "    - name: tolerated\n"
			     "      command: \"false\"\n"
			     "      ignore_errors: yes\n"
			     "    - name: dir\n"
			     "      file: { path: '{{ tmp }}/d', state: directory }\n");
	static const char *const task_keys[] = {
		"play", "task", "module", "status", "msg", "duration_ms", "file", "line", NULL
	};

	snprintf(jpath, sizeof(jpath), "%s/out.json", tmp);
	MUSTER(&r, "play", pb, "-i", local_inventory(), "-e", tmp_var(), "--json", jpath);
	cr_expect_eq(r.rc, 0, "%s%s", r.out, r.err);
	doc = json_load_file(jpath, 0, &je);
	cr_assert_not_null(doc, "%s", je.text);
	cr_expect_str_eq(json_string_value(json_object_get(doc, "schema")), "muster-run/1");
	cr_expect(json_is_string(json_object_get(doc, "muster_version")));
	cr_expect_str_eq(json_string_value(json_object_get(doc, "playbook")), pb);
	cr_expect(json_is_false(json_object_get(doc, "check")));
	cr_expect(json_is_integer(json_object_get(doc, "started")));
	cr_expect(json_is_integer(json_object_get(doc, "duration_s")));
	t = json_array_get(json_object_get(doc, "plays"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(t, "name")), "machine");
	cr_expect_eq(json_integer_value(json_object_get(t, "hosts")), 1);
	stats = json_object_get(json_object_get(json_object_get(doc, "hosts"), "localhost"), "stats");
	cr_expect_eq(json_integer_value(json_object_get(stats, "ok")), 3);
	/* the loop once, the ignored `false` (it ran) and the directory */
	cr_expect_eq(json_integer_value(json_object_get(stats, "changed")), 3);
	cr_expect_eq(json_integer_value(json_object_get(stats, "ignored")), 1);
	cr_expect_eq(json_integer_value(json_object_get(stats, "failed")), 0);
	cr_expect(json_is_integer(json_object_get(stats, "skipped")));
	cr_expect(json_is_integer(json_object_get(stats, "unreachable")));
	cr_expect(json_is_array(json_object_get(json_object_get(json_object_get(doc, "hosts"),
								 "localhost"), "drift")));
	tasks = host_tasks(doc);
	cr_assert_eq(json_array_size(tasks), 4, "records: %zu", json_array_size(tasks));
	json_array_foreach(tasks, i, t) {
		for (size_t k = 0; task_keys[k]; k++)
			cr_expect_not_null(json_object_get(t, task_keys[k]), "task %zu lacks '%s'", i,
					   task_keys[k]);
		cr_expect_str_eq(json_string_value(json_object_get(t, "play")), "machine");
		cr_expect_str_eq(json_string_value(json_object_get(t, "file")), pb);
		cr_expect_null(json_object_get(t, "diff"), "diff without --diff");
	}
	t = json_array_get(tasks, 0);
	cr_expect_str_eq(json_string_value(json_object_get(t, "item")), "x");
	cr_expect_str_eq(json_string_value(json_object_get(t, "module")), "command");
	cr_expect_eq(json_integer_value(json_object_get(t, "line")), 5);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(tasks, 1), "item")), "y");
	t = json_array_get(tasks, 2);
	cr_expect_str_eq(json_string_value(json_object_get(t, "status")), "failed");
	cr_expect(json_is_true(json_object_get(t, "ignored")));
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(t, "data"), "rc")), 1);
	t = json_array_get(tasks, 3);
	cr_expect_str_eq(json_string_value(json_object_get(t, "status")), "changed");
	cr_expect(json_is_array(json_object_get(t, "changes")));
	json_decref(doc);
	run_free(&r);

	/* --check --diff: the change is drift, and carries its diff. */
	tu_sh("rm -rf %s/d", tmp);
	MUSTER(&r, "play", pb, "-i", local_inventory(), "-e", tmp_var(), "--json", jpath,
	       "--check", "--diff");
	doc = json_load_file(jpath, 0, &je);
	cr_assert_not_null(doc, "%s", je.text);
	cr_expect(json_is_true(json_object_get(doc, "check")));
	t = json_array_get(host_tasks(doc), 3);
	cr_expect(json_is_array(json_object_get(t, "diff")), "no diff with --diff");
	t = json_object_get(json_object_get(json_object_get(doc, "hosts"), "localhost"), "drift");
	cr_expect(json_array_size(t) >= 1);
	json_decref(doc);
	run_free(&r);
}

Test(cli, json_names_an_unnamed_play_by_its_hosts)
{
	struct run r = { 0 };
	char jpath[256];
	json_error_t je;
	json_t *doc;
	const char *pb = put("anon.yml", "- hosts: localhost\n  gather_facts: no\n  tasks:\n"
			     "    - ping:\n");

	snprintf(jpath, sizeof(jpath), "%s/anon.json", tmp);
	MUSTER(&r, "play", pb, "-i", local_inventory(), "--json", jpath);
	cr_expect_eq(r.rc, 0);
	doc = json_load_file(jpath, 0, &je);
	cr_assert_not_null(doc, "%s", je.text);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(host_tasks(doc), 0),
							   "play")), "localhost");
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(
				 json_object_get(doc, "plays"), 0), "name")), "localhost");
	json_decref(doc);
	run_free(&r);
}

Test(cli, junit_is_well_formed)
{
	struct run r = { 0 };
	char xpath[256];
	char *xml;
	const char *pb = put("junit.yml",
			     "- hosts: all\n"
			     "  gather_facts: no\n"
			     "  tasks:\n"
			     "    - name: \"quotes \\\" & <angles>\"\n"
			     "      debug: msg=fine\n"
			     "    - name: skip\n"
			     "      debug: msg=no\n"
			     "      when: false\n"
			     "    - name: tolerated\n"
			     "      command: \"false\"\n"
			     "      ignore_errors: true\n"
			     "    - name: bad\n"
			     "      fail:\n"
			     "        msg: \"colour \\e[31m red\\nsecond line <&>\"\n");

	snprintf(xpath, sizeof(xpath), "%s/out.xml", tmp);
	MUSTER(&r, "play", pb, "-i", local_inventory(), "--junit", xpath);
	cr_expect_eq(r.rc, 2);
	xml = tu_read(xpath);
	cr_assert_not_null(xml);
	cr_expect_not_null(strstr(xml, "tests=\"4\" failures=\"1\" errors=\"0\" skipped=\"1\""),
			   "%s", xml);
	cr_expect_not_null(strstr(xml, "name=\"quotes &quot; &amp; &lt;angles&gt;\""), "%s", xml);
	cr_expect_not_null(strstr(xml, "second line &lt;&amp;&gt;"), "%s", xml);
	cr_expect_null(strchr(xml, '\033'), "raw ESC in XML");
	cr_expect_not_null(strstr(xml, "<skipped/>"));
	if (access("/usr/bin/xmllint", X_OK) == 0)
		cr_expect_eq(tu_sh("xmllint --noout '%s'", xpath), 0, "xmllint rejects:\n%s", xml);
	free(xml);
	run_free(&r);
}

/* ---- -e ---- */

Test(cli, extra_vars_forms)
{
	struct run r = { 0 };
	const char *pb = put("ev.yml",
			     "- hosts: all\n"
			     "  gather_facts: no\n"
			     "  vars: { a: play, b: play, c: play, d: play, flag: yes }\n"
			     "  tasks:\n"
			     "    - debug: msg=\"a={{ a }} b={{ b }} c={{ c }} d={{ d }}\"\n"
			     "    - debug: msg=\"flag is off\"\n"
			     "      when: not flag\n"
			     "    - assert: { that: [\"c + 1 == 2\", \"d == 'two words'\"] }\n");
	const char *vf = put("extra.yml", "b: from-file\nflag: no\n");
	char at[300];

	snprintf(at, sizeof(at), "@%s", vf);
	MUSTER(&r, "play", pb, "-i", local_inventory(), "-e", "a=kv", "-e", at, "-e",
	       "{\"c\": 1}", "-e", "d='two words'");
	cr_expect_eq(r.rc, 0, "%s%s", r.out, r.err);
	expect_in(&r, "a=kv b=from-file c=1 d=two words");
	expect_in(&r, "flag is off");
	run_free(&r);
	MUSTER(&r, "play", pb, "-i", local_inventory(), "-e", "{\"flag\": false, \"c\": 1, "
	       "\"d\": \"two words\"}");
	cr_expect_eq(r.rc, 0, "%s%s", r.out, r.err);
	expect_in(&r, "flag is off");
	run_free(&r);
	MUSTER(&r, "play", pb, "-i", local_inventory(), "-e", "@nothere.yml");
	cr_expect_eq(r.rc, 5, "%d %s", r.rc, r.err);
	expect_in(&r, "nothere.yml");
	run_free(&r);
	MUSTER(&r, "play", pb, "-i", local_inventory(), "-e", "{bad");
	cr_expect_eq(r.rc, 4, "%d %s", r.rc, r.err);
	run_free(&r);
}

/* ---- bad playbooks through the binary: exit 4, file:line:col ---- */

Test(cli, bad_playbooks_exit_4_with_position)
{
	static const struct {
		const char *yaml, *where, *what;
	} cases[] = {
		{ "", ":1:1:", "empty" },
		{ "just a string\n", ":1:1:", "list of plays" },
		{ "- tasks: []\n", ":1:3:", "no 'hosts'" },
		{ "- hosts: all\n  tasks:\n    - name: x\n", ":3:7:", "no module" },
		{ "- hosts: all\n  tasks:\n    - ping:\n      whne: x\n", ":4:7:", "'whne'" },
		{ "- hosts: all\n  tasks:\n    - pong:\n", ":3:7:", "unknown module 'pong'" },
		{ "- hosts: all\n  tasks:\n    - ping: { dat: x }\n", ":3:15:", "unknown argument 'dat'" },
		{ "- hosts: all\n  roles: [x]\n", ":2:3:", "roles" },
		{ "- hosts: all\n  tasks:\n    - block: []\n", ":3:7:", "block" },
		{ "- hosts: all\n  tasks:\n    - include_tasks: x.yml\n", ":3:7:", "include_tasks" },
		{ "- hosts: all\n  tasks:\n    - ping:\n      notify: h\n", ":4:15:", "notify 'h'" },
		{ "- hosts: all\n  vars_files: [gone.yml]\n", ":2:16:", "gone.yml" },
		{ "- hosts: all\n  tasks:\n    - debug: msg='{% if x %}y{% endif %}'\n", ":3:19:", "{% if %}" },
		{ "- hosts: all\n  tasks:\n    - debug: msg={{ x | frob }}\n", ":3:25:", "'frob'" },
		{ "- hosts: all\n  tasks:\n    - file: { path: /x, mode: 644 }\n", ":3:31:", "'0644'" },
		{ "- hosts: all\n  tasks:\n  \t- ping:\n", ":3:3:", "tab" },
		{ "- hosts: all\n  hosts: web\n", ":2:3:", "line 1" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r = { 0 };
		char name[32], want[300];
		const char *pb;

		snprintf(name, sizeof(name), "bad%zu.yml", i);
		pb = put(name, cases[i].yaml);
		MUSTER(&r, "play", pb, "-i", local_inventory());
		cr_expect_eq(r.rc, 4, "case %zu: rc %d: %s", i, r.rc, r.err);
		snprintf(want, sizeof(want), "%s%s", pb, cases[i].where);
		cr_expect_not_null(strstr(r.err, want), "case %zu: '%s' not in '%s'", i, want, r.err);
		cr_expect_not_null(strstr(r.err, cases[i].what), "case %zu: '%s' not in '%s'", i,
				   cases[i].what, r.err);
		cr_expect_eq(r.out[0], '\0', "case %zu ran something: %s", i, r.out);
		run_free(&r);
	}
}

/* ---- tests/regress: every fixed bug's exact input ---- */

/*
 * Header lines of a regress playbook (see tests/regress/README.md):
 *   # args: WORD...        extra arguments (split at blanks)
 *   # arg: TEXT            one extra argument, verbatim
 *   # exit: N              expected exit code
 *   # expect: TEXT         must appear in stdout or stderr ({file} = path)
 *   # reject: TEXT         must not appear
 *   # exists: NAME         must exist under the temp dir afterwards
 *   # absent: NAME         must not
 */
static void replay(const char *path)
{
	FILE *f = fopen(path, "r");
	const char *argv[64];
	char *owned[80];
	size_t argc = 0, nowned = 0;
	char line[1024];
	struct run r = { 0 };
	int want_rc = -1;
	char *checks = NULL;
	size_t checks_len = 0;
	FILE *cf = open_memstream(&checks, &checks_len);

	cr_assert_not_null(f);
	tu_sh("rm -rf %s/out && mkdir -p %s/out", tmp, tmp);
	argv[argc++] = MU_MUSTER_BIN;
	argv[argc++] = "play";
	argv[argc++] = path;
	argv[argc++] = "-i";
	argv[argc++] = local_inventory();
	owned[nowned] = mu_xasprintf("tmp=%s/out", tmp);
	argv[argc++] = "-e";
	argv[argc++] = owned[nowned++];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "# args: ", 8) == 0) {
			char *save = NULL, *copy = mu_xstrdup(line + 8);

			owned[nowned++] = copy;
			for (char *w = strtok_r(copy, " ", &save); w && argc < 60;
			     w = strtok_r(NULL, " ", &save))
				argv[argc++] = w;
		} else if (strncmp(line, "# arg: ", 7) == 0 && argc < 60) {
			owned[nowned] = mu_xstrdup(line + 7);
			argv[argc++] = owned[nowned++];
		} else if (strncmp(line, "# exit: ", 8) == 0) {
			want_rc = atoi(line + 8);
		} else if (line[0] == '#') {
			fprintf(cf, "%s\n", line);
		}
	}
	fclose(f);
	fclose(cf);
	argv[argc] = NULL;
	cr_assert_neq(want_rc, -1, "%s: no '# exit:' line", path);
	run_in(&r, tmp, argv);
	cr_expect_eq(r.rc, want_rc, "%s: exit %d, want %d\n%s%s", path, r.rc, want_rc, r.out,
		     r.err);
	for (char *l = checks, *nl; l && *l; l = nl + 1) {
		char arg[1024], *p;

		nl = strchr(l, '\n');
		*nl = '\0';
		if (strncmp(l, "# expect: ", 10) && strncmp(l, "# reject: ", 10) &&
		    strncmp(l, "# exists: ", 10) && strncmp(l, "# absent: ", 10))
			continue;
		snprintf(arg, sizeof(arg), "%s", l + 10);
		if ((p = strstr(arg, "{file}"))) {
			char rest[1024];

			snprintf(rest, sizeof(rest), "%s", p + 6);
			snprintf(p, sizeof(arg) - (size_t)(p - arg), "%s%s", path, rest);
		}
		if (l[2] == 'e' && l[3] == 'x' && l[4] == 'p')
			cr_expect(strstr(r.out, arg) || strstr(r.err, arg), "%s: '%s' not in:\n%s%s",
				  path, arg, r.out, r.err);
		else if (l[2] == 'r')
			cr_expect(!strstr(r.out, arg) && !strstr(r.err, arg),
				  "%s: '%s' unexpectedly in:\n%s%s", path, arg, r.out, r.err);
		else {
			char rel[1100];

			snprintf(rel, sizeof(rel), "out/%s", arg);
			cr_expect_eq(exists(rel), l[2] == 'e', "%s: '%s' %s", path, arg,
				     l[2] == 'e' ? "missing" : "exists");
		}
	}
	free(checks);
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	run_free(&r);
}

Test(cli, regress)
{
	char dir[512];
	DIR *d;
	struct dirent *de;
	size_t n = 0;

	snprintf(dir, sizeof(dir), "%s/tests/regress", MU_SOURCE_DIR);
	d = opendir(dir);
	cr_assert_not_null(d, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		char path[1024];
		size_t len = strlen(de->d_name);

		if (len < 5 || strcmp(de->d_name + len - 4, ".yml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		replay(path);
		n++;
	}
	closedir(d);
	cr_expect_geq(n, 10, "only %zu regress inputs found", n);
}

/*
 * Regressions from a break-it session: a variable that cannot be rendered
 * must fail the task naming it, never reach a module as raw "{{ ... }}"
 * text; inline loop items are templates; an audit runs nothing, whatever
 * check_mode says.
 */
Test(cli, unrenderable_variable_fails_naming_it)
{
	struct run r = { 0 };
	const char *inv = local_inventory();
	const char *pb = put("unres.yml",
		"- hosts: all\n"
		"  gather_facts: false\n"
		"  vars: { data_dir: \"{{ base_dri }}/data\", dangerous: \"{{ enable_dangerous }}\" }\n"
		"  tasks:\n"
		"    - file: { path: \"{{ tmp }}/t/{{ data_dir }}\", state: directory }\n"
		"      ignore_errors: true\n"
		"    - command: touch {{ tmp }}/ran\n"
		"      when: dangerous\n");

	MUSTER(&r, "play", pb, "-i", inv, "-e", tmp_var());
	cr_expect_eq(r.rc, 2, "rc %d\n%s", r.rc, r.out);
	expect_in(&r, "variable 'data_dir' could not be rendered: 'base_dri' is undefined");
	expect_in(&r, "variable 'dangerous' could not be rendered");
	cr_expect_not(exists("t"), "a directory named after raw template text was created");
	cr_expect_not(exists("ran"), "a raw template string counted as true in when:");
	run_free(&r);
}

Test(cli, inline_loop_items_are_templated)
{
	struct run r = { 0 };
	const char *inv = local_inventory();
	const char *pb = put("loopt.yml",
		"- hosts: all\n"
		"  gather_facts: false\n"
		"  tasks:\n"
		"    - file: { path: \"{{ tmp }}/{{ item }}\", state: touch }\n"
		"      loop: [\"{{ inventory_hostname }}.conf\"]\n");

	MUSTER(&r, "play", pb, "-i", inv, "-e", tmp_var());
	cr_expect_eq(r.rc, 0, "rc %d\n%s", r.rc, r.out);
	cr_expect(exists("localhost.conf"));
	cr_expect_not(exists("{{ inventory_hostname }}.conf"));
	run_free(&r);
}

Test(cli, audit_ignores_check_mode_false)
{
	struct run r = { 0 };
	const char *inv = local_inventory();
	const char *pb = put("cmf.yml",
		"- hosts: all\n"
		"  gather_facts: false\n"
		"  tasks:\n"
		"    - command: touch {{ tmp }}/cm2\n"
		"      check_mode: false\n");

	MUSTER(&r, "audit", pb, "-i", inv, "-e", tmp_var());
	cr_expect_not(exists("cm2"), "audit ran a check_mode: false task for real");
	run_free(&r);
	MUSTER(&r, "play", pb, "-i", inv, "--check", "-e", tmp_var());
	cr_expect(exists("cm2"), "play --check keeps Ansible's check_mode: false");
	run_free(&r);
}

/* Regressions from a break-it session: a --limit typo, a second -i. */
Test(cli, limit_matching_nothing_is_an_error)
{
	struct run r = { 0 };
	const char *inv = local_inventory();
	const char *ok = put("ok2.yml", "- hosts: all\n  gather_facts: no\n  tasks:\n    - ping:\n");

	MUSTER(&r, "audit", ok, "-i", inv, "-l", "typo");
	cr_expect_eq(r.rc, 1, "rc %d", r.rc);
	expect_in(&r, "--limit 'typo' matches no host");
	run_free(&r);
	MUSTER(&r, "play", ok, "-i", inv, "-i", inv);
	cr_expect_eq(r.rc, 5, "rc %d", r.rc);
	expect_in(&r, "--inventory given twice");
	run_free(&r);
}
