/*
 * setup: the host facts a play can use (`ansible_facts.*`, `ansible_*`).
 * Cheap on purpose: a few files and uname, no programs run, so gathering
 * facts costs milliseconds rather than Ansible's seconds.
 */
#include "module.h"

#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "fileio.h"
#include "users.h"

static const char *const setup_aliases[] = {
	"ansible.builtin.setup", "gather_facts", "ansible.builtin.gather_facts", NULL
};

static const struct mu_arg setup_args[] = {
	{ "gather_subset", MU_T_LIST, 0, NULL, NULL, NULL },
	MU_ARG_END,
};

/* KEY=value or KEY="value" from os-release. */
static void os_release(json_t *facts)
{
	struct mu_buf b = MU_BUF_INIT;
	char *line, *save = NULL;

	if (mu_file_read("/etc/os-release", &b, 65536, NULL) != 0 &&
	    mu_file_read("/usr/lib/os-release", &b, 65536, NULL) != 0) {
		mu_buf_release(&b);
		return;
	}
	for (line = strtok_r(b.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		char *v;
		size_t n;
		const char *key = NULL;

		if (!eq)
			continue;
		*eq = '\0';
		v = eq + 1;
		n = strlen(v);
		if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
			v[n - 1] = '\0';
			v++;
		}
		if (strcmp(line, "ID") == 0)
			key = "distribution_id";
		else if (strcmp(line, "NAME") == 0)
			key = "distribution";
		else if (strcmp(line, "VERSION_ID") == 0)
			key = "distribution_version";
		else if (strcmp(line, "VERSION_CODENAME") == 0)
			key = "distribution_release";
		else if (strcmp(line, "ID_LIKE") == 0)
			key = "os_family_like";
		if (key)
			json_object_set_new(facts, key, json_string(v));
	}
	mu_buf_release(&b);
}

static long read_long(const char *path)
{
	struct mu_buf b = MU_BUF_INIT;
	long v = -1;

	if (mu_file_read(path, &b, 4096, NULL) == 0)
		v = strtol(b.buf, NULL, 10);
	mu_buf_release(&b);
	return v;
}

static int setup_check(struct mu_task *t, struct mu_result *r)
{
	json_t *facts = json_object();
	struct utsname u;
	char host[256] = "";
	struct mu_user me;

	if (uname(&u) == 0) {
		json_object_set_new(facts, "kernel", json_string(u.release));
		json_object_set_new(facts, "architecture", json_string(u.machine));
		json_object_set_new(facts, "system", json_string(u.sysname));
		json_object_set_new(facts, "nodename", json_string(u.nodename));
	}
	if (gethostname(host, sizeof(host) - 1) == 0) {
		json_object_set_new(facts, "fqdn", json_string(host));
		json_object_set_new(facts, "hostname", json_stringn(host, strcspn(host, ".")));
	}
	os_release(facts);
	json_object_set_new(facts, "os_family",
			    json_string(access("/etc/debian_version", F_OK) == 0 ? "Debian"
					: access("/etc/redhat-release", F_OK) == 0 ? "RedHat"
					: "Unknown"));
	json_object_set_new(facts, "user_uid", json_integer(geteuid()));
	if (mu_user_by_uid(geteuid(), &me, NULL) == 0) {
		json_object_set_new(facts, "user_id", json_string(me.name));
		json_object_set_new(facts, "user_dir", json_string(me.home));
		mu_user_release(&me);
	}
	json_object_set_new(facts, "processor_count", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	json_object_set_new(facts, "memtotal_mb",
			    json_integer((json_int_t)sysconf(_SC_PHYS_PAGES) / 256 *
					 ((json_int_t)sysconf(_SC_PAGESIZE) / 4096)));
	json_object_set_new(facts, "ip_unprivileged_port_start",
			    json_integer(read_long("/proc/sys/net/ipv4/ip_unprivileged_port_start")));
	json_object_set_new(facts, "ssh_port", json_integer(t->ctx ? t->ctx->ssh_port : 0));
	json_object_set_new(facts, "systemd_running",
			    json_boolean(access("/run/systemd/system", F_OK) == 0));
	json_object_set_new(facts, "muster_agent_version", json_string(MU_VERSION));
	mu_result_data(r, "ansible_facts", facts);
	mu_result_msg(r, "%zu facts", json_object_size(facts));
	return 0;
}

const struct mu_module mu_mod_setup = {
	.name = "setup",
	.aliases = setup_aliases,
	.args = setup_args,
	.summary = "gather host facts (kernel, distribution, users, ports)",
	.check = setup_check,
};
