/*
 * The playbook loader: what it accepts (and how it types it), and every
 * refusal with its exact file:line:column. Each playbook here is the exact
 * input of a requirement; the binary-level tests are in test_cli.c.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "playbook.h"
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

TestSuite(playbook, .init = setup, .fini = teardown);

/* Write tmp/name and return its path (one of four buffers used in turn). */
static const char *put(const char *name, const char *content)
{
	static char path[4][256];
	static int k;
	char *p = path[k++ % 4];

	snprintf(p, 256, "%s/%s", tmp, name);
	tu_write(p, content);
	return p;
}

static struct mu_playbook *load_ok(const char *yaml)
{
	struct mu_err e = { 0 };
	struct mu_playbook *pb = NULL;
	const char *path = put("pb.yml", yaml);

	cr_assert_eq(mu_playbook_load(path, &pb, &e), 0, "load failed: %s", e.msg);
	cr_assert_not_null(pb);
	return pb;
}

/* Expect MU_E_PARSE with a message starting "PATH:LINE:COL: " and holding
 * each of the needles (NULL-terminated). */
static void load_fails_at(const char *yaml, int line, int col, const char *const *needles)
{
	struct mu_err e = { 0 };
	struct mu_playbook *pb = NULL;
	const char *path = put("bad.yml", yaml);
	char prefix[300];

	cr_assert_eq(mu_playbook_load(path, &pb, &e), MU_E_PARSE,
		     "expected a parse error, got: '%s'", e.msg);
	cr_assert_null(pb);
	snprintf(prefix, sizeof(prefix), "%s:%d:%d: ", path, line, col);
	cr_expect_eq(strncmp(e.msg, prefix, strlen(prefix)), 0,
		     "message '%s' does not start with '%s'", e.msg, prefix);
	for (size_t i = 0; needles[i]; i++)
		cr_expect_not_null(strstr(e.msg, needles[i]), "message '%s' lacks '%s'", e.msg,
				   needles[i]);
}

#define FAILS(yaml, line, col, ...) \
	load_fails_at(yaml, line, col, (const char *const[]){ __VA_ARGS__, NULL })

static const json_t *arg(const struct mu_playbook *pb, size_t task, const char *key)
{
	cr_assert_lt(task, pb->plays[0].ntasks);
	return json_object_get(pb->plays[0].tasks[task].args, key);
}

/* ---- YAML traps ---- */

Test(playbook, duplicate_key_names_both_lines)
{
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - name: one\n"
	      "      command: echo a\n"
	      "      name: two\n",
	      5, 7, "duplicate key 'name'", "line 3");
	FAILS("- hosts: all\n"
	      "  vars:\n"
	      "    port: 80\n"
	      "    port: 8080\n",
	      4, 5, "duplicate key 'port'", "line 3");
}

Test(playbook, merge_keys_and_anchors)
{
	struct mu_playbook *pb = load_ok(
		"- hosts: all\n"
		"  vars:\n"
		"    base: &base { user: deploy, port: 80 }\n"
		"    web:\n"
		"      <<: *base\n"
		"      port: 8080\n"
		"    again: *base\n"
		"  tasks:\n"
		"    - &echo\n"
		"      name: first\n"
		"      command: echo hi\n"
		"    - <<: *echo\n"
		"      name: second\n");
	json_t *web = json_object_get(pb->plays[0].vars, "web");

	cr_expect_str_eq(json_string_value(json_object_get(web, "user")), "deploy");
	cr_expect_eq(json_integer_value(json_object_get(web, "port")), 8080);
	cr_expect(json_equal(json_object_get(pb->plays[0].vars, "again"),
			     json_object_get(pb->plays[0].vars, "base")));
	cr_assert_eq(pb->plays[0].ntasks, 2);
	cr_expect_str_eq(pb->plays[0].tasks[0].name, "first");
	cr_expect_str_eq(pb->plays[0].tasks[1].name, "second");
	cr_expect_str_eq(json_string_value(arg(pb, 1, "cmd")), "echo hi");
	mu_playbook_free(pb);
}

Test(playbook, tab_indentation_is_named)
{
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "\t- command: echo a\n",
	      3, 1, "tab");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - command: echo a\n"
	      "  \t  name: x\n",
	      4, 3, "tab");
}

