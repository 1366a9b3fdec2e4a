/*
 * Tests for the expression language (controller/expr*.c): every operator,
 * filter and test, precedence, the undefined/none rules of default(),
 * conditions with YAML-boolean strings, every error message, and a burst of
 * random input that must never crash.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "expr_int.h"
#include "mu_err.h"

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
	"{\"s\": \"hello\", \"n\": 3, \"neg\": -7, \"f\": 1.5, \"t\": true, \"fl\": false,"
	" \"nul\": null, \"empty\": \"\", \"zero\": 0, \"l\": [1, 2, 3], \"el\": [], \"ed\": {},"
	" \"names\": [\"b\", \"A\", \"c\", \"a\"],"
	" \"d\": {\"a\": 1, \"b\": {\"c\": \"deep\"}, \"1\": \"one\"},"
	" \"key\": \"a\", \"idx\": 1,"
	" \"users\": [{\"name\": \"x\", \"uid\": 1000, \"admin\": true, \"home\": {\"dir\": \"/h/x\"}},"
	"            {\"name\": \"y\", \"uid\": 1001, \"admin\": false, \"home\": {\"dir\": \"/h/y\"}}],"
	" \"ports\": [80, 443], \"no\": \"no\", \"yes\": \"yes\", \"off\": \"Off\", \"tru\": \"TRUE\","
	" \"one\": \"1\", \"word\": \"maybe\", \"opts\": {\"enabled\": \"no\"},"
	" \"path\": \"/etc/sysctl.d/10-podman.conf\","
	" \"res_ok\": {\"status\": \"ok\", \"changed\": false, \"failed\": false},"
	" \"res_ch\": {\"status\": \"changed\", \"changed\": true},"
	" \"res_fail\": {\"status\": \"failed\", \"failed\": true, \"msg\": \"boom\"},"
	" \"res_skip\": {\"status\": \"skipped\", \"skipped\": true},"
	" \"res_loop\": {\"results\": [{\"status\": \"ok\"}, {\"status\": \"changed\", \"changed\": true}]},"
	" \"jtext\": \"{\\\"a\\\": [1, 2]}\", \"big\": 9223372036854775807,"
	" \"csv\": \"a,b,,c\", \"ws\": \"  a b\\tc  \", \"uni\": \"h\u00e9llo\"}";

static json_t *scope(void)
{
	json_error_t je;
	json_t *v = json_loads(scope_json, 0, &je);

	cr_assert_not_null(v, "scope json: %s", je.text);
	return v;
}

/* Evaluate and compare with expected JSON (type-exact: 1 != 1.0). */
static void ok(const char *expr, const char *expected)
{
	struct mu_expr *x = NULL;
	struct mu_err e;
	json_t *vars = scope(), *got = NULL, *want;
	json_error_t je;
	char *gs;
	int r;

	r = mu_expr_parse(expr, &x, &e);
	cr_assert_eq(r, 0, "parse %s: %s", expr, e.msg);
	r = mu_expr_eval(x, vars, &got, &e);
	cr_assert_eq(r, 0, "eval %s: %s", expr, e.msg);
	want = json_loads(expected, JSON_DECODE_ANY, &je);
	cr_assert_not_null(want, "bad expected json %s", expected);
	gs = json_dumps(got, JSON_ENCODE_ANY);
	cr_assert(json_equal(got, want) && json_typeof(got) == json_typeof(want),
		  "%s: got %s, want %s", expr, gs, expected);
	free(gs);
	json_decref(want);
	json_decref(got);
	json_decref(vars);
	mu_expr_free(x);
}

/* Evaluation must fail with this code and exactly this message. */
static void fails(const char *expr, int code, const char *msg)
{
	struct mu_expr *x = NULL;
	struct mu_err e;
	json_t *vars = scope(), *got = NULL;
	int r;

	r = mu_expr_parse(expr, &x, &e);
	cr_assert_eq(r, 0, "parse %s: %s", expr, e.msg);
	r = mu_expr_eval(x, vars, &got, &e);
	cr_assert_eq(r, code, "%s: rc %d (%s), want %d", expr, r, e.msg, code);
	cr_assert_null(got);
	cr_assert_str_eq(e.msg, msg, "%s", expr);
	json_decref(vars);
	mu_expr_free(x);
}

/* Parsing (the load-time check) must fail with exactly this message. */
static void bad(const char *expr, const char *msg)
{
	struct mu_expr *x = (struct mu_expr *)1;
	struct mu_err e;
	int r;

	r = mu_expr_check(expr, &e);
	cr_assert_eq(r, MU_E_PARSE, "%s: rc %d", expr, r);
	cr_assert_str_eq(e.msg, msg, "%s", expr);
	r = mu_expr_parse(expr, &x, &e);
	cr_assert_eq(r, MU_E_PARSE);
	cr_assert_null(x);
	cr_assert_str_eq(e.msg, msg, "%s", expr);
}

static bool cond(const char *src)
{
	json_t *vars = scope();
	struct mu_err e;
	bool res = false;
	int r = mu_expr_cond(src, vars, &res, &e);

	cr_assert_eq(r, 0, "cond %s: %s", src, e.msg);
	json_decref(vars);
	return res;
}

Test(expr, literals)
{
	ok("42", "42");
	ok("-42", "-42");
	ok("1_000", "1000");
	ok("0x1f", "31");
	ok("0o644", "420");
	ok("0b101", "5");
	ok("0", "0");
	ok("1.5", "1.5");
	ok("1e3", "1000.0");
	ok("2.5e-1", "0.25");
	ok("'single'", "\"single\"");
	ok("\"double\"", "\"double\"");
	ok("'a\\'b\\n\\t\\\\'", "\"a'b\\n\\t\\\\\"");
	ok("'\\x41\\u00e9'", "\"A\u00e9\"");
	ok("'keep \\d'", "\"keep \\\\d\"");
	ok("'a' 'b'", "\"ab\"");
	ok("true", "true");
	ok("True", "true");
	ok("false", "false");
	ok("False", "false");
	ok("none", "null");
	ok("None", "null");
	ok("[]", "[]");
	ok("[1, 'a', [true]]", "[1, \"a\", [true]]");
	ok("[1, 2,]", "[1, 2]");
	ok("(1, 2)", "[1, 2]");
	ok("(1,)", "[1]");
	ok("()", "[]");
	ok("(((1)))", "1");
	ok("{}", "{}");
	ok("{'a': 1, 'b': [2]}", "{\"a\": 1, \"b\": [2]}");
	ok("{1: 'x'}", "{\"1\": \"x\"}");
	ok("{key: n}", "{\"a\": 3}");
	no_leaks();
}

Test(expr, variables)
{
	ok("s", "\"hello\"");
	ok("d.a", "1");
	ok("d.b.c", "\"deep\"");
	ok("d['b']['c']", "\"deep\"");
	ok("d[key]", "1");
	ok("d['b'].c", "\"deep\"");
	ok("d[1]", "\"one\"");
	ok("l[0]", "1");
	ok("l[-1]", "3");
	ok("l[idx]", "2");
	ok("l.0", "1");
	ok("users[1].name", "\"y\"");
	ok("users.0.home.dir", "\"/h/x\"");
	ok("s[1]", "\"e\"");
	ok("uni[1]", "\"\u00e9\"");
	ok("uni[-4:]", "\"\u00e9llo\"");
	ok("l[1:]", "[2, 3]");
	ok("l[:2]", "[1, 2]");
	ok("l[::-1]", "[3, 2, 1]");
	ok("l[::2]", "[1, 3]");
	ok("l[-2:]", "[2, 3]");
	ok("l[5:]", "[]");
	ok("s[1:3]", "\"el\"");
	ok("s[::-1]", "\"olleh\"");
	ok("l[none:2]", "[1, 2]");
	ok("l[1::9223372036854775807]", "[2]");
	ok("s[1::9223372036854775807]", "\"e\"");
	ok("l[::-9223372036854775807 - 1]", "[3]");
	ok("l[-9223372036854775807 - 1:9223372036854775807]", "[1, 2, 3]");
	fails("l[::0]", MU_E_ARG, "slice step cannot be zero");
	fails("l['a':]", MU_E_ARG, "slice indices must be integers, not 'str'");
	fails("n[1:]", MU_E_ARG, "'int' object cannot be sliced");
	ok("ports", "[80, 443]");
	no_leaks();
}

