/* The YAML loader: positions, errors, aliases, merges and scalar resolution. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mu_buf.h"
#include "testutil.h"
#include "yaml.h"

static struct mu_ydoc *load(const char *text)
{
	struct mu_err e = { 0 };
	struct mu_ydoc *d = NULL;
	int r = mu_yaml_load_string("t.yml", text, strlen(text), &d, &e);

	cr_assert_eq(r, 0, "load failed: %s", e.msg);
	cr_assert_not_null(d);
	return d;
}

/* Load text, expect MU_E_PARSE and a message starting with `prefix` and
 * containing `needle`. */
static void load_fails(const char *text, const char *prefix, const char *needle)
{
	struct mu_err e = { 0 };
	struct mu_ydoc *d = NULL;
	int r = mu_yaml_load_string("t.yml", text, strlen(text), &d, &e);

	cr_assert_eq(r, MU_E_PARSE, "expected a parse error for '%s', got %d (%s)",
		     text, r, e.msg);
	cr_assert_null(d);
	cr_expect_eq(strncmp(e.msg, prefix, strlen(prefix)), 0,
		     "message '%s' does not start with '%s'", e.msg, prefix);
	cr_expect_not_null(strstr(e.msg, needle), "message '%s' lacks '%s'", e.msg, needle);
}

/* The JSON value of key k in a one-level mapping document. */
static json_t *value_of(const char *text, const char *k, unsigned flags)
{
	struct mu_err e = { 0 };
	struct mu_ydoc *d = load(text);
	json_t *j = mu_ynode_to_json(d->root, flags, &e);
	json_t *v;

	cr_assert_not_null(j, "to_json failed: %s", e.msg);
	v = json_object_get(j, k);
	cr_assert_not_null(v, "no key '%s'", k);
	json_incref(v);
	json_decref(j);
	mu_ydoc_free(d);
	return v;
}

static void expect_string(const char *text, const char *want)
{
	json_t *v = value_of(text, "v", 0);

	cr_expect(json_is_string(v), "'%s': not a string", text);
	if (json_is_string(v))
		cr_expect_str_eq(json_string_value(v), want, "'%s'", text);
	json_decref(v);
}

static void expect_int(const char *text, long long want)
{
	json_t *v = value_of(text, "v", 0);

	cr_expect(json_is_integer(v), "'%s': not an integer", text);
	cr_expect_eq(json_integer_value(v), want, "'%s': %lld", text,
		     (long long)json_integer_value(v));
	json_decref(v);
}

static void expect_null(const char *text)
{
	json_t *v = value_of(text, "v", 0);

	cr_expect(json_is_null(v), "'%s': not null", text);
	json_decref(v);
}

Test(yaml, positions_are_one_based_line_and_column)
{
	struct mu_ydoc *d = load("a: 1\nb:\n  - x\n  - {c: 2}\n");
	const struct mu_ynode *b = mu_ymap_get(d->root, "b");

	cr_assert_not_null(b);
	cr_expect_eq(d->root->line, 1);
	cr_expect_eq(d->root->col, 1);
	cr_expect_eq(mu_ymap_get(d->root, "a")->col, 4);
	cr_expect_eq(b->type, MU_Y_SEQ);
	cr_expect_eq(b->items[0]->line, 3);
	cr_expect_eq(b->items[0]->col, 5);
	cr_expect_eq(b->items[1]->type, MU_Y_MAP);
	cr_expect_eq(b->items[1]->line, 4);
	cr_expect_eq(mu_ymap_get(b->items[1], "c")->col, 9);
	cr_expect_str_eq(b->items[0]->file, "t.yml");
	mu_ydoc_free(d);
}

Test(yaml, quoted_scalars_stay_strings)
{
	expect_string("v: \"12\"", "12");
	expect_string("v: '0644'", "0644");
	expect_string("v: 'yes'", "yes");
	expect_string("v: \"\"", "");
	expect_string("v: 'null'", "null");
	expect_string("v: |\n  12\n", "12\n");
}

Test(yaml, plain_null_forms)
{
	expect_null("v: null");
	expect_null("v: ~");
	expect_null("v:");
	expect_null("v: NULL");
	expect_null("v: Null");
	expect_null("v: !!null ''");
}

Test(yaml, plain_decimal_ints_are_integers)
{
	expect_int("v: 12", 12);
	expect_int("v: 0", 0);
	expect_int("v: -7", -7);
	expect_int("v: +5", 5);
	expect_int("v: 9223372036854775807", 9223372036854775807LL);
}

Test(yaml, leading_zero_octal_stays_a_string)
{
	expect_string("v: 0644", "0644");
	expect_string("v: 00", "00");
	expect_string("v: 0755", "0755");
}

