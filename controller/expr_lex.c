/*
 * The expression tokenizer. It turns the whole expression into a token
 * array first, so the parser can look ahead (`not in`, `name=` keyword
 * arguments) without a pushback buffer. In template mode it stops at the
 * "}}" that closes the `{{`, tracking brackets the way Jinja's lexer does so
 * that a dict literal's closing braces do not end the expression early.
 */
#include "expr_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int lex_err(struct mu_err *e, size_t *errpos, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int lex_err(struct mu_err *e, size_t *errpos, size_t pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mu_err_setv(e, MU_E_PARSE, fmt, ap);
	va_end(ap);
	*errpos = pos;
	return MU_E_PARSE;
}

static void push(struct mu_ex_tokens *t, enum mu_ex_tok kind, size_t pos,
		 size_t end, json_t *val)
{
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 16;
		t->t = mu_xrealloc(t->t, t->alloc * sizeof(*t->t));
	}
	t->t[t->n].kind = kind;
	t->t[t->n].pos = pos;
	t->t[t->n].end = end;
	t->t[t->n].val = val;
	t->t[t->n].strip = false;
	t->n++;
}

void mu_ex_tokens_release(struct mu_ex_tokens *t)
{
	for (size_t i = 0; i < t->n; i++)
		json_decref(t->t[i].val);
	free(t->t);
	t->t = NULL;
	t->n = t->alloc = 0;
}

static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int put_utf8(struct mu_buf *b, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return mu_buf_add(b, u, n);
}

/* A quoted string with Python's escapes; *pp points at the quote. */
static int lex_string(const char *s, size_t len, size_t *pp, json_t **out,
		      size_t *errpos, struct mu_err *e)
{
	struct mu_buf b = MU_BUF_INIT;
	size_t start = *pp, p = *pp + 1;
	char q = s[start];
	int r;

	for (;;) {
		if (p >= len) {
			r = lex_err(e, errpos, start, "unterminated string");
			goto out;
		}
		if (s[p] == q)
			break;
		if (s[p] != '\\' || p + 1 >= len) {
			mu_buf_addch(&b, s[p++]);
			continue;
		}
		char c = s[p + 1];
		size_t esc = p;
		unsigned long cp = 0;
		int ndig = 0;

		p += 2;
		switch (c) {
		case '\\': case '\'': case '"':
			mu_buf_addch(&b, c);
			break;
		case 'n': mu_buf_addch(&b, '\n'); break;
		case 't': mu_buf_addch(&b, '\t'); break;
		case 'r': mu_buf_addch(&b, '\r'); break;
		case 'a': mu_buf_addch(&b, '\a'); break;
		case 'b': mu_buf_addch(&b, '\b'); break;
		case 'f': mu_buf_addch(&b, '\f'); break;
		case 'v': mu_buf_addch(&b, '\v'); break;
		case '\n': break; /* line continuation */
		case 'x': ndig = 2; break;
		case 'u': ndig = 4; break;
		case 'U': ndig = 8; break;
		default:
			if (c >= '0' && c <= '7') {
				/* up to three octal digits */
				int k = 0;
				p--;
				while (k < 3 && p < len && s[p] >= '0' && s[p] <= '7') {
					cp = cp * 8 + (unsigned long)(s[p] - '0');
					p++, k++;
				}
				if (put_utf8(&b, cp) != 0) {
					r = MU_E_NOMEM;
					goto out;
				}
				break;
			}
			/* Python keeps unknown escapes as written */
			mu_buf_addch(&b, '\\');
			mu_buf_addch(&b, c);
			break;
		}
		if (ndig) {
			for (int k = 0; k < ndig; k++) {
				int v = p < len ? hexval(s[p]) : -1;
				if (v < 0) {
					r = lex_err(e, errpos, esc, "truncated '\\%c' escape in string", c);
					goto out;
				}
				cp = cp * 16 + (unsigned long)v;
				p++;
			}
			if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
				r = lex_err(e, errpos, esc, "invalid code point in '\\%c' escape", c);
				goto out;
			}
			put_utf8(&b, cp);
		}
	}
	if (b.len > MU_EX_MAX_STR) {
		r = lex_err(e, errpos, start, "string literal too long");
		goto out;
	}
	if (!mu_ex_utf8_valid(b.buf, b.len)) {
		r = lex_err(e, errpos, start, "string literal is not valid UTF-8");
		goto out;
	}
	*out = mu_ex_string_buf(&b);
	*pp = p + 1;
	r = 0;
