/* In-place string helpers (see mu_str.h). */
#include "mu_str.h"

#include "mu_buf.h"

#include <ctype.h>
#include <string.h>

bool mu_str_all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

char *mu_str_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

char *mu_str_line(char **cursor)
{
	char *line = *cursor;
	char *nl;

	if (!line || !*line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl)
		*nl++ = '\0';
	*cursor = nl;
	return line;
}

/* Length of a valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, size_t avail)
{
	size_t n;
	unsigned int cp;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xE0) == 0xC0)
		n = 2, cp = p[0] & 0x1Fu;
	else if ((p[0] & 0xF0) == 0xE0)
		n = 3, cp = p[0] & 0x0Fu;
	else if ((p[0] & 0xF8) == 0xF0)
		n = 4, cp = p[0] & 0x07u;
	else
		return 0;
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3Fu);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

json_t *mu_json_string_lossy(const char *s, size_t len, size_t max, bool *truncated)
{
	struct mu_buf b = MU_BUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	json_t *j;
	size_t i = 0;

	if (truncated)
		*truncated = max && len > max;
	if (max && len > max)
		len = max;
	while (i < len) {
		size_t n = p[i] ? utf8_seq(p + i, len - i) : 0;

		if (n == 0) {
			/* A sequence cut by the size limit is dropped, not replaced. */
			if (truncated && *truncated && len - i < 4 && p[i] >= 0xC0)
				break;
			mu_buf_add(&b, "\xEF\xBF\xBD", 3);
			i++;
			continue;
		}
		mu_buf_add(&b, p + i, n);
		i += n;
	}
	j = json_stringn(b.buf, b.len);
	mu_buf_release(&b);
	return j ? j : json_string("");
}
