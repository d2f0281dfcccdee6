/*
 * imapparse: IMAP command syntax; the contract is in imapparse.h.
 *
 * Decisions:
 * - Lenient where clients differ and nothing is ambiguous: runs of spaces
 *   separate arguments like one space, a bare LF ends a line, 8-bit bytes
 *   may appear in atoms and quoted strings (UTF-8 mailbox names from
 *   clients that ignore modified UTF-7).
 * - Strict where a mistake could hide a second command: no CR, LF or NUL
 *   outside literals, nothing after the line end, a quoted string must end
 *   on its line, "\" in a quoted string escapes only '"' and '\'.
 * - Recursion follows list nesting only, bounded by IMAP_DEPTH_MAX.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "imapparse.h"

struct parser {
	struct imap_cmd *c;
	const char *p, *end;
	int depth;
};

int imap_atom_char(unsigned char c)
{
	if (c <= 0x20 || c == 0x7f) return 0;
	return !strchr("(){\"", c);
}

static int bad(struct parser *ps, const char *why)
{
	ps->c->error = why;
	return IMAPPARSE_BAD;
}

static struct imap_arg *new_arg(struct parser *ps, enum imap_arg_type t)
{
	struct imap_cmd *c = ps->c;
	struct imap_arg *a;

	if (c->npool >= IMAP_ARGS_MAX) return 0;
	a = &c->pool[c->npool++];
	memset(a, 0, sizeof *a);
	a->type = t;
	a->off = c->text.len;
	return a;
}

/* The line end at p: CRLF or LF; returns its length or 0. */
static size_t eol(const struct parser *ps, const char *p)
{
	if (p < ps->end && *p == '\n') return 1;
	if (p + 1 < ps->end && p[0] == '\r' && p[1] == '\n') return 2;
	return 0;
}

static int put(struct parser *ps, const char *s, size_t n)
{
	/* text was made big enough for the whole command in advance, so
	 * offsets stay valid and this never reallocates */
	if (ps->c->text.len + n + 1 > ps->c->text.a) return -1;
	memcpy(ps->c->text.s + ps->c->text.len, s, n);
	ps->c->text.len += n;
	return 0;
}

static int end_string(struct parser *ps, struct imap_arg *a)
{
	a->len = ps->c->text.len - a->off;
	return put(ps, "", 1);
}

static int parse_atom(struct parser *ps, struct imap_arg *a)
{
	const char *start = ps->p;

	while (ps->p < ps->end) {
		unsigned char ch = (unsigned char)*ps->p;
		if (ch == '[') {
			/* a bracketed section: anything but line ends and NUL up to ']' */
			const char *q = ps->p + 1;
			while (q < ps->end && *q != ']' && *q != '\r' && *q != '\n' && *q) q++;
			if (q >= ps->end || *q != ']') return bad(ps, "unterminated [ in atom");
			ps->p = q + 1;
			continue;
		}
		if (!imap_atom_char(ch)) break;
		ps->p++;
	}
	if (ps->p == start) return bad(ps, "empty atom");
	if (put(ps, start, (size_t)(ps->p - start)) < 0 || end_string(ps, a) < 0) return IMAPPARSE_NOMEM;
	return IMAPPARSE_OK;
}

static int parse_quoted(struct parser *ps, struct imap_arg *a)
{
	ps->p++;   /* the opening quote */
	for (;;) {
		const char *q = ps->p;
		while (q < ps->end && *q != '"' && *q != '\\' && *q != '\r' && *q != '\n' && *q) q++;
		if (put(ps, ps->p, (size_t)(q - ps->p)) < 0) return IMAPPARSE_NOMEM;
		ps->p = q;
		if (q >= ps->end || *q == '\r' || *q == '\n') return bad(ps, "unterminated quoted string");
		if (!*q) return bad(ps, "NUL in quoted string");
		if (*q == '"') { ps->p++; break; }
		/* backslash */
		if (q + 1 >= ps->end || (q[1] != '"' && q[1] != '\\')) return bad(ps, "bad escape in quoted string");
		if (put(ps, q + 1, 1) < 0) return IMAPPARSE_NOMEM;
		ps->p = q + 2;
	}
	if (end_string(ps, a) < 0) return IMAPPARSE_NOMEM;
	return IMAPPARSE_OK;
}

