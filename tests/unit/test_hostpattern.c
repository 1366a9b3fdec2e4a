/* Host patterns: names, groups, globs, regexes, unions, '&', '!', subscripts. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "hostpattern.h"
#include "testutil.h"

static char tmp[128];
static struct mu_inventory *inv;

/*
 * web01..web03 and db1, db2 under prod; stage01 under stage; lb.example.org
 * ungrouped, declared first, so inventory order differs from group order.
 */
static void setup(void)
{
	struct mu_err e = { 0 };
	char path[256];

	snprintf(tmp, sizeof(tmp), "%s", tu_tmpdir());
	snprintf(path, sizeof(path), "%s/hosts", tmp);
	tu_write(path, "lb.example.org\n"
		 "[db]\ndb1\ndb2\n"
		 "[web]\nweb[01:03]\n"
		 "[stage]\nstage01\nweb03\n"
		 "[prod:children]\nweb\ndb\n");
	cr_assert_eq(mu_inventory_load(path, &inv, &e), 0, "%s", e.msg);
}

static void teardown(void)
{
	mu_inventory_free(inv);
	tu_sh("rm -rf '%s'", tmp);
}

TestSuite(hostpattern, .init = setup, .fini = teardown);

/* Select and compare the names, space-joined, with want. */
static void expect_sel(const char *pattern, const char *want)
{
	struct mu_err e = { 0 };
	struct mu_host **hs = NULL;
	size_t n = 0;
	char got[1024] = "";

	cr_assert_eq(mu_hosts_select(inv, pattern, &hs, &n, &e), 0, "'%s': %s", pattern, e.msg);
	for (size_t i = 0; i < n; i++) {
		if (i)
			strncat(got, " ", sizeof(got) - strlen(got) - 1);
		strncat(got, hs[i]->name, sizeof(got) - strlen(got) - 1);
	}
	cr_expect_str_eq(got, want, "pattern '%s'", pattern);
	free(hs);
}

static void expect_error(const char *pattern, const char *needle)
{
	struct mu_err e = { 0 };
	struct mu_host **hs = NULL;
	size_t n = 0;

	cr_expect_eq(mu_hosts_select(inv, pattern, &hs, &n, &e), MU_E_PARSE,
		     "'%s' should fail", pattern);
	cr_expect_null(hs);
	cr_expect_not_null(strstr(e.msg, needle), "'%s': '%s' lacks '%s'", pattern, e.msg, needle);
}

Test(hostpattern, all_and_star)
{
	expect_sel("all", "lb.example.org db1 db2 web01 web02 web03 stage01");
	expect_sel("*", "lb.example.org db1 db2 web01 web02 web03 stage01");
}

Test(hostpattern, single_host_name)
{
	expect_sel("web02", "web02");
	expect_sel("lb.example.org", "lb.example.org");
}

Test(hostpattern, group_name_includes_children)
{
	expect_sel("web", "web01 web02 web03");
	expect_sel("prod", "db1 db2 web01 web02 web03");
	expect_sel("ungrouped", "lb.example.org");
}

Test(hostpattern, glob_matches_hosts_and_groups)
{
	expect_sel("web*", "web01 web02 web03");
	expect_sel("*.example.org", "lb.example.org");
	expect_sel("st*", "web03 stage01");
	expect_sel("db?", "db1 db2");
}

Test(hostpattern, colon_union_keeps_inventory_order)
{
	expect_sel("web:db", "db1 db2 web01 web02 web03");
	expect_sel("stage01:lb.example.org", "lb.example.org stage01");
}

Test(hostpattern, comma_union_with_spaces)
{
	expect_sel("web01, db2", "db2 web01");
}

Test(hostpattern, exclusion)
{
	expect_sel("prod:!db", "web01 web02 web03");
	expect_sel("all:!web03", "lb.example.org db1 db2 web01 web02 stage01");
}

