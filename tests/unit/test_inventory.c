/* Inventories: INI and YAML formats, ranges, vars precedence, vars dirs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "inventory.h"
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

TestSuite(inventory, .init = setup, .fini = teardown);

/* Write tmp/rel (making parent dirs) and return its path (static: one of
 * four buffers used in turn). */
static const char *put(const char *rel, const char *content)
{
	static char path[4][256];
	static int k;
	char *p = path[k++ % 4];

	snprintf(p, 256, "%s/%s", tmp, rel);
	cr_assert_eq(tu_sh("mkdir -p \"$(dirname '%s')\"", p), 0);
	tu_write(p, content);
	return p;
}

static struct mu_inventory *load_ok(const char *path)
{
	struct mu_err e = { 0 };
	struct mu_inventory *inv = NULL;

	cr_assert_eq(mu_inventory_load(path, &inv, &e), 0, "load '%s': %s", path, e.msg);
	cr_assert_not_null(inv);
	return inv;
}

/* Expect MU_E_PARSE with a message that starts with "PATH:LINE" and
 * contains needle. */
static void load_fails(const char *path, int line, const char *needle)
{
	struct mu_err e = { 0 };
	struct mu_inventory *inv = NULL;
	char prefix[300];

	cr_assert_eq(mu_inventory_load(path, &inv, &e), MU_E_PARSE,
		     "expected a parse error, got: '%s'", e.msg);
	cr_assert_null(inv);
	snprintf(prefix, sizeof(prefix), "%s:%d:", path, line);
	cr_expect_eq(strncmp(e.msg, prefix, strlen(prefix)), 0,
		     "message '%s' does not start with '%s'", e.msg, prefix);
	cr_expect_not_null(strstr(e.msg, needle), "message '%s' lacks '%s'", e.msg, needle);
}

static struct mu_host *host(const struct mu_inventory *inv, const char *name)
{
	struct mu_host *h = mu_inventory_host(inv, name);

	cr_assert_not_null(h, "no host '%s'", name);
	return h;
}

static const char *var_str(const struct mu_inventory *inv, const char *h, const char *k)
{
	json_t *v = json_object_get(host(inv, h)->vars, k);

	cr_assert(json_is_string(v), "%s: var '%s' is not a string", h, k);
	return json_string_value(v);
}

static long long var_int(const struct mu_inventory *inv, const char *h, const char *k)
{
	json_t *v = json_object_get(host(inv, h)->vars, k);

	cr_assert(json_is_integer(v), "%s: var '%s' is not an integer", h, k);
	return json_integer_value(v);
}

static bool in_group(const struct mu_inventory *inv, const char *h, const char *g)
{
	struct mu_host *hh = host(inv, h);

	for (size_t i = 0; i < hh->ngroups; i++)
		if (strcmp(hh->groups[i]->name, g) == 0)
			return true;
	return false;
}

/* Host names in inventory order, joined with spaces. */
static void expect_hosts(const struct mu_inventory *inv, const char *want)
{
	char got[2048] = "";

	for (size_t i = 0; i < inv->nhosts; i++) {
		if (i)
			strncat(got, " ", sizeof(got) - strlen(got) - 1);
		strncat(got, inv->hosts[i]->name, sizeof(got) - strlen(got) - 1);
	}
	cr_expect_str_eq(got, want);
}

/* ---- INI ---- */

Test(inventory, ini_groups_and_ungrouped)
{
	struct mu_inventory *inv = load_ok(put("hosts", "# fleet\nlone.example.org\n\n"
					       "[web]\nweb1\nweb2\n; comment\n[db]\ndb1\nweb1\n"));
	struct mu_group *web = mu_inventory_group(inv, "web");

	expect_hosts(inv, "lone.example.org web1 web2 db1");
	cr_assert_not_null(web);
	cr_expect_eq(web->nhosts, 2);
	cr_expect(in_group(inv, "lone.example.org", "ungrouped"));
	cr_expect_not(in_group(inv, "web1", "ungrouped"));
	cr_expect(in_group(inv, "web1", "db"));
	cr_expect(in_group(inv, "db1", "all"));
	cr_expect_eq(inv->groups[0]->nhosts, 4, "all holds every host");
	cr_expect_str_eq(inv->groups[1]->name, "ungrouped");
	cr_expect_eq(inv->groups[1]->nhosts, 1);
	cr_expect_str_eq(host(inv, "web2")->address, "web2");
	cr_expect_str_eq(host(inv, "web2")->connection, "ssh");
	cr_expect_eq(host(inv, "web2")->port, 0, "unset port is 0");
	cr_expect_null(host(inv, "web2")->user);
	mu_inventory_free(inv);
}