Test(expr, undefined_errors)
{
	fails("foo", MU_E_NOTFOUND, "'foo' is undefined");
	fails("foo.bar", MU_E_NOTFOUND, "'foo' is undefined");
	fails("d.zz", MU_E_NOTFOUND, "'d' has no attribute 'zz'");
	fails("d.b.zz", MU_E_NOTFOUND, "'d.b' has no attribute 'zz'");
	fails("d['zz']", MU_E_NOTFOUND, "'d' has no key 'zz'");
	fails("l[7]", MU_E_NOTFOUND, "index 7 is out of range for 'l'");
	fails("s[9]", MU_E_NOTFOUND, "index 9 is out of range for 's'");
	fails("n.x", MU_E_NOTFOUND, "'n' has no attribute 'x'");
	fails("n[0]", MU_E_NOTFOUND, "'n' of type 'int' has no item 0");
	fails("l[foo]", MU_E_NOTFOUND, "'foo' is undefined");
	fails("foo + 1", MU_E_NOTFOUND, "'foo' is undefined");
	fails("not foo", MU_E_NOTFOUND, "'foo' is undefined");
	fails("foo | upper", MU_E_NOTFOUND, "'foo' is undefined");
	fails("foo is none", MU_E_NOTFOUND, "'foo' is undefined");
	fails("[1, foo]", MU_E_NOTFOUND, "'foo' is undefined");
	fails("1 if foo else 2", MU_E_NOTFOUND, "'foo' is undefined");
	fails("l[1:foo]", MU_E_NOTFOUND, "'foo' is undefined");
	fails("range(foo)", MU_E_NOTFOUND, "'foo' is undefined");
	fails("s | default(foo)", MU_E_NOTFOUND, "'foo' is undefined");
	no_leaks();
}

Test(expr, boolean_logic_and_precedence)
{
	ok("true and true", "true");
	ok("true and false", "false");
	ok("false or true", "true");
	ok("not true", "false");
	ok("not not 1", "true");
	/* `not` binds tighter than `and`, `and` tighter than `or` */
	ok("not fl and t", "true");
	ok("not (fl and t)", "true");
	ok("not t and fl", "false");
	ok("t or fl and fl", "true");
	ok("(t or fl) and fl", "false");
	ok("fl or fl and t", "false");
	ok("fl and t or t", "true");
	/* Python: the deciding operand is the result */
	ok("0 or 'x'", "\"x\"");
	ok("'a' and 'b'", "\"b\"");
	ok("'' and foo", "\"\"");
	ok("1 or foo", "1");
	/* not binds looser than comparison */
	ok("not 1 == 2", "true");
	ok("not n is defined", "false");
	ok("not foo is defined", "true");
	no_leaks();
}

Test(expr, comparisons)
{
	ok("1 == 1", "true");
	ok("1 == 1.0", "true");
	ok("true == 1", "true");
	ok("'a' == 'a'", "true");
	ok("'a' != 'b'", "true");
	ok("[1, 2] == [1, 2]", "true");
	ok("{'a': 1} == {'a': 1}", "true");
	ok("none == none", "true");
	ok("nul == none", "true");
	ok("1 == '1'", "false");
	ok("1 < 2", "true");
	ok("2 <= 2", "true");
	ok("3 > 2.5", "true");
	ok("2 >= 3", "false");
	ok("'abc' < 'abd'", "true");
	ok("'B' < 'a'", "true");
	ok("[1, 2] < [1, 3]", "true");
	ok("[1] < [1, 0]", "true");
	ok("1 < 2 < 3", "true");
	ok("1 < 3 < 2", "false");
	ok("3 > 2 == 2", "true");
	ok("2 in l", "true");
	ok("9 in l", "false");
	ok("9 not in l", "true");
	ok("'ell' in s", "true");
	ok("'' in s", "true");
	ok("'a' in d", "true");
	ok("'zz' in d", "false");
	ok("'zz' not in d", "true");
	fails("1 < 'a'", MU_E_ARG, "'<' not supported between 'int' and 'str'");
	fails("none >= 1", MU_E_ARG, "'>=' not supported between 'NoneType' and 'int'");
	fails("{} < {}", MU_E_ARG, "'<' not supported between 'dict' and 'dict'");
	fails("1 in s", MU_E_ARG, "'in <string>' requires a string as left operand, not 'int'");
	fails("1 in n", MU_E_ARG, "argument of type 'int' is not iterable");
	no_leaks();
}

Test(expr, arithmetic)
{
	ok("1 + 2", "3");
	ok("1 + 2.5", "3.5");
	ok("'a' + 'b'", "\"ab\"");
	ok("[1] + [2]", "[1, 2]");
	ok("5 - 7", "-2");
	ok("3 * 4", "12");
	ok("'ab' * 3", "\"ababab\"");
	ok("2 * 'x'", "\"xx\"");
	ok("[0] * 3", "[0, 0, 0]");
	ok("'x' * -1", "\"\"");
	ok("7 / 2", "3.5");
	ok("6 / 2", "3.0");
	ok("7 // 2", "3");
	ok("-7 // 2", "-4");
	ok("7.5 // 2", "3.0");
	ok("7 % 3", "1");
	ok("-7 % 3", "2");
	ok("7 % -3", "-2");
	ok("5.5 % 2", "1.5");
	ok("2 ** 10", "1024");
	ok("2 ** -1", "0.5");
	ok("2.0 ** 2", "4.0");
	/* Jinja: ** is left-associative and unary minus binds tighter */
	ok("2 ** 3 ** 2", "64");
	ok("-2 ** 2", "4");
	ok("1 + 2 * 3", "7");
	ok("(1 + 2) * 3", "9");
	ok("10 - 2 - 3", "5");
	ok("2 * 3 % 4", "2");
	ok("true + 1", "2");
	ok("-f", "-1.5");
	ok("+n", "3");
	ok("- -n", "3");
	ok("'n=' ~ n", "\"n=3\"");
	ok("1 ~ 2", "\"12\"");
	ok("s ~ none ~ true", "\"helloNoneTrue\"");
	ok("'l=' ~ l", "\"l=[1, 2, 3]\"");
	ok("'' ~ d.b", "\"{'c': 'deep'}\"");
	ok("'' ~ 0.1", "\"0.1\"");
	ok("'' ~ 1e20", "\"1e+20\"");
	ok("'' ~ 100000.0", "\"100000.0\"");
	ok("'' ~ 1.5e-7", "\"1.5e-07\"");
	/* ~ binds tighter than + and looser than * */
	fails("'a' ~ 1 + 1", MU_E_ARG, "unsupported operand types for +: 'str' and 'int'");
	ok("'a' ~ (1 + 1)", "\"a2\"");
	fails("1 + 1 ~ 'a'", MU_E_ARG, "unsupported operand types for +: 'int' and 'str'");
	ok("'x' ~ 2 * 3", "\"x6\"");
	fails("'a' + 1", MU_E_ARG, "unsupported operand types for +: 'str' and 'int'");
	fails("[1] - [1]", MU_E_ARG, "unsupported operand types for -: 'list' and 'list'");
	fails("{} + {}", MU_E_ARG, "unsupported operand types for +: 'dict' and 'dict'");
	fails("1 / 0", MU_E_ARG, "division by zero");
	fails("1 // 0", MU_E_ARG, "integer division or modulo by zero");
	fails("1 % 0", MU_E_ARG, "integer division or modulo by zero");
	fails("1.0 // 0", MU_E_ARG, "float floor division by zero");
	fails("1.0 % 0", MU_E_ARG, "float modulo by zero");
	fails("big + 1", MU_E_ARG, "integer overflow in '+'");
	fails("-big - 2", MU_E_ARG, "integer overflow in '-'");
	fails("big * 2", MU_E_ARG, "integer overflow in '*'");
	fails("2 ** 64", MU_E_ARG, "integer overflow in '**'");
	fails("1e300 * 1e300", MU_E_ARG, "float result out of range");
	fails("0 ** -1", MU_E_ARG, "zero cannot be raised to a negative power");
	fails("'%s' % s", MU_E_ARG, "string formatting with '%' is not supported (use '~' to join strings)");
	fails("-s", MU_E_ARG, "bad operand type for unary -: 'str'");
	fails("'x' * 100000000", MU_E_TOOBIG, "result of repetition too large");
	no_leaks();
}

Test(expr, conditional_expression)
{
	ok("'a' if t else 'b'", "\"a\"");
	ok("'a' if fl else 'b'", "\"b\"");
	ok("1 if fl else 2 if t else 3", "2");
	ok("(n if n > 2 else 0) + 1", "4");
	ok("foo if fl else 'safe'", "\"safe\"");
	ok("(foo if fl else bar) | default('d')", "\"d\"");
	no_leaks();
}

