/* common/mu_str.h and mu_buf_rtrim: the shared trimming and line cutting. */
#include <criterion/criterion.h>
#include <string.h>

#include "mu_buf.h"
#include "mu_str.h"

Test(str, all_digits)
{
	cr_expect(mu_str_all_digits("0"));
	cr_expect(mu_str_all_digits("1000"));
	cr_expect_not(mu_str_all_digits(""), "empty is not a number");
	cr_expect_not(mu_str_all_digits("12a"));
	cr_expect_not(mu_str_all_digits("-1"));
	cr_expect_not(mu_str_all_digits(" 1"));
}

Test(str, trim_both_ends_in_place)
{
	char a[] = " \t key = v \r\n";
	char b[] = "   ";
	char c[] = "x";

	cr_expect_str_eq(mu_str_trim(a), "key = v");
	cr_expect_eq(strlen(a), 10, "the end is cut in the caller's buffer");
	cr_expect_str_eq(mu_str_trim(b), "");
	cr_expect_str_eq(mu_str_trim(c), "x");
}

Test(str, lines)
{
	char text[] = "a\n\nb c\nlast";
	char *cur = text, *line;
	const char *want[] = { "a", "", "b c", "last" };
	size_t n = 0;

	while ((line = mu_str_line(&cur))) {
		cr_assert_lt(n, 4);
		cr_expect_str_eq(line, want[n]);
		n++;
	}
	cr_expect_eq(n, 4);
	cr_expect_null(mu_str_line(&cur), "stays at the end");
}

Test(str, trailing_newline_is_no_extra_line)
{
	char text[] = "one\ntwo\n";
	char empty[] = "";
	char *cur = text;

	cr_expect_str_eq(mu_str_line(&cur), "one");
	cr_expect_str_eq(mu_str_line(&cur), "two");
	cr_expect_null(mu_str_line(&cur));
	cur = empty;
	cr_expect_null(mu_str_line(&cur));
	cur = NULL;
	cr_expect_null(mu_str_line(&cur));
}

Test(buf, rtrim)
{
	struct mu_buf b = MU_BUF_INIT;

	mu_buf_rtrim(&b, "\n ");
	cr_expect_eq(b.len, 0, "an empty buffer stays empty");
	mu_buf_addstr(&b, " error: x \n\n ");
	mu_buf_rtrim(&b, "\n ");
	cr_expect_str_eq(b.buf, " error: x", "only the end is trimmed");
	cr_expect_eq(b.len, 9);
	mu_buf_reset(&b);
	mu_buf_add(&b, "a\0 ", 3);
	mu_buf_rtrim(&b, "\n ");
	cr_expect_eq(b.len, 2, "a NUL byte is not in chars");
	mu_buf_release(&b);
}
