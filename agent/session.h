/*
 * The agent's side of the protocol: hello, then one result per task.
 */
#ifndef MU_SESSION_H
#define MU_SESSION_H

#include "module.h"

/*
 * Serve the protocol on in_fd/out_fd until "bye" or end of input.
 * Returns the process exit code: 0 after bye or a clean EOF between tasks,
 * 2 on a protocol error (after sending an error message), 1 on I/O error.
 */
int mu_session_serve(int in_fd, int out_fd, const struct mu_agent_ctx *ctx);

#endif
