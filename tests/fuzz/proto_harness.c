/* See proto_harness.h. */
#include "proto_harness.h"

#include "module.h"
#include "mu_proto.h"

int mu_fuzz_proto_one(const uint8_t *data, size_t size)
{
	struct mu_linebuf lb;
	int parsed = 0;
	char *line;
	size_t len;
	int r;

	/* A small ceiling so over-long lines are exercised too. */
	mu_linebuf_init(&lb, 4096);
	/* Feed in uneven chunks to exercise reassembly. */
	for (size_t off = 0; off < size;) {
		size_t n = (size - off) < 7 ? size - off : 1u + (size_t)(data[off] % 97u);

		if (n > size - off)
			n = size - off;
		mu_linebuf_feed(&lb, data + off, n);
		off += n;
		while ((r = mu_linebuf_next(&lb, &line, &len)) <= 0) {
			struct mu_err e = { 0 };
			json_t *msg = NULL;

			if (r == MU_E_TOOBIG)
				continue;
			if (mu_proto_parse(line, len, &msg, &e) != 0)
				continue;
			parsed++;
			{
				const char *mod = json_string_value(json_object_get(msg, "module"));
				const struct mu_module *m = mod ? mu_module_find(mod) : NULL;
				json_t *bound = NULL;

				if (m && mu_args_bind(m->args, json_object_get(msg, "args"), &bound, &e) == 0)
					json_decref(bound);
			}
			json_decref(msg);
		}
	}
	mu_linebuf_release(&lb);
	return parsed;
}