Test(playbook, octal_modes)
{
	struct mu_playbook *pb = load_ok(
		"- hosts: all\n"
		"  tasks:\n"
		"    - file: { path: /tmp/x, state: directory, mode: 0644 }\n"
		"    - file: { path: /tmp/x, state: directory, mode: \"0644\" }\n"
		"    - file: { path: /tmp/x, state: directory, mode: '644' }\n"
		"    - file: { path: /tmp/x, state: directory, mode: 'u=rwx,go=rx' }\n"
		"    - file: path=/tmp/x state=directory mode=0755\n");

	cr_expect_str_eq(json_string_value(arg(pb, 0, "mode")), "0644");
	cr_expect_str_eq(json_string_value(arg(pb, 1, "mode")), "0644");
	cr_expect_str_eq(json_string_value(arg(pb, 2, "mode")), "644");
	cr_expect_str_eq(json_string_value(arg(pb, 3, "mode")), "u=rwx,go=rx");
	cr_expect_str_eq(json_string_value(arg(pb, 4, "mode")), "0755");
	mu_playbook_free(pb);
}

Test(playbook, decimal_mode_is_refused_with_the_quoted_form)
{
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - file:\n"
	      "        path: /tmp/x\n"
	      "        mode: 755\n",
	      5, 15, "mode: 755", "decimal", "mode: '0755'");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - file: { path: /tmp/x, mode: 1777 }\n",
	      3, 35, "'01777'");
}

Test(playbook, yaml11_booleans_where_strings_and_where_booleans)
{
	struct mu_playbook *pb = load_ok(
		"- hosts: all\n"
		"  become: NO\n"
		"  tasks:\n"
		"    - sysctl: { name: kernel.x, value: no, reload: no }\n"
		"    - sysctl: { name: kernel.x, value: on, reload: YES, sysctl_set: off }\n"
		"    - sysctl: name=kernel.x value=NO reload=no\n"
		"      become: yes\n"
		"      ignore_errors: On\n");

	cr_expect_eq(pb->plays[0].become, 0);
	cr_expect_str_eq(json_string_value(arg(pb, 0, "value")), "no");
	cr_expect(json_is_false(arg(pb, 0, "reload")));
	cr_expect_str_eq(json_string_value(arg(pb, 1, "value")), "on");
	cr_expect(json_is_true(arg(pb, 1, "reload")));
	cr_expect(json_is_false(arg(pb, 1, "sysctl_set")));
	cr_expect_str_eq(json_string_value(arg(pb, 2, "value")), "NO");
	cr_expect(json_is_false(arg(pb, 2, "reload")));
	cr_expect_eq(pb->plays[0].tasks[2].become, 1);
	cr_expect(pb->plays[0].tasks[2].ignore_errors);
	mu_playbook_free(pb);
}

Test(playbook, variables_are_typed_as_ansible_reads_them)
{
	/* A variable has no declared type: Ansible reads plain yes/no as
	 * booleans there, so `when: not flag` must see false, not "no". */
	struct mu_playbook *pb = load_ok(
		"- hosts: all\n"
		"  vars:\n"
		"    flag: no\n"
		"    quoted: 'no'\n"
		"    mode: 0644\n"
		"    n: 3\n"
		"  tasks:\n"
		"    - set_fact:\n"
		"        enabled: yes\n"
		"        text: 'yes'\n"
		"    - set_fact: other=no\n"
		"      vars:\n"
		"        local: off\n");
	const json_t *v = pb->plays[0].vars;

	cr_expect(json_is_false(json_object_get(v, "flag")));
	cr_expect_str_eq(json_string_value(json_object_get(v, "quoted")), "no");
	cr_expect_str_eq(json_string_value(json_object_get(v, "mode")), "0644");
	cr_expect_eq(json_integer_value(json_object_get(v, "n")), 3);
	cr_expect(json_is_true(arg(pb, 0, "enabled")));
	cr_expect_str_eq(json_string_value(arg(pb, 0, "text")), "yes");
	cr_expect(json_is_false(arg(pb, 1, "other")));
	cr_expect(json_is_false(json_object_get(pb->plays[0].tasks[1].vars, "local")));
	mu_playbook_free(pb);
}

/* ---- templates outside the subset: refused at load, at the construct ---- */

Test(playbook, template_statement_is_refused_at_its_column)
{
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - debug:\n"
	      "        msg: \"{% for x in y %}{{ x }}{% endfor %}\"\n",
	      4, 15, "{% for %}");
}

Test(playbook, unknown_filter_is_refused_at_its_column)
{
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - command: echo {{ name | shout }}\n",
	      3, 31, "unsupported filter 'shout'");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - debug:\n"
	      "        msg: '{{ x | nosuch }}'\n",
	      4, 22, "unsupported filter 'nosuch'");
}