static int parse_literal(struct parser *ps, struct imap_arg *a)
{
	unsigned long long n = 0;
	const char *q = ps->p + 1;
	size_t e;

	if (q >= ps->end || *q < '0' || *q > '9') return bad(ps, "bad literal");
	while (q < ps->end && *q >= '0' && *q <= '9') {
		if (n > 922337203685477580ULL) return bad(ps, "literal too big");
		n = n * 10 + (unsigned)(*q++ - '0');
	}
	if (q < ps->end && *q == '+') q++;
	if (q >= ps->end || *q != '}') return bad(ps, "bad literal");
	q++;
	e = eol(ps, q);
	if (!e) return bad(ps, "literal announcement not at the end of a line");
	q += e;
	if (n > (unsigned long long)(ps->end - q)) return bad(ps, "literal shorter than announced");
	if (put(ps, q, (size_t)n) < 0) return IMAPPARSE_NOMEM;
	ps->p = q + n;
	if (end_string(ps, a) < 0) return IMAPPARSE_NOMEM;
	return IMAPPARSE_OK;
}

static int parse_list(struct parser *ps, struct imap_arg *list, int closing);

/* One argument at ps->p, linked after *last (or as the first of parent). */
static int parse_arg(struct parser *ps, struct imap_arg **first, struct imap_arg **last, size_t *count)
{
	struct imap_arg *a;
	unsigned char ch = (unsigned char)*ps->p;
	int r;

	a = new_arg(ps, ch == '(' ? IMAP_LIST : ch == '"' ? IMAP_QUOTED : ch == '{' ? IMAP_LITERAL : IMAP_ATOM);
	if (!a) return bad(ps, "too many arguments");
	if (ch == '(') {
		if (++ps->depth > IMAP_DEPTH_MAX) return bad(ps, "parentheses nested too deeply");
		ps->p++;
		r = parse_list(ps, a, 1);
		ps->depth--;
		a->off = 0;
	} else if (ch == '"') {
		r = parse_quoted(ps, a);
	} else if (ch == '{') {
		r = parse_literal(ps, a);
	} else if (ch == ')') {
		return bad(ps, "unbalanced )");
	} else if (ch == '\r' || ch == '\n' || !ch || ch < 0x20 || ch == 0x7f) {
		return bad(ps, "control character in command");
	} else {
		r = parse_atom(ps, a);
	}
	if (r) return r;
	if (*last) (*last)->next = a;
	else *first = a;
	*last = a;
	++*count;
	return IMAPPARSE_OK;
}

/* Elements up to ')' (closing) or the line end (top level). */
static int parse_list(struct parser *ps, struct imap_arg *list, int closing)
{
	struct imap_arg *first = 0, *last = 0;
	size_t count = 0;
	int r;

	for (;;) {
		int sp = 0;
		while (ps->p < ps->end && *ps->p == ' ') { ps->p++; sp = 1; }
		if (ps->p >= ps->end) return bad(ps, closing ? "missing )" : "missing line end");
		if (closing && *ps->p == ')') { ps->p++; break; }
		if (!closing && eol(ps, ps->p)) break;
		/* elements are separated by spaces, except next to parentheses */
		if (count && !sp && *ps->p != '(' && *ps->p != ')' && last->type != IMAP_LIST)
			return bad(ps, "missing space between arguments");
		r = parse_arg(ps, &first, &last, &count);
		if (r) return r;
	}
	list->list = first;
	list->len = count;
	return IMAPPARSE_OK;
}

static void fix_pointers(struct imap_cmd *c)
{
	unsigned i;
	for (i = 0; i < c->npool; i++) {
		struct imap_arg *a = &c->pool[i];
		a->s = a->type == IMAP_LIST ? "" : c->text.s + a->off;
	}
}

/* Reads a word of atom characters (no brackets) at p; returns its length. */
static size_t word(const char *p, const char *end, int tag)
{
	const char *q = p;
	while (q < end && imap_atom_char((unsigned char)*q) && (!tag || *q != '+') && *q != '[' &&
	       (tag || *q != ']'))
		q++;
	return (size_t)(q - p);
}

int imapparse_tag(const char *line, size_t len, char tag[IMAP_TAG_MAX + 1])
{
	size_t n = word(line, line + len, 1);

	tag[0] = 0;
	if (!n || n > IMAP_TAG_MAX || n >= len || line[n] != ' ') return -1;
	memcpy(tag, line, n);
	tag[n] = 0;
	return 0;
}

