/*
 * Tests for templated strings (controller/template.c): native values versus
 * string rendering, whitespace control, the refused `{% %}` and `{# #}`,
 * deep rendering of task arguments with error paths, and random input that
 * must never crash.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mu_err.h"
#include "template.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
/* Criterion ignores LeakSanitizer's exit report, so each test asks itself:
 * everything it allocated must be freed by its end. */
static void no_leaks(void)
{
	cr_assert_eq(__lsan_do_recoverable_leak_check(), 0, "memory leaked (see the report above)");
}
#else
static void no_leaks(void)
{
}
#endif

static const char *scope_json =
	"{\"user\": \"deploy\", \"n\": 3, \"f\": 0.5, \"t\": true, \"nul\": null,"
	" \"ports\": [80, 443], \"d\": {\"a\": 1, \"b\": \"x\"}, \"empty\": \"\","
	" \"home\": \"/home/deploy\", \"uni\": \"h\u00e9\"}";

static json_t *J(const char *s)
{
	json_error_t je;
	json_t *v = json_loads(s, JSON_DECODE_ANY, &je);

	cr_assert_not_null(v, "%s: %s", s, je.text);
	return v;
}

/* Render src and compare with expected JSON, type-exact. */
static void renders(const char *src, const char *expected)
{
	json_t *vars = J(scope_json), *got = NULL, *want = J(expected);
	struct mu_err e;
	char *gs;
	int r = mu_template_render(src, vars, &got, &e);

	cr_assert_eq(r, 0, "%s: %s", src, e.msg);
	gs = json_dumps(got, JSON_ENCODE_ANY);
	cr_assert(json_equal(got, want) && json_typeof(got) == json_typeof(want),
		  "%s: got %s, want %s", src, gs, expected);
	free(gs);
	json_decref(got);
	json_decref(want);
	json_decref(vars);
}

static void render_fails(const char *src, int code, const char *msg)
{
	json_t *vars = J(scope_json), *got = NULL;
	struct mu_err e;
	int r = mu_template_render(src, vars, &got, &e);

	cr_assert_eq(r, code, "%s: rc %d (%s)", src, r, e.msg);
	cr_assert_null(got);
	cr_assert_str_eq(e.msg, msg, "%s", src);
	json_decref(vars);
}

static void check_fails(const char *src, const char *msg, int col)
{
	struct mu_err e;
	int c = -1;

	cr_assert_eq(mu_template_check(src, &e), MU_E_PARSE, "%s", src);
	cr_assert_str_eq(e.msg, msg, "%s", src);
	cr_assert_eq(mu_template_check_col(src, &c, &e), MU_E_PARSE);
	cr_assert_eq(c, col, "%s: column %d, want %d", src, c, col);
}

Test(template, plain_strings_are_kept)
{
	renders("hello", "\"hello\"");
	renders("", "\"\"");
	renders("a } b }} c { d", "\"a } b }} c { d\"");
	renders("h\u00e9", "\"h\u00e9\"");
	cr_assert(!mu_template_has_markup("a { b } c"));
	cr_assert(mu_template_has_markup("a {{ b }}"));
	cr_assert(mu_template_has_markup("{% if %}"));
	cr_assert(mu_template_has_markup("x {# c #}"));
	cr_assert(!mu_template_has_markup(""));
	no_leaks();
}

Test(template, native_values)
{
	/* exactly one {{ }} (whitespace around ignored) keeps the type */
	renders("{{ ports }}", "[80, 443]");
	renders("  {{ ports }}\n", "[80, 443]");
	renders("{{ n }}", "3");
	renders("{{ n + 1 }}", "4");
	renders("{{ f }}", "0.5");
	renders("{{ t }}", "true");
	renders("{{ nul }}", "null");
	renders("{{ d }}", "{\"a\": 1, \"b\": \"x\"}");
	renders("{{ {'a': {'b': 1}} }}", "{\"a\": {\"b\": 1}}");
	renders("{{{'a': 1}}}", "{\"a\": 1}");
	renders("{{ user }}", "\"deploy\"");
	renders("{{ '}}' }}", "\"}}\"");
	renders("{{ '{{' }}", "\"{{\"");
	renders("{{ ports | map('string') | list }}", "[\"80\", \"443\"]");
	no_leaks();
}