Test(inventory, ini_zero_padded_range)
{
	struct mu_inventory *inv = load_ok(put("hosts", "[web]\nweb[01:10].example.org\n"));

	cr_expect_eq(inv->nhosts, 10);
	cr_expect_str_eq(inv->hosts[0]->name, "web01.example.org");
	cr_expect_str_eq(inv->hosts[8]->name, "web09.example.org");
	cr_expect_str_eq(inv->hosts[9]->name, "web10.example.org");
	mu_inventory_free(inv);
}

Test(inventory, ini_letter_range)
{
	struct mu_inventory *inv = load_ok(put("hosts", "[db]\ndb-[a:c]\n"));

	expect_hosts(inv, "db-a db-b db-c");
	mu_inventory_free(inv);
}

Test(inventory, ini_range_with_step)
{
	struct mu_inventory *inv = load_ok(put("hosts", "n[1:9:4]\n"));

	expect_hosts(inv, "n1 n5 n9");
	mu_inventory_free(inv);
}

Test(inventory, ini_several_ranges_in_one_name)
{
	struct mu_inventory *inv = load_ok(put("hosts", "r[1:2]-[a:b].lan\n"));

	expect_hosts(inv, "r1-a.lan r1-b.lan r2-a.lan r2-b.lan");
	mu_inventory_free(inv);
}

Test(inventory, ini_unpadded_range_of_different_widths)
{
	struct mu_inventory *inv = load_ok(put("hosts", "h[8:11]\n"));

	expect_hosts(inv, "h8 h9 h10 h11");
	mu_inventory_free(inv);
}

Test(inventory, ini_padded_range_with_wider_end_is_an_error)
{
	load_fails(put("hosts", "[web]\nok1\nweb[01:100]\n"), 3, "zero-padded host range");
}

Test(inventory, ini_backwards_range_is_an_error)
{
	load_fails(put("hosts", "\n[web]\nweb[10:1]\n"), 3, "backwards host range in 'web[10:1]'");
}

Test(inventory, ini_mixed_range_is_an_error)
{
	load_fails(put("hosts", "x[1:c]\n"), 1, "invalid host range");
}

Test(inventory, ini_quoted_value_with_space)
{
	struct mu_inventory *inv = load_ok(put("hosts", "h1 motd=\"hello world\"\n"));

	cr_expect_str_eq(var_str(inv, "h1", "motd"), "hello world");
	mu_inventory_free(inv);
}

Test(inventory, ini_hash_inside_quotes_is_data)
{
	struct mu_inventory *inv = load_ok(put("hosts", "h1 pass=\"s3cr#t\"\n"));

	cr_expect_str_eq(var_str(inv, "h1", "pass"), "s3cr#t");
	mu_inventory_free(inv);
}

Test(inventory, ini_value_split_on_first_equals)
{
	struct mu_inventory *inv = load_ok(put("hosts", "h1 token=a=b=c\n"));

	cr_expect_str_eq(var_str(inv, "h1", "token"), "a=b=c");
	mu_inventory_free(inv);
}

Test(inventory, ini_trailing_comment_is_ignored)
{
	struct mu_inventory *inv = load_ok(put("hosts", "h1 a=1 b=two # c=3 a comment\n"));

	cr_expect_eq(var_int(inv, "h1", "a"), 1);
	cr_expect_str_eq(var_str(inv, "h1", "b"), "two");
	cr_expect_null(json_object_get(host(inv, "h1")->vars, "c"));
	mu_inventory_free(inv);
}

Test(inventory, ini_bare_word_after_host_is_an_error)
{
	load_fails(put("hosts", "[web]\nweb1 a=1\nweb2 oops\n"), 3,
		   "expected key=value after host 'web2', got 'oops'");
}

Test(inventory, ini_unterminated_quote_is_an_error)
{
	load_fails(put("hosts", "h1 a=\"open\n"), 1, "unterminated double quote");
}