static int head(const char *buf, size_t len, char *tag, char *name, const char **rest, const char **why)
{
	const char *p = buf, *end = buf + len;
	size_t n, i;

	/* the tag ends at a space; anything else (a bracket, a quote) makes it
	 * no tag at all */
	if (imapparse_tag(buf, len, tag) < 0) { *why = "bad tag"; return -1; }
	p += strlen(tag) + 1;
	n = word(p, end, 0);
	if (!n) { *why = "missing command"; return -2; }
	if (n > IMAP_NAME_MAX) { *why = "unknown command"; return -2; }
	for (i = 0; i < n; i++) {
		char ch = p[i];
		name[i] = ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch;
	}
	name[n] = 0;
	*rest = p + n;
	return 0;
}

int imapparse_peek(const char *line, size_t len, char tag[IMAP_TAG_MAX + 1], char name[IMAP_NAME_MAX + 1])
{
	const char *rest, *why;
	tag[0] = name[0] = 0;
	return head(line, len, tag, name, &rest, &why) < 0 ? -1 : 0;
}

int imapparse_command(struct imap_cmd *c, const char *buf, size_t len)
{
	struct parser ps;
	struct imap_arg top;
	const char *rest;
	int r;

	c->tag[0] = c->name[0] = 0;
	c->args = 0;
	c->nargs = 0;
	c->npool = 0;
	c->text.len = 0;
	c->error = "syntax error";
	if (!c->pool && !(c->pool = malloc(IMAP_ARGS_MAX * sizeof *c->pool))) return IMAPPARSE_NOMEM;
	if (!stralloc_ready(&c->text, len + 2)) return IMAPPARSE_NOMEM;

	ps.c = c;
	ps.p = buf;
	ps.end = buf + len;
	ps.depth = 0;
	if (eol(&ps, buf) == len && len) return IMAPPARSE_EMPTY;
	{
		const char *q = buf;
		while (q < ps.end && (*q == ' ' || *q == '\t')) q++;
		if (q < ps.end && eol(&ps, q) == (size_t)(ps.end - q)) return IMAPPARSE_EMPTY;
	}
	r = head(buf, len, c->tag, c->name, &rest, &c->error);
	if (r == -1) return IMAPPARSE_NOTAG;
	if (r < 0) return IMAPPARSE_BAD;
	ps.p = rest;
	if (ps.p < ps.end && !eol(&ps, ps.p) && *ps.p != ' ') return bad(&ps, "bad command name");
	memset(&top, 0, sizeof top);
	r = parse_list(&ps, &top, 0);
	if (r) return r;
	ps.p += eol(&ps, ps.p);
	if (ps.p != ps.end) return bad(&ps, "text after the end of the command");
	fix_pointers(c);
	c->args = top.list;
	c->nargs = (unsigned)top.len;
	return IMAPPARSE_OK;
}

void imapparse_free(struct imap_cmd *c)
{
	free(c->pool);
	c->pool = 0;
	stralloc_free(&c->text);
}

int imapparse_literal(const char *line, size_t len, unsigned long long *n, int *nonsync)
{
	const char *end = line + len, *p, *close, *open;
	int inq = 0;
	unsigned long long v = 0;

	/* strip the line end */
	if (len && end[-1] == '\n') end--;
	if (end > line && end[-1] == '\r') end--;
	if (end == line || end[-1] != '}') return 0;
	close = end - 1;
	/* where quoting stands when the '{' is reached */
	open = close;
	while (open > line && open[-1] != '{') open--;
	if (open == line) return 0;
	open--;
	for (p = line; p < open; p++) {
		if (inq && *p == '\\' && p + 1 < open) { p++; continue; }
		if (*p == '"') inq = !inq;
	}
	if (inq) return 0;
	p = open + 1;
	*nonsync = 0;
	if (p >= close || *p < '0' || *p > '9') return 0;
	while (p < close && *p >= '0' && *p <= '9') {
		if (v > 922337203685477580ULL) return -1;
		v = v * 10 + (unsigned)(*p++ - '0');
	}
	if (p < close && *p == '+') { *nonsync = 1; p++; }
	if (p != close) return 0;
	*n = v;
	return 1;
}

int imap_arg_string(const struct imap_arg *a)
{
	return a && a->type != IMAP_LIST;
}

int imap_arg_atom_is(const struct imap_arg *a, const char *w)
{
	size_t i, n = strlen(w);
	if (!a || a->type != IMAP_ATOM || a->len != n) return 0;
	for (i = 0; i < n; i++) {
		char x = a->s[i], y = w[i];
		if (x >= 'a' && x <= 'z') x = (char)(x - 32);
		if (y >= 'a' && y <= 'z') y = (char)(y - 32);
		if (x != y) return 0;
	}
	return 1;
}

int imap_arg_nil(const struct imap_arg *a)
{
	return imap_arg_atom_is(a, "NIL");
}
