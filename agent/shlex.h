/* Split a command line into words the way a POSIX shell would quote them. */
#ifndef MU_SHLEX_H
#define MU_SHLEX_H

#include "mu_err.h"

/*
 * Split s into a NULL-terminated argv (caller frees with mu_shlex_free).
 * Handles '...', "..." (with \" \\ \$ \` escapes) and backslash escapes; no
 * expansion of any kind. Unbalanced quotes are MU_E_ARG.
 */
int mu_shlex_split(const char *s, char ***out, struct mu_err *e);
void mu_shlex_free(char **argv);

#endif
