/*
 * The muster command line. Parses options, loads inventory and playbook
 * (every error there is reported with its file:line before any host is
 * touched), runs, prints the recap and maps the outcome to
 * ansible-playbook's exit codes: 0 ok, 1 error, 2 a host failed, 3 a host
 * unreachable, 4 parse error, 5 bad options.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "hostpattern.h"
#include "inventory.h"
#include "mu_buf.h"
#include "mu_log.h"
#include "mu_proto.h"
#include "playbook.h"
#include "report.h"
#include "runner.h"
#include "transport.h"
#include "yaml.h"

enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_FAILED = 2, EXIT_UNREACHABLE = 3,
       EXIT_PARSE = 4, EXIT_OPTIONS = 5 };

enum cmd { CMD_PLAY, CMD_AUDIT, CMD_PING, CMD_FACTS };

struct cli {
	enum cmd cmd;
	const char *playbook;
	const char *inventory;
	const char *json_path;
	const char *junit_path;
	const char *pattern;
	bool list_hosts;
	bool syntax_check;
	bool ask_become_pass;
	bool become;
	const char *remote_user;
	struct mu_run_opts run;
	char *agent_path;
};

static const char *const usage_text[] = {
	[CMD_PLAY] =
	"usage: muster play PLAYBOOK [-i INVENTORY] [--check] [--diff] [--limit PATTERN]\n"
	"                   [--forks N] [-e KEY=VALUE | -e @FILE.yml] [--tags T] [--skip-tags T]\n"
	"                   [--json FILE] [--junit FILE] [--syntax-check] [-v...]\n",
	[CMD_AUDIT] =
	"usage: muster audit PLAYBOOK [same options as play]\n"
	"  Runs the playbook in check mode and reports each host's drift.\n"
	"  Exit 0 when every host is compliant, 2 when any host drifts or a check fails.\n",
	[CMD_PING] =
	"usage: muster ping [PATTERN] [-i INVENTORY] [--limit PATTERN] [--list-hosts]\n",
	[CMD_FACTS] =
	"usage: muster facts [PATTERN] [-i INVENTORY] [--limit PATTERN]\n",
};

static const char common_options[] =
	"\noptions:\n"
	"  -i, --inventory FILE       inventory (INI or YAML); default: localhost, local\n"
	"  -C, --check                change nothing; report what would change\n"
	"  -D, --diff                 show before/after of each change\n"
	"  -l, --limit PATTERN        only hosts matching PATTERN (names, groups, globs,\n"
	"                             !exclude, &intersect)\n"
	"  -f, --forks N              hosts worked on at once (default 50)\n"
	"  -e, --extra-vars VARS      KEY=VALUE ..., a JSON/YAML mapping, or @FILE\n"
	"  -t, --tags T1,T2           only tasks with these tags\n"
	"      --skip-tags T1,T2      skip tasks with these tags\n"
	"      --json FILE            write every result as JSON (docs/output.md)\n"
	"      --junit FILE           write a JUnit XML report\n"
	"  -u, --user USER            remote user when the inventory sets none\n"
	"  -b, --become               run every play with become (sudo)\n"
	"  -K, --ask-become-pass      prompt for the sudo password (never put in argv)\n"
	"      --private-key FILE     identity file for SSH\n"
	"      --ssh-config FILE      SSH client config (default ~/.ssh/config)\n"
	"      --known-hosts FILE     known_hosts file (default ~/.ssh/known_hosts)\n"
	"      --accept-new-host-keys add unknown host keys (changed keys are still refused)\n"
	"  -T, --timeout N            connect timeout in seconds (default 10)\n"
	"      --task-timeout N       fail a task after N seconds (default none)\n"
	"      --agent PATH           the muster-agent binary to deploy\n"
	"      --list-hosts           print the hosts selected, run nothing\n"
	"      --syntax-check         load and check the playbook, run nothing\n"
	"  -v, --verbose              more output (-vv shows returned data)\n"
	"  -h, --help                 this help\n";

static void usage(enum cmd c, FILE *f)
{
	fputs(usage_text[c], f);
	fputs(common_options, f);
}

static void top_usage(FILE *f)
{
	fputs("usage: muster COMMAND [ARGS]\n\n"
	      "commands:\n"
	      "  play PLAYBOOK    run a playbook over the inventory\n"
	      "  audit PLAYBOOK   check mode with a per-host drift report\n"
	      "  ping [PATTERN]   connect, deploy the agent, answer\n"
	      "  facts [PATTERN]  print each host's facts\n\n"
	      "`muster COMMAND --help` for the options; docs/cli.md for the manual.\n", f);
}

/* Find the agent: MU_AGENT_PATH, beside us, or in the build tree. */
static char *find_agent(void)
{
	const char *env = getenv("MU_AGENT_PATH");
	char self[PATH_MAX];
	ssize_t n;
	static const char *const rel[] = {
		"muster-agent", "../agent/muster-agent", "../lib/muster/muster-agent", NULL
	};

	if (env && *env)
		return mu_xstrdup(env);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash)
			*slash = '\0';
		for (size_t i = 0; rel[i]; i++) {
			char *p = mu_xasprintf("%s/%s", self, rel[i]);

			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return mu_xstrdup("/usr/local/lib/muster/muster-agent");
}