Test(expr, range_function)
{
	ok("range(3)", "[0, 1, 2]");
	ok("range(1, 4)", "[1, 2, 3]");
	ok("range(10, 0, -4)", "[10, 6, 2]");
	ok("range(0)", "[]");
	fails("range(0, 5, 0)", MU_E_ARG, "range() step must not be zero");
	fails("range('a')", MU_E_ARG, "range() arguments must be integers, not 'str'");
	fails("range(100000000)", MU_E_TOOBIG, "range() result too large");
	bad("range()", "range() takes 1 to 3 positional arguments at column 1");
	bad("range(1, stop=2)", "range() takes 1 to 3 positional arguments at column 1");
	no_leaks();
}

Test(expr, filter_default)
{
	/* undefined is replaced; none and falsy values are kept... */
	ok("foo | default('x')", "\"x\"");
	ok("foo | d('x')", "\"x\"");
	ok("foo | default", "\"\"");
	ok("nul | default('x')", "null");
	ok("empty | default('x')", "\"\"");
	ok("zero | default(5)", "0");
	ok("fl | default(true)", "false");
	ok("s | default('x')", "\"hello\"");
	/* ...unless the second argument asks for falsy values too */
	ok("nul | default('x', true)", "\"x\"");
	ok("empty | default('x', true)", "\"x\"");
	ok("zero | default(5, boolean=true)", "5");
	ok("el | default([1], true)", "[1]");
	ok("s | default('x', true)", "\"hello\"");
	/* chains of missing attributes and keys are absorbed too */
	ok("foo.bar.baz | default(1)", "1");
	ok("d.zz.yy | default(2)", "2");
	ok("d['zz'] | default(3)", "3");
	ok("l[10] | default(4)", "4");
	ok("el | first | default('none')", "\"none\"");
	ok("foo | default(d.a)", "1");
	ok("foo | default(none)", "null");
	ok("foo | default(bar | default(7))", "7");
	ok("(foo | default(1)) + 1", "2");
	ok("foo | default(1) + 1", "2");
	no_leaks();
}

Test(expr, filter_mandatory_ternary)
{
	ok("s | mandatory", "\"hello\"");
	fails("foo | mandatory", MU_E_NOTFOUND, "'foo' is undefined");
	fails("foo | mandatory('set foo please')", MU_E_NOTFOUND, "set foo please");
	ok("t | ternary('on', 'off')", "\"on\"");
	ok("fl | ternary('on', 'off')", "\"off\"");
	ok("nul | ternary('on', 'off')", "\"off\"");
	ok("nul | ternary('on', 'off', 'unset')", "\"unset\"");
	ok("(n > 2) | ternary(1, 2)", "1");
	no_leaks();
}

Test(expr, filter_bool)
{
	ok("'yes' | bool", "true");
	ok("'Yes' | bool", "true");
	ok("'on' | bool", "true");
	ok("'TRUE' | bool", "true");
	ok("'1' | bool", "true");
	ok("'y' | bool", "true");
	ok("'t' | bool", "true");
	ok("' true ' | bool", "true");
	ok("'no' | bool", "false");
	ok("'OFF' | bool", "false");
	ok("'false' | bool", "false");
	ok("'0' | bool", "false");
	ok("'n' | bool", "false");
	ok("'' | bool", "false");
	ok("true | bool", "true");
	ok("0 | bool", "false");
	ok("2 | bool", "true");
	ok("nul | bool", "false");
	fails("word | bool", MU_E_ARG,
	      "cannot convert 'maybe' to a boolean (use yes/no, true/false, on/off or 1/0)");
	fails("l | bool", MU_E_ARG, "cannot convert 'list' to a boolean");
	no_leaks();
}

Test(expr, filter_numbers)
{
	ok("'42' | int", "42");
	ok("' -42 ' | int", "-42");
	ok("'4.7' | int", "4");
	ok("4.7 | int", "4");
	ok("-4.7 | int", "-4");
	ok("true | int", "1");
	ok("'abc' | int", "0");
	ok("'abc' | int(7)", "7");
	ok("nul | int", "0");
	ok("'ff' | int(base=16)", "255");
	ok("'0x1f' | int(0, 16)", "31");
	ok("'0644' | int(base=8)", "420");
	ok("'1_000' | int", "1000");
	ok("'2.5' | float", "2.5");
	ok("3 | float", "3.0");
	ok("'x' | float", "0.0");
	ok("'x' | float(1.5)", "1.5");
	ok("-3 | abs", "3");
	ok("neg | abs", "7");
	ok("-2.5 | abs", "2.5");
	ok("2.5 | round", "2.0");
	ok("3.5 | round", "4.0");
	ok("2.567 | round(2)", "2.57");
	ok("2.1 | round(0, 'ceil')", "3.0");
	ok("2.9 | round(method='floor')", "2.0");
	ok("3 | round", "3.0");
	fails("'x' | abs", MU_E_ARG, "filter 'abs' expects a number, got 'str'");
	fails("1.5 | round(1, 'up')", MU_E_ARG, "filter 'round': method must be 'common', 'ceil' or 'floor'");
	fails("1.5 | round(-1)", MU_E_ARG, "filter 'round': precision must be an integer from 0 to 15");
	fails("'1' | int(base=99)", MU_E_ARG, "filter 'int': base must be 0 or an integer from 2 to 36");
	no_leaks();
}

Test(expr, filter_strings)
{
	ok("n | string", "\"3\"");
	ok("t | string", "\"True\"");
	ok("nul | string", "\"None\"");
	ok("l | string", "\"[1, 2, 3]\"");
	ok("'ABC' | lower", "\"abc\"");
	ok("'abc' | upper", "\"ABC\"");
	ok("uni | upper", "\"H\u00e9LLO\"");
	ok("'hELLO wORLD' | capitalize", "\"Hello world\"");
	ok("ws | trim", "\"a b\\tc\"");
	ok("'xxaxx' | trim('x')", "\"a\"");
	ok("'a-b-c' | replace('-', '+')", "\"a+b+c\"");
	ok("'a-b-c' | replace('-', '', 1)", "\"ab-c\"");
	ok("'ab' | replace('', '.')", "\".a.b.\"");
	ok("n | replace('3', 'three')", "\"three\"");
	ok("csv | split(',')", "[\"a\", \"b\", \"\", \"c\"]");
	ok("csv | split(',', 1)", "[\"a\", \"b,,c\"]");
	ok("ws | split", "[\"a\", \"b\", \"c\"]");
	ok("ws | split(maxsplit=1)", "[\"a\", \"b\\tc\"]");
	ok("'' | split", "[]");
	ok("'' | split(',')", "[\"\"]");
	ok("'plain-word_1.2/x' | quote", "\"plain-word_1.2/x\"");
	ok("'two words' | quote", "\"'two words'\"");
	ok("\"it's\" | quote", "\"'it'\\\"'\\\"'s'\"");
	ok("'' | quote", "\"''\"");
	ok("nul | quote", "\"''\"");
	ok("'$(rm -rf /)' | quote", "\"'$(rm -rf /)'\"");
	ok("path | basename", "\"10-podman.conf\"");
	ok("path | dirname", "\"/etc/sysctl.d\"");
	ok("'/a/b/' | basename", "\"\"");
	ok("'/a/b/' | dirname", "\"/a/b\"");
	ok("'file' | dirname", "\"\"");
	ok("'/file' | dirname", "\"/\"");
	ok("'//x' | dirname", "\"//\"");
	ok("'file' | basename", "\"file\"");
	ok("d.b | to_json", "\"{\\\"c\\\": \\\"deep\\\"}\"");
	ok("[1, 'a', none, true, 0.1] | to_json", "\"[1, \\\"a\\\", null, true, 0.1]\"");
	ok("{'b': 1, 'a': [1]} | to_nice_json", "\"{\\n    \\\"a\\\": [\\n        1\\n    ],\\n    \\\"b\\\": 1\\n}\"");
	ok("{'b': 1, 'a': 2} | to_json(sort_keys=true)", "\"{\\\"a\\\": 2, \\\"b\\\": 1}\"");
	ok("'line\\n\"q\"' | to_json", "\"\\\"line\\\\n\\\\\\\"q\\\\\\\"\\\"\"");
	ok("jtext | from_json", "{\"a\": [1, 2]}");
	ok("'42' | from_json", "42");
	ok("(d | to_json | from_json) == d", "true");
	ok("s | type_debug", "\"str\"");
	ok("l | type_debug", "\"list\"");
	ok("nul | type_debug", "\"NoneType\"");
	fails("'{' | from_json", MU_E_ARG,
	      "filter 'from_json': string or '}' expected near end of file at line 1 column 1");
	fails("n | from_json", MU_E_ARG, "filter 'from_json' expects a string, got 'int'");
	fails("n | basename", MU_E_ARG, "filter 'basename' expects a string, got 'int'");
	fails("s | split('')", MU_E_ARG, "filter 'split': empty separator");
	fails("s | replace(1, 'x')", MU_E_ARG, "filter 'replace': argument 'old' must be a string, got 'int'");
	no_leaks();
}