Test(playbook, templates_checked_everywhere)
{
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - command: echo\n"
	      "      when: x | frob\n",
	      4, 17, "when", "unsupported filter 'frob'");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - command: echo\n"
	      "      changed_when: \"lookup('file', '/etc/passwd')\"\n",
	      4, 22, "changed_when", "lookup()");
	FAILS("- hosts: all\n"
	      "  vars:\n"
	      "    a: \"{{ b.keys() }}\"\n",
	      3, 14, "vars", "method call");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - command: id\n"
	      "      become: true\n"
	      "      become_user: \"{{ u | nope }}\"\n",
	      5, 28, "become_user", "nope");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - debug: var=x|nosuch\n",
	      3, 7, "debug var", "nosuch");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - assert:\n"
	      "        that:\n"
	      "          - x is frobbed\n",
	      5, 18, "assert", "unsupported test 'frobbed'");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - command: echo {{ item }}\n"
	      "      loop: \"{{ xs | zap }}\"\n",
	      4, 22, "loop", "zap");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - command: \"echo {# note #}\"\n",
	      3, 22, "{# #}");
}

Test(playbook, multiline_template_error_keeps_the_scalar_position)
{
	/* A block scalar's text is not the file's: point at the scalar and say
	 * where inside it. */
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - shell: |\n"
	      "        echo one\n"
	      "        echo {{ two | nope }}\n",
	      3, 14, "nope", "character");
}

/* ---- bad input: each a clear error at its place ---- */

Test(playbook, empty_and_scalar_files)
{
	FAILS("", 1, 1, "empty");
	FAILS("# only a comment\n", 1, 1, "empty");
	FAILS("hello\n", 1, 1, "must be a list of plays", "string");
	FAILS("hosts: all\n", 1, 1, "must be a list of plays", "mapping");
	FAILS("[]\n", 1, 1, "no plays");
	FAILS("- 42\n", 1, 3, "a play must be a mapping");
}

Test(playbook, play_without_hosts)
{
	FAILS("- name: setup\n"
	      "  tasks: []\n",
	      1, 3, "play 'setup' has no 'hosts'");
	FAILS("- hosts:\n"
	      "  tasks: []\n",
	      1, 9, "no 'hosts'");
}

Test(playbook, task_without_module)
{
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - name: nothing to do\n"
	      "      when: true\n",
	      3, 7, "task has no module");
}

Test(playbook, task_with_two_modules_or_a_typo)
{
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - command: echo a\n"
	      "      becom: true\n",
	      4, 7, "unknown task keyword 'becom'", "the module is 'command'",
	      "did you mean 'become'");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - regster: out\n"
	      "      command: echo a\n",
	      3, 7, "unknown task keyword 'regster'", "did you mean 'register'");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - command: echo a\n"
	      "      shell: echo b\n",
	      4, 7, "task has two modules, 'command' (line 3) and 'shell'");
}

Test(playbook, unknown_module)
{
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - sysctll: { name: a, value: b }\n",
	      3, 7, "unknown module 'sysctll'", "did you mean 'sysctl'");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - community.general.frobnicate: {}\n",
	      3, 7, "unknown module 'community.general.frobnicate'");
}

Test(playbook, unknown_argument_names_it_and_the_known_ones)
{
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - sysctl:\n"
	      "        name: net.ipv4.ip_forward\n"
	      "        valeu: 1\n",
	      5, 9, "unknown argument 'valeu' for module 'sysctl'",
	      "known: name, value, state, sysctl_file, reload");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - debug:\n"
	      "        mesg: hi\n",
	      4, 9, "unknown argument 'mesg' for 'debug'", "known: msg, var, verbosity");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - sysctl:\n"
	      "        name: a\n"
	      "        state: gone\n",
	      5, 16, "state");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - file: { path: relative/x }\n",
	      3, 21, "path");
}

Test(playbook, unsupported_constructs)
{
	FAILS("- hosts: all\n"
	      "  roles:\n"
	      "    - common\n",
	      2, 3, "'roles'", "not supported");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - block:\n"
	      "        - command: echo a\n",
	      3, 7, "'block'", "not supported");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - include_tasks: more.yml\n",
	      3, 7, "'include_tasks'", "not supported");
	FAILS("- import_playbook: other.yml\n", 1, 3, "import_playbook");
	FAILS("- hosts: all\n"
	      "  serial: 2\n",
	      2, 3, "'serial'");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - command: echo a\n"
	      "      with_dict: {a: 1}\n",
	      4, 7, "with_dict", "dict2items");
	FAILS("- hosts: all\n"
	      "  task:\n"
	      "    - command: echo a\n",
	      2, 3, "unknown play keyword 'task'");
}