/*
 * -e: KEY=VALUE words (quotes group words: msg='a b'), an inline JSON or
 * YAML mapping, or @FILE. Values from KEY=VALUE are strings, as in
 * Ansible; from YAML and JSON they keep their types (yes/no/true/false
 * are booleans there).
 */
static int parse_extra(const char *arg, json_t *into, struct mu_err *e)
{
	struct mu_ydoc *doc = NULL;
	json_t *j;
	int r;

	if (arg[0] == '@' || arg[0] == '{') {
		if (arg[0] == '@' && !arg[1])
			return mu_err_set(e, MU_E_ARG, "--extra-vars: '@' needs a file name");
		r = arg[0] == '@' ? mu_yaml_load_file(arg + 1, &doc, e)
				  : mu_yaml_load_string("--extra-vars", arg, strlen(arg), &doc, e);
		if (r) {
			if (r != MU_E_PARSE) {
				char msg[sizeof(e->msg)];

				snprintf(msg, sizeof(msg), "%s", e->msg);
				mu_err_set(e, MU_E_ARG, "--extra-vars: %s", msg);
			}
			return e->code;
		}
		if (!doc->root || doc->root->type != MU_Y_MAP) {
			mu_ydoc_free(doc);
			return mu_err_set(e, MU_E_PARSE, "--extra-vars '%s' is not a mapping", arg);
		}
		j = mu_vars_from_yaml(doc->root, e);
		mu_ydoc_free(doc);
		if (!j)
			return MU_E_PARSE;
		json_object_update(into, j);
		json_decref(j);
		return 0;
	}
	if (mu_kv_parse(arg, into, e) != 0) {
		char msg[sizeof(e->msg)];

		snprintf(msg, sizeof(msg), "%s", e->msg);
		return mu_err_set(e, MU_E_ARG, "--extra-vars: %s (or use @FILE or a JSON mapping)",
				  msg);
	}
	return 0;
}

static char *read_password(void)
{
	struct mu_buf b = MU_BUF_INIT;
	FILE *tty = fopen("/dev/tty", "r+");
	FILE *in = tty ? tty : stdin;
	struct termios old, noecho;
	bool restore = false;
	int c;

	if (tty) {
		fputs("BECOME password: ", tty);
		fflush(tty);
		if (tcgetattr(fileno(tty), &old) == 0) {
			noecho = old;
			noecho.c_lflag &= (tcflag_t)~ECHO;
			restore = tcsetattr(fileno(tty), TCSANOW, &noecho) == 0;
		}
	}
	while ((c = fgetc(in)) != EOF && c != '\n')
		mu_buf_addch(&b, (char)c);
	if (restore) {
		tcsetattr(fileno(tty), TCSANOW, &old);
		fputc('\n', tty);
	}
	if (tty)
		fclose(tty);
	return mu_buf_detach(&b, NULL);
}