Test(expr, filter_sequences)
{
	ok("l | length", "3");
	ok("s | count", "5");
	ok("uni | length", "5");
	ok("d | length", "3");
	ok("l | first", "1");
	ok("l | last", "3");
	ok("s | first", "\"h\"");
	ok("l | join(',')", "\"1,2,3\"");
	ok("l | join", "\"123\"");
	ok("users | join(', ', attribute='name')", "\"x, y\"");
	ok("ed | list", "[]");
	ok("{'a': 1, 'b': 2} | list", "[\"a\", \"b\"]");
	ok("'ab' | list", "[\"a\", \"b\"]");
	ok("[3, 1, 3, 2, 1] | unique", "[3, 1, 2]");
	ok("['a', 'A', 'b'] | unique", "[\"a\", \"b\"]");
	ok("['a', 'A', 'b'] | unique(case_sensitive=true)", "[\"a\", \"A\", \"b\"]");
	ok("users | unique(attribute='admin') | map(attribute='name') | list", "[\"x\", \"y\"]");
	ok("[3, 1, 2] | sort", "[1, 2, 3]");
	ok("[3, 1, 2] | sort(reverse=true)", "[3, 2, 1]");
	ok("names | sort", "[\"A\", \"a\", \"b\", \"c\"]");
	ok("names | sort(case_sensitive=true)", "[\"A\", \"a\", \"b\", \"c\"]");
	ok("['b', 'a', 'B'] | sort(case_sensitive=true)", "[\"B\", \"a\", \"b\"]");
	ok("['b', 'a', 'B'] | sort", "[\"a\", \"b\", \"B\"]");
	ok("users | sort(attribute='uid', reverse=true) | map(attribute='name') | list", "[\"y\", \"x\"]");
	ok("users | sort(attribute='home.dir') | first", "{\"name\": \"x\", \"uid\": 1000, \"admin\": true, \"home\": {\"dir\": \"/h/x\"}}");
	ok("l | reverse", "[3, 2, 1]");
	ok("s | reverse", "\"olleh\"");
	ok("[3, 1, 2] | min", "1");
	ok("[3, 1, 2] | max", "3");
	ok("names | min", "\"A\"");
	ok("(users | max(attribute='uid')).name", "\"y\"");
	ok("l | sum", "6");
	ok("[1, 2.5] | sum", "3.5");
	ok("users | sum(attribute='uid')", "2001");
	ok("l | sum(start=10)", "16");
	ok("[[1], [2, 3]] | sum(start=[])", "[1, 2, 3]");
	ok("[1, [2, [3, [4]]]] | flatten", "[1, 2, 3, 4]");
	ok("[1, [2, [3, [4]]]] | flatten(1)", "[1, 2, [3, [4]]]");
	ok("[1, none, [none, 2]] | flatten", "[1, 2]");
	ok("[1, 2, 3] | difference([2])", "[1, 3]");
	ok("[1, 2, 2, 3] | intersect([2, 3, 4])", "[2, 3]");
	ok("[1, 2] | union([2, 3])", "[1, 2, 3]");
	fails("n | length", MU_E_ARG, "object of type 'int' has no length");
	fails("n | first", MU_E_ARG, "filter 'first' expects a list, got 'int'");
	fails("el | first", MU_E_NOTFOUND, "no first item, the sequence is empty");
	fails("el | max", MU_E_NOTFOUND, "no max item, the sequence is empty");
	fails("[1, 'a'] | sort", MU_E_ARG, "cannot compare 'str' with 'int'");
	fails("users | sort(attribute='nope')", MU_E_NOTFOUND, "filter 'sort': an item has no attribute 'nope'");
	fails("['a', 1] | sum", MU_E_ARG, "filter 'sum': unsupported operand type 'str'");
	fails("n | difference([1])", MU_E_ARG, "filter 'difference' expects two lists, got 'int' and 'list'");
	fails("s | flatten", MU_E_ARG, "filter 'flatten' expects a list, got 'str'");
	no_leaks();
}

Test(expr, filter_dicts)
{
	ok("{'a': 1, 'b': 2} | dict2items",
	   "[{\"key\": \"a\", \"value\": 1}, {\"key\": \"b\", \"value\": 2}]");
	ok("{'a': 1} | dict2items(key_name='k', value_name='v')", "[{\"k\": \"a\", \"v\": 1}]");
	ok("[{'key': 'a', 'value': 1}, {'key': 2, 'value': 'x'}] | items2dict", "{\"a\": 1, \"2\": \"x\"}");
	ok("[{'n': 'a', 'v': 1}] | items2dict(key_name='n', value_name='v')", "{\"a\": 1}");
	ok("({'a': 1} | dict2items | items2dict) == {'a': 1}", "true");
	ok("{'a': 1, 'b': {'x': 1}} | combine({'b': {'y': 2}, 'c': 3})", "{\"a\": 1, \"b\": {\"y\": 2}, \"c\": 3}");
	ok("{'a': 1, 'b': {'x': 1}} | combine({'b': {'y': 2}}, recursive=true)",
	   "{\"a\": 1, \"b\": {\"x\": 1, \"y\": 2}}");
	ok("{'a': [1]} | combine({'a': [2]}, list_merge='append')", "{\"a\": [1, 2]}");
	ok("{'a': [1]} | combine({'a': [2]}, list_merge='prepend')", "{\"a\": [2, 1]}");
	ok("{'a': [1]} | combine({'a': [2]}, list_merge='keep')", "{\"a\": [1]}");
	ok("{'a': 1} | combine({'a': 2}, {'a': 3})", "{\"a\": 3}");
	ok("{'a': 1} | combine([{'b': 2}, {'c': 3}])", "{\"a\": 1, \"b\": 2, \"c\": 3}");
	ok("d.b | combine({})", "{\"c\": \"deep\"}");
	fails("l | dict2items", MU_E_ARG, "filter 'dict2items' expects a dict, got 'list'");
	fails("[{'key': 'a'}] | items2dict", MU_E_ARG, "filter 'items2dict': item 0 lacks 'key' or 'value'");
	fails("l | combine({})", MU_E_ARG, "filter 'combine' expects a dict, got 'list'");
	fails("d | combine(1)", MU_E_ARG, "filter 'combine' expects dicts, got 'int'");
	fails("d | combine({}, list_merge='zip')", MU_E_ARG,
	      "filter 'combine': list_merge must be 'replace', 'keep', 'append' or 'prepend'");
	no_leaks();
}

Test(expr, filter_map_select)
{
	ok("users | map(attribute='name') | list", "[\"x\", \"y\"]");
	ok("users | map(attribute='home.dir') | list", "[\"/h/x\", \"/h/y\"]");
	ok("users | map(attribute='shell', default='/bin/sh') | list", "[\"/bin/sh\", \"/bin/sh\"]");
	ok("names | map('upper') | list", "[\"B\", \"A\", \"C\", \"A\"]");
	ok("['1', '2'] | map('int') | sum", "3");
	ok("['a-b', 'c-d'] | map('replace', '-', '+') | join(' ')", "\"a+b c+d\"");
	ok("[1, 2, 3, 4] | select('odd') | list", "[1, 3]");
	ok("[1, 2, 3, 4] | reject('odd')", "[2, 4]");
	ok("[0, 1, '', 'a', none] | select", "[1, \"a\"]");
	ok("[1, 5, 10] | select('gt', 4)", "[5, 10]");
	ok("[1, 5, 10] | select('>=', 5)", "[5, 10]");
	ok("[1, 5, 10] | select('divisibleby', 5)", "[5, 10]");
	ok("[1, 2] | select('in', [2, 3])", "[2]");
	ok("users | selectattr('admin') | map(attribute='name') | list", "[\"x\"]");
	ok("users | rejectattr('admin') | map(attribute='name') | list", "[\"y\"]");
	ok("users | selectattr('uid', 'equalto', 1001) | map(attribute='name') | first", "\"y\"");
	ok("users | selectattr('name', '==', 'x') | list | length", "1");
	ok("users | selectattr('shell', 'defined') | list", "[]");
	ok("users | selectattr('shell', 'undefined') | length", "2");
	ok("users | selectattr('home.dir', 'eq', '/h/y') | map(attribute='uid') | first", "1001");
	fails("users | map(attribute='shell') | list", MU_E_NOTFOUND,
	      "filter 'map': an item has no attribute 'shell'");
	fails("users | selectattr('shell') | list", MU_E_NOTFOUND,
	      "filter 'selectattr': item 0 has no attribute 'shell'");
	fails("l | map(key)", MU_E_ARG, "unsupported filter 'a'");
	fails("l | map", MU_E_ARG, "filter 'map' needs a filter name or attribute=");
	fails("l | map(attr='x')", MU_E_ARG, "filter 'map' has no argument 'attr'");
	fails("l | select(key)", MU_E_ARG, "unsupported test 'a'");
	fails("l | selectattr(1)", MU_E_ARG, "filter 'selectattr' needs an attribute name");
	fails("s | select('odd')", MU_E_ARG, "test 'odd' expects an integer, got 'str'");
	no_leaks();
}

