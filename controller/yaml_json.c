/*
 * Reading a loaded YAML tree: lookups, error helpers, and the conversion to
 * JSON with muster's wire resolution of plain scalars (see yaml.h). The
 * resolution is deliberately narrower than YAML 1.1: only null and decimal
 * integers change type, so `0644` and `no` reach the consumer as written and
 * the consumer, which knows what it expects, decides.
 */
#include "yaml.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Aliases share nodes, so a small file can stand for a huge tree ("billion
 * laughs"); conversion stops past these. */
#define MU_YJ_MAX_NODES (1u << 22)
#define MU_YJ_MAX_DEPTH 1000

ssize_t mu_ymap_index(const struct mu_ynode *map, const char *key)
{
	size_t klen;

	if (!map || map->type != MU_Y_MAP)
		return -1;
	klen = strlen(key);
	for (size_t i = 0; i < map->n; i++) {
		const struct mu_ynode *k = map->keys[i];

		if (k->type == MU_Y_SCALAR && k->len == klen &&
		    memcmp(k->value, key, klen) == 0)
			return (ssize_t)i;
	}
	return -1;
}

const struct mu_ynode *mu_ymap_get(const struct mu_ynode *map, const char *key)
{
	ssize_t i = mu_ymap_index(map, key);

	return i < 0 ? NULL : map->items[i];
}

static bool plain_null(const char *s)
{
	return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	       strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

bool mu_ynode_is_null(const struct mu_ynode *n)
{
	if (!n)
		return true;
	if (n->type != MU_Y_SCALAR)
		return false;
	if (n->tag)
		return strcmp(n->tag, MU_YTAG_NULL) == 0;
	return n->style == MU_YS_PLAIN && plain_null(n->value);
}

const char *mu_ynode_str(const struct mu_ynode *n)
{
	return n && n->type == MU_Y_SCALAR ? n->value : NULL;
}

const char *mu_ynode_kind(const struct mu_ynode *n)
{
	if (mu_ynode_is_null(n))
		return "null";
	if (n->type == MU_Y_MAP)
		return "mapping";
	if (n->type == MU_Y_SEQ)
		return "sequence";
	return "string";
}

int mu_yerr(struct mu_err *e, const struct mu_ynode *n, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!n)
		return mu_err_set(e, MU_E_PARSE, "%s", msg);
	return mu_err_set(e, MU_E_PARSE, "%s:%d:%d: %s", n->file, n->line, n->col, msg);
}

bool mu_yaml_truthy(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "on", "true", "y", "t", "1" };
	static const char *const no[] = { "no", "off", "false", "n", "f", "0" };

	if (!s)
		return false;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			if (out)
				*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			if (out)
				*out = false;
			return true;
		}
	}
	return false;
}

/* YAML 1.1 spells booleans in one of three cases only; `1`/`0` are ints. */
bool mu_yaml_plain_bool(const char *s, bool *out)
{
	static const char *const words[] = {
		"yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE",
		"false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
	};
	/* Not y/n: Ansible's loader (PyYAML) keeps them as strings, so a list
	 * [x, y, z] stays letters. */

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(s, words[i]) == 0)
			return mu_yaml_truthy(s, out);
	return false;
}