static int parse_int_opt(const char *name, const char *v, int min, int max, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < min || n > max) {
		fprintf(stderr, "muster: %s: '%s' is not a number from %d to %d\n", name, v,
			min, max);
		return -1;
	}
	*out = (int)n;
	return 0;
}

enum {
	OPT_JSON = 256, OPT_JUNIT, OPT_SKIP_TAGS, OPT_PRIVATE_KEY, OPT_SSH_CONFIG,
	OPT_KNOWN_HOSTS, OPT_ACCEPT_NEW, OPT_TASK_TIMEOUT, OPT_AGENT, OPT_LIST_HOSTS,
	OPT_SYNTAX,
};

static const struct option long_opts[] = {
	{ "inventory", required_argument, NULL, 'i' },
	{ "check", no_argument, NULL, 'C' },
	{ "diff", no_argument, NULL, 'D' },
	{ "limit", required_argument, NULL, 'l' },
	{ "forks", required_argument, NULL, 'f' },
	{ "extra-vars", required_argument, NULL, 'e' },
	{ "tags", required_argument, NULL, 't' },
	{ "skip-tags", required_argument, NULL, OPT_SKIP_TAGS },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "junit", required_argument, NULL, OPT_JUNIT },
	{ "user", required_argument, NULL, 'u' },
	{ "become", no_argument, NULL, 'b' },
	{ "ask-become-pass", no_argument, NULL, 'K' },
	{ "private-key", required_argument, NULL, OPT_PRIVATE_KEY },
	{ "ssh-config", required_argument, NULL, OPT_SSH_CONFIG },
	{ "known-hosts", required_argument, NULL, OPT_KNOWN_HOSTS },
	{ "accept-new-host-keys", no_argument, NULL, OPT_ACCEPT_NEW },
	{ "timeout", required_argument, NULL, 'T' },
	{ "task-timeout", required_argument, NULL, OPT_TASK_TIMEOUT },
	{ "agent", required_argument, NULL, OPT_AGENT },
	{ "list-hosts", no_argument, NULL, OPT_LIST_HOSTS },
	{ "syntax-check", no_argument, NULL, OPT_SYNTAX },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Returns 0, or an exit code to stop with (EXIT_OPTIONS, or -1 for help). */