Test(playbook, notify_without_handler)
{
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - command: echo a\n"
	      "      notify: restart web\n"
	      "  handlers:\n"
	      "    - name: restart db\n"
	      "      command: echo db\n",
	      4, 15, "notify 'restart web'", "no handler");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - command: echo a\n"
	      "      notify: [h1]\n"
	      "  handlers:\n"
	      "    - name: h1\n"
	      "      command: echo a\n"
	      "      notify: h2\n",
	      8, 15, "notify 'h2'");
}

Test(playbook, vars_files_missing_or_bad)
{
	FAILS("- hosts: all\n"
	      "  vars_files:\n"
	      "    - nothere.yml\n",
	      3, 7, "vars_files", "nothere.yml");
	{
		/* the error is the vars file's own, at its position */
		struct mu_err e = { 0 };
		struct mu_playbook *pb = NULL;
		char want[300];

		snprintf(want, sizeof(want), "%s/list.yml:1:1: a vars file must hold a mapping", tmp);
		put("list.yml", "- a\n- b\n");
		cr_expect_eq(mu_playbook_load(put("bad.yml", "- hosts: all\n  vars_files: [list.yml]\n"),
					      &pb, &e), MU_E_PARSE);
		cr_expect_eq(strncmp(e.msg, want, strlen(want)), 0, "'%s'", e.msg);
	}
}

Test(playbook, vars_files_load_relative_to_the_playbook)
{
	struct mu_playbook *pb;

	put("one.yml", "a: 1\nb: from-one\nflag: no\n");
	put("two.yml", "b: from-two\n");
	pb = load_ok("- hosts: all\n"
		     "  vars: { a: 0, c: play }\n"
		     "  vars_files: [one.yml, two.yml]\n");
	cr_expect_eq(json_integer_value(json_object_get(pb->plays[0].vars, "a")), 1);
	cr_expect_str_eq(json_string_value(json_object_get(pb->plays[0].vars, "b")), "from-two");
	cr_expect_str_eq(json_string_value(json_object_get(pb->plays[0].vars, "c")), "play");
	cr_expect(json_is_false(json_object_get(pb->plays[0].vars, "flag")));
	mu_playbook_free(pb);
}

Test(playbook, bad_keyword_values)
{
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - command: echo\n"
	      "      ignore_errors: maybe\n",
	      4, 22, "'ignore_errors' must be a boolean", "'maybe'");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - command: echo\n"
	      "      register: my-var\n",
	      4, 17, "not a valid variable name");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - command: echo\n"
	      "      loop: abc\n",
	      4, 13, "'loop' must be a list");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - command: echo\n"
	      "      loop: [1]\n"
	      "      with_items: [2]\n",
	      5, 7, "one loop");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - debug: { msg: a, var: b }\n",
	      3, 14, "incompatible");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - assert: { fail_msg: x }\n",
	      3, 15, "assert needs 'that'");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - set_fact: { \"bad name\": 1 }\n",
	      3, 19, "not a valid variable name");
	FAILS("- hosts: all\n"
	      "  handlers:\n"
	      "    - command: echo\n",
	      3, 7, "handler needs a 'name'");
}

/* ---- what a task becomes ---- */

Test(playbook, module_names_short_and_fqcn)
{
	struct mu_playbook *pb = load_ok(
		"- hosts: all\n"
		"  tasks:\n"
		"    - ansible.builtin.command: echo a\n"
		"    - ansible.posix.sysctl: { name: a, value: '1' }\n"
		"    - ansible.builtin.debug: msg=hi\n"
		"    - ansible.legacy.set_fact: { x: 1 }\n");

	cr_expect_str_eq(pb->plays[0].tasks[0].module, "command");
	cr_expect_str_eq(pb->plays[0].tasks[1].module, "sysctl");
	cr_expect_str_eq(pb->plays[0].tasks[2].module, "debug");
	cr_expect_eq(pb->plays[0].tasks[2].kind, MU_ACT_DEBUG);
	cr_expect_eq(pb->plays[0].tasks[3].kind, MU_ACT_SET_FACT);
	mu_playbook_free(pb);
}

