/* Shell-style word splitting without a shell: quoting only, no expansion. */
#include "shlex.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mu_buf.h"

void mu_shlex_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

int mu_shlex_split(const char *s, char ***out, struct mu_err *e)
{
	char **argv = mu_xcalloc(1, sizeof(*argv));
	size_t n = 0;
	struct mu_buf w = MU_BUF_INIT;
	const char *p = s;

	*out = NULL;
	for (;;) {
		bool inword = false;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		mu_buf_reset(&w);
		while (*p && !isspace((unsigned char)*p)) {
			inword = true;
			if (*p == '\'') {
				const char *end = strchr(p + 1, '\'');

				if (!end)
					goto unbalanced;
				mu_buf_add(&w, p + 1, (size_t)(end - p - 1));
				p = end + 1;
			} else if (*p == '"') {
				p++;
				while (*p && *p != '"') {
					if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
						p++;
					mu_buf_addch(&w, *p++);
				}
				if (*p != '"')
					goto unbalanced;
				p++;
			} else if (*p == '\\' && p[1]) {
				mu_buf_addch(&w, p[1]);
				p += 2;
			} else {
				mu_buf_addch(&w, *p++);
			}
		}
		if (inword) {
			argv = mu_xrealloc(argv, (n + 2) * sizeof(*argv));
			argv[n++] = mu_xstrndup(w.buf, w.len);
			argv[n] = NULL;
		}
	}
	mu_buf_release(&w);
	*out = argv;
	return 0;
unbalanced:
	mu_buf_release(&w);
	mu_shlex_free(argv);
	return mu_err_set(e, MU_E_ARG, "unbalanced quote in '%s'", s);
}