out:
	mu_buf_release(&b);
	return r;
}

/* Digits with optional single underscores between them, in base `base`. */
static int lex_number(const char *s, size_t len, size_t *pp, bool int_only,
		      json_t **out, bool *is_float, size_t *errpos, struct mu_err *e)
{
	size_t start = *pp, p = *pp;
	char tmp[128];
	size_t n = 0;
	int base = 10;
	bool flt = false;

	if (s[p] == '0' && p + 1 < len && strchr("xXoObB", s[p + 1]) && !int_only) {
		char c = (char)(s[p + 1] | 0x20);
		base = c == 'x' ? 16 : c == 'o' ? 8 : 2;
		p += 2;
	}
	for (;;) {
		if (p < len && s[p] == '_' && p + 1 < len && p > start &&
		    hexval(s[p + 1]) >= 0 && hexval(s[p + 1]) < base) {
			p++;
			continue;
		}
		if (p >= len || hexval(s[p]) < 0 || hexval(s[p]) >= base)
			break;
		if (n + 1 >= sizeof(tmp))
			return lex_err(e, errpos, start, "number literal too long");
		tmp[n++] = s[p++];
	}
	if (n == 0)
		return lex_err(e, errpos, start, "malformed number literal");
	if (base == 10 && !int_only) {
		if (p + 1 < len && s[p] == '.' && is_digit(s[p + 1])) {
			flt = true;
			tmp[n++] = s[p++];
			while (p < len && (is_digit(s[p]) || (s[p] == '_' && p + 1 < len && is_digit(s[p + 1])))) {
				if (s[p] == '_') {
					p++;
					continue;
				}
				if (n + 1 >= sizeof(tmp))
					return lex_err(e, errpos, start, "number literal too long");
				tmp[n++] = s[p++];
			}
		}
		if (p < len && (s[p] == 'e' || s[p] == 'E')) {
			size_t q = p + 1;
			if (q < len && (s[q] == '+' || s[q] == '-'))
				q++;
			if (q < len && is_digit(s[q])) {
				flt = true;
				while (p < q) {
					if (n + 1 >= sizeof(tmp))
						return lex_err(e, errpos, start, "number literal too long");
					tmp[n++] = s[p++];
				}
				while (p < len && is_digit(s[p])) {
					if (n + 1 >= sizeof(tmp))
						return lex_err(e, errpos, start, "number literal too long");
					tmp[n++] = s[p++];
				}
			}
		}
	}
	tmp[n] = '\0';
	if (p < len && (is_name_start(s[p]) || is_digit(s[p])))
		return lex_err(e, errpos, start, "malformed number literal");
	if (flt) {
		char *end;
		double d;

		errno = 0;
		d = strtod(tmp, &end);
		if (errno == ERANGE && (d > 1 || d < -1))
			return lex_err(e, errpos, start, "float literal out of range");
		if (mu_ex_real(d, out, e) != 0)
			return lex_err(e, errpos, start, "float literal out of range");
	} else {
		unsigned long long v;
		char *end;

		if (base == 10 && tmp[0] == '0' && n > 1) {
			size_t k = 0;
			while (k < n && tmp[k] == '0')
				k++;
			if (k < n)
				return lex_err(e, errpos, start,
					       "leading zeros in integer literal '%s' are not allowed (write 0o%s for octal)",
					       tmp, tmp + k);
		}
		errno = 0;
		v = strtoull(tmp, &end, base);
		if (errno == ERANGE || v > (unsigned long long)INT64_MAX)
			return lex_err(e, errpos, start, "integer literal too large");
		*out = json_integer((json_int_t)v);
	}
	*is_float = flt;
	*pp = p;
	return 0;
}

