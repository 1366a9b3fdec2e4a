/*
 * Argument validation against a module's spec. Everything a module's
 * check() and apply() read has passed through mu_args_bind(), so they never
 * see an unknown key, a wrong type or a value outside its choices.
 */
#include "module.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {
	[MU_T_STR] = "a string", [MU_T_BOOL] = "a boolean",
	[MU_T_INT] = "an integer", [MU_T_LIST] = "a list",
	[MU_T_DICT] = "a mapping", [MU_T_RAW] = "a value",
	[MU_T_MODE] = "a file mode", [MU_T_PATH] = "an absolute path",
};

static bool alias_matches(const char *aliases, const char *key)
{
	size_t klen = strlen(key);
	const char *p = aliases;

	while (p && *p) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);

		if (n == klen && strncmp(p, key, n) == 0)
			return true;
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

const struct mu_arg *mu_arg_find(const struct mu_arg *spec, const char *key)
{
	for (const struct mu_arg *a = spec; a->name; a++)
		if (strcmp(a->name, key) == 0 ||
		    (a->aliases && alias_matches(a->aliases, key)))
			return a;
	return NULL;
}

/* YAML 1.1 / Ansible booleans, as strings. Returns false if not one. */
static bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "y", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "n", "false", "off", "0", NULL };

	for (int i = 0; yes[i]; i++)
		if (strcasecmp(s, yes[i]) == 0)
			return (*out = true);
	for (int i = 0; no[i]; i++)
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	return false;
}

static bool parse_int(const char *s, long long *out)
{
	char *end;

	if (!*s)
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	return errno == 0 && *end == '\0';
}

/* Stringify a scalar the way Ansible would for a str argument. */
static json_t *scalar_to_string(const json_t *v)
{
	char tmp[64];

	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_incref((json_t *)v);
	case JSON_INTEGER:
		snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return json_string(tmp);
	case JSON_REAL:
		snprintf(tmp, sizeof(tmp), "%.17g", json_real_value(v));
		return json_string(tmp);
	case JSON_TRUE:
		return json_string("true");
	case JSON_FALSE:
		return json_string("false");
	default:
		return NULL;
	}
}

static json_t *to_list(const json_t *v)
{
	json_t *list;
	size_t i;
	json_t *item;

	if (json_is_array(v)) {
		list = json_array();
		json_array_foreach(v, i, item) {
			json_t *s = scalar_to_string(item);

			if (!s) {
				json_decref(list);
				return NULL;
			}
			json_array_append_new(list, s);
		}
		return list;
	}
	if (json_is_string(v)) {
		/* "a,b" is a list of two, as Ansible splits comma strings. */
		const char *s = json_string_value(v);

		list = json_array();
		while (*s) {
			const char *comma = strchr(s, ',');
			size_t n = comma ? (size_t)(comma - s) : strlen(s);

			while (n && isspace((unsigned char)*s)) {
				s++;
				n--;
			}
			while (n && isspace((unsigned char)s[n - 1]))
				n--;
			if (n)
				json_array_append_new(list, json_stringn(s, n));
			if (!comma)
				break;
			s = comma + 1;
		}
		return list;
	}
	if (json_is_integer(v)) {
		list = json_array();
		json_array_append_new(list, scalar_to_string(v));
		return list;
	}
	return NULL;
}

static int check_choice(const struct mu_arg *a, const json_t *v, struct mu_err *e);

static int coerce(const struct mu_arg *a, const json_t *v, json_t **out,
		  struct mu_err *e)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	long long n;
	bool b;

	*out = NULL;
	switch (a->type) {
	case MU_T_STR:
	case MU_T_PATH:
		*out = scalar_to_string(v);
		if (*out && a->type == MU_T_PATH &&
		    json_string_value(*out)[0] != '/') {
			json_decref(*out);
			*out = NULL;
			return mu_err_set(e, MU_E_ARG,
					  "argument '%s' must be an absolute path, got '%s'",
					  a->name, s ? s : "?");
		}
		break;
	case MU_T_BOOL:
		if (json_is_boolean(v))
			*out = json_incref((json_t *)v);
		else if (s && parse_bool(s, &b))
			*out = json_boolean(b);
		else if (json_is_integer(v) &&
			 (json_integer_value(v) == 0 || json_integer_value(v) == 1))
			*out = json_boolean(json_integer_value(v));
		break;
	case MU_T_INT:
		if (json_is_integer(v))
			*out = json_incref((json_t *)v);
		else if (s && parse_int(s, &n))
			*out = json_integer(n);
		break;
	case MU_T_LIST:
		*out = to_list(v);
		break;
	case MU_T_DICT:
		if (json_is_object(v))
			*out = json_incref((json_t *)v);
		break;
	case MU_T_RAW:
		*out = json_incref((json_t *)v);
		break;
	case MU_T_MODE:
		if (json_is_integer(v))
			return mu_err_set(e, MU_E_ARG,
					  "argument '%s' is the decimal integer %" JSON_INTEGER_FORMAT
					  ", which is not what you mean; quote it as an octal "
					  "string: %s: '0%" JSON_INTEGER_FORMAT "'",
					  a->name, json_integer_value(v), a->name,
					  json_integer_value(v));
		if (s) {
			mode_t m;

			/* Validate the syntax now; symbolic forms resolve later. */
			if (mu_mode_parse(s, 0, false, &m, e) != 0)
				return MU_E_ARG;
			*out = json_incref((json_t *)v);
		}
		break;
	}
	if (!*out)
		return mu_err_set(e, MU_E_ARG, "argument '%s' must be %s",
				  a->name, type_names[a->type]);
	return 0;
}

