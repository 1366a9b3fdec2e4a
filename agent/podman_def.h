/*
 * A container's definition, reduced from `podman container inspect` to what
 * the migration carries over: image, entrypoint and command, environment,
 * labels, published ports, bind mounts, named volumes, tmpfs mounts,
 * networks, restart policy, user, working directory, capabilities, devices.
 * It is a JSON object with sorted lists, so the record, the plan and the
 * "is the rootless container the same?" question all use one shape, and
 * comparing two definitions is json_equal per key.
 *
 * Keys: name, image, image_id, entrypoint[], cmd[], env[], labels{},
 * hostname (only when set by hand), ports[{container_port, proto, host_ip,
 * host_port}], binds[{source, destination, ro, relabel}],
 * volumes[{name, destination, ro}], tmpfs{dest: options}, networks[],
 * network_mode ("default", "host", "none", or podman's own text), restart,
 * restart_retries, user, workdir, cap_add[], cap_drop[], devices[],
 * privileged, and unsupported[] (what could not be carried, as text).
 */
#ifndef MU_PODMAN_DEF_H
#define MU_PODMAN_DEF_H

#include <jansson.h>
#include <sys/types.h>

#include "mu_err.h"

/* Where the rootful API socket lives, and the user's, for rewriting. */
#define PM_ROOT_SOCKET "/run/podman/podman.sock"
#define PM_ROOT_SOCKET_DIR "/run/podman"

/*
 * Reduce an inspect object. image_config is the image's Config (or NULL):
 * environment entries equal to the image's own defaults are not pinned,
 * and neither are HOSTNAME and podman's container= marker; an image
 * entrypoint tells whether an empty one must be cleared explicitly. Never fails on a
 * well-formed inspect; returns NULL with e set when inspect is not one.
 * Caller decrefs.
 */
json_t *pm_def_from_inspect(const json_t *inspect, const json_t *image_config,
			    struct mu_err *e);

/*
 * The definition the user's container should have: the rootful socket
 * mount rewritten to /run/user/UID/podman/podman.sock, and the restart
 * policy given. New object; caller decrefs.
 */
json_t *pm_def_for_user(const json_t *def, uid_t uid, const char *restart);

/* Does a bind source name the rootful API socket (or its directory)? */
int pm_is_root_socket(const char *source);

/*
 * The keys on which a and b differ (image compared by ID, name ignored),
 * as a new array of strings; empty when the same.
 */
json_t *pm_def_diff(const json_t *a, const json_t *b);

/*
 * The argv after "podman" that creates def without starting it or pulling:
 * "create --pull=never --name N --restart R ... IMAGE CMD...". image is
 * the reference to use (a name, or the ID when the user has no name for
 * it). NULL-terminated; free with pm_args_free.
 */
char **pm_def_create_args(const json_t *def, const char *image);
void pm_args_free(char **args);

/* Published host ports as [{"port": N, "proto": "tcp"}], without duplicates. */
json_t *pm_def_published(const json_t *def);

#endif