static int parse_args(int argc, char **argv, struct cli *c, struct mu_err *e)
{
	int opt;

	c->run.forks = 50;
	c->run.extra_vars = json_object();
	/* 0: ssh_config's ConnectTimeout, else the transport's 10 s. */
	c->run.conn.connect_timeout = 0;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "i:CDl:f:e:t:u:bKT:vh", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			if (c->inventory) {
				fprintf(stderr, "muster: --inventory given twice ('%s', '%s'); muster reads "
					"one inventory: a file, or a directory of them\n", c->inventory, optarg);
				return EXIT_OPTIONS;
			}
			c->inventory = optarg;
			break;
		case 'C': c->run.check = true; break;
		case 'D': c->run.diff = true; break;
		case 'l': c->run.limit = optarg; break;
		case 'f':
			if (parse_int_opt("--forks", optarg, 1, 10000, &c->run.forks))
				return EXIT_OPTIONS;
			break;
		case 'e':
			if (parse_extra(optarg, c->run.extra_vars, e)) {
				fprintf(stderr, "muster: %s\n", e->msg);
				return e->code == MU_E_PARSE ? EXIT_PARSE : EXIT_OPTIONS;
			}
			break;
		case 't': c->run.tags = optarg; break;
		case OPT_SKIP_TAGS: c->run.skip_tags = optarg; break;
		case OPT_JSON: c->json_path = optarg; break;
		case OPT_JUNIT: c->junit_path = optarg; break;
		case 'u': c->remote_user = optarg; break;
		case 'b': c->become = true; break;
		case 'K': c->ask_become_pass = true; break;
		case OPT_PRIVATE_KEY: c->run.conn.identity = optarg; break;
		case OPT_SSH_CONFIG: c->run.conn.ssh_config = optarg; break;
		case OPT_KNOWN_HOSTS: c->run.conn.known_hosts = optarg; break;
		case OPT_ACCEPT_NEW: c->run.conn.accept_new_host_keys = true; break;
		case 'T':
			if (parse_int_opt("--timeout", optarg, 1, 3600, &c->run.conn.connect_timeout))
				return EXIT_OPTIONS;
			break;
		case OPT_TASK_TIMEOUT:
			if (parse_int_opt("--task-timeout", optarg, 1, 86400, &c->run.conn.task_timeout))
				return EXIT_OPTIONS;
			break;
		case OPT_AGENT: c->agent_path = mu_xstrdup(optarg); break;
		case OPT_LIST_HOSTS: c->list_hosts = true; break;
		case OPT_SYNTAX: c->syntax_check = true; break;
		case 'v': c->run.verbosity++; break;
		case 'h': usage(c->cmd, stdout); return -1;
		default:
			if (optopt && optopt < 256)
				fprintf(stderr, "muster: option '-%c' %s\n", optopt,
					strchr("ilfetuT", optopt) ? "needs a value" : "is unknown");
			else
				fprintf(stderr, "muster: option '%s' is unknown or needs a value\n",
					argv[optind - 1]);
			usage(c->cmd, stderr);
			return EXIT_OPTIONS;
		}
	}
	if (c->cmd == CMD_PLAY || c->cmd == CMD_AUDIT) {
		if (optind >= argc) {
			fprintf(stderr, "muster: missing PLAYBOOK\n");
			usage(c->cmd, stderr);
			return EXIT_OPTIONS;
		}
		c->playbook = argv[optind++];
	} else if (optind < argc) {
		c->pattern = argv[optind++];
	}
	if (optind < argc) {
		fprintf(stderr, "muster: unexpected argument '%s'\n", argv[optind]);
		usage(c->cmd, stderr);
		return EXIT_OPTIONS;
	}
	if (c->cmd == CMD_AUDIT)
		c->run.check = c->run.audit = true;
	return 0;
}

/* ping and facts are one-task plays built here. */
static struct mu_playbook *adhoc_playbook(const char *pattern, const char *module,
					  bool become)
{
	struct mu_playbook *pb = mu_xcalloc(1, sizeof(*pb));
	struct mu_play *p;
	struct mu_taskdef *t;

	pb->path = mu_xstrdup("<ad hoc>");
	pb->plays = mu_xcalloc(1, sizeof(*pb->plays));
	pb->nplays = 1;
	p = &pb->plays[0];
	p->name = mu_xasprintf("%s", module);
	p->hosts = mu_xstrdup(pattern);
	p->become = become;
	p->vars = json_object();
	p->file = pb->path;
	p->tasks = mu_xcalloc(1, sizeof(*p->tasks));
	p->ntasks = 1;
	t = &p->tasks[0];
	t->name = mu_xstrdup(module);
	t->module = mu_xstrdup(module);
	t->kind = MU_ACT_AGENT;
	t->args = json_object();
	t->tags = json_array();
	t->loop_var = mu_xstrdup("item");
	t->become = -1;
	t->check_mode = -1;
	t->file = pb->path;
	return pb;
}

static int list_hosts(struct mu_inventory *inv, const struct mu_playbook *pb,
		      const char *pattern, const char *limit)
{
	struct mu_err e = { 0 };

	for (size_t pi = 0; pb ? pi < pb->nplays : pi < 1; pi++) {
		struct mu_host **sel = NULL, **lim = NULL;
		size_t n = 0, nl = 0, shown = 0;
		const char *pat = pb ? pb->plays[pi].hosts : pattern;

		if (mu_hosts_select(inv, pat, &sel, &n, &e) ||
		    (limit && mu_hosts_select(inv, limit, &lim, &nl, &e))) {
			fprintf(stderr, "muster: %s\n", e.msg);
			free(sel);
			return EXIT_OPTIONS;
		}
		for (size_t i = 0; i < n; i++) {
			bool ok = !limit;

			for (size_t j = 0; j < nl && !ok; j++)
				ok = lim[j] == sel[i];
			if (ok)
				shown++;
		}
		printf("%s%s (%zu):\n", pb ? "play: " : "hosts", pb ? pat : "", shown);
		for (size_t i = 0; i < n; i++) {
			bool ok = !limit;

			for (size_t j = 0; j < nl && !ok; j++)
				ok = lim[j] == sel[i];
			if (ok)
				printf("    %s\n", sel[i]->name);
		}
		free(sel);
		free(lim);
	}
	return EXIT_OK;
}