Test(template, string_rendering)
{
	renders("port {{ ports[0] }}/tcp", "\"port 80/tcp\"");
	renders("{{ user }}:{{ user }}", "\"deploy:deploy\"");
	renders("{{ n }}{{ n }}", "\"33\"");
	renders("x={{ t }}", "\"x=True\"");
	renders("x={{ nul }}", "\"x=\"");
	renders("x={{ f }}", "\"x=0.5\"");
	renders("l={{ ports }}", "\"l=[80, 443]\"");
	renders("d={{ d }}", "\"d={'a': 1, 'b': 'x'}\"");
	renders("{{ home }}/.config", "\"/home/deploy/.config\"");
	renders("{{ uni }}!", "\"h\u00e9!\"");
	renders("a{{ empty }}b", "\"ab\"");
	renders("{{ missing | default('x') }}-y", "\"x-y\"");
	renders("line1\n{{ n }}\nline3", "\"line1\\n3\\nline3\"");
	no_leaks();
}

Test(template, whitespace_control)
{
	renders("a   {{- n }}  b", "\"a3  b\"");
	renders("a   {{ n -}}  b", "\"a   3b\"");
	renders("a \n {{- n -}} \n b", "\"a3b\"");
	renders("{{- n -}}", "3");
	renders("{{-1}}", "1");
	renders("x {{+ n }}", "\"x 3\"");
	no_leaks();
}

Test(template, undefined_is_an_error)
{
	render_fails("{{ foo }}", MU_E_NOTFOUND, "'foo' is undefined");
	render_fails("x {{ foo }} y", MU_E_NOTFOUND, "'foo' is undefined");
	render_fails("{{ d.zz }}", MU_E_NOTFOUND, "'d' has no attribute 'zz'");
	render_fails("{{ user }}{{ ports[5] }}", MU_E_NOTFOUND, "index 5 is out of range for 'ports'");
	render_fails("{{ user + 1 }}", MU_E_ARG, "unsupported operand types for +: 'str' and 'int'");
	renders("{{ foo is defined }}", "false");
	renders("{{ foo | default(n) }}", "3");
	no_leaks();
}

Test(template, refused_constructs)
{
	check_fails("{% for p in ports %}{{ p }}{% endfor %}",
		    "unsupported template statement '{% for %}' (only {{ }} expressions are supported) at column 1", 1);
	check_fails("x {%- if t %}",
		    "unsupported template statement '{% if %}' (only {{ }} expressions are supported) at column 3", 3);
	check_fails("{%%}",
		    "unsupported template statement '{% %}' (only {{ }} expressions are supported) at column 1", 1);
	check_fails("echo ${#arr[@]}",
		    "unsupported template comment '{# #}' (write {{ '{#' }} for a literal '{#') at column 7", 7);
	check_fails("{{ x", "unclosed '{{' (no matching '}}') at column 1", 1);
	check_fails("a {{ x }} b {{ y", "unclosed '{{' (no matching '}}') at column 13", 13);
	check_fails("{{ {'a': 1 }}", "unclosed '{{' (no matching '}}') at column 1", 1);
	check_fails("{{ }}", "expected an expression, found '}}' at column 4", 4);
	check_fails("{{ x | regex_search('a') }}",
		    "unsupported filter 'regex_search' (regular expressions are not supported) at column 8", 8);
	check_fails("h\u00e9 {{ x | nope }}", "unsupported filter 'nope' at column 11", 11);
	check_fails("{{ x.split(',') }}", "unsupported method call 'x.split()' (use a filter) at column 6", 6);
	check_fails("{{ lookup('env', 'HOME') }}", "unsupported function call 'lookup()' at column 4", 4);
	check_fails("{{ x y }}", "unexpected 'y' (missing operator?) at column 6", 6);
	check_fails("{{ 'abc }}", "unterminated string at column 4", 4);
	check_fails("\xc3", "template is not valid UTF-8 at column 1", 1);
	/* and rendering refuses them the same way */
	render_fails("{% if t %}x{% endif %}", MU_E_PARSE,
		     "unsupported template statement '{% if %}' (only {{ }} expressions are supported) at column 1");
	render_fails("{# note #}", MU_E_PARSE,
		     "unsupported template comment '{# #}' (write {{ '{#' }} for a literal '{#') at column 1");
	render_fails("\xff", MU_E_PARSE, "template is not valid UTF-8");
	cr_assert_eq(mu_template_check("a {{ x | default(1) }} b", NULL), 0);
	cr_assert_eq(mu_template_check("no markup", NULL), 0);
	cr_assert_eq(mu_template_check("{{ '{#' }} and {{ '{%' }}", NULL), 0);
	int col = -1;
	struct mu_err e;
	cr_assert_eq(mu_template_check_col("{{ x |", &col, &e), MU_E_PARSE);
	cr_assert_str_eq(e.msg, "unclosed '{{' (no matching '}}')");
	cr_assert_eq(col, 1);
	no_leaks();
}

