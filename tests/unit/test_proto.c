/* The wire framing: line reader bounds, parsing, the status lattice. */
#include <criterion/criterion.h>
#include <string.h>

#include "mu_proto.h"

Test(status, merge_is_worst_wins_for_all_pairs)
{
	/* Expected fold for every (prior, evidence) pair, rows = prior. */
	static const enum mu_status want[4][4] = {
		/* evidence: skipped     ok         changed     failed */
		[MU_SKIPPED] = { MU_SKIPPED, MU_OK, MU_CHANGED, MU_FAILED },
		[MU_OK] = { MU_OK, MU_OK, MU_CHANGED, MU_FAILED },
		[MU_CHANGED] = { MU_CHANGED, MU_CHANGED, MU_CHANGED, MU_FAILED },
		[MU_FAILED] = { MU_FAILED, MU_FAILED, MU_FAILED, MU_FAILED },
	};

	for (int p = 0; p < 4; p++)
		for (int v = 0; v < 4; v++)
			cr_expect_eq(mu_status_merge((enum mu_status)p, (enum mu_status)v),
				     want[p][v], "merge(%s, %s)",
				     mu_status_name((enum mu_status)p),
				     mu_status_name((enum mu_status)v));
}

Test(status, names_round_trip)
{
	for (int s = 0; s <= MU_FAILED; s++) {
		enum mu_status back;

		cr_assert_eq(mu_status_parse(mu_status_name((enum mu_status)s), &back), 0);
		cr_expect_eq(back, (enum mu_status)s);
	}
	{
		enum mu_status x;

		cr_expect_eq(mu_status_parse("bogus", &x), MU_E_PROTO);
	}
}

Test(linebuf, splits_fed_chunks_into_lines)
{
	struct mu_linebuf lb;
	char *line;
	size_t len;

	mu_linebuf_init(&lb, 100);
	mu_linebuf_feed(&lb, "ab", 2);
	cr_expect_eq(mu_linebuf_next(&lb, &line, &len), 1);
	mu_linebuf_feed(&lb, "c\r\nde\nf", 7);
	cr_assert_eq(mu_linebuf_next(&lb, &line, &len), 0);
	cr_expect_str_eq(line, "abc");
	cr_expect_eq(len, 3);
	cr_assert_eq(mu_linebuf_next(&lb, &line, &len), 0);
	cr_expect_str_eq(line, "de");
	cr_expect_eq(mu_linebuf_next(&lb, &line, &len), 1);
	mu_linebuf_release(&lb);
}

Test(linebuf, overlong_line_is_reported_once_and_skipped)
{
	struct mu_linebuf lb;
	char big[300];
	char *line;
	size_t len;

	memset(big, 'x', sizeof(big));
	mu_linebuf_init(&lb, 100);
	mu_linebuf_feed(&lb, big, sizeof(big));
	cr_expect_eq(mu_linebuf_next(&lb, &line, &len), MU_E_TOOBIG);
	mu_linebuf_feed(&lb, big, sizeof(big));
	cr_expect_eq(mu_linebuf_next(&lb, &line, &len), 1, "still discarding");
	mu_linebuf_feed(&lb, "xx\nok\n", 6);
	cr_assert_eq(mu_linebuf_next(&lb, &line, &len), 0);
	cr_expect_str_eq(line, "ok");
	cr_expect_lt(lb.in.alloc, 4096, "memory stays bounded");
	mu_linebuf_release(&lb);
}

Test(proto, parse_rejects_non_objects_and_missing_type)
{
	struct mu_err e = { 0 };
	json_t *m;

	cr_expect_eq(mu_proto_parse("[1]", 3, &m, &e), MU_E_PROTO);
	cr_expect_str_eq(e.msg, "message is not a JSON object");
	cr_expect_eq(mu_proto_parse("{\"a\":1}", 7, &m, &e), MU_E_PROTO);
	cr_expect_str_eq(e.msg, "message has no string 'type'");
	cr_expect_eq(mu_proto_parse("{\"type\":", 8, &m, &e), MU_E_PROTO);
	cr_expect(strstr(e.msg, "malformed JSON") != NULL, "%s", e.msg);
	cr_assert_eq(mu_proto_parse("{\"type\":\"bye\"}", 14, &m, &e), 0);
	json_decref(m);
}

Test(proto, duplicate_keys_are_rejected)
{
	struct mu_err e = { 0 };
	json_t *m;
	const char *s = "{\"type\":\"task\",\"type\":\"bye\"}";

	cr_expect_eq(mu_proto_parse(s, strlen(s), &m, &e), MU_E_PROTO);
}

Test(proto, format_escapes_newlines_into_one_line)
{
	struct mu_buf b = MU_BUF_INIT;
	json_t *m = json_pack("{s:s, s:s}", "type", "result", "msg", "a\nb");

	cr_assert_eq(mu_proto_format(m, &b), 0);
	cr_expect_eq(strchr(b.buf, '\n'), b.buf + b.len - 1, "only the final newline");
	json_decref(m);
	mu_buf_release(&b);
}
