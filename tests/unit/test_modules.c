/* The module table documents itself: names unique, specs present, docs exist. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "module.h"

Test(modules, names_and_aliases_are_unique)
{
	for (size_t i = 0; mu_modules[i]; i++) {
		const struct mu_module *m = mu_modules[i];

		cr_expect_eq(mu_module_find(m->name), m, "'%s' resolves elsewhere", m->name);
		for (size_t a = 0; m->aliases && m->aliases[a]; a++)
			cr_expect_eq(mu_module_find(m->aliases[a]), m,
				     "alias '%s' of '%s' is taken", m->aliases[a], m->name);
	}
}

Test(modules, every_module_has_spec_check_and_summary)
{
	for (size_t i = 0; mu_modules[i]; i++) {
		const struct mu_module *m = mu_modules[i];

		cr_expect_not_null(m->args, "'%s' has no argument spec", m->name);
		cr_expect_not_null(m->check, "'%s' has no check()", m->name);
		cr_expect_not_null(m->summary, "'%s' has no summary", m->name);
	}
}

Test(modules, every_argument_default_binds)
{
	for (size_t i = 0; mu_modules[i]; i++) {
		const struct mu_module *m = mu_modules[i];

		for (const struct mu_arg *a = m->args; a && a->name; a++) {
			struct mu_err e = { 0 };
			json_t *in = json_object();
			json_t *out = NULL;

			/* Satisfy every required argument with a plausible value. */
			for (const struct mu_arg *q = m->args; q->name; q++)
				if (q->flags & MU_REQUIRED)
					json_object_set_new(in, q->name,
							    q->type == MU_T_LIST
								    ? json_pack("[s]", "x")
								    : q->type == MU_T_PATH
									      ? json_string("/x")
									      : json_string(q->choices ? q->choices[0] : "1"));
			cr_expect_eq(mu_args_bind(m->args, in, &out, &e), 0,
				     "%s: defaults do not bind: %s", m->name, e.msg);
			json_decref(in);
			json_decref(out);
		}
	}
}

Test(modules, every_module_has_a_docs_page_naming_every_argument)
{
	for (size_t i = 0; mu_modules[i]; i++) {
		const struct mu_module *m = mu_modules[i];
		char path[512];
		FILE *f;
		char *text;
		long n;

		snprintf(path, sizeof(path), "%s/docs/modules/%s.md", MU_SOURCE_DIR, m->name);
		f = fopen(path, "r");
		cr_expect_not_null(f, "no docs page %s", path);
		if (!f)
			continue;
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		rewind(f);
		text = calloc(1, (size_t)n + 1);
		fread(text, 1, (size_t)n, f);
		fclose(f);
		for (const struct mu_arg *a = m->args; a->name; a++) {
			char needle[80];

			snprintf(needle, sizeof(needle), "`%s`", a->name);
			cr_expect(strstr(text, needle) != NULL, "%s does not document %s",
				  path, needle);
		}
		free(text);
	}
}