Test(hostpattern, intersection)
{
	expect_sel("web:&stage", "web03");
	expect_sel("prod:&st*", "web03");
}

Test(hostpattern, order_is_unions_then_intersections_then_exclusions)
{
	/* Written backwards: Ansible applies the union first all the same. */
	expect_sel("!web03:&prod:web:stage", "web01 web02");
	expect_sel("!db,web", "web01 web02 web03");
}

Test(hostpattern, only_exclusions_start_from_all)
{
	expect_sel("!prod", "lb.example.org stage01");
	expect_sel("&web", "web01 web02 web03");
}

Test(hostpattern, no_match_is_empty_not_an_error)
{
	struct mu_err e = { 0 };
	struct mu_host **hs = (struct mu_host **)&e;
	size_t n = 99;

	cr_expect_eq(mu_hosts_select(inv, "nosuch", &hs, &n, &e), 0);
	cr_expect_eq(n, 0);
	cr_expect_null(hs);
	expect_sel("", "");
	expect_sel("web:&db", "");
}

Test(hostpattern, regex)
{
	expect_sel("~web0[12]", "web01 web02");
	expect_sel("~^(db|stage)", "db1 db2 web03 stage01");
}

Test(hostpattern, bad_regex_is_an_error)
{
	expect_error("~web(", "invalid regular expression");
}

Test(hostpattern, subscripts)
{
	expect_sel("web[0]", "web01");
	expect_sel("web[-1]", "web03");
	expect_sel("web[0:1]", "web01 web02");
	expect_sel("web[1:]", "web02 web03");
	expect_sel("prod[:1]", "db1 db2");
	expect_sel("web[7]", "");
	expect_sel("web[0]:db[1]", "db2 web01");
}

Test(hostpattern, glob_class_is_not_a_subscript)
{
	expect_sel("db[12]x*", "");
	expect_sel("web0[ab]", "");
	expect_sel("db[a-z]*", "");
	expect_sel("[ds]*1", "db1 stage01");
}

Test(hostpattern, empty_operator_term_is_an_error)
{
	expect_error("web:!", "empty term after '!'");
	expect_error("&", "empty term after '&'");
}

Test(hostpattern, group_name_does_not_also_pick_a_same_named_host)
{
	struct mu_inventory *other = NULL;
	struct mu_err e = { 0 };
	struct mu_host **hs = NULL;
	size_t n = 0;
	char path[256];

	snprintf(path, sizeof(path), "%s/hosts2", tmp);
	tu_write(path, "web\n[web]\nw1\n");
	cr_assert_eq(mu_inventory_load(path, &other, &e), 0, "%s", e.msg);
	cr_assert_eq(mu_hosts_select(other, "web", &hs, &n, &e), 0);
	cr_expect_eq(n, 1);
	cr_expect_str_eq(hs[0]->name, "w1");
	free(hs);
	mu_inventory_free(other);
}

Test(hostpattern, host_matches)
{
	struct mu_err e = { 0 };

	cr_expect_eq(mu_host_matches(inv, mu_inventory_host(inv, "web03"), "prod:&stage", &e), 1);
	cr_expect_eq(mu_host_matches(inv, mu_inventory_host(inv, "web01"), "prod:&stage", &e), 0);
	cr_expect_eq(mu_host_matches(inv, mu_inventory_host(inv, "web01"), "~(", &e), MU_E_PARSE);
}

Test(hostpattern, default_localhost_inventory)
{
	struct mu_inventory *l = mu_inventory_localhost();
	struct mu_err e = { 0 };
	struct mu_host **hs = NULL;
	size_t n = 0;

	cr_assert_eq(mu_hosts_select(l, "all", &hs, &n, &e), 0);
	cr_expect_eq(n, 1);
	free(hs);
	cr_assert_eq(mu_hosts_select(l, "localhost", &hs, &n, &e), 0);
	cr_expect_eq(n, 1);
	free(hs);
	mu_inventory_free(l);
}
