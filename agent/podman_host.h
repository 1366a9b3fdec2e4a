/*
 * Host facts the container migration checks before it changes anything:
 * the unprivileged port start, ufw's stored rules, linger, the id-mapping
 * helpers, who may reach a path, and free space. Each reads files only.
 */
#ifndef MU_PODMAN_HOST_H
#define MU_PODMAN_HOST_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "mu_err.h"

/* Who a permission check is for: the user and the ids its namespace maps. */
struct pm_ident {
	uid_t uid;
	gid_t gid;
	gid_t groups[64];
	int ngroups;
	unsigned long ustart, ucount, gstart, gcount;
};

/* Fill id for user name (groups from /etc/group). */
void pm_ident_init(struct pm_ident *id, const char *name, uid_t uid, gid_t gid,
		   unsigned long ustart, unsigned long ucount,
		   unsigned long gstart, unsigned long gcount);

/* net.ipv4.ip_unprivileged_port_start, from /proc/sys; 1024 if unreadable. */
int pm_port_start(void);

/*
 * When ufw is enabled (ENABLED=yes in /etc/ufw/ufw.conf) or loaded, the
 * published ports ([{"port","proto"}]) that ufw would not let in from
 * everywhere: no allow/limit rule for incoming traffic decides for them in
 * /etc/ufw/user.rules, or, with IPV6=yes in /etc/default/ufw, in
 * /etc/ufw/user6.rules. Strings "80/tcp" (both families), "80/tcp over
 * IPv6 (...)" or "... over IPv4 (...)" (new array; [] with an incoming
 * policy of allow). NULL when ufw is not enabled or not installed.
 */
json_t *pm_ufw_missing(const json_t *ports);

/*
 * Rootful published ports reach their container through DNAT and the
 * FORWARD chain, which ufw filters with its routed policy and route rules.
 * When ufw is enabled or loaded and that policy is not allow, the ports
 * ([{"port","proto"}]) no IPv4 route allow rule covers, as "80/tcp" (new
 * array). NULL when ufw is off, not installed, or routes everything.
 */
json_t *pm_ufw_route_missing(const json_t *ports);

/* Does /var/lib/systemd/linger/USER exist? */
bool pm_linger_on(const char *user);

/*
 * Find prog (newuidmap, newgidmap, start-stop-daemon) in the usual bin
 * directories; caller frees. NULL if absent.
 */
char *pm_find_prog(const char *prog);
/* Is the mapping helper usable: set-user-ID root, or carrying file caps? */
bool pm_idmap_helper_ok(const char *path);

/*
 * Can id search every directory above path (path itself excluded)? If not,
 * *blocker is the first one that stops it (caller frees).
 */
bool pm_can_reach(const struct pm_ident *id, const char *path, char **blocker);
/* Can id read and write path (a device node)? */
bool pm_can_rw(const struct pm_ident *id, const char *path);

/*
 * Free bytes on the filesystem holding path (or its nearest existing
 * ancestor); *dev gets that filesystem's device for summing needs.
 */
int pm_free_space(const char *path, uint64_t *bytes, dev_t *dev, struct mu_err *e);

/*
 * Is path a system location whose ownership must never be shifted (/etc,
 * /usr, /dev, /run, the top of /home, ...)?
 */
bool pm_system_path(const char *path);

#endif