Test(yaml, yaml11_booleans_keep_their_text)
{
	expect_string("v: yes", "yes");
	expect_string("v: no", "no");
	expect_string("v: NO", "NO");
	expect_string("v: on", "on");
	expect_string("v: Off", "Off");
	expect_string("v: true", "true");
	expect_string("v: False", "False");
	expect_string("v: y", "y");
	expect_string("v: n", "n");
}

Test(yaml, bool_flag_turns_plain_booleans_into_json_booleans)
{
	json_t *v = value_of("v: no", "v", MU_YJ_BOOL);

	cr_expect(json_is_false(v));
	json_decref(v);
	v = value_of("v: On", "v", MU_YJ_BOOL);
	cr_expect(json_is_true(v));
	json_decref(v);
	v = value_of("v: 'no'", "v", MU_YJ_BOOL);
	cr_expect(json_is_string(v), "a quoted 'no' is a string even with the flag");
	json_decref(v);
	v = value_of("v: 1", "v", MU_YJ_BOOL);
	cr_expect(json_is_integer(v), "1 stays an integer");
	json_decref(v);
}

Test(yaml, floats_hex_and_oversized_ints_are_strings)
{
	expect_string("v: 1.5", "1.5");
	expect_string("v: 1e3", "1e3");
	expect_string("v: 0x1f", "0x1f");
	expect_string("v: 99999999999999999999", "99999999999999999999");
	expect_string("v: 1_000", "1_000");
	expect_string("v: .inf", ".inf");
}

Test(yaml, explicit_tags_are_honoured)
{
	json_t *v;

	expect_string("v: !!str 12", "12");
	expect_string("v: !!str yes", "yes");
	expect_int("v: !!int \"0644\"", 420);
	expect_int("v: !!int 0x1f", 31);
	expect_int("v: !!int '-12'", -12);
	expect_string("v: !unsafe '{{ x }}'", "{{ x }}");
	v = value_of("v: !!bool yes", "v", 0);
	cr_expect(json_is_true(v));
	json_decref(v);
	v = value_of("v: !!bool 'off'", "v", 0);
	cr_expect(json_is_false(v));
	json_decref(v);
	v = value_of("v: !!float '2.5'", "v", 0);
	cr_expect(json_is_real(v));
	cr_expect_float_eq(json_real_value(v), 2.5, 1e-9);
	json_decref(v);
}

Test(yaml, bad_tagged_value_is_an_error_with_position)
{
	struct mu_err e = { 0 };
	struct mu_ydoc *d = load("a: 1\nv: !!bool maybe\n");

	cr_expect_null(mu_ynode_to_json(d->root, 0, &e));
	cr_expect_eq(e.code, MU_E_PARSE);
	cr_expect_str_eq(e.msg, "t.yml:2:4: invalid !!bool value 'maybe'");
	mu_ydoc_free(d);
	d = load("v: !!int 12abc\n");
	cr_expect_null(mu_ynode_to_json(d->root, 0, &e));
	cr_expect_str_eq(e.msg, "t.yml:1:4: invalid !!int value '12abc'");
	mu_ydoc_free(d);
}

Test(yaml, duplicate_key_names_both_lines)
{
	load_fails("a: 1\nb: 2\na: 3\n", "t.yml:3:1: ", "duplicate key 'a' (first defined at line 1)");
}

Test(yaml, duplicate_key_in_nested_flow_mapping)
{
	load_fails("top:\n  x: {k: 1,\n      k: 2}\n", "t.yml:3:7: ", "first defined at line 2");
}

Test(yaml, tab_indentation_is_reported_as_tab)
{
	load_fails("a:\n\tb: 1\n", "t.yml:2:1: ", "tab");
}

Test(yaml, tab_indentation_deeper_in_the_file)
{
	load_fails("a:\n  b: 1\n  c:\n  \t- x\n", "t.yml:4:3: ", "tab character used for indentation");
}

Test(yaml, tab_after_colon_is_fine)
{
	struct mu_ydoc *d = load("k:\tv\n");

	cr_expect_str_eq(mu_ynode_str(mu_ymap_get(d->root, "k")), "v");
	mu_ydoc_free(d);
}

Test(yaml, syntax_error_has_file_line_column)
{
	load_fails("a: [1, 2\nb: 3\n", "t.yml:", "did not find expected");
	load_fails("a: b: c\n", "t.yml:1:5: ", "mapping values are not allowed");
}

Test(yaml, anchors_and_aliases)
{
	struct mu_err e = { 0 };
	struct mu_ydoc *d = load("base: &b [1, 2]\ncopy: *b\nname: &n web\nagain: *n\n");
	json_t *j = mu_ynode_to_json(d->root, 0, &e);

	json_t *want = json_pack("[i,i]", 1, 2);

	cr_assert_not_null(j, "%s", e.msg);
	cr_expect(json_equal(json_object_get(j, "copy"), want));
	json_decref(want);
	cr_expect_str_eq(json_string_value(json_object_get(j, "again")), "web");
	cr_expect_eq(mu_ymap_get(d->root, "copy"), mu_ymap_get(d->root, "base"),
		     "an alias shares the anchored node");
	json_decref(j);
	mu_ydoc_free(d);
}