Test(expr, tests)
{
	ok("n is defined", "true");
	ok("foo is defined", "false");
	ok("foo is not defined", "true");
	ok("foo is undefined", "true");
	ok("d.zz is undefined", "true");
	ok("foo.bar is defined", "false");
	ok("l[9] is defined", "false");
	ok("nul is defined", "true");
	ok("nul is none", "true");
	ok("s is none", "false");
	ok("s is not none", "true");
	ok("t is true", "true");
	ok("1 is true", "false");
	ok("fl is false", "true");
	ok("t is boolean", "true");
	ok("1 is boolean", "false");
	ok("s is string", "true");
	ok("n is string", "false");
	ok("n is number", "true");
	ok("f is number", "true");
	ok("t is number", "false");
	ok("n is integer", "true");
	ok("f is integer", "false");
	ok("f is float", "true");
	ok("d is mapping", "true");
	ok("l is mapping", "false");
	ok("l is sequence", "true");
	ok("s is sequence", "true");
	ok("n is sequence", "false");
	ok("d is iterable", "true");
	ok("4 is even", "true");
	ok("3 is odd", "true");
	ok("3 is even", "false");
	ok("10 is divisibleby 5", "true");
	ok("10 is divisibleby(3)", "false");
	ok("n is eq 3", "true");
	ok("n is equalto(3)", "true");
	ok("n is ne 3", "false");
	ok("n is lt 4", "true");
	ok("n is le 3", "true");
	ok("n is gt 3", "false");
	ok("n is ge 3", "true");
	ok("n is greaterthan 1", "true");
	ok("n is lessthan 1", "false");
	ok("2 is in l", "true");
	ok("l is contains 3", "true");
	ok("s is contains 'ell'", "true");
	ok("n is divisibleby 3 and s is string", "true");
	fails("s is even", MU_E_ARG, "test 'even' expects an integer, got 'str'");
	ok("4.0 is even", "true");
	fails("4.5 is even", MU_E_ARG, "test 'even' expects an integer, got 'float'");
	fails("1e20 is odd", MU_E_ARG, "test 'odd': number out of range");
	fails("[2.5] | reject('odd')", MU_E_ARG, "test 'odd' expects an integer, got 'float'");
	fails("[55424905816426266266.0] | reject('odd')", MU_E_ARG, "test 'odd': number out of range");
	fails("3 is divisibleby 0", MU_E_ARG, "test 'divisibleby': division by zero");
	fails("n is lt 'a'", MU_E_ARG, "cannot compare 'int' with 'str'");
	fails("n is in 3", MU_E_ARG, "test 'in' expects a list, got 'int'");
	no_leaks();
}

Test(expr, comparison_tests_by_symbol)
{
	ok("[1, 5, 10] | select('<', 5)", "[1]");
	ok("[1, 5, 10] | select('<=', 5)", "[1, 5]");
	ok("[1, 5, 10] | select('>', 5)", "[10]");
	ok("[1, 5, 10] | select('==', 5)", "[5]");
	ok("[1, 5, 10] | select('!=', 5)", "[1, 10]");
	ok("[1, 5, 10] | reject('equalto', 5)", "[1, 10]");
	ok("[res_ok, res_fail] | select('successful') | length", "1");
	no_leaks();
}

Test(expr, more_error_messages)
{
	fails("{[1]: 2}", MU_E_ARG, "dict keys must be strings, not 'list'");
	fails("-(-big - 1)", MU_E_ARG, "integer overflow in unary -");
	fails("(-big - 1) | abs", MU_E_ARG, "integer overflow in 'abs'");
	fails("(-big - 1) // -1", MU_E_ARG, "integer overflow in '//'");
	ok("(-big - 1) % -1", "0");
	fails("[big, 1] | sum", MU_E_ARG, "integer overflow in 'sum'");
	fails("(-8) ** 0.5", MU_E_ARG, "negative number cannot be raised to a fractional power");
	fails("s | trim(1)", MU_E_ARG, "filter 'trim': argument 'chars' must be a string, got 'int'");
	fails("s | split(',', 'x')", MU_E_ARG, "filter 'split': argument 'maxsplit' must be an integer");
	fails("s | replace('a', 'b', 'c')", MU_E_ARG, "filter 'replace': argument 'count' must be an integer");
	fails("l | to_json(indent=-1)", MU_E_ARG, "filter 'to_json': indent must be an integer from 0 to 32");
	fails("l | to_nice_json('x')", MU_E_ARG, "filter 'to_nice_json': indent must be an integer from 0 to 32");
	fails("l | flatten(-1)", MU_E_ARG, "filter 'flatten': levels must be a non-negative integer");
	fails("l | join(1)", MU_E_ARG, "filter 'join': argument 'd' must be a string, got 'int'");
	fails("l | join(attribute=[1])", MU_E_ARG, "filter 'join': argument 'attribute' must be a string");
	fails("l | sum(start='x')", MU_E_ARG, "filter 'sum': start must be a number or a list");
	fails("l | sum(start=[])", MU_E_ARG, "filter 'sum': cannot add 'int' to a list");
	fails("[{'key': [1], 'value': 1}] | items2dict", MU_E_ARG,
	      "filter 'items2dict': key of item 0 must be a string, not 'list'");
	fails("l | items2dict", MU_E_ARG, "filter 'items2dict': item 0 lacks 'key' or 'value'");
	fails("d | dict2items(key_name=1)", MU_E_ARG,
	      "filter 'dict2items': argument 'key_name' must be a string, got 'int'");
	fails("l | map(1)", MU_E_ARG, "filter 'map': the filter name must be a string");
	fails("l | select(x=1)", MU_E_ARG, "filter 'select' takes no keyword arguments");
	fails("l | select(1)", MU_E_ARG, "filter 'select': the test name must be a string");
	fails("l | int(base='x')", MU_E_ARG, "filter 'int': base must be 0 or an integer from 2 to 36");
	fails("l | round", MU_E_ARG, "filter 'round' expects a number, got 'list'");
	fails("l | round(1, 2)", MU_E_ARG, "filter 'round' expects a number, got 'list'");
	fails("1.5 | round(1, 2)", MU_E_ARG, "filter 'round': argument 'method' must be a string, got 'int'");
	fails("n | dirname", MU_E_ARG, "filter 'dirname' expects a string, got 'int'");
	fails("n | reverse", MU_E_ARG, "filter 'reverse' expects a list, got 'int'");
	fails("n | sort", MU_E_ARG, "filter 'sort' expects a list, got 'int'");
	fails("n | unique", MU_E_ARG, "filter 'unique' expects a list, got 'int'");
	fails("n | join", MU_E_ARG, "filter 'join' expects a list, got 'int'");
	fails("n | map('string')", MU_E_ARG, "filter 'map' expects a list, got 'int'");
	fails("n | select", MU_E_ARG, "filter 'select' expects a list, got 'int'");
	fails("n | min", MU_E_ARG, "filter 'min' expects a list, got 'int'");
	fails("n | sum", MU_E_ARG, "filter 'sum' expects a list, got 'int'");
	fails("n | list", MU_E_ARG, "filter 'list' expects a list, got 'int'");
	fails("[1, 'a'] | max", MU_E_ARG, "cannot compare 'str' with 'int'");
	fails("n | items2dict", MU_E_ARG, "filter 'items2dict' expects a list, got 'int'");
	fails("n | union([])", MU_E_ARG, "filter 'union' expects two lists, got 'int' and 'list'");
	fails("[] | intersect(n)", MU_E_ARG, "filter 'intersect' expects two lists, got 'list' and 'int'");
	no_leaks();
}