int mu_arg_check_value(const struct mu_arg *a, const json_t *v, struct mu_err *e)
{
	json_t *c = NULL;
	int r = coerce(a, v, &c, e);

	if (!r)
		r = check_choice(a, c, e);
	json_decref(c);
	return r;
}

static int check_choice(const struct mu_arg *a, const json_t *v, struct mu_err *e)
{
	struct mu_buf all = MU_BUF_INIT;
	const char *s;
	int r;

	if (!a->choices || !json_is_string(v))
		return 0;
	s = json_string_value(v);
	for (int i = 0; a->choices[i]; i++)
		if (strcmp(s, a->choices[i]) == 0)
			return 0;
	for (int i = 0; a->choices[i]; i++)
		mu_buf_addf(&all, "%s%s", i ? ", " : "", a->choices[i]);
	r = mu_err_set(e, MU_E_ARG, "argument '%s' must be one of: %s; got '%s'",
		       a->name, all.buf, s);
	mu_buf_release(&all);
	return r;
}

int mu_args_bind(const struct mu_arg *spec, const json_t *in, json_t **out,
		 struct mu_err *e)
{
	json_t *bound = json_object();
	const char *key;
	json_t *val;
	int r = MU_E_ARG;

	*out = NULL;
	if (in && !json_is_object(in) && !json_is_null(in)) {
		r = mu_err_set(e, MU_E_ARG, "arguments must be a mapping");
		goto out;
	}
	if (json_is_object(in)) {
		json_object_foreach((json_t *)in, key, val) {
			const struct mu_arg *a = mu_arg_find(spec, key);
			json_t *c;

			if (!a) {
				struct mu_buf known = MU_BUF_INIT;

				for (const struct mu_arg *k = spec; k->name; k++)
					mu_buf_addf(&known, "%s%s", k == spec ? "" : ", ", k->name);
				r = mu_err_set(e, MU_E_ARG, "unknown argument '%s' (known: %s)",
					       key, known.buf);
				mu_buf_release(&known);
				goto out;
			}
			if (json_object_get(bound, a->name)) {
				r = mu_err_set(e, MU_E_ARG, "argument '%s' given twice (as '%s')",
					       a->name, key);
				goto out;
			}
			if (json_is_null(val))
				continue; /* null means "not given", as in Ansible */
			if ((r = coerce(a, val, &c, e)) != 0)
				goto out;
			if ((r = check_choice(a, c, e)) != 0) {
				json_decref(c);
				goto out;
			}
			json_object_set_new(bound, a->name, c);
		}
	}
	for (const struct mu_arg *a = spec; a->name; a++) {
		json_t *d;
		json_t *c;

		if (json_object_get(bound, a->name))
			continue;
		if (a->flags & MU_REQUIRED) {
			r = mu_err_set(e, MU_E_ARG, "missing required argument '%s'", a->name);
			goto out;
		}
		if (!a->def)
			continue;
		d = json_string(a->def);
		r = coerce(a, d, &c, e);
		json_decref(d);
		if (r)
			goto out; /* a bad default is a programming error; report it */
		json_object_set_new(bound, a->name, c);
	}
	*out = bound;
	bound = NULL;
	r = 0;
out:
	json_decref(bound);
	return r;
}

const char *mu_arg_str(const struct mu_task *t, const char *name)
{
	return json_string_value(json_object_get(t->args, name));
}

bool mu_arg_bool(const struct mu_task *t, const char *name)
{
	return json_is_true(json_object_get(t->args, name));
}

long long mu_arg_int(const struct mu_task *t, const char *name, long long def)
{
	json_t *v = json_object_get(t->args, name);

	return json_is_integer(v) ? json_integer_value(v) : def;
}

json_t *mu_arg_json(const struct mu_task *t, const char *name)
{
	return json_object_get(t->args, name);
}

bool mu_arg_isset(const struct mu_task *t, const char *name)
{
	return json_object_get(t->args, name) != NULL;
}