Test(template, render_str)
{
	json_t *vars = J(scope_json);
	struct mu_err e;
	char *s = NULL;

	cr_assert_eq(mu_template_render_str("{{ ports }}", vars, &s, &e), 0);
	cr_assert_str_eq(s, "[80, 443]");
	free(s);
	cr_assert_eq(mu_template_render_str("{{ nul }}", vars, &s, &e), 0);
	cr_assert_str_eq(s, "");
	free(s);
	cr_assert_eq(mu_template_render_str("u={{ user }}", vars, &s, &e), 0);
	cr_assert_str_eq(s, "u=deploy");
	free(s);
	cr_assert_eq(mu_template_render_str("{{ n }}", vars, &s, &e), 0);
	cr_assert_str_eq(s, "3");
	free(s);
	cr_assert_eq(mu_template_render_str("{{ nope }}", vars, &s, &e), MU_E_NOTFOUND);
	cr_assert_null(s);
	cr_assert_str_eq(e.msg, "'nope' is undefined");
	json_decref(vars);
	no_leaks();
}

Test(template, deep_render)
{
	json_t *vars = J(scope_json);
	json_t *in = J("{\"name\": \"net.ipv4.ip_unprivileged_port_start\", \"value\": \"{{ ports[0] }}\","
		       " \"{{ key }}\": \"keys are not templated\","
		       " \"list\": [\"{{ user }}\", 1, true, null, [\"{{ n }}x\"]],"
		       " \"nested\": {\"ports\": \"{{ ports }}\"}}");
	json_t *want = J("{\"name\": \"net.ipv4.ip_unprivileged_port_start\", \"value\": 80,"
			 " \"{{ key }}\": \"keys are not templated\","
			 " \"list\": [\"deploy\", 1, true, null, [\"3x\"]],"
			 " \"nested\": {\"ports\": [80, 443]}}");
	json_t *out = NULL;
	struct mu_err e;
	char *gs;

	cr_assert_eq(mu_template_render_deep(in, vars, &out, &e), 0, "%s", e.msg);
	gs = json_dumps(out, 0);
	cr_assert(json_equal(out, want), "got %s", gs);
	free(gs);
	/* the input is left alone */
	cr_assert_str_eq(json_string_value(json_object_get(in, "value")), "{{ ports[0] }}");
	cr_assert_eq(mu_template_check_deep(in, &e), 0);
	json_decref(out);
	json_decref(want);
	json_decref(in);

	in = J("{\"a\": {\"b\": [\"ok\", \"{{ missing }}\"]}}");
	cr_assert_eq(mu_template_render_deep(in, vars, &out, &e), MU_E_NOTFOUND);
	cr_assert_null(out);
	cr_assert_str_eq(e.msg, "a.b[1]: 'missing' is undefined");
	cr_assert_eq(mu_template_check_deep(in, &e), 0);
	json_decref(in);

	in = J("[{\"cmd\": \"{% raw %}\"}]");
	cr_assert_eq(mu_template_check_deep(in, &e), MU_E_PARSE);
	cr_assert_str_eq(e.msg, "[0].cmd: unsupported template statement '{% raw %}' (only {{ }} expressions are supported) at column 1");
	cr_assert_eq(mu_template_render_deep(in, vars, &out, &e), MU_E_PARSE);
	json_decref(in);

	in = J("\"{{ n }}\"");
	cr_assert_eq(mu_template_render_deep(in, vars, &out, &e), 0);
	cr_assert_eq(json_integer_value(out), 3);
	json_decref(out);
	json_decref(in);
	in = J("\"{{ n | nope }}\"");
	cr_assert_eq(mu_template_check_deep(in, &e), MU_E_PARSE);
	cr_assert_str_eq(e.msg, "unsupported filter 'nope' at column 8");
	json_decref(in);
	in = J("7");
	cr_assert_eq(mu_template_render_deep(in, NULL, &out, &e), 0);
	cr_assert_eq(out, in);
	json_decref(out);
	json_decref(in);
	json_decref(vars);
	no_leaks();
}