Test(expr, result_tests)
{
	ok("res_ok is succeeded", "true");
	ok("res_ok is success", "true");
	ok("res_ok is failed", "false");
	ok("res_ok is changed", "false");
	ok("res_ok is skipped", "false");
	ok("res_ch is changed", "true");
	ok("res_ch is succeeded", "true");
	ok("res_fail is failed", "true");
	ok("res_fail is failure", "true");
	ok("res_fail is succeeded", "false");
	ok("res_fail is not failed", "false");
	ok("res_skip is skipped", "true");
	ok("res_skip is skip", "true");
	ok("res_loop is changed", "true");
	ok("res_loop is change", "true");
	ok("res_loop is failed", "false");
	ok("res_loop is skipped", "false");
	ok("{'results': [{'skipped': true}, {'status': 'skipped'}]} is skipped", "true");
	ok("{'changed': true} is changed", "true");
	fails("s is changed", MU_E_ARG, "test 'changed' expects a registered task result (a dict), got 'str'");
	fails("foo is failed", MU_E_NOTFOUND, "'foo' is undefined");
	no_leaks();
}

Test(expr, filter_precedence)
{
	/* a filter applies to the nearest operand, not to the whole sum */
	ok("1 + '2' | int", "3");
	ok("'a' ~ 'b' | upper", "\"aB\"");
	ok("('a' ~ 'b') | upper", "\"AB\"");
	ok("-3 | abs", "3");
	ok("names | sort | first | lower", "\"a\"");
	ok("d.b.c | upper", "\"DEEP\"");
	ok("l | length > 2", "true");
	ok("not el | length", "true");
	ok("s | length is odd", "true");
	no_leaks();
}

Test(expr, conditions)
{
	cr_assert(cond("n == 3"));
	cr_assert(!cond("n != 3"));
	cr_assert(cond("{{ n == 3 }}"));
	cr_assert(cond("  {{ n > 1 }}  "));
	cr_assert(!cond("{{ fl }}"));
	/* bare variables holding YAML-1.1 boolean words read as booleans */
	cr_assert(!cond("no"));
	cr_assert(cond("yes"));
	cr_assert(!cond("off"));
	cr_assert(cond("tru"));
	cr_assert(cond("one"));
	cr_assert(!cond("opts.enabled"));
	cr_assert(!cond("opts['enabled']"));
	cr_assert(!cond("{{ no }}"));
	/* other strings keep Python truthiness */
	cr_assert(cond("word"));
	cr_assert(cond("s"));
	cr_assert(!cond("empty"));
	/* only a bare reference is reinterpreted, not an expression */
	cr_assert(cond("no ~ ''"));
	cr_assert(cond("no | bool == false"));
	cr_assert(!cond("no | bool"));
	cr_assert(cond("not no | bool"));
	cr_assert(!cond("nul"));
	cr_assert(!cond("el"));
	cr_assert(cond("foo is not defined"));
	cr_assert(cond("foo | default(true)"));
	cr_assert(cond("res_ch is changed"));

	json_t *vars = scope();
	struct mu_err e;
	bool res = true;

	cr_assert_eq(mu_expr_cond("foo", vars, &res, &e), MU_E_NOTFOUND);
	cr_assert_str_eq(e.msg, "'foo' is undefined");
	cr_assert(!res);
	cr_assert_eq(mu_expr_cond("", vars, &res, &e), MU_E_PARSE);
	cr_assert_str_eq(e.msg, "empty condition at column 1");
	cr_assert_eq(mu_expr_cond("{{ n }} == 3", vars, &res, &e), MU_E_PARSE);
	cr_assert_str_eq(e.msg, "a condition is a bare expression: '{{ }}' may only wrap all of it at column 1");
	cr_assert_eq(mu_expr_cond("n == {{ n }}", vars, &res, &e), MU_E_PARSE);
	cr_assert_str_eq(e.msg, "a condition is a bare expression: '{{ }}' may only wrap all of it at column 6");
	cr_assert_eq(mu_expr_cond("{% if x %}", vars, &res, &e), MU_E_PARSE);
	cr_assert_str_eq(e.msg, "unsupported template statement '{% if %}' (only {{ }} expressions are supported) at column 1");
	cr_assert_eq(mu_expr_cond("n ==", vars, &res, &e), MU_E_PARSE);
	cr_assert_str_eq(e.msg, "expected an expression, found end of expression at column 5");
	cr_assert_eq(mu_expr_cond_check("n | regex_search('x')", &e), MU_E_PARSE);
	cr_assert_str_eq(e.msg, "unsupported filter 'regex_search' (regular expressions are not supported) at column 5");
	cr_assert_eq(mu_expr_cond_check("{{ n | nope }}", &e), MU_E_PARSE);
	cr_assert_str_eq(e.msg, "unsupported filter 'nope' at column 8");
	cr_assert_eq(mu_expr_cond_check("n > 1", &e), 0);
	cr_assert_eq(mu_expr_cond_check("{{ n > 1 }}", NULL), 0);
	int col = -1;
	cr_assert_eq(mu_expr_cond_check_col("n is bogus", &col, &e), MU_E_PARSE);
	cr_assert_str_eq(e.msg, "unsupported test 'bogus'");
	cr_assert_eq(col, 6);
	json_decref(vars);
	no_leaks();
}

static json_t *J(const char *s)
{
	json_error_t je;
	json_t *v = json_loads(s, JSON_DECODE_ANY, &je);

	cr_assert_not_null(v, "%s: %s", s, je.text);
	return v;
}

Test(expr, when_lists)
{
	json_t *vars = scope(), *w;
	struct mu_err e;
	bool res;

	cr_assert_eq(mu_when_eval(NULL, vars, &res, &e), 0);
	cr_assert(res);
	w = J("null");
	cr_assert_eq(mu_when_eval(w, vars, &res, &e), 0);
	cr_assert(res);
	json_decref(w);
	w = J("true");
	cr_assert_eq(mu_when_eval(w, vars, &res, &e), 0);
	cr_assert(res);
	json_decref(w);
	w = J("false");
	cr_assert_eq(mu_when_eval(w, vars, &res, &e), 0);
	cr_assert(!res);
	json_decref(w);
	w = J("\"n == 3\"");
	cr_assert_eq(mu_when_eval(w, vars, &res, &e), 0);
	cr_assert(res);
	json_decref(w);
	w = J("[\"n == 3\", \"s is defined\", true]");
	cr_assert_eq(mu_when_eval(w, vars, &res, &e), 0);
	cr_assert(res);
	json_decref(w);
	w = J("[\"n == 3\", \"no\"]");
	cr_assert_eq(mu_when_eval(w, vars, &res, &e), 0);
	cr_assert(!res);
	json_decref(w);
	/* stops at the first false item: the undefined one is never evaluated */
	w = J("[\"n == 4\", \"foo\"]");
	cr_assert_eq(mu_when_eval(w, vars, &res, &e), 0);
	cr_assert(!res);
	json_decref(w);
	w = J("[\"n == 3\", \"foo\"]");
	cr_assert_eq(mu_when_eval(w, vars, &res, &e), MU_E_NOTFOUND);
	cr_assert_str_eq(e.msg, "when[1]: 'foo' is undefined");
	cr_assert(!res);
	cr_assert_eq(mu_when_check(w, &e), 0);
	json_decref(w);
	w = J("[\"n == 3\", \"n ==\"]");
	cr_assert_eq(mu_when_check(w, &e), MU_E_PARSE);
	cr_assert_str_eq(e.msg, "when[1]: expected an expression, found end of expression at column 5");
	json_decref(w);
	w = J("[{\"a\": 1}]");
	cr_assert_eq(mu_when_check(w, &e), MU_E_PARSE);
	cr_assert_str_eq(e.msg, "when[0]: a condition must be a string or a boolean, not 'dict'");
	cr_assert_eq(mu_when_eval(w, vars, &res, &e), MU_E_PARSE);
	json_decref(w);
	json_decref(vars);
	no_leaks();
}