/* Could we create or replace path? (errno set when not) */
static bool writable(const char *path)
{
	char *copy;
	const char *slash = strrchr(path, '/');
	bool ok;

	if (access(path, F_OK) == 0)
		return access(path, W_OK) == 0;
	copy = slash ? mu_xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : mu_xstrdup(".");
	ok = access(copy, W_OK | X_OK) == 0;
	free(copy);
	return ok;
}

static int run(struct cli *c)
{
	struct mu_err e = { 0 };
	struct mu_inventory *inv = NULL;
	struct mu_playbook *pb = NULL;
	struct mu_report *rep = NULL;
	struct mu_stats tot;
	size_t drifted = 0;
	bool report_lost = false;
	char *pass = NULL;
	int rc = EXIT_ERROR;

	if (c->inventory) {
		if (mu_inventory_load(c->inventory, &inv, &e) != 0) {
			fprintf(stderr, "muster: inventory: %s\n", e.msg);
			return e.code == MU_E_PARSE ? EXIT_PARSE : EXIT_OPTIONS;
		}
	} else {
		inv = mu_inventory_localhost();
	}
	if (c->remote_user)
		for (size_t i = 0; i < inv->nhosts; i++)
			if (!inv->hosts[i]->user)
				inv->hosts[i]->user = mu_xstrdup(c->remote_user);
	for (size_t i = 0; i < inv->nhosts; i++)
		if (strcmp(inv->hosts[i]->connection, "ssh") != 0 &&
		    strcmp(inv->hosts[i]->connection, "local") != 0 &&
		    strcmp(inv->hosts[i]->connection, "paramiko") != 0 &&
		    strcmp(inv->hosts[i]->connection, "smart") != 0) {
			fprintf(stderr, "muster: %s:%d: host '%s': ansible_connection '%s' is not "
				"supported (ssh or local)\n", inv->hosts[i]->file ? inv->hosts[i]->file : "",
				inv->hosts[i]->line, inv->hosts[i]->name, inv->hosts[i]->connection);
			rc = EXIT_OPTIONS;
			goto out;
		}

	if (c->cmd == CMD_PLAY || c->cmd == CMD_AUDIT) {
		if (mu_playbook_load(c->playbook, &pb, &e) != 0) {
			fprintf(stderr, "muster: %s\n", e.msg);
			rc = e.code == MU_E_PARSE ? EXIT_PARSE : EXIT_ERROR;
			goto out;
		}
	} else {
		pb = adhoc_playbook(c->pattern ? c->pattern : "all",
				    c->cmd == CMD_PING ? "ping" : "setup", c->become);
		if (c->cmd == CMD_FACTS && c->run.verbosity < 2)
			c->run.verbosity = 2;
	}
	if (c->become)
		for (size_t i = 0; i < pb->nplays; i++)
			pb->plays[i].become = 1;
	if (c->syntax_check) {
		printf("playbook: %s: ok (%zu plays)\n", c->playbook, pb->nplays);
		rc = EXIT_OK;
		goto out;
	}
	if (c->list_hosts) {
		rc = list_hosts(inv, c->cmd == CMD_PLAY || c->cmd == CMD_AUDIT ? pb : NULL,
				c->pattern ? c->pattern : "all", c->run.limit);
		goto out;
	}
	if (c->ask_become_pass) {
		pass = read_password();
		c->run.conn.become_pass = pass;
	}
	if (c->run.conn.identity && access(c->run.conn.identity, R_OK) != 0) {
		fprintf(stderr, "muster: --private-key '%s': %s\n", c->run.conn.identity,
			strerror(errno));
		rc = EXIT_OPTIONS;
		goto out;
	}
	c->run.conn.agent_path = c->agent_path;
	c->run.conn.verbosity = c->run.verbosity;
	if (access(c->agent_path, X_OK) != 0) {
		fprintf(stderr, "muster: cannot find the agent binary '%s': set MU_AGENT_PATH or "
			"--agent\n", c->agent_path);
		rc = EXIT_ERROR;
		goto out;
	}
	/* An unwritable report path is found now, not after the fleet changed. */
	if ((c->json_path && !writable(c->json_path)) || (c->junit_path && !writable(c->junit_path))) {
		fprintf(stderr, "muster: cannot write '%s': %s\n",
			c->json_path && !writable(c->json_path) ? c->json_path : c->junit_path,
			strerror(errno));
		rc = EXIT_OPTIONS;
		goto out;
	}
	rep = mu_report_new(stdout, -1, c->run.verbosity, c->run.diff, c->run.check);
	if (mu_run_playbook(pb, inv, &c->run, rep, &e) != 0) {
		fprintf(stderr, "muster: %s\n", e.msg);
		rc = e.code == MU_E_PARSE ? EXIT_PARSE : EXIT_ERROR;
		goto out;
	}
	mu_report_recap(rep, c->cmd == CMD_AUDIT);
	if (c->json_path && mu_report_write_json(rep, c->json_path, c->playbook, &e) != 0) {
		fprintf(stderr, "muster: %s\n", e.msg);
		report_lost = true;
	}
	if (c->junit_path && mu_report_write_junit(rep, c->junit_path, &e) != 0) {
		fprintf(stderr, "muster: %s\n", e.msg);
		report_lost = true;
	}
	mu_report_totals(rep, &tot, &drifted);
	/* failed beats unreachable; an audit's drift counts as a failure */
	if (tot.failed || (!tot.unreachable && c->cmd == CMD_AUDIT && drifted))
		rc = EXIT_FAILED;
	else if (tot.unreachable)
		rc = EXIT_UNREACHABLE;
	else if (report_lost)
		rc = EXIT_ERROR; /* a clean run whose report is missing must not look clean */
	else
		rc = EXIT_OK;
out:
	if (pass) {
		explicit_bzero(pass, strlen(pass));
		free(pass);
	}
	mu_report_free(rep);
	mu_playbook_free(pb);
	mu_inventory_free(inv);
	return rc;
}