Test(template, no_vars)
{
	json_t *out = NULL;
	struct mu_err e;

	cr_assert_eq(mu_template_render("{{ 1 + 1 }}", NULL, &out, &e), 0);
	cr_assert_eq(json_integer_value(out), 2);
	json_decref(out);
	cr_assert_eq(mu_template_render("{{ x }}", NULL, &out, NULL), MU_E_NOTFOUND);
	cr_assert_null(out);
	no_leaks();
}

Test(template, long_output_is_bounded)
{
	json_t *vars = J("{\"s\": \"xxxxxxxxxxxxxxxx\"}");
	json_t *out = NULL;
	struct mu_err e;

	cr_assert_eq(mu_template_render("{{ s * 1000000 }}", vars, &out, &e), 0, "%s", e.msg);
	cr_assert_eq(json_string_length(out), 16000000u);
	json_decref(out);
	cr_assert_eq(mu_template_render("a{{ s * 1000000 }}{{ s * 1000000 }}", vars, &out, &e), MU_E_TOOBIG);
	cr_assert_str_eq(e.msg, "rendered template too large");
	cr_assert_eq(mu_template_render("{{ s * 2000000 }}", vars, &out, &e), MU_E_TOOBIG);
	cr_assert_str_eq(e.msg, "result of repetition too large");
	json_decref(vars);
	no_leaks();
}

static unsigned long long rng = 0x2545f4914f6cdd1dull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

Test(template, random_garbage_never_crashes)
{
	static const char *const atoms[] = {
		"{{", "}}", "{%", "%}", "{#", "#}", "{", "}", "-", "+", " ", "text", "user", "n",
		"ports", "|", "default(", ")", "'", "\"", "[", "]", ".", "0", "~", "is", "defined",
		"\n", "\xc3\xa9", "\xe2\x82", "\x01", "{{-", "-}}", "{{ x }}", "{{ n }}", "\\",
	};
	json_t *vars = J(scope_json);
	char buf[400];

	for (int iter = 0; iter < 3000; iter++) {
		size_t k = 0;
		int parts = 1 + (int)rnd(24);

		for (int i = 0; i < parts; i++) {
			const char *a = atoms[rnd(sizeof(atoms) / sizeof(atoms[0]))];
			size_t n = strlen(a);
			if (k + n >= sizeof(buf))
				break;
			memcpy(buf + k, a, n);
			k += n;
		}
		if (iter % 5 == 0)
			for (size_t i = 0; i < k; i++)
				if (rnd(4) == 0)
					buf[i] = (char)(1 + rnd(255));
		buf[k] = '\0';

		json_t *out = NULL;
		struct mu_err e;
		int r = mu_template_render(buf, vars, &out, &e);
		cr_assert(r == 0 ? out != NULL : (out == NULL && e.msg[0] != '\0'), "%s", buf);
		json_decref(out);
		r = mu_template_check(buf, &e);
		cr_assert(r == 0 || (r == MU_E_PARSE && e.msg[0] != '\0'), "%s", buf);
	}
	json_decref(vars);
	no_leaks();
}