Test(inventory, ini_values_are_python_literals)
{
	struct mu_inventory *inv = load_ok(put("hosts",
		"h1 ansible_port=2222 flag=True off=False none=None mode=0644 f=1.5 "
		"q=\"22\" yes=yes\n"));
	struct mu_host *h = host(inv, "h1");

	cr_expect_eq(var_int(inv, "h1", "ansible_port"), 2222);
	cr_expect_eq(h->port, 2222);
	cr_expect(json_is_true(json_object_get(h->vars, "flag")));
	cr_expect(json_is_false(json_object_get(h->vars, "off")));
	cr_expect(json_is_null(json_object_get(h->vars, "none")));
	cr_expect_str_eq(var_str(inv, "h1", "mode"), "0644");
	cr_expect_str_eq(var_str(inv, "h1", "f"), "1.5");
	cr_expect_eq(var_int(inv, "h1", "q"), 22, "quotes go before the literal is read");
	cr_expect_str_eq(var_str(inv, "h1", "yes"), "yes");
	mu_inventory_free(inv);
}

Test(inventory, ini_group_vars_section)
{
	struct mu_inventory *inv = load_ok(put("hosts",
		"[web]\nweb1\n[web:vars]\nmotd=hello world # trailing\nq=\"2222\"\n"
		"n = 8080\nurl=http://x/?a=b\npass=\"s3cr#t\"\n"));

	cr_expect_str_eq(var_str(inv, "web1", "motd"), "hello world");
	cr_expect_str_eq(var_str(inv, "web1", "q"), "2222", "a quoted :vars value is a string");
	cr_expect_eq(var_int(inv, "web1", "n"), 8080);
	cr_expect_str_eq(var_str(inv, "web1", "url"), "http://x/?a=b");
	cr_expect_str_eq(var_str(inv, "web1", "pass"), "s3cr#t");
	mu_inventory_free(inv);
}

Test(inventory, ini_vars_line_without_equals_is_an_error)
{
	load_fails(put("hosts", "[web]\nweb1\n[web:vars]\na=1\njunk\n"), 5,
		   "expected key=value in [web:vars], got 'junk'");
}

Test(inventory, ini_children_and_precedence)
{
	struct mu_inventory *inv = load_ok(put("hosts",
		"[web]\nweb1 level=host\nweb2\n[db]\ndb1\n"
		"[prod:children]\nweb\ndb\n"
		"[all:vars]\nlevel=all\nfrom_all=1\n"
		"[prod:vars]\nlevel=parent\nfrom_prod=1\n"
		"[web:vars]\nlevel=child\n"));
	struct mu_group *prod = mu_inventory_group(inv, "prod");
	struct mu_host *w2 = host(inv, "web2");

	cr_assert_not_null(prod);
	cr_expect_eq(prod->nchildren, 2);
	cr_expect_eq(mu_inventory_group(inv, "web")->depth, 2);
	cr_expect_eq(prod->depth, 1);
	cr_expect_str_eq(var_str(inv, "web1", "level"), "host");
	cr_expect_str_eq(var_str(inv, "web2", "level"), "child");
	cr_expect_str_eq(var_str(inv, "db1", "level"), "parent");
	cr_expect_eq(var_int(inv, "db1", "from_all"), 1);
	cr_expect_eq(var_int(inv, "web2", "from_prod"), 1);
	cr_expect(in_group(inv, "web2", "prod"));
	cr_expect_str_eq(w2->groups[0]->name, "all", "all comes first");
	cr_expect_str_eq(w2->groups[w2->ngroups - 1]->name, "web", "deepest last");
	cr_expect_eq(inv->groups[1]->nhosts, 0, "no host is ungrouped");
	mu_inventory_free(inv);
}

Test(inventory, ini_undeclared_child_group_is_an_error)
{
	load_fails(put("hosts", "[web]\nw1\n[prod:children]\nweb\nwbe\n"), 5,
		   "group 'wbe' is used but never declared");
}

Test(inventory, ini_vars_for_undeclared_group_is_an_error)
{
	load_fails(put("hosts", "[web]\nw1\n\n[dbs:vars]\na=1\n"), 4,
		   "group 'dbs' is used but never declared");
}

Test(inventory, ini_unknown_section_kind_is_an_error)
{
	load_fails(put("hosts", "[web:hostz]\nw1\n"), 1, "unknown section type ':hostz'");
}

Test(inventory, ini_group_cycle_is_an_error)
{
	struct mu_err e = { 0 };
	struct mu_inventory *inv = NULL;

	cr_expect_eq(mu_inventory_load(put("hosts", "[a:children]\nb\n[b:children]\na\n"),
				       &inv, &e), MU_E_PARSE);
	cr_expect_not_null(strstr(e.msg, "is its own ancestor"), "%s", e.msg);
}