Test(playbook, free_form_arguments)
{
	struct mu_playbook *pb = load_ok(
		"- hosts: all\n"
		"  tasks:\n"
		"    - debug: msg={{ greeting | default('hello there') }}\n"
		"    - debug: msg='two words' verbosity=0\n"
		"    - command: chdir=/tmp creates=/tmp/x ls -l 'a b'\n"
		"    - shell: echo a=b | tr a b removes=/tmp/y\n");

	cr_expect_str_eq(json_string_value(arg(pb, 0, "msg")),
			 "{{ greeting | default('hello there') }}");
	cr_expect_str_eq(json_string_value(arg(pb, 1, "msg")), "two words");
	cr_expect_str_eq(json_string_value(arg(pb, 2, "cmd")), "ls -l 'a b'");
	cr_expect_str_eq(json_string_value(arg(pb, 2, "chdir")), "/tmp");
	cr_expect_str_eq(json_string_value(arg(pb, 2, "creates")), "/tmp/x");
	cr_expect_str_eq(json_string_value(arg(pb, 3, "cmd")), "echo a=b | tr a b");
	cr_expect_str_eq(json_string_value(arg(pb, 3, "removes")), "/tmp/y");
	mu_playbook_free(pb);
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - debug: msg='unbalanced\n",
	      3, 14, "unbalanced quote");
	FAILS("- hosts: all\n"
	      "  tasks:\n"
	      "    - command: echo hi executable=/bin/bash\n",
	      3, 7, "unknown argument 'executable'");
}

Test(playbook, kv_parse)
{
	struct mu_err e = { 0 };
	json_t *o = json_object();

	cr_assert_eq(mu_kv_parse("a=1 b='x y' c=\"p q\" d={{ v | default('r s') }} e=", o, &e), 0,
		     "%s", e.msg);
	cr_expect_str_eq(json_string_value(json_object_get(o, "a")), "1");
	cr_expect_str_eq(json_string_value(json_object_get(o, "b")), "x y");
	cr_expect_str_eq(json_string_value(json_object_get(o, "c")), "p q");
	cr_expect_str_eq(json_string_value(json_object_get(o, "d")), "{{ v | default('r s') }}");
	cr_expect_str_eq(json_string_value(json_object_get(o, "e")), "");
	cr_expect_neq(mu_kv_parse("novalue", o, &e), 0);
	cr_expect_not_null(strstr(e.msg, "'novalue' is not key=value"), "%s", e.msg);
	cr_expect_neq(mu_kv_parse("=x", o, &e), 0);
	cr_expect_neq(mu_kv_parse("a='x", o, &e), 0);
	json_decref(o);
}

Test(playbook, loops)
{
	struct mu_playbook *pb = load_ok(
		"- hosts: all\n"
		"  tasks:\n"
		"    - command: echo {{ item }}\n"
		"      loop: [a, b]\n"
		"    - command: echo {{ item }}\n"
		"      with_items: [[1, 2], 3]\n"
		"    - command: echo {{ x }}\n"
		"      with_items: one\n"
		"      loop_control: { loop_var: x, label: '{{ x }}' }\n"
		"    - command: echo\n"
		"      loop: \"{{ things }}\"\n");
	const struct mu_taskdef *t = pb->plays[0].tasks;

	cr_expect_eq(json_array_size(t[0].loop), 2);
	cr_expect_not(t[0].loop_flatten);
	cr_expect(t[1].loop_flatten);
	cr_expect_str_eq(json_string_value(json_array_get(t[2].loop, 0)), "one");
	cr_expect_str_eq(t[2].loop_var, "x");
	cr_expect_str_eq(t[2].label, "{{ x }}");
	cr_expect_str_eq(json_string_value(t[3].loop), "{{ things }}");
	mu_playbook_free(pb);
}

