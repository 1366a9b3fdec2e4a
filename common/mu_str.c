/* In-place string helpers (see mu_str.h). */
#include "mu_str.h"

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