Test(inventory, ini_host_port_suffix)
{
	struct mu_inventory *inv = load_ok(put("hosts", "db.lan:5309\n[web]\nw[1:2]:2200\n"));

	cr_expect_eq(host(inv, "db.lan")->port, 5309);
	cr_expect_eq(host(inv, "w2")->port, 2200);
	mu_inventory_free(inv);
}

Test(inventory, ini_connection_variables)
{
	struct mu_inventory *inv = load_ok(put("hosts",
		"local1 ansible_connection=local\n"
		"r1 ansible_host=198.18.0.2 ansible_user=deploy ansible_become=yes\n"
		"r2 ansible_ssh_host=198.18.0.3 ansible_ssh_port=2022 ansible_connection=smart\n"));
	struct mu_host *l = host(inv, "local1"), *r1 = host(inv, "r1"), *r2 = host(inv, "r2");

	cr_expect(l->local);
	cr_expect_str_eq(l->connection, "local");
	cr_expect_not(r1->local);
	cr_expect_str_eq(r1->address, "198.18.0.2");
	cr_expect_str_eq(r1->user, "deploy");
	cr_expect(r1->become);
	cr_expect_str_eq(r2->address, "198.18.0.3");
	cr_expect_eq(r2->port, 2022);
	cr_expect_str_eq(r2->connection, "ssh");
	mu_inventory_free(inv);
}

Test(inventory, ini_bad_port_is_an_error)
{
	load_fails(put("hosts", "\nh1 ansible_port=99999\n"), 2, "invalid ansible_port '99999'");
}

Test(inventory, ini_bad_become_is_an_error)
{
	load_fails(put("hosts", "h1 ansible_become=maybe\n"), 1, "invalid ansible_become 'maybe'");
}

/* ---- YAML ---- */

static const char *yaml_inv =
	"all:\n"
	"  hosts:\n"
	"    bastion:\n"
	"      ansible_host: 198.18.0.1\n"
	"  vars:\n"
	"    level: all\n"
	"    ntp: pool.example\n"
	"  children:\n"
	"    prod:\n"
	"      vars:\n"
	"        level: parent\n"
	"      children:\n"
	"        web:\n"
	"          hosts:\n"
	"            web[01:03]:\n"
	"            web09:\n"
	"              level: host\n"
	"              ansible_port: \"2222\"\n"
	"              ansible_become: yes\n"
	"          vars:\n"
	"            level: child\n"
	"            mode: 0644\n"
	"            keep: no\n"
	"        db:\n"
	"          hosts:\n"
	"            db1: {ansible_user: postgres}\n"
	"    empty:\n";

Test(inventory, yaml_groups_hosts_and_vars)
{
	struct mu_inventory *inv = load_ok(put("inv.yml", yaml_inv));
	struct mu_host *w9 = host(inv, "web09");

	expect_hosts(inv, "bastion web01 web02 web03 web09 db1");
	cr_expect(in_group(inv, "web02", "prod"));
	cr_expect(in_group(inv, "bastion", "ungrouped"));
	cr_expect_not_null(mu_inventory_group(inv, "empty"));
	cr_expect_str_eq(host(inv, "bastion")->address, "198.18.0.1");
	cr_expect_str_eq(var_str(inv, "bastion", "level"), "all");
	cr_expect_str_eq(var_str(inv, "db1", "level"), "parent");
	cr_expect_str_eq(var_str(inv, "web01", "level"), "child");
	cr_expect_str_eq(var_str(inv, "web09", "level"), "host");
	cr_expect_str_eq(var_str(inv, "web01", "ntp"), "pool.example");
	cr_expect_str_eq(var_str(inv, "web01", "mode"), "0644", "octal stays text");
	cr_expect(json_is_false(json_object_get(host(inv, "web01")->vars, "keep")),
		  "plain 'no' is a boolean in YAML vars, as in Ansible");
	cr_expect_eq(w9->port, 2222);
	cr_expect(w9->become);
	cr_expect_str_eq(host(inv, "db1")->user, "postgres");
	cr_expect_eq(w9->line, 16);
	mu_inventory_free(inv);
}

