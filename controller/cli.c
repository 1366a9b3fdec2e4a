/* Placeholder until the runner lands: only --version and --help. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "mu_proto.h"

int mu_cli_main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("muster %s (build %s, protocol %d)\n", MU_VERSION, MU_GIT_REV,
		       MU_PROTO_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: muster play|audit|ping|facts ...\n");
	return 5;
}
