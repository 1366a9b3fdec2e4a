/* Argument binding: every bad input gets its own message naming the argument. */
#include <criterion/criterion.h>
#include <string.h>

#include "module.h"

static const char *const choices[] = { "present", "absent", NULL };
static const struct mu_arg spec[] = {
	{ "name", MU_T_STR, MU_REQUIRED, NULL, NULL, "key" },
	{ "state", MU_T_STR, 0, "present", choices, NULL },
	{ "reload", MU_T_BOOL, 0, "true", NULL, NULL },
	{ "count", MU_T_INT, 0, NULL, NULL, NULL },
	{ "items", MU_T_LIST, 0, NULL, NULL, NULL },
	{ "mode", MU_T_MODE, 0, NULL, NULL, NULL },
	{ "path", MU_T_PATH, 0, NULL, NULL, NULL },
	MU_ARG_END,
};

static int bind(const char *js, json_t **out, struct mu_err *e)
{
	json_t *in = json_loads(js, 0, NULL);
	int r;

	cr_assert_not_null(in, "bad test json %s", js);
	r = mu_args_bind(spec, in, out, e);
	json_decref(in);
	return r;
}

Test(args, defaults_aliases_and_coercion)
{
	struct mu_err e = { 0 };
	json_t *b;

	cr_assert_eq(bind("{\"key\":\"x\",\"reload\":\"no\",\"count\":\"12\",\"items\":\"a, b\"}",
			  &b, &e), 0, "%s", e.msg);
	cr_expect_str_eq(json_string_value(json_object_get(b, "name")), "x");
	cr_expect_str_eq(json_string_value(json_object_get(b, "state")), "present");
	cr_expect(json_is_false(json_object_get(b, "reload")));
	cr_expect_eq(json_integer_value(json_object_get(b, "count")), 12);
	cr_expect_eq(json_array_size(json_object_get(b, "items")), 2);
	json_decref(b);
}

Test(args, yaml_booleans_stay_strings_for_string_args)
{
	struct mu_err e = { 0 };
	json_t *b;

	cr_assert_eq(bind("{\"name\":\"no\",\"reload\":\"On\"}", &b, &e), 0, "%s", e.msg);
	cr_expect_str_eq(json_string_value(json_object_get(b, "name")), "no");
	cr_expect(json_is_true(json_object_get(b, "reload")));
	json_decref(b);
}

Test(args, numbers_become_strings_for_string_args)
{
	struct mu_err e = { 0 };
	json_t *b;

	cr_assert_eq(bind("{\"name\":80}", &b, &e), 0, "%s", e.msg);
	cr_expect_str_eq(json_string_value(json_object_get(b, "name")), "80");
	json_decref(b);
}

#define EXPECT_ERR(js, text)                                                   \
	do {                                                                   \
		struct mu_err e_ = { 0 };                                      \
		json_t *b_ = NULL;                                             \
		cr_expect_eq(bind(js, &b_, &e_), MU_E_ARG, "%s accepted", js); \
		cr_expect_str_eq(e_.msg, text);                                \
		json_decref(b_);                                               \
	} while (0)

Test(args, each_bad_input_has_its_own_message)
{
	EXPECT_ERR("{}", "missing required argument 'name'");
	EXPECT_ERR("{\"name\":\"x\",\"bogus\":1}",
		   "unknown argument 'bogus' (known: name, state, reload, count, items, mode, path)");
	EXPECT_ERR("{\"name\":\"x\",\"state\":\"gone\"}",
		   "argument 'state' must be one of: present, absent; got 'gone'");
	EXPECT_ERR("{\"name\":\"x\",\"reload\":\"maybe\"}", "argument 'reload' must be a boolean");
	EXPECT_ERR("{\"name\":\"x\",\"count\":\"12x\"}", "argument 'count' must be an integer");
	EXPECT_ERR("{\"name\":[1]}", "argument 'name' must be a string");
	EXPECT_ERR("{\"name\":\"x\",\"key\":\"y\"}", "argument 'name' given twice (as 'key')");
	EXPECT_ERR("{\"name\":\"x\",\"path\":\"rel/ative\"}",
		   "argument 'path' must be an absolute path, got 'rel/ative'");
	EXPECT_ERR("[1,2]", "arguments must be a mapping");
}

Test(args, bare_decimal_mode_is_refused_with_quoted_form)
{
	EXPECT_ERR("{\"name\":\"x\",\"mode\":755}",
		   "argument 'mode' is the decimal integer 755, which is not what you mean; "
		   "quote it as an octal string: mode: '0755'");
}

Test(args, null_means_not_given)
{
	struct mu_err e = { 0 };
	json_t *b;

	cr_assert_eq(bind("{\"name\":\"x\",\"state\":null}", &b, &e), 0, "%s", e.msg);
	cr_expect_str_eq(json_string_value(json_object_get(b, "state")), "present");
	json_decref(b);
}

Test(mode, octal_and_symbolic)
{
	struct mu_err e = { 0 };
	mode_t m;

	cr_assert_eq(mu_mode_parse("0644", 0, false, &m, &e), 0);
	cr_expect_eq(m, 0644);
	cr_assert_eq(mu_mode_parse("644", 0, false, &m, &e), 0);
	cr_expect_eq(m, 0644);
	cr_assert_eq(mu_mode_parse("1777", 0, false, &m, &e), 0);
	cr_expect_eq(m, 01777);
	cr_assert_eq(mu_mode_parse("u+rwX,g-w,o=r", 0600, true, &m, &e), 0);
	cr_expect_eq(m, 0704, "got %o", m);
	cr_assert_eq(mu_mode_parse("a+X", 0644, false, &m, &e), 0);
	cr_expect_eq(m, 0644, "X adds x only to dirs or already-executable files");
	cr_assert_eq(mu_mode_parse("a+X", 0744, false, &m, &e), 0);
	cr_expect_eq(m, 0755);
	cr_assert_eq(mu_mode_parse("a=r", 0777, false, &m, &e), 0);
	cr_expect_eq(m, 0444);
	cr_assert_eq(mu_mode_parse("+t", 0777, true, &m, &e), 0);
	cr_expect_eq(m, 01777, "got %o", m);
}

Test(mode, errors_name_the_mode)
{
	struct mu_err e = { 0 };
	mode_t m;

	cr_expect_eq(mu_mode_parse("0988", 0, false, &m, &e), MU_E_ARG);
	cr_expect_str_eq(e.msg, "invalid mode '0988': '9' is not an octal digit");
	cr_expect_eq(mu_mode_parse("u+q", 0, false, &m, &e), MU_E_ARG);
	cr_expect_str_eq(e.msg, "invalid mode 'u+q': unknown permission 'q'");
	cr_expect_eq(mu_mode_parse("u", 0, false, &m, &e), MU_E_ARG);
	cr_expect_eq(mu_mode_parse("77777", 0, false, &m, &e), MU_E_ARG);
	cr_expect_eq(mu_mode_parse("u+r,,g+r", 0, false, &m, &e), MU_E_ARG);
}