Test(expr, parse_errors)
{
	bad("n | regex_replace('a', 'b')",
	    "unsupported filter 'regex_replace' (regular expressions are not supported) at column 5");
	bad("n | nope", "unsupported filter 'nope' at column 5");
	bad("n is bogus", "unsupported test 'bogus' at column 6");
	bad("n is match('x')", "unsupported test 'match' at column 6");
	bad("s.split(',')", "unsupported method call 's.split()' (use a filter) at column 3");
	bad("d.keys()", "unsupported method call 'd.keys()' (use a filter) at column 3");
	bad("lookup('env', 'HOME')", "unsupported function call 'lookup()' at column 1");
	bad("query('x')", "unsupported function call 'query()' at column 1");
	bad("(s)()", "unsupported call 's()' at column 4");
	bad("l | map(lambda x: x)", "unsupported construct 'lambda' at column 9");
	bad("", "expected an expression, found end of expression at column 1");
	bad("   ", "expected an expression, found end of expression at column 4");
	bad("1 +", "expected an expression, found end of expression at column 4");
	bad("(1", "expected ')', found end of expression at column 3");
	bad("[1, 2", "expected ']', found end of expression at column 6");
	bad("{'a' 1}", "expected ':', found '1' at column 6");
	bad("{'a': 1", "expected '}', found end of expression at column 8");
	bad("a b", "unexpected 'b' (missing operator?) at column 3");
	bad("a )", "unexpected ')' at column 3");
	bad("a and", "expected an expression, found end of expression at column 6");
	bad("and", "unexpected 'and' at column 1");
	bad("1 if x", "inline 'if' without 'else' is not supported at column 3");
	bad("x !", "unexpected character '!' (use 'not') at column 3");
	bad("x = 1", "unexpected '=' at column 3");
	bad("x @ 1", "unexpected character '@' at column 3");
	bad("x ; y", "unexpected character ';' at column 3");
	bad("'h\u00e9' @", "unexpected character '@' at column 6");
	bad("x $ y", "unexpected character '$' at column 3");
	bad("\u00e9", "unexpected character '\u00e9' at column 1");
	bad("'abc", "unterminated string at column 1");
	bad("\"abc'", "unterminated string at column 1");
	bad("'\\x4'", "truncated '\\x' escape in string at column 2");
	bad("'\\ud800'", "invalid code point in '\\u' escape at column 2");
	bad("0644", "leading zeros in integer literal '0644' are not allowed (write 0o644 for octal) at column 1");
	bad("99999999999999999999", "integer literal too large at column 1");
	bad("1e999", "float literal out of range at column 1");
	bad("12abc", "malformed number literal at column 1");
	bad("0x", "malformed number literal at column 1");
	bad("x.", "expected an attribute name after '.', found end of expression at column 3");
	bad("x.'a'", "expected an attribute name after '.', found string 'a' at column 3");
	bad("x 'a'", "unexpected string 'a' at column 3");
	bad("x[]", "empty subscript at column 3");
	bad("x[1", "expected ']', found end of expression at column 4");
	bad("x |", "expected a filter name after '|', found end of expression at column 4");
	bad("x | 1", "expected a filter name after '|', found '1' at column 5");
	bad("x is", "expected a test name after 'is', found end of expression at column 5");
	bad("x is divisibleby", "test 'divisibleby' takes 1 argument, 0 given at column 6");
	bad("x is defined(1)", "test 'defined' takes 0 arguments, 1 given at column 6");
	bad("x is eq(a=1)", "test 'eq' takes no keyword arguments at column 11");
	bad("x | default(1, 2, 3)", "filter 'default' takes at most 2 arguments, 3 given at column 5");
	bad("x | upper(1)", "filter 'upper' takes 0 arguments, 1 given at column 5");
	bad("x | replace('a')", "filter 'replace' needs argument 'new' at column 5");
	bad("x | join(sep=',')", "filter 'join' has no argument 'sep' at column 5");
	bad("x | join(',', d=',')", "filter 'join' got argument 'd' twice at column 5");
	bad("x | sort(reverse=1, reverse=2)", "keyword argument 'reverse' given twice at column 21");
	bad("x | join(d=',', 1)", "positional argument after keyword argument at column 17");
	bad("x | combine(y, deep=true)", "filter 'combine' has no argument 'deep' at column 5");
	bad("x | map('nope')", "unsupported filter 'nope' at column 9");
	bad("x | map('upper', 1)", "filter 'upper' takes 0 arguments, 1 given at column 9");
	bad("x | select('nope')", "unsupported test 'nope' at column 12");
	bad("x | select('odd', 2)", "test 'odd' takes 0 arguments, 1 given at column 12");
	bad("x | selectattr('a', 'eq')", "test 'eq' takes 1 argument, 0 given at column 21");
	bad("x | rejectattr('a', 'bogus')", "unsupported test 'bogus' at column 21");
	bad("}}", "unexpected '}' at column 1");
	bad("{{ x }}", "expected ':', found '}' at column 6");
	no_leaks();
}

Test(expr, parse_columns_are_characters)
{
	int col = 0;
	struct mu_err e;

	/* two-byte characters before the error count once */
	cr_assert_eq(mu_expr_check_col("'\u00e9\u00e9' | nope", &col, &e), MU_E_PARSE);
	cr_assert_eq(col, 8);
	cr_assert_str_eq(e.msg, "unsupported filter 'nope'");
	cr_assert_eq(mu_expr_check_col("n + 1", &col, &e), 0);
	cr_assert_eq(col, 0);
	cr_assert_eq(mu_expr_check_col("n +", NULL, &e), MU_E_PARSE);
	cr_assert_str_eq(e.msg, "expected an expression, found end of expression");
	/* NULL error pointers are allowed */
	cr_assert_eq(mu_expr_check("n +", NULL), MU_E_PARSE);
	cr_assert_eq(mu_expr_check("n + 1", NULL), 0);
	cr_assert_eq(mu_expr_check("'\xff'", &e), MU_E_PARSE);
	cr_assert_str_eq(e.msg, "expression is not valid UTF-8 at column 1");
	no_leaks();
}

Test(expr, depth_limits)
{
	char buf[2000];
	struct mu_err e;
	size_t k = 0;

	/* 60 parentheses are fine */
	for (int i = 0; i < 60; i++)
		buf[k++] = '(';
	buf[k++] = '1';
	for (int i = 0; i < 60; i++)
		buf[k++] = ')';
	buf[k] = '\0';
	cr_assert_eq(mu_expr_check(buf, &e), 0, "%s", e.msg);
	/* 500 are refused, not a stack overflow */
	k = 0;
	for (int i = 0; i < 500; i++)
		buf[k++] = '[';
	for (int i = 0; i < 500; i++)
		buf[k++] = ']';
	buf[k] = '\0';
	cr_assert_eq(mu_expr_check(buf, &e), MU_E_PARSE);
	cr_assert_str_eq(e.msg, "expression nested too deeply (more than 64 levels) at column 65");
	/* so are long chains that would build a tall tree without nesting */
	k = 0;
	for (int i = 0; i < 300; i++) {
		memcpy(buf + k, "1+", 2);
		k += 2;
	}
	buf[k++] = '1';
	buf[k] = '\0';
	cr_assert_eq(mu_expr_check(buf, &e), MU_E_PARSE);
	cr_assert_str_eq(e.msg, "expression nested too deeply (more than 64 levels) at column 1");
	k = 0;
	buf[k++] = 'x';
	for (int i = 0; i < 300; i++) {
		memcpy(buf + k, ".a", 2);
		k += 2;
	}
	buf[k] = '\0';
	cr_assert_eq(mu_expr_check(buf, &e), MU_E_PARSE);
	k = 0;
	for (int i = 0; i < 300; i++) {
		memcpy(buf + k, "not ", 4);
		k += 4;
	}
	buf[k++] = 'x';
	buf[k] = '\0';
	cr_assert_eq(mu_expr_check(buf, &e), MU_E_PARSE);
	k = 0;
	for (int i = 0; i < 300; i++)
		buf[k++] = '-';
	buf[k++] = '1';
	buf[k] = '\0';
	cr_assert_eq(mu_expr_check(buf, &e), MU_E_PARSE);
	/* 30 chained terms stay well inside */
	cr_assert_eq(mu_expr_check("1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1", &e), 0);
	no_leaks();
}

Test(expr, long_input)
{
	size_t n = 200000;
	char *s = malloc(n + 3);
	struct mu_expr *x = NULL;
	struct mu_err e;
	json_t *v = NULL;

	s[0] = '\'';
	memset(s + 1, 'a', n);
	s[n + 1] = '\'';
	s[n + 2] = '\0';
	cr_assert_eq(mu_expr_parse(s, &x, &e), 0, "%s", e.msg);
	cr_assert_eq(mu_expr_eval(x, NULL, &v, &e), 0);
	cr_assert_eq(json_string_length(v), n);
	json_decref(v);
	mu_expr_free(x);
	free(s);

	s = malloc((2u << 20) + 1);
	memset(s, ' ', 2u << 20);
	s[2u << 20] = '\0';
	cr_assert_eq(mu_expr_check(s, &e), MU_E_PARSE);
	cr_assert_str_eq(e.msg, "expression too long (2097152 bytes, limit 1048576) at column 1");
	free(s);
	no_leaks();
}