Test(yaml, merge_key_with_one_map)
{
	struct mu_err e = { 0 };
	struct mu_ydoc *d = load("defaults: &d\n  user: deploy\n  port: 22\nweb:\n"
				 "  <<: *d\n  port: 2222\n");
	json_t *j = mu_ynode_to_json(mu_ymap_get(d->root, "web"), 0, &e);

	cr_assert_not_null(j, "%s", e.msg);
	cr_expect_str_eq(json_string_value(json_object_get(j, "user")), "deploy");
	cr_expect_eq(json_integer_value(json_object_get(j, "port")), 2222,
		     "an explicit key wins over a merged one");
	cr_expect_null(json_object_get(j, "<<"));
	cr_expect_eq(json_object_size(j), 2);
	cr_expect_not_null(mu_ymap_get(mu_ymap_get(d->root, "web"), "user"),
			   "merged keys are visible to mu_ymap_get");
	json_decref(j);
	mu_ydoc_free(d);
}

Test(yaml, merge_key_with_list_of_maps)
{
	struct mu_err e = { 0 };
	struct mu_ydoc *d = load("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\n"
				 "c:\n  <<: [*a, *b]\n  z: 3\n");
	json_t *j = mu_ynode_to_json(mu_ymap_get(d->root, "c"), 0, &e);

	cr_assert_not_null(j, "%s", e.msg);
	cr_expect_eq(json_integer_value(json_object_get(j, "x")), 1);
	cr_expect_eq(json_integer_value(json_object_get(j, "y")), 1,
		     "the first map in the list wins");
	cr_expect_eq(json_integer_value(json_object_get(j, "z")), 3);
	json_decref(j);
	mu_ydoc_free(d);
}

Test(yaml, merge_of_a_scalar_is_an_error)
{
	load_fails("a: 1\nb:\n  <<: 5\n", "t.yml:3:3: ", "merge key '<<' needs a mapping");
}

Test(yaml, quoted_merge_key_is_an_ordinary_key)
{
	struct mu_ydoc *d = load("'<<': {a: 1}\n");

	cr_expect_not_null(mu_ymap_get(d->root, "<<"));
	mu_ydoc_free(d);
}

Test(yaml, unknown_alias_is_an_error)
{
	load_fails("a: 1\nb: *nope\n", "t.yml:2:4: ", "unknown alias '*nope'");
}

Test(yaml, recursive_alias_is_an_error)
{
	load_fails("a: &x\n  b: *x\n", "t.yml:2:6: ", "recursive alias");
}

/*
 * An alias bomb is refused when it is loaded, before any walk over the
 * tree pays for it (regression: 8 levels of a 9-way bomb took 16 s to fail).
 */
