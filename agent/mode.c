/*
 * File modes as Ansible accepts them: octal strings ("0644", "644", "1777")
 * and chmod's symbolic form ("u+rwX,g-w,o=r", "a=r"). A bare integer never
 * reaches here: the argument binder refuses it, because YAML's 755 is the
 * decimal 755, not 0755.
 */
#include "module.h"

#include <string.h>
#include <sys/stat.h>

static int parse_octal(const char *s, mode_t *out, struct mu_err *e)
{
	const char *p = s;
	mode_t m = 0;

	if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
		p += 2;
	if (!*p)
		return mu_err_set(e, MU_E_ARG, "invalid mode '%s'", s);
	for (; *p; p++) {
		if (*p < '0' || *p > '7')
			return mu_err_set(e, MU_E_ARG,
					  "invalid mode '%s': '%c' is not an octal digit",
					  s, *p);
		m = (mode_t)(m * 8 + (mode_t)(*p - '0'));
		if (m > 07777)
			return mu_err_set(e, MU_E_ARG, "invalid mode '%s': above 07777", s);
	}
	*out = m;
	return 0;
}

/* One clause: [ugoa]*([-+=][rwxXst]*)+ */
static int apply_clause(const char *s, const char *c, size_t n, mode_t *m,
			bool is_dir, struct mu_err *e)
{
	mode_t who = 0;
	size_t i = 0;

	for (; i < n && strchr("ugoa", c[i]); i++) {
		switch (c[i]) {
		case 'u': who |= S_ISUID | S_IRWXU; break;
		case 'g': who |= S_ISGID | S_IRWXG; break;
		case 'o': who |= S_IRWXO; break;
		default: who |= S_ISUID | S_ISGID | S_IRWXU | S_IRWXG | S_IRWXO; break;
		}
	}
	if (!who)
		who = S_ISUID | S_ISGID | S_IRWXU | S_IRWXG | S_IRWXO;
	if (i == n)
		return mu_err_set(e, MU_E_ARG, "invalid mode '%s': no operator", s);
	while (i < n) {
		char op = c[i++];
		mode_t bits = 0;

		if (!strchr("+-=", op))
			return mu_err_set(e, MU_E_ARG,
					  "invalid mode '%s': unexpected '%c'", s, op);
		for (; i < n && !strchr("+-=", c[i]); i++) {
			switch (c[i]) {
			case 'r': bits |= S_IRUSR | S_IRGRP | S_IROTH; break;
			case 'w': bits |= S_IWUSR | S_IWGRP | S_IWOTH; break;
			case 'x': bits |= S_IXUSR | S_IXGRP | S_IXOTH; break;
			case 'X':
				if (is_dir || (*m & (S_IXUSR | S_IXGRP | S_IXOTH)))
					bits |= S_IXUSR | S_IXGRP | S_IXOTH;
				break;
			case 's': bits |= S_ISUID | S_ISGID; break;
			case 't': bits |= S_ISVTX; break;
			default:
				return mu_err_set(e, MU_E_ARG,
						  "invalid mode '%s': unknown permission '%c'",
						  s, c[i]);
			}
		}
		/* The sticky bit belongs to no class; let 'o' and 'a' carry it. */
		bits = (bits & who) | ((bits & S_ISVTX) && (who & S_IRWXO) ? S_ISVTX : 0);
		switch (op) {
		case '+': *m |= bits; break;
		case '-': *m &= ~bits; break;
		default:
			*m = (*m & ~(who | ((who & S_IRWXO) ? S_ISVTX : 0))) | bits;
			break;
		}
	}
	return 0;
}

int mu_mode_parse(const char *s, mode_t cur, bool is_dir, mode_t *out,
		  struct mu_err *e)
{
	mode_t m = cur & 07777;
	const char *p = s;

	if (!*s)
		return mu_err_set(e, MU_E_ARG, "invalid mode: empty");
	if (s[0] >= '0' && s[0] <= '9')
		return parse_octal(s, out, e);
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		int r;

		if (!n)
			return mu_err_set(e, MU_E_ARG, "invalid mode '%s': empty clause", s);
		if ((r = apply_clause(s, p, n, &m, is_dir, e)) != 0)
			return r;
		p += n;
		if (*p == ',')
			p++;
	}
	*out = m;
	return 0;
}
