/*
 * Ansible host patterns, for a play's `hosts:` and for --limit.
 *
 * A pattern is a list of terms separated by ',' (or, when there is no
 * comma, by ':' outside brackets). A term is
 *   all, *            every host
 *   NAME              a group (its hosts and its descendants' hosts) or a host
 *   glob              fnmatch on group and host names: web*, db-?, [ab]*
 *   ~REGEX            POSIX extended regex searched in group and host names
 *   TERM[i], [i:j]    a subscript of the term's hosts: [0], [-1], [1:3]
 *                     (inclusive, as in Ansible), [2:], [:2]
 * prefixed with '!' to exclude or '&' to intersect. As in Ansible, the plain
 * terms are united first, then the '&' terms intersect, then the '!' terms
 * exclude, whatever order they were written in; a pattern of only '!'/'&'
 * terms starts from all.
 *
 * Hosts come out in inventory order, each once. A pattern that matches
 * nothing gives 0 hosts and no error (the caller warns); there is no
 * implicit localhost.
 */
#ifndef MU_HOSTPATTERN_H
#define MU_HOSTPATTERN_H

#include <stddef.h>

#include "inventory.h"
#include "mu_err.h"

/* On success *out is a malloc'd array of *n pointers into inv (the caller
 * frees the array, not the hosts), NULL when *n is 0. A malformed pattern
 * (bad regex, bad subscript, empty term after ! or &) is MU_E_PARSE. */
int mu_hosts_select(const struct mu_inventory *inv, const char *pattern,
		    struct mu_host ***out, size_t *n, struct mu_err *e);

/* 1 when host h matches pattern (same rules), 0 when not, or a negative
 * error code with e filled. */
int mu_host_matches(const struct mu_inventory *inv, const struct mu_host *h,
		    const char *pattern, struct mu_err *e);

#endif