int mu_ex_lex(const char *s, size_t len, size_t p, bool tmpl,
	      struct mu_ex_tokens *out, size_t *errpos, struct mu_err *e)
{
	static const struct { const char *op; enum mu_ex_tok kind; } ops[] = {
		{ "//", TK_FDIV }, { "**", TK_POW }, { "==", TK_EQ }, { "!=", TK_NE },
		{ "<=", TK_LE }, { ">=", TK_GE },
		{ "(", TK_LP }, { ")", TK_RP }, { "[", TK_LB }, { "]", TK_RB },
		{ "{", TK_LC }, { "}", TK_RC }, { ",", TK_COMMA }, { ":", TK_COLON },
		{ ".", TK_DOT }, { "|", TK_PIPE }, { "~", TK_TILDE }, { "+", TK_ADD },
		{ "-", TK_SUB }, { "*", TK_MUL }, { "/", TK_DIV }, { "%", TK_MOD },
		{ "<", TK_LT }, { ">", TK_GT }, { "=", TK_ASSIGN },
	};
	int depth = 0;
	int r;

	for (;;) {
		while (p < len && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r'))
			p++;
		if (p >= len) {
			push(out, TK_EOF, p, p, NULL);
			return 0;
		}
		if (tmpl && depth == 0) {
			bool strip = s[p] == '-' && p + 2 < len && s[p + 1] == '}' && s[p + 2] == '}';
			if (strip || (s[p] == '}' && p + 1 < len && s[p + 1] == '}')) {
				size_t end = p + (strip ? 3 : 2);
				push(out, TK_END, p, end, NULL);
				out->t[out->n - 1].strip = strip;
				return 0;
			}
		}
		char c = s[p];
		size_t start = p;

		if (is_name_start(c)) {
			while (p < len && (is_name_start(s[p]) || is_digit(s[p])))
				p++;
			push(out, TK_NAME, start, p, NULL);
			continue;
		}
		if (is_digit(c)) {
			json_t *v = NULL;
			bool flt = false;
			bool after_dot = out->n > 0 && out->t[out->n - 1].kind == TK_DOT;

			if ((r = lex_number(s, len, &p, after_dot, &v, &flt, errpos, e)) != 0)
				return r;
			push(out, flt ? TK_FLOAT : TK_INT, start, p, v);
			continue;
		}
		if (c == '\'' || c == '"') {
			json_t *v = NULL;

			if ((r = lex_string(s, len, &p, &v, errpos, e)) != 0)
				return r;
			push(out, TK_STR, start, p, v);
			continue;
		}
		size_t i;
		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
			size_t n = strlen(ops[i].op);
			if (p + n <= len && memcmp(s + p, ops[i].op, n) == 0)
				break;
		}
		if (i == sizeof(ops) / sizeof(ops[0])) {
			size_t n = 1;
			if ((unsigned char)c >= 0x80)
				while (p + n < len && n < 4 && ((unsigned char)s[p + n] & 0xc0) == 0x80)
					n++;
			if (c == '!')
				return lex_err(e, errpos, p, "unexpected character '!' (use 'not')");
			if ((unsigned char)c < 0x20 || c == 0x7f)
				return lex_err(e, errpos, p, "unexpected control character 0x%02x", (unsigned char)c);
			return lex_err(e, errpos, p, "unexpected character '%.*s'", (int)n, s + p);
		}
		switch (ops[i].kind) {
		case TK_LP: case TK_LB: case TK_LC:
			depth++;
			break;
		case TK_RP: case TK_RB: case TK_RC:
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
		p += strlen(ops[i].op);
		push(out, ops[i].kind, start, p, NULL);
	}
}