Test(inventory, yaml_detected_by_content_without_extension)
{
	struct mu_inventory *inv;

	inv = load_ok(put("hosts", "---\nall:\n  hosts:\n    a1:\n"));
	expect_hosts(inv, "a1");
	mu_inventory_free(inv);
	inv = load_ok(put("hosts2", "# comment\nweb:\n  hosts:\n    w1:\n"));
	expect_hosts(inv, "w1");
	cr_expect(in_group(inv, "w1", "web"));
	mu_inventory_free(inv);
}

Test(inventory, yaml_unknown_group_key_is_an_error)
{
	load_fails(put("inv.yml", "all:\n  children:\n    web:\n      host:\n        w1:\n"),
		   4, "unknown key 'host' in group 'web'");
}

Test(inventory, yaml_error_has_line_and_column)
{
	const char *p = put("inv.yml", "all:\n  hosts:\n    - w1\n");
	struct mu_err e = { 0 };
	struct mu_inventory *inv = NULL;
	char want[400];

	cr_expect_eq(mu_inventory_load(p, &inv, &e), MU_E_PARSE);
	snprintf(want, sizeof(want), "%s:3:5: 'hosts' of group 'all' must be a mapping "
		 "of host names, not a sequence", p);
	cr_expect_str_eq(e.msg, want);
}

Test(inventory, yaml_range_error_names_the_key)
{
	load_fails(put("inv.yml", "all:\n  hosts:\n    ok:\n    web[01:100]:\n"), 4,
		   "zero-padded host range");
}

Test(inventory, yaml_duplicate_host_key_is_an_error)
{
	load_fails(put("inv.yml", "all:\n  hosts:\n    w1:\n    w1:\n"), 4,
		   "duplicate key 'w1' (first defined at line 3)");
}

Test(inventory, yaml_host_in_two_groups_keeps_both)
{
	struct mu_inventory *inv = load_ok(put("inv.yml",
		"web:\n  hosts:\n    h1: {a: 1}\ndb:\n  hosts:\n    h1: {b: 2}\n"));

	cr_expect_eq(inv->nhosts, 1);
	cr_expect(in_group(inv, "h1", "web"));
	cr_expect(in_group(inv, "h1", "db"));
	cr_expect_eq(var_int(inv, "h1", "a"), 1);
	cr_expect_eq(var_int(inv, "h1", "b"), 2);
	mu_inventory_free(inv);
}

Test(inventory, yaml_group_priority_orders_siblings)
{
	struct mu_inventory *inv = load_ok(put("inv.yml",
		"a:\n  hosts: {h1: }\n  vars: {x: a, ansible_group_priority: 10}\n"
		"b:\n  hosts: {h1: }\n  vars: {x: b}\n"));

	cr_expect_str_eq(var_str(inv, "h1", "x"), "a", "higher priority applies later");
	mu_inventory_free(inv);
}

/* ---- vars directories, directories, default ---- */

Test(inventory, group_vars_and_host_vars_precedence)
{
	struct mu_inventory *inv;
	char inv_path[256];

	snprintf(inv_path, sizeof(inv_path), "%s", put("prod/hosts",
		"[web]\nweb01 from_inv_host=1 hv=inv\nweb02\n"
		"[prod:children]\nweb\n"
		"[all:vars]\ngv_all=inv\n"
		"[web:vars]\ngv_web=inv\nwin=inv_web\n"));

	put("prod/group_vars/all.yml", "gv_all: file\nwin: file_all\nlayer: all\n");
	put("prod/group_vars/prod.yaml", "layer: prod\n");
	put("prod/group_vars/web/10-main.yml", "gv_web: file\nlayer: web\n");
	put("prod/group_vars/web/20-more.yml", "later: yes\n");
	put("prod/group_vars/unknown.yml", "ignored: 1\n");
	put("prod/host_vars/web01", "hv: file\nlayer: host\n");
	inv = load_ok(inv_path);
	cr_expect_str_eq(var_str(inv, "web02", "gv_all"), "file",
			 "group_vars/all beats [all:vars]");
	cr_expect_str_eq(var_str(inv, "web02", "gv_web"), "file",
			 "group_vars/web beats [web:vars]");
	cr_expect_str_eq(var_str(inv, "web02", "win"), "file_all",
			 "any group_vars file beats inventory-file group vars");
	cr_expect_str_eq(var_str(inv, "web02", "layer"), "web", "child group_vars win");
	cr_expect(json_is_true(json_object_get(host(inv, "web02")->vars, "later")));
	cr_expect_str_eq(var_str(inv, "web01", "layer"), "host");
	cr_expect_str_eq(var_str(inv, "web01", "hv"), "file", "host_vars beat inventory host vars");
	cr_expect_eq(var_int(inv, "web01", "from_inv_host"), 1);
	cr_expect_null(json_object_get(host(inv, "web01")->vars, "ignored"));
	cr_expect_str_eq(json_string_value(json_object_get(
		mu_inventory_group(inv, "web")->vars, "gv_web")), "file");
	mu_inventory_free(inv);
}

