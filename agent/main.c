/*
 * muster-agent: applies tasks that arrive as JSON lines on stdin and
 * answers each on stdout (docs/protocol.md). Deployed by the controller;
 * runs by hand for debugging: `echo '...' | muster-agent`.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mu_log.h"
#include "session.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: muster-agent [--ssh-port PORT] [-v] [--version] [--list-modules]\n"
		"Speaks the muster protocol on stdin/stdout; see docs/protocol.md.\n");
}

/* sshd tells us which port the session came in on: "cip cport sip sport". */
static int port_from_env(void)
{
	const char *s = getenv("SSH_CONNECTION");
	char *end;
	long port;

	for (int field = 0; s && field < 3; field++)
		if ((s = strchr(s, ' ')))
			s++;
	if (!s)
		return 0;
	port = strtol(s, &end, 10);
	if (end == s || (*end && *end != ' ') || port <= 0 || port >= 65536)
		return 0;
	return (int)port;
}

int main(int argc, char **argv)
{
	struct mu_agent_ctx ctx = { 0 };

	mu_log_tag = "muster-agent";
	signal(SIGPIPE, SIG_IGN);
	ctx.ssh_port = port_from_env();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--ssh-port") == 0 && i + 1 < argc) {
			char *end;
			long p = strtol(argv[++i], &end, 10);

			if (*end || p < 0 || p > 65535) {
				fprintf(stderr, "muster-agent: bad --ssh-port '%s'\n", argv[i]);
				return 5;
			}
			ctx.ssh_port = (int)p;
		} else if (strcmp(argv[i], "-v") == 0) {
			mu_log_level++;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("muster-agent %s (build %s, protocol %d)\n", MU_VERSION,
			       MU_GIT_REV, MU_PROTO_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--list-modules") == 0) {
			for (size_t m = 0; mu_modules[m]; m++)
				printf("%s\n", mu_modules[m]->name);
			return 0;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "muster-agent: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 5;
		}
	}
	return mu_session_serve(0, 1, &ctx);
}
