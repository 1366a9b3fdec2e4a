/*
 * What the user sees: per-task lines as results arrive (a host's line is
 * printed whole, never interleaved with another's), diffs with --diff,
 * the PLAY RECAP, a live progress line on a terminal, and the machine
 * formats (--json, --junit; docs/output.md has the schema).
 * All functions are safe to call from many host threads at once.
 */
#ifndef MU_REPORT_H
#define MU_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "mu_proto.h"

struct mu_stats {
	int ok, changed, unreachable, failed, skipped, ignored;
};

struct mu_report;

/* out: where human lines go (stdout). colour: auto-detected if < 0. */
struct mu_report *mu_report_new(FILE *out, int colour, int verbosity, bool diff,
				bool check);
void mu_report_free(struct mu_report *r);

void mu_report_play(struct mu_report *r, const char *name, size_t nhosts);
/* Register a host (in inventory order) before its results arrive. */
void mu_report_host(struct mu_report *r, const char *host);

/*
 * One task result for one host. reply is the agent's result (or one built
 * by the controller); status may be upgraded/downgraded by the caller
 * (changed_when, failed_when, ignore_errors) and is passed separately.
 * item_label is NULL outside loops.
 */
void mu_report_result(struct mu_report *r, const char *host, const char *play,
		      const char *task, const char *module, const char *item_label,
		      enum mu_status status, bool ignored, const json_t *reply,
		      long duration_ms, const char *file, int line);
/*
 * A loop item: shown and recorded like a result but not counted in the
 * recap; the task is counted once, with its folded status, by
 * mu_report_tally (as Ansible counts a looped task once). changed says
 * whether an ignored failure also changed something.
 */
void mu_report_item(struct mu_report *r, const char *host, const char *play,
		    const char *task, const char *module, const char *item_label,
		    enum mu_status status, bool ignored, const json_t *reply,
		    long duration_ms, const char *file, int line);
void mu_report_tally(struct mu_report *r, const char *host, const char *task,
		     enum mu_status status, bool ignored, bool changed);
void mu_report_unreachable(struct mu_report *r, const char *host, const char *task,
			   const char *msg);
/* A controller-side message for a host (debug output, warnings). */
void mu_report_note(struct mu_report *r, const char *host, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

const struct mu_stats *mu_report_stats(struct mu_report *r, const char *host);
/* Print PLAY RECAP (and, for audits, the drift summary). */
void mu_report_recap(struct mu_report *r, bool audit);
int mu_report_write_json(struct mu_report *r, const char *path, const char *playbook,
			 struct mu_err *e);
int mu_report_write_junit(struct mu_report *r, const char *path, struct mu_err *e);

/* Totals across hosts, for the exit code. */
void mu_report_totals(struct mu_report *r, struct mu_stats *out, size_t *drifted_hosts);

#endif
