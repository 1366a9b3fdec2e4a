/* Building a task's result: status, message, changes, diff, warnings, data. */
#include "module.h"

#include <stdarg.h>

void mu_result_init(struct mu_result *r)
{
	r->status = MU_OK;
	mu_buf_init(&r->msg, (size_t)64 * 1024);
	r->changes = json_array();
	r->diff = json_array();
	r->warnings = json_array();
	r->data = json_object();
}

void mu_result_release(struct mu_result *r)
{
	mu_buf_release(&r->msg);
	json_decref(r->changes);
	json_decref(r->diff);
	json_decref(r->warnings);
	json_decref(r->data);
	r->changes = r->diff = r->warnings = r->data = NULL;
}

static json_t *vformat(const char *fmt, va_list ap)
{
	struct mu_buf b = MU_BUF_INIT;
	json_t *s;

	mu_buf_vaddf(&b, fmt, ap);
	s = json_stringn(b.buf, b.len);
	if (!s) /* not UTF-8: keep the report, lose the odd bytes */
		s = json_string("(message not valid UTF-8)");
	mu_buf_release(&b);
	return s;
}

void mu_result_change(struct mu_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	json_array_append_new(r->changes, vformat(fmt, ap));
	va_end(ap);
	r->status = mu_status_merge(r->status, MU_CHANGED);
}

void mu_result_diff(struct mu_result *r, const char *item, const char *before,
		    const char *after)
{
	json_t *d = json_object();

	json_object_set_new(d, "item", json_string(item ? item : ""));
	json_object_set_new(d, "before", before ? json_string(before) : json_null());
	json_object_set_new(d, "after", after ? json_string(after) : json_null());
	json_array_append_new(r->diff, d);
}

void mu_result_warn(struct mu_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	json_array_append_new(r->warnings, vformat(fmt, ap));
	va_end(ap);
}

int mu_result_fail(struct mu_result *r, int code, const char *fmt, ...)
{
	va_list ap;

	mu_buf_reset(&r->msg);
	va_start(ap, fmt);
	mu_buf_vaddf(&r->msg, fmt, ap);
	va_end(ap);
	r->status = MU_FAILED;
	return code;
}

void mu_result_msg(struct mu_result *r, const char *fmt, ...)
{
	va_list ap;

	mu_buf_reset(&r->msg);
	va_start(ap, fmt);
	mu_buf_vaddf(&r->msg, fmt, ap);
	va_end(ap);
}

void mu_result_data(struct mu_result *r, const char *key, json_t *val)
{
	json_object_set_new(r->data, key, val ? val : json_null());
}

json_t *mu_result_to_json(const struct mu_result *r, long id)
{
	json_t *j = json_object();
	json_t *msg = json_stringn(r->msg.buf, r->msg.len);

	json_object_set_new(j, "type", json_string("result"));
	json_object_set_new(j, "id", json_integer(id));
	json_object_set_new(j, "status", json_string(mu_status_name(r->status)));
	json_object_set_new(j, "msg", msg ? msg : json_string("(message not valid UTF-8)"));
	if (json_array_size(r->changes))
		json_object_set(j, "changes", r->changes);
	if (json_array_size(r->diff))
		json_object_set(j, "diff", r->diff);
	if (json_array_size(r->warnings))
		json_object_set(j, "warnings", r->warnings);
	if (json_object_size(r->data))
		json_object_set(j, "data", r->data);
	return j;
}