Test(yaml, alias_bomb_is_refused_at_load)
{
	struct mu_buf b = MU_BUF_INIT;

	mu_buf_addstr(&b, "l0: &l0 [x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i < 10; i++)
		mu_buf_addf(&b, "l%d: &l%d [*l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d, *l%d]\n",
			    i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	load_fails(b.buf, "t.yml:7:5: ", "refusing a YAML alias bomb");
	mu_buf_release(&b);
}

Test(yaml, modest_alias_reuse_still_loads)
{
	struct mu_ydoc *d = load("base: &b {a: 1, b: 2}\nx: [*b, *b, *b]\ny: {<<: *b, c: 3}\n");

	mu_ydoc_free(d);
}

Test(yaml, second_document_is_an_error)
{
	load_fails("a: 1\n---\nb: 2\n", "t.yml:2:1: ", "more than one YAML document");
}

Test(yaml, one_document_with_markers_is_fine)
{
	struct mu_ydoc *d = load("---\na: 1\n...\n");

	cr_expect_not_null(mu_ymap_get(d->root, "a"));
	mu_ydoc_free(d);
}

Test(yaml, empty_stream_has_null_root)
{
	struct mu_ydoc *d = load("# only a comment\n");

	cr_expect_null(d->root);
	cr_expect(mu_ynode_is_null(d->root));
	mu_ydoc_free(d);
}

Test(yaml, invalid_utf8_has_a_position)
{
	load_fails("a: 1\nb: \xff\n", "t.yml:2:4: ", "UTF-8");
}

Test(yaml, deep_nesting_is_refused)
{
	struct mu_buf b = MU_BUF_INIT;

	for (int i = 0; i < 300; i++)
		mu_buf_addch(&b, '[');
	for (int i = 0; i < 300; i++)
		mu_buf_addch(&b, ']');
	load_fails(b.buf, "t.yml:1:", "nesting deeper");
	mu_buf_release(&b);
}

Test(yaml, complex_key_cannot_become_json)
{
	struct mu_err e = { 0 };
	struct mu_ydoc *d = load("? [a, b]\n: 1\n");

	cr_expect_null(mu_ynode_to_json(d->root, 0, &e));
	cr_expect_str_eq(e.msg, "t.yml:1:3: mapping key is a sequence; only plain keys "
			 "are supported");
	mu_ydoc_free(d);
}

Test(yaml, map_lookup_helpers)
{
	struct mu_ydoc *d = load("name: x\nempty:\nlist: [1]\n");

	cr_expect_eq(mu_ymap_index(d->root, "list"), 2);
	cr_expect_eq(mu_ymap_index(d->root, "nope"), -1);
	cr_expect_null(mu_ymap_get(d->root, "nope"));
	cr_expect_null(mu_ymap_get(mu_ymap_get(d->root, "list"), "x"), "not a map");
	cr_expect(mu_ynode_is_null(mu_ymap_get(d->root, "empty")));
	cr_expect_not(mu_ynode_is_null(mu_ymap_get(d->root, "name")));
	cr_expect_str_eq(mu_ynode_kind(mu_ymap_get(d->root, "list")), "sequence");
	cr_expect_null(mu_ynode_str(mu_ymap_get(d->root, "list")));
	mu_ydoc_free(d);
}

Test(yaml, yerr_formats_node_position)
{
	struct mu_err e = { 0 };
	struct mu_ydoc *d = load("a:\n  b: 1\n");

	cr_expect_eq(mu_yerr(&e, mu_ymap_get(mu_ymap_get(d->root, "a"), "b"),
			     "bad '%s'", "b"), MU_E_PARSE);
	cr_expect_str_eq(e.msg, "t.yml:2:6: bad 'b'");
	mu_ydoc_free(d);
}

Test(yaml, truthy_recognises_ansible_booleans)
{
	static const char *const yes[] = { "yes", "YES", "Yes", "on", "ON", "true",
					   "TRUE", "True", "y", "Y", "t", "1", "yEs" };
	static const char *const no[] = { "no", "NO", "off", "Off", "false", "FALSE",
					  "n", "N", "f", "0" };
	bool b;

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		b = false;
		cr_expect(mu_yaml_truthy(yes[i], &b), "'%s'", yes[i]);
		cr_expect(b, "'%s' is true", yes[i]);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		b = true;
		cr_expect(mu_yaml_truthy(no[i], &b), "'%s'", no[i]);
		cr_expect_not(b, "'%s' is false", no[i]);
	}
	b = true;
	cr_expect_not(mu_yaml_truthy("maybe", &b));
	cr_expect_not(mu_yaml_truthy("", &b));
	cr_expect_not(mu_yaml_truthy("2", &b));
	cr_expect(b, "untouched when not recognised");
}

Test(yaml, load_file_names_the_path)
{
	char *dir = tu_tmpdir();
	char path[256];
	struct mu_err e = { 0 };
	struct mu_ydoc *d = NULL;

	snprintf(path, sizeof(path), "%s/play.yml", dir);
	tu_write(path, "- hosts: all\n  tasks:\n  - name: x\n    name: y\n");
	cr_expect_eq(mu_yaml_load_file(path, &d, &e), MU_E_PARSE);
	cr_expect_null(d);
	{
		char want[400];

		snprintf(want, sizeof(want), "%s:4:5: duplicate key 'name' (first defined "
			 "at line 3)", path);
		cr_expect_str_eq(e.msg, want);
	}
	snprintf(path, sizeof(path), "%s/missing.yml", dir);
	cr_expect_eq(mu_yaml_load_file(path, &d, &e), MU_E_NOTFOUND);
	cr_expect_not_null(strstr(e.msg, path), "%s", e.msg);
	tu_sh("rm -rf '%s'", dir);
}

/* Regression: !vault and unknown tags loaded silently as their text. */
Test(yaml, vault_and_unknown_tags_are_refused)
{
	struct mu_ydoc *d = load("v: !unknown 12\nw: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n");
	struct mu_err e = { 0 };
	json_t *j = mu_ynode_to_json(mu_ymap_get(d->root, "v"), 0, &e);

	cr_expect_null(j);
	cr_expect(strstr(e.msg, "t.yml:1:4: unsupported YAML tag '!unknown'") != NULL, "%s", e.msg);
	j = mu_ynode_to_json(mu_ymap_get(d->root, "w"), 0, &e);
	cr_expect_null(j);
	cr_expect(strstr(e.msg, "vault-encrypted values are not supported") != NULL, "%s", e.msg);
	mu_ydoc_free(d);
}