Test(playbook, keywords)
{
	struct mu_playbook *pb = load_ok(
		"- hosts: [web, db]\n"
		"  become: true\n"
		"  become_user: '{{ app_user }}'\n"
		"  gather_facts: false\n"
		"  tags: deploy\n"
		"  pre_tasks:\n"
		"    - command: echo pre\n"
		"  tasks:\n"
		"    - command: echo a\n"
		"      register: out\n"
		"      notify: [h]\n"
		"      tags: 'a, b'\n"
		"      when: [x, y is defined]\n"
		"      changed_when: false\n"
		"      failed_when: out.rc > 1\n"
		"      check_mode: no\n"
		"      no_log: true\n"
		"  post_tasks:\n"
		"    - command: echo post\n"
		"  handlers:\n"
		"    - name: h\n"
		"      listen: topic\n"
		"      command: echo h\n");
	const struct mu_play *p = &pb->plays[0];
	const struct mu_taskdef *t = &p->tasks[1];

	cr_expect_str_eq(p->hosts, "web:db");
	cr_expect_eq(p->become, 1);
	cr_expect_str_eq(p->become_user, "{{ app_user }}");
	cr_expect_not(p->gather_facts);
	cr_assert_eq(p->ntasks, 3);
	cr_expect_str_eq(json_string_value(json_object_get(p->tasks[0].args, "cmd")), "echo pre");
	cr_expect_str_eq(json_string_value(json_object_get(p->tasks[2].args, "cmd")), "echo post");
	cr_expect_str_eq(t->register_as, "out");
	cr_expect_eq(json_array_size(t->tags), 3); /* a, b and the play's deploy */
	cr_expect_str_eq(json_string_value(json_array_get(t->tags, 1)), "b");
	cr_expect_eq(json_array_size(t->when), 2);
	cr_expect(json_is_false(t->changed_when));
	cr_expect_str_eq(json_string_value(t->failed_when), "out.rc > 1");
	cr_expect_eq(t->check_mode, 0);
	cr_expect(t->no_log);
	cr_expect_str_eq(p->handlers[0].listen, "topic");
	mu_playbook_free(pb);
}

/* ---- tags, as Ansible selects them ---- */

static bool tag_run(const char *tags_json, const char *only, const char *skip)
{
	struct mu_taskdef t = { 0 };
	bool r;

	t.tags = json_loads(tags_json, 0, NULL);
	cr_assert_not_null(t.tags);
	r = mu_task_tag_match(&t, only, skip);
	json_decref(t.tags);
	return r;
}

Test(playbook, tag_selection)
{
	cr_expect(tag_run("[]", NULL, NULL));
	cr_expect(tag_run("[\"a\"]", NULL, NULL));
	cr_expect_not(tag_run("[\"never\"]", NULL, NULL));
	cr_expect_not(tag_run("[\"never\", \"debug\"]", NULL, NULL));
	cr_expect(tag_run("[\"never\", \"debug\"]", "debug", NULL));
	cr_expect(tag_run("[\"a\"]", "a", NULL));
	cr_expect(tag_run("[\"a\"]", "x, a", NULL));
	cr_expect_not(tag_run("[\"a\"]", "b", NULL));
	cr_expect_not(tag_run("[]", "b", NULL));
	cr_expect(tag_run("[]", "untagged", NULL));
	cr_expect_not(tag_run("[\"a\"]", "untagged", NULL));
	cr_expect(tag_run("[\"a\"]", "tagged", NULL));
	cr_expect_not(tag_run("[]", "tagged", NULL));
	cr_expect(tag_run("[\"always\"]", "b", NULL));
	cr_expect_not(tag_run("[\"always\"]", "b", "always"));
	cr_expect(tag_run("[\"always\"]", NULL, "all"));
	cr_expect_not(tag_run("[\"a\"]", NULL, "all"));
	cr_expect_not(tag_run("[\"a\"]", NULL, "a"));
	cr_expect_not(tag_run("[\"a\"]", NULL, "tagged"));
	cr_expect(tag_run("[]", NULL, "tagged"));
	cr_expect_not(tag_run("[]", NULL, "untagged"));
	cr_expect(tag_run("[\"ab\"]", "ab", "a"));
}

Test(playbook, malformed_yaml_never_crashes)
{
	static const char *const bad[] = {
		"- hosts: all\n  tasks: [\n", "- {hosts: all\n", "- hosts: all\n  tasks:\n    - *nope\n",
		"- &a [*a]\n", "- hosts: all\n---\n- hosts: all\n", "\"\\xZZ\"\n",
		"- hosts: all\n  tasks:\n    - command: [\n", "- hosts: all\n  vars: { ? [k] : v }\n",
		"- hosts: all\n  tasks:\n    - ? [a]\n      : b\n", NULL,
	};

	for (size_t i = 0; bad[i]; i++) {
		struct mu_err e = { 0 };
		struct mu_playbook *pb = NULL;
		const char *path = put("bad.yml", bad[i]);

		cr_expect_eq(mu_playbook_load(path, &pb, &e), MU_E_PARSE, "input %zu: %s", i, e.msg);
		cr_expect_null(pb);
		cr_expect_eq(strncmp(e.msg, path, strlen(path)), 0, "input %zu: '%s'", i, e.msg);
	}
}
