/*
 * The module table: every module the agent knows, in one place. To add a
 * module, write mod_<name>.c exporting one const struct mu_module, declare
 * it here and list it below; tests/unit/test_modules.c checks the table
 * (unique names and aliases, an argument spec, a docs page each).
 */
#include "module.h"

extern const struct mu_module mu_mod_ping;
extern const struct mu_module mu_mod_podman_migrate;
extern const struct mu_module mu_mod_podman_chown;
extern const struct mu_module mu_mod_command;
extern const struct mu_module mu_mod_shell;
extern const struct mu_module mu_mod_setup;
extern const struct mu_module mu_mod_sysctl;
extern const struct mu_module mu_mod_file;
extern const struct mu_module mu_mod_ufw;
extern const struct mu_module mu_mod_linger;
extern const struct mu_module mu_mod_systemd_service;
extern const struct mu_module mu_mod_podman_room;

const struct mu_module *const mu_modules[] = {
	&mu_mod_ping,
	&mu_mod_command,
	&mu_mod_shell,
	&mu_mod_setup,
	&mu_mod_sysctl,
	&mu_mod_file,
	&mu_mod_ufw,
	&mu_mod_linger,
	&mu_mod_systemd_service,
	&mu_mod_podman_room,
	&mu_mod_podman_migrate,
	&mu_mod_podman_chown,
	NULL,
};
