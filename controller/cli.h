/* The muster command line: subcommands play, audit, ping, facts. */
#ifndef MU_CLI_H
#define MU_CLI_H

/* Parse argv, run the subcommand, return the process exit code (0..5). */
int mu_cli_main(int argc, char **argv);

#endif