Test(inventory, bad_group_vars_file_names_its_line)
{
	const char *inv_path = put("hosts", "[web]\nw1\n");
	const char *gv = put("group_vars/web.yml", "a: 1\na: 2\n");
	struct mu_err e = { 0 };
	struct mu_inventory *inv = NULL;
	char want[300];

	cr_expect_eq(mu_inventory_load(inv_path, &inv, &e), MU_E_PARSE);
	snprintf(want, sizeof(want), "%s:2:1:", gv);
	cr_expect_eq(strncmp(e.msg, want, strlen(want)), 0, "%s", e.msg);
}

Test(inventory, vault_encrypted_vars_are_refused)
{
	const char *inv_path = put("hosts", "w1\n");
	struct mu_err e = { 0 };
	struct mu_inventory *inv = NULL;

	put("host_vars/w1.yml", "$ANSIBLE_VAULT;1.1;AES256\n6162636465\n");
	cr_expect_eq(mu_inventory_load(inv_path, &inv, &e), MU_E_UNSUPPORTED, "%s", e.msg);
	cr_expect_not_null(strstr(e.msg, "vault"));
}

Test(inventory, directory_inventory_loads_every_file)
{
	struct mu_inventory *inv;

	put("inv/10-web.ini", "[web]\nw1\n");
	put("inv/20-db.yml", "db:\n  hosts:\n    d1:\n");
	put("inv/README.md", "not an inventory\n");
	put("inv/group_vars/db.yml", "role: database\n");
	put("inv/hosts.retry", "junk junk\n");
	{
		char dir[300];

		snprintf(dir, sizeof(dir), "%s/inv", tmp);
		inv = load_ok(dir);
	}
	expect_hosts(inv, "w1 d1");
	cr_expect(in_group(inv, "w1", "web"));
	cr_expect_str_eq(var_str(inv, "d1", "role"), "database");
	cr_expect_str_eq(host(inv, "d1")->file + strlen(tmp), "/inv/20-db.yml");
	mu_inventory_free(inv);
}

Test(inventory, missing_inventory_is_not_found)
{
	struct mu_err e = { 0 };
	struct mu_inventory *inv = NULL;
	char p[300];

	snprintf(p, sizeof(p), "%s/nope", tmp);
	cr_expect_eq(mu_inventory_load(p, &inv, &e), MU_E_NOTFOUND);
	cr_expect_not_null(strstr(e.msg, p), "%s", e.msg);
}

Test(inventory, localhost_default)
{
	struct mu_inventory *inv = mu_inventory_localhost();
	struct mu_host *h;

	cr_assert_eq(inv->nhosts, 1);
	h = inv->hosts[0];
	cr_expect_str_eq(h->name, "localhost");
	cr_expect(h->local);
	cr_expect_str_eq(h->connection, "local");
	cr_expect_str_eq(json_string_value(json_object_get(h->vars, "ansible_connection")),
			 "local");
	cr_expect(in_group(inv, "localhost", "ungrouped"));
	cr_expect(in_group(inv, "localhost", "all"));
	mu_inventory_free(inv);
}

Test(inventory, range_expand_api)
{
	struct mu_err e = { 0 };
	char **names = NULL;
	size_t n = 0;

	cr_assert_eq(mu_host_range_expand("x[08:10]y", "f:1", &names, &n, &e), 0, "%s", e.msg);
	cr_assert_eq(n, 3);
	cr_expect_str_eq(names[0], "x08y");
	cr_expect_str_eq(names[2], "x10y");
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	cr_expect_eq(mu_host_range_expand("x[1:5:0]", "f:7", &names, &n, &e), MU_E_PARSE);
	cr_expect_str_eq(e.msg, "f:7: host range step in 'x[1:5:0]' must be a positive number");
	cr_assert_eq(mu_host_range_expand("plain[x]", "f:1", &names, &n, &e), 0);
	cr_expect_str_eq(names[0], "plain[x]", "brackets that are not a range stay");
	free(names[0]);
	free(names);
}