Test(expr, size_limits)
{
	/* shared parts count each time they appear */
	fails("[l * 100000] * 100000", MU_E_TOOBIG, "result of repetition too large");
	fails("(l * 1000000) + (l * 1000000)", MU_E_TOOBIG, "list result too large");
	fails("range(1000) | map('ternary', l * 10000, 0)", MU_E_TOOBIG, "filter 'map': result too large");
	fails("([('x' * 8000000)] * 3) | to_json", MU_E_TOOBIG, "filter 'to_json': result too large");
	fails("([('x' * 8000000)] * 3) | to_nice_json", MU_E_TOOBIG, "filter 'to_nice_json': result too large");
	fails("'' ~ [('x' * 8000000)] * 3", MU_E_TOOBIG, "string result too large");
	fails("([('x' * 8000000)] * 3) | string", MU_E_TOOBIG, "string form of a 'list' too large");
	fails("([('x' * 8000000)] * 3) | upper", MU_E_TOOBIG, "string form of a 'list' too large");
	fails("([('x' * 8000000)] * 3) | join", MU_E_TOOBIG, "filter 'join': result too large");
	fails("('x' * 8000000) | replace('x', 'yyy')", MU_E_TOOBIG, "filter 'replace': result too large");
	fails("('x' * 9000000) | replace('', 'y')", MU_E_TOOBIG, "filter 'replace': result too large");
	ok("('ab' * 4000000) | replace('ab', 'c') | length", "4000000");
	ok("('a,' * 1000000) | split(',') | length", "1000001");
	ok("('a' * 1000000 ~ 'b') | replace('a' * 1000 ~ 'b', 'x') | length", "999001");
	/* repeating nothing is quick however often */
	ok("'y' * 0 * 410000000", "\"\"");
	ok("[] * 410000000", "[]");
	/* long lists stay linear in unique and the set filters */
	ok("range(200000) | unique | length", "200000");
	ok("(range(100000) + range(100000)) | unique | length", "100000");
	ok("range(100000) | difference(range(50000)) | length", "50000");
	ok("range(100000) | intersect(range(50000, 150000)) | length", "50000");
	ok("range(100000) | union(range(50000, 150000)) | length", "150000");
	ok("[1, 1.0, true, 'a', 'A', [1], [1.0], {'a': 1}, {'a': true}] | unique",
	   "[1, \"a\", [1], {\"a\": 1}]");
	ok("[1, 1.0, true, 'a', 'A'] | unique(case_sensitive=true)", "[1, \"a\", \"A\"]");
	no_leaks();
}

Test(expr, no_vars_and_reuse)
{
	struct mu_expr *x = NULL;
	struct mu_err e;
	json_t *v = NULL, *vars;

	cr_assert_eq(mu_expr_parse("a | default(1) + 1", &x, &e), 0);
	cr_assert_eq(mu_expr_eval(x, NULL, &v, &e), 0);
	cr_assert_eq(json_integer_value(v), 2);
	json_decref(v);
	vars = json_pack("{s:i}", "a", 41);
	cr_assert_eq(mu_expr_eval(x, vars, &v, &e), 0);
	cr_assert_eq(json_integer_value(v), 42);
	json_decref(v);
	json_decref(vars);
	mu_expr_free(x);
	mu_expr_free(NULL);
	cr_assert(mu_expr_truthy(json_true()));
	cr_assert(!mu_expr_truthy(NULL));
	no_leaks();
}

Test(expr, truthiness)
{
	json_t *v;

	ok("not ''", "true");
	ok("not 'a'", "false");
	ok("not 0", "true");
	ok("not 0.0", "true");
	ok("not 0.1", "false");
	ok("not []", "true");
	ok("not [0]", "false");
	ok("not {}", "true");
	ok("not none", "true");
	ok("not 'no'", "false"); /* a literal, not a bare variable */
	v = json_string("0");
	cr_assert(mu_expr_truthy(v));
	json_decref(v);
	no_leaks();
}

/* Each name is in exactly one table, and find() agrees with the list. */
Test(expr, filter_and_test_names_unique)
{
	const char *const *f = mu_ex_filter_names(), *const *t = mu_ex_test_names();
	size_t nf = 0;

	for (size_t i = 0; f[i]; i++, nf++) {
		cr_assert_not_null(mu_ex_filter_find(f[i]));
		cr_assert_str_eq(mu_ex_filter_find(f[i])->name, f[i]);
		for (size_t j = 0; j < i; j++)
			cr_assert_str_neq(f[i], f[j]);
	}
	cr_assert_eq(nf, 47);
	for (size_t i = 0; t[i]; i++)
		for (size_t j = 0; j < i; j++)
			cr_assert_str_neq(t[i], t[j]);
	cr_assert_null(mu_ex_filter_find("regex_replace"));
	cr_assert_null(mu_ex_test_find("match"));
	no_leaks();
}

/* docs/templating.md must list every filter and test the code knows. */
Test(expr, docs_list_every_filter_and_test)
{
	FILE *f = fopen(MU_SOURCE_DIR "/docs/templating.md", "r");
	char *doc = NULL, needle[64];
	size_t cap = 0;
	ssize_t n;
	const char *const *names;

	cr_assert_not_null(f, "cannot open docs/templating.md");
	n = getdelim(&doc, &cap, '\0', f);
	fclose(f);
	cr_assert_gt(n, 0);
	for (names = mu_ex_filter_names(); *names; names++) {
		snprintf(needle, sizeof(needle), "`%s`", *names);
		cr_expect_not_null(strstr(doc, needle), "filter %s is not documented", *names);
	}
	for (names = mu_ex_test_names(); *names; names++) {
		snprintf(needle, sizeof(needle), "`%s`", *names);
		cr_expect_not_null(strstr(doc, needle), "test %s is not documented", *names);
	}
	free(doc);
	no_leaks();
}

/* A tiny deterministic generator so a failure can be replayed. */
static unsigned long long rng = 0x9e3779b97f4a7c15ull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

Test(expr, random_garbage_never_crashes)
{
	static const char *const atoms[] = {
		"n", "s", "l", "d", "users", "foo", "1", "0", "-1", "2.5", "'x'", "\"y\"", "none",
		"true", "(", ")", "[", "]", "{", "}", ",", ":", ".", "|", "~", "+", "-", "*", "/",
		"//", "%", "**", "==", "!=", "<", "<=", ">", ">=", "=", " and ", " or ", " not ",
		" in ", " is ", " if ", " else ", "default", "map", "select", "sort", "join",
		"first", "int", "bool", "defined", "odd", "'", "\"", "\\", "{{", "}}", "{%", "#",
		"attribute=", "range", "\xc3\xa9", "\xff", "\t", "\n", "lambda", "0x", "1e",
	};
	json_t *vars = scope();
	char buf[512];

	for (int iter = 0; iter < 3000; iter++) {
		size_t k = 0;
		int parts = 1 + (int)rnd(20);

		for (int i = 0; i < parts; i++) {
			const char *a = atoms[rnd(sizeof(atoms) / sizeof(atoms[0]))];
			size_t n = strlen(a);
			if (k + n >= sizeof(buf))
				break;
			memcpy(buf + k, a, n);
			k += n;
		}
		/* sometimes pure noise bytes */
		if (iter % 7 == 0)
			for (size_t i = 0; i < k; i++)
				buf[i] = (char)(1 + rnd(255));
		buf[k] = '\0';

		struct mu_expr *x = NULL;
		struct mu_err e;
		json_t *v = NULL;
		bool res;
		int r = mu_expr_parse(buf, &x, &e);

		if (r == 0) {
			r = mu_expr_eval(x, vars, &v, &e);
			cr_assert(r == 0 ? v != NULL : (v == NULL && e.msg[0] != '\0'), "%s", buf);
			json_decref(v);
			mu_expr_free(x);
		} else {
			cr_assert_null(x);
			cr_assert_eq(r, MU_E_PARSE, "%s", buf);
			cr_assert(e.msg[0] != '\0');
		}
		r = mu_expr_cond(buf, vars, &res, &e);
		cr_assert(r == 0 || e.msg[0] != '\0', "%s", buf);
	}
	json_decref(vars);
	no_leaks();
}