int mu_cli_main(int argc, char **argv)
{
	struct cli c = { 0 };
	struct mu_err e = { 0 };
	const char *sub;
	int rc;

	mu_log_tag = "muster";
	json_object_seed(0);
	/* A closed stdout (| head) must not kill a run half-way: writes just fail. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		top_usage(stderr);
		return EXIT_OPTIONS;
	}
	sub = argv[1];
	if (strcmp(sub, "--version") == 0 || strcmp(sub, "version") == 0) {
		printf("muster %s (build %s, protocol %d)\n", MU_VERSION, MU_GIT_REV, MU_PROTO_VERSION);
		return EXIT_OK;
	}
	if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 || strcmp(sub, "help") == 0) {
		top_usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(sub, "play") == 0 || strcmp(sub, "playbook") == 0)
		c.cmd = CMD_PLAY;
	else if (strcmp(sub, "audit") == 0)
		c.cmd = CMD_AUDIT;
	else if (strcmp(sub, "ping") == 0)
		c.cmd = CMD_PING;
	else if (strcmp(sub, "facts") == 0)
		c.cmd = CMD_FACTS;
	else {
		fprintf(stderr, "muster: unknown command '%s'\n", sub);
		top_usage(stderr);
		return EXIT_OPTIONS;
	}
	rc = parse_args(argc - 1, argv + 1, &c, &e);
	if (rc == 0) {
		mu_log_level = (enum mu_loglevel)(MU_LOG_WARN + c.run.verbosity);
		if (!c.agent_path)
			c.agent_path = find_agent();
		rc = run(&c);
	} else if (rc < 0) {
		rc = EXIT_OK;
	}
	json_decref(c.run.extra_vars);
	free(c.agent_path);
	return rc;
}
