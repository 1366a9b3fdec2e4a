/*
 * ping: proves the agent runs and answers; reports who it runs as.
 */
#include "module.h"

#include <unistd.h>

static const char *const ping_aliases[] = { "ansible.builtin.ping", NULL };

static const struct mu_arg ping_args[] = {
	{ "data", MU_T_STR, 0, "pong", NULL, NULL },
	MU_ARG_END,
};

static int ping_check(struct mu_task *t, struct mu_result *r)
{
	mu_result_data(r, "ping", json_string(mu_arg_str(t, "data")));
	mu_result_data(r, "euid", json_integer(geteuid()));
	mu_result_msg(r, "%s", mu_arg_str(t, "data"));
	return 0;
}

const struct mu_module mu_mod_ping = {
	.name = "ping",
	.aliases = ping_aliases,
	.args = ping_args,
	.summary = "answer with pong: the agent runs",
	.check = ping_check,
};