/* [-+]?(0|[1-9][0-9]*) that fits in json_int_t. */
static bool plain_int(const char *s, json_int_t *out)
{
	const char *d = s + (*s == '-' || *s == '+');
	char *end;
	long long v;

	if (!*d || (d[0] == '0' && d[1]))
		return false;
	for (const char *p = d; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

/* !!int accepts what YAML 1.1 does: sign, then 0x, 0o, 0b, leading-0
 * octal or decimal, with `_` separators. */
static bool tagged_int(const char *s, json_int_t *out)
{
	char digits[72], *end;
	size_t n = 0;
	int base = 10;
	bool neg = false;
	unsigned long long v;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		base = 8, s += 2;
	else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
		base = 2, s += 2;
	else if (s[0] == '0' && s[1])
		base = 8, s += 1;
	for (; *s; s++) {
		if (*s == '_')
			continue;
		if (n + 1 >= sizeof(digits))
			return false;
		digits[n++] = *s;
	}
	digits[n] = '\0';
	if (n == 0 || digits[0] == '-' || digits[0] == '+')
		return false;
	errno = 0;
	v = strtoull(digits, &end, base);
	if (errno || *end || v > (unsigned long long)LLONG_MAX + neg)
		return false;
	*out = neg ? (json_int_t)(0 - v) : (json_int_t)v;
	return true;
}

static json_t *scalar_to_json(const struct mu_ynode *n, unsigned flags, struct mu_err *e)
{
	json_int_t i;
	bool b;

	if (n->tag) {
		const char *t = n->tag;

		if (strcmp(t, MU_YTAG_NULL) == 0)
			return json_null();
		if (strcmp(t, MU_YTAG_INT) == 0) {
			if (!tagged_int(n->value, &i)) {
				mu_yerr(e, n, "invalid !!int value '%s'", n->value);
				return NULL;
			}
			return json_integer(i);
		}
		if (strcmp(t, MU_YTAG_BOOL) == 0) {
			if (!mu_yaml_truthy(n->value, &b)) {
				mu_yerr(e, n, "invalid !!bool value '%s'", n->value);
				return NULL;
			}
			return json_boolean(b);
		}
		if (strcmp(t, MU_YTAG_FLOAT) == 0) {
			char *end;
			double d;

			errno = 0;
			d = strtod(n->value, &end);
			if (errno || end == n->value || *end || !isfinite(d)) {
				mu_yerr(e, n, "invalid !!float value '%s'", n->value);
				return NULL;
			}
			return json_real(d);
		}
		if (strcmp(t, "!vault") == 0) {
			mu_yerr(e, n, "vault-encrypted values are not supported; decrypt it "
				"(ansible-vault decrypt) or pass the secret with -e @file");
			return NULL;
		}
		/* !!str, the non-specific "!" and Ansible's !unsafe keep the text;
		 * any other tag would be silently misread, so it is refused. */
		if (strcmp(t, MU_YTAG_STR) != 0 && strcmp(t, "!") != 0 && strcmp(t, "!unsafe") != 0) {
			mu_yerr(e, n, "unsupported YAML tag '%s'", t);
			return NULL;
		}
		return json_stringn_nocheck(n->value, n->len);
	}
	if (n->style != MU_YS_PLAIN)
		return json_stringn_nocheck(n->value, n->len);
	if (plain_null(n->value))
		return json_null();
	if (plain_int(n->value, &i))
		return json_integer(i);
	if ((flags & MU_YJ_BOOL) && mu_yaml_plain_bool(n->value, &b))
		return json_boolean(b);
	return json_stringn_nocheck(n->value, n->len);
}

static json_t *to_json(const struct mu_ynode *n, unsigned flags, size_t *budget,
		       int depth, struct mu_err *e)
{
	json_t *out = NULL, *child = NULL;

	if (*budget == 0 || depth > MU_YJ_MAX_DEPTH) {
		mu_err_set(e, MU_E_TOOBIG, "%s:%d:%d: document too large or deep once "
			   "aliases are expanded", n->file, n->line, n->col);
		return NULL;
	}
	(*budget)--;
	if (n->type == MU_Y_SCALAR) {
		out = scalar_to_json(n, flags, e);
		if (!out && e && !e->code)
			mu_yerr(e, n, "invalid UTF-8 in scalar");
		return out;
	}
	out = n->type == MU_Y_SEQ ? json_array() : json_object();
	for (size_t i = 0; i < n->n; i++) {
		if (!(child = to_json(n->items[i], flags, budget, depth + 1, e)))
			goto fail;
		if (n->type == MU_Y_SEQ) {
			json_array_append_new(out, child);
			continue;
		}
		if (n->keys[i]->type != MU_Y_SCALAR) {
			mu_yerr(e, n->keys[i], "mapping key is a %s; only plain keys "
				"are supported", mu_ynode_kind(n->keys[i]));
			goto fail;
		}
		json_object_setn_new_nocheck(out, n->keys[i]->value, n->keys[i]->len, child);
	}
	return out;
fail:
	json_decref(child);
	json_decref(out);
	return NULL;
}

json_t *mu_ynode_to_json(const struct mu_ynode *n, unsigned flags, struct mu_err *e)
{
	size_t budget = MU_YJ_MAX_NODES;

	if (e)
		mu_err_clear(e);
	if (!n)
		return json_null();
	return to_json(n, flags, &budget, 0, e);
}
