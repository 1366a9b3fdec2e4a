/*
 * A YAML loader on libyaml that keeps source positions on every node, for
 * the inventory and playbook parsers (errors must name file:line:column).
 *
 * Loading builds a tree of struct mu_ynode owned by one struct mu_ydoc:
 * every node, string and array is freed by mu_ydoc_free(), never by the
 * caller. Nodes are read-only to callers.
 *
 * What the loader does beyond libyaml:
 * - aliases point at the anchored node (shared, not copied); an alias to a
 *   node still being built (a recursive structure) is an error;
 * - `<<` merge keys (a map, or a sequence of maps) are applied at load time:
 *   the merged pairs appear in the mapping itself, explicit keys win over
 *   merged ones and earlier maps in a merge list win over later ones;
 * - a key written twice in one mapping is an error naming both lines;
 * - a TAB in indentation is reported as such ("tab character used for
 *   indentation"), not with libyaml's obscure scanner message;
 * - a stream with more than one document is an error (nothing after the
 *   first document is ever silently ignored); an empty stream loads as a
 *   document whose root is NULL.
 *
 * Errors are MU_E_PARSE with "file:line:col: message" in e->msg (1-based).
 */
#ifndef MU_YAML_H
#define MU_YAML_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "mu_err.h"

enum mu_ytype { MU_Y_SCALAR, MU_Y_SEQ, MU_Y_MAP };

/* How a scalar was written; only plain scalars are subject to resolution. */
enum mu_ystyle {
	MU_YS_PLAIN, MU_YS_SINGLE, MU_YS_DOUBLE, MU_YS_LITERAL, MU_YS_FOLDED,
	MU_YS_FLOW,  /* a flow collection ([..] or {..}); BLOCK otherwise */
	MU_YS_BLOCK,
};

#define MU_YTAG_STR "tag:yaml.org,2002:str"
#define MU_YTAG_INT "tag:yaml.org,2002:int"
#define MU_YTAG_BOOL "tag:yaml.org,2002:bool"
#define MU_YTAG_NULL "tag:yaml.org,2002:null"
#define MU_YTAG_FLOAT "tag:yaml.org,2002:float"

struct mu_ynode {
	enum mu_ytype type;
	enum mu_ystyle style;
	char *value;          /* SCALAR: NUL-terminated text (may hold NULs) */
	size_t len;           /* SCALAR: bytes in value */
	char *tag;            /* explicit tag, expanded (e.g. MU_YTAG_STR); else NULL */
	const char *file;     /* the document's name, for messages */
	int line, col;        /* 1-based position where the node starts */
	struct mu_ynode **keys;  /* MAP: n key nodes */
	struct mu_ynode **items; /* SEQ: n items; MAP: n values, items[i] for keys[i] */
	size_t n;
	int building;         /* internal: set while the loader fills the node */
	size_t weight;        /* internal: nodes it expands to, aliases included */
};

struct mu_ydoc {
	char *name;               /* file name as given */
	struct mu_ynode *root;    /* NULL for an empty stream */
	struct mu_ynode **nodes;  /* internal: every node, for freeing */
	size_t nnodes, anodes;
};

/* Read and parse a file. On success *out is the caller's; free it with
 * mu_ydoc_free(). On error *out is NULL and e says why (MU_E_PARSE, or
 * MU_E_SYS when the file cannot be read). */
int mu_yaml_load_file(const char *path, struct mu_ydoc **out, struct mu_err *e);
/* As above from memory; name is used in messages. s need not be
 * NUL-terminated and is not kept. */
int mu_yaml_load_string(const char *name, const char *s, size_t len,
			struct mu_ydoc **out, struct mu_err *e);
void mu_ydoc_free(struct mu_ydoc *doc);

/* The value for scalar key `key` in a MAP node, or NULL when absent or when
 * map is not a MAP. The returned node belongs to the document. */
const struct mu_ynode *mu_ymap_get(const struct mu_ynode *map, const char *key);
/* Index of scalar key `key` in map, or -1. */
ssize_t mu_ymap_index(const struct mu_ynode *map, const char *key);

/* True for a plain null scalar (empty, ~, null/Null/NULL) or a !!null one.
 * A NULL pointer is null too. */
bool mu_ynode_is_null(const struct mu_ynode *n);
/* The scalar's text, or NULL when n is not a scalar. */
const char *mu_ynode_str(const struct mu_ynode *n);
/* A short name of the node's kind for messages: "mapping", "sequence",
 * "string", "null". */
const char *mu_ynode_kind(const struct mu_ynode *n);

/* Fill e with MU_E_PARSE and "file:line:col: <fmt>" for node n; returns
 * MU_E_PARSE. */
int mu_yerr(struct mu_err *e, const struct mu_ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Flags for mu_ynode_to_json. */
#define MU_YJ_BOOL 0x1  /* plain YAML 1.1 booleans become JSON true/false */

/*
 * Convert a node to JSON with muster's wire resolution of plain scalars:
 *   empty, ~, null (any of null/Null/NULL)      -> JSON null
 *   decimal integers ([-+]?(0|[1-9][0-9]*))     -> JSON integer (if it fits)
 *   everything else, including 0644, 0x1f, 1.5,
 *   yes/no/on/off/true/false/y/n                -> JSON string, source text
 * (with MU_YJ_BOOL, yes/no/true/false/on/off in their three spellings become
 * JSON booleans instead; y/n stay strings, as in Ansible's loader).
 * Quoted and block scalars are always strings. Explicit tags win: !!str
 * gives a string, !!int an integer (decimal, 0x, 0o or leading-0 octal),
 * !!bool a JSON boolean, !!null null, !!float a real; other tags give
 * strings. Mapping keys must be scalars and become their text.
 * Returns a new reference, or NULL with e set (MU_E_PARSE naming the node,
 * or MU_E_TOOBIG when alias expansion would explode).
 */
json_t *mu_ynode_to_json(const struct mu_ynode *n, unsigned flags, struct mu_err *e);

/*
 * Recognise a YAML 1.1 / Ansible boolean in any letter case:
 * yes/no, on/off, true/false, y/n, t/f, 1/0. Returns false (and leaves
 * *out alone) when s is none of them. out may be NULL.
 */
bool mu_yaml_truthy(const char *s, bool *out);

/*
 * Recognise the booleans of a plain scalar as Ansible's loader reads them:
 * yes/no, true/false, on/off, each only as lower, Title or UPPER case (not
 * y/n, t/f or 1/0). The rule of MU_YJ_BOOL and of playbook vars. Returns
 * false (and leaves *out alone) when s is none of them. out may be NULL.
 */
bool mu_yaml_plain_bool(const char *s, bool *out);

#endif
